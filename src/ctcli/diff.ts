/**
 * `ctkit diff`: the same capture replayed through two rulesets, compared packet by packet.
 *
 * A packet changes when its verdict, the packets the host sent because of it (NAT rewrites,
 * REJECT answers ...), its conntrack state or direction, or the conntrack events it caused differ
 * between the two replays. For each change the first rule whose trace differs is named (with its
 * iptables-save text when the ruleset is iptables text), and a summary counts the changes by kind
 * and the verdict transitions.
 */
import { decodeIp } from '../packet/decode.js';
import { summarize } from '../packet/summary.js';
import { PacketView } from '../packet/view.js';
import type { PacketResult } from '../replay/replay.js';
import { ruleSpecText } from '../format/iptables.js';
import { Ruleset } from '../rules/model.js';
import { loadIptables } from '../rules/parse.js';

export type ChangeKind = 'verdict' | 'output' | 'conntrack' | 'events';

/** Rule texts of both sides, by trace. */
export interface RuleTexts {
  old: ReadonlyMap<string, string>;
  new: ReadonlyMap<string, string>;
}

const NO_TEXTS: RuleTexts = { old: new Map(), new: new Map() };

export interface RuleDifference {
  /** Position in the rule traces where they part. */
  index: number;
  old: string | null;
  new: string | null;
}

export interface PacketChange {
  i: number;
  kinds: ChangeKind[];
  lines: string[];
}

/** Rule texts by trace ("filter FORWARD 3" -> "-A FORWARD -p tcp ... -j ACCEPT"), from iptables-save text. */
export function iptablesRuleTexts(text: string, family: 4 | 6, file: string): Map<string, string> {
  const rs = new Ruleset();
  loadIptables(rs, text, { file, family, counters: false });
  const out = new Map<string, string>();
  for (const table of rs.tables(family).values()) {
    for (const chain of table.chains.values()) for (const rule of chain.rules) out.set(rule.trace, `-A ${chain.name}${ruleSpecText(rule)}`);
  }
  return out;
}

/** What a trace entry stands for: the rule's chain and text when known (numbers shift when rules move), else the trace. */
function ruleKey(trace: string, texts: ReadonlyMap<string, string>): string {
  const text = texts.get(trace);
  return text === undefined ? trace : `${trace.split(' ')[0]} ${text}`;
}

/** Where two rule traces first differ (by rule, not by position), or null when the same rules matched. */
export function firstRuleDifference(a: readonly string[], b: readonly string[], texts: RuleTexts = NO_TEXTS): RuleDifference | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const same = x !== undefined && y !== undefined && ruleKey(x, texts.old) === ruleKey(y, texts.new);
    if (!same) return { index: i, old: x ?? null, new: y ?? null };
  }
  return null;
}

const view = new PacketView();

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The packets a result sent, as readable lines. */
export function sentLines(r: PacketResult): string[] {
  return r.out.map((o) => `${o.iface}${o.gen ? ' (host)' : ''} ${summarize(decodeIp(view, hexBytes(o.hex)))}`);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function ctText(r: PacketResult): string {
  return r.ctstate === null ? 'none' : `${r.ctstate}${r.ctdir ? `/${r.ctdir}` : ''}`;
}

function listLines(label: string, old: readonly string[], now: readonly string[]): string[] {
  const fmt = (xs: readonly string[]): string[] => (xs.length === 0 ? ['      (none)'] : xs.map((x) => `      ${x}`));
  return [`  ${label} before:`, ...fmt(old), `  ${label} after:`, ...fmt(now)];
}

function ruleLine(d: RuleDifference, texts: RuleTexts): string {
  const side = (trace: string | null, m: ReadonlyMap<string, string>): string => {
    if (trace === null) return '(no further rule)';
    const text = m.get(trace);
    return text === undefined ? trace : `${trace}: ${text}`;
  };
  return `  first rule that differs (#${d.index + 1} in the trace): before ${side(d.old, texts.old)}; after ${side(d.new, texts.new)}`;
}

/** Compares one packet's results; null when nothing differs. */
export function comparePacket(a: PacketResult, b: PacketResult, texts: RuleTexts = NO_TEXTS): PacketChange | null {
  const kinds: ChangeKind[] = [];
  const lines: string[] = [];
  if (a.verdict !== b.verdict) {
    kinds.push('verdict');
    lines.push(`  verdict: ${a.verdict} -> ${b.verdict}`);
  }
  const sentA = a.out.map((o) => `${o.iface} ${o.hex}`);
  const sentB = b.out.map((o) => `${o.iface} ${o.hex}`);
  if (!sameList(sentA, sentB)) {
    kinds.push('output');
    lines.push(...listLines('sent', sentLines(a), sentLines(b)));
  }
  if (a.ctstate !== b.ctstate || a.ctdir !== b.ctdir) {
    kinds.push('conntrack');
    lines.push(`  conntrack state: ${ctText(a)} -> ${ctText(b)}`);
  }
  if (!sameList(a.events, b.events)) {
    kinds.push('events');
    lines.push(...listLines('conntrack events', a.events.map((e) => e.trim()), b.events.map((e) => e.trim())));
  }
  if (kinds.length === 0) return null;
  const rule = firstRuleDifference(a.rules, b.rules, texts);
  if (rule !== null) lines.unshift(ruleLine(rule, texts));
  return { i: a.i, kinds, lines };
}

/** Counts for the summary. */
export class DiffSummary {
  packets = 0;
  changed = 0;
  readonly byKind = new Map<ChangeKind, number>();
  readonly transitions = new Map<string, number>();

  add(a: PacketResult, b: PacketResult, change: PacketChange | null): void {
    this.packets++;
    if (change === null) return;
    this.changed++;
    for (const k of change.kinds) this.byKind.set(k, (this.byKind.get(k) ?? 0) + 1);
    if (change.kinds.includes('verdict')) {
      const key = `${a.verdict} -> ${b.verdict}`;
      this.transitions.set(key, (this.transitions.get(key) ?? 0) + 1);
    }
  }

  lines(): string[] {
    if (this.changed === 0) return [`${this.packets} packets, no difference`];
    const names: Record<ChangeKind, string> = { verdict: 'verdict', output: 'packets sent (NAT, answers)', conntrack: 'conntrack state', events: 'conntrack events' };
    const kinds = [...this.byKind.entries()].map(([k, n]) => `${names[k]} ${n}`).join(', ');
    const out = [`${this.packets} packets, ${this.changed} changed: ${kinds}`];
    for (const [t, n] of this.transitions) out.push(`  ${t}: ${n}`);
    return out;
  }
}
