/**
 * Round 2, conntrack zones with NAT and ICMP errors: CT --zone on both sides of a MASQUERADE
 * (ICMP error from the WAN in the zone), identical tuples in two zones NATed to the same port
 * without a clash, --zone-orig / --zone-reply with NAT, zones from the packet mark
 * (CT --zone mark), zones with the FTP helper, and an ICMP error in the wrong zone.
 */

import { cli, Conv, icmpErr4, ipt, srv, statefulForward, tcp4, udp4, wan, R_WAN, echo4 } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.110';
const W2 = '198.51.100.111';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_r2_zone_nat_1',
    description: 'CT --zone 1 on r_cli and r_wan with MASQUERADE: the UDP flow is NATed in zone 1, the WAN reply (zone 1) is ESTABLISHED, an ICMP port unreachable from the WAN about the NATed flow is RELATED in zone 1 and translated back; the conntrack table shows zone=1',
    tags: ['zones', 'ct-zone', 'CT', 'nat', 'masquerade', 'icmp', 'ct-related'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -i r_cli -j CT --zone 1', '-A PREROUTING -i r_wan -j CT --zone 1'] },
      nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] },
      filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']),
    }),
    steps: [
      cli(udp4(C, 6300, W, 53, 'q'), 'out: zone 1, masqueraded'),
      wan(udp4(W, 53, R_WAN, 6300, 'r'), 'reply in zone 1'),
      cli(udp4(C, 6301, W, 53, 'q'), 'second flow'),
      wan(icmpErr4(W, R_WAN, 3, 3, udp4(R_WAN, 6301, W, 53, 'q')), 'port unreachable about flow 2: RELATED, to 10.0.1.100'),
    ],
  },
  {
    name: 'r_r2_zone_nat_2',
    description: 'the same tuple from r_cli (zone 1) and r_srv (zone 2) masqueraded: the NAT uniqueness check is per zone, so both keep source port 6400; WAN replies tagged into a zone by their source port (raw CT --zone per rule) find that zone\'s entry (both are de-NATed to 10.0.1.100, which routes to r_cli)',
    tags: ['zones', 'ct-zone', 'CT', 'nat', 'masquerade', 'nat-clash'],
    iptables: ipt({
      raw: {
        rules: [
          '-A PREROUTING -i r_cli -j CT --zone 1',
          '-A PREROUTING -i r_srv -j CT --zone 2',
          '-A PREROUTING -i r_wan -p udp --sport 53 -j CT --zone 1',
          '-A PREROUTING -i r_wan -p udp --sport 54 -j CT --zone 2',
        ],
      },
      nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] },
    }),
    steps: [
      cli(udp4(C, 6400, W, 53, 'z1'), 'r_cli, zone 1: 203.0.113.1:6400'),
      srv(udp4(C, 6400, W, 53, 'z2'), 'same tuple from r_srv, zone 2: port kept too'),
      wan(udp4(W, 53, R_WAN, 6400, 'r1'), 'reply into zone 1: the r_cli entry (to 10.0.1.100)'),
      cli(udp4(C, 6401, W, 54, 'z1b'), 'r_cli to port 54, zone 1'),
      srv(udp4(C, 6401, W, 54, 'z2b'), 'r_srv to port 54, zone 2'),
      wan(udp4(W, 54, R_WAN, 6401, 'r2'), 'reply from port 54 into zone 2: the r_srv entry (to 10.0.1.100, routed out of r_cli)'),
    ],
  },
  {
    name: 'r_r2_zone_orig_nat_1',
    description: 'CT --zone-orig 5 on r_cli with MASQUERADE: the original direction is in zone 5, the reply direction in the default zone, so WAN replies without any CT rule find the connection; an ICMP error from the WAN (zone 0) about it is RELATED',
    tags: ['zones', 'zone-dir', 'ct-zone', 'CT', 'nat', 'masquerade', 'icmp', 'ct-related'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -i r_cli -j CT --zone-orig 5'] },
      nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] },
      filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']),
    }),
    steps: [
      cli(tcp4(C, 6500, W, 80, 'S'), 'SYN: zone-orig 5'),
      wan(tcp4(W, 80, R_WAN, 6500, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK (zone 0 lookup): found'),
      cli(tcp4(C, 6500, W, 80, 'A', { seq: 1001, ack: 5001 }), 'ACK'),
      wan(icmpErr4(W, R_WAN, 3, 3, tcp4(R_WAN, 6500, W, 80, 'A', { seq: 1001, ack: 5001 })), 'ICMP error about it: RELATED'),
      cli(tcp4(C, 6500, W, 80, 'A', { seq: 1001, ack: 5001 }), 'ACK again'),
    ],
  },
  {
    name: 'r_r2_zone_reply_nat_1',
    description: 'CT --zone-reply 7 on r_wan with DNAT to the server: the reply direction of the connection is in zone 7; the server\'s answer tagged --zone 7 (raw rule for udp sport 1053) finds it and is un-DNATed to 203.0.113.1:53; an answer from another port (zone 0) is NEW',
    tags: ['zones', 'zone-dir', 'ct-zone', 'CT', 'nat', 'dnat'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -i r_wan -j CT --zone-reply 7', '-A PREROUTING -i r_srv -p udp --sport 1053 -j CT --zone 7'] },
      nat: { rules: ['-A PREROUTING -i r_wan -p udp --dport 53 -j DNAT --to-destination 10.0.2.100:1053'] },
    }),
    steps: [
      wan(udp4(W, 6600, R_WAN, 53, 'q'), 'WAN query: DNAT, reply tuple in zone 7'),
      srv(udp4(S, 1053, W, 6600, 'r'), 'server reply tagged zone 7: ESTABLISHED, source back to 203.0.113.1:53'),
      wan(udp4(W, 6600, R_WAN, 53, 'q2'), 'next query: ESTABLISHED'),
      srv(udp4(S, 1054, W, 6600, 'x'), 'from port 1054 (zone 0): NEW'),
    ],
  },
  {
    name: 'r_r2_zone_mark_1',
    description: 'CT --zone mark: the zone is taken from the packet mark (set in raw before it): LAN packets marked 11 and 12 by source land in zones 11 and 12; the replies get their zone from the same mark rules keyed on destination',
    tags: ['zones', 'ct-zone', 'CT', 'mark', 'MARK'],
    iptables: ipt({
      raw: {
        rules: [
          '-A PREROUTING -s 10.0.1.100 -j MARK --set-mark 11',
          '-A PREROUTING -s 10.0.1.101 -j MARK --set-mark 12',
          '-A PREROUTING -d 10.0.1.100 -j MARK --set-mark 11',
          '-A PREROUTING -j CT --zone mark',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 6700, W, 53, 'a'), '.100: zone 11'),
      cli(udp4(C2, 6701, W, 53, 'b'), '.101: zone 12'),
      wan(udp4(W, 53, C, 6700, 'ra'), 'reply to .100 (mark 11): ESTABLISHED'),
      wan(udp4(W, 53, C2, 6701, 'rb'), 'reply to .101 (no mark: zone 0): NEW'),
    ],
  },
  (() => {
    const c = new Conv(C, 6800, W, 21);
    return {
      name: 'r_r2_zone_helper_1',
      description: 'the FTP helper in zone 3 (CT --zone 3 --helper ftp on r_cli, CT --zone 3 on r_wan): the PORT expectation lives in zone 3; the server\'s data SYN tagged zone 3 is RELATED, the same SYN from r_srv (zone 0) is not',
      tags: ['zones', 'ct-zone', 'CT', 'helper', 'ftp', 'helper-ftp', 'expect'],
      iptables: ipt({
        raw: { rules: ['-A PREROUTING -i r_cli -p tcp --dport 21 -j CT --zone 3 --helper ftp', '-A PREROUTING -i r_cli -j CT --zone 3', '-A PREROUTING -i r_wan -j CT --zone 3'] },
        filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT', '-A FORWARD -p tcp -j REJECT --reject-with tcp-reset']),
      }),
      steps: [
        cli(c.c('S')),
        wan(c.s('SA')),
        cli(c.c('A')),
        wan(c.s('PA', { payload: '220 ok\r\n' }), 'banner (first server line: not parsed)'),
        cli(c.c('PA', { payload: 'USER anonymous\r\n' }), 'USER (first client line: not parsed)'),
        wan(c.s('PA', { payload: '331 ok\r\n' })),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,160,20\r\n' }), 'PORT 40980: expectation in zone 3'),
        wan(c.s('PA', { payload: '200 ok\r\n' })),
        srv(tcp4(W, 20, C, 40980, 'S'), 'data SYN arriving on r_srv (zone 0): NEW, reset'),
        wan(tcp4(W, 20, C, 40980, 'S'), 'data SYN on r_wan (zone 3): RELATED'),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_r2_zone_icmp_1',
    description: 'ICMP errors and zones: an echo flow in zone 4; an ICMP error about it arriving on an interface in zone 0 is not RELATED (INVALID), the same error in zone 4 is RELATED; the echo reply in zone 0 does not find the flow (INVALID)',
    tags: ['zones', 'ct-zone', 'CT', 'icmp', 'ct-related', 'ct-invalid'],
    iptables: ipt({ raw: { rules: ['-A PREROUTING -i r_cli -j CT --zone 4', '-A PREROUTING -i r_wan -p icmp --icmp-type destination-unreachable -s 198.51.100.111 -j CT --zone 4'] } }),
    steps: [
      cli(echo4(C, W, 31, 1), 'echo in zone 4'),
      wan(icmpErr4(W, C, 3, 1, echo4(C, W, 31, 1)), 'host unreachable from .110 (zone 0): INVALID'),
      wan(icmpErr4(W2, C, 3, 1, echo4(C, W, 31, 1)), 'host unreachable from .111 (zone 4): RELATED'),
      wan(echo4(W, C, 31, 1, { reply: true }), 'echo reply in zone 0: no flow'),
    ],
  },
];
