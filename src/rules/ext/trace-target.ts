/**
 * -j TRACE: marks the packet for netfilter tracing (iptables-nft sets `meta nftrace`, which any
 * table and chain may do). Sets `ctx.nfTrace`; goes on with the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget } from './common.js';
import type { ExtParser, TargetExtension } from './types.js';

export class TraceTarget extends BaseTarget {
  readonly name = 'TRACE';
  run(ctx: PacketContext): Verdict {
    ctx.nfTrace = true;
    return Verdict.CONTINUE;
  }
  save(): string {
    return '-j TRACE';
  }
  list(): string {
    return '';
  }
}

class TraceParser implements ExtParser<TraceTarget> {
  option(name: string): void {
    fail(`TRACE: unexpected option --${name}`);
  }
  finish(): TraceTarget {
    return new TraceTarget();
  }
}

export const traceTarget: TargetExtension = {
  name: 'TRACE',
  options: [],
  create: () => new TraceParser(),
};
