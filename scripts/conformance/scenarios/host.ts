/**
 * The host's own answers and routing decisions: echo and timestamp replies, RST and port
 * unreachable for closed ports, time exceeded for TTL 1, forwarding disabled, martian and
 * broadcast addresses, ICMP redirects for hairpinned traffic, and reverse path filtering
 * (strict, loose, per interface).
 */

import { cli, echo4, icmp4, ipt, local, srv, tcp4, udp4, wan, R_CLI, R_SRV, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.30';

/** Stateless accept-all filter with counters on the paths that matter. */
const OPEN = ipt({
  filter: {
    rules: ['-A INPUT -p icmp -j ACCEPT', '-A INPUT -p tcp -j ACCEPT', '-A INPUT -p udp -j ACCEPT', '-A FORWARD -j ACCEPT', '-A OUTPUT -p icmp -j ACCEPT', '-A OUTPUT -p tcp -j ACCEPT'],
  },
});

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_host_echo_1',
    description: 'echo requests to each router address from each side (echo replies, same payload), an echo with a bad checksum, a timestamp request, an address mask request, an echo to the subnet broadcast',
    tags: ['host-answers', 'echo'],
    iptables: OPEN,
    steps: [
      cli(echo4(C, R_CLI, 1, 1), 'ping r_cli address'),
      cli(echo4(C, R_WAN, 1, 2, { payload: 'x'.repeat(200) }), 'ping the WAN address from the LAN, 200 bytes'),
      srv(echo4(S, R_SRV, 2, 1, { ttl: 1 }), 'ping with TTL 1: delivered, answered'),
      wan(echo4(W, R_WAN, 3, 1, { tos: 0x10 }), 'ping with TOS 0x10 from the internet'),
      cli(echo4(C, R_CLI, 4, 1, { checksum: 'bad' }), 'echo with a bad ICMP checksum'),
      cli(icmp4(C, R_CLI, 13, 0, { id4: 5, seq: 1, payload: new Uint8Array(12) }), 'timestamp request: timestamp reply'),
      cli(icmp4(C, R_CLI, 17, 0, { id4: 6, seq: 1, payload: new Uint8Array(4) }), 'address mask request: no answer'),
      cli(echo4(C, '10.0.1.255', 7, 1), 'echo to the subnet broadcast: ignored (icmp_echo_ignore_broadcasts)'),
      cli(echo4(C, R_CLI, 1, 3), 'ping r_cli again'),
    ],
  },
  {
    name: 'r_host_tcp_1',
    description: 'TCP to closed ports of the router: RST+ACK for a SYN (also with data), RST seq=ack for an ACK, RST for a FIN, nothing for a RST; on two router addresses',
    tags: ['host-answers', 'tcp-closed-port'],
    iptables: OPEN,
    steps: [
      cli(tcp4(C, 50000, R_CLI, 80, 'S', { seq: 100, options: { mss: 1460, sackPerm: true, wscale: 7, ts: [1, 0] } }), 'SYN with options to a closed port'),
      cli(tcp4(C, 50001, R_SRV, 443, 'S', { seq: 200 }), 'SYN to the DMZ address of the router'),
      cli(tcp4(C, 50002, R_CLI, 22, 'A', { seq: 300, ack: 9999 }), 'stray ACK: RST seq=9999'),
      cli(tcp4(C, 50003, R_CLI, 22, 'FA', { seq: 400, ack: 1234 }), 'FIN+ACK'),
      cli(tcp4(C, 50004, R_CLI, 22, 'R', { seq: 500 }), 'RST: no answer'),
      cli(tcp4(C, 50005, R_CLI, 25, 'S', { seq: 600, payload: 'early data' }), 'SYN with data'),
      wan(tcp4(W, 50006, R_WAN, 8080, 'PA', { seq: 700, ack: 55, payload: 'GET' }), 'data from the internet'),
    ],
  },
  {
    name: 'r_host_udp_1',
    description: 'UDP to closed ports of the router: ICMP port unreachable (quoting the datagram), none for a bad checksum, a zero checksum is accepted, none for a broadcast or the limited broadcast',
    tags: ['host-answers', 'udp-closed-port'],
    iptables: OPEN,
    steps: [
      cli(udp4(C, 40000, R_CLI, 53, 'query'), 'DNS to the router: port unreachable'),
      cli(udp4(C, 40001, R_CLI, 123, 'ntp', { checksum: 'bad' }), 'bad UDP checksum: invalid, dropped by the stack'),
      cli(udp4(C, 40002, R_CLI, 161, 'snmp', { checksum: 0 }), 'no checksum (0): port unreachable'),
      cli(udp4(C, 40003, '10.0.1.255', 137, 'netbios'), 'subnet broadcast: no error'),
      cli(udp4('0.0.0.0', 68, '255.255.255.255', 67, 'dhcp'), 'limited broadcast from 0.0.0.0 (DHCP discover): no error'),
      wan(udp4(W, 40004, R_WAN, 500, 'x'.repeat(1000)), 'big datagram from the internet: the error quotes 548 bytes'),
      srv(udp4(S, 40005, R_SRV, 1900, 'ssdp'), 'from the DMZ'),
    ],
  },
  {
    name: 'r_host_ttl_1',
    description: 'TTL 1 on forwarded TCP, UDP, ICMP echo: time exceeded from the ingress address; TTL 2 passes with TTL 1; TTL 1 to the router itself is delivered; time exceeded is not sent for an ICMP error',
    tags: ['host-answers', 'time-exceeded'],
    iptables: OPEN,
    steps: [
      cli(tcp4(C, 51000, W, 80, 'S', { ttl: 1 }), 'TCP SYN with TTL 1'),
      cli(udp4(C, 51001, W, 33434, 'trace', { ttl: 1 }), 'traceroute probe with TTL 1'),
      srv(echo4(S, W, 9, 1, { ttl: 1 }), 'echo with TTL 1 from the DMZ: time exceeded from 10.0.2.1'),
      cli(udp4(C, 51002, W, 33435, 'trace', { ttl: 2 }), 'TTL 2: forwarded with TTL 1'),
      cli(udp4(C, 51003, R_CLI, 33436, 'to me', { ttl: 1 }), 'TTL 1 to the router itself: port unreachable'),
      cli(icmp4(C, W, 3, 3, { ttl: 1, payload: udp4(W, 53, C, 51009, 'q').subarray(0, 28) }), 'an ICMP error with TTL 1: dropped, no time exceeded'),
      wan(tcp4(W, 80, C, 51000, 'SA', { ttl: 1, seq: 5000, ack: 1001 }), 'TTL 1 from the WAN'),
    ],
  },
  {
    name: 'r_host_noforward_1',
    description: 'ip_forward=0: packets between interfaces are not forwarded (host unreachable from the router), packets to the router still delivered',
    tags: ['host-answers', 'no-forwarding'],
    iptables: OPEN,
    sysctls: { 'net.ipv4.ip_forward': 0 },
    steps: [
      cli(tcp4(C, 52000, S, 22, 'S'), 'SYN to the DMZ: not forwarded'),
      cli(udp4(C, 52001, W, 53, 'q'), 'UDP to the internet: not forwarded'),
      cli(echo4(C, R_SRV, 1, 1), 'ping the DMZ address of the router: answered'),
      srv(tcp4(S, 52002, C, 22, 'S'), 'SYN from the DMZ to the LAN'),
      cli(tcp4(C, 52000, S, 22, 'S'), 'SYN again (ICMP rate limit per host)'),
    ],
  },
  {
    name: 'r_host_noroute_1',
    description: 'no default route: traffic to off-link networks gets ICMP network unreachable (rate limited per host), on-link WAN hosts still reachable, a local packet without route never leaves the socket, an inbound flow whose replies have no route',
    tags: ['host-answers', 'no-route'],
    iptables: OPEN,
    defaultRoute: false,
    steps: [
      cli(udp4(C, 58000, W, 53, 'q'), 'UDP to the internet: net unreachable'),
      cli(tcp4(C, 58001, '192.0.2.9', 443, 'S'), 'TCP SYN to another off-link network'),
      cli(udp4(C, 58002, '203.0.113.150', 53, 'q'), 'on-link WAN host: forwarded'),
      local(udp4(R_WAN, 58003, W, 53, 'q'), 'local packet without a route: refused by the socket'),
      wan(udp4(W, 58004, C, 9, 'in'), 'inbound from an off-link source: forwarded (rp_filter off)'),
      cli(udp4(C, 9, W, 58004, 'reply'), 'its reply: no route'),
    ],
  },
  {
    name: 'r_host_martian_1',
    description: 'martian and special addresses arriving on r_cli: loopback destination and source, the router\'s own address as source, multicast all-hosts, limited broadcast, class E, a zero source to a unicast address',
    tags: ['host-answers', 'martian'],
    iptables: OPEN,
    steps: [
      cli(udp4(C, 53000, '127.0.0.1', 53, 'lo'), 'destination 127.0.0.1'),
      cli(udp4('127.0.0.1', 53001, S, 53, 'lo src'), 'source 127.0.0.1'),
      cli(udp4(R_SRV, 53002, S, 53, 'own src'), 'source = the router\'s DMZ address'),
      cli(echo4(C, '224.0.0.1', 3, 1), 'echo to all-hosts multicast'),
      cli(udp4(C, 53003, '224.0.0.251', 5353, 'mdns'), 'mDNS multicast: not forwarded'),
      cli(udp4(C, 53004, '240.0.0.1', 9, 'class e'), 'class E destination'),
      cli(udp4('0.0.0.0', 53005, S, 9, 'zero src'), 'source 0.0.0.0 to a unicast address'),
      cli(udp4(C, 53006, S, 9, 'normal'), 'a normal datagram, forwarded'),
    ],
  },
  {
    name: 'r_host_redirect_1',
    description: 'send_redirects=1: a LAN host sends to another LAN host through the router (hairpin): forwarded back out r_cli plus an ICMP redirect (rate limited)',
    tags: ['host-answers', 'redirect', 'hairpin'],
    iptables: OPEN,
    sysctls: { 'net.ipv4.conf.all.send_redirects': 1 },
    steps: [
      cli(udp4(C, 54000, C2, 9, 'one'), 'LAN to LAN via the router: redirect'),
      cli(udp4(C, 54001, C2, 9, 'two'), 'again (redirects are rate limited: 1 then exponential backoff)'),
      cli(tcp4(C, 54002, C2, 80, 'S'), 'TCP SYN'),
      srv(udp4(S, 54003, '10.0.2.101', 9, 'dmz'), 'DMZ hairpin'),
    ],
  },
  {
    name: 'r_rpfilter_1',
    description: 'rp_filter=1 (strict): spoofed LAN/DMZ sources on the wrong interface are dropped after conntrack; legitimate traffic and WAN sources pass',
    tags: ['rp_filter'],
    iptables: OPEN,
    sysctls: { 'net.ipv4.conf.all.rp_filter': 1 },
    steps: [
      cli(udp4(C, 55000, S, 9, 'legit'), 'legitimate LAN source'),
      cli(udp4('10.0.2.150', 55001, W, 9, 'spoof'), 'DMZ source arriving on r_cli'),
      wan(udp4(C, 55002, S, 9, 'spoof'), 'LAN source arriving on r_wan'),
      wan(udp4(W, 55003, S, 9, 'ok'), 'internet source on r_wan (default route)'),
      cli(udp4(W, 55004, S, 9, 'spoof'), 'internet source arriving on r_cli'),
      cli(echo4('10.0.2.150', R_CLI, 1, 1), 'spoofed ping to the router'),
      srv(tcp4(S, 55005, C, 22, 'S'), 'legitimate DMZ SYN'),
    ],
  },
  {
    name: 'r_rpfilter_2',
    description: 'rp_filter=2 (loose): any source with a route passes, whatever the interface',
    tags: ['rp_filter'],
    iptables: OPEN,
    sysctls: { 'net.ipv4.conf.all.rp_filter': 2 },
    steps: [
      cli(udp4('10.0.2.150', 56000, W, 9, 'dmz src on lan'), 'DMZ source arriving on r_cli'),
      wan(udp4(C, 56001, S, 9, 'lan src on wan'), 'LAN source arriving on r_wan'),
      cli(udp4('192.0.2.77', 56002, S, 9, 'internet src on lan'), 'off-link source arriving on r_cli'),
      srv(echo4(C, R_SRV, 1, 1), 'LAN source pinging the DMZ address from r_srv'),
    ],
  },
  {
    name: 'r_rpfilter_3',
    description: 'rp_filter=1 on r_wan only (all=0): spoofing is checked on the WAN side, not on the LAN side',
    tags: ['rp_filter'],
    iptables: OPEN,
    sysctls: { 'net.ipv4.conf.r_wan.rp_filter': 1 },
    steps: [
      wan(udp4('10.0.1.150', 57000, S, 9, 'spoof'), 'LAN source on r_wan: dropped'),
      cli(udp4('10.0.2.150', 57001, W, 9, 'spoof'), 'DMZ source on r_cli: passes'),
      wan(udp4(W, 57002, C, 9, 'ok'), 'internet source on r_wan: passes'),
    ],
  },
  {
    name: 'r_host_local_1',
    description: 'packets sent by local processes of the router: TCP SYN, UDP, ICMP echo to each side, a packet to the router itself, and the answers coming back',
    tags: ['local-out'],
    iptables: ipt({
      filter: {
        policies: { INPUT: 'DROP' },
        rules: ['-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -i lo -j ACCEPT', '-A OUTPUT -p tcp -j ACCEPT', '-A OUTPUT -p udp -j ACCEPT'],
      },
    }),
    steps: [
      local(tcp4(R_SRV, 45000, S, 22, 'S'), 'router SYN to the DMZ'),
      srv(tcp4(S, 22, R_SRV, 45000, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK: established, delivered (the stack answers with a RST: no socket)'),
      local(udp4(R_WAN, 45001, W, 53, 'query'), 'router DNS query to the internet'),
      wan(udp4(W, 53, R_WAN, 45001, 'answer'), 'answer: established, port unreachable from the stack'),
      local(echo4(R_CLI, C, 77, 1), 'router pings the LAN'),
      cli(echo4(C, R_CLI, 77, 1, { reply: true }), 'echo reply'),
      wan(udp4(W, 53, R_WAN, 45999, 'unsolicited'), 'unsolicited datagram: dropped by INPUT policy'),
    ],
  },
];
