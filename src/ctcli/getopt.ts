/**
 * The command-line scanner conntrack uses: glibc's getopt_long, with the behaviour conntrack's
 * option handling depends on.
 *
 *  - Short options come from an option string ("s:" takes an argument, "L::" an optional one that
 *    must be attached, "-Lexpect"); several may share one word ("-Lz"). A leading ':' in the
 *    string makes a missing argument report ':' instead of '?'.
 *  - Long options match exactly or by an unambiguous prefix ("--sp" for "--sport"); a prefix
 *    shared by options that differ is unknown ('?'), as glibc reports it. "--name=value" attaches
 *    the value; a required value may also be the next word, whatever it looks like; an optional
 *    value must be attached.
 *  - Words that are not options are skipped (glibc moves them to the end), unless the caller takes
 *    the next one as an optional operand (`optionalOperand`, conntrack's get_optional_arg: the
 *    table name after -L, the address after --src-nat).
 *  - `culprit` is what conntrack names in its messages: the word before the scan position
 *    (argv[optind - 1]), which for a bad option inside a group of short options is the previous
 *    word, exactly as the real tool prints it.
 */

/** A long option: its name, whether it takes a value (0 no, 1 required, 2 optional), its code. */
export interface LongOption {
  readonly name: string;
  readonly hasArg: 0 | 1 | 2;
  readonly code: string;
}

/** One scanned option: `code` is the option's code, '?' for an unknown one, ':' for a missing value. */
export interface ScannedOption {
  code: string;
  arg: string | null;
  /** argv[optind - 1] after the scan (conntrack prints it in "unknown option" messages). */
  culprit: string;
}

/** argv[0] of the tool, which its messages name when no word precedes. */
const PROGRAM = 'conntrack';

export class Getopt {
  /** Index of the next word to scan (getopt's optind). */
  private optind = 0;
  /** Rest of the current group of short options ('' when none). */
  private nextchar = '';
  private readonly shortSpec: Map<string, 0 | 1 | 2>;
  private longOptions: readonly LongOption[];

  constructor(
    private readonly argv: readonly string[],
    optstring: string,
    longOptions: readonly LongOption[],
  ) {
    this.shortSpec = parseOptstring(optstring);
    this.longOptions = longOptions;
  }

  /** Replaces the long options (conntrack merges a protocol's options in when it sees -p). */
  setLongOptions(options: readonly LongOption[]): void {
    this.longOptions = options;
  }

  /** The next option, or null at the end of the words (or at "--"). */
  next(): ScannedOption | null {
    if (this.nextchar !== '') return this.shortOption();
    while (this.optind < this.argv.length && !isOption(this.argv[this.optind]!)) this.skipOperand();
    if (this.optind >= this.argv.length) return null;
    const word = this.argv[this.optind]!;
    if (word === '--') {
      this.optind = this.argv.length;
      return null;
    }
    if (word.startsWith('--')) return this.longOption(word.slice(2));
    this.nextchar = word.slice(1);
    this.optind++;
    return this.shortOption();
  }

  /**
   * conntrack's get_optional_arg after an option whose value was not attached: the next word,
   * when there is one that does not start with '-' or '!', is taken as the option's value.
   */
  optionalOperand(scanned: ScannedOption): string | null {
    if (scanned.arg !== null) return null;
    const word = this.argv[this.optind];
    if (word === undefined || word.startsWith('-') || word.startsWith('!')) return null;
    this.optind++;
    return word;
  }

  /** Non-option words are left for the end, as glibc's permutation does; conntrack never reads them. */
  private skipOperand(): void {
    this.optind++;
  }

  /** argv[optind - 1] as glibc leaves it: inside a group of short options optind has not moved on yet. */
  private culprit(): string {
    const index = this.optind - 1 - (this.nextchar !== '' ? 1 : 0);
    return index >= 0 ? this.argv[index]! : PROGRAM;
  }

  private shortOption(): ScannedOption {
    const c = this.nextchar[0]!;
    this.nextchar = this.nextchar.slice(1);
    const spec = c === ':' ? undefined : this.shortSpec.get(c);
    if (spec === undefined) return { code: '?', arg: null, culprit: this.culprit() };
    if (spec === 0) return { code: c, arg: null, culprit: this.culprit() };
    if (this.nextchar !== '') {
      const arg = this.nextchar;
      this.nextchar = '';
      return { code: c, arg, culprit: this.culprit() };
    }
    if (spec === 2) return { code: c, arg: null, culprit: this.culprit() };
    if (this.optind >= this.argv.length) return { code: ':', arg: null, culprit: this.culprit() };
    const arg = this.argv[this.optind++]!;
    return { code: c, arg, culprit: this.culprit() };
  }

  private longOption(body: string): ScannedOption {
    this.optind++;
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const attached = eq < 0 ? null : body.slice(eq + 1);
    const opt = this.findLong(name);
    if (opt === null) return { code: '?', arg: null, culprit: this.culprit() };
    if (opt.hasArg === 0) {
      if (attached !== null) return { code: '?', arg: null, culprit: this.culprit() };
      return { code: opt.code, arg: null, culprit: this.culprit() };
    }
    if (attached !== null || opt.hasArg === 2) return { code: opt.code, arg: attached, culprit: this.culprit() };
    if (this.optind >= this.argv.length) return { code: ':', arg: null, culprit: this.culprit() };
    const arg = this.argv[this.optind++]!;
    return { code: opt.code, arg, culprit: this.culprit() };
  }

  /** Exact match first, then a prefix shared only by options that behave the same. */
  private findLong(name: string): LongOption | null {
    if (name === '') return null;
    const exact = this.longOptions.find((o) => o.name === name);
    if (exact) return exact;
    const prefixed = this.longOptions.filter((o) => o.name.startsWith(name));
    if (prefixed.length === 0) return null;
    const first = prefixed[0]!;
    const same = prefixed.every((o) => o.code === first.code && o.hasArg === first.hasArg);
    return same ? first : null;
  }
}

function isOption(word: string): boolean {
  return word.length > 1 && word[0] === '-';
}

function parseOptstring(s: string): Map<string, 0 | 1 | 2> {
  const out = new Map<string, 0 | 1 | 2>();
  const body = s.startsWith(':') ? s.slice(1) : s;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    let n: 0 | 1 | 2 = 0;
    if (body[i + 1] === ':') {
      n = body[i + 2] === ':' ? 2 : 1;
      i += n;
    }
    out.set(c, n);
  }
  return out;
}
