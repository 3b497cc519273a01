/**
 * The interface every layer-4 protocol tracker implements (one file per protocol under
 * conntrack/proto/), mirroring the kernel's split of work for a protocol. The table calls, for
 * each packet, in the kernel's order:
 *
 *  1. (the tuple is taken from the packet by tuple.ts, the entry looked up, or allocated when
 *     there is none: table-full and expectation checks happen here)
 *  2. `error`: checks on the packet alone (header too short, bad checksum where the kernel
 *     checks it, impossible flag combinations). A reason string makes the packet INVALID. For
 *     ICMP and ICMPv6 the kernel runs these checks before the lookup (they decide whether the
 *     packet is an error quoting another connection); the table does the same.
 *  3. `create`, only for a packet that found no connection: may it start one? Returns the fresh
 *     protocol state, or null (the packet is INVALID and no entry is made).
 *  4. `packet`: the packet on its connection (new or existing): advances the protocol state,
 *     sets the status bits it owns (ASSURED, ...), says how to refresh the timeout, and returns a
 *     verdict.
 *
 * Events: the table caches PROTOINFO when `stateName` changes across `packet` (for a new
 * connection: when it is not empty) or when `packet` sets `out.protoEvent`, and ASSURED when
 * `packet` sets the ASSURED bit.
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
  /** CtStatus bits (the tracker sets ASSURED, reads SEEN_REPLY, CONFIRMED, NAT_CLASH, ...). */
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

/**
 * What `packet` hands back besides the verdict. The table resets it before every call
 * (timeout -1, kill false, protoEvent false). The connection object the table passes also has
 * `expiresAt` (virtual seconds) for trackers that read the remaining lifetime.
 */
export interface PacketOut {
  /**
   * With ACCEPT: seconds from `info.now` to the new expiry, set where the kernel's tracker calls
   * nf_ct_refresh_acct: the timeout is refreshed (unless the entry has a fixed timeout) AND the
   * packet is counted (packets / bytes). Leave -1 for an accepted packet the kernel neither
   * refreshes nor counts (ignored TCP packets, a retransmitted SYN, SCTP's INIT retransmit).
   * With INVALID: a value >= 0 is a bare timer change, nothing counted (the kernel's
   * nf_tcp_handle_invalid).
   */
  timeout: number;
  /**
   * True to count the packet and delete the entry at once (the kernel's nf_ct_kill_acct, e.g. a
   * RST answering an unreplied SYN); the verdict stays ACCEPT and the packet keeps its entry.
   */
  kill: boolean;
  /** The tracker cached an IPCT_PROTOINFO event (an UPDATE is due even if the name did not change). */
  protoEvent: boolean;
}

export interface Tracker<S = unknown> {
  readonly proto: number;
  /** Name as conntrack -L prints it: "tcp", "udp", "icmp", "icmpv6", "sctp", "gre", "udplite", "unknown". */
  readonly name: string;
  /** Packet checks; null when the packet may be tracked, else a reason (-> INVALID). */
  error(pkt: PacketView, hook: number, s: ConntrackSettings): string | null;
  /** May this packet create a connection? Fresh protocol state, or null (-> INVALID, no entry). */
  create(pkt: PacketView, s: ConntrackSettings, now: number): S | null;
  /** Handle the packet on its connection; see PacketOut for the refresh / kill / event outputs. */
  packet(conn: TrackedConn<S>, pkt: PacketView, info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict;
  /** Protocol state name for conntrack -L ("ESTABLISHED"); '' for protocols with none. */
  stateName(state: S): string;
  /**
   * What /proc/net/nf_conntrack prints after the timeout for this protocol (the kernel's
   * print_conntrack), trailing space included; when absent: the state name and a space, or ''.
   */
  procText?(state: S): string;
  /**
   * The protocol state number ctnetlink reports (TCP / SCTP state enums), for the XML output's
   * <state>; absent for protocols without protocol info.
   */
  stateNumber?(state: S): number;
  /**
   * May a clash on confirmation be resolved instead of dropping the packet (the kernel's
   * allow_clash: UDP, UDP-Lite, GRE)?
   */
  readonly allowClash?: boolean;
  /** May the entry be evicted under pressure although ASSURED (the kernel's can_early_drop)? */
  canEarlyDrop?(state: S): boolean;
  /**
   * Snapshot support: a JSON-safe copy of the state, and the state back from it. When absent the
   * table copies the state generically, which works for plain data (numbers, strings, booleans,
   * arrays, typed arrays, plain objects).
   */
  saveState?(state: S): unknown;
  loadState?(data: unknown): S;
}
