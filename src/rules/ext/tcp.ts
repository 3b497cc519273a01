/**
 * -m tcp (libxt_tcp / xt_tcp): --sport/--source-port, --dport/--destination-port (port or
 * range, negatable), --tcp-flags MASK COMP, --syn, --tcp-option N. Loaded implicitly by
 * `-p tcp` when one of its options follows.
 *
 * iptables-nft turns the port and flag tests into nft payload expressions (see ports.ts for how
 * it rewrites port ranges): a packet without the TCP header bytes (a later fragment, a truncated
 * header) then simply does not match, and a match left with no test disappears from the rule.
 * With --tcp-option (or no option at all) the rule keeps the x_tables match, which drops
 * ("hotdrop") a packet whose header is cut short and the "evil" fragment at offset 8.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { Proto } from '../../packet/view.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { parseUint } from '../values.js';
import { requireProto } from './common.js';
import { PortRange, nftPorts, nftPortsMatch, type NftPorts } from './ports.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const FLAG_NAMES: readonly (readonly [string, number])[] = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
  ['ALL', 0x3f],
  ['NONE', 0],
];

/** Comma-separated flag names (case-insensitive) to a bit mask. */
export function parseTcpFlags(text: string): number {
  let v = 0;
  for (const word of text.split(',')) {
    if (word === '') continue;
    const f = FLAG_NAMES.find(([n]) => n.toLowerCase() === word.toLowerCase());
    if (f === undefined) fail(`Unknown TCP flag \`${word}'`);
    v |= f[1];
  }
  return v;
}

/** Flag names as iptables prints them (FIN,SYN,... or NONE). */
export function tcpFlagsText(flags: number): string {
  const names: string[] = [];
  let rest = flags;
  while (rest !== 0) {
    const f = FLAG_NAMES.find(([, bit]) => (rest & bit) !== 0)!;
    names.push(f[0]);
    rest &= ~f[1];
  }
  return names.length === 0 ? 'NONE' : names.join(',');
}

function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

export class TcpMatch implements Match {
  readonly name = 'tcp';
  private readonly ports: NftPorts;
  constructor(
    readonly sport: PortRange,
    readonly dport: PortRange,
    readonly flagMask: number,
    readonly flagCmp: number,
    readonly flagsInvert: boolean,
    readonly option: number,
    readonly optionInvert: boolean,
    /** Kept as an x_tables match (see the file comment) rather than nft payload tests. */
    readonly xt: boolean,
  ) {
    this.ports = xt ? { sport, dport, combined: false } : nftPorts(sport, dport);
  }

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    if (pkt.fragOffset !== 0 || pkt.l4Off < 0) {
      if (this.xt && pkt.fragOffset === 8 && ctx.family === 4) ctx.hotdrop = true;
      return false;
    }
    const need = this.xt ? 20 : this.flagMask !== 0 || this.flagsInvert ? 14 : 4;
    if (pkt.l4Len < need) {
      if (this.xt) ctx.hotdrop = true;
      return false;
    }
    if (!nftPortsMatch(this.ports, pkt.sport, pkt.dport)) return false;
    if (((pkt.tcpFlags & this.flagMask) === this.flagCmp) === this.flagsInvert) return false;
    if (this.option !== 0) return this.findOption(ctx);
    return true;
  }

  private findOption(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    const hdr = pkt.tcpHdrLen;
    if (hdr < 20) {
      ctx.hotdrop = true;
      return false;
    }
    const optlen = hdr - 20;
    if (optlen === 0) return this.optionInvert;
    const start = pkt.l4Off + 20;
    if (pkt.l4Len < hdr) {
      ctx.hotdrop = true;
      return false;
    }
    const b = pkt.buf;
    for (let i = 0; i < optlen; ) {
      const kind = b[start + i]!;
      if (kind === this.option) return !this.optionInvert;
      if (kind < 2) i++;
      else i += b[start + i + 1]! || 1;
    }
    return this.optionInvert;
  }

  save(): string {
    let s = '-m tcp';
    s += this.ports.sport.save('sport');
    s += this.ports.dport.save('dport');
    if (this.option !== 0 || this.optionInvert) s += `${this.optionInvert ? ' !' : ''} --tcp-option ${this.option}`;
    if (this.flagMask !== 0 || this.flagsInvert) {
      s += `${this.flagsInvert ? ' !' : ''} --tcp-flags ${tcpFlagsText(this.flagMask)} ${tcpFlagsText(this.flagCmp)}`;
    }
    return s;
  }

  list(): string {
    let s = ' tcp';
    s += this.ports.sport.list('spt');
    s += this.ports.dport.list('dpt');
    if (this.option !== 0 || this.optionInvert) s += ` option=${this.optionInvert ? '!' : ''}${this.option}`;
    if (this.flagMask !== 0 || this.flagsInvert) {
      s += ` flags:${this.flagsInvert ? '!' : ''}${hex2(this.flagMask)}/${hex2(this.flagCmp)}`;
    }
    return s;
  }
}

class TcpParser implements ExtParser<Match> {
  private sport = PortRange.ANY;
  private dport = PortRange.ANY;
  private flagMask = 0;
  private flagCmp = 0;
  private flagsInvert = false;
  private flagsSet = false;
  private tcpOption = 0;
  private optionInvert = false;

  option(name: string, arg: string, invert: boolean, extra: readonly string[]): void {
    switch (name) {
      case 'source-port':
        this.sport = PortRange.parse(arg, 'tcp', invert);
        return;
      case 'destination-port':
        this.dport = PortRange.parse(arg, 'tcp', invert);
        return;
      case 'syn':
      case 'tcp-flags':
        if (this.flagsSet) fail("Only one of `--syn' or `--tcp-flags'  allowed");
        this.flagsSet = true;
        this.flagMask = parseTcpFlags(name === 'syn' ? 'SYN,RST,ACK,FIN' : arg);
        this.flagCmp = parseTcpFlags(name === 'syn' ? 'SYN' : extra[0]!);
        this.flagsInvert = invert;
        return;
      case 'tcp-option': {
        const n = parseUint(arg, 1, 255);
        if (n === null) fail(`Bad TCP option "${arg}"`);
        this.tcpOption = n;
        this.optionInvert = invert;
        return;
      }
      default:
        fail(`tcp: unexpected option --${name}`);
    }
  }

  finish(cx: ExtContext): Match | null {
    requireProto(cx, Proto.TCP, 'TCP match');
    const allZero =
      this.sport.isAny && !this.sport.invert && this.dport.isAny && !this.dport.invert && this.flagMask === 0 && this.flagCmp === 0 && !this.flagsInvert && this.tcpOption === 0 && !this.optionInvert;
    const xt = this.tcpOption !== 0 || this.optionInvert || allZero;
    if (!xt && this.flagMask === 0 && !this.flagsInvert) {
      const p = nftPorts(this.sport, this.dport);
      if (p.sport.isAny && !p.sport.invert && p.dport.isAny && !p.dport.invert) return null;
    }
    return new TcpMatch(this.sport, this.dport, this.flagMask, this.flagCmp, this.flagsInvert, this.tcpOption, this.optionInvert, xt);
  }
}

export const tcpMatch: MatchExtension = {
  name: 'tcp',
  options: [
    { name: 'source-port', arg: true, invert: true },
    { name: 'sport', arg: true, invert: true, canonical: 'source-port' },
    { name: 'destination-port', arg: true, invert: true },
    { name: 'dport', arg: true, invert: true, canonical: 'destination-port' },
    { name: 'syn', arg: false, invert: true },
    { name: 'tcp-flags', arg: true, invert: true, extraArgs: 1 },
    { name: 'tcp-option', arg: true, invert: true },
  ],
  create: () => new TcpParser(),
};
