/**
 * More corners of conntrack's TCP tracker: mid-stream pick-up with nf_conntrack_tcp_loose 1 / 0,
 * nf_conntrack_tcp_be_liberal, nf_conntrack_tcp_ignore_invalid_rst, RST checks (exact, in window,
 * before the acknowledged data, in SYN_SENT), SYN in ESTABLISHED answered by a SYN/ACK, the RFC
 * 5961 challenge ACK in LAST_ACK, simultaneous open, SYN in TIME_WAIT and CLOSE, every state's
 * timeout on both sides of the boundary (with pauses), SACK blocks with and without SACK_PERM,
 * window scale clamping, old data and old ACKs, keep-alives, invalid flag combinations, bad data
 * offsets, ECN negotiation, SYN with data, max_retrans on one of two flows.
 *
 * The filter accepts everything but counts packets by conntrack state (INVALID packets pass too,
 * so their effect, or lack of one, on later packets shows).
 */

import { ipv4, tcp } from '../../../src/packet/build.js';
import { cli, Conv, ipt, pause, srv, tcp4, type TcpOpts } from '../lib/craft.js';
import type { ScenarioSpec, StepSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';

/** Accept all, counting by state. */
const OBSERVE = ipt({
  filter: {
    rules: [
      '-A FORWARD -m conntrack --ctstate INVALID -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate NEW -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT',
    ],
  },
});

/** Expired entries are reaped by the kernel's GC at a time of its own: DESTROY lines are not compared. */
const EXPIRY = { ignore_destroy_events: true };

type Build = (c: Conv) => StepSpec[];

/** A TCP scenario on one LAN -> DMZ conversation (client port 33400 + n). */
function tcpScenario(name: string, description: string, tags: string[], build: Build, extra: Partial<ScenarioSpec> = {}, cport = 33400): ScenarioSpec {
  return { name, description, tags: ['tcp-state', ...tags], iptables: OBSERVE, ...extra, steps: build(new Conv(C, cport, S, 80)) };
}

/** The three-way handshake of a conversation. */
const hs = (c: Conv, o: { cw?: TcpOpts['options']; sw?: TcpOpts['options'] } = {}): StepSpec[] => [
  cli(c.c('S', { options: o.cw }), 'SYN'),
  srv(c.s('SA', { options: o.sw }), 'SYN/ACK'),
  cli(c.c('A'), 'ACK'),
];

export const scenarios: ScenarioSpec[] = [
  // ---------------------------------------------------------------- pick-up, liberal, invalid RST
  tcpScenario('r_tcp_loose_1', 'nf_conntrack_tcp_loose=1 (default): a mid-stream ACK with data is picked up (NEW, ESTABLISHED, both directions liberal: data far outside any window passes); a FIN/ACK or a lone RST on an unknown tuple is INVALID', ['tcp-loose', 'tcp-midstream'], (c) => [
    cli(c.c('PA', { payload: 'mid-stream data' }), 'ACK with data on an unknown tuple: picked up'),
    srv(c.s('PA', { payload: 'answer' }), 'server answers: ESTABLISHED reply'),
    cli(c.c('A', { payload: 'x'.repeat(200), seq: c.cnext + 300000, advance: false }), 'data 300000 bytes ahead: accepted (liberal after a pick-up)'),
    cli(c.c('A'), 'ACK'),
    cli(tcp4(C, 33499, S, 80, 'FA', { seq: 7000, ack: 9000 }), 'FIN/ACK on another unknown tuple: INVALID (no pick-up from a FIN)'),
    cli(tcp4(C, 33498, S, 80, 'R', { seq: 7000 }), 'RST on an unknown tuple: INVALID'),
    cli(tcp4(C, 33497, S, 80, 'A', { seq: 7000, ack: 9000 }), 'bare ACK on a third tuple: picked up'),
  ], {}, 33401),
  tcpScenario('r_tcp_loose_2', 'nf_conntrack_tcp_loose=0: mid-stream ACKs and data on an unknown tuple are INVALID (no entry); the connection only exists after a SYN', ['tcp-loose', 'tcp-midstream'], (c) => [
    cli(c.c('PA', { payload: 'mid-stream', advance: false }), 'data on an unknown tuple: INVALID'),
    srv(c.s('A', { advance: false }), 'server ACK on it: INVALID too'),
    cli(c.c('S'), 'SYN: NEW'),
    srv(c.s('SA'), 'SYN/ACK'),
    cli(c.c('A'), 'ACK: ESTABLISHED'),
    cli(c.c('PA', { payload: 'now tracked' }), 'data'),
  ], { sysctls: { 'net.netfilter.nf_conntrack_tcp_loose': 0 } }, 33402),
  tcpScenario('r_tcp_liberal_1', 'nf_conntrack_tcp_be_liberal=1: after a normal handshake, data far beyond the window, an ACK of unsent data and even a RST far out of the window pass as ESTABLISHED without changing the state; the connection stays open', ['tcp-liberal', 'tcp-window'], (c) => [
    ...hs(c),
    cli(c.c('PA', { payload: 'a'.repeat(100), seq: c.cnext + 500000, advance: false }), 'data 500000 bytes ahead'),
    cli(c.c('A', { ack: c.snext + 200000 }), 'ACK of 200000 bytes the server never sent'),
    srv(c.s('R', { seq: c.snext + 9000000, advance: false }), 'RST 9000000 bytes out of the window: passes, no state change'),
    cli(c.c('PA', { payload: 'still open' }), 'data: the connection is still ESTABLISHED'),
    srv(c.s('A'), 'ACK'),
  ], { sysctls: { 'net.netfilter.nf_conntrack_tcp_be_liberal': 1 } }, 33403),
  ...[1, 0].map((v) =>
    tcpScenario(
      `r_tcp_ignrst_${2 - v}`,
      v
        ? 'nf_conntrack_tcp_ignore_invalid_rst=1 against three bad RSTs from the server: the one far before the window is let through (ESTABLISHED, no state change), the one far beyond it and the RST+ACK acknowledging unsent data stay INVALID; then data, and an exact RST that closes (compare r_tcp_ignrst_2)'
        : 'nf_conntrack_tcp_ignore_invalid_rst=0 (default), the packets of r_tcp_ignrst_1: all three bad RSTs are INVALID; data, an exact RST that closes',
      ['tcp-rst', 'tcp-ignore-invalid-rst'],
      (c) => [
        ...hs(c),
        cli(c.c('PA', { payload: 'hello' })),
        srv(c.s('A')),
        srv(c.s('R', { seq: c.snext + 5000000, advance: false }), 'RST 5000000 bytes beyond the window'),
        srv(c.s('R', { seq: c.snext - 5000000, advance: false }), 'RST 5000000 bytes before the window'),
        srv(c.s('RA', { ack: c.cnext + 100000, advance: false }), 'RST+ACK acknowledging 100000 unsent bytes'),
        cli(c.c('PA', { payload: 'after the bad rsts' }), 'data: still ESTABLISHED'),
        srv(c.s('A')),
        srv(c.s('R'), 'exact RST: CLOSE'),
      ],
      v ? { sysctls: { 'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': 1 } } : {},
      33404 + (1 - v),
    ),
  ),

  // ---------------------------------------------------------------- RST checks
  tcpScenario('r_tcp_rst_1', 'RST inside the window but not at the expected sequence number: the state stays ESTABLISHED (room for a challenge ACK); the challenge ACK, then the exact RST closes', ['tcp-rst', 'tcp-challenge-ack'], (c) => [
    ...hs(c),
    srv(c.s('PA', { payload: 'banner\r\n' }), 'server data'),
    cli(c.c('A'), 'client ACK (the client\'s ACK is now known)'),
    cli(c.c('R', { seq: c.cnext + 100, advance: false }), 'RST 100 bytes ahead of the expected sequence'),
    srv(c.s('A'), 'challenge ACK from the server'),
    cli(c.c('R'), 'RST at the exact sequence: CLOSE'),
    srv(c.s('PA', { payload: 'late', advance: false }), 'server data after the close'),
  ], {}, 33406),
  tcpScenario('r_tcp_rst_2', 'RST whose sequence is before data the receiver already acknowledged: INVALID ("invalid rst"), the connection stays; a RST+ACK with ack 0 is treated as a plain RST', ['tcp-rst'], (c) => [
    ...hs(c),
    ...((old: number) => [
      cli(c.c('PA', { payload: 'p'.repeat(300) }), '300 bytes from the client'),
      srv(c.s('A'), 'server acknowledges them'),
      cli(c.c('R', { seq: old, advance: false }), 'RST with the sequence before the acknowledged data: INVALID'),
      cli(c.c('PA', { payload: 'more' }), 'data: still ESTABLISHED'),
      srv(c.s('A')),
      cli(c.c('RA', { ack: 0 }), 'RST+ACK with ack 0 at the exact sequence: CLOSE'),
    ])(c.cnext),
  ], {}, 33407),
  tcpScenario('r_tcp_rst_3', 'RST in SYN_SENT: a RST+ACK acknowledging something else than the SYN is INVALID; the RST+ACK with ack = ISN+1 (connection refused) moves to CLOSE; a new SYN reopens', ['tcp-rst'], (c) => [
    cli(c.c('S'), 'SYN'),
    srv(tcp4(S, 80, C, 33408, 'RA', { seq: 0, ack: c.cnext + 5000 }), 'RST+ACK with a wrong ack: INVALID'),
    srv(tcp4(S, 80, C, 33408, 'RA', { seq: 0, ack: c.cnext }), 'RST+ACK acking the SYN: CLOSE'),
    cli(c.c('S', { seq: 424242 }), 'new SYN: the closed entry is replaced'),
    srv(tcp4(S, 80, C, 33408, 'R', { seq: 0 }), 'bare RST without ACK'),
  ], {}, 33408),
  tcpScenario('r_tcp_rst_4', 'RST train: data from the server immediately followed by a RST at the end of that data (seq = last end) closes the connection even before the client acknowledges', ['tcp-rst'], (c) => [
    ...hs(c),
    cli(c.c('PA', { payload: 'GET / HTTP/1.0\r\n\r\n' })),
    srv(c.s('A')),
    srv(c.s('PA', { payload: 'HTTP/1.0 200 OK\r\n\r\nbody' }), 'response'),
    srv(c.s('RA'), 'RST right after the data'),
    cli(c.c('A', { advance: false }), 'client ACK after the close'),
  ], {}, 33409),

  // ---------------------------------------------------------------- SYN in ESTABLISHED, challenge ACK
  tcpScenario('r_tcp_synest_1', 'SYN in ESTABLISHED (the client restarted): ignored and let through; the server answers it with a SYN/ACK acknowledging that SYN, so conntrack resynchronises (SYN_RECV), the ACK completes the new handshake', ['tcp-syn-in-est'], (c) => [
    ...hs(c),
    cli(c.c('PA', { payload: 'old session' })),
    srv(c.s('A')),
    cli(c.c('S', { seq: 777000, options: { mss: 1460, wscale: 3 } }), 'SYN with a new ISN on the established tuple: ignored'),
    srv(c.s('SA', { seq: 888000, options: { mss: 1460, wscale: 3 } }), 'SYN/ACK for it: resync to SYN_RECV'),
    cli(c.c('A'), 'ACK: ESTABLISHED'),
    cli(c.c('PA', { payload: 'new session' })),
  ], {}, 33410),
  tcpScenario('r_tcp_synest_2', 'SYN in ESTABLISHED answered by a challenge ACK (the old connection is alive), then the client resets with the acknowledged sequence: CLOSE; a retried SYN opens a new connection', ['tcp-syn-in-est', 'tcp-challenge-ack'], (c) => [
    ...hs(c),
    cli(c.c('S', { seq: 123456, advance: false }), 'SYN on the established tuple: ignored'),
    srv(c.s('A'), 'challenge ACK from the server'),
    cli(c.c('R', { advance: false }), 'RST with the sequence the challenge ACK acknowledged'),
    cli(c.c('S', { seq: 123456 }), 'SYN again: NEW'),
    srv(c.s('SA', { seq: 99000 })),
    cli(c.c('A')),
  ], {}, 33411),
  tcpScenario('r_tcp_challenge_1', 'RFC 5961 in LAST_ACK: the client reuses the port with a SYN before the final ACK (ignored, marks a possible challenge ACK); the server\'s challenge ACK does not move LAST_ACK to TIME_WAIT; the client\'s RST closes; the next SYN opens', ['tcp-challenge-ack'], (c) => [
    ...hs(c),
    cli(c.c('FA'), 'client FIN: FIN_WAIT'),
    srv(c.s('A'), 'ACK: CLOSE_WAIT'),
    srv(c.s('FA'), 'server FIN: LAST_ACK'),
    cli(c.c('S', { seq: 600000, advance: false }), 'SYN instead of the last ACK: ignored'),
    srv(c.s('A', { advance: false }), 'challenge ACK: ignored, still LAST_ACK'),
    cli(c.c('R', { advance: false }), 'RST answering the challenge ACK: CLOSE'),
    cli(c.c('S', { seq: 600000 }), 'SYN: new connection'),
    srv(c.s('SA', { seq: 700000 })),
  ], {}, 33412),

  // ---------------------------------------------------------------- simultaneous open, reopen
  tcpScenario('r_tcp_simopen_1', 'simultaneous open: SYN from each side (SYN_SENT2), then a SYN/ACK from the server first, a SYN/ACK from the client, the ACKs: ESTABLISHED', ['tcp-simopen'], (c) => [
    cli(c.c('S'), 'SYN from the client'),
    srv(c.s('S'), 'SYN from the server: SYN_SENT2'),
    srv(c.s('SA', { seq: c.snext - 1, advance: false }), 'server SYN/ACK'),
    cli(c.c('SA', { seq: c.cnext - 1, advance: false }), 'client SYN/ACK'),
    cli(c.c('A'), 'ACK'),
    srv(c.s('A'), 'ACK'),
    cli(c.c('PA', { payload: 'data' })),
  ], {}, 33413),
  tcpScenario('r_tcp_timewait_1', 'after a normal close (TIME_WAIT) a SYN from the server side reopens the tuple the other way round (DESTROY, then NEW with the server as originator); the client\'s retransmitted last ACK is its reply; the client\'s SYN then makes it a simultaneous open (SYN_SENT2), the SYN/ACK from the server is INVALID there', ['tcp-timewait-reuse'], (c) => [
    ...hs(c),
    cli(c.c('FA'), 'client FIN'),
    srv(c.s('FA'), 'server FIN+ACK'),
    ...((last: number) => [
      cli(c.c('A'), 'last ACK: TIME_WAIT'),
      srv(tcp4(S, 80, C, 33414, 'S', { seq: 31337 }), 'SYN from the server in TIME_WAIT: DESTROY + NEW, server as originator'),
      cli(c.c('A', { seq: last, advance: false }), 'retransmitted last ACK: reply direction of the new entry'),
      cli(c.c('S', { seq: 2000000 }), 'SYN from the client: SYN_SENT2'),
      srv(c.s('SA', { seq: 3000000 })),
      cli(c.c('A')),
    ])(c.cnext),
  ], {}, 33414),
  tcpScenario('r_tcp_reopen_1', 'CLOSE after a RST from the server: a SYN from the server side is INVALID; a SYN from the client goes through on the same entry (no DESTROY, no event), the SYN/ACK moves it to SYN_RECV and the ACK to ESTABLISHED', ['tcp-rst-close'], (c) => [
    ...hs(c),
    srv(c.s('R'), 'server RST: CLOSE'),
    srv(tcp4(S, 80, C, 33415, 'S', { seq: 1111 }), 'SYN from the server in CLOSE: INVALID'),
    cli(c.c('S', { seq: 50000 }), 'SYN from the client: same entry, no event'),
    srv(c.s('SA', { seq: 60000 })),
    cli(c.c('A')),
  ], {}, 33415),

  // ---------------------------------------------------------------- timeouts, both sides of each boundary
  {
    name: 'r_tcp_timeout_1',
    description: 'timeouts of SYN_SENT, SYN_RECV and CLOSE set to 3 s: for each state a flow that entered it 4 s before its probe (expired: the SYN/ACK is INVALID, the ACKs are picked up as NEW) and one that entered it 1.5 s before (alive: SYN_RECV, ESTABLISHED, CLOSE)',
    tags: ['tcp-state', 'tcp-timeouts', 'expiry'],
    iptables: OBSERVE,
    sysctls: { 'net.netfilter.nf_conntrack_tcp_timeout_syn_sent': 3, 'net.netfilter.nf_conntrack_tcp_timeout_syn_recv': 3, 'net.netfilter.nf_conntrack_tcp_timeout_close': 3 },
    nondeterministic: EXPIRY,
    steps: (() => {
      const mk = (p: number): Conv[] => [new Conv(C, p, S, 80), new Conv(C, p + 1, S, 80), new Conv(C, p + 2, S, 80)];
      const [ass, asr, acl] = mk(33420);
      const [bss, bsr, bcl] = mk(33430);
      const setup = (ss: Conv, sr: Conv, cl: Conv, tag: string): StepSpec[] => [
        cli(ss.c('S'), `${tag}: SYN (SYN_SENT)`),
        cli(sr.c('S'), `${tag}: SYN`),
        srv(sr.s('SA'), `${tag}: SYN/ACK (SYN_RECV)`),
        cli(cl.c('S'), `${tag}: SYN`),
        srv(cl.s('SA'), `${tag}: SYN/ACK`),
        cli(cl.c('A'), `${tag}: ACK`),
        srv(cl.s('R'), `${tag}: RST from the server (CLOSE)`),
      ];
      return [
        ...setup(ass, asr, acl, 'A'),
        pause(2.5),
        ...setup(bss, bsr, bcl, 'B'),
        pause(1.5),
        srv(ass.s('SA'), 'A: SYN/ACK 4 s after the SYN: expired, INVALID'),
        cli(asr.c('A'), 'A: ACK 4 s after the SYN/ACK: expired, picked up'),
        cli(acl.c('A'), 'A: ACK 4 s after the RST: expired, picked up'),
        srv(bss.s('SA'), 'B: SYN/ACK 1.5 s after the SYN: SYN_RECV'),
        cli(bsr.c('A'), 'B: ACK: ESTABLISHED'),
        cli(bcl.c('A'), 'B: ACK 1.5 s after the RST: still CLOSE'),
      ];
    })(),
  },
  {
    name: 'r_tcp_timeout_2',
    description: 'timeouts of FIN_WAIT and CLOSE_WAIT set to 3 s (connections picked up mid-stream, then closed halfway): the flows that reached the state 4 s before their probe are gone (the server\'s probe is picked up as a NEW connection with the server as originator), those that reached it 1.5 s before are alive',
    tags: ['tcp-state', 'tcp-timeouts', 'expiry'],
    iptables: OBSERVE,
    sysctls: { 'net.netfilter.nf_conntrack_tcp_timeout_fin_wait': 3, 'net.netfilter.nf_conntrack_tcp_timeout_close_wait': 3 },
    nondeterministic: EXPIRY,
    steps: (() => {
      const a = [new Conv(C, 33440, S, 80), new Conv(C, 33441, S, 80)];
      const b = [new Conv(C, 33442, S, 80), new Conv(C, 33443, S, 80)];
      const setup = ([fw, cw]: Conv[], tag: string): StepSpec[] => [
        cli(fw!.c('A'), `${tag}: pick-up ACK`),
        cli(fw!.c('FA'), `${tag}: client FIN (FIN_WAIT)`),
        cli(cw!.c('A'), `${tag}: pick-up ACK`),
        cli(cw!.c('FA'), `${tag}: client FIN`),
        srv(cw!.s('A'), `${tag}: server ACK (CLOSE_WAIT)`),
      ];
      return [
        ...setup(a, 'A'),
        pause(2.5),
        ...setup(b, 'B'),
        pause(1.5),
        srv(a[0]!.s('A'), 'A: server ACK 4 s after the FIN: expired, picked up as NEW'),
        srv(a[1]!.s('PA', { payload: 'late' }), 'A: server data in CLOSE_WAIT after 4 s: expired, picked up'),
        srv(b[0]!.s('A'), 'B: server ACK after 1.5 s: CLOSE_WAIT'),
        srv(b[1]!.s('PA', { payload: 'late' }), 'B: server data after 1.5 s: still CLOSE_WAIT'),
      ];
    })(),
  },
  {
    name: 'r_tcp_timeout_3',
    description: 'timeouts of LAST_ACK and TIME_WAIT set to 3 s (connections picked up mid-stream and closed): expired 4 s after entering the state (probe picked up as NEW), alive 1.5 s after',
    tags: ['tcp-state', 'tcp-timeouts', 'expiry'],
    iptables: OBSERVE,
    sysctls: { 'net.netfilter.nf_conntrack_tcp_timeout_last_ack': 3, 'net.netfilter.nf_conntrack_tcp_timeout_time_wait': 3 },
    nondeterministic: EXPIRY,
    steps: (() => {
      const a = [new Conv(C, 33450, S, 80), new Conv(C, 33451, S, 80)];
      const b = [new Conv(C, 33452, S, 80), new Conv(C, 33453, S, 80)];
      const setup = ([la, tw]: Conv[], tag: string): StepSpec[] => [
        cli(la!.c('A'), `${tag}: pick-up ACK`),
        cli(la!.c('FA'), `${tag}: client FIN`),
        srv(la!.s('FA'), `${tag}: server FIN+ACK (LAST_ACK)`),
        cli(tw!.c('A'), `${tag}: pick-up ACK`),
        cli(tw!.c('FA'), `${tag}: client FIN`),
        srv(tw!.s('FA'), `${tag}: server FIN+ACK`),
        cli(tw!.c('A'), `${tag}: last ACK (TIME_WAIT)`),
      ];
      return [
        ...setup(a, 'A'),
        pause(2.5),
        ...setup(b, 'B'),
        pause(1.5),
        cli(a[0]!.c('A'), 'A: last ACK 4 s after LAST_ACK: expired, picked up'),
        cli(a[1]!.c('A'), 'A: ACK 4 s into TIME_WAIT: expired, picked up'),
        cli(b[0]!.c('A'), 'B: last ACK after 1.5 s: TIME_WAIT'),
        cli(b[1]!.c('A'), 'B: ACK 1.5 s into TIME_WAIT: still TIME_WAIT'),
      ];
    })(),
  },
  {
    name: 'r_tcp_timeout_4',
    description: 'nf_conntrack_tcp_timeout_established=3: each packet re-arms the timer (2 s gaps keep the connection), a 4 s gap lets it expire and the next data segment is picked up as a NEW connection',
    tags: ['tcp-state', 'tcp-timeouts', 'expiry'],
    iptables: OBSERVE,
    sysctls: { 'net.netfilter.nf_conntrack_tcp_timeout_established': 3 },
    nondeterministic: EXPIRY,
    steps: (() => {
      const c = new Conv(C, 33460, S, 80);
      return [
        ...hs(c),
        pause(2),
        cli(c.c('PA', { payload: 'after 2 s' }), 'data 2 s later: ESTABLISHED'),
        pause(2),
        srv(c.s('PA', { payload: 'after 4 s' }), 'data 2 s later again: ESTABLISHED'),
        pause(4),
        cli(c.c('PA', { payload: 'after 8 s' }), 'data after a 4 s gap: expired, picked up as NEW'),
        srv(c.s('A'), 'ACK'),
      ];
    })(),
  },

  // ---------------------------------------------------------------- window, SACK, scaling
  tcpScenario('r_tcp_sack_1', 'SACK permitted by both ends: a SACK block whose right edge is beyond the data the server sent is INVALID (the SACK edge is checked like an ACK); a SACK block inside the sent data is fine', ['tcp-sack', 'tcp-window'], (c) => [
    ...hs(c, { cw: { mss: 1460, sackPerm: true }, sw: { mss: 1460, sackPerm: true } }),
    ...((s0: number) => [
      srv(c.s('PA', { payload: 'a'.repeat(500) }), '500 bytes'),
      srv(c.s('PA', { payload: 'b'.repeat(500) }), '500 more'),
      cli(c.c('A', { ack: s0, options: { sack: [[s0 + 500, s0 + 1000]] } }), 'ACK of nothing new + SACK of the second block: fine'),
      cli(c.c('A', { ack: s0, options: { sack: [[s0 + 500, s0 + 90000]] } }), 'SACK up to 90000 bytes beyond: INVALID'),
      cli(c.c('A'), 'cumulative ACK of everything'),
    ])(c.snext),
  ], {}, 33470),
  tcpScenario('r_tcp_sack_2', 'SACK not permitted by the receiver (the server\'s SYN/ACK has no SACK_PERM, the client\'s SYN has it): the client\'s SACK block beyond the sent data is not parsed, only the cumulative ACK is checked: ESTABLISHED', ['tcp-sack', 'tcp-window'], (c) => [
    ...hs(c, { cw: { mss: 1460, sackPerm: true }, sw: { mss: 1460 } }),
    ...((s0: number) => [
      srv(c.s('PA', { payload: 'a'.repeat(500) }), '500 bytes'),
      srv(c.s('PA', { payload: 'b'.repeat(500) }), '500 more'),
      cli(c.c('A', { ack: s0, options: { sack: [[s0 + 500, s0 + 90000]] } }), 'SACK up to 90000 bytes beyond: not looked at'),
      cli(c.c('A'), 'cumulative ACK'),
    ])(c.snext),
  ], {}, 33471),
  tcpScenario('r_tcp_wscale_2', 'window scale 15 in both SYNs is clamped to 14: data 500000 bytes ahead fits the client\'s 1000 << 14 window; window scale only in the SYN (not the SYN/ACK) disables scaling for both directions on a second connection', ['tcp-wscale'], (c) => {
    const d = new Conv(C2, 33473, S, 80);
    return [
      cli(c.c('S', { win: 65535, options: { wscale: 15 } })),
      srv(c.s('SA', { win: 65535, options: { wscale: 15 } })),
      cli(c.c('A', { win: 1000 }), 'client window 1000 << 14'),
      srv(c.s('PA', { payload: 'z'.repeat(100), seq: c.snext + 500000, advance: false, win: 1000 }), '500000 bytes ahead: inside 16384000'),
      cli(d.c('S', { win: 65535, options: { wscale: 7 } }), 'second connection: SYN with window scale 7'),
      srv(d.s('SA', { win: 65535 }), 'SYN/ACK without window scale'),
      cli(d.c('A', { win: 2000 }), 'client window 2000, not scaled'),
      srv(d.s('PA', { payload: 'z'.repeat(100), seq: d.snext + 100000, advance: false }), '100000 bytes ahead: INVALID (no scaling)'),
      srv(d.s('PA', { payload: 'z'.repeat(100) }), 'in-order data'),
    ];
  }, {}, 33472),
  tcpScenario('r_tcp_window_2', 'lower window edge: a retransmission of recent data is ESTABLISHED; a segment whose end lies more than a window before the data already sent is an "overly delayed" packet: ignored, it passes as ESTABLISHED without touching the window', ['tcp-window', 'tcp-retrans'], (c) => [
    cli(c.c('S', { win: 3000 })),
    srv(c.s('SA', { win: 3000 })),
    cli(c.c('A', { win: 3000 })),
    ...((s0: number) => [
      cli(c.c('PA', { payload: 'a'.repeat(1000), win: 3000 }), '1000 bytes'),
      srv(c.s('A', { win: 3000 })),
      cli(c.c('PA', { payload: 'b'.repeat(1000), win: 3000 }), '1000 bytes'),
      srv(c.s('A', { win: 3000 })),
      cli(c.c('PA', { payload: 'c'.repeat(1000), win: 3000 }), '1000 bytes'),
      srv(c.s('A', { win: 3000 })),
      cli(c.c('PA', { payload: 'd'.repeat(1000), win: 3000 }), '1000 bytes'),
      srv(c.s('A', { win: 3000 })),
      cli(c.c('PA', { payload: 'c'.repeat(1000), seq: s0 + 2000, advance: false, win: 3000 }), 'retransmission of the third block: fine'),
      cli(c.c('PA', { payload: 'a'.repeat(100), seq: s0 - 5000, advance: false, win: 3000 }), 'segment ending 4900 bytes before the first data: ignored (ESTABLISHED)'),
    ])(c.cnext),
  ], {}, 33474),
  tcpScenario('r_tcp_ack_1', 'ACK bounds: an ACK a little behind is fine; an ACK more than 66000 (MAXACKWINDOW) behind is ignored as overly delayed (ESTABLISHED, no update); an ACK of data the server never sent is INVALID', ['tcp-window'], (c) => [
    ...hs(c),
    srv(c.s('PA', { payload: 'x'.repeat(200) })),
    cli(c.c('A'), 'ACK'),
    cli(c.c('A', { ack: c.snext - 100 }), 'ACK 100 bytes behind: fine'),
    cli(c.c('A', { ack: c.snext - 70000 }), 'ACK 70000 bytes behind: ignored (ESTABLISHED)'),
    cli(c.c('A', { ack: c.snext + 10 }), 'ACK 10 bytes ahead of what the server sent: INVALID'),
    srv(c.s('PA', { payload: 'y'.repeat(10) }), 'server data'),
    cli(c.c('A'), 'ACK'),
  ], {}, 33475),
  tcpScenario('r_tcp_keepalive_2', 'keep-alives: zero-length and one-byte segments with sequence snd_nxt - 1 from both ends, each answered by a plain ACK: all ESTABLISHED, no state change', ['tcp-keepalive'], (c) => [
    ...hs(c),
    cli(c.c('PA', { payload: 'hi' })),
    srv(c.s('A')),
    cli(c.c('A', { seq: c.cnext - 1, advance: false }), 'keep-alive without data'),
    srv(c.s('A'), 'ACK'),
    cli(c.c('A', { seq: c.cnext - 1, payload: 'i', advance: false }), 'keep-alive with one byte of old data'),
    srv(c.s('A'), 'ACK'),
    srv(c.s('A', { seq: c.snext - 1, advance: false }), 'keep-alive from the server'),
    cli(c.c('A'), 'ACK'),
  ], {}, 33476),

  // ---------------------------------------------------------------- flags, headers, ECN, TFO
  tcpScenario('r_tcp_flags_2', 'invalid TCP flag combinations on an established connection are INVALID and do not change it: FIN without ACK, SYN+FIN, SYN+RST, RST+FIN, SYN+ACK+URG... no flags; FIN+PSH+ACK and ACK+URG are valid', ['tcp-invalid-flags'], (c) => [
    ...hs(c),
    cli(c.c('F', { advance: false }), 'FIN without ACK: INVALID'),
    cli(c.c('SF', { advance: false }), 'SYN+FIN: INVALID'),
    cli(c.c('SR', { advance: false }), 'SYN+RST: INVALID'),
    cli(c.c('RF', { advance: false }), 'RST+FIN: INVALID'),
    cli(c.c('', { advance: false }), 'no flags: INVALID'),
    srv(c.s('SAU', { advance: false }), 'SYN+ACK+URG: INVALID'),
    cli(c.c('AU', { payload: 'u' }), 'ACK+URG: ESTABLISHED'),
    cli(c.c('FPA'), 'FIN+PSH+ACK: FIN_WAIT'),
    srv(c.s('FA'), 'FIN+ACK'),
    cli(c.c('A')),
  ], {}, 33477),
  tcpScenario('r_tcp_header_1', 'broken TCP headers are INVALID before any state is looked at: a data offset of 4 words (less than a header), a data offset of 15 words on a 23-byte segment, a 12-byte segment; forwarded all the same (the filter accepts INVALID); then a good segment', ['tcp-bad-header', 'ct-invalid'], (c) => {
    const raw = (seg: Uint8Array): Uint8Array => ipv4({ src: C, dst: S, proto: 6, payload: seg });
    return [
      ...hs(c),
      cli(ipv4({ src: C, dst: S, payload: tcp({ sport: 33478, dport: 80, flags: 'A', seq: c.cnext, ack: c.snext, dataOffset: 4 }) }), 'data offset 4'),
      cli(ipv4({ src: C, dst: S, payload: tcp({ sport: 33478, dport: 80, flags: 'PA', seq: c.cnext, ack: c.snext, payload: 'abc', dataOffset: 15 }) }), 'data offset 15 on a 23-byte segment'),
      cli(raw(tcp({ sport: 33478, dport: 80, flags: 'A', seq: c.cnext, ack: c.snext }).bytes.slice(0, 12)), '12-byte TCP segment'),
      cli(c.c('PA', { payload: 'fine' }), 'a good segment: ESTABLISHED'),
    ];
  }, {}, 33478),
  tcpScenario('r_tcp_ecn_1', 'ECN negotiation: SYN with ECE+CWR, SYN/ACK with ECE, data with ECT(0) and CWR: an ordinary ESTABLISHED connection', ['tcp-ecn'], (c) => [
    cli(c.c('SEC'), 'ECN-setup SYN'),
    srv(c.s('SAE'), 'ECN-setup SYN/ACK'),
    cli(c.c('A')),
    cli(c.c('PAC', { payload: 'cwr' }), 'data with CWR'),
    srv(c.s('AE'), 'ACK with ECE'),
    cli(c.c('FA')),
  ], {}, 33479),
  tcpScenario('r_tcp_syndata_1', 'SYN carrying data (TCP Fast Open with a cookie option): the SYN/ACK acknowledging the data is accepted, data continues; a SYN/ACK acknowledging only the SYN on a second connection is fine too', ['tcp-fastopen'], (c) => {
    const d = new Conv(C, 33481, S, 80);
    return [
      cli(c.c('S', { payload: 'GET / HTTP/1.1\r\n\r\n', options: { mss: 1460, raw: Uint8Array.of(34, 10, 1, 2, 3, 4, 5, 6, 7, 8) } }), 'SYN with 18 bytes of data and a TFO cookie'),
      srv(c.s('SA'), 'SYN/ACK acknowledging SYN and data'),
      cli(c.c('A')),
      srv(c.s('PA', { payload: 'HTTP/1.1 200 OK\r\n\r\n' })),
      cli(d.c('S', { payload: 'early', options: { raw: Uint8Array.of(34, 2) } }), 'SYN with data and a cookie request'),
      srv(d.s('SA', { ack: d.cnext - 5 }), 'SYN/ACK acknowledging only the SYN'),
      cli(d.c('PA', { payload: 'early', seq: d.cnext - 5, advance: false }), 'data retransmitted after the handshake'),
    ];
  }, {}, 33480),
  tcpScenario('r_tcp_synsent_1', 'in SYN_SENT an ACK without SYN from the server is ignored (half-open connection on the server), the client\'s RST answering it closes the entry; a new SYN then opens normally', ['tcp-half-open'], (c) => [
    cli(c.c('S'), 'SYN'),
    srv(c.s('A', { seq: 9999, ack: 424242, advance: false }), 'ACK from an old half-open session: ignored'),
    cli(tcp4(C, 33482, S, 80, 'R', { seq: 424242 }), 'RST with seq = that ack'),
    cli(c.c('S', { seq: 5555 }), 'SYN again'),
    srv(c.s('SA')),
    cli(c.c('A')),
  ], {}, 33482),
  {
    name: 'r_tcp_maxretrans_2',
    description: 'nf_conntrack_tcp_max_retrans=2, timeout_max_retrans=40 (which also caps the SYN_SENT and SYN_RECV timeouts in the events): the server retransmits unacknowledged data on flow A (final timeout 40 s), on flow B the client ACK after the retransmissions restores the established timeout',
    tags: ['tcp-state', 'tcp-timeouts', 'tcp-retrans'],
    iptables: OBSERVE,
    sysctls: { 'net.netfilter.nf_conntrack_tcp_max_retrans': 2, 'net.netfilter.nf_conntrack_tcp_timeout_max_retrans': 40 },
    steps: (() => {
      const a = new Conv(C, 33483, S, 80);
      const b = new Conv(C, 33484, S, 80);
      const retrans = (c: Conv, tag: string): StepSpec[] => ((seq: number) => [1, 2, 3, 4].map((k) => srv(c.s('PA', { payload: 'response', seq, advance: k === 4 }), `${tag}: transmission ${k}`)))(c.snext);
      return [...hs(a), ...retrans(a, 'A'), ...hs(b), ...retrans(b, 'B'), cli(b.c('A'), 'B: ACK of the data')];
    })(),
  },
];
