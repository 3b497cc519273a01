/**
 * Round 2, a few more: jhash choosing the SNAT address, a ct expectation object on a
 * masqueraded connection (the expectation names the public address; no NAT helper maps the
 * expected connection), and ICMPv6 errors about an echo flow through NAT66.
 */

import { icmpv6Echo, icmpv6Error, ipv6 } from '../../../src/packet/build.js';
import { cli, ipt, statefulForward, tcp4, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const W = '198.51.100.180';

const echo6 = (src: string, dst: string, id: number, seq: number, reply = false): Uint8Array =>
  ipv6({ src, dst, payload: icmpv6Echo({ id, seq, reply, payload: 'abcdefgh' }) });

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_r2_nft_jhash_snat_1',
    description: 'jhash selects the SNAT address: snat to jhash ip saddr mod 2 seed 0xdead map { 0 : 203.0.113.100, 1 : 203.0.113.101 }: each LAN source always gets the same address (the kernel\'s jhash of the 4-byte source with the seed), four sources spread over the two',
    tags: ['nft', 'jhash', 'nat', 'snat', 'maps'],
    nft: `table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" counter snat to jhash ip saddr mod 2 seed 0xdead map { 0 : 203.0.113.100, 1 : 203.0.113.101 }
  }
}`,
    steps: [
      cli(udp4('10.0.1.100', 9400, W, 53, 'a'), '.100'),
      cli(udp4('10.0.1.101', 9401, W, 53, 'b'), '.101'),
      cli(udp4('10.0.1.102', 9402, W, 53, 'c'), '.102'),
      cli(udp4('10.0.1.103', 9403, W, 53, 'd'), '.103'),
      cli(udp4('10.0.1.100', 9404, W, 123, 'e'), '.100 again: same address'),
    ],
  },
  {
    name: 'r_r2_nft_expect_nat_1',
    description: 'a ct expectation object (tcp dport 2000) set in prerouting on a control connection that is masqueraded later: the expectation is built from the reply tuple before NAT, so it expects the server to connect to 10.0.1.100:2000 (not the public address): the server\'s SYN to 203.0.113.1:2000 is NEW and delivered to the router (reset), while a SYN addressed to 10.0.1.100:2000 is RELATED and forwarded',
    tags: ['nft', 'expectations', 'ct-related', 'nat', 'masquerade'],
    nft: `table ip f {
  ct expectation e2000 {
    protocol tcp
    dport 2000
    timeout 30s
    size 2
    l3proto ip
  }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    iifname "r_cli" tcp dport 7000 ct state new ct expectation set "e2000" counter
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ct state related counter
  }
  chain input {
    type filter hook input priority filter; policy accept;
    ct state related counter
  }
}
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" masquerade
  }
}`,
    steps: [
      cli(tcp4('10.0.1.100', 9500, W, 7000, 'S'), 'control SYN: expectation for 198.51.100.180 -> 10.0.1.100:2000'),
      wan(tcp4(W, 7000, R_WAN, 9500, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK'),
      wan(tcp4(W, 40000, R_WAN, 2000, 'S'), 'SYN from the server to 203.0.113.1:2000: NEW, local (reset)'),
      wan(tcp4(W, 40001, '10.0.1.100', 2000, 'S'), 'SYN to 10.0.1.100:2000: RELATED, forwarded'),
    ],
  },
  {
    name: 'r_r2_ipv6_nat66_5',
    description: 'ICMPv6 errors about an echo flow through NAT66 MASQUERADE: time exceeded from a WAN router and destination unreachable from the peer, both quoting the echo request as masqueraded (source fd00:3::1), are RELATED and translated back to fd00:1::100 (outer destination and quoted source); the echo reply after them is ESTABLISHED',
    tags: ['ipv6', 'ip6tables', 'nat', 'nat66', 'masquerade', 'icmpv6', 'ct-related'],
    ipv6: true,
    ip6tables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']) }),
    steps: [
      cli(echo6('fd00:1::100', '2001:db8::180', 91, 1), 'echo request: masqueraded'),
      wan(ipv6({ src: '2001:db8::1', dst: 'fd00:3::1', payload: icmpv6Error({ type: 3, code: 0, quote: echo6('fd00:3::1', '2001:db8::180', 91, 1) }) }), 'time exceeded from a WAN router: RELATED'),
      wan(ipv6({ src: '2001:db8::180', dst: 'fd00:3::1', payload: icmpv6Error({ type: 1, code: 3, quote: echo6('fd00:3::1', '2001:db8::180', 91, 1) }) }), 'address unreachable from the peer: RELATED'),
      wan(echo6('2001:db8::180', 'fd00:3::1', 91, 1, true), 'echo reply: ESTABLISHED, to fd00:1::100'),
    ],
  },
];
