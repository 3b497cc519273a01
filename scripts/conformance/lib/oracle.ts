/**
 * The kernel as an oracle: injects one packet at a time into the router namespace and observes
 * what the kernel did with it, in the replay contract's terms.
 *
 * Observation:
 * - nftables tracing (`meta nftrace set 1` at priority -1000 on prerouting and output, read with
 *   `nft -a monitor trace`): every rule that matched and every chain policy that decided, per
 *   packet, in evaluation order, for the injected packet and for the packets the host generated
 *   because of it (RST of a REJECT, ICMP errors, echo replies: they all pass the output hook);
 * - probe chains of table inet ckr_probe: the hooks the packet traversed (forward, input,
 *   postrouting at priority 500) and its conntrack state and direction right after the conntrack
 *   lookup (priority -190);
 * - `conntrack -E` and `conntrack -E expect`;
 * - the frames the router transmitted, sniffed on the endpoints' eth0 (nsio.py);
 * - the conntrack table after each packet (/proc/net/nf_conntrack) and, at the end,
 *   `conntrack -L`, `conntrack -L expect` and the rule counters (cross-checked against the trace).
 *
 * A step ends when the trace of the injected packet was seen and nothing (frame, trace line,
 * event) arrived for `quietMs`, or after `maxMs`.
 */

import { parseIp } from '../../../src/packet/addr.js';
import { describeIp, v6 } from './describe.js';
import { groupById, parseTraceLine, routerSource, type LineSource, type TraceEvent } from './monitor.js';
import { NsIo, type Frame } from './nsio.js';
import { router, shQuiet, inNs, ROUTER_NS, SIDES, type Side } from './topology.js';

/** Tables of the recorder itself (never part of `rules`). */
export const PROBE_TABLES = ['ckr_probe', 'ckr_quiet', 'ckr_ndprobe', 'ckr_arpprobe'];
/** The dummy conntrack entry of the event barrier (scenarios must not use 192.0.2.251/252). */
const DUMMY_MARK = 'src=192.0.2.251 dst=192.0.2.252';
const isDummyDestroy = (l: string): boolean => l.includes('[DESTROY]') && l.includes(DUMMY_MARK);

/** SO_MARK of the synchronisation packets. */
const SYNC_MARK = 0xc7e57a;
const CT_STATES = ['invalid', 'new', 'established', 'related', 'untracked'];

export const PROBE_NFT = `table inet ckr_probe {
  chain c_trace_pre { type filter hook prerouting priority -1000; meta nftrace set 1; }
  chain c_trace_out { type filter hook output priority -1000; meta nftrace set 1; }
  chain c_sync { type filter hook output priority -999; meta mark ${SYNC_MARK} counter drop; }
  chain c_ct_pre { type filter hook prerouting priority -190;
${CT_STATES.map((s) => `    ct state ${s} counter;`).join('\n')}
    ct direction original counter; ct direction reply counter;
  }
  chain c_ct_out { type filter hook output priority -190;
${CT_STATES.map((s) => `    ct state ${s} counter;`).join('\n')}
    ct direction original counter; ct direction reply counter;
  }
  chain c_fwd { type filter hook forward priority 500; counter; }
  chain c_inp { type filter hook input priority 500; counter; }
  chain c_post { type filter hook postrouting priority 500; counter; }
}
`;

/** With IPv6: the router's own MLD reports and router solicitations are dropped before anything sees them. */
export const QUIET6_NFT = `table inet ckr_quiet {
  chain q_out { type filter hook output priority -1001;
    icmpv6 type { mld-listener-report, mld2-listener-report, nd-router-solicit } drop;
  }
}
`;

/**
 * For scenarios with netdev tables (or ARP frames): tracing from every router device's netdev
 * ingress (before anything else sees a frame), and a probe at the end of every device's egress:
 * a packet that passed POSTROUTING but never reached it was dropped at egress; a frame that
 * reached it without POSTROUTING was put there by `fwd` at ingress.
 */
export const NDPROBE_NFT = `table netdev ckr_ndprobe {
  chain c_ing { type filter hook ingress devices = { r_cli, r_srv, r_wan } priority -10000; meta nftrace set 1; }
  chain c_egr { type filter hook egress devices = { lo, r_cli, r_srv, r_wan } priority 1000; counter; }
}
`;

/** For scenarios with ARP: the arp family's input hook passed (the frame reached arp_process), and tracing of the ARP frames the router sends. */
export const ARPPROBE_NFT = `table arp ckr_arpprobe {
  chain c_arp_in { type filter hook input priority 1000; counter; }
  chain c_arp_out { type filter hook output priority -1000; meta nftrace set 1; }
}
`;

/** Probe rule names per chain, in rule order. */
const PROBE_NAMES: Record<string, string[]> = {
  c_trace_pre: ['trace_pre'],
  c_trace_out: ['trace_out'],
  c_sync: ['sync'],
  c_ct_pre: [...CT_STATES.map((s) => `ct_${s}`), 'dir_original', 'dir_reply'],
  c_ct_out: [...CT_STATES.map((s) => `outct_${s}`), 'outdir_original', 'outdir_reply'],
  c_fwd: ['fwd'],
  c_inp: ['inp'],
  c_post: ['post'],
  c_ing: ['trace_ing'],
  c_egr: ['egr'],
  c_arp_in: ['arp_in'],
  c_arp_out: ['trace_arp_out'],
};

/** One packet to inject. */
export interface Step {
  kind: 'in' | 'local';
  /** Ingress side ('in'), or the side routing sends a local packet to. */
  side: Side;
  ip: Uint8Array;
  note: string;
  /** Target send time in seconds after the first packet (null: as soon as possible). */
  at: number | null;
  /** The whole Ethernet frame to send ('in' only; default: `ip` behind the side's MACs); `ip` is then its network-layer bytes (an ARP packet for ARP). */
  frame?: Uint8Array;
}

/** One transmitted packet. */
export interface OutRecord {
  iface: string;
  hex: string;
  gen: boolean;
  desc: string;
}

/** What the kernel did with one packet (contract fields plus observation details). */
export interface StepRecord {
  i: number;
  t: number;
  kind: 'in' | 'local';
  side: string;
  iface: string;
  note: string;
  sent: string;
  sentHex: string;
  stages: Record<string, number>;
  /** The whole frame sent, when the step gave one (ARP, own MAC addresses). */
  sentFrameHex?: string;
  verdict: string;
  ctstate: string | null;
  ctdir: string | null;
  out: OutRecord[];
  rules: string[];
  trace: string[];
  events: string[];
  conntrack: string[];
  warnings: string[];
}

/** The end of a recording. */
export interface FinalRecord {
  t: number;
  conntrack: string[];
  expect: string[];
  counterCrosscheck: 'ok' | Record<string, { trace: number; counters: number }>;
  eventsTail: string[];
}

interface RuleInfo {
  idx: number;
  counter: boolean;
  text: string;
}

/** Options of an oracle run. */
export interface OracleOptions {
  quietMs: number;
  maxMs: number;
  ipv6: boolean;
  /** Whether each step ends with the conntrack event barrier (off when the table limit is tested). */
  eventBarrier: boolean;
  /** Tables the scenario's iptables-restore text defines (`filter`, `nat`, ...): their rules get iptables names. */
  iptablesTables: string[];
  /** Tables the scenario's ip6tables-restore text defines: their rules get iptables names too. */
  ip6tablesTables?: string[];
  /** The netdev probes are loaded (NDPROBE_NFT): trace from netdev ingress, verdicts from egress. */
  netdev?: boolean;
  /** The arp probe is loaded (ARPPROBE_NFT): ARP frames are steps and answers. */
  arp?: boolean;
}

/** The xtables families: nft family, save command, which option lists the scenario's tables. */
const XT_FAMILIES = [
  { family: 'ip', save: 'iptables-save', key: 'iptablesTables' },
  { family: 'ip6', save: 'ip6tables-save', key: 'ip6tablesTables' },
] as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Source and destination address text of an IP packet. */
function ipAddrs(ip: Uint8Array): [string, string] {
  if (ip[0]! >> 4 === 6) return [v6(ip, 8), v6(ip, 24)];
  return [`${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`, `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`];
}

function sameAddr(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    const x = parseIp(a);
    const y = parseIp(b);
    return x.family === y.family && x.words.every((w, k) => w === y.words[k]);
  } catch {
    return false;
  }
}

/** Does a trace packet line describe this IP packet (addresses, and the IPv4 ID when shown)? */
function traceMatches(fields: Map<string, string> | undefined, ip: Uint8Array): boolean {
  if (!fields) return false;
  const [src, dst] = ipAddrs(ip);
  if (ip[0]! >> 4 === 6) return sameAddr(fields.get('ip6 saddr'), src) && sameAddr(fields.get('ip6 daddr'), dst);
  const id = fields.get('ip id');
  return sameAddr(fields.get('ip saddr'), src) && sameAddr(fields.get('ip daddr'), dst) && (id === undefined || Number(id) === ((ip[4]! << 8) | ip[5]!));
}

/** Is a transmitted packet the injected packet itself (as traced at postrouting, after NAT)? */
function isSamePacket(post: Map<string, string> | undefined, ob: Uint8Array): boolean {
  if (!post || ob.length < 20) return false;
  if (ob[0]! >> 4 === 6) {
    if (ob.length < 40) return false;
    const fl = ((ob[1]! & 15) << 16) | (ob[2]! << 8) | ob[3]!;
    const pf = post.get('ip6 flowlabel');
    const ph = post.get('ip6 hoplimit');
    return traceMatches(post, ob) && (pf === undefined || Number(pf) === fl) && (ph === undefined || Number(ph) === ob[7]);
  }
  const ttl = post.get('ip ttl');
  return traceMatches(post, ob) && (ttl === undefined || Number(ttl) === ob[8]);
}

/** The IP packet of an Ethernet frame, trimmed to its length; null for other frames. */
function frameIp(f: Frame): Uint8Array | null {
  const et = (f.bytes[12]! << 8) | f.bytes[13]!;
  if (et !== 0x0800 && et !== 0x86dd) return null;
  const ip = f.bytes.subarray(14);
  if (ip.length < 20) return null;
  const len = ip[0]! >> 4 === 4 ? (ip[2]! << 8) | ip[3]! : 40 + ((ip[4]! << 8) | ip[5]!);
  return ip.slice(0, Math.min(len, ip.length));
}

/** The ARP packet of an Ethernet frame; null for other frames. */
function frameArp(f: Frame): Uint8Array | null {
  if (f.bytes[12] !== 0x08 || f.bytes[13] !== 0x06 || f.bytes.length < 14 + 28) return null;
  return f.bytes.slice(14, 14 + 28);
}

/** `ARP request who-has T tell S` / `ARP reply S is-at MAC`. */
export function describeArp(a: Uint8Array): string {
  const ip = (o: number): string => `${a[o]}.${a[o + 1]}.${a[o + 2]}.${a[o + 3]}`;
  const mac = (o: number): string => [...a.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const op = (a[6]! << 8) | a[7]!;
  if (op === 1) return `ARP request who-has ${ip(24)} tell ${ip(14)} (${mac(8)})`;
  if (op === 2) return `ARP reply ${ip(14)} is-at ${mac(8)} to ${ip(24)}`;
  return `ARP op ${op}`;
}

/** Does a trace packet line describe this ARP frame (sender MAC and operation)? */
function arpTraceMatches(fields: Map<string, string> | undefined, frame: Uint8Array): boolean {
  if (!fields) return false;
  const src = [...frame.subarray(6, 12)].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const op = (frame[20]! << 8) | frame[21]!;
  const opName = op === 1 ? 'request' : op === 2 ? 'reply' : String(op);
  return fields.get('ether saddr') === src && fields.get('arp operation') === opName;
}

/** Is `ob` the frame whose network header a trace packet line dumped (`BITS 0xHEX` of `@nh,0,BITS`)? */
function sameHead(head: string, ob: Uint8Array): boolean {
  const [bits, value] = head.split(' ');
  const n = Number(bits) / 8;
  if (!value || !Number.isInteger(n) || ob.length < n) return false;
  try {
    return BigInt(value) === BigInt(`0x${hex(ob.subarray(0, n)) || '0'}`);
  } catch {
    return false;
  }
}

/** The router's own IPv6 link-local / multicast chatter is not an answer to the injected packet. */
function ipv6Noise(ip: Uint8Array): boolean {
  return ip[0]! >> 4 === 6 && (ip[24] === 0xff || (ip[8] === 0xfe && ip[9] === 0x80));
}

export class Oracle {
  private io!: NsIo;
  private trace!: LineSource;
  private ev!: LineSource;
  private evx!: LineSource;
  /** Probe rule names by `TABLE HANDLE`. */
  private probe = new Map<string, string>();
  private rules = new Map<string, RuleInfo>();
  private iptTables = new Set<string>();
  private iptText = new Map<string, string>();
  private startCounters = new Map<string, number>();
  private mono0: number | null = null;
  /** The router's conntrack insert_failed count after the last packet (null before the first). */
  private insertFailed: number | null = null;
  private perf0: number | null = null;
  readonly results: StepRecord[] = [];

  constructor(private readonly opts: OracleOptions) {}

  /** Starts the observers (after the ruleset and the probes were loaded) and synchronises them. */
  async start(): Promise<void> {
    this.loadRuleMaps();
    this.trace = routerSource('nft monitor trace', ['nft', '-a', 'monitor', 'trace']);
    this.ev = routerSource('conntrack -E', ['conntrack', '-E']);
    this.evx = routerSource('conntrack -E expect', ['conntrack', '-E', 'expect']);
    this.io = await NsIo.start();
    await this.syncTrace();
    await this.syncEvents();
    await sleep(50);
    this.io.takeFrames();
    this.trace.take();
    this.ev.take();
    this.evx.take();
    this.startCounters = this.counters();
  }

  /** Waits until the trace monitor reports a sync packet (it is listening). */
  private async syncTrace(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      await this.io.sync(SYNC_MARK);
      const t0 = performance.now();
      while (performance.now() - t0 < 100) {
        await sleep(5);
        if (this.trace.peek().some((l) => l.includes(' ckr_probe c_sync rule '))) return;
      }
    }
    throw new Error('nft monitor trace never reported the sync packet');
  }

  /** Waits until conntrack -E reports an inserted and deleted dummy entry (it is listening). */
  private async syncEvents(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      await this.io.ctDummy();
      const t0 = performance.now();
      while (performance.now() - t0 < 100) {
        await sleep(5);
        if (this.ev.peek().some(isDummyDestroy)) return;
      }
    }
    throw new Error('conntrack -E never reported the sync entry');
  }

  /**
   * The conntrack event lines of the step: inserts and deletes a dummy entry (ctnetlink, through
   * nsio.py) and waits until
   * conntrack -E printed its [DESTROY], so every event emitted before it was printed too (the
   * conntrack process may lag behind by tens of milliseconds). The dummy's lines are left out.
   * Not used when the table limit is the subject (the dummy would need a free slot).
   */
  private async eventBarrier(): Promise<string[]> {
    if (!this.opts.eventBarrier) return this.ev.take();
    const errors = await this.io.ctDummy();
    if (errors.some((e) => e !== 0)) throw new Error(`the event barrier's dummy conntrack entry was refused (errno ${errors.join(', ')})`);
    const t0 = performance.now();
    while (!this.ev.peek().some(isDummyDestroy)) {
      if (performance.now() - t0 > 5000) throw new Error('conntrack -E stopped reporting (no dummy entry event within 5 s)');
      await sleep(1);
    }
    return this.ev.take().filter((l) => !l.includes(DUMMY_MARK));
  }

  /** Rule positions / counter flags / texts by (family, table, chain, handle). */
  private loadRuleMaps(): void {
    const j = JSON.parse(router(['nft', '-a', '-j', 'list', 'ruleset']) || '{"nftables":[]}') as { nftables: Record<string, any>[] };
    const pos = new Map<string, number>();
    const probeIdx = new Map<string, number>();
    for (const it of j.nftables) {
      const r = it['rule'];
      if (!r) continue;
      if (r.table === 'ckr_probe' || r.table === 'ckr_ndprobe' || r.table === 'ckr_arpprobe') {
        const k = probeIdx.get(r.chain) ?? 0;
        probeIdx.set(r.chain, k + 1);
        this.probe.set(`${r.table} ${r.handle}`, PROBE_NAMES[r.chain]?.[k] ?? '?');
        continue;
      }
      if (PROBE_TABLES.includes(r.table)) continue;
      const ck = `${r.family} ${r.table} ${r.chain}`;
      const idx = (pos.get(ck) ?? 0) + 1;
      pos.set(ck, idx);
      const counter = (r.expr as Record<string, unknown>[]).some((e) => 'counter' in e);
      this.rules.set(`${ck} ${r.handle}`, { idx, counter, text: '' });
    }
    for (const xf of XT_FAMILIES) {
      const mine = this.opts[xf.key] ?? [];
      if (!mine.length) continue;
      let table = '';
      const n = new Map<string, number>();
      for (const l of shQuiet(inNs(ROUTER_NS, [xf.save])).split('\n')) {
        if (l.startsWith('*')) {
          table = l.slice(1);
          if (mine.includes(table)) this.iptTables.add(`${xf.family} ${table}`);
          continue;
        }
        const m = /^-A (\S+) /.exec(l);
        if (!m) continue;
        const k = `${table} ${m[1]}`;
        n.set(k, (n.get(k) ?? 0) + 1);
        this.iptText.set(`${xf.family} ${k} ${n.get(k)}`, l);
      }
    }
  }

  /** Rule counters keyed by contract rule names (for the final cross-check). */
  counters(): Map<string, number> {
    const res = new Map<string, number>();
    // contract names carry no family: an iptables and an ip6tables rule at the same place share one
    const add = (k: string, v: number): void => void res.set(k, (res.get(k) ?? 0) + v);
    for (const xf of XT_FAMILIES) {
      if (!(this.opts[xf.key] ?? []).length) continue;
      let table = '';
      const n = new Map<string, number>();
      for (const l of shQuiet(inNs(ROUTER_NS, [xf.save, '-c'])).split('\n')) {
        if (l.startsWith('*')) table = l.slice(1);
        if (!this.iptTables.has(`${xf.family} ${table}`)) continue;
        const pol = /^:(\S+) (\S+) \[(\d+):(\d+)\]/.exec(l);
        if (pol && pol[2] !== '-') add(`${table} ${pol[1]} policy`, Number(pol[3]));
        const m = /^\[(\d+):(\d+)\] -A (\S+) /.exec(l);
        if (m) {
          const k = `${table} ${m[3]}`;
          n.set(k, (n.get(k) ?? 0) + 1);
          add(`${k} ${n.get(k)}`, Number(m[1]));
        }
      }
    }
    const j = JSON.parse(router(['nft', '-a', '-j', 'list', 'ruleset']) || '{"nftables":[]}') as { nftables: Record<string, any>[] };
    for (const it of j.nftables) {
      const r = it['rule'];
      if (!r || PROBE_TABLES.includes(r.table) || this.iptTables.has(`${r.family} ${r.table}`)) continue;
      const info = this.rules.get(`${r.family} ${r.table} ${r.chain} ${r.handle}`);
      for (const e of r.expr as Record<string, any>[]) {
        if ('counter' in e && info) res.set(`${r.family} ${r.table} ${r.chain} ${info.idx}`, Number(e['counter'].packets));
      }
    }
    return res;
  }

  /** The contract name of a traced rule or policy, and its human trace line. */
  private ruleName(ev: TraceEvent, who: 'pkt' | 'gen'): { name: string | null; line: string } {
    const ipt = this.iptTables.has(`${ev.family} ${ev.table}`);
    if (ev.kind === 'policy') {
      const name = ipt ? `${ev.table} ${ev.chain} policy` : `${ev.family} ${ev.table} ${ev.chain} policy`;
      return { name, line: `${who} ${ev.family} ${ev.table} ${ev.chain} policy ${ev.verdict}` };
    }
    const info = this.rules.get(`${ev.family} ${ev.table} ${ev.chain} ${ev.handle}`);
    let name: string | null;
    if (!info) name = `${ev.family} ${ev.table} ${ev.chain} handle${ev.handle}`;
    else if (ipt) name = `${ev.table} ${ev.chain} ${info.idx}`;
    else name = info.counter ? `${ev.family} ${ev.table} ${ev.chain} ${info.idx}` : null;
    const text = ipt && info ? (this.iptText.get(`${ev.family} ${ev.table} ${ev.chain} ${info.idx}`) ?? ev.text) : ev.text;
    return { name, line: `${who} ${ev.family} ${ev.table} ${ev.chain} rule ${text} (verdict ${ev.verdict})` };
  }

  /** Injects one packet and records what the kernel did. */
  async step(s: Step): Promise<StepRecord> {
    this.io.takeFrames();
    const staleTrace = this.trace.take();
    const staleEvents = this.ev.take();
    const staleExpect = this.evx.take();
    if (this.insertFailed === null) this.insertFailed = (await this.io.proc()).insertFailed;
    const at = s.at === null || this.mono0 === null ? null : this.mono0 + s.at;
    let mono: number;
    if (s.kind === 'in' && s.frame) {
      mono = await this.io.send(s.side.name, s.frame, at);
    } else if (s.kind === 'in') {
      const frame = new Uint8Array(14 + s.ip.length);
      frame.set(Buffer.from(s.side.rmac.replace(/:/g, ''), 'hex'), 0);
      frame.set(Buffer.from(s.side.emac.replace(/:/g, ''), 'hex'), 6);
      frame.set(s.ip[0]! >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00], 12);
      frame.set(s.ip, 14);
      mono = await this.io.send(s.side.name, frame, at);
    } else {
      mono = await this.io.local(s.ip, ipAddrs(s.ip)[1], at);
    }
    if (this.mono0 === null) {
      this.mono0 = mono;
      this.perf0 = performance.now();
    }
    await this.collect(s.kind);
    const [traceLines, eventLines] = await Promise.all([this.traceBarrier(), this.eventBarrier()]);
    const rec = this.analyse(s, mono, [...staleEvents, ...eventLines], staleExpect, traceLines);
    if (staleTrace.length) rec.warnings.push(`${staleTrace.length} trace line(s) arrived between packets (late trace of the previous packet?)`);
    const proc = await this.io.proc();
    rec.conntrack = proc.conntrack.map((l) => l.split(/\s+/).join(' '));
    // The verdict probe runs at postrouting priority 500, before conntrack confirms the entry: a
    // packet dropped at confirmation (a clash nf_ct_resolve_clash could not resolve) passed it.
    const failedBefore = this.insertFailed;
    this.insertFailed = proc.insertFailed;
    // So is one a helper drops there (nf_confirm: the helper's verdict), which no counter shows:
    // a forwarded packet always leaves on an interface the recorder watches, so a FORWARDED
    // packet of which no frame left was dropped after the probe.
    const noFrame = !rec.out.some((o) => !o.gen);
    const clash = proc.insertFailed > failedBefore && (rec.verdict === 'FORWARDED' || rec.verdict === 'SENT') && noFrame;
    if (clash || (rec.verdict === 'FORWARDED' && noFrame)) {
      rec.verdict = 'DROPPED';
      rec.warnings = rec.warnings.filter((w) => w !== 'passed postrouting but no frame of it was seen');
      rec.warnings.push(
        clash
          ? 'dropped at conntrack confirmation (insert_failed rose): verdict DROPPED'
          : 'passed postrouting but never left: dropped at conntrack confirmation (a helper): verdict DROPPED',
      );
    }
    this.results.push(rec);
    return rec;
  }

  /**
   * The trace lines of the step: sends a sync packet and waits until the monitor printed its trace,
   * so that every trace event emitted before it was printed too (nft prints events in order, but
   * can be slow, e.g. when it first loads an xtables extension to print an iptables rule).
   * The sync packet's own lines are left out.
   */
  private async traceBarrier(): Promise<string[]> {
    await this.io.sync(SYNC_MARK);
    const t0 = performance.now();
    const isSync = (l: string): boolean => l.includes(' ckr_probe c_sync rule ');
    while (!this.trace.peek().some(isSync)) {
      if (performance.now() - t0 > 5000) throw new Error('nft monitor trace stopped reporting (no sync trace within 5 s)');
      await sleep(1);
    }
    const lines = this.trace.take();
    if (process.env['CKR_DEBUG']) console.log(lines.map((l) => `     trace| ${l}`).join('\n'));
    const syncIds = new Set(lines.filter(isSync).map((l) => l.split(' ')[2]));
    return lines.filter((l) => !syncIds.has(l.split(' ')[2]));
  }

  /** Waits for the kernel's reaction to settle. */
  private async collect(kind: 'in' | 'local'): Promise<void> {
    const markers = kind === 'in' ? [' ckr_probe c_trace_pre ', ' ckr_ndprobe c_ing '] : [' ckr_probe c_trace_out '];
    const start = performance.now();
    let last = start;
    for (;;) {
      await sleep(2);
      const act = Math.max(this.io.lastFrame, this.trace.lastActivity, this.ev.lastActivity, this.evx.lastActivity);
      if (act > last) last = act;
      const now = performance.now();
      if (now - start > this.opts.maxMs) return;
      const seen = this.trace.peek().some((l) => markers.some((m) => l.includes(m)));
      if (now - last >= this.opts.quietMs && (seen || now - start > 100)) return;
    }
  }

  /** Turns what was observed after a send into the contract's record. */
  private analyse(s: Step, mono: number, ctEvents: string[], staleExpect: string[], traceLines: string[]): StepRecord {
    const frames = this.io.takeFrames();
    const events = [...ctEvents, ...staleExpect, ...this.evx.take()];
    const traces = traceLines.map(parseTraceLine).filter((e): e is TraceEvent => e !== null);
    const byId = groupById(traces);
    // the packet's trace starts at the first probe it meets: netdev ingress (scenarios with netdev
    // tables), else prerouting; a local packet's at output
    const first = s.kind === 'in' ? (this.opts.netdev ? 'ckr_ndprobe c_ing' : 'ckr_probe c_trace_pre') : 'ckr_probe c_trace_out';
    const isArp = s.frame !== undefined && s.frame[12] === 0x08 && s.frame[13] === 0x06;
    const matches = (f: Map<string, string> | undefined): boolean => (isArp ? arpTraceMatches(f, s.frame!) : traceMatches(f, s.ip));
    let main: string | null = null;
    for (const [id, evs] of byId) {
      const e0 = evs[0]!;
      if (`${e0.table} ${e0.chain}` === first && evs.some((e) => e.kind === 'packet' && matches(e.fields))) {
        main = id;
        break;
      }
    }
    const stages: Record<string, number> = {};
    let postFields: Map<string, string> | undefined;
    const egressHeads: string[] = [];
    for (const e of main ? byId.get(main)! : []) {
      if (PROBE_TABLES.includes(e.table) && e.kind === 'rule') {
        const n = this.probe.get(`${e.table} ${e.handle}`) ?? '?';
        stages[n] = (stages[n] ?? 0) + 1;
      }
      if (e.table === 'ckr_probe' && e.chain === 'c_post' && e.kind === 'packet') postFields = e.fields;
      if (e.table === 'ckr_ndprobe' && e.chain === 'c_egr' && e.kind === 'packet') {
        for (const [k, v] of e.fields ?? []) if (k.startsWith('@nh,0,')) egressHeads.push(`${k.slice(6)} ${v}`);
      }
    }
    const [pfx, dpfx] = s.kind === 'in' ? ['ct_', 'dir_'] : ['outct_', 'outdir_'];
    const st = Object.keys(stages).filter((k) => k.startsWith(pfx)).map((k) => k.slice(pfx.length));
    const dr = Object.keys(stages).filter((k) => k.startsWith(dpfx)).map((k) => k.slice(dpfx.length));
    const rules: string[] = [];
    const trace: string[] = [];
    const order = main ? [main, ...[...byId.keys()].filter((k) => k !== main)] : [...byId.keys()];
    for (const id of order) {
      for (const e of byId.get(id)!) {
        if (PROBE_TABLES.includes(e.table) || (e.kind !== 'rule' && e.kind !== 'policy')) continue;
        const { name, line } = this.ruleName(e, id === main ? 'pkt' : 'gen');
        trace.push(line);
        if (name) rules.push(name);
      }
    }
    const out: OutRecord[] = [];
    for (const f of [...frames].sort((a, b) => a.ts - b.ts)) {
      const arp = this.opts.arp ? frameArp(f) : null;
      if (arp) {
        out.push({ iface: SIDES[f.side].rif, hex: hex(arp), gen: true, desc: describeArp(arp) });
        continue;
      }
      const ob = frameIp(f);
      if (!ob || ipv6Noise(ob)) continue;
      const own = isSamePacket(postFields, ob) || egressHeads.some((h) => sameHead(h, ob));
      out.push({ iface: SIDES[f.side].rif, hex: hex(ob), gen: !own, desc: describeIp(ob) });
    }
    // with the egress probe: a packet that passed POSTROUTING but neither reached the end of egress
    // nor was seen leaving (`fwd` at egress moves it to another device, under another trace id) was
    // dropped there; one that reached egress without POSTROUTING left through `fwd` at ingress
    const left = !this.opts.netdev || stages['egr'] !== undefined || out.some((o) => !o.gen);
    let verdict: string;
    if (s.kind === 'in') verdict = stages['inp'] || stages['arp_in'] ? 'LOCAL_IN' : stages['post'] ? (left ? 'FORWARDED' : 'DROPPED') : stages['egr'] ? 'FORWARDED' : 'DROPPED';
    else verdict = stages['post'] && left ? 'SENT' : 'DROPPED';
    const warnings: string[] = [];
    if (main === null) warnings.push('the injected packet was not seen in the trace');
    if ((verdict === 'FORWARDED' || verdict === 'SENT') && !out.some((o) => !o.gen)) warnings.push('passed postrouting but no frame of it was seen');
    return {
      i: this.results.length,
      t: Math.round((mono - this.mono0!) * 1e6) / 1e6,
      kind: s.kind,
      side: s.side.name,
      iface: s.side.rif,
      note: s.note,
      sent: isArp ? describeArp(s.ip) : describeIp(s.ip),
      sentHex: hex(s.ip),
      ...(s.frame ? { sentFrameHex: hex(s.frame) } : {}),
      stages,
      verdict,
      ctstate: st.length === 1 ? st[0]! : st.length ? st.join(',') : null,
      ctdir: dr.length === 1 ? dr[0]! : null,
      out,
      rules,
      trace,
      events,
      conntrack: [],
      warnings,
    };
  }

  /** The final tables and the counter cross-check. */
  async finish(): Promise<FinalRecord> {
    await sleep(20);
    const t = this.perf0 === null ? 0 : Math.round(performance.now() - this.perf0) / 1000;
    const conntrack = router(['conntrack', '-L']).split('\n').filter((l) => l.trim());
    const expect = router(['conntrack', '-L', 'expect']).split('\n').filter((l) => l.trim());
    const eventsTail = [...this.ev.take(), ...this.evx.take()].filter((l) => !l.includes(DUMMY_MARK));
    const end = this.counters();
    const hits = new Map<string, number>();
    for (const r of this.results) for (const n of r.rules) hits.set(n, (hits.get(n) ?? 0) + 1);
    const mism: Record<string, { trace: number; counters: number }> = {};
    for (const k of new Set([...hits.keys(), ...end.keys()])) {
      const delta = (end.get(k) ?? 0) - (this.startCounters.get(k) ?? 0);
      const h = hits.get(k) ?? 0;
      const nftPolicy = k.endsWith(' policy') && k.split(' ').length === 4;
      if (h !== delta && !nftPolicy) mism[k] = { trace: h, counters: delta };
    }
    return { t, conntrack, expect, counterCrosscheck: Object.keys(mism).length ? mism : 'ok', eventsTail };
  }

  close(): void {
    this.trace?.stop();
    this.ev?.stop();
    this.evx?.stop();
    this.io?.close();
  }
}
