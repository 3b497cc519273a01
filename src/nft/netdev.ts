/**
 * The netdev family's own statements, as nft_fwd_netdev / nft_dup_netdev do them:
 *
 * - `fwd to DEV`: the frame leaves on DEV as it is (the link-layer header pushed back at ingress)
 *   and the hook's verdict is STOLEN: nothing else of the host sees it;
 * - `fwd ip to ADDR device DEV` (`ip6`): the TTL / hop limit is decremented and the frame goes to
 *   the neighbour ADDR on DEV; for a packet of the other family the rule breaks;
 * - `dup to DEV`: a copy leaves on DEV now, the original goes on.
 *
 * The kernel accepts them at the ingress and egress hooks only (nft_fwd_validate). The device is
 * a name (a device map is not supported); the pipeline carries the frames out (netfilter/netdev.ts).
 * `dup to ADDR [device DEV]` of the ip, ip6 and inet families (nf_dup_ipv4 / ipv6) is not modelled.
 */
import type { Action } from '../netfilter/context.js';
import { Unsupported } from '../netfilter/pipeline.js';
import { parseIp } from '../packet/addr.js';
import type { Expr, Pos, Stmt } from './ast.js';
import { NftError } from './lexer.js';
import { T } from './datatypes.js';
import { Code, type CompileCtx, type IrStmt, type Op } from './ir.js';
import type { NftTable } from './model.js';

const HOOKS: readonly string[] = ['ingress', 'egress'];

/** A netdev statement (fwd, dup) of a rule. */
class NetdevStmt implements IrStmt {
  readonly hooks = HOOKS;
  constructor(
    private readonly txt: string,
    private readonly make: (cc: CompileCtx) => Op,
  ) {}
  text(): string {
    return this.txt;
  }
  compile(cc: CompileCtx): Op {
    return this.make(cc);
  }
}

function fail(files: readonly string[], pos: Pos, msg: string): never {
  throw new NftError(files[pos.src] ?? 'ruleset', pos.line, pos.col, msg);
}

/** A device name: a constant (`"eth0"`, `eth0`). */
function deviceName(files: readonly string[], e: Expr, what: string): string {
  if (e.k !== 'const') fail(files, e.pos, `${what}: only a device name is supported by ctkit (not a map or an expression)`);
  if (e.text === '' || e.text.length >= 16) fail(files, e.pos, `${what}: invalid device name "${e.text}"`);
  return e.text;
}

/** `fwd ...` / `dup ...` of a rule in `table`. */
export function fwdDupStmt(scope: { readonly table: NftTable; readonly files: readonly string[] }, s: Stmt & ({ k: 'fwd' } | { k: 'dup' })): IrStmt {
  const files = scope.files;
  if (s.k === 'dup') {
    if (scope.table.family !== 'netdev') {
      fail(files, s.pos, 'dup to an address (the ip and ip6 families: nf_dup_ipv4 / nf_dup_ipv6) is not supported by ctkit');
    }
    const dev = deviceName(files, s.addr, 'dup');
    return new NetdevStmt(`dup to "${dev}"`, () => (ctx) => {
      if (!ctx.dupTo) throw new Unsupported(`dup to "${dev}" outside a netdev ingress / egress hook`);
      ctx.dupTo(dev);
      return Code.NEXT;
    });
  }
  const dev = deviceName(files, s.dev, 'fwd');
  let addr: Uint8Array | null = null;
  let txt = `fwd to "${dev}"`;
  if (s.family !== null) {
    const a = s.addr!;
    if (a.k !== 'const') fail(files, a.pos, 'fwd: only an address is supported by ctkit as the neighbour (not a map or an expression)');
    let words: Uint32Array;
    let fam: number;
    try {
      const p = parseIp(a.text);
      words = p.words;
      fam = p.family;
    } catch {
      fail(files, a.pos, `fwd: "${a.text}" is not an ${s.family === 4 ? 'IPv4' : 'IPv6'} address`);
    }
    if (fam !== s.family) fail(files, a.pos, `fwd: "${a.text}" is not an ${s.family === 4 ? 'IPv4' : 'IPv6'} address`);
    addr = new Uint8Array(s.family === 4 ? 4 : 16);
    for (let i = 0; i < addr.length; i++) addr[i] = (words[i >> 2]! >>> (24 - 8 * (i & 3))) & 255;
    txt = `fwd ${s.family === 4 ? 'ip' : 'ip6'} to ${(s.family === 4 ? T.ipv4_addr : T.ipv6_addr).print(addr)} device "${dev}"`;
  }
  const family = s.family;
  const target = addr;
  return new NetdevStmt(txt, (cc) => {
    const vm = cc.vm;
    const action: Action = Object.freeze({ kind: 'fwd', dev, family, addr: target, rule: cc.trace });
    return (ctx) => {
      // nft_fwd_neigh_eval: a packet of the other family breaks the rule
      if (family !== null && (ctx.pkt.family !== family)) return Code.BREAK;
      vm.action = action;
      return Code.ACTION;
    };
  });
}
