/**
 * Round 2, H.323 RAS with NAT: a terminal behind SNAT to 203.0.113.100 talks to a gatekeeper on
 * the WAN (GRQ / GCF with a new RAS address, RRQ / RCF, ARQ / ACF for an outgoing call, a call
 * from the gatekeeper to the registered signalling address). Messages from the test side's
 * aligned-PER encoder (test/helpers/h323-per.ts).
 */

import { cli, Conv, ipt, udp4, wan } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';
import { ras, type Addr } from '../../../test/helpers/h323-per.js';

const C = '10.0.1.100';
const GK = '198.51.100.170';
const PEER = '198.51.100.171';
const PUB = '203.0.113.100';
const a = (ip: string, port: number): Addr => ({ ip, port });

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_r2_helper_ras_nat_1',
    description: 'RAS through SNAT to 203.0.113.100: the GRQ\'s rasAddress is rewritten, the GCF naming the gatekeeper\'s RAS port 1730 creates a RAS expectation (the RRQ to it is RELATED); the RRQ\'s callSignalAddress 10.0.1.100:1720 becomes 203.0.113.100:1720 and the RCF maps it back; an ARQ / ACF for an outgoing call to 198.51.100.171:1720 leaves a PERMANENT Q.931 expectation, so the call is RELATED; a call from the gatekeeper to 203.0.113.100:1720 is RELATED and reaches 10.0.1.100:1720',
    tags: ['helper', 'h323', 'helper-RAS', 'helper-Q.931', 'expect', 'nat', 'snat'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -p tcp --dport 1720 -j CT --helper Q.931', '-A PREROUTING -p udp --dport 1719 -j CT --helper RAS'] },
      nat: { rules: ['-A POSTROUTING -o r_wan -s 10.0.1.0/24 -j SNAT --to-source 203.0.113.100'] },
      filter: {
        policies: { FORWARD: 'DROP' },
        rules: [
          '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
          '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
          '-A FORWARD -i r_cli -j ACCEPT',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 1719, GK, 1719, ras('grq', { rasAddress: a(C, 1719) })), 'GRQ: rasAddress rewritten to 203.0.113.100'),
      wan(udp4(GK, 1719, PUB, 1719, ras('gcf', { rasAddress: a(GK, 1730) })), 'GCF naming 198.51.100.170:1730: RAS expectation'),
      cli(udp4(C, 1719, GK, 1730, ras('rrq', { seq: 2, callSignal: [a(C, 1720)], ras: [a(C, 1719)], ttl: 120, alias: 'erin' })), 'RRQ to 1730: RELATED, addresses rewritten'),
      wan(udp4(GK, 1730, PUB, 1719, ras('rcf', { seq: 2, callSignal: [a(PUB, 1720)], ttl: 90 })), 'RCF naming 203.0.113.100:1720: back to 10.0.1.100'),
      cli(udp4(C, 1719, GK, 1719, ras('arq', { seq: 3, alias: '3000', srcCallSignalAddress: a(C, 1720) })), 'ARQ (calling): srcCallSignalAddress rewritten'),
      wan(udp4(GK, 1719, PUB, 1719, ras('acf', { seq: 3, destCallSignalAddress: a(PEER, 1720) })), 'ACF naming 198.51.100.171:1720'),
      cli(new Conv(C, 30100, PEER, 1720).c('S'), 'the call to 198.51.100.171:1720: RELATED, SNATed'),
      wan(new Conv(GK, 31100, PUB, 1720).c('S'), 'a call from the gatekeeper to 203.0.113.100:1720: RELATED, to 10.0.1.100:1720'),
      wan(new Conv('198.51.100.172', 31101, PUB, 1720).c('S'), 'a call from another host: not related'),
    ],
  },
];
