/**
 * -j CLASSIFY --set-class MAJOR:MINOR (hex): sets the packet's priority (skb->priority, the tc
 * class) to MAJOR << 16 | MINOR, in `ctx.priority`. FORWARD, OUTPUT and POSTROUTING only. Goes
 * on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, H } from './common.js';
import type { ExtParser, TargetExtension } from './types.js';

export class ClassifyTarget extends BaseTarget {
  readonly name = 'CLASSIFY';
  override readonly hooks = H.FWD | H.OUT | H.POST;
  constructor(readonly priority: number) {
    super();
  }
  run(ctx: PacketContext): Verdict {
    ctx.priority = this.priority;
    return Verdict.CONTINUE;
  }
  private major(): number {
    return this.priority >>> 16;
  }
  private minor(): number {
    return this.priority & 0xffff;
  }
  save(): string {
    return `-j CLASSIFY --set-class ${this.major().toString(16).padStart(4, '0')}:${this.minor().toString(16).padStart(4, '0')}`;
  }
  list(): string {
    return ` CLASSIFY set ${this.major().toString(16)}:${this.minor().toString(16)}`;
  }
}

/** sscanf("%x:%x"): two hex numbers (optional 0x) separated by a colon; the rest is ignored. */
function parseClass(s: string): number | null {
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]+):\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(s);
  if (m === null) return null;
  const major = parseInt(m[1]!, 16);
  const minor = parseInt(m[2]!, 16);
  if (major > 0xffffffff || minor > 0xffffffff) return null;
  return (((major << 16) & 0xffff0000) | (minor & 0xffff)) >>> 0;
}

class ClassifyParser implements ExtParser<ClassifyTarget> {
  private priority: number | null = null;
  option(_name: string, arg: string): void {
    const p = parseClass(arg);
    if (p === null) fail(`Bad class value "${arg}"`);
    this.priority = p;
  }
  finish(): ClassifyTarget {
    if (this.priority === null) fail('CLASSIFY: option "--set-class" must be specified');
    return new ClassifyTarget(this.priority);
  }
}

export const classifyTarget: TargetExtension = {
  name: 'CLASSIFY',
  options: [{ name: 'set-class', arg: true }],
  create: () => new ClassifyParser(),
};
