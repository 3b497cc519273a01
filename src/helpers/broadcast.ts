/**
 * The broadcast helpers (the kernel's nf_conntrack_broadcast.c, used by
 * nf_conntrack_netbios_ns.c and nf_conntrack_snmp.c): a request the host itself sends to a
 * subnet's broadcast address gets its answers from any host of that subnet, which conntrack
 * could not relate to the request by tuple.
 *
 * For a locally generated packet in the original direction whose destination is the broadcast
 * address of a primary address of the outgoing interface, a PERMANENT expectation is registered:
 * the reply tuple with the service port (137 for netbios-ns, 161 for snmp) as source port and
 * the interface's netmask as source address mask (class 0, one at a time, `timeout` seconds: 3
 * for netbios-ns, 30 for snmp), and the master's timeout becomes `timeout`. Every such packet
 * registers it afresh (the previous one is replaced).
 *
 * On a NATed connection the snmp helper then hands the packet to nf_nat_snmp_basic's routine
 * (nf_nat_snmp_hook; the module is built into the reference kernel), which rewrites addresses
 * inside SNMP PDUs and may drop the packet (snmp-trap.ts); the broadcast part runs first.
 */
import type { ExpectPolicy } from '../conntrack/expect.js';
import { ExpectFlag } from '../conntrack/expect.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { snmpNatHelp } from './snmp-trap.js';
import type { HelperOptions, HelpCall, HelperDef } from './types.js';

const NMBD_PORT = 137;
const SNMP_PORT = 161;

/** nf_conntrack_broadcast_help for a service on `port` with `timeout`. Always accepts. */
function broadcastHelp(call: HelpCall, port: number, timeout: number): boolean {
  const ctx = call.ctx;
  if (ctx.iif !== null || ctx.oif === null || call.dir !== 0) return true;
  const mask = call.svc.broadcastMask(ctx.oif, ctx.pkt.dst[0]! >>> 0);
  if (mask === 0) return true;
  const conn = call.conn;
  const svc = call.svc;
  const r = conn.reply;
  const exp = svc.expect.create(conn, 0, 4, r.src, r.dst, Proto.UDP, port, r.dport);
  exp.maskSrc[0] = mask >>> 0;
  exp.flags = ExpectFlag.PERMANENT;
  svc.expect.related(exp, ctx.now);
  if (!(conn.status & CtStatus.FIXED_TIMEOUT)) svc.table.setTimeout(conn, timeout, ctx.now);
  return true;
}

type Options = Readonly<Required<HelperOptions>>;

export const netbiosNsHelper: HelperDef = {
  name: 'netbios-ns',
  protos: [Proto.UDP],
  families: [4],
  policies: (o: Options): readonly ExpectPolicy[] => [{ maxExpected: 1, timeout: o.netbiosNsTimeout, name: null }],
  createData: () => null,
  help: (call) => broadcastHelp(call, NMBD_PORT, call.svc.options.netbiosNsTimeout),
};

export const snmpHelper: HelperDef = {
  name: 'snmp',
  protos: [Proto.UDP],
  families: [4],
  policies: (o: Options): readonly ExpectPolicy[] => [{ maxExpected: 1, timeout: o.snmpTimeout, name: null }],
  createData: () => null,
  help: (call) => {
    broadcastHelp(call, SNMP_PORT, call.svc.options.snmpTimeout);
    return call.conn.status & (CtStatus.SRC_NAT | CtStatus.DST_NAT) ? snmpNatHelp(call) : true;
  },
};

/** An interface as subnetBroadcastMask needs it (the host's InterfaceConfig fits). */
export interface BroadcastIface {
  readonly name: string;
  readonly addresses: readonly { readonly family: 4 | 6; readonly addr: ArrayLike<number>; readonly prefixLen: number }[];
}

/**
 * A broadcastMask for HelperHost from a host's interfaces, assuming each primary IPv4 address
 * has its subnet's broadcast address (`ip addr add ... brd +`, what NetworkManager, systemd-networkd
 * and ifconfig set; a bare `ip addr add` sets none, and then the kernel's helpers find no mask).
 * A later address in the subnet of an earlier one on the same interface is secondary.
 */
export function subnetBroadcastMask(ifaces: readonly BroadcastIface[]): (dev: string, daddr: number) => number {
  const byDev = new Map<string, Array<{ net: number; mask: number }>>();
  for (const f of ifaces) {
    const primaries: Array<{ net: number; mask: number }> = [];
    for (const a of f.addresses) {
      if (a.family !== 4 || a.prefixLen >= 31) continue;
      const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0;
      const net = (a.addr[0]! & mask) >>> 0;
      if (primaries.some((p) => p.net === net && p.mask === mask)) continue;
      primaries.push({ net, mask });
    }
    byDev.set(f.name, primaries);
  }
  return (dev, daddr) => {
    for (const p of byDev.get(dev) ?? []) if (((p.net | ~p.mask) >>> 0) === daddr >>> 0) return p.mask;
    return 0;
  };
}
