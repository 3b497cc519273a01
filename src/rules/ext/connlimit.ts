/**
 * -m connlimit (xt_connlimit revision 1): [!] --connlimit-above N / [!] --connlimit-upto N,
 * --connlimit-mask BITS, --connlimit-saddr (default) / --connlimit-daddr: the number of
 * connections from the packet's (masked) source or to its destination is above / at most N.
 *
 * The counting is nf_conncount's, kept per rule: a connection is recorded when a packet of it
 * passes the rule before conntrack confirmed it (its first packet); later packets of confirmed
 * connections are counted but not recorded, except that the first packet of a key (address)
 * never seen creates its list with the packet's connection, confirmed or not (insert_tree; a
 * reply counted by --connlimit-saddr, fuzz finding r_fuzz_70063_1). Recorded connections that conntrack no longer has
 * (looked up with `ctx.ctFind`) or that are closed TCP connections (TIME_WAIT, CLOSE) are
 * dropped when the list is cleaned, which happens at most once per jiffy; a recorded connection
 * not yet found in the table is kept for one jiffy (it may be about to be confirmed).
 */
import type { CtTupleLike, PacketContext } from '../../netfilter/context.js';
import { CtStatus } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { parseMaskText, prefixMask, maskToPrefix, parseUint, type Family } from '../values.js';
import { WordMap } from '../wordmap.js';
import { uintOption } from './common.js';
import { jiffiesAt } from './jiffies.js';
import { alreadyClosed, copyTuple, GC_MAX_COLLECT, packetTuple, type Recorded, sameTuple } from '../../netfilter/conncount.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

interface ConnList {
  readonly conns: Recorded[];
  lastGc: number;
  lastGcCount: number;
}

export class ConnlimitMatch implements Match {
  readonly name = 'connlimit';
  private readonly lists = new WordMap<ConnList>();
  private readonly key = new Uint32Array(5);

  constructor(
    readonly family: Family,
    readonly limit: number,
    /** --connlimit-upto (matches at or below the limit). */
    readonly upto: boolean,
    readonly mask: Uint32Array,
    readonly daddr: boolean,
  ) {}

  match(ctx: PacketContext): boolean {
    const ct = ctx.ct;
    const zone = ct?.zone ?? 0;
    const addr = this.daddr ? ctx.pkt.dst : ctx.pkt.src;
    const k = this.key;
    for (let i = 0; i < 4; i++) k[i] = (addr[i]! & this.mask[i]!) >>> 0;
    k[4] = zone;
    let list = this.lists.get(k, 5);
    if (list === undefined) {
      // insert_tree (nf_conncount.c): a key met for the first time gets a node holding the
      // packet's connection, confirmed or not (only an existing node skips confirmed ones)
      const tuple = ct !== null ? ct.orig : packetTuple(ctx);
      if (tuple === null) {
        ctx.hotdrop = true;
        return false;
      }
      const now = jiffiesAt(ctx.now);
      list = { conns: [{ tuple: copyTuple(tuple), zone, jiffies: now }], lastGc: now, lastGcCount: 0 };
      this.lists.set(k, 5, list);
    } else if (ct === null || (ct.status & CtStatus.CONFIRMED) === 0) {
      const tuple = ct !== null ? ct.orig : packetTuple(ctx);
      if (tuple === null) {
        ctx.hotdrop = true;
        return false;
      }
      this.add(ctx, list, tuple, zone);
    }
    const n = list.conns.length;
    if (n === 0) {
      ctx.hotdrop = true;
      return false;
    }
    return n > this.limit !== this.upto;
  }

  private add(ctx: PacketContext, list: ConnList, tuple: CtTupleLike, zone: number): void {
    const now = jiffiesAt(ctx.now);
    if (!(now === list.lastGc && list.conns.length - list.lastGcCount < GC_MAX_COLLECT)) {
      const find = ctx.ctFind;
      if (find === undefined) throw new Error('-m connlimit needs connection lookups: PacketContext.ctFind is not set');
      let collect = 0;
      for (let i = 0; i < list.conns.length && collect <= GC_MAX_COLLECT; ) {
        const c = list.conns[i]!;
        const found = find(c.tuple, c.zone);
        if (found === null) {
          if (now - c.jiffies <= 1) {
            if (sameTuple(c.tuple, tuple) && c.zone === zone) return;
            i++;
            continue;
          }
          list.conns.splice(i, 1);
          collect++;
          continue;
        }
        if (sameTuple(c.tuple, tuple) && c.zone === zone) return;
        if (alreadyClosed(found)) {
          list.conns.splice(i, 1);
          collect++;
          continue;
        }
        i++;
      }
      list.lastGc = now;
      list.lastGcCount = list.conns.length;
    }
    list.conns.push({ tuple: copyTuple(tuple), zone, jiffies: now });
  }

  private bits(): number {
    return maskToPrefix(this.family, this.mask);
  }

  save(): string {
    return `-m connlimit --connlimit-${this.upto ? 'upto' : 'above'} ${this.limit} --connlimit-mask ${this.bits()} --connlimit-${this.daddr ? 'daddr' : 'saddr'}`;
  }

  list(): string {
    return ` #conn ${this.daddr ? 'dst' : 'src'}/${this.bits()} ${this.upto ? '<=' : '>'} ${this.limit}`;
  }
}

class ConnlimitParser implements ExtParser<Match> {
  private limit: number | null = null;
  private upto = false;
  private given: string | null = null;
  private mask: Uint32Array;
  private daddr = false;
  private addrOpt: string | null = null;

  constructor(private readonly family: Family) {
    this.mask = prefixMask(family, 128);
  }

  option(name: string, arg: string, invert: boolean): void {
    switch (name) {
      case 'connlimit-upto':
      case 'connlimit-above':
        if (this.given !== null && this.given !== name) fail(`connlimit: option "--${name}" cannot be used together with "--${this.given}".`);
        this.given = name;
        this.limit = uintOption(arg, 'connlimit', name, 0, 0xffffffff);
        this.upto = (name === 'connlimit-upto') !== invert;
        return;
      case 'connlimit-mask': {
        const full = this.family === 4 ? 32 : 128;
        const bits = parseUint(arg, 0, full);
        if (bits !== null) this.mask = prefixMask(this.family, bits);
        else if (/^[0-9a-fA-F.:]+$/.test(arg)) this.mask = parseMaskText(this.family, arg);
        else fail(`connlimit: bad value for option "--connlimit-mask", neither a valid network mask nor valid CIDR (0-${full}).`);
        return;
      }
      case 'connlimit-saddr':
      case 'connlimit-daddr':
        if (this.addrOpt !== null && this.addrOpt !== name) fail(`connlimit: option "--${name}" cannot be used together with "--${this.addrOpt}".`);
        this.addrOpt = name;
        this.daddr = name === 'connlimit-daddr';
        return;
      default:
        fail(`connlimit: unexpected option --${name}`);
    }
  }

  finish(_cx: ExtContext): Match {
    if (this.limit === null) fail('You must specify "--connlimit-above" or "--connlimit-upto".');
    return new ConnlimitMatch(this.family, this.limit, this.upto, this.mask, this.daddr);
  }
}

export const connlimitMatch: MatchExtension = {
  name: 'connlimit',
  options: [
    { name: 'connlimit-upto', arg: true, invert: true },
    { name: 'connlimit-above', arg: true, invert: true },
    { name: 'connlimit-mask', arg: true },
    { name: 'connlimit-saddr', arg: false },
    { name: 'connlimit-daddr', arg: false },
  ],
  create: (cx) => new ConnlimitParser(cx.family),
};
