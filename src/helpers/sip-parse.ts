/**
 * SIP and SDP text parsing as the kernel's SIP helper does it (nf_conntrack_sip.c's ct_sip_*
 * functions), on one message of a packet's payload, with the kernel's exact acceptance rules:
 *
 *  - headers start a line (CR, LF or CRLF ended) and may continue on lines starting with a
 *    blank; names compare case-insensitively, compact forms ("f", "t", "m", "v", "l", "i") only
 *    when no letter follows; the value is searched for a marker ("sip:", "UDP ", ...) and then
 *    measured by a per-header rule (digits, an address with optional ":port", a Call-ID word);
 *  - a comma-separated list of values is walked value by value (Contact);
 *  - header parameters ("transport=", "expires=", "maddr=", "received=", "rport=") are found
 *    within the value up to the next comma;
 *  - SDP lines ("v=", "o=", "c=", "m=") start a line; an SDP search stops at the line end and is
 *    case-sensitive;
 *  - addresses are parsed by in4_pton / in6_pton (IPv6 possibly in brackets).
 *
 * Offsets are relative to the start of the message; the message reads its bytes from the
 * packet (past the message's end the packet's following bytes, then zeros), as the kernel's
 * pointer arithmetic does. Character classes are the kernel's (Latin-1 letters are letters).
 */
import { in4Pton, in6Pton, lower, type PtonResult } from './text.js';

/** The message a parser looks at: the packet bytes and where the message lies in them. */
export class SipMsg {
  buf: Uint8Array = new Uint8Array(0);
  /** Absolute offset of the message's first byte in `buf`. */
  base = 0;
  /** The message length (the kernel's datalen). */
  len = 0;
  /** Absolute end of the packet bytes in `buf`. */
  end = 0;
  family: 4 | 6 = 4;

  /** The byte at message offset `i` (0 past the packet). */
  at(i: number): number {
    const a = this.base + i;
    return a < this.end && a >= 0 ? this.buf[a]! : 0;
  }

  /** strncasecmp(msg + i, s, n) === 0. */
  ci(i: number, s: string, n = s.length): boolean {
    for (let k = 0; k < n; k++) {
      const a = this.at(i + k);
      const b = s.charCodeAt(k);
      if (a === 0) return false;
      if (a !== b && latinLower(a) !== lower(b)) return false;
    }
    return true;
  }

  /** strncmp(msg + i, s, n) === 0. */
  cs(i: number, s: string): boolean {
    for (let k = 0; k < s.length; k++) if (this.at(i + k) !== s.charCodeAt(k)) return false;
    return true;
  }
}

// ------------------------------------------------------------------------------------------------
// character classes (lib/ctype.c)

/** The kernel's tolower: ASCII and Latin-1 upper case letters. */
function latinLower(c: number): number {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7)) return c + 0x20;
  return c;
}

export function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
}

export function isDigitC(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** iswordc: characters of a Call-ID word (a signed char: bytes >= 0x80 only as letters). */
function isWordChar(c: number): boolean {
  if (isAlpha(c) || isDigitC(c)) return true;
  if (c >= 0x80) return false;
  return (
    c === 0x21 || c === 0x22 || c === 0x25 || (c >= 0x28 && c <= 0x2b) || c === 0x3a || c === 0x3c || c === 0x3e ||
    c === 0x3f || (c >= 0x5b && c <= 0x5d) || c === 0x5f || c === 0x60 || c === 0x7b || c === 0x7d || c === 0x7e ||
    (c >= 0x2d && c <= 0x2f) || c === 0x27
  );
}

// ------------------------------------------------------------------------------------------------
// value measures (the kernel's match_len functions)

/** The `shift` a measure may report (skp_epaddr_len: the user part skipped before the address). */
export interface Shift {
  v: number;
}

type MatchLen = (m: SipMsg, p: number, lim: number, shift: Shift) => number;

export function stringLen(m: SipMsg, p: number, lim: number): number {
  let n = 0;
  while (p + n < lim && isAlpha(m.at(p + n))) n++;
  return n;
}

export function digitsLen(m: SipMsg, p: number, lim: number): number {
  let n = 0;
  while (p + n < lim && isDigitC(m.at(p + n))) n++;
  return n;
}

function wordLen(m: SipMsg, p: number, lim: number): number {
  let n = 0;
  while (p + n < lim && isWordChar(m.at(p + n))) n++;
  return n;
}

/** callid_len: a word, optionally "@" and a second word. */
function callidLen(m: SipMsg, p: number, lim: number): number {
  const len = wordLen(m, p, lim);
  p += len;
  if (len === 0 || p === lim || m.at(p) !== 0x40) return len;
  const domain = wordLen(m, p + 1, lim);
  return domain === 0 ? 0 : len + 1 + domain;
}

/** media_len: the media type, a blank and the port digits. */
function mediaLen(m: SipMsg, p: number, lim: number): number {
  let len = stringLen(m, p, lim);
  p += len;
  if (p >= lim || m.at(p) !== 0x20) return 0;
  len++;
  p++;
  return len + digitsLen(m, p, lim);
}

const ptonRes: PtonResult = { ok: false, end: 0 };

/** Where an address parse stopped (message offset). */
export interface AddrEnd {
  v: number;
}

/** The length the kernel's in*_pton get: negative lengths read the string up to its NUL. */
function ptonLen(m: SipMsg, p: number, lim: number): number {
  if (lim - p >= 0) return lim - p;
  let n = 0;
  while (m.at(p + n) !== 0) n++;
  return n;
}

/**
 * sip_parse_addr: an IPv4 address, or an IPv6 address (in brackets when `delim`), into `addr`
 * (zeroed first). False when it does not parse.
 */
export function sipParseAddr(m: SipMsg, p: number, lim: number, addr: Uint32Array, delim: boolean, end: AddrEnd): boolean {
  addr.fill(0);
  if (m.family === 4) {
    const r = in4Pton(m.buf, m.base + p, ptonLen(m, p, lim), addr, -1, ptonRes);
    if (!r.ok) return false;
    end.v = r.end - m.base;
    return true;
  }
  if (p < lim && m.at(p) === 0x5b) p++;
  else if (delim) return false;
  const r = in6Pton(m.buf, m.base + p, ptonLen(m, p, lim), addr, -1, ptonRes);
  if (!r.ok) return false;
  let e = r.end - m.base;
  if (e < lim && m.at(e) === 0x5d) e++;
  else if (delim) return false;
  end.v = e;
  return true;
}

/** sdp_parse_addr: a bare address of the message's family. */
export function sdpParseAddr(m: SipMsg, p: number, lim: number, addr: Uint32Array, end: AddrEnd): boolean {
  addr.fill(0);
  const len = ptonLen(m, p, lim);
  const r = m.family === 4 ? in4Pton(m.buf, m.base + p, len, addr, -1, ptonRes) : in6Pton(m.buf, m.base + p, len, addr, -1, ptonRes);
  if (!r.ok) return false;
  end.v = r.end - m.base;
  return true;
}

const scratchAddr = new Uint32Array(4);
const scratchEnd: AddrEnd = { v: 0 };

/** epaddr_len: an address with an optional ":port". */
function epaddrLen(m: SipMsg, p: number, lim: number): number {
  const start = p;
  if (!sipParseAddr(m, p, lim, scratchAddr, true, scratchEnd)) return 0;
  p = scratchEnd.v;
  if (m.at(p) === 0x3a) {
    p++;
    p += digitsLen(m, p, lim);
  }
  return p - start;
}

/** skp_epaddr_len: skips a user part up to "@" on the same line, then epaddr_len. */
function skpEpaddrLen(m: SipMsg, p: number, lim: number, shift: Shift): number {
  const start = p;
  const s = shift.v;
  while (p < lim && m.at(p) !== 0x40 && m.at(p) !== 0x0d && m.at(p) !== 0x0a) {
    shift.v++;
    p++;
  }
  if (p < lim && m.at(p) === 0x40) {
    p++;
    shift.v++;
  } else {
    p = start;
    shift.v = s;
  }
  return epaddrLen(m, p, lim);
}

function sdpAddrLen(m: SipMsg, p: number, lim: number): number {
  return sdpParseAddr(m, p, lim, scratchAddr, scratchEnd) ? scratchEnd.v - p : 0;
}

// ------------------------------------------------------------------------------------------------
// SIP headers

interface HeaderDef {
  name: string;
  cname: string | null;
  search: string | null;
  matchLen: MatchLen;
}

export const SipHdr = {
  CSEQ: 0,
  FROM: 1,
  TO: 2,
  CONTACT: 3,
  VIA_UDP: 4,
  VIA_TCP: 5,
  EXPIRES: 6,
  CONTENT_LENGTH: 7,
  CALL_ID: 8,
} as const;
export type SipHdr = (typeof SipHdr)[keyof typeof SipHdr];

const SIP_HDRS: readonly HeaderDef[] = [
  { name: 'CSeq', cname: null, search: null, matchLen: digitsLen },
  { name: 'From', cname: 'f', search: 'sip:', matchLen: skpEpaddrLen },
  { name: 'To', cname: 't', search: 'sip:', matchLen: skpEpaddrLen },
  { name: 'Contact', cname: 'm', search: 'sip:', matchLen: skpEpaddrLen },
  { name: 'Via', cname: 'v', search: 'UDP ', matchLen: epaddrLen },
  { name: 'Via', cname: 'v', search: 'TCP ', matchLen: epaddrLen },
  { name: 'Expires', cname: null, search: null, matchLen: digitsLen },
  { name: 'Content-Length', cname: 'l', search: null, matchLen: digitsLen },
  { name: 'Call-Id', cname: 'i', search: null, matchLen: callidLen },
];

/** Where a match is (message offsets). */
export interface Match {
  off: number;
  len: number;
}

/** sip_follow_continuation: past a line end, the first non-blank of a continuation line, or -1. */
function followContinuation(m: SipMsg, p: number, lim: number): number {
  if (++p >= lim) return -1;
  if (m.at(p - 1) === 0x0d && m.at(p) === 0x0a && ++p >= lim) return -1;
  if (m.at(p) !== 0x20 && m.at(p) !== 0x09) return -1;
  while (p < lim && (m.at(p) === 0x20 || m.at(p) === 0x09)) p++;
  return p;
}

/** sip_skip_whitespace: blanks and continuation lines; -1 when a line ends without continuation. */
function skipWhitespace(m: SipMsg, p: number, lim: number): number {
  for (; p < lim; p++) {
    const c = m.at(p);
    if (c === 0x20 || c === 0x09) continue;
    if (c !== 0x0d && c !== 0x0a) break;
    return followContinuation(m, p, lim);
  }
  return p;
}

/**
 * ct_sip_header_search: `needle` (case-insensitive) within a header value, across continuation
 * lines (the first character of a continuation is skipped, as the kernel's loop does); -1.
 */
export function headerSearch(m: SipMsg, p: number, lim: number, needle: string): number {
  const last = lim - needle.length;
  for (; p < last; p++) {
    const c = m.at(p);
    if (c === 0x0d || c === 0x0a) {
      p = followContinuation(m, p, last);
      if (p < 0) return -1;
      continue;
    }
    if (m.ci(p, needle)) return p;
  }
  return -1;
}

/** ct_sip_get_header from `dataoff`: 1 found, 0 none, -1 found but its value does not parse. */
export function getHeader(m: SipMsg, dataoff: number, type: SipHdr, match: Match): -1 | 0 | 1 {
  const hdr = SIP_HDRS[type]!;
  const lim = m.len;
  for (let p = dataoff; p < lim; p++) {
    if (m.at(p) !== 0x0d && m.at(p) !== 0x0a) continue;
    if (++p >= lim) break;
    if (m.at(p - 1) === 0x0d && m.at(p) === 0x0a && ++p >= lim) break;
    if (m.at(p) === 0x20 || m.at(p) === 0x09) continue;
    if (lim - p >= hdr.name.length && m.ci(p, hdr.name)) p += hdr.name.length;
    else if (hdr.cname !== null && lim - p >= hdr.cname.length + 1 && m.ci(p, hdr.cname) && !isAlpha(m.at(p + hdr.cname.length))) p += hdr.cname.length;
    else continue;
    p = skipWhitespace(m, p, lim);
    if (p < 0) break;
    if (m.at(p) !== 0x3a || ++p >= lim) break;
    p = skipWhitespace(m, p, lim);
    if (p < 0) break;
    match.off = p;
    return measure(m, hdr, p, lim, match);
  }
  return 0;
}

/** The value after the header's marker, measured. */
function measure(m: SipMsg, hdr: HeaderDef, p: number, lim: number, match: Match): -1 | 1 {
  if (hdr.search !== null) {
    p = headerSearch(m, p, lim, hdr.search);
    if (p < 0) return -1;
    p += hdr.search.length;
  }
  const shift: Shift = { v: 0 };
  match.len = hdr.matchLen(m, p, lim, shift);
  if (match.len === 0) return -1;
  match.off = p + shift.v;
  return 1;
}

/** ct_sip_next_header: the next comma-separated value of the same header. */
function nextHeader(m: SipMsg, dataoff: number, type: SipHdr, match: Match): -1 | 0 | 1 {
  const hdr = SIP_HDRS[type]!;
  let p = headerSearch(m, dataoff, m.len, ',');
  if (p < 0 || hdr.search === null) return 0;
  p = headerSearch(m, p, m.len, hdr.search);
  if (p < 0) return 0;
  p += hdr.search.length;
  match.off = p;
  const shift: Shift = { v: 0 };
  match.len = hdr.matchLen(m, p, m.len, shift);
  if (match.len === 0) return -1;
  match.off += shift.v;
  return 1;
}

/** In-header state of a walk over comma-separated values. */
export interface InHeader {
  v: boolean;
}

/** ct_sip_walk_headers: the next parsable value of a header type. */
function walkHeaders(m: SipMsg, dataoff: number, type: SipHdr, inHeader: InHeader | null, match: Match): 0 | 1 {
  if (inHeader !== null && inHeader.v) {
    for (;;) {
      const r = nextHeader(m, dataoff, type, match);
      if (r > 0) return 1;
      if (r === 0) break;
      dataoff = match.off;
    }
    inHeader.v = false;
  }
  for (;;) {
    const r = getHeader(m, dataoff, type, match);
    if (r > 0) break;
    if (r === 0) return 0;
    dataoff = match.off;
  }
  if (inHeader !== null) inHeader.v = true;
  return 1;
}

/** An address and port found in a URI. */
export interface UriAddr {
  readonly addr: Uint32Array;
  port: number;
}

export const SIP_PORT = 5060;

const uriEnd: AddrEnd = { v: 0 };
const portNum = { value: 0, end: 0 };

/** "[:port]" after an address: the port (1024..65535), 5060 without one, -1 out of range. */
function uriPort(m: SipMsg, c: number, out: UriAddr, lim: number | null): { ok: boolean; end: number } {
  if ((lim === null || c < lim) && m.at(c) === 0x3a) {
    c++;
    const n = strtoulMsg(m, c, 10);
    c = portNum.end;
    if (n < 1024 || n > 65535) return { ok: false, end: c };
    out.port = n;
  } else {
    out.port = SIP_PORT;
  }
  return { ok: true, end: c };
}

/**
 * ct_sip_parse_header_uri: a header's URI address and port. `dataoff` (in/out) continues a
 * walk over several headers. 1 found, 0 none, -1 unparsable address or port.
 */
export function parseHeaderUri(
  m: SipMsg,
  dataoff: { v: number } | null,
  type: SipHdr,
  inHeader: InHeader | null,
  match: Match,
  out: UriAddr,
): -1 | 0 | 1 {
  if (walkHeaders(m, dataoff?.v ?? 0, type, inHeader, match) === 0) return 0;
  if (!sipParseAddr(m, match.off, m.len, out.addr, true, uriEnd)) return -1;
  const r = uriPort(m, uriEnd.v, out, null);
  if (!r.ok) return -1;
  if (dataoff !== null) dataoff.v = r.end;
  return 1;
}

/**
 * ct_sip_parse_request: the address of the Request-URI ("METHOD sip:user@addr[:port] ..."):
 * 1 with its place, 0 none, -1 unparsable.
 */
export function parseRequest(m: SipMsg, match: Match, out: UriAddr): -1 | 0 | 1 {
  const lim = m.len;
  const mlen = stringLen(m, 0, lim);
  if (mlen === 0) return 0;
  let p = mlen;
  if (++p >= lim) return 0;
  for (; p < lim - 4; p++) {
    const c = m.at(p);
    if (c === 0x0d || c === 0x0a) return -1;
    if (m.ci(p, 'sip:')) {
      p += 4;
      break;
    }
  }
  const shift: Shift = { v: 0 };
  if (skpEpaddrLen(m, p, lim, shift) === 0) return 0;
  p += shift.v;
  if (!sipParseAddr(m, p, lim, out.addr, true, uriEnd)) return -1;
  const r = uriPort(m, uriEnd.v, out, lim);
  if (!r.ok) return -1;
  if (r.end === p) return 0;
  match.off = p;
  match.len = r.end - p;
  return 1;
}

/** The part of a header value up to the next comma (the kernel's parameter search limit). */
function paramLimit(m: SipMsg, dataoff: number): number {
  const comma = headerSearch(m, dataoff, m.len, ',');
  return comma < 0 ? m.len : comma;
}

/** ct_sip_parse_param: the text after `name` up to ";" (or the value's end). */
export function parseParam(m: SipMsg, dataoff: number, name: string, match: Match): boolean {
  const lim = paramLimit(m, dataoff);
  let start = headerSearch(m, dataoff, lim, name);
  if (start < 0) return false;
  start += name.length;
  let end = headerSearch(m, start, lim, ';');
  if (end < 0) end = lim;
  match.off = start;
  match.len = end - start;
  return true;
}

/** ct_sip_parse_address_param: the address after `name`. */
export function parseAddressParam(m: SipMsg, dataoff: number, name: string, match: Match, addr: Uint32Array, delim: boolean): boolean {
  const lim = paramLimit(m, dataoff);
  let start = headerSearch(m, dataoff, lim, name);
  if (start < 0) return false;
  start += name.length;
  if (!sipParseAddr(m, start, lim, addr, delim, uriEnd)) return false;
  match.off = start;
  match.len = uriEnd.v - start;
  return true;
}

/** ct_sip_parse_numerical_param: the number after `name` (base 0): 1, 0 none, -1 no digits. */
export function parseNumericalParam(m: SipMsg, dataoff: number, name: string, match: Match | null, val: { v: number }): -1 | 0 | 1 {
  const lim = paramLimit(m, dataoff);
  let start = headerSearch(m, dataoff, lim, name);
  if (start < 0) return 0;
  start += name.length;
  val.v = strtoulMsg(m, start, 0);
  if (portNum.end === start) return -1;
  if (match !== null) {
    match.off = start;
    match.len = portNum.end - start;
  }
  return 1;
}

/** ct_sip_parse_transport: the URI's transport= (TCP / UDP, which must be the connection's), or the connection's protocol; 0: unusable. */
export function parseTransport(m: SipMsg, dataoff: number, connProto: number): number {
  const match: Match = { off: 0, len: 0 };
  if (!parseParam(m, dataoff, 'transport=', match)) return connProto;
  let proto: number;
  if (m.ci(match.off, 'TCP')) proto = 6;
  else if (m.ci(match.off, 'UDP')) proto = 17;
  else return 0;
  return proto === connProto ? proto : 0;
}

/**
 * simple_strtoul on the message from `p` in `base` (10, or 0: "0x" hexadecimal, "0" octal,
 * else decimal); the value modulo 2^32, its end in `portNum.end`.
 */
export function strtoulMsg(m: SipMsg, p: number, base: 0 | 10): number {
  let radix = 10;
  if (base === 0 && m.at(p) === 0x30) {
    if (lower(m.at(p + 1)) === 0x78 && hexDigit(m.at(p + 2)) >= 0) {
      radix = 16;
      p += 2;
    } else {
      radix = 8;
    }
  }
  let v = 0;
  for (;;) {
    const d = hexDigit(m.at(p));
    if (d < 0 || d >= radix) break;
    v = (Math.imul(v, radix) + d) >>> 0;
    p++;
  }
  portNum.value = v;
  portNum.end = p;
  return v;
}

/** The position where the last strtoulMsg stopped. */
export function strtoulEnd(): number {
  return portNum.end;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = lower(c);
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

// ------------------------------------------------------------------------------------------------
// SDP

export const SdpHdr = {
  UNSPEC: -1,
  VERSION: 0,
  OWNER: 1,
  CONNECTION: 2,
  MEDIA: 3,
} as const;
export type SdpHdr = (typeof SdpHdr)[keyof typeof SdpHdr];

interface SdpDef {
  name: string;
  search4: string | null;
  search6: string | null;
  matchLen: MatchLen;
}

const SDP_HDRS: readonly SdpDef[] = [
  { name: 'v=', search4: null, search6: null, matchLen: digitsLen },
  { name: 'o=', search4: 'IN IP4 ', search6: 'IN IP6 ', matchLen: sdpAddrLen },
  { name: 'c=', search4: 'IN IP4 ', search6: 'IN IP6 ', matchLen: sdpAddrLen },
  { name: 'm=', search4: null, search6: null, matchLen: mediaLen },
];

/** ct_sdp_header_search: case-sensitive, within the line. */
function sdpSearch(m: SipMsg, p: number, lim: number, needle: string): number {
  const last = lim - needle.length;
  for (; p < last; p++) {
    const c = m.at(p);
    if (c === 0x0d || c === 0x0a) return -1;
    if (m.cs(p, needle)) return p;
  }
  return -1;
}

/**
 * ct_sip_get_sdp_header: an SDP line of `type` from `dataoff`, stopping at the first line of
 * `term` (UNSPEC: none). 1 found, 0 none, -1 unparsable.
 */
export function getSdpHeader(m: SipMsg, dataoff: number, type: SdpHdr, term: SdpHdr, match: Match): -1 | 0 | 1 {
  const hdr = SDP_HDRS[type]!;
  const thdr = term === SdpHdr.UNSPEC ? null : SDP_HDRS[term]!;
  const lim = m.len;
  for (let p = dataoff; p < lim; p++) {
    if (m.at(p) !== 0x0d && m.at(p) !== 0x0a) continue;
    if (++p >= lim) break;
    if (m.at(p - 1) === 0x0d && m.at(p) === 0x0a && ++p >= lim) break;
    if (thdr !== null && lim - p >= thdr.name.length && m.ci(p, thdr.name)) break;
    if (lim - p >= hdr.name.length && m.ci(p, hdr.name)) p += hdr.name.length;
    else continue;
    match.off = p;
    const search = m.family === 4 ? hdr.search4 : hdr.search6;
    if (search !== null) {
      p = sdpSearch(m, p, lim, search);
      if (p < 0) return -1;
      p += search.length;
    }
    const shift: Shift = { v: 0 };
    match.len = hdr.matchLen(m, p, lim, shift);
    if (match.len === 0) return -1;
    match.off = p + shift.v;
    return 1;
  }
  return 0;
}

/** ct_sip_parse_sdp_addr: an SDP line's address. */
export function parseSdpAddr(m: SipMsg, dataoff: number, type: SdpHdr, term: SdpHdr, match: Match, addr: Uint32Array): -1 | 0 | 1 {
  const r = getSdpHeader(m, dataoff, type, term, match);
  if (r <= 0) return r;
  return sdpParseAddr(m, match.off, match.off + match.len, addr, scratchEnd) ? 1 : -1;
}
