/**
 * ICMPv6 tracker (the kernel's nf_conntrack_proto_icmpv6.c).
 *
 *  - error (run before the lookup): fewer than 8 header bytes ("short packet"), a wrong
 *    checksum at PREROUTING ("ICMPv6 checksum failed"). The table then sorts the message:
 *    neighbour discovery, router discovery, MLD and multicast router discovery messages are
 *    UNTRACKED; a redirect carrying the redirected packet's header is matched against the
 *    connection it quotes, as are the error messages (types below 128); other types are tracked.
 *  - create: only echo request (128) and node information query (139) start a connection.
 *    Only in IPv6 packets.
 *  - packet: every packet refreshes the entry to nf_conntrack_icmpv6_timeout.
 */
import { Proto, type PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';
import { badL4Checksum } from './csum.js';

export type Icmpv6State = Record<string, never>;

const ICMPV6_HLEN = 8;
export const ICMPV6_REDIRECT = 137;
/** Redirect: ICMPv6 header 8, target 16, destination 16 bytes before the options. */
export const ICMPV6_REDIRECT_HLEN = 40;
/** The option carrying the redirected packet's header (ND_OPT_REDIRECT_HDR). */
export const ND_OPT_REDIRECT_HDR = 4;

/** Types conntrack never tracks: MLD (130-132, 143), router / neighbour discovery (133-136), multicast router discovery (151, 152). */
const ICMPV6_UNTRACKED = new Set([130, 131, 132, 133, 134, 135, 136, 143, 151, 152]);
const ICMPV6_VALID_NEW = new Set([128, 139]);

export function icmpv6Untracked(type: number): boolean {
  return ICMPV6_UNTRACKED.has(type);
}

/** Error messages are the types without the informational bit. */
export function icmpv6IsErrorType(type: number): boolean {
  return type < 128;
}

export function icmpv6Error(pkt: PacketView, hook: number, s: ConntrackSettings): string | null {
  if (pkt.family !== 6) return null;
  if (pkt.l4Off < 0 || pkt.l4Len < ICMPV6_HLEN) return 'short packet';
  if (badL4Checksum(pkt, hook, s)) return 'ICMPv6 checksum failed';
  return null;
}

const NO_STATE: Icmpv6State = Object.freeze({}) as Icmpv6State;

export function icmpv6Create(pkt: PacketView): Icmpv6State | null {
  if (pkt.family !== 6) return null;
  return ICMPV6_VALID_NEW.has(pkt.buf[pkt.l4Off]!) ? NO_STATE : null;
}

export function icmpv6Packet(_conn: TrackedConn<Icmpv6State>, _pkt: PacketView, _info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict {
  out.timeout = s.icmpv6Timeout;
  return Verdict.ACCEPT;
}

export const icmpv6Tracker: Tracker<Icmpv6State> = {
  proto: Proto.ICMPV6,
  name: 'icmpv6',
  error: icmpv6Error,
  create: icmpv6Create,
  packet: icmpv6Packet,
  stateName: () => '',
};
