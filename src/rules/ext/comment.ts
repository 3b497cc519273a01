/**
 * -m comment --comment TEXT: matches everything; the text (at most 255 characters) is only
 * printed, `/* TEXT *\/` in listings.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { saveString } from '../values.js';
import type { ExtParser, MatchExtension } from './types.js';

const MAX_COMMENT = 255;

export class CommentMatch implements Match {
  readonly name = 'comment';
  constructor(readonly text: string) {}
  match(_ctx: PacketContext): boolean {
    return true;
  }
  save(): string {
    return `-m comment --comment ${saveString(this.text)}`;
  }
  list(): string {
    return ` /* ${this.text} */`;
  }
}

class CommentParser implements ExtParser<Match> {
  private text: string | null = null;
  option(_name: string, arg: string): void {
    if (arg.length > MAX_COMMENT) fail(`Argument must have a maximum length of ${MAX_COMMENT} characters`);
    this.text = arg;
  }
  finish(): Match {
    if (this.text === null) fail('comment: option "--comment" must be specified');
    return new CommentMatch(this.text);
  }
}

export const commentMatch: MatchExtension = {
  name: 'comment',
  options: [{ name: 'comment', arg: true }],
  create: () => new CommentParser(),
};
