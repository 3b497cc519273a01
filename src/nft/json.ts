/**
 * nft's JSON front end (libnftables-json(5), nftables 1.0.6): the output of `nft -j list ruleset`
 * and JSON command files (`{"nftables": [{"flush": {"ruleset": null}}, {"add": {"table": ...}}]}`)
 * turned into the same commands the text parser makes (ast.ts), so loading, evaluation, listing
 * and the pipeline are shared with `nft -f` text.
 *
 * As nft reads JSON: an element of the `nftables` array is a command object (`add`, `create`,
 * `insert`, `replace`, `delete`, `flush`) or a bare ruleset element, which means `add`; `metainfo`
 * is checked for the schema version. Immediates are symbols: a string is taken whole (no `a-b`
 * ranges or `a/n` prefixes inside it: those are `range` and `prefix` objects), an integer is its
 * decimal text, `@name` is a set reference; an array is a list (flags) on the right of a match
 * and a `[key, value]` pair in a set is a mapping. Properties nft 1.0.6 outputs but its JSON
 * parser ignores (a table's, chain's or set's `comment`, the `handle` of an added object, an
 * element's `counter`) are accepted and ignored as nft ignores them; a property nft does not know
 * is an error.
 *
 * Errors name the file and the JSON path of the offending value:
 * `rules.json: nftables[3].rule.expr[1]: unknown statement "foo"`.
 */
import type {
  ChainAst, Command, ElemOpts, Expr, Family, LimitSpec, ObjAst, Pos, QuotaSpec, RelOp, RuleAst, SetAst, Stmt, TableRef, VerdictName,
} from './ast.js';
import { FAMILIES } from './ast.js';
import { NftError } from './lexer.js';
import type { ParsedScript } from './parse.js';

/** True when `text` is a JSON document (nft text never starts with `{`). */
export function isJsonRuleset(text: string): boolean {
  const m = /^\s*(\S)/.exec(text);
  return m !== null && m[1] === '{';
}

/** Parses a JSON ruleset or command file into commands; `file` names it in messages. */
export function parseNftJson(text: string, opts: { file?: string } = {}): ParsedScript {
  const file = opts.file ?? 'ruleset';
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw jsonSyntaxError(file, text, e instanceof Error ? e.message : String(e));
  }
  const c = new JsonConv(file);
  return { commands: c.document(doc), files: c.files };
}

/** `FILE:LINE:COL: JSON syntax error: ...` from V8's message (which gives a character position). */
function jsonSyntaxError(file: string, text: string, msg: string): NftError {
  const m = /position (\d+)/.exec(msg);
  let at = m ? Number(m[1]) : text.length;
  if (/Unexpected end of JSON input/.test(msg)) at = text.length;
  let line = 1;
  let col = 1;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return new NftError(file, line, col, `JSON syntax error: ${msg.replace(/ in JSON at position \d+.*$/, '')}`);
}

type JObj = Record<string, unknown>;

const COMMANDS = ['add', 'create', 'insert', 'replace', 'delete', 'flush'] as const;
type Op = (typeof COMMANDS)[number];
const UNSUPPORTED_COMMANDS = ['list', 'reset', 'rename', 'destroy', 'describe', 'export', 'import', 'monitor'];
const OBJ_TYPES: Readonly<Record<string, ObjAst['type']>> = {
  counter: 'counter', quota: 'quota', limit: 'limit', 'ct helper': 'ct helper', 'ct timeout': 'ct timeout', 'ct expectation': 'ct expectation',
  secmark: 'secmark',
};
const UNSUPPORTED_OBJECTS: Readonly<Record<string, string>> = {
  flowtable: 'flowtables are not supported', synproxy: 'synproxy objects are not supported by ctkit',
  tunnel: 'tunnel objects are not supported by ctkit', meter: 'meter objects are listed, not added: use a meter statement',
};
/** Statements and expressions nft has that ctkit does not model (the text front end refuses them too). */
const UNSUPPORTED_STMTS: Readonly<Record<string, string>> = {
  flow: 'flow offload statement', xt: 'xt (iptables-nft compat) statement', tproxy: 'tproxy statement', synproxy: 'synproxy statement',
  last: 'last statement', tunnel: 'tunnel statement',
  map: 'map statement (add @map { key : value })',
};
const UNSUPPORTED_EXPRS: Readonly<Record<string, string>> = {
  exthdr: 'exthdr expression', 'ip option': 'ip option expression', 'sctp chunk': 'sctp chunk expression', 'dccp option': 'dccp option expression',
  osf: 'osf expression', socket: 'socket expression', ipsec: 'ipsec expression', tunnel: 'tunnel expression',
};
const VERDICTS: readonly VerdictName[] = ['accept', 'drop', 'continue', 'return', 'jump', 'goto'];
const REL: Readonly<Record<string, RelOp>> = { '==': '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=', in: 'implicit' };
const BYTE_UNITS: Readonly<Record<string, number>> = { bytes: 1, kbytes: 1024, mbytes: 1024 * 1024 };
const PER: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };

class JsonConv {
  readonly files: string[] = [];

  constructor(private readonly file: string) {}

  /** A position that prints as `FILE: PATH` (line 0: no line/column). */
  private pos(path: string): Pos {
    this.files.push(`${this.file}: ${path}`);
    return { src: this.files.length - 1, line: 0, col: 0 };
  }

  private fail(path: string, msg: string): never {
    throw new NftError(`${this.file}: ${path}`, 0, 0, msg);
  }

  // ---- JSON value helpers ----

  private obj(v: unknown, path: string, what = 'an object'): JObj {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `${what} is expected, got ${jsonType(v)}`);
    return v as JObj;
  }

  /** The only property of a one-property object (statement and expression objects). */
  private single(v: unknown, path: string, what: string): [string, unknown] {
    const o = this.obj(v, path, what);
    const keys = Object.keys(o);
    if (keys.length !== 1) this.fail(path, `${what} must have exactly one property, got ${keys.length === 0 ? 'none' : keys.map((k) => `"${k}"`).join(', ')}`);
    return [keys[0]!, o[keys[0]!]];
  }

  private known(o: JObj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${path}.${k}`, `unknown property "${k}" (expected one of ${allowed.join(', ')})`);
  }

  private str(o: JObj, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string') this.fail(`${path}.${key}`, v === undefined ? `property "${key}" is missing` : `a string is expected, got ${jsonType(v)}`);
    return v;
  }

  private optStr(o: JObj, key: string, path: string): string | null {
    return o[key] === undefined ? null : this.str(o, key, path);
  }

  private int(o: JObj, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`${path}.${key}`, v === undefined ? `property "${key}" is missing` : `an integer is expected, got ${jsonType(v)}`);
    return v;
  }

  private optInt(o: JObj, key: string, path: string): number | null {
    return o[key] === undefined ? null : this.int(o, key, path);
  }

  private bool(o: JObj, key: string, path: string): boolean {
    const v = o[key];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') this.fail(`${path}.${key}`, `true or false is expected, got ${jsonType(v)}`);
    return v;
  }

  /** A flag property: one string or an array of strings, each one of `allowed`. */
  private flags(o: JObj, key: string, path: string, allowed: readonly string[]): string[] {
    const v = o[key];
    if (v === undefined) return [];
    const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : this.fail(`${path}.${key}`, `a string or an array of strings is expected, got ${jsonType(v)}`);
    return list.map((f, i) => {
      const p = typeof v === 'string' ? `${path}.${key}` : `${path}.${key}[${i}]`;
      if (typeof f !== 'string' || !allowed.includes(f)) this.fail(p, `unknown flag ${JSON.stringify(f)} (expected ${allowed.join(', ')})`);
      return f;
    });
  }

  private family(o: JObj, path: string): Family {
    const f = this.str(o, 'family', path);
    if (!FAMILIES.includes(f as Family)) this.fail(`${path}.family`, `unknown family "${f}" (expected ${FAMILIES.join(', ')})`);
    return f as Family;
  }

  private tableRef(o: JObj, path: string, key = 'table'): TableRef {
    return { family: this.family(o, path), name: this.str(o, key, path), pos: this.pos(path) };
  }

  // ---- document and commands ----

  document(doc: unknown): Command[] {
    const root = this.obj(doc, 'top level', 'an object {"nftables": [...]}');
    this.known(root, 'top level', ['nftables']);
    const list = root['nftables'];
    if (!Array.isArray(list)) this.fail('nftables', list === undefined ? 'the "nftables" array is missing' : `an array is expected, got ${jsonType(list)}`);
    const out: Command[] = [];
    list.forEach((item, i) => {
      const path = `nftables[${i}]`;
      const [key, value] = this.single(item, path, 'a command or ruleset element');
      if (key === 'metainfo') return this.metainfo(value, `${path}.metainfo`);
      if ((COMMANDS as readonly string[]).includes(key)) return this.command(key as Op, value, `${path}.${key}`, out);
      if (UNSUPPORTED_COMMANDS.includes(key)) this.fail(path, `'${key}' commands are not supported in a ruleset file loaded by ctkit`);
      this.element('add', key, value, sub(path, key), out);
    });
    return out;
  }

  private metainfo(v: unknown, path: string): void {
    const o = this.obj(v, path);
    this.known(o, path, ['version', 'release_name', 'json_schema_version']);
    const schema = o['json_schema_version'];
    if (schema !== undefined && (typeof schema !== 'number' || schema > 1)) {
      this.fail(`${path}.json_schema_version`, `unsupported JSON schema version ${JSON.stringify(schema)} (nft 1.0.6 reads version 1)`);
    }
  }

  private command(op: Op, v: unknown, path: string, out: Command[]): void {
    const [key, value] = this.single(v, path, `the object of a ${op} command`);
    if (op === 'flush' && key === 'ruleset') {
      let family: Family | null = null;
      if (value !== null) {
        const o = this.obj(value, `${path}.ruleset`);
        this.known(o, `${path}.ruleset`, ['family']);
        if (o['family'] !== undefined) family = this.family(o, `${path}.ruleset`);
      }
      out.push({ k: 'flush-ruleset', family, pos: this.pos(path) });
      return;
    }
    if ((op === 'insert' || op === 'replace') && key !== 'rule') this.fail(`${path}.${key}`, `${op} works on rules only`);
    this.element(op, key, value, sub(path, key), out);
  }

  /** A ruleset element (`table`, `chain`, `rule`, `set`, `map`, `element`, objects) under `op`. */
  private element(op: Op, key: string, v: unknown, p: string, out: Command[]): void {
    switch (key) {
      case 'table':
        return void out.push(this.table(op, this.obj(v, p), p));
      case 'chain':
        return void out.push(this.chain(op, this.obj(v, p), p));
      case 'rule':
        return void out.push(this.rule(op, this.obj(v, p), p));
      case 'set':
      case 'map':
        return void out.push(this.set(op, key === 'map', this.obj(v, p), p));
      case 'element':
        return void out.push(this.elementCmd(op, this.obj(v, p), p));
    }
    if (OBJ_TYPES[key] !== undefined) return void out.push(this.object(op, OBJ_TYPES[key]!, this.obj(v, p), p));
    if (UNSUPPORTED_OBJECTS[key] !== undefined) this.fail(p, UNSUPPORTED_OBJECTS[key]!);
    this.fail(p, `unknown ruleset element "${key}" (expected table, chain, rule, set, map, element, counter, quota, limit, ct helper, ct timeout, ct expectation or secmark)`);
  }

  private table(op: Op, o: JObj, path: string): Command {
    this.known(o, path, ['family', 'name', 'handle', 'flags', 'comment']);
    const tOp = this.opOf(op, ['add', 'create', 'delete', 'flush'], path, 'tables');
    if (tOp === 'delete' && o['name'] === undefined) {
      const h = this.int(o, 'handle', path);
      return { k: 'table', op: tOp, t: { family: this.family(o, path), name: '', pos: this.pos(path) }, body: null, handle: h };
    }
    const t: TableRef = { family: this.family(o, path), name: this.str(o, 'name', path), pos: this.pos(path) };
    const flags = this.flags(o, 'flags', path, ['dormant', 'owner', 'persist']);
    // nft 1.0.6 reads no table comment from JSON (its JSON output has none either)
    const body = flags.length > 0 ? { chains: [], sets: [], objs: [], flowtables: [], flags, comment: null } : null;
    return { k: 'table', op: tOp, t, body, handle: null };
  }

  private chain(op: Op, o: JObj, path: string): Command {
    this.known(o, path, ['family', 'table', 'name', 'handle', 'type', 'hook', 'prio', 'dev', 'policy', 'comment', 'newname']);
    if (o['newname'] !== undefined) this.fail(`${path}.newname`, 'rename is not supported in a ruleset file loaded by ctkit');
    const cOp = this.opOf(op, ['add', 'create', 'delete', 'flush'], path, 'chains');
    const t = this.tableRef(o, path);
    const pos = this.pos(path);
    if (cOp === 'delete' && o['name'] === undefined) {
      return { k: 'chain', op: cOp, t, chain: emptyChain('', pos), handle: this.int(o, 'handle', path) };
    }
    const name = this.str(o, 'name', path);
    const base = ['type', 'hook', 'prio'].filter((k) => o[k] !== undefined);
    let chain: ChainAst = emptyChain(name, pos);
    if (base.length > 0 && cOp !== 'delete' && cOp !== 'flush') {
      if (base.length < 3) this.fail(path, `a base chain needs "type", "hook" and "prio" (missing ${['type', 'hook', 'prio'].filter((k) => !base.includes(k)).join(', ')})`);
      const prio = this.int(o, 'prio', path);
      const policy = this.optStr(o, 'policy', path);
      if (policy !== null && policy !== 'accept' && policy !== 'drop') this.fail(`${path}.policy`, `unknown policy "${policy}"`);
      chain = {
        ...chain,
        type: this.str(o, 'type', path),
        hook: this.str(o, 'hook', path),
        device: this.devices(o, path),
        priority: { text: String(prio), pos: this.pos(`${path}.prio`) },
        policy: policy as 'accept' | 'drop' | null,
      };
    } else if (o['policy'] !== undefined && cOp !== 'delete' && cOp !== 'flush') {
      this.fail(`${path}.policy`, 'policy is only valid in base chains (give type, hook and prio)');
    }
    // nft 1.0.6 reads no chain comment from JSON
    return { k: 'chain', op: cOp, t, chain, handle: null };
  }

  private devices(o: JObj, path: string): string[] {
    const v = o['dev'];
    if (v === undefined) return [];
    const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : this.fail(`${path}.dev`, `a device name or an array of them is expected, got ${jsonType(v)}`);
    return list.map((d, i) => {
      if (typeof d !== 'string' || d === '') this.fail(`${path}.dev[${i}]`, 'a device name is expected');
      if (d.length >= 16) this.fail(`${path}.dev[${i}]`, `Device name ${d} too long`);
      return d;
    });
  }

  private rule(op: Op, o: JObj, path: string): Command {
    this.known(o, path, ['family', 'table', 'chain', 'handle', 'index', 'expr', 'comment']);
    const rOp = this.opOf(op, ['add', 'insert', 'replace', 'delete'], path, 'rules');
    const t = this.tableRef(o, path);
    const chain = this.str(o, 'chain', path);
    const pos = this.pos(path);
    const handle = this.optInt(o, 'handle', path);
    const index = this.optInt(o, 'index', path);
    let where: { kind: 'position' | 'handle' | 'index'; n: number } | null = null;
    if (rOp === 'delete' || rOp === 'replace') {
      if (handle === null) this.fail(path, `property "handle" is missing: ${rOp === 'delete' ? 'deleting' : 'replacing'} a rule needs its handle`);
      where = { kind: 'handle', n: handle };
    } else if (index !== null) {
      where = { kind: 'index', n: index };
    } else if (handle !== null && rOp === 'insert') {
      // nft: insert's handle is the position (add ignores a listed rule's handle)
      where = { kind: 'position', n: handle };
    }
    if (rOp === 'delete') return { k: 'rule', op: rOp, t, chain, where, rule: null, pos };
    const exprs = o['expr'];
    if (!Array.isArray(exprs)) this.fail(`${path}.expr`, exprs === undefined ? 'property "expr" is missing' : `an array of statements is expected, got ${jsonType(exprs)}`);
    const stmts = exprs.map((s, i) => this.stmt(s, `${path}.expr[${i}]`));
    const comment = this.optStr(o, 'comment', path);
    const rule: RuleAst = { stmts, comment, pos };
    return { k: 'rule', op: rOp, t, chain, where, rule, pos };
  }

  private set(op: Op, isMap: boolean, o: JObj, path: string): Command {
    this.known(o, path, ['family', 'table', 'name', 'handle', 'type', 'map', 'policy', 'flags', 'elem', 'timeout', 'gc-interval', 'size', 'auto-merge', 'stmt', 'comment']);
    const sOp = this.opOf(op, ['add', 'create', 'delete', 'flush'], path, 'sets');
    const t = this.tableRef(o, path);
    const pos = this.pos(path);
    if (sOp === 'delete' || sOp === 'flush') {
      return { k: 'set', op: sOp, t, set: emptySet(this.str(o, 'name', path), isMap, pos) };
    }
    const name = this.str(o, 'name', path);
    const s: { -readonly [K in keyof SetAst]: SetAst[K] } = emptySet(name, isMap, pos);
    const type = o['type'];
    if (type === undefined) this.fail(`${path}.type`, 'property "type" is missing');
    const key = this.dtype(type, `${path}.type`);
    if (key.names) s.keyTypes = key.names;
    else s.keyExprs = key.exprs!;
    const data = o['map'];
    if (data !== undefined) {
      if (!isMap) this.fail(`${path}.map`, 'a set has no data type: use a map');
      if (typeof data === 'string' && ['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'secmark', 'synproxy'].includes(data)) {
        this.fail(`${path}.map`, `${data} maps are not supported by ctkit`);
      }
      const d = this.dtype(data, `${path}.map`);
      if (d.names) s.dataType = d.names.join(' . ');
      else if (d.exprs!.length === 1) s.dataExpr = d.exprs![0]!;
      else this.fail(`${path}.map`, 'a concatenated typeof map value is not supported');
    } else if (isMap) {
      this.fail(path, `property "map" is missing: map ${name} has no data type`);
    }
    s.flags = this.flags(o, 'flags', path, ['constant', 'interval', 'timeout', 'dynamic']);
    const policy = this.optStr(o, 'policy', path);
    if (policy !== null && policy !== 'performance' && policy !== 'memory') this.fail(`${path}.policy`, `Unknown set policy '${policy}'.`);
    s.policy = policy;
    const timeout = this.optInt(o, 'timeout', path);
    if (timeout !== null) s.timeout = timeout * 1000;
    const gc = this.optInt(o, 'gc-interval', path);
    if (gc !== null) s.gcInterval = gc * 1000;
    s.size = this.optInt(o, 'size', path);
    s.autoMerge = this.bool(o, 'auto-merge', path);
    const stmts = o['stmt'];
    if (stmts !== undefined) {
      if (!Array.isArray(stmts)) this.fail(`${path}.stmt`, `an array of statements is expected, got ${jsonType(stmts)}`);
      stmts.forEach((st, i) => {
        const [k, v] = this.single(st, `${path}.stmt[${i}]`, 'a statement');
        if (k !== 'counter' || (v !== null && typeof v === 'object' && Object.keys(v as object).some((x) => x !== 'packets' && x !== 'bytes'))) {
          this.fail(`${path}.stmt[${i}]`, `only a counter may be attached to a set's elements in ctkit (got "${k}")`);
        }
        s.counter = true;
      });
    }
    // nft 1.0.6 reads no set comment from JSON (its listing prints one, its parser drops it)
    if (o['elem'] !== undefined) s.elements = this.setElems(o['elem'], `${path}.elem`);
    return { k: 'set', op: sOp, t, set: s };
  }

  /** A set's `type` / a map's `map`: a type name, `a . b` names, an array of names, or `{"typeof": EXPR}`. */
  private dtype(v: unknown, path: string): { names?: string[]; exprs?: Expr[] } {
    if (typeof v === 'string') return { names: v.split(' . ').map((x) => x.trim()) };
    if (Array.isArray(v)) {
      if (v.length < 2) this.fail(path, `Concatenation with ${v.length} elements is illegal`);
      return {
        names: v.map((n, i) => {
          if (typeof n !== 'string') this.fail(`${path}[${i}]`, 'a datatype name is expected');
          return n;
        }),
      };
    }
    const [k, e] = this.single(v, path, 'a datatype');
    if (k !== 'typeof') this.fail(path, `Invalid set datatype (expected a name, an array of names or {"typeof": ...}, got "${k}")`);
    const x = this.expr(e, `${path}.typeof`);
    return { exprs: x.k === 'concat' ? [...x.parts] : [x] };
  }

  private elementCmd(op: Op, o: JObj, path: string): Command {
    this.known(o, path, ['family', 'table', 'name', 'elem']);
    const eOp = this.opOf(op, ['add', 'create', 'delete'], path, 'elements');
    const t = this.tableRef(o, path);
    const set = this.str(o, 'name', path);
    if (o['elem'] === undefined) this.fail(`${path}.elem`, 'property "elem" is missing');
    return { k: 'element', op: eOp, t, set, elems: this.setElems(o['elem'], `${path}.elem`), pos: this.pos(path) };
  }

  private object(op: Op, type: ObjAst['type'], o: JObj, path: string): Command {
    const allowed: Readonly<Record<string, readonly string[]>> = {
      counter: ['packets', 'bytes'],
      quota: ['bytes', 'used', 'inv'],
      limit: ['rate', 'per', 'rate_unit', 'burst', 'burst_unit', 'inv'],
      'ct helper': ['type', 'protocol', 'l3proto'],
      'ct timeout': ['protocol', 'l3proto', 'policy'],
      'ct expectation': ['protocol', 'l3proto', 'dport', 'timeout', 'size'],
      secmark: ['context'],
    };
    this.known(o, path, ['family', 'table', 'name', 'handle', 'comment', ...allowed[type]!]);
    const oOp = this.opOf(op, ['add', 'create', 'delete'], path, 'objects');
    const t = this.tableRef(o, path);
    const pos = this.pos(path);
    const props = new Map<string, { value: string | number | readonly (readonly [string, number])[] | LimitSpec | QuotaSpec; pos: Pos }>();
    const name = this.str(o, 'name', path);
    const obj: ObjAst = { type, name, pos, props, comment: this.optStr(o, 'comment', path) };
    if (oOp === 'delete') return { k: 'obj', op: oOp, t, obj };
    const set = (k: string, value: string | number | readonly (readonly [string, number])[] | LimitSpec | QuotaSpec): void => void props.set(k, { value, pos: this.pos(`${path}.${k}`) });
    switch (type) {
      case 'counter':
        set('packets', this.optInt(o, 'packets', path) ?? 0);
        set('bytes', this.optInt(o, 'bytes', path) ?? 0);
        break;
      case 'quota':
        set('quota', { bytes: this.optInt(o, 'bytes', path) ?? 0, used: this.optInt(o, 'used', path) ?? 0, over: this.bool(o, 'inv', path) });
        break;
      case 'limit':
        set('limit', this.limitSpec(o, path, 'rate_unit', 'burst_unit'));
        break;
      case 'ct helper':
        if (o['type'] !== undefined) set('type', this.str(o, 'type', path));
        if (o['protocol'] !== undefined) set('protocol', this.l4(o, path));
        if (o['l3proto'] !== undefined) set('l3proto', this.str(o, 'l3proto', path));
        break;
      case 'ct timeout': {
        if (o['protocol'] !== undefined) set('protocol', this.l4(o, path));
        if (o['l3proto'] !== undefined) set('l3proto', this.str(o, 'l3proto', path));
        const pol = o['policy'];
        if (pol !== undefined) {
          const po = this.obj(pol, `${path}.policy`);
          set('policy', Object.entries(po).map(([state, secs]) => {
            if (typeof secs !== 'number' || !Number.isInteger(secs)) this.fail(`${path}.policy.${state}`, `Invalid ct timeout policy value for '${state}'.`);
            return [state, secs] as const;
          }));
        }
        break;
      }
      case 'ct expectation':
        if (o['protocol'] !== undefined) set('protocol', this.l4(o, path));
        if (o['l3proto'] !== undefined) set('l3proto', this.str(o, 'l3proto', path));
        for (const k of ['dport', 'timeout', 'size']) if (o[k] !== undefined) set(k, this.int(o, k, path));
        break;
      case 'secmark':
        if (o['context'] !== undefined) set('ctx', this.str(o, 'context', path));
        break;
    }
    return { k: 'obj', op: oOp, t, obj };
  }

  private l4(o: JObj, path: string): string {
    const p = this.str(o, 'protocol', path);
    if (p !== 'tcp' && p !== 'udp') this.fail(`${path}.protocol`, `Invalid protocol '${p}' (tcp or udp)`);
    return p;
  }

  private opOf<O extends string>(op: Op, allowed: readonly O[], path: string, what: string): O {
    if (!(allowed as readonly string[]).includes(op)) this.fail(path, `${op} is not valid for ${what}`);
    return op as O;
  }

  // ---- statements ----

  private stmt(v: unknown, path: string): Stmt {
    const [key, value] = this.single(v, path, 'a statement');
    const p = sub(path, key);
    const pos = this.pos(path);
    if ((VERDICTS as readonly string[]).includes(key)) {
      const ve = this.verdict(key as VerdictName, value, p, pos);
      return { k: 'verdict', v: ve.v, chain: ve.chain, pos };
    }
    switch (key) {
      case 'match': {
        const o = this.obj(value, p);
        this.known(o, p, ['op', 'left', 'right']);
        const opText = this.str(o, 'op', p);
        const op = REL[opText];
        if (op === undefined) this.fail(`${p}.op`, `Invalid relational op '${opText}'.`);
        if (o['left'] === undefined) this.fail(`${p}.left`, 'property "left" is missing');
        if (o['right'] === undefined) this.fail(`${p}.right`, 'property "right" is missing');
        return { k: 'match', lhs: this.expr(o['left'], `${p}.left`), op, rhs: this.expr(o['right'], `${p}.right`), pos };
      }
      case 'counter':
        if (value === null) return { k: 'counter', packets: 0, bytes: 0, pos };
        if (typeof value === 'string') return { k: 'objref', type: 'counter', name: value, map: null, pos };
        {
          const o = this.obj(value, p, 'null, {"packets": N, "bytes": N} or a counter name');
          if (o['packets'] === undefined || o['bytes'] === undefined) return this.objRefMap('counter', value, p, pos);
          this.known(o, p, ['packets', 'bytes']);
          return { k: 'counter', packets: this.int(o, 'packets', p), bytes: this.int(o, 'bytes', p), pos };
        }
      case 'mangle': {
        const o = this.obj(value, p);
        this.known(o, p, ['key', 'value']);
        if (o['key'] === undefined || o['value'] === undefined) this.fail(p, 'a mangle statement needs "key" and "value"');
        const lhs = this.expr(o['key'], `${p}.key`);
        if (lhs.k === 'ct' && lhs.key === 'helper' && lhs.dir === null) return this.objRefValue('ct helper', o['value'], `${p}.value`, pos);
        if (lhs.k !== 'meta' && lhs.k !== 'ct' && lhs.k !== 'payload' && lhs.k !== 'raw' && lhs.k !== 'tcpopt') {
          this.fail(`${p}.key`, 'Invalid mangle statement key expression type (meta, ct or payload expected).');
        }
        return { k: 'set', lhs, value: orList(this.expr(o['value'], `${p}.value`)), pos };
      }
      case 'quota': {
        if (typeof value === 'string') return { k: 'objref', type: 'quota', name: value, map: null, pos };
        const o = this.obj(value, p, 'a quota object or a quota name');
        if (o['val'] === undefined) return this.objRefMap('quota', value, p, pos);
        this.known(o, p, ['val', 'val_unit', 'used', 'used_unit', 'inv']);
        const bytes = this.int(o, 'val', p) * this.unit(o, 'val_unit', p);
        const used = (this.optInt(o, 'used', p) ?? 0) * this.unit(o, 'used_unit', p);
        return { k: 'quota', spec: { bytes, over: this.bool(o, 'inv', p), used }, pos };
      }
      case 'limit': {
        if (typeof value === 'string') return { k: 'objref', type: 'limit', name: value, map: null, pos };
        const o = this.obj(value, p, 'a limit object or a limit name');
        if (o['rate'] === undefined) return this.objRefMap('limit', value, p, pos);
        this.known(o, p, ['rate', 'rate_unit', 'per', 'burst', 'burst_unit', 'inv']);
        return { k: 'limit', spec: this.limitSpec(o, p, 'rate_unit', 'burst_unit'), pos };
      }
      case 'fwd': {
        const o = this.obj(value, p);
        this.known(o, p, ['dev', 'family', 'addr']);
        if (o['dev'] === undefined) this.fail(`${p}.dev`, 'property "dev" is missing');
        const family = this.ipFamily(o, p);
        if ((family === null) !== (o['addr'] === undefined)) this.fail(p, 'fwd: "family" and "addr" go together');
        const addr = o['addr'] === undefined ? null : this.expr(o['addr'], `${p}.addr`);
        return { k: 'fwd', dev: this.expr(o['dev'], `${p}.dev`), family, addr, pos };
      }
      case 'dup': {
        const o = this.obj(value, p);
        this.known(o, p, ['addr', 'dev']);
        if (o['addr'] === undefined) this.fail(`${p}.addr`, 'property "addr" is missing');
        return { k: 'dup', addr: this.expr(o['addr'], `${p}.addr`), dev: o['dev'] === undefined ? null : this.expr(o['dev'], `${p}.dev`), pos };
      }
      case 'notrack':
        return { k: 'notrack', pos };
      case 'snat':
      case 'dnat':
      case 'masquerade':
      case 'redirect': {
        if (value === null) return { k: 'nat', kind: key, family: null, addr: null, port: null, flags: [], pos };
        const o = this.obj(value, p);
        this.known(o, p, ['addr', 'family', 'port', 'flags', 'type_flags']);
        if (o['type_flags'] !== undefined) this.fail(`${p}.type_flags`, 'nat type flags (interval, prefix, concat) are not supported by ctkit');
        if ((key === 'masquerade' || key === 'redirect') && (o['addr'] !== undefined || o['family'] !== undefined)) {
          this.fail(p, `${key} takes only a port`);
        }
        const family = this.ipFamily(o, p);
        return {
          k: 'nat', kind: key, family,
          addr: o['addr'] === undefined ? null : this.expr(o['addr'], `${p}.addr`),
          port: o['port'] === undefined ? null : this.expr(o['port'], `${p}.port`),
          flags: this.flags(o, 'flags', p, ['random', 'fully-random', 'persistent', 'netmap']), pos,
        };
      }
      case 'reject': {
        if (value === null) return { k: 'reject', kind: null, code: null, pos };
        const o = this.obj(value, p);
        this.known(o, p, ['type', 'expr']);
        const type = this.optStr(o, 'type', p);
        const kinds: Readonly<Record<string, 'icmp' | 'icmpv6' | 'icmpx' | 'tcp'>> = { 'tcp reset': 'tcp', icmpx: 'icmpx', icmp: 'icmp', icmpv6: 'icmpv6' };
        if (type !== null && kinds[type] === undefined) this.fail(`${p}.type`, `unknown reject type "${type}" (tcp reset, icmpx, icmp or icmpv6)`);
        const kind = type === null ? null : kinds[type]!;
        let code: Expr | null = null;
        if (o['expr'] !== undefined) {
          if (kind === 'tcp' || kind === null) this.fail(`${p}.expr`, 'a reject code needs an icmp, icmpv6 or icmpx type');
          code = this.immediate(o['expr'], `${p}.expr`);
        }
        return { k: 'reject', kind, code, pos };
      }
      case 'set': {
        const o = this.obj(value, p);
        this.known(o, p, ['op', 'elem', 'set', 'stmt']);
        const op = this.str(o, 'op', p);
        if (op !== 'add' && op !== 'update' && op !== 'delete') this.fail(`${p}.op`, `Unknown set statement op '${op}'.`);
        const set = this.str(o, 'set', p);
        if (!set.startsWith('@')) this.fail(`${p}.set`, 'Illegal set reference in set statement (expected "@name").');
        if (o['elem'] === undefined) this.fail(`${p}.elem`, 'property "elem" is missing');
        const { key, timeout } = this.keyElem(o['elem'], `${p}.elem`);
        return { k: 'dynset', op, set: set.slice(1), key, timeout, stmts: this.stmtList(o['stmt'], `${p}.stmt`), pos };
      }
      case 'meter': {
        const o = this.obj(value, p);
        this.known(o, p, ['name', 'key', 'stmt', 'size']);
        if (o['key'] === undefined || o['stmt'] === undefined) this.fail(p, 'a meter needs "name", "key" and "stmt"');
        const { key: k, timeout } = this.keyElem(o['key'], `${p}.key`);
        const size = this.optInt(o, 'size', p);
        return { k: 'meter', name: this.str(o, 'name', p), size: size === 0 ? null : size, key: k, timeout, stmts: [this.stmt(o['stmt'], `${p}.stmt`)], pos };
      }
      case 'log': {
        if (value === null) return { k: 'log', prefix: null, level: null, flags: [], group: null, snaplen: null, qthreshold: null, pos };
        const o = this.obj(value, p);
        this.known(o, p, ['prefix', 'group', 'snaplen', 'queue-threshold', 'level', 'flags']);
        return {
          k: 'log', prefix: this.optStr(o, 'prefix', p), level: this.optStr(o, 'level', p),
          flags: this.flags(o, 'flags', p, ['tcp sequence', 'tcp options', 'ip options', 'skuid', 'ether', 'all']),
          group: this.optInt(o, 'group', p), snaplen: this.optInt(o, 'snaplen', p), qthreshold: this.optInt(o, 'queue-threshold', p), pos,
        };
      }
      case 'ct helper':
      case 'ct timeout':
      case 'ct expectation':
      case 'secmark':
        return this.objRefValue(key, value, p, pos);
      case 'vmap': {
        const o = this.obj(value, p);
        this.known(o, p, ['key', 'data']);
        if (o['key'] === undefined || o['data'] === undefined) this.fail(p, 'a vmap needs "key" and "data"');
        return { k: 'vmap', key: this.expr(o['key'], `${p}.key`), map: this.expr(o['data'], `${p}.data`), pos };
      }
      case 'queue':
        this.fail(p, 'queue is not supported: ctkit has no userspace queue');
      case 'ct count': {
        const o = this.obj(value, p);
        this.known(o, p, ['val', 'inv']);
        return { k: 'connlimit', count: this.int(o, 'val', p), over: this.bool(o, 'inv', p), pos };
      }
      case 'reset': {
        const e = this.expr(value, p);
        if (e.k !== 'tcpopt' || e.raw !== undefined) this.fail(p, 'Illegal TCP optstrip argument (a {"tcp option": {"name": ...}} is expected)');
        return { k: 'tcpopt-reset', opt: e.opt, pos };
      }
    }
    if (UNSUPPORTED_STMTS[key] !== undefined) this.fail(p, `${UNSUPPORTED_STMTS[key]} is not supported by ctkit`);
    this.fail(path, `unknown statement "${key}"`);
  }

  /** `counter`/`quota`/`limit` given an expression (`{"map": ...}`): an object reference by map. */
  private objRefMap(type: string, v: unknown, path: string, pos: Pos): Stmt {
    const e = this.expr(v, path);
    if (e.k !== 'map') this.fail(path, `a ${type} object, a ${type} name or a map is expected`);
    return { k: 'objref', type, name: null, map: e, pos };
  }

  /** `ct helper` / `ct timeout` / `ct expectation` references: a name, or a map expression. */
  private objRefValue(type: string, v: unknown, path: string, pos: Pos): Stmt {
    if (typeof v === 'string') return { k: 'objref', type, name: v, map: null, pos };
    return this.objRefMap(type, v, path, pos);
  }

  private stmtList(v: unknown, path: string): Stmt[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(path, `an array of statements is expected, got ${jsonType(v)}`);
    return v.map((s, i) => this.stmt(s, `${path}[${i}]`));
  }

  /** The key of a set statement or meter: an expression, or `{"elem": {"val": EXPR, "timeout": S}}`. */
  private keyElem(v: unknown, path: string): { key: Expr; timeout: number | null } {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'elem' in v) {
      const o = this.obj((v as JObj)['elem'], `${path}.elem`);
      this.known(o, `${path}.elem`, ['val', 'timeout', 'expires', 'comment']);
      if (o['expires'] !== undefined || o['comment'] !== undefined) this.fail(`${path}.elem`, 'only a timeout may be given with a dynamic set key');
      if (o['val'] === undefined) this.fail(`${path}.elem.val`, 'property "val" is missing');
      const t = this.optInt(o, 'timeout', `${path}.elem`);
      return { key: this.expr(o['val'], `${path}.elem.val`), timeout: t === null ? null : t * 1000 };
    }
    return { key: this.expr(v, path), timeout: null };
  }

  private unit(o: JObj, key: string, path: string): number {
    const u = o[key] === undefined ? 'bytes' : this.str(o, key, path);
    const n = BYTE_UNITS[u];
    if (n === undefined) this.fail(`${path}.${key}`, `unknown unit "${u}" (bytes, kbytes or mbytes)`);
    return n;
  }

  private limitSpec(o: JObj, path: string, rateUnitKey: string, burstUnitKey: string): LimitSpec {
    const rate = this.int(o, 'rate', path);
    const per = this.str(o, 'per', path);
    const unit = PER[per];
    if (unit === undefined) this.fail(`${path}.per`, `unknown time unit "${per}" (second, minute, hour, day or week)`);
    const rateUnit = o[rateUnitKey] === undefined ? 'packets' : this.str(o, rateUnitKey, path);
    const burst = this.optInt(o, 'burst', path);
    const over = this.bool(o, 'inv', path);
    if (rateUnit === 'packets') return { rate, unit, bytes: false, over, burst: burst === null || burst === 0 ? null : burst };
    const ru = BYTE_UNITS[rateUnit];
    if (ru === undefined) this.fail(`${path}.${rateUnitKey}`, `unknown unit "${rateUnit}" (packets, bytes, kbytes or mbytes)`);
    const bu = this.unit(o, burstUnitKey, path);
    return { rate: rate * ru, unit, bytes: true, over, burst: burst === null || burst === 0 ? null : burst * bu };
  }

  private ipFamily(o: JObj, path: string): 4 | 6 | null {
    const f = this.optStr(o, 'family', path);
    if (f === null) return null;
    if (f !== 'ip' && f !== 'ip6') this.fail(`${path}.family`, `Invalid family '${f}' (ip or ip6)`);
    return f === 'ip' ? 4 : 6;
  }

  private verdict(v: VerdictName, value: unknown, path: string, pos: Pos): { k: 'verdict'; v: VerdictName; chain: string | null; pos: Pos } {
    if (v === 'jump' || v === 'goto') {
      const o = this.obj(value, path, `{"target": CHAIN}`);
      this.known(o, path, ['target']);
      const target = this.str(o, 'target', path);
      if (target === '') this.fail(`${path}.target`, 'an empty chain name');
      return { k: 'verdict', v, chain: target, pos };
    }
    if (value !== null) this.fail(path, `${v} takes null`);
    return { k: 'verdict', v, chain: null, pos };
  }

  // ---- expressions ----

  /** A constant (string, integer or boolean). */
  private immediate(v: unknown, path: string): Expr {
    const pos = this.pos(path);
    if (typeof v === 'string') {
      if (v.startsWith('@')) return { k: 'setref', name: v.slice(1), pos };
      if (v === '*') this.fail(path, 'the catch-all element * is not supported by ctkit');
      return { k: 'const', text: v, quoted: true, pos };
    }
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) this.fail(path, `an integer is expected, got ${v}`);
      return { k: 'const', text: String(v), quoted: true, pos };
    }
    // a boolean is the word `exists` / `missing` (tcp option, fib, exthdr presence tests)
    if (typeof v === 'boolean') return { k: 'const', text: v ? 'exists' : 'missing', quoted: false, pos };
    this.fail(path, `Unexpected JSON type ${jsonType(v)} for immediate value.`);
  }

  private expr(v: unknown, path: string): Expr {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return this.immediate(v, path);
    if (Array.isArray(v)) return { k: 'list', items: v.map((x, i) => this.expr(x, `${path}[${i}]`)), pos: this.pos(path) };
    if (v === null) this.fail(path, 'an expression is expected, got null');
    const [key, value] = this.single(v, path, 'an expression');
    const p = sub(path, key);
    const pos = this.pos(path);
    if ((VERDICTS as readonly string[]).includes(key)) return this.verdict(key as VerdictName, value, p, pos);
    switch (key) {
      case 'concat': {
        if (!Array.isArray(value)) this.fail(p, `an array is expected, got ${jsonType(value)}`);
        const parts = value.map((x, i) => this.expr(x, `${p}[${i}]`));
        if (parts.length < 2) this.fail(p, `Concatenation with ${parts.length} elements is illegal`);
        return { k: 'concat', parts, pos };
      }
      case 'set':
        return this.setElems(value, p);
      case 'map': {
        const o = this.obj(value, p);
        this.known(o, p, ['key', 'data']);
        if (o['key'] === undefined || o['data'] === undefined) this.fail(p, 'a map needs "key" and "data"');
        return { k: 'map', key: this.expr(o['key'], `${p}.key`), map: this.expr(o['data'], `${p}.data`), pos };
      }
      case 'prefix': {
        const o = this.obj(value, p);
        this.known(o, p, ['addr', 'len']);
        if (o['addr'] === undefined) this.fail(`${p}.addr`, 'property "addr" is missing');
        return { k: 'prefix', base: this.expr(o['addr'], `${p}.addr`), len: this.int(o, 'len', p), pos };
      }
      case 'range': {
        if (!Array.isArray(value) || value.length !== 2) this.fail(p, 'a range is [LOW, HIGH]');
        return { k: 'range', lo: this.expr(value[0], `${p}[0]`), hi: this.expr(value[1], `${p}[1]`), pos };
      }
      case 'payload': {
        const o = this.obj(value, p);
        if (o['base'] !== undefined) {
          this.known(o, p, ['base', 'offset', 'len']);
          const base = this.str(o, 'base', p);
          if (base !== 'll' && base !== 'nh' && base !== 'th') this.fail(`${p}.base`, `Invalid payload base '${base}'.`);
          const len = this.int(o, 'len', p);
          if (len <= 0 || len > 128) this.fail(`${p}.len`, `Payload length must be between 0 and 128, got ${len}`);
          return { k: 'raw', base, offset: this.int(o, 'offset', p), len, pos };
        }
        this.known(o, p, ['protocol', 'field']);
        return { k: 'payload', proto: this.str(o, 'protocol', p), field: this.str(o, 'field', p), pos };
      }
      case 'tcp option': {
        const o = this.obj(value, p);
        if (o['base'] !== undefined) {
          this.known(o, p, ['base', 'offset', 'len']);
          const kind = String(this.int(o, 'base', p));
          const offset = this.int(o, 'offset', p);
          const len = this.int(o, 'len', p);
          // offset 0, 8 bits: the option's presence (`tcp option 254 exists`)
          if (offset === 0 && len === 8) return { k: 'tcpopt', opt: kind, field: '', pos };
          return { k: 'tcpopt', opt: kind, field: '', raw: { offset, len }, pos };
        }
        this.known(o, p, ['name', 'field']);
        return { k: 'tcpopt', opt: this.str(o, 'name', p), field: this.optStr(o, 'field', p) ?? '', pos };
      }
      case 'meta': {
        const o = this.obj(value, p);
        this.known(o, p, ['key']);
        return { k: 'meta', key: this.str(o, 'key', p), pos };
      }
      case 'rt': {
        const o = this.obj(value, p);
        this.known(o, p, ['key', 'family']);
        const family = this.ipFamily(o, p);
        const key = this.str(o, 'key', p);
        return family === null ? { k: 'rt', key, pos } : { k: 'rt', key, family, pos };
      }
      case 'ct': {
        const o = this.obj(value, p);
        this.known(o, p, ['key', 'dir', 'family']);
        let key = this.str(o, 'key', p);
        let family: 0 | 4 | 6 = this.ipFamily(o, p) ?? 0;
        const m = /^(ip6?) (\S+)$/.exec(key);
        if (m) {
          family = m[1] === 'ip' ? 4 : 6;
          key = m[2]!;
        }
        const dirText = this.optStr(o, 'dir', p);
        if (dirText !== null && dirText !== 'original' && dirText !== 'reply') this.fail(`${p}.dir`, `Invalid direction '${dirText}'.`);
        const dir = dirText === null ? null : dirText === 'original' ? 0 : 1;
        return { k: 'ct', dir, key, family, pos };
      }
      case 'numgen': {
        const o = this.obj(value, p);
        this.known(o, p, ['mode', 'mod', 'offset']);
        const mode = this.str(o, 'mode', p);
        if (mode !== 'inc' && mode !== 'random') this.fail(`${p}.mode`, `Unknown numgen mode '${mode}'.`);
        return { k: 'numgen', mode, mod: this.int(o, 'mod', p), offset: this.optInt(o, 'offset', p) ?? 0, pos };
      }
      case 'jhash':
      case 'symhash': {
        const o = this.obj(value, p);
        this.known(o, p, key === 'jhash' ? ['mod', 'offset', 'expr', 'seed'] : ['mod', 'offset']);
        let e: Expr | null = null;
        if (key === 'jhash') {
          if (o['expr'] === undefined) this.fail(`${p}.expr`, 'property "expr" is missing');
          e = this.expr(o['expr'], `${p}.expr`);
        }
        return { k: 'hash', kind: key, expr: e, mod: this.int(o, 'mod', p), seed: key === 'jhash' ? this.optInt(o, 'seed', p) : null, offset: this.optInt(o, 'offset', p) ?? 0, pos };
      }
      case 'fib': {
        const o = this.obj(value, p);
        this.known(o, p, ['result', 'flags']);
        return { k: 'fib', flags: this.flags(o, 'flags', p, ['saddr', 'daddr', 'mark', 'iif', 'oif']), result: this.str(o, 'result', p), pos };
      }
      case '|':
      case '^':
      case '&':
      case '<<':
      case '>>': {
        if (!Array.isArray(value) || value.length < 2) this.fail(p, 'a binary operation is [LEFT, RIGHT]');
        let e = this.expr(value[0], `${p}[0]`);
        for (let i = 1; i < value.length; i++) e = { k: 'binop', op: key, l: e, r: this.expr(value[i], `${p}[${i}]`), pos };
        return e;
      }
      case 'elem':
        return this.elem(value, p, pos);
    }
    if (UNSUPPORTED_EXPRS[key] !== undefined) this.fail(p, `${UNSUPPORTED_EXPRS[key]} is not supported by ctkit`);
    this.fail(path, `unknown expression "${key}"`);
  }

  /** `{"elem": {"val": X, "timeout": S, "expires": S, "comment": C}}` (a `counter` inside is nft's output only). */
  private elem(v: unknown, path: string, pos: Pos): Expr {
    const o = this.obj(v, path);
    this.known(o, path, ['val', 'timeout', 'expires', 'comment', 'counter']);
    if (o['val'] === undefined) this.fail(`${path}.val`, 'property "val" is missing');
    const key = this.expr(o['val'], `${path}.val`);
    const opts: { -readonly [K in keyof ElemOpts]: ElemOpts[K] } = {};
    const t = this.optInt(o, 'timeout', path);
    if (t !== null) opts.timeout = t * 1000;
    const x = this.optInt(o, 'expires', path);
    if (x !== null) opts.expires = x * 1000;
    const c = this.optStr(o, 'comment', path);
    if (c !== null) opts.comment = c;
    return Object.keys(opts).length > 0 ? { k: 'elem', key, opts, pos } : key;
  }

  /** Set elements: one value or `@set`, or an array of values and `[key, value]` mappings. */
  private setElems(v: unknown, path: string): Expr {
    const pos = this.pos(path);
    if (!Array.isArray(v)) {
      const e = this.expr(v, path);
      if (e.k === 'setref') return e;
      return { k: 'set', elems: [e], pos };
    }
    const elems = v.map((x, i): Expr => {
      const p = `${path}[${i}]`;
      if (Array.isArray(x) && x.length === 2) {
        return { k: 'mapping', key: this.expr(x[0], `${p}[0]`), value: this.expr(x[1], `${p}[1]`), pos: this.pos(p) };
      }
      return this.expr(x, p);
    });
    return { k: 'set', elems, pos };
  }
}

/**
 * nft writes the flags a statement sets (`tcp flags set syn,ack`) as `{"|": [...]}`: as a value,
 * an or of constants is the comma list the text has.
 */
function orList(e: Expr): Expr {
  const items: Expr[] = [];
  const walk = (x: Expr): boolean => {
    if (x.k === 'const') {
      items.push(x);
      return true;
    }
    return x.k === 'binop' && x.op === '|' && walk(x.l) && walk(x.r);
  };
  return e.k === 'binop' && e.op === '|' && walk(e) ? { k: 'list', items, pos: e.pos } : e;
}

/** `path.name`, or `path["ct helper"]` for names that are not identifiers. */
function sub(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}["${key}"]`;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a real number';
  return `a ${typeof v}`;
}

function emptyChain(name: string, pos: Pos): ChainAst {
  return { name, pos, type: null, hook: null, device: [], priority: null, policy: null, comment: null, rules: [] };
}

function emptySet(name: string, isMap: boolean, pos: Pos): SetAst {
  return {
    name, pos, isMap, keyTypes: null, keyExprs: null, dataType: null, dataExpr: null, flags: [], timeout: null, gcInterval: null,
    size: null, policy: null, autoMerge: false, counter: false, comment: null, elements: null,
  };
}
