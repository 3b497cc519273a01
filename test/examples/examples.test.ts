/**
 * The bundled examples (examples/<name>/): real application traffic recorded through a real
 * Linux 6.18 router (scripts/examples/record-<name>.sh), with the kernel's own answers in
 * kernel.json. Each one is replayed through the library (`replayBytes`) and compared with the
 * kernel exactly as the conformance corpus is (src/conformance/compare.ts, the semantics of the
 * shared tools/compare.py): verdicts, conntrack states and directions, rules, events, the
 * transmitted packets with meta.json's masks, the final tables.
 *
 * Honesty rules, as for the conformance suite:
 * - an example listed in test/examples/expected-failures.json (name -> reason) runs as a
 *   node:test `todo`: its differences are reported, not hidden, and do not fail the run; when it
 *   passes, a diagnostic asks for it to be removed from the list;
 * - an example not listed must match the kernel completely, and its expected-output.txt (the
 *   `ctkit replay` trace for people) must be what the CLI prints today;
 * - a listed example has no expected-output.txt (there is no agreed output to pin yet).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { readAll } from '../../src/capture/reader.js';
import { compareScenario, formatComparison } from '../../src/conformance/compare.js';
import type { ActualPacket, ActualResult, KernelRecording, ScenarioMeta } from '../../src/conformance/types.js';
import { replayBytes, type ReplayOptions } from '../../src/replay/replay.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest ancestor with package.json and examples/. */
function repoRoot(): string {
  for (let d = HERE; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'examples'))) return d;
    if (dirname(d) === d) throw new Error(`no repository root above ${HERE}`);
  }
}

const ROOT = repoRoot();
const EXAMPLES = join(ROOT, 'examples');
/** The examples the project promises (issue "ctkit replay ... and the bundled examples"). */
const REQUIRED = ['home-router', 'server', 'ftp-nat', 'broken-firewall'];
/** Same seed as the commands in the examples' README files and expected-output.txt. */
const SEED = 1;

interface Example {
  name: string;
  dir: string;
  host: unknown;
  iptables?: string;
  nft?: string;
  kernel: KernelRecording;
  meta: ScenarioMeta;
}

function readOptional(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function loadExample(name: string): Example {
  const dir = join(EXAMPLES, name);
  return {
    name,
    dir,
    host: JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as unknown,
    iptables: readOptional(join(dir, 'rules.v4')),
    nft: readOptional(join(dir, 'rules.nft')),
    kernel: JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as KernelRecording,
    meta: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ScenarioMeta,
  };
}

function replayOptions(ex: Example): ReplayOptions {
  const opts: ReplayOptions = { host: ex.host as object, seed: SEED, files: { host: join(ex.dir, 'host.json'), capture: join(ex.dir, 'capture.pcapng') } };
  if (ex.iptables !== undefined) {
    opts.iptables = ex.iptables;
    opts.files!.iptables = join(ex.dir, 'rules.v4');
  }
  if (ex.nft !== undefined) {
    opts.nft = ex.nft;
    opts.files!.nft = join(ex.dir, 'rules.nft');
  }
  return opts;
}

/** The replay's answer in the comparator's terms; an exception becomes the result's error. */
function replayExample(ex: Example): ActualResult {
  try {
    const out = replayBytes(new Uint8Array(readFileSync(join(ex.dir, 'capture.pcapng'))), replayOptions(ex));
    return { packets: out.packets as unknown as ActualPacket[], conntrack: out.conntrack, expect: out.expect, error: null };
  } catch (e) {
    return { packets: null, conntrack: null, expect: null, error: `replay threw: ${(e as Error).message ?? String(e)}` };
  }
}

/** `ctkit replay` of an example as a person runs it (trace on, no colours), or why it failed. */
function cliOutput(ex: Example): { stdout: string; error: string | null } {
  const js = join(HERE, '../../src/cli/main.js');
  const ts = join(HERE, '../../src/cli/main.ts');
  const args = existsSync(js) ? [js] : ['--import', 'tsx', ts];
  const rel = (f: string): string => `examples/${ex.name}/${f}`;
  const replay = ['replay', rel('capture.pcapng'), '--host', rel('host.json')];
  if (ex.iptables !== undefined) replay.push('--iptables', rel('rules.v4'));
  if (ex.nft !== undefined) replay.push('--nft', rel('rules.nft'));
  replay.push('--seed', String(SEED));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [...args, ...replay], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { stdout: '', error: r.error.message };
  if (r.status !== 0) return { stdout: r.stdout, error: `exit status ${r.status}: ${r.stderr.trim()}` };
  return { stdout: r.stdout, error: null };
}

const names = existsSync(EXAMPLES)
  ? readdirSync(EXAMPLES, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES, d.name, 'kernel.json')))
      .map((d) => d.name)
      .sort()
  : [];
/** Examples known to differ from the kernel today (name -> what differs), kept next to this file's source. */
const expectedPath = join(ROOT, 'test', 'examples', 'expected-failures.json');
const expected = (existsSync(expectedPath) ? JSON.parse(readFileSync(expectedPath, 'utf8')) : {}) as Record<string, string>;

test('the bundled examples are all there', () => {
  assert.deepEqual(REQUIRED.filter((n) => !names.includes(n)), [], 'examples missing from examples/');
});

test('expected-failures.json names only existing examples', () => {
  assert.deepEqual(Object.keys(expected).filter((n) => !names.includes(n)), []);
});

for (const name of names) {
  const ex = loadExample(name);
  const reason = expected[name];

  test(`example ${name}: files and capture`, () => {
    for (const f of ['host.json', 'capture.pcapng', 'kernel.json', 'meta.json', 'README.md']) {
      assert.ok(existsSync(join(ex.dir, f)), `examples/${name}/${f} is missing`);
    }
    assert.ok(ex.iptables !== undefined || ex.nft !== undefined, `examples/${name} has no rules.v4 / rules.nft`);
    assert.ok(existsSync(join(ROOT, 'scripts', 'examples', `record-${name}.sh`)), `scripts/examples/record-${name}.sh is missing`);
    const ifaces = new Set((ex.host as { interfaces: { name: string }[] }).interfaces.map((i) => i.name));
    const recs = readAll(new Uint8Array(readFileSync(join(ex.dir, 'capture.pcapng'))), { name: `examples/${name}/capture.pcapng` });
    assert.equal(recs.length, ex.kernel.packets.length, 'capture and kernel.json disagree on the number of packets');
    for (const r of recs) {
      if (r.direction !== 'out') assert.ok(r.ifName !== null && ifaces.has(r.ifName), `packet ${r.index} arrives on ${r.ifName}, not a host interface`);
    }
    const readme = readFileSync(join(ex.dir, 'README.md'), 'utf8');
    assert.match(readme, new RegExp(`record-${name}\\.sh`), 'README.md does not say how the example was recorded');
    assert.match(readme, /ctkit replay|cli\/main\.js replay/, 'README.md does not say how to replay the example');
  });

  test(`example ${name}: ctkit agrees with the kernel`, reason ? { todo: reason } : {}, (t) => {
    const t0 = performance.now();
    const actual = replayExample(ex);
    const result = compareScenario(ex.kernel, ex.meta, actual, name);
    if (reason && result.scenario) t.diagnostic(`${name} matches the kernel now: remove it from test/examples/expected-failures.json and record its expected-output.txt`);
    assert.equal(result.scenario, 1, formatComparison(result, 12, (performance.now() - t0) / 1000));
  });

  const outFile = join(ex.dir, 'expected-output.txt');
  if (reason) {
    test(`example ${name}: no expected-output.txt while it differs from the kernel`, () => {
      assert.ok(!existsSync(outFile), `examples/${name}/expected-output.txt pins the output of a replay that does not match the kernel`);
    });
  } else {
    test(`example ${name}: expected-output.txt is what ctkit replay prints`, () => {
      assert.ok(existsSync(outFile), `examples/${name}/expected-output.txt is missing (scripts/examples/update-expected-output.sh)`);
      const { stdout, error } = cliOutput(ex);
      assert.equal(error, null, `ctkit replay failed: ${error}`);
      assert.equal(stdout, readFileSync(outFile, 'utf8'));
    });
  }
}
