/**
 * Connection storage for the table: one slot per connection, each a fixed-size record of 32-bit
 * words in one large buffer (R words, seen as Uint32Array / Int32Array / Float64Array), so that
 * a table of millions of connections is a handful of flat arrays rather than millions of objects:
 * about 190 bytes per connection with the table's hash heads, nothing for the garbage collector to
 * trace, and a lookup reads one or two cache lines of the record.
 *
 * What few connections use (helper, master, labels, accounting, timestamps, IPv6 address words,
 * a protocol state object, the Conn handle) lives in a side object per slot (SlotExtra), made
 * when first needed (flag F_EXT).
 *
 * A record holds (offsets O_* / D_* below):
 *  - the first word of the original source and destination and of the reply source and
 *    destination (an IPv4 tuple whole; an IPv6 tuple's other words are in SlotExtra.v6);
 *  - ports per direction (sport << 16 | dport), the protocol number and F_* flags (family among
 *    them), zone and pending event bits;
 *  - the hash chains: per node (slot * 2 + direction) the next node and the tuple's hash;
 *  - status, mark, the mark the last event carried, id;
 *  - the insertion-ordered list (previous, next slot) and the slot's place in the expiry heap;
 *  - expiry and creation times;
 *  - the TCP state (TcpStateView's 16 words) when the connection is TCP and nobody outside the
 *    table holds its state object (F_TCPSOA).
 *
 * Slots of dead connections are reused. A Conn handle (conn.ts) reads and writes a slot while
 * its connection lives and keeps a copy of everything once the slot is freed.
 */
import type { Conn } from './conn.js';
import type { TcpSeqAdj } from './proto/tcp-seqadj.js';
import { TcpFlag, type TcpPeer, type TcpState } from './proto/tcp-state.js';
import type { ConntrackSettings } from './settings.js';

/** Slot flags (ConnStore.flags). */
export const F_ACCT = 1;
export const F_TSTAMP = 2;
export const F_ECACHE = 4;
export const F_CLASH_HIDDEN = 8;
export const F_RELEASED = 16;
export const F_HASHED0 = 32;
export const F_HASHED1 = 64;
/** The TCP state lives in the slot's words (else in SlotExtra.protoObj, or it is the tracker's stateless object). */
export const F_TCPSOA = 128;
/** IPv6 tuples. */
export const F_V6 = 256;
/** The protocol state is the tracker's shared stateless object (ConnStore.statelessOf). */
export const F_NOSTATE = 512;
/** The slot holds a connection (allocated, not yet freed). */
export const F_INUSE = 1024;
/** The slot has a SlotExtra (ConnStore.extOf). */
export const F_EXT = 2048;
/** The expiry time was lowered from outside the table (Conn.expiresAt): it may be before the filing time. */
export const F_EXP_LOWERED = 4096;
/** The zone applies to the original direction only (CT --zone-orig, nft `ct original zone set`). */
export const F_ZONE_ORIG = 8192;
/** The zone applies to the reply direction only (CT --zone-reply). */
export const F_ZONE_REPLY = 16384;
/** Shift from the flags to the zone-direction bits of a zone spec (see zoneId). */
const ZONE_DIR_SHIFT = 13;

/** Words of TCP state per slot (record words O_TCP..). */
export const TCP_WORDS = 16;

/** The rarely used part of a connection. */
export class SlotExtra {
  helperName: string | null = null;
  helperData: unknown = null;
  master: Conn | null = null;
  refs = 0;
  secmark = 0;
  labels: Uint32Array | null = null;
  lastLabels: Uint32Array | null = null;
  origPackets = 0;
  origBytes = 0;
  replyPackets = 0;
  replyBytes = 0;
  tsStart = 0;
  tsStop = 0;
  /** The protocol state object, when it is neither in the slot's TCP words nor stateless. */
  protoObj: unknown = null;
  /** The connection's handle, once one was asked for. */
  handle: Conn | null = null;
  /** IPv6: the tuples' address words as a Tuple keeps them (orig src, dst, reply src, dst: 16). */
  v6: Uint32Array | null = null;
  /** CT --timeout: the settings with the connection's timeout policy applied, null for the defaults. */
  timeouts: ConntrackSettings | null = null;
}

/**
 * Record layout: R 32-bit words per slot, in one buffer seen as Uint32Array `u`, Int32Array `i`
 * and Float64Array `f` (a slot's record is 8-byte aligned: R is even). What a lookup reads once a
 * node's hash matched (status, flags, zone, addresses, ports) shares the record's first cache line.
 *
 * The hash chains are not in the records: `nodes` holds, per node (slot * 2 + direction), the
 * tuple's hash and the next node of its chain side by side (N_HASH, N_NEXT), so that walking a
 * chain reads 8 bytes a node from a compact array and touches a record only when a hash matches.
 */
export const R = 36;
/** Word offsets in a record. */
export const O_ADDR = 0; // 4: orig src0, orig dst0, reply src0, reply dst0
export const O_PORTS = 4; // 2: per direction, sport << 16 | dport
export const O_STATUS = 6; // (i)
export const O_PF = 7; // proto (bits 0-7) | flags << 8
export const O_ZE = 8; // zone (bits 0-15) | ecache << 16
export const O_MARK = 9;
export const O_LASTMARK = 10;
export const O_ID = 11;
export const O_LPREV = 14; // (i)
export const O_LNEXT = 15; // (i)
export const O_HIDX = 16; // (i) position in the expiry heap, -1 when absent
/** Float64 offsets (in 8-byte units) in a record: words 12-13, 18-19. */
export const D_EXPIRES = 6;
export const D_CREATED = 9;
export const FR = R / 2;
/** TCP state words (TCP_WORDS of them). */
export const O_TCP = 20;
/** Words per node in ConnStore.nodes, and their offsets: the tuple hash, the next node (-1: end). */
export const NW = 2;
export const N_HASH = 0;
export const N_NEXT = 1;

export class ConnStore {
  cap = 0;
  /** Slots ever handed out (slots below are in use or on the free list). */
  top = 0;
  u: Uint32Array = new Uint32Array(0);
  i: Int32Array = new Int32Array(0);
  f: Float64Array = new Float64Array(0);
  /** The hash chains' nodes: per node (slot * 2 + direction) its hash and next node (NW words). */
  nodes: Int32Array = new Int32Array(0);
  /** Expiry heap of slots (a binary min-heap by filing time, see expiry.ts for the scheme). */
  heap: Int32Array = new Int32Array(0);
  heapKeys: Float64Array = new Float64Array(0);
  heapSize = 0;
  /** The side objects, by slot (only slots with F_EXT have one). */
  private readonly extras = new Map<number, SlotExtra>();
  /** Freed slots, reused last in first out: a list threaded through their O_LNEXT words. */
  private freeHead = -1;

  constructor(initial = 1024) {
    this.grow(Math.max(16, initial));
  }

  /** A fresh slot with every field at its default. */
  alloc(): number {
    let s: number;
    if (this.freeHead >= 0) {
      s = this.freeHead;
      this.freeHead = this.i[s * R + O_LNEXT]!;
    } else {
      if (this.top === this.cap) this.grow(this.cap * 2);
      s = this.top++;
    }
    this.clear(s);
    return s;
  }

  /** Gives a slot back (its fields stay readable until it is handed out again). */
  release(s: number): void {
    this.u[s * R + O_PF] &= ~(F_INUSE << 8);
    this.i[s * R + O_LNEXT] = this.freeHead;
    this.freeHead = s;
  }

  /** The slot's side object, made when first needed. */
  ext(s: number): SlotExtra {
    if (this.u[s * R + O_PF]! & (F_EXT << 8)) return this.extras.get(s)!;
    const x = new SlotExtra();
    this.extras.set(s, x);
    this.u[s * R + O_PF] |= F_EXT << 8;
    return x;
  }

  /** The slot's side object when it has one. */
  extOf(s: number): SlotExtra | undefined {
    return this.u[s * R + O_PF]! & (F_EXT << 8) ? this.extras.get(s) : undefined;
  }

  // ---- packed fields

  flags(s: number): number {
    return this.u[s * R + O_PF]! >>> 8;
  }
  setFlags(s: number, bits: number): void {
    this.u[s * R + O_PF] |= bits << 8;
  }
  clearFlags(s: number, bits: number): void {
    this.u[s * R + O_PF] &= ~(bits << 8);
  }
  proto(s: number): number {
    return this.u[s * R + O_PF]! & 0xff;
  }
  setProto(s: number, p: number): void {
    const o = s * R + O_PF;
    this.u[o] = (this.u[o]! & ~0xff) | (p & 0xff);
  }
  zone(s: number): number {
    return this.u[s * R + O_ZE]! & 0xffff;
  }
  setZone(s: number, z: number): void {
    const o = s * R + O_ZE;
    this.u[o] = ((this.u[o]! & 0xffff0000) | (z & 0xffff)) >>> 0;
  }
  /**
   * The zone as a spec: the id (bits 0-15) and, in bits 16-17, the one direction it applies to
   * (1 original, 2 reply) or 0 for both (the kernel's struct nf_conntrack_zone id and dir).
   */
  zoneSpec(s: number): number {
    const o = s * R;
    return (this.u[o + O_ZE]! & 0xffff) | (((this.u[o + O_PF]! >>> (8 + ZONE_DIR_SHIFT)) & 3) << 16);
  }
  setZoneSpec(s: number, spec: number): void {
    this.setZone(s, spec & 0xffff);
    const o = s * R + O_PF;
    this.u[o] = ((this.u[o]! & ~((F_ZONE_ORIG | F_ZONE_REPLY) << 8)) | (((spec >>> 16) & 3) << (8 + ZONE_DIR_SHIFT))) >>> 0;
  }
  ecache(s: number): number {
    return this.u[s * R + O_ZE]! >>> 16;
  }
  setEcache(s: number, bits: number): void {
    const o = s * R + O_ZE;
    this.u[o] = ((this.u[o]! & 0xffff) | ((bits & 0xffff) << 16)) >>> 0;
  }
  orEcache(s: number, bits: number): void {
    this.u[s * R + O_ZE] |= (bits & 0xffff) << 16;
  }
  status(s: number): number {
    return this.i[s * R + O_STATUS]!;
  }
  setStatus(s: number, v: number): void {
    this.i[s * R + O_STATUS] = v;
  }
  expires(s: number): number {
    return this.f[s * FR + D_EXPIRES]!;
  }
  /**
   * The table sets the expiry time: the slot moves up in the heap when it now expires before its
   * filing time. The filing time is never after the previous expiry time (unless F_EXP_LOWERED),
   * so a later time needs no look at the heap.
   */
  setExpires(s: number, t: number): void {
    const o = s * FR + D_EXPIRES;
    const old = this.f[o]!;
    this.f[o] = t;
    if (t < old || this.u[s * R + O_PF]! & (F_EXP_LOWERED << 8)) {
      this.u[s * R + O_PF] &= ~(F_EXP_LOWERED << 8);
      this.heapChanged(s);
    }
  }

  /** The expiry time set from outside the table: the heap is left alone, as it always was. */
  setExpiresOutside(s: number, t: number): void {
    const o = s * FR + D_EXPIRES;
    if (t < this.f[o]!) this.u[s * R + O_PF] |= F_EXP_LOWERED << 8;
    this.f[o] = t;
  }
  created(s: number): number {
    return this.f[s * FR + D_CREATED]!;
  }
  setCreated(s: number, t: number): void {
    this.f[s * FR + D_CREATED] = t;
  }

  private clear(s: number): void {
    const b = s * R;
    const u = this.u;
    if (u[b + O_PF]! & (F_EXT << 8)) this.extras.delete(s);
    for (let k = 0; k < O_TCP; k++) u[b + k] = 0;
    const i = this.i;
    const nb = s * 2 * NW;
    const nodes = this.nodes;
    nodes[nb + N_HASH] = 0;
    nodes[nb + N_NEXT] = -1;
    nodes[nb + NW + N_HASH] = 0;
    nodes[nb + NW + N_NEXT] = -1;
    i[b + O_LPREV] = -1;
    i[b + O_LNEXT] = -1;
    i[b + O_HIDX] = -1;
    u[b + O_PF] = F_INUSE << 8;
  }

  private grow(cap: number): void {
    const buf = new ArrayBuffer(cap * R * 4);
    const u = new Uint32Array(buf);
    u.set(this.u);
    this.u = u;
    this.i = new Int32Array(buf);
    this.f = new Float64Array(buf);
    const nodes = new Int32Array(cap * 2 * NW);
    nodes.set(this.nodes);
    this.nodes = nodes;
    const heap = new Int32Array(cap);
    heap.set(this.heap);
    this.heap = heap;
    const keys = new Float64Array(cap);
    keys.set(this.heapKeys);
    this.heapKeys = keys;
    this.cap = cap;
  }

  // ----------------------------------------------------------------------------------------------
  // expiry heap: slots by filing time; the times sit next to the slots (heapKeys, by heap
  // position), so that filing touches no record but the one filed

  /** The slot filed under the earliest time, or -1. */
  heapPeek(): number {
    return this.heapSize > 0 ? this.heap[0]! : -1;
  }

  /** The earliest filing time (heapPeek's). */
  heapTopKey(): number {
    return this.heapKeys[0]!;
  }

  /** The time slot `s` is filed under (it must be in the heap). */
  heapKey(s: number): number {
    return this.heapKeys[this.i[s * R + O_HIDX]!]!;
  }

  heapAdd(s: number): void {
    const i = this.heapSize++;
    this.heap[i] = s;
    this.heapKeys[i] = this.f[s * FR + D_EXPIRES]!;
    this.i[s * R + O_HIDX] = i;
    this.heapUp(i);
  }

  heapRemove(s: number): void {
    const i = this.i[s * R + O_HIDX]!;
    if (i < 0) return;
    const n = --this.heapSize;
    const last = this.heap[n]!;
    this.i[s * R + O_HIDX] = -1;
    if (last === s) return;
    this.heap[i] = last;
    this.heapKeys[i] = this.heapKeys[n]!;
    this.i[last * R + O_HIDX] = i;
    this.heapDown(i);
    this.heapUp(this.i[last * R + O_HIDX]!);
  }

  /**
   * Call after the expiry time of `s` changed: moves it up when it now expires before its filing
   * time. (A later time never needs it: the filing time is at most the previous expiry time.)
   */
  heapChanged(s: number): void {
    const i = this.i[s * R + O_HIDX]!;
    if (i < 0) return;
    const exp = this.f[s * FR + D_EXPIRES]!;
    if (exp >= this.heapKeys[i]!) return;
    this.heapKeys[i] = exp;
    this.heapUp(i);
  }

  /** Re-files the earliest slot under its (later) current expiry time. */
  heapRefileTop(): void {
    const s = this.heap[0]!;
    this.heapKeys[0] = this.f[s * FR + D_EXPIRES]!;
    this.heapDown(0);
  }

  private heapUp(i0: number): void {
    const h = this.heap;
    const keys = this.heapKeys;
    let i = i0;
    const s = h[i]!;
    const k = keys[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= k) break;
      const parent = h[p]!;
      h[i] = parent;
      keys[i] = keys[p]!;
      this.i[parent * R + O_HIDX] = i;
      i = p;
    }
    h[i] = s;
    keys[i] = k;
    this.i[s * R + O_HIDX] = i;
  }

  private heapDown(i0: number): void {
    const h = this.heap;
    const keys = this.heapKeys;
    const n = this.heapSize;
    let i = i0;
    const s = h[i]!;
    const k = keys[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && keys[r]! < keys[l]! ? r : l;
      if (keys[m]! >= k) break;
      const child = h[m]!;
      h[i] = child;
      keys[i] = keys[m]!;
      this.i[child * R + O_HIDX] = i;
      i = m;
    }
    h[i] = s;
    keys[i] = k;
    this.i[s * R + O_HIDX] = i;
  }
}

// ------------------------------------------------------------------------------------------------
// TCP state in a slot's words

/*
 * Layout (TCP_WORDS words at O_TCP of the slot's record):
 *   0: state (bits 0-3) | lastDir (4) | lastIndex (5-7) | lastWscale (8-11) | retrans (16-23)
 *   1: lastFlags
 *   2..5: lastSeq, lastAck, lastEnd, lastWin
 *   6..10: peer 0: tdEnd, tdMaxEnd, tdMaxWin, tdMaxAck, tdScale | flags << 8
 *   11..15: peer 1: the same
 * Every value the tracker stores fits (states < 16, kinds < 8, scales <= 14, one-byte flags and
 * counts, 32-bit sequence numbers and windows).
 */

/** One direction of a slot's TCP state, read and written in place (a TcpPeer for the tracker). */
export class TcpPeerView implements TcpPeer {
  /** Word offset of this peer in store.tcp. */
  base = 0;

  constructor(readonly store: ConnStore) {}

  get tdEnd(): number {
    return this.store.u[this.base]!;
  }
  set tdEnd(v: number) {
    this.store.u[this.base] = v;
  }
  get tdMaxEnd(): number {
    return this.store.u[this.base + 1]!;
  }
  set tdMaxEnd(v: number) {
    this.store.u[this.base + 1] = v;
  }
  get tdMaxWin(): number {
    return this.store.u[this.base + 2]!;
  }
  set tdMaxWin(v: number) {
    this.store.u[this.base + 2] = v;
  }
  get tdMaxAck(): number {
    return this.store.u[this.base + 3]!;
  }
  set tdMaxAck(v: number) {
    this.store.u[this.base + 3] = v;
  }
  get tdScale(): number {
    return this.store.u[this.base + 4]! & 0xff;
  }
  set tdScale(v: number) {
    const t = this.store.u;
    t[this.base + 4] = (t[this.base + 4]! & ~0xff) | (v & 0xff);
  }
  get flags(): number {
    return (this.store.u[this.base + 4]! >>> 8) & 0xff;
  }
  set flags(v: number) {
    const t = this.store.u;
    t[this.base + 4] = (t[this.base + 4]! & 0xff) | ((v & 0xff) << 8);
  }

  reset(): void {
    const t = this.store.u;
    const b = this.base;
    t[b] = 0;
    t[b + 1] = 0;
    t[b + 2] = 0;
    t[b + 3] = 0;
    t[b + 4] = (((t[b + 4]! >>> 8) & TcpFlag.BE_LIBERAL) << 8) >>> 0;
  }
}

/**
 * A slot's TCP state, read and written in place: what the tracker works on for a connection
 * whose state object nobody outside the table holds. `seqAdj` is always null here (a connection
 * NAT shifts has its state as an object).
 */
export class TcpStateView implements TcpState {
  /** Word offset of the state in store.tcp. */
  base = 0;
  readonly seen: readonly [TcpPeerView, TcpPeerView];

  constructor(readonly store: ConnStore) {
    this.seen = [new TcpPeerView(store), new TcpPeerView(store)];
  }

  /** Points the view at slot `s`. */
  at(s: number): this {
    const b = s * R + O_TCP;
    this.base = b;
    this.seen[0].base = b + 6;
    this.seen[1].base = b + 11;
    return this;
  }

  get state(): number {
    return this.store.u[this.base]! & 0xf;
  }
  set state(v: number) {
    this.setBits(0, 0xf, v);
  }
  get lastDir(): 0 | 1 {
    return ((this.store.u[this.base]! >>> 4) & 1) as 0 | 1;
  }
  set lastDir(v: 0 | 1) {
    this.setBits(4, 1, v);
  }
  get lastIndex(): number {
    return (this.store.u[this.base]! >>> 5) & 7;
  }
  set lastIndex(v: number) {
    this.setBits(5, 7, v);
  }
  get lastWscale(): number {
    return (this.store.u[this.base]! >>> 8) & 0xf;
  }
  set lastWscale(v: number) {
    this.setBits(8, 0xf, v);
  }
  get retrans(): number {
    return (this.store.u[this.base]! >>> 16) & 0xff;
  }
  set retrans(v: number) {
    this.setBits(16, 0xff, v);
  }
  get lastFlags(): number {
    return this.store.u[this.base + 1]!;
  }
  set lastFlags(v: number) {
    this.store.u[this.base + 1] = v;
  }
  get lastSeq(): number {
    return this.store.u[this.base + 2]!;
  }
  set lastSeq(v: number) {
    this.store.u[this.base + 2] = v;
  }
  get lastAck(): number {
    return this.store.u[this.base + 3]!;
  }
  set lastAck(v: number) {
    this.store.u[this.base + 3] = v;
  }
  get lastEnd(): number {
    return this.store.u[this.base + 4]!;
  }
  set lastEnd(v: number) {
    this.store.u[this.base + 4] = v;
  }
  get lastWin(): number {
    return this.store.u[this.base + 5]!;
  }
  set lastWin(v: number) {
    this.store.u[this.base + 5] = v;
  }
  get seqAdj(): TcpSeqAdj | null {
    return null;
  }
  set seqAdj(v: TcpSeqAdj | null) {
    if (v !== null) throw new Error('conntrack: the sequence adjustment of a table-held TCP state is set through its connection');
  }

  private setBits(shift: number, mask: number, v: number): void {
    const t = this.store.u;
    t[this.base] = ((t[this.base]! & ~(mask << shift)) | ((v & mask) << shift)) >>> 0;
  }

  /** Puts the slot's state to a fresh TcpState's (every field 0 but lastIndex, which is SYN: 0 too). */
  reset(): void {
    const t = this.store.u;
    for (let k = 0; k < TCP_WORDS; k++) t[this.base + k] = 0;
  }

  /** Copies a state object into the slot (it must fit: tcpStateFits). */
  load(ct: TcpState): void {
    const t = this.store.u;
    const b = this.base;
    t[b] = (ct.state | (ct.lastDir << 4) | (ct.lastIndex << 5) | (ct.lastWscale << 8) | (ct.retrans << 16)) >>> 0;
    t[b + 1] = ct.lastFlags;
    t[b + 2] = ct.lastSeq;
    t[b + 3] = ct.lastAck;
    t[b + 4] = ct.lastEnd;
    t[b + 5] = ct.lastWin;
    for (let d = 0; d < 2; d++) {
      const from = ct.seen[d]!;
      const o = b + 6 + d * 5;
      t[o] = from.tdEnd;
      t[o + 1] = from.tdMaxEnd;
      t[o + 2] = from.tdMaxWin;
      t[o + 3] = from.tdMaxAck;
      t[o + 4] = (from.tdScale | (from.flags << 8)) >>> 0;
    }
  }

  /** Copies the slot's state into a state object. */
  saveTo(ct: TcpState): TcpState {
    ct.state = this.state;
    ct.lastDir = this.lastDir;
    ct.lastIndex = this.lastIndex;
    ct.lastWscale = this.lastWscale;
    ct.retrans = this.retrans;
    ct.lastFlags = this.lastFlags;
    ct.lastSeq = this.lastSeq;
    ct.lastAck = this.lastAck;
    ct.lastEnd = this.lastEnd;
    ct.lastWin = this.lastWin;
    for (let d = 0; d < 2; d++) {
      const from = this.seen[d]!;
      const to = ct.seen[d]!;
      to.tdEnd = from.tdEnd;
      to.tdMaxEnd = from.tdMaxEnd;
      to.tdMaxWin = from.tdMaxWin;
      to.tdMaxAck = from.tdMaxAck;
      to.tdScale = from.tdScale;
      to.flags = from.flags;
    }
    return ct;
  }
}

/**
 * Whether a state object can live in a slot's words exactly: every field within the packed
 * widths (it always is when the tracker made it) and no sequence adjustment.
 */
export function tcpStateFits(ct: TcpState): boolean {
  if (ct.seqAdj !== null) return false;
  if (!fits(ct.state, 0xf) || !fits(ct.lastDir, 1) || !fits(ct.lastIndex, 7) || !fits(ct.lastWscale, 0xf)) return false;
  if (!fits(ct.retrans, 0xff) || !fits(ct.lastFlags, 0xffffffff) || !fits(ct.lastSeq, 0xffffffff)) return false;
  if (!fits(ct.lastAck, 0xffffffff) || !fits(ct.lastEnd, 0xffffffff) || !fits(ct.lastWin, 0xffffffff)) return false;
  return peerFits(ct.seen[0]) && peerFits(ct.seen[1]);
}

function peerFits(p: TcpPeer): boolean {
  return (
    fits(p.tdEnd, 0xffffffff) &&
    fits(p.tdMaxEnd, 0xffffffff) &&
    fits(p.tdMaxWin, 0xffffffff) &&
    fits(p.tdMaxAck, 0xffffffff) &&
    fits(p.tdScale, 0xff) &&
    fits(p.flags, 0xff)
  );
}

/** An integer in [0, max]. */
function fits(v: number, max: number): boolean {
  return v >= 0 && v <= max && Math.floor(v) === v;
}

/**
 * nf_ct_zone_id: the zone id a spec (see ConnStore.zoneSpec) gives direction `dir` (0 original,
 * 1 reply): its id when it applies to that direction, else the default zone 0.
 */
export function zoneId(spec: number, dir: number): number {
  const d = spec >>> 16;
  return d === 0 || (d & (1 << dir)) !== 0 ? spec & 0xffff : 0;
}

/** A zone spec from an id and the directions it applies to (1 original, 2 reply, 3 or 0 both). */
export function zoneSpecOf(id: number, dirs: number): number {
  const d = dirs & 3;
  return (id & 0xffff) | (d === 3 ? 0 : d << 16);
}
