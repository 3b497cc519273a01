/**
 * Keyed hashing for the connection table: HalfSipHash-2-4 (32-bit words, 64-bit key, 32-bit
 * result), the 32-bit member of the SipHash family the kernel also uses on 32-bit machines.
 *
 * A keyed PRF rather than a plain mixing hash: without the key an attacker cannot build tuples
 * that collide, so a flood of crafted packets cannot turn bucket chains into lists (the reason
 * the kernel moved conntrack from jhash to siphash). The key comes from a seed given when the
 * table is created: the CLI passes a random one, tests a fixed one.
 *
 * The hasher is a reusable object fed word by word (no arrays, no allocation per hash).
 */

/** Two 32-bit key words derived from a seed and a salt (so one seed can key several hashers). */
export function deriveKey(seed: number, salt: number): [number, number] {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x100000000) >>> 0;
  const k0 = mix32(lo ^ Math.imul(salt + 1, 0x9e3779b9));
  const k1 = mix32(hi ^ k0 ^ Math.imul(salt + 7, 0x85ebca6b));
  return [k0, k1];
}

/** A 32-bit finaliser (murmur3 fmix) used only to spread seed bits into key words. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

/** HalfSipHash-2-4 fed with whole 32-bit words. */
export class HalfSipHash {
  /** The key words (int32). */
  readonly k0: number;
  readonly k1: number;
  private v0 = 0;
  private v1 = 0;
  private v2 = 0;
  private v3 = 0;
  private bytes = 0;

  constructor(k0: number, k1: number) {
    this.k0 = k0 | 0;
    this.k1 = k1 | 0;
  }

  /** Starts a new message. */
  begin(): this {
    this.v0 = this.k0;
    this.v1 = this.k1;
    this.v2 = 0x6c796765 ^ this.k0;
    this.v3 = 0x74656462 ^ this.k1;
    this.bytes = 0;
    return this;
  }

  /** Adds one 32-bit word (its four bytes, little-endian, as the reference feeds byte strings). */
  word(m: number): this {
    const w = m | 0;
    this.v3 ^= w;
    this.round();
    this.round();
    this.v0 ^= w;
    this.bytes += 4;
    return this;
  }

  /** Finishes the message and returns the 32-bit hash. */
  end(): number {
    const b = (this.bytes & 0xff) << 24;
    this.v3 ^= b;
    this.round();
    this.round();
    this.v0 ^= b;
    this.v2 ^= 0xff;
    this.round();
    this.round();
    this.round();
    this.round();
    return (this.v1 ^ this.v3) >>> 0;
  }

  private round(): void {
    let v0 = this.v0;
    let v1 = this.v1;
    let v2 = this.v2;
    let v3 = this.v3;
    v0 = (v0 + v1) | 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
    this.v0 = v0;
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
  }
}

/**
 * HalfSipHash-2-4 of the first `n` words of `w`, with key (k0, k1): the same value as
 * `new HalfSipHash(k0, k1).begin().word(w[0])...word(w[n-1]).end()`, in one call with the state
 * in locals (what the table's hot path uses).
 */
export function halfSipHashWords(k0: number, k1: number, w: Int32Array, n: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = (0x6c796765 ^ k0) | 0;
  let v3 = (0x74656462 ^ k1) | 0;
  const lengthWord = ((n * 4) & 0xff) << 24;
  // The message words, then the length word: two rounds each.
  for (let i = 0; i <= n; i++) {
    const m = i < n ? w[i]! | 0 : lengthWord;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0;
      v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
      v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0;
      v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
      v2 = (v2 << 16) | (v2 >>> 16);
    }
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0;
    v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
    v2 = (v2 << 16) | (v2 >>> 16);
  }
  return (v1 ^ v3) >>> 0;
}

/** Maps a 32-bit hash onto [0, size) without a modulo bias worth speaking of (the kernel's reciprocal_scale). */
export function scaleHash(hash: number, size: number): number {
  return Math.floor(((hash >>> 0) * size) / 0x100000000);
}

/**
 * A small deterministic pseudo-random sequence (xorshift32) for the few places where the kernel
 * draws a random number (the chain length limit on insertion). Seeded, never Math.random.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number, salt: number) {
    const [k0] = deriveKey(seed, salt);
    this.state = k0 === 0 ? 0x6d2b79f5 : k0;
  }

  /** Next 32-bit value. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Uniform-enough integer in [0, n). */
  below(n: number): number {
    return scaleHash(this.next(), n);
  }
}
