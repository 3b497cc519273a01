/**
 * Checksums: the RFC 1071 internet checksum (full computation and verification for the IPv4
 * header, TCP, UDP, UDP-Lite, ICMP, ICMPv6, DCCP), SCTP's CRC32c, and RFC 1624 incremental
 * updates for NAT and TTL rewrites.
 *
 * Vocabulary: a *sum* is an unfolded running total of big-endian 16-bit words (a plain number,
 * safe far beyond any packet size); `fold` reduces it to 16 bits with end-around carry; a
 * *checksum* is the complement of the folded sum, the value written into a header. Data whose
 * checksum field is correct sums (folded) to 0xffff.
 *
 * Transport checksums here cover the bytes the kernel's nf_checksum covers: from the transport
 * header to the end of the IP datagram (`view.ipEnd`), with that length in the pseudo-header.
 */
import { dataViewBase, dataViewOf } from '../util/dataview.js';
import { PacketView, Proto } from './view.js';

// ------------------------------------------------------------------------------------------------
// RFC 1071

/** Adds the big-endian 16-bit words of buf[off, off+len) to `initial` (an odd last byte is padded). */
export function sum16(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let s = initial;
  const end = off + len;
  const even = off + (len & ~1);
  let i = off;
  if (len >= 16 && off >= 0 && (off | 0) === off && even <= buf.length) {
    // four bytes a read (two words) while they lie in the buffer
    const dv = dataViewOf(buf);
    const bo = dataViewBase();
    const quads = off + (len & ~3);
    const stop = bo + quads;
    for (let j = bo + off; j < stop; j += 4) {
      const w = dv.getUint32(j);
      s += (w >>> 16) + (w & 0xffff);
    }
    i = quads;
  }
  for (; i < even; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8;
  return s;
}

/** Folds a sum to 16 bits with end-around carry. */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum field value for a sum: complement of the folded sum. */
export function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** Internet checksum of buf[off, off+len) (the value to store in a zeroed checksum field). */
export function internetChecksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return finish(sum16(buf, off, len, initial));
}

/** Sum of the words of an address: IPv4 is word 0 (host order), IPv6 words 0..3. */
function addrSum(family: 4 | 6, w: ArrayLike<number>): number {
  const n = family === 6 ? 4 : 1;
  let s = 0;
  for (let i = 0; i < n; i++) s += (w[i]! >>> 16) + (w[i]! & 0xffff);
  return s;
}

/** Pseudo-header sum: addresses, protocol and upper-layer length (RFC 768/793 and RFC 8200 8.1). */
export function pseudoHeaderSum(
  family: 4 | 6,
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
  proto: number,
  length: number,
): number {
  return addrSum(family, src) + addrSum(family, dst) + proto + (length >>> 16) + (length & 0xffff);
}

// ------------------------------------------------------------------------------------------------
// IPv4 header

const IP_CSUM_OFF = 10;

/** Checksum for the IPv4 header at `off` of `hdrLen` bytes, ignoring the current field value. */
export function ipv4HeaderChecksum(buf: Uint8Array, off: number, hdrLen: number): number {
  const s = sum16(buf, off, IP_CSUM_OFF) + sum16(buf, off + IP_CSUM_OFF + 2, hdrLen - IP_CSUM_OFF - 2);
  return finish(s);
}

/** True when the IPv4 header's checksum field is correct. */
export function verifyIpv4Header(buf: Uint8Array, off: number, hdrLen: number): boolean {
  return fold(sum16(buf, off, hdrLen)) === 0xffff;
}

/** Writes the correct checksum into the IPv4 header at `off`. */
export function fillIpv4HeaderChecksum(buf: Uint8Array, off: number, hdrLen: number): void {
  put16(buf, off + IP_CSUM_OFF, ipv4HeaderChecksum(buf, off, hdrLen));
}

// ------------------------------------------------------------------------------------------------
// transport checksums over a decoded view

/** Offset of the checksum field within each upper-layer header that has an internet checksum. */
export function l4ChecksumOffset(proto: number): number {
  switch (proto) {
    case Proto.TCP:
      return 16;
    case Proto.UDP:
    case Proto.UDPLITE:
      return 6;
    case Proto.ICMP:
    case Proto.ICMPV6:
      return 2;
    case Proto.DCCP:
      return 6;
    default:
      return -1;
  }
}

/** Whether the protocol's checksum covers a pseudo-header (all but ICMPv4). */
function usesPseudoHeader(family: number, proto: number): boolean {
  return !(family === 4 && proto === Proto.ICMP);
}

/**
 * Bytes of the upper layer the checksum covers: everything to the end of the datagram, except
 * UDP-Lite's coverage field (0 = everything) and DCCP's CsCov.
 */
function coveredLength(v: PacketView): number {
  const b = v.buf;
  const p = v.l4Off;
  if (v.proto === Proto.UDPLITE && v.l4Len >= 8) {
    const cov = (b[p + 4]! << 8) | b[p + 5]!;
    return cov === 0 ? v.l4Len : Math.min(cov, v.l4Len);
  }
  if (v.proto === Proto.DCCP && v.l4Len >= 12) {
    const cscov = b[p + 5]! & 0x0f;
    return cscov === 0 ? v.l4Len : Math.min(b[p + 4]! * 4 + (cscov - 1) * 4, v.l4Len);
  }
  return v.l4Len;
}

/** Internet checksum sum of the view's upper layer with its checksum field taken as zero. */
function l4Sum(v: PacketView, fieldOff: number): number {
  const b = v.buf;
  const p = v.l4Off;
  const len = coveredLength(v);
  const at = p + fieldOff;
  let s = sum16(b, p, fieldOff) + sum16(b, at + 2, p + len - at - 2);
  if (usesPseudoHeader(v.family, v.proto)) s += pseudoHeaderSum(v.family as 4 | 6, v.src, v.dst, v.proto, v.l4Len);
  return s;
}

/** True when the view has an upper-layer header complete enough to checksum. */
function checksummable(v: PacketView, fieldOff: number): boolean {
  return v.family !== 0 && v.l4Off >= 0 && fieldOff >= 0 && v.l4Len >= fieldOff + 2 && !v.ipTruncated;
}

/**
 * The correct checksum field value for the view's TCP / UDP / UDP-Lite / ICMP / ICMPv6 / DCCP
 * header, or -1 when the view has no such complete header. A UDP result of 0 is returned as
 * 0xffff (0 means "no checksum" on the wire).
 */
export function computeL4Checksum(v: PacketView): number {
  const fieldOff = l4ChecksumOffset(v.proto);
  if (!checksummable(v, fieldOff)) return -1;
  const c = finish(l4Sum(v, fieldOff));
  return v.proto === Proto.UDP && c === 0 ? 0xffff : c;
}

/**
 * Verifies the view's transport checksum. IPv4 UDP with checksum 0 (none) verifies; IPv6 UDP
 * with 0 does not (mandatory there). SCTP is checked with CRC32c. False when there is no
 * complete header to check.
 */
export function verifyL4Checksum(v: PacketView): boolean {
  if (v.proto === Proto.SCTP) return verifySctpChecksum(v);
  const fieldOff = l4ChecksumOffset(v.proto);
  if (!checksummable(v, fieldOff)) return false;
  const field = (v.buf[v.l4Off + fieldOff]! << 8) | v.buf[v.l4Off + fieldOff + 1]!;
  if (v.proto === Proto.UDP && field === 0) return v.family === 4;
  return fold(l4Sum(v, fieldOff) + field) === 0xffff;
}

/** Writes the correct transport checksum (internet or CRC32c) into the view's buffer; false if none applies. */
export function fillL4Checksum(v: PacketView): boolean {
  if (v.proto === Proto.SCTP) {
    if (v.l4Off < 0 || v.l4Len < 12) return false;
    putLe32(v.buf, v.l4Off + 8, sctpChecksum(v.buf, v.l4Off, v.l4Len));
    return true;
  }
  const c = computeL4Checksum(v);
  if (c < 0) return false;
  put16(v.buf, v.l4Off + l4ChecksumOffset(v.proto), c);
  return true;
}

// ------------------------------------------------------------------------------------------------
// SCTP CRC32c (Castagnoli, reflected polynomial 0x82f63b78)

const CRC32C_TABLE = makeCrc32cTable();

function makeCrc32cTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** Plain CRC32c of buf[off, off+len). */
export function crc32c(buf: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = off, end = off + len; i < end; i++) c = CRC32C_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * SCTP checksum of the SCTP packet at buf[off, off+len) with its checksum field taken as zero.
 * The wire stores this value least-significant byte first (so a view's l4Checksum, read
 * big-endian, is its byte swap).
 */
export function sctpChecksum(buf: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = off, end = off + len; i < end; i++) {
    const byte = i - off >= 8 && i - off < 12 ? 0 : buf[i]!;
    c = CRC32C_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}

function verifySctpChecksum(v: PacketView): boolean {
  if (v.l4Off < 0 || v.l4Len < 12 || v.ipTruncated) return false;
  const p = v.l4Off + 8;
  const b = v.buf;
  const field = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  return field === sctpChecksum(b, v.l4Off, v.l4Len);
}

// ------------------------------------------------------------------------------------------------
// RFC 1624 incremental update: HC' = ~(~HC + ~m + m')

/** New checksum after a 16-bit word of the covered data changes from `from` to `to`. */
export function csumReplace16(check: number, from: number, to: number): number {
  return finish((~check & 0xffff) + (~from & 0xffff) + (to & 0xffff));
}

/** New checksum after a 32-bit field (e.g. an IPv4 address) changes from `from` to `to`. */
export function csumReplace32(check: number, from: number, to: number): number {
  const s = (~check & 0xffff) + (~from >>> 16) + (~from & 0xffff) + (to >>> 16) + (to & 0xffff);
  return finish(s);
}

/** New checksum after an IPv6 address (four words) changes. */
export function csumReplaceAddr6(check: number, from: ArrayLike<number>, to: ArrayLike<number>): number {
  let s = ~check & 0xffff;
  for (let i = 0; i < 4; i++) {
    const f = from[i]! >>> 0;
    const t = to[i]! >>> 0;
    s += (~f >>> 16) + (~f & 0xffff) + (t >>> 16) + (t & 0xffff);
  }
  return finish(s);
}

/**
 * UDP over IPv4 keeps 0 for "no checksum": an updated UDP checksum that comes out 0 must be sent
 * as 0xffff, and a datagram without a checksum is left without one (the kernel's mangled-zero rule).
 */
export function udpCsumReplace32(check: number, from: number, to: number): number {
  if (check === 0) return 0;
  const c = csumReplace32(check, from, to);
  return c === 0 ? 0xffff : c;
}

/** As udpCsumReplace32 for a 16-bit field (a port). */
export function udpCsumReplace16(check: number, from: number, to: number): number {
  if (check === 0) return 0;
  const c = csumReplace16(check, from, to);
  return c === 0 ? 0xffff : c;
}

// ------------------------------------------------------------------------------------------------
// byte writers

/** Writes a big-endian 16-bit value. */
export function put16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

/** Writes a big-endian 32-bit value. */
export function put32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

function putLe32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}
