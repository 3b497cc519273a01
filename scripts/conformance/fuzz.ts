/**
 * `npm run conformance:fuzz`: the differential fuzzer. Seeded random scenarios (lib/fuzz-gen.ts:
 * a realistic ruleset and sysctls, TCP with loss, reordering, retransmissions, odd flags, RSTs,
 * window scaling; UDP; ICMP echo and errors; NAT; junk) are recorded through the real kernel
 * (root; namespaces ckf_*, one recording at a time under /tmp/ctkit-record.lock) and replayed
 * through ctkit; the first divergence of a scenario is confirmed by a second recording, minimised
 * (delta debugging over steps, rules, policies and sysctls, every candidate re-recorded) and saved
 * as a fixture r_fuzz_<seed>_<n> with a spec entry in scripts/conformance/scenarios/fuzz_found.ts
 * and a reason in expected-failures.json. Some agreeing scenarios are kept as fixtures
 * r_fuzz_ok_<seed> (--keep-agreeing), chosen for the feature tags they add.
 *
 *   fuzz.ts [--seed S] [--count N | --minutes M] [--out DIR] [--keep-agreeing K]
 *           [--max-packets N] [--max-findings N] [--budget N] [--min-minutes M] [--no-minimise]
 *           [--runs N] [--log-dir DIR] [--engine worktree|snapshot|head|DIR]
 *   fuzz.ts --print [--seed S] [--count N]        the scenarios, without recording (no root)
 *   fuzz.ts --adopt DIR [--force]                 copy a fuzz output directory into the repository
 *
 * --seed is the first scenario's seed (default: from the clock, printed); scenario k has seed S+k,
 * so `--seed X --count 1` regenerates scenario X. --out defaults to test/fixtures/conformance (the
 * spec entries then go to scripts/conformance/scenarios/fuzz_found.ts and the reasons to the
 * repository's expected-failures.json); any other DIR gets DIR/fuzz_found.ts and
 * DIR/expected-failures.json, for --adopt later. Signatures of divergences already saved in DIR
 * (meta.json `fuzz.signature`) are not minimised again. Progress: LOG_DIR/progress.log (default
 * /tmp/fuzz), every divergence in LOG_DIR/divergences.jsonl, a report per finding in
 * LOG_DIR/findings/. The engine: default the checkout's src/; --engine snapshot copies it first
 * (LOG_DIR/engine/worktree-<time>/src), so that a long run is not disturbed by later edits; head:
 * the last commit's src/ (git archive); DIR: a src/ directory elsewhere. The engine is checked
 * against the fixture corpus at the start (logged: fixtures failing beyond expected-failures.json).
 */

import './lib/fuzz-env.js';

import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { formatComparison } from '../../src/conformance/compare.js';
import { expectedFailuresPath, fixturesDir, loadReplay, repoRoot, type ReplayModule } from './lib/corpus.js';
import { generate, packetCount, toSpec, type FuzzScenario } from './lib/fuzz-gen.js';
import { checkEngine, judge, loadReplayFrom, minimise, seriousWarnings, snapshotHead, snapshotWorktree, type Judged } from './lib/fuzz-run.js';
import { adopt, upsertExpected, upsertFound } from './lib/fuzz-save.js';
import { dumpDelayArtifact } from './lib/fuzz-min.js';
import { teardown } from './lib/topology.js';

interface Options {
  seed: number;
  count: number | null;
  minutes: number | null;
  out: string;
  keep: number;
  maxPackets: number;
  maxFindings: number;
  budget: number;
  minMinutes: number;
  minimise: boolean;
  runs: number;
  logDir: string;
  print: boolean;
  engine: string;
  adopt: string | null;
  force: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seed: Math.floor(Date.now() / 1000) % 1_000_000_000,
    count: null,
    minutes: null,
    out: fixturesDir(),
    keep: 0,
    maxPackets: 40,
    maxFindings: 30,
    budget: 120,
    minMinutes: 20,
    minimise: true,
    runs: 2,
    logDir: '/tmp/fuzz',
    print: false,
    engine: 'worktree',
    adopt: null,
    force: false,
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const val = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = val();
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a}: expected a non-negative number, got ${JSON.stringify(v)}`);
      return n;
    };
    if (a === '--seed') o.seed = Math.floor(num());
    else if (a === '--count') o.count = Math.floor(num());
    else if (a === '--minutes') o.minutes = num();
    else if (a === '--out') o.out = resolve(val());
    else if (a === '--keep-agreeing') o.keep = Math.floor(num());
    else if (a === '--max-packets') o.maxPackets = Math.max(1, Math.floor(num()));
    else if (a === '--max-findings') o.maxFindings = Math.floor(num());
    else if (a === '--budget') o.budget = Math.floor(num());
    else if (a === '--min-minutes') o.minMinutes = num();
    else if (a === '--no-minimise') o.minimise = false;
    else if (a === '--runs') o.runs = Math.max(1, Math.floor(num()));
    else if (a === '--log-dir') o.logDir = resolve(val());
    else if (a === '--print') o.print = true;
    else if (a === '--engine') o.engine = val();
    else if (a === '--adopt') o.adopt = resolve(val());
    else if (a === '--force') o.force = true;
    else if (a === '-h' || a === '--help') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (o.count === null && o.minutes === null) o.count = 1;
  return o;
}

/** Where the spec entries and reasons of findings go for an output directory. */
function targets(out: string): { found: string; expected: string; inRepo: boolean } {
  const inRepo = resolve(out) === resolve(fixturesDir());
  return inRepo
    ? { found: join(repoRoot(), 'scripts', 'conformance', 'scenarios', 'fuzz_found.ts'), expected: expectedFailuresPath(), inRepo }
    : { found: join(out, 'fuzz_found.ts'), expected: join(out, 'expected-failures.json'), inRepo };
}

/** Feature tags without values (a sysctl counts once, whatever its value). */
const tagKey = (t: string): string => t.replace(/=.*/, '');

/** What earlier runs left in the output directory: finding signatures, kept scenarios' tags. */
function scanOut(out: string): { signatures: Set<string>; covered: Set<string>; kept: number; findings: Map<number, number> } {
  const signatures = new Set<string>();
  const covered = new Set<string>();
  const findings = new Map<number, number>();
  let kept = 0;
  if (!existsSync(out)) return { signatures, covered, kept, findings };
  for (const n of readdirSync(out)) {
    if (!n.startsWith('r_fuzz_')) continue;
    const mp = join(out, n, 'meta.json');
    if (!existsSync(mp)) continue;
    const meta = JSON.parse(readFileSync(mp, 'utf8')) as { tags?: string[]; fuzz?: { signature?: string; seed?: number } };
    if (n.startsWith('r_fuzz_ok_')) {
      kept++;
      for (const t of meta.tags ?? []) covered.add(tagKey(t));
    } else {
      if (meta.fuzz?.signature) signatures.add(meta.fuzz.signature);
      const m = /^r_fuzz_(\d+)_(\d+)$/.exec(n);
      if (m) findings.set(Number(m[1]), Math.max(findings.get(Number(m[1])) ?? 0, Number(m[2])));
    }
  }
  return { signatures, covered, kept, findings };
}

/** Adds the fuzzer's facts to a recorded fixture's meta.json. */
function stampMeta(dir: string, fuzz: Record<string, unknown>): void {
  const p = join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  meta['fuzz'] = fuzz;
  writeFileSync(p, JSON.stringify(meta, null, 1) + '\n');
}

/** A scenario listed step by step (for --print and the finding reports). */
function listing(fs: FuzzScenario): string {
  const spec = toSpec(fs);
  const l = [`${fs.name}: ${packetCount(fs)} packets`, fs.description, `tags: ${fs.tags.join(' ')}`];
  if (spec.iptables) l.push('--- rules.v4', spec.iptables.trimEnd());
  if (spec.nft) l.push('--- rules.nft', spec.nft.trimEnd());
  if (Object.keys(fs.sysctls).length) l.push(`--- sysctls ${Object.entries(fs.sysctls).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  l.push('--- steps');
  let i = 0;
  for (const s of fs.steps) l.push(s.sleep !== undefined ? `      sleep ${s.sleep}s` : `  #${String(i++).padEnd(3)} ${(s.iface ?? 'local').padEnd(6)} ${s.flow} ${s.kind}`);
  return l.join('\n');
}

class Fuzzer {
  private readonly t0 = Date.now();
  private readonly progress: string;
  private readonly tgt: ReturnType<typeof targets>;
  private readonly known: Set<string>;
  private readonly flaky = new Set<string>();
  private readonly covered: Set<string>;
  private readonly findingsPerSeed: Map<number, number>;
  private kept: number;
  private keptNow = 0;
  private stats = { scenarios: 0, packets: 0, agree: 0, diverge: 0, errors: 0, findings: 0, known: 0, flaky: 0 };
  private readonly signatures = new Map<string, number>();

  constructor(
    private readonly o: Options,
    private readonly replay: ReplayModule,
  ) {
    mkdirSync(o.logDir, { recursive: true });
    mkdirSync(join(o.logDir, 'findings'), { recursive: true });
    mkdirSync(o.out, { recursive: true });
    this.progress = join(o.logDir, 'progress.log');
    this.tgt = targets(o.out);
    const s = scanOut(o.out);
    this.known = s.signatures;
    this.covered = s.covered;
    this.kept = s.kept;
    this.findingsPerSeed = s.findings;
  }

  log(s: string): void {
    const line = `${new Date().toISOString().slice(0, 19)} ${s}`;
    console.log(line);
    appendFileSync(this.progress, line + '\n');
  }

  private elapsedMin(): number {
    return (Date.now() - this.t0) / 60000;
  }

  private summary(): string {
    const st = this.stats;
    return `after ${st.scenarios} scenarios (${st.packets} packets, ${this.elapsedMin().toFixed(1)} min): agree ${st.agree}, diverge ${st.diverge} (${this.signatures.size} distinct), errors ${st.errors}; findings saved ${st.findings}, known ${st.known}, flaky ${st.flaky}; agreeing kept ${this.keptNow}`;
  }

  async run(): Promise<void> {
    const o = this.o;
    this.log(`fuzz start: seed ${o.seed}, ${o.count !== null ? `${o.count} scenario(s)` : `${o.minutes} minute(s)`}, out ${o.out}, keep-agreeing ${o.keep}, max ${o.maxPackets} packets, prefix ${process.env['CKR_PREFIX']}`);
    for (let k = 0; ; k++) {
      if (o.count !== null && k >= o.count) break;
      if (o.minutes !== null && this.elapsedMin() >= o.minutes) break;
      await this.one(o.seed + k);
      if ((k + 1) % 10 === 0) this.log(this.summary());
    }
    this.log(`fuzz done: ${this.summary()}`);
    this.log(`signatures seen: ${[...this.signatures.entries()].map(([s, n]) => `\n   ${n}x ${s}`).join('')}`);
  }

  private async one(seed: number): Promise<void> {
    const o = this.o;
    const work = join(o.logDir, 'work');
    mkdirSync(work, { recursive: true });
    const fs = generate(seed, { maxPackets: o.maxPackets });
    let j: Judged;
    try {
      j = await judge(fs, join(work, fs.name), { replay: this.replay, runs: o.runs }, `npm run conformance:fuzz -- --seed ${seed} --count 1 (scripts/conformance/lib/fuzz-gen.ts)`);
    } catch (e) {
      this.stats.errors++;
      this.log(`seed ${seed}: ERROR recording: ${(e as Error).message.split('\n').slice(0, 3).join(' | ')}`);
      return;
    }
    this.stats.scenarios++;
    this.stats.packets += j.kernel.packets.length;
    const serious = seriousWarnings(j.warnings);
    if (!j.divergence) {
      this.stats.agree++;
      if (dumpDelayArtifact(j.result)) {
        this.log(`seed ${seed}: agree but for entries expiring between the last packet and the kernel's final listing (not kept)`);
        rmSync(j.dir, { recursive: true, force: true });
        return;
      }
      const kept = this.maybeKeep(seed, j, serious);
      this.log(`seed ${seed}: agree, ${j.kernel.packets.length} packets, ${j.seconds.toFixed(1)}s${serious.length ? ` (recorder warnings: ${serious.join('; ').slice(0, 200)})` : ''}${kept ? ` -> kept as ${kept}` : ''}`);
      rmSync(j.dir, { recursive: true, force: true });
      return;
    }
    this.stats.diverge++;
    const d = j.divergence;
    this.signatures.set(d.signature, (this.signatures.get(d.signature) ?? 0) + 1);
    appendFileSync(join(o.logDir, 'divergences.jsonl'), JSON.stringify({ seed, packets: j.kernel.packets.length, i: d.i, note: d.note, signature: d.signature, message: d.message, problems: j.result.problems.slice(0, 6), warnings: serious }) + '\n');
    this.log(`seed ${seed}: DIVERGE at #${d.i ?? '-'} (${d.note || d.fields.join(',')}): ${d.message.slice(0, 200)}`);
    this.log(`   signature: ${d.signature}`);
    try {
      await this.handleDivergence(seed, fs, j, serious);
    } catch (e) {
      this.stats.errors++;
      this.log(`seed ${seed}: ERROR while handling the divergence: ${(e as Error).message.split('\n').slice(0, 3).join(' | ')}`);
    }
    rmSync(j.dir, { recursive: true, force: true });
  }

  private maybeKeep(seed: number, j: Judged, serious: string[]): string | null {
    const o = this.o;
    if (this.keptNow >= o.keep || serious.length || j.kernel.packets.length > 40) return null;
    const tags = (j.meta.tags ?? []).map(tagKey);
    const fresh = tags.filter((t) => !this.covered.has(t));
    if (!fresh.length) return null;
    const name = `r_fuzz_ok_${seed}`;
    const dst = join(o.out, name);
    if (existsSync(dst)) return null;
    cpSync(j.dir, dst, { recursive: true });
    stampMeta(dst, { seed, generator: 'scripts/conformance/lib/fuzz-gen.ts', regenerate: `npm run conformance:fuzz -- --seed ${seed} --count 1`, new_tags: fresh });
    for (const t of tags) this.covered.add(t);
    this.keptNow++;
    this.kept++;
    return `${name} (new tags: ${fresh.join(' ')})`;
  }

  private async handleDivergence(seed: number, fs: FuzzScenario, j: Judged, serious: string[]): Promise<void> {
    const o = this.o;
    const d = j.divergence!;
    if (serious.length) {
      this.log(`   not minimised: the recording has warnings (${serious.join('; ').slice(0, 200)})`);
      return;
    }
    if (this.known.has(d.signature)) {
      this.stats.known++;
      this.log('   known signature: not minimised again');
      return;
    }
    if (this.flaky.has(d.signature)) {
      this.log('   signature seen flaky before: not minimised');
      return;
    }
    if (this.stats.findings >= o.maxFindings) {
      this.log(`   --max-findings ${o.maxFindings} reached: not minimised`);
      return;
    }
    // confirm with a fresh recording (kernel timing can differ from run to run)
    const again = await judge(fs, join(o.logDir, 'work', `${fs.name}_confirm`), { replay: this.replay, runs: o.runs });
    rmSync(again.dir, { recursive: true, force: true });
    if (again.divergence?.signature !== d.signature) {
      this.stats.flaky++;
      this.flaky.add(d.signature);
      this.log(`   not reproduced by a second recording (${again.divergence ? again.divergence.signature : 'agrees'}): flaky, skipped`);
      return;
    }
    const n = (this.findingsPerSeed.get(seed) ?? 0) + 1;
    const name = `r_fuzz_${seed}_${n}`;
    let min = fs;
    if (o.minimise) {
      const remaining = o.minutes === null ? Infinity : Math.max(3, o.minutes - this.elapsedMin());
      this.log(`   minimising ${packetCount(fs)} packets, ${fs.ruleset.rules.length} rules, ${Object.keys(fs.sysctls).length} sysctls (budget ${o.budget} recordings)`);
      const m = await minimise(fs, d.signature, {
        replay: this.replay,
        runs: o.runs,
        budget: o.budget,
        workDir: join(o.logDir, 'work'),
        maxSeconds: Math.min(o.minMinutes, remaining) * 60,
        log: (s) => this.log(s),
      });
      min = m.scenario;
      this.log(`   minimised to ${packetCount(min)} packets, ${min.ruleset.rules.length} rules, ${Object.keys(min.sysctls).length} sysctls in ${m.tests} recordings, ${m.seconds.toFixed(0)}s`);
    }
    const final: FuzzScenario = { ...min, name, description: '' };
    const source = this.tgt.inRepo ? 'scripts/conformance/scenarios/fuzz_found.ts' : join(o.out, 'fuzz_found.ts');
    let saved: Judged | null = null;
    for (let attempt = 0; attempt < 2 && !saved; attempt++) {
      final.description = `fuzz finding (seed ${seed}, minimised from ${packetCount(fs)} packets): ${d.message.slice(0, 300)}`;
      const r = await judge(final, join(o.out, name), { replay: this.replay, runs: o.runs }, source);
      if (r.divergence?.signature === d.signature && !seriousWarnings(r.warnings).length) saved = r;
      else this.log(`   final recording of ${name} ${r.divergence ? `diverges differently: ${r.divergence.signature}` : 'agrees'}${attempt ? '' : ', recording again'}`);
    }
    if (!saved) {
      rmSync(join(o.out, name), { recursive: true, force: true });
      this.log(`   ${name} not saved: the minimised scenario does not reproduce reliably`);
      return;
    }
    const fd = saved.divergence!;
    stampMeta(saved.dir, { seed, signature: d.signature, original_packets: packetCount(fs), generator: 'scripts/conformance/lib/fuzz-gen.ts' });
    const spec = toSpec({ ...final, description: `fuzz finding (seed ${seed}, minimised from ${packetCount(fs)} packets): ${fd.message.slice(0, 300)}` });
    upsertFound(this.tgt.found, spec, [`signature: ${d.signature}`, `first divergence: ${fd.message.slice(0, 200)}`]);
    upsertExpected(this.tgt.expected, { [name]: `fuzz: ${fd.message}`.slice(0, 240) });
    this.findingsPerSeed.set(seed, n);
    this.known.add(d.signature);
    this.stats.findings++;
    const report = [
      `finding ${name} (seed ${seed})`,
      `signature: ${d.signature}`,
      '',
      '=== original scenario',
      listing(fs),
      '',
      formatComparison(j.result, 12),
      '',
      '=== minimised scenario',
      listing(final),
      '',
      formatComparison(saved.result, 12),
    ].join('\n');
    writeFileSync(join(o.logDir, 'findings', `${name}.txt`), report + '\n');
    this.log(`   saved ${name}: ${saved.dir} (${packetCount(final)} packets), spec in ${this.tgt.found}, reason in ${this.tgt.expected}`);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.adopt) {
    const t = targets(fixturesDir());
    adopt(o.adopt, { fixtures: fixturesDir(), expected: t.expected, found: t.found }, o.force, (s) => console.log(s));
    return;
  }
  if (o.print) {
    for (let k = 0; k < (o.count ?? 1); k++) console.log(listing(generate(o.seed + k, { maxPackets: o.maxPackets })) + '\n');
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('fuzzing records through the kernel and needs root (network namespaces); --print works without');
  let module: ReplayModule;
  if (o.engine === 'worktree') {
    const replay = await loadReplay();
    if (!replay.ok) throw new Error(`cannot replay: ${replay.reason}`);
    module = replay.module;
  } else {
    const root = join(o.logDir, 'engine');
    const src = o.engine === 'head' ? snapshotHead(root) : o.engine === 'snapshot' ? snapshotWorktree(root, new Date().toISOString().replace(/[:.]/g, '-')) : resolve(o.engine);
    module = await loadReplayFrom(src);
    console.log(`engine: ${src}`);
  }
  const f = new Fuzzer(o, module);
  const chk = checkEngine(module);
  f.log(`engine check: ${chk.pass}/${chk.total} fixtures agree${chk.unexpected.length ? `; failing but not in expected-failures.json: ${chk.unexpected.join(' ')}` : ''}`);
  await f.run();
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    teardown();
    process.exit(130);
  });
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  teardown();
  process.exit(2);
});
