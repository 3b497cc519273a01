/**
 * ICMP and ICMPv6 errors RELATED to a NATed connection (the kernel's
 * nf_nat_icmp_reply_translation / nf_nat_icmpv6_reply_translation): the error quotes a packet of
 * the connection as one side sent or received it, so both the quote and the error's own header
 * are translated, at every NAT hook, for the manipulation the connection has in the error's
 * direction.
 *
 * Steps, as the kernel takes them:
 *  1. the error must hold its 8-byte header and a whole quoted IP header, and its checksum must
 *     be right (else drop);
 *  2. a redirect is only let through for a connection with both bindings set and no translation;
 *  3. if the connection has no translation for this hook and direction, nothing changes;
 *  4. the quoted packet gets the other manipulation towards the other direction's tuple (its
 *     IP header checksum and, where the quote is long enough, its transport checksum updated
 *     incrementally), then the error's checksum is recomputed in full;
 *  5. the outer header is translated as any packet of the connection would be (addresses only:
 *     error types carry no identifier), with the ICMPv6 pseudo-header change.
 */
import type { Conn } from '../conntrack/conn.js';
import { invertTuple, type Tuple } from '../conntrack/tuple.js';
import { CtStatus } from '../netfilter/context.js';
import { computeL4Checksum, put16, verifyL4Checksum } from '../packet/checksum.js';
import { Proto, type PacketView } from '../packet/view.js';
import { type ExtWalk, Manip, manipPacket, otherManip } from './manip.js';

const ICMP_REDIRECT = 5;
const NDISC_REDIRECT = 137;
const NAT_MASK = CtStatus.SRC_NAT | CtStatus.DST_NAT;
const NAT_DONE_MASK = CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE;

/** The status bit that says packets of direction `dir` get `manip` at this hook. */
export function natStatusBit(manip: Manip, dir: 0 | 1): number {
  const bit = manip === Manip.SRC ? CtStatus.SRC_NAT : CtStatus.DST_NAT;
  return dir === 1 ? bit ^ NAT_MASK : bit;
}

/** Is this packet one the ICMP translation handles (an ICMP / ICMPv6 message of its family)? */
export function isIcmpOfFamily(pkt: PacketView): boolean {
  return pkt.family === 4 ? pkt.proto === Proto.ICMP : pkt.l4Off >= 0 && pkt.proto === Proto.ICMPV6;
}

/**
 * Translates a RELATED ICMP(v6) packet of `conn` in direction `dir` at a hook doing `manip`.
 * `target` and `walk` are scratch. False: drop.
 */
export function translateIcmpError(pkt: PacketView, conn: Conn, dir: 0 | 1, manip: Manip, target: Tuple, walk: ExtWalk): boolean {
  const b = pkt.buf;
  const l4 = pkt.l4Off;
  const end = pkt.ipEnd;
  const v6 = pkt.family === 6;
  if (l4 < 0 || l4 + 8 + (v6 ? 40 : 20) > end) return false;
  if (!verifyL4Checksum(pkt)) return false;
  if (b[l4] === (v6 ? NDISC_REDIRECT : ICMP_REDIRECT)) {
    if ((conn.status & NAT_DONE_MASK) !== NAT_DONE_MASK) return false;
    if (conn.status & NAT_MASK) return false;
  }
  if (!(conn.status & natStatusBit(manip, dir))) return true;
  const other = conn.tuple(dir === 0 ? 1 : 0);
  if (!manipPacket(b, l4 + 8, end, other, otherManip(manip), walk)) return false;
  put16(b, l4 + 2, 0);
  put16(b, l4 + 2, computeL4Checksum(pkt));
  if (!invertTuple(target, other)) throw new Error('NAT: a connection tuple without an inverse');
  target.proto = v6 ? Proto.ICMPV6 : Proto.ICMP;
  return manipPacket(b, pkt.l3Off, end, target, manip, walk);
}
