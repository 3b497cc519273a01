/**
 * Tokenizer for `nft -f` text.
 *
 * nft's scanner is context sensitive (it knows addresses, numbers with units, rates); this one
 * keeps every run of word characters (letters, digits and `_ . : / - * $ @ + ~ %`) together as one
 * WORD and leaves its meaning to the parser and the datatypes, which know what they expect: `22-80`
 * is a range for a port, `echo-request` a symbol for an ICMP type. A lone `.`, `:`, `-`, `/`, `*`
 * or `+` is punctuation (concatenation, map separator, priority offsets, `value / mask`), and so is
 * a `:` that ends a word (`{ 22: accept }`). `"..."` is a STRING (nft strings have no escapes),
 * `# ...` a comment, a backslash before a newline joins lines. Newlines are tokens: nft ends
 * statements with them.
 *
 * Every token carries its 1-based line and column for `FILE:LINE:COLUMN: message` errors.
 */

export type TokKind = 'word' | 'str' | 'punct' | 'nl' | 'eof';

export interface Token {
  readonly kind: TokKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
  /** Index of the source (file) this token came from, for messages. */
  readonly src: number;
}

/**
 * A parse or evaluation error at a place in a source: `FILE:LINE:COLUMN: message`, or, for line 0
 * (a place without lines: a JSON path, json.ts), `FILE: message`.
 */
export class NftError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(line === 0 ? `${file}: ${detail}` : `${file}:${line}:${column}: ${detail}`);
    this.name = 'NftError';
  }
}

const WORD_EXTRA = new Set(['_', '.', ':', '/', '-', '*', '$', '@', '+', '~', '%']);
const LONE_PUNCT = new Set(['.', ':', '-', '/', '*', '+']);
const TWO_CHAR = new Set(['==', '!=', '<=', '>=', '<<', '>>']);
const ONE_CHAR = new Set(['{', '}', '(', ')', '[', ']', ';', ',', '=', '<', '>', '&', '|', '^', '!']);

function isWordChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || WORD_EXTRA.has(c) || c.charCodeAt(0) > 127;
}

/** `[v6addr]` (as in `dnat ip6 to [fd00::1]:80`): a bracketed address glued to a word. */
function bracketedAddrEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && /[0-9a-fA-F:.]/.test(text[j]!)) j++;
  return j > i + 1 && text[j] === ']' ? j + 1 : -1;
}

/** Splits `text` (source number `src`) into tokens. Throws NftError for an unterminated string. */
export function tokenize(text: string, file: string, src = 0): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const push = (kind: TokKind, t: string, at: number): void => {
    out.push({ kind, text: t, line, col: at - lineStart + 1, src });
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      push('nl', '\n', i);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) throw new NftError(file, line, i - lineStart + 1, 'syntax error, unterminated string');
      push('str', text.slice(i + 1, end), i);
      i = end + 1;
      continue;
    }
    if (c === '[' ) {
      const e = bracketedAddrEnd(text, i);
      if (e > 0) {
        let j = e;
        while (j < text.length && isWordChar(text[j]!)) j++;
        push('word', text.slice(i, j), i);
        i = j;
        continue;
      }
    }
    if (isWordChar(c)) {
      let j = i;
      while (j < text.length && isWordChar(text[j]!)) j++;
      let w = text.slice(i, j);
      if (LONE_PUNCT.has(w)) {
        push('punct', w, i);
      } else if (w.length > 1 && w.endsWith(':') && !w.endsWith('::')) {
        w = w.slice(0, -1);
        push('word', w, i);
        push('punct', ':', j - 1);
      } else {
        push('word', w, i);
      }
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      push('punct', two, i);
      i += 2;
      continue;
    }
    if (ONE_CHAR.has(c)) {
      push('punct', c, i);
      i++;
      continue;
    }
    throw new NftError(file, line, i - lineStart + 1, `syntax error, unexpected character '${c}'`);
  }
  out.push({ kind: 'eof', text: '', line, col: i - lineStart + 1, src });
  return out;
}
