/**
 * The recorder's scenario format: a host (sysctls, IPv6 or not), a ruleset (iptables-restore text
 * ip6tables-restore text, `ipset save` text and/or nft -f text) and packets with the router interface they arrive on (or sent by a local
 * process of the router) and optional timing. Written in TypeScript (packets crafted with
 * src/packet/build.ts, see scripts/conformance/scenarios/) or JSON (packets as hex), or taken from
 * a capture (pcapng if_name r_cli/r_srv/r_wan; direction outbound = local).
 *
 * A TS file exports `scenarios` (an array) or a default scenario / array.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { readCapture } from './capture.js';
import type { Step } from './oracle.js';
import { sideOfAddress, sideOfIface, SIDE_LIST } from './topology.js';
import { v6 } from './describe.js';

/** One step of a scenario. */
export type StepSpec =
  | { iface: string; packet: Uint8Array | string; note?: string; at?: number }
  /** A whole Ethernet frame (ARP, own MAC addresses) arriving on `iface`; needs `linktype` Ethernet. */
  | { iface: string; frame: Uint8Array | string; note?: string; at?: number }
  | { local: Uint8Array | string; note?: string; at?: number }
  | { sleep: number };

/** A scenario to record. */
export interface ScenarioSpec {
  /** Directory name, e.g. r_reject_1. */
  name: string;
  title?: string;
  description: string;
  /** Declared feature tags (auto tags are added when recording). */
  tags?: string[];
  iptables?: string;
  /** ip6tables-restore text (rules.v6), loaded with ip6tables-restore. */
  ip6tables?: string;
  /** `ipset save` / `ipset restore` text (ipset.save), restored in the router before the rules. */
  ipset?: string;
  nft?: string;
  sysctls?: Record<string, number | string>;
  ipv6?: boolean;
  /** False: the router has no default route (only its connected networks). */
  defaultRoute?: boolean;
  steps: StepSpec[];
  /** Declared nondeterminism (e.g. ignore_destroy_events), merged into meta.json. */
  nondeterministic?: Record<string, unknown>;
  /** Where the scenario came from (file), for meta.json. */
  source?: string;
  /** Recordings to compare at least (scenarios with random choices, e.g. NAT ports after a clash, need more than 2). */
  runs?: number;
  /** Capture link type to write (default raw IP, 101). */
  linktype?: number;
}

/** Steps as the oracle runs them, or a sleep. */
export type PlanStep = Step | { kind: 'sleep'; seconds: number };

function bytesOf(p: Uint8Array | string): Uint8Array {
  return typeof p === 'string' ? Uint8Array.from(Buffer.from(p.replace(/\s+/g, ''), 'hex')) : p;
}

/** The destination address of an IP packet, as text. */
function dstOf(ip: Uint8Array): string {
  return ip[0]! >> 4 === 6 ? v6(ip, 24) : `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
}

/** The source address of an IP packet, as text. */
function srcOf(ip: Uint8Array): string {
  return ip[0]! >> 4 === 6 ? v6(ip, 8) : `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
}

/** The oracle's plan for a scenario. */
export function planOf(sc: ScenarioSpec): PlanStep[] {
  return sc.steps.map((st): PlanStep => {
    if ('sleep' in st) return { kind: 'sleep', seconds: st.sleep };
    if ('local' in st) {
      const ip = bytesOf(st.local);
      return { kind: 'local', side: sideOfAddress(dstOf(ip)), ip, note: st.note ?? '', at: st.at ?? null };
    }
    if ('frame' in st) {
      const frame = bytesOf(st.frame);
      return { kind: 'in', side: sideOfIface(st.iface), ip: frame.slice(14), frame, note: st.note ?? '', at: st.at ?? null };
    }
    return { kind: 'in', side: sideOfIface(st.iface), ip: bytesOf(st.packet), note: st.note ?? '', at: st.at ?? null };
  });
}

/** Whether a scenario sends ARP frames. */
export function hasArpSteps(sc: ScenarioSpec): boolean {
  return sc.steps.some((st) => 'frame' in st && (() => {
    const f = bytesOf(st.frame);
    return f[12] === 0x08 && f[13] === 0x06;
  })());
}

/** Checks a scenario before spending kernel time on it. */
export function validate(sc: ScenarioSpec): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(sc.name)) throw new Error(`scenario name ${JSON.stringify(sc.name)} is not a directory name`);
  if (!sc.iptables && !sc.ip6tables && !sc.nft) throw new Error(`${sc.name}: no ruleset (iptables, ip6tables or nft)`);
  if (!sc.steps.some((s) => !('sleep' in s))) throw new Error(`${sc.name}: no packets`);
  for (const st of sc.steps) {
    if ('iface' in st && !SIDE_LIST.some((s) => s.rif === st.iface)) throw new Error(`${sc.name}: unknown interface ${st.iface}`);
    if ('frame' in st && sc.linktype !== 1) throw new Error(`${sc.name}: steps with whole frames need linktype 1 (Ethernet) captures`);
  }
}

/** Scenarios defined by a .ts/.js module or a .json file. */
export async function loadScenarioFile(path: string): Promise<ScenarioSpec[]> {
  const abs = resolve(path);
  let list: ScenarioSpec[];
  if (abs.endsWith('.json')) {
    const j = JSON.parse(readFileSync(abs, 'utf8')) as ScenarioSpec | ScenarioSpec[];
    list = Array.isArray(j) ? j : [j];
  } else {
    const m = (await import(pathToFileURL(abs).href)) as { scenarios?: ScenarioSpec[]; default?: ScenarioSpec | ScenarioSpec[] };
    const v = m.scenarios ?? m.default;
    if (!v) throw new Error(`${path} exports neither \`scenarios\` nor a default scenario`);
    list = Array.isArray(v) ? v : [v];
  }
  for (const sc of list) {
    sc.source ??= path;
    validate(sc);
  }
  return list;
}

/** A scenario replaying a capture (timing kept: packets are sent at their capture offsets). */
export function scenarioFromCapture(path: string, base: Omit<ScenarioSpec, 'steps'>): ScenarioSpec {
  const pk = readCapture(new Uint8Array(readFileSync(path)), path);
  const t0 = pk.find((p) => p.ip)?.ts ?? 0;
  const steps: StepSpec[] = [];
  for (const p of pk) {
    // an ARP frame (Ethernet captures) is a whole-frame step
    if (!p.ip && p.frame && p.frame[12] === 0x08 && p.frame[13] === 0x06 && p.iface && p.direction !== 'out') {
      steps.push({ iface: p.iface, frame: p.frame, note: p.comment ?? undefined, at: p.ts - t0 });
      continue;
    }
    if (!p.ip) continue;
    const at = p.ts - t0;
    const note = p.comment ?? undefined;
    if (p.direction === 'out') steps.push({ local: p.ip, note, at });
    else {
      const iface = p.iface && SIDE_LIST.some((s) => s.rif === p.iface) ? p.iface : sideOfAddress(srcOf(p.ip)).rif;
      steps.push({ iface, packet: p.ip, note, at });
    }
  }
  return { ...base, steps, linktype: pk[0]?.linktype ?? base.linktype };
}


/** A scenario re-recording a scenario directory (its capture, host sysctls, ruleset and meta). */
export function scenarioFromDir(dir: string): ScenarioSpec {
  const read = (f: string): string | undefined => {
    try {
      return readFileSync(resolve(dir, f), 'utf8');
    } catch {
      return undefined;
    }
  };
  const host = JSON.parse(read('host.json') ?? '{}') as { interfaces?: { addresses: string[] }[]; sysctl?: Record<string, number | string> };
  const meta = JSON.parse(read('meta.json') ?? '{}') as Record<string, any>;
  const ipv6 = (host.interfaces ?? []).some((i) => i.addresses.some((a) => a.includes(':')));
  const defaultRoute = ((host as { routes?: unknown[] }).routes ?? []).length > 0;
  const sysctls = Object.fromEntries(Object.entries(host.sysctl ?? {}).filter(([k]) => !k.includes('disable_ipv6') && !/\.conf\.r_/.test(k)));
  return scenarioFromCapture(resolve(dir, 'capture.pcapng'), {
    name: meta['name'] ?? dir.split('/').pop()!,
    title: meta['title'],
    description: meta['description'] ?? '',
    tags: meta['declared_tags'] ?? [],
    iptables: read('rules.v4'),
    ip6tables: read('rules.v6'),
    ipset: read('ipset.save'),
    nft: read('rules.nft'),
    sysctls,
    ipv6,
    defaultRoute,
    nondeterministic: meta['declared_nondeterministic'],
    source: meta['source'] ?? dir,
    linktype: meta['linktype'],
  });
}
