/**
 * The interface every layer-4 protocol tracker implements (one file per protocol under
 * conntrack/proto/), mirroring the kernel's split of work for a protocol:
 *
 *  - `error`: checks on the packet alone, before the table lookup (header too short, bad
 *    checksum where the kernel checks it, impossible flag combinations). A reason string makes
 *    the packet INVALID.
 *  - `tuple`: the protocol part of the tuple (ports, ICMP id/type/code, GRE keys).
 *  - `create`: a packet that found no connection: may it start one? Returns the fresh protocol
 *    state, or null (the packet is INVALID and no entry is made).
 *  - `packet`: the packet on its connection (new or existing): advances the protocol state,
 *    sets the timeout and status bits (ASSURED, ...) and returns a verdict.
 */
import type { PacketView } from '../packet/view.js';
import type { ConntrackSettings } from './settings.js';

export const Verdict = {
  /** Packet accepted, connection updated. */
  ACCEPT: 1,
  /** The packet does not fit the connection: INVALID, the connection is left as it was (the kernel's -NF_ACCEPT). */
  INVALID: -1,
  /** The packet is dropped by conntrack itself (NF_DROP). */
  DROP: 0,
  /** The connection must be killed and the packet looked up again (TCP SYN reopening a TIME_WAIT entry). */
  REPEAT: -4,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** What a tracker may read and change of the connection it works on. */
export interface TrackedConn<S> {
  /** CtStatus bits (the tracker sets ASSURED, reads SEEN_REPLY, ...). */
  status: number;
  /** Protocol state object created by `create`. */
  proto: S;
  /** Virtual time (s) at which the connection was created (first packet seen). */
  readonly createdAt: number;
  /** Number of the zone, for trackers that care. */
  readonly zone: number;
}

export interface PacketInfo {
  /** 0 = the packet goes in the original direction, 1 = reply. */
  dir: 0 | 1;
  /** Hook the lookup runs in (Hook.PREROUTING or Hook.OUTPUT). */
  hook: number;
  /** Virtual time, seconds. */
  now: number;
}

export interface Tracker<S = unknown> {
  readonly proto: number;
  /** Name as conntrack -L prints it: "tcp", "udp", "icmp", "icmpv6", "sctp", "gre", "dccp", "udplite", "unknown". */
  readonly name: string;
  /** Pre-lookup checks; null when the packet may be tracked, else a reason (-> INVALID). */
  error(pkt: PacketView, hook: number, s: ConntrackSettings): string | null;
  /** May this packet create a connection? Fresh protocol state, or null (-> INVALID, no entry). */
  create(pkt: PacketView, s: ConntrackSettings, now: number): S | null;
  /**
   * Handle the packet on its connection. Returns the verdict and, for ACCEPT, the new timeout in
   * seconds from `info.now` via `out.timeout` (trackers may also leave it unchanged: -1).
   */
  packet(conn: TrackedConn<S>, pkt: PacketView, info: PacketInfo, s: ConntrackSettings, out: { timeout: number }): Verdict;
  /** Protocol state name for conntrack -L ("ESTABLISHED"); '' for protocols with none. */
  stateName(state: S): string;
}
