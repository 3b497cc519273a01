/**
 * The NAT targets of the nat table: SNAT --to-source, DNAT --to-destination
 * (`[addr[-addr]][:port[-port[/base]]]`, IPv6 addresses in brackets when a port follows),
 * MASQUERADE --to-ports, REDIRECT --to-ports (`port[-port]`), with --random, --random-fully
 * (SNAT, MASQUERADE) and --persistent (SNAT, DNAT); NETMAP --to addr/mask. Each hands a NatSpec
 * to the pipeline (Verdict ACTION), which the NAT engine carries out.
 *
 * Ports need -p tcp, udp, sctp, dccp or icmp given before the option, as libxt_NAT checks.
 * The kernel restricts them to the nat table and to hooks: SNAT INPUT/POSTROUTING, DNAT and
 * REDIRECT PREROUTING/OUTPUT, MASQUERADE POSTROUTING, NETMAP any nat hook.
 */
import type { Action, PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict, type Chain, type Target } from '../model.js';
import { NatFlag, type NatKind, type NatSpec } from '../nat-spec.js';
import { serviceToPort } from '../services.js';
import { addrText, maskToPrefix, parseAddr, parseInetPton, parseMaskText, prefixMask, scanUint, type Family } from '../values.js';
import { H, requireTable } from './common.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

const PORT_PROTOS = new Set([6, 17, 132, 33, 1]);

interface MutableRange {
  flags: number;
  minAddr: Uint32Array;
  maxAddr: Uint32Array;
  minPort: number;
  maxPort: number;
  basePort: number;
}

function emptyRange(): MutableRange {
  return { flags: 0, minAddr: new Uint32Array(4), maxAddr: new Uint32Array(4), minPort: 0, maxPort: 0, basePort: 0 };
}

/** A port number or (not in ranges) a service name. */
function portOrService(s: string, min: number): { value: number; end: number } {
  const n = scanUint(s);
  if (n !== null && n.value >= min && n.value <= 65535) return n;
  const p = serviceToPort(s, null);
  if (p < 0) fail(`Port \`${s}' not valid`);
  return { value: p, end: s.length };
}

/** libxt_NAT parse_ports: `port`, `port-port`, `port-port/base`. */
function parsePorts(arg: string, portOk: boolean, r: MutableRange): void {
  if (!portOk) fail('Need TCP, UDP, SCTP or DCCP with port specification');
  r.flags |= NatFlag.PROTO_SPECIFIED;
  const first = portOrService(arg, 0);
  const rest = arg.slice(first.end);
  if (rest === '') {
    r.minPort = r.maxPort = first.value;
    return;
  }
  if (rest[0] === ':') fail('Invalid port:port syntax - use dash');
  if (rest[0] !== '-') fail(`Garbage after port value: \`${rest}'`);
  const hiText = rest.slice(1);
  const hi = scanUint(hiText);
  if (hi === null || hi.value > 65535) fail(`Port \`${hiText}' not valid`);
  if (hi.value < first.value) fail(`Port range \`${hiText}' funky`);
  r.minPort = first.value;
  r.maxPort = hi.value;
  const tail = hiText.slice(hi.end);
  if (tail === '') return;
  if (tail[0] !== '/') fail(`Garbage after port range: \`${tail}'`);
  const base = portOrService(tail.slice(1), 1);
  r.flags |= NatFlag.PROTO_OFFSET;
  r.basePort = base.value;
}

/** libxt_NAT parse_to: `[addr[-addr]][:ports]`, `[v6addr]:ports`. */
function parseTo(arg: string, portOk: boolean, r: MutableRange, family: Family): void {
  let start = arg;
  let colon = -1;
  const bracket = arg.indexOf('[');
  if (bracket < 0) {
    colon = arg.indexOf(':');
    if (colon >= 0 && arg.indexOf(':', colon + 1) >= 0) colon = -1;
  } else {
    const close = arg.indexOf(']', bracket + 1);
    if (close < 0 || family === 4) fail('Invalid address format');
    start = arg.slice(bracket + 1, close);
    colon = arg.indexOf(':', close + 1);
  }
  if (colon >= 0) {
    parsePorts(arg.slice(colon + 1), portOk, r);
    if (colon === 0 || colon === 2) return;
    if (bracket < 0) start = arg.slice(0, colon);
  }
  r.flags |= NatFlag.MAP_IPS;
  const dash = start.indexOf('-');
  const lo = dash < 0 ? start : start.slice(0, dash);
  const a = parseInetPton(family, lo);
  if (a === null) fail(`Bad IP address "${lo}"`);
  r.minAddr.set(a);
  if (dash >= 0) {
    const hiText = start.slice(dash + 1);
    const b = parseInetPton(family, hiText);
    if (b === null) fail(`Bad IP address "${hiText}"`);
    r.maxAddr.set(b);
  } else {
    r.maxAddr.set(a);
  }
}

function rangeText(spec: NatSpec): string {
  let s = '';
  const brackets = spec.family === 6 && (spec.flags & NatFlag.PROTO_SPECIFIED) !== 0;
  if ((spec.flags & NatFlag.MAP_IPS) !== 0) {
    if (brackets) s += '[';
    s += addrText(spec.family, spec.minAddr);
    if (spec.minAddr.some((w, i) => w !== spec.maxAddr[i])) s += `-${addrText(spec.family, spec.maxAddr)}`;
    if (brackets) s += ']';
  }
  if ((spec.flags & NatFlag.PROTO_SPECIFIED) !== 0) {
    s += `:${spec.minPort}`;
    if (spec.maxPort !== spec.minPort) s += `-${spec.maxPort}`;
    if ((spec.flags & NatFlag.PROTO_OFFSET) !== 0) s += `/${spec.basePort}`;
  }
  return s;
}

interface NatStyle {
  readonly listOpt: string;
  readonly saveOpt: string;
  readonly skipColon: boolean;
  readonly hooks: number;
}

const STYLES: Readonly<Record<Exclude<NatKind, 'NETMAP'>, NatStyle>> = {
  SNAT: { listOpt: 'to:', saveOpt: '--to-source ', skipColon: false, hooks: H.IN | H.POST },
  DNAT: { listOpt: 'to:', saveOpt: '--to-destination ', skipColon: false, hooks: H.PRE | H.OUT },
  MASQUERADE: { listOpt: 'masq ports: ', saveOpt: '--to-ports ', skipColon: true, hooks: H.POST },
  REDIRECT: { listOpt: 'redir ports ', saveOpt: '--to-ports ', skipColon: true, hooks: H.PRE | H.OUT },
};

export class NatTarget implements Target {
  readonly chain: Chain | null = null;
  readonly isGoto = false;
  readonly action: Action;
  readonly hooks: number;
  constructor(readonly spec: NatSpec) {
    this.action = Object.freeze({ kind: 'nat', nat: spec });
    this.hooks = spec.kind === 'NETMAP' ? H.PRE | H.IN | H.OUT | H.POST : STYLES[spec.kind].hooks;
  }
  get name(): string {
    return this.spec.kind;
  }
  run(_ctx: PacketContext): Verdict {
    return Verdict.ACTION;
  }

  private text(save: boolean): string {
    const spec = this.spec;
    if (spec.kind === 'NETMAP') {
      const mask = new Uint32Array(4);
      for (let i = 0; i < 4; i++) mask[i] = ~(spec.minAddr[i]! ^ spec.maxAddr[i]!) >>> 0;
      if (spec.family === 4) mask.fill(0, 1);
      const bits = maskToPrefix(spec.family, mask);
      const m = bits < 0 ? addrText(spec.family, mask) : `${bits}`;
      return `${save ? ' --to ' : ' to:'}${addrText(spec.family, spec.minAddr)}/${m}`;
    }
    const style = STYLES[spec.kind];
    let range = rangeText(spec);
    if (range.startsWith(':') && style.skipColon) range = range.slice(1);
    const pfx = save ? '--' : '';
    let s = range === '' ? '' : ` ${save ? style.saveOpt : style.listOpt}${range}`;
    if ((spec.flags & NatFlag.PROTO_RANDOM) !== 0) s += ` ${pfx}random`;
    if ((spec.flags & NatFlag.PROTO_RANDOM_FULLY) !== 0) s += ` ${pfx}random-fully`;
    if ((spec.flags & NatFlag.PERSISTENT) !== 0) s += ` ${pfx}persistent`;
    return s;
  }

  save(): string {
    return `-j ${this.spec.kind}${this.text(true)}`;
  }

  list(): string {
    return this.text(false);
  }
}

const FLAG_OPTIONS: Readonly<Record<string, number>> = {
  random: NatFlag.PROTO_RANDOM,
  'random-fully': NatFlag.PROTO_RANDOM_FULLY,
  persistent: NatFlag.PERSISTENT,
};

class NatParser implements ExtParser<Target> {
  private readonly range = emptyRange();
  private toGiven = false;

  constructor(
    private readonly kind: NatKind,
    private readonly cx: ExtContext,
  ) {}

  option(name: string, arg: string): void {
    const flag = FLAG_OPTIONS[name];
    if (flag !== undefined) {
      this.range.flags |= flag;
      return;
    }
    const portOk = PORT_PROTOS.has(this.cx.proto);
    this.toGiven = true;
    switch (name) {
      case 'to-source':
      case 'to-destination':
        parseTo(arg, portOk, this.range, this.cx.family);
        return;
      case 'to-ports':
        parsePorts(arg, portOk, this.range);
        return;
      case 'to':
        this.netmapTo(arg);
        return;
      default:
        fail(`${this.kind}: unexpected option --${name}`);
    }
  }

  private netmapTo(arg: string): void {
    const family = this.cx.family;
    const slash = arg.indexOf('/');
    const host = slash < 0 ? arg : arg.slice(0, slash);
    const addr = parseAddr(family, host);
    if (addr === null) fail(`NETMAP: bad address "${host}" for option "--to"`);
    const mask = slash < 0 ? prefixMask(family, 128) : parseMaskText(family, arg.slice(slash + 1));
    const r = this.range;
    r.flags |= NatFlag.MAP_IPS;
    for (let i = 0; i < 4; i++) {
      r.minAddr[i] = (addr[i]! & mask[i]!) >>> 0;
      r.maxAddr[i] = (r.minAddr[i]! | ~mask[i]!) >>> 0;
    }
    if (family === 4) {
      r.minAddr.fill(0, 1);
      r.maxAddr.fill(0, 1);
    }
  }

  finish(cx: ExtContext): Target {
    const kind = this.kind;
    requireTable(cx, 'nat', kind);
    const r = this.range;
    if ((kind === 'SNAT' || kind === 'DNAT' || kind === 'NETMAP') && !this.toGiven) {
      const opt = kind === 'SNAT' ? 'to-source' : kind === 'DNAT' ? 'to-destination' : 'to';
      fail(`${kind}: option "--${opt}" must be specified`);
    }
    if ((r.flags & NatFlag.PROTO_OFFSET) !== 0 && kind !== 'DNAT') {
      fail(`${kind}: shifted portmap ranges (port-port/base) are only supported by DNAT`);
    }
    if ((kind === 'MASQUERADE' || kind === 'REDIRECT') && (r.flags & NatFlag.MAP_IPS) !== 0) {
      fail(`${kind}: bad MAP_IPS (addresses cannot be given)`);
    }
    const spec: NatSpec = Object.freeze({ kind, family: cx.family, ...r });
    return new NatTarget(spec);
  }
}

function natExtension(kind: NatKind, options: readonly string[]): TargetExtension {
  return {
    name: kind,
    options: options.map((name) => ({ name, arg: FLAG_OPTIONS[name] === undefined })),
    create: (cx) => new NatParser(kind, cx),
  };
}

export const snatTarget = natExtension('SNAT', ['to-source', 'random', 'random-fully', 'persistent']);
export const dnatTarget = natExtension('DNAT', ['to-destination', 'random', 'persistent']);
export const masqueradeTarget = natExtension('MASQUERADE', ['to-ports', 'random', 'random-fully']);
export const redirectTarget = natExtension('REDIRECT', ['to-ports', 'random']);
export const netmapTarget = natExtension('NETMAP', ['to']);
