/**
 * nft base chains for the pipeline: every `type T hook H priority P` chain of every ip, ip6 and
 * inet table becomes a BaseChain on its hook at its numeric priority (inet chains serve both
 * families). Rules are compiled once into Ops; a packet walks them as nft_do_chain does: a rule
 * whose expression breaks is left for the next one, `jump` pushes a return point (`goto` does
 * not), `return` or the end of a regular chain goes back, and the end of the base chain (or a
 * `return` from it) leaves the decision to the policy, traced as "FAMILY TABLE CHAIN policy".
 *
 * netdev chains (and inet chains on the ingress hook) run at their devices' ingress / egress
 * hooks, arp chains at the arp family's input / output (netfilter/netdev.ts). Bridge chains are
 * loaded and listed but never run: they see frames of bridge ports, and the simulated host has
 * no bridge.
 */
import type { BaseChain, ChainResult } from '../netfilter/chain.js';
import { ChainVerdict } from '../netfilter/chain.js';
import { Hook, type PacketContext } from '../netfilter/context.js';
import { Code, type CompileCtx, type Op, type Vm, pktLen } from './ir.js';
import type { NftChain, NftRuleset, NftTable } from './model.js';
import { checkChainHooks } from './hooks.js';

const HOOK_OF: Readonly<Record<string, Hook>> = {
  prerouting: Hook.PREROUTING,
  input: Hook.INPUT,
  forward: Hook.FORWARD,
  output: Hook.OUTPUT,
  postrouting: Hook.POSTROUTING,
};

/** The kernel's jump stack depth (NFT_JUMP_STACK_SIZE). */
const STACK = 16;

interface CChain {
  readonly src: NftChain;
  rules: Op[][];
}

/** An error about the ruleset as a whole (unsupported family, a jump loop). */
export class NftChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NftChainError';
  }
}

const ACCEPTED: ChainResult = Object.freeze({ verdict: ChainVerdict.ACCEPT, action: null }) as ChainResult;
const DROPPED: ChainResult = Object.freeze({ verdict: ChainVerdict.DROP, action: null }) as ChainResult;

/** Every base chain of the ruleset, compiled. */
export function nftBaseChains(rs: NftRuleset): BaseChain[] {
  const out: BaseChain[] = [];
  const vm: Vm = { reg: new Uint8Array(64), chain: null, action: null, trace: [] };
  for (const t of rs.tables) {
    checkFamily(t);
    checkLoops(t);
    // bridge chains see bridge ports only; the simulated host has none (README)
    if (t.family === 'bridge') continue;
    checkChainHooks(t, rs.files);
    const compiled = new Map<NftChain, CChain>();
    const get = (ch: NftChain): CChain => {
      let c = compiled.get(ch);
      if (!c) {
        c = { src: ch, rules: [] };
        compiled.set(ch, c);
        c.rules = compileRules(rs, t, ch, vm, get);
      }
      return c;
    };
    for (const ch of t.chains.values()) {
      if (ch.base === null) continue;
      out.push(baseChain(t, ch, get(ch), vm));
    }
  }
  return out;
}

/** The pipeline hook of a base chain of family `family` on nft hook `hook` (undefined: none). */
function hookOf(family: string, hook: string): Hook | undefined {
  if (family === 'arp') return hook === 'input' ? Hook.ARP_IN : hook === 'output' ? Hook.ARP_OUT : undefined;
  if (hook === 'ingress') return Hook.INGRESS;
  if (hook === 'egress') return Hook.EGRESS;
  return HOOK_OF[hook];
}

function checkFamily(t: NftTable): void {
  for (const c of t.chains.values()) {
    if (c.base && t.family !== 'bridge' && hookOf(t.family, c.base.hook) === undefined) {
      throw new NftChainError(`chain ${t.family} ${t.name} ${c.name}: the ${c.base.hook} hook is not supported by the pipeline yet`);
    }
  }
}

/** The kernel refuses rulesets whose jumps loop (and deeper than its stack). */
function checkLoops(t: NftTable): void {
  const targets = (ch: NftChain): string[] => {
    const out: string[] = [];
    for (const r of ch.rules) {
      for (const s of r.stmts) {
        const m = /(?:^|\s)(?:jump|goto) (\S+)/g;
        for (let x = m.exec(s.text()); x !== null; x = m.exec(s.text())) out.push(x[1]!);
      }
    }
    return out;
  };
  const visit = (ch: NftChain, path: string[]): void => {
    if (path.includes(ch.name)) throw new NftChainError(`table ${t.family} ${t.name}: Could not process rule: Too many levels of symbolic links (chain ${ch.name} jumps back to itself)`);
    if (path.length > STACK) throw new NftChainError(`table ${t.family} ${t.name}: Could not process rule: Too many links (jumps nested deeper than ${STACK})`);
    for (const n of targets(ch)) {
      const next = t.chains.get(n);
      if (next) visit(next, [...path, ch.name]);
    }
  };
  for (const c of t.chains.values()) if (c.base) visit(c, []);
}

function compileRules(rs: NftRuleset, t: NftTable, ch: NftChain, vm: Vm, get: (c: NftChain) => CChain): Op[][] {
  return ch.rules.map((r, i) => {
    const cc: CompileCtx = {
      vm,
      trace: `${t.family} ${t.name} ${ch.name} ${i + 1}`,
      chain: (name) => {
        const target = t.chains.get(name);
        if (!target) throw new NftChainError(`chain ${name} does not exist in table ${t.family} ${t.name}`);
        return get(target);
      },
      epoch: (now) => {
        if (rs.epoch === null) rs.epoch = now;
        return rs.epoch;
      },
    };
    return r.stmts.map((s) => s.compile(cc));
  });
}

function baseChain(t: NftTable, ch: NftChain, compiled: CChain, vm: Vm): BaseChain {
  const base = ch.base!;
  const label = `${t.family} ${t.name} ${ch.name}`;
  const policyTrace = `${label} policy`;
  const stackChains: (CChain | null)[] = new Array(STACK).fill(null);
  const stackPos = new Int32Array(STACK);
  return {
    family: t.family === 'ip' ? 4 : t.family === 'ip6' ? 6 : 0,
    hook: hookOf(t.family, base.hook)!,
    ...(base.device.length > 0 ? { devices: base.device } : {}),
    ...(t.family === 'inet' && base.hook === 'ingress' ? { ipOnly: true } : {}),
    priority: base.priority,
    type: base.type,
    label,
    run(ctx: PacketContext, trace: string[]): ChainResult {
      vm.trace = trace;
      const code = walk(compiled, ctx, vm, stackChains, stackPos);
      if (code === Code.ACCEPT) return ACCEPTED;
      if (code === Code.DROP) return DROPPED;
      if (code === Code.ACTION) return { verdict: ChainVerdict.ACTION, action: vm.action };
      ch.policyCounter.packets++;
      ch.policyCounter.bytes += pktLen(ctx);
      trace.push(policyTrace);
      return ch.policy === 'drop' ? DROPPED : ACCEPTED;
    },
  };
}

/** nft_do_chain: ACCEPT, DROP or ACTION, or RETURN when the base chain's policy decides. */
function walk(base: CChain, ctx: PacketContext, vm: Vm, stackChains: (CChain | null)[], stackPos: Int32Array): number {
  let chain = base;
  let i = 0;
  let sp = 0;
  for (;;) {
    const rules = chain.rules;
    if (i >= rules.length) {
      if (sp === 0) return Code.RETURN;
      sp--;
      chain = stackChains[sp]!;
      i = stackPos[sp]!;
      stackChains[sp] = null;
      continue;
    }
    const ops = rules[i++]!;
    const traced = vm.trace.length;
    let code: number = Code.NEXT;
    for (let k = 0; k < ops.length; k++) {
      code = ops[k]!(ctx);
      if (code !== Code.NEXT) break;
    }
    switch (code) {
      case Code.NEXT:
        continue;
      case Code.BREAK:
        // a rule that breaks is not traced (nft_do_chain traces NFT_CONTINUE and verdicts only),
        // even when a counter before the expression that broke was raised
        vm.trace.length = traced;
        continue;
      case Code.ACCEPT:
      case Code.DROP:
      case Code.ACTION:
        return code;
      case Code.JUMP:
        if (sp >= STACK) return Code.DROP;
        stackChains[sp] = chain;
        stackPos[sp] = i;
        sp++;
        chain = vm.chain as CChain;
        i = 0;
        continue;
      case Code.GOTO:
        chain = vm.chain as CChain;
        i = 0;
        continue;
      case Code.RETURN:
        i = rules.length;
        continue;
    }
  }
}
