/**
 * nftables rulesets and IPv6: nft reject variants for IPv4 and IPv6 (icmpx), the host's IPv6
 * answers (echo, hop limit exceeded, port unreachable, RST), stateful IPv6 forwarding with a
 * RELATED packet-too-big, ct mark / meta mark, sets and verdict maps, nft NAT (masquerade, dnat,
 * redirect, snat), limit and quota, NAT66 masquerade, IPv6 fragments.
 */

import { fragmentIpv6, icmpv6Echo, icmpv6Error, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { cli, Conv, echo4, pause, srv, tcp4, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.80';
const C6 = 'fd00:1::100';
const C6b = 'fd00:1::101';
const S6 = 'fd00:2::100';
const W6 = '2001:db8::80';

/** An IPv6 TCP segment. */
function tcp6(src: string, sport: number, dst: string, dport: number, flags: string, o: { seq?: number; ack?: number; hopLimit?: number; payload?: string } = {}): Uint8Array {
  return ipv6({ src, dst, hopLimit: o.hopLimit, payload: tcp({ sport, dport, flags, seq: o.seq ?? 1000, ack: o.ack ?? 0, payload: o.payload }) });
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
    name: 'r_nft_reject_1',
    description: 'nft reject in an inet table for IPv4 and IPv6: tcp reset, default (port unreachable / ICMPv6 port unreachable), icmpx admin-prohibited and host-unreachable',
    tags: ['reject', 'ipv6'],
    ipv6: true,
    nft: `table inet f {
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp dport 23 counter reject with tcp reset
    udp dport 69 counter reject
    meta l4proto icmp counter reject with icmpx type admin-prohibited
    meta l4proto ipv6-icmp icmpv6 type echo-request counter reject with icmpx type host-unreachable
    counter
  }
}`,
    steps: [
      cli(tcp4(C, 1024, S, 23, 'S'), 'IPv4 telnet: RST'),
      cli(tcp6(C6, 1025, S6, 23, 'S'), 'IPv6 telnet: RST'),
      cli(udp4(C, 1026, S, 69), 'IPv4 tftp: port unreachable'),
      cli(udp6(C6, 1027, S6, 69), 'IPv6 tftp: ICMPv6 port unreachable'),
      cli(echo4(C, S, 1, 1), 'IPv4 echo: admin prohibited (code 13)'),
      cli(echo6(C6, S6, 1, 1), 'IPv6 echo: address unreachable (icmpx host-unreachable)'),
      cli(udp6(C6, 1028, S6, 70), 'IPv6 udp 70: forwarded'),
    ],
  },
  {
    name: 'r_ipv6_host_1',
    description: 'IPv6 host answers: echo to the router, hop limit 1 forwarded (time exceeded), UDP to a closed port (port unreachable), TCP SYN to a closed port (RST), an echo to the WAN address from the LAN',
    tags: ['ipv6', 'host-answers'],
    ipv6: true,
    nft: `table inet f {
  chain input { type filter hook input priority 0; policy accept; meta l4proto ipv6-icmp counter; meta l4proto { tcp, udp } counter; }
  chain forward { type filter hook forward priority 0; policy accept; counter; }
  chain output { type filter hook output priority 0; policy accept; meta l4proto ipv6-icmp counter; meta l4proto tcp counter; }
}`,
    steps: [
      cli(echo6(C6, 'fd00:1::1', 7, 1), 'ping the router'),
      cli(echo6(C6, 'fd00:3::1', 7, 2), 'ping the WAN address'),
      cli(udp6(C6, 2000, W6, 33434, 'probe', 1), 'hop limit 1: time exceeded'),
      cli(udp6(C6, 2001, 'fd00:1::1', 53, 'query'), 'closed UDP port: port unreachable'),
      cli(tcp6(C6, 2002, 'fd00:1::1', 22, 'S'), 'closed TCP port: RST'),
      wan(udp6(W6, 2003, C6, 9, 'in', 2), 'from the internet, hop limit 2: forwarded with 1'),
    ],
  },
  {
    name: 'r_ipv6_stateful_1',
    description: 'stateful IPv6 forwarding (ct state in nft): TCP handshake, unsolicited inbound dropped, packet too big from a WAN hop is RELATED, an ICMPv6 error about nothing is INVALID',
    tags: ['ipv6', 'ct-related', 'pmtu'],
    ipv6: true,
    nft: `table inet f {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related counter accept
    ct state invalid counter drop
    iifname "r_cli" counter accept
  }
}`,
    steps: (() => {
      const big = tcp6(C6, 3000, W6, 443, 'PA', { seq: 1001, ack: 5001, payload: 'x'.repeat(1300) });
      return [
        cli(tcp6(C6, 3000, W6, 443, 'S'), 'SYN'),
        wan(tcp6(W6, 443, C6, 3000, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK'),
        cli(tcp6(C6, 3000, W6, 443, 'A', { seq: 1001, ack: 5001 }), 'ACK'),
        cli(big, 'big segment'),
        wan(ipv6({ src: '2001:db8::1', dst: C6, payload: icmpv6Error({ type: 2, quote: big, rest: 1280, quoteLen: 1232 }) }), 'packet too big: RELATED'),
        wan(tcp6(W6, 444, C6, 3001, 'S'), 'unsolicited SYN: dropped by policy'),
        wan(ipv6({ src: '2001:db8::1', dst: C6, payload: icmpv6Error({ type: 1, code: 4, quote: udp6(C6, 9999, W6, 53, 'x') }) }), 'port unreachable about nothing: INVALID'),
      ];
    })(),
  },
  {
    name: 'r_nft_ct_1',
    description: 'nft ct mark / meta mark: ct mark set by port on new connections, copied to the packet mark, matched with a verdict map and a set of addresses; ct status and ct direction matches',
    tags: ['nft', 'connmark', 'mark', 'sets'],
    nft: `table ip f {
  set trusted { type ipv4_addr; elements = { 10.0.1.100, 10.0.1.102 } }
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new tcp dport 22 counter ct mark set 0x22
    ct state new udp dport 53 counter ct mark set 0x53
    counter meta mark set ct mark
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct direction reply ct status seen-reply counter accept
    meta mark vmap { 0x22 : jump ssh, 0x53 : accept }
    counter
  }
  chain ssh {
    ip saddr @trusted counter accept
    counter reject with tcp reset
  }
}`,
    steps: [
      cli(tcp4(C, 4000, S, 22, 'S'), 'ssh from a trusted host'),
      srv(tcp4(S, 22, C, 4000, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: reply direction, seen-reply now set'),
      cli(tcp4('10.0.1.101', 4001, S, 22, 'S'), 'ssh from an untrusted host: reset'),
      cli(udp4(C, 4002, W, 53, 'q'), 'dns: mark 0x53 accepted by the map'),
      cli(udp4(C, 4003, W, 123, 'ntp'), 'ntp: no mark, policy drop'),
    ],
  },
  {
    name: 'r_nft_nat_1',
    description: 'nft NAT: masquerade to the WAN, dnat of tcp/8080 to the DMZ :80, redirect of udp/53 to the router, snat to the DMZ address',
    tags: ['nft', 'nat', 'masquerade', 'dnat', 'redirect', 'snat'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" tcp dport 8080 counter dnat to 10.0.2.100:80
    iifname "r_cli" udp dport 53 counter redirect to :5353
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" counter masquerade
    oifname "r_srv" ip saddr 10.0.1.0/24 counter snat to 10.0.2.1
  }
}`,
    steps: (() => {
      const d = new Conv(W, 5000, S, 80, { sPub: [R_WAN, 8080] });
      return [
        wan(d.c('S'), 'SYN to 8080: dnat'),
        srv(d.s('SA'), 'SYN/ACK from the server'),
        cli(udp4(C, 5001, W, 53, 'q'), 'dns: redirected to the router, port unreachable'),
        cli(tcp4(C, 5002, W, 443, 'S'), 'to the internet: masquerade'),
        cli(udp4(C, 5003, S, 9, 'to dmz'), 'to the DMZ: snat to 10.0.2.1'),
      ];
    })(),
  },
  {
    name: 'r_nft_limit_1',
    description: 'nft limit rate 2/second burst 3 packets, limit rate over, and a byte quota',
    tags: ['nft', 'limit', 'quota'],
    nft: `table ip f {
  chain forward {
    type filter hook forward priority 0; policy accept;
    icmp type echo-request limit rate over 2/second burst 3 packets counter drop
    udp dport 9 quota over 150 bytes counter drop
    counter
  }
}`,
    steps: [
      ...Array.from({ length: 5 }, (_, k) => cli(echo4(C, W, 2, k + 1), `echo ${k + 1}`)),
      pause(0.6),
      cli(echo4(C, W, 2, 6), 'after 0.6 s'),
      ...Array.from({ length: 4 }, (_, k) => cli(udp4(C, 6000 + k, W, 9, 'q'.repeat(32)), `quota packet ${k + 1} (60 bytes)`)),
    ],
  },
  {
    name: 'r_ipv6_nat_1',
    runs: 6,
    description: 'NAT66: nft ip6 masquerade of the LAN to the WAN address fd00:3::1; reply translated back; a second host with the same source port gets another port (masked)',
    tags: ['ipv6', 'nat', 'masquerade'],
    ipv6: true,
    nft: `table ip6 nat {
  chain post { type nat hook postrouting priority srcnat; policy accept; oifname "r_wan" counter masquerade; }
}`,
    steps: [
      cli(udp6(C6, 7000, W6, 53, 'q'), 'query: masqueraded'),
      wan(udp6(W6, 53, 'fd00:3::1', 7000, 'a'), 'answer'),
      cli(udp6(C6b, 7000, W6, 53, 'q2'), 'same port from another host'),
      cli(echo6(C6, W6, 9, 1), 'echo'),
      wan(echo6(W6, 'fd00:3::1', 9, 1, { reply: true }), 'echo reply'),
    ],
  },
  {
    name: 'r_ipv6_frag_1',
    description: 'IPv6 fragments forwarded: held until complete (nf_defrag_ipv6), then sent on as the original fragments; an ICMPv6 echo to the router in fragments',
    tags: ['ipv6', 'fragments'],
    ipv6: true,
    nft: `table inet f {
  chain forward { type filter hook forward priority 0; policy accept; meta l4proto udp counter; }
}`,
    steps: [
      ...fragmentIpv6(udp6(C6, 8000, S6, 9000, 'u'.repeat(1500)), 0xabcd, 808).map((f, k) => cli(f, `udp fragment ${k + 1}`)),
      ...fragmentIpv6(echo6(C6, 'fd00:1::1', 3, 1), 0xbcde, 8).map((f, k) => cli(f, `echo fragment ${k + 1}`)),
      srv(udp6(S6, 9000, C6, 8000, 'reply'), 'reply'),
    ],
  },
];
