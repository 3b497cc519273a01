/**
 * Matches that find the packet malformed (x_tables hotdrop) under iptables-nft: a translated
 * match (`-m udp --dport`, `-m tcp --dport` become native nft payload expressions) only fails to
 * match a truncated header, while an xt match kept as such (`--tcp-option`, `-m udp` with
 * nothing to translate?) drops the packet with the rule as its verdict.
 */
import { cli, ipt } from '../lib/craft.js';
import { ipv4 } from '../../../src/packet/build.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
/** An IPv4 datagram of protocol `proto` carrying only `bytes` of its transport header. */
const cut = (proto: number, bytes: number[]) => ipv4({ src: C, dst: S, ttl: 64, id: 7, proto, payload: Uint8Array.from(bytes) });

const ACCEPT_REST = '-A FORWARD -j ACCEPT';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_hotdrop_udp_1',
    description: 'a 4-byte UDP header meets -p udp -m udp --dport 2 (translated to nft payload: no match, the next rule accepts), then -p udp -m udp (nothing to translate)',
    tags: ['hotdrop', 'udp', 'malformed'],
    iptables: ipt({ filter: { rules: ['-A FORWARD -p udp -m udp --dport 2 -j DROP', '-A FORWARD -p udp -m udp --sport 9 -j DROP', ACCEPT_REST] } }),
    steps: [cli(cut(17, [0x13, 0x88, 0x00, 0x03]), 'truncated UDP: 4 bytes, dport 3')],
  },
  {
    name: 'r_hotdrop_tcp_1',
    description: 'a 12-byte TCP header meets -p tcp -m tcp --dport 80 (translated: no match) and -p tcp --syn (flags, translated), then ACCEPT',
    tags: ['hotdrop', 'tcp', 'malformed'],
    iptables: ipt({ filter: { rules: ['-A FORWARD -p tcp -m tcp --dport 80 -j DROP', '-A FORWARD -p tcp --syn -j DROP', ACCEPT_REST] } }),
    steps: [cli(cut(6, [0x9c, 0x40, 0x00, 0x51, 0, 0, 0, 1, 0, 0, 0, 0]), 'truncated TCP: 12 bytes, dport 81')],
  },
  {
    name: 'r_hotdrop_udp_2',
    description: 'a 4-byte UDP header meets -p udp -m udp (no options) -j DROP, then -m tcp --tcp-option 2 on a 12-byte TCP header (kept as an xt match: hotdrop, the rule is the verdict)',
    tags: ['hotdrop', 'udp', 'tcp', 'malformed'],
    iptables: ipt({ filter: { rules: ['-A FORWARD -p udp -m udp -j DROP', '-A FORWARD -p tcp -m tcp --tcp-option 2 -j ACCEPT', ACCEPT_REST] } }),
    steps: [cli(cut(17, [0x13, 0x88, 0x00, 0x03]), 'truncated UDP'), cli(cut(6, [0x9c, 0x40, 0x00, 0x51, 0, 0, 0, 1, 0, 0, 0, 0]), 'truncated TCP')],
  },
];
