/**
 * The checks the kernel makes when a table is committed, and the final numbering of rules.
 *
 * - Jumps: no chain may reach itself through jumps and gotos (nf_tables refuses the ruleset with
 *   ELOOP), and no path from a base chain may be deeper than the jump stack (EMLINK).
 * - Hooks: a match or target limited to some hooks (REJECT to INPUT/FORWARD/OUTPUT, DNAT to
 *   PREROUTING/OUTPUT, owner to OUTPUT/POSTROUTING, ...) may only sit in chains reachable from
 *   those hooks' base chains; a user chain nobody reaches is not checked, as nf_tables does not.
 * - Numbering: each rule gets its trace name "TABLE CHAIN N" (N as iptables -L --line-numbers).
 */
import { CommitError } from './errors.js';
import { ALL_HOOKS, hookBit, MAX_JUMP_DEPTH, type Chain, type Rule, type Table } from './model.js';
import { HOOK_NAMES } from '../netfilter/context.js';

/** Checks `table` and numbers its rules; throws CommitError. */
export function commitTable(table: Table): void {
  const reach = new Map<Chain, number>();
  for (const chain of table.chains.values()) {
    if (chain.hook === -1 || !chain.present) continue;
    walk(table, chain, hookBit(chain.hook), [], reach);
  }
  for (const chain of table.chains.values()) {
    const hooks = reach.get(chain) ?? 0;
    chain.rules.forEach((rule, i) => {
      checkHooks(chain, rule, hooks);
      rule.trace = `${table.name} ${chain.name} ${i + 1}`;
    });
  }
}

function walk(table: Table, chain: Chain, hook: number, path: Chain[], reach: Map<Chain, number>): void {
  reach.set(chain, (reach.get(chain) ?? 0) | hook);
  path.push(chain);
  for (const rule of chain.rules) {
    const next = rule.target?.chain ?? null;
    if (next === null) continue;
    if (path.includes(next)) {
      throw new CommitError(rule.source, `loop: chain '${next.name}' is reached again from '${chain.name}' (the kernel refuses the table: Too many levels of symbolic links)`);
    }
    if (path.length >= MAX_JUMP_DEPTH) {
      throw new CommitError(rule.source, `jump to '${next.name}' is nested more than ${MAX_JUMP_DEPTH} chains deep (the kernel refuses the table: Too many links)`);
    }
    walk(table, next, hook, path, reach);
  }
  path.pop();
}

function checkHooks(chain: Chain, rule: Rule, reached: number): void {
  if (reached === 0) return;
  const parts: { name: string; hooks: number; kind: string }[] = rule.matches.map((m) => ({
    name: m.name,
    hooks: m.hooks ?? ALL_HOOKS,
    kind: 'match',
  }));
  if (rule.target !== null) parts.push({ name: rule.target.name, hooks: rule.target.hooks ?? ALL_HOOKS, kind: 'target' });
  for (const p of parts) {
    const bad = reached & ~p.hooks;
    if (bad === 0) continue;
    const from = HOOK_NAMES.filter((_, h) => (bad & (1 << h)) !== 0).join(', ');
    const ok = HOOK_NAMES.filter((_, h) => (p.hooks & (1 << h)) !== 0).join(', ');
    throw new CommitError(
      rule.source,
      `${p.name} ${p.kind} is not valid in chain ${chain.name} reached from ${from} (only ${ok}); the kernel refuses the rule (Invalid argument)`,
    );
  }
}
