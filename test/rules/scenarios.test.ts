/**
 * Every iptables ruleset of the kernel conformance corpus parses, and iptables-save of it prints
 * what the recording kernel's iptables-save printed (counters and comment lines aside). Where a
 * recording keeps no final iptables-save (the repository's trimmed copy), the saved text must at
 * least load again and save identically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadIptables } from '../../src/rules/parse.js';
import { Ruleset } from '../../src/rules/model.js';
import { iptablesSave } from '../../src/format/iptables.js';
import { CORPUS_DIRS } from './helpers.js';

interface Scenario {
  rulesFile: string;
  /** The kernel's final iptables-save -c lines, from whichever copy recorded them. */
  kernelSave: string[] | null;
}

function kernelSave(dir: string): string[] | null {
  const file = join(dir, 'kernel.json');
  if (!existsSync(file)) return null;
  const k = JSON.parse(readFileSync(file, 'utf8')) as { final?: { iptables_save_c?: string[] } };
  return k.final?.iptables_save_c ?? null;
}

function collect(): Map<string, Scenario> {
  const out = new Map<string, Scenario>();
  for (const root of CORPUS_DIRS) {
    for (const name of readdirSync(root).sort()) {
      const rulesFile = join(root, name, 'rules.v4');
      if (!existsSync(rulesFile)) continue;
      const saved = kernelSave(join(root, name));
      const known = out.get(name);
      if (known === undefined) out.set(name, { rulesFile, kernelSave: saved });
      else if (known.kernelSave === null) known.kernelSave = saved;
    }
  }
  return out;
}

const scenarios = collect();

function comparable(lines: readonly string[]): string[] {
  return lines
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^\[\d+:\d+\] /, '').replace(/ \[\d+:\d+\]$/, ''));
}

test('the corpus has iptables scenarios', { skip: scenarios.size === 0 ? 'corpus not present' : false }, () => {
  assert.ok(scenarios.size >= 40);
});

for (const [name, s] of scenarios) {
  const what = s.kernelSave !== null ? 'saves as the kernel saved it' : 'saves, and its save loads back to the same text';
  test(`scenario ${name}: rules.v4 ${what}`, () => {
    // A scenario's ipsets (ipset.save) are loaded before its rules, as ipset restore runs first.
    const ipsetFile = join(dirname(s.rulesFile), 'ipset.save');
    const load = (text: string, file: string, counters = false): Ruleset => {
      const rs = new Ruleset();
      if (existsSync(ipsetFile)) rs.ipsets.load(readFileSync(ipsetFile, 'utf8'), { file: ipsetFile });
      loadIptables(rs, text, { file, counters });
      return rs;
    };
    const rs = load(readFileSync(s.rulesFile, 'utf8'), s.rulesFile);
    const ours = iptablesSave(rs, 4, { counters: true, time: 'T' });
    if (s.kernelSave !== null) {
      assert.deepEqual(comparable(ours.split('\n')), comparable(s.kernelSave));
    } else {
      const again = iptablesSave(load(ours, 'saved', true), 4, { counters: true, time: 'T' });
      assert.equal(again, ours);
    }
  });
}
