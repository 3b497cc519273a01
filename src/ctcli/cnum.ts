/**
 * Numbers and addresses read the way conntrack reads them: with the C library's atoi, strtoul
 * (base 0: "0x" hexadecimal, a leading "0" octal) and inet_aton, whose leniency the tool inherits
 * ("--dport 80x" is port 80, "-s 10.1" is 10.0.0.1, "--zone 0x10" is zone 16). Values wrap to
 * the width of the field they are stored in, as the C casts do.
 */
import { tryParseIp } from '../packet/addr.js';

const LONG_MAX = (1n << 63n) - 1n;
const ULONG_MAX = (1n << 64n) - 1n;

/** The result of strtoul: the value and the index of the first character not used. */
export interface Parsed {
  value: bigint;
  end: number;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && /[ \t\n\v\f\r]/.test(s[i]!)) i++;
  return i;
}

function digitValue(c: string): number {
  const code = c.toLowerCase().charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  return 99;
}

/** strtoul(s, &end, base); base 0 picks 8, 10 or 16 from the prefix. `end` is 0 when nothing was read. */
export function strtoul(s: string, base = 0): Parsed {
  let i = skipSpace(s, 0);
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  let b = base;
  if ((b === 0 || b === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2] ?? '') < 16) {
    i += 2;
    b = 16;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  const start = i;
  let v = 0n;
  while (i < s.length && digitValue(s[i]!) < b) {
    v = v * BigInt(b) + BigInt(digitValue(s[i]!));
    if (v > ULONG_MAX) v = ULONG_MAX + 1n;
    i++;
  }
  if (i === start) return { value: 0n, end: 0 };
  if (v > ULONG_MAX) return { value: ULONG_MAX, end: i };
  return { value: negative ? (ULONG_MAX + 1n - v) & ULONG_MAX : v, end: i };
}

/** atoi / atol: leading blanks, a sign, decimal digits; anything else ends the number (0 when none). */
export function atol(s: string): bigint {
  let i = skipSpace(s, 0);
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  let v = 0n;
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') {
    v = v * 10n + BigInt(s.charCodeAt(i) - 48);
    if (v > LONG_MAX + 1n) v = LONG_MAX + 1n;
    i++;
  }
  if (!negative && v > LONG_MAX) v = LONG_MAX;
  return negative ? -v : v;
}

/** The low `bits` bits of a C integer, as an unsigned number (the cast to uint8/16/32). */
export function wrap(v: bigint, bits: 8 | 16 | 32): number {
  return Number(BigInt.asUintN(bits, v));
}

/** inet_aton: "a.b.c.d", "a.b.c", "a.b" or "a", each part decimal, octal or hex; host-order number or null. */
export function inetAton(text: string): number | null {
  const parts: number[] = [];
  let i = 0;
  for (;;) {
    const rest = text.slice(i);
    const p = strtoul(rest);
    if (p.end === 0 || /^[ \t]|^[+-]/.test(rest)) return null;
    if (p.value > 0xffffffffn) return null;
    parts.push(Number(p.value));
    i += p.end;
    if (text[i] !== '.') break;
    if (parts.length === 4) return null;
    i++;
  }
  if (i < text.length && !/^[ \t\n\v\f\r]/.test(text.slice(i))) return null;
  return combineParts(parts);
}

function combineParts(parts: number[]): number | null {
  const last = parts[parts.length - 1]!;
  const head = parts.slice(0, -1);
  if (head.some((p) => p > 255)) return null;
  const room = 2 ** (8 * (4 - head.length));
  if (last >= room) return null;
  let v = 0;
  for (const p of head) v = v * 256 + p;
  return v * room + last;
}

/** An address as conntrack's parse_inetaddr reads it (inet_aton, then inet_pton for IPv6). */
export function parseInetAddr(text: string): { family: 4 | 6; words: number[] } | null {
  const v4 = inetAton(text);
  if (v4 !== null) return { family: 4, words: [v4, 0, 0, 0] };
  if (!text.includes(':')) return null;
  const ip = tryParseIp(text);
  return ip && ip.family === 6 ? { family: 6, words: Array.from(ip.words) } : null;
}
