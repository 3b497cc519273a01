/**
 * What a rule sees of a packet while it walks a hook: the decoded packet, where it is, its
 * conntrack entry, and the per-packet metadata rules can read and change (mark, ...).
 *
 * This is the contract between the pipeline (netfilter/), the conntrack core (conntrack/) and the
 * rule front ends (rules/ for iptables, nft): matches read a PacketContext, targets and
 * statements change it or return an action for the pipeline to carry out.
 */
import type { PacketView } from '../packet/view.js';
import type { FibService, RoutedKind } from './fib.js';

/** Netfilter hooks, numbered as the kernel numbers them (NF_INET_*). */
export const Hook = {
  PREROUTING: 0,
  INPUT: 1,
  FORWARD: 2,
  OUTPUT: 3,
  POSTROUTING: 4,
  /**
   * ctkit's numbers for the hooks outside NF_INET_*: a device's netdev ingress (before IP, every
   * frame) and egress (every frame it transmits), and the arp family's input and output
   * (NF_ARP_IN / NF_ARP_OUT). See netfilter/netdev.ts.
   */
  INGRESS: 5,
  EGRESS: 6,
  ARP_IN: 7,
  ARP_OUT: 8,
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
  /** The zone id of one direction (nf_ct_zone_id: 0 when the zone applies to the other only). */
  zoneOf(dir: 0 | 1): number;
  /** Name of the helper attached ("ftp", ...), or null. */
  readonly helperName: string | null;
  /** Virtual time (seconds) at which the entry times out. */
  readonly expiresAt: number;
  /** Protocol state name as conntrack -L prints it (ESTABLISHED, SYN_SENT, ...), '' if none. */
  protoStateName(): string;
  /** The connection this one was expected by (RELATED connections), for `-m helper`. */
  readonly master?: CtHandle | null;
}

/** An action a terminal target asks the pipeline to carry out. */
export type Action =
  | { kind: 'reject'; with: string }
  | { kind: 'nat'; nat: unknown }
  /**
   * nft `fwd` (netdev ingress / egress): the frame leaves on `dev` (nf_fwd_netdev_egress) and the
   * hook's verdict is STOLEN; with `family` and `addr` (`fwd ip to ADDR device DEV`) the TTL / hop
   * limit is decremented first and the frame goes to that neighbour. `rule` is the trace name of
   * the rule (the kernel traces it after the frame went out).
   */
  | { kind: 'fwd'; dev: string; family: 4 | 6 | null; addr: Uint8Array | null; rule: string };

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
  /**
   * When not null, every rule a chain tries is appended here ("TABLE CHAIN N: match" / "no match",
   * "TABLE CHAIN policy ACCEPT"): the full trace TRACE / nft monitor trace would show.
   */
  evalTrace?: string[] | null;
  /** Source MAC of the frame the packet arrived in (6 bytes), null when the link has none. */
  inMac?: Uint8Array | null;

  // ---- optional: set by targets, or provided by the host for some matches ----
  /** Set by a match that found the packet malformed (x_tables hotdrop): the rule walk drops it. */
  hotdrop?: boolean;
  /** Set by -j TRACE (skb->nf_trace). */
  nfTrace?: boolean;
  /** skb->priority, set by -j CLASSIFY (major << 16 | minor). */
  priority?: number;
  /** Set by CT --ctevents / --expevents: event masks (IPCT_* / IPEXP_* bits) for the new connection. */
  ctEvents?: number;
  ctExpEvents?: number;
  /** Set by CT --timeout: name of the timeout policy for the new connection. */
  ctTimeoutPolicy?: string | null;
  /** Set by CT --zone-orig / --zone-reply: directions the zone applies to (1 orig, 2 reply, 3 both). */
  ctZoneDir?: number;
  /** True once a CT or NOTRACK target attached its template: the kernel ignores later ones. */
  ctAttached?: boolean;
  /** skb->pkt_type (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4) for -m pkttype. */
  pktType?: number;
  /**
   * Route type of an address as the host's routing tables see it (RTN_UNICAST 1, LOCAL 2,
   * BROADCAST 3, ANYCAST 4, MULTICAST 5, BLACKHOLE 6, UNREACHABLE 7, PROHIBIT 8, ...), for
   * -m addrtype; `dev` limits the lookup to one interface (--limit-iface-in/out), null for all.
   */
  addrType?: (family: 4 | 6, addr: Uint32Array, dev: string | null) => number;
  /** Owner of the local socket that sent the packet (OUTPUT, POSTROUTING), for -m owner; null if none. */
  sock?: { uid: number; gid: number; supplementaryGids?: readonly number[] } | null;
  /** MTU of the route towards `addr` (for TCPMSS --clamp-mss-to-pmtu); 0xffffffff when there is none. */
  routeMtu?: (family: 4 | 6, addr: Uint32Array) => number;
  /** Finds a live connection by one of its tuples in a zone (for -m connlimit's bookkeeping). */
  ctFind?: (tuple: CtTupleLike, zone: number) => CtHandle | null;

  // ---- netdev and arp hooks (netfilter/netdev.ts) ----
  /**
   * Bytes of link-layer header skb->len counts at this hook beyond `pkt`'s network header (14 at
   * netdev egress and arp output, where the Ethernet header is already built; 0 elsewhere).
   */
  llLen?: number;
  /** Why the link-layer header cannot be read here (a raw-IP capture, a routed frame): `ether` / `@ll` stop the replay with it. */
  llMissing?: string | null;
  /** nft `dup to DEV` (netdev): a copy of the frame leaves on `dev` now (nf_dup_netdev_egress). */
  dupTo?: ((dev: string) => void) | null;
  /** The host's routing lookups for nft `fib` / `rt` (HostServices.fib), when the host has them. */
  fib?: FibService | null;
  /** Where the packet was routed (skb_dst is set from then on), null or absent before routing. */
  routed?: RoutedKind | null;
  /** The mark its routing decision used. */
  routedMark?: number;
  /** 32-bit random values from the replay's seed (nft `numgen random`, `jhash` without a seed). */
  random?: () => number;
  /** The host's flow-hash key (4 words: the kernel's boot-random hashrnd, derived from the seed), for nft `symhash`. */
  flowHashKey?: Uint32Array;
  /** skb->secmark (0 unless nft `meta secmark set ct secmark` copied the connection's). */
  secmark?: number;
  /** What nft's ct timeout / ct expectation objects ask of the conntrack core, when the host provides it. */
  ctObjects?: CtObjectServices | null;
}

/** Conntrack services for nft stateful objects (nft_ct.c's timeout and expectation objects). */
export interface CtObjectServices {
  /**
   * nft_ct_timeout_obj_eval: the (unconfirmed) connection follows `policy` (timeouts in seconds
   * by nfct attribute name, for protocol `proto`) from now on, and its timeout becomes `first`.
   */
  setTimeoutPolicy(conn: CtHandle, policy: { readonly proto: number; readonly timeouts: ReadonlyMap<string, number> }, first: number, now: number): void;
  /**
   * nft_ct_expect_obj_eval: the connection (unconfirmed, packet direction `dir`) expects one of
   * `proto` from its reply source to its reply destination port `dport`, for `timeout` seconds;
   * 'break' when it already has `size` expectations, 'drop' when the expectation was refused.
   */
  expect(conn: CtHandle, dir: 0 | 1, e: { readonly family: 4 | 6; readonly proto: number; readonly dport: number; readonly timeout: number; readonly size: number }, now: number): 'ok' | 'break' | 'drop';
}
