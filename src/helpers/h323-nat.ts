/**
 * The H.323 helpers under NAT (the kernel's nf_nat_h323.c; IPv4 only, as there): addresses in
 * H.225 and H.245 messages are fixed-size PER fields (four address bytes and a two-byte port),
 * so they are overwritten in place, the packet keeps its length and TCP needs no sequence
 * adjustment.
 *
 *  - call signalling (Q.931) and H.245: an h245Address, an RTP / RTCP media (control) channel
 *    or a T.120 address announced by the translated side is replaced by that side's translated
 *    address and a port registered for the expectation (the announced one while it is free; RTP
 *    takes an even port with the next one free for RTCP, moving by two; the RTP ports of up to
 *    four channels are remembered per connection); a call-forwarding address is replaced by the
 *    address the other side reaches the router at; a Setup's destCallSignalAddress /
 *    sourceCallSignalAddress become the other side's view of the call's ends;
 *  - RAS: the endpoint's callSignalAddress in an RRQ is moved like an h245Address and remembered
 *    (signalling ports, original and translated) for the RCF / URQ / ACF / IRR that mention it;
 *    rasAddress fields of the sender become its translated address and port;
 *  - the expected connections are mapped like their master (nf_nat_follow_master); a Q.931
 *    connection announced in an RRQ without a gatekeeper address to match goes to the endpoint's
 *    real address and port, and a forwarded call to the address the message named.
 */
import type { Conn } from '../conntrack/conn.js';
import type { Expectation } from '../conntrack/expect.js';
import { mangleTcpPacket, mangleUdpPacket } from '../nat/helper.js';
import { NatFlag, NatRange } from '../nat/range.js';
import { Proto } from '../packet/view.js';
import type { Decoded } from './h323-asn1.js';
import { addrPort, h225Addr, RTP_CHANNEL_MAX, sub, val, type H323Packet } from './h323-common.js';
import { expectFollowMaster, findPort } from './nat-support.js';
import type { HelperNat } from './types.js';

const tmp = addrPort();
const tmp0 = addrPort();

/**
 * set_addr: the six bytes at `addrOff` of the decoded buffer become `ip` and `port`. False where
 * the kernel fails (the rewrite did not fit in the packet).
 */
function setAddr(pk: H323Packet, addrOff: number, ip: number, port: number): boolean {
  const rep = Uint8Array.of(ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255, port >>> 8, port & 255);
  const call = pk.call;
  if (call.conn.protoNum === Proto.TCP) return mangleTcpPacket(call.ctx, call.conn, pk.dataOff + addrOff, rep.length, rep);
  if (pk.tpkt) {
    // A TCP helper a rule put on a UDP connection: the kernel rewrites at an offset counted from
    // a TCP payload that is not there, and reads the rest of the message from elsewhere.
    throw new Error('H.323 NAT: an H.245 / Q.931 helper on a UDP connection rewrites addresses the kernel way (from a TCP header that is not there); not reproduced');
  }
  return mangleUdpPacket(call.ctx, pk.dataOff + addrOff, rep.length, rep);
}

/** set_h225_addr: an H.225 ipAddress becomes `addr`:`port`. */
export function setH225Addr(pk: H323Packet, taddr: Decoded | null, addr: ArrayLike<number>, port: number): boolean {
  return setAddr(pk, val(sub(taddr, 'ipAddress'), 'ip'), addr[0]!, port);
}

/** set_h245_addr: an H.245 unicast iPAddress becomes `addr`:`port`. */
export function setH245Addr(pk: H323Packet, taddr: Decoded | null, addr: ArrayLike<number>, port: number): boolean {
  return setAddr(pk, val(sub(sub(taddr, 'unicastAddress'), 'iPAddress'), 'network'), addr[0]!, port);
}

/** A loopback address (the "Gnomemeeting" fix: such an endpoint's first address is rewritten instead). */
function isLoopback(a: ArrayLike<number>): boolean {
  return (a[0]! >>> 24) === 0x7f;
}

/** set_sig_addr: the first call signalling address of this connection (either end, its signalling port) is translated. 0 or -1. */
export function setSigAddr(pk: H323Packet, taddrs: readonly Decoded[]): number {
  const d = pk.data;
  const dir = pk.dir;
  const t = pk.t;
  const o = pk.o;
  for (let i = 0; i < taddrs.length; i++) {
    if (!h225Addr(pk, taddrs[i]!, tmp)) continue;
    if (tmp.addr[0] === t.src[0] && tmp.port === d.sigPort[dir]) {
      // endpoint to gatekeeper
      let k = i;
      if (i > 0 && h225Addr(pk, taddrs[0]!, tmp0) && isLoopback(tmp0.addr)) k = 0;
      return setH225Addr(pk, taddrs[k]!, o.dst, d.sigPort[dir === 0 ? 1 : 0]) ? 0 : -1;
    }
    if (tmp.addr[0] === t.dst[0] && tmp.port === d.sigPort[dir]) {
      // gatekeeper to endpoint
      return setH225Addr(pk, taddrs[i]!, o.src, d.sigPort[dir === 0 ? 1 : 0]) ? 0 : -1;
    }
  }
  return 0;
}

/** set_ras_addr: the sender's own RAS address and port become their translated counterparts. 0 or -1. */
export function setRasAddr(pk: H323Packet, taddrs: readonly Decoded[]): number {
  const t = pk.t;
  const o = pk.o;
  for (const ta of taddrs) {
    if (h225Addr(pk, ta, tmp) && tmp.addr[0] === t.src[0] && tmp.port === t.sport) {
      return setH225Addr(pk, ta, o.dst, o.dport) ? 0 : -1;
    }
  }
  return 0;
}

/**
 * nat_rtp_rtcp: the pair is registered on the translated address at the announced even port, or
 * the next even port with both free; the message gets the RTP or RTCP port of the pair. No free
 * pair or no free channel slot: no expectation, the packet passes. 0 or -1.
 */
export function natRtpRtcp(pk: H323Packet, nat: HelperNat, taddr: Decoded | null, port: number, rtpPort: number, rtp: Expectation, rtcp: Expectation): number {
  const d = pk.data;
  const dir = pk.dir;
  const svc = pk.svc;
  const now = pk.now;
  const back = dir === 0 ? 1 : 0;
  expectFollowMaster(rtp, nat, back, rtp.tuple.dport);
  expectFollowMaster(rtcp, nat, back, rtcp.tuple.dport);
  let i = 0;
  for (; i < RTP_CHANNEL_MAX; i++) {
    const ch = d.rtpPort[i]!;
    if (ch[dir] === rtpPort) {
      rtp.tuple.dport = ch[dir];
      rtcp.tuple.dport = (ch[dir] + 1) & 0xffff;
      break;
    }
    if (ch[dir] === 0) break;
  }
  if (i >= RTP_CHANNEL_MAX) return 0;
  let nated = rtp.tuple.dport;
  for (; nated !== 0; nated = (nated + 2) & 0xffff) {
    rtp.tuple.dport = nated;
    const r = svc.expect.related(rtp, now);
    if (r === 0) {
      rtcp.tuple.dport = (nated + 1) & 0xffff;
      const rc = svc.expect.related(rtcp, now);
      if (rc === 0) break;
      svc.expect.remove(rtp, now);
      if (rc === 'EBUSY') continue;
      nated = 0;
      break;
    }
    if (r !== 'EBUSY') {
      nated = 0;
      break;
    }
  }
  if (nated === 0) return 0;
  if (!setH245Addr(pk, taddr, pk.o.dst, port & 1 ? (nated + 1) & 0xffff : nated)) {
    svc.expect.remove(rtp, now);
    svc.expect.remove(rtcp, now);
    return -1;
  }
  const ch = d.rtpPort[i]!;
  ch[dir] = rtpPort;
  ch[back] = nated;
  return 0;
}

/** nat_t120: the T.120 expectation on a free port of the translated address. 0 or -1. */
export function natT120(pk: H323Packet, nat: HelperNat, taddr: Decoded | null, port: number, exp: Expectation): number {
  expectFollowMaster(exp, nat, pk.dir === 0 ? 1 : 0, exp.tuple.dport);
  const nated = findPort(exp, port, pk.svc, pk.now);
  if (nated === 0) return 0;
  if (!setH245Addr(pk, taddr, pk.o.dst, nated)) {
    pk.svc.expect.remove(exp, pk.now);
    return -1;
  }
  return 0;
}

/** nat_h245: the H.245 expectation on the remembered or a free port of the translated address. 0 or -1. */
export function natH245(pk: H323Packet, nat: HelperNat, taddr: Decoded | null, port: number, exp: Expectation): number {
  const d = pk.data;
  const dir = pk.dir;
  const back = dir === 0 ? 1 : 0;
  expectFollowMaster(exp, nat, back, exp.tuple.dport);
  let nated = port;
  if (d.sigPort[dir] === port) nated = d.sigPort[back];
  nated = findPort(exp, nated, pk.svc, pk.now);
  if (nated === 0) return 0;
  if (!setH225Addr(pk, taddr, pk.o.dst, nated)) {
    pk.svc.expect.remove(exp, pk.now);
    return -1;
  }
  d.sigPort[dir] = port;
  d.sigPort[back] = nated;
  return 0;
}

/** ip_nat_q931_expect: a call announced in an RRQ. */
function q931Expected(conn: Conn, exp: Expectation, nat: HelperNat, now: number): void {
  if (exp.tuple.src[0] !== 0) {
    nat.followMaster(conn, exp.dir, exp.savedProto, now);
    return;
  }
  const back = exp.dir === 0 ? 1 : 0;
  const range = new NatRange().single(conn.tuple(back).src);
  nat.setupInfo(conn, range, 0, now);
  range.single(conn.master!.tuple(back).src);
  specify(range, exp.savedProto);
  nat.setupInfo(conn, range, 1, now);
}

function specify(range: NatRange, port: number): void {
  range.flags |= NatFlag.PROTO_SPECIFIED;
  range.minProto = port;
  range.maxProto = port;
}

/** nat_q931: the RRQ's call signalling address moves to the translated address and a free port. 0 or -1. */
export function natQ931(pk: H323Packet, nat: HelperNat, taddrs: readonly Decoded[], idx: number, port: number, exp: Expectation): number {
  const d = pk.data;
  const dir = pk.dir;
  const back = dir === 0 ? 1 : 0;
  exp.savedProto = exp.tuple.dport;
  exp.dir = back;
  exp.expectFn = (c, e, t) => q931Expected(c, e, nat, t);
  let nated = port;
  if (d.sigPort[dir] === port) nated = d.sigPort[back];
  nated = findPort(exp, nated, pk.svc, pk.now);
  if (nated === 0) return 0;
  if (!setH225Addr(pk, taddrs[idx]!, pk.o.dst, nated)) {
    pk.svc.expect.remove(exp, pk.now);
    return -1;
  }
  d.sigPort[dir] = port;
  d.sigPort[back] = nated;
  if (idx > 0 && h225Addr(pk, taddrs[0]!, tmp0) && isLoopback(tmp0.addr)) {
    if (!setH225Addr(pk, taddrs[0]!, pk.o.dst, d.sigPort[back])) {
      pk.svc.expect.remove(exp, pk.now);
      return -1;
    }
  }
  return 0;
}

/** ip_nat_callforwarding_expect: the forwarded call goes to the address the Facility named. */
function callforwardingExpected(conn: Conn, exp: Expectation, nat: HelperNat, now: number): void {
  const range = new NatRange().single(conn.tuple(exp.dir === 0 ? 1 : 0).src);
  nat.setupInfo(conn, range, 0, now);
  range.single(exp.savedAddr);
  specify(range, exp.savedProto);
  nat.setupInfo(conn, range, 1, now);
}

/** nat_callforwarding: the forwarded call is expected at the router's address the other side uses. 0 or -1. */
export function natCallforwarding(pk: H323Packet, nat: HelperNat, taddr: Decoded | null, port: number, exp: Expectation): number {
  exp.savedAddr.set(exp.tuple.dst);
  exp.tuple.dst[0] = pk.o.dst[0]!;
  exp.savedProto = exp.tuple.dport;
  exp.dir = pk.dir === 0 ? 1 : 0;
  exp.expectFn = (c, e, t) => callforwardingExpected(c, e, nat, t);
  const nated = findPort(exp, port, pk.svc, pk.now);
  if (nated === 0) return 0;
  if (!setH225Addr(pk, taddr, pk.o.dst, nated)) {
    pk.svc.expect.remove(exp, pk.now);
    return -1;
  }
  return 0;
}
