/**
 * -j TCPMSS --set-mss N | --clamp-mss-to-pmtu (xt_TCPMSS): lower the MSS option of TCP packets
 * (the rule must say -p tcp; iptables-nft does not require --syn). An MSS option larger than
 * the target value is rewritten in place with an incremental checksum update; the MSS is never
 * raised. A segment without an MSS option, without payload and with room in its header gets one
 * (536 for IPv4, 1220 for IPv6 at most, as RFC 1122/2460 defaults): the packet grows by four
 * bytes, in a new buffer, and is decoded again. --clamp-mss-to-pmtu uses the smaller of the
 * route MTUs towards the destination and back to the source (ctx.routeMtu), minus the IP and
 * TCP header sizes, and is only allowed from FORWARD, OUTPUT and POSTROUTING. A TCP header that
 * cannot be read drops the packet.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { csumReplace16, csumReplace32, put16 } from '../../packet/checksum.js';
import { decodeFrame } from '../../packet/decode.js';
import { Proto } from '../../packet/view.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, H, requireProto, uintOption } from './common.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

const CLAMP = 0xffff;
const OPT_MSS = 2;
const OPT_MSS_LEN = 4;

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export class TcpmssTarget extends BaseTarget {
  readonly name = 'TCPMSS';
  constructor(readonly mss: number) {
    super();
    if (mss === CLAMP) this.hooks = H.FWD | H.OUT | H.POST;
  }

  run(ctx: PacketContext): Verdict {
    const pkt = ctx.pkt;
    if (pkt.fragOffset !== 0) return Verdict.CONTINUE;
    if (pkt.l4Off < 0) return Verdict.DROP;
    const b = pkt.buf;
    const th = pkt.l4Off;
    const len = pkt.ipEnd - th;
    if (len < 20) return Verdict.DROP;
    const hdrLen = (b[th + 12]! >> 4) * 4;
    if (len < hdrLen || hdrLen < 20) return Verdict.DROP;
    const minLen = (ctx.family === 4 ? 20 : 40) + 20;
    let newMss = this.mss;
    if (this.mss === CLAMP) {
      const lookup = ctx.routeMtu;
      if (lookup === undefined) throw new Error('TCPMSS --clamp-mss-to-pmtu needs route MTUs: PacketContext.routeMtu is not set');
      const mtu = Math.min(lookup(ctx.family, pkt.dst), lookup(ctx.family, pkt.src));
      if (mtu <= minLen) return Verdict.DROP;
      newMss = Math.min(mtu - minLen, 0xffff);
    }
    for (let i = 20; i <= hdrLen - OPT_MSS_LEN; ) {
      const kind = b[th + i]!;
      if (kind === OPT_MSS && b[th + i + 1] === OPT_MSS_LEN) {
        const old = u16(b, th + i + 2);
        if (old <= newMss) return Verdict.CONTINUE;
        put16(b, th + i + 2, newMss);
        const check = th + 16;
        put16(b, check, csumReplace16(u16(b, check), old, newMss));
        pkt.tcpMss = newMss;
        pkt.l4Checksum = u16(b, check);
        return Verdict.CONTINUE;
      }
      i += kind <= 1 || b[th + i + 1] === 0 ? 1 : b[th + i + 1]!;
    }
    if (len > hdrLen || hdrLen >= 60) return Verdict.CONTINUE;
    this.addOption(ctx, Math.min(newMss, ctx.family === 4 ? 536 : 1220), hdrLen);
    return Verdict.CONTINUE;
  }

  /** Inserts an MSS option after the fixed header, growing the packet by four bytes. */
  private addOption(ctx: PacketContext, mss: number, hdrLen: number): void {
    const pkt = ctx.pkt;
    const old = pkt.buf;
    const th = pkt.l4Off;
    const end = pkt.ipEnd;
    const buf = new Uint8Array(end + OPT_MSS_LEN);
    buf.set(old.subarray(0, th + 20), 0);
    buf.set(old.subarray(th + 20, end), th + 20 + OPT_MSS_LEN);
    const len = end - th;
    const check = th + 16;
    let sum = csumReplace16(u16(buf, check), len, len + OPT_MSS_LEN);
    buf[th + 20] = OPT_MSS;
    buf[th + 21] = OPT_MSS_LEN;
    put16(buf, th + 22, mss);
    const word = ((OPT_MSS << 24) | (OPT_MSS_LEN << 16) | mss) >>> 0;
    sum = csumReplace32(sum, 0, word);
    const oldWord = u16(buf, th + 12);
    buf[th + 12] = (((hdrLen + OPT_MSS_LEN) / 4) << 4) | (buf[th + 12]! & 0x0f);
    sum = csumReplace16(sum, oldWord, u16(buf, th + 12));
    put16(buf, check, sum);
    const ip = pkt.l3Off;
    if (ctx.family === 4) {
      const oldTot = u16(buf, ip + 2);
      put16(buf, ip + 2, oldTot + OPT_MSS_LEN);
      put16(buf, ip + 10, csumReplace16(u16(buf, ip + 10), oldTot, oldTot + OPT_MSS_LEN));
    } else {
      put16(buf, ip + 4, u16(buf, ip + 4) + OPT_MSS_LEN);
    }
    decodeFrame(pkt, buf, pkt.linktype);
  }

  save(): string {
    return `-j TCPMSS ${this.mss === CLAMP ? '--clamp-mss-to-pmtu' : `--set-mss ${this.mss}`}`;
  }

  list(): string {
    return this.mss === CLAMP ? ' TCPMSS clamp to PMTU' : ` TCPMSS set ${this.mss}`;
  }
}

class TcpmssParser implements ExtParser<TcpmssTarget> {
  private mss: number | null = null;
  constructor(private readonly family: 4 | 6) {}
  option(name: string, arg: string): void {
    if (name === 'clamp-mss-to-pmtu') this.mss = CLAMP;
    else if (name === 'set-mss') this.mss = uintOption(arg, 'TCPMSS', name, 0, 65535 - (this.family === 4 ? 20 : 40));
    else fail(`TCPMSS: unexpected option --${name}`);
  }
  finish(cx: ExtContext): TcpmssTarget {
    if (this.mss === null) fail('TCPMSS target: At least one parameter is required');
    requireProto(cx, Proto.TCP, 'TCPMSS');
    return new TcpmssTarget(this.mss);
  }
}

export const tcpmssTarget: TargetExtension = {
  name: 'TCPMSS',
  options: [
    { name: 'set-mss', arg: true },
    { name: 'clamp-mss-to-pmtu', arg: false },
  ],
  create: (cx) => new TcpmssParser(cx.family),
};
