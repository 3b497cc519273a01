/**
 * nftables equivalents of the usual iptables policies, as whole rulesets: a stateful inet
 * firewall with reject and rate-limited ICMP, a home router (masquerade, port forwards through a
 * dnat map with concatenated address . port, hairpin), sets with intervals and concatenations,
 * verdict maps and jump / goto / return, dynamic sets (update @set), ct helper objects (FTP),
 * notrack, marks (meta mark / ct mark with bit operations), log / counter / quota / limit,
 * reject variants in input and output, snat / dnat to ranges, redirect, tcp flags, several base
 * chains on one hook at different priorities, and an nft table beside iptables rules.
 */

import { ipv6, tcp, udp, icmpv6Echo } from '../../../src/packet/build.js';
import { cli, Conv, echo4, local, srv, tcp4, udp4, wan, R_SRV, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.180';
const W2 = '198.51.100.181';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_nftpol_stateful_1',
    description: 'a stateful inet firewall in nft: established/related accepted, invalid dropped, LAN to anywhere accepted, ping from the WAN limited to 2/second burst 2, everything else from the WAN rejected with icmpx admin-prohibited (TCP with a reset); the same rules for IPv4 and IPv6',
    tags: ['nft', 'nft-policy', 'reject', 'limit', 'ipv6'],
    ipv6: true,
    nft: `table inet filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    ct state invalid counter drop
    iifname "r_cli" counter accept
    iifname "r_wan" icmp type echo-request limit rate 2/second burst 2 packets counter accept
    iifname "r_wan" icmpv6 type echo-request limit rate 2/second burst 2 packets counter accept
    iifname "r_wan" meta l4proto tcp counter reject with tcp reset
    iifname "r_wan" counter reject with icmpx type admin-prohibited
  }
}`,
    steps: (() => {
      const c = new Conv(C, 44000, W, 443);
      return [
        cli(c.c('S'), 'LAN SYN: accepted'),
        wan(c.s('SA'), 'SYN/ACK: established'),
        wan(tcp4(W, 44001, C, 22, 'S'), 'unsolicited SYN: reset'),
        wan(udp4(W, 44002, C, 53, 'x'), 'unsolicited UDP: admin prohibited'),
        ...[1, 2, 3].map((k) => wan(echo4(W, S, 0x4400, k), `WAN ping ${k}`)),
        wan(ipv6({ src: '2001:db8::180', dst: 'fd00:2::100', payload: icmpv6Echo({ id: 0x4401, seq: 1, payload: 'abcdefgh' }) }), 'IPv6 ping from the WAN'),
        wan(ipv6({ src: '2001:db8::180', dst: 'fd00:2::100', payload: udp({ sport: 44003, dport: 53, payload: 'x' }) }), 'IPv6 UDP from the WAN: admin prohibited (ICMPv6 code 1)'),
      ];
    })(),
  },
  {
    name: 'r_nftpol_router_1',
    description: 'a home router in nft: masquerade to the WAN, port forwards from a dnat map of concatenated address . port (2222 -> 10.0.2.100:22, 8080 -> 10.0.2.101:80), hairpin for LAN clients using the public address (masquerade of LAN -> DMZ DNATed traffic), forward filter allowing DNATed connections',
    tags: ['nft', 'nft-policy', 'nat', 'masquerade', 'dnat', 'hairpin', 'maps'],
    nft: `table ip nat {
  map portfwd { type inet_service : ipv4_addr . inet_service; elements = { 2222 : 10.0.2.100 . 22, 8080 : 10.0.2.101 . 80 } }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 203.0.113.1 counter dnat ip addr . port to tcp dport map @portfwd
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" counter masquerade
    iifname "r_cli" oifname "r_srv" ct status dnat counter masquerade
  }
}
table ip filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    ct status dnat counter accept
    iifname "r_cli" counter accept
  }
}`,
    steps: (() => {
      const d = new Conv(W, 44010, S, 22, { sPub: [R_WAN, 2222] });
      return [
        wan(d.c('S'), 'SYN to :2222: to 10.0.2.100:22'),
        srv(d.s('SA'), 'SYN/ACK: from 203.0.113.1:2222'),
        wan(tcp4(W2, 44011, R_WAN, 8080, 'S'), 'SYN to :8080: to 10.0.2.101:80'),
        wan(tcp4(W2, 44012, R_WAN, 9999, 'S'), 'SYN to :9999: no map entry, to the router (RST)'),
        cli(tcp4(C, 44013, R_WAN, 2222, 'S'), 'LAN client to the public address: DNAT and masquerade (hairpin)'),
        cli(udp4(C, 44014, W, 53, 'q'), 'LAN to WAN: masquerade'),
      ];
    })(),
  },
  {
    name: 'r_nftpol_router_2',
    description: 'the home router of r_nftpol_router_1 with one dnat rule per port forward (dnat to 10.0.2.100:22 / 10.0.2.101:80) instead of the concatenated map: same packets, same results',
    tags: ['nft', 'nft-policy', 'nat', 'masquerade', 'dnat', 'hairpin'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 203.0.113.1 tcp dport 2222 counter dnat to 10.0.2.100:22
    ip daddr 203.0.113.1 tcp dport 8080 counter dnat to 10.0.2.101:80
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" counter masquerade
    iifname "r_cli" oifname "r_srv" ct status dnat counter masquerade
  }
}
table ip filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    ct status dnat counter accept
    iifname "r_cli" counter accept
  }
}`,
    steps: (() => {
      const d = new Conv(W, 44015, S, 22, { sPub: [R_WAN, 2222] });
      return [
        wan(d.c('S'), 'SYN to :2222: to 10.0.2.100:22'),
        srv(d.s('SA'), 'SYN/ACK: from 203.0.113.1:2222'),
        wan(tcp4(W2, 44016, R_WAN, 8080, 'S'), 'SYN to :8080: to 10.0.2.101:80'),
        wan(tcp4(W2, 44017, R_WAN, 9999, 'S'), 'SYN to :9999: to the router (RST)'),
        cli(tcp4(C, 44018, R_WAN, 2222, 'S'), 'LAN client to the public address: hairpin'),
        cli(udp4(C, 44019, W, 53, 'q'), 'LAN to WAN: masquerade'),
      ];
    })(),
  },
  {
    name: 'r_nftpol_sets_1',
    description: 'nft sets: an interval set of blocked networks, a concatenated set of allowed address . port, an anonymous set of ports, a verdict map on the input interface jumping to per-zone chains with return and goto',
    tags: ['nft', 'nft-policy', 'sets', 'maps'],
    nft: `table inet f {
  set blocked { type ipv4_addr; flags interval; elements = { 10.0.1.128/25, 198.51.100.0/28 } }
  set allowed { type ipv4_addr . inet_service; elements = { 10.0.2.100 . 22, 10.0.2.100 . 443, 10.0.2.101 . 80 } }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ip saddr @blocked counter drop
    iifname vmap { "r_cli" : jump lan, "r_wan" : goto wan, "r_srv" : accept }
    counter
  }
  chain lan {
    ip daddr . tcp dport @allowed counter accept
    udp dport { 53, 123 } counter accept
    counter return
  }
  chain wan {
    tcp dport { 80, 443 } counter accept
  }
}`,
    steps: [
      cli(tcp4(C, 44020, S, 22, 'S'), 'LAN -> 10.0.2.100:22: in @allowed'),
      cli(tcp4(C, 44021, S, 80, 'S'), 'LAN -> 10.0.2.100:80: not in it, return, policy drop'),
      cli(udp4(C, 44022, W, 123, 'ntp'), 'LAN NTP: accepted'),
      cli(tcp4('10.0.1.200', 44023, S, 22, 'S'), '10.0.1.200 is in the blocked interval'),
      wan(tcp4(W2, 44024, S, 443, 'S'), 'WAN -> 443: goto wan, accepted'),
      wan(tcp4(W2, 44025, S, 25, 'S'), 'WAN -> 25: falls off the goto chain: base chain policy'),
      wan(tcp4('198.51.100.5', 44026, S, 443, 'S'), '198.51.100.5 in 198.51.100.0/28: blocked'),
      srv(udp4(S, 44027, W, 9, 'dmz'), 'DMZ: accepted by the map'),
    ],
  },
  {
    name: 'r_nftpol_dynset_1',
    description: 'a dynamic set: LAN hosts that send to port 7 are added (add @knock { ip saddr }), and only known hosts may reach port 22; update with a timeout keeps the element',
    tags: ['nft', 'nft-policy', 'sets', 'dynset'],
    nft: `table ip f {
  set knock { type ipv4_addr; flags dynamic, timeout; timeout 1h; }
  chain forward {
    type filter hook forward priority filter; policy accept;
    udp dport 7 counter update @knock { ip saddr }
    tcp dport 22 ip saddr @knock counter accept
    tcp dport 22 counter drop
  }
}`,
    steps: [
      cli(tcp4(C, 44030, S, 22, 'S'), 'SYN to 22 before knocking: dropped'),
      cli(udp4(C, 44031, S, 7, 'knock'), 'knock: added'),
      cli(tcp4(C, 44032, S, 22, 'S'), 'SYN to 22 after knocking: accepted'),
      cli(tcp4(C2, 44033, S, 22, 'S'), 'another host: dropped'),
    ],
  },
  {
    name: 'r_nftpol_helper_1',
    description: 'a ct helper object in nft (ct helper ftp-std { type "ftp" protocol tcp; }) assigned with ct helper set on tcp/21 in a prerouting chain: the PORT command creates an expectation and the server\'s data connection is RELATED',
    tags: ['nft', 'nft-policy', 'helper', 'ftp', 'helper-ftp', 'expect'],
    nft: `table ip f {
  ct helper ftp-std { type "ftp" protocol tcp; }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    tcp dport 21 counter ct helper set "ftp-std"
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    iifname "r_cli" counter accept
  }
}`,
    steps: (() => {
      const c = new Conv(C, 44040, S, 21);
      const d = new Conv(S, 20, C, 44050);
      return [
        cli(c.c('S')),
        srv(c.s('SA')),
        cli(c.c('A')),
        srv(c.s('PA', { payload: '220 ready\r\n' })),
        cli(c.c('PA', { payload: 'USER a\r\n' })),
        srv(c.s('PA', { payload: '331 ok\r\n' })),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,172,18\r\n' }), 'PORT 44050: expectation'),
        srv(c.s('PA', { payload: '200 ok\r\n' })),
        srv(d.c('S'), 'data SYN from port 20: RELATED'),
        cli(d.s('SA'), 'SYN/ACK'),
      ];
    })(),
  },
  {
    name: 'r_nftpol_notrack_1',
    description: 'notrack in nft: a raw-priority prerouting chain untracks UDP to port 514 and DNS in both directions; ct state untracked is accepted, the rest is stateful',
    tags: ['nft', 'nft-policy', 'notrack', 'ct-untracked'],
    nft: `table ip raw {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    udp dport 514 counter notrack
    udp dport 53 counter notrack
    udp sport 53 counter notrack
  }
}
table ip f {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state untracked counter accept
    ct state established counter accept
    iifname "r_cli" ct state new counter accept
  }
}`,
    steps: [
      cli(udp4(C, 44060, S, 514, 'log'), 'syslog: untracked'),
      cli(udp4(C, 44061, W, 53, 'q'), 'DNS query: untracked'),
      wan(udp4(W, 53, C, 44061, 'a'), 'DNS answer: untracked'),
      cli(udp4(C, 44062, W, 123, 'ntp'), 'NTP: tracked, NEW'),
      wan(udp4(W, 123, C, 44062, 'ntp'), 'NTP answer: established'),
      wan(udp4(W, 124, C, 44063, 'x'), 'unsolicited: dropped'),
    ],
  },
  {
    name: 'r_nftpol_marks_1',
    description: 'marks in nft: meta mark set by port, ct mark set meta mark on new connections, meta mark set ct mark on replies, bit operations (ct mark set ct mark or 0x100, meta mark and 0xff), mark-based verdicts; mark= in events and table',
    tags: ['nft', 'nft-policy', 'mark', 'connmark'],
    nft: `table ip m {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new tcp dport 22 counter meta mark set 0x22
    ct state new udp dport 53 counter meta mark set 0x53
    ct state new counter ct mark set meta mark
    ct state new iifname "r_cli" counter ct mark set ct mark or 0x100
    ct direction reply counter meta mark set ct mark
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    meta mark and 0xff == 0x22 counter accept
    meta mark 0x153 counter accept
    ct mark and 0x100 == 0x100 counter accept
  }
}`,
    steps: (() => {
      const a = new Conv(C, 44070, S, 22);
      return [
        cli(a.c('S'), 'ssh: mark 0x22, ct mark 0x122'),
        srv(a.s('SA'), 'reply: meta mark from ct mark 0x122, accepted by mark and 0xff'),
        cli(udp4(C, 44071, W, 53, 'q'), 'dns: mark 0x53, ct mark 0x153'),
        wan(udp4(W, 53, C, 44071, 'a'), 'answer: meta mark 0x153'),
        cli(tcp4(C, 44072, S, 80, 'S'), 'http: ct mark 0x100: accepted by the ct mark test'),
        wan(tcp4(W, 44073, S, 80, 'S'), 'from the WAN: no mark, dropped'),
      ];
    })(),
  },
  {
    name: 'r_nftpol_marks_2',
    description: 'the marks of r_nftpol_marks_1 without bitwise expressions: meta mark set by port, ct mark set meta mark, meta mark set ct mark on replies, plain meta mark / ct mark matches',
    tags: ['nft', 'nft-policy', 'mark', 'connmark'],
    nft: `table ip m {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new tcp dport 22 counter meta mark set 0x122
    ct state new udp dport 53 counter meta mark set 0x153
    ct state new counter ct mark set meta mark
    ct direction reply counter meta mark set ct mark
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    meta mark 0x122 counter accept
    meta mark 0x153 counter accept
    ct mark 0x0 iifname "r_cli" counter accept
  }
}`,
    steps: (() => {
      const a = new Conv(C, 44075, S, 22);
      return [
        cli(a.c('S'), 'ssh: mark 0x122, ct mark 0x122'),
        srv(a.s('SA'), 'reply: meta mark 0x122 from ct mark, accepted'),
        cli(udp4(C, 44076, W, 53, 'q'), 'dns: mark 0x153'),
        wan(udp4(W, 53, C, 44076, 'a'), 'answer: meta mark 0x153'),
        cli(tcp4(C, 44077, S, 80, 'S'), 'http from the LAN: ct mark 0'),
        wan(tcp4(W, 44078, S, 80, 'S'), 'from the WAN: dropped'),
      ];
    })(),
  },
  {
    name: 'r_nftpol_log_1',
    description: 'log, counter, quota and limit statements: log prefix with level and flags (non-terminal), a named counter object, quota until 100 bytes then over, limit over 1/minute with burst 1',
    tags: ['nft', 'nft-policy', 'log', 'quota', 'limit'],
    nft: `table ip f {
  counter dns { }
  chain forward {
    type filter hook forward priority filter; policy accept;
    udp dport 53 counter name "dns"
    tcp flags syn log prefix "syn: " level info flags tcp sequence,options
    udp dport 9 quota until 100 bytes counter accept
    udp dport 9 counter drop
    udp dport 10 limit rate over 1/minute burst 1 packets counter drop
  }
}`,
    steps: [
      cli(udp4(C, 44080, W, 53, 'q'), 'dns: named counter'),
      cli(tcp4(C, 44081, S, 80, 'S', { options: { mss: 1460 } }), 'SYN: logged, accepted'),
      ...[1, 2, 3].map((k) => cli(udp4(C, 44082 + k, S, 9, 'd'.repeat(22)), `port 9, 50 bytes #${k}`)),
      ...[1, 2].map((k) => cli(udp4(C, 44090 + k, S, 10, 'x'), `port 10 #${k}`)),
    ],
  },
  {
    name: 'r_nftpol_reject_1',
    description: 'nft reject in an ip table: with icmp type host-unreachable / net-prohibited / port-unreachable, with tcp reset in input for the router, and in output for the router\'s own packets (the error goes to itself)',
    tags: ['nft', 'nft-policy', 'reject'],
    nft: `table ip f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    udp dport 1 counter reject with icmp type host-unreachable
    udp dport 2 counter reject with icmp type net-prohibited
    udp dport 3 counter reject
  }
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 22 counter reject with tcp reset
  }
  chain output {
    type filter hook output priority filter; policy accept;
    udp dport 514 counter reject with icmp type admin-prohibited
  }
}`,
    steps: [
      cli(udp4(C, 44100, S, 1, 'a'), 'host unreachable'),
      cli(udp4(C2, 44101, S, 2, 'b'), 'net prohibited'),
      cli(udp4('10.0.1.102', 44102, S, 3, 'c'), 'port unreachable'),
      cli(tcp4(C, 44103, '10.0.1.1', 22, 'S', { seq: 77 }), 'SYN to the router: RST ack 78'),
      local(udp4(R_SRV, 44104, S, 514, 'log'), 'router syslog: rejected to itself'),
    ],
  },
  {
    name: 'r_nftpol_nat_1',
    description: 'nft NAT to ranges: snat to 203.0.113.1 with port range 30000-30010 for UDP (a source port outside is remapped: masked), dnat to an address range (the kernel\'s hash choice), redirect of LAN HTTP to :3128 (transparent proxy, RST from the router)',
    tags: ['nft', 'nft-policy', 'nat', 'snat', 'dnat', 'redirect'],
    runs: 4,
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" tcp dport 443 counter dnat to 10.0.2.100-10.0.2.103
    iifname "r_cli" tcp dport 80 counter redirect to :3128
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" meta l4proto udp counter snat to 203.0.113.1:30000-30010
    oifname "r_wan" counter masquerade
  }
}`,
    steps: [
      cli(udp4(C, 30005, W, 53, 'in range'), 'source port 30005: kept'),
      cli(udp4(C, 44110, W, 53, 'out of range'), 'source port 44110: remapped into 30000-30010'),
      wan(tcp4(W, 44111, R_WAN, 443, 'S'), 'HTTPS from the WAN: to one of 10.0.2.100-103'),
      cli(tcp4(C, 44112, W, 80, 'S'), 'LAN HTTP: redirected to 10.0.1.1:3128, RST'),
    ],
  },
  {
    name: 'r_nftpol_tcpflags_1',
    description: 'tcp flags in nft: new connections not starting with a SYN are dropped (ct state new tcp flags & (syn | ack) != syn), SYN+FIN and SYN+RST dropped by masks, tcp flags == 0 (NULL) dropped, a normal handshake passes',
    tags: ['nft', 'nft-policy', 'match-tcp'],
    nft: `table ip f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    tcp flags & (syn | fin) == syn | fin counter drop
    tcp flags & (syn | rst) == syn | rst counter drop
    tcp flags == 0x0 counter drop
    ct state new tcp flags & (syn | ack) != syn counter drop
  }
}`,
    steps: (() => {
      const c = new Conv(C, 44120, S, 80);
      return [
        cli(tcp4(C, 44121, S, 80, 'SF'), 'SYN+FIN'),
        cli(tcp4(C, 44122, S, 80, 'SR'), 'SYN+RST'),
        cli(tcp4(C, 44123, S, 80, ''), 'NULL'),
        cli(tcp4(C, 44124, S, 80, 'A', { ack: 1 }), 'ACK starting a connection (picked up, NEW): dropped'),
        cli(c.c('S'), 'SYN'),
        srv(c.s('SA'), 'SYN/ACK (not NEW)'),
        cli(c.c('A'), 'ACK'),
      ];
    })(),
  },
  {
    name: 'r_nftpol_priority_1',
    description: 'several base chains on the forward hook: at priority -10 an accept does not stop the chain at priority 10 from dropping; a drop at -10 ends it; iptables filter FORWARD (priority 0) sits between them and its DROP decides too',
    tags: ['nft', 'nft-policy', 'hook-priority'],
    nft: `table ip early {
  chain f {
    type filter hook forward priority -10; policy accept;
    udp dport 1 counter accept
    udp dport 2 counter drop
  }
}
table ip late {
  chain f {
    type filter hook forward priority 10; policy accept;
    udp dport 1 counter drop
    udp dport 3 counter accept
  }
}`,
    iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p udp --dport 3 -j DROP\n-A FORWARD -p udp --dport 4 -j ACCEPT\nCOMMIT\n',
    steps: [1, 2, 3, 4].map((p) => cli(udp4(C, 44130 + p, S, p, `p${p}`), `udp ${p}`)),
  },
  {
    name: 'r_nftpol_ipv6_1',
    description: 'an IPv6 policy in an inet table: ICMPv6 echo allowed, ip6 saddr prefix matches, ct state for IPv6 TCP, reject with icmpv6 type admin-prohibited for the rest from the WAN; IPv4 traffic in the same table by ip saddr',
    tags: ['nft', 'nft-policy', 'ipv6', 'reject'],
    ipv6: true,
    nft: `table inet f {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    icmpv6 type echo-request counter accept
    ip6 saddr fd00:1::/64 counter accept
    ip saddr 10.0.1.0/24 counter accept
    iifname "r_wan" meta nfproto ipv6 counter reject with icmpv6 type admin-prohibited
  }
}`,
    steps: [
      cli(ipv6({ src: 'fd00:1::100', dst: '2001:db8::180', payload: tcp({ sport: 44140, dport: 443, flags: 'S', seq: 1000 }) }), 'IPv6 SYN from the LAN'),
      wan(ipv6({ src: '2001:db8::180', dst: 'fd00:1::100', payload: tcp({ sport: 443, dport: 44140, flags: 'SA', seq: 5000, ack: 1001 }) }), 'SYN/ACK: established'),
      wan(ipv6({ src: '2001:db8::180', dst: 'fd00:2::100', payload: icmpv6Echo({ id: 1, seq: 1, payload: 'abcdefgh' }) }), 'ping from the WAN: accepted'),
      wan(ipv6({ src: '2001:db8::180', dst: 'fd00:2::100', payload: udp({ sport: 44141, dport: 9, payload: 'x' }) }), 'UDP from the WAN: admin prohibited'),
      cli(udp4(C, 44142, W, 9, 'v4'), 'IPv4 from the LAN: accepted'),
      wan(udp4(W, 44143, S, 9, 'v4'), 'IPv4 from the WAN: dropped by the policy (the reject is IPv6 only)'),
    ],
  },
  {
    name: 'r_nftpol_chains_1',
    description: 'regular chains in nft: jump and return, goto returning to the caller\'s caller, a chain called from two places, counters in every chain; verdicts accept / drop / continue',
    tags: ['nft', 'nft-policy', 'user-chains'],
    nft: `table ip f {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ip protocol tcp counter jump tcp_in
    ip protocol udp counter goto udp_in
    counter
  }
  chain tcp_in {
    tcp dport 22 counter jump common
    tcp dport 80 counter accept
    counter return
  }
  chain udp_in {
    udp dport 53 counter jump common
    udp dport 123 counter return
  }
  chain common {
    ip saddr 10.0.1.100 counter accept
    counter continue
  }
}`,
    steps: [
      cli(tcp4(C, 44150, S, 22, 'S'), 'ssh from .100: common accepts'),
      cli(tcp4(C2, 44151, S, 22, 'S'), 'ssh from .101: common continues, back in tcp_in, return, policy drop'),
      cli(tcp4(C2, 44152, S, 80, 'S'), 'http: accepted'),
      cli(udp4(C, 44153, S, 53, 'q'), 'dns from .100: goto udp_in, jump common, accepted'),
      cli(udp4(C2, 44154, S, 123, 'ntp'), 'ntp: return from a goto chain ends the base chain: policy drop'),
      cli(udp4(C2, 44155, S, 9, 'x'), 'udp 9: end of udp_in: policy drop'),
    ],
  },
];
