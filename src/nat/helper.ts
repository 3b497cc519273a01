/**
 * Payload rewriting for NAT helpers (the kernel's nf_nat_helper.c): an application protocol that
 * carries addresses in its payload (FTP's PORT / 227 replies, ...) has them replaced by the
 * translated ones, which may change the packet's length.
 *
 *  - `mangleTcpPacket` (__nf_nat_mangle_tcp_packet): bytes [matchOff, matchOff + matchLen) of the
 *    TCP payload become `rep`; the IP length fields and header checksum are fixed, the TCP
 *    checksum recomputed (the kernel defers it to transmission, which computes it over the final
 *    bytes and writes 0 as 0xffff), and with `adjust` a length change is recorded for sequence
 *    adjustment from this segment on.
 *  - `mangleUdpPacket` (nf_nat_mangle_udp_packet): the same for UDP, with the UDP length; a
 *    datagram without a checksum keeps none.
 *
 * The packet is the context's: when its length changes it moves to a new buffer (ctx.pkt.buf)
 * and ctx.pkt is decoded again. Both return false where the kernel fails (the datagram would
 * exceed 65535 bytes, or the match lies outside the payload): the helper drops the packet then.
 */
import type { Conn } from '../conntrack/conn.js';
import type { PacketContext } from '../netfilter/context.js';
import { computeL4Checksum, fillIpv4HeaderChecksum, put16 } from '../packet/checksum.js';
import { decodeIp } from '../packet/decode.js';
import { Proto } from '../packet/view.js';
import { seqAdjSet } from './seqadj.js';

const MAX_DATAGRAM = 65535;

/**
 * Replaces payload bytes starting `dataOff` + `matchOff` in the context's packet; fixes the IP
 * length fields. False when the match is outside the packet or the result too long.
 */
function mangleContents(ctx: PacketContext, dataOff: number, matchOff: number, matchLen: number, rep: Uint8Array): boolean {
  const pkt = ctx.pkt;
  const from = dataOff + matchOff;
  if (matchOff < 0 || matchLen < 0 || from + matchLen > pkt.ipEnd) return false;
  const oldLen = pkt.ipEnd - pkt.l3Off;
  const newLen = oldLen + rep.length - matchLen;
  if (newLen > MAX_DATAGRAM) return false;
  const b = new Uint8Array(newLen);
  b.set(pkt.buf.subarray(pkt.l3Off, from), 0);
  b.set(rep, from - pkt.l3Off);
  b.set(pkt.buf.subarray(from + matchLen, pkt.ipEnd), from - pkt.l3Off + rep.length);
  if (pkt.family === 4) {
    put16(b, 2, newLen);
    fillIpv4HeaderChecksum(b, 0, pkt.ipHdrLen);
  } else {
    put16(b, 4, newLen - 40);
  }
  decodeIp(pkt, b);
  return true;
}

/** The transport checksum over the final bytes, as transmission computes a deferred one. */
function finishChecksum(ctx: PacketContext, fieldOff: number): void {
  const pkt = ctx.pkt;
  const c = computeL4Checksum(pkt);
  put16(pkt.buf, pkt.l4Off + fieldOff, c === 0 ? 0xffff : c);
}

/** __nf_nat_mangle_tcp_packet for the context's TCP segment of `conn` (direction ctx.ctDir). */
export function mangleTcpPacket(ctx: PacketContext, conn: Conn, matchOff: number, matchLen: number, rep: Uint8Array, adjust = true): boolean {
  const pkt = ctx.pkt;
  if (pkt.proto !== Proto.TCP || pkt.l4Off < 0 || pkt.tcpHdrLen < 20) return false;
  const seq = pkt.tcpSeq;
  if (!mangleContents(ctx, pkt.l4Off + pkt.tcpHdrLen, matchOff, matchLen, rep)) return false;
  finishChecksum(ctx, 16);
  if (adjust && rep.length !== matchLen) seqAdjSet(conn, ctx.ctDir, seq, rep.length - matchLen);
  return true;
}

/** nf_nat_mangle_udp_packet for the context's UDP datagram. */
export function mangleUdpPacket(ctx: PacketContext, matchOff: number, matchLen: number, rep: Uint8Array): boolean {
  const pkt = ctx.pkt;
  if (pkt.proto !== Proto.UDP || pkt.l4Off < 0 || pkt.l4Len < 8) return false;
  if (!mangleContents(ctx, pkt.l4Off + 8, matchOff, matchLen, rep)) return false;
  const b = pkt.buf;
  put16(b, pkt.l4Off + 4, pkt.ipEnd - pkt.l4Off);
  decodeIp(pkt, b);
  if (pkt.l4Checksum === 0) return true;
  finishChecksum(ctx, 6);
  return true;
}
