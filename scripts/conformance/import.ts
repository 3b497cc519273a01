/**
 * Imports kernel-recorded scenarios (the shared corpus, or any directory written by the
 * recorder) into the project's fixtures, test/fixtures/conformance/<name>/.
 *
 *   npx tsx scripts/conformance/import.ts [SOURCE_DIR ...] [--to DIR] [--only SUBSTR]
 *
 * SOURCE_DIR defaults to ../shared/conformance/scenarios. Copied as they are: capture.pcapng,
 * host.json, rules.v4 / rules.v6 / rules.nft, meta.json. kernel.json is slimmed (see slimKernel):
 * the recorder's bulky `oracle` per packet (tables after each packet, probe stages, raw trace) and
 * the `final` raw dumps are not used by the comparison and are dropped, keeping per packet only
 * the human notes (`note`, `sent`: the packet as sent, `trace`: rule texts hit). kernel.txt (the
 * human-readable log, ~9 MB over the corpus) is not copied.
 */

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import type { KernelRecording } from '../../src/conformance/types.js';
import { fixturesDir, listScenarioDirs } from './lib/corpus.js';

const DEFAULT_SOURCE = '../shared/conformance/scenarios';
/** Files copied unchanged when present. */
const COPIED = ['capture.pcapng', 'host.json', 'rules.v4', 'rules.v6', 'ipset.save', 'rules.nft', 'meta.json'];
/** Per-packet oracle fields kept (human notes only). */
const ORACLE_KEPT = ['note', 'sent', 'trace'];
/** Fields of kernel.json `final` kept. */
const FINAL_KEPT = ['t', 'counter_crosscheck'];

/** kernel.json without what the comparison does not use. */
export function slimKernel(k: KernelRecording): KernelRecording {
  const packets = k.packets.map((p) => {
    const { oracle, ...rest } = p;
    const slim: Record<string, unknown> = {};
    for (const key of ORACLE_KEPT) if (oracle && oracle[key] !== undefined) slim[key] = oracle[key];
    return { ...rest, oracle: slim };
  });
  const final: Record<string, unknown> = {};
  for (const key of FINAL_KEPT) if (k.final && k.final[key] !== undefined) final[key] = k.final[key];
  return { ...k, packets, final };
}

/** Copies one scenario directory into dest/<name>. */
export function importScenario(src: string, destRoot: string): string {
  const name = basename(src);
  const dest = join(destRoot, name);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const f of COPIED) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dest, f));
  const k = JSON.parse(readFileSync(join(src, 'kernel.json'), 'utf8')) as KernelRecording;
  writeFileSync(join(dest, 'kernel.json'), JSON.stringify(slimKernel(k), null, 1) + '\n');
  return name;
}

function parseArgs(argv: string[]): { sources: string[]; to: string; only?: string } {
  const sources: string[] = [];
  let to = fixturesDir();
  let only: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--to') to = argv[++k]!;
    else if (a === '--only') only = argv[++k]!;
    else if (a === '-h' || a === '--help') {
      console.log('usage: import.ts [SOURCE_DIR ...] [--to DIR] [--only SUBSTR]');
      process.exit(0);
    } else sources.push(a);
  }
  return { sources: sources.length ? sources : [DEFAULT_SOURCE], to, only };
}

function main(): void {
  const { sources, to, only } = parseArgs(process.argv.slice(2));
  let n = 0;
  for (const src of sources) {
    for (const d of listScenarioDirs(src)) {
      if (only && !basename(d).includes(only)) continue;
      importScenario(d, to);
      n++;
    }
  }
  console.log(`imported ${n} scenario(s) into ${to}`);
}

main();
