/**
 * Test support for NAT: the corpus router (r_cli 10.0.1.1/24, r_srv 10.0.2.1/24, r_wan
 * 203.0.113.1/24, IPv6 fd00:1::1, fd00:2::1, fd00:3::1, default routes via r_wan) with an
 * iptables / ip6tables ruleset and the NAT engine, and helpers to push packets through it.
 */
import { Host, type HostResult } from '../../src/host/host.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { iptablesBaseChains } from '../../src/netfilter/iptables-chains.js';
import { Ruleset } from '../../src/rules/model.js';
import { loadIptables } from '../../src/rules/parse.js';
import { decodeIp } from '../../src/packet/decode.js';
import { LinkType, PacketView } from '../../src/packet/view.js';
import { createNat, type NatEngine } from '../../src/nat/index.js';
import type { Conn } from '../../src/conntrack/conn.js';
import { CtStateBit, Hook, type PacketContext } from '../../src/netfilter/context.js';

export const ROUTER = {
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24', 'fd00:1::1/64'] },
    { name: 'r_srv', addresses: ['10.0.2.1/24', 'fd00:2::1/64'] },
    { name: 'r_wan', addresses: ['203.0.113.1/24', 'fd00:3::1/64'] },
  ],
  routes: [
    { to: 'default', via: '203.0.113.254', dev: 'r_wan' },
    { to: '::/0', via: 'fd00:3::fe', dev: 'r_wan' },
  ],
  sysctl: {
    'net.ipv4.ip_forward': 1,
    'net.ipv6.conf.all.forwarding': 1,
    'net.ipv4.conf.all.rp_filter': 0,
    'net.ipv4.conf.default.rp_filter': 0,
    'net.ipv4.conf.r_cli.rp_filter': 0,
    'net.ipv4.conf.r_srv.rp_filter': 0,
    'net.ipv4.conf.r_wan.rp_filter': 0,
    'net.netfilter.nf_conntrack_acct': 1,
  },
};

/** A nat table of iptables-save text from -A lines (the rest of the table empty). */
export function natTable(...rules: string[]): string {
  return ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n');
}

export interface NatLab {
  host: Host;
  nat: NatEngine;
  /** A packet (IP bytes) arriving on `iface` at time `t`. */
  rx(iface: string, ip: Uint8Array, t?: number): HostResult;
  /** A packet sent by a local process at time `t`. */
  tx(ip: Uint8Array, t?: number): HostResult;
  /** The only packet the host sent for the last input, decoded. */
  out(r: HostResult, i?: number): PacketView;
  /** Confirmed connections. */
  conns(): Conn[];
}

export function natLab(v4: string, v6?: string, hostDoc: object = ROUTER, seed = 1): NatLab {
  const rs = new Ruleset();
  loadIptables(rs, v4, { file: 'rules.v4', family: 4, counters: false });
  if (v6 !== undefined) loadIptables(rs, v6, { file: 'rules.v6', family: 6, counters: false });
  let engine: NatEngine | null = null;
  const host = new Host(hostConfigFromObject(hostDoc), {
    chains: iptablesBaseChains(rs),
    seed,
    nat: (ct, h) => (engine = createNat(ct, h)),
  });
  let clock = 1000;
  const when = (t?: number): number => (clock = t ?? clock + 0.01);
  return {
    host,
    nat: engine!,
    rx: (iface, ip, t) => host.receive(ip.slice(), LinkType.RAW, iface, when(t)),
    tx: (ip, t) => host.send(ip.slice(), LinkType.RAW, when(t)),
    out: (r, i = 0) => {
      const o = r.out[i];
      if (!o) throw new Error(`no packet ${i} out (verdict ${r.verdict}, ${r.dropReason})`);
      return decodeIp(new PacketView(), o.bytes.slice());
    },
    conns: () => [...host.conntrack],
  };
}

/** A bare packet context for calling the engine directly. */
export function packetContext(pkt: PacketView, conn: Conn | null, dir: 0 | 1, hook: Hook = Hook.POSTROUTING, state: number = CtStateBit.ESTABLISHED): PacketContext {
  return {
    pkt,
    family: pkt.family === 6 ? 6 : 4,
    hook,
    iif: null,
    oif: null,
    mark: 0,
    now: 0,
    ct: conn,
    ctState: state,
    ctDir: dir,
    notrack: false,
    ctHelper: null,
    ctZone: 0,
    log: [],
  };
}
