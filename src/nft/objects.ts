/**
 * nft stateful objects used from rules, and the statements that keep per-connection state:
 *
 *  - object references by name or through a map (`counter name "c"`, `quota name ...`,
 *    `limit name ...`, `ct helper set "h"`, `ct timeout set "t"`, `ct expectation set "e"`,
 *    `meta secmark set "s"`, and `... set|name EXPR map { KEY : "obj", ... }` / `map @objmap`),
 *    as nft_objref.c evaluates them: a map key with no element breaks the rule;
 *  - the object types themselves as nft_ct.c runs them: a ct helper attaches to a new,
 *    unconfirmed connection of its protocol; a ct timeout policy (nft's TCP and UDP states, every
 *    state nft does not name taking nft's built-in default) applies to a new connection of its
 *    protocol and sets its timeout to the policy's first value (TCP: syn_sent, UDP: unreplied);
 *    a ct expectation makes the new connection expect one from its peer to `dport` (any source
 *    port), unless it already has `size` expectations (the rule breaks), living `timeout` - the
 *    kernel multiplies the millisecond value nft sends by HZ, so `timeout 10s` lives 10000 s;
 *  - maps of objects (`type inet_service : counter`): data are object names;
 *  - `ct count [over] N` (nft_connlimit): connections counted by nf_conncount in a list per rule,
 *    or per element of a dynamic set (`add @s { ip saddr ct count over 20 }`);
 *  - secmark: the kernel resolves a secmark object's security context through the LSM; without
 *    one (and ctkit has none) the object cannot be created (ENOENT, as on a kernel without
 *    SELinux), so only `ct secmark set meta secmark` / `meta secmark set ct secmark` do anything
 *    (copying values that stay 0).
 */
import type { CtHandle, CtTupleLike, PacketContext } from '../netfilter/context.js';
import { CtStatus } from '../netfilter/context.js';
import { jiffiesAt } from '../rules/ext/jiffies.js';
import { alreadyClosed, copyTuple, GC_MAX_COLLECT, packetTuple, type Recorded, sameTuple } from '../netfilter/conncount.js';
import type { Expr, Pos, Stmt } from './ast.js';
import { type DType, stringType } from './datatypes.js';
import { type EvalScope, errorAt, keyOf, mapSet, setText } from './evaluate.js';
import { Code, type CompileCtx, type IrStmt, LimitBucket, type Op, QuotaState, anchorSet, compileLookup, pktLen } from './ir.js';
import type { NftObject, NftTable } from './model.js';
import type { NftSet } from './sets.js';
import { utf8Decode } from '../util/utf8.js';

const N = Code.NEXT;
const B = Code.BREAK;

interface RuleScope extends EvalScope {
  readonly out: IrStmt[];
  readonly anon: NftSet[];
}

function fail(rc: EvalScope, pos: Pos, msg: string): never {
  throw errorAt(rc.files, pos, msg);
}

// ---------------------------------------------------------------------------------------------
// maps of objects

/** The map data types naming objects (nft's map_block_obj_type) and the statement types that use them. */
const OBJECT_TYPES: Readonly<Record<string, string>> = {
  counter: 'counter', quota: 'quota', limit: 'limit', secmark: 'secmark', synproxy: 'synproxy',
  'ct helper': 'ct helper', 'ct timeout': 'ct timeout', 'ct expectation': 'ct expectation',
};

const objTypes = new Map<string, DType>();

/** The data type of a map of `kind` objects (values are object names, printed quoted), or null. */
export function objectDataType(kind: string): DType | null {
  if (OBJECT_TYPES[kind] === undefined) return null;
  let t = objTypes.get(kind);
  if (t === undefined) {
    t = { ...stringType(kind, 256), name: kind };
    objTypes.set(kind, t);
  }
  return t;
}

/** The object type a map's data names, or null for value and verdict maps. */
export function objectKindOf(set: NftSet): string | null {
  const dt = set.dataType;
  return dt !== null && dt !== 'verdict' && objTypes.get(dt.name) === dt ? dt.name : null;
}

function nameOf(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return utf8Decode(bytes, 0, end);
}

/**
 * The kernel refuses a map element naming an object that does not exist (ENOENT): checked for
 * every element of an object map of table `tb`; the message names the first missing one.
 */
export function missingMapObject(tb: NftTable, set: NftSet): string | null {
  const kind = objectKindOf(set);
  if (kind === null) return null;
  for (const e of set.elems) {
    if (e.data?.kind !== 'value') continue;
    const name = nameOf(e.data.bytes);
    if (!tb.object(kind, name)) return `Could not process rule: No such file or directory: ${kind} ${name}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// ct timeout policies

interface TimeoutProto {
  /** nft's state names, in the order of its timeout array (libnftnl's NFTNL_CTTIMEOUT_*). */
  readonly states: readonly string[];
  /** nfct / ctkit policy attribute name of each state (null: not a setting of ctkit). */
  readonly attrs: readonly (string | null)[];
  /** nft's defaults, sent for the states a policy does not name. */
  readonly dflt: readonly number[];
}

const TIMEOUT_PROTOS: Readonly<Record<number, TimeoutProto>> = {
  6: {
    states: ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2', 'retrans', 'unack'],
    attrs: ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', null, 'retrans', 'unacknowledged'],
    dflt: [120, 60, 432000, 120, 60, 30, 120, 10, 120, 300, 300],
  },
  17: { states: ['unreplied', 'replied'], attrs: ['unreplied', 'replied'], dflt: [30, 120] },
};

/** The protocols a ct timeout object may name (nft: tcp or udp). */
export function ctTimeoutProtocolOk(proto: number): boolean {
  return TIMEOUT_PROTOS[proto] !== undefined;
}

/** The index of state `name` for `proto`, or -1 ("invalid state for this protocol"). */
export function ctTimeoutStateIndex(proto: number, name: string): number {
  return TIMEOUT_PROTOS[proto]?.states.indexOf(name) ?? -1;
}

/** A policy's full timeout array (nft's defaults where it names nothing). */
export function ctTimeoutValues(proto: number, policy: readonly (readonly [string, number])[]): number[] {
  const p = TIMEOUT_PROTOS[proto]!;
  const v = [...p.dflt];
  for (const [name, secs] of policy) {
    const i = p.states.indexOf(name);
    if (i >= 0) v[i] = secs;
  }
  return v;
}

/** `policy = { ... }` as nft lists it: the states whose value differs from nft's default, in order. */
export function ctTimeoutPolicyText(proto: number, policy: readonly (readonly [string, number])[]): string {
  const p = TIMEOUT_PROTOS[proto];
  if (p === undefined) return 'policy = {  }';
  const v = ctTimeoutValues(proto, policy);
  const parts: string[] = [];
  v.forEach((x, i) => {
    if (x !== p.dflt[i]) parts.push(`${p.states[i]} : ${x}`);
  });
  return `policy = { ${parts.join(', ')} }`;
}

interface RuntimePolicy {
  readonly proto: number;
  readonly timeouts: ReadonlyMap<string, number>;
  readonly first: number;
}

const runtimePolicies = new WeakMap<object, RuntimePolicy>();

/** What a ct timeout object applies: every timeout of its protocol, and the first (new state) one. */
function runtimePolicy(st: { protocol: number; policy: readonly (readonly [string, number])[] }): RuntimePolicy {
  let r = runtimePolicies.get(st);
  if (r === undefined) {
    const p = TIMEOUT_PROTOS[st.protocol]!;
    const v = ctTimeoutValues(st.protocol, st.policy);
    const timeouts = new Map<string, number>();
    v.forEach((x, i) => {
      const a = p.attrs[i];
      if (a !== null) timeouts.set(a, x);
      else if (x !== p.dflt[i]) throw new Error(`ct timeout: state ${p.states[i]} has no timeout of its own in ctkit's TCP tracker`);
    });
    r = { proto: st.protocol, timeouts, first: v[0]! };
    runtimePolicies.set(st, r);
  }
  return r;
}

/** The syn_sent2 state has no setting in ctkit's tracker: a policy changing it is refused at load. */
export function ctTimeoutUnsupported(proto: number, policy: readonly (readonly [string, number])[]): string | null {
  const p = TIMEOUT_PROTOS[proto];
  if (p === undefined) return null;
  const v = ctTimeoutValues(proto, policy);
  for (let i = 0; i < v.length; i++) {
    if (p.attrs[i] === null && v[i] !== p.dflt[i]) return `ct timeout ${p.states[i]} is not supported by ctkit (its TCP tracker keeps the kernel's fixed ${p.dflt[i]} s for that state)`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// evaluating objects

function servicesOf(ctx: PacketContext): NonNullable<PacketContext['ctObjects']> {
  const s = ctx.ctObjects;
  if (s === undefined || s === null) throw new Error('nft ct timeout / ct expectation objects need the host conntrack services (PacketContext.ctObjects)');
  return s;
}

function confirmed(ct: CtHandle): boolean {
  return (ct.status & CtStatus.CONFIRMED) !== 0;
}

/** nft_ct_helper_obj_eval: the helper goes to a new, unconfirmed connection of its protocol without one. */
function assignHelper(ctx: PacketContext, h: { helper: string; protocol: number; l3proto: number }): number {
  const ct = ctx.ct;
  if (ct === null || confirmed(ct) || ct.orig.proto !== h.protocol) return N;
  const l3 = ct.orig.family === 4 ? 2 : 10;
  if (h.l3proto !== 1 && h.l3proto !== l3) return N;
  if ((ct.status & CtStatus.HELPER) !== 0) return N;
  (ct as { helperName: string | null }).helperName = h.helper;
  ct.status |= CtStatus.HELPER;
  return N;
}

/** The Op that evaluates object `o` for a packet (nft_obj eval). */
function objectOp(o: NftObject, cc: CompileCtx): Op {
  const st = o.state;
  switch (st.kind) {
    case 'counter': {
      const vm = cc.vm;
      return (ctx) => {
        st.packets++;
        st.bytes += pktLen(ctx);
        vm.trace.push(cc.trace);
        return N;
      };
    }
    case 'quota': {
      const q = new QuotaState({ bytes: st.bytes, over: st.over, used: 0 }, st.used);
      return (ctx) => {
        q.used = st.used;
        const r = q.eval(ctx);
        st.used = q.used;
        return r;
      };
    }
    case 'limit': {
      if (!(st.bucket instanceof LimitBucket)) st.bucket = new LimitBucket(st.spec);
      const b = st.bucket as LimitBucket;
      return (ctx) => b.eval(ctx);
    }
    case 'ct helper':
      return (ctx) => assignHelper(ctx, st);
    case 'ct timeout': {
      const policy = runtimePolicy(st);
      return (ctx) => {
        const ct = ctx.ct;
        if (ctx.pkt.proto !== st.protocol || ct === null || confirmed(ct)) return N;
        servicesOf(ctx).setTimeoutPolicy(ct, policy, policy.first, ctx.now);
        return N;
      };
    }
    case 'ct expectation':
      return (ctx) => {
        const ct = ctx.ct;
        if (ct === null || confirmed(ct)) return B;
        const family = st.l3proto === 2 ? 4 : st.l3proto === 10 ? 6 : ct.orig.family;
        // the kernel arms the timer with (the millisecond value nft sends) * HZ jiffies
        const r = servicesOf(ctx).expect(ct, ctx.ctDir, { family, proto: st.protocol, dport: st.dport, timeout: st.timeout, size: st.size }, ctx.now);
        return r === 'ok' ? N : r === 'break' ? B : Code.DROP;
      };
  }
}

/** Text of a reference: `counter name "c"`, `ct helper set "h"`, `meta secmark set "s"`. */
function refHead(type: string): string {
  if (type === 'secmark') return 'meta secmark set';
  return type.startsWith('ct ') ? `${type} set` : `${type} name`;
}

/** A statement evaluating an object or a map of objects. */
class ObjRefStmt implements IrStmt {
  constructor(
    private readonly txt: string,
    private readonly make: (cc: CompileCtx) => Op,
  ) {}
  text(): string {
    return this.txt;
  }
  compile(cc: CompileCtx): Op {
    return this.make(cc);
  }
}

/** `TYPE name|set "obj"` and `TYPE name|set EXPR map { ... }` / `map @m`. */
export function objRefStmt(rc: RuleScope, s: Stmt & { k: 'objref' }): void {
  const type = s.type;
  if (s.map === null) {
    const o = rc.table.object(type, s.name!);
    if (!o) fail(rc, s.pos, `Could not process rule: No such file or directory: ${type} ${s.name}`);
    rc.out.push(new ObjRefStmt(`${refHead(type)} "${o.name}"`, (cc) => objectOp(o, cc)));
    return;
  }
  const m = s.map;
  if (m.k !== 'map') fail(rc, s.pos, 'a map is expected here');
  rc.out.push(objMapStmt(rc, type, m));
}

function objMapStmt(rc: RuleScope, type: string, m: Expr & { k: 'map' }): IrStmt {
  const key = keyOf(rc, m.key);
  const dt = objectDataType(type)!;
  const set = mapSet(rc, key, m.map, dt);
  if (objectKindOf(set) !== type) {
    fail(rc, m.map.pos, `datatype mismatch: the map's data is ${set.dataType === 'verdict' ? 'verdict' : (set.dataType?.name ?? 'none')}, ${type} objects are expected`);
  }
  const missing = missingMapObject(rc.table, set);
  if (missing !== null) fail(rc, m.map.pos, missing);
  const table = rc.table;
  const txt = `${refHead(type)} ${key.text} map ${m.map.k === 'setref' ? `@${m.map.name}` : setText(set)}`;
  return new ObjRefStmt(txt, (cc) => {
    for (const e of set.elems) {
      if (e.data?.kind !== 'value') continue;
      const o = table.object(type, nameOf(e.data.bytes));
      if (o) e.data.compiled = objectOp(o, cc);
    }
    const find = compileLookup(key, set, cc);
    return (ctx) => {
      anchorSet(set, cc, ctx.now);
      const e = find(ctx);
      if (e === undefined || e === null || e.data?.kind !== 'value') return B;
      const op = e.data.compiled as Op | undefined;
      return op === undefined ? B : op(ctx);
    };
  });
}

/**
 * `meta secmark set VALUE`: a constant names a secmark object (none can exist: ENOENT), a map
 * maps to secmark objects, `ct secmark` copies the connection's secmark into the packet.
 * Returns false when VALUE is an ordinary expression left to the caller (`ct secmark`).
 */
export function secmarkSet(rc: RuleScope, s: Stmt & { k: 'set' }): boolean {
  const v = s.value;
  if (v.k === 'const') {
    objRefStmt(rc, { k: 'objref', type: 'secmark', name: v.text, map: null, pos: v.pos });
    return true;
  }
  if (v.k === 'map') {
    rc.out.push(objMapStmt(rc, 'secmark', v));
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// ct count

/** struct nf_conncount_list. */
export class ConnCountList {
  readonly conns: Recorded[] = [];
  lastGcCount = 0;
  constructor(public lastGc: number) {}
}

function finder(ctx: PacketContext): NonNullable<PacketContext['ctFind']> {
  const f = ctx.ctFind;
  if (f === undefined) throw new Error('nft ct count needs connection lookups: PacketContext.ctFind is not set');
  return f;
}

/**
 * find_or_evict: the live connection of a recorded entry; an entry conntrack does not have is
 * dropped once it is two jiffies old (younger ones may belong to a connection about to be
 * confirmed). Returns the connection, 'gone' (dropped: index not to advance) or 'young'.
 */
function findOrEvict(list: ConnCountList, i: number, now: number, find: NonNullable<PacketContext['ctFind']>): CtHandle | 'gone' | 'young' {
  const c = list.conns[i]!;
  const found = find(c.tuple, c.zone);
  if (found !== null) return found;
  if (now - c.jiffies >= 2) {
    list.conns.splice(i, 1);
    return 'gone';
  }
  return 'young';
}

/**
 * __nf_conncount_add (6.18): records the packet's connection unless it is already there. A
 * confirmed, assured connection is not recorded again ('exists': the caller collects garbage);
 * a confirmed one still in its setup is looked for among the recorded ones. Returns 'ok',
 * 'exists', or 'drop' when the packet has no tuple.
 */
export function conncountAdd(ctx: PacketContext, list: ConnCountList): 'ok' | 'exists' | 'drop' {
  let ct: CtHandle | null = ctx.ct;
  let tuple: CtTupleLike;
  let zone = 0;
  const find = finder(ctx);
  if (ct !== null) {
    tuple = ct.orig;
    zone = ct.zone;
  } else {
    const t = packetTuple(ctx);
    if (t === null) return 'drop';
    tuple = t;
    ct = find(t, 0);
  }
  const now = jiffiesAt(ctx.now);
  let walk = true;
  if (ct !== null && confirmed(ct)) {
    if ((ct.status & CtStatus.ASSURED) !== 0) return 'exists';
  } else if (now === list.lastGc && list.conns.length - list.lastGcCount < GC_MAX_COLLECT) {
    walk = false;
  }
  if (walk) {
    let collect = 0;
    for (let i = 0; i < list.conns.length; ) {
      if (collect > GC_MAX_COLLECT) break;
      const c = list.conns[i]!;
      const found = findOrEvict(list, i, now, find);
      if (found === 'gone') {
        collect++;
        continue;
      }
      if (found === 'young') {
        if (sameTuple(c.tuple, tuple) && c.zone === zone) return 'ok';
        i++;
        continue;
      }
      if (sameTuple(c.tuple, tuple) && c.zone === zone) return 'ok';
      if (alreadyClosed(found)) {
        list.conns.splice(i, 1);
        collect++;
        continue;
      }
      i++;
    }
    list.lastGc = now;
    list.lastGcCount = list.conns.length;
  }
  list.conns.push({ tuple: copyTuple(tuple), zone, jiffies: now });
  return 'ok';
}

/** nf_conncount_gc_list: at most once per jiffy, drops recorded connections that are gone or closed. */
export function conncountGc(ctx: PacketContext, list: ConnCountList): void {
  const now = jiffiesAt(ctx.now);
  if (now === list.lastGc) return;
  const find = finder(ctx);
  let collected = 0;
  for (let i = 0; i < list.conns.length; ) {
    const found = findOrEvict(list, i, now, find);
    if (found === 'gone') {
      collected++;
      continue;
    }
    if (found === 'young') {
      i++;
      continue;
    }
    if (alreadyClosed(found)) {
      list.conns.splice(i, 1);
      collected++;
      continue;
    }
    i++;
    if (collected > GC_MAX_COLLECT) break;
  }
  list.lastGc = now;
  list.lastGcCount = list.conns.length;
}

/** `ct count [over] N` (nft_connlimit): per rule, or per element of a dynamic set. */
export class ConnlimitStmt implements IrStmt {
  constructor(
    readonly count: number,
    readonly over: boolean,
  ) {}
  text(): string {
    return `ct count ${this.over ? 'over ' : ''}${this.count}`;
  }
  compile(): Op {
    // a rule's list was made when the rule was loaded, long before any packet
    const list = new ConnCountList(-1);
    return (ctx) => this.evalList(list, ctx);
  }
  /** A dynamic set element's own list, made by the packet that created the element. */
  newState(ctx: PacketContext): ConnCountList {
    return new ConnCountList(jiffiesAt(ctx.now));
  }
  /** nft_connlimit_do_eval. */
  evalList(list: ConnCountList, ctx: PacketContext): number {
    const r = conncountAdd(ctx, list);
    if (r === 'drop') return Code.DROP;
    if (r === 'exists') conncountGc(ctx, list);
    return list.conns.length > this.count !== this.over ? B : N;
  }
}
