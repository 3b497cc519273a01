/**
 * The host's routing: the local and main tables derived from interface addresses as Linux derives
 * them, configured routes in any table, policy rules (`ip rule`), longest-prefix match with
 * metrics, address types (LOCAL, BROADCAST, ...) and the reverse-path check behind rp_filter.
 */
import type { HostConfig, InterfaceConfig, RouteConfig, RuleConfig, RouteType } from './config.js';

export const TABLE_LOCAL = 255;
export const TABLE_MAIN = 254;
export const TABLE_DEFAULT = 253;

/** What a lookup found. `type` unicast with dev set means "send it there". */
export interface RouteResult {
  type: RouteType;
  dev: string | null;
  /** Next hop (the gateway), or null when the destination is on-link. */
  gateway: Uint32Array | null;
  prefsrc: Uint32Array | null;
  table: number;
  prefixLen: number;
}

export interface FlowKey {
  family: 4 | 6;
  dst: ArrayLike<number>;
  src: ArrayLike<number> | null;
  iif: string | null;
  oif: string | null;
  mark: number;
}

/** Address type names as xt_addrtype / `ip route` use them. */
export type AddrType = 'UNSPEC' | 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'ANYCAST' | 'MULTICAST' | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT' | 'THROW' | 'NAT' | 'XRESOLVE';

const ZERO = new Uint32Array(4);

/** Network mask word i (0..3) for a prefix length over 32 (v4) or 128 (v6) bits. */
function maskWord(family: 4 | 6, len: number, i: number): number {
  if (family === 4) {
    if (i > 0) return 0;
    return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  }
  const bits = len - i * 32;
  if (bits >= 32) return 0xffffffff;
  if (bits <= 0) return 0;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** True when `a` lies in prefix/len. */
export function inPrefix(family: 4 | 6, a: ArrayLike<number>, prefix: ArrayLike<number>, len: number): boolean {
  const words = family === 4 ? 1 : 4;
  for (let i = 0; i < words; i++) {
    const m = maskWord(family, len, i);
    if (((a[i]! & m) >>> 0) !== ((prefix[i]! & m) >>> 0)) return false;
  }
  return true;
}

export function sameAddr(family: 4 | 6, a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (family === 4) return a[0]! >>> 0 === b[0]! >>> 0;
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

function masked(family: 4 | 6, a: ArrayLike<number>, len: number): Uint32Array {
  const out = new Uint32Array(4);
  for (let i = 0; i < (family === 4 ? 1 : 4); i++) out[i] = (a[i]! & maskWord(family, len, i)) >>> 0;
  return out;
}

function route(family: 4 | 6, dst: Uint32Array, len: number, over: Partial<RouteConfig>): RouteConfig {
  return {
    family,
    dst,
    prefixLen: len,
    via: null,
    dev: null,
    metric: 0,
    table: TABLE_MAIN,
    type: 'unicast',
    prefsrc: null,
    scope: 'link',
    ...over,
  };
}

/** The routes Linux adds by itself for an interface's addresses (and for lo). */
function impliedRoutes(ifaces: InterfaceConfig[]): RouteConfig[] {
  const out: RouteConfig[] = [];
  for (const f of ifaces) {
    if (!f.up) continue;
    for (const a of f.addresses) {
      const full = a.family === 4 ? 32 : 128;
      out.push(route(a.family, a.addr, full, { dev: f.name, table: TABLE_LOCAL, type: 'local', prefsrc: a.addr, scope: 'host' }));
      const net = masked(a.family, a.addr, a.prefixLen);
      if (a.family === 4 && a.prefixLen < 31) {
        const bcast = new Uint32Array(4);
        bcast[0] = (net[0]! | ~maskWord(4, a.prefixLen, 0)) >>> 0;
        out.push(route(4, bcast, 32, { dev: f.name, table: TABLE_LOCAL, type: 'broadcast', prefsrc: a.addr }));
      }
      if (a.prefixLen < full) {
        // On the loopback device the prefix itself is local (fib_add_ifaddr: RTN_LOCAL in the local table).
        const loopback = f.name === 'lo';
        out.push(
          route(a.family, net, a.prefixLen, loopback
            ? { dev: f.name, table: TABLE_LOCAL, type: 'local', prefsrc: a.addr, scope: 'host' }
            : { dev: f.name, prefsrc: a.addr, metric: a.family === 6 ? 256 : 0 }),
        );
      }
    }
  }
  return out;
}

export const LOOPBACK: InterfaceConfig = {
  name: 'lo',
  index: 1,
  addresses: [
    { family: 4, addr: Uint32Array.of(0x7f000001, 0, 0, 0), prefixLen: 8, text: '127.0.0.1/8' },
    { family: 6, addr: Uint32Array.of(0, 0, 0, 1), prefixLen: 128, text: '::1/128' },
  ],
  mtu: 65536,
  mac: null,
  up: true,
};

function defaultRules(family: 4 | 6): RuleConfig[] {
  const base = { family, from: null, to: null, iif: null, oif: null, fwmark: null, fwmask: 0xffffffff, not: false, action: 'table' as const };
  return [
    { ...base, priority: 0, table: TABLE_LOCAL },
    { ...base, priority: 32766, table: TABLE_MAIN },
    { ...base, priority: 32767, table: TABLE_DEFAULT },
  ];
}

export class RoutingTable {
  readonly interfaces: InterfaceConfig[];
  private routes: RouteConfig[] = [];
  private readonly rules: RuleConfig[];
  private readonly configured: RouteConfig[];

  constructor(cfg: HostConfig) {
    // Private copies: addresses can be removed later (removeAddress, setDown).
    const own = cfg.interfaces.map((f) => ({ ...f, addresses: [...f.addresses] }));
    this.interfaces = own.some((f) => f.name === 'lo') ? own : [{ ...LOOPBACK, addresses: [...LOOPBACK.addresses] }, ...own];
    this.configured = cfg.routes;
    this.rebuild();
    const rules = cfg.rules.length > 0 ? [...cfg.rules] : [];
    for (const fam of [4, 6] as const) {
      for (const d of defaultRules(fam)) {
        if (!rules.some((r) => r.family === fam && r.priority === d.priority && r.table === d.table)) rules.push(d);
      }
    }
    this.rules = rules.sort((a, b) => a.priority - b.priority);
  }

  /** Routes from the addresses (as the kernel derives them) plus the configured ones. */
  private rebuild(): void {
    const routes = [...impliedRoutes(this.interfaces), ...this.configured];
    // Longest prefix first, then lowest metric: the first match in a table is the answer.
    this.routes = routes.sort((a, b) => b.prefixLen - a.prefixLen || a.metric - b.metric);
  }

  /**
   * `ip addr del`: the address and the routes it implied go; configured routes through it stay
   * (they simply stop resolving). Returns the removed address, or null when it was not there.
   */
  removeAddress(name: string, family: 4 | 6, addr: ArrayLike<number>): Uint32Array | null {
    const f = this.iface(name);
    const i = f ? f.addresses.findIndex((a) => a.family === family && sameAddr(family, a.addr, addr)) : -1;
    if (!f || i < 0) return null;
    const [gone] = f.addresses.splice(i, 1);
    this.rebuild();
    return gone!.addr;
  }

  /** `ip link set DEV down` / up: a down interface contributes no routes. */
  setUp(name: string, up: boolean): boolean {
    const f = this.iface(name);
    if (!f) return false;
    f.up = up;
    this.rebuild();
    return true;
  }

  iface(name: string): InterfaceConfig | undefined {
    return this.interfaces.find((f) => f.name === name);
  }

  private ruleMatches(r: RuleConfig, k: FlowKey): boolean {
    if (r.family !== k.family) return false;
    let m = true;
    if (r.from && (!k.src || !inPrefix(k.family, k.src, r.from.addr, r.from.len))) m = false;
    if (m && r.to && !inPrefix(k.family, k.dst, r.to.addr, r.to.len)) m = false;
    if (m && r.iif !== null && r.iif !== (k.iif ?? 'lo')) m = false;
    if (m && r.oif !== null && r.oif !== k.oif) m = false;
    if (m && r.fwmark !== null && ((k.mark & r.fwmask) >>> 0) !== ((r.fwmark & r.fwmask) >>> 0)) m = false;
    return r.not ? !m : m;
  }

  private lookupTable(table: number, k: FlowKey): RouteConfig | null {
    for (const rt of this.routes) {
      if (rt.table !== table || rt.family !== k.family) continue;
      if (k.oif !== null && rt.dev !== null && rt.dev !== k.oif && rt.type !== 'local') continue;
      if (inPrefix(k.family, k.dst, rt.dst, rt.prefixLen)) return rt;
    }
    return null;
  }

  /** Policy routing lookup (fib_lookup). Null when nothing matched at all (network unreachable). */
  lookup(k: FlowKey): RouteResult | null {
    for (const r of this.rules) {
      if (!this.ruleMatches(r, k)) continue;
      if (r.action !== 'table') return { type: r.action, dev: null, gateway: null, prefsrc: null, table: 0, prefixLen: 0 };
      const rt = this.lookupTable(r.table, k);
      if (!rt || rt.type === 'throw') continue;
      return {
        type: rt.type,
        dev: rt.dev ?? (rt.via ? this.devFor(k.family, rt.via) : null),
        gateway: rt.via,
        prefsrc: rt.prefsrc,
        table: rt.table,
        prefixLen: rt.prefixLen,
      };
    }
    return null;
  }

  /** The interface a gateway is reached through (its connected route). */
  private devFor(family: 4 | 6, gw: Uint32Array): string | null {
    const r = this.lookupTable(TABLE_MAIN, { family, dst: gw, src: null, iif: null, oif: null, mark: 0 });
    return r?.dev ?? null;
  }

  /**
   * Address type of `a` (xt_addrtype, ip route's types). IPv4 as inet_dev_addr_type: a lookup in
   * the local table only, LOCAL / BROADCAST when found (and, when `dev` is given, only if the route
   * is on that device), UNICAST otherwise. IPv6 as xt_addrtype's route lookup: LOCAL for the host's
   * addresses (on `dev` when given), the route's type (UNREACHABLE, PROHIBIT, ...) otherwise.
   */
  addrType(family: 4 | 6, a: ArrayLike<number>, dev: string | null = null): AddrType {
    if (family === 4) {
      const w = a[0]! >>> 0;
      if (w === 0 || w === 0xffffffff) return 'BROADCAST'; // ipv4_is_zeronet: 0.0.0.0 alone since Linux 5.3
      if (w >>> 28 === 0xe) return 'MULTICAST';
      const rt = this.lookupTable(TABLE_LOCAL, { family, dst: a, src: null, iif: null, oif: null, mark: 0 });
      if (!rt || (dev !== null && rt.dev !== dev)) return 'UNICAST';
      return rt.type === 'local' ? 'LOCAL' : rt.type === 'broadcast' ? 'BROADCAST' : 'UNICAST';
    }
    if ((a[0]! >>> 24) === 0xff) return 'MULTICAST';
    const local = this.lookupTable(TABLE_LOCAL, { family, dst: a, src: null, iif: null, oif: null, mark: 0 });
    if (local && local.type === 'local' && local.prefixLen === 128) return dev === null || local.dev === dev ? 'LOCAL' : 'UNICAST';
    const r = this.lookup({ family, dst: a, src: null, iif: null, oif: null, mark: 0 });
    switch (r?.type) {
      case 'unreachable':
        return 'UNREACHABLE';
      case 'prohibit':
        return 'PROHIBIT';
      case 'blackhole':
        return 'BLACKHOLE';
      default:
        return 'UNICAST';
    }
  }

  /** True when `a` is one of the host's own addresses (any interface). */
  isLocal(family: 4 | 6, a: ArrayLike<number>): boolean {
    return this.addrType(family, a) === 'LOCAL';
  }

  /**
   * Source address the host picks to reach `dst` (inet_select_addr / ipv6 source selection, as far
   * as a router needs it): the route's preferred source, else the first address of the egress
   * interface, else any address of the family.
   */
  sourceFor(family: 4 | 6, dst: ArrayLike<number>, dev: string | null, route: RouteResult | null): Uint32Array {
    if (route?.prefsrc) return route.prefsrc;
    const f = dev ? this.iface(dev) : undefined;
    const mine = f?.addresses.filter((x) => x.family === family) ?? [];
    const onLink = mine.find((x) => inPrefix(family, dst, x.addr, x.prefixLen));
    if (onLink) return onLink.addr;
    if (mine[0]) return mine[0].addr;
    for (const g of this.interfaces) {
      const x = g.addresses.find((y) => y.family === family && g.name !== 'lo');
      if (x) return x.addr;
    }
    return ZERO;
  }

  /** First address of `family` on interface `dev` (MASQUERADE's choice, before prefsrc rules). */
  ifaceAddress(dev: string, family: 4 | 6, towards: ArrayLike<number> | null): Uint32Array | null {
    const f = this.iface(dev);
    if (!f) return null;
    const mine = f.addresses.filter((x) => x.family === family);
    if (towards) {
      const onLink = mine.find((x) => inPrefix(family, towards, x.addr, x.prefixLen));
      if (onLink) return onLink.addr;
    }
    return mine[0]?.addr ?? null;
  }
}
