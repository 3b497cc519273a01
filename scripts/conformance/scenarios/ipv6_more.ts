/**
 * IPv6 beyond the basics: ICMPv6 errors about tracked flows (RELATED) and about nothing
 * (INVALID), ICMPv6 query tracking (echo ids, node information), neighbour discovery (untracked,
 * answered by the router), extension headers in front of TCP/UDP (forwarded and tracked by their
 * upper layer), unknown hop-by-hop options with each action (skip, discard, discard + parameter
 * problem), fragments (out of order, overlapping, atomic), every ip6tables REJECT type, REJECT
 * in INPUT / OUTPUT, NAT66 with ip6tables (DNAT with port, SNAT, REDIRECT, NETMAP), an ICMPv6
 * error through NAT66, mid-stream pick-up and UDP streams, SCTP and UDP-Lite over IPv6, and
 * addresses the stack refuses (loopback, multicast source, v4-mapped).
 */

import { fragmentIpv6, icmpv6, icmpv6Echo, icmpv6Error, ipv6, sctp, tcp, udp, udplite, type Ipv6Ext } from '../../../src/packet/build.js';
import { cli, ipt, local, pause, srv, wan } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C6 = 'fd00:1::100';
const C6b = 'fd00:1::101';
const S6 = 'fd00:2::100';
const W6 = '2001:db8::160';
const HOP6 = '2001:db8::1';
const R6_CLI = 'fd00:1::1';
const R6_SRV = 'fd00:2::1';
const R6_WAN = 'fd00:3::1';

function tcp6(src: string, sport: number, dst: string, dport: number, flags: string, o: { seq?: number; ack?: number; payload?: string; ext?: Ipv6Ext[]; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, ext: o.ext, hopLimit: o.hopLimit, payload: tcp({ sport, dport, flags, seq: o.seq ?? 1000, ack: o.ack ?? 0, payload: o.payload }) });
}
function udp6(src: string, sport: number, dst: string, dport: number, payload = 'data', o: { ext?: Ipv6Ext[]; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, ext: o.ext, hopLimit: o.hopLimit, payload: udp({ sport, dport, payload }) });
}
function echo6(src: string, dst: string, id: number, seq: number, reply = false): Uint8Array {
  return ipv6({ src, dst, payload: icmpv6Echo({ id, seq, reply, payload: 'abcdefgh' }) });
}
function err6(src: string, dst: string, type: number, code: number, quote: Uint8Array, rest = 0): Uint8Array {
  return ipv6({ src, dst, payload: icmpv6Error({ type, code, quote, rest }) });
}

/** Stateful ip6tables filter counting by state. */
const OBSERVE6 = ipt({
  filter: {
    rules: [
      '-A FORWARD -m conntrack --ctstate INVALID -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate NEW -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT',
      '-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT',
      '-A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT',
    ],
  },
});

/** A hop-by-hop option TLV of `type` with `len` zero bytes of data. */
const opt = (type: number, len: number): Uint8Array => Uint8Array.from([type, len, ...new Uint8Array(len)]);

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_ipv6_icmp_1',
    description: 'ICMPv6 errors about tracked flows are RELATED: destination unreachable (admin prohibited) about a TCP SYN, time exceeded and parameter problem about UDP, packet too big about UDP; an error about a flow that does not exist and an error quoting an ICMPv6 error are INVALID',
    tags: ['ipv6', 'icmpv6', 'ct-related', 'ct-invalid'],
    ipv6: true,
    ip6tables: OBSERVE6,
    steps: (() => {
      const syn = tcp6(C6, 42000, W6, 443, 'S');
      const u = udp6(C6, 42001, W6, 53, 'query');
      return [
        cli(syn, 'TCP SYN'),
        wan(err6(HOP6, C6, 1, 1, syn), 'administratively prohibited about it: RELATED'),
        cli(u, 'UDP'),
        wan(err6(HOP6, C6, 3, 0, u), 'time exceeded about it: RELATED'),
        wan(err6(HOP6, C6, 4, 0, u, 40), 'parameter problem: RELATED'),
        wan(err6(HOP6, C6, 2, 0, u, 1280), 'packet too big: RELATED'),
        wan(err6(HOP6, C6, 1, 4, udp6(C6, 42099, W6, 53, 'x')), 'port unreachable about an unknown flow: INVALID'),
        wan(err6(HOP6, C6, 1, 4, err6(C6, HOP6, 1, 4, udp6(HOP6, 1, C6, 2, 'z'))), 'an error about an error: INVALID'),
      ];
    })(),
  },
  {
    name: 'r_ipv6_icmp_2',
    description: 'ICMPv6 query tracking: echo ids are separate connections, an echo reply with an unknown id is INVALID, a node information query (139) starts a connection and its reply (140) is ESTABLISHED, an unknown informational type (200) is INVALID',
    tags: ['ipv6', 'icmpv6', 'icmp-echo'],
    ipv6: true,
    ip6tables: OBSERVE6,
    steps: [
      cli(echo6(C6, W6, 0x600, 1), 'echo id 0x600'),
      cli(echo6(C6, W6, 0x601, 1), 'echo id 0x601'),
      wan(echo6(W6, C6, 0x600, 1, true), 'reply 0x600: ESTABLISHED'),
      wan(echo6(W6, C6, 0x602, 1, true), 'reply 0x602: INVALID'),
      cli(ipv6({ src: C6, dst: W6, payload: icmpv6({ type: 139, code: 0, rest: 0x00030000, payload: new Uint8Array(8).fill(7) }) }), 'node information query'),
      wan(ipv6({ src: W6, dst: C6, payload: icmpv6({ type: 140, code: 0, rest: 0x00030000, payload: new Uint8Array(8).fill(7) }) }), 'node information reply'),
      cli(ipv6({ src: C6, dst: W6, payload: icmpv6({ type: 200, code: 0, rest: 0 }) }), 'type 200: INVALID'),
    ],
  },
  {
    name: 'r_ipv6_nd_1',
    description: 'neighbour discovery is never tracked (UNTRACKED): a unicast neighbour solicitation for the router\'s address is answered with a neighbour advertisement; a router solicitation to ff02::2 is delivered (UNTRACKED, LOCAL_IN) and gets no answer (the router does not send RAs); an echo to the router is tracked',
    tags: ['ipv6', 'icmpv6', 'ndp', 'host-answers'],
    ipv6: true,
    ip6tables: OBSERVE6,
    steps: (() => {
      const target = Uint8Array.from([0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
      const slla = Uint8Array.of(1, 1, 0x02, 0, 0, 0, 0x01, 0x02);
      return [
        cli(ipv6({ src: C6, dst: R6_CLI, hopLimit: 255, payload: icmpv6({ type: 135, code: 0, rest: 0, payload: Uint8Array.from([...target, ...slla]) }) }), 'NS for fd00:1::1: NA back'),
        cli(ipv6({ src: C6, dst: 'ff02::2', hopLimit: 255, payload: icmpv6({ type: 133, code: 0, rest: 0, payload: slla }) }), 'RS: no answer'),
        cli(echo6(C6, R6_CLI, 0x610, 1), 'echo to the router: tracked'),
      ];
    })(),
  },
  {
    name: 'r_ipv6_ext_1',
    description: 'extension headers in front of the upper layer: hop-by-hop (PadN), destination options, a routing header type 0 with no segments left, an atomic fragment header; conntrack and -p tcp/udp find the upper layer, the packets are forwarded with their headers',
    tags: ['ipv6', 'ipv6-exthdr'],
    ipv6: true,
    ip6tables: ipt({ filter: { rules: ['-A FORWARD -p udp -m conntrack --ctstate NEW -j ACCEPT', '-A FORWARD -p tcp -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT', '-A FORWARD -j DROP'] } }),
    steps: [
      cli(udp6(C6, 42100, S6, 9, 'hbh', { ext: [{ type: 'hop', options: opt(1, 4) }] }), 'hop-by-hop + UDP'),
      cli(udp6(C6, 42101, S6, 9, 'dst', { ext: [{ type: 'dst', options: opt(1, 4) }] }), 'destination options + UDP'),
      cli(udp6(C6, 42102, S6, 9, 'rh0', { ext: [{ type: 'routing', routingType: 0, segmentsLeft: 0, addresses: ['fd00:2::200'] }] }), 'routing header, segments left 0 + UDP'),
      cli(udp6(C6, 42103, S6, 9, 'atomic', { ext: [{ type: 'fragment', offset: 0, more: false, id: 0x1234 }] }), 'atomic fragment + UDP'),
      cli(tcp6(C6, 42104, S6, 80, 'S', { ext: [{ type: 'hop', options: opt(1, 4) }, { type: 'dst', options: opt(1, 4) }] }), 'hop-by-hop + destination options + TCP SYN'),
      srv(tcp6(S6, 80, C6, 42104, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK without extension headers: same connection'),
    ],
  },
  {
    name: 'r_ipv6_ext_2',
    description: 'unknown hop-by-hop options, processed by the router for forwarded packets: type 0x1e (skip) is forwarded, 0x5e (discard) is dropped silently, 0x9e (discard + parameter problem code 2 pointing at the option) and 0xde (the same unless the destination is multicast) get an ICMPv6 error',
    tags: ['ipv6', 'ipv6-exthdr', 'host-answers'],
    ipv6: true,
    ip6tables: OBSERVE6,
    steps: [0x1e, 0x5e, 0x9e, 0xde].map((t, k) => cli(udp6(C6, 42110 + k, S6, 9, `opt ${t.toString(16)}`, { ext: [{ type: 'hop', options: opt(t, 2) }] }), `option type 0x${t.toString(16)}`)),
  },
  {
    name: 'r_ipv6_frag_2',
    description: 'IPv6 fragments: three fragments out of order (held, then forwarded as the original fragments), overlapping fragments (the whole datagram is dropped), a lone first fragment (held)',
    tags: ['ipv6', 'fragments'],
    ipv6: true,
    ip6tables: OBSERVE6,
    steps: (() => {
      const a = fragmentIpv6(udp6(C6, 42120, S6, 9000, 'a'.repeat(900)), 0x1001, 304);
      const b = fragmentIpv6(udp6(C6, 42121, S6, 9000, 'b'.repeat(600)), 0x1002, 304);
      const ov = ipv6({ src: C6, dst: S6, ext: [{ type: 'fragment', offset: 296, more: true, id: 0x1002 }], proto: 17, payload: new Uint8Array(32).fill(0x5a) });
      const lone = fragmentIpv6(udp6(C6, 42122, S6, 9000, 'c'.repeat(600)), 0x1003, 304);
      return [cli(a[2]!, 'A: last fragment'), cli(a[0]!, 'A: first'), cli(a[1]!, 'A: middle: complete'), cli(b[0]!, 'B: first'), cli(ov, 'B: overlapping fragment'), cli(b[1]!, 'B: the real second'), cli(lone[0]!, 'C: first fragment only')];
    })(),
  },
  {
    name: 'r_ipv6_reject_1',
    description: 'every ip6tables REJECT type on forwarded traffic: icmp6-no-route (code 0), icmp6-adm-prohibited (1), icmp6-addr-unreachable (3), icmp6-port-unreachable (4), icmp6-policy-fail (5), icmp6-reject-route (6), tcp-reset',
    tags: ['ipv6', 'ip6tables', 'reject'],
    ipv6: true,
    ip6tables: ipt({
      filter: {
        rules: [
          '-A FORWARD -p udp --dport 1 -j REJECT --reject-with icmp6-no-route',
          '-A FORWARD -p udp --dport 2 -j REJECT --reject-with icmp6-adm-prohibited',
          '-A FORWARD -p udp --dport 3 -j REJECT --reject-with icmp6-addr-unreachable',
          '-A FORWARD -p udp --dport 4 -j REJECT --reject-with icmp6-port-unreachable',
          '-A FORWARD -p udp --dport 5 -j REJECT --reject-with icmp6-policy-fail',
          '-A FORWARD -p udp --dport 6 -j REJECT --reject-with icmp6-reject-route',
          '-A FORWARD -p tcp -j REJECT --reject-with tcp-reset',
        ],
      },
    }),
    steps: [
      ...[1, 2, 3, 4, 5, 6].map((p) => cli(udp6(`fd00:1::${(0x100 + p).toString(16)}`, 42130 + p, S6, p, `reject ${p}`), `udp ${p}`)),
      cli(tcp6(C6, 42137, S6, 80, 'PA', { seq: 100, ack: 200, payload: 'GET /' }), 'TCP data: RST seq=200'),
    ],
  },
  {
    name: 'r_ipv6_reject_2',
    description: 'ip6tables REJECT in INPUT (UDP and echo to the router) and OUTPUT (the router\'s own UDP: the error goes to itself, nothing leaves); an ICMPv6 error is never answered by REJECT',
    tags: ['ipv6', 'ip6tables', 'reject', 'local-in', 'local-out'],
    ipv6: true,
    ip6tables: ipt({
      filter: {
        rules: ['-A INPUT -p udp --dport 53 -j REJECT', '-A INPUT -p ipv6-icmp --icmpv6-type echo-request -j REJECT --reject-with icmp6-adm-prohibited', '-A INPUT -p ipv6-icmp -j REJECT', '-A OUTPUT -p udp --dport 514 -j REJECT'],
      },
    }),
    steps: [
      cli(udp6(C6, 42140, R6_CLI, 53, 'q'), 'UDP to the router: port unreachable'),
      wan(echo6(W6, R6_WAN, 0x614, 1), 'echo to the WAN address: admin prohibited'),
      wan(err6(HOP6, R6_WAN, 1, 4, udp6(R6_WAN, 1, HOP6, 2, 'x')), 'an ICMPv6 error to the router (INVALID): REJECT sends nothing'),
      local(udp6(R6_SRV, 42141, S6, 514, 'log'), 'the router\'s own syslog: rejected in OUTPUT'),
    ],
  },
  {
    name: 'r_ipv6_nat_2',
    description: 'NAT66 with ip6tables: DNAT of [fd00:3::1]:8080 to [fd00:2::100]:80, SNAT of DMZ traffic to fd00:3::1, REDIRECT of LAN DNS to the router (port unreachable from fd00:1::1 translated back), NETMAP of fd00:1::/64 to 2001:db8:1::/64 towards the WAN',
    tags: ['ipv6', 'ip6tables', 'nat', 'dnat', 'snat', 'redirect', 'netmap'],
    ipv6: true,
    ip6tables: ipt({
      nat: {
        rules: [
          '-A PREROUTING -i r_wan -p tcp --dport 8080 -j DNAT --to-destination [fd00:2::100]:80',
          '-A PREROUTING -i r_cli -p udp --dport 53 -j REDIRECT',
          '-A POSTROUTING -o r_wan -s fd00:2::/64 -j SNAT --to-source fd00:3::1',
          '-A POSTROUTING -o r_wan -s fd00:1::/64 -j NETMAP --to 2001:db8:1::/64',
        ],
      },
      filter: { rules: [] },
    }),
    steps: [
      wan(tcp6(W6, 42150, R6_WAN, 8080, 'S'), 'SYN to [fd00:3::1]:8080: DNAT'),
      srv(tcp6(S6, 80, W6, 42150, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: from [fd00:3::1]:8080'),
      srv(udp6(S6, 42151, W6, 123, 'ntp'), 'DMZ to the WAN: SNAT to fd00:3::1'),
      cli(udp6(C6, 42152, W6, 53, 'q'), 'LAN DNS: redirected to fd00:1::1'),
      cli(udp6(C6b, 42153, W6, 9, 'netmap'), 'fd00:1::101 -> 2001:db8:1::101'),
      wan(udp6(W6, 9, '2001:db8:1::101', 42153, 'back'), 'reply to 2001:db8:1::101'),
    ],
  },
  {
    name: 'r_ipv6_nat_3',
    description: 'an ICMPv6 packet too big from a WAN hop about a MASQUERADEd (NAT66, nft) TCP segment: RELATED, the outer destination and the quoted source are translated back to the LAN host, checksums fixed',
    tags: ['ipv6', 'nat', 'masquerade', 'ct-related', 'pmtu'],
    ipv6: true,
    nft: `table ip6 nat {
  chain post { type nat hook postrouting priority srcnat; policy accept; oifname "r_wan" counter masquerade; }
}`,
    steps: (() => {
      const big = tcp6(R6_WAN, 42160, W6, 443, 'PA', { seq: 1001, ack: 5001, payload: 'x'.repeat(1300), hopLimit: 63 });
      return [
        cli(tcp6(C6, 42160, W6, 443, 'S'), 'SYN: masqueraded'),
        wan(tcp6(W6, 443, R6_WAN, 42160, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK'),
        cli(tcp6(C6, 42160, W6, 443, 'PA', { seq: 1001, ack: 5001, payload: 'x'.repeat(1300) }), 'big segment'),
        wan(err6(HOP6, R6_WAN, 2, 0, big, 1280), 'packet too big quoting the translated segment: RELATED, back to fd00:1::100'),
      ];
    })(),
  },
  {
    name: 'r_ipv6_stateful_2',
    description: 'IPv6 trackers: a mid-stream TCP ACK is picked up (NEW, ESTABLISHED), UDP becomes ASSURED when a packet comes 2.6 s after the first with a reply in between; nf_conntrack_icmpv6_timeout=10 in the echo\'s events',
    tags: ['ipv6', 'tcp-midstream', 'udp-stream'],
    ipv6: true,
    sysctls: { 'net.netfilter.nf_conntrack_icmpv6_timeout': 10 },
    ip6tables: OBSERVE6,
    steps: [
      cli(tcp6(C6, 42170, S6, 22, 'PA', { seq: 70000, ack: 90000, payload: 'mid-stream' }), 'mid-stream data: picked up'),
      srv(tcp6(S6, 22, C6, 42170, 'A', { seq: 90000, ack: 70010 }), 'ACK'),
      cli(udp6(C6, 42171, S6, 4500, 'first'), 'UDP'),
      srv(udp6(S6, 4500, C6, 42171, 'reply'), 'reply'),
      pause(2.6),
      cli(udp6(C6, 42171, S6, 4500, 'later'), '2.6 s later: ASSURED'),
      cli(echo6(C6, S6, 0x617, 1), 'echo: timeout 10'),
    ],
  },
  {
    name: 'r_ipv6_proto_1',
    description: 'SCTP and UDP-Lite over IPv6: an SCTP INIT / INIT ACK (COOKIE_WAIT), a UDP-Lite datagram with full coverage and its reply; conntrack entries with IPv6 addresses',
    tags: ['ipv6', 'sctp', 'udplite'],
    ipv6: true,
    ip6tables: OBSERVE6,
    steps: (() => {
      const initBody = (tag: number): Uint8Array => Uint8Array.from([tag >>> 24, (tag >>> 16) & 255, (tag >>> 8) & 255, tag & 255, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 0, 1]);
      return [
        cli(ipv6({ src: C6, dst: S6, payload: sctp({ sport: 42180, dport: 5000, vtag: 0, chunks: [{ type: 1, data: initBody(0x61616161) }] }) }), 'SCTP INIT'),
        srv(ipv6({ src: S6, dst: C6, payload: sctp({ sport: 5000, dport: 42180, vtag: 0x61616161, chunks: [{ type: 2, data: initBody(0x62626262) }] }) }), 'SCTP INIT ACK'),
        cli(ipv6({ src: C6, dst: S6, payload: udplite({ sport: 42181, dport: 9000, payload: 'lite over v6' }) }), 'UDP-Lite'),
        srv(ipv6({ src: S6, dst: C6, payload: udplite({ sport: 9000, dport: 42181, payload: 'reply' }) }), 'UDP-Lite reply'),
      ];
    })(),
  },
  {
    name: 'r_ipv6_martian_1',
    description: 'odd IPv6 addresses: destination ::1 and a multicast source are dropped by the stack before any hook (no conntrack); a v4-mapped source is forwarded; an unspecified source (::) and a site-local multicast destination (ff05::1) are tracked (NEW) then dropped, unconfirmed, without an ICMPv6 error',
    tags: ['ipv6', 'martian'],
    ipv6: true,
    ip6tables: OBSERVE6,
    steps: [
      cli(udp6(C6, 42190, '::1', 9, 'lo'), 'destination ::1'),
      cli(udp6('ff02::1', 42191, S6, 9, 'mc src'), 'multicast source'),
      cli(udp6('::ffff:10.0.1.100', 42192, S6, 9, 'mapped'), 'v4-mapped source: forwarded'),
      cli(udp6('::', 42193, S6, 9, 'unspec'), 'unspecified source: NEW, dropped'),
      cli(udp6(C6, 42194, 'ff05::1', 9, 'site mc'), 'to ff05::1: NEW, not forwarded'),
      cli(udp6(C6, 42195, S6, 9, 'normal'), 'a normal datagram'),
    ],
  },
];
