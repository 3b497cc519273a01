/**
 * UDP stream detection (ASSURED only for a packet more than 2 s after the first, once a reply was
 * seen), UDP and ICMP timeouts with expiry, and ICMP errors about tracked connections: RELATED
 * errors with their embedded header translated back through MASQUERADE / DNAT, errors about
 * unknown flows (INVALID), truncated quotes, errors about echo requests, echo replies without a
 * request.
 */

import { cli, Conv, echo4, icmpErr4, ipt, pause, srv, statefulForward, tcp4, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.60';
const HOP = '198.51.100.1';

/** Stateful forwarding with MASQUERADE to the WAN and a DNAT of udp/5060 and tcp/8080 to the DMZ. */
const NAT = ipt({
  nat: {
    rules: [
      '-A PREROUTING -i r_wan -p udp --dport 5060 -j DNAT --to-destination 10.0.2.100',
      '-A PREROUTING -i r_wan -p tcp --dport 8080 -j DNAT --to-destination 10.0.2.100:80',
      '-A POSTROUTING -o r_wan -j MASQUERADE',
    ],
  },
  filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT', '-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT']),
});

const OPEN = ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j ACCEPT', '-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT', '-A FORWARD -j ACCEPT'] } });

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_udp_stream_1',
    description: 'UDP ASSURED boundary: request/reply, a packet 1.5 s after the first (not assured), one 2.6 s after the first (assured, timeout_stream)',
    tags: ['udp-stream'],
    iptables: OPEN,
    steps: [
      cli(udp4(C, 60000, W, 4500, 'ike 1'), 'request'),
      wan(udp4(W, 4500, C, 60000, 'ike 2'), 'reply: SEEN_REPLY'),
      pause(1.5),
      cli(udp4(C, 60000, W, 4500, 'ike 3'), '1.5 s: not a stream yet'),
      pause(1.1),
      cli(udp4(C, 60000, W, 4500, 'ike 4'), '2.6 s: ASSURED'),
      wan(udp4(W, 4500, C, 60000, 'ike 5'), 'reply'),
    ],
  },
  {
    name: 'r_udp_stream_2',
    description: 'UDP without replies is never ASSURED however long it lasts; then a first reply after 2.6 s and one more packet',
    tags: ['udp-stream'],
    iptables: OPEN,
    steps: [
      cli(udp4(C, 60001, W, 514, 'log 1')),
      pause(1.3),
      cli(udp4(C, 60001, W, 514, 'log 2')),
      pause(1.3),
      cli(udp4(C, 60001, W, 514, 'log 3'), '2.6 s, no reply: not assured'),
      wan(udp4(W, 514, C, 60001, 'first reply'), 'first reply after 2.6 s'),
      cli(udp4(C, 60001, W, 514, 'log 4'), 'next packet'),
    ],
  },
  {
    name: 'r_udp_timeout_1',
    description: 'nf_conntrack_udp_timeout=1: the entry expires between packets, the next packet of the flow is NEW again (expiry reaped by the kernel: DESTROY lines not compared)',
    tags: ['expiry'],
    iptables: OPEN,
    sysctls: { 'net.netfilter.nf_conntrack_udp_timeout': 1 },
    nondeterministic: { ignore_destroy_events: true },
    steps: [
      cli(udp4(C, 60002, W, 53, 'q1')),
      pause(2.5),
      cli(udp4(C, 60002, W, 53, 'q2'), 'after 2.5 s: NEW again'),
      wan(udp4(W, 53, C, 60002, 'a2')),
    ],
  },
  {
    name: 'r_icmp_related_1',
    description: 'fragmentation needed from a WAN hop for a MASQUERADEd TCP connection: RELATED, outer destination and embedded source translated back to the LAN host, checksums fixed',
    tags: ['ct-related', 'nat', 'pmtu'],
    iptables: NAT,
    steps: (() => {
      const c = new Conv(C, 45000, W, 443, { cPub: [R_WAN, 45000] });
      const hs = [cli(c.c('S')), wan(c.s('SA')), cli(c.c('A'))];
      const big = tcp4(R_WAN, 45000, W, 443, 'PA', { seq: c.cnext, ack: c.snext, payload: 'x'.repeat(1400), ttl: 62, df: true });
      return [
        ...hs,
        cli(c.c('PA', { payload: 'x'.repeat(1400) }), 'big segment'),
        wan(icmpErr4(HOP, R_WAN, 3, 4, big, { rest: 1280 }), 'frag needed, mtu 1280, quoting the NATed segment'),
        wan(icmpErr4(HOP, R_WAN, 3, 4, big, { rest: 1000, quoteLen: 20 + 8 }), 'the same with only 8 bytes of TCP quoted'),
      ];
    })(),
  },
  {
    name: 'r_icmp_related_2',
    description: 'port unreachable from a DMZ server for a DNATed UDP flow: RELATED, leaves towards the WAN client with the embedded destination translated back to the public address',
    tags: ['ct-related', 'nat', 'dnat'],
    iptables: NAT,
    steps: [
      wan(udp4(W, 61000, R_WAN, 5060, 'INVITE'), 'SIP to the public address: DNAT'),
      srv(icmpErr4(S, W, 3, 3, udp4(W, 61000, S, 5060, 'INVITE', { ttl: 63 }), { quoteLen: 36 }), 'port unreachable from the server'),
      wan(tcp4(W, 61001, R_WAN, 8080, 'S'), 'SYN to 8080: DNAT to :80'),
      srv(icmpErr4(S, W, 3, 1, tcp4(W, 61001, S, 80, 'S', { ttl: 63 })), 'host unreachable for it'),
    ],
  },
  {
    name: 'r_icmp_related_3',
    description: 'traceroute through MASQUERADE: a UDP probe with TTL 1 gets time exceeded from the router itself; TTL 2 passes and the next hop\'s time exceeded (to the public address) is RELATED and translated back',
    tags: ['ct-related', 'nat', 'time-exceeded'],
    iptables: NAT,
    steps: [
      cli(udp4(C, 62000, W, 33434, 'probe', { ttl: 1 }), 'TTL 1: time exceeded from 10.0.1.1'),
      cli(udp4(C, 62001, W, 33435, 'probe', { ttl: 2 }), 'TTL 2: leaves with TTL 1'),
      wan(icmpErr4(HOP, R_WAN, 11, 0, udp4(R_WAN, 62001, W, 33435, 'probe', { ttl: 1 }), { quoteLen: 33 }), 'time exceeded from the next hop'),
      cli(echo4(C, W, 0x777, 1, { ttl: 2 }), 'ICMP traceroute probe'),
      wan(icmpErr4(HOP, R_WAN, 11, 0, echo4(R_WAN, W, 0x777, 1, { ttl: 1 })), 'time exceeded about the echo: RELATED to the echo connection'),
    ],
  },
  {
    name: 'r_icmp_invalid_1',
    description: 'ICMP errors that match nothing: about an unknown flow (INVALID), with a quote too short for the ports, about an ICMP error, with a bad ICMP checksum; an echo reply without a request',
    tags: ['ct-invalid'],
    iptables: OPEN,
    steps: [
      wan(icmpErr4(HOP, C, 3, 3, udp4(C, 63000, W, 53, 'q', { ttl: 63 })), 'error about a flow that does not exist'),
      cli(udp4(C, 63001, W, 53, 'q'), 'a real flow'),
      wan(icmpErr4(HOP, C, 3, 3, udp4(C, 63001, W, 53, 'q', { ttl: 63 }), { quoteLen: 24 }), 'error quoting only 4 bytes of UDP'),
      wan(icmpErr4(HOP, C, 3, 3, udp4(C, 63001, W, 53, 'q', { ttl: 63 })), 'proper error: RELATED'),
      wan(icmpErr4(HOP, C, 3, 3, icmpErr4(C, HOP, 3, 3, udp4(HOP, 1, C, 2, 'z'))), 'error about an error'),
      wan(echo4(W, C, 0x99, 1, { reply: true }), 'echo reply without request'),
    ],
  },
  {
    name: 'r_icmp_timeout_1',
    description: 'nf_conntrack_icmp_timeout=1: echo request/reply, expiry, a late reply is INVALID; a new request is NEW again (DESTROY lines not compared)',
    tags: ['expiry', 'icmp'],
    iptables: OPEN,
    sysctls: { 'net.netfilter.nf_conntrack_icmp_timeout': 1 },
    nondeterministic: { ignore_destroy_events: true },
    steps: [
      cli(echo4(C, W, 5, 1)),
      wan(echo4(W, C, 5, 1, { reply: true })),
      cli(echo4(C, W, 5, 2), 'second request: established'),
      pause(2.2),
      wan(echo4(W, C, 5, 2, { reply: true }), 'late reply after expiry'),
      cli(echo4(C, W, 5, 3), 'new request: NEW'),
    ],
  },
];
