/**
 * The conntrack core beyond the trackers: zones (CT --zone on both paths, overlapping tuples in
 * two zones, local traffic, nft ct zone set), marks (CONNMARK with --nfmask / --ctmask, every
 * MARK operation saved to the connection, connmark on local traffic), labels (xt connlabel and
 * nft ct label), accounting (packets= / bytes= of both directions, counted even when a later
 * rule drops the packet, fragments counted once reassembled), timestamps, CT --ctevents masks,
 * one-way NOTRACK (the reply starts a connection of its own), confirmation (a packet dropped
 * before confirmation leaves no entry and no event), ICMP query tracking and malformed UDP.
 */

import { fragmentIpv4, ipv4, udp } from '../../../src/packet/build.js';
import { cli, Conv, echo4, icmp4, ipt, local, srv, tcp4, udp4, wan, R_SRV } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.90';

/** A filter table counting forwarded packets by state (everything accepted). */
const COUNT_STATES = [
  '-A FORWARD -m conntrack --ctstate INVALID -j ACCEPT',
  '-A FORWARD -m conntrack --ctstate NEW -j ACCEPT',
  '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT',
  '-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT',
  '-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT',
];

export const scenarios: ScenarioSpec[] = [
  // ---------------------------------------------------------------- zones
  {
    name: 'r_ct_zone_1',
    description: 'CT --zone in raw PREROUTING: LAN and DMZ in zone 1, the WAN in zone 2; the same UDP and TCP tuples arriving from the LAN and (spoofed) from the WAN are two connections (zone=1 / zone=2 in events and table); replies from the DMZ find the zone-1 entry',
    tags: ['zones', 'ct-zone'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -i r_cli -j CT --zone 1', '-A PREROUTING -i r_srv -j CT --zone 1', '-A PREROUTING -i r_wan -j CT --zone 2'] },
      filter: { rules: COUNT_STATES },
    }),
    steps: (() => {
      const t = new Conv(C, 34101, S, 443);
      return [
        cli(udp4(C, 34100, S, 53, 'zone one'), 'UDP from the LAN: NEW in zone 1'),
        srv(udp4(S, 53, C, 34100, 'answer'), 'reply from the DMZ: zone 1, ESTABLISHED'),
        wan(udp4(C, 34100, S, 53, 'zone two'), 'the same tuple from the WAN: NEW in zone 2'),
        wan(udp4(C, 34100, S, 53, 'zone two again'), 'again: zone 2, no reply seen yet'),
        cli(t.c('S'), 'TCP SYN from the LAN: zone 1'),
        srv(t.s('SA'), 'SYN/ACK: zone 1'),
        wan(tcp4(C, 34101, S, 443, 'S'), 'the same SYN from the WAN: a NEW zone-2 connection'),
        cli(t.c('A'), 'ACK in zone 1: ESTABLISHED'),
      ];
    })(),
  },
  {
    name: 'r_ct_zone_2',
    description: 'zones on one path only: CT --zone 3 in raw OUTPUT for the router\'s own UDP and in raw PREROUTING for the LAN; the DMZ reply to the local packet is looked up in zone 0 and starts a NEW connection there (delivered, port unreachable from the stack); an unzoned DMZ packet to the LAN and the LAN reply in zone 3 are two connections',
    tags: ['zones', 'ct-zone', 'local-out'],
    iptables: ipt({
      raw: { rules: ['-A OUTPUT -p udp -j CT --zone 3', '-A PREROUTING -i r_cli -j CT --zone 3'] },
      filter: { rules: [...COUNT_STATES, '-A INPUT -m conntrack --ctstate NEW -j ACCEPT', '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT'] },
    }),
    steps: [
      local(udp4(R_SRV, 34200, S, 161, 'get'), 'router UDP to the DMZ: NEW in zone 3'),
      srv(udp4(S, 161, R_SRV, 34200, 'response'), 'the reply arrives in zone 0: NEW there'),
      srv(udp4(S, 34201, C, 5000, 'dmz to lan'), 'DMZ to LAN: NEW in zone 0'),
      cli(udp4(C, 5000, S, 34201, 'lan reply'), 'the LAN reply is in zone 3: NEW again'),
    ],
  },
  {
    name: 'r_ct_zone_3',
    description: 'a zone with DNAT: raw puts the WAN and the DMZ in zone 7; the DNAT of tcp/8080 to 10.0.2.100:80 lives in zone 7 and the server\'s replies are translated back; the identical SYN arriving on r_cli (zone 0) does not find the zone-7 entry: a separate connection, DNATed by its own rule evaluation',
    tags: ['zones', 'ct-zone', 'dnat', 'nat'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -i r_wan -j CT --zone 7', '-A PREROUTING -i r_srv -j CT --zone 7'] },
      nat: { rules: ['-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.2.100:80'] },
      filter: { rules: COUNT_STATES },
    }),
    steps: (() => {
      const d = new Conv(W, 34300, S, 80, { sPub: ['203.0.113.1', 8080] });
      return [
        wan(d.c('S'), 'SYN to 203.0.113.1:8080 in zone 7: DNAT'),
        srv(d.s('SA'), 'SYN/ACK in zone 7: translated back'),
        wan(d.c('A'), 'ACK'),
        cli(tcp4(W, 34300, '203.0.113.1', 8080, 'S'), 'the same SYN arriving on r_cli (zone 0): a separate connection, DNATed too'),
      ];
    })(),
  },
  {
    name: 'r_ct_zone_4',
    description: 'nft ct zone set by input interface in a raw-priority prerouting chain (LAN 4, DMZ 4, WAN 5), ct zone matched in forward; overlapping UDP tuples in zones 4 and 5',
    tags: ['zones', 'ct-zone', 'nft'],
    nft: `table ip z {
  chain raw {
    type filter hook prerouting priority raw; policy accept;
    iifname "r_cli" counter ct zone set 4
    iifname "r_srv" counter ct zone set 4
    iifname "r_wan" counter ct zone set 5
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ct zone 4 ct state new counter accept
    ct zone 4 ct state established counter accept
    ct zone 5 counter drop
  }
}`,
    steps: [
      cli(udp4(C, 34400, S, 7, 'echo'), 'zone 4: NEW, accepted'),
      srv(udp4(S, 7, C, 34400, 'echo'), 'zone 4 reply: ESTABLISHED'),
      wan(udp4(C, 34400, S, 7, 'echo'), 'same tuple in zone 5: NEW, dropped (never confirmed)'),
      cli(udp4(C, 34400, S, 7, 'echo 2'), 'zone 4 again: ESTABLISHED'),
    ],
  },

  // ---------------------------------------------------------------- marks
  {
    name: 'r_ct_mark_1',
    description: 'CONNMARK --save-mark / --restore-mark with --nfmask 0xff --ctmask 0xff (only the low byte moves between packet and connection) and --set-xmark 0x1000/0x1000 on new connections: mark=0x10xx in events and table; a reply restores only the low byte',
    tags: ['connmark', 'mark'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff',
          '-A PREROUTING -m mark --mark 0x0/0xff -p tcp --dport 22 -j MARK --set-xmark 0xab22/0xffff',
          '-A PREROUTING -m mark --mark 0x0/0xff -p udp -j MARK --set-xmark 0xcd53/0xffff',
          '-A PREROUTING -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x1000/0x1000',
          '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff',
        ],
      },
      filter: { rules: ['-A FORWARD -m mark --mark 0x22/0xff -j ACCEPT', '-A FORWARD -m mark --mark 0x53/0xff -j ACCEPT', '-A FORWARD -m connmark --mark 0x1000/0x1000 -j ACCEPT', '-A FORWARD -j DROP'] },
    }),
    steps: (() => {
      const a = new Conv(C, 34500, S, 22);
      return [
        cli(a.c('S'), 'ssh SYN: packet mark 0xab22, connection 0x1022'),
        srv(a.s('SA'), 'SYN/ACK: restore gives the packet 0x22'),
        cli(a.c('A'), 'ACK'),
        cli(udp4(C, 34501, W, 53, 'q'), 'udp: 0xcd53 on the packet, 0x1053 on the connection'),
        wan(udp4(W, 53, C, 34501, 'a'), 'answer: restored 0x53'),
        cli(tcp4(C, 34502, S, 80, 'S'), 'http: no packet mark, connection 0x1000: accepted by connmark'),
      ];
    })(),
  },
  {
    name: 'r_ct_mark_2',
    description: 'MARK operations chained in mangle FORWARD (--set-mark, --or-mark, --and-mark, --xor-mark, --set-xmark value/mask), the result matched with masks and saved to the connection (CONNMARK --save-mark --mask 0xffff): the final table shows each flow\'s mark',
    tags: ['mark', 'connmark', 'MARK'],
    iptables: ipt({
      mangle: {
        rules: [
          '-A FORWARD -p udp -j MARK --set-mark 0x100',
          '-A FORWARD -p udp --dport 2 -j MARK --or-mark 0x0f',
          '-A FORWARD -p udp --dport 3 -j MARK --and-mark 0xf00',
          '-A FORWARD -p udp --dport 4 -j MARK --xor-mark 0x101',
          '-A FORWARD -p udp --dport 5 -j MARK --set-xmark 0x3/0xff',
          '-A FORWARD -j CONNMARK --save-mark --mask 0xffff',
        ],
      },
      filter: { rules: ['-A FORWARD -m mark --mark 0x10f -j ACCEPT', '-A FORWARD -m mark --mark 0x1/0xff -j ACCEPT', '-A FORWARD -m mark ! --mark 0x100 -j ACCEPT', '-A FORWARD -j ACCEPT'] },
    }),
    steps: [1, 2, 3, 4, 5].map((p) => cli(udp4(C, 34600 + p, S, p, `m${p}`), `dport ${p}`)),
  },
  {
    name: 'r_ct_mark_3',
    description: 'connmark on the router\'s own traffic: CONNMARK --set-mark 0x77 in mangle OUTPUT for local UDP, the reply matched by -m connmark in INPUT (and restored to the packet mark in PREROUTING); an unmarked flow is dropped by INPUT',
    tags: ['connmark', 'local-out', 'local-in'],
    iptables: ipt({
      mangle: { rules: ['-A OUTPUT -p udp --dport 53 -j CONNMARK --set-mark 0x77', '-A PREROUTING -j CONNMARK --restore-mark'] },
      filter: { policies: { INPUT: 'DROP' }, rules: ['-A INPUT -m connmark --mark 0x77 -m mark --mark 0x77 -j ACCEPT', '-A INPUT -p icmp -j ACCEPT'] },
    }),
    steps: [
      local(udp4('203.0.113.1', 34700, W, 53, 'query'), 'router DNS query: connection mark 0x77'),
      wan(udp4(W, 53, '203.0.113.1', 34700, 'answer'), 'answer: connmark 0x77 and restored mark 0x77: accepted (port unreachable from the stack)'),
      local(udp4('203.0.113.1', 34701, W, 123, 'ntp'), 'router NTP query: no mark'),
      wan(udp4(W, 123, '203.0.113.1', 34701, 'ntp answer'), 'its answer: dropped by INPUT'),
    ],
  },

  // ---------------------------------------------------------------- labels
  {
    name: 'r_ct_label_1',
    description: 'connection labels with xt connlabel (numeric labels, no connlabel.conf): --label 3 --set on LAN-originated connections, a label 3 match accepting the replies, a label never set not matching',
    tags: ['labels', 'connlabel'],
    iptables: ipt({
      filter: {
        policies: { FORWARD: 'DROP' },
        rules: [
          '-A FORWARD -m connlabel --label 9 -j DROP',
          '-A FORWARD -i r_cli -m connlabel --label 3 --set -j ACCEPT',
          '-A FORWARD -i r_srv -m connlabel --label 3 -j ACCEPT',
          '-A FORWARD -i r_srv -m connlabel ! --label 3 -j REJECT',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 34800, S, 9000, 'labelled'), 'LAN flow: label 3 set'),
      srv(udp4(S, 9000, C, 34800, 'reply'), 'reply: label 3 present, accepted'),
      srv(udp4(S, 9001, C, 34801, 'unsolicited'), 'DMZ flow without label: rejected'),
    ],
  },
  {
    name: 'r_ct_label_2',
    description: 'nft ct label set 5 on new LAN connections in forward, ct label 5 matched on replies; other flows dropped',
    tags: ['labels', 'nft'],
    nft: `table ip l {
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "r_cli" ct state new counter ct label set 5
    iifname "r_cli" counter accept
    ct label 5 counter accept
    counter
  }
}`,
    steps: [
      cli(udp4(C, 34900, S, 9000, 'labelled'), 'LAN flow: label 5'),
      srv(udp4(S, 9000, C, 34900, 'reply'), 'reply: ct label 5, accepted'),
      srv(udp4(S, 9002, C, 34902, 'unsolicited'), 'DMZ flow: dropped'),
    ],
  },

  // ---------------------------------------------------------------- accounting, timestamps
  {
    name: 'r_ct_acct_1',
    description: 'nf_conntrack_acct=1: packets= and bytes= of both directions in the final table, including packets of the connection that a later FORWARD rule drops (counted at the conntrack lookup), a datagram with an IP option, and a fragmented datagram counted once with its reassembled size',
    tags: ['acct', 'fragments'],
    iptables: ipt({ filter: { rules: ['-A FORWARD -p udp -m length --length 500:65535 -j DROP'] } }),
    steps: [
      cli(udp4(C, 35000, S, 9, 'a'.repeat(100)), '128 bytes'),
      srv(udp4(S, 9, C, 35000, 'b'.repeat(10)), 'reply, 38 bytes'),
      cli(udp4(C, 35000, S, 9, 'c'.repeat(600)), '628 bytes, dropped in FORWARD after being counted'),
      cli(ipv4({ src: C, dst: S, options: Uint8Array.of(0x01, 0x01, 0x01, 0x00), payload: udp({ sport: 35000, dport: 9, payload: 'opt' }) }), 'with a 4-byte IP option'),
      ...fragmentIpv4(ipv4({ src: C, dst: S, id: 0x5151, payload: udp({ sport: 35001, dport: 9, payload: 'f'.repeat(400) }) }), 208).map((f, k) => cli(f, `fragment ${k + 1} of a 428-byte datagram`)),
      srv(udp4(S, 9, C, 35001, 'ok'), 'reply to the fragmented flow'),
    ],
  },
  {
    name: 'r_ct_acct_2',
    description: 'nf_conntrack_acct=0 with the packets of r_ct_acct_1: no packets= / bytes= anywhere',
    tags: ['acct'],
    sysctls: { 'net.netfilter.nf_conntrack_acct': 0 },
    iptables: ipt({ filter: { rules: ['-A FORWARD -p udp -m length --length 500:65535 -j DROP'] } }),
    steps: [
      cli(udp4(C, 35100, S, 9, 'a'.repeat(100)), '128 bytes'),
      srv(udp4(S, 9, C, 35100, 'b'.repeat(10)), 'reply'),
      cli(udp4(C, 35100, S, 9, 'c'.repeat(600)), 'dropped in FORWARD'),
    ],
  },
  {
    name: 'r_ct_timestamp_1',
    description: 'nf_conntrack_timestamp=1: connections carry start/stop timestamps, which conntrack -L and -E print only with -o ktimestamp: the default table and events look exactly as without',
    tags: ['timestamp'],
    sysctls: { 'net.netfilter.nf_conntrack_timestamp': 1 },
    iptables: ipt({ filter: { rules: COUNT_STATES } }),
    steps: (() => {
      const c = new Conv(C, 35200, S, 80);
      return [cli(c.c('S')), srv(c.s('SA')), cli(c.c('A')), cli(c.c('R')), cli(udp4(C, 35201, S, 53, 'q')), srv(udp4(S, 53, C, 35201, 'a'))];
    })(),
  },

  // ---------------------------------------------------------------- events, notrack, confirmation
  ...[1, 2].map(
    (ev): ScenarioSpec => ({
      name: `r_ct_ctevents_${ev}`,
      description:
        ev === 1
          ? 'CT --ctevents masks with net.netfilter.nf_conntrack_events=1 (the template gets its event mask when the rule is loaded): flow A (new,destroy) reports only its [NEW] (with all its cached bits, the state included) and nothing for SYN_RECV / ESTABLISHED / CLOSE, flow B (assured,protoinfo) no [NEW] but its state changes, flow C everything'
          : 'the packets of r_ct_ctevents_1 with nf_conntrack_events=2 (the default: events only when someone listens): the rules are loaded before conntrack -E listens, so the CT templates get no event mask and every flow reports every event',
      tags: ['ct-events', 'CT'],
      sysctls: ev === 1 ? { 'net.netfilter.nf_conntrack_events': 1 } : {},
      iptables: ipt({
        raw: { rules: ['-A PREROUTING -p tcp --dport 1001 -j CT --ctevents new,destroy', '-A PREROUTING -p tcp --dport 1002 -j CT --ctevents assured,protoinfo'] },
        filter: { rules: COUNT_STATES },
      }),
      steps: (() => {
        const out: ReturnType<typeof cli>[] = [];
        for (const [k, port] of [[0, 1001], [1, 1002], [2, 1003]] as const) {
          const c = new Conv(C, 35300 + 10 * ev + k, S, port);
          const tag = 'ABC'[k];
          out.push(cli(c.c('S'), `${tag}: SYN`), srv(c.s('SA'), `${tag}: SYN/ACK`), cli(c.c('A'), `${tag}: ACK`), cli(c.c('RA'), `${tag}: RST`));
        }
        return out;
      })(),
    }),
  ),
  {
    name: 'r_ct_notrack_1',
    description: 'NOTRACK one way: CT --notrack on LAN -> DMZ UDP/5000 and TCP/81; the DMZ reply is tracked and starts a NEW connection with the server as originator; the TCP SYN/ACK reply is INVALID (no pick-up from a SYN/ACK); further LAN packets stay UNTRACKED',
    tags: ['notrack', 'ct-untracked'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -i r_cli -p udp --dport 5000 -j CT --notrack', '-A PREROUTING -i r_cli -p tcp --dport 81 -j NOTRACK'] },
      filter: { rules: COUNT_STATES },
    }),
    steps: [
      cli(udp4(C, 35400, S, 5000, 'untracked'), 'UNTRACKED'),
      srv(udp4(S, 5000, C, 35400, 'reply'), 'reply: NEW, the server is the originator'),
      cli(udp4(C, 35400, S, 5000, 'again'), 'UNTRACKED again (the entry is not looked up)'),
      srv(udp4(S, 5000, C, 35400, 'reply 2'), 'second reply: original direction of that entry, no reply seen'),
      cli(tcp4(C, 35401, S, 81, 'S'), 'SYN: UNTRACKED'),
      srv(tcp4(S, 81, C, 35401, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: INVALID'),
      cli(tcp4(C, 35401, S, 81, 'A', { seq: 1001, ack: 5001 }), 'ACK: UNTRACKED'),
    ],
  },
  {
    name: 'r_ct_notrack_2',
    description: 'CT --notrack in raw OUTPUT for the router\'s own UDP: the packet leaves UNTRACKED, the reply is NEW (server as originator) and delivered to the stack (port unreachable); an ICMP echo from the router is tracked normally',
    tags: ['notrack', 'ct-untracked', 'local-out'],
    iptables: ipt({ raw: { rules: ['-A OUTPUT -p udp -j CT --notrack'] }, filter: { rules: ['-A INPUT -m conntrack --ctstate NEW -j ACCEPT', '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT'] } }),
    steps: [
      local(udp4(R_SRV, 35500, S, 514, 'log'), 'router syslog: UNTRACKED'),
      srv(udp4(S, 514, R_SRV, 35500, 'back'), 'datagram back: NEW'),
      local(echo4(R_SRV, S, 0x3550, 1), 'router ping: NEW'),
      srv(echo4(S, R_SRV, 0x3550, 1, { reply: true }), 'echo reply: ESTABLISHED'),
    ],
  },
  {
    name: 'r_ct_confirm_1',
    description: 'unconfirmed entries: a packet dropped in filter FORWARD, one dropped in mangle POSTROUTING and one dropped in filter INPUT leave no entry and no [NEW] event; their retransmissions are NEW again; an accepted one is confirmed',
    tags: ['ct-confirm'],
    iptables: ipt({
      mangle: { rules: ['-A POSTROUTING -p udp --dport 2 -m string --algo bm --string "drop" -j DROP'] },
      filter: { rules: ['-A FORWARD -p udp --dport 1 -m string --algo bm --string "drop" -j DROP', '-A INPUT -p udp --dport 3 -m string --algo bm --string "drop" -j DROP'] },
    }),
    steps: [
      cli(udp4(C, 35600, S, 1, 'drop'), 'dropped in FORWARD'),
      cli(udp4(C, 35600, S, 1, 'pass'), 'same flow: NEW again, confirmed'),
      cli(udp4(C, 35601, S, 2, 'drop'), 'dropped in mangle POSTROUTING'),
      cli(udp4(C, 35601, S, 2, 'pass'), 'same flow: NEW again'),
      cli(udp4(C, 35602, '10.0.1.1', 3, 'drop'), 'dropped in INPUT'),
      cli(udp4(C, 35602, '10.0.1.1', 3, 'pass'), 'same flow: NEW, confirmed at INPUT (port unreachable)'),
    ],
  },

  // ---------------------------------------------------------------- ICMP queries, malformed UDP
  {
    name: 'r_ct_icmp_1',
    description: 'ICMP query tracking: echo ids are separate connections, an echo reply with the wrong id is INVALID, timestamp (13/14), information (15/16) and address mask (17/18) requests start connections and their replies are ESTABLISHED; a router advertisement (9) is INVALID',
    tags: ['icmp', 'icmp-echo', 'icmp-timestamp'],
    iptables: ipt({ filter: { rules: COUNT_STATES } }),
    steps: [
      cli(echo4(C, W, 0x100, 1), 'echo id 0x100'),
      cli(echo4(C, W, 0x101, 1), 'echo id 0x101: another connection'),
      wan(echo4(W, C, 0x100, 1, { reply: true }), 'reply id 0x100'),
      wan(echo4(W, C, 0x102, 1, { reply: true }), 'reply id 0x102: INVALID'),
      cli(icmp4(C, W, 13, 0, { id4: 0x200, seq: 1, payload: new Uint8Array(12) }), 'timestamp request'),
      wan(icmp4(W, C, 14, 0, { id4: 0x200, seq: 1, payload: new Uint8Array(12) }), 'timestamp reply'),
      cli(icmp4(C, W, 15, 0, { id4: 0x300, seq: 1 }), 'information request'),
      wan(icmp4(W, C, 16, 0, { id4: 0x300, seq: 1 }), 'information reply'),
      cli(icmp4(C, W, 17, 0, { id4: 0x400, seq: 1, payload: new Uint8Array(4) }), 'address mask request'),
      wan(icmp4(W, C, 18, 0, { id4: 0x400, seq: 1, payload: Uint8Array.of(255, 255, 255, 0) }), 'address mask reply'),
      wan(icmp4(W, C, 9, 0, { rest: 0x01001800, payload: Uint8Array.of(203, 0, 113, 254, 0, 0, 0, 0) }), 'router advertisement: INVALID'),
    ],
  },
  {
    name: 'r_ct_udp_1',
    description: 'malformed UDP is INVALID for conntrack but forwarded (the filter accepts INVALID): a length field larger than the datagram, a length field below 8, a 4-byte UDP header; then a good datagram of the same flow is NEW',
    tags: ['ct-invalid', 'udp'],
    iptables: ipt({ filter: { rules: COUNT_STATES } }),
    steps: [
      cli(ipv4({ src: C, dst: S, payload: udp({ sport: 35800, dport: 9, payload: 'long', length: 40 }) }), 'UDP length 40 in a 12-byte datagram'),
      cli(ipv4({ src: C, dst: S, payload: udp({ sport: 35800, dport: 9, payload: 'short', length: 6, checksum: 0 }) }), 'UDP length 6'),
      cli(ipv4({ src: C, dst: S, proto: 17, payload: Uint8Array.of(0x8b, 0xd8, 0, 9) }), '4 bytes of UDP header'),
      cli(udp4(C, 35800, S, 9, 'good'), 'a good datagram: NEW'),
      cli(udp4(C2, 35801, S, 9, 'x', { checksum: 0 }), 'checksum 0 (none): NEW'),
    ],
  },
];
