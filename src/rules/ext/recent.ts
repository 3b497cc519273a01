/**
 * -m recent (xt_recent revision 1): a named list of recently seen addresses.
 * --set adds (or refreshes) the packet's source (--rsource, default) or destination (--rdest)
 * address; --rcheck tests for it; --update tests and, when found, refreshes it; --remove drops
 * it. --seconds N and --hitcount N narrow a check to entries seen N times within the last N
 * seconds, --reap removes the oldest entry when it is older than --seconds, --rttl also requires
 * the TTL the entry was last seen with, --name (default DEFAULT) and --mask (address mask of the
 * list) select the list. Negation inverts the result.
 *
 * The lists follow the kernel: at most 100 addresses (the oldest is dropped), up to 32
 * timestamps each (more when --hitcount asks for more), time counted in jiffies (HZ = 250) of
 * the virtual clock; a list is shared by every rule naming it and keeps the mask of the first.
 * Packets going out (output device present, not from a local socket) count with TTL + 1, as seen
 * before forwarding. As in the kernel, --update refreshes the entry when the rule's (possibly
 * negated) result is true.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { addrText, parseAddr, prefixMask, type Family } from '../values.js';
import { WordMap } from '../wordmap.js';
import { uintOption } from './common.js';
import { HZ, jiffiesAt } from './jiffies.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const SET = 1;
const CHECK = 2;
const UPDATE = 4;
const REMOVE = 8;
const TTL = 16;
const REAP = 32;
const IP_LIST_TOT = 100;
const IP_PKT_LIST_TOT = 20;
const MAX_NSTAMPS = 256;

interface Entry {
  family: Family;
  ttl: number;
  stamps: number[];
  index: number;
  nstamps: number;
  /** Position in the table's LRU order (larger = more recent). */
  lru: number;
}

function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A named list, shared by the rules that name it. */
class RecentTable {
  readonly entries = new WordMap<Entry>();
  private tick = 0;
  constructor(
    readonly mask: Uint32Array,
    public stampMask: number,
  ) {}

  touch(e: Entry): void {
    e.lru = ++this.tick;
  }

  /** The least recently used entry. */
  oldest(): [Uint32Array, Entry] | null {
    let best: [Uint32Array, Entry] | null = null;
    for (const kv of this.entries.entries()) if (best === null || kv[1].lru < best[1].lru) best = kv;
    return best;
  }

  flush(): void {
    for (const [k] of [...this.entries.entries()]) this.entries.delete(k, k.length);
  }
}

export class RecentMatch implements Match {
  readonly name = 'recent';
  private readonly key = new Uint32Array(5);

  constructor(
    readonly family: Family,
    readonly listName: string,
    readonly checkSet: number,
    readonly seconds: number,
    readonly hitCount: number,
    readonly dest: boolean,
    readonly mask: Uint32Array,
    readonly invert: boolean,
    private readonly table: RecentTable,
  ) {}

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    const t = this.table;
    const addr = this.dest ? pkt.dst : pkt.src;
    let ttl = pkt.ttl;
    if (ctx.oif !== null && (ctx.sock ?? null) === null) ttl = (ttl + 1) & 0xff;
    const k = this.key;
    for (let i = 0; i < 4; i++) k[i] = (addr[i]! & t.mask[i]!) >>> 0;
    k[4] = ctx.family;
    const now = jiffiesAt(ctx.now);
    let ret = this.invert;
    let e = t.entries.get(k, 5);
    if (e !== undefined && (this.checkSet & TTL) !== 0 && ttl !== 0 && e.ttl !== 0 && e.ttl !== ttl) e = undefined;
    if (e === undefined) {
      if ((this.checkSet & SET) === 0) return ret;
      this.insert(k, ttl, now);
      return !ret;
    }
    if ((this.checkSet & SET) !== 0) ret = !ret;
    else if ((this.checkSet & REMOVE) !== 0) {
      t.entries.delete(k, 5);
      return !ret;
    } else if ((this.checkSet & (CHECK | UPDATE)) !== 0) {
      const since = now - this.seconds * HZ;
      let hits = 0;
      for (let i = 0; i < e.nstamps; i++) {
        if (this.seconds !== 0 && since > e.stamps[i]!) continue;
        if (this.hitCount === 0 || ++hits >= this.hitCount) {
          ret = !ret;
          break;
        }
      }
      if ((this.checkSet & REAP) !== 0) this.reap(since, e, (this.checkSet & UPDATE) !== 0 && ret);
    }
    if ((this.checkSet & SET) !== 0 || ((this.checkSet & UPDATE) !== 0 && ret)) {
      this.update(e, now);
      e.ttl = ttl;
    }
    return ret;
  }

  private insert(k: Uint32Array, ttl: number, now: number): void {
    const t = this.table;
    if (t.entries.size >= IP_LIST_TOT) {
      const old = t.oldest();
      if (old !== null) t.entries.delete(old[0], 5);
    }
    const e: Entry = { family: this.family, ttl, stamps: new Array<number>(t.stampMask + 1).fill(0), index: 1, nstamps: 1, lru: 0 };
    e.stamps[0] = now;
    t.touch(e);
    t.entries.set(k, 5, e);
  }

  private update(e: Entry, now: number): void {
    e.index &= this.table.stampMask;
    e.stamps[e.index++] = now;
    if (e.index > e.nstamps) e.nstamps = e.index;
    this.table.touch(e);
  }

  private reap(since: number, working: Entry, updating: boolean): void {
    const old = this.table.oldest();
    if (old === null) return;
    const [key, e] = old;
    if (e === working && updating) return;
    if (since > e.stamps[e.index - 1]!) this.table.entries.delete(key, 5);
  }

  private text(save: boolean): string {
    const flags: readonly (readonly [number, string, string])[] = [
      [SET, '--set', 'SET'],
      [CHECK, '--rcheck', 'CHECK'],
      [UPDATE, '--update', 'UPDATE'],
      [REMOVE, '--remove', 'REMOVE'],
    ];
    let s = this.invert ? ' !' : '';
    if (!save) s += ' recent:';
    for (const [bit, opt, label] of flags) if ((this.checkSet & bit) !== 0) s += ` ${save ? opt : label}`;
    if (this.seconds !== 0) s += save ? ` --seconds ${this.seconds}` : ` seconds: ${this.seconds}`;
    if ((this.checkSet & REAP) !== 0) s += save ? ' --reap' : ' reap';
    if (this.hitCount !== 0) s += save ? ` --hitcount ${this.hitCount}` : ` hit_count: ${this.hitCount}`;
    if ((this.checkSet & TTL) !== 0) s += save ? ' --rttl' : ' TTL-Match';
    const mask = addrText(this.family, this.mask);
    if (save) s += ` --name ${this.listName} --mask ${mask} ${this.dest ? '--rdest' : '--rsource'}`;
    else s += ` name: ${this.listName} side: ${this.dest ? 'dest' : 'source'} mask: ${mask}`;
    return s;
  }

  save(): string {
    return `-m recent${this.text(true)}`;
  }

  list(): string {
    return this.text(false);
  }
}

class RecentParser implements ExtParser<Match> {
  private checkSet = 0;
  private op: string | null = null;
  private invert = false;
  private seconds = 0;
  private hitCount = 0;
  private listName = 'DEFAULT';
  private dest = false;
  private mask: Uint32Array;

  constructor(private readonly family: Family) {
    this.mask = prefixMask(family, 128);
  }

  option(name: string, arg: string, invert: boolean): void {
    const ops: Readonly<Record<string, number>> = { set: SET, rcheck: CHECK, update: UPDATE, remove: REMOVE };
    const op = ops[name];
    if (op !== undefined) {
      if (this.op !== null) fail(`recent: option "--${name}" cannot be used together with "--${this.op}".`);
      if (name === 'set' || name === 'remove') {
        if ((this.checkSet & TTL) !== 0) fail(`recent: option "--rttl" cannot be used together with "--${name}".`);
      }
      this.op = name;
      this.checkSet |= op;
      if (invert) this.invert = true;
      return;
    }
    switch (name) {
      case 'seconds':
        this.seconds = uintOption(arg, 'recent', name, 1, 0xffffffff);
        return;
      case 'hitcount':
        this.hitCount = uintOption(arg, 'recent', name, 0, 0xffffffff);
        return;
      case 'reap':
        this.checkSet |= REAP;
        return;
      case 'rttl':
        if (this.op === 'set' || this.op === 'remove') fail(`recent: option "--rttl" cannot be used together with "--${this.op}".`);
        this.checkSet |= TTL;
        return;
      case 'name':
        if (arg.length > 199) fail('Argument must have a maximum length of 199 characters');
        this.listName = arg;
        return;
      case 'rsource':
        this.dest = false;
        return;
      case 'rdest':
        this.dest = true;
        return;
      case 'mask': {
        const m = parseAddr(this.family, arg);
        if (m === null) fail(`recent: bad address "${arg}" for option "--mask" (numeric address expected)`);
        this.mask = m;
        return;
      }
      default:
        fail(`recent: unexpected option --${name}`);
    }
  }

  finish(cx: ExtContext): Match {
    if (this.op === null) fail("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
    if ((this.checkSet & REAP) !== 0 && this.seconds === 0) fail('recent: option "--reap" also requires "--seconds".');
    if ((this.checkSet & (SET | REMOVE)) !== 0 && (this.seconds !== 0 || this.hitCount !== 0 || (this.checkSet & (TTL | REAP)) !== 0)) {
      fail('recent: --seconds, --hitcount, --rttl and --reap only go with --rcheck or --update (the kernel refuses it)');
    }
    if (this.hitCount >= MAX_NSTAMPS) fail(`recent: hitcount (${this.hitCount}) is larger than allowed maximum (${MAX_NSTAMPS - 1}) (the kernel refuses it)`);
    if (this.listName === '' || this.listName.includes('/') || this.listName === '.' || this.listName === '..') {
      fail(`recent: name "${this.listName}" is not a valid /proc file name (the kernel refuses it)`);
    }
    const stampMask =
      this.hitCount < IP_PKT_LIST_TOT ? roundupPow2(IP_PKT_LIST_TOT) - 1 : this.hitCount !== 0 ? roundupPow2(this.hitCount) - 1 : 31;
    const table = cx.shared.get(`recent:${this.listName}`, () => new RecentTable(this.mask.slice(), stampMask));
    if (stampMask > table.stampMask) {
      table.flush();
      table.stampMask = stampMask;
    }
    return new RecentMatch(this.family, this.listName, this.checkSet, this.seconds, this.hitCount, this.dest, this.mask, this.invert, table);
  }
}

export const recentMatch: MatchExtension = {
  name: 'recent',
  options: [
    { name: 'set', arg: false, invert: true },
    { name: 'rcheck', arg: false, invert: true },
    { name: 'update', arg: false, invert: true },
    { name: 'remove', arg: false, invert: true },
    { name: 'seconds', arg: true },
    { name: 'reap', arg: false },
    { name: 'hitcount', arg: true },
    { name: 'rttl', arg: false },
    { name: 'name', arg: true },
    { name: 'rsource', arg: false },
    { name: 'rdest', arg: false },
    { name: 'mask', arg: true },
  ],
  create: (cx) => new RecentParser(cx.family),
};
