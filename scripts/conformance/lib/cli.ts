/**
 * Runs the `ctkit replay` command line on a scenario exactly as the shared corpus's
 * tools/compare.py does, and scores its output files:
 *
 *   CMD replay DIR/capture.pcapng --host DIR/host.json (--iptables DIR/rules.v4 | --nft DIR/rules.nft)
 *       [--ip6tables DIR/rules.v6] [--ipset DIR/ipset.save]
 *       --jsonl TMP/out.jsonl --conntrack TMP/conntrack.txt --expect TMP/expect.txt
 *
 * (a directory holding several rulesets passes each of them, which the contract allows; rules.v6 and
 * ipset.save are this project's extensions, which compare.py does not pass).
 *
 * A non-zero exit status, a timeout or missing output files are reported as such and score 0.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { compareScenario, parseJsonl, tableLines, type ComparisonResult } from '../../../src/conformance/compare.js';
import type { ActualResult } from '../../../src/conformance/types.js';
import type { Scenario } from './corpus.js';

/** Splits a command line on blanks, honouring simple single and double quotes. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(cmd); m; m = re.exec(cmd)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** The argument vector compare.py uses for one scenario. */
export function replayArgv(cmd: string, sc: Scenario, tmp: string): string[] {
  const rules = [
    ...(sc.iptables !== undefined || (sc.nft === undefined && sc.ip6tables === undefined) ? ['--iptables', join(sc.dir, 'rules.v4')] : []),
    ...(sc.ip6tables !== undefined ? ['--ip6tables', join(sc.dir, 'rules.v6')] : []),
    ...(sc.nft !== undefined ? ['--nft', join(sc.dir, 'rules.nft')] : []),
    ...(sc.ipset !== undefined ? ['--ipset', join(sc.dir, 'ipset.save')] : []),
  ];
  return [
    ...splitCommand(cmd),
    'replay',
    sc.capturePath,
    '--host',
    join(sc.dir, 'host.json'),
    ...rules,
    '--jsonl',
    join(tmp, 'out.jsonl'),
    '--conntrack',
    join(tmp, 'conntrack.txt'),
    '--expect',
    join(tmp, 'expect.txt'),
  ];
}

/** Runs argv; resolves with the exit status (null on timeout / spawn failure) and its stderr+stdout. */
function run(argv: string[], timeoutS: number): Promise<{ rc: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ rc: null, text: `could not run ${argv[0]}: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ rc: null, text: `timed out after ${timeoutS}s` });
      else resolve({ rc: code, text: err + (code ? out : '') });
    });
  });
}

/** The replay's output files as a result (null for the files it did not write). */
function readOutputs(tmp: string): ActualResult {
  const jl = join(tmp, 'out.jsonl');
  const read = (f: string): string[] | null => (existsSync(join(tmp, f)) ? tableLines(readFileSync(join(tmp, f), 'utf8')) : null);
  if (!existsSync(jl)) return { packets: null, conntrack: read('conntrack.txt'), expect: read('expect.txt'), readProblems: [`no --jsonl output (${jl} missing)`] };
  const { packets, problems } = parseJsonl(readFileSync(jl, 'utf8'));
  return { packets, conntrack: read('conntrack.txt'), expect: read('expect.txt'), readProblems: problems };
}

/** Runs the CLI on one scenario and scores it. */
export async function runCliScenario(cmd: string, sc: Scenario, timeoutS: number): Promise<{ result: ComparisonResult; seconds: number }> {
  const tmp = mkdtempSync(join(tmpdir(), 'ctkit-conformance-'));
  const t0 = performance.now();
  const { rc, text } = await run(replayArgv(cmd, sc, tmp), timeoutS);
  const seconds = (performance.now() - t0) / 1000;
  const actual = readOutputs(tmp);
  if (rc !== 0) {
    const lines = text.trim().split('\n').slice(-3).join(' | ') || '(no output)';
    actual.error = rc === null ? `ctkit failed: ${lines}` : `ctkit exited with status ${rc}: ${lines}`;
  }
  rmSync(tmp, { recursive: true, force: true });
  return { result: compareScenario(sc.kernel, sc.meta, actual, sc.name), seconds };
}
