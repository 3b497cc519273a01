/**
 * Capture benchmark: reading packets (src/capture) and decoding each to its 5-tuple
 * (src/packet/decode.ts), from memory and streamed from a file.
 *
 * Input: the realistic mix made by ../shared/bench/make_mix_pcap.sh (/tmp/mixbench/mix.pcap, or
 * the file named by CTKIT_BENCH_PCAP) when it exists; otherwise a synthetic mix built in memory with
 * the packet builder (TCP connections over IPv4 and IPv6, DNS-like UDP pairs, ICMP echo), written to
 * a temporary file for the file task. The output says which.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReader } from '../capture/reader.js';
import type { CapturedPacket } from '../capture/record.js';
import { writePcap, writePcapng, type PacketToWrite } from '../capture/writer.js';
import { readAll } from '../capture/reader.js';
import { ethernet, icmpEcho, ipv4, ipv6, tcp, udp, type Segment } from '../packet/build.js';
import { decodeFrame } from '../packet/decode.js';
import { LinkType, PacketView } from '../packet/view.js';
import { fileChunks } from '../cli/io.js';
import type { BenchModule, PreparedBench } from './run.js';

const MIX_PCAP = process.env['CTKIT_BENCH_PCAP'] ?? '/tmp/mixbench/mix.pcap';

/** Folds a decoded packet's 5-tuple into a number, so the work cannot be optimised away. */
function tupleHash(v: PacketView): number {
  return (v.src[0]! ^ v.src[3]! ^ v.dst[0]! ^ v.dst[3]! ^ (v.sport << 16) ^ v.dport ^ (v.proto << 8)) | 0;
}

/**
 * Reads every packet of `bytes`, decoding each to its 5-tuple in place (decodeFrame with the
 * reader's buffer and offset: no per-packet subarray); returns the folded tuples.
 */
export function readAndDecode(bytes: Uint8Array, view: PacketView): number {
  const r = new CaptureReader();
  r.push(bytes);
  r.end();
  let h = 0;
  for (let p = r.next(); p !== null; p = r.next()) {
    const o = p.offset;
    h = (h + tupleHash(decodeFrame(view, p.buf, p.linktype, o, o + p.caplen))) | 0;
  }
  return h;
}

/** As readAndDecode through the record's `data` (a subarray per packet), for comparison. */
function readAndDecodeSubarray(bytes: Uint8Array, view: PacketView): number {
  const r = new CaptureReader();
  r.push(bytes);
  r.end();
  let h = 0;
  for (let p = r.next(); p !== null; p = r.next()) h = (h + tupleHash(decodeFrame(view, p.data, p.linktype))) | 0;
  return h;
}

/** Reads every packet of `bytes` without decoding. */
function readOnly(bytes: Uint8Array): number {
  const r = new CaptureReader();
  r.push(bytes);
  r.end();
  let h = 0;
  for (let p = r.next(); p !== null; p = r.next()) h = (h + p.caplen + p.tsNsec) | 0;
  return h;
}

async function readFileAndDecode(path: string, view: PacketView): Promise<number> {
  const r = new CaptureReader({ name: path });
  let h = 0;
  const drain = (): void => {
    for (let p: CapturedPacket | null = r.next(); p !== null; p = r.next()) {
      const o = p.offset;
      h = (h + tupleHash(decodeFrame(view, p.buf, p.linktype, o, o + p.caplen))) | 0;
    }
  };
  for await (const chunk of fileChunks(path)) {
    r.push(chunk);
    drain();
  }
  r.end();
  drain();
  return h;
}

// ---- synthetic mix ----

function frame(ts: number, l3: Uint8Array): PacketToWrite {
  const data = ethernet({ payload: l3, pad: true });
  return { tsSec: Math.floor(ts), tsNsec: Math.round((ts % 1) * 1e6) * 1000, data };
}

function tcpConnection(out: PacketToWrite[], t: number, i: number, v6: boolean): void {
  const c = v6 ? `fd00:1::${(i % 250) + 2}` : `10.0.1.${(i % 250) + 2}`;
  const s = v6 ? 'fd00:2::5' : '10.0.2.5';
  const sport = 32768 + (i % 28000);
  const ip = (src: string, dst: string, seg: Segment): Uint8Array =>
    v6 ? ipv6({ src, dst, payload: seg }) : ipv4({ src, dst, payload: seg, df: true });
  const cs = (flags: string, seq: number, ack: number, payload?: Uint8Array): Uint8Array =>
    ip(c, s, tcp({ sport, dport: 80, flags, seq, ack, win: 64240, payload }));
  const sc = (flags: string, seq: number, ack: number, payload?: Uint8Array): Uint8Array =>
    ip(s, c, tcp({ sport: 80, dport: sport, flags, seq, ack, win: 65160, payload }));
  const req = new Uint8Array(120).fill(0x41);
  const seg = new Uint8Array(1448).fill(0x42);
  const steps = [
    cs('S', 1000, 0),
    sc('SA', 5000, 1001),
    cs('.', 1001, 5001),
    cs('PA', 1001, 5001, req),
    sc('.', 5001, 1121),
    sc('.', 5001, 1121, seg),
    sc('.', 6449, 1121, seg),
    sc('PA', 7897, 1121, seg),
    cs('.', 1121, 9345),
    sc('FA', 9345, 1121),
    cs('FA', 1121, 9346),
    sc('.', 9346, 1122),
  ];
  steps.forEach((l3, k) => out.push(frame(t + k * 0.0001, l3)));
}

function syntheticMix(): PacketToWrite[] {
  const out: PacketToWrite[] = [];
  let t = 1_700_000_000;
  for (let i = 0; i < 5000; i++, t += 0.002) tcpConnection(out, t, i, i % 10 === 9);
  for (let i = 0; i < 15000; i++, t += 0.0005) {
    const sport = 20000 + (i % 40000);
    const q = udp({ sport, dport: 53, payload: new Uint8Array(33).fill(1) });
    const a = udp({ sport: 53, dport: sport, payload: new Uint8Array(49).fill(2) });
    out.push(frame(t, ipv4({ src: '10.0.1.7', dst: '10.0.2.53', payload: q })));
    out.push(frame(t + 0.0001, ipv4({ src: '10.0.2.53', dst: '10.0.1.7', payload: a })));
  }
  for (let i = 0; i < 5000; i++, t += 0.001) {
    out.push(frame(t, ipv4({ src: '10.0.1.9', dst: '10.0.2.5', payload: icmpEcho({ id: 7, seq: i, payload: new Uint8Array(56) }) })));
    out.push(frame(t + 0.0001, ipv4({ src: '10.0.2.5', dst: '10.0.1.9', payload: icmpEcho({ id: 7, seq: i, reply: true, payload: new Uint8Array(56) }) })));
  }
  return out;
}

/** The benchmark capture: the realistic mix when present, else the synthetic mix (the text says which). */
export function loadInput(): { bytes: Uint8Array; path: string; input: string } {
  if (existsSync(MIX_PCAP)) {
    const bytes = new Uint8Array(readFileSync(MIX_PCAP));
    return { bytes, path: MIX_PCAP, input: `${MIX_PCAP} (realistic mix, ${(bytes.length / 1e6).toFixed(1)} MB)` };
  }
  const packets = syntheticMix();
  const bytes = writePcap(packets, { linktype: LinkType.ETHERNET });
  const path = join(tmpdir(), 'ctkit-bench-synthetic-mix.pcap');
  writeFileSync(path, bytes);
  return {
    bytes,
    path,
    input: `synthetic mix built in memory (${MIX_PCAP} absent; make it with ../shared/bench/make_mix_pcap.sh), ${(bytes.length / 1e6).toFixed(1)} MB, also written to ${path}`,
  };
}

export const captureBench: BenchModule = {
  name: 'capture',
  async prepare(): Promise<PreparedBench> {
    const { bytes, path, input } = loadInput();
    const view = new PacketView();
    const packets = new CaptureReader();
    packets.push(bytes);
    packets.end();
    let n = 0;
    while (packets.next() !== null) n++;
    // The same packets as pcapng (nanosecond EPBs), to measure that format too.
    const ng = writePcapng(readAll(bytes).map((p) => ({ ...p, data: p.data, linktype: p.linktype, ifIndex: 0, ifName: 'bench' })));
    let sink = 0;
    return {
      input: `${input}, ${n.toLocaleString('en-US')} packets`,
      tasks: [
        { name: 'read only, from memory', items: n, unit: 'packets', fn: () => void (sink ^= readOnly(bytes)) },
        {
          name: 'read + decode to 5-tuple, from memory',
          items: n,
          unit: 'packets',
          target: 10e6,
          fn: () => void (sink ^= readAndDecode(bytes, view)),
        },
        { name: 'read only, same packets as pcapng, from memory', items: n, unit: 'packets', fn: () => void (sink ^= readOnly(ng)) },
        {
          name: 'read + decode to 5-tuple, same packets as pcapng',
          items: n,
          unit: 'packets',
          fn: () => void (sink ^= readAndDecode(ng, view)),
        },
        {
          name: 'read + decode through p.data (a subarray per packet)',
          items: n,
          unit: 'packets',
          fn: () => void (sink ^= readAndDecodeSubarray(bytes, view)),
        },
        {
          name: 'read + decode to 5-tuple, streamed from the file',
          items: n,
          unit: 'packets',
          fn: async () => void (sink ^= await readFileAndDecode(path, view)),
        },
      ],
    };
  },
};
