/**
 * Value parsers and printers shared by the iptables front end and its extensions, with the
 * semantics of libxtables: numbers in C `strtoul` base-0 form (`0x10`, `010` octal, `16`),
 * protocol names from /etc/protocols, port numbers or service names, IPv4 addresses in the
 * lenient xtables form (`10.1` is 10.1.0.0) with `/bits` or dotted masks, IPv6 addresses as
 * inet_pton reads them, and the printed forms iptables-save and iptables -L use.
 *
 * Parsers return null (or throw RuleSyntaxError with iptables' wording) on bad text; they run at
 * load time only.
 */
import { fail } from './errors.js';
import { serviceToPort } from './services.js';
import { AddrError, parseIpv4, parseIpv6Into } from '../packet/addr.js';
import { ipv4String, ipv6String } from '../packet/view.js';

// ------------------------------------------------------------------------------------------------
// numbers

/** Result of scanning an unsigned number at the start of a string. */
export interface Scanned {
  value: number;
  /** Index just past the number. */
  end: number;
}

const U64_MAX = 18446744073709551615;

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return 99;
}

/**
 * C strtoumax(s + pos, &end, 0): optional white space and '+', then `0x` hex, `0` octal or
 * decimal digits. Null when no digit was read, when the text starts with '-', or on overflow.
 */
export function scanUint(s: string, pos = 0): Scanned | null {
  let i = pos;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  if (s[i] === '-') return null;
  if (s[i] === '+') i++;
  let base = 10;
  if (s[i] === '0') {
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s.charCodeAt(i + 2)) < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  const start = i;
  let value = 0;
  while (i < s.length) {
    const d = digitValue(s.charCodeAt(i));
    if (d >= base) break;
    value = value * base + d;
    i++;
  }
  if (i === start) return null;
  if (value > U64_MAX) return null;
  return { value, end: i };
}

/** xtables_strtoui: the whole string is one number within [min, max]. */
export function parseUint(s: string, min: number, max: number): number | null {
  const r = scanUint(s);
  if (r === null || r.end !== s.length) return null;
  if (r.value < min || r.value > max) return null;
  return r.value;
}

/**
 * xtables_strtoul for 64-bit values, exactly (scanUint works in doubles): the whole string is
 * one number in C's base-0 syntax within [min, max].
 */
export function parseUint64(s: string, min: bigint, max: bigint): bigint | null {
  const r = scanUint(s);
  if (r === null || r.end !== s.length) return null;
  const text = s.trim().replace(/^\+/, '');
  const exact = /^0[xX]/.test(text) ? BigInt(text) : /^0\d/.test(text) ? BigInt(`0o${text.slice(1)}`) : BigInt(text);
  if (exact < min || exact > max) return null;
  return exact;
}

/** `0x` + lower-case hex, as printf("0x%x"). */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

// ------------------------------------------------------------------------------------------------
// protocols

/** /etc/protocols (Debian netbase): number, official name, aliases. */
const PROTOCOLS: readonly (readonly [number, string, ...string[]])[] = [
  [0, 'ip', 'IP'],
  [0, 'hopopt', 'HOPOPT'],
  [1, 'icmp', 'ICMP'],
  [2, 'igmp', 'IGMP'],
  [3, 'ggp', 'GGP'],
  [4, 'ipencap', 'IP-ENCAP'],
  [5, 'st', 'ST'],
  [6, 'tcp', 'TCP'],
  [8, 'egp', 'EGP'],
  [9, 'igp', 'IGP'],
  [12, 'pup', 'PUP'],
  [17, 'udp', 'UDP'],
  [20, 'hmp', 'HMP'],
  [22, 'xns-idp', 'XNS-IDP'],
  [27, 'rdp', 'RDP'],
  [29, 'iso-tp4', 'ISO-TP4'],
  [33, 'dccp', 'DCCP'],
  [36, 'xtp', 'XTP'],
  [37, 'ddp', 'DDP'],
  [38, 'idpr-cmtp', 'IDPR-CMTP'],
  [41, 'ipv6', 'IPv6'],
  [43, 'ipv6-route', 'IPv6-Route'],
  [44, 'ipv6-frag', 'IPv6-Frag'],
  [45, 'idrp', 'IDRP'],
  [46, 'rsvp', 'RSVP'],
  [47, 'gre', 'GRE'],
  [50, 'esp', 'IPSEC-ESP'],
  [51, 'ah', 'IPSEC-AH'],
  [57, 'skip', 'SKIP'],
  [58, 'ipv6-icmp', 'IPv6-ICMP'],
  [59, 'ipv6-nonxt', 'IPv6-NoNxt'],
  [60, 'ipv6-opts', 'IPv6-Opts'],
  [73, 'rspf', 'RSPF', 'CPHB'],
  [81, 'vmtp', 'VMTP'],
  [88, 'eigrp', 'EIGRP'],
  [89, 'ospf', 'OSPFIGP'],
  [93, 'ax.25', 'AX.25'],
  [94, 'ipip', 'IPIP'],
  [97, 'etherip', 'ETHERIP'],
  [98, 'encap', 'ENCAP'],
  [103, 'pim', 'PIM'],
  [108, 'ipcomp', 'IPCOMP'],
  [112, 'vrrp', 'VRRP'],
  [115, 'l2tp', 'L2TP'],
  [124, 'isis', 'IS-IS'],
  [132, 'sctp', 'SCTP'],
  [133, 'fc', 'FC'],
  [135, 'mobility-header', 'Mobility-Header'],
  [136, 'udplite', 'UDPLite'],
  [137, 'mpls-in-ip', 'MPLS-in-IP'],
  [138, 'manet'],
  [139, 'hip', 'HIP'],
  [140, 'shim6', 'Shim6'],
  [141, 'wesp', 'WESP'],
  [142, 'rohc', 'ROHC'],
  [143, 'ethernet', 'Ethernet'],
];

/** libxtables' own protocol names, searched before /etc/protocols when printing. */
const CHAIN_PROTOS: readonly (readonly [string, number])[] = [
  ['tcp', 6],
  ['sctp', 132],
  ['udp', 17],
  ['udplite', 136],
  ['icmp', 1],
  ['ipv6-icmp', 58],
  ['icmpv6', 58],
  ['esp', 50],
  ['ah', 51],
  ['mobility-header', 135],
  ['ipv6-mh', 135],
  ['mh', 135],
  ['all', 0],
];

/** xtables_parse_protocol: a number 0..255, `all`, or a protocol name (already lower-cased). */
export function parseProtocol(s: string): number | null {
  const n = parseUint(s, 0, 255);
  if (n !== null) return n;
  if (s === 'all') return 0;
  for (const [num, ...names] of PROTOCOLS) if (names.includes(s)) return num;
  for (const [name, num] of CHAIN_PROTOS) if (name === s) return num;
  return null;
}

/** The name iptables-save prints for a protocol number (libxtables names first), or null. */
export function protocolName(proto: number): string | null {
  for (const [name, num] of CHAIN_PROTOS) if (num === proto) return name;
  if (proto === 0) return null;
  for (const [num, name] of PROTOCOLS) if (num === proto) return name;
  return null;
}

// ------------------------------------------------------------------------------------------------
// ports

/** A port number or a service name for `proto` (xtables_parse_port); null when neither. */
export function portValue(s: string, proto: string | null): number | null {
  const n = parseUint(s, 0, 65535);
  if (n !== null) return n;
  const p = serviceToPort(s, proto);
  return p < 0 ? null : p;
}

/** xtables_parse_port: as portValue, failing with iptables' message. */
export function parsePort(s: string, proto: string | null): number {
  const p = portValue(s, proto);
  if (p === null) fail(`invalid port/service \`${s}' specified`);
  return p;
}

/**
 * A port range `a`, `a:b`, `:b` or `a:` (the tcp/udp/sctp match form): [lo, hi]. A reversed
 * range is refused as libxt_tcp refuses it.
 */
export function parsePortRange(s: string, proto: string | null): [number, number] {
  const colon = s.indexOf(':');
  if (colon < 0) {
    const p = parsePort(s, proto);
    return [p, p];
  }
  const lo = colon === 0 ? 0 : parsePort(s.slice(0, colon), proto);
  const hiText = s.slice(colon + 1);
  const hi = hiText === '' ? 65535 : parsePort(hiText, proto);
  if (lo > hi) fail(`invalid portrange (min > max)`);
  return [lo, hi];
}

// ------------------------------------------------------------------------------------------------
// addresses

export type Family = 4 | 6;

/** An address with its mask, both as four words (IPv4 in word 0, host order). */
export interface AddrMask {
  readonly addr: Uint32Array;
  readonly mask: Uint32Array;
}

/** libxtables' dotted IPv4: 1 to 4 parts, each a base-0 number 0..255; missing parts are 0. */
export function parseIpv4Numeric(s: string, isMask = false): number | null {
  const parts = s.split('.');
  if (parts.length > 4) {
    // the fourth part is then "d.e", which is not a number
    return null;
  }
  if (isMask && parts.length !== 4) return null;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    let octet = 0;
    if (part !== undefined) {
      const n = parseUint(part, 0, 255);
      if (n === null) return null;
      octet = n;
    }
    value = value * 256 + octet;
  }
  return value;
}

/** Strict IPv6 text (inet_pton) into four words, or null. */
export function parseIpv6Numeric(s: string): Uint32Array | null {
  const w = new Uint32Array(4);
  try {
    parseIpv6Into(s, w);
  } catch (e) {
    if (e instanceof AddrError) return null;
    throw e;
  }
  return w;
}

/** inet_pton: strict dotted-quad IPv4 or IPv6 text into four words, or null. */
export function parseInetPton(family: Family, s: string): Uint32Array | null {
  if (family === 6) return parseIpv6Numeric(s);
  const w = new Uint32Array(4);
  try {
    w[0] = parseIpv4(s);
  } catch (e) {
    if (e instanceof AddrError) return null;
    throw e;
  }
  return w;
}

/** A numeric address of `family` into four words (libxtables' lenient IPv4 form), or null. */
export function parseAddr(family: Family, s: string): Uint32Array | null {
  if (family === 6) return parseIpv6Numeric(s);
  const v = parseIpv4Numeric(s);
  if (v === null) return null;
  const w = new Uint32Array(4);
  w[0] = v;
  return w;
}

/** The mask of a prefix length. */
export function prefixMask(family: Family, bits: number): Uint32Array {
  const m = new Uint32Array(4);
  const words = family === 4 ? 1 : 4;
  let left = bits;
  for (let i = 0; i < words; i++) {
    const b = Math.max(0, Math.min(32, left));
    m[i] = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    left -= 32;
  }
  return m;
}

/** Prefix length of a contiguous mask, -1 for a non-contiguous one. */
export function maskToPrefix(family: Family, mask: ArrayLike<number>): number {
  const words = family === 4 ? 1 : 4;
  let bits = 0;
  let ended = false;
  for (let i = 0; i < words; i++) {
    const w = mask[i]! >>> 0;
    for (let b = 31; b >= 0; b--) {
      const set = ((w >>> b) & 1) === 1;
      if (set && ended) return -1;
      if (set) bits++;
      else ended = true;
    }
  }
  return bits;
}

/** A mask given after '/': prefix length or a full numeric mask; fails as libxtables does. */
export function parseMaskText(family: Family, s: string): Uint32Array {
  const full = family === 4 ? parseIpv4Numeric(s, true) : parseIpv6Numeric(s);
  if (full !== null) {
    if (typeof full === 'number') {
      const w = new Uint32Array(4);
      w[0] = full;
      return w;
    }
    return full;
  }
  const bits = parseUint(s, 0, family === 4 ? 32 : 128);
  if (bits === null) fail(`invalid mask \`${s}' specified`);
  return prefixMask(family, bits);
}

/** Applies `mask` to `addr` in place. */
export function applyMask(addr: Uint32Array, mask: ArrayLike<number>): void {
  for (let i = 0; i < 4; i++) addr[i] = (addr[i]! & mask[i]!) >>> 0;
}

/**
 * xtables_ipparse_multiple / xtables_ip6parse_multiple: comma-separated `addr[/mask]` items.
 * Host names are not resolved (the engine has no resolver): they fail as an unknown host does.
 */
export function parseAddrList(family: Family, text: string): AddrMask[] {
  const out: AddrMask[] = [];
  for (const raw of text.split(',')) {
    const item = raw.replace(/^\s+/, '');
    const slash = item.lastIndexOf('/');
    const mask = slash >= 0 ? parseMaskText(family, item.slice(slash + 1)) : prefixMask(family, 128);
    const host = slash >= 0 ? item.slice(0, slash) : item;
    const zero = mask.every((w) => w === 0);
    const addr = zero ? new Uint32Array(4) : parseAddr(family, host);
    if (addr === null) fail(`host/network \`${host}' not found`);
    applyMask(addr, mask);
    out.push({ addr, mask });
  }
  return out;
}

/** An IPv4 word as dotted quad. */
export const ipv4Text = ipv4String;

/** inet_ntop(AF_INET6) as glibc prints it (the one implementation lives beside PacketView). */
export const ipv6Text = ipv6String;

/** Address text for a family. */
export function addrText(family: Family, w: ArrayLike<number>): string {
  return family === 4 ? ipv4Text(w[0]! >>> 0) : ipv6Text(w);
}

/** `/bits`, `/mask` or '' (full mask) as iptables -L prints after an address. */
export function maskSuffixList(family: Family, mask: ArrayLike<number>): string {
  const bits = maskToPrefix(family, mask);
  if (bits < 0) return `/${addrText(family, mask)}`;
  return bits === (family === 4 ? 32 : 128) ? '' : `/${bits}`;
}

/** `addr/bits` (or `addr/mask` when not contiguous) as iptables-save prints. */
export function addrMaskSave(family: Family, addr: ArrayLike<number>, mask: ArrayLike<number>): string {
  const bits = maskToPrefix(family, mask);
  return `${addrText(family, addr)}/${bits < 0 ? addrText(family, mask) : bits}`;
}

/** True when the masked packet address equals `addr` (both four words). */
export function addrMatches(
  family: Family,
  pkt: Uint32Array,
  addr: Uint32Array,
  mask: Uint32Array,
): boolean {
  if (family === 4) return ((pkt[0]! & mask[0]!) >>> 0) === addr[0];
  return (
    ((pkt[0]! & mask[0]!) >>> 0) === addr[0] &&
    ((pkt[1]! & mask[1]!) >>> 0) === addr[1] &&
    ((pkt[2]! & mask[2]!) >>> 0) === addr[2] &&
    ((pkt[3]! & mask[3]!) >>> 0) === addr[3]
  );
}

/** Compares two addresses as unsigned big-endian numbers: <0, 0, >0. */
export function addrCompare(family: Family, a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = family === 4 ? 1 : 4;
  for (let i = 0; i < n; i++) {
    const x = a[i]! >>> 0;
    const y = b[i]! >>> 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * xtables_save_string: a word of letters, digits, '_' and '-' as is; anything else double-quoted
 * with '"', '\\' and "'" escaped by a backslash.
 */
export function saveString(s: string): string {
  if (/^[-_0-9A-Za-z]+$/.test(s)) return s;
  return `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/** UTF-8 bytes of a string (what a C program gets from the same command line). */
export function utf8Bytes(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}
