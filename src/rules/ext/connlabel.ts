/**
 * -m connlabel [!] --label N [--set] (xt_connlabel): true when label bit N (0-127) of the
 * packet's connection is set; with --set a clear bit is set (the IPCT_LABEL event is cached)
 * and the match is true. A packet without a connection matches only negated. Label names come
 * from /etc/xtables/connlabel.conf, which a simulated host does not have: as iptables does
 * without that file, only numbers are accepted (iptables-save prints them quoted, as a name).
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import type { ExtParser, MatchExtension } from './types.js';

/** XT_CONNLABEL_MAXBIT. */
const MAX_BIT = 128;

export class ConnlabelMatch implements Match {
  readonly name = 'connlabel';
  constructor(
    readonly bit: number,
    readonly invert: boolean,
    readonly set: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    const ct = ctx.ct;
    if (ct === null) return this.invert;
    const word = this.bit >>> 5;
    const mask = 1 << (this.bit & 31);
    if ((ct.labels[word]! & mask) !== 0) return !this.invert;
    if (this.set) {
      ct.labels[word] = ct.labels[word]! | mask;
      return !this.invert;
    }
    return this.invert;
  }
  save(): string {
    return `-m connlabel${this.invert ? ' !' : ''} --label "${this.bit}"${this.set ? ' --set' : ''}`;
  }
  list(): string {
    return ` connlabel${this.invert ? ' !' : ''} ${this.bit}${this.set ? ' set' : ''}`;
  }
}

class ConnlabelParser implements ExtParser<Match> {
  private bit = -1;
  private invert = false;
  private set = false;
  option(name: string, arg: string, invert: boolean): void {
    if (name === 'set') {
      this.set = true;
      return;
    }
    // connlabel_value_parse: strtoul(arg, 0) of the whole argument, else a name from connlabel.conf.
    const v = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(arg) ? Number(arg.startsWith('0') && !/^0[xX]/.test(arg) && arg.length > 1 ? parseInt(arg, 8) : arg) : -1;
    if (v < 0 || !Number.isSafeInteger(v)) fail(`label '${arg}' not found or invalid value (no /etc/xtables/connlabel.conf on a simulated host: use label numbers)`);
    if (v >= MAX_BIT) fail(`connlabel: label ${v} is out of range, the kernel takes 0-${MAX_BIT - 1} (Numerical result out of range)`);
    this.bit = v;
    this.invert = invert;
  }
  finish(): Match {
    if (this.bit < 0) fail('connlabel: option "--label" must be specified');
    return new ConnlabelMatch(this.bit, this.invert, this.set);
  }
}

export const connlabelMatch: MatchExtension = {
  name: 'connlabel',
  options: [
    { name: 'label', arg: true, invert: true },
    { name: 'set', arg: false },
  ],
  create: () => new ConnlabelParser(),
};
