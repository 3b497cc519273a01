/**
 * Self-test of the conformance comparator (like the shared corpus's tools/selftest): the kernel's
 * own answers must score 100% on every fixture, corrupting any single field must fail, and the
 * differences the comparator is meant to tolerate (IP ID of host-generated packets, timeouts
 * within 2 s, masked nondeterministic bytes) must pass.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { compareScenario, parseJsonl, tableLines, type ComparisonResult } from '../../src/conformance/compare.js';
import type { ActualResult, KernelRecording } from '../../src/conformance/types.js';
import { kernelAsActual, listScenarioDirs, loadScenario, type Scenario } from '../../scripts/conformance/lib/corpus.js';

const scenarios: Scenario[] = listScenarioDirs().map(loadScenario);

/** Adds s seconds to the timeout of a conntrack / expectation line (as fake_ctkit.py does). */
function shiftTimeout(line: string, s: number): string {
  const ct = /^(\s*(?:\[\w+\]\s+)?)(\S+\s+\d+\s+)(\d+)(\s.*)$/.exec(line);
  if (ct && !ct[2]!.startsWith('proto=')) return ct[1]! + ct[2]! + String(Number(ct[3]) + s) + ct[4]!;
  const ex = /^(\s*(?:\[\w+\]\s+)?)(\d+)(\s+proto=.*)$/.exec(line);
  return ex ? ex[1]! + String(Number(ex[2]) + s) + ex[3]! : line;
}

function score(sc: Scenario, mutate?: (a: ActualResult) => void): ComparisonResult {
  const a = kernelAsActual(sc.kernel);
  mutate?.(a);
  return compareScenario(sc.kernel, sc.meta, a, sc.name);
}

/** The first scenario and packet satisfying pred. */
function pick(pred: (p: KernelRecording['packets'][number], k: KernelRecording) => boolean): [Scenario, number] {
  for (const sc of scenarios) {
    for (const p of sc.kernel.packets) if (pred(p, sc.kernel)) return [sc, p.i];
  }
  throw new Error('no fixture has what the case needs');
}

function flipHexByte(hex: string, at: number, mask: number): string {
  const b = Buffer.from(hex, 'hex');
  b[at] = b[at]! ^ mask;
  return b.toString('hex');
}

test('fixtures exist', () => {
  assert.ok(scenarios.length >= 70, `only ${scenarios.length} scenarios under test/fixtures/conformance`);
});

test('the kernel answers score 100% on every fixture', () => {
  const bad = scenarios.map((sc) => score(sc)).filter((r) => !r.scenario);
  assert.deepEqual(bad.map((r) => `${r.name}: ${r.problems.slice(0, 2).join(' | ')}`), []);
});

test('timeouts shifted by 2 s are tolerated, by 3 s not', () => {
  const [sc] = pick((p, k) => k.conntrack.length > 0 && p.events.length > 0);
  const shift = (s: number) => (a: ActualResult) => {
    a.packets!.forEach((p) => (p['events'] = (p['events'] as string[]).map((e) => shiftTimeout(e, s))));
    a.conntrack = a.conntrack!.map((l) => shiftTimeout(l, s));
  };
  assert.equal(score(sc, shift(2)).scenario, 1);
  const r = score(sc, shift(3));
  assert.equal(r.scenario, 0);
  assert.equal(r.table, 0);
});

test('expectation timeouts +1 s are tolerated', () => {
  const [sc] = pick((p) => p.events.some((e) => e.includes('proto=')));
  const r = score(sc, (a) => {
    a.packets!.forEach((p) => (p['events'] = (p['events'] as string[]).map((e) => shiftTimeout(e, 1))));
    a.expect = a.expect!.map((l) => shiftTimeout(l, 1));
  });
  assert.equal(r.scenario, 1, r.problems.join('\n'));
});

test('the IP ID and checksum of a host-generated packet are masked', () => {
  const [sc, i] = pick((p) => p.out.some((o) => o.gen && o.hex.startsWith('4')));
  const r = score(sc, (a) => {
    const out = a.packets![i]!['out'] as { hex: string; gen: boolean }[];
    const k = sc.kernel.packets[i]!.out.findIndex((o) => o.gen);
    out[k]!.hex = flipHexByte(flipHexByte(out[k]!.hex, 4, 0x5a), 10, 0x33);
  });
  assert.equal(r.scenario, 1, r.problems.join('\n'));
});

test('the IP ID of a forwarded packet is not masked', () => {
  const [sc, i] = pick((p) => p.out.some((o) => !o.gen && o.hex.startsWith('4')));
  const r = score(sc, (a) => {
    const out = a.packets![i]!['out'] as { hex: string }[];
    const k = sc.kernel.packets[i]!.out.findIndex((o) => !o.gen);
    out[k]!.hex = flipHexByte(out[k]!.hex, 4, 0x5a);
  });
  assert.equal(r.scenario, 0);
  assert.match(r.problems[0]!, /byte 4 differs/);
});

test('bytes declared nondeterministic (out_bytes) are masked', () => {
  const sc = scenarios.find((s) => (s.meta.nondeterministic?.out_bytes ?? []).length > 0);
  assert.ok(sc, 'a fixture with out_bytes masks');
  const m = sc.meta.nondeterministic!.out_bytes![0]!;
  const r = score(sc, (a) => {
    const out = a.packets![m.i]!['out'] as { hex: string }[];
    out[m.k]!.hex = flipHexByte(out[m.k]!.hex, m.bytes[0]![0], 0xff);
  });
  assert.equal(r.scenario, 1, r.problems.join('\n'));
});

/** A corruption of one field of one packet that must make the scenario fail. */
interface Corruption {
  name: string;
  pred: (p: KernelRecording['packets'][number], k: KernelRecording) => boolean;
  apply: (a: ActualResult, i: number) => void;
  field: string;
}

const rec = (a: ActualResult, i: number): Record<string, unknown> => a.packets!.find((p) => p.i === i)!;

const CORRUPTIONS: Corruption[] = [
  { name: 'verdict', field: 'verdict', pred: () => true, apply: (a, i) => (rec(a, i)['verdict'] = rec(a, i)['verdict'] === 'DROPPED' ? 'FORWARDED' : 'DROPPED') },
  { name: 'ctstate', field: 'ctstate', pred: () => true, apply: (a, i) => (rec(a, i)['ctstate'] = rec(a, i)['ctstate'] === 'invalid' ? 'new' : 'invalid') },
  { name: 'ctstate null', field: 'ctstate', pred: (p) => p.ctstate !== null, apply: (a, i) => (rec(a, i)['ctstate'] = null) },
  { name: 'ctdir', field: 'ctdir', pred: () => true, apply: (a, i) => (rec(a, i)['ctdir'] = rec(a, i)['ctdir'] === 'reply' ? 'original' : 'reply') },
  { name: 'iface', field: 'iface', pred: (p) => p.iface !== null, apply: (a, i) => (rec(a, i)['iface'] = 'r_bogus') },
  { name: 'rules order', field: 'rules', pred: (p) => p.rules.length > 1 && p.rules[0] !== p.rules.at(-1), apply: (a, i) => (rec(a, i)['rules'] = [...(rec(a, i)['rules'] as string[])].reverse()) },
  { name: 'rules extra', field: 'rules', pred: (p) => p.rules.length > 0, apply: (a, i) => (rec(a, i)['rules'] as string[]).push('filter FORWARD 99') },
  { name: 'events dropped', field: 'events', pred: (p) => p.events.length > 0, apply: (a, i) => (rec(a, i)['events'] as string[]).shift() },
  { name: 'events extra', field: 'events', pred: () => true, apply: (a, i) => (rec(a, i)['events'] as string[]).push('[NEW] tcp 6 120 SYN_SENT src=1.2.3.4') },
  {
    name: 'out last byte', field: 'out', pred: (p) => p.out.length > 0,
    apply: (a, i) => {
      const o = (rec(a, i)['out'] as { hex: string }[])[0]!;
      o.hex = flipHexByte(o.hex, o.hex.length / 2 - 1, 1);
    },
  },
  { name: 'out iface', field: 'out', pred: (p) => p.out.length > 0, apply: (a, i) => ((rec(a, i)['out'] as { iface: string }[])[0]!.iface = 'r_bogus') },
  { name: 'out extra', field: 'out', pred: () => true, apply: (a, i) => (rec(a, i)['out'] as unknown[]).push({ iface: 'r_cli', hex: '45' }) },
  { name: 'out not hex', field: 'out', pred: (p) => p.out.length > 0, apply: (a, i) => {
    const o = (rec(a, i)['out'] as { hex: string }[])[0]!;
    o.hex = 'zz' + o.hex.slice(2);
  } },
  { name: 'field missing', field: 'verdict', pred: () => true, apply: (a, i) => delete rec(a, i)['verdict'] },
  { name: 'record missing', field: 'missing', pred: () => true, apply: (a, i) => (a.packets = a.packets!.filter((p) => p.i !== i)) },
];

for (const c of CORRUPTIONS) {
  test(`corrupting ${c.name} fails`, () => {
    const [sc, i] = pick(c.pred);
    const r = score(sc, (a) => c.apply(a, i));
    assert.equal(r.scenario, 0, `${sc.name} #${i} still passes`);
    assert.equal(r.p, r.n - 1);
    assert.equal(r.fieldFail[c.field], 1, JSON.stringify(r.fieldFail));
  });
}

test('a missing or short final table fails', () => {
  const [sc] = pick((_, k) => k.conntrack.length > 0);
  const short = score(sc, (a) => (a.conntrack = a.conntrack!.slice(1)));
  assert.equal(short.table, 0);
  assert.equal(short.scenario, 0);
  assert.equal(short.tableDiffs[0]!.missing.length, 1);
  const none = score(sc, (a) => (a.expect = null));
  assert.equal(none.scenario, 0);
  assert.ok(none.problems.includes('no --expect output'));
});

test('use= and id= are ignored in the tables, "conntrack v" banner lines too', () => {
  const [sc] = pick((_, k) => k.conntrack.length > 0);
  const r = score(sc, (a) => {
    a.conntrack = a.conntrack!.map((l) => l.replace(/ use=\d+/, ' use=7') + ' id=12345');
    a.conntrack.push('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.');
  });
  assert.equal(r.scenario, 1, r.problems.join('\n'));
});

test('a replay error fails the scenario even when the output matches', () => {
  const sc = scenarios[0]!;
  assert.equal(score(sc, (a) => (a.error = 'exit status 3')).scenario, 0);
});

test('a record for a packet that does not exist fails', () => {
  const sc = scenarios[0]!;
  const r = score(sc, (a) => a.packets!.push({ i: 9999, verdict: 'DROPPED' }));
  assert.equal(r.scenario, 0);
  assert.match(r.problems[0]!, /^--jsonl has records for packets that do not exist/);
});

test('ignore_destroy_events skips connection [DESTROY] lines only', () => {
  const sc = scenarios.find((s) => s.meta.nondeterministic?.ignore_destroy_events);
  assert.ok(sc);
  const [i] = sc.kernel.packets.filter((p) => p.events.length > 0).map((p) => p.i);
  const r = score(sc, (a) => (rec(a, i!)['events'] as string[]).push('[DESTROY] udp 17 src=10.0.1.9 dst=10.0.2.9 sport=1 dport=2'));
  assert.equal(r.scenario, 1, r.problems.join('\n'));
});

test('parseJsonl reports unreadable lines and records without i', () => {
  const { packets, problems } = parseJsonl('{"i": 0, "verdict": "DROPPED"}\n\nnot json\n{"verdict": 1}\n');
  assert.equal(packets.length, 1);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /^--jsonl line 3 unreadable/);
  assert.match(problems[1]!, /^--jsonl line 4 unreadable/);
  assert.deepEqual(tableLines('a\n\n  \nb\r\n'), ['a', 'b']);
});
