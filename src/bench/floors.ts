/**
 * What this machine can do at best, next to each speed target: loops that do a fraction of the
 * work a target's measure asks for (no checks, no state), timed the same way. When such a fraction
 * alone is slower than the target, the target is out of reach on this machine whatever the
 * engine does; the issues' notes quote these lines.
 *
 *  - capture (target 10 M packets/s, read + decode to the 5-tuple): hopping from record header to
 *    record header with no reader and no decode, then touching the cache lines ahead as the reader
 *    does; that plus the six 5-tuple fields read raw (Ethernet + IPv4 only, no validation); the
 *    capture reader plus that raw read; record to record with the engine's decode and no reader,
 *    without and with the lines ahead touched; and the benchmark's own measure (reader + decode)
 *    over the first 256 KB of the capture repeated, which stay in the caches: the compute alone.
 *  - conntrack (target 4 M packets/s, 250 ns a packet): the engine's decode plus the transport
 *    checksum verification the measure requires at PREROUTING, then plus the keyed tuple hash the
 *    table needs against hash flooding; and, for the flatness target, one dependent random walk
 *    (bucket head, then the first word of a 144-byte record) in tables of 1 thousand and 4
 *    million entries: what the table size alone adds to a lookup.
 *  - end-to-end replay (target 2 M packets/s): the contract's --jsonl lines of the replay
 *    benchmark's own results (taken from one replay beforehand) written by the JSONL encoder
 *    alone: no reading, decoding, conntrack or rules.
 */

import { CaptureReader } from '../capture/reader.js';
import { decodeFrame } from '../packet/decode.js';
import { PacketView } from '../packet/view.js';
import { l4ChecksumOk } from '../conntrack/proto/csum.js';
import { Tuple, hashTupleKeyed, tupleFromPacket } from '../conntrack/tuple.js';
import { Replayer } from '../replay/replay.js';
import { JsonlEncoder } from '../replay/jsonl.js';
import type { HostResult } from '../host/host.js';
import { loadInput, readAndDecode } from './capture.js';
import { indexCapture, monotonicSeconds, type PacketIndex } from './conntrack.js';
import { HOST, RULES, benchCapture } from './replay.js';
import type { BenchModule, PreparedBench } from './run.js';

/** The best time of `runs` calls of `fn` (after two warm-up calls), in seconds. */
function best(runs: number, fn: () => number): number {
  let sink = fn() ^ fn();
  let t = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = monotonicSeconds();
    sink ^= fn();
    t = Math.min(t, monotonicSeconds() - t0);
  }
  if (sink === 0.5) console.log(''); // keeps the results alive
  return t;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// ------------------------------------------------------------------------------------------------
// capture

/** Byte order of a classic pcap file's record headers (true: little-endian); null for pcapng. */
function pcapLittleEndian(b: Uint8Array): boolean | null {
  const m = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) return false;
  if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) return true;
  return null;
}

function inclLen(b: Uint8Array, off: number, le: boolean): number {
  return le
    ? (b[off + 8]! | (b[off + 9]! << 8) | (b[off + 10]! << 16) | (b[off + 11]! << 24)) >>> 0
    : ((b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!) >>> 0;
}

/**
 * Touches one byte of every 64-byte line of b[from, to) and returns the position reached: what the
 * capture reader does ahead of its read position (src/capture/bytes.ts, WARM_AHEAD), so that the
 * record-to-record chain of loads finds its lines in cache.
 */
let touchSink = 0;
function touch(b: Uint8Array, from: number, to: number): number {
  let p = from;
  let s = touchSink;
  const end = Math.min(to, b.length);
  while (p < end) {
    s = (s + b[p]!) | 0;
    p += 64;
  }
  touchSink = s;
  return p;
}

/** How far ahead the floors touch (the reader's distance). */
const AHEAD = 8192;

/** The six 5-tuple fields of an Ethernet + IPv4 frame at `p`, read with no validation, folded. */
function rawTuple(b: Uint8Array, p: number, end: number): number {
  if (end - p < 38 || b[p + 12] !== 0x08 || b[p + 13] !== 0x00) return 0;
  const ip = p + 14;
  const l4 = ip + ((b[ip]! & 15) << 2);
  const src = (b[ip + 12]! << 24) | (b[ip + 13]! << 16) | (b[ip + 14]! << 8) | b[ip + 15]!;
  const dst = (b[ip + 16]! << 24) | (b[ip + 17]! << 16) | (b[ip + 18]! << 8) | b[ip + 19]!;
  const sport = (b[l4]! << 8) | b[l4 + 1]!;
  const dport = (b[l4 + 2]! << 8) | b[l4 + 3]!;
  return src ^ dst ^ (sport << 16) ^ dport ^ (b[ip + 9]! << 8);
}

/** What walk() does at each record: touch its IP protocol byte, read the raw 5-tuple, or decode it. */
const TOUCH = 0;
const RAW_TUPLE = 1;
const DECODE = 2;

/**
 * Record to record over a classic pcap file with no reader, doing `work` at each record (with
 * `ahead`, touching the lines ahead as the reader does); returns the packet count for TOUCH, the
 * folded results otherwise.
 */
function walk(b: Uint8Array, le: boolean, ahead: boolean, work: number, view: PacketView, linktype: number): number {
  let off = 24;
  let n = 0;
  let h = 0;
  let warm = 0;
  while (off + 16 <= b.length) {
    if (ahead && warm < off + AHEAD) warm = touch(b, Math.max(warm, off), off + AHEAD);
    const incl = inclLen(b, off, le);
    const p = off + 16;
    if (p + incl > b.length) break;
    if (work === RAW_TUPLE) h = (h + rawTuple(b, p, p + incl)) | 0;
    else if (work === DECODE) {
      const v = decodeFrame(view, b, linktype, p, p + incl);
      h = (h + (v.src[0]! ^ v.dst[0]! ^ (v.sport << 16) ^ v.dport ^ (v.proto << 8))) | 0;
    } else if (incl > 23) h = (h + b[p + 23]!) | 0;
    off = p + incl;
    n++;
  }
  return work === TOUCH ? n + (h & 1) * 0 : h;
}

/** The leading whole records of a classic pcap file, up to `limit` bytes (file header included). */
function leadingRecords(b: Uint8Array, le: boolean, limit: number): Uint8Array {
  let off = 24;
  while (off + 16 <= b.length && off + 16 + inclLen(b, off, le) <= limit) off += 16 + inclLen(b, off, le);
  return b.subarray(0, off);
}

function readerTuple(b: Uint8Array): number {
  const r = new CaptureReader();
  r.push(b);
  r.end();
  let h = 0;
  for (let p = r.next(); p !== null; p = r.next()) h = (h + rawTuple(p.buf, p.offset, p.offset + p.caplen)) | 0;
  return h;
}

function captureFloors(): string[] {
  const { bytes, input } = loadInput();
  const le = pcapLittleEndian(bytes);
  if (le === null) return [`  capture floors: ${input} is not a classic pcap file, skipped`];
  const linktype = le ? bytes[20]! | (bytes[21]! << 8) : (bytes[22]! << 8) | bytes[23]!;
  const view = new PacketView();
  const n = walk(bytes, le, false, TOUCH, view, linktype);
  const rate = (fn: () => number): string => `${fmt(n / best(12, fn))} packets/s`;
  // The same measure over a part of the capture that stays in the caches, repeated: the compute alone.
  const small = leadingRecords(bytes, le, 256 * 1024);
  const smallCount = walk(small, le, false, TOUCH, view, linktype);
  const repeat = Math.max(1, Math.round(n / Math.max(1, smallCount)));
  const inCache = (): number => {
    let h = 0;
    for (let i = 0; i < repeat; i++) h ^= readAndDecode(small, view);
    return h;
  };
  const cacheRate = `${fmt((smallCount * repeat) / best(12, inCache))} packets/s`;
  return [
    `  capture (target 10,000,000 packets/s), ${input}:`,
    `    record to record, no reader, no decode:                    ${rate(() => walk(bytes, le, false, TOUCH, view, linktype))}`,
    `    the same, touching the cache lines ahead (as the reader):  ${rate(() => walk(bytes, le, true, TOUCH, view, linktype))}`,
    `    the same + the 5-tuple read raw (no checks, IPv4 only):    ${rate(() => walk(bytes, le, true, RAW_TUPLE, view, linktype))}`,
    `    the capture reader + the 5-tuple read raw:                 ${rate(() => readerTuple(bytes))}`,
    `    record to record, no reader, + the engine's decode:        ${rate(() => walk(bytes, le, false, DECODE, view, linktype))}`,
    `    the same, touching the cache lines ahead:                  ${rate(() => walk(bytes, le, true, DECODE, view, linktype))}`,
    `    reader + decode over the first 256 KB, in cache, repeated: ${cacheRate}`,
  ];
}

// ------------------------------------------------------------------------------------------------
// conntrack

function decodeVerify(idx: PacketIndex, view: PacketView, hash: boolean, tuple: Tuple): number {
  const { bytes, offset, length, linktype, count } = idx;
  let h = 0;
  for (let i = 0; i < count; i++) {
    const o = offset[i]!;
    decodeFrame(view, bytes, linktype[i]!, o, o + length[i]!);
    if (view.family === 0 || view.l4Off < 0) continue;
    if (l4ChecksumOk(view)) h++;
    if (hash && tupleFromPacket(view, tuple, null)) h = (h + hashTupleKeyed(0x1234567, 0x7654321, tuple, 0)) | 0;
  }
  return h;
}

/** Words per record in the random-walk tables (the store's record size). */
const WALK_RECORD_WORDS = 36;

/**
 * ns per lookup of a minimal dependent walk in a table of `n` entries: a probe picks an entry
 * (LCG), mixes it into a bucket, reads the bucket head, then the record's first word, whose value
 * feeds the next probe (each lookup waits for the one before, as packets do).
 */
function randomWalk(n: number, probes: number): number {
  let buckets = 1;
  while (buckets < n) buckets *= 2;
  const heads = new Int32Array(buckets);
  const records = new Int32Array(n * WALK_RECORD_WORDS);
  for (let i = 0; i < buckets; i++) heads[i] = i % n;
  for (let i = 0; i < n; i++) records[i * WALK_RECORD_WORDS] = i & 7;
  const mask = buckets - 1;
  const walk = (): number => {
    let x = 12345;
    let carry = 0;
    for (let i = 0; i < probes; i++) {
      x = (Math.imul(x, 1103515245) + 12345 + carry) | 0;
      const bucket = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) & mask;
      const rec = heads[bucket]!;
      carry = records[rec * WALK_RECORD_WORDS]!;
    }
    return carry;
  };
  return (best(3, walk) / probes) * 1e9;
}

function conntrackFloors(): string[] {
  const { bytes, input } = loadInput();
  const idx = indexCapture(bytes);
  const view = new PacketView();
  const tuple = new Tuple();
  const ns = (fn: () => number): string => `${((best(8, fn) / idx.count) * 1e9).toFixed(0)} ns/packet`;
  const sizes = [1_000, 1_000_000, 4_000_000].filter((s) => s <= Number(process.env['CTKIT_BENCH_MAX_CONNS'] ?? 4_000_000));
  const walks = sizes.map((s) => [s, randomWalk(s, 4_000_000)] as const);
  return [
    `  conntrack (target 4,000,000 packets/s = 250 ns/packet), ${input}:`,
    `    decode + transport checksum verification:                  ${ns(() => decodeVerify(idx, view, false, tuple))}`,
    `    the same + the keyed tuple hash:                           ${ns(() => decodeVerify(idx, view, true, tuple))}`,
    `    one dependent random lookup (bucket head, then record):    ${walks.map(([s, t]) => `${fmt(s)} entries: ${t.toFixed(1)} ns`).join(', ')}`,
  ];
}

// ------------------------------------------------------------------------------------------------
// replay output

/** An independent copy of a result (the out packets' bytes copied). */
function keep(r: HostResult): HostResult {
  return {
    ...r,
    out: r.out.map((o) => ({ ...o, bytes: o.bytes.slice() })),
    rules: r.rules.slice(),
    events: r.events.slice(),
    log: r.log.slice(),
  };
}

function replayFloors(): string[] {
  const { capture, realistic } = benchCapture();
  const rp = new Replayer({ host: HOST, iptables: RULES, seed: 1 });
  const reader = new CaptureReader({ name: 'bench' });
  reader.push(capture);
  reader.end();
  const results: Array<[string | null, HostResult]> = [];
  const scratch = new JsonlEncoder();
  for (let p = reader.next(); p !== null; p = reader.next()) {
    const iface = p.ifName;
    results.push([iface, keep(rp.feedJsonl(p, scratch))]);
    scratch.take();
  }
  const enc = new JsonlEncoder();
  const encodeAll = (): number => {
    let bytesOut = 0;
    for (let i = 0; i < results.length; i++) {
      const [iface, r] = results[i]!;
      enc.line(i, iface, r);
      if (enc.length >= 1 << 16) bytesOut += enc.take().length;
    }
    return bytesOut + enc.take().length;
  };
  const lineBytes = encodeAll() / results.length;
  const t = best(8, encodeAll);
  return [
    `  end-to-end replay (target 2,000,000 packets/s), ${realistic ? 'the replay benchmark\'s mix' : 'the synthetic replay mix'}:`,
    `    its --jsonl lines alone (${lineBytes.toFixed(0)} bytes each), encoded from kept results: ${fmt(results.length / t)} lines/s`,
  ];
}

export const floorsBench: BenchModule = {
  name: 'floors (this machine at best, next to each target)',
  async prepare(): Promise<PreparedBench> {
    return {
      input: 'partial work only, see src/bench/floors.ts',
      tasks: [],
      async report(): Promise<string[]> {
        return [...captureFloors(), ...conntrackFloors(), ...replayFloors()];
      },
    };
  },
};
