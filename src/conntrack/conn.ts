/**
 * The connection record (the kernel's struct nf_conn with the extensions ctkit models): the
 * tuples of both directions, status bits, timeout, mark, secmark, labels, zone, helper, master
 * connection, accounting, timestamps, id, reference count and the protocol tracker's state.
 *
 * Fields are public for the table, trackers, NAT and helpers; rules see a Conn through CtHandle.
 * Changes made outside the table (mark, labels) are noticed when events are delivered: the table
 * compares them with what the last event carried, as the kernel caches IPCT_MARK / IPCT_LABEL
 * when a rule changes them.
 */
import { CtStatus, type CtHandle } from '../netfilter/context.js';
import type { Tracker, TrackedConn } from './tracker.js';
import { Tuple } from './tuple.js';

/** One direction of a connection in a hash chain (the kernel's nf_conntrack_tuple_hash). */
export class TupleNode {
  next: TupleNode | null = null;
  /** Bucket index while hashed, -1 otherwise. */
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

export class Conn implements CtHandle, TrackedConn<unknown> {
  /** Tuple of the original direction (the packet that created the connection). */
  readonly orig = new Tuple();
  /** Tuple of the reply direction (NAT changes it before confirmation). */
  readonly reply = new Tuple();
  /** CtStatus bits. */
  status = 0;
  /** ct mark (32 bits). */
  mark = 0;
  /** ct secmark. */
  secmark = 0;
  /** 128 label bits, word 0 = bits 0..31. */
  readonly labels = new Uint32Array(4);
  zone = 0;
  /** Name of the helper attached ("ftp", ...), or null. */
  helperName: string | null = null;
  /** Private data of the attached helper. */
  helperData: unknown = null;
  /** The connection this one was expected by (RELATED), or null. */
  master: Conn | null = null;
  /** Virtual time (s) at which the entry times out. */
  expiresAt = 0;
  /** Virtual time (s) the first packet was seen. */
  createdAt = 0;

  /** Accounting (only counted when the entry was created with nf_conntrack_acct on). */
  origPackets = 0;
  origBytes = 0;
  replyPackets = 0;
  replyBytes = 0;

  /** Extensions the entry was created with (the kernel decides at creation from the sysctls). */
  hasAcct = false;
  hasTstamp = false;
  hasEcache = false;
  /** Timestamps (virtual seconds; 0 = unset), kept when nf_conntrack_timestamp was on. */
  tsStart = 0;
  tsStop = 0;

  /** 32-bit id (conntrack -o id). */
  id = 0;
  /** References beyond the table's own: expectations and RELATED connections holding this one. */
  refs = 0;

  /** Protocol tracker state. */
  proto: unknown = null;

  // ---- table internals ----
  /** Pending event bits (IPCT_*), delivered at confirmation of the next packet. */
  ecache = 0;
  /** Mark and labels as the last event carried them (changes since then are events). */
  lastMark = 0;
  readonly lastLabels = new Uint32Array(4);
  /** The two hash nodes: [original, reply]. */
  readonly nodes: readonly [TupleNode, TupleNode];
  /** Insertion-ordered list of confirmed entries. */
  prev: Conn | null = null;
  next: Conn | null = null;
  /** Position in the expiry heap (-1 when absent) and the time it is filed under. */
  heapIndex = -1;
  heapKey = 0;
  /** A NAT clash entry: hashed in the reply direction only, hidden from listings. */
  clashHidden = false;
  /** Counted out of the table's allocation (freed); guards double release. */
  released = false;

  constructor(readonly tracker: Tracker<unknown>) {
    this.nodes = [new TupleNode(this, 0), new TupleNode(this, 1)];
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
    return (this.labels[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** True when any label bit is set. */
  hasLabels(): boolean {
    const l = this.labels;
    return (l[0]! | l[1]! | l[2]! | l[3]!) !== 0;
  }
}
