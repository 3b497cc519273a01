/**
 * -m quota [!] --quota BYTES (xt_quota): a byte budget per rule. While the budget left covers
 * the packet's length, the length is taken from it and the packet matches; the first packet
 * that does not fit empties the budget, and from then on nothing matches (negated: the other
 * way round). The budget is a 64-bit count, held here as two 32-bit halves so that every value
 * stays exact. Listings print the configured quota, not what is left (the kernel keeps that
 * privately).
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { parseUint64 } from '../values.js';
import type { ExtParser, MatchExtension } from './types.js';

const TWO32 = 0x1_0000_0000;
const U64_MAX = (1n << 64n) - 1n;

export class QuotaMatch implements Match {
  readonly name = 'quota';
  private hi: number;
  private lo: number;

  constructor(
    readonly quota: bigint,
    readonly invert: boolean,
  ) {
    this.hi = Number(quota >> 32n);
    this.lo = Number(quota & 0xffffffffn);
  }

  /** Bytes left, for inspection. */
  remaining(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  match(ctx: PacketContext): boolean {
    const len = ctx.pkt.ipTotalLen;
    if (this.lo >= len) {
      this.lo -= len;
    } else if (this.hi > 0) {
      this.hi -= 1;
      this.lo = this.lo + TWO32 - len;
    } else {
      this.lo = 0;
      return this.invert;
    }
    return !this.invert;
  }

  save(): string {
    return `-m quota${this.invert ? ' !' : ''} --quota ${this.quota}`;
  }

  list(): string {
    return ` quota: ${this.quota} bytes`;
  }
}

class QuotaParser implements ExtParser<Match> {
  private quota: bigint | null = null;
  private invert = false;

  option(_name: string, arg: string, invert: boolean): void {
    const q = parseUint64(arg, 0n, U64_MAX);
    if (q === null) fail(`quota: bad value for option "--quota", or out of range (0-${U64_MAX}).`);
    this.quota = q;
    this.invert = invert;
  }

  finish(): Match {
    if (this.quota === null) fail('quota: option "--quota" must be specified');
    return new QuotaMatch(this.quota, this.invert);
  }
}

export const quotaMatch: MatchExtension = {
  name: 'quota',
  options: [{ name: 'quota', arg: true, invert: true }],
  create: () => new QuotaParser(),
};
