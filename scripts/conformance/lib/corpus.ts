/**
 * The project's kernel conformance corpus on disk (test/fixtures/conformance/<name>/) and the
 * glue that runs a scenario through the replay engine and scores it. Used by the conformance
 * test (test/conformance/kernel.test.ts) and the scripts `npm run conformance`,
 * `conformance:update-expected`.
 *
 * The replay engine (src/replay/replay.ts) is imported dynamically so that everything here
 * compiles and runs before it exists: `loadReplay()` then reports it as unavailable.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { compareScenario, type ComparisonResult } from '../../../src/conformance/compare.js';
import type { ActualPacket, ActualResult, KernelRecording, ScenarioMeta } from '../../../src/conformance/types.js';

/** One scenario directory, loaded. */
export interface Scenario {
  name: string;
  dir: string;
  kernel: KernelRecording;
  meta: ScenarioMeta;
  /** Parsed host.json. */
  host: unknown;
  iptables?: string;
  ip6tables?: string;
  /** ipset.save (`ipset save` text), when the scenario uses sets. */
  ipset?: string;
  nft?: string;
  /** Path of capture.pcapng. */
  capturePath: string;
}

/** The replay options of the lead's engine (src/replay/replay.ts). */
export interface ReplayOptions {
  host: unknown;
  iptables?: string;
  ip6tables?: string;
  nft?: string;
  ipset?: string;
  sysctl?: Record<string, string | number>;
  files?: { iptables?: string; ip6tables?: string; nft?: string; ipset?: string; host?: string };
}

/** What replayBytes returns (the contract's records and final tables). */
export interface ReplayOutput {
  packets: unknown[];
  conntrack: string[];
  expect: string[];
}

/** The part of src/replay/replay.ts the conformance suite uses. */
export interface ReplayModule {
  replayBytes(capture: Uint8Array, opts: ReplayOptions): ReplayOutput;
}

/** The replay engine, or why it cannot be used. */
export type ReplayLoad = { ok: true; module: ReplayModule } | { ok: false; reason: string; missing: boolean };

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest ancestor holding package.json and test/fixtures/conformance. */
export function repoRoot(): string {
  let d = HERE;
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'test', 'fixtures', 'conformance'))) return d;
    const up = dirname(d);
    if (up === d) throw new Error(`no repository root above ${HERE}`);
    d = up;
  }
}

/** test/fixtures/conformance of the repository. */
export function fixturesDir(): string {
  return join(repoRoot(), 'test', 'fixtures', 'conformance');
}

/** The file listing scenarios that are known to fail, with the reason. */
export function expectedFailuresPath(): string {
  return join(fixturesDir(), 'expected-failures.json');
}

/** Scenario directories below root (those holding capture.pcapng and kernel.json), sorted. */
export function listScenarioDirs(root = fixturesDir()): string[] {
  const res: string[] = [];
  const walk = (d: string): void => {
    const names = readdirSync(d);
    if (names.includes('capture.pcapng') && names.includes('kernel.json')) {
      res.push(d);
      return;
    }
    for (const n of names.sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return res.sort();
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function readOptional(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Loads one scenario directory. */
export function loadScenario(dir: string): Scenario {
  const meta = existsSync(join(dir, 'meta.json')) ? readJson<ScenarioMeta>(join(dir, 'meta.json')) : {};
  const name = meta.name ?? dir.split('/').pop()!;
  return {
    name,
    dir,
    kernel: readJson<KernelRecording>(join(dir, 'kernel.json')),
    meta,
    host: readJson<unknown>(join(dir, 'host.json')),
    iptables: readOptional(join(dir, 'rules.v4')),
    ip6tables: readOptional(join(dir, 'rules.v6')),
    ipset: readOptional(join(dir, 'ipset.save')),
    nft: readOptional(join(dir, 'rules.nft')),
    capturePath: join(dir, 'capture.pcapng'),
  };
}

/** expected-failures.json: scenario name -> reason (empty when the file does not exist). */
export function loadExpectedFailures(path = expectedFailuresPath()): Record<string, string> {
  return existsSync(path) ? readJson<Record<string, string>>(path) : {};
}

/** Imports the replay engine; reports a missing module as such rather than throwing. */
export async function loadReplay(): Promise<ReplayLoad> {
  const target = resolve(HERE, '../../../src/replay/replay.js');
  const spec = pathToFileURL(target).href;
  const sources = [target, target.replace(/\.js$/, '.ts')];
  try {
    const mod = (await import(spec)) as Partial<ReplayModule>;
    if (typeof mod.replayBytes !== 'function') {
      return { ok: false, missing: false, reason: `${target} does not export replayBytes()` };
    }
    return { ok: true, module: mod as ReplayModule };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const missing = err.code === 'ERR_MODULE_NOT_FOUND' && !sources.some((s) => existsSync(s)) && String(err.message).includes('replay');
    return {
      ok: false,
      missing,
      reason: missing ? 'src/replay/replay.ts does not exist yet: the replay engine is not built' : `cannot load ${target}: ${err.message}`,
    };
  }
}

/** The replay options for a scenario (its host, rulesets and file names for error messages). */
export function replayOptions(sc: Scenario): ReplayOptions {
  const opts: ReplayOptions = { host: sc.host, files: { host: join(sc.dir, 'host.json') } };
  if (sc.nft !== undefined) {
    opts.nft = sc.nft;
    opts.files!.nft = join(sc.dir, 'rules.nft');
  }
  if (sc.iptables !== undefined) {
    opts.iptables = sc.iptables;
    opts.files!.iptables = join(sc.dir, 'rules.v4');
  }
  if (sc.ip6tables !== undefined) {
    opts.ip6tables = sc.ip6tables;
    opts.files!.ip6tables = join(sc.dir, 'rules.v6');
  }
  if (sc.ipset !== undefined) {
    opts.ipset = sc.ipset;
    opts.files!.ipset = join(sc.dir, 'ipset.save');
  }
  return opts;
}

/** Runs a scenario through the engine; an exception becomes the result's error. */
export function replayScenario(replay: ReplayModule, sc: Scenario): ActualResult {
  try {
    const out = replay.replayBytes(new Uint8Array(readFileSync(sc.capturePath)), replayOptions(sc));
    return { packets: out.packets as ActualPacket[], conntrack: out.conntrack, expect: out.expect, error: null };
  } catch (e) {
    const err = e as Error;
    return { packets: null, conntrack: null, expect: null, error: `replay threw: ${err.message ?? String(e)}` };
  }
}

/** Replays and scores one scenario, with the elapsed time in seconds. */
export function runScenario(replay: ReplayModule, sc: Scenario): { result: ComparisonResult; seconds: number } {
  const t0 = performance.now();
  const actual = replayScenario(replay, sc);
  const seconds = (performance.now() - t0) / 1000;
  return { result: compareScenario(sc.kernel, sc.meta, actual, sc.name), seconds };
}

/** The kernel's own answers as a replay result (what a perfect replay would return). */
export function kernelAsActual(k: KernelRecording): ActualResult {
  return {
    packets: k.packets.map((p) => ({
      i: p.i,
      iface: p.iface,
      verdict: p.verdict,
      ctstate: p.ctstate,
      ctdir: p.ctdir,
      out: p.out.map((o) => ({ iface: o.iface, hex: o.hex, gen: o.gen })),
      rules: [...p.rules],
      events: [...p.events],
    })),
    conntrack: [...k.conntrack],
    expect: [...k.expect],
    error: null,
  };
}
