/**
 * TCP connection-tracking state: the per-connection record the TCP tracker keeps, the state
 * numbers and names conntrack prints, and the transition table of Linux 6.18
 * (net/netfilter/nf_conntrack_proto_tcp.c).
 *
 * The table maps (direction, packet kind, current state) to the next state. Two pseudo-states
 * complete it: INVALID (the packet does not fit the connection at all) and IGNORE (the packet may
 * be valid but conntrack could be out of sync with the endpoints, so it is let through without
 * changing anything; see the resync logic in tcp.ts).
 */
import type { SeqAdjWay, TcpSeqAdj } from './tcp-seqadj.js';

/** Connection states, numbered as the kernel numbers them (enum tcp_conntrack). */
export const TcpCt = {
  NONE: 0,
  SYN_SENT: 1,
  SYN_RECV: 2,
  ESTABLISHED: 3,
  FIN_WAIT: 4,
  CLOSE_WAIT: 5,
  LAST_ACK: 6,
  TIME_WAIT: 7,
  CLOSE: 8,
  SYN_SENT2: 9,
  /** Table result: the packet is invalid for the connection. */
  INVALID: 10,
  /** Table result: the packet is let through without a state change. */
  IGNORE: 11,
} as const;
export type TcpCt = (typeof TcpCt)[keyof typeof TcpCt];

/** Names as conntrack -L prints them, indexed by state number. */
export const TCP_STATE_NAMES: readonly string[] = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
];

/** Packet kinds the table distinguishes, by the kernel's precedence RST > SYN(/ACK) > FIN > ACK. */
export const TcpKind = {
  SYN: 0,
  SYNACK: 1,
  FIN: 2,
  ACK: 3,
  RST: 4,
  NONE: 5,
} as const;
export type TcpKind = (typeof TcpKind)[keyof typeof TcpKind];

/** Header flag bits used here (the 13th header byte). */
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** The kind of a segment, from its flag bits. */
export function tcpKind(flags: number): TcpKind {
  if (flags & RST) return TcpKind.RST;
  if (flags & SYN) return flags & ACK ? TcpKind.SYNACK : TcpKind.SYN;
  if (flags & FIN) return TcpKind.FIN;
  if (flags & ACK) return TcpKind.ACK;
  return TcpKind.NONE;
}

/**
 * Per-direction flag bits (`TcpPeer.flags`, the kernel's IP_CT_TCP_FLAG_*), plus the two bits
 * the kernel keeps only in `TcpState.lastFlags` (challenge ACK expected, simultaneous open).
 */
export const TcpFlag = {
  WINDOW_SCALE: 0x01,
  SACK_PERM: 0x02,
  CLOSE_INIT: 0x04,
  BE_LIBERAL: 0x08,
  DATA_UNACKNOWLEDGED: 0x10,
  MAXACK_SET: 0x20,
  EXP_CHALLENGE_ACK: 0x40,
  SIMULTANEOUS_OPEN: 0x80,
} as const;

/** What conntrack knows of one direction's sender (the kernel's struct ip_ct_tcp_state). */
export class TcpPeer {
  /** Highest seq + len seen from this sender. */
  tdEnd = 0;
  /** Highest ack + window the other side advertised: upper bound for this sender's data. */
  tdMaxEnd = 0;
  /** Largest window this sender advertised (scaled), at least 1 once initialised; 0 = unknown. */
  tdMaxWin = 0;
  /** Highest ack this sender sent (valid once MAXACK_SET). */
  tdMaxAck = 0;
  /** Window scale this sender announced (0..14). */
  tdScale = 0;
  /** TcpFlag bits (one byte). */
  flags = 0;

  /** Forget the window data, keeping only BE_LIBERAL (the kernel's nf_ct_tcp_state_reset). */
  reset(): void {
    this.tdEnd = 0;
    this.tdMaxEnd = 0;
    this.tdMaxWin = 0;
    this.tdMaxAck = 0;
    this.tdScale = 0;
    this.flags &= TcpFlag.BE_LIBERAL;
  }
}

/** The TCP part of a connection (the kernel's struct ip_ct_tcp). */
export class TcpState {
  /** TcpCt state number (NONE .. SYN_SENT2). */
  state: number = TcpCt.NONE;
  /** Window tracking per direction: [0] original sender, [1] reply sender. */
  readonly seen: readonly [TcpPeer, TcpPeer] = [new TcpPeer(), new TcpPeer()];
  /** Direction, kind, seq, ack, end (seq + len), raw window and options of the last tracked packet. */
  lastDir: 0 | 1 = 0;
  lastIndex: number = TcpKind.SYN;
  lastSeq = 0;
  lastAck = 0;
  lastEnd = 0;
  lastWin = 0;
  lastWscale = 0;
  lastFlags = 0;
  /** Consecutive retransmissions of the same ACK segment (one byte, wraps like the kernel's). */
  retrans = 0;
  /**
   * Set by NAT once it shifts this connection's sequence numbers (tcp-seqadj.ts):
   * acknowledgements are then mapped back to the unshifted space before the window check.
   * Null while nothing was shifted.
   */
  seqAdj: TcpSeqAdj | null = null;
}

/**
 * The transition table, written out row by row: per direction, one row per packet kind, one
 * column per current state. Codes: NO SS SR ES FW CW LA TW CL S2 (states), IV (invalid),
 * IG (ignore).
 */
const COLUMNS = 'NO SS SR ES FW CW LA TW CL S2';
const ROWS: Record<'original' | 'reply', Record<keyof typeof TcpKind, string>> = {
  original: {
    SYN: /*   */ 'SS SS IG IG IG IG IG SS SS S2',
    SYNACK: /**/ 'IV IV SR IV IV IV IV IV IV SR',
    FIN: /*   */ 'IV IV FW FW LA LA LA TW CL IV',
    ACK: /*   */ 'ES IV ES ES CW CW TW TW CL IV',
    RST: /*   */ 'IV CL CL CL CL CL CL CL CL CL',
    NONE: /*  */ 'IV IV IV IV IV IV IV IV IV IV',
  },
  reply: {
    SYN: /*   */ 'IV S2 IV IV IV IV IV SS IV S2',
    SYNACK: /**/ 'IV SR IG IG IG IG IG IG IG SR',
    FIN: /*   */ 'IV IV FW FW LA LA LA TW CL IV',
    ACK: /*   */ 'IV IG SR ES CW CW TW TW CL IG',
    RST: /*   */ 'IV CL CL CL CL CL CL CL CL CL',
    NONE: /*  */ 'IV IV IV IV IV IV IV IV IV IV',
  },
};

const CODE: Record<string, number> = {
  NO: TcpCt.NONE,
  SS: TcpCt.SYN_SENT,
  SR: TcpCt.SYN_RECV,
  ES: TcpCt.ESTABLISHED,
  FW: TcpCt.FIN_WAIT,
  CW: TcpCt.CLOSE_WAIT,
  LA: TcpCt.LAST_ACK,
  TW: TcpCt.TIME_WAIT,
  CL: TcpCt.CLOSE,
  S2: TcpCt.SYN_SENT2,
  IV: TcpCt.INVALID,
  IG: TcpCt.IGNORE,
};

const STATE_COUNT = 10;
const KIND_COUNT = 6;

/** Flattened table: [dir][kind][state]. */
const TABLE = buildTable();

function buildTable(): Uint8Array {
  const t = new Uint8Array(2 * KIND_COUNT * STATE_COUNT);
  if (COLUMNS.split(' ').length !== STATE_COUNT) throw new Error('tcp table: column count');
  (['original', 'reply'] as const).forEach((dirName, dir) => {
    for (const [kindName, row] of Object.entries(ROWS[dirName])) {
      const kind = TcpKind[kindName as keyof typeof TcpKind];
      const cells = row.split(' ');
      if (cells.length !== STATE_COUNT) throw new Error(`tcp table: ${dirName} ${kindName} row`);
      cells.forEach((code, state) => {
        const v = CODE[code];
        if (v === undefined) throw new Error(`tcp table: unknown code ${code}`);
        t[(dir * KIND_COUNT + kind) * STATE_COUNT + state] = v;
      });
    }
  });
  return t;
}

/** Next state (or INVALID / IGNORE) for a packet of `kind` in direction `dir` on a connection in `state`. */
export function tcpTransition(dir: 0 | 1, kind: number, state: number): number {
  return TABLE[(dir * KIND_COUNT + kind) * STATE_COUNT + state]!;
}

// ------------------------------------------------------------------------------------------------
// snapshots

const PEER_FIELDS = ['tdEnd', 'tdMaxEnd', 'tdMaxWin', 'tdMaxAck', 'tdScale', 'flags'] as const;
const STATE_FIELDS = ['state', 'lastIndex', 'lastSeq', 'lastAck', 'lastEnd', 'lastWin', 'lastWscale', 'lastFlags', 'retrans'] as const;

/** A JSON-safe copy of a TCP state (plain objects and numbers). */
export function saveTcpState(ct: TcpState): unknown {
  const out: Record<string, unknown> = {};
  for (const f of STATE_FIELDS) out[f] = ct[f];
  out.lastDir = ct.lastDir;
  out.seen = ct.seen.map((p) => Object.fromEntries(PEER_FIELDS.map((f) => [f, p[f]])));
  out.seqAdj = ct.seqAdj === null ? null : ct.seqAdj.map((w) => ({ ...w }));
  return out;
}

/** The TCP state back from saveTcpState's output; throws on anything else. */
export function loadTcpState(data: unknown): TcpState {
  const d = asRecord(data, 'state');
  const ct = new TcpState();
  for (const f of STATE_FIELDS) ct[f] = asInt(d[f], f);
  const dir = asInt(d.lastDir, 'lastDir');
  if (dir !== 0 && dir !== 1) throw new Error(`tcp state snapshot: lastDir ${dir}`);
  ct.lastDir = dir;
  if (ct.state > TcpCt.SYN_SENT2) throw new Error(`tcp state snapshot: state ${ct.state}`);
  const seen = d.seen;
  if (!Array.isArray(seen) || seen.length !== 2) throw new Error('tcp state snapshot: seen must be two directions');
  seen.forEach((p, i) => {
    const r = asRecord(p, `seen[${i}]`);
    for (const f of PEER_FIELDS) ct.seen[i]![f] = asInt(r[f], `seen[${i}].${f}`);
  });
  if (d.seqAdj !== null) {
    const adj = d.seqAdj;
    if (!Array.isArray(adj) || adj.length !== 2) throw new Error('tcp state snapshot: seqAdj must be null or two directions');
    ct.seqAdj = [loadSeqAdjWay(adj[0]), loadSeqAdjWay(adj[1])];
  }
  return ct;
}

function loadSeqAdjWay(data: unknown): SeqAdjWay {
  const r = asRecord(data, 'seqAdj');
  return {
    correctionPos: asInt(r.correctionPos, 'seqAdj.correctionPos'),
    offsetBefore: asInt(r.offsetBefore, 'seqAdj.offsetBefore'),
    offsetAfter: asInt(r.offsetAfter, 'seqAdj.offsetAfter'),
  };
}

function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`tcp state snapshot: ${what} is not an object`);
  return v as Record<string, unknown>;
}

function asInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`tcp state snapshot: ${what} is not an integer`);
  return v;
}
