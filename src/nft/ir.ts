/**
 * Evaluated statements: what a rule is made of once its expressions have types. Each statement
 * knows its canonical listing text (`text()`, as `nft list ruleset` prints it, counters included)
 * and compiles, once, into an Op: a closure that judges one packet and returns a Code (go on,
 * break out of the rule, or a verdict). Ops allocate nothing; values move through the shared
 * register buffer of the Vm, verdict targets and actions are prepared at compile time.
 */
import type { Action, PacketContext } from '../netfilter/context.js';
import type { LimitSpec, QuotaSpec } from './ast.js';
import type { DType } from './datatypes.js';
import { compareAt, type Elem, type Field, NftSet } from './sets.js';
import { fieldOf } from './values.js';

/** What an Op tells the rule walker. */
export const Code = { NEXT: 0, BREAK: 1, ACCEPT: 2, DROP: 3, JUMP: 4, GOTO: 5, RETURN: 6, ACTION: 7 } as const;

export type Op = (ctx: PacketContext) => number;

/** Shared scratch of one compiled ruleset. */
export interface Vm {
  readonly reg: Uint8Array;
  /** Target of the last JUMP / GOTO. */
  chain: unknown;
  /** Action of the last ACTION. */
  action: Action | null;
  /** Where counters report ("FAMILY TABLE CHAIN N"). */
  trace: string[];
}

export interface CompileCtx {
  readonly vm: Vm;
  /** This rule's trace entry. */
  readonly trace: string;
  /** The compiled chain called NAME in this table. */
  chain(name: string): unknown;
  /** Resolves the ruleset clock for static element timeouts. */
  epoch(now: number): number;
}

export interface IrStmt {
  text(): string;
  compile(cc: CompileCtx): Op;
  /** A protocol test a later payload expression makes redundant in listings ("nh:4", "th:6"). */
  readonly provides?: string;
  /** The protocol this statement's payload belongs to ("nh:4", "th:6"). */
  readonly needs?: string;
  /** Kind of provider (meta, ip protocol, ...), for the inet listing rule. */
  readonly providerKind?: 'meta' | 'payload';
  /** A test (match, lookup): statements that are not keep dependencies of later ones visible. */
  readonly isTest?: boolean;
  /** The hooks the kernel accepts this statement in (its expression's validate), absent: any. */
  readonly hooks?: readonly string[];
}

/** A typed left-hand side: one selector, a concatenation, or a selector with bit operations. */
export interface Key {
  readonly text: string;
  readonly fields: readonly Field[];
  readonly bytes: number;
  readonly num: ((ctx: PacketContext) => number) | null;
  load(ctx: PacketContext, buf: Uint8Array, off: number): boolean;
  readonly type: DType;
  readonly needs?: string;
  /** The key sets a protocol (meta nfproto / meta l4proto / ip protocol / ip6 nexthdr). */
  readonly protoKey?: { layer: 'nh' | 'th'; kind: 'meta' | 'payload' };
  /** meta / ct key name when the key is one selector that statements may set. */
  readonly settable?: string;
  readonly selectorKind?: 'meta' | 'ct' | 'payload' | 'other';
  /** The hooks the kernel accepts this expression in, absent: any. */
  readonly hooks?: readonly string[];
}

const N = Code.NEXT;
const B = Code.BREAK;

/** Packet length as counters and byte limits see it (skb->len at the IP layer). */
export function pktLen(ctx: PacketContext): number {
  // skb->len: from the network header, plus the link-layer header where the hook counts it (netdev egress, arp output)
  return ctx.pkt.ipEnd - ctx.pkt.l3Off + (ctx.llLen ?? 0);
}

// ---------------------------------------------------------------------------------------------
// relational

export type CmpOp = 'eq' | 'neq' | 'lt' | 'gt' | 'lte' | 'gte';

function numTest(op: CmpOp, v: number, c: number): boolean {
  switch (op) {
    case 'eq':
      return v === c;
    case 'neq':
      return v !== c;
    case 'lt':
      return v < c;
    case 'gt':
      return v > c;
    case 'lte':
      return v <= c;
    case 'gte':
      return v >= c;
  }
}

function bytesTest(op: CmpOp, d: number): boolean {
  switch (op) {
    case 'eq':
      return d === 0;
    case 'neq':
      return d !== 0;
    case 'lt':
      return d < 0;
    case 'gt':
      return d > 0;
    case 'lte':
      return d <= 0;
    case 'gte':
      return d >= 0;
  }
}

function toNum(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) n = n * 256 + b[i]!;
  return n;
}

/** Base of the statements that test something; `txt` is fixed at evaluation. */
abstract class TestStmt implements IrStmt {
  readonly provides?: string;
  readonly needs?: string;
  readonly providerKind?: 'meta' | 'payload';
  readonly isTest = true;
  readonly hooks?: readonly string[];
  constructor(
    readonly key: Key,
    private readonly txt: string,
    provides?: string,
  ) {
    if (key.needs !== undefined) this.needs = key.needs;
    if (key.hooks !== undefined) this.hooks = key.hooks;
    if (provides !== undefined) {
      this.provides = provides;
      this.providerKind = key.protoKey?.kind;
    }
  }
  text(): string {
    return this.txt;
  }
  abstract compile(cc: CompileCtx): Op;
}

/** `key OP value`; `len` < value length compares a prefix (`iifname "eth*"`). */
export class CmpStmt extends TestStmt {
  constructor(
    key: Key,
    readonly op: CmpOp,
    readonly value: Uint8Array,
    txt: string,
    readonly len = value.length,
    provides?: string,
  ) {
    super(key, txt, provides);
  }
  compile(cc: CompileCtx): Op {
    const { op, value, len } = this;
    const num = this.key.num;
    if (num !== null && len === value.length) {
      const c = toNum(value);
      return (ctx) => {
        const v = num(ctx);
        return v >= 0 && numTest(op, v, c) ? N : B;
      };
    }
    const reg = cc.vm.reg;
    const key = this.key;
    return (ctx) => (key.load(ctx, reg, 0) && bytesTest(op, compareAt(reg, 0, value, 0, len)) ? N : B);
  }
}

/** `(key & mask) ==/!= value` (flags, `v / m`, prefixes); implicit flag tests use value 0 with neq. */
export class MaskStmt extends TestStmt {
  constructor(
    key: Key,
    readonly mask: Uint8Array,
    readonly value: Uint8Array,
    readonly eq: boolean,
    txt: string,
  ) {
    super(key, txt);
  }
  compile(cc: CompileCtx): Op {
    const { mask, value, eq } = this;
    const num = this.key.num;
    if (num !== null) {
      const m = toNum(mask);
      const c = toNum(value);
      // values are at most 32 bits: & works on their low 32 bits, >>> 0 keeps them unsigned
      return (ctx) => {
        const v = num(ctx);
        return v >= 0 && ((v & m) >>> 0 === c) === eq ? N : B;
      };
    }
    const reg = cc.vm.reg;
    const key = this.key;
    const n = value.length;
    return (ctx) => {
      if (!key.load(ctx, reg, 0)) return B;
      let same = true;
      for (let i = 0; i < n; i++) {
        if ((reg[i]! & mask[i]!) !== value[i]) {
          same = false;
          break;
        }
      }
      return same === eq ? N : B;
    };
  }
}

/** `key lo-hi` / `key != lo-hi`. */
export class RangeStmt extends TestStmt {
  constructor(
    key: Key,
    readonly lo: Uint8Array,
    readonly hi: Uint8Array,
    readonly invert: boolean,
    txt: string,
  ) {
    super(key, txt);
  }
  compile(cc: CompileCtx): Op {
    const { lo, hi, invert } = this;
    const num = this.key.num;
    if (num !== null) {
      const l = toNum(lo);
      const h = toNum(hi);
      return (ctx) => {
        const v = num(ctx);
        return v >= 0 && (v >= l && v <= h) !== invert ? N : B;
      };
    }
    const reg = cc.vm.reg;
    const key = this.key;
    const n = lo.length;
    return (ctx) => {
      if (!key.load(ctx, reg, 0)) return B;
      const inside = compareAt(reg, 0, lo, 0, n) >= 0 && compareAt(reg, 0, hi, 0, n) <= 0;
      return inside !== invert ? N : B;
    };
  }
}

/** Element of `set` for the packet's key, or null (the key breaks: also null with `broke`). */
export function compileLookup(key: Key, set: NftSet, cc: CompileCtx): (ctx: PacketContext) => Elem | null | undefined {
  const num = key.num;
  if (num !== null && set.numeric) {
    return (ctx) => {
      const v = num(ctx);
      if (v < 0) return undefined;
      return set.lookupNum(v, ctx.now);
    };
  }
  const reg = cc.vm.reg;
  return (ctx) => {
    if (!key.load(ctx, reg, 0)) return undefined;
    return set.lookup(reg, 0, ctx.now);
  };
}

/** `key @set`, `key { ... }`, `key != @set`. */
export class LookupStmt extends TestStmt {
  constructor(
    key: Key,
    readonly set: NftSet,
    readonly invert: boolean,
    txt: string,
  ) {
    super(key, txt);
  }
  compile(cc: CompileCtx): Op {
    const find = compileLookup(this.key, this.set, cc);
    const invert = this.invert;
    const set = this.set;
    return (ctx) => {
      anchorSet(set, cc, ctx.now);
      const e = find(ctx);
      if (e === undefined) return B;
      return (e !== null) !== invert ? N : B;
    };
  }
}

/** Static elements with a timeout start counting when the ruleset first sees a packet. */
export function anchorSet(set: NftSet, cc: CompileCtx, now: number): void {
  if (set.pendingTimeouts) {
    const t0 = cc.epoch(now);
    for (const e of set.elems) if (e.expires !== null && Number.isNaN(e.expires) && e.timeout !== null) e.expires = t0 + e.timeout / 1000;
    set.pendingTimeouts = false;
  }
}

// ---------------------------------------------------------------------------------------------
// verdicts

export class VerdictStmt implements IrStmt {
  constructor(
    readonly v: string,
    readonly chain: string | null,
  ) {}
  text(): string {
    return this.chain === null ? this.v : `${this.v} ${this.chain}`;
  }
  compile(cc: CompileCtx): Op {
    return verdictOp(this.v, this.chain, cc);
  }
}

/** The Op of a verdict (also used for vmap elements). */
export function verdictOp(v: string, chainName: string | null, cc: CompileCtx): Op {
  switch (v) {
    case 'accept':
      return () => Code.ACCEPT;
    case 'drop':
      return () => Code.DROP;
    case 'continue':
      return () => N;
    case 'return':
      return () => Code.RETURN;
    case 'jump':
    case 'goto': {
      const target = cc.chain(chainName!);
      const vm = cc.vm;
      const code = v === 'jump' ? Code.JUMP : Code.GOTO;
      return () => {
        vm.chain = target;
        return code;
      };
    }
  }
  throw new Error(`verdict ${v} cannot be compiled`);
}

export class VmapStmt implements IrStmt {
  readonly needs?: string;
  readonly hooks?: readonly string[];
  constructor(
    readonly key: Key,
    readonly set: NftSet,
    private readonly txt: string,
  ) {
    if (key.needs !== undefined) this.needs = key.needs;
    if (key.hooks !== undefined) this.hooks = key.hooks;
  }
  text(): string {
    return this.txt;
  }
  compile(cc: CompileCtx): Op {
    for (const e of this.set.elems) {
      const d = e.data;
      if (d && d.kind === 'verdict') d.compiled = verdictOp(d.v, d.chain, cc);
    }
    const find = compileLookup(this.key, this.set, cc);
    const set = this.set;
    return (ctx) => {
      anchorSet(set, cc, ctx.now);
      const e = find(ctx);
      if (e === undefined || e === null) return B;
      return (e.data!.compiled as Op)(ctx);
    };
  }
}

// ---------------------------------------------------------------------------------------------
// stateful statements

export class CounterStmt implements IrStmt {
  constructor(
    public packets: number,
    public bytes: number,
  ) {}
  text(): string {
    return `counter packets ${this.packets} bytes ${this.bytes}`;
  }
  compile(cc: CompileCtx): Op {
    const vm = cc.vm;
    const trace = cc.trace;
    return (ctx) => {
      this.packets++;
      this.bytes += pktLen(ctx);
      vm.trace.push(trace);
      return N;
    };
  }
}

const NSEC = 1e9;

/** nft_limit's token bucket in virtual time (nanoseconds, as the kernel counts). */
export class LimitBucket {
  private readonly cost: number;
  private readonly tokensMax: number;
  private tokens: number;
  private last = Number.NaN;
  constructor(readonly spec: LimitSpec) {
    const nsecs = spec.unit * NSEC;
    const burst = spec.bytes ? (spec.burst ?? 0) : spec.burst === null || spec.burst === 0 ? 5 : spec.burst;
    if (spec.bytes) {
      this.cost = nsecs / spec.rate;
      this.tokensMax = Math.floor((nsecs * (spec.rate + burst)) / spec.rate);
    } else {
      this.cost = Math.floor(nsecs / spec.rate);
      this.tokensMax = this.cost * burst;
    }
    this.tokens = this.tokensMax;
  }
  /** True when the packet is within the limit (nft_limit_eval without the inversion). */
  take(now: number, len: number): boolean {
    let tokens = this.tokens;
    if (!Number.isNaN(this.last)) tokens += Math.round((now - this.last) * 1e6) * 1000;
    if (tokens > this.tokensMax) tokens = this.tokensMax;
    this.last = now;
    const cost = this.spec.bytes ? Math.floor(this.cost * len) : this.cost;
    if (tokens - cost >= 0) {
      this.tokens = tokens - cost;
      return true;
    }
    this.tokens = tokens;
    return false;
  }
  /** NEXT when the rule goes on: within the limit, or over it with `over`. */
  eval(ctx: PacketContext): number {
    return this.take(ctx.now, pktLen(ctx)) !== this.spec.over ? N : B;
  }
}

const TIME_UNITS: readonly (readonly [number, string])[] = [[604800, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];

/** nft's get_rate: the largest of bytes/kbytes/mbytes that divides `n`. */
export function byteRate(n: number): [number, string] {
  if (n > 0 && n % (1024 * 1024) === 0) return [n / (1024 * 1024), 'mbytes'];
  if (n > 0 && n % 1024 === 0) return [n / 1024, 'kbytes'];
  return [n, 'bytes'];
}

export function limitText(spec: LimitSpec): string {
  const unit = TIME_UNITS.find(([s]) => s === spec.unit)?.[1] ?? 'second';
  const over = spec.over ? 'over ' : '';
  if (!spec.bytes) {
    const burst = spec.burst !== null && spec.burst !== 0 && spec.burst !== 5 ? ` burst ${spec.burst} packets` : '';
    return `limit rate ${over}${spec.rate}/${unit}${burst}`;
  }
  const [r, ru] = byteRate(spec.rate);
  let s = `limit rate ${over}${r} ${ru}/${unit}`;
  if (spec.burst !== null && spec.burst !== 0) {
    const [b, bu] = byteRate(spec.burst);
    s += ` burst ${b} ${bu}`;
  }
  return s;
}

export class LimitStmt implements IrStmt {
  readonly bucket: LimitBucket;
  constructor(readonly spec: LimitSpec) {
    this.bucket = new LimitBucket(spec);
  }
  text(): string {
    return limitText(this.spec);
  }
  compile(): Op {
    const b = this.bucket;
    return (ctx) => b.eval(ctx);
  }
}

export class QuotaState {
  constructor(
    readonly spec: QuotaSpec,
    public used: number,
  ) {}
  /** nft_quota: add the packet, then match while within (or, with `over`, beyond) the quota. */
  eval(ctx: PacketContext): number {
    this.used += pktLen(ctx);
    const overNow = this.used > this.spec.bytes;
    return overNow === this.spec.over ? N : B;
  }
  text(): string {
    const [q, qu] = byteRate(this.spec.bytes);
    let s = `${this.spec.over ? 'over ' : ''}${q} ${qu}`;
    if (this.used > 0) {
      const [u, uu] = byteRate(this.used);
      s += ` used ${u} ${uu}`;
    }
    return s;
  }
}

export class QuotaStmt implements IrStmt {
  readonly state: QuotaState;
  constructor(spec: QuotaSpec) {
    this.state = new QuotaState(spec, spec.used);
  }
  text(): string {
    return `quota ${this.state.text()}`;
  }
  compile(): Op {
    const s = this.state;
    return (ctx) => s.eval(ctx);
  }
}

/** A statement made of a fixed text and an Op factory (log, reject, nat, set, notrack, ...). */
export class SimpleStmt implements IrStmt {
  constructor(
    private readonly txt: string,
    private readonly make: (cc: CompileCtx) => Op,
    readonly needs?: string,
  ) {}
  text(): string {
    return this.txt;
  }
  compile(cc: CompileCtx): Op {
    return this.make(cc);
  }
}

/** An action statement (reject, nat): ACTION with a prepared Action per packet family. */
export function actionOp(cc: CompileCtx, pick: (ctx: PacketContext) => Action | null): Op {
  const vm = cc.vm;
  return (ctx) => {
    const a = pick(ctx);
    if (a === null) return B;
    vm.action = a;
    return Code.ACTION;
  };
}

/** A key over a number the packet gives (`num` < 0: none), stored big-endian in the type's width. */
export function numKey(text: string, type: DType, num: (ctx: PacketContext) => number, hooks?: readonly string[]): Key {
  const bytes = type.bytes;
  const key: Key = {
    text,
    fields: [fieldOf(type)],
    bytes,
    num,
    type,
    load(ctx, buf, off) {
      const v = num(ctx);
      if (v < 0) return false;
      let x = v;
      for (let i = bytes - 1; i >= 0; i--) {
        buf[off + i] = x & 0xff;
        x = Math.floor(x / 256);
      }
      return true;
    },
  };
  return hooks === undefined ? key : { ...key, hooks };
}
