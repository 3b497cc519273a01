/**
 * The host's ARP (IPv4 over Ethernet), as net/ipv4/arp.c handles an arriving ARP frame:
 *
 * - arp_rcv, before the arp family's input hook: nothing on a device without ARP (lo), nothing
 *   for a frame addressed to another host's MAC (PACKET_OTHERHOST), nothing unless the hardware
 *   and protocol address lengths are 6 and 4;
 * - arp_process, after it: an Ethernet/IPv4 request whose target address is one of the host's
 *   (the route of the target is local) is answered unless arp_ignore says not to; a DAD probe
 *   (sender 0.0.0.0) for a local address is answered with target 0.0.0.0; replies and other
 *   requests only teach the neighbour table, which ctkit does not model (it assumes every
 *   neighbour resolved).
 *
 * The answer is the frame arp_create builds: Ethernet from the device's MAC to the requester's,
 * ARP reply with the device's MAC and the asked address. A device without a "mac" in HOST.json
 * cannot answer byte for byte: that stops the replay with an error naming it, as does proxy ARP.
 */
import { Unsupported } from '../netfilter/pipeline.js';
import type { ArpResponder } from '../netfilter/netdev.js';
import { ETH_P_ARP, ethernetFrame } from '../netfilter/netdev.js';
import type { PacketView } from '../packet/view.js';
import { inPrefix, type RoutingTable } from './routing.js';
import type { HostSysctls } from './sysctl.js';

const ARPHRD_ETHER = 1;
const ARPHRD_IEEE802 = 6;
const ARPOP_REQUEST = 1;
const ARPOP_REPLY = 2;

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function ipText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function macText(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export class HostArp implements ArpResponder {
  constructor(
    private readonly routing: RoutingTable,
    private readonly sysctl: HostSysctls,
  ) {}

  refuse(v: PacketView, dev: string): string | null {
    const f = this.routing.iface(dev);
    if (dev === 'lo') return 'ARP on lo (a device without ARP)';
    if (v.dstMacOff >= 0 && f?.mac) {
      const d = v.buf.subarray(v.dstMacOff, v.dstMacOff + 6);
      if ((d[0]! & 1) === 0 && d.some((x, i) => x !== f.mac![i])) return `ARP frame for another host (destination MAC ${macText(d)})`;
    }
    const o = v.l3Off;
    if (o < 0 || v.ipEnd - o < 8) return 'truncated ARP header';
    const hlen = v.buf[o + 4]!;
    const plen = v.buf[o + 5]!;
    if (hlen !== 6 || plen !== 4) return `ARP with hardware address length ${hlen} and protocol address length ${plen} (arp_rcv wants 6 and 4)`;
    if (v.ipEnd - o < 28) return 'truncated ARP packet';
    return null;
  }

  answer(v: PacketView, dev: string): Uint8Array | null {
    const b = v.buf;
    const o = v.l3Off;
    const hrd = u16(b, o);
    if ((hrd !== ARPHRD_ETHER && hrd !== ARPHRD_IEEE802) || u16(b, o + 2) !== 0x0800) return null;
    const op = u16(b, o + 6);
    if (op !== ARPOP_REQUEST && op !== ARPOP_REPLY) return null;
    const sha = b.slice(o + 8, o + 14);
    const sip = u32(b, o + 14);
    const tip = u32(b, o + 24);
    const loopback = tip >>> 24 === 127;
    if (tip >>> 28 === 0xe || (loopback && this.sysctl.conf4(dev, 'route_localnet') === 0)) return null;
    if (op !== ARPOP_REQUEST) return null;
    const tipLocal = this.routing.addrType(4, [tip]) === 'LOCAL';
    if (sip === 0) {
      // duplicate address detection: answered when the address is the device's own
      if (this.addressOn(dev, tip) !== null && !this.ignore(dev, sip, tip)) return this.reply(dev, tip, sha, 0);
      return null;
    }
    // ip_route_input(tip, sip, dev): a martian sender gets no route, so no answer
    if (sip >>> 28 === 0xe || sip === 0xffffffff || sip >>> 24 === 127 || sip >>> 24 === 0) return null;
    if (!tipLocal) {
      if (Math.max(this.sysctl.get('net.ipv4.conf.all.proxy_arp'), this.sysctl.get(`net.ipv4.conf.${dev}.proxy_arp`)) !== 0) {
        throw new Unsupported(`ARP request for ${ipText(tip)} on ${dev}: proxy ARP (proxy_arp) is not modelled by ctkit`);
      }
      return null;
    }
    if (this.ignore(dev, sip, tip)) return null;
    return this.reply(dev, tip, sha, sip);
  }

  /** The device's address `a` with its prefix, or null. */
  private addressOn(dev: string, a: number): { addr: number; prefixLen: number } | null {
    const f = this.routing.iface(dev);
    const x = f?.addresses.find((y) => y.family === 4 && y.addr[0]! >>> 0 === a);
    return x ? { addr: a, prefixLen: x.prefixLen } : null;
  }

  /** arp_ignore (IN_DEV_ARP_IGNORE: the larger of all and the device's value). */
  private ignore(dev: string, sip: number, tip: number): boolean {
    const mode = Math.max(this.sysctl.get('net.ipv4.conf.all.arp_ignore'), this.sysctl.get(`net.ipv4.conf.${dev}.arp_ignore`));
    switch (mode) {
      case 1:
        return this.addressOn(dev, tip) === null;
      case 2: {
        const a = this.addressOn(dev, tip);
        return a === null || !inPrefix(4, [sip], [a.addr], a.prefixLen);
      }
      case 8:
        return true;
      default:
        // 0: any local address; 3: not for host-scope addresses (ctkit's are global); 4-7 reserved
        return false;
    }
  }

  /** arp_create(ARPOP_REPLY): from the device's MAC and `spa` to the requester. */
  private reply(dev: string, spa: number, tha: Uint8Array, tpa: number): Uint8Array {
    const mac = this.routing.iface(dev)?.mac ?? null;
    if (mac === null) {
      throw new Unsupported(`ARP request for ${ipText(spa)} on ${dev}: the host answers it, but HOST.json gives ${dev} no "mac" (the reply's sender address)`);
    }
    const p = new Uint8Array(28);
    p[1] = ARPHRD_ETHER;
    p[2] = 0x08;
    p[4] = 6;
    p[5] = 4;
    p[7] = ARPOP_REPLY;
    p.set(mac, 8);
    p.set([spa >>> 24, (spa >>> 16) & 255, (spa >>> 8) & 255, spa & 255], 14);
    p.set(tha, 18);
    p.set([tpa >>> 24, (tpa >>> 16) & 255, (tpa >>> 8) & 255, tpa & 255], 24);
    return ethernetFrame(tha, mac, ETH_P_ARP, p);
  }
}
