/**
 * End to end against the kernel corpus: every scenario whose rules attach a conntrack helper
 * (`-j CT --helper`, nft `ct helper set`) is replayed through a host with NAT and the helper
 * engine and compared with the kernel's recording: verdicts, ctstates (RELATED for the data
 * connections), output bytes (rewritten PORT commands, shifted sequence numbers), rules,
 * conntrack and expectation events, final conntrack and expectation tables.
 *
 * A scenario failing for a reason outside the helpers is a `todo` with that reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { formatComparison } from '../../src/conformance/compare.js';
import { compareWithKernel, SCENARIOS } from './harness.js';

/** Scenarios that do not match yet, with the reason (none at the moment). */
const OUTSIDE: Record<string, string> = {};

function attachesHelper(dir: string): boolean {
  return ['rules.v4', 'rules.v6', 'rules.nft'].some((f) => {
    const p = join(dir, f);
    return existsSync(p) && /--helper|ct helper/.test(readFileSync(p, 'utf8'));
  });
}

const names = existsSync(SCENARIOS) ? readdirSync(SCENARIOS).filter((n) => attachesHelper(join(SCENARIOS, n))).sort() : [];

test('the corpus has helper scenarios', () => {
  assert.ok(names.length >= 14, `only ${names.length} helper scenarios under ${SCENARIOS}`);
});

for (const name of names) {
  const reason = OUTSIDE[name];
  test(`kernel helper scenario ${name}`, reason ? { todo: reason } : {}, () => {
    const r = compareWithKernel(name);
    assert.equal(r.scenario, 1, formatComparison(r, 5));
  });
}
