/**
 * -m helper [!] --helper NAME: the packet's connection was expected by a connection that has
 * the conntrack helper NAME (an empty name: any helper). As xt_helper, it looks at the master
 * connection, so it is true for RELATED traffic (an FTP data connection), never for the
 * control connection itself; the name compares as a prefix of the helper's name up to the
 * helper name's length (`ftp` matches helper "ftp").
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { saveString } from '../values.js';
import type { ExtParser, MatchExtension } from './types.js';

const MAX_HELPER = 29;

export class HelperMatch implements Match {
  readonly name = 'helper';
  constructor(
    readonly helper: string,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    const master = ctx.ct?.master ?? null;
    if (master === null) return this.invert;
    const name = master.helperName;
    if (name === null) return this.invert;
    if (this.helper === '') return !this.invert;
    return this.helper.startsWith(name) !== this.invert;
  }
  save(): string {
    return `-m helper${this.invert ? ' !' : ''} --helper ${saveString(this.helper)}`;
  }
  list(): string {
    return ` helper match ${this.invert ? '! ' : ''}"${this.helper}"`;
  }
}

class HelperParser implements ExtParser<Match> {
  private helper: string | null = null;
  private invert = false;
  option(_name: string, arg: string, invert: boolean): void {
    if (arg.length > MAX_HELPER) fail(`Argument must have a maximum length of ${MAX_HELPER} characters`);
    this.helper = arg;
    this.invert = invert;
  }
  finish(): Match {
    if (this.helper === null) fail('helper: option "--helper" must be specified');
    return new HelperMatch(this.helper, this.invert);
  }
}

export const helperMatch: MatchExtension = {
  name: 'helper',
  options: [{ name: 'helper', arg: true, invert: true }],
  create: () => new HelperParser(),
};
