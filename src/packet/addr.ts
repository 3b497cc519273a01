/**
 * IP address text <-> words, the one parser everyone uses.
 *
 * Addresses are held as PacketView holds them: IPv4 as one host-order number in word 0 (words 1..3
 * zero), IPv6 as four big-endian 32-bit words. Parsing accepts dotted-quad IPv4 (no leading
 * zeros, as inet_pton) and every RFC 4291 IPv6 text form: eight groups, `::` compression
 * anywhere, and a trailing embedded dotted-quad. Bad text raises AddrError naming what was wrong;
 * `tryParseIp` returns null instead. Formatting lives beside PacketView (view.ts) and is re-exported.
 */
export { addrString, ipv4String, ipv6String } from './view.js';

export interface IpAddr {
  family: 4 | 6;
  words: Uint32Array;
}

/** Thrown for address text that is not an IPv4 or IPv6 address. */
export class AddrError extends Error {
  constructor(
    readonly text: string,
    reason: string,
  ) {
    super(`invalid IP address "${text}": ${reason}`);
    this.name = 'AddrError';
  }
}

/** Parses IPv4 or IPv6 text (the presence of ':' decides). Throws AddrError. */
export function parseIp(text: string): IpAddr {
  const words = new Uint32Array(4);
  if (text.includes(':')) {
    parseIpv6Into(text, words);
    return { family: 6, words };
  }
  words[0] = parseIpv4(text);
  return { family: 4, words };
}

/** Like parseIp, but null for bad text. */
export function tryParseIp(text: string): IpAddr | null {
  try {
    return parseIp(text);
  } catch (e) {
    if (e instanceof AddrError) return null;
    throw e;
  }
}

/** Dotted-quad IPv4 text to a host-order unsigned number. Throws AddrError. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new AddrError(text, 'IPv4 needs four dot-separated numbers');
  let n = 0;
  for (const part of parts) n = n * 256 + parseOctet(text, part);
  return n;
}

function parseOctet(text: string, part: string): number {
  if (!/^[0-9]{1,3}$/.test(part)) throw new AddrError(text, `"${part}" is not a number 0..255`);
  if (part.length > 1 && part[0] === '0') throw new AddrError(text, `"${part}" has a leading zero`);
  const v = Number(part);
  if (v > 255) throw new AddrError(text, `${v} is above 255`);
  return v;
}

/** IPv6 text to four big-endian words written into `out`. Throws AddrError. */
export function parseIpv6Into(text: string, out: Uint32Array): void {
  const groups = parseIpv6Groups(text);
  for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
}

/** The eight 16-bit groups of an IPv6 text address. */
function parseIpv6Groups(text: string): number[] {
  const halves = text.split('::');
  if (halves.length > 2) throw new AddrError(text, '"::" appears more than once');
  const head = parseGroupList(text, halves[0]!, halves.length === 1);
  if (halves.length === 1) {
    if (head.length !== 8) throw new AddrError(text, `${head.length} groups instead of 8`);
    return head;
  }
  const tail = parseGroupList(text, halves[1]!, true);
  const missing = 8 - head.length - tail.length;
  if (missing < 1) throw new AddrError(text, '"::" stands for no group');
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Colon-separated groups; `last` allows an embedded dotted-quad as the final item. */
function parseGroupList(text: string, list: string, last: boolean): number[] {
  if (list === '') return [];
  const items = list.split(':');
  const groups: number[] = [];
  items.forEach((item, i) => {
    if (last && i === items.length - 1 && item.includes('.')) {
      const v4 = parseIpv4Embedded(text, item);
      groups.push(v4 >>> 16, v4 & 0xffff);
      return;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(item)) throw new AddrError(text, `"${item}" is not a 1-4 digit hex group`);
    groups.push(parseInt(item, 16));
  });
  return groups;
}

function parseIpv4Embedded(text: string, item: string): number {
  try {
    return parseIpv4(item);
  } catch (e) {
    if (e instanceof AddrError) throw new AddrError(text, `embedded IPv4 "${item}" is invalid`);
    throw e;
  }
}
