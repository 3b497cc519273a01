/**
 * Conntrack benchmark: the conntrack work alone (decode, lookup / insert, protocol tracker,
 * confirm) over packets held in memory, as one forwarding hook with default sysctls: every packet
 * is looked up at PREROUTING (so transport checksums are verified, as the kernel does there) and
 * confirmed right after, as it would be at POSTROUTING.
 *
 * What `npm run bench` reports from here, each against the target of the issue:
 *  - packets per second over the realistic mix (the capture of capture.ts, or its synthetic
 *    stand-in);
 *  - memory per tracked connection at 1 million connections (process.memoryUsage() around
 *    creating them, after forced collections: the bench process runs with --expose-gc);
 *  - the cost per packet on established connections in tables of 1 thousand to 4 million
 *    connections (flat is the target);
 *  - new connections per second (a fresh flow per packet).
 *
 * `ctkit bench conntrack CAPTURE` (cli/bench.ts) runs `conntrackPass` over a capture file.
 */

import { CaptureReader } from '../capture/reader.js';
import { Hook } from '../netfilter/context.js';
import { decodeFrame, decodeIp } from '../packet/decode.js';
import { fillIpv4HeaderChecksum, fillL4Checksum } from '../packet/checksum.js';
import { ipv4, tcp, udp } from '../packet/build.js';
import { PacketView } from '../packet/view.js';
import { ConntrackTable } from '../conntrack/table.js';
import { defaultSettings, type ConntrackSettings } from '../conntrack/settings.js';
import { loadInput } from './capture.js';
import type { BenchModule, PreparedBench } from './run.js';

// ------------------------------------------------------------------------------------------------
// packets in memory

/** Every packet of a capture, as offsets into the capture's bytes (no object per packet). */
export interface PacketIndex {
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly offset: Int32Array;
  readonly length: Int32Array;
  readonly linktype: Int32Array;
  /** Timestamps, seconds. */
  readonly time: Float64Array;
}

/** Reads every packet of an in-memory capture into an index. */
export function indexCapture(bytes: Uint8Array, name = 'capture'): PacketIndex {
  const r = new CaptureReader({ name });
  r.push(bytes);
  r.end();
  let cap = 1024;
  let offset: Int32Array = new Int32Array(cap);
  let length: Int32Array = new Int32Array(cap);
  let linktype: Int32Array = new Int32Array(cap);
  let time = new Float64Array(cap);
  let n = 0;
  for (let p = r.next(); p !== null; p = r.next()) {
    if (p.bufIsScratch) throw new Error(`${name}: a packet spans input chunks`); // one chunk: never
    if (n === cap) {
      cap *= 2;
      offset = grow(offset, cap);
      length = grow(length, cap);
      linktype = grow(linktype, cap);
      const t = new Float64Array(cap);
      t.set(time);
      time = t;
    }
    offset[n] = p.offset;
    length[n] = p.caplen;
    linktype[n] = p.linktype;
    time[n] = p.time;
    n++;
  }
  return { bytes, count: n, offset, length, linktype, time };
}

function grow(a: Int32Array, cap: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

// ------------------------------------------------------------------------------------------------
// the timed loop

export interface PassResult {
  packets: number;
  seconds: number;
  /** Entries in the table after the pass. */
  connections: number;
}

/**
 * One pass over every packet with a fresh table: decode, track at PREROUTING, confirm. Only the
 * loop is timed (`clock` returns seconds; the CLI and the bench pass a monotonic clock).
 */
export function conntrackPass(
  idx: PacketIndex,
  clock: () => number,
  settings: ConntrackSettings = defaultSettings(),
  seed = 1,
): PassResult {
  const table = new ConntrackTable({ settings, seed });
  const view = new PacketView();
  const { bytes, offset, length, linktype, time, count } = idx;
  const t0 = clock();
  for (let i = 0; i < count; i++) {
    const off = offset[i]!;
    decodeFrame(view, bytes, linktype[i]!, off, off + length[i]!);
    // Not IP, or dropped by ip_rcv before any hook: conntrack never sees it.
    if (view.family === 0 || view.ipHdrError) continue;
    const now = time[i]!;
    const r = table.track(view, Hook.PREROUTING, now);
    // confirmSlot: confirm() without making the connection's Conn object.
    if (r.slot >= 0) table.confirmSlot(r.slot, now, r.dir);
  }
  const seconds = clock() - t0;
  return { packets: count, seconds, connections: table.count };
}

/** Monotonic seconds (performance.now is in every runtime this runs on). */
export function monotonicSeconds(): number {
  return performance.now() / 1000;
}

// ------------------------------------------------------------------------------------------------
// synthetic flows: many connections

/**
 * `n` IPv4 packets, each of a flow of its own (source address and port vary), in one buffer with
 * valid checksums: TCP SYNs or UDP datagrams. Returns the buffer and the packets' offsets.
 */
function distinctFlows(n: number, kind: 'tcp' | 'udp'): { buf: Uint8Array; size: number } {
  const template =
    kind === 'tcp'
      ? ipv4({ src: '10.0.0.1', dst: '192.168.0.1', payload: tcp({ sport: 1024, dport: 443, flags: 'S', seq: 1, win: 64240 }) })
      : ipv4({ src: '10.0.0.1', dst: '192.168.0.1', payload: udp({ sport: 1024, dport: 53, payload: new Uint8Array(12) }) });
  const size = template.length;
  const buf = new Uint8Array(n * size);
  const v = new PacketView();
  for (let i = 0; i < n; i++) {
    const o = i * size;
    buf.set(template, o);
    // Source 10.x.y.z from i / 60000, source port 1024 + i % 60000.
    const hi = Math.floor(i / 60000);
    buf[o + 13] = (hi >>> 16) & 0xff;
    buf[o + 14] = (hi >>> 8) & 0xff;
    buf[o + 15] = hi & 0xff;
    const port = 1024 + (i % 60000);
    buf[o + 20] = port >>> 8;
    buf[o + 21] = port & 0xff;
    fillIpv4HeaderChecksum(buf, o, 20);
    decodeIp(v, buf, o, o + size);
    fillL4Checksum(v);
  }
  return { buf, size };
}

/** Settings for a table meant to hold `n` connections (buckets as the kernel sizes them: about one per entry). */
function sizedSettings(n: number): ConntrackSettings {
  const s = defaultSettings();
  let b = 1024;
  while (b < n) b *= 2;
  s.buckets = b;
  s.max = Math.max(s.max, 2 * n);
  return s;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/** Heap plus array buffers in use. */
function memoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Tracks (and confirms) one packet of each flow; returns the table and the seconds it took. */
function fillTable(flows: { buf: Uint8Array; size: number }, n: number, settings: ConntrackSettings): { table: ConntrackTable; seconds: number } {
  const table = new ConntrackTable({ settings, seed: 7 });
  const v = new PacketView();
  const { buf, size } = flows;
  const t0 = monotonicSeconds();
  for (let i = 0; i < n; i++) {
    const o = i * size;
    decodeIp(v, buf, o, o + size);
    const r = table.track(v, Hook.PREROUTING, 1000);
    if (r.slot >= 0) table.confirmSlot(r.slot, 1000, r.dir);
  }
  return { table, seconds: monotonicSeconds() - t0 };
}

export interface MemoryResult {
  connections: number;
  bytesPerConnection: number;
  newPerSecond: number;
}

/** Memory per connection and creation rate for `n` fresh connections of one kind. */
export function measureConnections(n: number, kind: 'tcp' | 'udp'): MemoryResult {
  const flows = distinctFlows(n, kind);
  gc();
  const before = memoryInUse();
  const { table, seconds } = fillTable(flows, n, sizedSettings(n));
  gc();
  const after = memoryInUse();
  const connections = table.count;
  if (connections !== n) throw new Error(`expected ${n} connections, the table holds ${connections}`);
  return { connections, bytesPerConnection: (after - before) / n, newPerSecond: n / seconds };
}

/**
 * Cost per packet on established connections in a table of `n` UDP connections: after one
 * packet per flow, `probes` packets go to flows picked pseudo-randomly (a fixed LCG), so that
 * every lookup lands somewhere else in the table as real traffic does.
 */
export function measureScaling(n: number, probes: number): number {
  const flows = distinctFlows(n, 'udp');
  const { table } = fillTable(flows, n, sizedSettings(n));
  const v = new PacketView();
  const { buf, size } = flows;
  let x = 12345;
  const t0 = monotonicSeconds();
  for (let i = 0; i < probes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const o = (x % n) * size;
    decodeIp(v, buf, o, o + size);
    const r = table.track(v, Hook.PREROUTING, 1001);
    if (r.slot >= 0) table.confirmSlot(r.slot, 1001, r.dir);
  }
  const seconds = monotonicSeconds() - t0;
  if (table.count !== n) throw new Error(`expected ${n} connections, the table holds ${table.count}`);
  return (seconds / probes) * 1e9;
}

// ------------------------------------------------------------------------------------------------
// the bench module

export const TARGETS = {
  pps: 4e6,
  bytesPerConnection: 200,
  newPerSecond: 2e6,
  /** ns per packet at 4M connections over ns per packet at 1k: "nearly flat". */
  flatness: 1.5,
} as const;

function verdict(ok: boolean): string {
  return ok ? 'MET' : 'NOT MET';
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}

/** Sizes for the scaling measure (CTKIT_BENCH_MAX_CONNS lowers the top for small machines). */
function scalingSizes(): number[] {
  const top = Number(process.env['CTKIT_BENCH_MAX_CONNS'] ?? 4_000_000);
  return [1_000, 16_000, 256_000, 1_000_000, 4_000_000].filter((s) => s <= top);
}

export const conntrackBench: BenchModule = {
  name: 'conntrack',
  async prepare(): Promise<PreparedBench> {
    const { bytes, input } = loadInput();
    const idx = indexCapture(bytes);
    return {
      input: `${input}, ${idx.count.toLocaleString('en-US')} packets; track at PREROUTING + confirm, default sysctls`,
      tasks: [],
      async report(filter: string): Promise<string[]> {
        const lines: string[] = [];
        if ('realistic mix'.includes(filter) || filter === '') {
          // Warm up, then the best of several passes (a shared machine only ever slows a pass down).
          const passes: PassResult[] = [];
          for (let i = 0; i < 8; i++) passes.push(conntrackPass(idx, monotonicSeconds));
          const best = passes.slice(2).reduce((a, b) => (b.seconds < a.seconds ? b : a));
          const median = passes.slice(2).map((p) => p.seconds).sort((a, b) => a - b)[3]!;
          const pps = best.packets / best.seconds;
          lines.push(
            `  realistic mix: ${fmt(pps)} packets/s best, ${fmt(best.packets / median)} median, ` +
              `${((best.seconds / best.packets) * 1e9).toFixed(0)} ns/packet, ${fmt(best.connections)} connections ` +
              `(target >= ${fmt(TARGETS.pps)}: ${verdict(pps >= TARGETS.pps)})`,
          );
        }
        if ('memory per connection, new connections'.includes(filter) || filter === '') {
          for (const kind of ['tcp', 'udp'] as const) {
            const m = measureConnections(1_000_000, kind);
            lines.push(
              `  memory at ${fmt(m.connections)} ${kind.toUpperCase()} connections: ${fmt(m.bytesPerConnection)} bytes/connection ` +
                `(target <= ${TARGETS.bytesPerConnection}: ${verdict(m.bytesPerConnection <= TARGETS.bytesPerConnection)})`,
            );
            lines.push(
              `  new ${kind.toUpperCase()} connections (into a table growing to 1M): ${fmt(m.newPerSecond)}/s ` +
                `(target >= ${fmt(TARGETS.newPerSecond)}: ${verdict(m.newPerSecond >= TARGETS.newPerSecond)})`,
            );
            gc();
          }
        }
        if ('scaling'.includes(filter) || filter === '') {
          const costs: Array<[number, number]> = [];
          for (const n of scalingSizes()) {
            costs.push([n, measureScaling(n, 2_000_000)]);
            gc();
          }
          const first = costs[0]![1];
          const last = costs[costs.length - 1]!;
          lines.push(`  established UDP, ns/packet by table size: ${costs.map(([n, c]) => `${fmt(n)}: ${c.toFixed(0)}`).join(', ')}`);
          lines.push(
            `  scaling ${fmt(costs[0]![0])} -> ${fmt(last[0])} connections: x${(last[1] / first).toFixed(2)} ` +
              `(target: nearly flat, <= x${TARGETS.flatness}: ${verdict(last[1] / first <= TARGETS.flatness)})`,
          );
        }
        return lines;
      },
    };
  },
};
