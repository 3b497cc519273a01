/**
 * The rule model both front ends compile to and netfilter/ evaluates: a Ruleset holds, per family
 * (4 and 6), the tables raw, mangle, nat, filter and security; a table holds built-in chains
 * (hook, policy, policy counters) and user chains; a chain holds rules; a rule is a list of
 * matches, an optional target, counters, and where it came from.
 *
 * Matches and targets are objects built once at load time. On the hot path a match answers
 * `match(ctx)` from numbers (negation is inside), and a target's `run(ctx)` changes the context
 * and returns a Verdict code; JUMP/GOTO name a chain object and ACTION a pre-built Action, so the
 * evaluator allocates nothing. `save()` is the iptables-save text of a match or target and
 * `list()` the text iptables -L -n prints after the address columns.
 *
 * Built-in chains follow the nf_tables backend of iptables 1.8.9: a built-in chain exists in the
 * kernel (and so is traversed, with a policy and counters) only once the restore file declared
 * it or added a rule to it; a table exists once one of its chains does.
 */
import type { Action, PacketContext } from '../netfilter/context.js';
import { Hook } from '../netfilter/context.js';
import type { SourceRef } from './errors.js';
import { IpsetRegistry } from './ipset.js';
import type { IpSpec } from './ipspec.js';
import type { Family } from './values.js';

export type { Family } from './values.js';

export const TABLE_NAMES = ['raw', 'mangle', 'nat', 'filter', 'security'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** Built-in chains of each table, in the order iptables lists them. */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** The order iptables-save (nf_tables) prints tables in. */
export const SAVE_TABLE_ORDER: readonly TableName[] = ['mangle', 'security', 'raw', 'filter', 'nat'];

/** Hook of a built-in chain name. */
export const CHAIN_HOOK: Readonly<Record<string, Hook>> = {
  PREROUTING: Hook.PREROUTING,
  INPUT: Hook.INPUT,
  FORWARD: Hook.FORWARD,
  OUTPUT: Hook.OUTPUT,
  POSTROUTING: Hook.POSTROUTING,
};

/** Bit mask of every hook. */
export const ALL_HOOKS = 0x1f;

/** Bit of a hook in a hook mask. */
export function hookBit(h: Hook): number {
  return 1 << h;
}

/** What a target tells the evaluator. */
export const Verdict = {
  DROP: 0,
  ACCEPT: 1,
  /** Go on with the next rule (MARK, LOG, ...). */
  CONTINUE: 2,
  RETURN: 3,
  JUMP: 4,
  GOTO: 5,
  /** Stop and hand `target.action` to the pipeline (REJECT, NAT). */
  ACTION: 6,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface Counters {
  packets: number;
  bytes: number;
}

export type { SourceRef } from './errors.js';

/** Hooks a match or target may be used from (kernel checkentry), with the message when not. */
export interface HookLimit {
  /** Allowed hooks as a mask of hookBit(); undefined = all. */
  readonly hooks?: number;
}

export interface Match extends HookLimit {
  /** Extension name ("tcp", "conntrack", ...). */
  readonly name: string;
  match(ctx: PacketContext): boolean;
  /** iptables-save text, e.g. `-m tcp --dport 22`. */
  save(): string;
  /** iptables -L -n text, e.g. `tcp dpt:22` ('' when it prints nothing). */
  list(): string;
}

export interface Target extends HookLimit {
  /** Target name as -L prints in the target column: ACCEPT, LOG, a chain name, ... */
  readonly name: string;
  /** The chain a JUMP/GOTO goes to. */
  readonly chain: Chain | null;
  /** The action an ACTION verdict hands over. */
  readonly action: Action | null;
  /** True for `-g CHAIN`. */
  readonly isGoto: boolean;
  run(ctx: PacketContext): Verdict;
  /** iptables-save text, e.g. `-j REJECT --reject-with tcp-reset`. */
  save(): string;
  /** iptables -L -n text after the matches ('' for standard targets). */
  list(): string;
}

export interface Rule {
  /** iptables' fixed selectors (-s -d -i -o -p -f); null when the rule has none. */
  readonly ip: IpSpec | null;
  readonly matches: readonly Match[];
  readonly target: Target | null;
  readonly counters: Counters;
  readonly source: SourceRef;
  /** "TABLE CHAIN N" for traces, set when the ruleset is committed. */
  trace: string;
}

export interface Chain {
  readonly name: string;
  readonly table: TableName;
  readonly family: Family;
  /** Hook of a built-in chain, -1 for a user chain. */
  readonly hook: Hook | -1;
  /** ACCEPT or DROP for built-in chains; null for user chains. */
  policy: 'ACCEPT' | 'DROP' | null;
  /** Built-in chain registered with the kernel (declared or used); always true for user chains. */
  present: boolean;
  /** Policy counters (built-in chains). */
  readonly counters: Counters;
  readonly rules: Rule[];
  /** "TABLE CHAIN policy" for traces. */
  readonly policyTrace: string;
  /** Where the chain was declared (null for a built-in chain never named). */
  source: SourceRef | null;
}

export interface Table {
  readonly name: TableName;
  readonly family: Family;
  /** Exists in the kernel: at least one chain was declared or used. */
  present: boolean;
  /** Built-in chains in listing order, then user chains in creation order. */
  readonly chains: Map<string, Chain>;
}

/** Chain depth the kernel allows for jumps (nf_tables' jump stack). */
export const MAX_JUMP_DEPTH = 16;

export function newCounters(): Counters {
  return { packets: 0, bytes: 0 };
}

export function newChain(family: Family, table: TableName, name: string, builtin: boolean): Chain {
  return {
    name,
    table,
    family,
    hook: builtin ? CHAIN_HOOK[name]! : -1,
    policy: builtin ? 'ACCEPT' : null,
    present: !builtin,
    counters: newCounters(),
    rules: [],
    policyTrace: `${table} ${name} policy`,
    source: null,
  };
}

export function newTable(family: Family, name: TableName): Table {
  const chains = new Map<string, Chain>();
  for (const c of BUILTIN_CHAINS[name]) chains.set(c, newChain(family, name, c, true));
  return { name, family, present: false, chains };
}

/** Whether `name` is a built-in chain of `table`. */
export function isBuiltinChain(table: TableName, name: string): boolean {
  return BUILTIN_CHAINS[table].includes(name);
}

/**
 * Scratch space the evaluator reuses (the jump stack), so evaluation allocates nothing.
 */
export class EvalScratch {
  readonly chains: (Chain | null)[] = new Array<Chain | null>(MAX_JUMP_DEPTH + 1).fill(null);
  readonly positions = new Int32Array(MAX_JUMP_DEPTH + 1);
}

/** State shared by all rules of a ruleset (recent lists, hashlimit tables, by name). */
export class SharedState {
  private readonly items = new Map<string, unknown>();

  /** The object stored under `key`, created by `make` on first use. */
  get<T>(key: string, make: () => T): T {
    if (!this.items.has(key)) this.items.set(key, make());
    return this.items.get(key) as T;
  }
}

/** Every table of both families, and the state their extensions share. */
export class Ruleset {
  readonly v4 = new Map<TableName, Table>();
  readonly v6 = new Map<TableName, Table>();
  readonly scratch = new EvalScratch();
  /** Named state of extensions (recent lists, hashlimit tables). */
  readonly shared = new SharedState();
  /** ipsets the `set` match refers to (load them before the rules). */
  readonly ipsets = new IpsetRegistry();

  constructor() {
    for (const t of TABLE_NAMES) {
      this.v4.set(t, newTable(4, t));
      this.v6.set(t, newTable(6, t));
    }
  }

  tables(family: Family): Map<TableName, Table> {
    return family === 4 ? this.v4 : this.v6;
  }

  table(family: Family, name: TableName): Table {
    return this.tables(family).get(name)!;
  }

  chain(family: Family, table: TableName, name: string): Chain | undefined {
    return this.table(family, table).chains.get(name);
  }
}
