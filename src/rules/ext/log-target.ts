/**
 * -j LOG (xt_LOG): --log-prefix (1-29 characters), --log-level (0-7 or a syslog name, default 4
 * "warning"), --log-tcp-sequence, --log-tcp-options, --log-ip-options, --log-uid,
 * --log-macdecode. Appends the kernel's log line for the packet to `ctx.log` and goes on with
 * the next rule.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import { Verdict } from '../model.js';
import { saveString } from '../values.js';
import { BaseTarget } from './common.js';
import { LogFlag, logLine } from './logtext.js';
import type { ExtParser, TargetExtension } from './types.js';

const DEFAULT_LEVEL = 4;
const MAX_PREFIX = 29;

const LEVEL_NAMES: Readonly<Record<string, number>> = {
  alert: 1,
  crit: 2,
  debug: 7,
  emerg: 0,
  error: 3,
  info: 6,
  notice: 5,
  panic: 0,
  warning: 4,
};

const FLAG_OPTIONS: readonly (readonly [string, number])[] = [
  ['log-tcp-sequence', LogFlag.TCPSEQ],
  ['log-tcp-options', LogFlag.TCPOPT],
  ['log-ip-options', LogFlag.IPOPT],
  ['log-uid', LogFlag.UID],
  ['log-macdecode', LogFlag.MACDECODE],
];

/** A --log-prefix / --nflog-prefix value: no newline, within the kernel's length. */
export function logPrefixOption(arg: string, max: number): string {
  if (arg.includes('\n')) fail('Newlines not allowed in --log-prefix');
  if (arg.length < 1) fail('Argument must have a minimum length of 1 characters');
  if (arg.length > max) fail(`Argument must have a maximum length of ${max} characters`);
  return arg;
}

export class LogTarget extends BaseTarget {
  readonly name = 'LOG';
  constructor(
    readonly prefix: string,
    readonly level: number,
    readonly flags: number,
  ) {
    super();
  }

  run(ctx: PacketContext): Verdict {
    ctx.log.push(logLine(ctx, this.prefix, this.flags));
    return Verdict.CONTINUE;
  }

  save(): string {
    let s = '-j LOG';
    if (this.prefix !== '') s += ` --log-prefix ${saveString(this.prefix)}`;
    if (this.level !== DEFAULT_LEVEL) s += ` --log-level ${this.level}`;
    for (const [name, bit] of FLAG_OPTIONS) if ((this.flags & bit) !== 0) s += ` --${name}`;
    return s;
  }

  list(): string {
    let s = ` LOG flags ${this.flags} level ${this.level}`;
    if (this.prefix !== '') s += ` prefix "${this.prefix}"`;
    return s;
  }
}

class LogParser implements ExtParser<LogTarget> {
  private prefix = '';
  private level = DEFAULT_LEVEL;
  private flags = 0;

  option(name: string, arg: string): void {
    if (name === 'log-prefix') {
      this.prefix = logPrefixOption(arg, MAX_PREFIX);
      return;
    }
    if (name === 'log-level') {
      const n = /^[0-7]$/.test(arg) ? Number(arg) : LEVEL_NAMES[arg];
      if (n === undefined) fail(`log level "${arg}" unknown`);
      this.level = n;
      return;
    }
    const flag = FLAG_OPTIONS.find(([n]) => n === name);
    if (flag === undefined) fail(`LOG: unexpected option --${name}`);
    this.flags |= flag[1];
  }

  finish(): LogTarget {
    return new LogTarget(this.prefix, this.level, this.flags);
  }
}

export const logTarget: TargetExtension = {
  name: 'LOG',
  options: [
    { name: 'log-level', arg: true },
    { name: 'log-prefix', arg: true },
    ...FLAG_OPTIONS.map(([name]) => ({ name, arg: false })),
  ],
  create: () => new LogParser(),
};
