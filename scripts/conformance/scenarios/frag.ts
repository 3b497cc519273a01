/**
 * IPv4 fragments: reassembly before conntrack (the held fragments are DROPPED with no state, the
 * completing one carries the datagram's verdict), refragmentation on the way out (to the
 * original fragment sizes), reordering, NAT of a fragmented datagram, an echo request to the
 * router in fragments (the reply is fragmented too), overlapping fragments, and the `-f` match
 * that never sees a fragment when conntrack reassembles.
 */

import { fragmentIpv4, ipv4, udp } from '../../../src/packet/build.js';
import { cli, echo4, ipt, udp4, wan, R_CLI, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.70';

const OPEN = ipt({ filter: { rules: ['-A FORWARD -f -j DROP', '-A FORWARD -p udp -j ACCEPT', '-A INPUT -p icmp -j ACCEPT'] } });

/** A UDP datagram of `len` payload bytes with a given IP id. */
function bigUdp(src: string, sport: number, dst: string, dport: number, len: number, id: number): Uint8Array {
  const payload = new Uint8Array(len);
  for (let k = 0; k < len; k++) payload[k] = 0x41 + (k % 26);
  return ipv4({ src, dst, id, payload: udp({ sport, dport, payload }) });
}

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_frag_1',
    description: 'a 1200-byte UDP datagram in 3 fragments, in order: two held, the third completes it; forwarded as the same 3 fragments; -f never matches',
    tags: ['fragments'],
    iptables: OPEN,
    steps: fragmentIpv4(bigUdp(C, 7000, S, 9000, 1200, 0x1111), 512).map((f, k) => cli(f, `fragment ${k + 1}/3`)),
  },
  {
    name: 'r_frag_2',
    description: 'fragments out of order (last, first, middle) through MASQUERADE: reassembled, NATed (ports in the first fragment, checksum over the whole datagram), refragmented',
    tags: ['fragments', 'nat', 'masquerade'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: { rules: [] } }),
    steps: (() => {
      const f = fragmentIpv4(bigUdp(C, 7001, W, 9001, 1000, 0x2222), 400);
      return [
        cli(f[2]!, 'last fragment first'),
        cli(f[0]!, 'first fragment'),
        cli(f[1]!, 'middle fragment completes it'),
        wan(udp4(W, 9001, R_WAN, 7001, 'reply'), 'reply to the public address'),
      ];
    })(),
  },
  {
    name: 'r_frag_3',
    description: 'an echo request to the router in two fragments: reassembled and answered; the 1600-byte reply is fragmented by the router',
    tags: ['fragments', 'host-answers'],
    iptables: OPEN,
    steps: fragmentIpv4(echo4(C, R_CLI, 0x42, 1, { payload: 'p'.repeat(1572), id: 0x3333 }), 1480).map((f, k) => cli(f, `echo fragment ${k + 1}`)),
  },
  {
    name: 'r_frag_4',
    description: 'overlapping fragments (the second rewrites bytes of the first): the whole datagram is dropped; then a duplicate fragment, then a clean datagram with the same id',
    tags: ['fragments'],
    iptables: OPEN,
    steps: (() => {
      const a = fragmentIpv4(bigUdp(C, 7002, S, 9002, 600, 0x4444), 304);
      const overlap = ipv4({ src: C, dst: S, id: 0x4444, fragOffset: 296, mf: true, proto: 17, payload: new Uint8Array(16).fill(0x5a) });
      const b = fragmentIpv4(bigUdp(C, 7003, S, 9003, 600, 0x5555), 304);
      return [
        cli(a[0]!, 'first fragment (bytes 0-303)'),
        cli(overlap, 'fragment at 296-311: overlaps the first'),
        cli(a[1]!, 'the real second fragment'),
        cli(b[0]!, 'another datagram, first fragment'),
        cli(b[0]!, 'the same fragment again (duplicate)'),
        cli(b[1]!, 'second fragment completes it'),
      ];
    })(),
  },
];
