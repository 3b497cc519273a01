/**
 * -m conntrack (xt_conntrack revision 3) and -m state (which iptables 1.8 stores as conntrack
 * with the "state" alias): the packet's connection state (INVALID, NEW, ESTABLISHED, RELATED,
 * UNTRACKED and the SNAT/DNAT pseudo-states from the connection's NAT status bits), the
 * connection's protocol, original/reply addresses and ports, status bits, remaining timeout and
 * the packet's direction.
 *
 * Kernel semantics: the state test runs first; a packet without a connection (INVALID,
 * UNTRACKED) then passes only if the rule tested the state; every other test needs the connection.
 * State names may be abbreviated (case-insensitive prefixes), as libxt_conntrack accepts them.
 */
import type { CtTupleLike, PacketContext } from '../../netfilter/context.js';
import { CtStatus } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import {
  addrText,
  maskSuffixList,
  parseAddr,
  parseMaskText,
  parseProtocol,
  prefixMask,
  scanUint,
  portValue,
  type Family,
} from '../values.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

/** XT_CONNTRACK_* match flags. */
const F = {
  STATE: 1 << 0,
  PROTO: 1 << 1,
  ORIGSRC: 1 << 2,
  ORIGDST: 1 << 3,
  REPLSRC: 1 << 4,
  REPLDST: 1 << 5,
  STATUS: 1 << 6,
  EXPIRES: 1 << 7,
  ORIGSRC_PORT: 1 << 8,
  ORIGDST_PORT: 1 << 9,
  REPLSRC_PORT: 1 << 10,
  REPLDST_PORT: 1 << 11,
  DIRECTION: 1 << 12,
} as const;

/** State bits (ctx.ctState values) and the NAT pseudo-states. */
const S = { INVALID: 1, ESTABLISHED: 2, RELATED: 4, NEW: 8, UNTRACKED: 64, SNAT: 256, DNAT: 512 } as const;

/** Parse order (prefix matching takes the first that fits) and print order. */
const STATE_PARSE: readonly (readonly [string, number])[] = [
  ['INVALID', S.INVALID],
  ['NEW', S.NEW],
  ['ESTABLISHED', S.ESTABLISHED],
  ['RELATED', S.RELATED],
  ['UNTRACKED', S.UNTRACKED],
  ['SNAT', S.SNAT],
  ['DNAT', S.DNAT],
];
const STATE_PRINT: readonly (readonly [string, number])[] = [
  ['INVALID', S.INVALID],
  ['NEW', S.NEW],
  ['RELATED', S.RELATED],
  ['ESTABLISHED', S.ESTABLISHED],
  ['UNTRACKED', S.UNTRACKED],
  ['SNAT', S.SNAT],
  ['DNAT', S.DNAT],
];
const STATUS_NAMES: readonly (readonly [string, number])[] = [
  ['NONE', 0],
  ['EXPECTED', CtStatus.EXPECTED],
  ['SEEN_REPLY', CtStatus.SEEN_REPLY],
  ['ASSURED', CtStatus.ASSURED],
  ['CONFIRMED', CtStatus.CONFIRMED],
];

/** Comma-separated names, each an abbreviation (strncasecmp) of one of `table`. */
function parseNameList(arg: string, table: readonly (readonly [string, number])[], bad: (s: string) => string): number {
  let mask = 0;
  const parts = arg.split(',');
  for (const [i, p] of parts.entries()) {
    const rest = parts.slice(i).join(',');
    if (p === '') fail(bad(rest));
    const hit = table.find(([name]) => name.slice(0, p.length).toLowerCase() === p.toLowerCase());
    if (hit === undefined) fail(bad(rest));
    mask |= hit[1];
  }
  return mask;
}

function stateText(mask: number): string {
  return STATE_PRINT.filter(([, bit]) => (mask & bit) !== 0)
    .map(([n]) => n)
    .join(',');
}

function statusText(mask: number): string {
  if (mask === 0) return 'NONE';
  return STATUS_NAMES.filter(([, bit]) => bit !== 0 && (mask & bit) !== 0)
    .map(([n]) => n)
    .join(',');
}

interface AddrSel {
  readonly addr: Uint32Array;
  readonly mask: Uint32Array;
}

interface PortSel {
  readonly lo: number;
  readonly hi: number;
}

function addrHit(family: Family, tuple: Uint32Array, sel: AddrSel): boolean {
  const n = family === 4 ? 1 : 4;
  for (let i = 0; i < n; i++) if (((tuple[i]! ^ sel.addr[i]!) & sel.mask[i]!) !== 0) return false;
  return true;
}

export class ConntrackMatch implements Match {
  readonly name: string;
  constructor(
    readonly family: Family,
    /** Saved and listed as `-m state --state` (the state match). */
    readonly stateAlias: boolean,
    readonly flags: number,
    readonly invert: number,
    readonly stateMask: number,
    readonly l4proto: number,
    readonly origSrc: AddrSel | null,
    readonly origDst: AddrSel | null,
    readonly replSrc: AddrSel | null,
    readonly replDst: AddrSel | null,
    readonly origSrcPort: PortSel | null,
    readonly origDstPort: PortSel | null,
    readonly replSrcPort: PortSel | null,
    readonly replDstPort: PortSel | null,
    readonly statusMask: number,
    readonly expiresMin: number,
    readonly expiresMax: number,
  ) {
    this.name = stateAlias ? 'state' : 'conntrack';
  }

  private inv(flag: number): boolean {
    return (this.invert & flag) !== 0;
  }

  match(ctx: PacketContext): boolean {
    const ct = ctx.ct;
    const flags = this.flags;
    if ((flags & F.STATE) !== 0) {
      let bits = ctx.ctState;
      if (ct !== null) {
        if ((ct.status & CtStatus.SRC_NAT) !== 0) bits |= S.SNAT;
        if ((ct.status & CtStatus.DST_NAT) !== 0) bits |= S.DNAT;
      }
      if (((this.stateMask & bits) !== 0) === this.inv(F.STATE)) return false;
    }
    if (ct === null) return (flags & F.STATE) !== 0;
    if ((flags & F.DIRECTION) !== 0 && (ctx.ctDir === 0) === this.inv(F.DIRECTION)) return false;
    const orig = ct.orig;
    const repl = ct.reply;
    if (this.origSrc !== null && addrHit(this.family, orig.src, this.origSrc) === this.inv(F.ORIGSRC)) return false;
    if (this.origDst !== null && addrHit(this.family, orig.dst, this.origDst) === this.inv(F.ORIGDST)) return false;
    if (this.replSrc !== null && addrHit(this.family, repl.src, this.replSrc) === this.inv(F.REPLSRC)) return false;
    if (this.replDst !== null && addrHit(this.family, repl.dst, this.replDst) === this.inv(F.REPLDST)) return false;
    if ((flags & F.PROTO) !== 0 && (orig.proto === this.l4proto) === this.inv(F.PROTO)) return false;
    if (!this.portOk(this.origSrcPort, orig, true, F.ORIGSRC_PORT)) return false;
    if (!this.portOk(this.origDstPort, orig, false, F.ORIGDST_PORT)) return false;
    if (!this.portOk(this.replSrcPort, repl, true, F.REPLSRC_PORT)) return false;
    if (!this.portOk(this.replDstPort, repl, false, F.REPLDST_PORT)) return false;
    if ((flags & F.STATUS) !== 0 && ((this.statusMask & ct.status) !== 0) === this.inv(F.STATUS)) return false;
    if ((flags & F.EXPIRES) !== 0) {
      // nf_ct_expires: an unconfirmed entry's timeout is still relative (not yet started): 0.
      let left = 0;
      if ((ct.status & (CtStatus.FIXED_TIMEOUT | CtStatus.CONFIRMED)) === CtStatus.CONFIRMED) left = Math.max(0, Math.floor(ct.expiresAt - ctx.now));
      if ((left >= this.expiresMin && left <= this.expiresMax) === this.inv(F.EXPIRES)) return false;
    }
    return true;
  }

  private portOk(sel: PortSel | null, tuple: CtTupleLike, src: boolean, flag: number): boolean {
    if (sel === null) return true;
    const port = src ? tuple.sport : tuple.dport;
    return (port >= sel.lo && port <= sel.hi) !== this.inv(flag);
  }

  /** conntrack_dump with prefix "--" (save) or "" (list). */
  private dump(prefix: string): string {
    let s = '';
    const neg = (flag: number): string => (this.inv(flag) ? ' !' : '');
    if ((this.flags & F.STATE) !== 0) {
      s += `${neg(F.STATE)} ${prefix}${this.stateAlias ? 'state' : 'ctstate'} ${stateText(this.stateMask)}`;
    }
    if ((this.flags & F.PROTO) !== 0) s += `${neg(F.PROTO)} ${prefix}ctproto ${this.l4proto}`;
    const addr = (sel: AddrSel | null, flag: number, opt: string): void => {
      if (sel === null) return;
      s += `${neg(flag)} ${prefix}${opt} ${addrText(this.family, sel.addr)}${maskSuffixList(this.family, sel.mask)}`;
    };
    addr(this.origSrc, F.ORIGSRC, 'ctorigsrc');
    addr(this.origDst, F.ORIGDST, 'ctorigdst');
    addr(this.replSrc, F.REPLSRC, 'ctreplsrc');
    addr(this.replDst, F.REPLDST, 'ctrepldst');
    const port = (sel: PortSel | null, flag: number, opt: string): void => {
      if (sel === null) return;
      const v = sel.hi === 0 || sel.lo === sel.hi ? `${sel.lo}` : `${sel.lo}:${sel.hi}`;
      s += `${neg(flag)} ${prefix}${opt} ${v}`;
    };
    port(this.origSrcPort, F.ORIGSRC_PORT, 'ctorigsrcport');
    port(this.origDstPort, F.ORIGDST_PORT, 'ctorigdstport');
    port(this.replSrcPort, F.REPLSRC_PORT, 'ctreplsrcport');
    port(this.replDstPort, F.REPLDST_PORT, 'ctrepldstport');
    if ((this.flags & F.STATUS) !== 0) s += `${neg(F.STATUS)} ${prefix}ctstatus ${statusText(this.statusMask)}`;
    if ((this.flags & F.EXPIRES) !== 0) {
      const v = this.expiresMin === this.expiresMax ? `${this.expiresMin}` : `${this.expiresMin}:${this.expiresMax}`;
      s += `${neg(F.EXPIRES)} ${prefix}ctexpire ${v}`;
    }
    if ((this.flags & F.DIRECTION) !== 0) s += ` ${prefix}ctdir ${this.inv(F.DIRECTION) ? 'REPLY' : 'ORIGINAL'}`;
    return s;
  }

  save(): string {
    return `-m ${this.name}${this.dump('--')}`;
  }

  list(): string {
    return this.dump('');
  }
}

class ConntrackParser implements ExtParser<Match> {
  private flags = 0;
  private invert = 0;
  private stateMask = 0;
  private l4proto = 0;
  private readonly addrs: Record<string, AddrSel | null> = {};
  private readonly ports: Record<string, PortSel | null> = {};
  private statusMask = 0;
  private expires: [number, number] = [0, 0];

  constructor(
    private readonly family: Family,
    private readonly stateAlias: boolean,
  ) {}

  private set(flag: number, invert: boolean): void {
    this.flags |= flag;
    if (invert) this.invert |= flag;
    else this.invert &= ~flag;
  }

  option(name: string, arg: string, invert: boolean): void {
    switch (name) {
      case 'state':
        this.stateMask = parseNameList(arg, STATE_PARSE.slice(0, 5), (s) =>
          s === '' ? '"--state" requires a list of states with no spaces, e.g. ESTABLISHED,RELATED' : `Bad state "${s}"`,
        );
        this.set(F.STATE, invert);
        return;
      case 'ctstate':
        this.stateMask = parseNameList(arg, STATE_PARSE, (s) => `Bad ctstate "${s}"`);
        this.set(F.STATE, invert);
        return;
      case 'ctproto': {
        const p = parseProtocol(arg.toLowerCase());
        if (p === null) fail(`unknown protocol "${arg}" specified`);
        if (p === 0 && invert) fail('conntrack: rule would never match protocol');
        this.l4proto = p;
        this.set(F.PROTO, invert);
        return;
      }
      case 'ctorigsrc':
      case 'ctorigdst':
      case 'ctreplsrc':
      case 'ctrepldst':
        this.addrs[name] = this.hostMask(arg, name);
        this.set(ADDR_FLAGS[name]!, invert);
        return;
      case 'ctorigsrcport':
      case 'ctorigdstport':
      case 'ctreplsrcport':
      case 'ctrepldstport':
        this.ports[name] = portRangeOption(arg, name);
        this.set(PORT_FLAGS[name]!, invert);
        return;
      case 'ctstatus':
        this.statusMask = parseNameList(arg, STATUS_NAMES, (s) => `Bad ctstatus "${s}"`);
        this.set(F.STATUS, invert);
        return;
      case 'ctexpire':
        this.expires = uint32Range(arg, 'ctexpire');
        this.set(F.EXPIRES, invert);
        return;
      case 'ctdir':
        if (arg.toUpperCase() === 'ORIGINAL') this.set(F.DIRECTION, false);
        else if (arg.toUpperCase() === 'REPLY') this.set(F.DIRECTION, true);
        else fail(`Bad value for "--ctdir" option: "${arg}"`);
        return;
      default:
        fail(`conntrack: unexpected option --${name}`);
    }
  }

  private hostMask(arg: string, opt: string): AddrSel {
    const slash = arg.indexOf('/');
    const host = slash < 0 ? arg : arg.slice(0, slash);
    const addr = parseAddr(this.family, host);
    if (addr === null) fail(`conntrack: bad address "${host}" for option "--${opt}" (numeric address expected)`);
    const mask = slash < 0 ? prefixMask(this.family, 128) : parseMaskText(this.family, arg.slice(slash + 1));
    return { addr, mask };
  }

  finish(_cx: ExtContext): Match {
    if (this.flags === 0) {
      fail(this.stateAlias ? 'state: option "--state" must be specified' : 'conntrack: At least one option is required');
    }
    return new ConntrackMatch(
      this.family,
      this.stateAlias,
      this.flags,
      this.invert,
      this.stateMask,
      this.l4proto,
      this.addrs['ctorigsrc'] ?? null,
      this.addrs['ctorigdst'] ?? null,
      this.addrs['ctreplsrc'] ?? null,
      this.addrs['ctrepldst'] ?? null,
      this.ports['ctorigsrcport'] ?? null,
      this.ports['ctorigdstport'] ?? null,
      this.ports['ctreplsrcport'] ?? null,
      this.ports['ctrepldstport'] ?? null,
      this.statusMask,
      this.expires[0],
      this.expires[1],
    );
  }
}

const ADDR_FLAGS: Readonly<Record<string, number>> = {
  ctorigsrc: F.ORIGSRC,
  ctorigdst: F.ORIGDST,
  ctreplsrc: F.REPLSRC,
  ctrepldst: F.REPLDST,
};
const PORT_FLAGS: Readonly<Record<string, number>> = {
  ctorigsrcport: F.ORIGSRC_PORT,
  ctorigdstport: F.ORIGDST_PORT,
  ctreplsrcport: F.REPLSRC_PORT,
  ctrepldstport: F.REPLDST_PORT,
};

/** XTTYPE_PORTRC: `port[:port]`, names allowed, empty ends default to 0 / 65535. */
function portRangeOption(arg: string, opt: string): PortSel {
  const parts = arg.split(':');
  if (parts.length > 2) fail(`conntrack: Too many components for option "--${opt}" (max: 2)`);
  const value = (s: string, dflt: number): number => {
    if (s === '') return dflt;
    const p = portValue(s, null);
    if (p === null) fail(`Port "${s}" does not resolve to anything.`);
    return p;
  };
  const lo = value(parts[0]!, 0);
  const hi = parts.length === 2 ? value(parts[1]!, 65535) : lo;
  return { lo, hi };
}

/** XTTYPE_UINT32RC: `n[:m]`, empty ends default to 0 / 2^32-1. */
function uint32Range(arg: string, opt: string): [number, number] {
  const parts = arg.split(':');
  if (parts.length > 2) fail(`conntrack: Too many components for option "--${opt}" (max: 2)`);
  const value = (s: string, dflt: number): number => {
    if (s === '') return dflt;
    const v = scanUint(s);
    if (v === null || v.value > 0xffffffff) fail(`conntrack: bad value for option "--${opt}" near "${s}", or out of range (0-4294967295).`);
    if (v.end !== s.length) fail(`conntrack: Argument to "--${opt}" has unexpected characters near "${s.slice(v.end)}".`);
    return v.value;
  };
  const lo = value(parts[0]!, 0);
  const hi = parts.length === 2 ? value(parts[1]!, 0xffffffff) : lo;
  return [lo, hi];
}

const CONNTRACK_OPTIONS = [
  'ctstate',
  'ctproto',
  'ctorigsrc',
  'ctorigdst',
  'ctreplsrc',
  'ctrepldst',
  'ctstatus',
  'ctexpire',
  'ctorigsrcport',
  'ctorigdstport',
  'ctreplsrcport',
  'ctrepldstport',
].map((name) => ({ name, arg: true, invert: true }));

export const conntrackMatch: MatchExtension = {
  name: 'conntrack',
  options: [...CONNTRACK_OPTIONS, { name: 'ctdir', arg: true }],
  create: (cx) => new ConntrackParser(cx.family, false),
};

export const stateMatch: MatchExtension = {
  name: 'state',
  options: [{ name: 'state', arg: true, invert: true }],
  create: (cx) => new ConntrackParser(cx.family, true),
};
