/**
 * -m ecn [!] --ecn-tcp-cwr, [!] --ecn-tcp-ece, [!] --ecn-ip-ect 0..3 (xt_ecn): the ECN field of
 * the IP header (low two bits of the IPv4 TOS byte / IPv6 traffic class) equals the value, and
 * the TCP header's CWR / ECE flags are set; each test negated on its own. The TCP tests need the
 * rule's `-p tcp` (the kernel refuses them otherwise) and do not match a packet whose first 20
 * bytes of transport header are not all there.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { Proto } from '../../packet/view.js';
import { requireProto, uintOption } from './common.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

/** xt_ecn_info operation / invert bits. */
const OP_IP = 0x01;
const OP_ECE = 0x10;
const OP_CWR = 0x20;
/** TCP flag byte bits. */
const TCP_ECE = 0x40;
const TCP_CWR = 0x80;
const TCP_HDR = 20;

/** Whether the flag `bit` of the TCP header at the transport offset passes the test. */
function tcpFlagTest(flags: number, op: number, invert: number, which: number, bit: number): boolean {
  if ((op & which) === 0) return true;
  return ((flags & bit) !== 0) !== ((invert & which) !== 0);
}

export class EcnMatch implements Match {
  readonly name = 'ecn';
  constructor(
    /** OP_* bits of the tests asked for. */
    readonly op: number,
    /** OP_* bits of the negated tests. */
    readonly invert: number,
    readonly ect: number,
  ) {}

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    if ((this.op & OP_IP) !== 0 && ((pkt.tos & 3) === this.ect) === ((this.invert & OP_IP) !== 0)) return false;
    if ((this.op & (OP_ECE | OP_CWR)) === 0) return true;
    const thoff = pkt.l3Off + pkt.ipHdrLen;
    if (pkt.l3Off < 0 || thoff + TCP_HDR > pkt.ipEnd) return false;
    const flags = pkt.buf[thoff + 13]!;
    return tcpFlagTest(flags, this.op, this.invert, OP_ECE, TCP_ECE) && tcpFlagTest(flags, this.op, this.invert, OP_CWR, TCP_CWR);
  }

  private not(which: number, text: string): string {
    return (this.invert & which) !== 0 ? text : '';
  }

  save(): string {
    let s = '-m ecn';
    if ((this.op & OP_ECE) !== 0) s += `${this.not(OP_ECE, ' !')} --ecn-tcp-ece`;
    if ((this.op & OP_CWR) !== 0) s += `${this.not(OP_CWR, ' !')} --ecn-tcp-cwr`;
    if ((this.op & OP_IP) !== 0) s += `${this.not(OP_IP, ' !')} --ecn-ip-ect ${this.ect}`;
    return s;
  }

  list(): string {
    let s = ' ECN match';
    if ((this.op & OP_ECE) !== 0) s += ` ${this.not(OP_ECE, '!')}ECE`;
    if ((this.op & OP_CWR) !== 0) s += ` ${this.not(OP_CWR, '!')}CWR`;
    if ((this.op & OP_IP) !== 0) s += ` ${this.not(OP_IP, '!')}ECT=${this.ect}`;
    return s;
  }
}

class EcnParser implements ExtParser<Match> {
  private op = 0;
  private invert = 0;
  private ect = 0;

  option(name: string, arg: string, invert: boolean): void {
    const which = name === 'ecn-tcp-cwr' ? OP_CWR : name === 'ecn-tcp-ece' ? OP_ECE : OP_IP;
    if (which === OP_IP) this.ect = uintOption(arg, 'ecn', name, 0, 3);
    this.op |= which;
    if (invert) this.invert |= which;
  }

  finish(cx: ExtContext): Match {
    if (this.op === 0) fail('ECN match: some option required');
    if ((this.op & (OP_ECE | OP_CWR)) !== 0) requireProto(cx, Proto.TCP, 'ecn --ecn-tcp-cwr/--ecn-tcp-ece');
    return new EcnMatch(this.op, this.invert, this.ect);
  }
}

export const ecnMatch: MatchExtension = {
  name: 'ecn',
  options: [
    { name: 'ecn-tcp-cwr', arg: false, invert: true },
    { name: 'ecn-tcp-ece', arg: false, invert: true },
    { name: 'ecn-ip-ect', arg: true, invert: true },
  ],
  create: () => new EcnParser(),
};
