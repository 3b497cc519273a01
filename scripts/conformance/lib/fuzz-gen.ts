/**
 * The differential fuzzer's scenario generator: a pure function of a 32-bit seed that returns a
 * recorder scenario on the recorder's network (raw hosts 10.0.1.100-254 behind r_cli,
 * 10.0.2.100-254 behind r_srv, 203.0.113.100-254 and off-link hosts behind r_wan, the router's own
 * addresses): a random but realistic ruleset (lib/fuzz-rules.ts), conntrack sysctls, and traffic:
 *
 * - TCP conversations kept seq/ack consistent by a small model of both ends (what each end sent,
 *   received in order and out of order, and has acknowledged), perturbed on the way: segments lost
 *   before the router or after it (then retransmitted), duplicated, reordered, SACK blocks, window
 *   scaling, zero windows and probes, keepalives, out-of-window and old segments, acks of unsent
 *   data, odd flag combinations, RSTs with exact / in-window / out-of-window sequence numbers, SYN
 *   retransmissions with a new ISN, refused or unanswered SYNs, closes of every kind, a new SYN on
 *   a closed or TIME_WAIT tuple, bad checksums, truncated headers;
 * - UDP flows (requests, replies, streams, replies from the wrong port, bad / zero checksums, bad
 *   lengths), ICMP echo (to hosts and to the router), ICMP errors quoting the flows as the error's
 *   sender saw them (after NAT) or garbled (wrong ports, swapped addresses, short quotes, bad
 *   checksums);
 * - packets for the router itself and through REDIRECT, the router's own packets (local), junk
 *   (bad IP checksum, truncated, trailing bytes, unknown protocols, IP options, TTL 1, fragments);
 * - pauses that cross the shortened timeouts.
 *
 * Everything is built with src/packet/build.ts (through scripts/conformance/lib/craft.ts); no
 * clock, no Math.random: the same seed always gives the same scenario.
 */

import { fragmentIpv4, icmp, icmpError, ipv4, tcp, udp, type TcpOptions } from '../../../src/packet/build.js';
import { echo4, R_CLI, R_SRV, R_WAN, udp4 } from './craft.js';
import { genFilter, genNat, renderRuleset, type FuzzRuleset, type NatPlan, type Service } from './fuzz-rules.js';
import { Rng } from './fuzz-rng.js';
import type { ScenarioSpec, StepSpec } from './scenario.js';

export type Iface = 'r_cli' | 'r_srv' | 'r_wan';

/** One step of a generated scenario: a packet (arriving on an interface or sent by the router) or a pause. */
export interface FuzzStep {
  /** Ingress interface; absent for a packet sent by a local process of the router. */
  iface?: Iface;
  packet?: Uint8Array;
  sleep?: number;
  /** What the generator meant by it (e.g. `tcp c data lost-after`): used in notes and divergence signatures. */
  kind: string;
  /** Flow id (t1, u2, i3, j4, ...). */
  flow: string;
}

/** A generated scenario, still abstract enough to be minimised (steps, rules, sysctls). */
export interface FuzzScenario {
  seed: number;
  name: string;
  description: string;
  tags: string[];
  ruleset: FuzzRuleset;
  sysctls: Record<string, number>;
  steps: FuzzStep[];
  /** Pauses cross a shortened timeout: expiry [DESTROY] lines are not compared (reaped at random times). */
  ignoreDestroy: boolean;
}

export interface GenOptions {
  /** Most packets in the scenario (default 40). */
  maxPackets?: number;
  name?: string;
}

// ------------------------------------------------------------------------------------------------
// addresses

const ROUTER_ADDRS = [R_CLI, R_SRV, R_WAN];
const ifaceOf = (addr: string): Iface | 'router' =>
  ROUTER_ADDRS.includes(addr) ? 'router' : addr.startsWith('10.0.1.') ? 'r_cli' : addr.startsWith('10.0.2.') ? 'r_srv' : 'r_wan';

/** Distinct raw hosts and ports for one scenario. */
class Pool {
  private used = new Set<string>();
  private ports = new Set<number>();
  constructor(private readonly rng: Rng) {}

  private fresh(make: () => string): string {
    for (;;) {
      const a = make();
      if (!this.used.has(a)) {
        this.used.add(a);
        return a;
      }
    }
  }
  lan(): string {
    return this.fresh(() => `10.0.1.${this.rng.int(100, 254)}`);
  }
  dmz(): string {
    return this.fresh(() => `10.0.2.${this.rng.int(100, 254)}`);
  }
  wan(): string {
    return this.fresh(() =>
      this.rng.weighted([
        [`203.0.113.${this.rng.int(100, 250)}`, 3],
        [`198.51.100.${this.rng.int(2, 250)}`, 5],
        [`192.0.2.${this.rng.int(2, 200)}`, 2],
      ]),
    );
  }
  /** An ephemeral port not used by any other flow of the scenario (no NAT clash, deterministic ports). */
  eph(): number {
    for (;;) {
      const p = this.rng.int(20000, 60999);
      if (!this.ports.has(p)) {
        this.ports.add(p);
        return p;
      }
    }
  }
}

/** How one flow looks from each end (NAT). */
interface Path {
  proto: 'tcp' | 'udp' | 'icmp';
  /** The client: real address, ingress interface of its packets ('local': the router itself). */
  cAddr: string;
  cIface: Iface | 'local';
  cport: number;
  /** Where the client sends (before DNAT). */
  dAddr: string;
  dport: number;
  /** The server's real address and port, and the interface its packets arrive on. */
  sAddr: string;
  sport: number;
  sIface: Iface | 'local';
  /** The client as the server sees it (after source NAT). */
  pAddr: string;
  pport: number;
  /** The router answers itself (local destination, REDIRECT): the server side sends nothing. */
  sink: boolean;
  notracked: boolean;
  nat: string[];
}

function pathOf(nat: NatPlan, proto: 'tcp' | 'udp' | 'icmp', cAddr: string, cIface: Iface | 'local', cport: number, dAddr: string, dport: number): Path {
  const p: Path = { proto, cAddr, cIface, cport, dAddr, dport, sAddr: dAddr, sport: dport, sIface: 'r_wan', pAddr: cAddr, pport: cport, sink: false, notracked: false, nat: [] };
  const dIf = ifaceOf(dAddr);
  p.notracked = cIface !== 'local' && proto !== 'icmp' && nat.notrack.some((n) => n.proto === proto && n.port === dport);
  if (dIf === 'router') {
    const dn = nat.dnat.find((d) => d.proto === proto && d.pub === dport);
    if (dn && cIface === 'r_wan' && dAddr === R_WAN && !p.notracked) {
      p.sAddr = dn.to;
      p.sport = dn.toPort;
      p.sIface = 'r_srv';
      p.nat.push('dnat');
    } else {
      p.sink = true;
      p.sIface = 'local';
      return p;
    }
  } else {
    p.sIface = dIf;
    const rd = nat.redirect.find((r) => r.proto === proto && r.port === dport);
    if (rd && cIface === 'r_cli' && !p.notracked) {
      p.sink = true;
      p.sIface = 'local';
      p.nat.push('redirect');
      return p;
    }
  }
  if (p.sIface === 'r_wan' && nat.snat && !p.notracked && cIface !== 'local' && cIface !== 'r_wan' && (nat.snat.from === 'all' || cAddr.startsWith('10.0.1.'))) {
    p.pAddr = R_WAN;
    p.nat.push(nat.snat.kind.toLowerCase());
  }
  if (cIface === 'local') p.cAddr = p.pAddr = cAddr;
  return p;
}

// ------------------------------------------------------------------------------------------------
// packet helpers

const fill = (n: number, k: number): string => {
  const base = `fz${k}-abcdefghijklmnopqrstuvwxyz0123456789`;
  let s = '';
  while (s.length < n) s += base;
  return s.slice(0, n);
};

interface Tcp4 {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  flags: string;
  seq: number;
  ack: number;
  win: number;
  payload?: string;
  options?: TcpOptions;
  checksum?: 'bad';
  ttl?: number;
  id: number;
  df?: boolean;
  dataOffset?: number;
}

function tcpPkt(o: Tcp4): Uint8Array {
  const seg = tcp({ sport: o.sport, dport: o.dport, flags: o.flags, seq: o.seq >>> 0, ack: o.ack >>> 0, win: o.win, payload: o.payload, options: o.options, checksum: o.checksum, dataOffset: o.dataOffset });
  return ipv4({ src: o.src, dst: o.dst, ttl: o.ttl ?? 64, id: o.id & 0xffff, df: o.df ?? true, payload: seg });
}

/** Rewrites the IPv4 header checksum after a header change. */
function fixIpCsum(p: Uint8Array): Uint8Array {
  const hl = (p[0]! & 15) * 4;
  p[10] = p[11] = 0;
  let s = 0;
  for (let k = 0; k < hl; k += 2) s += (p[k]! << 8) | p[k + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  p[10] = c >> 8;
  p[11] = c & 0xff;
  return p;
}

/** The same IPv4 packet as the next hop sees it (TTL one less). */
function hop(p: Uint8Array): Uint8Array {
  const q = Uint8Array.from(p);
  q[8] = Math.max(0, q[8]! - 1);
  return fixIpCsum(q);
}

// ------------------------------------------------------------------------------------------------
// the generator

type Fate = 'ok' | 'lost-before' | 'lost-after' | 'dup';

interface Ctx {
  rng: Rng;
  pool: Pool;
  nat: NatPlan;
  sysctls: Record<string, number>;
  /** Perturbation level: 0 calm, 1 some, 2 a lot. */
  chaos: number;
  tags: Set<string>;
  /** Short timeouts exist (pauses may cross them). */
  shortTimeouts: number[];
  /** Only what a real pair of TCP stacks would do (loss, duplicates, reordering, retransmissions): no odd packets. */
  clean?: boolean;
  /** Conntrack helpers the ruleset assigns (an FTP payload is rewritten only with the helper). */
  helpers?: Set<string>;
}

class Flow {
  readonly steps: FuzzStep[] = [];
  constructor(
    readonly id: string,
    protected readonly ctx: Ctx,
  ) {}

  protected push(iface: Iface | 'local', packet: Uint8Array, kind: string): void {
    this.steps.push(iface === 'local' ? { packet, kind, flow: this.id } : { iface, packet, kind, flow: this.id });
  }

  protected pause(kind = 'pause'): void {
    const { rng, shortTimeouts } = this.ctx;
    if (!shortTimeouts.length) return;
    // mostly cross a short timeout by a clear margin, sometimes stay clearly below it
    const t = rng.pick(shortTimeouts);
    const s = rng.chance(0.75) ? t + rng.pick([0.6, 1.1, 1.6]) : Math.max(0.3, t - rng.pick([0.5, 0.7]));
    this.steps.push({ sleep: Math.round(s * 10) / 10, kind, flow: this.id });
    this.ctx.tags.add('pause');
  }

  get packets(): number {
    return this.steps.filter((s) => s.packet).length;
  }
}

/** One end of a TCP conversation. */
interface End {
  name: 'c' | 's';
  addr: string;
  port: number;
  dst: string;
  dport: number;
  iface: Iface | 'local';
  isn: number;
  nxt: number;
  una: number;
  /** Next in-order sequence number expected from the peer (null before its SYN). */
  rcv: number | null;
  /** Out-of-order ranges received from the peer. */
  ooo: [number, number][];
  wscale: number | null;
  sack: boolean;
  ts: boolean;
  tsval: number;
  /** Receive window in bytes. */
  rwin: number;
  /** The peer's window in bytes as last advertised. */
  pwin: number;
  ipId: number;
  ttl: number;
  unacked: { seq: number; len: number; flags: string; payload: string }[];
  finSent: boolean;
  finRcvd: boolean;
}

const add32 = (a: number, b: number): number => (a + b) >>> 0;
const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;

class TcpFlow extends Flow {
  private c!: End;
  private s!: End;
  private scaled = false;
  /** NAT sequence adjustment: how much later the server sees the client's bytes (and the client the server's), after a helper rewrote a payload. */
  c2s = 0;
  s2c = 0;
  private sackOk = false;
  private tsOk = false;
  private k = 0;
  private closed = false;

  constructor(
    id: string,
    ctx: Ctx,
    private readonly p: Path,
    private readonly budget: number,
  ) {
    super(id, ctx);
    this.reset();
  }

  private end(name: 'c' | 's', isn: number): End {
    const { rng } = this.ctx;
    const p = this.p;
    const rwin = rng.weighted([[65535, 3], [64240, 3], [29200, 2], [131072, 2], [262144, 1], [8192, 1], [2000, 1]] as const);
    const common = { isn, nxt: isn, una: isn, rcv: null, ooo: [], wscale: null, sack: false, ts: false, tsval: rng.int(1, 1e9), rwin, pwin: 65535, ipId: rng.int(1, 60000), ttl: 64, unacked: [], finSent: false, finRcvd: false };
    return name === 'c'
      ? { name, addr: p.cAddr, port: p.cport, dst: p.dAddr, dport: p.dport, iface: p.cIface, ...common }
      : { name, addr: p.sAddr, port: p.sport, dst: p.pAddr, dport: p.pport, iface: p.sIface, ...common };
  }

  /** Fresh ends for a (re)connection on the same tuple. */
  private reset(after?: { c: number; s: number }): void {
    const { rng } = this.ctx;
    this.c = this.end('c', after ? add32(after.c, rng.int(70000, 5e6)) : rng.u32());
    this.s = this.end('s', after ? add32(after.s, rng.int(70000, 5e6)) : rng.u32());
    this.scaled = this.sackOk = this.tsOk = false;
    this.closed = false;
  }

  private peer(e: End): End {
    return e === this.c ? this.s : this.c;
  }

  private room(): number {
    return this.budget - this.packets;
  }

  private fate(): Fate {
    const x = this.ctx.chaos;
    return this.ctx.rng.weighted([['ok', 40], ['lost-before', 2 * x], ['lost-after', 2 * x], ['dup', 1 * x]] as const);
  }

  private winField(e: End, syn: boolean): number {
    if (syn || !this.scaled) return Math.min(e.rwin, 65535);
    return Math.min(65535, e.rwin >>> (e.wscale ?? 0));
  }

  private opts(e: End, flags: string): TcpOptions | undefined {
    const syn = flags.includes('S');
    const o: TcpOptions = {};
    if (syn) {
      o.mss = 1460;
      if (e.wscale !== null) o.wscale = e.wscale;
      if (e.sack) o.sackPerm = true;
      if (e.ts) o.ts = [e.tsval, e.name === 's' && this.c.ts ? this.c.tsval : 0];
    } else {
      if (this.tsOk) o.ts = [(e.tsval += 7), this.peer(e).tsval];
      const sh = e === this.s ? this.c2s : this.s2c;
      if (this.sackOk && e.ooo.length && flags.includes('A')) o.sack = e.ooo.slice(0, this.tsOk ? 3 : 4).map(([a, b]) => [add32(a, sh), add32(b, sh)] as const);
    }
    return Object.keys(o).length ? o : undefined;
  }

  /** Builds a segment of end e (nothing changes state). */
  private build(e: End, flags: string, o: { seq?: number; ack?: number; payload?: string; win?: number; checksum?: 'bad'; dataOffset?: number; options?: TcpOptions | null } = {}): Uint8Array {
    const ack = o.ack ?? (flags.includes('A') ? add32(e.rcv ?? 0, e === this.s ? this.c2s : this.s2c) : 0);
    const options = o.options === null ? undefined : (o.options ?? this.opts(e, flags));
    return tcpPkt({ src: e.addr, sport: e.port, dst: e.dst, dport: e.dport, flags, seq: o.seq ?? e.nxt, ack, win: o.win ?? this.winField(e, flags.includes('S')), payload: o.payload, options, checksum: o.checksum, ttl: e.ttl, id: e.ipId++, dataOffset: o.dataOffset });
  }

  /** The receiver takes a segment that reached it. */
  private ingest(r: End, seq: number, len: number, flags: string): void {
    if (flags.includes('R')) return;
    if (flags.includes('S')) {
      if (r.rcv === null || flags === 'S' || flags === 'SA') r.rcv = add32(seq, 1 + len);
      return;
    }
    if (r.rcv === null) return;
    const end = add32(seq, len + (flags.includes('F') ? 1 : 0));
    if (end === seq) return;
    if (!before(r.rcv, seq)) {
      if (before(r.rcv, end)) r.rcv = end;
      // absorb buffered ranges now in order
      for (let again = true; again; ) {
        again = false;
        for (const [a, b] of r.ooo) {
          if (!before(r.rcv, a) && before(r.rcv, b)) {
            r.rcv = b;
            again = true;
          }
        }
      }
      r.ooo = r.ooo.filter(([, b]) => before(r.rcv!, b));
    } else if (!r.ooo.some(([a, b]) => a === seq && b === end)) r.ooo.push([seq, end]);
    if (flags.includes('F')) r.finRcvd = true;
  }

  /** Sends a segment from e with the given fate, updating both ends as far as it got. */
  private send(e: End, flags: string, kind: string, o: { payload?: string; fate?: Fate; seq?: number } = {}): void {
    const fate = o.fate ?? 'ok';
    const r = this.peer(e);
    const seq = o.seq ?? e.nxt;
    const len = o.payload?.length ?? 0;
    const ack = flags.includes('A') ? (e.rcv ?? 0) : 0;
    const win = this.winField(e, flags.includes('S'));
    const bytes = this.build(e, flags, { seq, payload: o.payload });
    const adv = len + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0);
    if (seq === e.nxt && adv) {
      e.nxt = add32(e.nxt, adv);
      e.unacked.push({ seq, len, flags, payload: o.payload ?? '' });
    }
    if (flags.includes('F')) e.finSent = true;
    const label = fate === 'ok' ? kind : `${kind} ${fate}`;
    if (fate !== 'lost-before') this.push(e.iface, bytes, `tcp ${e.name} ${label}`);
    if (fate === 'dup') this.push(e.iface, bytes, `tcp ${e.name} ${kind} duplicate`);
    if (fate === 'ok' || fate === 'dup') {
      this.ingest(r, seq, len, flags);
      if (flags.includes('A')) {
        if (before(r.una, ack)) r.una = ack;
        r.unacked = r.unacked.filter((u) => before(ack, add32(u.seq, u.len + (u.flags.includes('S') || u.flags.includes('F') ? 1 : 0))));
        r.pwin = this.scaled ? win << (e.wscale ?? 0) : win;
      }
    }
    if (fate !== 'ok') this.ctx.tags.add(`tcp-${fate}`);
  }

  /**
   * An ICMP error about e's latest segment (or its SYN) from the other side: the peer itself or a
   * hop on its side, quoting the segment as it looked there (after NAT).
   */
  private icmpAbout(e: End, what: string): void {
    const { rng } = this.ctx;
    const p = this.p;
    const last = e.unacked[e.unacked.length - 1];
    const seq = last?.seq ?? ((e.nxt - 1) >>> 0);
    const flags = last?.flags ?? 'A';
    const fromClient = e === this.c;
    const [src, sport, dst, dport] = fromClient ? [p.pAddr, p.pport, p.sAddr, p.sport] : [p.dAddr, p.dport, p.cAddr, p.cport];
    const iface = fromClient ? p.sIface : p.cIface;
    if (iface === 'local') return;
    const seen = tcpPkt({ src, sport, dst, dport, flags: flags.includes('S') ? flags : flags.includes('A') ? flags : `${flags}A`, seq, ack: flags === 'S' ? 0 : (e.rcv ?? 0), win: this.winField(e, flags.includes('S')), payload: last?.payload || undefined, options: flags.includes('S') ? this.opts(e, flags) : undefined, id: (e.ipId - 1) & 0xffff, ttl: e.ttl });
    const peerAddr = fromClient ? p.sAddr : p.cAddr;
    const maker = iface === 'r_wan' && rng.chance(0.5) ? `198.51.100.${rng.int(2, 250)}` : peerAddr;
    const err = icmpErrorsAbout(this.ctx, seen, maker, src, `tcp ${e.name} ${what}`);
    this.push(iface, err.packet, err.kind);
  }

  /** Retransmits every segment of e its peer has not received. */
  private retransmit(e: End): void {
    const r = this.peer(e);
    for (const u of [...e.unacked]) {
      if (this.room() < 2) return;
      const end = add32(u.seq, u.len + (u.flags.includes('S') || u.flags.includes('F') ? 1 : 0));
      const got = r.rcv !== null && (!before(r.rcv, end) || r.ooo.some(([a, b]) => !before(u.seq, a) && !before(b, end)));
      if (got) continue;
      const flags = u.flags.includes('S') || u.flags.includes('A') ? u.flags : `${u.flags}A`;
      this.send(e, flags, u.flags.includes('S') ? 'syn retransmission' : 'retransmission', { seq: u.seq, payload: u.payload || undefined, fate: this.ctx.rng.chance(0.85) ? 'ok' : 'dup' });
      this.ctx.tags.add('tcp-retrans');
    }
  }

  /** An acknowledgement from e (SACK blocks when negotiated). */
  private ackFrom(e: End, kind = 'ack'): void {
    this.send(e, 'A', kind, { fate: this.ctx.rng.chance(0.9) ? 'ok' : 'lost-before' });
  }

  /** The three-way handshake (as generate() does it); false when the connection never opens. */
  open(): boolean {
    return this.handshake();
  }

  /** A line of payload from the client or the server, acknowledged by the other end. */
  say(who: 'c' | 's', text: string, kind: string): void {
    const e = who === 'c' ? this.c : this.s;
    this.send(e, 'PA', kind, { payload: text });
    if (this.ctx.rng.chance(0.7)) this.ackFrom(this.peer(e));
  }

  /** The end of the conversation (one of generate()'s closes). */
  finish(): void {
    this.close();
  }

  private handshake(): boolean {
    const { rng, tags } = this.ctx;
    const c = this.c;
    const s = this.s;
    if (rng.chance(0.7)) c.wscale = rng.pick([0, 2, 7, 7, 8, 14]);
    c.sack = rng.chance(0.6);
    c.ts = rng.chance(0.5);
    const synFate = rng.weighted([['ok', 10], ['lost-before', this.ctx.chaos], ['dup', this.ctx.chaos]] as const);
    const synData = !this.ctx.clean && rng.chance(0.03 * this.ctx.chaos);
    if (synData) tags.add('tcp-syn-data');
    this.send(c, 'S', synData ? 'syn with data' : 'syn', { fate: synFate, payload: synData ? fill(rng.int(1, 100), 93) : undefined });
    if (synFate === 'lost-before') this.send(c, 'S', 'syn retransmission', { seq: c.isn });
    if (!this.ctx.clean && rng.chance(0.06 * this.ctx.chaos)) {
      // the client gives up on the first ISN and starts again with another one
      const isn = add32(c.isn, rng.int(1e5, 1e8));
      c.isn = c.nxt = c.una = isn;
      c.unacked = [];
      this.send(c, 'S', 'syn new isn');
      tags.add('tcp-syn-newisn');
    }
    if (!this.ctx.clean && rng.chance(0.05 * this.ctx.chaos)) {
      // something odd from the client before any answer (SYN_SENT)
      const odd = rng.pick(['FA', 'PA', 'A', 'R', 'F']);
      this.push(c.iface, this.build(c, odd, { ack: odd.includes('A') ? rng.u32() : 0, payload: odd.includes('P') ? 'early' : undefined }), `tcp c [${odd}] before any answer`);
      tags.add('tcp-synsent-odd');
    }
    if (this.p.sink) {
      // the router answers itself (RST / REJECT / nothing): the client may try again, then give up or ACK blindly
      if (rng.chance(0.5)) this.send(c, 'S', 'syn retransmission', { seq: c.isn });
      if (rng.chance(0.2)) this.push(c.iface, this.build(c, 'A', { ack: rng.u32() }), 'tcp c stray ack to the router');
      return false;
    }
    const answer = this.ctx.clean ? 'synack' : rng.weighted([['synack', 20], ['rst', 1.5], ['none', 1.5], ['icmp', 1]] as const);
    if (answer === 'icmp') {
      this.icmpAbout(c, 'the syn');
      if (rng.chance(0.5)) this.send(c, 'S', 'syn retransmission after the icmp error', { seq: c.isn });
      return false;
    }
    if (answer === 'rst') {
      this.send(s, 'RA', 'refused (rst+ack)', { seq: 0 });
      tags.add('tcp-refused');
      if (rng.chance(0.4)) this.send(c, 'S', 'syn retry after rst', { seq: c.isn });
      return false;
    }
    if (answer === 'none') {
      this.send(c, 'S', 'syn retransmission, no answer', { seq: c.isn });
      if (rng.chance(0.5)) this.pause('pause in SYN_SENT');
      if (rng.chance(0.5)) this.send(c, 'S', 'syn retransmission, no answer', { seq: c.isn });
      tags.add('tcp-unanswered');
      return false;
    }
    if (c.wscale !== null && rng.chance(0.85)) s.wscale = rng.pick([0, 7, 7, 9, 14]);
    s.sack = c.sack && rng.chance(0.85);
    s.ts = c.ts && rng.chance(0.85);
    const saFate = rng.weighted([['ok', 10], ['lost-before', this.ctx.chaos], ['lost-after', this.ctx.chaos], ['dup', this.ctx.chaos / 2]] as const);
    this.send(s, 'SA', 'syn-ack', { fate: saFate });
    this.scaled = c.wscale !== null && s.wscale !== null;
    this.sackOk = c.sack && s.sack;
    this.tsOk = c.ts && s.ts;
    if (this.scaled) tags.add('tcp-wscale');
    if (this.sackOk) tags.add('tcp-sack');
    if (saFate === 'lost-before' || saFate === 'lost-after') {
      this.send(c, 'S', 'syn retransmission', { seq: c.isn });
      this.send(s, 'SA', 'syn-ack retransmission', { seq: s.isn });
    }
    if (!this.ctx.clean && rng.chance(0.04 * this.ctx.chaos)) {
      this.push(s.iface, this.build(s, 'SA', { seq: s.isn, ack: add32(c.isn, rng.int(2, 1e6)) }), 'tcp s syn-ack with a wrong ack');
      tags.add('tcp-bad-synack');
    }
    this.send(c, 'A', 'handshake ack', { fate: rng.chance(0.9) ? 'ok' : 'lost-before' });
    return true;
  }

  /** Data from e: 1..n segments, then the peer acknowledges, then retransmissions. */
  private dataRound(e: End, n: number): void {
    const { rng } = this.ctx;
    const r = this.peer(e);
    const segs: number = Math.min(n, Math.max(1, this.room() - 2));
    const start = this.steps.length;
    for (let k = 0; k < segs && this.room() > 2; k++) {
      const inflight = (e.nxt - e.una) >>> 0;
      const room = Math.max(1, Math.min(1400, e.pwin - inflight));
      const len = !this.ctx.clean && rng.chance(0.04 * this.ctx.chaos) ? Math.min(1400, room + rng.int(1, 1000)) : Math.min(room, rng.weighted([[rng.int(1, 60), 4], [rng.int(61, 600), 3], [rng.int(601, 1400), 2]] as const));
      if (len > room) this.ctx.tags.add('tcp-beyond-window');
      this.send(e, rng.chance(0.7) ? 'PA' : 'A', len > room ? 'data beyond the window' : 'data', { payload: fill(len, this.k++), fate: this.fate() });
    }
    // reordering: two segments of the round swap places on the way to the router
    const mine = this.steps.slice(start);
    if (mine.length >= 2 && rng.chance(0.15 * this.ctx.chaos)) {
      const j = start + rng.int(0, mine.length - 2);
      const a = this.steps[j]!;
      const b = this.steps[j + 1]!;
      this.steps[j] = { ...b, kind: `${b.kind} reordered` };
      this.steps[j + 1] = a;
      this.ctx.tags.add('tcp-reorder');
    }
    if (this.room() < 2) return;
    if (rng.chance(0.85)) this.ackFrom(r);
    this.retransmit(e);
    if (rng.chance(0.5) && this.room() > 2) this.ackFrom(r);
  }

  /** One odd packet that does not change either end. */
  private perturb(): void {
    const { rng, tags } = this.ctx;
    const e = rng.chance(0.6) ? this.c : this.s;
    const r = this.peer(e);
    const kind = rng.weighted([
      ['oow-data', 3],
      ['old-data', 2],
      ['ack-unsent', 2],
      ['odd-flags', 4],
      ['rst-inwin', 2],
      ['rst-oow', 2],
      ['rst-inject', 1],
      ['keepalive', 2],
      ['spurious-retrans', 2],
      ['bad-csum', 2],
      ['bad-doff', 1],
      ['zero-window', 1],
      ['syn-mid', 1],
      ['icmp-error', 3],
      ['retrans-storm', 2],
      ['window-shrink', 1],
      ['ttl-expire', 2],
      ['window-edge', 1],
    ] as const);
    tags.add(`tcp-${kind}`);
    const fwd = this.scaled ? r.rwin : Math.min(r.rwin, 65535);
    switch (kind) {
      case 'oow-data':
        this.push(e.iface, this.build(e, 'PA', { seq: add32(e.nxt, fwd + rng.int(1, 200000)), payload: fill(rng.int(1, 100), 99) }), `tcp ${e.name} data beyond the receiver's window`);
        break;
      case 'old-data':
        this.push(e.iface, this.build(e, 'PA', { seq: (e.una - rng.int(70000, 2e9)) >>> 0, payload: fill(rng.int(1, 100), 98) }), `tcp ${e.name} data far behind (old)`);
        break;
      case 'ack-unsent':
        this.push(e.iface, this.build(e, 'A', { ack: add32(r.nxt, rng.int(1, 1e6)) }), `tcp ${e.name} ack of data never sent`);
        break;
      case 'odd-flags': {
        const flags = rng.pick(['', 'F', 'SF', 'SR', 'SFRPAU', 'FPU', 'U', 'P', 'RA', 'SRA', 'FR', 'RP', 'SEW', 'AEW', 'FA', 'PAU']);
        const payload = rng.chance(0.3) ? fill(rng.int(1, 40), 97) : undefined;
        this.push(e.iface, this.build(e, flags, { payload, ...(flags.includes('A') ? {} : { ack: rng.chance(0.5) ? 0 : (e.rcv ?? 0) }) }), `tcp ${e.name} flags [${flags || 'none'}]`);
        break;
      }
      case 'rst-inwin':
        this.push(e.iface, this.build(e, rng.chance(0.5) ? 'R' : 'RA', { seq: add32(e.nxt, rng.int(1, Math.max(2, fwd - 1))) }), `tcp ${e.name} rst in window, not exact`);
        break;
      case 'rst-oow':
        this.push(e.iface, this.build(e, rng.chance(0.5) ? 'R' : 'RA', { seq: add32(e.nxt, rng.chance(0.5) ? fwd + rng.int(1, 1e6) : -rng.int(70000, 1e9)) }), `tcp ${e.name} rst out of window`);
        break;
      case 'rst-inject':
        // a spoofed RST at exactly the right sequence number: conntrack closes, the ends never saw it
        this.push(e.iface, this.build(e, 'R', { seq: e.nxt, options: null }), `tcp ${e.name} spoofed rst, exact seq`);
        break;
      case 'keepalive':
        this.push(e.iface, this.build(e, 'A', { seq: (e.nxt - 1) >>> 0, payload: rng.chance(0.5) ? '\0' : undefined }), `tcp ${e.name} keepalive`);
        break;
      case 'spurious-retrans': {
        const seq = e.una;
        this.push(e.iface, this.build(e, 'PA', { seq: (seq - rng.int(1, 200)) >>> 0, payload: fill(rng.int(1, 200), 96) }), `tcp ${e.name} retransmission of acked data`);
        break;
      }
      case 'bad-csum':
        this.push(e.iface, this.build(e, 'PA', { payload: fill(rng.int(1, 100), 95), checksum: 'bad' }), `tcp ${e.name} data with a bad checksum`);
        break;
      case 'bad-doff':
        this.push(e.iface, this.build(e, 'A', { dataOffset: rng.pick([0, 4, 15]), options: null }), `tcp ${e.name} bad data offset`);
        break;
      case 'zero-window': {
        // the receiver closes its window, the sender probes with one byte, the window opens again
        const saved = r.rwin;
        r.rwin = 0;
        this.send(r, 'A', 'zero window');
        this.push(e.iface, this.build(e, 'A', { payload: 'z' }), `tcp ${e.name} zero-window probe`);
        r.rwin = saved;
        this.send(r, 'A', 'window open again');
        break;
      }
      case 'syn-mid':
        this.push(e.iface, this.build(e, rng.chance(0.5) ? 'S' : 'SA', { seq: rng.chance(0.5) ? e.isn : rng.u32() }), `tcp ${e.name} syn in the middle of the connection`);
        break;
      case 'icmp-error':
        this.icmpAbout(e, 'its latest segment');
        break;
      case 'ttl-expire':
        // a segment that dies at the router: time exceeded back to its sender (through NAT)
        this.push(e.iface, tcpPkt({ src: e.addr, sport: e.port, dst: e.dst, dport: e.dport, flags: 'PA', seq: e.nxt, ack: e.rcv ?? 0, win: this.winField(e, false), payload: fill(rng.int(1, 100), 92), id: e.ipId++, ttl: 1 }), `tcp ${e.name} segment with ttl 1`);
        break;
      case 'retrans-storm': {
        // the same unacknowledged segment again and again (tcp_max_retrans)
        const payload = fill(rng.int(1, 300), this.k++);
        const seq = e.nxt;
        const n = rng.int(2, 5);
        for (let k = 0; k <= n && this.room() > 2; k++) this.send(e, 'PA', k ? `retransmission ${k} of an unanswered segment` : 'segment never acknowledged', { payload, seq, fate: 'lost-after' });
        break;
      }
      case 'window-shrink': {
        // the receiver advertises a much smaller window than before, the sender still fills the old one
        const saved = r.rwin;
        r.rwin = rng.pick([0, 100, 1000]);
        this.send(r, 'A', 'window shrunk');
        const len = Math.max(1, Math.min(1400, saved >> 1));
        this.push(e.iface, this.build(e, 'PA', { payload: fill(len, 94) }), `tcp ${e.name} data beyond the shrunk window`);
        r.rwin = saved;
        this.send(r, 'A', 'window restored');
        break;
      }
      case 'window-edge': {
        const inflight = (e.nxt - e.una) >>> 0;
        const len = Math.max(1, Math.min(1400, e.pwin - inflight));
        this.send(e, 'PA', 'data to the window edge', { payload: fill(len, this.k++) });
        break;
      }
    }
  }

  private close(): void {
    const { rng, tags } = this.ctx;
    const how = rng.weighted([['fin', 6], ['fin-server-first', 2], ['simultaneous', 1], ['rst', 2], ['half', 1], ['open', 2]] as const);
    tags.add(`tcp-close-${how}`);
    const c = this.c;
    const s = this.s;
    switch (how) {
      case 'fin':
      case 'fin-server-first': {
        const [a, b] = how === 'fin' ? [c, s] : [s, c];
        const f1 = rng.chance(0.85) ? 'ok' : (rng.pick(['lost-before', 'lost-after', 'dup']) as Fate);
        this.send(a, 'FA', 'fin', { fate: f1 });
        if (f1 === 'lost-before' || f1 === 'lost-after') this.retransmit(a);
        if (rng.chance(0.5)) this.send(b, 'A', 'ack of fin');
        if (rng.chance(0.2)) this.send(b, 'PA', 'data after the peer fin', { payload: fill(rng.int(1, 200), this.k++) });
        this.send(b, 'FA', 'fin');
        this.send(a, 'A', 'last ack');
        this.closed = true;
        break;
      }
      case 'simultaneous':
        this.send(c, 'FA', 'fin (crossing)');
        this.push(s.iface, this.build(s, 'FA', { ack: c.una }), 'tcp s fin crossing');
        s.nxt = add32(s.nxt, 1);
        c.rcv = s.nxt;
        this.send(c, 'A', 'ack of crossing fin');
        this.send(s, 'A', 'ack of crossing fin');
        this.closed = true;
        break;
      case 'rst': {
        const e = rng.chance(0.6) ? c : s;
        this.send(e, rng.chance(0.5) ? 'R' : 'RA', 'abort (rst)');
        this.closed = true;
        if (!this.ctx.clean && rng.chance(0.3) && this.room() > 1) this.send(this.peer(e), 'PA', 'data after the peer rst', { payload: fill(rng.int(1, 100), this.k++) });
        break;
      }
      case 'half':
        this.send(c, 'FA', 'fin (half close)');
        this.send(s, 'A', 'ack of fin');
        if (this.room() > 2) this.send(s, 'PA', 'data in CLOSE_WAIT', { payload: fill(rng.int(1, 500), this.k++) });
        if (this.room() > 1) this.send(c, 'A', 'ack');
        break;
      case 'open':
        break;
    }
  }

  generate(): this {
    const { rng, tags } = this.ctx;
    for (let conn = 0; conn < 2; conn++) {
      if (!this.handshake()) return this;
      let rounds = rng.int(0, 6);
      while (rounds-- > 0 && this.room() > 4) {
        if (!this.ctx.clean && rng.chance(0.12 * this.ctx.chaos + 0.05)) this.perturb();
        if (this.room() <= 4) break;
        this.dataRound(rng.chance(0.55) ? this.c : this.s, rng.weighted([[1, 5], [2, 3], [3, 2], [4, 1]] as const));
        if (rng.chance(0.1)) this.pause();
      }
      if (!this.ctx.clean && this.room() > 4 && rng.chance(0.1 * this.ctx.chaos)) this.perturb();
      if (this.room() < 4) return this;
      this.close();
      // a new connection on the same tuple: SYN in TIME_WAIT / CLOSE (maybe after a pause crossing it)
      if (!this.closed || this.room() < 6 || !rng.chance(0.3)) return this;
      if (rng.chance(0.4)) this.pause('pause before reopening');
      tags.add('tcp-reopen');
      this.reset({ c: this.c.nxt, s: this.s.nxt });
    }
    return this;
  }
}

// ------------------------------------------------------------------------------------------------
// UDP and ICMP

/** ICMP errors about a packet, as its destination side (or a hop on it) sends them. */
function icmpErrorsAbout(ctx: Ctx, seenAs: Uint8Array, maker: string, to: string, kind: string): { packet: Uint8Array; kind: string } {
  const { rng, tags } = ctx;
  const [type, code, rest] = rng.weighted([
    [[3, 3, 0], 4],
    [[3, 1, 0], 2],
    [[3, 0, 0], 1],
    [[3, 13, 0], 1],
    [[3, 4, 1280], 1],
    [[11, 0, 0], 2],
    [[12, 0, 0x14000000], 1],
  ] as const) as readonly [number, number, number];
  const garble = rng.weighted([['none', 6], ['short', 1], ['noL4', 1], ['ports', 1], ['swapped', 1], ['badsum', 1], ['inner-badsum', 1], ['outer-dst', 1]] as const);
  let quote = hop(seenAs);
  let quoteLen = rng.pick([28, 28, 48, quote.length]);
  let dst = to;
  switch (garble) {
    case 'short':
      quoteLen = 24;
      break;
    case 'noL4':
      quoteLen = 20;
      break;
    case 'ports':
      quote = Uint8Array.from(quote);
      quote[20] = rng.int(0, 255);
      quote[22] = rng.int(0, 255);
      break;
    case 'swapped': {
      quote = Uint8Array.from(quote);
      const a = quote.slice(12, 16);
      quote.set(quote.slice(16, 20), 12);
      quote.set(a, 16);
      fixIpCsum(quote);
      break;
    }
    case 'inner-badsum':
      quote = Uint8Array.from(quote);
      quote[10]! ^= 0x5a;
      break;
    case 'outer-dst':
      dst = `198.51.100.${rng.int(2, 250)}`;
      break;
  }
  const msg = icmpError({ type, code, rest, quote, quoteLen: Math.min(quoteLen, quote.length), checksum: garble === 'badsum' ? 'bad' : undefined });
  tags.add(garble === 'none' ? 'icmp-error' : 'icmp-error-garbled');
  return { packet: ipv4({ src: maker, dst, ttl: 64, id: rng.int(1, 65535), payload: msg }), kind: `icmp ${type}/${code} about ${kind}${garble === 'none' ? '' : ` (${garble})`}` };
}

/** The packet as the other side of the router sees it: addresses and ports after NAT. */
function seenByServer(p: Path, pkt: (src: string, sport: number, dst: string, dport: number) => Uint8Array): Uint8Array {
  return pkt(p.pAddr, p.pport, p.sAddr, p.sport);
}

class UdpFlow extends Flow {
  constructor(
    id: string,
    ctx: Ctx,
    private readonly p: Path,
    private readonly budget: number,
  ) {
    super(id, ctx);
  }

  generate(): this {
    const { rng, tags } = this.ctx;
    const p = this.p;
    let n = 0;
    const mk = (src: string, sport: number, dst: string, dport: number, payload: string, o: { checksum?: 'bad' | number } = {}): Uint8Array =>
      udp4(src, sport, dst, dport, payload, { id: rng.int(1, 65535), checksum: o.checksum });
    const rounds = rng.int(1, 5);
    for (let k = 0; k < rounds && this.packets < this.budget - 1; k++) {
      const q = `q${n++}-${fill(rng.int(0, 300), k)}`;
      const odd = rng.weighted([['none', 12], ['badsum', 1], ['nosum', 1], ['badlen', 1], ['trunc', 1]] as const);
      let pkt = mk(p.cAddr, p.cport, p.dAddr, p.dport, q, { checksum: odd === 'badsum' ? 'bad' : odd === 'nosum' ? 0 : undefined });
      if (odd === 'badlen') {
        pkt = Uint8Array.from(pkt);
        const ul = ((pkt[24]! << 8) | pkt[25]!) + rng.pick([8, 100, -4]);
        pkt[24] = (ul >> 8) & 0xff;
        pkt[25] = ul & 0xff;
      } else if (odd === 'trunc') {
        pkt = fixIpCsum(Uint8Array.from(pkt.subarray(0, 26)));
        pkt[2] = 0;
        pkt[3] = 26;
        fixIpCsum(pkt);
      }
      if (odd !== 'none') tags.add(`udp-${odd}`);
      this.push(p.cIface, pkt, `udp c request${odd === 'none' ? '' : ` (${odd})`}`);
      if (p.sink) continue;
      const ans = rng.weighted([['reply', 10], ['none', 3], ['icmp', 2], ['wrong-port', 1], ['two', 2]] as const);
      if (ans === 'icmp' && this.packets < this.budget) {
        const e = icmpErrorsAbout(this.ctx, seenByServer(p, (a, b, c, d) => mk(a, b, c, d, q)), rng.chance(0.7) || p.sIface !== 'r_wan' ? p.sAddr : `198.51.100.${rng.int(2, 250)}`, p.pAddr, 'the udp request');
        if (p.sIface !== 'local') this.push(p.sIface, e.packet, e.kind);
      } else if (ans !== 'none' && p.sIface !== 'local') {
        const sport = ans === 'wrong-port' ? p.sport + 1 : p.sport;
        if (ans === 'wrong-port') tags.add('udp-wrong-port');
        this.push(p.sIface, mk(p.sAddr, sport, p.pAddr, p.pport, `a${n}-${fill(rng.int(0, 400), k + 50)}`), `udp s reply${ans === 'wrong-port' ? ' from another port' : ''}`);
        if (ans === 'two' && this.packets < this.budget) this.push(p.sIface, mk(p.sAddr, sport, p.pAddr, p.pport, `b${n}`), 'udp s second reply');
      }
      if (rng.chance(0.3)) this.pause();
      else if (rng.chance(0.15) && this.ctx.shortTimeouts.length === 0) {
        // UDP becomes a stream (ASSURED) only for a packet more than 2 s after the first
        this.steps.push({ sleep: rng.pick([1.2, 2.6]), kind: 'pause (udp stream boundary)', flow: this.id });
        tags.add('udp-stream');
      }
    }
    return this;
  }
}

class EchoFlow extends Flow {
  constructor(
    id: string,
    ctx: Ctx,
    private readonly p: Path,
    private readonly budget: number,
  ) {
    super(id, ctx);
  }

  generate(): this {
    const { rng, tags } = this.ctx;
    const p = this.p;
    const ident = rng.int(1, 65535);
    const n = rng.int(1, 4);
    for (let k = 1; k <= n && this.packets < this.budget - 1; k++) {
      const odd = rng.weighted([['none', 10], ['badsum', 1], ['ttl1', 1]] as const);
      const req = echo4(p.cAddr, p.dAddr, ident, k, { id: rng.int(1, 65535), checksum: odd === 'badsum' ? 'bad' : undefined, ttl: odd === 'ttl1' ? 1 : 64, payload: fill(rng.pick([8, 32, 56]), k) });
      this.push(p.cIface, req, `icmp c echo request${odd === 'none' ? '' : ` (${odd})`}`);
      if (odd !== 'none') tags.add(`icmp-echo-${odd}`);
      if (p.sink || odd === 'ttl1') continue;
      const ans = rng.weighted([['reply', 8], ['none', 2], ['dup', 1], ['wrong-id', 1], ['error', 1]] as const);
      if (p.sIface === 'local') continue;
      const rep = echo4(p.sAddr, p.pAddr, ident, k, { reply: true, id: rng.int(1, 65535), payload: fill(8, k) });
      if (ans === 'reply' || ans === 'dup') this.push(p.sIface, rep, 'icmp s echo reply');
      if (ans === 'dup') this.push(p.sIface, rep, 'icmp s echo reply duplicate');
      if (ans === 'wrong-id') this.push(p.sIface, echo4(p.sAddr, p.pAddr, (ident + 1) & 0xffff, k, { reply: true, id: rng.int(1, 65535) }), 'icmp s echo reply with another id');
      if (ans === 'error') {
        const maker = p.sIface === 'r_wan' && rng.chance(0.6) ? `198.51.100.${rng.int(2, 250)}` : p.sAddr;
        const e = icmpErrorsAbout(this.ctx, seenByServer(p, (a, _b, c) => echo4(a, c, ident, k, { id: (req[4]! << 8) | req[5]!, payload: req.subarray(28) })), maker, p.pAddr, 'the echo request');
        this.push(p.sIface, e.packet, e.kind);
      }
      if (rng.chance(0.2)) this.pause();
    }
    tags.add('icmp-echo');
    return this;
  }
}

/** The address in an FTP PORT / PASV argument. */
const commas = (a: string): string => a.replace(/\./g, ',');

/**
 * An FTP session with the ftp helper assigned (CT --helper ftp): login, then active (PORT, EPRT)
 * or passive (PASV, EPSV) mode and the data connection the helper expects, RELATED, through NAT.
 * When NAT makes the helper rewrite an address in the control connection, the payload length
 * changes and the router shifts sequence numbers from then on (seqadj): the model follows.
 */
class FtpFlow extends Flow {
  constructor(
    id: string,
    ctx: Ctx,
    private readonly p: Path,
    private readonly budget: number,
  ) {
    super(id, ctx);
  }

  generate(): this {
    const { rng, tags, pool } = this.ctx;
    const p = this.p;
    tags.add('ftp');
    const ctl = new TcpFlow(this.id, { ...this.ctx, clean: true }, p, this.budget);
    const take = (f: TcpFlow): void => void this.steps.push(...f.steps.splice(0));
    if (!ctl.open()) return take(ctl), this;
    ctl.say('s', '220 fz ftp ready\r\n', 'ftp banner');
    ctl.say('c', 'USER anonymous\r\n', 'ftp USER');
    ctl.say('s', '331 password please\r\n', 'ftp 331');
    ctl.say('c', 'PASS fz@example\r\n', 'ftp PASS');
    ctl.say('s', '230 logged in\r\n', 'ftp 230');
    const mode = rng.weighted([['PORT', 3], ['PASV', 3], ['EPRT', 1], ['EPSV', 1]] as const);
    tags.add(`ftp-${mode.toLowerCase()}`);
    const port = pool.eph();
    const nat = Boolean(this.ctx.helpers?.has('ftp')) && (p.pAddr !== p.cAddr || p.dAddr !== p.sAddr);
    let data: Path;
    if (mode === 'PORT' || mode === 'EPRT') {
      const arg = (a: string): string => (mode === 'PORT' ? `PORT ${commas(a)},${port >> 8},${port & 255}\r\n` : `EPRT |1|${a}|${port}|\r\n`);
      ctl.say('c', arg(p.cAddr), `ftp ${mode}`);
      // the helper rewrites the address to the client's as the server sees it
      if (nat) ctl.c2s += arg(p.pAddr).length - arg(p.cAddr).length;
      ctl.say('s', `200 ${mode} command successful\r\n`, 'ftp 200');
      ctl.say('c', 'RETR fz.txt\r\n', 'ftp RETR');
      ctl.say('s', '150 opening data connection\r\n', 'ftp 150');
      // the server connects from port 20 to the address it was given; the client sees it coming from where it sent the control connection
      data = { proto: 'tcp', cAddr: p.sAddr, cIface: p.sIface, cport: 20, dAddr: p.pAddr, dport: port, sAddr: p.cAddr, sport: port, sIface: p.cIface, pAddr: p.dAddr, pport: 20, sink: false, notracked: false, nat: ['ftp-data'] };
    } else {
      ctl.say('c', `${mode}\r\n`, `ftp ${mode}`);
      const reply = (a: string): string => (mode === 'PASV' ? `227 Entering Passive Mode (${commas(a)},${port >> 8},${port & 255})\r\n` : `229 Entering Extended Passive Mode (|||${port}|)\r\n`);
      ctl.say('s', reply(p.sAddr), `ftp ${mode} reply`);
      if (nat) ctl.s2c += reply(p.dAddr).length - reply(p.sAddr).length;
      ctl.say('c', 'RETR fz.txt\r\n', 'ftp RETR');
      const eph = pool.eph();
      data = { proto: 'tcp', cAddr: p.cAddr, cIface: p.cIface, cport: eph, dAddr: p.dAddr, dport: port, sAddr: p.sAddr, sport: port, sIface: p.sIface, pAddr: p.pAddr, pport: eph, sink: false, notracked: false, nat: ['ftp-data'] };
    }
    take(ctl);
    if (rng.chance(0.15)) {
      // the data connection never comes: the expectation stays in the table
      tags.add('ftp-no-data');
    } else {
      const d = new TcpFlow(`${this.id}d`, this.ctx, data, Math.max(6, this.budget - this.packets - 6)).generate();
      this.steps.push(...d.steps);
    }
    if (this.packets < this.budget - 3) {
      ctl.say('s', '226 transfer complete\r\n', 'ftp 226');
      ctl.say('c', 'QUIT\r\n', 'ftp QUIT');
      ctl.say('s', '221 bye\r\n', 'ftp 221');
      ctl.finish();
      take(ctl);
    }
    return this;
  }
}

/** A TFTP read with the tftp helper: the server answers from a new port, which the helper expects. */
class TftpFlow extends Flow {
  constructor(
    id: string,
    ctx: Ctx,
    private readonly p: Path,
  ) {
    super(id, ctx);
  }

  generate(): this {
    const { rng, tags, pool } = this.ctx;
    const p = this.p;
    tags.add('tftp');
    const bytes = (...parts: (string | number[])[]): Uint8Array => {
      const out: number[] = [];
      for (const x of parts) out.push(...(typeof x === 'string' ? [...x].map((ch) => ch.charCodeAt(0)) : x));
      return Uint8Array.from(out);
    };
    const id = (): number => rng.int(1, 65535);
    const rrq = bytes([0, 1], 'fz.bin', [0], 'octet', [0]);
    this.push(p.cIface, ipv4({ src: p.cAddr, dst: p.dAddr, id: id(), payload: udp({ sport: p.cport, dport: p.dport, payload: rrq }) }), 'tftp c read request');
    if (rng.chance(0.2)) this.push(p.cIface, ipv4({ src: p.cAddr, dst: p.dAddr, id: id(), payload: udp({ sport: p.cport, dport: p.dport, payload: rrq }) }), 'tftp c read request again');
    if (p.sink || p.sIface === 'local') return this;
    if (rng.chance(0.15)) {
      this.push(p.sIface, ipv4({ src: p.sAddr, dst: p.pAddr, id: id(), payload: udp({ sport: p.sport, dport: p.pport, payload: bytes([0, 5, 0, 1], 'not found', [0]) }) }), 'tftp s error from port 69');
      return this;
    }
    const tid = pool.eph();
    const blocks = rng.int(1, 3);
    for (let b = 1; b <= blocks; b++) {
      const last = b === blocks;
      this.push(p.sIface, ipv4({ src: p.sAddr, dst: p.pAddr, id: id(), payload: udp({ sport: tid, dport: p.pport, payload: bytes([0, 3, 0, b], fill(last ? rng.int(0, 100) : 512, b)) }) }), `tftp s data block ${b} from a new port`);
      if (rng.chance(0.9)) this.push(p.cIface, ipv4({ src: p.cAddr, dst: p.dAddr, id: id(), payload: udp({ sport: p.cport, dport: tid, payload: bytes([0, 4, 0, b]) }) }), `tftp c ack ${b}`);
    }
    return this;
  }
}

/** Odd standalone packets. */
class JunkFlow extends Flow {
  generate(src: string, iface: Iface, dst: string): this {
    const { rng, tags } = this.ctx;
    const kind = rng.weighted([
      ['ip-badsum', 2],
      ['ip-trunc', 2],
      ['ip-trailer', 2],
      ['tcp-trunc', 2],
      ['proto-253', 2],
      ['ip-options', 2],
      ['ttl1', 2],
      ['frag', 3],
      ['timestamp', 1],
      ['icmp-unknown', 1],
      ['tcp-frag', 2],
      ['broadcast', 2],
      ['martian', 2],
      ['scan', 2],
    ] as const);
    tags.add(`junk-${kind}`);
    const id = rng.int(1, 65535);
    const sport = this.ctx.pool.eph();
    const base = (): Uint8Array => udp4(src, sport, dst, rng.pick([53, 123, 4000]), fill(rng.int(10, 200), 7), { id });
    switch (kind) {
      case 'ip-badsum': {
        const q = Uint8Array.from(base());
        q[10]! ^= 0x11;
        this.push(iface, q, 'junk ip header checksum wrong');
        break;
      }
      case 'ip-trunc': {
        const q = base();
        this.push(iface, q.slice(0, q.length - rng.int(1, 8)), 'junk truncated (ip total length longer than the packet)');
        break;
      }
      case 'ip-trailer': {
        const q = base();
        const t = new Uint8Array(q.length + rng.int(1, 20)).fill(0xee);
        t.set(q);
        this.push(iface, t, 'junk trailing bytes after the ip packet');
        break;
      }
      case 'tcp-trunc': {
        const q = tcpPkt({ src, sport, dst, dport: 80, flags: 'S', seq: rng.u32(), ack: 0, win: 64240, id });
        const cut = fixIpCsum(Uint8Array.from(q.subarray(0, 20 + rng.pick([4, 8, 12, 16]))));
        cut[2] = 0;
        cut[3] = cut.length;
        this.push(iface, fixIpCsum(cut), 'junk truncated tcp header');
        break;
      }
      case 'proto-253':
        this.push(iface, ipv4({ src, dst, id, proto: 253, payload: new TextEncoder().encode(fill(rng.int(4, 64), 3)) }), 'junk unknown protocol 253');
        if (ifaceOf(dst) !== 'router' && rng.chance(0.6)) this.push(ifaceOf(dst) as Iface, ipv4({ src: dst, dst: src, id: id + 1, proto: 253, payload: new TextEncoder().encode('back') }), 'junk unknown protocol 253, answer');
        break;
      case 'ip-options': {
        const opt = rng.pick([
          Uint8Array.of(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0), // record route, room for 2
          Uint8Array.of(148, 4, 0, 0), // router alert
          Uint8Array.of(1, 1, 1, 0), // NOPs
        ]);
        const q = ipv4({ src, dst, id, options: opt, payload: udp({ sport, dport: 53, payload: fill(20, 5) }) });
        this.push(iface, q, 'junk ip options');
        break;
      }
      case 'ttl1':
        this.push(iface, udp4(src, sport, dst, 33434, 'probe', { id, ttl: 1 }), 'junk ttl 1 (traceroute probe)');
        break;
      case 'frag': {
        const big = udp4(src, sport, dst, rng.pick([53, 4500]), fill(rng.int(600, 1400), 9), { id });
        const frags = fragmentIpv4(big, rng.pick([256, 512, 552]));
        const order = rng.weighted([['in-order', 3], ['reversed', 2], ['missing', 1], ['dup', 1]] as const);
        let list = order === 'reversed' ? [...frags].reverse() : frags;
        if (order === 'missing' && list.length > 1) list = list.filter((_, k) => k !== 1);
        if (order === 'dup') list = [list[0]!, ...list];
        list.forEach((f, k) => this.push(iface, f, `junk fragment ${k + 1}/${list.length} (${order})`));
        tags.add(`frag-${order}`);
        break;
      }
      case 'timestamp':
        this.push(iface, ipv4({ src, dst: ifaceOf(dst) === 'router' ? dst : ROUTER_ADDRS[['r_cli', 'r_srv', 'r_wan'].indexOf(iface)]!, id, payload: icmp({ type: 13, id: rng.int(1, 65535), seq: 1, payload: new Uint8Array(12) }) }), 'junk icmp timestamp request to the router');
        break;
      case 'tcp-frag': {
        // a TCP segment in fragments: tiny first fragment, overlapping, or plain
        const seg = tcpPkt({ src, sport, dst, dport: rng.pick([80, 443, 22]), flags: rng.pick(['S', 'PA', 'A']), seq: rng.u32(), ack: rng.u32(), win: 64240, payload: fill(rng.int(40, 600), 11), id });
        const how = rng.weighted([['plain', 2], ['tiny', 2], ['overlap', 1]] as const);
        let frags = fragmentIpv4(seg, how === 'tiny' ? 8 : rng.pick([16, 64, 256]));
        if (how === 'overlap' && frags.length >= 2) {
          // the second fragment starts 8 bytes early and rewrites part of the first one's data
          const second = Uint8Array.from(frags[1]!);
          const off = ((second[6]! & 0x1f) << 8) | second[7]!;
          const first = frags[0]!;
          const extra = first.subarray(first.length - 8);
          const o = new Uint8Array(second.length + 8);
          o.set(second.subarray(0, 20));
          o.set(extra.map((b) => b ^ 0x20), 20);
          o.set(second.subarray(20), 28);
          o[2] = (o.length >> 8) & 0xff;
          o[3] = o.length & 0xff;
          const nf = (second[6]! & 0xe0) << 8 | (off - 1);
          o[6] = (nf >> 8) & 0xff;
          o[7] = nf & 0xff;
          frags = [first, fixIpCsum(o), ...frags.slice(2)];
        }
        frags.forEach((f, k) => this.push(iface, f, `junk tcp fragment ${k + 1}/${frags.length} (${how})`));
        tags.add(`frag-tcp-${how}`);
        break;
      }
      case 'broadcast': {
        const bdst = rng.pick([`${src.split('.').slice(0, 3).join('.')}.255`, '255.255.255.255', '224.0.0.251']);
        this.push(iface, udp4(src, sport, bdst, rng.pick([5353, 137, 67]), fill(rng.int(10, 60), 8), { id, ttl: bdst.startsWith('224') ? 255 : 64 }), `junk udp to ${bdst.startsWith('224') ? 'multicast' : 'broadcast'}`);
        if (rng.chance(0.5)) this.push(iface, echo4(src, bdst, rng.int(1, 65535), 1, { id: id + 1 }), 'junk echo request to a broadcast/multicast address');
        break;
      }
      case 'martian': {
        const msrc = rng.pick(['127.0.0.5', '0.0.0.0', '224.0.0.9', '203.0.113.1', '10.0.2.150', '240.0.0.1']);
        this.push(iface, udp4(msrc, sport, dst, 53, fill(20, 9), { id }), `junk martian source ${msrc}`);
        break;
      }
      case 'scan': {
        // one source knocking on many ports: REJECTs and the host's own answers meet the ICMP rate limit
        const target = rng.chance(0.5) ? dst : ROUTER_ADDRS[['r_cli', 'r_srv', 'r_wan'].indexOf(iface)]!;
        const proto = rng.pick(['udp', 'tcp'] as const);
        const n = rng.int(6, 12);
        for (let k = 0; k < n; k++) {
          const dport = rng.int(1, 1023);
          const p = proto === 'udp' ? udp4(src, sport, target, dport, 'x', { id: id + k }) : tcpPkt({ src, sport, dst: target, dport, flags: 'S', seq: rng.u32(), ack: 0, win: 1024, id: id + k });
          this.push(iface, p, `junk ${proto} scan probe`);
        }
        break;
      }
      case 'icmp-unknown':
        this.push(iface, ipv4({ src, dst, id, payload: icmp({ type: rng.pick([42, 99, 200]), code: rng.int(0, 3), rest: rng.u32(), payload: fill(12, 1) }) }), 'junk icmp of an unknown type');
        break;
    }
    return this;
  }
}

// ------------------------------------------------------------------------------------------------
// sysctls

function genSysctls(rng: Rng): Record<string, number> {
  const s: Record<string, number> = {};
  const nf = 'net.netfilter.nf_conntrack_';
  if (rng.chance(0.15)) s[`${nf}tcp_be_liberal`] = 1;
  if (rng.chance(0.15)) s[`${nf}tcp_loose`] = 0;
  if (rng.chance(0.1)) s[`${nf}tcp_ignore_invalid_rst`] = 1;
  if (rng.chance(0.15)) {
    s[`${nf}tcp_max_retrans`] = rng.int(1, 3);
    s[`${nf}tcp_timeout_max_retrans`] = rng.pick([2, 3, 60]);
  }
  if (rng.chance(0.15)) s[`${nf}checksum`] = 0;
  if (rng.chance(0.2)) {
    s[`${nf}udp_timeout`] = rng.pick([1, 2, 3]);
    s[`${nf}udp_timeout_stream`] = rng.pick([3, 4, 120]);
  }
  if (rng.chance(0.12)) s[`${nf}icmp_timeout`] = rng.pick([1, 2]);
  if (rng.chance(0.25)) {
    const t: [string, number[]][] = [
      ['syn_sent', [2, 3]],
      ['syn_recv', [2]],
      ['established', [3, 4]],
      ['fin_wait', [2]],
      ['close_wait', [2]],
      ['last_ack', [2]],
      ['time_wait', [1, 2]],
      ['close', [1, 2]],
      ['unacknowledged', [2, 3]],
    ];
    for (const [k, v] of rng.shuffle(t).slice(0, rng.int(1, 4))) s[`${nf}tcp_timeout_${k}`] = rng.pick(v);
  }
  if (rng.chance(0.08)) s[`${nf}acct`] = 0;
  if (rng.chance(0.08)) s['net.ipv4.icmp_ratelimit'] = 0;
  if (rng.chance(0.05)) s['net.ipv4.icmp_errors_use_inbound_ifaddr'] = 1;
  if (rng.chance(0.04)) s['net.ipv4.icmp_echo_ignore_all'] = 1;
  return s;
}

/** The short timeouts (seconds) among the sysctls: pauses are drawn around them. */
function shortTimeouts(s: Record<string, number>): number[] {
  return [...new Set(Object.entries(s).filter(([k, v]) => /timeout/.test(k) && v <= 5).map(([, v]) => v))].sort((a, b) => a - b);
}

// ------------------------------------------------------------------------------------------------
// scenario

/** Interleaves the flows' steps (each flow keeps its own order). */
function interleave(rng: Rng, flows: FuzzStep[][]): FuzzStep[] {
  const idx = flows.map(() => 0);
  const out: FuzzStep[] = [];
  for (;;) {
    const live = flows.map((f, k) => (idx[k]! < f.length ? k : -1)).filter((k) => k >= 0);
    if (!live.length) return out;
    const k = rng.pick(live);
    const take = rng.weighted([[1, 3], [2, 2], [4, 1]] as const);
    for (let j = 0; j < take && idx[k]! < flows[k]!.length; j++) out.push(flows[k]![idx[k]!++]!);
  }
}

/** Caps the packets of a step list, dropping trailing pauses. */
function capPackets(steps: FuzzStep[], max: number): FuzzStep[] {
  const out: FuzzStep[] = [];
  let n = 0;
  for (const s of steps) {
    if (s.packet) {
      if (n >= max) break;
      n++;
    }
    out.push(s);
  }
  while (out.length && !out[out.length - 1]!.packet) out.pop();
  // at most 6 s of pauses: every pause is spent in real time by each recording run
  let total = 0;
  return out.filter((s) => (s.sleep === undefined ? true : (total += s.sleep) <= 6));
}

/**
 * One TCP conversation from a LAN client to a DMZ server (no NAT), for tests of the conversation
 * model: `clean` keeps only what real stacks do on a lossy path (loss before or after the router,
 * duplicates, reordering, retransmissions, SACK, window scaling, every kind of close).
 */
export function tcpConversation(seed: number, o: { chaos: number; clean: boolean; budget?: number }): FuzzStep[] {
  const rng = new Rng(seed);
  const pool = new Pool(rng.fork());
  const nat: NatPlan = { snat: null, dnat: [], redirect: [], notrack: [] };
  const ctx: Ctx = { rng: rng.fork(), pool, nat, sysctls: {}, chaos: o.chaos, tags: new Set(), shortTimeouts: [], clean: o.clean };
  const path = pathOf(nat, 'tcp', pool.lan(), 'r_cli', pool.eph(), pool.dmz(), 80);
  return new TcpFlow('t1', ctx, path, o.budget ?? 60).generate().steps;
}

/** One flow chosen before its packets are generated (the filter needs to know the services). */
interface FlowPlan {
  id: string;
  kind: 'tcp' | 'udp' | 'echo' | 'junk' | 'ftp' | 'tftp';
  dir: string;
  rng: Rng;
  path: Path;
  /** Junk: source, its interface and destination. */
  junk?: { src: string; iface: Iface; dst: string };
}

/** The scenario of a seed. */
export function generate(seed: number, o: GenOptions = {}): FuzzScenario {
  const rng = new Rng(seed);
  const maxPackets = o.maxPackets ?? 40;
  const pool = new Pool(rng.fork());
  const lan = [pool.lan(), pool.lan(), pool.lan()];
  const dmz = [pool.dmz(), pool.dmz()];
  const wan = [pool.wan(), pool.wan(), pool.wan()];
  const natChoice = genNat(rng.fork(), dmz);
  const nat = natChoice.nat;
  const sysctls = genSysctls(rng.fork());
  const ctx: Ctx = { rng: rng.fork(), pool, nat, sysctls, chaos: rng.weighted([[0, 1], [1, 3], [2, 2]] as const), tags: new Set(), shortTimeouts: shortTimeouts(sysctls) };

  // the flows and their paths through the router
  const plans: FlowPlan[] = [];
  const nflows = rng.int(2, 6);
  for (let f = 0; f < nflows; f++) {
    const fr = rng.fork();
    const kind = fr.weighted([['tcp', 8], ['udp', 4], ['echo', 2], ['junk', 2], ['ftp', 1.5], ['tftp', 0.7]] as const);
    const id = `${kind === 'tftp' ? 'x' : kind[0]}${f + 1}`;
    if (kind === 'junk') {
      const src = fr.pick([...lan, ...wan]);
      const iface = ifaceOf(src) as Iface;
      const dst = fr.chance(0.2) ? ROUTER_ADDRS[['r_cli', 'r_srv', 'r_wan'].indexOf(iface)]! : iface === 'r_wan' ? fr.pick(dmz) : fr.pick(wan);
      plans.push({ id, kind, dir: 'junk', rng: fr, path: pathOf(nat, 'udp', src, iface, 0, dst, 0), junk: { src, iface, dst } });
      continue;
    }
    const dir = fr.weighted([
      ['lan-wan', 6],
      ['wan-in', nat.dnat.length ? 4 : 1],
      ['lan-dmz', 2],
      ['dmz-wan', 2],
      ['to-router', 1.5],
      ['local', 1],
    ] as const);
    const proto = kind === 'tcp' || kind === 'ftp' ? 'tcp' : kind === 'udp' || kind === 'tftp' ? 'udp' : 'icmp';
    const cport = proto === 'icmp' ? 0 : pool.eph();
    const dport = (): number => (kind === 'ftp' ? 21 : kind === 'tftp' ? 69 : proto === 'icmp' ? 0 : fr.pick([80, 443, 22, 25, 53, 123, 5060, 8080, 3128, 1194, 9999, fr.int(1024, 9000)]));
    let path: Path;
    switch (dir) {
      case 'lan-wan': {
        const redirect = nat.redirect.find((r) => r.proto === proto);
        path = pathOf(nat, proto, fr.pick(lan), 'r_cli', cport, fr.pick(wan), redirect && fr.chance(0.5) ? redirect.port : dport());
        break;
      }
      case 'wan-in': {
        const fwd = nat.dnat.filter((d) => d.proto === proto && (kind !== 'ftp' || d.pub === 21) && (kind !== 'tftp' || d.pub === 69));
        path = fwd.length && fr.chance(0.8) ? pathOf(nat, proto, fr.pick(wan), 'r_wan', cport, R_WAN, fr.pick(fwd).pub) : pathOf(nat, proto, fr.pick(wan), 'r_wan', cport, fr.pick(dmz), dport());
        break;
      }
      case 'lan-dmz':
        path = pathOf(nat, proto, fr.pick(lan), 'r_cli', cport, fr.pick(dmz), dport());
        break;
      case 'dmz-wan':
        path = pathOf(nat, proto, fr.pick(dmz), 'r_srv', cport, fr.pick(wan), dport());
        break;
      case 'to-router':
        path = fr.chance(0.5) ? pathOf(nat, proto, fr.pick(wan), 'r_wan', cport, R_WAN, proto === 'icmp' ? 0 : fr.pick([22, 80, 53, 7777])) : pathOf(nat, proto, fr.pick(lan), 'r_cli', cport, R_CLI, proto === 'icmp' ? 0 : fr.pick([22, 53, 80]));
        break;
      default:
        path = pathOf(nat, proto, R_WAN, 'local', cport, fr.pick(wan), dport());
        break;
    }
    plans.push({ id, kind, dir, rng: fr, path });
  }
  const services: Service[] = plans
    .filter((p) => p.kind !== 'junk')
    .map((p) => ({ iface: p.path.cIface, proto: p.path.proto, dport: p.path.sport, dnat: p.path.nat.includes('dnat'), local: p.path.sink || p.path.cIface === 'local', helper: p.kind === 'ftp' ? ('ftp' as const) : p.kind === 'tftp' ? ('tftp' as const) : undefined }));
  const { ruleset, features } = genFilter(rng.fork(), natChoice, services);
  ctx.helpers = new Set(ruleset.rules.flatMap((r) => (r.t.t === 'HELPER' ? [r.t.helper] : [])));
  const tags = ctx.tags;
  tags.add('fuzz');
  for (const f of features) tags.add(f);

  // the packets of each flow, within the budget
  const flows: FuzzStep[][] = [];
  const descs: string[] = [];
  let budget = maxPackets;
  plans.forEach((pl, f) => {
    if (budget < 2) return;
    const fr = pl.rng;
    const left = plans.length - f;
    const share = left === 1 ? budget : Math.max(2, Math.min(budget, fr.int(4, Math.max(4, Math.floor((budget * 2) / (left + 1))))));
    const fctx = { ...ctx, rng: fr };
    const path = pl.path;
    let steps: FuzzStep[];
    if (pl.kind === 'tcp') steps = new TcpFlow(pl.id, fctx, path, share).generate().steps;
    else if (pl.kind === 'udp') steps = new UdpFlow(pl.id, fctx, path, share).generate().steps;
    else if (pl.kind === 'echo') steps = new EchoFlow(pl.id, fctx, path, share).generate().steps;
    else if (pl.kind === 'ftp') steps = new FtpFlow(pl.id, fctx, path, Math.max(share, 16)).generate().steps;
    else if (pl.kind === 'tftp') steps = new TftpFlow(pl.id, fctx, path).generate().steps;
    else steps = new JunkFlow(pl.id, fctx).generate(pl.junk!.src, pl.junk!.iface, pl.junk!.dst).steps;
    const used = steps.filter((s) => s.packet).length;
    if (!used) return;
    budget -= used;
    flows.push(steps);
    const port = (n: number): string => (path.proto === 'icmp' || pl.kind === 'junk' ? '' : `:${n}`);
    descs.push(`${pl.id} ${pl.kind} ${path.cAddr}${path.cIface === 'local' ? ' (router)' : ''} -> ${path.dAddr}${port(path.dport)}${path.nat.length ? ` (${path.nat.join(',')})` : ''}${path.notracked ? ' (notrack)' : ''}`);
    tags.add(`flow-${pl.dir}`);
    if (path.cIface === 'local') tags.add('local-out');
  });
  if (!flows.length) {
    const j = new JunkFlow('j1', ctx).generate(lan[0]!, 'r_cli', wan[0]!);
    flows.push(j.steps);
    descs.push(`j1 junk ${lan[0]} -> ${wan[0]}`);
  }
  const steps = capPackets(interleave(rng.fork(), flows), maxPackets);
  const st = shortTimeouts(sysctls);
  const paused = steps.reduce((s, x) => s + (x.sleep ?? 0), 0);
  // with a short timeout, entries may expire during the scenario even without pauses
  const ignoreDestroy = st.length > 0;
  if (paused > 0) tags.add('pause');
  else tags.delete('pause');
  if (Object.keys(sysctls).length) tags.add('sysctls');
  const name = o.name ?? `r_fuzz_ok_${seed}`;
  const sys = Object.entries(sysctls).map(([k, v]) => `${k.replace('net.netfilter.nf_conntrack_', '')}=${v}`);
  const description = `fuzz seed ${seed}: ${features.join(' ')}${sys.length ? `; ${sys.join(' ')}` : ''}; ${descs.join('; ')}`;
  return { seed, name, description, tags: [...tags].sort(), ruleset, sysctls, steps, ignoreDestroy };
}

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** The recorder's scenario for a generated one. */
export function toSpec(fs: FuzzScenario, source?: string): ScenarioSpec {
  const rules = renderRuleset(fs.ruleset);
  const steps: StepSpec[] = fs.steps.map((s): StepSpec => {
    if (s.sleep !== undefined) return { sleep: s.sleep };
    const note = `${s.flow} ${s.kind}`;
    const packet = toHex(s.packet!);
    return s.iface ? { iface: s.iface, packet, note } : { local: packet, note };
  });
  return {
    name: fs.name,
    description: fs.description,
    tags: fs.tags,
    ...rules,
    sysctls: { ...fs.sysctls },
    steps,
    ...(fs.ignoreDestroy ? { nondeterministic: { ignore_destroy_events: true } } : {}),
    ...(source ? { source } : {}),
  };
}

/** Packets of a scenario. */
export function packetCount(fs: { steps: { packet?: unknown; sleep?: number }[] }): number {
  return fs.steps.filter((s) => s.packet !== undefined).length;
}
