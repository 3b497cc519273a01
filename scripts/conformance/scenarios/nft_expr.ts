/**
 * nft packet-level expressions and statements: `fib` (reverse-path and address-type checks in
 * every hook they are allowed in, IPv4 and IPv6, the loopback and 0.0.0.0 special cases), `rt`
 * (next hop, the TCP MSS clamping idiom `tcp option maxseg size set rt mtu`, no route in
 * prerouting), `tcp option` matches, `tcp option ... set` and `reset tcp option`, and payload
 * mangling with the kernel's checksum updates (IPv4 header, the transport checksum through the
 * pseudo-header, UDP without checksum, raw writes that fix nothing, SCTP's CRC32c) and its
 * interaction with conntrack (a rewrite before conntrack is what it tracks, one after is not).
 */

import { icmpv6Echo, ipv4, ipv6, sctp, tcp, udp } from '../../../src/packet/build.js';
import { cli, echo4, local, srv, tcp4, udp4, wan } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.7';
const C6 = 'fd00:1::100';
const S6 = 'fd00:2::100';
const W6 = '2001:db8::80';

function udp6(src: string, sport: number, dst: string, dport: number, payload = 'data'): Uint8Array {
  return ipv6({ src, dst, payload: udp({ sport, dport, payload }) });
}

function tcp6(src: string, sport: number, dst: string, dport: number, flags: string, options?: Parameters<typeof tcp>[0]['options']): Uint8Array {
  return ipv6({ src, dst, payload: tcp({ sport, dport, flags, seq: 1000, options }) });
}

function echo6(src: string, dst: string, id: number, seq: number): Uint8Array {
  return ipv6({ src, dst, payload: icmpv6Echo({ id, seq, payload: 'abcdefgh' }) });
}

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_nft_fib_1',
    description: 'nft fib (IPv4): reverse-path filter `fib saddr . iif oif missing drop` against spoofed sources, address types (local, broadcast, local on the ingress interface), fib oif / oifname / exists in forward and input, 0.0.0.0 to broadcast and the loopback shortcut for the host\'s own packets',
    tags: ['nft', 'fib'],
    nft: `table inet f {
  chain prerouting {
    type filter hook prerouting priority 0; policy accept;
    fib saddr . iif oif missing counter drop
    fib daddr type local counter
    fib daddr type broadcast counter
    fib daddr . iif type local counter
    fib saddr type local counter
    fib daddr . mark oif "r_wan" counter
    fib saddr . iif oifname "lo" counter
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    fib saddr . iif oif exists counter
    fib daddr oif "r_wan" counter
    fib daddr oifname "r_srv" counter
    fib saddr oif "r_cli" counter
    fib daddr . oif type unicast counter
  }
  chain input {
    type filter hook input priority 0; policy accept;
    fib daddr . iif type local counter
    fib daddr type broadcast counter
    fib saddr . iif oif "r_cli" counter
    fib saddr . iif oif "lo" counter
    fib saddr . iif oif missing counter
  }
  chain output {
    type filter hook output priority 0; policy accept;
    fib daddr type local counter
    fib saddr . oif type local counter
  }
}`,
    steps: [
      cli(udp4(C, 4000, S, 53, 'q1'), 'LAN to DMZ: the source routes back through r_cli'),
      cli(udp4('10.0.2.150', 4001, S, 53, 'spoof'), 'a DMZ source arriving on r_cli: dropped by the reverse-path rule'),
      wan(udp4(W, 4002, C, 53, 'q2'), 'from the internet: the default route leads back through r_wan'),
      wan(udp4(C, 4003, S, 53, 'spoof2'), 'a LAN source arriving on r_wan: dropped'),
      cli(echo4(C, '10.0.1.1', 9, 1), 'ping the router on r_cli: local on its ingress interface'),
      cli(echo4(C, '203.0.113.1', 9, 2), 'ping the WAN address from the LAN: local, but not on r_cli'),
      cli(udp4(C, 4004, '10.0.1.255', 9999, 'bcast'), 'subnet broadcast'),
      cli(udp4(C, 4005, '255.255.255.255', 9999, 'lbcast'), 'limited broadcast'),
      cli(udp4('0.0.0.0', 68, '255.255.255.255', 67, 'dhcp'), '0.0.0.0 to 255.255.255.255: the ingress device without a lookup'),
      cli(udp4('10.0.1.1', 4006, S, 53, 'own'), 'the router\'s own address as a source from outside: no route back (local)'),
      cli(udp4(C, 4007, W, 53, 'q3'), 'LAN to the internet'),
      srv(tcp4(S, 80, C, 4008, 'SA', { seq: 5000, ack: 1001 }), 'DMZ to LAN'),
      local(udp4('10.0.1.1', 4009, '10.0.1.1', 9998, 'self'), 'the router to itself: through lo, the fib shortcut in prerouting and input'),
      local(udp4('203.0.113.1', 4010, W, 53, 'out'), 'the router to the internet: fib type in output'),
    ],
  },
  {
    name: 'r_nft_fib_2',
    description: 'nft fib (IPv6): reverse-path filter against spoofed sources, address types local / multicast / unicast, local on the ingress interface, oif in forward',
    tags: ['nft', 'fib', 'ipv6'],
    ipv6: true,
    nft: `table inet f {
  chain prerouting {
    type filter hook prerouting priority 0; policy accept;
    meta nfproto ipv6 fib saddr . iif oif missing counter drop
    meta nfproto ipv6 fib daddr type local counter
    meta nfproto ipv6 fib daddr type multicast counter
    meta nfproto ipv6 fib daddr type unicast counter
    meta nfproto ipv6 fib daddr . iif type local counter
    meta nfproto ipv6 fib daddr . iif type unicast counter
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    meta nfproto ipv6 fib daddr oif "r_wan" counter
    meta nfproto ipv6 fib saddr . iif oif exists counter
    meta nfproto ipv6 fib daddr oifname "r_srv" counter
  }
  chain input {
    type filter hook input priority 0; policy accept;
    meta nfproto ipv6 fib daddr . iif type local counter
    meta nfproto ipv6 fib saddr . iif oif "r_cli" counter
  }
}`,
    steps: [
      cli(udp6(C6, 5000, S6, 53, 'q1'), 'LAN to DMZ'),
      cli(udp6('fd00:2::150', 5001, S6, 53, 'spoof'), 'a DMZ source on r_cli: dropped'),
      wan(udp6(W6, 5002, C6, 53, 'q2'), 'from the internet'),
      wan(udp6(C6, 5003, S6, 53, 'spoof2'), 'a LAN source on r_wan: dropped'),
      cli(echo6(C6, 'fd00:1::1', 7, 1), 'ping the router on r_cli'),
      cli(echo6(C6, 'fd00:3::1', 7, 2), 'ping the WAN address from the LAN: local, not on r_cli'),
      cli(echo6(C6, 'ff02::1', 7, 3), 'all-nodes multicast'),
      cli(udp6(C6, 5004, W6, 53, 'q3'), 'LAN to the internet'),
    ],
  },
  {
    name: 'r_nft_rt_1',
    description: 'nft rt: the next hop (the gateway, the destination when on-link), TCP MSS clamping with `tcp option maxseg size set rt mtu` (lowered only, checksum updated, an MSS at an odd offset as the kernel patches it), rt mtu in output and postrouting, rt breaks in prerouting (no route yet), rt classid and rt ipsec',
    tags: ['nft', 'rt', 'tcpopt'],
    nft: `table ip f {
  chain prerouting {
    type filter hook prerouting priority 0; policy accept;
    rt ip nexthop 0.0.0.0/0 counter
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    rt nexthop 203.0.113.254 counter
    rt nexthop 10.0.2.100 counter
    tcp flags syn tcp option maxseg size set rt mtu counter
    rt classid 0 counter
    rt ipsec missing counter
    rt mtu 1460 counter
  }
  chain input {
    type filter hook input priority 0; policy accept;
    rt nexthop 10.0.1.1 counter
    rt nexthop 10.0.1.255 counter
  }
  chain output {
    type filter hook output priority 0; policy accept;
    rt nexthop 203.0.113.254 counter
    rt mtu 1460 counter
    rt mtu 536 counter
  }
  chain postrouting {
    type filter hook postrouting priority 0; policy accept;
    rt mtu 1460 counter
    tcp option maxseg size 1460 counter
  }
}`,
    steps: [
      cli(tcp4(C, 6000, W, 80, 'S', { options: { mss: 8960, sackPerm: true, wscale: 7 } }), 'SYN to the internet with MSS 8960: next hop the gateway, MSS clamped to 1460'),
      cli(tcp4(C, 6001, S, 80, 'S', { options: { mss: 1400 } }), 'SYN to the DMZ with MSS 1400: on-link next hop, MSS kept (only lowered)'),
      cli(tcp4(C, 6002, S, 81, 'S', { options: { raw: Uint8Array.of(1, 2, 4, 0x23, 0x28) } }), 'SYN with NOP then MSS 9000: the MSS sits at an odd offset'),
      cli(tcp4(C, 6003, S, 82, 'S'), 'SYN without options'),
      cli(tcp4(C, 6004, S, 83, 'A', { options: { mss: 9000 } }), 'an ACK carrying an MSS option: not a SYN, left alone'),
      cli(udp4(C, 6005, '10.0.1.1', 9999, 'in'), 'to the router: input route, next hop the destination'),
      cli(udp4(C, 6006, '10.0.1.255', 9999, 'bc'), 'subnet broadcast to the router'),
      local(udp4('203.0.113.1', 6007, W, 53, 'out'), 'the router to the internet: output route via the gateway'),
      local(udp4('10.0.1.1', 6008, '10.0.1.1', 9998, 'self'), 'the router to itself: rt mtu through lo (65536: out of range, 536)'),
    ],
  },
  {
    name: 'r_nft_rt_2',
    description: 'nft rt (IPv6): rt ip6 nexthop (gateway, on-link), MSS clamping to the IPv6 route MTU (1500 - 60), rt mtu in postrouting',
    tags: ['nft', 'rt', 'ipv6', 'tcpopt'],
    ipv6: true,
    nft: `table inet f {
  chain forward {
    type filter hook forward priority 0; policy accept;
    rt ip6 nexthop fd00:3::fe counter
    rt ip6 nexthop fd00:2::100 counter
    rt ip nexthop 0.0.0.0/0 counter
    tcp flags syn tcp option maxseg size set rt mtu counter
  }
  chain postrouting {
    type filter hook postrouting priority 0; policy accept;
    rt mtu 1440 counter
    tcp option maxseg size 1440 counter
  }
}`,
    steps: [
      cli(tcp6(C6, 7000, W6, 80, 'S', { mss: 8940 }), 'SYN to the internet: via the gateway, MSS clamped to 1440'),
      cli(tcp6(C6, 7001, S6, 80, 'S', { mss: 1220 }), 'SYN to the DMZ: on-link, MSS 1220 kept'),
      cli(udp6(C6, 7002, S6, 53, 'q'), 'UDP: rt ip nexthop breaks for IPv6'),
    ],
  },
  {
    name: 'r_nft_tcpopt_1',
    description: 'nft tcp option matches: maxseg size (equal, less than), sack-perm exists / missing (missing also for non-TCP packets), window count, timestamp tsval, raw @8,48,32, sack left, maxseg length, an experimental kind, eol and nop, an option running past the header',
    tags: ['nft', 'tcpopt'],
    nft: `table inet f {
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp option maxseg size 1460 counter
    tcp option maxseg size < 1000 counter drop
    tcp option sack-perm exists counter
    tcp option sack-perm missing counter
    tcp option window count 7 counter
    tcp option timestamp tsval 12345 counter
    tcp option @8,48,32 0 counter
    tcp option sack left 5000 counter
    tcp option maxseg length 4 counter
    tcp option 254 exists counter
    tcp option eol exists counter
    tcp option nop exists counter
    tcp option maxseg size 0-65535 counter
  }
}`,
    steps: [
      cli(tcp4(C, 8000, S, 80, 'S', { options: { mss: 1460, sackPerm: true, ts: [12345, 0], wscale: 7 } }), 'a Linux-style SYN'),
      cli(tcp4(C, 8001, S, 80, 'S', { options: { mss: 536 } }), 'MSS 536: dropped'),
      srv(tcp4(S, 80, C, 8000, 'A', { seq: 5000, ack: 1001, options: { sack: [[5000, 6000]] } }), 'an ACK with a SACK block'),
      cli(udp4(C, 8002, S, 53, 'udp'), 'UDP: every tcp option test but the missing ones breaks'),
      cli(tcp4(C, 8003, S, 80, 'S', { options: { raw: Uint8Array.of(254, 4, 0xf9, 0x89) } }), 'an experimental option (kind 254)'),
      cli(tcp4(C, 8004, S, 80, 'S', { options: { raw: Uint8Array.of(1, 1, 2, 12, 5, 0xb4, 0, 0) } }), 'an MSS option whose length runs past the header'),
      cli(tcp4(C, 8005, S, 80, 'S'), 'no options at all'),
    ],
  },
  {
    name: 'r_nft_tcpopt_2',
    description: 'nft tcp option set and reset: maxseg size set (lowered, not raised, checksum updated, an MSS at an odd offset), timestamp tsval set, reset tcp option sack-perm / timestamp (NOPs), seen by a later hook',
    tags: ['nft', 'tcpopt'],
    nft: `table ip f {
  chain forward {
    type filter hook forward priority mangle; policy accept;
    tcp flags syn tcp option maxseg size set 1200 counter
    tcp dport 81 reset tcp option sack-perm counter
    tcp dport 82 tcp option timestamp tsval set 7 counter
    tcp dport 83 reset tcp option timestamp counter
  }
  chain postrouting {
    type filter hook postrouting priority 0; policy accept;
    tcp option maxseg size 1200 counter
    tcp option sack-perm missing counter
    tcp option timestamp tsval 7 counter
  }
}`,
    steps: [
      cli(tcp4(C, 9000, S, 80, 'S', { options: { mss: 1460 } }), 'MSS 1460 lowered to 1200'),
      cli(tcp4(C, 9001, S, 80, 'S', { options: { mss: 1000 } }), 'MSS 1000 kept'),
      cli(tcp4(C, 9002, S, 81, 'S', { options: { mss: 1460, sackPerm: true, ts: [99, 0] } }), 'sack-perm stripped'),
      cli(tcp4(C, 9003, S, 82, 'S', { options: { mss: 1460, sackPerm: true, ts: [99, 0] } }), 'tsval set to 7'),
      cli(tcp4(C, 9004, S, 83, 'S', { options: { mss: 1460, sackPerm: true, ts: [99, 0], wscale: 7 } }), 'timestamp stripped'),
      cli(tcp4(C, 9005, S, 84, 'S', { options: { raw: Uint8Array.of(1, 2, 4, 0x05, 0xb4) } }), 'NOP then MSS 1460 at an odd offset'),
    ],
  },
  {
    name: 'r_nft_mangle_1',
    description: 'nft payload mangling (IPv4): dscp, ecn, ttl, id (IP checksum patched), saddr / daddr (IP and TCP/UDP checksums through the pseudo-header, UDP without checksum left alone), ports, udp checksum set 0, icmp id, raw writes that fix no checksum; a port rewrite before conntrack is tracked, one after it is not',
    tags: ['nft', 'mangle'],
    nft: `table ip f {
  chain rawpre {
    type filter hook prerouting priority raw; policy accept;
    udp dport 5001 udp dport set 5002 counter
    udp dport 5016 @th,16,16 set 5017 counter
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip protocol icmp ip dscp set cs1 counter
    udp dport 5003 ip ttl set 9 counter
    udp dport 5004 ip saddr set 10.0.1.200 counter
    udp dport 5005 udp dport set 5006 counter
    tcp dport 5007 tcp dport set 5008 counter
    tcp dport 5009 ip daddr set 10.0.2.101 counter
    udp dport 5010 ip ecn set ce counter
    udp dport 5011 @nh,64,8 set 5 counter
    udp dport 5012 udp checksum set 0 counter
    icmp type echo-request icmp id set 77 counter
    udp dport 5013 ip id set 4242 counter
    udp dport 5014 udp dport set 5015 counter
    udp dport 5018 ip saddr set 10.0.1.201 counter
    udp dport 5019 ip dscp set af41 ip ttl set 200 counter
  }
}`,
    steps: [
      cli(udp4(C, 4101, S, 5001, 'raw'), 'dport 5001 rewritten to 5002 before conntrack'),
      srv(udp4(S, 5002, C, 4101, 'raw-reply'), 'reply from 5002: the connection conntrack saw'),
      cli(echo4(C, S, 33, 1), 'echo request: dscp cs1, icmp id 77'),
      cli(udp4(C, 4103, S, 5003, 'ttl'), 'ttl set 9'),
      cli(udp4(C, 4104, S, 5004, 'snat-ish'), 'source address rewritten, UDP checksum patched'),
      cli(udp4(C, 4105, S, 5005, 'late'), 'dport 5005 rewritten to 5006 after conntrack'),
      srv(udp4(S, 5006, C, 4105, 'late-reply'), 'reply from 5006: not the connection conntrack has (it keeps 5005)'),
      cli(tcp4(C, 4107, S, 5007, 'S'), 'tcp dport rewritten'),
      cli(tcp4(C, 4109, S, 5009, 'S'), 'destination address rewritten, TCP checksum patched'),
      cli(udp4(C, 4110, S, 5010, 'ecn'), 'ecn set ce'),
      cli(udp4(C, 4111, S, 5011, 'rawttl'), 'raw write of the TTL: the IP checksum is left wrong'),
      cli(udp4(C, 4112, S, 5012, 'nocsum'), 'udp checksum set 0'),
      cli(udp4(C, 4113, S, 5013, 'id'), 'ip id set'),
      cli(udp4(C, 4114, S, 5014, 'zero', { checksum: 0 }), 'a UDP datagram without checksum: dport rewritten'),
      cli(udp4(C, 4116, S, 5016, 'rawport'), 'raw port write before conntrack: the UDP checksum no longer matches'),
      cli(udp4(C, 4118, S, 5018, 'zero2', { checksum: 0 }), 'source rewritten on a UDP datagram without checksum: it stays without'),
      cli(udp4(C, 4119, S, 5019, 'two', { tos: 0x03 }), 'dscp and ttl in one rule, ECN bits kept'),
    ],
  },
  {
    name: 'r_nft_mangle_2',
    description: 'nft payload mangling (IPv6 and the rest): hop limit, traffic class, flow label, ip6 saddr (TCP, UDP and ICMPv6 checksums through the pseudo-header), icmpv6 id; tcp flags and window, th dport (no checksum fix), sctp dport (CRC32c computed anew)',
    tags: ['nft', 'mangle', 'ipv6'],
    ipv6: true,
    nft: `table inet f {
  chain forward {
    type filter hook forward priority 0; policy accept;
    udp dport 6001 ip6 hoplimit set 7 counter
    udp dport 6002 ip6 dscp set cs5 counter
    udp dport 6003 ip6 flowlabel set 12345 counter
    udp dport 6004 ip6 saddr set fd00:1::150 counter
    tcp dport 6005 ip6 saddr set fd00:1::151 counter
    icmpv6 type echo-request ip6 daddr set fd00:2::101 counter
    icmpv6 type echo-request icmpv6 id set 99 counter
    tcp dport 6006 tcp window set 1000 counter
    tcp dport 6007 tcp flags set syn,ack counter
    udp dport 6008 th dport set 6009 counter
    sctp dport 6010 sctp dport set 6011 counter
  }
}`,
    steps: [
      cli(udp6(C6, 4201, S6, 6001, 'hl'), 'hop limit 7'),
      cli(udp6(C6, 4202, S6, 6002, 'tc'), 'traffic class cs5'),
      cli(udp6(C6, 4203, S6, 6003, 'fl'), 'flow label 12345'),
      cli(udp6(C6, 4204, S6, 6004, 'src'), 'source rewritten, UDP checksum patched'),
      cli(tcp6(C6, 4205, S6, 6005, 'S'), 'source rewritten, TCP checksum patched'),
      cli(echo6(C6, S6, 44, 1), 'echo request: destination rewritten (ICMPv6 checksum patched), id 99'),
      cli(tcp4(C, 4206, S, 6006, 'S'), 'IPv4 TCP: window 1000'),
      cli(tcp4(C, 4207, S, 6007, 'S'), 'IPv4 TCP: flags syn,ack'),
      cli(udp4(C, 4208, S, 6008, 'th'), 'th dport rewritten, checksum not patched'),
      cli(ipv4({ src: C, dst: S, id: 1, payload: sctp({ sport: 4209, dport: 6010, vtag: 0, chunks: [{ type: 1, data: new Uint8Array(16) }] }) }), 'SCTP INIT: port rewritten, CRC32c computed anew'),
    ],
  },
  {
    name: 'r_nft_mangle_3',
    description: 'nft payload mangling with NAT: a port rewritten at priority mangle after conntrack then DNAT (`fib daddr type local`) to another port (replies carry the port the connection was tracked with), dscp set after masquerade in postrouting, ttl set on the host\'s own packets in output',
    tags: ['nft', 'mangle', 'nat', 'fib', 'dnat', 'masquerade'],
    nft: `table ip nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local tcp dport 80 counter dnat to 10.0.2.100:8000
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" counter masquerade
  }
}
table ip m {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    tcp dport 8080 tcp dport set 80 counter
  }
  chain output {
    type filter hook output priority 0; policy accept;
    udp dport 53 ip ttl set 5 counter
  }
  chain postrouting {
    type filter hook postrouting priority 200; policy accept;
    oifname "r_wan" ip dscp set af11 counter
  }
}`,
    steps: [
      wan(tcp4(W, 3000, '203.0.113.1', 8080, 'S'), 'SYN to the router on 8080: rewritten to 80, then DNAT to 10.0.2.100:8000'),
      srv(tcp4(S, 8000, W, 3000, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: translated back to the tracked 203.0.113.1:8080, dscp af11'),
      wan(tcp4(W, 3000, '203.0.113.1', 8080, 'A', { seq: 1001, ack: 5001 }), 'ACK: rewritten and translated'),
      wan(tcp4(W, 3001, '203.0.113.1', 80, 'S'), 'SYN to 80 directly: DNAT'),
      cli(udp4(C, 3002, W, 53, 'q'), 'LAN to the internet: masquerade, dscp af11'),
      local(udp4('203.0.113.1', 3003, W, 53, 'own'), 'the router\'s own query: ttl 5 in output, dscp in postrouting'),
    ],
  },
  {
    name: 'r_nft_mangle_4',
    description: 'stateless NAT with payload writes at priority raw: the destination rewritten before routing (the packet is routed to the new address, conntrack tracks the rewritten tuple), the reply\'s source rewritten back in postrouting; a rewrite at priority raw with notrack',
    tags: ['nft', 'mangle', 'notrack'],
    nft: `table ip f {
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    ip daddr 203.0.113.1 udp dport 7000 ip daddr set 10.0.2.100 counter
    ip daddr 203.0.113.1 tcp dport 7001 ip daddr set 10.0.2.101 tcp dport set 7101 notrack counter
  }
  chain postrouting {
    type filter hook postrouting priority srcnat; policy accept;
    ip saddr 10.0.2.100 udp sport 7000 ip saddr set 203.0.113.1 counter
    ip saddr 10.0.2.101 tcp sport 7101 ip saddr set 203.0.113.1 tcp sport set 7001 counter
  }
}`,
    steps: [
      wan(udp4(W, 5500, '203.0.113.1', 7000, 'in'), 'to the router\'s address: rewritten to the DMZ host and forwarded there'),
      srv(udp4(S, 7000, W, 5500, 'out'), 'the reply: its source rewritten back in postrouting'),
      wan(tcp4(W, 5501, '203.0.113.1', 7001, 'S'), 'TCP, untracked: address and port rewritten'),
      srv(tcp4('10.0.2.101', 7101, W, 5501, 'SA', { seq: 5000, ack: 1001 }), 'the SYN/ACK rewritten back'),
    ],
  },
];
