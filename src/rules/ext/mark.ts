/**
 * -m mark [!] --mark VALUE[/MASK]: (skb->mark & MASK) == VALUE. iptables-nft compiles it to
 * `meta mark`; the semantics are the same.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { markMaskOption } from './common.js';
import type { ExtParser, MatchExtension } from './types.js';

/** ` 0xV` or ` 0xV/0xM` as libxtables prints a value/mask pair. */
export function markMaskText(value: number, mask: number): string {
  return mask === 0xffffffff ? ` 0x${value.toString(16)}` : ` 0x${value.toString(16)}/0x${mask.toString(16)}`;
}

export class MarkMatch implements Match {
  readonly name = 'mark';
  constructor(
    readonly value: number,
    readonly mask: number,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    return (((ctx.mark & this.mask) >>> 0) === this.value) !== this.invert;
  }
  save(): string {
    return `-m mark${this.invert ? ' !' : ''} --mark${markMaskText(this.value, this.mask)}`;
  }
  list(): string {
    return ` mark match${this.invert ? ' !' : ''}${markMaskText(this.value, this.mask)}`;
  }
}

/** Parser of a single mandatory `--mark VALUE[/MASK]` (mark and connmark matches). */
export class MarkOptionParser<T extends Match> implements ExtParser<Match> {
  private value: [number, number] | null = null;
  private invert = false;
  constructor(
    private readonly ext: string,
    private readonly make: (value: number, mask: number, invert: boolean) => T,
  ) {}
  option(_name: string, arg: string, invert: boolean): void {
    this.value = markMaskOption(arg, this.ext, 'mark');
    this.invert = invert;
  }
  finish(): Match {
    if (this.value === null) fail(`${this.ext}: option "--mark" must be specified`);
    return this.make(this.value[0], this.value[1], this.invert);
  }
}

export const markMatch: MatchExtension = {
  name: 'mark',
  options: [{ name: 'mark', arg: true, invert: true }],
  create: () => new MarkOptionParser('mark', (v, m, i) => new MarkMatch(v, m, i)),
};
