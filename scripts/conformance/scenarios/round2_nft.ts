/**
 * Round 2, nftables equivalents of iptables features: sets with timeouts, maps, verdict maps,
 * concatenations, dynamic sets with per-element limits, named quotas, limit over, log, reject
 * forms (icmp / icmpx / tcp reset), NAT statements with address and port ranges / persistent,
 * redirect and masquerade to ports, ct helper objects with NAT, ct timeout objects crossing
 * their timeouts, ct zone / mark / label set, notrack, payload mangling, fib, netdev ingress.
 */

import { ipv6, tcp, udp } from '../../../src/packet/build.js';
import { cli, echo4, pause, srv, tcp4, udp4, wan, Conv, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const C3 = '10.0.1.102';
const S = '10.0.2.100';
const S2 = '10.0.2.101';
const W = '198.51.100.90';
const W2 = '198.51.100.91';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_r2_nft_settimeout_1',
    description: 'a set with flags timeout (2 s): udp/9 from a source adds it (update @knock), udp/10 is then accepted from that source only; after a 3 s pause the element has expired and udp/10 from it is dropped again',
    tags: ['nft', 'sets', 'dynset', 'set-timeout'],
    nft: `table ip f {
  set knock {
    type ipv4_addr
    flags dynamic,timeout
    timeout 2s
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    udp dport 9 counter update @knock { ip saddr } accept
    udp dport 10 ip saddr @knock counter accept
  }
}`,
    steps: [
      cli(udp4(C, 3000, W, 10, 'x'), 'udp/10 before knocking: dropped'),
      cli(udp4(C, 3001, W, 9, 'k'), 'knock: element added, timeout 2 s'),
      cli(udp4(C, 3002, W, 10, 'x'), 'udp/10: accepted'),
      cli(udp4(C2, 3003, W, 10, 'x'), 'udp/10 from another source: dropped'),
      pause(3),
      cli(udp4(C, 3004, W, 10, 'x'), 'udp/10 after 3 s: element expired, dropped'),
    ],
  },
  {
    name: 'r_r2_nft_map_1',
    description: 'a named map from ip daddr to a mark and an anonymous map from tcp dport to a ct mark: meta mark set ip daddr map @m, ct mark set tcp dport map { 22 : 0x22, 80 : 0x80 }; an address missing from the map leaves the mark unset (the rule breaks); the final table shows the ct marks',
    tags: ['nft', 'maps', 'mark', 'connmark'],
    nft: `table ip f {
  map m {
    type ipv4_addr : mark
    elements = { 198.51.100.90 : 0x5, 198.51.100.91 : 0x6 }
  }
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    iifname "r_cli" meta mark set ip daddr map @m counter
    iifname "r_cli" ct state new ct mark set tcp dport map { 22 : 0x22, 80 : 0x80 } counter
    meta mark 0x6 counter ct mark set ct mark or 0x600
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    meta mark 0x5 tcp dport 80 counter drop
  }
}`,
    steps: [
      cli(tcp4(C, 3100, W, 22, 'S'), 'to .90:22: mark 5, ct mark 0x22'),
      cli(tcp4(C, 3101, W, 80, 'S'), 'to .90:80: mark 5, dropped'),
      cli(tcp4(C, 3102, W2, 80, 'S'), 'to .91:80: mark 6, ct mark 0x680'),
      cli(tcp4(C, 3103, '198.51.100.92', 22, 'S'), 'to .92: not in the map, no meta mark, ct mark 0x22'),
      cli(tcp4(C, 3104, W2, 443, 'S'), 'port 443 not in the ct mark map: ct mark rule breaks; mark 6 rule sets 0x600'),
    ],
  },
  {
    name: 'r_r2_nft_vmap_1',
    description: 'verdict maps: tcp dport vmap { 22 : accept, 23 : drop, 80 : jump web } with a user chain that rejects one source with a tcp reset and returns; iifname vmap in the input hook; a port outside the map falls to the policy (drop)',
    tags: ['nft', 'maps', 'vmap', 'user-chains', 'reject'],
    nft: `table inet f {
  chain web {
    ip saddr 10.0.1.101 counter reject with tcp reset
    counter return
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    tcp dport vmap { 22 : accept, 23 : drop, 80 : jump web }
    tcp dport 80 counter accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname vmap { "r_wan" : drop, "r_cli" : accept }
  }
}`,
    steps: [
      cli(tcp4(C, 3200, W, 22, 'S'), ':22 accept'),
      cli(tcp4(C, 3201, W, 23, 'S'), ':23 drop'),
      cli(tcp4(C, 3202, W, 80, 'S'), ':80 via web: returns, accepted'),
      cli(tcp4(C2, 3203, W, 80, 'S'), ':80 from .101: reset'),
      cli(tcp4(C, 3204, W, 25, 'S'), ':25 policy drop'),
      wan(udp4(W, 3205, R_WAN, 53, 'q'), 'to the router from the WAN: vmap drop'),
      cli(udp4(C, 3206, '10.0.1.1', 53, 'q'), 'to the router from the LAN: vmap accept (port unreachable)'),
    ],
  },
  {
    name: 'r_r2_nft_concat_1',
    description: 'concatenations: a set of ip saddr . tcp dport allowed pairs, and a DNAT map keyed on ip daddr . tcp dport giving address . port (dnat ip to ip daddr . tcp dport map { ... }); pairs not in the set are dropped',
    tags: ['nft', 'sets', 'concat', 'maps', 'nat', 'dnat'],
    nft: `table ip f {
  set allowed {
    type ipv4_addr . inet_service
    elements = { 10.0.1.100 . 22, 10.0.1.101 . 80 }
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct status dnat counter accept
    ip saddr . tcp dport @allowed counter accept
  }
}
table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" dnat ip to ip daddr . tcp dport map { 203.0.113.1 . 80 : 10.0.2.100 . 8080, 203.0.113.1 . 443 : 10.0.2.101 . 8443 }
  }
}`,
    steps: [
      cli(tcp4(C, 3300, W, 22, 'S'), '.100 -> :22 allowed'),
      cli(tcp4(C, 3301, W, 80, 'S'), '.100 -> :80 not allowed'),
      cli(tcp4(C2, 3302, W, 80, 'S'), '.101 -> :80 allowed'),
      wan(tcp4(W, 3303, R_WAN, 80, 'S'), 'WAN :80 -> 10.0.2.100:8080'),
      wan(tcp4(W, 3304, R_WAN, 443, 'S'), 'WAN :443 -> 10.0.2.101:8443'),
      srv(tcp4(S, 8080, W, 3303, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK from 8080: source rewritten to 203.0.113.1:80'),
      wan(tcp4(W, 3305, R_WAN, 25, 'S'), 'WAN :25 not in the map: to the router (reset)'),
    ],
  },
  {
    name: 'r_r2_nft_meter_1',
    description: 'a dynamic set with a per-element limit (meter): update @m { ip saddr limit rate over 1/minute burst 2 packets } drop on new connections: per source, the first two connections pass and the third is dropped; another source has its own bucket',
    tags: ['nft', 'dynset', 'meter', 'limit'],
    nft: `table ip f {
  set m {
    type ipv4_addr
    flags dynamic
    size 16
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ct state new update @m { ip saddr limit rate over 1/minute burst 2 packets } counter drop
  }
}`,
    steps: [
      cli(udp4(C, 3400, W, 53, 'a'), '.100 #1'),
      cli(udp4(C, 3401, W, 53, 'a'), '.100 #2'),
      cli(udp4(C, 3402, W, 53, 'a'), '.100 #3: over the limit, dropped'),
      cli(udp4(C, 3400, W, 53, 'a'), '.100 #1 again: still ct state new (no reply yet), over the limit, dropped'),
      cli(udp4(C2, 3403, W, 53, 'a'), '.101 #1: own bucket'),
      cli(udp4(C2, 3404, W, 53, 'a'), '.101 #2'),
      cli(udp4(C2, 3405, W, 53, 'a'), '.101 #3: dropped'),
    ],
  },
  {
    name: 'r_r2_nft_limitover_1',
    description: 'limit rate over: packets within 3/minute burst 3 pass, the rest match "limit rate over" and are dropped; a byte limit (limit rate over 200 bytes/minute burst 200 bytes: the bucket holds rate + burst = 400 bytes) on another port lets five 80-byte packets through and drops the sixth',
    tags: ['nft', 'limit', 'limit-over'],
    nft: `table ip f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    icmp type echo-request limit rate over 3/minute burst 3 packets counter drop
    udp dport 7 limit rate over 200 bytes/minute burst 200 bytes counter drop
  }
}`,
    steps: [
      ...Array.from({ length: 5 }, (_, k) => cli(echo4(C, W, 9, k + 1), `echo #${k + 1}${k >= 3 ? ': over, dropped' : ''}`)),
      ...Array.from({ length: 6 }, (_, k) => cli(udp4(C, 3500, W, 7, 'x'.repeat(52)), `udp/7 80-byte packet #${k + 1}`)),
    ],
  },
  {
    name: 'r_r2_nft_quota_1',
    description: 'a named quota object (quota q { over 300 bytes }) referenced by quota name "q" with drop, and an anonymous quota until 150 bytes counting; once 300 bytes passed the named quota drops',
    tags: ['nft', 'quota', 'nft-objects'],
    nft: `table ip f {
  quota q {
    over 300 bytes
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    udp dport 5000 quota name "q" counter drop
    udp dport 5001 quota 150 bytes counter accept
    udp dport 5001 counter drop
  }
}`,
    steps: [
      ...Array.from({ length: 4 }, (_, k) => cli(udp4(C, 3600, W, 5000, 'y'.repeat(72)), `5000: 100-byte packet #${k + 1}`)),
      ...Array.from({ length: 3 }, (_, k) => cli(udp4(C, 3601, W, 5001, 'y'.repeat(52)), `5001: 80-byte packet #${k + 1}`)),
    ],
  },
  {
    name: 'r_r2_nft_log_1',
    description: 'log statements (prefix and level, flags all) do not change verdicts: each packet is logged and continues; a mid-stream ACK is picked up (tcp_loose) and the RST answering it is ESTABLISHED (the picked-up connection is checked liberally), so the invalid-logging rule never fires',
    tags: ['nft', 'log'],
    nft: `table inet f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    tcp flags syn log prefix "syn " level info counter
    udp dport 53 log prefix "dns " level warn flags all counter
    ct state invalid log flags all prefix "inv " counter drop
  }
}`,
    steps: [
      cli(tcp4(C, 3700, W, 80, 'S'), 'SYN: logged, forwarded'),
      cli(udp4(C, 3701, W, 53, 'q'), 'udp/53: logged'),
      cli(tcp4(C, 3702, W, 80, 'A', { seq: 1, ack: 1 }), 'stray ACK: picked up mid-stream'),
      wan(tcp4(W, 80, C, 3702, 'R', { seq: 1 }), 'RST answering it: ESTABLISHED'),
      wan(tcp4(W, 443, C, 3703, 'SA', { seq: 1, ack: 1 }), 'SYN/ACK without a SYN: INVALID, logged, dropped'),
    ],
  },
  {
    name: 'r_r2_nft_log_2',
    description: 'log group 3 snaplen 64 (nflog) and log queue-threshold in front of an accept: the verdicts are unchanged, the packets continue to the next rule',
    tags: ['nft', 'log', 'nflog'],
    nft: `table inet f {
  chain forward {
    type filter hook forward priority filter; policy drop;
    udp dport 53 log group 3 snaplen 64 counter
    udp dport 53 counter accept
    tcp dport 80 log group 4 queue-threshold 2 counter accept
  }
}`,
    steps: [
      cli(udp4(C, 3710, W, 53, 'q'), 'udp/53: nflog group 3, accepted'),
      cli(tcp4(C, 3711, W, 80, 'S'), 'tcp/80: nflog group 4, accepted'),
      cli(udp4(C, 3712, W, 54, 'q'), 'udp/54: policy drop'),
    ],
  },
  {
    name: 'r_r2_nft_reject_1',
    description: 'reject forms in an inet table over IPv4 and IPv6: icmpx port-unreachable / admin-prohibited / host-unreachable / no-route, icmp type net-prohibited, icmpv6 type addr-unreachable, tcp reset for both families',
    tags: ['nft', 'reject', 'icmpx', 'ipv6', 'router-generated'],
    ipv6: true,
    nft: `table inet f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    udp dport 1 counter reject with icmpx type port-unreachable
    udp dport 2 counter reject with icmpx type admin-prohibited
    udp dport 3 counter reject with icmpx type host-unreachable
    udp dport 4 counter reject with icmpx type no-route
    meta nfproto ipv4 udp dport 5 counter reject with icmp type net-prohibited
    meta nfproto ipv6 udp dport 5 counter reject with icmpv6 type addr-unreachable
    tcp dport 6 counter reject with tcp reset
  }
}`,
    steps: [
      cli(udp4(C, 3801, W, 1, 'r'), 'v4 udp/1 icmpx port-unreachable'),
      cli(udp4(C, 3802, W, 2, 'r'), 'v4 udp/2 icmpx admin-prohibited'),
      cli(udp4(C, 3803, W, 3, 'r'), 'v4 udp/3 icmpx host-unreachable'),
      cli(udp4(C, 3804, W, 4, 'r'), 'v4 udp/4 icmpx no-route'),
      cli(udp4(C, 3805, W, 5, 'r'), 'v4 udp/5 net-prohibited'),
      cli(tcp4(C, 3806, W, 6, 'S'), 'v4 tcp/6 reset'),
      cli(udp6('fd00:1::100', 3811, '2001:db8::90', 1), 'v6 udp/1 icmpx port-unreachable'),
      cli(udp6('fd00:1::100', 3812, '2001:db8::90', 2), 'v6 udp/2 icmpx admin-prohibited'),
      cli(udp6('fd00:1::100', 3813, '2001:db8::90', 3), 'v6 udp/3 icmpx host-unreachable (addr unreachable)'),
      cli(udp6('fd00:1::100', 3814, '2001:db8::90', 4), 'v6 udp/4 icmpx no-route'),
      cli(udp6('fd00:1::100', 3815, '2001:db8::90', 5), 'v6 udp/5 addr-unreachable'),
      cli(tcp6('fd00:1::100', 3816, '2001:db8::90', 6, 'S'), 'v6 tcp/6 reset'),
    ],
  },
  {
    name: 'r_r2_nft_natrange_1',
    description: 'DNAT to an address range and port range (dnat to 10.0.2.100-10.0.2.101:8000-8002): the address is chosen by the kernel\'s hash of the source, the port is the first of the range free for the tuple; SNAT to an address range with persistent (same source, same address)',
    tags: ['nft', 'nat', 'dnat', 'snat', 'nat-range', 'nat-persistent'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" tcp dport 80 counter dnat to 10.0.2.100-10.0.2.101:8000-8002
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" ip saddr 10.0.1.0/24 counter snat to 203.0.113.100-203.0.113.103 persistent
  }
}`,
    steps: [
      wan(tcp4(W, 3900, R_WAN, 80, 'S'), 'WAN .90 :80'),
      wan(tcp4(W, 3901, R_WAN, 80, 'S'), 'WAN .90 again, other port'),
      wan(tcp4(W2, 3902, R_WAN, 80, 'S'), 'WAN .91'),
      wan(tcp4('198.51.100.93', 3903, R_WAN, 80, 'S'), 'WAN .93'),
      cli(tcp4(C, 3904, W, 443, 'S'), 'LAN .100 out: persistent SNAT address'),
      cli(tcp4(C, 3905, W2, 443, 'S'), 'LAN .100 to another host: same address'),
      cli(tcp4(C3, 3906, W, 443, 'S'), 'LAN .102 out'),
    ],
  },
  {
    name: 'r_r2_nft_redirect_1',
    description: 'redirect to :8080 and to a port range, masquerade to :40000-40010 keeping a source port already inside the range; the redirected SYN reaches the router (reset from the closed port, reversed back to :80)',
    tags: ['nft', 'nat', 'redirect', 'masquerade', 'nat-range'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_cli" tcp dport 80 counter redirect to :8080
    iifname "r_cli" udp dport 53 counter redirect to :5353-5354
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" udp dport 123 counter masquerade to :40000-40010
  }
}`,
    steps: [
      cli(tcp4(C, 4000, W, 80, 'S'), 'tcp :80 -> router :8080 (closed: reset)'),
      cli(udp4(C, 4001, W, 53, 'q'), 'udp :53 -> router :5353 (closed: port unreachable)'),
      cli(udp4(C2, 4001, W, 53, 'q'), 'udp :53 from another client'),
      cli(udp4(C, 40005, W, 123, 'ntp'), 'ntp from :40005: inside the range, kept'),
      wan(udp4(W, 123, R_WAN, 40005, 'ntp-reply'), 'reply to 203.0.113.1:40005'),
    ],
  },
  (() => {
    const c = new Conv(C, 4100, W, 21, { cPub: [R_WAN, 4100] });
    return {
      name: 'r_r2_nft_cthelper_1',
      description: 'an nft ct helper object (type "ftp" protocol tcp) assigned with ct helper set in a prerouting chain after conntrack (priority filter), through masquerade: the PORT command is rewritten to 203,0,113,1 (sequence adjustment) and the server\'s data connection to the public address is RELATED and DNATed to the client',
      tags: ['nft', 'helper', 'ftp', 'helper-ftp', 'nat', 'masquerade', 'expect', 'seqadj', 'ct-helper-obj'],
      nft: `table ip f {
  ct helper ftp-std {
    type "ftp" protocol tcp
    l3proto ip
  }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    tcp dport 21 ct helper set "ftp-std"
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    iifname "r_cli" counter accept
  }
}
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" masquerade
  }
}`,
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        wan(c.s('PA', { payload: '220 ready\r\n' }), 'banner (first server line: not parsed)'),
        cli(c.c('PA', { payload: 'USER anonymous\r\n' }), 'USER (first client line: not parsed)'),
        wan(c.s('PA', { payload: '331 ok\r\n' }), '331'),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,160,10\r\n' }), 'PORT 40970: rewritten to 203,0,113,1'),
        wan(c.s('A', { ack: c.cnext + 1 }), 'server ACK (one byte longer)'),
        wan(tcp4(W, 20, R_WAN, 40970, 'S'), 'data SYN to 203.0.113.1:40970: RELATED to 10.0.1.100'),
        wan(tcp4(W, 20, R_WAN, 40971, 'S'), 'data SYN to an unexpected port: dropped'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 4110, W, 21, { cPub: [R_WAN, 4110] });
    return {
      name: 'r_r2_nft_cthelper_2',
      description: 'ct helper set in a chain at priority raw (-300), before conntrack has an entry for the packet: the kernel\'s ct helper object does nothing there, so the FTP connection has no helper: the PORT command goes out unchanged (10,0,1,100), the server\'s ACK of the rewritten length is INVALID and the data SYN to 203.0.113.1 is not expected (it reaches the router)',
      tags: ['nft', 'helper', 'ftp', 'helper-ftp', 'nat', 'masquerade', 'ct-helper-obj', 'hook-priority'],
      nft: `table ip f {
  ct helper ftp-std {
    type "ftp" protocol tcp
    l3proto ip
  }
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    tcp dport 21 ct helper set "ftp-std"
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    iifname "r_cli" counter accept
  }
}
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" masquerade
  }
}`,
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        wan(c.s('PA', { payload: '220 ready\r\n' }), 'banner (first server line: not parsed)'),
        cli(c.c('PA', { payload: 'USER anonymous\r\n' }), 'USER (first client line: not parsed)'),
        wan(c.s('PA', { payload: '331 ok\r\n' }), '331'),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,160,10\r\n' }), 'PORT 40970: not rewritten (no helper)'),
        wan(c.s('A', { ack: c.cnext + 1 }), 'server ACK as if rewritten (one byte longer): INVALID'),
        wan(tcp4(W, 20, R_WAN, 40970, 'S'), 'data SYN to 203.0.113.1:40970: nothing expected'),
        wan(tcp4(W, 20, R_WAN, 40971, 'S'), 'data SYN to an unexpected port: dropped'),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_r2_nft_cttimeout_1',
    description: 'a ct timeout object for UDP (unreplied 2 s, replied 4 s) set on new connections to port 53: the unreplied flow expires after a 3 s pause (the next packet is NEW again), the replied one survives it',
    tags: ['nft', 'ct-timeout', 'udp', 'expiry', 'nft-objects'],
    nft: `table ip f {
  ct timeout udpshort {
    protocol udp
    l3proto ip
    policy = { unreplied : 2, replied : 4 }
  }
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    udp dport 53 ct timeout set "udpshort"
  }
}`,
    steps: [
      cli(udp4(C, 4200, W, 53, 'q1'), 'flow A: NEW, 2 s'),
      cli(udp4(C, 4201, W, 53, 'q2'), 'flow B: NEW'),
      wan(udp4(W, 53, C, 4201, 'r2'), 'reply to B: replied timeout 4 s'),
      pause(3),
      cli(udp4(C, 4200, W, 53, 'q1'), 'flow A after 3 s: expired, NEW'),
      cli(udp4(C, 4201, W, 53, 'q2'), 'flow B after 3 s: still ESTABLISHED'),
    ],
  },
  {
    name: 'r_r2_nft_ctset_1',
    description: 'ct zone set from an iif map in raw prerouting, ct mark set with bit operations, ct label set (bit 3 and 40); the final table shows zone=, mark= and labels; a reply in the same zone finds the connection',
    tags: ['nft', 'zones', 'ct-zone', 'connmark', 'labels', 'connlabel'],
    nft: `table ip f {
  chain raw {
    type filter hook prerouting priority raw; policy accept;
    ct zone set iifname map { "r_cli" : 4, "r_wan" : 4, "r_srv" : 9 }
  }
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new ct mark set ct mark and 0xffff00ff or 0x4200
    ct state new udp dport 53 ct label set 3
    ct state new tcp dport 80 ct label set 40
  }
}`,
    steps: [
      cli(udp4(C, 4300, W, 53, 'q'), 'udp zone 4, mark 0x4200, label 3'),
      wan(udp4(W, 53, C, 4300, 'r'), 'reply zone 4: ESTABLISHED'),
      cli(tcp4(C, 4301, W, 80, 'S'), 'tcp zone 4 label 40'),
      srv(udp4(S, 4302, W, 53, 'q'), 'from r_srv: zone 9'),
    ],
  },
  {
    name: 'r_r2_nft_notrack_1',
    description: 'notrack in a raw-priority prerouting chain for udp/514 (either port) and for every packet from or to 10.0.1.101: untracked packets match ct state untracked in forward, tracked ones still NEW/ESTABLISHED; no conntrack entries for the untracked flows',
    tags: ['nft', 'notrack', 'ct-untracked'],
    nft: `table ip f {
  chain raw {
    type filter hook prerouting priority raw; policy accept;
    udp dport 514 notrack
    udp sport 514 notrack
    ip saddr 10.0.1.101 counter notrack
    ip daddr 10.0.1.101 counter notrack
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state untracked counter accept
    ct state established counter accept
    iifname "r_cli" ct state new counter accept
  }
}`,
    steps: [
      cli(udp4(C, 4400, W, 514, 'syslog'), 'syslog: untracked'),
      wan(udp4(W, 514, C, 4400, 'back'), 'back: untracked too'),
      cli(tcp4(C2, 4401, W, 80, 'S'), 'tcp from .101: untracked'),
      wan(tcp4(W, 80, C2, 4401, 'SA', { seq: 5000, ack: 1001 }), 'its SYN/ACK: untracked, accepted'),
      cli(udp4(C, 4402, W, 53, 'q'), 'udp/53: tracked NEW'),
      wan(udp4(W, 53, C, 4402, 'r'), 'reply: ESTABLISHED'),
      wan(udp4(W, 53, C, 4403, 'r'), 'unsolicited from the WAN: NEW, dropped'),
    ],
  },
  {
    name: 'r_r2_nft_mangle_1',
    description: 'payload mangling: ip ttl set 9, ip dscp set af21 (checksum updated), before conntrack (priority -300) a raw payload write @th,16,16 set 7777 leaves the UDP checksum stale (conntrack finds it INVALID, it is forwarded as is and its reply from 7777 is NEW), while udp dport set 7778 fixes the checksum (tracked with the new port, the reply ESTABLISHED)',
    tags: ['nft', 'mangle', 'payload-set', 'dscp', 'ttl'],
    nft: `table ip f {
  chain early {
    type filter hook prerouting priority -300; policy accept;
    udp dport 7000 @th,16,16 set 7777 counter
    udp dport 7001 udp dport set 7778 counter
  }
  chain post {
    type filter hook postrouting priority mangle; policy accept;
    oifname "r_wan" tcp dport 80 ip ttl set 9 counter
    oifname "r_wan" udp dport 53 ip dscp set af21 counter
  }
}`,
    steps: [
      cli(udp4(C, 4500, W, 7000, 'port'), 'udp to 7000: rewritten to 7777 by a raw write, stale checksum: INVALID'),
      wan(udp4(W, 7777, C, 4500, 'back'), 'reply from 7777: NEW (nothing tracked)'),
      cli(udp4(C, 4503, W, 7001, 'port'), 'udp to 7001: udp dport set 7778, checksum updated: NEW'),
      wan(udp4(W, 7778, C, 4503, 'back'), 'reply from 7778: ESTABLISHED'),
      cli(tcp4(C, 4501, W, 80, 'S'), 'tcp 80: ttl 9 on the wire'),
      cli(udp4(C, 4502, W, 53, 'q', { tos: 0x04 }), 'udp 53: dscp af21, ECN bits kept'),
    ],
  },
  {
    name: 'r_r2_nft_fib_1',
    description: 'fib: a reverse-path check (fib saddr . iif oif missing drop) (no default route) drops a source on r_cli with no route back; counters on fib daddr type local (to the router) and fib daddr type unicast (forwarded)',
    tags: ['nft', 'fib', 'rp_filter', 'spoofed-source'],
    defaultRoute: false,
    nft: `table ip f {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    fib saddr . iif oif missing counter drop
    fib daddr type local counter
    fib daddr type unicast counter
  }
}`,
    steps: [
      cli(udp4(C, 4600, S, 53, 'ok'), 'LAN to server: both routes exist'),
      cli(udp4('198.51.100.50', 4601, S, 53, 'spoof'), 'unknown source on r_cli: no route back, dropped'),
      srv(udp4(S, 4602, '10.0.1.1', 53, 'q'), 'server to the router: local'),
      wan(udp4('203.0.113.150', 4603, S, 53, 'q'), 'WAN host on its link to the server'),
    ],
  },
  {
    name: 'r_r2_nft_netdev_1',
    description: 'netdev ingress on r_cli: drops one source before the IP stack, sets meta mark for another (the mark survives into prerouting, where ct mark set meta mark copies it into the connection)',
    tags: ['nft', 'netdev', 'mark', 'connmark'],
    nft: `table netdev nd {
  chain in {
    type filter hook ingress device "r_cli" priority 0; policy accept;
    ip saddr 10.0.1.101 counter drop
    ip saddr 10.0.1.102 counter meta mark set 0x77
  }
}
table ip f {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    meta mark 0x77 ct state new counter ct mark set meta mark
  }
}`,
    steps: [
      cli(udp4(C2, 4700, W, 53, 'q'), '.101: dropped at ingress'),
      cli(udp4(C3, 4701, W, 53, 'q'), '.102: mark 0x77 -> ct mark'),
      cli(udp4(C, 4702, W, 53, 'q'), '.100: untouched'),
      wan(udp4(W, 53, C3, 4701, 'r'), 'reply to .102: ESTABLISHED'),
    ],
  },
  {
    name: 'r_r2_nft_ctmatch_1',
    description: 'conntrack matches in nft: ct status dnat, ct direction reply, ct original ip daddr, ct reply ip saddr, ct state new / established with counters, through a DNAT',
    tags: ['nft', 'conntrack-match', 'nat', 'dnat'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" tcp dport 2222 dnat to 10.0.2.100:22
  }
}
table ip f {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct direction reply ct state established counter accept
    ct status dnat ct original ip daddr 203.0.113.1 counter accept
    ct reply ip saddr 10.0.2.101 counter accept
  }
}`,
    steps: [
      wan(tcp4(W, 4800, R_WAN, 2222, 'S'), 'SYN to :2222: DNAT, accepted by ct status dnat'),
      srv(tcp4(S, 22, W, 4800, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: reply direction'),
      wan(tcp4(W, 4800, R_WAN, 2222, 'A', { seq: 1001, ack: 5001 }), 'ACK: original direction, status dnat'),
      wan(tcp4(W, 4801, S2, 22, 'S'), 'direct to 10.0.2.101: ct reply ip saddr matches'),
      wan(tcp4(W, 4802, S, 22, 'S'), 'direct to 10.0.2.100: dropped'),
    ],
  },
  {
    name: 'r_r2_nft_intervalset_1',
    description: 'an interval set with per-element counters (flags interval; counter): prefixes and a range, ip saddr @s accept, the rest rejected with icmp admin-prohibited',
    tags: ['nft', 'sets', 'interval-set', 'reject'],
    nft: `table ip f {
  set s {
    type ipv4_addr
    flags interval
    counter
    elements = { 10.0.1.96/30, 10.0.1.110-10.0.1.120 }
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "r_cli" ip saddr @s counter accept
    iifname "r_cli" counter reject with icmp type admin-prohibited
  }
}`,
    steps: [
      cli(udp4('10.0.1.99', 4900, W, 53, 'q'), '.99 in /30'),
      cli(udp4('10.0.1.100', 4901, W, 53, 'q'), '.100 outside: rejected'),
      cli(udp4('10.0.1.115', 4902, W, 53, 'q'), '.115 in the range'),
      cli(udp4('10.0.1.121', 4903, W, 53, 'q'), '.121 outside: rejected'),
    ],
  },
  {
    name: 'r_r2_nft_nat66_1',
    description: 'nft NAT66 in an ip6 table: masquerade out of r_wan (source fd00:3::1), dnat ip6 to [fd00:2::100]:8080 for the WAN, replies translated back',
    tags: ['nft', 'ipv6', 'nat', 'masquerade', 'dnat', 'nat66'],
    ipv6: true,
    nft: `table ip6 nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" tcp dport 80 counter dnat to [fd00:2::100]:8080
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" counter masquerade
  }
}`,
    steps: [
      cli(udp6('fd00:1::100', 5000, '2001:db8::90', 53), 'out: masqueraded to fd00:3::1'),
      wan(udp6('2001:db8::90', 53, 'fd00:3::1', 5000, 'reply'), 'reply: to fd00:1::100'),
      wan(tcp6('2001:db8::91', 5001, 'fd00:3::1', 80, 'S'), 'to :80: DNAT to [fd00:2::100]:8080'),
      srv(tcp6('fd00:2::100', 8080, '2001:db8::91', 5001, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: source back to fd00:3::1:80'),
    ],
  },
];

function udp6(src: string, sport: number, dst: string, dport: number, payload = 'data'): Uint8Array {
  return ipv6({ src, dst, payload: udp({ sport, dport, payload }) });
}
function tcp6(src: string, sport: number, dst: string, dport: number, flags: string, o: { seq?: number; ack?: number } = {}): Uint8Array {
  return ipv6({ src, dst, payload: tcp({ sport, dport, flags, seq: o.seq ?? 1000, ack: o.ack ?? 0 }) });
}
