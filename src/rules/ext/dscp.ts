/**
 * -m dscp [!] --dscp 0..63 | [!] --dscp-class CLASS (CS0-CS7, BE, AF11-AF43, EF): the DSCP
 * (upper six bits of the TOS byte / traffic class).
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { uintOption } from './common.js';
import { hex2 } from './tos.js';
import type { ExtParser, MatchExtension } from './types.js';

const DS_CLASSES: readonly (readonly [string, number])[] = [
  ['CS0', 0x00],
  ['CS1', 0x08],
  ['CS2', 0x10],
  ['CS3', 0x18],
  ['CS4', 0x20],
  ['CS5', 0x28],
  ['CS6', 0x30],
  ['CS7', 0x38],
  ['BE', 0x00],
  ['AF11', 0x0a],
  ['AF12', 0x0c],
  ['AF13', 0x0e],
  ['AF21', 0x12],
  ['AF22', 0x14],
  ['AF23', 0x16],
  ['AF31', 0x1a],
  ['AF32', 0x1c],
  ['AF33', 0x1e],
  ['AF41', 0x22],
  ['AF42', 0x24],
  ['AF43', 0x26],
  ['EF', 0x2e],
];

/** A DiffServ class name to its codepoint (the name starts with a class, case-insensitive). */
export function classToDscp(name: string): number {
  const c = DS_CLASSES.find(([n]) => name.slice(0, n.length).toLowerCase() === n.toLowerCase());
  if (c === undefined) fail(`Invalid DSCP value \`${name}'`);
  return c[1];
}

export class DscpMatch implements Match {
  readonly name = 'dscp';
  constructor(
    readonly dscp: number,
    readonly invert: boolean,
  ) {}
  match(ctx: PacketContext): boolean {
    return (ctx.pkt.tos >> 2 === this.dscp) !== this.invert;
  }
  save(): string {
    return `-m dscp${this.invert ? ' !' : ''} --dscp ${hex2(this.dscp)}`;
  }
  list(): string {
    return ` DSCP match ${this.invert ? '!' : ''}${hex2(this.dscp)}`;
  }
}

class DscpParser implements ExtParser<Match> {
  private dscp: number | null = null;
  private invert = false;
  private given: string | null = null;
  option(name: string, arg: string, invert: boolean): void {
    if (this.given !== null) fail(`dscp: option "--${name}" cannot be used together with "--${this.given}".`);
    this.given = name;
    this.dscp = name === 'dscp' ? uintOption(arg, 'dscp', name, 0, 63) : classToDscp(arg);
    this.invert = invert;
  }
  finish(): Match {
    if (this.dscp === null) fail('DSCP match: Parameter --dscp is required');
    return new DscpMatch(this.dscp, this.invert);
  }
}

export const dscpMatch: MatchExtension = {
  name: 'dscp',
  options: [
    { name: 'dscp', arg: true, invert: true },
    { name: 'dscp-class', arg: true, invert: true },
  ],
  create: () => new DscpParser(),
};
