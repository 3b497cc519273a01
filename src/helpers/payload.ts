/**
 * Where a helper finds the application data of the packet it looks at: the TCP payload after
 * the header's data offset, the UDP payload after the 8-byte header, both up to the end of the
 * datagram (skb->len). A packet without a complete transport header has no payload for the
 * helpers (skb_header_pointer fails: they accept the packet untouched).
 */
import type { PacketView } from '../packet/view.js';

/** Offset of the TCP payload, or -1 when there is no complete header or no data. */
export function tcpDataOff(pkt: PacketView): number {
  if (pkt.l4Off < 0 || pkt.l4Off + 20 > pkt.ipEnd) return -1;
  const off = pkt.l4Off + ((pkt.buf[pkt.l4Off + 12]! >>> 4) << 2);
  return off < pkt.ipEnd ? off : -1;
}

/** Offset of the UDP payload (possibly empty), or -1 when the 8-byte header is not complete. */
export function udpDataOff(pkt: PacketView): number {
  if (pkt.l4Off < 0 || pkt.l4Off + 8 > pkt.ipEnd) return -1;
  return pkt.l4Off + 8;
}
