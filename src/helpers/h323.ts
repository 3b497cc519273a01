/**
 * The H.323 helpers (the kernel's nf_conntrack_h323_main.c in 6.18; NAT in h323-nat.ts, the
 * PER decoder in h323-asn1.ts, the message tables in h323-types.ts):
 *
 *  - "RAS" (UDP; rules attach it, e.g. to port 1719): every datagram is a RAS message. An RRQ
 *    expects the endpoint's call signalling (Q.931, TCP) at its own address and port from the
 *    gatekeeper (gkrouted_only = 1; from anywhere with 0), PERMANENT, with the Q.931 helper, and
 *    remembers its time to live (default_rrq_ttl = 300 s when it has none); the RCF sets the RAS
 *    connection's timeout to that time to live (and the Q.931 expectation's, when one without a
 *    gatekeeper address matches); a URQ removes the connection's expectations and leaves it 30 s;
 *    an ACF naming another address than the ARQ's sender, and an LCF, expect a call to that
 *    address (PERMANENT, Q.931 helper); a GCF naming another RAS address expects RAS there;
 *  - "Q.931" (TCP, e.g. port 1720): the segment's TPKTs (RFC 1006: 3, 0, two-byte length; several
 *    per segment; a TPKT header sent alone announces the data of the next segment) each carry a
 *    Q.931 message whose User-user element is an H.225 H323-UserInformation. Setup, Call
 *    Proceeding, Connect, Alerting, Facility and Progress: an h245Address of the sender expects the
 *    H.245 connection (TCP, H.245 helper), fastStart OpenLogicalChannels expect RTP / RTCP, a
 *    Facility with reason callForwarded expects the forwarded call (Q.931 helper; with
 *    callforward_filter = Y only when the routes to the new address and to the caller differ in
 *    gateway or device); tunnelled H.245 (h245Control) messages are handled as below;
 *  - "H.245" (given by the expectation above to the H.245 connection; the kernel registers it for
 *    UDP, so that a rule can attach it only there): OpenLogicalChannel and OpenLogicalChannelAck
 *    with H.225.0 parameters expect UDP RTP at the even port and RTCP at the odd port of a media
 *    (control) channel address of the sender, from the other end; T.120 over a separate LAN stack
 *    expects TCP (PERMANENT).
 *
 * Only addresses of the sender itself (its address in this direction's tuple, port not 0) are
 * expected, from the other end of the connection. TCP messages are looked at once the
 * connection has seen both directions. A message that does not decode is ignored (with the rest
 * of its segment); an expectation that cannot be registered drops the packet. Classes and
 * policies: one class each; at most 32 (RAS), 20 (Q.931), 18 (H.245) pending per connection,
 * 240 s.
 */
import type { Expectation, ExpectPolicy } from '../conntrack/expect.js';
import { ExpectFlag } from '../conntrack/expect.js';
import { Tuple } from '../conntrack/tuple.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { decodeQ931, decodeRoot, H323Error, indexOf, optionBit, type Decoded, type Field } from './h323-asn1.js';
import { addrPort, freshData, h225Addr, h245Addr, has, H323Packet, items, sameAddr, sub, val, type H323Data } from './h323-common.js';
import { natCallforwarding, natH245, natQ931, natRtpRtcp, natT120, setH225Addr, setRasAddr, setSigAddr } from './h323-nat.js';
import {
  AdmissionRequest,
  CallProceeding_UUIE,
  Connect_UUIE,
  Alerting_UUIE,
  DataApplicationCapability_application,
  DataProtocolCapability,
  DataType,
  Facility_UUIE,
  FacilityReason,
  H2250LogicalChannelAckParameters,
  H2250_SEQ,
  H323_USER_INFORMATION,
  H323_UU_PDU,
  H323_UU_PDU_h323_message_body,
  MSCM_ROOT,
  MultimediaSystemControlMessage,
  NetworkAccessParameters_networkAddress,
  OLC_forward_multiplexParameters,
  OLC_reverse_multiplexParameters,
  OLC_reverseLogicalChannelParameters,
  OLCAck_reverse_multiplexParameters,
  OLCAck_reverseLogicalChannelParameters,
  OpenLogicalChannel,
  OpenLogicalChannelAck,
  Progress_UUIE,
  RAS_ROOT,
  RasMessage,
  RegistrationConfirm,
  RegistrationRequest,
  RequestMessage,
  ResponseMessage,
  Setup_UUIE,
} from './h323-types.js';
import { natFor } from './nat-support.js';
import { CtInfo, type HelpCall, type HelperDef, type HelperNat } from './types.js';

export type { H323Data } from './h323-common.js';

/** The kernel's CONFIG_HZ (the recording kernel's): timeouts a message gives are kept in jiffies. */
const HZ = 250;
/** H323_MAX_SIZE: the most payload bytes looked at. */
const MAX_SIZE = 65535;

const Q931_POLICY: readonly ExpectPolicy[] = [{ maxExpected: 4 * 4 + 4, timeout: 240, name: null }];
const H245_POLICY: readonly ExpectPolicy[] = [{ maxExpected: 4 * 4 + 2, timeout: 240, name: null }];
const RAS_POLICY: readonly ExpectPolicy[] = [{ maxExpected: 32, timeout: 240, name: null }];

// ------------------------------------------------------------------------------------------------
// Where things are in the decoded messages

const fieldsOf = (f: Field): readonly Field[] => f.fields ?? [];
const sonOf = (f: Field, name: string): Field => fieldsOf(f)[indexOf(fieldsOf(f), name)]!;

const MSCM_REQUEST = indexOf(MultimediaSystemControlMessage, 'request');
const MSCM_RESPONSE = indexOf(MultimediaSystemControlMessage, 'response');
const REQ_OLC = indexOf(RequestMessage, 'openLogicalChannel');
const RESP_OLCA = indexOf(ResponseMessage, 'openLogicalChannelAck');

const H2250_MEDIA = optionBit(H2250_SEQ, 'mediaChannel');
const H2250_MEDIA_CONTROL = optionBit(H2250_SEQ, 'mediaControlChannel');
const ACK_MEDIA = optionBit(H2250LogicalChannelAckParameters, 'mediaChannel');
const ACK_MEDIA_CONTROL = optionBit(H2250LogicalChannelAckParameters, 'mediaControlChannel');

const OLC_REVERSE = optionBit(OpenLogicalChannel, 'reverseLogicalChannelParameters');
const OLC_SEPARATE = optionBit(OpenLogicalChannel, 'separateStack');
const OLC_REV_MUX = optionBit(OLC_reverseLogicalChannelParameters, 'multiplexParameters');
const FWD_MUX_H2250 = indexOf(OLC_forward_multiplexParameters, 'h2250LogicalChannelParameters');
const REV_MUX_H2250 = indexOf(OLC_reverse_multiplexParameters, 'h2250LogicalChannelParameters');
const DATATYPE_DATA = indexOf(DataType, 'data');
const APP_T120 = indexOf(DataApplicationCapability_application, 't120');
const SEPARATE_LAN = indexOf(DataProtocolCapability, 'separateLANStack');
const LOCAL_AREA = indexOf(NetworkAccessParameters_networkAddress, 'localAreaAddress');

const OLCA_REVERSE = optionBit(OpenLogicalChannelAck, 'reverseLogicalChannelParameters');
const OLCA_SEPARATE = optionBit(OpenLogicalChannelAck, 'separateStack');
const OLCA_FWD_MUX_ACK = optionBit(OpenLogicalChannelAck, 'forwardMultiplexAckParameters');
const OLCA_REV_MUX = optionBit(OLCAck_reverseLogicalChannelParameters, 'multiplexParameters');
const OLCA_REV_MUX_H2250 = indexOf(OLCAck_reverse_multiplexParameters, 'h2250LogicalChannelParameters');
const FWD_MUX_ACK_H2250 = indexOf(fieldsOf(sonOf(OpenLogicalChannelAck, 'forwardMultiplexAckParameters')), 'h2250LogicalChannelAckParameters');

const BODY = {
  setup: indexOf(H323_UU_PDU_h323_message_body, 'setup'),
  callProceeding: indexOf(H323_UU_PDU_h323_message_body, 'callProceeding'),
  connect: indexOf(H323_UU_PDU_h323_message_body, 'connect'),
  alerting: indexOf(H323_UU_PDU_h323_message_body, 'alerting'),
  facility: indexOf(H323_UU_PDU_h323_message_body, 'facility'),
  progress: indexOf(H323_UU_PDU_h323_message_body, 'progress'),
};
const PDU_H245_CONTROL = optionBit(H323_UU_PDU, 'h245Control');
const SETUP_H245 = optionBit(Setup_UUIE, 'h245Address');
const SETUP_DEST_CSA = optionBit(Setup_UUIE, 'destCallSignalAddress');
const SETUP_SRC_CSA = optionBit(Setup_UUIE, 'sourceCallSignalAddress');
const SETUP_FAST = optionBit(Setup_UUIE, 'fastStart');
const FACILITY_ALT = optionBit(Facility_UUIE, 'alternativeAddress');
const FACILITY_FORWARDED = indexOf(FacilityReason, 'callForwarded');
/** The UUIEs that carry an h245Address and fastStart (Setup apart), with their option bits. */
const H245_FAST: ReadonlyMap<number, { uuie: string; h245: number; fast: number }> = new Map(
  (
    [
      ['callProceeding', CallProceeding_UUIE],
      ['connect', Connect_UUIE],
      ['alerting', Alerting_UUIE],
      ['facility', Facility_UUIE],
      ['progress', Progress_UUIE],
    ] as const
  ).map(([name, f]) => [BODY[name], { uuie: name, h245: optionBit(f, 'h245Address'), fast: optionBit(f, 'fastStart') }]),
);

const RAS = {
  grq: indexOf(RasMessage, 'gatekeeperRequest'),
  gcf: indexOf(RasMessage, 'gatekeeperConfirm'),
  rrq: indexOf(RasMessage, 'registrationRequest'),
  rcf: indexOf(RasMessage, 'registrationConfirm'),
  urq: indexOf(RasMessage, 'unregistrationRequest'),
  arq: indexOf(RasMessage, 'admissionRequest'),
  acf: indexOf(RasMessage, 'admissionConfirm'),
  lrq: indexOf(RasMessage, 'locationRequest'),
  lcf: indexOf(RasMessage, 'locationConfirm'),
  irr: indexOf(RasMessage, 'infoRequestResponse'),
};
const RRQ_TTL = optionBit(RegistrationRequest, 'timeToLive');
const RCF_TTL = optionBit(RegistrationConfirm, 'timeToLive');
const ARQ_DEST_CSA = optionBit(AdmissionRequest, 'destCallSignalAddress');
const ARQ_SRC_CSA = optionBit(AdmissionRequest, 'srcCallSignalAddress');

// ------------------------------------------------------------------------------------------------
// Shared steps

const pk = new H323Packet();
const addr = addrPort();
const addr2 = addrPort();

/** The NAT engine when the NAT halves apply: the hook is there and the connection is IPv4 and NATed. */
function natOf(): HelperNat | null {
  return pk.conn.family === 4 ? natFor(pk.conn, pk.svc) : null;
}

/** NAT for an address the sender announces: only when the sender itself is translated. */
function natOfSender(): HelperNat | null {
  return sameAddr(pk.t.src, pk.o.dst) ? null : natOf();
}

function newExpectation(saddr: ArrayLike<number> | null, daddr: ArrayLike<number>, proto: number, dport: number): Expectation {
  return pk.svc.expect.create(pk.conn, 0, pk.conn.family, saddr, daddr, proto, null, dport);
}

/** nf_ct_expect_related: 0 or -1. */
function related(exp: Expectation): number {
  return pk.svc.expect.related(exp, pk.now) === 0 ? 0 : -1;
}

/** nf_ct_refresh: the connection times out `jiffies` from now (unless its timeout is fixed). */
function refreshJiffies(jiffies: number): void {
  const conn = pk.conn;
  if (conn.status & CtStatus.FIXED_TIMEOUT) return;
  // ct->timeout is 32 bits of jiffies: 2^31 and more is already in the past.
  const seconds = jiffies >= 0x80000000 ? 0 : jiffies / HZ;
  pk.svc.table.setTimeout(conn, seconds, pk.now);
}

/** A time to live in seconds as the kernel turns it into jiffies (32-bit product). */
function ttlJiffies(ttl: number): number {
  return (ttl * HZ) % 0x100000000;
}

// ------------------------------------------------------------------------------------------------
// H.245: logical channels

/** expect_rtp_rtcp. */
function expectRtpRtcp(taddr: Decoded | null): number {
  if (!h245Addr(pk, taddr, addr) || !sameAddr(addr.addr, pk.t.src) || addr.port === 0) return 0;
  const port = addr.port;
  const rtpPort = port & 0xfffe;
  const rtcpPort = port | 1;
  const o = pk.o;
  const rtp = newExpectation(o.src, o.dst, Proto.UDP, rtpPort);
  const rtcp = newExpectation(o.src, o.dst, Proto.UDP, rtcpPort);
  const nat = natOfSender();
  if (nat !== null) return natRtpRtcp(pk, nat, taddr, port, rtpPort, rtp, rtcp);
  if (related(rtp) !== 0) return -1;
  if (related(rtcp) !== 0) {
    pk.svc.expect.remove(rtp, pk.now);
    return -1;
  }
  return 0;
}

/** expect_t120. */
function expectT120(taddr: Decoded | null): number {
  if (!h245Addr(pk, taddr, addr) || !sameAddr(addr.addr, pk.t.src) || addr.port === 0) return 0;
  const o = pk.o;
  const exp = newExpectation(o.src, o.dst, Proto.TCP, addr.port);
  exp.flags = ExpectFlag.PERMANENT;
  const nat = natOfSender();
  if (nat !== null) return natT120(pk, nat, taddr, addr.port, exp);
  return related(exp);
}

/** process_h245_channel. */
function h245Channel(channel: Decoded | null, mediaBit: number, controlBit: number): number {
  if (has(channel, mediaBit) && expectRtpRtcp(sub(channel, 'mediaChannel')) < 0) return -1;
  if (has(channel, controlBit) && expectRtpRtcp(sub(channel, 'mediaControlChannel')) < 0) return -1;
  return 0;
}

/** process_olc. */
function processOlc(olc: Decoded | null): number {
  const fwd = sub(olc, 'forwardLogicalChannelParameters');
  const fmux = sub(fwd, 'multiplexParameters');
  if (val(fmux, 'choice') === FWD_MUX_H2250 && h245Channel(sub(fmux, 'h2250LogicalChannelParameters'), H2250_MEDIA, H2250_MEDIA_CONTROL) < 0) return -1;
  const rev = sub(olc, 'reverseLogicalChannelParameters');
  const rmux = sub(rev, 'multiplexParameters');
  if (has(olc, OLC_REVERSE) && has(rev, OLC_REV_MUX) && val(rmux, 'choice') === REV_MUX_H2250) {
    if (h245Channel(sub(rmux, 'h2250LogicalChannelParameters'), H2250_MEDIA, H2250_MEDIA_CONTROL) < 0) return -1;
  }
  if (has(olc, OLC_SEPARATE)) {
    const dataType = sub(fwd, 'dataType');
    const app = sub(sub(dataType, 'data'), 'application');
    const network = sub(sub(olc, 'separateStack'), 'networkAddress');
    if (
      val(dataType, 'choice') === DATATYPE_DATA &&
      val(app, 'choice') === APP_T120 &&
      val(sub(app, 't120'), 'choice') === SEPARATE_LAN &&
      val(network, 'choice') === LOCAL_AREA &&
      expectT120(sub(network, 'localAreaAddress')) < 0
    ) {
      return -1;
    }
  }
  return 0;
}

/** process_olca. */
function processOlca(olca: Decoded | null): number {
  const rev = sub(olca, 'reverseLogicalChannelParameters');
  const rmux = sub(rev, 'multiplexParameters');
  if (has(olca, OLCA_REVERSE) && has(rev, OLCA_REV_MUX) && val(rmux, 'choice') === OLCA_REV_MUX_H2250) {
    if (h245Channel(sub(rmux, 'h2250LogicalChannelParameters'), H2250_MEDIA, H2250_MEDIA_CONTROL) < 0) return -1;
  }
  const fma = sub(olca, 'forwardMultiplexAckParameters');
  if (has(olca, OLCA_FWD_MUX_ACK) && val(fma, 'choice') === FWD_MUX_ACK_H2250) {
    if (h245Channel(sub(fma, 'h2250LogicalChannelAckParameters'), ACK_MEDIA, ACK_MEDIA_CONTROL) < 0) return -1;
  }
  const network = sub(sub(olca, 'separateStack'), 'networkAddress');
  if (has(olca, OLCA_SEPARATE) && val(network, 'choice') === LOCAL_AREA && expectT120(sub(network, 'localAreaAddress')) < 0) return -1;
  return 0;
}

/** process_h245: a MultimediaSystemControlMessage. */
function processH245(mscm: Decoded | null): number {
  const c = val(mscm, 'choice');
  if (c === MSCM_REQUEST) {
    const req = sub(mscm, 'request');
    if (val(req, 'choice') === REQ_OLC) return processOlc(sub(req, 'openLogicalChannel'));
  } else if (c === MSCM_RESPONSE) {
    const resp = sub(mscm, 'response');
    if (val(resp, 'choice') === RESP_OLCA) return processOlca(sub(resp, 'openLogicalChannelAck'));
  }
  return 0;
}

// ------------------------------------------------------------------------------------------------
// Q.931 / H.225 call signalling

/** expect_h245. */
function expectH245(taddr: Decoded | null): number {
  if (!h225Addr(pk, taddr, addr) || !sameAddr(addr.addr, pk.t.src) || addr.port === 0) return 0;
  const o = pk.o;
  const exp = newExpectation(o.src, o.dst, Proto.TCP, addr.port);
  exp.childHelper = h245Helper.name;
  const nat = natOfSender();
  if (nat !== null) return natH245(pk, nat, taddr, addr.port, exp);
  return related(exp);
}

/**
 * callforward_do_filter: whether the routes to `a` and `b` go through the same next hop and
 * device (the forwarded call would not cross the router).
 */
function sameSide(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const route = pk.svc.route;
  if (route === null) {
    throw new Error('H.323 helper: callforward_filter needs the host routes (HelperHost.route), and none were given');
  }
  const ra = route(pk.conn.family, a);
  if (ra === null) return false;
  const rb = route(pk.conn.family, b);
  if (rb === null) return false;
  return ra.dev === rb.dev && sameAddr(padded(ra.nexthop), padded(rb.nexthop));
}

function padded(a: ArrayLike<number>): number[] {
  return [a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0];
}

/** expect_callforwarding. */
function expectCallforwarding(taddr: Decoded | null): number {
  if (!h225Addr(pk, taddr, addr) || addr.port === 0) return 0;
  const o = pk.o;
  if (pk.svc.options.h323CallforwardFilter && sameSide(addr.addr, o.src)) return 0;
  const exp = newExpectation(o.src, addr.addr, Proto.TCP, addr.port);
  exp.childHelper = q931Helper.name;
  const nat = natOfSender();
  if (nat !== null) return natCallforwarding(pk, nat, taddr, addr.port, exp);
  return related(exp);
}

/** process_olc over a fastStart list. */
function fastStart(list: Decoded | null): number {
  for (const olc of items(list)) if (processOlc(olc) < 0) return -1;
  return 0;
}

/** process_setup. */
function processSetup(setup: Decoded | null): number {
  if (has(setup, SETUP_H245) && expectH245(sub(setup, 'h245Address')) < 0) return -1;
  const nat = natOf();
  const o = pk.o;
  if (has(setup, SETUP_DEST_CSA) && nat !== null) {
    const ta = sub(setup, 'destCallSignalAddress');
    if (h225Addr(pk, ta, addr2) && !sameAddr(addr2.addr, o.src) && !setH225Addr(pk, ta, o.src, o.sport)) return -1;
  }
  if (has(setup, SETUP_SRC_CSA) && nat !== null) {
    const ta = sub(setup, 'sourceCallSignalAddress');
    if (h225Addr(pk, ta, addr2) && !sameAddr(addr2.addr, o.dst) && !setH225Addr(pk, ta, o.dst, o.dport)) return -1;
  }
  if (has(setup, SETUP_FAST) && fastStart(sub(setup, 'fastStart')) < 0) return -1;
  return 0;
}

/** process_callproceeding / connect / alerting / facility / progress. */
function processUuie(uuie: Decoded | null, bits: { h245: number; fast: number }, facility: boolean): number {
  if (facility && val(sub(uuie, 'reason'), 'choice') === FACILITY_FORWARDED) {
    return has(uuie, FACILITY_ALT) ? expectCallforwarding(sub(uuie, 'alternativeAddress')) : 0;
  }
  if (has(uuie, bits.h245) && expectH245(sub(uuie, 'h245Address')) < 0) return -1;
  if (has(uuie, bits.fast) && fastStart(sub(uuie, 'fastStart')) < 0) return -1;
  return 0;
}

/** process_q931. */
function processQ931(uuie: Decoded): number {
  const pdu = sub(uuie, 'h323-uu-pdu');
  const body = sub(pdu, 'h323-message-body');
  const c = val(body, 'choice');
  let ret = 0;
  if (c === BODY.setup) {
    ret = processSetup(sub(body, 'setup'));
  } else {
    const bits = H245_FAST.get(c);
    if (bits !== undefined) ret = processUuie(sub(body, bits.uuie), bits, c === BODY.facility);
  }
  if (ret < 0) return -1;
  if (has(pdu, PDU_H245_CONTROL)) {
    for (const mscm of items(sub(pdu, 'h245Control'))) if (processH245(mscm) < 0) return -1;
  }
  return 0;
}

/**
 * get_tpkt_data: the next TPKT of the segment (`pk.dataOff` / `pk.dataLen`), or false. `first`
 * is the first call for the segment; the connection remembers a TPKT header that came alone.
 */
function nextTpkt(first: boolean): boolean {
  const pkt = pk.call.ctx.pkt;
  const d = pk.data;
  const dir = pk.dir;
  if (pkt.l4Off < 0 || pkt.l4Off + 20 > pkt.ipEnd) return false;
  const start = pk.payloadStart();
  let tcpLen = pkt.ipEnd - start;
  const clear = (): false => {
    d.tpktLen[dir] = 0;
    return false;
  };
  if (tcpLen <= 0) return clear();
  if (tcpLen > MAX_SIZE) tcpLen = MAX_SIZE;
  const b = pkt.buf;
  let tpkt: number;
  let tpktOff: number;
  if (first) {
    tpkt = start;
    if (tcpLen < 4 || b[tpkt] !== 0x03 || b[tpkt + 1] !== 0) {
      if (d.tpktLen[dir] > 0) {
        // The data a lone TPKT header announced.
        if (d.tpktLen[dir] <= tcpLen) {
          pk.dataOff = 0;
          pk.dataLen = d.tpktLen[dir];
          d.tpktLen[dir] = 0;
          return true;
        }
        return clear();
      }
      return false;
    }
    tpktOff = 0;
  } else {
    tpktOff = pk.dataOff + pk.dataLen;
    tcpLen -= tpktOff;
    if (tcpLen <= 4) return clear();
    tpkt = start + tpktOff;
    if (b[tpkt] !== 0x03 || b[tpkt + 1] !== 0) return clear();
  }
  const tpktLen = (b[tpkt + 2]! << 8) | b[tpkt + 3]!;
  if (tpktLen < 4) return clear();
  if (tpktLen > tcpLen) {
    if (tcpLen === 4) {
      d.tpktLen[dir] = tpktLen - 4;
      return false;
    }
    return clear();
  }
  pk.dataOff = tpktOff + 4;
  pk.dataLen = tpktLen - 4;
  d.tpktLen[dir] = 0;
  return true;
}

/** q931_help / h245_help: each TPKT's message, until one does not decode. */
function tpktHelp(call: HelpCall, message: (start: number, len: number) => number): boolean {
  if (call.ctinfo !== CtInfo.ESTABLISHED && call.ctinfo !== CtInfo.ESTABLISHED_REPLY) return true;
  pk.call = call;
  pk.tpkt = true;
  pk.dataOff = 0;
  pk.dataLen = 0;
  for (let first = true; nextTpkt(first); first = false) {
    const ret = message(pk.payloadStart() + pk.dataOff, pk.dataLen);
    if (ret === DECODE_ERROR) break;
    if (ret < 0) return false;
  }
  return true;
}

/** A message that did not decode (the loop stops, the packet passes). */
const DECODE_ERROR = -100;

function q931Message(start: number, len: number): number {
  const r = decodeQ931(H323_USER_INFORMATION, pk.call.ctx.pkt.buf, start, len);
  if (r.err < H323Error.NONE) return DECODE_ERROR;
  return processQ931(r.uuie);
}

function h245Message(start: number, len: number): number {
  const r = decodeRoot(MSCM_ROOT, pk.call.ctx.pkt.buf, start, start, start + len);
  if (r.err < H323Error.NONE) return DECODE_ERROR;
  return processH245(r.root);
}

// ------------------------------------------------------------------------------------------------
// RAS

/** expect_q931: the first call signalling address of the sender itself. */
function expectQ931(taddrs: readonly Decoded[]): number {
  let i = 0;
  for (; i < taddrs.length; i++) {
    if (h225Addr(pk, taddrs[i]!, addr) && sameAddr(addr.addr, pk.t.src) && addr.port !== 0) break;
  }
  if (i >= taddrs.length) return 0;
  const port = addr.port;
  const o = pk.o;
  const exp = newExpectation(pk.svc.options.h323GkroutedOnly ? o.src : null, o.dst, Proto.TCP, port);
  exp.childHelper = q931Helper.name;
  exp.flags = ExpectFlag.PERMANENT;
  const nat = natOf();
  if (nat !== null) return natQ931(pk, nat, taddrs, i, port, exp);
  if (related(exp) !== 0) return -1;
  pk.data.sigPort[pk.dir] = port;
  return 0;
}

/** find_expect: the connection's expectation (no source given) of a TCP connection to `a`:`port`. */
function findExpect(a: ArrayLike<number>, port: number): Expectation | null {
  const t = new Tuple();
  t.family = pk.conn.family;
  t.proto = Proto.TCP;
  t.dst.set(padded(a));
  t.dport = port;
  const exp = pk.svc.expect.find(t, pk.conn.zone, pk.now);
  return exp !== null && exp.master === pk.conn ? exp : null;
}

function processGrq(m: Decoded | null): number {
  return natOf() !== null ? setRasAddr(pk, [sub(m, 'rasAddress') ?? {}]) : 0;
}

function processGcf(m: Decoded | null): number {
  if (!h225Addr(pk, sub(m, 'rasAddress'), addr)) return 0;
  const t = pk.t;
  if (sameAddr(addr.addr, t.src) && addr.port === t.sport) return 0;
  if (pk.conn.status & CtStatus.EXPECTED) return 0;
  const exp = newExpectation(pk.o.src, addr.addr, Proto.UDP, addr.port);
  exp.childHelper = rasHelper.name;
  return related(exp);
}

function processRrq(m: Decoded | null): number {
  if (expectQ931(items(sub(m, 'callSignalAddress'))) < 0) return -1;
  if (natOf() !== null && setRasAddr(pk, items(sub(m, 'rasAddress'))) < 0) return -1;
  pk.data.timeout = has(m, RRQ_TTL) ? val(m, 'timeToLive') : pk.svc.options.h323DefaultRrqTtl;
  return 0;
}

function processRcf(m: Decoded | null): number {
  const d = pk.data;
  if (natOf() !== null && setSigAddr(pk, items(sub(m, 'callSignalAddress'))) < 0) return -1;
  if (has(m, RCF_TTL)) d.timeout = val(m, 'timeToLive');
  if (d.timeout > 0) {
    const jiffies = ttlJiffies(d.timeout);
    refreshJiffies(jiffies);
    const exp = findExpect(pk.t.dst, d.sigPort[pk.dir === 0 ? 1 : 0]);
    if (exp !== null) pk.svc.expect.setTimeout(exp, jiffies / HZ, pk.now);
  }
  return 0;
}

function processUrq(m: Decoded | null): number {
  const d = pk.data;
  if (natOf() !== null && setSigAddr(pk, items(sub(m, 'callSignalAddress'))) < 0) return -1;
  pk.svc.expect.removeFor(pk.conn, pk.now);
  d.sigPort[0] = 0;
  d.sigPort[1] = 0;
  refreshJiffies(30 * HZ);
  return 0;
}

function processArq(m: Decoded | null): number {
  const nat = natOf();
  if (pk.svc.nat === null) return 0;
  const d = pk.data;
  const dir = pk.dir;
  const t = pk.t;
  const o = pk.o;
  if (has(m, ARQ_DEST_CSA) && nat !== null) {
    const ta = sub(m, 'destCallSignalAddress');
    if (h225Addr(pk, ta, addr) && sameAddr(addr.addr, t.src) && addr.port === d.sigPort[dir]) {
      // answering ARQ
      return setH225Addr(pk, ta, o.dst, d.sigPort[dir === 0 ? 1 : 0]) ? 0 : -1;
    }
  }
  if (has(m, ARQ_SRC_CSA) && nat !== null) {
    const ta = sub(m, 'srcCallSignalAddress');
    if (h225Addr(pk, ta, addr) && sameAddr(addr.addr, t.src)) {
      // calling ARQ
      return setH225Addr(pk, ta, o.dst, addr.port) ? 0 : -1;
    }
  }
  return 0;
}

function processAcf(m: Decoded | null): number {
  const ta = sub(m, 'destCallSignalAddress');
  if (!h225Addr(pk, ta, addr)) return 0;
  if (sameAddr(addr.addr, pk.t.dst)) {
    // answering ACF
    return natOf() !== null ? setSigAddr(pk, [ta ?? {}]) : 0;
  }
  const exp = newExpectation(pk.o.src, addr.addr, Proto.TCP, addr.port);
  exp.flags = ExpectFlag.PERMANENT;
  exp.childHelper = q931Helper.name;
  return related(exp);
}

function processLrq(m: Decoded | null): number {
  return natOf() !== null ? setRasAddr(pk, [sub(m, 'replyAddress') ?? {}]) : 0;
}

function processLcf(m: Decoded | null): number {
  if (!h225Addr(pk, sub(m, 'callSignalAddress'), addr)) return 0;
  const exp = newExpectation(pk.o.src, addr.addr, Proto.TCP, addr.port);
  exp.flags = ExpectFlag.PERMANENT;
  exp.childHelper = q931Helper.name;
  return related(exp);
}

function processIrr(m: Decoded | null): number {
  if (natOf() === null) return 0;
  if (setRasAddr(pk, [sub(m, 'rasAddress') ?? {}]) < 0) return -1;
  return setSigAddr(pk, items(sub(m, 'callSignalAddress'))) < 0 ? -1 : 0;
}

const RAS_HANDLERS: ReadonlyMap<number, { name: string; fn: (m: Decoded | null) => number }> = new Map([
  [RAS.grq, { name: 'gatekeeperRequest', fn: processGrq }],
  [RAS.gcf, { name: 'gatekeeperConfirm', fn: processGcf }],
  [RAS.rrq, { name: 'registrationRequest', fn: processRrq }],
  [RAS.rcf, { name: 'registrationConfirm', fn: processRcf }],
  [RAS.urq, { name: 'unregistrationRequest', fn: processUrq }],
  [RAS.arq, { name: 'admissionRequest', fn: processArq }],
  [RAS.acf, { name: 'admissionConfirm', fn: processAcf }],
  [RAS.lrq, { name: 'locationRequest', fn: processLrq }],
  [RAS.lcf, { name: 'locationConfirm', fn: processLcf }],
  [RAS.irr, { name: 'infoRequestResponse', fn: processIrr }],
]);

/** ras_help: one RAS message per datagram, whatever the connection's state. */
function rasHelp(call: HelpCall): boolean {
  const pkt = call.ctx.pkt;
  if (pkt.l4Off < 0 || pkt.l4Off + 8 > pkt.ipEnd) return true;
  pk.call = call;
  pk.tpkt = false;
  pk.dataOff = 0;
  const start = pk.payloadStart();
  if (start >= pkt.ipEnd) return true;
  pk.dataLen = Math.min(pkt.ipEnd - start, MAX_SIZE);
  const r = decodeRoot(RAS_ROOT, pkt.buf, start, start, start + pk.dataLen);
  if (r.err < H323Error.NONE) return true;
  const h = RAS_HANDLERS.get(val(r.root, 'choice'));
  if (h === undefined) return true;
  return h.fn(sub(r.root, h.name)) >= 0;
}

// ------------------------------------------------------------------------------------------------
// Registration

export const q931Helper: HelperDef = {
  name: 'Q.931',
  protos: [Proto.TCP],
  families: [4, 6],
  policies: () => Q931_POLICY,
  createData: (): H323Data => freshData(),
  help: (call) => tpktHelp(call, q931Message),
};

/**
 * The helper of the H.245 connections a Q.931 message announces. Registered, as in the kernel,
 * for UDP in both families (the only place a rule can attach it); expectations attach it to TCP.
 */
export const h245Helper: HelperDef = {
  name: 'H.245',
  protos: [Proto.UDP],
  families: [4, 6],
  policies: () => H245_POLICY,
  createData: (): H323Data => freshData(),
  help: (call) => tpktHelp(call, h245Message),
};

export const rasHelper: HelperDef = {
  name: 'RAS',
  protos: [Proto.UDP],
  families: [4, 6],
  policies: () => RAS_POLICY,
  createData: (): H323Data => freshData(),
  help: rasHelp,
};

/** What the callforward filter needs of the host: the output route to an address. */
export interface RouteLookupTable {
  lookup(k: { family: 4 | 6; dst: ArrayLike<number>; src: null; iif: null; oif: null; mark: number }): {
    type: string;
    dev: string | null;
    gateway: ArrayLike<number> | null;
  } | null;
}

/**
 * The route service for HelperHost.route from a host's routing table: the output route's device
 * and next hop (its gateway, else the address itself; local addresses leave through `lo`);
 * unreachable, prohibit, blackhole and throw routes and no route at all are failures (null), as
 * ip_route_output_key fails for them.
 */
export function routeHops(routing: RouteLookupTable): (family: 4 | 6, dst: ArrayLike<number>) => { dev: string; nexthop: ArrayLike<number> } | null {
  return (family, dst) => {
    const r = routing.lookup({ family, dst, src: null, iif: null, oif: null, mark: 0 });
    if (r === null) return null;
    switch (r.type) {
      case 'unreachable':
      case 'prohibit':
      case 'blackhole':
      case 'throw':
        return null;
      case 'local':
        return { dev: 'lo', nexthop: dst };
      default:
        return r.dev === null ? null : { dev: r.dev, nexthop: r.gateway ?? dst };
    }
  };
}

/** For tests: the decoded form of a Q.931 / RAS / H.245 message as the helpers see it. */
export const decoders = {
  q931: (buf: Uint8Array, start = 0, len = buf.length - start) => decodeQ931(H323_USER_INFORMATION, buf, start, len),
  ras: (buf: Uint8Array, start = 0, len = buf.length - start) => decodeRoot(RAS_ROOT, buf, start, start, start + len),
  h245: (buf: Uint8Array, start = 0, len = buf.length - start) => decodeRoot(MSCM_ROOT, buf, start, start, start + len),
};

