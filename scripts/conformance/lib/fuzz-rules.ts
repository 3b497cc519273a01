/**
 * The differential fuzzer's rulesets: an abstract rule model (tables, chains, a few matches and
 * targets) drawn from realistic building blocks, rendered as iptables-restore text or as nft -f
 * text (one `table ip fz`), or both (some tables in each, as they coexist on a host). Rules stay
 * abstract until rendering so that the minimiser can remove them one by one.
 */

import type { Rng } from './fuzz-rng.js';

export type Table = 'raw' | 'mangle' | 'nat' | 'filter';
export type Backend = 'iptables' | 'nft';

export interface Match {
  proto?: 'tcp' | 'udp' | 'icmp';
  iif?: string;
  oif?: string;
  src?: string;
  dst?: string;
  dport?: number;
  /** conntrack states (NEW ESTABLISHED RELATED INVALID UNTRACKED, DNAT SNAT as ctstate too). */
  ctstate?: string[];
  /** -m state instead of -m conntrack (iptables). */
  stateMatch?: boolean;
  icmpType?: 'echo-request' | 'echo-reply';
  mark?: number;
  connmark?: number;
  /** Only SYN of FIN,SYN,RST,ACK (TCP). */
  syn?: boolean;
  /** Extra matches that decorate a rule (multiport, length, ttl, limit, address range, ...). */
  extra?: Extra;
}

/** One extra match, rendered for both backends (iptables-only ones are marked). */
export type Extra =
  | { x: 'dports'; ports: number[] }
  | { x: 'length'; lo: number; hi: number }
  | { x: 'ttl-gt'; ttl: number }
  | { x: 'limit'; rate: number; burst: number }
  | { x: 'src-range'; lo: string; hi: string }
  | { x: 'ctstatus'; status: 'ASSURED' | 'SEEN_REPLY' | 'CONFIRMED' }
  | { x: 'ctdir'; dir: 'ORIGINAL' | 'REPLY' }
  | { x: 'pkttype'; type: 'unicast' | 'broadcast' | 'multicast' }
  | { x: 'nth'; every: number; packet: number }
  | { x: 'connlimit'; above: number }
  | { x: 'addrtype-local' };

/** Extras ctkit's nft front end or nft 1.0.6 cannot express the same way. */
export const IPTABLES_ONLY_EXTRAS = new Set(['addrtype-local', 'connlimit', 'nth']);

export type Target =
  | { t: 'ACCEPT' | 'DROP' | 'RETURN' | 'NOTRACK' | 'MASQUERADE' }
  | { t: 'REJECT'; with?: RejectWith }
  | { t: 'LOG'; prefix: string }
  | { t: 'MARK'; set: number }
  | { t: 'CONNMARK'; op: 'save' | 'restore' | 'set'; value?: number }
  | { t: 'SNAT'; to: string }
  | { t: 'DNAT'; to: string }
  | { t: 'REDIRECT'; port: number }
  | { t: 'TCPMSS'; mss: number }
  | { t: 'JUMP'; chain: string }
  | { t: 'HELPER'; helper: 'ftp' | 'tftp' };

export type RejectWith =
  | 'icmp-port-unreachable'
  | 'icmp-host-unreachable'
  | 'icmp-net-unreachable'
  | 'icmp-admin-prohibited'
  | 'icmp-host-prohibited'
  | 'icmp-net-prohibited'
  | 'icmp-proto-unreachable'
  | 'tcp-reset';

export interface Rule {
  table: Table;
  chain: string;
  m: Match;
  t: Target;
}

/** A ruleset: rules in order, filter policies, user chains and the backend of each table. */
export interface FuzzRuleset {
  rules: Rule[];
  /** "TABLE CHAIN" -> policy of a built-in chain (ACCEPT when absent). */
  policies: Record<string, 'ACCEPT' | 'DROP'>;
  userChains: { table: Table; name: string }[];
  backend: Partial<Record<Table, Backend>>;
}

const BUILTIN: Record<Table, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};
const TABLE_ORDER: Table[] = ['raw', 'mangle', 'nat', 'filter'];

const hex = (n: number): string => `0x${n.toString(16)}`;

// ------------------------------------------------------------------------------------------------
// iptables

function iptMatch(m: Match): string {
  const p: string[] = [];
  if (m.src) p.push(`-s ${m.src}`);
  if (m.dst) p.push(`-d ${m.dst}`);
  if (m.iif) p.push(`-i ${m.iif}`);
  if (m.oif) p.push(`-o ${m.oif}`);
  if (m.proto) p.push(`-p ${m.proto}`);
  if (m.proto === 'tcp' && (m.dport !== undefined || m.syn)) {
    p.push('-m tcp');
    if (m.dport !== undefined) p.push(`--dport ${m.dport}`);
    if (m.syn) p.push('--tcp-flags FIN,SYN,RST,ACK SYN');
  } else if (m.proto === 'udp' && m.dport !== undefined) p.push(`-m udp --dport ${m.dport}`);
  if (m.proto === 'icmp' && m.icmpType) p.push(`-m icmp --icmp-type ${m.icmpType === 'echo-request' ? 8 : 0}`);
  if (m.mark !== undefined) p.push(`-m mark --mark ${hex(m.mark)}`);
  if (m.connmark !== undefined) p.push(`-m connmark --mark ${hex(m.connmark)}`);
  if (m.ctstate?.length) p.push(m.stateMatch ? `-m state --state ${m.ctstate.join(',')}` : `-m conntrack --ctstate ${m.ctstate.join(',')}`);
  if (m.extra) p.push(iptExtra(m.extra, m.proto));
  return p.join(' ');
}

function iptExtra(e: Extra, proto: string | undefined): string {
  switch (e.x) {
    case 'dports':
      return proto === 'tcp' || proto === 'udp' ? `-m multiport --dports ${e.ports.join(',')}` : '';
    case 'length':
      return `-m length --length ${e.lo}:${e.hi}`;
    case 'ttl-gt':
      return `-m ttl --ttl-gt ${e.ttl}`;
    case 'limit':
      return `-m limit --limit ${e.rate}/sec --limit-burst ${e.burst}`;
    case 'src-range':
      return `-m iprange --src-range ${e.lo}-${e.hi}`;
    case 'ctstatus':
      return `-m conntrack --ctstatus ${e.status}`;
    case 'ctdir':
      return `-m conntrack --ctdir ${e.dir}`;
    case 'pkttype':
      return `-m pkttype --pkt-type ${e.type}`;
    case 'nth':
      return `-m statistic --mode nth --every ${e.every} --packet ${e.packet}`;
    case 'connlimit':
      return `-m connlimit --connlimit-above ${e.above} --connlimit-mask 32 --connlimit-saddr`;
    case 'addrtype-local':
      return '-m addrtype --dst-type LOCAL';
  }
}

function nftExtra(e: Extra, proto: string | undefined): string {
  switch (e.x) {
    case 'dports':
      return proto === 'tcp' || proto === 'udp' ? `${proto} dport { ${e.ports.join(', ')} }` : '';
    case 'length':
      return `meta length ${e.lo}-${e.hi}`;
    case 'ttl-gt':
      return `ip ttl > ${e.ttl}`;
    case 'limit':
      return `limit rate ${e.rate}/second burst ${e.burst} packets`;
    case 'src-range':
      return `ip saddr ${e.lo}-${e.hi}`;
    case 'ctstatus':
      return `ct status ${e.status === 'SEEN_REPLY' ? 'seen-reply' : e.status.toLowerCase()}`;
    case 'ctdir':
      return `ct direction ${e.dir.toLowerCase()}`;
    case 'pkttype':
      return `meta pkttype ${e.type}`;
    default:
      throw new Error(`extra match ${e.x} has no nft form here`);
  }
}

function iptTarget(t: Target): string {
  switch (t.t) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'NOTRACK':
    case 'MASQUERADE':
      return `-j ${t.t}`;
    case 'REJECT':
      return t.with ? `-j REJECT --reject-with ${t.with}` : '-j REJECT';
    case 'LOG':
      return `-j LOG --log-prefix "${t.prefix}"`;
    case 'MARK':
      return `-j MARK --set-mark ${hex(t.set)}`;
    case 'CONNMARK':
      return t.op === 'save' ? '-j CONNMARK --save-mark' : t.op === 'restore' ? '-j CONNMARK --restore-mark' : `-j CONNMARK --set-mark ${hex(t.value ?? 0)}`;
    case 'SNAT':
      return `-j SNAT --to-source ${t.to}`;
    case 'DNAT':
      return `-j DNAT --to-destination ${t.to}`;
    case 'REDIRECT':
      return `-j REDIRECT --to-ports ${t.port}`;
    case 'TCPMSS':
      return `-j TCPMSS --set-mss ${t.mss}`;
    case 'JUMP':
      return `-j ${t.chain}`;
    case 'HELPER':
      return `-j CT --helper ${t.helper}`;
  }
}

function renderIptables(rs: FuzzRuleset, tables: Table[]): string {
  const out: string[] = [];
  for (const table of tables) {
    out.push(`*${table}`);
    for (const c of BUILTIN[table]) out.push(`:${c} ${rs.policies[`${table} ${c}`] ?? 'ACCEPT'} [0:0]`);
    for (const u of rs.userChains) if (u.table === table) out.push(`:${u.name} - [0:0]`);
    for (const r of rs.rules) if (r.table === table) out.push(`-A ${r.chain} ${[iptMatch(r.m), iptTarget(r.t)].filter(Boolean).join(' ')}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------------------
// nft

const NFT_REJECT: Record<RejectWith, string> = {
  'icmp-port-unreachable': 'reject with icmp type port-unreachable',
  'icmp-host-unreachable': 'reject with icmp type host-unreachable',
  'icmp-net-unreachable': 'reject with icmp type net-unreachable',
  'icmp-admin-prohibited': 'reject with icmp type admin-prohibited',
  'icmp-host-prohibited': 'reject with icmp type host-prohibited',
  'icmp-net-prohibited': 'reject with icmp type net-prohibited',
  'icmp-proto-unreachable': 'reject with icmp type prot-unreachable',
  'tcp-reset': 'reject with tcp reset',
};

function nftMatch(m: Match): string {
  const p: string[] = [];
  if (m.iif) p.push(`iifname "${m.iif}"`);
  if (m.oif) p.push(`oifname "${m.oif}"`);
  if (m.src) p.push(`ip saddr ${m.src}`);
  if (m.dst) p.push(`ip daddr ${m.dst}`);
  if (m.proto) {
    if (m.dport !== undefined) p.push(`${m.proto} dport ${m.dport}`);
    else if (m.proto === 'icmp' && m.icmpType) p.push(`icmp type ${m.icmpType}`);
    else p.push(`meta l4proto ${m.proto}`);
    if (m.syn) p.push('tcp flags & (fin | syn | rst | ack) == syn');
  }
  if (m.mark !== undefined) p.push(`meta mark ${hex(m.mark)}`);
  if (m.connmark !== undefined) p.push(`ct mark ${hex(m.connmark)}`);
  if (m.ctstate?.length) {
    const st = m.ctstate.filter((s) => s !== 'DNAT' && s !== 'SNAT').map((s) => s.toLowerCase());
    const status = m.ctstate.filter((s) => s === 'DNAT' || s === 'SNAT').map((s) => s.toLowerCase());
    if (st.length) p.push(`ct state ${st.join(',')}`);
    if (status.length) p.push(`ct status ${status.join(',')}`);
  }
  if (m.extra) p.push(nftExtra(m.extra, m.proto));
  return p.filter(Boolean).join(' ');
}

function nftTarget(t: Target): string {
  switch (t.t) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return t.t.toLowerCase();
    case 'NOTRACK':
      return 'notrack';
    case 'MASQUERADE':
      return 'masquerade';
    case 'REJECT':
      return t.with ? NFT_REJECT[t.with] : 'reject';
    case 'LOG':
      return `log prefix "${t.prefix}"`;
    case 'MARK':
      return `meta mark set ${hex(t.set)}`;
    case 'CONNMARK':
      return t.op === 'save' ? 'ct mark set meta mark' : t.op === 'restore' ? 'meta mark set ct mark' : `ct mark set ${hex(t.value ?? 0)}`;
    case 'SNAT':
      return `snat to ${t.to}`;
    case 'DNAT':
      return `dnat to ${t.to}`;
    case 'REDIRECT':
      return `redirect to :${t.port}`;
    case 'TCPMSS':
      return `tcp option maxseg size set ${t.mss}`;
    case 'JUMP':
      return `jump ${t.chain.toLowerCase()}`;
    case 'HELPER':
      return `ct helper set "fz-${t.helper}"`;
  }
}

/** nft base chain declaration of a built-in iptables chain. */
function nftHook(table: Table, chain: string, policy: string): string {
  const hook = chain.toLowerCase();
  const prio: Record<Table, number> = { raw: -300, mangle: -150, nat: hook === 'prerouting' || hook === 'output' ? -100 : 100, filter: 0 };
  const type = table === 'nat' ? 'nat' : 'filter';
  return `type ${type} hook ${hook} priority ${prio[table]}; policy ${policy.toLowerCase()};`;
}

function renderNft(rs: FuzzRuleset, tables: Table[]): string {
  const out: string[] = ['table ip fz {'];
  const chains: string[][] = [];
  // nft assigns a helper to an existing conntrack entry: after the lookup (priority -200), not in raw
  const helpers = rs.rules.filter((r) => r.t.t === 'HELPER' && tables.includes(r.table));
  for (const h of [...new Set(helpers.map((r) => (r.t as { helper: string }).helper))]) {
    out.push(`  ct helper fz-${h} {`, `    type "${h}" protocol ${h === 'ftp' ? 'tcp' : 'udp'};`, '  }', '');
  }
  if (helpers.length) {
    chains.push(['  chain helpers {', '    type filter hook prerouting priority -150; policy accept;', ...helpers.map((r) => `    ${[nftMatch(r.m), 'counter', nftTarget(r.t)].filter(Boolean).join(' ')}`), '  }']);
  }
  for (const table of tables) {
    for (const c of BUILTIN[table]) {
      const rules = rs.rules.filter((r) => r.table === table && r.chain === c && r.t.t !== 'HELPER');
      const policy = rs.policies[`${table} ${c}`] ?? 'ACCEPT';
      if (!rules.length && policy === 'ACCEPT') continue;
      chains.push([`  chain ${table}_${c.toLowerCase()} {`, `    ${nftHook(table, c, policy)}`, ...rules.map((r) => `    ${[nftMatch(r.m), 'counter', nftTarget(r.t)].filter(Boolean).join(' ')}`), '  }']);
    }
    for (const u of rs.userChains) {
      if (u.table !== table) continue;
      const rules = rs.rules.filter((r) => r.table === table && r.chain === u.name);
      chains.push([`  chain ${u.name.toLowerCase()} {`, ...rules.map((r) => `    ${[nftMatch(r.m), 'counter', nftTarget(r.t)].filter(Boolean).join(' ')}`), '  }']);
    }
  }
  chains.forEach((c, k) => {
    if (k) out.push('');
    out.push(...c);
  });
  out.push('}');
  return out.join('\n') + '\n';
}

/** Tables that need rendering (rules or a non-default policy). */
function usedTables(rs: FuzzRuleset): Table[] {
  return TABLE_ORDER.filter((t) => rs.rules.some((r) => r.table === t) || Object.entries(rs.policies).some(([k, v]) => k.startsWith(`${t} `) && v !== 'ACCEPT'));
}

/** The ruleset as iptables-restore and/or nft text (at least one of them). */
export function renderRuleset(rs: FuzzRuleset): { iptables?: string; nft?: string } {
  let tables = usedTables(rs);
  if (!tables.length) tables = ['filter'];
  const ipt = tables.filter((t) => (rs.backend[t] ?? 'iptables') === 'iptables');
  const nft = tables.filter((t) => rs.backend[t] === 'nft');
  const res: { iptables?: string; nft?: string } = {};
  if (ipt.length) res.iptables = renderIptables(rs, ipt);
  if (nft.length) res.nft = renderNft(rs, nft);
  if (!res.iptables && !renderNftHasChains(res.nft)) res.iptables = renderIptables(rs, ['filter']);
  return res;
}

function renderNftHasChains(t: string | undefined): boolean {
  return Boolean(t && t.includes('chain '));
}

// ------------------------------------------------------------------------------------------------
// building blocks

/** The NAT the traffic generator has to know about (how each end sees the other). */
export interface NatPlan {
  /** Source NAT on -o r_wan: MASQUERADE or SNAT to the router's WAN address; `lan`: only 10.0.1.0/24. */
  snat: null | { kind: 'MASQUERADE' | 'SNAT'; from: 'all' | 'lan' };
  /** Port forwards on -i r_wan -d 203.0.113.1. */
  dnat: { proto: 'tcp' | 'udp'; pub: number; to: string; toPort: number }[];
  /** REDIRECT of LAN traffic to a local port of the router (no socket listens). */
  redirect: { proto: 'tcp' | 'udp'; port: number; toPort: number }[];
  /** NOTRACK of traffic to these ports (raw PREROUTING). */
  notrack: { proto: 'tcp' | 'udp'; port: number }[];
}

export interface RulesetChoice {
  ruleset: FuzzRuleset;
  nat: NatPlan;
  /** Short words describing the blocks used (for tags and descriptions). */
  features: string[];
}

/** A service the traffic uses, for the filter's allow rules. */
export interface Service {
  /** Ingress interface of the client ('local': the router's own traffic). */
  iface: string;
  proto: 'tcp' | 'udp' | 'icmp';
  /** Destination port as the filter sees it (after DNAT), 0 for ICMP. */
  dport: number;
  /** Through DNAT / to the router itself. */
  dnat: boolean;
  local: boolean;
  /** A conntrack helper the service needs (assigned in raw PREROUTING). */
  helper?: 'ftp' | 'tftp';
}

const REJECTS: RejectWith[] = ['icmp-port-unreachable', 'icmp-host-unreachable', 'icmp-net-unreachable', 'icmp-admin-prohibited', 'icmp-host-prohibited', 'icmp-net-prohibited', 'icmp-proto-unreachable'];

/** The first part of a ruleset: NOTRACK, marks, TCPMSS, source NAT, port forwards, REDIRECT. */
export function genNat(rng: Rng, servers: string[]): RulesetChoice {
  const rules: Rule[] = [];
  const features: string[] = [];
  const add = (table: Table, chain: string, m: Match, t: Target): void => void rules.push({ table, chain, m, t });
  const nat: NatPlan = { snat: null, dnat: [], redirect: [], notrack: [] };

  // raw: NOTRACK
  if (rng.chance(0.15)) {
    const n = { proto: rng.pick(['udp', 'tcp'] as const), port: rng.pick([53, 123, 9999, 5353]) };
    nat.notrack.push(n);
    add('raw', 'PREROUTING', { proto: n.proto, dport: n.port }, { t: 'NOTRACK' });
    features.push('notrack');
  }

  // mangle: marks and connmarks, TCPMSS
  if (rng.chance(0.25)) {
    features.push('marks');
    if (rng.chance(0.5)) add('mangle', 'PREROUTING', {}, { t: 'CONNMARK', op: 'restore' });
    add('mangle', 'PREROUTING', { iif: rng.pick(['r_cli', 'r_wan', 'r_srv']), ...(rng.chance(0.5) ? { ctstate: ['NEW'] } : {}) }, { t: 'MARK', set: rng.pick([1, 2, 0x10]) });
    if (rng.chance(0.6)) add('mangle', 'PREROUTING', {}, { t: 'CONNMARK', op: 'save' });
    if (rng.chance(0.3)) add('mangle', 'FORWARD', { proto: 'udp' }, { t: 'CONNMARK', op: 'set', value: 0x20 });
  }
  if (rng.chance(0.1)) {
    add('mangle', 'FORWARD', { proto: 'tcp', syn: true }, { t: 'TCPMSS', mss: rng.pick([536, 1200, 1400]) });
    features.push('tcpmss');
  }

  // nat
  if (rng.chance(0.7)) {
    nat.snat = { kind: rng.chance(0.75) ? 'MASQUERADE' : 'SNAT', from: rng.chance(0.7) ? 'all' : 'lan' };
    const m: Match = { oif: 'r_wan', ...(nat.snat.from === 'lan' ? { src: '10.0.1.0/24' } : {}) };
    add('nat', 'POSTROUTING', m, nat.snat.kind === 'MASQUERADE' ? { t: 'MASQUERADE' } : { t: 'SNAT', to: '203.0.113.1' });
    features.push(nat.snat.kind.toLowerCase());
  }
  const nDnat = rng.weighted([[0, 4], [1, 4], [2, 2]] as const);
  const pubUsed = new Set<number>();
  for (let k = 0; k < nDnat; k++) {
    const proto = rng.chance(0.7) ? 'tcp' : 'udp';
    let pub = proto === 'tcp' ? rng.pick([80, 443, 8080, 2222, 21, 8443]) : rng.pick([5060, 1194, 69, 5353]);
    while (pubUsed.has(pub)) pub++;
    pubUsed.add(pub);
    const to = rng.pick(servers);
    // FTP and TFTP keep their ports (their helpers are assigned by port)
    const toPort = pub === 21 || pub === 69 || rng.chance(0.5) ? pub : rng.pick([80, 22, 5000, 8000]);
    nat.dnat.push({ proto, pub, to, toPort });
    add('nat', 'PREROUTING', { iif: 'r_wan', dst: '203.0.113.1', proto, dport: pub }, { t: 'DNAT', to: `${to}:${toPort}` });
    if (!features.includes('dnat')) features.push('dnat');
  }
  if (rng.chance(0.15)) {
    const r = { proto: rng.chance(0.8) ? ('tcp' as const) : ('udp' as const), port: rng.pick([3128, 8081, 53]), toPort: rng.pick([3129, 10053]) };
    nat.redirect.push(r);
    add('nat', 'PREROUTING', { iif: 'r_cli', proto: r.proto, dport: r.port }, { t: 'REDIRECT', port: r.toPort });
    features.push('redirect');
  }
  return { ruleset: { rules, policies: {}, userChains: [], backend: {} }, nat, features };
}

/**
 * The filter table for the traffic's services: a FORWARD that observes (accepts everything,
 * counting by state), is stateful (allows most of the services, drops or rejects the rest) or
 * open (a few REJECTs); an INPUT that is stateful or rejects; LOG, marks, user chains; then the
 * backend of each table (mostly iptables, sometimes nft, sometimes both).
 */
export function genFilter(rng: Rng, base: RulesetChoice, services: Service[]): RulesetChoice {
  const rules = [...base.ruleset.rules];
  const policies: Record<string, 'ACCEPT' | 'DROP'> = {};
  const userChains: { table: Table; name: string }[] = [];
  const features = [...base.features];
  const add = (table: Table, chain: string, m: Match, t: Target): void => void rules.push({ table, chain, m: spice(m, table), t });
  const marks = features.includes('marks');
  // backend: mostly iptables, sometimes nft, sometimes both
  const backendKind = rng.weighted([['iptables', 7], ['nft', 2], ['mixed', 1]] as const);
  const backend: Partial<Record<Table, Backend>> = {};
  for (const t of TABLE_ORDER) backend[t] = backendKind === 'nft' ? 'nft' : backendKind === 'mixed' ? (rng.chance(0.5) ? 'nft' : 'iptables') : 'iptables';
  if (backendKind !== 'iptables') features.push(backendKind === 'nft' ? 'nft' : 'nft-iptables-mixed');
  const spiceRate = rng.pick([0, 0, 0.15, 0.35]);
  /** Sometimes an extra match on a filter rule (multiport, length, ttl, limit, range, ct status, ...). */
  function spice(m: Match, table: Table): Match {
    if (table !== 'filter' || m.extra || !rng.chance(spiceRate)) return m;
    const choices: Extra[] = [
      { x: 'length', lo: rng.pick([0, 20, 40]), hi: rng.pick([100, 576, 1400, 65535]) },
      { x: 'ttl-gt', ttl: rng.pick([0, 1, 32, 63]) },
      { x: 'limit', rate: rng.pick([1, 5, 50]), burst: rng.pick([1, 3, 5]) },
      { x: 'src-range', lo: rng.pick(['10.0.1.100', '10.0.1.150', '0.0.0.0']), hi: rng.pick(['10.0.1.200', '10.0.2.254', '255.255.255.255']) },
      { x: 'ctstatus', status: rng.pick(['ASSURED', 'SEEN_REPLY', 'CONFIRMED'] as const) },
      { x: 'ctdir', dir: rng.pick(['ORIGINAL', 'REPLY'] as const) },
      { x: 'pkttype', type: rng.pick(['unicast', 'broadcast', 'multicast'] as const) },
      { x: 'nth', every: rng.int(2, 4), packet: 0 },
      { x: 'connlimit', above: rng.int(1, 3) },
      { x: 'addrtype-local' },
    ];
    if (m.proto === 'tcp' || m.proto === 'udp') choices.push({ x: 'dports', ports: [...new Set([m.dport ?? 80, rng.pick([22, 53, 80, 443, 8080]), rng.int(1, 9999)])] });
    const ok = choices.filter((c) => backend[table] !== 'nft' || !IPTABLES_ONLY_EXTRAS.has(c.x));
    const e = rng.pick(ok);
    features.push(`match-${e.x}`);
    return { ...m, ...(e.x === 'dports' ? { dport: undefined } : {}), extra: e };
  }
  const fwd = rng.weighted([['observe', 3], ['stateful', 6], ['open', 2]] as const);
  features.push(`forward-${fwd}`);
  const stateMatch = rng.chance(0.15);
  const logPrefix = `fz${rng.int(1, 99)}: `;
  const fwdRules: [Match, Target][] = [];
  const forwarded = services.filter((s) => !s.local);
  // helpers for the FTP / TFTP services (explicit assignment, as modern kernels need)
  for (const h of ['ftp', 'tftp'] as const) {
    const port = h === 'ftp' ? 21 : 69;
    if (services.some((s) => s.helper === h) && rng.chance(0.9)) {
      rules.push({ table: 'raw', chain: 'PREROUTING', m: { proto: h === 'ftp' ? 'tcp' : 'udp', dport: port }, t: { t: 'HELPER', helper: h } });
      features.push(`helper-${h}`);
    }
  }
  if (fwd === 'observe') {
    for (const s of rng.shuffle(['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED'])) fwdRules.push([{ ctstate: [s], stateMatch }, { t: 'ACCEPT' }]);
  } else if (fwd === 'stateful') {
    policies['filter FORWARD'] = rng.chance(0.8) ? 'DROP' : 'ACCEPT';
    fwdRules.push([{ ctstate: ['RELATED', 'ESTABLISHED'], stateMatch }, { t: 'ACCEPT' }]);
    if (rng.chance(0.7)) fwdRules.push([{ ctstate: ['INVALID'], stateMatch }, rng.chance(0.3) ? { t: 'LOG', prefix: logPrefix } : { t: 'DROP' }]);
    if (rng.chance(0.4)) fwdRules.push([{ iif: 'r_cli', ...(rng.chance(0.5) ? { oif: 'r_wan' } : {}) }, { t: 'ACCEPT' }]);
    if (base.nat.dnat.length && rng.chance(0.6)) fwdRules.push([{ ctstate: ['DNAT'] }, { t: 'ACCEPT' }]);
    // most services are allowed by their own rule
    const seen = new Set<string>();
    for (const s of rng.shuffle(forwarded)) {
      const key = `${s.iface} ${s.proto} ${s.dport}`;
      if (seen.has(key) || !rng.chance(0.75)) continue;
      seen.add(key);
      if (s.proto === 'icmp') fwdRules.push([{ iif: s.iface, proto: 'icmp', icmpType: 'echo-request' }, { t: 'ACCEPT' }]);
      else fwdRules.push([{ iif: s.iface, proto: s.proto, dport: s.dport, ...(rng.chance(0.3) ? { ctstate: ['NEW'] } : {}) }, { t: 'ACCEPT' }]);
    }
    if (rng.chance(0.3)) fwdRules.push([{ iif: 'r_srv', oif: 'r_wan', ...(rng.chance(0.5) ? { ctstate: ['NEW'] } : {}) }, { t: 'ACCEPT' }]);
    if (marks && rng.chance(0.5)) fwdRules.push([rng.chance(0.5) ? { mark: 1 } : { connmark: 1 }, { t: 'ACCEPT' }]);
    if (rng.chance(0.3)) fwdRules.push([{}, { t: 'LOG', prefix: logPrefix }]);
    if (rng.chance(0.3)) fwdRules.push([{ proto: 'tcp' }, { t: 'REJECT', with: 'tcp-reset' }]);
    if (rng.chance(0.3)) fwdRules.push([{}, { t: 'REJECT', with: rng.chance(0.3) ? undefined : rng.pick(REJECTS) }]);
  } else {
    if (rng.chance(0.5)) fwdRules.push([{ ctstate: ['INVALID'], stateMatch }, { t: 'DROP' }]);
    const victim = forwarded.length && rng.chance(0.5) ? rng.pick(forwarded) : null;
    if (victim && victim.proto !== 'icmp') fwdRules.push([{ iif: victim.iface, proto: victim.proto, dport: victim.dport }, victim.proto === 'tcp' && rng.chance(0.6) ? { t: 'REJECT', with: 'tcp-reset' } : { t: 'REJECT', with: rng.pick(REJECTS) }]);
    if (rng.chance(0.3)) fwdRules.push([{ iif: 'r_wan', proto: 'tcp', dport: rng.pick([22, 23, 445]) }, { t: 'REJECT', with: 'tcp-reset' }]);
    if (rng.chance(0.3)) fwdRules.push([{ iif: 'r_wan', ctstate: ['NEW'] }, { t: 'LOG', prefix: logPrefix }]);
  }
  if (rng.chance(0.15) && fwdRules.length > 1) {
    // the tail of the chain in a user chain for LAN traffic
    userChains.push({ table: 'filter', name: 'FZ_LAN' });
    const cut = rng.int(1, fwdRules.length - 1);
    for (const [m, t] of fwdRules.slice(0, cut)) add('filter', 'FORWARD', m, t);
    add('filter', 'FORWARD', { iif: 'r_cli' }, { t: 'JUMP', chain: 'FZ_LAN' });
    for (const [m, t] of fwdRules.slice(cut)) add('filter', 'FZ_LAN', m, t);
    if (rng.chance(0.5)) add('filter', 'FZ_LAN', {}, { t: 'RETURN' });
    for (const [m, t] of fwdRules.slice(cut)) add('filter', 'FORWARD', m, t);
    features.push('user-chain');
  } else {
    for (const [m, t] of fwdRules) add('filter', 'FORWARD', m, t);
  }

  // filter INPUT
  const inp = rng.weighted([['none', 4], ['stateful', 4], ['reject', 2]] as const);
  if (inp !== 'none') {
    features.push(`input-${inp}`);
    if (inp === 'stateful') policies['filter INPUT'] = rng.chance(0.7) ? 'DROP' : 'ACCEPT';
    add('filter', 'INPUT', { ctstate: ['RELATED', 'ESTABLISHED'], stateMatch }, { t: 'ACCEPT' });
    if (rng.chance(0.5)) add('filter', 'INPUT', { ctstate: ['INVALID'] }, { t: 'DROP' });
    if (rng.chance(0.6)) add('filter', 'INPUT', { proto: 'icmp', icmpType: 'echo-request' }, { t: 'ACCEPT' });
    for (const s of services.filter((x) => x.local && x.proto !== 'icmp' && x.iface !== 'local')) {
      if (rng.chance(0.5)) add('filter', 'INPUT', { iif: s.iface, proto: s.proto, dport: s.dport }, { t: 'ACCEPT' });
    }
    if (inp === 'reject' || rng.chance(0.3)) {
      add('filter', 'INPUT', { proto: 'tcp' }, { t: 'REJECT', with: 'tcp-reset' });
      add('filter', 'INPUT', {}, { t: 'REJECT', with: rng.chance(0.5) ? undefined : rng.pick(REJECTS) });
    }
  }
  // filter OUTPUT (the router's own packets)
  if (rng.chance(0.08)) {
    add('filter', 'OUTPUT', { proto: 'udp', dport: 53 }, { t: 'REJECT', with: 'icmp-port-unreachable' });
    features.push('output-reject');
  }

  // TCPMSS stays in iptables (ctkit's nft front end stops on payload mangling)
  for (const r of rules) if (r.t.t === 'TCPMSS') backend[r.table] = 'iptables';
  return { ruleset: { rules, policies, userChains, backend }, nat: base.nat, features };
}
