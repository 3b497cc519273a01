/**
 * The differential fuzzer's pure parts (scripts/conformance/lib/fuzz-*.ts): the generator is
 * deterministic, respects the recorder's topology and packet budget, and writes rulesets both the
 * recorder's tools and ctkit load; its TCP conversation model is seq/ack consistent, and a clean
 * conversation over a lossy path (loss, duplicates, reordering, retransmissions) is never INVALID
 * for conntrack; delta debugging finds 1-minimal sublists within its budget; divergence
 * signatures survive renumbering; the spec file of findings is rewritten entry by entry.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';

import { compareScenario } from '../../src/conformance/compare.js';
import type { KernelRecording } from '../../src/conformance/types.js';
import { replayBytes } from '../../src/replay/replay.js';
import { LINKTYPE_RAW, writePcapng, type CapturePacket } from '../../scripts/conformance/lib/capture.js';
import { generate, packetCount, tcpConversation, toSpec, type FuzzStep } from '../../scripts/conformance/lib/fuzz-gen.js';
import { byteRegion, ddmin, diffRegions, dumpDelayArtifact, firstDivergence, lineShape, noteKind } from '../../scripts/conformance/lib/fuzz-min.js';
import { renderRuleset, type FuzzRuleset } from '../../scripts/conformance/lib/fuzz-rules.js';
import { Rng } from '../../scripts/conformance/lib/fuzz-rng.js';
import { foundFileText, parseFoundFile, upsertExpected, upsertFound } from '../../scripts/conformance/lib/fuzz-save.js';
import { validate, type ScenarioSpec } from '../../scripts/conformance/lib/scenario.js';

const HOST = {
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24'] },
    { name: 'r_srv', addresses: ['10.0.2.1/24'] },
    { name: 'r_wan', addresses: ['203.0.113.1/24'] },
  ],
  routes: [{ to: 'default', via: '203.0.113.254', dev: 'r_wan' }],
  sysctl: { 'net.ipv4.ip_forward': 1, 'net.netfilter.nf_conntrack_tcp_loose': 1, 'net.netfilter.nf_conntrack_checksum': 1 },
};
const IFACES = ['r_cli', 'r_srv', 'r_wan'];
const ACCEPT_ALL = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate INVALID -j ACCEPT\nCOMMIT\n';

const ip4 = (b: Uint8Array, off: number): string => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/** Replays steps through ctkit as the recorder's capture would carry them. */
function replaySteps(steps: FuzzStep[], iptables = ACCEPT_ALL, sysctl: Record<string, number> = {}): ReturnType<typeof replayBytes> {
  let t = 1700000000;
  const packets: CapturePacket[] = [];
  for (const s of steps) {
    if (s.sleep !== undefined) {
      t += s.sleep;
      continue;
    }
    t += 0.02;
    packets.push({ ifIndex: s.iface ? IFACES.indexOf(s.iface) : 2, ts: t, data: s.packet!, direction: s.iface ? 'in' : 'out' });
  }
  const cap = writePcapng(IFACES.map((n) => [n, LINKTYPE_RAW] as [string, number]), packets);
  return replayBytes(cap, { host: { ...HOST, sysctl: { ...HOST.sysctl, ...sysctl } }, iptables });
}

test('the same seed gives the same scenario, other seeds other ones', () => {
  for (const seed of [1, 42, 123456, 4000000000]) {
    const a = JSON.stringify(toSpec(generate(seed)));
    assert.equal(JSON.stringify(toSpec(generate(seed))), a);
    assert.notEqual(JSON.stringify(toSpec(generate(seed + 1))), a);
  }
});

test('Rng: ranges, picks and forks are deterministic and in bounds', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 100 }), (seed, lo, span) => {
      const a = new Rng(seed);
      const b = new Rng(seed);
      for (let k = 0; k < 20; k++) {
        const x = a.int(lo, lo + span);
        assert.equal(b.int(lo, lo + span), x);
        assert.ok(x >= lo && x <= lo + span);
      }
      assert.equal(a.fork().u32(), b.fork().u32());
    }),
    { numRuns: 50 },
  );
});

/** Where a source address may come from, per ingress interface. */
function sourceOk(iface: string | undefined, src: string): boolean {
  const host = (p: string): boolean => src.startsWith(p) && Number(src.slice(p.length)) >= 100;
  if (iface === undefined) return ['10.0.1.1', '10.0.2.1', '203.0.113.1'].includes(src);
  if (iface === 'r_cli') return host('10.0.1.');
  if (iface === 'r_srv') return host('10.0.2.');
  return !src.startsWith('10.') && src !== '203.0.113.1' && (!src.startsWith('203.0.113.') || host('203.0.113.'));
}

/** Destinations that need no ARP: the router, raw hosts, anything off-link; never the recorder's own 192.0.2.251/252. */
function destinationOk(dst: string): boolean {
  if (['10.0.1.1', '10.0.2.1', '203.0.113.1'].includes(dst)) return true;
  if (dst === '192.0.2.251' || dst === '192.0.2.252') return false;
  for (const p of ['10.0.1.', '10.0.2.', '203.0.113.']) if (dst.startsWith(p)) return Number(dst.slice(p.length)) >= 100;
  return !dst.startsWith('10.');
}

test('generated scenarios respect the topology, the packet budget and the recorder format; ctkit loads their rulesets', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 5, max: 60 }), (seed, maxPackets) => {
      const fs = generate(seed, { maxPackets });
      const spec = toSpec(fs);
      validate(spec);
      assert.ok(packetCount(fs) >= 1 && packetCount(fs) <= maxPackets, `${packetCount(fs)} packets, max ${maxPackets}`);
      assert.ok(fs.steps.reduce((s, x) => s + (x.sleep ?? 0), 0) <= 6, 'at most 6 s of pauses');
      assert.ok(fs.steps[fs.steps.length - 1]!.packet, 'ends with a packet');
      for (const s of fs.steps) {
        if (!s.packet) continue;
        const p = s.packet;
        assert.equal(p[0]! >> 4, 4, `${s.kind}: IPv4`);
        assert.ok(p.length >= 20 && p.length <= 1500, `${s.kind}: ${p.length} bytes`);
        if (!/martian|broadcast/.test(s.kind)) {
          assert.ok(sourceOk(s.iface, ip4(p, 12)), `${s.kind}: source ${ip4(p, 12)} on ${s.iface ?? 'local'}`);
          assert.ok(destinationOk(ip4(p, 16)), `${s.kind}: destination ${ip4(p, 16)}`);
        }
      }
      assert.ok(fs.tags.includes('fuzz'));
      // ctkit loads the ruleset and the sysctls (a load error would throw)
      replaySteps(fs.steps.filter((s) => s.packet).slice(0, 1), spec.iptables ?? undefined, fs.sysctls);
      if (spec.nft) replayBytes(writePcapng([['r_cli', LINKTYPE_RAW]], []), { host: HOST, nft: spec.nft, iptables: spec.iptables });
    }),
    { numRuns: 60 },
  );
});

test('the TCP model never acknowledges data the other end has not sent', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const steps = tcpConversation(seed, { chaos: 2, clean: true });
    const sent = new Map<string, number>(); // highest sequence end per direction, relative to its ISN
    const isn = new Map<string, number>();
    for (const s of steps) {
      if (!s.packet) continue;
      const p = s.packet;
      const hl = (p[0]! & 15) * 4;
      const dir = s.iface!;
      const seq = ((p[hl + 4]! << 24) | (p[hl + 5]! << 16) | (p[hl + 6]! << 8) | p[hl + 7]!) >>> 0;
      const ack = ((p[hl + 8]! << 24) | (p[hl + 9]! << 16) | (p[hl + 10]! << 8) | p[hl + 11]!) >>> 0;
      const flags = p[hl + 13]!;
      const len = p.length - hl - (p[hl + 12]! >> 4) * 4 + (flags & 2 ? 1 : 0) + (flags & 1 ? 1 : 0);
      if (flags & 2 && !(flags & 16)) {
        isn.set(dir, seq);
        sent.set(dir, 0);
      }
      if (flags & 2 && flags & 16) {
        isn.set(dir, seq);
        sent.set(dir, 0);
      }
      const base = isn.get(dir);
      if (base !== undefined) sent.set(dir, Math.max(sent.get(dir) ?? 0, ((seq - base) >>> 0) + len));
      const other = dir === 'r_cli' ? 'r_srv' : 'r_cli';
      if (flags & 16 && isn.has(other)) {
        const rel = (ack - isn.get(other)!) >>> 0;
        assert.ok(rel <= (sent.get(other) ?? 0), `seed ${seed}: ${s.kind} acks ${rel} of ${sent.get(other)} sent`);
      }
    }
  }
});

test('a clean conversation over a lossy, reordering, duplicating path is never INVALID for conntrack', () => {
  for (let seed = 1; seed <= 30; seed++) {
    for (const chaos of [0, 2]) {
      const steps = tcpConversation(seed, { chaos, clean: true });
      const out = replaySteps(steps);
      const pk = out.packets;
      assert.ok(pk.length > 0);
      pk.forEach((r, k) => assert.notEqual(r.ctstate, 'invalid', `seed ${seed} chaos ${chaos}: #${k} ${steps.filter((s) => s.packet)[k]!.kind}`));
      if (pk.length >= 3) assert.equal(pk[0]!.ctstate, 'new');
    }
  }
});

test('renderRuleset: iptables-restore and nft texts of every building block, loadable by ctkit', () => {
  const rs: FuzzRuleset = {
    rules: [
      { table: 'raw', chain: 'PREROUTING', m: { proto: 'udp', dport: 53 }, t: { t: 'NOTRACK' } },
      { table: 'mangle', chain: 'PREROUTING', m: {}, t: { t: 'CONNMARK', op: 'restore' } },
      { table: 'mangle', chain: 'PREROUTING', m: { iif: 'r_cli', ctstate: ['NEW'] }, t: { t: 'MARK', set: 2 } },
      { table: 'mangle', chain: 'PREROUTING', m: {}, t: { t: 'CONNMARK', op: 'save' } },
      { table: 'nat', chain: 'PREROUTING', m: { iif: 'r_wan', dst: '203.0.113.1', proto: 'tcp', dport: 8080 }, t: { t: 'DNAT', to: '10.0.2.100:80' } },
      { table: 'nat', chain: 'PREROUTING', m: { iif: 'r_cli', proto: 'tcp', dport: 3128 }, t: { t: 'REDIRECT', port: 3129 } },
      { table: 'nat', chain: 'POSTROUTING', m: { oif: 'r_wan', src: '10.0.1.0/24' }, t: { t: 'MASQUERADE' } },
      { table: 'filter', chain: 'FORWARD', m: { ctstate: ['RELATED', 'ESTABLISHED'], stateMatch: true }, t: { t: 'ACCEPT' } },
      { table: 'filter', chain: 'FORWARD', m: { ctstate: ['DNAT'] }, t: { t: 'ACCEPT' } },
      { table: 'filter', chain: 'FORWARD', m: { connmark: 1 }, t: { t: 'ACCEPT' } },
      { table: 'filter', chain: 'FORWARD', m: { iif: 'r_cli' }, t: { t: 'JUMP', chain: 'FZ_LAN' } },
      { table: 'filter', chain: 'FZ_LAN', m: { proto: 'icmp', icmpType: 'echo-request' }, t: { t: 'ACCEPT' } },
      { table: 'filter', chain: 'FZ_LAN', m: {}, t: { t: 'RETURN' } },
      { table: 'filter', chain: 'FORWARD', m: {}, t: { t: 'LOG', prefix: 'fz1: ' } },
      { table: 'filter', chain: 'FORWARD', m: { proto: 'tcp' }, t: { t: 'REJECT', with: 'tcp-reset' } },
      { table: 'filter', chain: 'FORWARD', m: {}, t: { t: 'REJECT', with: 'icmp-admin-prohibited' } },
    ],
    policies: { 'filter FORWARD': 'DROP' },
    userChains: [{ table: 'filter', name: 'FZ_LAN' }],
    backend: {},
  };
  const ipt = renderRuleset(rs);
  assert.equal(ipt.nft, undefined);
  assert.match(ipt.iptables!, /^\*raw\n:PREROUTING ACCEPT \[0:0\]\n:OUTPUT ACCEPT \[0:0\]\n-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK\nCOMMIT\n/);
  assert.match(ipt.iptables!, /:FORWARD DROP \[0:0\]/);
  assert.match(ipt.iptables!, /-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT/);
  assert.match(ipt.iptables!, /-A POSTROUTING -s 10\.0\.1\.0\/24 -o r_wan -j MASQUERADE/);
  assert.match(ipt.iptables!, /:FZ_LAN - \[0:0\]/);
  const nft = renderRuleset({ ...rs, backend: { raw: 'nft', mangle: 'nft', nat: 'nft', filter: 'nft' } });
  assert.equal(nft.iptables, undefined);
  assert.match(nft.nft!, /chain filter_forward \{\n {4}type filter hook forward priority 0; policy drop;\n {4}ct state related,established counter accept\n {4}ct status dnat counter accept/);
  assert.match(nft.nft!, /iifname "r_wan" ip daddr 203\.0\.113\.1 tcp dport 8080 counter dnat to 10\.0\.2\.100:80/);
  assert.match(nft.nft!, /counter reject with icmp type admin-prohibited/);
  assert.match(nft.nft!, /chain fz_lan \{\n {4}icmp type echo-request counter accept\n {4}counter return\n {2}\}/);
  const mixed = renderRuleset({ ...rs, backend: { filter: 'nft' } });
  assert.ok(mixed.iptables && mixed.nft && !mixed.iptables.includes('*filter') && !mixed.nft.includes('type nat'));
  for (const r of [ipt, nft, mixed]) replayBytes(writePcapng([['r_cli', LINKTYPE_RAW]], []), { host: HOST, iptables: r.iptables, nft: r.nft });
});

test('ddmin finds a 1-minimal sublist, never tests the empty list or a sublist twice, and stops at its budget', async () => {
  const items = Array.from({ length: 40 }, (_, k) => k);
  const seen = new Set<string>();
  const budget = { left: 1000 };
  const res = await ddmin(
    items,
    async (s) => {
      const key = s.join(',');
      assert.ok(s.length > 0);
      assert.ok(!seen.has(key), `tested twice: ${key}`);
      seen.add(key);
      return s.includes(3) && s.includes(17) && s.includes(33);
    },
    budget,
  );
  assert.deepEqual(res, [3, 17, 33]);
  assert.ok(1000 - budget.left === seen.size);
  const small = { left: 5 };
  let calls = 0;
  const partial = await ddmin(items, async (s) => (calls++, s.includes(3)), small);
  assert.equal(calls, 5);
  assert.equal(small.left, 0);
  assert.ok(partial.includes(3) && partial.length < items.length);
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 29 }), { minLength: 1, maxLength: 5 }), async (need) => {
      const r = await ddmin(
        Array.from({ length: 30 }, (_, k) => k),
        async (s) => need.every((x) => s.includes(x)),
        { left: 10000 },
      );
      assert.deepEqual(r, [...need].sort((a, b) => a - b));
    }),
    { numRuns: 30 },
  );
});

test('divergence signatures: notes without flow ids and fates, line and byte shapes', () => {
  assert.equal(noteKind('t3 tcp c data lost-after'), 'tcp c data');
  assert.equal(noteKind('u12 udp s reply from another port'), 'udp s reply from another port');
  assert.equal(noteKind('t1 icmp 3/4 about tcp c its latest segment (short)'), 'icmp #/# about tcp c its latest segment (short)');
  assert.equal(lineShape('[UPDATE] tcp      6 60 SYN_RECV src=10.0.1.5 dst=10.0.2.5 sport=1 dport=2 [UNREPLIED] src=10.0.2.5 mark=3'), '[UPDATE] tcp SYN_RECV [UNREPLIED] mark=');
  const syn = '45000028000140004006' + '0000' + '0a000164' + '0a000264' + '8235005000000001000000005002faf00000' + '0000';
  assert.equal(byteRegion(syn, 8), 'ip-ttl');
  assert.equal(byteRegion(syn, 24), 'tcp-seq');
  assert.equal(byteRegion(syn, 33), 'tcp-flags');
  assert.equal(byteRegion(syn, 36), 'tcp-csum');
  const ttl = syn.slice(0, 16) + '3f' + syn.slice(18, 20) + 'ffff' + syn.slice(24);
  assert.deepEqual(diffRegions(syn, ttl, false), ['ip-ttl']);
  assert.deepEqual(diffRegions(syn, syn.slice(0, 20) + 'ffff' + syn.slice(24), false), ['ip-csum']);
  assert.deepEqual(diffRegions(syn, syn.slice(0, 8) + 'beef' + syn.slice(12, 20) + 'ffff' + syn.slice(24), true), []);
  const kernel: KernelRecording = {
    packets: [
      { i: 0, iface: 'r_cli', verdict: 'FORWARDED', ctstate: 'new', ctdir: 'original', out: [], rules: ['filter FORWARD 3'], events: [], oracle: { note: 't1 tcp c syn' } },
      { i: 1, iface: 'r_srv', verdict: 'DROPPED', ctstate: 'invalid', ctdir: null, out: [], rules: ['filter FORWARD 2'], events: [], oracle: { note: 't2 tcp s rst in window, not exact duplicate' } },
    ],
    conntrack: [],
    expect: [],
  };
  const actual = {
    packets: [
      { i: 0, iface: 'r_cli', verdict: 'FORWARDED', ctstate: 'new', ctdir: 'original', out: [], rules: ['filter FORWARD 3'], events: [] },
      { i: 1, iface: 'r_srv', verdict: 'FORWARDED', ctstate: 'established', ctdir: 'reply', out: [], rules: ['filter FORWARD 1'], events: [] },
    ],
    conntrack: [],
    expect: [],
  };
  const d = firstDivergence(compareScenario(kernel, {}, actual), kernel)!;
  assert.equal(d.i, 1);
  assert.deepEqual(d.fields, ['verdict', 'ctstate', 'ctdir', 'rules']);
  assert.equal(d.signature, 'tcp s rst in window, not exact | verdict kernel DROPPED ctkit FORWARDED');
  // the same divergence with other rule numbers and packet positions has the same signature
  const k2: KernelRecording = { ...kernel, packets: [{ ...kernel.packets[1]!, i: 0, rules: ['filter FORWARD 7'], oracle: { note: 't9 tcp s rst in window, not exact' } }] };
  const a2 = { ...actual, packets: [{ ...actual.packets[1]!, i: 0, rules: ['filter FORWARD 4'] }] };
  assert.equal(firstDivergence(compareScenario(k2, {}, a2), k2)!.signature, d.signature);
  assert.equal(firstDivergence(compareScenario(kernel, {}, { packets: kernel.packets.map((p) => ({ ...p })), conntrack: [], expect: [] }), kernel), null);
  // an entry ctkit still lists with 0 s left, gone from the kernel's (later) final listing: no divergence
  const tcpLine = 'tcp      6 0 SYN_SENT src=10.0.1.102 dst=10.0.2.165 sport=32908 dport=80 [UNREPLIED] src=10.0.2.165 dst=10.0.1.102 sport=80 dport=32908';
  const late = compareScenario(kernel, {}, { packets: kernel.packets.map((p) => ({ ...p })), conntrack: [tcpLine], expect: [] });
  assert.equal(late.scenario, 0);
  assert.ok(dumpDelayArtifact(late));
  assert.equal(firstDivergence(late, kernel), null);
  const stale = compareScenario(kernel, {}, { packets: kernel.packets.map((p) => ({ ...p })), conntrack: [tcpLine.replace(' 0 SYN', ' 5 SYN')], expect: [] });
  assert.ok(!dumpDelayArtifact(stale));
  assert.match(firstDivergence(stale, kernel)!.signature, /^final conntrack table \| missing \{\} unexpected \{tcp SYN_SENT \[UNREPLIED\]\}$/);
  const err = firstDivergence(compareScenario(kernel, {}, { packets: null, conntrack: null, expect: null, error: 'replay threw: /x/y/rules.nft:3:7: bad' }), kernel)!;
  assert.equal(err.signature, 'error | replay threw: rules.nft:#:#: bad');
});

test('fuzz_found.ts entries are added and replaced by name; expected-failures reasons merged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-save-'));
  try {
    const path = join(dir, 'fuzz_found.ts');
    const spec = (name: string, d: string): ScenarioSpec => ({ name, description: d, iptables: ACCEPT_ALL, steps: [{ iface: 'r_cli', packet: '4500', note: 'x' }] });
    upsertFound(path, spec('r_fuzz_1_1', 'first'), ['signature: a']);
    upsertFound(path, spec('r_fuzz_2_1', 'second'), ['signature: b']);
    upsertFound(path, spec('r_fuzz_1_1', 'first, again'), ['signature: a2']);
    const text = readFileSync(path, 'utf8');
    const blocks = parseFoundFile(text);
    assert.deepEqual([...blocks.keys()], ['r_fuzz_1_1', 'r_fuzz_2_1']);
    assert.match(blocks.get('r_fuzz_1_1')!, /signature: a2\n[\s\S]*"description": "first, again"/);
    assert.equal(foundFileText(blocks), text);
    // the array is JSON once the marker comments are gone (what the recorder's loader imports)
    const body = text.slice(text.indexOf('= [') + 2);
    const arr = JSON.parse(body.replace(/^\s*\/\/.*$/gm, '').replace(/,\s*\]/, ']').replace(/;\s*$/, '')) as ScenarioSpec[];
    assert.deepEqual(arr.map((s) => s.description), ['first, again', 'second']);
    const ef = join(dir, 'expected-failures.json');
    upsertExpected(ef, { a: 'x' });
    upsertExpected(ef, { b: 'y', a: 'z' });
    assert.deepEqual(JSON.parse(readFileSync(ef, 'utf8')), { a: 'z', b: 'y' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
