/**
 * Transport checksum verification on the conntrack hot path: the same answer as
 * packet/checksum.ts's verifyL4Checksum for TCP, UDP, ICMP and ICMPv6 (other protocols are passed
 * to it), computed faster on long segments.
 *
 * The internet checksum does not depend on byte order (RFC 1071 2.(B)): summing the data as
 * little-endian 16-bit words gives the byte-swapped sum. So the 4-byte-aligned middle of a long
 * segment is summed through a Uint32Array over the packet's ArrayBuffer (one load per 4 bytes),
 * and the result swapped back when the middle starts at an even offset of the covered bytes; the
 * few bytes before and after it are summed one by one. Sums are kept as exact integers until the
 * final fold, so the result is bit for bit the plain computation's (including the all-zero case).
 *
 * The word view of the last buffer seen is kept between calls (a capture held in memory is one
 * buffer); it changes nothing but the speed.
 */
import { verifyL4Checksum } from '../../packet/checksum.js';
import { Proto, type PacketView } from '../../packet/view.js';
import { Hook } from '../../netfilter/context.js';
import type { ConntrackSettings } from '../settings.js';

/** Below this many bytes the byte loop is as fast as setting up the word loop. */
const WORD_LOOP_MIN = 64;
/** Longer runs (never in an IP datagram) take the byte loop. */
const MAX_WORD_LOOP = 65536;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let lastBytes: Uint8Array | null = null;
let lastBuffer: ArrayBufferLike | null = null;
let lastLength = -1;
/** The word view of lastBytes' buffer, or null when it cannot have one (resizable). */
let words: Uint32Array | null = null;

/**
 * A Uint32Array over the whole buffer of `b` (4-byte units), or null; kept while `b` stays the
 * same array over the same buffer (reading `b.buffer` is itself slow).
 */
function wordsOf(b: Uint8Array): Uint32Array | null {
  if (b !== lastBytes || b.byteLength !== lastLength) {
    const ab = b.buffer;
    lastBytes = b;
    lastLength = b.byteLength;
    if (ab !== lastBuffer || words === null || words.length !== ab.byteLength >>> 2) {
      lastBuffer = ab;
      words = (ab as { resizable?: boolean }).resizable === true ? null : new Uint32Array(ab, 0, ab.byteLength >>> 2);
    }
  }
  return words;
}

/** Big-endian 16-bit word sum of b[off, off+len) (odd last byte padded), exact. */
function byteSum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  const end = off + len;
  let i = off;
  for (const even = off + (len & ~1); i < even; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

/** Folds to 16 bits with end-around carry (as checksum.ts's fold). */
function fold(sum: number): number {
  let s = sum;
  while (s > 0x7fffffff) {
    const hi = Math.floor(s / 0x10000);
    s = s - hi * 0x10000 + hi;
  }
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * A number congruent (mod 0xffff) to the big-endian word sum of b[off, off+len), zero exactly
 * when every byte is zero.
 */
function dataSum(b: Uint8Array, off: number, len: number): number {
  if (len < WORD_LOOP_MIN || len > MAX_WORD_LOOP || !LITTLE_ENDIAN) return byteSum(b, off, len);
  const w = wordsOf(b);
  if (w === null) return byteSum(b, off, len);
  const abs = b.byteOffset + off;
  // Bytes up to the first 4-byte boundary, the aligned words, the bytes after the last one.
  const head = (4 - (abs & 3)) & 3;
  const nWords = (len - head) >>> 2;
  const tailStart = head + nWords * 4;
  let s = byteSum(b, off, head);
  // Whole 32-bit words: x = hi * 65536 + lo is congruent to lo + hi modulo 0xffff (65536 is 1),
  // so their plain sum (exact in a double: at most 16384 words of 2^32) stands for the 16-bit
  // word sum, and is zero exactly when the words are.
  let le = 0;
  let i = (abs + head) >>> 2;
  const end = i + nWords;
  for (const end4 = end - 3; i < end4; i += 4) le += w[i]! + w[i + 1]! + w[i + 2]! + w[i + 3]!;
  for (; i < end; i++) le += w[i]!;
  // `le` sums byte-swapped words; the middle starts at offset `head` of the covered bytes.
  const f = fold(le);
  s += (head & 1) === 0 ? ((f & 0xff) << 8) | (f >>> 8) : f;
  // The tail starts at offset head + 4k: the same parity as the middle.
  const tail = byteSumAt(b, off + tailStart, len - tailStart, (tailStart & 1) !== 0);
  return s + tail;
}

/** byteSum of a run that starts at an odd offset of the covered bytes when `odd` (its bytes shift by one). */
function byteSumAt(b: Uint8Array, off: number, len: number, odd: boolean): number {
  if (!odd) return byteSum(b, off, len);
  if (len === 0) return 0;
  // The first byte is the low half of a word; the rest pairs up from there.
  return b[off]! + byteSum(b, off + 1, len - 1);
}

function addrSum(family: number, w: Uint32Array): number {
  if (family !== 6) return (w[0]! >>> 16) + (w[0]! & 0xffff);
  let s = 0;
  for (let i = 0; i < 4; i++) s += (w[i]! >>> 16) + (w[i]! & 0xffff);
  return s;
}

/** verifyL4Checksum, faster for TCP / UDP / ICMP / ICMPv6 (see the file comment). */
export function l4ChecksumOk(v: PacketView): boolean {
  const proto = v.proto;
  let fieldOff: number;
  if (proto === Proto.TCP) fieldOff = 16;
  else if (proto === Proto.UDP) fieldOff = 6;
  else if (proto === Proto.ICMP || proto === Proto.ICMPV6) fieldOff = 2;
  else return verifyL4Checksum(v);
  const p = v.l4Off;
  const len = v.l4Len;
  if (v.family === 0 || p < 0 || len < fieldOff + 2 || v.ipTruncated) return false;
  const b = v.buf;
  if (proto === Proto.UDP && b[p + 6] === 0 && b[p + 7] === 0) return v.family === 4;
  let s = dataSum(b, p, len);
  if (v.family === 4) {
    if (proto !== Proto.ICMP) {
      const a = v.src[0]!;
      const d = v.dst[0]!;
      s += (a >>> 16) + (a & 0xffff) + (d >>> 16) + (d & 0xffff) + proto + (len >>> 16) + (len & 0xffff);
    }
  } else {
    s += addrSum(v.family, v.src) + addrSum(v.family, v.dst) + proto + (len >>> 16) + (len & 0xffff);
  }
  return fold(s) === 0xffff;
}

/** common.ts's badChecksum with the faster verification. */
export function badL4Checksum(pkt: PacketView, hook: number, s: ConntrackSettings): boolean {
  return hook === Hook.PREROUTING && s.checksum && !pkt.ipTruncated && !l4ChecksumOk(pkt);
}
