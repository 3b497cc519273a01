/**
 * Conntrack zones for one direction (CT --zone-orig / --zone-reply, nft `ct original zone set`):
 * the original tuple is hashed and compared in one zone and the reply tuple in another
 * (nf_ct_zone_id per direction), the lookup tries the original direction's zone id and then the
 * reply direction's, and the tables print zone-orig= / zone-reply= after the tuple.
 */

import { cli, ipt, srv, udp4, wan, echo4 } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.60';

const OPEN_FILTER = { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j DROP', '-A FORWARD -j ACCEPT'] };

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_zone_orig_1',
    description: 'CT --zone-orig 5 on the client side only: the reply (no template, zone 0) finds the entry by its reply tuple; the table shows zone-orig=5',
    tags: ['zones', 'zone-dir'],
    iptables: ipt({ raw: { rules: ['-A PREROUTING -i r_cli -j CT --zone-orig 5'] }, filter: OPEN_FILTER }),
    steps: [
      cli(udp4(C, 40000, W, 53, 'query'), 'NEW in zone-orig 5'),
      wan(udp4(W, 53, C, 40000, 'answer'), 'reply without template: established'),
      cli(udp4(C, 40000, W, 53, 'query 2'), 'original again with the template'),
      cli(echo4(C, W, 77, 1), 'echo in zone-orig 5'),
      wan(echo4(W, C, 77, 1, { reply: true }), 'echo reply'),
    ],
  },
  {
    name: 'r_zone_orig_2',
    description: 'CT --zone-orig 5: a packet of the same flow without the template (zone 0 both ways) does not find the zone-orig entry by its original tuple',
    tags: ['zones', 'zone-dir'],
    iptables: ipt({ raw: { rules: ['-A PREROUTING -i r_cli -p udp --sport 40001 -j CT --zone-orig 5'] }, filter: OPEN_FILTER }),
    steps: [
      cli(udp4(C, 40001, W, 53, 'a'), 'zone-orig 5'),
      cli(udp4(C, 40002, W, 53, 'b'), 'zone 0'),
      wan(udp4(W, 53, C, 40001, 'c'), 'reply of the first'),
      wan(udp4(W, 53, C, 40002, 'd'), 'reply of the second'),
    ],
  },
  {
    name: 'r_zone_orig_4',
    description: 'CT --zone-orig 5 for one packet of a flow (by length): the next packet of the same flow without the template misses the entry (zone 0), its reply tuple clashes with the entry\'s (zone 0 on that side) and cannot be merged: dropped at confirmation; the reply finds the first entry',
    tags: ['zones', 'zone-dir', 'clash'],
    iptables: ipt({ raw: { rules: ['-A PREROUTING -i r_cli -m length --length 29 -j CT --zone-orig 5'] }, filter: OPEN_FILTER }),
    steps: [
      cli(udp4(C, 40003, W, 53, 'a'), 'zone-orig 5'),
      cli(udp4(C, 40003, W, 53, 'bb'), 'zone 0: clash at confirmation'),
      wan(udp4(W, 53, C, 40003, 'c'), 'reply: the zone-orig entry'),
    ],
  },
  {
    name: 'r_zone_reply_1',
    description: 'CT --zone-reply 7 on every packet: the original tuple in zone 0, the reply tuple in zone 7; replies with the template find the entry by the second lookup',
    tags: ['zones', 'zone-dir'],
    iptables: ipt({ raw: { rules: ['-A PREROUTING -j CT --zone-reply 7'] }, filter: OPEN_FILTER }),
    steps: [
      cli(udp4(C, 40010, S, 5000, 'ping'), 'NEW'),
      srv(udp4(S, 5000, C, 40010, 'pong'), 'reply with the template: found in zone 7'),
      cli(udp4(C, 40010, S, 5000, 'ping 2'), 'established'),
    ],
  },
  {
    name: 'r_zone_reply_2',
    description: 'CT --zone-reply 7 on the client side only: the reply without template looks in zone 0 and misses the entry (its reply tuple is in zone 7); its own new entry clashes with the first one',
    tags: ['zones', 'zone-dir'],
    iptables: ipt({ raw: { rules: ['-A PREROUTING -i r_cli -j CT --zone-reply 7'] }, filter: OPEN_FILTER }),
    steps: [
      cli(udp4(C, 40020, S, 5000, 'ping'), 'NEW, reply tuple in zone 7'),
      srv(udp4(S, 5000, C, 40020, 'pong'), 'no template: not found in zone 0'),
      cli(udp4(C, 40020, S, 5000, 'ping 2'), 'original again'),
      srv(udp4(S, 5000, C, 40020, 'pong 2'), 'server again'),
    ],
  },
  {
    name: 'r_zone_orig_3',
    description: 'Two clients with the same flow from different zones (zone-orig 1 and zone-orig 2 chosen by source): separate entries; the MASQUERADEd replies are found by their reply tuples',
    tags: ['zones', 'zone-dir', 'nat'],
    iptables: ipt({
      raw: { rules: [`-A PREROUTING -s ${C} -j CT --zone-orig 1`, `-A PREROUTING -s ${C2} -j CT --zone-orig 2`] },
      nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] },
      filter: OPEN_FILTER,
    }),
    steps: [
      cli(udp4(C, 40030, W, 53, 'q1'), 'zone-orig 1'),
      cli(udp4(C2, 40030, W, 53, 'q2'), 'zone-orig 2'),
      wan(udp4(W, 53, '203.0.113.1', 40030, 'a1'), 'reply to the first'),
      cli(udp4(C, 40030, W, 53, 'q1 again'), 'first again'),
    ],
  },
  {
    name: 'r_zone_nft_orig_1',
    description: 'nft `ct original zone set 9` in raw prerouting for the client side; `ct original zone` / `ct reply zone` / `ct zone` matched in forward',
    tags: ['zones', 'zone-dir', 'nft'],
    nft: `table inet t {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    iifname "r_cli" ct original zone set 9
  }
  chain filt {
    type filter hook forward priority filter; policy drop;
    ct original zone 9 ct reply zone 0 ct zone 9 counter accept
    ct original zone 0 counter accept
  }
}
`,
    steps: [
      cli(udp4(C, 40040, S, 5000, 'x'), 'zone-orig 9'),
      srv(udp4(S, 5000, C, 40040, 'y'), 'reply'),
      cli(udp4(C, 40040, S, 5000, 'z'), 'original'),
    ],
  },
];
