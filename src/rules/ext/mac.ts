/**
 * -m mac [!] --mac-source XX:XX:XX:XX:XX:XX: the frame's Ethernet source address. A packet
 * that came without an Ethernet header (a bare IP capture, a local packet) never matches,
 * negated or not, as xt_mac returns false there. PREROUTING, INPUT and FORWARD only.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { H } from './common.js';
import type { ExtParser, MatchExtension } from './types.js';

export class MacMatch implements Match {
  readonly name = 'mac';
  readonly hooks = H.PRE | H.IN | H.FWD;
  constructor(
    readonly mac: Uint8Array,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    if (ctx.iif === null) return false;
    // The link header of the frame the packet arrived in (the kernel keeps it through
    // PREROUTING, INPUT and FORWARD); none for links without one (raw IP): never a match.
    let b: Uint8Array;
    let o: number;
    if (ctx.inMac) {
      b = ctx.inMac;
      o = 0;
    } else {
      b = ctx.pkt.buf;
      o = ctx.pkt.srcMacOff;
      if (o < 0) return false;
    }
    let eq = true;
    for (let i = 0; i < 6; i++) if (b[o + i] !== this.mac[i]) eq = false;
    return eq !== this.invert;
  }
  private text(): string {
    return Array.from(this.mac, (x) => x.toString(16).padStart(2, '0')).join(':');
  }
  save(): string {
    return `-m mac${this.invert ? ' !' : ''} --mac-source ${this.text()}`;
  }
  list(): string {
    return ` MAC ${this.invert ? '! ' : ''}${this.text()}`;
  }
}

/** XTTYPE_ETHERMAC: six colon-separated hex bytes of one or two digits. */
export function parseMac(arg: string): Uint8Array {
  const parts = arg.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) fail('Invalid MAC address specified.');
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

class MacParser implements ExtParser<Match> {
  private mac: Uint8Array | null = null;
  private invert = false;
  option(_name: string, arg: string, invert: boolean): void {
    this.mac = parseMac(arg);
    this.invert = invert;
  }
  finish(): Match {
    if (this.mac === null) fail('mac: option "--mac-source" must be specified');
    return new MacMatch(this.mac, this.invert);
  }
}

export const macMatch: MatchExtension = {
  name: 'mac',
  options: [{ name: 'mac-source', arg: true, invert: true }],
  create: () => new MacParser(),
};
