/**
 * Packet crafting for tests and tools: IPv4 / IPv6 (with extension headers), TCP, UDP, UDP-Lite,
 * ICMP, ICMPv6, SCTP, GRE, DCCP, and Ethernet / VLAN / SLL / SLL2 / loopback frames around them.
 *
 * Upper-layer builders (`tcp`, `udp`, ...) return a Segment: its bytes plus how its checksum is to
 * be set. The IP builders place the segment, then fill every checksum correctly (they decode the
 * packet they built and use checksum.ts, so builder and verifier cannot disagree) unless told
 * otherwise: `checksum: 'bad'` writes a wrong value, a number writes that value, 'keep' leaves
 * the bytes as given. Length and header-length fields can be overridden to craft malformed packets.
 * Addresses are text ("10.0.1.100", "fd00:1::5"); MACs "02:00:00:00:00:01".
 *
 * Not for the hot path: every call allocates its result.
 */
import { parseIp, type IpAddr } from './addr.js';
import { fillIpv4HeaderChecksum, fillL4Checksum, internetChecksum, put16, put32, sctpChecksum } from './checksum.js';
import { decodeIp } from './decode.js';
import { TcpOpt } from './tcpopts.js';
import { PacketView, Proto, TcpFlag } from './view.js';

export { TcpFlow, type Side, type SegmentSpec, type TcpFlowSpec } from './flow.js';

// ------------------------------------------------------------------------------------------------
// shared types

/** How to set a checksum: compute it ('auto'), write a wrong one ('bad'), a given value, or leave the bytes ('keep'). */
export type ChecksumMode = 'auto' | 'bad' | 'keep' | number;

/** An upper-layer header with its data, ready for an IP builder. */
export interface Segment {
  readonly proto: number;
  readonly bytes: Uint8Array;
  readonly checksum: ChecksumMode;
}

/** Payload given as bytes or as text (UTF-8 for ASCII; other characters keep their low byte). */
export type Bytes = Uint8Array | string;

/** Thrown for builder input that cannot be encoded (a port above 65535, an unknown flag letter, ...). */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

export function toBytes(data: Bytes | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (typeof data !== 'string') return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function checkRange(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new BuildError(`${name} ${v} is not an integer in 0..${max}`);
  return v;
}

/** A value that differs from the correct checksum in every equivalent form (never 0 = "none"). */
function wrongChecksum(correct: number): number {
  const w = correct ^ 0x5555;
  return w === 0 ? 0xaaaa : w;
}

// ------------------------------------------------------------------------------------------------
// TCP

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPerm?: boolean;
  /** Timestamps [TSval, TSecr]. */
  ts?: readonly [number, number];
  /** SACK blocks [left, right]. */
  sack?: readonly (readonly [number, number])[];
  /** Raw option bytes appended after the others (padded to a multiple of 4 with EOL). */
  raw?: Uint8Array;
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Letters F S R P A U E C N ('.' is ACK, as tcpdump prints it), or the flag bits. Default 'S'. */
  flags?: string | number;
  win?: number;
  urg?: number;
  options?: TcpOptions;
  payload?: Bytes;
  checksum?: ChecksumMode;
  /** Data offset override in 32-bit words (to craft bad headers). */
  dataOffset?: number;
}

const FLAG_LETTERS: Record<string, number> = {
  F: TcpFlag.FIN,
  S: TcpFlag.SYN,
  R: TcpFlag.RST,
  P: TcpFlag.PSH,
  A: TcpFlag.ACK,
  '.': TcpFlag.ACK,
  U: TcpFlag.URG,
  E: TcpFlag.ECE,
  W: TcpFlag.CWR,
  C: TcpFlag.CWR,
  N: TcpFlag.NS,
};

/** TCP flag bits from letters ('SA', 'FA', 'R', 'PA', '.') or a number. */
export function tcpFlags(flags: string | number): number {
  if (typeof flags === 'number') return checkRange('TCP flags', flags, 0x1ff);
  let bits = 0;
  for (const ch of flags.toUpperCase()) {
    const bit = FLAG_LETTERS[ch];
    if (bit === undefined) throw new BuildError(`unknown TCP flag letter "${ch}" in "${flags}"`);
    bits |= bit;
  }
  return bits;
}

/** Option bytes in the order Linux writes them (MSS, SACK-permitted+TS, wscale, SACK), padded. */
export function tcpOptionBytes(o: TcpOptions): Uint8Array {
  const out: number[] = [];
  if (o.mss !== undefined) out.push(TcpOpt.MSS, 4, ...u16be(checkRange('MSS', o.mss, 0xffff)));
  if (o.ts !== undefined) {
    out.push(...(o.sackPerm ? [TcpOpt.SACK_PERM, 2] : [TcpOpt.NOP, TcpOpt.NOP]));
    out.push(TcpOpt.TIMESTAMP, 10, ...u32be(o.ts[0]), ...u32be(o.ts[1]));
  } else if (o.sackPerm) {
    out.push(TcpOpt.NOP, TcpOpt.NOP, TcpOpt.SACK_PERM, 2);
  }
  if (o.wscale !== undefined) out.push(TcpOpt.NOP, TcpOpt.WSCALE, 3, checkRange('window scale', o.wscale, 255));
  if (o.sack !== undefined && o.sack.length > 0) {
    out.push(TcpOpt.NOP, TcpOpt.NOP, TcpOpt.SACK, 2 + 8 * o.sack.length);
    for (const [l, r] of o.sack) out.push(...u32be(l), ...u32be(r));
  }
  if (o.raw !== undefined) out.push(...o.raw);
  while (out.length % 4 !== 0) out.push(TcpOpt.EOL);
  if (out.length > 40) throw new BuildError(`TCP options take ${out.length} bytes, more than 40`);
  return Uint8Array.from(out);
}

function u16be(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function u32be(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function tcp(s: TcpSpec): Segment {
  const opts = tcpOptionBytes(s.options ?? {});
  const payload = toBytes(s.payload);
  const hl = 20 + opts.length;
  const b = new Uint8Array(hl + payload.length);
  put16(b, 0, checkRange('source port', s.sport, 0xffff));
  put16(b, 2, checkRange('destination port', s.dport, 0xffff));
  put32(b, 4, (s.seq ?? 0) >>> 0);
  put32(b, 8, (s.ack ?? 0) >>> 0);
  const flags = tcpFlags(s.flags ?? 'S');
  const doff = s.dataOffset ?? hl / 4;
  b[12] = (checkRange('data offset', doff, 15) << 4) | (flags >> 8);
  b[13] = flags & 0xff;
  put16(b, 14, checkRange('window', s.win ?? 64240, 0xffff));
  put16(b, 18, s.urg ?? 0);
  b.set(opts, 20);
  b.set(payload, hl);
  return { proto: Proto.TCP, bytes: b, checksum: s.checksum ?? 'auto' };
}

// ------------------------------------------------------------------------------------------------
// UDP, UDP-Lite

export interface UdpSpec {
  sport: number;
  dport: number;
  payload?: Bytes;
  checksum?: ChecksumMode;
  /** Length field override (default 8 + payload). */
  length?: number;
}

export function udp(s: UdpSpec): Segment {
  const payload = toBytes(s.payload);
  const b = new Uint8Array(8 + payload.length);
  put16(b, 0, checkRange('source port', s.sport, 0xffff));
  put16(b, 2, checkRange('destination port', s.dport, 0xffff));
  put16(b, 4, checkRange('UDP length', s.length ?? b.length, 0xffff));
  b.set(payload, 8);
  return { proto: Proto.UDP, bytes: b, checksum: s.checksum ?? 'auto' };
}

export interface UdpliteSpec {
  sport: number;
  dport: number;
  /** Checksum coverage (0 = whole datagram, the default). */
  coverage?: number;
  payload?: Bytes;
  checksum?: ChecksumMode;
}

export function udplite(s: UdpliteSpec): Segment {
  const seg = udp({ sport: s.sport, dport: s.dport, payload: s.payload, length: s.coverage ?? 0 });
  return { proto: Proto.UDPLITE, bytes: seg.bytes, checksum: s.checksum ?? 'auto' };
}

// ------------------------------------------------------------------------------------------------
// ICMP, ICMPv6

export interface IcmpSpec {
  type: number;
  code?: number;
  /** Bytes 4..7 as id and sequence (echo, timestamp, ...). */
  id?: number;
  seq?: number;
  /** Bytes 4..7 as one number (unused field, gateway, next-hop MTU, pointer): overrides id/seq. */
  rest?: number;
  payload?: Bytes;
  checksum?: ChecksumMode;
}

function icmpLike(proto: number, s: IcmpSpec): Segment {
  const payload = toBytes(s.payload);
  const b = new Uint8Array(8 + payload.length);
  b[0] = checkRange('ICMP type', s.type, 255);
  b[1] = checkRange('ICMP code', s.code ?? 0, 255);
  if (s.rest !== undefined) put32(b, 4, s.rest >>> 0);
  else {
    put16(b, 4, checkRange('ICMP id', s.id ?? 0, 0xffff));
    put16(b, 6, checkRange('ICMP sequence', s.seq ?? 0, 0xffff));
  }
  b.set(payload, 8);
  return { proto, bytes: b, checksum: s.checksum ?? 'auto' };
}

export function icmp(s: IcmpSpec): Segment {
  return icmpLike(Proto.ICMP, s);
}

export function icmpv6(s: IcmpSpec): Segment {
  return icmpLike(Proto.ICMPV6, s);
}

export interface EchoSpec {
  id: number;
  seq: number;
  reply?: boolean;
  payload?: Bytes;
  checksum?: ChecksumMode;
}

/** ICMP echo request (8) or reply (0). */
export function icmpEcho(s: EchoSpec): Segment {
  return icmp({ type: s.reply ? 0 : 8, id: s.id, seq: s.seq, payload: s.payload, checksum: s.checksum });
}

/** ICMPv6 echo request (128) or reply (129). */
export function icmpv6Echo(s: EchoSpec): Segment {
  return icmpv6({ type: s.reply ? 129 : 128, id: s.id, seq: s.seq, payload: s.payload, checksum: s.checksum });
}

export interface IcmpErrorSpec {
  type: number;
  code?: number;
  /** The offending IP packet. */
  quote: Uint8Array;
  /** Bytes of it to include (default: as an IPv4 router does, up to 576-byte errors; IPv6: 1280). */
  quoteLen?: number;
  /** Bytes 4..7: next-hop MTU (type 3 code 4 / ICMPv6 2), gateway (5), pointer (12 / ICMPv6 4). */
  rest?: number;
  checksum?: ChecksumMode;
}

/** An ICMP error quoting a packet (IPv4 errors carry at most 576 - 28 bytes of it by default). */
export function icmpError(s: IcmpErrorSpec): Segment {
  const quote = s.quote.subarray(0, s.quoteLen ?? 576 - 28);
  return icmp({ type: s.type, code: s.code, rest: s.rest ?? 0, payload: quote, checksum: s.checksum });
}

/** An ICMPv6 error quoting a packet (at most 1280 - 48 bytes of it by default). */
export function icmpv6Error(s: IcmpErrorSpec): Segment {
  const quote = s.quote.subarray(0, s.quoteLen ?? 1280 - 48);
  return icmpv6({ type: s.type, code: s.code, rest: s.rest ?? 0, payload: quote, checksum: s.checksum });
}

// ------------------------------------------------------------------------------------------------
// SCTP

export interface SctpChunk {
  type: number;
  flags?: number;
  data?: Bytes;
  /** Length field override (default 4 + data); the chunk is still padded to 4 bytes. */
  length?: number;
}

export interface SctpSpec {
  sport: number;
  dport: number;
  vtag?: number;
  chunks: readonly SctpChunk[];
  checksum?: ChecksumMode;
}

/** SCTP common header and chunks; the CRC32c is filled here (it needs no pseudo-header). */
export function sctp(s: SctpSpec): Segment {
  const chunks = s.chunks.map(sctpChunkBytes);
  const b = concat([new Uint8Array(12), ...chunks]);
  put16(b, 0, checkRange('source port', s.sport, 0xffff));
  put16(b, 2, checkRange('destination port', s.dport, 0xffff));
  put32(b, 4, (s.vtag ?? 0) >>> 0);
  const mode = s.checksum ?? 'auto';
  if (mode !== 'keep') {
    const correct = sctpChecksum(b, 0, b.length);
    const v = mode === 'auto' ? correct : mode === 'bad' ? (correct ^ 0x55555555) >>> 0 : mode;
    b[8] = v & 0xff;
    b[9] = (v >>> 8) & 0xff;
    b[10] = (v >>> 16) & 0xff;
    b[11] = (v >>> 24) & 0xff;
  }
  return { proto: Proto.SCTP, bytes: b, checksum: 'keep' };
}

function sctpChunkBytes(c: SctpChunk): Uint8Array {
  const data = toBytes(c.data);
  const b = new Uint8Array((4 + data.length + 3) & ~3);
  b[0] = checkRange('chunk type', c.type, 255);
  b[1] = c.flags ?? 0;
  put16(b, 2, checkRange('chunk length', c.length ?? 4 + data.length, 0xffff));
  b.set(data, 4);
  return b;
}

// ------------------------------------------------------------------------------------------------
// GRE

export interface GreSpec {
  /** 0 (RFC 2784/2890, default) or 1 (PPTP enhanced GRE). */
  version?: 0 | 1;
  /** Protocol type (default 0x0800, or 0x880b for version 1). */
  proto?: number;
  /** Version 0: include a checksum field (filled correctly). */
  checksum?: boolean;
  /** Version 0 key. */
  key?: number;
  /** Sequence number (both versions). */
  seq?: number;
  /** Version 1: call id (the key's low half) and acknowledgment number. */
  callId?: number;
  ack?: number;
  payload?: Bytes;
}

export function gre(s: GreSpec): Segment {
  const payload = toBytes(s.payload);
  const v1 = s.version === 1;
  const fields: number[] = [];
  let flags = v1 ? 1 : 0;
  if (!v1 && s.checksum) {
    flags |= 0x8000;
    fields.push(0, 0, 0, 0);
  }
  if (v1) {
    flags |= 0x2000;
    fields.push(...u16be(payload.length), ...u16be(checkRange('call id', s.callId ?? 0, 0xffff)));
  } else if (s.key !== undefined) {
    flags |= 0x2000;
    fields.push(...u32be(s.key));
  }
  if (s.seq !== undefined) {
    flags |= 0x1000;
    fields.push(...u32be(s.seq));
  }
  if (v1 && s.ack !== undefined) {
    flags |= 0x0080;
    fields.push(...u32be(s.ack));
  }
  const head = Uint8Array.from([...u16be(flags), ...u16be(s.proto ?? (v1 ? 0x880b : 0x0800)), ...fields]);
  const b = concat([head, payload]);
  if (!v1 && s.checksum) put16(b, 4, internetChecksum(b, 0, b.length));
  return { proto: Proto.GRE, bytes: b, checksum: 'keep' };
}

// ------------------------------------------------------------------------------------------------
// DCCP

export interface DccpSpec {
  sport: number;
  dport: number;
  /** Packet type (0 Request, 1 Response, 2 Data, 3 Ack, 4 DataAck, 5 CloseReq, 6 Close, 7 Reset, 8 Sync, 9 SyncAck). */
  type: number;
  seq?: number;
  /** Acknowledgment number (48-bit), for every type but Request and Data. */
  ack?: number;
  /** Service code (Request and Response). */
  service?: number;
  payload?: Bytes;
  checksum?: ChecksumMode;
}

/** DCCP with the extended (48-bit) sequence number format. */
export function dccp(s: DccpSpec): Segment {
  const parts: number[] = [];
  if (s.type !== 0 && s.type !== 2) parts.push(0, 0, ...u48be(s.ack ?? 0));
  if (s.type === 0 || s.type === 1) parts.push(...u32be(s.service ?? 0));
  const ext = Uint8Array.from(parts);
  const payload = toBytes(s.payload);
  const hl = 16 + ext.length;
  const b = new Uint8Array(hl + payload.length);
  put16(b, 0, checkRange('source port', s.sport, 0xffff));
  put16(b, 2, checkRange('destination port', s.dport, 0xffff));
  b[4] = hl / 4;
  b[8] = (checkRange('DCCP type', s.type, 15) << 1) | 1;
  b.set(u48be(s.seq ?? 0).slice(0, 2), 10);
  b.set(u48be(s.seq ?? 0).slice(2), 12);
  b.set(ext, 16);
  b.set(payload, hl);
  return { proto: Proto.DCCP, bytes: b, checksum: s.checksum ?? 'auto' };
}

function u48be(v: number): number[] {
  const hi = Math.floor(v / 0x100000000) & 0xffff;
  return [...u16be(hi), ...u32be(v >>> 0)];
}

// ------------------------------------------------------------------------------------------------
// IPv4

export interface Ipv4Spec {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** Option bytes (padded to a multiple of 4 with EOL). */
  options?: Uint8Array;
  /** Protocol number; default: the segment's. */
  proto?: number;
  payload: Segment | Uint8Array;
  /** Header checksum mode (default 'auto'). */
  ipChecksum?: ChecksumMode;
  /** Overrides to craft bad headers. */
  totalLength?: number;
  ihl?: number;
  version?: number;
}

export function ipv4(s: Ipv4Spec): Uint8Array {
  const src = addr4(s.src);
  const dst = addr4(s.dst);
  const opts = padTo4(s.options ?? new Uint8Array(0));
  const seg = asSegment(s.payload, s.proto);
  const hl = 20 + opts.length;
  if (hl > 60) throw new BuildError(`IPv4 options take ${opts.length} bytes, more than 40`);
  const b = new Uint8Array(hl + seg.bytes.length);
  b[0] = (checkRange('version', s.version ?? 4, 15) << 4) | checkRange('IHL', s.ihl ?? hl / 4, 15);
  b[1] = checkRange('TOS', s.tos ?? 0, 255);
  put16(b, 2, checkRange('total length', s.totalLength ?? b.length, 0xffff));
  put16(b, 4, checkRange('IP id', s.id ?? 0, 0xffff));
  const fo = s.fragOffset ?? 0;
  if (fo % 8 !== 0) throw new BuildError(`fragment offset ${fo} is not a multiple of 8`);
  put16(b, 6, (s.df ? 0x4000 : 0) | (s.mf ? 0x2000 : 0) | checkRange('fragment offset', fo / 8, 0x1fff));
  b[8] = checkRange('TTL', s.ttl ?? 64, 255);
  b[9] = checkRange('protocol', seg.proto, 255);
  put32(b, 12, src);
  put32(b, 16, dst);
  b.set(opts, 20);
  b.set(seg.bytes, hl);
  const unfragmented = fo === 0 && !s.mf;
  if (unfragmented) applyL4Checksum(b, seg.checksum);
  applyIpv4Checksum(b, hl, s.ipChecksum ?? 'auto');
  return b;
}

function addr4(text: string): number {
  const a = parseIp(text);
  if (a.family !== 4) throw new BuildError(`"${text}" is not an IPv4 address`);
  return a.words[0]!;
}

function addr6(text: string): IpAddr {
  const a = parseIp(text);
  if (a.family !== 6) throw new BuildError(`"${text}" is not an IPv6 address`);
  return a;
}

function padTo4(b: Uint8Array): Uint8Array {
  if (b.length % 4 === 0) return b;
  const out = new Uint8Array((b.length + 3) & ~3);
  out.set(b);
  return out;
}

function asSegment(p: Segment | Uint8Array, proto: number | undefined): Segment {
  if (p instanceof Uint8Array) {
    if (proto === undefined) throw new BuildError('a raw payload needs `proto`');
    return { proto, bytes: p, checksum: 'keep' };
  }
  return proto === undefined ? p : { ...p, proto };
}

function applyIpv4Checksum(b: Uint8Array, hl: number, mode: ChecksumMode): void {
  if (mode === 'keep') return;
  if (hl > b.length) return;
  fillIpv4HeaderChecksum(b, 0, hl);
  if (mode === 'auto') return;
  const correct = (b[10]! << 8) | b[11]!;
  put16(b, 10, mode === 'bad' ? wrongChecksum(correct) : mode);
}

/** Fills the transport checksum of a complete packet per `mode`, via a decode of the packet itself. */
function applyL4Checksum(b: Uint8Array, mode: ChecksumMode): void {
  if (mode === 'keep') return;
  const v = decodeIp(new PacketView(), b);
  if (!fillL4Checksum(v)) return;
  if (mode === 'auto') return;
  const at = v.l4Off + checksumFieldOffset(v.proto);
  const correct = (b[at]! << 8) | b[at + 1]!;
  put16(b, at, mode === 'bad' ? wrongChecksum(correct) : mode);
}

function checksumFieldOffset(proto: number): number {
  return proto === Proto.TCP ? 16 : proto === Proto.ICMP || proto === Proto.ICMPV6 ? 2 : 6;
}

// ------------------------------------------------------------------------------------------------
// IPv6

export type Ipv6Ext =
  | { type: 'hop' | 'dst'; options?: Uint8Array }
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; addresses?: readonly string[] }
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number }
  | { type: 'ah'; spi?: number; seq?: number; icv?: Uint8Array }
  /** Any header: its next-header field is filled in; `data` follows the two first bytes. */
  | { type: 'raw'; proto: number; data: Uint8Array; lengthField?: number };

export interface Ipv6Spec {
  src: string;
  dst: string;
  hopLimit?: number;
  tc?: number;
  flowLabel?: number;
  ext?: readonly Ipv6Ext[];
  proto?: number;
  payload: Segment | Uint8Array;
  /** Override of the payload length field. */
  payloadLength?: number;
  version?: number;
}

export function ipv6(s: Ipv6Spec): Uint8Array {
  const src = addr6(s.src);
  const dst = addr6(s.dst);
  const seg = asSegment(s.payload, s.proto);
  const exts = s.ext ?? [];
  const nexts = exts.map(extProto).concat(seg.proto);
  const extBytes = exts.map((e, i) => extHeaderBytes(e, nexts[i + 1]!));
  const body = concat([...extBytes, seg.bytes]);
  const b = new Uint8Array(40 + body.length);
  const w0 = (checkRange('version', s.version ?? 6, 15) << 28) | (checkRange('traffic class', s.tc ?? 0, 255) << 20);
  put32(b, 0, (w0 | checkRange('flow label', s.flowLabel ?? 0, 0xfffff)) >>> 0);
  put16(b, 4, checkRange('payload length', s.payloadLength ?? body.length, 0xffff));
  b[6] = nexts[0]!;
  b[7] = checkRange('hop limit', s.hopLimit ?? 64, 255);
  for (let i = 0; i < 4; i++) {
    put32(b, 8 + 4 * i, src.words[i]!);
    put32(b, 24 + 4 * i, dst.words[i]!);
  }
  b.set(body, 40);
  const fragmented = exts.some((e) => e.type === 'fragment' && ((e.offset ?? 0) > 0 || e.more));
  if (!fragmented) applyL4Checksum(b, seg.checksum);
  return b;
}

function extProto(e: Ipv6Ext): number {
  switch (e.type) {
    case 'hop':
      return Proto.HOPOPTS;
    case 'dst':
      return Proto.DSTOPTS;
    case 'routing':
      return Proto.ROUTING;
    case 'fragment':
      return Proto.FRAGMENT;
    case 'ah':
      return Proto.AH;
    case 'raw':
      return e.proto;
  }
}

function extHeaderBytes(e: Ipv6Ext, next: number): Uint8Array {
  switch (e.type) {
    case 'hop':
    case 'dst':
      return optionsHeader(next, e.options ?? new Uint8Array(0));
    case 'routing':
      return routingHeader(next, e.routingType ?? 0, e.segmentsLeft ?? 0, e.addresses ?? []);
    case 'fragment':
      return fragmentHeader(next, e.offset ?? 0, e.more ?? false, e.id ?? 0);
    case 'ah':
      return ahHeader(next, e.spi ?? 0, e.seq ?? 0, e.icv ?? new Uint8Array(12));
    case 'raw': {
      const b = concat([new Uint8Array(2), e.data]);
      b[0] = next;
      b[1] = e.lengthField ?? Math.max(0, b.length / 8 - 1);
      return b;
    }
  }
}

/** Hop-by-hop / destination options: the TLVs given, then PadN (or Pad1) to a multiple of 8. */
function optionsHeader(next: number, tlvs: Uint8Array): Uint8Array {
  const raw = 2 + tlvs.length;
  const total = (raw + 7) & ~7;
  const b = new Uint8Array(total);
  b[0] = next;
  b[1] = total / 8 - 1;
  b.set(tlvs, 2);
  const pad = total - raw;
  if (pad === 1) b[raw] = 0;
  else if (pad > 1) {
    b[raw] = 1;
    b[raw + 1] = pad - 2;
  }
  return b;
}

function routingHeader(next: number, type: number, left: number, addrs: readonly string[]): Uint8Array {
  const b = new Uint8Array(8 + 16 * addrs.length);
  b[0] = next;
  b[1] = addrs.length * 2;
  b[2] = type;
  b[3] = left;
  addrs.forEach((a, i) => {
    const w = addr6(a).words;
    for (let k = 0; k < 4; k++) put32(b, 8 + 16 * i + 4 * k, w[k]!);
  });
  return b;
}

function fragmentHeader(next: number, offset: number, more: boolean, id: number): Uint8Array {
  if (offset % 8 !== 0) throw new BuildError(`fragment offset ${offset} is not a multiple of 8`);
  const b = new Uint8Array(8);
  b[0] = next;
  put16(b, 2, checkRange('fragment offset', offset, 0xfff8) | (more ? 1 : 0));
  put32(b, 4, id >>> 0);
  return b;
}

function ahHeader(next: number, spi: number, seq: number, icv: Uint8Array): Uint8Array {
  const len = 12 + icv.length;
  if (len % 8 !== 0) throw new BuildError(`AH length ${len} is not a multiple of 8 (ICV ${icv.length} bytes)`);
  const b = new Uint8Array(len);
  b[0] = next;
  b[1] = len / 4 - 2;
  put32(b, 4, spi >>> 0);
  put32(b, 8, seq >>> 0);
  b.set(icv, 12);
  return b;
}

// ------------------------------------------------------------------------------------------------
// fragmentation

/**
 * Splits a complete IPv4 packet into fragments carrying at most `size` data bytes each (a multiple
 * of 8; default: what fits a 576-byte MTU). Options are copied into every fragment (a test
 * convenience; routers copy only options with the copy bit).
 */
export function fragmentIpv4(pkt: Uint8Array, size = 552): Uint8Array[] {
  if (size <= 0 || size % 8 !== 0) throw new BuildError(`fragment size ${size} is not a positive multiple of 8`);
  const hl = (pkt[0]! & 0x0f) * 4;
  const data = pkt.subarray(hl);
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += size) {
    const part = data.subarray(off, Math.min(off + size, data.length));
    const f = concat([pkt.subarray(0, hl), part]);
    put16(f, 2, f.length);
    const more = off + size < data.length;
    put16(f, 6, (((pkt[6]! << 8) | pkt[7]!) & 0x4000) | (more ? 0x2000 : 0) | (off / 8));
    fillIpv4HeaderChecksum(f, 0, hl);
    out.push(f);
  }
  return out;
}

/**
 * Splits a complete IPv6 packet without extension headers into fragments with a fragment header
 * (identification `id`) carrying at most `size` data bytes each (a multiple of 8).
 */
export function fragmentIpv6(pkt: Uint8Array, id: number, size = 1232): Uint8Array[] {
  if (size <= 0 || size % 8 !== 0) throw new BuildError(`fragment size ${size} is not a positive multiple of 8`);
  const next = pkt[6]!;
  const data = pkt.subarray(40);
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += size) {
    const part = data.subarray(off, Math.min(off + size, data.length));
    const more = off + size < data.length;
    const f = concat([pkt.subarray(0, 40), fragmentHeader(next, off, more, id), part]);
    f[6] = Proto.FRAGMENT;
    put16(f, 4, f.length - 40);
    out.push(f);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// link-layer frames

/** "aa:bb:cc:dd:ee:ff" to six bytes. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new BuildError(`invalid MAC address "${text}"`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Ethertype for an IP packet from its version nibble. */
function ipEthertype(pkt: Uint8Array): number {
  return pkt.length > 0 && pkt[0]! >> 4 === 6 ? 0x86dd : 0x0800;
}

export interface VlanTag {
  id: number;
  pcp?: number;
  /** 0x8100 (802.1Q, default) or 0x88a8 (802.1ad). */
  tpid?: number;
}

export interface EthernetSpec {
  src?: string;
  dst?: string;
  /** Tags from the outermost in; numbers are 802.1Q ids. */
  vlans?: readonly (number | VlanTag)[];
  /** Ethertype of the payload; default from the IP version nibble. */
  type?: number;
  payload: Uint8Array;
  /** Pad the frame with zeros to 60 bytes (the Ethernet minimum without FCS), as NICs do. */
  pad?: boolean;
}

export function ethernet(s: EthernetSpec): Uint8Array {
  const head = new Uint8Array(12);
  head.set(parseMac(s.dst ?? '02:00:00:00:00:02'), 0);
  head.set(parseMac(s.src ?? '02:00:00:00:00:01'), 6);
  const tags = (s.vlans ?? []).map((t) => vlanTag(typeof t === 'number' ? { id: t } : t));
  const type = Uint8Array.from(u16be(s.type ?? ipEthertype(s.payload)));
  const frame = concat([head, ...tags, type, s.payload]);
  if (!s.pad || frame.length >= 60) return frame;
  const padded = new Uint8Array(60);
  padded.set(frame);
  return padded;
}

/** TPID + TCI: the TPID belongs to this tag, the TCI too; the next type follows. */
function vlanTag(t: VlanTag): Uint8Array {
  const tci = (checkRange('VLAN priority', t.pcp ?? 0, 7) << 13) | checkRange('VLAN id', t.id, 0xfff);
  return Uint8Array.from([...u16be(t.tpid ?? 0x8100), ...u16be(tci)]);
}

export interface SllSpec {
  /** 0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing. */
  pktType?: number;
  /** ARPHRD type (1 Ethernet). */
  hatype?: number;
  /** Link-layer source address (MAC text), or none. */
  addr?: string;
  protocol?: number;
  payload: Uint8Array;
  /** SLL2 only. */
  ifindex?: number;
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL). */
export function sll(s: SllSpec): Uint8Array {
  const h = new Uint8Array(16);
  const mac = s.addr !== undefined ? parseMac(s.addr) : new Uint8Array(0);
  put16(h, 0, s.pktType ?? 0);
  put16(h, 2, s.hatype ?? 1);
  put16(h, 4, mac.length);
  h.set(mac, 6);
  put16(h, 14, s.protocol ?? ipEthertype(s.payload));
  return concat([h, s.payload]);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2). */
export function sll2(s: SllSpec): Uint8Array {
  const h = new Uint8Array(20);
  const mac = s.addr !== undefined ? parseMac(s.addr) : new Uint8Array(0);
  put16(h, 0, s.protocol ?? ipEthertype(s.payload));
  put32(h, 4, s.ifindex ?? 1);
  put16(h, 8, s.hatype ?? 1);
  h[10] = s.pktType ?? 0;
  h[11] = mac.length;
  h.set(mac, 12);
  return concat([h, s.payload]);
}

/** BSD loopback (LINKTYPE_NULL): family in host order, little-endian by default; IPv6 as AF 24 unless given. */
export function nullFrame(payload: Uint8Array, opts: { family?: number; bigEndian?: boolean } = {}): Uint8Array {
  const family = opts.family ?? (ipEthertype(payload) === 0x86dd ? 24 : 2);
  const h = new Uint8Array(4);
  if (opts.bigEndian) put32(h, 0, family);
  else h.set([family & 0xff, (family >>> 8) & 0xff, (family >>> 16) & 0xff, family >>> 24]);
  return concat([h, payload]);
}

/** OpenBSD loopback (LINKTYPE_LOOP): family in network order. */
export function loopFrame(payload: Uint8Array, family?: number): Uint8Array {
  return nullFrame(payload, { family, bigEndian: true });
}
