/**
 * -j REJECT [--reject-with TYPE]: drop the packet and have the pipeline answer it. IPv4 types:
 * icmp-net-unreachable, icmp-host-unreachable, icmp-port-unreachable (default),
 * icmp-proto-unreachable, icmp-net-prohibited, icmp-host-prohibited, icmp-admin-prohibited,
 * tcp-reset; IPv6: icmp6-no-route, icmp6-adm-prohibited, icmp6-addr-unreachable,
 * icmp6-port-unreachable (default), tcp-reset, icmp6-policy-fail, icmp6-reject-route. Names may
 * be abbreviated or given by their aliases (net-unreach, ...), as libipt_REJECT accepts them.
 *
 * The kernel allows REJECT only in the filter table, from INPUT, FORWARD and OUTPUT, and
 * tcp-reset only with `-p tcp`. The action's `with` is the canonical type name.
 */
import type { Action, PacketContext } from '../../netfilter/context.js';
import { Proto } from '../../packet/view.js';
import { fail } from '../errors.js';
import { Verdict, type Chain, type Target } from '../model.js';
import { H, requireProto, requireTable } from './common.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

/** [name, alias] in the kernel's numbering order (prefix matching takes the first). */
const V4_TYPES: readonly (readonly [string, string])[] = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];
const V6_TYPES: readonly (readonly [string, string])[] = [
  ['icmp6-no-route', 'no-route'],
  ['icmp6-adm-prohibited', 'adm-prohibited'],
  ['icmp6-addr-unreachable', 'addr-unreach'],
  ['icmp6-port-unreachable', 'port-unreach'],
  ['tcp-reset', 'tcp-reset'],
  ['icmp6-policy-fail', 'policy-fail'],
  ['icmp6-reject-route', 'reject-route'],
];

export class RejectTarget implements Target {
  readonly name = 'REJECT';
  readonly chain: Chain | null = null;
  readonly isGoto = false;
  readonly hooks = H.IN | H.FWD | H.OUT;
  readonly action: Action;
  constructor(readonly type: string) {
    this.action = Object.freeze({ kind: 'reject', with: type });
  }
  run(_ctx: PacketContext): Verdict {
    return Verdict.ACTION;
  }
  save(): string {
    return `-j REJECT --reject-with ${this.type}`;
  }
  list(): string {
    return ` reject-with ${this.type}`;
  }
}

class RejectParser implements ExtParser<Target> {
  private type: string;
  constructor(private readonly v6: boolean) {
    this.type = v6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable';
  }

  option(_name: string, arg: string): void {
    const table = this.v6 ? V6_TYPES : V4_TYPES;
    const low = arg.toLowerCase();
    const hit = table.find(([n, a]) => n.startsWith(low) || a.startsWith(low));
    if (hit === undefined) fail(`unknown reject type "${arg}"`);
    this.type = hit[0];
  }

  finish(cx: ExtContext): Target {
    requireTable(cx, 'filter', 'REJECT');
    if (this.type === 'tcp-reset') requireProto(cx, Proto.TCP, 'REJECT --reject-with tcp-reset');
    return new RejectTarget(this.type);
  }
}

export const rejectTarget: TargetExtension = {
  name: 'REJECT',
  options: [{ name: 'reject-with', arg: true }],
  create: (cx) => new RejectParser(cx.family === 6),
};
