/**
 * -j SET --add-set NAME FLAGS | --del-set NAME FLAGS [--timeout SECONDS] [--exist]: adds the
 * packet's element to an ipset or deletes it (xt_SET's set_target), then goes on with the next
 * rule. FLAGS is a comma list of src / dst, one per dimension of the set, as for -m set.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { IpSet } from '../ipset.js';
import { Verdict } from '../model.js';
import { BaseTarget } from './common.js';
import type { ExtContext, ExtParser, TargetExtension } from './types.js';

interface SetOp {
  set: IpSet;
  dirs: number;
  dims: number;
}

const DIM_MAX = 6;

function dirsText(op: SetOp): string {
  const parts: string[] = [];
  for (let i = 0; i < op.dims; i++) parts.push((op.dirs & (1 << i)) !== 0 ? 'src' : 'dst');
  return parts.join(',');
}

export class SetTarget extends BaseTarget {
  readonly name = 'SET';
  constructor(
    readonly add: SetOp | null,
    readonly del: SetOp | null,
    readonly timeout: number | null,
    readonly exist: boolean,
  ) {
    super();
  }
  run(ctx: PacketContext): Verdict {
    if (this.add) this.add.set.update(ctx.pkt, this.add.dirs, 'add', ctx.now, this.timeout, this.exist);
    if (this.del) this.del.set.update(ctx.pkt, this.del.dirs, 'del', ctx.now, null, false);
    return Verdict.CONTINUE;
  }
  save(): string {
    let s = '-j SET';
    if (this.add) s += ` --add-set ${this.add.set.name} ${dirsText(this.add)}`;
    if (this.del) s += ` --del-set ${this.del.set.name} ${dirsText(this.del)}`;
    if (this.exist) s += ' --exist';
    if (this.timeout !== null) s += ` --timeout ${this.timeout}`;
    return s;
  }
  list(): string {
    let s = '';
    if (this.add) s += ` add-set ${this.add.set.name} ${dirsText(this.add)}`;
    if (this.del) s += ` del-set ${this.del.set.name} ${dirsText(this.del)}`;
    if (this.exist) s += ' exist';
    if (this.timeout !== null) s += ` timeout ${this.timeout}`;
    return s;
  }
}

class SetTargetParser implements ExtParser<SetTarget> {
  private add: { name: string; dirs: number; dims: number } | null = null;
  private del: { name: string; dirs: number; dims: number } | null = null;
  private timeout: number | null = null;
  private exist = false;

  option(name: string, arg: string, _invert: boolean, extra: readonly string[]): void {
    switch (name) {
      case 'add-set':
      case 'del-set': {
        if (arg.length > 31) fail(`setname \`${arg}' too long, max 31 characters.`);
        const op = { name: arg, ...parseDirs(extra[0] ?? '') };
        if (name === 'add-set') this.add = op;
        else this.del = op;
        return;
      }
      case 'timeout': {
        if (!/^\d+$/.test(arg) || Number(arg) > 2147483) fail(`Invalid value for option --timeout or out of range 0-2147483.`);
        this.timeout = Number(arg);
        return;
      }
      case 'exist':
        this.exist = true;
        return;
      default:
        fail(`SET: --${name} is not implemented by ctkit`);
    }
  }

  finish(cx: ExtContext): SetTarget {
    if (this.add === null && this.del === null) fail('You must specify either `--add-set\' or `--del-set\'');
    const resolve = (op: { name: string; dirs: number; dims: number } | null): SetOp | null => {
      if (op === null) return null;
      const set = cx.ipsets.get(op.name);
      if (set === undefined) fail(`Set ${op.name} doesn't exist.`);
      if (set.family !== 0 && set.family !== cx.family) fail(`The protocol family of set ${op.name} is IPv${set.family}, which is not applicable.`);
      return { set, dirs: op.dirs, dims: op.dims };
    };
    return new SetTarget(resolve(this.add), resolve(this.del), this.timeout, this.exist);
  }
}

function parseDirs(text: string): { dirs: number; dims: number } {
  const parts = text.split(',');
  if (parts.length > DIM_MAX) fail(`Can't be more src/dst options than ${DIM_MAX}.`);
  let dirs = 0;
  parts.forEach((p, i) => {
    if (p.startsWith('src')) dirs |= 1 << i;
    else if (!p.startsWith('dst')) fail("You must spefify (the comma separated list of) 'src' or 'dst'.");
  });
  return { dirs, dims: parts.length };
}

export const setTarget: TargetExtension = {
  name: 'SET',
  options: [
    { name: 'add-set', arg: true, extraArgs: 1 },
    { name: 'del-set', arg: true, extraArgs: 1 },
    { name: 'timeout', arg: true },
    { name: 'exist', arg: false },
  ],
  create: () => new SetTargetParser(),
};
