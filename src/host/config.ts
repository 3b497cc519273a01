/**
 * HOST.json: the simulated box's interfaces, addresses, routes, policy rules, sysctls and local
 * listening sockets (../shared/spec/replay-contract.md), parsed and validated into HostConfig.
 *
 * Every error names the file and the JSON path of the offending value and says what was
 * expected (HostConfigError); nothing unknown is silently ignored.
 */
import { tryParseIp as parseIp } from '../packet/addr.js';

export class HostConfigError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${file}: ${path}: ${expected}`);
    this.name = 'HostConfigError';
  }
}

export interface IfAddress {
  family: 4 | 6;
  addr: Uint32Array;
  prefixLen: number;
  text: string;
}

export interface InterfaceConfig {
  name: string;
  index: number;
  addresses: IfAddress[];
  mtu: number;
  /** MAC as 6 bytes, or null when the interface has none (raw IP links, lo). */
  mac: Uint8Array | null;
  up: boolean;
}

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'unreachable' | 'prohibit' | 'blackhole' | 'throw';

export interface RouteConfig {
  family: 4 | 6;
  dst: Uint32Array;
  prefixLen: number;
  via: Uint32Array | null;
  dev: string | null;
  metric: number;
  table: number;
  type: RouteType;
  /** Preferred source address (src), or null. */
  prefsrc: Uint32Array | null;
  /** Scope: 'link' for connected routes, 'host' for local, 'universe' otherwise. */
  scope: 'universe' | 'link' | 'host';
}

export interface RuleConfig {
  family: 4 | 6;
  priority: number;
  from: { addr: Uint32Array; len: number } | null;
  to: { addr: Uint32Array; len: number } | null;
  iif: string | null;
  oif: string | null;
  fwmark: number | null;
  fwmask: number;
  not: boolean;
  action: 'table' | 'unreachable' | 'prohibit' | 'blackhole';
  table: number;
}

export interface ListenerConfig {
  proto: 'tcp' | 'udp';
  port: number;
  /** Bound address, or null for any. */
  addr: Uint32Array | null;
  family: 4 | 6 | 0;
}

/** A conntrack timeout policy (`nfct timeout add NAME inet PROTO ...`), for CT --timeout. */
export interface TimeoutPolicyConfig {
  /** Layer-4 protocol number the policy is for. */
  proto: number;
  /** Timeouts by nfct attribute name (established, syn_sent, unreplied, ...), seconds. */
  timeouts: Map<string, number>;
}

export interface HostConfig {
  interfaces: InterfaceConfig[];
  routes: RouteConfig[];
  rules: RuleConfig[];
  sysctl: Map<string, string>;
  listeners: ListenerConfig[];
  /** Timeout policies by name (HOST.json "ct_timeout"). */
  timeoutPolicies: Map<string, TimeoutPolicyConfig>;
}

const TABLE_IDS: Record<string, number> = { local: 255, main: 254, default: 253, unspec: 0 };

type Json = unknown;

class Reader {
  constructor(readonly file: string) {}
  fail(path: string, expected: string): never {
    throw new HostConfigError(this.file, path, expected);
  }
  obj(v: Json, path: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `expected an object, got ${describe(v)}`);
    return v as Record<string, Json>;
  }
  arr(v: Json, path: string): Json[] {
    if (!Array.isArray(v)) this.fail(path, `expected an array, got ${describe(v)}`);
    return v;
  }
  str(v: Json, path: string): string {
    if (typeof v !== 'string' || v === '') this.fail(path, `expected a non-empty string, got ${describe(v)}`);
    return v;
  }
  int(v: Json, path: string, min: number, max: number): number {
    const n = typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) ? Number(v.trim()) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.fail(path, `expected an integer from ${min} to ${max}, got ${describe(v)}`);
    }
    return n;
  }
  onlyKeys(o: Record<string, Json>, path: string, keys: string[]): void {
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) this.fail(`${path}.${k}`, `unknown field (expected one of ${keys.join(', ')})`);
    }
  }
  ip(v: Json, path: string): { family: 4 | 6; words: Uint32Array } {
    const s = this.str(v, path);
    const p = parseIp(s);
    if (!p) this.fail(path, `expected an IPv4 or IPv6 address, got ${JSON.stringify(s)}`);
    return p;
  }
  prefix(v: Json, path: string, allowDefault: boolean, familyHint: 4 | 6 = 4): { family: 4 | 6; addr: Uint32Array; len: number } {
    const s = this.str(v, path);
    if (allowDefault && s === 'default') return { family: familyHint, addr: new Uint32Array(4), len: 0 };
    const slash = s.indexOf('/');
    const a = parseIp(slash < 0 ? s : s.slice(0, slash));
    if (!a) this.fail(path, `expected an address or prefix like 10.0.0.0/8, got ${JSON.stringify(s)}`);
    const max = a.family === 4 ? 32 : 128;
    let len = max;
    if (slash >= 0) {
      const t = s.slice(slash + 1);
      if (!/^\d+$/.test(t) || Number(t) > max) this.fail(path, `prefix length must be 0..${max}, got ${JSON.stringify(t)}`);
      len = Number(t);
    }
    return { family: a.family, addr: a.words, len };
  }
}

function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

function parseMac(r: Reader, v: Json, path: string): Uint8Array {
  const s = r.str(v, path);
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(s);
  if (!m) r.fail(path, `expected a MAC address like 02:00:00:00:00:01, got ${JSON.stringify(s)}`);
  return Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
}

function parseTable(r: Reader, v: Json, path: string): number {
  if (typeof v === 'string' && v in TABLE_IDS) return TABLE_IDS[v]!;
  return r.int(v, path, 0, 0xffffffff);
}

function parseInterfaces(r: Reader, v: Json): InterfaceConfig[] {
  const list = r.arr(v, 'interfaces');
  const seen = new Set<string>();
  return list.map((item, i) => {
    const path = `interfaces[${i}]`;
    const o = r.obj(item, path);
    r.onlyKeys(o, path, ['name', 'addresses', 'mtu', 'mac', 'up', 'index']);
    const name = r.str(o.name, `${path}.name`);
    if (name.length > 15) r.fail(`${path}.name`, `interface names are at most 15 characters (IFNAMSIZ), got ${JSON.stringify(name)}`);
    if (seen.has(name)) r.fail(`${path}.name`, `duplicate interface ${JSON.stringify(name)}`);
    seen.add(name);
    const addrs = o.addresses === undefined ? [] : r.arr(o.addresses, `${path}.addresses`);
    const addresses = addrs.map((a, j) => {
      const p = r.prefix(a, `${path}.addresses[${j}]`, false);
      return { family: p.family, addr: p.addr, prefixLen: p.len, text: a as string };
    });
    return {
      name,
      index: o.index === undefined ? i + 2 : r.int(o.index, `${path}.index`, 1, 0x7fffffff),
      addresses,
      mtu: o.mtu === undefined ? 1500 : r.int(o.mtu, `${path}.mtu`, 68, 65535),
      mac: o.mac === undefined ? null : parseMac(r, o.mac, `${path}.mac`),
      up: o.up === undefined ? true : o.up === true,
    };
  });
}

const ROUTE_TYPES: RouteType[] = ['unicast', 'local', 'broadcast', 'unreachable', 'prohibit', 'blackhole', 'throw'];

function parseRoutes(r: Reader, v: Json, ifaces: InterfaceConfig[]): RouteConfig[] {
  const list = r.arr(v, 'routes');
  return list.map((item, i) => {
    const path = `routes[${i}]`;
    const o = r.obj(item, path);
    r.onlyKeys(o, path, ['to', 'via', 'dev', 'metric', 'table', 'type', 'src', 'scope', 'family']);
    const via = o.via === undefined ? null : r.ip(o.via, `${path}.via`);
    const famHint: 4 | 6 = via?.family ?? (o.family === 6 || o.family === 'inet6' ? 6 : 4);
    const to = r.prefix(o.to, `${path}.to`, true, famHint);
    if (via && via.family !== to.family) r.fail(`${path}.via`, `gateway family does not match the destination ${JSON.stringify(o.to)}`);
    const dev = o.dev === undefined ? null : r.str(o.dev, `${path}.dev`);
    if (dev !== null && !ifaces.some((f) => f.name === dev)) r.fail(`${path}.dev`, `no interface named ${JSON.stringify(dev)}`);
    const type = o.type === undefined ? 'unicast' : (r.str(o.type, `${path}.type`) as RouteType);
    if (!ROUTE_TYPES.includes(type)) r.fail(`${path}.type`, `expected one of ${ROUTE_TYPES.join(', ')}`);
    if (type === 'unicast' && !via && !dev) r.fail(path, 'a unicast route needs "via" or "dev"');
    const prefsrc = o.src === undefined ? null : r.ip(o.src, `${path}.src`).words;
    return {
      family: to.family,
      dst: to.addr,
      prefixLen: to.len,
      via: via?.words ?? null,
      dev,
      metric: o.metric === undefined ? (to.family === 6 ? 1024 : 0) : r.int(o.metric, `${path}.metric`, 0, 0xffffffff),
      table: o.table === undefined ? 254 : parseTable(r, o.table, `${path}.table`),
      type,
      prefsrc,
      scope: via ? 'universe' : type === 'local' ? 'host' : 'link',
    };
  });
}

function parseRules(r: Reader, v: Json): RuleConfig[] {
  const list = r.arr(v, 'rules');
  return list.map((item, i) => {
    const path = `rules[${i}]`;
    const o = r.obj(item, path);
    r.onlyKeys(o, path, ['priority', 'from', 'to', 'iif', 'oif', 'fwmark', 'table', 'action', 'not', 'family']);
    const from = o.from === undefined || o.from === 'all' ? null : r.prefix(o.from, `${path}.from`, false);
    const to = o.to === undefined || o.to === 'all' ? null : r.prefix(o.to, `${path}.to`, false);
    let fwmark: number | null = null;
    let fwmask = 0xffffffff;
    if (o.fwmark !== undefined) {
      const s = typeof o.fwmark === 'number' ? String(o.fwmark) : r.str(o.fwmark, `${path}.fwmark`);
      const [m, k] = s.split('/');
      fwmark = r.int(m, `${path}.fwmark`, 0, 0xffffffff);
      if (k !== undefined) fwmask = r.int(k, `${path}.fwmark`, 0, 0xffffffff);
    }
    const action = o.action === undefined ? 'table' : (r.str(o.action, `${path}.action`) as RuleConfig['action']);
    if (!['table', 'unreachable', 'prohibit', 'blackhole'].includes(action)) {
      r.fail(`${path}.action`, 'expected table, unreachable, prohibit or blackhole');
    }
    if (action === 'table' && o.table === undefined) r.fail(path, 'a rule needs "table" (or an action)');
    const family: 4 | 6 = from?.family ?? to?.family ?? (o.family === 6 || o.family === 'inet6' ? 6 : 4);
    return {
      family,
      priority: o.priority === undefined ? 32765 - i : r.int(o.priority, `${path}.priority`, 0, 0xffffffff),
      from: from && { addr: from.addr, len: from.len },
      to: to && { addr: to.addr, len: to.len },
      iif: o.iif === undefined ? null : r.str(o.iif, `${path}.iif`),
      oif: o.oif === undefined ? null : r.str(o.oif, `${path}.oif`),
      fwmark,
      fwmask,
      not: o.not === true,
      action,
      table: action === 'table' ? parseTable(r, o.table, `${path}.table`) : 0,
    };
  });
}

function parseSysctl(r: Reader, v: Json): Map<string, string> {
  const o = r.obj(v, 'sysctl');
  const m = new Map<string, string>();
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== 'number' && typeof val !== 'string' && typeof val !== 'boolean') {
      r.fail(`sysctl.${k}`, `expected a number or string, got ${describe(val)}`);
    }
    m.set(k.replace(/\//g, '.'), String(typeof val === 'boolean' ? (val ? 1 : 0) : val));
  }
  return m;
}

function parseListeners(r: Reader, v: Json): ListenerConfig[] {
  return r.arr(v, 'listen').map((item, i) => {
    const path = `listen[${i}]`;
    const o = r.obj(item, path);
    r.onlyKeys(o, path, ['proto', 'port', 'addr']);
    const proto = r.str(o.proto, `${path}.proto`);
    if (proto !== 'tcp' && proto !== 'udp') r.fail(`${path}.proto`, 'expected "tcp" or "udp"');
    const a = o.addr === undefined ? null : r.ip(o.addr, `${path}.addr`);
    return { proto, port: r.int(o.port, `${path}.port`, 1, 65535), addr: a?.words ?? null, family: a?.family ?? 0 };
  });
}

/** nfct's timeout attribute names per protocol. */
export const TIMEOUT_ATTRS: Readonly<Record<string, { proto: number; names: readonly string[] }>> = {
  tcp: { proto: 6, names: ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'retrans', 'unacknowledged'] },
  udp: { proto: 17, names: ['unreplied', 'replied'] },
  udplite: { proto: 136, names: ['unreplied', 'replied'] },
  icmp: { proto: 1, names: ['timeout'] },
  icmpv6: { proto: 58, names: ['timeout'] },
  sctp: { proto: 132, names: ['closed', 'cookie_wait', 'cookie_echoed', 'established', 'shutdown_sent', 'shutdown_recd', 'shutdown_ack_sent', 'heartbeat_sent'] },
  gre: { proto: 47, names: ['unreplied', 'replied'] },
  generic: { proto: 255, names: ['timeout'] },
};

function parseTimeoutPolicies(r: Reader, v: Json): Map<string, TimeoutPolicyConfig> {
  const o = r.obj(v, 'ct_timeout');
  const out = new Map<string, TimeoutPolicyConfig>();
  for (const [name, body] of Object.entries(o)) {
    const path = `ct_timeout.${name}`;
    const b = r.obj(body, path);
    r.onlyKeys(b, path, ['l4proto', 'timeouts']);
    const protoName = r.str(b.l4proto, `${path}.l4proto`);
    const attrs = TIMEOUT_ATTRS[protoName];
    if (!attrs) r.fail(`${path}.l4proto`, `expected one of ${Object.keys(TIMEOUT_ATTRS).join(', ')}`);
    const t = r.obj(b.timeouts, `${path}.timeouts`);
    const timeouts = new Map<string, number>();
    for (const [k, val] of Object.entries(t)) {
      if (!attrs.names.includes(k)) r.fail(`${path}.timeouts.${k}`, `not a ${protoName} timeout (expected one of ${attrs.names.join(', ')})`);
      timeouts.set(k, r.int(val, `${path}.timeouts.${k}`, 0, 0x7fffffff));
    }
    out.set(name, { proto: attrs.proto, timeouts });
  }
  return out;
}

/** Parse HOST.json text. `file` names the file in error messages. */
export function parseHostConfig(text: string, file = 'host.json'): HostConfig {
  const r = new Reader(file);
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const where = lineCol(text, m ? Number(m[1]) : text.length);
    throw new HostConfigError(file, where, `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  return hostConfigFromObject(doc, file);
}

/** Validate an already-parsed HOST.json object. */
export function hostConfigFromObject(doc: Json, file = 'host.json'): HostConfig {
  const r = new Reader(file);
  const o = r.obj(doc, '(top level)');
  r.onlyKeys(o, '(top level)', ['interfaces', 'routes', 'rules', 'sysctl', 'listen', 'ct_timeout', 'comment']);
  if (o.interfaces === undefined) r.fail('interfaces', 'missing: a host needs at least one interface');
  const interfaces = parseInterfaces(r, o.interfaces);
  return {
    interfaces,
    routes: o.routes === undefined ? [] : parseRoutes(r, o.routes, interfaces),
    rules: o.rules === undefined ? [] : parseRules(r, o.rules),
    sysctl: o.sysctl === undefined ? new Map() : parseSysctl(r, o.sysctl),
    listeners: o.listen === undefined ? [] : parseListeners(r, o.listen),
    timeoutPolicies: o.ct_timeout === undefined ? new Map() : parseTimeoutPolicies(r, o.ct_timeout),
  };
}

function lineCol(text: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line}, column ${col}`;
}
