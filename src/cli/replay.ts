/**
 * `ctkit replay CAPTURE --host HOST.json [--iptables F] [--ip6tables F] [--nft F] [--sysctl N=V ...]
 *  [--jsonl OUT] [--conntrack OUT] [--expect OUT] [--in IFACE] [--pcapng-out FILE] [--seed N] [--quiet]`
 *
 * Runs a capture through the simulated host. Machine-readable results go exactly where the replay
 * contract says (../shared/spec/replay-contract.md); for people, stdout gets a readable trace per
 * packet (colours on a terminal, none when piped) and a summary; a progress bar runs on stderr for
 * long captures on a terminal. The capture is streamed: memory follows the connection table.
 */
import { createWriteStream, existsSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import pc from 'picocolors';
import cliProgress from 'cli-progress';
import { CaptureReader } from '../capture/reader.js';
import type { CapturedPacket } from '../capture/record.js';
import { PcapngWriter } from '../capture/writer.js';
import { HostConfigError } from '../host/config.js';
import { decodeFrame, decodeIp } from '../packet/decode.js';
import { summarize } from '../packet/summary.js';
import { LinkType, PacketView } from '../packet/view.js';
import { RulesetError } from '../rules/errors.js';
import { NftError } from '../nft/lexer.js';
import { NftChainError } from '../nft/chains.js';
import { ReplayError, Replayer, type PacketResult } from '../replay/replay.js';
import { JsonlEncoder } from '../replay/jsonl.js';
import { Unsupported } from '../netfilter/pipeline.js';
import { CliError, registerKnownError, runAction } from './errors.js';
import { fileChunks, Output } from './io.js';
import { recordEvent } from '../ctcli/events.js';
import { writeTable } from './conntrack.js';

registerKnownError(HostConfigError);
registerKnownError(RulesetError);
registerKnownError(ReplayError);
registerKnownError(NftError);
registerKnownError(NftChainError);
registerKnownError(Unsupported);

/** An nft `include`: relative to the including file's folder, then as given; null when absent. */
function readInclude(name: string, from: string): string | null {
  for (const p of [resolve(dirname(from), name), name]) {
    if (existsSync(p)) return readFileSync(p, 'utf8');
  }
  return null;
}

export interface ReplayCliOptions {
  host: string;
  iptables?: string;
  ip6tables?: string;
  nft?: string;
  ipset?: string;
  sysctl?: string[];
  jsonl?: string;
  conntrack?: string;
  expect?: string;
  in?: string;
  pcapngOut?: string;
  rulesOut?: string;
  listRules?: boolean;
  seed?: string;
  quiet?: boolean;
  saveTable?: string;
  events?: string;
  trace?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('run a capture through a simulated Linux host and its ruleset, packet by packet')
    .argument('<capture>', 'pcap or pcapng file (pcapng if_name = ingress interface; outbound EPBs = sent by the host)')
    .requiredOption('--host <file>', 'HOST.json: interfaces, addresses, routes, sysctls')
    .option('--iptables <file>', 'iptables-save text (IPv4)')
    .option('--ip6tables <file>', 'ip6tables-save text (IPv6)')
    .option('--nft <file>', 'nft -f text, or nft -j JSON (nft -j list ruleset output, JSON command files)')
    .option('--ipset <file>', '`ipset save` text: the sets -m set refers to')
    .option('--sysctl <name=value>', 'override a sysctl, e.g. net.netfilter.nf_conntrack_tcp_loose=0 (repeatable)', collect, [])
    .option('--jsonl <file>', 'per-packet results, one JSON object a line (the replay contract)')
    .option('--conntrack <file>', 'final table as conntrack -L prints it')
    .option('--expect <file>', 'final expectation table as conntrack -L expect prints it')
    .option('--in <iface>', 'ingress interface for captures that name none (classic pcap)')
    .option('--pcapng-out <file>', 'every packet the host transmitted, one interface block per host interface')
    .option('--save-table <file>', 'final connection table as a snapshot, for ctkit conntrack --table')
    .option('--events <file>', 'every conntrack event, one JSON object a line (time, the conntrack -E line), for ctkit conntrack -E')
    .option('--rules-out <file>', 'the rulesets with their final counters (iptables-save -c, nft list ruleset)')
    .option('--list-rules', 'print the rulesets with counters as iptables -L -n -v --line-numbers / nft list ruleset after the summary')
    .option('--seed <n>', 'seed for hashing and random choices (default: random)')
    .option('-q, --quiet', 'no per-packet trace on stdout, only the summary')
    .option('--trace', 'show every rule each packet was tested against (iptables rulesets), like TRACE')
    .action(runAction(async (capture: string, options: ReplayCliOptions) => {
      await replayFile(capture, options, new Output());
    }));
}

function collect(v: string, acc: string[]): string[] {
  acc.push(v);
  return acc;
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
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

/** Replays a capture file; resolves with the number of packets. */
export async function replayFile(capture: string, o: ReplayCliOptions, stdout: Output): Promise<number> {
  const seed = o.seed !== undefined ? Number(o.seed) : randomInt(1, 2 ** 31);
  if (!Number.isInteger(seed)) throw new CliError(`--seed ${JSON.stringify(o.seed)}: expected an integer`);
  let replayer: Replayer;
  try {
    replayer = new Replayer({
      host: readText(o.host),
      iptables: o.iptables !== undefined ? readText(o.iptables) : undefined,
      ip6tables: o.ip6tables !== undefined ? readText(o.ip6tables) : undefined,
      nft: o.nft !== undefined ? readText(o.nft) : undefined,
      ipset: o.ipset !== undefined ? readText(o.ipset) : undefined,
      sysctl: parseSysctls(o.sysctl ?? []),
      files: { host: o.host, iptables: o.iptables, ip6tables: o.ip6tables, nft: o.nft, capture, ipset: o.ipset },
      defaultIface: o.in,
      seed,
      include: (name, from) => readInclude(name, from),
      traceEvaluation: o.trace === true,
    });
  } catch (e) {
    if (e instanceof Error && !(e instanceof HostConfigError || e instanceof RulesetError || e instanceof ReplayError) && /sysctl/.test(e.message)) {
      throw new CliError(e.message);
    }
    throw e;
  }
  const jsonl = o.jsonl ? new FileSink(o.jsonl) : null;
  const lines = new JsonlEncoder();
  const events = o.events ? new FileSink(o.events) : null;
  let eventLines = '';
  let eventTime = 0;
  if (events) {
    replayer.host.conntrack.onEvent((ev) => (eventLines += `${JSON.stringify(recordEvent(ev))}\n`));
    replayer.host.helpers?.onExpectEvent((line) => (eventLines += `${JSON.stringify({ time: eventTime, line, expect: true })}\n`));
  }
  const flushEvents = async (): Promise<void> => {
    await events?.write(eventLines);
    eventLines = '';
  };
  let lastTime = 0;
  const pcap = o.pcapngOut ? new PcapOut(o.pcapngOut, replayer) : null;
  const human = new HumanTrace(stdout, !o.quiet);
  const reader = new CaptureReader({ name: capture });
  const bar = progressBar(capture);
  let n = 0;
  const drain = async (): Promise<void> => {
    for (let p = reader.next(); p !== null; p = reader.next()) {
      eventTime = p.time;
      let r: PacketResult | null = null;
      if (jsonl) {
        const hr = replayer.feedJsonl(p, lines);
        human.tally(p, hr.verdict, hr.verdict === 'DROPPED' ? hr.dropReason : undefined, hr.ctstate);
        if (pcap || human.active) r = replayer.resultOf(hr);
        if (lines.length >= 1 << 16) await jsonl.writeBytes(lines.take());
      } else {
        r = replayer.feed(p);
        human.tally(p, r.verdict, r.why, r.ctstate);
      }
      n++;
      lastTime = Math.max(lastTime, p.time);
      if (eventLines) await flushEvents();
      if (pcap) await pcap.write(p, r!);
      if (human.active) await human.packet(p, r!);
    }
    bar?.update(reader.position);
  };
  try {
    for await (const chunk of fileChunks(capture)) {
      reader.push(chunk);
      await drain();
    }
    reader.end();
    await drain();
  } finally {
    bar?.stop();
  }
  eventTime = lastTime;
  const fin = replayer.finish();
  await flushEvents();
  await events?.close();
  if (o.saveTable) writeTable(o.saveTable, replayer.host.conntrack, lastTime, fin.expectAll);
  if (o.conntrack) await writeWhole(o.conntrack, fin.conntrack);
  if (o.expect) await writeWhole(o.expect, fin.expect);
  if (jsonl) await jsonl.writeBytes(lines.take());
  await jsonl?.close();
  await pcap?.close();
  await human.summary(fin.conntrack, replayer);
  if (o.rulesOut) await writeWhole(o.rulesOut, replayer.rulesText().split('\n').slice(0, -1));
  if (o.listRules) await stdout.write(replayer.rulesText(true));
  return n;
}

async function writeWhole(path: string, lines: string[]): Promise<void> {
  const s = new FileSink(path);
  await s.write(lines.map((l) => `${l}\n`).join(''));
  await s.close();
}

class FileSink {
  private readonly stream: WriteStream;
  constructor(path: string) {
    this.stream = createWriteStream(path);
  }
  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
  async writeBytes(b: Uint8Array): Promise<void> {
    if (!this.stream.write(b)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

/** Every transmitted packet into a pcapng, one interface block per host interface (raw IP). */
class PcapOut {
  private readonly sink: FileSink;
  private readonly writer = new PcapngWriter();
  private readonly index = new Map<string, number>();
  private started = false;

  constructor(
    path: string,
    private readonly replayer: Replayer,
  ) {
    this.sink = new FileSink(path);
  }

  private async start(): Promise<void> {
    this.started = true;
    await this.sink.writeBytes(this.writer.header());
    for (const f of this.replayer.host.routing.interfaces) {
      this.index.set(f.name, this.index.size);
      await this.sink.writeBytes(this.writer.addInterface({ linktype: LinkType.RAW, name: f.name }));
    }
  }

  async write(p: CapturedPacket, r: PacketResult): Promise<void> {
    if (!this.started) await this.start();
    for (const o of r.out) {
      let data = Uint8Array.from(Buffer.from(o.hex, 'hex'));
      let ifIndex = this.index.get(o.iface) ?? 0;
      if (isArpPacket(data)) {
        // the host's ARP answers: in an Ethernet interface block of the device (to the target, from the sender hardware address)
        ifIndex = await this.ethernetIndex(o.iface);
        data = Uint8Array.from([...data.subarray(18, 24), ...data.subarray(8, 14), 0x08, 0x06, ...data]);
      }
      await this.sink.writeBytes(
        this.writer.packet({ tsSec: p.tsSec, tsNsec: p.tsNsec, data, ifIndex, direction: 'out', comment: o.gen ? 'generated by the host' : null }),
      );
    }
  }

  private readonly ethIndex = new Map<string, number>();

  /** The index of an Ethernet interface block for `iface` (written the first time it is needed). */
  private async ethernetIndex(iface: string): Promise<number> {
    let k = this.ethIndex.get(iface);
    if (k === undefined) {
      k = this.index.size + this.ethIndex.size;
      this.ethIndex.set(iface, k);
      await this.sink.writeBytes(this.writer.addInterface({ linktype: LinkType.ETHERNET, name: iface }));
    }
    return k;
  }

  async close(): Promise<void> {
    if (!this.started) await this.start();
    await this.sink.close();
  }
}

/** An Ethernet / IPv4 ARP packet (what `out` holds for the host's ARP answers), not an IP packet. */
function isArpPacket(b: Uint8Array): boolean {
  return b.length >= 28 && b[0] === 0 && b[1] === 1 && b[2] === 8 && b[3] === 0 && b[4] === 6 && b[5] === 4;
}

function progressBar(capture: string): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY) return null;
  const size = statSync(capture).size;
  if (size < 32 << 20) return null;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'replay [{bar}] {percentage}% | {value}/{total} bytes | eta {eta}s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(size, 0);
  return bar;
}

const VERDICT_COLOUR: Record<string, (s: string) => string> = {
  FORWARDED: pc.green,
  LOCAL_IN: pc.cyan,
  SENT: pc.blue,
  DROPPED: pc.red,
};

/** The readable trace and the end-of-run summary. */
class HumanTrace {
  private readonly view = new PacketView();
  private readonly outView = new PacketView();
  private readonly verdicts = new Map<string, number>();
  private readonly drops = new Map<string, number>();
  private readonly states = new Map<string, number>();
  private first = -1;
  private last = 0;
  private lines: string[] = [];

  constructor(
    private readonly out: Output,
    private readonly perPacket: boolean,
  ) {}

  /** True when each packet gets its lines (not -q). */
  get active(): boolean {
    return this.perPacket;
  }

  /** Counts a packet for the summary. */
  tally(p: CapturedPacket, verdict: string, why: string | undefined, ctstate: string | null): void {
    bump(this.verdicts, verdict);
    if (verdict === 'DROPPED') bump(this.drops, why || 'unknown');
    bump(this.states, ctstate ?? 'none');
    if (this.first < 0) this.first = p.time;
    this.last = p.time;
  }

  /** The packet's lines (after tally). */
  async packet(p: CapturedPacket, r: PacketResult): Promise<void> {
    const t = (p.time - this.first).toFixed(6);
    const where = r.iface ?? pc.dim('local');
    const decode = summarize(decodeFrame(this.view, p.data, p.linktype));
    const st = r.ctstate ? `${r.ctstate}${r.ctdir ? '/' + r.ctdir : ''}` : 'no-ct';
    this.lines.push(`${pc.bold('#' + r.i)} ${t} ${where} ${decode}`);
    this.lines.push(`    ${VERDICT_COLOUR[r.verdict]!(r.verdict)} ct=${st}${r.rules.length ? '  ' + pc.dim(r.rules.join(', ')) : ''}`);
    for (const o of r.out) {
      const bytes = Uint8Array.from(Buffer.from(o.hex, 'hex'));
      // an ARP packet (the host's ARP answers) is shown as its frame would be
      const what = isArpPacket(bytes) ? summarize(decodeFrame(this.outView, Uint8Array.from([...new Uint8Array(12), 8, 6, ...bytes]), LinkType.ETHERNET)) : summarize(decodeIp(this.outView, bytes));
      this.lines.push(`    -> ${o.iface}${o.gen ? pc.yellow(' (host)') : ''} ${what}`);
    }
    for (const e of r.events) this.lines.push(`    ${pc.magenta(e.replace(/\s+/g, ' ').trim())}`);
    for (const l of r.log ?? []) this.lines.push(`    ${pc.yellow('log')} ${l}`);
    for (const l of r.trace ?? []) this.lines.push(`    ${pc.dim('trace ' + l)}`);
    if (this.lines.length > 512) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = `${this.lines.join('\n')}\n`;
    this.lines = [];
    await this.out.write(text);
  }

  async summary(table: string[], replayer: Replayer): Promise<void> {
    await this.flush();
    const total = [...this.verdicts.values()].reduce((a, b) => a + b, 0);
    const never = replayer.rulesNeverHit();
    const lines = [
      pc.bold(`${total} packets over ${(this.last - Math.max(this.first, 0)).toFixed(3)} s`),
      `  verdicts: ${fmtCounts(this.verdicts)}`,
      `  ct states: ${fmtCounts(this.states)}`,
      ...(this.drops.size ? ['  drops by cause:', ...[...this.drops.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `    ${v} ${k}`)] : []),
      `  connections: ${fmtCounts(replayer.connectionsByState()) || 'none'}`,
      ...(never.length ? [`  rules never hit (${never.length}):`, ...never.map((l) => `    ${l}`)] : []),
      pc.bold(`conntrack -L (${table.length} entries):`),
      ...table.map((l) => `  ${l}`),
    ];
    await this.out.write(`${lines.join('\n')}\n`);
  }
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function fmtCounts(m: Map<string, number>): string {
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}
