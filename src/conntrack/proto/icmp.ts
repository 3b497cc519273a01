/**
 * ICMP tracker (the kernel's nf_conntrack_proto_icmp.c).
 *
 *  - error (run before the lookup, as the kernel's nf_conntrack_icmpv4_error): fewer than 8
 *    header bytes ("short packet"), a wrong checksum at PREROUTING ("bad hw icmp checksum"), a
 *    type above 18 ("invalid icmp type"). The error types (destination unreachable, source
 *    quench, redirect, time exceeded, parameter problem) are then matched by the table against
 *    the connection they quote (RELATED) instead of being tracked themselves.
 *  - create: only echo (8), timestamp (13), information (15) and address mask (17) requests
 *    start a connection; a reply or any other type without a connection is INVALID. Only in IPv4
 *    packets (ICMP carried by IPv6 is never tracked).
 *  - packet: every packet in either direction refreshes the entry to nf_conntrack_icmp_timeout;
 *    there is no state and no ASSURED.
 */
import { Proto, type PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';
import { badL4Checksum } from './csum.js';

export type IcmpState = Record<string, never>;

const ICMP_HLEN = 8;
/** The highest ICMP type the kernel knows (NR_ICMP_TYPES). */
const NR_ICMP_TYPES = 18;

/** Types that may start a connection (the requests of request/reply pairs). */
const ICMP_VALID_NEW = new Set([8, 13, 15, 17]);

/** Error messages quoting the packet they answer (the kernel's icmp_is_err). */
export function icmpIsErrorType(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export function icmpError(pkt: PacketView, hook: number, s: ConntrackSettings): string | null {
  if (pkt.family !== 4) return null;
  if (pkt.l4Off < 0 || pkt.l4Len < ICMP_HLEN) return 'short packet';
  if (badL4Checksum(pkt, hook, s)) return 'bad hw icmp checksum';
  if (pkt.buf[pkt.l4Off]! > NR_ICMP_TYPES) return 'invalid icmp type';
  return null;
}

const NO_STATE: IcmpState = Object.freeze({}) as IcmpState;

export function icmpCreate(pkt: PacketView): IcmpState | null {
  if (pkt.family !== 4) return null;
  return ICMP_VALID_NEW.has(pkt.buf[pkt.l4Off]!) ? NO_STATE : null;
}

export function icmpPacket(_conn: TrackedConn<IcmpState>, _pkt: PacketView, _info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict {
  out.timeout = s.icmpTimeout;
  return Verdict.ACCEPT;
}

export const icmpTracker: Tracker<IcmpState> = {
  proto: Proto.ICMP,
  name: 'icmp',
  error: icmpError,
  create: icmpCreate,
  packet: icmpPacket,
  stateName: () => '',
};
