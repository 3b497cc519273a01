/**
 * GRE tracker and the PPTP key map (the kernel's nf_conntrack_proto_gre.c).
 *
 * Tuple (tuple.ts): GRE version 1 (enhanced GRE, PPTP) carries a call id, which is the
 * destination key; the source key comes from the key map the PPTP helper fills when it sees a
 * call set up (0 without one). Any other version tracks like a generic protocol (keys 0).
 *
 *  - create: any packet; the entry gets gre_timeout and gre_timeout_stream as its own timeouts
 *    (a helper may raise them later).
 *  - packet: unreplied, the entry lives `timeout`; once a reply was seen, `streamTimeout` and
 *    ASSURED (a NAT clash entry never becomes ASSURED).
 *  - /proc/net/nf_conntrack prints the two timeouts ("timeout=30, stream_timeout=180").
 */
import { CtStatus, type CtTupleLike } from '../../netfilter/context.js';
import { Proto, type PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';
import { Tuple } from '../tuple.js';

export interface GreState {
  /** Seconds an unreplied entry lives. */
  timeout: number;
  /** Seconds a replied entry lives. */
  streamTimeout: number;
}

export function greCreate(_pkt: PacketView, s: ConntrackSettings): GreState {
  return { timeout: s.greTimeout, streamTimeout: s.greTimeoutStream };
}

export function grePacket(conn: TrackedConn<GreState>, _pkt: PacketView, _info: PacketInfo, _s: ConntrackSettings, out: PacketOut): Verdict {
  if (conn.status & CtStatus.SEEN_REPLY) {
    out.timeout = conn.proto.streamTimeout;
    if (!(conn.status & CtStatus.NAT_CLASH)) conn.status |= CtStatus.ASSURED;
  } else {
    out.timeout = conn.proto.timeout;
  }
  return Verdict.ACCEPT;
}

export const greTracker: Tracker<GreState> = {
  proto: Proto.GRE,
  name: 'gre',
  allowClash: true,
  error: () => null,
  create: greCreate,
  packet: grePacket,
  stateName: () => '',
  procText: (st) => `timeout=${st.timeout}, stream_timeout=${st.streamTimeout} `,
};

// ------------------------------------------------------------------------------------------------
// key map

export interface KeymapEntry {
  readonly tuple: Tuple;
  readonly master: object;
  readonly dir: 0 | 1;
}

/**
 * PPTP's GRE key map (nf_ct_gre_keymap_*): for a GRE flow (addresses and destination key) the
 * source key to put in its tuple. The PPTP helper adds one entry per direction of a call,
 * owned by the control connection, and destroys them with it.
 */
export class GreKeymap {
  private list: KeymapEntry[] = [];

  get size(): number {
    return this.list.length;
  }

  /**
   * Adds the entry for `master`'s direction `dir`. A retransmission of the same entry is
   * accepted; a different entry for a direction already mapped is refused (false).
   */
  add(master: object, dir: 0 | 1, t: CtTupleLike): boolean {
    const existing = this.list.find((e) => e.master === master && e.dir === dir);
    if (existing) return sameGreFlow(existing.tuple, t) && existing.tuple.sport === t.sport;
    this.list.push({ tuple: new Tuple().copyFrom(t), master, dir });
    return true;
  }

  /** Removes every entry `master` owns. */
  destroy(master: object): void {
    this.list = this.list.filter((e) => e.master !== master);
  }

  /** Every entry (snapshots). */
  entries(): readonly KeymapEntry[] {
    return this.list;
  }

  /** Source key for the flow of `t` (its addresses, protocol and destination key), 0 when unmapped. */
  lookup(t: CtTupleLike): number {
    for (const e of this.list) if (sameGreFlow(e.tuple, t)) return e.tuple.sport;
    return 0;
  }
}

/** The kernel's gre_key_cmpfn: family, addresses, protocol and destination key. */
export function sameGreFlow(a: CtTupleLike, b: CtTupleLike): boolean {
  return (
    a.family === b.family &&
    a.proto === b.proto &&
    a.dport === b.dport &&
    a.src[0] === b.src[0] &&
    a.src[1] === b.src[1] &&
    a.src[2] === b.src[2] &&
    a.src[3] === b.src[3] &&
    a.dst[0] === b.dst[0] &&
    a.dst[1] === b.dst[1] &&
    a.dst[2] === b.dst[2] &&
    a.dst[3] === b.dst[3]
  );
}
