/**
 * What each nft family allows, as nft 1.0.6 and the Linux 6.18 kernel check it when a ruleset is
 * loaded: the hooks of base chains (and which need a device), chain types, the standard priority
 * names, and the statements and expressions that cannot be used in a family at all.
 *
 *   ip, ip6   prerouting input forward output postrouting
 *   inet      the same, plus ingress (a device is required: the chain runs at that device's
 *             netdev ingress hook, for IPv4 and IPv6 frames only)
 *   arp       input output (forward: the kernel refuses it)
 *   bridge    prerouting input forward output postrouting (bridge ports only: see chains.ts)
 *   netdev    ingress egress, bound to one or more devices
 *
 * Priority names: ip, ip6 and inet know raw -300, mangle -150, dstnat -100 (prerouting only),
 * filter 0, security 50, srcnat 100 (postrouting only); arp and netdev only filter 0; bridge
 * dstnat -300 (prerouting), filter -200, out 100 (output), srcnat 300 (postrouting).
 */
import type { Expr, Family, Stmt } from './ast.js';

const IP_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
const HOOKS: Readonly<Record<Family, readonly string[]>> = {
  ip: IP_HOOKS,
  ip6: IP_HOOKS,
  inet: [...IP_HOOKS, 'ingress'],
  arp: ['input', 'output', 'forward'],
  bridge: IP_HOOKS,
  netdev: ['ingress', 'egress'],
};

/** The priority names a family knows, in nft's lookup order. */
const PRIO_TABLE: Readonly<Record<Family, readonly (readonly [string, number])[]>> = (() => {
  const ip: readonly (readonly [string, number])[] = [['raw', -300], ['mangle', -150], ['dstnat', -100], ['filter', 0], ['security', 50], ['srcnat', 100]];
  return { ip, ip6: ip, inet: ip, arp: [['filter', 0]], netdev: [['filter', 0]], bridge: [['dstnat', -300], ['filter', -200], ['out', 100], ['srcnat', 300]] };
})();

/** Hooks a priority name is restricted to (nft's std_prio_family_hook_compat). */
const PRIO_HOOK: Readonly<Record<string, string>> = { dstnat: 'prerouting', srcnat: 'postrouting', out: 'output' };

/** The standard priority names of a family, in nft's lookup order. */
export function priorityTable(family: Family): readonly (readonly [string, number])[] {
  return PRIO_TABLE[family];
}

/** Whether priority name `name` may be used for `hook` (bridge `out` only in output, ...). */
export function priorityNameFits(name: string, hook: string): boolean {
  const only = PRIO_HOOK[name];
  return only === undefined || only === hook;
}

/** The value of a priority name in a family for a hook, or null when it is not valid there. */
export function priorityByName(family: Family, hook: string, name: string): number | null {
  const e = PRIO_TABLE[family].find(([n]) => n === name);
  return e !== undefined && priorityNameFits(name, hook) ? e[1] : null;
}

/** nft's prio2str: a standard name within 10 of the value, if the name fits the hook; else the number. */
export function priorityText(family: Family, hook: string, prio: number): string {
  for (const [name, v] of PRIO_TABLE[family]) {
    if (Math.abs(prio - v) > 10) continue;
    if (!priorityNameFits(name, hook)) break;
    const off = prio - v;
    return off === 0 ? name : off > 0 ? `${name} + ${off}` : `${name} - ${-off}`;
  }
  return String(prio);
}

/**
 * What is wrong with a base chain declaration, as nft / the kernel say it, or null. `type` and
 * `hook` are the declared ones; `devices` the device list (`device X`, `devices = { ... }`).
 */
export function baseChainProblem(family: Family, type: string, hook: string, devices: readonly string[]): string | null {
  if (!HOOKS[family].includes(hook)) return `The ${family} family does not support this hook`;
  if (family === 'arp' && hook === 'forward') return 'Could not process rule: Operation not supported';
  const onDevice = hook === 'ingress' || hook === 'egress';
  if (onDevice && devices.length === 0) return "Missing `device' in this chain definition";
  if (!onDevice && devices.length > 0) return 'This chain type cannot be bound to device';
  if (type === 'nat' && family !== 'ip' && family !== 'ip6' && family !== 'inet') return 'Could not process rule: No such file or directory';
  if (type === 'route' && family !== 'ip' && family !== 'ip6' && family !== 'inet') return 'Could not process rule: No such file or directory';
  if (type !== 'filter' && onDevice) return 'Could not process rule: No such file or directory';
  return null;
}

/** Where a family rule problem is, and what. */
export interface FamilyProblem {
  readonly at: Expr | Stmt;
  readonly message: string;
}

/**
 * Statements and expressions a family cannot have (checked when a rule is added, before it is
 * evaluated): conntrack (`ct` expressions and statements, `ct helper` ...) needs an ip, ip6, inet
 * or bridge table (the kernel's nf_ct_netns_get refuses netdev and arp: "Protocol error"); NAT
 * only in ip, ip6, inet; `reject` not in arp, and in netdev only at ingress (where ctkit does not
 * model it: nft_reject_netdev answers straight out of the device); `fwd` only in netdev, `dup` in
 * netdev (to a device) and ip / ip6 (to an address); `meta nfproto` only in inet; IPv4/IPv6
 * payload in arp.
 */
export function familyProblem(family: Family, hook: string | null, stmts: readonly Stmt[]): FamilyProblem | null {
  const noCt = family === 'netdev' || family === 'arp';
  const protoErr = 'Could not process rule: Protocol error';
  let found: FamilyProblem | null = null;
  const expr = (e: Expr | null): void => {
    if (e === null || found !== null) return;
    switch (e.k) {
      case 'ct':
        if (noCt) found = { at: e, message: protoErr };
        return;
      case 'meta':
        if (e.key === 'nfproto' && family !== 'inet') found = { at: e, message: 'meta nfproto is only useful in the inet family' };
        return;
      case 'payload':
        if (family === 'arp' && (e.proto === 'ip' || e.proto === 'ip6' || (e.proto !== 'arp' && e.proto !== 'ether' && e.proto !== 'vlan'))) {
          found = { at: e, message: `conflicting protocols specified: arp vs. ${e.proto}` };
        }
        return;
      case 'set':
        e.elems.forEach(expr);
        return;
      case 'elem':
        expr(e.key);
        return;
      case 'mapping':
        expr(e.key);
        expr(e.value);
        return;
      case 'list':
        e.items.forEach(expr);
        return;
      case 'concat':
        e.parts.forEach(expr);
        return;
      case 'range':
        expr(e.lo);
        expr(e.hi);
        return;
      case 'prefix':
        expr(e.base);
        return;
      case 'binop':
        expr(e.l);
        expr(e.r);
        return;
      case 'masked':
        expr(e.value);
        expr(e.mask);
        return;
      case 'map':
        expr(e.key);
        expr(e.map);
        return;
      case 'hash':
        expr(e.expr);
        return;
      default:
        return;
    }
  };
  const stmt = (s: Stmt): void => {
    if (found !== null) return;
    switch (s.k) {
      case 'match':
        expr(s.lhs);
        expr(s.rhs);
        return;
      case 'vmap':
        expr(s.key);
        expr(s.map);
        return;
      case 'set':
        expr(s.lhs);
        expr(s.value);
        return;
      case 'objref':
        if (noCt && s.type.startsWith('ct ')) found = { at: s, message: protoErr };
        else expr(s.map);
        return;
      case 'nat':
        if (family !== 'ip' && family !== 'ip6' && family !== 'inet') found = { at: s, message: 'NAT is only supported for IPv4/IPv6' };
        else {
          expr(s.addr);
          expr(s.port);
        }
        return;
      case 'reject':
        if (family === 'arp') found = { at: s, message: 'cannot use reject with arp' };
        else if (family === 'netdev' && hook === 'egress') found = { at: s, message: 'Could not process rule: Operation not supported' };
        else if (family === 'netdev') found = { at: s, message: 'reject in a netdev chain (nft_reject_netdev: an answer sent straight out of the device) is not supported by ctkit' };
        return;
      case 'fwd':
        if (family !== 'netdev') found = { at: s, message: 'unsupported family' };
        else {
          expr(s.dev);
          expr(s.addr);
        }
        return;
      case 'dup':
        // nft: `dup to DEV` in netdev, `dup to ADDR [device DEV]` in ip and ip6 only
        if (family === 'netdev' && s.dev !== null) found = { at: s, message: 'cannot specify device' };
        else if (family !== 'netdev' && family !== 'ip' && family !== 'ip6') found = { at: s, message: 'unsupported family' };
        else {
          expr(s.addr);
          expr(s.dev);
        }
        return;
      case 'dynset':
      case 'meter':
        expr(s.key);
        s.stmts.forEach(stmt);
        return;
      default:
        return;
    }
  };
  stmts.forEach(stmt);
  return found;
}
