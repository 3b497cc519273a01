/**
 * -j CONNMARK (xt_CONNMARK revision 2) on the packet's connection:
 * --set-xmark/--set-mark/--and-mark/--or-mark/--xor-mark (ct mark = (ct mark & ~ctmask) ^
 * ctmark), --save-mark (packet mark -> ct mark) and --restore-mark (ct mark -> packet mark)
 * with --nfmask / --ctmask (or --mask for both; default all bits), and --left-shift-mark /
 * --right-shift-mark. The connection's mark is written only when it changes (the kernel then
 * raises a mark event). A packet without a connection is left alone. Goes on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, uintOption } from './common.js';
import { XMARK_OPTIONS, xmarkListText, xmarkOperation } from './mark-target.js';
import type { ExtParser, TargetExtension } from './types.js';

type Mode = 'set' | 'save' | 'restore';

const ALL = 0xffffffff;

export class ConnmarkTarget extends BaseTarget {
  readonly name = 'CONNMARK';
  constructor(
    readonly mode: Mode,
    readonly ctmark: number,
    readonly ctmask: number,
    readonly nfmask: number,
    readonly shiftRight: boolean,
    readonly shiftBits: number,
  ) {
    super();
  }

  private shift(v: number): number {
    if (this.shiftBits === 0) return v >>> 0;
    return (this.shiftRight ? v >>> this.shiftBits : v << this.shiftBits) >>> 0;
  }

  run(ctx: PacketContext): Verdict {
    const ct = ctx.ct;
    if (ct === null) return Verdict.CONTINUE;
    switch (this.mode) {
      case 'set': {
        const next = this.shift((ct.mark & ~this.ctmask) ^ this.ctmark);
        if (ct.mark !== next) ct.mark = next;
        break;
      }
      case 'save': {
        const next = ((ct.mark & ~this.ctmask) ^ this.shift(ctx.mark & this.nfmask)) >>> 0;
        if (ct.mark !== next) ct.mark = next;
        break;
      }
      case 'restore':
        ctx.mark = ((ctx.mark & ~this.nfmask) ^ this.shift(ct.mark & this.ctmask)) >>> 0;
        break;
    }
    return Verdict.CONTINUE;
  }

  private shiftText(dashes: string): string {
    if (this.shiftBits === 0) return '';
    return ` ${dashes}${this.shiftRight ? 'right' : 'left'}-shift-mark ${this.shiftBits}`;
  }

  save(): string {
    const hx = (n: number): string => `0x${n.toString(16)}`;
    let s = '-j CONNMARK';
    if (this.mode === 'set') s += ` --set-xmark ${hx(this.ctmark)}/${hx(this.ctmask)}`;
    else s += ` --${this.mode}-mark --nfmask ${hx(this.nfmask)} --ctmask ${hx(this.ctmask)}`;
    return s + this.shiftText('--');
  }

  list(): string {
    const hx = (n: number): string => `0x${n.toString(16)}`;
    let s: string;
    if (this.mode === 'set') s = xmarkListText('CONNMARK', this.ctmark, this.ctmask);
    else if (this.mode === 'save') {
      if (this.nfmask === ALL && this.ctmask === ALL) s = ' CONNMARK save';
      else if (this.nfmask === this.ctmask) s = ` CONNMARK save mask ${hx(this.nfmask)}`;
      else s = ` CONNMARK save nfmask ${hx(this.nfmask)} ctmask ~${hx(this.ctmask)}`;
    } else if (this.ctmask === ALL && this.nfmask === ALL) s = ' CONNMARK restore';
    else if (this.ctmask === this.nfmask) s = ` CONNMARK restore mask ${hx(this.ctmask)}`;
    else s = ` CONNMARK restore ctmask ${hx(this.ctmask)} nfmask ~${hx(this.nfmask)}`;
    return s + this.shiftText('');
  }
}

class ConnmarkParser implements ExtParser<ConnmarkTarget> {
  private mode: Mode | null = null;
  private op: string | null = null;
  private ctmark = 0;
  private ctmask = ALL;
  private nfmask = ALL;
  private maskOpt: string | null = null;
  private shiftRight = false;
  private shiftBits = 0;

  option(name: string, arg: string): void {
    if (XMARK_OPTIONS.includes(name) || name === 'save-mark' || name === 'restore-mark') {
      if (this.op !== null) fail(`CONNMARK: option "--${name}" cannot be used together with "--${this.op}".`);
      this.op = name;
      if (name === 'save-mark') this.mode = 'save';
      else if (name === 'restore-mark') this.mode = 'restore';
      else {
        this.mode = 'set';
        [this.ctmark, this.ctmask] = xmarkOperation('CONNMARK', name, arg);
      }
      return;
    }
    switch (name) {
      case 'ctmask':
      case 'nfmask':
      case 'mask': {
        const clash = name === 'mask' ? this.maskOpt !== null && this.maskOpt !== 'mask' : this.maskOpt === 'mask';
        if (clash) fail(`CONNMARK: option "--${name}" cannot be used together with "--${this.maskOpt}".`);
        this.maskOpt = name;
        const v = uintOption(arg, 'CONNMARK', name, 0, ALL);
        if (name !== 'nfmask') this.ctmask = v;
        if (name !== 'ctmask') this.nfmask = v;
        return;
      }
      case 'left-shift-mark':
      case 'right-shift-mark':
        this.shiftBits = uintOption(arg, 'CONNMARK', name, 0, 32);
        this.shiftRight = name === 'right-shift-mark';
        return;
      default:
        fail(`CONNMARK: unexpected option --${name}`);
    }
  }

  finish(): ConnmarkTarget {
    if (this.mode === null) fail('CONNMARK target: No operation specified');
    return new ConnmarkTarget(this.mode, this.ctmark, this.ctmask, this.nfmask, this.shiftRight, this.shiftBits);
  }
}

export const connmarkTarget: TargetExtension = {
  name: 'CONNMARK',
  options: [
    ...XMARK_OPTIONS.map((name) => ({ name, arg: true })),
    { name: 'save-mark', arg: false },
    { name: 'restore-mark', arg: false },
    { name: 'left-shift-mark', arg: true },
    { name: 'right-shift-mark', arg: true },
    { name: 'ctmask', arg: true },
    { name: 'nfmask', arg: true },
    { name: 'mask', arg: true },
  ],
  create: () => new ConnmarkParser(),
};
