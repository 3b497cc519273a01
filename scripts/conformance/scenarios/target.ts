/**
 * iptables targets that change packets or connections: TCPMSS (set and clamp), TTL, DSCP / TOS,
 * CT (notrack, zones), user chains with RETURN / goto / LOG, REDIRECT, SNAT to an address and a
 * port range, DNAT to address and port ranges (deterministic choice), NETMAP, MASQUERADE with
 * --to-ports.
 */

import { cli, Conv, echo4, ipt, srv, statefulForward, tcp4, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.50';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_target_tcpmss_1',
    description: 'TCPMSS: --set-mss 1200 on forwarded SYNs (lowers, never raises), --clamp-mss-to-pmtu; a SYN without an MSS option gets one inserted (at most 536, the IPv4 default)',
    tags: ['tcpmss', 'mangle'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A FORWARD -o r_wan -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200',
          '-A FORWARD -o r_srv -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
        ],
      },
      filter: { rules: [] },
    }),
    steps: [
      cli(tcp4(C, 20000, W, 443, 'S', { options: { mss: 1460, sackPerm: true, wscale: 7 } }), 'MSS 1460 -> 1200'),
      cli(tcp4(C, 20001, W, 443, 'S', { options: { mss: 1000 } }), 'MSS 1000 stays'),
      cli(tcp4(C, 20002, W, 443, 'S'), 'no MSS option: one is added'),
      cli(tcp4(C, 20003, S, 80, 'S', { options: { mss: 9000 } }), 'clamp to the path MTU (1500 - 40)'),
      wan(tcp4(W, 443, C, 20000, 'SA', { seq: 5000, ack: 1001, options: { mss: 1460 } }), 'SYN/ACK towards the LAN: not rewritten (out r_cli)'),
    ],
  },
  {
    name: 'r_target_ttl_1',
    description: 'TTL target in mangle: --ttl-set, --ttl-dec, --ttl-inc, applied after the forwarding decrement (FORWARD / POSTROUTING)',
    tags: ['ttl', 'mangle'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A PREROUTING -p udp --dport 1 -j TTL --ttl-set 1',
          '-A FORWARD -p udp --dport 2 -j TTL --ttl-inc 5',
          '-A POSTROUTING -p udp --dport 3 -j TTL --ttl-dec 10',
          '-A POSTROUTING -p udp --dport 4 -j TTL --ttl-set 200',
        ],
      },
      filter: { rules: [] },
    }),
    steps: [
      cli(udp4(C, 21000, S, 1), 'ttl set to 1 before routing: time exceeded'),
      cli(udp4(C, 21001, S, 2), 'ttl 64 -> 63 -> +5'),
      cli(udp4(C, 21002, S, 3), 'ttl 64 -> 63 -> -10'),
      cli(udp4(C, 21003, S, 4, 'x', { ttl: 2 }), 'ttl 2 -> 1 -> 200'),
    ],
  },
  {
    name: 'r_target_dscp_1',
    description: 'DSCP and TOS targets: --set-dscp, --set-dscp-class, --set-tos, --and-tos / --or-tos / --xor-tos, ECN bits kept',
    tags: ['dscp', 'mangle'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A FORWARD -p udp --dport 1 -j DSCP --set-dscp 0x2e',
          '-A FORWARD -p udp --dport 2 -j DSCP --set-dscp-class CS1',
          '-A FORWARD -p udp --dport 3 -j TOS --set-tos 0x10',
          '-A FORWARD -p udp --dport 4 -j TOS --and-tos 0x0f',
          '-A FORWARD -p udp --dport 5 -j TOS --or-tos 0x08',
          '-A FORWARD -p udp --dport 6 -j TOS --xor-tos 0xff',
        ],
      },
      filter: { rules: [] },
    }),
    steps: [1, 2, 3, 4, 5, 6].map((p) => cli(udp4(C, 22000 + p, S, p, `tos${p}`, { tos: 0xa3 }), `dport ${p}, tos 0xa3`)),
  },
  {
    name: 'r_target_ct_1',
    description: 'raw table CT target: --notrack (UNTRACKED), --zone 5 (zone= in events and tables), -j NOTRACK, state UNTRACKED matched in filter',
    tags: ['notrack', 'zones'],
    iptables: ipt({
      raw: {
        rules: ['-A PREROUTING -p udp --dport 514 -j CT --notrack', '-A PREROUTING -p udp --dport 53 -j CT --zone 5', '-A PREROUTING -p udp --sport 53 -j CT --zone 5', '-A PREROUTING -p icmp -j NOTRACK'],
      },
      filter: { rules: ['-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT', '-A FORWARD -m state --state NEW,ESTABLISHED -j ACCEPT', '-A FORWARD -j DROP'] },
    }),
    steps: [
      cli(udp4(C, 23000, S, 514, 'syslog'), 'notrack'),
      cli(udp4(C, 23001, W, 53, 'query'), 'zone 5'),
      wan(udp4(W, 53, C, 23001, 'answer'), 'reply in zone 5: established'),
      cli(echo4(C, W, 3, 1), 'icmp: NOTRACK'),
      cli(udp4(C, 23002, W, 123, 'ntp'), 'zone 0'),
    ],
  },
  {
    name: 'r_target_chains_1',
    description: 'user chains: jump and RETURN, goto (-g) returning to the caller\'s caller, nested chains, LOG and counters-only rules, policies reached after RETURN',
    tags: ['user-chains', 'log'],
    iptables: ipt({
      filter: {
        policies: { FORWARD: 'DROP' },
        chains: ['lan_out', 'tcp_rules', 'udp_rules', 'logdrop'],
        rules: [
          '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
          '-A FORWARD -i r_cli -j lan_out',
          '-A FORWARD -j LOG --log-prefix "fwd-drop "',
          '-A lan_out -p tcp -j tcp_rules',
          '-A lan_out -p udp -g udp_rules',
          '-A lan_out -p icmp -j ACCEPT',
          '-A lan_out -j logdrop',
          '-A tcp_rules -p tcp --dport 22 -j RETURN',
          '-A tcp_rules -p tcp --dport 80 -j ACCEPT',
          '-A tcp_rules -p tcp',
          '-A udp_rules -p udp --dport 53 -j ACCEPT',
          '-A udp_rules -p udp --dport 123 -j RETURN',
          '-A logdrop -j LOG --log-prefix "lan-drop "',
          '-A logdrop -j DROP',
        ],
      },
    }),
    steps: [
      cli(tcp4(C, 24000, S, 80, 'S'), 'http: accepted in tcp_rules'),
      cli(tcp4(C, 24001, S, 22, 'S'), 'ssh: RETURN from tcp_rules, then logdrop'),
      cli(tcp4(C, 24002, S, 25, 'S'), 'smtp: falls off tcp_rules (implicit return)'),
      cli(udp4(C, 24003, S, 53), 'dns: goto udp_rules, accepted'),
      cli(udp4(C, 24004, S, 123), 'ntp: RETURN from a goto chain returns past lan_out: LOG then policy'),
      cli(udp4(C, 24005, S, 5060), 'sip: end of the goto chain: back in FORWARD'),
      srv(tcp4(S, 80, C, 24000, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: established'),
      wan(udp4(W, 5000, C, 5000), 'from the WAN: LOG and policy'),
    ],
  },
  {
    name: 'r_target_redirect_1',
    description: 'REDIRECT to the router itself: --to-ports 8080 and a port range, the router stack answers with RST / port unreachable through reverse NAT',
    tags: ['redirect', 'nat'],
    iptables: ipt({
      nat: { rules: ['-A PREROUTING -i r_cli -p tcp --dport 80 -j REDIRECT --to-ports 8080', '-A PREROUTING -i r_cli -p udp --dport 53 -j REDIRECT --to-ports 5300-5310'] },
      filter: { rules: [] },
    }),
    steps: [
      cli(tcp4(C, 25000, W, 80, 'S'), 'http to the internet: redirected to 10.0.1.1:8080, RST from the stack looks like it comes from W:80'),
      cli(udp4(C, 25001, W, 53, 'query'), 'dns: redirected into 5300-5310, port unreachable quoting the original header'),
      cli(tcp4(C2, 25002, S, 80, 'S'), 'another client'),
    ],
  },
  {
    name: 'r_target_snat_1',
    runs: 6,
    description: 'SNAT --to-source an address, and an address:port range containing the source port (kept) or not (remapped, random: masked)',
    tags: ['snat', 'nat'],
    iptables: ipt({
      nat: {
        rules: [
          '-A POSTROUTING -o r_wan -p udp --dport 53 -j SNAT --to-source 203.0.113.1',
          '-A POSTROUTING -o r_wan -p tcp -j SNAT --to-source 203.0.113.1:20000-20100',
          '-A POSTROUTING -o r_srv -j SNAT --to-source 10.0.2.1',
        ],
      },
      filter: { rules: [] },
    }),
    steps: (() => {
      const a = new Conv(C, 20050, W, 443, { cPub: [R_WAN, 20050] });
      return [
        cli(udp4(C, 26000, W, 53, 'q1'), 'dns: source address only'),
        wan(udp4(W, 53, R_WAN, 26000, 'a1'), 'answer'),
        cli(a.c('S'), 'tcp from port 20050: inside the range, kept'),
        wan(a.s('SA'), 'SYN/ACK'),
        cli(tcp4(C2, 20050, W, 443, 'S'), 'same port from another host: clash, remapped'),
        cli(udp4(C, 26001, S, 9, 'to dmz'), 'to the DMZ: SNAT to 10.0.2.1'),
      ];
    })(),
  },
  {
    name: 'r_target_dnat_1',
    description: 'DNAT to an address range and a port range (the choice is a deterministic hash / the first free port), DNAT port translation, hairpin NAT from the LAN',
    tags: ['dnat', 'nat', 'hairpin'],
    iptables: ipt({
      nat: {
        rules: [
          '-A PREROUTING -d 203.0.113.1 -p tcp --dport 80 -j DNAT --to-destination 10.0.2.100-10.0.2.103',
          '-A PREROUTING -d 203.0.113.1 -p udp --dport 5000:5010 -j DNAT --to-destination 10.0.2.110:6000-6010',
          '-A POSTROUTING -s 10.0.1.0/24 -d 10.0.2.0/24 -j MASQUERADE',
        ],
      },
      filter: { rules: [] },
    }),
    steps: [
      wan(tcp4(W, 27000, R_WAN, 80, 'S'), 'web 1'),
      wan(tcp4('198.51.100.51', 27001, R_WAN, 80, 'S'), 'web 2 from another client'),
      wan(tcp4(W, 27002, R_WAN, 80, 'S'), 'web 3'),
      wan(udp4(W, 27003, R_WAN, 5003, 'x'), 'udp 5003 -> 6000 (first port of the range)'),
      wan(udp4(W, 27004, R_WAN, 5003, 'y'), 'another flow to the same port: 6000 again (a different tuple, no clash)'),
      cli(tcp4(C, 27005, R_WAN, 80, 'S'), 'hairpin: LAN to the public address, DNAT + MASQUERADE'),
    ],
  },
  {
    name: 'r_target_netmap_1',
    description: 'NETMAP: 1:1 prefix mapping in PREROUTING (destination) and POSTROUTING (source)',
    tags: ['netmap', 'nat'],
    iptables: ipt({
      nat: { rules: ['-A PREROUTING -i r_wan -d 192.0.2.0/28 -j NETMAP --to 10.0.2.96/28', '-A POSTROUTING -o r_wan -s 10.0.1.96/28 -j NETMAP --to 192.0.2.16/28'] },
      filter: { rules: [] },
    }),
    steps: [
      wan(udp4(W, 28000, '192.0.2.4', 9, 'in'), '192.0.2.4 -> 10.0.2.100'),
      srv(udp4('10.0.2.100', 9, W, 28000, 'back'), 'reply'),
      cli(udp4('10.0.1.101', 28001, W, 9, 'out'), '10.0.1.101 -> 192.0.2.21'),
      cli(udp4('10.0.1.120', 28002, W, 9, 'not mapped'), '10.0.1.120 is outside 10.0.1.96/28'),
    ],
  },
  {
    name: 'r_target_masquerade_1',
    runs: 6,
    description: 'MASQUERADE --to-ports 40000-40010 for UDP and TCP (the port is chosen in the range), --random not used; ICMP echo id kept',
    tags: ['masquerade', 'nat'],
    iptables: ipt({
      nat: { rules: ['-A POSTROUTING -o r_wan -p udp -j MASQUERADE --to-ports 40000-40010', '-A POSTROUTING -o r_wan -j MASQUERADE'] },
      filter: { rules: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']).rules, policies: { FORWARD: 'DROP' } },
    }),
    steps: [
      cli(udp4(C, 40005, W, 53, 'q'), 'source port 40005 in the range: kept'),
      wan(udp4(W, 53, R_WAN, 40005, 'a'), 'answer'),
      cli(udp4(C2, 40005, W, 53, 'q2'), 'same port from another host: another port of the range (masked)'),
      cli(echo4(C, W, 0x1234, 1), 'echo: id kept'),
      wan(echo4(W, R_WAN, 0x1234, 1, { reply: true }), 'echo reply'),
      wan(udp4(W, 53, R_WAN, 39000, 'unsolicited'), 'outside the range, nothing mapped there: delivered to the router, port unreachable'),
    ],
  },
];
