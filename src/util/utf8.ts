/**
 * UTF-8 encoding and decoding for the engine: TextEncoder / TextDecoder are not part of the
 * engine's ES2022 library (it must run without DOM or Node typings).
 */

/**
 * UTF-8 text of b[start..end), cut at the first NUL (pcapng strings may be NUL-terminated);
 * each malformed byte becomes U+FFFD. (TextDecoder is not part of the engine's ES2022 library.)
 */
export function utf8Decode(b: Uint8Array, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end && b[i] !== 0) {
    const len = utf8SequenceLength(b[i]!);
    const cp = len === 0 ? -1 : utf8CodePoint(b, i, end, len);
    if (cp < 0) {
      out += '\ufffd';
      i += 1;
    } else {
      out += String.fromCodePoint(cp);
      i += len;
    }
  }
  return out;
}

/** Length of the UTF-8 sequence a lead byte starts, 0 when it cannot start one. */
function utf8SequenceLength(c: number): number {
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return 2;
  if (c >= 0xe0 && c <= 0xef) return 3;
  if (c >= 0xf0 && c <= 0xf4) return 4;
  return 0;
}

/** Code point of the `len`-byte sequence at b[i], -1 when truncated, malformed, overlong or a surrogate. */
function utf8CodePoint(b: Uint8Array, i: number, end: number, len: number): number {
  if (len === 1) return b[i]!;
  if (i + len > end) return -1;
  let cp = b[i]! & (0x7f >> len);
  for (let k = 1; k < len; k++) {
    const x = b[i + k]!;
    if ((x & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (x & 0x3f);
  }
  const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  return cp;
}

/** UTF-8 bytes of a string (lone surrogates become U+FFFD). */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}
