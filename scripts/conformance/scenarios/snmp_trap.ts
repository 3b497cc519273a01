/**
 * The snmp_trap helper (nf_nat_snmp_basic: SNMP payload rewriting under NAT) and the snmp helper's
 * use of it: DNAT (the helper's from/to addresses are equal, so nothing is parsed), an SNMPv2c
 * InformRequest with its Response, GetRequest / GetResponse (reply direction, the port rules
 * that skip packets), malformed and truncated BER (the parser fails: the helper drops the
 * packet), and a v2c trap with several IpAddress varbinds at even and odd payload offsets, other
 * application types, BER length forms, and an update whose checksum comes out as 0.
 */

import { ipv4, udp } from '../../../src/packet/build.js';
import { cli, icmpErr4, ipt, R_WAN, srv, statefulForward, udp4, wan, type IptTable } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.150';

// ---------------------------------------------------------------------------------------- BER

type B = Uint8Array | number[];
const cat = (...parts: B[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** A BER length in its shortest form (or in `form` bytes after 0x8n when given). */
function berLen(n: number, form = 0): number[] {
  if (form === 0 && n < 128) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 255);
  while (bytes.length < Math.max(form, 1)) bytes.unshift(0);
  return [0x80 | bytes.length, ...bytes];
}
const tlv = (tag: number, ...content: B[]): Uint8Array => {
  const c = cat(...content);
  return cat([tag], berLen(c.length), c);
};
const tlvLong = (tag: number, form: number, ...content: B[]): Uint8Array => {
  const c = cat(...content);
  return cat([tag], berLen(c.length, form), c);
};
/** Indefinite length: 0x80, the content, end-of-contents. */
const tlvIndef = (tag: number, ...content: B[]): Uint8Array => cat([tag, 0x80], ...content, [0, 0]);
const seq = (...parts: B[]): Uint8Array => tlv(0x30, ...parts);
const int = (v: number): Uint8Array => tlv(0x02, [v]);
const str = (s: string): Uint8Array => tlv(0x04, [...Buffer.from(s, 'latin1')]);
const oid = (...v: number[]): Uint8Array => tlv(0x06, v);
const ipBytes = (a: string): number[] => a.split('.').map(Number);
const ipA = (a: string): Uint8Array => tlv(0x40, ipBytes(a));
const nul = (): Uint8Array => tlv(0x05, []);
/** A varbind with a (base) OID of `n` sub-identifiers after 1.3.6.1 and a value. */
const vb = (n: number, value: Uint8Array): Uint8Array => seq(oid(0x2b, 6, 1, ...Array.from({ length: n }, (_, k) => k + 2)), value);
const sysUpTime = (): Uint8Array => seq(oid(0x2b, 6, 1, 2, 1, 1, 3, 0), tlv(0x43, [0x01, 0x00]));
const trapOid = (): Uint8Array => seq(oid(0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0), oid(0x2b, 6, 1, 6, 3, 1, 1, 5, 3));

/** A PDU of context tag `tag` ([0] get .. [8] report) with request id and varbinds. */
const pdu = (tag: number, reqId: number, ...vbs: Uint8Array[]): Uint8Array => tlv(0xa0 | tag, int(reqId), int(0), int(0), seq(...vbs));
/** An SNMP message: version (0 v1, 1 v2c), community, PDU. */
const msg = (version: number, community: string, p: Uint8Array): Uint8Array => seq(int(version), str(community), p);

/** An SNMPv1 Trap-PDU ([4]): not in the kernel's grammar. */
function trapV1(agent: string): Uint8Array {
  const p = tlv(0xa4, oid(0x2b, 6, 1, 4, 1, 0x82, 0x37, 1), ipA(agent), int(6), int(1), tlv(0x43, [0x01, 0x00]), seq(vb(4, ipA(agent))));
  return msg(0, 'public', p);
}

// ---------------------------------------------------------------------------------------- rules

const STATEFUL = (extra: string[] = []): IptTable => statefulForward(['-A FORWARD -i r_cli -j ACCEPT', '-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT', ...extra]);
const rules = (raw: string[], nat: string[], nf: IptTable = STATEFUL()): string => ipt({ raw: { rules: raw }, nat: { rules: nat }, filter: nf });

/** A UDP datagram whose UDP length field says `udpLen` (no checksum). */
function udpShortLen(src: string, sport: number, dst: string, dport: number, payload: Uint8Array, udpLen: number): Uint8Array {
  return ipv4({ src, dst, id: 1, payload: udp({ sport, dport, payload, length: udpLen, checksum: 0 }) });
}

/**
 * A v2c trap from C whose UDP checksum, after MASQUERADE to R_WAN and the helper's rewrite of
 * C's IpAddress, sums to zero: the helper's update then writes 0x0000 (where a full computation
 * writes 0xffff). A filler octet string is varied until that happens.
 */
function trapWithZeroResult(sport: number, dport: number, second: boolean): Uint8Array {
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      const vbs = [sysUpTime(), trapOid(), vb(5, ipA(C)), vb(6, tlv(0x04, [a, b]))];
      if (second) vbs.push(vb(7, ipA(C)));
      const m = msg(1, 'public', pdu(7, 77, ...vbs));
      // The datagram after MASQUERADE (source R_WAN:sport) and the first rewrite.
      const out = udp4(R_WAN, sport, W, dport, replaceAddr(m, C, R_WAN, 1));
      const ck = (out[26]! << 8) | out[27]!;
      if (ck === 0xffff) return m;
    }
  }
  throw new Error('no filler found');
}

/** `m` with its first `count` IpAddress values `from` replaced by `to`. */
function replaceAddr(m: Uint8Array, from: string, to: string, count: number): Uint8Array {
  const f = ipBytes(from);
  const t = ipBytes(to);
  const r = Uint8Array.from(m);
  for (let i = 0; i + 6 <= r.length && count > 0; i++) {
    if (r[i] === 0x40 && r[i + 1] === 4 && f.every((x, k) => r[i + 2 + k] === x)) {
      r.set(t, i + 2);
      count--;
    }
  }
  return r;
}

export const scenarios: ScenarioSpec[] = [
  {
    name: 'r_helper_snmptrap_dnat_1',
    description:
      'snmp_trap helper behind DNAT (traps from the WAN to 203.0.113.1:162 forwarded to 10.0.2.100): the helper replaces the original source address by the reply destination, equal without SNAT, so it parses nothing: a v2c trap keeps every address, an SNMPv1 Trap-PDU and a non-SNMP payload pass (not dropped), the internal host\'s answer passes; a datagram whose UDP length is shorter than the IP payload is dropped by the helper\'s length check, which comes first',
    tags: ['helper', 'snmp', 'helper-snmp', 'helper-snmp_trap', 'nat', 'dnat'],
    iptables: rules(['-A PREROUTING -p udp --dport 162 -j CT --helper snmp_trap'], ['-A PREROUTING -i r_wan -p udp --dport 162 -j DNAT --to-destination 10.0.2.100']),
    steps: [
      wan(udp4(W, 41000, R_WAN, 162, msg(1, 'public', pdu(7, 1, sysUpTime(), trapOid(), vb(4, ipA(W)), vb(5, ipA(R_WAN)), vb(6, ipA(S))))), 'v2c trap to the DNAT: no address rewritten'),
      wan(udp4(W, 41001, R_WAN, 162, trapV1(W)), 'v1 trap: not parsed, forwarded'),
      wan(udp4(W, 41002, R_WAN, 162, 'not snmp at all'), 'garbage: not parsed, forwarded'),
      srv(udp4(S, 162, W, 41000, trapV1(S)), 'reply of the first connection (un-DNATed): not parsed'),
      wan(udpShortLen(W, 41003, R_WAN, 162, msg(1, 'public', pdu(7, 2, sysUpTime(), trapOid())), 30), 'UDP length shorter than the IP payload: dropped by the helper'),
    ],
  },
  {
    name: 'r_helper_snmptrap_inform_1',
    description:
      'snmp_trap and snmp helpers through MASQUERADE: an SNMPv2c InformRequest from 10.0.1.100 to udp/162 has 10.0.1.100 IpAddress values (even and odd payload offsets) rewritten to 203.0.113.1, and its Response in the reply direction too (the helper maps the original source to the reply destination in both directions); a GetRequest to udp/161 with the snmp helper (nf_nat_snmp_basic built in: its hook rewrites) and the GetResponse from port 161 (reply direction: parsed) with every application type; a trap sent from port 161 in the original direction and a reply to port 162 are skipped; an ICMP error from the client about a Response (RELATED, original direction) reaches the helper, which reads the ICMP header as UDP and drops it',
    tags: ['helper', 'snmp', 'helper-snmp', 'helper-snmp_trap', 'nat', 'masquerade'],
    iptables: rules(
      ['-A PREROUTING -i r_cli -p udp --dport 162 -j CT --helper snmp_trap', '-A PREROUTING -i r_cli -p udp --dport 1162 -j CT --helper snmp_trap', '-A PREROUTING -i r_cli -p udp --dport 161 -j CT --helper snmp'],
      ['-A POSTROUTING -o r_wan -j MASQUERADE'],
    ),
    steps: [
      cli(udp4(C, 41010, W, 162, msg(1, 'public', pdu(6, 11, sysUpTime(), trapOid(), vb(4, ipA(C)), vb(5, ipA(C)), vb(6, ipA('10.0.1.101'))))), 'InformRequest: both 10.0.1.100 rewritten'),
      wan(udp4(W, 162, R_WAN, 41010, msg(1, 'public', pdu(2, 11, sysUpTime(), trapOid(), vb(4, ipA(C)), vb(5, ipA(R_WAN)), vb(7, ipA(C))))), 'Response to the inform (reply direction): 10.0.1.100 rewritten to 203.0.113.1'),
      cli(udp4(C, 41011, W, 161, msg(0, 'private', pdu(0, 12, vb(4, nul()), vb(5, ipA(C))))), 'GetRequest, snmp helper: rewritten'),
      wan(
        udp4(
          W,
          161,
          R_WAN,
          41011,
          msg(
            0,
            'private',
            pdu(
              2,
              12,
              vb(4, int(5)),
              vb(5, ipA(C)),
              vb(6, str('\x0a\x00\x01\x64')),
              vb(7, tlv(0x41, [1, 2])),
              vb(8, tlv(0x42, [3])),
              vb(9, tlv(0x43, [4, 5, 6])),
              vb(10, tlv(0x44, [0x40, 4, 10, 0, 1, 100])),
              vb(11, tlv(0x46, [7, 8, 9])),
              vb(12, oid(0x2b, 6)),
              vb(13, tlv(0x80, [])),
              vb(14, tlv(0x81, [])),
              vb(15, tlv(0x82, [])),
              vb(16, ipA(C)),
            ),
          ),
        ),
        'GetResponse from port 161 (reply direction): both IpAddress values rewritten, the octet strings and Opaque not',
      ),
      cli(udp4(C, 161, W, 162, msg(1, 'public', pdu(7, 13, sysUpTime(), trapOid(), vb(4, ipA(C))))), 'trap from port 161 (original direction): skipped'),
      cli(udp4(C, 162, W, 1162, msg(1, 'public', pdu(7, 14, sysUpTime(), trapOid(), vb(4, ipA(C))))), 'trap to 1162 from port 162: rewritten'),
      wan(udp4(W, 1162, R_WAN, 162, msg(1, 'public', pdu(2, 14, vb(4, ipA(C))))), 'its answer to port 162 (reply direction): skipped'),
      cli(udp4(C, 41012, W, 162, msg(1, 'public', pdu(6, 15, sysUpTime(), trapOid()))), 'another InformRequest'),
      wan(udp4(W, 162, R_WAN, 41012, msg(1, 'public', pdu(2, 15, sysUpTime(), trapOid()))), 'its Response'),
      cli(icmpErr4(C, W, 3, 3, udp4(W, 162, C, 41012, msg(1, 'public', pdu(2, 15, sysUpTime(), trapOid())))), 'port unreachable from the client about the Response (RELATED, original direction): the helper reads the ICMP header as a UDP header, its length field fails: dropped'),
    ],
  },
  {
    name: 'r_helper_snmptrap_malformed_1',
    description:
      'snmp_trap helper through MASQUERADE with malformed messages: a truncated message, an IpAddress of 5 bytes, SNMPv3, a two-byte version, a non-SNMP payload, an empty payload, an indefinite-length message (the kernel grammar reads its end-of-contents as another PDU), a long tag, a 3-byte length, garbage among the varbinds, a short UDP length are dropped by the helper; trailing bytes after the message, a message without PDU and 2-byte long-form lengths are accepted and rewritten, a datagram without checksum keeps none; a connection without NAT is never parsed',
    tags: ['helper', 'snmp', 'helper-snmp', 'helper-snmp_trap', 'nat', 'masquerade', 'dropped'],
    iptables: rules(['-A PREROUTING -p udp --dport 162 -j CT --helper snmp_trap'], ['-A POSTROUTING -o r_wan -j MASQUERADE']),
    steps: [
      (() => {
        const m = msg(1, 'public', pdu(7, 21, sysUpTime(), trapOid(), vb(4, ipA(C))));
        return cli(udp4(C, 41020, W, 162, m.subarray(0, m.length - 3)), 'truncated message: dropped');
      })(),
      cli(udp4(C, 41021, W, 162, msg(1, 'public', pdu(7, 22, sysUpTime(), vb(4, tlv(0x40, [10, 0, 1, 100, 0]))))), 'IpAddress of 5 bytes: dropped'),
      cli(udp4(C, 41022, W, 162, seq(int(3), seq(int(1), int(1400), str('\x04'), int(3)), str(''), seq(str(''), str(''), pdu(7, 23, vb(4, ipA(C)))))), 'SNMPv3: dropped'),
      cli(udp4(C, 41023, W, 162, seq(tlv(0x02, [0, 1]), str('public'), pdu(7, 24, vb(4, ipA(C))))), 'version in two bytes: dropped'),
      cli(udp4(C, 41024, W, 162, 'hello, not BER'), 'non-SNMP payload: dropped'),
      cli(udp4(C, 41025, W, 162, ''), 'empty payload: dropped'),
      cli(udp4(C, 41026, W, 162, cat(msg(1, 'public', pdu(7, 25, sysUpTime(), vb(4, ipA(C)))), [0xde, 0xad, 0xbe, 0xef])), 'trailing bytes after the message: accepted, rewritten'),
      cli(udp4(C, 41027, W, 162, seq(int(1), str('public'))), 'no PDU: accepted'),
      cli(udp4(C, 41028, W, 162, tlvIndef(0x30, int(1), str('public'), pdu(7, 26, vb(4, ipA(C))))), 'indefinite-length message: its end-of-contents is read as another PDU tag: dropped'),
      cli(udp4(C, 41029, W, 162, tlvLong(0x30, 2, int(1), str('public'), tlvLong(0xa7, 2, int(27), int(0), int(0), tlvLong(0x30, 2, vb(4, ipA(C)))))), 'two-byte long-form lengths: accepted, rewritten'),
      cli(udp4(C, 41030, W, 162, cat([0x3f, 0x01, 0x05, 0x00]), {}), 'long tag: dropped'),
      cli(udp4(C, 41031, W, 162, cat([0x30, 0x83, 0x00, 0x00, 0x08], int(1), str('ab'))), 'three-byte length: dropped'),
      cli(udp4(C, 41032, W, 162, msg(1, 'public', tlv(0xa7, int(28), int(0), int(0), seq(vb(4, ipA(C)), [0x99, 0x00])))), 'unknown element among the varbinds: dropped'),
      cli(udp4(C, 41033, W, 162, msg(1, 'public', pdu(7, 29, sysUpTime(), vb(4, ipA(C)))), { checksum: 0 }), 'no UDP checksum: rewritten, still no checksum'),
      cli(udpShortLen(C, 41034, W, 162, msg(1, 'public', pdu(7, 30, vb(4, ipA(C)))), 20), 'UDP length shorter than the IP payload: dropped'),
      cli(udp4(C, 41035, S, 162, 'hello, not BER'), 'to the server network (no NAT): not parsed, forwarded'),
    ],
  },
  {
    name: 'r_helper_snmptrap_multi_1',
    description:
      'snmp_trap helper (an nft ct helper object) through masquerade: v2c traps with several IpAddress varbinds (10.0.1.100 at even and odd payload offsets, repeated, next to other addresses), in GetBulk and Report PDUs, a varbind with two values (the kernel grammar takes an INTEGER then an IpAddress), SEQUENCE tags given primitive, updates whose one\'s-complement sum is zero (the helper writes checksum 0x0000, and a later rewrite in the same datagram then leaves the checksum alone), two PDUs in one message (in the grammar\'s order: accepted; reversed: dropped), indefinite-length varbind lists and varbinds',
    tags: ['helper', 'snmp', 'helper-snmp', 'helper-snmp_trap', 'nat', 'masquerade', 'nft'],
    nft: [
      'table ip snmp {',
      '  ct helper trap { type "snmp_trap" protocol udp; }',
      '  chain pre { type filter hook prerouting priority filter; policy accept; udp dport 162 ct helper set "trap"; }',
      '  chain post { type nat hook postrouting priority srcnat; policy accept; oifname "r_wan" masquerade; }',
      '}',
      '',
    ].join('\n'),
    steps: [
      cli(
        udp4(C, 41040, W, 162, msg(1, 'public', pdu(7, 31, sysUpTime(), trapOid(), vb(4, ipA(C)), vb(5, ipA(C)), vb(6, ipA('10.0.1.10')), vb(7, ipA(C)), vb(8, ipA(W)), vb(9, ipA(C)), vb(10, ipA('100.10.0.1'))))),
        'v2c trap with five IpAddress 10.0.1.100 among others: all five rewritten',
      ),
      cli(udp4(C, 41041, W, 162, msg(1, 'pub', pdu(5, 32, vb(4, ipA(C)), vb(5, nul())))), 'GetBulkRequest: rewritten'),
      cli(udp4(C, 41042, W, 162, msg(1, 'public', pdu(8, 33, vb(4, ipA(C))))), 'Report: rewritten'),
      cli(udp4(C, 41043, W, 162, msg(1, 'public', pdu(7, 34, seq(oid(0x2b, 6, 1, 9), int(1), ipA(C))))), 'varbind with an INTEGER and an IpAddress: accepted, rewritten'),
      cli(udp4(C, 41044, W, 162, tlv(0x10, int(1), str('public'), tlv(0x87, int(35), int(0), int(0), tlv(0x10, tlv(0x10, oid(0x2b, 6, 1, 9), ipA(C)))))), 'SEQUENCE / PDU tags in primitive form: accepted, rewritten'),
      cli(udp4(C, 41045, W, 162, trapWithZeroResult(41045, 162, false)), 'the update comes out as checksum 0x0000'),
      cli(udp4(C, 41046, W, 162, trapWithZeroResult(41046, 162, true)), 'checksum 0x0000 after the first of two rewrites: the second leaves it (no checksum)'),
      cli(udp4(C, 41047, W, 162, msg(1, 'public', cat(pdu(7, 36, vb(4, ipA(C))), pdu(8, 37, vb(5, ipA(C)))))), 'a trap PDU then a report PDU in one message: both parsed and rewritten'),
      cli(udp4(C, 41048, W, 162, msg(1, 'public', cat(pdu(8, 38, vb(4, ipA(C))), pdu(7, 39, vb(5, ipA(C)))))), 'a report PDU then a trap PDU: dropped'),
      cli(udp4(C, 41049, W, 162, msg(1, 'public', tlv(0xa7, int(40), int(0), int(0), tlvIndef(0x30, vb(4, nul()), vb(5, ipA(C)))))), 'indefinite-length varbind list: accepted, rewritten'),
      cli(udp4(C, 41050, W, 162, msg(1, 'public', tlv(0xa7, int(41), int(0), int(0), seq(tlvIndef(0x30, oid(0x2b, 6, 1, 9), nul()))))), 'indefinite-length varbind with a NULL value: accepted'),
      cli(udp4(C, 41051, W, 162, msg(1, 'public', tlv(0xa7, int(42), int(0), int(0), seq(tlvIndef(0x30, oid(0x2b, 6, 1, 9), ipA(C)))))), 'indefinite-length varbind with an IpAddress value: dropped'),
    ],
  },
];
