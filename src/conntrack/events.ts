/**
 * Conntrack events, as the kernel's event cache (nf_conntrack_ecache) produces them.
 *
 * While a packet is processed, changes to its connection set bits (IPCT_*) in a per-connection
 * cache; the cache is delivered as ONE event when the packet leaves through the confirm hook
 * (POSTROUTING or INPUT), or stays for the next packet of the connection when this one is dropped
 * before. DESTROY is not cached: it is sent the moment an entry dies. ctnetlink turns the bits
 * into a message type: DESTROY if the DESTROY bit is set, else NEW for NEW / RELATED, else UPDATE
 * for any other bit.
 */
import type { Conn } from './conn.js';

/** Event cache bits (the kernel's enum ip_conntrack_events, as bit masks). */
export const IPCT = {
  NEW: 1 << 0,
  RELATED: 1 << 1,
  DESTROY: 1 << 2,
  REPLY: 1 << 3,
  ASSURED: 1 << 4,
  PROTOINFO: 1 << 5,
  HELPER: 1 << 6,
  MARK: 1 << 7,
  SEQADJ: 1 << 8,
  SECMARK: 1 << 9,
  LABEL: 1 << 10,
  SYNPROXY: 1 << 11,
} as const;

export type CtEventType = 'NEW' | 'UPDATE' | 'DESTROY';

export interface CtEvent {
  type: CtEventType;
  /** The connection, live: format the event in the listener (later changes show otherwise). */
  conn: Conn;
  /** Virtual time of the event (seconds): timeouts print as remaining from here. */
  time: number;
  /** The IPCT bits delivered (decide which optional fields the message carries). */
  bits: number;
}

export type CtEventListener = (ev: CtEvent) => void;

/** ctnetlink's choice of message type for a set of bits; null when there is nothing to send. */
export function eventType(bits: number): CtEventType | null {
  if (bits & IPCT.DESTROY) return 'DESTROY';
  if (bits & (IPCT.NEW | IPCT.RELATED)) return 'NEW';
  return bits !== 0 ? 'UPDATE' : null;
}
