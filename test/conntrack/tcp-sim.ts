/**
 * Test helper for the TCP tracker: a minimal stand-in for the conntrack core around it, doing
 * what nf_conntrack_in does with the tracker's answers (lookup by tuple in both directions, create
 * on a miss, REPEAT = delete and look up again, kill, SEEN_REPLY after the tracker, refresh and
 * counting only when the tracker asks, expiry) and the events conntrack -E would show (NEW,
 * UPDATE on a state / SEEN_REPLY / ASSURED change or when the tracker flags one, DESTROY), with
 * timeouts printed as the remaining whole seconds. Without NAT the reply tuple is the inverse of
 * the original; a test replaying NATed traffic passes the packet as it left (`natted`).
 */
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { defaultSettings, type ConntrackSettings } from '../../src/conntrack/settings.js';
import { tcpTracker, type TcpState } from '../../src/conntrack/proto/tcp.js';
import { Verdict, type PacketOut } from '../../src/conntrack/tracker.js';
import { CtStatus, Hook } from '../../src/netfilter/context.js';

export interface SimConn {
  status: number;
  proto: TcpState;
  readonly createdAt: number;
  readonly zone: number;
  expiresAt: number;
  /** Packets counted per direction (accounting). */
  readonly packets: [number, number];
  readonly origKey: string;
  readonly replyKey: string;
}

/** How a packet reaches conntrack. */
export interface SendOptions {
  /** Netfilter hook (PREROUTING unless told). */
  hook?: number;
  /** Seconds after the previous packet (default 0.01) ... */
  dt?: number;
  /** ... or the absolute virtual time. */
  at?: number;
  /** The packet as it left the box after NAT: a new entry's reply tuple is its inverse. */
  natted?: Uint8Array;
  /**
   * Sent by the box itself and captured after NAT: when its tuple is unknown but its inverse is
   * an entry's reply tuple, it is that entry's original direction with the source NAT applied.
   */
  afterSnat?: boolean;
  /** False when the packet is dropped before its new entry is confirmed (the entry goes with it). */
  confirm?: boolean;
}

/** What one packet did. */
export interface Step {
  /** Tracker verdict name, or 'ERROR' when error() refused the packet, 'NOENTRY' when create() did. */
  verdict: 'ACCEPT' | 'INVALID' | 'ERROR' | 'NOENTRY';
  error: string | null;
  /** The packet's ctstate as rules see it. */
  ctstate: 'new' | 'established' | 'invalid';
  /** The packet's connection after it (null when none or deleted). */
  conn: SimConn | null;
  /** State name of that connection ('' when none). */
  state: string;
  /** Remaining whole seconds of that connection (-1 when none). */
  timeout: number;
  /** "NEW SYN_SENT 120", "UPDATE ESTABLISHED 432000", "DESTROY CLOSE 10". */
  events: string[];
  /** Whether the packet was counted on its connection. */
  counted: boolean;
  /** Whether a REPEAT happened (the old entry was replaced). */
  repeated: boolean;
}

const VERDICT_NAMES = new Map<number, Step['verdict']>([
  [Verdict.ACCEPT, 'ACCEPT'],
  [Verdict.INVALID, 'INVALID'],
]);

export class TcpSim {
  readonly s: ConntrackSettings;
  /** Virtual time (s) of the last packet. */
  now = 0;
  private readonly table = new Map<string, { conn: SimConn; dir: 0 | 1 }>();
  private readonly view = new PacketView();
  private readonly out: PacketOut = { timeout: -1, kill: false, protoEvent: false };
  private opts: SendOptions = {};

  constructor(settings: Partial<ConntrackSettings> = {}) {
    this.s = { ...defaultSettings(), ...settings };
  }

  /** Number of live entries. */
  get size(): number {
    return new Set([...this.table.values()].map((e) => e.conn)).size;
  }

  /** The entry a packet belongs to, if any. */
  lookup(pkt: Uint8Array): { conn: SimConn; dir: 0 | 1 } | undefined {
    return this.table.get(keyOf(decodeIp(new PacketView(), pkt)));
  }

  /** Sends an IP packet (by default 10 ms after the previous one, at PREROUTING). */
  send(pkt: Uint8Array, opts: SendOptions = {}): Step {
    return this.sendView(decodeIp(this.view, pkt), opts);
  }

  /** As send, for an already decoded packet. */
  sendView(v: PacketView, opts: SendOptions = {}): Step {
    this.now = opts.at ?? this.now + (opts.dt ?? 0.01);
    this.expire();
    this.opts = opts;
    const step: Step = {
      verdict: 'ACCEPT',
      error: null,
      ctstate: 'invalid',
      conn: null,
      state: '',
      timeout: -1,
      events: [],
      counted: false,
      repeated: false,
    };
    const hook = opts.hook ?? Hook.PREROUTING;
    const err = tcpTracker.error(v, hook, this.s);
    if (err !== null) {
      step.verdict = 'ERROR';
      step.error = err;
      return this.finish(step, this.table.get(keyOf(v))?.conn ?? null);
    }
    for (;;) {
      const key = this.keyFor(v);
      const found = this.table.get(key);
      if (found) return this.onExisting(step, v, found.conn, found.dir, hook);
      const created = this.onNew(step, v, key, hook);
      if (created !== 'repeat') return created;
    }
  }

  private onNew(step: Step, v: PacketView, key: string, hook: number): Step | 'repeat' {
    const st = tcpTracker.create(v, this.s, this.now);
    if (st === null) {
      step.verdict = 'NOENTRY';
      return this.finish(step, null);
    }
    const conn: SimConn = {
      status: 0,
      proto: st,
      createdAt: this.now,
      zone: 0,
      expiresAt: this.now,
      packets: [0, 0],
      origKey: key,
      replyKey: invertKey(this.opts.natted ? keyOf(decodeIp(new PacketView(), this.opts.natted)) : key),
    };
    const verdict = this.runTracker(conn, v, 0, hook);
    if (verdict !== 'ACCEPT') {
      step.verdict = verdict;
      return this.finish(step, null);
    }
    step.ctstate = 'new';
    this.account(step, conn, 0);
    if (this.opts.confirm === false) return this.finish(step, null);
    step.events.push(this.describe('NEW', conn));
    if (this.out.kill) {
      step.events.push(this.describe('DESTROY', conn));
      return this.finish(step, null);
    }
    this.table.set(conn.origKey, { conn, dir: 0 });
    this.table.set(conn.replyKey, { conn, dir: 1 });
    return this.finish(step, conn);
  }

  private onExisting(step: Step, v: PacketView, conn: SimConn, dir: 0 | 1, hook: number): Step {
    const before = { state: tcpTracker.stateName(conn.proto), status: conn.status };
    const out = this.out;
    const verdict = this.callTracker(conn, v, dir, hook);
    if (verdict === Verdict.REPEAT) {
      step.events.push(this.describe('DESTROY', conn));
      this.remove(conn);
      step.repeated = true;
      const again = this.onNew(step, v, this.keyFor(v), hook);
      if (again === 'repeat') throw new Error('REPEAT on a fresh entry');
      return again;
    }
    if (verdict === Verdict.INVALID) {
      if (out.timeout >= 0) conn.expiresAt = this.now + out.timeout;
      step.verdict = 'INVALID';
      return this.finish(step, conn);
    }
    step.ctstate = dir === 1 || conn.status & CtStatus.SEEN_REPLY ? 'established' : 'new';
    if (out.timeout >= 0) conn.expiresAt = this.now + out.timeout;
    this.account(step, conn, dir);
    if (out.kill) {
      step.events.push(this.describe('DESTROY', conn));
      this.remove(conn);
      return this.finish(step, null);
    }
    if (dir === 1) conn.status |= CtStatus.SEEN_REPLY;
    const changedBits = conn.status & ~before.status & (CtStatus.SEEN_REPLY | CtStatus.ASSURED);
    if (out.protoEvent || changedBits || before.state !== tcpTracker.stateName(conn.proto)) {
      step.events.push(this.describe('UPDATE', conn));
    }
    return this.finish(step, conn);
  }

  /** Calls the tracker with a reset out object, as the table does. */
  private callTracker(conn: SimConn, v: PacketView, dir: 0 | 1, hook: number): number {
    this.out.timeout = -1;
    this.out.kill = false;
    this.out.protoEvent = false;
    return tcpTracker.packet(conn, v, { dir, hook, now: this.now }, this.s, this.out);
  }

  /** Runs the tracker on a fresh entry (direction original). */
  private runTracker(conn: SimConn, v: PacketView, dir: 0 | 1, hook: number): Step['verdict'] {
    const verdict = this.callTracker(conn, v, dir, hook);
    if (verdict === Verdict.REPEAT) throw new Error('REPEAT on a fresh entry');
    if (this.out.timeout >= 0) conn.expiresAt = this.now + this.out.timeout;
    return VERDICT_NAMES.get(verdict) ?? 'INVALID';
  }

  private account(step: Step, conn: SimConn, dir: 0 | 1): void {
    if (this.out.timeout >= 0 || this.out.kill) {
      conn.packets[dir]++;
      step.counted = true;
    }
  }

  private finish(step: Step, conn: SimConn | null): Step {
    step.conn = conn;
    step.state = conn ? tcpTracker.stateName(conn.proto) : '';
    step.timeout = conn ? this.remaining(conn) : -1;
    return step;
  }

  private describe(type: string, conn: SimConn): string {
    return `${type} ${tcpTracker.stateName(conn.proto)} ${this.remaining(conn)}`;
  }

  /** The table key a packet looks up (see SendOptions.afterSnat). */
  private keyFor(v: PacketView): string {
    const key = keyOf(v);
    if (!this.opts.afterSnat || this.table.has(key)) return key;
    const inverse = this.table.get(invertKey(key));
    return inverse?.dir === 1 ? inverse.conn.origKey : key;
  }

  private remaining(conn: SimConn): number {
    return Math.max(0, Math.floor(conn.expiresAt - this.now + 1e-9));
  }

  private remove(conn: SimConn): void {
    this.table.delete(conn.origKey);
    this.table.delete(conn.replyKey);
  }

  private expire(): void {
    for (const { conn } of this.table.values()) if (conn.expiresAt <= this.now) this.remove(conn);
  }
}

function keyOf(v: PacketView): string {
  return `${v.family}|${v.src.join(',')}|${v.dst.join(',')}|${v.sport}|${v.dport}`;
}

function invertKey(k: string): string {
  const [f, s, d, sp, dp] = k.split('|');
  return `${f}|${d}|${s}|${dp}|${sp}`;
}
