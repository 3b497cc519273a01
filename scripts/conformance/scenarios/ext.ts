/**
 * iptables extensions that had no kernel recording yet: mac (Ethernet capture), u32, sctp
 * (chunk types, ports, SCTP conntrack), udplite via multiport, iprange with ports and multiport
 * --ports, icmp type names with codes, limit / hashlimit modes, helper (on an FTP control
 * connection and its data connection), and the targets CLASSIFY, CHECKSUM, NFLOG, TRACE.
 * Each rule's counter shows in `rules`, so a wrong match is seen packet by packet.
 */

import { ipv4, sctp, udplite, type SctpChunk } from '../../../src/packet/build.js';
import { fold, pseudoHeaderSum, sum16 } from '../../../src/packet/checksum.js';
import { cli, Conv, echo4, icmpErr4, ipt, local, srv, statefulForward, tcp4, udp4, wan, R_CLI } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const S2 = '10.0.2.101';
const W = '198.51.100.40';

const MAC_CLI = '02:00:00:00:01:02';
const MAC_WAN = '02:00:00:00:03:02';

const accept = (rules: string[], extra: Record<string, { rules: string[]; chains?: string[]; policies?: Record<string, string> }> = {}): string =>
  ipt({ ...extra, filter: { rules } });

/** An IPv4 SCTP packet. */
function sctp4(src: string, sport: number, dst: string, dport: number, vtag: number, chunks: SctpChunk[], id = 1): Uint8Array {
  return ipv4({ src, dst, id, payload: sctp({ sport, dport, vtag, chunks }) });
}

/** INIT / INIT_ACK body: initiate tag, a_rwnd, outbound streams, inbound streams, initial TSN. */
const initBody = (tag: number, tsn: number): Uint8Array => {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, tag);
  v.setUint32(4, 65536);
  v.setUint16(8, 10);
  v.setUint16(10, 10);
  v.setUint32(12, tsn);
  return b;
};

/** DATA chunk body: TSN, stream id, stream seq, PPID, payload. */
const dataBody = (tsn: number, text: string): Uint8Array => {
  const b = new Uint8Array(12 + text.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, tsn);
  b.set(Buffer.from(text), 12);
  return b;
};

/**
 * An IPv4 UDP-Lite datagram (coverage 0: the whole datagram). `rfc`: the RFC 3828 checksum
 * (pseudo-header protocol 136), which conntrack's udplite_error rejects ("bad checksum": it sums
 * the pseudo-header with protocol 17 and, for IPv4, only the low byte of the length); otherwise
 * the checksum that sum accepts.
 */
function udplite4(src: string, sport: number, dst: string, dport: number, id = 1, rfc = false): Uint8Array {
  const p = ipv4({ src, dst, id, payload: udplite({ sport, dport, payload: 'lite' }) });
  if (rfc) return p;
  const l4 = p.length - 20;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  p[26] = 0;
  p[27] = 0;
  const v = ~fold(pseudoHeaderSum(4, [dv.getUint32(12)], [dv.getUint32(16)], 17, l4 & 0xff) + sum16(p, 20, l4)) & 0xffff;
  p[26] = v >> 8;
  p[27] = v & 0xff;
  return p;
}

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_match_mac_1',
    description: 'mac: --mac-source of the client and of the WAN neighbour, negated, in mangle PREROUTING, filter FORWARD and INPUT (Ethernet capture)',
    tags: ['mac'],
    linktype: 1,
    iptables: ipt({
      mangle: { rules: [`-A PREROUTING -m mac --mac-source ${MAC_WAN} -j MARK --set-mark 0x3`] },
      filter: {
        rules: [
          `-A INPUT -p icmp -m mac ! --mac-source ${MAC_CLI} -j DROP`,
          `-A FORWARD -m mac --mac-source ${MAC_CLI} -p udp -j ACCEPT`,
          '-A FORWARD -m mark --mark 0x3 -p udp --dport 53 -j ACCEPT',
          `-A FORWARD -m mac ! --mac-source ${MAC_WAN} -p udp -j ACCEPT`,
          '-A FORWARD -j DROP',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 40000, S, 9), 'from the client MAC: accepted'),
      wan(udp4(W, 40001, S, 53), 'from the WAN MAC: marked in PREROUTING, accepted by mark'),
      wan(udp4(W, 40002, S, 9), 'from the WAN MAC, port 9: negated rule does not match, dropped'),
      srv(udp4(S, 40003, C, 9), 'from the server MAC: negated rule matches'),
      cli(echo4(C, R_CLI, 0x4001, 1), 'ping the router from the client: accepted'),
      wan(echo4(W, '203.0.113.1', 0x4002, 1), 'ping the router from the WAN: dropped in INPUT'),
    ],
  },
  {
    name: 'r_match_u32_1',
    description: 'u32: protocol byte, TCP destination port through the IHL (@), total-length range, payload word after the TCP data offset (read past the end fails), several ranges, negation',
    tags: ['u32'],
    iptables: accept([
      '-A FORWARD -m u32 ! --u32 "12=0xa000164" -j DROP',
      '-A FORWARD -p udp -m u32 --u32 "6&0xFF=17&&0>>22&0x3C@0&0xFFFF=53,123:124" -j ACCEPT',
      '-A FORWARD -p tcp -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0=0x47455420" -j ACCEPT',
      '-A FORWARD -p tcp -m u32 --u32 "0>>22&0x3C@0&0xFFFF=80&&0&0xFFFF=0:44" -j ACCEPT',
      '-A FORWARD -p tcp -m u32 --u32 "0>>22&0x3C@0>>16=1024:65535" -j REJECT',
      '-A FORWARD -j DROP',
    ]),
    steps: [
      cli(udp4(C, 41000, S, 53), 'udp 53: accepted'),
      cli(udp4(C, 41001, S, 124), 'udp 124 in 123:124: accepted'),
      cli(udp4(C, 41002, S, 125), 'udp 125: dropped'),
      cli(udp4(C2, 41003, S, 53), 'another source: dropped by the negated rule'),
      cli(tcp4(C, 41004, S, 80, 'S'), 'SYN to 80, 40 bytes: accepted (the GET test reads past the end)'),
      cli(tcp4(C, 41005, S, 80, 'S', { options: { mss: 1460 } }), 'SYN to 80 with MSS, 44 bytes: accepted'),
      cli(tcp4(C, 41006, S, 80, 'S', { options: { mss: 1460, sackPerm: true, wscale: 7 } }), 'SYN to 80, 52 bytes: rejected by the sport rule'),
      cli(tcp4(C, 41007, S, 8080, 'PA', { ack: 1, payload: 'GET / HTTP/1.0\r\n' }), 'GET payload: accepted'),
      cli(tcp4(C, 80, S, 8080, 'S'), 'sport 80, dport 8080: dropped'),
    ],
  },
  (() => {
    const A = { sport: 42000, dport: 5000, tagC: 0x11111111, tagS: 0x22222222 };
    return {
      name: 'r_match_sctp_1',
      description: 'sctp match: --dport / --sport ranges, --chunk-types only/any/all with flags, multiport on sctp; an SCTP association through conntrack (INIT, INIT_ACK, COOKIE_ECHO, COOKIE_ACK, DATA)',
      tags: ['sctp', 'multiport'],
      iptables: accept([
        '-A FORWARD -p sctp -m sctp --chunk-types any ABORT -j DROP',
        '-A FORWARD -p sctp -m sctp --chunk-types all DATA:BE -j ACCEPT',
        '-A FORWARD -p sctp -m sctp --dport 5000 --chunk-types only INIT -j ACCEPT',
        '-A FORWARD -p sctp -m conntrack --ctstate ESTABLISHED -j ACCEPT',
        '-A FORWARD -p sctp -m sctp --sport 6000:6010 -j ACCEPT',
        '-A FORWARD -p sctp -m multiport --dports 7000,7001 -j ACCEPT',
        '-A FORWARD -p sctp -j DROP',
      ]),
      steps: [
        cli(sctp4(C, A.sport, S, A.dport, 0, [{ type: 1, data: initBody(A.tagC, 100) }]), 'INIT to 5000: only INIT, accepted'),
        srv(sctp4(S, A.dport, C, A.sport, A.tagC, [{ type: 2, data: initBody(A.tagS, 900) }]), 'INIT_ACK'),
        cli(sctp4(C, A.sport, S, A.dport, A.tagS, [{ type: 10, data: 'cookie00' }], 2), 'COOKIE_ECHO'),
        srv(sctp4(S, A.dport, C, A.sport, A.tagC, [{ type: 11 }], 2), 'COOKIE_ACK'),
        cli(sctp4(C, A.sport, S, A.dport, A.tagS, [{ type: 0, flags: 3, data: dataBody(100, 'hello') }], 3), 'DATA B+E: matches all DATA:BE'),
        cli(sctp4(C, A.sport, S, A.dport, A.tagS, [{ type: 0, flags: 2, data: dataBody(101, 'part') }], 4), 'DATA B only: established'),
        cli(sctp4(C, 42001, S, 5000, 0, [{ type: 1, data: initBody(0x3333, 1) }, { type: 0, flags: 3, data: dataBody(1, 'x') }]), 'INIT + DATA: not only INIT'),
        cli(sctp4(C, 6005, S, 5001, 0, [{ type: 1, data: initBody(0x4444, 1) }]), 'INIT from sport 6005: accepted by the range'),
        cli(sctp4(C, 42002, S, 7001, 0, [{ type: 1, data: initBody(0x5555, 1) }]), 'INIT to 7001: multiport'),
        cli(sctp4(C, 42003, S, 7002, 0, [{ type: 1, data: initBody(0x6666, 1) }]), 'INIT to 7002: dropped'),
        cli(sctp4(C, 42004, S, 5000, 0x1234, [{ type: 6 }]), 'ABORT: dropped'),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_match_udplite_1',
    description: 'UDP-Lite: -p udplite with multiport --dports / --sports, conntrack of UDP-Lite (reply ESTABLISHED; an RFC 3828 checksum is INVALID for conntrack, which sums a protocol-17 pseudo-header), -p udplite vs -p udp',
    tags: ['udplite', 'multiport'],
    iptables: ipt({
      filter: statefulForward([
        '-A FORWARD -p udp -m multiport --dports 9000 -j REJECT',
        '-A FORWARD -p udplite -m multiport --dports 9000,9001 -j ACCEPT',
        '-A FORWARD -p udplite -m multiport --sports 9100:9110 -j ACCEPT',
      ]),
    }),
    steps: [
      cli(udplite4(C, 43100, S, 9000, 1, true), 'RFC 3828 checksum: INVALID for conntrack ("bad checksum"), dropped'),
      cli(udplite4(C, 43000, S, 9000), 'udplite 9000: accepted'),
      srv(udplite4(S, 9000, C, 43000), 'reply: established'),
      cli(udplite4(C, 43001, S, 9002), 'udplite 9002: dropped by the policy'),
      cli(udplite4(C, 9105, S, 9002), 'udplite from 9105: accepted'),
      cli(udp4(C, 43002, S, 9000), 'plain udp 9000: rejected'),
    ],
  },
  {
    name: 'r_match_iprange_2',
    description: 'iprange combined with port matches (-p tcp --dport, multiport --ports) and a negated --dst-range',
    tags: ['iprange', 'multiport'],
    iptables: accept([
      '-A FORWARD -p tcp -m iprange --src-range 10.0.1.100-10.0.1.110 -m multiport --ports 22,2222 -j ACCEPT',
      '-A FORWARD -p udp -m iprange ! --dst-range 10.0.2.100-10.0.2.100 --dport 53 -j ACCEPT',
      '-A FORWARD -p udp -m iprange --src-range 10.0.1.100-10.0.1.100 --dst-range 10.0.2.100-10.0.2.105 -m udp --sport 1000:2000 -j ACCEPT',
      '-A FORWARD -j DROP',
    ]),
    steps: [
      cli(tcp4(C, 44000, S, 22, 'S'), 'tcp 22 from the range: accepted'),
      cli(tcp4(C, 2222, S, 44001, 'S'), 'sport 2222 matches --ports'),
      cli(tcp4('10.0.1.111', 44002, S, 22, 'S'), 'tcp 22 from outside the range: dropped'),
      cli(udp4(C, 44003, S2, 53), 'udp 53 to .101: accepted by the negated range'),
      cli(udp4(C, 44004, S, 53), 'udp 53 to .100: dropped'),
      cli(udp4(C, 1500, S, 53), 'udp sport 1500 to .100: accepted by the third rule'),
      cli(udp4(C2, 1500, S, 53), 'same from .101: dropped'),
    ],
  },
  (() => {
    const q = udp4(C, 45000, S, 33434);
    return {
      name: 'r_match_icmp_2',
      description: 'icmp type names with codes: destination-unreachable/port-unreachable vs the whole type 3, 3/4 by number, time-exceeded, negated echo-request, any',
      tags: ['match-icmp'],
      iptables: accept([
        '-A FORWARD -p icmp -m icmp --icmp-type port-unreachable -j ACCEPT',
        '-A FORWARD -p icmp -m icmp --icmp-type 3/4 -j ACCEPT',
        '-A FORWARD -p icmp -m icmp --icmp-type destination-unreachable -j DROP',
        '-A FORWARD -p icmp -m icmp --icmp-type ttl-zero-during-transit -j ACCEPT',
        '-A FORWARD -p icmp -m icmp ! --icmp-type echo-request -j REJECT --reject-with icmp-admin-prohibited',
        '-A FORWARD -p icmp -m icmp --icmp-type any -j ACCEPT',
        '-A FORWARD -j DROP',
      ]),
      steps: [
        cli(q, 'udp probe'),
        srv(icmpErr4(S, C, 3, 3, q), 'port unreachable: accepted by name'),
        srv(icmpErr4(S, C, 3, 4, q), 'fragmentation needed (3/4): accepted by number'),
        srv(icmpErr4(S, C, 3, 1, q), 'host unreachable: dropped by the whole type'),
        srv(icmpErr4(S, C, 11, 0, q), 'time exceeded in transit: accepted'),
        srv(icmpErr4(S, C, 11, 1, q), 'fragment reassembly time exceeded: rejected by ! echo-request'),
        cli(echo4(C, S, 0x4501, 1), 'echo request: accepted by any'),
        srv(echo4(S, C, 0x4501, 1, { reply: true }), 'echo reply: rejected by ! echo-request'),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_match_hashlimit_2',
    description: 'hashlimit --hashlimit-above per srcip,dstport, --hashlimit-upto per dstip with --hashlimit-dstmask 24, limit --limit 1/hour burst 2 (rates slow enough for the outcome not to depend on timing)',
    tags: ['hashlimit', 'limit'],
    iptables: accept([
      '-A FORWARD -p udp -m hashlimit --hashlimit-above 1/hour --hashlimit-burst 2 --hashlimit-mode srcip,dstport --hashlimit-name hl2 -j DROP',
      '-A FORWARD -p udp -j ACCEPT',
      '-A FORWARD -p tcp --syn -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 1 --hashlimit-mode dstip --hashlimit-dstmask 24 --hashlimit-name hl3 -j ACCEPT',
      '-A FORWARD -p tcp --syn -j REJECT --reject-with tcp-reset',
      '-A FORWARD -p icmp -m limit --limit 1/hour --limit-burst 2 -j ACCEPT',
      '-A FORWARD -p icmp -j DROP',
    ]),
    steps: [
      cli(udp4(C, 46000, S, 53), 'C -> :53, 1st'),
      cli(udp4(C, 46001, S2, 53), 'C -> :53, 2nd (other destination, same bucket)'),
      cli(udp4(C, 46002, S, 53), 'C -> :53, 3rd: above, dropped'),
      cli(udp4(C, 46003, S, 54), 'C -> :54: its own bucket'),
      cli(udp4(C2, 46004, S, 53), 'C2 -> :53: its own bucket'),
      cli(tcp4(C, 46005, S, 80, 'S'), 'SYN to 10.0.2.100: accepted'),
      cli(tcp4(C, 46006, S2, 80, 'S'), 'SYN to 10.0.2.101: same /24, rejected'),
      cli(tcp4(C, 46007, W, 80, 'S'), 'SYN to the WAN: another bucket, accepted'),
      cli(echo4(C, S, 0x4601, 1), 'ping 1'),
      cli(echo4(C, S, 0x4601, 2), 'ping 2'),
      cli(echo4(C, S, 0x4601, 3), 'ping 3: over the limit, dropped'),
    ],
  },
  (() => {
    const ctl = new Conv(C, 47000, S, 21);
    const data = new Conv(S, 20, C, 47010, { cisn: 9000, sisn: 12000 });
    return {
      name: 'r_match_helper_1',
      description: 'helper match: ! --helper ftp on the FTP control connection (it has no master: the negation matches), --helper ftp on the RELATED data connection, --helper irc never',
      tags: ['helper', 'ftp'],
      iptables: ipt({
        raw: { rules: ['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'] },
        filter: {
          policies: { FORWARD: 'DROP' },
          rules: [
            '-A FORWARD -m helper --helper irc -j DROP',
            '-A FORWARD -p tcp -m helper ! --helper ftp -m multiport --ports 21 -j ACCEPT',
            '-A FORWARD -m helper --helper ftp -j ACCEPT',
            '-A FORWARD -m helper ! --helper ftp -j REJECT',
          ],
        },
      }),
      steps: [
        cli(ctl.c('S'), 'control SYN'),
        srv(ctl.s('SA'), 'control SYN/ACK'),
        cli(ctl.c('A'), 'control ACK'),
        srv(ctl.s('PA', { payload: '220 ready\r\n' }), 'banner'),
        cli(ctl.c('PA', { payload: 'USER a\r\n' }), 'USER (the first line of a direction is not parsed)'),
        srv(ctl.s('PA', { payload: '331 ok\r\n' }), '331'),
        cli(ctl.c('PA', { payload: 'PORT 10,0,1,100,183,162\r\n' }), 'PORT 47010: expectation'),
        srv(ctl.s('PA', { payload: '200 PORT command successful\r\n' }), '200'),
        srv(data.c('S'), 'data SYN from port 20: RELATED, helper ftp matches'),
        cli(data.s('SA'), 'data SYN/ACK'),
        srv(tcp4(S, 20, C, 47011, 'S'), 'SYN to an unexpected port: not related, rejected'),
      ],
    } satisfies ScenarioSpec;
  })(),
  {
    name: 'r_target_misc_1',
    description: 'non-terminal targets: CLASSIFY --set-class and CHECKSUM --checksum-fill in mangle POSTROUTING / OUTPUT, NFLOG with a group and prefix (no listener), TRACE in raw PREROUTING; the packets go on to the following rules',
    tags: ['CLASSIFY', 'CHECKSUM', 'NFLOG', 'TRACE'],
    iptables: ipt({
      raw: { rules: ['-A PREROUTING -p tcp --dport 22 -j TRACE'] },
      mangle: {
        rules: [
          '-A OUTPUT -p udp -j CHECKSUM --checksum-fill',
          '-A POSTROUTING -p udp -j CHECKSUM --checksum-fill',
          '-A POSTROUTING -o r_srv -j CLASSIFY --set-class 1:10',
          '-A FORWARD -p tcp -j CLASSIFY --set-class 2:20',
        ],
      },
      filter: {
        rules: [
          '-A FORWARD -p udp -j NFLOG --nflog-group 5 --nflog-prefix "nf5 "',
          '-A FORWARD -p udp --dport 9 -j DROP',
          '-A FORWARD -p tcp --dport 22 -j NFLOG --nflog-group 6 --nflog-size 64',
          '-A FORWARD -p tcp --dport 23 -j REJECT --reject-with tcp-reset',
        ],
      },
    }),
    steps: [
      cli(udp4(C, 48000, S, 53), 'udp 53: CHECKSUM, CLASSIFY, NFLOG, forwarded'),
      cli(udp4(C, 48001, S, 9), 'udp 9: NFLOG then DROP'),
      cli(tcp4(C, 48002, S, 22, 'S'), 'ssh SYN: TRACE, NFLOG, CLASSIFY 2:20 then 1:10'),
      cli(tcp4(C, 48003, S, 23, 'S'), 'telnet SYN: CLASSIFY then REJECT (the RST goes out)'),
      wan(udp4(W, 48004, C, 53), 'udp to the client side: no CLASSIFY on r_cli'),
      local(udp4(R_CLI, 48005, C, 514, 'syslog'), 'local udp: CHECKSUM in OUTPUT and POSTROUTING'),
    ],
  },
];
