/**
 * nft sets and maps: named ones declared in a table and the anonymous ones a rule carries
 * (`tcp dport { 22, 80 }`), with elements that are single keys or intervals (prefixes and
 * ranges, `flags interval`), per-field intervals for concatenations (the kernel's pipapo),
 * optional data (maps: a value, or a verdict for vmaps), timeouts in virtual time, and elements
 * added and refreshed from the packet path (`add @s { ip saddr }`, `update`, meters).
 *
 * Keys are byte strings; a concatenation's fields are each padded to 4 bytes as the kernel's
 * registers hold them. Lookups allocate nothing: a key of up to 4 bytes is a number, a longer one
 * is hashed to pick a bucket; intervals are searched in order of their start.
 */
import type { DType } from './datatypes.js';

export interface Field {
  readonly type: DType;
  /** Bytes of the value, and of its slot in a concatenation (padded to 4). */
  readonly bytes: number;
  readonly slot: number;
}

export interface Elem {
  readonly lo: Uint8Array;
  readonly hi: Uint8Array;
  readonly loNum: number;
  readonly hiNum: number;
  /** Map data (bytes) or verdict, or null for sets. */
  data: ElemData | null;
  /** Absolute expiry (virtual seconds) or null; NaN until the ruleset's clock starts. */
  expires: number | null;
  /** Timeout in ms given for the element, or null. */
  timeout: number | null;
  comment: string | null;
  counter: { packets: number; bytes: number } | null;
  /** Per-element state of dynamic-set statements (limits, counters, quotas). */
  state: unknown[] | null;
}

export type ElemData =
  | { readonly kind: 'value'; readonly bytes: Uint8Array; readonly hiBytes: Uint8Array | null; compiled?: unknown }
  | { readonly kind: 'verdict'; readonly v: string; readonly chain: string | null; compiled?: unknown };

export class NftSet {
  readonly elems: Elem[] = [];
  private readonly byNum = new Map<number, Elem>();
  private readonly byHash = new Map<number, Elem[]>();
  private ranges: Elem[] = [];
  readonly keyBytes: number;
  readonly numeric: boolean;
  /** Static elements with timeouts wait for the ruleset clock (see ir.ts anchorSet). */
  pendingTimeouts = false;
  /** Fields of map data when it is a concatenation (NAT `addr . port` maps). */
  dataFields: Field[] | null = null;

  constructor(
    readonly name: string,
    readonly handle: number,
    readonly fields: readonly Field[],
    readonly isMap: boolean,
    readonly dataType: DType | 'verdict' | null,
    readonly flags: Set<string>,
    readonly opts: {
      anonymous: boolean;
      timeout: number | null;
      gcInterval: number | null;
      size: number | null;
      policy: string | null;
      autoMerge: boolean;
      counter: boolean;
      comment: string | null;
      /** `typeof` expressions' texts, printed instead of type names. */
      typeofText: string | null;
      dataTypeofText: string | null;
    },
  ) {
    this.keyBytes = fields.length === 1 ? fields[0]!.bytes : fields.reduce((n, f) => n + f.slot, 0);
    this.numeric = this.keyBytes <= 4;
  }

  get interval(): boolean {
    return this.flags.has('interval');
  }

  get anonymous(): boolean {
    return this.opts.anonymous;
  }

  /** Adds an element; false when the key is already there (the caller decides if that is an error). */
  add(e: Elem): boolean {
    if (this.find(e.lo, e.hi) !== null) return false;
    this.elems.push(e);
    this.index(e);
    return true;
  }

  private index(e: Elem): void {
    if (!isSingle(e)) {
      this.ranges.push(e);
      this.ranges.sort((a, b) => compareBytes(a.lo, b.lo));
      return;
    }
    if (this.numeric) this.byNum.set(e.loNum, e);
    else {
      const h = hashBytes(e.lo, 0, e.lo.length);
      const list = this.byHash.get(h);
      if (list) list.push(e);
      else this.byHash.set(h, [e]);
    }
  }

  /** The element with exactly this key / interval, or null. */
  find(lo: Uint8Array, hi: Uint8Array): Elem | null {
    for (const e of this.elems) if (compareBytes(e.lo, lo) === 0 && compareBytes(e.hi, hi) === 0) return e;
    return null;
  }

  remove(e: Elem): void {
    const i = this.elems.indexOf(e);
    if (i < 0) return;
    this.elems.splice(i, 1);
    this.reindex();
  }

  clear(): void {
    this.elems.length = 0;
    this.reindex();
  }

  private reindex(): void {
    this.byNum.clear();
    this.byHash.clear();
    this.ranges = [];
    for (const e of this.elems) this.index(e);
  }

  /** Lookup of a numeric key (keyBytes <= 4). */
  lookupNum(v: number, now: number): Elem | null {
    const e = this.byNum.get(v);
    if (e !== undefined && live(e, now)) return e;
    const r = this.ranges;
    for (let i = 0; i < r.length; i++) {
      const x = r[i]!;
      if (x.loNum > v) break;
      if (v <= x.hiNum && live(x, now)) return x;
    }
    return null;
  }

  /** Lookup of a key held in buf[off..off+keyBytes). */
  lookup(buf: Uint8Array, off: number, now: number): Elem | null {
    const n = this.keyBytes;
    // keys of up to 4 bytes are indexed by number
    if (this.numeric) {
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + buf[off + i]!;
      return this.lookupNum(v, now);
    }
    const list = this.byHash.get(hashBytes(buf, off, n));
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        if (equalAt(e.lo, buf, off, n) && live(e, now)) return e;
      }
    }
    const r = this.ranges;
    const perField = this.fields.length > 1;
    for (let i = 0; i < r.length; i++) {
      const x = r[i]!;
      if (!live(x, now)) continue;
      if (perField ? this.inFields(x, buf, off) : inRange(x, buf, off, n)) return x;
    }
    return null;
  }

  private inFields(x: Elem, buf: Uint8Array, off: number): boolean {
    let o = 0;
    for (const f of this.fields) {
      if (compareAt(buf, off + o, x.lo, o, f.slot) < 0 || compareAt(buf, off + o, x.hi, o, f.slot) > 0) return false;
      o += f.slot;
    }
    return true;
  }

  /** Elements still alive at `now`, sorted by key as nft lists them. */
  listed(now: number | null): Elem[] {
    const out = this.elems.filter((e) => now === null || live(e, now));
    return out.sort((a, b) => compareBytes(a.lo, b.lo));
  }
}

function isSingle(e: Elem): boolean {
  return compareBytes(e.lo, e.hi) === 0;
}

function live(e: Elem, now: number): boolean {
  return e.expires === null || !(now >= e.expires);
}

function inRange(x: Elem, buf: Uint8Array, off: number, n: number): boolean {
  return compareAt(buf, off, x.lo, 0, n) >= 0 && compareAt(buf, off, x.hi, 0, n) <= 0;
}

function equalAt(a: Uint8Array, buf: Uint8Array, off: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== buf[off + i]) return false;
  return true;
}

/** memcmp of buf[off..off+n) against k[koff..koff+n). */
export function compareAt(buf: Uint8Array, off: number, k: Uint8Array, koff: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const d = buf[off + i]! - k[koff + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** FNV-1a over buf[off..off+n). */
export function hashBytes(buf: Uint8Array, off: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[off + i]!, 0x01000193);
  return h >>> 0;
}

/** A new element for key interval [lo, hi]. */
export function makeElem(lo: Uint8Array, hi: Uint8Array): Elem {
  const num = (b: Uint8Array): number => (b.length <= 4 ? b.reduce((n, x) => n * 256 + x, 0) : -1);
  return { lo, hi, loNum: num(lo), hiNum: num(hi), data: null, expires: null, timeout: null, comment: null, counter: null, state: null };
}
