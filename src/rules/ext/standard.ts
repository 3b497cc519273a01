/**
 * The standard targets (ACCEPT, DROP, RETURN) and jumps to user chains (-j CHAIN, -g CHAIN).
 */
import type { Action, PacketContext } from '../../netfilter/context.js';
import { Verdict, type Chain, type Target } from '../model.js';

export const STANDARD_TARGETS: readonly string[] = ['ACCEPT', 'DROP', 'RETURN'];

class StandardTarget implements Target {
  readonly chain: Chain | null = null;
  readonly action: Action | null = null;
  readonly isGoto = false;
  constructor(
    readonly name: string,
    private readonly verdict: Verdict,
  ) {}
  run(_ctx: PacketContext): Verdict {
    return this.verdict;
  }
  save(): string {
    return `-j ${this.name}`;
  }
  list(): string {
    return '';
  }
}

const VERDICTS: Readonly<Record<string, Verdict>> = {
  ACCEPT: Verdict.ACCEPT,
  DROP: Verdict.DROP,
  RETURN: Verdict.RETURN,
};

/** -j ACCEPT / DROP / RETURN. */
export function standardTarget(name: string): Target {
  const v = VERDICTS[name];
  if (v === undefined) throw new Error(`not a standard target: ${name}`);
  return new StandardTarget(name, v);
}

class ChainTarget implements Target {
  readonly action: Action | null = null;
  constructor(
    readonly chain: Chain,
    readonly isGoto: boolean,
  ) {}
  get name(): string {
    return this.chain.name;
  }
  run(_ctx: PacketContext): Verdict {
    return this.isGoto ? Verdict.GOTO : Verdict.JUMP;
  }
  save(): string {
    return `-${this.isGoto ? 'g' : 'j'} ${this.chain.name}`;
  }
  list(): string {
    return '';
  }
}

/** -j CHAIN (jump) or -g CHAIN (goto). */
export function chainTarget(chain: Chain, isGoto: boolean): Target {
  return new ChainTarget(chain, isGoto);
}
