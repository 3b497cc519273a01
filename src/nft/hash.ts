/**
 * The numbers nft computes from a packet: `numgen inc|random mod N [offset O]`,
 * `jhash EXPR mod N [seed S] [offset O]` and `symhash mod N [offset O]` (nft_numgen.c,
 * nft_hash.c), as 32-bit keys other expressions compare, look up in maps or store.
 *
 *  - numgen inc: one counter per expression, starting so that the first packet gets 0
 *    (the kernel sets it to modulus - 1 and increments before use), wrapping at the modulus.
 *  - numgen random: reciprocal_scale of a 32-bit random number. The kernel's get_random_u32 is
 *    replaced by the replay's seeded generator (PacketContext.random): not comparable with a
 *    recording.
 *  - jhash: the kernel's byte-wise Jenkins hash (jhash(), lookup3) over the source expression
 *    as it lies in nft registers: a single selector with its own length (`tcp dport`: 2 bytes),
 *    a concatenation with every part padded to 4 bytes (`ip saddr . tcp dport`: 8), then
 *    reciprocal_scale. Without `seed` the kernel draws one at random when the rule is loaded:
 *    here it is drawn from the seeded generator on first use.
 *  - symhash: skb_get_hash_symmetric: the flow dissector's keys (network protocol, transport
 *    protocol, ports or SPI, addresses), ordered so that both directions give the same keys
 *    (__flow_hash_consistentify), hashed with SipHash-2-4 over the kernel's struct flow_keys
 *    layout. The kernel keys it with a boot-time random key (hashrnd): ctkit derives that key from
 *    the replay seed (PacketContext.flowHashKey), so values are consistent within a replay (the
 *    same for both directions of a flow) but not equal to a recording's. The dissector's descent
 *    into tunnels (GRE, IP-in-IP) is not modelled: those packets hash on their outer header.
 */
import type { PacketContext } from '../netfilter/context.js';
import { reciprocalScale } from '../nat/jhash.js';
import type { PacketView } from '../packet/view.js';
import type { Expr } from './ast.js';
import { T } from './datatypes.js';
import type { Key } from './ir.js';
import { ValueError, fieldOf } from './values.js';

/** JHASH_INITVAL. */
const JHASH_INITVAL = 0xdeadbeef;

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The kernel's jhash(key, length, initval) over `len` bytes of `b` from `off`: words are read as
 * the x86 kernel reads them (little-endian), the tail byte by byte.
 */
export function jhashBytes(b: Uint8Array, off: number, len: number, initval: number): number {
  let a = (JHASH_INITVAL + len + initval) >>> 0;
  let bb = a;
  let c = a;
  let k = off;
  let n = len;
  const le = (i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  while (n > 12) {
    a = (a + le(k)) >>> 0;
    bb = (bb + le(k + 4)) >>> 0;
    c = (c + le(k + 8)) >>> 0;
    // __jhash_mix
    a = ((a - c) ^ rol32(c, 4)) >>> 0;
    c = (c + bb) >>> 0;
    bb = ((bb - a) ^ rol32(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - bb) ^ rol32(bb, 8)) >>> 0;
    bb = (bb + a) >>> 0;
    a = ((a - c) ^ rol32(c, 16)) >>> 0;
    c = (c + bb) >>> 0;
    bb = ((bb - a) ^ rol32(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - bb) ^ rol32(bb, 4)) >>> 0;
    bb = (bb + a) >>> 0;
    n -= 12;
    k += 12;
  }
  if (n === 0) return c;
  // the tail: byte i of the remaining 12 goes into a, b or c at bit 8 * (i % 4)
  for (let i = n - 1; i >= 0; i--) {
    const v = (b[k + i]! << ((i & 3) * 8)) >>> 0;
    if (i >= 8) c = (c + v) >>> 0;
    else if (i >= 4) bb = (bb + v) >>> 0;
    else a = (a + v) >>> 0;
  }
  // __jhash_final
  c = ((c ^ bb) - rol32(bb, 14)) >>> 0;
  a = ((a ^ c) - rol32(c, 11)) >>> 0;
  bb = ((bb ^ a) - rol32(a, 25)) >>> 0;
  c = ((c ^ bb) - rol32(bb, 16)) >>> 0;
  a = ((a ^ c) - rol32(c, 4)) >>> 0;
  bb = ((bb ^ a) - rol32(a, 14)) >>> 0;
  c = ((c ^ bb) - rol32(bb, 24)) >>> 0;
  return c;
}

// ---------------------------------------------------------------------------------------------
// SipHash-2-4 on 64-bit values held as two 32-bit halves

/** State v0..v3 as [hi, lo] pairs in one array: v0 = s[0], s[1]; v1 = s[2], s[3]; ... */
function add64(s: Uint32Array, d: number, x: number): void {
  const lo = s[d + 1]! + s[x + 1]!;
  s[d] = (s[d]! + s[x]! + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  s[d + 1] = lo >>> 0;
}

function rotl64(s: Uint32Array, d: number, k: number): void {
  const hi = s[d]!;
  const lo = s[d + 1]!;
  if (k === 32) {
    s[d] = lo;
    s[d + 1] = hi;
  } else if (k < 32) {
    s[d] = ((hi << k) | (lo >>> (32 - k))) >>> 0;
    s[d + 1] = ((lo << k) | (hi >>> (32 - k))) >>> 0;
  } else {
    const j = k - 32;
    s[d] = ((lo << j) | (hi >>> (32 - j))) >>> 0;
    s[d + 1] = ((hi << j) | (lo >>> (32 - j))) >>> 0;
  }
}

function xor64(s: Uint32Array, d: number, x: number): void {
  s[d] = (s[d]! ^ s[x]!) >>> 0;
  s[d + 1] = (s[d + 1]! ^ s[x + 1]!) >>> 0;
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;
const M = 8;

function sipRound(s: Uint32Array): void {
  add64(s, V0, V1);
  rotl64(s, V1, 13);
  xor64(s, V1, V0);
  rotl64(s, V0, 32);
  add64(s, V2, V3);
  rotl64(s, V3, 16);
  xor64(s, V3, V2);
  add64(s, V0, V3);
  rotl64(s, V3, 21);
  xor64(s, V3, V0);
  add64(s, V2, V1);
  rotl64(s, V1, 17);
  xor64(s, V1, V2);
  rotl64(s, V2, 32);
}

/**
 * SipHash-2-4 of `len` bytes of `b` from `off` with the 128-bit key `key` (four 32-bit words:
 * k0 low, k0 high, k1 low, k1 high, as the little-endian siphash_key_t lies in memory).
 * Returns [low 32 bits, high 32 bits] of the 64-bit result.
 */
export function siphash24(key: ArrayLike<number>, b: Uint8Array, off: number, len: number): [number, number] {
  const s = new Uint32Array(10);
  const k0hi = key[1]! >>> 0;
  const k0lo = key[0]! >>> 0;
  const k1hi = key[3]! >>> 0;
  const k1lo = key[2]! >>> 0;
  s[V0] = (k0hi ^ 0x736f6d65) >>> 0;
  s[V0 + 1] = (k0lo ^ 0x70736575) >>> 0;
  s[V1] = (k1hi ^ 0x646f7261) >>> 0;
  s[V1 + 1] = (k1lo ^ 0x6e646f6d) >>> 0;
  s[V2] = (k0hi ^ 0x6c796765) >>> 0;
  s[V2 + 1] = (k0lo ^ 0x6e657261) >>> 0;
  s[V3] = (k1hi ^ 0x74656462) >>> 0;
  s[V3 + 1] = (k1lo ^ 0x79746573) >>> 0;
  const le = (i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  const whole = len - (len % 8);
  const absorb = (): void => {
    xor64(s, V3, M);
    sipRound(s);
    sipRound(s);
    xor64(s, V0, M);
  };
  for (let i = 0; i < whole; i += 8) {
    s[M + 1] = le(off + i);
    s[M] = le(off + i + 4);
    absorb();
  }
  // last block: the remaining bytes, the length in the top byte
  let lo = 0;
  let hi = ((len & 0xff) << 24) >>> 0;
  for (let i = 0; i < len % 8; i++) {
    const v = b[off + whole + i]!;
    if (i < 4) lo = (lo | (v << (8 * i))) >>> 0;
    else hi = (hi | (v << (8 * (i - 4)))) >>> 0;
  }
  s[M] = hi;
  s[M + 1] = lo;
  absorb();
  s[V2 + 1] = (s[V2 + 1]! ^ 0xff) >>> 0;
  for (let r = 0; r < 4; r++) sipRound(s);
  const rhi = (s[V0]! ^ s[V1]! ^ s[V2]! ^ s[V3]!) >>> 0;
  const rlo = (s[V0 + 1]! ^ s[V1 + 1]! ^ s[V2 + 1]! ^ s[V3 + 1]!) >>> 0;
  return [rlo, rhi];
}

// ---------------------------------------------------------------------------------------------
// the symmetric flow hash

/**
 * struct flow_keys from `basic` (FLOW_KEYS_HASH_OFFSET) to the end of the addresses: basic
 * (n_proto, ip_proto, padding) 0-3, tags 4-7, vlan 8-15, cvlan 16-23, keyid 24-27, ports 28-31,
 * icmp 32-35, addresses from 36 (IPv4: 8 bytes, IPv6: 32).
 */
const FK_PORTS = 28;
const FK_ADDRS = 36;

/** Offset of the ports (or SPI) for proto_ports_offset's protocols, -1 for the others. */
function portsOffset(proto: number): number {
  switch (proto) {
    case 6: // TCP
    case 17: // UDP
    case 33: // DCCP
    case 50: // ESP
    case 132: // SCTP
    case 136: // UDP-Lite
      return 0;
    case 51: // AH
      return 4;
  }
  return -1;
}

/**
 * __skb_get_hash_symmetric of the packet in `pkt` with `key` (four words, see siphash24):
 * never 0 (a zero hash becomes 1).
 */
export function symmetricHash(pkt: PacketView, key: ArrayLike<number>, scratch: Uint8Array = new Uint8Array(72)): number {
  const fk = scratch;
  fk.fill(0);
  const v6 = pkt.family === 6;
  fk[0] = v6 ? 0x86 : 0x08;
  fk[1] = v6 ? 0xdd : 0x00;
  // a fragment's transport protocol is known, its ports are not dissected
  const frag = pkt.isFragment;
  fk[2] = pkt.proto & 0xff;
  const po = portsOffset(pkt.proto);
  if (!frag && po >= 0 && pkt.l4Off >= 0 && pkt.l4Off + po + 4 <= pkt.ipEnd) {
    for (let i = 0; i < 4; i++) fk[FK_PORTS + i] = pkt.buf[pkt.l4Off + po + i]!;
  }
  const words = v6 ? 4 : 1;
  for (let w = 0; w < words; w++) {
    putBe(fk, FK_ADDRS + w * 4, pkt.src[w]!);
    putBe(fk, FK_ADDRS + words * 4 + w * 4, pkt.dst[w]!);
  }
  consistentify(fk, v6);
  const len = FK_ADDRS + (v6 ? 32 : 8);
  const [lo] = siphash24(key, fk, 0, len);
  return lo === 0 ? 1 : lo;
}

function putBe(b: Uint8Array, off: number, w: number): void {
  b[off] = w >>> 24;
  b[off + 1] = (w >>> 16) & 255;
  b[off + 2] = (w >>> 8) & 255;
  b[off + 3] = w & 255;
}

/** Little-endian u32 / u16 loads, as the kernel compares the big-endian fields on x86. */
function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function le16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

function swapBytes(b: Uint8Array, x: number, y: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const t = b[x + i]!;
    b[x + i] = b[y + i]!;
    b[y + i] = t;
  }
}

/** __flow_hash_consistentify: the smaller address first, the smaller port first, each on its own. */
function consistentify(fk: Uint8Array, v6: boolean): void {
  const src = FK_ADDRS;
  if (v6) {
    const dst = FK_ADDRS + 16;
    let diff = 0;
    for (let i = 0; i < 16 && diff === 0; i++) diff = fk[dst + i]! - fk[src + i]!;
    if (diff < 0) swapBytes(fk, src, dst, 16);
  } else if (le32(fk, src + 4) < le32(fk, src)) {
    swapBytes(fk, src, src + 4, 4);
  }
  if (le16(fk, FK_PORTS + 2) < le16(fk, FK_PORTS)) swapBytes(fk, FK_PORTS, FK_PORTS + 2, 2);
}

// ---------------------------------------------------------------------------------------------
// the expressions' values

/** numgen inc: the next value of one expression's counter. */
export class NumgenInc {
  private counter: number;
  constructor(
    readonly mod: number,
    readonly offset: number,
  ) {
    this.counter = mod - 1;
  }
  next(): number {
    this.counter = this.counter + 1 < this.mod ? this.counter + 1 : 0;
    return (this.counter + this.offset) >>> 0;
  }
}

/** numgen random: a value in [offset, offset + mod) from the replay's random source. */
export function numgenRandom(ctx: PacketContext, mod: number, offset: number): number {
  return (reciprocalScale(randomOf(ctx)(), mod) + offset) >>> 0;
}

/** The seeded random source of the packet's host; an error when the embedding gave none. */
export function randomOf(ctx: PacketContext): () => number {
  const r = ctx.random;
  if (r === undefined) throw new Error('nft numgen random / jhash without seed need a random source: PacketContext.random is not set');
  return r;
}

/** jhash over `len` register bytes, scaled to the modulus, plus the offset. */
export function jhashValue(reg: Uint8Array, len: number, seed: number, mod: number, offset: number): number {
  return (reciprocalScale(jhashBytes(reg, 0, len, seed >>> 0), mod) + offset) >>> 0;
}

/** symhash: the symmetric flow hash of the packet, scaled to the modulus, plus the offset. */
export function symhashValue(ctx: PacketContext, mod: number, offset: number, scratch: Uint8Array): number {
  const key = ctx.flowHashKey;
  if (key === undefined) throw new Error('nft symhash needs the host flow-hash key: PacketContext.flowHashKey is not set');
  return (reciprocalScale(symmetricHash(ctx.pkt, key, scratch), mod) + offset) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// the expressions as keys

/** A 32-bit value computed per packet, as a key others compare, look up or store. */
function valueKey(text: string, num: (ctx: PacketContext) => number, needs?: string): Key {
  const type = T.integer;
  return {
    text,
    fields: [fieldOf(type)],
    bytes: 4,
    num,
    type,
    needs,
    load(ctx, buf, off) {
      const v = num(ctx);
      if (v < 0) return false;
      buf[off] = v >>> 24;
      buf[off + 1] = (v >>> 16) & 255;
      buf[off + 2] = (v >>> 8) & 255;
      buf[off + 3] = v & 255;
      return true;
    },
  };
}

/** The kernel refuses a modulus of 0 and a range that wraps past 2^32 (ERANGE / EOVERFLOW). */
function checkRange(e: Expr & { mod: number; offset: number }): void {
  if (e.mod < 1 || e.mod > 0xffffffff) throw new ValueError(e, 'Could not process rule: Numerical result out of range');
  if (e.offset + e.mod - 1 > 0xffffffff) throw new ValueError(e, 'Could not process rule: Value too large for defined data type');
}

/** `numgen inc|random mod N [offset O]`. */
export function numgenKey(e: Expr & { k: 'numgen' }): Key {
  checkRange(e);
  const text = `numgen ${e.mode} mod ${e.mod}${e.offset ? ` offset ${e.offset}` : ''}`;
  if (e.mode === 'random') return valueKey(text, (ctx) => numgenRandom(ctx, e.mod, e.offset));
  const gen = new NumgenInc(e.mod, e.offset);
  return valueKey(text, () => gen.next());
}

/** `jhash EXPR mod N [seed S] [offset O]` over the key `inner`, or `symhash mod N [offset O]`. */
export function hashKey(e: Expr & { k: 'hash' }, inner: Key | null): Key {
  checkRange(e);
  const tail = `mod ${e.mod}${e.seed !== null ? ` seed 0x${(e.seed >>> 0).toString(16)}` : ''}${e.offset ? ` offset ${e.offset}` : ''}`;
  if (e.kind === 'symhash' || inner === null) {
    const scratch = new Uint8Array(72);
    return valueKey(`symhash ${tail}`, (ctx) => symhashValue(ctx, e.mod, e.offset, scratch));
  }
  const len = inner.bytes;
  if (len > 255) throw new ValueError(e, 'Could not process rule: Numerical result out of range');
  const reg = new Uint8Array(Math.ceil(len / 4) * 4);
  let seed = e.seed;
  return valueKey(
    `jhash ${inner.text} ${tail}`,
    (ctx) => {
      reg.fill(0);
      if (!inner.load(ctx, reg, 0)) return -1;
      // without a seed the kernel draws one when the rule is loaded: here on first use
      if (seed === null) seed = randomOf(ctx)();
      return jhashValue(reg, len, seed, e.mod, e.offset);
    },
    inner.needs,
  );
}
