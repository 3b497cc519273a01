/**
 * The host's own IP stack as netfilter's neighbours see it: the routing decision for arriving and
 * local packets (martians, rp_filter, local / forward / unreachable), and the answers Linux gives
 * when no process listens (echo and timestamp replies, TCP RST for a closed port, ICMP port or
 * protocol unreachable), ICMP errors for packets it cannot forward, and REJECT's packets. Answers
 * are handed back to the pipeline, which sends them down the OUTPUT path like any local packet.
 */
import { fold, pseudoHeaderSum, sum16, verifyL4Checksum } from '../packet/checksum.js';
import { PacketView, Proto, TcpFlag, addrString } from '../packet/view.js';
import type { Hook, PacketContext } from '../netfilter/context.js';
import type { AttachInfo, HostServices, InputRoute } from '../netfilter/pipeline.js';
import type { HostConfig, ListenerConfig } from './config.js';
import { echoReply, icmpError4, icmpError6, tcpReset, tcpSynAck } from './answers.js';
import { HostFib } from './fib.js';
import { IcmpRateLimiter } from './ratelimit.js';
import { inPrefix, RoutingTable, sameAddr } from './routing.js';
import type { HostSysctls } from './sysctl.js';

type ErrorKind = 'ttl' | 'net-unreach' | 'host-unreach' | 'prohibit' | 'frag-needed' | 'port-unreach' | 'proto-unreach';

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
function rejectChecksumOk(pkt: PacketView): boolean {
  if (pkt.l4Off < 0) return true;
  switch (pkt.proto) {
    case Proto.UDP:
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
    return pkt.family === 4 ? this.routeInput4(pkt, iif, mark) : this.routeInput6(pkt, iif, mark);
  }

  private routeInput4(pkt: PacketView, iif: string, mark: number): InputRoute {
    const src = pkt.src[0]! >>> 0;
    const dst = pkt.dst[0]! >>> 0;
    if (src >>> 28 === 0xe || src === 0xffffffff) return { kind: 'drop', why: 'martian source' };
    if (dst === 0xffffffff) return { kind: 'local', broadcast: true };
    if (src >>> 24 === 0) return { kind: 'drop', why: 'martian source' };
    if (dst >>> 24 === 0) return { kind: 'drop', why: 'martian destination' };
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
    if (this.sysctl.ipv6Disabled(iif)) return { kind: 'drop', why: 'IPv6 disabled' };
    if ((pkt.src[0]! >>> 24) === 0xff) return { kind: 'drop', why: 'martian source (multicast)' };
    if ((pkt.dst[0]! >>> 24) === 0xff) {
      // ff02::1 (all nodes) is always joined; other groups are not.
      const allNodes = pkt.dst[0] === 0xff020000 && pkt.dst[1] === 0 && pkt.dst[2] === 0 && pkt.dst[3] === 1;
      return allNodes ? { kind: 'local', broadcast: true } : { kind: 'drop', why: 'multicast: no group joined' };
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
    return r.dev ? { kind: 'forward', dev: r.dev } : { kind: 'unreachable', icmp: 'net-unreach' };
  }

  routeOutput(pkt: PacketView, mark: number): string | null {
    const fam = pkt.family === 6 ? 6 : 4;
    const r = this.routing.lookup({ family: fam, dst: pkt.dst, src: null, iif: null, oif: null, mark });
    if (!r || r.type === 'unreachable' || r.type === 'prohibit' || r.type === 'blackhole') return null;
    return r.type === 'local' ? 'lo' : r.dev;
  }

  forwarding(family: 4 | 6, iif: string): boolean {
    if (family === 4) return this.sysctl.ipForward || this.sysctl.conf4(iif, 'forwarding') !== 0;
    return this.sysctl.ipv6Forward || this.sysctl.get(`net.ipv6.conf.${iif}.forwarding`) !== 0;
  }

  mtu(dev: string): number {
    return this.routing.iface(dev)?.mtu ?? 1500;
  }

  // ---- the host's own answers ----

  deliverLocal(ctx: PacketContext, emit: (pkt: Uint8Array, attach: AttachInfo | null) => void): void {
    const pkt = ctx.pkt;
    if (pkt.isFragment && pkt.l4Off < 0) return;
    switch (pkt.proto) {
      case Proto.ICMP:
        if (pkt.family === 4) this.icmpIn(pkt, emit);
        return;
      case Proto.ICMPV6:
        if (pkt.family === 6) this.icmp6In(pkt, emit);
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

  private icmpIn(pkt: PacketView, emit: (pkt: Uint8Array, attach: AttachInfo | null) => void): void {
    if (pkt.malformed || !verifyL4Checksum(pkt)) return;
    if (pkt.icmpType !== 8 && pkt.icmpType !== 13) return;
    if (this.sysctl.get('net.ipv4.icmp_echo_ignore_all') !== 0 && pkt.icmpType === 8) return;
    const bcast = this.routing.addrType(4, pkt.dst) !== 'LOCAL';
    if (bcast && this.sysctl.get('net.ipv4.icmp_echo_ignore_broadcasts') !== 0) return;
    emit(echoReply(pkt, this.now, this.sysctl.get('net.ipv4.ip_default_ttl')), null);
  }

  private icmp6In(pkt: PacketView, emit: (pkt: Uint8Array, attach: AttachInfo | null) => void): void {
    if (pkt.malformed || !verifyL4Checksum(pkt)) return;
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

  private listener(proto: 'tcp' | 'udp', pkt: PacketView): ListenerConfig | undefined {
    return this.cfg.listeners.find(
      (l) => l.proto === proto && l.port === pkt.dport && (l.addr === null || (l.family === pkt.family && sameAddr(pkt.family as 4 | 6, l.addr, pkt.dst))),
    );
  }

  private tcpIn(pkt: PacketView, emit: (pkt: Uint8Array, attach: AttachInfo | null) => void): void {
    if (pkt.l4Off < 0 || pkt.malformed || !verifyL4Checksum(pkt)) return;
    if (this.listener('tcp', pkt)) {
      // A listening socket answers a SYN with its SYN-ACK; what the application then does with
      // the connection is not modelled, so later segments are taken in silently.
      if ((pkt.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST | TcpFlag.FIN)) === TcpFlag.SYN) emit(this.synAck(pkt), null);
      return;
    }
    if (this.routing.addrType(pkt.family as 4 | 6, pkt.dst) !== 'LOCAL') return;
    const rst = tcpReset(pkt, { ttl: 64, df: true, tos: pkt.tos & ~3 });
    if (rst) emit(rst, null);
  }

  /** The SYN-ACK for `syn`: ISN and TSval keyed from the host's seed and the 4-tuple, as secure_tcp_seq keys them. */
  private synAck(syn: PacketView): Uint8Array {
    const family = syn.family as 4 | 6;
    const back = this.routing.lookup({ family, dst: syn.src, src: null, iif: null, oif: null, mark: 0 });
    const mtu = (back?.dev ? this.routing.iface(back.dev)?.mtu : undefined) ?? 1500;
    const mss = mtu - (family === 6 ? 60 : 40); // the route's advmss, whatever the SYN offered
    const key = mix(this.seed, syn.src[0]! ^ syn.src[3]!, syn.dst[0]! ^ syn.dst[3]!, (syn.sport << 16) | syn.dport);
    return tcpSynAck(syn, { isn: key, mss, tsVal: mix(key, 0x5eed, 1, 2) });
  }

  private udpIn(pkt: PacketView, ctx: PacketContext, emit: (pkt: Uint8Array, attach: AttachInfo | null) => void): void {
    if (pkt.l4Off < 0 || pkt.malformed || !verifyL4Checksum(pkt)) return;
    if (this.listener('udp', pkt)) return; // a socket takes it
    if (this.routing.addrType(pkt.family as 4 | 6, pkt.dst) !== 'LOCAL') return;
    const b = this.icmpError(pkt, ctx.iif, 'port-unreach', 0);
    if (b) emit(b, null);
  }

  private protoUnreachable(pkt: PacketView, emit: (pkt: Uint8Array, attach: AttachInfo | null) => void): void {
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
    return pkt.family === 6 ? this.sendError6(pkt, type, code, info) : this.sendError4(pkt, iif, type, code, info);
  }

  private sendError4(pkt: PacketView, iif: string | null, type: number, code: number, info: number): Uint8Array | null {
    if (pkt.fragOffset > 0) return null;
    const src = pkt.src[0]! >>> 0;
    if (src === 0 || src === 0xffffffff || src >>> 28 === 0xe) return null;
    const dstType = this.routing.addrType(4, pkt.dst);
    if (dstType === 'BROADCAST' || dstType === 'MULTICAST') return null;
    if (pkt.proto === Proto.ICMP && pkt.icmpIsError) return null;
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
    const orig = pkt.buf.subarray(pkt.l3Off, pkt.ipEnd);
    return icmpError4(orig, type, code, type === 3 && code === 4 ? info & 0xffff : info, from, src, pkt.tos, 64);
  }

  private sendError6(pkt: PacketView, type: number, code: number, info: number): Uint8Array | null {
    if ((pkt.src[0]! >>> 24) === 0xff || (pkt.src[0] === 0 && pkt.src[1] === 0 && pkt.src[2] === 0 && pkt.src[3] === 0)) return null;
    if (pkt.proto === Proto.ICMPV6 && pkt.icmpIsError) return null;
    if (!this.limiter.allow6(type, addrString(6, pkt.src), this.now, this.sysctl.get('net.ipv6.icmp.ratelimit'))) return null;
    const dstLocal = this.routing.isLocal(6, pkt.dst);
    const back = this.routing.lookup({ family: 6, dst: pkt.src, src: null, iif: null, oif: null, mark: 0 });
    const from = dstLocal ? pkt.dst : this.routing.sourceFor(6, pkt.src, back?.dev ?? null, back);
    return icmpError6(pkt.buf.subarray(pkt.l3Off, pkt.ipEnd), type, code, info, from, pkt.src, 64);
  }

  /**
   * ip_forward's ICMP host redirect for a packet that leaves through the interface it came in on
   * (send_redirects, and shared_media or an on-link source), with ip_rt_send_redirect's per-source
   * backoff: one at once, then only after 20 ms << n, at most 9, reset after 20.48 s of silence.
   * IPv6 redirects (ndisc) are not modelled: they need neighbour entries.
   */
  redirect(pkt: PacketView, iif: string, mark: number): Uint8Array | null {
    if (pkt.family !== 4 || pkt.ipOptLen > 0) return null;
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
