/**
 * -m iprange [!] --src-range A[-B], [!] --dst-range A[-B] (xt_iprange revision 1): the address
 * within [A, B] (a reversed range never matches).
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { addrCompare, addrText, parseAddr, type Family } from '../values.js';
import { badValue } from './common.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

interface Range {
  readonly min: Uint32Array;
  readonly max: Uint32Array;
  readonly invert: boolean;
}

export class IprangeMatch implements Match {
  readonly name = 'iprange';
  constructor(
    readonly family: Family,
    readonly src: Range | null,
    readonly dst: Range | null,
  ) {}

  private inRange(r: Range, a: Uint32Array): boolean {
    const f = this.family;
    return (addrCompare(f, a, r.min) >= 0 && addrCompare(f, a, r.max) <= 0) !== r.invert;
  }

  match(ctx: PacketContext): boolean {
    if (this.src !== null && !this.inRange(this.src, ctx.pkt.src)) return false;
    if (this.dst !== null && !this.inRange(this.dst, ctx.pkt.dst)) return false;
    return true;
  }

  private rangeText(r: Range): string {
    return `${addrText(this.family, r.min)}-${addrText(this.family, r.max)}`;
  }

  save(): string {
    let s = '-m iprange';
    if (this.src !== null) s += `${this.src.invert ? ' !' : ''} --src-range ${this.rangeText(this.src)}`;
    if (this.dst !== null) s += `${this.dst.invert ? ' !' : ''} --dst-range ${this.rangeText(this.dst)}`;
    return s;
  }

  list(): string {
    let s = '';
    if (this.src !== null) s += ` source IP range${this.src.invert ? ' !' : ''} ${this.rangeText(this.src)}`;
    if (this.dst !== null) s += ` destination IP range${this.dst.invert ? ' !' : ''} ${this.rangeText(this.dst)}`;
    return s;
  }
}

class IprangeParser implements ExtParser<Match> {
  private src: Range | null = null;
  private dst: Range | null = null;
  constructor(private readonly family: Family) {}

  option(name: string, arg: string, invert: boolean): void {
    const dash = arg.indexOf('-');
    const lo = dash < 0 ? arg : arg.slice(0, dash);
    const hi = dash < 0 ? arg : arg.slice(dash + 1);
    const min = parseAddr(this.family, lo);
    if (min === null) badValue('iprange', name, lo);
    const max = parseAddr(this.family, hi);
    if (max === null) badValue('iprange', name, hi);
    const r = { min, max, invert };
    if (name === 'src-range') this.src = r;
    else this.dst = r;
  }

  finish(_cx: ExtContext): Match {
    if (this.src === null && this.dst === null) fail("iprange match: You must specify `--src-range' or `--dst-range'");
    return new IprangeMatch(this.family, this.src, this.dst);
  }
}

export const iprangeMatch: MatchExtension = {
  name: 'iprange',
  options: [
    { name: 'src-range', arg: true, invert: true },
    { name: 'dst-range', arg: true, invert: true },
  ],
  create: (cx) => new IprangeParser(cx.family),
};
