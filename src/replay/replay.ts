/**
 * Replay: a capture through a simulated host, packet by packet, with the results in the terms of
 * the replay contract (../shared/spec/replay-contract.md): per input packet its ingress
 * interface, verdict, conntrack state and direction, the packets the host transmitted because of
 * it, the rules whose counters it raised and the conntrack events it caused; at the end the
 * connection and expectation tables as `conntrack -L` prints them.
 *
 * Streaming: `Replayer.feed` takes one capture record at a time and keeps nothing of it, so
 * memory is bounded by the connection table, not by the capture.
 */
import type { CapturedPacket } from '../capture/record.js';
import { readAll } from '../capture/reader.js';
import { type HostConfig, hostConfigFromObject, parseHostConfig } from '../host/config.js';
import { Host, type HostResult } from '../host/host.js';
import { iptablesBaseChains } from '../netfilter/iptables-chains.js';
import type { BaseChain } from '../netfilter/chain.js';

import { Ruleset, SAVE_TABLE_ORDER } from '../rules/model.js';
import type { NftRuleset } from '../nft/model.js';
import { iptablesList, iptablesSave, ruleSpecText } from '../format/iptables.js';
import { formatNftRuleset } from '../format/nft.js';
import { loadIptables } from '../rules/parse.js';
import { createNat } from '../nat/index.js';
import { asHelperNat, createHelpers, routeHops, subnetBroadcastMask } from '../helpers/index.js';
import { loadNft } from '../nft/load.js';
import { nftBaseChains } from '../nft/chains.js';
import type { JsonlEncoder } from './jsonl.js';

export interface ReplayOptions {
  /** HOST.json: its text, the parsed JSON object, or a HostConfig. */
  host: string | object | HostConfig;
  /** iptables-save / ip6tables-save text. */
  iptables?: string;
  ip6tables?: string;
  /** nft -f text, or nft -j JSON (`nft -j list ruleset` output or a JSON command file): told apart by content. */
  nft?: string;
  /** `ipset save` text: the sets `-m set` / `-j SET` refer to (loaded before the rules). */
  ipset?: string;
  /** Sysctl overrides by kernel name. */
  sysctl?: Record<string, string | number>;
  /** File names for error messages. */
  files?: { host?: string; iptables?: string; ip6tables?: string; nft?: string; capture?: string; ipset?: string };
  /** Ingress interface for records that name none (classic pcap: --in). */
  defaultIface?: string;
  /** Seed of every random choice (hash keys, ids, NAT ports). */
  seed?: number;
  /** Add `trace` (every rule evaluated) to each result (iptables rulesets). */
  traceEvaluation?: boolean;
  /** Reads a file an nft `include` names (the CLI reads from disk); null when it does not exist. */
  include?: (name: string, from: string) => string | null;
}

export interface OutPacket {
  iface: string;
  hex: string;
  gen: boolean;
}

export interface PacketResult {
  i: number;
  iface: string | null;
  verdict: 'FORWARDED' | 'LOCAL_IN' | 'DROPPED' | 'SENT';
  ctstate: string | null;
  ctdir: string | null;
  out: OutPacket[];
  rules: string[];
  events: string[];
  /** Why a DROPPED packet was dropped, in words (an extra field the contract allows). */
  why?: string;
  /** LOG / NFLOG lines the packet produced (extra field). */
  log?: string[];
  /** Every rule evaluated, with traceEvaluation (extra field). */
  trace?: string[];
}

/** The error for input ctkit cannot replay (a feature not implemented, a capture record without an interface). */
export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

function isHostConfig(h: unknown): h is HostConfig {
  return typeof h === 'object' && h !== null && Array.isArray((h as HostConfig).interfaces) && (h as HostConfig).sysctl instanceof Map;
}

export class Replayer {
  readonly host: Host;
  /** The loaded rulesets (their counters move as packets are replayed). */
  readonly iptables: Ruleset | null = null;
  readonly nft: NftRuleset | null = null;
  private index = 0;
  private lastTime = 0;

  constructor(private readonly opts: ReplayOptions) {
    const hostFile = opts.files?.host ?? 'host.json';
    const cfg = isHostConfig(opts.host)
      ? opts.host
      : typeof opts.host === 'string'
        ? parseHostConfig(opts.host, hostFile)
        : hostConfigFromObject(opts.host, hostFile);
    const chains: BaseChain[] = [];
    if (opts.nft !== undefined) {
      const rs = loadNft(opts.nft, { file: opts.files?.nft ?? 'nft ruleset', include: opts.include });
      chains.push(...nftBaseChains(rs));
      this.nft = rs;
    }
    if (opts.iptables !== undefined || opts.ip6tables !== undefined) {
      const rs = new Ruleset();
      if (opts.ipset !== undefined) rs.ipsets.load(opts.ipset, { file: opts.files?.ipset ?? 'ipset save', now: 0 });
      if (opts.iptables !== undefined) loadIptables(rs, opts.iptables, { file: opts.files?.iptables ?? 'iptables rules', family: 4, counters: false });
      if (opts.ip6tables !== undefined) loadIptables(rs, opts.ip6tables, { file: opts.files?.ip6tables ?? 'ip6tables rules', family: 6, counters: false });
      chains.push(...iptablesBaseChains(rs));
      this.iptables = rs;
    }
    this.host = new Host(cfg, {
      chains,
      seed: opts.seed ?? 1,
      sysctl: opts.sysctl,
      nat: createNat,
      traceEvaluation: opts.traceEvaluation,
      helpers: (ct, host, nat) =>
        createHelpers(ct, { nat: asHelperNat(nat), broadcastMask: subnetBroadcastMask(host.routing.interfaces), route: routeHops(host.routing) }),
    });
  }

  /** Replays one capture record. */
  feed(rec: CapturedPacket): PacketResult {
    const r = this.run(rec);
    return toResult(this.index - 1, this.lastIface, r);
  }

  /**
   * Replays one capture record and appends its --jsonl line to `out` (the same text as
   * `JSON.stringify(feed(rec))`, without building the result); returns the host's result.
   */
  feedJsonl(rec: CapturedPacket, out: JsonlEncoder): HostResult {
    const r = this.run(rec);
    out.line(this.index - 1, this.lastIface, r);
    return r;
  }

  /** The contract's record of the packet fed last, from the host's result feedJsonl returned. */
  resultOf(r: HostResult): PacketResult {
    return toResult(this.index - 1, this.lastIface, r);
  }

  private lastIface: string | null = null;

  private run(rec: CapturedPacket): HostResult {
    this.index++;
    const now = rec.time;
    this.lastTime = Math.max(this.lastTime, now);
    if (rec.direction === 'out') {
      this.lastIface = null;
      return this.host.send(rec.data, rec.linktype, now);
    }
    const iface = rec.ifName ?? this.opts.defaultIface;
    if (!iface) {
      throw new ReplayError(`${this.opts.files?.capture ?? 'capture'}: packet ${rec.index} names no interface (use --in IFACE for a classic pcap)`);
    }
    this.lastIface = iface;
    // A reader's record: its bytes in place (no subarray per packet; receive copies the datagram
    // it keeps). A record made by hand may only have `data`.
    const buf = rec.buf as Uint8Array | undefined;
    if (buf === undefined) return this.host.receive(rec.data, rec.linktype, iface, now);
    return this.host.receive(buf, rec.linktype, iface, now, rec.offset, rec.offset + rec.caplen);
  }

  /**
   * The rulesets with their counters now, as `iptables-save -c` / `ip6tables-save -c`, or
   * `iptables -L -n -v --line-numbers` (`list`), and `nft list ruleset` print them.
   */
  rulesText(list = false): string {
    let out = '';
    if (this.iptables) {
      for (const family of [4, 6] as const) {
        if (list) {
          for (const t of SAVE_TABLE_ORDER) {
            if (this.iptables.table(family, t).present) out += `# ${family === 4 ? 'iptables' : 'ip6tables'} -t ${t} -L -n -v --line-numbers\n${iptablesList(this.iptables, family, t)}\n`;
          }
        } else out += iptablesSave(this.iptables, family, { counters: true, time: this.lastTime });
      }
    }
    if (this.nft) out += formatNftRuleset(this.nft, { now: this.lastTime });
    return out;
  }

  /** Rules whose counters never moved (`TABLE CHAIN N: -A ...`), iptables rulesets. */
  rulesNeverHit(): string[] {
    const out: string[] = [];
    if (!this.iptables) return out;
    for (const family of [4, 6] as const) {
      for (const t of SAVE_TABLE_ORDER) {
        const table = this.iptables.table(family, t);
        if (!table.present) continue;
        for (const chain of table.chains.values()) {
          chain.rules.forEach((rule, i) => {
            if (rule.counters.packets === 0) out.push(`${family === 6 ? 'ip6 ' : ''}${t} ${chain.name} ${i + 1}: -A ${chain.name}${ruleSpecText(rule)}`);
          });
        }
      }
    }
    return out;
  }

  /** Connections in the table by protocol and state ("tcp ESTABLISHED" -> count). */
  connectionsByState(): Map<string, number> {
    const m = new Map<string, number>();
    for (const c of this.host.conntrack) {
      const state = c.protoStateName();
      const key = `${this.host.conntrack.trackerFor(c.orig.proto).name}${state ? ' ' + state : ''}`;
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    return m;
  }

  /**
   * The final tables, timeouts counted down from the last packet's time: `expect` as
   * `conntrack -L expect` prints it (IPv4 only, the tool's default family), `expectAll` every
   * expectation (what a saved table keeps for `ctkit conntrack -L expect -f ipv6`).
   */
  finish(): { conntrack: string[]; expect: string[]; expectAll: string[] } {
    return { conntrack: this.host.listConntrack(this.lastTime), expect: this.host.listExpect(this.lastTime), expectAll: this.host.listExpect(this.lastTime, 0) };
  }
}

function toResult(i: number, iface: string | null, r: HostResult): PacketResult {
  return {
    i,
    iface,
    verdict: r.verdict,
    ctstate: r.ctstate,
    ctdir: r.ctdir,
    out: r.out.map((o) => ({ iface: o.iface, hex: toHex(o.bytes), gen: o.gen })),
    rules: r.rules,
    events: r.events,
    ...(r.verdict === 'DROPPED' && r.dropReason ? { why: r.dropReason } : {}),
    ...(r.log.length ? { log: r.log } : {}),
    ...(r.trace ? { trace: r.trace } : {}),
  };
}

/** Both hex digits of every byte as two UTF-16 code units, for toHex. */
const HEX_CODES = (() => {
  const t = new Uint16Array(512);
  const digits = '0123456789abcdef';
  for (let b = 0; b < 256; b++) {
    t[b * 2] = digits.charCodeAt(b >> 4);
    t[b * 2 + 1] = digits.charCodeAt(b & 15);
  }
  return t;
})();
const HEX_CHUNK = 4096;
const hexScratch = new Uint16Array(HEX_CHUNK * 2);

/** Lower-case hex of the bytes (the contract's `out[].hex`), built in chunks of char codes. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let start = 0; start < b.length; start += HEX_CHUNK) {
    const end = Math.min(b.length, start + HEX_CHUNK);
    let k = 0;
    for (let i = start; i < end; i++) {
      const x = b[i]! * 2;
      hexScratch[k++] = HEX_CODES[x]!;
      hexScratch[k++] = HEX_CODES[x + 1]!;
    }
    s += String.fromCharCode.apply(null, hexScratch.subarray(0, k) as unknown as number[]);
  }
  return s;
}

/** Replays a whole in-memory capture. */
export function replayBytes(capture: Uint8Array, opts: ReplayOptions): { packets: PacketResult[]; conntrack: string[]; expect: string[] } {
  const r = new Replayer(opts);
  const packets = readAll(capture, { name: opts.files?.capture ?? 'capture' }).map((p) => r.feed(p));
  return { packets, ...r.finish() };
}


