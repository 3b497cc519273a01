/**
 * What a conntrack message carries, decided the way the kernel's ctnetlink decides it, for the
 * text and XML printers of `conntrack -L` / `conntrack -E` (libnetfilter_conntrack prints an
 * attribute only when the message has it):
 *
 *  - a dump (-L): timeout, protocol state, counters (with accounting), mark (always), zone (when
 *    not 0), timestamps (with nf_conntrack_timestamp), helper, use, id, labels (when set);
 *  - NEW / UPDATE events: timeout, the protocol state only with a PROTOINFO bit, the mark when
 *    not 0 or with a MARK bit, the helper when there is one, labels with a LABEL bit, id;
 *  - DESTROY events: the timeout only when not 0 (an expired entry has none), the protocol
 *    state, counters, timestamps, the mark when not 0, id.
 *
 * Also the pieces both printers share: protocol names, remaining timeout, addresses, times.
 */
import type { Conn } from '../conntrack/conn.js';
import { IPCT, type CtEvent } from '../conntrack/events.js';
import { remainingSeconds } from '../conntrack/table.js';
import { ipv4String, ipv6String } from '../packet/view.js';

export type MsgType = 'NEW' | 'UPDATE' | 'DESTROY' | null;

export interface CtAttrs {
  conn: Conn;
  /** Message type (null for a dump line). */
  type: MsgType;
  /** Time the message describes (remaining timeout and delta-time count from here). */
  now: number;
  /** Timeout attribute, or null when the message has none. */
  timeout: number | null;
  state: boolean;
  counters: boolean;
  mark: boolean;
  /** CTA_ZONE: a zone other than 0 for both directions. */
  zone: boolean;
  /** Timestamp attribute: start set, and stop when the message carries one. */
  tstart: boolean;
  tstop: boolean;
  helper: boolean;
  use: boolean;
  labels: boolean;
}

/** Attributes of a `conntrack -L` line. */
export function dumpAttrs(conn: Conn, now: number): CtAttrs {
  return {
    conn,
    type: null,
    now,
    timeout: remainingSeconds(conn.expiresAt, now),
    state: conn.protoStateName() !== '',
    counters: conn.hasAcct,
    mark: true,
    zone: conn.zone !== 0 && conn.zoneDir === 3,
    tstart: conn.hasTstamp,
    tstop: conn.hasTstamp && conn.tsStop !== 0,
    helper: conn.helperName !== null,
    use: true,
    labels: conn.hasLabels(),
  };
}

/** Attributes of a `conntrack -E` event. */
export function eventAttrs(ev: CtEvent): CtAttrs {
  const c = ev.conn;
  const destroy = ev.type === 'DESTROY';
  const timeout = remainingSeconds(c.expiresAt, ev.time);
  return {
    conn: c,
    type: ev.type,
    now: ev.time,
    timeout: destroy && timeout === 0 ? null : timeout,
    state: c.protoStateName() !== '' && (destroy || (ev.bits & IPCT.PROTOINFO) !== 0),
    counters: destroy && c.hasAcct,
    mark: c.mark !== 0 || (ev.bits & IPCT.MARK) !== 0,
    zone: c.zone !== 0 && c.zoneDir === 3,
    tstart: destroy && c.hasTstamp,
    tstop: destroy && c.hasTstamp && c.tsStop !== 0,
    helper: !destroy && c.helperName !== null,
    use: false,
    labels: !destroy && (ev.bits & IPCT.LABEL) !== 0 && c.hasLabels(),
  };
}

// ------------------------------------------------------------------------------------------------
// names

/** Protocol names as libnetfilter_conntrack prints them (by number; "unknown" otherwise). */
const TOOL_PROTO_NAMES: Readonly<Record<number, string>> = {
  6: 'tcp',
  17: 'udp',
  136: 'udplite',
  1: 'icmp',
  58: 'icmpv6',
  132: 'sctp',
  47: 'gre',
  33: 'dccp',
};

export function toolProtoName(proto: number): string {
  return TOOL_PROTO_NAMES[proto] ?? 'unknown';
}

/** Layer-3 name and number (AF_INET 2, AF_INET6 10). */
export function l3Name(family: 4 | 6): string {
  return family === 6 ? 'ipv6' : 'ipv4';
}

export function l3Num(family: 4 | 6): number {
  return family === 6 ? 10 : 2;
}

/** printf("%-8s", s). */
export function pad8(s: string): string {
  return s.length >= 8 ? s : s + ' '.repeat(8 - s.length);
}

// ------------------------------------------------------------------------------------------------
// addresses

/** IPv6 text as glibc's inet_ntop writes it (the one implementation lives beside PacketView). */
export const inetNtop6 = ipv6String;

/** Address as conntrack prints it. */
export function toolAddr(family: 4 | 6, w: ArrayLike<number>): string {
  return family === 6 ? inetNtop6(w) : ipv4String(w[0]! >>> 0);
}

/** Address as the kernel's %pI6 writes it in /proc (eight 4-digit groups). */
export function procAddr(family: 4 | 6, w: ArrayLike<number>): string {
  if (family === 4) return ipv4String(w[0]! >>> 0);
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    parts.push(((w[i]! >>> 16) & 0xffff).toString(16).padStart(4, '0'), (w[i]! & 0xffff).toString(16).padStart(4, '0'));
  }
  return parts.join(':');
}

// ------------------------------------------------------------------------------------------------
// times

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime() of a time in seconds, in UTC, without the newline: "Tue Nov 14 22:13:20 2023". */
export function ctime(seconds: number): string {
  const d = new Date(Math.floor(seconds) * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day} ${time} ${d.getUTCFullYear()}`;
}

/** A time in seconds as the kernel's nanosecond timestamp (microsecond precision). */
export function nanoseconds(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e6)) * 1000n;
}

/** delta-time as libnetfilter_conntrack computes it: whole seconds from start to stop, or to now. */
export function deltaTime(a: CtAttrs): number {
  const stop = a.tstop ? Math.floor(a.conn.tsStop) : Math.floor(a.now);
  return stop - Math.floor(a.conn.tsStart);
}

/** Names of the label bits that are set (bits without a name are skipped, as the tools do). */
export function labelNames(conn: Conn, names: ReadonlyMap<number, string>): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 128; bit++) {
    if (!conn.hasLabel(bit)) continue;
    const n = names.get(bit);
    if (n !== undefined && n !== '') out.push(n);
  }
  return out;
}

/**
 * The zone ctnetlink puts in a tuple (CTA_TUPLE_ZONE): a zone other than 0 that applies to that
 * direction only (CT --zone-orig / --zone-reply); null when the tuple carries none.
 */
export function tupleZone(c: Conn, dir: 0 | 1): number | null {
  return c.zone !== 0 && c.zoneDir === 1 << dir ? c.zone : null;
}
