/**
 * Round 2, helpers with NAT: FTP over IPv6 through NAT66 (EPSV and EPRT, the EPRT address
 * rewritten), FTP EPSV to a DNATed server over IPv4, IRC DCC CHAT through SNAT to another
 * address, PPTP through MASQUERADE, SANE through MASQUERADE, Amanda to a DNATed client.
 */

import { gre, ipv4, ipv6, tcp } from '../../../src/packet/build.js';
import { cli, Conv, ipt, srv, statefulForward, tcp4, udp4, wan, R_WAN, type IptTable } from '../lib/craft.js';
import type { ScenarioSpec, StepSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.130';
const W2 = '198.51.100.131';
const C6 = 'fd00:1::100';
const W6 = '2001:db8::130';
const R6_WAN = 'fd00:3::1';

const STATEFUL = (extra: string[] = []): IptTable => statefulForward(['-A FORWARD -i r_cli -j ACCEPT', '-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT', ...extra]);

/** An IPv6 TCP session whose client is seen by the server at `pub` (NAT66). */
class Conv6 {
  private cs = 1000;
  private ss = 5000;
  constructor(readonly a: string, readonly ap: number, readonly b: string, readonly bp: number, readonly pub: [string, number] = [a, ap]) {}
  c(flags: string, payload?: string): Uint8Array {
    const p = ipv6({ src: this.a, dst: this.b, payload: tcp({ sport: this.ap, dport: this.bp, flags, seq: this.cs, ack: flags.includes('A') ? this.ss : 0, payload }) });
    this.cs += (payload?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0);
    return p;
  }
  s(flags: string, payload?: string, ack?: number): Uint8Array {
    const p = ipv6({ src: this.b, dst: this.pub[0], payload: tcp({ sport: this.bp, dport: this.pub[1], flags, seq: this.ss, ack: ack ?? (flags.includes('A') ? this.cs : 0), payload }) });
    this.ss += (payload?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0);
    return p;
  }
  get cnext(): number {
    return this.cs;
  }
}

function ftpLogin6(c: Conv6): StepSpec[] {
  return [cli(c.c('S'), 'control SYN'), wan(c.s('SA'), 'SYN/ACK'), cli(c.c('A'), 'ACK'), wan(c.s('PA', '220 ready\r\n'), 'banner'), cli(c.c('PA', 'USER anonymous\r\n'), 'USER'), wan(c.s('PA', '331 ok\r\n'), '331')];
}

function ftpLogin(c: Conv, side: { c: (p: Uint8Array, n?: string) => StepSpec; s: (p: Uint8Array, n?: string) => StepSpec }): StepSpec[] {
  return [
    side.c(c.c('S'), 'control SYN'),
    side.s(c.s('SA'), 'SYN/ACK'),
    side.c(c.c('A'), 'ACK'),
    side.s(c.s('PA', { payload: '220 ready\r\n' }), 'banner'),
    side.c(c.c('PA', { payload: 'USER anonymous\r\n' }), 'USER'),
    side.s(c.s('PA', { payload: '331 ok\r\n' }), '331'),
  ];
}

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

/** SANE RPC words. */
const be32 = (...v: number[]): Uint8Array => {
  const b = new Uint8Array(4 * v.length);
  const dv = new DataView(b.buffer);
  v.forEach((x, k) => dv.setUint32(4 * k, x >>> 0));
  return b;
};

export const scenarios: ScenarioSpec[] = [
  (() => {
    const c = new Conv6(C6, 41000, W6, 21, [R6_WAN, 41000]);
    return {
      name: 'r_r2_helper_ftp6_nat_1',
      description: 'FTP over IPv6 through NAT66 MASQUERADE with EPSV: the 229 reply (|||50060|) expects the client\'s data connection to [2001:db8::130]:50060; the client\'s SYN is RELATED and masqueraded to fd00:3::1 (nf_nat_follow_master)',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-epsv', 'ipv6', 'nat', 'nat66', 'masquerade', 'expect'],
      ipv6: true,
      ip6tables: ipt({ raw: { rules: ['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'] }, nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: STATEFUL() }),
      steps: [
        ...ftpLogin6(c),
        cli(c.c('PA', 'EPSV\r\n'), 'EPSV'),
        wan(c.s('PA', '229 Entering Extended Passive Mode (|||50060|)\r\n'), '229: expectation'),
        cli(ipv6({ src: C6, dst: W6, payload: tcp({ sport: 41001, dport: 50060, flags: 'S', seq: 7000 }) }), 'data SYN: RELATED, masqueraded'),
        wan(ipv6({ src: W6, dst: R6_WAN, payload: tcp({ sport: 50060, dport: 41001, flags: 'SA', seq: 8000, ack: 7001 }) }), 'data SYN/ACK: back to the client'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv6(C6, 41010, W6, 21, [R6_WAN, 41010]);
    return {
      name: 'r_r2_helper_ftp6_nat_2',
      description: 'FTP over IPv6 through NAT66 MASQUERADE with EPRT: nf_nat_ftp rewrites EPRT |2|fd00:1::100|41020| to |2|fd00:3::1|41020| (two bytes shorter, sequence adjustment); the server\'s data SYN from port 20 to [fd00:3::1]:41020 is RELATED and reaches the client',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-eprt', 'ipv6', 'nat', 'nat66', 'masquerade', 'expect', 'seqadj'],
      ipv6: true,
      ip6tables: ipt({ raw: { rules: ['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'] }, nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: STATEFUL() }),
      steps: [
        ...ftpLogin6(c),
        cli(c.c('PA', 'EPRT |2|fd00:1::100|41020|\r\n'), 'EPRT: rewritten'),
        wan(c.s('PA', '200 ok\r\n', c.cnext - 2), '200 (acks the rewritten, two bytes shorter line: the helper adjusts it)'),
        wan(ipv6({ src: W6, dst: R6_WAN, payload: tcp({ sport: 20, dport: 41020, flags: 'S', seq: 9000 }) }), 'data SYN to [fd00:3::1]:41020: RELATED'),
        cli(c.c('PA', 'LIST\r\n'), 'LIST: shifted sequence'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(W, 41030, R_WAN, 21, { cPub: [W, 41030] });
    const sc = new Conv(W, 41030, S, 21);
    // the server sees the client directly (DNAT only): server-side segments come from S to W
    const steps: StepSpec[] = [];
    const wc = (p: Uint8Array, n?: string): StepSpec => wan(p, n);
    const ss = (p: Uint8Array, n?: string): StepSpec => srv(p, n);
    // Conv c builds the client's packets (to 203.0.113.1); sc's server side builds the server's (from 10.0.2.100)
    const both = {
      c: (f: string, o: Parameters<Conv['c']>[1] = {}) => {
        sc.c(f, o);
        return c.c(f, o);
      },
      s: (f: string, o: Parameters<Conv['s']>[1] = {}) => {
        c.s(f, o);
        return sc.s(f, o);
      },
    };
    steps.push(
      wc(both.c('S'), 'control SYN to 203.0.113.1:21: DNAT'),
      ss(both.s('SA'), 'SYN/ACK'),
      wc(both.c('A'), 'ACK'),
      ss(both.s('PA', { payload: '220 ready\r\n' }), 'banner'),
      wc(both.c('PA', { payload: 'USER anonymous\r\n' }), 'USER'),
      ss(both.s('PA', { payload: '331 ok\r\n' }), '331'),
      wc(both.c('PA', { payload: 'EPSV\r\n' }), 'EPSV'),
      ss(both.s('PA', { payload: '229 Entering Extended Passive Mode (|||50070|)\r\n' }), '229: expectation to the public address'),
      wan(tcp4(W, 41031, R_WAN, 50070, 'S'), 'data SYN to 203.0.113.1:50070: RELATED, DNATed to 10.0.2.100'),
      wan(tcp4(W, 41032, R_WAN, 50071, 'S'), 'SYN to 50071: not expected'),
    );
    return {
      name: 'r_r2_helper_ftp_epsv_dnat_1',
      description: 'FTP EPSV to a server behind DNAT (203.0.113.1:21 -> 10.0.2.100:21): the 229 reply has no address, the expectation is for the client\'s data connection to the public address 203.0.113.1:50070, which is RELATED and DNATed to the server by nf_nat_follow_master',
      tags: ['helper', 'ftp', 'helper-ftp', 'ftp-epsv', 'nat', 'dnat', 'expect'],
      iptables: ipt({
        raw: { rules: ['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'] },
        nat: { rules: ['-A PREROUTING -i r_wan -d 203.0.113.1 -p tcp --dport 21 -j DNAT --to-destination 10.0.2.100'] },
        filter: STATEFUL(),
      }),
      steps,
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 41040, W, 6667, { cPub: ['203.0.113.100', 41040] });
    return {
      name: 'r_r2_helper_irc_nat_1',
      description: 'IRC DCC CHAT through SNAT to 203.0.113.100: the DCC address 167772516 becomes 3405803876 (one byte longer, sequence adjustment), the peer\'s SYN to 203.0.113.100:41050 is RELATED and reaches 10.0.1.100',
      tags: ['helper', 'irc', 'helper-irc', 'nat', 'snat', 'expect', 'seqadj'],
      iptables: ipt({ raw: { rules: ['-A PREROUTING -p tcp --dport 6667 -j CT --helper irc'] }, nat: { rules: ['-A POSTROUTING -o r_wan -j SNAT --to-source 203.0.113.100'] }, filter: STATEFUL() }),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: 'NICK carol\r\n' }), 'login'),
        wan(c.s('PA', { payload: ':irc.example 001 carol :Welcome\r\n' }), 'welcome'),
        cli(c.c('PA', { payload: 'PRIVMSG dave :\x01DCC CHAT chat 167772516 41050\x01\r\n' }), 'DCC CHAT: rewritten'),
        wan(c.s('A', { ack: c.cnext + 1 }), 'server ACK of the longer message'),
        wan(tcp4(W2, 41051, '203.0.113.100', 41050, 'S'), 'peer SYN: RELATED, to 10.0.1.100:41050'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 41060, W, 1723, { cPub: [R_WAN, 41060] });
    return {
      name: 'r_r2_helper_pptp_masq_1',
      description: 'PPTP through MASQUERADE: nf_nat_pptp replaces the PNS call id 0x1234 of the Outgoing-Call-Request by the translated source port (41060 = 0xa064); the PAC\'s Outgoing-Call-Reply (call id 0x5678, peer 0xa064) has its peer id restored to 0x1234 and sets up the GRE expectations; the client\'s GRE (key 0x5678) is RELATED and leaves from 203.0.113.1, the server\'s GRE to 203.0.113.1 with key 0xa064 reaches the client with key 0x1234',
      tags: ['helper', 'pptp', 'helper-pptp', 'gre', 'gre-v1', 'nat', 'masquerade', 'expect'],
      iptables: ipt({ raw: { rules: ['-A PREROUTING -p tcp --dport 1723 -j CT --helper pptp'] }, nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: STATEFUL() }),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: pptpSccr(false) }), 'SCCRQ'),
        wan(c.s('PA', { payload: pptpSccr(true) }), 'SCCRP'),
        cli(c.c('PA', { payload: pptpOcrq(0x1234) }), 'OCRQ call id 0x1234: rewritten to 0xa064'),
        wan(c.s('PA', { payload: pptpOcrp(0x5678, 0xa064) }), 'OCRP call id 0x5678, peer 0xa064: restored to 0x1234, GRE expectations'),
        cli(c.c('A')),
        cli(ipv4({ src: C, dst: W, payload: gre({ version: 1, callId: 0x5678, seq: 0, payload: new Uint8Array(16) }) }), 'GRE from the client: RELATED, masqueraded'),
        wan(ipv4({ src: W, dst: R_WAN, payload: gre({ version: 1, callId: 0xa064, seq: 0, ack: 0, payload: new Uint8Array(16) }) }), 'GRE from the server (key 0xa064): to the client with key 0x1234'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 41070, W, 6566, { cPub: [R_WAN, 41070] });
    return {
      name: 'r_r2_helper_sane_nat_1',
      description: 'SANE through MASQUERADE: a SANE_NET_START request and its reply with port 50080 create an expectation from the client to the scanner; the client\'s data SYN is RELATED and masqueraded like its master',
      tags: ['helper', 'sane', 'helper-sane', 'nat', 'masquerade', 'expect'],
      iptables: ipt({ raw: { rules: ['-A PREROUTING -p tcp --dport 6566 -j CT --helper sane'] }, nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: statefulForward(['-A FORWARD -i r_cli -p tcp --dport 6566 -j ACCEPT']) }),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: be32(7, 0) }), 'SANE_NET_START'),
        wan(c.s('PA', { payload: be32(0, 50080, 0, 0) }), 'reply: status good, port 50080'),
        cli(tcp4(C, 41071, W, 50080, 'S'), 'data SYN: RELATED, masqueraded'),
        cli(tcp4(C, 41072, W, 50081, 'S'), 'SYN to 50081: not expected, dropped'),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_r2_helper_amanda_nat_1',
    description: 'Amanda to a client behind DNAT (203.0.113.1:10080 -> 10.0.2.100): the REP\'s CONNECT DATA 50090 MESG 50091 INDEX 50092 creates expectations from the backup server to the public address (nf_nat_amanda keeps the ports when free); the DATA connection to 203.0.113.1:50090 is RELATED and DNATed to 10.0.2.100',
    tags: ['helper', 'amanda', 'helper-amanda', 'nat', 'dnat', 'expect'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -p udp --dport 10080 -j CT --helper amanda'] },
      nat: { rules: ['-A PREROUTING -i r_wan -d 203.0.113.1 -p udp --dport 10080 -j DNAT --to-destination 10.0.2.100'] },
      filter: STATEFUL(),
    }),
    steps: [
      wan(udp4(W, 850, R_WAN, 10080, 'Amanda 2.6 REQ HANDLE 000-00000002 SEQ 1\nSERVICE sendbackup\nOPTIONS features=ffff;\n'), 'REQ: DNAT'),
      srv(udp4(S, 10080, W, 850, 'Amanda 2.6 REP HANDLE 000-00000002 SEQ 1\nCONNECT DATA 50090 MESG 50091 INDEX 50092\nOPTIONS features=ffff;\n'), 'REP with CONNECT: expectations'),
      wan(tcp4(W, 41080, R_WAN, 50090, 'S'), 'DATA SYN: RELATED, DNATed'),
      wan(tcp4(W, 41081, R_WAN, 50093, 'S'), 'SYN to 50093: not expected'),
    ],
  },
];
