/**
 * nft `fib` and `rt`: route lookups from a rule.
 *
 * `fib FLAGS RESULT` (nft_fib): FLAGS are saddr or daddr (the address looked up), optionally mark
 * (the packet mark joins the flow) and iif or oif (the interface that limits the answer);
 * RESULT is oif / oifname (the interface of the route, 0 / "" when none) or type (the address
 * type). `exists` / `missing` against oif or oifname ask only whether there is one
 * (NFTA_FIB_F_PRESENT). Evaluated as nft_fib4_eval / nft_fib6_eval and their _type variants in
 * Linux 6.18 do: a packet that came in through the loopback device answers with its input
 * interface without a lookup (nft_fib_can_skip, prerouting and input), 0.0.0.0 to a broadcast or
 * link-local multicast address answers with its device, a saddr lookup is a lookup towards the
 * source (with the output interface as flowi_iif in forward when iif is asked), the lookup ignores
 * the interface (flowi_oif stays 0) and a found route is kept only when its next hop uses the
 * interface asked for; a local route is no answer. IPv4 `type` is inet_dev_addr_type (the local
 * table; with iif/oif only routes on that device count); IPv6 `type` checks the device's addresses,
 * then the route (reject routes give their type, anycast destinations anycast).
 *
 * `rt KEY` (nft_rt): the route the packet was given (skb_dst, none before routing: the rule
 * breaks in prerouting): `rt ip nexthop` / `rt ip6 nexthop` (the gateway, or the destination when
 * on-link), `rt mtu` (the TCP MSS the route allows: min of the route's MTU and the MTU towards the
 * source, minus the headers; 536 when out of range), `rt classid` (the realm: routes here have
 * none, so 0) and `rt ipsec` (no IPsec here: missing).
 *
 * Hook restrictions are the kernel's (nft_fib_validate, nft_rt_validate).
 */
import type { PacketContext } from '../netfilter/context.js';
import { Hook } from '../netfilter/context.js';
import { type DstInfo, type FibFlow, RTN } from '../netfilter/fib.js';
import { Unsupported } from '../netfilter/pipeline.js';
import type { Expr, Pos } from './ast.js';
import { type DType, T, bytesNum, integerType, numBytes } from './datatypes.js';
import { type Key, numKey } from './ir.js';
import { NftError } from './lexer.js';
import type { NftChain, NftTable } from './model.js';
import { fieldOf } from './values.js';

/** Where an expression is evaluated (a subset of evaluate.ts's rule context). */
export interface ExprScope {
  readonly table: NftTable;
  readonly chain: NftChain;
  readonly files: readonly string[];
}

function fail(sc: ExprScope, pos: Pos, msg: string): never {
  throw new NftError(sc.files[pos.src] ?? 'ruleset', pos.line, pos.col, msg);
}

/** NFTA_FIB_F_* */
export const FibFlag = { SADDR: 1, DADDR: 2, MARK: 4, IIF: 8, OIF: 16, PRESENT: 32 } as const;
const FLAG_ORDER: readonly (readonly [string, number])[] = [['saddr', 1], ['daddr', 2], ['mark', 4], ['iif', 8], ['oif', 16]];

const ALL_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const;

/** nft_fib_validate (Linux 6.18; netdev chains as the kernel answered for them). */
function fibHooks(result: string, flags: number, netdev: boolean): readonly string[] {
  if (netdev) {
    if (result !== 'type' || flags & FibFlag.IIF) return ['ingress'];
    return flags & FibFlag.OIF ? ['egress'] : ['ingress', 'egress'];
  }
  if (result !== 'type') return ['prerouting', 'input', 'forward'];
  if (flags & FibFlag.IIF) return ['prerouting', 'input', 'forward'];
  if (flags & FibFlag.OIF) return ['forward', 'output', 'postrouting'];
  return ALL_HOOKS;
}

/** `fib ... oif` compares interfaces: a name, or 0 for none. */
const FIB_OIF: DType = {
  ...T.iface_index,
  parse(t, quoted) {
    if (!quoted && /^[0-9]+$/.test(t)) {
      if (Number(t) === 0) return new Uint8Array(16);
      return `interface index ${t}: ctkit compares interfaces by name; write the name ("eth0")`;
    }
    return T.iface_index.parse(t, quoted);
  },
  print(v) {
    return v.every((b) => b === 0) ? '0' : T.iface_index.print(v);
  },
};

/** Realms print by iproute2's rt_realms names: 0 is "cosmos". */
const REALM: DType = {
  ...T.realm,
  parse(t, quoted) {
    return t === 'cosmos' ? numBytes(0, 4) : T.realm.parse(t, quoted);
  },
  print(v) {
    return bytesNum(v) === 0 ? '"cosmos"' : T.realm.print(v);
  },
};

function writeName(buf: Uint8Array, off: number, name: string | null): void {
  buf.fill(0, off, off + 16);
  if (name === null) return;
  for (let i = 0; i < name.length && i < 15; i++) buf[off + i] = name.charCodeAt(i);
}

function fibOf(ctx: PacketContext): NonNullable<PacketContext['fib']> {
  const f = ctx.fib;
  if (!f) throw new Unsupported('nft fib / rt need the host\'s routing, and this pipeline has none (HostServices.fib)');
  return f;
}

// ---------------------------------------------------------------------------------------------
// fib

/** Is the current word list of `fib` flags and result valid; the flags as bits. */
function fibFlags(sc: ExprScope, e: Expr & { k: 'fib' }): number {
  let flags = 0;
  for (const f of e.flags) {
    const bit = FLAG_ORDER.find(([n]) => n === f)?.[1];
    if (bit === undefined) fail(sc, e.pos, `syntax error, unexpected ${f}, expecting saddr or daddr or mark or iif or oif`);
    flags |= bit;
  }
  if ((flags & (FibFlag.SADDR | FibFlag.DADDR)) === (FibFlag.SADDR | FibFlag.DADDR)) fail(sc, e.pos, 'fib: saddr and daddr are mutually exclusive');
  if ((flags & (FibFlag.IIF | FibFlag.OIF)) === (FibFlag.IIF | FibFlag.OIF)) fail(sc, e.pos, 'fib: iif and oif are mutually exclusive');
  if ((flags & (FibFlag.SADDR | FibFlag.DADDR)) === 0) fail(sc, e.pos, 'fib: need either saddr or daddr');
  if (e.result !== 'oif' && e.result !== 'oifname' && e.result !== 'type') fail(sc, e.pos, `syntax error, unexpected ${e.result}, expecting type or oif or oifname`);
  // nft_fib_init: no oif/oifname answer for an oif lookup
  if (e.result !== 'type' && flags & FibFlag.OIF) fail(sc, e.pos, 'Could not process rule: Invalid argument');
  const fam = sc.table.family;
  if (fam !== 'ip' && fam !== 'ip6' && fam !== 'inet' && fam !== 'netdev') fail(sc, e.pos, `fib in ${fam} tables is not supported by ctkit`);
  return flags;
}

function fibText(flags: number, result: string): string {
  return `fib ${FLAG_ORDER.filter(([, b]) => flags & b).map(([n]) => n).join(' . ')} ${result}`;
}

/**
 * The key of `fib FLAGS RESULT`; with `present` the key of `... exists` / `... missing`
 * (NFTA_FIB_F_PRESENT, a boolean).
 */
export function fibKey(sc: ExprScope, e: Expr & { k: 'fib' }, present: boolean): Key {
  const flags = fibFlags(sc, e) | (present ? FibFlag.PRESENT : 0);
  const result = e.result;
  if (present && result !== 'oif') fail(sc, e.pos, 'Could not process rule: Invalid argument');
  const hooks = fibHooks(result, flags, sc.table.family === 'netdev');
  const text = fibText(flags, result);
  if (result === 'type') {
    const num = (ctx: PacketContext): number => (isIp(ctx) ? fibType(ctx, flags) : -1);
    return numKey(text, T.fib_addr, num, hooks);
  }
  if (present) return numKey(text, T.boolean, (ctx) => (!isIp(ctx) ? -1 : fibOif(ctx, flags) === null ? 0 : 1), hooks);
  const type = result === 'oif' ? FIB_OIF : T.ifname;
  return {
    text,
    fields: [fieldOf(type)],
    bytes: 16,
    num: null,
    type,
    hooks,
    load(ctx, buf, off) {
      if (!isIp(ctx)) return false;
      writeName(buf, off, fibOif(ctx, flags));
      return true;
    },
  };
}


/** nft_fib_netdev_eval: only IPv4 and IPv6 packets are looked up; anything else breaks. */
function isIp(ctx: PacketContext): boolean {
  return ctx.pkt.family === 4 || ctx.pkt.family === 6;
}

/** Prerouting, or netdev ingress (NF_NETDEV_INGRESS is the same number for the kernel). */
function isPre(ctx: PacketContext): boolean {
  return ctx.hook === Hook.PREROUTING || ctx.hook === Hook.INGRESS;
}

/** nft_fib_can_skip: prerouting / ingress / input, the packet came in through the loopback device. */
function canSkip(ctx: PacketContext): boolean {
  return (isPre(ctx) || ctx.hook === Hook.INPUT) && ctx.iif === 'lo';
}

/** get_saddr: no source for a lookup from a multicast, broadcast or zero address (ipv4_is_zeronet: 0.0.0.0 alone since Linux 5.3). */
function v4Source(a: number): Uint32Array | null {
  if (a >>> 28 === 0xe || a === 0xffffffff || a === 0) return null;
  return Uint32Array.of(a, 0, 0, 0);
}

function isZero6(a: ArrayLike<number>): boolean {
  return a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0;
}

function isLinkLocal6(a: ArrayLike<number>): boolean {
  return (a[0]! >>> 22) === 0x3fa;
}

/** The interface nft_fib4_eval / nft_fib6_eval finds, or null (0, ""). */
function fibOif(ctx: PacketContext, flags: number): string | null {
  const fib = fibOf(ctx);
  const pkt = ctx.pkt;
  const oif = flags & FibFlag.OIF ? ctx.oif : flags & FibFlag.IIF ? ctx.iif : null;
  if (canSkip(ctx)) return ctx.iif;
  const mark = flags & FibFlag.MARK ? ctx.mark : 0;
  const daddrFlag = (flags & FibFlag.DADDR) !== 0;
  // the lookup's input interface: loopback, or in forward (for a saddr . iif lookup) the output device
  const iif = !daddrFlag && ctx.hook === Hook.FORWARD && flags & FibFlag.IIF ? ctx.oif : null;
  let flow: FibFlow;
  if (pkt.family === 4) {
    const s = pkt.src[0]! >>> 0;
    const d = pkt.dst[0]! >>> 0;
    // 0.0.0.0 to 255.255.255.255 or 224.0.0.0/24: the device it came in on (or goes out of)
    if (s === 0 && (d === 0xffffffff || d >>> 8 === 0xe00000)) return ctx.iif ?? ctx.oif;
    flow = daddrFlag
      ? { family: 4, dst: pkt.dst, src: v4Source(s), iif, oif: null, mark }
      : { family: 4, dst: pkt.src, src: v4Source(d), iif, oif: null, mark };
  } else {
    const dst = daddrFlag ? pkt.dst : pkt.src;
    const src = daddrFlag ? pkt.src : pkt.dst;
    // nft_fib6_flowi_init: a link-local destination is looked up on one device
    const llOif = isLinkLocal6(dst) ? (oif ?? ctx.iif ?? ctx.oif) : null;
    flow = { family: 6, dst, src: isZero6(src) ? null : src, iif, oif: llOif, mark };
    // nft_fib_v6_skip_icmpv6: DAD probes (ICMPv6 from :: to a link-local address) in prerouting
    if (isPre(ctx) && pkt.proto === 58 && isZero6(pkt.src) && isLinkLocal6(pkt.dst)) return ctx.iif;
  }
  const r = fib.lookup(flow);
  if (r === null) return null;
  if (r.type === RTN.LOCAL || r.type === RTN.UNREACHABLE || r.type === RTN.PROHIBIT || r.type === RTN.BLACKHOLE || r.type === RTN.THROW) return null;
  if (pkt.family === 6 && r.anycastRoute) return null;
  if (oif === null) return r.dev;
  return r.dev === oif ? oif : null;
}

/** nft_fib4_eval_type / nft_fib6_eval_type. */
function fibType(ctx: PacketContext, flags: number): number {
  const fib = fibOf(ctx);
  const pkt = ctx.pkt;
  const dev = flags & FibFlag.IIF ? ctx.iif : flags & FibFlag.OIF ? ctx.oif : null;
  const daddrFlag = (flags & FibFlag.DADDR) !== 0;
  if (pkt.family === 4) return fib.addrType4(daddrFlag ? pkt.dst : pkt.src, dev);
  const dst = daddrFlag ? pkt.dst : pkt.src;
  const src = daddrFlag ? pkt.src : pkt.dst;
  const iif = !daddrFlag && ctx.hook === Hook.FORWARD && flags & FibFlag.IIF ? ctx.oif : null;
  const llOif = isLinkLocal6(dst) ? (dev ?? ctx.iif ?? ctx.oif) : null;
  let ret = 0;
  if (dev !== null && fib.hasAddr6(dst, dev)) ret = RTN.LOCAL;
  const r = fib.lookup({ family: 6, dst, src: isZero6(src) ? null : src, iif, oif: llOif, mark: flags & FibFlag.MARK ? ctx.mark : 0 });
  if (r === null) return RTN.UNREACHABLE;
  if (r.type === RTN.BLACKHOLE || r.type === RTN.PROHIBIT || r.type === RTN.THROW || r.type === RTN.UNREACHABLE) return r.type;
  if (r.anycast) ret = RTN.ANYCAST;
  else if (dev === null && r.type === RTN.LOCAL) ret = RTN.LOCAL;
  if (ret !== 0) return ret;
  if ((dst[0]! >>> 24) === 0xff) return RTN.MULTICAST;
  // ipv6_addr_type: :: and ::1 are not unicast
  if (isZero6(dst) || (dst[0] === 0 && dst[1] === 0 && dst[2] === 0 && dst[3] === 1)) return RTN.UNSPEC;
  return RTN.UNICAST;
}

// ---------------------------------------------------------------------------------------------
// rt

const RT_KEYS = ['classid', 'nexthop', 'mtu', 'ipsec'];

/** The route the packet follows (skb_dst), or null before routing. */
function dstOf(ctx: PacketContext): DstInfo | null {
  const fib = fibOf(ctx);
  if (!ctx.routed) return null;
  return fib.dst(ctx.routed, ctx.pkt, ctx.iif, ctx.routedMark ?? ctx.mark);
}

/** get_tcpmss: the MSS the route and the route back to the source allow. */
function tcpMss(ctx: PacketContext, dst: DstInfo): number {
  let mtu = dst.mtu;
  const back = ctx.fib!.routeMtu(ctx.family, ctx.pkt.src);
  if (back !== null) mtu = Math.min(mtu, back);
  const minlen = ctx.family === 4 ? 40 : 60;
  if (mtu <= minlen || mtu > 0xffff) return 536;
  return mtu - minlen;
}

export function rtKey(sc: ExprScope, e: Expr & { k: 'rt' }): Key {
  const fam = sc.table.family;
  if (fam !== 'ip' && fam !== 'ip6' && fam !== 'inet') fail(sc, e.pos, 'Could not process rule: Operation not supported');
  if (!RT_KEYS.includes(e.key)) fail(sc, e.pos, `syntax error, unexpected ${e.key}`);
  switch (e.key) {
    case 'nexthop': {
      let family = e.family ?? (fam === 'ip' ? 4 : fam === 'ip6' ? 6 : null);
      if (family === null) fail(sc, e.pos, 'cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead');
      if ((fam === 'ip' && family === 6) || (fam === 'ip6' && family === 4)) fail(sc, e.pos, `rt ${family === 4 ? 'ip' : 'ip6'} nexthop is not valid in an ${fam} table`);
      const type = family === 4 ? T.ipv4_addr : T.ipv6_addr;
      const words = family === 4 ? 1 : 4;
      return {
        text: `rt ${family === 4 ? 'ip' : 'ip6'} nexthop`,
        fields: [fieldOf(type)],
        bytes: type.bytes,
        num: null,
        type,
        load(ctx, buf, off) {
          if (ctx.family !== family) return false;
          const dst = dstOf(ctx);
          if (dst === null) return false;
          const a = dst.gateway ?? ctx.pkt.dst;
          for (let i = 0; i < words; i++) {
            const w = a[i]! >>> 0;
            buf[off + i * 4] = w >>> 24;
            buf[off + i * 4 + 1] = (w >>> 16) & 255;
            buf[off + i * 4 + 2] = (w >>> 8) & 255;
            buf[off + i * 4 + 3] = w & 255;
          }
          return true;
        },
      };
    }
    case 'mtu':
      return numKey('rt mtu', integerType(16), (ctx) => {
        const dst = dstOf(ctx);
        return dst === null ? -1 : tcpMss(ctx, dst);
      }, ['forward', 'output', 'postrouting']);
    case 'classid':
      return numKey('rt classid', REALM, (ctx) => {
        const dst = dstOf(ctx);
        return dst === null ? -1 : dst.classid;
      });
    default:
      return numKey('rt ipsec', T.boolean, (ctx) => (dstOf(ctx) === null ? -1 : 0));
  }
}

/** `fib ... oif|oifname exists|missing`: the rhs is a presence test. */
export function isPresenceTest(rhs: Expr): boolean {
  return rhs.k === 'const' && !rhs.quoted && (rhs.text === 'exists' || rhs.text === 'missing');
}
