/**
 * The way of one packet through a Linux box, hook by hook, as the kernel walks it:
 *
 *   ingress:  ip_rcv checks -> PREROUTING [defrag -400, raw -300, conntrack -200, mangle -150,
 *             nat dst -100, filter 0, ...] -> routing (martians, rp_filter, local / forward)
 *   local:    INPUT [mangle, filter, security, nat src 100, confirm] -> the host's own stack
 *   forward:  TTL check, decrement -> FORWARD [mangle, filter, security] -> POSTROUTING
 *   output:   routing -> OUTPUT [raw, conntrack, mangle, nat dst, filter, security]
 *             -> POSTROUTING [mangle, nat src 100, confirm] -> transmit
 *
 * Base chains from every front end (iptables tables, nft chains) run at their priorities
 * between the built-in steps. A drop anywhere is final; a connection created by a dropped packet
 * is discarded before confirmation, so it leaves no entry and no event.
 */
import { decodeIp, icmpIsErrorType } from '../packet/decode.js';
import { verifyIpv4Header, csumReplace16, put16 } from '../packet/checksum.js';
import { LinkType, PacketView, Proto } from '../packet/view.js';
import { type Action, CtStateBit, Hook, type PacketContext } from './context.js';
import type { FibService } from './fib.js';
import { type BaseChain, ChainVerdict, Priority } from './chain.js';
import { Defragmenter, type Reassembled, fragment4, fragment6, headPulled4 } from './defrag.js';
import { type ArpResponder, type Carry, ETH_HLEN, ETH_P_ARP, FrameHooks, LL_RAW_CAPTURE, LL_ROUTED, applyCarry, carryOf, decrementedTtl, frameView, hasEthernet, ipView, l3Bytes } from './netdev.js';

/** What the pipeline needs of the conntrack table. */
export interface CtEngine {
  /** Conntrack's answer for the packet; the result may be reused by the next call (copy what you keep). */
  track(pkt: PacketView, hook: number, now: number, opts: CtTrackOptions): CtTrack;
  /**
   * Confirm (dir 0, unconfirmed) and deliver cached events. Returns the connection the packet now
   * belongs to (another one when a clash was merged), or null: drop the packet.
   */
  confirm(conn: object, now: number, dir: 0 | 1): (PacketContext['ct'] & object) | null;
  discard(conn: object): void;
  isConfirmed(conn: object): boolean;
  /** nf_conntrack_set_closing: REJECT --reject-with tcp-reset moves a TCP connection to CLOSE. */
  setClosing(conn: object, now: number): void;
  /** CT --ctevents: only these IPCT event bits are reported for the new connection. */
  setEventMask(conn: object, mask: number): void;
  /** CT --expevents: only these IPEXP event bits are reported for the expectations it makes. */
  setExpEventMask(conn: object, mask: number): void;
}
export interface CtTrackOptions {
  zone: number;
  zoneDir: number;
  helper: string | null;
  timeoutPolicy: string | null;
}
export interface CtTrack {
  /** CtStateBit, or 0 when conntrack dropped the packet (table full). */
  state: number;
  dir: 0 | 1;
  conn: PacketContext['ct'] & object;
  reason: string;
}

/** What the pipeline needs of NAT. */
export interface NatEngine {
  /**
   * At a NAT hook position: for a NEW connection without a binding for this manipulation, set
   * one up from `action` (null: the chains chose none, the null binding); then rewrite the packet
   * (in ctx.pkt.buf) as the connection's bindings say. Returns false to drop.
   */
  apply(ctx: PacketContext, hook: Hook, action: Action | null, decided: boolean): boolean;
  /** True when the connection's binding for this hook's manipulation is already set. */
  initialized(ctx: PacketContext, hook: Hook): boolean;
  /** TCP sequence adjustment after a helper changed payload lengths (nf_ct_seq_adjust); false: drop. */
  adjustSequence(ctx: PacketContext): boolean;
  /** The masquerade notifiers: an interface went down / lost an address. */
  interfaceDown(name: string, now: number): void;
  addressRemoved(iface: string, addr: ArrayLike<number>, now: number): void;
}

/** What the pipeline needs of the host (routing, sysctls, local stack). */
export interface HostServices {
  /** Routing decision for an arriving packet. */
  routeInput(pkt: PacketView, iif: string, mark: number): InputRoute;
  /** Routing for a locally generated packet: egress interface or null (unreachable). */
  routeOutput(pkt: PacketView, mark: number): string | null;
  /** IP forwarding enabled for this family on interface `iif`. */
  forwarding(family: 4 | 6, iif: string): boolean;
  mtu(dev: string): number;
  /**
   * Deliver to the host's own stack; it may answer (packets go through `emitLocal`). `attachTo`
   * false: the stack dropped the packet's conntrack reference first (nf_reset_ct), so even an
   * ICMP error meets conntrack on its own.
   */
  deliverLocal(ctx: PacketContext, emit: (pkt: Uint8Array, attachTo: AttachInfo | null | false) => void): void;
  /** ip_rcv_core / ip6_rcv_core checks before PREROUTING: a reason (and error to send) drops the packet. */
  receive?(pkt: PacketView, iif: string): ReceiveVerdict | null;
  /** ip_forward_options, after FORWARD (the IPv4 options a forwarded packet records). */
  forwardOptions?(pkt: PacketView, dev: string): void;
  /** ICMP error for a packet the host cannot handle (time exceeded, unreachable, ...). */
  icmpError(pkt: PacketView, iif: string | null, type: 'ttl' | 'net-unreach' | 'host-unreach' | 'prohibit' | 'frag-needed', mtu: number): Uint8Array | null;
  /** ip_error's ICMP error for a packet routed nowhere (rate limited as ip_error does), or null. */
  routeError(pkt: PacketView, iif: string, kind: 'net-unreach' | 'host-unreach' | 'prohibit'): Uint8Array | null;
  /** ICMP redirect for a packet forwarded back out of its ingress interface, or null. */
  redirect(pkt: PacketView, iif: string, mark: number): Uint8Array | null;
  /** The packet REJECT sends for `pkt`, or null when it sends none. */
  rejectPacket(pkt: PacketView, with_: string, hook: Hook, iif: string | null): Uint8Array | null;
  /** Routing lookups for nft `fib` and `rt` (absent: those expressions stop the replay with an error). */
  readonly fib?: FibService;
}

export type InputRoute =
  | { kind: 'local'; broadcast: boolean }
  | { kind: 'forward'; dev: string }
  | { kind: 'unreachable'; icmp: 'net-unreach' | 'host-unreach' | 'prohibit' | null }
  | { kind: 'drop'; why: string; error?: Uint8Array | null };

/** A packet the stack drops before PREROUTING, with the error it sends about it (attached to nothing). */
export interface ReceiveVerdict {
  why: string;
  error: Uint8Array | null;
}

/** A generated packet may be attached to the connection of the packet that caused it (nf_ct_attach). */
export interface AttachInfo {
  ct: PacketContext['ct'];
  /** CtStateBit the attached packet carries (RELATED for REJECT's answers). */
  state: number;
  dir: 0 | 1;
}

export interface OutPacket {
  iface: string;
  bytes: Uint8Array;
  gen: boolean;
}

export type Verdict = 'FORWARDED' | 'LOCAL_IN' | 'DROPPED' | 'SENT';

export interface PacketOutcome {
  verdict: Verdict;
  /** ct state name right after the first conntrack lookup, null when never looked up. */
  ctstate: string | null;
  ctdir: 'original' | 'reply' | null;
  out: OutPacket[];
  rules: string[];
  /** Why it was dropped, in words (not part of the contract). */
  dropReason: string;
  /** LOG lines. */
  log: string[];
  /** Internal: the first conntrack lookup has been recorded. */
  lookedUp: boolean;
  /** Internal: rules raised by packets the host generated, appended to `rules` at the end. */
  genRules: string[];
  /** Every rule tried and the policies that decided, when the pipeline traces evaluation. */
  trace?: string[];
  /** The conntrack events the packet caused, filled in by the host. */
  events?: string[];
}

const STATE_NAMES: Record<number, string> = {
  [CtStateBit.INVALID]: 'invalid',
  [CtStateBit.ESTABLISHED]: 'established',
  [CtStateBit.RELATED]: 'related',
  [CtStateBit.NEW]: 'new',
  [CtStateBit.UNTRACKED]: 'untracked',
};

interface Step {
  priority: number;
  chain: BaseChain | null;
  builtin: 'conntrack' | 'nat' | 'confirm' | null;
}

/** The socket owner of packets a local process sent (xt_owner): root. */
const LOCAL_SENDER = Object.freeze({ uid: 0, gid: 0 });

/** Index of an IP hook (PREROUTING..POSTROUTING) of a family in the pipeline's per-hook arrays. */
function hookSlot(family: number, hook: number): number {
  return family === 6 ? 5 + hook : hook;
}

class Drop {
  constructor(readonly why: string) {}
}

export class Pipeline {
  /** Steps and nat chains by hookSlot(family, hook) (PREROUTING..POSTROUTING of IPv4, then IPv6). */
  private readonly steps: Step[][] = [];
  private readonly natChains: BaseChain[][] = [];
  private readonly natFamilies = new Set<number>();
  readonly defrag: Defragmenter;
  /**
   * nf_confirm's work before the entry is confirmed, at the end of INPUT / POSTROUTING, in order:
   * the connection's helper (payload parsing, expectations, NAT mangling), then TCP sequence
   * adjustment. Each returns false to drop the packet.
   */
  readonly confirmHooks: Array<(ctx: PacketContext) => boolean> = [];
  /** Record every rule evaluated (PacketOutcome.trace), as TRACE / nft monitor trace would. */
  traceEvaluation = false;
  private evalLines: string[] = [];
  /** Called on every new PacketContext (the host adds address-type and lookup callbacks). */
  contextHook: ((ctx: PacketContext) => void) | null = null;
  /** Reassembly facts of the datagram being walked (for refragmentation on output). */
  private reasm: Reassembled | null = null;
  /** netdev ingress / egress and arp input / output chains (netdev.ts). */
  private readonly frames: FrameHooks;
  /** The host's ARP (arp_rcv / arp_process), set by the host. */
  arp: ArpResponder | null = null;

  constructor(
    chains: BaseChain[],
    private readonly ct: CtEngine,
    private readonly nat: NatEngine | null,
    private readonly host: HostServices,
    fragTimeouts: { v4: () => number; v6: () => number } = { v4: () => 30, v6: () => 60 },
  ) {
    this.defrag = new Defragmenter(fragTimeouts.v4, fragTimeouts.v6);
    this.frames = new FrameHooks(chains);
    for (const family of [4, 6] as const) {
      for (let hook = 0; hook <= 4; hook++) this.buildHook(family, hook as Hook, chains);
      if (chains.some((c) => c.type === 'nat' && (c.family === 0 || c.family === family))) this.natFamilies.add(family);
    }
  }

  private buildHook(family: 4 | 6, hook: Hook, chains: BaseChain[]): void {
    // `chains` is in registration order (nft -f, then iptables-restore, as the recorder loads
    // them). nf_hook_entries_grow (net/netfilter/core.c) inserts a new hook before the first
    // existing one whose priority is >= its own: at equal priority the LATER registration runs
    // first. Reversed here, then stable-sorted by priority. The nat chains' own list (nf_nat_core.c
    // nf_nat_register_fn -> nf_hook_entries_insert_raw) is ordered the same way.
    const mine = chains.filter((c) => c.hook === hook && (c.family === 0 || c.family === family)).reverse();
    const steps: Step[] = mine.filter((c) => c.type !== 'nat').map((c) => ({ priority: c.priority, chain: c, builtin: null }));
    const nat = mine.filter((c) => c.type === 'nat').sort((a, b) => a.priority - b.priority);
    this.natChains[hookSlot(family, hook)] = nat;
    if (hook === Hook.PREROUTING || hook === Hook.OUTPUT) {
      steps.push({ priority: Priority.CONNTRACK, chain: null, builtin: 'conntrack' });
      steps.push({ priority: Priority.NAT_DST, chain: null, builtin: 'nat' });
    }
    if (hook === Hook.INPUT || hook === Hook.POSTROUTING) {
      steps.push({ priority: Priority.NAT_SRC, chain: null, builtin: 'nat' });
      steps.push({ priority: Priority.CONNTRACK_CONFIRM, chain: null, builtin: 'confirm' });
    }
    // Stable sort (later registrations first at equal priority, see above); the built-ins
    // (conntrack, nat, confirm) are taken as registered after the tables' chains (nf_ct_netns_get
    // at rule init, the nat hooks with the first nat chain), so they run first at equal priority.
    steps.sort((a, b) => a.priority - b.priority || (a.builtin ? -1 : 0) - (b.builtin ? -1 : 0));
    this.steps[hookSlot(family, hook)] = steps;
  }

  private newContext(pkt: PacketView, hook: Hook, iif: string | null, oif: string | null, now: number): PacketContext {
    const ctx: PacketContext = {
      pkt,
      family: pkt.family === 6 ? 6 : 4,
      hook,
      iif,
      oif,
      mark: 0,
      now,
      ct: null,
      ctState: 0,
      ctDir: 0,
      notrack: false,
      ctHelper: null,
      ctZone: 0,
      log: [],
      sock: null,
      evalTrace: this.traceEvaluation ? this.evalLines : null,
      fib: this.host.fib ?? null,
      // Every field a walk may set, present from the start: the context keeps one shape (no
      // property added later, no out-of-object property store to grow on the hot path).
      inMac: null,
      hotdrop: undefined,
      nfTrace: undefined,
      priority: undefined,
      ctEvents: undefined,
      ctExpEvents: undefined,
      ctTimeoutPolicy: undefined,
      ctZoneDir: undefined,
      ctAttached: undefined,
      pktType: undefined,
      addrType: undefined,
      routeMtu: undefined,
      ctFind: undefined,
      llLen: undefined,
      llMissing: undefined,
      dupTo: undefined,
      routed: undefined,
      routedMark: undefined,
      random: undefined,
      flowHashKey: undefined,
      secmark: undefined,
      ctObjects: undefined,
    };
    this.contextHook?.(ctx);
    return ctx;
  }

  /** A packet arriving on `iif`: `ip` is its IP datagram (a private copy the pipeline may rewrite). */
  ingress(ip: Uint8Array, iif: string, now: number, srcMac: Uint8Array | null = null): PacketOutcome {
    return this.withTrace(settle(this.walkIngress(ip, iif, now, srcMac)));
  }

  /** Hands the evaluation trace of the walk just finished to its outcome. */
  private withTrace(res: PacketOutcome): PacketOutcome {
    if (this.traceEvaluation || this.evalLines.length > 0) {
      res.trace = this.evalLines;
      this.evalLines = [];
    }
    return res;
  }

  private readonly ingressView = new PacketView();
  private ingressBusy = false;

  private walkIngress(ip: Uint8Array, iif: string, now: number, srcMac: Uint8Array | null, carry: Carry | null = null, res = emptyOutcome()): PacketOutcome {
    // The walk of an arriving packet is never re-entered (the host's answers take the output
    // path with views of their own), so one view serves every arriving packet.
    const view = this.ingressBusy ? new PacketView() : this.ingressView;
    let pkt = decodeIp(view, ip);
    if (pkt.family === 0 || pkt.ipHdrError || (pkt.family === 4 && !verifyIpv4Header(pkt.buf, pkt.l3Off, pkt.ipHdrLen))) {
      res.dropReason = pkt.family === 0 ? 'not IP' : `IP header error: ${pkt.malformedWhy || 'bad header checksum'}`;
      return res;
    }
    this.reasm = null;
    // ip_rcv_core / ip6_rcv_core: drops before any hook (a hop-by-hop option may earn an error)
    const early = this.host.receive?.(pkt, iif) ?? null;
    if (early) {
      if (early.error) this.generated(early.error, now, res, null);
      res.dropReason = early.why;
      return res;
    }
    // nf_defrag_ipv6 also takes an atomic fragment (offset 0, no more): it leaves without its header
    if (pkt.isFragment || (pkt.family === 6 && pkt.fragHdrOff >= 0)) {
      const whole = this.defrag.push(pkt, 0, now);
      if (!whole) {
        res.dropReason = 'fragment held for reassembly';
        return res;
      }
      this.reasm = whole;
      pkt = decodeIp(pkt, whole.bytes);
    }
    const ctx = this.newContext(pkt, Hook.PREROUTING, iif, null, now);
    ctx.inMac = srcMac;
    if (carry) applyCarry(ctx, carry);
    const owner = view === this.ingressView;
    if (owner) this.ingressBusy = true;
    try {
      this.runHook(ctx, res, true);
      const route = this.host.routeInput(pkt, iif, ctx.mark);
      ctx.routed = route.kind === 'local' ? 'local' : route.kind === 'forward' ? 'forward' : null;
      ctx.routedMark = ctx.mark;
      if (route.kind === 'drop') {
        if (route.error) this.generated(route.error, now, res, this.errorAttach(ctx, route.error));
        throw new Drop(route.why);
      }
      if (route.kind === 'unreachable') {
        if (route.icmp) {
          const err = this.host.routeError(ctx.pkt, iif, route.icmp);
          if (err) this.generated(err, now, res, this.errorAttach(ctx, err));
        }
        throw new Drop(`no route (${route.icmp ?? 'blackhole'})`);
      }
      if (route.kind === 'local') {
        this.localIn(ctx, res);
        return res;
      }
      this.forward(ctx, res, route.dev);
    } catch (e) {
      if (!(e instanceof Drop)) throw e;
      this.dropped(ctx, res, e.why);
    } finally {
      if (owner) this.ingressBusy = false;
    }
    return res;
  }

  // ---- frames: netdev ingress / egress, arp (netdev.ts) -------------------------------------

  /** Whether a frame arriving on `iif` takes the frame path (netdev ingress chains there, or ARP). */
  takesFrame(iif: string, ethertype: number): boolean {
    return ethertype === ETH_P_ARP || this.frames.hasIngress(iif);
  }

  /**
   * A whole frame arriving on `iif` (a private copy): the device's netdev ingress (netdev chains,
   * and inet chains for IP frames), then the IP path, or ARP (arp_rcv, the arp family's input
   * hook, arp_process); any other protocol has no handler.
   */
  frameIn(frame: Uint8Array, linktype: number, iif: string, now: number): PacketOutcome {
    const res = emptyOutcome();
    const view = frameView(frame, linktype);
    const isIp = view.family !== 0;
    let carry: Carry | null = null;
    const chains = this.frames.ingressOf(iif, isIp);
    if (chains.length > 0) {
      const ctx = this.frameContext(view, Hook.INGRESS, iif, null, now, res, hasEthernet(view) ? null : LL_RAW_CAPTURE);
      const why = this.runFrameChains(chains, ctx, res, res.rules, true);
      res.log.push(...drain(ctx));
      if (why === STOLEN) {
        res.verdict = 'FORWARDED';
        return this.withTrace(settle(res));
      }
      if (why !== null) {
        res.dropReason = why;
        return this.withTrace(settle(res));
      }
      carry = carryOf(ctx);
    }
    if (isIp) {
      const mac = view.srcMacOff >= 0 ? frame.slice(view.srcMacOff, view.srcMacOff + 6) : null;
      return this.withTrace(settle(this.walkIngress(l3Bytes(view), iif, now, mac, carry, res)));
    }
    if (view.ethertype === ETH_P_ARP) return this.withTrace(settle(this.arpIn(view, iif, now, res, carry)));
    res.dropReason = view.ethertype !== 0 ? `not an IP packet (ethertype 0x${view.ethertype.toString(16).padStart(4, '0')}: no protocol handler)` : 'not an IP packet';
    return this.withTrace(settle(res));
  }

  /** A context for a frame at a netdev or arp hook: no conntrack yet (ct state reads invalid). */
  private frameContext(v: PacketView, hook: Hook, iif: string | null, oif: string | null, now: number, res: PacketOutcome, llMissing: string | null): PacketContext {
    const ctx = this.newContext(v, hook, iif, oif, now);
    ctx.ctState = CtStateBit.INVALID;
    ctx.llMissing = llMissing;
    if (hook === Hook.INGRESS || hook === Hook.EGRESS) ctx.dupTo = (dev) => this.dupFrame(ctx, dev, res);
    return ctx;
  }

  /** Runs netdev / arp chains: null when the frame goes on, STOLEN when `fwd` took it, else why it was dropped. */
  private runFrameChains(chains: readonly BaseChain[], ctx: PacketContext, res: PacketOutcome, rules: string[], fwdOk: boolean): string | null {
    for (const c of chains) {
      const r = c.run(ctx, rules);
      if (ctx.nfTrace && !ctx.evalTrace) ctx.evalTrace = this.evalLines;
      if (r.verdict === ChainVerdict.ACCEPT) continue;
      if (r.verdict === ChainVerdict.ACTION && r.action) {
        if (r.action.kind === 'fwd') {
          if (!fwdOk) throw new Unsupported(`${r.action.rule}: fwd of a packet looped back through lo is not supported by ctkit`);
          return this.forwardFrame(ctx, res, rules, r.action);
        }
        this.carryOut(ctx, res, r.action);
      }
      return `dropped by ${decider(rules, c.label)}`;
    }
    return null;
  }

  /** Frames `fwd` / `dup` put on a device from a device (nf_dup_skb_recursion's limit). */
  private frameDepth = 0;

  /** nft fwd: the frame leaves on `a.dev` through that device's egress hook; STOLEN, or why it did not leave. */
  private forwardFrame(ctx: PacketContext, res: PacketOutcome, rules: string[], a: Action & { kind: 'fwd' }): string {
    this.checkDevice(a.dev, a.rule);
    const before = rules.length;
    let v = ctx.pkt;
    let ll = ctx.llMissing ?? null;
    if (a.family !== null) {
      // nft_fwd_neigh_eval: the TTL / hop limit goes down and the neighbour's MAC is used
      v = ipView(decrementedTtl(ctx.pkt.buf.subarray(ctx.pkt.l3Off, ctx.pkt.ipEnd)));
      ll = LL_ROUTED;
    } else {
      v = ctx.pkt.family !== 0 && ctx.pkt.l2Off < 0 ? ipView(ctx.pkt.buf.slice(ctx.pkt.l3Off, ctx.pkt.ipEnd)) : frameView(ctx.pkt.buf.slice(0, ctx.pkt.frameEnd), ctx.pkt.linktype);
    }
    if (ctx.hook === Hook.EGRESS) {
      // nft_fwd_netdev_eval sets skb_iif to the device it leaves: the trace id changes, so the
      // kernel reports the rest of its way as another packet's (after this one's)
      return this.transmit(v, a.dev, res, res.genRules, false, ctx, ll) ?? STOLEN;
    }
    const why = this.transmit(v, a.dev, res, rules, false, ctx, ll);
    // the kernel traces the fwd rule once the frame went out: its entry follows the egress rules
    if (before > 0 && rules[before - 1] === a.rule && rules.length > before) rules.push(rules.splice(before - 1, 1)[0]!);
    return why ?? STOLEN;
  }

  /** nft dup (netdev): a copy of the frame leaves on `dev` now (a new skb: its rules come after the packet's own). */
  private dupFrame(ctx: PacketContext, dev: string, res: PacketOutcome): void {
    this.checkDevice(dev, 'dup');
    const p = ctx.pkt;
    const v = p.family !== 0 && p.l2Off < 0 ? ipView(p.buf.slice(p.l3Off, p.ipEnd)) : frameView(p.buf.slice(0, p.frameEnd), p.linktype);
    this.transmit(v, dev, res, res.genRules, true, ctx, ctx.llMissing ?? null);
  }

  private checkDevice(dev: string, what: string): void {
    if (this.deviceExists !== null && !this.deviceExists(dev)) {
      throw new Unsupported(`${what}: the host has no interface "${dev}" (nft refuses a device that does not exist)`);
    }
  }

  /** Whether the host has an interface (for fwd / dup targets), set by the host. */
  deviceExists: ((name: string) => boolean) | null = null;

  /**
   * A frame leaving on `dev`: the device's egress chains, then `out` (its network-layer bytes).
   * Returns null when it left (here, or elsewhere through `fwd`), else why it was dropped.
   */
  private transmit(v: PacketView, dev: string, res: PacketOutcome, rules: string[], gen: boolean, from: PacketContext, llMissing: string | null): string | null {
    const chains = this.frames.egressOf(dev);
    if (chains !== undefined) {
      if (this.frameDepth >= 2) return 'dropped: fwd / dup recursion limit';
      const ctx = this.frameContext(v, Hook.EGRESS, null, dev, from.now, res, hasEthernet(v) ? null : llMissing);
      ctx.llLen = ETH_HLEN;
      applyCarry(ctx, carryOf(from));
      ctx.sock = from.sock;
      this.frameDepth++;
      try {
        const why = this.runFrameChains(chains, ctx, res, rules, true);
        res.log.push(...drain(ctx));
        if (why === STOLEN) return null;
        if (why !== null) return why;
      } finally {
        this.frameDepth--;
      }
    }
    res.out.push({ iface: dev, bytes: l3Bytes(v), gen });
    return null;
  }

  /** ARP arriving on `iif`: arp_rcv's checks, the arp input hook, then arp_process (and its answer). */
  private arpIn(v: PacketView, iif: string, now: number, res: PacketOutcome, carry: Carry | null): PacketOutcome {
    const refused = this.arp ? this.arp.refuse(v, iif) : null;
    if (refused !== null) {
      res.dropReason = refused;
      return res;
    }
    const ctx = this.frameContext(v, Hook.ARP_IN, iif, null, now, res, hasEthernet(v) ? null : LL_RAW_CAPTURE);
    ctx.dupTo = null;
    if (carry) applyCarry(ctx, carry);
    const why = this.runFrameChains(this.frames.arpIn, ctx, res, res.rules, false);
    res.log.push(...drain(ctx));
    if (why !== null) {
      res.dropReason = why;
      return res;
    }
    res.verdict = 'LOCAL_IN';
    const reply = this.arp ? this.arp.answer(v, iif) : null;
    if (reply !== null) this.arpOut(reply, iif, now, res);
    return res;
  }

  /** An ARP frame the host sends on `dev` (arp_xmit): the arp output hook, then the device's egress. */
  private arpOut(frame: Uint8Array, dev: string, now: number, res: PacketOutcome): void {
    const v = frameView(frame, LinkType.ETHERNET);
    const ctx = this.frameContext(v, Hook.ARP_OUT, null, dev, now, res, null);
    ctx.dupTo = null;
    ctx.llLen = ETH_HLEN;
    const why = this.runFrameChains(this.frames.arpOut, ctx, res, res.genRules, false);
    res.log.push(...drain(ctx));
    if (why !== null) return;
    this.transmit(v, dev, res, res.genRules, true, ctx, null);
  }

  /** netdev chains bound to lo: a packet to the host itself leaves through lo's egress and arrives through its ingress. */
  private loopbackFrameHooks(ctx: PacketContext, res: PacketOutcome): void {
    for (const hook of [Hook.EGRESS, Hook.INGRESS] as const) {
      const chains = hook === Hook.EGRESS ? (this.frames.egressOf('lo') ?? []) : this.frames.ingressOf('lo', true);
      if (chains.length === 0) continue;
      const c = this.frameContext(ctx.pkt, hook, hook === Hook.INGRESS ? 'lo' : null, hook === Hook.EGRESS ? 'lo' : null, ctx.now, res, LL_ROUTED);
      c.dupTo = null;
      if (hook === Hook.EGRESS) c.llLen = ETH_HLEN;
      applyCarry(c, carryOf(ctx));
      const why = this.runFrameChains(chains, c, res, res.rules, false);
      res.log.push(...drain(c));
      if (why !== null) throw new Drop(why);
      ctx.mark = c.mark;
      if (c.nfTrace) ctx.nfTrace = true;
    }
  }

  private localIn(ctx: PacketContext, res: PacketOutcome): void {
    ctx.hook = Hook.INPUT;
    this.runHook(ctx, res, false);
    res.verdict = 'LOCAL_IN';
    res.log.push(...drain(ctx));
    this.host.deliverLocal(ctx, (bytes, attach) => this.generated(bytes, ctx.now, res, attach === false ? null : (attach ?? this.errorAttach(ctx, bytes))));
  }

  private forward(ctx: PacketContext, res: PacketOutcome, dev: string): void {
    const pkt = ctx.pkt;
    if (!this.host.forwarding(ctx.family, ctx.iif!)) throw new Drop('forwarding disabled');
    if (pkt.ttl <= 1) {
      this.emitError(ctx, res, 'ttl', 0);
      throw new Drop('TTL expired');
    }
    const mtu = this.host.mtu(dev);
    if (this.exceedsMtu(pkt, mtu)) {
      this.emitError(ctx, res, 'frag-needed', mtu);
      throw new Drop('packet too big');
    }
    decrementTtl(pkt);
    // ip_forward: a packet going back out of the interface it came in on earns its sender an
    // ICMP redirect (before the FORWARD hook, whatever FORWARD then decides).
    if (dev === ctx.iif) {
      const redirect = this.host.redirect(pkt, ctx.iif, ctx.mark);
      if (redirect) this.generated(redirect, ctx.now, res, this.errorAttach(ctx, redirect));
    }
    ctx.hook = Hook.FORWARD;
    ctx.oif = dev;
    this.runHook(ctx, res, false);
    this.host.forwardOptions?.(ctx.pkt, dev);
    this.postrouting(ctx, res, dev);
    res.verdict = 'FORWARDED';
  }

  /**
   * ip_exceeds_mtu / ip6_pkt_too_big: a datagram reassembled by conntrack is too big only when one
   * of its original fragments was; IPv4 without DF is fragmented instead.
   */
  private exceedsMtu(pkt: PacketView, mtu: number): boolean {
    if (pkt.ipEnd - pkt.l3Off <= mtu) return false;
    if (pkt.family === 4 && !pkt.dontFrag) return false;
    if (this.reasm) return this.reasm.maxFragSize > mtu;
    return true;
  }

  private postrouting(ctx: PacketContext, res: PacketOutcome, dev: string): void {
    ctx.hook = Hook.POSTROUTING;
    ctx.oif = dev;
    this.runHook(ctx, res, false);
    if (dev === 'lo') {
      this.loopback(ctx, res);
      return;
    }
    if (this.frames.egressOf(dev) === undefined) {
      const p = ctx.pkt;
      if (this.reasm === null && (p.ipEnd - p.l3Off <= this.host.mtu(dev) || (p.family === 4 && p.dontFrag))) {
        // the common case: one whole datagram leaves (cut's first answer, without its array)
        res.out.push({ iface: dev, bytes: p.l3Off === 0 && p.ipEnd === p.buf.length ? p.buf : p.buf.subarray(p.l3Off, p.ipEnd), gen: false });
      } else {
        for (const bytes of this.cut(p, dev)) res.out.push({ iface: dev, bytes, gen: false });
      }
    } else {
      // netdev egress: each frame (fragment) on its own; the packet is dropped if none leaves
      let why = '';
      let left = 0;
      // the first fragment is the packet's own skb; ip_fragment makes new ones for the others
      this.cut(ctx.pkt, dev).forEach((bytes, k) => {
        const r = this.transmit(ipView(bytes), dev, res, k === 0 ? res.rules : res.genRules, false, ctx, LL_ROUTED);
        if (r === null) left++;
        else why = r;
      });
      if (left === 0 && why !== '') throw new Drop(why);
    }
    res.log.push(...drain(ctx));
  }

  /**
   * A packet the host sends to itself goes through lo and comes back in: PREROUTING (its
   * connection is already attached, so no new lookup), INPUT, then the host's own stack. Nothing
   * leaves the box.
   */
  private loopback(ctx: PacketContext, res: PacketOutcome): void {
    res.log.push(...drain(ctx));
    if (this.frames.egressOf('lo') !== undefined || this.frames.hasIngress('lo')) this.loopbackFrameHooks(ctx, res);
    ctx.hook = Hook.PREROUTING;
    ctx.iif = 'lo';
    ctx.oif = null;
    this.runHook(ctx, res, false);
    this.localIn(ctx, res);
  }

  /** The frames that leave: the datagram, or its fragments (ip_fragment / ip6_fragment). */
  private cut(pkt: PacketView, dev: string): Uint8Array[] {
    const whole = pkt.buf.subarray(pkt.l3Off, pkt.ipEnd);
    const mtu = this.host.mtu(dev);
    const r = this.reasm;
    if (whole.length <= mtu && !r) return [whole];
    if (pkt.family === 4) {
      if (pkt.dontFrag && !r) return [whole];
      return r ? fragment4(whole, mtu, r.maxFragSize, r.boundaries, !headPulled4(r, whole)) : fragment4(whole, mtu, 0, []);
    }
    // __ip6_finish_output: cut again only when over the MTU or over the largest original fragment
    if (!r || (whole.length <= mtu && whole.length <= r.maxFragSize)) return [whole];
    return fragment6(whole, r.unfragLen, r.nextHeader, r.id, mtu, r.maxFragSize, r.boundaries);
  }

  /** A packet sent by a local process of the host (an outbound capture record). */
  localOut(ip: Uint8Array, now: number): PacketOutcome {
    return this.withTrace(settle(this.walkLocalOut(ip, now)));
  }

  private walkLocalOut(ip: Uint8Array, now: number): PacketOutcome {
    const res = emptyOutcome();
    // A local packet is no reassembled datagram (the last arriving one may have been).
    this.reasm = null;
    const pkt = decodeIp(new PacketView(), ip);
    if (pkt.family === 0 || pkt.ipHdrError) {
      res.dropReason = 'not a valid IP packet';
      return res;
    }
    const ctx = this.newContext(pkt, Hook.OUTPUT, null, null, now);
    // A capture's outbound packets come from a process of the host; recordings run as root.
    ctx.sock = LOCAL_SENDER;
    try {
      this.output(ctx, res, null);
      // passed postrouting: SENT, also when lo brought it back to the host (as the recorders see it)
      res.verdict = 'SENT';
    } catch (e) {
      if (!(e instanceof Drop)) throw e;
      this.dropped(ctx, res, e.why);
    }
    return res;
  }

  private output(ctx: PacketContext, res: PacketOutcome, attach: AttachInfo | null): void {
    const dev = this.host.routeOutput(ctx.pkt, ctx.mark);
    ctx.routed = 'output';
    ctx.routedMark = ctx.mark;
    if (dev === null) throw new Drop('no route for a local packet');
    ctx.hook = Hook.OUTPUT;
    ctx.oif = dev;
    if (attach) {
      ctx.ct = attach.ct;
      ctx.ctState = attach.state;
      ctx.ctDir = attach.dir;
    }
    this.runHook(ctx, res, attach === null);
    const dev2 = this.host.routeOutput(ctx.pkt, ctx.mark) ?? dev; // re-route after mangle/nat
    ctx.routedMark = ctx.mark;
    this.postrouting(ctx, res, dev2);
  }

  /** A packet the host generated because of the current input: its own OUTPUT path. */
  private generated(bytes: Uint8Array, now: number, res: PacketOutcome, attach: AttachInfo | null): void {
    const pkt = decodeIp(new PacketView(), bytes);
    const ctx = this.newContext(pkt, Hook.OUTPUT, null, null, now);
    const sub = emptyOutcome();
    sub.rules = res.genRules; // the contract lists them after all of the input's own rules
    const saved = this.reasm;
    this.reasm = null;
    try {
      this.output(ctx, sub, attach);
      for (const o of sub.out) res.out.push({ ...o, gen: true });
    } catch (e) {
      if (!(e instanceof Drop)) throw e;
      this.abandon(ctx);
    } finally {
      this.reasm = saved;
    }
    res.log.push(...sub.log);
  }

  /**
   * icmp_send / icmpv6_send attach an ICMP error to the connection of the packet it is about
   * (icmp_glue_bits -> nf_ct_attach): RELATED, in the other direction. Other packets the host
   * writes (echo replies, its TCP stack's RSTs) meet conntrack like any local packet.
   */
  private errorAttach(ctx: PacketContext, bytes: Uint8Array): AttachInfo | null {
    if (!ctx.ct) return null;
    const v4 = (bytes[0]! >> 4) === 4;
    const proto = v4 ? bytes[9] : bytes[6];
    const type = v4 ? bytes[(bytes[0]! & 15) * 4] : bytes[40];
    const isError = v4 ? proto === Proto.ICMP && icmpIsErrorType(type!) : proto === Proto.ICMPV6 && type! < 128;
    return isError ? relatedTo(ctx) : null;
  }

  private emitError(ctx: PacketContext, res: PacketOutcome, type: Parameters<HostServices['icmpError']>[2], mtu: number): void {
    const bytes = this.host.icmpError(ctx.pkt, ctx.iif, type, mtu);
    if (bytes) this.generated(bytes, ctx.now, res, this.errorAttach(ctx, bytes));
  }

  private dropped(ctx: PacketContext, res: PacketOutcome, why: string): void {
    res.verdict = 'DROPPED';
    res.dropReason = why;
    res.out = res.out.filter((o) => o.gen);
    res.log.push(...drain(ctx));
    this.abandon(ctx);
  }

  /** A dropped packet's unconfirmed connection leaves no trace. */
  private abandon(ctx: PacketContext): void {
    if (ctx.ct && !this.ct.isConfirmed(ctx.ct) && ctx.ctDir === 0) this.ct.discard(ctx.ct);
  }

  /** Run every step of the context's hook in priority order. Throws Drop. */
  private runHook(ctx: PacketContext, res: PacketOutcome, lookup: boolean): void {
    const steps = this.steps[hookSlot(ctx.family, ctx.hook)]!;
    for (const s of steps) {
      if (s.chain) {
        const r = s.chain.run(ctx, res.rules);
        // -j TRACE (nf_trace): from then on every rule the packet meets is traced.
        if (ctx.nfTrace && !ctx.evalTrace) ctx.evalTrace = this.evalLines;
        if (r.verdict === ChainVerdict.ACCEPT) continue;
        if (r.verdict === ChainVerdict.ACTION && r.action) this.carryOut(ctx, res, r.action);
        throw new Drop(`${r.verdict === ChainVerdict.ACTION ? 'rejected' : 'dropped'} by ${decider(res.rules, s.chain.label)}`);
      }
      switch (s.builtin) {
        case 'conntrack':
          if (lookup) this.conntrack(ctx, res);
          break;
        case 'nat':
          this.natStep(ctx, res);
          break;
        case 'confirm':
          this.confirm(ctx);
          break;
      }
    }
  }

  /** The options of every ct.track call (refilled each time). */
  private readonly trackOpts: CtTrackOptions = { zone: 0, zoneDir: 3, helper: null, timeoutPolicy: null };

  private conntrack(ctx: PacketContext, res: PacketOutcome): void {
    if (ctx.notrack) {
      ctx.ct = null;
      ctx.ctState = CtStateBit.UNTRACKED;
    } else {
      const o = this.trackOpts;
      o.zone = ctx.ctZone;
      o.zoneDir = ctx.ctZoneDir ?? 3;
      o.helper = ctx.ctHelper;
      o.timeoutPolicy = ctx.ctTimeoutPolicy ?? null;
      const t = this.ct.track(ctx.pkt, ctx.hook, ctx.now, o);
      if (t.state === 0) {
        res.ctstate = null;
        throw new Drop(t.reason || 'conntrack: table full');
      }
      ctx.ct = t.conn;
      ctx.ctState = t.state;
      ctx.ctDir = t.dir;
      if (ctx.ct && t.state === CtStateBit.NEW) this.template(ctx);
    }
    if (res.ctstate === null && res.ctdir === null && !res.lookedUp) {
      res.lookedUp = true;
      res.ctstate = STATE_NAMES[ctx.ctState] ?? null;
      res.ctdir = ctx.ct ? (ctx.ctDir === 0 ? 'original' : 'reply') : null;
    }
  }

  /** What a CT template (raw table) gives the new connection beyond zone and helper. */
  private template(ctx: PacketContext): void {
    if (ctx.ctEvents) this.ct.setEventMask(ctx.ct!, ctx.ctEvents);
    if (ctx.ctExpEvents) this.ct.setExpEventMask(ctx.ct!, ctx.ctExpEvents);
  }

  private natStep(ctx: PacketContext, res: PacketOutcome): void {
    // The kernel hooks NAT into a family only once a nat chain of that family exists.
    if (!ctx.ct || !this.natFamilies.has(ctx.family)) return;
    const chains = this.natChains[hookSlot(ctx.family, ctx.hook)]!;
    // nf_nat_inet_fn: a NEW or RELATED packet whose connection has no binding yet for this
    // manipulation runs the nat chains (REJECT's answers, attached RELATED, count too).
    // RELATED ICMP errors only get their error translation.
    const icmpError = ctx.ctState === CtStateBit.RELATED && (ctx.pkt.proto === Proto.ICMP || ctx.pkt.proto === Proto.ICMPV6);
    const firstOfKind = (ctx.ctState === CtStateBit.NEW || ctx.ctState === CtStateBit.RELATED) && !icmpError;
    let action: Action | null = null;
    let decided = false;
    if (firstOfKind && chains.length > 0 && !(this.nat?.initialized(ctx, ctx.hook) ?? false)) {
      for (const c of chains) {
        const r = c.run(ctx, res.rules);
        if (r.verdict === ChainVerdict.DROP) throw new Drop(`dropped by ${decider(res.rules, c.label)}`);
        if (r.verdict === ChainVerdict.ACTION && r.action) {
          action = r.action;
          decided = true;
          break;
        }
      }
    }
    if (!this.nat) {
      if (action) throw new NatUnavailable(action);
      return;
    }
    if (!this.nat.apply(ctx, ctx.hook, action, decided)) throw new Drop('NAT: no free tuple');
    decodeIp(ctx.pkt, ctx.pkt.buf, ctx.pkt.l3Off, ctx.pkt.buf.length);
  }

  private confirm(ctx: PacketContext): void {
    if (!ctx.ct) return;
    for (const h of this.confirmHooks) {
      if (!h(ctx)) throw new Drop('conntrack helper / sequence adjustment dropped the packet');
    }
    const kept = this.ct.confirm(ctx.ct, ctx.now, ctx.ctDir);
    if (!kept) throw new Drop('conntrack: insert failed');
    ctx.ct = kept;
  }

  private carryOut(ctx: PacketContext, res: PacketOutcome, action: Action): void {
    if (action.kind === 'reject' && (ctx.hook === Hook.INGRESS || ctx.hook === Hook.EGRESS)) {
      throw new Unsupported('reject in a netdev chain (nft_reject_netdev: an answer sent straight out of the device) is not supported by ctkit');
    }
    if (action.kind === 'reject') {
      const bytes = this.host.rejectPacket(ctx.pkt, action.with, ctx.hook, ctx.iif);
      if (bytes) {
        // nf_send_reset attaches its RST to the offending packet's connection (nf_ct_attach) and
        // marks the entry closing before the RST goes out, so the RST's own confirmation delivers
        // that UPDATE; REJECT's ICMP errors are attached by icmp_send like any other error.
        const isReset = action.with === 'tcp-reset';
        const attach = isReset ? (ctx.ct ? relatedTo(ctx) : null) : this.errorAttach(ctx, bytes);
        if (isReset && ctx.ct) this.ct.setClosing(ctx.ct, ctx.now);
        this.generated(bytes, ctx.now, res, attach);
      }
      return;
    }
    throw new NatUnavailable(action);
  }
}

/** A packet needed something ctkit does not model: an error naming it, never silently ignored. */
export class Unsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Unsupported';
  }
}

/** A NAT target was hit but this build has no NAT engine wired. */
export class NatUnavailable extends Unsupported {
  constructor(readonly action: Action) {
    super(`NAT is not implemented yet (a rule asked for ${action.kind})`);
    this.name = 'NatUnavailable';
  }
}

/** runFrameChains: `fwd` took the frame (NF_STOLEN). */
const STOLEN = '\u0000stolen';

function emptyOutcome(): PacketOutcome {
  // `events` (the host's) and `trace` are there from the start: the outcome keeps one shape
  return { verdict: 'DROPPED', ctstate: null, ctdir: null, out: [], rules: [], dropReason: '', log: [], lookedUp: false, genRules: [], trace: undefined, events: undefined };
}

/** The rule (or policy) that decided, from the trace: its last entry, else the chain's name. */
function decider(trace: string[], chainLabel: string): string {
  return trace.length ? trace[trace.length - 1]! : chainLabel;
}

/** nf_ct_attach: RELATED to the context's connection, in the other direction. */
function relatedTo(ctx: PacketContext): AttachInfo {
  return { ct: ctx.ct, state: CtStateBit.RELATED, dir: ctx.ctDir === 0 ? 1 : 0 };
}

/** The input's rules, then those of the packets the host generated because of it. */
function settle(res: PacketOutcome): PacketOutcome {
  if (res.genRules.length) {
    res.rules.push(...res.genRules);
    res.genRules = [];
  }
  return res;
}

function drain(ctx: PacketContext): readonly string[] {
  const l = ctx.log;
  if (l.length === 0) return NO_LINES;
  ctx.log = [];
  return l;
}
const NO_LINES: readonly string[] = Object.freeze([]);

/** ip_decrease_ttl / hop limit decrement, with the IPv4 checksum patched incrementally. */
function decrementTtl(pkt: PacketView): void {
  const b = pkt.buf;
  const o = pkt.l3Off;
  if (pkt.family === 4) {
    const oldWord = (b[o + 8]! << 8) | b[o + 9]!;
    b[o + 8] = b[o + 8]! - 1;
    const newWord = (b[o + 8]! << 8) | b[o + 9]!;
    const check = (b[o + 10]! << 8) | b[o + 11]!;
    put16(b, o + 10, csumReplace16(check, oldWord, newWord));
  } else {
    b[o + 7] = b[o + 7]! - 1;
  }
  pkt.ttl--;
}

