/**
 * 32-bit TCP sequence-number arithmetic (RFC 1982 style, as the kernel's before()/after()):
 * sequence numbers are plain numbers in 0 .. 2^32-1 and every sum is taken modulo 2^32.
 */

/** a + b modulo 2^32. */
export function seqAdd(a: number, b: number): number {
  return (a + b) >>> 0;
}

/** a - b modulo 2^32. */
export function seqSub(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** True when `a` comes before `b` (their distance, as a signed 32-bit number, is negative). */
export function seqBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** True when `a` comes after `b`. */
export function seqAfter(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}
