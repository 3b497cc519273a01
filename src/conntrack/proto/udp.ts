/**
 * UDP tracker (the kernel's nf_conntrack_proto_udp.c).
 *
 *  - error: fewer than 8 header bytes ("short packet"), a length field beyond the datagram or
 *    below 8 ("truncated/malformed packet"), a wrong checksum at PREROUTING ("bad checksum"); a
 *    zero checksum means none and is not checked (IPv4 and IPv6 alike, as conntrack does).
 *  - create: any datagram may start a connection.
 *  - packet: until a reply has been seen the entry lives udp_timeout seconds after each packet.
 *    Once replied, a packet arriving more than 2 s after the connection's first packet makes it
 *    a stream: ASSURED and udp_timeout_stream; before that, udp_timeout still. A NAT clash entry
 *    never becomes ASSURED.
 */
import { CtStatus } from '../../netfilter/context.js';
import { Proto, type PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';
import { transportLength, u16 } from './common.js';
import { badL4Checksum } from './csum.js';

/** UDP keeps nothing per connection beyond the entry itself (its creation time marks the stream start). */
export type UdpState = Record<string, never>;

const UDP_HLEN = 8;
/** A connection answered and still active this long after its first packet is a stream. */
export const UDP_STREAM_AFTER = 2;

export function udpError(pkt: PacketView, hook: number, s: ConntrackSettings): string | null {
  const len = transportLength(pkt);
  if (pkt.l4Off < 0 || len < UDP_HLEN || pkt.l4Len < UDP_HLEN) return 'short packet';
  const udplen = u16(pkt.buf, pkt.l4Off + 4);
  if (udplen > len || udplen < UDP_HLEN) return 'truncated/malformed packet';
  if (u16(pkt.buf, pkt.l4Off + 6) === 0) return null;
  return badL4Checksum(pkt, hook, s) ? 'bad checksum' : null;
}

/**
 * The timeout and ASSURED rule UDP and UDP-Lite share once a reply has been seen: `stream`
 * says whether the connection counts as a stream now.
 */
export function repliedRefresh(conn: TrackedConn<unknown>, stream: boolean, s: ConntrackSettings, out: PacketOut): void {
  out.timeout = stream ? s.udpTimeoutStream : s.udpTimeout;
  if (conn.status & CtStatus.NAT_CLASH) return;
  if (stream) conn.status |= CtStatus.ASSURED;
}

export function udpPacket(conn: TrackedConn<UdpState>, _pkt: PacketView, info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict {
  if (conn.status & CtStatus.SEEN_REPLY) {
    repliedRefresh(conn, info.now > conn.createdAt + UDP_STREAM_AFTER, s, out);
  } else {
    out.timeout = s.udpTimeout;
  }
  return Verdict.ACCEPT;
}

const NO_STATE: UdpState = Object.freeze({}) as UdpState;

export const udpTracker: Tracker<UdpState> = {
  proto: Proto.UDP,
  name: 'udp',
  allowClash: true,
  error: udpError,
  create: () => NO_STATE,
  packet: udpPacket,
  stateName: () => '',
};
