/**
 * Driver of the recorder's packet I/O helper (nsio.py, run with the system Python): sends frames
 * from the endpoint namespaces and raw packets from the router, and collects every frame the
 * router transmits with its kernel timestamp.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ROUTER_NS, SIDE_LIST, type SideName } from './topology.js';

/** A frame the router transmitted, seen on an endpoint's eth0. */
export interface Frame {
  side: SideName;
  /** Kernel receive timestamp (seconds, wall clock): orders frames across interfaces. */
  ts: number;
  bytes: Uint8Array;
  /** performance.now() when the recorder got it. */
  arrived: number;
}

interface Answer {
  ev: string;
  errors?: number[];
  mono?: number;
  msg?: string;
  conntrack?: string[];
  expect?: string[];
  insert_failed?: number;
}

const HELPER = join(dirname(fileURLToPath(import.meta.url)), 'nsio.py');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export class NsIo {
  private readonly child: ChildProcessWithoutNullStreams;
  private partial = '';
  private frames: Frame[] = [];
  private waiting: ((a: Answer) => void)[] = [];
  private failed: string | null = null;
  /** performance.now() of the last frame received. */
  lastFrame = 0;

  private constructor() {
    const sides = SIDE_LIST.map((s) => `${s.name}=${s.ns}`);
    this.child = spawn(PYTHON, [HELPER, ROUTER_NS, ...sides], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => this.onData(d));
    let err = '';
    this.child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    this.child.on('exit', (code) => {
      this.failed = `nsio.py exited (${code}): ${err.trim()}`;
      for (const w of this.waiting.splice(0)) w({ ev: 'error', msg: this.failed });
    });
  }

  /** Starts the helper and waits until its sockets are open. */
  static async start(): Promise<NsIo> {
    const io = new NsIo();
    const a = await io.answer();
    if (a.ev !== 'ready') throw new Error(`nsio.py did not start: ${a.msg ?? a.ev}`);
    return io;
  }

  private onData(d: string): void {
    const parts = (this.partial + d).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) {
      if (!line.trim()) continue;
      const m = JSON.parse(line) as Answer & { side?: SideName; ts?: number; hex?: string };
      if (m.ev === 'frame') {
        this.lastFrame = performance.now();
        this.frames.push({ side: m.side!, ts: m.ts!, bytes: Uint8Array.from(Buffer.from(m.hex!, 'hex')), arrived: this.lastFrame });
      } else {
        this.waiting.shift()?.(m);
      }
    }
  }

  private answer(): Promise<Answer> {
    if (this.failed) return Promise.reject(new Error(this.failed));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private async command(c: Record<string, unknown>): Promise<Answer> {
    const p = this.answer();
    this.child.stdin.write(JSON.stringify(c) + '\n');
    const a = await p;
    if (a.ev === 'error') throw new Error(`nsio.py: ${a.msg}`);
    return a;
  }

  /** Sends an Ethernet frame out of an endpoint's eth0 (at a monotonic time, if given); returns when it was sent. */
  async send(side: SideName, frame: Uint8Array, at: number | null): Promise<number> {
    return (await this.command({ op: 'send', side, frame: Buffer.from(frame).toString('hex'), at })).mono!;
  }

  /** Sends an IP packet from a raw socket of the router (OUTPUT path). */
  async local(ip: Uint8Array, dst: string, at: number | null): Promise<number> {
    return (await this.command({ op: 'local', ip: Buffer.from(ip).toString('hex'), dst, at })).mono!;
  }

  /** Sends a marked UDP packet to the router's loopback (trace synchronisation). */
  async sync(mark: number): Promise<number> {
    return (await this.command({ op: 'sync', mark })).mono!;
  }

  /**
   * Inserts and deletes the dummy conntrack entry (udp 192.0.2.251:9 -> 192.0.2.252:9) through
   * ctnetlink; returns the two errno values (0 = done; ENOMEM/EEXIST when the table refused).
   */
  async ctDummy(): Promise<number[]> {
    return (await this.command({ op: 'ctdummy' })).errors ?? [];
  }

  /** The router's /proc/net/nf_conntrack and nf_conntrack_expect lines. */
  async proc(): Promise<{ conntrack: string[]; expect: string[]; insertFailed: number }> {
    const a = await this.command({ op: 'proc' });
    return { conntrack: a.conntrack ?? [], expect: a.expect ?? [], insertFailed: a.insert_failed ?? 0 };
  }

  /** The frames received since the last call. */
  takeFrames(): Frame[] {
    const f = this.frames;
    this.frames = [];
    return f;
  }

  close(): void {
    if (this.child.exitCode === null) {
      this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
      setTimeout(() => this.child.kill('SIGKILL'), 500).unref();
    }
  }
}
