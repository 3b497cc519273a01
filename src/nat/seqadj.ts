/**
 * TCP sequence adjustment (the kernel's nf_conntrack_seqadj.c): when a NAT helper changes the
 * length of a segment's payload (an FTP PORT command with a longer address), every later
 * sequence number of that direction moves by the difference, and the other side's
 * acknowledgements (and SACK blocks) must be moved back.
 *
 * The per-direction records live in the TCP tracker's state (TcpState.seqAdj, see
 * src/conntrack/proto/tcp-seqadj.ts), where the tracker also reads them for its window check.
 *
 *  - `seqAdjSet` (nf_ct_seqadj_set): a helper changed direction `dir`'s segment starting at
 *    `seq` by `delta` bytes; sets IPS_SEQ_ADJUST.
 *  - `seqAdjInit` (nf_ct_seqadj_init): a fixed offset for a whole direction (SYN proxy).
 *  - `seqAdjustPacket` (nf_ct_seq_adjust): rewrites one TCP segment's seq, ack and SACK blocks
 *    with incremental checksum updates. The kernel runs it in the confirm step, after the
 *    connection's helper, for every packet of a connection with IPS_SEQ_ADJUST (except ICMP
 *    errors in the reply direction and loopback traffic). False: the options are malformed and
 *    the kernel drops the packet.
 *  - `seqOffset` (nf_ct_seq_offset): the shift that applies to a sequence number.
 */
import type { Conn } from '../conntrack/conn.js';
import { newSeqAdj, seqAdjOffset, seqAdjRecord, type SeqAdjWay, type TcpSeqAdj } from '../conntrack/proto/tcp-seqadj.js';
import { seqAfter } from '../conntrack/proto/tcp-seq.js';
import type { TcpState } from '../conntrack/proto/tcp-state.js';
import { CtStatus } from '../netfilter/context.js';
import { csumReplace32, put16, put32 } from '../packet/checksum.js';
import { Proto, type PacketView } from '../packet/view.js';
import { get16 as u16, get32 as u32 } from './words.js';

const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_SACK = 5;
const SACK_BLOCK = 8;

/** The TCP state of a connection; throws for other protocols (only TCP has sequence numbers). */
function tcpStateOf(conn: Conn): TcpState {
  if (conn.protoNum !== Proto.TCP || conn.proto === null) {
    throw new Error(`NAT seqadj: connection of protocol ${conn.protoNum} has no TCP sequence numbers`);
  }
  return conn.proto as TcpState;
}

/** The connection's adjustment record, created empty when missing (nfct_seqadj_ext_add). */
export function seqAdjRecordOf(conn: Conn): TcpSeqAdj {
  const st = tcpStateOf(conn);
  if (st.seqAdj === null) st.seqAdj = newSeqAdj();
  return st.seqAdj;
}

/** nf_ct_seqadj_set: direction `dir`'s segment at `seq` grew (delta > 0) or shrank by `delta` bytes. */
export function seqAdjSet(conn: Conn, dir: 0 | 1, seq: number, delta: number): void {
  if (delta === 0) return;
  const adj = seqAdjRecordOf(conn);
  conn.status |= CtStatus.SEQ_ADJUST;
  seqAdjRecord(adj, dir, seq >>> 0, delta);
}

/** nf_ct_seqadj_init: every sequence number of direction `dir` moves by `offset`. */
export function seqAdjInit(conn: Conn, dir: 0 | 1, offset: number): void {
  if (offset === 0) return;
  const adj = seqAdjRecordOf(conn);
  conn.status |= CtStatus.SEQ_ADJUST;
  adj[dir].offsetBefore = offset;
  adj[dir].offsetAfter = offset;
}

/** nf_ct_seq_offset: the shift applying to sequence number `seq` of direction `dir` (0 without a record). */
export function seqOffset(conn: Conn, dir: 0 | 1, seq: number): number {
  const st = conn.protoNum === Proto.TCP ? (conn.proto as TcpState | null) : null;
  if (st === null || st.seqAdj === null) return 0;
  return seqAdjOffset(st.seqAdj, dir, seq >>> 0);
}

/** An acknowledged (other-direction) sequence number mapped back through that direction's shift. */
function unshift(way: SeqAdjWay, seq: number): number {
  const off = seqAfter((seq - way.offsetBefore) >>> 0, way.correctionPos) ? way.offsetAfter : way.offsetBefore;
  return (seq - off) >>> 0;
}

/** Replaces the 32-bit word at `at` and patches the TCP checksum at `check`. */
function replaceWord(b: Uint8Array, at: number, check: number, value: number): void {
  put16(b, check, csumReplace32(u16(b, check), u32(b, at), value >>> 0));
  put32(b, at, value);
}

/** nf_ct_sack_adjust: the SACK blocks of the options, mapped back through the other direction's shift. */
function sackAdjust(b: Uint8Array, l4: number, end: number, way: SeqAdjWay): boolean {
  let opt = l4 + 20;
  const optEnd = l4 + (b[l4 + 12]! >> 4) * 4;
  if (optEnd > end) return false;
  while (opt < optEnd) {
    const kind = b[opt]!;
    if (kind === TCPOPT_EOL) return true;
    if (kind === TCPOPT_NOP) {
      opt++;
      continue;
    }
    const len = opt + 1 < optEnd ? b[opt + 1]! : 0;
    if (opt + 1 === optEnd || opt + len > optEnd || len < 2) return false;
    if (kind === TCPOPT_SACK && len >= 2 + SACK_BLOCK && (len - 2) % SACK_BLOCK === 0) {
      for (let s = opt + 2; s < opt + len; s += SACK_BLOCK) {
        replaceWord(b, s, l4 + 16, unshift(way, u32(b, s)));
        replaceWord(b, s + 4, l4 + 16, unshift(way, u32(b, s + 4)));
      }
    }
    opt += len;
  }
  return true;
}

/**
 * nf_ct_seq_adjust: shifts the TCP segment of `pkt` (direction `dir` of `conn`): its sequence
 * number by this direction's offset, its acknowledgement and SACK blocks back by the other
 * direction's. Rewrites the bytes in place; the caller re-decodes. False: drop the packet.
 * As in the kernel, the transport header is taken for TCP whatever it is: an ICMP error RELATED
 * in the original direction of such a connection gets the same byte rewrites.
 */
export function seqAdjustPacket(pkt: PacketView, conn: Conn, dir: 0 | 1): boolean {
  const adj = seqAdjRecordOf(conn);
  const b = pkt.buf;
  const l4 = pkt.l4Off;
  const end = pkt.ipEnd;
  if (l4 < 0 || l4 + 20 > end) return false;
  const mine = adj[dir];
  const theirs = adj[dir === 0 ? 1 : 0];
  const seq = u32(b, l4 + 4);
  const ack = u32(b, l4 + 8);
  const seqoff = seqAfter(seq, mine.correctionPos) ? mine.offsetAfter : mine.offsetBefore;
  replaceWord(b, l4 + 4, l4 + 16, (seq + seqoff) >>> 0);
  replaceWord(b, l4 + 8, l4 + 16, unshift(theirs, ack));
  return sackAdjust(b, l4, end, theirs);
}
