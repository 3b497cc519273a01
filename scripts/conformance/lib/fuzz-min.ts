/**
 * Delta debugging (Zeller's ddmin, complements first) with a test budget, and the divergence
 * signature the fuzzer minimises against: which kind of packet (the generator's note, without the
 * flow id and the fate on the way), which fields differ, and how (kernel vs ctkit values, the
 * region of a transmitted packet, the kinds of events, the shape of table lines), stable when
 * steps or rules are removed.
 *
 * Pure: no Node APIs, so that it is unit-tested without a kernel.
 */

import type { ComparisonResult } from '../../../src/conformance/compare.js';
import type { KernelRecording } from '../../../src/conformance/types.js';

/** Tests left for a minimisation. */
export interface Budget {
  left: number;
}

/**
 * The smallest sublist (1-minimal within the budget) of `items` for which `test` holds, given that
 * it holds for `items`. `test` is never called on the empty list, nor twice on the same sublist.
 */
export async function ddmin<T>(items: readonly T[], test: (subset: T[]) => Promise<boolean>, budget: Budget): Promise<T[]> {
  let cur = items.map((_, k) => k);
  const seen = new Map<string, boolean>();
  const run = async (idx: number[]): Promise<boolean> => {
    const key = idx.join(',');
    const known = seen.get(key);
    if (known !== undefined) return known;
    if (!idx.length || budget.left <= 0) return false;
    budget.left--;
    const ok = await test(idx.map((k) => items[k]!));
    seen.set(key, ok);
    return ok;
  };
  let n = 2;
  while (cur.length >= 2 && budget.left > 0) {
    const size = Math.ceil(cur.length / n);
    const chunks: number[][] = [];
    for (let k = 0; k < cur.length; k += size) chunks.push(cur.slice(k, k + size));
    let reduced = false;
    // a chunk alone
    for (const ch of chunks) {
      if (chunks.length > 1 && (await run(ch))) {
        cur = ch;
        n = 2;
        reduced = true;
        break;
      }
    }
    // everything but a chunk
    if (!reduced) {
      for (const ch of chunks) {
        const rest = cur.filter((k) => !ch.includes(k));
        if (rest.length && (await run(rest))) {
          cur = rest;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return cur.map((k) => items[k]!);
}

// ------------------------------------------------------------------------------------------------
// signatures

/** The first divergence of a comparison, described independently of packet numbers. */
export interface Divergence {
  /** Packet number (null: the final tables or an error). */
  i: number | null;
  /** The generator's note of that packet. */
  note: string;
  /** Fields that differ at that packet (or `conntrack table` / `expect table` / `error`); the first one is in the signature. */
  fields: string[];
  /** The comparator's first problem line for it. */
  message: string;
  /** What identifies the divergence across minimisation. */
  signature: string;
}

/** A note without its flow id, its fate on the way and numbers. */
export function noteKind(note: string): string {
  return note
    .replace(/^[a-z]\d+ /, '')
    .replace(/ (lost-after|lost-before|dup|duplicate|reordered)\b/g, '')
    .replace(/\d+/g, '#')
    .trim();
}

/** Conntrack line reduced to its shape: protocol, state, flags and event type. */
export function lineShape(line: string): string {
  const w = line.trim().split(/\s+/);
  const out: string[] = [];
  for (const t of w) {
    if (/^\[(NEW|UPDATE|DESTROY)\]$/.test(t)) out.push(t);
    else if (/^(tcp|udp|icmp|icmpv6|sctp|gre|unknown|udplite|dccp)$/.test(t) && !out.some((x) => /^[a-z]/.test(x))) out.push(t);
    else if (/^[A-Z_]{4,}$/.test(t)) out.push(t);
    else if (/^\[(ASSURED|UNREPLIED|OFFLOAD|HW_OFFLOAD)\]$/.test(t)) out.push(t);
    else if (/^(mark|zone)=/.test(t)) out.push(t.replace(/=.*/, '='));
  }
  return out.join(' ');
}

/** Rule names without their positions (rules come and go during minimisation). */
const ruleShape = (r: unknown): string => (Array.isArray(r) ? r.map((x) => String(x).replace(/ \d+$/, ' #')).join(', ') : String(r));

/** The region of an IPv4/TCP/UDP/ICMP packet a byte offset falls in. */
export function byteRegion(hex: string, off: number): string {
  const b = (k: number): number => parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  if (off < 20) return ['ip-ver', 'ip-tos', 'ip-len', 'ip-len', 'ip-id', 'ip-id', 'ip-frag', 'ip-frag', 'ip-ttl', 'ip-proto', 'ip-csum', 'ip-csum', 'ip-src', 'ip-src', 'ip-src', 'ip-src', 'ip-dst', 'ip-dst', 'ip-dst', 'ip-dst'][off]!;
  const ihl = (b(0) & 15) * 4;
  if (off < ihl) return 'ip-options';
  const l4 = off - ihl;
  const proto = b(9);
  if (proto === 6) return l4 < 4 ? 'tcp-ports' : l4 < 8 ? 'tcp-seq' : l4 < 12 ? 'tcp-ack' : l4 < 14 ? 'tcp-flags' : l4 < 16 ? 'tcp-win' : l4 < 18 ? 'tcp-csum' : l4 < 20 ? 'tcp-urg' : l4 < ((b(ihl + 12) >> 4) * 4) ? 'tcp-options' : 'tcp-payload';
  if (proto === 17) return l4 < 4 ? 'udp-ports' : l4 < 6 ? 'udp-len' : l4 < 8 ? 'udp-csum' : 'udp-payload';
  if (proto === 1) return l4 < 2 ? 'icmp-type' : l4 < 4 ? 'icmp-csum' : l4 < 8 ? 'icmp-rest' : l4 < 28 ? 'icmp-inner-ip' : 'icmp-inner-l4';
  return `proto${proto}-payload`;
}

/**
 * The regions where two packets of the same length differ, checksums left out when something else
 * differs (they follow from it), the IP ID and header checksum of generated packets never (masked).
 */
export function diffRegions(kernelHex: string, ctkitHex: string, gen: boolean): string[] {
  const set = new Set<string>();
  const n = Math.min(kernelHex.length, ctkitHex.length) >> 1;
  for (let k = 0; k < n; k++) {
    if (kernelHex.slice(2 * k, 2 * k + 2) === ctkitHex.slice(2 * k, 2 * k + 2)) continue;
    const r = byteRegion(kernelHex, k);
    if (gen && (r === 'ip-id' || r === 'ip-csum')) continue;
    set.add(r);
  }
  const all = [...set];
  const main = all.filter((r) => !r.endsWith('-csum'));
  return (main.length ? main : all).slice(0, 4);
}

/** A packet field's difference reduced to its kind. */
function fieldShape(field: string, message: string, expected: unknown, actual: unknown): string {
  switch (field) {
    case 'out': {
      const cnt = /kernel sent (\d+) packet\(s\) (\[.*?\]), ctkit (\d+) (\[.*?\])/.exec(message);
      if (cnt) return `out count kernel ${cnt[1]} ctkit ${cnt[3]}`;
      const len = /out\[\d+\] length/.exec(message);
      if (len) return 'out length';
      const byte = /out\[(\d+)\] \S+ byte (\d+) differs/.exec(message);
      if (byte) {
        const k = Number(byte[1]);
        const e = Array.isArray(expected) ? (expected[k] as { hex?: string; gen?: boolean } | undefined) : undefined;
        const a = Array.isArray(actual) ? (actual[k] as { hex?: unknown } | undefined) : undefined;
        const regions = e?.hex && typeof a?.hex === 'string' ? diffRegions(e.hex, a.hex, Boolean(e.gen)) : [];
        return `out bytes ${regions.length ? regions.join(',') : e?.hex ? byteRegion(e.hex, Number(byte[2])) : '?'}`;
      }
      return `out ${message.replace(/\d+/g, '#').slice(0, 60)}`;
    }
    case 'events': {
      const ex = (Array.isArray(expected) ? expected : []).map((x) => lineShape(String(x)));
      const ac = (Array.isArray(actual) ? actual : []).map((x) => lineShape(String(x)));
      const missing = ex.filter((x) => !ac.includes(x));
      const unexpected = ac.filter((x) => !ex.includes(x));
      return `events kernel {${missing.join('; ') || '~'}} ctkit {${unexpected.join('; ') || '~'}}`;
    }
    case 'rules':
      return `rules kernel [${ruleShape(expected)}] ctkit [${ruleShape(actual)}]`;
    default:
      return `${field} kernel ${String(expected)} ctkit ${String(actual)}`;
  }
}

/**
 * True when the only difference is ctkit listing, in the final table, entries with 0 s left: the
 * contract's table is taken at the last packet's time, the recorder's `conntrack -L` some
 * milliseconds later, when the kernel has already let them expire (not a divergence, not a
 * fixture either).
 */
export function dumpDelayArtifact(r: ComparisonResult): boolean {
  if (r.error || r.p !== r.n || !r.tableDiffs.length) return false;
  return r.tableDiffs.every((t) => t.table === 'conntrack' && !t.absent && !t.missing.length && t.unexpected.every((l) => l.trim().split(/\s+/)[2] === '0'));
}

/** The first divergence of a comparison (null when everything agrees). */
export function firstDivergence(r: ComparisonResult, kernel: KernelRecording): Divergence | null {
  if (r.error) {
    const msg = r.error.replace(/\/\S+\//g, '').replace(/\d+/g, '#');
    return { i: null, note: '', fields: ['error'], message: r.error, signature: `error | ${msg.slice(0, 160)}` };
  }
  const missing = r.missingPackets.length ? Math.min(...r.missingPackets) : Infinity;
  const firstDiff = r.packetDiffs.length ? Math.min(...r.packetDiffs.map((d) => d.i)) : Infinity;
  const i = Math.min(missing, firstDiff);
  if (i !== Infinity) {
    const note = String(kernel.packets[i]?.oracle?.note ?? '');
    if (i === missing) return { i, note, fields: ['missing'], message: `#${i}: no record`, signature: `${noteKind(note)} | missing record` };
    const diffs = r.packetDiffs.filter((d) => d.i === i);
    const fields = diffs.map((d) => d.field);
    const d = diffs[0]!;
    // the first differing field (in the contract's order) names the divergence; later fields of the
    // same packet usually follow from it and come and go with unrelated rules during minimisation
    return { i, note, fields, message: `#${i} ${d.message}`, signature: `${noteKind(note)} | ${fieldShape(d.field, d.message, d.expected, d.actual)}` };
  }
  const t = r.tableDiffs[0];
  if (t && dumpDelayArtifact(r)) return null;
  if (t) {
    const shape = `missing {${t.missing.map(lineShape).join('; ')}} unexpected {${t.unexpected.map(lineShape).join('; ')}}`;
    return { i: null, note: '', fields: [`${t.table} table`], message: r.problems.find((p) => p.startsWith('final')) ?? `final ${t.table} table differs`, signature: `final ${t.table} table | ${shape}` };
  }
  if (r.scenario) return null;
  return { i: null, note: '', fields: ['other'], message: r.problems[0] ?? 'differs', signature: `other | ${(r.problems[0] ?? '').replace(/\d+/g, '#').slice(0, 120)}` };
}
