/**
 * Protocol states and timeouts, explained: why a TCP or SCTP entry sits in its state, and which
 * sysctl sets how long an entry lives (net.netfilter.nf_conntrack_*, defaults from the
 * conntrack settings of a fresh 6.18 namespace).
 */
import { defaultSettings, listSysctls } from '../conntrack/settings.js';
import type { ParsedConn } from './parse.js';

const TCP_STATES: Readonly<Record<string, string>> = {
  NONE: 'NONE: the tracker has not classified the connection yet.',
  SYN_SENT: 'SYN_SENT: a SYN went out in the original direction and no SYN/ACK has come back yet (a server that does not answer, a filtered port, or a reply dropped on the way).',
  SYN_RECV: 'SYN_RECV: the SYN/ACK came back; the final ACK of the three-way handshake has not been seen yet.',
  ESTABLISHED: 'ESTABLISHED: the handshake completed and data can flow both ways.',
  FIN_WAIT: 'FIN_WAIT: one side sent a FIN (it is done sending); the other side has not acknowledged it yet.',
  CLOSE_WAIT: 'CLOSE_WAIT: the first FIN was acknowledged; the other side may still send data and has not sent its own FIN (half-closed).',
  LAST_ACK: 'LAST_ACK: both sides sent their FIN; the last ACK has not been seen yet.',
  TIME_WAIT: 'TIME_WAIT: both FINs were exchanged and acknowledged: the connection is closed. The entry lingers to absorb late packets; a new SYN with the same addresses and ports reopens it.',
  CLOSE: 'CLOSE: the connection was reset (a RST was seen); the entry goes away soon.',
  SYN_SENT2: 'SYN_SENT2: simultaneous open: both sides sent a SYN without seeing the other\'s SYN/ACK.',
};

const SCTP_STATES: Readonly<Record<string, string>> = {
  CLOSED: 'CLOSED: the association is closed (or was aborted).',
  COOKIE_WAIT: 'COOKIE_WAIT: an INIT went out; the INIT_ACK has not come back.',
  COOKIE_ECHOED: 'COOKIE_ECHOED: the COOKIE_ECHO was sent; waiting for the COOKIE_ACK.',
  ESTABLISHED: 'ESTABLISHED: the association is up.',
  SHUTDOWN_SENT: 'SHUTDOWN_SENT: a SHUTDOWN was sent.',
  SHUTDOWN_RECD: 'SHUTDOWN_RECD: a SHUTDOWN was received.',
  SHUTDOWN_ACK_SENT: 'SHUTDOWN_ACK_SENT: the SHUTDOWN_ACK was sent; waiting for SHUTDOWN_COMPLETE.',
  HEARTBEAT_SENT: 'HEARTBEAT_SENT: a HEARTBEAT was sent on a secondary path.',
};

/** What a protocol state means, or null for a state this text does not know. */
export function stateText(proto: string, state: string): string | null {
  if (proto === 'tcp') return TCP_STATES[state] ?? null;
  if (proto === 'sctp') return SCTP_STATES[state] ?? null;
  return null;
}

const PREFIX = 'net.netfilter.nf_conntrack_';

/** Defaults by sysctl name, from the settings (nothing here repeats a number). */
const DEFAULTS: ReadonlyMap<string, number> = new Map(listSysctls(defaultSettings()));

/** The built-in timeout of SYN_SENT2 (no sysctl sets it). */
const SYN_SENT2_TIMEOUT = 120;

/** The sysctl (without the common prefix) that sets the timeout of an entry like this one, or null. */
export function timeoutSysctl(c: Pick<ParsedConn, 'proto' | 'state' | 'assured' | 'unreplied'>): string | null {
  switch (c.proto) {
    case 'tcp':
      return c.state === null || c.state === 'SYN_SENT2' || c.state === 'NONE' ? null : `tcp_timeout_${c.state.toLowerCase()}`;
    case 'udp':
    case 'udplite':
      return c.assured ? 'udp_timeout_stream' : 'udp_timeout';
    case 'icmp':
      return 'icmp_timeout';
    case 'icmpv6':
      return 'icmpv6_timeout';
    case 'gre':
      return c.unreplied ? 'gre_timeout' : 'gre_timeout_stream';
    case 'sctp':
      return c.state === null ? null : `sctp_timeout_${c.state === 'NONE' ? 'closed' : c.state.toLowerCase()}`;
    default:
      return 'generic_timeout';
  }
}

export function duration(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${s} s (${Math.round(s / 60)} min)`;
  if (s < 172800) return `${s} s (${Math.round(s / 3600)} h)`;
  return `${s} s (${Math.round(s / 86400)} days)`;
}

/** Why a TCP timeout is shorter than its state's: unacknowledged data or retransmissions. */
function tcpShortened(c: ParsedConn, full: number): string | null {
  const unacked = DEFAULTS.get(`${PREFIX}tcp_timeout_unacknowledged`)!;
  if (c.timeout === null || c.timeout >= full || c.timeout > unacked) return null;
  if (c.state === 'ESTABLISHED' && full - c.timeout > unacked) {
    return `That is well below the ESTABLISHED timeout: data is unacknowledged or was retransmitted (${PREFIX}tcp_timeout_unacknowledged and ${PREFIX}tcp_timeout_max_retrans, default ${unacked} s each, take over), or the packets stopped long ago.`;
  }
  return null;
}

/** How long the entry lives, and what sets that. */
export function timeoutFacts(c: ParsedConn): string[] {
  if (c.timeout === null) return [];
  const name = timeoutSysctl(c);
  if (name === null) {
    const builtin = c.state === 'SYN_SENT2' ? ` (a fixed ${SYN_SENT2_TIMEOUT} s, no sysctl sets it)` : '';
    return [`It expires in ${duration(c.timeout)} unless another packet refreshes it${builtin}.`];
  }
  const full = DEFAULTS.get(PREFIX + name)!;
  const out = [
    `It expires in ${duration(c.timeout)} unless another packet refreshes it; each packet resets the timer to ${PREFIX}${name} (default ${duration(full)}).`,
  ];
  if (c.timeout > full) out.push(`That is more than the default: the sysctl was raised on this host, or the timeout was set by hand (conntrack -U -t) or by a timeout policy.`);
  if (c.proto === 'tcp') {
    const short = tcpShortened(c, full);
    if (short !== null) out.push(short);
  }
  if ((c.proto === 'udp' || c.proto === 'udplite') && !c.assured) {
    out.push(`Once it becomes a stream it is ASSURED and lives ${PREFIX}udp_timeout_stream (default ${DEFAULTS.get(`${PREFIX}udp_timeout_stream`)} s) after each packet.`);
  }
  return out;
}
