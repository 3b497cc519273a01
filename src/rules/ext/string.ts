/**
 * -m string --algo bm|kmp [!] --string TEXT | [!] --hex-string "|48 54|TP" [--from N] [--to N]
 * [--icase] (xt_string): the pattern occurs in the packet between byte offsets FROM and TO,
 * counted from the start of the IP header (the skb data at the netfilter hooks); the whole
 * occurrence must lie inside [FROM, TO). Both algorithms find the same occurrences in a linear
 * buffer, so one search serves both. Listings show non-printable patterns in hex form.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { utf8Bytes } from '../values.js';
import { uintOption } from './common.js';
import type { ExtParser, MatchExtension } from './types.js';

const MAX_PATTERN = 128;
const MAX_ALGO = 15;

function upper(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

/** libxt_string parse_hex_string: text with |hex| blocks and \ escapes. */
export function parseHexString(s: string): Uint8Array {
  if (s.length === 0) fail('STRING must contain at least one char');
  const out: number[] = [];
  let i = 0;
  let hex = false;
  while (i < s.length) {
    if (out.length >= MAX_PATTERN) fail(`STRING too long "${s}"`);
    let literal = false;
    if (s[i] === '\\' && !hex) literal = true;
    else if (s[i] === '\\') fail('Cannot include literals in hex data');
    else if (s[i] === '|') {
      if (hex) hex = false;
      else {
        hex = true;
        while (s[i + 1] === ' ') i++;
      }
      if (i + 1 >= s.length) break;
      i++;
    }
    if (literal) {
      if (i + 1 >= s.length) fail('Bad literal placement at end of string');
      out.push(s.charCodeAt(i + 1) & 0xff);
      i += 2;
    } else if (hex) {
      if (i + 1 >= s.length) fail('Odd number of hex digits');
      if (i + 2 >= s.length) fail('Invalid hex block');
      if (!/[0-9a-fA-F]/.test(s[i]!)) fail(`Invalid hex char '${s[i]}'`);
      if (!/[0-9a-fA-F]/.test(s[i + 1]!)) fail(`Invalid hex char '${s[i + 1]}'`);
      out.push(parseInt(s.slice(i, i + 2), 16));
      i += s[i + 2] === ' ' ? 3 : 2;
    } else {
      out.push(s.charCodeAt(i) & 0xff);
      i++;
    }
  }
  return Uint8Array.from(out);
}

function isPrintable(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

export class StringMatch implements Match {
  readonly name = 'string';
  private readonly search: Uint8Array;

  constructor(
    readonly pattern: Uint8Array,
    readonly algo: string,
    readonly from: number,
    readonly to: number,
    readonly invert: boolean,
    readonly icase: boolean,
  ) {
    this.search = icase ? pattern.map(upper) : pattern;
  }

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    const base = pkt.l3Off;
    const len = pkt.ipEnd - base;
    const limit = Math.min(this.to, len);
    const p = this.search;
    const b = pkt.buf;
    let found = false;
    for (let start = this.from; start + p.length <= limit && !found; start++) {
      let j = 0;
      for (; j < p.length; j++) {
        const c = b[base + start + j]!;
        if ((this.icase ? upper(c) : c) !== p[j]) break;
      }
      found = j === p.length;
    }
    return found !== this.invert;
  }

  private isHex(): boolean {
    const p = this.pattern;
    return !p.every(isPrintable) || p[p.length - 1] === 0x5c;
  }

  private patternText(): string {
    if (this.isHex()) return ` "|${Array.from(this.pattern, (c) => c.toString(16).padStart(2, '0')).join('')}|"`;
    let s = ' "';
    for (const c of this.pattern) s += (c === 0x22 || c === 0x5c ? '\\' : '') + String.fromCharCode(c);
    return `${s}"`;
  }

  save(): string {
    let s = `-m string${this.invert ? ' !' : ''} --${this.isHex() ? 'hex-string' : 'string'}${this.patternText()} --algo ${this.algo}`;
    if (this.from !== 0) s += ` --from ${this.from}`;
    if (this.to !== 65535) s += ` --to ${this.to}`;
    if (this.icase) s += ' --icase';
    return s;
  }

  list(): string {
    let s = ` STRING match ${this.invert ? '!' : ''}${this.patternText()} ALGO name ${this.algo}`;
    if (this.from !== 0) s += ` FROM ${this.from}`;
    if (this.to !== 65535) s += ` TO ${this.to}`;
    if (this.icase) s += ' ICASE';
    return s;
  }
}

class StringParser implements ExtParser<Match> {
  private pattern: Uint8Array | null = null;
  private patternOpt: string | null = null;
  private algo: string | null = null;
  private from = 0;
  private to = 65535;
  private invert = false;
  private icase = false;

  option(name: string, arg: string, invert: boolean): void {
    switch (name) {
      case 'string':
      case 'hex-string':
        if (this.patternOpt !== null && this.patternOpt !== name) {
          fail(`string: option "--${name}" cannot be used together with "--${this.patternOpt}".`);
        }
        this.patternOpt = name;
        if (name === 'string') {
          const bytes = utf8Bytes(arg);
          if (bytes.length > MAX_PATTERN) fail(`STRING too long "${arg}"`);
          this.pattern = bytes;
        } else {
          this.pattern = parseHexString(arg);
        }
        this.invert = invert;
        return;
      case 'algo':
        if (arg.length > MAX_ALGO) fail(`Argument must have a maximum length of ${MAX_ALGO} characters`);
        this.algo = arg;
        return;
      case 'from':
        this.from = uintOption(arg, 'string', name, 0, 65535);
        return;
      case 'to':
        this.to = uintOption(arg, 'string', name, 0, 65535);
        return;
      case 'icase':
        this.icase = true;
        return;
      default:
        fail(`string: unexpected option --${name}`);
    }
  }

  finish(): Match {
    if (this.pattern === null) fail("STRING match: You must specify `--string' or `--hex-string'");
    if (this.algo === null) fail('string: option "--algo" must be specified');
    if (this.algo !== 'bm' && this.algo !== 'kmp') fail(`string: unknown algorithm "${this.algo}" (the kernel knows bm and kmp)`);
    if (this.pattern.length === 0 || this.from > this.to) fail('string: the kernel refuses an empty pattern or --from above --to');
    return new StringMatch(this.pattern, this.algo, this.from, this.to, this.invert, this.icase);
  }
}

export const stringMatch: MatchExtension = {
  name: 'string',
  options: [
    { name: 'from', arg: true },
    { name: 'to', arg: true },
    { name: 'algo', arg: true },
    { name: 'string', arg: true, invert: true },
    { name: 'hex-string', arg: true, invert: true },
    { name: 'icase', arg: false },
  ],
  create: () => new StringParser(),
};
