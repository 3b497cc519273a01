/**
 * -m sctp (xt_sctp): [!] --sport / --source-port, [!] --dport / --destination-port (port or
 * range), [!] --chunk-types any|all|only CHUNKS, where CHUNKS is ALL, NONE or a comma list of
 * chunk names, each optionally with flags (`DATA:Be`, upper case = set, lower case = clear).
 * Loaded implicitly by `-p sctp`.
 *
 * The chunks are walked as xt_sctp walks them; a zero-length or truncated chunk header drops the
 * packet (hotdrop), later fragments never match. As in iptables, a chunk's flag requirement is
 * recorded under the chunk's position in iptables' name table, which equals its type for the
 * chunk types 0-14.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { Proto } from '../../packet/view.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { parsePortRange } from '../values.js';
import { requireProto } from './common.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const CHUNKS: readonly (readonly [name: string, type: number, flags: string])[] = [
  ['DATA', 0, '----IUBE'],
  ['INIT', 1, '--------'],
  ['INIT_ACK', 2, '--------'],
  ['SACK', 3, '--------'],
  ['HEARTBEAT', 4, '--------'],
  ['HEARTBEAT_ACK', 5, '--------'],
  ['ABORT', 6, '-------T'],
  ['SHUTDOWN', 7, '--------'],
  ['SHUTDOWN_ACK', 8, '--------'],
  ['ERROR', 9, '--------'],
  ['COOKIE_ECHO', 10, '--------'],
  ['COOKIE_ACK', 11, '--------'],
  ['ECN_ECNE', 12, '--------'],
  ['ECN_CWR', 13, '--------'],
  ['SHUTDOWN_COMPLETE', 14, '-------T'],
  ['I_DATA', 64, '----IUBE'],
  ['RE_CONFIG', 130, '--------'],
  ['PAD', 132, '--------'],
  ['ASCONF', 193, '--------'],
  ['ASCONF_ACK', 128, '--------'],
  ['FORWARD_TSN', 192, '--------'],
  ['I_FORWARD_TSN', 194, '--------'],
];

const MAX_FLAG_INFO = 4;

type ChunkMode = 'any' | 'all' | 'only';

interface FlagInfo {
  chunktype: number;
  flag: number;
  mask: number;
}

interface PortSpec {
  lo: number;
  hi: number;
  invert: boolean;
}

function portsText(name: string, p: PortSpec): string {
  if (p.lo === 0 && p.hi === 65535 && !p.invert) return '';
  const inv = p.invert ? '!' : '';
  return p.lo === p.hi ? ` ${name}:${inv}${p.lo}` : ` ${name}s:${inv}${p.lo}:${p.hi}`;
}

function portsSave(opt: string, p: PortSpec): string {
  return `${p.invert ? ' !' : ''} --${opt} ${p.lo === p.hi ? p.lo : `${p.lo}:${p.hi}`}`;
}

export class SctpMatch implements Match {
  readonly name = 'sctp';
  private readonly scratch = new Uint32Array(8);

  constructor(
    readonly sport: PortSpec | null,
    readonly dport: PortSpec | null,
    readonly mode: ChunkMode | null,
    readonly chunkmap: Uint32Array,
    readonly chunksInvert: boolean,
    readonly flagInfo: readonly FlagInfo[],
  ) {}

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    if (pkt.fragOffset !== 0 || pkt.l4Off < 0) return false;
    if (pkt.l4Len < 12) {
      ctx.hotdrop = true;
      return false;
    }
    const sp = this.sport;
    if (sp !== null && (pkt.sport >= sp.lo && pkt.sport <= sp.hi) === sp.invert) return false;
    const dp = this.dport;
    if (dp !== null && (pkt.dport >= dp.lo && pkt.dport <= dp.hi) === dp.invert) return false;
    if (this.mode === null) return true;
    return this.matchChunks(ctx) !== this.chunksInvert;
  }

  private inMap(map: Uint32Array, type: number): boolean {
    return (map[type >>> 5]! & (1 << (type & 31))) !== 0;
  }

  private flagsOk(type: number, flags: number): boolean {
    for (let i = 0; i < this.flagInfo.length; i++) {
      const f = this.flagInfo[i]!;
      if (f.chunktype === type) return (flags & f.mask) === f.flag;
    }
    return true;
  }

  private matchChunks(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    const b = pkt.buf;
    const end = pkt.ipEnd;
    const copy = this.scratch;
    if (this.mode === 'all') copy.set(this.chunkmap);
    let off = pkt.l4Off + 12;
    do {
      if (off + 4 > end) {
        ctx.hotdrop = true;
        return false;
      }
      const type = b[off]!;
      const flags = b[off + 1]!;
      const len = (b[off + 2]! << 8) | b[off + 3]!;
      if (len === 0) {
        ctx.hotdrop = true;
        return false;
      }
      if (this.inMap(this.chunkmap, type)) {
        const ok = this.flagsOk(type, flags);
        if (this.mode === 'any' && ok) return true;
        if (this.mode === 'all' && ok) copy[type >>> 5] = copy[type >>> 5]! & ~(1 << (type & 31));
        if (this.mode === 'only' && !ok) return false;
      } else if (this.mode === 'only') {
        return false;
      }
      off += (len + 3) & ~3;
    } while (off < end);
    if (this.mode === 'all') return copy.every((w) => w === 0);
    return this.mode === 'only';
  }

  private chunksText(numeric: boolean): string {
    let s = ` ${this.mode}`;
    const map = this.chunkmap;
    if (map.every((w) => w === 0)) return `${s} NONE`;
    if (map.every((w) => w === 0xffffffff)) return `${s} ALL`;
    let first = true;
    for (let t = 0; t < 256; t++) {
      if (!this.inMap(map, t)) continue;
      s += first ? ' ' : ',';
      first = false;
      if (numeric) s += `0x${t.toString(16).toUpperCase().padStart(4, '0')}`;
      else s += CHUNKS.filter(([, type]) => type === t).map(([n]) => n).join('');
      for (const f of this.flagInfo) {
        if (f.chunktype !== t || f.mask === 0) continue;
        const valid = CHUNKS[t]?.[2] ?? '--------';
        s += ':';
        for (let bit = 7; bit >= 0; bit--) {
          if ((f.mask & (1 << bit)) === 0) continue;
          const c = valid[7 - bit]!;
          s += (f.flag & (1 << bit)) !== 0 ? c : c.toLowerCase();
        }
      }
    }
    return s;
  }

  save(): string {
    let s = '-m sctp';
    if (this.sport !== null) s += portsSave('sport', this.sport);
    if (this.dport !== null) s += portsSave('dport', this.dport);
    if (this.mode !== null) s += `${this.chunksInvert ? ' !' : ''} --chunk-types${this.chunksText(false)}`;
    return s;
  }

  list(): string {
    let s = ' sctp';
    if (this.sport !== null) s += portsText('spt', this.sport);
    if (this.dport !== null) s += portsText('dpt', this.dport);
    if (this.mode !== null) s += `${this.chunksInvert ? ' !' : ''}${this.chunksText(true)}`;
    return s;
  }
}

class SctpParser implements ExtParser<Match> {
  private sport: PortSpec | null = null;
  private dport: PortSpec | null = null;
  private mode: ChunkMode | null = null;
  private readonly chunkmap = new Uint32Array(8);
  private chunksInvert = false;
  private readonly flagInfo: FlagInfo[] = [];

  option(name: string, arg: string, invert: boolean, extra: readonly string[]): void {
    if (name === 'source-port' || name === 'destination-port') {
      const [lo, hi] = parsePortRange(arg, 'sctp');
      const p = { lo, hi, invert };
      if (name === 'source-port') this.sport = p;
      else this.dport = p;
      return;
    }
    const mode = arg.toLowerCase();
    if (mode !== 'any' && mode !== 'all' && mode !== 'only') fail('Match type has to be one of "ALL", "ANY" or "ONLY"');
    this.mode = mode;
    this.chunksInvert = invert;
    this.parseChunks(extra[0]!);
  }

  private parseChunks(list: string): void {
    const upper = list.toUpperCase();
    if (upper === 'ALL') {
      this.chunkmap.fill(0xffffffff);
      return;
    }
    if (upper === 'NONE') return;
    for (const item of list.split(',').filter((x) => x !== '')) {
      const colon = item.indexOf(':');
      const name = colon < 0 ? item : item.slice(0, colon);
      const idx = CHUNKS.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
      if (idx < 0) fail(`Unknown sctp chunk \`${name}'`);
      const type = CHUNKS[idx]![1];
      this.chunkmap[type >>> 5] = this.chunkmap[type >>> 5]! | (1 << (type & 31));
      if (colon < 0) continue;
      for (const ch of item.slice(colon + 1)) {
        const pos = CHUNKS[idx]![2].indexOf(ch.toUpperCase());
        if (pos < 0 || ch === '-') fail(`Invalid flags for chunk type ${idx}`);
        this.saveFlag(idx, 7 - pos, ch !== ch.toLowerCase());
      }
    }
  }

  private saveFlag(chunktype: number, bit: number, set: boolean): void {
    let f = this.flagInfo.find((x) => x.chunktype === chunktype);
    if (f === undefined) {
      if (this.flagInfo.length === MAX_FLAG_INFO) {
        fail('Number of chunk types with flags exceeds currently allowed limit.');
      }
      f = { chunktype, flag: 0, mask: 0 };
      this.flagInfo.push(f);
    }
    f.mask |= 1 << bit;
    if (set) f.flag |= 1 << bit;
  }

  finish(cx: ExtContext): Match {
    requireProto(cx, Proto.SCTP, 'sctp match');
    return new SctpMatch(this.sport, this.dport, this.mode, this.chunkmap.slice(), this.chunksInvert, this.flagInfo.map((f) => ({ ...f })));
  }
}

export const sctpMatch: MatchExtension = {
  name: 'sctp',
  options: [
    { name: 'source-port', arg: true, invert: true },
    { name: 'sport', arg: true, invert: true, canonical: 'source-port' },
    { name: 'destination-port', arg: true, invert: true },
    { name: 'dport', arg: true, invert: true, canonical: 'destination-port' },
    { name: 'chunk-types', arg: true, invert: true, extraArgs: 1 },
  ],
  create: () => new SctpParser(),
};
