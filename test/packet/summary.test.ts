/**
 * Expected lines were produced by the real tcpdump 4.99.3 (`tcpdump -nn -S -t -r`) on pcaps of
 * exactly these packets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as B from '../../src/packet/build.js';
import { decodeFrame, decodeIp } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';
import { LinkType, PacketView } from '../../src/packet/view.js';

const v = new PacketView();
const line = (p: Uint8Array, lt: number = LinkType.RAW) => summarize(decodeFrame(v, p, lt));
const c = '10.0.1.100';
const s = '10.0.2.100';
const ip4 = (payload: B.Segment | Uint8Array, extra: Partial<B.Ipv4Spec> = {}) => B.ipv4({ src: c, dst: s, payload, ...extra });
const t = (spec: Partial<B.TcpSpec>) => ip4(B.tcp({ sport: 1234, dport: 4321, seq: 7, ack: 9, ...spec }));

test('TCP conversation with options, as tcpdump -S prints it', () => {
  const f = new B.TcpFlow({ client: c, server: s, cport: 40000, sport: 8080, mss: 1460, sackPerm: true, ts: true, cwscale: 7, swscale: 7 });
  const got = [...f.handshake(), f.data('client', 'GET / HTTP/1.0\r\n\r\n'), f.data('server', 100), f.fin('server'), f.rst('client', true)].map((p) => line(p));
  assert.deepEqual(got, [
    'IP 10.0.1.100.40000 > 10.0.2.100.8080: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
    'IP 10.0.2.100.8080 > 10.0.1.100.40000: Flags [S.], seq 5000, ack 1001, win 64240, options [mss 1460,sackOK,TS val 1 ecr 1,nop,wscale 7], length 0',
    'IP 10.0.1.100.40000 > 10.0.2.100.8080: Flags [.], ack 5001, win 501, options [nop,nop,TS val 2 ecr 1], length 0',
    'IP 10.0.1.100.40000 > 10.0.2.100.8080: Flags [P.], seq 1001:1019, ack 5001, win 501, options [nop,nop,TS val 3 ecr 1], length 18: HTTP: GET / HTTP/1.0',
    'IP 10.0.2.100.8080 > 10.0.1.100.40000: Flags [P.], seq 5001:5101, ack 1019, win 501, options [nop,nop,TS val 2 ecr 3], length 100: HTTP',
    'IP 10.0.2.100.8080 > 10.0.1.100.40000: Flags [F.], seq 5101, ack 1019, win 501, options [nop,nop,TS val 3 ecr 3], length 0',
    'IP 10.0.1.100.40000 > 10.0.2.100.8080: Flags [R.], seq 1019, ack 5102, win 501, options [nop,nop,TS val 4 ecr 3], length 0',
  ]);
});

test('TCP flags, urgent pointer, SACK and odd options', () => {
  const cases: [Uint8Array, string][] = [
    [t({ flags: 'U', win: 100, urg: 3 }), 'Flags [U], win 100, urg 3, length 0'],
    [t({ flags: 'N', win: 100 }), 'Flags [none], win 100, length 0'],
    [t({ flags: 'FSRPAUEW', win: 100, urg: 3 }), 'Flags [FSRP.UEW], seq 7, ack 9, win 100, urg 3, length 0'],
    [t({ flags: 'SAEW', win: 100 }), 'Flags [S.EW], seq 7, ack 9, win 100, length 0'],
    [t({ flags: 'A', options: { sack: [[100, 200], [300, 400]] } }), 'Flags [.], ack 9, win 64240, options [nop,nop,sack 2 {100:200}{300:400}], length 0'],
    [t({ flags: 'A', options: { raw: Uint8Array.from([2, 3, 1, 1]) } }), 'Flags [.], ack 9, win 64240, options [mss 257[len 3]], length 0'],
    [t({ flags: 'A', options: { raw: Uint8Array.from([1, 1, 8, 30]) } }), 'Flags [.], ack 9, win 64240, options [nop,nop,[bad opt]]'],
    [t({ flags: 'S', seq: 0, options: { raw: Uint8Array.from([28, 4, 0x01, 0x2d, 6, 6, 0, 0, 0, 9, 5, 4, 1, 1]) } }), 'Flags [S], seq 0, win 64240, options [uto 0x12d 9000,echo 9,sack invalid sack,eol], length 0'],
    [t({ flags: 'S', seq: 0xfffffff0, payload: new Uint8Array(32) }), 'Flags [S], seq 4294967280:16, win 64240, length 32'],
    [t({ flags: 'S', dataOffset: 3 }), ' tcp 8 [bad hdr length 12 - too short, < 20]'],
    [t({ flags: 'S', dataOffset: 15 }), 'Flags [S] [bad hdr length 60 - too long, > 20]'],
  ];
  for (const [p, want] of cases) assert.equal(line(p), `IP 10.0.1.100.1234 > 10.0.2.100.4321: ${want}`);
  assert.equal(line(B.ipv4({ src: '10.0.1.5', dst: '10.0.2.5', payload: B.tcp({ sport: 21, dport: 40000, flags: 'PA', payload: '220 Welcome\r\n' }) })), 'IP 10.0.1.5.21 > 10.0.2.5.40000: Flags [P.], seq 0:13, ack 0, win 64240, length 13: FTP: 220 Welcome');
  assert.equal(line(B.ipv4({ src: '10.0.1.5', dst: '10.0.2.5', payload: B.tcp({ sport: 40000, dport: 21, flags: 'PA', payload: 'PASV' }) })), 'IP 10.0.1.5.40000 > 10.0.2.5.21: Flags [P.], seq 0:4, ack 0, win 64240, length 4: FTP: PASV [|ftp]');
});

test('UDP and IP-level forms', () => {
  const u = (spec: Partial<B.UdpSpec>, extra: Partial<B.Ipv4Spec> = {}) => line(ip4(B.udp({ sport: 40000, dport: 9999, ...spec }), extra));
  assert.equal(u({ payload: 'x'.repeat(33) }), 'IP 10.0.1.100.40000 > 10.0.2.100.9999: UDP, length 33');
  assert.equal(u({ payload: 'x'.repeat(33), length: 100 }), 'IP 10.0.1.100.40000 > 10.0.2.100.9999: UDP, bad length 92 > 33');
  assert.equal(u({ payload: 'x'.repeat(33), length: 4 }), 'IP 10.0.1.100.40000 > 10.0.2.100.9999: truncated-udplength 4');
  assert.equal(line(ip4(B.udplite({ sport: 40000, dport: 9999, payload: 'x'.repeat(33), coverage: 8 }))), 'IP 10.0.1.100 > 10.0.2.100:  ip-proto-136 41');
  assert.equal(line(ip4(new Uint8Array(16), { proto: 99 })), 'IP 10.0.1.100 > 10.0.2.100:  ip-proto-99 16');
  assert.equal(line(ip4(new Uint8Array(16), { proto: 50 })), 'IP 10.0.1.100 > 10.0.2.100: ESP(spi=0x00000000,seq=0x0), length 16');
  const big = B.ipv4({ src: c, dst: s, id: 99, payload: B.udp({ sport: 40000, dport: 9999, payload: new Uint8Array(100) }) });
  assert.deepEqual(B.fragmentIpv4(big, 48).map((p) => line(p)), ['IP 10.0.1.100.40000 > 10.0.2.100.9999: UDP, length 100', 'IP 10.0.1.100 > 10.0.2.100: ip-proto-17', 'IP 10.0.1.100 > 10.0.2.100: ip-proto-17']);
  assert.equal(u({}, { ihl: 3 }), 'IP bad-hlen 12');
  assert.equal(u({}, { totalLength: 200 }), 'IP truncated-ip - 172 bytes missing! 10.0.1.100.40000 > 10.0.2.100.9999: UDP, length 0');
  assert.equal(u({}, { totalLength: 10 }), 'IP bad-len 10');
  assert.equal(u({}, { version: 5 }), 'IP5 (invalid)');
  const syn = t({ flags: 'S', options: { mss: 1460 } });
  assert.equal(line(syn.subarray(0, 30)), 'IP truncated-ip - 14 bytes missing! 10.0.1.100.1234 > 10.0.2.100.4321:  [|tcp]');
  assert.equal(line(syn.subarray(0, 40)), 'IP truncated-ip - 4 bytes missing! 10.0.1.100.1234 > 10.0.2.100.4321: Flags [S], seq 7, win 64240, options [ [|tcp]');
  assert.equal(line(syn.subarray(0, 18)), 'IP  [|ip]');
  assert.equal(line(ip4(B.icmpEcho({ id: 1, seq: 1 })).subarray(0, 24)), 'IP truncated-ip - 4 bytes missing! 10.0.1.100 > 10.0.2.100:  [|icmp]');
  assert.equal(line(ip4(B.udp({ sport: 1, dport: 2 })).subarray(0, 24)), 'IP truncated-ip - 4 bytes missing! 10.0.1.100.1 > 10.0.2.100.2:  [|udp]');
  assert.equal(line(B.ipv4({ src: '10.0.2.1', dst: '10.0.1.100', proto: 4, payload: ip4(B.udp({ sport: 1000, dport: 2000, payload: 'hi' })) })), 'IP 10.0.2.1 > 10.0.1.100: IP 10.0.1.100.1000 > 10.0.2.100.2000: UDP, length 2');
});

test('ICMP types and unreachable codes', () => {
  const quoteUdp = B.ipv4({ src: c, dst: s, id: 5, payload: B.udp({ sport: 40000, dport: 9999, payload: 'hello' }) });
  const quoteTcp = B.ipv4({ src: c, dst: s, id: 5, payload: B.tcp({ sport: 40000, dport: 9999, flags: 'S', seq: 1 }) });
  const err = (type: number, code: number, rest = 0, quote = quoteTcp) => line(B.ipv4({ src: '10.0.2.1', dst: c, payload: B.icmpError({ type, code, quote, rest }) })).replace('IP 10.0.2.1 > 10.0.1.100: ICMP ', '');
  assert.equal(line(ip4(B.icmpEcho({ id: 1, seq: 1, payload: new Uint8Array(56) }))), 'IP 10.0.1.100 > 10.0.2.100: ICMP echo request, id 1, seq 1, length 64');
  assert.equal(err(3, 0), 'net 10.0.2.100 unreachable, length 48');
  assert.equal(err(3, 1), 'host 10.0.2.100 unreachable, length 48');
  assert.equal(err(3, 2), '10.0.2.100 protocol 6 unreachable, length 48');
  assert.equal(err(3, 3, 0, quoteUdp), '10.0.2.100 udp port 9999 unreachable, length 41');
  assert.equal(err(3, 4, 1400), '10.0.2.100 unreachable - need to frag (mtu 1400), length 48');
  assert.equal(err(3, 13), 'host 10.0.2.100 unreachable - admin prohibited filter, length 48');
  assert.equal(err(3, 16), '10.0.2.100 unreachable - #16, length 48');
  assert.equal(err(11, 0), 'time exceeded in-transit, length 48');
  assert.equal(err(11, 1), 'ip reassembly time exceeded, length 48');
  assert.equal(err(11, 5), 'time exceeded-#5, length 48');
  assert.equal(err(5, 1, 0x0a000201), 'redirect 10.0.2.100 to host 10.0.2.1, length 48');
  assert.equal(err(5, 7, 0x01020304), 'redirect-#7 10.0.2.100 to 1.2.3.4, length 48');
  assert.equal(err(12, 0, 0x14000000), 'parameter problem - octet 20, length 48');
  assert.equal(err(12, 1), 'parameter problem - code 1, length 48');
  assert.equal(err(4, 0), 'source quench, length 48');
  const icmp = (spec: B.IcmpSpec) => line(B.ipv4({ src: '10.0.2.1', dst: c, payload: B.icmp(spec) })).replace('IP 10.0.2.1 > 10.0.1.100: ICMP ', '');
  assert.equal(icmp({ type: 13, id: 3, seq: 4, payload: new Uint8Array(12) }), 'time stamp query id 3 seq 4, length 20');
  assert.equal(icmp({ type: 14, id: 1, seq: 2, payload: Uint8Array.from([0, 0, 0, 1, 0, 0x36, 0xee, 0x80, 0x80, 0, 0, 5]) }), 'time stamp reply id 1 seq 2: org 00:00:00.001, recv 01:00:00.000, xmit 596:31:23.653, length 20');
  assert.equal(icmp({ type: 42, code: 7, payload: new Uint8Array(12) }), 'type-#42, length 20');
});

test('IPv6, extension headers and ICMPv6', () => {
  const a = 'fd00:1::5';
  const b = 'fd00:2::5';
  const u6 = (ext: B.Ipv6Ext[]) => line(B.ipv6({ src: a, dst: b, ext, payload: B.udp({ sport: 40000, dport: 9999, payload: 'abc' }) }));
  assert.equal(u6([]), 'IP6 fd00:1::5.40000 > fd00:2::5.9999: UDP, length 3');
  assert.equal(u6([{ type: 'hop' }, { type: 'dst' }]), 'IP6 fd00:1::5 > fd00:2::5: HBH DSTOPT 40000 > 9999: UDP, length 3');
  assert.equal(line(B.ipv6({ src: a, dst: b, ext: [{ type: 'routing', routingType: 0, segmentsLeft: 1, addresses: ['fd00:9::1'] }], payload: B.udp({ sport: 1, dport: 2 }) })), 'IP6 fd00:1::5 > fd00:2::5: RT6 (len=2, type=0 [Deprecated], segleft=1, [0]fd00:9::1) 1 > 2: UDP, length 0');
  assert.equal(line(B.ipv6({ src: a, dst: b, ext: [{ type: 'ah', spi: 0x1234, seq: 7 }], payload: B.tcp({ sport: 1, dport: 2, flags: 'S' }) })), 'IP6 fd00:1::5 > fd00:2::5: AH(spi=0x00001234,seq=0x7,icv=0x000000000000000000000000): 1 > 2: Flags [S], seq 0, win 64240, length 0');
  assert.equal(line(B.ipv6({ src: a, dst: b, ext: [{ type: 'fragment', offset: 0, more: true, id: 77 }], payload: B.udp({ sport: 40000, dport: 9999, payload: 'abcdefgh' }) })), 'IP6 fd00:1::5 > fd00:2::5: frag (0|16) 40000 > 9999: UDP, length 8');
  assert.equal(line(B.ipv6({ src: a, dst: b, ext: [{ type: 'fragment', offset: 16, id: 77 }], proto: 17, payload: new Uint8Array(8) })), 'IP6 fd00:1::5 > fd00:2::5: frag (16|8)');
  assert.equal(line(B.ipv6({ src: a, dst: b, proto: 59, payload: new Uint8Array(0) })), 'IP6 fd00:1::5 > fd00:2::5: no next header');
  assert.equal(line(B.ipv6({ src: '::ffff:1.2.3.4', dst: '2001:db8::1', payload: B.udp({ sport: 40000, dport: 9999, payload: 'abc' }) })), 'IP6 ::ffff:1.2.3.4.40000 > 2001:db8::1.9999: UDP, length 3');
  assert.equal(line(B.ipv6({ src: a, dst: b, payload: B.icmpv6Echo({ id: 1, seq: 1, payload: new Uint8Array(56) }) })), 'IP6 fd00:1::5 > fd00:2::5: ICMP6, echo request, id 1, seq 1, length 64');
  const q6 = B.ipv6({ src: a, dst: b, payload: B.udp({ sport: 40000, dport: 9999, payload: 'abc' }) });
  const e6 = (type: number, code: number, rest = 0) => line(B.ipv6({ src: 'fd00:3::1', dst: a, payload: B.icmpv6Error({ type, code, quote: q6, rest }) })).replace('IP6 fd00:3::1 > fd00:1::5: ICMP6, ', '');
  assert.equal(e6(1, 0), 'destination unreachable, unreachable route fd00:2::5, length 59');
  assert.equal(e6(1, 1), 'destination unreachable,  unreachable prohibited fd00:2::5, length 59');
  assert.equal(e6(1, 4), 'destination unreachable, unreachable port, fd00:2::5 udp port 9999, length 59');
  assert.equal(e6(2, 0, 1280), 'packet too big, mtu 1280, length 59');
  assert.equal(e6(3, 0), 'time exceeded in-transit for fd00:2::5, length 59');
  assert.equal(e6(3, 1), 'time exceeded in-transit (reassembly), length 59');
  assert.equal(e6(4, 0), 'parameter problem, erroneous - octet 0, length 59');
  assert.equal(line(B.ipv6({ src: a, dst: b, payload: B.icmpv6({ type: 135, payload: Uint8Array.from([0, 0, 0, 0, 0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]) }) })), 'IP6 fd00:1::5 > fd00:2::5: ICMP6, neighbor solicitation, who has 0:0:fd00:2::, length 28');
  assert.equal(line(B.ipv6({ src: a, dst: b, payload: B.udp({ sport: 1, dport: 2 }) }).subarray(0, 44)), 'IP6 truncated-ip6 - 4 bytes missing!fd00:1::5.1 > fd00:2::5.2:  [|udp]');
});

test('ARP, loopback and link-level forms', () => {
  const arp = (op: number, sha: string, spa: number[], tha: string, tpa: number[]) => Uint8Array.from([0, 1, 8, 0, 6, 4, 0, op, ...B.parseMac(sha), ...spa, ...B.parseMac(tha), ...tpa]);
  assert.equal(line(B.ethernet({ dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806, payload: arp(1, '02:00:00:00:00:01', [10, 0, 1, 100], '00:00:00:00:00:00', [10, 0, 1, 1]), pad: true }), LinkType.ETHERNET), 'ARP, Request who-has 10.0.1.1 tell 10.0.1.100, length 46');
  assert.equal(line(B.ethernet({ type: 0x0806, payload: arp(2, '02:00:00:00:00:02', [10, 0, 1, 1], '02:00:00:00:00:01', [10, 0, 1, 100]), pad: true }), LinkType.ETHERNET), 'ARP, Reply 10.0.1.1 is-at 02:00:00:00:00:02, length 46');
  assert.equal(line(B.sll({ payload: new Uint8Array(28), protocol: 0x0806 }), LinkType.LINUX_SLL), 'ARP, Unknown Hardware (0) (len 0), Unknown Protocol (0x0000) (len 0), length 28');
  assert.equal(line(B.ethernet({ type: 0x88b5, payload: new Uint8Array(46) }), LinkType.ETHERNET), '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype Unknown (0x88b5), length 60: ');
  const p = ip4(B.udp({ sport: 1000, dport: 2000, payload: 'hi' }));
  assert.equal(line(B.nullFrame(p, { family: 99 }), LinkType.NULL), 'AF Unknown (99), length 34: ');
  for (const [frame, lt] of [[B.nullFrame(p), LinkType.NULL], [B.loopFrame(p), LinkType.LOOP], [B.sll({ payload: p }), LinkType.LINUX_SLL], [B.ethernet({ vlans: [5], payload: p }), LinkType.ETHERNET]] as const) {
    assert.equal(line(frame, lt), 'IP 10.0.1.100.1000 > 10.0.2.100.2000: UDP, length 2');
  }
  assert.equal(line(B.sll2({ payload: p, pktType: 4 }), LinkType.LINUX_SLL2), '?     Out IP 10.0.1.100.1000 > 10.0.2.100.2000: UDP, length 2');
});

test('GRE and DCCP short forms', () => {
  const inner = ip4(B.udp({ sport: 1000, dport: 2000, payload: 'hi' }));
  assert.equal(line(B.ipv4({ src: '10.0.1.5', dst: '10.0.2.5', payload: B.gre({ proto: 0x0800, checksum: true, seq: 3, key: 9, payload: inner }) })), 'IP 10.0.1.5 > 10.0.2.5: GREv0, off 0x0, key=0x9, seq 3, length 46: IP 10.0.1.100.1000 > 10.0.2.100.2000: UDP, length 2');
  assert.equal(line(B.ipv4({ src: '10.0.1.5', dst: '10.0.2.5', payload: B.dccp({ sport: 1, dport: 2, type: 1, service: 5 }) })), 'IP 10.0.1.5.1 > 10.0.2.5.2: DCCP DCCP-Response (service=5) (ack=0) ');
  assert.equal(line(B.ipv4({ src: '10.0.1.5', dst: '10.0.2.5', payload: B.dccp({ sport: 1, dport: 2, type: 3, ack: 5 }) })), 'IP 10.0.1.5.1 > 10.0.2.5.2: DCCP DCCP-Ack (ack=5) ');
  assert.ok(summarize(decodeIp(v, inner)).startsWith('IP '));
});
