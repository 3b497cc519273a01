/**
 * -m pkttype [!] --pkt-type unicast|broadcast|multicast|otherhost (aliases host, bcast, mcast):
 * the link-layer packet type (skb->pkt_type). The pipeline may set `ctx.pktType`; otherwise it
 * is read from the captured frame (SLL packet type, or the Ethernet destination: all-ones is
 * broadcast, the group bit multicast). A bare IP capture has no link layer: its packets reached
 * the recording host in frames addressed to the host's own MAC, whatever the IP destination
 * (a multicast or broadcast address included), so they are unicast ("host").
 */
import type { PacketContext } from '../../netfilter/context.js';
import type { PacketView } from '../../packet/view.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import type { ExtParser, MatchExtension } from './types.js';

export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;

const TYPES: readonly (readonly [string, number])[] = [
  ['unicast', PacketType.HOST],
  ['broadcast', PacketType.BROADCAST],
  ['multicast', PacketType.MULTICAST],
  ['otherhost', PacketType.OTHERHOST],
  ['bcast', PacketType.BROADCAST],
  ['mcast', PacketType.MULTICAST],
  ['host', PacketType.HOST],
];

/** skb->pkt_type as the captured frame shows it (bare IP: host). */
export function packetTypeOf(pkt: PacketView): number {
  if (pkt.pktType >= 0 && pkt.pktType <= 3) return pkt.pktType;
  const b = pkt.buf;
  if (pkt.dstMacOff >= 0) {
    const o = pkt.dstMacOff;
    let ones = true;
    for (let i = 0; i < 6; i++) if (b[o + i] !== 0xff) ones = false;
    if (ones) return PacketType.BROADCAST;
    return (b[o]! & 1) !== 0 ? PacketType.MULTICAST : PacketType.HOST;
  }
  return PacketType.HOST;
}

export class PkttypeMatch implements Match {
  readonly name = 'pkttype';
  constructor(
    readonly type: number,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    const t = ctx.pktType ?? packetTypeOf(ctx.pkt);
    return (t === this.type) !== this.invert;
  }
  private typeName(): string {
    return TYPES.find(([, t]) => t === this.type)![0];
  }
  save(): string {
    return `-m pkttype${this.invert ? ' !' : ''} --pkt-type ${this.typeName()}`;
  }
  list(): string {
    return ` PKTTYPE ${this.invert ? '!' : ''}= ${this.typeName()}`;
  }
}

class PkttypeParser implements ExtParser<Match> {
  private type: number | null = null;
  private invert = false;
  option(_name: string, arg: string, invert: boolean): void {
    const t = TYPES.find(([n]) => n === arg.toLowerCase());
    if (t === undefined) fail(`Bad packet type '${arg}'`);
    this.type = t[1];
    this.invert = invert;
  }
  finish(): Match {
    if (this.type === null) fail('pkttype: option "--pkt-type" must be specified');
    return new PkttypeMatch(this.type, this.invert);
  }
}

export const pkttypeMatch: MatchExtension = {
  name: 'pkttype',
  options: [{ name: 'pkt-type', arg: true, invert: true }],
  create: () => new PkttypeParser(),
};
