/**
 * Splitting of an iptables-restore rule line into arguments, as iptables-restore does it
 * (add_param_to_argv): blanks (space, tab) separate arguments; a double quote opens a quoted
 * part in which a backslash takes the next character literally and the closing quote ends the
 * argument (`"a b"` is one argument, `""` an empty one); outside quotes a backslash is an
 * ordinary character. An unterminated quote runs to the end of the line.
 *
 * Each argument keeps the 1-based column where it starts, for error messages.
 */

export interface Token {
  readonly text: string;
  /** 1-based column of the first character (or opening quote). */
  readonly column: number;
  readonly quoted: boolean;
}

/** Splits `line` (starting at 1-based column `firstColumn`) into arguments. */
export function tokenizeRule(line: string, firstColumn = 1): Token[] {
  const out: Token[] = [];
  let buf = '';
  let start = -1;
  let inQuote = false;
  let escaped = false;
  let quoted = false;
  const push = (): void => {
    out.push({ text: buf, column: start + firstColumn, quoted });
    buf = '';
    start = -1;
    quoted = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inQuote) {
      if (escaped) {
        buf += c;
        escaped = false;
      } else if (c === '\\') {
        escaped = true;
      } else if (c === '"') {
        inQuote = false;
        push();
      } else {
        buf += c;
      }
      continue;
    }
    if (c === '"') {
      if (start < 0) start = i;
      inQuote = true;
      quoted = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n') {
      if (buf.length > 0) push();
      else if (!quoted) start = -1;
      continue;
    }
    if (start < 0) start = i;
    buf += c;
  }
  if (buf.length > 0) push();
  return out;
}
