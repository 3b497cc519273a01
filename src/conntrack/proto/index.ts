/**
 * Tracker registry: protocol number -> tracker, as the kernel's nf_ct_l4proto_find. Protocols
 * without a tracker of their own (including DCCP: 6.18 no longer has one) get the generic
 * tracker. Adding a protocol means adding its file and one line here.
 */

import type { Tracker } from '../tracker.js';
import { assignDeep } from '../plain.js';
import { genericTracker } from './generic.js';
import { greTracker } from './gre.js';
import { icmpTracker } from './icmp.js';
import { icmpv6Tracker } from './icmpv6.js';
import { sctpTracker } from './sctp.js';
import { tcpCanEarlyDrop, tcpTracker } from './tcp.js';
import { TcpState } from './tcp-state.js';
import { udpTracker } from './udp.js';
import { udpliteTracker } from './udplite.js';

/**
 * The TCP tracker as the table needs it: its state is a class instance, so snapshots restore it
 * into a fresh TcpState; ctnetlink's state number is the TCP state; some states may be evicted
 * early.
 */
const tcp: Tracker<TcpState> = {
  ...tcpTracker,
  stateNumber: tcpTracker.stateNumber ?? ((st) => st.state),
  canEarlyDrop: tcpTracker.canEarlyDrop ?? tcpCanEarlyDrop,
  loadState: tcpTracker.loadState ?? ((data) => assignDeep(new TcpState(), data)),
};

const OWN: readonly Tracker<unknown>[] = [
  tcp as Tracker<unknown>,
  udpTracker,
  udpliteTracker,
  icmpTracker,
  icmpv6Tracker,
  sctpTracker,
  greTracker,
];

/** Trackers indexed by protocol number (0..255). */
export type TrackerTable = readonly Tracker<unknown>[];

/** A fresh registry: the trackers above, the generic tracker for every other protocol number. */
export function defaultTrackers(): TrackerTable {
  const table: Tracker<unknown>[] = [];
  for (let p = 0; p < 256; p++) table.push(genericTracker(p));
  for (const t of OWN) table[t.proto] = t;
  return table;
}

