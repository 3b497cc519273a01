/**
 * NAT on top of conntrack, as Linux 6.18's nf_nat: SNAT, DNAT, MASQUERADE, REDIRECT and NETMAP
 * bindings chosen per connection, packets rewritten at the NAT hooks, ICMP errors translated,
 * payload rewriting and TCP sequence adjustment for helpers.
 *
 *   const host = new Host(config, { chains, seed, nat: createNat });
 *
 * The host calls the engine's `interfaceDown` / `addressRemoved` when interfaces or addresses go
 * away; the confirm step calls `adjustSequence` after a connection's helper; helpers use
 * `mangleTcpPacket` / `mangleUdpPacket`, `seqAdjSet` and the engine's `followMaster`.
 */
import type { ConntrackTable } from '../conntrack/table.js';
import { NatEngine } from './engine.js';
import type { NatHost } from './targets.js';

export { NatEngine } from './engine.js';
export { mangleTcpPacket, mangleUdpPacket } from './helper.js';
export { hookManip, Manip, manipPacket, type ExtWalk } from './manip.js';
export { NatRange, RANDOM_ALL, NatFlag } from './range.js';
export { seqAdjInit, seqAdjSet, seqAdjustPacket, seqOffset } from './seqadj.js';
export type { NatHost } from './targets.js';

/** The factory the host takes as `opts.nat`. */
export function createNat(ct: ConntrackTable, host: NatHost): NatEngine {
  return new NatEngine(ct, host);
}
