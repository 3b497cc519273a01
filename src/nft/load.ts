/**
 * Loading `nft -f` text into a ruleset: the parsed commands are carried out in order, as the
 * kernel commits nft's batch. A table block creates its chains, then its objects, then its sets
 * (with their elements), then each chain's rules (handles are numbered in that order);
 * `add rule ... position H`, `insert rule`, `replace rule ... handle H`, `delete ...`, `flush ...`
 * edit what exists. References are checked as the kernel checks them: a jump to a chain that
 * does not exist, a set or object that is not there, a rule handle that is unknown.
 */
import type { ChainAst, Command, Family, ObjAst, Pos, SetAst, TableAst, TableRef } from './ast.js';
import { type DType, namedType, parseCNumber, T } from './datatypes.js';
import { errorAt, evaluateRule, keyOf, addElements } from './evaluate.js';
import type { NftError } from './lexer.js';
import { type BaseHook, NftChain, type NftObject, NftRule, NftRuleset, NftTable, type ObjState } from './model.js';
import { type ParseOptions, parseNft } from './parse.js';
import { isJsonRuleset, parseNftJson } from './json.js';
import { baseChainProblem, familyProblem, priorityByName } from './families.js';
import { type Field, NftSet } from './sets.js';
import { fieldOf } from './values.js';
import { parseProtocol } from '../rules/values.js';
import { helperRefusal } from '../helpers/registry.js';
import { ctTimeoutProtocolOk, ctTimeoutStateIndex, ctTimeoutUnsupported, missingMapObject, objectDataType } from './objects.js';

export type { NftError };

/** Parses and loads `text` (nft -f text, or nft -j JSON) into `rs` (a new ruleset by default). Throws NftError. */
export function loadNft(text: string, opts: ParseOptions & { ruleset?: NftRuleset } = {}): NftRuleset {
  const rs = opts.ruleset ?? new NftRuleset();
  // nft -j: a JSON document (nft text never starts with `{`)
  const script = isJsonRuleset(text) ? parseNftJson(text, opts) : parseNft(text, opts);
  const base = rs.files.length;
  rs.files.push(...script.files);
  const shift = (p: Pos): Pos => (base === 0 ? p : { ...p, src: p.src + base });
  const loader = new Loader(rs, base === 0 ? null : shift);
  for (const c of script.commands) loader.command(c);
  return rs;
}

const HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'];

/** Whether a named priority is valid for the family and hook (nft's std_prio_family_hook_compat). */
export function stdPrioCompatible(value: number, family: Family, hook: string): boolean {
  if (value === -100) return (family === 'ip' || family === 'ip6' || family === 'inet') && hook === 'prerouting';
  if (value === 100) return (family === 'ip' || family === 'ip6' || family === 'inet') && hook === 'postrouting';
  return true;
}

class Loader {
  constructor(
    private readonly rs: NftRuleset,
    private readonly shift: ((p: Pos) => Pos) | null,
  ) {}

  private fail(pos: Pos, msg: string): never {
    throw errorAt(this.rs.files, this.shift ? this.shift(pos) : pos, msg);
  }

  command(c: Command): void {
    switch (c.k) {
      case 'flush-ruleset':
        this.rs.tables = c.family === null ? [] : this.rs.tables.filter((t) => t.family !== c.family);
        return;
      case 'table':
        return this.tableCmd(c);
      case 'chain':
        return this.chainCmd(c);
      case 'rule':
        return this.ruleCmd(c);
      case 'set':
        return this.setCmd(c);
      case 'element':
        return this.elementCmd(c);
      case 'obj':
        return this.objCmd(c);
    }
  }

  private table(t: TableRef): NftTable {
    const tb = this.rs.table(t.family, t.name);
    if (!tb) this.fail(t.pos, `Could not process rule: No such file or directory: table ${t.family} ${t.name}`);
    return tb;
  }

  private tableCmd(c: Command & { k: 'table' }): void {
    if (c.op === 'delete' || c.op === 'destroy') {
      const i = this.rs.tables.findIndex((t) => (c.handle !== null ? t.family === c.t.family && t.handle === c.handle : t.family === c.t.family && t.name === c.t.name));
      if (i < 0) {
        if (c.op === 'destroy') return;
        this.fail(c.t.pos, `Could not process rule: No such file or directory: table ${c.t.family} ${c.t.name}`);
      }
      this.rs.tables.splice(i, 1);
      return;
    }
    if (c.op === 'flush') {
      const tb = this.table(c.t);
      for (const ch of tb.chains.values()) ch.rules = [];
      return;
    }
    let tb = this.rs.table(c.t.family, c.t.name);
    if (tb && c.op === 'create') this.fail(c.t.pos, `Could not process rule: File exists: table ${c.t.family} ${c.t.name}`);
    if (!tb) {
      tb = new NftTable(c.t.family, c.t.name, this.rs.newTableHandle());
      this.rs.tables.push(tb);
    }
    if (c.body) this.tableBody(tb, c.body);
  }

  private tableBody(tb: NftTable, body: TableAst): void {
    for (const f of body.flags) {
      if (f !== 'dormant' && f !== 'owner' && f !== 'persist') this.fail(body.chains[0]?.pos ?? { src: 0, line: 1, col: 1 }, `unknown table flag ${f}`);
      if (f === 'dormant') this.fail(body.chains[0]?.pos ?? { src: 0, line: 1, col: 1 }, 'dormant tables are not supported by ctkit');
    }
    tb.flags = [...body.flags];
    if (body.comment !== null) tb.comment = body.comment;
    const chains = body.chains.map((c) => this.declareChain(tb, c));
    for (const o of body.objs) this.declareObj(tb, o);
    for (const s of body.sets) this.declareSet(tb, s);
    body.chains.forEach((c, i) => {
      for (const r of c.rules) this.addRule(tb, chains[i]!, r, null);
    });
  }

  private declareChain(tb: NftTable, c: ChainAst): NftChain {
    let ch = tb.chains.get(c.name);
    if (!ch) {
      ch = new NftChain(tb, c.name, tb.newHandle(), c.pos);
      tb.chains.set(c.name, ch);
    }
    if (c.type !== null) ch.base = this.baseHook(tb, c);
    if (c.policy !== null) {
      if (ch.base === null) this.fail(c.pos, 'policy is only valid in base chains');
      ch.policy = c.policy;
    }
    if (c.comment !== null) ch.comment = c.comment;
    return ch;
  }

  private baseHook(tb: NftTable, c: ChainAst): BaseHook {
    const type = c.type!;
    if (type !== 'filter' && type !== 'nat' && type !== 'route') this.fail(c.pos, `unknown chain type ${type}`);
    const hook = c.hook!;
    if (!HOOKS.includes(hook)) this.fail(c.pos, `unknown chain hook ${hook}`);
    const problem = baseChainProblem(tb.family, type, hook, c.device);
    if (problem !== null) this.fail(c.pos, problem);
    if (type === 'nat' && !['prerouting', 'input', 'output', 'postrouting'].includes(hook)) this.fail(c.pos, `Could not process rule: Operation not supported: nat chains cannot use the ${hook} hook`);
    if (type === 'route' && hook !== 'output') this.fail(c.pos, 'Could not process rule: Operation not supported: route chains only use the output hook');
    const priority = this.priority(tb.family, hook, c.priority!.text, c.priority!.pos);
    // nf_nat refuses nat chains that would run before conntrack (priority <= -200)
    if (type === 'nat' && priority <= -200) this.fail(c.pos, 'Could not process rule: Operation not supported');
    return { type, hook, priority, device: c.device };
  }

  private priority(family: Family, hook: string, text: string, pos: Pos): number {
    const m = /^(\S+?)(?:\s*([+-])\s*(\d+))?$/.exec(text.trim());
    if (m === null) this.fail(pos, `invalid priority expression ${text}`);
    let base = parseCNumber(m[1]!.replace(/^-/, '')) !== null ? Number(m[1]) : NaN;
    if (/^-?[0-9]+$/.test(m[1]!)) base = Number(m[1]);
    if (Number.isNaN(base)) {
      // the family's own names (bridge filter is -200; arp and netdev know only filter)
      const std = priorityByName(family, hook, m[1]!);
      if (std === null) this.fail(pos, `'${m[1]}' is invalid priority in this context.`);
      base = std;
    }
    if (m[2] !== undefined) base += (m[2] === '-' ? -1 : 1) * Number(m[3]);
    return base;
  }

  private chainCmd(c: Command & { k: 'chain' }): void {
    const tb = this.table(c.t);
    const pos = c.chain.pos;
    if (c.op === 'delete' || c.op === 'destroy') {
      const ch = c.handle !== null ? [...tb.chains.values()].find((x) => x.handle === c.handle) : tb.chains.get(c.chain.name);
      if (!ch) {
        if (c.op === 'destroy') return;
        this.fail(pos, `Could not process rule: No such file or directory: chain ${c.chain.name}`);
      }
      if (ch.rules.length > 0) this.fail(pos, 'Could not process rule: Device or resource busy');
      tb.chains.delete(ch.name);
      return;
    }
    if (c.op === 'flush') {
      const ch = tb.chains.get(c.chain.name);
      if (!ch) this.fail(pos, `Could not process rule: No such file or directory: chain ${c.chain.name}`);
      ch.rules = [];
      return;
    }
    if (c.op === 'create' && tb.chains.has(c.chain.name)) this.fail(pos, `Could not process rule: File exists: chain ${c.chain.name}`);
    const ch = this.declareChain(tb, c.chain);
    for (const r of c.chain.rules) this.addRule(tb, ch, r, null);
  }

  private addRule(tb: NftTable, ch: NftChain, r: { stmts: readonly import('./ast.js').Stmt[]; comment: string | null; pos: Pos }, at: number | null): NftRule {
    const bad = familyProblem(tb.family, ch.base?.hook ?? null, r.stmts);
    if (bad !== null) this.fail(bad.at.pos, bad.message);
    const { stmts, sets } = evaluateRule({ table: tb, chain: ch, files: this.rs.files }, this.shiftStmts(r.stmts));
    const rule = new NftRule(tb.newHandle(), stmts, r.comment, r.pos, sets);
    if (at === null) ch.rules.push(rule);
    else ch.rules.splice(at, 0, rule);
    return rule;
  }

  private shiftStmts<S>(s: S): S {
    if (this.shift === null) return s;
    const shift = this.shift;
    const walk = (x: unknown): unknown => {
      if (Array.isArray(x)) return x.map(walk);
      if (x !== null && typeof x === 'object') {
        const o: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(x)) o[k] = k === 'pos' ? shift(v as Pos) : walk(v);
        return o;
      }
      return x;
    };
    return walk(s) as S;
  }

  private ruleCmd(c: Command & { k: 'rule' }): void {
    const tb = this.table(c.t);
    const ch = tb.chains.get(c.chain);
    if (!ch) this.fail(c.pos, `Could not process rule: No such file or directory: chain ${c.t.family} ${c.t.name} ${c.chain}`);
    let idx: number | null = null;
    if (c.where !== null) {
      if (c.where.kind === 'index') {
        if (c.where.n >= ch.rules.length) this.fail(c.pos, `Could not process rule: No such file or directory: index ${c.where.n}`);
        idx = c.where.n;
      } else {
        idx = ch.rules.findIndex((r) => r.handle === c.where!.n);
        if (idx < 0) this.fail(c.pos, `Could not process rule: No such file or directory: handle ${c.where.n}`);
      }
    }
    switch (c.op) {
      case 'add':
        this.addRule(tb, ch, c.rule!, idx === null ? null : idx + 1);
        return;
      case 'insert':
        this.addRule(tb, ch, c.rule!, idx ?? 0);
        return;
      case 'replace': {
        const old = ch.rules[idx!]!;
        const fresh = this.addRule(tb, ch, c.rule!, idx!);
        ch.rules.splice(idx! + 1, 1);
        void old;
        void fresh;
        return;
      }
      case 'delete':
      case 'destroy':
        ch.rules.splice(idx!, 1);
        return;
    }
  }

  // ---- sets ----

  private setCmd(c: Command & { k: 'set' }): void {
    const tb = this.table(c.t);
    if (c.op === 'delete' || c.op === 'destroy') {
      if (!tb.sets.delete(c.set.name) && c.op === 'delete') this.fail(c.set.pos, `Could not process rule: No such file or directory: set ${c.set.name}`);
      return;
    }
    if (c.op === 'flush') {
      const s = tb.sets.get(c.set.name);
      if (!s) this.fail(c.set.pos, `Could not process rule: No such file or directory: set ${c.set.name}`);
      s.clear();
      return;
    }
    if (tb.sets.has(c.set.name)) {
      if (c.op === 'create') this.fail(c.set.pos, `Could not process rule: File exists: set ${c.set.name}`);
      if (c.set.elements) addElements(this.scope(tb), tb.sets.get(c.set.name)!, this.shiftStmts(c.set.elements), true);
      return;
    }
    this.declareSet(tb, c.set);
  }

  private scope(tb: NftTable) {
    const chain = new NftChain(tb, '', 0, { src: 0, line: 0, col: 0 });
    return { table: tb, chain, files: this.rs.files };
  }

  private declareSet(tb: NftTable, s: SetAst): void {
    if (tb.sets.has(s.name)) {
      if (s.elements) addElements(this.scope(tb), tb.sets.get(s.name)!, this.shiftStmts(s.elements), true);
      return;
    }
    let fields: Field[];
    let typeofText: string | null = null;
    if (s.keyTypes !== null) {
      fields = s.keyTypes.map((n) => fieldOf(this.typeNamed(n, s.pos)));
    } else if (s.keyExprs !== null) {
      const sc = this.scope(tb);
      const keys = s.keyExprs.map((e) => keyOf(sc, this.shiftStmts(e)));
      fields = keys.map((k) => k.fields[0]!);
      typeofText = keys.map((k) => k.text).join(' . ');
    } else {
      this.fail(s.pos, `set ${s.name} has no type: add type or typeof`);
    }
    let dataType: DType | 'verdict' | null = null;
    let dataFields: Field[] | null = null;
    let dataTypeofText: string | null = null;
    if (s.isMap) {
      if (s.dataType !== null) {
        if (s.dataType === 'verdict') dataType = 'verdict';
        else {
          const parts = s.dataType.split(' . ').map((n) => this.typeNamed(n, s.pos));
          dataType = parts[0]!;
          if (parts.length > 1) dataFields = parts.map(fieldOf);
        }
      } else if (s.dataExpr !== null) {
        const k = keyOf(this.scope(tb), this.shiftStmts(s.dataExpr));
        dataType = k.type;
        dataTypeofText = k.text;
      } else {
        this.fail(s.pos, `map ${s.name} has no data type`);
      }
    }
    for (const f of s.flags) if (!['constant', 'interval', 'timeout', 'dynamic', 'eval'].includes(f)) this.fail(s.pos, `unknown set flag ${f}`);
    const set = new NftSet(s.name, tb.newHandle(), fields, s.isMap, dataType, new Set(s.flags), {
      anonymous: false, timeout: s.timeout, gcInterval: s.gcInterval, size: s.size, policy: s.policy, autoMerge: s.autoMerge,
      counter: s.counter, comment: s.comment, typeofText, dataTypeofText,
    });
    if (s.timeout !== null) set.flags.add('timeout');
    set.dataFields = dataFields;
    tb.sets.set(s.name, set);
    if (s.elements) addElements(this.scope(tb), set, this.shiftStmts(s.elements), true);
    const missing = missingMapObject(tb, set);
    if (missing !== null) this.fail(s.pos, missing);
  }

  private typeNamed(n: string, pos: Pos): DType {
    if (n === 'verdict') this.fail(pos, 'verdict is only valid as map data');
    const t = namedType(n) ?? objectDataType(n);
    if (!t) this.fail(pos, `unknown datatype ${n}`);
    return t;
  }

  private elementCmd(c: Command & { k: 'element' }): void {
    const tb = this.table(c.t);
    const set = tb.sets.get(c.set);
    if (!set) this.fail(c.pos, `Could not process rule: No such file or directory: set ${c.set}`);
    if (c.op === 'add' || c.op === 'create') {
      addElements(this.scope(tb), set, this.shiftStmts(c.elems), true);
      const missing = missingMapObject(tb, set);
      if (missing !== null) this.fail(c.pos, missing);
      return;
    }
    const probe = new NftSet('', 0, set.fields, set.isMap, set.dataType, new Set([...set.flags, 'interval']), set.opts);
    probe.dataFields = set.dataFields;
    addElements(this.scope(tb), probe, this.shiftStmts(c.elems), false);
    for (const e of probe.elems) {
      const hit = set.find(e.lo, e.hi);
      if (!hit) {
        if (c.op === 'destroy') continue;
        this.fail(c.pos, 'Could not process rule: No such file or directory: element not in set');
      }
      set.remove(hit);
    }
  }

  // ---- objects ----

  private objCmd(c: Command & { k: 'obj' }): void {
    const tb = this.table(c.t);
    if (c.op === 'delete' || c.op === 'destroy') {
      const i = tb.objects.findIndex((o) => o.type === c.obj.type && o.name === c.obj.name);
      if (i < 0) {
        if (c.op === 'destroy') return;
        this.fail(c.obj.pos, `Could not process rule: No such file or directory: ${c.obj.type} ${c.obj.name}`);
      }
      tb.objects.splice(i, 1);
      return;
    }
    if (tb.object(c.obj.type, c.obj.name)) {
      if (c.op === 'create') this.fail(c.obj.pos, `Could not process rule: File exists: ${c.obj.type} ${c.obj.name}`);
      return;
    }
    this.declareObj(tb, c.obj);
  }

  private declareObj(tb: NftTable, o: ObjAst): void {
    if (tb.object(o.type, o.name)) return;
    const obj: NftObject = { type: o.type, name: o.name, handle: tb.newHandle(), pos: o.pos, comment: o.comment, state: this.objState(tb, o) };
    tb.objects.push(obj);
  }

  private objState(tb: NftTable, o: ObjAst): ObjState {
    const get = (k: string) => o.props.get(k)?.value;
    const l3 = (): number => {
      const v = get('l3proto') as string | undefined;
      const name = v ?? tb.family;
      if (name === 'ip') return 2;
      if (name === 'ip6') return 10;
      if (name === 'inet') return 1;
      this.fail(o.pos, `unknown l3proto ${name}`);
    };
    const proto = (): number => {
      const v = get('protocol') as string | undefined;
      if (v === undefined) this.fail(o.pos, `${o.type} ${o.name}: protocol is missing`);
      const n = parseProtocol(v);
      if (n === null) this.fail(o.pos, `unknown protocol ${v}`);
      return n;
    };
    switch (o.type) {
      case 'counter':
        return { kind: 'counter', packets: (get('packets') as number) ?? 0, bytes: (get('bytes') as number) ?? 0 };
      case 'quota': {
        const q = get('quota') as { bytes: number; over: boolean; used: number };
        return { kind: 'quota', bytes: q.bytes, over: q.over, used: q.used };
      }
      case 'limit':
        return { kind: 'limit', spec: get('limit') as import('./ast.js').LimitSpec, bucket: null };
      case 'ct helper': {
        const helper = get('type') as string | undefined;
        if (helper === undefined) this.fail(o.pos, `ct helper ${o.name}: type is missing`);
        const protocol = proto();
        const l3proto = l3();
        // Only helpers ctkit implements load (the kernel refuses unknown ones; one that did
        // nothing would make the replay lie).
        if (helperRefusal(helper, l3proto === 10 ? 6 : 4, protocol) !== null) {
          this.fail(o.pos, `Could not process rule: No such file or directory: conntrack helper "${helper}"`);
        }
        return { kind: 'ct helper', helper, protocol, l3proto };
      }
      case 'ct timeout': {
        const protocol = proto();
        const policy = (get('policy') as [string, number][]) ?? [];
        if (!ctTimeoutProtocolOk(protocol)) this.fail(o.props.get('protocol')?.pos ?? o.pos, 'syntax error, expecting udp or tcp');
        for (const [state] of policy) {
          if (ctTimeoutStateIndex(protocol, state) < 0) this.fail(o.props.get(`state:${state}`)?.pos ?? o.pos, 'invalid state for this protocol');
        }
        const refused = ctTimeoutUnsupported(protocol, policy);
        if (refused !== null) this.fail(o.pos, refused);
        return { kind: 'ct timeout', protocol, l3proto: l3(), policy };
      }
      case 'secmark':
        // security_secctx_to_secid finds no LSM to resolve the context: the kernel answers ENOENT
        this.fail(o.pos, `Could not process rule: No such file or directory: secmark ${o.name} (the kernel resolves "${String(get('ctx') ?? '')}" through the LSM; without SELinux the object cannot be created)`);
      case 'ct expectation': {
        if (!['protocol', 'dport', 'timeout', 'size'].every((k) => o.props.has(k))) this.fail(o.pos, 'missing options');
        const l3proto = l3();
        // nft_ct_expect_obj_init: an l3proto of another family than the table's is EINVAL
        const tfam = tb.family === 'ip' ? 2 : tb.family === 'ip6' ? 10 : tb.family === 'inet' ? 1 : 0;
        if (tfam !== 1 && l3proto !== tfam) this.fail(o.pos, 'Could not process rule: Invalid argument');
        if (l3proto === 1) this.fail(o.pos, 'Could not process rule: Address family not supported by protocol');
        return {
          kind: 'ct expectation', protocol: proto(), l3proto, dport: get('dport') as number,
          // nft sends the size as a u8
          timeout: get('timeout') as number, size: (get('size') as number) & 0xff,
        };
      }
      default:
        this.fail(o.pos, `${o.type} objects are not supported by ctkit`);
    }
  }
}

export { T };
