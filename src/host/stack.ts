/**
 * The host's own IP stack as netfilter's neighbours see it: the checks before PREROUTING (IPv6
 * martians, hop-by-hop options), the routing decision for arriving and local packets (martians,
 * rp_filter, per-interface forwarding, local / forward / unreachable), IPv4 options (ipopts.ts),
 * and the answers Linux gives when no process listens (echo and timestamp replies, TCP RST for a
 * closed port, ICMP port or protocol unreachable, neighbour advertisements), ICMP errors for
 * packets it cannot forward, and REJECT's packets. Answers are handed back to the pipeline, which
 * sends them down the OUTPUT path like any local packet.
 */
import { fillIpv4HeaderChecksum, fold, pseudoHeaderSum, sum16, verifyL4Checksum } from '../packet/checksum.js';
import { PacketView, Proto, TcpFlag, addrString } from '../packet/view.js';
import type { Hook, PacketContext } from '../netfilter/context.js';
import { type AttachInfo, type HostServices, type InputRoute, type ReceiveVerdict, Unsupported } from '../netfilter/pipeline.js';
import type { HostConfig, ListenerConfig } from './config.js';
import { echoReply, icmpError4, icmpError6, neighbourAdvert, tcpReset, tcpSynAck } from './answers.js';
import { buildOptions, compileReceived, echoOptions, forwardOptions, msSinceMidnight, type RxOptions } from './ipopts.js';
import { HostFib } from './fib.js';
import { IcmpRateLimiter } from './ratelimit.js';
import { inPrefix, RoutingTable, sameAddr } from './routing.js';
import type { HostSysctls } from './sysctl.js';

type ErrorKind = 'ttl' | 'net-unreach' | 'host-unreach' | 'prohibit' | 'frag-needed' | 'port-unreach' | 'proto-unreach';

/** Answers the stack hands the pipeline: `false` as the attachment means the packet's conntrack reference was dropped first (nf_reset_ct). */
type Emit = (pkt: Uint8Array, attach: AttachInfo | null | false) => void;

/** ICMPv4 type/code for each error kind. */
const ICMP4: Record<ErrorKind, [number, number]> = {
  ttl: [11, 0],
  'net-unreach': [3, 0],
  'host-unreach': [3, 1],
  'proto-unreach': [3, 2],
  'port-unreach': [3, 3],
  'frag-needed': [3, 4],
  prohibit: [3, 13],
};
/** ICMPv6 type/code for each error kind. */
const ICMP6: Record<ErrorKind, [number, number]> = {
  ttl: [3, 0],
  'net-unreach': [1, 0],
  'host-unreach': [1, 3],
  'proto-unreach': [4, 1],
  'port-unreach': [1, 4],
  'frag-needed': [2, 0],
  prohibit: [1, 1],
};

/** REJECT --reject-with names -> [type, code] (tcp-reset handled apart). */
const REJECT4: Record<string, [number, number]> = {
  'icmp-net-unreachable': [3, 0],
  'icmp-host-unreachable': [3, 1],
  'icmp-proto-unreachable': [3, 2],
  'icmp-port-unreachable': [3, 3],
  'icmp-net-prohibited': [3, 9],
  'icmp-host-prohibited': [3, 10],
  'icmp-admin-prohibited': [3, 13],
};
const REJECT6: Record<string, [number, number]> = {
  'icmp6-no-route': [1, 0],
  'icmp6-adm-prohibited': [1, 1],
  'icmp6-addr-unreachable': [1, 3],
  'icmp6-port-unreachable': [1, 4],
  'icmp6-policy-fail': [1, 5],
  'icmp6-reject-route': [1, 6],
};

/**
 * nf_send_unreach verifies the offending packet's checksum first (nf_reject_verify_csum +
 * nf_ip_checksum): skipped for UDP without a checksum and for protocols with other integrity
 * checks or partial checksums (AH, ESP, SCTP, UDP-Lite, DCCP, GRE without its checksum flag);
 * every other protocol's payload is checked as an internet checksum with the pseudo-header,
 * so an unknown protocol's packet practically never gets an answer.
 */
/** NR_ICMP_TYPES: the highest ICMPv4 type the kernel knows (ICMP_ADDRESSREPLY). */
const NR_ICMP_TYPES = 18;

function rejectChecksumOk(pkt: PacketView): boolean {
  if (pkt.l4Off < 0) return true;
  switch (pkt.proto) {
    case Proto.UDP:
      // A header cut short has no checksum field to say "none": the data is checked
      // (nf_reject_verify_csum: no header read -> verify), and practically never sums right.
      if (pkt.l4Len < 8) return genericChecksumOk(pkt);
      if (pkt.l4Checksum === 0) return true;
      return verifyL4Checksum(pkt);
    case Proto.AH:
    case Proto.ESP:
    case Proto.SCTP:
    case Proto.UDPLITE:
    case Proto.DCCP:
      return true;
    case Proto.GRE:
      if ((pkt.buf[pkt.l4Off]! & 0x80) === 0) return true;
      return genericChecksumOk(pkt);
    case Proto.TCP:
    case Proto.ICMP:
    case Proto.ICMPV6:
      // nf_ip_checksum over whatever follows the IP header, header cut short or not.
      if (pkt.l4Len < (pkt.proto === Proto.TCP ? 20 : 8)) return genericChecksumOk(pkt);
      return verifyL4Checksum(pkt);
    default:
      return genericChecksumOk(pkt);
  }
}

/** nf_ip_checksum for a protocol without a checksum of its own: payload + pseudo-header. */
function genericChecksumOk(pkt: PacketView): boolean {
  const len = pkt.ipEnd - pkt.l4Off;
  const s = sum16(pkt.buf, pkt.l4Off, len, pseudoHeaderSum(pkt.family as 4 | 6, pkt.src, pkt.dst, pkt.proto, len));
  return fold(s) === 0xffff;
}

/** ip_rt_redirect_number, ip_rt_redirect_load (HZ/50) and ip_rt_redirect_silence ((HZ/50) << 10), in ms. */
const REDIRECT_NUMBER = 9;
const REDIRECT_LOAD = 20;
const REDIRECT_SILENCE = 20 * 1024;

/** A 32-bit mix of a few numbers (murmur3's finaliser over a running combination). */
function mix(a: number, b: number, c: number, d: number): number {
  let h = (a ^ 0x9e3779b9) >>> 0;
  for (const x of [b, c, d]) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export class HostStack implements HostServices {
  private readonly limiter: IcmpRateLimiter;
  private now = 0;
  /**
   * The IPv4 options compiled for the packet being received (IPCB(skb)->opt), known by its
   * buffer: every arriving packet has its own, so an answer about another packet never sees them.
   */
  private rx: { buf: Uint8Array; opts: RxOptions } | null = null;
  /**
   * Answers that leave by a given interface whatever the routes say (by their bytes): neighbour
   * advertisements (ndisc_send_skb on the receiving device) and ICMPv6 errors to a link-local
   * source (icmp6_send routes them through the interface the offending packet came in on).
   */
  private readonly boundTo = new WeakMap<Uint8Array, string>();
  /** Routing lookups for nft fib / rt. */
  readonly fib: HostFib;

  constructor(
    private readonly cfg: HostConfig,
    readonly routing: RoutingTable,
    private readonly sysctl: HostSysctls,
    private readonly seed = 1,
  ) {
    this.fib = new HostFib(routing, sysctl);
    this.limiter = new IcmpRateLimiter(
      () => sysctl.get('net.ipv4.icmp_ratelimit'),
      () => sysctl.get('net.ipv4.icmp_ratemask'),
      () => sysctl.get('net.ipv4.icmp_msgs_per_sec'),
      () => sysctl.get('net.ipv4.icmp_msgs_burst'),
    );
  }

  /** The pipeline tells the stack the time of the packet it is working on. */
  setTime(now: number): void {
    this.now = now;
  }

  // ---- routing ----

  routeInput(pkt: PacketView, iif: string, mark: number): InputRoute {
    if (pkt.family === 6) return this.routeInput6(pkt, iif, mark);
    const route = this.routeInput4(pkt, iif, mark);
    if (pkt.ipOptLen > 0 && route.kind !== 'drop') return this.receiveOptions(pkt, iif, route);
    return route;
  }

  /**
   * ip_rcv_options, after the routing decision: the options are compiled (record route and
   * timestamps filled in place); a malformed one drops the packet with a parameter problem
   * pointing at it; a source route drops it unless accept_source_route allows it (not modelled).
   */
  private receiveOptions(pkt: PacketView, iif: string, route: InputRoute): InputRoute {
    const local = route.kind === 'local' && !route.broadcast;
    const r = compileReceived(pkt.buf, pkt.l3Off, pkt.ipHdrLen, {
      specDst: () => (local ? pkt.dst[0]! : this.specDst(pkt, iif)),
      isUnicast: (a) => this.routing.addrType(4, [a]) === 'UNICAST',
      nowMs: msSinceMidnight(this.now),
    });
    this.rx = { buf: pkt.buf, opts: r.opts };
    if (!r.ok) {
      const error = this.sendError4(pkt, iif, 12, 0, (r.pointer << 24) >>> 0);
      return { kind: 'drop', why: `IP option error at byte ${r.pointer} (parameter problem)`, error };
    }
    if (r.opts.srr) {
      if (!this.sysctl.conf4(iif, 'accept_source_route')) return { kind: 'drop', why: 'source route option (accept_source_route off)' };
      throw new Unsupported('IPv4 source route option with accept_source_route on: source routing (ip_options_rcv_srr) is not modelled by ctkit');
    }
    return route;
  }

  /**
   * fib_compute_spec_dst for a packet not addressed to one of ours (broadcast, forwarded): the
   * preferred source of the route back to its sender, else an address of the ingress interface.
   */
  private specDst(pkt: PacketView, iif: string): number {
    const src = pkt.src[0]! >>> 0;
    if (src !== 0) {
      const back = this.routing.lookup({ family: 4, dst: pkt.src, src: null, iif: null, oif: null, mark: 0 });
      if (back) return this.routing.sourceFor(4, pkt.src, back.dev, back)[0]! >>> 0;
    }
    return (this.routing.ifaceAddress(iif, 4, src !== 0 ? pkt.src : null) ?? this.routing.sourceFor(4, pkt.src, iif, null))[0]! >>> 0;
  }

  /** The received packet's compiled IPv4 options, when `pkt` is that packet. */
  private rxOptions(pkt: PacketView): RxOptions | null {
    return pkt.family === 4 && this.rx !== null && this.rx.buf === pkt.buf ? this.rx.opts : null;
  }

  /**
   * The options an answer to `pkt` from `src` carries (ip_options_echo, ip_options_build); null
   * when the kernel sends no answer at all (the echo failed).
   */
  private replyOptions(pkt: PacketView, src: number): Uint8Array | null {
    const rx = this.rxOptions(pkt);
    if (!rx) return new Uint8Array(0);
    const o = echoOptions(rx, pkt.buf, pkt.l3Off, (a) => this.routing.addrType(4, [a]) === 'UNICAST');
    return o ? buildOptions(o, src, msSinceMidnight(this.now)) : null;
  }

  /** ip_forward_options, after FORWARD: the record route entry gets the address the packet leaves by. */
  forwardOptions(pkt: PacketView, dev: string): void {
    const rx = this.rxOptions(pkt);
    if (!rx) return;
    const r = this.routing.lookup({ family: 4, dst: pkt.dst, src: pkt.src, iif: null, oif: dev, mark: 0 });
    const out = this.routing.sourceFor(4, pkt.dst, dev, r)[0]! >>> 0;
    if (forwardOptions(rx, pkt.buf, pkt.l3Off, out)) {
      fillIpv4HeaderChecksum(pkt.buf, pkt.l3Off, pkt.ipHdrLen);
      pkt.ipChecksum = (pkt.buf[pkt.l3Off + 10]! << 8) | pkt.buf[pkt.l3Off + 11]!;
    }
  }

  private routeInput4(pkt: PacketView, iif: string, mark: number): InputRoute {
    const src = pkt.src[0]! >>> 0;
    const dst = pkt.dst[0]! >>> 0;
    if (src >>> 28 === 0xe || src === 0xffffffff) return { kind: 'drop', why: 'martian source' };
    // ipv4_is_zeronet is 0.0.0.0 alone since Linux 5.3: the rest of 0.0.0.0/8 routes normally
    if (dst === 0xffffffff || (src === 0 && dst === 0)) return { kind: 'local', broadcast: true };
    if (src === 0) return { kind: 'drop', why: 'martian source' };
    if (dst === 0) return { kind: 'drop', why: 'martian destination' };
    const localnet = this.sysctl.conf4(iif, 'route_localnet') !== 0;
    if (!localnet && (src >>> 24 === 127 || dst >>> 24 === 127) && iif !== 'lo') return { kind: 'drop', why: 'martian (loopback address)' };
    if (dst >>> 28 === 0xe) {
      return dst === 0xe0000001 ? { kind: 'local', broadcast: true } : { kind: 'drop', why: 'multicast: no group joined' };
    }
    const r = this.routing.lookup({ family: 4, dst: pkt.dst, src: pkt.src, iif, oif: null, mark });
    const fwd = this.forwarding(4, iif);
    if (!r) return fwd ? { kind: 'unreachable', icmp: 'net-unreach' } : { kind: 'drop', why: 'no route' };
    switch (r.type) {
      case 'local': {
        const bad = this.validateSource(pkt, iif, mark);
        return bad ? { kind: 'drop', why: bad } : { kind: 'local', broadcast: false };
      }
      case 'broadcast':
        return { kind: 'local', broadcast: true };
      case 'unreachable':
        return { kind: 'unreachable', icmp: 'host-unreach' };
      case 'prohibit':
        return { kind: 'unreachable', icmp: 'prohibit' };
      case 'blackhole':
        return { kind: 'drop', why: 'blackhole route' };
      default: {
        if (!fwd) return { kind: 'drop', why: 'forwarding disabled' };
        const bad = this.validateSource(pkt, iif, mark);
        if (bad) return { kind: 'drop', why: bad };
        return r.dev ? { kind: 'forward', dev: r.dev } : { kind: 'unreachable', icmp: 'host-unreach' };
      }
    }
  }

  /** fib_validate_source: the source may not be ours, and rp_filter's reverse-path test. */
  private validateSource(pkt: PacketView, iif: string, mark: number): string | null {
    const rpf = this.sysctl.conf4(iif, 'rp_filter');
    const acceptLocal = this.sysctl.conf4(iif, 'accept_local') !== 0;
    if (rpf === 0) {
      if (!acceptLocal && this.routing.isLocal(4, pkt.src)) return 'martian source (a local address)';
      return null;
    }
    const vmark = this.sysctl.conf4(iif, 'src_valid_mark') ? mark : 0;
    const rev = this.routing.lookup({ family: 4, dst: pkt.src, src: pkt.dst, iif: null, oif: null, mark: vmark });
    if (!rev) return 'rp_filter: no route back to the source';
    if (rev.type !== 'unicast' && !(rev.type === 'local' && acceptLocal)) return 'martian source';
    if (rev.dev === iif) return null;
    return rpf === 1 ? 'rp_filter: reverse path is not via the ingress interface' : null;
  }

  private routeInput6(pkt: PacketView, iif: string, mark: number): InputRoute {
    if ((pkt.dst[0]! >>> 24) === 0xff) {
      // ip6_mc_input: delivered when the interface joined the group, else dropped (no multicast routing)
      return this.joined6(iif, pkt.dst) ? { kind: 'local', broadcast: true } : { kind: 'drop', why: 'multicast: no group joined' };
    }
    const r = this.routing.lookup({ family: 6, dst: pkt.dst, src: pkt.src, iif, oif: null, mark });
    const fwd = this.forwarding(6, iif);
    if (!r) return fwd ? { kind: 'unreachable', icmp: 'net-unreach' } : { kind: 'drop', why: 'no route' };
    if (r.type === 'local') return { kind: 'local', broadcast: false };
    if (r.type === 'unreachable') return { kind: 'unreachable', icmp: 'net-unreach' };
    if (r.type === 'prohibit') return { kind: 'unreachable', icmp: 'prohibit' };
    if (r.type === 'blackhole') return { kind: 'drop', why: 'blackhole route' };
    if (!fwd) return { kind: 'drop', why: 'forwarding disabled' };
    // Link-local destinations are never forwarded.
    if ((pkt.dst[0]! >>> 22) === 0x3fa) return { kind: 'drop', why: 'link-local destination' };
    if (!r.dev) return { kind: 'unreachable', icmp: 'net-unreach' };
    // ip6_forward, unless the packet goes back out of its interface (the redirect case): sources
    // that do not name one node are dropped; a link-local one gets "beyond scope of source
    // address" (unless its hop limit runs out first, which the forward path reports).
    if (r.dev !== iif && pkt.ttl > 1) {
      const s0 = pkt.src[0]! >>> 0;
      if (isUnspecified6(pkt.src) || isLoopback6(pkt.src)) return { kind: 'drop', why: 'martian source (unspecified or loopback) not forwarded' };
      if (s0 >>> 22 === 0x3fa) {
        const error = this.sendError6(pkt, 1, 2, 0, iif);
        return { kind: 'drop', why: 'link-local source not forwarded', error };
      }
    }
    return { kind: 'forward', dev: r.dev };
  }

  /**
   * Multicast groups an interface is in: all-nodes, the solicited-node group of each of its
   * addresses, and all-routers (link- and site-local) when it forwards.
   */
  private joined6(dev: string, g: ArrayLike<number>): boolean {
    const g0 = g[0]! >>> 0;
    if (g0 === 0xff020000 && g[1] === 0 && g[2] === 0 && (g[3] === 1 || (g[3] === 2 && this.sysctl.ipv6DevForwarding(dev)))) return true;
    if (g0 === 0xff050000 && g[1] === 0 && g[2] === 0 && g[3] === 2 && this.sysctl.ipv6DevForwarding(dev)) return true;
    if (g0 === 0xff020000 && g[1] === 0 && g[2] === 1 && (g[3]! >>> 24) === 0xff) {
      const low = g[3]! & 0xffffff;
      return this.routing.iface(dev)?.addresses.some((a) => a.family === 6 && (a.addr[3]! & 0xffffff) === low) ?? false;
    }
    return false;
  }

  /**
   * ip6_rcv_core, before PREROUTING: IPv6 off on the interface, the loopback address from
   * outside, interface-local or scope-0 multicast destinations and multicast sources are dropped
   * silently; then the hop-by-hop options are processed (ip6_parse_tlv).
   */
  receive(pkt: PacketView, iif: string): ReceiveVerdict | null {
    if (pkt.family !== 6) return null;
    if (this.sysctl.ipv6Disabled(iif)) return { why: 'IPv6 disabled on the interface', error: null };
    if (iif !== 'lo') {
      if (isLoopback6(pkt.src) || isLoopback6(pkt.dst)) return { why: 'martian: the loopback address from outside', error: null };
      if (pkt.dst[0]! >>> 24 === 0xff) {
        const scope = (pkt.dst[0]! >>> 16) & 0xf;
        if (scope === 1) return { why: 'martian: interface-local multicast destination from outside', error: null };
      }
    }
    if (pkt.dst[0]! >>> 24 === 0xff && ((pkt.dst[0]! >>> 16) & 0xf) === 0) return { why: 'martian: multicast destination of scope 0', error: null };
    if (pkt.src[0]! >>> 24 === 0xff) return { why: 'martian source (multicast)', error: null };
    if (pkt.buf[pkt.l3Off + 6] === Proto.HOPOPTS) return this.hopByHop(pkt, iif);
    return null;
  }

  /**
   * ip6_parse_tlv over the hop-by-hop header: padding (at most 7 bytes in a row, PadN all zero),
   * at most 8 other options, router alert of length 2, IOAM aligned (ignored: ioam6 is off),
   * jumbo payload (whose valid form the decoder already refused); an unknown option acts by its
   * two top bits: skip, drop, drop with a parameter problem (code 2) pointing at it, the same
   * unless the destination is multicast. CALIPSO is refused (NetLabel is not modelled).
   */
  private hopByHop(pkt: PacketView, iif: string): ReceiveVerdict | null {
    const b = pkt.buf;
    const h = pkt.l3Off + 40;
    let off = h + 2;
    let len = (b[h + 1]! + 1) * 8 - 2;
    let pad = 0;
    let count = 0;
    const bad = (what: string): ReceiveVerdict => ({ why: `hop-by-hop options: ${what}`, error: null });
    while (len > 0) {
      const t = b[off]!;
      if (t === 0) {
        if (++pad > 7) return bad('more than 7 bytes of padding');
        off++;
        len--;
        continue;
      }
      if (len < 2) return bad('option beyond the header');
      const optlen = b[off + 1]! + 2;
      if (optlen > len) return bad('option beyond the header');
      if (t === 1) {
        pad += optlen;
        if (pad > 7) return bad('more than 7 bytes of padding');
        for (let i = 2; i < optlen; i++) if (b[off + i] !== 0) return bad('PadN with non-zero bytes');
      } else {
        if (++count > 8) return bad('more than 8 options (max_hbh_opts_cnt)');
        const at = off - pkt.l3Off;
        switch (t) {
          case 0x05: // router alert
            if (b[off + 1] !== 2) return bad('router alert of a wrong length');
            break;
          case 0x31: // IOAM
            if (at & 3) return bad('IOAM option misaligned');
            break;
          case 0xc2: // jumbo payload: only a jumbogram's is valid, and the decoder refuses those
            return bad('jumbo payload option');
          case 0x07:
            throw new Unsupported('IPv6 hop-by-hop option CALIPSO (type 7): its validation (calipso_validate, NetLabel) is not modelled by ctkit');
          default: {
            const action = t >> 6;
            if (action === 0) break;
            if (action === 1 || (action === 3 && pkt.dst[0]! >>> 24 === 0xff)) return bad(`unknown option 0x${t.toString(16)} (discard)`);
            return { why: `hop-by-hop options: unknown option 0x${t.toString(16)} (parameter problem)`, error: this.sendError6(pkt, 4, 2, at, iif) };
          }
        }
        pad = 0;
      }
      off += optlen;
      len -= optlen;
    }
    return null;
  }

  routeOutput(pkt: PacketView, mark: number): string | null {
    const bound = this.boundTo.get(pkt.buf);
    if (bound !== undefined) return bound;
    const fam = pkt.family === 6 ? 6 : 4;
    const r = this.routing.lookup({ family: fam, dst: pkt.dst, src: null, iif: null, oif: null, mark });
    if (!r || r.type === 'unreachable' || r.type === 'prohibit' || r.type === 'blackhole') return null;
    return r.type === 'local' ? 'lo' : r.dev;
  }

  /**
   * IN_DEV_FORWARD (IPv4: the ingress interface's own forwarding, which ip_forward sets on every
   * interface when written) / ip6_forward (IPv6: "all" decides).
   */
  forwarding(family: 4 | 6, iif: string): boolean {
    if (family === 4) return this.sysctl.conf4(iif, 'forwarding') !== 0;
    return this.sysctl.ipv6Forward;
  }

  mtu(dev: string): number {
    return this.routing.iface(dev)?.mtu ?? 1500;
  }

  // ---- the host's own answers ----

  deliverLocal(ctx: PacketContext, emit: Emit): void {
    const pkt = ctx.pkt;
    if (pkt.isFragment && pkt.l4Off < 0) return;
    switch (pkt.proto) {
      case Proto.ICMP:
        if (pkt.family === 4) this.icmpIn(pkt, ctx.iif, emit);
        return;
      case Proto.ICMPV6:
        if (pkt.family === 6) this.icmp6In(pkt, ctx.iif, emit);
        return;
      case Proto.TCP:
        this.tcpIn(pkt, emit);
        return;
      case Proto.UDP:
      case Proto.UDPLITE:
        this.udpIn(pkt, ctx, emit);
        return;
      default:
        this.protoUnreachable(pkt, emit);
    }
  }

  /**
   * icmp_echo / icmp_timestamp -> icmp_reply: answered from fib_compute_spec_dst (the request's
   * destination, or for a broadcast one the address the host uses towards the sender), with the
   * request's options echoed; a timestamp request needs its 4-byte originate time.
   */
  private icmpIn(pkt: PacketView, iif: string | null, emit: Emit): void {
    if (pkt.malformed || !verifyL4Checksum(pkt)) return;
    if (pkt.icmpType !== 8 && pkt.icmpType !== 13) return;
    if (this.sysctl.get('net.ipv4.icmp_echo_ignore_all') !== 0 && pkt.icmpType === 8) return;
    const bcast = this.routing.addrType(4, pkt.dst) !== 'LOCAL';
    if (bcast && this.sysctl.get('net.ipv4.icmp_echo_ignore_broadcasts') !== 0) return;
    if (pkt.icmpType === 13 && pkt.ipEnd - pkt.l4Off < 12) return;
    const src = bcast ? this.specDst(pkt, iif ?? 'lo') : pkt.dst[0]! >>> 0;
    const opts = this.replyOptions(pkt, src);
    if (opts === null) return;
    emit(echoReply(pkt, this.now, this.sysctl.get('net.ipv4.ip_default_ttl'), [src, 0, 0, 0], opts), null);
  }

  private icmp6In(pkt: PacketView, iif: string | null, emit: Emit): void {
    if (pkt.malformed || !verifyL4Checksum(pkt)) return;
    if (pkt.icmpType === 135) {
      if (iif !== null) this.neighbourSolicitation(pkt, iif, emit);
      return;
    }
    if (pkt.icmpType !== 128) return;
    if (this.sysctl.get('net.ipv6.icmp.echo_ignore_all') !== 0) return;
    // icmpv6_echo_reply: an echo to a multicast group is answered from a unicast address of ours
    let src: ArrayLike<number> = pkt.dst;
    if ((pkt.dst[0]! >>> 24) === 0xff) {
      const back = this.routing.lookup({ family: 6, dst: pkt.src, src: null, iif: null, oif: null, mark: 0 });
      src = this.routing.sourceFor(6, pkt.src, back?.dev ?? null, back);
    }
    emit(echoReply(pkt, this.now, 64, src), null);
  }

  /**
   * ndisc_recv_ns: a neighbour solicitation (hop limit 255, code 0, a unicast target, well-formed
   * options, a source link-layer address of the device's length and none from the unspecified
   * address, duplicate address detection only to a solicited-node group) for an address of the
   * interface it arrived on is answered with a neighbour advertisement from that address: to
   * the sender, solicited, with override and the interface's MAC when the solicitation was
   * multicast; to all nodes for duplicate address detection. The router flag is the
   * interface's forwarding. A multicast solicitation without a source link-layer address finds no
   * neighbour entry and gets no answer (neighbour caches are not modelled); anycast and proxy
   * targets get none either.
   */
  private neighbourSolicitation(pkt: PacketView, iif: string, emit: Emit): void {
    const b = pkt.buf;
    const m = pkt.l4Off;
    const end = pkt.ipEnd;
    if (pkt.ttl !== 255 || pkt.icmpCode !== 0 || end - m < 24) return;
    const target = Uint32Array.of(get32(b, m + 8), get32(b, m + 12), get32(b, m + 16), get32(b, m + 20));
    if (target[0]! >>> 24 === 0xff) return;
    const dad = isUnspecified6(pkt.src);
    const mcast = pkt.dst[0]! >>> 24 === 0xff;
    if (dad && !(pkt.dst[0] === 0xff020000 && pkt.dst[1] === 0 && pkt.dst[2] === 1 && pkt.dst[3]! >>> 24 === 0xff)) return;
    // ndisc_parse_options
    let slla = false;
    for (let o = m + 24; o < end; ) {
      if (end - o < 2) return;
      const l = b[o + 1]! * 8;
      if (l === 0 || l > end - o) return;
      if (b[o] === 1 && !slla) {
        if (l !== 8) return; // ndisc_opt_addr_data: not an Ethernet address's length
        if (dad) return;
        slla = true;
      }
      o += l;
    }
    const f = this.routing.iface(iif);
    if (!f?.addresses.some((a) => a.family === 6 && sameAddr(6, a.addr, target))) return;
    const router = this.sysctl.ipv6DevForwarding(iif);
    const withMac = dad || mcast;
    let mac: Uint8Array | null = null;
    if (withMac) {
      if (!f.mac) throw new Unsupported(`neighbour solicitation for ${addrString(6, target)} on ${iif}: the host answers it, but HOST.json gives ${iif} no "mac" (the target link-layer address)`);
      mac = f.mac;
    }
    const na = dad
      ? neighbourAdvert(target, ALL_NODES, target, { router, solicited: false, override: true }, mac)
      : mcast && !slla
        ? null
        : neighbourAdvert(target, pkt.src, target, { router, solicited: true, override: mcast }, mac);
    if (!na) return;
    this.boundTo.set(na, iif); // ndisc_send_skb: out of the device the solicitation came in on
    emit(na, null);
  }

  private listener(proto: 'tcp' | 'udp', pkt: PacketView): ListenerConfig | undefined {
    return this.cfg.listeners.find(
      (l) => l.proto === proto && l.port === pkt.dport && (l.addr === null || (l.family === pkt.family && sameAddr(pkt.family as 4 | 6, l.addr, pkt.dst))),
    );
  }

  private tcpIn(pkt: PacketView, emit: Emit): void {
    if (pkt.l4Off < 0 || pkt.malformed || !verifyL4Checksum(pkt)) return;
    if (this.listener('tcp', pkt)) {
      // A listening socket answers a SYN with its SYN-ACK; what the application then does with
      // the connection is not modelled, so later segments are taken in silently.
      if ((pkt.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST | TcpFlag.FIN)) === TcpFlag.SYN) {
        const a = this.synAck(pkt);
        if (a) emit(a, null);
      }
      return;
    }
    if (this.routing.addrType(pkt.family as 4 | 6, pkt.dst) !== 'LOCAL') return;
    // tcp_v4_send_reset -> ip_send_unicast_reply: the segment's options are echoed
    const ipOpts = this.replyOptions(pkt, pkt.dst[0]! >>> 0);
    if (ipOpts === null) return;
    const rst = tcpReset(pkt, { ttl: 64, df: true, tos: pkt.tos & ~3, ipOpts });
    if (rst) emit(rst, null);
  }

  /** The SYN-ACK for `syn`: ISN and TSval keyed from the host's seed and the 4-tuple, as secure_tcp_seq keys them. */
  private synAck(syn: PacketView): Uint8Array | null {
    const ipOpts = this.replyOptions(syn, syn.dst[0]! >>> 0);
    if (ipOpts === null) return null;
    const family = syn.family as 4 | 6;
    const back = this.routing.lookup({ family, dst: syn.src, src: null, iif: null, oif: null, mark: 0 });
    const mtu = (back?.dev ? this.routing.iface(back.dev)?.mtu : undefined) ?? 1500;
    const mss = mtu - (family === 6 ? 60 : 40); // the route's advmss, whatever the SYN offered
    const key = mix(this.seed, syn.src[0]! ^ syn.src[3]!, syn.dst[0]! ^ syn.dst[3]!, (syn.sport << 16) | syn.dport);
    return tcpSynAck(syn, { isn: key, mss, tsVal: mix(key, 0x5eed, 1, 2), ipOpts });
  }

  /**
   * No socket: a port unreachable. IPv4's __udp4_lib_rcv drops the datagram's conntrack reference
   * first (nf_reset_ct), so the error meets conntrack on its own in OUTPUT (and raw OUTPUT's
   * NOTRACK can take it); IPv6's keeps it attached (RELATED) as icmpv6_send does.
   */
  private udpIn(pkt: PacketView, ctx: PacketContext, emit: Emit): void {
    if (pkt.l4Off < 0 || pkt.malformed || !verifyL4Checksum(pkt)) return;
    if (this.listener('udp', pkt)) return; // a socket takes it
    if (this.routing.addrType(pkt.family as 4 | 6, pkt.dst) !== 'LOCAL') return;
    const b = this.icmpError(pkt, ctx.iif, 'port-unreach', 0);
    if (b) emit(b, pkt.family === 4 ? false : null);
  }

  private protoUnreachable(pkt: PacketView, emit: Emit): void {
    const b = this.icmpError(pkt, null, 'proto-unreach', 0);
    if (b) emit(b, null);
  }

  /**
   * ip_error: the ICMP error for a packet that met an unreachable route (or none), after ip_error's
   * own token check on the sender's inet_peer (IPv4); IPv6 goes straight to icmpv6_send.
   */
  routeError(pkt: PacketView, iif: string, kind: 'net-unreach' | 'host-unreach' | 'prohibit'): Uint8Array | null {
    if (pkt.family === 4 && !this.limiter.ipErrorAllow(addrString(4, pkt.src), this.now)) return null;
    return this.icmpError(pkt, iif, kind, 0);
  }

  /** icmp_send / icmpv6_send for the error `kind` about `pkt`; null when Linux would send nothing. */
  icmpError(pkt: PacketView, iif: string | null, kind: ErrorKind, mtu: number): Uint8Array | null {
    const [type, code] = (pkt.family === 6 ? ICMP6 : ICMP4)[kind];
    const info = kind === 'frag-needed' ? mtu : kind === 'proto-unreach' && pkt.family === 6 ? 6 : 0;
    return this.sendError(pkt, iif, type, code, info);
  }

  private sendError(pkt: PacketView, iif: string | null, type: number, code: number, info: number): Uint8Array | null {
    return pkt.family === 6 ? this.sendError6(pkt, type, code, info, iif) : this.sendError4(pkt, iif, type, code, info);
  }

  private sendError4(pkt: PacketView, iif: string | null, type: number, code: number, info: number): Uint8Array | null {
    if (pkt.fragOffset > 0) return null;
    const src = pkt.src[0]! >>> 0;
    if (src === 0 || src === 0xffffffff || src >>> 28 === 0xe) return null;
    const dstType = this.routing.addrType(4, pkt.dst);
    if (dstType === 'BROADCAST' || dstType === 'MULTICAST') return null;
    // __icmp_send: no error about an ICMP error, nor about an unknown ICMP type (above
    // NR_ICMP_TYPES, taken for an error) or an ICMP message too short to show its type.
    if (pkt.proto === Proto.ICMP && (pkt.icmpIsError || pkt.l4Off < 0 || pkt.l4Off >= pkt.ipEnd || pkt.buf[pkt.l4Off]! > NR_ICMP_TYPES)) return null;
    if (!this.limiter.allow(type, addrString(4, pkt.src), this.now)) return null;
    let from: number;
    if (dstType === 'LOCAL') from = pkt.dst[0]! >>> 0;
    else {
      const viaIn = iif && this.sysctl.get('net.ipv4.icmp_errors_use_inbound_ifaddr') !== 0 ? this.routing.ifaceAddress(iif, 4, pkt.src) : null;
      if (viaIn) from = viaIn[0]! >>> 0;
      else {
        const back = this.routing.lookup({ family: 4, dst: pkt.src, src: null, iif: null, oif: null, mark: 0 });
        from = this.routing.sourceFor(4, pkt.src, back?.dev ?? null, back)[0]! >>> 0;
      }
    }
    // __icmp_send: the offending packet's options are echoed (an echo that fails sends nothing)
    const opts = this.replyOptions(pkt, from);
    if (opts === null) return null;
    const orig = pkt.buf.subarray(pkt.l3Off, pkt.ipEnd);
    return icmpError4(orig, type, code, type === 3 && code === 4 ? info & 0xffff : info, from, src, pkt.tos, 64, opts);
  }

  private sendError6(pkt: PacketView, type: number, code: number, info: number, iif: string | null): Uint8Array | null {
    if ((pkt.src[0]! >>> 24) === 0xff || (pkt.src[0] === 0 && pkt.src[1] === 0 && pkt.src[2] === 0 && pkt.src[3] === 0)) return null;
    // icmpv6_send's is_ineligible: an ICMPv6 error, or one too short to show its type.
    if (pkt.proto === Proto.ICMPV6 && (pkt.icmpIsError || pkt.l4Off < 0 || pkt.l4Off >= pkt.ipEnd || pkt.buf[pkt.l4Off]! < 128)) return null;
    if (!this.limiter.allow6(type, addrString(6, pkt.src), this.now, this.sysctl.get('net.ipv6.icmp.ratelimit'))) return null;
    const dstLocal = this.routing.isLocal(6, pkt.dst);
    // a link-local source is reached through the interface the packet came in on (its scope)
    const scoped = iif !== null && pkt.src[0]! >>> 22 === 0x3fa;
    const back = scoped ? null : this.routing.lookup({ family: 6, dst: pkt.src, src: null, iif: null, oif: null, mark: 0 });
    const from = dstLocal ? pkt.dst : scoped ? (this.routing.ifaceAddress(iif, 6, null) ?? this.routing.sourceFor(6, pkt.src, iif, null)) : this.routing.sourceFor(6, pkt.src, back?.dev ?? null, back);
    const err = icmpError6(pkt.buf.subarray(pkt.l3Off, pkt.ipEnd), type, code, info, from, pkt.src, 64);
    if (scoped) this.boundTo.set(err, iif);
    return err;
  }

  /**
   * ip_forward's ICMP host redirect for a packet that leaves through the interface it came in on
   * (send_redirects, and shared_media or an on-link source), with ip_rt_send_redirect's per-source
   * backoff: one at once, then only after 20 ms << n, at most 9, reset after 20.48 s of silence.
   * IPv6 redirects (ndisc) are not modelled: they need neighbour entries.
   */
  redirect(pkt: PacketView, iif: string, mark: number): Uint8Array | null {
    // ip_forward: only a source route stops a redirect (and those are refused on receive)
    if (pkt.family !== 4) return null;
    if (!this.sysctl.conf4(iif, 'send_redirects')) return null;
    const r = this.routing.lookup({ family: 4, dst: pkt.dst, src: pkt.src, iif, oif: null, mark });
    if (!r || r.dev !== iif) return null;
    const gw = r.gateway ? r.gateway[0]! >>> 0 : pkt.dst[0]! >>> 0;
    if (!this.sysctl.conf4(iif, 'shared_media')) {
      const onLink = this.routing.iface(iif)?.addresses.some((a) => a.family === 4 && inPrefix(4, pkt.src, a.addr, a.prefixLen) && inPrefix(4, Uint32Array.of(gw, 0, 0, 0), a.addr, a.prefixLen));
      if (!onLink) return null;
    }
    const peer = this.limiter.peer(addrString(4, pkt.src), this.now);
    const t = Math.floor(this.now * 1000);
    if (t > peer.last + REDIRECT_SILENCE) {
      peer.tokens = 0;
      peer.redirects = 0;
    }
    if (peer.redirects >= REDIRECT_NUMBER) {
      peer.last = t;
      return null;
    }
    if (peer.redirects !== 0 && !(t > peer.last + REDIRECT_LOAD * 2 ** peer.redirects)) return null;
    peer.last = t;
    peer.redirects++;
    return this.sendError4(pkt, iif, 5, 1, gw);
  }

  rejectPacket(pkt: PacketView, with_: string, hook: Hook, iif: string | null): Uint8Array | null {
    if (with_ === 'tcp-reset') {
      if (pkt.proto !== Proto.TCP || pkt.l4Off < 0 || pkt.isFragment) return null;
      if (pkt.tcpFlags & TcpFlag.RST) return null;
      if (!verifyL4Checksum(pkt)) return null;
      return tcpReset(pkt, { ttl: 64, df: pkt.family === 4, tos: 0 });
    }
    const table = pkt.family === 6 ? REJECT6 : REJECT4;
    const tc = table[with_];
    if (!tc) throw new Error(`REJECT --reject-with ${with_} does not apply to IPv${pkt.family}`);
    // nf_send_unreach: no answer for non-first fragments or packets with a bad checksum.
    if (pkt.fragOffset > 0) return null;
    if (!rejectChecksumOk(pkt)) return null;
    void hook;
    return this.sendError(pkt, iif, tc[0], tc[1], 0);
  }
}

const ALL_NODES = Uint32Array.of(0xff020000, 0, 0, 1);

function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function isUnspecified6(a: ArrayLike<number>): boolean {
  return a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0;
}

function isLoopback6(a: ArrayLike<number>): boolean {
  return a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 1;
}
