/**
 * What a rule sees of a packet while it walks a hook: the decoded packet, where it is, its
 * conntrack entry, and the per-packet metadata rules can read and change (mark, ...).
 *
 * This is the contract between the pipeline (netfilter/), the conntrack core (conntrack/) and the
 * rule front ends (rules/ for iptables, nft): matches read a PacketContext, targets and
 * statements change it or return an action for the pipeline to carry out.
 */
import type { PacketView } from '../packet/view.js';

/** Netfilter hooks, numbered as the kernel numbers them (NF_INET_*). */
export const Hook = {
  PREROUTING: 0,
  INPUT: 1,
  FORWARD: 2,
  OUTPUT: 3,
  POSTROUTING: 4,
} as const;
export type Hook = (typeof Hook)[keyof typeof Hook];
export const HOOK_NAMES = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

/**
 * State bits as xt_state / xt_conntrack --ctstate test them (and nft `ct state`):
 * INVALID 1, ESTABLISHED 2, RELATED 4, NEW 8, UNTRACKED 64.
 */
export const CtStateBit = {
  INVALID: 1,
  ESTABLISHED: 2,
  RELATED: 4,
  NEW: 8,
  UNTRACKED: 64,
} as const;

/** Connection status bits, IPS_* values as in the kernel's nf_conntrack_common.h. */
export const CtStatus = {
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SEQ_ADJUST: 1 << 6,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  TEMPLATE: 1 << 11,
  UNTRACKED: 1 << 12,
  NAT_CLASH: 1 << 12, // the kernel reuses bit 12 for NAT_CLASH
  HELPER: 1 << 13,
  OFFLOAD: 1 << 14,
  HW_OFFLOAD: 1 << 15,
} as const;

/** A connection tuple as rules see it (conntrack's own tuple type satisfies this). */
export interface CtTupleLike {
  readonly family: 4 | 6;
  readonly proto: number;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  /** Ports for TCP/UDP/SCTP/DCCP/UDP-Lite; for ICMP: sport = echo id, dport = type<<8|code. */
  readonly sport: number;
  readonly dport: number;
}

/** What rules may read and change of a connection (conntrack's Conn satisfies this). */
export interface CtHandle {
  readonly orig: CtTupleLike;
  readonly reply: CtTupleLike;
  /** CtStatus bits. */
  status: number;
  mark: number;
  /** 128 label bits, word 0 = bits 0..31. */
  readonly labels: Uint32Array;
  readonly zone: number;
  /** Name of the helper attached ("ftp", ...), or null. */
  readonly helperName: string | null;
  /** Virtual time (seconds) at which the entry times out. */
  readonly expiresAt: number;
  /** Protocol state name as conntrack -L prints it (ESTABLISHED, SYN_SENT, ...), '' if none. */
  protoStateName(): string;
}

/** An action a terminal target asks the pipeline to carry out. */
export type Action =
  | { kind: 'reject'; with: string }
  | { kind: 'nat'; nat: unknown };

export interface PacketContext {
  pkt: PacketView;
  family: 4 | 6;
  hook: Hook;
  /** Ingress / egress interface names (null where the hook has none). */
  iif: string | null;
  oif: string | null;
  /** skb->mark. */
  mark: number;
  /** Virtual time in seconds. */
  now: number;
  /** The packet's connection; null for INVALID and UNTRACKED packets. */
  ct: CtHandle | null;
  /** CtStateBit of this packet (exactly one bit set). */
  ctState: number;
  /** 0 original, 1 reply. */
  ctDir: 0 | 1;
  /** Set by -j CT --notrack / NOTRACK / nft notrack (raw table): the pipeline makes the packet untracked. */
  notrack: boolean;
  /** Set by CT --helper / nft ct helper set: helper name for the new connection. */
  ctHelper: string | null;
  /** Set by CT --zone / nft ct zone set. */
  ctZone: number;
  /** Lines written by LOG / NFLOG / nft log (prefix + packet description). */
  log: string[];
}
