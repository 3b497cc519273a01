/**
 * What nf_conncount keeps and compares, shared by iptables' -m connlimit and nft's `ct count`:
 * the recorded connections of one key (tuple, zone, the jiffy they were added), tuple equality,
 * the packet's own tuple for a packet without a connection (nf_ct_get_tuplepr), and the TCP
 * states that make a recorded connection count as closed.
 */
import type { CtHandle, CtTupleLike, PacketContext } from './context.js';

/** A connection nf_conncount recorded (tuple, zone, jiffies when added). */
export interface Recorded {
  readonly tuple: CtTupleLike;
  readonly zone: number;
  readonly jiffies: number;
}

/** At most this many recorded connections are collected in one walk (CONNCOUNT_GC_MAX_NODES' list counterpart). */
export const GC_MAX_COLLECT = 64;

export function sameTuple(a: CtTupleLike, b: CtTupleLike): boolean {
  if (a.family !== b.family || a.proto !== b.proto || a.sport !== b.sport || a.dport !== b.dport) return false;
  for (let i = 0; i < 4; i++) if (a.src[i] !== b.src[i] || a.dst[i] !== b.dst[i]) return false;
  return true;
}

export function copyTuple(t: CtTupleLike): CtTupleLike {
  return { family: t.family, proto: t.proto, src: t.src.slice(), dst: t.dst.slice(), sport: t.sport, dport: t.dport };
}

/** already_closed: a TCP connection in TIME_WAIT or CLOSE no longer counts. */
export function alreadyClosed(ct: CtHandle): boolean {
  if (ct.orig.proto !== 6) return false;
  const s = ct.protoStateName();
  return s === 'TIME_WAIT' || s === 'CLOSE';
}

/** nf_ct_get_tuplepr: the original-direction tuple of a packet without a connection, or null without a transport header. */
export function packetTuple(ctx: PacketContext): CtTupleLike | null {
  const pkt = ctx.pkt;
  if (pkt.l4Off < 0) return null;
  const icmp = pkt.proto === 1 || pkt.proto === 58;
  return {
    family: ctx.family,
    proto: pkt.proto,
    src: pkt.src.slice(),
    dst: pkt.dst.slice(),
    sport: icmp ? pkt.icmpId : pkt.sport,
    dport: icmp ? (pkt.icmpType << 8) | pkt.icmpCode : pkt.dport,
  };
}
