/**
 * ipsets and ip6tables: `-m set --match-set` with hash:ip, hash:net and hash:ip,port sets (src / dst
 * flags, negation), ip6tables `-m hl` (--hl-eq / --hl-lt / --hl-gt, before and after the forward
 * path's hop limit decrement), ip6tables `-j HL` (--hl-set / --hl-dec / --hl-inc in mangle, with
 * the clamps at 0 and 255), and a stateful ip6tables filter (conntrack --ctstate on IPv6 TCP, UDP
 * and ICMPv6 with REJECT tcp-reset / icmp6-port-unreachable).
 */

import { icmpv6Echo, icmpv6Error, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { cli, echo4, ipt, srv, tcp4, udp4, wan } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const Cbad = '10.0.1.101';
const S = '10.0.2.100';
const C6 = 'fd00:1::100';
const W6 = '2001:db8::80';

/** An IPv6 TCP segment. */
function tcp6(src: string, sport: number, dst: string, dport: number, flags: string, o: { seq?: number; ack?: number; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, hopLimit: o.hopLimit, payload: tcp({ sport, dport, flags, seq: o.seq ?? 1000, ack: o.ack ?? 0 }) });
}

/** An IPv6 UDP datagram. */
function udp6(src: string, sport: number, dst: string, dport: number, payload = 'data', hopLimit?: number): Uint8Array {
  return ipv6({ src, dst, hopLimit, payload: udp({ sport, dport, payload }) });
}

/** An ICMPv6 echo request / reply. */
function echo6(src: string, dst: string, id: number, seq: number, o: { reply?: boolean; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, hopLimit: o.hopLimit, payload: icmpv6Echo({ id, seq, reply: o.reply, payload: 'abcdefgh' }) });
}

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_match_set_1',
    description:
      '-m set --match-set: hash:ip as src and as dst, hash:ip,port with dst,dst and src,src (protocol part of the element), hash:net negated (! --match-set nets dst); policy DROP',
    tags: ['ipset', 'match-set'],
    ipset: `create blk hash:ip family inet hashsize 1024 maxelem 65536
add blk 10.0.1.101
create nets hash:net family inet hashsize 1024 maxelem 65536
add nets 198.51.100.0/24
add nets 203.0.113.128/25
create svc hash:ip,port family inet hashsize 1024 maxelem 65536
add svc 10.0.2.100,tcp:80
add svc 10.0.2.100,udp:53`,
    iptables: ipt({
      filter: {
        policies: { FORWARD: 'DROP' },
        rules: [
          '-A FORWARD -m set --match-set blk src -j DROP',
          '-A FORWARD -m set --match-set blk dst -j DROP',
          '-A FORWARD -i r_cli -o r_srv -m set --match-set svc dst,dst -j ACCEPT',
          '-A FORWARD -i r_srv -o r_cli -m set --match-set svc src,src -j ACCEPT',
          '-A FORWARD -o r_wan -m set ! --match-set nets dst -j DROP',
          '-A FORWARD -o r_wan -j ACCEPT',
        ],
      },
    }),
    steps: [
      cli(tcp4(Cbad, 1000, S, 80, 'S'), 'blocked source (blk src): dropped'),
      cli(tcp4(C, 1001, S, 80, 'S'), 'tcp 10.0.2.100:80 is in svc (dst,dst): accepted'),
      srv(tcp4(S, 80, C, 1001, 'SA', { seq: 5000, ack: 1001 }), 'answer from 10.0.2.100,tcp:80 (src,src): accepted'),
      cli(udp4(C, 1002, S, 53), 'udp 10.0.2.100:53 is in svc: accepted'),
      cli(tcp4(C, 1003, S, 81, 'S'), 'tcp port 81 not in svc: policy drop'),
      cli(udp4(C, 1004, S, 80), 'udp port 80 not in svc (tcp:80 is): policy drop'),
      srv(udp4(S, 8080, Cbad, 1000), 'to the blocked host (blk dst): dropped'),
      cli(udp4(C, 1005, '198.51.100.80', 53), 'WAN destination in nets: not negated-matched, accepted'),
      cli(udp4(C, 1006, '192.0.2.80', 53), 'WAN destination outside nets: ! --match-set drops'),
    ],
  },
  {
    name: 'r_match_hl_1',
    description:
      'ip6tables -m hl: --hl-eq / --hl-lt / --hl-gt and ! --hl-eq, in mangle PREROUTING (hop limit as received) and filter FORWARD (after ip6_forward decremented it), INPUT for the router',
    tags: ['ipv6', 'ip6tables', 'match-hl'],
    ipv6: true,
    ip6tables: ipt({
      mangle: {
        rules: ['-A PREROUTING -m hl --hl-eq 64', '-A PREROUTING -m hl --hl-lt 10', '-A PREROUTING -m hl --hl-gt 100'],
      },
      filter: {
        rules: [
          '-A INPUT -m hl --hl-eq 64 -j ACCEPT',
          '-A FORWARD -m hl --hl-eq 63 -j ACCEPT',
          '-A FORWARD -m hl --hl-eq 64 -j DROP',
          '-A FORWARD -m hl --hl-lt 5 -j DROP',
          '-A FORWARD -m hl --hl-gt 200 -j DROP',
          '-A FORWARD -m hl ! --hl-eq 30 -j ACCEPT',
        ],
      },
    }),
    steps: [
      cli(udp6(C6, 2000, W6, 9, 'a', 64), 'hop limit 64: 63 in FORWARD, accepted by --hl-eq 63'),
      cli(udp6(C6, 2001, W6, 9, 'b', 4), 'hop limit 4: --hl-lt 10 in PREROUTING, 3 in FORWARD: --hl-lt 5 drops'),
      cli(udp6(C6, 2002, W6, 9, 'c', 255), 'hop limit 255: --hl-gt 100, then 254 > 200: dropped'),
      cli(udp6(C6, 2003, W6, 9, 'd', 30), 'hop limit 30: 29 in FORWARD, ! --hl-eq 30 accepts'),
      cli(udp6(C6, 2004, W6, 9, 'e', 31), 'hop limit 31: 30 in FORWARD, no rule: policy'),
      cli(udp6(C6, 2005, W6, 9, 'f', 5), 'hop limit 5: 4 in FORWARD, dropped by --hl-lt 5'),
      cli(echo6(C6, 'fd00:1::1', 11, 1, { hopLimit: 64 }), 'echo to the router, hop limit 64: INPUT --hl-eq 64'),
    ],
  },
  {
    name: 'r_target_hl_1',
    description:
      'ip6tables -j HL in mangle: --hl-set / --hl-inc / --hl-dec in PREROUTING (before the forward decrement; set 1 and dec below 0 make the router send time exceeded), in FORWARD and POSTROUTING (after it; inc clamps at 255), and in OUTPUT on the router\'s echo reply',
    tags: ['ipv6', 'ip6tables', 'target-hl'],
    ipv6: true,
    ip6tables: ipt({
      mangle: {
        rules: [
          '-A PREROUTING -i r_cli -p udp --dport 1 -j HL --hl-set 2',
          '-A PREROUTING -i r_cli -p udp --dport 2 -j HL --hl-set 1',
          '-A PREROUTING -i r_cli -p udp --dport 3 -j HL --hl-inc 10',
          '-A PREROUTING -i r_cli -p udp --dport 4 -j HL --hl-dec 5',
          '-A PREROUTING -i r_cli -p udp --dport 5 -j HL --hl-dec 100',
          '-A FORWARD -o r_wan -p udp --dport 6 -j HL --hl-set 200',
          '-A FORWARD -o r_wan -p udp --dport 7 -j HL --hl-inc 10',
          '-A POSTROUTING -o r_wan -p udp --dport 8 -j HL --hl-dec 1',
          '-A OUTPUT -p ipv6-icmp --icmpv6-type echo-reply -j HL --hl-set 33',
        ],
      },
    }),
    steps: [
      cli(udp6(C6, 3001, W6, 1, 'a', 64), 'set 2 before the decrement: forwarded with 1'),
      cli(udp6(C6, 3002, W6, 2, 'b', 64), 'set 1 before the decrement: time exceeded'),
      cli(udp6(C6, 3003, W6, 3, 'c', 64), 'inc 10: 74, forwarded with 73'),
      cli(udp6(C6, 3004, W6, 4, 'd', 64), 'dec 5: 59, forwarded with 58'),
      cli(udp6(C6, 3005, W6, 5, 'e', 64), 'dec 100 clamps at 0: time exceeded'),
      cli(udp6(C6, 3006, W6, 6, 'f', 64), 'set 200 in FORWARD: forwarded with 200'),
      cli(udp6(C6, 3007, W6, 7, 'g', 250), 'inc 10 in FORWARD from 249: clamps at 255'),
      cli(udp6(C6, 3008, W6, 8, 'h', 64), 'dec 1 in POSTROUTING: forwarded with 62'),
      cli(echo6(C6, 'fd00:1::1', 12, 1), 'echo to the router: its reply leaves with hop limit 33'),
    ],
  },
  {
    name: 'r_ip6tables_stateful_1',
    description:
      'stateful ip6tables filter: conntrack --ctstate RELATED,ESTABLISHED / INVALID / NEW on IPv6 TCP, UDP and ICMPv6; REJECT --reject-with tcp-reset and icmp6-port-unreachable for forwarded packets from both sides',
    tags: ['ipv6', 'ip6tables', 'reject', 'state-match'],
    ipv6: true,
    ip6tables: ipt({
      filter: {
        policies: { FORWARD: 'DROP' },
        rules: [
          '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
          '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
          '-A FORWARD -i r_cli -p tcp --dport 23 -j REJECT --reject-with tcp-reset',
          '-A FORWARD -i r_cli -p udp --dport 69 -j REJECT --reject-with icmp6-port-unreachable',
          '-A FORWARD -i r_cli -m conntrack --ctstate NEW -j ACCEPT',
          '-A FORWARD -i r_wan -p tcp -j REJECT --reject-with tcp-reset',
          '-A FORWARD -i r_wan -j REJECT --reject-with icmp6-port-unreachable',
        ],
      },
    }),
    steps: [
      cli(tcp6(C6, 4000, W6, 443, 'S'), 'SYN: NEW, accepted'),
      wan(tcp6(W6, 443, C6, 4000, 'SA', { seq: 7000, ack: 1001 }), 'SYN/ACK: ESTABLISHED'),
      cli(tcp6(C6, 4000, W6, 443, 'A', { seq: 1001, ack: 7001 }), 'ACK: ESTABLISHED'),
      cli(tcp6(C6, 4001, W6, 23, 'S'), 'telnet: REJECT tcp-reset'),
      cli(udp6(C6, 4002, W6, 69, 'tftp'), 'tftp: REJECT icmp6-port-unreachable'),
      cli(udp6(C6, 4003, W6, 53, 'query'), 'DNS query: NEW, accepted'),
      wan(udp6(W6, 53, C6, 4003, 'answer'), 'DNS answer: ESTABLISHED'),
      wan(tcp6(W6, 5555, C6, 22, 'S'), 'unsolicited SYN from the WAN: tcp-reset'),
      wan(udp6(W6, 5556, C6, 9999, 'x'), 'unsolicited UDP from the WAN: port unreachable'),
      wan(ipv6({ src: '2001:db8::1', dst: C6, payload: icmpv6Error({ type: 1, code: 4, quote: udp6(C6, 9998, W6, 53, 'x') }) }), 'port unreachable about nothing: INVALID, dropped'),
    ],
  },
  {
    name: 'r_match_set_2',
    description:
      'more ipset types: list:set, bitmap:port (tcp and udp match; ICMP counts as port (type<<8)|code), hash:net family inet6 with a nomatch element (ip6tables)',
    tags: ['ipset', 'match-set', 'ipv6', 'ip6tables'],
    ipv6: true,
    ipset: `create bad hash:ip family inet hashsize 1024 maxelem 65536
add bad 10.0.1.102
create lists list:set size 8
add lists bad
create ports bitmap:port range 1000-2000
add ports 1500
create lan6 hash:net family inet6 hashsize 1024 maxelem 65536
add lan6 fd00:1::/64
add lan6 fd00:1::100 nomatch`,
    iptables: ipt({
      filter: {
        rules: ['-A FORWARD -m set --match-set lists src -j DROP', '-A FORWARD -m set --match-set ports dst -j DROP', '-A FORWARD -m set ! --match-set ports src -j ACCEPT'],
      },
    }),
    ip6tables: ipt({ filter: { rules: ['-A FORWARD -m set --match-set lan6 src -j DROP'] } }),
    steps: [
      cli(udp4('10.0.1.102', 1000, S, 9), 'source in bad, a member of the list:set: dropped'),
      cli(udp4(C, 1002, S, 1500), 'udp port 1500 in the bitmap:port: dropped'),
      cli(tcp4(C, 1003, S, 1500, 'S'), 'tcp port 1500 in the bitmap:port: dropped'),
      cli(udp4(C, 1004, S, 1600), 'port 1600: accepted by ! --match-set ports src'),
      cli(echo4(C, S, 5, 1), 'ICMP echo: the set sees port (type<<8)|code = 2048, outside 1000-2000: ! --match-set ports src accepts'),
      cli(udp6(C6, 1006, W6, 53, 'q'), 'fd00:1::100 is a nomatch element of lan6: accepted'),
      cli(udp6('fd00:1::101', 1007, W6, 53, 'q'), 'fd00:1::101 in fd00:1::/64: dropped'),
    ],
  },
  {
    name: 'r_target_set_1',
    description: '-j SET --add-set / --del-set: a client is added to a set when it sends, the server may then answer it (--match-set seen dst); a packet to port 99 removes it again',
    tags: ['ipset', 'target-set'],
    ipset: `create seen hash:ip family inet hashsize 1024 maxelem 65536`,
    iptables: ipt({
      filter: {
        rules: [
          '-A FORWARD -i r_srv -m set --match-set seen dst -j ACCEPT',
          '-A FORWARD -i r_srv -j DROP',
          '-A FORWARD -i r_cli -p udp --dport 99 -j SET --del-set seen src',
          '-A FORWARD -i r_cli -p udp --dport 99 -j ACCEPT',
          '-A FORWARD -i r_cli -j SET --add-set seen src',
        ],
      },
    }),
    steps: [
      srv(udp4(S, 9, C, 1001), 'to 10.0.1.100, not in seen: dropped'),
      cli(udp4(C, 1002, S, 1600), 'SET --add-set seen src: 10.0.1.100 added, accepted'),
      srv(udp4(S, 9, C, 1003), 'to 10.0.1.100, now in seen: accepted'),
      cli(udp4(C, 1004, S, 99), 'port 99: SET --del-set removes 10.0.1.100'),
      srv(udp4(S, 9, C, 1005), 'to 10.0.1.100, no longer in seen: dropped'),
    ],
  },
];
