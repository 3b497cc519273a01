/**
 * After a replay, the rule counters are the kernel's: `iptables-save -c` of the replayed ruleset
 * equals what the recording kernel printed at the end of each shared-corpus scenario
 * (kernel.json final.iptables_save_c), and `nft list ruleset` equals final.nft_list_ruleset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../src/capture/reader.js';
import { Replayer } from '../../src/replay/replay.js';

const SHARED = join(process.cwd(), '..', 'shared', 'conformance', 'scenarios');
const dirs = existsSync(SHARED) ? readdirSync(SHARED).map((d) => join(SHARED, d)) : [];

/** The kernel's listing without the recorder's own tables (orc_probe, orc_quiet). */
function withoutProbe(lines: string[]): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const l of lines) {
    if (l.startsWith('table ') && / orc_(probe|quiet) /.test(l)) skipping = true;
    if (!skipping && l !== '') out.push(l);
    if (skipping && l === '}') skipping = false;
  }
  return out;
}

/** The rule lines (no generated-by comments, no trailing blank). */
const body = (lines: string[]): string[] => lines.filter((l) => l !== '' && !l.startsWith('# '));

test('the shared corpus is beside the repository', { skip: dirs.length ? false : 'no ../shared/conformance here' }, () => {
  assert.ok(dirs.length >= 70);
});

for (const dir of dirs) {
  const k = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
  const v4 = join(dir, 'rules.v4');
  const nft = join(dir, 'rules.nft');
  test(`final counters: ${dir.split('/').pop()}`, () => {
    const r = new Replayer({
      host: JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')),
      iptables: existsSync(v4) ? readFileSync(v4, 'utf8') : undefined,
      nft: existsSync(nft) ? readFileSync(nft, 'utf8') : undefined,
      seed: 1,
    });
    for (const p of readAll(readFileSync(join(dir, 'capture.pcapng')))) r.feed(p);
    const text = r.rulesText().split('\n');
    if (existsSync(v4)) assert.deepEqual(body(text), body(k.final.iptables_save_c));
    else assert.deepEqual(text.filter((l) => l !== ''), withoutProbe(k.final.nft_list_ruleset));
  });
}
