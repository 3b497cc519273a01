/**
 * -m ttl (IPv4: --ttl-eq, --ttl-lt, --ttl-gt, --ttl as --ttl-eq) and -m hl (IPv6: --hl-eq,
 * --hl-lt, --hl-gt, --hl): compare the TTL / hop limit; only --*-eq may be negated (!=).
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { uintOption } from './common.js';
import type { ExtParser, MatchExtension } from './types.js';

type Mode = 'eq' | 'ne' | 'lt' | 'gt';
const OPS: Readonly<Record<Mode, string>> = { eq: '==', ne: '!=', lt: '<', gt: '>' };

export class TtlMatch implements Match {
  constructor(
    readonly name: 'ttl' | 'hl',
    readonly mode: Mode,
    readonly value: number,
  ) {}
  match(ctx: PacketContext): boolean {
    const t = ctx.pkt.ttl;
    switch (this.mode) {
      case 'eq':
        return t === this.value;
      case 'ne':
        return t !== this.value;
      case 'lt':
        return t < this.value;
      case 'gt':
        return t > this.value;
    }
  }
  save(): string {
    const opt = this.mode === 'ne' ? `! --${this.name}-eq` : `--${this.name}-${this.mode}`;
    return `-m ${this.name} ${opt} ${this.value}`;
  }
  list(): string {
    return this.name === 'ttl' ? ` TTL match TTL ${OPS[this.mode]} ${this.value}` : ` HL match HL ${OPS[this.mode]} ${this.value}`;
  }
}

class TtlParser implements ExtParser<Match> {
  private mode: Mode | null = null;
  private value = 0;
  private given: string | null = null;
  constructor(private readonly name: 'ttl' | 'hl') {}
  option(name: string, arg: string, invert: boolean): void {
    if (this.given !== null) fail(`${this.name}: option "--${name}" cannot be used together with "--${this.given}".`);
    this.given = name;
    this.value = uintOption(arg, this.name, name, 0, 255);
    const kind = name === this.name ? 'eq' : name.slice(this.name.length + 1);
    this.mode = kind === 'eq' ? (invert ? 'ne' : 'eq') : (kind as Mode);
  }
  finish(): Match {
    if (this.mode === null) {
      fail(this.name === 'ttl' ? "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt" : "HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'");
    }
    return new TtlMatch(this.name, this.mode, this.value);
  }
}

function ttlExtension(name: 'ttl' | 'hl'): MatchExtension {
  return {
    name,
    families: [name === 'ttl' ? 4 : 6],
    options: [
      { name: `${name}-lt`, arg: true },
      { name: `${name}-gt`, arg: true },
      { name: `${name}-eq`, arg: true, invert: true },
      { name, arg: true, canonical: `${name}-eq` },
    ],
    create: () => new TtlParser(name),
  };
}

export const ttlMatch = ttlExtension('ttl');
export const hlMatch = ttlExtension('hl');
