/**
 * Round 2, IPv6: NAT66 variants (MASQUERADE, SNAT to a range, DNAT with a port, NETMAP), ICMPv6
 * errors about tracked (and NATed) flows, ip6tables REJECT types on FORWARD and INPUT, extension
 * headers in front of tracked TCP / UDP, fragments through conntrack (nf_defrag_ipv6: out of
 * order, atomic fragments, a fragmented reply), the router's own ICMPv6 errors when forwarding.
 */

import { fragmentIpv6, icmpv6Echo, icmpv6Error, ipv6, tcp, udp, type Ipv6Ext } from '../../../src/packet/build.js';
import { cli, ipt, srv, wan } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C6 = 'fd00:1::100';
const C6b = 'fd00:1::101';
const S6 = 'fd00:2::100';
const W6 = '2001:db8::170';
const W6b = '2001:db8::171';
const R6_WAN = 'fd00:3::1';
const HOP6 = '2001:db8::1';

function tcp6(src: string, sport: number, dst: string, dport: number, flags: string, o: { seq?: number; ack?: number; payload?: string; ext?: Ipv6Ext[]; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, ext: o.ext, hopLimit: o.hopLimit, payload: tcp({ sport, dport, flags, seq: o.seq ?? 1000, ack: o.ack ?? 0, payload: o.payload }) });
}
function udp6(src: string, sport: number, dst: string, dport: number, payload = 'data', o: { ext?: Ipv6Ext[]; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, ext: o.ext, hopLimit: o.hopLimit, payload: udp({ sport, dport, payload }) });
}
function echo6(src: string, dst: string, id: number, seq: number, o: { reply?: boolean; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, hopLimit: o.hopLimit, payload: icmpv6Echo({ id, seq, reply: o.reply, payload: 'abcdefgh' }) });
}
function err6(src: string, dst: string, type: number, code: number, quote: Uint8Array, rest = 0): Uint8Array {
  return ipv6({ src, dst, payload: icmpv6Error({ type, code, quote, rest }) });
}

const STATEFUL6 = (extra: string[] = []) => ({
  policies: { FORWARD: 'DROP' },
  rules: [
    '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A FORWARD -i r_cli -j ACCEPT',
    '-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT',
    ...extra,
  ],
});

const opt = (type: number, len: number): Uint8Array => Uint8Array.from([type, len, ...new Uint8Array(len)]);

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_r2_ipv6_nat66_1',
    description: 'NAT66 MASQUERADE: UDP and TCP out of r_wan get source fd00:3::1; a destination-unreachable (port) from the WAN host about the NATed UDP flow is RELATED and its quoted packet is translated back to fd00:1::100; a packet-too-big from a WAN router about the TCP flow too',
    tags: ['ipv6', 'ip6tables', 'nat', 'nat66', 'masquerade', 'icmpv6', 'ct-related'],
    ipv6: true,
    ip6tables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: STATEFUL6() }),
    steps: [
      cli(udp6(C6, 5100, W6, 53, 'q'), 'UDP out: masqueraded'),
      wan(err6(W6, R6_WAN, 1, 4, udp6(R6_WAN, 5100, W6, 53, 'q')), 'port unreachable about it: RELATED, to fd00:1::100'),
      cli(tcp6(C6, 5101, W6, 80, 'S'), 'SYN out'),
      wan(tcp6(W6, 80, R6_WAN, 5101, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK'),
      cli(tcp6(C6, 5101, W6, 80, 'PA', { seq: 1001, ack: 5001, payload: 'GET / HTTP/1.0\r\n\r\n' }), 'data'),
      wan(err6(HOP6, R6_WAN, 2, 0, tcp6(R6_WAN, 5101, W6, 80, 'PA', { seq: 1001, ack: 5001, payload: 'GET / HTTP/1.0\r\n\r\n' }), 1280), 'packet too big from a WAN router: RELATED, translated'),
      wan(err6(W6, R6_WAN, 1, 4, udp6(R6_WAN, 5199, W6, 53, 'q')), 'error about no flow: INVALID, dropped'),
    ],
  },
  {
    name: 'r_r2_ipv6_nat66_2',
    description: 'NAT66 SNAT to an address range fd00:3::120-fd00:3::121 with --persistent: both flows of one client get the same address; DNAT with a port ([fd00:2::100]:8080) for the WAN; replies translated back',
    tags: ['ipv6', 'ip6tables', 'nat', 'nat66', 'snat', 'dnat', 'nat-range', 'nat-persistent'],
    ipv6: true,
    ip6tables: ipt({
      nat: {
        rules: [
          '-A PREROUTING -i r_wan -d fd00:3::1 -p tcp --dport 80 -j DNAT --to-destination [fd00:2::100]:8080',
          '-A POSTROUTING -o r_wan -s fd00:1::/64 -j SNAT --to-source fd00:3::120-fd00:3::121 --persistent',
        ],
      },
      filter: STATEFUL6(),
    }),
    steps: [
      cli(udp6(C6, 5200, W6, 53, 'a'), '.100 flow 1'),
      cli(udp6(C6, 5201, W6b, 53, 'b'), '.100 flow 2: same address'),
      cli(udp6(C6b, 5202, W6, 53, 'c'), '.101'),
      wan(tcp6(W6, 5203, R6_WAN, 80, 'S'), 'to :80: DNAT'),
      srv(tcp6(S6, 8080, W6, 5203, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK from 8080: back to fd00:3::1:80'),
      wan(tcp6(W6, 5203, R6_WAN, 80, 'A', { seq: 1001, ack: 5001 }), 'ACK'),
    ],
  },
  {
    name: 'r_r2_ipv6_nat66_3',
    description: 'NAT66 NETMAP: the prefix fd00:1::/64 mapped to 2001:db8:aa::/64 on the way out (the host part kept), the replies to 2001:db8:aa::100 mapped back; inbound DNAT NETMAP of 2001:db8:bb::/64 to fd00:2::/64',
    tags: ['ipv6', 'ip6tables', 'nat', 'nat66', 'netmap'],
    ipv6: true,
    ip6tables: ipt({
      nat: {
        rules: [
          '-A POSTROUTING -o r_wan -s fd00:1::/64 -j NETMAP --to 2001:db8:aa::/64',
          '-A PREROUTING -i r_wan -d 2001:db8:bb::/64 -j NETMAP --to fd00:2::/64',
        ],
      },
      filter: STATEFUL6(),
    }),
    steps: [
      cli(udp6(C6, 5300, W6, 53, 'q'), 'out: source 2001:db8:aa::100'),
      wan(udp6(W6, 53, '2001:db8:aa::100', 5300, 'r'), 'reply: to fd00:1::100'),
      cli(udp6(C6b, 5301, W6, 53, 'q'), '.101 out: 2001:db8:aa::101'),
      wan(tcp6(W6, 5302, '2001:db8:bb::100', 22, 'S'), 'in to 2001:db8:bb::100: to fd00:2::100'),
      srv(tcp6(S6, 22, W6, 5302, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: source back to 2001:db8:bb::100'),
    ],
  },
  {
    name: 'r_r2_ipv6_nat66_4',
    description: 'NAT66 REDIRECT of TCP port 80 from the LAN to the router\'s port 3128 (fd00:1::1, closed: the router\'s RST is translated back to port 80), and MASQUERADE of ICMPv6 echo (the echo id kept) with the reply translated back',
    tags: ['ipv6', 'ip6tables', 'nat', 'nat66', 'redirect', 'masquerade', 'icmpv6'],
    ipv6: true,
    ip6tables: ipt({
      nat: { rules: ['-A PREROUTING -i r_cli -p tcp --dport 80 -j REDIRECT --to-ports 3128', '-A POSTROUTING -o r_wan -j MASQUERADE'] },
      filter: STATEFUL6(),
    }),
    steps: [
      cli(tcp6(C6, 5400, W6, 80, 'S'), 'SYN to :80: redirected to [fd00:1::1]:3128, RST back'),
      cli(echo6(C6, W6, 77, 1), 'echo out: masqueraded'),
      wan(echo6(W6, R6_WAN, 77, 1, { reply: true }), 'echo reply: to fd00:1::100'),
      cli(echo6(C6, W6, 77, 2), 'echo 2'),
    ],
  },
  {
    name: 'r_r2_ipv6_icmperr_1',
    description: 'ICMPv6 errors about tracked flows without NAT: time exceeded from a router on the way about a forwarded UDP flow, parameter problem about a TCP segment, destination unreachable (admin) about an echo request; an error quoting the reply direction; an error about an unknown flow INVALID',
    tags: ['ipv6', 'icmpv6', 'ct-related', 'ct-invalid', 'ip6tables'],
    ipv6: true,
    ip6tables: ipt({ filter: STATEFUL6() }),
    steps: [
      cli(udp6(C6, 5500, W6, 33434, 'trace'), 'UDP out'),
      wan(err6(HOP6, C6, 3, 0, udp6(C6, 5500, W6, 33434, 'trace')), 'time exceeded from 2001:db8::1: RELATED'),
      cli(tcp6(C6, 5501, W6, 80, 'S'), 'SYN'),
      wan(err6(W6, C6, 4, 0, tcp6(C6, 5501, W6, 80, 'S'), 40), 'parameter problem about the SYN: RELATED'),
      cli(echo6(C6, W6, 88, 1), 'echo request'),
      wan(err6(W6, C6, 1, 1, echo6(C6, W6, 88, 1)), 'admin prohibited about the echo: RELATED'),
      wan(udp6(W6, 33434, C6, 5500, 'back'), 'reply on the UDP flow'),
      cli(err6(C6, W6, 1, 4, udp6(W6, 33434, C6, 5500, 'back')), 'LAN port unreachable about the reply: RELATED (reply direction)'),
      wan(err6(W6, C6, 1, 4, udp6(C6, 5599, W6, 53, 'x')), 'error about an unknown flow: INVALID'),
    ],
  },
  {
    name: 'r_r2_ipv6_reject_1',
    description: 'ip6tables REJECT types on FORWARD: icmp6-no-route, icmp6-adm-prohibited, icmp6-addr-unreachable, icmp6-port-unreachable, tcp-reset; and on INPUT the default (port unreachable) from fd00:1::1',
    tags: ['ipv6', 'ip6tables', 'reject', 'router-generated', 'icmpv6'],
    ipv6: true,
    ip6tables: ipt({
      filter: {
        rules: [
          '-A FORWARD -p udp --dport 1 -j REJECT --reject-with icmp6-no-route',
          '-A FORWARD -p udp --dport 2 -j REJECT --reject-with icmp6-adm-prohibited',
          '-A FORWARD -p udp --dport 3 -j REJECT --reject-with icmp6-addr-unreachable',
          '-A FORWARD -p udp --dport 4 -j REJECT --reject-with icmp6-port-unreachable',
          '-A FORWARD -p tcp --dport 5 -j REJECT --reject-with tcp-reset',
          '-A INPUT -p udp --dport 6 -j REJECT',
          '-A INPUT -p tcp --dport 7 -j REJECT --reject-with tcp-reset',
        ],
      },
    }),
    steps: [
      cli(udp6(C6, 5601, W6, 1), 'no-route'),
      cli(udp6(C6, 5602, W6, 2), 'adm-prohibited'),
      cli(udp6(C6, 5603, W6, 3), 'addr-unreachable'),
      cli(udp6(C6, 5604, W6, 4), 'port-unreachable'),
      cli(tcp6(C6, 5605, W6, 5, 'S'), 'tcp-reset'),
      cli(tcp6(C6, 5606, W6, 5, 'PA', { seq: 3000, ack: 4000, payload: 'xyz' }), 'tcp-reset for a data segment: seq from the ACK'),
      cli(udp6(C6, 5607, 'fd00:1::1', 6), 'to the router: port unreachable'),
      cli(tcp6(C6, 5608, 'fd00:1::1', 7, 'S'), 'to the router: reset'),
    ],
  },
  {
    name: 'r_r2_ipv6_ext_1',
    description: 'extension headers in front of tracked traffic: a TCP handshake whose SYN has hop-by-hop and destination options, a routing header type 2 (segments left 0) on the ACK, a UDP datagram behind a destination-options header; conntrack finds the transport header behind them (same connection)',
    tags: ['ipv6', 'ipv6-exthdr', 'tcp', 'udp'],
    ipv6: true,
    ip6tables: ipt({ filter: STATEFUL6() }),
    steps: [
      cli(tcp6(C6, 5700, W6, 80, 'S', { ext: [{ type: 'hop', options: opt(1, 4) }, { type: 'dst', options: opt(1, 4) }] }), 'SYN behind HBH + DST'),
      wan(tcp6(W6, 80, C6, 5700, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK'),
      cli(tcp6(C6, 5700, W6, 80, 'A', { seq: 1001, ack: 5001, ext: [{ type: 'routing', routingType: 2, segmentsLeft: 0, addresses: ['fd00:1::100'] }] }), 'ACK behind a routing header'),
      cli(udp6(C6, 5701, W6, 53, 'q', { ext: [{ type: 'dst', options: opt(1, 4) }] }), 'UDP behind DST'),
      wan(udp6(W6, 53, C6, 5701, 'r', { ext: [{ type: 'hop', options: opt(1, 4) }] }), 'reply behind HBH: ESTABLISHED'),
    ],
  },
  (() => {
    const big = udp6(C6, 5800, W6, 5001, 'F'.repeat(1500));
    const frags = fragmentIpv6(big, 0x1234, 800);
    const rep = udp6(W6, 5001, C6, 5800, 'R'.repeat(1500));
    const rfr = fragmentIpv6(rep, 0x5678, 800);
    return {
      name: 'r_r2_ipv6_frag_1',
      description: 'fragments through conntrack (nf_defrag_ipv6): a UDP datagram in two fragments sent out of order (last first) is reassembled, tracked as NEW and forwarded as the original fragments; the fragmented reply is ESTABLISHED',
      tags: ['ipv6', 'fragments', 'udp', 'ip6tables'],
      ipv6: true,
      ip6tables: ipt({ filter: STATEFUL6() }),
      steps: [
        ...frags.slice().reverse().map((f, k) => cli(f, `fragment ${frags.length - k} of the request`)),
        ...rfr.map((f, k) => wan(f, `fragment ${k + 1} of the reply`)),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_r2_ipv6_frag_2',
    description: 'an atomic fragment (fragment header, offset 0, M=0) carrying a UDP datagram is tracked like an unfragmented one (NEW, then its reply ESTABLISHED); a lone first fragment (M=1) is held for reassembly and never seen by conntrack',
    tags: ['ipv6', 'fragments', 'atomic-fragment', 'udp'],
    ipv6: true,
    ip6tables: ipt({ filter: STATEFUL6() }),
    steps: [
      cli(udp6(C6, 5900, W6, 53, 'atomic', { ext: [{ type: 'fragment', offset: 0, more: false, id: 0x99 }] }), 'atomic fragment: NEW'),
      wan(udp6(W6, 53, C6, 5900, 'reply'), 'reply: ESTABLISHED'),
      cli(fragmentIpv6(udp6(C6, 5901, W6, 53, 'P'.repeat(1200)), 0x77, 600)[0]!, 'first fragment only: held'),
      cli(udp6(C6, 5902, W6, 53, 'plain'), 'plain UDP: NEW'),
    ],
  },
  {
    name: 'r_r2_ipv6_host_1',
    description: 'the router\'s ICMPv6 errors while forwarding: hop limit 1 gives time exceeded (from fd00:1::1) about a tracked flow (RELATED in OUTPUT), a destination without route (no default route) gives no-route unreachable; hop limit 1 on an echo to the router itself is answered',
    tags: ['ipv6', 'host-answers', 'router-generated', 'time-exceeded', 'no-route', 'icmpv6'],
    ipv6: true,
    defaultRoute: false,
    ip6tables: ipt({ filter: { rules: ['-A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT', '-A OUTPUT -m conntrack --ctstate NEW -j ACCEPT'] } }),
    steps: [
      cli(udp6(C6, 6000, S6, 53, 'q'), 'to the server: NEW'),
      cli(udp6(C6, 6000, S6, 53, 'q2', { hopLimit: 1 }), 'same flow, hop limit 1: time exceeded'),
      cli(tcp6(C6, 6001, S6, 80, 'S', { hopLimit: 1 }), 'new SYN with hop limit 1: time exceeded'),
      cli(udp6(C6, 6002, W6, 53, 'q'), 'off-link without route: unreachable no route'),
      cli(echo6(C6, 'fd00:1::1', 5, 1, { hopLimit: 1 }), 'echo to the router with hop limit 1: answered'),
    ],
  },
  {
    name: 'r_r2_ipv6_host_2',
    description: 'time exceeded for a NATed IPv6 flow: a WAN packet to fd00:3::1:8080 is DNATed to fd00:2::100 and expires at the router (hop limit 1); the router\'s error quotes the packet as it arrived (destination fd00:3::1) because conntrack reverses the NAT in the quote',
    tags: ['ipv6', 'host-answers', 'router-generated', 'time-exceeded', 'nat', 'nat66', 'dnat'],
    ipv6: true,
    ip6tables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -p udp --dport 8080 -j DNAT --to-destination fd00:2::100'] }, filter: STATEFUL6() }),
    steps: [
      wan(udp6(W6, 6100, R6_WAN, 8080, 'x'), 'DNATed, forwarded'),
      wan(udp6(W6, 6100, R6_WAN, 8080, 'y', { hopLimit: 1 }), 'same flow with hop limit 1: time exceeded'),
      wan(udp6(W6, 6101, R6_WAN, 8080, 'z', { hopLimit: 1 }), 'new flow with hop limit 1: time exceeded'),
    ],
  },
  {
    name: 'r_r2_ipv6_zone_1',
    description: 'IPv6 conntrack zones: CT --zone 3 for packets from r_cli and r_wan; two identical UDP flows from the LAN and the server side (zone 0) are separate entries; the WAN reply in zone 3 finds the LAN one',
    tags: ['ipv6', 'ip6tables', 'zones', 'ct-zone', 'CT'],
    ipv6: true,
    ip6tables: ipt({ raw: { rules: ['-A PREROUTING -i r_cli -j CT --zone 3', '-A PREROUTING -i r_wan -j CT --zone 3'] } }),
    steps: [
      cli(udp6(C6, 6200, W6, 53, 'q'), 'from r_cli: zone 3'),
      srv(udp6(C6, 6200, W6, 53, 'q'), 'the same tuple from r_srv: zone 0, a second entry'),
      wan(udp6(W6, 53, C6, 6200, 'r'), 'reply in zone 3: ESTABLISHED'),
    ],
  },
];
