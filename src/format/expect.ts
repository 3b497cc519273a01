/**
 * Expectation output, byte for byte as conntrack-tools 1.4.7 (libnetfilter_conntrack 1.0.9) and
 * the 6.18 kernel print it:
 *
 *  - `conntrack -L expect` lines: the remaining timeout, `proto=N`, the expected tuple, the mask
 *    (`mask-src= mask-dst=` and the protocol part, where the destination is all ones and the
 *    source port is the port mask), the master's original tuple (`master-src= master-dst=` ...),
 *    the flags (PERMANENT,INACTIVE,USERSPACE), `class=N` and `helper=NAME` (the master's helper);
 *    e.g. `299 proto=6 src=10.0.1.187 dst=192.0.2.171 sport=0 dport=30805 mask-src=255.255.255.255
 *    mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.187 master-dst=192.0.2.171
 *    sport=37922 dport=21 class=0 helper=ftp`;
 *  - `conntrack -E expect` lines: the same after `    [NEW] ` / `[DESTROY] ` (0 as timeout once
 *    the expectation timed out);
 *  - `/proc/net/nf_conntrack_expect` lines (the kernel's own: `300 l3proto = 2 proto=6 src=...
 *    dst=... sport=0 dport=50000 ftp`, with the class name after a slash when the policy has one).
 */
import type { Expectation, ExpectEvent, ExpectationTable } from '../conntrack/expect.js';
import { ExpectFlag } from '../conntrack/expect.js';
import type { CtTupleLike } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { toolProtoPart } from './conntrack.js';
import { l3Num, procAddr, toolAddr } from './ct-attrs.js';

const EVENT_PREFIX: Readonly<Record<ExpectEvent['type'], string>> = {
  NEW: '    [NEW] ',
  DESTROY: '[DESTROY] ',
};

const ALL_ONES = new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);

/** The mask as ctnetlink dumps it: a tuple of all ones, with the source address and port masks. */
function maskTuple(exp: Expectation): CtTupleLike {
  return {
    family: exp.tuple.family,
    proto: exp.tuple.proto,
    src: exp.maskSrc,
    dst: ALL_ONES,
    sport: exp.maskSport,
    dport: 0xffff,
  };
}

function toolTuple(t: CtTupleLike, srcTag: string, dstTag: string): string {
  return `${srcTag}=${toolAddr(t.family, t.src)} ${dstTag}=${toolAddr(t.family, t.dst)} ${toolProtoPart(t)}`;
}

/** "PERMANENT,INACTIVE,USERSPACE" then a blank, or nothing without flags. */
function flagsText(flags: number): string {
  const names: string[] = [];
  if (flags & ExpectFlag.PERMANENT) names.push('PERMANENT');
  if (flags & ExpectFlag.INACTIVE) names.push('INACTIVE');
  if (flags & ExpectFlag.USERSPACE) names.push('USERSPACE');
  return flags !== 0 ? `${names.join(',')} ` : '';
}

/** __snprintf_expect_default without the message prefix, last blank removed. */
function expectText(exp: Expectation, timeout: number): string {
  let s = `${timeout} proto=${exp.tuple.proto} `;
  s += toolTuple(exp.tuple, 'src', 'dst');
  s += toolTuple(maskTuple(exp), 'mask-src', 'mask-dst');
  s += toolTuple(exp.master.orig, 'master-src', 'master-dst');
  s += flagsText(exp.flags);
  s += `class=${exp.cls} `;
  if (exp.master.helperName !== null) s += `helper=${exp.master.helperName} `;
  return s.slice(0, -1);
}

/** One `conntrack -L expect` line at time `now`. */
export function formatExpect(table: ExpectationTable, exp: Expectation, now: number): string {
  return expectText(exp, table.remaining(exp, now));
}

/**
 * `conntrack -L expect` for the whole table, or for one family (the tool asks the kernel for
 * IPv4 expectations only unless given -f).
 */
export function formatExpectList(table: ExpectationTable, now: number, family: 0 | 4 | 6 = 0): string[] {
  table.expire(now);
  const out: string[] = [];
  for (const e of table) if (family === 0 || e.tuple.family === family) out.push(formatExpect(table, e, now));
  return out;
}

/** One `conntrack -E expect` line. */
export function formatExpectEvent(table: ExpectationTable, ev: ExpectEvent): string {
  return EVENT_PREFIX[ev.type] + expectText(ev.exp, table.remaining(ev.exp, ev.time));
}

/** The kernel's print_tuple protocol part (by protocol number, as the l4 trackers print it). */
function procProtoPart(t: CtTupleLike): string {
  switch (t.proto) {
    case Proto.TCP:
    case Proto.UDP:
    case Proto.UDPLITE:
    case Proto.SCTP:
      return `sport=${t.sport} dport=${t.dport} `;
    case Proto.ICMP:
    case Proto.ICMPV6:
      return `type=${t.dport >>> 8} code=${t.dport & 0xff} id=${t.sport} `;
    case Proto.GRE:
      return `srckey=0x${t.sport.toString(16)} dstkey=0x${t.dport.toString(16)} `;
    default:
      return '';
  }
}

/** One /proc/net/nf_conntrack_expect line (exp_seq_show); `policyName` is the class's name, if any. */
export function formatExpectProc(table: ExpectationTable, exp: Expectation, now: number): string {
  const t = exp.tuple;
  let s = `${table.remaining(exp, now)} l3proto = ${l3Num(t.family)} proto=${t.proto} `;
  s += `src=${procAddr(t.family, t.src)} dst=${procAddr(t.family, t.dst)} ${procProtoPart(t)}`;
  s += flagsText(exp.flags).trimEnd();
  const helper = exp.master.helperName;
  if (helper !== null) {
    s += `${exp.flags !== 0 ? ' ' : ''}${helper}`;
    const name = table.policy(exp.master, exp.cls)?.name ?? null;
    if (name !== null) s += `/${name}`;
  }
  return s;
}
