/**
 * IP sets for `-m set`, loaded from `ipset save` text (`create NAME TYPE [options]` and
 * `add NAME ELEMENT [options]` lines, `#` comments).
 *
 * Types: hash:ip, hash:net, hash:ip,port, hash:net,port, hash:ip,port,ip, hash:ip,port,net,
 * hash:net,net, bitmap:ip, bitmap:port and list:set. Elements keep `nomatch` (net types) and
 * `timeout` (seconds from the load time given to `load`); counters and comments given on `add`
 * lines are read and kept. A lookup takes the packet's address or port per dimension (`src` or
 * `dst`) as the kernel's kadt functions do: ports of TCP, UDP, UDP-Lite and SCTP, ICMP/ICMPv6
 * type and code as the "port" of icmp:TYPE/CODE, port 0 for other protocols; a packet that is a
 * later fragment has no port and matches no port type. Net types try every prefix length present,
 * most specific first.
 *
 * Lookups allocate nothing: keys are written into a scratch word array and found in buckets
 * indexed by a numeric hash.
 */
import type { PacketView } from '../packet/view.js';
import { Proto } from '../packet/view.js';
import { RuleSyntaxError, RulesetError, fail } from './errors.js';
import {
  applyMask,
  maskToPrefix,
  parseAddr,
  parseMaskText,
  parseUint,
  portValue,
  prefixMask,
  type Family,
} from './values.js';

/** What a set lookup found. */
export const SetTest = { NO: 0, MATCH: 1, NOMATCH: 2 } as const;
export type SetTest = (typeof SetTest)[keyof typeof SetTest];

export interface IpSet {
  readonly name: string;
  readonly type: string;
  /** 4 or 6; 0 for family-less types (bitmap:port, list:set). */
  readonly family: Family | 0;
  /** Number of dimensions an element has (src/dst flags the match may give). */
  readonly dims: number;
  /**
   * Looks the packet up; `dirs` bit i set = dimension i+1 takes the source (else destination).
   * `now` expires timed-out elements.
   */
  test(pkt: PacketView, dirs: number, now: number): SetTest;
  /**
   * -j SET: add the packet's element (`dirs` as for `test`; addresses as host entries) or delete
   * it. `timeout` (seconds) overrides the set's default for an add; `exist` refreshes an element
   * already there. What the kernel refuses (full set, wrong family, out of range) changes nothing.
   */
  update(pkt: PacketView, dirs: number, op: 'add' | 'del', now: number, timeout: number | null, exist: boolean): void;
}

/** Absolute expiry of an element added at `now`: the given timeout, else the set's default (0 = never). */
function expiryOf(now: number, timeout: number | null, defaultTimeout: number): number {
  const t = timeout ?? defaultTimeout;
  return t > 0 ? now + t : Infinity;
}

type Dim = 'ip' | 'net' | 'port';

const HASH_TYPES: Readonly<Record<string, readonly Dim[]>> = {
  'hash:ip': ['ip'],
  'hash:net': ['net'],
  'hash:ip,port': ['ip', 'port'],
  'hash:net,port': ['net', 'port'],
  'hash:ip,port,ip': ['ip', 'port', 'ip'],
  'hash:ip,port,net': ['ip', 'port', 'net'],
  'hash:net,net': ['net', 'net'],
};

/** Words a dimension takes in a key. */
function dimWords(d: Dim): number {
  return d === 'port' ? 1 : 4;
}

interface Element {
  readonly key: Uint32Array;
  /** Prefix length per dimension (addresses); 0 for ports. */
  readonly cidrs: Uint8Array;
  nomatch: boolean;
  expires: number;
  packets: number;
  bytes: number;
  comment: string | null;
}

/** Extracted per-packet values of one dimension. */
function packetAddr(pkt: PacketView, src: boolean): Uint32Array {
  return src ? pkt.src : pkt.dst;
}

/** Protocol << 16 | port of the packet for port dimensions, -1 when it has none. */
function packetPort(pkt: PacketView, src: boolean): number {
  if (pkt.isFragment && pkt.fragOffset !== 0) return -1;
  if (pkt.l4Off < 0) return -1;
  const p = pkt.proto;
  switch (p) {
    case Proto.TCP:
    case Proto.UDP:
    case Proto.UDPLITE:
    case Proto.SCTP:
      return (p << 16) | (src ? pkt.sport : pkt.dport);
    case Proto.ICMP:
    case Proto.ICMPV6:
      if (pkt.icmpType < 0) return -1;
      return (p << 16) | (pkt.icmpType << 8) | pkt.icmpCode;
    default:
      return p << 16;
  }
}

function hashWords(w: Uint32Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ w[i]!, 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

class HashSet implements IpSet {
  readonly dims: number;
  private readonly width: number;
  private readonly buckets = new Map<number, Element[]>();
  /** Prefix lengths present per dimension (net dimensions), most specific first. */
  private readonly cidrLists: number[][];
  private readonly scratch: Uint32Array;
  private readonly masks: Uint32Array[][];
  count = 0;

  constructor(
    readonly name: string,
    readonly type: string,
    readonly family: Family,
    readonly layout: readonly Dim[],
    readonly maxelem: number,
    readonly defaultTimeout: number,
  ) {
    this.dims = layout.length;
    this.width = layout.reduce((n, d) => n + dimWords(d), 0);
    this.scratch = new Uint32Array(this.width);
    this.cidrLists = layout.map(() => []);
    const full = family === 4 ? 32 : 128;
    this.masks = layout.map(() => Array.from({ length: full + 1 }, (_, b) => prefixMask(family, b)));
  }

  add(el: Element): void {
    const existing = this.find(el.key, el.cidrs);
    if (existing !== null) fail(`Element cannot be added to the set: it's already added`);
    if (this.count >= this.maxelem) fail(`Hash is full, cannot add more elements`);
    const h = hashWords(el.key, this.width) ^ hashCidrs(el.cidrs);
    const list = this.buckets.get(h);
    if (list) list.push(el);
    else this.buckets.set(h, [el]);
    this.count++;
    this.layout.forEach((d, i) => {
      if (d !== 'net') return;
      const l = this.cidrLists[i]!;
      if (!l.includes(el.cidrs[i]!)) {
        l.push(el.cidrs[i]!);
        l.sort((a, b) => b - a);
      }
    });
  }

  private find(key: Uint32Array, cidrs: Uint8Array): Element | null {
    const list = this.buckets.get(hashWords(key, this.width) ^ hashCidrs(cidrs));
    if (!list) return null;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (sameWords(e.key, key, this.width) && sameWords(e.cidrs, cidrs, cidrs.length)) return e;
    }
    return null;
  }

  private readonly cidrScratch = new Uint8Array(3);

  test(pkt: PacketView, dirs: number, now: number): SetTest {
    // fill the unmasked key
    let off = 0;
    for (let i = 0; i < this.layout.length; i++) {
      const src = (dirs & (1 << i)) !== 0;
      if (this.layout[i] === 'port') {
        const p = packetPort(pkt, src);
        if (p < 0) return SetTest.NO;
        this.scratch[off++] = p;
      } else {
        const a = packetAddr(pkt, src);
        for (let w = 0; w < 4; w++) this.scratch[off++] = a[w]!;
      }
    }
    return this.probe(0, pkt, dirs, now);
  }

  /** Tries every prefix combination of net dimensions from dimension `dim` on. */
  private probe(dim: number, pkt: PacketView, dirs: number, now: number): SetTest {
    if (dim === this.layout.length) {
      const cidrs = this.cidrScratch.subarray(0, this.layout.length);
      const e = this.find(this.scratch, cidrs);
      if (e === null || e.expires <= now) return SetTest.NO;
      return e.nomatch ? SetTest.NOMATCH : SetTest.MATCH;
    }
    const kind = this.layout[dim]!;
    const off = this.offsetOf(dim);
    if (kind === 'port') {
      this.cidrScratch[dim] = 0;
      return this.probe(dim + 1, pkt, dirs, now);
    }
    const full = this.family === 4 ? 32 : 128;
    const src = (dirs & (1 << dim)) !== 0;
    const a = packetAddr(pkt, src);
    if (kind === 'ip') {
      this.cidrScratch[dim] = full;
      for (let w = 0; w < 4; w++) this.scratch[off + w] = a[w]!;
      return this.probe(dim + 1, pkt, dirs, now);
    }
    const list = this.cidrLists[dim]!;
    for (let c = 0; c < list.length; c++) {
      const bits = list[c]!;
      const m = this.masks[dim]![bits]!;
      for (let w = 0; w < 4; w++) this.scratch[off + w] = (a[w]! & m[w]!) >>> 0;
      this.cidrScratch[dim] = bits;
      const r = this.probe(dim + 1, pkt, dirs, now);
      if (r !== SetTest.NO) return r;
    }
    return SetTest.NO;
  }

  private offsetOf(dim: number): number {
    let off = 0;
    for (let i = 0; i < dim; i++) off += dimWords(this.layout[i]!);
    return off;
  }

  update(pkt: PacketView, dirs: number, op: 'add' | 'del', now: number, timeout: number | null, exist: boolean): void {
    if (pkt.family !== this.family) return;
    const key = new Uint32Array(this.width);
    const cidrs = new Uint8Array(this.layout.length);
    const full = this.family === 4 ? 32 : 128;
    let off = 0;
    for (let i = 0; i < this.layout.length; i++) {
      const src = (dirs & (1 << i)) !== 0;
      if (this.layout[i] === 'port') {
        const p = packetPort(pkt, src);
        if (p < 0) return;
        key[off++] = p;
      } else {
        const a = packetAddr(pkt, src);
        for (let w = 0; w < 4; w++) key[off++] = a[w]!;
        cidrs[i] = full;
      }
    }
    const found = this.find(key, cidrs);
    if (op === 'del') {
      if (found !== null) this.remove(found);
      return;
    }
    if (found !== null) {
      if (exist && found.expires > now) found.expires = expiryOf(now, timeout, this.defaultTimeout);
      else if (found.expires <= now) found.expires = expiryOf(now, timeout, this.defaultTimeout);
      return;
    }
    if (this.count >= this.maxelem) return;
    this.add({ key, cidrs, nomatch: false, expires: expiryOf(now, timeout, this.defaultTimeout), packets: 0, bytes: 0, comment: null });
  }

  private remove(el: Element): void {
    const h = hashWords(el.key, this.width) ^ hashCidrs(el.cidrs);
    const list = this.buckets.get(h)!;
    list.splice(list.indexOf(el), 1);
    if (list.length === 0) this.buckets.delete(h);
    this.count--;
  }
}

function hashCidrs(c: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < c.length; i++) h = (h * 131 + c[i]!) >>> 0;
  return Math.imul(h, 0x9e3779b1) >>> 0;
}

function sameWords(a: ArrayLike<number>, b: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** bitmap:ip (IPv4 range) and bitmap:port (port range): one expiry per slot, NaN = absent. */
class BitmapSet implements IpSet {
  readonly dims = 1;
  private readonly expires: Float64Array;

  constructor(
    readonly name: string,
    readonly type: 'bitmap:ip' | 'bitmap:port',
    readonly family: Family | 0,
    readonly first: number,
    readonly last: number,
    /** bitmap:ip netmask: addresses are grouped by this prefix. */
    readonly shift: number,
    readonly defaultTimeout: number,
  ) {
    this.expires = new Float64Array(((last - first) >>> shift) + 1).fill(NaN);
  }

  slot(value: number): number {
    if (value < this.first || value > this.last) return -1;
    return (value - this.first) >>> this.shift;
  }

  add(value: number, expires: number): void {
    const s = this.slot(value);
    if (s < 0) fail(`Element is out of the range of the set`);
    if (!Number.isNaN(this.expires[s]!)) fail(`Element cannot be added to the set: it's already added`);
    this.expires[s] = expires;
  }

  /** The packet's slot, -1 when it has none in this set. */
  private packetSlot(pkt: PacketView, dirs: number): number {
    const src = (dirs & 1) !== 0;
    let value: number;
    if (this.type === 'bitmap:ip') {
      if (pkt.family !== 4) return -1;
      value = packetAddr(pkt, src)[0]! >>> 0;
    } else {
      const p = packetPort(pkt, src);
      if (p < 0) return -1;
      const proto = p >>> 16;
      if (proto !== Proto.TCP && proto !== Proto.UDP) return -1;
      value = p & 0xffff;
    }
    return this.slot(value);
  }

  test(pkt: PacketView, dirs: number, now: number): SetTest {
    const s = this.packetSlot(pkt, dirs);
    if (s < 0) return SetTest.NO;
    const e = this.expires[s]!;
    return !Number.isNaN(e) && e > now ? SetTest.MATCH : SetTest.NO;
  }

  update(pkt: PacketView, dirs: number, op: 'add' | 'del', now: number, timeout: number | null, exist: boolean): void {
    const s = this.packetSlot(pkt, dirs);
    if (s < 0) return;
    const e = this.expires[s]!;
    if (op === 'del') this.expires[s] = NaN;
    else if (Number.isNaN(e) || e <= now || exist) this.expires[s] = expiryOf(now, timeout, this.defaultTimeout);
  }
}

/** list:set: the first member set that matches decides. */
class ListSet implements IpSet {
  readonly family = 0;
  readonly type = 'list:set';
  readonly members: { set: IpSet; expires: number }[] = [];
  constructor(
    readonly name: string,
    readonly size: number,
    readonly defaultTimeout: number,
  ) {}
  get dims(): number {
    return Math.max(1, ...this.members.map((m) => m.set.dims));
  }
  /** list:set: an add goes to the first member of the packet's family, a delete to every member. */
  update(pkt: PacketView, dirs: number, op: 'add' | 'del', now: number, timeout: number | null, exist: boolean): void {
    for (const m of this.members) {
      if (m.expires <= now || (m.set.family !== 0 && m.set.family !== pkt.family)) continue;
      m.set.update(pkt, dirs, op, now, timeout, exist);
      if (op === 'add') return;
    }
  }

  test(pkt: PacketView, dirs: number, now: number): SetTest {
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i]!;
      if (m.expires <= now) continue;
      if (m.set.family !== 0 && m.set.family !== pkt.family) continue;
      const r = m.set.test(pkt, dirs, now);
      if (r !== SetTest.NO) return r;
    }
    return SetTest.NO;
  }
}

// ------------------------------------------------------------------------------------------------
// loading

/** The sets of a ruleset, by name. */
export class IpsetRegistry {
  private readonly sets = new Map<string, IpSet>();

  get(name: string): IpSet | undefined {
    return this.sets.get(name);
  }

  names(): string[] {
    return [...this.sets.keys()];
  }

  /**
   * Loads `ipset save` text; element timeouts count from `now` (virtual seconds). Throws
   * RulesetError with the file, line and column of what could not be read.
   */
  load(text: string, options: { file?: string; now?: number } = {}): void {
    const file = options.file ?? '<ipset>';
    const now = options.now ?? 0;
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      const words = splitWords(line);
      try {
        this.command(words, now);
      } catch (e) {
        if (e instanceof SetLineError) throw new RulesetError(file, i + 1, e.column, e.message);
        if (e instanceof RuleSyntaxError) throw new RulesetError(file, i + 1, words[0]?.column ?? 1, e.message);
        throw e;
      }
    });
  }

  private command(words: Word[], now: number): void {
    const cmd = words[0]!;
    const nameW = words[1];
    if (nameW === undefined) throw new SetLineError(cmd.column, `${cmd.text}: set name missing`);
    switch (cmd.text) {
      case 'create':
      case '-N':
        if (this.sets.has(nameW.text)) throw new SetLineError(nameW.column, `Set cannot be created: set with the same name already exists`);
        this.sets.set(nameW.text, createSet(nameW.text, words.slice(2), nameW));
        return;
      case 'add':
      case '-A': {
        const set = this.sets.get(nameW.text);
        if (set === undefined) throw new SetLineError(nameW.column, `The set with the given name does not exist`);
        const el = words[2];
        if (el === undefined) throw new SetLineError(nameW.column, `add: element missing`);
        this.addElement(set, el, words.slice(3), now);
        return;
      }
      default:
        throw new SetLineError(cmd.column, `unknown ipset command "${cmd.text}" (create or add expected)`);
    }
  }

  private addElement(set: IpSet, el: Word, opts: Word[], now: number): void {
    const o = parseAddOptions(opts, set);
    const timeout = o.timeout ?? defaultTimeoutOf(set);
    const expires = timeout > 0 ? now + timeout : Infinity;
    withColumn(el.column, () => {
      if (set instanceof HashSet) {
        for (const e of hashElements(set, el.text)) {
          e.nomatch = o.nomatch;
          e.expires = expires;
          e.packets = o.packets;
          e.bytes = o.bytes;
          e.comment = o.comment;
          set.add(e);
        }
      } else if (set instanceof BitmapSet) {
        for (const v of bitmapValues(set, el.text)) set.add(v, expires);
      } else if (set instanceof ListSet) {
        const member = this.sets.get(el.text);
        if (member === undefined) fail(`Set to be added/deleted/tested as element does not exist`);
        if (set.members.length >= set.size) fail(`list:set is full (size ${set.size})`);
        set.members.push({ set: member, expires });
      }
    });
  }
}

class SetLineError extends Error {
  constructor(
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

function withColumn(column: number, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof RuleSyntaxError) throw new SetLineError(column, e.message);
    throw e;
  }
}

interface Word {
  readonly text: string;
  readonly column: number;
}

function splitWords(line: string): Word[] {
  const out: Word[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    out.push({ text: m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!, column: m.index + 1 });
  }
  return out;
}

function defaultTimeoutOf(set: IpSet): number {
  return set instanceof HashSet || set instanceof BitmapSet || set instanceof ListSet ? set.defaultTimeout : 0;
}

/** Options of `create` that only size the kernel's tables. */
const SIZING_OPTIONS = new Set(['hashsize', 'maxelem', 'bucketsize', 'initval', 'size', 'probes', 'resize']);
const FLAG_OPTIONS = new Set(['counters', 'comment', 'skbinfo', 'forceadd']);

function createSet(name: string, words: Word[], nameW: Word): IpSet {
  const typeW = words[0];
  if (typeW === undefined) throw new SetLineError(nameW.column, 'create: set type missing');
  const type = typeW.text;
  let family: Family = 4;
  let maxelem = 65536;
  let timeout = 0;
  let range: Word | null = null;
  let netmask: Word | null = null;
  let size = 8;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const value = (): Word => {
      const v = words[++i];
      if (v === undefined) throw new SetLineError(w.column, `create: option "${w.text}" needs a value`);
      return v;
    };
    switch (w.text) {
      case 'family': {
        const v = value();
        if (v.text === 'inet' || v.text === 'ipv4') family = 4;
        else if (v.text === 'inet6' || v.text === 'ipv6') family = 6;
        else throw new SetLineError(v.column, `unknown family "${v.text}" (inet or inet6)`);
        break;
      }
      case 'timeout':
        timeout = wordUint(value(), 0, 2147483);
        break;
      case 'range':
        range = value();
        break;
      case 'netmask':
        netmask = value();
        break;
      case 'maxelem':
        maxelem = wordUint(value(), 1, 0xffffffff);
        break;
      case 'size':
        size = wordUint(value(), 1, 0xffffffff);
        break;
      default:
        if (SIZING_OPTIONS.has(w.text)) value();
        else if (!FLAG_OPTIONS.has(w.text)) throw new SetLineError(w.column, `create: unknown option "${w.text}" for ${type}`);
    }
  }
  const layout = HASH_TYPES[type];
  if (layout !== undefined) {
    if (range !== null) throw new SetLineError(range.column, `${type} has no "range" option`);
    if (netmask !== null) throw new SetLineError(netmask.column, `netmask is not supported by ctkit for ${type}`);
    return new HashSet(name, type, family, layout, maxelem, timeout);
  }
  if (type === 'bitmap:ip' || type === 'bitmap:port') {
    if (range === null) throw new SetLineError(typeW.column, `${type} requires "range"`);
    return bitmapSet(name, type, range, netmask, timeout);
  }
  if (type === 'list:set') return new ListSet(name, size, timeout);
  throw new SetLineError(typeW.column, `set type "${type}" is not implemented by ctkit`);
}

function wordUint(w: Word, min: number, max: number): number {
  const n = parseUint(w.text, min, max);
  if (n === null) throw new SetLineError(w.column, `"${w.text}" is not a number in ${min}..${max}`);
  return n;
}

function bitmapSet(name: string, type: 'bitmap:ip' | 'bitmap:port', range: Word, netmask: Word | null, timeout: number): BitmapSet {
  let first = 0;
  let last = 0;
  withColumn(range.column, () => {
    [first, last] = type === 'bitmap:ip' ? ipv4Range(range.text) : portRangeText(range.text);
  });
  let shift = 0;
  if (netmask !== null) {
    if (type !== 'bitmap:port') shift = 32 - wordUint(netmask, 1, 32);
    else throw new SetLineError(netmask.column, 'bitmap:port has no netmask');
  }
  if (last - first > 65535 * (1 << shift)) throw new SetLineError(range.column, 'Range too big: at most 65536 elements');
  return new BitmapSet(name, type, type === 'bitmap:ip' ? 4 : 0, first, last, shift, timeout);
}

/** `a-b` or `net/bits` IPv4 range as [first, last]. */
function ipv4Range(text: string): [number, number] {
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const a = parseAddr(4, text.slice(0, dash));
    const b = parseAddr(4, text.slice(dash + 1));
    if (a === null || b === null) fail(`invalid IPv4 range "${text}"`);
    if (a[0]! > b[0]!) fail(`invalid IPv4 range "${text}": first above last`);
    return [a[0]!, b[0]!];
  }
  const slash = text.indexOf('/');
  const a = parseAddr(4, slash < 0 ? text : text.slice(0, slash));
  if (a === null) fail(`invalid IPv4 address "${text}"`);
  if (slash < 0) return [a[0]!, a[0]!];
  const m = parseMaskText(4, text.slice(slash + 1));
  const lo = (a[0]! & m[0]!) >>> 0;
  return [lo, (lo | ~m[0]!) >>> 0];
}

function portRangeText(text: string): [number, number] {
  const dash = text.indexOf('-');
  const a = portValue(dash < 0 ? text : text.slice(0, dash), 'tcp');
  const b = dash < 0 ? a : portValue(text.slice(dash + 1), 'tcp');
  if (a === null || b === null) fail(`invalid port range "${text}"`);
  if (a > b) fail(`invalid port range "${text}": first above last`);
  return [a, b];
}

function bitmapValues(set: BitmapSet, text: string): number[] {
  const [a, b] = set.type === 'bitmap:ip' ? ipv4Range(text) : portRangeText(text);
  if (b - a > 65536) fail(`range "${text}" too big`);
  const out: number[] = [];
  for (let v = a; v <= b; v += 1 << set.shift) out.push(v);
  return out;
}

interface AddOptions {
  timeout: number | null;
  nomatch: boolean;
  packets: number;
  bytes: number;
  comment: string | null;
}

function parseAddOptions(words: Word[], set: IpSet): AddOptions {
  const o: AddOptions = { timeout: null, nomatch: false, packets: 0, bytes: 0, comment: null };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const value = (): Word => {
      const v = words[++i];
      if (v === undefined) throw new SetLineError(w.column, `add: option "${w.text}" needs a value`);
      return v;
    };
    switch (w.text) {
      case 'timeout':
        o.timeout = wordUint(value(), 0, 2147483);
        break;
      case 'nomatch':
        if (!set.type.includes('net')) throw new SetLineError(w.column, `${set.type} has no "nomatch" elements`);
        o.nomatch = true;
        break;
      case 'packets':
        o.packets = wordUint(value(), 0, Number.MAX_SAFE_INTEGER);
        break;
      case 'bytes':
        o.bytes = wordUint(value(), 0, Number.MAX_SAFE_INTEGER);
        break;
      case 'comment':
        o.comment = value().text;
        break;
      default:
        throw new SetLineError(w.column, `add: unknown or unsupported element option "${w.text}"`);
    }
  }
  return o;
}

/** Elements an `add` text stands for (ranges and host-type CIDRs expand). */
function hashElements(set: HashSet, text: string): Element[] {
  const parts = text.split(',');
  if (parts.length !== set.layout.length) fail(`element "${text}" does not fit ${set.type} (${set.layout.length} parts)`);
  let combos: { key: number[]; cidrs: number[] }[] = [{ key: [], cidrs: [] }];
  set.layout.forEach((dim, i) => {
    const values = dimValues(set.family, dim, parts[i]!);
    const next: { key: number[]; cidrs: number[] }[] = [];
    for (const c of combos) for (const v of values) next.push({ key: [...c.key, ...v.words], cidrs: [...c.cidrs, v.cidr] });
    if (next.length > 65536) fail(`element "${text}" expands to too many entries`);
    combos = next;
  });
  return combos.map((c) => ({
    key: Uint32Array.from(c.key),
    cidrs: Uint8Array.from(c.cidrs),
    nomatch: false,
    expires: Infinity,
    packets: 0,
    bytes: 0,
    comment: null,
  }));
}

interface DimValue {
  words: number[];
  cidr: number;
}

function dimValues(family: Family, dim: Dim, text: string): DimValue[] {
  if (dim === 'port') return portElements(family, text);
  const full = family === 4 ? 32 : 128;
  const dash = text.indexOf('-');
  if (dash >= 0 && !(family === 6 && text.lastIndexOf(':') > dash)) {
    if (family === 6) fail(`IPv6 ranges are not supported in ${dim} elements`);
    const [lo, hi] = ipv4Range(text);
    return dim === 'ip' ? ipRangeHosts(lo, hi) : rangeToCidrs(lo, hi);
  }
  const slash = text.indexOf('/');
  const addr = parseAddr(family, slash < 0 ? text : text.slice(0, slash));
  if (addr === null) fail(`invalid IPv${family} address "${text}"`);
  const mask = slash < 0 ? prefixMask(family, full) : parseMaskText(family, text.slice(slash + 1));
  const bits = maskToPrefix(family, mask);
  if (bits < 0) fail(`invalid prefix in "${text}"`);
  applyMask(addr, mask);
  if (dim === 'net') {
    if (bits === 0) fail(`a zero prefix length is not allowed in "${text}"`);
    return [{ words: [...addr], cidr: bits }];
  }
  if (bits === full) return [{ words: [...addr], cidr: full }];
  if (family === 6) fail(`IPv6 networks are not supported in hash:ip elements ("${text}")`);
  return ipRangeHosts(addr[0]!, (addr[0]! | ~mask[0]!) >>> 0);
}

function ipRangeHosts(lo: number, hi: number): DimValue[] {
  if (hi - lo > 65535) fail(`range too big`);
  const out: DimValue[] = [];
  for (let a = lo; a <= hi; a++) out.push({ words: [a, 0, 0, 0], cidr: 32 });
  return out;
}

/** The fewest CIDR blocks covering [lo, hi] (how ipset stores a net range). */
function rangeToCidrs(lo: number, hi: number): DimValue[] {
  const out: DimValue[] = [];
  let a = lo;
  while (a <= hi) {
    let bits = 32;
    while (bits > 0) {
      const size = 2 ** (32 - (bits - 1));
      if (a % size !== 0 || a + size - 1 > hi) break;
      bits--;
    }
    out.push({ words: [a, 0, 0, 0], cidr: bits });
    a += 2 ** (32 - bits);
  }
  return out;
}

const PORT_PROTOS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, udplite: 136, sctp: 132, icmp: 1, icmpv6: 58 };

/** ICMP type names ipset accepts (type/code). */
const ICMP_NAMES: Readonly<Record<string, number>> = {
  'echo-reply': 0x0000,
  'pong': 0x0000,
  'network-unreachable': 0x0300,
  'host-unreachable': 0x0301,
  'protocol-unreachable': 0x0302,
  'port-unreachable': 0x0303,
  'fragmentation-needed': 0x0304,
  'source-route-failed': 0x0305,
  'network-unknown': 0x0306,
  'host-unknown': 0x0307,
  'network-prohibited': 0x0309,
  'host-prohibited': 0x030a,
  'TOS-network-unreachable': 0x030b,
  'TOS-host-unreachable': 0x030c,
  'communication-prohibited': 0x030d,
  'host-precedence-violation': 0x030e,
  'precedence-cutoff': 0x030f,
  'source-quench': 0x0400,
  'network-redirect': 0x0500,
  'host-redirect': 0x0501,
  'TOS-network-redirect': 0x0502,
  'TOS-host-redirect': 0x0503,
  'echo-request': 0x0800,
  'ping': 0x0800,
  'router-advertisement': 0x0900,
  'router-solicitation': 0x0a00,
  'ttl-zero-during-transit': 0x0b00,
  'ttl-zero-during-reassembly': 0x0b01,
  'ip-header-bad': 0x0c00,
  'required-option-missing': 0x0c01,
  'timestamp-request': 0x0d00,
  'timestamp-reply': 0x0e00,
  'address-mask-request': 0x1100,
  'address-mask-reply': 0x1200,
};

const ICMPV6_NAMES: Readonly<Record<string, number>> = {
  'no-route': 0x0100,
  'communication-prohibited': 0x0101,
  'address-unreachable': 0x0103,
  'port-unreachable': 0x0104,
  'packet-too-big': 0x0200,
  'ttl-zero-during-transit': 0x0300,
  'ttl-zero-during-reassembly': 0x0301,
  'bad-header': 0x0400,
  'unknown-header-type': 0x0401,
  'unknown-option': 0x0402,
  'echo-request': 0x8000,
  'ping': 0x8000,
  'echo-reply': 0x8100,
  'pong': 0x8100,
};

function portElements(family: Family, text: string): DimValue[] {
  const colon = text.indexOf(':');
  const protoName = colon < 0 ? 'tcp' : text.slice(0, colon);
  const rest = colon < 0 ? text : text.slice(colon + 1);
  const proto = PORT_PROTOS[protoName] ?? parseUint(protoName, 0, 255);
  if (proto === null) fail(`unknown protocol "${protoName}" in "${text}"`);
  if (proto === 1 || proto === 58) {
    if (proto === 1 && family !== 4) fail(`icmp in an IPv6 set ("${text}"): use icmpv6`);
    if (proto === 58 && family !== 6) fail(`icmpv6 in an IPv4 set ("${text}"): use icmp`);
    const names = proto === 1 ? ICMP_NAMES : ICMPV6_NAMES;
    let tc = names[rest];
    if (tc === undefined) {
      const m = /^(\d+)\/(\d+)$/.exec(rest);
      if (m === null || Number(m[1]) > 255 || Number(m[2]) > 255) fail(`invalid ICMP type/code "${rest}"`);
      tc = (Number(m[1]) << 8) | Number(m[2]);
    }
    return [{ words: [(proto << 16) | tc], cidr: 0 }];
  }
  if (proto !== 6 && proto !== 17 && proto !== 132 && proto !== 136) {
    if (rest !== '0') fail(`protocol ${protoName} has no ports: write ${protoName}:0`);
    return [{ words: [proto << 16], cidr: 0 }];
  }
  const dash = rest.indexOf('-');
  const lo = portValue(dash < 0 ? rest : rest.slice(0, dash), protoName);
  const hi = dash < 0 ? lo : portValue(rest.slice(dash + 1), protoName);
  if (lo === null || hi === null || lo > hi) fail(`invalid port or port range "${rest}"`);
  const out: DimValue[] = [];
  for (let p = lo; p <= hi; p++) out.push({ words: [(proto << 16) | p], cidr: 0 });
  return out;
}
