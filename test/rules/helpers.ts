/**
 * Test helpers for the rule front end: packet contexts built from the packet builder's bytes, a
 * fake connection, and one-rule rulesets.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CtHandle, CtTupleLike, PacketContext } from '../../src/netfilter/context.js';
import { Hook } from '../../src/netfilter/context.js';
import { decodeFrame, decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { parseIptables, type LoadOptions } from '../../src/rules/parse.js';
import type { Match, Rule, Ruleset, Target } from '../../src/rules/model.js';

export const T0 = 1700000000;

/** The repository root (holding package.json), whether the tests run from test/ or dist-test/test/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

/** This area's fixture files (test/rules/fixtures). */
export const RULES_FIXTURES = join(repoRoot(), 'test', 'rules', 'fixtures');

/**
 * The kernel conformance corpus directories present: the repository's copy (whose kernel.json
 * keeps no final tables) and the full recordings when they are around.
 */
export const CORPUS_DIRS = [join(repoRoot(), 'test', 'fixtures', 'conformance'), join(process.cwd(), '..', 'shared', 'conformance', 'scenarios')].filter((d) => existsSync(d));

/** A context for an IP packet (or a frame of `linktype`). */
export function ctxFor(bytes: Uint8Array, over: Partial<PacketContext> = {}, linktype?: number): PacketContext {
  const pkt = linktype === undefined ? decodeIp(new PacketView(), bytes) : decodeFrame(new PacketView(), bytes, linktype);
  return {
    pkt,
    family: pkt.family === 6 ? 6 : 4,
    hook: Hook.FORWARD,
    iif: 'r_cli',
    oif: 'r_wan',
    mark: 0,
    now: T0,
    ct: null,
    ctState: 8,
    ctDir: 0,
    notrack: false,
    ctHelper: null,
    ctZone: 0,
    log: [],
    ...over,
  };
}

export function tuple(family: 4 | 6, proto: number, src: number[], dst: number[], sport: number, dport: number): CtTupleLike {
  return { family, proto, src: Uint32Array.from(src.concat([0, 0, 0]).slice(0, 4)), dst: Uint32Array.from(dst.concat([0, 0, 0]).slice(0, 4)), sport, dport };
}

/** A connection for tests: tuples, status, mark, state name, expiry. */
export function fakeCt(over: Partial<CtHandle> & { state?: string } = {}): CtHandle {
  const orig = over.orig ?? tuple(4, 6, [0x0a000164], [0x0a000264], 40000, 80);
  const reply = over.reply ?? tuple(4, 6, [0x0a000264], [0x0a000164], 80, 40000);
  const state = over.state ?? 'ESTABLISHED';
  return {
    orig,
    reply,
    status: over.status ?? 0,
    mark: over.mark ?? 0,
    labels: new Uint32Array(4),
    zone: over.zone ?? 0,
    zoneOf: (dir: 0 | 1) => (over.zoneOf ? over.zoneOf(dir) : (over.zone ?? 0)),
    helperName: over.helperName ?? null,
    expiresAt: over.expiresAt ?? T0 + 100,
    master: over.master ?? null,
    protoStateName: () => state,
  };
}

/** Parses a one-table ruleset. */
export function rules(text: string, opts: LoadOptions = {}): Ruleset {
  return parseIptables(text, { file: 'test.rules', ...opts });
}

/** The first rule of `chain` in `table` of a filter-style ruleset made from rule lines. */
export function ruleOf(lines: string, table = 'filter', chain = 'INPUT', family: 4 | 6 = 4): Rule {
  const heads: Record<string, string> = {
    filter: ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
    mangle: ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]',
    nat: ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]',
    raw: ':PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
  };
  const rs = rules(`*${table}\n${heads[table]}\n${lines}\nCOMMIT\n`, { family });
  return rs.chain(family, table as 'filter', chain)!.rules[0]!;
}

/** The single match of a one-match rule. */
export function matchOf(spec: string, family: 4 | 6 = 4, chain = 'INPUT', table = 'filter'): Match {
  const r = ruleOf(`-A ${chain} ${spec}`, table, chain, family);
  return r.matches[r.matches.length - 1]!;
}

/** The target of a one-rule chain. */
export function targetOf(spec: string, table = 'filter', chain = 'INPUT', family: 4 | 6 = 4): Target {
  return ruleOf(`-A ${chain} ${spec}`, table, chain, family).target!;
}

/** Whether a rule's fixed selectors and matches all accept the context. */
export function ruleMatches(rule: Rule, ctx: PacketContext): boolean {
  if (rule.ip !== null && !rule.ip.match(ctx)) return false;
  return rule.matches.every((m) => m.match(ctx));
}
