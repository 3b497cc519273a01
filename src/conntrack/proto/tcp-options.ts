/**
 * The two things the TCP tracker reads from TCP options, with the kernel's own reading rules
 * (nf_conntrack_proto_tcp.c tcp_options / tcp_sack), which differ from a general decoder's:
 *
 *  - window scale and SACK-permitted from a SYN: a window-scale option counts only with length 3
 *    and is capped at 14, SACK-permitted only with length 2; a malformed option (see
 *    tcpOptionLength) ends the walk and keeps what was read before it;
 *  - the highest SACK right edge of a segment: only the first well-formed SACK option counts.
 *
 * Both read straight from the packet bytes and allocate nothing.
 */
import type { PacketView } from '../../packet/view.js';
import { TcpOpt, tcpOptionLength } from '../../packet/tcpopts.js';
import { TcpFlag, type TcpPeer } from './tcp-state.js';
import { seqAfter } from './tcp-seq.js';

/** Largest window scale RFC 7323 allows; larger announced values are capped to it. */
const MAX_WSCALE = 14;
const TCP_BASE_HDR = 20;
const SACK_BLOCK = 8;

/**
 * Window scale and SACK-permitted announced by the segment's options, packed as
 * `flags | scale << 8` (flags: TcpFlag.WINDOW_SCALE, TcpFlag.SACK_PERM); -1 when the header has
 * no options at all.
 */
export function synOptions(pkt: PacketView): number {
  const start = pkt.l4Off + TCP_BASE_HDR;
  const end = pkt.l4Off + pkt.tcpHdrLen;
  if (end <= start) return -1;
  const b = pkt.buf;
  let flags = 0;
  let scale = 0;
  for (let o = start; o < end; ) {
    const kind = b[o]!;
    if (kind === TcpOpt.EOL) break;
    const len = tcpOptionLength(b, o, end);
    if (len < 0) break;
    if (kind === TcpOpt.SACK_PERM && len === 2) {
      flags |= TcpFlag.SACK_PERM;
    } else if (kind === TcpOpt.WSCALE && len === 3) {
      scale = Math.min(b[o + 2]!, MAX_WSCALE);
      flags |= TcpFlag.WINDOW_SCALE;
    }
    o += len;
  }
  return flags | (scale << 8);
}

/**
 * Reads window scale and SACK-permitted into `peer` (tdScale, WINDOW_SCALE, SACK_PERM). When the
 * header has options, the previous scale and flags are replaced (BE_LIBERAL is kept); a header
 * without options leaves `peer` untouched, as the kernel does.
 */
export function readSynOptions(pkt: PacketView, peer: TcpPeer): void {
  const opts = synOptions(pkt);
  if (opts < 0) return;
  peer.tdScale = opts >> 8;
  peer.flags = (peer.flags & TcpFlag.BE_LIBERAL) | (opts & 0xff);
}

/**
 * The highest right edge among the blocks of the segment's first well-formed SACK option, if it
 * lies after `ack`; otherwise `ack`.
 */
export function highestSackEdge(pkt: PacketView, ack: number): number {
  const start = pkt.l4Off + TCP_BASE_HDR;
  const end = pkt.l4Off + pkt.tcpHdrLen;
  const b = pkt.buf;
  let sack = ack;
  for (let o = start; o < end; ) {
    const kind = b[o]!;
    if (kind === TcpOpt.EOL) return sack;
    const len = tcpOptionLength(b, o, end);
    if (len < 0) return sack;
    if (kind === TcpOpt.SACK && len >= 2 + SACK_BLOCK && (len - 2) % SACK_BLOCK === 0) {
      for (let blk = o + 2; blk < o + len; blk += SACK_BLOCK) {
        const right = readU32(b, blk + 4);
        if (seqAfter(right, sack)) sack = right;
      }
      return sack;
    }
    o += len;
  }
  return sack;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
