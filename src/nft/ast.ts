/**
 * The syntax tree of `nft -f` text, as the parser builds it: commands (table blocks, add / insert
 * / delete / flush of tables, chains, rules, sets, elements and objects), rules as statement
 * lists, and untyped expressions. Constants stay text here: what `22` or `echo-request` means is
 * decided when the rule is evaluated against the datatype of what it is compared with.
 */

export interface Pos {
  readonly src: number;
  readonly line: number;
  readonly col: number;
}

export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

export type Expr =
  | { readonly k: 'const'; readonly text: string; readonly quoted: boolean; readonly pos: Pos }
  | { readonly k: 'setref'; readonly name: string; readonly pos: Pos }
  | { readonly k: 'set'; readonly elems: readonly Expr[]; readonly pos: Pos }
  | { readonly k: 'elem'; readonly key: Expr; readonly opts: ElemOpts; readonly pos: Pos }
  | { readonly k: 'mapping'; readonly key: Expr; readonly value: Expr; readonly pos: Pos }
  | { readonly k: 'list'; readonly items: readonly Expr[]; readonly pos: Pos }
  | { readonly k: 'concat'; readonly parts: readonly Expr[]; readonly pos: Pos }
  | { readonly k: 'range'; readonly lo: Expr; readonly hi: Expr; readonly pos: Pos }
  | { readonly k: 'prefix'; readonly base: Expr; readonly len: number; readonly pos: Pos }
  | { readonly k: 'binop'; readonly op: BinOp; readonly l: Expr; readonly r: Expr; readonly pos: Pos }
  | { readonly k: 'masked'; readonly value: Expr; readonly mask: Expr; readonly pos: Pos }
  | { readonly k: 'payload'; readonly proto: string; readonly field: string; readonly pos: Pos }
  | { readonly k: 'raw'; readonly base: 'll' | 'nh' | 'th'; readonly offset: number; readonly len: number; readonly pos: Pos }
  | { readonly k: 'meta'; readonly key: string; readonly pos: Pos }
  | { readonly k: 'ct'; readonly dir: 0 | 1 | null; readonly key: string; readonly family: 0 | 4 | 6; readonly pos: Pos }
  | { readonly k: 'fib'; readonly flags: readonly string[]; readonly result: string; readonly pos: Pos }
  | { readonly k: 'numgen'; readonly mode: 'inc' | 'random'; readonly mod: number; readonly offset: number; readonly pos: Pos }
  | { readonly k: 'hash'; readonly kind: 'jhash' | 'symhash'; readonly expr: Expr | null; readonly mod: number; readonly seed: number | null; readonly offset: number; readonly pos: Pos }
  | { readonly k: 'rt'; readonly key: string; readonly family?: 4 | 6; readonly pos: Pos }
  | { readonly k: 'tcpopt'; readonly opt: string; readonly field: string; readonly raw?: { readonly offset: number; readonly len: number }; readonly pos: Pos }
  | { readonly k: 'map'; readonly key: Expr; readonly map: Expr; readonly pos: Pos }
  | { readonly k: 'verdict'; readonly v: VerdictName; readonly chain: string | null; readonly pos: Pos };

export type BinOp = '&' | '|' | '^' | '<<' | '>>';
export type RelOp = 'implicit' | '==' | '!=' | '<' | '>' | '<=' | '>=';
export type VerdictName = 'accept' | 'drop' | 'continue' | 'return' | 'jump' | 'goto' | 'queue';

export interface ElemOpts {
  readonly timeout?: number;
  readonly expires?: number;
  readonly comment?: string;
  readonly counter?: { packets: number; bytes: number };
}

export type NatKind = 'snat' | 'dnat' | 'masquerade' | 'redirect';

export type Stmt =
  | { readonly k: 'match'; readonly lhs: Expr; readonly op: RelOp; readonly rhs: Expr; readonly pos: Pos }
  | { readonly k: 'verdict'; readonly v: VerdictName; readonly chain: string | null; readonly pos: Pos }
  | { readonly k: 'vmap'; readonly key: Expr; readonly map: Expr; readonly pos: Pos }
  | { readonly k: 'counter'; readonly packets: number; readonly bytes: number; readonly pos: Pos }
  | { readonly k: 'objref'; readonly type: string; readonly name: string | null; readonly map: Expr | null; readonly pos: Pos }
  | { readonly k: 'log'; readonly prefix: string | null; readonly level: string | null; readonly flags: readonly string[]; readonly group: number | null; readonly snaplen: number | null; readonly qthreshold: number | null; readonly pos: Pos }
  | { readonly k: 'limit'; readonly spec: LimitSpec; readonly pos: Pos }
  | { readonly k: 'quota'; readonly spec: QuotaSpec; readonly pos: Pos }
  | { readonly k: 'reject'; readonly kind: 'icmp' | 'icmpv6' | 'icmpx' | 'tcp' | null; readonly code: Expr | null; readonly pos: Pos }
  | { readonly k: 'nat'; readonly kind: NatKind; readonly family: 4 | 6 | null; readonly addr: Expr | null; readonly port: Expr | null; readonly flags: readonly string[]; readonly pos: Pos }
  | { readonly k: 'set'; readonly lhs: Expr; readonly value: Expr; readonly pos: Pos }
  | { readonly k: 'notrack'; readonly pos: Pos }
  | { readonly k: 'connlimit'; readonly count: number; readonly over: boolean; readonly pos: Pos }
  /** netdev `fwd to DEV` / `fwd ip to ADDR device DEV` (family and addr together). */
  | { readonly k: 'fwd'; readonly dev: Expr; readonly family: 4 | 6 | null; readonly addr: Expr | null; readonly pos: Pos }
  /** `dup to ADDR [device DEV]` (ip, ip6, inet), netdev `dup to DEV` (addr is then the device). */
  | { readonly k: 'dup'; readonly addr: Expr; readonly dev: Expr | null; readonly pos: Pos }
  | { readonly k: 'tcpopt-reset'; readonly opt: string; readonly pos: Pos }
  | { readonly k: 'dynset'; readonly op: 'add' | 'update' | 'delete'; readonly set: string; readonly key: Expr; readonly timeout: number | null; readonly stmts: readonly Stmt[]; readonly pos: Pos }
  | { readonly k: 'meter'; readonly name: string; readonly size: number | null; readonly key: Expr; readonly timeout: number | null; readonly stmts: readonly Stmt[]; readonly pos: Pos };

export interface LimitSpec {
  /** Packets (or bytes) per unit. */
  readonly rate: number;
  /** Seconds of the unit. */
  readonly unit: number;
  readonly bytes: boolean;
  readonly over: boolean;
  /** Burst (packets or bytes); null = default. */
  readonly burst: number | null;
}

export interface QuotaSpec {
  readonly bytes: number;
  readonly over: boolean;
  readonly used: number;
}

export interface RuleAst {
  readonly stmts: readonly Stmt[];
  readonly comment: string | null;
  readonly pos: Pos;
}

export interface ChainAst {
  readonly name: string;
  readonly pos: Pos;
  readonly type: string | null;
  readonly hook: string | null;
  readonly device: readonly string[];
  readonly priority: PriorityAst | null;
  readonly policy: 'accept' | 'drop' | null;
  readonly comment: string | null;
  readonly rules: readonly RuleAst[];
}

export interface PriorityAst {
  readonly text: string;
  readonly pos: Pos;
}

export interface SetAst {
  readonly name: string;
  readonly pos: Pos;
  readonly isMap: boolean;
  /** `type a . b : c` names, or `typeof` expressions. */
  readonly keyTypes: readonly string[] | null;
  readonly keyExprs: readonly Expr[] | null;
  readonly dataType: string | null;
  readonly dataExpr: Expr | null;
  readonly flags: readonly string[];
  readonly timeout: number | null;
  readonly gcInterval: number | null;
  readonly size: number | null;
  readonly policy: string | null;
  readonly autoMerge: boolean;
  readonly counter: boolean;
  readonly comment: string | null;
  readonly elements: Expr | null;
}

export interface ObjAst {
  readonly type: 'counter' | 'quota' | 'limit' | 'ct helper' | 'ct timeout' | 'ct expectation' | 'secmark' | 'synproxy';
  readonly name: string;
  readonly pos: Pos;
  readonly props: ReadonlyMap<string, { value: string | number | readonly (readonly [string, number])[] | LimitSpec | QuotaSpec; pos: Pos }>;
  readonly comment: string | null;
}

export interface TableAst {
  readonly chains: ChainAst[];
  readonly sets: SetAst[];
  readonly objs: ObjAst[];
  readonly flowtables: { name: string; pos: Pos }[];
  flags: string[];
  comment: string | null;
}

export interface TableRef {
  readonly family: Family;
  readonly name: string;
  readonly pos: Pos;
}

export type Command =
  | { readonly k: 'flush-ruleset'; readonly family: Family | null; readonly pos: Pos }
  | { readonly k: 'table'; readonly op: 'add' | 'create' | 'delete' | 'destroy' | 'flush'; readonly t: TableRef; readonly body: TableAst | null; readonly handle: number | null }
  | { readonly k: 'chain'; readonly op: 'add' | 'create' | 'delete' | 'destroy' | 'flush'; readonly t: TableRef; readonly chain: ChainAst; readonly handle: number | null }
  | { readonly k: 'rule'; readonly op: 'add' | 'insert' | 'replace' | 'delete' | 'destroy'; readonly t: TableRef; readonly chain: string; readonly where: { kind: 'position' | 'handle' | 'index'; n: number } | null; readonly rule: RuleAst | null; readonly pos: Pos }
  | { readonly k: 'set'; readonly op: 'add' | 'create' | 'delete' | 'destroy' | 'flush'; readonly t: TableRef; readonly set: SetAst }
  | { readonly k: 'element'; readonly op: 'add' | 'create' | 'delete' | 'destroy'; readonly t: TableRef; readonly set: string; readonly elems: Expr; readonly pos: Pos }
  | { readonly k: 'obj'; readonly op: 'add' | 'create' | 'delete' | 'destroy'; readonly t: TableRef; readonly obj: ObjAst };
