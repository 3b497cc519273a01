/**
 * Parser for `nft -f` text (nftables 1.0.6 syntax) into commands (ast.ts).
 *
 * Accepted: `flush ruleset`; `table FAMILY NAME { ... }` blocks with chains, sets, maps,
 * flowtables and named objects (counter, quota, limit, ct helper, ct timeout, ct expectation, secmark);
 * the `add|create|insert|replace|delete|destroy|flush` commands for tables, chains, rules, sets,
 * maps, elements and objects (the verb `add` may be left out); `define` / `redefine` /
 * `undefine` and `$variables`; `include "FILE"` through a callback the caller supplies (the
 * engine reads no files). Everything else is an error `FILE:LINE:COLUMN: message` pointing at
 * the token that could not be accepted.
 */
import type {
  BinOp, ChainAst, Command, ElemOpts, Expr, Family, LimitSpec, ObjAst, Pos, PriorityAst, QuotaSpec, RelOp, RuleAst, SetAst, Stmt, TableAst, TableRef, VerdictName,
} from './ast.js';
import { FAMILIES } from './ast.js';
import { parseTime } from './datatypes.js';
import { NftError, type Token, tokenize } from './lexer.js';
import { PROTOCOLS, UNQUALIFIED_META } from './selectors.js';

export interface ParseOptions {
  /** Name of the main file, for messages. */
  file?: string;
  /** Reads an included file: its text, or null when it does not exist. */
  include?: (name: string, from: string) => string | null;
}

export interface ParsedScript {
  readonly commands: Command[];
  /** Source file names, indexed by Pos.src. */
  readonly files: string[];
}

const STMT_END = new Set(['\n', ';', '}']);
const VERDICTS = new Set(['accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue']);
/** nft's word forms of the bit operators (`ct mark or 0x100`, `meta mark and 0xff`). */
const WORD_OPS: Readonly<Record<string, string>> = { and: '&', or: '|', xor: '^', lshift: '<<', rshift: '>>' };
const REL_OPS: Readonly<Record<string, RelOp>> = {
  '==': '==', eq: '==', '!=': '!=', ne: '!=', '<': '<', lt: '<', '>': '>', gt: '>', '<=': '<=', le: '<=', '>=': '>=', ge: '>=',
};
const UNSUPPORTED_STMTS: Readonly<Record<string, string>> = {
  tproxy: 'tproxy statement', synproxy: 'synproxy statement',
  flow: 'flow offload statement', xt: 'xt (iptables-nft compat) statement', osf: 'osf expression', socket: 'socket expression',
  ipsec: 'ipsec expression', tunnel: 'tunnel expression', exthdr: 'exthdr expression', hbh: 'IPv6 extension header expression',
  rt0: 'routing header expression', srh: 'segment routing header expression', frag: 'fragment header expression',
  dst: 'destination options header expression', mh: 'mobility header expression', gre: 'gre expression', vxlan: 'vxlan expression',
  geneve: 'geneve expression', gretap: 'gretap expression', 'last': 'last statement', cgroupv2: 'cgroupv2 expression',
};
const OBJ_KEYWORDS = new Set(['counter', 'quota', 'limit', 'secmark', 'synproxy']);
const UNIT_SECONDS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
const BYTE_UNITS: Readonly<Record<string, number>> = { bytes: 1, kbytes: 1024, mbytes: 1024 * 1024 };

/** Parses `text`; `opts.include` resolves `include` statements. */
export function parseNft(text: string, opts: ParseOptions = {}): ParsedScript {
  const p = new Parser(opts);
  p.run(text, opts.file ?? 'ruleset');
  return { commands: p.commands, files: p.files };
}

class Parser {
  readonly commands: Command[] = [];
  readonly files: string[] = [];
  private toks: Token[] = [];
  private i = 0;
  private readonly defines: Map<string, Expr>[] = [new Map()];
  private includeDepth = 0;

  constructor(private readonly opts: ParseOptions) {}

  run(text: string, file: string): void {
    const src = this.files.length;
    this.files.push(file);
    const savedToks = this.toks;
    const savedI = this.i;
    this.toks = tokenize(text, file, src);
    this.i = 0;
    try {
      this.script();
    } finally {
      this.toks = savedToks;
      this.i = savedI;
    }
  }

  // ---- token helpers ----

  private get t(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private pos(t: Token = this.t): Pos {
    return { src: t.src, line: t.line, col: t.col };
  }
  fail(msg: string, t: Token = this.t): never {
    throw new NftError(this.files[t.src] ?? 'ruleset', t.line, t.col, msg);
  }
  private unexpected(what = ''): never {
    const t = this.t;
    const shown = t.kind === 'eof' ? 'end of file' : t.kind === 'nl' ? 'newline' : t.kind === 'str' ? `string "${t.text}"` : `'${t.text}'`;
    this.fail(`syntax error, unexpected ${shown}${what ? `, expecting ${what}` : ''}`);
  }
  private isWord(w?: string): boolean {
    return this.t.kind === 'word' && (w === undefined || this.t.text === w);
  }
  private isPunct(p: string): boolean {
    return this.t.kind === 'punct' && this.t.text === p;
  }
  private eatWord(w: string): boolean {
    if (this.isWord(w)) {
      this.i++;
      return true;
    }
    return false;
  }
  private eatPunct(p: string): boolean {
    if (this.isPunct(p)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectWord(w: string): void {
    if (!this.eatWord(w)) this.unexpected(w);
  }
  private expectPunct(p: string): void {
    if (!this.eatPunct(p)) this.unexpected(`'${p}'`);
  }
  private skipNl(): void {
    while (this.t.kind === 'nl') this.i++;
  }
  private skipSeps(): void {
    while (this.t.kind === 'nl' || this.isPunct(';')) this.i++;
  }
  private atStmtEnd(): boolean {
    const t = this.t;
    return t.kind === 'eof' || t.kind === 'nl' || (t.kind === 'punct' && STMT_END.has(t.text));
  }
  private endStatement(): void {
    if (this.t.kind === 'eof' || this.isPunct('}')) return;
    if (this.t.kind === 'nl' || this.isPunct(';')) {
      this.i++;
      return;
    }
    this.unexpected('end of statement');
  }
  /** An identifier: a word or a quoted string ($variables resolved). */
  private ident(what: string): string {
    const t = this.t;
    if (t.kind === 'str') {
      this.i++;
      return t.text;
    }
    if (t.kind === 'word') {
      if (t.text.startsWith('$')) {
        const v = this.lookupVar(t);
        this.i++;
        if (v.k !== 'const') this.fail(`variable ${t.text} is not a single value`, t);
        return v.text;
      }
      this.i++;
      return t.text;
    }
    this.unexpected(what);
  }
  private number(what: string): number {
    const t = this.t;
    if (t.kind !== 'word' || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t.text)) this.unexpected(what);
    this.i++;
    return Number(t.text);
  }
  private str(what: string): string {
    const t = this.t;
    if (t.kind !== 'str' && t.kind !== 'word') this.unexpected(what);
    this.i++;
    if (t.kind === 'word' && t.text.startsWith('$')) {
      const v = this.lookupVar(t);
      if (v.k !== 'const') this.fail(`variable ${t.text} is not a string`, t);
      return v.text;
    }
    return t.text;
  }
  private lookupVar(t: Token): Expr {
    const name = t.text.slice(1);
    for (let s = this.defines.length - 1; s >= 0; s--) {
      const v = this.defines[s]!.get(name);
      if (v) return v;
    }
    this.fail(`unknown identifier '${name}'`, t);
  }

  // ---- script ----

  private script(): void {
    for (;;) {
      this.skipSeps();
      if (this.t.kind === 'eof') return;
      this.command();
    }
  }

  private command(): void {
    const t = this.t;
    if (t.kind !== 'word') this.unexpected();
    switch (t.text) {
      case 'include':
        return this.include();
      case 'define':
      case 'redefine':
        return this.define();
      case 'undefine': {
        this.i++;
        const name = this.ident('identifier');
        if (!this.defines[0]!.delete(name)) this.fail(`undefined symbol '${name}'`, t);
        return this.endStatement();
      }
      case 'flush':
        this.i++;
        if (this.eatWord('ruleset')) {
          const fam = this.isWord() && FAMILIES.includes(this.t.text as Family) ? (this.t.text as Family) : null;
          if (fam) this.i++;
          this.commands.push({ k: 'flush-ruleset', family: fam, pos: this.pos(t) });
          return this.endStatement();
        }
        return this.objectCommand('flush');
      case 'add':
      case 'create':
      case 'insert':
      case 'replace':
      case 'delete':
      case 'destroy':
        this.i++;
        return this.objectCommand(t.text);
      case 'list':
      case 'reset':
      case 'monitor':
      case 'describe':
      case 'export':
      case 'import':
      case 'rename':
      case 'get':
        this.fail(`'${t.text}' commands are not supported in a ruleset file loaded by ctkit`);
      default:
        return this.objectCommand('add');
    }
  }

  private include(): void {
    const at = this.t;
    this.i++;
    const name = this.str('file name');
    if (!this.opts.include) this.fail(`include "${name}": no include reader was given`, at);
    if (this.includeDepth >= 16) this.fail('include nested too deeply', at);
    const text = this.opts.include(name, this.files[at.src] ?? '');
    if (text === null) this.fail(`File not found: ${name}`, at);
    this.endStatement();
    this.includeDepth++;
    try {
      this.run(text, name);
    } finally {
      this.includeDepth--;
    }
  }

  private define(): void {
    const redefine = this.t.text === 'redefine';
    const at = this.t;
    this.i++;
    const name = this.ident('identifier');
    if (!redefine && this.defines[0]!.has(name)) this.fail(`redefinition of symbol '${name}'`, at);
    this.expectPunct('=');
    const v = this.rhsList(false);
    this.defines[0]!.set(name, v);
    this.endStatement();
  }

  private family(): Family {
    if (this.isWord() && FAMILIES.includes(this.t.text as Family)) {
      const next = this.peek();
      // `FAMILY NAME` (a family given) vs a table called like a family
      if (next.kind === 'word' || next.kind === 'str') {
        const f = this.t.text as Family;
        this.i++;
        return f;
      }
    }
    return 'ip';
  }

  private tableRef(): TableRef {
    const at = this.t;
    const family = this.family();
    const name = this.ident('table name');
    return { family, name, pos: this.pos(at) };
  }

  private objectCommand(verb: string): void {
    const t = this.t;
    if (t.kind !== 'word') this.unexpected();
    this.i++;
    switch (t.text) {
      case 'table':
        return this.tableCommand(verb, t);
      case 'chain':
        return this.chainCommand(verb);
      case 'rule':
        return this.ruleCommand(verb, t);
      case 'set':
      case 'map':
      case 'meter':
        return this.setCommand(verb, t.text === 'map');
      case 'element':
        return this.elementCommand(verb, t);
      case 'ct': {
        const kind = this.t.text;
        if (!['helper', 'timeout', 'expectation'].includes(kind)) this.unexpected('helper, timeout or expectation');
        this.i++;
        return this.objCommand(verb, `ct ${kind}` as ObjAst['type']);
      }
      case 'flowtable':
        this.fail('flowtables are not supported');
      default:
        if (OBJ_KEYWORDS.has(t.text)) return this.objCommand(verb, t.text as ObjAst['type']);
        this.i--;
        this.unexpected('table, chain, rule, set, map, element or object');
    }
  }

  private verbOf<V extends string>(verb: string, allowed: readonly V[], at: Token): V {
    if (!allowed.includes(verb as V)) this.fail(`syntax error, unexpected ${verb}`, at);
    return verb as V;
  }

  private tableCommand(verb: string, at: Token): void {
    const op = this.verbOf(verb, ['add', 'create', 'delete', 'destroy', 'flush'] as const, at);
    if ((op === 'delete' || op === 'destroy') && this.isWord() && FAMILIES.includes(this.t.text as Family) && this.peek().text === 'handle') {
      const fam = this.t.text as Family;
      this.i += 2;
      const h = this.number('handle');
      this.commands.push({ k: 'table', op, t: { family: fam, name: '', pos: this.pos(at) }, body: null, handle: h });
      return this.endStatement();
    }
    const t = this.tableRef();
    let body: TableAst | null = null;
    if (this.isPunct('{')) {
      if (op !== 'add' && op !== 'create') this.unexpected();
      body = this.tableBody();
    }
    this.commands.push({ k: 'table', op, t, body, handle: null });
    this.endStatement();
  }

  private tableBody(): TableAst {
    this.expectPunct('{');
    const body: TableAst = { chains: [], sets: [], objs: [], flowtables: [], flags: [], comment: null };
    for (;;) {
      this.skipSeps();
      if (this.eatPunct('}')) return body;
      const t = this.t;
      if (t.kind !== 'word') this.unexpected();
      this.i++;
      switch (t.text) {
        case 'chain':
          body.chains.push(this.chainDecl(this.ident('chain name'), t));
          break;
        case 'set':
        case 'map':
          body.sets.push(this.setDecl(this.ident('set name'), t.text === 'map', t));
          break;
        case 'flags':
          body.flags.push(...this.wordList());
          break;
        case 'comment':
          body.comment = this.str('comment');
          break;
        case 'ct': {
          const kind = this.t.text;
          if (!['helper', 'timeout', 'expectation'].includes(kind)) this.unexpected('helper, timeout or expectation');
          this.i++;
          body.objs.push(this.objDecl(`ct ${kind}` as ObjAst['type'], this.ident('object name'), t));
          break;
        }
        case 'flowtable':
          this.fail('flowtables are not supported', t);
        default:
          if (OBJ_KEYWORDS.has(t.text)) {
            body.objs.push(this.objDecl(t.text as ObjAst['type'], this.ident('object name'), t));
            break;
          }
          this.i--;
          this.unexpected('chain, set, map or object');
      }
      this.endStatement();
    }
  }

  private wordList(): string[] {
    const out = [this.ident('flag')];
    while (this.eatPunct(',')) out.push(this.ident('flag'));
    return out;
  }

  private chainCommand(verb: string): void {
    const at = this.toks[this.i - 1]!;
    const op = this.verbOf(verb, ['add', 'create', 'delete', 'destroy', 'flush'] as const, at);
    const t = this.tableRef();
    if ((op === 'delete' || op === 'destroy') && this.eatWord('handle')) {
      const h = this.number('handle');
      this.commands.push({ k: 'chain', op, t, chain: emptyChain('', this.pos(at)), handle: h });
      return this.endStatement();
    }
    const name = this.ident('chain name');
    const chain = this.isPunct('{') ? this.chainDecl(name, at) : emptyChain(name, this.pos(at));
    this.commands.push({ k: 'chain', op, t, chain, handle: null });
    this.endStatement();
  }

  private chainDecl(name: string, at: Token): ChainAst {
    this.expectPunct('{');
    let type: string | null = null;
    let hook: string | null = null;
    let priority: PriorityAst | null = null;
    let policy: 'accept' | 'drop' | null = null;
    let comment: string | null = null;
    const device: string[] = [];
    const rules: RuleAst[] = [];
    for (;;) {
      this.skipSeps();
      if (this.eatPunct('}')) break;
      if (this.isWord('type') && this.peek().kind === 'word' && this.peek(2).text === 'hook') {
        this.i++;
        type = this.ident('chain type');
        this.expectWord('hook');
        hook = this.ident('hook');
        if (this.eatWord('device')) device.push(this.ident('device'));
        else if (this.eatWord('devices')) {
          this.expectPunct('=');
          const s = this.rhsPrimary();
          for (const e of flattenSet(s)) if (e.k === 'const') device.push(e.text);
        }
        if (!this.isWord('priority')) this.unexpected('priority');
        this.i++;
        priority = this.priority();
        this.endStatement();
        continue;
      }
      if (this.isWord('policy') && (this.peek().text === 'accept' || this.peek().text === 'drop' || this.peek().text.startsWith('$'))) {
        this.i++;
        const p = this.ident('policy');
        if (p !== 'accept' && p !== 'drop') this.fail(`unknown policy '${p}'`, this.toks[this.i - 1]);
        policy = p;
        this.endStatement();
        continue;
      }
      if (this.isWord('comment') && this.peek().kind === 'str' && STMT_END.has(this.peek(2).text)) {
        this.i++;
        comment = this.str('comment');
        this.endStatement();
        continue;
      }
      if (this.isWord('flags') && this.peek().text === 'offload') this.fail('chain offload flag is not supported');
      rules.push(this.rule());
      this.endStatement();
    }
    return { name, pos: this.pos(at), type, hook, device, priority, policy, comment, rules };
  }

  /** `priority` value: a number, a name, `name + n`, `name - n`. */
  private priority(): PriorityAst {
    const at = this.t;
    let text = '';
    const take = (): void => {
      const t = this.t;
      if (t.kind === 'word' && t.text.startsWith('$')) {
        const v = this.lookupVar(t);
        if (v.k !== 'const') this.fail('priority variable must be a single value', t);
        text += v.text;
      } else {
        text += t.text;
      }
      this.i++;
    };
    if (this.t.kind !== 'word' && this.t.kind !== 'str') this.unexpected('priority');
    take();
    while ((this.isPunct('-') || this.isPunct('+')) && this.peek().kind === 'word') {
      text += ` ${this.t.text} `;
      this.i++;
      take();
    }
    return { text, pos: this.pos(at) };
  }

  private ruleCommand(verb: string, at: Token): void {
    const op = this.verbOf(verb, ['add', 'insert', 'replace', 'delete', 'destroy'] as const, at);
    const t = this.tableRef();
    const chain = this.ident('chain name');
    let where: { kind: 'position' | 'handle' | 'index'; n: number } | null = null;
    if (this.isWord('position') || this.isWord('handle') || this.isWord('index')) {
      const kind = this.t.text as 'position' | 'handle' | 'index';
      this.i++;
      where = { kind, n: this.number(kind) };
    }
    if ((op === 'delete' || op === 'destroy' || op === 'replace') && (where === null || where.kind !== 'handle')) {
      this.unexpected('handle');
    }
    const rule = op === 'delete' || op === 'destroy' ? null : this.rule();
    this.commands.push({ k: 'rule', op, t, chain, where, rule, pos: this.pos(at) });
    this.endStatement();
  }

  private setCommand(verb: string, isMap: boolean): void {
    const at = this.toks[this.i - 1]!;
    const op = this.verbOf(verb, ['add', 'create', 'delete', 'destroy', 'flush'] as const, at);
    const t = this.tableRef();
    const name = this.ident('set name');
    const set = this.isPunct('{') ? this.setDecl(name, isMap, at) : emptySet(name, isMap, this.pos(at));
    this.commands.push({ k: 'set', op, t, set });
    this.endStatement();
  }

  private elementCommand(verb: string, at: Token): void {
    const op = this.verbOf(verb, ['add', 'create', 'delete', 'destroy'] as const, at);
    const t = this.tableRef();
    const set = this.ident('set name');
    const elems = this.setExpr();
    this.commands.push({ k: 'element', op, t, set, elems, pos: this.pos(at) });
    this.endStatement();
  }

  private objCommand(verb: string, type: ObjAst['type']): void {
    const at = this.toks[this.i - 1]!;
    const op = this.verbOf(verb, ['add', 'create', 'delete', 'destroy'] as const, at);
    const t = this.tableRef();
    const name = this.ident('object name');
    const obj = this.isPunct('{') || type === 'counter' ? this.objDecl(type, name, at) : this.fail(`${type} ${name}: a { ... } body is needed`);
    this.commands.push({ k: 'obj', op, t, obj });
    this.endStatement();
  }

  // ---- sets ----

  private setDecl(name: string, isMap: boolean, at: Token): SetAst {
    this.expectPunct('{');
    const s: {
      -readonly [K in keyof SetAst]: SetAst[K];
    } = emptySet(name, isMap, this.pos(at));
    for (;;) {
      this.skipSeps();
      if (this.eatPunct('}')) return s;
      const t = this.t;
      if (t.kind !== 'word') this.unexpected();
      this.i++;
      switch (t.text) {
        case 'type': {
          const types = [this.ident('type')];
          while (this.eatPunct('.')) types.push(this.ident('type'));
          s.keyTypes = types;
          if (this.eatPunct(':')) {
            if (!isMap) this.fail('a set has no data type: use a map', t);
            s.dataType = this.ident('type');
            while (this.eatPunct('.')) s.dataType += ` . ${this.ident('type')}`;
          } else if (isMap) {
            this.unexpected("':'");
          }
          break;
        }
        case 'typeof': {
          const exprs = [this.selectorExpr()];
          while (this.eatPunct('.')) exprs.push(this.selectorExpr());
          s.keyExprs = exprs;
          if (this.eatPunct(':')) s.dataExpr = this.selectorExpr();
          break;
        }
        case 'flags':
          s.flags = [...s.flags, ...this.wordList()];
          break;
        case 'timeout':
          s.timeout = this.time();
          break;
        case 'gc-interval':
          s.gcInterval = this.time();
          break;
        case 'size':
          s.size = this.number('size');
          break;
        case 'policy':
          s.policy = this.ident('policy');
          if (s.policy !== 'performance' && s.policy !== 'memory') this.fail(`unknown set policy '${s.policy}'`, t);
          break;
        case 'auto-merge':
          s.autoMerge = true;
          break;
        case 'counter':
          s.counter = true;
          break;
        case 'comment':
          s.comment = this.str('comment');
          break;
        case 'elements':
          this.expectPunct('=');
          s.elements = this.setExpr();
          break;
        default:
          this.i--;
          this.unexpected('set property');
      }
      this.endStatement();
    }
  }

  private time(): number {
    const t = this.t;
    const v = this.ident('time');
    const ms = parseTime(v);
    if (ms === null) this.fail('Wrong time format', t);
    return ms;
  }

  /** `{ elem, elem, ... }` or `$var`. */
  private setExpr(): Expr {
    if (this.isWord() && this.t.text.startsWith('$')) {
      const v = this.lookupVar(this.t);
      this.i++;
      return v;
    }
    if (!this.isPunct('{')) this.unexpected("'{'");
    return this.setBlock();
  }

  private setBlock(): Expr {
    const at = this.t;
    this.expectPunct('{');
    const elems: Expr[] = [];
    for (;;) {
      this.skipNl();
      if (this.eatPunct('}')) break;
      elems.push(this.setElem());
      this.skipNl();
      if (this.eatPunct(',')) continue;
      if (this.eatPunct('}')) break;
      this.unexpected("',' or '}'");
    }
    return { k: 'set', elems, pos: this.pos(at) };
  }

  private setElem(): Expr {
    const at = this.t;
    let key = this.rhsConcat();
    const opts = this.elemOpts();
    if (Object.keys(opts).length > 0) key = { k: 'elem', key, opts, pos: this.pos(at) };
    if (this.eatPunct(':')) {
      const value = this.isWord() && VERDICTS.has(this.t.text) ? this.verdictExpr() : this.rhsConcat();
      return { k: 'mapping', key, value, pos: this.pos(at) };
    }
    return key;
  }

  private elemOpts(): ElemOpts {
    const o: { -readonly [K in keyof ElemOpts]: ElemOpts[K] } = {};
    for (;;) {
      if (this.eatWord('timeout')) o.timeout = this.time();
      else if (this.eatWord('expires')) o.expires = this.time();
      else if (this.eatWord('comment')) o.comment = this.str('comment');
      else if (this.isWord('counter')) {
        this.i++;
        let packets = 0;
        let bytes = 0;
        if (this.eatWord('packets')) {
          packets = this.number('packets');
          this.expectWord('bytes');
          bytes = this.number('bytes');
        }
        o.counter = { packets, bytes };
      } else return o;
    }
  }

  private verdictExpr(): Expr {
    const t = this.t;
    const v = t.text as VerdictName;
    this.i++;
    if (v === 'queue') this.fail('queue is not supported: ctkit has no userspace queue', t);
    const chain = v === 'jump' || v === 'goto' ? this.ident('chain name') : null;
    return { k: 'verdict', v, chain, pos: this.pos(t) };
  }

  // ---- objects ----

  private objDecl(type: ObjAst['type'], name: string, at: Token): ObjAst {
    const props = new Map<string, { value: string | number | readonly (readonly [string, number])[] | LimitSpec | QuotaSpec; pos: Pos }>();
    let comment: string | null = null;
    if (!this.eatPunct('{')) {
      if (type !== 'counter') this.unexpected("'{'");
      return { type, name, pos: this.pos(at), props, comment };
    }
    for (;;) {
      this.skipSeps();
      if (this.eatPunct('}')) break;
      const t = this.t;
      if (this.eatWord('comment')) {
        comment = this.str('comment');
        this.endStatement();
        continue;
      }
      switch (type) {
        case 'counter':
          this.expectWord('packets');
          props.set('packets', { value: this.number('packets'), pos: this.pos(t) });
          this.expectWord('bytes');
          props.set('bytes', { value: this.number('bytes'), pos: this.pos(t) });
          break;
        case 'quota':
          props.set('quota', { value: this.quotaSpec(), pos: this.pos(t) });
          break;
        case 'limit':
          this.expectWord('rate');
          props.set('limit', { value: this.limitSpec(), pos: this.pos(t) });
          break;
        case 'ct helper':
          if (this.eatWord('type')) {
            props.set('type', { value: this.str('helper type'), pos: this.pos(t) });
            this.expectWord('protocol');
            props.set('protocol', { value: this.ident('protocol'), pos: this.pos(t) });
          } else if (this.eatWord('l3proto')) props.set('l3proto', { value: this.ident('l3proto'), pos: this.pos(t) });
          else this.unexpected('type or l3proto');
          break;
        case 'ct timeout':
        case 'ct expectation':
          this.ctObjProp(type, props);
          break;
        case 'secmark':
          props.set('ctx', { value: this.str('security context'), pos: this.pos(t) });
          break;
        default:
          this.fail(`${type} objects are not supported`, at);
      }
      this.endStatement();
    }
    return { type, name, pos: this.pos(at), props, comment };
  }

  private ctObjProp(type: string, props: Map<string, { value: string | number | readonly (readonly [string, number])[] | LimitSpec | QuotaSpec; pos: Pos }>): void {
    const t = this.t;
    const key = this.ident('property');
    const pos = this.pos(t);
    if (key === 'protocol' && !this.isWord('tcp') && !this.isWord('udp')) this.unexpected('udp or tcp');
    if (key === 'protocol' || key === 'l3proto') props.set(key, { value: this.ident(key), pos });
    else if (key === 'policy' && type === 'ct timeout') {
      this.expectPunct('=');
      this.expectPunct('{');
      const list: [string, number][] = [];
      for (;;) {
        this.skipNl();
        if (this.eatPunct('}')) break;
        const st = this.t;
        const state = this.ident('state');
        // the loader names the state that is wrong for the protocol
        props.set(`state:${state}`, { value: state, pos: this.pos(st) });
        this.expectPunct(':');
        list.push([state, this.number('number')]);
        this.skipNl();
        this.eatPunct(',');
      }
      props.set('policy', { value: list, pos });
    } else if (type === 'ct expectation' && (key === 'dport' || key === 'size')) props.set(key, { value: this.number(key), pos });
    else if (type === 'ct expectation' && key === 'timeout') props.set(key, { value: this.time(), pos });
    else this.fail(`unknown ${type} property '${key}'`, t);
  }

  // ---- rules ----

  private rule(): RuleAst {
    const at = this.t;
    const stmts: Stmt[] = [];
    let comment: string | null = null;
    while (!this.atStmtEnd()) {
      if (this.isWord('comment') && (this.peek().kind === 'str' || this.peek().kind === 'word')) {
        this.i++;
        comment = this.str('comment');
        continue;
      }
      stmts.push(this.statement());
    }
    if (stmts.length === 0 && comment === null) this.unexpected('a statement');
    return { stmts, comment, pos: this.pos(at) };
  }

  private statement(): Stmt {
    const t = this.t;
    const pos = this.pos(t);
    if (t.kind === 'word') {
      const w = t.text;
      if (VERDICTS.has(w)) {
        const v = this.verdictExpr();
        if (v.k !== 'verdict') throw new Error('unreachable');
        return { k: 'verdict', v: v.v, chain: v.chain, pos };
      }
      if (UNSUPPORTED_STMTS[w] !== undefined && !(w in PROTOCOLS)) this.fail(`${UNSUPPORTED_STMTS[w]} is not supported by ctkit`);
      switch (w) {
        case 'counter':
          return this.counterStmt();
        case 'log':
          return this.logStmt();
        case 'limit':
          this.i++;
          if (this.eatWord('name')) return this.objRef('limit', pos);
          this.expectWord('rate');
          return { k: 'limit', spec: this.limitSpec(), pos };
        case 'quota':
          this.i++;
          if (this.eatWord('name')) return this.objRef('quota', pos);
          return { k: 'quota', spec: this.quotaSpec(), pos };
        case 'reject':
          return this.rejectStmt();
        case 'snat':
        case 'dnat':
        case 'masquerade':
        case 'redirect':
          return this.natStmt();
        case 'notrack':
          this.i++;
          return { k: 'notrack', pos };
        case 'fwd':
        case 'dup':
          return this.fwdDupStmt();
        case 'reset':
          if (this.peek().text === 'tcp' && this.peek(2).text === 'option') {
            this.i += 3;
            return { k: 'tcpopt-reset', opt: this.ident('tcp option'), pos };
          }
          break;
        case 'add':
        case 'update':
        case 'delete':
          if (this.peek().kind === 'word' && this.peek().text.startsWith('@')) return this.dynsetStmt();
          break;
        case 'meter':
          return this.meterStmt();
        case 'set':
          this.fail("syntax error, unexpected set");
        case 'synproxy':
          this.fail('synproxy statement is not supported by ctkit');
      }
      if (w === 'ct' && this.peek().text === 'count') {
        this.i += 2;
        const over = this.eatWord('over');
        return { k: 'connlimit', count: this.number('connection count'), over, pos };
      }
      if (w === 'ct' && ['helper', 'timeout', 'expectation'].includes(this.peek().text) && this.peek(2).text === 'set') {
        const kind = this.peek().text;
        this.i += 3;
        return this.objRefValue(`ct ${kind}`, pos);
      }
    }
    const lhs = this.lhsExpr();
    if (this.eatWord('set')) {
      // a comma list is a set of flags (`tcp flags set syn,ack`)
      const value = this.isSelectorStart() ? this.lhsExpr() : this.rhsList(false);
      return { k: 'set', lhs, value, pos };
    }
    if (this.eatWord('vmap')) {
      const map = this.mapTarget();
      return { k: 'vmap', key: lhs, map, pos };
    }
    let op: RelOp = 'implicit';
    if ((this.t.kind === 'punct' || this.t.kind === 'word') && REL_OPS[this.t.text] !== undefined) {
      op = REL_OPS[this.t.text]!;
      this.i++;
    }
    if (this.atStmtEnd()) this.unexpected('a value');
    const rhs = this.rhsList(true);
    return { k: 'match', lhs, op, rhs, pos };
  }

  private objRef(type: string, pos: Pos): Stmt {
    if (this.isWord() && !this.t.text.startsWith('$') && this.peek().text === 'map') return this.objMapRef(type, pos);
    const lhsStart = this.t;
    if (lhsStart.kind === 'str' || (lhsStart.kind === 'word' && !this.isSelectorStart())) {
      return { k: 'objref', type, name: this.str('object name'), map: null, pos };
    }
    return this.objMapRef(type, pos);
  }

  /** `EXPR map { ... }` / `EXPR map @m` naming the object to use. */
  private objMapRef(type: string, pos: Pos): Stmt {
    const e = this.lhsExpr();
    if (e.k === 'map') return { k: 'objref', type, name: null, map: e, pos };
    this.expectWord('map');
    return { k: 'objref', type, name: null, map: { k: 'map', key: e, map: this.mapTarget(), pos }, pos };
  }

  private objRefValue(type: string, pos: Pos): Stmt {
    if (this.t.kind === 'str' || (this.isWord() && this.peek().text !== 'map' && !this.isSelectorStart())) {
      return { k: 'objref', type, name: this.str('object name'), map: null, pos };
    }
    return this.objMapRef(type, pos);
  }

  private counterStmt(): Stmt {
    const pos = this.pos();
    this.i++;
    if (this.eatWord('name')) return this.objRef('counter', pos);
    let packets = 0;
    let bytes = 0;
    if (this.eatWord('packets')) {
      packets = this.number('packets');
      this.expectWord('bytes');
      bytes = this.number('bytes');
    }
    return { k: 'counter', packets, bytes, pos };
  }

  private logStmt(): Stmt {
    const pos = this.pos();
    this.i++;
    let prefix: string | null = null;
    let level: string | null = null;
    let group: number | null = null;
    let snaplen: number | null = null;
    let qthreshold: number | null = null;
    const flags: string[] = [];
    for (;;) {
      if (this.eatWord('prefix')) prefix = this.str('prefix');
      else if (this.eatWord('level')) level = this.ident('level');
      else if (this.eatWord('group')) group = this.number('group');
      else if (this.eatWord('snaplen')) snaplen = this.number('snaplen');
      else if (this.eatWord('queue-threshold')) qthreshold = this.number('queue-threshold');
      else if (this.eatWord('flags')) {
        const first = this.ident('log flag');
        if (first === 'tcp' || first === 'ip') {
          const list = [this.ident('log flag')];
          while (this.eatPunct(',')) list.push(this.ident('log flag'));
          for (const f of list) flags.push(`${first} ${f}`);
        } else {
          flags.push(first);
          while (this.eatPunct(',')) flags.push(this.ident('log flag'));
        }
      } else break;
    }
    return { k: 'log', prefix, level, flags, group, snaplen, qthreshold, pos };
  }

  /** `[over] N[/unit] [burst N [packets]]`, `[over] N bytes-unit/unit [burst N bytes-unit]`. */
  private limitSpec(): LimitSpec {
    const over = this.eatWord('over');
    if (!over) this.eatWord('until');
    const at = this.t;
    const first = this.ident('rate');
    let rateText = first;
    // `10/second`, `10 / second`, `1 mbytes/second`, `1 mbytes / second`
    let bytesUnit = 1;
    let bytes = false;
    let m = /^([0-9]+)(?:\/(\w+))?$/.exec(rateText);
    if (m === null) this.fail(`wrong rate format '${first}'`, at);
    let amount = Number(m[1]);
    let unitName = m[2] ?? null;
    if (unitName === null && this.isWord()) {
      const um = /^(bytes|kbytes|mbytes)(?:\/(\w+))?$/.exec(this.t.text);
      if (um) {
        bytes = true;
        bytesUnit = BYTE_UNITS[um[1]!]!;
        unitName = um[2] ?? null;
        this.i++;
      }
    }
    if (unitName === null && this.eatPunct('/')) unitName = this.ident('time unit');
    if (unitName === null) unitName = 'second';
    const unit = UNIT_SECONDS[unitName];
    if (unit === undefined) this.fail(`wrong rate format '${rateText}/${unitName}'`, at);
    amount *= bytesUnit;
    let burst: number | null = null;
    if (this.eatWord('burst')) {
      burst = this.number('burst');
      if (this.isWord('packets')) {
        if (bytes) this.unexpected();
        this.i++;
      } else if (this.isWord() && BYTE_UNITS[this.t.text] !== undefined) {
        if (!bytes) this.unexpected();
        burst *= BYTE_UNITS[this.t.text]!;
        this.i++;
      }
    }
    rateText = '';
    return { rate: amount, unit, bytes, over, burst };
  }

  private quotaSpec(): QuotaSpec {
    const over = this.eatWord('over');
    if (!over) this.eatWord('until');
    const bytes = this.byteAmount();
    let used = 0;
    if (this.eatWord('used')) used = this.byteAmount();
    return { bytes, over, used };
  }

  private byteAmount(): number {
    const at = this.t;
    const w = this.ident('quota');
    const m = /^([0-9]+)(bytes|kbytes|mbytes)?$/.exec(w);
    if (m === null) this.fail(`wrong quota format '${w}'`, at);
    let unit = m[2];
    if (unit === undefined && this.isWord() && BYTE_UNITS[this.t.text] !== undefined) {
      unit = this.t.text;
      this.i++;
    }
    return Number(m[1]) * BYTE_UNITS[unit ?? 'bytes']!;
  }

  private rejectStmt(): Stmt {
    const pos = this.pos();
    this.i++;
    if (!this.eatWord('with')) return { k: 'reject', kind: null, code: null, pos };
    const t = this.t;
    const kind = this.ident('icmp, icmpv6, icmpx or tcp');
    if (kind === 'tcp') {
      this.expectWord('reset');
      return { k: 'reject', kind: 'tcp', code: null, pos };
    }
    const k = kind === 'icmp6' ? 'icmpv6' : kind;
    if (k !== 'icmp' && k !== 'icmpv6' && k !== 'icmpx') this.fail(`syntax error, unexpected ${kind}`, t);
    this.eatWord('type');
    const c = this.t;
    const code = this.str('reject code');
    return { k: 'reject', kind: k, code: { k: 'const', text: code, quoted: false, pos: this.pos(c) }, pos };
  }

  private natStmt(): Stmt {
    const t = this.t;
    const pos = this.pos(t);
    const kind = t.text as 'snat' | 'dnat' | 'masquerade' | 'redirect';
    this.i++;
    let family: 4 | 6 | null = null;
    // `snat ip to ...` names the family; `snat ip saddr map { ... }` is an expression;
    // `dnat ip addr . port to EXPR map { K : ADDR . PORT }` is `dnat ip to` (nft lists it so)
    const addrPort = this.peek().text === 'addr' && this.peek(2).text === '.' && this.peek(3).text === 'port' && this.peek(4).text === 'to';
    if ((this.isWord('ip') || this.isWord('ip6')) && (this.peek().text === 'to' || addrPort)) {
      if (kind === 'masquerade' || kind === 'redirect') this.unexpected();
      family = this.t.text === 'ip' ? 4 : 6;
      this.i += addrPort ? 4 : 1;
    }
    let addr: Expr | null = null;
    let port: Expr | null = null;
    const hasTo = this.eatWord('to');
    if (kind === 'snat' || kind === 'dnat') {
      if (!hasTo && (this.atStmtEnd() || this.isFlagWord())) this.unexpected('to');
      if (!this.atStmtEnd() && !this.isFlagWord()) [addr, port] = this.natTarget();
    } else if (hasTo) {
      [addr, port] = this.natTarget();
      if (addr !== null) this.fail(`${kind} takes only a port: to :PORT`, t);
    }
    const flags: string[] = [];
    while (this.isFlagWord()) {
      flags.push(this.t.text);
      this.i++;
      this.eatPunct(',');
    }
    return { k: 'nat', kind, family, addr, port, flags, pos };
  }

  /** The current word starts a selector (payload, meta, ct, ...), not a constant. */
  /**
   * nft lists a NAT port taken from the packet glued to what precedes it (`to 10.0.0.1:numgen inc
   * ...`, `map { ... }:tcp dport ...`, `[fd00::1]:numgen ...`): such a word is split into the
   * address, `:` and the word that starts the port expression.
   */
  private splitGluedPort(): void {
    const t = this.t;
    if (t.kind !== 'word') return;
    const text = t.text;
    let c = -1;
    if (text.startsWith('[')) {
      const close = text.indexOf(']');
      if (close > 0 && text[close + 1] === ':') c = close + 1;
    } else if (text.split(':').length === 2) {
      c = text.indexOf(':');
    }
    if (c < 0) return;
    const rest = text.slice(c + 1);
    if (!(rest in PROTOCOLS || ['meta', 'ct', 'numgen', 'jhash', 'symhash'].includes(rest) || UNQUALIFIED_META.has(rest))) return;
    const parts: Token[] = [];
    if (c > 0) parts.push({ ...t, text: text.slice(0, c) });
    parts.push({ ...t, kind: 'punct', text: ':', col: t.col + c });
    parts.push({ ...t, text: rest, col: t.col + c + 1 });
    this.toks.splice(this.i, 1, ...parts);
  }

  private isSelectorStart(): boolean {
    const t = this.t;
    if (t.kind !== 'word') return false;
    const w = t.text;
    return w in PROTOCOLS || w === 'meta' || w === 'ct' || w === 'numgen' || w === 'jhash' || w === 'symhash' || w === 'fib' || w === 'rt' || UNQUALIFIED_META.has(w) || /^@(ll|nh|th)$/.test(w);
  }

  private isFlagWord(): boolean {
    return this.isWord('random') || this.isWord('fully-random') || this.isWord('persistent') || this.isWord('netmap');
  }

  /** NAT target: `ADDR`, `ADDR:PORT`, `:PORT`, ranges, `[v6]:port`, `EXPR map {...}`, `ADDR . PORT` maps. */
  private natTarget(): [Expr | null, Expr | null] {
    this.splitGluedPort();
    const t = this.t;
    if (t.kind === 'word' && (t.text in PROTOCOLS || t.text === 'meta' || t.text === 'ct' || t.text === 'numgen' || t.text === 'jhash' || t.text === 'symhash' || UNQUALIFIED_META.has(t.text))) {
      let e = this.lhsExpr();
      if (this.eatWord('map')) e = { k: 'map', key: e, map: this.mapTarget(), pos: this.pos(t) };
      // `dnat tcp dport map { ... } : tcp dport map { ... }` (nft lists it `...}:tcp dport ...`)
      this.splitGluedPort();
      return [e, this.eatPunct(':') ? this.natPort() : null];
    }
    if (t.kind === 'punct' && t.text === ':') {
      this.i++;
      return [null, this.natPort()];
    }
    if (t.kind !== 'word') this.unexpected('address');
    this.i++;
    let text = t.text;
    if (text.startsWith('$')) {
      const v = this.lookupVar(t);
      if (v.k !== 'const') return [v, null];
      text = v.text;
    }
    const pos = this.pos(t);
    // [v6addr]:port or v4addr:port (one colon); a bare v6 address has several colons
    let addrText = text;
    let portText: string | null = null;
    if (text.startsWith('[')) {
      const close = text.indexOf(']');
      addrText = text.slice(1, close);
      if (text[close + 1] === ':') portText = text.slice(close + 2);
    } else if (text.startsWith(':')) {
      addrText = '';
      portText = text.slice(1);
    } else {
      const colons = text.split(':').length - 1;
      if (colons === 1) {
        const c = text.indexOf(':');
        addrText = text.slice(0, c);
        portText = text.slice(c + 1);
      }
    }
    let addr: Expr | null = addrText === '' ? null : rangeOrConst(addrText, pos);
    let port: Expr | null = portText === null ? null : portText === '' ? this.natPort() : rangeOrConst(portText, pos);
    if (portText === null && this.eatPunct(':')) port = this.natPort();
    if (addr !== null && this.eatPunct('-')) {
      const hi = this.ident('address');
      addr = { k: 'range', lo: addr, hi: { k: 'const', text: hi, quoted: false, pos }, pos };
    }
    if (this.isPunct('.') && addr !== null) {
      // `dnat to ip daddr map {...}` handled above; here `ADDR . PORT` is not valid nft
      this.unexpected();
    }
    if (this.isWord('map') && addr !== null) this.unexpected();
    return [addr, port];
  }

  private natPort(): Expr {
    const t = this.t;
    // `:numgen inc mod 2 map { ... }`, `:tcp dport map @ports`
    if (this.isSelectorStart()) {
      const e = this.lhsExpr();
      return this.eatWord('map') ? { k: 'map', key: e, map: this.mapTarget(), pos: this.pos(t) } : e;
    }
    if (t.kind !== 'word') this.unexpected('port');
    this.i++;
    let e = rangeOrConst(t.text, this.pos(t));
    if (this.eatPunct('-')) e = { k: 'range', lo: e, hi: { k: 'const', text: this.ident('port'), quoted: false, pos: this.pos(t) }, pos: this.pos(t) };
    return e;
  }

  /** `fwd to DEV`, `fwd ip|ip6 to ADDR device DEV` (netdev); `dup to DEV` (netdev), `dup to ADDR [device DEV]`. */
  private fwdDupStmt(): Stmt {
    const t = this.t;
    const pos = this.pos(t);
    const kind = t.text;
    this.i++;
    let family: 4 | 6 | null = null;
    if (kind === 'fwd' && (this.isWord('ip') || this.isWord('ip6'))) {
      family = this.t.text === 'ip' ? 4 : 6;
      this.i++;
    }
    this.expectWord('to');
    const value = (): Expr => (this.isSelectorStart() ? this.lhsExpr() : this.rhsPrimary());
    const target = value();
    const dev = this.eatWord('device') ? value() : null;
    if (kind === 'dup') return { k: 'dup', addr: target, dev, pos };
    if (family !== null) {
      if (dev === null) this.unexpected('device');
      return { k: 'fwd', dev, family, addr: target, pos };
    }
    if (dev !== null) this.fail('syntax error, unexpected device: fwd to DEVICE, or fwd ip|ip6 to ADDRESS device DEVICE', t);
    return { k: 'fwd', dev: target, family: null, addr: null, pos };
  }

  private dynsetStmt(): Stmt {
    const pos = this.pos();
    const op = this.t.text as 'add' | 'update' | 'delete';
    this.i++;
    const set = this.t.text.slice(1);
    this.i++;
    this.expectPunct('{');
    this.skipNl();
    const key = this.lhsConcat();
    let timeout: number | null = null;
    if (this.eatWord('timeout')) timeout = this.time();
    const stmts: Stmt[] = [];
    this.skipNl();
    while (!this.isPunct('}')) {
      stmts.push(this.statement());
      this.skipNl();
    }
    this.expectPunct('}');
    return { k: 'dynset', op, set, key, timeout, stmts, pos };
  }

  private meterStmt(): Stmt {
    const pos = this.pos();
    this.i++;
    const name = this.ident('meter name');
    let size: number | null = null;
    if (this.eatWord('size')) size = this.number('size');
    this.expectPunct('{');
    this.skipNl();
    const key = this.lhsConcat();
    let timeout: number | null = null;
    if (this.eatWord('timeout')) timeout = this.time();
    const stmts: Stmt[] = [];
    this.skipNl();
    while (!this.isPunct('}')) {
      stmts.push(this.statement());
      this.skipNl();
    }
    this.expectPunct('}');
    return { k: 'meter', name, size, key, timeout, stmts, pos };
  }

  // ---- expressions ----

  /** Left-hand side: a selector concatenation with optional bit operations. */
  private lhsExpr(): Expr {
    let e = this.lhsConcat();
    for (;;) {
      const t = this.t;
      const op = t.kind === 'punct' ? t.text : t.kind === 'word' ? (WORD_OPS[t.text] ?? '') : '';
      if (op === '&' || op === '|' || op === '^' || op === '<<' || op === '>>') {
        this.i++;
        const r = this.rhsPrimary();
        e = { k: 'binop', op: op as BinOp, l: e, r, pos: this.pos(t) };
        continue;
      }
      if (this.isWord('map') && this.peek().kind === 'punct' && this.peek().text === '{') {
        this.i++;
        e = { k: 'map', key: e, map: this.setBlock(), pos: this.pos(t) };
        continue;
      }
      if (this.isWord('map') && this.peek().kind === 'word' && this.peek().text.startsWith('@')) {
        this.i++;
        e = { k: 'map', key: e, map: this.mapTarget(), pos: this.pos(t) };
        continue;
      }
      return e;
    }
  }

  private lhsConcat(): Expr {
    const at = this.t;
    const parts = [this.selectorExpr()];
    while (this.isPunct('.')) {
      this.i++;
      parts.push(this.selectorExpr());
    }
    return parts.length === 1 ? parts[0]! : { k: 'concat', parts, pos: this.pos(at) };
  }

  private mapTarget(): Expr {
    if (this.isWord() && this.t.text.startsWith('@')) {
      const t = this.t;
      this.i++;
      return { k: 'setref', name: t.text.slice(1), pos: this.pos(t) };
    }
    if (this.isWord() && this.t.text.startsWith('$')) {
      const v = this.lookupVar(this.t);
      this.i++;
      return v;
    }
    return this.setBlock();
  }

  /** One selector: payload, meta, ct, fib, numgen, hashes, rt, raw payload, tcp option. */
  private selectorExpr(): Expr {
    const t = this.t;
    const pos = this.pos(t);
    if (t.kind === 'punct' && t.text === '(') {
      this.i++;
      const e = this.lhsExpr();
      this.expectPunct(')');
      return e;
    }
    if (t.kind !== 'word') this.unexpected('an expression');
    const w = t.text;
    if (w.startsWith('@')) return this.rawPayload();
    this.i++;
    if (w === 'tcp' && this.isWord('option')) {
      this.i++;
      return this.tcpOptExpr(pos);
    }
    if (w in PROTOCOLS) {
      if (!this.isWord()) this.unexpected(`${w} header field`);
      let field = this.t.text;
      // `arp saddr ip`, `arp daddr ether`: two words
      if (w === 'arp' && (field === 'saddr' || field === 'daddr')) {
        this.i++;
        if (!this.isWord('ip') && !this.isWord('ether')) this.unexpected('ip or ether');
        field = `${field} ${this.t.text}`;
      }
      if (PROTOCOLS[w]!.fields[field] === undefined) {
        if (w === 'vlan' || w === 'arp' || w === 'ip' || w === 'ip6' || w === 'ether') this.fail(`syntax error, unexpected ${field}`);
        this.fail(`syntax error, unexpected ${field}`);
      }
      this.i++;
      return { k: 'payload', proto: w, field, pos };
    }
    switch (w) {
      case 'meta': {
        const key = this.ident('meta key');
        return { k: 'meta', key, pos };
      }
      case 'ct':
        return this.ctExpr(pos);
      case 'fib':
        return this.fibExpr(pos);
      case 'numgen': {
        const mode = this.ident('inc or random');
        if (mode !== 'inc' && mode !== 'random') this.fail(`syntax error, unexpected ${mode}`);
        this.expectWord('mod');
        const mod = this.number('modulus');
        let offset = 0;
        if (this.eatWord('offset')) offset = this.number('offset');
        return { k: 'numgen', mode, mod, offset, pos };
      }
      case 'jhash':
      case 'symhash': {
        const expr = w === 'jhash' ? this.lhsConcat() : null;
        this.expectWord('mod');
        const mod = this.number('modulus');
        let seed: number | null = null;
        let offset = 0;
        if (w === 'jhash' && this.eatWord('seed')) seed = this.number('seed');
        if (this.eatWord('offset')) offset = this.number('offset');
        return { k: 'hash', kind: w, expr, mod, seed, offset, pos };
      }
      case 'rt': {
        let family: 4 | 6 | undefined;
        if (this.isWord('ip') || this.isWord('ip6')) {
          family = this.t.text === 'ip' ? 4 : 6;
          this.i++;
        }
        const key = this.ident('rt key');
        return family === undefined ? { k: 'rt', key, pos } : { k: 'rt', key, family, pos };
      }
    }
    if (UNQUALIFIED_META.has(w)) return { k: 'meta', key: w, pos };
    if (UNSUPPORTED_STMTS[w] !== undefined) this.fail(`${UNSUPPORTED_STMTS[w]} is not supported by ctkit`, t);
    this.fail(`syntax error, unexpected ${w}`, t);
  }

  /** `tcp option NAME [FIELD]`, `tcp option @KIND,OFFSET,LENGTH` (after `tcp option`). */
  private tcpOptExpr(pos: Pos): Expr {
    const t = this.t;
    if (t.kind === 'word' && t.text.startsWith('@')) {
      this.i++;
      const opt = t.text.slice(1);
      this.expectPunct(',');
      const offset = this.number('offset');
      this.expectPunct(',');
      const len = this.number('length');
      return { k: 'tcpopt', opt, field: '', raw: { offset, len }, pos };
    }
    const opt = this.ident('tcp option');
    const fields = ['size', 'length', 'count', 'left', 'right', 'tsval', 'tsecr', 'subtype'];
    const field = this.isWord() && fields.includes(this.t.text) ? this.ident('field') : '';
    return { k: 'tcpopt', opt, field, pos };
  }

  private rawPayload(): Expr {
    const t = this.t;
    const base = t.text.slice(1);
    if (base !== 'll' && base !== 'nh' && base !== 'th') this.fail(`syntax error, unexpected ${t.text}`);
    this.i++;
    this.expectPunct(',');
    const offset = this.number('offset');
    this.expectPunct(',');
    const len = this.number('length');
    return { k: 'raw', base, offset, len, pos: this.pos(t) };
  }

  private ctExpr(pos: Pos): Expr {
    let dir: 0 | 1 | null = null;
    if (this.eatWord('original')) dir = 0;
    else if (this.eatWord('reply')) dir = 1;
    let family: 0 | 4 | 6 = 0;
    if (dir !== null && (this.isWord('ip') || this.isWord('ip6'))) {
      family = this.t.text === 'ip' ? 4 : 6;
      this.i++;
    }
    const key = this.ident('ct key');
    return { k: 'ct', dir, key, family, pos };
  }

  private fibExpr(pos: Pos): Expr {
    const flags = [this.ident('fib flag')];
    while (this.eatPunct('.')) flags.push(this.ident('fib flag'));
    const result = this.ident('oif, oifname or type');
    return { k: 'fib', flags, result, pos };
  }

  /** A right-hand side: a concatenation, or a comma list of them (flags); `value / mask`. */
  private rhsList(allowMask: boolean): Expr {
    const at = this.t;
    const first = this.rhsConcat();
    let e: Expr = first;
    if (this.isPunct(',')) {
      const items = [first];
      while (this.eatPunct(',')) items.push(this.rhsConcat());
      e = { k: 'list', items, pos: this.pos(at) };
    }
    if (allowMask && this.isPunct('/')) {
      this.i++;
      const m = this.rhsList(false);
      e = { k: 'masked', value: e, mask: m, pos: this.pos(at) };
    }
    return e;
  }

  private rhsConcat(): Expr {
    const at = this.t;
    const parts = [this.rhsOr()];
    while (this.isPunct('.')) {
      this.i++;
      parts.push(this.rhsOr());
    }
    return parts.length === 1 ? parts[0]! : { k: 'concat', parts, pos: this.pos(at) };
  }

  private rhsOr(): Expr {
    let e = this.rhsPrimary();
    while (this.isPunct('|') || this.isWord('or')) {
      const t = this.t;
      this.i++;
      e = { k: 'binop', op: '|', l: e, r: this.rhsPrimary(), pos: this.pos(t) };
    }
    return e;
  }

  private rhsPrimary(): Expr {
    const t = this.t;
    const pos = this.pos(t);
    if (t.kind === 'punct' && t.text === '{') return this.setBlock();
    if (t.kind === 'punct' && t.text === '(') {
      this.i++;
      const e = this.rhsList(false);
      this.expectPunct(')');
      return e;
    }
    if (t.kind === 'str') {
      this.i++;
      return { k: 'const', text: t.text, quoted: true, pos };
    }
    if (t.kind !== 'word') this.unexpected('a value');
    if (t.text.startsWith('@')) {
      this.i++;
      return { k: 'setref', name: t.text.slice(1), pos };
    }
    if (t.text.startsWith('$')) {
      this.i++;
      return this.lookupVar(t);
    }
    this.i++;
    let e = rangeOrConst(t.text, pos);
    if (this.isPunct('-') && this.peek().kind === 'word') {
      this.i++;
      const hi = this.t;
      this.i++;
      e = { k: 'range', lo: e, hi: { k: 'const', text: hi.text, quoted: false, pos: this.pos(hi) }, pos };
    }
    return e;
  }
}

/**
 * A constant word: `a-b` may be a range and `a/n` a prefix; which one it is depends on the type,
 * so the split is only proposed here (the evaluator tries the whole word first for symbols like
 * `echo-request`).
 */
function rangeOrConst(text: string, pos: Pos): Expr {
  const slash = text.lastIndexOf('/');
  if (slash > 0 && /^[0-9]+$/.test(text.slice(slash + 1))) {
    return { k: 'prefix', base: { k: 'const', text: text.slice(0, slash), quoted: false, pos }, len: Number(text.slice(slash + 1)), pos };
  }
  return { k: 'const', text, quoted: false, pos };
}

function flattenSet(e: Expr): Expr[] {
  return e.k === 'set' ? e.elems.flatMap(flattenSet) : [e];
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
