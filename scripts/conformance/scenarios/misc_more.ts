/**
 * Odds and ends that complete the other families: UDP stream timeouts and expiry with replies,
 * ICMP errors RELATED to TCP connections in several states and in both directions, ICMP
 * redirects and source quench as related errors, an error quoting only 8 bytes of UDP, tiny
 * first fragments, the
 * conntrack match on helper-created connections (--ctstatus EXPECTED, --ctstate RELATED) and
 * the helper match on TFTP data, the mac match on IPv6 frames, TFTP over IPv6, MASQUERADE
 * with a port range for TCP and ICMP, ICMP timeouts, and the conntrack state the router's own
 * ICMP errors carry in OUTPUT.
 */

import { fragmentIpv4, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { cli, Conv, echo4, icmpErr4, ipt, local, pause, srv, tcp4, udp4, wan, R_CLI, R_SRV, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.190';
const HOP = '198.51.100.1';

const OBSERVE = ipt({
  filter: {
    rules: [
      '-A FORWARD -m conntrack --ctstate INVALID -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate NEW -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT',
      '-A INPUT -p icmp -j ACCEPT',
    ],
  },
});

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_udp_stream_3',
    description: 'nf_conntrack_udp_timeout_stream=50 and nf_conntrack_udp_timeout=5: the request/reply pair has timeout 5, the packet 2.6 s after the first makes the flow ASSURED with timeout 50; a flow whose first packet came from the server side has the server as originator',
    tags: ['udp-stream', 'udp'],
    sysctls: { 'net.netfilter.nf_conntrack_udp_timeout_stream': 50, 'net.netfilter.nf_conntrack_udp_timeout': 5 },
    iptables: OBSERVE,
    steps: [
      cli(udp4(C, 45000, W, 500, 'isakmp 1'), 'request: timeout 5'),
      wan(udp4(W, 500, C, 45000, 'isakmp 2'), 'reply'),
      srv(udp4(S, 45001, C, 514, 'from the server first'), 'DMZ host sends first: originator'),
      cli(udp4(C, 514, S, 45001, 'reply'), 'the LAN answers'),
      pause(2.6),
      cli(udp4(C, 45000, W, 500, 'isakmp 3'), '2.6 s later: ASSURED, timeout 50'),
    ],
  },
  {
    name: 'r_udp_timeout_2',
    description: 'nf_conntrack_udp_timeout=2: an unreplied flow expires; a reply arriving afterwards is a NEW connection with the server as originator; a flow refreshed every second stays (DESTROY lines not compared)',
    tags: ['expiry', 'udp'],
    sysctls: { 'net.netfilter.nf_conntrack_udp_timeout': 2 },
    nondeterministic: { ignore_destroy_events: true },
    iptables: OBSERVE,
    steps: [
      cli(udp4(C, 45010, W, 53, 'late answer'), 'query A'),
      cli(udp4(C, 45011, W, 123, 'kept'), 'flow B'),
      pause(1.2),
      cli(udp4(C, 45011, W, 123, 'kept'), 'flow B refreshed'),
      pause(1.2),
      cli(udp4(C, 45011, W, 123, 'kept'), 'flow B refreshed again: still there'),
      wan(udp4(W, 53, C, 45010, 'answer'), 'answer to A after 2.4 s: A expired, NEW from the WAN side'),
    ],
  },
  {
    name: 'r_icmp_related_4',
    description: 'ICMP errors RELATED to TCP connections: port unreachable about a SYN (SYN_SENT), fragmentation needed about an established segment, and an error sent by the client about the server\'s segment (reply direction of the connection, quoting the server\'s packet)',
    tags: ['ct-related', 'icmp-err-tcp'],
    iptables: OBSERVE,
    steps: (() => {
      const a = new Conv(C, 45020, W, 443);
      const b = new Conv(C, 45021, W, 443);
      return [
        cli(a.c('S'), 'A: SYN'),
        wan(icmpErr4(HOP, C, 3, 3, tcp4(C, 45020, W, 443, 'S', { ttl: 63 })), 'A: port unreachable about the SYN: RELATED'),
        cli(b.c('S')),
        wan(b.s('SA')),
        cli(b.c('A')),
        cli(b.c('PA', { payload: 'x'.repeat(1000) }), 'B: 1000 bytes'),
        wan(icmpErr4(HOP, C, 3, 4, tcp4(C, 45021, W, 443, 'PA', { seq: 1001, ack: 5001, payload: 'x'.repeat(1000), ttl: 60 }), { rest: 576 }), 'B: fragmentation needed: RELATED'),
        wan(b.s('PA', { payload: 'response' }), 'B: server data'),
        cli(icmpErr4(C, W, 3, 2, tcp4(W, 443, C, 45021, 'PA', { seq: 5001, ack: 2001, payload: 'response', ttl: 63 })), 'B: protocol unreachable from the client about it: RELATED'),
      ];
    })(),
  },
  {
    name: 'r_icmp_related_5',
    description: 'ICMP errors of other types: a redirect (type 5) and a source quench (type 4) about a tracked UDP flow are RELATED and forwarded; an error quoting exactly 8 bytes of UDP is enough; a parameter problem about an ICMP echo is RELATED to the echo',
    tags: ['ct-related', 'icmp'],
    iptables: OBSERVE,
    steps: (() => {
      const q = udp4(C, 45030, W, 53, 'query', { ttl: 63 });
      const e = echo4(C, W, 0x4503, 1, { ttl: 63 });
      return [
        cli(udp4(C, 45030, W, 53, 'query'), 'UDP flow'),
        wan(icmpErr4(HOP, C, 5, 1, q, { rest: 0xc6336402 }), 'host redirect about it: RELATED'),
        wan(icmpErr4(HOP, C, 4, 0, q), 'source quench: RELATED'),
        wan(icmpErr4(HOP, C, 3, 3, q, { quoteLen: 28 }), 'port unreachable with 8 bytes of UDP: RELATED'),
        cli(echo4(C, W, 0x4503, 1), 'echo'),
        wan(icmpErr4(HOP, C, 12, 0, e, { rest: 0x14000000 }), 'parameter problem about the echo: RELATED'),
      ];
    })(),
  },
  {
    name: 'r_frag_6',
    description: 'tiny fragments: a TCP SYN split so that the first fragment carries only 8 bytes of TCP (ports, no flags) is reassembled and tracked as a SYN; a UDP datagram whose first fragment is only its 8-byte header; both forwarded as the original fragments',
    tags: ['fragments'],
    iptables: OBSERVE,
    steps: (() => {
      const syn = ipv4({ src: C, dst: S, id: 0x6060, payload: tcp({ sport: 45050, dport: 80, flags: 'S', seq: 1000, options: { mss: 1460, sackPerm: true, wscale: 7 } }) });
      const u = ipv4({ src: C, dst: S, id: 0x6161, payload: udp({ sport: 45051, dport: 9, payload: 'after the header' }) });
      return [...fragmentIpv4(syn, 8).map((f, k) => cli(f, `SYN fragment ${k + 1} (8 bytes of TCP)`)), ...fragmentIpv4(u, 8).map((f, k) => cli(f, `UDP fragment ${k + 1}`))];
    })(),
  },
  {
    name: 'r_match_conntrack_3',
    description: 'conntrack match on a helper\'s child connection: --ctstatus EXPECTED and --ctstate RELATED match the FTP data connection\'s first packet, its later packets are ESTABLISHED with status EXPECTED still set; --ctstatus CONFIRMED never matches a NEW packet',
    tags: ['conntrack-match', 'helper', 'ftp', 'expect'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'] },
      filter: {
        policies: { FORWARD: 'DROP' },
        rules: [
          '-A FORWARD -m conntrack --ctstatus CONFIRMED --ctstate NEW -j DROP',
          '-A FORWARD -m conntrack --ctstate RELATED --ctstatus EXPECTED -j ACCEPT',
          '-A FORWARD -m conntrack --ctstate ESTABLISHED --ctstatus EXPECTED -j ACCEPT',
          '-A FORWARD -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT',
        ],
      },
    }),
    steps: (() => {
      const c = new Conv(C, 45060, S, 21);
      const d = new Conv(S, 20, C, 45070);
      return [
        cli(c.c('S')),
        srv(c.s('SA')),
        cli(c.c('A')),
        srv(c.s('PA', { payload: '220 hi\r\n' })),
        cli(c.c('PA', { payload: 'USER x\r\n' })),
        srv(c.s('PA', { payload: '331 ok\r\n' })),
        cli(c.c('PA', { payload: 'PORT 10,0,1,100,176,14\r\n' }), 'PORT 45070'),
        srv(c.s('PA', { payload: '200 ok\r\n' })),
        srv(d.c('S'), 'data SYN: RELATED + EXPECTED'),
        cli(d.s('SA'), 'SYN/ACK: ESTABLISHED + EXPECTED'),
        srv(d.c('A'), 'ACK'),
      ];
    })(),
  },
  {
    name: 'r_match_helper_2',
    description: 'helper match on TFTP: -m helper --helper tftp matches the RRQ\'s connection (it has the helper) and the RELATED data connection (its master\'s helper); other UDP does not match and is dropped',
    tags: ['helper', 'tftp', 'helper-tftp'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -p udp --dport 69 -j CT --helper tftp'] },
      filter: { policies: { FORWARD: 'DROP' }, rules: ['-A FORWARD -m helper --helper tftp -j ACCEPT', '-A FORWARD -m helper --helper ftp -j DROP'] },
    }),
    steps: [
      cli(udp4(C, 45080, S, 69, '\x00\x01file\x00octet\x00'), 'RRQ: helper tftp'),
      srv(udp4(S, 33100, C, 45080, '\x00\x03\x00\x01data'), 'DATA: related, master\'s helper tftp'),
      cli(udp4(C, 45081, S, 70, 'x'), 'other UDP: dropped'),
    ],
  },
  {
    name: 'r_match_mac_2',
    description: 'mac match on IPv6 traffic (Ethernet capture): --mac-source of the LAN neighbour accepted in FORWARD, a WAN frame rejected by a negated --mac-source, echo to the router from the LAN MAC accepted in INPUT (ip6tables)',
    tags: ['mac', 'ipv6', 'ip6tables'],
    linktype: 1,
    ipv6: true,
    ip6tables: ipt({
      filter: {
        rules: [
          '-A INPUT -p ipv6-icmp -m mac --mac-source 02:00:00:00:01:02 -j ACCEPT',
          '-A INPUT -p ipv6-icmp --icmpv6-type echo-request -j DROP',
          '-A FORWARD -m mac --mac-source 02:00:00:00:01:02 -j ACCEPT',
          '-A FORWARD -m mac ! --mac-source 02:00:00:00:03:02 -j ACCEPT',
          '-A FORWARD -j REJECT',
        ],
      },
    }),
    steps: [
      cli(ipv6({ src: 'fd00:1::100', dst: 'fd00:2::100', payload: udp({ sport: 45100, dport: 9, payload: 'lan' }) }), 'from the LAN MAC: accepted'),
      wan(ipv6({ src: '2001:db8::190', dst: 'fd00:2::100', payload: udp({ sport: 45101, dport: 9, payload: 'wan' }) }), 'from the WAN MAC: rejected'),
      srv(ipv6({ src: 'fd00:2::100', dst: 'fd00:1::100', payload: udp({ sport: 45102, dport: 9, payload: 'dmz' }) }), 'from the DMZ MAC: negation matches'),
      cli(ipv6({ src: 'fd00:1::100', dst: 'fd00:1::1', payload: { proto: 58, bytes: Uint8Array.of(128, 0, 0, 0, 0x45, 0x10, 0, 1), checksum: 'auto' } }), 'echo to the router from the LAN MAC'),
    ],
  },
  {
    name: 'r_helper_tftp_ipv6_1',
    description: 'TFTP over IPv6 with ip6tables CT --helper tftp: the RRQ expects the server\'s data from any port ([fd00:2::100]:any -> [fd00:1::100]:45110, conntrack -L expect), the DATA from port 33200 is RELATED',
    tags: ['helper', 'tftp', 'helper-tftp', 'ipv6', 'ip6tables', 'expect'],
    ipv6: true,
    ip6tables: ipt({
      raw: { rules: ['-A PREROUTING -p udp --dport 69 -j CT --helper tftp'] },
      filter: { policies: { FORWARD: 'DROP' }, rules: ['-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -i r_cli -j ACCEPT'] },
    }),
    steps: [
      cli(ipv6({ src: 'fd00:1::100', dst: 'fd00:2::100', payload: udp({ sport: 45110, dport: 69, payload: '\x00\x01boot6\x00octet\x00' }) }), 'RRQ: expectation'),
      srv(ipv6({ src: 'fd00:2::100', dst: 'fd00:1::100', payload: udp({ sport: 33200, dport: 45110, payload: '\x00\x03\x00\x01data' }) }), 'DATA: RELATED'),
      srv(ipv6({ src: 'fd00:2::100', dst: 'fd00:1::100', payload: udp({ sport: 33201, dport: 45111, payload: '\x00\x03\x00\x01data' }) }), 'to another client port: dropped'),
    ],
  },
  {
    name: 'r_nat_masq_ports_1',
    runs: 4,
    description: 'MASQUERADE --to-ports 41000-41009 for TCP and UDP: a source port inside the range is kept, one outside is moved into the range (random, masked); ICMP echo is masqueraded by the rule without ports (id kept)',
    tags: ['masquerade', 'nat', 'nat-range'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -p tcp -j MASQUERADE --to-ports 41000-41009', '-A POSTROUTING -o r_wan -p udp -j MASQUERADE --to-ports 41000-41009', '-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: { rules: [] } }),
    steps: [
      cli(tcp4(C, 41005, W, 443, 'S'), 'TCP from 41005: kept'),
      cli(tcp4(C, 45120, W, 443, 'S'), 'TCP from 45120: moved into the range'),
      cli(udp4(C, 41003, W, 53, 'q'), 'UDP from 41003: kept'),
      cli(echo4(C, W, 0x4512, 1), 'echo: id kept'),
      wan(echo4(W, R_WAN, 0x4512, 1, { reply: true }), 'echo reply: back to 10.0.1.100'),
    ],
  },
  {
    name: 'r_icmp_timeout_2',
    description: 'nf_conntrack_icmp_timeout=3: an echo conversation refreshed every 2 s stays, a request left alone 4 s expires and its late reply is INVALID (DESTROY lines not compared)',
    tags: ['icmp', 'expiry'],
    sysctls: { 'net.netfilter.nf_conntrack_icmp_timeout': 3 },
    nondeterministic: { ignore_destroy_events: true },
    iptables: OBSERVE,
    steps: [
      cli(echo4(C, W, 0x4513, 1), 'A: request'),
      cli(echo4(C, W, 0x4514, 1), 'B: request'),
      wan(echo4(W, C, 0x4513, 1, { reply: true }), 'A: reply'),
      pause(2),
      cli(echo4(C, W, 0x4513, 2), 'A: request 2 s later: ESTABLISHED'),
      wan(echo4(W, C, 0x4513, 2, { reply: true }), 'A: reply'),
      pause(2),
      wan(echo4(W, C, 0x4514, 1, { reply: true }), 'B: reply 4 s after its request: INVALID'),
      cli(echo4(C, W, 0x4513, 3), 'A: 2 s after its last packet: ESTABLISHED'),
    ],
  },
  {
    name: 'r_ct_local_1',
    description: 'the conntrack state of packets the router itself sends: its port unreachable for a tracked UDP flow is RELATED in OUTPUT, its echo reply ESTABLISHED, its TCP RST for a closed port ESTABLISHED (the reply of the SYN\'s entry, which it then closes), its own new UDP NEW; each counted by its own OUTPUT rule',
    tags: ['local-out', 'ct-related', 'host-answers'],
    iptables: ipt({
      filter: {
        rules: [
          '-A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT',
          '-A OUTPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT',
          '-A OUTPUT -m conntrack --ctstate NEW -j ACCEPT',
          '-A OUTPUT -m conntrack --ctstate INVALID -j ACCEPT',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 45130, R_CLI, 9, 'closed'), 'UDP to a closed port: RELATED error'),
      cli(echo4(C, R_CLI, 0x4515, 1), 'echo: ESTABLISHED reply'),
      cli(tcp4(C, 45131, R_CLI, 80, 'S'), 'SYN to a closed port: RST'),
      local(udp4(R_SRV, 45132, S, 53, 'q'), 'router UDP: NEW'),
    ],
  },
];
