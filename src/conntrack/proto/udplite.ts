/**
 * UDP-Lite tracker (the UDP-Lite half of the kernel's nf_conntrack_proto_udp.c in 6.18).
 *
 *  - error: fewer than 8 header bytes ("short packet"); a checksum coverage below 8 or beyond
 *    the datagram ("invalid checksum coverage"; 0 means the whole datagram); a zero checksum
 *    ("checksum missing": UDP-Lite mandates one); a wrong checksum at PREROUTING ("bad
 *    checksum"). The kernel verifies the covered bytes against a pseudo-header that names
 *    protocol 17 (UDP), not 136; for IPv4 its nf_ip_checksum_partial also passes protocol and
 *    length to csum_tcpudp_nofold in swapped order, so only the low byte of the transport length
 *    enters the sum. This tracker checks exactly that sum: a checksum made the RFC 3828 way fails
 *    it, as it does on the kernel (for packets that reach conntrack without a verified checksum).
 *  - packet: udp_timeout until a reply is seen; from the first packet after a reply on,
 *    udp_timeout_stream and ASSURED (no 2-second rule, unlike UDP).
 */
import { fold, pseudoHeaderSum, sum16 } from '../../packet/checksum.js';
import { CtStatus, Hook } from '../../netfilter/context.js';
import { Proto, type PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';
import { transportLength, u16 } from './common.js';
import { repliedRefresh, type UdpState } from './udp.js';

const UDPLITE_HLEN = 8;

/** The kernel's nf_checksum_partial as udplite_error calls it (see the module comment). */
function udpliteSumOk(pkt: PacketView, coverage: number): boolean {
  const len = pkt.l4Len;
  const pseudoLen = pkt.family === 4 ? len & 0xff : len;
  const s = pseudoHeaderSum(pkt.family as 4 | 6, pkt.src, pkt.dst, Proto.UDP, pseudoLen) + sum16(pkt.buf, pkt.l4Off, Math.min(coverage, len));
  return fold(s) === 0xffff;
}

export function udpliteError(pkt: PacketView, hook: number, s: ConntrackSettings): string | null {
  const len = transportLength(pkt);
  if (pkt.l4Off < 0 || len < UDPLITE_HLEN || pkt.l4Len < UDPLITE_HLEN) return 'short packet';
  let cscov = u16(pkt.buf, pkt.l4Off + 4);
  if (cscov === 0) cscov = len;
  else if (cscov < UDPLITE_HLEN || cscov > len) return 'invalid checksum coverage';
  if (u16(pkt.buf, pkt.l4Off + 6) === 0) return 'checksum missing';
  if (hook === Hook.PREROUTING && s.checksum && !pkt.ipTruncated && !udpliteSumOk(pkt, cscov)) return 'bad checksum';
  return null;
}

export function udplitePacket(conn: TrackedConn<UdpState>, _pkt: PacketView, _info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict {
  if (conn.status & CtStatus.SEEN_REPLY) repliedRefresh(conn, true, s, out);
  else out.timeout = s.udpTimeout;
  return Verdict.ACCEPT;
}

const NO_STATE: UdpState = Object.freeze({}) as UdpState;

export const udpliteTracker: Tracker<UdpState> = {
  proto: Proto.UDPLITE,
  name: 'udplite',
  allowClash: true,
  error: udpliteError,
  create: () => NO_STATE,
  packet: udplitePacket,
  stateName: () => '',
};
