/**
 * A SYN burst against a small nf_conntrack_max (global on this kernel: recorded with
 * CKR_ALLOW_GLOBAL_CT_MAX=1 while no other namespace exists). Entries in SYN_SENT are not
 * ASSURED, so early_drop may evict them, but only from the few hash buckets after the new
 * tuple's: in a table of thousands of buckets it finds none, and the new packet is dropped
 * before it has a conntrack state. Packets of connections already in the table pass.
 */
import { cli, ipt, srv, statefulForward, tcp4 } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const syn = (sport: number) => cli(tcp4(C, sport, S, 80, 'S', { seq: 1000 + sport }), `SYN from port ${sport}`);

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_tablefull_synburst_1',
    description: 'nf_conntrack_max=6: a burst of 10 SYNs; the first 6 are NEW, the others find the table full (early_drop finds nothing to evict near their buckets) and are dropped without a conntrack state; the server answers the first SYN (ESTABLISHED reply), and a client ACK completes it',
    tags: ['table-full', 'tcp', 'early-drop'],
    sysctls: { 'net.netfilter.nf_conntrack_max': 6 },
    iptables: ipt({ filter: statefulForward(['-A FORWARD -i r_cli -p tcp --syn -j ACCEPT']) }),
    steps: [
      ...[41001, 41002, 41003, 41004, 41005, 41006, 41007, 41008, 41009, 41010].map(syn),
      srv(tcp4(S, 80, C, 41001, 'SA', { seq: 9000, ack: 1000 + 41001 + 1 }), 'SYN-ACK for the first'),
      cli(tcp4(C, 41001, S, 80, 'A', { seq: 1000 + 41001 + 1, ack: 9001 }), 'ACK: ESTABLISHED'),
    ],
  },
];
