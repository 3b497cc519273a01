/**
 * SCTP tracker (the kernel's nf_conntrack_proto_sctp.c as of 6.18).
 *
 *  - error: fewer than 12 header bytes ("short packet"), a wrong CRC32c at PREROUTING ("bad
 *    CRC"), and the chunk sanity checks: no chunk, a zero-length chunk, COOKIE_ECHO / COOKIE_ACK
 *    not first, INIT / INIT_ACK / SHUTDOWN_COMPLETE not alone ("bad chunks").
 *  - create: a packet carrying ABORT, SHUTDOWN_COMPLETE or COOKIE_ACK (out of the blue) makes no
 *    entry; otherwise every chunk must be one that may open a connection, INIT with a zero
 *    verification tag; the verification tags the first chunks announce are noted.
 *  - packet: the verification tag check (RFC 4960 8.5 and 8.5.1), then per chunk the state
 *    transition table; INIT / INIT_ACK record the tags, HEARTBEATs on a new path learn theirs.
 *    Reaching ESTABLISHED makes the entry ASSURED. The timeout is the new state's; a
 *    retransmitted INIT on a CLOSED entry, or a HEARTBEAT with a vtag mismatch, passes without
 *    a refresh.
 */
import { CtStatus } from '../../netfilter/context.js';
import { Proto, type PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { Verdict, type PacketInfo, type PacketOut, type TrackedConn, type Tracker } from '../tracker.js';
import { badChecksum, transportLength, u16, u32 } from './common.js';

/** SCTP conntrack states, numbered as the kernel numbers them (enum sctp_conntrack). */
export const SctpCt = {
  NONE: 0,
  CLOSED: 1,
  COOKIE_WAIT: 2,
  COOKIE_ECHOED: 3,
  ESTABLISHED: 4,
  SHUTDOWN_SENT: 5,
  SHUTDOWN_RECD: 6,
  SHUTDOWN_ACK_SENT: 7,
  HEARTBEAT_SENT: 8,
  /** Table result: invalid. */
  INVALID: 9,
} as const;

export const SCTP_STATE_NAMES: readonly string[] = [
  'NONE',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'ESTABLISHED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
];

/** Chunk types. */
export const Chunk = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  HEARTBEAT: 4,
  HEARTBEAT_ACK: 5,
  ABORT: 6,
  SHUTDOWN: 7,
  SHUTDOWN_ACK: 8,
  ERROR: 9,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
  SHUTDOWN_COMPLETE: 14,
} as const;

export interface SctpState {
  state: number;
  /** Verification tags expected in each direction. */
  vtag: [number, number];
  /** An INIT was seen from each direction (collision handling). */
  init: [number, number];
  /** SCTP_FLAG_HEARTBEAT_VTAG_FAILED. */
  flags: number;
  /** Direction of the HEARTBEAT whose vtag did not match. */
  lastDir: number;
}

const FLAG_HEARTBEAT_VTAG_FAILED = 1;
/** The T bit of ABORT and SHUTDOWN_COMPLETE: the tag is the peer's. */
const CHUNK_FLAG_T = 1;
const SCTP_HLEN = 12;
const CHUNK_HLEN = 4;
/** An INIT / INIT_ACK chunk's fixed part after the chunk header. */
const INIT_HLEN = 16;

// Transition table, [direction][chunk row] as one letter per current state
// (NONE CLOSED COOKIE_WAIT COOKIE_ECHOED ESTABLISHED SHUTDOWN_SENT SHUTDOWN_RECD
// SHUTDOWN_ACK_SENT HEARTBEAT_SENT). Letters: N C W E S s r a H, and x = invalid. Rows: INIT,
// INIT_ACK, ABORT, SHUTDOWN, SHUTDOWN_ACK, ERROR, COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_COMPLETE,
// HEARTBEAT, HEARTBEAT_ACK (see chunkRow).
const TABLE_TEXT: readonly (readonly string[])[] = [
  // original
  ['CCWESCCaW', 'CCWESsraC', 'CCCCCCCCC', 'CCWEssraC', 'aCWESaaaa', 'CCWESsraC', 'CCEESsraC', 'CCWSSsraC', 'CCWESsrCC', 'HCWESsraH', 'CCWESsraH'],
  // reply
  ['xCWESsrax', 'xWWESsrax', 'xCCCCCCCx', 'xCWErsrax', 'xCWESaaax', 'xCWCSsrax', 'xCEESsrax', 'xCWSSsrax', 'xCWESsrCx', 'xCWESsraH', 'xCWESsraS'],
];
const LETTER: Readonly<Record<string, number>> = {
  N: SctpCt.NONE,
  C: SctpCt.CLOSED,
  W: SctpCt.COOKIE_WAIT,
  E: SctpCt.COOKIE_ECHOED,
  S: SctpCt.ESTABLISHED,
  s: SctpCt.SHUTDOWN_SENT,
  r: SctpCt.SHUTDOWN_RECD,
  a: SctpCt.SHUTDOWN_ACK_SENT,
  H: SctpCt.HEARTBEAT_SENT,
  x: SctpCt.INVALID,
};
const TABLE: readonly Uint8Array[][] = TABLE_TEXT.map((dir) => dir.map((row) => Uint8Array.from(row, (ch) => LETTER[ch]!)));

/** Row of the table for a chunk type, -1 for chunks that do not change the state (DATA, SACK, ...). */
function chunkRow(type: number): number {
  switch (type) {
    case Chunk.INIT:
      return 0;
    case Chunk.INIT_ACK:
      return 1;
    case Chunk.ABORT:
      return 2;
    case Chunk.SHUTDOWN:
      return 3;
    case Chunk.SHUTDOWN_ACK:
      return 4;
    case Chunk.ERROR:
      return 5;
    case Chunk.COOKIE_ECHO:
      return 6;
    case Chunk.COOKIE_ACK:
      return 7;
    case Chunk.SHUTDOWN_COMPLETE:
      return 8;
    case Chunk.HEARTBEAT:
      return 9;
    case Chunk.HEARTBEAT_ACK:
      return 10;
    default:
      return -1;
  }
}

/** Next state for a chunk of `type` in direction `dir` from `state` (the kernel's sctp_new_state). */
export function sctpTransition(dir: 0 | 1, state: number, type: number): number {
  const row = chunkRow(type);
  return row < 0 ? state : TABLE[dir]![row]![state]!;
}

// ------------------------------------------------------------------------------------------------
// chunk walking

/** Offset of the first chunk. */
function firstChunk(pkt: PacketView): number {
  return pkt.l4Off + SCTP_HLEN;
}

/** True while a chunk header can be read at `o`. */
function chunkAt(pkt: PacketView, o: number): boolean {
  return o + CHUNK_HLEN <= pkt.ipEnd;
}

/** Offset of the chunk after the one at `o`. */
function nextChunk(pkt: PacketView, o: number): number {
  return o + ((u16(pkt.buf, o + 2) + 3) & ~3);
}

/** The kernel's do_basic_checks: null when the chunks are sane, else why not. */
function basicChecks(pkt: PacketView): string | null {
  const b = pkt.buf;
  let flag = false;
  let count = 0;
  for (let o = firstChunk(pkt); chunkAt(pkt, o); o = nextChunk(pkt, o), count++) {
    const type = b[o]!;
    if (type === Chunk.INIT || type === Chunk.INIT_ACK || type === Chunk.SHUTDOWN_COMPLETE) flag = true;
    const len = u16(b, o + 2);
    if (((type === Chunk.COOKIE_ACK || type === Chunk.COOKIE_ECHO || flag) && count !== 0) || len === 0) return 'bad chunks';
  }
  return count === 0 ? 'no chunks' : null;
}

/** Bit map of the chunk types (below 32) the packet carries. */
function chunkMap(pkt: PacketView): number {
  let map = 0;
  for (let o = firstChunk(pkt); chunkAt(pkt, o); o = nextChunk(pkt, o)) {
    const type = pkt.buf[o]!;
    if (type < 32) map |= 1 << type;
  }
  return map;
}

function has(map: number, type: number): boolean {
  return (map & (1 << type)) !== 0;
}

/** The init tag of the INIT / INIT_ACK chunk at `o`, or -1 when its fixed part is cut short. */
function initTag(pkt: PacketView, o: number): number {
  if (o + CHUNK_HLEN + INIT_HLEN > pkt.ipEnd) return -1;
  return u32(pkt.buf, o + CHUNK_HLEN);
}

function vtagOf(pkt: PacketView): number {
  return u32(pkt.buf, pkt.l4Off + 4);
}

// ------------------------------------------------------------------------------------------------
// tracker

export function sctpError(pkt: PacketView, hook: number, s: ConntrackSettings): string | null {
  if (pkt.l4Off < 0 || transportLength(pkt) < SCTP_HLEN || pkt.l4Len < SCTP_HLEN) return 'short packet';
  if (badChecksum(pkt, hook, s)) return 'bad CRC';
  return basicChecks(pkt);
}

/** The kernel's out-of-the-blue check and sctp_new: the state of a new entry, or null. */
export function sctpCreate(pkt: PacketView): SctpState | null {
  const map = chunkMap(pkt);
  if (has(map, Chunk.ABORT) || has(map, Chunk.SHUTDOWN_COMPLETE) || has(map, Chunk.COOKIE_ACK)) return null;
  const st: SctpState = { state: SctpCt.NONE, vtag: [0, 0], init: [0, 0], flags: 0, lastDir: 0 };
  const vtag = vtagOf(pkt);
  for (let o = firstChunk(pkt); chunkAt(pkt, o); o = nextChunk(pkt, o)) {
    const type = pkt.buf[o]!;
    const next = sctpTransition(0, SctpCt.NONE, type);
    if (next === SctpCt.NONE || next === SctpCt.INVALID) return null;
    if (type === Chunk.INIT) {
      // RFC 4960 8.5.1 (A): an INIT carries a zero tag.
      if (vtag !== 0) return null;
      const tag = initTag(pkt, o);
      if (tag < 0) return null;
      st.vtag[1] = tag;
    } else if (type === Chunk.HEARTBEAT) {
      st.vtag[0] = vtag;
    } else if (type === Chunk.SHUTDOWN_ACK) {
      // An out-of-the-blue SHUTDOWN_ACK expects a SHUTDOWN_COMPLETE (or ABORT) with its tag.
      st.vtag[1] = vtag;
    }
  }
  return st;
}

/** Whether the packet's chunks exempt it from the plain verification tag check. */
function tagCheckExempt(map: number): boolean {
  return (
    has(map, Chunk.INIT) ||
    has(map, Chunk.SHUTDOWN_COMPLETE) ||
    has(map, Chunk.COOKIE_ECHO) ||
    has(map, Chunk.ABORT) ||
    has(map, Chunk.SHUTDOWN_ACK) ||
    has(map, Chunk.HEARTBEAT) ||
    has(map, Chunk.HEARTBEAT_ACK)
  );
}

const CHUNK_OK = 0;
const CHUNK_INVALID = 1;
/** Let the packet through, skip this chunk, refresh nothing. */
const CHUNK_IGNORE = 2;

/** ABORT / SHUTDOWN_COMPLETE (8.5.1 B, C): own tag, or the peer's with the T bit. */
function tBitTagOk(st: SctpState, dir: 0 | 1, flags: number, vtag: number): boolean {
  return flags & CHUNK_FLAG_T ? vtag === st.vtag[dir ^ 1] : vtag === st.vtag[dir];
}

/** HEARTBEAT: learns the tag of a new path, or flags a mismatch (let through once, unrefreshed). */
function heartbeat(st: SctpState, dir: 0 | 1, vtag: number, map: number, ignoring: boolean): number {
  if (st.vtag[dir] === 0) {
    st.vtag[dir] = vtag;
  } else if (vtag !== st.vtag[dir]) {
    if (has(map, Chunk.DATA) || ignoring) return CHUNK_INVALID;
    st.flags |= FLAG_HEARTBEAT_VTAG_FAILED;
    st.lastDir = dir;
    return CHUNK_IGNORE;
  } else {
    st.flags &= ~FLAG_HEARTBEAT_VTAG_FAILED;
  }
  return CHUNK_OK;
}

/** HEARTBEAT_ACK: learns a tag, or accepts a new pair of tags answering a mismatched HEARTBEAT. */
function heartbeatAck(st: SctpState, dir: 0 | 1, vtag: number, map: number, ignoring: boolean): number {
  if (st.vtag[dir] === 0) {
    st.vtag[dir] = vtag;
  } else if (vtag !== st.vtag[dir]) {
    if (has(map, Chunk.DATA) || ignoring) return CHUNK_INVALID;
    if (!(st.flags & FLAG_HEARTBEAT_VTAG_FAILED) || st.lastDir === dir) return CHUNK_INVALID;
    st.flags &= ~FLAG_HEARTBEAT_VTAG_FAILED;
    st.vtag[dir] = vtag;
    st.vtag[dir ^ 1] = 0;
  } else {
    st.flags &= ~FLAG_HEARTBEAT_VTAG_FAILED;
  }
  return CHUNK_OK;
}

/** The special tag rules of a chunk, before its transition. */
function chunkTagRules(st: SctpState, dir: 0 | 1, type: number, flags: number, vtag: number, map: number, ignoring: boolean): number {
  switch (type) {
    case Chunk.INIT:
      return vtag !== 0 ? CHUNK_INVALID : CHUNK_OK;
    case Chunk.ABORT:
    case Chunk.SHUTDOWN_COMPLETE:
      return tBitTagOk(st, dir, flags, vtag) ? CHUNK_OK : CHUNK_INVALID;
    case Chunk.COOKIE_ECHO:
      return vtag !== st.vtag[dir] ? CHUNK_INVALID : CHUNK_OK;
    case Chunk.COOKIE_ACK:
      st.init[0] = 0;
      st.init[1] = 0;
      return CHUNK_OK;
    case Chunk.HEARTBEAT:
      return heartbeat(st, dir, vtag, map, ignoring);
    case Chunk.HEARTBEAT_ACK:
      return heartbeatAck(st, dir, vtag, map, ignoring);
    default:
      return CHUNK_OK;
  }
}

/**
 * INIT / INIT_ACK bookkeeping after the transition: CHUNK_INVALID, CHUNK_OK, or CHUNK_IGNORE for
 * an INIT retransmitted on a closed entry (it does not renew it: port reuse could keep it alive
 * forever).
 */
function initTags(pkt: PacketView, o: number, st: SctpState, dir: 0 | 1, type: number, oldState: number, newState: number, confirmed: boolean): number {
  const tag = initTag(pkt, o);
  if (tag < 0) return CHUNK_INVALID;
  const other = dir ^ 1;
  if (type === Chunk.INIT) {
    if (st.init[dir] && st.init[other]) st.init[other] = 0;
    st.init[dir] = 1;
    st.vtag[other] = tag;
    return newState === SctpCt.CLOSED && oldState === SctpCt.CLOSED && confirmed ? CHUNK_IGNORE : CHUNK_OK;
  }
  const known = st.vtag[other];
  if (!st.init[other] && known !== 0 && known !== tag) return CHUNK_INVALID;
  // INIT collision: both sides sent INIT; the INIT_ACK must carry the tag already noted.
  if (st.init[dir] && st.init[other] && known !== tag) return CHUNK_INVALID;
  st.vtag[other] = tag;
  return CHUNK_OK;
}

function stateTimeout(state: number, s: ConntrackSettings): number {
  switch (state) {
    case SctpCt.COOKIE_WAIT:
      return s.sctpTimeoutCookieWait;
    case SctpCt.COOKIE_ECHOED:
      return s.sctpTimeoutCookieEchoed;
    case SctpCt.ESTABLISHED:
      return s.sctpTimeoutEstablished;
    case SctpCt.SHUTDOWN_SENT:
      return s.sctpTimeoutShutdownSent;
    case SctpCt.SHUTDOWN_RECD:
      return s.sctpTimeoutShutdownRecd;
    case SctpCt.SHUTDOWN_ACK_SENT:
      return s.sctpTimeoutShutdownAckSent;
    case SctpCt.HEARTBEAT_SENT:
      return s.sctpTimeoutHeartbeatSent;
    default:
      // CLOSED, and NONE (the kernel's timeouts[0] is CLOSED's).
      return s.sctpTimeoutClosed;
  }
}

export function sctpPacket(conn: TrackedConn<SctpState>, pkt: PacketView, info: PacketInfo, s: ConntrackSettings, out: PacketOut): Verdict {
  const st = conn.proto;
  const dir = info.dir;
  const confirmed = (conn.status & CtStatus.CONFIRMED) !== 0;
  const vtag = vtagOf(pkt);
  const map = chunkMap(pkt);
  if (!tagCheckExempt(map) && vtag !== st.vtag[dir]) return Verdict.INVALID;

  let ignoring = false;
  let newState: number = SctpCt.NONE;
  const b = pkt.buf;
  for (let o = firstChunk(pkt); chunkAt(pkt, o); o = nextChunk(pkt, o)) {
    const type = b[o]!;
    const rule = chunkTagRules(st, dir, type, b[o + 1]!, vtag, map, ignoring);
    if (rule === CHUNK_INVALID) return Verdict.INVALID;
    if (rule === CHUNK_IGNORE) {
      ignoring = true;
      continue;
    }
    const oldState = st.state;
    newState = sctpTransition(dir, oldState, type);
    if (newState === SctpCt.INVALID) return Verdict.INVALID;
    if (type === Chunk.INIT || type === Chunk.INIT_ACK) {
      const r = initTags(pkt, o, st, dir, type, oldState, newState, confirmed);
      if (r === CHUNK_INVALID) return Verdict.INVALID;
      if (r === CHUNK_IGNORE) ignoring = true;
    }
    st.state = newState;
    if (oldState !== newState) {
      out.protoEvent = true;
      if (newState === SctpCt.ESTABLISHED) conn.status |= CtStatus.ASSURED;
    }
  }
  // Accepted without a refresh (and without accounting).
  if (ignoring) return Verdict.ACCEPT;
  out.timeout = stateTimeout(newState, s);
  return Verdict.ACCEPT;
}

export function sctpCanEarlyDrop(st: SctpState): boolean {
  return st.state === SctpCt.SHUTDOWN_SENT || st.state === SctpCt.SHUTDOWN_RECD || st.state === SctpCt.SHUTDOWN_ACK_SENT;
}

export const sctpTracker: Tracker<SctpState> = {
  proto: Proto.SCTP,
  name: 'sctp',
  error: sctpError,
  create: sctpCreate,
  packet: sctpPacket,
  stateName: (st) => SCTP_STATE_NAMES[st.state] ?? 'NONE',
  stateNumber: (st) => st.state,
  canEarlyDrop: sctpCanEarlyDrop,
};
