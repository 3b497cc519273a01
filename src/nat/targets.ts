/**
 * The NAT targets' own work before the common binding setup (xt_nat.c, xt_MASQUERADE.c,
 * nf_nat_masquerade.c, nf_nat_redirect.c, xt_NETMAP.c): which range a rule's NatSpec becomes
 * for this packet.
 *
 *  - SNAT / DNAT: the spec's range as it is (unless NETMAP-flagged, below).
 *  - MASQUERADE: the address the outgoing interface would use towards the packet's next hop
 *    (IPv4 inet_select_addr: the interface's first primary address on the next hop's subnet,
 *    else its first primary address, else the first usable address of any interface; IPv6:
 *    source address selection restricted to the interface), with the spec's ports and flags.
 *    No address: drop. An IPv4 connection from 0.0.0.0 is left alone.
 *  - REDIRECT: the incoming interface's first address (IPv6: the first of the destination's
 *    scope); locally generated packets go to 127.0.0.1 / ::1. No address: drop.
 *  - NETMAP, and SNAT / DNAT with the NETMAP flag (nft `snat prefix to`): the packet's
 *    destination (destination NAT) or source (source NAT) with its network part replaced by the
 *    spec's.
 */
import type { IfAddress } from '../host/config.js';
import { inPrefix, type RoutingTable } from '../host/routing.js';
import type { PacketContext } from '../netfilter/context.js';
import { Hook } from '../netfilter/context.js';
import { netmapAddress, type NatSpec } from '../rules/nat-spec.js';

/** What NAT needs of the host. */
export interface NatHost {
  readonly routing: RoutingTable;
}

const LOOPBACK4 = Uint32Array.of(0x7f000001, 0, 0, 0);
const LOOPBACK6 = Uint32Array.of(0, 0, 0, 1);

/** An address's scope the way the kernel ranks them (smaller = wider): universe, link, host. */
const Scope = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254 } as const;

function scope4(a: IfAddress): number {
  return a.addr[0]! >>> 24 === 127 ? Scope.HOST : Scope.UNIVERSE;
}

function scope6(w: ArrayLike<number>): number {
  const top = w[0]! >>> 0;
  if (top === 0 && w[1] === 0 && w[2] === 0 && w[3] === 1) return Scope.HOST;
  if (top >>> 22 === 0x3fa) return Scope.LINK;
  if (top >>> 24 === 0xff) return (top >>> 16) & 0x0f;
  if (top >>> 22 === 0x3fb) return Scope.SITE;
  return Scope.UNIVERSE;
}

/** A secondary address: an earlier address of the interface has the same prefix and covers it. */
function isSecondary(list: readonly IfAddress[], i: number): boolean {
  const a = list[i]!;
  for (let k = 0; k < i; k++) {
    const b = list[k]!;
    if (b.family === a.family && b.prefixLen === a.prefixLen && inPrefix(a.family, a.addr, b.addr, b.prefixLen)) return true;
  }
  return false;
}

/** First primary universe-scope IPv4 address of an interface, preferring one on `dst`'s subnet. */
function selectOn(addresses: readonly IfAddress[], dst: Uint32Array | null): Uint32Array | null {
  let fallback: Uint32Array | null = null;
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]!;
    if (a.family !== 4 || isSecondary(addresses, i) || scope4(a) > Scope.UNIVERSE) continue;
    if (dst === null || inPrefix(4, dst, a.addr, a.prefixLen)) return a.addr;
    fallback ??= a.addr;
  }
  return fallback;
}

/** inet_select_addr(dev, dst, RT_SCOPE_UNIVERSE). */
export function selectAddress4(routing: RoutingTable, dev: string, dst: Uint32Array | null): Uint32Array | null {
  const own = selectOn(routing.iface(dev)?.addresses ?? [], dst);
  if (own) return own;
  for (const f of routing.interfaces) {
    const a = selectOn(f.addresses, null);
    if (a) return a;
  }
  return null;
}

/** Leading bits two IPv6 addresses share. */
function commonPrefix(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < 4; i++) {
    const x = (a[i]! ^ b[i]!) >>> 0;
    if (x !== 0) return i * 32 + Math.clz32(x);
  }
  return 128;
}

/**
 * IPv6 source selection on one interface (the parts of RFC 6724 that matter for a router's
 * configured addresses): an address of the destination's scope or wider, the smallest such
 * scope first, then the longest prefix shared with the destination.
 */
export function selectAddress6(routing: RoutingTable, dev: string, dst: ArrayLike<number>): Uint32Array | null {
  const want = scope6(dst);
  let best: IfAddress | null = null;
  let bestScope = 0;
  let bestLen = -1;
  for (const a of routing.iface(dev)?.addresses ?? []) {
    if (a.family !== 6) continue;
    const s = scope6(a.addr);
    if (s < want && want !== Scope.HOST) continue;
    const len = commonPrefix(a.addr, dst);
    if (best === null || s > bestScope || (s === bestScope && len > bestLen)) {
      best = a;
      bestScope = s;
      bestLen = len;
    }
  }
  return best?.addr ?? null;
}

/** MASQUERADE's source address for a packet leaving through ctx.oif; null: none (drop). */
export function masqueradeAddress(host: NatHost, ctx: PacketContext): Uint32Array | null {
  const pkt = ctx.pkt;
  const oif = ctx.oif;
  if (oif === null) return null;
  if (ctx.family === 6) return selectAddress6(host.routing, oif, pkt.dst);
  const route = host.routing.lookup({ family: 4, dst: pkt.dst, src: null, iif: null, oif, mark: ctx.mark });
  return selectAddress4(host.routing, oif, route?.gateway ?? pkt.dst);
}

/** REDIRECT's destination: loopback for local packets, else the incoming interface's address. */
export function redirectAddress(host: NatHost, ctx: PacketContext, hook: Hook): Uint32Array | null {
  if (hook === Hook.OUTPUT) return ctx.family === 4 ? LOOPBACK4 : LOOPBACK6;
  if (ctx.iif === null) return null;
  const list = host.routing.iface(ctx.iif)?.addresses ?? [];
  if (ctx.family === 4) return list.find((a) => a.family === 4)?.addr ?? null;
  const want = scope6(ctx.pkt.dst);
  return list.find((a) => a.family === 6 && scope6(a.addr) === want)?.addr ?? null;
}

/**
 * NETMAP's new address for this packet, written to `out`: the destination (when `destination`)
 * or the source with its network part replaced by the spec's (xt_NETMAP, nft's `prefix`).
 */
export function netmapTarget(spec: NatSpec, ctx: PacketContext, destination: boolean, out: Uint32Array): Uint32Array {
  netmapAddress(spec, destination ? ctx.pkt.dst : ctx.pkt.src, out);
  if (ctx.family === 4) out.fill(0, 1);
  return out;
}
