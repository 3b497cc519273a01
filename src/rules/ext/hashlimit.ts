/**
 * -m hashlimit (xt_hashlimit revision 3): per-bucket rate limits. --hashlimit-upto /
 * --hashlimit-above RATE (N/sec|min|hour|day, or bytes: Nb/s, Nkb/s, Nmb/s), --hashlimit-burst,
 * --hashlimit-mode srcip,srcport,dstip,dstport (the bucket key; none = one bucket),
 * --hashlimit-srcmask / --hashlimit-dstmask, --hashlimit-name (mandatory; rules naming the same
 * table share its buckets and its first rule's settings, as the kernel shares them),
 * --hashlimit-htable-size/-max/-gcinterval/-expire, --hashlimit-rate-match and
 * --hashlimit-rate-interval.
 *
 * The credit arithmetic is the kernel's (credits per jiffy, HZ = 250) in virtual time. A bucket
 * idle for longer than its expiry starts afresh, as one reclaimed by the table's garbage
 * collector does. Credits are held as doubles: exact for every rate up to a few packets per
 * second per bucket with ordinary bursts.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match, SharedState } from '../model.js';
import { parseUint, scanUint, type Family } from '../values.js';
import { badValue, uintOption } from './common.js';
import { HZ, jiffiesAt } from './jiffies.js';
import { WordMap } from '../wordmap.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const MODE = { DIP: 1, DPT: 2, SIP: 4, SPT: 8, INVERT: 16, BYTES: 32, RATE_MATCH: 64 } as const;
const SCALE = 1000000;
const BURST_DEFAULT = 5;
const BURST_MAX = 1000000;
const GC_DEFAULT = 1000;
const BYTE_EXPIRE = 15;
const BYTE_EXPIRE_BURST = 60;
const BYTE_SHIFT = 4;
const U32_MAX = 0xffffffff;

function pow2Below(x: number): number {
  return 2 ** Math.floor(Math.log2(x));
}

/** CREDITS_PER_JIFFY (revision 2+) and CREDITS_PER_JIFFY_BYTES for HZ. */
const CPJ = pow2Below(Math.floor(18446744073709551615 / (HZ * 86400)));
const CPJ_BYTES = pow2Below(Math.floor(U32_MAX / HZ));

const U64 = (1n << 64n) - 1n;
const HZ_CPJ = BigInt(HZ) * BigInt(CPJ);
const SCALE_N = BigInt(SCALE);

/** user2credits in the kernel's u64 arithmetic (the product wraps as it does there). */
function user2credits64(user: bigint): bigint {
  if (SCALE_N >= HZ_CPJ) return user / (SCALE_N / HZ_CPJ);
  return (user * (HZ_CPJ / SCALE_N)) & U64;
}

function user2creditsByte(user: number): number {
  return Math.floor((user * HZ * CPJ_BYTES) / 2 ** 32) >>> 0;
}

function costToBytes(cost: number): number {
  const r = cost !== 0 ? Math.floor(U32_MAX / cost) : U32_MAX;
  return (r - 1) * 2 ** BYTE_SHIFT;
}

function bytesToCost(bytes: number): number {
  const r = Math.floor(bytes / 2 ** BYTE_SHIFT) >>> 0;
  return Math.floor(U32_MAX / (r + 1));
}

function factor(c: string | undefined): number {
  return c === 'm' ? 1024 * 1024 : c === 'k' ? 1024 : 1;
}

interface Cfg {
  mode: number;
  avg: number;
  burst: number;
  size: number;
  max: number;
  gcInterval: number;
  expire: number;
  srcmask: number;
  dstmask: number;
  interval: number;
}

interface Bucket {
  expires: number;
  prev: number;
  credit: number;
  creditCap: number;
  cost: number;
  /** Packet mode: credit, cap and cost as the kernel's u64 values (they exceed 2^53 for slow rates). */
  credit64: bigint;
  creditCap64: bigint;
  cost64: bigint;
  rate: number;
  burst: number;
  interval: number;
  currentRate: number;
  prevWindow: boolean;
}

/** A named table shared by every rule that names it (per family). */
class HashTable {
  readonly buckets = new WordMap<Bucket>();
  constructor(readonly cfg: Readonly<Cfg>) {}
}

const RATES: readonly (readonly [string, number])[] = [
  ['day', SCALE * 86400],
  ['hour', SCALE * 3600],
  ['min', SCALE * 60],
  ['sec', SCALE],
];

/** print_rate: ` N/unit`, and the quantum (ms) the default expiry equals. */
function rateText(period: number): [string, number] {
  let i = 1;
  for (; i < RATES.length; i++) {
    const m = RATES[i]![1];
    if (period > m || Math.floor(m / period) < m % period) break;
  }
  const [name, m] = RATES[i - 1]!;
  return [` ${Math.floor(m / period)}/${name}`, (m / SCALE) * 1000];
}

const UNITS: readonly (readonly [string, number])[] = [
  ['m', 1024 * 1024],
  ['k', 1024],
  ['', 1],
];

/** print_bytes: ` Nkb/s [PREFIXburst Nkb]` and the quantum. */
function bytesText(avg: number, burst: number, prefix: string): [string, number] {
  let r = costToBytes(avg);
  let i = 0;
  for (; i < UNITS.length - 1; i++) {
    const t = UNITS[i]![1];
    if (r >= t && bytesToCost(r - (r % t)) === avg) break;
  }
  let s = ` ${Math.floor(r / UNITS[i]![1])}${UNITS[i]![0]}b/s`;
  if (burst === 0) return [s, BYTE_EXPIRE * 1000];
  r *= burst;
  for (i = 0; i < UNITS.length - 1; i++) if (r >= UNITS[i]![1]) break;
  s += ` ${prefix}burst ${Math.floor(r / UNITS[i]![1])}${UNITS[i]![0]}b`;
  return [s, BYTE_EXPIRE_BURST * 1000];
}

function modeText(mode: number, sep: string): string {
  const names: string[] = [];
  if ((mode & MODE.SIP) !== 0) names.push('srcip');
  if ((mode & MODE.SPT) !== 0) names.push('srcport');
  if ((mode & MODE.DIP) !== 0) names.push('dstip');
  if ((mode & MODE.DPT) !== 0) names.push('dstport');
  return ` ${names.join(sep)}`;
}

function maskWord(w: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return w >>> 0;
  return (w & (0xffffffff << (32 - bits))) >>> 0;
}

export class HashlimitMatch implements Match {
  readonly name = 'hashlimit';
  constructor(
    readonly family: Family,
    readonly tableName: string,
    readonly cfg: Readonly<Cfg>,
    private readonly table: HashTable,
  ) {}

  private readonly keyWords = new Uint32Array(10);

  /** Writes the bucket key into keyWords; its length, or -1 when the ports cannot be read. */
  private key(ctx: PacketContext): number {
    const c = this.table.cfg;
    const pkt = ctx.pkt;
    const k = this.keyWords;
    let n = 0;
    const words = this.family === 4 ? 1 : 4;
    if ((c.mode & MODE.DIP) !== 0) for (let i = 0; i < words; i++) k[n++] = maskWord(pkt.dst[i]!, c.dstmask - 32 * i);
    if ((c.mode & MODE.SIP) !== 0) for (let i = 0; i < words; i++) k[n++] = maskWord(pkt.src[i]!, c.srcmask - 32 * i);
    if ((c.mode & (MODE.SPT | MODE.DPT)) !== 0) {
      const p = pkt.proto;
      const hasPorts = p === 6 || p === 17 || p === 136 || p === 132 || p === 33;
      if (hasPorts && (pkt.l4Off < 0 || pkt.l4Len < 4)) return -1;
      k[n++] = (c.mode & MODE.SPT) !== 0 && hasPorts ? pkt.sport : 0;
      k[n++] = (c.mode & MODE.DPT) !== 0 && hasPorts ? pkt.dport : 0;
    }
    return n;
  }

  private init(jif: number): Bucket {
    const c = this.table.cfg;
    const b: Bucket = {
      expires: jif + Math.ceil((c.expire * HZ) / 1000),
      prev: jif,
      credit: 0,
      creditCap: 0,
      cost: 0,
      credit64: 0n,
      creditCap64: 0n,
      cost64: 0n,
      rate: 0,
      burst: 0,
      interval: 0,
      currentRate: 0,
      prevWindow: false,
    };
    if ((c.mode & MODE.RATE_MATCH) !== 0) {
      if ((c.mode & MODE.BYTES) !== 0) {
        const r = c.avg !== 0 ? Math.floor(U32_MAX / c.avg) : U32_MAX;
        b.rate = (r - 1) * 2 ** BYTE_SHIFT;
        b.burst = c.burst !== 0 ? c.burst * b.rate : b.rate;
      } else {
        b.rate = Math.floor(SCALE / c.avg);
        b.burst = c.burst + b.rate;
      }
      b.interval = c.interval;
    } else if ((c.mode & MODE.BYTES) !== 0) {
      b.credit = CPJ_BYTES * HZ;
      b.cost = user2creditsByte(c.avg);
      b.creditCap = c.burst;
    } else {
      b.credit64 = user2credits64((BigInt(c.avg) * BigInt(c.burst)) & U64);
      b.cost64 = user2credits64(BigInt(c.avg));
      b.creditCap64 = b.credit64;
    }
    return b;
  }

  private recalc(b: Bucket, jif: number): void {
    const c = this.table.cfg;
    const delta = jif - b.prev;
    if (delta === 0) return;
    if ((c.mode & MODE.RATE_MATCH) !== 0) {
      const interval = b.interval * HZ;
      if (delta < interval) return;
      b.prev = jif;
      b.prevWindow = b.currentRate * interval > delta * b.rate;
      b.currentRate = 0;
      return;
    }
    b.prev = jif;
    let cap: number;
    if ((c.mode & MODE.BYTES) !== 0) {
      b.credit += CPJ_BYTES * delta;
      cap = CPJ_BYTES * HZ;
    } else {
      b.credit64 = (b.credit64 + BigInt(delta) * BigInt(CPJ)) & U64;
      if (b.credit64 > b.creditCap64) b.credit64 = b.creditCap64;
      return;
    }
    if (b.credit > cap) b.credit = cap;
  }

  match(ctx: PacketContext): boolean {
    const n = this.key(ctx);
    if (n < 0) {
      ctx.hotdrop = true;
      return false;
    }
    const jif = jiffiesAt(ctx.now);
    const c = this.table.cfg;
    let b = this.table.buckets.get(this.keyWords, n);
    if (b === undefined || jif >= b.expires + Math.ceil((c.gcInterval * HZ) / 1000)) {
      if (b === undefined && c.max !== 0 && this.table.buckets.size >= c.max) {
        ctx.hotdrop = true;
        return false;
      }
      b = this.init(jif);
      this.table.buckets.set(this.keyWords, n, b);
    } else {
      b.expires = jif + Math.ceil((c.expire * HZ) / 1000);
      this.recalc(b, jif);
    }
    const invert = (this.cfg.mode & MODE.INVERT) !== 0;
    if ((this.cfg.mode & MODE.RATE_MATCH) !== 0) {
      b.currentRate += (this.cfg.mode & MODE.BYTES) !== 0 ? ctx.pkt.ipTotalLen : 1;
      return !b.prevWindow && b.currentRate <= b.burst ? !invert : invert;
    }
    let cost: number;
    if ((this.cfg.mode & MODE.BYTES) !== 0) {
      cost = ((ctx.pkt.ipTotalLen >>> BYTE_SHIFT) + 1) * b.cost;
      if (cost > CPJ_BYTES * HZ) cost = CPJ_BYTES * HZ;
      if (b.credit < cost && b.creditCap > 0) {
        b.creditCap--;
        b.credit = CPJ_BYTES * HZ;
      }
    } else {
      if (b.credit64 >= b.cost64) {
        b.credit64 -= b.cost64;
        return !invert;
      }
      return invert;
    }
    if (b.credit >= cost) {
      b.credit -= cost;
      return !invert;
    }
    return invert;
  }

  private text(save: boolean): string {
    const c = this.cfg;
    const dmask = this.family === 4 ? 32 : 128;
    const p = save ? '--hashlimit-' : '';
    let s = (c.mode & MODE.INVERT) !== 0 ? (save ? ' --hashlimit-above' : ' limit: above') : save ? ' --hashlimit-upto' : ' limit: up to';
    let quantum: number;
    if ((c.mode & MODE.BYTES) !== 0) {
      const [t, q] = bytesText(c.avg, c.burst, p);
      s += t;
      quantum = q;
    } else {
      const period = !save && (c.mode & MODE.RATE_MATCH) !== 0 && c.interval !== 0 ? c.avg * c.interval : c.avg;
      const [t, q] = rateText(period);
      s += t;
      quantum = q;
      s += ` ${p}burst ${c.burst}`;
    }
    if ((c.mode & (MODE.SIP | MODE.SPT | MODE.DIP | MODE.DPT)) !== 0) s += ` ${p}mode${modeText(c.mode, save ? ',' : '-')}`;
    if (save) s += ` --hashlimit-name ${this.tableName}`;
    const hp = save ? '--hashlimit-htable-' : 'htable-';
    if (c.size !== 0) s += ` ${hp}size ${c.size}`;
    if (c.max !== 0) s += ` ${hp}max ${c.max}`;
    if (c.gcInterval !== GC_DEFAULT) s += ` ${hp}gcinterval ${c.gcInterval}`;
    if (c.expire !== quantum) s += ` ${hp}expire ${c.expire}`;
    if (c.srcmask !== dmask) s += ` ${p}srcmask ${c.srcmask}`;
    if (c.dstmask !== dmask) s += ` ${p}dstmask ${c.dstmask}`;
    if ((c.mode & MODE.RATE_MATCH) !== 0) {
      s += ` ${p}rate-match`;
      if (c.interval !== 1) s += ` ${p}rate-interval ${c.interval}`;
    }
    return s;
  }

  save(): string {
    return `-m hashlimit${this.text(true)}`;
  }

  list(): string {
    return this.text(false);
  }
}

class HashlimitParser implements ExtParser<Match> {
  private readonly cfg: Cfg;
  private readonly seen = new Set<string>();
  private mult = 1;
  private name: string | null = null;

  constructor(private readonly family: Family) {
    const full = family === 4 ? 32 : 128;
    this.cfg = { mode: 0, avg: 0, burst: BURST_DEFAULT, size: 0, max: 0, gcInterval: GC_DEFAULT, expire: 0, srcmask: full, dstmask: full, interval: 0 };
  }

  private parseRate(arg: string, opt: string): void {
    const b = /^(\d+)([kmKM]?)b\/s$/.exec(arg);
    if (b !== null && Number(b[1]) !== 0) {
      const bytes = Number(b[1]) * factor(b[2]!.toLowerCase());
      const cost = bytesToCost(bytes);
      if (cost === 0) fail(`Rate too high "${arg}"`);
      this.cfg.avg = cost;
      this.cfg.mode |= MODE.BYTES;
      this.mult = BYTE_EXPIRE;
      return;
    }
    const slash = arg.indexOf('/');
    let mult = 1;
    if (slash >= 0) {
      const unit = arg.slice(slash + 1).toLowerCase();
      const u = (
        [
          ['second', 1],
          ['minute', 60],
          ['hour', 3600],
          ['day', 86400],
        ] as const
      ).find(([n]) => unit !== '' && n.startsWith(unit));
      if (u === undefined) badValue('hashlimit', opt, arg);
      mult = u[1];
    }
    const r = Number(/^\s*\d*/.exec(arg)![0].trim() || '0');
    if (r === 0) badValue('hashlimit', opt, arg);
    const avg = Math.floor((SCALE * mult) / r);
    if (avg === 0) fail(`Rate too fast "${arg}"`);
    this.cfg.avg = avg;
    this.mult = mult;
  }

  option(name: string, arg: string, invert: boolean): void {
    const c = this.cfg;
    const canonical = name === 'hashlimit' ? 'hashlimit-upto' : name;
    if ((canonical === 'hashlimit-upto' && this.seen.has('hashlimit-above')) || (canonical === 'hashlimit-above' && this.seen.has('hashlimit-upto'))) {
      fail(`hashlimit: option "--${name}" cannot be used together with "--${canonical === 'hashlimit-upto' ? 'hashlimit-above' : 'hashlimit-upto'}".`);
    }
    this.seen.add(canonical);
    switch (canonical) {
      case 'hashlimit-upto':
      case 'hashlimit-above':
        if ((canonical === 'hashlimit-upto') === invert) c.mode |= MODE.INVERT;
        this.parseRate(arg, name);
        return;
      case 'hashlimit-burst': {
        // libxt_hashlimit reads a number and scales it by the first character after it (k, m)
        const v = scanUint(arg);
        const suffix = v === null ? '' : arg.slice(v.end);
        if (v === null || v.value < 1 || (suffix === '' && v.value > BURST_MAX)) {
          fail(`bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX}).`);
        }
        c.burst = v.value * factor(suffix[0]);
        return;
      }
      case 'hashlimit-mode':
        for (const tok of arg.split(/[,|]/).filter((t) => t !== '')) {
          const bit = ({ dstip: MODE.DIP, srcip: MODE.SIP, srcport: MODE.SPT, dstport: MODE.DPT } as Record<string, number>)[tok];
          if (bit === undefined) badValue('hashlimit', name, arg);
          c.mode |= bit;
        }
        return;
      case 'hashlimit-srcmask':
      case 'hashlimit-dstmask': {
        const full = this.family === 4 ? 32 : 128;
        const bits = parseUint(arg, 0, full);
        if (bits === null) fail(`hashlimit: bad value for option "--${name}", neither a valid network mask nor valid CIDR (0-${full}).`);
        if (canonical === 'hashlimit-srcmask') c.srcmask = bits;
        else c.dstmask = bits;
        return;
      }
      case 'hashlimit-name':
        if (arg.length < 1) fail('Argument must have a minimum length of 1 characters');
        if (arg.length > 255 || arg.includes('/')) fail(`hashlimit: name "${arg}" is not a valid /proc file name`);
        this.name = arg;
        return;
      case 'hashlimit-htable-size':
        c.size = uintOption(arg, 'hashlimit', name, 0, U32_MAX);
        return;
      case 'hashlimit-htable-max':
        c.max = uintOption(arg, 'hashlimit', name, 0, U32_MAX);
        return;
      case 'hashlimit-htable-gcinterval':
        c.gcInterval = uintOption(arg, 'hashlimit', name, 0, U32_MAX);
        return;
      case 'hashlimit-htable-expire':
        c.expire = uintOption(arg, 'hashlimit', name, 0, U32_MAX);
        return;
      case 'hashlimit-rate-match':
        c.mode |= MODE.RATE_MATCH;
        return;
      case 'hashlimit-rate-interval': {
        const n = Number(/^\s*[+-]?\d*/.exec(arg)![0].trim() || '0');
        if (!(n > 0)) badValue('hashlimit', name, arg);
        c.interval = n;
        return;
      }
      default:
        fail(`hashlimit: unexpected option --${name}`);
    }
  }

  finish(cx: ExtContext): Match {
    const c = { ...this.cfg };
    if (!this.seen.has('hashlimit-upto') && !this.seen.has('hashlimit-above')) fail('You have to specify --hashlimit');
    if (this.name === null) fail('hashlimit: option "--hashlimit-name" must be specified');
    if (!this.seen.has('hashlimit-htable-expire')) c.expire = this.mult * 1000;
    if ((c.mode & MODE.BYTES) !== 0) {
      let burst = 0;
      if (this.seen.has('hashlimit-burst')) {
        const unit = costToBytes(c.avg);
        if (c.burst < unit) fail(`burst cannot be smaller than ${unit}b`);
        burst = Math.floor(c.burst / unit) + (c.burst % unit !== 0 ? 1 : 0);
        if (!this.seen.has('hashlimit-htable-expire')) c.expire = BYTE_EXPIRE_BURST * 1000;
      }
      c.burst = burst;
    }
    if ((c.mode & MODE.RATE_MATCH) !== 0) {
      if ((c.mode & MODE.BYTES) === 0) c.avg = Math.floor(c.avg / this.mult);
      if (c.interval === 0) c.interval = (c.mode & MODE.BYTES) !== 0 ? 1 : this.mult;
    }
    if (c.gcInterval === 0 || c.expire === 0) fail('hashlimit: htable gcinterval and expire must not be 0 (the kernel refuses it)');
    if ((c.mode & MODE.RATE_MATCH) === 0 && (c.mode & MODE.BYTES) !== 0 && user2creditsByte(c.avg) === 0) fail(`hashlimit: overflow, rate too high: ${c.avg} (the kernel refuses it)`);
    // hashlimit_mt_check_common: the credit of a full burst must not wrap below one packet's cost.
    if ((c.mode & (MODE.RATE_MATCH | MODE.BYTES)) === 0 && (c.burst === 0 || user2credits64((BigInt(c.avg) * BigInt(c.burst)) & U64) < user2credits64(BigInt(c.avg)))) fail(`hashlimit: overflow, try lower: ${c.avg}/${c.burst} (the kernel refuses it)`);
    const table = sharedTable(cx.shared, this.name, cx.family, c);
    return new HashlimitMatch(cx.family, this.name, c, table);
  }
}

function sharedTable(shared: SharedState, name: string, family: Family, cfg: Cfg): HashTable {
  return shared.get(`hashlimit:${family}:${name}`, () => new HashTable(cfg));
}

export const hashlimitMatch: MatchExtension = {
  name: 'hashlimit',
  options: [
    { name: 'hashlimit-upto', arg: true, invert: true },
    { name: 'hashlimit-above', arg: true, invert: true },
    { name: 'hashlimit', arg: true, invert: true, canonical: 'hashlimit-upto' },
    { name: 'hashlimit-srcmask', arg: true },
    { name: 'hashlimit-dstmask', arg: true },
    { name: 'hashlimit-burst', arg: true },
    { name: 'hashlimit-htable-size', arg: true },
    { name: 'hashlimit-htable-max', arg: true },
    { name: 'hashlimit-htable-gcinterval', arg: true },
    { name: 'hashlimit-htable-expire', arg: true },
    { name: 'hashlimit-mode', arg: true },
    { name: 'hashlimit-name', arg: true },
    { name: 'hashlimit-rate-match', arg: false },
    { name: 'hashlimit-rate-interval', arg: true },
  ],
  create: (cx) => new HashlimitParser(cx.family),
};
