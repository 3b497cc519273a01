/**
 * The SIP helper (the kernel's nf_conntrack_sip.c; NAT in sip-nat.ts, parsing in sip-parse.ts),
 * over UDP (every packet) and TCP (established connections; each segment may hold several
 * messages, delimited by Content-Length).
 *
 * Every packet with data extends the connection's timeout to sip_timeout (3600 s). Messages of
 * at least 11 bytes are read:
 *
 *  - requests ("METHOD sip:..."): a Via naming this side's address with another port is
 *    remembered (Cisco phones); then by method, with the CSeq header required (drop otherwise):
 *    INVITE flushes the media expectations and processes the SDP body (its CSeq kept when that
 *    works), UPDATE / ACK / PRACK process the SDP, BYE flushes the media expectations, REGISTER
 *    (not on an expected connection) expects incoming calls: a PERMANENT, INACTIVE signalling
 *    expectation from the registrar (sip_direct_signalling) to the Contact's address and port,
 *    with the sip helper for the new connection, unless the registration is for another host or
 *    expires is 0;
 *  - responses ("SIP/2.0 code"): by the method of their CSeq: to INVITE / UPDATE / PRACK, a 1xx
 *    or 2xx processes the SDP, anything else flushes the media expectations (same CSeq as the
 *    INVITE); to REGISTER (same CSeq as the request), a 2xx activates and refreshes the
 *    signalling expectation for a Contact of this host, anything else from 300 up removes it;
 *  - SDP: for each "m=audio|video|image <port>" line (up to three with a port), RTP (even port)
 *    and RTCP (port + 1) expectations of that class from the other signalling end
 *    (sip_direct_media: only for media addresses of this side) to the media address (the m=
 *    section's c= line, else the session's); a media port out of 1024..65535 drops the packet.
 *
 * Expectation classes (max / timeout): signalling 1 / 180 s, audio 4, video 4, image 2, 180 s.
 */
import type { ExpectPolicy } from '../conntrack/expect.js';
import { ExpectFlag } from '../conntrack/expect.js';
import { Tuple } from '../conntrack/tuple.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { natFor } from './nat-support.js';
import { tcpDataOff, udpDataOff } from './payload.js';
import {
  natExpect,
  natMessage,
  natSdpAddr,
  natSdpMedia,
  natSdpPort,
  natSdpSession,
  natSeqAdjust,
  SipClass,
  SipCtx,
  type SipData,
} from './sip-nat.js';
import {
  getHeader,
  getSdpHeader,
  isAlpha,
  parseHeaderUri,
  parseNumericalParam,
  parseSdpAddr,
  parseTransport,
  SdpHdr,
  SipHdr,
  strtoulEnd,
  strtoulMsg,
  type InHeader,
  type Match,
  type UriAddr,
} from './sip-parse.js';
import { CtInfo, type HelperOptions, type HelpCall, type HelperDef } from './types.js';

/** strlen("SIP/2.0 200"): shorter messages are not looked at. */
const MIN_LEN = 11;

const ACCEPT = true;
const DROP = false;

const sc = new SipCtx();
const match: Match = { off: 0, len: 0 };
const uri: UriAddr = { addr: new Uint32Array(4), port: 0 };

function sameAddr(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** nf_ct_refresh to sip_timeout (not for entries with a fixed timeout). */
function refresh(call: HelpCall): void {
  const conn = call.conn;
  if (!(conn.status & CtStatus.FIXED_TIMEOUT)) call.svc.table.setTimeout(conn, call.svc.options.sipTimeout, call.ctx.now);
}

function help(call: HelpCall): boolean {
  return call.conn.protoNum === Proto.TCP ? helpTcp(call) : helpUdp(call);
}

/** sip_help_udp: one message per datagram. */
function helpUdp(call: HelpCall): boolean {
  const pkt = call.ctx.pkt;
  const off = udpDataOff(pkt);
  if (off < 0 || off >= pkt.ipEnd) return ACCEPT;
  refresh(call);
  if (pkt.ipEnd - off < MIN_LEN) return ACCEPT;
  sc.bind(call, off);
  return processMessage();
}

/** sip_help_tcp: the messages of a segment, each Content-Length bytes after its blank line. */
function helpTcp(call: HelpCall): boolean {
  if (call.ctinfo !== CtInfo.ESTABLISHED && call.ctinfo !== CtInfo.ESTABLISHED_REPLY) return ACCEPT;
  const pkt = call.ctx.pkt;
  const off = tcpDataOff(pkt);
  if (off < 0) return ACCEPT;
  refresh(call);
  if (pkt.ipEnd - off < MIN_LEN) return ACCEPT;
  sc.bind(call, off);
  let ret = ACCEPT;
  let tdiff = 0;
  let datalen = sc.msg.len;
  for (;;) {
    sc.setMessage(sc.dataRel, datalen);
    const m = sc.msg;
    if (getHeader(m, 0, SipHdr.CONTENT_LENGTH, match) <= 0) break;
    const clen = strtoulMsg(m, match.off, 10);
    let end = strtoulEnd();
    if (end === match.off) break;
    while (end + 4 <= datalen && !(m.at(end) === 0x0d && m.at(end + 1) === 0x0a && m.at(end + 2) === 0x0d && m.at(end + 3) === 0x0a)) end++;
    if (end + 4 > datalen) break;
    const msglen = end + 4 + clen;
    if (msglen > datalen) return ACCEPT;
    sc.setMessage(sc.dataRel, msglen);
    ret = processMessage();
    if (ret !== ACCEPT) break;
    const diff = ((sc.msg.len - msglen) << 16) >> 16;
    tdiff = ((tdiff + diff) << 16) >> 16;
    const next = sc.dataRel + sc.msg.len;
    datalen = datalen + diff - sc.msg.len;
    sc.dataRel = next;
  }
  if (ret === ACCEPT && natFor(call.conn, call.svc) !== null) natSeqAdjust(sc, tdiff);
  return ret;
}

/** process_sip_msg: request or response, then NAT of the message's addresses. */
function processMessage(): boolean {
  const ret = sc.msg.ci(0, 'SIP/2.0 ') ? processResponse() : processRequest();
  if (ret === ACCEPT && natFor(sc.conn, sc.call.svc) !== null) return natMessage(sc);
  return ret;
}

type RequestHandler = (cseq: number) => boolean;
type ResponseHandler = (cseq: number, code: number) => boolean;

interface Handler {
  method: string;
  request: RequestHandler | null;
  response: ResponseHandler | null;
}

const HANDLERS: readonly Handler[] = [
  { method: 'INVITE', request: inviteRequest, response: sdpResponse },
  { method: 'UPDATE', request: processSdp, response: sdpResponse },
  { method: 'ACK', request: processSdp, response: null },
  { method: 'PRACK', request: processSdp, response: sdpResponse },
  { method: 'BYE', request: byeRequest, response: null },
  { method: 'REGISTER', request: registerRequest, response: registerResponse },
];

/** The CSeq number, or -1 (drop) when there is none or it does not parse. */
function cseqOf(): number {
  const m = sc.msg;
  if (getHeader(m, 0, SipHdr.CSEQ, match) <= 0) return -1;
  const cseq = strtoulMsg(m, match.off, 10);
  if (cseq === 0 && m.at(match.off) !== 0x30) return -1;
  return cseq;
}

/** process_sip_request. */
function processRequest(): boolean {
  const m = sc.msg;
  const t = sc.conn.tuple(sc.dir);
  if (parseHeaderUri(m, null, SipHdr.VIA_UDP, null, match, uri) > 0 && uri.port !== t.sport && sameAddr(uri.addr, t.src)) {
    sc.data.forcedDport = uri.port;
  }
  for (const h of HANDLERS) {
    if (h.request === null) continue;
    const n = h.method.length;
    if (m.len < n + 2 || !m.ci(0, h.method)) continue;
    if (m.at(n) !== 0x20 || !isAlpha(m.at(n + 1))) continue;
    const cseq = cseqOf();
    if (cseq < 0) return DROP;
    return h.request(cseq);
  }
  return ACCEPT;
}

/** process_sip_response. */
function processResponse(): boolean {
  const m = sc.msg;
  if (m.len < MIN_LEN) return ACCEPT;
  const code = strtoulMsg(m, 8, 10);
  if (code === 0) return DROP;
  const cseq = cseqOf();
  if (cseq < 0) return DROP;
  const matchEnd = match.off + match.len + 1;
  for (const h of HANDLERS) {
    if (h.response === null) continue;
    if (m.len < matchEnd + h.method.length || !m.ci(matchEnd, h.method)) continue;
    return h.response(cseq, code);
  }
  return ACCEPT;
}

// ------------------------------------------------------------------------------------------------
// requests and responses

/** process_invite_request. */
function inviteRequest(cseq: number): boolean {
  flushExpectations(true);
  const ret = processSdp(cseq);
  if (ret === ACCEPT) sc.data.inviteCseq = cseq;
  return ret;
}

function byeRequest(): boolean {
  flushExpectations(true);
  return ACCEPT;
}

/** process_invite_response / process_update_response / process_prack_response. */
function sdpResponse(cseq: number, code: number): boolean {
  if (code >= 100 && code <= 299) return processSdp(cseq);
  if (sc.data.inviteCseq === cseq) flushExpectations(true);
  return ACCEPT;
}

/** flush_expectations: the media expectations, or the (first) signalling one. */
function flushExpectations(media: boolean): void {
  const svc = sc.call.svc;
  for (const exp of [...svc.expect.of(sc.conn)]) {
    if ((exp.cls !== SipClass.SIGNALLING) !== media) continue;
    if (!svc.expect.remove(exp, sc.call.ctx.now)) continue;
    if (!media) break;
  }
}

/** process_register_request. */
function registerRequest(cseq: number): boolean {
  const conn = sc.conn;
  const m = sc.msg;
  const svc = sc.call.svc;
  if (conn.status & CtStatus.EXPECTED) return ACCEPT;
  const expires = { v: 0 };
  if (getHeader(m, 0, SipHdr.EXPIRES, match) > 0) expires.v = strtoulMsg(m, match.off, 10);
  const r = parseHeaderUri(m, null, SipHdr.CONTACT, null, match, uri);
  if (r < 0) return DROP;
  if (r === 0) return ACCEPT;
  if (!sameAddr(conn.tuple(sc.dir).src, uri.addr)) return ACCEPT;
  const after = match.off + match.len;
  const proto = parseTransport(m, after, conn.protoNum);
  if (proto === 0) return ACCEPT;
  if (parseNumericalParam(m, after, 'expires=', null, expires) < 0) return DROP;
  let ret = ACCEPT;
  if (expires.v !== 0) {
    const saddr = svc.options.sipDirectSignalling ? conn.tuple(sc.dir === 0 ? 1 : 0).src : null;
    const exp = svc.expect.create(conn, SipClass.SIGNALLING, conn.family, saddr, uri.addr, proto, null, uri.port);
    exp.childHelper = conn.helperName;
    exp.flags = ExpectFlag.PERMANENT | ExpectFlag.INACTIVE;
    const nat = natFor(conn, svc);
    if (nat !== null) ret = natExpect(sc, exp, match.off, match.len, nat);
    else ret = svc.expect.related(exp, sc.call.ctx.now) === 0;
  }
  if (ret === ACCEPT) sc.data.registerCseq = cseq;
  return ret;
}

/** process_register_response. */
function registerResponse(cseq: number, code: number): boolean {
  const m = sc.msg;
  const conn = sc.conn;
  if (sc.data.registerCseq !== cseq) return ACCEPT;
  if (code >= 100 && code <= 199) return ACCEPT;
  if (code >= 200 && code <= 299) {
    let expires = 0;
    if (getHeader(m, 0, SipHdr.EXPIRES, match) > 0) expires = strtoulMsg(m, match.off, 10);
    const coff = { v: 0 };
    const inContact: InHeader = { v: false };
    for (;;) {
      const c = { v: expires };
      const r = parseHeaderUri(m, coff, SipHdr.CONTACT, inContact, match, uri);
      if (r < 0) return DROP;
      if (r === 0) break;
      if (!sameAddr(conn.tuple(sc.dir).dst, uri.addr)) continue;
      const after = match.off + match.len;
      const proto = parseTransport(m, after, conn.protoNum);
      if (proto === 0) continue;
      if (parseNumericalParam(m, after, 'expires=', null, c) < 0) return DROP;
      if (c.v === 0) break;
      if (refreshSignalling(uri.addr, proto, uri.port, c.v)) return ACCEPT;
    }
  }
  flushExpectations(false);
  return ACCEPT;
}

/** refresh_signalling_expectation: activates the matching signalling expectation for `seconds`. */
function refreshSignalling(addr: ArrayLike<number>, proto: number, port: number, seconds: number): boolean {
  const svc = sc.call.svc;
  for (const exp of svc.expect.of(sc.conn)) {
    if (exp.cls !== SipClass.SIGNALLING || !sameAddr(exp.tuple.dst, addr) || exp.tuple.proto !== proto || exp.tuple.dport !== port) continue;
    if (svc.expect.setTimeout(exp, seconds, sc.call.ctx.now)) {
      exp.flags &= ~ExpectFlag.INACTIVE;
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------------------------------------
// SDP

interface MediaType {
  name: string;
  cls: number;
}

const MEDIA_TYPES: readonly MediaType[] = [
  { name: 'audio ', cls: SipClass.AUDIO },
  { name: 'video ', cls: SipClass.VIDEO },
  { name: 'image ', cls: SipClass.IMAGE },
];

function mediaType(off: number, len: number): MediaType | null {
  for (const t of MEDIA_TYPES) if (len >= t.name.length && sc.msg.cs(off, t.name)) return t;
  return null;
}

/** process_sdp: the media of a session description. */
function processSdp(_cseq: number): boolean {
  const m = sc.msg;
  const nat = natFor(sc.conn, sc.call.svc);
  if (getSdpHeader(m, 0, SdpHdr.VERSION, SdpHdr.UNSPEC, match) <= 0) return ACCEPT;
  const sdpoff = match.off;
  const caddr = new Uint32Array(4);
  const maddr = new Uint32Array(4);
  const rtpAddr = new Uint32Array(4);
  const haveCaddr = parseSdpAddr(m, sdpoff, SdpHdr.CONNECTION, SdpHdr.MEDIA, match, caddr) > 0;
  const media: Match = { off: sdpoff, len: 0 };
  for (let i = 0; i < MEDIA_TYPES.length; ) {
    if (getSdpHeader(m, media.off, SdpHdr.MEDIA, SdpHdr.UNSPEC, media) <= 0) break;
    const t = mediaType(media.off, media.len);
    if (t === null) {
      media.off += media.len;
      continue;
    }
    media.off += t.name.length;
    media.len -= t.name.length;
    const port = strtoulMsg(m, media.off, 10);
    if (port === 0) continue;
    if (port < 1024 || port > 65535) return DROP;
    const haveMaddr = parseSdpAddr(m, media.off, SdpHdr.CONNECTION, SdpHdr.MEDIA, match, maddr) > 0;
    if (haveMaddr) rtpAddr.set(maddr);
    else if (haveCaddr) rtpAddr.set(caddr);
    else return DROP;
    if (!expectRtpRtcp(rtpAddr, port, t.cls, media.off, media.len)) return DROP;
    if (haveMaddr && nat !== null && !natSdpAddr(sc, media.off, SdpHdr.CONNECTION, SdpHdr.MEDIA, rtpAddr)) return DROP;
    i++;
  }
  if (nat !== null) return natSdpSession(sc, sdpoff, rtpAddr);
  return ACCEPT;
}

/**
 * set_expected_rtp_rtcp: RTP and RTCP expectations of `cls` to `daddr` (in/out: NAT may move
 * it) and the even / odd ports from `port`; an equal expectation of another connection with the
 * sip helper is reused (with NAT, its direct address is taken once).
 */
function expectRtpRtcp(daddr: Uint32Array, port: number, cls: number, mediaOff: number, mediaLen: number): boolean {
  const conn = sc.conn;
  const svc = sc.call.svc;
  const now = sc.call.ctx.now;
  const dir = sc.dir;
  let saddr: ArrayLike<number> | null = null;
  if (svc.options.sipDirectMedia) {
    if (!sameAddr(daddr, conn.tuple(dir).src)) return ACCEPT;
    saddr = conn.tuple(dir === 0 ? 1 : 0).src;
  } else if (svc.options.sipExternalMedia) {
    throw new Error('sip helper: sip_external_media needs the route to the media address, which ctkit does not give helpers');
  }
  const nat = natFor(conn, svc);
  const tuple = new Tuple();
  tuple.family = conn.family;
  tuple.proto = Proto.UDP;
  if (saddr !== null) for (let i = 0; i < 4; i++) tuple.src[i] = saddr[i]!;
  tuple.dst.set(daddr);
  tuple.dport = port;
  let direct = false;
  let skip = false;
  while (!skip) {
    const exp = svc.expect.find(tuple, conn.zone, now);
    if (exp === null || exp.master === conn || exp.master.helperName !== conn.helperName || exp.cls !== cls) break;
    if (!direct && (!sameAddr(exp.savedAddr, exp.tuple.dst) || exp.savedProto !== exp.tuple.dport) && nat !== null) {
      daddr.set(exp.savedAddr);
      tuple.dst.set(exp.savedAddr);
      tuple.dport = exp.savedProto;
      direct = true;
    } else {
      skip = true;
    }
  }
  const base = tuple.dport & ~1;
  if (direct && !natSdpPort(sc, mediaOff, mediaLen, base)) return DROP;
  if (skip) return ACCEPT;
  const rtp = svc.expect.create(conn, cls, conn.family, saddr, daddr, Proto.UDP, null, base);
  const rtcp = svc.expect.create(conn, cls, conn.family, saddr, daddr, Proto.UDP, null, (base + 1) & 0xffff);
  if (nat !== null && !direct) return natSdpMedia(sc, rtp, rtcp, mediaOff, mediaLen, daddr, nat);
  const errp = svc.expect.related(rtp, now, true);
  if (errp !== 0 && errp !== 'EALREADY') return DROP;
  const errcp = svc.expect.related(rtcp, now, true);
  if (errcp === 0 || errcp === 'EALREADY') return ACCEPT;
  if (errp === 0) svc.expect.remove(rtp, now);
  return DROP;
}

const CLASS_TIMEOUT = 3 * 60;

export const sipHelper: HelperDef = {
  name: 'sip',
  protos: [Proto.UDP, Proto.TCP],
  families: [4, 6],
  policies: (_o: Readonly<Required<HelperOptions>>): readonly ExpectPolicy[] => [
    { maxExpected: 1, timeout: CLASS_TIMEOUT, name: 'signalling' },
    { maxExpected: 4, timeout: CLASS_TIMEOUT, name: 'audio' },
    { maxExpected: 4, timeout: CLASS_TIMEOUT, name: 'video' },
    { maxExpected: 2, timeout: CLASS_TIMEOUT, name: 'image' },
  ],
  createData: (): SipData => ({ registerCseq: 0, inviteCseq: 0, forcedDport: 0 }),
  help,
};
