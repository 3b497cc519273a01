/**
 * The H.323 helpers (nf_conntrack_h323 / nf_nat_h323): Q.931 call signalling with H.225.0
 * messages (h245Address, fastStart RTP / RTCP, several TPKTs in one segment, a TPKT header sent
 * alone, call forwarding with the callforward filter, tunnelled H.245, undecodable messages), the
 * H.245 connection they announce with its OpenLogicalChannel / Ack and T.120, RAS registration
 * and admission (GCF, RRQ / RCF with time to live, ARQ / ACF, LCF, URQ) with the calls it
 * announces, IPv6, and the same through MASQUERADE and DNAT (payload addresses rewritten in place).
 * Messages are built with the test side's aligned-PER encoder (test/helpers/h323-per.ts).
 */

import { ipv6, tcp, udp } from '../../../src/packet/build.js';
import { cli, Conv, ipt, srv, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec, StepSpec } from '../lib/scenario.js';
import { h245Message, q931, q931Tpkt, ras, tpkt, userInformation, type Addr } from '../../../test/helpers/h323-per.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const S2 = '10.0.2.150';
const W = '198.51.100.10';
const W2 = '198.51.100.20';
const W3 = '198.51.100.30';

const a = (ip: string, port: number): Addr => ({ ip, port });

/** Bytes of several parts in one payload. */
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The TCP handshake of a conversation: SYN and SYN/ACK on their interfaces, the ACK. */
function handshake(conv: Conv, cIf: (p: Uint8Array, n?: string) => StepSpec, sIf: (p: Uint8Array, n?: string) => StepSpec, what: string): StepSpec[] {
  return [cIf(conv.c('S'), `${what}: SYN`), sIf(conv.s('SA'), `${what}: SYN/ACK`), cIf(conv.c('A'), `${what}: ACK`)];
}

/** An open FORWARD for TCP 1720 and UDP 1719, RELATED / ESTABLISHED, everything else dropped. */
function filterRules(extra: string[] = []): { policies: Record<string, string>; rules: string[] } {
  return {
    policies: { FORWARD: 'DROP' },
    rules: [
      '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A FORWARD -m conntrack --ctstate RELATED -m helper --helper Q.931 -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate RELATED -m helper --helper H.245 -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate RELATED -m helper --helper RAS -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A FORWARD -p tcp --dport 1720 -j ACCEPT',
      '-A FORWARD -p udp --dport 1719 -j ACCEPT',
      ...extra,
    ],
  };
}

const q931Raw = ['-A PREROUTING -p tcp --dport 1720 -j CT --helper Q.931'];
const rasRaw = ['-A PREROUTING -p udp --dport 1719 -j CT --helper RAS'];

// ------------------------------------------------------------------------------------------------

/** A TPKT header announcing `n` bytes of data. */
function tpktHeader(n: number): Uint8Array {
  const len = n + 4;
  return Uint8Array.of(3, 0, len >> 8, len & 0xff);
}

function q931Plain(): ScenarioSpec {
  const loneFacility = q931('facility', userInformation('facility', { reason: 5, h245Address: a(C, 45002) }));
  const call = new Conv(C, 40000, S, 1720);
  const h245 = new Conv(S, 50000, C, 45000);
  const wcall = new Conv(W, 41000, S, 1720, { cisn: 70000 });
  const call2 = new Conv(C, 40001, S, 1720, { cisn: 90000, sisn: 95000 });
  const call3 = new Conv(C, 40002, S, 1720, { cisn: 110000, sisn: 115000 });
  const splitFacility = q931Tpkt('facility', { reason: 5, h245Address: a(C, 45300) });
  const lone2 = q931('facility', userInformation('facility', { reason: 5, h245Address: a(C, 45400) }));
  const fastStart = [
    { channel: 1, forward: { sessionID: 1, mediaControl: a(C, 5001) }, reverse: { sessionID: 1, media: a(C, 5000), mediaControl: a(C, 5001) } },
  ];
  const steps: StepSpec[] = [
    ...handshake(call, cli, srv, 'call'),
    cli(call.c('PA', { payload: q931Tpkt('setup', { h245Address: a(C, 45000), fastStart, destCallSignalAddress: a(S, 1720), sourceAlias: 'alice' }) }), 'Setup: h245Address 10.0.1.100:45000, fastStart reverse RTP 5000 / RTCP 5001 (forward RTCP 5001 again)'),
    srv(call.s('PA', { payload: q931Tpkt('callProceeding', {}, { fromOriginator: false }) }), 'CallProceeding without addresses'),
    srv(call.s('PA', { payload: cat(q931Tpkt('alerting', { h245Address: a(S, 46000) }, { fromOriginator: false }), q931Tpkt('progress', { fastStart: [{ channel: 2, forward: { media: a(S, 6000), mediaControl: a(S, 6001) } }] }, { fromOriginator: false })) }), 'two TPKTs in one segment: Alerting with h245Address 10.0.2.100:46000, Progress with fastStart RTP 6000 / RTCP 6001'),
    cli(call.c('A'), 'ACK'),
    srv(call.s('PA', { payload: q931Tpkt('connect', { h245Address: a(S, 46002), fastStart: [{ channel: 3, forward: { media: a(S, 6003) } }] }, { fromOriginator: false }) }), 'Connect: h245Address 46002, fastStart RTP at the odd port 6003 (expects 6002 / 6003)'),
    cli(call.c('PA', { payload: Uint8Array.of(3, 0, 0, 0) }), 'a TPKT header with length 0 (too short): nothing'),
    cli(call.c('PA', { payload: tpktHeader(loneFacility.length) }), 'a TPKT header alone announcing the Facility in the next segment'),
    cli(call.c('PA', { payload: loneFacility }), 'the Facility (startH245, h245Address 10.0.1.100:45002) without its header'),
    srv(call.s('PA', { payload: q931Tpkt('facility', { reason: 1, alternativeAddress: a(S2, 1720) }, { fromOriginator: false }) }), 'Facility callForwarded to 10.0.2.150:1720 (other route than the caller): Q.931 expectation from the caller'),
    srv(call.s('PA', { payload: q931Tpkt('facility', { reason: 1, alternativeAddress: a(C2, 1720) }, { fromOriginator: false }) }), 'Facility callForwarded to 10.0.1.101 (same device as the caller, other next hop): expected too'),
    cli(call.c('PA', { payload: q931Tpkt('facility', { reason: 6 }, { h245: [h245Message({ olc: { channel: 4, forward: { media: a(C, 5004), mediaControl: a(C, 5005) } } })] }) }), 'Facility (noH245) with a tunnelled H.245 OpenLogicalChannel: RTP 5004 / RTCP 5005'),
    cli(call.c('PA', { payload: tpkt(q931Tpkt('connect', { h245Address: a(C, 45100) }).subarray(4, -9)) }), 'a Connect cut short inside its TPKT (length fixed up): does not decode, passes'),
    cli(call.c('PA', { payload: cat(Uint8Array.of(3, 0, 0, 9, 0x08, 1, 0x55, 0x07, 0x00), q931Tpkt('facility', { reason: 5, h245Address: a(C, 45200) })) }), 'a Q.931 message without User-user element, then a Facility with h245Address 45200: the first does not decode, the second is not looked at'),
    cli(call.c('PA', { payload: splitFacility.subarray(0, 20) }), 'the first 20 bytes of a TPKT (Facility, h245Address 45300): incomplete, not looked at'),
    cli(call.c('PA', { payload: splitFacility.subarray(20) }), 'its rest: not a TPKT, not looked at'),
    cli(call.c('PA', { payload: tpktHeader(lone2.length) }), 'a TPKT header alone again (Facility with h245Address 45400)'),
    cli(call.c('A'), 'a bare ACK from the same side: forgets the announced length'),
    cli(call.c('PA', { payload: lone2 }), 'the data: not looked at'),
    ...handshake(h245, srv, cli, 'H.245 connection to 10.0.1.100:45000 (RELATED, helper H.245)'),
    srv(h245.c('PA', { payload: tpkt(h245Message({ olc: { channel: 10, forward: { sessionID: 1, media: a(S, 6010), mediaControl: a(S, 6011) } } })) }), 'H.245 OpenLogicalChannel from 10.0.2.100: RTP 6010 / RTCP 6011'),
    cli(h245.s('PA', { payload: tpkt(h245Message({ olca: { channel: 10, ack: { sessionID: 1, media: a(C, 5010), mediaControl: a(C, 5011) } } })) }), 'OpenLogicalChannelAck: media 5010 / control 5011 of 10.0.1.100'),
    cli(h245.s('PA', { payload: cat(tpkt(h245Message({ tcsAck: 1 })), tpkt(h245Message({ olc: { channel: 11, kind: 't120', forward: { sessionID: 3 }, t120: a(C, 1503) } }))) }), 'TerminalCapabilitySetAck and a T.120 OpenLogicalChannel (separate LAN stack 10.0.1.100:1503) in one segment'),
    srv(h245.c('PA', { payload: tpkt(h245Message({ olca: { channel: 11, t120: a(S, 1504), reverse: { media: a(S, 6020) } } })) }), 'OpenLogicalChannelAck with a T.120 address 10.0.2.100:1504 and reverse RTP 6020'),
    srv(udp4(S, 6010, C, 5000, 'rtp'), 'RTP 10.0.2.100:6010 -> 10.0.1.100:5000 (fastStart): RELATED'),
    cli(udp4(C, 5010, S, 6010, 'rtp'), 'RTP 10.0.1.100:5010 -> 10.0.2.100:6010 (H.245 OLC): RELATED'),
    cli(udp4(C, 5002, S, 6002, 'rtp'), 'RTP to 6002 (the even port of the Connect\'s 6003): RELATED'),
    srv(udp4(S, 7000, C, 5008, 'rtp'), 'UDP to an unannounced port: dropped'),
    srv(new Conv(S, 50010, C, 1503).c('S'), 'T.120 SYN from 10.0.2.100 to 10.0.1.100:1503: RELATED (PERMANENT)'),
    srv(new Conv(S, 50011, C, 1503).c('S'), 'a second T.120 connection: RELATED again'),
    ...handshake(call3, cli, srv, 'a third call from 10.0.1.100'),
    cli(call3.c('PA', { payload: q931Tpkt('setup', { h245Address: a(C, 45500) }, { crv: 0x3333, h245: [h245Message({ olc: { channel: 1, forward: { media: a(C, 5040) } } })] }) }), 'Setup with tunnelled H.245 (OLC RTP 5040): the Setup is read up to endpointIdentifier only, the PDU extensions from there on: the tunnelled message is not found'),
    ...handshake(call2, cli, srv, 'a second call from 10.0.1.100'),
    cli(call2.c('PA', { payload: q931Tpkt('setup', { h245Address: a(C, 45002) }, { crv: 0x2222 }) }), 'its Setup announces 45002, expected by the first call: the expectation clashes (EBUSY), the Setup is dropped'),
    ...handshake(wcall, wan, srv, 'a call from 198.51.100.10'),
    srv(wcall.s('PA', { payload: q931Tpkt('facility', { reason: 1, alternativeAddress: a(W2, 1720) }, { fromOriginator: false }) }), 'Facility callForwarded to 198.51.100.20: the same gateway and device as the caller, not expected (callforward_filter)'),
    srv(wcall.s('PA', { payload: q931Tpkt('facility', { reason: 1, alternativeAddress: a(S2, 1721) }, { fromOriginator: false }) }), 'Facility callForwarded to 10.0.2.150:1721: expected from 198.51.100.10'),
  ];
  // The helper drops that Setup in nf_confirm, after the recorder's postrouting probe; the
  // recorder sees that nothing left and records it DROPPED.
  return {
    name: 'r_h323_q931_1',
    description: 'Q.931 helper without NAT: Setup (h245Address, fastStart), CallProceeding, Alerting + Progress in one segment, Connect, a lone TPKT header then its data, call forwarding (callforward_filter), tunnelled H.245, undecodable messages, the H.245 connection with OpenLogicalChannel / Ack and T.120, RTP',
    tags: ['helper', 'h323', 'expect'],
    iptables: ipt({ raw: { rules: q931Raw }, filter: filterRules() }),
    steps,
  };
}

// ------------------------------------------------------------------------------------------------

function rasPlain(): ScenarioSpec {
  const steps: StepSpec[] = [
    cli(udp4(C, 1719, S, 1719, ras('grq', { rasAddress: a(C, 1719) })), 'GRQ'),
    srv(udp4(S, 1719, C, 1719, ras('gcf', { rasAddress: a(S, 1719) })), 'GCF naming the same RAS address: nothing'),
    srv(udp4(S, 1719, C, 1719, ras('gcf', { seq: 2, rasAddress: a(S, 1730) })), 'GCF naming 10.0.2.100:1730: RAS expectation'),
    cli(udp4(C, 1719, S, 1730, ras('rrq', { seq: 3, callSignal: [a(C, 1720)], ras: [a(C, 1719)], ttl: 600, alias: 'alice' })), 'RRQ to the announced RAS port (RELATED, helper RAS): callSignalAddress 10.0.1.100:1720, timeToLive 600'),
    srv(udp4(S, 1730, C, 1719, ras('rcf', { seq: 3, callSignal: [a(C, 1720)], ttl: 500 })), 'RCF with timeToLive 500: the RAS connection times out in 500 s'),
    srv(udp4(S, 1730, C, 1719, ras('gcf', { seq: 11, rasAddress: a(S, 1740) })), 'a GCF on the expected RAS connection: never expected again'),
    cli(udp4(C, 1719, S, 1719, ras('rrq', { seq: 4, callSignal: [a(S, 1720), a(C, 1722)], ras: [a(C, 1719)] })), 'RRQ without TTL: the first of its addresses that is the sender\'s (1722) is expected'),
    srv(udp4(S, 1719, C, 1719, ras('rcf', { seq: 4, callSignal: [a(C, 1722)] })), 'RCF without TTL: the RRQ default (300 s)'),
    cli(udp4(C, 1719, S, 1719, ras('arq', { seq: 5, alias: '2000', srcCallSignalAddress: a(C, 1722) })), 'ARQ (no NAT: nothing)'),
    srv(udp4(S, 1719, C, 1719, ras('acf', { seq: 5, destCallSignalAddress: a('10.0.2.200', 1720) })), 'ACF naming 10.0.2.200:1720: PERMANENT Q.931 expectation from 10.0.1.100'),
    srv(udp4(S, 1719, C, 1719, ras('acf', { seq: 6, destCallSignalAddress: a(C, 1722) })), 'ACF naming the endpoint itself (answering): nothing'),
    srv(udp4(S, 1719, C, 1719, ras('lcf', { seq: 7, callSignalAddress: a('10.0.2.201', 1720), rasAddress: a('10.0.2.201', 1719) })), 'LCF: Q.931 expectation to 10.0.2.201:1720'),
    srv(udp4(S, 1719, C, 1719, ras('lrq', { seq: 8, replyAddress: a(S, 1719) })), 'LRQ (no NAT: nothing)'),
    cli(udp4(C, 1719, S, 1719, ras('irr', { seq: 9, rasAddress: a(C, 1719), callSignal: [a(C, 1722)] })), 'IRR (no NAT: nothing)'),
    cli(udp4(C, 1719, S, 1719, Uint8Array.of(0x0e, 0xc0, 0x01, 0x02)), 'a truncated RRQ: does not decode, passes'),
    cli(udp4(C, 1719, S, 1719, ras('rrq', { seq: 12, callSignal: [a(C, 1723)], ras: [a(C, 1719)], ttl: 300, ttlLast: true })), 'an RRQ whose last element is its timeToLive: the kernel reads past it (value skipped twice), the message does not decode'),
    srv(new Conv(S, 30000, C, 1722).c('S'), 'a call from the gatekeeper to 10.0.1.100:1722: RELATED (helper Q.931), the expectation stays'),
    srv(new Conv(S, 30001, C, 1722).c('S'), 'a second call: RELATED again'),
    srv(new Conv('10.0.2.101', 30002, C, 1722).c('S'), 'a call from another host: not from the gatekeeper, not related'),
    cli(new Conv(C, 30003, '10.0.2.200', 1720).c('S'), 'the admitted call to 10.0.2.200:1720: RELATED'),
    cli(udp4(C, 1719, S, 1719, ras('urq', { seq: 10, callSignal: [a(C, 1722)] })), 'URQ: the connection\'s expectations go, it times out in 30 s'),
    srv(new Conv(S, 30004, C, 1722).c('S'), 'a call after the URQ: not related'),
    cli(udp4(C, 2000, S, 2000, 'hello'), 'UDP to port 2000, given the H.245 helper by a rule (the kernel registers it for UDP)'),
    srv(udp4(S, 2000, C, 2000, 'hello'), 'reply'),
    cli(udp4(C, 2000, S, 2000, h245OverUdp(h245Message({ olc: { channel: 1, forward: { media: a(C, 5030) } } }))), 'a datagram whose bytes 4.. read as a TCP header (data offset 5) and then a TPKT with an OpenLogicalChannel: RTP 5030 expected'),
    srv(udp4(S, 6030, C, 5030, 'rtp'), 'RTP to 5030: RELATED'),
  ];
  return {
    name: 'r_h323_ras_1',
    description: 'RAS helper without NAT: GRQ / GCF (RAS expectation), RRQ / RCF with and without time to live (RAS connection timeout, PERMANENT Q.931 expectations from the gatekeeper), ARQ / ACF, LCF, LRQ, IRR, a truncated message, calls on the expectations, URQ',
    tags: ['helper', 'h323', 'expect'],
    iptables: ipt({ raw: { rules: [...rasRaw, '-A PREROUTING -p udp --dport 2000 -j CT --helper H.245'] }, filter: filterRules(['-A FORWARD -p udp --dport 2000 -j ACCEPT']) }),
    steps,
  };
}

/** A UDP payload the H.245 helper reads as TCP: its data offset nibble at payload byte 4 says 20 bytes, then a TPKT. */
function h245OverUdp(msg: Uint8Array): Uint8Array {
  const lead = new Uint8Array(12);
  lead[4] = 0x50;
  return cat(lead, tpkt(msg));
}

// ------------------------------------------------------------------------------------------------

function q931Masquerade(): ScenarioSpec {
  const call = new Conv(C, 40000, W, 1720, { cPub: [R_WAN, 40000] });
  const h245 = new Conv(W, 50000, C, 45000, { sPub: [R_WAN, 45000] });
  const h245b = new Conv(C, 45500, W, 46000, { cPub: [R_WAN, 45500] });
  const call2 = new Conv(C2, 40002, W, 1720, { cPub: [R_WAN, 40002], cisn: 90000, sisn: 95000 });
  const steps: StepSpec[] = [
    ...handshake(call, cli, wan, 'call through MASQUERADE'),
    cli(
      call.c('PA', {
        payload: q931Tpkt('setup', {
          h245Address: a(C, 45000),
          sourceCallSignalAddress: a(C, 40000),
          destCallSignalAddress: a(W, 1720),
          fastStart: [{ channel: 1, forward: { mediaControl: a(C, 5001) }, reverse: { media: a(C, 5000), mediaControl: a(C, 5001) } }],
        }),
      }),
      'Setup: h245Address, sourceCallSignalAddress and the fastStart addresses of 10.0.1.100 become 203.0.113.1',
    ),
    wan(call.s('PA', { payload: q931Tpkt('connect', { h245Address: a(W, 46000), fastStart: [{ channel: 2, forward: { media: a(W, 6000), mediaControl: a(W, 6001) } }] }, { fromOriginator: false }) }), 'Connect from 198.51.100.10 (not translated): its addresses stay, expectations from 10.0.1.100'),
    cli(call.c('PA', { payload: q931Tpkt('facility', { reason: 1, alternativeAddress: a(C2, 1720) }) }), 'Facility callForwarded from the translated side to 10.0.1.101:1720: rewritten to 203.0.113.1, expected there'),
    cli(call.c('PA', { payload: q931Tpkt('facility', { reason: 6 }, { h245: [h245Message({ olc: { channel: 3, forward: { media: a(C, 5002), mediaControl: a(C, 5003) } } })] }) }), 'tunnelled H.245 OpenLogicalChannel from 10.0.1.100: RTP 5002 / 5003 rewritten'),
    ...handshake(h245, wan, cli, 'H.245 from 198.51.100.10 to 203.0.113.1:45000 (mapped to 10.0.1.100:45000)'),
    wan(h245.c('PA', { payload: tpkt(h245Message({ olc: { channel: 10, forward: { media: a(W, 6010), mediaControl: a(W, 6011) } } })) }), 'OpenLogicalChannel from 198.51.100.10: not rewritten'),
    cli(h245.s('PA', { payload: tpkt(h245Message({ olca: { channel: 10, ack: { media: a(C, 5010), mediaControl: a(C, 5011) } } })) }), 'OpenLogicalChannelAck from 10.0.1.100: media / control rewritten to 203.0.113.1'),
    cli(h245.s('PA', { payload: tpkt(h245Message({ olc: { channel: 11, kind: 't120', t120: a(C, 1503) } })) }), 'T.120 OpenLogicalChannel from 10.0.1.100: localAreaAddress rewritten'),
    wan(h245.c('A'), 'ACK'),
    wan(udp4(W, 6000, R_WAN, 5000, 'rtp'), 'RTP from 198.51.100.10 to 203.0.113.1:5000: RELATED, to 10.0.1.100:5000'),
    wan(udp4(W, 6010, R_WAN, 5011, 'rtcp'), 'RTCP to 203.0.113.1:5011: RELATED'),
    cli(udp4(C, 5002, W, 6000, 'rtp'), 'RTP from 10.0.1.100:5002 to 198.51.100.10:6000: RELATED (the Connect\'s fastStart)'),
    wan(new Conv(W, 50010, R_WAN, 1503).c('S'), 'T.120 SYN to 203.0.113.1:1503: RELATED, to 10.0.1.100'),
    ...handshake(h245b, cli, wan, 'H.245 from 10.0.1.100 to the Connect\'s 198.51.100.10:46000 (RELATED, MASQUERADE)'),
    cli(h245b.c('PA', { payload: tpkt(h245Message({ olc: { channel: 20, forward: { media: a(C, 5020), mediaControl: a(C, 5021) } } })) }), 'OpenLogicalChannel from 10.0.1.100 on it: rewritten to 203.0.113.1'),
    wan(new Conv(W, 50020, R_WAN, 1720).c('S'), 'the forwarded call to 203.0.113.1:1720: RELATED, to 10.0.1.101:1720'),
    ...handshake(call2, cli, wan, 'a second call, from 10.0.1.101'),
    cli(call2.c('PA', { payload: q931Tpkt('setup', { fastStart: [{ channel: 1, reverse: { media: a(C2, 5000), mediaControl: a(C2, 5001) } }] }, { crv: 0x3333 }) }), 'its fastStart RTP 5000 / RTCP 5001: 5001 and 5002 are taken on 203.0.113.1, the pair moves to 5004 / 5005'),
  ];
  return {
    name: 'r_h323_nat_1',
    description: 'Q.931 / H.245 through MASQUERADE: Setup, Facility and tunnelled H.245 addresses of the LAN side rewritten in place (same length), the WAN side\'s left alone, expectations on the public address mapped back (H.245, RTP / RTCP, T.120, call forwarding)',
    tags: ['helper', 'h323', 'expect', 'nat', 'masquerade'],
    iptables: ipt({ raw: { rules: q931Raw }, nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: filterRules() }),
    steps,
  };
}

// ------------------------------------------------------------------------------------------------

function dnatAndRas(): ScenarioSpec {
  const call = new Conv(W2, 41000, S, 1720, { sPub: [R_WAN, 1720] });
  const h245 = new Conv(W2, 51000, S, 46000, { sPub: [R_WAN, 46000] });
  const steps: StepSpec[] = [
    ...handshake(call, wan, srv, 'call from 198.51.100.20 to 203.0.113.1:1720 (DNAT to 10.0.2.100)'),
    wan(call.c('PA', { payload: q931Tpkt('setup', { h245Address: a(W2, 47000), destCallSignalAddress: a(R_WAN, 1720), sourceCallSignalAddress: a(W2, 41000) }) }), 'Setup: destCallSignalAddress 203.0.113.1:1720 becomes 10.0.2.100:1720; the caller\'s h245Address stays'),
    srv(call.s('PA', { payload: q931Tpkt('connect', { h245Address: a(S, 46000), fastStart: [{ channel: 1, forward: { media: a(S, 6000), mediaControl: a(S, 6001) } }] }, { fromOriginator: false }) }), 'Connect from 10.0.2.100: h245Address and fastStart become 203.0.113.1'),
    ...handshake(h245, wan, srv, 'H.245 to 203.0.113.1:46000 (RELATED, to 10.0.2.100)'),
    wan(udp4(W2, 7000, R_WAN, 6000, 'rtp'), 'RTP to 203.0.113.1:6000: RELATED, to 10.0.2.100'),
    cli(udp4(C, 1719, W3, 1719, ras('rrq', { callSignal: [a(C, 1720)], ras: [a(C, 1719)], ttl: 120 })), 'RRQ through MASQUERADE: callSignalAddress and rasAddress become 203.0.113.1'),
    wan(udp4(W3, 1719, R_WAN, 1719, ras('rcf', { callSignal: [a(R_WAN, 1720)], ttl: 60 })), 'RCF naming 203.0.113.1:1720: back to 10.0.1.100:1720; timeout 60 s'),
    cli(udp4(C, 1719, W3, 1719, ras('arq', { seq: 2, alias: '2000', srcCallSignalAddress: a(C, 1720) })), 'ARQ (calling): srcCallSignalAddress rewritten'),
    cli(udp4(C, 1719, W3, 1719, ras('arq', { seq: 3, alias: '2000', destCallSignalAddress: a(C, 1720), answerCall: true })), 'ARQ (answering): destCallSignalAddress rewritten to the translated signalling port'),
    wan(udp4(W3, 1719, R_WAN, 1719, ras('acf', { seq: 3, destCallSignalAddress: a(R_WAN, 1720) })), 'ACF naming 203.0.113.1:1720 (answering): back to 10.0.1.100'),
    cli(udp4(C, 1719, W3, 1719, ras('irr', { seq: 4, rasAddress: a(C, 1719), callSignal: [a(C, 1720)] })), 'IRR: rasAddress and callSignalAddress rewritten'),
    cli(udp4(C, 1719, W3, 1719, ras('grq', { seq: 5, rasAddress: a(C, 1719) })), 'GRQ: rasAddress rewritten'),
    wan(udp4(W3, 1719, R_WAN, 1719, ras('lrq', { seq: 6, replyAddress: a(W3, 1719) })), 'LRQ from the gatekeeper (its own address: untouched)'),
    wan(new Conv(W3, 31000, R_WAN, 1720).c('S'), 'a call from the gatekeeper to 203.0.113.1:1720: RELATED, to 10.0.1.100:1720'),
    cli(udp4(C, 1719, W3, 1719, ras('urq', { seq: 7, callSignal: [a(C, 1720)] })), 'URQ: callSignalAddress rewritten, expectations removed'),
  ];
  return {
    name: 'r_h323_nat_2',
    description: 'H.323 through DNAT (a Setup\'s destCallSignalAddress, the callee\'s h245Address and fastStart rewritten, H.245 and RTP expected on the public address) and RAS through MASQUERADE (RRQ / RCF / ARQ / ACF / IRR / GRQ addresses rewritten, the registered call mapped back)',
    tags: ['helper', 'h323', 'expect', 'nat', 'masquerade', 'dnat'],
    iptables: ipt({
      raw: { rules: [...q931Raw, ...rasRaw] },
      nat: { rules: ['-A PREROUTING -i r_wan -p tcp -d 203.0.113.1 --dport 1720 -j DNAT --to-destination 10.0.2.100', '-A POSTROUTING -o r_wan -s 10.0.1.0/24 -j MASQUERADE'] },
      filter: filterRules(),
    }),
    steps,
  };
}

// ------------------------------------------------------------------------------------------------

const C6 = 'fd00:1::100';
const S6 = 'fd00:2::100';

/** An IPv6 TCP conversation (seq / ack consistent). */
class Conv6 {
  private cseq = 1000;
  private sseq = 5000;
  constructor(
    readonly c: string,
    readonly cport: number,
    readonly s: string,
    readonly sport: number,
  ) {}

  private seg(src: string, sport: number, dst: string, dport: number, flags: string, seq: number, ack: number, payload?: Uint8Array): Uint8Array {
    return ipv6({ src, dst, payload: tcp({ sport, dport, flags, seq, ack, payload }) });
  }

  cl(flags: string, payload?: Uint8Array): Uint8Array {
    const p = this.seg(this.c, this.cport, this.s, this.sport, flags, this.cseq, flags.includes('A') ? this.sseq : 0, payload);
    this.cseq += (payload?.length ?? 0) + (flags.includes('S') ? 1 : 0);
    return p;
  }

  sv(flags: string, payload?: Uint8Array): Uint8Array {
    const p = this.seg(this.s, this.sport, this.c, this.cport, flags, this.sseq, flags.includes('A') ? this.cseq : 0, payload);
    this.sseq += (payload?.length ?? 0) + (flags.includes('S') ? 1 : 0);
    return p;
  }
}

function ipv6Call(): ScenarioSpec {
  const call = new Conv6(C6, 40000, S6, 1720);
  const h245 = new Conv6(S6, 50000, C6, 45000);
  return {
    name: 'r_h323_ipv6_1',
    description: 'Q.931 / H.245 over IPv6 (nft ct helper object "Q.931"): ip6Address h245Address and iP6Address media channels expected; an IPv4 address in an IPv6 call is not',
    tags: ['helper', 'h323', 'expect', 'ipv6', 'nft'],
    ipv6: true,
    nft: [
      'table inet h323 {',
      '  ct helper q931 {',
      '    type "Q.931" protocol tcp',
      '  }',
      '  chain pre {',
      '    type filter hook prerouting priority filter; policy accept;',
      '    tcp dport 1720 ct helper set "q931"',
      '  }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy drop;',
      '    ct state established,related accept',
      '    tcp dport 1720 accept',
      '  }',
      '}',
      '',
    ].join('\n'),
    steps: [
      cli(call.cl('S'), 'SYN'),
      srv(call.sv('SA'), 'SYN/ACK'),
      cli(call.cl('A'), 'ACK'),
      cli(call.cl('PA', q931Tpkt('setup', { h245Address: a(C6, 45000), fastStart: [{ channel: 1, reverse: { media: a(C6, 5000), mediaControl: a(C6, 5001) } }] })), 'Setup: ip6Address h245Address, IPv6 fastStart'),
      srv(call.sv('PA', q931Tpkt('connect', { h245Address: a('10.0.2.100', 46000) }, { fromOriginator: false })), 'Connect with an IPv4 h245Address: not for an IPv6 call'),
      srv(h245.cl('S'), 'H.245 SYN to [fd00:1::100]:45000: RELATED'),
      cli(h245.sv('SA'), 'SYN/ACK'),
      srv(h245.cl('A'), 'ACK'),
      cli(h245.sv('PA', tpkt(h245Message({ olc: { channel: 10, forward: { media: a(C6, 5010), mediaControl: a(C6, 5011) } } }))), 'OpenLogicalChannel with iP6Address channels'),
      srv(ipv6({ src: S6, dst: C6, payload: udp({ sport: 6000, dport: 5010, payload: 'rtp' }) }), 'RTP to 5010: RELATED'),
    ],
  };
}

export const scenarios: ScenarioSpec[] = [q931Plain(), rasPlain(), q931Masquerade(), dnatAndRas(), ipv6Call()];
