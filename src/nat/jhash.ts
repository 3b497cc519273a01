/**
 * Bob Jenkins' lookup3 hash over 32-bit words (the kernel's jhash2) and the multiply-shift
 * scaling (reciprocal_scale) NAT uses to pick an address in a range.
 *
 * The kernel hashes address words as they lie in memory: network byte order read as a
 * little-endian u32 on x86. `memWord` turns a host-order address word (as tuples hold them)
 * into that value, so address choices come out exactly as on the recording machine.
 */

/** JHASH_INITVAL. */
const INITVAL = 0xdeadbeef;

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Byte swap of a 32-bit word. */
export function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** A host-order address word as the kernel's u32 load of its network-order bytes sees it (x86). */
export function memWord(w: number): number {
  return bswap32(w >>> 0);
}

/**
 * jhash2 of the first `length` words of `k` (each already a u32 as the kernel loads it) with
 * `initval`.
 */
export function jhash2(k: ArrayLike<number>, length: number, initval: number): number {
  let a = (INITVAL + (length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  let n = length;
  while (n > 3) {
    a = (a + k[i]!) >>> 0;
    b = (b + k[i + 1]!) >>> 0;
    c = (c + k[i + 2]!) >>> 0;
    // __jhash_mix
    a = ((a - c) ^ rol32(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rol32(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rol32(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = ((a - c) ^ rol32(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rol32(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rol32(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    n -= 3;
    i += 3;
  }
  if (n === 0) return c;
  if (n === 3) c = (c + k[i + 2]!) >>> 0;
  if (n >= 2) b = (b + k[i + 1]!) >>> 0;
  a = (a + k[i]!) >>> 0;
  // __jhash_final
  c = ((c ^ b) - rol32(b, 14)) >>> 0;
  a = ((a ^ c) - rol32(c, 11)) >>> 0;
  b = ((b ^ a) - rol32(a, 25)) >>> 0;
  c = ((c ^ b) - rol32(b, 16)) >>> 0;
  a = ((a ^ c) - rol32(c, 4)) >>> 0;
  b = ((b ^ a) - rol32(a, 14)) >>> 0;
  c = ((c ^ b) - rol32(b, 24)) >>> 0;
  return c;
}

/** (u64)value * range >> 32, exactly (the kernel's reciprocal_scale). */
export function reciprocalScale(value: number, range: number): number {
  const a = value >>> 0;
  const b = range >>> 0;
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  const carry = (Math.floor(lo / 0x10000) + (mid1 % 0x10000) + (mid2 % 0x10000)) >>> 16;
  return (aHi * bHi + Math.floor(mid1 / 0x10000) + Math.floor(mid2 / 0x10000) + carry) >>> 0;
}
