/**
 * `ctkit diff CAPTURE --host HOST.json --iptables OLD.v4 --iptables NEW.v4 [--nft OLD --nft NEW]
 *  [--ip6tables ...] [--sysctl N=V ...] [--in IFACE] [--seed N] [--quiet]`
 *
 * Replays the capture through two rulesets side by side (one pass over the capture, streamed) and
 * reports the packets whose verdict, sent packets (NAT output, answers), conntrack state or
 * events change, with the first rule that differs, then a summary. Exit status 0 when nothing
 * changes, 1 when something does (as diff), 2 for bad input.
 *
 * Which ruleset is "before" and which "after": a ruleset option given twice is before, then
 * after; one given once, next to another given twice, is on both sides; two different options
 * given once each (--iptables OLD.v4 --nft NEW.nft) are before and after in that order.
 */
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { CaptureReader } from '../capture/reader.js';
import type { CapturedPacket } from '../capture/record.js';
import { comparePacket, DiffSummary, iptablesRuleTexts } from '../ctcli/diff.js';
import { decodeFrame } from '../packet/decode.js';
import { summarize } from '../packet/summary.js';
import { PacketView } from '../packet/view.js';
import { Replayer, type ReplayOptions } from '../replay/replay.js';
import { CliError, runAction } from './errors.js';
import { fileChunks, Output } from './io.js';

type Kind = 'iptables' | 'ip6tables' | 'nft';

interface DiffCliOptions {
  host: string;
  sysctl: string[];
  in?: string;
  seed?: string;
  quiet?: boolean;
}

/** One side's ruleset files. */
type Side = Partial<Record<Kind, string>>;

export function registerDiff(program: Command): void {
  const given: Array<{ kind: Kind; file: string }> = [];
  const note = (kind: Kind) => (file: string): string => {
    given.push({ kind, file });
    return file;
  };
  program
    .command('diff')
    .description('replay a capture through two rulesets and report the packets whose verdict, NAT output or conntrack state changes')
    .argument('<capture>', 'pcap or pcapng file')
    .requiredOption('--host <file>', 'HOST.json: interfaces, addresses, routes, sysctls')
    .option('--iptables <file>', 'iptables-save text; twice: before, then after', note('iptables'))
    .option('--ip6tables <file>', 'ip6tables-save text; twice: before, then after', note('ip6tables'))
    .option('--nft <file>', 'nft -f text; twice: before, then after', note('nft'))
    .option('--sysctl <name=value...>', 'override a sysctl (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--in <iface>', 'ingress interface for captures that name none (classic pcap)')
    .option('--seed <n>', 'seed for hashing and random choices, the same on both sides (default: random)')
    .option('-q, --quiet', 'only the summary')
    .action(runAction(async (capture: string, options: DiffCliOptions) => {
      const changed = await diffFile(capture, options, pairSides(given), new Output());
      process.exitCode = changed ? 1 : 0;
    }));
}

/** Before and after from the ruleset options, in the order they were given. */
export function pairSides(given: ReadonlyArray<{ kind: Kind; file: string }>): { before: Side; after: Side } {
  const before: Side = {};
  const after: Side = {};
  const byKind = new Map<Kind, string[]>();
  for (const g of given) byKind.set(g.kind, [...(byKind.get(g.kind) ?? []), g.file]);
  for (const [kind, files] of byKind) {
    if (files.length > 2) throw new CliError(`--${kind} given ${files.length} times: give it once (both sides) or twice (before, then after)`);
  }
  const twice = [...byKind.values()].some((files) => files.length === 2);
  if (!twice && given.length === 2) {
    before[given[0]!.kind] = given[0]!.file;
    after[given[1]!.kind] = given[1]!.file;
    return { before, after };
  }
  if (!twice) throw new CliError('give a ruleset option twice (--iptables OLD.v4 --iptables NEW.v4), or two different ones once each (--iptables OLD.v4 --nft NEW.nft)');
  for (const [kind, files] of byKind) {
    before[kind] = files[0]!;
    after[kind] = files[files.length - 1]!;
  }
  return { before, after };
}

function parseSysctls(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new CliError(`--sysctl ${JSON.stringify(s)}: expected NAME=VALUE`);
    out[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
  }
  return out;
}

function replayer(side: Side, o: DiffCliOptions, hostText: string, capture: string, seed: number): Replayer {
  const read = (k: Kind): string | undefined => (side[k] !== undefined ? readFileSync(side[k]!, 'utf8') : undefined);
  const opts: ReplayOptions = {
    host: hostText,
    iptables: read('iptables'),
    ip6tables: read('ip6tables'),
    nft: read('nft'),
    sysctl: parseSysctls(o.sysctl),
    files: { host: o.host, iptables: side.iptables, ip6tables: side.ip6tables, nft: side.nft, capture },
    defaultIface: o.in,
    seed,
  };
  return new Replayer(opts);
}

/** Rule texts of a side's iptables rulesets, by family and trace. */
function ruleTexts(side: Side): Map<number, Map<string, string>> {
  const out = new Map<number, Map<string, string>>();
  if (side.iptables !== undefined) out.set(4, iptablesRuleTexts(readFileSync(side.iptables, 'utf8'), 4, side.iptables));
  if (side.ip6tables !== undefined) out.set(6, iptablesRuleTexts(readFileSync(side.ip6tables, 'utf8'), 6, side.ip6tables));
  return out;
}

/** Replays both sides; resolves true when some packet changed. */
export async function diffFile(capture: string, o: DiffCliOptions, sides: { before: Side; after: Side }, out: Output): Promise<boolean> {
  const seed = o.seed !== undefined ? Number(o.seed) : randomInt(1, 2 ** 31);
  if (!Number.isInteger(seed)) throw new CliError(`--seed ${JSON.stringify(o.seed)}: expected an integer`);
  const hostText = readFileSync(o.host, 'utf8');
  const a = replayer(sides.before, o, hostText, capture, seed);
  const b = replayer(sides.after, o, hostText, capture, seed);
  const textsA = ruleTexts(sides.before);
  const textsB = ruleTexts(sides.after);
  const summary = new DiffSummary();
  const view = new PacketView();
  const reader = new CaptureReader({ name: capture });
  let first = -1;
  const drain = async (): Promise<void> => {
    for (let p = reader.next(); p !== null; p = reader.next()) {
      const ra = a.feed(ownCopy(p));
      const rb = b.feed(ownCopy(p));
      const family = decodeFrame(view, p.data, p.linktype).family === 6 ? 6 : 4;
      const empty = new Map<string, string>();
      const change = comparePacket(ra, rb, { old: textsA.get(family) ?? empty, new: textsB.get(family) ?? empty });
      summary.add(ra, rb, change);
      if (first < 0) first = p.time;
      if (change !== null && !o.quiet) await out.write(`${header(p, ra.i, ra.iface, first, view)}\n${change.lines.join('\n')}\n\n`);
    }
  };
  for await (const chunk of fileChunks(capture)) {
    reader.push(chunk);
    await drain();
  }
  reader.end();
  await drain();
  await out.write(`${summary.lines().join('\n')}\n`);
  return summary.changed > 0;
}

/** The record with bytes of its own: a replay may rewrite the packet it is given in place. */
function ownCopy(p: CapturedPacket): CapturedPacket {
  const c = p.clone();
  c.setBytes(new Uint8Array(p.data), 0, p.caplen, false);
  return c;
}

function header(p: CapturedPacket, i: number, iface: string | null, first: number, view: PacketView): string {
  return `#${i} ${(p.time - first).toFixed(6)} ${iface ?? 'local'} ${summarize(decodeFrame(view, p.data, p.linktype))}`;
}
