/**
 * Packet decoding: fills a reusable PacketView in place from bytes, zero-copy.
 *
 * `decodeFrame` starts at a capture link header (Ethernet II with stacked 802.1Q/802.1ad tags,
 * Linux cooked SLL/SLL2, raw IP, BSD NULL / OpenBSD LOOP); `decodeIp` starts at a bare IP header
 * (the version nibble decides). Below the link layer both share one path: IPv4 (options,
 * fragments) or IPv6 (extension headers walked the way the kernel's ipv6_skip_exthdr does),
 * then the upper layer: TCP (with options), UDP, UDP-Lite, ICMP, ICMPv6 (errors decode the quoted
 * packet into `view.inner`), SCTP (chunk walk), GRE (v0, v1/PPTP), DCCP; other protocols get
 * their bytes as payload.
 *
 * Bad input never throws and never reads outside [off, end): the first layer that cannot be
 * trusted is named in `view.malformed` with a short reason, and decoding of later layers keeps
 * going only where the bytes allow it. The only allocations are the `inner` view, created once per
 * outer view the first time an ICMP error is seen, and the fast path's DataView, one per
 * ArrayBuffer (util/dataview.ts).
 *
 * Speed: both entry points take the frame as (buffer, offset, end), so a capture held in memory
 * is decoded in place; the common packet (Ethernet or raw IP, one IPv4 / IPv6 header, a complete
 * TCP, UDP or ICMP(v6) non-error header) goes through a fast path that resets only the fields the
 * previous decode into the same view left set (see "fast path" below); anything else takes the
 * general path. Both give the same fields (test/packet/decode-fast.test.ts).
 */
import { dataViewBase, dataViewOf } from '../util/dataview.js';
import {
  EXT_AH,
  EXT_DSTOPTS,
  EXT_ESP,
  EXT_FRAGMENT,
  EXT_HOPOPTS,
  EXT_ROUTING,
  Layer,
  LinkType,
  PacketView,
  Proto,
} from './view.js';
import { tcpOptionLength, TcpOpt } from './tcpopts.js';

/** Ethertypes the decoder follows. */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  IPV6: 0x86dd,
  /** What Linux names a length-field (802.3) frame whose payload starts 0xffff (raw 802.3). */
  P802_3: 0x0001,
  /** What Linux names a length-field frame carrying 802.2 LLC. */
  P802_2: 0x0004,
} as const;

/** Address families the loopback link types carry (BSD values differ per OS for IPv6). */
const AF_INET = 2;
const AF_INET6_VALUES = [10, 24, 28, 30] as const;

// ------------------------------------------------------------------------------------------------
// entry points

/**
 * Decodes a captured frame of the given link type (LinkType) into `view`; returns `view`. The
 * frame is buf[off, end) (default: the whole buffer), so a capture reader's buffer can be decoded
 * in place (`decodeFrame(view, p.buf, p.linktype, p.offset, p.offset + p.caplen)`): every offset
 * in the view is then into `buf`, and `view.frameEnd` is `end`.
 */
export function decodeFrame(view: PacketView, buf: Uint8Array, linktype: number, off = 0, end = buf.length): PacketView {
  // Kept small so that V8 inlines it into callers' loops (the fast path itself is a call).
  if (linktype === LinkType.ETHERNET && fastPacket(view, buf, off, end, linktype)) return view;
  return decodeFrameClamped(view, buf, linktype, off, end);
}

/** decodeFrame's general path, with `off` and `end` first brought inside the buffer. */
function decodeFrameClamped(view: PacketView, buf: Uint8Array, linktype: number, off: number, end: number): PacketView {
  let stop = end;
  let start = off;
  if (!inBuffer(buf, start, stop)) {
    stop = clampEnd(buf, end);
    start = Math.max(0, Math.min(off | 0, stop));
  }
  return decodeFrameGeneral(view, buf, linktype, start, stop);
}

/** True when [start, end) are integer offsets with 0 <= start <= end <= buf.length. */
function inBuffer(buf: Uint8Array, start: number, end: number): boolean {
  return start >= 0 && start <= end && end <= buf.length && (start | 0) === start && (end | 0) === end;
}

/**
 * decodeFrame without the fast path (every field reset, every layer walked). The same result
 * field for field; exported for the tests that check exactly that. `off` and `end` must lie in
 * the buffer (0 <= off <= end <= buf.length).
 */
export function decodeFrameGeneral(view: PacketView, buf: Uint8Array, linktype: number, off = 0, end = buf.length): PacketView {
  const start = off;
  const stop = end;
  resetView(view, buf, linktype);
  view.frameEnd = stop;
  switch (linktype) {
    case LinkType.ETHERNET:
      decodeEthernet(view, buf, start, stop);
      break;
    case LinkType.LINUX_SLL:
      decodeSll(view, buf, start, stop);
      break;
    case LinkType.LINUX_SLL2:
      decodeSll2(view, buf, start, stop);
      break;
    case LinkType.RAW:
      decodeRawIp(view, buf, start, stop, 0);
      break;
    case LinkType.IPV4:
      decodeRawIp(view, buf, start, stop, 4);
      break;
    case LinkType.IPV6:
      decodeRawIp(view, buf, start, stop, 6);
      break;
    case LinkType.NULL:
    case LinkType.LOOP:
      decodeLoopback(view, buf, start, stop, linktype === LinkType.LOOP);
      break;
    default:
      fail(view, Layer.Link, `unsupported link type ${linktype}`);
  }
  return view;
}

/**
 * Decodes a bare IP packet occupying buf[off, end) (default: the whole buffer); the version nibble
 * decides between IPv4 and IPv6. Returns `view`.
 */
export function decodeIp(view: PacketView, buf: Uint8Array, off = 0, end = buf.length): PacketView {
  const stop = clampEnd(buf, end);
  const start = Math.max(0, Math.min(off | 0, stop));
  if (stop - start >= IPV4_MIN && fastPacket(view, buf, start, stop, LinkType.RAW)) return view;
  resetView(view, buf, LinkType.RAW);
  view.frameEnd = stop;
  decodeRawIp(view, buf, start, stop, 0);
  return view;
}

function clampEnd(buf: Uint8Array, end: number): number {
  return Math.max(0, Math.min(end | 0, buf.length));
}

// ------------------------------------------------------------------------------------------------
// fast path

/*
 * Most packets are one IPv4 or IPv6 header (no options needed, no extension headers, not a
 * fragment, not cut short) and a complete TCP, UDP or ICMP(v6) non-error header. Those are decoded
 * here without the full reset: every field this path does not write is already at its default
 * unless the previous decode set it, which the view's `decodedGroups` bits record (groups below).
 * Anything else returns false before a field is written, and takes the general path, which resets
 * everything. The result is field for field the general path's (a test decodes both ways).
 */

/** Field groups a decode may leave non-default (PacketView.decodedGroups). */
const G_VLAN = 1; // vlanCount, vlanOuter, vlanInner, pktType
const G_V6 = 2; // flowLabel, src[1..3], dst[1..3]
const G_EXT = 4; // ipv6Ext, fragHdrOff (general path only)
const G_TCP = 8; // tcpSeq, tcpAck, tcpFlags, tcpWindow, tcpHdrLen, tcpUrgPtr
const G_TCPOPT = 16; // tcpMss, tcpWscale, tcpSackPerm, tcpSackOff, tcpSackCount, tcpOptsBad
const G_UDP = 32; // udpLen
const G_ICMP = 64; // icmpType, icmpCode, icmpId, icmpSeq, icmpIsError
const G_OTHER = 128; // GRE, SCTP, DCCP fields (general path only)
const G_PORTS = 256; // sport, dport
/** malformed, malformedWhy, ipHdrError, ipTruncated, fragOffset, moreFrags, isFragment (general path only). */
const G_BASE = 512;
/** tcpTsVal, tcpTsEcr: apart from the other options, as most segments carry only a timestamp. */
const G_TS = 1024;
/** Every group (and the spare bit a fresh view starts with). */
const G_ALL = 0x7ff;

/** Puts the fields of the groups in `g` back to their defaults. */
function resetGroups(v: PacketView, g: number): void {
  if (g & G_VLAN) {
    v.vlanCount = 0;
    v.vlanOuter = -1;
    v.vlanInner = -1;
    v.pktType = -1;
  }
  if (g & G_V6) {
    v.flowLabel = 0;
    const src = v.src;
    const dst = v.dst;
    src[1] = 0;
    src[2] = 0;
    src[3] = 0;
    dst[1] = 0;
    dst[2] = 0;
    dst[3] = 0;
  }
  if (g & G_BASE) {
    v.malformed = Layer.None;
    v.malformedWhy = '';
    v.ipHdrError = false;
    v.ipTruncated = false;
    v.fragOffset = 0;
    v.moreFrags = false;
    v.isFragment = false;
  }
  if (g & G_EXT) {
    v.ipv6Ext = 0;
    v.fragHdrOff = -1;
  }
  if (g & G_TCP) {
    v.tcpSeq = 0;
    v.tcpAck = 0;
    v.tcpFlags = 0;
    v.tcpWindow = 0;
    v.tcpHdrLen = 0;
    v.tcpUrgPtr = 0;
  }
  if (g & G_TCPOPT) resetTcpOptions(v);
  if (g & G_TS) {
    v.tcpTsVal = -1;
    v.tcpTsEcr = -1;
  }
  if (g & G_UDP) v.udpLen = 0;
  if (g & G_ICMP) {
    v.icmpType = -1;
    v.icmpCode = -1;
    v.icmpId = 0;
    v.icmpSeq = 0;
    v.icmpIsError = false;
  }
  if (g & G_OTHER) {
    v.greVersion = -1;
    v.greProto = 0;
    v.greHasKey = false;
    v.greKey = 0;
    v.sctpVtag = 0;
    v.sctpChunkOff = -1;
    v.sctpChunkCount = 0;
    v.sctpFirstChunk = -1;
    v.sctpChunkMap = 0;
    v.dccpType = -1;
    v.dccpSeq = 0;
  }
  if (g & G_PORTS) {
    v.sport = 0;
    v.dport = 0;
  }
}

function resetTcpOptions(v: PacketView): void {
  v.tcpMss = -1;
  v.tcpWscale = -1;
  v.tcpSackPerm = false;
  v.tcpSackOff = -1;
  v.tcpSackCount = 0;
  v.tcpOptsBad = false;
}

/** NOP, NOP, timestamp kind and length: the first four option bytes of nearly every segment of a Linux or BSD connection. */
const NOP_NOP_TIMESTAMP = ((TcpOpt.NOP << 24) | (TcpOpt.NOP << 16) | (TcpOpt.TIMESTAMP << 8) | 10) >>> 0;

/**
 * The common packet in b[start, end): an Ethernet frame (`linktype` ETHERNET) or a bare IP packet
 * (RAW: the version nibble decides), decoded with its link fields and true, or false with nothing
 * written (offsets outside the buffer included).
 */
function fastPacket(v: PacketView, b: Uint8Array, start: number, end: number, linktype: number): boolean {
  if (!inBuffer(b, start, end)) return false;
  let p = start;
  let family: number;
  let ethertype = 0;
  if (linktype === LinkType.ETHERNET) {
    if (end - start < ETH_HLEN) return false;
    ethertype = (b[start + 12]! << 8) | b[start + 13]!;
    if (ethertype === EtherType.IPV4) family = 4;
    else if (ethertype === EtherType.IPV6) family = 6;
    else return false;
    p = start + ETH_HLEN;
  } else {
    if (start === end) return false;
    family = b[start]! >> 4 === 6 ? 6 : 4;
  }
  const avail = end - p;
  const dv = dataViewOf(b);
  const bo = dataViewBase();
  let hl: number;
  let total: number;
  let proto: number;
  if (family === 4) {
    if (avail < IPV4_MIN) return false;
    const vi = b[p]!;
    hl = (vi & 0x0f) << 2;
    total = dv.getUint16(bo + p + 2);
    // version 4, IHL >= 5 and present, total length within the bytes, not a fragment
    if (vi >> 4 !== 4 || hl < IPV4_MIN || hl > avail || total < hl || total > avail || (dv.getUint16(bo + p + 6) & 0x3fff) !== 0) return false;
    proto = b[p + 9]!;
  } else {
    if (avail < IPV6_HLEN || b[p]! >> 4 !== 6) return false;
    hl = IPV6_HLEN;
    total = IPV6_HLEN + dv.getUint16(bo + p + 4);
    if (total > avail) return false;
    proto = b[p + 6]!;
  }
  const l4 = p + hl;
  const l4Len = total - hl;
  let groups: number;
  if (proto === Proto.TCP) {
    if (l4Len < TCP_MIN) return false;
    const thl = (b[l4 + 12]! >> 4) << 2;
    if (thl < TCP_MIN || thl > l4Len) return false;
    groups = G_TCP | G_PORTS;
    // NOP, NOP, timestamp alone: only the timestamp fields are written, so they are not reset
    if (thl === 32 && dv.getUint32(bo + l4 + TCP_MIN) === NOP_NOP_TIMESTAMP) groups |= G_TS;
  } else if (proto === Proto.UDP) {
    if (l4Len < UDP_HLEN) return false;
    const ulen = dv.getUint16(bo + l4 + 4);
    if (ulen < UDP_HLEN || ulen > l4Len) return false;
    groups = G_UDP | G_PORTS;
  } else if ((family === 4 && proto === Proto.ICMP) || (family === 6 && proto === Proto.ICMPV6)) {
    if (l4Len < ICMP_HLEN) return false;
    const type = b[l4]!;
    if (family === 4 ? icmpIsErrorType(type) : icmpv6IsErrorType(type)) return false;
    groups = G_ICMP;
  } else {
    return false;
  }
  if (family === 6) groups |= G_V6;

  // Decided: from here every field is written (or known to be at its default).
  const stale = v.decodedGroups & ~groups;
  if (stale !== 0) resetGroups(v, stale);
  v.buf = b;
  v.frameEnd = end;
  v.l2PayloadOff = p;
  v.l3Off = p;
  v.ipHdrLen = hl;
  v.ipTotalLen = total;
  const ipEnd = p + total;
  v.ipEnd = ipEnd;
  v.proto = proto;
  const src = v.src;
  const dst = v.dst;
  if (family === 4) {
    v.family = 4;
    v.tos = b[p + 1]!;
    v.ipId = dv.getUint16(bo + p + 4);
    v.dontFrag = (b[p + 6]! & 0x40) !== 0;
    v.ttl = b[p + 8]!;
    v.ipChecksum = dv.getUint16(bo + p + 10);
    src[0] = dv.getUint32(bo + p + 12);
    dst[0] = dv.getUint32(bo + p + 16);
    v.ipOptLen = hl - IPV4_MIN;
  } else {
    v.family = 6;
    v.tos = ((b[p]! & 0x0f) << 4) | (b[p + 1]! >> 4);
    v.flowLabel = ((b[p + 1]! & 0x0f) << 16) | dv.getUint16(bo + p + 2);
    v.ipId = 0;
    v.dontFrag = false;
    v.ttl = b[p + 7]!;
    v.ipChecksum = 0;
    src[0] = dv.getUint32(bo + p + 8);
    src[1] = dv.getUint32(bo + p + 12);
    src[2] = dv.getUint32(bo + p + 16);
    src[3] = dv.getUint32(bo + p + 20);
    dst[0] = dv.getUint32(bo + p + 24);
    dst[1] = dv.getUint32(bo + p + 28);
    dst[2] = dv.getUint32(bo + p + 32);
    dst[3] = dv.getUint32(bo + p + 36);
    v.ipOptLen = 0;
  }
  v.l4Off = l4;
  v.l4Len = l4Len;
  v.l4Checksum = 0;
  if (proto === Proto.TCP) {
    v.sport = dv.getUint16(bo + l4);
    v.dport = dv.getUint16(bo + l4 + 2);
    v.tcpSeq = dv.getUint32(bo + l4 + 4);
    v.tcpAck = dv.getUint32(bo + l4 + 8);
    const offFlags = dv.getUint16(bo + l4 + 12);
    const thl = (offFlags >> 12) << 2;
    v.tcpHdrLen = thl;
    v.tcpFlags = offFlags & 0x1ff;
    v.tcpWindow = dv.getUint16(bo + l4 + 14);
    v.l4Checksum = dv.getUint16(bo + l4 + 16);
    v.tcpUrgPtr = dv.getUint16(bo + l4 + 18);
    if (thl > TCP_MIN) {
      const o = l4 + TCP_MIN;
      if ((groups & G_TS) !== 0) {
        // what nearly every segment of a Linux or BSD connection carries (decodeTcpOptions' own
        // first case, here without the call); the other option fields are at their defaults
        v.tcpTsVal = dv.getUint32(bo + o + 4);
        v.tcpTsEcr = dv.getUint32(bo + o + 8);
      } else {
        // every option field is at its default here (G_TCPOPT and G_TS were not in `groups`)
        decodeTcpOptions(v, b, o, l4 + thl);
        groups |= G_TCPOPT | G_TS;
      }
    }
    v.payloadOff = l4 + thl;
    v.payloadLen = ipEnd - l4 - thl;
  } else if (proto === Proto.UDP) {
    v.sport = dv.getUint16(bo + l4);
    v.dport = dv.getUint16(bo + l4 + 2);
    const ulen = dv.getUint16(bo + l4 + 4);
    v.udpLen = ulen;
    v.l4Checksum = dv.getUint16(bo + l4 + 6);
    v.payloadOff = l4 + UDP_HLEN;
    v.payloadLen = ulen - UDP_HLEN;
  } else {
    const type = b[l4]!;
    v.icmpType = type;
    v.icmpCode = b[l4 + 1]!;
    v.l4Checksum = dv.getUint16(bo + l4 + 2);
    if (family === 4 ? icmpHasId(type) : type === 128 || type === 129) {
      v.icmpId = dv.getUint16(bo + l4 + 4);
      v.icmpSeq = dv.getUint16(bo + l4 + 6);
    } else {
      v.icmpId = 0;
      v.icmpSeq = 0;
    }
    v.icmpIsError = false;
    v.payloadOff = l4 + ICMP_HLEN;
    v.payloadLen = ipEnd - l4 - ICMP_HLEN;
  }
  v.linktype = linktype;
  if (linktype === LinkType.ETHERNET) {
    v.l2Off = start;
    v.dstMacOff = start;
    v.srcMacOff = start + 6;
  } else {
    v.l2Off = -1;
    v.dstMacOff = -1;
    v.srcMacOff = -1;
  }
  v.ethertype = ethertype;
  v.decodedGroups = groups;
  return true;
}

// ------------------------------------------------------------------------------------------------
// reset / failure

/** Puts every field back to its "absent" value. */
function resetView(v: PacketView, buf: Uint8Array, linktype: number): void {
  v.buf = buf;
  v.linktype = linktype;
  v.frameEnd = buf.length;
  v.decodedGroups = G_ALL;
  v.malformed = Layer.None;
  v.malformedWhy = '';
  v.ipHdrError = false;
  v.l2Off = -1;
  v.srcMacOff = -1;
  v.dstMacOff = -1;
  v.ethertype = 0;
  v.vlanCount = 0;
  v.vlanOuter = -1;
  v.vlanInner = -1;
  v.pktType = -1;
  v.l2PayloadOff = -1;
  resetNetwork(v);
}

function resetNetwork(v: PacketView): void {
  v.family = 0;
  v.l3Off = -1;
  v.ipHdrLen = 0;
  v.ipTotalLen = 0;
  v.ipEnd = 0;
  v.ipTruncated = false;
  v.ttl = 0;
  v.tos = 0;
  v.ipId = 0;
  v.flowLabel = 0;
  v.ipChecksum = 0;
  v.fragOffset = 0;
  v.moreFrags = false;
  v.dontFrag = false;
  v.isFragment = false;
  v.fragHdrOff = -1;
  v.ipOptLen = 0;
  clearWords(v.src);
  clearWords(v.dst);
  v.proto = -1;
  v.ipv6Ext = 0;
  resetTransport(v);
}

/** Zeroes an address (four stores: cheaper than TypedArray.fill on the hot path). */
function clearWords(w: Uint32Array): void {
  w[0] = 0;
  w[1] = 0;
  w[2] = 0;
  w[3] = 0;
}

function resetTransport(v: PacketView): void {
  v.l4Off = -1;
  v.l4Len = 0;
  v.sport = 0;
  v.dport = 0;
  v.l4Checksum = 0;
  v.tcpSeq = 0;
  v.tcpAck = 0;
  v.tcpFlags = 0;
  v.tcpWindow = 0;
  v.tcpHdrLen = 0;
  v.tcpUrgPtr = 0;
  v.tcpMss = -1;
  v.tcpWscale = -1;
  v.tcpSackPerm = false;
  v.tcpTsVal = -1;
  v.tcpTsEcr = -1;
  v.tcpSackOff = -1;
  v.tcpSackCount = 0;
  v.tcpOptsBad = false;
  v.udpLen = 0;
  v.icmpType = -1;
  v.icmpCode = -1;
  v.icmpId = 0;
  v.icmpSeq = 0;
  v.icmpIsError = false;
  // `inner` keeps its object for reuse; it is only meaningful while icmpIsError is true.
  v.greVersion = -1;
  v.greProto = 0;
  v.greHasKey = false;
  v.greKey = 0;
  v.sctpVtag = 0;
  v.sctpChunkOff = -1;
  v.sctpChunkCount = 0;
  v.sctpFirstChunk = -1;
  v.sctpChunkMap = 0;
  v.dccpType = -1;
  v.dccpSeq = 0;
  v.payloadOff = -1;
  v.payloadLen = 0;
}

/** Records the first failure only: later layers never hide the first untrustworthy one. */
function fail(v: PacketView, layer: Layer, why: string): void {
  if (v.malformed !== Layer.None) return;
  v.malformed = layer;
  v.malformedWhy = why;
}

/** An IP header error in the kernel's ip_rcv / ipv6_rcv sense (see PacketView.ipHdrError). */
function failIpHeader(v: PacketView, why: string): void {
  if (v.malformed === Layer.None) v.ipHdrError = true;
  fail(v, Layer.Network, why);
}

// ------------------------------------------------------------------------------------------------
// byte readers (callers check bounds)

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

// ------------------------------------------------------------------------------------------------
// link layers

const ETH_HLEN = 14;
const VLAN_HLEN = 4;
const SLL_HLEN = 16;
const SLL2_HLEN = 20;
const LOOP_HLEN = 4;

function decodeEthernet(v: PacketView, b: Uint8Array, off: number, end: number): void {
  if (end - off < ETH_HLEN) {
    fail(v, Layer.Link, 'Ethernet header truncated');
    return;
  }
  v.l2Off = off;
  v.dstMacOff = off;
  v.srcMacOff = off + 6;
  const type = u16(b, off + 12);
  if (type < 0x0600) {
    // An 802.3 length field, not an ethertype: Linux never hands these to IP.
    const p = off + ETH_HLEN;
    v.l2PayloadOff = p;
    v.ethertype = end - p >= 2 && u16(b, p) === 0xffff ? EtherType.P802_3 : EtherType.P802_2;
    return;
  }
  decodeEthertype(v, b, off + ETH_HLEN, end, type);
}

/** Linux cooked capture v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
function decodeSll(v: PacketView, b: Uint8Array, off: number, end: number): void {
  if (end - off < SLL_HLEN) {
    fail(v, Layer.Link, 'SLL header truncated');
    return;
  }
  v.l2Off = off;
  v.pktType = u16(b, off);
  if (u16(b, off + 4) > 0) v.srcMacOff = off + 6;
  decodeEthertype(v, b, off + SLL_HLEN, end, u16(b, off + 14));
}

/** Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address. */
function decodeSll2(v: PacketView, b: Uint8Array, off: number, end: number): void {
  if (end - off < SLL2_HLEN) {
    fail(v, Layer.Link, 'SLL2 header truncated');
    return;
  }
  v.l2Off = off;
  v.pktType = b[off + 10]!;
  if (b[off + 11]! > 0) v.srcMacOff = off + 12;
  decodeEthertype(v, b, off + SLL2_HLEN, end, u16(b, off));
}

/** BSD NULL (family in the capturing host's byte order) or OpenBSD LOOP (network order). */
function decodeLoopback(v: PacketView, b: Uint8Array, off: number, end: number, networkOrder: boolean): void {
  if (end - off < LOOP_HLEN) {
    fail(v, Layer.Link, 'loopback header truncated');
    return;
  }
  v.l2Off = off;
  v.l2PayloadOff = off + LOOP_HLEN;
  let family = u32(b, off);
  // NULL is host order: a value with its high half set was written little-endian.
  if (!networkOrder && (family & 0xffff0000) !== 0) {
    family = (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
  }
  if (family === AF_INET) {
    v.ethertype = EtherType.IPV4;
    decodeRawIp(v, b, off + LOOP_HLEN, end, 4);
  } else if ((AF_INET6_VALUES as readonly number[]).includes(family)) {
    v.ethertype = EtherType.IPV6;
    decodeRawIp(v, b, off + LOOP_HLEN, end, 6);
  } else {
    fail(v, Layer.Link, `unsupported loopback address family ${family}`);
  }
}

/** Follows VLAN tags from `off` (where a protocol of `type` starts) and dispatches on the final type. */
function decodeEthertype(v: PacketView, b: Uint8Array, off: number, end: number, type: number): void {
  let p = off;
  let t = type;
  while (t === EtherType.VLAN || t === EtherType.QINQ) {
    if (end - p < VLAN_HLEN) {
      v.ethertype = t;
      fail(v, Layer.Link, 'VLAN tag truncated');
      return;
    }
    const vid = u16(b, p) & 0x0fff;
    if (v.vlanCount === 0) v.vlanOuter = vid;
    v.vlanInner = vid;
    v.vlanCount++;
    t = u16(b, p + 2);
    p += VLAN_HLEN;
  }
  v.ethertype = t;
  v.l2PayloadOff = p;
  if (t === EtherType.IPV4) decodeRawIp(v, b, p, end, 4);
  else if (t === EtherType.IPV6) decodeRawIp(v, b, p, end, 6);
}

/** An IP packet at `off`; `want` is the version the link promised (0: any). */
function decodeRawIp(v: PacketView, b: Uint8Array, off: number, end: number, want: 0 | 4 | 6): void {
  if (v.l2PayloadOff < 0) v.l2PayloadOff = off;
  if (end - off < 1) {
    failIpHeader(v, 'IP header truncated');
    return;
  }
  const version = b[off]! >> 4;
  const family = want !== 0 ? want : version === 6 ? 6 : 4;
  if (family === 4) decodeIpv4(v, b, off, end, false);
  else decodeIpv6(v, b, off, end, false);
}

// ------------------------------------------------------------------------------------------------
// IPv4

const IPV4_MIN = 20;

/**
 * IPv4 header at `off`. `quoted` is the lenient mode for the packet inside an ICMP error: its
 * total length may exceed the bytes quoted, and that is no error.
 */
function decodeIpv4(v: PacketView, b: Uint8Array, off: number, end: number, quoted: boolean): void {
  v.family = 4;
  v.l3Off = off;
  const avail = end - off;
  if (avail < IPV4_MIN) {
    v.ipEnd = end;
    failIpHeader(v, `IPv4 header truncated (${avail} < 20 bytes)`);
    return;
  }
  const version = b[off]! >> 4;
  const ihl = (b[off]! & 0x0f) * 4;
  v.ipHdrLen = ihl;
  v.tos = b[off + 1]!;
  v.ipTotalLen = u16(b, off + 2);
  v.ipId = u16(b, off + 4);
  const frag = u16(b, off + 6);
  v.dontFrag = (frag & 0x4000) !== 0;
  v.moreFrags = (frag & 0x2000) !== 0;
  v.fragOffset = (frag & 0x1fff) * 8;
  v.isFragment = v.moreFrags || v.fragOffset > 0;
  v.ttl = b[off + 8]!;
  v.proto = b[off + 9]!;
  v.ipChecksum = u16(b, off + 10);
  v.src[0] = u32(b, off + 12);
  v.dst[0] = u32(b, off + 16);
  v.ipOptLen = Math.max(0, ihl - IPV4_MIN);
  v.ipEnd = end;
  if (version !== 4) return failIpHeader(v, `IP version ${version} in an IPv4 header`);
  if (ihl < IPV4_MIN) return failIpHeader(v, `IPv4 IHL ${ihl >> 2} < 5`);
  if (ihl > avail) return failIpHeader(v, `IPv4 header length ${ihl} beyond ${avail} bytes`);
  if (v.ipTotalLen < ihl) return failIpHeader(v, `IPv4 total length ${v.ipTotalLen} < header length ${ihl}`);
  if (v.ipTotalLen > avail) {
    v.ipTruncated = true;
    if (!quoted) failIpHeader(v, `IPv4 total length ${v.ipTotalLen} beyond ${avail} bytes`);
  } else {
    v.ipEnd = off + v.ipTotalLen;
  }
  decodeUpper(v, b, off + ihl, quoted);
}

// ------------------------------------------------------------------------------------------------
// IPv6

const IPV6_HLEN = 40;
const TLV_PAD1 = 0;
const TLV_JUMBO = 0xc2;

function decodeIpv6(v: PacketView, b: Uint8Array, off: number, end: number, quoted: boolean): void {
  v.family = 6;
  v.l3Off = off;
  const avail = end - off;
  v.ipEnd = end;
  if (avail < IPV6_HLEN) {
    failIpHeader(v, `IPv6 header truncated (${avail} < 40 bytes)`);
    return;
  }
  const w0 = u32(b, off);
  const version = w0 >>> 28;
  v.tos = (w0 >>> 20) & 0xff;
  v.flowLabel = w0 & 0xfffff;
  const plen = u16(b, off + 4);
  const next = b[off + 6]!;
  v.ttl = b[off + 7]!;
  for (let i = 0; i < 4; i++) {
    v.src[i] = u32(b, off + 8 + 4 * i);
    v.dst[i] = u32(b, off + 24 + 4 * i);
  }
  v.ipHdrLen = IPV6_HLEN;
  v.proto = next;
  if (version !== 6) return failIpHeader(v, `IP version ${version} in an IPv6 header`);
  v.ipTotalLen = IPV6_HLEN + plen;
  if (plen === 0 && next === Proto.HOPOPTS) {
    // Possibly a jumbogram: its length is in the hop-by-hop header, read by the walk below.
    v.ipTotalLen = avail;
  } else if (v.ipTotalLen > avail) {
    v.ipTruncated = true;
    if (!quoted) failIpHeader(v, `IPv6 payload length ${plen} beyond ${avail - IPV6_HLEN} bytes`);
  } else {
    v.ipEnd = off + v.ipTotalLen;
  }
  if (next === Proto.HOPOPTS && !quoted && !checkHopByHop(v, b, off + IPV6_HLEN, plen)) return;
  walkIpv6Ext(v, b, off + IPV6_HLEN, next, quoted);
}

/**
 * The checks ipv6_rcv makes on a hop-by-hop header right after the fixed header: it must fit,
 * its options must fit it, and a jumbo payload option sets the datagram length. False (with the
 * view marked) when the kernel would drop the packet here.
 */
function checkHopByHop(v: PacketView, b: Uint8Array, p: number, plen: number): boolean {
  const end = v.ipEnd;
  if (end - p < 8 || p + (b[p + 1]! + 1) * 8 > end) {
    failIpHeader(v, 'IPv6 hop-by-hop header beyond the packet');
    return false;
  }
  const stop = p + (b[p + 1]! + 1) * 8;
  for (let o = p + 2; o < stop; ) {
    const type = b[o]!;
    if (type === TLV_PAD1) {
      o++;
      continue;
    }
    if (o + 2 > stop || o + 2 + b[o + 1]! > stop) {
      failIpHeader(v, 'IPv6 hop-by-hop option beyond its header');
      return false;
    }
    if (type === TLV_JUMBO && !applyJumbo(v, b, o, plen)) return false;
    o += 2 + b[o + 1]!;
  }
  return true;
}

/** A jumbo payload option at `o`: valid only with payload length 0 and a length above 65535. */
function applyJumbo(v: PacketView, b: Uint8Array, o: number, plen: number): boolean {
  const l3 = v.l3Off;
  if (b[o + 1] !== 4 || ((o - l3) & 3) !== 2) {
    failIpHeader(v, 'IPv6 jumbo option with a bad length or alignment');
    return false;
  }
  const jumbo = u32(b, o + 2);
  if (jumbo <= 0xffff || plen !== 0) {
    failIpHeader(v, `IPv6 jumbo payload length ${jumbo} with payload length ${plen}`);
    return false;
  }
  if (IPV6_HLEN + jumbo > v.ipEnd - l3) {
    v.ipTruncated = true;
    failIpHeader(v, `IPv6 jumbo payload length ${jumbo} beyond the packet`);
    return false;
  }
  v.ipTotalLen = IPV6_HLEN + jumbo;
  v.ipEnd = l3 + v.ipTotalLen;
  return true;
}

function extBit(next: number): number {
  switch (next) {
    case Proto.HOPOPTS:
      return EXT_HOPOPTS;
    case Proto.ROUTING:
      return EXT_ROUTING;
    case Proto.FRAGMENT:
      return EXT_FRAGMENT;
    case Proto.DSTOPTS:
      return EXT_DSTOPTS;
    case Proto.AH:
      return EXT_AH;
    default:
      return 0;
  }
}

/**
 * Walks extension headers from `p` like ipv6_skip_exthdr: hop-by-hop, routing and destination
 * options by their length, AH by its own length unit, a first fragment's header is skipped, a
 * later fragment stops the walk (its data carries no upper-layer header). NONE ends the packet;
 * ESP and anything else is the upper layer.
 */
function walkIpv6Ext(v: PacketView, b: Uint8Array, start: number, first: number, quoted: boolean): void {
  const end = v.ipEnd;
  let p = start;
  let next = first;
  for (let bit = extBit(next); bit !== 0; bit = extBit(next)) {
    v.ipv6Ext |= bit;
    v.proto = next;
    v.ipHdrLen = p - v.l3Off;
    const len = extHeaderLength(v, b, p, next);
    if (len < 0) return;
    if (len === 0) return laterFragment(v, p + 8, b[p]!);
    next = b[p]!;
    p += len;
  }
  v.proto = next;
  v.ipHdrLen = p - v.l3Off;
  if (next === Proto.NONE) return;
  if (next === Proto.ESP) v.ipv6Ext |= EXT_ESP;
  decodeUpper(v, b, p, quoted);
}

/**
 * Length of the extension header `next` at `p`; 0 for a non-first fragment header (the walk stops
 * there), -1 (view marked) when the header does not fit the packet. Reads fragment fields.
 */
function extHeaderLength(v: PacketView, b: Uint8Array, p: number, next: number): number {
  const room = v.ipEnd - p;
  let len: number;
  if (next === Proto.FRAGMENT) {
    len = 8;
    if (room >= 8) readFragmentHeader(v, b, p);
    if (room >= 8 && v.fragOffset > 0) return 0;
  } else if (room < 2) {
    len = 2;
  } else if (next === Proto.AH) {
    len = (b[p + 1]! + 2) * 4;
  } else {
    len = (b[p + 1]! + 1) * 8;
  }
  if (len > room) {
    fail(v, Layer.Network, `IPv6 extension header ${next} at offset ${p - v.l3Off} beyond the packet`);
    return -1;
  }
  return len;
}

function readFragmentHeader(v: PacketView, b: Uint8Array, p: number): void {
  const fo = u16(b, p + 2);
  v.fragHdrOff = p;
  v.ipId = u32(b, p + 4);
  v.fragOffset = fo & 0xfff8;
  v.moreFrags = (fo & 1) !== 0;
  v.isFragment = v.fragOffset > 0 || v.moreFrags;
}

/** A non-first IPv6 fragment: the protocol is the fragment header's next header, data follows it. */
function laterFragment(v: PacketView, dataOff: number, next: number): void {
  v.proto = next;
  v.ipHdrLen = dataOff - v.l3Off;
  fragmentPayload(v, dataOff);
}

/** Payload of a non-first fragment: the fragment data, no upper-layer header. */
function fragmentPayload(v: PacketView, dataOff: number): void {
  v.l4Off = -1;
  v.l4Len = 0;
  v.payloadOff = dataOff;
  v.payloadLen = Math.max(0, v.ipEnd - dataOff);
}

// ------------------------------------------------------------------------------------------------
// upper layer

/** Dispatches on `v.proto` for the upper-layer header at `p` (already past IP / extension headers). */
function decodeUpper(v: PacketView, b: Uint8Array, p: number, quoted: boolean): void {
  if (v.fragOffset > 0) return fragmentPayload(v, p);
  v.l4Off = p;
  v.l4Len = Math.max(0, v.ipEnd - p);
  // A first fragment holds only part of the datagram: lengths that describe the whole datagram
  // (UDP length, SCTP chunks, the packet an ICMP error quotes) cannot be checked against it.
  const partial = quoted || v.isFragment;
  switch (v.proto) {
    case Proto.TCP:
      return decodeTcp(v, b, p, quoted);
    case Proto.UDP:
      return decodeUdp(v, b, p, quoted, partial);
    case Proto.UDPLITE:
      return decodeUdplite(v, b, p, quoted, partial);
    case Proto.ICMP:
      return decodeIcmp(v, b, p, quoted);
    case Proto.ICMPV6:
      return decodeIcmpv6(v, b, p, quoted);
    case Proto.SCTP:
      return decodeSctp(v, b, p, quoted, partial);
    case Proto.GRE:
      return decodeGre(v, b, p, quoted);
    case Proto.DCCP:
      return decodeDccp(v, b, p, quoted);
    default:
      setPayload(v, p);
  }
}

function setPayload(v: PacketView, p: number): void {
  if (p > v.ipEnd) return;
  v.payloadOff = p;
  v.payloadLen = v.ipEnd - p;
}

/** Reads the two ports when present (every port-carrying protocol starts with them). */
function readPorts(v: PacketView, b: Uint8Array, p: number): void {
  if (v.l4Len < 4) return;
  v.sport = u16(b, p);
  v.dport = u16(b, p + 2);
}

/**
 * Checks that `need` header bytes are present; `quotedNeed` is what the kernel reads from a
 * quoted header inside an ICMP error (its tuple fields). Marks the view when short.
 */
function haveHeader(v: PacketView, need: number, quotedNeed: number, quoted: boolean, name: string): boolean {
  const want = quoted ? quotedNeed : need;
  if (v.l4Len >= need) return true;
  if (v.l4Len < want) fail(v, Layer.Transport, `${name} header truncated (${v.l4Len} < ${want} bytes)`);
  return false;
}

// ---- TCP

const TCP_MIN = 20;

function decodeTcp(v: PacketView, b: Uint8Array, p: number, quoted: boolean): void {
  readPorts(v, b, p);
  if (v.l4Len >= 8) v.tcpSeq = u32(b, p + 4);
  if (!haveHeader(v, TCP_MIN, 4, quoted, 'TCP')) return;
  v.tcpAck = u32(b, p + 8);
  const hl = (b[p + 12]! >> 4) * 4;
  v.tcpHdrLen = hl;
  v.tcpFlags = ((b[p + 12]! & 1) << 8) | b[p + 13]!;
  v.tcpWindow = u16(b, p + 14);
  v.l4Checksum = u16(b, p + 16);
  v.tcpUrgPtr = u16(b, p + 18);
  if (hl < TCP_MIN || hl > v.l4Len) {
    // A quote's header is cut short by design; the kernel reads only its ports from it.
    if (quoted) return;
    if (hl < TCP_MIN) return fail(v, Layer.Transport, `TCP data offset ${hl >> 2} < 5`);
    return fail(v, Layer.Transport, `TCP header length ${hl} beyond ${v.l4Len} bytes`);
  }
  decodeTcpOptions(v, b, p + TCP_MIN, p + hl);
  setPayload(v, p + hl);
}

/** Walks TCP options, keeping the ones conntrack and the summary read; flags a malformed list. */
function decodeTcpOptions(v: PacketView, b: Uint8Array, start: number, end: number): void {
  if (end - start === 12 && b[start] === TcpOpt.NOP && b[start + 1] === TcpOpt.NOP && b[start + 2] === TcpOpt.TIMESTAMP && b[start + 3] === 10) {
    // What nearly every segment of a Linux or BSD connection carries: NOP, NOP, timestamps.
    v.tcpTsVal = u32(b, start + 4);
    v.tcpTsEcr = u32(b, start + 8);
    return;
  }
  for (let o = start; o < end; ) {
    const kind = b[o]!;
    if (kind === TcpOpt.EOL) return;
    const len = tcpOptionLength(b, o, end);
    if (len < 0) {
      v.tcpOptsBad = true;
      return;
    }
    if (!readTcpOption(v, b, kind, o, len)) v.tcpOptsBad = true;
    o += len;
  }
}

/** Stores one option's value; false when a known option has the wrong length. */
function readTcpOption(v: PacketView, b: Uint8Array, kind: number, o: number, len: number): boolean {
  switch (kind) {
    case TcpOpt.NOP:
      return true;
    case TcpOpt.MSS:
      if (len !== 4) return false;
      v.tcpMss = u16(b, o + 2);
      return true;
    case TcpOpt.WSCALE:
      if (len !== 3) return false;
      v.tcpWscale = b[o + 2]!;
      return true;
    case TcpOpt.SACK_PERM:
      if (len !== 2) return false;
      v.tcpSackPerm = true;
      return true;
    case TcpOpt.SACK:
      if (len < 10 || (len - 2) % 8 !== 0) return false;
      v.tcpSackOff = o + 2;
      v.tcpSackCount = (len - 2) / 8;
      return true;
    case TcpOpt.TIMESTAMP:
      if (len !== 10) return false;
      v.tcpTsVal = u32(b, o + 2);
      v.tcpTsEcr = u32(b, o + 6);
      return true;
    default:
      return true;
  }
}

// ---- UDP / UDP-Lite

const UDP_HLEN = 8;

function decodeUdp(v: PacketView, b: Uint8Array, p: number, quoted: boolean, partial: boolean): void {
  readPorts(v, b, p);
  if (!haveHeader(v, UDP_HLEN, 4, quoted, 'UDP')) return;
  const len = u16(b, p + 4);
  v.udpLen = len;
  v.l4Checksum = u16(b, p + 6);
  if (!partial && (len < UDP_HLEN || len > v.l4Len)) {
    fail(v, Layer.Transport, `UDP length ${len} outside 8..${v.l4Len}`);
  }
  v.payloadOff = p + UDP_HLEN;
  const covered = partial || len < UDP_HLEN ? v.l4Len : Math.min(len, v.l4Len);
  v.payloadLen = covered - UDP_HLEN;
}

function decodeUdplite(v: PacketView, b: Uint8Array, p: number, quoted: boolean, partial: boolean): void {
  readPorts(v, b, p);
  if (!haveHeader(v, UDP_HLEN, 4, quoted, 'UDP-Lite')) return;
  const cov = u16(b, p + 4);
  v.udpLen = cov;
  v.l4Checksum = u16(b, p + 6);
  if (!partial && cov !== 0 && (cov < UDP_HLEN || cov > v.l4Len)) {
    fail(v, Layer.Transport, `UDP-Lite checksum coverage ${cov} outside 8..${v.l4Len}`);
  }
  setPayload(v, p + UDP_HLEN);
}

// ---- ICMP / ICMPv6

const ICMP_HLEN = 8;

/** ICMP types whose bytes 4..7 are an identifier and a sequence number. */
function icmpHasId(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

/** ICMP error types (they quote the offending packet): unreachable, quench, redirect, time, parameter. */
export function icmpIsErrorType(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** ICMPv6 error messages are the types without the informational bit (0x80), as the kernel tests. */
export function icmpv6IsErrorType(type: number): boolean {
  return type < 128;
}

function decodeIcmp(v: PacketView, b: Uint8Array, p: number, quoted: boolean): void {
  if (!readIcmpHeader(v, b, p, quoted, 'ICMP')) return;
  if (icmpHasId(v.icmpType)) readIcmpId(v, b, p);
  v.icmpIsError = icmpIsErrorType(v.icmpType);
  setPayload(v, p + ICMP_HLEN);
  if (v.icmpIsError && !quoted) decodeQuoted(v, b, p + ICMP_HLEN, 4);
}

function decodeIcmpv6(v: PacketView, b: Uint8Array, p: number, quoted: boolean): void {
  if (!readIcmpHeader(v, b, p, quoted, 'ICMPv6')) return;
  if (v.icmpType === 128 || v.icmpType === 129) readIcmpId(v, b, p);
  v.icmpIsError = icmpv6IsErrorType(v.icmpType);
  setPayload(v, p + ICMP_HLEN);
  if (v.icmpIsError && !quoted) decodeQuoted(v, b, p + ICMP_HLEN, 6);
}

function readIcmpHeader(v: PacketView, b: Uint8Array, p: number, quoted: boolean, name: string): boolean {
  if (v.l4Len >= 2) {
    v.icmpType = b[p]!;
    v.icmpCode = b[p + 1]!;
  }
  if (v.l4Len >= 4) v.l4Checksum = u16(b, p + 2);
  return haveHeader(v, ICMP_HLEN, ICMP_HLEN, quoted, name);
}

function readIcmpId(v: PacketView, b: Uint8Array, p: number): void {
  v.icmpId = u16(b, p + 4);
  v.icmpSeq = u16(b, p + 6);
}

/**
 * Decodes the packet an ICMP error quotes into the reusable `inner` view (created once). The
 * inner view is lenient about lengths (quotes are cut short by design) and decodes no further
 * ICMP error inside itself. Its `malformed` is its own; the outer view is not marked.
 */
function decodeQuoted(v: PacketView, b: Uint8Array, p: number, family: 4 | 6): void {
  const inner = v.inner ?? (v.inner = new PacketView());
  resetView(inner, b, v.linktype);
  inner.frameEnd = v.frameEnd;
  inner.l2PayloadOff = p;
  const end = v.ipEnd;
  if (family === 4) decodeIpv4(inner, b, p, end, true);
  else decodeIpv6(inner, b, p, end, true);
}

// ---- SCTP

const SCTP_HLEN = 12;
const SCTP_CHUNK_HLEN = 4;

function decodeSctp(v: PacketView, b: Uint8Array, p: number, quoted: boolean, partial: boolean): void {
  readPorts(v, b, p);
  if (!haveHeader(v, SCTP_HLEN, 4, quoted, 'SCTP')) return;
  v.sctpVtag = u32(b, p + 4);
  v.l4Checksum = u32(b, p + 8);
  setPayload(v, p + SCTP_HLEN);
  walkSctpChunks(v, b, p + SCTP_HLEN, partial);
}

/** Counts chunks, notes the first type and a bit map of types 0..31 (higher types set no bit). */
function walkSctpChunks(v: PacketView, b: Uint8Array, start: number, partial: boolean): void {
  const end = v.ipEnd;
  if (start + SCTP_CHUNK_HLEN <= end) v.sctpChunkOff = start;
  for (let o = start; o + SCTP_CHUNK_HLEN <= end; ) {
    const type = b[o]!;
    const len = u16(b, o + 2);
    if (v.sctpChunkCount === 0) v.sctpFirstChunk = type;
    v.sctpChunkCount++;
    if (type < 32) v.sctpChunkMap |= 1 << type;
    if (len < SCTP_CHUNK_HLEN) return fail(v, Layer.Transport, `SCTP chunk length ${len} < 4`);
    if (o + len > end) {
      if (!partial) fail(v, Layer.Transport, `SCTP chunk length ${len} beyond ${end - o} bytes`);
      return;
    }
    o += (len + 3) & ~3;
  }
}

// ---- GRE

const GRE_C = 0x8000;
const GRE_R = 0x4000;
const GRE_K = 0x2000;
const GRE_S = 0x1000;
const GRE_A = 0x0080;

function decodeGre(v: PacketView, b: Uint8Array, p: number, quoted: boolean): void {
  if (!haveHeader(v, 4, 4, quoted, 'GRE')) return;
  const flags = u16(b, p);
  v.greVersion = flags & 7;
  v.greProto = u16(b, p + 2);
  const hl = v.greVersion === 1 ? greV1Length(v, b, p, flags) : greV0Length(v, b, p, flags);
  if (hl < 0) return;
  if (hl > v.l4Len) {
    if (!quoted) fail(v, Layer.Transport, `GRE header length ${hl} beyond ${v.l4Len} bytes`);
    return;
  }
  setPayload(v, p + hl);
}

/** RFC 2784/2890 (and 1701 routing) header length; reads the key when present. */
function greV0Length(v: PacketView, b: Uint8Array, p: number, flags: number): number {
  let hl = 4;
  if (flags & (GRE_C | GRE_R)) hl += 4;
  if (flags & GRE_K) {
    if (p + hl + 4 <= v.ipEnd) {
      v.greHasKey = true;
      v.greKey = u32(b, p + hl);
    }
    hl += 4;
  }
  if (flags & GRE_S) hl += 4;
  if (flags & GRE_R) hl = greSreEnd(v, b, p, hl);
  return hl;
}

/** RFC 1701 source route entries: address family (2), offset (1), length (1), data; length 0 ends. */
function greSreEnd(v: PacketView, b: Uint8Array, p: number, start: number): number {
  let o = p + start;
  for (;;) {
    if (o + 4 > v.ipEnd) return o + 4 - p;
    const len = b[o + 3]!;
    o += 4 + len;
    if (len === 0) return o - p;
  }
}

/** RFC 2637 enhanced GRE (PPTP): key field holds payload length and call id; sequence and ack optional. */
function greV1Length(v: PacketView, b: Uint8Array, p: number, flags: number): number {
  if (v.l4Len < 8) {
    fail(v, Layer.Transport, `GRE v1 header truncated (${v.l4Len} < 8 bytes)`);
    return -1;
  }
  v.greHasKey = (flags & GRE_K) !== 0;
  v.greKey = u16(b, p + 6);
  let hl = 8;
  if (flags & GRE_S) hl += 4;
  if (flags & GRE_A) hl += 4;
  return hl;
}

// ---- DCCP

const DCCP_HLEN = 12;

function decodeDccp(v: PacketView, b: Uint8Array, p: number, quoted: boolean): void {
  readPorts(v, b, p);
  if (!haveHeader(v, DCCP_HLEN, 4, quoted, 'DCCP')) return;
  const doff = b[p + 4]! * 4;
  v.l4Checksum = u16(b, p + 6);
  v.dccpType = (b[p + 8]! >> 1) & 0x0f;
  const extended = (b[p + 8]! & 1) !== 0;
  const hl = extended ? 16 : 12;
  if (extended && v.l4Len < 16) return fail(v, Layer.Transport, `DCCP header truncated (${v.l4Len} < 16 bytes)`);
  v.dccpSeq = extended ? u16(b, p + 10) * 0x100000000 + u32(b, p + 12) : (b[p + 9]! << 16) | u16(b, p + 10);
  if (doff < hl || doff > v.l4Len) {
    if (!quoted || doff < hl) fail(v, Layer.Transport, `DCCP data offset ${doff} outside ${hl}..${v.l4Len}`);
    return;
  }
  setPayload(v, p + doff);
}
