/**
 * The connection tracking table (the kernel's nf_conntrack_core.c): lookup and creation of
 * connections for packets at PREROUTING / OUTPUT (`track`), their insertion when the packet
 * leaves through POSTROUTING or INPUT (`confirm`), expiry in virtual time, events, statistics,
 * and what NAT and the helpers need (reply tuple changes, tuple-in-use checks, expectations).
 *
 * Structure: a chained hash table of `settings.buckets` buckets holding both directions of every
 * confirmed connection (a tuple node per direction), keyed with HalfSipHash seeded per table; an
 * insertion-ordered list of confirmed entries for listings; an expiry queue. A new connection is
 * created UNCONFIRMED: it is not in the table (lookups do not find it) and has sent no event
 * until `confirm`; a packet that is dropped before that takes it with it (`discard`).
 *
 * Time is virtual (seconds, a float, given with every call). Expired entries are reaped at the
 * start of every `track` (and by `expire`), each with a DESTROY event at that moment: the kernel
 * reaps them at its own pace, which cannot be reproduced.
 */
import { CtStateBit, CtStatus, Hook, type CtTupleLike } from '../netfilter/context.js';
import { decodeIp } from '../packet/decode.js';
import { Proto, PacketView } from '../packet/view.js';
import { Conn, TupleNode } from './conn.js';
import { eventType, IPCT, type CtEvent, type CtEventListener } from './events.js';
import { ExpiryQueue } from './expiry.js';
import { deriveKey, HalfSipHash, scaleHash, SeededRandom } from './hash.js';
import { defaultTrackers, type TrackerTable } from './proto/index.js';
import { GreKeymap } from './proto/gre.js';
import { icmpIsErrorType } from './proto/icmp.js';
import { ICMPV6_REDIRECT, ICMPV6_REDIRECT_HLEN, icmpv6IsErrorType, icmpv6Untracked, ND_OPT_REDIRECT_HDR } from './proto/icmpv6.js';
import type { ConntrackSettings } from './settings.js';
import { CtStats } from './stats.js';
import { Verdict, type PacketInfo, type PacketOut, type Tracker } from './tracker.js';
import { hashTuple, invertTuple, Tuple, tupleFromPacket, tuplesEqual } from './tuple.js';

export interface TableOptions {
  settings: ConntrackSettings;
  /** Seed of the keyed hash and of the ids (the CLI passes a random one; tests a fixed one). */
  seed: number;
  /** Tracker registry (defaults to defaultTrackers()). */
  trackers?: TrackerTable;
}

export interface TrackOptions {
  /** Zone from a CT template (raw table); 0 by default. */
  zone?: number;
  /** The raw table made the packet untracked (CT --notrack / NOTRACK / nft notrack). */
  notrack?: boolean;
  /** Helper a CT template assigns to a new connection (CT --helper / nft ct helper set). */
  helper?: string | null;
}

/** The result of `track`, reused from call to call: copy what you keep. */
export class TrackResult {
  /**
   * CtStateBit of the packet (NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED), or 0 when conntrack
   * itself drops the packet before it has a state (table full, a tracker's NF_DROP).
   */
  state = 0;
  /** 0 original, 1 reply (meaningful with a connection). */
  dir: 0 | 1 = 0;
  /** The connection (unconfirmed for a NEW packet that created it), null for INVALID / UNTRACKED. */
  conn: Conn | null = null;
  /** Why the packet is INVALID / UNTRACKED / dropped ('' otherwise). */
  reason = '';
  /** Conntrack drops the packet (NF_DROP): the pipeline must drop it, with no ctstate. */
  drop = false;
}

/** What an expectation that matches a new connection gives it. */
export interface ExpectationMatch {
  /** The connection that expected this one. */
  master: Conn;
  /** Helper to attach to the new connection (the expectation's), or null. */
  helper: string | null;
  /** Called last with the new connection (the kernel's expectfn, e.g. NAT for the child). */
  onCreated?: (conn: Conn) => void;
}

/** Looks a new connection's original tuple up among the expectations (which consumes a one-shot one). */
export type ExpectationLookup = (tuple: Tuple, zone: number, now: number) => ExpectationMatch | null;

/** Fields `update` may change (as `conntrack -U` / ctnetlink). */
export interface ConnUpdate {
  mark?: number;
  labels?: ArrayLike<number>;
  /** Seconds from now. */
  timeout?: number;
}

/** Entries scanned for early drop: this many buckets from the new connection's (NF_CT_EVICTION_RANGE). */
const EVICTION_RANGE = 8;
/** Insertion refuses a chain longer than 50 + random(30) entries (MIN_CHAINLEN / MAX_CHAINLEN). */
const MIN_CHAINLEN = 50;
const CHAINLEN_SPREAD = 30;
/** A NAT clash entry lives one second. */
const CLASH_TIMEOUT = 1;
/** The gc worker waits at least a second between runs (GC_SCAN_INTERVAL_MIN). */
const GC_MIN_INTERVAL = 1;
/** Remaining seconds are printed rounded down; this absorbs float noise of now + timeout - now. */
const TIME_EPSILON = 1e-6;

/** Bits of the UPDATE event ctnetlink sends after a change through netlink (conntrack -U). */
const NETLINK_UPDATE_BITS =
  IPCT.REPLY | IPCT.ASSURED | IPCT.HELPER | IPCT.LABEL | IPCT.PROTOINFO | IPCT.SEQADJ | IPCT.MARK | IPCT.SYNPROXY;

/** Seconds left before `expiresAt` as the kernel prints them (rounded down, never negative). */
export function remainingSeconds(expiresAt: number, now: number): number {
  const left = Math.floor(expiresAt - now + TIME_EPSILON);
  return left > 0 ? left : 0;
}

export class ConntrackTable {
  readonly settings: ConntrackSettings;
  readonly stats = new CtStats();
  /** PPTP's GRE key map (filled by the PPTP helper; consulted for GRE version 1 tuples). */
  readonly greKeymap = new GreKeymap();
  /** The seed the table was created with (snapshots keep it). */
  readonly seed: number;

  private readonly trackers: TrackerTable;
  private readonly buckets: (TupleNode | null)[];
  private readonly hasher: HalfSipHash;
  private readonly idHasher: HalfSipHash;
  private readonly random: SeededRandom;
  private readonly expiry = new ExpiryQueue();
  private head: Conn | null = null;
  private tail: Conn | null = null;
  /** Allocated connections (confirmed + unconfirmed), the kernel's nf_conntrack_count. */
  private allocated = 0;
  private serial = 0;
  private gcEarlyDrop = false;
  private gcEarlyDropSince = 0;
  private listeners: CtEventListener[] = [];
  private removeListeners: Array<(conn: Conn) => void> = [];
  private expectationLookup: ExpectationLookup | null = null;

  // reused per packet
  private readonly result = new TrackResult();
  private readonly tuple = new Tuple();
  private readonly inner = new Tuple();
  private readonly scratch = new Tuple();
  private readonly redirectView = new PacketView();
  private readonly out: PacketOut = { timeout: -1, kill: false, protoEvent: false };
  private readonly info: PacketInfo = { dir: 0, hook: Hook.PREROUTING, now: 0 };
  private readonly greLookup = (t: Tuple): number => this.greKeymap.lookup(t);

  constructor(opts: TableOptions) {
    this.settings = opts.settings;
    this.seed = opts.seed;
    this.trackers = opts.trackers ?? defaultTrackers();
    const size = Math.max(1, Math.floor(opts.settings.buckets));
    this.buckets = new Array<TupleNode | null>(size).fill(null);
    const [k0, k1] = deriveKey(opts.seed, 1);
    this.hasher = new HalfSipHash(k0, k1);
    const [i0, i1] = deriveKey(opts.seed, 2);
    this.idHasher = new HalfSipHash(i0, i1);
    this.random = new SeededRandom(opts.seed, 3);
  }

  // ----------------------------------------------------------------------------------------------
  // listeners and hooks

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(cb: CtEventListener): () => void {
    this.listeners.push(cb);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== cb);
    };
  }

  /**
   * Subscribes to the removal of connections (confirmed or not, with or without events): where
   * expectations and helper state owned by a connection go away with it.
   */
  onRemove(cb: (conn: Conn) => void): () => void {
    this.removeListeners.push(cb);
    return () => {
      this.removeListeners = this.removeListeners.filter((l) => l !== cb);
    };
  }

  /** Installs the expectation lookup consulted for every packet that finds no connection. */
  setExpectationLookup(fn: ExpectationLookup | null): void {
    this.expectationLookup = fn;
  }

  /** The tracker for a protocol number. */
  trackerFor(proto: number): Tracker<unknown> {
    return this.trackers[proto & 0xff]!;
  }

  // ----------------------------------------------------------------------------------------------
  // the packet path

  /**
   * Looks the packet up at PREROUTING or OUTPUT (the kernel's nf_conntrack_in) and returns its
   * state, direction and connection. A NEW packet's connection is unconfirmed: call `confirm`
   * when the packet leaves (POSTROUTING / INPUT) or `discard` when it is dropped.
   */
  track(pkt: PacketView, hook: number, now: number, opts?: TrackOptions): TrackResult {
    const r = this.result;
    r.state = 0;
    r.dir = 0;
    r.conn = null;
    r.reason = '';
    r.drop = false;
    this.expire(now);
    if (opts?.notrack) return this.untracked(r, 'notrack');
    if (pkt.family !== 4 && pkt.family !== 6) throw new Error('conntrack: track() needs an IPv4 or IPv6 packet');
    if (pkt.fragOffset > 0 || pkt.l4Off < 0) return this.invalid(r, 'no transport header (later fragment, or broken extension headers)');
    const zone = opts?.zone ?? 0;
    const tracker = this.trackerFor(pkt.proto);
    const icmpFamily = (pkt.family === 4 && pkt.proto === Proto.ICMP) || (pkt.family === 6 && pkt.proto === Proto.ICMPV6);
    if (icmpFamily && this.icmpStage(pkt, hook, zone, tracker, r)) return r;
    if (!tupleFromPacket(pkt, this.tuple, this.greLookup)) return this.invalid(r, `${tracker.name}: header too short for a tuple`);
    for (let repeats = 0; ; repeats++) {
      const node = this.lookupNode(this.tuple, zone);
      let conn: Conn;
      let dir: 0 | 1 = 0;
      if (node) {
        conn = node.conn;
        dir = node.dir;
      } else {
        const created = this.initConntrack(this.tuple, zone, now, opts?.helper ?? null, tracker);
        if (created === null) return this.invalid(r, `${tracker.name}: no reply tuple for this packet`);
        if (created === 'full') return this.dropped(r, 'table full');
        conn = created;
      }
      const v = this.runTracker(conn, node === null, dir, pkt, hook, now, tracker, !icmpFamily, r);
      if (v !== Verdict.REPEAT) return r;
      // The tracker asks for a fresh connection (a SYN reopening a closed one).
      if (node === null || repeats > 0) {
        if (!conn.confirmed) this.freeUnconfirmed(conn);
        return this.invalid(r, `${tracker.name}: repeated lookup`);
      }
      this.kill(conn, now);
    }
  }

  /**
   * The packet is leaving through POSTROUTING or INPUT (the kernel's nf_conntrack_confirm): an
   * unconfirmed connection is inserted (NEW event), and the events cached on the connection are
   * delivered. Returns the connection the packet now belongs to (another one when a clash was
   * resolved by merging), or null when the packet must be dropped (unresolvable clash, chain too
   * long, the entry was killed meanwhile). `dir` is the packet's direction: a reply-direction
   * packet (REJECT's answer) never inserts.
   */
  confirm(conn: Conn, now: number, dir: 0 | 1 = 0): Conn | null {
    if (conn.confirmed) {
      this.deliver(conn, now);
      return conn;
    }
    if (dir !== 0) return conn;
    if (conn.dying) {
      this.stats.insertFailed++;
      this.freeUnconfirmed(conn);
      return null;
    }
    return this.insert(conn, now);
  }

  /** An unconfirmed connection whose packet was dropped: no entry, no event. */
  discard(conn: Conn): void {
    if (!conn.confirmed) this.freeUnconfirmed(conn);
  }

  // ----------------------------------------------------------------------------------------------
  // expiry

  /**
   * Reaps every entry that has timed out by `now` (DESTROY events), and runs the garbage
   * collector's early drop when a table-full drop asked for it.
   */
  expire(now: number): void {
    for (let c = this.expiry.peek(); c !== null && c.heapKey <= now; c = this.expiry.peek()) {
      if (c.expiresAt > now) this.expiry.refileTop();
      else this.kill(c, now);
    }
    if (this.gcEarlyDrop && now - this.gcEarlyDropSince >= GC_MIN_INTERVAL) this.gcEarlyDropPass(now);
  }

  // ----------------------------------------------------------------------------------------------
  // table operations (conntrack -D -F -U -G, NAT, helpers)

  /** Deletes a connection (DESTROY event). False when it was already going. */
  delete(conn: Conn, now: number): boolean {
    return this.kill(conn, now);
  }

  /** Deletes every connection (conntrack -F). */
  flush(now: number): void {
    for (let c = this.head; c !== null; ) {
      const next = c.next;
      this.kill(c, now);
      c = next;
    }
  }

  /** Changes mark / labels / timeout as ctnetlink does (conntrack -U), with its UPDATE event. */
  update(conn: Conn, change: ConnUpdate, now: number): void {
    if (change.mark !== undefined) conn.mark = change.mark >>> 0;
    if (change.labels !== undefined) for (let i = 0; i < 4; i++) conn.labels[i] = (change.labels[i] ?? 0) >>> 0;
    if (change.timeout !== undefined) this.setTimeout(conn, change.timeout, now);
    if (!conn.confirmed || conn.dying || !conn.hasEcache) return;
    this.syncChangeMarkers(conn);
    this.emit('UPDATE', conn, now, NETLINK_UPDATE_BITS | conn.ecache);
    conn.ecache = 0;
  }

  /** Sets the timeout to `seconds` from now (no event; entries with a fixed timeout included). */
  setTimeout(conn: Conn, seconds: number, now: number): void {
    this.setExpiry(conn, now + seconds);
  }

  /** Caches event bits on a connection, delivered with its next confirmed packet (IPCT_*). */
  cacheEvent(conn: Conn, bits: number): void {
    conn.ecache |= bits;
  }

  /** The confirmed connection with tuple `t` in either direction, or null. */
  get(t: CtTupleLike, zone = 0): Conn | null {
    return this.lookupNode(t, zone)?.conn ?? null;
  }

  /** Like `get`, with the direction the tuple matched. */
  find(t: CtTupleLike, zone = 0): { conn: Conn; dir: 0 | 1 } | null {
    const n = this.lookupNode(t, zone);
    return n ? { conn: n.conn, dir: n.dir } : null;
  }

  /**
   * NAT: gives an unconfirmed connection its translated reply tuple (nf_conntrack_alter_reply).
   * Lookups and insertion use it from then on.
   */
  alterReplyTuple(conn: Conn, t: CtTupleLike): void {
    if (conn.confirmed) throw new Error('conntrack: the reply tuple of a confirmed connection cannot change');
    conn.reply.copyFrom(t);
  }

  /**
   * NAT: is tuple `t` (a candidate reply tuple) used by a connection other than `ignoring`
   * (nf_conntrack_tuple_taken)? A connection whose original tuple equals ignoring's is the same
   * flow and does not count.
   */
  tupleInUse(t: CtTupleLike, ignoring: Conn): boolean {
    const zone = ignoring.zone;
    for (let n: TupleNode | null = this.buckets[this.bucketOf(t, zone)] ?? null; n !== null; n = n.next) {
      const c = n.conn;
      if (c === ignoring || !this.nodeMatches(n, t, zone)) continue;
      if (tuplesEqual(ignoring.orig, c.orig)) continue;
      this.stats.found++;
      return true;
    }
    return false;
  }

  /** Number of connections (the kernel's nf_conntrack_count: confirmed and unconfirmed). */
  get count(): number {
    return this.allocated;
  }

  /** Confirmed connections in insertion order, NAT clash entries excluded (what listings show). */
  *[Symbol.iterator](): IterableIterator<Conn> {
    for (let c = this.head; c !== null; c = c.next) if (!c.clashHidden) yield c;
  }

  /** Every confirmed connection in insertion order, NAT clash entries included. */
  *all(): IterableIterator<Conn> {
    for (let c = this.head; c !== null; c = c.next) yield c;
  }

  /**
   * Snapshot restore: puts a confirmed connection back as it was (no event, no check). Used by
   * snapshot.ts; the connection must carry CONFIRMED and its final tuples, timeout and state.
   */
  restore(conn: Conn): void {
    this.allocated++;
    this.link(conn);
  }

  /** Snapshot support: the table's counters that are not connections. */
  internals(): { serial: number; gcEarlyDrop: boolean; gcEarlyDropSince: number } {
    return { serial: this.serial, gcEarlyDrop: this.gcEarlyDrop, gcEarlyDropSince: this.gcEarlyDropSince };
  }

  /** Snapshot support: restores what `internals` returned. */
  restoreInternals(v: { serial: number; gcEarlyDrop: boolean; gcEarlyDropSince: number }): void {
    this.serial = v.serial;
    this.gcEarlyDrop = v.gcEarlyDrop;
    this.gcEarlyDropSince = v.gcEarlyDropSince;
  }

  // ----------------------------------------------------------------------------------------------
  // packet path internals

  private untracked(r: TrackResult, reason: string): TrackResult {
    r.state = CtStateBit.UNTRACKED;
    r.reason = reason;
    return r;
  }

  /** INVALID with the `invalid` statistic (a packet without a usable connection). */
  private invalid(r: TrackResult, reason: string): TrackResult {
    this.stats.invalid++;
    r.state = CtStateBit.INVALID;
    r.conn = null;
    r.reason = reason;
    return r;
  }

  /** Conntrack drops the packet (NF_DROP) before it gets a state. */
  private dropped(r: TrackResult, reason: string): TrackResult {
    this.stats.drop++;
    r.state = 0;
    r.conn = null;
    r.drop = true;
    r.reason = reason;
    return r;
  }

  /** ICMP / ICMPv6 checks before the lookup (nf_conntrack_handle_icmp); true when they decided. */
  private icmpStage(pkt: PacketView, hook: number, zone: number, tracker: Tracker<unknown>, r: TrackResult): boolean {
    const reason = tracker.error(pkt, hook, this.settings);
    if (reason !== null) return this.icmpRefused(r, `${tracker.name}: ${reason}`);
    const type = pkt.buf[pkt.l4Off]!;
    if (pkt.family === 4) return icmpIsErrorType(type) && this.related(pkt.inner, pkt, zone, r);
    if (icmpv6Untracked(type)) {
      this.untracked(r, 'icmpv6: neighbour / router discovery and MLD are not tracked');
      return true;
    }
    if (type === ICMPV6_REDIRECT) return this.icmpv6Redirect(pkt, zone, r);
    return icmpv6IsErrorType(type) && this.related(pkt.inner, pkt, zone, r);
  }

  /** INVALID from the ICMP error checks: counted as `error`, not `invalid`. */
  private icmpRefused(r: TrackResult, reason: string): true {
    this.stats.error++;
    r.state = CtStateBit.INVALID;
    r.conn = null;
    r.reason = reason;
    return true;
  }

  /**
   * An ICMP error: RELATED to the connection of the packet it quotes (the quoted tuple inverted,
   * looked up), when that connection's destination in the matching direction is the error's
   * destination (nf_conntrack_inet_error). No accounting, no refresh, no event.
   */
  private related(inner: PacketView | null, outer: PacketView, zone: number, r: TrackResult): true {
    if (inner === null || inner.family === 0 || inner.fragOffset > 0 || inner.l4Off < 0) {
      return this.icmpRefused(r, 'icmp error quoting no usable packet');
    }
    if (!tupleFromPacket(inner, this.inner, this.greLookup) || !invertTuple(this.scratch, this.inner)) {
      return this.icmpRefused(r, 'icmp error quoting a packet without a connection tuple');
    }
    const node = this.lookupNode(this.scratch, zone);
    if (node === null) return this.icmpRefused(r, 'icmp error for no known connection');
    const dst = node.conn.tuple(node.dir).dst;
    const od = outer.dst;
    if (dst[0] !== od[0] || dst[1] !== od[1] || dst[2] !== od[2] || dst[3] !== od[3]) {
      return this.icmpRefused(r, 'icmp error: outer destination is not the connection\'s');
    }
    r.state = CtStateBit.RELATED;
    r.dir = node.dir;
    r.conn = node.conn;
    return true;
  }

  /**
   * ICMPv6 redirect (nf_conntrack_icmpv6_redirect): one carrying the redirected packet's header
   * is RELATED to that packet's connection; code != 0 or no such option: tracked normally.
   */
  private icmpv6Redirect(pkt: PacketView, zone: number, r: TrackResult): boolean {
    const b = pkt.buf;
    const p = pkt.l4Off;
    if (pkt.l4Len < ICMPV6_REDIRECT_HLEN) return this.icmpRefused(r, 'icmpv6: short redirect');
    if (b[p + 1] !== 0) return false;
    const linkLocal = pkt.src[0]! >>> 22 === 0x3fa;
    if (pkt.ttl !== 255 || !linkLocal) return this.icmpRefused(r, 'icmpv6: invalid saddr or hoplimit for redirect');
    const opt = p + ICMPV6_REDIRECT_HLEN;
    if (opt + 2 > pkt.ipEnd || b[opt + 1] === 0) return this.icmpRefused(r, 'icmpv6: redirect without options');
    if (b[opt] !== ND_OPT_REDIRECT_HDR) return false;
    const quoted = opt + 8;
    if (quoted >= pkt.ipEnd) return this.icmpRefused(r, 'icmp error quoting no usable packet');
    decodeIp(this.redirectView, b, quoted, pkt.ipEnd);
    return this.related(this.redirectView, pkt, zone, r);
  }

  /**
   * A packet that found no connection (init_conntrack): the reply tuple, the table limit (with
   * early drop), the expectation check. Null when the packet has no reply tuple; 'full' when the
   * table has no room.
   */
  private initConntrack(t: Tuple, zone: number, now: number, helper: string | null, tracker: Tracker<unknown>): Conn | null | 'full' {
    if (!invertTuple(this.scratch, t)) return null;
    if (this.allocated + 1 > this.settings.max && !this.earlyDrop(t, zone, now)) {
      if (!this.gcEarlyDrop) {
        this.gcEarlyDrop = true;
        this.gcEarlyDropSince = now;
      }
      return 'full';
    }
    const s = this.settings;
    const conn = new Conn(tracker);
    conn.orig.copyFrom(t);
    conn.reply.copyFrom(this.scratch);
    conn.zone = zone;
    conn.createdAt = now;
    conn.hasAcct = s.acct;
    conn.hasTstamp = s.timestamp;
    conn.hasEcache = s.events !== 0;
    conn.id = this.nextId();
    this.allocated++;
    const m = this.expectationLookup ? this.expectationLookup(conn.orig, zone, now) : null;
    if (m !== null) {
      conn.status |= CtStatus.EXPECTED;
      conn.master = m.master;
      m.master.refs++;
      conn.helperName = m.helper;
      conn.mark = m.master.mark;
      conn.secmark = m.master.secmark;
      this.stats.expectNew++;
    } else {
      conn.helperName = helper;
    }
    conn.lastMark = conn.mark;
    if (m?.onCreated) m.onCreated(conn);
    return conn;
  }

  private nextId(): number {
    this.serial++;
    return this.idHasher.begin().word(this.serial).word(Math.floor(this.serial / 0x100000000)).end();
  }

  /**
   * Runs the tracker on the packet's connection and applies its verdict. Returns the verdict
   * (REPEAT is for the caller).
   */
  private runTracker(
    conn: Conn,
    isNew: boolean,
    dir: 0 | 1,
    pkt: PacketView,
    hook: number,
    now: number,
    tracker: Tracker<unknown>,
    checkErrors: boolean,
    r: TrackResult,
  ): Verdict {
    const s = this.settings;
    const reason = checkErrors ? tracker.error(pkt, hook, s) : null;
    if (reason !== null) return this.refuse(conn, isNew, Verdict.INVALID, `${tracker.name}: ${reason}`, r);
    if (isNew) {
      const st = tracker.create(pkt, s, now);
      if (st === null) return this.refuse(conn, true, Verdict.INVALID, `${tracker.name}: this packet cannot start a connection`, r);
      conn.proto = st;
    }
    const oldName = isNew ? '' : tracker.stateName(conn.proto);
    const oldStatus = conn.status;
    const out = this.out;
    out.timeout = -1;
    out.kill = false;
    out.protoEvent = false;
    const info = this.info;
    info.dir = dir;
    info.hook = hook;
    info.now = now;
    const v = tracker.packet(conn, pkt, info, s, out);
    this.cacheTrackerEvents(conn, oldName, oldStatus, out);
    if (v === Verdict.REPEAT) return v;
    if (v !== Verdict.ACCEPT) {
      if (v === Verdict.INVALID && out.timeout >= 0 && !isNew) this.setExpiry(conn, now + out.timeout);
      return this.refuse(conn, isNew, v, `${tracker.name}: packet does not fit the connection`, r);
    }
    this.accept(conn, dir, pkt, now, out);
    r.conn = conn;
    r.dir = dir;
    r.state = packetState(conn, dir);
    return v;
  }

  /** Events a tracker caused: PROTOINFO on a state change (or when it says so), ASSURED when set. */
  private cacheTrackerEvents(conn: Conn, oldName: string, oldStatus: number, out: PacketOut): void {
    if (out.protoEvent || conn.tracker.stateName(conn.proto) !== oldName) conn.ecache |= IPCT.PROTOINFO;
    if (!(oldStatus & CtStatus.ASSURED) && conn.status & CtStatus.ASSURED) conn.ecache |= IPCT.ASSURED;
  }

  /** The tracker refused the packet: INVALID (or conntrack's own drop); a new connection goes. */
  private refuse(conn: Conn, isNew: boolean, v: Verdict, reason: string, r: TrackResult): Verdict {
    if (isNew) this.freeUnconfirmed(conn);
    if (v === Verdict.DROP) {
      this.stats.invalid++;
      this.dropped(r, reason);
    } else {
      this.invalid(r, reason);
    }
    return v;
  }

  /** An accepted packet: refresh and count, kill when asked, SEEN_REPLY on the first reply. */
  private accept(conn: Conn, dir: 0 | 1, pkt: PacketView, now: number, out: PacketOut): void {
    const counted = out.timeout >= 0;
    if (counted) {
      if (!(conn.status & CtStatus.FIXED_TIMEOUT)) this.setExpiry(conn, now + out.timeout);
      this.account(conn, dir, pkt);
    }
    if (out.kill) {
      if (!counted) this.account(conn, dir, pkt);
      this.kill(conn, now);
    }
    if (dir === 1 && !(conn.status & CtStatus.SEEN_REPLY)) {
      conn.status |= CtStatus.SEEN_REPLY;
      conn.ecache |= IPCT.REPLY;
    }
  }

  /** Counts a packet (skb->len: the IP datagram's length) when the entry has accounting. */
  private account(conn: Conn, dir: 0 | 1, pkt: PacketView): void {
    if (!conn.hasAcct) return;
    if (dir === 0) {
      conn.origPackets++;
      conn.origBytes += pkt.ipTotalLen;
    } else {
      conn.replyPackets++;
      conn.replyBytes += pkt.ipTotalLen;
    }
  }

  private setExpiry(conn: Conn, at: number): void {
    conn.expiresAt = at;
    this.expiry.expiryChanged(conn);
  }

  // ----------------------------------------------------------------------------------------------
  // hashing

  private bucketOf(t: CtTupleLike, zone: number): number {
    return scaleHash(hashTuple(this.hasher, t, zone), this.buckets.length);
  }

  /** A node in the table for tuple `t` in `zone` (the kernel's nf_ct_key_equal). */
  private nodeMatches(n: TupleNode, t: CtTupleLike, zone: number): boolean {
    const c = n.conn;
    return c.zone === zone && (c.status & CtStatus.CONFIRMED) !== 0 && tuplesEqual(n.tuple, t);
  }

  private lookupNode(t: CtTupleLike, zone: number): TupleNode | null {
    for (let n: TupleNode | null = this.buckets[this.bucketOf(t, zone)] ?? null; n !== null; n = n.next) {
      if (this.nodeMatches(n, t, zone) && !n.conn.dying) return n;
    }
    return null;
  }

  private hashNode(n: TupleNode, bucket: number): void {
    n.bucket = bucket;
    n.next = this.buckets[bucket] ?? null;
    this.buckets[bucket] = n;
  }

  private unhashNode(n: TupleNode): void {
    if (n.bucket < 0) return;
    let p: TupleNode | null = this.buckets[n.bucket] ?? null;
    if (p === n) {
      this.buckets[n.bucket] = n.next;
    } else {
      while (p !== null && p.next !== n) p = p.next;
      if (p !== null) p.next = n.next;
    }
    n.next = null;
    n.bucket = -1;
  }

  // ----------------------------------------------------------------------------------------------
  // insertion (confirm) and clashes

  private insert(conn: Conn, now: number): Conn | null {
    const zone = conn.zone;
    const hash = this.bucketOf(conn.orig, zone);
    const replyHash = this.bucketOf(conn.reply, zone);
    const maxChain = MIN_CHAINLEN + this.random.below(CHAINLEN_SPREAD);
    const clashOrig = this.scanChain(hash, conn.orig, zone, maxChain);
    if (clashOrig === 'long') return this.chainTooLong(conn);
    const clash = clashOrig ?? this.scanChain(replyHash, conn.reply, zone, maxChain);
    if (clash === 'long') return this.chainTooLong(conn);
    if (clash !== null) return this.resolveClash(conn, clash, replyHash, now);
    // The timeout counts from confirmation (the tracker set it relative to the first packet).
    conn.expiresAt += now - conn.createdAt;
    conn.status |= CtStatus.CONFIRMED;
    if (conn.hasTstamp) conn.tsStart = now;
    this.hashNode(conn.nodes[0], hash);
    this.hashNode(conn.nodes[1], replyHash);
    this.append(conn);
    this.expiry.add(conn);
    if (conn.helperName !== null) conn.ecache |= IPCT.HELPER;
    conn.ecache |= conn.master !== null ? IPCT.RELATED : IPCT.NEW;
    this.deliver(conn, now);
    return conn;
  }

  /** The entry already holding tuple `t` in a chain, 'long' past the chain limit, or null. */
  private scanChain(bucket: number, t: CtTupleLike, zone: number, maxChain: number): TupleNode | 'long' | null {
    let len = 0;
    for (let n: TupleNode | null = this.buckets[bucket] ?? null; n !== null; n = n.next) {
      if (this.nodeMatches(n, t, zone)) return n;
      if (len++ > maxChain) return 'long';
    }
    return null;
  }

  private chainTooLong(conn: Conn): null {
    this.stats.chainTooLong++;
    this.stats.insertFailed++;
    this.freeUnconfirmed(conn);
    return null;
  }

  /**
   * Another entry took the tuple first (nf_ct_resolve_clash): for protocols that allow it, the
   * packet joins an identical entry, or the new entry goes in for the reply direction only as a
   * short-lived NAT clash entry; otherwise the packet is dropped.
   */
  private resolveClash(loser: Conn, clash: TupleNode, replyHash: number, now: number): Conn | null {
    const winner = clash.conn;
    if (loser.tracker.allowClash) {
      if (canMerge(winner, loser)) return this.merge(winner, loser, now);
      const replyClash = this.scanChain(replyHash, loser.reply, loser.zone, Infinity);
      if (replyClash !== null && replyClash !== 'long') {
        if (canMerge(replyClash.conn, loser)) return this.merge(replyClash.conn, loser, now);
      } else {
        return this.insertClashEntry(loser, replyHash, now);
      }
    }
    this.stats.drop++;
    this.stats.insertFailed++;
    this.freeUnconfirmed(loser);
    return null;
  }

  /** The packet continues on the identical entry already in the table; its bytes count there. */
  private merge(winner: Conn, loser: Conn, now: number): Conn {
    if (winner.hasAcct && loser.hasAcct) {
      winner.origPackets++;
      winner.origBytes += loser.origBytes;
    }
    this.freeUnconfirmed(loser);
    this.stats.clashResolve++;
    this.deliver(winner, now);
    return winner;
  }

  /** nf_ct_resolve_clash_harder: in the table for replies only, for a second, never ASSURED. */
  private insertClashEntry(loser: Conn, replyHash: number, now: number): Conn {
    loser.expiresAt = now + CLASH_TIMEOUT;
    loser.status |= CtStatus.FIXED_TIMEOUT | CtStatus.NAT_CLASH | CtStatus.CONFIRMED;
    if (loser.hasTstamp) loser.tsStart = now;
    loser.clashHidden = true;
    this.hashNode(loser.nodes[1], replyHash);
    this.append(loser);
    this.expiry.add(loser);
    this.stats.clashResolve++;
    this.deliver(loser, now);
    return loser;
  }

  private append(c: Conn): void {
    c.prev = this.tail;
    c.next = null;
    if (this.tail) this.tail.next = c;
    else this.head = c;
    this.tail = c;
  }

  /** Snapshot restore of a confirmed entry: hash (both directions unless a clash entry), list, queue. */
  private link(c: Conn): void {
    if (!c.clashHidden) this.hashNode(c.nodes[0], this.bucketOf(c.orig, c.zone));
    this.hashNode(c.nodes[1], this.bucketOf(c.reply, c.zone));
    this.append(c);
    this.expiry.add(c);
  }

  private unlink(c: Conn): void {
    this.unhashNode(c.nodes[0]);
    this.unhashNode(c.nodes[1]);
    if (c.prev) c.prev.next = c.next;
    else if (this.head === c) this.head = c.next;
    if (c.next) c.next.prev = c.prev;
    else if (this.tail === c) this.tail = c.prev;
    c.prev = null;
    c.next = null;
    this.expiry.remove(c);
  }

  // ----------------------------------------------------------------------------------------------
  // removal

  /**
   * nf_ct_delete: the entry dies (DYING); a confirmed one sends DESTROY (pending cached events
   * are lost) and leaves the table. An unconfirmed one stays with its packet until `confirm`
   * refuses it or `discard` frees it. False when it was already dying.
   */
  private kill(c: Conn, now: number): boolean {
    if (c.dying) return false;
    c.status |= CtStatus.DYING;
    if (c.hasTstamp) c.tsStop = c.expiresAt < now && c.confirmed ? c.expiresAt : now;
    if (!c.confirmed) return true;
    c.ecache = 0;
    if (c.hasEcache) this.emit('DESTROY', c, now, IPCT.DESTROY);
    this.unlink(c);
    this.release(c);
    return true;
  }

  /** Frees an unconfirmed connection (its packet is gone). */
  private freeUnconfirmed(c: Conn): void {
    c.status |= CtStatus.DYING;
    this.release(c);
  }

  /** Takes the connection out of the allocation count, drops its master reference, tells listeners. */
  private release(c: Conn): void {
    if (c.released) return;
    c.released = true;
    this.allocated--;
    if (c.master !== null) c.master.refs--;
    for (const cb of this.removeListeners) cb(c);
  }

  /** early_drop: evict unassured entries from the few buckets after the new tuple's; true when any went. */
  private earlyDrop(t: Tuple, zone: number, now: number): boolean {
    const n = this.buckets.length;
    let bucket = this.bucketOf(t, zone);
    for (let i = 0; i < EVICTION_RANGE; i++) {
      if (i > 0) bucket = (bucket + 1) % n;
      const drops = this.earlyDropBucket(bucket, now);
      if (drops > 0) {
        this.stats.earlyDrop += drops;
        return true;
      }
    }
    return false;
  }

  /** Kills the unassured confirmed entries of one bucket (expired ones are reaped, not counted). */
  private earlyDropBucket(bucket: number, now: number): number {
    let drops = 0;
    // A kill unhashes both nodes of its entry: rescan the chain from its head after each one.
    for (let n: TupleNode | null = this.buckets[bucket] ?? null; n !== null; ) {
      const c = n.conn;
      if (c.expiresAt <= now) this.kill(c, now);
      else if (!(c.status & CtStatus.ASSURED) && !c.dying && c.confirmed && this.kill(c, now)) drops++;
      else {
        n = n.next;
        continue;
      }
      n = this.buckets[bucket] ?? null;
    }
    return drops;
  }

  /**
   * The gc worker's early drop after a table-full drop: while the table holds at least 95% of
   * nf_conntrack_max (rounded down to a multiple of 95 per hundred: 0 below 100, i.e. never),
   * entries that are not ASSURED, or whose protocol allows it, are evicted.
   */
  private gcEarlyDropPass(now: number): void {
    this.gcEarlyDrop = false;
    const max95 = Math.floor(this.settings.max / 100) * 95;
    if (max95 === 0) return;
    for (let c = this.head; c !== null; ) {
      const next = c.next;
      if (this.allocated >= max95 && canEarlyDrop(c)) this.kill(c, now);
      c = next;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // events

  /** Delivers the cached events of a confirmed, live connection (nf_ct_deliver_cached_events). */
  private deliver(c: Conn, now: number): void {
    if (!c.confirmed || c.dying || !c.hasEcache) return;
    let bits = c.ecache;
    if (c.mark !== c.lastMark) bits |= IPCT.MARK;
    if (labelsChanged(c)) bits |= IPCT.LABEL;
    c.ecache = 0;
    this.syncChangeMarkers(c);
    const type = eventType(bits);
    if (type !== null) this.emit(type, c, now, bits);
  }

  private syncChangeMarkers(c: Conn): void {
    c.lastMark = c.mark;
    c.lastLabels.set(c.labels);
  }

  private emit(type: CtEvent['type'], conn: Conn, time: number, bits: number): void {
    if (this.listeners.length === 0) return;
    const ev: CtEvent = { type, conn, time, bits };
    for (const l of this.listeners) l(ev);
  }
}

/** The state bit of a packet on its connection (the kernel's ctinfo). */
function packetState(conn: Conn, dir: 0 | 1): number {
  if (dir === 1 || conn.status & CtStatus.SEEN_REPLY) return CtStateBit.ESTABLISHED;
  return conn.status & CtStatus.EXPECTED ? CtStateBit.RELATED : CtStateBit.NEW;
}

function labelsChanged(c: Conn): boolean {
  const a = c.labels;
  const b = c.lastLabels;
  return a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3];
}

/** nf_ct_match / nf_ct_match_reverse: the same flow, in the same or the opposite orientation. */
function canMerge(ct: Conn, loser: Conn): boolean {
  if (ct.zone !== loser.zone) return false;
  if (tuplesEqual(ct.orig, loser.orig) && tuplesEqual(ct.reply, loser.reply)) return true;
  return tuplesEqual(ct.orig, loser.reply) && tuplesEqual(ct.reply, loser.orig);
}

/** gc_worker_can_early_drop. */
function canEarlyDrop(c: Conn): boolean {
  if (!(c.status & CtStatus.ASSURED)) return true;
  const t = c.tracker;
  return t.canEarlyDrop !== undefined && t.canEarlyDrop(c.proto);
}
