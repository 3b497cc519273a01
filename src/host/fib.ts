/**
 * The host's routing seen through nft's `fib` and `rt` (FibService): policy-routed lookups with
 * nft_fib's flow, the local table's address types (inet_dev_addr_type), interface addresses
 * (nf_ipv6_chk_addr), the route a routed packet follows (skb_dst) and nf_route's reverse lookup.
 *
 * Besides the tables of routing.ts it knows the routes Linux keeps for IPv6 without being told:
 * fe80::/64 on every interface with IPv6 (link-local destinations are looked up on one device)
 * and ff00::/8 (multicast), and that the prefix address of a connected IPv6 route is an anycast
 * destination (the subnet-router anycast address, a route of its own on a forwarding interface).
 */
import type { DstInfo, FibFlow, FibRoute, FibService, RoutedKind } from '../netfilter/fib.js';
import { RTN } from '../netfilter/fib.js';
import type { PacketView } from '../packet/view.js';
import type { RouteType } from './config.js';
import { inPrefix, type RouteResult, type RoutingTable, sameAddr } from './routing.js';
import type { HostSysctls } from './sysctl.js';

const TYPE_RTN: Readonly<Record<RouteType, number>> = {
  unicast: RTN.UNICAST, local: RTN.LOCAL, broadcast: RTN.BROADCAST, unreachable: RTN.UNREACHABLE,
  prohibit: RTN.PROHIBIT, blackhole: RTN.BLACKHOLE, throw: RTN.THROW,
};

const ADDR_RTN: Readonly<Record<string, number>> = { UNICAST: RTN.UNICAST, LOCAL: RTN.LOCAL, BROADCAST: RTN.BROADCAST, MULTICAST: RTN.MULTICAST };

function isLinkLocal6(a: ArrayLike<number>): boolean {
  return (a[0]! >>> 22) === 0x3fa;
}

function isMulticast6(a: ArrayLike<number>): boolean {
  return (a[0]! >>> 24) === 0xff;
}

export class HostFib implements FibService {
  constructor(
    private readonly routing: RoutingTable,
    private readonly sysctl: HostSysctls,
  ) {}

  private v6Up(dev: string): boolean {
    const f = this.routing.iface(dev);
    return f !== undefined && f.up && !this.sysctl.ipv6Disabled(dev);
  }

  lookup(flow: FibFlow): FibRoute | null {
    if (flow.family === 6) {
      // the kernel's own fe80::/64 and ff00::/8 routes of each IPv6 interface
      if (isLinkLocal6(flow.dst)) {
        if (flow.oif === null || !this.v6Up(flow.oif)) return null;
        if (this.routing.iface(flow.oif)!.addresses.some((a) => a.family === 6 && sameAddr(6, a.addr, flow.dst))) {
          return { type: RTN.LOCAL, dev: flow.oif, gateway: null, anycast: false, anycastRoute: false };
        }
        return { type: RTN.UNICAST, dev: flow.oif, gateway: null, anycast: false, anycastRoute: false };
      }
      if (isMulticast6(flow.dst)) {
        const dev = flow.oif ?? this.routing.interfaces.find((f) => f.name !== 'lo' && this.v6Up(f.name))?.name ?? null;
        return dev === null ? null : { type: RTN.MULTICAST, dev, gateway: null, anycast: false, anycastRoute: false };
      }
      const any = this.anycastRoute(flow.dst);
      if (any !== null) return { type: RTN.ANYCAST, dev: any, gateway: null, anycast: true, anycastRoute: true };
    }
    const r = this.routing.lookup({ family: flow.family, dst: flow.dst, src: flow.src, iif: flow.iif, oif: null, mark: flow.mark });
    if (r === null) return null;
    return {
      type: TYPE_RTN[r.type],
      dev: r.dev,
      gateway: r.gateway,
      anycast: flow.family === 6 && this.directPrefix(r, flow.dst),
      anycastRoute: false,
    };
  }

  /** ipv6_anycast_destination's second test: the prefix address of a direct route shorter than /127. */
  private directPrefix(r: RouteResult, dst: ArrayLike<number>): boolean {
    if (r.type !== 'unicast' || r.gateway !== null || r.prefixLen >= 127 || r.dev === null) return false;
    const f = this.routing.iface(r.dev);
    return f?.addresses.some((a) => a.family === 6 && a.prefixLen === r.prefixLen && isPrefixAddr(a.addr, a.prefixLen, dst)) ?? false;
  }

  /**
   * The subnet-router anycast routes (RTF_ANYCAST, local table) Linux adds for each IPv6 prefix
   * of an interface that forwards: the interface, or null.
   */
  private anycastRoute(dst: ArrayLike<number>): string | null {
    for (const f of this.routing.interfaces) {
      if (!f.up || f.name === 'lo' || this.sysctl.ipv6Disabled(f.name)) continue;
      if (!(this.sysctl.ipv6Forward || this.sysctl.get(`net.ipv6.conf.${f.name}.forwarding`) !== 0)) continue;
      for (const a of f.addresses) {
        if (a.family === 6 && a.prefixLen < 127 && isPrefixAddr(a.addr, a.prefixLen, dst)) return f.name;
      }
    }
    return null;
  }

  addrType4(addr: ArrayLike<number>, dev: string | null): number {
    return ADDR_RTN[this.routing.addrType(4, addr, dev)] ?? RTN.UNICAST;
  }

  hasAddr6(addr: ArrayLike<number>, dev: string): boolean {
    const f = this.routing.iface(dev);
    return f !== undefined && f.addresses.some((a) => a.family === 6 && sameAddr(6, a.addr, addr));
  }

  dst(kind: RoutedKind, pkt: PacketView, iif: string | null, mark: number): DstInfo | null {
    // local delivery (ip_route_input's local and broadcast routes): the loopback device, no gateway
    const family = pkt.family === 6 ? 6 : 4;
    if (kind === 'local') return { dev: 'lo', gateway: null, mtu: this.dstMtu(family, 'lo'), classid: 0 };
    const r = this.routing.lookup({ family, dst: pkt.dst, src: kind === 'forward' ? pkt.src : null, iif: kind === 'forward' ? iif : null, oif: null, mark });
    if (r === null) return null;
    const dev = r.type === 'local' ? 'lo' : r.dev;
    if (dev === null) return null;
    return { dev, gateway: r.type === 'unicast' ? r.gateway : null, mtu: this.dstMtu(family, dev), classid: 0 };
  }

  routeMtu(family: 4 | 6, addr: ArrayLike<number>): number | null {
    const r = this.routing.lookup({ family, dst: addr, src: null, iif: null, oif: null, mark: 0 });
    if (r === null || (r.type !== 'unicast' && r.type !== 'local' && r.type !== 'broadcast')) return null;
    const dev = r.type === 'local' ? 'lo' : r.dev;
    if (dev === null) return null;
    return this.dstMtu(family, dev);
  }

  /** dst_mtu of a route through `dev`: the device MTU, at most IP_MAX_MTU (IPv6: IP6_MAX_MTU). */
  private dstMtu(family: 4 | 6, dev: string): number {
    const mtu = this.routing.iface(dev)?.mtu ?? (dev === 'lo' ? 65536 : 1500);
    return Math.min(mtu, family === 4 ? 0xffff : 0xffff + 40);
  }
}

/** `dst` is the network address of prefix `addr`/`len`. */
function isPrefixAddr(addr: ArrayLike<number>, len: number, dst: ArrayLike<number>): boolean {
  if (!inPrefix(6, dst, addr, len)) return false;
  for (let i = 0; i < 4; i++) {
    const bits = len - i * 32;
    const hostMask = bits >= 32 ? 0 : bits <= 0 ? 0xffffffff : 0xffffffff >>> bits;
    if ((dst[i]! & hostMask) >>> 0 !== 0) return false;
  }
  return true;
}
