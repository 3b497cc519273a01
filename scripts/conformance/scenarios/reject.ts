/**
 * REJECT, byte for byte: every --reject-with variant of iptables' REJECT target on forwarded and
 * local traffic, the TCP reset's sequence numbers against SYNs, data and FINs, no reset for a reset,
 * no error for non-first fragments, the quoted length of ICMP errors, and the per-destination ICMP
 * rate limit of the errors REJECT sends.
 */

import { ipv4, udp } from '../../../src/packet/build.js';
import { cli, Conv, echo4, ipt, local, pause, R_CLI, tcp4, udp4, wan } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.20';

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_reject_1',
    description: 'REJECT --reject-with tcp-reset: RST for a forwarded SYN, a SYN to the router, an ACK with data, a FIN; no RST for a RST',
    tags: ['reject', 'tcp-reset'],
    iptables: ipt({
      filter: {
        rules: [
          '-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset',
          '-A FORWARD -p tcp --dport 23 -j REJECT --reject-with tcp-reset',
        ],
      },
    }),
    steps: [
      cli(tcp4(C, 41000, S, 23, 'S', { seq: 42 }), 'SYN to telnet: RST+ACK ack=43'),
      cli(tcp4(C, 41001, R_CLI, 22, 'S', { seq: 7, options: { mss: 1460 } }), 'SYN with MSS to the router: RST from the router'),
      cli(tcp4(C, 41002, S, 23, 'PA', { seq: 1000, ack: 777, payload: 'hello' }), 'data segment: RST seq=777'),
      cli(tcp4(C, 41003, S, 23, 'FA', { seq: 2000, ack: 888 }), 'FIN+ACK: RST seq=888'),
      cli(tcp4(C, 41004, S, 23, 'R', { seq: 3000 }), 'RST: no reset in answer'),
      cli(tcp4(C, 41005, S, 23, 'F', { seq: 4000 }), 'bare FIN (no ACK): RST+ACK ack=4001'),
    ],
  },
  {
    name: 'r_reject_2',
    description: 'REJECT ICMP variants on forwarded UDP: port (default), net, host, proto unreachable',
    tags: ['reject', 'reject-icmp'],
    iptables: ipt({
      filter: {
        rules: [
          '-A FORWARD -p udp --dport 1001 -j REJECT',
          '-A FORWARD -p udp --dport 1002 -j REJECT --reject-with icmp-net-unreachable',
          '-A FORWARD -p udp --dport 1003 -j REJECT --reject-with icmp-host-unreachable',
          '-A FORWARD -p udp --dport 1004 -j REJECT --reject-with icmp-proto-unreachable',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 5001, S, 1001, 'payload-1'), 'port unreachable'),
      cli(udp4(C, 5002, S, 1002, 'payload-2'), 'net unreachable'),
      cli(udp4(C, 5003, S, 1003, 'payload-3'), 'host unreachable'),
      cli(udp4(C, 5004, S, 1004, 'payload-4'), 'protocol unreachable'),
    ],
  },
  {
    name: 'r_reject_3',
    description: 'REJECT ICMP administrative variants: net-prohibited, host-prohibited, admin-prohibited, on TCP and ICMP echo',
    tags: ['reject', 'reject-icmp'],
    iptables: ipt({
      filter: {
        rules: [
          '-A FORWARD -p tcp --dport 80 -j REJECT --reject-with icmp-net-prohibited',
          '-A FORWARD -p tcp --dport 81 -j REJECT --reject-with icmp-host-prohibited',
          '-A FORWARD -p tcp --dport 82 -j REJECT --reject-with icmp-admin-prohibited',
          '-A FORWARD -p icmp -j REJECT --reject-with icmp-host-prohibited',
        ],
      },
    }),
    steps: [
      cli(tcp4(C, 42000, W, 80, 'S'), 'net prohibited'),
      cli(tcp4(C, 42001, W, 81, 'S'), 'host prohibited'),
      cli(tcp4(C, 42002, W, 82, 'S'), 'admin prohibited (code 13)'),
      cli(echo4(C, W, 77, 1), 'echo request rejected with host prohibited'),
    ],
  },
  {
    name: 'r_reject_4',
    description: 'REJECT in INPUT and OUTPUT: UDP and ICMP echo to the router rejected; a locally sent UDP datagram rejected in OUTPUT',
    tags: ['reject', 'local-in', 'local-out'],
    iptables: ipt({
      filter: {
        rules: [
          '-A INPUT -p udp --dport 53 -j REJECT',
          '-A INPUT -p icmp --icmp-type echo-request -j REJECT --reject-with icmp-net-prohibited',
          '-A OUTPUT -p udp --dport 514 -j REJECT',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 5353, R_CLI, 53, 'query'), 'DNS to the router: port unreachable from 10.0.1.1'),
      wan(echo4('198.51.100.7', '203.0.113.1', 5, 1), 'ping the WAN address: net prohibited'),
      local(udp4('10.0.2.1', 40000, S, 514, 'syslog'), 'the router sends syslog: rejected in OUTPUT (the error goes to itself)'),
      local(udp4('10.0.2.1', 40001, S, 515, 'not rejected'), 'another local datagram leaves'),
    ],
  },
  {
    name: 'r_reject_5',
    description: 'REJECT corner cases: quoted length of a big datagram, fragments held for reassembly never reach REJECT, a datagram with an IP option, TTL 2',
    tags: ['reject', 'fragments'],
    iptables: ipt({
      filter: {
        rules: ['-A FORWARD -d 10.0.2.100 -j REJECT'],
      },
    }),
    steps: [
      cli(udp4(C, 6000, S, 9000, 'x'.repeat(900)), 'big datagram: the error quotes 548 bytes'),
      cli(ipv4({ src: C, dst: S, id: 0x4242, mf: true, payload: udp({ sport: 6001, dport: 9001, payload: 'y'.repeat(64) }) }), 'first fragment (held for reassembly)'),
      cli(ipv4({ src: C, dst: S, id: 0x4343, fragOffset: 72, proto: 17, payload: new Uint8Array(40).fill(0x7a) }), 'lone non-first fragment: held for reassembly too'),
      cli(ipv4({ src: C, dst: S, id: 7, options: Uint8Array.of(0x94, 0x04, 0, 0), payload: udp({ sport: 6002, dport: 9002, payload: 'router-alert' }) }), 'router alert option'),
      cli(ipv4({ src: C, dst: S, id: 8, payload: udp({ sport: 6003, dport: 9003, payload: 'z' }), ttl: 2 }), 'ttl 2'),
    ],
  },
  {
    name: 'r_reject_6',
    description: 'ICMP error rate limit of REJECT: 10 rejected datagrams to one host in a burst, then one after a pause (burst of 6, then one per second)',
    tags: ['reject', 'icmp-ratelimit'],
    iptables: ipt({ filter: { rules: ['-A FORWARD -p udp -j REJECT'] } }),
    steps: [
      ...Array.from({ length: 10 }, (_, k) => cli(udp4(C, 7000 + k, S, 9999, `n${k}`), `datagram ${k}`)),
      pause(1.2),
      cli(udp4(C, 7100, S, 9999, 'after'), 'after 1.2 s: a token is back'),
      cli(udp4('10.0.1.101', 7101, S, 9999, 'other'), 'another source host: its own token bucket (the limit is per destination of the error)'),
    ],
  },
  {
    name: 'r_reject_7',
    description: 'REJECT tcp-reset on an established, MASQUERADEd connection: the reset travels back through reverse NAT',
    tags: ['reject', 'tcp-reset', 'nat'],
    iptables: ipt({
      nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] },
      filter: {
        rules: [
          '-A FORWARD -i r_wan -p tcp -m tcp --tcp-flags PSH PSH -j REJECT --reject-with tcp-reset',
          '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
          '-A FORWARD -i r_cli -j ACCEPT',
        ],
      },
    }),
    steps: (() => {
      const c = new Conv(C, 43000, W, 443, { cPub: ['203.0.113.1', 43000] });
      return [
        cli(c.c('S'), 'SYN'),
        wan(c.s('SA'), 'SYN/ACK'),
        cli(c.c('A'), 'ACK'),
        cli(c.c('PA', { payload: 'GET / HTTP/1.0\r\n\r\n' }), 'request'),
        wan(c.s('PA', { payload: 'HTTP/1.0 200 OK\r\n' }), 'PSH from the WAN: rejected with a RST towards the server'),
        wan(c.s('A'), 'pure ACK passes'),
      ];
    })(),
  },
];
