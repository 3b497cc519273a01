/**
 * The generic tracker, for every protocol without its own (the kernel's generic_packet in
 * nf_conntrack_core.c): the tuple is the two addresses and the protocol number, any packet may
 * start a connection, and every packet refreshes it to nf_conntrack_generic_timeout. conntrack
 * prints such entries as "unknown" with the protocol number. On 6.18 this includes DCCP, whose
 * tracker the kernel no longer has.
 */
import type { PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';

export type GenericState = Record<string, never>;

const NO_STATE: GenericState = Object.freeze({}) as GenericState;

export function genericPacket(_conn: TrackedConn<GenericState>, _pkt: PacketView, _info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict {
  out.timeout = s.genericTimeout;
  return Verdict.ACCEPT;
}

/** The generic tracker for protocol number `proto`. */
export function genericTracker(proto: number): Tracker<GenericState> {
  return {
    proto,
    name: 'unknown',
    error: () => null,
    create: () => NO_STATE,
    packet: genericPacket,
    stateName: () => '',
  };
}
