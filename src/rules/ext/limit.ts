/**
 * -m limit --limit RATE[/second|/minute|/hour|/day] --limit-burst N (default 3/hour, burst 5).
 *
 * iptables-nft compiles the match into an nf_tables `limit` expression: the rate is turned into
 * a packet count per time unit (day, hour, minute or second, whichever states the rate exactly
 * enough, as add_nft_limit chooses) and the kernel runs nft_limit's token bucket in
 * nanoseconds: the bucket holds burst * (unit / rate) ns of tokens, starts full, refills with the
 * time elapsed, and each packet costs unit / rate ns. Time here is the packet's virtual time.
 * Listings show the rate read back from the kernel (XT_LIMIT_SCALE * unit / rate), as iptables
 * does; a burst of 0 is stored by the kernel as 5.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { uintOption } from './common.js';
import type { ExtParser, MatchExtension } from './types.js';

const SCALE = 10000;
const NSEC = 1e9;
const DEFAULT_BURST = 5;
/** Time units in seconds, slowest first (add_nft_limit's table). */
const UNITS = [86400, 3600, 60, 1];
const RATE_NAMES: readonly (readonly [string, number])[] = [
  ['day', SCALE * 86400],
  ['hour', SCALE * 3600],
  ['min', SCALE * 60],
  ['sec', SCALE],
];

/** xt_rateinfo.avg from `N[/unit]` (limit's parse_rate), or null. */
export function parseLimitRate(text: string): number | null {
  const slash = text.indexOf('/');
  let mult = 1;
  if (slash >= 0) {
    const unit = text.slice(slash + 1).toLowerCase();
    if (unit === '') return null;
    const units: readonly (readonly [string, number])[] = [
      ['second', 1],
      ['minute', 60],
      ['hour', 3600],
      ['day', 86400],
    ];
    const u = units.find(([n]) => n.startsWith(unit));
    if (u === undefined) return null;
    mult = u[1];
  }
  const m = /^\s*[+-]?\d+/.exec(text);
  const r = m === null ? 0 : Number(m[0]) | 0;
  if (r <= 0) return null;
  const avg = Math.floor((SCALE * mult) / r) >>> 0;
  if (avg === 0) fail(`Rate too fast "${text}"`);
  return avg;
}

/** How a period (avg) prints: ` N/unit` (print_rate). */
export function rateText(avg: number): string {
  let i = 1;
  for (; i < RATE_NAMES.length; i++) {
    const mult = RATE_NAMES[i]![1];
    if (avg > mult || Math.floor(mult / avg) < mult % avg) break;
  }
  const [name, mult] = RATE_NAMES[i - 1]!;
  return ` ${Math.floor(mult / avg)}/${name}`;
}

/** add_nft_limit: the (rate per unit, unit seconds) pair nf_tables receives. */
export function nftLimitRate(avg: number): [number, number] {
  const mult = UNITS.map((u) => u * SCALE);
  let i = 1;
  for (; i < mult.length; i++) {
    if (avg > mult[i]! || Math.floor(mult[i]! / avg) < mult[i]! % avg) break;
  }
  return [Math.floor(mult[i - 1]! / avg), UNITS[i - 1]!];
}

export class LimitMatch implements Match {
  readonly name = 'limit';
  /** Average as iptables reads it back from the kernel (what listings show). */
  readonly avg: number;
  private readonly cost: number;
  private readonly tokensMax: number;
  private tokens: number;
  private last = Number.NaN;

  constructor(
    readonly rate: number,
    readonly unit: number,
    readonly burst: number,
  ) {
    this.avg = Math.floor((SCALE * unit) / rate);
    this.cost = Math.floor((unit * NSEC) / rate);
    this.tokensMax = this.cost * burst;
    this.tokens = this.tokensMax;
  }

  match(ctx: PacketContext): boolean {
    let tokens = this.tokens;
    if (!Number.isNaN(this.last)) tokens += Math.round((ctx.now - this.last) * 1e6) * 1000;
    if (tokens > this.tokensMax) tokens = this.tokensMax;
    this.last = ctx.now;
    if (tokens - this.cost >= 0) {
      this.tokens = tokens - this.cost;
      return true;
    }
    this.tokens = tokens;
    return false;
  }

  save(): string {
    return `-m limit --limit${rateText(this.avg)}${this.burst !== DEFAULT_BURST ? ` --limit-burst ${this.burst}` : ''}`;
  }

  list(): string {
    return ` limit: avg${rateText(this.avg)} burst ${this.burst}`;
  }
}

class LimitParser implements ExtParser<Match> {
  private avg = Math.floor((SCALE * 3600) / 3);
  private burst = DEFAULT_BURST;
  option(name: string, arg: string): void {
    if (name === 'limit') {
      const avg = parseLimitRate(arg);
      if (avg === null) fail(`bad rate "${arg}"'`);
      this.avg = avg;
    } else {
      this.burst = uintOption(arg, 'limit', 'limit-burst', 0, 10000);
    }
  }
  finish(): Match {
    const [rate, unit] = nftLimitRate(this.avg);
    return new LimitMatch(rate, unit, this.burst === 0 ? DEFAULT_BURST : this.burst);
  }
}

export const limitMatch: MatchExtension = {
  name: 'limit',
  options: [
    { name: 'limit', arg: true },
    { name: 'limit-burst', arg: true },
  ],
  create: () => new LimitParser(),
};
