/**
 * The host's routing as nft's `fib` and `rt` expressions see it: the lookups nft_fib_ipv4 /
 * nft_fib_ipv6 make (fib_lookup / ip6_route_lookup with a flow of their own, the local table's
 * address types, nf_ipv6_chk_addr), and skb_dst, the route a packet follows once routed
 * (nft_rt's next hop, MTU and realm). The host provides them (HostServices.fib); the pipeline
 * lends them to every packet's context (PacketContext.fib) and records where and with which
 * mark the packet was routed (PacketContext.routed), so `rt` reads the route the packet took.
 */
import type { PacketView } from '../packet/view.js';

/** Route types as the kernel numbers them (RTN_*). */
export const RTN = {
  UNSPEC: 0,
  UNICAST: 1,
  LOCAL: 2,
  BROADCAST: 3,
  ANYCAST: 4,
  MULTICAST: 5,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
  THROW: 9,
  NAT: 10,
  XRESOLVE: 11,
} as const;

/** The flow of a fib lookup (struct flowi4 / flowi6 as nft_fib fills it). */
export interface FibFlow {
  readonly family: 4 | 6;
  readonly dst: ArrayLike<number>;
  /** Source address, null for none (0.0.0.0 / ::). */
  readonly src: ArrayLike<number> | null;
  /** flowi_iif: null is the loopback device (LOOPBACK_IFINDEX). */
  readonly iif: string | null;
  /** flowi_oif (IPv6 link-local destinations only): the lookup is limited to this device. */
  readonly oif: string | null;
  readonly mark: number;
}

/** What a lookup found: the route's type (RTN_*), its next hop device and gateway. */
export interface FibRoute {
  readonly type: number;
  readonly dev: string | null;
  readonly gateway: Uint32Array | null;
  /**
   * IPv6 anycast destination (ipv6_anycast_destination): an anycast route, or the destination
   * is the prefix address of a direct route shorter than /127.
   */
  readonly anycast: boolean;
  /** The route carries RTF_ANYCAST itself (a subnet-router anycast route of the local table). */
  readonly anycastRoute: boolean;
}

/** The route a packet was given (skb_dst), for nft `rt`. */
export interface DstInfo {
  /** Device the route sends to ('lo' for local delivery). */
  readonly dev: string;
  /** Next hop: the gateway, or null when the destination is on-link (rt_nexthop gives daddr). */
  readonly gateway: Uint32Array | null;
  /** dst_mtu of the route. */
  readonly mtu: number;
  /** Routing realm (dst->tclassid); 0 when the route has none. */
  readonly classid: number;
}

/** How a packet was routed: delivered locally, forwarded, or sent by the host itself. */
export type RoutedKind = 'local' | 'forward' | 'output';

export interface FibService {
  /**
   * fib_lookup (IPv4) / ip6_route_lookup (IPv6) over the policy rules and tables; null when no
   * route matches. Error routes (unreachable, prohibit, blackhole, a rule's action) come back
   * with their type.
   */
  lookup(flow: FibFlow): FibRoute | null;
  /** inet_dev_addr_type: RTN_* of an IPv4 address by the local table, on `dev` only when given. */
  addrType4(addr: ArrayLike<number>, dev: string | null): number;
  /** nf_ipv6_chk_addr(addr, dev, strict): `addr` is an address of interface `dev`. */
  hasAddr6(addr: ArrayLike<number>, dev: string): boolean;
  /** The route a packet routed as `kind` follows (skb_dst), with the mark its routing used. */
  dst(kind: RoutedKind, pkt: PacketView, iif: string | null, mark: number): DstInfo | null;
  /** nf_route's output route towards `addr` (as get_tcpmss asks for it): its MTU, null when none. */
  routeMtu(family: 4 | 6, addr: ArrayLike<number>): number | null;
}
