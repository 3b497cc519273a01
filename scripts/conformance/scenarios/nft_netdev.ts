/**
 * The netdev family (ingress and egress hooks, fwd, dup), inet chains on the ingress hook, the
 * arp family with the router's ARP answers, and a bridge table on a host without a bridge.
 *
 * The recorder traces these scenarios from every device's netdev ingress and probes every
 * device's egress (NDPROBE_NFT); the arp ones also probe the arp input hook and trace the ARP
 * frames the router sends (ARPPROBE_NFT).
 */

import { fragmentIpv4, ipv4, udp } from '../../../src/packet/build.js';
import { cli, echo4, srv, tcp4, udp4 } from '../lib/craft.js';
import type { ScenarioSpec, StepSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.80';

const CLI_MAC = '02:00:00:00:01:02';
const R_CLI_MAC = '02:00:00:00:01:01';

/** An ARP packet (Ethernet / IPv4) in a frame from the client side's endpoint. */
function arpFrame(op: 1 | 2, sha: string, spa: string, tha: string, tpa: string, dst: string): Uint8Array {
  const mac = (m: string): number[] => m.split(':').map((x) => parseInt(x, 16));
  const ip = (a: string): number[] => a.split('.').map(Number);
  return Uint8Array.from([...mac(dst), ...mac(CLI_MAC), 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, op, ...mac(sha), ...ip(spa), ...mac(tha), ...ip(tpa)]);
}

const arpIn = (frame: Uint8Array, note: string): StepSpec => ({ iface: 'r_cli', frame, note });

/** An IPv4 packet in an Ethernet frame from the client side's endpoint to the router. */
const cliFrame = (packet: Uint8Array, note: string): StepSpec => ({
  iface: 'r_cli',
  frame: Uint8Array.from([...R_CLI_MAC.split(':').map((x) => parseInt(x, 16)), ...CLI_MAC.split(':').map((x) => parseInt(x, 16)), 0x08, 0x00, ...packet]),
  note,
});

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_nft_netdev_ingress_1',
    description: 'netdev ingress on r_cli before everything: counters, meta length / protocol / l4proto, a drop by port (no conntrack lookup), a mark set at ingress seen in forward and input; the router answers an echo',
    tags: ['nft', 'netdev'],
    nft: `table netdev nd {
  chain ing {
    type filter hook ingress device "r_cli" priority filter; policy accept;
    counter
    meta protocol ip meta l4proto udp counter
    meta length 36 counter
    iifname "r_cli" ip saddr 10.0.1.100 counter
    udp dport 6666 counter drop
    tcp dport 22 counter meta mark set 0x22
  }
}
table inet f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    meta mark 0x22 counter
    counter
  }
  chain input {
    type filter hook input priority filter; policy accept;
    counter
  }
}`,
    steps: [
      cli(udp4(C, 5000, S, 53, 'abcdefgh'), 'udp forwarded (36 bytes at ingress)'),
      cli(udp4(C, 5001, S, 6666, 'x'), 'udp 6666 dropped at ingress: no conntrack entry'),
      cli(tcp4(C, 5002, S, 22, 'S'), 'ssh SYN marked at ingress, counted in forward'),
      cli(echo4(C, '10.0.1.1', 1, 1), 'echo to the router'),
      srv(udp4(S, 53, C, 5000, 'reply'), 'reply from the server side: no ingress chain there'),
      cli(udp4(C2, 5003, W, 53, 'q'), 'another host to the WAN'),
    ],
  },
  {
    name: 'r_nft_netdev_egress_1',
    description: 'netdev egress: every frame the devices transmit (forwarded, the router\'s ICMP errors and echo replies, locally sent) with skb->len counting the Ethernet header; a drop at egress after POSTROUTING (the connection is already confirmed)',
    tags: ['nft', 'netdev'],
    nft: `table netdev nd {
  chain egr {
    type filter hook egress devices = { r_cli, r_srv, r_wan } priority filter; policy accept;
    counter
    oifname "r_srv" meta length 50 counter
    oifname "r_wan" udp dport 7777 counter drop
    ip protocol icmp counter
    ip ttl 63 counter
  }
}
table ip f {
  chain post {
    type filter hook postrouting priority filter; policy accept;
    counter
  }
}`,
    steps: [
      cli(udp4(C, 5100, S, 53, 'abcdefgh'), 'udp forwarded: egress on r_srv (50 bytes)'),
      cli(udp4(C, 5101, W, 7777, 'x'), 'udp 7777 dropped at egress of r_wan'),
      cli(udp4(C, 5101, W, 7777, 'y'), 'again: the entry from the first is there'),
      cli(echo4(C, '10.0.1.1', 2, 1), 'echo to the router: the reply leaves through r_cli egress'),
      cli(udp4(C, 5102, '10.0.1.1', 9, 'z'), 'closed port on the router: port unreachable through egress'),
      cli(udp4(C, 5103, W, 33434, 'ttl', { ttl: 1 }), 'TTL 1: time exceeded through egress'),
      { local: udp4('203.0.113.1', 5104, W, 53, 'local'), note: 'sent by the router itself' },
    ],
  },
  {
    name: 'r_nft_netdev_fwd_1',
    description: 'netdev fwd at ingress (the frame leaves unchanged on another device, nothing else sees it), fwd ip to a neighbour (TTL decremented), dup to another device (the copy leaves too), each through the egress chains',
    tags: ['nft', 'netdev', 'fwd', 'dup'],
    nft: `table netdev nd {
  chain ing {
    type filter hook ingress device "r_cli" priority filter; policy accept;
    udp dport 2001 counter dup to "r_wan"
    udp dport 2002 counter fwd to "r_srv"
    udp dport 2003 counter fwd ip to 10.0.2.101 device "r_srv"
    udp dport 2004 counter fwd to "r_cli"
  }
  chain egr {
    type filter hook egress devices = { r_cli, r_srv, r_wan } priority filter; policy accept;
    counter
    udp dport 2004 counter
  }
}
table inet f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    counter
  }
}`,
    steps: [
      cli(udp4(C, 6001, S, 2001, 'dup'), 'dup to r_wan: a copy there, the packet forwarded to r_srv'),
      cli(udp4(C, 6002, S, 2002, 'fwd'), 'fwd to r_srv: out unchanged (TTL 64), not forwarded by IP'),
      cli(udp4(C, 6003, S, 2003, 'neigh'), 'fwd ip to 10.0.2.101: TTL 63'),
      cli(udp4(C, 6004, S, 2004, 'back'), 'fwd back out of r_cli'),
      cli(udp4(C, 6005, S, 2005, 'plain'), 'no netdev rule: forwarded'),
    ],
  },
  {
    name: 'r_nft_netdev_fwd_2',
    description: 'netdev fwd and dup at egress: a forwarded packet leaving r_srv is moved to r_wan (through its egress) or copied there; the fragments of a datagram (reassembled for conntrack, sent on as they came) meet egress one by one',
    tags: ['nft', 'netdev', 'fwd', 'dup', 'fragments'],
    nft: `table netdev nd {
  chain e {
    type filter hook egress device "r_srv" priority filter; policy accept;
    counter
    udp dport 2101 counter fwd to "r_wan"
    udp dport 2102 counter dup to "r_wan"
  }
  chain w {
    type filter hook egress device "r_wan" priority filter; policy accept;
    counter
  }
}`,
    steps: [
      cli(udp4(C, 6101, S, 2101, 'moved'), 'leaves r_wan instead of r_srv'),
      cli(udp4(C, 6102, S, 2102, 'copied'), 'leaves r_srv, and a copy r_wan'),
      ...fragmentIpv4(ipv4({ src: C, dst: S, id: 0x5151, payload: udp({ sport: 6103, dport: 2103, payload: 'x'.repeat(1000) }) }), 552).map((f, k) =>
        cli(f, `fragment ${k + 1}`),
      ),
    ],
  },
  {
    name: 'r_nft_netdev_inet_1',
    description: 'inet chains on the ingress hook: no conntrack yet (ct state invalid), meta nfproto, notrack at ingress makes the packet untracked in prerouting; IPv4 fragments meet ingress one by one, before reassembly',
    tags: ['nft', 'netdev', 'notrack', 'fragments'],
    nft: `table inet ii {
  chain ing {
    type filter hook ingress device "r_cli" priority filter; policy accept;
    ct state invalid counter
    meta nfproto ipv4 counter
    ip frag-off & 0x1fff != 0 counter
    udp dport 4000 counter notrack
  }
}
table inet f {
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    ct state untracked counter
    ct state new counter
  }
}`,
    steps: [
      cli(udp4(C, 7000, S, 3000, 'tracked'), 'tracked: new in prerouting'),
      cli(udp4(C, 7001, S, 4000, 'untracked'), 'notrack at ingress: untracked in prerouting'),
      ...fragmentIpv4(ipv4({ src: C, dst: S, id: 0x4242, payload: udp({ sport: 7002, dport: 3001, payload: 'f'.repeat(1200) }) }), 552).map((f, k) =>
        cli(f, `fragment ${k + 1}`),
      ),
    ],
  },
  {
    name: 'r_nft_arp_1',
    description: 'ARP: the router answers requests for its addresses (the arp input and output hooks, netdev ingress and egress see the frames), not for other addresses; an arp input rule drops a sender; a gratuitous reply is taken silently',
    tags: ['nft', 'arp', 'netdev'],
    linktype: 1,
    nft: `table arp a {
  chain input {
    type filter hook input priority filter; policy accept;
    counter
    arp operation request counter
    arp saddr ip 10.0.1.101 counter drop
    arp daddr ip 10.0.1.1 counter
  }
  chain output {
    type filter hook output priority filter; policy accept;
    arp operation reply counter
    meta length 42 counter
  }
}
table netdev nd {
  chain ing {
    type filter hook ingress device "r_cli" priority filter; policy accept;
    meta protocol arp counter
    ether saddr 02:00:00:00:01:02 counter
  }
  chain egr {
    type filter hook egress device "r_cli" priority filter; policy accept;
    counter
  }
}`,
    steps: [
      arpIn(arpFrame(1, CLI_MAC, C, '00:00:00:00:00:00', '10.0.1.1', 'ff:ff:ff:ff:ff:ff'), 'who-has 10.0.1.1: answered'),
      arpIn(arpFrame(1, CLI_MAC, C, '00:00:00:00:00:00', '10.0.2.1', 'ff:ff:ff:ff:ff:ff'), 'who-has 10.0.2.1 (r_srv\'s address) on r_cli: answered (arp_ignore 0)'),
      arpIn(arpFrame(1, CLI_MAC, C, '00:00:00:00:00:00', '10.0.1.50', 'ff:ff:ff:ff:ff:ff'), 'who-has 10.0.1.50: not the router, no answer'),
      arpIn(arpFrame(1, CLI_MAC, C2, '00:00:00:00:00:00', '10.0.1.1', 'ff:ff:ff:ff:ff:ff'), 'from 10.0.1.101: dropped by the arp input chain'),
      arpIn(arpFrame(2, CLI_MAC, C, CLI_MAC, C, 'ff:ff:ff:ff:ff:ff'), 'gratuitous reply: taken, no answer'),
      arpIn(arpFrame(1, CLI_MAC, '0.0.0.0', '00:00:00:00:00:00', '10.0.1.1', 'ff:ff:ff:ff:ff:ff'), 'duplicate address probe for 10.0.1.1: answered to 0.0.0.0'),
      cliFrame(udp4(C, 8000, S, 53, 'ip'), 'an IP frame on the same device'),
    ],
  },
  {
    name: 'r_nft_arp_2',
    description: 'ARP with arp_ignore=1: only addresses of the interface the request came in on are answered; an arp output rule drops the router\'s reply',
    tags: ['nft', 'arp'],
    linktype: 1,
    sysctls: { 'net.ipv4.conf.all.arp_ignore': 1 },
    nft: `table arp a {
  chain output {
    type filter hook output priority filter; policy accept;
    arp daddr ip 10.0.1.102 counter drop
    counter
  }
}`,
    steps: [
      arpIn(arpFrame(1, CLI_MAC, C, '00:00:00:00:00:00', '10.0.1.1', 'ff:ff:ff:ff:ff:ff'), 'who-has 10.0.1.1 on r_cli: answered'),
      arpIn(arpFrame(1, CLI_MAC, C, '00:00:00:00:00:00', '10.0.2.1', 'ff:ff:ff:ff:ff:ff'), 'who-has 10.0.2.1 on r_cli: not answered (arp_ignore 1)'),
      arpIn(arpFrame(1, CLI_MAC, '10.0.1.102', '00:00:00:00:00:00', '10.0.1.1', R_CLI_MAC), 'from 10.0.1.102, unicast: the reply is dropped at arp output'),
      arpIn(arpFrame(1, CLI_MAC, C, '00:00:00:00:00:00', '10.0.1.1', '02:00:00:00:09:09'), 'to another MAC: not for this host (PACKET_OTHERHOST)'),
    ],
  },
  {
    name: 'r_nft_netdev_ether_1',
    description: 'netdev ingress reading the Ethernet header of an Ethernet capture: ether saddr / daddr / type, and a drop by source MAC',
    tags: ['nft', 'netdev'],
    linktype: 1,
    nft: `table netdev nd {
  chain ing {
    type filter hook ingress device "r_cli" priority filter; policy accept;
    ether type ip counter
    ether saddr 02:00:00:00:01:02 ether daddr 02:00:00:00:01:01 counter
    ether saddr 02:00:00:00:01:02 udp dport 9 counter drop
  }
}`,
    steps: [
      cliFrame(udp4(C, 8100, S, 53, 'a'), 'from the endpoint\'s MAC: counted, forwarded'),
      cliFrame(udp4(C, 8101, S, 9, 'b'), 'udp 9 from that MAC: dropped'),
    ],
  },
  {
    name: 'r_nft_bridge_1',
    description: 'a bridge table on a router without a bridge: its chains never see a packet',
    tags: ['nft', 'bridge'],
    nft: `table bridge b {
  chain forward {
    type filter hook forward priority filter; policy drop;
    counter
  }
  chain input {
    type filter hook input priority filter; policy drop;
    counter
  }
}
table inet f {
  chain forward {
    type filter hook forward priority filter; policy accept;
    counter
  }
}`,
    steps: [
      cli(udp4(C, 8200, S, 53, 'a'), 'forwarded by IP, not bridged'),
      cli(echo4(C, '10.0.1.1', 3, 1), 'echo to the router'),
    ],
  },
];

