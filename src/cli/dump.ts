/**
 * `ctkit dump CAPTURE [--jsonl]`: one line per packet, like `tcpdump -r`:
 *
 *   05:06:09.123456789 r_cli IP 10.0.1.100.40000 > 10.0.2.100.80: Flags [S], seq 1000, win 64240, length 0
 *
 * (time of day in UTC to the nanosecond, the interface name or, without one, its number, then the
 * packet as tcpdump prints it), or with --jsonl one JSON object per packet:
 *
 *   {"i":1,"ts":"1700000000.123456789","iface":"r_cli","linktype":1,"caplen":74,"len":74,"summary":"IP ..."}
 *
 * A packet without a timestamp (pcapng simple packet block) shows "--:--:--.---------" and "ts":null.
 * The file is streamed: a capture of any size is dumped with bounded memory. Packets before a
 * damaged part are printed, then the error.
 */

import type { Command } from 'commander';
import { CaptureReader } from '../capture/reader.js';
import type { CapturedPacket } from '../capture/record.js';
import { decodeFrame } from '../packet/decode.js';
import { summarize } from '../packet/summary.js';
import { PacketView } from '../packet/view.js';
import { runAction } from './errors.js';
import { fileChunks, Output, type TextSink } from './io.js';

export interface DumpOptions {
  jsonl?: boolean;
}

export function registerDump(program: Command): void {
  program
    .command('dump')
    .description('print the packets of a pcap or pcapng capture, one line each (like tcpdump -r)')
    .argument('<capture>', 'pcap or pcapng file')
    .option('--jsonl', 'one JSON object per packet: i, ts, iface, linktype, caplen, len, summary')
    .action(runAction(async (capture: string, options: DumpOptions) => {
      await dumpFile(capture, options, new Output());
    }));
}

/** Dumps a capture file to `out`; resolves with the number of packets. */
export async function dumpFile(path: string, options: DumpOptions, out: TextSink): Promise<number> {
  const reader = new CaptureReader({ name: path });
  const format = options.jsonl ? jsonLine : textLine;
  const view = new PacketView();
  const lines: string[] = [];
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    lines.length = 0;
    await out.write(text);
  };
  const drain = async (): Promise<void> => {
    try {
      for (let p = reader.next(); p !== null; p = reader.next()) lines.push(format(p, summarize(decodeFrame(view, p.data, p.linktype))));
    } finally {
      await flush();
    }
  };
  for await (const chunk of fileChunks(path)) {
    reader.push(chunk);
    await drain();
  }
  reader.end();
  await drain();
  return reader.packetCount;
}

/** Interface label: its name, or its number when it has none. */
function ifaceLabel(p: CapturedPacket): string {
  return p.ifName ?? String(p.ifIndex);
}

export function textLine(p: CapturedPacket, summary: string): string {
  const time = p.hasTimestamp ? timeOfDay(p.tsSec, p.tsNsec) : '--:--:--.---------';
  return `${time} ${ifaceLabel(p)} ${summary}`;
}

export function jsonLine(p: CapturedPacket, summary: string): string {
  return JSON.stringify({
    i: p.index,
    ts: p.hasTimestamp ? epochString(p.tsSec, p.tsNsec) : null,
    iface: p.ifName ?? p.ifIndex,
    linktype: p.linktype,
    caplen: p.caplen,
    len: p.origLen,
    summary,
  });
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** HH:MM:SS.nnnnnnnnn in UTC. */
export function timeOfDay(sec: number, nsec: number): string {
  const s = ((sec % 86400) + 86400) % 86400;
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad(nsec, 9)}`;
}

/** Exact decimal seconds since the epoch with 9 decimals (sec + nsec / 1e9, also when sec < 0). */
export function epochString(sec: number, nsec: number): string {
  if (sec >= 0 || nsec === 0) return `${sec}.${pad(nsec, 9)}`;
  return `-${-(sec + 1)}.${pad(1_000_000_000 - nsec, 9)}`;
}
