/**
 * Recording a scenario through the real kernel and packaging it as a conformance fixture
 * (capture.pcapng, host.json, rules.v4 / rules.v6 / ipset.save / rules.nft, kernel.json, meta.json), in exactly the terms
 * of the shared corpus (kernel.json format `nforacle-kernel/1`), so that the same comparator
 * applies to both.
 *
 * Every scenario is recorded twice (by default) in freshly built namespaces; what differs between
 * the runs is masked in meta.json `nondeterministic` like the shared recorder does: bytes of
 * transmitted packets (`out_bytes`, 16-bit words plus the checksums they affect), conntrack line
 * token masks (`ct_masks`, `key=*`, at most 3 wildcards per line), and whole fields of a packet
 * (`fields`) when nothing finer explains the difference.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';

import { canon, generatedMask, hexToBytes, isExpectLine, l4Offsets, makeMask, maskWildcards, type ByteRange } from '../../../src/conformance/ctlines.js';
import type { KernelRecording, Nondeterministic, ScenarioMeta } from '../../../src/conformance/types.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, writePcapng, type CapturePacket } from './capture.js';
import { ARPPROBE_NFT, NDPROBE_NFT, Oracle, PROBE_NFT, QUIET6_NFT, type FinalRecord, type StepRecord } from './oracle.js';
import { hasArpSteps, planOf, type ScenarioSpec } from './scenario.js';
import { DEFAULT_SYSCTLS, hostJson, router, setup, SIDE_LIST, teardown } from './topology.js';

export const EPOCH = 1700000000.0;
export const FORMAT = 'nforacle-kernel/1';
const MAX_WILDCARDS = 3;

/** One run of a scenario through the kernel. */
export interface Run {
  steps: StepRecord[];
  final: FinalRecord;
  host: unknown;
}

/** Recorder settings. */
export interface RecordOptions {
  quietMs: number;
  maxMs: number;
  log: (s: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Loads the scenario's ruleset and the recorder's probe tables into the router. */
function loadRules(sc: ScenarioSpec): void {
  // ipsets are per network namespace: restored in the router before the rules that name them
  if (sc.ipset) router(['ipset', 'restore'], sc.ipset);
  if (sc.nft) router(['nft', '-f', '-'], sc.nft);
  if (sc.iptables) router(['iptables-restore'], sc.iptables);
  if (sc.ip6tables) router(['ip6tables-restore'], sc.ip6tables);
  router(['nft', '-f', '-'], PROBE_NFT + (sc.ipv6 ? QUIET6_NFT : '') + (usesNetdev(sc) ? NDPROBE_NFT : '') + (usesArp(sc) ? ARPPROBE_NFT : ''));
}

/** Scenarios with netdev tables (or inet ingress chains) or ARP frames get the netdev probes. */
function usesNetdev(sc: ScenarioSpec): boolean {
  return /\btable\s+netdev\b|\bhook\s+(ingress|egress)\b/.test(sc.nft ?? '') || usesArp(sc);
}

/** Scenarios with ARP frames or arp tables get the arp probe. */
function usesArp(sc: ScenarioSpec): boolean {
  return hasArpSteps(sc) || /\btable\s+arp\b/.test(sc.nft ?? '');
}

/** A human log line for one recorded packet. */
function logStep(r: StepRecord): string {
  const l = [`#${String(r.i).padEnd(2)} t=${r.t.toFixed(3)} ${r.kind.padStart(5)} ${r.iface.padStart(6)} -> ${r.sent}${r.note ? `   (${r.note})` : ''}`];
  l.push(`     verdict=${r.verdict} ctstate=${r.ctstate} ctdir=${r.ctdir}`);
  for (const o of r.out) l.push(`     out@${o.iface.padEnd(6)}${o.gen ? ' gen' : '    '} ${o.desc}`);
  for (const t of r.trace) l.push(`     rule  ${t}`);
  for (const e of r.events) l.push(`     event ${e.trim()}`);
  for (const w of r.warnings) l.push(`     WARNING ${w}`);
  return l.join('\n');
}

/** Records a scenario once: fresh namespaces, ruleset, packets, final tables; always tears down. */
export async function recordOnce(sc: ScenarioSpec, o: RecordOptions): Promise<Run> {
  const iptablesTables = [...(sc.iptables ?? '').matchAll(/^\*(\S+)/gm)].map((m) => m[1]!);
  const ip6tablesTables = [...(sc.ip6tables ?? '').matchAll(/^\*(\S+)/gm)].map((m) => m[1]!);
  const oracle = new Oracle({ quietMs: o.quietMs, maxMs: o.maxMs, ipv6: Boolean(sc.ipv6), iptablesTables, ip6tablesTables, eventBarrier: !('net.netfilter.nf_conntrack_max' in (sc.sysctls ?? {})), netdev: usesNetdev(sc), arp: usesArp(sc) });
  try {
    const built = setup(sc.sysctls ?? {}, Boolean(sc.ipv6), sc.defaultRoute !== false);
    loadRules(sc);
    await oracle.start();
    for (const st of planOf(sc)) {
      if (st.kind === 'sleep') await sleep(st.seconds * 1000);
      else o.log(logStep(await oracle.step(st)));
    }
    const final = await oracle.finish();
    return { steps: oracle.results, final, host: hostJson(built) };
  } finally {
    oracle.close();
    teardown();
  }
}

// ------------------------------------------------------------------------------------------------
// nondeterminism between two runs

/** 16-bit-aligned byte ranges where two packets differ, plus the checksums that follow from it. */
function wordRanges(b1: Uint8Array, b2: Uint8Array, gen: boolean): ByteRange[] {
  const skip = new Set<number>();
  if (gen) for (const [a, b] of generatedMask(b1)) for (let k = a; k < b; k++) skip.add(k);
  const diff: number[] = [];
  for (let k = 0; k < Math.min(b1.length, b2.length); k++) if (b1[k] !== b2[k] && !skip.has(k)) diff.push(k);
  if (!diff.length) return [];
  const words = new Set(diff.map((k) => k & ~1));
  const { ihl, csum } = l4Offsets(b1);
  if (b1[0]! >> 4 === 4 && diff.some((k) => k < ihl)) words.add(10);
  if (csum !== null && diff.some((k) => k >= ihl)) words.add(csum);
  const rng: ByteRange[] = [];
  for (const w of [...words].sort((a, b) => a - b)) {
    const last = rng[rng.length - 1];
    if (last && last[1] === w) last[1] = w + 2;
    else rng.push([w, w + 2]);
  }
  return rng;
}

function withoutDestroy(lines: readonly string[], ignore: boolean): string[] {
  return lines.filter((l) => !(ignore && l.includes('[DESTROY]') && !isExpectLine(l)));
}

/** Multiset difference a - b of canonical token strings. */
function minus(a: string[], b: string[]): string[] {
  const left = [...b];
  const res: string[] = [];
  for (const x of a) {
    const k = left.indexOf(x);
    if (k >= 0) left.splice(k, 1);
    else res.push(x);
  }
  return res;
}

const canonKey = (l: string): string => canon(l).tokens.join(' ');

/** The mask template with the fewest wildcards explaining x by one of ys (at most MAX_WILDCARDS). */
function bestMask(x: string, ys: string[]): string[] | null {
  let best: string[] | null = null;
  for (const y of ys) {
    const m = makeMask(x.split(' '), y.split(' '));
    if (m && (best === null || maskWildcards(m) < maskWildcards(best))) best = m;
  }
  return best && maskWildcards(best) <= MAX_WILDCARDS ? best : null;
}

/** Compares the out packets of one step of two runs; pushes byte masks, returns false if not maskable. */
function diffOut(a: StepRecord, b: StepRecord, nd: Required<Pick<Nondeterministic, 'out_bytes'>>): boolean {
  if (a.out.length !== b.out.length || a.out.some((x, k) => x.iface !== b.out[k]!.iface)) return false;
  for (let k = 0; k < a.out.length; k++) {
    const b1 = hexToBytes(a.out[k]!.hex);
    const b2 = hexToBytes(b.out[k]!.hex);
    if (b1.length !== b2.length) return false;
    const rng = wordRanges(b1, b2, a.out[k]!.gen);
    if (rng.length) nd.out_bytes.push({ i: a.i, k, bytes: rng });
  }
  return true;
}

/** What differs between two runs of the same scenario, as meta.json masks. */
export function diffRuns(r1: Run, r2: Run, ignoreDestroy: boolean): Nondeterministic {
  const nd = { out_bytes: [] as NonNullable<Nondeterministic['out_bytes']>, fields: [] as NonNullable<Nondeterministic['fields']>, ct_masks: [] as string[][], notes: [] as string[] };
  const masks: string[][] = [];
  if (r1.steps.length !== r2.steps.length) nd.notes.push(`runs recorded different packet counts (${r1.steps.length} vs ${r2.steps.length})`);
  r1.steps.forEach((a, k) => {
    const b = r2.steps[k];
    if (!b) return;
    const bad = (['verdict', 'ctstate', 'ctdir'] as const).filter((f) => a[f] !== b[f]) as string[];
    if (JSON.stringify(a.rules) !== JSON.stringify(b.rules)) bad.push('rules');
    if (!diffOut(a, b, nd)) bad.push('out');
    const ea = withoutDestroy(a.events, ignoreDestroy).map(canonKey);
    const eb = withoutDestroy(b.events, ignoreDestroy).map(canonKey);
    const onlyB = minus(eb, ea);
    for (const x of minus(ea, eb)) {
      const m = bestMask(x, onlyB);
      if (m) masks.push(m);
      else bad.push('events');
    }
    if (bad.length) nd.fields.push({ i: a.i, fields: [...new Set(bad)].sort() });
  });
  for (const key of ['conntrack', 'expect'] as const) {
    const la = r1.final[key].map(canonKey);
    const lb = r2.final[key].map(canonKey);
    const onlyB = minus(lb, la);
    for (const x of minus(la, lb)) {
      const m = bestMask(x, onlyB);
      if (m) masks.push(m);
      else nd.notes.push(`final ${key} line differs between runs: ${x}`);
    }
  }
  for (const m of masks) if (!nd.ct_masks.some((u) => JSON.stringify(u) === JSON.stringify(m))) nd.ct_masks.push(m);
  return nd;
}

/** The union of two sets of masks (runs 1-2 and 1-k of the same scenario). */
export function mergeNondeterministic(a: Nondeterministic, b: Nondeterministic): Nondeterministic {
  const out_bytes = [...(a.out_bytes ?? [])];
  for (const m of b.out_bytes ?? []) {
    const same = out_bytes.find((x) => x.i === m.i && x.k === m.k);
    if (!same) out_bytes.push(m);
    else for (const r of m.bytes) if (!same.bytes.some((x) => x[0] === r[0] && x[1] === r[1])) same.bytes.push(r);
  }
  const fields = [...(a.fields ?? [])].map((f) => ({ i: f.i, fields: [...f.fields] }));
  for (const f of b.fields ?? []) {
    const same = fields.find((x) => x.i === f.i);
    if (!same) fields.push({ i: f.i, fields: [...f.fields] });
    else same.fields = [...new Set([...same.fields, ...f.fields])].sort();
  }
  const ct_masks = [...(a.ct_masks ?? [])];
  for (const m of b.ct_masks ?? []) if (!ct_masks.some((x) => JSON.stringify(x) === JSON.stringify(m))) ct_masks.push(m);
  const notes = [...new Set([...(a.notes ?? []), ...(b.notes ?? [])])];
  return { out_bytes, fields, ct_masks, notes };
}

// ------------------------------------------------------------------------------------------------
// tags

const RULE_TAGS: [RegExp, string][] = [
  [/MASQUERADE|masquerade/, 'masquerade'],
  [/-j SNAT|\bsnat\b/, 'snat'],
  [/-j DNAT|\bdnat\b/, 'dnat'],
  [/REDIRECT|\bredirect\b/, 'redirect'],
  [/REJECT|\breject\b/, 'reject'],
  [/-j LOG|\blog\b/, 'log'],
  [/NOTRACK|--notrack|\bnotrack\b/, 'notrack'],
  [/CONNMARK|ct mark/, 'connmark'],
  [/-j MARK|meta mark set/, 'mark'],
  [/multiport|dport \{/, 'multiport'],
  [/-m state /, 'state-match'],
  [/-N |jump |goto /, 'user-chains'],
  [/--helper|ct helper/, 'helper'],
];

const PROTO_TAGS: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmpv6' };

/** kernel.json / meta.json `ruleset`: nft when only nft text is given, else iptables. */
function rulesetKind(sc: ScenarioSpec): 'nft' | 'iptables' {
  return sc.nft && !sc.iptables && !sc.ip6tables ? 'nft' : 'iptables';
}

/** Tags from the ruleset text and the sysctls. */
function configTags(sc: ScenarioSpec, tags: Set<string>): void {
  const rules = (sc.iptables ?? '') + (sc.ip6tables ?? '') + (sc.nft ?? '');
  tags.add(rulesetKind(sc));
  if (sc.ip6tables) tags.add('ip6tables');
  if (sc.ipset) tags.add('ipset');
  for (const [re, tag] of RULE_TAGS) if (re.test(rules)) tags.add(tag);
  if (['masquerade', 'snat', 'dnat', 'redirect'].some((t) => tags.has(t))) tags.add('nat');
  for (const [k, v] of Object.entries(sc.sysctls ?? {})) {
    if (k.includes('.conf.r_') || k === 'net.ipv6.conf.all.forwarding') continue;
    if (DEFAULT_SYSCTLS[k] !== v) tags.add(`sysctl:${k.split('.').pop()}=${v}`);
  }
  if ('net.netfilter.nf_conntrack_max' in (sc.sysctls ?? {})) tags.add('table-full');
  if (sc.ipv6) tags.add('ipv6');
}

/** Tags from what the kernel did. */
function behaviourTags(run: Run, tags: Set<string>): void {
  for (const p of run.steps) {
    if (p.sentFrameHex !== undefined && p.sentFrameHex.slice(24, 28) === '0806') tags.add('arp');
    else {
      const { proto } = l4Offsets(hexToBytes(p.sentHex));
      tags.add(PROTO_TAGS[proto ?? -1] ?? `proto${proto}`);
    }
    if (p.ctstate === 'invalid' || p.ctstate === 'related' || p.ctstate === 'untracked') tags.add(`ct-${p.ctstate}`);
    if (p.verdict === 'LOCAL_IN') tags.add('local-in');
    if (p.kind === 'local') tags.add('local-out');
    if (p.out.some((o) => o.gen)) tags.add('router-generated');
    if (p.verdict === 'DROPPED') tags.add('dropped');
    for (const e of p.events) {
      const m = /helper=(\S+)/.exec(e);
      if (m) tags.add(`helper-${m[1]}`);
      if (isExpectLine(e)) tags.add('expect');
    }
  }
}

/** Declared tags plus the automatic ones (ruleset features, sysctls, protocols, behaviours). */
export function autoTags(sc: ScenarioSpec, run: Run): string[] {
  const tags = new Set(sc.tags ?? []);
  configTags(sc, tags);
  behaviourTags(run, tags);
  return [...tags].sort();
}

// ------------------------------------------------------------------------------------------------
// writing the directory

function firstLine(argv: string[]): string {
  try {
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.trim().split('\n')[0] ?? '?';
  } catch {
    return '?';
  }
}

/** Kernel and tool versions of this recording. */
export function toolVersions(): Record<string, string> {
  return {
    kernel: release(),
    iptables: firstLine(['iptables', '-V']),
    nft: firstLine(['nft', '-v']),
    conntrack: firstLine(['conntrack', '--version']),
  };
}

/** toolVersions() plus ip6tables / ipset when the scenario uses them. */
function toolsOf(sc: ScenarioSpec): Record<string, string> {
  const t = toolVersions();
  if (sc.ip6tables) t['ip6tables'] = firstLine(['ip6tables', '-V']);
  if (sc.ipset) t['ipset'] = firstLine(['ipset', '--version']);
  return t;
}

function contractPacket(p: StepRecord): KernelRecording['packets'][number] {
  const oracle: Record<string, unknown> = { note: p.note, sent: p.sent, trace: p.trace, conntrack: p.conntrack };
  if (p.warnings.length) oracle['warnings'] = p.warnings;
  return {
    i: p.i,
    t: p.t,
    iface: p.kind === 'in' ? p.iface : null,
    direction: p.kind === 'local' ? 'out' : 'in',
    verdict: p.verdict,
    ctstate: p.ctstate,
    ctdir: p.ctdir,
    out: p.out.map((o) => ({ iface: o.iface, hex: o.hex, gen: o.gen })),
    rules: p.rules,
    events: p.events,
    oracle,
  };
}

function captureOf(run: Run, linktype: number): Uint8Array {
  const names = SIDE_LIST.map((s) => s.rif);
  const packets: CapturePacket[] = run.steps.map((p) => {
    const side = SIDE_LIST.find((s) => s.rif === p.iface)!;
    let data = hexToBytes(p.sentHex);
    if (linktype === LINKTYPE_ETHERNET && p.sentFrameHex !== undefined) {
      data = hexToBytes(p.sentFrameHex);
    } else if (linktype === LINKTYPE_ETHERNET) {
      const mac = (m: string): Buffer => Buffer.from(m.replace(/:/g, ''), 'hex');
      const macs = p.kind === 'in' ? Buffer.concat([mac(side.rmac), mac(side.emac)]) : Buffer.concat([mac(side.emac), mac(side.rmac)]);
      data = Uint8Array.from(Buffer.concat([macs, Buffer.from(data[0]! >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00]), data]));
    }
    return { ifIndex: names.indexOf(p.iface), ts: EPOCH + p.t, data, direction: p.kind === 'local' ? 'out' : 'in', comment: p.note || undefined };
  });
  return writePcapng(names.map((n) => [n, linktype] as [string, number]), packets);
}

const GENERATED_NOTE =
  'IPv4 ID and header checksum (IPv6: flow label) of every packet the router generated itself (out[].gen = true) are masked, and in ICMP timestamp replies the receive/transmit timestamps and ICMP checksum';

/** Writes the scenario directory from the first run and the masks. */
export function writeDir(outDir: string, sc: ScenarioSpec, run: Run, nd: Nondeterministic | null, runs: number): ScenarioMeta {
  mkdirSync(outDir, { recursive: true });
  for (const f of ['rules.v4', 'rules.v6', 'ipset.save', 'rules.nft', 'kernel.txt']) if (existsSync(join(outDir, f))) rmSync(join(outDir, f));
  if (sc.iptables) writeFileSync(join(outDir, 'rules.v4'), sc.iptables.trim() + '\n');
  if (sc.ip6tables) writeFileSync(join(outDir, 'rules.v6'), sc.ip6tables.trim() + '\n');
  if (sc.ipset) writeFileSync(join(outDir, 'ipset.save'), sc.ipset.trim() + '\n');
  if (sc.nft) writeFileSync(join(outDir, 'rules.nft'), sc.nft.trim() + '\n');
  const linktype = sc.linktype ?? LINKTYPE_RAW;
  writeFileSync(join(outDir, 'capture.pcapng'), captureOf(run, linktype));
  writeFileSync(join(outDir, 'host.json'), JSON.stringify(run.host, null, 1) + '\n');
  const kernel: KernelRecording = {
    format: FORMAT,
    name: sc.title ?? sc.name,
    epoch: EPOCH,
    ruleset: rulesetKind(sc),
    tools: toolsOf(sc),
    recorded: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    packets: run.steps.map(contractPacket),
    conntrack: run.final.conntrack,
    expect: run.final.expect,
    final: { t: run.final.t, counter_crosscheck: run.final.counterCrosscheck, events_tail: run.final.eventsTail, recorder: 'scripts/conformance/record.ts' },
  };
  writeFileSync(join(outDir, 'kernel.json'), JSON.stringify(kernel, null, 1) + '\n');
  const nondet: Nondeterministic = { ...(nd ?? { out_bytes: [], fields: [], ct_masks: [], notes: [] }), generated_packets: GENERATED_NOTE };
  for (const [k, v] of Object.entries(sc.nondeterministic ?? {})) nondet[k] = v;
  const meta: ScenarioMeta = {
    name: outDir.replace(/\/+$/, '').split('/').pop()!,
    title: sc.title ?? sc.name,
    description: sc.description,
    tags: autoTags(sc, run),
    declared_tags: [...new Set(sc.tags ?? [])].sort(),
    ruleset: kernel.ruleset,
    packets: run.steps.length,
    linktype,
    recorded_runs: runs,
    kernel: release(),
    nondeterministic: nondet,
    source: sc.source ?? null,
  };
  if (sc.nondeterministic && Object.keys(sc.nondeterministic).length) meta['declared_nondeterministic'] = sc.nondeterministic;
  writeFileSync(join(outDir, 'meta.json'), JSON.stringify(meta, null, 1) + '\n');
  return meta;
}

/** Warnings worth a look before accepting a recording. */
function warningsOf(run: Run, nd: Nondeterministic | null): string[] {
  const w: string[] = [];
  if (run.final.counterCrosscheck !== 'ok') w.push(`trace/counter cross-check: ${JSON.stringify(run.final.counterCrosscheck)}`);
  for (const p of run.steps) for (const x of p.warnings) w.push(`#${p.i}: ${x}`);
  if (nd && (nd.fields?.length || nd.out_bytes?.length || nd.ct_masks?.length || nd.notes?.length)) {
    w.push(`nondeterminism masked: fields=${JSON.stringify(nd.fields)} out_bytes=${JSON.stringify(nd.out_bytes)} ct_masks=${JSON.stringify(nd.ct_masks)} notes=${JSON.stringify(nd.notes)}`);
  }
  return w;
}

/** Records a scenario `runs` times and writes its directory; returns the warnings. */
export async function record(sc: ScenarioSpec, outDir: string, minRuns: number, o: RecordOptions): Promise<string[]> {
  const t0 = performance.now();
  const runs = minRuns >= 2 ? Math.max(minRuns, sc.runs ?? 0) : minRuns;
  o.log(`=== ${sc.name}: run 1`);
  const r1 = await recordOnce(sc, o);
  let nd: Nondeterministic | null = null;
  for (let k = 2; k <= runs; k++) {
    o.log(`=== ${sc.name}: run ${k}`);
    const rk = await recordOnce(sc, { ...o, log: () => {} });
    const d = diffRuns(r1, rk, Boolean(sc.nondeterministic?.['ignore_destroy_events']));
    nd = nd ? mergeNondeterministic(nd, d) : d;
  }
  writeDir(outDir, sc, r1, nd, runs);
  const warn = warningsOf(r1, nd);
  o.log(`${sc.name}: ${r1.steps.length} packets, ${runs} run(s), ${((performance.now() - t0) / 1000).toFixed(2)}s` + warn.map((x) => `\n   WARNING ${x}`).join(''));
  return warn;
}
