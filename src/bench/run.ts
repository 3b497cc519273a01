/**
 * `npm run bench`: runs every registered benchmark module with tinybench and prints, per task, the
 * input it used, the mean time per iteration and the items (packets) per second.
 *
 *   node dist/bench/run.js [filter]     only the tasks whose name contains `filter`
 *
 * A benchmark module (see capture.ts) exports a BenchModule: `prepare()` loads or builds its input
 * and returns tasks, each saying how many items one iteration processes. Add a module by
 * appending it to MODULES.
 */

import { Bench } from 'tinybench';
import { captureBench } from './capture.js';

export interface BenchTask {
  name: string;
  /** Items (e.g. packets) one call of `fn` processes, for the per-second figure. */
  items: number;
  unit: string;
  fn: () => void | Promise<void>;
}

export interface PreparedBench {
  /** Which input was used, shown with the results. */
  input: string;
  tasks: BenchTask[];
}

export interface BenchModule {
  name: string;
  prepare(): Promise<PreparedBench>;
}

const MODULES: readonly BenchModule[] = [captureBench];

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}

async function runModule(mod: BenchModule, filter: string): Promise<void> {
  const prepared = await mod.prepare();
  const tasks = prepared.tasks.filter((t) => t.name.includes(filter));
  if (tasks.length === 0) return;
  console.log(`\n${mod.name}: ${prepared.input}`);
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
    console.log(`  ${t.name.padEnd(52)} ${fmt(ms).padStart(9)} ms/iter  ${fmt(perSecond).padStart(12)} ${t.unit}/s  (±${r.latency.rme.toFixed(1)}%)`);
  }
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  for (const mod of MODULES) await runModule(mod, filter);
}

await main();
