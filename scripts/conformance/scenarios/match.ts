/**
 * iptables match extensions, one family per scenario: tcp flags and options, multiport, iprange,
 * mark / connmark, limit, hashlimit, length, ttl, addrtype, conntrack (beyond --ctstate), icmp
 * types, port ranges and negations, dscp / tos / ecn, string, pkttype, connlimit, recent,
 * statistic, quota, tcpmss, owner. Each rule's counter shows in `rules`, so a wrong match is
 * seen packet by packet.
 */

import { cli, Conv, echo4, icmp4, ipt, local, pause, srv, statefulForward, tcp4, udp4, wan, R_CLI, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const C3 = '10.0.1.130';
const S = '10.0.2.100';
const W = '198.51.100.40';

/** A filter table that accepts what the rules do not decide and LOGs nothing: ACCEPT policies. */
const accept = (rules: string[], extra: Record<string, { rules: string[]; chains?: string[] }> = {}): string => ipt({ ...extra, filter: { rules } });

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_match_tcpflags_1',
    description: 'tcp flag matches: --syn, ! --syn, --tcp-flags masks (XMAS, NULL, SYN+FIN, SYN+RST), --tcp-option',
    tags: ['match-tcp'],
    iptables: accept([
      '-A FORWARD -p tcp --tcp-flags ALL FIN,PSH,URG -j DROP',
      '-A FORWARD -p tcp --tcp-flags ALL NONE -j DROP',
      '-A FORWARD -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP',
      '-A FORWARD -p tcp --tcp-flags SYN,RST SYN,RST -j DROP',
      '-A FORWARD -p tcp --syn -m tcp --tcp-option 2 -j ACCEPT',
      '-A FORWARD -p tcp --syn -j DROP',
      '-A FORWARD -p tcp ! --syn -m conntrack --ctstate NEW -j DROP',
      '-A FORWARD -p tcp -j ACCEPT',
    ]),
    steps: [
      cli(tcp4(C, 30000, S, 80, 'FPU', { urg: 1 }), 'XMAS scan'),
      cli(tcp4(C, 30001, S, 80, '', {}), 'NULL scan'),
      cli(tcp4(C, 30002, S, 80, 'SF'), 'SYN+FIN'),
      cli(tcp4(C, 30003, S, 80, 'SR'), 'SYN+RST'),
      cli(tcp4(C, 30004, S, 80, 'S', { options: { mss: 1400 } }), 'SYN with MSS option: accepted'),
      cli(tcp4(C, 30005, S, 80, 'S'), 'SYN without options: dropped'),
      cli(tcp4(C, 30006, S, 80, 'A', { ack: 1 }), 'ACK for no connection: NEW without SYN, dropped'),
      srv(tcp4(S, 80, C, 30004, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK of the accepted SYN'),
      cli(tcp4(C, 30004, S, 80, 'A', { seq: 1001, ack: 5001 }), 'ACK'),
    ],
  },
  {
    name: 'r_match_multiport_1',
    description: 'multiport: --dports list with a range, --sports, --ports (either), negated --dports',
    tags: ['multiport'],
    iptables: accept([
      '-A FORWARD -p tcp -m multiport --dports 22,80,443:445 -j ACCEPT',
      '-A FORWARD -p udp -m multiport --sports 53,123 -j ACCEPT',
      '-A FORWARD -p tcp -m multiport --ports 8080,8443 -j ACCEPT',
      '-A FORWARD -p udp -m multiport ! --dports 1000:2000 -j DROP',
      '-A FORWARD -j DROP',
    ]),
    steps: [
      cli(tcp4(C, 31000, S, 444, 'S'), 'dport 444 in 443:445'),
      cli(tcp4(C, 31001, S, 446, 'S'), 'dport 446: dropped'),
      cli(udp4(C, 123, S, 5000), 'sport 123'),
      cli(tcp4(C, 8443, S, 9999, 'S'), 'sport 8443 matches --ports'),
      cli(udp4(C, 31002, S, 1500), 'udp 1500: in 1000:2000, dropped by the last rule'),
      cli(udp4(C, 31003, S, 2001), 'udp 2001: dropped by the negated rule'),
    ],
  },
  {
    name: 'r_match_iprange_1',
    description: 'iprange: --src-range, --dst-range, negated; with -s/-d prefixes and negations',
    tags: ['iprange'],
    iptables: accept([
      '-A FORWARD -m iprange --src-range 10.0.1.100-10.0.1.120 -m iprange --dst-range 10.0.2.100-10.0.2.110 -j ACCEPT',
      '-A FORWARD -m iprange ! --src-range 10.0.1.0-10.0.1.127 -j REJECT',
      '-A FORWARD -s 10.0.1.96/27 ! -d 10.0.2.0/24 -j ACCEPT',
      '-A FORWARD -j DROP',
    ]),
    steps: [
      cli(udp4(C, 32000, S, 9), 'both in range'),
      cli(udp4('10.0.1.121', 32001, S, 9), 'source just past the range'),
      cli(udp4('10.0.1.200', 32002, S, 9), 'source outside 0-127: rejected'),
      cli(udp4(C, 32003, '10.0.2.111', 9), 'destination just past the range'),
      cli(udp4('10.0.1.121', 32004, W, 9), 'off-DMZ destination: accepted by the prefix rule'),
    ],
  },
  {
    name: 'r_match_mark_1',
    description: 'MARK / mark match / CONNMARK: mark set in mangle PREROUTING by port, matched in FORWARD, saved to the connection, restored for replies; mark= in events and tables',
    tags: ['mark', 'connmark'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A PREROUTING -j CONNMARK --restore-mark',
          '-A PREROUTING -m mark --mark 0 -p tcp --dport 22 -j MARK --set-mark 0x22',
          '-A PREROUTING -m mark --mark 0 -p tcp --dport 80 -j MARK --set-mark 0x80',
          '-A PREROUTING -m mark ! --mark 0 -j CONNMARK --save-mark',
        ],
      },
      filter: {
        rules: ['-A FORWARD -m mark --mark 0x22/0xff -j ACCEPT', '-A FORWARD -m connmark --mark 0x80 -j ACCEPT', '-A FORWARD -j DROP'],
      },
    }),
    steps: (() => {
      const a = new Conv(C, 33000, S, 22);
      const b = new Conv(C, 33001, S, 80);
      return [
        cli(a.c('S'), 'ssh SYN: mark 0x22'),
        srv(a.s('SA'), 'SYN/ACK: mark restored from the connection'),
        cli(a.c('A'), 'ACK'),
        cli(b.c('S'), 'http SYN: mark 0x80'),
        srv(b.s('SA'), 'SYN/ACK: connmark matches'),
        cli(tcp4(C, 33002, S, 25, 'S'), 'smtp: no mark, dropped'),
      ];
    })(),
  },
  {
    name: 'r_match_connmark_1',
    description: 'CONNMARK --set-xmark / --set-mark with mask, --and-mark, --or-mark, connmark match with mask; mark changes as [UPDATE] events',
    tags: ['connmark'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A FORWARD -m conntrack --ctstate NEW -j CONNMARK --set-mark 0x1/0xf',
          '-A FORWARD -p udp --dport 53 -j CONNMARK --or-mark 0x100',
          '-A FORWARD -p udp --sport 53 -j CONNMARK --set-xmark 0x20/0xf0',
          '-A FORWARD -m connmark --mark 0x121/0xfff -j CONNMARK --and-mark 0xfff0',
        ],
      },
      filter: { rules: ['-A FORWARD -m connmark --mark 0x120/0xff0 -j ACCEPT', '-A FORWARD -j ACCEPT'] },
    }),
    steps: [
      cli(udp4(C, 34000, W, 53, 'query'), 'query: mark 0x1 then |0x100'),
      wan(udp4(W, 53, C, 34000, 'answer'), 'answer: xmark 0x20/0xf0, then and 0xfff0'),
      cli(udp4(C, 34000, W, 53, 'query 2'), 'second query'),
      cli(udp4(C, 34001, W, 123, 'ntp'), 'other flow: mark 0x1 only'),
    ],
  },
  {
    name: 'r_match_limit_1',
    description: 'limit: --limit 2/second --limit-burst 3 on echo requests: 3 pass, the rest drop, one token back after a pause',
    tags: ['limit'],
    iptables: accept(['-A FORWARD -p icmp --icmp-type echo-request -m limit --limit 2/second --limit-burst 3 -j ACCEPT', '-A FORWARD -p icmp --icmp-type echo-request -j DROP']),
    steps: [
      ...Array.from({ length: 5 }, (_, k) => cli(echo4(C, W, 1, k + 1), `echo ${k + 1}`)),
      pause(0.6),
      cli(echo4(C, W, 1, 6), 'after 0.6 s: one token'),
      cli(echo4(C, W, 1, 7), 'no token left'),
    ],
  },
  {
    name: 'r_match_hashlimit_1',
    description: 'hashlimit per source IP: --hashlimit-upto 1/second burst 2 for each LAN host separately',
    tags: ['hashlimit'],
    iptables: accept([
      '-A FORWARD -p udp -m hashlimit --hashlimit-upto 1/second --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name perhost -j ACCEPT',
      '-A FORWARD -p udp -j DROP',
    ]),
    steps: [
      cli(udp4(C, 35000, W, 9, 'a1')),
      cli(udp4(C, 35001, W, 9, 'a2')),
      cli(udp4(C, 35002, W, 9, 'a3'), 'third from the first host: over the limit'),
      cli(udp4(C2, 35003, W, 9, 'b1'), 'another host has its own bucket'),
      cli(udp4(C2, 35004, W, 9, 'b2')),
      cli(udp4(C2, 35005, W, 9, 'b3'), 'over'),
    ],
  },
  {
    name: 'r_match_length_1',
    description: 'length: small packets accepted, mid-size logged, big ones dropped (IP total length)',
    tags: ['length'],
    iptables: accept(['-A FORWARD -m length --length 0:100 -j ACCEPT', '-A FORWARD -m length --length 101:500 -j LOG --log-prefix "mid "', '-A FORWARD -m length --length 1000:65535 -j DROP']),
    steps: [
      cli(udp4(C, 36000, S, 9, 'x'.repeat(72)), '100 bytes: accepted'),
      cli(udp4(C, 36001, S, 9, 'x'.repeat(73)), '101 bytes: logged, policy accept'),
      cli(udp4(C, 36002, S, 9, 'x'.repeat(600)), '628 bytes: policy'),
      cli(udp4(C, 36003, S, 9, 'x'.repeat(972)), '1000 bytes: dropped'),
    ],
  },
  {
    name: 'r_match_ttl_1',
    description: 'ttl match (seen in FORWARD after the decrement): --ttl-lt, --ttl-eq, --ttl-gt',
    tags: ['ttl'],
    iptables: accept(['-A FORWARD -m ttl --ttl-lt 5 -j DROP', '-A FORWARD -m ttl --ttl-eq 63 -j ACCEPT', '-A FORWARD -m ttl --ttl-gt 100 -j REJECT']),
    steps: [
      cli(udp4(C, 37000, S, 9, 'ttl64', { ttl: 64 }), 'ttl 64 -> 63 in FORWARD'),
      cli(udp4(C, 37001, S, 9, 'ttl5', { ttl: 5 }), 'ttl 5 -> 4: dropped'),
      cli(udp4(C, 37002, S, 9, 'ttl6', { ttl: 6 }), 'ttl 6 -> 5: policy'),
      cli(udp4(C, 37003, S, 9, 'ttl255', { ttl: 255 }), 'ttl 255: rejected'),
    ],
  },
  {
    name: 'r_match_addrtype_1',
    description: 'addrtype: --dst-type LOCAL in PREROUTING (mangle), BROADCAST / MULTICAST in INPUT, --src-type UNICAST, --limit-iface-in',
    tags: ['addrtype'],
    iptables: ipt({
      mangle: { rules: ['-A PREROUTING -m addrtype --dst-type LOCAL -j MARK --set-mark 1', '-A PREROUTING -m addrtype --dst-type LOCAL --limit-iface-in -j MARK --set-mark 2'] },
      filter: {
        rules: [
          '-A INPUT -m addrtype --dst-type BROADCAST -j DROP',
          '-A INPUT -m addrtype --dst-type MULTICAST -j DROP',
          '-A INPUT -m addrtype --src-type UNICAST -m mark --mark 1 -j ACCEPT',
          '-A INPUT -m mark --mark 2 -j ACCEPT',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 38000, R_CLI, 9, 'own addr'), 'to the r_cli address: LOCAL and on the input interface'),
      cli(udp4(C, 38001, R_WAN, 9, 'other addr'), 'to the WAN address from the LAN: LOCAL, not on the input interface'),
      cli(udp4(C, 38002, '10.0.1.255', 9, 'bcast'), 'subnet broadcast'),
      cli(udp4(C, 38003, '224.0.0.1', 9, 'mcast'), 'multicast'),
      cli(udp4(C, 38004, S, 9, 'fwd'), 'forwarded: not LOCAL'),
    ],
  },
  {
    name: 'r_match_conntrack_1',
    description: 'conntrack match beyond --ctstate: --ctstate DNAT/SNAT, --ctorigdst, --ctreplsrc, --ctdir, --ctstatus ASSURED/SEEN_REPLY, --ctproto, --ctorigdstport',
    tags: ['conntrack-match', 'dnat', 'snat'],
    iptables: ipt({
      nat: { rules: ['-A PREROUTING -i r_wan -p tcp --dport 2222 -j DNAT --to-destination 10.0.2.100:22', '-A POSTROUTING -o r_wan -j MASQUERADE'] },
      filter: {
        rules: [
          '-A FORWARD -m conntrack --ctstate DNAT --ctorigdst 203.0.113.1 --ctorigdstport 2222 --ctdir ORIGINAL -j ACCEPT',
          '-A FORWARD -m conntrack --ctstate DNAT --ctreplsrc 10.0.2.100 --ctdir REPLY -j ACCEPT',
          '-A FORWARD -m conntrack --ctstatus ASSURED --ctproto tcp -j ACCEPT',
          '-A FORWARD -m conntrack --ctstate SNAT --ctstatus SEEN_REPLY -j ACCEPT',
          '-A FORWARD -i r_cli -m conntrack --ctstate NEW -j ACCEPT',
          '-A FORWARD -j DROP',
        ],
      },
    }),
    steps: (() => {
      const d = new Conv(W, 40000, S, 22, { sPub: [R_WAN, 2222] });
      return [
        wan(d.c('S'), 'SYN to 203.0.113.1:2222: DNAT to 10.0.2.100:22'),
        srv(d.s('SA'), 'SYN/ACK (reply direction)'),
        wan(d.c('A'), 'ACK: ASSURED'),
        wan(d.c('PA', { payload: 'SSH-2.0-x\r\n' }), 'data'),
        cli(udp4(C, 40001, W, 53, 'q'), 'LAN query: NEW, masqueraded'),
        wan(udp4(W, 53, R_WAN, 40001, 'a'), 'answer: SNAT + SEEN_REPLY'),
      ];
    })(),
  },
  {
    name: 'r_match_icmp_1',
    description: 'icmp type matches: echo-request, echo-reply, time-exceeded, destination-unreachable subtypes, by number and by name, negated',
    tags: ['match-icmp'],
    iptables: accept([
      '-A FORWARD -p icmp --icmp-type echo-request -j ACCEPT',
      '-A FORWARD -p icmp --icmp-type 3/4 -j ACCEPT',
      '-A FORWARD -p icmp --icmp-type port-unreachable -j DROP',
      '-A FORWARD -p icmp ! --icmp-type time-exceeded -j REJECT',
    ]),
    steps: [
      cli(echo4(C, W, 2, 1), 'echo request'),
      wan(echo4(W, C, 2, 1, { reply: true }), 'echo reply: rejected'),
      wan(icmp4(W, C, 3, 4, { rest: 1400, payload: udp4(C, 41000, W, 9, 'x').subarray(0, 28) }), 'fragmentation needed'),
      wan(icmp4(W, C, 3, 3, { payload: udp4(C, 41001, W, 9, 'x').subarray(0, 28) }), 'port unreachable: dropped'),
      wan(icmp4(W, C, 11, 0, { payload: udp4(C, 41002, W, 9, 'x').subarray(0, 28) }), 'time exceeded: policy'),
    ],
  },
  {
    name: 'r_match_ports_1',
    description: 'tcp/udp port matches: ranges, negations, open-ended ranges; interface wildcards (-i r_+), negated interfaces and prefixes',
    tags: ['match-ports'],
    iptables: accept([
      '-A FORWARD -i r_+ -o r_srv -p tcp --dport 1024: -j ACCEPT',
      '-A FORWARD -p tcp --sport :1023 ! --dport 22 -j REJECT --reject-with tcp-reset',
      '-A FORWARD ! -i r_cli -p udp ! --sport 53 -j DROP',
      '-A FORWARD -p udp --dport 5000:5010 -j ACCEPT',
      '-A FORWARD ! -s 10.0.1.0/24 -j DROP',
    ]),
    steps: [
      cli(tcp4(C, 42000, S, 8080, 'S'), 'high port to the DMZ'),
      cli(tcp4(C, 999, S, 80, 'S'), 'privileged source port: reset'),
      cli(tcp4(C, 999, S, 22, 'S'), 'privileged source to ssh: not reset, policy'),
      wan(udp4(W, 1234, S, 5005), 'udp from the WAN not from port 53: dropped'),
      wan(udp4(W, 53, S, 5005), 'udp from port 53 on the WAN, then not from the LAN: dropped'),
      cli(udp4(C, 42001, S, 5010), 'udp 5010 from the LAN: accepted'),
    ],
  },
  {
    name: 'r_match_dscp_1',
    description: 'dscp / tos / ecn matches on forwarded packets',
    tags: ['dscp'],
    iptables: accept([
      '-A FORWARD -m dscp --dscp 0x2e -j ACCEPT',
      '-A FORWARD -m dscp --dscp-class AF21 -j ACCEPT',
      '-A FORWARD -m tos --tos 0x10/0x3f -j ACCEPT',
      '-A FORWARD -p tcp -m ecn --ecn-tcp-cwr -j DROP',
      '-A FORWARD -m ecn --ecn-ip-ect 1 -j DROP',
    ]),
    steps: [
      cli(udp4(C, 43000, S, 9, 'ef', { tos: 0xb8 }), 'DSCP EF (46)'),
      cli(udp4(C, 43001, S, 9, 'af21', { tos: 0x48 }), 'AF21'),
      cli(udp4(C, 43002, S, 9, 'lowdelay', { tos: 0x10 }), 'TOS low delay'),
      cli(tcp4(C, 43003, S, 80, 'SEC'), 'ECN setup SYN (ECE+CWR): dropped'),
      cli(udp4(C, 43004, S, 9, 'ect1', { tos: 0x01 }), 'ECT(1): dropped'),
      cli(udp4(C, 43005, S, 9, 'ect0', { tos: 0x02 }), 'ECT(0): policy'),
    ],
  },
  {
    name: 'r_match_string_1',
    description: 'string match (Boyer-Moore and KMP) on payloads, with --from/--to offsets and --icase',
    tags: ['string'],
    iptables: accept([
      '-A FORWARD -p tcp --dport 80 -m string --algo bm --string "evil" -j DROP',
      '-A FORWARD -p tcp --dport 80 -m string --algo kmp --string "host: forbidden" --icase -j REJECT --reject-with tcp-reset',
      '-A FORWARD -p udp -m string --algo bm --string "X" --from 28 --to 29 -j DROP',
    ]),
    steps: (() => {
      const a = new Conv(C, 44000, S, 80);
      return [
        cli(a.c('S')),
        srv(a.s('SA')),
        cli(a.c('A')),
        cli(a.c('PA', { payload: 'GET /index HTTP/1.1\r\nHost: x\r\n\r\n' }), 'clean request'),
        ...((s0: number) => [
          cli(a.c('PA', { payload: 'GET /evil HTTP/1.1\r\n\r\n' }), 'contains evil: dropped'),
          cli(a.c('PA', { payload: 'GET / HTTP/1.1\r\nHOST: FORBIDDEN\r\n\r\n', seq: s0 }), 'same sequence number, forbidden host in capitals: reset'),
        ])(a.cnext),
        cli(udp4(C, 44001, S, 9, 'X at offset 28')),
        cli(udp4(C, 44002, S, 9, 'at 29: X')),
      ];
    })(),
  },
  {
    name: 'r_match_pkttype_1',
    description: 'pkttype: unicast / broadcast / multicast frames to the router (the link-layer destination is the router MAC, so all are "host")',
    tags: ['pkttype'],
    iptables: accept(['-A INPUT -m pkttype --pkt-type broadcast -j DROP', '-A INPUT -m pkttype --pkt-type multicast -j DROP', '-A INPUT -m pkttype --pkt-type unicast -j ACCEPT']),
    steps: [
      cli(udp4(C, 45000, R_CLI, 9, 'u'), 'unicast'),
      cli(udp4(C, 45001, '10.0.1.255', 9, 'b'), 'IP broadcast in a unicast frame'),
      cli(udp4(C, 45002, '224.0.0.1', 9, 'm'), 'IP multicast in a unicast frame'),
    ],
  },
  {
    name: 'r_match_connlimit_1',
    description: 'connlimit: at most 2 concurrent TCP connections per source host (--connlimit-above 2 REJECT)',
    tags: ['connlimit'],
    iptables: ipt({
      filter: statefulForward(['-A FORWARD -p tcp --syn -m connlimit --connlimit-above 2 --connlimit-mask 32 -j REJECT --reject-with tcp-reset', '-A FORWARD -i r_cli -j ACCEPT']),
    }),
    steps: [
      cli(tcp4(C, 46000, S, 80, 'S'), 'connection 1'),
      cli(tcp4(C, 46001, S, 80, 'S'), 'connection 2'),
      cli(tcp4(C, 46002, S, 80, 'S'), 'connection 3: reset'),
      cli(tcp4(C2, 46003, S, 80, 'S'), 'another host: connection 1'),
      cli(tcp4(C, 46001, S, 80, 'S'), 'retransmitted SYN of connection 2: an existing connection, count stays 2'),
    ],
  },
  {
    name: 'r_match_recent_1',
    description: 'recent: --set on SYNs to port 22, --update --seconds 60 --hitcount 3 drops the third attempt',
    tags: ['recent'],
    iptables: accept([
      '-A FORWARD -p tcp --dport 22 --syn -m recent --name ssh --update --seconds 60 --hitcount 3 -j DROP',
      '-A FORWARD -p tcp --dport 22 --syn -m recent --name ssh --set -j ACCEPT',
      '-A FORWARD -p tcp --dport 23 --syn -m recent --name ssh --rcheck -j REJECT',
    ]),
    steps: [
      cli(tcp4(C, 47000, S, 22, 'S'), 'attempt 1'),
      cli(tcp4(C, 47001, S, 22, 'S'), 'attempt 2'),
      cli(tcp4(C, 47002, S, 22, 'S'), 'attempt 3: dropped'),
      cli(tcp4(C2, 47003, S, 22, 'S'), 'another host'),
      cli(tcp4(C, 47004, S, 23, 'S'), 'telnet from a listed host: rejected'),
      cli(tcp4(C3, 47005, S, 23, 'S'), 'telnet from an unlisted host'),
    ],
  },
  {
    name: 'r_match_statistic_1',
    description: 'statistic --mode nth --every 3 (packets 0, 3, 6 of the rule match) and quota --quota 200 bytes',
    tags: ['statistic', 'quota'],
    iptables: accept(['-A FORWARD -p udp --dport 9 -m statistic --mode nth --every 3 --packet 0 -j DROP', '-A FORWARD -p udp --dport 10 -m quota --quota 200 -j ACCEPT', '-A FORWARD -p udp --dport 10 -j DROP']),
    steps: [
      ...Array.from({ length: 7 }, (_, k) => cli(udp4(C, 48000 + k, S, 9, `nth${k}`), `nth packet ${k}`)),
      ...Array.from({ length: 4 }, (_, k) => cli(udp4(C, 48100 + k, S, 10, 'q'.repeat(52)), `quota packet ${k} (80 bytes)`)),
    ],
  },
  {
    name: 'r_match_tcpmss_1',
    description: 'tcpmss match on SYNs: --mss ranges; no MSS option does not match',
    tags: ['match-tcp', 'tcpmss'],
    iptables: accept(['-A FORWARD -p tcp --syn -m tcpmss --mss 1:535 -j DROP', '-A FORWARD -p tcp --syn -m tcpmss --mss 1460 -j ACCEPT', '-A FORWARD -p tcp --syn -j REJECT --reject-with tcp-reset']),
    steps: [
      cli(tcp4(C, 49000, S, 80, 'S', { options: { mss: 536 } }), 'MSS 536: rejected by the last rule'),
      cli(tcp4(C, 49001, S, 80, 'S', { options: { mss: 500 } }), 'MSS 500: dropped'),
      cli(tcp4(C, 49002, S, 80, 'S', { options: { mss: 1460, sackPerm: true } }), 'MSS 1460: accepted'),
      cli(tcp4(C, 49003, S, 80, 'S'), 'no MSS option: rejected'),
    ],
  },
  {
    name: 'r_match_owner_1',
    description: 'owner match in OUTPUT for packets of a local process (root raw socket): --uid-owner 0, negated gid',
    tags: ['owner', 'local-out'],
    iptables: accept(['-A OUTPUT -p udp --dport 514 -m owner --uid-owner 0 -j DROP', '-A OUTPUT -p udp -m owner ! --gid-owner 0 -j DROP', '-A OUTPUT -p udp -m owner --uid-owner 0 -j ACCEPT']),
    steps: [
      local(udp4('10.0.2.1', 50000, S, 514, 'syslog'), 'root to syslog: dropped'),
      local(udp4('10.0.2.1', 50001, S, 53, 'dns'), 'root to dns: accepted'),
      cli(udp4(C, 50002, R_CLI, 9, 'in'), 'an incoming packet answered by the kernel (no owner): port unreachable'),
    ],
  },
];
