/**
 * The host's own answers and routing sysctls, second round: echo replies copying IP options,
 * echo to the broadcast address when allowed, ICMP rate limiting switched off (icmp_ratelimit=0,
 * icmp_ratemask=0) and the global ICMP budget (icmp_msgs_per_sec / icmp_msgs_burst), the source
 * address of ICMP errors (icmp_errors_use_inbound_ifaddr), per-interface forwarding, closed-port
 * TCP answers for odd segments, UDP port unreachable quoting IP options, timestamp requests that
 * are not answered, rp_filter with different values for "all" and the interface, redirects and
 * their rate limit, martian sources.
 *
 * Policy routing (fwmark rules) cannot be recorded: the recorder builds no `ip rule` / extra
 * routing tables.
 */

import { ipv4, udp } from '../../../src/packet/build.js';
import { cli, echo4, icmp4, ipt, pause, srv, tcp4, udp4, wan, R_CLI, R_SRV, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.170';

const OPEN = ipt({ filter: { rules: ['-A INPUT -p icmp -j ACCEPT', '-A INPUT -p tcp -j ACCEPT', '-A INPUT -p udp -j ACCEPT', '-A FORWARD -j ACCEPT', '-A OUTPUT -p icmp -j ACCEPT', '-A OUTPUT -p tcp -j ACCEPT'] } });

/** An IPv4 record-route option with room for `n` addresses. */
const rr = (n: number): Uint8Array => Uint8Array.from([7, 3 + 4 * n, 4, ...new Uint8Array(4 * n)]);

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_host_echo_2',
    description: 'echo replies: a request with a record-route option gets a reply carrying the option with the router\'s address recorded, a timestamp option (type 68) too; with icmp_echo_ignore_broadcasts=0 an echo to the subnet broadcast is answered from 10.0.1.1',
    tags: ['host-answers', 'echo', 'ip-options'],
    sysctls: { 'net.ipv4.icmp_echo_ignore_broadcasts': 0 },
    iptables: OPEN,
    steps: [
      cli(ipv4({ src: C, dst: R_CLI, options: rr(3), payload: { proto: 1, bytes: echo4(C, R_CLI, 0x4300, 1).slice(20), checksum: 'keep' } }), 'echo with record route'),
      cli(ipv4({ src: C, dst: R_CLI, options: Uint8Array.from([68, 12, 5, 0, ...new Uint8Array(8)]), payload: { proto: 1, bytes: echo4(C, R_CLI, 0x4300, 2).slice(20), checksum: 'keep' } }), 'echo with a timestamp option'),
      cli(echo4(C, '10.0.1.255', 0x4301, 1), 'echo to 10.0.1.255: answered'),
      cli(echo4(C, '255.255.255.255', 0x4302, 1), 'echo to 255.255.255.255: answered'),
    ],
  },
  {
    name: 'r_host_ratelimit_1',
    description: 'net.ipv4.icmp_ratelimit=0: ten UDP datagrams to closed ports of the router from one host each get their port unreachable (no per-destination token bucket)',
    tags: ['host-answers', 'icmp-ratelimit', 'udp-closed-port'],
    sysctls: { 'net.ipv4.icmp_ratelimit': 0 },
    iptables: OPEN,
    steps: Array.from({ length: 10 }, (_, k) => cli(udp4(C, 43000 + k, R_CLI, 9, `n${k}`), `datagram ${k}`)),
  },
  {
    name: 'r_host_ratelimit_2',
    description: 'net.ipv4.icmp_ratemask=0: no ICMP type is rate limited, which also exempts the errors from the global budget (icmp_msgs_per_sec=1, icmp_msgs_burst=3 have no effect): all eight port unreachables go out',
    tags: ['host-answers', 'icmp-ratelimit'],
    sysctls: { 'net.ipv4.icmp_ratemask': 0, 'net.ipv4.icmp_msgs_per_sec': 1, 'net.ipv4.icmp_msgs_burst': 3 },
    iptables: OPEN,
    steps: [
      ...Array.from({ length: 6 }, (_, k) => cli(udp4(`10.0.1.${110 + k}`, 43100 + k, R_CLI, 9, `h${k}`), `host .${110 + k}`)),
      pause(1.5),
      cli(udp4('10.0.1.120', 43110, R_CLI, 9, 'later'), 'after 1.5 s'),
      cli(udp4('10.0.1.121', 43111, R_CLI, 9, 'later 2'), 'right after'),
    ],
  },
  ...[0, 1].map(
    (v): ScenarioSpec => ({
      name: `r_host_errsrc_${v + 1}`,
      description: v
        ? 'icmp_errors_use_inbound_ifaddr=1: a WAN-sourced packet arriving on r_cli with TTL 1 gets its time exceeded from 10.0.1.1 (the interface it came in on), sent out r_wan towards the source'
        : 'icmp_errors_use_inbound_ifaddr=0 (default): a WAN-sourced packet arriving on r_cli with TTL 1 gets its time exceeded from the address of the interface the error leaves by (203.0.113.1, r_wan)',
      tags: ['host-answers', 'time-exceeded'],
      sysctls: v ? { 'net.ipv4.icmp_errors_use_inbound_ifaddr': 1 } : {},
      iptables: OPEN,
      steps: [cli(udp4(W, 43200, S, 33434, 'probe', { ttl: 1 }), 'TTL 1 from a WAN source on r_cli'), srv(udp4(S, 43201, W, 33434, 'probe', { ttl: 1 }), 'TTL 1 from the DMZ')],
    }),
  ),
  {
    name: 'r_host_forwarding_1',
    description: 'per-interface forwarding: net.ipv4.conf.r_wan.forwarding=0 stops packets arriving on r_wan from being forwarded (dropped after conntrack, no ICMP error), replies of LAN flows included, while LAN packets still go out r_wan; packets to the router on r_wan are delivered',
    tags: ['host-answers', 'no-forwarding'],
    sysctls: { 'net.ipv4.conf.r_wan.forwarding': 0 },
    iptables: OPEN,
    steps: [
      cli(udp4(C, 43300, W, 53, 'out'), 'LAN -> WAN: forwarded'),
      wan(udp4(W, 43301, S, 53, 'in'), 'WAN -> DMZ: not forwarded'),
      wan(udp4(W, 53, C, 43300, 'reply'), 'the reply to the LAN flow: not forwarded either'),
      wan(echo4(W, R_WAN, 0x4330, 1), 'ping the router: answered'),
    ],
  },
  {
    name: 'r_host_tcp_2',
    description: 'closed TCP ports of the router, odd segments: SYN+FIN and SYN+RST (dropped by the stack, no RST), an ACK with data (RST seq=ack), a FIN without ACK (RST+ACK), a SYN to the subnet broadcast (no answer)',
    tags: ['host-answers', 'tcp-closed-port'],
    iptables: OPEN,
    steps: [
      cli(tcp4(C, 43400, R_CLI, 80, 'SF', { seq: 10 }), 'SYN+FIN'),
      cli(tcp4(C, 43401, R_CLI, 80, 'SR', { seq: 20 }), 'SYN+RST'),
      cli(tcp4(C, 43402, R_CLI, 80, 'PA', { seq: 30, ack: 4444, payload: 'data' }), 'ACK with data: RST seq=4444'),
      cli(tcp4(C, 43403, R_CLI, 80, 'F', { seq: 40 }), 'FIN without ACK: RST+ACK ack=41'),
      cli(tcp4(C, 43404, '10.0.1.255', 80, 'S', { seq: 50 }), 'SYN to the broadcast address: no answer'),
    ],
  },
  {
    name: 'r_host_udp_2',
    description: 'UDP port unreachable details: the error quotes the datagram with its IP options (the quoted header is 24 bytes), is sent from the address the datagram was sent to (the DMZ address of the router reached from the LAN); a datagram with a bad IP header checksum is dropped silently',
    tags: ['host-answers', 'udp-closed-port', 'ip-options'],
    iptables: OPEN,
    steps: [
      cli(ipv4({ src: C, dst: R_CLI, options: Uint8Array.of(1, 1, 1, 0), payload: udp({ sport: 43500, dport: 9, payload: 'opts' }) }), 'datagram with 4 bytes of options'),
      cli(udp4(C, 43501, R_SRV, 9, 'other address'), 'to 10.0.2.1 from the LAN: error from 10.0.2.1'),
      cli(udp4(C, 43502, R_CLI, 9, 'bad ip csum', { ipChecksum: 'bad' }), 'bad IP header checksum: dropped before anything'),
    ],
  },
  {
    name: 'r_host_timestamp_2',
    description: 'ICMP timestamp requests: a normal one is answered; one with a 4-byte body is answered too, with a full 20-byte reply; one to the subnet broadcast is ignored (icmp_echo_ignore_broadcasts covers timestamps); a timestamp reply to the router is INVALID and just delivered',
    tags: ['host-answers', 'icmp-timestamp'],
    iptables: OPEN,
    steps: [
      cli(icmp4(C, R_CLI, 13, 0, { id4: 0x4360, seq: 1, payload: new Uint8Array(12) }), 'timestamp request: answered'),
      cli(icmp4(C, R_CLI, 13, 0, { id4: 0x4361, seq: 1, payload: new Uint8Array(4) }), '4-byte body: full reply'),
      cli(icmp4(C, '10.0.1.255', 13, 0, { id4: 0x4362, seq: 1, payload: new Uint8Array(12) }), 'to the broadcast: ignored'),
      cli(icmp4(C, R_CLI, 14, 0, { id4: 0x4363, seq: 1, payload: new Uint8Array(12) }), 'a timestamp reply to the router'),
    ],
  },
  {
    name: 'r_rpfilter_4',
    description: 'rp_filter takes the larger of "all" and the interface\'s value: all=2 (loose) with r_cli=1 (strict) behaves as loose on r_cli (a DMZ source arriving there passes); r_wan=1 with all=0 stays strict (a LAN source on r_wan is dropped)',
    tags: ['rp_filter'],
    sysctls: { 'net.ipv4.conf.all.rp_filter': 2, 'net.ipv4.conf.r_cli.rp_filter': 1, 'net.ipv4.conf.r_wan.rp_filter': 1 },
    iptables: OPEN,
    steps: [
      cli(udp4('10.0.2.150', 43600, W, 9, 'dmz src on lan'), 'DMZ source on r_cli: loose, passes'),
      wan(udp4('10.0.1.150', 43601, S, 9, 'lan src on wan'), 'LAN source on r_wan: loose too (all=2 wins), passes'),
      cli(udp4('192.0.2.99', 43602, S, 9, 'no route back? default route exists'), 'off-link source on r_cli: has a route (default), passes'),
      cli(udp4(C, 43603, S, 9, 'ok'), 'legitimate'),
    ],
  },
  {
    name: 'r_rpfilter_5',
    description: 'strict rp_filter (all=1) and locally generated errors: a spoofed LAN packet arriving on r_wan is dropped before conntrack confirmation (NEW, never confirmed) without an ICMP error; a legitimate TTL-1 packet still gets its time exceeded',
    tags: ['rp_filter', 'time-exceeded'],
    sysctls: { 'net.ipv4.conf.all.rp_filter': 1 },
    iptables: OPEN,
    steps: [
      wan(udp4(C, 43700, S, 9, 'spoofed', { ttl: 1 }), 'spoofed LAN source on r_wan with TTL 1: dropped, no error'),
      cli(udp4(C, 43701, S, 9, 'ok', { ttl: 1 }), 'legitimate TTL 1: time exceeded'),
      wan(echo4(C, R_WAN, 0x4370, 1), 'spoofed ping to the router: dropped'),
    ],
  },
  {
    name: 'r_host_redirect_2',
    runs: 3,
    description: 'ICMP redirects (send_redirects=1 on r_srv only) and their per-source backoff: DMZ hairpin traffic gets a redirect, the next packet 20 ms later none (the next one may only come after 40 ms), after a 0.2 s pause another destination gets one, the packet right after it none (80 ms now); LAN hairpin traffic (send_redirects 0 on r_cli) never',
    tags: ['host-answers', 'redirect', 'hairpin'],
    sysctls: { 'net.ipv4.conf.r_srv.send_redirects': 1 },
    iptables: OPEN,
    steps: [
      srv(udp4(S, 43800, '10.0.2.101', 9, 'one'), 'DMZ to DMZ: redirect'),
      srv(udp4(S, 43801, '10.0.2.101', 9, 'two'), 'right after: no redirect'),
      pause(0.2),
      srv(udp4(S, 43802, '10.0.2.102', 9, 'other'), 'another destination after 0.2 s: redirect'),
      srv(udp4(S, 43803, '10.0.2.102', 9, 'other again'), 'right after: no redirect'),
      cli(udp4(C, 43804, C2, 9, 'lan'), 'LAN to LAN: no redirect on r_cli'),
    ],
  },
  {
    name: 'r_host_martian_2',
    description: 'sources and destinations at the edge: the LAN broadcast 10.0.1.255 as source is forwarded, a source in 0.0.0.0/8 (valid since Linux 5.3) is forwarded, destination 0.0.0.0 and a 127.0.0.0/8 source towards the router are dropped (NEW, never confirmed)',
    tags: ['host-answers', 'martian'],
    iptables: OPEN,
    steps: [
      cli(udp4('10.0.1.255', 43900, S, 9, 'bcast src'), 'broadcast source'),
      cli(udp4('0.1.2.3', 43901, S, 9, 'zeronet'), 'source 0.1.2.3'),
      cli(udp4(C, 43902, '0.0.0.0', 9, 'zero dst'), 'destination 0.0.0.0'),
      cli(udp4('127.0.0.5', 43903, R_CLI, 9, 'loopback src'), 'source 127.0.0.5 to the router'),
      cli(tcp4(C, 43904, S, 80, 'S'), 'a normal SYN: forwarded'),
    ],
  },
];
