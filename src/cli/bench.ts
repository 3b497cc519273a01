/**
 * `ctkit bench conntrack CAPTURE [--repeat N]`
 *
 * Loads the capture into memory, then times only the conntrack work over every packet (decode,
 * lookup / insert, protocol tracker, confirm) as one forwarding hook with default sysctls: each
 * packet is tracked at PREROUTING (checksums verified, as the kernel does there) and confirmed
 * at once. Prints exactly one line:
 *
 *   packets=N seconds=S pps=P ns_per_packet=X connections=C
 *
 * N counts every packet of every repetition, S the seconds spent in the timed loops, C the entries
 * in the table after a pass. Each repetition starts from an empty table (the capture's clock
 * cannot run twice through one table).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { conntrackPass, indexCapture, monotonicSeconds } from '../bench/conntrack.js';
import { CliError, runAction } from './errors.js';
import { Output } from './io.js';

export interface BenchConntrackOptions {
  repeat?: string;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('performance measures');
  bench
    .command('conntrack')
    .description('time the conntrack work alone over a capture held in memory (one line: packets, seconds, pps, ns per packet, connections)')
    .argument('<capture>', 'pcap or pcapng file')
    .option('--repeat <n>', 'passes over the capture (each from an empty table)', '1')
    .action(
      runAction(async (capture: string, options: BenchConntrackOptions) => {
        const line = benchConntrack(capture, options);
        await new Output().write(`${line}\n`);
      }),
    );
}

/** Runs the measure and returns the result line. */
export function benchConntrack(capture: string, options: BenchConntrackOptions): string {
  const repeat = Number(options.repeat ?? '1');
  if (!Number.isInteger(repeat) || repeat < 1) throw new CliError(`--repeat: a positive whole number expected, got ${JSON.stringify(options.repeat)}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(capture));
  } catch (e) {
    throw new CliError(`${capture}: ${(e as Error).message}`);
  }
  const idx = indexCapture(bytes, capture);
  let packets = 0;
  let seconds = 0;
  let connections = 0;
  for (let i = 0; i < repeat; i++) {
    const r = conntrackPass(idx, monotonicSeconds);
    packets += r.packets;
    seconds += r.seconds;
    connections = r.connections;
  }
  const pps = seconds > 0 ? packets / seconds : 0;
  const ns = packets > 0 ? (seconds / packets) * 1e9 : 0;
  return `packets=${packets} seconds=${seconds.toFixed(6)} pps=${Math.round(pps)} ns_per_packet=${ns.toFixed(1)} connections=${connections}`;
}
