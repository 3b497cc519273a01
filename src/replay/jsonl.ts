/**
 * The contract's --jsonl lines written straight into bytes: the same text as
 * `JSON.stringify(packetResult)` (the same keys in the same order, the same escapes), without
 * building the result object, the packets' hex strings or the JSON string first. The replay's
 * hot path; `test/replay/jsonl.test.ts` checks it against JSON.stringify on random and recorded
 * results.
 *
 * Lines accumulate in one buffer; `take()` hands out what was written (a view, valid until the
 * next write) so a sink can write big chunks.
 */
import type { HostResult } from '../host/host.js';

/** Two lower-case hex digits per byte, as one little-endian 16-bit word (first digit first). */
const HEX_PAIRS = (() => {
  const t = new Uint16Array(256);
  const d = '0123456789abcdef';
  for (let b = 0; b < 256; b++) t[b] = d.charCodeAt(b >> 4) | (d.charCodeAt(b & 15) << 8);
  return t;
})();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HEX_DIGITS = '0123456789abcdef';

/** JSON.stringify's escapes for the control characters (the rest are \u00XX). */
const SHORT_ESCAPES: Record<number, number> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };

/** Keys of a result line, pre-encoded. */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const K_I = ascii('{"i":');
const K_IFACE = ascii(',"iface":');
const K_VERDICT = ascii(',"verdict":"');
const K_CTSTATE = ascii(',"ctstate":');
const K_CTDIR = ascii(',"ctdir":');
const K_OUT = ascii(',"out":[');
const K_OUT_IFACE = ascii('{"iface":');
const K_HEX = ascii(',"hex":"');
const K_GEN_TRUE = ascii('","gen":true}');
const K_GEN_FALSE = ascii('","gen":false}');
const K_RULES = ascii('],"rules":');
const K_EVENTS = ascii(',"events":');
const K_WHY = ascii(',"why":');
const K_LOG = ascii(',"log":');
const K_TRACE = ascii(',"trace":');
const NULL = ascii('null');

export class JsonlEncoder {
  private buf: Uint8Array;
  /** The same buffer as 16-bit words (hex digit pairs are stored two bytes at a time). */
  private words: Uint16Array;
  private pos = 0;

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(Math.max(64, initial + (initial & 1)));
    this.words = new Uint16Array(this.buf.buffer);
  }

  /** Bytes written since the last take. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view of the encoder's buffer, valid until the next write); empties it. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** Appends the line for packet `i` (ingress `iface`, null for a local packet) and its newline. */
  line(i: number, iface: string | null, r: HostResult): void {
    this.raw(K_I);
    this.num(i);
    this.raw(K_IFACE);
    this.strOrNull(iface);
    this.raw(K_VERDICT);
    this.ascii(r.verdict);
    this.byte(0x22);
    this.raw(K_CTSTATE);
    this.strOrNull(r.ctstate);
    this.raw(K_CTDIR);
    this.strOrNull(r.ctdir);
    this.raw(K_OUT);
    for (let k = 0; k < r.out.length; k++) {
      const o = r.out[k]!;
      if (k > 0) this.byte(0x2c);
      this.raw(K_OUT_IFACE);
      this.str(o.iface);
      this.raw(K_HEX);
      this.hex(o.bytes);
      this.raw(o.gen ? K_GEN_TRUE : K_GEN_FALSE);
    }
    this.raw(K_RULES);
    this.strings(r.rules);
    this.raw(K_EVENTS);
    this.strings(r.events);
    if (r.verdict === 'DROPPED' && r.dropReason) {
      this.raw(K_WHY);
      this.str(r.dropReason);
    }
    if (r.log.length) {
      this.raw(K_LOG);
      this.strings(r.log);
    }
    if (r.trace) {
      this.raw(K_TRACE);
      this.strings(r.trace);
    }
    this.byte(0x7d);
    this.byte(0x0a);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.words = new Uint16Array(b.buffer);
  }

  private byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  private raw(a: Uint8Array): void {
    this.room(a.length);
    this.buf.set(a, this.pos);
    this.pos += a.length;
  }

  /** A string known to need no escaping (the verdict). */
  private ascii(s: string): void {
    this.room(s.length);
    for (let k = 0; k < s.length; k++) this.buf[this.pos++] = s.charCodeAt(k);
  }

  private num(n: number): void {
    this.ascii(String(n));
  }

  private strOrNull(s: string | null): void {
    if (s === null) this.raw(NULL);
    else this.str(s);
  }

  private strings(a: readonly string[]): void {
    this.byte(0x5b);
    for (let k = 0; k < a.length; k++) {
      if (k > 0) this.byte(0x2c);
      this.str(a[k]!);
    }
    this.byte(0x5d);
  }

  /** A JSON string as JSON.stringify writes it, UTF-8 encoded. */
  private str(s: string): void {
    // Worst case: 6 bytes per UTF-16 unit (\uXXXX), plus the quotes.
    this.room(s.length * 6 + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
        b[p++] = c;
      } else if (c === 0x22 || c === 0x5c) {
        b[p++] = 0x5c;
        b[p++] = c;
      } else if (c < 0x20) {
        b[p++] = 0x5c;
        const short = SHORT_ESCAPES[c];
        if (short !== undefined) b[p++] = short;
        else {
          b[p++] = 0x75;
          b[p++] = 0x30;
          b[p++] = 0x30;
          b[p++] = HEX_DIGITS.charCodeAt(c >> 4);
          b[p++] = HEX_DIGITS.charCodeAt(c & 15);
        }
      } else if (c < 0x80) {
        b[p++] = c; // DEL
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = k + 1 < s.length ? s.charCodeAt(k + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          b[p++] = 0xf0 | (cp >> 18);
          b[p++] = 0x80 | ((cp >> 12) & 63);
          b[p++] = 0x80 | ((cp >> 6) & 63);
          b[p++] = 0x80 | (cp & 63);
          k++;
        } else {
          // A lone surrogate: well-formed JSON.stringify writes it as \udXXX.
          b[p++] = 0x5c;
          b[p++] = 0x75;
          for (let sh = 12; sh >= 0; sh -= 4) b[p++] = HEX_DIGITS.charCodeAt((c >> sh) & 15);
        }
      } else {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      }
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  /** Lower-case hex of the bytes, two digits per byte. */
  private hex(bytes: Uint8Array): void {
    const n = bytes.length;
    this.room(n * 2 + 1);
    const b = this.buf;
    let p = this.pos;
    if (LITTLE_ENDIAN && (p & 1) === 0) {
      const w = this.words;
      const at = p >> 1;
      for (let k = 0; k < n; k++) w[at + k] = HEX_PAIRS[bytes[k]!]!;
      p += n * 2;
    } else {
      for (let k = 0; k < n; k++) {
        const x = HEX_PAIRS[bytes[k]!]!;
        b[p++] = x & 0xff;
        b[p++] = x >> 8;
      }
    }
    this.pos = p;
  }
}
