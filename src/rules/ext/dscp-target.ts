/**
 * -j DSCP --set-dscp 0..63 | --set-dscp-class CLASS (mangle table): rewrite the DSCP bits of the
 * TOS byte / traffic class, keeping the ECN bits; the IPv4 checksum is updated. Goes on with the
 * next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, requireTable, uintOption } from './common.js';
import { classToDscp } from './dscp.js';
import { changeDsfield } from './dsfield.js';
import { hex2 } from './tos.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

export class DscpTarget extends BaseTarget {
  readonly name = 'DSCP';
  constructor(readonly dscp: number) {
    super();
  }
  run(ctx: PacketContext): Verdict {
    if (ctx.pkt.tos >> 2 !== this.dscp) changeDsfield(ctx.pkt, 0x03, this.dscp << 2);
    return Verdict.CONTINUE;
  }
  save(): string {
    return `-j DSCP --set-dscp ${hex2(this.dscp)}`;
  }
  list(): string {
    return ` DSCP set ${hex2(this.dscp)}`;
  }
}

class DscpTargetParser implements ExtParser<DscpTarget> {
  private dscp: number | null = null;
  private given: string | null = null;
  option(name: string, arg: string): void {
    if (this.given !== null) fail(`DSCP: option "--${name}" cannot be used together with "--${this.given}".`);
    this.given = name;
    this.dscp = name === 'set-dscp' ? uintOption(arg, 'DSCP', name, 0, 63) : classToDscp(arg);
  }
  finish(cx: ExtContext): DscpTarget {
    if (this.dscp === null) fail('DSCP target: Parameter --set-dscp is required');
    requireTable(cx, 'mangle', 'DSCP');
    return new DscpTarget(this.dscp);
  }
}

export const dscpTarget: TargetExtension = {
  name: 'DSCP',
  options: [
    { name: 'set-dscp', arg: true },
    { name: 'set-dscp-class', arg: true },
  ],
  create: () => new DscpTargetParser(),
};
