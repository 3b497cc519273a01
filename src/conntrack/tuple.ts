/**
 * Connection tuples: what identifies one direction of a connection, as the kernel's
 * nf_conntrack_tuple does. Numbers only (addresses as four uint32 words, IPv4 in word 0 and the
 * other words zero), so a tuple is compared and hashed without building strings.
 *
 * Protocol part (CtTupleLike's sport / dport):
 *  - TCP, UDP, UDP-Lite, SCTP: the ports;
 *  - ICMP, ICMPv6: sport = identifier, dport = type << 8 | code (the kernel keeps type and code
 *    in the destination half and the id in the source half, which is why inverting an ICMP tuple
 *    keeps the id and maps the type to its reply type);
 *  - GRE: sport = source key, dport = destination key (PPTP call ids; 0 for GRE version 0);
 *  - anything else (including DCCP, which 6.18 tracks as a generic protocol): 0 and 0.
 *
 * The zone is not part of the tuple; the table compares it separately.
 */
import type { CtTupleLike } from '../netfilter/context.js';
import { parseIp } from '../packet/addr.js';
import type { PacketView } from '../packet/view.js';
import { Proto } from '../packet/view.js';
import { halfSipHashWords, type HalfSipHash } from './hash.js';

export class Tuple implements CtTupleLike {
  family: 4 | 6 = 4;
  proto = 0;
  sport = 0;
  dport = 0;
  /**
   * The address words: source in words[at, at + 4), destination in words[at + 4, at + 8). A
   * tuple of its own has eight words of its own; the table packs its connections' tuples into
   * shared slabs (see tuplePair).
   */
  readonly words: Uint32Array;
  readonly at: number;
  // Private (#) so that they are no own properties: two equal tuples compare deep-equal whether
  // or not their views were made.
  #srcView: Uint32Array | null = null;
  #dstView: Uint32Array | null = null;

  /** A zero tuple; with `words`, its addresses live in words[at, at + 8). */
  constructor(words?: Uint32Array, at = 0) {
    this.words = words ?? new Uint32Array(8);
    this.at = words === undefined ? 0 : at;
  }

  /** Source address words (a view of `words`, made when first asked for). */
  get src(): Uint32Array {
    return (this.#srcView ??= this.words.subarray(this.at, this.at + 4));
  }

  /** Destination address words (a view of `words`, made when first asked for). */
  get dst(): Uint32Array {
    return (this.#dstView ??= this.words.subarray(this.at + 4, this.at + 8));
  }

  /** Copies every field of `t` into this tuple. */
  copyFrom(t: CtTupleLike): this {
    this.family = t.family;
    this.proto = t.proto;
    const w = this.words;
    const a = this.at;
    if (t instanceof Tuple) {
      const v = t.words;
      const b = t.at;
      for (let i = 0; i < 8; i++) w[a + i] = v[b + i]!;
    } else {
      const s = t.src;
      const d = t.dst;
      w[a] = s[0]!;
      w[a + 1] = s[1]!;
      w[a + 2] = s[2]!;
      w[a + 3] = s[3]!;
      w[a + 4] = d[0]!;
      w[a + 5] = d[1]!;
      w[a + 6] = d[2]!;
      w[a + 7] = d[3]!;
    }
    this.sport = t.sport;
    this.dport = t.dport;
    return this;
  }

  clone(): Tuple {
    return new Tuple().copyFrom(this);
  }

  equals(t: CtTupleLike): boolean {
    return tuplesEqual(this, t);
  }

  /** ICMP / ICMPv6 type of the tuple (the high byte of dport). */
  get icmpType(): number {
    return this.dport >>> 8;
  }

  /** ICMP / ICMPv6 code of the tuple (the low byte of dport). */
  get icmpCode(): number {
    return this.dport & 0xff;
  }
}

function copyAddr(to: Uint32Array, from: ArrayLike<number>): void {
  to[0] = from[0]!;
  to[1] = from[1]!;
  to[2] = from[2]!;
  to[3] = from[3]!;
}

/** The kernel's nf_ct_tuple_equal: family, both addresses, protocol and its two 16-bit halves. */
export function tuplesEqual(a: CtTupleLike, b: CtTupleLike): boolean {
  if (a instanceof Tuple && b instanceof Tuple) return tupleWordsEqual(a, b);
  return (
    a.sport === b.sport &&
    a.dport === b.dport &&
    a.proto === b.proto &&
    a.family === b.family &&
    a.src[0] === b.src[0] &&
    a.dst[0] === b.dst[0] &&
    a.src[1] === b.src[1] &&
    a.src[2] === b.src[2] &&
    a.src[3] === b.src[3] &&
    a.dst[1] === b.dst[1] &&
    a.dst[2] === b.dst[2] &&
    a.dst[3] === b.dst[3]
  );
}

/** tuplesEqual for two Tuples, on their words. */
function tupleWordsEqual(a: Tuple, b: Tuple): boolean {
  if (a.sport !== b.sport || a.dport !== b.dport || a.proto !== b.proto || a.family !== b.family) return false;
  const x = a.words;
  const y = b.words;
  const i = a.at;
  const j = b.at;
  return (
    x[i] === y[j] &&
    x[i + 4] === y[j + 4] &&
    x[i + 1] === y[j + 1] &&
    x[i + 2] === y[j + 2] &&
    x[i + 3] === y[j + 3] &&
    x[i + 5] === y[j + 5] &&
    x[i + 6] === y[j + 6] &&
    x[i + 7] === y[j + 7]
  );
}

/** Feeds a tuple and zone to a keyed hasher (IPv4 tuples skip the three zero address words). */
export function hashTuple(h: HalfSipHash, t: CtTupleLike, zone: number): number {
  h.begin();
  h.word(t.src[0]!);
  h.word(t.dst[0]!);
  if (t.family === 6) {
    h.word(t.src[1]!).word(t.src[2]!).word(t.src[3]!);
    h.word(t.dst[1]!).word(t.dst[2]!).word(t.dst[3]!);
  }
  h.word(((t.sport & 0xffff) << 16) | (t.dport & 0xffff));
  h.word(((zone & 0xffff) << 16) | ((t.proto & 0xff) << 8) | t.family);
  return h.end();
}

/**
 * Address storage for the tuples of connections: slabs of words handed out 16 at a time (both
 * tuples of one connection), so that a connection's four address arrays are views of one shared
 * buffer rather than four buffers of their own. A slab is never reused; it is freed by the
 * garbage collector with the last tuple that uses it.
 */
const SLAB_WORDS = 4096;
let slab: Uint32Array = new Uint32Array(0);
let slabNext = SLAB_WORDS;

/** The two tuples of a new connection, their addresses in one 16-word block of a shared slab. */
export function tuplePair(): [Tuple, Tuple] {
  if (slabNext + 16 > slab.length) {
    slab = new Uint32Array(SLAB_WORDS);
    slabNext = 0;
  }
  const at = slabNext;
  slabNext += 16;
  return [new Tuple(slab, at), new Tuple(slab, at + 8)];
}

/** Words hashTupleKeyed feeds (reused: the hash runs to completion before anything else uses it). */
const HASH_WORDS = new Int32Array(10);

/**
 * hashTuple with the hasher's key words given directly: the same value, without the hasher
 * object's per-word calls.
 */
export function hashTupleKeyed(k0: number, k1: number, t: CtTupleLike, zone: number): number {
  const w = HASH_WORDS;
  let n = 2;
  if (t instanceof Tuple) {
    const x = t.words;
    const a = t.at;
    w[0] = x[a]!;
    w[1] = x[a + 4]!;
    if (t.family === 6) {
      w[2] = x[a + 1]!;
      w[3] = x[a + 2]!;
      w[4] = x[a + 3]!;
      w[5] = x[a + 5]!;
      w[6] = x[a + 6]!;
      w[7] = x[a + 7]!;
      n = 8;
    }
  } else {
    const s = t.src;
    const d = t.dst;
    w[0] = s[0]!;
    w[1] = d[0]!;
    if (t.family === 6) {
      w[2] = s[1]!;
      w[3] = s[2]!;
      w[4] = s[3]!;
      w[5] = d[1]!;
      w[6] = d[2]!;
      w[7] = d[3]!;
      n = 8;
    }
  }
  w[n] = ((t.sport & 0xffff) << 16) | (t.dport & 0xffff);
  w[n + 1] = ((zone & 0xffff) << 16) | ((t.proto & 0xff) << 8) | t.family;
  return halfSipHashWords(k0, k1, w, n + 2);
}

// ------------------------------------------------------------------------------------------------
// ICMP reply types

const ICMP_REPLY: Readonly<Record<number, number>> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 };
const ICMPV6_REPLY: Readonly<Record<number, number>> = { 128: 129, 129: 128, 139: 140, 140: 139 };

/** The ICMP type answering `type` (echo 8 -> reply 0, timestamp 13 -> 14, ...), or -1 when there is none. */
export function icmpReplyType(type: number): number {
  return ICMP_REPLY[type] ?? -1;
}

/** The ICMPv6 type answering `type` (echo 128 <-> 129, node information 139 <-> 140), or -1. */
export function icmpv6ReplyType(type: number): number {
  return ICMPV6_REPLY[type] ?? -1;
}

/**
 * The tuple of the other direction (the kernel's nf_ct_invert_tuple). False when the protocol
 * has no answer for it: an ICMP / ICMPv6 type without a reply type cannot make a connection.
 */
export function invertTuple(out: Tuple, t: CtTupleLike): boolean {
  if (t instanceof Tuple) return invertWords(out, t);
  let sport = t.dport;
  let dport = t.sport;
  if (t.proto === Proto.ICMP || t.proto === Proto.ICMPV6) {
    const reply = t.proto === Proto.ICMP ? icmpReplyType(t.dport >>> 8) : icmpv6ReplyType(t.dport >>> 8);
    if (reply < 0) return false;
    sport = t.sport;
    dport = (reply << 8) | (t.dport & 0xff);
  }
  out.family = t.family;
  out.proto = t.proto;
  copyAddr(out.src, t.dst);
  copyAddr(out.dst, t.src);
  out.sport = sport;
  out.dport = dport;
  return true;
}

/** invertTuple between two Tuples, on their words. */
function invertWords(out: Tuple, t: Tuple): boolean {
  let sport = t.dport;
  let dport = t.sport;
  if (t.proto === Proto.ICMP || t.proto === Proto.ICMPV6) {
    const reply = t.proto === Proto.ICMP ? icmpReplyType(t.dport >>> 8) : icmpv6ReplyType(t.dport >>> 8);
    if (reply < 0) return false;
    sport = t.sport;
    dport = (reply << 8) | (t.dport & 0xff);
  }
  out.family = t.family;
  out.proto = t.proto;
  const w = out.words;
  const a = out.at;
  const x = t.words;
  const b = t.at;
  for (let i = 0; i < 4; i++) {
    const src = x[b + i]!;
    w[a + i] = x[b + 4 + i]!;
    w[a + 4 + i] = src;
  }
  out.sport = sport;
  out.dport = dport;
  return true;
}

// ------------------------------------------------------------------------------------------------
// tuple from a packet

/** Source key of a PPTP GRE flow, looked up from the keymap the PPTP helper maintains (0 when none). */
export type GreSrcKeyLookup = (t: Tuple) => number;

const PPTP_GRE_PROTO = 0x880b;

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/**
 * Fills `out` from a packet whose transport header starts at `pkt.l4Off` (the kernel's
 * nf_ct_get_tuple). False when the bytes the protocol needs are missing (ports: 4 bytes; ICMP: 8;
 * GRE version 1 with a protocol other than PPP): such a packet is INVALID.
 */
export function tupleFromPacket(pkt: PacketView, out: Tuple, greSrcKey: GreSrcKeyLookup | null): boolean {
  out.family = pkt.family === 6 ? 6 : 4;
  out.proto = pkt.proto;
  const w = out.words;
  const a = out.at;
  const s = pkt.src;
  const d = pkt.dst;
  w[a] = s[0]!;
  w[a + 1] = s[1]!;
  w[a + 2] = s[2]!;
  w[a + 3] = s[3]!;
  w[a + 4] = d[0]!;
  w[a + 5] = d[1]!;
  w[a + 6] = d[2]!;
  w[a + 7] = d[3]!;
  out.sport = 0;
  out.dport = 0;
  const b = pkt.buf;
  const p = pkt.l4Off;
  const len = pkt.l4Len;
  switch (pkt.proto) {
    case Proto.ICMP:
    case Proto.ICMPV6:
      if (p < 0 || len < 8) return false;
      out.sport = u16(b, p + 4);
      out.dport = (b[p]! << 8) | b[p + 1]!;
      return true;
    case Proto.GRE:
      return greTuple(pkt, out, greSrcKey);
    case Proto.TCP:
    case Proto.UDP:
    case Proto.UDPLITE:
    case Proto.SCTP:
      if (p < 0 || len < 4) return false;
      out.sport = u16(b, p);
      out.dport = u16(b, p + 2);
      return true;
    default:
      return true;
  }
}

/** GRE: version 1 (PPTP) carries the call id as destination key; anything else tracks like a generic protocol. */
function greTuple(pkt: PacketView, out: Tuple, greSrcKey: GreSrcKeyLookup | null): boolean {
  const b = pkt.buf;
  const p = pkt.l4Off;
  if (p < 0 || pkt.l4Len < 4 || (b[p + 1]! & 7) !== 1) return true;
  if (pkt.l4Len < 8) return true;
  if (u16(b, p + 2) !== PPTP_GRE_PROTO) return false;
  out.dport = u16(b, p + 6);
  out.sport = greSrcKey ? greSrcKey(out) & 0xffff : 0;
  return true;
}

// ------------------------------------------------------------------------------------------------
// tuples from text (tests, the conntrack command line)

export interface TupleSpec {
  proto: number;
  /** Address text; the family follows from it. */
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** ICMP / ICMPv6. */
  type?: number;
  code?: number;
  id?: number;
  /** GRE keys. */
  srckey?: number;
  dstkey?: number;
}

/** Builds a tuple from readable fields (throws on an address that does not parse or mixed families). */
export function makeTuple(spec: TupleSpec): Tuple {
  const t = new Tuple();
  const s = parseIp(spec.src);
  const d = parseIp(spec.dst);
  if (s.family !== d.family) throw new Error(`tuple mixes IPv${s.family} ${spec.src} and IPv${d.family} ${spec.dst}`);
  t.family = s.family;
  t.proto = spec.proto;
  copyAddr(t.src, s.words);
  copyAddr(t.dst, d.words);
  if (spec.proto === Proto.ICMP || spec.proto === Proto.ICMPV6) {
    t.sport = spec.id ?? 0;
    t.dport = ((spec.type ?? 0) << 8) | (spec.code ?? 0);
  } else if (spec.proto === Proto.GRE) {
    t.sport = spec.srckey ?? 0;
    t.dport = spec.dstkey ?? 0;
  } else {
    t.sport = spec.sport ?? 0;
    t.dport = spec.dport ?? 0;
  }
  return t;
}
