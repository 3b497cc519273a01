/**
 * The hooks outside the IP path, as the kernel has them:
 *
 * - netdev ingress (nf_hook_ingress in __netif_receive_skb_core): every frame arriving on a device,
 *   before any protocol handler, so before PREROUTING, defragmentation and conntrack. netdev
 *   chains bound to the device see every frame (IP, ARP, anything); inet chains on the ingress
 *   hook see IPv4 and IPv6 frames only. skb->len starts at the network header.
 * - netdev egress (nf_hook_egress in __dev_queue_xmit): every frame the device transmits: packets
 *   forwarded or sent by the host (after POSTROUTING, each fragment), the host's ARP replies,
 *   frames `fwd` / `dup` put on the device. skb->len includes the Ethernet header.
 * - arp input / output (NF_ARP_IN in arp_rcv, NF_ARP_OUT in arp_xmit): ARP frames arriving and
 *   the ARP frames the host sends.
 *
 * This module groups the chains per device and hook and builds the packet views and contexts the
 * rules read there; the pipeline (pipeline.ts) walks them.
 */
import { decodeFrame, decodeIp, EtherType } from '../packet/decode.js';
import { LinkType, PacketView } from '../packet/view.js';
import type { BaseChain } from './chain.js';
import { Hook, type PacketContext } from './context.js';

export const ETH_HLEN = 14;

/** Why `ether` / `@ll` cannot be read in a frame ctkit only has the IP packet of. */
export const LL_RAW_CAPTURE = 'the capture has no link-layer header (raw IP): ether / vlan / @ll expressions need an Ethernet capture';
export const LL_ROUTED = 'the link-layer header of a frame the host routes (its neighbour\'s MAC address) is not modelled by ctkit';

/** The netdev, inet-ingress and arp base chains of a ruleset, grouped as the hooks call them. */
export class FrameHooks {
  private readonly ingress = new Map<string, BaseChain[]>();
  private readonly egress = new Map<string, BaseChain[]>();
  readonly arpIn: BaseChain[];
  readonly arpOut: BaseChain[];
  /** True when any of these hooks has a chain (or ARP needs the frame path anyway). */
  readonly any: boolean;

  constructor(chains: readonly BaseChain[]) {
    const byPrio = (a: BaseChain, b: BaseChain): number => a.priority - b.priority;
    // `chains` is in registration order; nf_hook_entries_grow (net/netfilter/core.c) puts a new
    // hook before existing ones of the same priority: at equal priority the LATER registration
    // runs first (reversed here, then a stable sort)
    const reg = [...chains].reverse();
    for (const c of reg) {
      if (c.hook !== Hook.INGRESS && c.hook !== Hook.EGRESS) continue;
      const m = c.hook === Hook.INGRESS ? this.ingress : this.egress;
      for (const d of c.devices ?? []) {
        const l = m.get(d);
        if (l) l.push(c);
        else m.set(d, [c]);
      }
    }
    for (const l of this.ingress.values()) l.sort(byPrio);
    for (const l of this.egress.values()) l.sort(byPrio);
    this.arpIn = reg.filter((c) => c.hook === Hook.ARP_IN).sort(byPrio);
    this.arpOut = reg.filter((c) => c.hook === Hook.ARP_OUT).sort(byPrio);
    this.any = this.ingress.size > 0 || this.egress.size > 0 || this.arpIn.length > 0 || this.arpOut.length > 0;
  }

  /** The ingress chains of `dev` a frame meets (`ip`: an IPv4 / IPv6 frame; inet chains see only those). */
  ingressOf(dev: string, ip: boolean): readonly BaseChain[] {
    const l = this.ingress.get(dev);
    if (!l) return [];
    return ip ? l : l.filter((c) => !c.ipOnly);
  }

  hasIngress(dev: string): boolean {
    return this.ingress.has(dev);
  }

  egressOf(dev: string): readonly BaseChain[] | undefined {
    return this.egress.get(dev);
  }
}

/**
 * A view of a whole frame for the netdev / arp hooks: IP frames decode as usual; for any other
 * protocol (ARP) the "network header" is the frame's payload (l3Off, ipEnd), which is what `nh`
 * payload expressions, `meta length` and counters measure there.
 */
export function frameView(frame: Uint8Array, linktype: number): PacketView {
  const v = decodeFrame(new PacketView(), frame, linktype);
  if (v.family === 0 && v.l2PayloadOff >= 0) {
    v.l3Off = v.l2PayloadOff;
    v.ipEnd = v.frameEnd;
  }
  return v;
}

/** A view of an IP packet the host transmits (no link-layer header: ctkit has no neighbour MACs). */
export function ipView(ip: Uint8Array): PacketView {
  return decodeIp(new PacketView(), ip);
}

/** The network-layer bytes of a frame (what the contract's `out` holds): a private copy. */
export function l3Bytes(v: PacketView): Uint8Array {
  const end = v.family !== 0 ? Math.max(v.ipEnd, Math.min(v.frameEnd, v.l3Off + v.ipTotalLen)) : v.frameEnd;
  return v.buf.slice(v.l3Off, end);
}

/** An Ethernet frame around `payload` (ARP replies the host builds). */
export function ethernetFrame(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 255;
  f.set(payload, ETH_HLEN);
  return f;
}

/** Whether the view is an Ethernet frame (its link-layer header can be read). */
export function hasEthernet(v: PacketView): boolean {
  return v.linktype === LinkType.ETHERNET && v.l2Off >= 0;
}

export const ETH_P_ARP = EtherType.ARP;

/** What a frame carries from its netdev ingress into the IP path (skb fields rules may set). */
export interface Carry {
  mark: number;
  nfTrace: boolean;
  priority: number | undefined;
  pktType: number | undefined;
  /** The conntrack template an inet ingress chain attached (notrack, ct zone / helper set). */
  notrack: boolean;
  ctZone: number;
  ctZoneDir: number | undefined;
  ctHelper: string | null;
}

export function carryOf(ctx: PacketContext): Carry {
  return {
    mark: ctx.mark, nfTrace: ctx.nfTrace === true, priority: ctx.priority, pktType: ctx.pktType,
    notrack: ctx.notrack, ctZone: ctx.ctZone, ctZoneDir: ctx.ctZoneDir, ctHelper: ctx.ctHelper,
  };
}

export function applyCarry(ctx: PacketContext, c: Carry): void {
  ctx.mark = c.mark;
  if (c.nfTrace) ctx.nfTrace = true;
  if (c.priority !== undefined) ctx.priority = c.priority;
  if (c.pktType !== undefined) ctx.pktType = c.pktType;
  if (c.notrack) ctx.notrack = true;
  if (c.ctZone !== 0) ctx.ctZone = c.ctZone;
  if (c.ctZoneDir !== undefined) ctx.ctZoneDir = c.ctZoneDir;
  if (c.ctHelper !== null) ctx.ctHelper = c.ctHelper;
}

/** The host's ARP, as the pipeline needs it (host/arp.ts). */
export interface ArpResponder {
  /** arp_rcv's checks before the arp input hook: why the frame is not taken, or null. */
  refuse(v: PacketView, dev: string): string | null;
  /** arp_process after the input hook: the Ethernet frame of the host's answer on `dev`, or null. */
  answer(v: PacketView, dev: string): Uint8Array | null;
}

/** ip_decrease_ttl / the hop limit decrement of `fwd ip|ip6 to ADDR device DEV`, on a copy. */
export function decrementedTtl(ip: Uint8Array): Uint8Array {
  const b = ip.slice();
  if (b[0]! >> 4 === 4) {
    const old = (b[8]! << 8) | b[9]!;
    b[8] = (b[8]! - 1) & 255;
    const now = (b[8]! << 8) | b[9]!;
    // RFC 1624: HC' = ~(~HC + ~m + m')
    let sum = (~((b[10]! << 8) | b[11]!) & 0xffff) + (~old & 0xffff) + now;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    b[10] = c >> 8;
    b[11] = c & 255;
  } else {
    b[7] = (b[7]! - 1) & 255;
  }
  return b;
}
