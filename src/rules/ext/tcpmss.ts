/**
 * -m tcpmss [!] --mss MIN[:MAX] (xt_tcpmss): the TCP MSS option's value within the range. A
 * header without options, or whose options hold no well-formed MSS option, does not match (or
 * matches when negated); a header that is cut short, or claims fewer than 20 bytes, drops the
 * packet (hotdrop). The kernel insists on the rule's `-p tcp`.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { Proto } from '../../packet/view.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { requireProto, uintRangeOption } from './common.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const TCP_HDR = 20;
const OPT_MSS = 2;
const OPT_MSS_LEN = 4;

export class TcpmssMatch implements Match {
  readonly name = 'tcpmss';
  constructor(
    readonly min: number,
    readonly max: number,
    readonly invert: boolean,
  ) {}

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    const b = pkt.buf;
    const thoff = pkt.l3Off + pkt.ipHdrLen;
    if (pkt.l3Off < 0 || thoff + TCP_HDR > pkt.ipEnd) return this.drop(ctx);
    const hdrLen = (b[thoff + 12]! >> 4) * 4;
    if (hdrLen < TCP_HDR) return this.drop(ctx);
    const optlen = hdrLen - TCP_HDR;
    if (optlen === 0) return this.invert;
    if (thoff + hdrLen > pkt.ipEnd) return this.drop(ctx);
    const op = thoff + TCP_HDR;
    for (let i = 0; i < optlen; ) {
      const kind = b[op + i]!;
      if (kind === OPT_MSS && optlen - i >= OPT_MSS_LEN && b[op + i + 1] === OPT_MSS_LEN) {
        const mss = (b[op + i + 2]! << 8) | b[op + i + 3]!;
        return (mss >= this.min && mss <= this.max) !== this.invert;
      }
      i += kind < 2 ? 1 : b[op + i + 1] || 1;
    }
    return this.invert;
  }

  private drop(ctx: PacketContext): boolean {
    ctx.hotdrop = true;
    return false;
  }

  private value(): string {
    return this.min === this.max ? `${this.min}` : `${this.min}:${this.max}`;
  }

  save(): string {
    return `-m tcpmss${this.invert ? ' !' : ''} --mss ${this.value()}`;
  }

  list(): string {
    return ` tcpmss match ${this.invert ? '!' : ''}${this.value()}`;
  }
}

class TcpmssParser implements ExtParser<Match> {
  private range: [number, number] | null = null;
  private invert = false;

  option(_name: string, arg: string, invert: boolean): void {
    const range = uintRangeOption(arg, 'tcpmss', 'mss', 65535);
    if (range[1] < range[0]) fail('tcpmss: invalid range given');
    this.range = range;
    this.invert = invert;
  }

  finish(cx: ExtContext): Match {
    if (this.range === null) fail('tcpmss: option "--mss" must be specified');
    requireProto(cx, Proto.TCP, 'tcpmss match');
    return new TcpmssMatch(this.range[0], this.range[1], this.invert);
  }
}

export const tcpmssMatch: MatchExtension = {
  name: 'tcpmss',
  options: [{ name: 'mss', arg: true, invert: true }],
  create: () => new TcpmssParser(),
};
