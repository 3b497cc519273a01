/**
 * Test helper: replays a kernel-recorded scenario (test/fixtures/conformance/<name>) through the
 * conntrack table alone, doing the little of the pipeline conntrack needs: a packet arriving on
 * an interface is looked up at PREROUTING, a locally sent one at OUTPUT; it is confirmed when the
 * kernel did not drop it (its verdict says), discarded otherwise; the packets the router's own
 * stack sent in answer (out[].gen) are looked up at OUTPUT and confirmed. Events are collected per
 * packet as `conntrack -E` prints them. Only for scenarios without NAT, REJECT or helpers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../../scripts/conformance/lib/corpus.js';
import { readAll } from '../../src/capture/index.js';
import { defaultSettings, isConntrackSysctl, setSysctl, type ConntrackSettings } from '../../src/conntrack/settings.js';
import { ConntrackTable } from '../../src/conntrack/table.js';
import { formatEvent } from '../../src/format/conntrack.js';
import { Hook, CtStateBit } from '../../src/netfilter/context.js';
import { decodeFrame, decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';

const FIXTURES = fixturesDir();

export interface KernelPacket {
  i: number;
  iface: string | null;
  verdict: string;
  ctstate: string | null;
  ctdir: string | null;
  out: Array<{ iface: string; hex: string; gen?: boolean }>;
  events: string[];
  t: number;
}

export interface KernelRecord {
  packets: KernelPacket[];
  conntrack: string[];
  final: { t: number };
}

export function loadKernel(name: string): KernelRecord {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'kernel.json'), 'utf8')) as KernelRecord;
}

/** The scenario's conntrack settings: defaults plus host.json's conntrack sysctls. */
export function scenarioSettings(name: string): ConntrackSettings {
  const host = JSON.parse(readFileSync(join(FIXTURES, name, 'host.json'), 'utf8')) as { sysctl?: Record<string, number> };
  const s = defaultSettings();
  for (const [k, v] of Object.entries(host.sysctl ?? {})) if (isConntrackSysctl(k)) setSysctl(s, k, v);
  return s;
}

export interface ReplayedPacket {
  ctstate: string | null;
  ctdir: string | null;
  events: string[];
}

const STATE_NAMES: Readonly<Record<number, string>> = {
  [CtStateBit.NEW]: 'new',
  [CtStateBit.ESTABLISHED]: 'established',
  [CtStateBit.RELATED]: 'related',
  [CtStateBit.INVALID]: 'invalid',
  [CtStateBit.UNTRACKED]: 'untracked',
};

export interface CoreReplay {
  table: ConntrackTable;
  packets: ReplayedPacket[];
  /** Virtual time of the first packet (kernel.json times are relative to it). */
  t0: number;
}

/** Replays scenario `name` through a fresh table (seed fixed). */
export function replayCore(name: string, seed = 7): CoreReplay {
  const kernel = loadKernel(name);
  const table = new ConntrackTable({ settings: scenarioSettings(name), seed });
  let events: string[] = [];
  table.onEvent((ev) => events.push(formatEvent(ev)));
  const capture = readAll(new Uint8Array(readFileSync(join(FIXTURES, name, 'capture.pcapng'))));
  const view = new PacketView();
  const gen = new PacketView();
  const packets: ReplayedPacket[] = [];
  const t0 = capture[0]!.tsSec + capture[0]!.tsNsec / 1e9;
  capture.forEach((cp, i) => {
    events = [];
    const now = cp.tsSec + cp.tsNsec / 1e9;
    decodeFrame(view, cp.data, cp.linktype);
    const local = cp.direction === 'out';
    const r = table.track(view, local ? Hook.OUTPUT : Hook.PREROUTING, now);
    const rec: ReplayedPacket = {
      ctstate: r.drop ? null : STATE_NAMES[r.state] ?? null,
      ctdir: r.conn ? (r.dir === 0 ? 'original' : 'reply') : null,
      events: [],
    };
    const conn = r.conn;
    const dir = r.dir;
    if (conn) {
      if (kernel.packets[i]!.verdict === 'DROPPED') table.discard(conn);
      else table.confirm(conn, now, dir);
    }
    for (const o of kernel.packets[i]!.out) {
      if (!o.gen) continue;
      decodeIp(gen, hexBytes(o.hex));
      const g = table.track(gen, Hook.OUTPUT, now);
      if (g.conn) table.confirm(g.conn, now, g.dir);
    }
    rec.events = events;
    packets.push(rec);
  });
  return { table, packets, t0 };
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Event lines with runs of blanks folded (kernel.json keeps `conntrack -E`'s leading padding). */
export function normalise(line: string): string {
  return line.trim().replace(/\s+/g, ' ');
}
