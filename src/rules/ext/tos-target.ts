/**
 * -j TOS --set-tos VALUE[/MASK] (or a symbolic TOS name, mask 0x3f) | --and-tos | --or-tos |
 * --xor-tos (mangle table): TOS = (TOS & ~MASK) ^ VALUE on the TOS byte / traffic class; the
 * IPv4 checksum is updated. Goes on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, requireTable, uintOption } from './common.js';
import { changeDsfield } from './dsfield.js';
import { hex2, parseTosMask } from './tos.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

export class TosTarget extends BaseTarget {
  readonly name = 'TOS';
  constructor(
    readonly value: number,
    readonly mask: number,
  ) {
    super();
  }
  run(ctx: PacketContext): Verdict {
    const orig = ctx.pkt.tos;
    const next = ((orig & ~this.mask) ^ this.value) & 0xff;
    if (next !== orig) changeDsfield(ctx.pkt, 0, next);
    return Verdict.CONTINUE;
  }
  save(): string {
    return `-j TOS --set-tos ${hex2(this.value)}/${hex2(this.mask)}`;
  }
  list(): string {
    return ` TOS set ${hex2(this.value)}/${hex2(this.mask)}`;
  }
}

class TosTargetParser implements ExtParser<TosTarget> {
  private op: [number, number] | null = null;
  private given: string | null = null;
  option(name: string, arg: string): void {
    if (this.given !== null) fail(`TOS: option "--${name}" cannot be used together with "--${this.given}".`);
    this.given = name;
    if (name === 'set-tos') {
      this.op = parseTosMask(arg, 0xff, 0x3f);
      return;
    }
    const v = uintOption(arg, 'TOS', name, 0, 255);
    this.op = name === 'and-tos' ? [0, ~v & 0xff] : name === 'or-tos' ? [v, v] : [v, 0];
  }
  finish(cx: ExtContext): TosTarget {
    if (this.op === null) fail('TOS: An action is required');
    requireTable(cx, 'mangle', 'TOS');
    return new TosTarget(this.op[0], this.op[1]);
  }
}

export const tosTarget: TargetExtension = {
  name: 'TOS',
  options: ['set-tos', 'and-tos', 'or-tos', 'xor-tos'].map((name) => ({ name, arg: true })),
  create: () => new TosTargetParser(),
};
