/**
 * A second recording for every iptables match of README's list, each on other options than the
 * first: multiport (lists, negated --sports), iprange (negated both ways, across octets), mark in
 * raw / nat / filter, connmark in the nat table, comment, limit (per minute, /hour), hashlimit
 * (srcmask, srcip-srcport, byte mode), length (negated, exact), ttl (before and after the
 * forward decrement), tos (names, masks), dscp (classes, negation), ecn, addrtype (OUTPUT,
 * --limit-iface-out, negation), owner (uid/gid ranges, --socket-exists, POSTROUTING), connlimit
 * (--connlimit-upto, masks, --connlimit-daddr), recent (--rdest, --remove, --seconds expiry,
 * --mask), string (--hex-string, offsets, negation), u32 (ICMP type, fragment bits), statistic
 * (random 0 / 1, nth offsets, negation), quota (negated), tcpmss (negated, SYN/ACK), conntrack
 * (--ctexpire, ports, --ctrepldst, negations), state, icmp names, tcp / udp port negations,
 * sctp chunk negation.
 */

import { ipv4, sctp, tcp, udp, type SctpChunk } from '../../../src/packet/build.js';
import { cli, Conv, echo4, icmp4, icmpErr4, ipt, local, pause, srv, statefulForward, tcp4, udp4, wan, R_CLI, R_SRV, R_WAN, type IptTable } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const C3 = '10.0.1.130';
const S = '10.0.2.100';
const S2 = '10.0.2.101';
const W = '198.51.100.120';

/** The filter table with these FORWARD rules (policy ACCEPT unless given), plus other tables. */
const fwd = (rules: string[], extra: Record<string, IptTable> = {}, policy = 'ACCEPT'): string => ipt({ ...extra, filter: { policies: { FORWARD: policy }, rules } });

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_match_multiport_2',
    description: 'multiport: a --dports list using 13 of the 15 slots (a range takes two), negated --sports, --ports matching either port, on tcp, udp and sctp',
    tags: ['multiport'],
    iptables: fwd([
      '-A FORWARD -p tcp -m multiport --dports 1,3,5,7,9,11,21:22,25,80,100:200,443 -j ACCEPT',
      '-A FORWARD -p udp -m multiport ! --sports 1000:2000,3000 -j DROP',
      '-A FORWARD -p udp -m multiport --ports 1500 -j ACCEPT',
      '-A FORWARD -p sctp -m multiport --dports 2905,3868 -j ACCEPT',
      '-A FORWARD -j REJECT',
    ]),
    steps: [
      cli(tcp4(C, 37000, S, 150, 'S'), 'tcp 150 in 100:200: accepted'),
      cli(tcp4(C, 37001, S, 23, 'S'), 'tcp 23 after 21:22: rejected'),
      cli(udp4(C, 37002, S, 1500), 'udp from 37002: not in the sports list, dropped by the negation'),
      cli(udp4(C, 1999, S, 1500), 'udp from 1999 to 1500: --ports matches'),
      cli(udp4(C, 3000, S, 9), 'udp from 3000 to 9: rejected'),
      cli(ipv4({ src: C, dst: S, payload: sctp({ sport: 37003, dport: 3868, vtag: 0, chunks: [{ type: 1, data: new Uint8Array(16) }] }) }), 'sctp 3868: accepted'),
    ],
  },
  {
    name: 'r_match_iprange_3',
    description: 'iprange: a destination range across an octet boundary (198.51.100.250-198.51.101.5), negated source and destination ranges together, a one-address range',
    tags: ['iprange'],
    iptables: fwd([
      '-A FORWARD -m iprange --dst-range 198.51.100.250-198.51.101.5 -j ACCEPT',
      '-A FORWARD -m iprange ! --src-range 10.0.1.100-10.0.1.120 ! --dst-range 10.0.2.0-10.0.2.127 -j REJECT',
      '-A FORWARD -m iprange --src-range 10.0.1.101-10.0.1.101 -j DROP',
    ]),
    steps: [
      cli(udp4(C, 37100, '198.51.101.2', 9), '198.51.101.2 inside the range'),
      cli(udp4(C, 37101, '198.51.101.6', 9), '198.51.101.6 just past it'),
      cli(udp4(C3, 37102, '10.0.2.200', 9), 'source and destination both outside: rejected'),
      cli(udp4(C3, 37103, S, 9), 'destination inside 10.0.2.0-127: not rejected'),
      cli(udp4(C2, 37104, S, 9), 'the one-address range: dropped'),
    ],
  },
  {
    name: 'r_match_mark_2',
    description: 'packet marks across tables: MARK in raw PREROUTING, matched in nat PREROUTING (DNAT only marked packets), in mangle FORWARD (masked) and filter FORWARD (negated); the mark is not kept by the connection (no CONNMARK): the reply is unmarked',
    tags: ['mark', 'MARK', 'dnat'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -i r_wan -p tcp --dport 8080 -s 198.51.100.0/25 -j MARK --set-mark 0x8'] },
      nat: { rules: ['-A PREROUTING -p tcp -m mark --mark 0x8 -j DNAT --to-destination 10.0.2.100:80'] },
      mangle: { rules: ['-A FORWARD -m mark --mark 0x8/0xc -j MARK --or-mark 0x100'] },
      filter: { rules: ['-A FORWARD -m mark --mark 0x108 -j ACCEPT', '-A FORWARD -m mark ! --mark 0x0 -j DROP', '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT', '-A FORWARD -p tcp -j REJECT --reject-with tcp-reset'] },
    }),
    steps: (() => {
      const d = new Conv(W, 37200, S, 80, { sPub: [R_WAN, 8080] });
      return [
        wan(d.c('S'), 'from 198.51.100.120: marked 0x8, DNATed, 0x108 in FORWARD'),
        srv(d.s('SA'), 'SYN/ACK: no mark, ESTABLISHED'),
        wan(tcp4('198.51.100.200', 37201, R_WAN, 8080, 'S'), 'from outside the /25: unmarked, not DNATed: the router answers with a RST'),
      ];
    })(),
  },
  {
    name: 'r_match_connmark_2',
    description: 'connmark in the nat table: CONNMARK --set-mark by input interface in mangle PREROUTING, SNAT in POSTROUTING only for connmark 0x2/0xf (WAN-bound LAN traffic), ! --mark for the rest; replies keep the NAT',
    tags: ['connmark', 'snat', 'nat'],
    iptables: ipt({
      mangle: { rules: ['-A PREROUTING -i r_cli -m conntrack --ctstate NEW -j CONNMARK --set-mark 0x12', '-A PREROUTING -i r_srv -m conntrack --ctstate NEW -j CONNMARK --set-mark 0x21'] },
      nat: { rules: ['-A POSTROUTING -o r_wan -m connmark --mark 0x2/0xf -j SNAT --to-source 203.0.113.1', '-A POSTROUTING -o r_wan -m connmark ! --mark 0x2/0xf -j SNAT --to-source 203.0.113.5'] },
      filter: { rules: [] },
    }),
    steps: [
      cli(udp4(C, 37300, W, 53, 'q'), 'LAN -> WAN: connmark 0x12, SNAT to .1'),
      wan(udp4(W, 53, R_WAN, 37300, 'a'), 'reply'),
      srv(udp4(S, 37301, W, 53, 'q'), 'DMZ -> WAN: connmark 0x21, SNAT to .5'),
      wan(udp4(W, 53, '203.0.113.5', 37301, 'a'), 'reply to .5'),
    ],
  },
  {
    name: 'r_match_comment_1',
    description: 'comment match: rules with comments (spaces, quotes, punctuation) behave as without, and count',
    tags: ['comment'],
    iptables: fwd([
      '-A FORWARD -p tcp --dport 22 -m comment --comment "ssh from the LAN only" -j ACCEPT',
      '-A FORWARD -p udp -m comment --comment "dns: 53/udp, \\"quoted\\"" --dport 53 -j ACCEPT',
      '-A FORWARD -m comment --comment "default deny (logged)" -j DROP',
    ], {}, 'ACCEPT'),
    steps: [
      cli(tcp4(C, 37400, S, 22, 'S'), 'ssh: accepted'),
      cli(udp4(C, 37401, S, 53, 'q'), 'dns: accepted'),
      cli(udp4(C, 37402, S, 54, 'q'), 'other: dropped'),
    ],
  },
  {
    name: 'r_match_limit_2',
    description: 'limit with slow rates (outcome independent of timing): --limit 1/minute --limit-burst 1 lets the first packet through, --limit 2/hour with burst 3 lets three, --limit 5/day the default burst of 5',
    tags: ['limit'],
    iptables: fwd([
      '-A FORWARD -p udp --dport 1 -m limit --limit 1/minute --limit-burst 1 -j ACCEPT',
      '-A FORWARD -p udp --dport 2 -m limit --limit 2/hour --limit-burst 3 -j ACCEPT',
      '-A FORWARD -p udp --dport 3 -m limit --limit 5/day -j ACCEPT',
      '-A FORWARD -p udp -j DROP',
    ]),
    steps: [
      ...[1, 2].map((k) => cli(udp4(C, 37500 + k, S, 1), `1/minute packet ${k}`)),
      ...[1, 2, 3, 4].map((k) => cli(udp4(C, 37510 + k, S, 2), `2/hour packet ${k}`)),
      ...[1, 2, 3, 4, 5, 6].map((k) => cli(udp4(C, 37520 + k, S, 3), `5/day packet ${k}`)),
    ],
  },
  {
    name: 'r_match_hashlimit_3',
    description: 'hashlimit: --hashlimit-srcmask 24 puts two LAN hosts in one bucket, srcip,srcport mode separates ports, byte mode (--hashlimit-above 1kb/hour burst 2kb) drops once 2 kB went through',
    tags: ['hashlimit'],
    iptables: fwd([
      '-A FORWARD -p udp --dport 1 -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-srcmask 24 --hashlimit-name net24 -j ACCEPT',
      '-A FORWARD -p udp --dport 2 -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 1 --hashlimit-mode srcip,srcport --hashlimit-name sport -j ACCEPT',
      '-A FORWARD -p udp --dport 3 -m hashlimit --hashlimit-above 1kb/hour --hashlimit-burst 2kb --hashlimit-mode dstip --hashlimit-name bytes -j DROP',
      '-A FORWARD -p udp --dport 3 -j ACCEPT',
      '-A FORWARD -p udp -j DROP',
    ]),
    steps: [
      cli(udp4(C, 37600, S, 1), '10.0.1.100: bucket 10.0.1.0/24'),
      cli(udp4(C2, 37601, S, 1), '10.0.1.101: same bucket'),
      cli(udp4(C3, 37602, S, 1), '10.0.1.130: same bucket, over'),
      cli(udp4(C, 37610, S, 2), 'port 37610'),
      cli(udp4(C, 37610, S, 2), 'port 37610 again: over'),
      cli(udp4(C, 37611, S, 2), 'port 37611: own bucket'),
      ...[1, 2, 3, 4].map((k) => cli(udp4(C, 37620 + k, S, 3, 'b'.repeat(672)), `700-byte datagram ${k}`)),
    ],
  },
  {
    name: 'r_match_hashlimit_4',
    description: 'hashlimit in byte mode: --hashlimit-above 1kb/s --hashlimit-burst 2kb per destination: three 628-byte datagrams fit the 2048-byte burst, the fourth (20 ms later) does not and is dropped; another destination has its own bucket',
    tags: ['hashlimit'],
    iptables: fwd([
      '-A FORWARD -p udp -m hashlimit --hashlimit-above 1kb/s --hashlimit-burst 2kb --hashlimit-mode dstip --hashlimit-name bytes4 -j DROP',
      '-A FORWARD -p udp -j ACCEPT',
    ]),
    steps: [
      ...[1, 2, 3, 4].map((k) => cli(udp4(C, 37630 + k, S, 9, 'b'.repeat(600)), `628-byte datagram ${k}`)),
      cli(udp4(C, 37635, S2, 9, 'b'.repeat(600)), 'to 10.0.2.101: own bucket'),
    ],
  },
  {
    name: 'r_match_length_2',
    description: 'length: exact value, negated range, on TCP SYNs with and without options and on ICMP',
    tags: ['length'],
    iptables: fwd(['-A FORWARD -p tcp -m length --length 40 -j DROP', '-A FORWARD -p tcp -m length ! --length 41:60 -j REJECT --reject-with tcp-reset', '-A FORWARD -p icmp -m length --length 84 -j DROP']),
    steps: [
      cli(tcp4(C, 37700, S, 80, 'S'), '40-byte SYN: dropped'),
      cli(tcp4(C, 37701, S, 80, 'S', { options: { mss: 1460 } }), '44-byte SYN: passes'),
      cli(tcp4(C, 37702, S, 80, 'PA', { ack: 1, payload: 'x'.repeat(60) }), '100-byte segment: reset'),
      cli(echo4(C, S, 7, 1, { payload: 'p'.repeat(56) }), '84-byte echo: dropped'),
      cli(echo4(C, S, 7, 2, { payload: 'p'.repeat(57) }), '85-byte echo: passes'),
    ],
  },
  {
    name: 'r_match_ttl_2',
    description: 'ttl before and after the forward decrement: --ttl-eq 64 in mangle PREROUTING (as received), --ttl-eq 64 in FORWARD never for a TTL-64 packet (63 there), ! --ttl-eq, INPUT sees the received TTL',
    tags: ['ttl'],
    iptables: ipt({
      mangle: { rules: ['-A PREROUTING -m ttl --ttl-eq 64 -j MARK --set-mark 0x64'] },
      filter: { rules: ['-A FORWARD -m ttl --ttl-eq 64 -j DROP', '-A FORWARD -m mark --mark 0x64 -m ttl ! --ttl-eq 63 -j DROP', '-A FORWARD -m mark --mark 0x64 -j ACCEPT', '-A INPUT -p icmp -m ttl --ttl-eq 64 -j ACCEPT', '-A INPUT -p icmp -j DROP'] },
    }),
    steps: [
      cli(udp4(C, 37800, S, 9, 'ttl 64', { ttl: 64 }), 'TTL 64: marked, 63 in FORWARD'),
      cli(udp4(C, 37801, S, 9, 'ttl 65', { ttl: 65 }), 'TTL 65: 64 in FORWARD, dropped'),
      cli(echo4(C, R_CLI, 8, 1, { ttl: 64 }), 'ping with TTL 64: accepted in INPUT'),
      cli(echo4(C, R_CLI, 8, 2, { ttl: 63 }), 'ping with TTL 63: dropped in INPUT'),
    ],
  },
  {
    name: 'r_match_tos_1',
    description: 'tos match: symbolic names (Minimize-Delay, Maximize-Throughput), value/mask, negation; the ECN bits do not disturb a masked match',
    tags: ['tos', 'dsfield'],
    iptables: fwd([
      '-A FORWARD -m tos --tos Minimize-Delay -j ACCEPT',
      '-A FORWARD -m tos --tos Maximize-Throughput -j DROP',
      '-A FORWARD -m tos --tos 0x20/0xe0 -j REJECT',
      '-A FORWARD -m tos ! --tos 0x00/0xfc -j DROP',
    ]),
    steps: [
      cli(udp4(C, 37900, S, 9, 'md', { tos: 0x10 }), 'TOS 0x10: accepted'),
      cli(udp4(C, 37901, S, 9, 'md+ecn', { tos: 0x12 }), 'TOS 0x12: Minimize-Delay is 0x10/0x3f, ECN ignored: accepted'),
      cli(udp4(C, 37902, S, 9, 'mt', { tos: 0x08 }), 'TOS 0x08: dropped'),
      cli(udp4(C, 37903, S, 9, 'prec1', { tos: 0x28 }), 'precedence 1: rejected'),
      cli(udp4(C, 37904, S, 9, 'ect', { tos: 0x01 }), 'ECN only: not matched by the negation'),
      cli(udp4(C, 37905, S, 9, 'cs7', { tos: 0xe0 }), 'TOS 0xe0: dropped by the negation'),
    ],
  },
  {
    name: 'r_match_dscp_2',
    description: 'dscp: --dscp-class EF / CS6 / BE, negated --dscp, on TCP and ICMP',
    tags: ['dscp'],
    iptables: fwd(['-A FORWARD -m dscp --dscp-class EF -j ACCEPT', '-A FORWARD -m dscp --dscp-class CS6 -j DROP', '-A FORWARD -p icmp -m dscp ! --dscp 0 -j REJECT', '-A FORWARD -m dscp --dscp-class BE -j ACCEPT', '-A FORWARD -j DROP']),
    steps: [
      cli(tcp4(C, 38000, S, 80, 'S', { tos: 0xb8 }), 'EF SYN: accepted'),
      cli(tcp4(C, 38001, S, 80, 'S', { tos: 0xc0 }), 'CS6: dropped'),
      cli(echo4(C, S, 9, 1, { tos: 0x28 }), 'echo with AF11: rejected'),
      cli(echo4(C, S, 9, 2), 'echo with BE: accepted'),
      cli(udp4(C, 38002, S, 9, 'af41', { tos: 0x88 }), 'AF41 udp: dropped at the end'),
    ],
  },
  {
    name: 'r_match_ecn_1',
    description: 'ecn match: --ecn-tcp-ece, ! --ecn-tcp-cwr, --ecn-ip-ect 0 / 2 / 3 (CE)',
    tags: ['ecn'],
    iptables: fwd([
      '-A FORWARD -p tcp -m ecn --ecn-tcp-ece ! --ecn-tcp-cwr -j DROP',
      '-A FORWARD -p tcp -m ecn --ecn-tcp-cwr -j REJECT --reject-with tcp-reset',
      '-A FORWARD -m ecn --ecn-ip-ect 3 -j DROP',
      '-A FORWARD -m ecn --ecn-ip-ect 2 -j ACCEPT',
      '-A FORWARD -m ecn --ecn-ip-ect 0 -j ACCEPT',
    ]),
    steps: [
      cli(tcp4(C, 38100, S, 80, 'SAE', { ack: 1 }), 'SYN/ACK with ECE only: dropped'),
      cli(tcp4(C, 38101, S, 80, 'SEC'), 'SYN with ECE+CWR: reset'),
      cli(udp4(C, 38102, S, 9, 'ce', { tos: 0x03 }), 'CE: dropped'),
      cli(udp4(C, 38103, S, 9, 'ect0', { tos: 0x02 }), 'ECT(0): accepted'),
      cli(udp4(C, 38104, S, 9, 'not-ect', { tos: 0x00 }), 'Not-ECT: accepted by --ecn-ip-ect 0'),
    ],
  },
  {
    name: 'r_match_addrtype_2',
    description: 'addrtype in OUTPUT and POSTROUTING for the router\'s own packets: --src-type LOCAL, --dst-type UNICAST with --limit-iface-out, ! --dst-type LOCAL in FORWARD',
    tags: ['addrtype', 'local-out'],
    iptables: ipt({
      mangle: { rules: ['-A POSTROUTING -m addrtype --src-type LOCAL --limit-iface-out -j MARK --set-mark 0x1', '-A POSTROUTING -m addrtype --src-type LOCAL -j MARK --or-mark 0x2'] },
      filter: {
        rules: [
          '-A OUTPUT -p udp -m addrtype --src-type LOCAL --dst-type UNICAST -j ACCEPT',
          '-A FORWARD -m addrtype ! --dst-type LOCAL ! --src-type LOCAL -j ACCEPT',
          '-A FORWARD -j DROP',
        ],
      },
    }),
    steps: [
      local(udp4(R_SRV, 38200, S, 53, 'q'), 'router to the DMZ from the DMZ address: local on the out interface'),
      local(udp4(R_CLI, 38201, S, 53, 'q'), 'router to the DMZ from the LAN address: local but not on the out interface'),
      cli(udp4(C, 38202, S, 53, 'q'), 'forwarded: neither local'),
      cli(udp4(R_WAN, 38203, S, 53, 'q'), 'the router\'s WAN address as source arriving on r_cli: martian, dropped before FORWARD'),
    ],
  },
  {
    name: 'r_match_owner_2',
    description: 'owner for the router\'s own packets (root raw socket): --uid-owner 0-10 range, ! --uid-owner 1000, --gid-owner 0, --socket-exists, in OUTPUT and POSTROUTING; a forwarded packet has no socket',
    tags: ['owner', 'local-out'],
    iptables: ipt({
      mangle: { rules: ['-A POSTROUTING -m owner --socket-exists -j MARK --set-mark 0x5', '-A POSTROUTING -m owner ! --socket-exists -j MARK --set-mark 0x6'] },
      filter: {
        rules: [
          '-A OUTPUT -p udp --dport 1 -m owner --uid-owner 0-10 -j ACCEPT',
          '-A OUTPUT -p udp --dport 2 -m owner ! --uid-owner 1000 --gid-owner 0 -j DROP',
          '-A OUTPUT -p udp --dport 3 -m owner --uid-owner 1000 -j DROP',
        ],
      },
    }),
    steps: [
      local(udp4(R_SRV, 38300, S, 1, 'a'), 'uid 0 in 0-10: accepted'),
      local(udp4(R_SRV, 38301, S, 2, 'b'), 'not uid 1000, gid 0: dropped'),
      local(udp4(R_SRV, 38302, S, 3, 'c'), 'uid 1000? no: policy, leaves'),
      cli(udp4(C, 38303, S, 3, 'fwd'), 'forwarded: no socket'),
    ],
  },
  {
    name: 'r_match_connlimit_2',
    description: 'connlimit: --connlimit-upto 1 per /24 of the source (--connlimit-mask 24), --connlimit-above 1 per destination (--connlimit-daddr); closed connections stop counting',
    tags: ['connlimit'],
    iptables: ipt({
      filter: statefulForward([
        '-A FORWARD -p tcp --syn --dport 80 -m connlimit --connlimit-upto 1 --connlimit-mask 24 -j ACCEPT',
        '-A FORWARD -p tcp --syn --dport 80 -j REJECT --reject-with tcp-reset',
        '-A FORWARD -p tcp --syn --dport 22 -m connlimit --connlimit-above 1 --connlimit-daddr -j DROP',
        '-A FORWARD -p tcp --syn --dport 22 -j ACCEPT',
      ]),
    }),
    steps: (() => {
      const a = new Conv(C, 38400, S, 80);
      return [
        cli(a.c('S'), 'first http connection of 10.0.1.0/24: accepted'),
        cli(tcp4(C2, 38401, S, 80, 'S'), 'another host of the /24: reset (1 already)'),
        srv(a.s('SA')),
        cli(a.c('A')),
        cli(a.c('RA'), 'the first connection resets (CLOSE, still counted until it is gone)'),
        cli(tcp4(C2, 38402, S, 80, 'S'), 'retry'),
        cli(tcp4(C, 38403, S, 22, 'S'), 'ssh to 10.0.2.100: 1st'),
        cli(tcp4(C2, 38404, S, 22, 'S'), 'ssh to 10.0.2.100 from another host: 2nd for that destination, dropped'),
        cli(tcp4(C2, 38405, S2, 22, 'S'), 'ssh to 10.0.2.101: 1st for it'),
      ];
    })(),
  },
  {
    name: 'r_match_recent_2',
    description: 'recent: --rdest lists, --remove, --rcheck --seconds 1 (an entry older than 1 s no longer matches after a pause), --mask 255.255.255.0 grouping hosts',
    tags: ['recent'],
    iptables: fwd([
      '-A FORWARD -p udp --dport 1 -m recent --name dst --rdest --set -j ACCEPT',
      '-A FORWARD -p udp --dport 2 -m recent --name dst --rdest --rcheck -j DROP',
      '-A FORWARD -p udp --dport 3 -m recent --name dst --rdest --remove -j ACCEPT',
      '-A FORWARD -p udp --dport 4 -m recent --name net --mask 255.255.255.0 --set -j ACCEPT',
      '-A FORWARD -p udp --dport 5 -m recent --name net --mask 255.255.255.0 --rcheck --seconds 1 -j DROP',
    ]),
    steps: [
      cli(udp4(C, 38500, S, 1), 'destination 10.0.2.100 recorded'),
      cli(udp4(C2, 38501, S, 2), 'to 10.0.2.100 from another host: in the list, dropped'),
      cli(udp4(C, 38502, S, 3), 'removed'),
      cli(udp4(C2, 38503, S, 2), 'no longer listed: passes'),
      cli(udp4(C, 38504, S, 4), '10.0.1.0 recorded (masked)'),
      cli(udp4(C3, 38505, S, 5), '10.0.1.130 in the same /24 within 1 s: dropped'),
      pause(1.5),
      cli(udp4(C3, 38506, S, 5), 'after 1.5 s: too old, passes'),
    ],
  },
  {
    name: 'r_match_string_2',
    description: 'string: --hex-string, a --from 30 --to 33 window (the string must lie wholly inside it: offset 30 matches, 31 and 29 do not), negated string, KMP',
    tags: ['string'],
    iptables: fwd([
      '-A FORWARD -p udp --dport 1 -m string --algo bm --hex-string "|de ad|beef|0a|" -j DROP',
      '-A FORWARD -p udp --dport 2 -m string --algo kmp --string "abc" --from 30 --to 33 -j DROP',
      '-A FORWARD -p udp --dport 3 -m string --algo bm ! --string "ok" -j REJECT',
    ]),
    steps: [
      cli(udp4(C, 38600, S, 1, Uint8Array.of(0x41, 0xde, 0xad, 0x62, 0x65, 0x65, 0x66, 0x0a)), 'contains de ad "beef" 0a: dropped'),
      cli(udp4(C, 38601, S, 1, 'deadbeef'), 'ASCII only: passes'),
      cli(udp4(C, 38602, S, 2, '..abc'), '"abc" at offset 30: dropped'),
      cli(udp4(C, 38603, S, 2, '...abc'), '"abc" at offset 31, ending past --to: passes'),
      cli(udp4(C, 38604, S, 2, '.abc'), '"abc" at offset 29, starting before --from: passes'),
      cli(udp4(C, 38605, S, 3, 'not okay'), 'contains ok: passes'),
      cli(udp4(C, 38606, S, 3, 'nothing'), 'no ok: rejected'),
    ],
  },
  {
    name: 'r_match_u32_2',
    description: 'u32: ICMP type byte through the IHL, the IPv4 flags/fragment word (DF set), TTL ranges, two tests joined with && and ranges with ,',
    tags: ['u32'],
    iptables: fwd([
      '-A FORWARD -p icmp -m u32 --u32 "0>>22&0x3C@0>>24=8" -j ACCEPT',
      '-A FORWARD -p icmp -j DROP',
      '-A FORWARD -m u32 --u32 "6&0xFF=17 && 4&0x4000=0x4000" -j REJECT',
      '-A FORWARD -m u32 --u32 "8>>24=1:10,200:255" -j DROP',
    ]),
    steps: [
      cli(echo4(C, S, 3, 1), 'echo request (type 8): accepted'),
      cli(icmp4(C, S, 13, 0, { id4: 1, seq: 1, payload: new Uint8Array(12) }), 'timestamp request: dropped'),
      cli(udp4(C, 38700, S, 9, 'df', { df: true }), 'UDP with DF: rejected'),
      cli(udp4(C, 38701, S, 9, 'ttl 5', { ttl: 5 }), 'TTL 5, 4 in FORWARD (after the decrement): dropped'),
      cli(udp4(C, 38702, S, 9, 'ttl 100', { ttl: 100 }), 'TTL 100: passes'),
      cli(udp4(C, 38703, S, 9, 'ttl 255', { ttl: 255 }), 'TTL 255 (254): dropped'),
    ],
  },
  {
    name: 'r_match_statistic_2',
    description: 'statistic: --mode random with --probability 1 (always) and 0 (never, negated: always), --mode nth --every 4 --packet 2',
    tags: ['statistic'],
    iptables: fwd([
      '-A FORWARD -p udp --dport 1 -m statistic --mode random --probability 1.0 -j DROP',
      '-A FORWARD -p udp --dport 2 -m statistic --mode random ! --probability 0.0 -j REJECT',
      '-A FORWARD -p udp --dport 3 -m statistic --mode nth --every 4 --packet 2 -j DROP',
    ]),
    steps: [
      cli(udp4(C, 38800, S, 1), 'probability 1: dropped'),
      cli(udp4(C, 38801, S, 2), 'not probability 0: rejected'),
      ...[0, 1, 2, 3, 4, 5, 6].map((k) => cli(udp4(C, 38810 + k, S, 3), `nth packet ${k}`)),
    ],
  },
  {
    name: 'r_match_quota_2',
    description: 'quota: two quotas counting the IP length of what they saw, a negated quota (! --quota 100) matching once the 100 bytes are used',
    tags: ['quota'],
    iptables: fwd(['-A FORWARD -p udp --dport 1 -m quota ! --quota 100 -j DROP', '-A FORWARD -p udp --dport 1 -j ACCEPT', '-A FORWARD -p udp --dport 2 -m quota --quota 50 -j ACCEPT', '-A FORWARD -p udp --dport 2 -j DROP']),
    steps: [
      ...[1, 2, 3].map((k) => cli(udp4(C, 38900 + k, S, 1, 'q'.repeat(32)), `60 bytes to port 1, #${k}`)),
      ...[1, 2].map((k) => cli(udp4(C, 38910 + k, S, 2, 'r'.repeat(12)), `40 bytes to port 2, #${k}`)),
    ],
  },
  {
    name: 'r_match_tcpmss_2',
    description: 'tcpmss: ! --mss 1000:1460 on SYNs, the MSS of a SYN/ACK, no match on a segment without the option',
    tags: ['tcpmss'],
    iptables: fwd(['-A FORWARD -p tcp -m tcpmss ! --mss 1000:1460 -j DROP', '-A FORWARD -p tcp --tcp-flags SYN,ACK SYN,ACK -m tcpmss --mss 1200 -j REJECT --reject-with tcp-reset']),
    steps: [
      cli(tcp4(C, 39000, S, 80, 'S', { options: { mss: 1460 } }), 'MSS 1460: passes'),
      cli(tcp4(C, 39001, S, 80, 'S', { options: { mss: 1461 } }), 'MSS 1461: dropped'),
      srv(tcp4(S, 80, C, 39000, 'SA', { seq: 5000, ack: 1001, options: { mss: 1200 } }), 'SYN/ACK with MSS 1200: reset'),
      cli(tcp4(C, 39002, S, 80, 'A', { ack: 1 }), 'ACK without options: tcpmss does not match, passes'),
    ],
  },
  {
    name: 'r_match_conntrack_2',
    description: 'conntrack match: --ctexpire ranges (a new UDP entry has 30 s), --ctorigsrcport / --ctreplsrcport, --ctrepldst through SNAT, --ctdir REPLY, negated --ctstate and --ctproto',
    tags: ['conntrack-match', 'snat'],
    iptables: ipt({
      nat: { rules: ['-A POSTROUTING -o r_wan -p udp -j SNAT --to-source 203.0.113.1'] },
      filter: {
        rules: [
          '-A FORWARD -p udp -m conntrack --ctexpire 0:20 -j DROP',
          '-A FORWARD -p udp -m conntrack --ctexpire 25:30 --ctorigsrcport 39100 -j ACCEPT',
          '-A FORWARD -m conntrack --ctrepldst 203.0.113.1 --ctdir REPLY -j ACCEPT',
          '-A FORWARD -m conntrack --ctreplsrcport 53 --ctdir ORIGINAL -j ACCEPT',
          '-A FORWARD -m conntrack ! --ctstate NEW ! --ctproto udp -j ACCEPT',
          '-A FORWARD -j REJECT',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 39100, W, 9, 'a'), 'ctexpire 30, origsrcport 39100: accepted'),
      wan(udp4(W, 9, R_WAN, 39100, 'b'), 'reply to the SNAT address: repldst 203.0.113.1'),
      cli(udp4(C, 39101, W, 53, 'c'), 'to port 53: replsrcport 53'),
      cli(udp4(C, 39102, W, 54, 'd'), 'other: rejected'),
      cli(tcp4(C, 39103, S, 80, 'S'), 'TCP SYN: NEW, rejected'),
      srv(tcp4(S, 80, C, 39103, 'SA', { seq: 1, ack: 1001 }), 'a SYN/ACK for an unknown connection (INVALID, not NEW, not udp): accepted'),
    ],
  },
  {
    name: 'r_match_state_1',
    description: 'the state match: NEW, ESTABLISHED, RELATED (an ICMP error), INVALID, UNTRACKED each counted by its own rule',
    tags: ['state-match'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -p udp --dport 514 -j CT --notrack'] },
      filter: {
        rules: ['-A FORWARD -m state --state INVALID -j ACCEPT', '-A FORWARD -m state --state NEW -j ACCEPT', '-A FORWARD -m state --state ESTABLISHED -j ACCEPT', '-A FORWARD -m state --state RELATED -j ACCEPT', '-A FORWARD -m state --state UNTRACKED -j ACCEPT'],
      },
    }),
    steps: (() => {
      const q = udp4(C, 39200, W, 53, 'q');
      return [
        cli(q, 'NEW'),
        wan(udp4(W, 53, C, 39200, 'a'), 'ESTABLISHED'),
        wan(icmpErr4('198.51.100.1', C, 3, 3, udp4(C, 39200, W, 53, 'q', { ttl: 63 })), 'RELATED'),
        wan(echo4(W, C, 5, 1, { reply: true }), 'INVALID'),
        cli(udp4(C, 39201, W, 514, 'log'), 'UNTRACKED'),
      ];
    })(),
  },
  {
    name: 'r_match_icmp_3',
    description: 'icmp type names: host-unreachable, network-redirect, router-solicitation, parameter-problem, timestamp-request, address-mask-request, source-quench; ! --icmp-type any never matches',
    tags: ['match-icmp'],
    iptables: fwd([
      '-A FORWARD -p icmp ! --icmp-type any -j DROP',
      '-A FORWARD -p icmp --icmp-type host-unreachable -j ACCEPT',
      '-A FORWARD -p icmp --icmp-type network-redirect -j DROP',
      '-A FORWARD -p icmp --icmp-type router-solicitation -j DROP',
      '-A FORWARD -p icmp --icmp-type parameter-problem -j ACCEPT',
      '-A FORWARD -p icmp --icmp-type timestamp-request -j ACCEPT',
      '-A FORWARD -p icmp --icmp-type address-mask-request -j DROP',
      '-A FORWARD -p icmp --icmp-type source-quench -j DROP',
    ]),
    steps: (() => {
      const q = udp4(C, 39300, W, 9, 'x', { ttl: 63 });
      return [
        cli(udp4(C, 39300, W, 9, 'x')),
        wan(icmpErr4('198.51.100.1', C, 3, 1, q), 'host unreachable'),
        wan(icmpErr4('198.51.100.1', C, 5, 0, q, { rest: 0xc6336401 }), 'network redirect'),
        cli(icmp4(C, W, 10, 0), 'router solicitation'),
        wan(icmpErr4('198.51.100.1', C, 12, 0, q, { rest: 0x08000000 }), 'parameter problem'),
        cli(icmp4(C, W, 13, 0, { id4: 2, seq: 1, payload: new Uint8Array(12) }), 'timestamp request'),
        cli(icmp4(C, W, 17, 0, { id4: 3, seq: 1, payload: new Uint8Array(4) }), 'address mask request'),
        wan(icmpErr4('198.51.100.1', C, 4, 0, q), 'source quench'),
      ];
    })(),
  },
  {
    name: 'r_match_ports_2',
    description: 'tcp and udp port negations: ! --sport, ! --dport ranges, --tcp-flags with negation, ! --tcp-option 8 (timestamps), ! --syn on an established flow',
    tags: ['match-ports', 'match-tcp'],
    iptables: fwd([
      '-A FORWARD -p tcp ! --dport 1:1023 --syn -j REJECT --reject-with tcp-reset',
      '-A FORWARD -p tcp --syn -m tcp ! --tcp-option 8 -j DROP',
      '-A FORWARD -p tcp -m tcp ! --tcp-flags SYN,ACK,RST ACK -j ACCEPT',
      '-A FORWARD -p tcp ! --syn -m tcp --sport 80 -j ACCEPT',
      '-A FORWARD -p udp ! --sport 53 ! --dport 53 -j DROP',
    ]),
    steps: [
      cli(tcp4(C, 39400, S, 8080, 'S'), 'SYN to 8080: reset'),
      cli(tcp4(C, 39401, S, 80, 'S'), 'SYN to 80 without timestamps: dropped'),
      cli(tcp4(C, 39402, S, 80, 'S', { options: { ts: [1, 0] } }), 'SYN to 80 with timestamps: accepted by ! --tcp-flags'),
      srv(tcp4(S, 80, C, 39402, 'A', { seq: 5001, ack: 1001 }), 'ACK from port 80: ! --syn --sport 80'),
      cli(udp4(C, 39403, S, 53), 'udp to 53: passes'),
      cli(udp4(C, 39404, S, 54), 'udp not 53 either way: dropped'),
    ],
  },
  {
    name: 'r_match_sctp_2',
    description: 'sctp match: negated --chunk-types (! any, ! all), chunk flags (DATA:B, DATA:e lower case = flag clear), ! --dport',
    tags: ['sctp', 'match-sctp'],
    iptables: fwd([
      '-A FORWARD -p sctp -m sctp --chunk-types all DATA:B -j DROP',
      '-A FORWARD -p sctp -m sctp --chunk-types any DATA:e -j REJECT',
      '-A FORWARD -p sctp -m sctp ! --chunk-types any ABORT,SHUTDOWN -m sctp ! --dport 5000 -j ACCEPT',
      '-A FORWARD -p sctp -j DROP',
    ]),
    steps: (() => {
      const data = (flags: number): SctpChunk => ({ type: 0, flags, data: new Uint8Array(16) });
      const p = (dport: number, chunks: SctpChunk[], k: number): Uint8Array => ipv4({ src: C, dst: S, id: k, payload: sctp({ sport: 39500, dport, vtag: 7, chunks }) });
      return [
        cli(p(6000, [data(2)], 1), 'DATA with B: dropped'),
        cli(p(6000, [data(3)], 2), 'DATA B+E: dropped'),
        cli(p(6000, [data(0)], 3), 'DATA with neither: E clear, rejected'),
        cli(p(6000, [data(1)], 4), 'DATA E only: accepted (no ABORT/SHUTDOWN, port 6000)'),
        cli(p(5000, [data(1)], 5), 'same to port 5000: dropped'),
        cli(p(6000, [{ type: 7, data: new Uint8Array(4) }], 6), 'SHUTDOWN: dropped'),
      ];
    })(),
  },
  {
    name: 'r_match_udp_1',
    description: 'udp ports: open ranges (--dport 1024:, --sport :1023), both ports, a UDP header with a bad length still matches on ports; -p udp against a UDP-in-ICMP error',
    tags: ['match-ports', 'udp'],
    iptables: fwd(['-A FORWARD -p udp --sport :1023 --dport 1024: -j DROP', '-A FORWARD -p udp --sport 5000:5001 --dport 5000:5001 -j REJECT', '-A FORWARD -p icmp -j ACCEPT', '-A FORWARD -p udp -j ACCEPT']),
    steps: [
      cli(udp4(C, 1000, S, 2000), '1000 -> 2000: dropped'),
      cli(udp4(C, 5001, S, 5000), '5001 -> 5000: rejected'),
      cli(ipv4({ src: C, dst: S, payload: udp({ sport: 999, dport: 4000, payload: 'x', length: 200 }) }), 'bad UDP length, ports 999 -> 4000: dropped by the port rule'),
      wan(icmpErr4('198.51.100.1', C, 3, 3, udp4(C, 1000, W, 2000, 'q')), 'ICMP error quoting UDP: -p icmp'),
    ],
  },
  {
    name: 'r_match_tcp_3',
    description: 'TCP header fields through the tcp match on odd segments: ports of a segment with a bad data offset, --tcp-flags ALL with URG, --tcp-option on a SYN with a SACK block option list; conntrack INVALID packets still traverse filter',
    tags: ['match-tcp'],
    iptables: fwd([
      '-A FORWARD -p tcp --tcp-flags ALL URG,ACK,PSH -j DROP',
      '-A FORWARD -p tcp --tcp-option 4 -j ACCEPT',
      '-A FORWARD -p tcp --dport 81 -j REJECT --reject-with tcp-reset',
    ]),
    steps: [
      cli(tcp4(C, 39600, S, 80, 'UAP', { ack: 1, urg: 1, payload: '!' }), 'URG+ACK+PSH: dropped'),
      cli(tcp4(C, 39601, S, 80, 'S', { options: { mss: 1460, sackPerm: true } }), 'SYN with SACK permitted (option 4): accepted'),
      cli(ipv4({ src: C, dst: S, payload: tcp({ sport: 39602, dport: 81, flags: 'A', ack: 1, dataOffset: 4 }) }), 'data offset 4 to port 81: the tcp match refuses a bad header (hotdrop)'),
      cli(tcp4(C, 39603, S, 81, 'S'), 'good SYN to 81: reset'),
    ],
  },
];
