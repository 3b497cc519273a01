/**
 * -j MARK (xt_MARK revision 2): --set-xmark VALUE[/MASK] (mark = (mark & ~MASK) ^ VALUE),
 * --set-mark VALUE[/MASK], --and-mark, --or-mark, --xor-mark; exactly one. All are stored and
 * saved as --set-xmark, as iptables does. Goes on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, markMaskOption, uintOption } from './common.js';
import type { ExtParser, TargetExtension } from './types.js';

/** The value/mask pair of a set-xmark style operation given as one of the five options. */
export function xmarkOperation(ext: string, name: string, arg: string): [number, number] {
  switch (name) {
    case 'set-xmark':
      return markMaskOption(arg, ext, name);
    case 'set-mark': {
      const [v, m] = markMaskOption(arg, ext, name);
      return [v, (v | m) >>> 0];
    }
    case 'and-mark':
      return [0, ~uintOption(arg, ext, name, 0, 0xffffffff) >>> 0];
    case 'or-mark': {
      const v = uintOption(arg, ext, name, 0, 0xffffffff);
      return [v, v];
    }
    case 'xor-mark':
      return [uintOption(arg, ext, name, 0, 0xffffffff), 0];
    default:
      fail(`${ext}: unexpected option --${name}`);
  }
}

/** How -L shows a set-xmark operation: and / or / xor / set / xset. */
export function xmarkListText(prefix: string, value: number, mask: number): string {
  if (value === 0) return ` ${prefix} and 0x${(~mask >>> 0).toString(16)}`;
  if (value === mask) return ` ${prefix} or 0x${value.toString(16)}`;
  if (mask === 0) return ` ${prefix} xor 0x${value.toString(16)}`;
  if (mask === 0xffffffff) return ` ${prefix} set 0x${value.toString(16)}`;
  return ` ${prefix} xset 0x${value.toString(16)}/0x${mask.toString(16)}`;
}

export const XMARK_OPTIONS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'];

export class MarkTarget extends BaseTarget {
  readonly name = 'MARK';
  constructor(
    readonly value: number,
    readonly mask: number,
  ) {
    super();
  }
  run(ctx: PacketContext): Verdict {
    ctx.mark = ((ctx.mark & ~this.mask) ^ this.value) >>> 0;
    return Verdict.CONTINUE;
  }
  save(): string {
    return `-j MARK --set-xmark 0x${this.value.toString(16)}/0x${this.mask.toString(16)}`;
  }
  list(): string {
    return xmarkListText('MARK', this.value, this.mask);
  }
}

class MarkParser implements ExtParser<MarkTarget> {
  private op: [number, number] | null = null;
  private given: string | null = null;
  option(name: string, arg: string): void {
    if (this.given !== null) fail(`MARK: option "--${name}" cannot be used together with "--${this.given}".`);
    this.given = name;
    this.op = xmarkOperation('MARK', name, arg);
  }
  finish(): MarkTarget {
    if (this.op === null) fail('MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required');
    return new MarkTarget(this.op[0], this.op[1]);
  }
}

export const markTarget: TargetExtension = {
  name: 'MARK',
  options: XMARK_OPTIONS.map((name) => ({ name, arg: true })),
  create: () => new MarkParser(),
};
