/**
 * -m set [!] --match-set NAME src|dst[,src|dst...] (xt_set revision 4) over the ruleset's
 * ipsets (ipset.ts; load them before the rules): each direction flag takes the packet's source
 * or destination for one dimension of the set's elements. --return-nomatch makes `nomatch`
 * elements match and plain ones not; `! --update-counters` / `! --update-subcounters` only stop
 * the set's own counters. Counter comparisons (--packets-eq, ...) are not implemented.
 *
 * As the kernel does, a set with more dimensions than the flags given never matches, and the
 * set must exist and be of the rule's family when the rule is loaded.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { SetTest, type IpSet } from '../ipset.js';
import type { Match } from '../model.js';
import type { ExtContext, ExtParser, MatchExtension } from './types.js';

const DIM_MAX = 6;

export class SetMatch implements Match {
  readonly name = 'set';
  constructor(
    readonly set: IpSet,
    /** Bit i set: dimension i+1 takes the source. */
    readonly dirs: number,
    readonly dims: number,
    readonly invert: boolean,
    readonly returnNomatch: boolean,
    readonly skipCounters: boolean,
    readonly skipSubcounters: boolean,
  ) {}

  match(ctx: PacketContext): boolean {
    let hit = false;
    if (this.dims >= this.set.dims) {
      const r = this.set.test(ctx.pkt, this.dirs, ctx.now);
      hit = this.returnNomatch ? r === SetTest.NOMATCH : r === SetTest.MATCH;
    }
    return hit !== this.invert;
  }

  private text(prefix: string): string {
    const dirs: string[] = [];
    for (let i = 0; i < this.dims; i++) dirs.push((this.dirs & (1 << i)) !== 0 ? 'src' : 'dst');
    let s = `${this.invert ? ' !' : ''} ${prefix}match-set ${this.set.name} ${dirs.join(',')}`;
    if (this.returnNomatch) s += ` ${prefix}return-nomatch`;
    if (this.skipCounters) s += ` ! ${prefix}update-counters`;
    if (this.skipSubcounters) s += ` ! ${prefix}update-subcounters`;
    return s;
  }

  save(): string {
    return `-m set${this.text('--')}`;
  }

  list(): string {
    return this.text('');
  }
}

class SetParser implements ExtParser<Match> {
  private setName: string | null = null;
  private dirs = 0;
  private dims = 0;
  private invert = false;
  private returnNomatch = false;
  private skipCounters = false;
  private skipSubcounters = false;

  option(name: string, arg: string, invert: boolean, extra: readonly string[]): void {
    switch (name) {
      case 'match-set':
      case 'set':
        if (this.setName !== null) fail('--match-set can be specified only once');
        if (arg.length > 31) fail(`setname \`${arg}' too long, max 31 characters.`);
        this.setName = arg;
        this.invert = invert;
        this.parseDirs(extra[0]!);
        return;
      case 'return-nomatch':
        if (invert) fail('--return-nomatch flag cannot be inverted');
        this.returnNomatch = true;
        return;
      case 'update-counters':
        if (invert) this.skipCounters = true;
        return;
      case 'update-subcounters':
        if (invert) this.skipSubcounters = true;
        return;
      default:
        fail(`set: --${name} (set counter comparisons) is not implemented by ctkit`);
    }
  }

  private parseDirs(text: string): void {
    const parts = text.split(',');
    if (parts.length > DIM_MAX) fail(`Can't be more src/dst options than ${DIM_MAX}.`);
    parts.forEach((p, i) => {
      if (p.startsWith('src')) this.dirs |= 1 << i;
      else if (!p.startsWith('dst')) fail("You must spefify (the comma separated list of) 'src' or 'dst'.");
    });
    this.dims = parts.length;
  }

  finish(cx: ExtContext): Match {
    if (this.setName === null) fail('You must specify `--match-set\' with proper arguments');
    const set = cx.ipsets.get(this.setName);
    if (set === undefined) fail(`Set ${this.setName} doesn't exist.`);
    if (set.family !== 0 && set.family !== cx.family) {
      fail(`The protocol family of set ${this.setName} is IPv${set.family}, which is not applicable.`);
    }
    return new SetMatch(set, this.dirs, this.dims, this.invert, this.returnNomatch, this.skipCounters, this.skipSubcounters);
  }
}

export const setMatch: MatchExtension = {
  name: 'set',
  options: [
    { name: 'match-set', arg: true, invert: true, extraArgs: 1 },
    { name: 'set', arg: true, invert: true, extraArgs: 1, canonical: 'match-set' },
    { name: 'return-nomatch', arg: false, invert: true },
    { name: 'update-counters', arg: false, invert: true },
    { name: 'update-subcounters', arg: false, invert: true },
    ...['packets-eq', 'packets-lt', 'packets-gt', 'bytes-eq', 'bytes-lt', 'bytes-gt'].map((name) => ({ name, arg: true, invert: true })),
  ],
  create: () => new SetParser(),
};
