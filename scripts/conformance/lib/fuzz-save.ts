/**
 * Where the differential fuzzer keeps what it finds: the minimised scenarios as recorder spec
 * entries (scripts/conformance/scenarios/fuzz_found.ts, one marked block per finding, rewritten in
 * place), the recorded fixtures, and their one-line reasons in expected-failures.json; and the
 * adoption of a fuzz output directory into the repository.
 */

import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ScenarioSpec } from './scenario.js';

const HEADER = `/**
 * Divergences between ctkit and the Linux kernel found by the differential fuzzer
 * (\`npm run conformance:fuzz\`, scripts/conformance/fuzz.ts): each entry is the minimised scenario
 * of one finding (packets as hex, notes from the generator), recorded as the fixture of the same
 * name in test/fixtures/conformance/ and listed in expected-failures.json until ctkit agrees.
 * Generated: the fuzzer rewrites the block of an entry by its \`// @fuzz NAME\` marker.
 */

import type { ScenarioSpec } from '../lib/scenario.js';

export const scenarios: ScenarioSpec[] = [
`;
const FOOTER = '];\n';
const MARK = /^ {2}\/\/ @fuzz (\S+)$/m;

/** The entries of a fuzz_found.ts text, by name, in order (their text blocks). */
export function parseFoundFile(text: string): Map<string, string> {
  const res = new Map<string, string>();
  const start = text.indexOf('export const scenarios');
  if (start < 0) return res;
  const body = text.slice(text.indexOf('[', start) + 1, text.lastIndexOf(']'));
  const parts = body.split(/^(?= {2}\/\/ @fuzz \S+$)/m);
  for (const p of parts) {
    const m = MARK.exec(p);
    if (m) res.set(m[1]!, p.replace(/\s+$/, '') + '\n');
  }
  return res;
}

/** One entry's block. */
export function foundBlock(spec: ScenarioSpec, comment: string[]): string {
  const obj: Record<string, unknown> = { ...spec };
  delete obj['source'];
  const json = JSON.stringify(obj, null, 2)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `  // @fuzz ${spec.name}\n${comment.map((c) => `  // ${c}\n`).join('')}${json},\n`;
}

/** The text of a fuzz_found.ts holding these blocks. */
export function foundFileText(blocks: Map<string, string>): string {
  return HEADER + [...blocks.values()].join('') + FOOTER;
}

/** Adds or replaces an entry of the fuzz_found.ts at path. */
export function upsertFound(path: string, spec: ScenarioSpec, comment: string[]): void {
  const blocks = existsSync(path) ? parseFoundFile(readFileSync(path, 'utf8')) : new Map<string, string>();
  blocks.set(spec.name, foundBlock(spec, comment));
  writeFileSync(path, foundFileText(blocks));
}

/** Adds or replaces reasons in an expected-failures.json (re-read right before writing: it is shared). */
export function upsertExpected(path: string, entries: Record<string, string>): void {
  const cur = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : {};
  for (const [k, v] of Object.entries(entries)) cur[k] = v;
  writeFileSync(path, JSON.stringify(cur, null, 1) + '\n');
}

/** Copies a fuzz output directory's fixtures, spec entries and reasons into the repository. */
export function adopt(from: string, to: { fixtures: string; expected: string; found: string }, force: boolean, log: (s: string) => void): void {
  const dirs = readdirSync(from).filter((n) => n.startsWith('r_fuzz_') && existsSync(join(from, n, 'kernel.json')));
  for (const n of dirs) {
    const dst = join(to.fixtures, n);
    if (existsSync(dst) && !force) {
      log(`skipped ${n}: ${dst} exists (--force replaces it)`);
      continue;
    }
    cpSync(join(from, n), dst, { recursive: true, force: true });
    log(`fixture ${n} -> ${dst}`);
  }
  const ef = join(from, 'expected-failures.json');
  if (existsSync(ef)) {
    const entries = JSON.parse(readFileSync(ef, 'utf8')) as Record<string, string>;
    const mine = Object.fromEntries(Object.entries(entries).filter(([k]) => dirs.includes(k)));
    upsertExpected(to.expected, mine);
    log(`${Object.keys(mine).length} reason(s) -> ${to.expected}`);
  }
  const ff = join(from, 'fuzz_found.ts');
  if (existsSync(ff)) {
    const add = parseFoundFile(readFileSync(ff, 'utf8'));
    const blocks = existsSync(to.found) ? parseFoundFile(readFileSync(to.found, 'utf8')) : new Map<string, string>();
    for (const [k, v] of add) if (dirs.includes(k)) blocks.set(k, v);
    writeFileSync(to.found, foundFileText(blocks));
    log(`${add.size} spec entr${add.size === 1 ? 'y' : 'ies'} -> ${to.found}`);
  }
}
