/**
 * -m icmp (IPv4, --icmp-type) and -m icmp6 (IPv6, --icmpv6-type): a type name (any unambiguous
 * prefix, case-insensitive, of libxtables' names), a number, or TYPE/CODE; negatable. The kernel
 * compares the type and a code range (a name like echo-request covers codes 0-255); IPv4's `any`
 * matches every ICMP packet. Later fragments never match, a truncated header is dropped
 * (xt_icmp hotdrop). Loaded implicitly by `-p icmp` / `-p icmpv6`.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { Proto } from '../../packet/view.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { scanUint } from '../values.js';
import { requireProto } from './common.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

type IcmpName = readonly [name: string, type: number, codeMin: number, codeMax: number];

const ICMP_NAMES: readonly IcmpName[] = [
  ['any', 0xff, 0, 0xff],
  ['echo-reply', 0, 0, 0xff],
  ['pong', 0, 0, 0xff],
  ['destination-unreachable', 3, 0, 0xff],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 0xff],
  ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff],
  ['ping', 8, 0, 0xff],
  ['router-advertisement', 9, 0, 0xff],
  ['router-solicitation', 10, 0, 0xff],
  ['time-exceeded', 11, 0, 0xff],
  ['ttl-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 0xff],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 0xff],
  ['timestamp-reply', 14, 0, 0xff],
  ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff],
];

const ICMPV6_NAMES: readonly IcmpName[] = [
  ['destination-unreachable', 1, 0, 0xff],
  ['no-route', 1, 0, 0],
  ['communication-prohibited', 1, 1, 1],
  ['beyond-scope', 1, 2, 2],
  ['address-unreachable', 1, 3, 3],
  ['port-unreachable', 1, 4, 4],
  ['failed-policy', 1, 5, 5],
  ['reject-route', 1, 6, 6],
  ['packet-too-big', 2, 0, 0xff],
  ['time-exceeded', 3, 0, 0xff],
  ['ttl-exceeded', 3, 0, 0xff],
  ['ttl-zero-during-transit', 3, 0, 0],
  ['ttl-zero-during-reassembly', 3, 1, 1],
  ['parameter-problem', 4, 0, 0xff],
  ['bad-header', 4, 0, 0],
  ['unknown-header-type', 4, 1, 1],
  ['unknown-option', 4, 2, 2],
  ['echo-request', 128, 0, 0xff],
  ['ping', 128, 0, 0xff],
  ['echo-reply', 129, 0, 0xff],
  ['pong', 129, 0, 0xff],
  ['router-solicitation', 133, 0, 0xff],
  ['router-advertisement', 134, 0, 0xff],
  ['neighbour-solicitation', 135, 0, 0xff],
  ['neighbor-solicitation', 135, 0, 0xff],
  ['neighbour-advertisement', 136, 0, 0xff],
  ['neighbor-advertisement', 136, 0, 0xff],
  ['redirect', 137, 0, 0xff],
];

/** A number 0..255, optionally `:hi` (a range, refused for types by the caller). */
function parseRange(s: string, from: number): { lo: number; hi: number; end: number } | null {
  const a = scanUint(s, from);
  if (a === null || a.value > 255) return null;
  if (s[a.end] !== ':') return { lo: a.value, hi: a.value, end: a.end };
  const b = scanUint(s, a.end + 1);
  if (b === null || b.value > 255) return null;
  return { lo: a.value, hi: b.value, end: b.end };
}

/** libxtables' __ipt_parse_icmp: [type, codeMin, codeMax]. */
export function parseIcmpType(text: string, names: readonly IcmpName[], what: string): [number, number, number] {
  let found: IcmpName | null = null;
  for (const n of names) {
    if (n[0].slice(0, text.length).toLowerCase() !== text.toLowerCase()) continue;
    if (found !== null) fail(`Ambiguous ${what} type \`${text}': \`${found[0]}' or \`${n[0]}'?`);
    found = n;
  }
  if (found !== null) return [found[1], found[2], found[3]];
  const t = parseRange(text, 0);
  if (t === null) fail(`Unknown ${what} type \`${text}'`);
  if (t.lo !== t.hi) fail(`${what} type range not supported`);
  if (t.end === text.length) return [t.lo, 0, 255];
  if (text[t.end] !== '/') fail(`unknown character ${text[t.end]}`);
  const c = parseRange(text, t.end + 1);
  if (c === null) fail(`Unknown ${what} code \`${text}'`);
  if (c.end !== text.length) fail(`unknown character ${text[c.end]}`);
  return [t.lo, c.lo, c.hi];
}

export class IcmpMatch implements Match {
  constructor(
    readonly name: 'icmp' | 'icmp6',
    readonly type: number,
    readonly codeMin: number,
    readonly codeMax: number,
    readonly invert: boolean,
  ) {}

  match(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    if (pkt.fragOffset !== 0 || pkt.l4Off < 0) return false;
    if (pkt.l4Len < 4 || pkt.icmpType < 0) {
      ctx.hotdrop = true;
      return false;
    }
    const any = this.name === 'icmp' && this.type === 0xff;
    const hit = any || (pkt.icmpType === this.type && pkt.icmpCode >= this.codeMin && pkt.icmpCode <= this.codeMax);
    return hit !== this.invert;
  }

  save(): string {
    const inv = this.invert ? ' !' : '';
    if (this.name === 'icmp' && this.type === 0xff) return `-m icmp${inv} --icmp-type any`;
    const code = this.codeMin !== 0 || this.codeMax !== 0xff ? `/${this.codeMin}` : '';
    const opt = this.name === 'icmp' ? 'icmp-type' : 'icmpv6-type';
    return `-m ${this.name}${inv} --${opt} ${this.type}${code}`;
  }

  list(): string {
    let s = this.name === 'icmp' ? ' icmp' : ' ipv6-icmp';
    if (this.invert) s += ' !';
    s += `type ${this.type}`;
    if (this.codeMin === this.codeMax) s += ` code ${this.codeMin}`;
    else if (this.codeMin !== 0 || this.codeMax !== 0xff) s += ` codes ${this.codeMin}-${this.codeMax}`;
    return s;
  }
}

class IcmpParser implements ExtParser<Match> {
  private value: [number, number, number] | null = null;
  private invert = false;

  constructor(private readonly v6: boolean) {}

  option(_name: string, arg: string, invert: boolean): void {
    this.value = this.v6 ? parseIcmpType(arg, ICMPV6_NAMES, 'ICMPv6') : parseIcmpType(arg, ICMP_NAMES, 'ICMP');
    this.invert = invert;
  }

  finish(cx: ExtContext): Match {
    const opt = this.v6 ? 'icmpv6-type' : 'icmp-type';
    const name = this.v6 ? 'icmp6' : 'icmp';
    if (this.value === null) fail(`${name}: option "--${opt}" must be specified`);
    requireProto(cx, this.v6 ? Proto.ICMPV6 : Proto.ICMP, `${name} match`);
    const [type, lo, hi] = this.value;
    return new IcmpMatch(name, type, lo, hi, this.invert);
  }
}

export const icmpMatch: MatchExtension = {
  name: 'icmp',
  families: [4],
  options: [{ name: 'icmp-type', arg: true, invert: true }],
  create: () => new IcmpParser(false),
};

export const icmp6Match: MatchExtension = {
  name: 'icmp6',
  families: [6],
  options: [{ name: 'icmpv6-type', arg: true, invert: true }],
  create: () => new IcmpParser(true),
};
