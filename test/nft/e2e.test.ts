/**
 * End to end: every conformance fixture with a rules.nft replayed through the nft front end and
 * compared with what the kernel did (verdicts, ct states, packets out, traced rules, events, final
 * table). Scenarios that fail for reasons outside the nft front end are listed with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareScenario } from '../../src/conformance/compare.js';
import { replayNftScenario, SCENARIOS } from './replay-nft.js';

/** Scenarios that do not match yet, with the reason (none at the moment). */
const KNOWN: Readonly<Record<string, string>> = {};

for (const name of readdirSync(SCENARIOS).sort()) {
  const dir = join(SCENARIOS, name);
  if (!existsSync(join(dir, 'rules.nft'))) continue;
  // Scenarios with iptables rules beside the nft ones are for the full replay (test/conformance/kernel.test.ts).
  if (existsSync(join(dir, 'rules.v4')) || existsSync(join(dir, 'rules.v6'))) continue;
  const todo = KNOWN[name];
  test(`nft scenario ${name}`, todo !== undefined ? { todo } : {}, () => {
    const kernel = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    const r = replayNftScenario(dir);
    const res = compareScenario(kernel, meta, r.actual, name);
    assert.equal(res.scenario, 1, res.problems.slice(0, 5).join('\n'));
  });
}
