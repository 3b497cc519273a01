/**
 * The kernel conformance suite: every scenario of test/fixtures/conformance (recorded from the
 * real Linux kernel, see docs/conformance.md) is replayed through `replayBytes` and compared with
 * the kernel's answers (src/conformance/compare.ts). One test per scenario.
 *
 * Honesty rules:
 * - a scenario listed in test/fixtures/conformance/expected-failures.json (name -> reason) runs
 *   as a node:test `todo`: its failure is reported, not hidden, and does not fail the run; when it
 *   passes, a diagnostic asks for it to be removed from the list;
 * - a scenario not listed must match completely;
 * - while src/replay/replay.ts does not exist, every scenario is skipped with that reason.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { formatComparison } from '../../src/conformance/compare.js';
import {
  expectedFailuresPath,
  listScenarioDirs,
  loadExpectedFailures,
  loadReplay,
  loadScenario,
  runScenario,
} from '../../scripts/conformance/lib/corpus.js';

const dirs = listScenarioDirs();
const expected = loadExpectedFailures();
const replay = await loadReplay();
const names = new Set(dirs.map((d) => loadScenario(d).name));

test('expected-failures.json names only existing scenarios', () => {
  const stale = Object.keys(expected).filter((n) => !names.has(n));
  assert.deepEqual(stale, [], `${expectedFailuresPath()} lists scenarios that do not exist`);
});

if (!replay.ok && !replay.missing) {
  test('the replay engine loads', () => {
    assert.fail(replay.reason);
  });
}

for (const dir of dirs) {
  const sc = loadScenario(dir);
  const reason = expected[sc.name];
  if (!replay.ok) {
    test(`kernel conformance: ${sc.name}`, { skip: replay.reason }, () => {});
    continue;
  }
  const module = replay.module;
  test(`kernel conformance: ${sc.name}`, reason ? { todo: reason } : {}, (t) => {
    const { result, seconds } = runScenario(module, sc);
    if (reason && result.scenario) t.diagnostic(`${sc.name} passes now: remove it from expected-failures.json`);
    assert.equal(result.scenario, 1, formatComparison(result, 8, seconds));
  });
}
