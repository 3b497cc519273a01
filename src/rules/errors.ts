/**
 * Errors of the rule front ends.
 *
 * `RulesetError` is what a load reports to its caller: the file, the 1-based line and column of
 * the token that could not be accepted, and a message naming the option or extension, printed as
 * `FILE:LINE:COLUMN: message`. Inside the parser, value parsers and extensions throw the
 * position-less `RuleSyntaxError`; the parser knows which token it was handling and turns it into
 * a RulesetError there.
 */

/** A ruleset that cannot be loaded: `FILE:LINE:COLUMN: message`. */
export class RulesetError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'RulesetError';
  }
}

/** A message about the token being parsed; the parser adds file, line and column. */
export class RuleSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleSyntaxError';
  }
}

/** Where a rule or chain was written. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A table that fails the checks made at COMMIT, with the place to blame. */
export class CommitError extends Error {
  constructor(
    readonly source: SourceRef,
    message: string,
  ) {
    super(message);
    this.name = 'CommitError';
  }
}

/** Throws a RuleSyntaxError. */
export function fail(message: string): never {
  throw new RuleSyntaxError(message);
}
