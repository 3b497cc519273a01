/**
 * -m addrtype: --src-type / --dst-type TYPES (UNSPEC, UNICAST, LOCAL, BROADCAST, ANYCAST,
 * MULTICAST, BLACKHOLE, UNREACHABLE, PROHIBIT, THROW, NAT, XRESOLVE; abbreviations accepted),
 * negatable, optionally --limit-iface-in / --limit-iface-out to look the address up on the
 * packet's input or output interface only.
 *
 * The route type of an address is the host's knowledge: the match asks `ctx.addrType` (the
 * host's routing tables), as xt_addrtype asks inet_dev_addr_type.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { H } from './common.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const RTN_NAMES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];

function parseTypes(arg: string): number {
  let mask = 0;
  const parts = arg.split(',');
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    const idx = p === '' ? -1 : RTN_NAMES.findIndex((n) => n.slice(0, p.length).toLowerCase() === p.toLowerCase());
    if (idx < 0) fail(last ? `addrtype: bad type "${parts.slice(i).join(',')}"` : `addrtype: bad type \`${parts.slice(i).join(',')}'`);
    mask |= 1 << idx;
  });
  return mask;
}

function typesText(mask: number): string {
  return RTN_NAMES.filter((_, i) => (mask & (1 << i)) !== 0).join(',');
}

export class AddrtypeMatch implements Match {
  readonly name = 'addrtype';
  readonly hooks?: number;
  constructor(
    readonly src: number,
    readonly srcInvert: boolean,
    readonly dst: number,
    readonly dstInvert: boolean,
    readonly limitIn: boolean,
    readonly limitOut: boolean,
  ) {
    if (limitIn) this.hooks = H.PRE | H.IN | H.FWD;
    else if (limitOut) this.hooks = H.FWD | H.OUT | H.POST;
  }

  private typeBit(ctx: PacketContext, addr: Uint32Array): number {
    const lookup = ctx.addrType;
    if (lookup === undefined) throw new Error('-m addrtype needs the host address types: PacketContext.addrType is not set');
    const dev = this.limitIn ? ctx.iif : this.limitOut ? ctx.oif : null;
    return 1 << lookup(ctx.family, addr, dev);
  }

  match(ctx: PacketContext): boolean {
    if (this.src !== 0 && ((this.src & this.typeBit(ctx, ctx.pkt.src)) !== 0) === this.srcInvert) return false;
    if (this.dst !== 0 && ((this.dst & this.typeBit(ctx, ctx.pkt.dst)) !== 0) === this.dstInvert) return false;
    return true;
  }

  save(): string {
    let s = '-m addrtype';
    if (this.src !== 0) s += `${this.srcInvert ? ' !' : ''} --src-type ${typesText(this.src)}`;
    if (this.dst !== 0) s += `${this.dstInvert ? ' !' : ''} --dst-type ${typesText(this.dst)}`;
    if (this.limitIn) s += ' --limit-iface-in';
    if (this.limitOut) s += ' --limit-iface-out';
    return s;
  }

  list(): string {
    let s = ' ADDRTYPE match';
    if (this.src !== 0) s += ` src-type ${this.srcInvert ? '!' : ''}${typesText(this.src)}`;
    if (this.dst !== 0) s += ` dst-type ${this.dstInvert ? '!' : ''}${typesText(this.dst)}`;
    if (this.limitIn) s += ' limit-in';
    if (this.limitOut) s += ' limit-out';
    return s;
  }
}

/** Type bits (1 << RTN_*) xt_addrtype's checkentry refuses for IPv6. */
const BROADCAST_BIT = 1 << 3;
const BLACKHOLE_BIT = 1 << 6;
const PROHIBIT_BIT = 1 << 8;

class AddrtypeParser implements ExtParser<Match> {
  private src = 0;
  private srcInvert = false;
  private dst = 0;
  private dstInvert = false;
  private limitIn = false;
  private limitOut = false;

  option(name: string, arg: string, invert: boolean): void {
    switch (name) {
      case 'src-type':
        this.src = parseTypes(arg);
        this.srcInvert = invert;
        return;
      case 'dst-type':
        this.dst = parseTypes(arg);
        this.dstInvert = invert;
        return;
      case 'limit-iface-in':
        if (this.limitOut) fail('addrtype: option "--limit-iface-in" cannot be used together with "--limit-iface-out".');
        this.limitIn = true;
        return;
      case 'limit-iface-out':
        if (this.limitIn) fail('addrtype: option "--limit-iface-out" cannot be used together with "--limit-iface-in".');
        this.limitOut = true;
        return;
      default:
        fail(`addrtype: unexpected option --${name}`);
    }
  }

  finish(cx: ExtContext): Match {
    if (this.src === 0 && this.dst === 0 && !this.srcInvert && !this.dstInvert) {
      fail('addrtype: you must specify --src-type or --dst-type');
    }
    if (cx.family === 6) {
      const all = this.src | this.dst;
      if ((all & BLACKHOLE_BIT) !== 0) fail('addrtype: ipv6 BLACKHOLE matching not supported (the kernel refuses it)');
      if (all >= PROHIBIT_BIT) fail('addrtype: ipv6 PROHIBIT (THROW, NAT ..) matching not supported (the kernel refuses it)');
      if ((all & BROADCAST_BIT) !== 0) fail('addrtype: ipv6 does not support BROADCAST matching (the kernel refuses it)');
    }
    return new AddrtypeMatch(this.src, this.srcInvert, this.dst, this.dstInvert, this.limitIn, this.limitOut);
  }
}

export const addrtypeMatch: MatchExtension = {
  name: 'addrtype',
  options: [
    { name: 'src-type', arg: true, invert: true },
    { name: 'dst-type', arg: true, invert: true },
    { name: 'limit-iface-in', arg: false },
    { name: 'limit-iface-out', arg: false },
  ],
  create: () => new AddrtypeParser(),
};
