/**
 * Host: the simulated Linux box. It owns the routing tables, the sysctls, the conntrack table,
 * the rulesets' base chains and the hook pipeline, and takes packets as they arrive on an
 * interface (`receive`) or as a local process sends them (`send`). Each call returns what the
 * kernel did with the packet (PacketOutcome) and the conntrack events it caused, formatted as
 * `conntrack -E` prints them.
 *
 *   const host = new Host(parseHostConfig(text), { chains: iptablesBaseChains(ruleset), seed: 1 });
 *   const r = host.receive(frameBytes, LinkType.ETHERNET, 'eth0', 1700000000.5);
 */
import { ConntrackTable, type TrackOptions } from '../conntrack/table.js';
import type { Conn } from '../conntrack/conn.js';
import { type CtEvent, IPCT } from '../conntrack/events.js';
import { tcpSetClosing, type TcpState } from '../conntrack/proto/tcp.js';
import type { TrackedConn } from '../conntrack/tracker.js';
import { formatConntrackList, formatEvent } from '../format/conntrack.js';
import type { BaseChain } from '../netfilter/chain.js';
import type { CtHandle, CtTupleLike, PacketContext } from '../netfilter/context.js';
import { type CtEngine, type CtTrack, type NatEngine, Pipeline, type PacketOutcome, Unsupported } from '../netfilter/pipeline.js';
import { type ConntrackSettings, withTimeoutPolicy } from '../conntrack/settings.js';
import { decodeFrame } from '../packet/decode.js';
import { PacketView, Proto } from '../packet/view.js';
import { parseIp } from '../packet/addr.js';
import type { HostConfig } from './config.js';
import { formatExpectEvent, type HelperEngine } from '../helpers/index.js';
import { RoutingTable } from './routing.js';
import { HostStack } from './stack.js';
import { HostSysctls } from './sysctl.js';
import { HostArp } from './arp.js';
import { type NftHostServices, nftHostServices } from './ct-objects.js';

export interface HostOptions {
  /** Base chains of every ruleset loaded (iptables and/or nft front ends). */
  chains?: BaseChain[];
  /** Seed for the conntrack hash, ids and every random choice (ports, ...). */
  seed?: number;
  /** Sysctls applied after HOST.json's, by kernel name (the --sysctl overrides). */
  sysctl?: Record<string, string | number>;
  /** Record every rule evaluated for each packet (HostResult.trace). */
  traceEvaluation?: boolean;
  /** NAT engine, when built with one. */
  nat?: (ct: ConntrackTable, host: Host) => NatEngine;
  /** Conntrack helpers (FTP, TFTP, SIP, ...) and their expectation table. */
  helpers?: (ct: ConntrackTable, host: Host, nat: NatEngine | null) => HelperEngine;
}

export interface HostResult extends PacketOutcome {
  /** `conntrack -E` lines for the events this packet caused, in order. */
  events: string[];
}

/** Route type numbers as the kernel's RTN_* (for -m addrtype). */
const RTN: Record<string, number> = {
  UNSPEC: 0,
  UNICAST: 1,
  LOCAL: 2,
  BROADCAST: 3,
  ANYCAST: 4,
  MULTICAST: 5,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
  THROW: 9,
  NAT: 10,
  XRESOLVE: 11,
};

export class Host {
  readonly routing: RoutingTable;
  readonly sysctl: HostSysctls;
  readonly conntrack: ConntrackTable;
  readonly stack: HostStack;
  private readonly pipeline: Pipeline;
  private readonly view = new PacketView();
  private pendingEvents: string[] = [];
  /** CT --ctevents masks by connection (IPCT bit numbers are the option's event numbers). */
  private readonly eventMasks = new WeakMap<object, number>();
  /** CT --expevents masks by master connection (IPEXP_NEW bit 0, IPEXP_DESTROY bit 1). */
  private readonly expEventMasks = new WeakMap<object, number>();
  private pendingExpEvents: string[] = [];
  /** The NAT engine, when the host was built with one. */
  private readonly nat: NatEngine | null;
  /** The helpers and expectation table, when the host was built with them. */
  readonly helpers: HelperEngine | null;
  private lastTime = 0;

  constructor(
    readonly config: HostConfig,
    opts: HostOptions = {},
  ) {
    this.routing = new RoutingTable(config);
    this.sysctl = new HostSysctls(this.routing.interfaces.map((f) => f.name));
    for (const [k, v] of config.sysctl) this.sysctl.set(k, v);
    for (const [k, v] of Object.entries(opts.sysctl ?? {})) this.sysctl.set(k, v);
    this.conntrack = new ConntrackTable({ settings: this.sysctl.conntrack, seed: opts.seed ?? 1 });
    this.conntrack.onEvent((ev: CtEvent) => this.onCtEvent(ev));
    this.stack = new HostStack(config, this.routing, this.sysctl, opts.seed ?? 1);
    const ct = this.conntrack;
    // refilled by every track call (the pipeline copies what it keeps)
    const trackOpts: TrackOptions = { zone: 0, zoneDir: 3, helper: null, timeouts: null };
    const trackOut: CtTrack = { state: 0, dir: 0, conn: null as unknown as PacketContext['ct'] & object, reason: '' };
    const engine: CtEngine = {
      track: (pkt, hook, now, o) => {
        const timeouts = o.timeoutPolicy === null ? null : this.timeoutSettings(o.timeoutPolicy, pkt.proto);
        const to = trackOpts;
        to.zone = o.zone;
        to.zoneDir = o.zoneDir;
        to.helper = o.helper;
        to.timeouts = timeouts;
        const r = ct.track(pkt, hook, now, to);
        const t = trackOut;
        t.state = r.drop ? 0 : r.state;
        t.dir = r.dir;
        t.conn = r.conn as PacketContext['ct'] & object;
        t.reason = r.reason;
        return t;
      },
      confirm: (conn, now, dir) => ct.confirm(conn as Conn, now, dir),
      discard: (conn) => ct.discard(conn as Conn),
      isConfirmed: (conn) => (conn as Conn).confirmed,
      setEventMask: (conn, mask) => {
        if (!this.templateEvents()) return;
        this.eventMasks.set(conn, mask);
        // With nf_conntrack_events=0 only a template's mask gives a connection an event cache.
        (conn as Conn).hasEcache = true;
      },
      setExpEventMask: (conn, mask) => {
        if (this.templateEvents()) this.expEventMasks.set(conn, mask);
      },
      setClosing: (conn, now) => {
        const c = conn as Conn;
        if (!c.confirmed || c.orig.proto !== Proto.TCP) return;
        const timeout = tcpSetClosing(c as unknown as TrackedConn<TcpState>, this.sysctl.conntrack);
        if (timeout < 0) return;
        ct.setTimeout(c, timeout, now);
        ct.cacheEvent(c, IPCT.PROTOINFO);
      },
    };
    const nat = opts.nat ? opts.nat(ct, this) : null;
    this.nat = nat;
    this.pipeline = new Pipeline(opts.chains ?? [], engine, nat, this.stack, {
      v4: () => this.sysctl.get('net.ipv4.ipfrag_time'),
      v6: () => this.sysctl.conntrack.frag6Timeout,
    });
    this.pipeline.contextHook = (ctx) => this.decorate(ctx);
    // ARP frames (arp_rcv / arp_process) and the targets of netdev fwd / dup
    this.pipeline.arp = new HostArp(this.routing, this.sysctl);
    this.pipeline.deviceExists = (name) => this.routing.iface(name) !== undefined;
    this.pipeline.traceEvaluation = opts.traceEvaluation === true;
    // nf_confirm: the connection's helper first, then NAT's sequence adjustment.
    this.helpers = opts.helpers ? opts.helpers(ct, this, nat) : null;
    if (this.helpers) {
      this.pipeline.confirmHooks.push(this.helpers.confirmHook);
      const helpers = this.helpers;
      helpers.expectations.onEvent((ev) => {
        const mask = this.expEventMasks.get(ev.exp.master);
        if (mask !== undefined && (mask & (1 << (ev.type === 'NEW' ? 0 : 1))) === 0) return;
        this.pendingExpEvents.push(formatExpectEvent(helpers.expectations, ev));
      });
    }
    if (nat) this.pipeline.confirmHooks.push((ctx) => nat.adjustSequence(ctx));
  }

  /**
   * Whether CT --ctevents / --expevents masks take effect: the CT template gets its event cache
   * (nf_ct_ecache_ext_add) when the rule is loaded, which nf_conntrack_events=2 (the default: only
   * while someone listens) skips, rules being loaded before any listener exists; with 1, and with
   * 0 (a template's mask overrides the sysctl), the masks apply.
   */
  private templateEvents(): boolean {
    return this.sysctl.conntrack.events !== 2;
  }

  /**
   * A conntrack event. A CT --ctevents mask decides whether it is delivered at all
   * (nf_ct_deliver_cached_events: some of its bits in the mask); delivered, it carries every
   * bit cached for it.
   */
  private onCtEvent(ev: CtEvent): void {
    const mask = this.eventMasks.get(ev.conn);
    if (mask !== undefined && (ev.bits & mask) === 0) return;
    this.pendingEvents.push(formatEvent(ev));
  }

  private readonly policySettings = new Map<string, ConntrackSettings>();

  /**
   * CT --timeout NAME: the settings with HOST.json's policy NAME applied (made once per name), for
   * a connection of the policy's protocol; null for other protocols. An undeclared name stops the
   * replay, as iptables refuses a rule naming a policy that does not exist.
   */
  private timeoutSettings(name: string, proto: number): ConntrackSettings | null {
    const policy = this.config.timeoutPolicies.get(name);
    if (!policy) throw new Unsupported(`CT --timeout ${name}: no such timeout policy (declare it in HOST.json "ct_timeout")`);
    if (policy.proto !== proto && !(policy.proto === 255)) return null;
    let s = this.policySettings.get(name);
    if (!s) {
      s = withTimeoutPolicy(this.sysctl.conntrack, policy);
      this.policySettings.set(name, s);
    }
    return s;
  }

  /** Callbacks the host lends every packet's context (made once: the hot path allocates none). */
  private readonly addrTypeFn = (family: 4 | 6, addr: Uint32Array, dev: string | null): number => RTN[this.routing.addrType(family, addr, dev)] ?? 0;
  private readonly ctFindFn = (t: CtTupleLike, zone: number): CtHandle | null => this.conntrack.get(t, zone);
  private readonly routeMtuFn = (family: 4 | 6, addr: Uint32Array): number => {
    const r = this.routing.lookup({ family, dst: addr, src: null, iif: null, oif: null, mark: 0 });
    return (r?.dev && this.routing.iface(r.dev)?.mtu) || 1500;
  };

  /** Random source, flow-hash key and conntrack object services for nft (made on first use). */
  private nftServices: NftHostServices | null = null;

  /** Extra context the host provides to matches (address types, conntrack lookups, route MTUs, nft's services). */
  private decorate(ctx: PacketContext): void {
    ctx.addrType = this.addrTypeFn;
    ctx.ctFind = this.ctFindFn;
    ctx.routeMtu = this.routeMtuFn;
    const n = (this.nftServices ??= nftHostServices(this.conntrack, () => this.sysctl.conntrack, () => this.helpers));
    ctx.random = n.random;
    ctx.flowHashKey = n.flowHashKey;
    ctx.ctObjects = n.ctObjects;
  }

  /**
   * A frame of link type `linktype` arrives on interface `iface` at virtual time `now` (s): the
   * bytes frame[start, end) (default: all of it; a capture reader's buffer can be passed in place).
   */
  receive(frame: Uint8Array, linktype: number, iface: string, now: number, start = 0, end = frame.length): HostResult {
    if (!this.routing.iface(iface)) throw new Error(`no interface named ${JSON.stringify(iface)} on this host`);
    const ip = this.ipOf(frame, linktype, start, end);
    const mac = this.view.srcMacOff >= 0 ? new Uint8Array(frame.subarray(this.view.srcMacOff, this.view.srcMacOff + 6)) : null;
    this.tick(now);
    // netdev ingress chains on the device, or ARP: the whole frame (a private copy) takes the frame path
    if (this.pipeline.takesFrame(iface, this.view.ethertype)) return this.finish(this.pipeline.frameIn(new Uint8Array(frame.subarray(start, this.view.frameEnd)), linktype, iface, now));
    const res = ip ? this.pipeline.ingress(ip, iface, now, mac) : notIp();
    return this.finish(res);
  }

  /** A local process sends the IP packet in `frame` (link type `linktype`) at `now`. */
  send(frame: Uint8Array, linktype: number, now: number): HostResult {
    const ip = this.ipOf(frame, linktype);
    this.tick(now);
    const res = ip ? this.pipeline.localOut(ip, now) : notIp();
    if (!ip) res.dropReason = 'not an IP packet';
    return this.finish(res);
  }

  /** Advance virtual time: expire conntrack entries (DESTROY events belong to the next packet). */
  private tick(now: number): void {
    this.lastTime = Math.max(this.lastTime, now);
    this.stack.setTime(now);
    this.pipeline.defrag.expire(now);
    this.helpers?.expire(now);
    this.conntrack.expire(now);
  }

  private ipOf(frame: Uint8Array, linktype: number, start = 0, stop = frame.length): Uint8Array | null {
    const v = decodeFrame(this.view, frame, linktype, start, stop);
    if (v.family === 0 || v.l3Off < 0) return null;
    // A private copy: the pipeline rewrites it (TTL, NAT) and keeps it as the packet that left.
    // (Not frame.slice: on a Node Buffer that is a view, and the capture bytes would change.)
    const end = Math.max(v.ipEnd, Math.min(stop, v.l3Off + v.ipTotalLen));
    const n = end - v.l3Off;
    const copy = this.slab.take(n);
    const from = v.l3Off;
    if (n < 32) for (let k = 0; k < n; k++) copy[k] = frame[from + k]!;
    else copy.set(frame.subarray(from, end)); // memcpy: far faster than a byte loop
    return copy;
  }

  /** Where the private copies come from (one backing store for many packets). */
  private readonly slab = new Slab();

  /** Conntrack events, then expectation events (the contract's order). */
  private finish(res: PacketOutcome): HostResult {
    const r = res as HostResult;
    r.events = this.takeEvents();
    return r;
  }

  /**
   * `ip addr del ADDR dev IFACE` at virtual time `now`: the routes it implied go, and (as the
   * kernel's masquerade notifier does) the MASQUERADE entries that used it are deleted.
   */
  removeAddress(iface: string, address: string, now: number): void {
    const a = parseIp(address.replace(/\/\d+$/, ''));
    const gone = this.routing.removeAddress(iface, a.family, a.words);
    if (!gone) throw new Error(`${iface} has no address ${address}`);
    this.tick(now);
    this.nat?.addressRemoved(iface, gone, now);
  }

  /** `ip link set IFACE down` at `now`: its routes go and its MASQUERADE entries are deleted. */
  interfaceDown(iface: string, now: number): void {
    if (!this.routing.setUp(iface, false)) throw new Error(`no interface named ${JSON.stringify(iface)} on this host`);
    this.tick(now);
    this.nat?.interfaceDown(iface, now);
  }

  /** Events caused outside a packet (address removal, ...), as `conntrack -E` lines; clears them. */
  takeEvents(): string[] {
    const ev = this.pendingEvents;
    const exp = this.pendingExpEvents;
    if (exp.length === 0) {
      if (ev.length === 0) return [];
      this.pendingEvents = [];
      return ev;
    }
    this.pendingEvents = [];
    this.pendingExpEvents = [];
    return ev.concat(exp);
  }

  /** `conntrack -L` lines now (or at `now`). */
  listConntrack(now = this.lastTime): string[] {
    this.helpers?.expire(now);
    this.conntrack.expire(now);
    return formatConntrackList(this.conntrack, now);
  }

  /**
   * `conntrack -L expect` lines now (or at `now`): IPv4 ones, as the tool lists without -f;
   * `family` 6 for -f ipv6, 0 for every expectation.
   */
  listExpect(now = this.lastTime, family: 0 | 4 | 6 = 4): string[] {
    this.helpers?.expire(now);
    return this.helpers ? this.helpers.listExpect(now, family) : [];
  }
}

function notIp(): PacketOutcome {
  return { verdict: 'DROPPED', ctstate: null, ctdir: null, out: [], rules: [], dropReason: 'not an IP packet', log: [], lookedUp: false, genRules: [] };
}

/**
 * Hands out small byte arrays carved from 256 KiB blocks: a packet's private copy is a view, not
 * an ArrayBuffer of its own, so arrival costs no backing-store allocation (a block lives while any
 * of its views does).
 */
class Slab {
  private static readonly BLOCK = 1 << 18;
  private block = new ArrayBuffer(Slab.BLOCK);
  private used = 0;

  take(n: number): Uint8Array {
    if (n > Slab.BLOCK >> 3) return new Uint8Array(n);
    if (this.used + n > Slab.BLOCK) {
      this.block = new ArrayBuffer(Slab.BLOCK);
      this.used = 0;
    }
    const a = new Uint8Array(this.block, this.used, n);
    // keep views 8-byte aligned (16/32-bit readers of the copy stay fast)
    this.used += (n + 7) & ~7;
    return a;
  }
}
