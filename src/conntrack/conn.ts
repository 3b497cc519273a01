/**
 * The connection record (the kernel's struct nf_conn with the extensions ctkit models): the
 * tuples of both directions, status bits, timeout, mark, secmark, labels, zone, helper, master
 * connection, accounting, timestamps, id, reference count and the protocol tracker's state.
 *
 * A table keeps its connections in flat arrays (store.ts); a Conn is the object through which
 * everything else sees one: the table makes it when first asked (a lookup result, an event, a
 * listener) and gives the same object for the same connection from then on. While the connection
 * lives its properties read and write the table's arrays; once the table frees it, the object
 * keeps a copy of its last values (and works on its own, as a `new Conn(tracker)` does from the
 * start: snapshots build connections so before handing them to the table).
 *
 * Fields are public for the table, trackers, NAT and helpers; rules see a Conn through CtHandle.
 * Changes made outside the table (mark, labels) are noticed when events are delivered: the table
 * compares them with what the last event carried, as the kernel caches IPCT_MARK / IPCT_LABEL
 * when a rule changes them. The tuples are the connection's: change them through the table
 * (alterReplyTuple), not in place.
 */
import { CtStatus, type CtHandle } from '../netfilter/context.js';
import {
  F_ACCT,
  F_CLASH_HIDDEN,
  F_ECACHE,
  F_NOSTATE,
  F_RELEASED,
  F_ZONE_ORIG,
  F_ZONE_REPLY,
  F_TCPSOA,
  F_TSTAMP,
  O_ID,
  O_LASTMARK,
  O_MARK,
  R,
  SlotExtra,
  TcpStateView,
  zoneSpecOf,
  type ConnStore,
} from './store.js';
import { TcpState } from './proto/tcp-state.js';
import type { Tracker, TrackedConn } from './tracker.js';
import { Tuple } from './tuple.js';
import { IPCT } from './events.js';

/** One direction of a connection (the kernel's nf_conntrack_tuple_hash), made on demand. */
export class TupleNode {
  next: TupleNode | null = null;
  /** Bucket index while hashed, -1 otherwise (always -1 here: the table chains slots). */
  bucket = -1;

  constructor(
    readonly conn: Conn,
    readonly dir: 0 | 1,
  ) {}

  /** The tuple this node is hashed by. */
  get tuple(): Tuple {
    return this.dir === 0 ? this.conn.orig : this.conn.reply;
  }
}

/** What the table needs to give a handle its protocol state object. */
export interface SlotOwner {
  readonly store: ConnStore;
  /** The tracker's shared object for a stateless protocol (F_NOSTATE), by protocol number. */
  statelessState(proto: number): unknown;
}

/** The values of a connection that is not (or no longer) in a table's arrays. */
class Own {
  status = 0;
  mark = 0;
  zone = 0;
  expiresAt = 0;
  createdAt = 0;
  id = 0;
  ecache = 0;
  lastMark = 0;
  flags = 0;
  proto: unknown = null;
  x = new SlotExtra();
}

export class Conn implements CtHandle, TrackedConn<unknown> {
  /** Tuple of the original direction (the packet that created the connection). */
  readonly orig: Tuple;
  /** Tuple of the reply direction (NAT changes it before confirmation, through the table). */
  readonly reply: Tuple;
  /** The table holding the connection and its slot; null / -1 once freed or before restore. */
  owner: SlotOwner | null = null;
  slot = -1;
  private own: Own | null;

  /** A connection of its own (no table yet); `ofSlot` makes a table slot's. */
  constructor(
    readonly tracker: Tracker<unknown>,
    standalone = true,
  ) {
    this.orig = new Tuple();
    this.reply = new Tuple();
    this.own = standalone ? new Own() : null;
  }

  /** The handle of a table's slot (the table's business: it keeps one per slot). */
  static ofSlot(tracker: Tracker<unknown>, owner: SlotOwner, slot: number, orig: Tuple, reply: Tuple): Conn {
    const c = new Conn(tracker, false);
    c.orig.copyFrom(orig);
    c.reply.copyFrom(reply);
    c.owner = owner;
    c.slot = slot;
    return c;
  }

  /** The table takes this connection into `slot` (snapshot restore): its values are the slot's from now on. */
  attach(owner: SlotOwner, slot: number): void {
    this.own = null;
    this.owner = owner;
    this.slot = slot;
  }

  /** The table frees the slot: keep its values from now on. */
  detach(): void {
    const o = this.owner;
    if (o === null) return;
    const st = o.store;
    const s = this.slot;
    const own = new Own();
    own.proto = this.proto; // takes a TCP state out of the slot first
    own.status = st.status(s);
    own.mark = st.u[s * R + O_MARK]!;
    own.zone = st.zone(s);
    own.expiresAt = st.expires(s);
    own.createdAt = st.created(s);
    own.id = st.u[s * R + O_ID]!;
    own.ecache = st.ecache(s);
    own.lastMark = st.u[s * R + O_LASTMARK]!;
    own.flags = st.flags(s) & (F_ACCT | F_TSTAMP | F_ECACHE | F_CLASH_HIDDEN | F_RELEASED | F_ZONE_ORIG | F_ZONE_REPLY);
    const x = st.extOf(s);
    if (x !== undefined) {
      own.x = x;
      x.handle = null;
      x.protoObj = null;
    }
    this.own = own;
    this.owner = null;
    this.slot = -1;
  }

  /** The slot's side object (attached) or the handle's own. */
  private xr(): SlotExtra | undefined {
    const o = this.owner;
    return o !== null ? o.store.extOf(this.slot) : this.own!.x;
  }

  private xw(): SlotExtra {
    const o = this.owner;
    return o !== null ? o.store.ext(this.slot) : this.own!.x;
  }

  private getFlag(bit: number): boolean {
    const o = this.owner;
    return ((o !== null ? o.store.flags(this.slot) : this.own!.flags) & bit) !== 0;
  }

  private setFlag(bit: number, on: boolean): void {
    const o = this.owner;
    if (o !== null) {
      if (on) o.store.setFlags(this.slot, bit);
      else o.store.clearFlags(this.slot, bit);
    } else {
      const w = this.own!;
      w.flags = on ? w.flags | bit : w.flags & ~bit;
    }
  }

  /** CtStatus bits. */
  get status(): number {
    const o = this.owner;
    return o !== null ? o.store.status(this.slot) : this.own!.status;
  }
  set status(v: number) {
    const o = this.owner;
    if (o !== null) o.store.setStatus(this.slot, v);
    else this.own!.status = v;
  }

  /** ct mark (32 bits). */
  get mark(): number {
    const o = this.owner;
    return o !== null ? o.store.u[this.slot * R + O_MARK]! : this.own!.mark;
  }
  set mark(v: number) {
    const o = this.owner;
    if (o !== null) {
      const at = this.slot * R + O_MARK;
      // The kernel caches IPCT_MARK at every change (xt_CONNMARK, nft ct mark set), so a mark
      // changed and changed back still reports an event with the packet.
      if (o.store.u[at] !== v >>> 0) o.store.orEcache(this.slot, IPCT.MARK);
      o.store.u[at] = v;
    } else this.own!.mark = v;
  }

  get zone(): number {
    const o = this.owner;
    return o !== null ? o.store.zone(this.slot) : this.own!.zone;
  }
  set zone(v: number) {
    const o = this.owner;
    if (o !== null) o.store.setZone(this.slot, v);
    else this.own!.zone = v;
  }

  /**
   * The directions the zone applies to: 3 both (CT --zone, the default), 1 the original only
   * (CT --zone-orig), 2 the reply only (CT --zone-reply); the other direction is in zone 0.
   */
  get zoneDir(): 1 | 2 | 3 {
    const d = (this.getFlag(F_ZONE_ORIG) ? 1 : 0) | (this.getFlag(F_ZONE_REPLY) ? 2 : 0);
    return d === 0 ? 3 : (d as 1 | 2);
  }
  set zoneDir(v: 1 | 2 | 3) {
    this.setFlag(F_ZONE_ORIG, v === 1);
    this.setFlag(F_ZONE_REPLY, v === 2);
  }
  /** Zone id and directions as one number (ConnStore.zoneSpec), for table lookups. */
  get zoneSpec(): number {
    return zoneSpecOf(this.zone, this.zoneDir);
  }
  /** The zone id of direction `dir` (nf_ct_zone_id). */
  zoneOf(dir: 0 | 1): number {
    return this.zoneDir & (1 << dir) ? this.zone : 0;
  }

  /** Virtual time (s) at which the entry times out. */
  get expiresAt(): number {
    const o = this.owner;
    return o !== null ? o.store.expires(this.slot) : this.own!.expiresAt;
  }
  set expiresAt(v: number) {
    const o = this.owner;
    if (o !== null) o.store.setExpiresOutside(this.slot, v);
    else this.own!.expiresAt = v;
  }

  /** Virtual time (s) the first packet was seen. */
  get createdAt(): number {
    const o = this.owner;
    return o !== null ? o.store.created(this.slot) : this.own!.createdAt;
  }
  set createdAt(v: number) {
    const o = this.owner;
    if (o !== null) o.store.setCreated(this.slot, v);
    else this.own!.createdAt = v;
  }

  /** 32-bit id (conntrack -o id). */
  get id(): number {
    const o = this.owner;
    return o !== null ? o.store.u[this.slot * R + O_ID]! : this.own!.id;
  }
  set id(v: number) {
    const o = this.owner;
    if (o !== null) o.store.u[this.slot * R + O_ID] = v;
    else this.own!.id = v;
  }

  /** Pending event bits (IPCT_*), delivered at confirmation of the next packet. */
  get ecache(): number {
    const o = this.owner;
    return o !== null ? o.store.ecache(this.slot) : this.own!.ecache;
  }
  set ecache(v: number) {
    const o = this.owner;
    if (o !== null) o.store.setEcache(this.slot, v);
    else this.own!.ecache = v;
  }

  /** The mark the last event carried (a change since then is an event). */
  get lastMark(): number {
    const o = this.owner;
    return o !== null ? o.store.u[this.slot * R + O_LASTMARK]! : this.own!.lastMark;
  }
  set lastMark(v: number) {
    const o = this.owner;
    if (o !== null) o.store.u[this.slot * R + O_LASTMARK] = v;
    else this.own!.lastMark = v;
  }

  /** Protocol tracker state. */
  get proto(): unknown {
    const o = this.owner;
    if (o === null) return this.own!.proto;
    const st = o.store;
    const s = this.slot;
    const f = st.flags(s);
    if (f & F_TCPSOA) {
      // Someone outside the table wants the state object: it leaves the slot's words for good.
      const ct = new TcpStateView(st).at(s).saveTo(new TcpState());
      st.ext(s).protoObj = ct;
      st.clearFlags(s, F_TCPSOA);
      return ct;
    }
    if (f & F_NOSTATE) return o.statelessState(st.proto(s));
    return st.extOf(s)?.protoObj ?? null;
  }
  set proto(v: unknown) {
    const o = this.owner;
    if (o === null) {
      this.own!.proto = v;
      return;
    }
    const st = o.store;
    st.clearFlags(this.slot, F_TCPSOA | F_NOSTATE);
    st.ext(this.slot).protoObj = v;
  }

  /** Name of the helper attached ("ftp", ...), or null. */
  get helperName(): string | null {
    return this.xr()?.helperName ?? null;
  }
  set helperName(v: string | null) {
    if (v !== null || this.xr() !== undefined) this.xw().helperName = v;
  }

  /** Private data of the attached helper. */
  get helperData(): unknown {
    return this.xr()?.helperData ?? null;
  }
  set helperData(v: unknown) {
    if (v !== null || this.xr() !== undefined) this.xw().helperData = v;
  }

  /** The connection this one was expected by (RELATED), or null. */
  get master(): Conn | null {
    return this.xr()?.master ?? null;
  }
  set master(v: Conn | null) {
    if (v !== null || this.xr() !== undefined) this.xw().master = v;
  }

  /** ct secmark. */
  get secmark(): number {
    return this.xr()?.secmark ?? 0;
  }
  set secmark(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().secmark = v;
  }

  /** References beyond the table's own: expectations and RELATED connections holding this one. */
  get refs(): number {
    return this.xr()?.refs ?? 0;
  }
  set refs(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().refs = v;
  }

  /** Accounting (only counted when the entry was created with nf_conntrack_acct on). */
  get origPackets(): number {
    return this.xr()?.origPackets ?? 0;
  }
  set origPackets(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().origPackets = v;
  }
  get origBytes(): number {
    return this.xr()?.origBytes ?? 0;
  }
  set origBytes(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().origBytes = v;
  }
  get replyPackets(): number {
    return this.xr()?.replyPackets ?? 0;
  }
  set replyPackets(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().replyPackets = v;
  }
  get replyBytes(): number {
    return this.xr()?.replyBytes ?? 0;
  }
  set replyBytes(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().replyBytes = v;
  }

  /** Timestamps (virtual seconds; 0 = unset), kept when nf_conntrack_timestamp was on. */
  get tsStart(): number {
    return this.xr()?.tsStart ?? 0;
  }
  set tsStart(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().tsStart = v;
  }
  get tsStop(): number {
    return this.xr()?.tsStop ?? 0;
  }
  set tsStop(v: number) {
    if (v !== 0 || this.xr() !== undefined) this.xw().tsStop = v;
  }

  /** Extensions the entry was created with (the kernel decides at creation from the sysctls). */
  get hasAcct(): boolean {
    return this.getFlag(F_ACCT);
  }
  set hasAcct(v: boolean) {
    this.setFlag(F_ACCT, v);
  }
  get hasTstamp(): boolean {
    return this.getFlag(F_TSTAMP);
  }
  set hasTstamp(v: boolean) {
    this.setFlag(F_TSTAMP, v);
  }
  get hasEcache(): boolean {
    return this.getFlag(F_ECACHE);
  }
  set hasEcache(v: boolean) {
    this.setFlag(F_ECACHE, v);
  }

  /** A NAT clash entry: hashed in the reply direction only, hidden from listings. */
  get clashHidden(): boolean {
    return this.getFlag(F_CLASH_HIDDEN);
  }
  set clashHidden(v: boolean) {
    this.setFlag(F_CLASH_HIDDEN, v);
  }

  /** Counted out of the table's allocation (freed); guards double release. */
  get released(): boolean {
    return this.getFlag(F_RELEASED);
  }
  set released(v: boolean) {
    this.setFlag(F_RELEASED, v);
  }

  /** 128 label bits, word 0 = bits 0..31 (allocated when first asked for). */
  get labels(): Uint32Array {
    const x = this.xw();
    return (x.labels ??= new Uint32Array(4));
  }

  /** Labels as the last event carried them. */
  get lastLabels(): Uint32Array {
    const x = this.xw();
    return (x.lastLabels ??= new Uint32Array(4));
  }

  /** True when labels or the last event's labels were ever asked for (both are zero otherwise). */
  get labelsTouched(): boolean {
    const x = this.xr();
    return x !== undefined && (x.labels !== null || x.lastLabels !== null);
  }

  /** The two directions as node objects (made on demand). */
  get nodes(): readonly [TupleNode, TupleNode] {
    return [new TupleNode(this, 0), new TupleNode(this, 1)];
  }

  /** In the table (IPS_CONFIRMED). */
  get confirmed(): boolean {
    return (this.status & CtStatus.CONFIRMED) !== 0;
  }

  /** Being destroyed (IPS_DYING). */
  get dying(): boolean {
    return (this.status & CtStatus.DYING) !== 0;
  }

  /** Reference count as `conntrack -L` prints it (use=); /proc prints one more (its own). */
  get use(): number {
    return 1 + this.refs;
  }

  /** Layer-4 protocol number. */
  get protoNum(): number {
    return this.orig.proto;
  }

  /** Address family, 4 or 6. */
  get family(): 4 | 6 {
    return this.orig.family;
  }

  protoStateName(): string {
    return this.tracker.stateName(this.proto);
  }

  /** The tuple of a direction. */
  tuple(dir: 0 | 1): Tuple {
    return dir === 0 ? this.orig : this.reply;
  }

  /** Sets label bit `bit` (0..127). */
  setLabel(bit: number): void {
    this.labels[bit >>> 5]! |= 1 << (bit & 31);
  }

  /** Whether label bit `bit` is set. */
  hasLabel(bit: number): boolean {
    const l = this.xr()?.labels ?? null;
    return l !== null && (l[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** True when any label bit is set. */
  hasLabels(): boolean {
    const l = this.xr()?.labels ?? null;
    return l !== null && (l[0]! | l[1]! | l[2]! | l[3]!) !== 0;
  }
}
