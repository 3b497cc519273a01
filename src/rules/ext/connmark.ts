/**
 * -m connmark [!] --mark VALUE[/MASK]: (ct->mark & MASK) == VALUE; a packet without a
 * connection never matches (negated or not), as xt_connmark returns false there.
 */
import type { PacketContext } from '../../netfilter/context.js';
import type { Match } from '../model.js';
import { MarkOptionParser, markMaskText } from './mark.js';
import type { MatchExtension } from './types.js';

export class ConnmarkMatch implements Match {
  readonly name = 'connmark';
  constructor(
    readonly value: number,
    readonly mask: number,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    const ct = ctx.ct;
    if (ct === null) return false;
    return (((ct.mark & this.mask) >>> 0) === this.value) !== this.invert;
  }
  save(): string {
    return `-m connmark${this.invert ? ' !' : ''} --mark${markMaskText(this.value, this.mask)}`;
  }
  list(): string {
    return ` connmark match ${this.invert ? '!' : ''}${markMaskText(this.value, this.mask)}`;
  }
}

export const connmarkMatch: MatchExtension = {
  name: 'connmark',
  options: [{ name: 'mark', arg: true, invert: true }],
  create: () => new MarkOptionParser('connmark', (v, m, i) => new ConnmarkMatch(v, m, i)),
};
