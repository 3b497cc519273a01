/**
 * conntrack output, byte for byte as conntrack-tools 1.4.7 (libnetfilter_conntrack 1.0.9) and
 * the 6.18 kernel print it:
 *
 *  - `conntrack -L` lines (default format; `-o extended`, `-o id`, `-o ktimestamp`, `-o labels`),
 *    e.g. `tcp      6 119 TIME_WAIT src=... dport=80 packets=6 bytes=258 src=... [ASSURED] mark=0 use=1`;
 *  - `conntrack -E` lines (`    [NEW] `, ` [UPDATE] `, `[DESTROY] ` then the same fields, with
 *    the attributes the event carries: see ct-attrs.ts);
 *  - `/proc/net/nf_conntrack` lines (the kernel's own format, uncompressed IPv6 addresses,
 *    `zone=` always, `use=` one more than -L shows);
 *  - `conntrack -S` / `-S expect` / `-C`;
 *  - the XML form of all of the above lives in ct-xml.ts; the table snapshot is re-exported here.
 */
import type { Conn } from '../conntrack/conn.js';
import type { CtEvent } from '../conntrack/events.js';
import type { CtStats } from '../conntrack/stats.js';
import { remainingSeconds } from '../conntrack/table.js';
import type { CtTupleLike } from '../netfilter/context.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import {
  ctime,
  deltaTime,
  dumpAttrs,
  eventAttrs,
  l3Name,
  l3Num,
  labelNames,
  pad8,
  procAddr,
  toolAddr,
  toolProtoName,
  tupleZone,
  type CtAttrs,
} from './ct-attrs.js';

export { fromJSON, toJSON, type TableSnapshot } from '../conntrack/snapshot.js';
export { formatConntrackXml, formatEventXml, XML_FOOTER, XML_HEADER } from './ct-xml.js';

/** `conntrack -o` options. */
export interface CtFormatOptions {
  /** -o extended: the layer-3 name and number first ("ipv4     2 "). */
  extended?: boolean;
  /** -o id: "id=N" after use. */
  id?: boolean;
  /** -o ktimestamp: "[start=...] [stop=...]" (kernel timestamps, with nf_conntrack_timestamp). */
  ktimestamp?: boolean;
  /** -o labels: the label names (connlabel.conf: bit -> name); set bits without a name are not shown. */
  labels?: ReadonlyMap<number, string>;
}

/** One `conntrack -L` line. */
export function formatConntrack(conn: Conn, now: number, opts: CtFormatOptions = {}): string {
  return formatText(dumpAttrs(conn, now), opts);
}

/** One `conntrack -E` line. */
export function formatEvent(ev: CtEvent, opts: CtFormatOptions = {}): string {
  return formatText(eventAttrs(ev), opts);
}

/** `conntrack -L` for a whole table (listing order), one line per connection. */
export function formatConntrackList(conns: Iterable<Conn>, now: number, opts: CtFormatOptions = {}): string[] {
  const out: string[] = [];
  for (const c of conns) out.push(formatConntrack(c, now, opts));
  return out;
}

const EVENT_PREFIX: Readonly<Record<string, string>> = {
  NEW: '    [NEW] ',
  UPDATE: ' [UPDATE] ',
  DESTROY: '[DESTROY] ',
};

/** The protocol part of a tuple as libnetfilter_conntrack prints it (by protocol number). */
export function toolProtoPart(t: CtTupleLike): string {
  switch (t.proto) {
    case Proto.TCP:
    case Proto.UDP:
    case Proto.UDPLITE:
    case Proto.SCTP:
    case Proto.DCCP:
      return `sport=${t.sport} dport=${t.dport} `;
    case Proto.GRE:
      return `srckey=0x${t.sport.toString(16)} dstkey=0x${t.dport.toString(16)} `;
    case Proto.ICMP:
    case Proto.ICMPV6:
      return `type=${t.dport >>> 8} code=${t.dport & 0xff} id=${t.sport} `;
    default:
      return '';
  }
}

function toolTuple(t: CtTupleLike): string {
  return `src=${toolAddr(t.family, t.src)} dst=${toolAddr(t.family, t.dst)} ${toolProtoPart(t)}`;
}

function assuredFlag(status: number): string {
  if (status & CtStatus.HW_OFFLOAD) return '[HW_OFFLOAD] ';
  if (status & CtStatus.OFFLOAD) return '[OFFLOAD] ';
  return status & CtStatus.ASSURED ? '[ASSURED] ' : '';
}

/** __snprintf_conntrack_default: the fields in the library's order, then the last blank removed. */
function formatText(a: CtAttrs, opts: CtFormatOptions): string {
  const c = a.conn;
  let s = a.type !== null ? EVENT_PREFIX[a.type]! : '';
  if (opts.extended) s += `${pad8(l3Name(c.family))} ${l3Num(c.family)} `;
  s += `${pad8(toolProtoName(c.protoNum))} ${c.protoNum} `;
  if (a.timeout !== null) s += `${a.timeout} `;
  if (a.state) s += `${c.protoStateName()} `;
  s += toolTuple(c.orig);
  const zo = tupleZone(c, 0);
  if (zo !== null) s += `zone-orig=${zo} `;
  if (a.counters) s += `packets=${c.origPackets} bytes=${c.origBytes} `;
  if (!(c.status & CtStatus.SEEN_REPLY)) s += '[UNREPLIED] ';
  s += toolTuple(c.reply);
  const zr = tupleZone(c, 1);
  if (zr !== null) s += `zone-reply=${zr} `;
  if (a.counters) s += `packets=${c.replyPackets} bytes=${c.replyBytes} `;
  s += assuredFlag(c.status);
  if (a.mark) s += `mark=${c.mark >>> 0} `;
  if (a.zone) s += `zone=${c.zone} `;
  if (a.tstart) s += `delta-time=${deltaTime(a)} `;
  if (opts.ktimestamp && a.tstart) s += `[start=${ctime(c.tsStart)}] `;
  if (opts.ktimestamp && a.tstop) s += `[stop=${ctime(c.tsStop)}] `;
  if (a.helper) s += `helper=${c.helperName} `;
  if (a.use) s += `use=${c.use} `;
  if (opts.id) s += `id=${c.id >>> 0} `;
  if (opts.labels && a.labels) s += labelsField(labelNames(c, opts.labels));
  return s.slice(0, -1);
}

/** "labels=a,b " (with no name known the library still writes "labels" and a blank). */
function labelsField(names: string[]): string {
  return names.length === 0 ? 'labels ' : `labels=${names.join(',')} `;
}

// ------------------------------------------------------------------------------------------------
// /proc/net/nf_conntrack

function procProtoPart(conn: Conn, t: CtTupleLike): string {
  switch (conn.tracker.name) {
    case 'icmp':
    case 'icmpv6':
      return `type=${t.dport >>> 8} code=${t.dport & 0xff} id=${t.sport} `;
    case 'tcp':
    case 'udp':
    case 'udplite':
    case 'sctp':
      return `sport=${t.sport} dport=${t.dport} `;
    case 'gre':
      return `srckey=0x${t.sport.toString(16)} dstkey=0x${t.dport.toString(16)} `;
    default:
      return '';
  }
}

function procTuple(conn: Conn, t: CtTupleLike): string {
  return `src=${procAddr(t.family, t.src)} dst=${procAddr(t.family, t.dst)} ${procProtoPart(conn, t)}`;
}

function procProtoText(conn: Conn): string {
  const t = conn.tracker;
  if (t.procText) return t.procText(conn.proto);
  const name = t.stateName(conn.proto);
  return name === '' ? '' : `${name} `;
}

/**
 * One /proc/net/nf_conntrack line (ct_seq_show). Protocol names are the kernel's trackers'
 * ("unknown" for the generic one, DCCP included), and the protocol part follows the tracker.
 */
export function formatProc(conn: Conn, now: number): string {
  let s = `${pad8(l3Name(conn.family))} ${l3Num(conn.family)} ${pad8(conn.tracker.name)} ${conn.protoNum} `;
  s += `${remainingSeconds(conn.expiresAt, now)} `;
  s += procProtoText(conn);
  s += procTuple(conn, conn.orig);
  if (conn.zoneDir === 1) s += `zone-orig=${conn.zone} `;
  if (conn.hasAcct) s += `packets=${conn.origPackets} bytes=${conn.origBytes} `;
  if (!(conn.status & CtStatus.SEEN_REPLY)) s += '[UNREPLIED] ';
  s += procTuple(conn, conn.reply);
  if (conn.zoneDir === 2) s += `zone-reply=${conn.zone} `;
  if (conn.hasAcct) s += `packets=${conn.replyPackets} bytes=${conn.replyBytes} `;
  s += assuredFlag(conn.status);
  s += `mark=${conn.mark >>> 0} `;
  if (conn.zoneDir === 3) s += `zone=${conn.zone} `;
  if (conn.hasTstamp) s += `delta-time=${Math.max(0, Math.floor(now - conn.tsStart))} `;
  return `${s}use=${conn.use + 1}`;
}

// ------------------------------------------------------------------------------------------------
// statistics

function statsLine(entries: Array<[string, number]>, cpu: number): string {
  let s = `cpu=${String(cpu).padEnd(4)}\t`;
  for (const [k, v] of entries) s += `${k}=${v >>> 0} `;
  return s;
}

/** `conntrack -S`: one line for the one CPU ctkit models (trailing blank as the tool prints it). */
export function formatStats(stats: CtStats): string[] {
  return [statsLine(stats.entries(), 0)];
}

/** `conntrack -S expect`. */
export function formatExpectStats(stats: CtStats): string[] {
  return [statsLine(stats.expectEntries(), 0)];
}

/** `conntrack -C`. */
export function formatCount(count: number): string {
  return String(count);
}

/** The summary conntrack writes to stderr after -L. */
export function formatListSummary(n: number): string {
  return `conntrack v1.4.7 (conntrack-tools): ${n} flow entries have been shown.`;
}
