/**
 * -m owner (xt_owner revision 1), for locally generated packets (OUTPUT, POSTROUTING): [!]
 * --uid-owner ID[-ID], [!] --gid-owner ID[-ID] (with --suppl-groups: or a supplementary group),
 * [!] --socket-exists. The sending socket comes from `ctx.sock` (null: no socket, as for a
 * forwarded or kernel-generated packet). User and group names need a passwd database the
 * engine does not have: numeric ids only (and root = 0).
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { scanUint } from '../values.js';
import { H, badValue } from './common.js';
import type { ExtParser, MatchExtension } from './types.js';

const UID = 1;
const GID = 2;
const SOCKET = 4;
const SUPPL = 8;
const MAX_ID = 0xfffffffe;

function parseIdRange(arg: string, opt: string): [number, number] {
  if (arg === 'root') return [0, 0];
  const a = scanUint(arg);
  if (a === null || a.value > MAX_ID) badValue('owner', opt, arg);
  let hi = a.value;
  let end = a.end;
  if (arg[end] === '-' || arg[end] === ':') {
    const b = scanUint(arg, end + 1);
    if (b === null || b.value > MAX_ID) badValue('owner', opt, arg);
    hi = b.value;
    end = b.end;
  }
  if (end !== arg.length) badValue('owner', opt, arg);
  return [a.value, hi];
}

export class OwnerMatch implements Match {
  readonly name = 'owner';
  readonly hooks = H.OUT | H.POST;
  constructor(
    readonly flags: number,
    readonly invert: number,
    readonly uid: readonly [number, number],
    readonly gid: readonly [number, number],
  ) {}

  match(ctx: PacketContext): boolean {
    const sock = ctx.sock ?? null;
    if (sock === null) return (this.flags ^ this.invert) === 0;
    if ((this.flags & this.invert & SOCKET) !== 0) return false;
    if ((this.flags & UID) !== 0) {
      const hit = sock.uid >= this.uid[0] && sock.uid <= this.uid[1];
      if (hit === ((this.invert & UID) !== 0)) return false;
    }
    if ((this.flags & GID) !== 0) {
      const inRange = (g: number): boolean => g >= this.gid[0] && g <= this.gid[1];
      let hit = inRange(sock.gid);
      if (!hit && (this.flags & SUPPL) !== 0) hit = (sock.supplementaryGids ?? []).some(inRange);
      if (hit === ((this.invert & GID) !== 0)) return false;
    }
    return true;
  }

  private items(labels: readonly [string, string, string, string]): string {
    let s = '';
    const item = (flag: number, label: string, value: string): void => {
      if ((this.flags & flag) === 0) return;
      if ((this.invert & flag) !== 0) s += ' !';
      s += ` ${label}${value}`;
    };
    const range = (r: readonly [number, number]): string => (r[0] === r[1] ? ` ${r[0]}` : ` ${r[0]}-${r[1]}`);
    item(SOCKET, labels[0], '');
    item(UID, labels[1], range(this.uid));
    item(GID, labels[2], range(this.gid));
    item(SUPPL, labels[3], '');
    return s;
  }

  save(): string {
    return `-m owner${this.items(['--socket-exists', '--uid-owner', '--gid-owner', '--suppl-groups'])}`;
  }

  list(): string {
    return this.items(['owner socket exists', 'owner UID match', 'owner GID match', 'incl. suppl. groups']);
  }
}

class OwnerParser implements ExtParser<Match> {
  private flags = 0;
  private invert = 0;
  private uid: [number, number] = [0, 0];
  private gid: [number, number] = [0, 0];
  option(name: string, arg: string, invert: boolean): void {
    switch (name) {
      case 'uid-owner':
        this.uid = parseIdRange(arg, name);
        this.set(UID, invert);
        return;
      case 'gid-owner':
        this.gid = parseIdRange(arg, name);
        this.set(GID, invert);
        return;
      case 'socket-exists':
        this.set(SOCKET, invert);
        return;
      case 'suppl-groups':
        if ((this.flags & GID) === 0) badValue('owner', 'suppl-groups', 'you need to use --gid-owner first');
        this.flags |= SUPPL;
        return;
      default:
        fail(`owner: unexpected option --${name}`);
    }
  }
  private set(flag: number, invert: boolean): void {
    this.flags |= flag;
    if (invert) this.invert |= flag;
  }
  finish(): Match {
    if (this.flags === 0) fail('owner: At least one of --uid-owner, --gid-owner or --socket-exists is required');
    return new OwnerMatch(this.flags, this.invert, this.uid, this.gid);
  }
}

export const ownerMatch: MatchExtension = {
  name: 'owner',
  options: [
    { name: 'uid-owner', arg: true, invert: true },
    { name: 'gid-owner', arg: true, invert: true },
    { name: 'socket-exists', arg: false, invert: true },
    { name: 'suppl-groups', arg: false },
  ],
  create: () => new OwnerParser(),
};
