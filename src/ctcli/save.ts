/**
 * `conntrack -o save`: an entry as the conntrack command that would make it again
 * (ct_save_snprintf of conntrack-tools 1.4.7):
 *
 *   -A -t 99 -u SEEN_REPLY,ASSURED -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1000 --dport 80 --reply-port-src 80 --reply-port-dst 1000 --state ESTABLISHED
 *
 * "-A" for a listing or a NEW event, "-U" for an UPDATE, "-D" for a deletion or DESTROY; the
 * reply addresses become "-g" / "-n" when the entry is destination / source NATed. Attributes the
 * message lacks are left out; the mark and labels never print.
 */
import type { Conn } from '../conntrack/conn.js';
import type { CtAttrs } from '../format/ct-attrs.js';
import { toolAddr, tupleZone } from '../format/ct-attrs.js';
import { Proto } from '../packet/view.js';
import { natKinds } from './filter.js';
import { handlerFor } from './protocols.js';

/** Status bits the save format names, in bit order (conntrack_status_map). */
const STATUS_NAMES: ReadonlyArray<readonly [number, string]> = [
  [1 << 0, 'EXPECTED'],
  [1 << 1, 'SEEN_REPLY'],
  [1 << 2, 'ASSURED'],
  [1 << 10, 'FIXED_TIMEOUT'],
];

/** The state names the extensions print; a number without a name prints as C prints a NULL string. */
const STATE_NAMES: Readonly<Record<number, readonly string[]>> = {
  [Proto.TCP]: ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'],
  [Proto.SCTP]: ['NONE', 'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD', 'SHUTDOWN_ACK_SENT'],
};

export type SaveKind = 'A' | 'U' | 'D';

function statusPart(status: number): string {
  const names = STATUS_NAMES.filter(([b]) => status & b).map(([, n]) => n);
  return `-u ${names.length === 0 ? 'UNSET' : names.join(',')} `;
}

function addressPart(c: Conn): string {
  const f = c.family;
  const nat = natKinds(c);
  let s = `-s ${toolAddr(f, c.orig.src)} -d ${toolAddr(f, c.orig.dst)} `;
  s += `${nat.dnat ? '-g' : '-r'} ${toolAddr(f, c.reply.src)} `;
  s += `${nat.snat ? '-n' : '-q'} ${toolAddr(f, c.reply.dst)} `;
  return s;
}

function stateName(a: CtAttrs): string | null {
  const c = a.conn;
  if (!a.state || !c.tracker.stateNumber) return null;
  const names = STATE_NAMES[c.protoNum];
  if (!names) return null;
  return names[c.tracker.stateNumber(c.proto)] ?? '(null)';
}

/** The extension's print_opts: ports or keys, ICMP fields, protocol state, SCTP tags. */
function protoPart(a: CtAttrs): string {
  const c = a.conn;
  const o = c.orig;
  const r = c.reply;
  switch (c.protoNum) {
    case Proto.TCP:
    case Proto.UDP:
    case Proto.UDPLITE:
    case Proto.SCTP: {
      let s = `--sport ${o.sport} --dport ${o.dport} --reply-port-src ${r.sport} --reply-port-dst ${r.dport} `;
      const st = stateName(a);
      if (st !== null) s += `--state ${st} `;
      if (c.protoNum === Proto.SCTP && a.state) s += sctpTags(c);
      return s;
    }
    case Proto.GRE:
      return `--srckey ${o.sport} --dstkey ${o.dport} --reply-key-src ${r.sport} --reply-key-dst ${r.dport} `;
    case Proto.ICMP:
    case Proto.ICMPV6: {
      const p = c.protoNum === Proto.ICMP ? 'icmp' : 'icmpv6';
      return `--${p}-type ${o.dport >>> 8} --${p}-code ${o.dport & 0xff} --${p}-id ${o.sport} `;
    }
    default:
      return '';
  }
}

function sctpTags(c: Conn): string {
  const vtag = (c.proto as { vtag?: [number, number] }).vtag;
  return vtag ? `--orig-vtag ${vtag[0] >>> 0} --reply-vtag ${vtag[1] >>> 0} ` : '';
}

/** One -o save line. */
export function formatSave(a: CtAttrs, kind: SaveKind): string {
  const c = a.conn;
  let s = `-${kind} `;
  if (a.timeout !== null) s += `-t ${a.timeout} `;
  s += statusPart(c.status);
  if (a.zone) s += `-w ${c.zone} `;
  const zo = tupleZone(c, 0);
  if (zo !== null) s += `--orig-zone ${zo} `;
  const zr = tupleZone(c, 1);
  if (zr !== null) s += `--reply-zone ${zr} `;
  s += addressPart(c);
  const h = handlerFor(c.protoNum);
  s += h ? `-p ${h.name} ${protoPart(a)}` : `-p ${c.protoNum} `;
  return s.trimEnd();
}
