/**
 * The kernel's hook restrictions of expressions (their `validate` op: nft_fib_validate,
 * nft_rt_validate, ...): a statement that carries `hooks` may only run in base chains of those
 * hooks. A rule of a base chain is refused when it is added; a rule of a regular chain is checked
 * against every base chain that reaches it through jumps and gotos, as nft_chain_validate does
 * when the ruleset is committed.
 */
import type { Pos } from './ast.js';
import { NftError } from './lexer.js';
import type { IrStmt } from './ir.js';
import type { NftChain, NftTable } from './model.js';

/** The error nft prints for EOPNOTSUPP from a validate op. */
const REFUSED = 'Could not process rule: Operation not supported';

/** Checks the statements out[from..] of a rule being added to `chain`. */
export function checkStmtHooks(chain: NftChain, files: readonly string[], out: readonly IrStmt[], from: number, pos: Pos): void {
  const base = chain.base;
  if (base === null) return;
  for (let i = from; i < out.length; i++) {
    const h = out[i]!.hooks;
    if (h !== undefined && !h.includes(base.hook)) {
      throw new NftError(files[pos.src] ?? 'ruleset', pos.line, pos.col, `${REFUSED}: ${out[i]!.text()} is not valid in the ${base.hook} hook`);
    }
  }
}

/** Checks every regular chain's rules against the hooks of the base chains that reach it. */
export function checkChainHooks(t: NftTable, files: readonly string[]): void {
  for (const ch of t.chains.values()) {
    if (ch.base === null) continue;
    const seen = new Set<NftChain>();
    const walk = (c: NftChain): void => {
      if (seen.has(c)) return;
      seen.add(c);
      for (const r of c.rules) {
        for (const s of r.stmts) {
          if (c !== ch && s.hooks !== undefined && !s.hooks.includes(ch.base!.hook)) {
            throw new NftError(files[r.pos.src] ?? 'ruleset', r.pos.line, r.pos.col, `${REFUSED}: ${s.text()} in chain ${c.name} is not valid in the ${ch.base!.hook} hook (reached from base chain ${ch.name})`);
          }
          const m = /(?:^|\s)(?:jump|goto) (\S+)/g;
          const txt = s.text();
          for (let x = m.exec(txt); x !== null; x = m.exec(txt)) {
            const next = t.chains.get(x[1]!);
            if (next && next.base === null) walk(next);
          }
        }
      }
    };
    walk(ch);
  }
}
