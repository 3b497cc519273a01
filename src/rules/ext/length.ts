/**
 * -m length [!] --length MIN[:MAX]: the IP packet's length (IPv4 total length, IPv6 payload
 * length + 40) within the range.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { uintRangeOption } from './common.js';
import type { ExtParser, MatchExtension } from './types.js';

export class LengthMatch implements Match {
  readonly name = 'length';
  constructor(
    readonly min: number,
    readonly max: number,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    const len = ctx.pkt.ipTotalLen;
    return (len >= this.min && len <= this.max) !== this.invert;
  }
  private value(): string {
    return this.min === this.max ? `${this.min}` : `${this.min}:${this.max}`;
  }
  save(): string {
    return `-m length${this.invert ? ' !' : ''} --length ${this.value()}`;
  }
  list(): string {
    return ` length ${this.invert ? '!' : ''}${this.value()}`;
  }
}

class LengthParser implements ExtParser<Match> {
  private range: [number, number] | null = null;
  private invert = false;
  option(_name: string, arg: string, invert: boolean): void {
    this.range = uintRangeOption(arg, 'length', 'length', 65535);
    this.invert = invert;
  }
  finish(): Match {
    if (this.range === null) fail('length: option "--length" must be specified');
    return new LengthMatch(this.range[0], this.range[1], this.invert);
  }
}

export const lengthMatch: MatchExtension = {
  name: 'length',
  options: [{ name: 'length', arg: true, invert: true }],
  create: () => new LengthParser(),
};
