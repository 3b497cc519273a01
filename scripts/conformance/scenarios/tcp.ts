/**
 * Corners of conntrack's TCP state machine and window tracking: reset during the handshake and
 * reopening, simultaneous close, odd packets in SYN_SENT, half-close with data, segments beyond
 * the window and acks of unsent data, zero-window probes, SYN retransmission with a new ISN,
 * wrong SYN/ACK acks, the max_retrans and unacknowledged timeouts, data before the final ACK,
 * SYN/ACK retransmissions, window scaling limits.
 *
 * The filter accepts everything but counts packets by conntrack state, so each packet's state
 * shows in `rules` too and invalid packets still pass (their effect on later packets is seen).
 */

import { cli, Conv, ipt, pause, srv } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
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

/** A TCP scenario on one LAN -> DMZ conversation. */
function tcpScenario(name: string, description: string, build: (c: Conv) => ReturnType<typeof cli>[], extra: Partial<ScenarioSpec> = {}): ScenarioSpec {
  return { name, description, tags: ['tcp-state', ...(extra.tags ?? [])], iptables: OBSERVE, ...extra, steps: build(new Conv(C, 33333, S, 80)) };
}

export const scenarios: ScenarioSpec[] = [
  tcpScenario('r_tcp_state_1', 'RST from the server during the handshake (SYN_RECV -> CLOSE), then the same tuple reopens with a new SYN', (c) => [
    cli(c.c('S'), 'SYN'),
    srv(c.s('SA'), 'SYN/ACK'),
    srv(c.s('R'), 'RST from the server'),
    cli(c.c('A'), 'late ACK of the old handshake'),
    cli(c.c('S', { seq: 90000 }), 'new SYN, new ISN'),
    srv(c.s('SA', { seq: 70000 }), 'SYN/ACK'),
    cli(c.c('A'), 'ACK'),
  ]),
  tcpScenario('r_tcp_state_2', 'simultaneous close: both FINs cross before either is acknowledged (CLOSING), then the ACKs (TIME_WAIT)', (c) => [
    cli(c.c('S')),
    srv(c.s('SA')),
    cli(c.c('A')),
    cli(c.c('PA', { payload: 'bye' }), 'data'),
    srv(c.s('A'), 'ACK'),
    cli(c.c('FA'), 'client FIN'),
    srv(c.s('FA', { ack: c.cnext - 1 }), 'server FIN crossing it (acks the data, not the FIN)'),
    cli(c.c('A'), 'client ACKs the server FIN'),
    srv(c.s('A'), 'server ACKs the client FIN'),
  ]),
  tcpScenario('r_tcp_state_3', 'odd packets in SYN_SENT: a FIN, a data segment and an ACK from the client before any SYN/ACK, then an in-window RST; a new SYN', (c) => [
    cli(c.c('S'), 'SYN'),
    cli(c.c('FA', { ack: 0, advance: false }), 'FIN+ACK with ack 0 before the SYN/ACK'),
    cli(c.c('PA', { payload: 'early', ack: 0, advance: false }), 'data before the SYN/ACK'),
    srv(c.s('A', { ack: c.cnext }), 'ACK without SYN from the server'),
    cli(c.c('R', { advance: false }), 'RST from the client'),
    cli(c.c('S', { seq: 44444 }), 'new SYN'),
  ]),
  tcpScenario('r_tcp_state_4', 'half close: the client FINs, the server keeps sending (CLOSE_WAIT), then FINs (LAST_ACK -> TIME_WAIT); a retransmitted FIN in TIME_WAIT', (c) => [
    cli(c.c('S')),
    srv(c.s('SA')),
    cli(c.c('A')),
    cli(c.c('FA'), 'client FIN'),
    srv(c.s('A'), 'server ACK: CLOSE_WAIT'),
    srv(c.s('PA', { payload: 'x'.repeat(100) }), 'server data after the client FIN'),
    cli(c.c('A'), 'client ACK'),
    srv(c.s('PA', { payload: 'y'.repeat(100) }), 'more data'),
    cli(c.c('A')),
    ...((fin: number) => [
      srv(c.s('FA'), 'server FIN: LAST_ACK'),
      cli(c.c('A'), 'final ACK: TIME_WAIT'),
      srv(c.s('FA', { seq: fin, advance: false }), 'retransmitted FIN in TIME_WAIT'),
      cli(c.c('A'), 'ACK again'),
    ])(c.snext),
  ]),
  tcpScenario('r_tcp_window_1', 'window tracking: a segment far beyond the window (INVALID), an ACK of data never sent (INVALID), a zero window and a 1-byte probe, data right up to the window edge', (c) => [
    cli(c.c('S', { win: 2000 })),
    srv(c.s('SA', { win: 1000 })),
    cli(c.c('A', { win: 2000 })),
    cli(c.c('PA', { payload: 'a'.repeat(100), seq: c.cnext + 5000, advance: false, win: 2000 }), 'data 5000 bytes beyond the window'),
    cli(c.c('A', { ack: c.snext + 100000, win: 2000 }), 'ACK of data the server never sent'),
    cli(c.c('PA', { payload: 'b'.repeat(1000), win: 2000 }), 'data filling the server window (1000)'),
    srv(c.s('A', { win: 0 }), 'server ACK, window 0'),
    cli(c.c('A', { payload: 'c', win: 2000 }), 'zero-window probe of 1 byte'),
    srv(c.s('A', { win: 1000, ack: c.cnext - 1 }), 'server: window open again, probe not acked'),
    cli(c.c('PA', { payload: 'd'.repeat(1000), seq: c.cnext - 1, advance: false, win: 2000 }), 'data from the probe byte to the edge'),
  ]),
  tcpScenario('r_tcp_state_5', 'SYN retransmitted with a different ISN in SYN_SENT; a SYN/ACK acking the old ISN (INVALID); the right SYN/ACK', (c) => [
    cli(c.c('S', { seq: 1000 }), 'SYN ISN 1000'),
    cli(c.c('S', { seq: 7000 }), 'SYN again with ISN 7000'),
    srv(c.s('SA', { ack: 1001, advance: false }), 'SYN/ACK acking ISN 1000'),
    srv(c.s('SA', { ack: 7001 }), 'SYN/ACK acking ISN 7000'),
    cli(c.c('A'), 'ACK'),
  ]),
  tcpScenario(
    'r_tcp_maxretrans_1',
    'nf_conntrack_tcp_max_retrans=3: the same unacknowledged segment sent 4 times lowers the timeout to timeout_max_retrans (set to 50)',
    (c) => [
      cli(c.c('S')),
      srv(c.s('SA')),
      cli(c.c('A')),
      ...((seq: number) => [1, 2, 3, 4, 5].map((k) => cli(c.c('PA', { payload: 'retransmit me', seq, advance: k === 5 }), `transmission ${k}`)))(c.cnext),
    ],
    { sysctls: { 'net.netfilter.nf_conntrack_tcp_max_retrans': 3, 'net.netfilter.nf_conntrack_tcp_timeout_max_retrans': 50 }, tags: ['tcp-timeouts'] },
  ),
  {
    name: 'r_tcp_unacked_1',
    description: 'timeout_unacknowledged (set to 90): a connection with unacknowledged data keeps the short timeout, an acknowledged one gets timeout_established (set to 7200)',
    tags: ['tcp-state', 'tcp-timeouts'],
    iptables: OBSERVE,
    sysctls: { 'net.netfilter.nf_conntrack_tcp_timeout_unacknowledged': 90, 'net.netfilter.nf_conntrack_tcp_timeout_established': 7200 },
    steps: (() => {
      const a = new Conv(C, 34001, S, 80);
      const b = new Conv(C, 34002, S, 80);
      return [
        cli(a.c('S')), srv(a.s('SA')), cli(a.c('A')),
        cli(a.c('PA', { payload: 'never acked' }), 'a: data, no ACK follows'),
        cli(b.c('S')), srv(b.s('SA')), cli(b.c('A')),
        cli(b.c('PA', { payload: 'acked' }), 'b: data'),
        srv(b.s('A'), 'b: ACK'),
      ];
    })(),
  },
  tcpScenario('r_tcp_state_6', 'data before the handshake completes: the client sends data with its first ACK; the server answers; a duplicate SYN/ACK afterwards', (c) => [
    cli(c.c('S', { options: { mss: 1460, sackPerm: true, ts: [100, 0] } })),
    srv(c.s('SA', { options: { mss: 1460, sackPerm: true, ts: [900, 100] } })),
    ...((synack: number) => [
      cli(c.c('PA', { payload: 'GET / HTTP/1.1\r\n\r\n', options: { ts: [101, 900] } }), 'data carrying the handshake ACK'),
      srv(c.s('PA', { payload: 'HTTP/1.1 200 OK\r\n\r\n', options: { ts: [901, 101] } }), 'response'),
      srv(c.s('SA', { seq: synack, ack: 1001, advance: false, options: { mss: 1460, sackPerm: true, ts: [902, 100] } }), 'a stale duplicate SYN/ACK'),
      cli(c.c('A', { options: { ts: [102, 901] } }), 'ACK'),
    ])(c.snext - 1),
  ]),
  tcpScenario('r_tcp_wscale_1', 'window scaling (client 7, server 2): data beyond the unscaled window but inside the scaled one passes as ESTABLISHED; beyond the scaled window is INVALID', (c) => [
    cli(c.c('S', { win: 65535, options: { wscale: 7 } })),
    srv(c.s('SA', { win: 65535, options: { wscale: 2 } })),
    cli(c.c('A', { win: 1000 }), 'client window 1000 << 7 = 128000'),
    srv(c.s('PA', { payload: 'z'.repeat(1200), seq: c.snext + 70000, advance: false, win: 16000 }), 'server data 70000 bytes ahead (inside 128000)'),
    srv(c.s('PA', { payload: 'z'.repeat(1200), seq: c.snext + 140000, advance: false, win: 16000 }), 'server data 140000 bytes ahead (outside)'),
    srv(c.s('PA', { payload: 'w'.repeat(100), win: 16000 }), 'in-order data'),
    cli(c.c('A', { win: 1000 }), 'ACK'),
  ]),
  tcpScenario('r_tcp_close_1', 'RST with ACK from the client in ESTABLISHED (exact sequence): CLOSE; then data from the server after the reset, and a new SYN from the client', (c) => [
    cli(c.c('S')),
    srv(c.s('SA')),
    cli(c.c('A')),
    srv(c.s('PA', { payload: 'banner' })),
    cli(c.c('RA'), 'RST+ACK'),
    srv(c.s('PA', { payload: 'late' }), 'server data after the RST'),
    pause(0.2),
    cli(c.c('S', { seq: 555555 }), 'new SYN on the closed tuple'),
  ]),
];
