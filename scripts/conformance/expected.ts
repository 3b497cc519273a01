/**
 * `npm run conformance:update-expected`: replays every fixture scenario and rewrites
 * test/fixtures/conformance/expected-failures.json with the scenarios that fail now, each with a
 * one-line reason (packets matched and the first mismatch). The conformance test runs listed
 * scenarios as `todo`; every other scenario must pass. Review the diff before committing it:
 * a scenario that newly appears in the list is a regression unless explained.
 *
 *   tsx scripts/conformance/expected.ts [--dry-run]
 */

import { writeFileSync } from 'node:fs';

import type { ComparisonResult } from '../../src/conformance/compare.js';
import { expectedFailuresPath, listScenarioDirs, loadExpectedFailures, loadReplay, loadScenario, repoRoot, runScenario } from './lib/corpus.js';

/** Longest reason kept in the file. */
const MAX_REASON = 240;

/** The reason recorded for a failing scenario. */
export function failureReason(r: ComparisonResult): string {
  // paths relative to the repository, so that the file does not depend on where it was written
  const first = (r.error ?? r.problems[0]?.split('\n')[0] ?? 'fails').split(`${repoRoot()}/`).join('');
  const s = `${r.p}/${r.n} packets, table ${r.table}/1; ${first}`;
  return s.length <= MAX_REASON ? s : `${s.slice(0, MAX_REASON - 3)}...`;
}

async function main(): Promise<void> {
  const dry = process.argv.includes('--dry-run');
  const replay = await loadReplay();
  if (!replay.ok) {
    console.error(`cannot replay: ${replay.reason}`);
    process.exit(2);
  }
  const before = loadExpectedFailures();
  const now: Record<string, string> = {};
  let passed = 0;
  for (const dir of listScenarioDirs()) {
    const { result } = runScenario(replay.module, loadScenario(dir));
    if (result.scenario) passed++;
    else now[result.name] = failureReason(result);
  }
  const added = Object.keys(now).filter((n) => !(n in before));
  const removed = Object.keys(before).filter((n) => !(n in now));
  if (!dry) writeFileSync(expectedFailuresPath(), JSON.stringify(now, null, 1) + '\n');
  console.log(`${passed} scenario(s) pass, ${Object.keys(now).length} expected to fail${dry ? ' (dry run, nothing written)' : ` -> ${expectedFailuresPath()}`}`);
  if (removed.length) console.log(`now passing (removed from the list): ${removed.join(' ')}`);
  if (added.length) console.log(`newly failing (added to the list): ${added.join(' ')}`);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(2);
});
