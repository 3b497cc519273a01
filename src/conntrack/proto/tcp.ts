/**
 * The TCP connection tracker, exact to Linux 6.18 (net/netfilter/nf_conntrack_proto_tcp.c).
 *
 *  - error: header shorter than 20 bytes or than its data offset ("truncated packet"), a wrong
 *    checksum when checksumming is on and the packet is at PREROUTING ("bad checksum"; locally
 *    sent packets are trusted, and a capture cut short of the segment cannot be verified and is
 *    taken as the full packet the kernel saw), and flag combinations TCP never sends ("invalid
 *    tcp flag combination": anything but SYN, SYN|ACK, RST, RST|ACK, FIN|ACK, ACK, with or
 *    without URG on SYN, FIN|ACK and ACK, and with any PSH/ECE/CWR).
 *  - create: a SYN starts SYN_SENT with the window taken from it; with tcp_loose, a packet that
 *    the table lets start in ESTABLISHED (a bare ACK, with or without data) picks the
 *    connection up mid-stream, liberal on both sides; anything else makes no entry.
 *  - packet: the transition table (tcp-state.ts), its special cases (ignored packets and the
 *    resync when the other side answers one, reopening a closed connection with a SYN, challenge
 *    ACKs, simultaneous open, RST checks), the window check (tcp-window.ts), ASSURED, and the
 *    timeout: the state's own, lowered while data is unacknowledged, after tcp_max_retrans
 *    identical retransmissions, with a zero window, and while no reply has been seen.
 *
 * What `packet` reports in PacketOut: `timeout` >= 0 refreshes the timer and counts the packet
 * (nf_ct_refresh_acct); -1 leaves both alone, which the kernel does for several accepted packets
 * (ignored packets, segments outside the window but let through, a retransmitted SYN, a
 * challenge ACK); with an INVALID verdict a `timeout` >= 0 is a bare timer change (no counting:
 * the kernel's nf_tcp_handle_invalid); `kill` is set for a RST before any reply; `protoEvent`
 * whenever the kernel caches PROTOINFO, which includes one case without a state change (a
 * SYN/ACK answering an ignored SYN while in SYN_RECV). REPEAT asks the table to delete the entry
 * and look the packet up again (a SYN reopening a closed connection). The TCP tracker never
 * returns DROP (the kernel does only when the entry is already being destroyed concurrently).
 *
 * NAT's sequence adjustment hooks in through `TcpState.seqAdj` (tcp-seqadj.ts).
 */
import { l4ChecksumOk } from './csum.js';
import { Proto, type PacketView } from '../../packet/view.js';
import { CtStatus, Hook } from '../../netfilter/context.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';
import { synOptions, readSynOptions } from './tcp-options.js';
import { seqAdd, seqBefore } from './tcp-seq.js';
import {
  loadTcpState,
  saveTcpState,
  TCP_STATE_NAMES,
  TcpCt,
  TcpFlag,
  TcpKind,
  TcpState,
  tcpKind,
  tcpTransition,
} from './tcp-state.js';
import { tcpInWindow, tcpSegmentEnd, WindowResult } from './tcp-window.js';

export {
  loadTcpState,
  saveTcpState,
  TcpCt,
  TcpFlag,
  TcpKind,
  TcpPeer,
  TcpState,
  TCP_STATE_NAMES,
  tcpKind,
  tcpTransition,
} from './tcp-state.js';
export { newSeqAdj, seqAdjOffset, seqAdjRecord, type SeqAdjWay, type TcpSeqAdj } from './tcp-seqadj.js';
export { tcpSegmentEnd, tcpPayloadLength } from './tcp-window.js';

/** The connection as the table passes it: with its expiry time (virtual seconds). */
export interface TcpConn extends TrackedConn<TcpState> {
  readonly expiresAt: number;
}

/**
 * The kernel's built-in 2 minutes: the timeout of SYN_SENT2, which has no sysctl (and of NONE,
 * never a result state, which the kernel fills with SYN_SENT's default).
 */
const BUILTIN_SYN_TIMEOUT = 120;
/** nf_tcp_handle_invalid leaves alone entries with less than this many seconds to live. */
const INVALID_SHRINK_FLOOR = 120;

const TCP_MIN_HDR = 20;
const FLAG_PSH = 0x08;
const FLAG_ECE = 0x40;
const FLAG_CWR = 0x80;

/** Valid combinations of FIN, SYN, RST, ACK and URG (PSH, ECE, CWR may come with any of them). */
const VALID_FLAGS = buildValidFlags();

function buildValidFlags(): Uint8Array {
  const FIN = 0x01;
  const SYN = 0x02;
  const RST = 0x04;
  const ACK = 0x10;
  const URG = 0x20;
  const t = new Uint8Array(0x40);
  for (const combo of [SYN, SYN | URG, SYN | ACK, RST, RST | ACK, FIN | ACK, FIN | ACK | URG, ACK, ACK | URG]) t[combo] = 1;
  return t;
}

// ------------------------------------------------------------------------------------------------
// error

/** The kernel's tcp_error: null when the packet may be tracked, else the reason it is INVALID. */
export function tcpError(pkt: PacketView, hook: number, s: ConntrackSettings): string | null {
  if (pkt.l4Off < 0 || pkt.l4Len < TCP_MIN_HDR) return 'truncated packet';
  const hl = pkt.tcpHdrLen;
  if (hl < TCP_MIN_HDR || hl > pkt.l4Len) return 'truncated packet';
  if (s.checksum && hook === Hook.PREROUTING && !pkt.ipTruncated && !l4ChecksumOk(pkt)) return 'bad checksum';
  const flags = pkt.tcpFlags & 0xff & ~(FLAG_PSH | FLAG_ECE | FLAG_CWR);
  if (!VALID_FLAGS[flags]) return 'invalid tcp flag combination';
  return null;
}

// ------------------------------------------------------------------------------------------------
// create

/** The kernel's tcp_new: the state for a packet that found no entry, or null (no entry). */
export function tcpCreate(pkt: PacketView, s: ConntrackSettings): TcpState | null {
  if (!tcpMayCreate(pkt, s)) return null;
  const ct = new TcpState();
  tcpInitState(pkt, ct);
  return ct;
}

/** Whether tcpCreate makes an entry for this packet. */
export function tcpMayCreate(pkt: PacketView, s: ConntrackSettings): boolean {
  const next = tcpTransition(0, tcpKind(pkt.tcpFlags), TcpCt.NONE);
  if (next === TcpCt.INVALID) return false;
  return next === TcpCt.SYN_SENT || s.tcpLoose;
}

/**
 * tcpCreate's state written into `ct`, which must be as a fresh TcpState (every field at its
 * default): what the table does in place, without a state object.
 */
export function tcpInitState(pkt: PacketView, ct: TcpState): void {
  const next = tcpTransition(0, tcpKind(pkt.tcpFlags), TcpCt.NONE);
  const orig = ct.seen[0];
  orig.tdEnd = tcpSegmentEnd(pkt);
  orig.tdMaxWin = pkt.tcpWindow === 0 ? 1 : pkt.tcpWindow;
  if (next === TcpCt.SYN_SENT) {
    orig.tdMaxEnd = orig.tdEnd;
    readSynOptions(pkt, orig);
  } else {
    // Mid-stream pickup: the history is lost, the window is a guess from this packet; assume
    // SACK and check windows liberally (scaling is unknown) in both directions.
    orig.tdMaxEnd = seqAdd(orig.tdEnd, orig.tdMaxWin);
    orig.flags = TcpFlag.SACK_PERM | TcpFlag.BE_LIBERAL;
    ct.seen[1].flags = TcpFlag.SACK_PERM | TcpFlag.BE_LIBERAL;
  }
  ct.lastIndex = TcpKind.NONE;
}

// ------------------------------------------------------------------------------------------------
// packet: special cases of the table

/**
 * A SYN on a closed (TIME_WAIT / CLOSE) connection reopens it when the connection was closed
 * with FINs, or aborted by a RST from this same side.
 */
function reopensClosed(ct: TcpState, dir: 0 | 1): boolean {
  if ((ct.seen[0].flags | ct.seen[1].flags) & TcpFlag.CLOSE_INIT) return true;
  return ct.lastDir === dir && ct.lastIndex === TcpKind.RST;
}

/** A SYN/ACK acknowledging the SYN we last ignored: the endpoints are in sync and we are not. */
function answersIgnoredSyn(ct: TcpState, dir: 0 | 1, kind: number, pkt: PacketView): boolean {
  return kind === TcpKind.SYNACK && ct.lastIndex === TcpKind.SYN && ct.lastDir !== dir && pkt.tcpAck >>> 0 === ct.lastEnd;
}

/** Takes the ignored SYN's side from the values noted when it went by; the answering side restarts. */
function resyncFromIgnoredSyn(ct: TcpState, dir: 0 | 1): void {
  const synSide = ct.seen[ct.lastDir];
  synSide.tdEnd = ct.lastEnd;
  synSide.tdMaxEnd = ct.lastEnd;
  synSide.tdMaxWin = ct.lastWin === 0 ? 1 : ct.lastWin;
  synSide.tdScale = ct.lastWscale;
  ct.lastFlags &= ~TcpFlag.EXP_CHALLENGE_ACK;
  synSide.flags = ct.lastFlags;
  ct.seen[dir].reset();
}

/** Notes an ignored packet so that the other side's answer can be recognised. */
function noteIgnored(ct: TcpState, dir: 0 | 1, kind: number, oldState: number, pkt: PacketView): void {
  ct.lastIndex = kind;
  ct.lastDir = dir;
  ct.lastSeq = pkt.tcpSeq >>> 0;
  ct.lastEnd = tcpSegmentEnd(pkt);
  ct.lastWin = pkt.tcpWindow;
  if (kind === TcpKind.SYN && dir === 0) noteIgnoredSynOptions(ct, oldState, pkt);
  // A possible challenge ACK answering the SYN.
  if (oldState === TcpCt.SYN_SENT && kind === TcpKind.ACK && dir === 1) ct.lastAck = pkt.tcpAck >>> 0;
}

/**
 * An ignored SYN from the original side: keep its options for a resync, and in LAST_ACK expect
 * the RFC 5961 challenge ACK it may draw (which must not count as the last ACK).
 */
function noteIgnoredSynOptions(ct: TcpState, oldState: number, pkt: PacketView): void {
  const opts = synOptions(pkt);
  ct.lastFlags = 0;
  ct.lastWscale = 0;
  if (opts >= 0) {
    if (opts & TcpFlag.WINDOW_SCALE) {
      ct.lastFlags |= TcpFlag.WINDOW_SCALE;
      ct.lastWscale = opts >> 8;
    }
    ct.lastFlags |= opts & TcpFlag.SACK_PERM;
  }
  if (oldState === TcpCt.LAST_ACK) ct.lastFlags |= TcpFlag.EXP_CHALLENGE_ACK;
}

/** The ACK that would end LAST_ACK is the challenge ACK answering a SYN we let through. */
function isChallengeAck(ct: TcpState, dir: 0 | 1, kind: number, oldState: number): boolean {
  return (
    oldState === TcpCt.LAST_ACK &&
    kind === TcpKind.ACK &&
    ct.lastDir !== dir &&
    ct.lastIndex === TcpKind.SYN &&
    (ct.lastFlags & TcpFlag.EXP_CHALLENGE_ACK) !== 0
  );
}

/** ESTABLISHED and ASSURED (the kernel's nf_conntrack_tcp_established). */
function isEstablished(conn: TrackedConn<TcpState>): boolean {
  return conn.proto.state === TcpCt.ESTABLISHED && (conn.status & CtStatus.ASSURED) !== 0;
}

/** States in which an entry may be evicted early, and in which RSTs skip every check. */
export function tcpCanEarlyDrop(ct: TcpState): boolean {
  switch (ct.state) {
    case TcpCt.FIN_WAIT:
    case TcpCt.LAST_ACK:
    case TcpCt.TIME_WAIT:
    case TcpCt.CLOSE:
    case TcpCt.CLOSE_WAIT:
      return true;
    default:
      return false;
  }
}

/** rstDecision result bits. */
const RST_INVALID = 1;
const RST_SKIP_WINDOW = 2;
const RST_KEEP_STATE = 4;

/**
 * The RST checks: an RST behind what the other side acknowledged is invalid (unless
 * tcp_ignore_invalid_rst); on an established connection an RST that is in window but not at the
 * expected sequence number keeps the state (the peer will answer with a challenge ACK); RSTs
 * answering a packet we let through unchecked, and RSTs while closing, skip the window check.
 */
function rstDecision(conn: TrackedConn<TcpState>, dir: 0 | 1, pkt: PacketView, oldState: number, s: ConntrackSettings): number {
  const ct = conn.proto;
  if (tcpCanEarlyDrop(ct)) return RST_SKIP_WINDOW;
  const seq = pkt.tcpSeq >>> 0;
  const peer = ct.seen[dir ^ 1];
  let keep = 0;
  if (peer.flags & TcpFlag.MAXACK_SET && ct.lastIndex !== TcpKind.SYN) {
    const established = isEstablished(conn);
    // Not established and seq 0: most likely the answer to a SYN we let through.
    if (seq === 0 && !established) return 0;
    if (seqBefore(seq, peer.tdMaxAck) && !s.tcpIgnoreInvalidRst) return RST_INVALID;
    if (!established || seq === peer.tdMaxAck) return 0;
    // Part of a train: data then RST at its end.
    if (ct.lastIndex === TcpKind.ACK && ct.lastDir === dir && seq === ct.lastEnd) return 0;
    keep = RST_KEEP_STATE;
  }
  const ackSeq = pkt.tcpAck >>> 0;
  const seenReply = (conn.status & CtStatus.SEEN_REPLY) !== 0;
  const assured = (conn.status & CtStatus.ASSURED) !== 0;
  if (
    ((seenReply && ct.lastIndex === TcpKind.SYN) || (!assured && ct.lastIndex === TcpKind.ACK)) &&
    ackSeq === ct.lastEnd
  ) {
    // RST answering an ignored SYN, or a half-open connection: it may ack what we ignored.
    return RST_SKIP_WINDOW | keep;
  }
  if (oldState === TcpCt.SYN_SENT && ct.lastIndex === TcpKind.ACK && ct.lastDir === 1 && seq === ct.lastAck) {
    // RST answering a challenge ACK we let through.
    return RST_SKIP_WINDOW | keep;
  }
  return keep;
}

// ------------------------------------------------------------------------------------------------
// packet: timeouts

/** Timeout of a state from the settings (the kernel's timeouts[state]). */
function stateTimeout(state: number, s: ConntrackSettings): number {
  switch (state) {
    case TcpCt.SYN_SENT:
      return s.tcpTimeoutSynSent;
    case TcpCt.SYN_RECV:
      return s.tcpTimeoutSynRecv;
    case TcpCt.ESTABLISHED:
      return s.tcpTimeoutEstablished;
    case TcpCt.FIN_WAIT:
      return s.tcpTimeoutFinWait;
    case TcpCt.CLOSE_WAIT:
      return s.tcpTimeoutCloseWait;
    case TcpCt.LAST_ACK:
      return s.tcpTimeoutLastAck;
    case TcpCt.TIME_WAIT:
      return s.tcpTimeoutTimeWait;
    case TcpCt.CLOSE:
      return s.tcpTimeoutClose;
    default:
      return BUILTIN_SYN_TIMEOUT;
  }
}

/**
 * The timeout for an in-window packet leading to `state`: the max-retrans timeout after too many
 * retransmissions, the CLOSE timeout for a RST, the unacknowledged timeout while either side
 * has data unacknowledged, the max-retrans timeout after a zero window, each only when shorter.
 */
function selectTimeout(ct: TcpState, kind: number, state: number, s: ConntrackSettings): number {
  const t = stateTimeout(state, s);
  if (ct.retrans >= s.tcpMaxRetrans && t > s.tcpTimeoutMaxRetrans) return s.tcpTimeoutMaxRetrans;
  if (kind === TcpKind.RST) return s.tcpTimeoutClose;
  const unacked = (ct.seen[0].flags | ct.seen[1].flags) & TcpFlag.DATA_UNACKNOWLEDGED;
  if (unacked && t > s.tcpTimeoutUnacknowledged) return s.tcpTimeoutUnacknowledged;
  if (ct.lastWin === 0 && t > s.tcpTimeoutMaxRetrans) return s.tcpTimeoutMaxRetrans;
  return t;
}

/**
 * An out-of-window FIN or RST on an assured connection answering the other side's out-of-window
 * FIN or RST: both ends consider the connection gone, so shorten its lifetime to the
 * unacknowledged timeout (the kernel's nf_tcp_handle_invalid).
 */
function shrinkOnInvalid(conn: TcpConn, dir: 0 | 1, kind: number, now: number, s: ConntrackSettings, out: PacketOut): void {
  if (!(conn.status & CtStatus.ASSURED) || conn.status & CtStatus.FIXED_TIMEOUT) return;
  if (kind !== TcpKind.RST && kind !== TcpKind.FIN) return;
  const ct = conn.proto;
  if (ct.lastDir !== dir && (ct.lastIndex === TcpKind.FIN || ct.lastIndex === TcpKind.RST)) {
    const expires = remainingLifetime(conn, now);
    if (expires < INVALID_SHRINK_FLOOR) return;
    if (expires > s.tcpTimeoutUnacknowledged) out.timeout = s.tcpTimeoutUnacknowledged;
    return;
  }
  ct.lastIndex = kind;
  ct.lastDir = dir;
}

function remainingLifetime(conn: TcpConn, now: number): number {
  return conn.expiresAt > now ? conn.expiresAt - now : 0;
}

// ------------------------------------------------------------------------------------------------
// packet

/** Commits an in-window packet: state, CLOSE_INIT, timeout, ASSURED and what the core must do. */
function commit(
  conn: TcpConn,
  dir: 0 | 1,
  kind: number,
  oldState: number,
  newState: number,
  s: ConntrackSettings,
  out: PacketOut,
): Verdict {
  const ct = conn.proto;
  ct.lastIndex = kind;
  ct.lastDir = dir;
  ct.state = newState;
  if (oldState !== newState && newState === TcpCt.FIN_WAIT) ct.seen[dir].flags |= TcpFlag.CLOSE_INIT;
  let timeout = selectTimeout(ct, kind, newState, s);
  if (newState !== oldState) out.protoEvent = true;

  if (!(conn.status & CtStatus.SEEN_REPLY)) {
    // The only answer is a RST: no connection, delete the entry at once.
    if (kind === TcpKind.RST) {
      out.kill = true;
      return Verdict.ACCEPT;
    }
    // A retransmitted SYN does not renew the timer (port reuse could keep the entry forever).
    if (kind === TcpKind.SYN && oldState === TcpCt.SYN_SENT) return Verdict.ACCEPT;
    // Picked up mid-stream and still unanswered: no long ESTABLISHED timeout.
    if (newState === TcpCt.ESTABLISHED && timeout > s.tcpTimeoutUnacknowledged) timeout = s.tcpTimeoutUnacknowledged;
  } else if (
    !(conn.status & CtStatus.ASSURED) &&
    (oldState === TcpCt.SYN_RECV || oldState === TcpCt.ESTABLISHED) &&
    newState === TcpCt.ESTABLISHED
  ) {
    // A valid ACK after SYN_RECV, or an answered pickup.
    conn.status |= CtStatus.ASSURED;
  }
  out.timeout = timeout;
  return Verdict.ACCEPT;
}

/** The kernel's nf_conntrack_tcp_packet (after tcp_error and tcp_new). */
export function tcpPacket(conn: TcpConn, pkt: PacketView, info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict {
  const ct = conn.proto;
  const dir = info.dir;
  const kind = tcpKind(pkt.tcpFlags);
  let oldState = ct.state;
  let newState = tcpTransition(dir, kind, oldState);
  let checkWindow = true;

  if (newState === TcpCt.INVALID) return Verdict.INVALID;
  const reopening = newState === TcpCt.SYN_SENT && oldState >= TcpCt.TIME_WAIT;
  if (reopening || newState === TcpCt.IGNORE) {
    if (reopening && reopensClosed(ct, dir)) return Verdict.REPEAT;
    if (!answersIgnoredSyn(ct, dir, kind, pkt)) {
      // Let it through untouched: if it is bogus, the receiver's RST will tell.
      noteIgnored(ct, dir, kind, oldState, pkt);
      return Verdict.ACCEPT;
    }
    resyncFromIgnoredSyn(ct, dir);
    oldState = TcpCt.SYN_SENT;
    newState = TcpCt.SYN_RECV;
  } else if (newState === TcpCt.TIME_WAIT) {
    if (isChallengeAck(ct, dir, kind, oldState)) {
      ct.lastFlags &= ~TcpFlag.EXP_CHALLENGE_ACK;
      return Verdict.ACCEPT;
    }
  } else if (newState === TcpCt.SYN_SENT2) {
    ct.lastFlags |= TcpFlag.SIMULTANEOUS_OPEN;
  } else if (newState === TcpCt.SYN_RECV) {
    // The table cannot tell a simultaneous open's final ACK from the reply side.
    if (dir === 1 && kind === TcpKind.ACK && ct.lastFlags & TcpFlag.SIMULTANEOUS_OPEN) newState = TcpCt.ESTABLISHED;
  } else if (newState === TcpCt.CLOSE && kind === TcpKind.RST) {
    const d = rstDecision(conn, dir, pkt, oldState, s);
    if (d & RST_INVALID) return Verdict.INVALID;
    if (d & RST_KEEP_STATE) newState = oldState;
    checkWindow = (d & RST_SKIP_WINDOW) === 0;
  }

  if (checkWindow) {
    const w = tcpInWindow(ct, dir, kind, pkt, s);
    if (w === WindowResult.IGNORE) return Verdict.ACCEPT;
    if (w === WindowResult.INVALID) {
      shrinkOnInvalid(conn, dir, kind, info.now, s, out);
      return Verdict.INVALID;
    }
  }
  return commit(conn, dir, kind, oldState, newState, s, out);
}

// ------------------------------------------------------------------------------------------------
// outside the packet path

/**
 * REJECT --reject-with tcp-reset on a confirmed connection (the kernel's
 * nf_conntrack_tcp_set_closing): the state becomes CLOSE. Returns the new timeout (CLOSE's), with
 * an UPDATE event due, or -1 when the entry was already CLOSE or has a fixed timeout (then
 * nothing else changes).
 */
export function tcpSetClosing(conn: TrackedConn<TcpState>, s: ConntrackSettings): number {
  const ct = conn.proto;
  const old = ct.state;
  ct.state = TcpCt.CLOSE;
  if (old === TcpCt.CLOSE || conn.status & CtStatus.FIXED_TIMEOUT) return -1;
  return s.tcpTimeoutClose;
}

/** Protocol state name as conntrack -L prints it. */
export function tcpStateName(ct: TcpState): string {
  return TCP_STATE_NAMES[ct.state] ?? 'NONE';
}

export const tcpTracker: Tracker<TcpState> = {
  proto: Proto.TCP,
  name: 'tcp',
  error: tcpError,
  create: tcpCreate,
  packet: tcpPacket,
  stateName: tcpStateName,
  stateNumber: (ct) => ct.state,
  canEarlyDrop: tcpCanEarlyDrop,
  saveState: saveTcpState,
  loadState: loadTcpState,
};
