/**
 * -j CHECKSUM --checksum-fill (mangle table): computes a checksum the kernel left for the network
 * card to fill (a packet with a "partial" checksum, made by a local process with offloading).
 * Every packet the engine handles carries its checksum in full, as on the wire, so the target
 * finds nothing to fill: it goes on with the next rule, as the kernel does for such packets.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { BaseTarget, requireTable } from './common.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

export class ChecksumTarget extends BaseTarget {
  readonly name = 'CHECKSUM';
  run(_ctx: PacketContext): Verdict {
    return Verdict.CONTINUE;
  }
  save(): string {
    return '-j CHECKSUM --checksum-fill';
  }
  list(): string {
    return ' CHECKSUM fill';
  }
}

class ChecksumParser implements ExtParser<ChecksumTarget> {
  private fill = false;
  option(): void {
    this.fill = true;
  }
  finish(cx: ExtContext): ChecksumTarget {
    if (!this.fill) fail('CHECKSUM: option "--checksum-fill" must be specified');
    requireTable(cx, 'mangle', 'CHECKSUM');
    return new ChecksumTarget();
  }
}

export const checksumTarget: TargetExtension = {
  name: 'CHECKSUM',
  options: [{ name: 'checksum-fill', arg: false }],
  create: () => new ChecksumParser(),
};
