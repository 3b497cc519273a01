/**
 * Small readers shared by the NAT modules: big-endian 16- and 32-bit fields of packet bytes, and
 * equality of four-word addresses (IPv4 in word 0, as tuples hold them).
 */

/** Big-endian 16-bit value at `o`. */
export function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Big-endian 32-bit value at `o` (unsigned). */
export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** The same four address words. */
export function sameWords(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
