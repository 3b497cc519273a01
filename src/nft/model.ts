/**
 * The nft ruleset as the kernel holds it after `nft -f`: tables in creation order, each with its
 * chains, named sets and maps, stateful objects, and rules made of evaluated statements (ir.ts).
 * Handles are numbered as the kernel numbers them: tables from one counter of the ruleset, and
 * chains, sets (anonymous ones included), objects and rules from one counter per table, in the
 * order nft sends them (a table block: chains, objects, sets, then rules).
 */
import type { Family, Pos } from './ast.js';
import type { IrStmt } from './ir.js';
import type { NftSet } from './sets.js';

export interface BaseHook {
  readonly type: 'filter' | 'nat' | 'route';
  readonly hook: string;
  readonly priority: number;
  readonly device: readonly string[];
}

export class NftRule {
  constructor(
    readonly handle: number,
    readonly stmts: IrStmt[],
    readonly comment: string | null,
    readonly pos: Pos,
    /** Anonymous sets the rule owns. */
    readonly sets: NftSet[],
  ) {}
}

export class NftChain {
  rules: NftRule[] = [];
  base: BaseHook | null = null;
  policy: 'accept' | 'drop' = 'accept';
  /** Packets and bytes the policy decided (the kernel keeps these per base chain). */
  readonly policyCounter = { packets: 0, bytes: 0 };
  comment: string | null = null;
  constructor(
    readonly table: NftTable,
    readonly name: string,
    readonly handle: number,
    readonly pos: Pos,
  ) {}
}

/** A named stateful object (counter, quota, limit, ct helper, ct timeout, ct expectation). */
export interface NftObject {
  readonly type: string;
  readonly name: string;
  readonly handle: number;
  readonly pos: Pos;
  comment: string | null;
  /** Type-specific state: see ir.ts (CounterState, QuotaState, LimitState) and objects in load.ts. */
  readonly state: ObjState;
}

export type ObjState =
  | { readonly kind: 'counter'; packets: number; bytes: number }
  | { readonly kind: 'quota'; readonly bytes: number; readonly over: boolean; used: number }
  | { readonly kind: 'limit'; readonly spec: import('./ast.js').LimitSpec; bucket: unknown }
  | { readonly kind: 'ct helper'; readonly helper: string; readonly protocol: number; readonly l3proto: number }
  | { readonly kind: 'ct timeout'; readonly protocol: number; readonly l3proto: number; readonly policy: readonly (readonly [string, number])[] }
  | { readonly kind: 'ct expectation'; readonly protocol: number; readonly l3proto: number; readonly dport: number; readonly timeout: number; readonly size: number };

export class NftTable {
  readonly chains = new Map<string, NftChain>();
  readonly sets = new Map<string, NftSet>();
  readonly objects: NftObject[] = [];
  flags: string[] = [];
  comment: string | null = null;
  private nextHandle = 1;
  constructor(
    readonly family: Family,
    readonly name: string,
    readonly handle: number,
  ) {}

  newHandle(): number {
    return this.nextHandle++;
  }

  object(type: string, name: string): NftObject | undefined {
    return this.objects.find((o) => o.type === type && o.name === name);
  }
}

export class NftRuleset {
  tables: NftTable[] = [];
  private nextTableHandle = 1;
  /** Source file names (Pos.src indexes this). */
  files: string[] = [];
  /** Virtual time at which the first packet was evaluated: static element timeouts count from it. */
  epoch: number | null = null;

  newTableHandle(): number {
    return this.nextTableHandle++;
  }

  table(family: Family, name: string): NftTable | undefined {
    return this.tables.find((t) => t.family === family && t.name === name);
  }
}
