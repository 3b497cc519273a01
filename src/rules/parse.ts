/**
 * iptables-restore / ip6tables-restore text into the rule model, as iptables 1.8.9 (nf_tables)
 * reads it: `*table` ... `COMMIT` blocks, `:CHAIN POLICY [packets:bytes]` chain lines, `#`
 * comments, and rule lines that are iptables command lines (`-A`, `-I`, `-R`, `-D`, `-N`, `-X`,
 * `-P`, `-F`, `-E`, `-Z`) with an optional `[packets:bytes]` prefix.
 *
 * A rule line is split like iptables-restore splits it (tokenize.ts) and its options are taken
 * in order the way getopt_long does for iptables: the fixed options first, then the options of
 * the loaded extensions, the most recently loaded first; unambiguous abbreviations and
 * `--opt=value` are accepted; an option nobody knows loads the protocol's match when -p named
 * one (`-p tcp --dport 22` is `-p tcp -m tcp --dport 22`). Negation is `! --opt`; the old
 * `--opt ! value` form is refused, as iptables 1.8 refuses it.
 *
 * Anything not understood stops the load with a RulesetError `FILE:LINE:COLUMN: message`.
 * At COMMIT the table is checked as the kernel checks it (validate.ts): jump loops and depth,
 * extensions used from hooks they do not support.
 */
import { CommitError, RuleSyntaxError, RulesetError, fail } from './errors.js';
import { findMatchExtension, findTargetExtension, isKnownTarget, unknownJumpMessage, unknownMatchMessage } from './ext/index.js';
import { chainTarget, standardTarget, STANDARD_TARGETS } from './ext/standard.js';
import type { ExtContext, ExtParser, MatchExtension, OptionSpec, TargetExtension } from './ext/types.js';
import type { SharedState } from './model.js';
import type { IpsetRegistry } from './ipset.js';
import { IpSpec, type IfaceSpec } from './ipspec.js';
import {
  isBuiltinChain,
  newChain,
  newTable,
  Ruleset,
  TABLE_NAMES,
  type Chain,
  type Counters,
  type Match,
  type Rule,
  type SourceRef,
  type Table,
  type TableName,
  type Target,
} from './model.js';
import { tokenizeRule, type Token } from './tokenize.js';
import { commitTable } from './validate.js';
import { parseAddrList, parseProtocol, parseUint, protocolName, type AddrMask, type Family } from './values.js';

export interface LoadOptions {
  /** File name used in error messages. */
  file?: string;
  /** 4 for iptables-restore text, 6 for ip6tables-restore text (default 4). */
  family?: Family;
  /** Take `[packets:bytes]` counters from the text, as iptables-restore -c (default false). */
  counters?: boolean;
  /** Do not flush a table at its `*table` line, as iptables-restore -n. */
  noflush?: boolean;
}

/** Parses restore text into a new Ruleset. */
export function parseIptables(text: string, options: LoadOptions = {}): Ruleset {
  const ruleset = new Ruleset();
  loadIptables(ruleset, text, options);
  return ruleset;
}

/** Loads restore text into `ruleset` (one family's tables); throws RulesetError. */
export function loadIptables(ruleset: Ruleset, text: string, options: LoadOptions = {}): void {
  const loader = new Loader(ruleset, options);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => loader.line(line, i + 1));
  loader.end(lines.length + 1);
}

// ------------------------------------------------------------------------------------------------
// the line level

class Loader {
  private readonly file: string;
  private readonly family: Family;
  private table: Table | null = null;

  constructor(
    private readonly ruleset: Ruleset,
    private readonly options: LoadOptions,
  ) {
    this.file = options.file ?? '<rules>';
    this.family = options.family ?? 4;
  }

  private error(line: number, column: number, message: string): never {
    throw new RulesetError(this.file, line, column, message);
  }

  line(text: string, n: number): void {
    if (text.endsWith('\r')) {
      this.error(n, text.length, 'carriage return at the end of the line (DOS line ending): iptables-restore does not accept it');
    }
    if (text === '') return;
    if (text[0] === '#') return;
    if (this.table !== null && text === 'COMMIT') {
      this.commit(n);
      return;
    }
    if (text[0] === '*') {
      if (this.table !== null) this.error(n, 1, `COMMIT expected before a new table (${text.split(/[ \t]/)[0]})`);
      this.startTable(text, n);
      return;
    }
    if (this.table === null) {
      this.error(n, 1, `line outside a table: a "*table" line must come first`);
    }
    if (text[0] === ':') {
      this.chainLine(this.table, text, n);
      return;
    }
    this.ruleLine(this.table, text, n);
  }

  end(lineAfterLast: number): void {
    if (this.table !== null) this.error(lineAfterLast, 1, 'COMMIT expected');
  }

  private startTable(text: string, n: number): void {
    const name = text.slice(1).split(/[ \t]/).filter((w) => w !== '')[0];
    if (name === undefined) this.error(n, 2, 'table name invalid');
    if (!(TABLE_NAMES as readonly string[]).includes(name)) {
      this.error(n, 2, `table name '${name}' invalid (raw, mangle, nat, filter or security)`);
    }
    const tables = this.ruleset.tables(this.family);
    if (!this.options.noflush) tables.set(name as TableName, newTable(this.family, name as TableName));
    this.table = tables.get(name as TableName)!;
  }

  private commit(n: number): void {
    const table = this.table!;
    try {
      commitTable(table);
    } catch (e) {
      if (e instanceof CommitError) this.error(e.source.line, e.source.column, e.message);
      throw e;
    }
    void n;
    this.table = null;
  }

  private chainLine(table: Table, text: string, n: number): void {
    const words = splitWords(text, 1);
    const nameTok = words[0];
    if (nameTok === undefined) this.error(n, 2, 'chain name invalid');
    const name = nameTok.text;
    this.at(n, nameTok.column, () => assertValidChainName(name, this.family));
    const policyTok = words[1];
    if (policyTok === undefined) this.error(n, text.length + 1, `policy missing for chain '${name}'`);
    const source: SourceRef = { file: this.file, line: n, column: 1 };
    if (isBuiltinChain(table.name, name)) {
      const policy = policyTok.text;
      if (policy !== 'ACCEPT' && policy !== 'DROP' && policy !== '-') {
        this.error(n, policyTok.column, `Can't set policy \`${policy}' on \`${name}': Bad policy name (ACCEPT or DROP)`);
      }
      const chain = table.chains.get(name)!;
      if (policy !== '-') chain.policy = policy;
      if (this.options.counters) {
        const c = words[2];
        const parsed = c === undefined ? null : parseCounterPair(c.text);
        if (parsed === null) this.error(n, c?.column ?? text.length + 1, `invalid policy counters for chain '${name}'`);
        chain.counters.packets = parsed[0];
        chain.counters.bytes = parsed[1];
      }
      presentChain(table, chain, source);
      return;
    }
    if (!table.chains.has(name)) {
      const chain = newChain(this.family, table.name, name, false);
      chain.source = source;
      table.chains.set(name, chain);
    }
    table.present = true;
  }

  private ruleLine(table: Table, text: string, n: number): void {
    let rest = text;
    let offset = 0;
    let counters: [number, number] | null = null;
    if (text[0] === '[') {
      const close = text.indexOf(']');
      if (close < 0) this.error(n, 1, 'bad counters: need ]');
      const colon = text.indexOf(':');
      if (colon < 0 || colon > close) this.error(n, 1, 'bad counters: need :');
      if (this.options.counters) {
        counters = parseCounterPair(text.slice(0, close + 1));
        if (counters === null) this.error(n, 1, `invalid counters ${text.slice(0, close + 1)}`);
      }
      rest = text.slice(close + 1);
      offset = close + 1;
    }
    const tokens = tokenizeRule(rest, offset + 1);
    const cmd = new CommandParser(table, this.family, this.ruleset, this.file, n, tokens, rest.length + offset + 1);
    cmd.run(counters);
  }

  /** Runs `f`, turning a RuleSyntaxError into a RulesetError at (line, column). */
  private at(line: number, column: number, f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof RuleSyntaxError) this.error(line, column, e.message);
      throw e;
    }
  }
}

function splitWords(text: string, from: number): Token[] {
  const out: Token[] = [];
  const re = /[^ \t]+/g;
  re.lastIndex = from;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ text: m[0], column: m.index + 1, quoted: false });
  return out;
}

function parseCounterPair(s: string): [number, number] | null {
  const m = /^\[(\d+):(\d+)\]/.exec(s);
  if (m === null) return null;
  return [Number(m[1]), Number(m[2])];
}

function presentChain(table: Table, chain: Chain, source: SourceRef): void {
  if (!chain.present) {
    chain.present = true;
    chain.source = source;
  }
  table.present = true;
}

/** Longest chain name the kernel accepts is 28 characters (XT_EXTENSION_MAXNAMELEN - 1). */
const MAX_CHAIN_NAME = 28;

function assertValidChainName(name: string, family: Family): void {
  if (name.length > MAX_CHAIN_NAME) fail(`chain name \`${name}' too long (must be under 29 chars)`);
  if (name[0] === '-' || name[0] === '!') fail(`chain name not allowed to start with \`${name[0]}'`);
  if (isKnownTarget(name, family)) fail(`chain name \`${name}' may not clash with target name`);
  if (/\s/.test(name)) fail(`Invalid chain name \`${name}'`);
}

// ------------------------------------------------------------------------------------------------
// the command line of one rule

type Command = 'A' | 'C' | 'D' | 'I' | 'R' | 'L' | 'S' | 'F' | 'Z' | 'N' | 'X' | 'E' | 'P';

/** How a fixed option takes its argument: none, required, or optional (attached only). */
type ArgMode = 0 | 1 | 2;

/** iptables' own long options and their short letters. */
const CORE_LONG: readonly (readonly [string, string, ArgMode])[] = [
  ['append', 'A', 1],
  ['delete', 'D', 1],
  ['check', 'C', 1],
  ['insert', 'I', 1],
  ['replace', 'R', 1],
  ['list', 'L', 2],
  ['list-rules', 'S', 2],
  ['flush', 'F', 2],
  ['zero', 'Z', 2],
  ['new-chain', 'N', 1],
  ['delete-chain', 'X', 2],
  ['rename-chain', 'E', 1],
  ['policy', 'P', 1],
  ['source', 's', 1],
  ['destination', 'd', 1],
  ['src', 's', 1],
  ['dst', 'd', 1],
  ['protocol', 'p', 1],
  ['in-interface', 'i', 1],
  ['jump', 'j', 1],
  ['table', 't', 1],
  ['match', 'm', 1],
  ['numeric', 'n', 0],
  ['out-interface', 'o', 1],
  ['verbose', 'v', 0],
  ['wait', 'w', 2],
  ['wait-interval', 'W', 2],
  ['exact', 'x', 0],
  ['fragments', 'f', 0],
  ['version', 'V', 0],
  ['help', 'h', 2],
  ['line-numbers', '0', 0],
  ['modprobe', 'M', 1],
  ['set-counters', 'c', 1],
  ['goto', 'g', 1],
  ['ipv4', '4', 0],
  ['ipv6', '6', 0],
];

/** Short options (IPT_OPTSTRING) and how they take an argument. */
const CORE_SHORT: Readonly<Record<string, ArgMode>> = {
  A: 1, C: 1, D: 1, E: 1, F: 2, I: 1, L: 2, M: 1, N: 1, P: 1, V: 0, X: 2, Z: 2,
  c: 1, d: 1, i: 1, j: 1, o: 1, p: 1, s: 1, t: 1, R: 1, S: 2, W: 2,
  '4': 0, '6': 0, f: 0, g: 1, h: 2, m: 1, n: 0, v: 0, w: 2, x: 0,
};

/** Fixed options that may be negated. */
const INVERTIBLE = new Set(['s', 'd', 'p', 'i', 'o', 'f']);

/** Long names of the fixed options, for messages. */
const OPTION_NAMES: Readonly<Record<string, string>> = {
  s: 'source', d: 'destination', p: 'protocol', i: 'in-interface', o: 'out-interface',
  j: 'jump', g: 'goto', f: 'fragments', c: 'set-counters', n: 'numeric', x: 'exact', v: 'verbose', '0': 'line-numbers',
};

/** One extension loaded into a rule. */
interface Loaded<T> {
  readonly ext: MatchExtension | TargetExtension;
  readonly parser: ExtParser<T>;
  readonly token: Token;
  readonly seen: Set<string>;
  readonly isTarget: boolean;
}

/** Where an option was found. */
type Found =
  | { kind: 'core'; letter: string; mode: ArgMode; name: string }
  | { kind: 'ext'; loaded: Loaded<Match | Target>; spec: OptionSpec };

class CommandParser implements ExtContext {
  // ExtContext
  readonly shared: SharedState;
  readonly ipsets: IpsetRegistry;
  proto = 0;
  protoInvert = false;
  matches: Match[] = [];
  get table(): TableName {
    return this.tbl.name;
  }
  get chain(): string {
    return this.chainName ?? '';
  }

  private command: Command | null = null;
  private chainName: string | null = null;
  private chainTok: Token | null = null;
  private rulenum = -1;
  private policy: string | null = null;
  private policyTok: Token | null = null;
  private newName: string | null = null;
  private readonly set = new Set<string>();
  private invert = false;
  private pos = 0;
  private tok: Token | null = null;

  private srcText: string | null = null;
  private dstText: string | null = null;
  private srcInvert = false;
  private dstInvert = false;
  private iif: IfaceSpec | null = null;
  private oif: IfaceSpec | null = null;
  private frag = false;
  private fragInvert = false;
  private protoGiven = false;
  private protoAutoLoaded = false;
  private counterValues: [number, number] | null = null;
  private readonly addrToks: Record<string, Token> = {};

  private readonly loaded: Loaded<Match | Target>[] = [];
  private target: Loaded<Target> | null = null;
  private jumpTo: string | null = null;
  private jumpTok: Token | null = null;
  private isGoto = false;
  private skip = false;

  constructor(
    private readonly tbl: Table,
    readonly family: Family,
    env: Ruleset,
    private readonly file: string,
    private readonly lineNo: number,
    private readonly tokens: Token[],
    private readonly endColumn: number,
  ) {
    this.shared = env.shared;
    this.ipsets = env.ipsets;
  }

  private error(column: number, message: string): never {
    throw new RulesetError(this.file, this.lineNo, column, message);
  }

  /** Column of the current token (or the end of the line). */
  private col(): number {
    return this.tok?.column ?? this.endColumn;
  }

  /** Runs `f`; a RuleSyntaxError becomes a RulesetError at `column`. */
  private at<T>(column: number, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof RuleSyntaxError) this.error(column, e.message);
      throw e;
    }
  }

  run(counters: [number, number] | null): void {
    this.at(this.col(), () => this.readOptions());
    if (this.skip) return;
    if (counters !== null && this.counterValues === null) this.counterValues = counters;
    this.finishCommand();
  }

  // ---- getopt ----

  private readOptions(): void {
    while (this.pos < this.tokens.length) {
      const t = this.tokens[this.pos++]!;
      this.tok = t;
      const s = t.text;
      if (s.startsWith('--') && s.length > 2) {
        this.longOption(t);
      } else if (s.startsWith('-') && s.length > 1 && s !== '--') {
        this.shortOptions(t);
      } else if (s === '!') {
        if (this.invert) this.error(t.column, 'multiple consecutive ! not allowed');
        this.invert = true;
        continue;
      } else {
        this.error(t.column, `Bad argument \`${s}'`);
      }
      if (this.skip) return;
    }
    if (this.invert) this.error(this.endColumn, 'nothing appropriate following !');
  }

  private longOption(t: Token): void {
    const eq = t.text.indexOf('=');
    const name = eq < 0 ? t.text.slice(2) : t.text.slice(2, eq);
    const inline = eq < 0 ? null : t.text.slice(eq + 1);
    for (;;) {
      const found = this.lookupLong(name);
      if (!Array.isArray(found)) {
        this.dispatch(found, inline, t);
        return;
      }
      // unknown or ambiguous: iptables first loads the protocol's match and looks again
      if (this.loadProtoMatch(t)) continue;
      if (found.length === 0) this.error(t.column, `unknown option "--${name}"`);
      const names = found.map((c) => `--${c.kind === 'core' ? c.name : c.spec.name}`).join(', ');
      this.error(t.column, `option "--${name}" is ambiguous (${names})`);
    }
  }

  private shortOptions(t: Token): void {
    let i = 1;
    while (i < t.text.length) {
      const letter = t.text[i]!;
      const mode = CORE_SHORT[letter];
      if (mode === undefined) {
        if (this.loadProtoMatch(t)) continue;
        this.error(t.column, `unknown option "-${letter}"`);
      }
      const rest = t.text.slice(i + 1);
      if (mode !== 0) {
        this.dispatch({ kind: 'core', letter, mode, name: letter }, rest === '' ? null : rest, t);
        return;
      }
      this.dispatch({ kind: 'core', letter, mode, name: letter }, null, t);
      if (this.skip) return;
      i++;
    }
  }

  /**
   * getopt_long's lookup: exact names first (fixed, then newest extension), then a unique
   * prefix. No single option: the candidates (none = unknown, several = ambiguous).
   */
  private lookupLong(name: string): Found | Found[] {
    for (const [long, letter, mode] of CORE_LONG) {
      if (long === name) return { kind: 'core', letter, mode, name: long };
    }
    for (let i = this.loaded.length - 1; i >= 0; i--) {
      const l = this.loaded[i]!;
      const spec = l.ext.options.find((o) => o.name === name);
      if (spec) return { kind: 'ext', loaded: l, spec };
    }
    const candidates: Found[] = [];
    const keys = new Set<string>();
    for (const [long, letter, mode] of CORE_LONG) {
      if (long.startsWith(name) && !keys.has(`core:${letter}`)) {
        keys.add(`core:${letter}`);
        candidates.push({ kind: 'core', letter, mode, name: long });
      }
    }
    for (let i = this.loaded.length - 1; i >= 0; i--) {
      const l = this.loaded[i]!;
      for (const spec of l.ext.options) {
        const key = `${i}:${spec.canonical ?? spec.name}`;
        if (spec.name.startsWith(name) && !keys.has(key)) {
          keys.add(key);
          candidates.push({ kind: 'ext', loaded: l, spec });
        }
      }
    }
    return candidates.length === 1 ? candidates[0]! : candidates;
  }

  /** The argument of an option: attached (`--x=v`, `-pv`) or the next token. */
  private takeArg(inline: string | null, optName: string, t: Token): string {
    if (inline !== null) return inline;
    const next = this.tokens[this.pos];
    if (next === undefined) this.error(t.column, `option "${optName}" requires an argument`);
    this.pos++;
    this.tok = next;
    return next.text;
  }

  private dispatch(found: Found, inline: string | null, t: Token): void {
    const invert = this.invert;
    this.invert = false;
    if (found.kind === 'ext') {
      this.extOption(found.loaded, found.spec, inline, invert, t);
      return;
    }
    const optName = found.name.length === 1 ? `-${found.name}` : `--${found.name}`;
    let arg: string | null = null;
    if (found.mode === 1) arg = this.takeArg(inline, optName, t);
    else if (found.mode === 2) arg = inline;
    else if (inline !== null && found.name.length > 1) this.error(t.column, `option "${optName}" doesn't allow an argument`);
    this.coreOption(found.letter, arg, invert, t);
  }

  private extOption(l: Loaded<Match | Target>, spec: OptionSpec, inline: string | null, invert: boolean, t: Token): void {
    const ext = l.ext.name;
    const canonical = spec.canonical ?? spec.name;
    let arg = '';
    if (spec.arg) arg = this.takeArg(inline, `--${spec.name}`, t);
    else if (inline !== null) this.error(t.column, `option "--${spec.name}" doesn't allow an argument`);
    const argCol = this.col();
    if (invert && !spec.invert) this.error(t.column, `${ext}: option "--${spec.name}" cannot be inverted.`);
    if (spec.arg && arg === '!' && this.tokens[this.pos] !== undefined) {
      this.error(argCol, `Using intrapositioned negation (\`--${spec.name} ! this\`) is not supported; write \`! --${spec.name} this\``);
    }
    if (l.seen.has(canonical) && !spec.multi) {
      this.error(t.column, `${ext}: option "--${spec.name}" can only be used once.`);
    }
    const extra: string[] = [];
    for (let i = 0; i < (spec.extraArgs ?? 0); i++) {
      if (!this.hasArg()) this.error(t.column, `--${spec.name} requires ${['one', 'two', 'three'][spec.extraArgs ?? 0]} args.`);
      extra.push(this.nextArg().text);
    }
    l.seen.add(canonical);
    this.at(spec.arg ? argCol : t.column, () => l.parser.option(canonical, arg, invert, extra));
  }

  private setOption(letter: string, invert: boolean, t: Token): void {
    if (this.set.has(letter)) this.error(t.column, `multiple -${letter} flags not allowed`);
    this.set.add(letter);
    if (invert && !INVERTIBLE.has(letter)) this.error(t.column, `cannot have ! before -${letter}`);
  }

  private setCommand(cmd: Command, invert: boolean, t: Token): void {
    if (invert) this.error(t.column, "unexpected '!' flag");
    if (this.command !== null) this.error(t.column, `Cannot use -${cmd} with -${this.command}`);
    this.command = cmd;
  }

  /** xs_has_arg: the next token exists and does not start with '-' or '!'. */
  private hasArg(): boolean {
    const next = this.tokens[this.pos];
    return next !== undefined && next.text[0] !== '-' && next.text[0] !== '!';
  }

  private nextArg(): Token {
    const next = this.tokens[this.pos++]!;
    this.tok = next;
    return next;
  }

  private parseRulenum(t: Token): number {
    const n = parseUint(t.text, 1, 0x7fffffff);
    if (n === null) this.error(t.column, `Invalid rule number \`${t.text}'`);
    return n;
  }

  private refuseIntrapositioned(letter: string, arg: string, t: Token): void {
    if (arg === '!') {
      this.error(this.col(), `Using intrapositioned negation (\`-${letter} ! this\`) is not supported; write \`! -${letter} this\``);
    }
    void t;
  }

  private coreOption(letter: string, arg: string | null, invert: boolean, t: Token): void {
    const argTok = this.tok!;
    switch (letter) {
      case 'A':
      case 'C':
      case 'N':
      case 'E':
      case 'P':
      case 'R':
      case 'I':
      case 'D':
        this.setCommand(letter as Command, invert, t);
        this.chainName = arg!;
        this.chainTok = argTok;
        if (letter === 'N') this.at(argTok.column, () => assertValidChainName(arg!, this.family));
        if (letter === 'I') this.rulenum = this.hasArg() ? this.parseRulenum(this.nextArg()) : 1;
        if (letter === 'R') {
          if (!this.hasArg()) this.error(t.column, '-R requires a rule number');
          this.rulenum = this.parseRulenum(this.nextArg());
        }
        if (letter === 'D' && this.hasArg()) this.rulenum = this.parseRulenum(this.nextArg());
        if (letter === 'E') {
          if (!this.hasArg()) this.error(t.column, '-E requires old-chain-name and new-chain-name');
          const nt = this.nextArg();
          this.at(nt.column, () => assertValidChainName(nt.text, this.family));
          this.newName = nt.text;
        }
        if (letter === 'P') {
          if (!this.hasArg()) this.error(t.column, '-P requires a chain and a policy');
          this.policyTok = this.nextArg();
          this.policy = this.policyTok.text;
        }
        return;
      case 'L':
      case 'S':
        this.error(t.column, `-${letter} (listing) cannot be used in a restore file`);
      case 'F':
      case 'Z':
      case 'X':
        this.setCommand(letter as Command, invert, t);
        if (arg !== null) this.chainName = arg;
        else if (this.hasArg()) this.chainName = this.nextArg().text;
        this.chainTok = this.tok;
        if (letter === 'Z' && this.chainName !== null && this.hasArg()) this.rulenum = this.parseRulenum(this.nextArg());
        return;
      case 'p': {
        this.setOption('p', invert, t);
        this.refuseIntrapositioned('p', arg!, t);
        const name = arg!.toLowerCase();
        const proto = parseProtocol(name);
        if (proto === null) this.error(argTok.column, `unknown protocol "${arg}" specified`);
        if (proto === 0 && invert) this.error(argTok.column, 'rule would never match protocol');
        this.proto = proto;
        this.protoInvert = invert;
        this.protoGiven = true;
        return;
      }
      case 's':
      case 'd':
        this.setOption(letter, invert, t);
        this.refuseIntrapositioned(letter, arg!, t);
        if (letter === 's') {
          this.srcText = arg;
          this.srcInvert = invert;
        } else {
          this.dstText = arg;
          this.dstInvert = invert;
        }
        this.addrToks[letter] = argTok;
        return;
      case 'i':
      case 'o': {
        if (arg === '') this.error(argTok.column, 'Empty interface is likely to be undesired');
        this.setOption(letter, invert, t);
        this.refuseIntrapositioned(letter, arg!, t);
        const spec = this.at(argTok.column, () => parseIface(arg!, invert));
        if (letter === 'i') this.iif = spec;
        else this.oif = spec;
        return;
      }
      case 'f':
        if (this.family === 6) this.error(t.column, "`-f' is not supported in IPv6, use -m frag instead");
        this.setOption('f', invert, t);
        this.frag = true;
        this.fragInvert = invert;
        return;
      case 'j':
      case 'g':
        this.setOption('j', invert, t);
        this.jump(arg!, letter === 'g', argTok);
        return;
      case 'm':
        if (invert) this.error(t.column, 'unexpected ! flag before --match');
        this.loadMatch(arg!, argTok);
        return;
      case 'c': {
        this.setOption('c', invert, t);
        let p = arg!;
        let b: string | null = null;
        const comma = p.indexOf(',', 1);
        if (comma >= 0) {
          b = p.slice(comma + 1);
          p = p.slice(0, comma);
        } else if (this.hasArg()) {
          b = this.nextArg().text;
        }
        if (b === null) this.error(t.column, '-c requires packet and byte counter');
        const pc = /^\s*\d+/.exec(p);
        const bc = /^\s*\d+/.exec(b);
        if (pc === null) this.error(t.column, '-c packet counter not numeric');
        if (bc === null) this.error(t.column, '-c byte counter not numeric');
        this.counterValues = [Number(pc[0]), Number(bc[0])];
        return;
      }
      case '4':
        if (this.family === 6) this.skip = true;
        return;
      case '6':
        if (this.family === 4) this.skip = true;
        return;
      case 'v':
        if (!this.set.has('v')) this.setOption('v', invert, t);
        return;
      case 'n':
      case 'x':
      case '0':
        this.setOption(letter, invert, t);
        return;
      case 't':
        if (invert) this.error(t.column, 'unexpected ! flag before --table');
        this.error(t.column, 'The -t option cannot be used in iptables-restore.');
      case 'w':
      case 'W':
        this.error(t.column, `You cannot use \`-${letter}' from iptables-restore`);
      case 'M':
        // --modprobe names the program used to load kernel modules; it has no effect on rules.
        return;
      case 'V':
      case 'h':
        this.error(t.column, `-${letter} (version/help) cannot be used in a restore file`);
      default:
        this.error(t.column, `unknown option "-${letter}"`);
    }
  }

  // ---- extensions ----

  private loadMatch(name: string, t: Token): void {
    const ext = findMatchExtension(name, this.family);
    if (ext === null) this.error(t.column, unknownMatchMessage(name, this.family));
    this.addExtension(ext, t, false);
  }

  private addExtension(ext: MatchExtension | TargetExtension, t: Token, isTarget: boolean): Loaded<Match | Target> {
    const parser = this.at(t.column, () => ext.create(this)) as ExtParser<Match | Target>;
    const l: Loaded<Match | Target> = { ext, parser, token: t, seen: new Set(), isTarget };
    this.loaded.push(l);
    return l;
  }

  /** -p named a protocol with a match extension not yet auto-loaded: load it (iptables' load_proto). */
  private loadProtoMatch(t: Token): boolean {
    if (!this.protoGiven || this.protoAutoLoaded) return false;
    const name = protocolName(this.proto);
    if (name === null) return false;
    const ext = findMatchExtension(name, this.family);
    if (ext === null) return false;
    this.protoAutoLoaded = true;
    this.addExtension(ext, t, false);
    return true;
  }

  private jump(name: string, isGoto: boolean, t: Token): void {
    if (name.length < 1) this.error(t.column, 'Invalid target name (too short)');
    if (name.length > MAX_CHAIN_NAME) this.error(t.column, `Invalid target name \`${name}' (28 chars max)`);
    if (/\s/.test(name)) this.error(t.column, `Invalid target name \`${name}'`);
    this.jumpTo = name;
    this.jumpTok = t;
    this.isGoto = isGoto;
    if (isGoto) return;
    const ext = findTargetExtension(name, this.family);
    if (ext !== null) this.target = this.addExtension(ext, t, true) as Loaded<Target>;
  }

  // ---- after the options ----

  private finishCommand(): void {
    const cmd = this.command;
    if (cmd === null) this.error(1, 'no command specified');
    this.checkOptionsForCommand(cmd);
    switch (cmd) {
      case 'N':
        this.newUserChain();
        return;
      case 'X':
        this.deleteChain();
        return;
      case 'P':
        this.setPolicy();
        return;
      case 'F':
        this.flushChains();
        return;
      case 'Z':
        this.zeroCounters();
        return;
      case 'E':
        this.renameChain();
        return;
      case 'D':
        if (this.rulenum > 0 && this.set.size === 0 && this.loaded.length === 0) {
          this.deleteRuleNum();
          return;
        }
        break;
      default:
        break;
    }
    const rules = this.buildRules();
    this.applyRules(cmd, rules);
  }

  /** generic_opt_check: options that make no sense with the command. */
  private checkOptionsForCommand(cmd: Command): void {
    const ruleCommand = cmd === 'A' || cmd === 'I' || cmd === 'R' || cmd === 'D' || cmd === 'C';
    for (const letter of this.set) {
      if (letter === 'v') continue;
      const legal = ruleCommand ? !['n', 'x', '0'].includes(letter) && !(letter === 'c' && cmd === 'D') : letter === 'c' && cmd === 'P';
      if (!legal) this.error(1, `Illegal option \`-${letter === '0' ? '-line-numbers' : letter}' with this command`);
    }
    if (!ruleCommand && this.loaded.length > 0) this.error(this.loaded[0]!.token.column, 'Illegal option with this command');
  }

  private existingChain(name: string, t: Token | null): Chain {
    const chain = this.tbl.chains.get(name);
    if (chain === undefined) this.error(t?.column ?? 1, `Chain '${name}' does not exist`);
    return chain;
  }

  private source(column: number): SourceRef {
    return { file: this.file, line: this.lineNo, column };
  }

  private newUserChain(): void {
    const name = this.chainName!;
    if (this.tbl.chains.has(name)) this.error(this.chainTok!.column, `Chain '${name}' already exists`);
    const chain = newChain(this.family, this.tbl.name, name, false);
    chain.source = this.source(1);
    this.tbl.chains.set(name, chain);
    this.tbl.present = true;
  }

  private deleteChain(): void {
    const names = this.chainName !== null ? [this.chainName] : [...this.tbl.chains.values()].filter((c) => c.hook === -1).map((c) => c.name);
    for (const name of names) {
      const chain = this.existingChain(name, this.chainTok);
      if (chain.hook !== -1) this.error(this.chainTok!.column, `Cannot delete built-in chain '${name}'`);
      if (countReferences(this.tbl, chain) > 0) this.error(this.chainTok?.column ?? 1, `Can't delete chain '${name}' with references left`);
      this.tbl.chains.delete(name);
    }
  }

  private setPolicy(): void {
    const name = this.chainName!;
    const chain = this.tbl.chains.get(name);
    if (chain === undefined || chain.hook === -1) this.error(this.chainTok!.column, `Can't set policy \`${this.policy}' on \`${name}': Bad built-in chain name`);
    const policy = this.policy!;
    if (policy !== 'ACCEPT' && policy !== 'DROP') this.error(this.policyTok!.column, `Can't set policy \`${policy}' on \`${name}': Bad policy name`);
    if (this.tbl.name === 'nat' && policy === 'DROP') {
      this.error(this.policyTok!.column, 'The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.');
    }
    chain.policy = policy;
    if (this.counterValues !== null) {
      chain.counters.packets = this.counterValues[0];
      chain.counters.bytes = this.counterValues[1];
    }
    presentChain(this.tbl, chain, this.source(1));
  }

  private selectedChains(): Chain[] {
    if (this.chainName === null) return [...this.tbl.chains.values()];
    return [this.existingChain(this.chainName, this.chainTok)];
  }

  private flushChains(): void {
    for (const chain of this.selectedChains()) chain.rules.length = 0;
  }

  private zeroCounters(): void {
    for (const chain of this.selectedChains()) {
      if (this.rulenum > 0) {
        const rule = chain.rules[this.rulenum - 1];
        if (rule === undefined) this.error(1, 'Index of counter too big');
        zero(rule.counters);
        continue;
      }
      zero(chain.counters);
      for (const r of chain.rules) zero(r.counters);
    }
  }

  private renameChain(): void {
    const chain = this.existingChain(this.chainName!, this.chainTok);
    if (chain.hook !== -1) this.error(this.chainTok!.column, `Cannot rename built-in chain '${chain.name}'`);
    const newName = this.newName!;
    if (this.tbl.chains.has(newName)) this.error(1, `Chain '${newName}' already exists (File exists)`);
    const renamed: Chain = { ...chain, name: newName, policyTrace: `${this.tbl.name} ${newName} policy` };
    const entries = [...this.tbl.chains.entries()].map(([k, v]): [string, Chain] => (k === chain.name ? [newName, renamed] : [k, v]));
    this.tbl.chains.clear();
    for (const [k, v] of entries) this.tbl.chains.set(k, v);
    retargetJumps(this.tbl, chain, renamed);
  }

  private deleteRuleNum(): void {
    const chain = this.existingChain(this.chainName!, this.chainTok);
    if (this.rulenum > chain.rules.length) this.error(1, 'Index of deletion too big');
    chain.rules.splice(this.rulenum - 1, 1);
  }

  /** The rules the command line describes (one per source x destination address). */
  private buildRules(): Rule[] {
    if (this.tbl.name === 'nat' && this.jumpTo === 'DROP') {
      this.error(this.jumpTok!.column, 'The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.');
    }
    this.checkInterfacesForChain();
    const srcs = this.addresses('s', this.srcText);
    const dsts = this.addresses('d', this.dstText);
    if ((srcs.length > 1 || dsts.length > 1) && (this.srcInvert || this.dstInvert)) {
      this.error(1, '! not allowed with multiple source or destination IP addresses');
    }
    const rules: Rule[] = [];
    const column = this.tokens[0]?.column ?? 1;
    for (const s of srcs) {
      for (const d of dsts) {
        // each rule gets its own match and target objects (their state, e.g. a limit, is per rule)
        const matches = this.finishMatches();
        const target = this.buildTarget();
        rules.push({
          ip: this.ipSpec(s, d),
          matches,
          target,
          counters: { packets: this.counterValues?.[0] ?? 0, bytes: this.counterValues?.[1] ?? 0 },
          source: this.source(this.jumpTok?.column ?? column),
          trace: '',
        });
      }
    }
    return rules;
  }

  private finishMatches(): Match[] {
    this.matches = [];
    for (const l of this.loaded) {
      if (l.isTarget) continue;
      const m = this.at(l.token.column, () => l.parser.finish(this)) as Match | null;
      if (m !== null) this.matches.push(m);
    }
    return this.matches;
  }

  private buildTarget(): Target | null {
    if (this.jumpTo === null) return null;
    const t = this.jumpTok!;
    if (this.target !== null) {
      const l = this.target;
      const target = this.at(t.column, () => l.parser.finish(this));
      if (target === null) this.error(t.column, `${l.ext.name}: target compiled to nothing`);
      return target;
    }
    if (!this.isGoto && STANDARD_TARGETS.includes(this.jumpTo)) return standardTarget(this.jumpTo);
    const chain = this.tbl.chains.get(this.jumpTo);
    if (chain === undefined || chain.hook !== -1) this.error(t.column, unknownJumpMessage(this.jumpTo, this.family));
    return chainTarget(chain, this.isGoto);
  }

  private checkInterfacesForChain(): void {
    const name = this.chainName!;
    if ((name === 'PREROUTING' || name === 'INPUT') && this.oif !== null) this.error(1, `Can't use -o with ${name}`);
    if ((name === 'POSTROUTING' || name === 'OUTPUT') && this.iif !== null) this.error(1, `Can't use -i with ${name}`);
  }

  private addresses(letter: 's' | 'd', text: string | null): (AddrMask | null)[] {
    if (text === null) return [null];
    const t = this.addrToks[letter]!;
    return this.at(t.column, () => parseAddrList(this.family, text));
  }

  private ipSpec(s: AddrMask | null, d: AddrMask | null): IpSpec | null {
    const ip = new IpSpec(this.family);
    ip.proto = this.proto;
    ip.protoInvert = this.protoInvert;
    if (s !== null) {
      ip.src.set(s.addr);
      ip.srcMask.set(s.mask);
      ip.srcInvert = this.srcInvert;
    }
    if (d !== null) {
      ip.dst.set(d.addr);
      ip.dstMask.set(d.mask);
      ip.dstInvert = this.dstInvert;
    }
    ip.iif = this.iif;
    ip.oif = this.oif;
    ip.frag = this.frag;
    ip.fragInvert = this.fragInvert;
    return ip.isEmpty() ? null : ip;
  }

  private applyRules(cmd: Command, rules: Rule[]): void {
    const name = this.chainName!;
    let chain = this.tbl.chains.get(name);
    if (chain === undefined) this.error(this.chainTok!.column, `Chain '${name}' does not exist`);
    if (cmd === 'A' || cmd === 'I' || cmd === 'R') presentChain(this.tbl, chain, this.source(1));
    chain = this.tbl.chains.get(name)!;
    switch (cmd) {
      case 'A':
        chain.rules.push(...rules);
        return;
      case 'I':
        if (this.rulenum > chain.rules.length + 1) this.error(this.chainTok!.column, 'Index of insertion too big');
        chain.rules.splice(this.rulenum - 1, 0, ...rules);
        return;
      case 'R':
        if (rules.length !== 1) this.error(1, 'Replacement rule does not specify a unique address');
        if (this.rulenum > chain.rules.length) this.error(this.chainTok!.column, 'Index of replacement too big');
        chain.rules[this.rulenum - 1] = rules[0]!;
        return;
      case 'D':
        for (const r of rules) this.deleteMatching(chain, r);
        return;
      case 'C':
        for (const r of rules) {
          if (findSameRule(chain, r) < 0) this.error(1, 'Bad rule (does a matching rule exist in that chain?)');
        }
        return;
      default:
        this.error(1, `-${cmd} cannot be used here`);
    }
  }

  private deleteMatching(chain: Chain, rule: Rule): void {
    const i = findSameRule(chain, rule);
    if (i < 0) this.error(1, 'Bad rule (does a matching rule exist in that chain?)');
    chain.rules.splice(i, 1);
  }
}

function parseIface(text: string, invert: boolean): IfaceSpec | null {
  if (text.length > 15) fail(`interface name \`${text}' must be shorter than IFNAMSIZ (15)`);
  if (text === '+') {
    return invert ? { text: 'INVAL/D', name: 'INVAL/D', wildcard: false, invert: false } : null;
  }
  const wildcard = text.endsWith('+');
  return { text, name: wildcard ? text.slice(0, -1) : text, wildcard, invert };
}

function zero(c: Counters): void {
  c.packets = 0;
  c.bytes = 0;
}

/** The save text of a rule without counters (for -D / -C by specification). */
function ruleKey(rule: Rule): string {
  return `${rule.ip?.save() ?? ''}${rule.matches.map((m) => ` ${m.save()}`).join('')} ${rule.target?.save() ?? ''}`;
}

function findSameRule(chain: Chain, rule: Rule): number {
  const key = ruleKey(rule);
  return chain.rules.findIndex((r) => ruleKey(r) === key);
}

/** Number of rules of `table` that jump or go to `chain`. */
export function countReferences(table: Table, chain: Chain): number {
  let n = 0;
  for (const c of table.chains.values()) for (const r of c.rules) if (r.target?.chain === chain) n++;
  return n;
}

function retargetJumps(table: Table, from: Chain, to: Chain): void {
  for (const c of table.chains.values()) {
    c.rules.forEach((r, i) => {
      if (r.target?.chain === from) c.rules[i] = { ...r, target: chainTarget(to, r.target.isGoto) };
    });
  }
}
