/**
 * The options `ctkit conntrack` adds to conntrack's own (taken out before conntrack's parser sees
 * the rest, so that they cannot change how its options abbreviate):
 *
 *   --table FILE      the saved table (ctkit replay --save-table), read and, after -D -U -F -L -z, written back
 *   --events FILE     the recorded events (ctkit replay --events), for -E
 *   --connlabel FILE  label names, as /etc/xtables/connlabel.conf on a real host
 *
 * Each as "--name VALUE" or "--name=VALUE", names spelt out in full.
 */

export interface CtkitInputs {
  table?: string;
  events?: string;
  connlabel?: string;
  /** conntrack's arguments. */
  rest: string[];
}

/** A ctkit option given without its value. */
export class InputOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputOptionError';
  }
}

const NAMES = ['table', 'events', 'connlabel'] as const;
type Name = (typeof NAMES)[number];

function optionName(word: string): Name | null {
  const body = word.startsWith('--') ? word.slice(2).split('=')[0]! : '';
  return (NAMES as readonly string[]).includes(body) ? (body as Name) : null;
}

/** Splits ctkit's options from conntrack's arguments. */
export function splitInputs(argv: readonly string[]): CtkitInputs {
  const out: CtkitInputs = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      out.rest.push(...argv.slice(i));
      break;
    }
    const name = optionName(word);
    if (name === null) {
      out.rest.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new InputOptionError(`--${name} needs a file name`);
    out[name] = value;
  }
  return out;
}
