/**
 * Captures for the kernel recorder: writing a scenario's capture.pcapng exactly as the shared
 * corpus does (one Interface Description Block per router interface with if_name and
 * if_tsresol 6; one Enhanced Packet Block per packet on its interface, epb_flags inbound for a
 * received packet and outbound for one sent by a local process, opt_comment with the note), and
 * reading a capture back into steps (through src/capture's reader).
 */

import { readAll } from '../../../src/capture/reader.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL = 113;

/** One packet to write. */
export interface CapturePacket {
  ifIndex: number;
  /** Seconds since the epoch. */
  ts: number;
  data: Uint8Array;
  direction: 'in' | 'out';
  comment?: string;
}

class Buf {
  private parts: Uint8Array[] = [];
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    return this.bytes(b);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.bytes(b);
  }
  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }
  done(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function option(code: number, value: Uint8Array): Uint8Array {
  const pad = (4 - (value.length % 4)) % 4;
  return new Buf().u16(code).u16(value.length).bytes(value).bytes(new Uint8Array(pad)).done();
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  return new Buf().u32(type).u32(total).bytes(body).u32(total).done();
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function sectionHeader(appl: string): Uint8Array {
  const body = new Buf().u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);
  body.bytes(option(4, utf8(appl))).bytes(option(0, new Uint8Array(0)));
  return block(0x0a0d0d0a, body.done());
}

function interfaceBlock(name: string, linktype: number): Uint8Array {
  const body = new Buf().u16(linktype).u16(0).u32(0);
  body.bytes(option(2, utf8(name))).bytes(option(9, Uint8Array.of(6))).bytes(option(0, new Uint8Array(0)));
  return block(1, body.done());
}

function packetBlock(p: CapturePacket): Uint8Array {
  const us = BigInt(Math.round(p.ts * 1e6));
  const pad = (4 - (p.data.length % 4)) % 4;
  const body = new Buf()
    .u32(p.ifIndex)
    .u32(Number(us >> 32n))
    .u32(Number(us & 0xffffffffn))
    .u32(p.data.length)
    .u32(p.data.length)
    .bytes(p.data)
    .bytes(new Uint8Array(pad));
  const flags = new Buf().u32(p.direction === 'in' ? 1 : 2).done();
  body.bytes(option(2, flags));
  if (p.comment) body.bytes(option(1, utf8(p.comment).subarray(0, 1000)));
  body.bytes(option(0, new Uint8Array(0)));
  return block(6, body.done());
}

/** A pcapng file: the interfaces (name, linktype) and the packets. */
export function writePcapng(interfaces: readonly [string, number][], packets: readonly CapturePacket[], appl = 'ctkit conformance recorder'): Uint8Array {
  const out = new Buf().bytes(sectionHeader(appl));
  for (const [n, lt] of interfaces) out.bytes(interfaceBlock(n, lt));
  for (const p of packets) out.bytes(packetBlock(p));
  return out.done();
}

/** The IP packet inside a frame of the given link type (null when it holds none). */
export function stripLink(linktype: number, data: Uint8Array): Uint8Array | null {
  let ip: Uint8Array | null = null;
  if (linktype === LINKTYPE_ETHERNET) {
    let off = 12;
    let et = 0;
    for (;;) {
      if (data.length < off + 2) return null;
      et = (data[off]! << 8) | data[off + 1]!;
      off += 2;
      if (et !== 0x8100 && et !== 0x88a8) break;
      off += 2;
    }
    ip = et === 0x0800 || et === 0x86dd ? data.subarray(off) : null;
  } else if (linktype === LINKTYPE_RAW || linktype === LINKTYPE_IPV4 || linktype === LINKTYPE_IPV6) {
    ip = data;
  } else if (linktype === LINKTYPE_LINUX_SLL) {
    const et = (data[14]! << 8) | data[15]!;
    ip = et === 0x0800 || et === 0x86dd ? data.subarray(16) : null;
  }
  return ip && ip.length > 0 && (ip[0]! >> 4 === 4 || ip[0]! >> 4 === 6) ? trimIp(ip) : null;
}

/** Cuts link-layer padding off an IP packet using its length field. */
export function trimIp(ip: Uint8Array): Uint8Array {
  if (ip[0]! >> 4 === 4 && ip.length >= 4) return ip.subarray(0, Math.min(ip.length, (ip[2]! << 8) | ip[3]!));
  if (ip[0]! >> 4 === 6 && ip.length >= 6) return ip.subarray(0, Math.min(ip.length, 40 + ((ip[4]! << 8) | ip[5]!)));
  return ip;
}

/** One packet of a capture, as the recorder replays it. */
export interface ReadPacket {
  ts: number;
  iface: string | null;
  direction: 'in' | 'out' | 'unknown';
  linktype: number;
  ip: Uint8Array | null;
  /** The whole frame of an Ethernet capture. */
  frame: Uint8Array | null;
  comment: string | null;
}

/** Every packet of a pcap / pcapng file. */
export function readCapture(bytes: Uint8Array, name: string): ReadPacket[] {
  return readAll(bytes, { name }).map((p) => ({
    ts: p.time,
    iface: p.ifName,
    direction: p.direction,
    linktype: p.linktype,
    ip: stripLink(p.linktype, p.data)?.slice() ?? null,
    frame: p.linktype === LINKTYPE_ETHERNET ? p.data.slice() : null,
    comment: p.comment,
  }));
}
