/**
 * Helpers for writing recorder scenarios (scripts/conformance/scenarios/*.ts): packets crafted
 * with the project's builder (src/packet/build.ts), a TCP conversation whose two ends may see
 * each other through NAT, step constructors per router interface, and iptables-restore text.
 *
 * Hosts must be raw hosts of the recorder's network (they have permanent neighbour entries):
 * 10.0.1.100-254 behind r_cli, 10.0.2.100-254 behind r_srv, 203.0.113.100-254 and anything
 * off-link behind r_wan.
 */

import { icmp, icmpEcho, icmpError, ipv4, tcp, udp, type Bytes, type ChecksumMode, type TcpOptions } from '../../../src/packet/build.js';
import type { StepSpec } from './scenario.js';

/** Router addresses. */
export const R_CLI = '10.0.1.1';
export const R_SRV = '10.0.2.1';
export const R_WAN = '203.0.113.1';

/** IPv4 header knobs shared by the packet helpers. */
export interface Ip4Opts {
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  ipChecksum?: ChecksumMode;
}

/** TCP knobs. */
export interface TcpOpts extends Ip4Opts {
  seq?: number;
  ack?: number;
  win?: number;
  payload?: Bytes;
  options?: TcpOptions;
  checksum?: ChecksumMode;
  urg?: number;
}

/** An IPv4 TCP segment. */
export function tcp4(src: string, sport: number, dst: string, dport: number, flags: string, o: TcpOpts = {}): Uint8Array {
  const seg = tcp({ sport, dport, flags, seq: o.seq ?? 1000, ack: o.ack ?? 0, win: o.win ?? 64240, payload: o.payload, options: o.options, checksum: o.checksum, urg: o.urg });
  return ipv4({ src, dst, ttl: o.ttl, id: o.id ?? 1, tos: o.tos, df: o.df, payload: seg, ipChecksum: o.ipChecksum });
}

/** UDP knobs. */
export interface UdpOpts extends Ip4Opts {
  checksum?: ChecksumMode;
}

/** An IPv4 UDP datagram. */
export function udp4(src: string, sport: number, dst: string, dport: number, payload: Bytes = 'data', o: UdpOpts = {}): Uint8Array {
  return ipv4({ src, dst, ttl: o.ttl, id: o.id ?? 1, tos: o.tos, df: o.df, payload: udp({ sport, dport, payload, checksum: o.checksum }), ipChecksum: o.ipChecksum });
}

/** An ICMP echo request (or reply). */
export function echo4(src: string, dst: string, id: number, seq: number, o: Ip4Opts & { reply?: boolean; payload?: Bytes; checksum?: ChecksumMode } = {}): Uint8Array {
  return ipv4({ src, dst, ttl: o.ttl, id: o.id ?? 1, tos: o.tos, df: o.df, payload: icmpEcho({ id, seq, reply: o.reply, payload: o.payload ?? 'abcdefgh', checksum: o.checksum }) });
}

/** Any ICMP message. */
export function icmp4(src: string, dst: string, type: number, code: number, o: Ip4Opts & { id4?: number; seq?: number; rest?: number; payload?: Bytes } = {}): Uint8Array {
  return ipv4({ src, dst, ttl: o.ttl, id: o.id ?? 1, payload: icmp({ type, code, id: o.id4, seq: o.seq, rest: o.rest, payload: o.payload }) });
}

/** An ICMP error about `quote` (the offending packet as it was seen where the error was made). */
export function icmpErr4(src: string, dst: string, type: number, code: number, quote: Uint8Array, o: Ip4Opts & { rest?: number; quoteLen?: number } = {}): Uint8Array {
  return ipv4({ src, dst, ttl: o.ttl, id: o.id ?? 1, payload: icmpError({ type, code, quote, rest: o.rest, quoteLen: o.quoteLen ?? 28 }) });
}

/** Per-segment overrides of a Conv packet. */
export interface ConvSeg {
  payload?: Bytes;
  seq?: number;
  ack?: number;
  win?: number;
  options?: TcpOptions;
  checksum?: ChecksumMode;
  ttl?: number;
  /** Whether the sender's sequence number advances (default true). */
  advance?: boolean;
}

/**
 * A TCP conversation between a client and a server, seq/ack consistent, where each end may see
 * the other under a public address (NAT): the client sends to `sPub` (before DNAT), the server
 * replies to `cPub` (after SNAT / MASQUERADE). Sequence numbers start at 1000 and 5000.
 */
export class Conv {
  private cseq: number;
  private sseq: number;
  private readonly cPub: [string, number];
  private readonly sPub: [string, number];
  private cIpId = 1;
  private sIpId = 1;

  constructor(
    readonly client: string,
    readonly cport: number,
    readonly server: string,
    readonly sport: number,
    o: { cPub?: [string, number]; sPub?: [string, number]; cisn?: number; sisn?: number } = {},
  ) {
    this.cseq = o.cisn ?? 1000;
    this.sseq = o.sisn ?? 5000;
    this.cPub = o.cPub ?? [client, cport];
    this.sPub = o.sPub ?? [server, sport];
  }

  /** Next sequence number of the client / server. */
  get cnext(): number {
    return this.cseq;
  }
  get snext(): number {
    return this.sseq;
  }

  private advance(seq: number, flags: string, len: number): number {
    return (seq + len + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0)) >>> 0;
  }

  /** A segment from the client. */
  c(flags: string, s: ConvSeg = {}): Uint8Array {
    const len = s.payload ? s.payload.length : 0;
    const p = tcp4(this.client, this.cport, this.sPub[0], this.sPub[1], flags, {
      seq: s.seq ?? this.cseq,
      ack: s.ack ?? (flags.includes('A') ? this.sseq : 0),
      win: s.win,
      payload: s.payload,
      options: s.options,
      checksum: s.checksum,
      ttl: s.ttl,
      id: this.cIpId++,
    });
    if (s.advance !== false) this.cseq = this.advance(s.seq ?? this.cseq, flags, len);
    return p;
  }

  /** A segment from the server. */
  s(flags: string, s: ConvSeg = {}): Uint8Array {
    const len = s.payload ? s.payload.length : 0;
    const p = tcp4(this.server, this.sport, this.cPub[0], this.cPub[1], flags, {
      seq: s.seq ?? this.sseq,
      ack: s.ack ?? (flags.includes('A') ? this.cseq : 0),
      win: s.win,
      payload: s.payload,
      options: s.options,
      checksum: s.checksum,
      ttl: s.ttl,
      id: this.sIpId++,
    });
    if (s.advance !== false) this.sseq = this.advance(s.seq ?? this.sseq, flags, len);
    return p;
  }
}

/** Step constructors: a packet arriving on r_cli / r_srv / r_wan, sent by the router, a pause. */
export const cli = (packet: Uint8Array, note?: string): StepSpec => ({ iface: 'r_cli', packet, note });
export const srv = (packet: Uint8Array, note?: string): StepSpec => ({ iface: 'r_srv', packet, note });
export const wan = (packet: Uint8Array, note?: string): StepSpec => ({ iface: 'r_wan', packet, note });
export const local = (packet: Uint8Array, note?: string): StepSpec => ({ local: packet, note });
export const pause = (seconds: number): StepSpec => ({ sleep: seconds });

/** One table of an iptables-restore text. */
export interface IptTable {
  /** Built-in chain policies (ACCEPT when not given); user chains are created from `chains`. */
  policies?: Record<string, string>;
  chains?: string[];
  rules: string[];
}

const BUILTIN: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** iptables-restore text for the given tables (rules as `-A CHAIN ...` lines). */
export function ipt(tables: Record<string, IptTable>): string {
  const out: string[] = [];
  for (const [name, t] of Object.entries(tables)) {
    out.push(`*${name}`);
    for (const c of BUILTIN[name] ?? []) out.push(`:${c} ${t.policies?.[c] ?? 'ACCEPT'} [0:0]`);
    for (const c of t.chains ?? []) out.push(`:${c} - [0:0]`);
    out.push(...t.rules, 'COMMIT');
  }
  return out.join('\n') + '\n';
}

/** A filter table with a stateful FORWARD (established/related accepted, invalid dropped) plus rules. */
export function statefulForward(rules: string[], policy = 'DROP'): IptTable {
  return {
    policies: { FORWARD: policy },
    rules: ['-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -m conntrack --ctstate INVALID -j DROP', ...rules],
  };
}
