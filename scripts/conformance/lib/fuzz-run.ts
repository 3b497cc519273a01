/**
 * The differential fuzzer's kernel side: records a generated scenario through the real kernel with
 * the recorder's library (twice, so that what differs between two kernel runs is masked exactly as
 * for every other fixture), holding the machine's recording lock (/tmp/ctkit-record.lock, the lock
 * `flock` takes for record.ts) only while recording; replays the fixture through ctkit in-process
 * and compares (src/conformance/compare.ts); and minimises a divergence by delta debugging over
 * the steps, the rules, the policies and the sysctls, re-recording every candidate.
 *
 * Import lib/fuzz-env.ts before this module (namespace prefix ckf).
 */

import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { ComparisonResult } from '../../../src/conformance/compare.js';
import type { KernelRecording, ScenarioMeta } from '../../../src/conformance/types.js';
import { listScenarioDirs, loadExpectedFailures, loadScenario, repoRoot, runScenario, type ReplayModule } from './corpus.js';
import type { FuzzScenario } from './fuzz-gen.js';
import { toSpec } from './fuzz-gen.js';
import { ddmin, firstDivergence, type Budget, type Divergence } from './fuzz-min.js';
import { record } from './recording.js';

export const LOCK_PATH = '/tmp/ctkit-record.lock';

/**
 * Runs fn while holding the recording lock: a `flock LOCK sh -c 'echo; exec cat'` child holds it
 * until its standard input closes (also when this process dies), so other recorders wait only
 * for the recording itself.
 */
export async function withRecordLock<T>(fn: () => Promise<T>, path = LOCK_PATH): Promise<T> {
  const child = spawn('flock', [path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  await new Promise<void>((res, rej) => {
    child.stdout.once('data', () => res());
    child.once('error', rej);
    child.once('exit', (code) => rej(new Error(`flock ${path} exited (${code}) before taking the lock`)));
  });
  try {
    return await fn();
  } finally {
    child.stdin.end();
    await exited;
  }
}

/** Extracts src/ of the repository's HEAD commit into root/<commit>/ (once); returns that src directory. */
export function snapshotHead(root: string): string {
  const repo = repoRoot();
  const sha = execFileSync('git', ['-C', repo, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
  const dir = join(root, sha);
  if (!existsSync(join(dir, 'src', 'replay', 'replay.ts'))) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['-C', repo, 'archive', '--format=tar', 'HEAD', 'src'], { maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return join(dir, 'src');
}

/** Copies the checkout's src/ into root/worktree-<stamp>/ (the engine as it is now, immune to later edits). */
export function snapshotWorktree(root: string, stamp: string): string {
  const dir = join(root, `worktree-${stamp}`);
  cpSync(join(repoRoot(), 'src'), join(dir, 'src'), { recursive: true });
  return join(dir, 'src');
}

/** Replays the fixture corpus with an engine: how many pass, and the failures expected-failures.json does not list. */
export function checkEngine(replay: ReplayModule): { pass: number; total: number; unexpected: string[] } {
  const expected = loadExpectedFailures();
  const unexpected: string[] = [];
  let pass = 0;
  const dirs = listScenarioDirs();
  for (const d of dirs) {
    const sc = loadScenario(d);
    if (runScenario(replay, sc).result.scenario) pass++;
    else if (!(sc.name in expected)) unexpected.push(sc.name);
  }
  return { pass, total: dirs.length, unexpected };
}

/** The replay engine of a src/ directory (TypeScript sources, loaded through tsx). */
export async function loadReplayFrom(src: string): Promise<ReplayModule> {
  const mod = (await import(pathToFileURL(join(src, 'replay', 'replay.ts')).href)) as Partial<ReplayModule>;
  if (typeof mod.replayBytes !== 'function') throw new Error(`${src}/replay/replay.ts does not export replayBytes()`);
  return mod as ReplayModule;
}

/** Recorder warnings that make a recording unfit as a fixture (masked nondeterminism is fine). */
export function seriousWarnings(w: string[]): string[] {
  // a packet the IP layer drops before the hooks (bad header checksum, truncated) is never traced
  return w.filter((x) => !x.startsWith('nondeterminism masked') && !/^#\d+: the injected packet was not seen in the trace$/.test(x));
}

/** A recorded and compared scenario. */
export interface Judged {
  dir: string;
  warnings: string[];
  result: ComparisonResult;
  kernel: KernelRecording;
  meta: ScenarioMeta;
  divergence: Divergence | null;
  seconds: number;
}

export interface JudgeOptions {
  replay: ReplayModule;
  /** Kernel runs per recording (2: nondeterminism masked). */
  runs: number;
  log?: (s: string) => void;
}

/** Records the scenario into dir (replacing it) and compares ctkit's replay with it. */
export async function judge(fs: FuzzScenario, dir: string, o: JudgeOptions, source?: string): Promise<Judged> {
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  const spec = toSpec(fs, source);
  const warnings = await withRecordLock(() => record(spec, dir, o.runs, { quietMs: 8, maxMs: 400, log: o.log ?? (() => {}) }));
  const sc = loadScenario(dir);
  const { result } = runScenario(o.replay, sc);
  return { dir, warnings, result, kernel: sc.kernel, meta: sc.meta, divergence: firstDivergence(result, sc.kernel), seconds: (performance.now() - t0) / 1000 };
}

/** The scenario with only some of its steps, rules, sysctls. */
export function restrict(fs: FuzzScenario, part: { steps?: number[]; rules?: number[]; sysctls?: string[]; policies?: Record<string, 'ACCEPT' | 'DROP'> }): FuzzScenario {
  return {
    ...fs,
    steps: part.steps ? part.steps.map((k) => fs.steps[k]!) : fs.steps,
    ruleset: {
      ...fs.ruleset,
      rules: part.rules ? part.rules.map((k) => fs.ruleset.rules[k]!) : fs.ruleset.rules,
      policies: part.policies ?? fs.ruleset.policies,
    },
    sysctls: part.sysctls ? Object.fromEntries(part.sysctls.map((k) => [k, fs.sysctls[k]!])) : fs.sysctls,
  };
}

export interface MinimiseOptions extends JudgeOptions {
  /** Most recordings to spend. */
  budget: number;
  /** Work directory for the candidates. */
  workDir: string;
  /** Wall-clock limit in seconds. */
  maxSeconds: number;
}

/** Result of a minimisation. */
export interface Minimised {
  scenario: FuzzScenario;
  tests: number;
  seconds: number;
  /** The last candidate that still showed the divergence (its recording). */
  last: Judged | null;
}

/**
 * Shrinks a scenario while its first divergence keeps the given signature: steps (ddmin), rules
 * (ddmin), DROP policies (to ACCEPT), sysctls (ddmin), then steps once more.
 */
export async function minimise(fs0: FuzzScenario, signature: string, o: MinimiseOptions): Promise<Minimised> {
  const t0 = performance.now();
  const budget: Budget = { left: o.budget };
  const deadline = t0 + o.maxSeconds * 1000;
  let cur = fs0;
  let last: Judged | null = null;
  const holds = async (cand: FuzzScenario): Promise<boolean> => {
    if (!cand.steps.some((s) => s.packet)) return false;
    if (performance.now() > deadline) {
      budget.left = 0;
      return false;
    }
    try {
      const j = await judge(cand, `${o.workDir}/${cand.name}`, { replay: o.replay, runs: o.runs });
      const ok = j.divergence?.signature === signature && seriousWarnings(j.warnings).length === 0;
      o.log?.(`   candidate: ${cand.steps.filter((s) => s.packet).length} packets, ${cand.ruleset.rules.length} rules, ${Object.keys(cand.sysctls).length} sysctls -> ${ok ? 'still diverges' : j.divergence ? `other: ${j.divergence.signature}` : 'agrees'}`);
      if (ok) last = j;
      return ok;
    } catch (e) {
      o.log?.(`   candidate failed to record: ${(e as Error).message.split('\n')[0]}`);
      return false;
    }
  };
  const idx = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

  const steps = await ddmin(idx(cur.steps.length), (s) => holds(restrict(cur, { steps: s })), budget);
  cur = restrict(cur, { steps });
  const rules = await ddmin(idx(cur.ruleset.rules.length), (r) => holds(restrict(cur, { rules: r })), budget);
  if (rules.length === 1 && budget.left > 0 && (await holds(restrict(cur, { rules: [] })))) cur = restrict(cur, { rules: [] });
  else cur = restrict(cur, { rules });
  for (const [k, v] of Object.entries(cur.ruleset.policies)) {
    if (v === 'ACCEPT' || budget.left <= 0) continue;
    const cand = restrict(cur, { policies: { ...cur.ruleset.policies, [k]: 'ACCEPT' } });
    if (await holds(cand)) cur = cand;
  }
  const keys = Object.keys(cur.sysctls);
  if (keys.length && budget.left > 0) {
    if (await holds(restrict(cur, { sysctls: [] }))) cur = restrict(cur, { sysctls: [] });
    else cur = restrict(cur, { sysctls: await ddmin(keys, (s) => holds(restrict(cur, { sysctls: s })), budget) });
  }
  if (budget.left > 0 && cur.steps.length > 1) {
    const again = await ddmin(idx(cur.steps.length), (s) => holds(restrict(cur, { steps: s })), budget);
    cur = restrict(cur, { steps: again });
  }
  // a pause that no longer precedes a packet is useless
  while (cur.steps.length && cur.steps[cur.steps.length - 1]!.sleep !== undefined) cur = { ...cur, steps: cur.steps.slice(0, -1) };
  return { scenario: cur, tests: o.budget - budget.left, seconds: (performance.now() - t0) / 1000, last };
}
