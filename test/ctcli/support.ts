/**
 * Test support for the conntrack command line: tables and recorded events built by replaying a
 * kernel-recorded conformance scenario (test/fixtures/conformance/<name>), and a runner that
 * gives back stdout, stderr and the exit status as the tool would.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readAll } from '../../src/capture/reader.js';
import { defaultTrackers } from '../../src/conntrack/proto/index.js';
import { fromJSON, toJSON, type TableSnapshot } from '../../src/conntrack/snapshot.js';
import type { ConntrackTable } from '../../src/conntrack/table.js';
import { recordEvent, type RecordedEvent } from '../../src/ctcli/events.js';
import { parseConnlabel } from '../../src/ctcli/labels.js';
import type { LabelSource } from '../../src/ctcli/parse.js';
import { runConntrack, type ConntrackResult } from '../../src/ctcli/run.js';
import { Replayer } from '../../src/replay/replay.js';
import { fixturesDir } from '../../scripts/conformance/lib/corpus.js';

export const FIXTURES = fixturesDir(); // test/fixtures/conformance, from test/ or dist-test/test/

export interface Replayed {
  snapshot: TableSnapshot;
  /** The final `conntrack -L expect` lines. */
  expect: string[];
  events: RecordedEvent[];
  /** The kernel's own final `conntrack -L` and event lines for the scenario. */
  kernel: { conntrack: string[]; events: string[] };
}

const cache = new Map<string, Replayed>();

/** Replays a scenario once; the snapshot of its final table and its recorded events. */
export function replayScenario(name: string): Replayed {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = join(FIXTURES, name);
  const r = new Replayer({
    host: readFileSync(join(dir, 'host.json'), 'utf8'),
    iptables: readFileSync(join(dir, 'rules.v4'), 'utf8'),
    seed: 1,
  });
  const events: RecordedEvent[] = [];
  let time = 0;
  r.host.conntrack.onEvent((ev) => events.push(recordEvent(ev)));
  r.host.helpers?.onExpectEvent((line) => events.push({ time, line, expect: true }));
  let last = 0;
  for (const p of readAll(new Uint8Array(readFileSync(join(dir, 'capture.pcapng'))))) {
    time = p.time;
    r.feed(p);
    last = Math.max(last, p.time);
  }
  const fin = r.finish();
  const k = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as { conntrack: string[]; packets: { events: string[] }[] };
  const out: Replayed = {
    snapshot: toJSON(r.host.conntrack, last),
    expect: fin.expect,
    events,
    kernel: { conntrack: k.conntrack, events: k.packets.flatMap((p) => p.events) },
  };
  cache.set(name, out);
  return out;
}

/** A fresh table from a scenario's snapshot, and its expectations (commands may change them). */
export function tableOf(name: string): { table: ConntrackTable; now: number; expect: string[] } {
  const r = replayScenario(name);
  return { table: fromJSON(JSON.parse(JSON.stringify(r.snapshot))), now: r.snapshot.time, expect: [...r.expect] };
}

export const NO_LABELS: LabelSource = { map: null, why: 'No such file or directory' };

export function labels(text: string): LabelSource {
  return { map: parseConnlabel(text), why: 'Success' };
}

export interface Run extends ConntrackResult {
  table: ConntrackTable;
  expect: string[];
}

/** Runs conntrack ARGS over a scenario's table (and events). */
export function ct(name: string, argv: string[], opts: { labels?: LabelSource; table?: ConntrackTable; now?: number; expect?: string[] } = {}): Run {
  const t = opts.table ? { table: opts.table, now: opts.now ?? 0, expect: opts.expect ?? [] } : tableOf(name);
  const result = runConntrack(argv, {
    table: t.table,
    now: t.now,
    expect: t.expect,
    events: replayScenario(name).events,
    labels: opts.labels ?? NO_LABELS,
    trackers: defaultTrackers(),
  });
  return { ...result, table: t.table, expect: t.expect };
}

/**
 * A conntrack -L line without what the replay's timing and the kernel's bookkeeping decide (the
 * timeout, a second off when packets straddle a second, and use=): what the filters must agree on.
 */
export function withoutUse(line: string): string {
  return line.replace(/ use=\d+/, '').replace(/^(\S+\s+\d+ )\d+ /, '$1');
}

export const SUMMARY = (n: number, what = 'flow entries have been shown.'): string => `conntrack v1.4.7 (conntrack-tools): ${n} ${what}`;
