/**
 * `npm run conformance:record`: records scenarios through the real Linux kernel (root only; private
 * network namespaces, nothing leaves them) into conformance fixtures, in the shared corpus's
 * format, so that `npm test` / `npm run conformance` compare the replay engine with them.
 *
 *   record.ts FILE.ts|FILE.json ... [--only NAME] [-o ROOT]    scenarios defined in files
 *   record.ts --pcap CAP (--iptables R | --ip6tables R6 | --nft R) [--ipset S] [--sysctl K=V ...] [--ipv6] --name NAME [-o ROOT]
 *   record.ts --rerecord DIR ... [-o ROOT]                      replay a scenario directory again
 *   options: --runs N (default 2: the second run finds nondeterministic fields, masked in meta.json)
 *            --quiet-ms MS (default 8)  --max-ms MS (default 400)  --list
 *
 * ROOT defaults to test/fixtures/conformance; each scenario goes to ROOT/<name>/. Needs iptables
 * (nf_tables backend; ip6tables for rules.v6, ipset for ipset.save), nft, conntrack, ethtool, iproute2 and /usr/bin/python3 (standard library).
 * Namespaces are ${CKR_PREFIX:-ckr}_router/_client/_server/_wan. A scenario setting
 * net.netfilter.nf_conntrack_max needs CKR_ALLOW_GLOBAL_CT_MAX=1 (see lib/topology.ts). CKR_DEBUG=1
 * prints the raw nft trace lines of every packet.
 */

import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

import { fixturesDir, repoRoot } from './lib/corpus.js';
import { record } from './lib/recording.js';
import { loadScenarioFile, scenarioFromCapture, scenarioFromDir, validate, type ScenarioSpec } from './lib/scenario.js';
import { teardown } from './lib/topology.js';

interface Options {
  files: string[];
  only: string[];
  out: string;
  runs: number;
  quietMs: number;
  maxMs: number;
  pcap?: string;
  iptables?: string;
  ip6tables?: string;
  ipset?: string;
  nft?: string;
  sysctls: Record<string, number | string>;
  ipv6: boolean;
  name?: string;
  rerecord: boolean;
  list: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { files: [], only: [], out: fixturesDir(), runs: 2, quietMs: 8, maxMs: 400, sysctls: {}, ipv6: false, rerecord: false, list: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const val = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '-o' || a === '--out') o.out = val();
    else if (a === '--only') o.only.push(...val().split(','));
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--quiet-ms') o.quietMs = Number(val());
    else if (a === '--max-ms') o.maxMs = Number(val());
    else if (a === '--pcap') o.pcap = val();
    else if (a === '--iptables') o.iptables = val();
    else if (a === '--nft') o.nft = val();
    else if (a === '--ip6tables') o.ip6tables = val();
    else if (a === '--ipset') o.ipset = val();
    else if (a === '--ipv6') o.ipv6 = true;
    else if (a === '--name') o.name = val();
    else if (a === '--rerecord') o.rerecord = true;
    else if (a === '--list') o.list = true;
    else if (a === '--sysctl') {
      const [key, v] = val().split('=', 2) as [string, string];
      o.sysctls[key] = /^-?\d+$/.test(v) ? Number(v) : v;
    } else if (a === '-h' || a === '--help') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else o.files.push(a);
  }
  return o;
}

/** The scenarios the command line asks for. */
async function scenarios(o: Options): Promise<ScenarioSpec[]> {
  if (o.pcap) {
    if (!o.name) throw new Error('--pcap needs --name');
    const sc = scenarioFromCapture(o.pcap, {
      name: o.name,
      description: `capture ${basename(o.pcap)}`,
      iptables: o.iptables ? readFileSync(o.iptables, 'utf8') : undefined,
      ip6tables: o.ip6tables ? readFileSync(o.ip6tables, 'utf8') : undefined,
      ipset: o.ipset ? readFileSync(o.ipset, 'utf8') : undefined,
      nft: o.nft ? readFileSync(o.nft, 'utf8') : undefined,
      sysctls: o.sysctls,
      ipv6: o.ipv6,
      source: o.pcap,
    });
    validate(sc);
    return [sc];
  }
  if (o.rerecord) return o.files.map(scenarioFromDir);
  const all: ScenarioSpec[] = [];
  for (const f of o.files) {
    const list = await loadScenarioFile(f);
    for (const sc of list) sc.source = relative(repoRoot(), f);
    all.push(...list);
  }
  const names = new Set<string>();
  for (const sc of all) {
    if (names.has(sc.name)) throw new Error(`scenario name ${sc.name} is defined twice`);
    names.add(sc.name);
  }
  return o.only.length ? all.filter((sc) => o.only.some((x) => sc.name.includes(x))) : all;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const list = await scenarios(o);
  if (o.list) {
    for (const sc of list) console.log(`${sc.name.padEnd(28)} ${sc.steps.length} steps  ${sc.description}`);
    return;
  }
  if (!list.length) throw new Error('no scenarios selected');
  if (process.getuid?.() !== 0) throw new Error('recording needs root (network namespaces)');
  const t0 = performance.now();
  const failed: string[] = [];
  let warned = 0;
  for (const sc of list) {
    try {
      const w = await record(sc, join(o.out, sc.name), o.runs, { quietMs: o.quietMs, maxMs: o.maxMs, log: (s) => console.log(s) });
      if (w.length) warned++;
    } catch (e) {
      failed.push(sc.name);
      console.error(`${sc.name}: FAILED: ${(e as Error).message}`);
    }
  }
  console.log(`recorded ${list.length - failed.length}/${list.length} scenario(s) into ${o.out} in ${((performance.now() - t0) / 1000).toFixed(1)}s; ${warned} with warnings${failed.length ? `; failed: ${failed.join(' ')}` : ''}`);
  process.exit(failed.length ? 1 : 0);
}

process.on('SIGINT', () => {
  teardown();
  process.exit(130);
});

main().catch((e: unknown) => {
  console.error((e as Error).message);
  teardown();
  process.exit(2);
});
