/**
 * Packets the host's own stack writes: ICMP errors (icmp_send / icmpv6_send), echo and timestamp
 * replies, and TCP resets (the TCP stack's for a closed port, and REJECT's nf_send_reset). The
 * header fields follow what Linux puts there: TTL/hop limit from ip_default_ttl (64), DF and IP ID
 * 0 on resets, the error TOS (precedence "internet control" on the original's TOS bits), at most
 * 576 bytes for an ICMPv4 error and 1280 for an ICMPv6 one.
 */
import { fillIpv4HeaderChecksum, fillL4Checksum, put16, put32 } from '../packet/checksum.js';
import { decodeIp } from '../packet/decode.js';
import { PacketView, Proto, TcpFlag } from '../packet/view.js';

const scratch = new PacketView();

export interface V4Header {
  tos: number;
  id: number;
  df: boolean;
  ttl: number;
  proto: number;
  src: number;
  dst: number;
}

const NO_OPTIONS = new Uint8Array(0);

/** An IPv4 header with `opts` (already padded to a multiple of 4) after the fixed 20 bytes. */
function writeIpv4(buf: Uint8Array, h: V4Header, totalLen: number, opts: Uint8Array = NO_OPTIONS): void {
  const hl = 20 + opts.length;
  buf[0] = 0x40 | (hl >> 2);
  buf[1] = h.tos & 0xff;
  put16(buf, 2, totalLen);
  put16(buf, 4, h.id & 0xffff);
  put16(buf, 6, h.df ? 0x4000 : 0);
  buf[8] = h.ttl;
  buf[9] = h.proto;
  put32(buf, 12, h.src >>> 0);
  put32(buf, 16, h.dst >>> 0);
  buf.set(opts, 20);
  fillIpv4HeaderChecksum(buf, 0, hl);
}

export interface V6Header {
  tclass: number;
  flowLabel: number;
  hopLimit: number;
  next: number;
  src: ArrayLike<number>;
  dst: ArrayLike<number>;
}

function writeIpv6(buf: Uint8Array, h: V6Header, payloadLen: number): void {
  put32(buf, 0, ((6 << 28) | ((h.tclass & 0xff) << 20) | (h.flowLabel & 0xfffff)) >>> 0);
  put16(buf, 4, payloadLen);
  buf[6] = h.next;
  buf[7] = h.hopLimit;
  for (let i = 0; i < 4; i++) {
    put32(buf, 8 + i * 4, h.src[i]! >>> 0);
    put32(buf, 24 + i * 4, h.dst[i]! >>> 0);
  }
}

/** Fill the transport checksum of a freshly built IP packet. */
function finishL4(pkt: Uint8Array): Uint8Array {
  decodeIp(scratch, pkt);
  fillL4Checksum(scratch);
  return pkt;
}

/** The TOS Linux gives an ICMP error: the original's TOS bits with precedence 6 (0xc0). */
export function icmpErrorTos(origTos: number): number {
  return (origTos & 0x1e) | 0xc0;
}

/**
 * ICMPv4 error quoting `orig` (the offending IP datagram as it is now). `info` is the 32-bit
 * rest-of-header (next-hop MTU for "fragmentation needed", pointer for parameter problem).
 * `opts` are the IP options the error carries (ip_options_echo of the offending packet's), which
 * take their room from the 576 bytes.
 */
export function icmpError4(orig: Uint8Array, type: number, code: number, info: number, src: number, dst: number, origTos: number, ttl = 64, opts: Uint8Array = NO_OPTIONS): Uint8Array {
  const hl = 20 + opts.length;
  const quote = Math.min(orig.length, 576 - hl - 8);
  const pkt = new Uint8Array(hl + 8 + quote);
  writeIpv4(pkt, { tos: icmpErrorTos(origTos), id: 0, df: false, ttl, proto: Proto.ICMP, src, dst }, pkt.length, opts);
  pkt[hl] = type;
  pkt[hl + 1] = code;
  put32(pkt, hl + 4, info >>> 0);
  pkt.set(orig.subarray(0, quote), hl + 8);
  return finishL4(pkt);
}

/** ICMPv6 error quoting `orig`, at most 1280 bytes in all. */
export function icmpError6(orig: Uint8Array, type: number, code: number, info: number, src: ArrayLike<number>, dst: ArrayLike<number>, hopLimit = 64): Uint8Array {
  const quote = Math.min(orig.length, 1280 - 40 - 8);
  const pkt = new Uint8Array(40 + 8 + quote);
  writeIpv6(pkt, { tclass: 0, flowLabel: 0, hopLimit, next: Proto.ICMPV6, src, dst }, 8 + quote);
  pkt[40] = type;
  pkt[41] = code;
  put32(pkt, 44, info >>> 0);
  pkt.set(orig.subarray(0, quote), 48);
  return finishL4(pkt);
}

/**
 * Echo reply to the request `req` (decoded view of it), from `src` (its destination unless the
 * request went to a broadcast or multicast address), with the IPv4 options `opts` (ip_options_echo
 * of the request's). An ICMP timestamp request gets timestampReply's answer instead.
 */
export function echoReply(req: PacketView, now: number, ttl = 64, src: ArrayLike<number> = req.dst, opts: Uint8Array = NO_OPTIONS): Uint8Array {
  const v6 = req.family === 6;
  if (!v6 && req.icmpType === 13) return timestampReply(req, now, ttl, src[0]!, opts);
  const icmpLen = req.ipEnd - req.l4Off;
  const hdr = v6 ? 40 : 20 + opts.length;
  const pkt = new Uint8Array(hdr + icmpLen);
  if (v6) writeIpv6(pkt, { tclass: req.tos, flowLabel: 0, hopLimit: ttl, next: Proto.ICMPV6, src, dst: req.src }, icmpLen);
  else writeIpv4(pkt, { tos: req.tos, id: 0, df: false, ttl, proto: Proto.ICMP, src: src[0]!, dst: req.src[0]! }, pkt.length, opts);
  pkt.set(req.buf.subarray(req.l4Off, req.ipEnd), hdr);
  pkt[hdr] = v6 ? 129 : 0;
  pkt[hdr + 1] = 0;
  return finishL4(pkt);
}

/**
 * icmp_timestamp's reply: always the full 20-byte message (identifier and sequence of the
 * request, its first 4 data bytes as the originate time, receive and transmit times in ms since
 * midnight UTC of `now`), whatever else the request carried. The caller checks the request has
 * those 4 bytes.
 */
export function timestampReply(req: PacketView, now: number, ttl: number, src: number, opts: Uint8Array = NO_OPTIONS): Uint8Array {
  const hdr = 20 + opts.length;
  const pkt = new Uint8Array(hdr + 20);
  writeIpv4(pkt, { tos: req.tos, id: 0, df: false, ttl, proto: Proto.ICMP, src, dst: req.src[0]! }, pkt.length, opts);
  pkt[hdr] = 14;
  pkt[hdr + 1] = 0;
  pkt.set(req.buf.subarray(req.l4Off + 4, req.l4Off + 12), hdr + 4);
  const ms = Math.floor((((now % 86400) + 86400) % 86400) * 1000) >>> 0;
  put32(pkt, hdr + 12, ms);
  put32(pkt, hdr + 16, ms);
  return finishL4(pkt);
}

export interface ResetOptions {
  ttl: number;
  df: boolean;
  tos: number;
  /** IPv4 options the reset carries (the TCP stack's echo the segment's; REJECT's carry none). */
  ipOpts?: Uint8Array;
}

/**
 * TCP reset answering the segment `seg` (decoded): seq = its ack when it had ACK, otherwise seq 0
 * with ACK for everything it occupied. Null when `seg` is itself a RST.
 */
export function tcpReset(seg: PacketView, o: ResetOptions): Uint8Array | null {
  if (seg.tcpFlags & TcpFlag.RST) return null;
  const v6 = seg.family === 6;
  const opts = v6 ? NO_OPTIONS : (o.ipOpts ?? NO_OPTIONS);
  const hdr = v6 ? 40 : 20 + opts.length;
  const pkt = new Uint8Array(hdr + 20);
  if (v6) writeIpv6(pkt, { tclass: o.tos, flowLabel: 0, hopLimit: o.ttl, next: Proto.TCP, src: seg.dst, dst: seg.src }, 20);
  else writeIpv4(pkt, { tos: o.tos, id: 0, df: o.df, ttl: o.ttl, proto: Proto.TCP, src: seg.dst[0]!, dst: seg.src[0]! }, pkt.length, opts);
  put16(pkt, hdr, seg.dport);
  put16(pkt, hdr + 2, seg.sport);
  let flags = TcpFlag.RST;
  if (seg.tcpFlags & TcpFlag.ACK) {
    put32(pkt, hdr + 4, seg.tcpAck >>> 0);
  } else {
    const occupied = seg.payloadLen + (seg.tcpFlags & TcpFlag.SYN ? 1 : 0) + (seg.tcpFlags & TcpFlag.FIN ? 1 : 0);
    put32(pkt, hdr + 8, (seg.tcpSeq + occupied) >>> 0);
    flags |= TcpFlag.ACK;
  }
  pkt[hdr + 12] = 5 << 4;
  pkt[hdr + 13] = flags;
  return finishL4(pkt);
}

export interface SynAckOptions {
  /** Initial sequence number (the kernel's is keyed-random; callers derive one from their seed). */
  isn: number;
  /** MSS the host advertises (route MTU - 40 for IPv4, - 60 for IPv6). */
  mss: number;
  /** TSval when the SYN carried timestamps. */
  tsVal: number;
  /** IPv4 options (ip_options_echo of the SYN's, kept with the request: tcp_v4_save_options). */
  ipOpts?: Uint8Array;
}

/**
 * The SYN-ACK a listening socket answers a SYN with, as Linux writes it: IP ID 0 with DF, TTL 64;
 * options in tcp_options_write's order (MSS, SACK-permitted folded into the timestamp option when
 * both apply, window scale 10 as 6.18 picks for its default tcp_rmem), each only when the SYN offered it; the window rounded down to a
 * whole number of segments of 65535 (65160 with timestamps, 64240 without, for MSS 1460).
 */
export function tcpSynAck(syn: PacketView, o: SynAckOptions): Uint8Array {
  const ts = syn.tcpTsVal >= 0;
  const sack = syn.tcpSackPerm;
  const ws = syn.tcpWscale >= 0;
  const opts: number[] = [2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff];
  if (ts) {
    opts.push(...(sack ? [4, 2] : [1, 1]), 8, 10, ...be32(o.tsVal), ...be32(syn.tcpTsVal));
  } else if (sack) opts.push(1, 1, 4, 2);
  if (ws) opts.push(1, 3, 3, 10);
  const v6 = syn.family === 6;
  const ipOpts = v6 ? NO_OPTIONS : (o.ipOpts ?? NO_OPTIONS);
  const hdr = v6 ? 40 : 20 + ipOpts.length;
  const tcpLen = 20 + opts.length;
  const pkt = new Uint8Array(hdr + tcpLen);
  if (v6) writeIpv6(pkt, { tclass: 0, flowLabel: 0, hopLimit: 64, next: Proto.TCP, src: syn.dst, dst: syn.src }, tcpLen);
  else writeIpv4(pkt, { tos: 0, id: 0, df: true, ttl: 64, proto: Proto.TCP, src: syn.dst[0]!, dst: syn.src[0]! }, pkt.length, ipOpts);
  put16(pkt, hdr, syn.dport);
  put16(pkt, hdr + 2, syn.sport);
  put32(pkt, hdr + 4, o.isn >>> 0);
  put32(pkt, hdr + 8, (syn.tcpSeq + 1) >>> 0);
  pkt[hdr + 12] = (tcpLen / 4) << 4;
  pkt[hdr + 13] = TcpFlag.SYN | TcpFlag.ACK;
  const seg = o.mss - (ts ? 12 : 0);
  put16(pkt, hdr + 14, Math.floor(65535 / seg) * seg);
  pkt.set(opts, hdr + 20);
  return finishL4(pkt);
}

function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/**
 * ndisc_send_na's neighbour advertisement: hop limit 255, traffic class and flow label 0, the
 * router / solicited / override flags, the target, and the target link-layer address option
 * when `tlla` (the interface's MAC) is given.
 */
export function neighbourAdvert(src: ArrayLike<number>, dst: ArrayLike<number>, target: ArrayLike<number>, f: { router: boolean; solicited: boolean; override: boolean }, tlla: Uint8Array | null): Uint8Array {
  const icmpLen = 24 + (tlla ? 8 : 0);
  const pkt = new Uint8Array(40 + icmpLen);
  writeIpv6(pkt, { tclass: 0, flowLabel: 0, hopLimit: 255, next: Proto.ICMPV6, src, dst }, icmpLen);
  pkt[40] = 136;
  pkt[41] = 0;
  pkt[44] = (f.router ? 0x80 : 0) | (f.solicited ? 0x40 : 0) | (f.override ? 0x20 : 0);
  for (let i = 0; i < 4; i++) put32(pkt, 48 + i * 4, target[i]! >>> 0);
  if (tlla) {
    pkt[64] = 2;
    pkt[65] = 1;
    pkt.set(tlla.subarray(0, 6), 66);
  }
  return finishL4(pkt);
}
