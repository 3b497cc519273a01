/**
 * Round 2, other trackers with NAT and every protocol's timeout sysctls shortened with pauses
 * crossing them: UDP-Lite DNAT with a port and an ICMP error through it, SCTP with an ICMP error
 * through MASQUERADE and SNAT to another port, GRE DNAT; UDP (unreplied / stream), ICMP, ICMPv6,
 * UDP-Lite, SCTP (cookie_echoed, established, shutdown_sent), GRE (unreplied / stream), generic
 * and TCP (syn_sent refreshed by a retransmission, unacknowledged data, max_retrans) timeouts.
 */

import { gre, icmpv6Echo, ipv4, ipv6, sctp, udplite, type SctpChunk } from '../../../src/packet/build.js';
import { fold, pseudoHeaderSum, sum16 } from '../../../src/packet/checksum.js';
import { tcp4 as tcp4b, cli, Conv, echo4, icmpErr4, ipt, pause, srv, statefulForward, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.120';

/** UDP-Lite, full coverage, with the checksum conntrack verifies (see proto_more.ts). */
function udplite4(src: string, sport: number, dst: string, dport: number, payload: string, id = 1): Uint8Array {
  const p = ipv4({ src, dst, id, payload: udplite({ sport, dport, payload, coverage: 0, checksum: 0 }) });
  const len = p.length - 20;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let v = ~fold(pseudoHeaderSum(4, [dv.getUint32(12)], [dv.getUint32(16)], 17, len) + sum16(p, 20, len)) & 0xffff;
  if (v === 0) v = 0xffff;
  dv.setUint16(26, v);
  return p;
}

const u32s = (...v: number[]): Uint8Array => {
  const b = new Uint8Array(4 * v.length);
  const dv = new DataView(b.buffer);
  v.forEach((x, k) => dv.setUint32(4 * k, x >>> 0));
  return b;
};
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const INIT = (tag: number, tsn: number): SctpChunk => ({ type: 1, data: cat(u32s(tag, 65536), Uint8Array.of(0, 10, 0, 10), u32s(tsn)) });
const INIT_ACK = (tag: number, tsn: number): SctpChunk => ({ type: 2, data: cat(u32s(tag, 65536), Uint8Array.of(0, 10, 0, 10), u32s(tsn), Uint8Array.of(0, 7, 0, 12), Buffer.from('cookie00')) });
const COOKIE_ECHO: SctpChunk = { type: 10, data: 'cookie00' };
const COOKIE_ACK: SctpChunk = { type: 11 };
const DATA = (tsn: number, text: string): SctpChunk => ({ type: 0, flags: 3, data: cat(u32s(tsn), Uint8Array.of(0, 0, 0, 0), u32s(0), Buffer.from(text)) });
const SHUTDOWN = (cum: number): SctpChunk => ({ type: 7, data: u32s(cum) });

function sctp4(src: string, sport: number, dst: string, dport: number, vtag: number, chunks: SctpChunk[], id = 1): Uint8Array {
  return ipv4({ src, dst, id, payload: sctp({ sport, dport, vtag, chunks }) });
}
const gre4 = (src: string, dst: string, spec: Parameters<typeof gre>[0], id = 1): Uint8Array => ipv4({ src, dst, id, payload: gre(spec) });
const raw4 = (src: string, dst: string, proto: number, payload: Uint8Array, id = 1): Uint8Array => ipv4({ src, dst, id, proto, payload });

const OPEN = ipt({ filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT', '-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT']) });

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_r2_udplite_dnat_1',
    description: 'UDP-Lite DNAT with a port in nft (meta l4proto udplite th dport 5000 dnat to 10.0.2.100:6000; iptables DNAT cannot give UDP-Lite ports): the reply leaves from 203.0.113.1:5000 with the UDP-Lite checksum adjusted; an ICMP port unreachable from the server quoting the second request (as DNATed) is RELATED and its quote translated back for the WAN',
    tags: ['udplite', 'proto136', 'nat', 'dnat', 'icmp', 'ct-related', 'nft'],
    nft: `table ip nat {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" meta l4proto udplite th dport 5000 counter dnat to 10.0.2.100:6000
  }
}
table ip f {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    ct status dnat counter accept
  }
}`,
    steps: [
      wan(udplite4(W, 7000, R_WAN, 5000, 'lite-q'), 'to :5000: DNAT to 10.0.2.100:6000'),
      srv(udplite4(S, 6000, W, 7000, 'lite-r'), 'reply: from 203.0.113.1:5000'),
      wan(udplite4(W, 7000, R_WAN, 5000, 'lite-q2', 2), 'second request: ESTABLISHED'),
      srv(icmpErr4(S, W, 3, 3, udplite4(W, 7000, S, 6000, 'lite-q2', 2)), 'server port unreachable about it: RELATED, rewritten for the WAN'),
    ],
  },
  {
    name: 'r_r2_sctp_nat_icmp_1',
    description: 'SCTP through MASQUERADE with an ICMP error: INIT from the LAN masqueraded, INIT ACK back, then an ICMP fragmentation needed from a WAN router about the COOKIE ECHO is RELATED and its quoted SCTP header translated back to 10.0.1.100',
    tags: ['sctp', 'proto132', 'nat', 'masquerade', 'icmp', 'ct-related', 'pmtu'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']) }),
    steps: [
      cli(sctp4(C, 7100, W, 3868, 0, [INIT(0x11111111, 100)]), 'INIT'),
      wan(sctp4(W, 3868, R_WAN, 7100, 0x11111111, [INIT_ACK(0x22222222, 500)]), 'INIT ACK'),
      cli(sctp4(C, 7100, W, 3868, 0x22222222, [COOKIE_ECHO], 2), 'COOKIE ECHO'),
      wan(icmpErr4('198.51.100.1', R_WAN, 3, 4, sctp4(R_WAN, 7100, W, 3868, 0x22222222, [COOKIE_ECHO], 2), { rest: 1400 }), 'frag needed about it: RELATED'),
      wan(sctp4(W, 3868, R_WAN, 7100, 0x11111111, [COOKIE_ACK], 2), 'COOKIE ACK: ESTABLISHED'),
    ],
  },
  {
    name: 'r_r2_sctp_snat_port_1',
    description: 'SCTP SNAT to 203.0.113.1:40000 (a single port): the source port is rewritten and the CRC32c recomputed; the INIT ACK to 40000 is translated back to 7200; DATA both ways ESTABLISHED',
    tags: ['sctp', 'proto132', 'nat', 'snat'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -p sctp -j SNAT --to-source 203.0.113.1:40000'] }, filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']) }),
    steps: [
      cli(sctp4(C, 7200, W, 3868, 0, [INIT(0x31313131, 100)]), 'INIT: source port 40000'),
      wan(sctp4(W, 3868, R_WAN, 40000, 0x31313131, [INIT_ACK(0x42424242, 500)]), 'INIT ACK to 40000'),
      cli(sctp4(C, 7200, W, 3868, 0x42424242, [COOKIE_ECHO], 2), 'COOKIE ECHO'),
      wan(sctp4(W, 3868, R_WAN, 40000, 0x31313131, [COOKIE_ACK], 2), 'COOKIE ACK'),
      cli(sctp4(C, 7200, W, 3868, 0x42424242, [DATA(100, 'hello')], 3), 'DATA'),
    ],
  },
  {
    name: 'r_r2_gre_dnat_1',
    description: 'GRE version 0 DNAT: GRE to 203.0.113.1 is sent to 10.0.2.100 (address-only NAT, keys 0), the server\'s GRE back leaves from 203.0.113.1; a keyed GRE packet (key 5) from another peer is a separate connection, DNATed too',
    tags: ['gre', 'proto47', 'nat', 'dnat'],
    iptables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -p gre -j DNAT --to-destination 10.0.2.100'] }, filter: statefulForward(['-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT']) }),
    steps: [
      wan(gre4(W, R_WAN, { proto: 0x0800, payload: new Uint8Array(20) }), 'GRE in: DNAT'),
      srv(gre4(S, W, { proto: 0x0800, payload: new Uint8Array(20) }), 'GRE back: from 203.0.113.1'),
      wan(gre4('198.51.100.121', R_WAN, { proto: 0x0800, key: 5, payload: new Uint8Array(20) }), 'keyed GRE from another peer'),
    ],
  },
  {
    name: 'r_r2_timeout_udp_1',
    nondeterministic: { ignore_destroy_events: true },
    description: 'nf_conntrack_udp_timeout=2, udp_timeout_stream=4: an unreplied flow expires across a 3 s pause (NEW again); a flow replied and used again within its first 2 s keeps the 2 s timeout (the kernel gives the stream timeout and ASSURED only to packets more than 2 s after the flow began), so it expires across the pause too: its next reply is NEW',
    tags: ['udp', 'expiry', 'sysctl:nf_conntrack_udp_timeout=2', 'sysctl:nf_conntrack_udp_timeout_stream=4'],
    sysctls: { 'net.netfilter.nf_conntrack_udp_timeout': 2, 'net.netfilter.nf_conntrack_udp_timeout_stream': 4 },
    iptables: OPEN,
    steps: [
      cli(udp4(C, 7300, W, 53, 'a'), 'flow A: unreplied'),
      cli(udp4(C, 7301, W, 123, 'b'), 'flow B'),
      wan(udp4(W, 123, C, 7301, 'b-r'), 'reply'),
      cli(udp4(C, 7301, W, 123, 'b2'), 'more within 2 s: not yet a stream'),
      pause(3),
      cli(udp4(C, 7300, W, 53, 'a2'), 'flow A after 3 s: NEW'),
      wan(udp4(W, 123, C, 7301, 'b-r2'), 'flow B reply after 3 s: expired, NEW (dropped)'),
    ],
  },
  {
    name: 'r_r2_timeout_icmp_1',
    nondeterministic: { ignore_destroy_events: true },
    description: 'nf_conntrack_icmp_timeout=2: an echo without reply expires across a 3 s pause, its late reply then has no flow (INVALID, dropped); a new echo is NEW',
    tags: ['icmp', 'icmp-echo', 'expiry', 'sysctl:nf_conntrack_icmp_timeout=2'],
    sysctls: { 'net.netfilter.nf_conntrack_icmp_timeout': 2 },
    iptables: OPEN,
    steps: [
      cli(echo4(C, W, 41, 1), 'echo'),
      pause(3),
      wan(echo4(W, C, 41, 1, { reply: true }), 'late reply: no flow'),
      cli(echo4(C, W, 41, 2), 'next echo: NEW'),
      wan(echo4(W, C, 41, 2, { reply: true }), 'its reply: ESTABLISHED'),
    ],
  },
  {
    name: 'r_r2_timeout_icmpv6_1',
    nondeterministic: { ignore_destroy_events: true },
    description: 'nf_conntrack_icmpv6_timeout=2: an ICMPv6 echo flow expires across a 3 s pause; the late echo reply finds nothing (INVALID); the next request is NEW',
    tags: ['ipv6', 'icmpv6', 'expiry', 'sysctl:nf_conntrack_icmpv6_timeout=2'],
    ipv6: true,
    sysctls: { 'net.netfilter.nf_conntrack_icmpv6_timeout': 2 },
    ip6tables: ipt({ filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']) }),
    steps: [
      cli(ipv6({ src: 'fd00:1::100', dst: '2001:db8::120', payload: icmpv6Echo({ id: 42, seq: 1, payload: 'abcdefgh' }) }), 'echo request'),
      pause(3),
      wan(ipv6({ src: '2001:db8::120', dst: 'fd00:1::100', payload: icmpv6Echo({ id: 42, seq: 1, reply: true, payload: 'abcdefgh' }) }), 'late reply'),
      cli(ipv6({ src: 'fd00:1::100', dst: '2001:db8::120', payload: icmpv6Echo({ id: 42, seq: 2, payload: 'abcdefgh' }) }), 'next request: NEW'),
    ],
  },
  {
    name: 'r_r2_timeout_udplite_1',
    nondeterministic: { ignore_destroy_events: true },
    description: 'UDP-Lite uses the UDP timeouts: nf_conntrack_udp_timeout=2 expires an unreplied UDP-Lite flow across a 3 s pause (the next packet is NEW); unlike UDP, a replied UDP-Lite flow becomes ASSURED with timeout_stream (5 s) at its next packet without waiting 2 s, and survives',
    tags: ['udplite', 'proto136', 'expiry', 'sysctl:nf_conntrack_udp_timeout=2', 'sysctl:nf_conntrack_udp_timeout_stream=5'],
    sysctls: { 'net.netfilter.nf_conntrack_udp_timeout': 2, 'net.netfilter.nf_conntrack_udp_timeout_stream': 5 },
    iptables: OPEN,
    steps: [
      cli(udplite4(C, 7400, W, 9000, 'x'), 'flow A'),
      cli(udplite4(C, 7401, W, 9000, 'y'), 'flow B'),
      wan(udplite4(W, 9000, C, 7401, 'y-r'), 'B reply'),
      cli(udplite4(C, 7401, W, 9000, 'y2', 2), 'B again: stream'),
      pause(3),
      cli(udplite4(C, 7400, W, 9000, 'x2', 2), 'A after 3 s: NEW'),
      cli(udplite4(C, 7401, W, 9000, 'y3', 3), 'B after 3 s: ESTABLISHED'),
    ],
  },
  {
    name: 'r_r2_timeout_sctp_1',
    nondeterministic: { ignore_destroy_events: true },
    description: 'SCTP timeouts: cookie_echoed=2 (the entry after COOKIE ECHO expires across a 3 s pause, the COOKIE ACK then finds nothing), established=3 and shutdown_sent=2 on a second association (SHUTDOWN, then a pause: the SHUTDOWN ACK finds nothing)',
    tags: ['sctp', 'proto132', 'expiry', 'sysctl:nf_conntrack_sctp_timeout_cookie_echoed=2', 'sysctl:nf_conntrack_sctp_timeout_shutdown_sent=2'],
    sysctls: { 'net.netfilter.nf_conntrack_sctp_timeout_cookie_echoed': 2, 'net.netfilter.nf_conntrack_sctp_timeout_established': 3, 'net.netfilter.nf_conntrack_sctp_timeout_shutdown_sent': 2 },
    iptables: OPEN,
    steps: [
      cli(sctp4(C, 7500, W, 3868, 0, [INIT(0x51515151, 100)]), 'INIT A'),
      wan(sctp4(W, 3868, C, 7500, 0x51515151, [INIT_ACK(0x61616161, 500)]), 'INIT ACK A'),
      cli(sctp4(C, 7500, W, 3868, 0x61616161, [COOKIE_ECHO], 2), 'COOKIE ECHO A: COOKIE_ECHOED, 2 s'),
      cli(sctp4(C, 7501, W, 3868, 0, [INIT(0x71717171, 100)]), 'INIT B'),
      wan(sctp4(W, 3868, C, 7501, 0x71717171, [INIT_ACK(0x81818181, 500)]), 'INIT ACK B'),
      cli(sctp4(C, 7501, W, 3868, 0x81818181, [COOKIE_ECHO], 2), 'COOKIE ECHO B'),
      wan(sctp4(W, 3868, C, 7501, 0x71717171, [COOKIE_ACK], 2), 'COOKIE ACK B: ESTABLISHED'),
      cli(sctp4(C, 7501, W, 3868, 0x81818181, [SHUTDOWN(500)], 3), 'SHUTDOWN B: SHUTDOWN_SENT, 2 s'),
      pause(3),
      wan(sctp4(W, 3868, C, 7500, 0x51515151, [COOKIE_ACK], 3), 'COOKIE ACK A after 3 s: no entry'),
      wan(sctp4(W, 3868, C, 7501, 0x71717171, [{ type: 8 }], 3), 'SHUTDOWN ACK B after 3 s: no entry'),
    ],
  },
  {
    name: 'r_r2_timeout_gre_1',
    nondeterministic: { ignore_destroy_events: true },
    description: 'nf_conntrack_gre_timeout=2, gre_timeout_stream=5: an unreplied GRE flow expires across a 3 s pause; a replied one that saw traffic after the reply (ASSURED, stream timeout) survives',
    tags: ['gre', 'proto47', 'expiry', 'sysctl:nf_conntrack_gre_timeout=2', 'sysctl:nf_conntrack_gre_timeout_stream=5'],
    sysctls: { 'net.netfilter.nf_conntrack_gre_timeout': 2, 'net.netfilter.nf_conntrack_gre_timeout_stream': 5 },
    iptables: OPEN,
    steps: [
      cli(gre4(C, W, { proto: 0x0800, payload: new Uint8Array(8) }), 'GRE to .120: unreplied'),
      cli(gre4(C, '198.51.100.121', { proto: 0x0800, payload: new Uint8Array(8) }), 'GRE to .121'),
      wan(gre4('198.51.100.121', C, { proto: 0x0800, payload: new Uint8Array(8) }), 'reply from .121'),
      cli(gre4(C, '198.51.100.121', { proto: 0x0800, payload: new Uint8Array(8) }, 2), 'more to .121: ASSURED'),
      pause(3),
      cli(gre4(C, W, { proto: 0x0800, payload: new Uint8Array(8) }, 2), 'to .120 after 3 s: NEW'),
      wan(gre4('198.51.100.121', C, { proto: 0x0800, payload: new Uint8Array(8) }, 2), 'from .121 after 3 s: ESTABLISHED'),
    ],
  },
  {
    name: 'r_r2_timeout_generic_1',
    nondeterministic: { ignore_destroy_events: true },
    description: 'nf_conntrack_generic_timeout=2 for an unknown protocol (253) and ESP (50): flows expire across a 3 s pause; the peer\'s ESP after the pause is NEW in the other direction, and proto 253 is NEW again',
    tags: ['generic', 'proto253', 'proto50', 'expiry', 'sysctl:nf_conntrack_generic_timeout=2'],
    sysctls: { 'net.netfilter.nf_conntrack_generic_timeout': 2 },
    iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate NEW -j ACCEPT', '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT'] } }),
    steps: [
      cli(raw4(C, W, 253, new Uint8Array(16).fill(1)), 'proto 253'),
      wan(raw4(W, C, 253, new Uint8Array(16).fill(2)), 'reply: ESTABLISHED'),
      cli(raw4(C, W, 50, cat(u32s(0x1000, 1), new Uint8Array(16))), 'ESP'),
      pause(3),
      wan(raw4(W, C, 50, cat(u32s(0x2000, 1), new Uint8Array(16))), 'ESP from the peer after 3 s: NEW'),
      cli(raw4(C, W, 253, new Uint8Array(16).fill(3), 2), 'proto 253 after 3 s: NEW'),
    ],
  },
  (() => {
    const c = new Conv(C, 7600, W, 80);
    return {
      name: 'r_r2_timeout_tcp_synsent_1',
      nondeterministic: { ignore_destroy_events: true },
      description: 'nf_conntrack_tcp_timeout_syn_sent=2: a SYN retransmitted after 1.5 s does not renew the timer (nor is it counted: packets=1 in the table), so the SYN/ACK 1.5 s after the retransmission finds no connection (INVALID, dropped), like the SYN/ACK for a second SYN left alone',
      tags: ['tcp', 'tcp-timeouts', 'expiry', 'tcp-syn-retrans', 'sysctl:nf_conntrack_tcp_timeout_syn_sent=2'],
      sysctls: { 'net.netfilter.nf_conntrack_tcp_timeout_syn_sent': 2 },
      iptables: OPEN,
      steps: [
        cli(c.c('S'), 'SYN'),
        cli(tcp4b(C, 7601, W, 80, 'S'), 'SYN 2'),
        pause(1.5),
        cli(c.c('S', { seq: 1000 }), 'SYN retransmitted: timer not renewed'),
        pause(1.5),
        wan(c.s('SA', { ack: 1001 }), 'SYN/ACK 3 s after the first SYN: expired, INVALID'),
        wan(tcp4b(W, 80, C, 7601, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK for SYN 2 after 3 s: no connection'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 7700, W, 80);
    return {
      name: 'r_r2_timeout_tcp_unack_1',
      nondeterministic: { ignore_destroy_events: true },
      description: 'nf_conntrack_tcp_timeout_unacknowledged=2: data the server never acknowledges lowers the established timeout to 2 s; after a 3 s pause the connection is gone and the server\'s late ACK is picked up as a new connection (tcp_loose)',
      tags: ['tcp', 'tcp-timeouts', 'expiry', 'tcp-midstream', 'sysctl:nf_conntrack_tcp_timeout_unacknowledged=2'],
      sysctls: { 'net.netfilter.nf_conntrack_tcp_timeout_unacknowledged': 2 },
      iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate NEW -j ACCEPT', '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT'] } }),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', { payload: 'unacked data' }), 'data not acknowledged: timeout 2 s'),
        pause(3),
        wan(c.s('A'), 'late ACK: a new connection picked up mid-stream'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 7800, W, 80);
    const seg = { payload: 'retransmitted', advance: false } as const;
    return {
      name: 'r_r2_timeout_tcp_maxretrans_1',
      nondeterministic: { ignore_destroy_events: true },
      description: 'nf_conntrack_tcp_max_retrans=2 with timeout_max_retrans=2: the same unacknowledged segment sent four times crosses max_retrans, the timeout drops to 2 s; after a 3 s pause the next retransmission is a new connection picked up mid-stream',
      tags: ['tcp', 'tcp-timeouts', 'expiry', 'tcp-retrans', 'sysctl:nf_conntrack_tcp_max_retrans=2', 'sysctl:nf_conntrack_tcp_timeout_max_retrans=2'],
      sysctls: { 'net.netfilter.nf_conntrack_tcp_max_retrans': 2, 'net.netfilter.nf_conntrack_tcp_timeout_max_retrans': 2 },
      iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate NEW -j ACCEPT', '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT'] } }),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        cli(c.c('PA', seg), 'data'),
        cli(c.c('PA', seg), 'retransmission 1'),
        cli(c.c('PA', seg), 'retransmission 2'),
        cli(c.c('PA', seg), 'retransmission 3: over max_retrans'),
        pause(3),
        cli(c.c('PA', seg), 'after 3 s: picked up as new'),
      ],
    } satisfies ScenarioSpec;
  })(),
];
