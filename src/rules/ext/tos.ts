/**
 * -m tos [!] --tos VALUE[/MASK] or a symbolic name (Minimize-Delay, Maximize-Throughput,
 * Maximize-Reliability, Minimize-Cost, Normal-Service; mask 0x3f): (TOS byte & MASK) == VALUE
 * (IPv6: the traffic class).
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { scanUint } from '../values.js';
import type { ExtParser, MatchExtension } from './types.js';

const TOS_NAMES: readonly (readonly [string, number])[] = [
  ['Minimize-Delay', 0x10],
  ['Maximize-Throughput', 0x08],
  ['Maximize-Reliability', 0x04],
  ['Minimize-Cost', 0x02],
  ['Normal-Service', 0x00],
];

/** XTTYPE_TOSMASK: `value[/mask]` (mask default `max`) or a symbolic name (mask `symbolicMask`). */
export function parseTosMask(arg: string, max: number, symbolicMask: number): [number, number] {
  const v = scanUint(arg);
  if (v !== null && v.value <= max) {
    let mask = max;
    let end = v.end;
    if (arg[end] === '/') {
      const m = scanUint(arg, end + 1);
      if (m === null || m.value > max) fail(`Illegal value: "${arg}"`);
      mask = m.value;
      end = m.end;
    }
    if (end !== arg.length) fail(`Illegal value: "${arg}"`);
    return [v.value, mask];
  }
  const sym = TOS_NAMES.find(([n]) => n.toLowerCase() === arg.toLowerCase());
  if (sym === undefined) fail(`Symbolic name "${arg}" is unknown`);
  return [sym[1], symbolicMask];
}

export function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

export class TosMatch implements Match {
  readonly name = 'tos';
  constructor(
    readonly value: number,
    readonly mask: number,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    return ((ctx.pkt.tos & this.mask) === this.value) !== this.invert;
  }
  save(): string {
    return `-m tos${this.invert ? ' !' : ''} --tos ${hex2(this.value)}/${hex2(this.mask)}`;
  }
  list(): string {
    return ` tos match${this.invert ? '!' : ''}${hex2(this.value)}/${hex2(this.mask)}`;
  }
}

class TosParser implements ExtParser<Match> {
  private value: [number, number] | null = null;
  private invert = false;
  option(_name: string, arg: string, invert: boolean): void {
    this.value = parseTosMask(arg, 0xff, 0x3f);
    this.invert = invert;
  }
  finish(): Match {
    if (this.value === null) fail('tos: option "--tos" must be specified');
    return new TosMatch(this.value[0], this.value[1], this.invert);
  }
}

export const tosMatch: MatchExtension = {
  name: 'tos',
  options: [{ name: 'tos', arg: true, invert: true }],
  create: () => new TosParser(),
};
