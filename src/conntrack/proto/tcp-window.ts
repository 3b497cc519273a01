/**
 * TCP window tracking, after Guido van Rooij's "Real Stateful TCP Packet Filtering in IP Filter"
 * as Linux 6.18 implements it (tcp_in_window in nf_conntrack_proto_tcp.c).
 *
 * For each direction conntrack keeps what the sender has sent (tdEnd), how far the receiver lets
 * it go (tdMaxEnd = highest ack + window the receiver advertised) and the largest window seen
 * (tdMaxWin). A segment is in window when
 *
 *   I.   its seq is not beyond the sender's tdMaxEnd,
 *   II.  its end is not before the sender's tdEnd minus the receiver's tdMaxWin,
 *   III. its (s)ack is not beyond what the receiver has sent (receiver tdEnd),
 *   IV.  its (s)ack is not more than max(66000, sender tdMaxWin) behind the receiver's tdEnd,
 *
 * where the (s)ack is the highest SACK right edge when the receiver allowed SACK. The checks
 * answer in three ways: ACCEPT (state updated), IGNORE (let through, nothing updated: old
 * retransmissions, overly delayed ACKs, a small overshoot past the window) or INVALID (beyond
 * the window: seq far ahead, ACK of data never sent). With tcp_be_liberal, or for a connection
 * picked up mid-stream (BE_LIBERAL), every failure is an ACCEPT that stops before the updates.
 */
import type { PacketView } from '../../packet/view.js';
import type { ConntrackSettings } from '../settings.js';
import { highestSackEdge, readSynOptions } from './tcp-options.js';
import { seqAdjOffset } from './tcp-seqadj.js';
import { seqAdd, seqAfter, seqBefore, seqSub } from './tcp-seq.js';
import { TcpCt, TcpFlag, TcpKind, type TcpPeer, type TcpState } from './tcp-state.js';

/** Outcome of the window check (the kernel's enum nf_ct_tcp_action). */
export const WindowResult = {
  IGNORE: 0,
  INVALID: 1,
  ACCEPT: 2,
} as const;
export type WindowResult = (typeof WindowResult)[keyof typeof WindowResult];

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** Lower bound of the acceptable (s)ack distance behind the receiver's tdEnd. */
const MAX_ACK_WINDOW_MIN = 66000;

/** TCP payload length as the kernel counts it: the datagram's length minus IP and TCP headers. */
export function tcpPayloadLength(pkt: PacketView): number {
  return pkt.l3Off + pkt.ipTotalLen - pkt.l4Off - pkt.tcpHdrLen;
}

/** Sequence number just past the segment: seq + payload, plus one each for SYN and FIN. */
export function tcpSegmentEnd(pkt: PacketView): number {
  const f = pkt.tcpFlags;
  return seqAdd(pkt.tcpSeq, tcpPayloadLength(pkt) + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0));
}

function maxAckWindow(sender: TcpPeer): number {
  return sender.tdMaxWin > MAX_ACK_WINDOW_MIN ? sender.tdMaxWin : MAX_ACK_WINDOW_MIN;
}

/**
 * (Re)initialises a sender from its SYN or SYN/ACK. Window scaling needs both sides to offer it:
 * when the reply side's SYN/ACK settles that one of them did not, both scales drop to 0.
 */
function initSender(sender: TcpPeer, receiver: TcpPeer, pkt: PacketView, end: number, win: number, dir: 0 | 1): void {
  sender.tdEnd = end;
  sender.tdMaxEnd = end;
  sender.tdMaxWin = win === 0 ? 1 : win;
  readSynOptions(pkt, sender);
  if (dir === 1 && !(sender.flags & TcpFlag.WINDOW_SCALE && receiver.flags & TcpFlag.WINDOW_SCALE)) {
    sender.tdScale = 0;
    receiver.tdScale = 0;
  }
}

/** First packet of a direction that is not a SYN: guess the window from the packet itself. */
function pickUpSender(sender: TcpPeer, receiver: TcpPeer, end: number, win: number, sack: number): void {
  sender.tdEnd = end;
  const swin = (win << sender.tdScale) >>> 0;
  sender.tdMaxWin = swin === 0 ? 1 : swin;
  sender.tdMaxEnd = seqAdd(end, sender.tdMaxWin);
  if (receiver.tdMaxWin === 0) {
    // Nothing seen from the other side yet: let checks III and IV pass until it speaks.
    receiver.tdEnd = sack;
    receiver.tdMaxEnd = sack;
  } else if (sack === seqAdd(receiver.tdEnd, 1)) {
    // Most likely the answer to a keepalive probe.
    receiver.tdEnd = seqAdd(receiver.tdEnd, 1);
  }
}

/** A failed check: liberal senders (sysctl or mid-stream pickup) are accepted anyway. */
function failWith(sender: TcpPeer, s: ConntrackSettings, result: WindowResult): WindowResult {
  return sender.flags & TcpFlag.BE_LIBERAL || s.tcpBeLiberal ? WindowResult.ACCEPT : result;
}

/**
 * Seq beyond the sender's upper bound. A segment that overshoots the window by no more than the
 * receiver's window, with an acceptable ack, still moves tdEnd (the peer may ACK it) and is
 * ignored; anything further is invalid.
 */
function seqOverUpperBound(
  sender: TcpPeer,
  receiver: TcpPeer,
  end: number,
  sack: number,
  s: ConntrackSettings,
): WindowResult {
  const overshot = seqSub(seqAdd(end, 1), sender.tdMaxEnd);
  const ackOk = seqAfter(sack, seqSub(receiver.tdEnd, maxAckWindow(sender) + 1));
  const inRecvWin = receiver.tdMaxWin !== 0 && seqAfter(end, seqSub(sender.tdEnd, receiver.tdMaxWin + 1));
  if (inRecvWin && ackOk && overshot <= receiver.tdMaxWin && seqBefore(sack, seqAdd(receiver.tdEnd, 1))) {
    sender.tdEnd = end;
    sender.flags |= TcpFlag.DATA_UNACKNOWLEDGED;
    return failWith(sender, s, WindowResult.IGNORE);
  }
  return failWith(sender, s, WindowResult.INVALID);
}

/** Counts identical ACK segments in a row (same direction, seq, ack, end and raw window). */
function noteRetransmission(ct: TcpState, dir: 0 | 1, seq: number, ack: number, end: number, winRaw: number): void {
  if (ct.lastDir === dir && ct.lastSeq === seq && ct.lastAck === ack && ct.lastEnd === end && ct.lastWin === winRaw) {
    ct.retrans = (ct.retrans + 1) & 0xff;
    return;
  }
  ct.lastDir = dir;
  ct.lastSeq = seq;
  ct.lastAck = ack;
  ct.lastEnd = end;
  ct.lastWin = winRaw;
  ct.retrans = 0;
}

/** Records an in-window segment: windows, ends, max ack and the unacknowledged-data marks. */
function updateWindows(
  ct: TcpState,
  dir: 0 | 1,
  kind: number,
  pkt: PacketView,
  seq: number,
  ack: number,
  sack: number,
  end: number,
): void {
  const sender = ct.seen[dir];
  const receiver = ct.seen[dir ^ 1];
  const flags = pkt.tcpFlags;
  const winRaw = pkt.tcpWindow;
  // RFC 7323: the window of a SYN is never scaled.
  const win = flags & SYN ? winRaw : (winRaw << sender.tdScale) >>> 0;

  const swin = seqAdd(win, seqSub(sack, ack));
  if (sender.tdMaxWin < swin) sender.tdMaxWin = swin;
  if (seqAfter(end, sender.tdEnd)) {
    sender.tdEnd = end;
    sender.flags |= TcpFlag.DATA_UNACKNOWLEDGED;
  }
  if (flags & ACK) {
    if (!(sender.flags & TcpFlag.MAXACK_SET)) {
      sender.tdMaxAck = ack;
      sender.flags |= TcpFlag.MAXACK_SET;
    } else if (seqAfter(ack, sender.tdMaxAck)) {
      sender.tdMaxAck = ack;
    }
  }

  if (receiver.tdMaxWin !== 0 && seqAfter(end, sender.tdMaxEnd)) {
    receiver.tdMaxWin = seqAdd(receiver.tdMaxWin, seqSub(end, sender.tdMaxEnd));
  }
  if (seqAfter(seqAdd(sack, win), seqSub(receiver.tdMaxEnd, 1))) {
    receiver.tdMaxEnd = seqAdd(sack, win + (win === 0 ? 1 : 0));
  }
  if (ack === receiver.tdEnd) receiver.flags &= ~TcpFlag.DATA_UNACKNOWLEDGED;

  if (kind === TcpKind.ACK) noteRetransmission(ct, dir, seq, ack, end, winRaw);
}

/**
 * The window check for a packet of `kind` from direction `dir`, updating `ct` when the packet is
 * in window. `ct.state` is still the state before this packet.
 */
export function tcpInWindow(ct: TcpState, dir: 0 | 1, kind: number, pkt: PacketView, s: ConntrackSettings): WindowResult {
  const sender = ct.seen[dir];
  const receiver = ct.seen[dir ^ 1];
  const flags = pkt.tcpFlags;
  const syn = (flags & SYN) !== 0;
  const hasAck = (flags & ACK) !== 0;
  let seq = pkt.tcpSeq >>> 0;
  let ack = pkt.tcpAck >>> 0;
  let end = tcpSegmentEnd(pkt);
  let sack = receiver.flags & TcpFlag.SACK_PERM ? highestSackEdge(pkt, ack) : ack;
  if (ct.seqAdj !== null) {
    // The ack acknowledges the other direction's NAT-shifted sequence numbers.
    const shift = seqAdjOffset(ct.seqAdj, (dir ^ 1) as 0 | 1, seqSub(ack, 1));
    ack = seqSub(ack, shift);
    sack = seqSub(sack, shift);
  }

  if (sender.tdMaxWin === 0) {
    if (syn) {
      initSender(sender, receiver, pkt, end, pkt.tcpWindow, dir);
      // Simultaneous open: the reply side's own SYN.
      if (!hasAck) return WindowResult.ACCEPT;
    } else {
      pickUpSender(sender, receiver, end, pkt.tcpWindow, sack);
    }
  } else if (syn && seqAfter(end, sender.tdEnd) && (ct.state === TcpCt.SYN_SENT || ct.state === TcpCt.SYN_RECV)) {
    // A new SYN (or SYN/ACK) with a higher sequence number: the endpoint restarted, start over.
    initSender(sender, receiver, pkt, end, pkt.tcpWindow, dir);
    if (dir === 1 && !hasAck) return WindowResult.ACCEPT;
  }

  if (!hasAck || (flags & RST && ack === 0)) {
    // No ACK, or a broken stack's RST|ACK with ack 0: pretend it acknowledges everything seen.
    ack = receiver.tdEnd;
    sack = ack;
  }
  if (flags & RST && seq === 0 && ct.state === TcpCt.SYN_SENT) {
    // RST answering a SYN.
    seq = sender.tdEnd;
    end = seq;
  }

  if (!seqBefore(seq, seqAdd(sender.tdMaxEnd, 1))) return seqOverUpperBound(sender, receiver, end, sack, s);
  // ACK of data the receiver has not sent.
  if (!seqBefore(sack, seqAdd(receiver.tdEnd, 1))) return failWith(sender, s, WindowResult.INVALID);
  // Old retransmission: already acknowledged data.
  const inRecvWin = receiver.tdMaxWin === 0 || seqAfter(end, seqSub(sender.tdEnd, receiver.tdMaxWin + 1));
  if (!inRecvWin) return failWith(sender, s, WindowResult.IGNORE);
  // Overly delayed ACK.
  if (!seqAfter(sack, seqSub(receiver.tdEnd, maxAckWindow(sender) + 1))) return failWith(sender, s, WindowResult.IGNORE);

  updateWindows(ct, dir, kind, pkt, seq, ack, sack, end);
  return WindowResult.ACCEPT;
}
