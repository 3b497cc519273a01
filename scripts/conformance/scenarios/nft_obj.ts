/**
 * nft stateful objects and hashing expressions: numgen inc (verdict maps, value maps, ct mark,
 * NAT targets and ports), numgen random, jhash with a given seed (exact values through ct mark)
 * and in NAT maps, ct count (per rule and per element of a dynamic set), ct timeout objects
 * (set by name and through a map; before conntrack they do nothing; a TCP connection picked up
 * mid-stream gets the policy's first timeout) and ct expectation objects (an expected TCP and
 * UDP connection becomes RELATED; the object's size limits a master's expectations).
 */

import { cli, echo4, srv, tcp4, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const C3 = '10.0.1.102';
const S = '10.0.2.100';
const W = '198.51.100.80';
const W2 = '198.51.100.81';
const W3 = '198.51.100.82';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_nft_numgen_1',
    description: 'numgen inc: ct mark from numgen inc mod 3 offset 10 on new connections, a verdict map alternating accept/drop, a value map setting meta mark, a relational match on numgen',
    tags: ['nft', 'numgen', 'mark', 'connmark'],
    nft: `table ip f {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new counter ct mark set numgen inc mod 3 offset 10
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    udp dport 9 counter numgen inc mod 2 vmap { 0 : accept, 1 : drop }
    udp dport 10 meta mark set numgen inc mod 4 map { 0 : 0x1, 1 : 0x2, 2 : 0x3, 3 : 0x4 }
    udp dport 10 meta mark 0x3 counter drop
    numgen inc mod 3 2 counter
  }
}`,
    steps: [
      ...Array.from({ length: 4 }, (_, k) => cli(udp4(C, 1000 + k, W, 9, 'n'), `udp 9 #${k + 1}: numgen ${k % 2} (accept/drop)`)),
      ...Array.from({ length: 5 }, (_, k) => cli(udp4(C, 2000 + k, W, 10, 'n'), `udp 10 #${k + 1}: meta mark ${(k % 4) + 1}`)),
      cli(echo4(C, W, 7, 1), 'echo 1'),
      cli(echo4(C, W, 7, 2), 'echo 2'),
      cli(echo4(C, W, 7, 3), 'echo 3 (same connection)'),
    ],
  },
  {
    name: 'r_nft_numgen_2',
    description: 'numgen inc as a NAT target: round-robin dnat between two servers, the port from a numgen map, weighted distribution with intervals',
    tags: ['nft', 'numgen', 'nat', 'dnat'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" tcp dport 80 counter dnat to numgen inc mod 2 map { 0 : 10.0.2.100, 1 : 10.0.2.101 }
    iifname "r_wan" udp dport 53 counter dnat to 10.0.2.102 : numgen inc mod 2 map { 0 : 5353, 1 : 5354 }
    iifname "r_wan" tcp dport 443 counter dnat to numgen inc mod 10 map { 0-1 : 10.0.2.103, 2-9 : 10.0.2.104 }
  }
}`,
    steps: [
      ...Array.from({ length: 3 }, (_, k) => wan(tcp4(W, 3000 + k, R_WAN, 80, 'S'), `http #${k + 1}`)),
      ...Array.from({ length: 3 }, (_, k) => wan(udp4(W, 3100 + k, R_WAN, 53, 'q'), `dns #${k + 1}`)),
      ...Array.from({ length: 4 }, (_, k) => wan(tcp4(W, 3200 + k, R_WAN, 443, 'S'), `https #${k + 1}`)),
    ],
  },
  {
    name: 'r_nft_numgen_3',
    description: 'numgen random: ct mark from numgen random mod 1000 offset 5 (values masked: the kernel draws them at random)',
    tags: ['nft', 'numgen', 'connmark'],
    nft: `table ip f {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new counter ct mark set numgen random mod 1000 offset 5
  }
}`,
    steps: Array.from({ length: 4 }, (_, k) => cli(udp4(C, 4000 + k, W, 9, 'r'), `udp #${k + 1}`)),
  },
  {
    name: 'r_nft_jhash_1',
    description: 'jhash with explicit seeds, values seen through ct mark: ip saddr . tcp dport (8 bytes), a 4-tuple (16 bytes), a 2-byte port, an address, a 5-field concatenation (20 bytes), with offsets',
    tags: ['nft', 'jhash', 'connmark'],
    nft: `table ip f {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new tcp dport 80 counter ct mark set jhash ip saddr . tcp dport mod 1000 seed 0xdead offset 100
    ct state new udp dport 53 counter ct mark set jhash ip saddr . ip daddr . udp sport . udp dport mod 65536 seed 0x1
    ct state new udp dport 54 counter ct mark set jhash udp sport mod 4096 seed 0xcafe
    ct state new icmp type echo-request counter ct mark set jhash ip saddr mod 1000000 seed 12345
    ct state new tcp dport 81 counter ct mark set jhash ip saddr . ip daddr . tcp sport . tcp dport . ip protocol mod 99999 seed 0xffffffff offset 7
  }
}`,
    steps: [
      cli(tcp4(C, 5000, S, 80, 'S'), 'http from C'),
      cli(tcp4(C2, 5001, S, 80, 'S'), 'http from C2'),
      cli(udp4(C, 5002, W, 53, 'q'), 'dns'),
      cli(udp4(C3, 5003, W2, 53, 'q'), 'dns from C3'),
      cli(udp4(C, 5004, W, 54, 'q'), 'udp 54'),
      cli(udp4(C, 61234, W, 54, 'q'), 'udp 54, high port'),
      cli(echo4(C, W, 9, 1), 'echo from C'),
      cli(echo4(C3, W, 9, 1), 'echo from C3'),
      cli(tcp4(C2, 5005, W3, 81, 'S'), 'tcp 81'),
    ],
  },
  {
    name: 'r_nft_jhash_2',
    description: 'jhash in a NAT map: dnat to jhash ip saddr . tcp sport mod 2 seed 0xdead map { 0 : A, 1 : B }; and a jhash without a seed (random: ct mark masked)',
    tags: ['nft', 'jhash', 'nat', 'dnat'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" tcp dport 80 counter dnat to jhash ip saddr . tcp sport mod 2 seed 0xdead map { 0 : 10.0.2.100, 1 : 10.0.2.101 }
  }
}
table ip f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    ct state new counter ct mark set jhash ip saddr mod 1000
  }
}`,
    steps: [
      ...Array.from({ length: 4 }, (_, k) => wan(tcp4(W, 6000 + k, R_WAN, 80, 'S'), `http from W #${k + 1}`)),
      ...Array.from({ length: 3 }, (_, k) => wan(tcp4(W2, 6100 + k * 7, R_WAN, 80, 'S'), `http from W2 #${k + 1}`)),
    ],
  },
  {
    name: 'r_nft_ctcount_1',
    description: 'ct count over 2 per rule: the third and fourth concurrent SSH connections are dropped, a reset frees a slot; ct count in a dynamic set (one connection per source to telnet)',
    tags: ['nft', 'connlimit', 'sets'],
    nft: `table ip f {
  set perhost { type ipv4_addr; flags dynamic; }
  chain forward {
    type filter hook forward priority filter; policy accept;
    tcp dport 22 ct count over 2 counter drop
    tcp dport 22 counter
    tcp dport 23 add @perhost { ip saddr ct count over 1 } counter drop
  }
}`,
    steps: [
      cli(tcp4(C, 7000, S, 22, 'S'), 'ssh 1'),
      cli(tcp4(C, 7001, S, 22, 'S'), 'ssh 2'),
      cli(tcp4(C2, 7002, S, 22, 'S'), 'ssh 3: over 2, dropped'),
      cli(tcp4(C, 7001, S, 22, 'S'), 'ssh 2 retransmitted SYN'),
      cli(tcp4(C3, 7003, S, 22, 'S'), 'ssh 4: dropped'),
      srv(tcp4(S, 22, C, 7000, 'R', { seq: 1, ack: 1001 }), 'reset of ssh 1 from the server'),
      cli(tcp4(C3, 7004, S, 22, 'S'), 'ssh 5: ssh 1 is closed, accepted'),
      cli(tcp4(C, 7100, S, 23, 'S'), 'telnet from C'),
      cli(tcp4(C, 7101, S, 23, 'S'), 'second telnet from C: dropped'),
      cli(tcp4(C2, 7102, S, 23, 'S'), 'telnet from C2'),
    ],
  },
  {
    name: 'r_nft_cttimeout_1',
    description: 'ct timeout objects: a UDP policy (unreplied 7, replied 13) set by name and through a map, not applied before conntrack (raw priority); a TCP policy (syn_sent 20, established 50) through a handshake and on a connection picked up mid-stream',
    tags: ['nft', 'ct-timeout'],
    nft: `table ip f {
  ct timeout udp7 {
    protocol udp; l3proto ip;
    policy = { unreplied: 7, replied: 13 };
  }
  ct timeout tcp50 {
    protocol tcp; l3proto ip;
    policy = { syn_sent: 20, established: 50, close: 4 };
  }
  chain raw {
    type filter hook prerouting priority raw; policy accept;
    udp dport 54 counter ct timeout set "udp7"
  }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    udp dport 53 counter ct timeout set "udp7"
    tcp dport { 80, 81 } counter ct timeout set "tcp50"
    ct timeout set udp dport map { 55 : "udp7" } counter
  }
}`,
    steps: [
      cli(udp4(C, 8000, W, 53, 'q'), 'dns query: unreplied 7'),
      wan(udp4(W, 53, C, 8000, 'a'), 'answer'),
      cli(udp4(C, 8001, W, 54, 'q'), 'udp 54: timeout set before conntrack, default 30'),
      cli(udp4(C, 8002, W, 55, 'q'), 'udp 55: policy from the map'),
      cli(udp4(C, 8003, W, 56, 'q'), 'udp 56: not in the map'),
      cli(tcp4(C, 8100, S, 80, 'S'), 'SYN: syn_sent 20'),
      srv(tcp4(S, 80, C, 8100, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK'),
      cli(tcp4(C, 8100, S, 80, 'A', { seq: 1001, ack: 5001 }), 'ACK: established 50'),
      cli(tcp4(C, 8101, S, 81, 'A', { seq: 3000, ack: 9000 }), 'mid-stream ACK: picked up ESTABLISHED, policy first timeout'),
    ],
  },
  {
    name: 'r_nft_expect_1',
    description: 'ct expectation objects: a TCP and a UDP expectation from the first packet of a control connection (reply direction, the object port); the expected connections are RELATED; size 1 refuses a second expectation of the same master',
    tags: ['nft', 'expectations', 'ct-related'],
    nft: `table ip f {
  ct expectation e5000 {
    protocol tcp
    dport 5000
    timeout 10s
    size 2
    l3proto ip
  }
  ct expectation e6000 {
    protocol udp
    dport 6000
    timeout 1m
    size 1
  }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    tcp dport 21 ct expectation set "e5000" counter
    tcp dport 21 ct expectation set "e6000" counter
    tcp dport 2121 ct expectation set "e6000" counter
    tcp dport 2121 ct expectation set "e6000" counter
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ct state related counter
  }
}`,
    steps: [
      cli(tcp4(C, 9000, S, 21, 'S'), 'control SYN: two expectations'),
      srv(tcp4(S, 21, C, 9000, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK'),
      srv(tcp4(S, 20, C, 5000, 'S'), 'expected TCP connection from the server: RELATED'),
      srv(udp4(S, 7000, C, 6000, 'u'), 'expected UDP datagram: RELATED'),
      cli(tcp4(C2, 9001, S, 2121, 'S'), 'second control connection: one expectation (size 1)'),
      srv(tcp4(S, 20, C, 5000, 'S', { seq: 77 }), 'no expectation left for tcp 5000: NEW'),
    ],
  },
];
