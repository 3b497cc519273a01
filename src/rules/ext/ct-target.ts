/**
 * -j CT (xt_CT revision 2) and -j NOTRACK, raw table only (PREROUTING, OUTPUT): choose how the
 * packet's new connection is tracked. --notrack makes the packet untracked; --helper NAME
 * assigns a conntrack helper (the rule must name the helper's protocol with -p); --zone /
 * --zone-orig / --zone-reply ID (or `mark`: the zone is the packet mark's low 16 bits);
 * --ctevents / --expevents restrict the events the connection reports; --timeout names a
 * timeout policy (`nfct timeout` objects: declared in HOST.json "ct_timeout"; the host refuses a
 * name it does not know when a packet meets the rule).
 *
 * As in the kernel, the first CT target that attaches its template to a packet wins; later CT
 * or NOTRACK targets for the same packet do nothing. Goes on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { parseUint, protocolName } from '../values.js';
import { BaseTarget, H, requireTable } from './common.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';
import { helperRefusal } from '../../helpers/registry.js';

/** Event names and their IPCT_* bit numbers, in print order. */
const CT_EVENTS: readonly (readonly [string, number])[] = [
  ['new', 0],
  ['related', 1],
  ['destroy', 2],
  ['reply', 3],
  ['assured', 4],
  ['protoinfo', 5],
  ['helper', 6],
  ['mark', 7],
  ['natseqinfo', 8],
  ['secmark', 9],
];
const EXP_EVENTS: readonly (readonly [string, number])[] = [['new', 0]];

const ZONE_ORIG = 1;
const ZONE_REPLY = 2;

function parseEvents(arg: string, table: readonly (readonly [string, number])[]): number {
  let mask = 0;
  for (const name of arg.split(',')) {
    const e = table.find(([n]) => n === name);
    if (e === undefined) fail(`Unknown event type "${name}"`);
    mask |= 1 << e[1];
  }
  return mask;
}

function eventsText(prefix: string, table: readonly (readonly [string, number])[], mask: number): string {
  return ` ${prefix} ${table
    .filter(([, bit]) => (mask & (1 << bit)) !== 0)
    .map(([n]) => n)
    .join(',')}`;
}

export class CtTarget extends BaseTarget {
  override readonly hooks = H.PRE | H.OUT;
  /** -L's target column shows the kernel target, CT, for NOTRACK too. */
  readonly name = 'CT';
  constructor(
    /** Written as -j NOTRACK (the alias) rather than -j CT --notrack. */
    readonly alias: boolean,
    readonly notrack: boolean,
    readonly helper: string,
    readonly timeout: string,
    readonly ctEvents: number,
    readonly expEvents: number,
    readonly zone: number,
    /** ZONE_ORIG | ZONE_REPLY bits given by --zone-orig / --zone-reply (0: both). */
    readonly zoneDir: number,
    readonly zoneMark: boolean,
  ) {
    super();
  }

  run(ctx: PacketContext): Verdict {
    if (ctx.ctAttached === true) return Verdict.CONTINUE;
    ctx.ctAttached = true;
    if (this.notrack) {
      ctx.notrack = true;
      return Verdict.CONTINUE;
    }
    if (this.helper !== '') ctx.ctHelper = this.helper;
    if (this.zoneMark || this.zone !== 0) {
      ctx.ctZone = this.zoneMark ? ctx.mark & 0xffff : this.zone;
      ctx.ctZoneDir = this.zoneDir === 0 ? ZONE_ORIG | ZONE_REPLY : this.zoneDir;
    }
    if (this.ctEvents !== 0) ctx.ctEvents = this.ctEvents;
    if (this.expEvents !== 0) ctx.ctExpEvents = this.expEvents;
    if (this.timeout !== '') ctx.ctTimeoutPolicy = this.timeout;
    return Verdict.CONTINUE;
  }

  private text(dashes: string): string {
    let s = '';
    if (this.notrack) s += ` ${dashes}notrack`;
    if (this.helper !== '') s += ` ${dashes}helper ${this.helper}`;
    if (this.timeout !== '') s += ` ${dashes}timeout ${this.timeout}`;
    if (this.ctEvents !== 0) s += eventsText(`${dashes}ctevents`, CT_EVENTS, this.ctEvents);
    if (this.expEvents !== 0) s += eventsText(`${dashes}expevents`, EXP_EVENTS, this.expEvents);
    if (this.zoneMark || this.zone !== 0) {
      s += ` ${dashes}zone`;
      if (this.zoneDir === ZONE_ORIG) s += '-orig';
      if (this.zoneDir === ZONE_REPLY) s += '-reply';
      s += this.zoneMark ? ' mark' : ` ${this.zone}`;
    }
    return s;
  }

  save(): string {
    return this.alias ? '-j NOTRACK' : `-j CT${this.text('--')}`;
  }

  list(): string {
    return this.alias ? ' NOTRACK' : ` CT${this.text('')}`;
  }
}

class CtParser implements ExtParser<CtTarget> {
  private notrack = false;
  private helper = '';
  private timeout = '';
  private ctEvents = 0;
  private expEvents = 0;
  private zone = 0;
  private zoneDir = 0;
  private zoneMark = false;

  constructor(private readonly alias: boolean) {
    this.notrack = alias;
  }

  option(name: string, arg: string): void {
    switch (name) {
      case 'notrack':
        this.notrack = true;
        return;
      case 'helper':
        if (arg.length > 15) fail('Argument must have a maximum length of 15 characters');
        this.helper = arg;
        return;
      case 'timeout':
        if (arg.length > 31) fail('Argument must have a maximum length of 31 characters');
        this.timeout = arg;
        return;
      case 'ctevents':
        this.ctEvents = parseEvents(arg, CT_EVENTS);
        return;
      case 'expevents':
        this.expEvents = parseEvents(arg, EXP_EVENTS);
        return;
      case 'zone':
      case 'zone-orig':
      case 'zone-reply': {
        if (name === 'zone-orig') this.zoneDir |= ZONE_ORIG;
        if (name === 'zone-reply') this.zoneDir |= ZONE_REPLY;
        this.zone = 0;
        if (arg.toLowerCase() === 'mark') {
          this.zoneMark = true;
          return;
        }
        const id = parseUint(arg, 0, 65535);
        if (id === null) fail(`Cannot parse ${arg} as a zone ID`);
        this.zone = id;
        return;
      }
      default:
        fail(`CT: unexpected option --${name}`);
    }
  }

  finish(cx: ExtContext): CtTarget {
    const name = this.alias ? 'NOTRACK' : 'CT';
    requireTable(cx, 'raw', name);
    if (this.notrack) {
      // the kernel makes the packet untracked and looks at nothing else
    } else if (this.helper !== '') {
      if (cx.proto === 0 || cx.protoInvert) fail('CT: You must specify a L4 protocol and not use inversions on it (for --helper)');
      // Only helpers ctkit implements load: the kernel refuses names it has no helper for, and
      // a helper that would silently do nothing would make the replay lie.
      const refusal = helperRefusal(this.helper, cx.family, cx.proto);
      if (refusal !== null) fail(`CT: No such helper "${this.helper}" for protocol ${protocolName(cx.proto) ?? cx.proto} (the kernel refuses it)`);
    }
    return new CtTarget(this.alias, this.notrack, this.helper, this.timeout, this.ctEvents, this.expEvents, this.zone, this.zoneDir, this.zoneMark);
  }
}

export const ctTarget: TargetExtension = {
  name: 'CT',
  options: [
    { name: 'notrack', arg: false },
    ...['helper', 'timeout', 'ctevents', 'expevents', 'zone-orig', 'zone-reply', 'zone'].map((name) => ({ name, arg: true })),
  ],
  create: () => new CtParser(false),
};

export const notrackTarget: TargetExtension = {
  name: 'NOTRACK',
  options: [],
  create: () => new CtParser(true),
};
