/**
 * The PPTP helper (the kernel's nf_conntrack_pptp.c, with nf_nat_pptp.c for NATed connections):
 * the GRE data channel of a PPTP control connection (TCP, the PNS = client to the PAC = server).
 *
 * Control messages (after the 8-byte PPTP header with type 1 and the magic cookie, and the
 * 4-byte control header; messages shorter than their structure are ignored) drive a session
 * state (start request / reply, stop request / reply) and a call state (outgoing call request /
 * reply, incoming call request / reply / connected, clear request, disconnect notify). When a
 * call is set up (an outgoing call reply with result 1, or an incoming call connected), two GRE
 * expectations are registered (class 0, at most two, five minutes): PNS to PAC with the PNS's
 * call id as source key and the PAC's as destination key, and the reverse; and the GRE key map
 * learns both flows so that GRE packets get their source key. When one of them is used the other
 * is withdrawn. A disconnect notify, and the end of the control connection, kill the call's GRE
 * connections (or withdraw its expectations) and clear the key map.
 *
 * With NAT the PNS's call id is replaced by the control connection's translated source port in
 * outgoing messages (and restored in the PAC's answers), the expectations carry the translated
 * keys, and the GRE connections are mapped like the control connection.
 *
 * (The kernel's expectfn raises the GRE timeouts to 10 min / 5 h, but the GRE tracker resets
 * them to its defaults on the new connection's first packet right after: they stay the defaults.)
 */
import type { Conn } from '../conntrack/conn.js';
import type { Expectation, ExpectPolicy } from '../conntrack/expect.js';
import { invertTuple, Tuple } from '../conntrack/tuple.js';
import { CtStatus } from '../netfilter/context.js';
import { NatFlag, NatRange } from '../nat/range.js';
import { Proto } from '../packet/view.js';
import { natFor } from './nat-support.js';
import { mangleTcpPacket } from '../nat/helper.js';
import { tcpDataOff } from './payload.js';
import { CtInfo, type HelpCall, type HelperDef, type HelperNat, type HelperServices } from './types.js';
import { sameGreFlow } from '../conntrack/proto/gre.js';

const PACKET_CONTROL = 1;
const MAGIC_COOKIE = 0x1a2b3c4d;
const HDR_LEN = 8;
const CTL_HDR_LEN = 4;

const Msg = {
  START_SESSION_REQUEST: 1,
  START_SESSION_REPLY: 2,
  STOP_SESSION_REQUEST: 3,
  STOP_SESSION_REPLY: 4,
  ECHO_REQUEST: 5,
  ECHO_REPLY: 6,
  OUT_CALL_REQUEST: 7,
  OUT_CALL_REPLY: 8,
  IN_CALL_REQUEST: 9,
  IN_CALL_REPLY: 10,
  IN_CALL_CONNECT: 11,
  CALL_CLEAR_REQUEST: 12,
  CALL_DISCONNECT_NOTIFY: 13,
  WAN_ERROR_NOTIFY: 14,
  SET_LINK_INFO: 15,
} as const;

/** Structure sizes by message type (0: not checked). */
const MSG_SIZE = [0, 144, 144, 4, 4, 0, 0, 156, 20, 208, 12, 16, 4, 136, 28, 12];

/** enum pptp_ctrlsess_state. */
const Session = { NONE: 0, ERROR: 1, REQUESTED: 2, CONFIRMED: 3, STOPREQ: 4 } as const;
/** enum pptp_ctrlcall_state. */
const Call = { NONE: 0, ERROR: 1, OUT_REQ: 2, OUT_CONF: 3, IN_REQ: 4, IN_REP: 5, IN_CONF: 6, CLEAR_REQ: 7 } as const;

const START_OK = 1;
const STOP_OK = 1;
const OUTCALL_CONNECT = 1;
const INCALL_ACCEPT = 1;

/** Per-connection state (struct nf_ct_pptp_master, with NAT's struct nf_nat_pptp). */
export interface PptpData {
  sstate: number;
  cstate: number;
  pacCallId: number;
  pnsCallId: number;
  /** NAT: the PNS's and PAC's original call ids. */
  natPnsCallId: number;
  natPacCallId: number;
}

const POLICY: readonly ExpectPolicy[] = [{ maxExpected: 2, timeout: 5 * 60, name: null }];

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function help(call: HelpCall): boolean {
  if (call.ctinfo !== CtInfo.ESTABLISHED && call.ctinfo !== CtInfo.ESTABLISHED_REPLY) return true;
  const pkt = call.ctx.pkt;
  const hdr = tcpDataOff(pkt);
  if (hdr < 0 || hdr + HDR_LEN + CTL_HDR_LEN > pkt.ipEnd) return true;
  const b = pkt.buf;
  if (u16(b, hdr + 2) !== PACKET_CONTROL || u32(b, hdr + 4) !== MAGIC_COOKIE) return true;
  const req = hdr + HDR_LEN + CTL_HDR_LEN;
  const msg = u16(b, hdr + HDR_LEN);
  const reqLen = pkt.ipEnd - req;
  if (msg > 0 && msg < MSG_SIZE.length && reqLen < MSG_SIZE[msg]!) return true;
  return call.dir === 0 ? outbound(call, msg, b, req) : inbound(call, msg, b, req);
}

/** The connection's state (all zero when the helper never saw a packet of it, as the kernel's fresh extension). */
function data(conn: Conn): PptpData {
  return (conn.helperData as PptpData | null) ?? freshData();
}

function freshData(): PptpData {
  return { sstate: 0, cstate: 0, pacCallId: 0, pnsCallId: 0, natPnsCallId: 0, natPacCallId: 0 };
}

/** pptp_outbound_pkt: PNS to PAC. */
function outbound(call: HelpCall, msg: number, b: Uint8Array, req: number): boolean {
  const d = data(call.conn);
  switch (msg) {
    case Msg.START_SESSION_REQUEST:
      if (d.sstate !== Session.NONE) return true;
      d.sstate = Session.REQUESTED;
      break;
    case Msg.STOP_SESSION_REQUEST:
      d.sstate = Session.STOPREQ;
      break;
    case Msg.OUT_CALL_REQUEST:
      if (d.sstate !== Session.CONFIRMED) return true;
      d.cstate = Call.OUT_REQ;
      d.pnsCallId = u16(b, req);
      break;
    case Msg.IN_CALL_REPLY: {
      if (d.cstate !== Call.IN_REQ && d.cstate !== Call.IN_REP) return true;
      if (d.pacCallId !== u16(b, req + 2)) return true;
      if (b[req + 4] === INCALL_ACCEPT) {
        d.cstate = Call.IN_REP;
        d.pnsCallId = u16(b, req);
      } else {
        d.cstate = Call.NONE;
      }
      break;
    }
    case Msg.CALL_CLEAR_REQUEST:
      if (d.sstate !== Session.CONFIRMED) return true;
      d.cstate = Call.CLEAR_REQ;
      break;
    case Msg.SET_LINK_INFO:
    case Msg.ECHO_REQUEST:
    case Msg.ECHO_REPLY:
      break;
    default:
      return true;
  }
  return natFor(call.conn, call.svc) === null || natOutbound(call, msg);
}

/** pptp_inbound_pkt: PAC to PNS. */
function inbound(call: HelpCall, msg: number, b: Uint8Array, req: number): boolean {
  const conn = call.conn;
  const d = data(conn);
  switch (msg) {
    case Msg.START_SESSION_REPLY:
      if (d.sstate < Session.REQUESTED) return true;
      d.sstate = b[req + 2] === START_OK ? Session.CONFIRMED : Session.ERROR;
      break;
    case Msg.STOP_SESSION_REPLY:
      if (d.sstate > Session.STOPREQ) return true;
      d.sstate = b[req] === STOP_OK ? Session.NONE : Session.ERROR;
      break;
    case Msg.OUT_CALL_REPLY: {
      if (d.sstate !== Session.CONFIRMED) return true;
      if (d.cstate !== Call.OUT_REQ && d.cstate !== Call.OUT_CONF) return true;
      const cid = u16(b, req);
      const pcid = u16(b, req + 2);
      if (d.pnsCallId !== pcid) return true;
      if (b[req + 4] === OUTCALL_CONNECT) {
        d.cstate = Call.OUT_CONF;
        d.pacCallId = cid;
        expectGre(call, cid, pcid);
      } else {
        d.cstate = Call.NONE;
      }
      break;
    }
    case Msg.IN_CALL_REQUEST:
      if (d.sstate !== Session.CONFIRMED) return true;
      d.cstate = Call.IN_REQ;
      d.pacCallId = u16(b, req);
      break;
    case Msg.IN_CALL_CONNECT: {
      if (d.sstate !== Session.CONFIRMED) return true;
      if (d.cstate !== Call.IN_REP && d.cstate !== Call.IN_CONF) return true;
      const pcid = u16(b, req);
      if (d.pnsCallId !== pcid) return true;
      d.cstate = Call.IN_CONF;
      expectGre(call, d.pacCallId, pcid);
      break;
    }
    case Msg.CALL_DISCONNECT_NOTIFY:
      d.cstate = Call.NONE;
      destroySiblings(conn, call.svc, call.ctx.now);
      break;
    case Msg.WAN_ERROR_NOTIFY:
    case Msg.SET_LINK_INFO:
    case Msg.ECHO_REQUEST:
    case Msg.ECHO_REPLY:
      break;
    default:
      return true;
  }
  return natFor(conn, call.svc) === null || natInbound(call, msg);
}

// ------------------------------------------------------------------------------------------------
// GRE expectations and siblings

/** exp_gre: expect both GRE directions of the call and teach the key map. */
function expectGre(call: HelpCall, callId: number, peerCallId: number): void {
  const conn = call.conn;
  const svc = call.svc;
  const now = call.ctx.now;
  const o = conn.orig;
  const r = conn.reply;
  const expOrig = svc.expect.create(conn, 0, conn.family, o.src, o.dst, Proto.GRE, peerCallId, callId);
  const expReply = svc.expect.create(conn, 0, conn.family, r.src, r.dst, Proto.GRE, callId, peerCallId);
  expOrig.expectFn = (c, e, t) => expected(c, e, svc, t);
  expReply.expectFn = expOrig.expectFn;
  const nat = natFor(conn, svc);
  if (nat !== null) natExpectGre(conn, expOrig, expReply);
  if (svc.expect.related(expOrig, now) !== 0) return;
  if (svc.expect.related(expReply, now) !== 0) {
    svc.expect.remove(expOrig, now);
    return;
  }
  if (!keymapAdd(conn, svc, 0, expOrig.tuple)) {
    svc.expect.remove(expReply, now);
    svc.expect.remove(expOrig, now);
    return;
  }
  if (!keymapAdd(conn, svc, 1, expReply.tuple)) {
    svc.table.greKeymap.destroy(conn);
    svc.expect.remove(expReply, now);
    svc.expect.remove(expOrig, now);
  }
}

/** nf_ct_gre_keymap_add: one entry per direction; the same flow again is a retransmission. */
function keymapAdd(conn: Conn, svc: HelperServices, dir: 0 | 1, t: Tuple): boolean {
  const km = svc.table.greKeymap;
  const mine = km.entries().find((e) => e.master === conn && e.dir === dir);
  if (mine !== undefined) return sameGreFlow(mine.tuple, t);
  return km.add(conn, dir, t);
}

/** pptp_expectfn: a GRE connection of the call appeared; the other direction's expectation goes. */
function expected(conn: Conn, exp: Expectation, svc: HelperServices, now: number): void {
  const master = conn.master!;
  if (svc.nat !== null && master.status & (CtStatus.SRC_NAT | CtStatus.DST_NAT)) {
    natExpected(conn, exp, svc.nat, svc, now);
    return;
  }
  const inv = new Tuple();
  invertTuple(inv, exp.tuple);
  const other = svc.expect.find(inv, conn.zone, now);
  if (other !== null) svc.expect.remove(other, now);
}

/** destroy_sibling_or_exp: the call's GRE connection with tuple `t` dies, or its expectation goes. */
function destroySiblingOrExp(conn: Conn, svc: HelperServices, t: Tuple, now: number): void {
  const sibling = svc.table.get(t, conn.zone);
  if (sibling !== null) {
    svc.table.delete(sibling, now);
    return;
  }
  const exp = svc.expect.find(t, conn.zone, now);
  if (exp !== null) svc.expect.remove(exp, now);
}

/** pptp_destroy_siblings: clear the key map and end both GRE directions of the call. */
function destroySiblings(conn: Conn, svc: HelperServices, now: number): void {
  const d = data(conn);
  svc.table.greKeymap.destroy(conn);
  const t = new Tuple().copyFrom(conn.orig);
  t.proto = Proto.GRE;
  t.sport = d.pnsCallId;
  t.dport = d.pacCallId;
  destroySiblingOrExp(conn, svc, t, now);
  t.copyFrom(conn.reply);
  t.proto = Proto.GRE;
  t.sport = d.pacCallId;
  t.dport = d.pnsCallId;
  destroySiblingOrExp(conn, svc, t, now);
}

// ------------------------------------------------------------------------------------------------
// NAT (nf_nat_pptp)

/** Rewrites the call id at `off` of the control request with `id`. */
function mangleCallId(call: HelpCall, off: number, id: number): boolean {
  const bytes = Uint8Array.of(id >>> 8, id & 0xff);
  return mangleTcpPacket(call.ctx, call.conn, HDR_LEN + CTL_HDR_LEN + off, 2, bytes);
}

/** pptp_outbound_pkt (NAT): the PNS's call id becomes the translated source port. */
function natOutbound(call: HelpCall, msg: number): boolean {
  const d = data(call.conn);
  switch (msg) {
    case Msg.OUT_CALL_REQUEST:
      d.natPnsCallId = d.pnsCallId;
      d.pnsCallId = call.conn.reply.dport;
      return mangleCallId(call, 0, d.pnsCallId);
    case Msg.IN_CALL_REPLY:
    case Msg.CALL_CLEAR_REQUEST:
      return mangleCallId(call, 0, d.pnsCallId);
    default:
      return true;
  }
}

/** Offset of the peer's call id the PAC's messages carry, or -1 for messages left alone. */
function inboundCallIdOffset(msg: number): number {
  switch (msg) {
    case Msg.OUT_CALL_REPLY:
      return 2;
    case Msg.IN_CALL_CONNECT:
    case Msg.WAN_ERROR_NOTIFY:
    case Msg.CALL_DISCONNECT_NOTIFY:
    case Msg.SET_LINK_INFO:
      return 0;
    default:
      return -1;
  }
}

/** pptp_inbound_pkt (NAT): the PNS's original call id is restored. */
function natInbound(call: HelpCall, msg: number): boolean {
  const off = inboundCallIdOffset(msg);
  return off < 0 || mangleCallId(call, off, data(call.conn).natPnsCallId);
}

/** pptp_exp_gre: the expectations carry the translated and original keys. */
function natExpectGre(conn: Conn, expOrig: Expectation, expReply: Expectation): void {
  const d = data(conn);
  d.natPacCallId = d.pacCallId;
  expOrig.savedProto = d.pnsCallId;
  expOrig.tuple.sport = d.natPnsCallId;
  expOrig.tuple.dport = d.pacCallId;
  expOrig.dir = 0;
  expReply.savedProto = d.natPnsCallId;
  expReply.tuple.sport = d.natPacCallId;
  expReply.tuple.dport = d.pnsCallId;
  expReply.dir = 1;
}

/** pptp_nat_expected: withdraw the other direction's expectation, map the GRE connection like the master. */
function natExpected(conn: Conn, exp: Expectation, nat: HelperNat, svc: HelperServices, now: number): void {
  const master = conn.master!;
  const d = data(master);
  const side = master.tuple(exp.dir === 0 ? 1 : 0);
  const t = new Tuple();
  t.family = 4;
  t.proto = Proto.GRE;
  t.src[0] = side.src[0]!;
  t.dst[0] = side.dst[0]!;
  t.sport = exp.dir === 0 ? d.pacCallId : d.natPnsCallId;
  t.dport = exp.dir === 0 ? d.pnsCallId : d.natPacCallId;
  const other = svc.expect.find(t, conn.zone, now);
  if (other !== null) svc.expect.remove(other, now);
  const range = new NatRange().single(side.dst);
  if (exp.dir === 0) specifyProto(range, exp.savedProto);
  nat.setupInfo(conn, range, 0, now);
  range.single(side.src);
  if (exp.dir === 1) specifyProto(range, exp.savedProto);
  nat.setupInfo(conn, range, 1, now);
}

function specifyProto(range: NatRange, key: number): void {
  range.flags |= NatFlag.PROTO_SPECIFIED;
  range.minProto = key;
  range.maxProto = key;
}

export const pptpHelper: HelperDef = {
  name: 'pptp',
  protos: [Proto.TCP],
  families: [4],
  policies: () => POLICY,
  createData: freshData,
  help,
  destroy: (conn, svc) => destroySiblings(conn, svc, svc.expect.lastTime),
};
