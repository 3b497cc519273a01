/**
 * The recorder's test network, built from scratch for every recording run inside private
 * network namespaces (nothing leaves them):
 *
 *     ${P}_client:eth0 ==veth== r_cli : ${P}_router : r_srv ==veth== eth0:${P}_server
 *                                      r_wan ==veth== eth0:${P}_wan
 *
 *   r_cli 10.0.1.1/24     LAN  endpoint 10.0.1.2,    raw hosts 10.0.1.100-254
 *   r_srv 10.0.2.1/24     DMZ  endpoint 10.0.2.2,    raw hosts 10.0.2.100-254
 *   r_wan 203.0.113.1/24  WAN  endpoint 203.0.113.2, raw hosts 203.0.113.100-254, default route
 *                              via 203.0.113.254 (anything off-link lives behind it)
 *   with IPv6: fd00:1::1/64, fd00:2::1/64, fd00:3::1/64, raw hosts ::100-::13f, ::/0 via fd00:3::fe
 *
 * (the host of the shared corpus, so scenarios from either recorder run on both). Every neighbour
 * has a permanent entry (no ARP or neighbour discovery), offloads are off (real checksums, no
 * super-frames), IPv6 is disabled unless asked for, and the endpoint namespaces drop every IP
 * packet at netdev ingress: only the recorder speaks for the hosts, the endpoints' stacks never
 * answer. The prefix P is `ckr` (env CKR_PREFIX).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';

export const PREFIX = process.env['CKR_PREFIX'] ?? 'ckr';
export const ROUTER_NS = `${PREFIX}_router`;

export type SideName = 'client' | 'server' | 'wan';

/** One router interface and the endpoint namespace behind it. */
export interface Side {
  name: SideName;
  ns: string;
  /** Router interface name. */
  rif: string;
  rmac: string;
  emac: string;
  rip: string;
  eip: string;
  pfx: string;
  rip6: string;
  eip6: string;
  pfx6: string;
}

export const SIDES: Record<SideName, Side> = {
  client: { name: 'client', ns: `${PREFIX}_client`, rif: 'r_cli', rmac: '02:00:00:00:01:01', emac: '02:00:00:00:01:02', rip: '10.0.1.1', eip: '10.0.1.2', pfx: '10.0.1.', rip6: 'fd00:1::1', eip6: 'fd00:1::2', pfx6: 'fd00:1::' },
  server: { name: 'server', ns: `${PREFIX}_server`, rif: 'r_srv', rmac: '02:00:00:00:02:01', emac: '02:00:00:00:02:02', rip: '10.0.2.1', eip: '10.0.2.2', pfx: '10.0.2.', rip6: 'fd00:2::1', eip6: 'fd00:2::2', pfx6: 'fd00:2::' },
  wan: { name: 'wan', ns: `${PREFIX}_wan`, rif: 'r_wan', rmac: '02:00:00:00:03:01', emac: '02:00:00:00:03:02', rip: '203.0.113.1', eip: '203.0.113.2', pfx: '203.0.113.', rip6: 'fd00:3::1', eip6: 'fd00:3::2', pfx6: 'fd00:3::' },
};

export const SIDE_LIST: Side[] = [SIDES.client, SIDES.server, SIDES.wan];
export const WAN_GW = '203.0.113.254';
export const WAN_GW6 = 'fd00:3::fe';
const RAW_HOSTS = { from: 100, to: 254 };
const RAW_HOSTS6 = { from: 0x100, to: 0x13f };

/** Sysctls every recording sets in the router namespace (a scenario may override them). */
export const DEFAULT_SYSCTLS: Record<string, number> = {
  'net.ipv4.ip_forward': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv4.conf.all.send_redirects': 0,
  'net.ipv4.conf.default.send_redirects': 0,
  'net.netfilter.nf_conntrack_acct': 1,
  'net.netfilter.nf_conntrack_timestamp': 0,
  'net.netfilter.nf_conntrack_checksum': 1,
  'net.netfilter.nf_conntrack_tcp_loose': 1,
};

/** Read-only inside a namespace on this kernel: only the initial namespace's value can be changed. */
export const GLOBAL_SYSCTLS = ['net.netfilter.nf_conntrack_max'];
const CTMAX_SAVE = '/tmp/ckr_ctmax_saved';

/** Runs a command, throwing with its output when it fails. */
export function sh(argv: string[], input?: string): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`command failed (${err.status}): ${argv.join(' ')}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** Runs a command, ignoring failure; returns stdout. */
export function shQuiet(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8' });
  return r.stdout ?? '';
}

/** A command run inside a namespace. */
export function inNs(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** Runs a command in the router namespace. */
export function router(argv: string[], input?: string): string {
  return sh(inNs(ROUTER_NS, argv), input);
}

function allNs(): string[] {
  return [ROUTER_NS, ...SIDE_LIST.map((s) => s.ns)];
}

function existingNs(): string[] {
  return shQuiet(['ip', 'netns', 'list'])
    .split('\n')
    .map((l) => l.split(/\s+/)[0]!)
    .filter(Boolean);
}

/** Removes the recorder's namespaces (and restores a lowered global conntrack limit). */
export function teardown(): void {
  const have = new Set(existingNs());
  for (const ns of allNs()) if (have.has(ns)) shQuiet(['ip', 'netns', 'del', ns]);
  restoreGlobalCtMax();
}

function restoreGlobalCtMax(): void {
  if (!existsSync(CTMAX_SAVE)) return;
  writeFileSync('/proc/sys/net/netfilter/nf_conntrack_max', readFileSync(CTMAX_SAVE, 'utf8').trim());
  unlinkSync(CTMAX_SAVE);
}

/**
 * Lowers the initial namespace's nf_conntrack_max (the limit every namespace shares) for a
 * table-full scenario. Refused unless CKR_ALLOW_GLOBAL_CT_MAX=1, no other named namespace exists
 * (someone else's traffic would be limited too) and the initial namespace tracks nothing.
 */
function setGlobalCtMax(v: number): void {
  if (process.env['CKR_ALLOW_GLOBAL_CT_MAX'] !== '1') {
    throw new Error('scenario needs net.netfilter.nf_conntrack_max, which is global on this kernel: set CKR_ALLOW_GLOBAL_CT_MAX=1 to let the recorder lower it temporarily');
  }
  const others = existingNs().filter((n) => !n.startsWith(`${PREFIX}_`));
  if (others.length) throw new Error(`refusing to lower the global nf_conntrack_max: other namespaces exist: ${others.join(' ')}`);
  if (Number(readFileSync('/proc/sys/net/netfilter/nf_conntrack_count', 'utf8')) !== 0) {
    throw new Error('refusing to lower the global nf_conntrack_max: the initial namespace tracks connections');
  }
  if (!existsSync(CTMAX_SAVE)) writeFileSync(CTMAX_SAVE, readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8'));
  writeFileSync('/proc/sys/net/netfilter/nf_conntrack_max', String(v));
}

function nsBase(ns: string, ipv6: boolean): void {
  sh(['ip', 'netns', 'add', ns]);
  sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  const v6 = ipv6
    ? ['accept_dad=0', 'dad_transmits=0', 'accept_ra=0', 'router_solicitations=0'].flatMap((kv) => [`net.ipv6.conf.all.${kv}`, `net.ipv6.conf.default.${kv}`])
    : ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
  sh(inNs(ns, ['sysctl', '-qw', ...v6]));
}

/** The netdev filter that keeps an endpoint's stack silent (and, with IPv6, its ND/MLD). */
function endpointNft(ipv6: boolean): string {
  let t = 'table netdev ckr_ep {\n  chain ing { type filter hook ingress device eth0 priority 0; meta protocol { ip, ip6 } drop; }\n}\n';
  if (ipv6) {
    t += 'table inet ckr_epo {\n  chain out { type filter hook output priority 0;\n    icmpv6 type { mld-listener-report, mld2-listener-report, nd-router-solicit, nd-neighbor-solicit } drop; }\n}\n';
  }
  return t;
}

function linkSide(s: Side, ipv6: boolean, batch: string[]): void {
  sh(['ip', 'link', 'add', s.rif, 'netns', ROUTER_NS, 'address', s.rmac, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', s.ns, 'address', s.emac]);
  sh(['ip', '-n', ROUTER_NS, 'addr', 'add', `${s.rip}/24`, 'dev', s.rif]);
  sh(['ip', '-n', s.ns, 'addr', 'add', `${s.eip}/24`, 'dev', 'eth0']);
  if (ipv6) {
    sh(['ip', '-n', ROUTER_NS, 'addr', 'add', `${s.rip6}/64`, 'dev', s.rif, 'nodad']);
    sh(['ip', '-n', s.ns, 'addr', 'add', `${s.eip6}/64`, 'dev', 'eth0', 'nodad']);
  }
  sh(['ip', '-n', ROUTER_NS, 'link', 'set', s.rif, 'up']);
  sh(['ip', '-n', s.ns, 'link', 'set', 'eth0', 'up']);
  sh(['ip', '-n', s.ns, 'route', 'add', 'default', 'via', s.rip]);
  sh(['ip', '-n', s.ns, 'neigh', 'replace', s.rip, 'lladdr', s.rmac, 'dev', 'eth0', 'nud', 'permanent']);
  batch.push(`neigh replace ${s.eip} lladdr ${s.emac} dev ${s.rif} nud permanent`);
  for (let i = RAW_HOSTS.from; i <= RAW_HOSTS.to; i++) batch.push(`neigh replace ${s.pfx}${i} lladdr ${s.emac} dev ${s.rif} nud permanent`);
  if (ipv6) {
    sh(['ip', '-n', s.ns, '-6', 'route', 'add', 'default', 'via', s.rip6]);
    sh(['ip', '-n', s.ns, 'neigh', 'replace', s.rip6, 'lladdr', s.rmac, 'dev', 'eth0', 'nud', 'permanent']);
    batch.push(`neigh replace ${s.eip6} lladdr ${s.emac} dev ${s.rif} nud permanent`);
    for (let i = RAW_HOSTS6.from; i <= RAW_HOSTS6.to; i++) batch.push(`neigh replace ${s.pfx6}${i.toString(16)} lladdr ${s.emac} dev ${s.rif} nud permanent`);
  }
  sh(inNs(s.ns, ['nft', '-f', '-']), endpointNft(ipv6));
  for (const [ns, dev] of [[ROUTER_NS, s.rif], [s.ns, 'eth0']] as const) {
    shQuiet(inNs(ns, ['ethtool', '-K', dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']));
  }
}

/** Applies sysctls in the router namespace; `.conf.all.` values are copied to every interface. */
function applySysctls(sc: Record<string, number | string>): Record<string, number | string> {
  const applied: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(sc)) {
    if (GLOBAL_SYSCTLS.includes(k)) {
      setGlobalCtMax(Number(v));
      applied[k] = v;
      continue;
    }
    router(['sysctl', '-qw', `${k}=${v}`]);
    applied[k] = v;
    if (k.startsWith('net.ipv4.conf.all.')) {
      const leaf = k.split('.').pop()!;
      for (const s of SIDE_LIST) {
        const k2 = `net.ipv4.conf.${s.rif}.${leaf}`;
        router(['sysctl', '-qw', `${k2}=${v}`]);
        applied[k2] = v;
      }
    }
  }
  return applied;
}

/** What setup() built, for host.json. */
export interface Built {
  ipv6: boolean;
  /** Whether the default routes via the WAN gateway exist (scenarios about "no route" leave them out). */
  defaultRoute: boolean;
  sysctls: Record<string, number | string>;
}

/** Builds the network (after removing any leftover of ours) and applies the sysctls. */
export function setup(sysctls: Record<string, number | string>, ipv6: boolean, defaultRoute = true): Built {
  teardown();
  const sc: Record<string, number | string> = { ...DEFAULT_SYSCTLS, ...(ipv6 ? { 'net.ipv6.conf.all.forwarding': 1 } : {}), ...sysctls };
  for (const ns of allNs()) nsBase(ns, ipv6);
  const batch: string[] = [];
  for (const s of SIDE_LIST) linkSide(s, ipv6, batch);
  batch.push(`neigh replace ${WAN_GW} lladdr ${SIDES.wan.emac} dev r_wan nud permanent`);
  if (defaultRoute) batch.push(`route add default via ${WAN_GW} dev r_wan`);
  if (ipv6) batch.push(`neigh replace ${WAN_GW6} lladdr ${SIDES.wan.emac} dev r_wan nud permanent`);
  if (ipv6 && defaultRoute) batch.push(`route add ::/0 via ${WAN_GW6} dev r_wan`);
  sh(['ip', '-n', ROUTER_NS, '-batch', '-'], batch.join('\n') + '\n');
  return { ipv6, defaultRoute, sysctls: applySysctls(sc) };
}

/** The router as the replay contract's HOST.json describes it. */
export function hostJson(b: Built): unknown {
  const interfaces = SIDE_LIST.map((s) => ({ name: s.rif, addresses: [`${s.rip}/24`, ...(b.ipv6 ? [`${s.rip6}/64`] : [])], mac: s.rmac }));
  const routes: { to: string; via: string; dev: string }[] = [];
  if (b.defaultRoute) routes.push({ to: 'default', via: WAN_GW, dev: 'r_wan' });
  if (b.ipv6 && b.defaultRoute) routes.push({ to: '::/0', via: WAN_GW6, dev: 'r_wan' });
  const sysctl: Record<string, number | string> = b.ipv6 ? {} : { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 };
  Object.assign(sysctl, b.sysctls);
  return { interfaces, routes, sysctl };
}

/** The side a destination address is routed to (off-link addresses go to the WAN). */
export function sideOfAddress(addr: string): Side {
  const a = addr.toLowerCase();
  return SIDE_LIST.find((s) => a.startsWith(s.pfx) || a.startsWith(s.pfx6)) ?? SIDES.wan;
}

/** The side behind a router interface name. */
export function sideOfIface(iface: string): Side {
  const s = SIDE_LIST.find((x) => x.rif === iface);
  if (!s) throw new Error(`unknown router interface ${iface} (have ${SIDE_LIST.map((x) => x.rif).join(', ')})`);
  return s;
}
