/**
 * conntrack output formats. Expected lines are the kernel corpus's (conformance kernel.json:
 * `conntrack`, `final.conntrack_extended`, `final.proc_nf_conntrack`, packets' `events`) where
 * it has the case, else built by hand from libnetfilter_conntrack 1.0.9's printing rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CtStats } from '../../src/conntrack/stats.js';
import { inetNtop6, procAddr, ctime } from '../../src/format/ct-attrs.js';
import {
  formatConntrack,
  formatConntrackXml,
  formatCount,
  formatEvent,
  formatEventXml,
  formatExpectStats,
  formatProc,
  formatStats,
  XML_FOOTER,
  XML_HEADER,
} from '../../src/format/conntrack.js';
import { Hook } from '../../src/netfilter/context.js';
import { icmpv6Echo, icmpEcho, ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { replayCore, loadKernel } from '../conntrack/corpus.js';
import { Harness, settings, T0, view } from '../conntrack/pkt.js';

function sortedLines(lines: string[]): string[] {
  return [...lines].sort();
}

test('d_udp_dns: -o extended and /proc lines are the kernel\'s', () => {
  const { table, t0 } = replayCore('d_udp_dns');
  const now = t0 + loadKernel('d_udp_dns').final.t;
  const [c] = [...table];
  assert.equal(
    formatConntrack(c!, now, { extended: true }),
    'ipv4     2 udp      17 119 src=10.0.1.100 dst=10.0.2.100 sport=33333 dport=53 packets=3 bytes=174 src=10.0.2.100 dst=10.0.1.100 sport=53 dport=33333 packets=1 bytes=86 [ASSURED] mark=0 use=1',
  );
  assert.equal(
    formatProc(c!, now),
    'ipv4     2 udp      17 119 src=10.0.1.100 dst=10.0.2.100 sport=33333 dport=53 packets=3 bytes=174 src=10.0.2.100 dst=10.0.1.100 sport=53 dport=33333 packets=1 bytes=86 [ASSURED] mark=0 zone=0 use=2',
  );
});

test('e_icmp: -o extended and /proc lines are the kernel\'s', () => {
  const { table, t0 } = replayCore('e_icmp');
  const now = t0 + loadKernel('e_icmp').final.t;
  const conns = [...table];
  assert.deepEqual(sortedLines(conns.map((c) => formatConntrack(c, now, { extended: true }))), sortedLines([
    'ipv4     2 icmp     1 29 src=10.0.1.100 dst=10.0.1.1 type=8 code=0 id=8 packets=1 bytes=28 src=10.0.1.1 dst=10.0.1.100 type=0 code=0 id=8 packets=1 bytes=28 mark=0 use=1',
    'ipv4     2 icmp     1 29 src=10.0.1.100 dst=10.0.2.100 type=8 code=0 id=7 packets=1 bytes=36 src=10.0.2.100 dst=10.0.1.100 type=0 code=0 id=7 packets=2 bytes=72 mark=0 use=1',
    'ipv4     2 icmp     1 29 src=10.0.2.1 dst=10.0.2.100 type=8 code=0 id=99 packets=1 bytes=39 [UNREPLIED] src=10.0.2.100 dst=10.0.2.1 type=0 code=0 id=99 packets=0 bytes=0 mark=0 use=1',
    'ipv4     2 udp      17 29 src=10.0.1.100 dst=10.0.2.100 sport=44444 dport=9999 packets=1 bytes=33 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=9999 dport=44444 packets=0 bytes=0 mark=0 use=1',
  ]));
  assert.deepEqual(sortedLines(conns.map((c) => formatProc(c, now))), sortedLines([
    'ipv4     2 icmp     1 29 src=10.0.1.100 dst=10.0.2.100 type=8 code=0 id=7 packets=1 bytes=36 src=10.0.2.100 dst=10.0.1.100 type=0 code=0 id=7 packets=2 bytes=72 mark=0 zone=0 use=2',
    'ipv4     2 icmp     1 29 src=10.0.1.100 dst=10.0.1.1 type=8 code=0 id=8 packets=1 bytes=28 src=10.0.1.1 dst=10.0.1.100 type=0 code=0 id=8 packets=1 bytes=28 mark=0 zone=0 use=2',
    'ipv4     2 icmp     1 29 src=10.0.2.1 dst=10.0.2.100 type=8 code=0 id=99 packets=1 bytes=39 [UNREPLIED] src=10.0.2.100 dst=10.0.2.1 type=0 code=0 id=99 packets=0 bytes=0 mark=0 zone=0 use=2',
    'ipv4     2 udp      17 29 src=10.0.1.100 dst=10.0.2.100 sport=44444 dport=9999 packets=1 bytes=33 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=9999 dport=44444 packets=0 bytes=0 mark=0 zone=0 use=2',
  ]));
});

test('a_tcp_handshake: the TCP state in -o extended and /proc', () => {
  const { table, t0 } = replayCore('a_tcp_handshake');
  const now = t0 + loadKernel('a_tcp_handshake').final.t;
  const [c] = [...table];
  assert.equal(
    formatConntrack(c!, now, { extended: true }),
    'ipv4     2 tcp      6 119 TIME_WAIT src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80 packets=6 bytes=258 src=10.0.2.100 dst=10.0.1.100 sport=80 dport=40000 packets=4 bytes=184 [ASSURED] mark=0 use=1',
  );
  assert.equal(
    formatProc(c!, now),
    'ipv4     2 tcp      6 119 TIME_WAIT src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80 packets=6 bytes=258 src=10.0.2.100 dst=10.0.1.100 sport=80 dport=40000 packets=4 bytes=184 [ASSURED] mark=0 zone=0 use=2',
  );
});

test('IPv6 (gen_0001): compressed addresses for conntrack, full ones in /proc, helper and use', () => {
  const h = new Harness();
  const A = 'fd00:1::125';
  const B = 'fd00:2::12d';
  const master = h.run(view(ipv6({ src: A, dst: B, payload: udp({ sport: 34894, dport: 69, payload: new Uint8Array(18) }) })), T0, {
    track: { helper: 'tftp' },
  }).conn!;
  h.table.setExpectationLookup((t) => (t.dport === 34894 && t.sport === 42495 ? { master, helper: null } : null));
  const child = h.run(view(ipv6({ src: B, dst: A, payload: udp({ sport: 42495, dport: 34894, payload: new Uint8Array(10) }) })), T0 + 0.1).conn!;
  h.run(view(ipv6({ src: A, dst: B, payload: udp({ sport: 34894, dport: 42495, payload: new Uint8Array(4) }) })), T0 + 0.1);
  const now = T0 + 0.5;
  assert.equal(
    formatConntrack(master, now, { extended: true }),
    'ipv6     10 udp      17 29 src=fd00:1::125 dst=fd00:2::12d sport=34894 dport=69 packets=1 bytes=66 [UNREPLIED] src=fd00:2::12d dst=fd00:1::125 sport=69 dport=34894 packets=0 bytes=0 mark=0 helper=tftp use=2',
  );
  assert.equal(
    formatProc(master, now),
    'ipv6     10 udp      17 29 src=fd00:0001:0000:0000:0000:0000:0000:0125 dst=fd00:0002:0000:0000:0000:0000:0000:012d sport=34894 dport=69 packets=1 bytes=66 [UNREPLIED] src=fd00:0002:0000:0000:0000:0000:0000:012d dst=fd00:0001:0000:0000:0000:0000:0000:0125 sport=69 dport=34894 packets=0 bytes=0 mark=0 zone=0 use=3',
  );
  assert.equal(
    formatConntrack(child, now),
    'udp      17 29 src=fd00:2::12d dst=fd00:1::125 sport=42495 dport=34894 packets=1 bytes=58 src=fd00:1::125 dst=fd00:2::12d sport=34894 dport=42495 packets=1 bytes=52 mark=0 use=1',
  );
  const ping = h.run(view(ipv6({ src: 'fd00:1::11c', dst: 'fd00:3::112', payload: icmpv6Echo({ id: 6037, seq: 1, payload: new Uint8Array(32) }) })), T0).conn!;
  assert.equal(
    formatProc(ping, now),
    'ipv6     10 icmpv6   58 29 src=fd00:0001:0000:0000:0000:0000:0000:011c dst=fd00:0003:0000:0000:0000:0000:0000:0112 type=128 code=0 id=6037 packets=1 bytes=80 [UNREPLIED] src=fd00:0003:0000:0000:0000:0000:0000:0112 dst=fd00:0001:0000:0000:0000:0000:0000:011c type=129 code=0 id=6037 packets=0 bytes=0 mark=0 zone=0 use=2',
  );
});

test('DESTROY of an expired entry has no timeout (gen_0060)', () => {
  const h = new Harness(settings({ icmpTimeout: 2 }));
  h.run(view(ipv4({ src: '10.0.1.1', dst: '10.0.1.162', payload: icmpEcho({ id: 55367, seq: 1, payload: new Uint8Array(11) }) })), T0, {
    hook: Hook.OUTPUT,
  });
  h.run(view(ipv4({ src: '10.0.1.162', dst: '10.0.1.1', payload: icmpEcho({ id: 55367, seq: 1, reply: true, payload: new Uint8Array(11) }) })), T0 + 0.02);
  h.take();
  h.table.expire(T0 + 2.8);
  assert.deepEqual(h.take(), [
    '[DESTROY] icmp     1 src=10.0.1.1 dst=10.0.1.162 type=8 code=0 id=55367 packets=1 bytes=39 src=10.0.1.162 dst=10.0.1.1 type=0 code=0 id=55367 packets=1 bytes=39',
  ]);
});

test('DESTROY of an entry killed by a RST keeps its timeout and state (gen_0040, accounting off)', () => {
  const h = new Harness(settings({ acct: false }));
  const syn = view(ipv4({ src: '10.0.1.122', dst: '10.0.1.1', payload: tcp({ sport: 34449, dport: 22, flags: 'S', seq: 1000 }) }));
  h.run(syn, T0);
  const rst = view(ipv4({ src: '10.0.1.1', dst: '10.0.1.122', payload: tcp({ sport: 22, dport: 34449, flags: 'RA', seq: 0, ack: 1001, win: 0 }) }));
  h.run(rst, T0, { hook: Hook.OUTPUT });
  assert.deepEqual(h.take(), [
    '    [NEW] tcp      6 120 SYN_SENT src=10.0.1.122 dst=10.0.1.1 sport=34449 dport=22 [UNREPLIED] src=10.0.1.1 dst=10.0.1.122 sport=22 dport=34449',
    '[DESTROY] tcp      6 120 CLOSE src=10.0.1.122 dst=10.0.1.1 sport=34449 dport=22 [UNREPLIED] src=10.0.1.1 dst=10.0.1.122 sport=22 dport=34449',
  ]);
});

/** One confirmed UDP connection with timestamps, a zone, labels and a mark. */
function decorated() {
  const h = new Harness(settings({ timestamp: true }));
  const c = h.run(view(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2 }) })), T0, { track: { zone: 5 } }).conn!;
  c.mark = 0x10;
  c.setLabel(1);
  c.setLabel(70);
  h.table.confirm(c, T0);
  return { h, c };
}

test('-o id, ktimestamp, labels; zone and delta-time', () => {
  const { c } = decorated();
  const names = new Map([
    [1, 'web'],
    [70, 'bulk'],
  ]);
  assert.equal(
    formatConntrack(c, T0 + 10.5, { id: true, ktimestamp: true, labels: names }),
    `udp      17 19 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 packets=1 bytes=28 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 packets=0 bytes=0 mark=16 zone=5 delta-time=10 [start=Tue Nov 14 22:13:20 2023] use=1 id=${c.id} labels=web,bulk`,
  );
  assert.equal(
    formatProc(c, T0 + 10.5),
    'ipv4     2 udp      17 19 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 packets=1 bytes=28 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 packets=0 bytes=0 mark=16 zone=5 delta-time=10 use=2',
  );
  // Labels without names are not shown; without -o labels nothing is.
  assert.match(formatConntrack(c, T0, { labels: new Map() }), / use=1 labels$/);
  assert.match(formatConntrack(c, T0), / use=1$/);
});

test('DESTROY events carry the timestamps, NEW events do not', () => {
  const { h, c } = decorated();
  h.take();
  h.table.delete(c, T0 + 4.2);
  const line = h.take()[0]!;
  assert.equal(
    line,
    '[DESTROY] udp      17 25 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 packets=1 bytes=28 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 packets=0 bytes=0 mark=16 zone=5 delta-time=4',
  );
  assert.equal(c.tsStop, T0 + 4.2);
  const ev = { type: 'DESTROY' as const, conn: c, time: T0 + 4.2, bits: 4 };
  assert.match(formatEvent(ev, { ktimestamp: true }), / delta-time=4 \[start=Tue Nov 14 22:13:20 2023\] \[stop=Tue Nov 14 22:13:24 2023\]$/);
});

test('XML: a listing flow and an event flow', () => {
  const h = new Harness();
  const c = h.run(view(ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: udp({ sport: 33333, dport: 53, payload: 'abcd' }) })), T0).conn!;
  assert.equal(
    formatConntrackXml(c, T0 + 1),
    '<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.1.100</src><dst>10.0.2.100</dst></layer3>' +
      '<layer4 protonum="17" protoname="udp"><sport>33333</sport><dport>53</dport></layer4><counters><packets>1</packets><bytes>32</bytes></counters></meta>' +
      '<meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.2.100</src><dst>10.0.1.100</dst></layer3>' +
      '<layer4 protonum="17" protoname="udp"><sport>53</sport><dport>33333</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta>' +
      `<meta direction="independent"><timeout>29</timeout><mark>0</mark><use>1</use><id>${c.id}</id><unreplied/></meta></flow>`,
  );
  const ev = h.events[0]!;
  assert.equal(
    formatEventXml(ev),
    '<flow type="new"><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.1.100</src><dst>10.0.2.100</dst></layer3>' +
      '<layer4 protonum="17" protoname="udp"><sport>33333</sport><dport>53</dport></layer4></meta>' +
      '<meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.2.100</src><dst>10.0.1.100</dst></layer3>' +
      '<layer4 protonum="17" protoname="udp"><sport>53</sport><dport>33333</dport></layer4></meta>' +
      `<meta direction="independent"><timeout>30</timeout><id>${c.id}</id><unreplied/></meta></flow>`,
  );
  assert.equal(XML_HEADER, '<?xml version="1.0" encoding="utf-8"?>\n<conntrack>');
  assert.equal(XML_FOOTER, '</conntrack>');
});

test('XML: the TCP state by name, ICMP without ports', () => {
  const { table, t0 } = replayCore('a_tcp_handshake');
  const [c] = [...table];
  assert.match(formatConntrackXml(c!, t0 + 1), /<meta direction="independent"><state>TIME_WAIT<\/state><timeout>119<\/timeout>/);
  const { table: icmp } = replayCore('e_icmp');
  const first = [...icmp][0]!;
  assert.match(formatConntrackXml(first, t0), /<layer4 protonum="1" protoname="icmp"><\/layer4>/);
});

test('conntrack -S, -S expect and -C', () => {
  const s = new CtStats();
  s.invalid = 3;
  s.drop = 1;
  assert.deepEqual(formatStats(s), [
    'cpu=0   \tfound=0 invalid=3 insert=0 insert_failed=0 drop=1 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0 ',
  ]);
  assert.deepEqual(formatExpectStats(s), ['cpu=0   \texpect_new=0 expect_create=0 expect_delete=0 ']);
  assert.equal(formatCount(7), '7');
});

test('IPv6 text as inet_ntop writes it, and as the kernel\'s %pI6', () => {
  const w = (...words: number[]): Uint32Array => Uint32Array.from(words);
  assert.equal(inetNtop6(w(0, 0, 0, 1)), '::1');
  assert.equal(inetNtop6(w(0, 0, 0, 0)), '::');
  assert.equal(inetNtop6(w(0, 0, 0xffff, 0x01020304)), '::ffff:1.2.3.4');
  assert.equal(inetNtop6(w(0, 0, 0, 0x01020304)), '::1.2.3.4');
  assert.equal(inetNtop6(w(0x00010000, 0, 0, 0)), '1::');
  assert.equal(inetNtop6(w(0xfd000001, 0, 0, 0x125)), 'fd00:1::125');
  assert.equal(inetNtop6(w(0x00010000, 0x00010000, 0x00010000, 0x00010000)), '1:0:1:0:1:0:1:0');
  assert.equal(inetNtop6(w(0x00010000, 0x00000001, 0, 0x00000001)), '1:0:0:1::1');
  assert.equal(inetNtop6(w(0x00010000, 0x00000001, 0x00000000, 0x00010001)), '1::1:0:0:1:1');
  assert.equal(procAddr(6, w(0xfd000001, 0, 0, 0x125)), 'fd00:0001:0000:0000:0000:0000:0000:0125');
  assert.equal(ctime(1700000000), 'Tue Nov 14 22:13:20 2023');
  assert.equal(ctime(1704240000), 'Wed Jan  3 00:00:00 2024');
});
