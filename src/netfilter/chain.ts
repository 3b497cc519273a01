/**
 * A base chain as the pipeline sees it: something registered on a hook at a priority, of a type
 * (filter, nat, route), for a family, that judges a packet. The iptables front end (one base chain
 * per builtin chain of each table) and the nftables front end (each `type ... hook ... priority`
 * chain) both hand the pipeline a list of these, so the two can coexist on one host exactly as
 * iptables-nft and native nft tables do in the kernel.
 */
import type { Action, Hook, PacketContext } from './context.js';

export const ChainVerdict = {
  DROP: 0,
  ACCEPT: 1,
  /** A terminal Action (REJECT, a NAT binding) for the pipeline to carry out. */
  ACTION: 2,
} as const;
export type ChainVerdict = (typeof ChainVerdict)[keyof typeof ChainVerdict];

export interface ChainResult {
  verdict: ChainVerdict;
  action: Action | null;
}

/** Priorities of the kernel's built-in hook users (NF_IP_PRI_*). */
export const Priority = {
  CONNTRACK_DEFRAG: -400,
  RAW: -300,
  SELINUX_FIRST: -225,
  CONNTRACK: -200,
  MANGLE: -150,
  NAT_DST: -100,
  FILTER: 0,
  SECURITY: 50,
  NAT_SRC: 100,
  SELINUX_LAST: 225,
  CONNTRACK_HELPER: 300,
  CONNTRACK_CONFIRM: 2147483647,
} as const;

export interface BaseChain {
  /** 4, 6, or 0 for both (nft inet). */
  readonly family: 0 | 4 | 6;
  readonly hook: Hook;
  readonly priority: number;
  readonly type: 'filter' | 'nat' | 'route';
  /** Label for traces, e.g. "ip filter FORWARD". */
  readonly label: string;
  /** Hook.INGRESS / Hook.EGRESS chains: the devices they are bound to. */
  readonly devices?: readonly string[];
  /** An inet chain on the ingress hook: it sees IPv4 and IPv6 frames only (netdev chains see every frame). */
  readonly ipOnly?: boolean;
  /** Judge the packet; push "TABLE CHAIN N" / "... policy" for every counter raised onto `trace`. */
  run(ctx: PacketContext, trace: string[]): ChainResult;
}
