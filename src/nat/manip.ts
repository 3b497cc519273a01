/**
 * Packet rewriting for NAT (the kernel's nf_nat_proto.c manip functions): a packet whose IP header
 * starts at `ipOff` in `buf` and whose datagram ends at `end` (skb->len) is made to carry a
 * tuple's source (SRC manip) or destination (DST manip), with incremental checksum updates:
 *
 *  - IPv4: the address and the header checksum; IPv6: the address (no header checksum), the
 *    transport header found by skipping extension headers, none in a non-first fragment;
 *  - TCP: the port; the checksum (pseudo-header address and port) only when a whole 20-byte
 *    header is within the packet (a header quoted in an ICMP error may be cut at 8 bytes);
 *  - UDP: the port; the checksum only when the datagram has one (0 stays 0), a result of 0 is
 *    written 0xffff; UDP-Lite: always, with the same rule;
 *  - SCTP: the port and a CRC32c recomputed over everything from the SCTP header to `end`;
 *  - ICMP: the identifier of echo, timestamp, information and address mask messages;
 *    ICMPv6: the pseudo-header address change, and the identifier of echo request / reply;
 *  - GRE: version 1 (PPTP) gets the destination key as call id on DST manip; other versions
 *    than 0 and 1 cannot be translated (drop);
 *  - other protocols (DCCP included: 6.18 has no DCCP NAT): the address only.
 *
 * Every function returns false where the kernel drops (fewer bytes than it must write).
 */
import type { CtTupleLike, Hook } from '../netfilter/context.js';
import { Hook as Hooks } from '../netfilter/context.js';
import { csumReplace16, csumReplace32, put16, put32, sctpChecksum } from '../packet/checksum.js';
import { Proto } from '../packet/view.js';
import { get16 as u16, get32 as u32 } from './words.js';

/** NF_NAT_MANIP_SRC / NF_NAT_MANIP_DST. */
export const Manip = { SRC: 0, DST: 1 } as const;
export type Manip = (typeof Manip)[keyof typeof Manip];

/** HOOK2MANIP: source NAT at POSTROUTING and INPUT, destination NAT at PREROUTING and OUTPUT. */
export function hookManip(hook: Hook): Manip {
  return hook === Hooks.POSTROUTING || hook === Hooks.INPUT ? Manip.SRC : Manip.DST;
}

/** The other manipulation (the quoted packet of an ICMP error is translated the other way). */
export function otherManip(m: Manip): Manip {
  return m === Manip.SRC ? Manip.DST : Manip.SRC;
}

/** Offset of the address a manipulation rewrites in an IP header. */
function addrOffset(family: 4 | 6, ipOff: number, manip: Manip): number {
  if (family === 4) return ipOff + (manip === Manip.SRC ? 12 : 16);
  return ipOff + (manip === Manip.SRC ? 8 : 24);
}

/**
 * nf_csum_update: the transport checksum after the pseudo-header address changes from the one
 * in the IP header at `ipOff` to the tuple's.
 */
function pseudoAddrUpdate(check: number, buf: Uint8Array, family: 4 | 6, ipOff: number, t: CtTupleLike, manip: Manip): number {
  const at = addrOffset(family, ipOff, manip);
  const to = manip === Manip.SRC ? t.src : t.dst;
  const words = family === 4 ? 1 : 4;
  let c = check;
  for (let i = 0; i < words; i++) c = csumReplace32(c, u32(buf, at + 4 * i), to[i]! >>> 0);
  return c;
}

/** The new port a manipulation writes (tuple source or destination half). */
function newPort(t: CtTupleLike, manip: Manip): number {
  return manip === Manip.SRC ? t.sport : t.dport;
}

function portOffset(hdroff: number, manip: Manip): number {
  return manip === Manip.SRC ? hdroff : hdroff + 2;
}

function tcpManip(buf: Uint8Array, family: 4 | 6, ipOff: number, hdroff: number, end: number, t: CtTupleLike, manip: Manip): boolean {
  if (hdroff + 8 > end) return false;
  const full = end >= hdroff + 20;
  const at = portOffset(hdroff, manip);
  const oldPort = u16(buf, at);
  const port = newPort(t, manip);
  put16(buf, at, port);
  if (!full) return true;
  let c = pseudoAddrUpdate(u16(buf, hdroff + 16), buf, family, ipOff, t, manip);
  c = csumReplace16(c, oldPort, port);
  put16(buf, hdroff + 16, c);
  return true;
}

function udpManip(buf: Uint8Array, family: 4 | 6, ipOff: number, hdroff: number, end: number, t: CtTupleLike, manip: Manip, lite: boolean): boolean {
  if (hdroff + 8 > end) return false;
  const at = portOffset(hdroff, manip);
  const port = newPort(t, manip);
  const check = u16(buf, hdroff + 6);
  if (lite || check !== 0) {
    let c = pseudoAddrUpdate(check, buf, family, ipOff, t, manip);
    c = csumReplace16(c, u16(buf, at), port);
    put16(buf, hdroff + 6, c === 0 ? 0xffff : c);
  }
  put16(buf, at, port);
  return true;
}

function sctpManip(buf: Uint8Array, hdroff: number, end: number, t: CtTupleLike, manip: Manip): boolean {
  if (hdroff + 8 > end) return false;
  put16(buf, portOffset(hdroff, manip), newPort(t, manip));
  if (end < hdroff + 12) return true;
  const crc = sctpChecksum(buf, hdroff, end - hdroff);
  buf[hdroff + 8] = crc & 0xff;
  buf[hdroff + 9] = (crc >>> 8) & 0xff;
  buf[hdroff + 10] = (crc >>> 16) & 0xff;
  buf[hdroff + 11] = (crc >>> 24) & 0xff;
  return true;
}

/** ICMP types whose header carries an identifier NAT translates. */
function icmpHasId(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

function icmpManip(buf: Uint8Array, hdroff: number, end: number, t: CtTupleLike): boolean {
  if (hdroff + 8 > end) return false;
  if (!icmpHasId(buf[hdroff]!)) return true;
  const id = t.sport;
  put16(buf, hdroff + 2, csumReplace16(u16(buf, hdroff + 2), u16(buf, hdroff + 4), id));
  put16(buf, hdroff + 4, id);
  return true;
}

function icmpv6Manip(buf: Uint8Array, ipOff: number, hdroff: number, end: number, t: CtTupleLike, manip: Manip): boolean {
  if (hdroff + 8 > end) return false;
  let c = pseudoAddrUpdate(u16(buf, hdroff + 2), buf, 6, ipOff, t, manip);
  const type = buf[hdroff]!;
  if (type === 128 || type === 129) {
    const id = t.sport;
    c = csumReplace16(c, u16(buf, hdroff + 4), id);
    put16(buf, hdroff + 4, id);
  }
  put16(buf, hdroff + 2, c);
  return true;
}

function greManip(buf: Uint8Array, hdroff: number, end: number, t: CtTupleLike, manip: Manip): boolean {
  if (hdroff + 8 > end) return false;
  if (manip !== Manip.DST) return true;
  switch (buf[hdroff + 1]! & 7) {
    case 0:
      return true;
    case 1:
      put16(buf, hdroff + 6, t.dport);
      return true;
    default:
      return false;
  }
}

/** l4proto_manip_pkt: the transport header at `hdroff`, by the tuple's protocol. */
function l4Manip(buf: Uint8Array, family: 4 | 6, ipOff: number, hdroff: number, end: number, t: CtTupleLike, manip: Manip): boolean {
  switch (t.proto) {
    case Proto.TCP:
      return tcpManip(buf, family, ipOff, hdroff, end, t, manip);
    case Proto.UDP:
      return udpManip(buf, family, ipOff, hdroff, end, t, manip, false);
    case Proto.UDPLITE:
      return udpManip(buf, family, ipOff, hdroff, end, t, manip, true);
    case Proto.SCTP:
      return sctpManip(buf, hdroff, end, t, manip);
    case Proto.ICMP:
      return icmpManip(buf, hdroff, end, t);
    case Proto.ICMPV6:
      return icmpv6Manip(buf, ipOff, hdroff, end, t, manip);
    case Proto.GRE:
      return greManip(buf, hdroff, end, t, manip);
    default:
      return true;
  }
}

function ipv4Manip(buf: Uint8Array, ipOff: number, end: number, t: CtTupleLike, manip: Manip): boolean {
  if (ipOff + 20 > end) return false;
  const hdroff = ipOff + (buf[ipOff]! & 0x0f) * 4;
  if (!l4Manip(buf, 4, ipOff, hdroff, end, t, manip)) return false;
  const at = addrOffset(4, ipOff, manip);
  const to = (manip === Manip.SRC ? t.src[0]! : t.dst[0]!) >>> 0;
  put16(buf, ipOff + 10, csumReplace32(u16(buf, ipOff + 10), u32(buf, at), to));
  put32(buf, at, to);
  return true;
}

/** Where ipv6_skip_exthdr leaves a walk: the upper-layer offset (-1: none) and fragment offset field. */
export interface ExtWalk {
  off: number;
  nexthdr: number;
  fragOff: number;
}

/** Extension headers ipv6_skip_exthdr steps over (ESP is not one of them). */
function isExtHeader(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 44 || nh === 51 || nh === 59 || nh === 60;
}

/** ipv6_skip_exthdr from `start` (just past the fixed header) with first next-header `nexthdr`. */
export function ipv6SkipExthdr(buf: Uint8Array, start: number, end: number, nexthdr: number, out: ExtWalk): ExtWalk {
  let off = start;
  let nh = nexthdr;
  out.fragOff = 0;
  out.off = -1;
  while (isExtHeader(nh)) {
    if (nh === 59 || off + 2 > end) return out;
    let len: number;
    if (nh === 44) {
      if (off + 4 > end) return out;
      out.fragOff = u16(buf, off + 2);
      if (out.fragOff & ~7) break;
      len = 8;
    } else if (nh === 51) {
      len = (buf[off + 1]! + 2) << 2;
    } else {
      len = (buf[off + 1]! + 1) << 3;
    }
    nh = buf[off]!;
    off += len;
  }
  out.nexthdr = nh;
  out.off = off;
  return out;
}

function ipv6Manip(buf: Uint8Array, ipOff: number, end: number, t: CtTupleLike, manip: Manip, walk: ExtWalk): boolean {
  if (ipOff + 40 > end) return false;
  ipv6SkipExthdr(buf, ipOff + 40, end, buf[ipOff + 6]!, walk);
  if (walk.off >= 0 && (walk.fragOff & ~7) === 0 && !l4Manip(buf, 6, ipOff, walk.off, end, t, manip)) return false;
  const at = addrOffset(6, ipOff, manip);
  const to = manip === Manip.SRC ? t.src : t.dst;
  for (let i = 0; i < 4; i++) put32(buf, at + 4 * i, to[i]! >>> 0);
  return true;
}

/**
 * Rewrites the IP packet at `ipOff` (datagram end `end`) to carry tuple `t`'s source or
 * destination (nf_nat_ipv4_manip_pkt / nf_nat_ipv6_manip_pkt). `walk` is scratch for IPv6.
 * The transport protocol is the tuple's, as in the kernel. False: drop.
 */
export function manipPacket(buf: Uint8Array, ipOff: number, end: number, t: CtTupleLike, manip: Manip, walk: ExtWalk): boolean {
  return t.family === 4 ? ipv4Manip(buf, ipOff, end, t, manip) : ipv6Manip(buf, ipOff, end, t, manip, walk);
}
