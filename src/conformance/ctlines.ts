/**
 * Canonical forms of conntrack lines and of transmitted packets, shared by the comparator
 * (compare.ts) and the kernel recorder (scripts/conformance/record.ts, which derives masks from
 * two recordings of the same scenario).
 *
 * Semantics are exactly those of the shared corpus tools (tools/ctlines.py):
 *
 * - A conntrack or expectation line (`conntrack -L`, `-L expect`, `-E`, `-E expect`) is compared
 *   as a token list: whitespace collapsed, `use=` and `id=` tokens dropped, an `ipv4 2` /
 *   `ipv6 10` prefix dropped, and the timeout taken out as a number (compared with a tolerance).
 * - A mask is a token template: `key=*` (or `*`) matches any value of that token.
 * - Packets the host generated itself have their IPv4 ID and header checksum (IPv6: flow label)
 *   masked, and in ICMP timestamp replies the wall-clock timestamps and the ICMP checksum.
 */

/** Tokens dropped from every conntrack line before comparing. */
const DROP_PREFIXES = ['use=', 'id='] as const;

/** The kind of a conntrack line: a connection entry or an expectation. */
export type LineKind = 'ct' | 'exp';

/** A conntrack line in canonical form. */
export interface CanonLine {
  /** Tokens without the timeout (and without use=/id=, ipv4/ipv6 prefix). */
  tokens: string[];
  /** The timeout in seconds, or null when the line has none (e.g. [DESTROY] events). */
  timeout: number | null;
  kind: LineKind;
}

/** Python's str.isdigit() for the ASCII strings conntrack prints. */
function isDigits(s: string | undefined): boolean {
  return s !== undefined && /^[0-9]+$/.test(s);
}

/** Splits on runs of whitespace, like Python's str.split(). */
export function splitWords(line: string): string[] {
  return line.split(/\s+/).filter((w) => w.length > 0);
}

/** Canonical form of one conntrack / expectation line. */
export function canon(line: string): CanonLine {
  const t = splitWords(line).filter((x) => !DROP_PREFIXES.some((p) => x.startsWith(p)));
  const out: string[] = [];
  let i = 0;
  if (t.length > 0 && t[0]!.startsWith('[')) {
    out.push(t[0]!);
    i = 1;
  }
  if (t.length > i + 1 && (t[i] === 'ipv4' || t[i] === 'ipv6') && isDigits(t[i + 1])) i += 2;
  if (i < t.length && isDigits(t[i])) {
    // expectation: [TAG] TIMEOUT proto=...
    return { tokens: out.concat(t.slice(i + 1)), timeout: Number(t[i]), kind: 'exp' };
  }
  if (i < t.length && i + 1 < t.length && isDigits(t[i + 1])) {
    // connection: [TAG] proto protonum [TIMEOUT] ...
    out.push(t[i]!, t[i + 1]!);
    i += 2;
    let timeout: number | null = null;
    if (i < t.length && isDigits(t[i])) {
      timeout = Number(t[i]);
      i += 1;
    }
    return { tokens: out.concat(t.slice(i)), timeout, kind: 'ct' };
  }
  const kind: LineKind = t.some((x) => x.startsWith('proto=')) ? 'exp' : 'ct';
  return { tokens: out.concat(t.slice(i)), timeout: null, kind };
}

/** True for an expectation line (`conntrack -L expect` / `-E expect`). */
export function isExpectLine(line: string): boolean {
  return canon(line).kind === 'exp';
}

/** True when a mask template token covers the given token. */
function maskTokenMatches(template: string, token: string): boolean {
  if (template === token || template === '*') return true;
  return template.endsWith('=*') && token.startsWith(template.slice(0, -1));
}

/**
 * Applies the first matching mask template: a template matches a token list of the same length
 * equal to it everywhere except where the template has `key=*` or `*`. A matching list is
 * replaced by the template itself; otherwise the tokens come back unchanged.
 */
export function applyMasks(tokens: readonly string[], masks: readonly (readonly string[])[]): string[] {
  for (const m of masks) {
    if (m.length !== tokens.length) continue;
    if (m.every((a, k) => maskTokenMatches(a, tokens[k]!))) return [...m];
  }
  return [...tokens];
}

/** A template masking the tokens in which two same-length token lists differ (null if lengths differ). */
export function makeMask(t1: readonly string[], t2: readonly string[]): string[] | null {
  if (t1.length !== t2.length) return null;
  return t1.map((a, k) => {
    const b = t2[k]!;
    if (a === b) return a;
    const ka = a.includes('=') ? a.slice(0, a.indexOf('=')) : null;
    const kb = b.includes('=') ? b.slice(0, b.indexOf('=')) : null;
    return ka !== null && ka === kb ? `${ka}=*` : '*';
  });
}

/** How many tokens of a mask template are wildcards. */
export function maskWildcards(m: readonly string[]): number {
  return m.filter((t) => t === '*' || t.endsWith('=*')).length;
}

/** Result of matching two multisets of conntrack lines. */
export interface MultisetMatch {
  /** Expected lines nothing matched. */
  missing: string[];
  /** Actual lines that matched nothing. */
  unexpected: string[];
}

interface Prepared {
  key: string;
  timeout: number | null;
  raw: string;
}

function prepare(lines: readonly string[], masks: readonly (readonly string[])[]): Prepared[] {
  return lines.map((raw) => {
    const c = canon(raw);
    return { key: applyMasks(c.tokens, masks).join(' '), timeout: c.timeout, raw };
  });
}

/** Sort order of the Python tools: lines with a timeout first, by timeout; then those without. */
function byTimeout(a: Prepared, b: Prepared): number {
  const na = a.timeout === null ? 1 : 0;
  const nb = b.timeout === null ? 1 : 0;
  if (na !== nb) return na - nb;
  return (a.timeout ?? 0) - (b.timeout ?? 0);
}

/** Greedy matching inside one group of equal canonical lines, timeouts within +-tol. */
function matchGroup(exp: Prepared[], act: Prepared[], tol: number, res: MultisetMatch): void {
  const ee = [...exp].sort(byTimeout);
  const aa = [...act].sort(byTimeout);
  const used = aa.map(() => false);
  for (const e of ee) {
    let hit = -1;
    for (let j = 0; j < aa.length; j++) {
      if (used[j]) continue;
      const a = aa[j]!;
      if ((e.timeout === null) !== (a.timeout === null)) continue;
      if (e.timeout === null || Math.abs(e.timeout - (a.timeout as number)) <= tol) {
        hit = j;
        break;
      }
    }
    if (hit < 0) res.missing.push(e.raw);
    else used[hit] = true;
  }
  aa.forEach((a, j) => {
    if (!used[j]) res.unexpected.push(a.raw);
  });
}

/**
 * Matches two multisets of conntrack lines (masks applied, timeouts within +-tol seconds).
 */
export function matchMultiset(
  expLines: readonly string[],
  actLines: readonly string[],
  masks: readonly (readonly string[])[] = [],
  tol = 2,
): MultisetMatch {
  const groups = new Map<string, [Prepared[], Prepared[]]>();
  const group = (k: string): [Prepared[], Prepared[]] => {
    let g = groups.get(k);
    if (!g) {
      g = [[], []];
      groups.set(k, g);
    }
    return g;
  };
  for (const p of prepare(expLines, masks)) group(p.key)[0].push(p);
  for (const p of prepare(actLines, masks)) group(p.key)[1].push(p);
  const res: MultisetMatch = { missing: [], unexpected: [] };
  for (const [exp, act] of groups.values()) matchGroup(exp, act, tol, res);
  return res;
}

/** A half-open byte range [from, to) of a packet. */
export type ByteRange = [number, number];

/** Where the L4 header and its checksum are in an IP packet. */
export interface L4Offsets {
  ihl: number;
  proto: number | null;
  /** Byte offset of the L4 checksum, null for non-first fragments and unknown protocols. */
  csum: number | null;
}

const CSUM_OFFSET: Record<number, number> = { 6: 16, 17: 6, 1: 2, 58: 2 };

/** IP header length, L4 protocol and L4 checksum offset of a packet (IPv6: fixed header only). */
export function l4Offsets(ip: Uint8Array): L4Offsets {
  if (ip.length === 0) return { ihl: 0, proto: null, csum: null };
  let ihl: number;
  let proto: number;
  if (ip[0]! >> 4 === 4) {
    ihl = (ip[0]! & 15) * 4;
    proto = ip[9] ?? 0;
    const frag = (((ip[6] ?? 0) << 8) | (ip[7] ?? 0)) & 0x1fff;
    if (frag) return { ihl, proto, csum: null };
  } else {
    ihl = 40;
    proto = ip[6] ?? 0;
  }
  const off = CSUM_OFFSET[proto];
  return { ihl, proto, csum: off === undefined ? null : ihl + off };
}

/**
 * Byte ranges masked in every packet the host generated itself: IPv4 ID and header checksum
 * (plus, in an ICMP timestamp reply, the checksum and the receive/transmit timestamps);
 * IPv6 flow label.
 */
export function generatedMask(ip: Uint8Array): ByteRange[] {
  if (ip.length === 0) return [];
  if (ip[0]! >> 4 !== 4) return [[1, 4]];
  const m: ByteRange[] = [
    [4, 6],
    [10, 12],
  ];
  const ihl = (ip[0]! & 15) * 4;
  if (ip.length >= ihl + 20 && ip[9] === 1 && ip[ihl] === 14) {
    m.push([ihl + 2, ihl + 4], [ihl + 12, ihl + 20]);
  }
  return m;
}

/** Decodes a hex string; throws on odd length or a non-hex character. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not hex: ${hex.slice(0, 40)}`);
  const b = new Uint8Array(hex.length / 2);
  for (let k = 0; k < b.length; k++) b[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  return b;
}

/** Encodes bytes as lowercase hex. */
export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Set of byte indexes covered by ranges. */
function maskedSet(ranges: readonly ByteRange[]): Set<number> {
  const s = new Set<number>();
  for (const [a, b] of ranges) for (let k = a; k < b; k++) s.add(k);
  return s;
}

/**
 * Equality of two hex packets outside the masked ranges (different lengths are unequal).
 * Throws when a string of the right length is not hex.
 */
export function maskedEqual(h1: string, h2: string, ranges: readonly ByteRange[]): boolean {
  if (h1.length !== h2.length) return false;
  const b1 = hexToBytes(h1);
  const b2 = hexToBytes(h2);
  const m = maskedSet(ranges);
  for (let k = 0; k < b1.length; k++) if (!m.has(k) && b1[k] !== b2[k]) return false;
  return true;
}

/** First differing byte outside the masks; the shorter length when one is a prefix; null if equal. */
export function firstDiff(h1: string, h2: string, ranges: readonly ByteRange[] = []): number | null {
  const b1 = hexToBytes(h1);
  const b2 = hexToBytes(h2);
  const m = maskedSet(ranges);
  const n = Math.min(b1.length, b2.length);
  for (let k = 0; k < n; k++) if (!m.has(k) && b1[k] !== b2[k]) return k;
  return b1.length !== b2.length ? n : null;
}
