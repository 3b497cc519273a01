/**
 * iptables' fixed selectors of a rule: -s, -d, -i, -o, -p and (IPv4) -f, each optionally negated.
 *
 * Matching follows the nf_tables backend of iptables 1.8.9, which turns them into nft
 * expressions: addresses and protocol compare packet fields; an interface name compares the
 * device name (a trailing '+' compares the prefix only, a lone '+' is no test at all, `! -i +`
 * never matches), and on a hook without that device (no input device on OUTPUT, ...) the
 * interface test fails whether negated or not, as nft's meta expression breaks the rule there.
 * A lone '+' is dropped at parse time, and `! -i +` becomes the never-matching name `INVAL/D`
 * that iptables-nft writes (and later prints back).
 */
import type { PacketContext } from '../netfilter/context.js';
import {
  addrMaskSave,
  addrMatches,
  addrText,
  maskSuffixList,
  protocolName,
  type Family,
} from './values.js';

/** An interface selector as iptables stores it. */
export interface IfaceSpec {
  /** The text as given (`eth0`, `eth+`, `+`). */
  readonly text: string;
  /** Name to compare: the whole name, or the prefix before '+'. */
  readonly name: string;
  readonly wildcard: boolean;
  readonly invert: boolean;
}

export class IpSpec {
  proto = 0;
  protoInvert = false;
  readonly src = new Uint32Array(4);
  readonly srcMask = new Uint32Array(4);
  srcInvert = false;
  readonly dst = new Uint32Array(4);
  readonly dstMask = new Uint32Array(4);
  dstInvert = false;
  iif: IfaceSpec | null = null;
  oif: IfaceSpec | null = null;
  frag = false;
  fragInvert = false;

  constructor(readonly family: Family) {}

  /** True when the packet passes every selector. */
  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    const f = this.family;
    if (this.srcInvert || this.srcMask[0] !== 0 || this.srcMask[3] !== 0) {
      if (addrMatches(f, pkt.src, this.src, this.srcMask) === this.srcInvert) return false;
    }
    if (this.dstInvert || this.dstMask[0] !== 0 || this.dstMask[3] !== 0) {
      if (addrMatches(f, pkt.dst, this.dst, this.dstMask) === this.dstInvert) return false;
    }
    if (this.iif !== null && !ifaceMatches(this.iif, ctx.iif)) return false;
    if (this.oif !== null && !ifaceMatches(this.oif, ctx.oif)) return false;
    if (this.proto !== 0 || this.protoInvert) {
      if ((pkt.proto === this.proto) === this.protoInvert) return false;
    }
    if (this.frag) {
      if (pkt.fragOffset !== 0 === this.fragInvert) return false;
    }
    return true;
  }

  /** True when the spec tests nothing. */
  isEmpty(): boolean {
    return (
      !this.srcInvert &&
      this.srcMask.every((w) => w === 0) &&
      !this.dstInvert &&
      this.dstMask.every((w) => w === 0) &&
      this.iif === null &&
      this.oif === null &&
      this.proto === 0 &&
      !this.protoInvert &&
      !this.frag
    );
  }

  /** The iptables-save text: ` -s .. -d .. -i .. -o .. -p .. -f` (leading space per item). */
  save(): string {
    let out = '';
    out += saveAddr('s', this.family, this.src, this.srcMask, this.srcInvert);
    out += saveAddr('d', this.family, this.dst, this.dstMask, this.dstInvert);
    out += saveIface('i', this.iif);
    out += saveIface('o', this.oif);
    if (this.proto > 0) {
      const name = protocolName(this.proto);
      out += `${this.protoInvert ? ' !' : ''} -p ${name ?? this.proto}`;
    }
    if (this.frag) out += `${this.fragInvert ? ' !' : ''} -f`;
    return out;
  }

  /** -L's prot column text (numeric), with '!' or ' ' in front. */
  listProto(): string {
    return `${this.protoInvert ? '!' : ' '}${this.proto}`;
  }

  /** -L's opt column text. */
  listOpt(): string {
    if (this.family === 6) return '--';
    return `${this.fragInvert ? '!' : '-'}${this.frag ? 'f' : '-'}`;
  }

  listIface(which: 'in' | 'out'): string {
    const spec = which === 'in' ? this.iif : this.oif;
    if (spec === null) return '*';
    return `${spec.invert ? '!' : ''}${spec.text}`;
  }

  /** -L's source or destination column text, with '!' or ' ' in front. */
  listAddr(which: 'src' | 'dst'): string {
    const addr = which === 'src' ? this.src : this.dst;
    const mask = which === 'src' ? this.srcMask : this.dstMask;
    const inv = which === 'src' ? this.srcInvert : this.dstInvert;
    return `${inv ? '!' : ' '}${addrText(this.family, addr)}${maskSuffixList(this.family, mask)}`;
  }
}

function ifaceMatches(spec: IfaceSpec, dev: string | null): boolean {
  if (dev === null) return false;
  const eq = spec.wildcard ? dev.startsWith(spec.name) : dev === spec.name;
  return eq !== spec.invert;
}

function saveAddr(letter: string, family: Family, addr: Uint32Array, mask: Uint32Array, inv: boolean): string {
  const zero = mask.every((w) => w === 0) && addr.every((w) => w === 0);
  if (zero && !inv) return '';
  return `${inv ? ' !' : ''} -${letter} ${addrMaskSave(family, addr, mask)}`;
}

function saveIface(letter: string, spec: IfaceSpec | null): string {
  if (spec === null) return '';
  return `${spec.invert ? ' !' : ''} -${letter} ${spec.text}`;
}
