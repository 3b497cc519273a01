/**
 * Byte-level text parsing as the kernel's helpers do it on packet payloads (no strings are made
 * on the packet path): case-insensitive prefix comparison (strncasecmp, ASCII folding: the
 * kernel's Latin-1 folding never maps a byte to an ASCII letter), simple_strtoul, and the
 * kernel's address parsers in4_pton / in6_pton with their exact acceptance rules (a delimiter
 * byte or -1 for "anything that is not part of an address"), plus the small text builders the
 * NAT helpers use for replacement text.
 */

/** ASCII lower case of a byte. */
export function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** strncasecmp(buf + off, pattern, n) === 0, reading at most up to `end`. */
export function startsWithCi(buf: Uint8Array, off: number, end: number, pattern: string, n = pattern.length): boolean {
  for (let i = 0; i < n; i++) {
    const a = off + i < end ? buf[off + i]! : 0;
    const b = pattern.charCodeAt(i);
    if (a === 0) return false;
    if (a !== b && lower(a) !== lower(b)) return false;
  }
  return true;
}

/** memcmp(buf + off, pattern, pattern.length) === 0 (bytes past `end` never match). */
export function startsWith(buf: Uint8Array, off: number, end: number, pattern: string): boolean {
  if (off + pattern.length > end) return false;
  for (let i = 0; i < pattern.length; i++) if (buf[off + i] !== pattern.charCodeAt(i)) return false;
  return true;
}

/** The bytes of an ASCII string. */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Latin-1 text of a byte range (diagnostics, tests). */
export function text(buf: Uint8Array, off: number, end: number): string {
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/** Result of a number parse: the value and the offset just past the digits. */
export interface Parsed {
  value: number;
  end: number;
}

/**
 * simple_strtoul(s, &end, 10) on the bytes from `off` (`end` bounds the read): decimal digits,
 * the value modulo 2^32 as the callers keep it (they store it in 32 or 16 bits).
 */
export function strtoul(buf: Uint8Array, off: number, end: number, out: Parsed): Parsed {
  let v = 0;
  let i = off;
  while (i < end && isDigit(buf[i]!)) {
    v = (Math.imul(v, 10) + (buf[i]! - 0x30)) >>> 0;
    i++;
  }
  out.value = v;
  out.end = i;
  return out;
}

// ------------------------------------------------------------------------------------------------
// in4_pton / in6_pton (net/core/utils.c)

const XDIGIT = 0x00010000;
const DIGIT = 0x00020000;
const COLON_MASK = 0x00700000;
const COLON_1 = 0x00100000;
const COLON_2 = 0x00200000;
const COLON_1_2 = 0x00400000;
const DOT = 0x00800000;
const DELIM = 0x10000000;
const NULL_ = 0x20000000;
const UNKNOWN = 0x40000000;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = lower(c);
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** xdigit2bin: the class of a byte for the address parsers; `delim` -1 makes any other byte a delimiter. */
function classify(c: number, delim: number): number {
  if (c === delim || c === 0) return DELIM;
  if (c === 0x3a) return COLON_MASK;
  if (c === 0x2e) return DOT;
  const v = hexValue(c);
  if (v >= 0) return v | XDIGIT | (v < 10 ? DIGIT : 0);
  if (delim === -1) return DELIM;
  return UNKNOWN;
}

/** The address parsed and the offset where parsing stopped (the kernel's `end`). */
export interface PtonResult {
  ok: boolean;
  end: number;
}

/**
 * in4_pton: a dotted quad from `off` (at most `len` bytes; bytes past them read as NUL), ended by
 * `delim` (or NUL, or a colon; with -1 anything else). Writes the address word to out[0].
 */
export function in4Pton(buf: Uint8Array, off: number, len: number, out: Uint32Array, delim: number, res: PtonResult): PtonResult {
  let s = off;
  let left = len;
  let w = 0;
  let i = 0;
  let addr = 0;
  res.ok = false;
  for (;;) {
    const c = classify(left > 0 ? buf[s]! : 0, delim);
    if (!(c & (DIGIT | DOT | DELIM | COLON_MASK))) break;
    if (c & (DOT | DELIM | COLON_MASK)) {
      if (w === 0) break;
      addr = ((addr << 8) | (w & 0xff)) >>> 0;
      w = 0;
      i++;
      if (c & (DELIM | COLON_MASK)) {
        if (i === 4) {
          out[0] = addr;
          res.ok = true;
        }
        break;
      }
    } else {
      w = (Math.imul(w, 10) + c) | 0;
      if ((w & 0xffff) > 255) break;
    }
    if (i >= 4) break;
    s++;
    left--;
  }
  res.end = s;
  return res;
}

/**
 * in6_pton: an IPv6 address from `off` (at most `len` bytes), ended by `delim` (or NUL; with -1
 * anything that is not part of an address), with `::` and a trailing dotted quad. Writes the
 * four words to `out` on success.
 */
export function in6Pton(buf: Uint8Array, off: number, len: number, out: Uint32Array, delim: number, res: PtonResult): PtonResult {
  const dbuf = new Uint8Array(16);
  let d = 0;
  let dc = -1;
  let tok = -1;
  let state = COLON_1_2 | XDIGIT | NULL_;
  let w = 0;
  let s = off;
  let left = len;
  const v4 = new Uint32Array(1);
  res.ok = false;
  for (;;) {
    const c = classify(left > 0 ? buf[s]! : 0, delim);
    if (!(c & state)) {
      res.end = s;
      return res;
    }
    if (c & (DELIM | COLON_MASK)) {
      if (!(state & NULL_)) {
        dbuf[d++] = (w >> 8) & 0xff;
        dbuf[d++] = w & 0xff;
      }
      w = 0;
      if (c & DELIM) break;
      switch (state & COLON_MASK) {
        case COLON_2:
          dc = d;
          state = XDIGIT | DELIM;
          if (dc >= 16) state |= NULL_;
          break;
        case COLON_1 | COLON_1_2:
          state = XDIGIT | COLON_2;
          break;
        case COLON_1:
          state = XDIGIT;
          break;
        case COLON_1_2:
          state = COLON_2;
          break;
        default:
          state = 0;
      }
      tok = s + 1;
    } else if (c & DOT) {
      const start = tok >= 0 ? tok : s;
      const r = in4Pton(buf, start, left + (s - start), v4, delim, { ok: false, end: 0 });
      s = r.end;
      if (!r.ok) {
        res.end = s;
        return res;
      }
      dbuf[d++] = v4[0]! >>> 24;
      dbuf[d++] = (v4[0]! >>> 16) & 0xff;
      dbuf[d++] = (v4[0]! >>> 8) & 0xff;
      dbuf[d++] = v4[0]! & 0xff;
      break;
    } else {
      w = (w << 4) | (c & 0xff);
      state = COLON_1 | DELIM;
      if (!(w & 0xf000)) state |= XDIGIT;
      if (dc < 0 && d + 2 < 16) {
        state |= COLON_1_2;
        state &= ~DELIM;
      }
      if (d + 2 >= 16) state &= ~(COLON_1 | COLON_1_2);
    }
    if ((dc >= 0 && d + 4 < 16) || d + 4 === 16) state |= DOT;
    if (d >= 16) state &= ~(XDIGIT | COLON_MASK);
    s++;
    left--;
  }
  const dst = new Uint8Array(16);
  if (dc >= 0) {
    let i = 15;
    let p = d - 1;
    while (p >= dc) dst[i--] = dbuf[p--]!;
    while (i >= dc) dst[i--] = 0;
    while (i >= 0) dst[i--] = dbuf[p--]!;
  } else {
    dst.set(dbuf);
  }
  for (let k = 0; k < 4; k++) out[k] = ((dst[4 * k]! << 24) | (dst[4 * k + 1]! << 16) | (dst[4 * k + 2]! << 8) | dst[4 * k + 3]!) >>> 0;
  res.ok = true;
  res.end = s;
  return res;
}

// ------------------------------------------------------------------------------------------------
// replacement text

/** %pI4. */
export function dotted(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** %pI6: eight groups of four hex digits. */
export function ipv6Full(w: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    parts.push(((w[i]! >>> 16) & 0xffff).toString(16).padStart(4, '0'), (w[i]! & 0xffff).toString(16).padStart(4, '0'));
  }
  return parts.join(':');
}
