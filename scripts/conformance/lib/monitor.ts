/**
 * Line-oriented observers of the router namespace, for the kernel recorder: `nft -a monitor trace`
 * (every rule that matched and every policy that decided, per packet), `conntrack -E` and
 * `conntrack -E expect` (events as conntrack-tools prints them), each a child process whose
 * output lines are queued with their arrival time; and the parser of nft trace lines.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

import { inNs, ROUTER_NS } from './topology.js';

/** A child process whose stdout is split into queued lines. */
export class LineSource {
  private readonly child: ChildProcessWithoutNullStreams;
  private partial = '';
  private queue: string[] = [];
  /** performance.now() of the last line received. */
  lastActivity = 0;
  private exited: string | null = null;

  constructor(readonly label: string, argv: string[]) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => this.onData(d));
    this.child.stderr.on('data', () => {});
    this.child.on('exit', (code, sig) => (this.exited = `${label} exited (${code ?? sig})`));
  }

  private onData(d: string): void {
    const parts = (this.partial + d).split('\n');
    this.partial = parts.pop()!;
    for (const l of parts) if (l.trim()) this.queue.push(l.replace(/\s+$/, ''));
    this.lastActivity = performance.now();
  }

  /** The lines received since the last call. */
  take(): string[] {
    if (this.exited) throw new Error(this.exited);
    const q = this.queue;
    this.queue = [];
    return q;
  }

  /** Lines received so far, without taking them. */
  peek(): readonly string[] {
    return this.queue;
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

/** A line-buffered command in the router namespace. */
export function routerSource(label: string, argv: string[]): LineSource {
  return new LineSource(label, inNs(ROUTER_NS, ['stdbuf', '-oL', ...argv]));
}

/** Kinds of nft trace lines the recorder uses. */
export type TraceKind = 'packet' | 'rule' | 'policy' | 'verdict';

/** One parsed `nft -a monitor trace` line. */
export interface TraceEvent {
  id: string;
  family: string;
  table: string;
  chain: string;
  kind: TraceKind;
  /** Rule handle (rule lines). */
  handle?: number;
  /** Rule text without counters (rule lines). */
  text?: string;
  /** Verdict of a rule, a policy or a return line ("accept", "drop", "continue", "jump x", ...). */
  verdict?: string;
  /** Header fields of a packet line (`ip saddr` -> "10.0.1.100", ...). */
  fields?: Map<string, string>;
}

const TRACE_HEAD = /^trace id (\S+) (\S+) (\S+) (\S+) (packet|rule|policy|verdict):? ?(.*)$/;
const RULE_TAIL = /^(.*) # handle (\d+) \(verdict (.*)\)$/;

/** The `key value` pairs of a trace packet line, keyed by their two-word names (`ip saddr`, `tcp dport`). */
function packetFields(rest: string): Map<string, string> {
  const m = new Map<string, string>();
  const t = rest.split(' ').filter(Boolean);
  const twoWord = new Set(['ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmpv6', 'ether', 'meta', 'sctp', 'udplite', 'dccp', 'arp']);
  for (let k = 0; k < t.length; k++) {
    const w = t[k]!;
    if (w.startsWith('@') && k + 1 < t.length) {
      // raw headers (`@nh,0,160 0x4500...`, printed where nft has no protocol to name them, e.g. at egress)
      m.set(w, t[++k]!);
    } else if ((w === 'iif' || w === 'oif') && k + 1 < t.length) {
      m.set(w, t[++k]!.replace(/"/g, ''));
    } else if (twoWord.has(w) && k + 2 < t.length) {
      m.set(`${w} ${t[k + 1]}`, t[k + 2]!);
      k += 2;
    }
  }
  return m;
}

/** Parses one trace line; null for lines of no interest. */
export function parseTraceLine(line: string): TraceEvent | null {
  const h = TRACE_HEAD.exec(line);
  if (!h) return null;
  const [, id, family, table, chain, kind, rest] = h as unknown as [string, string, string, string, string, TraceKind, string];
  const ev: TraceEvent = { id, family, table, chain, kind };
  if (kind === 'packet') ev.fields = packetFields(rest);
  else if (kind === 'rule') {
    const r = RULE_TAIL.exec(rest);
    if (!r) return null;
    ev.handle = Number(r[2]);
    ev.text = r[1]!.replace(/(^|\s)counter packets \d+ bytes \d+/g, '$1counter').trim();
    ev.verdict = r[3];
  } else {
    ev.verdict = rest.trim().split(' ')[0];
  }
  return ev;
}

/** Trace events grouped by trace id, ids in order of first appearance. */
export function groupById(events: readonly TraceEvent[]): Map<string, TraceEvent[]> {
  const g = new Map<string, TraceEvent[]>();
  for (const e of events) {
    const l = g.get(e.id);
    if (l) l.push(e);
    else g.set(e.id, [e]);
  }
  return g;
}
