/**
 * Test support for the helper tests: a router like the corpus's (r_cli 10.0.1.1/24 +
 * fd00:1::1/64, r_srv 10.0.2.1/24 + fd00:2::1/64, r_wan 203.0.113.1/24 + fd00:3::1/64, default
 * routes via r_wan) with NAT and the helper engine wired (harness.ts), fed raw IP packets; each
 * packet's result comes back with the expectation events it caused.
 */
import { ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { decodeIp } from '../../src/packet/decode.js';
import { LinkType, PacketView } from '../../src/packet/view.js';
import type { HostResult } from '../../src/host/host.js';
import type { HelperEngine, HelperHost } from '../../src/helpers/index.js';
import type { Host } from '../../src/host/host.js';
import { helperHost } from './harness.js';

export const T0 = 1700000000;

export const HOST_JSON = {
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
    'net.netfilter.nf_conntrack_acct': 1,
  },
};

/** iptables-restore text: a raw PREROUTING CT rule, MASQUERADE on r_wan when `nat`, an open FORWARD. */
export function rules(ct: string, nat: boolean): string {
  const lines = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', `-A PREROUTING ${ct}`, `-A OUTPUT ${ct}`, 'COMMIT'];
  if (nat) lines.push('*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -o r_wan -j MASQUERADE', 'COMMIT');
  lines.push('*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT');
  return lines.join('\n') + '\n';
}

export interface Result extends HostResult {
  expEvents: string[];
  /** Every event line the host reported (connection and expectation events, after any CT masks). */
  allEvents: string[];
}

export class Router {
  readonly host: Host;
  readonly helpers: HelperEngine;
  private exp: string[] = [];

  constructor(ct: string, opts: { nat?: boolean; v6?: boolean; seed?: number; helper?: Omit<HelperHost, 'nat'>; sysctl?: Record<string, number> } = {}) {
    const v4 = rules(ct, opts.nat ?? false);
    const v6 = opts.v6 ? rules(ct, false) : null;
    const hostJson = opts.sysctl ? { ...HOST_JSON, sysctl: { ...HOST_JSON.sysctl, ...opts.sysctl } } : HOST_JSON;
    ({ host: this.host, helpers: this.helpers } = helperHost(hostJson, { v4, v6 }, opts.seed ?? 1, opts.helper));
    this.helpers.onExpectEvent((l) => this.exp.push(l));
  }

  /** An IP packet arriving on `iface` at T0 + `t`. */
  recv(iface: string, ip: Uint8Array, t: number): Result {
    this.exp = [];
    this.helpers.expire(T0 + t);
    return this.split(this.host.receive(ip, LinkType.RAW, iface, T0 + t));
  }

  /** An IP packet a local process of the router sends at T0 + `t`. */
  send(ip: Uint8Array, t: number): Result {
    this.exp = [];
    this.helpers.expire(T0 + t);
    return this.split(this.host.send(ip, LinkType.RAW, T0 + t));
  }

  /** The host lists expectation events after the connection events; tests look at them apart. */
  private split(r: HostResult): Result {
    const exp = this.exp;
    return Object.assign(r, { allEvents: r.events, events: r.events.filter((l) => !exp.includes(l)), expEvents: exp });
  }

  /** `conntrack -L expect` at T0 + `t`. */
  expect(t: number): string[] {
    return this.helpers.listExpect(T0 + t);
  }
}

/** The decoded packet that left (the first out packet). */
export function sent(r: HostResult, i = 0): PacketView {
  const o = r.out[i];
  if (o === undefined) throw new Error(`no packet ${i} left (verdict ${r.verdict}, ${r.dropReason})`);
  return decodeIp(new PacketView(), o.bytes);
}

/** The TCP / UDP payload of a decoded packet as text. */
export function payloadText(p: PacketView): string {
  let s = '';
  for (let i = p.payloadOff; i < p.ipEnd; i++) s += String.fromCharCode(p.buf[i]!);
  return s;
}

/** One TCP segment as an IP packet (IPv4 or IPv6 by the address text). */
export function seg(src: string, sport: number, dst: string, dport: number, seq: number, ack: number, flags: string, payload: string | Uint8Array = ''): Uint8Array {
  const t = tcp({ sport, dport, seq, ack, flags, payload });
  return src.includes(':') ? ipv6({ src, dst, payload: t }) : ipv4({ src, dst, payload: t });
}

/** One UDP datagram as an IP packet. */
export function dgram(src: string, sport: number, dst: string, dport: number, payload: string | Uint8Array): Uint8Array {
  const u = udp({ sport, dport, payload });
  return src.includes(':') ? ipv6({ src, dst, payload: u }) : ipv4({ src, dst, payload: u });
}

/** The IPv4 address text of a 32-bit number. */
export function quad(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The conntrack -L line of the connection with original tuple src:sport -> dst:dport, or undefined. */
export function ctLine(r: Router, t: number, pattern: RegExp): string | undefined {
  return r.host.listConntrack(T0 + t).find((l) => pattern.test(l));
}

/**
 * A TCP conversation through the router after its handshake: the client c:cport on r_cli talks
 * to s:sport (on r_srv for 10.0.2.x / fd00:2::x, else r_wan); `cSeen` is the client's address as
 * the server sees it (the MASQUERADE address). Data advances the sender's sequence number.
 */
export class TcpConv {
  cseq = 1001;
  sseq = 5001;
  t: number;
  constructor(
    readonly r: Router,
    readonly c: string,
    readonly cport: number,
    readonly s: string,
    readonly sport: number,
    readonly cSeen = c,
    t0 = 0,
  ) {
    this.t = t0;
    r.recv('r_cli', seg(c, cport, s, sport, 1000, 0, 'S'), this.tick());
    r.recv(this.sIface(), seg(s, sport, cSeen, cport, 5000, 1001, 'SA'), this.tick());
    r.recv('r_cli', seg(c, cport, s, sport, 1001, 5001, 'A'), this.tick());
  }
  sIface(): string {
    return this.s.startsWith('10.0.2') || this.s.startsWith('fd00:2') ? 'r_srv' : 'r_wan';
  }
  tick(): number {
    this.t += 0.01;
    return this.t;
  }
  client(data: string | Uint8Array): Result {
    const r = this.r.recv('r_cli', seg(this.c, this.cport, this.s, this.sport, this.cseq, this.sseq, 'PA', data), this.tick());
    this.cseq += data.length;
    return r;
  }
  server(data: string | Uint8Array, ack = this.cseq): Result {
    const r = this.r.recv(this.sIface(), seg(this.s, this.sport, this.cSeen, this.cport, this.sseq, ack, 'PA', data), this.tick());
    this.sseq += data.length;
    return r;
  }
}
