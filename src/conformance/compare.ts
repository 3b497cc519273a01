/**
 * The conformance comparator: judges a replay's answer for one scenario against the kernel's
 * recording of it, with exactly the semantics of the shared corpus scorer (tools/compare.py).
 *
 * Per packet: `iface`, `verdict`, `ctstate`, `ctdir` (equality), `out` (count, interface and IP
 * bytes with masks: meta.json `out_bytes`, and for host-generated packets the IPv4 ID + header
 * checksum / IPv6 flow label / ICMP timestamp reply fields), `rules` (ordered list), `events`
 * (multiset of whitespace-normalised lines, timeouts +-2 s, `ct_masks` applied, conntrack
 * [DESTROY] lines skipped when `ignore_destroy_events`). Fields listed in meta.json `fields` are
 * not compared for that packet. At the end: the conntrack and expectation tables (multisets,
 * `use=`/`id=` ignored, timeouts +-2 s).
 *
 * The result carries the Python tool's problem lines (first mismatches, same wording) plus the
 * same facts in structured form, and per-field agreement counts for scoring.
 */

import {
  type ByteRange,
  firstDiff,
  generatedMask,
  hexToBytes,
  isExpectLine,
  maskedEqual,
  matchMultiset,
  splitWords,
} from './ctlines.js';
import type { ActualPacket, ActualResult, KernelOutPacket, KernelPacket, KernelRecording, Nondeterministic, ScenarioMeta } from './types.js';

/** The per-packet fields of the replay contract, in the order they are compared. */
export const PACKET_FIELDS = ['iface', 'verdict', 'ctstate', 'ctdir', 'out', 'rules', 'events'] as const;
export type PacketField = (typeof PACKET_FIELDS)[number];

/** Timeout tolerance in seconds for conntrack lines. */
export const TIMEOUT_TOLERANCE = 2;

/** One field of one packet that disagrees with the kernel. */
export interface FieldDiff {
  i: number;
  field: PacketField;
  /** One-line description (the wording of tools/compare.py). */
  message: string;
  expected: unknown;
  actual: unknown;
}

/** A final table that disagrees with the kernel. */
export interface TableDiff {
  table: 'conntrack' | 'expect';
  /** True when the replay produced no table at all. */
  absent: boolean;
  missing: string[];
  unexpected: string[];
}

/** Agreement of one field over a scenario's packets. */
export interface FieldStat {
  compared: number;
  matched: number;
}

/** The verdict on one scenario. */
export interface ComparisonResult {
  name: string;
  tags: string[];
  /** Packets in the scenario. */
  n: number;
  /** Packets that matched completely. */
  p: number;
  /** 1 when both final tables matched. */
  table: 0 | 1;
  /** 1 when everything matched. */
  scenario: 0 | 1;
  error: string | null;
  /** Human-readable mismatches, first ones first. */
  problems: string[];
  /** Failing packets per field (`missing` counts packets without a record). */
  fieldFail: Record<string, number>;
  fieldStats: Record<PacketField, FieldStat>;
  packetDiffs: FieldDiff[];
  /** Packets without a record in the replay's output. */
  missingPackets: number[];
  tableDiffs: TableDiff[];
}

/** Python-like json.dumps (", " and ": " separators) for messages. */
function pyJson(x: unknown): string {
  if (x === null || x === undefined) return 'null';
  if (Array.isArray(x)) return `[${x.map(pyJson).join(', ')}]`;
  if (typeof x === 'object') {
    return `{${Object.entries(x as Record<string, unknown>)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(x) ?? String(x);
}

/** Python-like repr of a scalar for messages. */
function pyRepr(x: unknown): string {
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  return typeof x === 'number' ? String(x) : pyJson(x);
}

/** A value shortened for a one-line message. */
function short(x: unknown, n = 160): string {
  const s = typeof x === 'string' ? x : pyJson(x);
  return s.length <= n ? s : `${s.slice(0, n)}...`;
}

/** Deep equality of JSON values. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, k) => jsonEqual(v, bb[k]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Byte ranges masked in out[k] of packet i. */
function outMasks(i: number, k: number, e: KernelOutPacket, nd: Nondeterministic): ByteRange[] {
  const ranges: ByteRange[] = [];
  if (e.gen) ranges.push(...generatedMask(hexToBytes(e.hex)));
  for (const m of nd.out_bytes ?? []) {
    if (m.i === i && m.k === k) ranges.push(...m.bytes);
  }
  return ranges;
}

/** Describes how one transmitted packet differs, or null when it matches. */
function compareOnePacket(i: number, k: number, e: KernelOutPacket, a: unknown, nd: Nondeterministic): string | null {
  if (a === null || typeof a !== 'object' || Array.isArray(a)) return `out[${k}] is not an object`;
  const ao = a as Record<string, unknown>;
  if (e.iface !== ao['iface']) return `out[${k}] iface: kernel ${e.iface}, ctkit ${String(ao['iface'] ?? 'None')}`;
  const ah = String(ao['hex'] ?? '').toLowerCase().replace(/ /g, '');
  const ranges = outMasks(i, k, e, nd);
  let ok: boolean;
  try {
    ok = maskedEqual(e.hex, ah, ranges);
  } catch {
    return `out[${k}] hex is not hex: ${short(ah, 60)}`;
  }
  if (ok) return null;
  if (ah.length !== e.hex.length) {
    return (
      `out[${k}] length: kernel ${e.hex.length >> 1} bytes, ctkit ${ah.length >> 1} bytes ` +
      `(kernel ${e.hex.slice(0, 80)}..., ctkit ${ah.slice(0, 80)}...)`
    );
  }
  const off = firstDiff(e.hex, ah, ranges) ?? 0;
  const lo = Math.max(0, off - 4);
  return (
    `out[${k}] ${e.iface} byte ${off} differs: kernel ..${e.hex.slice(2 * lo, 2 * off + 16)}.. ` +
    `ctkit ..${ah.slice(2 * lo, 2 * off + 16)}.. (kernel ${e.hex.slice(0, 96)}...)`
  );
}

/** Compares the `out` list of packet i; returns the first difference or null. */
export function compareOut(i: number, exp: readonly KernelOutPacket[], act: unknown, nd: Nondeterministic): string | null {
  if (!Array.isArray(act)) return `out is not a list: ${short(act)}`;
  if (exp.length !== act.length) {
    const actIfaces = act.map((o) => (o !== null && typeof o === 'object' ? ((o as Record<string, unknown>)['iface'] ?? null) : o));
    return `out: kernel sent ${exp.length} packet(s) ${pyJson(exp.map((o) => o.iface))}, ctkit ${act.length} ${pyJson(actIfaces)}`;
  }
  for (let k = 0; k < exp.length; k++) {
    const msg = compareOnePacket(i, k, exp[k]!, act[k], nd);
    if (msg) return msg;
  }
  return null;
}

/** Conntrack lines without the connection [DESTROY] events (expectation lines are kept). */
export function dropDestroy(lines: readonly string[]): string[] {
  return lines.filter((l) => !(l.includes('[DESTROY]') && !isExpectLine(l)));
}

/** Lines of a multiset difference, whitespace-normalised, at most two shown. */
function firstTwo(lines: readonly string[]): string {
  const shown = pyJson(lines.slice(0, 2).map((x) => splitWords(x).join(' ')));
  return shown + (lines.length > 2 ? ` (+${lines.length - 2})` : '');
}

/** Compares the `events` list of a packet; returns the first difference or null. */
export function compareEvents(
  exp: readonly string[],
  act: unknown,
  masks: readonly (readonly string[])[],
  ignoreDestroy: boolean,
): string | null {
  if (!Array.isArray(act)) return `events is not a list: ${short(act)}`;
  let e = [...exp];
  let a = act.map((x) => (typeof x === 'string' ? x : pyJson(x)));
  if (ignoreDestroy) {
    e = dropDestroy(e);
    a = dropDestroy(a);
  }
  const { missing, unexpected } = matchMultiset(e, a, masks, TIMEOUT_TOLERANCE);
  if (missing.length === 0 && unexpected.length === 0) return null;
  let s = 'events:';
  if (missing.length) s += ` missing ${firstTwo(missing)}`;
  if (unexpected.length) s += ` unexpected ${firstTwo(unexpected)}`;
  return s;
}

/** Compares the ordered `rules` list (a missing/null list counts as empty). */
export function compareRules(exp: readonly string[], act: unknown): string | null {
  const list = act === null || act === undefined || act === '' ? [] : act;
  return jsonEqual(list, exp) ? null : `rules: kernel ${pyJson(exp)}, ctkit ${short(act)}`;
}

/** Compares one field of one packet; null when it matches. */
function compareField(f: PacketField, p: KernelPacket, a: ActualPacket, nd: Nondeterministic): string | null {
  const masks = nd.ct_masks ?? [];
  switch (f) {
    case 'out':
      return compareOut(p.i, p.out, a['out'], nd);
    case 'events':
      return compareEvents(p.events, a['events'], masks, Boolean(nd.ignore_destroy_events));
    case 'rules':
      return compareRules(p.rules, a['rules']);
    default: {
      const ev = p[f];
      return jsonEqual(a[f], ev) ? null : `${f}: kernel ${pyRepr(ev)}, ctkit ${pyRepr(a[f])}`;
    }
  }
}

/** Fields of each packet that meta.json says are not compared. */
function skippedFields(nd: Nondeterministic): Map<number, Set<string>> {
  const skip = new Map<number, Set<string>>();
  for (const f of nd.fields ?? []) {
    const s = skip.get(f.i) ?? new Set<string>();
    f.fields.forEach((x) => s.add(x));
    skip.set(f.i, s);
  }
  return skip;
}

/** Indexes the replay's records by packet number (a later duplicate wins, as in compare.py). */
function indexRecords(actual: ActualResult, n: number, problems: string[]): Map<number, ActualPacket> | null {
  if (actual.packets === null || actual.packets === undefined) {
    if (!problems.some((x) => x.startsWith('no --jsonl output'))) problems.push('no per-packet output');
    return null;
  }
  const got = new Map<number, ActualPacket>();
  for (const rec of actual.packets) got.set(Number(rec.i), rec);
  const extra = [...got.keys()].filter((i) => !(Number.isInteger(i) && i >= 0 && i < n)).sort((x, y) => x - y);
  if (extra.length) problems.push(`--jsonl has records for packets that do not exist: ${pyJson(extra.slice(0, 5))}`);
  return got;
}

function emptyStats(): Record<PacketField, FieldStat> {
  const s = {} as Record<PacketField, FieldStat>;
  for (const f of PACKET_FIELDS) s[f] = { compared: 0, matched: 0 };
  return s;
}

/** Compares one final table; pushes problems and returns the structured difference, if any. */
function compareTable(
  key: 'conntrack' | 'expect',
  exp: readonly string[],
  act: readonly string[] | null | undefined,
  masks: readonly (readonly string[])[],
  problems: string[],
): TableDiff | null {
  if (act === null || act === undefined) {
    problems.push(`no --${key} output`);
    return { table: key, absent: true, missing: [...exp], unexpected: [] };
  }
  const lines = act.filter((l) => l.trim() !== '' && !l.startsWith('conntrack v'));
  const { missing, unexpected } = matchMultiset(exp, lines, masks, TIMEOUT_TOLERANCE);
  if (!missing.length && !unexpected.length) return null;
  const norm = (x: string): string => splitWords(x).join(' ');
  problems.push(
    `final ${key} table: ${missing.length} kernel line(s) unmatched, ${unexpected.length} ctkit line(s) unmatched` +
      missing.slice(0, 3).map((x) => `\n      kernel: ${norm(x)}`).join('') +
      unexpected.slice(0, 3).map((x) => `\n      ctkit:  ${norm(x)}`).join(''),
  );
  return { table: key, absent: false, missing, unexpected };
}

/**
 * Scores a replay's answer for one scenario against the kernel's recording.
 */
export function compareScenario(kernel: KernelRecording, meta: ScenarioMeta, actual: ActualResult, name?: string): ComparisonResult {
  const nd: Nondeterministic = meta.nondeterministic ?? {};
  const skip = skippedFields(nd);
  const pk = kernel.packets;
  const problems: string[] = [...(actual.readProblems ?? [])];
  const res: ComparisonResult = {
    name: meta.name ?? name ?? kernel.name ?? '?',
    tags: [...(meta.tags ?? [])],
    n: pk.length,
    p: 0,
    table: 0,
    scenario: 0,
    error: actual.error ?? null,
    problems,
    fieldFail: {},
    fieldStats: emptyStats(),
    packetDiffs: [],
    missingPackets: [],
    tableDiffs: [],
  };
  const fail = (f: string): void => {
    res.fieldFail[f] = (res.fieldFail[f] ?? 0) + 1;
  };
  const got = indexRecords(actual, pk.length, problems);
  for (const p of pk) {
    const a = got?.get(p.i);
    if (!a) {
      if (got) problems.push(`#${p.i}: no record in --jsonl`);
      res.missingPackets.push(p.i);
      fail('missing');
      continue;
    }
    const bad: string[] = [];
    for (const f of PACKET_FIELDS) {
      if (skip.get(p.i)?.has(f) || (f === 'iface' && !('iface' in p))) continue;
      res.fieldStats[f].compared++;
      const msg = f in a ? compareField(f, p, a, nd) : `${f}: missing`;
      if (msg) {
        bad.push(msg);
        fail(f);
        res.packetDiffs.push({ i: p.i, field: f, message: msg, expected: p[f], actual: a[f] });
      } else {
        res.fieldStats[f].matched++;
      }
    }
    if (bad.length) problems.push(...bad.map((b) => `#${p.i} ${b}`));
    else res.p++;
  }
  const masks = nd.ct_masks ?? [];
  for (const key of ['conntrack', 'expect'] as const) {
    const d = compareTable(key, kernel[key], actual[key], masks, problems);
    if (d) res.tableDiffs.push(d);
  }
  res.table = res.tableDiffs.length === 0 ? 1 : 0;
  const readBroken = problems.some((x) => x.startsWith('--jsonl'));
  res.scenario = !res.error && res.p === res.n && res.table === 1 && !readBroken ? 1 : 0;
  return res;
}

/** Records and read problems of a --jsonl text (one JSON object per line). */
export function parseJsonl(text: string): { packets: ActualPacket[]; problems: string[] } {
  const packets: ActualPacket[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, k) => {
    if (!line.trim()) return;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      const i = Number(o['i']);
      if (o === null || typeof o !== 'object' || o['i'] === undefined || !Number.isInteger(i)) throw new Error("no integer 'i'");
      packets.push({ ...o, i });
    } catch (e) {
      problems.push(`--jsonl line ${k + 1} unreadable (${(e as Error).message}): ${short(line.trim(), 100)}`);
    }
  });
  return { packets, problems };
}

/** Text lines of a --conntrack / --expect file (blank lines dropped). */
export function tableLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/** The report compare.py prints for one scenario: header, first problems, score line. */
export function formatComparison(r: ComparisonResult, show = 5, seconds?: number): string {
  const lines = [
    `scenario ${r.name} (${r.n} packets${seconds === undefined ? '' : `, ${seconds.toFixed(3)}s`}): ${r.error ?? 'replay ok'}`,
  ];
  for (const pb of r.problems.slice(0, show)) lines.push(`   ${pb}`);
  if (r.problems.length > show) lines.push(`   ... ${r.problems.length - show} more`);
  lines.push(`score: ${r.p}/${r.n} packets, ${r.table}/1 table, S=${r.scenario} scenario`);
  return lines.join('\n');
}
