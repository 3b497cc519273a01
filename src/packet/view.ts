/**
 * PacketView: the one decoded-packet shape the whole engine reads.
 *
 * A view is a reusable object whose fields describe one packet held in a byte buffer; decoding
 * fills the fields in place and never copies the bytes (see decode.ts). Offsets are into `buf`.
 * Everything downstream (conntrack, rules, NAT, host) reads these fields; field names are a
 * contract between modules: add fields freely, never rename one.
 *
 * Addresses are numbers: IPv4 in `src[0]`/`dst[0]` (host order, `src[1..3]` zero); IPv6 as four
 * big-endian 32-bit words in `src[0..3]`.
 */

/** Where decoding stopped being able to trust the bytes. */
export const Layer = {
  None: 0,
  Link: 1,
  Network: 2,
  Transport: 3,
} as const;
export type Layer = (typeof Layer)[keyof typeof Layer];

/** IP protocol numbers the engine names. */
export const Proto = {
  HOPOPTS: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  SCTP: 132,
  DCCP: 33,
  UDPLITE: 136,
} as const;

/** TCP flag bits as in the header's 13th byte (CWR..FIN); NS is bit 8. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  NS: 0x100,
} as const;

/** DLT / LINKTYPE values for captures. */
export const LinkType = {
  NULL: 0, // BSD loopback, host-order 4-byte family
  ETHERNET: 1,
  RAW: 101, // raw IPv4 or IPv6, version nibble decides
  LINUX_SLL: 113,
  LOOP: 108, // OpenBSD loopback, network-order family
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const EMPTY = new Uint8Array(0);

export class PacketView {
  /** The bytes the packet lives in (a frame from a capture, or an IP packet). Never copied. */
  buf: Uint8Array = EMPTY;
  /** Link type the frame was decoded with (LinkType), or LinkType.RAW for a bare IP packet. */
  linktype = 0;
  /**
   * Offset just past the bytes that were decoded (the frame or packet ends here): `buf.length`
   * unless the decode was given an end (decodeFrame / decodeIp with offsets into a larger buffer).
   */
  frameEnd = 0;
  /**
   * Internal to decode.ts: bit set of the field groups the last decode may have left with
   * non-default values, so that the next decode resets only those (see decode.ts). Code that
   * changes view fields by hand other than by decoding again must leave this alone.
   */
  decodedGroups = 0x3ff;

  // ---- result ----
  /** Layer.None when every header present decoded cleanly; otherwise the first layer that did not. */
  malformed: Layer = Layer.None;
  /**
   * True when the IP header fails the checks the kernel's ip_rcv / ipv6_rcv make before any
   * netfilter hook (IPv4: version, IHL < 5, header or total length beyond the bytes, total length
   * < IHL*4; IPv6: version, payload length beyond the bytes, a hop-by-hop header that does not fit):
   * such a packet is dropped before PREROUTING and never reaches conntrack. `malformed` is then
   * Layer.Network. Other Network-layer problems (an IPv6 extension header after the first that
   * overruns the packet) leave this false: the kernel hands those to netfilter, and conntrack finds
   * no protocol header in them.
   */
  ipHdrError = false;
  /** Short human reason when `malformed` is set ("IPv4 IHL 3 < 5", "TCP header truncated", ...). */
  malformedWhy = '';

  // ---- link layer ----
  /** Offset of the link header (0 for frames), -1 when there is none (raw IP). */
  l2Off = -1;
  /** Offset of the source / destination MAC (Ethernet, SLL: source only), -1 when absent. */
  srcMacOff = -1;
  dstMacOff = -1;
  /** Final ethertype after VLAN tags (0x0800, 0x86dd, 0x0806, ...), 0 for raw IP. */
  ethertype = 0;
  /** Number of 802.1Q/802.1ad tags and the outermost / innermost VLAN ids (-1 when none). */
  vlanCount = 0;
  vlanOuter = -1;
  vlanInner = -1;
  /** SLL/SLL2 packet type (0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing), -1 unknown. */
  pktType = -1;
  /**
   * Offset just past the link header and any VLAN tags, where the protocol named by `ethertype`
   * starts (IP, ARP, ...); equals l3Off for IP. -1 when the link header itself is truncated.
   */
  l2PayloadOff = -1;

  // ---- network layer ----
  /** 4 or 6 when an IP header was found, 0 otherwise (ARP, unknown ethertype). */
  family: 0 | 4 | 6 = 0;
  /** Offset of the IP header in `buf`, -1 when none. */
  l3Off = -1;
  /** IPv4: IHL*4. IPv6: 40 plus every extension header up to the upper-layer header. */
  ipHdrLen = 0;
  /** Datagram length the header claims (IPv4 total length, IPv6 40 + payload length). */
  ipTotalLen = 0;
  /** Offset just past the datagram: l3Off + min(ipTotalLen, bytes available). Trailer (Ethernet padding) excluded. */
  ipEnd = 0;
  /** True when fewer bytes are present than ipTotalLen claims (snaplen cut or truncation). */
  ipTruncated = false;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** IPv4 TOS byte or IPv6 traffic class. */
  tos = 0;
  /** IPv4 identification, or the IPv6 fragment header's identification (0 when none). */
  ipId = 0;
  /** IPv6 flow label. */
  flowLabel = 0;
  /** IPv4 header checksum field as found. */
  ipChecksum = 0;
  /** Fragment offset in bytes, More Fragments, Don't Fragment (v4 only). */
  fragOffset = 0;
  moreFrags = false;
  dontFrag = false;
  /** True for any fragment (IPv4: MF or offset > 0; IPv6: a fragment header with MF or offset > 0). */
  isFragment = false;
  /** Offset of the IPv6 fragment header, -1 when none. */
  fragHdrOff = -1;
  /** IPv4 options length (ipHdrLen - 20). */
  ipOptLen = 0;
  /** Source and destination address words (see file comment). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** Upper-layer protocol number after IPv6 extension headers (IPv4: the protocol field). */
  proto = -1;
  /** IPv6 extension headers seen, as a bit set of EXT_* below. */
  ipv6Ext = 0;

  // ---- transport layer ----
  /**
   * Offset of the upper-layer header, -1 when there is none or it is not in this fragment (also for
   * IPv6 NONE). `proto` names it even then (for a non-first IPv6 fragment: the fragment header's
   * next header).
   */
  l4Off = -1;
  /** Bytes of the upper layer present in this packet (ipEnd - l4Off). */
  l4Len = 0;
  /** TCP/UDP/UDP-Lite/SCTP/DCCP ports; 0 otherwise. */
  sport = 0;
  dport = 0;
  /**
   * Transport checksum field as found (TCP, UDP, UDP-Lite, ICMP, ICMPv6, DCCP), read big-endian;
   * SCTP: its CRC32c field read big-endian (the wire stores the CRC least-significant byte first;
   * use checksum.ts to verify).
   */
  l4Checksum = 0;

  // TCP
  tcpSeq = 0;
  tcpAck = 0;
  /** 9 flag bits (TcpFlag). */
  tcpFlags = 0;
  tcpWindow = 0;
  /** TCP header length in bytes (data offset * 4). */
  tcpHdrLen = 0;
  tcpUrgPtr = 0;
  /** Parsed TCP options: -1 / false when absent. */
  tcpMss = -1;
  tcpWscale = -1;
  tcpSackPerm = false;
  tcpTsVal = -1;
  tcpTsEcr = -1;
  /** Offset of the first SACK block (8 bytes each: left, right) and how many, -1/0 when none. */
  tcpSackOff = -1;
  tcpSackCount = 0;
  /** True when the option list was malformed (bad length, runs past the header). */
  tcpOptsBad = false;

  // UDP / UDP-Lite
  /** UDP length field; UDP-Lite checksum coverage field. */
  udpLen = 0;

  // ICMP / ICMPv6
  icmpType = -1;
  icmpCode = -1;
  /** Echo/timestamp/info identifier and sequence (0 for other types). */
  icmpId = 0;
  icmpSeq = 0;
  /** True when the ICMP(v6) message is an error that quotes a packet (then `inner` is set). */
  icmpIsError = false;
  /**
   * For ICMP errors: the quoted packet (IP header + at least 8 bytes) decoded as a nested view over
   * the same buffer. Meaningful only while `icmpIsError` is true (the object is kept and reused
   * between decodes of the same outer view). The inner view is lenient where quotes are short by
   * design (its total length may exceed the quote: `ipTruncated` without `malformed`); its
   * `malformed` is Transport when even the fields the kernel reads from a quote (ports, ICMP
   * header) are missing. It never decodes a further ICMP error inside itself (its `inner` is null).
   */
  inner: PacketView | null = null;

  // GRE
  greVersion = -1;
  /** GRE protocol type (0x880b for PPTP). */
  greProto = 0;
  /** GRE key present / value (v0 key, or v1 (PPTP) call id in the low 16 bits). */
  greHasKey = false;
  greKey = 0;

  // SCTP
  sctpVtag = 0;
  /** Offset of the first chunk, and the number of chunks present; first chunk type. */
  sctpChunkOff = -1;
  sctpChunkCount = 0;
  sctpFirstChunk = -1;
  /** Bit set of chunk types seen (types 0..31: bit n; higher types set no bit). */
  sctpChunkMap = 0;

  // DCCP
  dccpType = -1;
  dccpSeq = 0;

  // ---- payload ----
  /**
   * Offset and length of the transport payload (after TCP/UDP/... headers), -1/0 when none. For a
   * protocol without a decoded header (ESP, IPIP, ...) the whole upper layer; for a non-first
   * fragment the fragment's data; for ICMP(v6) the bytes after the 8-byte header (the quote).
   */
  payloadOff = -1;
  payloadLen = 0;

  /** Address helpers for output; not for the hot path. */
  srcString(): string {
    return addrString(this.family, this.src);
  }
  dstString(): string {
    return addrString(this.family, this.dst);
  }
}

export const EXT_HOPOPTS = 1;
export const EXT_ROUTING = 2;
export const EXT_FRAGMENT = 4;
export const EXT_DSTOPTS = 8;
export const EXT_AH = 16;
export const EXT_ESP = 32;

const V4_CACHE_SIZE = 1024;
const v4CacheKey = new Uint32Array(V4_CACHE_SIZE);
const v4CacheText: (string | undefined)[] = new Array<string | undefined>(V4_CACHE_SIZE).fill(undefined);

export function ipv4String(a: number): string {
  // A small direct-mapped cache: event and listing lines name the same few addresses again and again.
  const x = a >>> 0;
  const slot = (x ^ (x >>> 11) ^ (x >>> 22)) & (V4_CACHE_SIZE - 1);
  const hit = v4CacheText[slot];
  if (hit !== undefined && v4CacheKey[slot] === x) return hit;
  const text = `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
  v4CacheKey[slot] = x;
  v4CacheText[slot] = text;
  return text;
}

/**
 * IPv6 text as glibc's inet_ntop writes it (what tcpdump, iptables and conntrack-tools print): the
 * longest run of two or more zero groups compressed, and the embedded-IPv4 forms ::a.b.c.d and
 * ::ffff:a.b.c.d.
 */
export function ipv6String(w: ArrayLike<number>): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push((w[i]! >>> 16) & 0xffff, w[i]! & 0xffff);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) return out + ipv4String(w[3]! >>> 0);
    out += g[i]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) out += ':';
  return out;
}

export function addrString(family: number, w: ArrayLike<number>): string {
  return family === 6 ? ipv6String(w) : ipv4String(w[0]! >>> 0);
}
