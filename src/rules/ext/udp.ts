/**
 * -m udp (libxt_udp / xt_udp): --sport/--source-port and --dport/--destination-port, each a
 * port or range, negatable. Loaded implicitly by `-p udp`.
 *
 * iptables-nft turns the port tests into nft payload expressions (rewriting ranges as ports.ts
 * describes; a packet without the UDP header bytes does not match; a match left with no test
 * disappears); `-m udp` with no option stays an x_tables match, which drops a packet whose
 * header is cut short.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { Proto } from '../../packet/view.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { requireProto } from './common.js';
import { PortRange, nftPorts, nftPortsMatch, type NftPorts } from './ports.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

export class UdpMatch implements Match {
  readonly name = 'udp';
  private readonly ports: NftPorts;
  constructor(
    readonly sport: PortRange,
    readonly dport: PortRange,
    readonly xt: boolean,
  ) {
    this.ports = xt ? { sport, dport, combined: false } : nftPorts(sport, dport);
  }

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    if (pkt.fragOffset !== 0 || pkt.l4Off < 0) return false;
    if (pkt.l4Len < (this.xt ? 8 : 4)) {
      if (this.xt) ctx.hotdrop = true;
      return false;
    }
    return nftPortsMatch(this.ports, pkt.sport, pkt.dport);
  }

  save(): string {
    return `-m udp${this.ports.sport.save('sport')}${this.ports.dport.save('dport')}`;
  }

  list(): string {
    return ` udp${this.ports.sport.list('spt')}${this.ports.dport.list('dpt')}`;
  }
}

class UdpParser implements ExtParser<Match> {
  private sport = PortRange.ANY;
  private dport = PortRange.ANY;

  option(name: string, arg: string, invert: boolean): void {
    if (name === 'source-port') this.sport = PortRange.parse(arg, 'udp', invert);
    else if (name === 'destination-port') this.dport = PortRange.parse(arg, 'udp', invert);
    else fail(`udp: unexpected option --${name}`);
  }

  finish(cx: ExtContext): Match | null {
    requireProto(cx, Proto.UDP, 'UDP match');
    const allZero = this.sport.isAny && !this.sport.invert && this.dport.isAny && !this.dport.invert;
    if (!allZero) {
      const p = nftPorts(this.sport, this.dport);
      if (p.sport.isAny && !p.sport.invert && p.dport.isAny && !p.dport.invert) return null;
    }
    return new UdpMatch(this.sport, this.dport, allZero);
  }
}

export const udpMatch: MatchExtension = {
  name: 'udp',
  options: [
    { name: 'source-port', arg: true, invert: true },
    { name: 'sport', arg: true, invert: true, canonical: 'source-port' },
    { name: 'destination-port', arg: true, invert: true },
    { name: 'dport', arg: true, invert: true, canonical: 'destination-port' },
  ],
  create: () => new UdpParser(),
};
