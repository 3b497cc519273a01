/**
 * Aggregation of per-scenario comparison results into the conformance report: agreement per
 * feature tag (scenarios passed, packets matched, and per contract field: verdicts, ctstates,
 * out bytes, rules, events, final tables), like the shared corpus's tools/score.py, whose last
 * line `conformance: X/Y scenarios, P/Q packets` it keeps.
 */

import { PACKET_FIELDS, type ComparisonResult, type PacketField } from './compare.js';

/** Agreement over a set of scenarios. */
export interface Agreement {
  scenarios: number;
  passed: number;
  packets: number;
  matched: number;
  /** Scenarios whose final tables matched. */
  tables: number;
  fields: Record<PacketField, { compared: number; matched: number }>;
}

/** The whole report. */
export interface ScoreReport {
  /** Per tag, plus `ALL`. */
  byTag: Map<string, Agreement>;
  /** Failing packets per field over everything. */
  fieldFail: Map<string, number>;
  failedRuns: number;
}

function emptyAgreement(): Agreement {
  const fields = {} as Agreement['fields'];
  for (const f of PACKET_FIELDS) fields[f] = { compared: 0, matched: 0 };
  return { scenarios: 0, passed: 0, packets: 0, matched: 0, tables: 0, fields };
}

function addResult(a: Agreement, r: ComparisonResult): void {
  a.scenarios++;
  a.passed += r.scenario;
  a.packets += r.n;
  a.matched += r.p;
  a.tables += r.table;
  for (const f of PACKET_FIELDS) {
    a.fields[f].compared += r.fieldStats[f].compared + (r.missingPackets.length);
    a.fields[f].matched += r.fieldStats[f].matched;
  }
}

/** Aggregates results per tag (every scenario also counts under `ALL`). */
export function aggregate(results: readonly ComparisonResult[]): ScoreReport {
  const byTag = new Map<string, Agreement>();
  const fieldFail = new Map<string, number>();
  let failedRuns = 0;
  for (const r of results) {
    for (const t of [...r.tags, 'ALL']) {
      let a = byTag.get(t);
      if (!a) byTag.set(t, (a = emptyAgreement()));
      addResult(a, r);
    }
    for (const [f, c] of Object.entries(r.fieldFail)) fieldFail.set(f, (fieldFail.get(f) ?? 0) + c);
    if (r.error) failedRuns++;
  }
  return { byTag, fieldFail, failedRuns };
}

function pct(num: number, den: number): string {
  return den === 0 ? '    -' : ((100 * num) / den).toFixed(1).padStart(5);
}

/** Column labels of the per-field agreement. */
const FIELD_LABELS: [PacketField, string][] = [
  ['iface', 'iface'],
  ['verdict', 'verdict'],
  ['ctstate', 'ctstate'],
  ['ctdir', 'ctdir'],
  ['out', 'out'],
  ['rules', 'rules'],
  ['events', 'events'],
];

/** Tags in report order: alphabetical, `ALL` last. */
function tagOrder(byTag: Map<string, Agreement>): string[] {
  return [...byTag.keys()].sort((a, b) => (a === 'ALL' ? 1 : 0) - (b === 'ALL' ? 1 : 0) || (a < b ? -1 : a > b ? 1 : 0));
}

/** One table row of a tag's agreement. */
function formatRow(tag: string, a: Agreement, width: number): string {
  const head = `  ${tag.padEnd(width)} ${String(a.passed).padStart(4)}/${String(a.scenarios).padEnd(4)} ${String(a.matched).padStart(6)}/${String(a.packets).padEnd(6)} ${pct(a.matched, a.packets)}%`;
  const cols = FIELD_LABELS.map(([f, l]) => pct(a.fields[f].matched, a.fields[f].compared).padStart(Math.max(5, l.length)));
  return `${head}  ${cols.join(' ')} ${pct(a.tables, a.scenarios).padStart(6)}`;
}

/** The report text: per-tag table, per-field failures, and the final `conformance:` line. */
export function formatReport(report: ScoreReport, seconds?: number): string {
  const all = report.byTag.get('ALL') ?? emptyAgreement();
  const labels = FIELD_LABELS.map(([, l]) => l.padStart(5)).join(' ');
  const width = Math.max(34, ...[...report.byTag.keys()].map((t) => t.length));
  const lines = [
    '',
    'per-tag agreement (scenarios passed/total, packets matched/total; then % of packets agreeing per field, % of final tables):',
    `  ${'tag'.padEnd(width)} ${'scenarios'.padEnd(9)} ${'packets'.padStart(10).padEnd(13)} ${'%'.padStart(6)}  ${labels} ${'tables'.padStart(6)}`,
  ];
  for (const t of tagOrder(report.byTag)) lines.push(formatRow(t, report.byTag.get(t)!, width));
  if (report.fieldFail.size) {
    const ff = [...report.fieldFail.entries()].sort((a, b) => b[1] - a[1]);
    lines.push(`packets failing per field: ${ff.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  const time = seconds === undefined ? '' : `${seconds.toFixed(1)}s for `;
  lines.push(`time: ${time}${all.scenarios} scenarios (${report.failedRuns} replay runs failed)`);
  lines.push(`conformance: ${all.passed}/${all.scenarios} scenarios, ${all.matched}/${all.packets} packets`);
  return lines.join('\n');
}

/** The one-line summary of a scenario used by `--quiet` reports. */
export function formatQuietLine(r: ComparisonResult): string {
  return (
    `${r.scenario ? 'PASS' : 'FAIL'} ${r.name.padEnd(40)} ${r.p}/${r.n} packets, ${r.table}/1 table` +
    (r.error ? `  [${r.error}]` : '')
  );
}
