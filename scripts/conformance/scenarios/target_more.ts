/**
 * Targets, second round: TCPMSS on SYN/ACKs, with the MSS option behind others, never raising,
 * and for IPv6 (clamp to the path MTU, default MSS inserted); DSCP / TOS on IPv6 traffic and
 * TOS value/mask forms; TTL rescuing a TTL-1 packet before the forward check and lowering one
 * to 0 after it; LOG and NFLOG with all their options (non-terminal: the following rules
 * count); CLASSIFY; CHECKSUM on packets that are not CHECKSUM_PARTIAL (no change); NOTRACK and
 * TRACE in raw OUTPUT; REJECT of ICMP errors, broadcasts, the router's own SYN.
 */

import { ipv6, tcp, udp } from '../../../src/packet/build.js';
import { cli, echo4, icmpErr4, ipt, local, srv, tcp4, udp4, wan, R_CLI, R_SRV } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.140';
const C6 = 'fd00:1::100';
const S6 = 'fd00:2::100';
const W6 = '2001:db8::140';

function tcp6(src: string, sport: number, dst: string, dport: number, flags: string, o: { seq?: number; ack?: number; options?: Parameters<typeof tcp>[0]['options']; tc?: number; hopLimit?: number } = {}): Uint8Array {
  return ipv6({ src, dst, tc: o.tc, hopLimit: o.hopLimit, payload: tcp({ sport, dport, flags, seq: o.seq ?? 1000, ack: o.ack ?? 0, options: o.options }) });
}
function udp6(src: string, sport: number, dst: string, dport: number, payload: string, tc = 0): Uint8Array {
  return ipv6({ src, dst, tc, payload: udp({ sport, dport, payload }) });
}

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_target_tcpmss_2',
    description: 'TCPMSS --set-mss 1300 on SYN and SYN/ACK: an MSS behind the timestamp and SACK-permitted options is found and lowered, a smaller MSS (1000) is kept, a SYN/ACK from the WAN is clamped too; a plain ACK is not touched',
    tags: ['tcpmss', 'TCPMSS', 'mangle'],
    iptables: ipt({ mangle: { rules: ['-A FORWARD -p tcp --tcp-flags SYN SYN -j TCPMSS --set-mss 1300'] }, filter: { rules: [] } }),
    steps: [
      cli(tcp4(C, 41000, W, 443, 'S', { options: { ts: [1, 0], sackPerm: true, mss: 1460, wscale: 7 } }), 'MSS after other options: 1460 -> 1300'),
      wan(tcp4(W, 443, C, 41000, 'SA', { seq: 5000, ack: 1001, options: { mss: 1440, sackPerm: true } }), 'SYN/ACK 1440 -> 1300'),
      cli(tcp4(C, 41001, W, 443, 'S', { options: { mss: 1000 } }), 'MSS 1000: kept'),
      cli(tcp4(C, 41000, W, 443, 'A', { seq: 1001, ack: 5001 }), 'ACK: untouched'),
    ],
  },
  {
    name: 'r_target_tcpmss_3',
    description: 'ip6tables TCPMSS: --clamp-mss-to-pmtu on IPv6 (1500 - 60 = 1440), --set-mss 1200; a SYN without an MSS option gets one inserted: 1200 towards the DMZ, 1220 (the IPv6 default, lower than 1440) towards the WAN',
    tags: ['tcpmss', 'TCPMSS', 'ipv6', 'ip6tables'],
    ipv6: true,
    ip6tables: ipt({
      mangle: { rules: ['-A FORWARD -o r_wan -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', '-A FORWARD -o r_srv -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200'] },
      filter: { rules: [] },
    }),
    steps: [
      cli(tcp6(C6, 41100, W6, 443, 'S', { options: { mss: 8940, sackPerm: true } }), 'MSS 8940 to the WAN: 1440'),
      cli(tcp6(C6, 41101, S6, 80, 'S', { options: { mss: 1440 } }), 'MSS 1440 to the DMZ: 1200'),
      cli(tcp6(C6, 41102, S6, 80, 'S'), 'no MSS option to the DMZ: one is inserted'),
      cli(tcp6(C6, 41103, W6, 443, 'S'), 'no MSS option to the WAN: one is inserted'),
    ],
  },
  {
    name: 'r_target_dscp_2',
    description: 'DSCP and TOS on IPv6 traffic (ip6tables), traffic class 0xb9 in: --set-dscp-class AF41 gives 0x89 and --set-dscp 0 gives 0x01 (ECN kept), TOS --set-tos 0x10 (mask 0xff) gives 0x10 (ECN cleared too)',
    tags: ['dscp', 'DSCP', 'TOS', 'ipv6', 'ip6tables'],
    ipv6: true,
    ip6tables: ipt({
      mangle: { rules: ['-A FORWARD -p udp --dport 1 -j DSCP --set-dscp-class AF41', '-A FORWARD -p udp --dport 2 -j DSCP --set-dscp 0', '-A FORWARD -p udp --dport 3 -j TOS --set-tos 0x10'] },
      filter: { rules: [] },
    }),
    steps: [1, 2, 3].map((p) => cli(udp6(C6, 41200 + p, S6, p, `tc${p}`, 0xb9), `dport ${p}, traffic class 0xb9`)),
  },
  {
    name: 'r_target_tos_2',
    description: 'TOS target forms: --set-tos value/mask (only the masked bits), symbolic --set-tos Minimize-Cost, --set-tos 0 on a SYN and the SYN/ACK of the same connection (per packet, not per connection)',
    tags: ['tos', 'TOS', 'mangle'],
    iptables: ipt({
      mangle: { rules: ['-A FORWARD -p udp --dport 1 -j TOS --set-tos 0x04/0x0c', '-A FORWARD -p udp --dport 2 -j TOS --set-tos Minimize-Cost', '-A FORWARD -p tcp -j TOS --set-tos 0'] },
      filter: { rules: [] },
    }),
    steps: [
      cli(udp4(C, 41300, S, 1, 'a', { tos: 0xff }), 'tos 0xff, set 0x04/0x0c: 0xf7'),
      cli(udp4(C, 41301, S, 2, 'b', { tos: 0xa1 }), 'tos 0xa1, Minimize-Cost (0x02/0x3f): 0x82, the top two bits kept'),
      cli(tcp4(C, 41302, S, 80, 'S', { tos: 0x10 }), 'SYN with 0x10: cleared'),
      srv(tcp4(S, 80, C, 41302, 'SA', { seq: 5000, ack: 1001, tos: 0x10 }), 'SYN/ACK with 0x10: cleared'),
    ],
  },
  {
    name: 'r_target_ttl_2',
    description: 'TTL around the forward check: --ttl-inc 1 in mangle PREROUTING rescues a TTL-1 packet (forwarded with TTL 1), --ttl-set 1 in FORWARD (after the check) sends a packet on with TTL 1, --ttl-dec 5 in POSTROUTING on TTL 3 leaves with 0',
    tags: ['ttl', 'TTL', 'mangle'],
    iptables: ipt({
      mangle: { rules: ['-A PREROUTING -p udp --dport 1 -j TTL --ttl-inc 1', '-A FORWARD -p udp --dport 2 -j TTL --ttl-set 1', '-A POSTROUTING -p udp --dport 3 -j TTL --ttl-dec 5'] },
      filter: { rules: [] },
    }),
    steps: [
      cli(udp4(C, 41400, S, 1, 'a', { ttl: 1 }), 'TTL 1 + 1 = 2, forwarded with 1'),
      cli(udp4(C, 41401, S, 1, 'a', { ttl: 255 }), 'TTL 255 + 1: stays 255, forwarded with 254'),
      cli(udp4(C, 41402, S, 2, 'b', { ttl: 64 }), 'TTL 64 -> 63 -> set 1'),
      cli(udp4(C, 41403, S, 3, 'c', { ttl: 4 }), 'TTL 4 -> 3 -> dec 5: 0'),
    ],
  },
  {
    name: 'r_target_log_1',
    description: 'LOG with --log-level, --log-prefix, --log-tcp-sequence, --log-tcp-options, --log-ip-options, --log-uid and --log-macdecode: non-terminal, every following rule still sees the packet',
    tags: ['log', 'LOG'],
    iptables: ipt({
      filter: {
        rules: [
          '-A FORWARD -p tcp -j LOG --log-prefix "tcp: " --log-level 4 --log-tcp-sequence --log-tcp-options --log-ip-options',
          '-A FORWARD -p udp -j LOG --log-level debug --log-macdecode',
          '-A FORWARD -p tcp --dport 23 -j DROP',
          '-A FORWARD -j ACCEPT',
          '-A OUTPUT -j LOG --log-uid --log-prefix "out: "',
        ],
      },
    }),
    steps: [
      cli(tcp4(C, 41500, S, 80, 'S', { options: { mss: 1460, ts: [5, 0] } }), 'TCP: logged, accepted'),
      cli(tcp4(C, 41501, S, 23, 'S'), 'telnet: logged, dropped'),
      cli(udp4(C, 41502, S, 53, 'q'), 'UDP: logged, accepted'),
      local(udp4(R_SRV, 41503, S, 514, 'log'), 'local: logged in OUTPUT'),
    ],
  },
  {
    name: 'r_target_nflog_1',
    description: 'NFLOG with --nflog-group, --nflog-prefix, --nflog-range, --nflog-size and --nflog-threshold (no listener): non-terminal, the packets go on',
    tags: ['NFLOG'],
    iptables: ipt({
      filter: {
        rules: [
          '-A FORWARD -p udp -j NFLOG --nflog-group 2 --nflog-prefix "udp" --nflog-range 64',
          '-A FORWARD -p tcp -j NFLOG --nflog-group 3 --nflog-size 128 --nflog-threshold 4',
          '-A FORWARD -p udp --dport 9 -j REJECT',
          '-A INPUT -p icmp -j NFLOG',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 41600, S, 53, 'q'), 'udp: NFLOG, forwarded'),
      cli(udp4(C, 41601, S, 9, 'x'), 'udp 9: NFLOG then REJECT'),
      cli(tcp4(C, 41602, S, 80, 'S'), 'tcp: NFLOG group 3'),
      cli(echo4(C, R_CLI, 0x4160, 1), 'ping the router: NFLOG group 0, answered'),
    ],
  },
  {
    name: 'r_target_classify_1',
    description: 'CLASSIFY --set-class per output interface in mangle POSTROUTING and on IPv4 ICMP: no change to the packet bytes, the rules count and later rules still apply',
    tags: ['CLASSIFY', 'mangle'],
    iptables: ipt({
      mangle: { rules: ['-A POSTROUTING -o r_wan -j CLASSIFY --set-class 1:1', '-A POSTROUTING -o r_srv -j CLASSIFY --set-class 1:2', '-A POSTROUTING -p icmp -j CLASSIFY --set-class ffff:ffff'] },
      filter: { rules: ['-A FORWARD -p udp --dport 7 -j DROP'] },
    }),
    steps: [cli(udp4(C, 41700, W, 53, 'q'), 'to the WAN: 1:1'), cli(udp4(C, 41701, S, 53, 'q'), 'to the DMZ: 1:2'), cli(echo4(C, S, 1, 1), 'echo to the DMZ: 1:2 then ffff:ffff'), cli(udp4(C, 41702, S, 7, 'x'), 'dropped in FORWARD before POSTROUTING')],
  },
  {
    name: 'r_target_checksum_1',
    description: 'CHECKSUM --checksum-fill only fills checksums of CHECKSUM_PARTIAL packets: forwarded UDP with a zero (absent) or a wrong checksum leaves unchanged (with nf_conntrack_checksum=0 the wrong one is not INVALID)',
    tags: ['CHECKSUM', 'mangle'],
    sysctls: { 'net.netfilter.nf_conntrack_checksum': 0 },
    iptables: ipt({ mangle: { rules: ['-A POSTROUTING -p udp -j CHECKSUM --checksum-fill'] }, filter: { rules: [] } }),
    steps: [
      cli(udp4(C, 41800, S, 68, 'no checksum', { checksum: 0 }), 'UDP checksum 0: still 0 after the router'),
      cli(udp4(C, 41801, S, 68, 'bad checksum', { checksum: 'bad' }), 'wrong checksum: still wrong'),
      local(udp4(R_SRV, 41802, S, 68, 'local', { checksum: 0 }), 'the router\'s raw-socket UDP with checksum 0: unchanged'),
    ],
  },
  {
    name: 'r_target_notrack_1',
    description: 'NOTRACK and TRACE in raw OUTPUT: the router\'s own ICMP echo is UNTRACKED (its reply is INVALID: an echo reply without a request); UDP with -j TRACE is tracked normally',
    tags: ['notrack', 'NOTRACK', 'TRACE', 'local-out'],
    iptables: ipt({
      raw: { rules: ['-A OUTPUT -p icmp -j NOTRACK', '-A OUTPUT -p udp -j TRACE'] },
      filter: { rules: ['-A INPUT -m conntrack --ctstate INVALID -j ACCEPT', '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT', '-A OUTPUT -m conntrack --ctstate UNTRACKED -j ACCEPT'] },
    }),
    steps: [
      local(echo4(R_SRV, S, 0x4190, 1), 'router ping: UNTRACKED'),
      srv(echo4(S, R_SRV, 0x4190, 1, { reply: true }), 'echo reply: INVALID'),
      local(udp4(R_SRV, 41900, S, 53, 'q'), 'router UDP: TRACE, NEW'),
      srv(udp4(S, 53, R_SRV, 41900, 'a'), 'answer: ESTABLISHED (port unreachable from the stack)'),
    ],
  },
  {
    name: 'r_reject_8',
    description: 'what REJECT never answers: an ICMP error (an INVALID port unreachable), a datagram to the subnet broadcast (INPUT); it answers an ICMP echo and a unicast datagram with port unreachable; REJECT tcp-reset of the router\'s own SYN in OUTPUT (the RST goes to the router itself, nothing leaves)',
    tags: ['reject', 'reject-icmp', 'local-out'],
    iptables: ipt({
      filter: {
        rules: ['-A FORWARD -p icmp -j REJECT', '-A INPUT -p udp --dport 9 -j REJECT', '-A OUTPUT -p tcp --dport 25 -j REJECT --reject-with tcp-reset'],
      },
    }),
    steps: [
      wan(icmpErr4('198.51.100.1', C, 3, 3, udp4(C, 42000, W, 53, 'q', { ttl: 63 })), 'ICMP error: REJECT sends nothing'),
      cli(echo4(C, S, 0x4200, 1), 'ICMP echo: rejected with port unreachable'),
      cli(udp4(C, 42001, '10.0.1.255', 9, 'bcast'), 'UDP to the broadcast address: REJECT sends nothing'),
      cli(udp4(C, 42002, R_CLI, 9, 'unicast'), 'UDP to the router: port unreachable from REJECT'),
      local(tcp4(R_SRV, 42003, S, 25, 'S'), 'router SYN to :25: rejected in OUTPUT'),
    ],
  },
];
