/**
 * `conntrack -o xml` (libnetfilter_conntrack's __snprintf_conntrack_xml): one <flow> element per
 * connection or event, between XML_HEADER and XML_FOOTER for a listing. The library's quirks are
 * kept: the SCTP state is looked up in the TCP state names, and the reply direction's counters
 * print whenever the original's do.
 */
import type { Conn } from '../conntrack/conn.js';
import type { CtEvent } from '../conntrack/events.js';
import type { CtTupleLike } from '../netfilter/context.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { deltaTime, dumpAttrs, eventAttrs, labelNames, l3Name, l3Num, nanoseconds, toolAddr, toolProtoName, tupleZone, type CtAttrs } from './ct-attrs.js';
import type { CtFormatOptions } from './conntrack.js';

export const XML_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<conntrack>';
export const XML_FOOTER = '</conntrack>';

/** TCP state names by number (the XML printer uses them for SCTP too). */
const TCP_STATES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];

/** One <flow> of `conntrack -L -o xml`. */
export function formatConntrackXml(conn: Conn, now: number, opts: CtFormatOptions = {}): string {
  return flow(dumpAttrs(conn, now), opts);
}

/** One <flow type="..."> of `conntrack -E -o xml`. */
export function formatEventXml(ev: CtEvent, opts: CtFormatOptions = {}): string {
  return flow(eventAttrs(ev), opts);
}

function portsXml(t: CtTupleLike): string {
  switch (t.proto) {
    case Proto.TCP:
    case Proto.UDP:
    case Proto.UDPLITE:
    case Proto.SCTP:
    case Proto.DCCP:
      return `<sport>${t.sport}</sport><dport>${t.dport}</dport>`;
    case Proto.GRE:
      return `<srckey>0x${t.sport.toString(16)}</srckey><dstkey>0x${t.dport.toString(16)}</dstkey>`;
    default:
      return '';
  }
}

function tupleXml(a: CtAttrs, dir: 0 | 1): string {
  const c = a.conn;
  const t = c.tuple(dir);
  let s = `<meta direction="${dir === 0 ? 'original' : 'reply'}">`;
  s += `<layer3 protonum="${l3Num(t.family)}" protoname="${l3Name(t.family)}">`;
  s += `<src>${toolAddr(t.family, t.src)}</src><dst>${toolAddr(t.family, t.dst)}</dst></layer3>`;
  s += `<layer4 protonum="${t.proto}" protoname="${toolProtoName(t.proto)}">${portsXml(t)}</layer4>`;
  const z = tupleZone(c, dir);
  if (z !== null) s += `<zone>${z}</zone>`;
  if (a.counters) {
    const p = dir === 0 ? c.origPackets : c.replyPackets;
    const b = dir === 0 ? c.origBytes : c.replyBytes;
    s += `<counters><packets>${p}</packets><bytes>${b}</bytes></counters>`;
  }
  return `${s}</meta>`;
}

/** The protocol state as the XML printer names it (by number, in the TCP names). */
function stateXml(c: Conn): string {
  const num = c.tracker.stateNumber ? c.tracker.stateNumber(c.proto) : 0;
  return TCP_STATES[num] ?? 'NONE';
}

function independentXml(a: CtAttrs, opts: CtFormatOptions): string {
  const c = a.conn;
  let s = '<meta direction="independent">';
  if (a.state) s += `<state>${stateXml(c)}</state>`;
  if (a.timeout !== null) s += `<timeout>${a.timeout}</timeout>`;
  if (a.mark) s += `<mark>${c.mark >>> 0}</mark>`;
  if (opts.labels && a.labels) s += `<labels>${labelNames(c, opts.labels).map((n) => `<label>${n}</label>`).join('')}</labels>`;
  if (a.zone) s += `<zone>${c.zone}</zone>`;
  if (a.use) s += `<use>${c.use}</use>`;
  s += `<id>${c.id >>> 0}</id>`;
  if (c.status & CtStatus.ASSURED) s += '<assured/>';
  if (!(c.status & CtStatus.SEEN_REPLY)) s += '<unreplied/>';
  if (opts.ktimestamp && a.tstart) {
    s += `<timestamp><start>${nanoseconds(c.tsStart)}</start>`;
    if (a.tstop) s += `<stop>${nanoseconds(c.tsStop)}</stop>`;
    s += '</timestamp>';
  }
  if (a.tstart) s += `<deltatime>${deltaTime(a)}</deltatime>`;
  return `${s}</meta>`;
}

function flow(a: CtAttrs, opts: CtFormatOptions): string {
  const open = a.type === null ? '<flow>' : `<flow type="${a.type.toLowerCase()}">`;
  let s = open + tupleXml(a, 0) + tupleXml(a, 1) + independentXml(a, opts);
  if (a.helper) s += `<helper>${a.conn.helperName}</helper>`;
  return `${s}</flow>`;
}
