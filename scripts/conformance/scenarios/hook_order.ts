/**
 * The order of base chains registered on one hook at the same priority. nf_hook_entries_grow
 * (net/netfilter/core.c) inserts a new hook before the first existing one whose priority is >= its
 * own, so at equal priority the LATER registration runs first; nat-type chains sit in the nat
 * hook's own list (nf_nat_core.c nf_nat_register_fn -> nf_hook_entries_insert_raw), ordered the
 * same way. `nft -f` registers a table's chains in declaration order; the recorder loads rules.nft
 * before iptables-restore, whose tables (iptables-nft) come later still. Fuzz finding r_fuzz_70032_1.
 */
import { cli, ipt, wan } from '../lib/craft.js';
import { ipv4, tcp } from '../../../src/packet/build.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const NFT = `table ip fz {
  chain a {
    type filter hook prerouting priority -150; policy accept;
    counter
  }

  chain b {
    type filter hook prerouting priority -150; policy accept;
    counter
  }

  chain n1 {
    type nat hook prerouting priority -100; policy accept;
    counter
  }

  chain n2 {
    type nat hook prerouting priority -100; policy accept;
    counter
  }

  chain f1 {
    type filter hook forward priority 0; policy accept;
    counter
  }

  chain f2 {
    type filter hook forward priority 0; policy accept;
    counter
  }
}
`;

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_hook_order_equal_prio',
    description:
      'equal priorities: nft chains a, b (prerouting -150), n1, n2 (nat prerouting -100), f1, f2 (forward 0), then iptables mangle / nat / filter rules on the same hooks; the kernel runs iptables (registered last), then b, a; n2, n1; f2, f1',
    tags: ['nft', 'nft-iptables-mixed', 'hook-order'],
    nft: NFT,
    iptables: ipt({ mangle: { rules: ['-A PREROUTING -p tcp'] }, nat: { rules: ['-A PREROUTING -p tcp'] }, filter: { rules: ['-A FORWARD -p tcp'] } }),
    steps: [
      wan(ipv4({ src: '192.0.2.93', dst: '203.0.113.1', ttl: 64, payload: tcp({ sport: 45532, dport: 21, seq: 1000, flags: 'S', win: 64240 }) }), 'SYN to the router (closed port: RST)'),
      cli(ipv4({ src: '10.0.1.100', dst: '10.0.2.100', ttl: 64, payload: tcp({ sport: 40000, dport: 80, seq: 1000, flags: 'S', win: 64240 }) }), 'SYN forwarded LAN -> DMZ'),
    ],
  },
];
