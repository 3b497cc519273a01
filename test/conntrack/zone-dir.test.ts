/**
 * Zones for one direction (CT --zone-orig / --zone-reply, nft `ct original zone set`): lookups,
 * clashes and every output format, against lines recorded from Linux 6.18
 * (test/fixtures/conformance/r_zone_*).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../../src/host/host.js';
import { parseHostConfig } from '../../src/host/config.js';
import { iptablesBaseChains } from '../../src/netfilter/iptables-chains.js';
import { parseIptables } from '../../src/rules/parse.js';
import { LinkType } from '../../src/packet/view.js';
import { ipv4, udp } from '../../src/packet/build.js';
import { formatProc } from '../../src/format/conntrack.js';
import { formatConntrackXml } from '../../src/format/ct-xml.js';
import { fromJSON, toJSON } from '../../src/conntrack/snapshot.js';
import { zoneId, zoneSpecOf } from '../../src/conntrack/store.js';
import type { Conn } from '../../src/conntrack/conn.js';

const HOST = JSON.stringify({
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24'] },
    { name: 'r_srv', addresses: ['10.0.2.1/24'] },
    { name: 'r_wan', addresses: ['203.0.113.1/24'] },
  ],
  routes: [{ to: 'default', via: '203.0.113.254', dev: 'r_wan' }],
  sysctl: { 'net.ipv4.ip_forward': 1, 'net.netfilter.nf_conntrack_acct': 1 },
});
const T0 = 1700000000;

function host(raw: string[]): Host {
  const text = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...raw, 'COMMIT', ''].join('\n');
  return new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(text, { file: 'rules.v4' })), seed: 3 });
}
const u = (src: string, sport: number, dst: string, dport: number, payload: string) => ipv4({ src, dst, payload: udp({ sport, dport, payload }) });
const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.60';

test('zone specs: nf_ct_zone_id per direction', () => {
  assert.equal(zoneId(zoneSpecOf(5, 3), 0), 5);
  assert.equal(zoneId(zoneSpecOf(5, 3), 1), 5);
  assert.equal(zoneId(zoneSpecOf(5, 1), 0), 5);
  assert.equal(zoneId(zoneSpecOf(5, 1), 1), 0);
  assert.equal(zoneId(zoneSpecOf(7, 2), 0), 0);
  assert.equal(zoneId(zoneSpecOf(7, 2), 1), 7);
  assert.equal(zoneSpecOf(9, 3), 9, 'a zone for both directions is its plain id');
});

test('CT --zone-orig: the reply without a template finds the entry by its reply tuple; formats as the kernel prints them', () => {
  const h = host(['-A PREROUTING -i r_cli -j CT --zone-orig 5']);
  const q = h.receive(u(C, 40000, W, 53, 'query'), LinkType.RAW, 'r_cli', T0);
  assert.equal(q.ctstate, 'new');
  assert.deepEqual(q.events, ['    [NEW] udp      17 30 src=10.0.1.100 dst=198.51.100.60 sport=40000 dport=53 zone-orig=5 [UNREPLIED] src=198.51.100.60 dst=10.0.1.100 sport=53 dport=40000']);
  const a = h.receive(u(W, 53, C, 40000, 'answer'), LinkType.RAW, 'r_wan', T0 + 0.01);
  assert.equal(a.ctstate, 'established');
  assert.equal(a.ctdir, 'reply');
  assert.equal(a.verdict, 'FORWARDED');
  const again = h.receive(u(C, 40000, W, 53, 'query 2'), LinkType.RAW, 'r_cli', T0 + 0.02);
  assert.equal(again.ctstate, 'established');
  assert.equal(again.ctdir, 'original');
  assert.deepEqual(h.listConntrack(T0 + 1), [
    'udp      17 29 src=10.0.1.100 dst=198.51.100.60 sport=40000 dport=53 zone-orig=5 packets=2 bytes=68 src=198.51.100.60 dst=10.0.1.100 sport=53 dport=40000 packets=1 bytes=34 mark=0 use=1',
  ]);
  const conn = [...h.conntrack][0] as Conn;
  assert.equal(conn.zone, 5);
  assert.equal(conn.zoneDir, 1);
  assert.equal(conn.zoneOf(0), 5);
  assert.equal(conn.zoneOf(1), 0);
  assert.equal(
    formatProc(conn, T0 + 1),
    'ipv4     2 udp      17 29 src=10.0.1.100 dst=198.51.100.60 sport=40000 dport=53 zone-orig=5 packets=2 bytes=68 src=198.51.100.60 dst=10.0.1.100 sport=53 dport=40000 packets=1 bytes=34 mark=0 use=2',
  );
  const xml = formatConntrackXml(conn, T0 + 1);
  assert.match(xml, /<meta direction="original">.*<\/layer4><zone>5<\/zone><counters>/);
  assert.doesNotMatch(xml, /<meta direction="reply">[^]*<zone>/);
  assert.doesNotMatch(xml, /<meta direction="independent">.*<zone>/);
});

test('CT --zone-orig: a packet of the flow without the template misses the entry, clashes on its reply tuple and is dropped', () => {
  // Recorded: r_zone_orig_4.
  const h = host(['-A PREROUTING -i r_cli -m length --length 29 -j CT --zone-orig 5']);
  assert.equal(h.receive(u(C, 40003, W, 53, 'a'), LinkType.RAW, 'r_cli', T0).ctstate, 'new');
  const second = h.receive(u(C, 40003, W, 53, 'bb'), LinkType.RAW, 'r_cli', T0 + 0.01);
  assert.equal(second.ctstate, 'new', 'the zone 0 lookup misses the zone-orig 5 entry');
  assert.equal(second.verdict, 'DROPPED');
  assert.deepEqual(second.events, []);
  assert.equal(h.listConntrack(T0 + 1).length, 1);
  assert.equal(h.receive(u(W, 53, C, 40003, 'c'), LinkType.RAW, 'r_wan', T0 + 0.02).ctstate, 'established');
});

test('CT --zone-reply: replies with the template are found by the second lookup; without it they clash and are dropped', () => {
  const both = host(['-A PREROUTING -j CT --zone-reply 7']);
  both.receive(u(C, 40010, S, 5000, 'ping'), LinkType.RAW, 'r_cli', T0);
  const r = both.receive(u(S, 5000, C, 40010, 'pong'), LinkType.RAW, 'r_srv', T0 + 0.01);
  assert.equal(r.ctstate, 'established');
  assert.equal(r.ctdir, 'reply');
  assert.deepEqual(both.listConntrack(T0 + 1), [
    'udp      17 29 src=10.0.1.100 dst=10.0.2.100 sport=40010 dport=5000 packets=1 bytes=32 src=10.0.2.100 dst=10.0.1.100 sport=5000 dport=40010 zone-reply=7 packets=1 bytes=32 mark=0 use=1',
  ]);

  const one = host(['-A PREROUTING -i r_cli -j CT --zone-reply 7']);
  one.receive(u(C, 40020, S, 5000, 'ping'), LinkType.RAW, 'r_cli', T0);
  const miss = one.receive(u(S, 5000, C, 40020, 'pong'), LinkType.RAW, 'r_srv', T0 + 0.01);
  // Looked up in zone 0: missed; its new entry's reply tuple clashes with the first entry's
  // original (zone 0 on that side) and cannot be merged (the zones differ): dropped at confirmation.
  assert.equal(miss.ctstate, 'new');
  assert.equal(miss.verdict, 'DROPPED');
  assert.deepEqual(miss.events, []);
  assert.equal(one.listConntrack(T0 + 1).length, 1);
});

test('snapshots keep the zone direction: a restored table finds the entries the same way', () => {
  const h = host(['-A PREROUTING -i r_cli -j CT --zone-orig 5']);
  h.receive(u(C, 40000, W, 53, 'query'), LinkType.RAW, 'r_cli', T0);
  const snap = JSON.parse(JSON.stringify(toJSON(h.conntrack, T0 + 0.5)));
  const table = fromJSON(snap);
  const c = [...table][0]!;
  assert.equal(c.zoneDir, 1);
  assert.equal(c.zone, 5);
  // The reply tuple is in zone 0, the original in zone 5.
  assert.notEqual(table.get(c.reply, 0), null);
  assert.equal(table.get(c.orig, 0), null);
  assert.notEqual(table.get(c.orig, zoneSpecOf(5, 1)), null);
  assert.notEqual(table.get(c.orig, 5), null, 'a zone 5 for both directions matches the original side (zone id 5 there)');
});
