/**
 * The connection tracking table (the kernel's nf_conntrack_core.c): lookup and creation of
 * connections for packets at PREROUTING / OUTPUT (`track`), their insertion when the packet
 * leaves through POSTROUTING or INPUT (`confirm`), expiry in virtual time, events, statistics,
 * and what NAT and the helpers need (reply tuple changes, tuple-in-use checks, expectations).
 *
 * Structure: connections live in slots of flat arrays (store.ts), not in objects: a chained hash
 * table of `settings.buckets` buckets holding both directions of every confirmed connection (a
 * node per direction: slot * 2 + dir), keyed with HalfSipHash seeded per table; an
 * insertion-ordered list of confirmed entries for listings; an expiry heap. A Conn object
 * (conn.ts) is made for a connection only when someone outside asks for it (TrackResult.conn, an
 * event's or a listener's connection, get / find), and is the same object from then on. A new
 * connection is created UNCONFIRMED: it is not in the table (lookups do not find it) and has sent
 * no event until `confirm`; a packet that is dropped before that takes it with it (`discard`).
 *
 * Time is virtual (seconds, a float, given with every call). Expired entries are reaped at the
 * start of every `track` (and by `expire`), each with a DESTROY event at that moment: the kernel
 * reaps them at its own pace, which cannot be reproduced.
 */
import { CtStateBit, CtStatus, Hook, type CtTupleLike } from '../netfilter/context.js';
import { decodeIp } from '../packet/decode.js';
import { Proto, PacketView } from '../packet/view.js';
import { Conn, type SlotOwner } from './conn.js';
import { eventType, IPCT, type CtEvent, type CtEventListener } from './events.js';
import { deriveKey, halfSipHashWords, scaleHash, SeededRandom } from './hash.js';
import { defaultTrackers, type TrackerTable } from './proto/index.js';
import { GreKeymap } from './proto/gre.js';
import { icmpIsErrorType } from './proto/icmp.js';
import { ICMPV6_REDIRECT, ICMPV6_REDIRECT_HLEN, icmpv6IsErrorType, icmpv6Untracked, ND_OPT_REDIRECT_HDR } from './proto/icmpv6.js';
import { TcpState } from './proto/tcp-state.js';
import { tcpCreate, tcpInitState, tcpMayCreate } from './proto/tcp.js';
import type { ConntrackSettings } from './settings.js';
import { CtStats } from './stats.js';
import {
  ConnStore,
  F_ACCT,
  F_CLASH_HIDDEN,
  F_ECACHE,
  F_HASHED0,
  F_HASHED1,
  F_NOSTATE,
  F_RELEASED,
  F_TCPSOA,
  F_TSTAMP,
  F_V6,
  D_CREATED,
  D_EXPIRES,
  FR,
  O_ADDR,
  NW,
  N_HASH,
  N_NEXT,
  O_ID,
  O_LASTMARK,
  O_LNEXT,
  O_LPREV,
  O_MARK,
  O_PORTS,
  O_STATUS,
  R,
  TcpStateView,
  tcpStateFits,
  zoneId,
  zoneSpecOf,
} from './store.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from './tracker.js';
import { hashTupleKeyed, invertTuple, Tuple, tupleFromPacket, tuplesEqual } from './tuple.js';

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
  /** Directions the template's zone applies to: 1 original, 2 reply, 3 both (default). */
  zoneDir?: number;
  /** The raw table made the packet untracked (CT --notrack / NOTRACK / nft notrack). */
  notrack?: boolean;
  /** Helper a CT template assigns to a new connection (CT --helper / nft ct helper set). */
  helper?: string | null;
  /** CT --timeout: settings with the timeout policy applied, for a new connection of its protocol. */
  timeouts?: ConntrackSettings | null;
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
  /**
   * The connection's slot in the table, -1 when there is none (what `conn` is made from;
   * `confirmSlot` takes it without making the Conn object).
   */
  slot = -1;
  /** Why the packet is INVALID / UNTRACKED / dropped ('' otherwise). */
  reason = '';
  /** Conntrack drops the packet (NF_DROP): the pipeline must drop it, with no ctstate. */
  drop = false;

  /** The connection's object, kept when the table frees its slot while this result is current. */
  pinned: Conn | null = null;

  constructor(private readonly table: ConntrackTable | null = null) {}

  /** The connection (unconfirmed for a NEW packet that created it), null for INVALID / UNTRACKED. */
  get conn(): Conn | null {
    if (this.slot < 0 || this.table === null) return null;
    return this.pinned ?? this.table.handleOfSlot(this.slot);
  }
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
/** initConntrack's answers besides a slot. */
const NO_REPLY_TUPLE = -1;
const TABLE_FULL = -2;
/** scanChain's answer for a chain past the limit. */
const CHAIN_TOO_LONG = -2;

/** Bits of the UPDATE event ctnetlink sends after a change through netlink (conntrack -U). */
const NETLINK_UPDATE_BITS =
  IPCT.REPLY | IPCT.ASSURED | IPCT.HELPER | IPCT.LABEL | IPCT.PROTOINFO | IPCT.SEQADJ | IPCT.MARK | IPCT.SYNPROXY;

/** Seconds left before `expiresAt` as the kernel prints them (rounded down, never negative). */
export function remainingSeconds(expiresAt: number, now: number): number {
  const left = Math.floor(expiresAt - now + TIME_EPSILON);
  return left > 0 ? left : 0;
}

/**
 * What a tracker works on for one packet: the connection in its slot (TrackedConn), with the TCP
 * state read in place when it lives in the slot's words. One per table, pointed at a slot per
 * packet.
 */
class SlotConn implements TrackedConn<unknown> {
  slot = 0;
  private readonly tcp: TcpStateView;

  constructor(
    private readonly store: ConnStore,
    private readonly table: ConntrackTable,
  ) {
    this.tcp = new TcpStateView(store);
  }

  get status(): number {
    return this.store.i[(this.slot) * R + O_STATUS]!;
  }
  set status(v: number) {
    this.store.i[(this.slot) * R + O_STATUS] = v;
  }
  get createdAt(): number {
    return this.store.f[(this.slot) * FR + D_CREATED]!;
  }
  get expiresAt(): number {
    return this.store.f[(this.slot) * FR + D_EXPIRES]!;
  }
  get zone(): number {
    return this.store.zone(this.slot);
  }
  get proto(): unknown {
    return this.table.protoOfSlot(this.slot, this.tcp);
  }
}

export class ConntrackTable implements SlotOwner {
  readonly settings: ConntrackSettings;
  readonly stats = new CtStats();
  /** PPTP's GRE key map (filled by the PPTP helper; consulted for GRE version 1 tuples). */
  readonly greKeymap = new GreKeymap();
  /** The seed the table was created with (snapshots keep it). */
  readonly seed: number;
  /** The connections (table internals; Conn objects read it). */
  readonly store: ConnStore;

  private readonly trackers: TrackerTable;
  /** Bucket heads: the first node (slot * 2 + dir) of each chain, -1 when empty. */
  private readonly heads: Int32Array;
  /** 32 - log2(buckets) when the bucket count is a power of two (above 1), else 0. */
  private readonly bucketShift: number;
  /** Key words of the tuple hash and of the id hash (HalfSipHash). */
  private readonly k0: number;
  private readonly k1: number;
  private readonly idK0: number;
  private readonly idK1: number;
  private readonly idWords = new Int32Array(2);
  /** The direction of the connection the last chain search found. */
  private foundDir: 0 | 1 = 0;
  private readonly random: SeededRandom;
  private head = -1;
  private tail = -1;
  /** Allocated connections (confirmed + unconfirmed), the kernel's nf_conntrack_count. */
  private allocated = 0;
  private serial = 0;
  private gcEarlyDrop = false;
  private gcEarlyDropSince = 0;
  private listeners: CtEventListener[] = [];
  private removeListeners: Array<(conn: Conn) => void> = [];
  private expectationLookup: ExpectationLookup | null = null;
  /** Released slots, freed (and their Conn objects detached) before the next packet. */
  private pending: number[] = [];
  /** The shared state object of each stateless protocol, by number (F_NOSTATE). */
  private readonly stateless: unknown[] = new Array<unknown>(256).fill(undefined);

  // reused per packet
  private readonly result = new TrackResult(this);
  private readonly tuple = new Tuple();
  private readonly inner = new Tuple();
  private readonly scratch = new Tuple();
  private readonly probe = new Tuple();
  private readonly other = new Tuple();
  private readonly redirectView = new PacketView();
  private readonly cursor: SlotConn;
  private readonly tcpView: TcpStateView;
  private readonly out: PacketOut = { timeout: -1, kill: false, protoEvent: false };
  private readonly info: PacketInfo = { dir: 0, hook: Hook.PREROUTING, now: 0 };
  private readonly greLookup = (t: Tuple): number => this.greKeymap.lookup(t);

  constructor(opts: TableOptions) {
    this.settings = opts.settings;
    this.seed = opts.seed;
    this.trackers = opts.trackers ?? defaultTrackers();
    const size = Math.max(1, Math.floor(opts.settings.buckets));
    this.heads = new Int32Array(size).fill(-1);
    this.bucketShift = size > 1 && (size & (size - 1)) === 0 ? 32 - Math.log2(size) : 0;
    this.store = new ConnStore(1024);
    this.cursor = new SlotConn(this.store, this);
    this.tcpView = new TcpStateView(this.store);
    const [k0, k1] = deriveKey(opts.seed, 1);
    this.k0 = k0 | 0;
    this.k1 = k1 | 0;
    const [i0, i1] = deriveKey(opts.seed, 2);
    this.idK0 = i0 | 0;
    this.idK1 = i1 | 0;
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
    r.slot = -1;
    r.pinned = null;
    r.reason = '';
    r.drop = false;
    this.expire(now);
    if (opts?.notrack) return this.untracked(r, 'notrack');
    if (pkt.family !== 4 && pkt.family !== 6) throw new Error('conntrack: track() needs an IPv4 or IPv6 packet');
    if (pkt.fragOffset > 0 || pkt.l4Off < 0) return this.invalid(r, 'no transport header (later fragment, or broken extension headers)');
    const zone = opts?.zoneDir === undefined ? (opts?.zone ?? 0) & 0xffff : zoneSpecOf(opts.zone ?? 0, opts.zoneDir);
    const tracker = this.trackerFor(pkt.proto);
    const icmpFamily = (pkt.family === 4 && pkt.proto === Proto.ICMP) || (pkt.family === 6 && pkt.proto === Proto.ICMPV6);
    if (icmpFamily && this.icmpStage(pkt, hook, zone, tracker, r)) return r;
    if (!tupleFromPacket(pkt, this.tuple, this.greLookup)) return this.invalid(r, `${tracker.name}: header too short for a tuple`);
    const hash = this.hashOf(this.tuple, zoneId(zone, 0));
    for (let repeats = 0; ; repeats++) {
      const found = this.lookupBoth(this.tuple, zone, hash);
      let s: number;
      let dir: 0 | 1 = 0;
      if (found >= 0) {
        s = found;
        dir = this.foundDir;
      } else {
        const created = this.initConntrack(this.tuple, zone, now, opts?.helper ?? null, tracker, opts?.timeouts ?? null);
        if (created === NO_REPLY_TUPLE) return this.invalid(r, `${tracker.name}: no reply tuple for this packet`);
        if (created === TABLE_FULL) return this.dropped(r, 'table full');
        s = created;
        this.store.nodes[s * 2 * NW + N_HASH] = hash;
      }
      const v = this.runTracker(s, found < 0, dir, pkt, hook, now, tracker, !icmpFamily, r);
      if (v !== Verdict.REPEAT) return r;
      // The tracker asks for a fresh connection (a SYN reopening a closed one).
      if (found < 0 || repeats > 0) {
        if (!this.isConfirmed(s)) this.freeUnconfirmed(s);
        return this.invalid(r, `${tracker.name}: repeated lookup`);
      }
      this.kill(s, now);
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
    const s = this.slotOf(conn);
    if (s < 0) return this.confirmDetached(conn, dir);
    const to = this.confirmSlot(s, now, dir);
    return to < 0 ? null : to === s ? conn : this.handleOfSlot(to);
  }

  /**
   * `confirm` by slot (TrackResult.slot), without making Conn objects: returns the slot of the
   * connection the packet now belongs to, or -1 when the packet must be dropped.
   */
  confirmSlot(s: number, now: number, dir: 0 | 1 = 0): number {
    const st = this.store;
    const status = st.i[s * R + O_STATUS]!;
    if (status & CtStatus.CONFIRMED) {
      this.deliver(s, now);
      return s;
    }
    if (dir !== 0) return s;
    if (status & CtStatus.DYING) {
      this.stats.insertFailed++;
      this.freeUnconfirmed(s);
      return -1;
    }
    return this.insert(s, now);
  }

  /** An unconfirmed connection whose packet was dropped: no entry, no event. */
  discard(conn: Conn): void {
    const s = this.slotOf(conn);
    if (s >= 0 && !this.isConfirmed(s)) this.freeUnconfirmed(s);
  }

  // ----------------------------------------------------------------------------------------------
  // expiry

  /**
   * Reaps every entry that has timed out by `now` (DESTROY events), and runs the garbage
   * collector's early drop when a table-full drop asked for it.
   */
  expire(now: number): void {
    if (this.pending.length > 0) this.freePending();
    const st = this.store;
    for (let s = st.heapPeek(); s >= 0 && st.heapTopKey() <= now; s = st.heapPeek()) {
      if (st.f[s * FR + D_EXPIRES]! > now) st.heapRefileTop();
      else this.kill(s, now);
    }
    if (this.gcEarlyDrop && now - this.gcEarlyDropSince >= GC_MIN_INTERVAL) this.gcEarlyDropPass(now);
  }

  // ----------------------------------------------------------------------------------------------
  // table operations (conntrack -D -F -U -G, NAT, helpers)

  /** Deletes a connection (DESTROY event). False when it was already going. */
  delete(conn: Conn, now: number): boolean {
    const s = this.slotOf(conn);
    if (s < 0) {
      // Freed already: only the flag changes, as it did on a dead entry.
      if (conn.dying) return false;
      conn.status |= CtStatus.DYING;
      return true;
    }
    return this.kill(s, now);
  }

  /** Deletes every connection (conntrack -F). */
  flush(now: number): void {
    const st = this.store;
    for (let s = this.head; s >= 0; ) {
      const next = st.i[s * R + O_LNEXT]!;
      this.kill(s, now);
      s = next;
    }
  }

  /** Changes mark / labels / timeout as ctnetlink does (conntrack -U), with its UPDATE event. */
  update(conn: Conn, change: ConnUpdate, now: number): void {
    if (change.mark !== undefined) conn.mark = change.mark >>> 0;
    if (change.labels !== undefined) for (let i = 0; i < 4; i++) conn.labels[i] = (change.labels[i] ?? 0) >>> 0;
    if (change.timeout !== undefined) this.setTimeout(conn, change.timeout, now);
    const s = this.slotOf(conn);
    if (s < 0 || !this.isConfirmed(s) || this.isDying(s) || !conn.hasEcache) return;
    this.syncChangeMarkers(s);
    this.emit('UPDATE', s, now, NETLINK_UPDATE_BITS | this.store.ecache(s));
    this.store.setEcache(s, 0);
  }

  /** Sets the timeout to `seconds` from now (no event; entries with a fixed timeout included). */
  setTimeout(conn: Conn, seconds: number, now: number): void {
    const s = this.slotOf(conn);
    if (s < 0) conn.expiresAt = now + seconds;
    else this.setExpiry(s, now + seconds);
  }

  /**
   * nft ct timeout objects (nf_ct_timeout_ext_add on an unconfirmed connection): the connection's
   * tracker runs with `settings` (a timeout policy applied) from now on; null: the defaults.
   */
  setTimeoutSettings(conn: Conn, settings: ConntrackSettings | null): void {
    const s = this.slotOf(conn);
    if (s >= 0) this.store.ext(s).timeouts = settings;
  }

  /** Caches event bits on a connection, delivered with its next confirmed packet (IPCT_*). */
  cacheEvent(conn: Conn, bits: number): void {
    conn.ecache |= bits;
  }

  /**
   * The confirmed connection with tuple `t` in either direction, or null. `zone` is a zone id, or
   * a spec for a zone of one direction (Conn.zoneSpec), looked up as nf_conntrack_find_get does.
   */
  get(t: CtTupleLike, zone = 0): Conn | null {
    const s = this.lookupLike(t, zone);
    return s < 0 ? null : this.handleOfSlot(s);
  }

  /** Like `get`, with the direction the tuple matched. */
  find(t: CtTupleLike, zone = 0): { conn: Conn; dir: 0 | 1 } | null {
    const s = this.lookupLike(t, zone);
    if (s < 0) return null;
    const dir = this.foundDir;
    return { conn: this.handleOfSlot(s), dir };
  }

  /**
   * NAT: gives an unconfirmed connection its translated reply tuple (nf_conntrack_alter_reply).
   * Lookups and insertion use it from then on.
   */
  alterReplyTuple(conn: Conn, t: CtTupleLike): void {
    if (conn.confirmed) throw new Error('conntrack: the reply tuple of a confirmed connection cannot change');
    conn.reply.copyFrom(t);
    const s = this.slotOf(conn);
    if (s >= 0) this.writeTuple(s, 1, conn.reply);
  }

  /**
   * NAT: is tuple `t` (a candidate reply tuple) used by a connection other than `ignoring`
   * (nf_conntrack_tuple_taken)? A connection whose original tuple equals ignoring's is the same
   * flow and does not count.
   */
  tupleInUse(t: CtTupleLike, ignoring: Conn): boolean {
    const zone = ignoring.zoneSpec;
    const probe = this.probe.copyFrom(t);
    const h = this.hashOf(probe, zoneId(zone, 1));
    const ignoreSlot = this.slotOf(ignoring);
    const st = this.store;
    for (let n = this.heads[this.bucketOfHash(h)]!; n >= 0; n = st.nodes[n * NW + N_NEXT]!) {
      const s = n >> 1;
      if (s === ignoreSlot || !this.nodeMatches(n, h, probe, zone)) continue;
      if (tuplesEqual(ignoring.orig, this.readTuple(s, 0, this.other))) continue;
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
    const st = this.store;
    for (let s = this.head; s >= 0; ) {
      const next = st.i[s * R + O_LNEXT]!;
      if (!(st.flags(s) & F_CLASH_HIDDEN)) yield this.handleOfSlot(s);
      s = next;
    }
  }

  /** Every confirmed connection in insertion order, NAT clash entries included. */
  *all(): IterableIterator<Conn> {
    const st = this.store;
    for (let s = this.head; s >= 0; ) {
      const next = st.i[s * R + O_LNEXT]!;
      yield this.handleOfSlot(s);
      s = next;
    }
  }

  /**
   * Snapshot restore: puts a confirmed connection back as it was (no event, no check). Used by
   * snapshot.ts; the connection must carry CONFIRMED and its final tuples, timeout and state.
   * The Conn object given becomes the connection's.
   */
  restore(conn: Conn): void {
    const st = this.store;
    const s = st.alloc();
    this.allocated++;
    this.writeTuple(s, 0, conn.orig);
    this.writeTuple(s, 1, conn.reply);
    st.i[s * R + O_STATUS] = conn.status;
    st.u[s * R + O_MARK] = conn.mark;
    st.u[s * R + O_LASTMARK] = conn.lastMark;
    st.setZoneSpec(s, conn.zoneSpec);
    st.u[s * R + O_ID] = conn.id;
    st.setEcache(s, conn.ecache);
    st.f[s * FR + D_EXPIRES] = conn.expiresAt;
    st.f[s * FR + D_CREATED] = conn.createdAt;
    let f = 0;
    if (conn.hasAcct) f |= F_ACCT;
    if (conn.hasTstamp) f |= F_TSTAMP;
    if (conn.hasEcache) f |= F_ECACHE;
    if (conn.clashHidden) f |= F_CLASH_HIDDEN;
    st.setFlags(s, f);
    const x = st.ext(s);
    x.helperName = conn.helperName;
    x.helperData = conn.helperData;
    x.master = conn.master;
    x.refs = conn.refs;
    x.secmark = conn.secmark;
    if (conn.labelsTouched) {
      x.labels = conn.labels.slice();
      x.lastLabels = conn.lastLabels.slice();
    }
    x.origPackets = conn.origPackets;
    x.origBytes = conn.origBytes;
    x.replyPackets = conn.replyPackets;
    x.replyBytes = conn.replyBytes;
    x.tsStart = conn.tsStart;
    x.tsStop = conn.tsStop;
    x.protoObj = conn.proto;
    x.handle = conn;
    conn.attach(this, s);
    this.link(s);
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
  // slots and their Conn objects (table internals, public for Conn and TrackResult)

  /** The Conn object of a slot (made on first request, the same one afterwards). */
  handleOfSlot(s: number): Conn {
    const st = this.store;
    const x = st.ext(s);
    if (x.handle !== null) return x.handle;
    const tracker = this.trackerFor(st.proto(s));
    const c = Conn.ofSlot(tracker, this, s, this.readTuple(s, 0, this.scratchA), this.readTuple(s, 1, this.scratchB));
    x.handle = c;
    return c;
  }

  private readonly scratchA = new Tuple();
  private readonly scratchB = new Tuple();

  /** The protocol state of a slot, for a tracker (TCP state in the slot's words through `view`). */
  protoOfSlot(s: number, view: TcpStateView): unknown {
    const st = this.store;
    const f = st.flags(s);
    if (f & F_TCPSOA) return view.at(s);
    if (f & F_NOSTATE) return this.stateless[st.proto(s)];
    return st.extOf(s)?.protoObj ?? null;
  }

  /** SlotOwner: a stateless protocol's shared state object. */
  statelessState(proto: number): unknown {
    return this.stateless[proto & 0xff];
  }

  /** The slot of a Conn object of this table, -1 when it has none (freed, or never in it). */
  private slotOf(conn: Conn): number {
    return conn.owner === this ? conn.slot : -1;
  }

  private isConfirmed(s: number): boolean {
    return (this.store.i[s * R + O_STATUS]! & CtStatus.CONFIRMED) !== 0;
  }

  private isDying(s: number): boolean {
    return (this.store.i[s * R + O_STATUS]! & CtStatus.DYING) !== 0;
  }

  /** Stores the tuple of direction `dir` of slot `s`. */
  private writeTuple(s: number, dir: 0 | 1, t: Tuple): void {
    const st = this.store;
    const w = t.words;
    const a = t.at;
    const base = s * R + O_ADDR + dir * 2;
    st.u[base] = w[a]!;
    st.u[base + 1] = w[a + 4]!;
    st.u[s * R + O_PORTS + dir] = (((t.sport & 0xffff) << 16) | (t.dport & 0xffff)) >>> 0;
    st.setProto(s, t.proto);
    if (t.family === 6) {
      st.setFlags(s, F_V6);
      const x = st.ext(s);
      const v6 = (x.v6 ??= new Uint32Array(16));
      const o = dir * 8;
      for (let i = 0; i < 8; i++) v6[o + i] = w[a + i]!;
    } else {
      st.clearFlags(s, F_V6);
    }
  }

  /** The tuple of direction `dir` of slot `s`, into `out`. */
  private readTuple(s: number, dir: 0 | 1, out: Tuple): Tuple {
    const st = this.store;
    const w = out.words;
    const a = out.at;
    const p = st.u[s * R + O_PORTS + dir]!;
    out.proto = st.proto(s);
    out.sport = p >>> 16;
    out.dport = p & 0xffff;
    if (st.flags(s) & F_V6) {
      out.family = 6;
      const v6 = st.extOf(s)!.v6!;
      const o = dir * 8;
      for (let i = 0; i < 8; i++) w[a + i] = v6[o + i]!;
    } else {
      out.family = 4;
      const base = s * R + O_ADDR + dir * 2;
      w[a] = st.u[base]!;
      w[a + 4] = st.u[base + 1]!;
      w[a + 1] = 0;
      w[a + 2] = 0;
      w[a + 3] = 0;
      w[a + 5] = 0;
      w[a + 6] = 0;
      w[a + 7] = 0;
    }
    return out;
  }

  /** Conn objects of freed slots keep their values; the slots go back to the store. */
  private freePending(): void {
    const st = this.store;
    const list = this.pending;
    this.pending = [];
    const r = this.result;
    for (const s of list) {
      // The current result still names this connection: keep its object.
      if (s === r.slot && r.pinned === null) r.pinned = this.handleOfSlot(s);
      const h = st.extOf(s)?.handle ?? null;
      if (h !== null) h.detach();
      st.release(s);
    }
  }

  /** A confirm() of a Conn object whose slot was freed: what it did on a dead entry. */
  private confirmDetached(conn: Conn, dir: 0 | 1): Conn | null {
    if (conn.confirmed) return conn;
    if (dir !== 0) return conn;
    if (conn.dying) {
      this.stats.insertFailed++;
      return null;
    }
    throw new Error('conntrack: confirm() of a connection this table does not hold');
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
    r.slot = -1;
    r.reason = reason;
    return r;
  }

  /** Conntrack drops the packet (NF_DROP) before it gets a state. */
  private dropped(r: TrackResult, reason: string): TrackResult {
    this.stats.drop++;
    r.state = 0;
    r.slot = -1;
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
    r.slot = -1;
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
    const found = this.lookupBoth(this.scratch, zone, this.hashOf(this.scratch, zoneId(zone, 0)));
    if (found < 0) return this.icmpRefused(r, 'icmp error for no known connection');
    const foundDir = this.foundDir;
    const t = this.readTuple(found, foundDir, this.other);
    const dst = t.words;
    const a = t.at + 4;
    const od = outer.dst;
    if (dst[a] !== od[0] || dst[a + 1] !== od[1] || dst[a + 2] !== od[2] || dst[a + 3] !== od[3]) {
      return this.icmpRefused(r, 'icmp error: outer destination is not the connection\'s');
    }
    r.state = CtStateBit.RELATED;
    r.dir = foundDir;
    r.slot = found;
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
   * early drop), the expectation check. NO_REPLY_TUPLE when the packet has no reply tuple;
   * TABLE_FULL when the table has no room; else the new connection's slot.
   */
  private initConntrack(t: Tuple, zone: number, now: number, helper: string | null, tracker: Tracker<unknown>, timeouts: ConntrackSettings | null): number {
    if (!invertTuple(this.scratch, t)) return NO_REPLY_TUPLE;
    if (this.allocated + 1 > this.settings.max && !this.earlyDrop(t, zoneId(zone, 0), now)) {
      if (!this.gcEarlyDrop) {
        this.gcEarlyDrop = true;
        this.gcEarlyDropSince = now;
      }
      return TABLE_FULL;
    }
    const set = this.settings;
    const st = this.store;
    const s = st.alloc();
    this.writeTuple(s, 0, t);
    this.writeTuple(s, 1, this.scratch);
    st.f[s * FR + D_CREATED] = now;
    let f = 0;
    if (set.acct) f |= F_ACCT;
    if (set.timestamp) f |= F_TSTAMP;
    if (set.events !== 0) f |= F_ECACHE;
    st.setFlags(s, f);
    st.setZoneSpec(s, zone);
    st.u[s * R + O_ID] = this.nextId();
    this.allocated++;
    // nf_ct_find_expectation compares the master's zone id, whatever its directions.
    const m = this.expectationLookup ? this.expectationLookup(t, zone & 0xffff, now) : null;
    if (m !== null) {
      st.i[s * R + O_STATUS] |= CtStatus.EXPECTED;
      const x = st.ext(s);
      x.master = m.master;
      m.master.refs++;
      x.helperName = m.helper;
      st.u[s * R + O_MARK] = m.master.mark;
      x.secmark = m.master.secmark;
      this.stats.expectNew++;
    } else if (helper !== null) {
      st.ext(s).helperName = helper;
    }
    if (timeouts !== null) st.ext(s).timeouts = timeouts;
    st.u[s * R + O_LASTMARK] = st.u[s * R + O_MARK]!;
    if (m?.onCreated) m.onCreated(this.handleOfSlot(s));
    return s;
  }

  private nextId(): number {
    this.serial++;
    const w = this.idWords;
    w[0] = this.serial;
    w[1] = Math.floor(this.serial / 0x100000000);
    return halfSipHashWords(this.idK0, this.idK1, w, 2);
  }

  /** Puts a fresh protocol state into slot `s`: in its words (TCP), as the shared stateless object, or as an object. */
  private setProtoState(s: number, state: unknown): void {
    const st = this.store;
    if (state instanceof TcpState && tcpStateFits(state)) {
      this.tcpView.at(s).load(state);
      st.setFlags(s, F_TCPSOA);
      return;
    }
    const proto = st.proto(s);
    if (typeof state === 'object' && state !== null && Object.isFrozen(state) && Object.keys(state).length === 0) {
      const known = this.stateless[proto];
      if (known === undefined || known === state) {
        this.stateless[proto] = state;
        st.setFlags(s, F_NOSTATE);
        return;
      }
    }
    st.ext(s).protoObj = state;
  }

  /**
   * Runs the tracker on the packet's connection and applies its verdict. Returns the verdict
   * (REPEAT is for the caller).
   */
  private runTracker(
    s: number,
    isNew: boolean,
    dir: 0 | 1,
    pkt: PacketView,
    hook: number,
    now: number,
    tracker: Tracker<unknown>,
    checkErrors: boolean,
    r: TrackResult,
  ): Verdict {
    const st = this.store;
    // A connection with a timeout policy (CT --timeout) runs its tracker with those timeouts.
    const set = st.extOf(s)?.timeouts ?? this.settings;
    const reason = checkErrors ? tracker.error(pkt, hook, set) : null;
    if (reason !== null) return this.refuse(s, isNew, Verdict.INVALID, `${tracker.name}: ${reason}`, r);
    if (isNew) {
      if (tracker.create === tcpCreate) {
        // The TCP tracker's state, made in the slot's words (no state object).
        if (!tcpMayCreate(pkt, set)) return this.refuse(s, true, Verdict.INVALID, `${tracker.name}: this packet cannot start a connection`, r);
        const view = this.tcpView.at(s);
        view.reset();
        tcpInitState(pkt, view);
        st.setFlags(s, F_TCPSOA);
      } else {
        const state = tracker.create(pkt, set, now);
        if (state === null) return this.refuse(s, true, Verdict.INVALID, `${tracker.name}: this packet cannot start a connection`, r);
        this.setProtoState(s, state);
      }
    }
    const c = this.cursor;
    c.slot = s;
    // A stateless protocol's state (one shared object) has the same name before and after.
    const named = isNew || (st.flags(s) & F_NOSTATE) === 0;
    const oldName = isNew || !named ? '' : tracker.stateName(c.proto);
    const oldStatus = st.i[s * R + O_STATUS]!;
    const out = this.out;
    out.timeout = -1;
    out.kill = false;
    out.protoEvent = false;
    const info = this.info;
    info.dir = dir;
    info.hook = hook;
    info.now = now;
    const v = tracker.packet(c, pkt, info, set, out);
    // Events a tracker caused: PROTOINFO on a state change (or when it says so), ASSURED when set.
    if (out.protoEvent || (named && tracker.stateName(c.proto) !== oldName)) st.orEcache(s, IPCT.PROTOINFO);
    if (!(oldStatus & CtStatus.ASSURED) && st.i[s * R + O_STATUS]! & CtStatus.ASSURED) st.orEcache(s, IPCT.ASSURED);
    if (v === Verdict.REPEAT) return v;
    if (v !== Verdict.ACCEPT) {
      if (v === Verdict.INVALID && out.timeout >= 0 && !isNew) this.setExpiry(s, now + out.timeout);
      return this.refuse(s, isNew, v, `${tracker.name}: packet does not fit the connection`, r);
    }
    this.accept(s, dir, pkt, now, out);
    r.slot = s;
    r.dir = dir;
    r.state = packetState(st.i[s * R + O_STATUS]!, dir);
    return v;
  }

  /** The tracker refused the packet: INVALID (or conntrack's own drop); a new connection goes. */
  private refuse(s: number, isNew: boolean, v: Verdict, reason: string, r: TrackResult): Verdict {
    if (isNew) this.freeUnconfirmed(s);
    if (v === Verdict.DROP) {
      this.stats.invalid++;
      this.dropped(r, reason);
    } else {
      this.invalid(r, reason);
    }
    return v;
  }

  /** An accepted packet: refresh and count, kill when asked, SEEN_REPLY on the first reply. */
  private accept(s: number, dir: 0 | 1, pkt: PacketView, now: number, out: PacketOut): void {
    const st = this.store;
    const counted = out.timeout >= 0;
    if (counted) {
      if (!(st.i[s * R + O_STATUS]! & CtStatus.FIXED_TIMEOUT)) this.setExpiry(s, now + out.timeout);
      this.account(s, dir, pkt);
    }
    if (out.kill) {
      if (!counted) this.account(s, dir, pkt);
      this.kill(s, now);
    }
    if (dir === 1 && !(st.i[s * R + O_STATUS]! & CtStatus.SEEN_REPLY)) {
      st.i[s * R + O_STATUS] |= CtStatus.SEEN_REPLY;
      st.orEcache(s, IPCT.REPLY);
    }
  }

  /** Counts a packet (skb->len: the IP datagram's length) when the entry has accounting. */
  private account(s: number, dir: 0 | 1, pkt: PacketView): void {
    const st = this.store;
    if (!(st.flags(s) & F_ACCT)) return;
    const x = st.ext(s);
    if (dir === 0) {
      x.origPackets++;
      x.origBytes += pkt.ipTotalLen;
    } else {
      x.replyPackets++;
      x.replyBytes += pkt.ipTotalLen;
    }
  }

  private setExpiry(s: number, at: number): void {
    this.store.setExpires(s, at);
  }

  // ----------------------------------------------------------------------------------------------
  // hashing

  /** The tuple's full hash (as int32: the chains store it so). */
  private hashOf(t: CtTupleLike, zone: number): number {
    return hashTupleKeyed(this.k0, this.k1, t, zone) | 0;
  }

  private bucketOfHash(h: number): number {
    // scaleHash, which for a power-of-two size is the hash's top bits.
    const shift = this.bucketShift;
    return shift > 0 ? h >>> shift : scaleHash(h, this.heads.length);
  }

  /**
   * Node `n` (slot * 2 + dir) holds tuple `t` (hash `h`) in `zone` (the kernel's nf_ct_key_equal);
   * the stored hash is compared first, so that a chain search rarely reads a tuple.
   */
  private nodeMatches(n: number, h: number, t: Tuple, zone: number): boolean {
    const st = this.store;
    if (st.nodes[n * NW + N_HASH] !== h) return false;
    const s = n >> 1;
    const zs = st.zoneSpec(s);
    if ((zs !== zone && zoneId(zs, n & 1) !== zoneId(zone, n & 1)) || (st.i[s * R + O_STATUS]! & CtStatus.CONFIRMED) === 0) return false;
    if (st.u[(n >> 1) * R + O_PORTS + (n & 1)] !== ((((t.sport & 0xffff) << 16) | (t.dport & 0xffff)) >>> 0) || st.proto(s) !== t.proto) return false;
    const w = t.words;
    const a = t.at;
    const v6 = (st.flags(s) & F_V6) !== 0;
    if (v6 !== (t.family === 6)) return false;
    const base = s * R + O_ADDR + (n & 1) * 2;
    if (st.u[base] !== w[a] || st.u[base + 1] !== w[a + 4]) return false;
    if (!v6) return w[a + 1] === 0 && w[a + 2] === 0 && w[a + 3] === 0 && w[a + 5] === 0 && w[a + 6] === 0 && w[a + 7] === 0;
    const x = st.extOf(s)!.v6!;
    const o = (n & 1) * 8;
    for (let i = 1; i < 8; i++) if (x[o + i] !== w[a + i]) return false;
    return true;
  }

  /** The live confirmed connection holding tuple `t` (hash `h`), its direction in `foundDir`; or -1. */
  private lookup(t: Tuple, zone: number, h: number): number {
    const st = this.store;
    for (let n = this.heads[this.bucketOfHash(h)]!; n >= 0; n = st.nodes[n * NW + N_NEXT]!) {
      if (st.nodes[n * NW + N_HASH] === h && this.nodeMatches(n, h, t, zone) && !(st.i[(n >> 1) * R + O_STATUS]! & CtStatus.DYING)) {
        this.foundDir = (n & 1) as 0 | 1;
        return n >> 1;
      }
    }
    return -1;
  }

  /** lookup for a tuple from outside (any CtTupleLike). */
  private lookupLike(t: CtTupleLike, zone: number): number {
    const probe = this.probe.copyFrom(t);
    return this.lookupBoth(probe, zone, this.hashOf(probe, zoneId(zone, 0)));
  }

  /**
   * The lookup of resolve_normal_ct / nf_conntrack_find_get for a zone spec: in the chain of the
   * original direction's zone id (hash `h`), then, when the zone applies to one direction only,
   * in the chain of the reply direction's.
   */
  private lookupBoth(t: Tuple, zone: number, h: number): number {
    const found = this.lookup(t, zone, h);
    if (found >= 0 || zone >>> 16 === 0) return found;
    const rid = zoneId(zone, 1);
    return rid === zoneId(zone, 0) ? -1 : this.lookup(t, zone, this.hashOf(t, rid));
  }

  /** Puts node `dir` of slot `s` (tuple hash `h`) at the head of `bucket`. */
  private hashNode(s: number, dir: 0 | 1, bucket: number, h: number): void {
    const st = this.store;
    const n = s * 2 + dir;
    st.setFlags(s, dir === 0 ? F_HASHED0 : F_HASHED1);
    st.nodes[n * NW + N_HASH] = h;
    st.nodes[n * NW + N_NEXT] = this.heads[bucket]!;
    this.heads[bucket] = n;
  }

  private unhashNode(s: number, dir: 0 | 1): void {
    const st = this.store;
    const bit = dir === 0 ? F_HASHED0 : F_HASHED1;
    if ((st.flags(s) & bit) === 0) return;
    st.clearFlags(s, bit);
    const n = s * 2 + dir;
    const bucket = this.bucketOfHash(st.nodes[n * NW + N_HASH]!);
    let p = this.heads[bucket]!;
    if (p === n) {
      this.heads[bucket] = st.nodes[n * NW + N_NEXT]!;
    } else {
      while (p >= 0) {
        const q = st.nodes[p * NW + N_NEXT]!;
        if (q === n) {
          st.nodes[p * NW + N_NEXT] = st.nodes[n * NW + N_NEXT]!;
          break;
        }
        p = q;
      }
    }
    st.nodes[n * NW + N_NEXT] = -1;
  }

  // ----------------------------------------------------------------------------------------------
  // insertion (confirm) and clashes

  private insert(s: number, now: number): number {
    const st = this.store;
    const zone = st.zoneSpec(s);
    // hash[s * 2] is the original tuple's, noted when the packet looked it up (it cannot change since).
    const h0 = st.nodes[s * 2 * NW + N_HASH]!;
    const orig = this.readTuple(s, 0, this.scratchA);
    const reply = this.readTuple(s, 1, this.scratchB);
    const h1 = this.hashOf(reply, zoneId(zone, 1));
    const hash = this.bucketOfHash(h0);
    const replyHash = this.bucketOfHash(h1);
    const maxChain = MIN_CHAINLEN + this.random.below(CHAINLEN_SPREAD);
    const clashOrig = this.scanChain(hash, h0, orig, zone, maxChain);
    if (clashOrig === CHAIN_TOO_LONG) return this.chainTooLong(s);
    const clash = clashOrig >= 0 ? clashOrig : this.scanChain(replyHash, h1, reply, zone, maxChain);
    if (clash === CHAIN_TOO_LONG) return this.chainTooLong(s);
    if (clash >= 0) return this.resolveClash(s, clash, replyHash, h1, now);
    // The timeout counts from confirmation (the tracker set it relative to the first packet).
    st.f[s * FR + D_EXPIRES] += now - st.f[s * FR + D_CREATED]!;
    st.i[s * R + O_STATUS] |= CtStatus.CONFIRMED;
    if (st.flags(s) & F_TSTAMP) st.ext(s).tsStart = now;
    this.hashNode(s, 0, hash, h0);
    this.hashNode(s, 1, replyHash, h1);
    this.append(s);
    st.heapAdd(s);
    const x = st.extOf(s);
    if (x !== undefined && x.helperName !== null) st.orEcache(s, IPCT.HELPER);
    st.orEcache(s, x !== undefined && x.master !== null ? IPCT.RELATED : IPCT.NEW);
    this.deliver(s, now);
    return s;
  }

  /** The slot already holding tuple `t` in a chain (its direction in foundDir), CHAIN_TOO_LONG past the limit, or -1. */
  private scanChain(bucket: number, h: number, t: Tuple, zone: number, maxChain: number): number {
    const st = this.store;
    let len = 0;
    for (let n = this.heads[bucket]!; n >= 0; n = st.nodes[n * NW + N_NEXT]!) {
      if (this.nodeMatches(n, h, t, zone)) {
        this.foundDir = (n & 1) as 0 | 1;
        return n >> 1;
      }
      if (len++ > maxChain) return CHAIN_TOO_LONG;
    }
    return -1;
  }

  private chainTooLong(s: number): number {
    this.stats.chainTooLong++;
    this.stats.insertFailed++;
    this.freeUnconfirmed(s);
    return -1;
  }

  /**
   * Another entry took the tuple first (nf_ct_resolve_clash): for protocols that allow it, the
   * packet joins an identical entry, or the new entry goes in for the reply direction only as a
   * short-lived NAT clash entry; otherwise the packet is dropped.
   */
  private resolveClash(loser: number, winner: number, replyHash: number, h1: number, now: number): number {
    if (this.trackerFor(this.store.proto(loser)).allowClash) {
      if (this.canMerge(winner, loser)) return this.merge(winner, loser, now);
      const reply = this.readTuple(loser, 1, this.scratchB);
      const replyClash = this.scanChain(replyHash, h1, reply, this.store.zoneSpec(loser), Infinity);
      if (replyClash >= 0) {
        if (this.canMerge(replyClash, loser)) return this.merge(replyClash, loser, now);
      } else {
        return this.insertClashEntry(loser, replyHash, h1, now);
      }
    }
    this.stats.drop++;
    this.stats.insertFailed++;
    this.freeUnconfirmed(loser);
    return -1;
  }

  /** nf_ct_match / nf_ct_match_reverse: the same flow, in the same or the opposite orientation. */
  private canMerge(ct: number, loser: number): boolean {
    const st = this.store;
    const za = st.zoneSpec(ct);
    const zb = st.zoneSpec(loser);
    const a0 = this.readTuple(ct, 0, this.scratchA).clone();
    const a1 = this.readTuple(ct, 1, this.scratchA).clone();
    const b0 = this.readTuple(loser, 0, this.scratchA).clone();
    const b1 = this.readTuple(loser, 1, this.scratchA).clone();
    // nf_ct_match: the same tuples and zone ids per direction; nf_ct_match_reverse: crossed.
    if (tuplesEqual(a0, b0) && tuplesEqual(a1, b1) && zoneId(za, 0) === zoneId(zb, 0) && zoneId(za, 1) === zoneId(zb, 1)) return true;
    return tuplesEqual(a0, b1) && tuplesEqual(a1, b0) && zoneId(za, 0) === zoneId(zb, 1) && zoneId(za, 1) === zoneId(zb, 0);
  }

  /** The packet continues on the identical entry already in the table; its bytes count there. */
  private merge(winner: number, loser: number, now: number): number {
    const st = this.store;
    if (st.flags(winner) & st.flags(loser) & F_ACCT) {
      const w = st.ext(winner);
      w.origPackets++;
      w.origBytes += st.extOf(loser)?.origBytes ?? 0;
    }
    this.freeUnconfirmed(loser);
    this.stats.clashResolve++;
    this.deliver(winner, now);
    return winner;
  }

  /** nf_ct_resolve_clash_harder: in the table for replies only, for a second, never ASSURED. */
  private insertClashEntry(loser: number, replyHash: number, h1: number, now: number): number {
    const st = this.store;
    st.f[(loser) * FR + D_EXPIRES] = now + CLASH_TIMEOUT;
    st.i[(loser) * R + O_STATUS] |= CtStatus.FIXED_TIMEOUT | CtStatus.NAT_CLASH | CtStatus.CONFIRMED;
    if (st.flags(loser) & F_TSTAMP) st.ext(loser).tsStart = now;
    st.setFlags(loser, F_CLASH_HIDDEN);
    this.hashNode(loser, 1, replyHash, h1);
    this.append(loser);
    st.heapAdd(loser);
    this.stats.clashResolve++;
    this.deliver(loser, now);
    return loser;
  }

  private append(s: number): void {
    const st = this.store;
    st.i[s * R + O_LPREV] = this.tail;
    st.i[s * R + O_LNEXT] = -1;
    if (this.tail >= 0) st.i[(this.tail) * R + O_LNEXT] = s;
    else this.head = s;
    this.tail = s;
  }

  /** Snapshot restore of a confirmed entry: hash (both directions unless a clash entry), list, queue. */
  private link(s: number): void {
    const st = this.store;
    const zone = st.zoneSpec(s);
    if (!(st.flags(s) & F_CLASH_HIDDEN)) {
      const h0 = this.hashOf(this.readTuple(s, 0, this.scratchA), zoneId(zone, 0));
      this.hashNode(s, 0, this.bucketOfHash(h0), h0);
    }
    const h1 = this.hashOf(this.readTuple(s, 1, this.scratchA), zoneId(zone, 1));
    this.hashNode(s, 1, this.bucketOfHash(h1), h1);
    this.append(s);
    st.heapAdd(s);
  }

  private unlink(s: number): void {
    const st = this.store;
    this.unhashNode(s, 0);
    this.unhashNode(s, 1);
    const prev = st.i[s * R + O_LPREV]!;
    const next = st.i[s * R + O_LNEXT]!;
    if (prev >= 0) st.i[(prev) * R + O_LNEXT] = next;
    else if (this.head === s) this.head = next;
    if (next >= 0) st.i[(next) * R + O_LPREV] = prev;
    else if (this.tail === s) this.tail = prev;
    st.i[s * R + O_LPREV] = -1;
    st.i[s * R + O_LNEXT] = -1;
    st.heapRemove(s);
  }

  // ----------------------------------------------------------------------------------------------
  // removal

  /**
   * nf_ct_delete: the entry dies (DYING); a confirmed one sends DESTROY (pending cached events
   * are lost) and leaves the table. An unconfirmed one stays with its packet until `confirm`
   * refuses it or `discard` frees it. False when it was already dying.
   */
  private kill(s: number, now: number): boolean {
    const st = this.store;
    if (st.i[s * R + O_STATUS]! & CtStatus.DYING) return false;
    st.i[s * R + O_STATUS] |= CtStatus.DYING;
    const confirmed = (st.i[s * R + O_STATUS]! & CtStatus.CONFIRMED) !== 0;
    if (st.flags(s) & F_TSTAMP) {
      const exp = st.f[s * FR + D_EXPIRES]!;
      st.ext(s).tsStop = exp < now && confirmed ? exp : now;
    }
    if (!confirmed) return true;
    st.setEcache(s, 0);
    if (st.flags(s) & F_ECACHE) this.emit('DESTROY', s, now, IPCT.DESTROY);
    this.unlink(s);
    this.release(s);
    return true;
  }

  /** Frees an unconfirmed connection (its packet is gone). */
  private freeUnconfirmed(s: number): void {
    this.store.i[s * R + O_STATUS] |= CtStatus.DYING;
    this.release(s);
  }

  /**
   * Takes the connection out of the allocation count, drops its master reference, tells
   * listeners; its slot is freed before the next packet (so that what this packet still does
   * with it stays readable).
   */
  private release(s: number): void {
    const st = this.store;
    if (st.flags(s) & F_RELEASED) return;
    st.setFlags(s, F_RELEASED);
    this.allocated--;
    const master = st.extOf(s)?.master ?? null;
    if (master !== null) master.refs--;
    if (this.removeListeners.length > 0) {
      const c = this.handleOfSlot(s);
      for (const cb of this.removeListeners) cb(c);
    }
    this.pending.push(s);
  }

  /** early_drop: evict unassured entries from the few buckets after the new tuple's; true when any went. */
  private earlyDrop(t: Tuple, zone: number, now: number): boolean {
    const n = this.heads.length;
    let bucket = this.bucketOfHash(this.hashOf(t, zone));
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
    const st = this.store;
    let drops = 0;
    // A kill unhashes both nodes of its entry: rescan the chain from its head after each one.
    for (let n = this.heads[bucket]!; n >= 0; ) {
      const s = n >> 1;
      const status = st.i[s * R + O_STATUS]!;
      if (st.f[s * FR + D_EXPIRES]! <= now) this.kill(s, now);
      else if (!(status & CtStatus.ASSURED) && !(status & CtStatus.DYING) && status & CtStatus.CONFIRMED && this.kill(s, now)) drops++;
      else {
        n = st.nodes[n * NW + N_NEXT]!;
        continue;
      }
      n = this.heads[bucket]!;
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
    const st = this.store;
    for (let s = this.head; s >= 0; ) {
      const next = st.i[s * R + O_LNEXT]!;
      if (this.allocated >= max95 && this.canEarlyDrop(s)) this.kill(s, now);
      s = next;
    }
  }

  /** gc_worker_can_early_drop. */
  private canEarlyDrop(s: number): boolean {
    if (!(this.store.i[s * R + O_STATUS]! & CtStatus.ASSURED)) return true;
    const t = this.trackerFor(this.store.proto(s));
    return t.canEarlyDrop !== undefined && t.canEarlyDrop(this.protoOfSlot(s, this.tcpView));
  }

  // ----------------------------------------------------------------------------------------------
  // events

  /** Delivers the cached events of a confirmed, live connection (nf_ct_deliver_cached_events). */
  private deliver(s: number, now: number): void {
    const st = this.store;
    const status = st.i[s * R + O_STATUS]!;
    if (!(status & CtStatus.CONFIRMED) || status & CtStatus.DYING || !(st.flags(s) & F_ECACHE)) return;
    let bits = st.ecache(s);
    if (st.u[s * R + O_MARK] !== st.u[s * R + O_LASTMARK]) bits |= IPCT.MARK;
    const x = st.extOf(s);
    const labels = x !== undefined && (x.labels !== null || x.lastLabels !== null);
    if (labels && labelsChanged(x.labels, x.lastLabels)) bits |= IPCT.LABEL;
    st.setEcache(s, 0);
    st.u[s * R + O_LASTMARK] = st.u[s * R + O_MARK]!;
    if (labels) this.syncLabels(s);
    if (bits === 0) return;
    const type = eventType(bits);
    if (type !== null) this.emit(type, s, now, bits);
  }

  private syncChangeMarkers(s: number): void {
    const st = this.store;
    st.u[s * R + O_LASTMARK] = st.u[s * R + O_MARK]!;
    const x = st.extOf(s);
    if (x !== undefined && (x.labels !== null || x.lastLabels !== null)) this.syncLabels(s);
  }

  private syncLabels(s: number): void {
    const x = this.store.ext(s);
    const last = (x.lastLabels ??= new Uint32Array(4));
    if (x.labels !== null) last.set(x.labels);
    else last.fill(0);
  }

  private emit(type: CtEvent['type'], s: number, time: number, bits: number): void {
    if (this.listeners.length === 0) return;
    const ev: CtEvent = { type, conn: this.handleOfSlot(s), time, bits };
    for (const l of this.listeners) l(ev);
  }
}

/** The state bit of a packet on its connection (the kernel's ctinfo). */
function packetState(status: number, dir: 0 | 1): number {
  if (dir === 1 || status & CtStatus.SEEN_REPLY) return CtStateBit.ESTABLISHED;
  return status & CtStatus.EXPECTED ? CtStateBit.RELATED : CtStateBit.NEW;
}

function labelsChanged(a: Uint32Array | null, b: Uint32Array | null): boolean {
  const a0 = a === null ? 0 : a[0]!;
  const a1 = a === null ? 0 : a[1]!;
  const a2 = a === null ? 0 : a[2]!;
  const a3 = a === null ? 0 : a[3]!;
  const b0 = b === null ? 0 : b[0]!;
  const b1 = b === null ? 0 : b[1]!;
  const b2 = b === null ? 0 : b[2]!;
  const b3 = b === null ? 0 : b[3]!;
  return a0 !== b0 || a1 !== b1 || a2 !== b2 || a3 !== b3;
}
