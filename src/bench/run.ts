/**
 * `npm run bench`: runs every registered benchmark module and prints, per task, the input it used,
 * the mean time per iteration and the items (packets) per second, with the issue's target where
 * there is one; then each module's own measures (memory, scaling, ...) against their targets.
 *
 *   node dist/bench/run.js [filter]     only the tasks / measures whose name contains `filter`
 *
 * A benchmark module (see capture.ts, conntrack.ts) exports a BenchModule: `prepare()` loads or
 * builds its input and returns tinybench tasks, each saying how many items one iteration
 * processes, and optionally a `report` for measures that are not a timed loop. Add a module by
 * appending it to MODULES.
 *
 * The measures need a collectable heap and room for millions of connections: the process re-runs
 * itself once with --expose-gc and a larger old space (CTKIT_BENCH_CHILD marks the re-run).
 * Timings on a shared machine are best read next to its load, which is printed first.
 */

import { spawnSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { Bench } from 'tinybench';
import { captureBench } from './capture.js';
import { conntrackBench } from './conntrack.js';
import { replayBench } from './replay.js';
import { floorsBench } from './floors.js';

export interface BenchTask {
  name: string;
  /** Items (e.g. packets) one call of `fn` processes, for the per-second figure. */
  items: number;
  unit: string;
  /** The issue's target in items per second, when there is one. */
  target?: number;
  fn: () => void | Promise<void>;
}

export interface PreparedBench {
  /** Which input was used, shown with the results. */
  input: string;
  tasks: BenchTask[];
  /** Measures that are not a timed loop: lines to print (given the filter). */
  report?(filter: string): Promise<string[]>;
}

export interface BenchModule {
  name: string;
  prepare(): Promise<PreparedBench>;
}

const MODULES: readonly BenchModule[] = [captureBench, conntrackBench, replayBench, floorsBench];

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}

async function runModule(mod: BenchModule, filter: string): Promise<void> {
  const prepared = await mod.prepare();
  const tasks = prepared.tasks.filter((t) => t.name.includes(filter));
  const wantsReport = prepared.report !== undefined && (filter === '' || mod.name.includes(filter) || !tasks.length);
  if (tasks.length === 0 && !wantsReport) return;
  console.log(`\n${mod.name}: ${prepared.input}`);
  if (tasks.length > 0) {
    const bench = new Bench({ time: 3000, warmupTime: 500, iterations: 5 });
    for (const t of tasks) bench.add(t.name, t.fn);
    await bench.run();
    for (const t of tasks) {
      const r = bench.getTask(t.name)!.result;
      if (r.state !== 'completed') {
        console.log(`  ${t.name}: ${r.state}${'error' in r ? `: ${String(r.error)}` : ''}`);
        process.exitCode = 1;
        continue;
      }
      const ms = r.latency.mean;
      const perSecond = (t.items / ms) * 1000;
      // The fastest iteration too: on a shared machine other work only ever slows one down.
      const best = (t.items / r.latency.min) * 1000;
      const target = t.target === undefined ? '' : `  target >= ${fmt(t.target)}: ${best >= t.target ? 'MET' : 'NOT MET'} (best ${fmt(best)})`;
      console.log(
        `  ${t.name.padEnd(52)} ${fmt(ms).padStart(9)} ms/iter  ${fmt(perSecond).padStart(12)} ${t.unit}/s  (±${r.latency.rme.toFixed(1)}%)${target}`,
      );
    }
  }
  if (wantsReport) {
    const lines = await prepared.report!(mod.name.includes(filter) ? '' : filter);
    for (const l of lines) console.log(l);
  }
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  for (const mod of MODULES) await runModule(mod, filter);
}

if (process.env['CTKIT_BENCH_CHILD'] === undefined) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=16384', ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, CTKIT_BENCH_CHILD: '1' },
  });
  process.exitCode = r.status ?? 1;
} else {
  await main();
}
