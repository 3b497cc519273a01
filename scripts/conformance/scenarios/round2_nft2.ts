/**
 * Round 2, more nftables: a tftp ct helper object through masquerade, stateless address
 * rewriting at netdev ingress before conntrack, a CONNMARK-restore policy written with
 * meta mark set ct mark / ct mark set meta mark and a ct label match.
 */

import { cli, udp4, wan, tcp4, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const W = '198.51.100.160';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_r2_nft_cthelper_tftp_1',
    description: 'an nft ct helper object of type "tftp" (protocol udp) assigned to udp/69 (in a prerouting chain after conntrack, priority filter) through masquerade: the RRQ creates an expectation for the server\'s answer from any port to 203.0.113.1:<client port>; the DATA from port 3001 is RELATED and DNATed to the client, the client\'s ACK is its reply; a packet from port 3002 to the same client port is not',
    tags: ['nft', 'helper', 'tftp', 'helper-tftp', 'nat', 'masquerade', 'expect', 'ct-helper-obj'],
    nft: `table ip f {
  ct helper tftp-h {
    type "tftp" protocol udp
    l3proto ip
  }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    udp dport 69 ct helper set "tftp-h"
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    iifname "r_cli" counter accept
  }
}
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "r_wan" masquerade
  }
}`,
    steps: [
      cli(udp4(C, 9100, W, 69, '\x00\x01file.bin\x00octet\x00'), 'RRQ: expectation'),
      wan(udp4(W, 3001, R_WAN, 9100, '\x00\x03\x00\x01data'), 'DATA from port 3001: RELATED, to 10.0.1.100:9100'),
      cli(udp4(C, 9100, W, 3001, '\x00\x04\x00\x01'), 'ACK: reply direction of the data connection'),
      wan(udp4(W, 3002, R_WAN, 9100, '\x00\x03\x00\x01data'), 'from port 3002: no expectation left, to the router'),
    ],
  },
  {
    name: 'r_r2_nft_netdev_snat_1',
    description: 'stateless rewriting at netdev ingress (before conntrack): on r_wan, ip daddr 203.0.113.50 is rewritten to 10.0.1.100 (checksums updated by the kernel); conntrack then tracks the rewritten packet as a plain forwarded connection; the client\'s answer is its reply (the router does not rewrite it back)',
    tags: ['nft', 'netdev', 'payload-set', 'mangle'],
    nft: `table netdev nd {
  chain in {
    type filter hook ingress device "r_wan" priority 0; policy accept;
    ip daddr 203.0.113.50 counter ip daddr set 10.0.1.100
  }
}`,
    steps: [
      wan(udp4(W, 9200, '203.0.113.50', 53, 'q'), 'to 203.0.113.50: rewritten to 10.0.1.100 before conntrack'),
      cli(udp4(C, 53, W, 9200, 'r'), 'answer from 10.0.1.100: ESTABLISHED, source unchanged'),
      wan(tcp4(W, 9201, '203.0.113.50', 22, 'S'), 'TCP too'),
    ],
  },
  {
    name: 'r_r2_nft_markpolicy_1',
    description: 'a mark policy in nft: meta mark set ct mark restores the connection mark in prerouting, new LAN connections get meta mark 0x10 saved with ct mark set meta mark, and a ct label (bit 12) for LAN UDP; forward accepts only meta mark 0x10 (policy drop) and counts ct label 12: replies pass with the restored mark, WAN-initiated traffic is dropped',
    tags: ['nft', 'mark', 'connmark', 'labels', 'connlabel', 'nft-policy'],
    nft: `table ip f {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    meta mark set ct mark
    iifname "r_cli" ct state new meta mark set 0x10 ct mark set meta mark
    iifname "r_cli" ct state new meta l4proto udp ct label set 12
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct label 12 counter
    meta mark 0x10 counter accept
  }
}`,
    steps: [
      cli(udp4(C, 9300, W, 53, 'q'), 'LAN UDP: mark 0x10, label 12'),
      wan(udp4(W, 53, C, 9300, 'r'), 'reply: mark restored, accepted'),
      cli(tcp4(C2, 9301, W, 80, 'S'), 'LAN TCP: mark 0x10'),
      wan(tcp4(W, 80, C2, 9301, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: accepted'),
      wan(udp4(W, 9302, C, 161, 'x'), 'WAN-initiated: no mark, dropped'),
    ],
  },
];
