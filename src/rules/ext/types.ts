/**
 * The contract between the iptables parser and its extensions (one file per extension, as
 * iptables' libxt_*.c): an extension declares its options; for each use in a rule the parser
 * creates a parser object, hands it every option occurrence (already checked: argument present,
 * `!` allowed, given once unless `multi`), then calls `finish` once the whole rule is read,
 * which makes the final checks (mandatory options, conflicts, the protocol and table the kernel
 * requires) and builds the runtime Match or Target.
 *
 * Errors are thrown with `fail()` (errors.ts); the parser attaches the position of the option
 * (from `option`) or of the `-m`/`-j` that loaded the extension (from `finish`).
 */
import type { Match, SharedState, Target, TableName } from '../model.js';
import type { Family } from '../values.js';
import type { IpsetRegistry } from '../ipset.js';

export interface OptionSpec {
  /** Long name without the dashes. */
  readonly name: string;
  /** Takes an argument. */
  readonly arg: boolean;
  /** May be preceded by `!`. */
  readonly invert?: boolean;
  /** May be given more than once. */
  readonly multi?: boolean;
  /** Name the parser hands to `option` when it differs (synonyms such as --sport / --source-port). */
  readonly canonical?: string;
  /** Further arguments taken from the following words (`--tcp-flags MASK COMP` has 1). */
  readonly extraArgs?: number;
}

/** What an extension may know about the rule it is part of. */
export interface ExtContext {
  readonly family: Family;
  readonly table: TableName;
  readonly chain: string;
  /** The rule's -p (0 = any); final by the time `finish` runs. */
  readonly proto: number;
  readonly protoInvert: boolean;
  /** The rule's matches, finished (targets see them all in `finish`). */
  readonly matches: readonly Match[];
  readonly shared: SharedState;
  readonly ipsets: IpsetRegistry;
}

export interface ExtParser<T> {
  /**
   * One option occurrence; `arg` is '' for options without an argument, `extra` holds the
   * further arguments of options that take several (OptionSpec.extraArgs).
   */
  option(name: string, arg: string, invert: boolean, extra: readonly string[]): void;
  /** Final checks and the runtime object (null: compiles to no test at all, see tcp.ts). */
  finish(cx: ExtContext): T | null;
}

export interface MatchExtension {
  readonly name: string;
  /** Families the extension exists for (default both). */
  readonly families?: readonly Family[];
  readonly options: readonly OptionSpec[];
  create(cx: ExtContext): ExtParser<Match>;
}

export interface TargetExtension {
  readonly name: string;
  readonly families?: readonly Family[];
  readonly options: readonly OptionSpec[];
  create(cx: ExtContext): ExtParser<Target>;
}
