/**
 * The iptables front end's built-in chains as pipeline base chains: each present built-in chain
 * of each table is registered on its hook at the table's priority (raw -300, mangle -150, nat
 * -100 / +100, filter 0, security 50), the nat table's chains as NAT chains.
 */
import { runBaseChain } from '../rules/eval.js';
import type { Ruleset, TableName } from '../rules/model.js';
import type { Hook, PacketContext } from './context.js';
import { type BaseChain, type ChainResult, ChainVerdict, Priority } from './chain.js';
import { Hook as H } from './context.js';

const TABLE_PRIORITY: Record<TableName, number> = {
  raw: Priority.RAW,
  mangle: Priority.MANGLE,
  nat: Priority.NAT_DST,
  filter: Priority.FILTER,
  security: Priority.SECURITY,
};

const ACCEPTED: ChainResult = Object.freeze({ verdict: ChainVerdict.ACCEPT, action: null }) as ChainResult;
const DROPPED: ChainResult = Object.freeze({ verdict: ChainVerdict.DROP, action: null }) as ChainResult;

export function iptablesBaseChains(ruleset: Ruleset): BaseChain[] {
  const out: BaseChain[] = [];
  for (const family of [4, 6] as const) {
    for (const table of ruleset.tables(family).values()) {
      for (const chain of table.chains.values()) {
        if (chain.hook === -1 || !chain.present) continue;
        const hook = chain.hook as Hook;
        const isSrcNat = table.name === 'nat' && (hook === H.POSTROUTING || hook === H.INPUT);
        out.push({
          family,
          hook,
          priority: isSrcNat ? Priority.NAT_SRC : TABLE_PRIORITY[table.name],
          type: table.name === 'nat' ? 'nat' : 'filter',
          label: `${family === 4 ? 'ip' : 'ip6'} ${table.name} ${chain.name}`,
          run(ctx: PacketContext, trace: string[]): ChainResult {
            const v = runBaseChain(ruleset, chain, ctx, trace);
            if (v.kind === 'accept') return ACCEPTED;
            if (v.kind === 'drop') return DROPPED;
            return { verdict: ChainVerdict.ACTION, action: v };
          },
        });
      }
    }
  }
  return out;
}
