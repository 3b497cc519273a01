/**
 * Rewriting the IP header's DS field (TOS / traffic class) and TTL / hop limit in place, with the
 * IPv4 header checksum kept right the way the kernel updates it, and the decoded view updated.
 */
import type { PacketView } from '../../packet/view.js';
import { csumReplace16, put16 } from '../../packet/checksum.js';

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** The DS field byte (IPv4 TOS, IPv6 traffic class). */
export function dsfield(pkt: PacketView): number {
  return pkt.tos;
}

/** ipv4_change_dsfield / ipv6_change_dsfield: keep the bits in `mask`, or in `value`. */
export function changeDsfield(pkt: PacketView, mask: number, value: number): void {
  const b = pkt.buf;
  const ip = pkt.l3Off;
  if (pkt.family === 4) {
    const old = b[ip + 1]!;
    const ds = ((old & mask) | value) & 0xff;
    let check = u16(b, ip + 10);
    check += old;
    if ((check + 1) >>> 16 !== 0) check = (check + 1) & 0xffff;
    check -= ds;
    check += check >> 16;
    put16(b, ip + 10, check & 0xffff);
    b[ip + 1] = ds;
    pkt.tos = ds;
    pkt.ipChecksum = check & 0xffff;
    return;
  }
  const word = u16(b, ip);
  const next = (word & (((mask << 4) | 0xf00f) & 0xffff)) | ((value << 4) & 0xffff);
  put16(b, ip, next);
  pkt.tos = (next >> 4) & 0xff;
}

/** Sets the TTL (IPv4, checksum updated) or hop limit (IPv6). */
export function setTtl(pkt: PacketView, ttl: number): void {
  const b = pkt.buf;
  const ip = pkt.l3Off;
  if (pkt.family === 4) {
    const old = b[ip + 8]!;
    if (old === ttl) return;
    const check = csumReplace16(u16(b, ip + 10), (old << 8) | b[ip + 9]!, (ttl << 8) | b[ip + 9]!);
    put16(b, ip + 10, check);
    b[ip + 8] = ttl;
    pkt.ipChecksum = check;
  } else {
    b[ip + 7] = ttl;
  }
  pkt.ttl = ttl;
}
