/**
 * Small helpers the protocol trackers share: big-endian reads from the packet buffer, the
 * transport length the kernel sees, and the checksum check every tracker makes the same way
 * (only at PREROUTING, only with nf_conntrack_checksum on: locally sent packets are trusted).
 */
import { verifyL4Checksum } from '../../packet/checksum.js';
import type { PacketView } from '../../packet/view.js';
import { Hook } from '../../netfilter/context.js';
import type { ConntrackSettings } from '../settings.js';

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Bytes from the transport header to the end of the datagram as the kernel's skb holds them
 * (skb->len - dataoff): the length the IP header claims, so that a capture cut short by its
 * snap length is judged as the full packet the kernel received.
 */
export function transportLength(pkt: PacketView): number {
  if (pkt.l4Off < 0) return 0;
  return Math.max(0, pkt.ipTotalLen - (pkt.l4Off - pkt.l3Off));
}

/**
 * True when the kernel would find the transport checksum wrong: checked at PREROUTING with
 * nf_conntrack_checksum on. A capture cut short of the datagram cannot be verified and is
 * taken as the full (correct) packet the kernel saw.
 */
export function badChecksum(pkt: PacketView, hook: number, s: ConntrackSettings): boolean {
  return hook === Hook.PREROUTING && s.checksum && !pkt.ipTruncated && !verifyL4Checksum(pkt);
}
