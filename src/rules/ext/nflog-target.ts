/**
 * -j NFLOG (xt_NFLOG): --nflog-group, --nflog-prefix (up to 63 characters), --nflog-size (or the
 * old --nflog-range), --nflog-threshold. The packet goes to a netlink log listener; the engine
 * has none, so the packet description the listener would get (the LOG text, with the prefix)
 * is appended to `ctx.log`. Goes on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { saveString } from '../values.js';
import { BaseTarget, uintOption } from './common.js';
import { logPrefixOption } from './log-target.js';
import { logLine } from './logtext.js';
import type { ExtParser, TargetExtension } from './types.js';

const DEFAULT_THRESHOLD = 1;

export class NflogTarget extends BaseTarget {
  readonly name = 'NFLOG';
  constructor(
    readonly group: number,
    readonly prefix: string,
    readonly len: number,
    readonly copyLen: boolean,
    readonly threshold: number,
  ) {
    super();
  }

  run(ctx: PacketContext): Verdict {
    ctx.log.push(logLine(ctx, this.prefix, 0));
    return Verdict.CONTINUE;
  }

  private text(dashes: string): string {
    let s = '';
    if (this.prefix !== '') s += ` ${dashes}nflog-prefix ${saveString(this.prefix)}`;
    if (this.group !== 0) s += ` ${dashes}nflog-group ${this.group}`;
    if (this.copyLen) s += ` ${dashes}nflog-size ${this.len}`;
    else if (this.len !== 0) s += ` ${dashes}nflog-range ${this.len}`;
    if (this.threshold !== DEFAULT_THRESHOLD) s += ` ${dashes}nflog-threshold ${this.threshold}`;
    return s;
  }

  save(): string {
    return `-j NFLOG${this.text('--')}`;
  }

  list(): string {
    return this.text('');
  }
}

class NflogParser implements ExtParser<NflogTarget> {
  private group = 0;
  private prefix = '';
  private len = 0;
  private copyLen = false;
  private threshold = DEFAULT_THRESHOLD;
  private sizeGiven: string | null = null;

  option(name: string, arg: string): void {
    switch (name) {
      case 'nflog-group':
        this.group = uintOption(arg, 'NFLOG', name, 0, 65535);
        return;
      case 'nflog-prefix':
        this.prefix = logPrefixOption(arg, 63);
        return;
      case 'nflog-range':
      case 'nflog-size':
        if (this.sizeGiven !== null && this.sizeGiven !== name) {
          fail(`NFLOG: option "--${name}" cannot be used together with "--${this.sizeGiven}".`);
        }
        this.sizeGiven = name;
        this.len = uintOption(arg, 'NFLOG', name, 0, 0xffffffff);
        this.copyLen = name === 'nflog-size';
        return;
      case 'nflog-threshold':
        this.threshold = uintOption(arg, 'NFLOG', name, 0, 65535);
        return;
      default:
        fail(`NFLOG: unexpected option --${name}`);
    }
  }

  finish(): NflogTarget {
    return new NflogTarget(this.group, this.prefix, this.len, this.copyLen, this.threshold);
  }
}

export const nflogTarget: TargetExtension = {
  name: 'NFLOG',
  options: ['nflog-group', 'nflog-prefix', 'nflog-range', 'nflog-size', 'nflog-threshold'].map((name) => ({ name, arg: true })),
  create: () => new NflogParser(),
};
