/**
 * Snapshot a real box: `ip -j addr`, `ip -j route show table all` (and `ip -6 -j route show table
 * all`), `ip -j rule` (and `ip -6 -j rule`) and `sysctl -a` output turned into a HOST.json object,
 * so a firewall can be replayed offline exactly as it is configured.
 *
 * Routes and rules the kernel makes by itself (protocol kernel, the local table, the three default
 * rules) are left out: the host model derives them from the addresses as Linux does. Sysctls the
 * host model does not know are not carried over; their names are returned in `skipped` so the
 * caller can say so.
 */
import { hostConfigFromObject, HostConfigError } from './config.js';
import { isConntrackSysctl } from '../conntrack/settings.js';
import { HostSysctls } from './sysctl.js';

export interface IpSnapshotFiles {
  /** `ip -j addr` JSON text. */
  addr: string;
  /** `ip -j route show table all` outputs (IPv4 and/or IPv6), each with its family. */
  routes?: Array<{ text: string; family: 4 | 6; file: string }>;
  /** `ip -j rule` outputs, each with its family. */
  rules?: Array<{ text: string; family: 4 | 6; file: string }>;
  /** `sysctl -a` text. */
  sysctl?: string;
  files?: { addr?: string; sysctl?: string };
}

export interface ImportResult {
  host: Record<string, unknown>;
  /** Sysctl names present in the snapshot that ctkit does not model. */
  skipped: string[];
}

type J = Record<string, unknown>;

function parseJsonArray(text: string, file: string): J[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HostConfigError(file, 'JSON', `invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new HostConfigError(file, '(top level)', 'expected the JSON array that `ip -j` prints');
  return v as J[];
}

function interfacesFrom(text: string, file: string): J[] {
  return parseJsonArray(text, file)
    .filter((l) => l.ifname !== 'lo')
    .map((l, i) => {
      if (typeof l.ifname !== 'string') throw new HostConfigError(file, `[${i}].ifname`, 'expected an interface name');
      const addrs = Array.isArray(l.addr_info) ? (l.addr_info as J[]) : [];
      const out: J = {
        name: l.ifname,
        addresses: addrs.filter((a) => a.family === 'inet' || a.family === 'inet6').map((a) => `${a.local}/${a.prefixlen}`),
      };
      if (typeof l.ifindex === 'number') out.index = l.ifindex;
      if (typeof l.mtu === 'number') out.mtu = l.mtu;
      if (l.link_type === 'ether' && typeof l.address === 'string') out.mac = l.address;
      if (Array.isArray(l.flags) && !l.flags.includes('UP')) out.up = false;
      return out;
    });
}

const KEPT_ROUTE_TYPES = new Set(['unicast', 'unreachable', 'prohibit', 'blackhole', 'throw', undefined]);

/** A route's family from its own addresses; `default` without a gateway takes the file's. */
function routeFamily(r: J, hint: 4 | 6): 4 | 6 {
  if (String(r.dst).includes(':') || String(r.gateway ?? '').includes(':')) return 6;
  if (r.dst === 'default' && r.gateway === undefined) return hint;
  return 4;
}

function routesFrom(text: string, hint: 4 | 6, file: string, known: Set<string>): J[] {
  return parseJsonArray(text, file)
    .filter((r) => r.protocol !== 'kernel' && r.table !== 'local' && KEPT_ROUTE_TYPES.has(r.type as string | undefined))
    .filter((r) => r.dev === undefined || known.has(String(r.dev)))
    .map((r) => {
      const out: J = { to: r.dst, family: routeFamily(r, hint) };
      if (r.gateway !== undefined) out.via = r.gateway;
      if (r.dev !== undefined) out.dev = r.dev;
      if (typeof r.metric === 'number') out.metric = r.metric;
      if (r.table !== undefined && r.table !== 'main') out.table = /^\d+$/.test(String(r.table)) ? Number(r.table) : r.table;
      if (r.type !== undefined && r.type !== 'unicast') out.type = r.type;
      if (r.prefsrc !== undefined) out.src = r.prefsrc;
      return out;
    });
}

function isDefaultRule(r: J): boolean {
  const plain = r.src === 'all' && r.dst === undefined && r.iif === undefined && r.oif === undefined && r.fwmark === undefined;
  return plain && ((r.priority === 0 && r.table === 'local') || (r.priority === 32766 && r.table === 'main') || (r.priority === 32767 && r.table === 'default'));
}

function rulesFrom(text: string, family: 4 | 6, file: string): J[] {
  return parseJsonArray(text, file)
    .filter((r) => !isDefaultRule(r))
    .map((r, i) => {
      const out: J = { family, priority: r.priority };
      if (r.src !== undefined && r.src !== 'all') out.from = r.srclen !== undefined ? `${r.src}/${r.srclen}` : r.src;
      if (r.dst !== undefined && r.dst !== 'all') out.to = r.dstlen !== undefined ? `${r.dst}/${r.dstlen}` : r.dst;
      if (r.iif !== undefined) out.iif = r.iif;
      if (r.oif !== undefined) out.oif = r.oif;
      if (r.fwmark !== undefined) out.fwmark = r.fwmask !== undefined ? `${r.fwmark}/${r.fwmask}` : r.fwmark;
      if (r.not === true || r.not === null) out.not = true;
      if (r.action !== undefined && r.action !== 'to_tbl') out.action = r.action;
      else if (r.table !== undefined) out.table = /^\d+$/.test(String(r.table)) ? Number(r.table) : r.table;
      else throw new HostConfigError(file, `[${i}]`, 'a rule without "table" or "action"');
      return out;
    });
}

function sysctlsFrom(text: string, ifaces: string[], file: string): { values: Record<string, string>; skipped: string[] } {
  const probe = new HostSysctls(ifaces);
  const values: Record<string, string> = {};
  const skipped: string[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const eq = t.indexOf('=');
    if (eq < 0) throw new HostConfigError(file, `line ${i + 1}`, 'expected `name = value` as `sysctl -a` prints it');
    const name = t.slice(0, eq).trim();
    const value = t.slice(eq + 1).trim();
    if (!/^-?\d+$/.test(value)) {
      skipped.push(name);
      return;
    }
    try {
      probe.set(name, value);
      values[name] = value;
    } catch {
      if (isConntrackSysctl(name)) throw new HostConfigError(file, `line ${i + 1}`, `${name}: bad value ${JSON.stringify(value)}`);
      skipped.push(name);
    }
  });
  return { values, skipped };
}

/** Build a HOST.json object from `ip -j` / `sysctl -a` snapshots (validated before it is returned). */
export function hostFromIpSnapshot(s: IpSnapshotFiles): ImportResult {
  const addrFile = s.files?.addr ?? 'ip-addr.json';
  const interfaces = interfacesFrom(s.addr, addrFile);
  const names = new Set(interfaces.map((f) => String(f.name)));
  const seen = new Set<string>();
  const routes = (s.routes ?? [])
    .flatMap((r) => routesFrom(r.text, r.family, r.file, names))
    .filter((r) => {
      // `ip -j route show table all` lists both families; the -6 listing repeats the IPv6 ones.
      const key = JSON.stringify(r);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  const rules = (s.rules ?? []).flatMap((r) => rulesFrom(r.text, r.family, r.file));
  const sys = s.sysctl !== undefined ? sysctlsFrom(s.sysctl, [...names], s.files?.sysctl ?? 'sysctl.txt') : { values: {}, skipped: [] };
  const host: Record<string, unknown> = { interfaces, routes };
  if (rules.length) host.rules = rules;
  if (Object.keys(sys.values).length) host.sysctl = sys.values;
  hostConfigFromObject(host, 'imported host');
  return { host, skipped: sys.skipped };
}
