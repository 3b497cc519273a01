/**
 * `npm run conformance`: replays every kernel-recorded scenario and prints the agreement with the
 * kernel, per scenario and per feature tag (packets, verdicts, ctstates, out bytes, rules, events,
 * final tables), ending like the shared corpus's score.py with
 *   conformance: X/Y scenarios, P/Q packets
 *
 *   tsx scripts/conformance/score.ts [DIR] [--only SUBSTR] [--tag TAG] [--quiet] [--show N]
 *                                    [--json FILE] [--cmd "node dist/cli/main.js" [--jobs N] [--timeout S]]
 *
 * DIR defaults to test/fixtures/conformance. Without --cmd the engine is called in-process
 * (src/replay/replay.ts replayBytes); with --cmd the given command is run per scenario exactly as
 * the shared tools/compare.py runs `ctkit replay` (contract CLI, --jsonl/--conntrack/--expect files).
 * Exit status 0 only when every scenario matches. Scenarios failing without being listed in
 * expected-failures.json, and listed ones that pass now, are named at the end.
 */

import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';

import { formatComparison, type ComparisonResult } from '../../src/conformance/compare.js';
import { aggregate, formatQuietLine, formatReport } from '../../src/conformance/score.js';
import { runCliScenario } from './lib/cli.js';
import { fixturesDir, listScenarioDirs, loadExpectedFailures, loadReplay, loadScenario, runScenario, type Scenario } from './lib/corpus.js';

interface Options {
  dir: string;
  only?: string;
  tag?: string;
  quiet: boolean;
  show: number;
  json?: string;
  cmd?: string;
  jobs: number;
  timeout: number;
}

const USAGE = 'usage: score.ts [DIR] [--only SUBSTR] [--tag TAG] [--quiet] [--show N] [--json FILE] [--cmd CMD [--jobs N] [--timeout S]]';

function parseArgs(argv: string[]): Options {
  const o: Options = { dir: fixturesDir(), quiet: false, show: 3, jobs: 4, timeout: 60 };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const val = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--only') o.only = val();
    else if (a === '--tag') o.tag = val();
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--show') o.show = Number(val());
    else if (a === '--json') o.json = val();
    else if (a === '--cmd') o.cmd = val();
    else if (a === '--jobs') o.jobs = Number(val());
    else if (a === '--timeout') o.timeout = Number(val());
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else o.dir = a;
  }
  return o;
}

/** The scenarios selected by --only / --tag. */
function selectScenarios(o: Options): Scenario[] {
  return listScenarioDirs(o.dir)
    .filter((d) => !o.only || basename(d).includes(o.only))
    .map(loadScenario)
    .filter((sc) => !o.tag || (sc.meta.tags ?? []).includes(o.tag));
}

/** Scores every scenario, in-process or through the CLI; results in scenario order. */
async function scoreAll(o: Options, scenarios: Scenario[]): Promise<{ result: ComparisonResult; seconds: number }[]> {
  if (o.cmd) {
    const cmd = o.cmd;
    const out: { result: ComparisonResult; seconds: number }[] = new Array(scenarios.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < scenarios.length) {
        const k = next++;
        out[k] = await runCliScenario(cmd, scenarios[k]!, o.timeout);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
    return out;
  }
  const replay = await loadReplay();
  if (!replay.ok) {
    console.error(`cannot replay: ${replay.reason}`);
    process.exit(2);
  }
  return scenarios.map((sc) => runScenario(replay.module, sc));
}

/** Names the scenarios whose outcome disagrees with expected-failures.json. */
function expectationNotes(results: ComparisonResult[]): string[] {
  const expected = loadExpectedFailures();
  const unexpected = results.filter((r) => !r.scenario && !(r.name in expected)).map((r) => r.name);
  const fixed = results.filter((r) => r.scenario && r.name in expected).map((r) => r.name);
  const notes: string[] = [];
  if (unexpected.length) notes.push(`failing but not in expected-failures.json (${unexpected.length}): ${unexpected.join(' ')}`);
  if (fixed.length) notes.push(`passing but listed in expected-failures.json (${fixed.length}): ${fixed.join(' ')}`);
  return notes;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const scenarios = selectScenarios(o);
  if (!scenarios.length) {
    console.log(`no scenarios under ${o.dir}`);
    console.log('conformance: 0/0 scenarios, 0/0 packets');
    process.exit(1);
  }
  const t0 = performance.now();
  const runs = await scoreAll(o, scenarios);
  for (const { result, seconds } of runs) {
    console.log(o.quiet ? formatQuietLine(result) : formatComparison(result, o.show, seconds));
  }
  const results = runs.map((r) => r.result);
  const notes = expectationNotes(results);
  console.log(formatReport(aggregate(results), (performance.now() - t0) / 1000).replace(/\n(conformance: )/, `\n${notes.map((n) => n + '\n').join('')}$1`));
  if (o.json) writeFileSync(o.json, JSON.stringify(runs, null, 1));
  process.exit(results.every((r) => r.scenario) ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(2);
});
