/**
 * Connection label names: the connlabel.conf file libnetfilter_conntrack reads
 * (/etc/xtables/connlabel.conf on a real host; `ctkit conntrack --connlabel FILE` here).
 *
 * Each line "BIT NAME": the bit a number (strtoul, base 0) below 1024, the name what follows with
 * blanks trimmed, made of letters, digits, blanks and '-'. Lines starting with '#', lines whose
 * bit was already named, duplicate names and names with other characters are skipped, as the
 * library skips them. A file naming nothing gives no map at all, like a missing file.
 */
import { strtoul } from './cnum.js';

const MAX_BITS = 1024;

export interface LabelMap {
  /** name -> bit */
  readonly bits: ReadonlyMap<string, number>;
  /** bit -> name (what `-o labels` prints) */
  readonly names: ReadonlyMap<number, string>;
}

function saneName(name: string): boolean {
  return /^[A-Za-z0-9 -]+$/.test(name);
}

/** One line's bit and name, or null when the library would skip it. */
function parseLine(line: string): { bit: number; name: string } | null {
  if (line.startsWith('#')) return null;
  const p = strtoul(line);
  if (p.end === 0 || p.value >= BigInt(MAX_BITS)) return null;
  const name = line.slice(p.end).replace(/^[ \f\r\t\v]+/, '').replace(/[ \f\r\t\v]+$/, '');
  if (name === '' || !saneName(name)) return null;
  return { bit: Number(p.value), name };
}

/** The map a connlabel.conf text defines, or null when it names no label. */
export function parseConnlabel(text: string): LabelMap | null {
  const bits = new Map<string, number>();
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const entry = parseLine(line);
    if (entry === null || names.has(entry.bit) || bits.has(entry.name)) continue;
    bits.set(entry.name, entry.bit);
    names.set(entry.bit, entry.name);
  }
  return names.size === 0 ? null : { bits, names };
}
