/**
 * The SIP helper's NAT half (the kernel's nf_nat_sip.c): for a NATed SIP connection the
 * addresses and ports in the messages are rewritten to the translated ones and the
 * expectations are moved to where the other side will send.
 *
 *  - every message: the Request-URI, the topmost Via (with its maddr=, received= and rport=
 *    parameters), every Contact, From and To are mapped: an address:port equal to this
 *    direction's source becomes the other direction's destination, and this direction's
 *    destination the other direction's source (the port saved from a Cisco phone's Via when
 *    there is one); replies to such a phone also go to that port;
 *  - SDP: media ports are registered on the translated address (consecutive even/odd pairs,
 *    moving by two while taken) and rewritten; media, session and owner addresses are rewritten;
 *    Content-Length is recomputed after every change;
 *  - REGISTER: the signalling expectation moves to the translated address and a free port;
 *  - over TCP the total length change of a segment is recorded once for sequence adjustment;
 *  - the connection an expectation creates is mapped back to the saved address and port, and
 *    its source like the paired expectation's (media) or like its master.
 *
 * SipCtx holds the packet and the message being processed: rewriting moves the packet to a new
 * buffer and changes the message's length, which the context follows.
 */
import type { Conn } from '../conntrack/conn.js';
import type { Expectation } from '../conntrack/expect.js';
import { mangleTcpPacket, mangleUdpPacket } from '../nat/helper.js';
import { NatFlag, NatRange } from '../nat/range.js';
import { seqAdjSet } from '../nat/seqadj.js';
import { put16 } from '../packet/checksum.js';
import { Proto } from '../packet/view.js';
import { findPort } from './nat-support.js';
import {
  getHeader,
  getSdpHeader,
  parseAddressParam,
  parseHeaderUri,
  parseNumericalParam,
  parseRequest,
  SdpHdr,
  SipHdr,
  SipMsg,
  type InHeader,
  type Match,
  type UriAddr,
} from './sip-parse.js';
import { ascii, dotted } from './text.js';
import type { HelpCall, HelperNat, HelperServices } from './types.js';

/** enum sip_expectation_classes. */
export const SipClass = { SIGNALLING: 0, AUDIO: 1, VIDEO: 2, IMAGE: 3 } as const;

/** Per-connection state (struct nf_ct_sip_master). */
export interface SipData {
  registerCseq: number;
  inviteCseq: number;
  /** Port a Cisco phone's Via names for the responses (0: none). */
  forcedDport: number;
}

/** The packet being processed and the SIP message within it. */
export class SipCtx {
  call!: HelpCall;
  readonly msg = new SipMsg();
  /** Offsets from the start of the datagram: the transport payload, the current message. */
  payloadRel = 0;
  dataRel = 0;

  /** Starts on the call's packet; the payload begins at absolute offset `payloadOff`. */
  bind(call: HelpCall, payloadOff: number): void {
    const pkt = call.ctx.pkt;
    this.call = call;
    this.payloadRel = payloadOff - pkt.l3Off;
    this.msg.family = call.conn.family;
    this.setMessage(this.payloadRel, pkt.ipEnd - payloadOff);
  }

  /** The message starting `dataRel` bytes into the datagram, `len` bytes long. */
  setMessage(dataRel: number, len: number): void {
    this.dataRel = dataRel;
    this.msg.len = len;
    this.refresh();
  }

  /** Follows the packet after a rewrite. */
  refresh(): void {
    const pkt = this.call.ctx.pkt;
    this.msg.buf = pkt.buf;
    this.msg.base = pkt.l3Off + this.dataRel;
    this.msg.end = pkt.ipEnd;
  }

  get conn(): Conn {
    return this.call.conn;
  }

  get dir(): 0 | 1 {
    return this.call.dir;
  }

  get data(): SipData {
    return this.call.conn.helperData as SipData;
  }
}

function sameAddr(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** %pI4, or %pI6c (in brackets with `delim`). */
function addrText(family: 4 | 6, a: ArrayLike<number>, delim: boolean): string {
  if (family === 4) return dotted(a[0]!);
  return delim ? `[${pI6c(a)}]` : pI6c(a);
}

function addrPortText(family: 4 | 6, a: ArrayLike<number>, port: number): string {
  return family === 4 ? `${dotted(a[0]!)}:${port}` : `[${pI6c(a)}]:${port}`;
}

/**
 * The kernel's %pI6c (ip6_compressed_string): the longest run of two or more zero groups
 * compressed (the first of equal runs), and the last 32 bits dotted only for IPv4-mapped
 * (::ffff:a.b.c.d) and ISATAP (…:0:5efe:a.b.c.d, …:200:5efe:a.b.c.d) addresses; unlike
 * inet_ntop, an IPv4-compatible ::a.b.c.d stays in hex (::102:304).
 */
export function pI6c(w: ArrayLike<number>): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push((w[i]! >>> 16) & 0xffff, w[i]! & 0xffff);
  const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  const isatap = (g[4] === 0 || g[4] === 0x200) && g[5] === 0x5efe;
  const useV4 = mapped || isatap;
  const range = useV4 ? 6 : 8;
  let longest = 1;
  let colon = -1;
  for (let i = 0; i < range; i++) {
    let n = 0;
    for (let j = i; j < range && g[j] === 0; j++) n++;
    if (n > longest) {
      longest = n;
      colon = i;
    }
  }
  let out = '';
  let needColon = false;
  for (let i = 0; i < range; i++) {
    if (i === colon) {
      out += needColon || i === 0 ? '::' : ':';
      needColon = false;
      i += longest - 1;
      continue;
    }
    if (needColon) out += ':';
    out += g[i]!.toString(16);
    needColon = true;
  }
  if (useV4) out += `${needColon ? ':' : ''}${dotted(w[3]! >>> 0)}`;
  return out;
}

/**
 * mangle_packet: message bytes [off, off + len) become `text` (TCP without sequence adjustment:
 * the segment's total change is recorded at the end). False where the kernel fails.
 */
export function mangle(sc: SipCtx, off: number, len: number, text: string): boolean {
  const call = sc.call;
  const rel = sc.dataRel + off - sc.payloadRel;
  const rep = ascii(text);
  const ok = sc.conn.protoNum === Proto.TCP ? mangleTcpPacket(call.ctx, sc.conn, rel, len, rep, false) : mangleUdpPacket(call.ctx, rel, len, rep);
  if (!ok) return false;
  sc.msg.len += rep.length - len;
  sc.refresh();
  return true;
}

/** map_addr: an address:port of this connection becomes its translated counterpart. */
function mapAddr(sc: SipCtx, off: number, len: number, addr: ArrayLike<number>, port: number): boolean {
  const conn = sc.conn;
  const t = conn.tuple(sc.dir);
  const o = conn.tuple(sc.dir === 0 ? 1 : 0);
  let newAddr: ArrayLike<number>;
  let newPort: number;
  if (sameAddr(t.src, addr) && t.sport === port) {
    newAddr = o.dst;
    newPort = o.dport;
  } else if (sameAddr(t.dst, addr) && t.dport === port) {
    newAddr = o.src;
    newPort = sc.data.forcedDport !== 0 ? sc.data.forcedDport : o.sport;
  } else {
    return true;
  }
  if (sameAddr(newAddr, addr) && newPort === port) return true;
  return mangle(sc, off, len, addrPortText(conn.family, newAddr, newPort));
}

const uri: UriAddr = { addr: new Uint32Array(4), port: 0 };
const match: Match = { off: 0, len: 0 };
const param: Match = { off: 0, len: 0 };
const paramAddr = new Uint32Array(4);

/** map_sip_addr: the URI of a From / To header. */
function mapSipAddr(sc: SipCtx, type: SipHdr): boolean {
  if (parseHeaderUri(sc.msg, null, type, null, match, uri) <= 0) return true;
  return mapAddr(sc, match.off, match.len, uri.addr, uri.port);
}

/** nf_nat_sip: the message's addresses. False: drop. */
export function natMessage(sc: SipCtx): boolean {
  const m = sc.msg;
  const conn = sc.conn;
  const dir = sc.dir;
  const t = conn.tuple(dir);
  const o = conn.tuple(dir === 0 ? 1 : 0);
  const request = !m.ci(0, 'SIP/2.0', 7);
  if (request && parseRequest(m, match, uri) > 0 && !mapAddr(sc, match.off, match.len, uri.addr, uri.port)) return false;
  const via = conn.protoNum === Proto.TCP ? SipHdr.VIA_TCP : SipHdr.VIA_UDP;
  if (parseHeaderUri(m, null, via, null, match, uri) > 0) {
    const mine = request ? sameAddr(uri.addr, t.src) && uri.port === t.sport : sameAddr(uri.addr, t.dst) && uri.port === t.dport;
    if (mine && !natVia(sc, t, o)) return false;
  }
  const coff = { v: 0 };
  const inHeader: InHeader = { v: false };
  while (parseHeaderUri(m, coff, SipHdr.CONTACT, inHeader, match, uri) > 0) {
    if (!mapAddr(sc, match.off, match.len, uri.addr, uri.port)) return false;
  }
  if (!mapSipAddr(sc, SipHdr.FROM) || !mapSipAddr(sc, SipHdr.TO)) return false;
  if (dir === 1 && sc.data.forcedDport !== 0) return forceReplyPort(sc);
  return true;
}

/** The topmost Via and its maddr= / received= / rport= parameters (`match` / `uri` hold the Via). */
function natVia(sc: SipCtx, t: Conn['orig'], o: Conn['orig']): boolean {
  const m = sc.msg;
  const family = sc.conn.family;
  const olen = m.len;
  if (!mapAddr(sc, match.off, match.len, uri.addr, uri.port)) return false;
  const matchEnd = match.off + match.len + m.len - olen;
  if (parseAddressParam(m, matchEnd, 'maddr=', param, paramAddr, true) && sameAddr(paramAddr, t.src) && !sameAddr(paramAddr, o.dst)) {
    if (!mangle(sc, param.off, param.len, addrText(family, o.dst, true))) return false;
  }
  if (parseAddressParam(m, matchEnd, 'received=', param, paramAddr, false) && sameAddr(paramAddr, t.dst) && !sameAddr(paramAddr, o.src)) {
    if (!mangle(sc, param.off, param.len, addrText(family, o.src, false))) return false;
  }
  const n = { v: 0 };
  if (parseNumericalParam(m, matchEnd, 'rport=', param, n) > 0 && (n.v & 0xffff) === t.dport && (n.v & 0xffff) !== o.sport) {
    if (!mangle(sc, param.off, param.len, String(o.sport))) return false;
  }
  return true;
}

/** Replies to a phone that asked for another port go to that port (UDP destination rewritten). */
function forceReplyPort(sc: SipCtx): boolean {
  if (sc.conn.protoNum !== Proto.UDP) {
    throw new Error('sip NAT: a forced reply port on a TCP connection (the kernel writes it into the TCP header as if it were UDP); not reproduced');
  }
  const pkt = sc.call.ctx.pkt;
  put16(pkt.buf, pkt.l4Off + 2, sc.data.forcedDport);
  if (!mangleUdpPacket(sc.call.ctx, 0, 0, new Uint8Array(0))) return false;
  sc.refresh();
  return true;
}

/** nf_nat_sip_seq_adjust: a TCP segment's total length change, recorded once. */
export function natSeqAdjust(sc: SipCtx, diff: number): void {
  if (sc.conn.protoNum !== Proto.TCP || diff === 0) return;
  seqAdjSet(sc.conn, sc.dir, sc.call.ctx.pkt.tcpSeq >>> 0, diff);
}

/** nf_nat_sip_expected: the expected connection goes to the saved address; its source is mapped like its pair or its master. */
export function natExpected(conn: Conn, exp: Expectation, nat: HelperNat, svc: HelperServices, now: number): void {
  const master = conn.master!;
  const range = new NatRange();
  range.single(exp.savedAddr);
  specify(range, exp.savedProto);
  nat.setupInfo(conn, range, 1, now);
  let snat = false;
  if (exp.cls !== SipClass.SIGNALLING) {
    for (const pair of svc.expect.of(master)) {
      const o = conn.orig;
      if (pair.tuple.family === conn.family && pair.tuple.proto === o.proto && sameAddr(o.src, pair.savedAddr) && o.sport === pair.savedProto) {
        range.single(pair.tuple.dst);
        specify(range, pair.tuple.dport);
        snat = true;
        break;
      }
    }
  }
  if (!snat && sameAddr(conn.orig.src, master.tuple(exp.dir).src)) {
    range.single(master.tuple(exp.dir === 0 ? 1 : 0).dst);
    snat = true;
  }
  if (snat) nat.setupInfo(conn, range, 0, now);
}

function specify(range: NatRange, port: number): void {
  range.flags |= NatFlag.PROTO_SPECIFIED;
  range.minProto = port;
  range.maxProto = port;
}

/** The address the other side will use (the kernel's "connection will come from reply"). */
function replyAddr(sc: SipCtx, fallback: ArrayLike<number>): ArrayLike<number> {
  const t = sc.conn.tuple(sc.dir);
  const o = sc.conn.tuple(sc.dir === 0 ? 1 : 0);
  return sameAddr(t.src, o.dst) ? fallback : o.dst;
}

/** Sets an expectation up to be created on the translated side (saved address / port, expectfn). */
function moveExpectation(sc: SipCtx, exp: Expectation, addr: ArrayLike<number>, nat: HelperNat): void {
  exp.savedAddr.set(exp.tuple.dst);
  for (let i = 0; i < 4; i++) exp.tuple.dst[i] = addr[i]!;
  exp.savedProto = exp.tuple.dport;
  exp.dir = sc.dir === 0 ? 1 : 0;
  const svc = sc.call.svc;
  exp.expectFn = (c, e, now) => natExpected(c, e, nat, svc, now);
}

/** nf_nat_sip_expect: the REGISTER's signalling expectation. False: drop. */
export function natExpect(sc: SipCtx, exp: Expectation, off: number, len: number, nat: HelperNat): boolean {
  const conn = sc.conn;
  const t = conn.tuple(sc.dir);
  const o = conn.tuple(sc.dir === 0 ? 1 : 0);
  const newAddr = Uint32Array.from(replyAddr(sc, exp.tuple.dst));
  const srcPort = sc.data.forcedDport !== 0 ? sc.data.forcedDport : t.sport;
  const wanted = exp.tuple.dport === srcPort ? o.dport : exp.tuple.dport;
  moveExpectation(sc, exp, newAddr, nat);
  const now = sc.call.ctx.now;
  const port = findPort(exp, wanted, sc.call.svc, now);
  if (port === 0) return false;
  if (!sameAddr(exp.tuple.dst, exp.savedAddr) || exp.tuple.dport !== exp.savedProto) {
    if (!mangle(sc, off, len, addrPortText(conn.family, newAddr, port))) {
      sc.call.svc.expect.remove(exp, now);
      return false;
    }
  }
  return true;
}

/** mangle_content_len: Content-Length becomes the length from "v=" to the message's end. */
function mangleContentLen(sc: SipCtx): boolean {
  const m = sc.msg;
  if (getSdpHeader(m, 0, SdpHdr.VERSION, SdpHdr.UNSPEC, match) <= 0) return false;
  const clen = m.len - match.off + 2;
  if (getHeader(m, 0, SipHdr.CONTENT_LENGTH, match) <= 0) return false;
  return mangle(sc, match.off, match.len, String(clen));
}

/** mangle_sdp_packet: the value of an SDP line; 'ENOENT' when there is none, 'EINVAL' on failure. */
function mangleSdp(sc: SipCtx, sdpoff: number, type: SdpHdr, term: SdpHdr, text: string): 0 | 'ENOENT' | 'EINVAL' {
  if (getSdpHeader(sc.msg, sdpoff, type, term, match) <= 0) return 'ENOENT';
  return mangle(sc, match.off, match.len, text) ? 0 : 'EINVAL';
}

/** nf_nat_sdp_addr: a media description's connection address. */
export function natSdpAddr(sc: SipCtx, off: number, type: SdpHdr, term: SdpHdr, addr: ArrayLike<number>): boolean {
  if (mangleSdp(sc, off, type, term, addrText(sc.conn.family, addr, false)) !== 0) return false;
  return mangleContentLen(sc);
}

/** nf_nat_sdp_port: a media port. */
export function natSdpPort(sc: SipCtx, off: number, len: number, port: number): boolean {
  if (!mangle(sc, off, len, String(port))) return false;
  return mangleContentLen(sc);
}

/** nf_nat_sdp_session: the session's owner and connection addresses. */
export function natSdpSession(sc: SipCtx, sdpoff: number, addr: ArrayLike<number>): boolean {
  const text = addrText(sc.conn.family, addr, false);
  if (mangleSdp(sc, sdpoff, SdpHdr.OWNER, SdpHdr.MEDIA, text) !== 0) return false;
  const r = mangleSdp(sc, sdpoff, SdpHdr.CONNECTION, SdpHdr.MEDIA, text);
  if (r === 'EINVAL') return false;
  return mangleContentLen(sc);
}

/**
 * nf_nat_sdp_media: register the RTP / RTCP pair on the translated address (the first free even
 * port from the announced one) and rewrite the port; `rtpAddr` becomes the translated address.
 */
export function natSdpMedia(sc: SipCtx, rtp: Expectation, rtcp: Expectation, off: number, len: number, rtpAddr: Uint32Array, nat: HelperNat): boolean {
  const svc = sc.call.svc;
  const now = sc.call.ctx.now;
  rtpAddr.set(Uint32Array.from(replyAddr(sc, rtp.tuple.dst)));
  moveExpectation(sc, rtp, rtpAddr, nat);
  moveExpectation(sc, rtcp, rtpAddr, nat);
  let port = rtp.tuple.dport;
  for (; port !== 0; port = (port + 2) & 0xffff) {
    rtp.tuple.dport = port;
    const r = svc.expect.related(rtp, now, true);
    if (r === 'EBUSY') continue;
    if (r !== 0) {
      port = 0;
      break;
    }
    rtcp.tuple.dport = (port + 1) & 0xffff;
    const rc = svc.expect.related(rtcp, now, true);
    if (rc === 0) break;
    svc.expect.remove(rtp, now);
    if (rc !== 'EBUSY') {
      port = 0;
      break;
    }
  }
  if (port === 0) return false;
  if (rtp.tuple.dport !== rtp.savedProto && !natSdpPort(sc, off, len, port)) {
    svc.expect.remove(rtp, now);
    svc.expect.remove(rtcp, now);
    return false;
  }
  return true;
}
