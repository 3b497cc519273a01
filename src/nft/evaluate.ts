/**
 * Evaluation of a parsed rule into typed statements (ir.ts), as nft's evaluate step does: every
 * expression gets its datatype, constants are resolved against it, anonymous sets become sets of
 * the table, single-element sets become plain comparisons, flags written as lists test any of
 * their bits, `v / m` and `x & m == v` become masked tests, and the statements that need a
 * protocol (`reject with tcp reset`, `reject with icmp` in inet) get the dependency nft prepends.
 * The canonical listing text of each statement is fixed here, in nft 1.0.6's forms.
 */
import type { Action, PacketContext } from '../netfilter/context.js';
import { logLine, LogFlag } from '../rules/ext/logtext.js';
import { NatFlag, type NatKind as SpecKind, type NatSpec } from '../rules/nat-spec.js';
import type { Expr, Family, Pos, RelOp, Stmt } from './ast.js';
import { type DType, ICMP_CODES, ICMPV6_CODES, ICMPX_CODES, T, bytesNum } from './datatypes.js';
import { NftError } from './lexer.js';
import type { NftChain, NftTable } from './model.js';
import {
  type CmpOp, CmpStmt, Code, type CompileCtx, CounterStmt, type IrStmt, type Key, LimitBucket, LimitStmt, LookupStmt, MaskStmt, type Op,
  QuotaState, QuotaStmt, RangeStmt, SimpleStmt, VerdictStmt, VmapStmt, actionOp, anchorSet, compileLookup, limitText, numKey, pktLen,
} from './ir.js';
import { ctSelector, metaSelector, payloadField, rawPayload, type Selector, UNSUPPORTED_CT, UNSUPPORTED_META } from './selectors.js';
import { type Elem, type Field, NftSet, makeElem } from './sets.js';
import { ValueError, constValue, fieldOf, keyInterval, keyText } from './values.js';
import { fibKey, isPresenceTest, rtKey } from './fib.js';
import { tcpOptKey, tcpOptResetStmt, tcpOptSetStmt } from './exthdr.js';
import { checkStmtHooks } from './hooks.js';
import { payloadSet, type ValueReaders } from './mangle.js';
import { utf8Encode } from '../util/utf8.js';
import { hashKey, numgenKey } from './hash.js';
import { fwdDupStmt } from './netdev.js';
import { ConnCountList, ConnlimitStmt, objRefStmt, secmarkSet } from './objects.js';

/** Where a rule is being evaluated. */
export interface EvalScope {
  readonly table: NftTable;
  readonly chain: NftChain;
  readonly files: readonly string[];
}

interface RuleCtx extends EvalScope {
  readonly out: IrStmt[];
  readonly anon: NftSet[];
  /** Protocol context: known network family and transport protocol. */
  nh: 4 | 6 | null;
  th: number | null;
}

export function errorAt(files: readonly string[], pos: Pos, msg: string): NftError {
  return new NftError(files[pos.src] ?? 'ruleset', pos.line, pos.col, msg);
}

function fail(rc: EvalScope, pos: Pos, msg: string): never {
  throw errorAt(rc.files, pos, msg);
}

function posOf(e: Expr): Pos {
  return e.pos;
}

/** Runs `f`, turning value errors into positioned errors. */
function guard<T>(rc: EvalScope, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ValueError) throw errorAt(rc.files, posOf(e.at), e.message);
    throw e;
  }
}

function tableFamily(t: NftTable): 4 | 6 | null {
  return t.family === 'ip' ? 4 : t.family === 'ip6' ? 6 : null;
}

/** Evaluates a rule's statements; returns them with the anonymous sets they created. */
export function evaluateRule(scope: EvalScope, stmts: readonly Stmt[]): { stmts: IrStmt[]; sets: NftSet[] } {
  const fam = tableFamily(scope.table);
  const rc: RuleCtx = { ...scope, out: [], anon: [], nh: fam, th: null };
  for (const s of stmts) {
    const n = rc.out.length;
    statement(rc, s);
    checkStmtHooks(rc.chain, rc.files, rc.out, n, s.pos);
  }
  return { stmts: rc.out, sets: rc.anon };
}

// ---------------------------------------------------------------------------------------------
// keys

function depOf(sel: Selector): string | undefined {
  if (sel.l4 !== undefined) return `th:${sel.l4}`;
  if (sel.family !== undefined) return `nh:${sel.family}`;
  return undefined;
}

function selectorKey(sel: Selector, kind: Key['selectorKind']): Key {
  const key: Key = {
    text: sel.text,
    fields: [fieldOf(sel.type)],
    bytes: sel.bytes,
    num: sel.num,
    load: sel.load,
    type: sel.type,
    needs: depOf(sel),
    settable: sel.key,
    selectorKind: kind,
  };
  if (sel.text === 'meta nfproto') return { ...key, protoKey: { layer: 'nh', kind: 'meta' } };
  if (sel.text === 'meta l4proto') return { ...key, protoKey: { layer: 'th', kind: 'meta' } };
  if (sel.text === 'ip protocol' || sel.text === 'ip6 nexthdr') return { ...key, protoKey: { layer: 'th', kind: 'payload' } };
  return key;
}

/** The typed key of a left-hand expression. */
export function keyOf(rc: EvalScope & { nh?: 4 | 6 | null; th?: number | null }, e: Expr): Key {
  switch (e.k) {
    case 'payload': {
      const sel = payloadField(e.proto, e.field);
      if (!sel) fail(rc, e.pos, `unknown ${e.proto} field ${e.field}`);
      return selectorKey(sel, 'payload');
    }
    case 'raw':
      return selectorKey(rawPayload(e.base, e.offset, e.len), 'payload');
    case 'meta': {
      if (UNSUPPORTED_META.has(e.key)) fail(rc, e.pos, `meta ${e.key} is not supported by ctkit`);
      const sel = metaSelector(e.key);
      if (!sel) fail(rc, e.pos, `syntax error, unexpected ${e.key}`);
      return selectorKey(sel, 'meta');
    }
    case 'ct': {
      if (UNSUPPORTED_CT.has(e.key)) fail(rc, e.pos, `ct ${e.key} is not supported by ctkit`);
      let fam = e.family;
      if (fam === 0 && (e.key === 'saddr' || e.key === 'daddr')) {
        const tf = tableFamily(rc.table);
        if (tf === null) fail(rc, e.pos, `ct ${e.key} needs a family in an ${rc.table.family} table: ct original ip ${e.key} or ct original ip6 ${e.key}`);
        fam = tf;
      }
      const sel = ctSelector(e.dir, e.key, fam);
      if (!sel) fail(rc, e.pos, `syntax error, unexpected ${e.key}`);
      const key = selectorKey(sel, 'ct');
      return e.family === 0 && (e.key === 'saddr' || e.key === 'daddr') ? { ...key, text: key.text.replace(/ ip6? /, ' ') } : key;
    }
    case 'concat':
      return concatKey(e.parts.map((p) => keyOf(rc, p)));
    case 'binop':
      return binopKey(rc, keyOf(rc, e.l), e.op, e.r);
    case 'numgen':
      return guard(rc, () => numgenKey(e));
    case 'hash': {
      const inner = e.expr === null ? null : keyOf(rc, e.expr);
      return guard(rc, () => hashKey(e, inner));
    }
    case 'fib':
      return fibKey(rc, e, false);
    case 'rt':
      return rtKey(rc, e);
    case 'tcpopt':
      return tcpOptKey(rc, e, false);
    case 'map':
      return mapKey(rc, e);
    default:
      return fail(rc, e.pos, 'syntax error, a selector (payload, meta, ct) is expected here');
  }
}

function concatKey(keys: Key[]): Key {
  const fields = keys.map((k) => k.fields[0]!);
  const slots = fields.map((f) => f.slot);
  const total = slots.reduce((a, b) => a + b, 0);
  return {
    text: keys.map((k) => k.text).join(' . '),
    fields,
    bytes: total,
    num: null,
    type: keys[0]!.type,
    needs: keys.find((k) => k.needs !== undefined)?.needs,
    load(ctx, buf, off) {
      let o = off;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        buf.fill(0, o, o + slots[i]!);
        if (!k.load(ctx, buf, o)) return false;
        o += slots[i]!;
      }
      return true;
    },
  };
}

function binopKey(rc: EvalScope, base: Key, op: string, rhs: Expr): Key {
  if (base.fields.length !== 1) fail(rc, rhs.pos, 'bit operations on concatenations are not supported');
  if (op === '<<' || op === '>>') {
    const n = guard(rc, () => bytesNum(constValue(rhs, T.integer)));
    const num = base.num;
    if (num === null) fail(rc, rhs.pos, 'shifts need a value of at most 32 bits');
    const f = op === '<<' ? (v: number) => (v * 2 ** n) % 2 ** (base.bytes * 8) : (v: number) => Math.floor(v / 2 ** n);
    return numKey(`${base.text} ${op} ${n}`, base.type, (ctx) => {
      const v = num(ctx);
      return v < 0 ? -1 : f(v);
    });
  }
  const c = guard(rc, () => constValue(rhs, base.type));
  const text = `${base.text} ${op} ${maskText(base.type, c)}`;
  const cn = bytesNum(c);
  const num = base.num;
  if (num !== null) {
    const apply = op === '&' ? (v: number) => (v & cn) >>> 0 : op === '|' ? (v: number) => (v | cn) >>> 0 : (v: number) => (v ^ cn) >>> 0;
    return { ...numKey(text, base.type, (ctx) => {
      const v = num(ctx);
      return v < 0 ? -1 : apply(v);
    }), masked: { base, op, value: c } } as Key;
  }
  const n = base.bytes;
  return {
    ...base,
    text,
    protoKey: undefined,
    settable: undefined,
    load(ctx, buf, off) {
      if (!base.load(ctx, buf, off)) return false;
      for (let i = 0; i < n; i++) buf[off + i] = op === '&' ? buf[off + i]! & c[i]! : op === '|' ? buf[off + i]! | c[i]! : buf[off + i]! ^ c[i]!;
      return true;
    },
    masked: { base, op, value: c },
  } as Key;
}

function maskText(type: DType, v: Uint8Array): string {
  if (type.bitmask) {
    const names = type.print(v).split(',');
    return names.length > 1 ? `(${names.join(' | ')})` : names[0]!;
  }
  return type.print(v);
}


/** `EXPR map { k : v }` as a value (meta mark set, nat targets). */
function mapKey(rc: EvalScope, e: Expr & { k: 'map' }): Key {
  const key = keyOf(rc, e.key);
  const set = mapSet(rc, key, e.map, null);
  if (set.dataType === 'verdict' || set.dataType === null) fail(rc, e.pos, 'a value map is expected here');
  const dt = set.dataType;
  const reg = new Uint8Array(64);
  const find = (ctx: PacketContext): Elem | null => {
    if (key.num !== null && set.numeric) {
      const v = key.num(ctx);
      return v < 0 ? null : set.lookupNum(v, ctx.now);
    }
    return key.load(ctx, reg, 0) ? set.lookup(reg, 0, ctx.now) : null;
  };
  const text = `${key.text} map ${setText(set)}`;
  const num = dt.bytes <= 4
    ? (ctx: PacketContext) => {
        const el = find(ctx);
        return el === null || el.data?.kind !== 'value' ? -1 : bytesNum(el.data.bytes);
      }
    : null;
  return {
    text,
    fields: [fieldOf(dt)],
    bytes: dt.bytes,
    num,
    type: dt,
    load(ctx, buf, off) {
      const el = find(ctx);
      if (el === null || el.data?.kind !== 'value') return false;
      buf.set(el.data.bytes, off);
      return true;
    },
    mapSet: set,
    mapKeyExpr: key,
  } as Key;
}

// ---------------------------------------------------------------------------------------------
// sets

/** A set's element text (key, data, options) as nft prints it. */
export function elemText(set: NftSet, e: Elem, now: number | null): string {
  let s = keyText(set.fields, e.lo, e.hi);
  // nft's order: the element's statements, then timeout, expires, comment
  if (e.state !== null) for (const st of e.state) s += ` ${elemStateText(st)}`;
  if (e.counter) s += ` counter packets ${e.counter.packets} bytes ${e.counter.bytes}`;
  if (e.timeout !== null && e.timeout !== set.opts.timeout) s += ` timeout ${timeTxt(e.timeout)}`;
  if (e.expires !== null && now !== null && !Number.isNaN(e.expires) && e.timeout !== null) {
    s += ` expires ${timeTxt(Math.max(0, Math.round((e.expires - now) * 1000)))}`;
  }
  if (e.comment !== null) s += ` comment "${e.comment}"`;
  const d = e.data;
  if (d) {
    if (d.kind === 'verdict') s += ` : ${d.chain === null ? d.v : `${d.v} ${d.chain}`}`;
    else s += ` : ${dataText(set, d.bytes, d.hiBytes)}`;
  }
  return s;
}

function timeTxt(ms: number): string {
  return T.time.print(new Uint8Array([(ms >>> 24) & 255, (ms >>> 16) & 255, (ms >>> 8) & 255, ms & 255]));
}

function dataText(set: NftSet, lo: Uint8Array, hi: Uint8Array | null): string {
  const dt = set.dataType as DType;
  const fields = set.dataFields ?? [fieldOf(dt)];
  return keyText(fields, lo, hi ?? lo);
}

/** `{ a, b }` of an anonymous set. */
export function setText(set: NftSet): string {
  const elems = set.listed(null);
  return `{ ${elems.map((e) => elemText(set, e, null)).join(', ')} }`;
}

function flatten(e: Expr): Expr[] {
  if (e.k === 'set') return e.elems.flatMap(flatten);
  return [e];
}

/** Adds the elements of `{...}` to `set`. */
export function addElements(rc: EvalScope, set: NftSet, elems: Expr, anchor: boolean): void {
  for (const el of flatten(elems)) {
    guard(rc, () => {
      let key = el;
      let value: Expr | null = null;
      if (key.k === 'mapping') {
        value = key.value;
        key = key.key;
      }
      let opts = {} as { timeout?: number; expires?: number; comment?: string; counter?: { packets: number; bytes: number } };
      if (key.k === 'elem') {
        opts = key.opts;
        key = key.key;
      }
      const kv = keyInterval(key, set.fields);
      const e = makeElem(kv.lo, kv.hi);
      if (set.isMap) {
        if (value === null) throw new ValueError(el, 'map elements need a value: KEY : VALUE');
        e.data = elemData(rc, set, value);
      } else if (value !== null) {
        throw new ValueError(el, 'a set has no values: this is a map element');
      }
      const timeout = opts.timeout ?? set.opts.timeout;
      if (timeout !== undefined && timeout !== null) {
        if (!set.flags.has('timeout') && opts.timeout !== undefined) throw new ValueError(el, 'set does not support timeouts: add flags timeout');
        e.timeout = timeout;
        e.expires = Number.NaN;
        if (anchor) set.pendingTimeouts = true;
      }
      e.comment = opts.comment ?? null;
      if (opts.counter || set.opts.counter) e.counter = { packets: opts.counter?.packets ?? 0, bytes: opts.counter?.bytes ?? 0 };
      if (!set.interval && (kv.lo.some((b, i) => b !== kv.hi[i]))) {
        if (set.anonymous) set.flags.add('interval');
        else throw new ValueError(key, `you must add 'flags interval' to set ${set.name} for ranges and prefixes`);
      }
      if (!set.add(e) && !set.anonymous) {
        // nft merges duplicates silently for `add element`
      }
    });
  }
}

function elemData(rc: EvalScope, set: NftSet, value: Expr): Elem['data'] {
  if (set.dataType === 'verdict') {
    if (value.k !== 'verdict') throw new ValueError(value, 'a verdict (accept, drop, jump CHAIN, ...) is expected');
    if ((value.v === 'jump' || value.v === 'goto') && !rc.table.chains.has(value.chain!)) {
      throw new ValueError(value, `Could not process rule: No such file or directory: chain ${value.chain}`);
    }
    return { kind: 'verdict', v: value.v, chain: value.chain };
  }
  const fields = set.dataFields ?? [fieldOf(set.dataType as DType)];
  const kv = keyInterval(value, fields);
  const same = kv.lo.every((b, i) => b === kv.hi[i]);
  return { kind: 'value', bytes: kv.lo, hiBytes: same ? null : kv.hi };
}

/** The anonymous set (or named map) a `map`/`vmap` refers to. */
export function mapSet(rc: EvalScope & { anon?: NftSet[] }, key: Key, m: Expr, dataType: DType | 'verdict' | null): NftSet {
  if (m.k === 'setref') {
    const s = rc.table.sets.get(m.name);
    if (!s) fail(rc, m.pos, `Could not process rule: No such file or directory: map ${m.name}`);
    if (!s.isMap) fail(rc, m.pos, `${m.name} is not a map`);
    return s;
  }
  if (m.k !== 'set') fail(rc, m.pos, 'a map { ... } or @map is expected');
  const first = flatten(m)[0];
  const isVerdict = dataType === 'verdict' || (first?.k === 'mapping' && first.value.k === 'verdict');
  let dt: DType | 'verdict';
  let dataFields: Field[] | null = null;
  if (isVerdict) dt = 'verdict';
  else if (dataType !== null) dt = dataType;
  else dt = fail(rc, m.pos, 'the type of this map\'s values is unknown here');
  if (Array.isArray((rc as { dataFields?: Field[] }).dataFields)) dataFields = (rc as { dataFields?: Field[] }).dataFields!;
  const set = new NftSet('', rc.table.newHandle(), key.fields, true, dt, new Set(['constant', 'anonymous']), anonOpts());
  if (dataFields) set.dataFields = dataFields;
  addElements(rc, set, m, false);
  rc.anon?.push(set);
  return set;
}

function anonOpts(): NftSet['opts'] {
  return { anonymous: true, timeout: null, gcInterval: null, size: null, policy: null, autoMerge: false, counter: false, comment: null, typeofText: null, dataTypeofText: null };
}

// ---------------------------------------------------------------------------------------------
// statements

function statement(rc: RuleCtx, s: Stmt): void {
  switch (s.k) {
    case 'match':
      return matchStmt(rc, s);
    case 'verdict':
      if ((s.v === 'jump' || s.v === 'goto') && !rc.table.chains.has(s.chain!)) {
        fail(rc, s.pos, `Could not process rule: No such file or directory: chain ${s.chain} does not exist in table ${rc.table.family} ${rc.table.name}`);
      }
      if ((s.v === 'jump' || s.v === 'goto') && rc.table.chains.get(s.chain!)!.base !== null) {
        fail(rc, s.pos, `Could not process rule: Operation not supported: cannot jump to base chain ${s.chain}`);
      }
      rc.out.push(new VerdictStmt(s.v, s.chain));
      return;
    case 'vmap': {
      const key = keyOf(rc, s.key);
      const set = mapSet(rc, key, s.map, 'verdict');
      const text = `${key.text} vmap ${s.map.k === 'setref' ? `@${s.map.name}` : setText(set)}`;
      rc.out.push(new VmapStmt(key, set, text));
      noteContext(rc, key);
      return;
    }
    case 'counter':
      rc.out.push(new CounterStmt(s.packets, s.bytes));
      return;
    case 'objref':
      return objRef(rc, s);
    case 'log':
      return logStmt(rc, s);
    case 'limit':
      rc.out.push(new LimitStmt(s.spec));
      return;
    case 'quota':
      rc.out.push(new QuotaStmt(s.spec));
      return;
    case 'reject':
      return rejectStmt(rc, s);
    case 'nat':
      return natStmt(rc, s);
    case 'set':
      return setStmt(rc, s);
    case 'connlimit':
      rc.out.push(new ConnlimitStmt(s.count, s.over));
      return;
    case 'tcpopt-reset':
      rc.out.push(tcpOptResetStmt(rc, s.opt, s.pos));
      return;
    case 'notrack':
      rc.out.push(
        new SimpleStmt('notrack', () => (ctx) => {
          if (ctx.ct === null) ctx.notrack = true;
          return Code.NEXT;
        }),
      );
      return;
    case 'dynset':
    case 'meter':
      return dynsetStmt(rc, s);
    case 'fwd':
    case 'dup':
      rc.out.push(fwdDupStmt(rc, s));
      return;
  }
}

/** A protocol match or payload test updates what the rule knows of the packet's protocols. */
function noteContext(rc: RuleCtx, key: Key, eqValue?: Uint8Array): void {
  if (key.needs?.startsWith('nh:')) rc.nh = Number(key.needs.slice(3)) as 4 | 6;
  if (key.needs?.startsWith('th:')) rc.th = Number(key.needs.slice(3));
  if (eqValue && key.protoKey) {
    const v = bytesNum(eqValue);
    if (key.protoKey.layer === 'nh') rc.nh = v === 2 ? 4 : v === 10 ? 6 : rc.nh;
    else rc.th = v;
  }
}

const OPS: Readonly<Record<RelOp, CmpOp>> = { implicit: 'eq', '==': 'eq', '!=': 'neq', '<': 'lt', '>': 'gt', '<=': 'lte', '>=': 'gte' };

function opText(op: RelOp): string {
  return op === 'implicit' ? '' : `${op} `;
}

function matchStmt(rc: RuleCtx, s: Stmt & { k: 'match' }): void {
  // `fib ... oif exists`, `tcp option maxseg exists`: presence tests (NFTA_*_F_PRESENT)
  const presence = isPresenceTest(s.rhs) && (s.lhs.k === 'fib' || s.lhs.k === 'tcpopt');
  const key = presence && s.lhs.k === 'fib' ? fibKey(rc, s.lhs, true) : presence && s.lhs.k === 'tcpopt' ? tcpOptKey(rc, s.lhs, true) : keyOf(rc, s.lhs);
  if ((key.text === 'meta secmark' || key.text === 'ct secmark') && s.rhs.k === 'const') fail(rc, s.rhs.pos, 'Cannot be used with right hand side constant value');
  const st = guard(rc, () => relational(rc, key, s.op, s.rhs));
  rc.out.push(st);
  const eq = st instanceof CmpStmt && st.op === 'eq' ? st.value : undefined;
  noteContext(rc, key, eq);
}

function relational(rc: RuleCtx, key: Key, op: RelOp, rhs: Expr): IrStmt {
  const neg = op === '!=';
  const masked = (key as Key & { masked?: { base: Key; op: string; value: Uint8Array } }).masked;
  if (rhs.k === 'setref') {
    const set = rc.table.sets.get(rhs.name);
    if (!set) fail(rc, rhs.pos, `Could not process rule: No such file or directory: set ${rhs.name}`);
    if (set.keyBytes !== key.bytes && !(key.fields.length === 1 && set.fields.length === 1 && set.fields[0]!.bytes === key.bytes)) {
      fail(rc, rhs.pos, `datatype mismatch, expected ${set.fields.map((f) => f.type.name).join(' . ')}, expression has type ${key.fields.map((f) => f.type.name).join(' . ')}`);
    }
    if (op !== 'implicit' && op !== '==' && op !== '!=') fail(rc, rhs.pos, 'sets are looked up with == or !=');
    return new LookupStmt(key, set, neg, `${key.text} ${neg ? '!= ' : ''}@${rhs.name}`);
  }
  if (rhs.k === 'set') {
    const elems = flatten(rhs);
    if (elems.length === 1 && elems[0]!.k !== 'mapping' && elems[0]!.k !== 'elem') return relational(rc, key, op, elems[0]!);
    if (op !== 'implicit' && op !== '==' && op !== '!=') fail(rc, rhs.pos, 'sets are looked up with == or !=');
    const set = new NftSet('', rc.table.newHandle(), key.fields, false, null, new Set(['constant', 'anonymous']), anonOpts());
    addElements(rc, set, rhs, false);
    rc.anon.push(set);
    return new LookupStmt(key, set, neg, `${key.text} ${neg ? '!= ' : ''}${setText(set)}`);
  }
  if (rhs.k === 'masked') {
    if (!key.type.bitmask) throw new ValueError(rhs, 'value / mask needs a bitmask type (tcp flags, ct state, ...)');
    const v = constValue(rhs.value, key.type);
    const m = constValue(rhs.mask, key.type);
    if (op !== 'implicit' && op !== '==' && op !== '!=') throw new ValueError(rhs, 'value / mask is compared with == or !=');
    return new MaskStmt(key, m, v, !neg, `${key.text} ${neg ? '!= ' : ''}${key.type.print(v)} / ${key.type.print(m)}`);
  }
  if (masked && masked.op === '&' && masked.base.type.bitmask && (op === 'implicit' || op === '==' || op === '!=')) {
    const v = constValue(rhs, key.type);
    const t = masked.base.type;
    return new MaskStmt(masked.base, masked.value, v, !neg, `${masked.base.text} ${neg ? '!= ' : ''}${t.print(v)} / ${t.print(masked.value)}`);
  }
  if (rhs.k === 'list' || (rhs.k === 'binop' && rhs.op === '|')) {
    if (!key.type.bitmask) throw new ValueError(rhs, `a list of values needs a bitmask type; ${key.type.name} is not one`);
    const v = constValue(rhs, key.type);
    const names = key.type.print(v);
    if (op === 'implicit' && rhs.k === 'list') {
      return new MaskStmt(key, v, new Uint8Array(v.length), false, `${key.text} ${names}`);
    }
    const cmp = OPS[op];
    return new CmpStmt(key, cmp, v, `${key.text} ${op === '!=' ? '!= ' : op === 'implicit' || op === '==' ? '' : `${op} `}${names.split(',').join(' | ')}`);
  }
  const kv = keyInterval(rhs, key.fields);
  const isRange = kv.lo.some((b, i) => b !== kv.hi[i]);
  const lhsText = key.text;
  if (isRange) {
    if (op !== 'implicit' && op !== '==' && op !== '!=') throw new ValueError(rhs, 'ranges are compared with == or !=');
    const txt = `${lhsText} ${neg ? '!= ' : ''}${keyText(key.fields, kv.lo, kv.hi)}`;
    return new RangeStmt(key, kv.lo, kv.hi, neg, txt);
  }
  const valueTxt = keyText(key.fields, kv.lo, kv.hi);
  // `iifname "eth*"`: a quoted string ending in * compares the bytes before it
  if (rhs.k === 'const' && rhs.text.endsWith('*') && key.fields.length === 1 && key.type.bytes === 16 && key.type.name !== 'ipv6_addr') {
    const stem = rhs.text.slice(0, -1);
    const v = new Uint8Array(16);
    v.set(utf8Encode(stem));
    return new CmpStmt(key, OPS[op], v, `${lhsText} ${opText(op === 'implicit' ? op : op === '==' ? 'implicit' : op)}"${rhs.text}"`, stem.length);
  }
  if (key.type.bitmask && op === 'implicit' && key.fields.length === 1 && !masked) {
    return new MaskStmt(key, kv.lo, new Uint8Array(kv.lo.length), false, `${lhsText} ${valueTxt}`);
  }
  const shownOp = op === 'implicit' ? '' : op === '==' ? (key.type.bitmask || masked ? '== ' : '') : `${op} `;
  const provides = key.protoKey && (op === 'implicit' || op === '==') ? providesOf(key, kv.lo) : undefined;
  return new CmpStmt(key, OPS[op], kv.lo, `${lhsText} ${masked && op === 'implicit' ? '== ' : shownOp}${valueTxt}`, kv.lo.length, provides);
}

function providesOf(key: Key, v: Uint8Array): string {
  const n = bytesNum(v);
  if (key.protoKey!.layer === 'nh') return `nh:${n === 2 ? 4 : n === 10 ? 6 : n}`;
  return `th:${n}`;
}

// ---- objects ----

function objRef(rc: RuleCtx, s: Stmt & { k: 'objref' }): void {
  objRefStmt(rc, s);
}

// ---- log ----

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];
const LOG_FLAG_BITS: Readonly<Record<string, number>> = {
  'tcp sequence': LogFlag.TCPSEQ, 'tcp options': LogFlag.TCPOPT, 'ip options': LogFlag.IPOPT, skuid: LogFlag.UID, ether: LogFlag.MACDECODE,
  all: LogFlag.TCPSEQ | LogFlag.TCPOPT | LogFlag.IPOPT | LogFlag.UID | LogFlag.MACDECODE,
};

function logStmt(rc: RuleCtx, s: Stmt & { k: 'log' }): void {
  // `log group N` goes to nfnetlink_log (NFLOG): the packet's log line, as the NFLOG target gives it.
  if (s.group !== null && s.level !== null) fail(rc, s.pos, 'log level and group are mutually exclusive');
  let level = 4;
  if (s.level !== null) {
    const i = LOG_LEVELS.indexOf(s.level === 'warning' ? 'warn' : s.level === 'error' ? 'err' : s.level);
    if (i < 0) fail(rc, s.pos, `invalid log level '${s.level}'`);
    if (i === 8) fail(rc, s.pos, 'log level audit is not supported by ctkit');
    level = i;
  }
  let flags = 0;
  for (const f of s.flags) {
    const b = LOG_FLAG_BITS[f];
    if (b === undefined) fail(rc, s.pos, `unknown log flag '${f}'`);
    flags |= b;
  }
  if (s.prefix !== null && s.prefix.length > 127) fail(rc, s.pos, 'log prefix is too long');
  let txt = 'log';
  if (s.prefix !== null) txt += ` prefix "${s.prefix}"`;
  if (s.group !== null) txt += ` group ${s.group}`;
  if (s.snaplen !== null) txt += ` snaplen ${s.snaplen}`;
  if (s.qthreshold !== null) txt += ` queue-threshold ${s.qthreshold}`;
  if (level !== 4) txt += ` level ${LOG_LEVELS[level]}`;
  txt += logFlagsText(flags);
  const prefix = s.prefix ?? '';
  const lineFlags = s.group !== null ? 0 : flags;
  rc.out.push(
    new SimpleStmt(txt, () => (ctx) => {
      ctx.log.push(logLine(ctx, prefix, lineFlags));
      return Code.NEXT;
    }),
  );
}

function logFlagsText(flags: number): string {
  if (flags === LOG_FLAG_BITS.all) return ' flags all';
  const parts: string[] = [];
  const tcp: string[] = [];
  if (flags & LogFlag.TCPSEQ) tcp.push('sequence');
  if (flags & LogFlag.TCPOPT) tcp.push('options');
  if (tcp.length) parts.push(`tcp ${tcp.join(',')}`);
  if (flags & LogFlag.IPOPT) parts.push('ip options');
  if (flags & LogFlag.UID) parts.push('skuid');
  if (flags & LogFlag.MACDECODE) parts.push('ether');
  return parts.length ? ` flags ${parts.join(' ')}` : '';
}

// ---- reject ----

const V4_REJECT: Readonly<Record<string, string>> = {
  'net-unreachable': 'icmp-net-unreachable', 'host-unreachable': 'icmp-host-unreachable', 'prot-unreachable': 'icmp-proto-unreachable',
  'port-unreachable': 'icmp-port-unreachable', 'net-prohibited': 'icmp-net-prohibited', 'host-prohibited': 'icmp-host-prohibited',
  'admin-prohibited': 'icmp-admin-prohibited',
};
const V6_REJECT: Readonly<Record<string, string>> = {
  'no-route': 'icmp6-no-route', 'admin-prohibited': 'icmp6-adm-prohibited', 'addr-unreachable': 'icmp6-addr-unreachable',
  'port-unreachable': 'icmp6-port-unreachable', 'policy-fail': 'icmp6-policy-fail', 'reject-route': 'icmp6-reject-route',
};
const X_REJECT: Readonly<Record<string, readonly [string, string]>> = {
  'no-route': ['icmp-net-unreachable', 'icmp6-no-route'], 'port-unreachable': ['icmp-port-unreachable', 'icmp6-port-unreachable'],
  'host-unreachable': ['icmp-host-unreachable', 'icmp6-addr-unreachable'], 'admin-prohibited': ['icmp-admin-prohibited', 'icmp6-adm-prohibited'],
};

function rejectAction(w: string): Action {
  return Object.freeze({ kind: 'reject', with: w }) as Action;
}

function rejectStmt(rc: RuleCtx, s: Stmt & { k: 'reject' }): void {
  const fam = rc.table.family;
  let kind = s.kind ?? (fam === 'ip' ? 'icmp' : fam === 'ip6' ? 'icmpv6' : 'icmpx');
  if (kind === 'icmpx' && fam !== 'inet') kind = fam === 'ip' ? 'icmp' : 'icmpv6';
  let v4: Action | null = null;
  let v6: Action | null = null;
  let txt = 'reject';
  if (kind === 'tcp') {
    v4 = v6 = rejectAction('tcp-reset');
    txt = 'reject with tcp reset';
    if (rc.th !== 6) prependDependency(rc, 'meta l4proto', 'tcp', metaSelector('l4proto')!, 'th:6');
  } else {
    const table = kind === 'icmp' ? ICMP_CODES : kind === 'icmpv6' ? ICMPV6_CODES : ICMPX_CODES;
    const type = kind === 'icmp' ? T.icmp_code : kind === 'icmpv6' ? T.icmpv6_code : T.icmpx_code;
    let name = 'port-unreachable';
    if (s.code !== null) {
      const v = guard(rc, () => constValue(s.code!, type));
      const hit = table.find(([, n]) => n === v[0]);
      if (!hit) fail(rc, s.code.pos, `reject code ${v[0]} is not supported by ctkit`);
      name = hit[0];
    }
    if (kind === 'icmp') {
      const w = V4_REJECT[name];
      if (!w) fail(rc, s.pos, `reject with icmp ${name} is not supported by ctkit`);
      v4 = rejectAction(w);
    } else if (kind === 'icmpv6') {
      v6 = rejectAction(V6_REJECT[name]!);
    } else {
      const [a, b] = X_REJECT[name]!;
      v4 = rejectAction(a);
      v6 = rejectAction(b);
    }
    const dflt = (fam === 'ip' && kind === 'icmp') || (fam === 'ip6' && kind === 'icmpv6') || (fam === 'inet' && kind === 'icmpx');
    if (!(dflt && name === 'port-unreachable')) txt = `reject with ${kind} ${name}`;
    if (fam === 'inet' && kind !== 'icmpx') {
      const want = kind === 'icmp' ? 4 : 6;
      if (rc.nh !== want) prependDependency(rc, 'meta nfproto', want === 4 ? 'ipv4' : 'ipv6', metaSelector('nfproto')!, `nh:${want}`);
    }
  }
  const a4 = v4;
  const a6 = v6;
  const needs = kind === 'tcp' ? 'th:6' : fam === 'inet' && kind === 'icmp' ? 'nh:4' : fam === 'inet' && kind === 'icmpv6' ? 'nh:6' : undefined;
  rc.out.push(new SimpleStmt(txt, (cc) => actionOp(cc, (ctx) => (ctx.family === 4 ? a4 : a6)), needs));
}

/** nft puts a statement's protocol dependency at the front of the rule. */
function prependDependency(rc: RuleCtx, text: string, value: string, sel: Selector, provides: string): void {
  const key = selectorKey(sel, 'meta');
  const v = guard(rc, () => constValue({ k: 'const', text: value, quoted: false, pos: { src: 0, line: 0, col: 0 } }, key.type));
  rc.out.unshift(new CmpStmt(key, 'eq', v, `${text} ${value}`, v.length, provides));
  if (provides.startsWith('th:')) rc.th = Number(provides.slice(3));
  else rc.nh = Number(provides.slice(3)) as 4 | 6;
}

// ---- nat ----

const NAT_SPEC_KIND: Readonly<Record<string, SpecKind>> = { snat: 'SNAT', dnat: 'DNAT', masquerade: 'MASQUERADE', redirect: 'REDIRECT' };
const NAT_HOOKS: Readonly<Record<string, readonly string[]>> = {
  snat: ['postrouting', 'input'], dnat: ['prerouting', 'output'], masquerade: ['postrouting'], redirect: ['prerouting', 'output'],
};

function natStmt(rc: RuleCtx, s: Stmt & { k: 'nat' }): void {
  const base = rc.chain.base;
  if (base !== null) {
    if (base.type !== 'nat') fail(rc, s.pos, `Could not process rule: Operation not supported: ${s.kind} is only valid in nat chains`);
    if (!NAT_HOOKS[s.kind]!.includes(base.hook)) fail(rc, s.pos, `Could not process rule: Operation not supported: ${s.kind} is not valid in the ${base.hook} hook`);
  }
  const tfam = tableFamily(rc.table);
  let fam: 4 | 6 | null = s.family ?? tfam;
  if (s.family !== null && tfam !== null && s.family !== tfam) fail(rc, s.pos, `${s.kind}: the address family does not match the table`);
  const flags = s.flags.reduce((f, x) => f | (x === 'random' ? NatFlag.PROTO_RANDOM : x === 'fully-random' ? NatFlag.PROTO_RANDOM_FULLY : x === 'persistent' ? NatFlag.PERSISTENT : NatFlag.NETMAP), 0);
  let addrText = '';
  let portText = '';
  let minAddr: Uint32Array = new Uint32Array(4);
  let maxAddr: Uint32Array = new Uint32Array(4);
  let mapped: Key | null = null;
  let f = flags;
  if (s.addr !== null) {
    if (s.addr.k === 'map' || s.addr.k === 'payload' || s.addr.k === 'meta' || s.addr.k === 'ct' || s.addr.k === 'numgen' || s.addr.k === 'hash') {
      if (fam === null) fail(rc, s.pos, `${s.kind}: specify ip or ip6 in an inet table: ${s.kind} ip to ...`);
      mapped = natValueKey(rc, s.addr, fam);
      addrText = mapped.text;
    } else {
      if (fam === null) {
        const probe = s.addr.k === 'range' ? s.addr.lo : s.addr;
        fam = probe.k === 'const' && probe.text.includes(':') ? 6 : 4;
      }
      const type = fam === 4 ? T.ipv4_addr : T.ipv6_addr;
      const kv = guard(rc, () => keyInterval(s.addr!, [fieldOf(type)]));
      minAddr = toWords(kv.lo);
      maxAddr = toWords(kv.hi);
      addrText = keyText([fieldOf(type)], kv.lo, kv.hi);
      if (fam === 6 && s.port !== null) addrText = `[${addrText}]`;
    }
    f |= NatFlag.MAP_IPS;
  }
  // an address taken from the transport header (`dnat tcp dport map { ... } : ...`) sets the context
  if (mapped?.needs?.startsWith('th:') && rc.th === null) rc.th = Number(mapped.needs.slice(3));
  if (s.port !== null && rc.th === null) fail(rc, s.port.pos, 'transport protocol mapping is only valid after transport protocol match');
  let minPort = 0;
  let maxPort = 0;
  // a port from the packet (`:numgen inc mod 2 map { ... }`, `:tcp dport map { ... }`)
  let portFn: ((ctx: PacketContext) => number) | null = null;
  if (s.port !== null) {
    if (s.port.k === 'map' || s.port.k === 'payload' || s.port.k === 'meta' || s.port.k === 'ct' || s.port.k === 'numgen' || s.port.k === 'hash') {
      const pv = valueOf(rc, s.port, T.inet_service);
      portFn = pv.num;
      portText = `:${pv.text}`;
    } else {
      const kv = guard(rc, () => keyInterval(s.port!, [fieldOf(T.inet_service)]));
      minPort = bytesNum(kv.lo);
      maxPort = bytesNum(kv.hi);
      portText = `:${keyText([fieldOf(T.inet_service)], kv.lo, kv.hi)}`;
    }
    f |= NatFlag.PROTO_SPECIFIED;
  }
  // nft names the family in inet tables, and for a map to `address . port` in any table
  const concatData = ((mapped as (Key & { mapSet?: NftSet }) | null)?.mapSet?.dataFields?.length ?? 0) > 1;
  const famText = (rc.table.family === 'inet' || concatData) && (s.kind === 'snat' || s.kind === 'dnat') && fam !== null ? (fam === 4 ? ' ip' : ' ip6') : '';
  let txt = s.kind + famText;
  if (s.addr !== null || s.port !== null) txt += ` to ${addrText}${portText}`;
  txt += natFlagsText(flags);
  const kind = NAT_SPEC_KIND[s.kind]!;
  const mk = (family: 4 | 6, lo: Uint32Array, hi: Uint32Array, fl: number, p0: number, p1: number): Action =>
    Object.freeze({ kind: 'nat', nat: Object.freeze({ kind, family, flags: fl, minAddr: lo, maxAddr: hi, minPort: p0, maxPort: p1, basePort: 0 } as NatSpec) }) as Action;
  const a4 = fam === 6 ? null : mk(4, minAddr, maxAddr, f, minPort, maxPort);
  const a6 = fam === 4 ? null : mk(6, minAddr, maxAddr, f, minPort, maxPort);
  /** The port of the packet's mapping replaces the action's (nft_nat_eval's sreg_proto_min). */
  const withPort = (ctx: PacketContext, a: Action | null): Action | null => {
    if (a === null || portFn === null) return a;
    const p = portFn(ctx);
    if (p < 0) return null;
    const n = (a as Action & { nat: NatSpec }).nat;
    return mk(n.family, n.minAddr, n.maxAddr, n.flags | NatFlag.PROTO_SPECIFIED, p & 0xffff, p & 0xffff);
  };
  if (mapped !== null) {
    const mfam = fam!;
    const key = mapped;
    const reg = new Uint8Array(64);
    rc.out.push(
      new SimpleStmt(txt, (cc) => {
        const set = (key as Key & { mapSet?: NftSet }).mapSet ?? null;
        if (set !== null) prepareNatMap(set, mfam, f, (lo, hi, fl, p0, p1) => mk(mfam, lo, hi, fl, p0, p1));
        const lookup = set !== null ? compileLookup((key as Key & { mapKeyExpr: Key }).mapKeyExpr, set, cc) : null;
        return actionOp(cc, (ctx) => {
          if (ctx.family !== mfam) return null;
          if (set !== null && lookup !== null) {
            anchorSet(set, cc, ctx.now);
            const e = lookup(ctx);
            return withPort(ctx, e ? ((e.data as { compiled?: Action }).compiled ?? null) : null);
          }
          if (!key.load(ctx, reg, 0)) return null;
          const w = toWords(reg.subarray(0, mfam === 4 ? 4 : 16));
          return withPort(ctx, mk(mfam, w, w, f, minPort, maxPort));
        });
      }),
    );
    return;
  }
  if (portFn !== null) {
    rc.out.push(new SimpleStmt(txt, (cc) => actionOp(cc, (ctx) => withPort(ctx, ctx.family === 4 ? a4 : a6))));
    return;
  }
  rc.out.push(new SimpleStmt(txt, (cc) => natOp(cc, a4, a6)));
}

function natOp(cc: CompileCtx, a4: Action | null, a6: Action | null): Op {
  const vm = cc.vm;
  // nft_nat_inet_eval: a rule for the other family leaves the verdict alone (the rule goes on)
  return (ctx) => {
    const a = ctx.family === 4 ? a4 : a6;
    if (a === null) return Code.NEXT;
    vm.action = a;
    return Code.ACTION;
  };
}

function natFlagsText(flags: number): string {
  const parts: string[] = [];
  if (flags & NatFlag.PROTO_RANDOM) parts.push('random');
  if (flags & NatFlag.PROTO_RANDOM_FULLY) parts.push('fully-random');
  if (flags & NatFlag.PERSISTENT) parts.push('persistent');
  if (flags & NatFlag.NETMAP) parts.push('netmap');
  return parts.length ? ` ${parts.join(',')}` : '';
}

function toWords(b: Uint8Array): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i * 4 < b.length && i < 4; i++) w[i] = bytesNum(b, i * 4, 4);
  return w;
}

/** The value of a NAT target that comes from the packet (`ip saddr map { ... }`, `numgen ... map`). */
function natValueKey(rc: RuleCtx, e: Expr, fam: 4 | 6): Key {
  const addr = fam === 4 ? T.ipv4_addr : T.ipv6_addr;
  if (e.k !== 'map') return keyOf(rc, e);
  const key = keyOf(rc, e.key);
  const first = flatten(e.map)[0];
  const withPort = first?.k === 'mapping' && first.value.k === 'concat';
  const dataFields = withPort ? [fieldOf(addr), fieldOf(T.inet_service)] : [fieldOf(addr)];
  const scope = Object.assign(Object.create(null), rc, { dataFields }) as RuleCtx & { dataFields: Field[] };
  const set = mapSet(scope, key, e.map, addr);
  return { ...key, text: `${key.text} map ${e.map.k === 'setref' ? `@${e.map.name}` : setText(set)}`, mapSet: set, mapKeyExpr: key } as Key;
}

/** Each NAT map element gets its Action once. */
function prepareNatMap(set: NftSet, fam: 4 | 6, flags: number, mk: (lo: Uint32Array, hi: Uint32Array, fl: number, p0: number, p1: number) => Action): void {
  const alen = fam === 4 ? 4 : 16;
  for (const e of set.elems) {
    const d = e.data;
    if (!d || d.kind !== 'value') continue;
    const hi = d.hiBytes ?? d.bytes;
    let fl = flags | NatFlag.MAP_IPS;
    let p0 = 0;
    let p1 = 0;
    if (d.bytes.length > alen) {
      const slot = Math.ceil(alen / 4) * 4;
      p0 = bytesNum(d.bytes, slot, 2);
      p1 = bytesNum(hi, slot, 2);
      fl |= NatFlag.PROTO_SPECIFIED;
    }
    d.compiled = mk(toWords(d.bytes.subarray(0, alen)), toWords(hi.subarray(0, alen)), fl, p0, p1);
  }
}

// ---- X set V ----

function setStmt(rc: RuleCtx, s: Stmt & { k: 'set' }): void {
  if (s.lhs.k === 'meta' && s.lhs.key === 'secmark' && secmarkSet(rc, s)) return;
  if (s.lhs.k === 'ct' && s.lhs.key === 'secmark' && s.value.k === 'const') fail(rc, s.pos, 'ct secmark must not be set to constant value');
  if (s.lhs.k === 'payload' || s.lhs.k === 'raw') return payloadSet(rc, s.lhs, s.value, s.pos, valueReaders(rc));
  if (s.lhs.k === 'tcpopt') {
    const read = valueReaders(rc);
    rc.out.push(tcpOptSetStmt(rc, s.lhs, (type) => read.num(s.value, type), s.pos));
    return;
  }
  const lhs = keyOf(rc, s.lhs);
  const target = lhs.selectorKind === 'payload' ? null : lhs.settable;
  if (target === undefined || target === null) fail(rc, s.pos, `${lhs.text} cannot be set`);
  const value = valueOf(rc, s.value, lhs.type);
  const txt = `${lhs.text} set ${value.text}`;
  const num = value.num;
  const where = lhs.selectorKind;
  rc.out.push(new SimpleStmt(txt, () => setter(where!, target, num)));
}

/** How payload and tcp option writes read their values (with the hooks an `rt` / `fib` value is limited to). */
function valueReaders(rc: RuleCtx): ValueReaders {
  return {
    num(e, type) {
      const v = valueOf(rc, e, type);
      const hooks = e.k === 'rt' || e.k === 'fib' ? keyOf(rc, e).hooks : undefined;
      return hooks === undefined ? v : { ...v, hooks };
    },
    key: (e) => keyOf(rc, e),
  };
}

function setter(where: 'meta' | 'ct' | 'payload' | 'other', target: string, num: (ctx: PacketContext) => number): Op {
  if (where === 'meta') {
    switch (target) {
      case 'mark':
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          ctx.mark = v >>> 0;
          return Code.NEXT;
        };
      case 'priority':
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          ctx.priority = v >>> 0;
          return Code.NEXT;
        };
      case 'nftrace':
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          ctx.nfTrace = (v & 1) === 1;
          return Code.NEXT;
        };
      case 'pkttype':
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          ctx.pktType = v;
          return Code.NEXT;
        };
      case 'secmark':
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          ctx.secmark = v >>> 0;
          return Code.NEXT;
        };
    }
  }
  if (where === 'ct') {
    switch (target) {
      case 'mark':
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          if (ctx.ct !== null && ctx.ct.mark !== v >>> 0) ctx.ct.mark = v >>> 0;
          return Code.NEXT;
        };
      case 'zone':
      case 'zone-orig':
      case 'zone-reply': {
        // nft_ct_set_zone_eval: a zone for both directions, or for the one named.
        const dirs = target === 'zone' ? 3 : target === 'zone-orig' ? 1 : 2;
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          if (ctx.ct === null) {
            ctx.ctZone = v & 0xffff;
            ctx.ctZoneDir = dirs;
          }
          return Code.NEXT;
        };
      }
      case 'secmark':
        // nft_ct_set_eval: the connection's secmark (the kernel caches IPCT_SECMARK when it
        // changes; ctkit's secmarks stay 0, no LSM labels packets)
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          const ct = ctx.ct as (PacketContext['ct'] & { secmark?: number }) | null;
          if (ct !== null && ct.secmark !== v >>> 0) ct.secmark = v >>> 0;
          return Code.NEXT;
        };
      case 'label':
        return (ctx) => {
          const v = num(ctx);
          if (v < 0) return Code.BREAK;
          if (ctx.ct !== null && v < 128) ctx.ct.labels[v >>> 5]! |= 1 << (v & 31);
          return Code.NEXT;
        };
    }
  }
  throw new Error(`cannot set ${where} ${target}`);
}

/** A value for `X set V`: a constant of X's type, a selector, a bit operation, a map. */
function valueOf(rc: RuleCtx, e: Expr, type: DType): { text: string; num: (ctx: PacketContext) => number } {
  if (e.k === 'const' || e.k === 'list') {
    const v = guard(rc, () => constValue(e, type));
    if (type === T.ct_label && v.length === 16) {
      // A label set (128 bits, byte i holding bits (15 - i) * 8 ...): `ct label set N` sets bit N.
      const bits: number[] = [];
      for (let i = 0; i < 16; i++) for (let b = 0; b < 8; b++) if (v[i]! & (1 << b)) bits.push((15 - i) * 8 + b);
      if (bits.length !== 1) fail(rc, e.pos, 'ct label set takes one label (ctkit sets one label bit per statement)');
      const bit = bits[0]!;
      return { text: type.print(v), num: () => bit };
    }
    if (v.length > 4) fail(rc, e.pos, 'values longer than 32 bits cannot be set');
    const n = bytesNum(v);
    return { text: type.print(v), num: () => n };
  }
  if (e.k === 'map') {
    const key = keyOf(rc, e.key);
    const set = mapSet(rc, key, e.map, type);
    const reg = new Uint8Array(64);
    const text = `${key.text} map ${e.map.k === 'setref' ? `@${e.map.name}` : setText(set)}`;
    return {
      text,
      num: (ctx) => {
        let el: Elem | null = null;
        if (key.num !== null && set.numeric) {
          const v = key.num(ctx);
          if (v < 0) return -1;
          el = set.lookupNum(v, ctx.now);
        } else if (key.load(ctx, reg, 0)) el = set.lookup(reg, 0, ctx.now);
        return el === null || el.data?.kind !== 'value' ? -1 : bytesNum(el.data.bytes);
      },
    };
  }
  const k = keyOf(rc, e);
  if (k.num === null) fail(rc, e.pos, 'values longer than 32 bits cannot be set');
  return { text: k.text, num: k.num };
}

// ---- dynamic sets ----

function dynsetStmt(rc: RuleCtx, s: Stmt & ({ k: 'dynset' } | { k: 'meter' })): void {
  const key = keyOf(rc, s.key);
  let set: NftSet;
  let head: string;
  if (s.k === 'meter') {
    const existing = rc.table.sets.get(s.name);
    if (existing) set = existing;
    else {
      set = new NftSet(s.name, rc.table.newHandle(), key.fields, false, null, new Set(['dynamic']), {
        ...anonOpts(), anonymous: false, size: s.size ?? 65535,
      });
      if (s.timeout !== null) set.flags.add('timeout');
      rc.table.sets.set(s.name, set);
    }
    head = `meter ${s.name} size ${set.opts.size ?? 65535} { ${key.text}`;
  } else {
    const named = rc.table.sets.get(s.set);
    if (!named) fail(rc, s.pos, `Could not process rule: No such file or directory: set ${s.set}`);
    set = named;
    if (set.keyBytes !== key.bytes && set.fields.length === key.fields.length && key.fields.length > 1) {
      fail(rc, s.pos, 'datatype mismatch between the set and the key');
    }
    if (s.timeout !== null && !set.flags.has('timeout')) fail(rc, s.pos, `set ${s.set} has no timeout flag`);
    // nft makes a set updated from the packet path dynamic, of 65535 elements unless sized
    set.flags.add('dynamic');
    if (set.opts.size === null) set.opts.size = 65535;
    head = `${s.op} @${s.set} { ${key.text}`;
  }
  if (s.timeout !== null) head += ` timeout ${timeTxt(s.timeout)}`;
  const inner = evaluateRule(rc, s.stmts);
  for (const st of inner.stmts) {
    if (!(st instanceof LimitStmt || st instanceof CounterStmt || st instanceof QuotaStmt || st instanceof ConnlimitStmt)) fail(rc, s.pos, 'only limit, counter, quota and ct count may be attached to set elements');
  }
  const txt = `${head}${inner.stmts.map((x) => ` ${x.text()}`).join('')} }`;
  const op = s.k === 'meter' ? 'update' : s.op;
  const timeout = s.timeout ?? set.opts.timeout;
  const specs = inner.stmts;
  rc.out.push(new SimpleStmt(txt, (cc) => dynsetOp(cc, key, set, op, timeout, specs)));
}

function dynsetOp(cc: CompileCtx, key: Key, set: NftSet, op: 'add' | 'update' | 'delete', timeout: number | null, specs: readonly IrStmt[]): Op {
  const reg = cc.vm.reg;
  return (ctx) => {
    anchorSet(set, cc, ctx.now);
    if (!key.load(ctx, reg, 0)) return Code.BREAK;
    let e = set.lookup(reg, 0, ctx.now);
    if (op === 'delete') {
      if (e !== null) set.remove(e);
      return Code.NEXT;
    }
    if (e === null) {
      const dead = set.find(reg.slice(0, set.keyBytes), reg.slice(0, set.keyBytes));
      if (dead !== null) set.remove(dead);
      if (set.opts.size !== null && set.elems.length >= set.opts.size) return Code.BREAK;
      const k = reg.slice(0, set.keyBytes);
      e = makeElem(k, k);
      e.state = specs.map((sp) => (sp instanceof ConnlimitStmt ? { cl: sp, list: sp.newState(ctx) } : elemState(sp)));
      if (timeout !== null) {
        e.timeout = timeout;
        e.expires = ctx.now + timeout / 1000;
      }
      set.add(e);
    } else if (op === 'update' && timeout !== null) {
      e.expires = ctx.now + timeout / 1000;
    }
    const st = e.state;
    if (st !== null) {
      for (let i = 0; i < st.length; i++) {
        const r = elemEval(st[i], ctx);
        if (r !== Code.NEXT) return r;
      }
    }
    return Code.NEXT;
  };
}

/** A dynamic-set element's statement as nft lists it (`limit rate 1/second`, `counter packets 2 bytes 86`, `ct count over 1`). */
function elemStateText(state: unknown): string {
  const cl = state as { cl?: ConnlimitStmt };
  if (cl.cl !== undefined) return cl.cl.text();
  if (state instanceof LimitBucket) return limitText(state.spec);
  if (state instanceof QuotaState) return `quota ${state.text()}`;
  const c = state as { packets: number; bytes: number };
  return `counter packets ${c.packets} bytes ${c.bytes}`;
}

function elemState(sp: IrStmt): unknown {
  if (sp instanceof LimitStmt) return new LimitBucket(sp.spec);
  if (sp instanceof QuotaStmt) return new QuotaState(sp.state.spec, 0);
  return { packets: 0, bytes: 0 };
}

function elemEval(state: unknown, ctx: PacketContext): number {
  const cl = state as { cl?: ConnlimitStmt; list?: ConnCountList };
  if (cl.cl !== undefined) return cl.cl.evalList(cl.list!, ctx);
  if (state instanceof LimitBucket) return state.eval(ctx);
  if (state instanceof QuotaState) return state.eval(ctx);
  const c = state as { packets: number; bytes: number };
  c.packets++;
  c.bytes += pktLen(ctx);
  return Code.NEXT;
}

export { limitText };
