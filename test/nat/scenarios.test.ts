/**
 * End to end: every iptables / ip6tables scenario of the kernel corpus that has a nat table is
 * replayed through a host with the NAT engine and compared with the kernel's recording (per-packet
 * output bytes with the corpus masks, rules, events, final conntrack table).
 *
 * Scenarios that fail for reasons outside src/nat are `todo` with the reason (their failure is
 * reported, not hidden); everything else must match completely.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { formatComparison } from '../../src/conformance/compare.js';
import { compareWithKernel, SCENARIOS } from './harness.js';

/** Scenarios that do not match yet, with the reason (none at the moment). */
const NOT_NAT: Record<string, string> = {};

function hasNatTable(dir: string): boolean {
  return ['rules.v4', 'rules.v6'].some((f) => existsSync(join(dir, f)) && /^\*nat$/m.test(readFileSync(join(dir, f), 'utf8')));
}

// The harness loads iptables rules only: scenarios that also have nft chains are for the full replay (test/conformance/kernel.test.ts).
const names = existsSync(SCENARIOS) ? readdirSync(SCENARIOS).filter((n) => hasNatTable(join(SCENARIOS, n)) && !existsSync(join(SCENARIOS, n, 'rules.nft'))).sort() : [];

test('the corpus has NAT scenarios to replay', () => {
  assert.ok(names.length >= 30, `only ${names.length} NAT scenarios under ${SCENARIOS}`);
});

for (const name of names) {
  const reason = NOT_NAT[name];
  test(`kernel NAT scenario ${name}`, reason ? { todo: reason } : {}, () => {
    const r = compareWithKernel(name);
    assert.equal(r.scenario, 1, formatComparison(r, 5));
  });
}
