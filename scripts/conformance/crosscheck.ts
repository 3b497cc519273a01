/**
 * Cross-checks two kernel recordings of the same scenario with the conformance comparator: the
 * candidate's kernel answers are scored as if a replay had produced them, against the reference
 * recording, with the nondeterminism masks of both (each recorder saw its own two runs). Used to
 * verify the project's recorder against the shared corpus (re-record a shared scenario with
 * `record.ts --rerecord DIR -o OUT`, then `crosscheck.ts DIR OUT/NAME`).
 *
 *   crosscheck.ts REFERENCE_DIR CANDIDATE_DIR [REFERENCE_DIR CANDIDATE_DIR ...] [--show N]
 *   crosscheck.ts --pairs REFERENCE_ROOT CANDIDATE_ROOT     every scenario present in both roots
 *
 * Exit status 0 only when every pair agrees completely.
 */

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

import { compareScenario, formatComparison } from '../../src/conformance/compare.js';
import type { Nondeterministic, ScenarioMeta } from '../../src/conformance/types.js';
import { kernelAsActual, listScenarioDirs, loadScenario } from './lib/corpus.js';

/** The union of two scenarios' nondeterminism masks. */
export function mergeNondeterministic(a: Nondeterministic = {}, b: Nondeterministic = {}): Nondeterministic {
  return {
    ...a,
    out_bytes: [...(a.out_bytes ?? []), ...(b.out_bytes ?? [])],
    fields: [...(a.fields ?? []), ...(b.fields ?? [])],
    ct_masks: [...(a.ct_masks ?? []), ...(b.ct_masks ?? [])],
    ignore_destroy_events: Boolean(a.ignore_destroy_events || b.ignore_destroy_events),
  };
}

/** Scores the candidate recording against the reference; returns true when they agree. */
function crosscheck(refDir: string, candDir: string, show: number): boolean {
  const ref = loadScenario(refDir);
  const cand = loadScenario(candDir);
  const meta: ScenarioMeta = { ...ref.meta, nondeterministic: mergeNondeterministic(ref.meta.nondeterministic, cand.meta.nondeterministic) };
  const r = compareScenario(ref.kernel, meta, kernelAsActual(cand.kernel), ref.name);
  console.log(formatComparison(r, show).replace(/^scenario (\S+)/, `scenario $1 (${candDir} vs ${refDir})`));
  return r.scenario === 1;
}

function main(): void {
  const args = process.argv.slice(2);
  let show = 8;
  const k = args.indexOf('--show');
  if (k >= 0) {
    show = Number(args[k + 1]);
    args.splice(k, 2);
  }
  const pairs: [string, string][] = [];
  if (args[0] === '--pairs') {
    const [refRoot, candRoot] = [args[1]!, args[2]!];
    for (const d of listScenarioDirs(candRoot)) {
      const ref = join(refRoot, basename(d));
      if (existsSync(join(ref, 'kernel.json'))) pairs.push([ref, d]);
    }
  } else {
    if (args.length < 2 || args.length % 2) throw new Error('usage: crosscheck.ts REFERENCE_DIR CANDIDATE_DIR [...] | --pairs REF_ROOT CAND_ROOT');
    for (let i = 0; i < args.length; i += 2) pairs.push([args[i]!, args[i + 1]!]);
  }
  let ok = 0;
  for (const [a, b] of pairs) if (crosscheck(a, b, show)) ok++;
  console.log(`crosscheck: ${ok}/${pairs.length} recordings agree`);
  process.exit(ok === pairs.length ? 0 : 1);
}

main();
