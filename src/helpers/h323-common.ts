/**
 * What the H.323 helpers (h323.ts) and their NAT half (h323-nat.ts) share: the per-connection
 * state (struct nf_ct_h323_master), the packet being looked at with the message inside it, and
 * reading a transport address out of a decoded message.
 *
 * Decoded messages keep address positions as offsets from the start of the decoded buffer (the
 * TPKT's content for Q.931 and H.245, the UDP payload for RAS); the address is read from the
 * packet as it is when it is needed (a NAT rewrite of an earlier address moves the packet to a
 * new buffer, never the offsets: the rewrites keep the length).
 */
import type { Conn } from '../conntrack/conn.js';
import type { Tuple } from '../conntrack/tuple.js';
import type { Decoded } from './h323-asn1.js';
import { indexOf } from './h323-asn1.js';
import { TransportAddress, UnicastAddress, H245_TransportAddress } from './h323-types.js';
import type { HelpCall, HelperServices } from './types.js';

/** H323_RTP_CHANNEL_MAX: RTP port pairs NAT remembers per connection. */
export const RTP_CHANNEL_MAX = 4;

/** Per-connection state (struct nf_ct_h323_master): plain data. */
export interface H323Data {
  /** Q.931 / H.245 signalling ports, original and translated, by direction (0: none). */
  sigPort: [number, number];
  /** NAT: RTP ports, original and translated, by channel and direction. */
  rtpPort: [number, number][];
  /** RAS: the registration's time to live (seconds). */
  timeout: number;
  /** Q.931 / H.245: the length announced by a TPKT header that came alone, by direction. */
  tpktLen: [number, number];
}

export function freshData(): H323Data {
  const rtpPort: [number, number][] = [];
  for (let i = 0; i < RTP_CHANNEL_MAX; i++) rtpPort.push([0, 0]);
  return { sigPort: [0, 0], rtpPort, timeout: 0, tpktLen: [0, 0] };
}

/**
 * The packet a helper looks at and the message inside it: `dataOff` / `dataLen` locate the
 * decoded buffer within the transport payload (a TPKT's content; the whole UDP payload for RAS).
 */
export class H323Packet {
  call!: HelpCall;
  /** Offset of the decoded buffer from the start of the transport payload. */
  dataOff = 0;
  dataLen = 0;

  get conn(): Conn {
    return this.call.conn;
  }

  get dir(): 0 | 1 {
    return this.call.dir;
  }

  get svc(): HelperServices {
    return this.call.svc;
  }

  get now(): number {
    return this.call.ctx.now;
  }

  get data(): H323Data {
    return this.call.conn.helperData as H323Data;
  }

  /** This direction's tuple. */
  get t(): Tuple {
    return this.conn.tuple(this.dir);
  }

  /** The other direction's tuple. */
  get o(): Tuple {
    return this.conn.tuple(this.dir === 0 ? 1 : 0);
  }

  /**
   * Offset of the transport payload in the packet's buffer: after the TCP header (its data
   * offset) or the 8-byte UDP header. The TPKT code reads the data offset the same way for a UDP
   * connection a rule gave a TCP-only helper (the kernel does too).
   */
  payloadStart(): number {
    const pkt = this.call.ctx.pkt;
    if (this.tpkt) return pkt.l4Off + ((pkt.buf[pkt.l4Off + 12]! >>> 4) << 2);
    return pkt.l4Off + 8;
  }

  /** Whether the message came in a TPKT (Q.931, H.245) rather than alone in a datagram (RAS). */
  tpkt = false;

  /** The packet's byte at `off` from the start of the decoded buffer. */
  byte(off: number): number {
    return this.call.ctx.pkt.buf[this.payloadStart() + this.dataOff + off] ?? 0;
  }
}

/** An address and port read from a message, and where the address is (from the decoded buffer's start). */
export interface AddrPort {
  readonly addr: Uint32Array;
  port: number;
  off: number;
}

export function addrPort(): AddrPort {
  return { addr: new Uint32Array(4), port: 0, off: 0 };
}

const TA_IP = indexOf(TransportAddress, 'ipAddress');
const TA_IP6 = indexOf(TransportAddress, 'ip6Address');
const H245_UNICAST = indexOf(H245_TransportAddress, 'unicastAddress');
const UNICAST_IP = indexOf(UnicastAddress, 'iPAddress');
const UNICAST_IP6 = indexOf(UnicastAddress, 'iP6Address');

/** A nested structure of a decoded message, or null. */
export function sub(d: Decoded | null | undefined, name: string): Decoded | null {
  const v = d?.[name];
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : null;
}

/** A number of a decoded message (options, choice, count, offset, value), or -1. */
export function val(d: Decoded | null | undefined, name: string): number {
  const v = d?.[name];
  return typeof v === 'number' ? v : -1;
}

/** The items of a decoded SEQUENCE OF (at most its kept count). */
export function items(d: Decoded | null | undefined): Decoded[] {
  const v = d?.['items'];
  return Array.isArray(v) ? v : [];
}

/** Whether option bit `bit` of a decoded SEQUENCE is set. */
export function has(d: Decoded | null | undefined, bit: number): boolean {
  const o = val(d, 'options');
  return o >= 0 && (o & bit) !== 0;
}

/** Reads `len` address bytes and the port after them at `off` of the decoded buffer into `out`. */
function readAt(pk: H323Packet, off: number, len: 4 | 16, out: AddrPort): void {
  out.addr.fill(0);
  for (let w = 0; w < len / 4; w++) {
    const o = off + w * 4;
    out.addr[w] = ((pk.byte(o) << 24) | (pk.byte(o + 1) << 16) | (pk.byte(o + 2) << 8) | pk.byte(o + 3)) >>> 0;
  }
  out.port = (pk.byte(off + len) << 8) | pk.byte(off + len + 1);
  out.off = off;
}

/**
 * get_h225_addr: an H.225 TransportAddress of the connection's family (ipAddress for IPv4,
 * ip6Address for IPv6), else false.
 */
export function h225Addr(pk: H323Packet, taddr: Decoded | null, out: AddrPort): boolean {
  const c = val(taddr, 'choice');
  if (c === TA_IP) {
    if (pk.conn.family !== 4) return false;
    readAt(pk, val(sub(taddr, 'ipAddress'), 'ip'), 4, out);
    return true;
  }
  if (c === TA_IP6) {
    if (pk.conn.family !== 6) return false;
    readAt(pk, val(sub(taddr, 'ip6Address'), 'ip'), 16, out);
    return true;
  }
  return false;
}

/** get_h245_addr: an H.245 unicast iPAddress / iP6Address of the connection's family, else false. */
export function h245Addr(pk: H323Packet, taddr: Decoded | null, out: AddrPort): boolean {
  if (val(taddr, 'choice') !== H245_UNICAST) return false;
  const u = sub(taddr, 'unicastAddress');
  const c = val(u, 'choice');
  if (c === UNICAST_IP) {
    if (pk.conn.family !== 4) return false;
    readAt(pk, val(sub(u, 'iPAddress'), 'network'), 4, out);
    return true;
  }
  if (c === UNICAST_IP6) {
    if (pk.conn.family !== 6) return false;
    readAt(pk, val(sub(u, 'iP6Address'), 'network'), 16, out);
    return true;
  }
  return false;
}

/** memcmp of two 16-byte addresses. */
export function sameAddr(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0]! >>> 0 === b[0]! >>> 0 && a[1]! >>> 0 === b[1]! >>> 0 && a[2]! >>> 0 === b[2]! >>> 0 && a[3]! >>> 0 === b[3]! >>> 0;
}
