/**
 * Evaluation of a hook's chain for one packet, as the kernel walks an iptables-nft base chain.
 *
 * Rules are tried in order: the fixed selectors, then each match; when all match, the rule's
 * counters are raised (packets + 1, bytes + IP length) whatever its target then does, its trace
 * name is appended to `trace`, and its target runs. CONTINUE goes on with the next rule; JUMP
 * enters a user chain and comes back after it; GOTO enters one without coming back; RETURN (or
 * running off the end of a user chain) goes back to the caller; ACCEPT, DROP and ACTION end the
 * walk. When the base chain itself ends (or returns) its policy decides, raising the policy
 * counters and tracing "TABLE CHAIN policy". A match that flags a malformed packet
 * (`ctx.hotdrop`) drops it there, as x_tables' hotdrop does.
 *
 * A base chain the ruleset never created is not hooked at all: the packet passes (ACCEPT) and
 * nothing is traced.
 *
 * Nothing is allocated per packet: the jump stack lives in the ruleset's scratch space, verdicts
 * are the shared ACCEPT / DROP objects or the target's pre-built Action.
 */
import type { Action, PacketContext } from '../netfilter/context.js';
import { Verdict, type Chain, type Counters, type Family, type Ruleset, type TableName } from './model.js';

export interface AcceptVerdict {
  readonly kind: 'accept';
}
export interface DropVerdict {
  readonly kind: 'drop';
}

/** What a hook's chain decided for the packet. */
export type HookVerdict = AcceptVerdict | DropVerdict | Action;

export const ACCEPT: AcceptVerdict = Object.freeze({ kind: 'accept' });
export const DROP: DropVerdict = Object.freeze({ kind: 'drop' });

/**
 * Runs the built-in chain `chainName` of `table` for `family` on the packet; `trace`, when given,
 * receives "TABLE CHAIN N" for every rule counted and "TABLE CHAIN policy" when the policy decides.
 */
export function runChain(
  ruleset: Ruleset,
  family: Family,
  table: TableName,
  chainName: string,
  ctx: PacketContext,
  trace: string[] | null,
): HookVerdict {
  const chain = ruleset.chain(family, table, chainName);
  if (chain === undefined || !chain.present || chain.hook === -1) return ACCEPT;
  return runBaseChain(ruleset, chain, ctx, trace);
}

/** True when `chainName` of `table` exists in the kernel (so running it can trace and count). */
export function chainPresent(ruleset: Ruleset, family: Family, table: TableName, chainName: string): boolean {
  const chain = ruleset.chain(family, table, chainName);
  return chain !== undefined && chain.present && chain.hook !== -1;
}

function count(c: Counters, bytes: number): void {
  c.packets++;
  c.bytes += bytes;
}

/** Walks a base chain (see the file comment). */
export function runBaseChain(ruleset: Ruleset, base: Chain, ctx: PacketContext, trace: string[] | null): HookVerdict {
  const stackChains = ruleset.scratch.chains;
  const stackPos = ruleset.scratch.positions;
  const bytes = ctx.pkt.ipTotalLen;
  let chain = base;
  let i = 0;
  let sp = 0;
  for (;;) {
    const rules = chain.rules;
    if (i >= rules.length) {
      if (sp === 0) break;
      sp--;
      chain = stackChains[sp]!;
      i = stackPos[sp]!;
      stackChains[sp] = null;
      continue;
    }
    const rule = rules[i++]!;
    let ok = rule.ip === null || rule.ip.match(ctx);
    const matches = rule.matches;
    for (let m = 0; ok && m < matches.length; m++) {
      if (!matches[m]!.match(ctx)) ok = false;
    }
    // The full evaluation trace (every rule tried, like TRACE / nft monitor trace), when asked for.
    if (ctx.evalTrace) ctx.evalTrace.push(`${rule.trace}: ${ok ? 'match' : 'no match'}`);
    if (!ok) {
      if (ctx.hotdrop === true) {
        // iptables-nft: the match's hotdrop is the rule's verdict (NF_DROP), which the trace
        // reports for that rule; its counter, after the match, is not reached.
        ctx.hotdrop = false;
        if (trace !== null) trace.push(rule.trace);
        return DROP;
      }
      continue;
    }
    count(rule.counters, bytes);
    if (trace !== null) trace.push(rule.trace);
    const target = rule.target;
    if (target === null) continue;
    const v = target.run(ctx);
    switch (v) {
      case Verdict.CONTINUE:
        continue;
      case Verdict.ACCEPT:
        return ACCEPT;
      case Verdict.DROP:
        return DROP;
      case Verdict.ACTION:
        return target.action!;
      case Verdict.JUMP:
        stackChains[sp] = chain;
        stackPos[sp] = i;
        sp++;
        chain = target.chain!;
        i = 0;
        continue;
      case Verdict.GOTO:
        chain = target.chain!;
        i = 0;
        continue;
      case Verdict.RETURN:
        i = rules.length;
        continue;
      default:
        return assertNever(v);
    }
  }
  count(base.counters, bytes);
  if (trace !== null) trace.push(base.policyTrace);
  if (ctx.evalTrace) ctx.evalTrace.push(`${base.policyTrace} ${base.policy}`);
  return base.policy === 'DROP' ? DROP : ACCEPT;
}

function assertNever(v: never): never {
  throw new Error(`unknown verdict ${String(v)}`);
}
