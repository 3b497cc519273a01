/**
 * -m multiport (xt_multiport revision 1): --sports / --source-ports, --dports /
 * --destination-ports or --ports, a comma list of up to 15 ports where `a:b` is a range (and
 * takes two of the 15 slots); negatable. -p must name tcp, udp, udplite, sctp or dccp before the
 * option (port names are looked up for it), as libxt_multiport requires.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { parsePort } from '../values.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const MAX_PORTS = 15;
const PROTO_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 132: 'sctp', 33: 'dccp' };

type Which = 'sports' | 'dports' | 'ports';

export class MultiportMatch implements Match {
  readonly name = 'multiport';
  /** Ranges as [lo0, hi0, lo1, hi1, ...]; a single port has lo === hi. */
  private readonly ranges: Uint16Array;

  constructor(
    readonly which: Which,
    /** Printed items: a port, or a range [lo, hi]. */
    readonly items: readonly (readonly [number, number] | number)[],
    readonly invert: boolean,
  ) {
    this.ranges = new Uint16Array(items.flatMap((it) => (typeof it === 'number' ? [it, it] : [it[0], it[1]])));
  }

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    if (pkt.fragOffset !== 0 || pkt.l4Off < 0) return false;
    if (pkt.l4Len < 4) {
      ctx.hotdrop = true;
      return false;
    }
    const src = pkt.sport;
    const dst = pkt.dport;
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      const lo = r[i]!;
      const hi = r[i + 1]!;
      const s = src >= lo && src <= hi;
      const d = dst >= lo && dst <= hi;
      if (this.which === 'sports' ? s : this.which === 'dports' ? d : s || d) return !this.invert;
    }
    return this.invert;
  }

  private portList(): string {
    return this.items.map((it) => (typeof it === 'number' ? `${it}` : `${it[0]}:${it[1]}`)).join(',');
  }

  save(): string {
    return `-m multiport${this.invert ? ' !' : ''} --${this.which} ${this.portList()}`;
  }

  list(): string {
    return ` multiport ${this.which} ${this.invert ? ' !' : ''}${this.portList()}`;
  }
}

class MultiportParser implements ExtParser<Match> {
  private which: Which | null = null;
  private items: (readonly [number, number] | number)[] = [];
  private invert = false;

  constructor(private readonly cx: ExtContext) {}

  option(name: string, arg: string, invert: boolean): void {
    if (this.which !== null) {
      fail(`multiport: option "--${name}" cannot be used together with "--${this.which === 'ports' ? 'ports' : this.which === 'sports' ? 'source-ports' : 'destination-ports'}".`);
    }
    const proto = this.protoName();
    this.which = name === 'source-ports' ? 'sports' : name === 'destination-ports' ? 'dports' : 'ports';
    this.invert = invert;
    let slots = 0;
    for (const part of arg.split(',')) {
      const colon = part.indexOf(':');
      if (colon >= 0) {
        if (slots === MAX_PORTS - 1) fail('too many ports specified');
        const lo = parsePort(part.slice(0, colon), proto);
        const hi = parsePort(part.slice(colon + 1), proto);
        if (lo >= hi) fail('invalid portrange specified');
        this.items.push([lo, hi]);
        slots += 2;
      } else {
        if (slots === MAX_PORTS) fail('too many ports specified');
        this.items.push(parsePort(part, proto));
        slots += 1;
      }
    }
  }

  private protoName(): string {
    if (this.cx.protoInvert) fail('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP');
    const name = PROTO_NAMES[this.cx.proto];
    if (name !== undefined) return name;
    if (this.cx.proto === 0) fail("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'");
    fail('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP');
  }

  finish(cx: ExtContext): Match {
    if (this.which === null) fail('multiport expection an option');
    if (PROTO_NAMES[cx.proto] === undefined || cx.protoInvert) {
      fail('multiport: the rule must say -p tcp, udp, udplite, sctp or dccp (not negated); the kernel refuses it otherwise');
    }
    return new MultiportMatch(this.which, this.items, this.invert);
  }
}

export const multiportMatch: MatchExtension = {
  name: 'multiport',
  options: [
    { name: 'source-ports', arg: true, invert: true },
    { name: 'sports', arg: true, invert: true, canonical: 'source-ports' },
    { name: 'destination-ports', arg: true, invert: true },
    { name: 'dports', arg: true, invert: true, canonical: 'destination-ports' },
    { name: 'ports', arg: true, invert: true },
  ],
  create: (cx) => new MultiportParser(cx),
};
