/**
 * Conntrack helpers, assigned explicitly with -j CT --helper: FTP (PORT through MASQUERADE with
 * sequence adjustment, PASV behind DNAT, EPRT through MASQUERADE, EPSV, IPv6 EPRT/EPSV, a helper
 * on a non-standard port with a second PORT replacing the first expectation, a PORT naming
 * another host), TFTP (plain and through MASQUERADE), IRC DCC (plain and NATed), SIP (INVITE /
 * 200 OK with SDP: RTP/RTCP expectations both ways, the same through MASQUERADE, REGISTER),
 * PPTP (control session, call setup, GRE expectations with call ids), Amanda, SANE, and
 * netbios-ns / snmp on forwarded unicast traffic (they only act on the router's own
 * broadcasts), snmp_trap through MASQUERADE (SNMPv1 agent address rewriting).
 */

import { ipv4, ipv6, tcp, udp, gre } from '../../../src/packet/build.js';
import { cli, Conv, ipt, srv, statefulForward, udp4, wan, R_WAN, type IptTable } from '../lib/craft.js';
import type { ScenarioSpec, StepSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.150';
const W2 = '198.51.100.151';
const C6 = 'fd00:1::100';
const S6 = 'fd00:2::100';

/** A stateful filter letting RELATED connections through (helpers' expectations) and LAN-originated traffic. */
const STATEFUL = (extra: string[] = []): IptTable => statefulForward(['-A FORWARD -i r_cli -j ACCEPT', '-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT', ...extra]);

/** Raw rules assigning a helper, and the tables of the scenario. */
function helperRules(raw: string[], nat: string[] = [], filter: IptTable = STATEFUL()): string {
  return ipt({ raw: { rules: raw }, ...(nat.length ? { nat: { rules: nat } } : {}), filter });
}

/** The usual FTP login before the interesting command (the helper skips each direction's first line). */
function ftpLogin(c: Conv, side: { c: (p: Uint8Array, n?: string) => StepSpec; s: (p: Uint8Array, n?: string) => StepSpec }): StepSpec[] {
  return [
    side.c(c.c('S'), 'control SYN'),
    side.s(c.s('SA'), 'SYN/ACK'),
    side.c(c.c('A'), 'ACK'),
    side.s(c.s('PA', { payload: '220 ready\r\n' }), 'banner (first server line: not parsed)'),
    side.c(c.c('PA', { payload: 'USER anonymous\r\n' }), 'USER (first client line: not parsed)'),
    side.s(c.s('PA', { payload: '331 password please\r\n' }), '331'),
  ];
}

/** A minimal IPv6 TCP session (both ends' sequence numbers), for the IPv6 FTP scenario. */
class Conv6 {
  private cs = 1000;
  private ss = 5000;
  constructor(readonly a: string, readonly ap: number, readonly b: string, readonly bp: number) {}
  private seg(src: string, sp: number, dst: string, dp: number, flags: string, seq: number, ack: number, payload?: string): Uint8Array {
    return ipv6({ src, dst, payload: tcp({ sport: sp, dport: dp, flags, seq, ack, payload }) });
  }
  c(flags: string, payload?: string): Uint8Array {
    const p = this.seg(this.a, this.ap, this.b, this.bp, flags, this.cs, flags.includes('A') ? this.ss : 0, payload);
    this.cs += (payload?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0);
    return p;
  }
  s(flags: string, payload?: string): Uint8Array {
    const p = this.seg(this.b, this.bp, this.a, this.ap, flags, this.ss, flags.includes('A') ? this.cs : 0, payload);
    this.ss += (payload?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0);
    return p;
  }
}

/** 203.0.113.1 / 10.0.1.100 as the decimal numbers IRC DCC uses. */
const DEC_C = 167772516;

// ---------------------------------------------------------------------------------------- SIP

function sipInvite(from: string, to: string, rtp: number, callId: string): string {
  const sdp = `v=0\r\no=alice 2890844526 2890844526 IN IP4 ${from}\r\ns=-\r\nc=IN IP4 ${from}\r\nt=0 0\r\nm=audio ${rtp} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
  return (
    `INVITE sip:bob@${to} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK776asdhds\r\n` +
    `Max-Forwards: 70\r\n` +
    `To: <sip:bob@${to}>\r\n` +
    `From: <sip:alice@${from}>;tag=1928301774\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: 314159 INVITE\r\n` +
    `Contact: <sip:alice@${from}:5060>\r\n` +
    `Content-Type: application/sdp\r\n` +
    `Content-Length: ${sdp.length}\r\n\r\n` +
    sdp
  );
}

function sipOk(from: string, to: string, via: string, rtp: number, callId: string): string {
  const sdp = `v=0\r\no=bob 2808844564 2808844564 IN IP4 ${to}\r\ns=-\r\nc=IN IP4 ${to}\r\nt=0 0\r\nm=audio ${rtp} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
  return (
    `SIP/2.0 200 OK\r\n` +
    `Via: SIP/2.0/UDP ${via}:5060;branch=z9hG4bK776asdhds\r\n` +
    `To: <sip:bob@${to}>;tag=a6c85cf\r\n` +
    `From: <sip:alice@${from}>;tag=1928301774\r\n` +
    `Call-ID: ${callId}\r\n` +
    `CSeq: 314159 INVITE\r\n` +
    `Contact: <sip:bob@${to}:5060>\r\n` +
    `Content-Type: application/sdp\r\n` +
    `Content-Length: ${sdp.length}\r\n\r\n` +
    sdp
  );
}

// ---------------------------------------------------------------------------------------- PPTP

function pptpMsg(type: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + body.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, b.length);
  v.setUint16(2, 1);
  v.setUint32(4, 0x1a2b3c4d);
  v.setUint16(8, type);
  b.set(body, 12);
  return b;
}
/** Start-Control-Connection-Request (1) / -Reply (2): 144-byte bodies. */
function pptpSccr(reply: boolean): Uint8Array {
  const body = new Uint8Array(144);
  const v = new DataView(body.buffer);
  v.setUint16(0, 0x0100);
  if (reply) body[2] = 1;
  v.setUint32(4, 3);
  v.setUint32(8, 3);
  v.setUint16(12, 1);
  body.set(Buffer.from(reply ? 'pac' : 'pns'), 16);
  return pptpMsg(reply ? 2 : 1, body);
}
/** Outgoing-Call-Request (7): call id, serial; 156-byte body. */
function pptpOcrq(callId: number): Uint8Array {
  const body = new Uint8Array(156);
  const v = new DataView(body.buffer);
  v.setUint16(0, callId);
  v.setUint16(2, 1);
  v.setUint32(4, 300);
  v.setUint32(8, 100000000);
  v.setUint32(12, 3);
  v.setUint32(16, 3);
  v.setUint16(20, 64);
  return pptpMsg(7, body);
}
/** Outgoing-Call-Reply (8): call id, peer's call id, result 1 (connected); 20-byte body. */
function pptpOcrp(callId: number, peer: number): Uint8Array {
  const body = new Uint8Array(20);
  const v = new DataView(body.buffer);
  v.setUint16(0, callId);
  v.setUint16(2, peer);
  body[4] = 1;
  v.setUint32(8, 100000000);
  v.setUint16(12, 64);
  return pptpMsg(8, body);
}

// ---------------------------------------------------------------------------------------- SNMP (BER)

function tlv(tag: number, content: Uint8Array): Uint8Array {
  if (content.length >= 128) throw new Error('long BER lengths not needed here');
  return Uint8Array.from([tag, content.length, ...content]);
}
const seqOf = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, Uint8Array.from(parts.flatMap((p) => [...p])));
const ipA = (a: string): Uint8Array => tlv(0x40, Uint8Array.from(a.split('.').map(Number)));
const oidT = (...v: number[]): Uint8Array => tlv(0x06, Uint8Array.from(v));
/** An SNMPv1 Trap-PDU ([4]) with agent-addr `agent`: a PDU the kernel's snmp parser does not know. */
function snmpTrapV1(agent: string): Uint8Array {
  const vb = seqOf(seqOf(oidT(0x2b, 6, 1, 2, 1, 4, 20, 1, 1), ipA(agent)));
  const pdu = tlv(0xa4, Uint8Array.from([...oidT(0x2b, 6, 1, 4, 1, 0x82, 0x37, 1), ...ipA(agent), ...tlv(0x02, Uint8Array.of(6)), ...tlv(0x02, Uint8Array.of(1)), ...tlv(0x43, Uint8Array.of(0x01, 0x00)), ...vb]));
  return seqOf(tlv(0x02, Uint8Array.of(0)), tlv(0x04, Buffer.from('public')), pdu);
}
/** An SNMPv2c trap ([7] PDU): sysUpTime, snmpTrapOID, then IpAddress varbinds with the given addresses. */
function snmpTrapV2(addrs: string[]): Uint8Array {
  const vbs = [
    seqOf(oidT(0x2b, 6, 1, 2, 1, 1, 3, 0), tlv(0x43, Uint8Array.of(0x01, 0x00))),
    seqOf(oidT(0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0), oidT(0x2b, 6, 1, 6, 3, 1, 1, 5, 3)),
    ...addrs.map((a, k) => seqOf(oidT(0x2b, 6, 1, 6, 3, 18, 1, 3, k), ipA(a))),
  ];
  const pdu = tlv(0xa7, Uint8Array.from([...tlv(0x02, Uint8Array.of(0x2a)), ...tlv(0x02, Uint8Array.of(0)), ...tlv(0x02, Uint8Array.of(0)), ...seqOf(...vbs)]));
  return seqOf(tlv(0x02, Uint8Array.of(1)), tlv(0x04, Buffer.from('public')), pdu);
}

export const scenarios: ScenarioSpec[] = [
  // ---------------------------------------------------------------- FTP
  (() => {
    const c = new Conv(C, 40800, W, 21, { cPub: [R_WAN, 40800] });
    const d = new Conv(W, 20, C, 40810, { sPub: [R_WAN, 40810] });
    const side = { c: cli, s: wan };
    return {
      name: 'r_helper_ftp_nat_1',
      description: 'active FTP through MASQUERADE: PORT 10,0,1,100,159,106 is rewritten to PORT 203,0,113,1,159,106 (one byte longer: sequence adjustment, the server\'s ACKs are translated back), the expectation for 203.0.113.1:40810 takes the data connection from port 20 and DNATs it to the client (RELATED)',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-active', 'nat', 'masquerade', 'expect', 'seqadj'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'], ['-A POSTROUTING -o r_wan -j MASQUERADE']),
      steps: [
        ...ftpLogin(c, side),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,159,106\r\n' }), 'PORT: rewritten, expectation'),
        wan(c.s('PA', { payload: '200 PORT command successful\r\n', ack: c.cnext + 1 }), '200 (acks the rewritten length)'),
        cli(c.c('PA', { payload: 'LIST\r\n' }), 'LIST: sequence number shifted by one'),
        wan(c.s('PA', { payload: '150 Here comes the listing\r\n', ack: c.cnext + 1 }), '150'),
        wan(d.c('S'), 'data SYN from port 20 to 203.0.113.1:40810: RELATED'),
        cli(d.s('SA'), 'SYN/ACK from the client'),
        wan(d.c('A'), 'ACK'),
        wan(d.c('FPA', { payload: 'drwxr-xr-x 2 0 0 4096 pub\r\n' }), 'listing and FIN'),
        cli(c.c('A'), 'ACK on the control connection'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(W, 40820, S, 21, { sPub: [R_WAN, 21] });
    const d = new Conv(W, 40821, S, 50010, { sPub: [R_WAN, 50010] });
    const side = { c: wan, s: srv };
    return {
      name: 'r_helper_ftp_nat_2',
      description: 'passive FTP to a server behind DNAT: the 227 reply (10,0,2,100,195,90) is rewritten to the public address 203,0,113,1 (sequence adjustment on the server side); the client\'s data connection to 203.0.113.1:50010 matches the expectation and is DNATed to 10.0.2.100:50010',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-passive', 'nat', 'dnat', 'expect', 'seqadj'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'], ['-A PREROUTING -i r_wan -p tcp --dport 21 -j DNAT --to-destination 10.0.2.100']),
      steps: [
        ...ftpLogin(c, side),
        wan(c.c('PA', { payload: 'PASV\r\n' }), 'PASV'),
        srv(c.s('PA', { payload: '227 Entering Passive Mode (10,0,2,100,195,90).\r\n' }), '227: rewritten, expectation'),
        wan(c.c('A', { ack: c.snext + 1 }), 'client ACK of the rewritten reply'),
        wan(d.c('S'), 'data SYN to 203.0.113.1:50010: RELATED, DNATed'),
        srv(d.s('SA'), 'SYN/ACK'),
        wan(d.c('A'), 'ACK'),
        wan(c.c('PA', { payload: 'QUIT\r\n', ack: c.snext + 1 }), 'QUIT'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 40830, W, 21, { cPub: [R_WAN, 40830] });
    const d = new Conv(W, 20, C, 40831, { sPub: [R_WAN, 40831] });
    return {
      name: 'r_helper_ftp_nat_3',
      description: 'EPRT through MASQUERADE: EPRT |1|10.0.1.100|40831| is rewritten to EPRT |1|203.0.113.1|40831| (one byte longer), the data connection is RELATED and DNATed to the client',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-eprt', 'nat', 'masquerade', 'expect', 'seqadj'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'], ['-A POSTROUTING -o r_wan -j MASQUERADE']),
      steps: [
        ...ftpLogin(c, { c: cli, s: wan }),
        cli(c.c('PA', { payload: 'EPRT |1|10.0.1.100|40831|\r\n' }), 'EPRT: rewritten'),
        wan(c.s('PA', { payload: '200 EPRT command successful\r\n', ack: c.cnext + 1 }), '200'),
        wan(d.c('S'), 'data SYN: RELATED'),
        cli(d.s('SA'), 'SYN/ACK'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 40840, S, 21);
    const d = new Conv(C, 40841, S, 50020);
    return {
      name: 'r_helper_ftp_epsv_1',
      description: 'EPSV without NAT: the 229 reply (|||50020|) creates an expectation from the client to the server\'s port 50020 (conntrack -L expect, [NEW] expect event); the data SYN is RELATED and the expectation is gone ([DESTROY])',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-epsv', 'expect'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'], [], STATEFUL(['-A FORWARD -i r_srv -p tcp --sport 21 -j ACCEPT'])),
      steps: [
        ...ftpLogin(c, { c: cli, s: srv }),
        cli(c.c('PA', { payload: 'EPSV\r\n' }), 'EPSV'),
        srv(c.s('PA', { payload: '229 Entering Extended Passive Mode (|||50020|)\r\n' }), '229: expectation'),
        cli(d.c('S'), 'data SYN: RELATED'),
        srv(d.s('SA'), 'SYN/ACK'),
        cli(c.c('PA', { payload: 'EPSV\r\n' }), 'EPSV again'),
        srv(c.s('PA', { payload: '229 Entering Extended Passive Mode (|||50021|)\r\n' }), '229: a second expectation, left pending'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv6(C6, 40850, S6, 21);
    const dataIn = ipv6({ src: S6, dst: C6, payload: tcp({ sport: 20, dport: 40851, flags: 'S', seq: 9000 }) });
    const pasv = ipv6({ src: C6, dst: S6, payload: tcp({ sport: 40852, dport: 50030, flags: 'S', seq: 9100 }) });
    return {
      name: 'r_helper_ftp_ipv6_1',
      description: 'FTP over IPv6 (ip6tables CT --helper ftp): EPRT |2|fd00:1::100|40851| expects the server\'s data connection from port 20 (RELATED), EPSV |||50030| expects the client\'s (RELATED); IPv6 expectations in conntrack -L expect',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-eprt', 'ftp-epsv', 'ipv6', 'ip6tables', 'expect'],
      ipv6: true,
      ip6tables: ipt({
        raw: { rules: ['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'] },
        filter: { policies: { FORWARD: 'DROP' }, rules: ['-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -i r_cli -p tcp --dport 21 -j ACCEPT'] },
      }),
      steps: [
        cli(c.c('S'), 'SYN'),
        srv(c.s('SA'), 'SYN/ACK'),
        cli(c.c('A'), 'ACK'),
        srv(c.s('PA', '220 ready\r\n'), 'banner'),
        cli(c.c('PA', 'USER anonymous\r\n'), 'USER'),
        srv(c.s('PA', '331 ok\r\n'), '331'),
        cli(c.c('PA', 'EPRT |2|fd00:1::100|40851|\r\n'), 'EPRT: expectation'),
        srv(c.s('PA', '200 ok\r\n'), '200'),
        srv(dataIn, 'data SYN from [fd00:2::100]:20: RELATED'),
        cli(c.c('PA', 'EPSV\r\n'), 'EPSV'),
        srv(c.s('PA', '229 Entering Extended Passive Mode (|||50030|)\r\n'), '229: expectation'),
        cli(pasv, 'client data SYN to :50030: RELATED'),
        cli(ipv6({ src: C6, dst: S6, payload: tcp({ sport: 40853, dport: 50031, flags: 'S' }) }), 'SYN to an unexpected port: dropped'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 40860, S, 2121);
    return {
      name: 'r_helper_ftp_port_1',
      description: 'the FTP helper on a non-standard port (CT --helper ftp for tcp/2121): a second PORT replaces the first expectation (the ftp helper allows one: the old one is evicted, [DESTROY] expect), a PORT naming another host (10.0.1.101) is not recorded, the data connection to the evicted port is not RELATED',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-active', 'expect', 'expect-limit'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 2121 -j CT --helper ftp'], [], STATEFUL(['-A FORWARD -i r_srv -p tcp --sport 2121 -j ACCEPT', '-A FORWARD -i r_srv -p tcp -j REJECT --reject-with tcp-reset'])),
      steps: [
        ...ftpLogin(c, { c: cli, s: srv }),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,159,200\r\n' }), 'PORT 40904: expectation'),
        srv(c.s('PA', { payload: '200 ok\r\n' }), '200'),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,159,201\r\n' }), 'PORT 40905: replaces it'),
        srv(c.s('PA', { payload: '200 ok\r\n' }), '200'),
        cli(c.c('PA', { payload: 'PORT 10,0,1,101,159,202\r\n' }), 'PORT with another host\'s address: not recorded'),
        srv(c.s('PA', { payload: '200 ok\r\n' }), '200'),
        srv(new Conv(S, 20, C, 40904).c('S'), 'data SYN to the evicted port 40904: NEW, rejected'),
        srv(new Conv(S, 20, C, 40905).c('S'), 'data SYN to 40905: RELATED'),
      ],
    } satisfies ScenarioSpec;
  })(),

  // ---------------------------------------------------------------- TFTP
  {
    name: 'r_helper_tftp_2',
    description: 'TFTP read request through the tftp helper: the RRQ expects the server\'s answer from any port to the client\'s port (RELATED, a new connection from port 33000), the client\'s ACK is its reply; a second RRQ from another port',
    tags: ['helper', 'tftp', 'helper-tftp', 'expect'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 69 -j CT --helper tftp']),
    steps: [
      cli(udp4(C, 40870, S, 69, '\x00\x01boot.img\x00octet\x00'), 'RRQ: expectation'),
      srv(udp4(S, 33000, C, 40870, '\x00\x03\x00\x01' + 'D'.repeat(64)), 'DATA block 1 from port 33000: RELATED'),
      cli(udp4(C, 40870, S, 33000, '\x00\x04\x00\x01'), 'ACK'),
      srv(udp4(S, 33000, C, 40870, '\x00\x03\x00\x02' + 'E'.repeat(10)), 'DATA block 2'),
      cli(udp4(C, 40871, S, 69, '\x00\x02upload.bin\x00octet\x00'), 'WRQ from another port: expectation'),
      srv(udp4(S, 33001, C, 40871, '\x00\x04\x00\x00'), 'ACK block 0 from port 33001: RELATED'),
    ],
  },
  {
    name: 'r_helper_tftp_nat_1',
    description: 'TFTP through MASQUERADE: the RRQ leaves from 203.0.113.1; the expectation (any port of the server to 203.0.113.1:40880) takes the server\'s DATA and sends it to the client (nf_nat_tftp follows the master)',
    tags: ['helper', 'tftp', 'helper-tftp', 'nat', 'masquerade', 'expect'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 69 -j CT --helper tftp'], ['-A POSTROUTING -o r_wan -j MASQUERADE']),
    steps: [
      cli(udp4(C, 40880, W, 69, '\x00\x01pxelinux.0\x00octet\x00'), 'RRQ: masqueraded, expectation'),
      wan(udp4(W, 41000, R_WAN, 40880, '\x00\x03\x00\x01' + 'P'.repeat(32)), 'DATA from port 41000: RELATED, to the client'),
      cli(udp4(C, 40880, W, 41000, '\x00\x04\x00\x01'), 'ACK: masqueraded'),
    ],
  },

  // ---------------------------------------------------------------- IRC
  (() => {
    const c = new Conv(C, 40890, W, 6667);
    return {
      name: 'r_helper_irc_1',
      description: 'IRC DCC SEND through the irc helper: the client\'s PRIVMSG with \\1DCC SEND file 167772516 40900 1024\\1 expects a connection from anyone to 10.0.1.100:40900; a peer\'s SYN is RELATED; a DCC naming another address (forged) is ignored',
      tags: ['helper', 'irc', 'helper-irc', 'expect'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 6667 -j CT --helper irc'], [], STATEFUL(['-A FORWARD -i r_wan -p tcp --sport 6667 -j ACCEPT'])),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: 'NICK alice\r\nUSER alice 0 * :Alice\r\n' }), 'login'),
        wan(c.s('PA', { payload: ':irc.example 001 alice :Welcome\r\n' }), 'welcome'),
        cli(c.c('PA', { payload: `PRIVMSG bob :\x01DCC SEND notes.txt ${DEC_C} 40900 1024\x01\r\n` }), 'DCC SEND: expectation'),
        wan(c.s('A')),
        wan(new Conv(W2, 40901, C, 40900).c('S'), 'peer SYN to 10.0.1.100:40900: RELATED'),
        cli(c.c('PA', { payload: `PRIVMSG bob :\x01DCC CHAT chat 167772517 40902\x01\r\n` }), 'DCC naming 10.0.1.101: ignored'),
        wan(new Conv(W2, 40903, C, 40902).c('S'), 'SYN to port 40902: not related, dropped'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 40910, W, 6667, { cPub: [R_WAN, 40910] });
    return {
      name: 'r_helper_irc_nat_1',
      description: 'IRC DCC through MASQUERADE: the DCC address 167772516 (10.0.1.100) is rewritten to 3405803777 (203.0.113.1), the message grows by one byte (sequence adjustment); the peer\'s SYN to 203.0.113.1:40920 is RELATED and DNATed to the client',
      tags: ['helper', 'irc', 'helper-irc', 'nat', 'masquerade', 'expect', 'seqadj'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 6667 -j CT --helper irc'], ['-A POSTROUTING -o r_wan -j MASQUERADE']),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: 'NICK alice\r\n' }), 'login'),
        wan(c.s('PA', { payload: ':irc.example 001 alice :Welcome\r\n' }), 'welcome'),
        cli(c.c('PA', { payload: `PRIVMSG bob :\x01DCC SEND photo.jpg ${DEC_C} 40920 2048\x01\r\n` }), 'DCC SEND: address rewritten'),
        wan(c.s('A', { ack: c.cnext + 1 }), 'server ACK of the longer message'),
        wan(new Conv(W2, 40921, R_WAN, 40920).c('S'), 'peer SYN to 203.0.113.1:40920: RELATED, to 10.0.1.100'),
        cli(c.c('PA', { payload: 'PING x\r\n' }), 'more data: shifted by one'),
      ],
    } satisfies ScenarioSpec;
  })(),

  // ---------------------------------------------------------------- SIP
  {
    name: 'r_helper_sip_1',
    description: 'SIP over UDP with the sip helper, no NAT: the INVITE\'s SDP (c=10.0.1.100, m=audio 49170) expects RTP and RTCP from the callee to 10.0.1.100:49170/49171, the 200 OK\'s SDP (m=audio 30000) expects the caller\'s media to 198.51.100.150:30000/30001; RTP both ways is RELATED',
    tags: ['helper', 'sip', 'helper-sip', 'expect'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 5060 -j CT --helper sip'], [], STATEFUL(['-A FORWARD -i r_wan -p udp --sport 5060 -j ACCEPT'])),
    steps: [
      cli(udp4(C, 5060, W, 5060, sipInvite(C, W, 49170, 'call-1@10.0.1.100')), 'INVITE with SDP: media expectations'),
      wan(udp4(W, 5060, C, 5060, sipOk(C, W, C, 30000, 'call-1@10.0.1.100')), '200 OK with SDP'),
      wan(udp4(W, 30000, C, 49170, '\x80\x00\x00\x01rtp-from-bob'), 'RTP from the callee: RELATED'),
      cli(udp4(C, 49170, W, 30000, '\x80\x00\x00\x01rtp-from-alice'), 'RTP from the caller: its reply'),
      wan(udp4(W, 30001, C, 49171, '\x80\xc8\x00\x06rtcp'), 'RTCP: RELATED'),
      wan(udp4(W, 30002, C, 49172, 'stray'), 'to port 49172: nothing expected, dropped'),
    ],
  },
  {
    name: 'r_helper_sip_nat_1',
    description: 'SIP through MASQUERADE: the INVITE\'s Via, Contact and SDP o=/c= addresses are rewritten to 203.0.113.1 (Content-Length follows), the media expectation is on the public address; the 200 OK to the public address is rewritten back for the client and the callee\'s RTP to 203.0.113.1:49180 is RELATED and reaches 10.0.1.100',
    tags: ['helper', 'sip', 'helper-sip', 'nat', 'masquerade', 'expect'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 5060 -j CT --helper sip'], ['-A POSTROUTING -o r_wan -j MASQUERADE']),
    steps: [
      cli(udp4(C, 5060, W, 5060, sipInvite(C, W, 49180, 'call-2@10.0.1.100')), 'INVITE: rewritten'),
      wan(udp4(W, 5060, R_WAN, 5060, sipOk('203.0.113.1', W, '203.0.113.1', 30010, 'call-2@10.0.1.100')), '200 OK to the public address: rewritten back'),
      wan(udp4(W, 30010, R_WAN, 49180, '\x80\x00\x00\x01rtp'), 'RTP to 203.0.113.1:49180: RELATED, to the client'),
    ],
  },
  {
    name: 'r_helper_sip_2',
    description: 'SIP REGISTER through the sip helper: REGISTER and its 200 OK (Contact with expires) pass, the SIP connection is refreshed; an OPTIONS request and a 404 answer; no media expectations without SDP',
    tags: ['helper', 'sip', 'helper-sip'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 5060 -j CT --helper sip'], [], STATEFUL(['-A FORWARD -i r_wan -p udp --sport 5060 -j ACCEPT'])),
    steps: (() => {
      const reg =
        `REGISTER sip:${W} SIP/2.0\r\nVia: SIP/2.0/UDP ${C}:5060;branch=z9hG4bKnashds7\r\nMax-Forwards: 70\r\nTo: <sip:alice@${W}>\r\nFrom: <sip:alice@${W}>;tag=456248\r\n` +
        `Call-ID: reg-1@${C}\r\nCSeq: 1826 REGISTER\r\nContact: <sip:alice@${C}:5060>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`;
      const ok =
        `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP ${C}:5060;branch=z9hG4bKnashds7\r\nTo: <sip:alice@${W}>;tag=2493k59kd\r\nFrom: <sip:alice@${W}>;tag=456248\r\n` +
        `Call-ID: reg-1@${C}\r\nCSeq: 1826 REGISTER\r\nContact: <sip:alice@${C}:5060>;expires=3600\r\nContent-Length: 0\r\n\r\n`;
      const opt = `OPTIONS sip:carol@${W} SIP/2.0\r\nVia: SIP/2.0/UDP ${C}:5060;branch=z9hG4bKopt1\r\nTo: <sip:carol@${W}>\r\nFrom: <sip:alice@${W}>;tag=77\r\nCall-ID: opt-1@${C}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      const nf = `SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP ${C}:5060;branch=z9hG4bKopt1\r\nTo: <sip:carol@${W}>;tag=9\r\nFrom: <sip:alice@${W}>;tag=77\r\nCall-ID: opt-1@${C}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      return [cli(udp4(C, 5060, W, 5060, reg), 'REGISTER'), wan(udp4(W, 5060, C, 5060, ok), '200 OK'), cli(udp4(C, 5060, W, 5060, opt), 'OPTIONS'), wan(udp4(W, 5060, C, 5060, nf), '404')];
    })(),
  },

  // ---------------------------------------------------------------- PPTP
  (() => {
    const c = new Conv(C, 40930, W, 1723);
    return {
      name: 'r_helper_pptp_1',
      description: 'PPTP through the pptp helper: Start-Control-Connection request/reply, Outgoing-Call-Request (call id 0x1111) and -Reply (call id 0x2222, peer 0x1111) create the two GRE expectations (keys = call ids); the first GRE packet from the client (key 0x2222) is RELATED, the server\'s (key 0x1111) is its reply',
      tags: ['helper', 'pptp', 'helper-pptp', 'gre', 'expect'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 1723 -j CT --helper pptp'], [], STATEFUL(['-A FORWARD -i r_wan -p tcp --sport 1723 -j ACCEPT'])),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: pptpSccr(false) }), 'Start-Control-Connection-Request'),
        wan(c.s('PA', { payload: pptpSccr(true) }), 'Start-Control-Connection-Reply (ok)'),
        cli(c.c('PA', { payload: pptpOcrq(0x1111) }), 'Outgoing-Call-Request, call id 0x1111'),
        wan(c.s('PA', { payload: pptpOcrp(0x2222, 0x1111) }), 'Outgoing-Call-Reply, call id 0x2222: GRE expectations'),
        cli(c.c('A')),
        cli(ipv4({ src: C, dst: W, payload: gre({ version: 1, callId: 0x2222, seq: 0, payload: new Uint8Array(20) }) }), 'GRE from the client (key 0x2222): RELATED'),
        wan(ipv4({ src: W, dst: C, payload: gre({ version: 1, callId: 0x1111, seq: 0, ack: 0, payload: new Uint8Array(20) }) }), 'GRE from the server (key 0x1111): reply'),
        wan(ipv4({ src: W, dst: C, payload: gre({ version: 1, callId: 0x3333, seq: 1, payload: new Uint8Array(20) }) }), 'GRE with an unknown key: NEW, dropped'),
      ],
    } satisfies ScenarioSpec;
  })(),

  // ---------------------------------------------------------------- Amanda, SANE
  {
    name: 'r_helper_amanda_1',
    description: 'Amanda through the amanda helper (udp/10080): the reply\'s CONNECT DATA 50040 MESG 50041 INDEX 50042 line creates three TCP expectations from the backup server to the client, the master UDP connection\'s timeout is raised to 300 s; the DATA connection is RELATED',
    tags: ['helper', 'amanda', 'helper-amanda', 'expect'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 10080 -j CT --helper amanda'], [], STATEFUL(['-A FORWARD -i r_srv -p udp --sport 10080 -j ACCEPT'])),
    steps: [
      cli(udp4(C, 850, S, 10080, 'Amanda 2.6 REQ HANDLE 000-00000001 SEQ 1\nSERVICE sendbackup\nOPTIONS features=ffff;\n'), 'REQ from the backup server'),
      srv(udp4(S, 10080, C, 850, 'Amanda 2.6 REP HANDLE 000-00000001 SEQ 1\nCONNECT DATA 50040 MESG 50041 INDEX 50042\nOPTIONS features=ffff;\n'), 'REP with CONNECT: three expectations'),
      cli(new Conv(C, 40940, S, 50040).c('S'), 'DATA connection: RELATED'),
      cli(new Conv(C, 40941, S, 50043).c('S'), 'SYN to port 50043 (not expected): NEW, accepted by the LAN rule'),
    ],
  },
  (() => {
    const c = new Conv(C, 40950, S, 6566);
    const d = new Conv(C, 40951, S, 50050);
    return {
      name: 'r_helper_sane_1',
      description: 'SANE through the sane helper (tcp/6566): a SANE_NET_START request (RPC code 7) and its successful reply carrying port 50050 create an expectation client -> server:50050 (RELATED data connection); a failed reply (status 1) to another START creates none',
      tags: ['helper', 'sane', 'helper-sane', 'expect'],
      iptables: helperRules(['-A PREROUTING -p tcp --dport 6566 -j CT --helper sane'], [], STATEFUL(['-A FORWARD -i r_srv -p tcp --sport 6566 -j ACCEPT'])),
      steps: [
        cli(c.c('S')),
        srv(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: Uint8Array.of(0, 0, 0, 4, 0, 0, 0, 0) }), 'SANE_NET_OPEN-like request (code 4): not interesting'),
        srv(c.s('PA', { payload: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1) }), 'its reply'),
        cli(c.c('PA', { payload: Uint8Array.of(0, 0, 0, 7, 0, 0, 0, 1) }), 'SANE_NET_START'),
        srv(c.s('PA', { payload: Uint8Array.of(0, 0, 0, 0, 0, 0, 0xc3, 0x82, 0, 0, 0, 0x12, 0, 0, 0, 0) }), 'reply: success, port 50050: expectation'),
        cli(d.c('S'), 'data SYN to 50050: RELATED'),
        cli(c.c('PA', { payload: Uint8Array.of(0, 0, 0, 7, 0, 0, 0, 1) }), 'SANE_NET_START again'),
        srv(c.s('PA', { payload: Uint8Array.of(0, 0, 0, 1, 0, 0, 0xc3, 0x83, 0, 0, 0, 0x12, 0, 0, 0, 0) }), 'reply with status 1: no expectation'),
      ],
    } satisfies ScenarioSpec;
  })(),

  // ---------------------------------------------------------------- netbios-ns, snmp
  {
    name: 'r_helper_broadcast_1',
    description: 'netbios-ns and snmp helpers on forwarded unicast UDP: the connections get helper=netbios-ns / helper=snmp but no expectation (these helpers only act on broadcasts the router itself sends); replies are ESTABLISHED',
    tags: ['helper', 'netbios-ns', 'snmp', 'helper-broadcast'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 137 -j CT --helper netbios-ns', '-A PREROUTING -p udp --dport 161 -j CT --helper snmp'], [], STATEFUL()),
    steps: [
      cli(udp4(C, 137, S, 137, '\x12\x34\x01\x10\x00\x01\x00\x00\x00\x00\x00\x00 CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01'), 'NetBIOS name query'),
      srv(udp4(S, 137, C, 137, '\x12\x34\x85\x00\x00\x00\x00\x01\x00\x00\x00\x00'), 'answer'),
      cli(udp4(C, 40960, S, 161, '0\x26\x02\x01\x00\x04\x06public\xa0\x19\x02\x01\x01\x02\x01\x00\x02\x01\x000\x0e0\x0c\x06\x08+\x06\x01\x02\x01\x01\x01\x00\x05\x00'), 'SNMP get'),
      srv(udp4(S, 161, C, 40960, '0\x26\x02\x01\x00\x04\x06public\xa2\x19\x02\x01\x01\x02\x01\x00\x02\x01\x000\x0e0\x0c\x06\x08+\x06\x01\x02\x01\x01\x01\x00\x05\x00'), 'SNMP response'),
    ],
  },
  {
    name: 'r_helper_snmp_nat_1',
    description: 'snmp_trap helper (nf_nat_snmp_basic) through MASQUERADE: in an SNMPv2c trap from 10.0.1.100 to udp/162 every IpAddress equal to 10.0.1.100 is rewritten to 203.0.113.1 (UDP checksum adjusted), another address is left alone; an SNMPv1 Trap-PDU ([4], not in the kernel\'s grammar) makes the parser fail and the helper drops it',
    tags: ['helper', 'snmp', 'helper-snmp', 'nat', 'masquerade'],
    iptables: helperRules(['-A PREROUTING -p udp --dport 162 -j CT --helper snmp_trap'], ['-A POSTROUTING -o r_wan -j MASQUERADE']),
    steps: [
      cli(udp4(C, 40970, W, 162, snmpTrapV2([C, '10.0.1.77'])), 'v2c trap: 10.0.1.100 rewritten, 10.0.1.77 kept'),
      cli(udp4(C, 40971, W, 162, snmpTrapV1(C)), 'v1 trap: parser fails, dropped by the helper'),
    ],
  },
];
