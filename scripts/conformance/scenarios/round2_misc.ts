/**
 * Round 2, marks / labels / CONNMARK restore with a mark-based policy, the router's answers
 * about NATed flows (time exceeded, unreachable, port unreachable behind REDIRECT), and TCP
 * window tracking corners (window scaling with a SYN-less pick-up, the scaled window's upper
 * bound, SACK blocks beyond the window with and without SACK_PERM, retransmissions).
 */

import { cli, Conv, icmpErr4, ipt, local, srv, statefulForward, tcp4, udp4, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.140';

export const scenarios: ScenarioSpec[] = [
  // ------------------------------------------------------------------ marks and labels
  {
    name: 'r_r2_mark_restore_1',
    description: 'CONNMARK restore with a mark-based policy: mangle PREROUTING restores the low byte of the ct mark into the packet mark (--restore-mark --nfmask 0xff --ctmask 0xff), new LAN connections get mark 0x2/0xff which is saved back; FORWARD accepts only mark 0x2/0xff (policy DROP): the replies carry the restored mark and pass, a WAN-initiated connection has none and is dropped',
    tags: ['mark', 'connmark', 'CONNMARK', 'MARK', 'mangle'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff',
          '-A PREROUTING -i r_cli -m mark --mark 0x0/0xff -j MARK --set-xmark 0x2/0xff',
          '-A PREROUTING -m mark ! --mark 0x0/0xff -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff',
        ],
      },
      filter: { policies: { FORWARD: 'DROP' }, rules: ['-A FORWARD -m mark --mark 0x2/0xff -j ACCEPT'] },
    }),
    steps: [
      cli(tcp4(C, 8000, W, 80, 'S'), 'SYN: mark 2, saved'),
      wan(tcp4(W, 80, C, 8000, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: mark restored, accepted'),
      cli(tcp4(C, 8000, W, 80, 'A', { seq: 1001, ack: 5001 }), 'ACK'),
      wan(tcp4(W, 8001, C, 22, 'S'), 'WAN-initiated: no mark, dropped'),
      cli(udp4(C2, 8002, W, 53, 'q'), 'UDP from .101: mark 2'),
      wan(udp4(W, 53, C2, 8002, 'r'), 'its reply: restored, accepted'),
    ],
  },
  {
    name: 'r_r2_mark_connmark_ops_1',
    description: 'CONNMARK arithmetic: --set-xmark 0x100/0xf00 on new connections, --or-mark 0x1 on replies, --and-mark 0xfff0 on a port, -m connmark --mark 0x101/0xfff and ! --mark matches, the final ct marks in the table',
    tags: ['connmark', 'CONNMARK', 'mangle', 'match-connmark'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A PREROUTING -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100/0xf00',
          '-A PREROUTING -m conntrack --ctdir REPLY -j CONNMARK --or-mark 0x1',
          '-A PREROUTING -p udp --dport 123 -j CONNMARK --and-mark 0xfff0',
        ],
      },
      filter: { rules: ['-A FORWARD -m connmark --mark 0x101/0xfff -j ACCEPT', '-A FORWARD -m connmark ! --mark 0x100/0xfff -j DROP'] },
    }),
    steps: [
      cli(udp4(C, 8100, W, 53, 'q'), 'new: 0x100'),
      wan(udp4(W, 53, C, 8100, 'r'), 'reply: 0x101, first rule'),
      cli(udp4(C, 8100, W, 53, 'q2'), 'again: 0x101'),
      cli(udp4(C, 8101, W, 123, 'ntp'), 'ntp: 0x100 and 0xfff0 = 0x100'),
      wan(udp4(W, 123, C, 8101, 'ntp-r'), 'ntp reply: 0x101'),
    ],
  },
  {
    name: 'r_r2_label_1',
    description: 'connlabel as a policy: new LAN connections to port 443 get label 7 (--set), replies are accepted only with label 7; a LAN connection to port 80 has no label and its reply is rejected; labels listed in the final table',
    tags: ['labels', 'connlabel', 'match-connlabel'],
    iptables: ipt({
      filter: {
        policies: { FORWARD: 'DROP' },
        rules: [
          '-A FORWARD -i r_cli -p tcp --dport 443 -m connlabel --label 7 --set -j ACCEPT',
          '-A FORWARD -i r_cli -p tcp --dport 80 -j ACCEPT',
          '-A FORWARD -i r_wan -m connlabel --label 7 -j ACCEPT',
          '-A FORWARD -i r_wan -p tcp -j REJECT --reject-with tcp-reset',
        ],
      },
    }),
    steps: [
      cli(tcp4(C, 8200, W, 443, 'S'), 'SYN :443: label 7'),
      wan(tcp4(W, 443, C, 8200, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: label 7, accepted'),
      cli(tcp4(C, 8201, W, 80, 'S'), 'SYN :80: no label'),
      wan(tcp4(W, 80, C, 8201, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: no label, reset'),
    ],
  },
  {
    name: 'r_r2_mark_local_1',
    description: 'CONNMARK for the router\'s own traffic: mangle OUTPUT saves a mark set on local UDP (MARK 0x30, --save-mark), the peer\'s reply gets it back in PREROUTING (--restore-mark) and INPUT accepts only mark 0x30 (policy DROP); an unrelated WAN packet to the router is dropped',
    tags: ['connmark', 'CONNMARK', 'MARK', 'local-out', 'local-in'],
    iptables: ipt({
      mangle: {
        rules: ['-A OUTPUT -p udp -j MARK --set-mark 0x30', '-A OUTPUT -j CONNMARK --save-mark', '-A PREROUTING -j CONNMARK --restore-mark'],
      },
      filter: { policies: { INPUT: 'DROP' }, rules: ['-A INPUT -m mark --mark 0x30 -j ACCEPT'] },
    }),
    steps: [
      local(udp4(R_WAN, 8300, W, 53, 'q'), 'router query: mark 0x30 saved'),
      wan(udp4(W, 53, R_WAN, 8300, 'r'), 'reply: restored, accepted in INPUT'),
      wan(udp4(W, 53, R_WAN, 8301, 'x'), 'another port: dropped'),
    ],
  },

  // ------------------------------------------------------------------ host answers about NATed flows
  {
    name: 'r_r2_host_ttl_nat_1',
    description: 'time exceeded for a DNATed flow: a WAN packet to 203.0.113.1:8080 DNATed to 10.0.2.100 arrives with TTL 1; the router\'s time exceeded goes back to the WAN host quoting the packet as it arrived (destination 203.0.113.1:8080: conntrack reverses the DNAT in the quote); also on an established flow',
    tags: ['host-answers', 'time-exceeded', 'router-generated', 'nat', 'dnat', 'icmp-ttl'],
    iptables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -p udp --dport 8080 -j DNAT --to-destination 10.0.2.100'] }, filter: statefulForward(['-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT']) }),
    steps: [
      wan(udp4(W, 8400, R_WAN, 8080, 'x', { ttl: 1 }), 'TTL 1 on a new flow: time exceeded'),
      wan(udp4(W, 8401, R_WAN, 8080, 'y'), 'normal: DNATed'),
      srv(udp4(S, 8080, W, 8401, 'r'), 'reply'),
      wan(udp4(W, 8401, R_WAN, 8080, 'z', { ttl: 1 }), 'TTL 1 on the established flow: time exceeded'),
    ],
  },
  {
    name: 'r_r2_host_ttl_nat_2',
    description: 'time exceeded for a masqueraded flow: the LAN client\'s packet with TTL 1 expires at the router before SNAT, the error goes to 10.0.1.100 with the original quote; on the way back, a reply from the WAN with TTL 1 to 203.0.113.1 expires and the router\'s error to the WAN host quotes it with the public destination',
    tags: ['host-answers', 'time-exceeded', 'router-generated', 'nat', 'masquerade', 'icmp-ttl'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']) }),
    steps: [
      cli(udp4(C, 8500, W, 33434, 'a'), 'normal: masqueraded'),
      cli(udp4(C, 8500, W, 33434, 'b', { ttl: 1 }), 'TTL 1: time exceeded to the client'),
      wan(udp4(W, 33434, R_WAN, 8500, 'c', { ttl: 1 }), 'reply with TTL 1: de-NATed then expired; error to the WAN host'),
      wan(udp4(W, 33434, R_WAN, 8500, 'd'), 'reply: to the client'),
    ],
  },
  {
    name: 'r_r2_host_unreach_nat_1',
    description: 'the router\'s unreachables about NATed flows: DNAT to 10.0.9.100 (no route: no default route) gives net unreachable to the WAN host quoting the original destination 203.0.113.1:9000; a REDIRECT of udp/53 to the router\'s closed port 5300 gives port unreachable quoting port 53',
    tags: ['host-answers', 'no-route', 'router-generated', 'nat', 'dnat', 'redirect', 'udp-closed-port'],
    defaultRoute: false,
    iptables: ipt({
      nat: {
        rules: ['-A PREROUTING -i r_wan -p udp --dport 9000 -j DNAT --to-destination 10.0.9.100', '-A PREROUTING -i r_cli -p udp --dport 53 -j REDIRECT --to-ports 5300'],
      },
    }),
    steps: [
      wan(udp4('203.0.113.150', 8600, R_WAN, 9000, 'x'), 'DNAT to an unroutable address: net unreachable'),
      cli(udp4(C, 8601, '10.0.2.53', 53, 'q'), 'DNS redirected to :5300 (closed): port unreachable quoting :53'),
      cli(udp4(C, 8601, '10.0.2.53', 53, 'q2'), 'again'),
    ],
  },

  // ------------------------------------------------------------------ TCP window tracking corners
  (() => {
    const c = new Conv(C, 8700, W, 80);
    return {
      name: 'r_r2_tcp_wscale_pickup_1',
      description: 'window scaling on a connection picked up without its SYNs (tcp_loose=1): both ends advertise small raw windows (scaled in reality), conntrack knows no scale and tracks the pick-up liberally: 1400-byte segments far beyond the advertised raw window and a segment above the highest seen edge pass; the final table shows ESTABLISHED',
      tags: ['tcp', 'tcp-wscale', 'tcp-midstream', 'tcp-window', 'tcp-loose'],
      iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j DROP'] } }),
      steps: [
        cli(c.c('A', { win: 16 }), 'mid-stream ACK, window 16 (x128 in reality)'),
        wan(c.s('A', { win: 20 }), 'server ACK, window 20'),
        wan(c.s('PA', { payload: 'S'.repeat(1400), win: 20 }), '1400 bytes: beyond the raw window'),
        wan(c.s('PA', { payload: 'T'.repeat(1400), win: 20 }), '1400 more'),
        cli(c.c('A', { win: 16 }), 'client ACK'),
        cli(c.c('PA', { payload: 'U'.repeat(1000), seq: c.cnext + 100000, advance: false, win: 16 }), 'client data 100000 bytes ahead'),
        wan(c.s('A', { win: 20 }), 'server ACK'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 8710, W, 80);
    return {
      name: 'r_r2_tcp_wscale_bound_1',
      description: 'scaled windows and the upper bound: handshake with wscale 2 both ways, the client then advertises window 100 (400 bytes): a 400-byte server segment fits, and so does the next one starting at the advertised edge (conntrack bounds the start of a segment by the highest edge the receiver ever offered, its SYN\'s unscaled 64240 included); a segment starting 70000 bytes ahead is over the upper bound (INVALID, dropped)',
      tags: ['tcp', 'tcp-wscale', 'tcp-window', 'tcp-oow', 'ct-invalid'],
      iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j DROP'] } }),
      steps: [
        cli(c.c('S', { options: { mss: 1460, wscale: 2, sackPerm: true } }), 'SYN wscale 2'),
        wan(c.s('SA', { options: { mss: 1460, wscale: 2, sackPerm: true } }), 'SYN/ACK wscale 2'),
        cli(c.c('A', { win: 100 }), 'ACK, window 100<<2 = 400'),
        wan(c.s('PA', { payload: 'a'.repeat(400), win: 1000 }), '400 bytes: fits'),
        wan(c.s('PA', { payload: 'b'.repeat(400), win: 1000, advance: false }), '400 more from the advertised edge'),
        cli(c.c('A', { win: 400 }), 'client ACK of the first 400, window 1600'),
        wan(c.s('PA', { payload: 'b'.repeat(400), win: 1000 }), 'the second 400 again'),
        wan(c.s('PA', { payload: 'z'.repeat(100), win: 1000, seq: (c.snext + 70000) >>> 0, advance: false }), 'a segment starting 70000 bytes ahead: INVALID'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 8720, W, 80);
    const sackBeyond = (cn: Conv) => ({ sack: [[cn.cnext + 5000, cn.cnext + 6000]] as [number, number][] });
    return {
      name: 'r_r2_tcp_sack_beyond_1',
      description: 'SACK beyond the window: with SACK permitted, a server ACK whose SACK block reaches 6000 bytes past the client\'s highest sent byte is over the upper bound (conntrack takes the highest SACK edge as the acknowledgement): INVALID; the same ACK without the SACK block is fine',
      tags: ['tcp', 'tcp-sack', 'tcp-window', 'ct-invalid'],
      iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j DROP'] } }),
      steps: [
        cli(c.c('S', { options: { mss: 1460, sackPerm: true } }), 'SYN, SACK permitted'),
        wan(c.s('SA', { options: { mss: 1460, sackPerm: true } }), 'SYN/ACK, SACK permitted'),
        cli(c.c('A')),
        cli(c.c('PA', { payload: 'x'.repeat(500) }), '500 bytes'),
        wan(c.s('A', { options: sackBeyond(c) }), 'ACK with a SACK block beyond the sent data: INVALID'),
        wan(c.s('A'), 'plain ACK: fine'),
        wan(c.s('A', { options: { sack: [[c.cnext - 400, c.cnext - 100]] } }), 'ACK with a SACK block inside: fine'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 8730, W, 80);
    return {
      name: 'r_r2_tcp_sack_beyond_2',
      description: 'SACK beyond the window without SACK permitted in the handshake: conntrack ignores SACK blocks then, so the same far SACK block does not make the ACK invalid',
      tags: ['tcp', 'tcp-sack', 'tcp-window'],
      iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j DROP'] } }),
      steps: [
        cli(c.c('S', { options: { mss: 1460 } }), 'SYN without SACK_PERM'),
        wan(c.s('SA', { options: { mss: 1460 } }), 'SYN/ACK without SACK_PERM'),
        cli(c.c('A')),
        cli(c.c('PA', { payload: 'x'.repeat(500) }), '500 bytes'),
        wan(c.s('A', { options: { sack: [[c.cnext + 5000, c.cnext + 6000]] } }), 'ACK with a far SACK block: ignored, ESTABLISHED'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const c = new Conv(C, 8740, W, 80);
    return {
      name: 'r_r2_tcp_retrans_1',
      description: 'retransmissions and old data: a data segment sent twice (the retransmission is ESTABLISHED), the server\'s ACK, a retransmission of already acknowledged data (still inside the window: accepted), then a segment 200000 bytes below the window: under the lower bound, which the kernel ignores (let through as ESTABLISHED, nothing updated)',
      tags: ['tcp', 'tcp-retrans', 'tcp-oow-old', 'tcp-window', 'ct-invalid'],
      iptables: ipt({ filter: { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j DROP'] } }),
      steps: [
        cli(c.c('S', { options: { mss: 1460, wscale: 7 } })),
        wan(c.s('SA', { options: { mss: 1460, wscale: 7 } })),
        cli(c.c('A', { win: 502 })),
        cli(c.c('PA', { payload: 'data-one', advance: false, win: 502 }), 'data'),
        cli(c.c('PA', { payload: 'data-one', win: 502 }), 'retransmission'),
        wan(c.s('A', { win: 502 }), 'ACK'),
        cli(c.c('PA', { payload: 'data-one', seq: c.cnext - 8, advance: false, win: 502 }), 'acknowledged data again: accepted'),
        cli(c.c('PA', { payload: 'ancient', seq: (c.cnext - 200000) >>> 0, advance: false, win: 502 }), 'far below the window: ignored, let through'),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_r2_host_icmperr_nat_1',
    description: 'an ICMP error from the server about a DNATed flow: the WAN host reaches 10.0.2.100:7000 through DNAT of 203.0.113.1:7777, the server answers with port unreachable quoting the request as it received it: RELATED, the error leaves from 203.0.113.1 with the quote rewritten back to 203.0.113.1:7777',
    tags: ['icmp', 'ct-related', 'nat', 'dnat', 'icmp-err-live'],
    iptables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -p udp --dport 7777 -j DNAT --to-destination 10.0.2.100:7000'] }, filter: statefulForward(['-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT']) }),
    steps: [
      wan(udp4(W, 8800, R_WAN, 7777, 'q'), 'to :7777: DNAT to 10.0.2.100:7000'),
      srv(icmpErr4(S, W, 3, 3, udp4(W, 8800, S, 7000, 'q')), 'server port unreachable: RELATED, source and quote rewritten'),
      wan(udp4(W, 8800, R_WAN, 7777, 'q2'), 'again'),
    ],
  },
];
