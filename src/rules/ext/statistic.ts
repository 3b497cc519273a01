/**
 * -m statistic --mode nth [!] --every N --packet P | --mode random [!] --probability F
 * (xt_statistic).
 *
 * nth: each rule keeps a counter, started at N-1-P; every evaluation advances it (wrapping from
 * N-1 to 0) and the packet matches when it lands on 0, so P is the first packet (counting from
 * 0) to match, then every Nth after it. random: the probability is stored as a 31-bit fraction
 * (lround(F * 2^31)) and a packet matches when 31 random bits fall below it. The kernel draws
 * those bits from its entropy pool; the engine must be deterministic, so they come from a
 * xorshift generator with a fixed seed shared by every statistic rule of the ruleset (runs
 * repeat exactly; they cannot reproduce the kernel's draws, which nothing can).
 *
 * Option checks follow libxt_statistic and libxtables in their order: the mode-specific checks
 * first (with the mode defaulting to random when absent), then mandatory options, "also
 * requires" and "cannot be used together".
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match, SharedState } from '../model.js';
import { uintOption } from './common.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const TWO31 = 0x80000000;
const U32_MAX = 0xffffffff;
const PRANDOM_KEY = 'statistic:prandom';
const PRANDOM_SEED = 0x2545f491;

/** The ruleset's source of random bits: xorshift32. */
export class Prandom {
  private state = PRANDOM_SEED;
  /** The next 32 random bits. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}

function prandomOf(shared: SharedState): Prandom {
  return shared.get(PRANDOM_KEY, () => new Prandom());
}

/** printf("%.11f", probability / 2^31), exactly, ties to even as glibc rounds. */
export function probabilityText(probability: number): string {
  const scaled = BigInt(probability) * 10n ** 11n;
  let q = scaled >> 31n;
  const r = scaled & BigInt(TWO31 - 1);
  const half = BigInt(TWO31 / 2);
  if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  const unit = 10n ** 11n;
  return `${q / unit}.${(q % unit).toString().padStart(11, '0')}`;
}

/**
 * C strtod over the whole string (decimal, hexadecimal with binary exponent, inf, nan), or
 * null when it is not one number.
 */
export function parseCDouble(text: string): number | null {
  const s = text.replace(/^[ \t\n\v\f\r]+/, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s);
  if (hex !== null && (hex[2]! + (hex[3] ?? '')).length > 0) {
    const digits = hex[2]! + (hex[3] ?? '');
    const exp = Number(hex[4] ?? '0') - 4 * (hex[3] ?? '').length;
    const value = Number(BigInt(`0x${digits}`)) * 2 ** exp;
    return hex[1] === '-' ? -value : value;
  }
  if (/^[+-]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan(\([0-9A-Za-z_]*\))?$/i.test(s)) return NaN;
  return null;
}

/** lround(x * 2^31) stored in 32 bits (NaN gives what x86-64 gives: 0). */
function probabilityWord(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.round(x * TWO31) >>> 0;
}

export class StatisticNthMatch implements Match {
  readonly name = 'statistic';
  private count: number;
  constructor(
    /** N - 1. */
    readonly every: number,
    readonly packet: number,
    readonly invert: boolean,
  ) {
    this.count = (every - packet) >>> 0;
  }

  match(): boolean {
    this.count = this.count === this.every ? 0 : this.count + 1;
    return (this.count === 0) !== this.invert;
  }

  save(): string {
    return `-m statistic --mode nth${this.invert ? ' !' : ''} --every ${this.every + 1} --packet ${this.packet}`;
  }

  list(): string {
    const packet = this.packet !== 0 ? ` packet ${this.packet}` : '';
    return ` statistic mode nth${this.invert ? ' !' : ''} every ${this.every + 1}${packet}`;
  }
}

export class StatisticRandomMatch implements Match {
  readonly name = 'statistic';
  constructor(
    /** The 31-bit fraction. */
    readonly probability: number,
    readonly invert: boolean,
    private readonly random: Prandom,
  ) {}

  match(_ctx: PacketContext): boolean {
    return ((this.random.next() & 0x7fffffff) >>> 0 < this.probability) !== this.invert;
  }

  save(): string {
    return `-m statistic --mode random${this.invert ? ' !' : ''} --probability ${probabilityText(this.probability)}`;
  }

  list(): string {
    return ` statistic mode random${this.invert ? ' !' : ''} probability ${probabilityText(this.probability)}`;
  }
}

/** The options in libxt_statistic's table order, with their "also" and "excl" relations. */
const OPTIONS = [
  { name: 'mode', also: [] as string[], excl: [] as string[] },
  { name: 'probability', also: [], excl: ['every', 'packet'] },
  { name: 'every', also: ['packet'], excl: ['probability'] },
  { name: 'packet', also: ['every'], excl: ['probability'] },
] as const;

class StatisticParser implements ExtParser<Match> {
  private mode: 'random' | 'nth' = 'random';
  /** The union's first word: the probability fraction or N - 1, whichever was given last. */
  private word0 = 0;
  private packet = 0;
  private invert = false;
  private readonly seen = new Set<string>();

  option(name: string, arg: string, invert: boolean): void {
    this.seen.add(name);
    if (invert) this.invert = true;
    switch (name) {
      case 'mode':
        if (arg !== 'random' && arg !== 'nth') fail(`Bad mode "${arg}"`);
        this.mode = arg;
        break;
      case 'probability': {
        const p = parseCDouble(arg);
        if (p === null || p < 0 || p > 1) fail('statistic: bad value for option "--probability", or out of range (0-1).');
        this.word0 = probabilityWord(p);
        break;
      }
      case 'every':
        this.word0 = uintOption(arg, 'statistic', 'every', 1, U32_MAX) - 1;
        break;
      default:
        this.packet = uintOption(arg, 'statistic', 'packet', 0, U32_MAX);
    }
  }

  finish(cx: ExtContext): Match {
    if (this.mode === 'random' && !this.seen.has('probability')) {
      fail('--probability must be specified when using random mode');
    }
    if (this.mode === 'nth' && !this.seen.has('every') && !this.seen.has('packet')) {
      fail('--every and --packet must be specified when using nth mode');
    }
    if (this.packet > this.word0) fail('the --packet p must be 0 <= p <= n-1');
    this.checkRelations();
    if (this.mode === 'nth') return new StatisticNthMatch(this.word0, this.packet, this.invert);
    return new StatisticRandomMatch(this.word0, this.invert, prandomOf(cx.shared));
  }

  /** libxtables' final option check over the table. */
  private checkRelations(): void {
    for (const entry of OPTIONS) {
      if (entry.name === 'mode' && !this.seen.has('mode')) fail('statistic: option "--mode" must be specified');
      if (!this.seen.has(entry.name)) continue;
      for (const other of OPTIONS) {
        if ((entry.also as readonly string[]).includes(other.name) && !this.seen.has(other.name)) {
          fail(`statistic: option "--${entry.name}" also requires "--${other.name}".`);
        }
        if ((entry.excl as readonly string[]).includes(other.name) && this.seen.has(other.name)) {
          fail(`statistic: option "--${entry.name}" cannot be used together with "--${other.name}".`);
        }
      }
    }
  }
}

export const statisticMatch: MatchExtension = {
  name: 'statistic',
  options: [
    { name: 'mode', arg: true },
    { name: 'probability', arg: true, invert: true },
    { name: 'every', arg: true, invert: true },
    { name: 'packet', arg: true },
  ],
  create: () => new StatisticParser(),
};
