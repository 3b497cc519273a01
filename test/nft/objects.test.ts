/**
 * nft stateful objects through a whole host (conntrack, NAT, helpers): ct timeout objects (the
 * policy's timeouts, its first value on a new connection, nothing before conntrack), ct
 * expectation objects (the expected connection is RELATED, `size` limits a master, the timeout
 * is the kernel's milliseconds-as-seconds), ct count per rule and per set element, object maps
 * (counter, ct helper), NAT with address and port maps, secmark (objects refused as without an
 * LSM, the statements that copy secmarks), and the nft 1.0.6 listing of objects. Errors point at
 * FILE:LINE:COLUMN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipv4, tcp, udp } from '../../src/packet/build.js';
import { LinkType } from '../../src/packet/view.js';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { formatNftRuleset } from '../../src/format/nft.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { ConnCountList, conncountAdd, conncountGc } from '../../src/nft/objects.js';
import { CtStateBit, CtStatus, Hook, type CtHandle, type CtTupleLike, type PacketContext } from '../../src/netfilter/context.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { helperHost, SCENARIOS } from '../helpers/harness.js';

const HOST = JSON.parse(readFileSync(join(SCENARIOS, 'r_nft_ct_1', 'host.json'), 'utf8'));
const T0 = 1700000000;

function host(nft: string) {
  return helperHost(HOST, { nft }).host;
}

const tcp4 = (src: string, sport: number, dst: string, dport: number, flags: string, seq = 1000, ack = 0) =>
  ipv4({ src, dst, payload: tcp({ sport, dport, flags, seq, ack }) });
const udp4 = (src: string, sport: number, dst: string, dport: number) => ipv4({ src, dst, payload: udp({ sport, dport, payload: 'q' }) });

function timeoutOf(lines: string[], needle: string): number {
  const l = lines.find((x) => x.includes(needle));
  assert.ok(l, `no connection with ${needle} in\n${lines.join('\n')}`);
  return Number(l.trim().split(/\s+/)[2]);
}

test('ct timeout: the policy applies after conntrack, its first value on a new connection', () => {
  const h = host(`table ip f {
  ct timeout udp7 { protocol udp; l3proto ip; policy = { unreplied: 7, replied: 13 }; }
  ct timeout tcp50 { protocol tcp; l3proto ip; policy = { syn_sent: 20, established: 50, close: 4 }; }
  chain raw { type filter hook prerouting priority raw; policy accept; udp dport 54 ct timeout set "udp7"; }
  chain pre { type filter hook prerouting priority filter; policy accept;
    udp dport 53 ct timeout set "udp7"
    tcp dport { 80, 81 } ct timeout set "tcp50"
    ct timeout set udp dport map { 55 : "udp7" }
  }
}`);
  h.receive(udp4('10.0.1.100', 8000, '198.51.100.80', 53), LinkType.RAW, 'r_cli', T0);
  h.receive(udp4('10.0.1.100', 8001, '198.51.100.80', 54), LinkType.RAW, 'r_cli', T0);
  h.receive(udp4('10.0.1.100', 8002, '198.51.100.80', 55), LinkType.RAW, 'r_cli', T0);
  h.receive(tcp4('10.0.1.100', 8100, '10.0.2.100', 80, 'S'), LinkType.RAW, 'r_cli', T0);
  h.receive(tcp4('10.0.2.100', 80, '10.0.1.100', 8100, 'SA', 5000, 1001), LinkType.RAW, 'r_srv', T0);
  h.receive(tcp4('10.0.1.100', 8100, '10.0.2.100', 80, 'A', 1001, 5001), LinkType.RAW, 'r_cli', T0);
  h.receive(tcp4('10.0.1.100', 8101, '10.0.2.100', 81, 'A', 3000, 9000), LinkType.RAW, 'r_cli', T0);
  const ct = h.listConntrack(T0);
  assert.equal(timeoutOf(ct, 'dport=53'), 7);
  assert.equal(timeoutOf(ct, 'dport=54'), 30);
  assert.equal(timeoutOf(ct, 'dport=55'), 7);
  // syn_recv keeps nft's default (60), established is the policy's
  assert.equal(timeoutOf(ct, 'sport=8100 dport=80'), 50);
  // picked up mid-stream: ESTABLISHED, with the policy's first (syn_sent) timeout
  assert.match(ct.find((l) => l.includes('sport=8101'))!, /ESTABLISHED/);
  assert.equal(timeoutOf(ct, 'sport=8101'), 20);
});

test('ct timeout objects: nft 1.0.6 validation and listing (comment first, only non-default states)', () => {
  const bad = (text: string, where: RegExp) => assert.throws(() => loadNft(text, { file: 'r.nft' }), (e: unknown) => e instanceof NftError && where.test(e.message));
  bad('table ip t {\n  ct timeout a { protocol icmp; }\n}', /^r\.nft:2:27: syntax error, unexpected 'icmp', expecting udp or tcp/);
  bad('table ip t {\n  ct timeout a { protocol tcp; policy = { bogus: 7 }; }\n}', /^r\.nft:2:43: invalid state for this protocol/);
  bad('table ip t {\n  ct timeout a { protocol tcp; policy = { established: 7s }; }\n}', /^r\.nft:2:56: syntax error, unexpected '7s', expecting number/);
  bad('table ip t {\n  ct timeout a { protocol tcp; policy = { syn_sent2: 7 }; }\n}', /syn_sent2 is not supported by ctkit/);
  const rs = loadNft(`table inet t {
  ct timeout b { protocol tcp; l3proto ip; policy = { close: 5, syn_sent: 3, unack: 9, established: 432000 }; comment "x"; }
  ct timeout c { protocol udp; l3proto ip6; policy = { replied: 120 }; }
  ct timeout d { protocol tcp; policy = { established: 7 }; }
}`);
  assert.equal(
    formatNftRuleset(rs),
    `table inet t {
\tct timeout b {
\t\tcomment "x"
\t\tprotocol tcp
\t\tl3proto ip
\t\tpolicy = { syn_sent : 3, close : 5, unack : 9 }
\t}

\tct timeout c {
\t\tprotocol udp
\t\tl3proto ip6
\t\tpolicy = {  }
\t}

\tct timeout d {
\t\tprotocol tcp
\t\tl3proto inet
\t\tpolicy = { established : 7 }
\t}
}
`,
  );
});

test('ct expectation: the first packet of a master expects its peer at dport; RELATED; size; the timeout', () => {
  const h = host(`table ip f {
  ct expectation e5000 { protocol tcp; dport 5000; timeout 10s; size 2; l3proto ip; }
  ct expectation e6000 { protocol udp; dport 6000; timeout 1m; size 1; }
  chain pre { type filter hook prerouting priority filter; policy accept;
    tcp dport 21 ct expectation set "e5000" counter
    tcp dport 21 ct expectation set "e6000" counter
    tcp dport 2121 ct expectation set "e6000" counter
  }
}`);
  const r0 = h.receive(tcp4('10.0.1.100', 9000, '10.0.2.100', 21, 'S'), LinkType.RAW, 'r_cli', T0);
  // the second rule breaks: the master already has size (1) expectations of the default class
  assert.deepEqual(r0.rules, ['ip f pre 1', 'ip f pre policy']);
  assert.ok(r0.events.some((e) => e.includes('[NEW] 10000 proto=6 src=10.0.2.100 dst=10.0.1.100 sport=0 dport=5000')), r0.events.join('\n'));
  h.receive(tcp4('10.0.2.100', 21, '10.0.1.100', 9000, 'SA', 5000, 1001), LinkType.RAW, 'r_srv', T0 + 0.01);
  const r2 = h.receive(tcp4('10.0.2.100', 20, '10.0.1.100', 5000, 'S'), LinkType.RAW, 'r_srv', T0 + 0.02);
  assert.equal(r2.ctstate, 'related');
  const r3 = h.receive(udp4('10.0.2.100', 7000, '10.0.1.100', 6000), LinkType.RAW, 'r_srv', T0 + 0.03);
  assert.equal(r3.ctstate, 'new');
  h.receive(tcp4('10.0.1.101', 9001, '10.0.2.100', 2121, 'S'), LinkType.RAW, 'r_cli', T0 + 0.04);
  assert.deepEqual(h.listExpect(T0 + 1), [
    '59999 proto=17 src=10.0.2.100 dst=10.0.1.101 sport=0 dport=6000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.101 master-dst=10.0.2.100 sport=9001 dport=2121 class=0',
  ]);
});

test('ct count over N per rule: a fourth connection is dropped until one closes; per set element', () => {
  const h = host(`table ip f {
  set perhost { type ipv4_addr; flags dynamic; }
  chain forward { type filter hook forward priority filter; policy accept;
    tcp dport 22 ct count over 2 counter drop
    tcp dport 23 add @perhost { ip saddr ct count over 1 } counter drop
  }
}`);
  const v = (src: string, sp: number, dp: number, t: number) => h.receive(tcp4(src, sp, '10.0.2.100', dp, 'S'), LinkType.RAW, 'r_cli', T0 + t).verdict;
  assert.equal(v('10.0.1.100', 7000, 22, 0), 'FORWARDED');
  assert.equal(v('10.0.1.100', 7001, 22, 0.02), 'FORWARDED');
  assert.equal(v('10.0.1.101', 7002, 22, 0.04), 'DROPPED');
  h.receive(tcp4('10.0.2.100', 22, '10.0.1.100', 7000, 'R', 1, 1001), LinkType.RAW, 'r_srv', T0 + 0.06);
  assert.equal(v('10.0.1.102', 7004, 22, 0.08), 'FORWARDED');
  assert.equal(v('10.0.1.100', 7100, 23, 0.1), 'FORWARDED');
  assert.equal(v('10.0.1.100', 7101, 23, 0.12), 'DROPPED');
  assert.equal(v('10.0.1.101', 7102, 23, 0.14), 'FORWARDED');
  assert.match(formatNftRuleset(loadNft('table ip f {\n  set s { type ipv4_addr; }\n  chain c { add @s { ip saddr ct count over 20 } counter; ct count 3 counter; }\n}')),
    /set s \{\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic\n\t\}[\s\S]*add @s \{ ip saddr ct count over 20 \} counter packets 0 bytes 0\n\t\tct count 3 counter packets 0 bytes 0/);
});

/** A connection handle for the conncount list alone. */
function conn(sport: number, o: { confirmed?: boolean; assured?: boolean; state?: string } = {}): CtHandle {
  const t = (s: number, d: number): CtTupleLike => ({ family: 4, proto: 6, src: new Uint32Array([0x0a000164, 0, 0, 0]), dst: new Uint32Array([0x0a000264, 0, 0, 0]), sport: s, dport: d });
  return {
    orig: t(sport, 22), reply: t(22, sport), status: (o.confirmed ? CtStatus.CONFIRMED : 0) | (o.assured ? CtStatus.ASSURED : 0), mark: 0,
    labels: new Uint32Array(4), zone: 0, zoneOf: () => 0, helperName: null, expiresAt: 0, protoStateName: () => o.state ?? 'SYN_SENT',
  };
}

test('nf_conncount: recorded once, evicted when gone for two jiffies or closed, GC at most once a jiffy', () => {
  const live = new Map<number, CtHandle>();
  const pctx = (ct: CtHandle | null, now: number): PacketContext => ({
    pkt: decodeIp(new PacketView(), tcp4('10.0.1.100', 1, '10.0.2.100', 22, 'S')), family: 4, hook: Hook.FORWARD, iif: null, oif: null, mark: 0, now,
    ct, ctState: CtStateBit.NEW, ctDir: 0, notrack: false, ctHelper: null, ctZone: 0, log: [],
    ctFind: (t) => live.get(t.sport) ?? null,
  });
  const list = new ConnCountList(-1);
  const a = conn(1000);
  assert.equal(conncountAdd(pctx(a, 1), list), 'ok');
  assert.equal(conncountAdd(pctx(a, 1), list), 'ok');
  assert.equal(list.conns.length, 2); // same jiffy: no walk, recorded again (the kernel's shortcut)
  live.set(1000, conn(1000, { confirmed: true }));
  assert.equal(conncountAdd(pctx(conn(1001), 1.1), list), 'ok');
  // the walk found 1000 live (twice) and added 1001
  assert.equal(list.conns.length, 3);
  // a confirmed, assured connection is not recorded: 'exists'
  assert.equal(conncountAdd(pctx(conn(1000, { confirmed: true, assured: true }), 1.2), list), 'exists');
  // 1001 never confirmed: gone after two jiffies; 1000 closed
  live.set(1000, conn(1000, { confirmed: true, state: 'TIME_WAIT' }));
  conncountGc(pctx(null, 1.3), list);
  assert.equal(list.conns.length, 0);
  const before = list.lastGc;
  conncountGc(pctx(null, 1.3), list);
  assert.equal(list.lastGc, before);
});

test('object maps: counter name EXPR map, ct helper set EXPR map; a missing object is refused', () => {
  const rs = loadNft(`table ip t {
  counter c1 { }
  ct helper h1 { type "tftp" protocol udp; }
  map cm { type inet_service : counter; elements = { 21 : "c1" } }
  chain pre { type filter hook prerouting priority 0;
    counter name tcp dport map @cm
    counter name tcp dport map { 22 : "c1" }
    ct helper set udp dport map { 69 : "h1", 5060 : "h1" }
  }
}`);
  const text = formatNftRuleset(rs);
  assert.match(text, /map cm \{\n\t\ttype inet_service : counter\n\t\telements = \{ 21 : "c1" \}\n\t\}/);
  assert.match(text, /counter name tcp dport map @cm\n\t\tcounter name tcp dport map \{ 22 : "c1" \}\n\t\tct helper set udp dport map \{ 69 : "h1", 5060 : "h1" \}/);
  assert.throws(
    () => loadNft('table ip t {\n  counter c1 { }\n  chain c { counter name tcp dport map { 22 : "nope" }; }\n}', { file: 'r.nft' }),
    (e: unknown) => e instanceof NftError && /^r\.nft:3:\d+: Could not process rule: No such file or directory: counter nope/.test(e.message),
  );
  // traffic: the object counts the packets its key selects, others break the rule
  const live = loadNft(`table ip t {
  counter c1 { }
  chain forward { type filter hook forward priority 0; policy accept; counter name tcp dport map { 22 : "c1" }; }
}`);
  const [fwd] = nftBaseChains(live);
  const trace: string[] = [];
  for (const dport of [22, 23, 22]) {
    const pkt = decodeIp(new PacketView(), tcp4('10.0.1.100', 1, '10.0.2.100', dport, 'S'));
    fwd!.run({ pkt, family: 4, hook: Hook.FORWARD, iif: 'r_cli', oif: 'r_srv', mark: 0, now: T0, ct: null, ctState: CtStateBit.NEW, ctDir: 0, notrack: false, ctHelper: null, ctZone: 0, log: [] }, trace);
  }
  const st = live.tables[0]!.object('counter', 'c1')!.state;
  assert.deepEqual(st.kind === 'counter' ? [st.packets, st.bytes] : null, [2, 80]);
  assert.deepEqual(trace, ['ip t forward 1', 'ip t forward policy', 'ip t forward policy', 'ip t forward 1', 'ip t forward policy']);
});

test('NAT with maps: the address and the port from the packet (Debian nat.nft), numgen ports', () => {
  const h = host(`table ip nat {
  chain pre { type nat hook prerouting priority dstnat; policy accept;
    iifname "r_wan" dnat tcp dport map { 1000 : 10.0.2.101, 2000 : 10.0.2.102 } : tcp dport map { 1000 : 1234, 2000 : 2345 }
    iifname "r_wan" udp dport 53 dnat to 10.0.2.103 : numgen inc mod 2 map { 0 : 5353, 1 : 5354 }
  }
}`);
  const dst = (b: Uint8Array) => `${b[16]}.${b[17]}.${b[18]}.${b[19]}:${(b[22]! << 8) | b[23]!}`;
  const out = (p: Uint8Array) => dst(h.receive(p, LinkType.RAW, 'r_wan', T0).out[0]!.bytes);
  assert.equal(out(tcp4('198.51.100.80', 3000, '203.0.113.1', 1000, 'S')), '10.0.2.101:1234');
  assert.equal(out(tcp4('198.51.100.80', 3001, '203.0.113.1', 2000, 'S')), '10.0.2.102:2345');
  assert.equal(out(udp4('198.51.100.80', 3002, '203.0.113.1', 53)), '10.0.2.103:5353');
  assert.equal(out(udp4('198.51.100.80', 3003, '203.0.113.1', 53)), '10.0.2.103:5354');
  assert.match(
    formatNftRuleset(loadNft('table ip nat {\n  chain p { type nat hook prerouting priority dstnat;\n    dnat tcp dport map { 1000 : 1.1.1.1 } : tcp dport map { 1000 : 1234 }\n  }\n  chain q { type nat hook postrouting priority srcnat;\n    snat ip saddr map { 10.0.0.1 : 1.1.1.1 }\n  }\n}')),
    /dnat to tcp dport map \{ 1000 : 1\.1\.1\.1 \}:tcp dport map \{ 1000 : 1234 \}\n[\s\S]*snat to ip saddr map \{ 10\.0\.0\.1 : 1\.1\.1\.1 \}/,
  );
});

test('secmark: objects are refused as on a kernel without an LSM; the copying statements load and list', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => loadNft(text, { file: 'r.nft' }), (e: unknown) => e instanceof NftError && re.test(e.message));
  bad('table inet x {\n  secmark s { "system_u:object_r:ssh_server_packet_t:s0" }\n}', /^r\.nft:2:3: Could not process rule: No such file or directory: secmark s/);
  bad('table inet x {\n  chain y { type filter hook input priority 0; meta secmark set "s"; }\n}', /^r\.nft:2:\d+: Could not process rule: No such file or directory: secmark s/);
  bad('table inet x {\n  chain y { type filter hook input priority 0; ct secmark set 7; }\n}', /ct secmark must not be set to constant value/);
  bad('table inet x {\n  chain y { type filter hook input priority 0; meta secmark 0 counter; }\n}', /Cannot be used with right hand side constant value/);
  const rs = loadNft(`table inet x {
  map m { type inet_service : secmark; }
  chain y { type filter hook input priority 0;
    ct secmark set meta secmark
    meta secmark set ct secmark
    meta secmark set tcp dport map @m
  }
}`);
  assert.equal(
    formatNftRuleset(rs),
    `table inet x {
\tmap m {
\t\ttype inet_service : secmark
\t}

\tchain y {
\t\ttype filter hook input priority filter; policy accept;
\t\tct secmark set meta secmark
\t\tmeta secmark set ct secmark
\t\tmeta secmark set tcp dport map @m
\t}
}
`,
  );
});
