/**
 * -j TTL --ttl-set N | --ttl-dec N | --ttl-inc N (IPv4) and -j HL --hl-set/--hl-dec/--hl-inc
 * (IPv6), mangle table only: rewrite the TTL / hop limit (clamped to 0..255; the IPv4 header
 * checksum is updated). Goes on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, requireTable, uintOption } from './common.js';
import { setTtl } from './dsfield.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

type Mode = 'set' | 'dec' | 'inc';
const WORDS: Readonly<Record<Mode, string>> = { set: 'set to', dec: 'decrement by', inc: 'increment by' };

export class TtlTarget extends BaseTarget {
  constructor(
    readonly name: 'TTL' | 'HL',
    readonly mode: Mode,
    readonly value: number,
  ) {
    super();
  }
  run(ctx: PacketContext): Verdict {
    const old = ctx.pkt.ttl;
    let next = this.value;
    if (this.mode === 'inc') next = Math.min(255, old + this.value);
    else if (this.mode === 'dec') next = Math.max(0, old - this.value);
    if (next !== old) setTtl(ctx.pkt, next);
    return Verdict.CONTINUE;
  }
  save(): string {
    return `-j ${this.name} --${this.name.toLowerCase()}-${this.mode} ${this.value}`;
  }
  list(): string {
    return ` ${this.name} ${WORDS[this.mode]} ${this.value}`;
  }
}

class TtlParser implements ExtParser<TtlTarget> {
  private mode: Mode | null = null;
  private value = 0;
  constructor(private readonly name: 'TTL' | 'HL') {}
  option(name: string, arg: string): void {
    const prefix = this.name.toLowerCase();
    if (this.mode !== null) fail(`${this.name}: option "--${name}" cannot be used together with "--${prefix}-${this.mode}".`);
    this.mode = name.slice(prefix.length + 1) as Mode;
    this.value = uintOption(arg, this.name, name, this.mode === 'set' ? 0 : 1, 255);
  }
  finish(cx: ExtContext): TtlTarget {
    if (this.mode === null) fail(`${this.name}: You must specify an action`);
    requireTable(cx, 'mangle', this.name);
    return new TtlTarget(this.name, this.mode, this.value);
  }
}

function ttlTarget(name: 'TTL' | 'HL'): TargetExtension {
  const prefix = name.toLowerCase();
  return {
    name,
    families: [name === 'TTL' ? 4 : 6],
    options: ['set', 'dec', 'inc'].map((m) => ({ name: `${prefix}-${m}`, arg: true })),
    create: () => new TtlParser(name),
  };
}

export const ttlTargetExt = ttlTarget('TTL');
export const hlTargetExt = ttlTarget('HL');
