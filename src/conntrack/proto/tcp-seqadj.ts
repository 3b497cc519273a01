/**
 * TCP sequence adjustment of a NATed connection (the kernel's seqadj extension,
 * net/netfilter/nf_conntrack_seqadj.c): when a NAT helper rewrites a payload to a different
 * length (an FTP PORT command with a longer address), every later sequence number of that
 * direction is shifted by the difference, and the other side acknowledges shifted numbers.
 *
 * Per direction the record holds the sequence number where the last shift happened and the total
 * shift before and after it. NAT records shifts (`seqAdjRecord`) and rewrites packets; the TCP
 * tracker maps acknowledgements back (`seqAdjOffset`) before its window check. The record is
 * plain data, so connection snapshots copy it as is.
 */
import { seqAfter } from './tcp-seq.js';

/** One direction's shift (the kernel's struct nf_ct_seqadj). */
export interface SeqAdjWay {
  /** Sequence number of the segment whose length changed last. */
  correctionPos: number;
  /** Shift (bytes, signed) of sequence numbers up to and including correctionPos. */
  offsetBefore: number;
  /** Shift of sequence numbers after correctionPos. */
  offsetAfter: number;
}

/** Both directions' shifts: [0] original, [1] reply. */
export type TcpSeqAdj = [SeqAdjWay, SeqAdjWay];

/** A record with no shift yet. */
export function newSeqAdj(): TcpSeqAdj {
  return [
    { correctionPos: 0, offsetBefore: 0, offsetAfter: 0 },
    { correctionPos: 0, offsetBefore: 0, offsetAfter: 0 },
  ];
}

/** The shift that applies to sequence number `seq` of direction `dir` (the kernel's nf_ct_seq_offset). */
export function seqAdjOffset(adj: TcpSeqAdj, dir: 0 | 1, seq: number): number {
  const way = adj[dir];
  return seqAfter(seq, way.correctionPos) ? way.offsetAfter : way.offsetBefore;
}

/**
 * A helper changed the length of direction `dir`'s segment starting at `seq` by `delta` bytes
 * (the kernel's nf_ct_seqadj_set). Only the first change at or after the last correction point
 * moves it; a retransmission of an already adjusted segment changes nothing.
 */
export function seqAdjRecord(adj: TcpSeqAdj, dir: 0 | 1, seq: number, delta: number): void {
  if (delta === 0) return;
  const way = adj[dir];
  if (way.offsetBefore === way.offsetAfter || seqAfter(seq >>> 0, way.correctionPos)) {
    way.correctionPos = seq >>> 0;
    way.offsetBefore = way.offsetAfter;
    way.offsetAfter += delta;
  }
}
