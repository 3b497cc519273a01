/**
 * NAT beyond the basics: SNAT to address ranges (the kernel's hash choice) and --persistent,
 * port clashes (random remapping, masked; a single-port range that cannot be remapped), the
 * --random / --random-fully flags, DNAT port ranges with a clash (sequential search), DNAT +
 * SNAT on one connection, hairpin NAT inside the LAN, NAT in nat OUTPUT and nat INPUT,
 * REDIRECT on the DMZ side and from OUTPUT, NETMAP both ways, ICMP errors through NAT (the
 * router's own time exceeded for a DNATed packet, a LAN host's port unreachable through
 * MASQUERADE), ICMP echo id clashes, RST through MASQUERADE.
 */

import { cli, Conv, echo4, icmpErr4, ipt, local, srv, statefulForward, tcp4, udp4, wan, R_CLI, R_SRV, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const C3 = '10.0.1.102';
const LANSRV = '10.0.1.150';
const S = '10.0.2.100';
const W = '198.51.100.130';
const W2 = '198.51.100.131';

const OPEN = { rules: [] };

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_nat_snat_range_1',
    description: 'SNAT --to-source 203.0.113.100-203.0.113.103: the kernel picks the address by a hash of source and destination (no randomness): four LAN hosts to one destination and one host to two destinations; ports kept',
    tags: ['snat', 'nat', 'nat-range'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j SNAT --to-source 203.0.113.100-203.0.113.103'] }, filter: OPEN }),
    steps: [
      cli(udp4(C, 40100, W, 53, 'a'), '10.0.1.100 -> W'),
      cli(udp4(C2, 40101, W, 53, 'b'), '10.0.1.101 -> W'),
      cli(udp4(C3, 40102, W, 53, 'c'), '10.0.1.102 -> W'),
      cli(udp4('10.0.1.103', 40103, W, 53, 'd'), '10.0.1.103 -> W'),
      cli(udp4(C, 40104, W2, 53, 'e'), '10.0.1.100 -> another destination'),
      cli(tcp4(C, 40105, W, 443, 'S'), '10.0.1.100 -> W, TCP: same address as its UDP'),
    ],
  },
  {
    name: 'r_nat_snat_persistent_1',
    description: 'SNAT --to-source 203.0.113.100-203.0.113.103 --persistent: the address depends on the source only, so one LAN host gets the same public address towards every destination',
    tags: ['snat', 'nat', 'nat-range', 'nat-persistent'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j SNAT --to-source 203.0.113.100-203.0.113.103 --persistent'] }, filter: OPEN }),
    steps: [
      cli(udp4(C, 40200, W, 53, 'a'), '10.0.1.100 -> W'),
      cli(udp4(C, 40201, W2, 53, 'b'), '10.0.1.100 -> W2: same address'),
      cli(udp4(C, 40202, '198.51.100.200', 53, 'c'), '10.0.1.100 -> a third: same address'),
      cli(udp4(C2, 40203, W, 53, 'd'), '10.0.1.101'),
    ],
  },
  {
    name: 'r_nat_clash_1',
    runs: 4,
    description: 'MASQUERADE port clash: two LAN hosts use the same source port towards the same server; the first keeps it, the second is remapped to a random port (masked); the replies to both public ports go back to the right hosts',
    tags: ['masquerade', 'nat', 'nat-clash'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: OPEN }),
    steps: [
      cli(udp4(C, 40300, W, 123, 'host a'), 'host a, port 40300: kept'),
      cli(udp4(C2, 40300, W, 123, 'host b'), 'host b, same port: remapped'),
      wan(udp4(W, 123, R_WAN, 40300, 'to a'), 'reply to 40300: host a'),
      cli(udp4(C2, 40300, W, 123, 'host b again'), 'host b again: same mapping'),
    ],
  },
  {
    name: 'r_nat_clash_2',
    description: 'MASQUERADE --to-ports 5000 (a single port): the first flow takes 5000; a second host towards the same server has no free port, the reply tuple clashes and the packet is dropped at confirmation; towards another server 5000 is free again',
    tags: ['masquerade', 'nat', 'nat-clash'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -p udp -j MASQUERADE --to-ports 5000'] }, filter: OPEN }),
    steps: [
      cli(udp4(C, 40310, W, 53, 'first'), 'first flow: source port 5000'),
      cli(udp4(C2, 40311, W, 53, 'second'), 'second host, same server: clash, dropped'),
      cli(udp4(C2, 40311, W2, 53, 'third'), 'to another server: 5000'),
      wan(udp4(W, 53, R_WAN, 5000, 'reply'), 'reply to 5000 from W: the first host'),
    ],
  },
  {
    name: 'r_nat_random_fully_1',
    runs: 4,
    description: 'MASQUERADE --random-fully: the source port is randomised even without a clash (masked); the reply to the public port comes back',
    tags: ['masquerade', 'nat', 'nat-random'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -p tcp -j MASQUERADE --random-fully'] }, filter: OPEN }),
    steps: (() => {
      const c = new Conv(C, 40320, W, 443);
      return [cli(c.c('S'), 'SYN: random source port'), cli(tcp4(C2, 40321, W, 443, 'S'), 'another SYN: random port too')];
    })(),
  },
  {
    name: 'r_nat_random_1',
    runs: 4,
    description: 'SNAT --to-source 203.0.113.1:20000-20099 --random: a source port inside the range is still remapped (randomly, masked) because --random asks for it',
    tags: ['snat', 'nat', 'nat-random'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -p udp -j SNAT --to-source 203.0.113.1:20000-20099 --random'] }, filter: OPEN }),
    steps: [cli(udp4(C, 20050, W, 53, 'in range'), 'source port 20050'), cli(udp4(C2, 40331, W, 53, 'out of range'), 'source port 40331')],
  },
  {
    name: 'r_nat_dnat_ports_1',
    description: 'DNAT to 10.0.2.100:8000-8002 from two public ports: the first flow gets 8000 (the search starts at the range start); a second flow from the same client address and port to the other public port would have the same reply tuple, so it gets 8001; a third client gets 8000',
    tags: ['dnat', 'nat', 'nat-clash', 'nat-range'],
    iptables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -p tcp -m multiport --dports 80,81 -j DNAT --to-destination 10.0.2.100:8000-8002'] }, filter: OPEN }),
    steps: [
      wan(tcp4(W, 40340, R_WAN, 80, 'S'), 'W:40340 -> :80: 8000'),
      wan(tcp4(W, 40340, R_WAN, 81, 'S'), 'W:40340 -> :81: 8000 taken for this client port, 8001'),
      wan(tcp4(W2, 40340, R_WAN, 80, 'S'), 'another client: 8000'),
      srv(tcp4(S, 8001, W, 40340, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK from 8001: leaves as :81'),
    ],
  },
  {
    name: 'r_nat_double_1',
    description: 'DNAT and SNAT on one connection: a WAN client to 203.0.113.1:2222 is sent to 10.0.2.100:22 with source 10.0.2.1 (the server sees the router); the server\'s replies are translated both ways',
    tags: ['dnat', 'snat', 'nat'],
    iptables: ipt({
      nat: { rules: ['-A PREROUTING -i r_wan -p tcp --dport 2222 -j DNAT --to-destination 10.0.2.100:22', '-A POSTROUTING -o r_srv -m conntrack --ctstate DNAT -j SNAT --to-source 10.0.2.1'] },
      filter: OPEN,
    }),
    steps: (() => {
      const c = new Conv(W, 40350, S, 22, { sPub: [R_WAN, 2222], cPub: [R_SRV, 40350] });
      return [wan(c.c('S'), 'SYN to :2222'), srv(c.s('SA'), 'SYN/ACK to 10.0.2.1'), wan(c.c('A'), 'ACK'), srv(c.s('PA', { payload: 'SSH-2.0-srv\r\n' }), 'banner')];
    })(),
  },
  {
    name: 'r_nat_hairpin_2',
    description: 'hairpin NAT inside the LAN: a LAN client connects to the public address, DNAT to a LAN server (10.0.1.150) plus SNAT to 10.0.1.1 so the answer comes back through the router; the packets leave on r_cli, the interface they came in on',
    tags: ['hairpin', 'dnat', 'snat', 'nat'],
    iptables: ipt({
      nat: { rules: ['-A PREROUTING -d 203.0.113.1 -p tcp --dport 80 -j DNAT --to-destination 10.0.1.150', '-A POSTROUTING -s 10.0.1.0/24 -d 10.0.1.150 -p tcp --dport 80 -j SNAT --to-source 10.0.1.1'] },
      filter: OPEN,
    }),
    steps: (() => {
      const c = new Conv(C, 40360, LANSRV, 80, { sPub: [R_WAN, 80], cPub: [R_CLI, 40360] });
      return [cli(c.c('S'), 'client SYN to the public address'), cli(c.s('SA'), 'server SYN/ACK to 10.0.1.1 (arrives on r_cli)'), cli(c.c('A'), 'ACK')];
    })(),
  },
  {
    name: 'r_nat_output_1',
    description: 'DNAT in nat OUTPUT: the router\'s own TCP SYN to 198.51.100.130:80 is sent to 10.0.2.100:8080 out of r_srv (rerouted after NAT); the SYN/ACK is translated back and delivered (the stack resets: no socket)',
    tags: ['dnat', 'nat', 'local-out'],
    iptables: ipt({ nat: { rules: ['-A OUTPUT -d 198.51.100.130 -p tcp --dport 80 -j DNAT --to-destination 10.0.2.100:8080'] }, filter: OPEN }),
    steps: [
      local(tcp4(R_WAN, 40370, W, 80, 'S'), 'router SYN to W:80 (from the WAN address)'),
      srv(tcp4(S, 8080, R_WAN, 40370, 'SA', { seq: 5000, ack: 1001 }), 'SYN/ACK from 10.0.2.100:8080'),
    ],
  },
  {
    name: 'r_nat_input_1',
    description: 'SNAT in nat INPUT: LAN packets to the router get source 10.0.1.222 before delivery (the conntrack entry shows it); the stack\'s port unreachable is translated back to the real client',
    tags: ['snat', 'nat', 'local-in'],
    iptables: ipt({ nat: { rules: ['-A INPUT -s 10.0.1.0/24 -j SNAT --to-source 10.0.1.222'] }, filter: OPEN }),
    steps: [
      cli(udp4(C, 40380, R_CLI, 5353, 'query'), 'UDP to the router: SNAT in INPUT, port unreachable back to 10.0.1.100'),
      cli(echo4(C, R_CLI, 0x4038, 1), 'ping: the echo reply goes back to 10.0.1.100'),
    ],
  },
  {
    name: 'r_nat_redirect_2',
    description: 'REDIRECT uses the primary address of the input interface: DMZ traffic to any :53 is redirected to 10.0.2.1:53 (port unreachable from the stack, translated back to look like the original server), LAN traffic to 10.0.1.1; REDIRECT --to-ports 1-2 range',
    tags: ['redirect', 'nat'],
    iptables: ipt({ nat: { rules: ['-A PREROUTING -p udp --dport 53 -j REDIRECT', '-A PREROUTING -p tcp --dport 3128 -j REDIRECT --to-ports 8080-8081'] }, filter: OPEN }),
    steps: [
      srv(udp4(S, 40390, W, 53, 'q'), 'from the DMZ: to 10.0.2.1:53'),
      cli(udp4(C, 40391, W, 53, 'q'), 'from the LAN: to 10.0.1.1:53'),
      cli(tcp4(C, 40392, W, 3128, 'S'), 'proxy port: to 10.0.1.1:8080, RST'),
    ],
  },
  {
    name: 'r_nat_redirect_3',
    description: 'REDIRECT in nat OUTPUT: the router\'s own DNS query to 198.51.100.130:53 goes to 127.0.0.1:5353 instead (nothing leaves; the stack answers itself with a port unreachable)',
    tags: ['redirect', 'nat', 'local-out'],
    iptables: ipt({ nat: { rules: ['-A OUTPUT -p udp --dport 53 -j REDIRECT --to-ports 5353'] }, filter: OPEN }),
    steps: [local(udp4(R_WAN, 40400, W, 53, 'q'), 'router query: redirected to itself'), local(udp4(R_WAN, 40401, W, 123, 'ntp'), 'NTP: leaves normally')],
  },
  {
    name: 'r_nat_netmap_2',
    description: 'NETMAP both ways between 10.0.1.96/28 and 192.0.2.96/28: outgoing sources and incoming destinations mapped 1:1 with the host part kept, replies translated back',
    tags: ['netmap', 'nat'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -s 10.0.1.96/28 -j NETMAP --to 192.0.2.96/28', '-A PREROUTING -i r_wan -d 192.0.2.96/28 -j NETMAP --to 10.0.1.96/28'] }, filter: OPEN }),
    steps: [
      cli(udp4(C, 40410, W, 53, 'out'), '10.0.1.100 -> 192.0.2.100'),
      wan(udp4(W, 53, '192.0.2.100', 40410, 'back'), 'reply to 192.0.2.100'),
      wan(udp4(W, 40411, '192.0.2.101', 9, 'in'), 'new inbound to 192.0.2.101 -> 10.0.1.101'),
      cli(udp4(C2, 9, W, 40411, 'reply'), 'its reply from 10.0.1.101'),
      cli(udp4('10.0.1.120', 40412, W, 53, 'unmapped'), '10.0.1.120: outside the /28, not mapped'),
    ],
  },
  {
    name: 'r_nat_icmp_1',
    description: 'the router\'s own ICMP error for a DNATed packet: a WAN SYN with TTL 1 to 203.0.113.1:8080 is DNATed to 10.0.2.100:80, then expires in forwarding; the time exceeded goes back to the client with the quoted header translated back to 203.0.113.1:8080',
    tags: ['dnat', 'nat', 'ct-related', 'time-exceeded'],
    iptables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -p tcp --dport 8080 -j DNAT --to-destination 10.0.2.100:80'] }, filter: OPEN }),
    steps: [wan(tcp4(W, 40420, R_WAN, 8080, 'S', { ttl: 1 }), 'SYN with TTL 1: time exceeded'), wan(tcp4(W, 40421, R_WAN, 8080, 'S', { ttl: 2 }), 'TTL 2: forwarded with TTL 1')],
  },
  {
    name: 'r_nat_icmp_2',
    description: 'an ICMP error from a LAN host about a MASQUERADEd flow: the host sends port unreachable for the server\'s reply; the error is RELATED, leaves with the public source and the quoted destination translated to 203.0.113.1',
    tags: ['masquerade', 'nat', 'ct-related'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: statefulForward(['-A FORWARD -i r_cli -j ACCEPT']) }),
    steps: [
      cli(udp4(C, 40430, W, 53, 'query'), 'query: masqueraded'),
      wan(udp4(W, 53, R_WAN, 40430, 'answer'), 'answer'),
      cli(icmpErr4(C, W, 3, 3, udp4(W, 53, C, 40430, 'answer', { ttl: 63 })), 'port unreachable from the client about the answer'),
    ],
  },
  {
    name: 'r_nat_icmp_id_1',
    runs: 4,
    description: 'ICMP echo through MASQUERADE: two LAN hosts ping the same server with the same id; the first keeps the id, the second gets another (random, masked); each reply reaches its host',
    tags: ['masquerade', 'nat', 'nat-clash', 'icmp-echo'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: OPEN }),
    steps: [
      cli(echo4(C, W, 0x4044, 1), 'host a, id 0x4044'),
      cli(echo4(C2, W, 0x4044, 1), 'host b, same id: remapped'),
      wan(echo4(W, R_WAN, 0x4044, 1, { reply: true }), 'reply with id 0x4044: host a'),
    ],
  },
  {
    name: 'r_nat_rst_1',
    description: 'TCP through MASQUERADE ended by a RST from the server: the RST is translated back, the entry goes to CLOSE; a new SYN from the same client port goes through that CLOSE entry (no new entry, no event) with the same public port',
    tags: ['masquerade', 'nat', 'tcp-rst-close'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE'] }, filter: OPEN }),
    steps: (() => {
      const c = new Conv(C, 40450, W, 80, { cPub: [R_WAN, 40450] });
      return [cli(c.c('S')), wan(c.s('SA')), cli(c.c('A')), wan(c.s('RA'), 'RST from the server'), cli(c.c('S', { seq: 777777 }), 'new SYN from the same port')];
    })(),
  },
  {
    name: 'r_nat_snat_ports_1',
    description: 'SNAT --to-source 203.0.113.1:1024-65535 for TCP: a client source port below 1024 is outside the range and gets a port from it (the first free one from a random offset: masked); a port inside the range is kept',
    runs: 4,
    tags: ['snat', 'nat', 'nat-range'],
    iptables: ipt({ nat: { rules: ['-A POSTROUTING -o r_wan -p tcp -j SNAT --to-source 203.0.113.1:1024-65535'] }, filter: OPEN }),
    steps: [cli(tcp4(C, 700, W, 22, 'S'), 'source port 700: remapped'), cli(tcp4(C, 40460, W, 22, 'S'), 'source port 40460: kept')],
  },
  {
    name: 'r_nat_dnat_icmp_1',
    description: 'DNAT of ICMP: echo requests from the WAN to 203.0.113.1 are sent to 10.0.2.100 (id kept), the reply leaves from the public address; a second pinger with the same id is a separate connection; echoes to the router\'s LAN address are not DNATed',
    tags: ['dnat', 'nat', 'icmp-echo'],
    iptables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -d 203.0.113.1 -p icmp --icmp-type echo-request -j DNAT --to-destination 10.0.2.100'] }, filter: OPEN }),
    steps: [
      wan(echo4(W, R_WAN, 0x4470, 1), 'echo to the public address: to 10.0.2.100'),
      srv(echo4(S, W, 0x4470, 1, { reply: true }), 'reply from 10.0.2.100: leaves from 203.0.113.1'),
      wan(echo4(W2, R_WAN, 0x4470, 1), 'another pinger, same id'),
      srv(echo4(S, W2, 0x4470, 1, { reply: true }), 'its reply'),
      wan(echo4(W, R_CLI, 0x4471, 1), 'echo to 10.0.1.1 from the WAN: answered by the router'),
    ],
  },
];
