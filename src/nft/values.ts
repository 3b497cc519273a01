/**
 * Constants against a datatype: the bytes a written value stands for (a symbol, a number, an
 * address, a range `a-b`, a prefix `a/n`, a concatenation `a . b`), and the text nft prints for
 * stored values and intervals (a CIDR block of an address type prints as a prefix, any other
 * interval as `lo-hi`).
 */
import type { Expr } from './ast.js';
import type { DType } from './datatypes.js';
import type { Field } from './sets.js';

/** A resolved key: an interval [lo, hi] (lo === hi content for a single value). */
export interface KeyValue {
  readonly lo: Uint8Array;
  readonly hi: Uint8Array;
}

/** Raised with the AST node to blame; the evaluator adds the file, line and column. */
export class ValueError extends Error {
  constructor(
    readonly at: Expr,
    message: string,
  ) {
    super(message);
  }
}

export function fieldOf(type: DType): Field {
  return { type, bytes: type.bytes, slot: Math.ceil(type.bytes / 4) * 4 };
}

/** Bytes of one constant of `type`; a `-` inside may make it a range. */
function constInterval(e: Expr & { k: 'const' }, type: DType): KeyValue {
  const whole = type.parse(e.text, e.quoted);
  if (typeof whole !== 'string') return { lo: whole, hi: whole };
  if (!e.quoted) {
    for (let i = e.text.indexOf('-', 1); i > 0; i = e.text.indexOf('-', i + 1)) {
      const lo = type.parse(e.text.slice(0, i), false);
      const hi = type.parse(e.text.slice(i + 1), false);
      if (typeof lo !== 'string' && typeof hi !== 'string') {
        if (compare(lo, hi) > 0) throw new ValueError(e, 'Range has zero or negative size');
        return { lo, hi };
      }
    }
  }
  throw new ValueError(e, whole);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A single value of `type` (no ranges). */
export function constValue(e: Expr, type: DType): Uint8Array {
  const v = valueInterval(e, type);
  if (compare(v.lo, v.hi) !== 0) throw new ValueError(e, `a single ${type.name} value is expected here`);
  return v.lo;
}

/** One field's value or interval: constant, `a-b`, `a - b`, `a/n`, `a|b` (bits or'ed). */
export function valueInterval(e: Expr, type: DType): KeyValue {
  switch (e.k) {
    case 'const':
      return constInterval(e, type);
    case 'range': {
      const lo = constValue(e.lo, type);
      const hi = constValue(e.hi, type);
      if (compare(lo, hi) > 0) throw new ValueError(e, 'Range has zero or negative size');
      return { lo, hi };
    }
    case 'prefix': {
      const base = constValue(e.base, type);
      const bits = type.bytes * 8;
      if (e.len > bits) throw new ValueError(e, `Prefix length ${e.len} is invalid for type of ${bits} bits`);
      const lo = base.slice();
      const hi = base.slice();
      for (let bit = e.len; bit < bits; bit++) {
        const byte = bit >> 3;
        const m = 0x80 >> (bit & 7);
        lo[byte]! &= ~m;
        hi[byte]! |= m;
      }
      return { lo, hi };
    }
    case 'binop':
    case 'list': {
      if (e.k === 'binop' && e.op !== '|') throw new ValueError(e, 'only | combines constants');
      const items = e.k === 'list' ? e.items : [e.l, e.r];
      const out = new Uint8Array(type.bytes);
      for (const it of items) {
        const v = constValue(it, type);
        for (let i = 0; i < out.length; i++) out[i]! |= v[i]!;
      }
      return { lo: out, hi: out };
    }
    default:
      throw new ValueError(e, `a constant value of type ${type.name} is expected here`);
  }
}

/** A key of several fields (a concatenation), each padded to its slot. */
export function keyInterval(e: Expr, fields: readonly Field[]): KeyValue {
  if (fields.length === 1) return valueInterval(e, fields[0]!.type);
  const parts = e.k === 'concat' ? e.parts : [e];
  if (parts.length !== fields.length) {
    throw new ValueError(e, `datatype mismatch: this key has ${fields.length} fields, the value ${parts.length}`);
  }
  const total = fields.reduce((n, f) => n + f.slot, 0);
  const lo = new Uint8Array(total);
  const hi = new Uint8Array(total);
  let off = 0;
  fields.forEach((f, i) => {
    const v = valueInterval(parts[i]!, f.type);
    lo.set(v.lo, off);
    hi.set(v.hi, off);
    off += f.slot;
  });
  return { lo, hi };
}

/** Prefix length when [lo, hi] is a CIDR block, else -1. */
function prefixLen(lo: Uint8Array, hi: Uint8Array): number {
  const bits = lo.length * 8;
  let n = 0;
  while (n < bits && ((lo[n >> 3]! ^ hi[n >> 3]!) & (0x80 >> (n & 7))) === 0) n++;
  for (let b = n; b < bits; b++) {
    const m = 0x80 >> (b & 7);
    if ((lo[b >> 3]! & m) !== 0 || (hi[b >> 3]! & m) === 0) return -1;
  }
  return n;
}

/** Text of a value or interval of one field. */
export function intervalText(type: DType, lo: Uint8Array, hi: Uint8Array): string {
  if (compare(lo, hi) === 0) return type.print(lo);
  if (type.prefixable) {
    const n = prefixLen(lo, hi);
    if (n >= 0) return `${type.print(lo)}/${n}`;
  }
  return `${type.print(lo)}-${type.print(hi)}`;
}

/** Text of a (possibly concatenated) key. */
export function keyText(fields: readonly Field[], lo: Uint8Array, hi: Uint8Array): string {
  if (fields.length === 1) return intervalText(fields[0]!.type, lo.subarray(0, fields[0]!.bytes), hi.subarray(0, fields[0]!.bytes));
  let off = 0;
  const parts: string[] = [];
  for (const f of fields) {
    parts.push(intervalText(f.type, lo.subarray(off, off + f.bytes), hi.subarray(off, off + f.bytes)));
    off += f.slot;
  }
  return parts.join(' . ');
}
