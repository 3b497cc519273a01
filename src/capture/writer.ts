/**
 * Capture writers: pcapng (one section, one Interface Description Block per interface with if_name,
 * if_tsresol 9 and the link type, Enhanced Packet Blocks with epb_flags, epb_dropcount and
 * opt_comment when the packet has them) and classic pcap (nanosecond magic).
 *
 * Streaming use: write `header()` first, then the bytes `addInterface()` (pcapng) and `packet()`
 * return, in order. writePcapng() / writePcap() build a whole file in memory. Whatever the readers
 * read back from a written file equals what was written (see test/capture/writer.test.ts).
 */

import { utf8Encode } from './bytes.js';
import { CaptureError } from './errors.js';
import { PCAP_MAGIC_NSEC } from './pcap.js';
import {
  BLOCK_EPB,
  BLOCK_IDB,
  BLOCK_SHB,
  BYTE_ORDER_MAGIC,
  OPT_COMMENT,
  OPT_EPB_DROPCOUNT,
  OPT_EPB_FLAGS,
  OPT_IF_DESCRIPTION,
  OPT_IF_NAME,
  OPT_IF_TSRESOL,
} from './pcapng.js';
import type { Direction } from './record.js';

/** What a writer needs of a packet (a CapturedPacket has all of it). */
export interface PacketToWrite {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  /** Length on the wire; defaults to data.length. */
  origLen?: number;
  /** pcapng: index of a declared interface (default 0). */
  ifIndex?: number;
  /** pcapng: written as the epb_flags direction bits. */
  direction?: Direction;
  /** pcapng: epb_flags bits other than the direction (default 0). */
  flags?: number;
  /** pcapng: epb_dropcount, written when >= 0. */
  dropCount?: number;
  /** pcapng: opt_comment, written when not null/undefined. */
  comment?: string | null;
}

export interface InterfaceToWrite {
  linktype: number;
  name?: string | null;
  description?: string | null;
  /** Default 0 (no limit). */
  snaplen?: number;
}

const WRITER = 'capture writer';
/** Largest whole second a 64-bit nanosecond count holds: floor(2^64 / 10^9). */
const MAX_PCAPNG_NS_SECONDS = 18446744072;

function usage(expected: string): CaptureError {
  return new CaptureError('usage', WRITER, 0, 'packet', 'packet', expected);
}

/** Byte sink for one block: integers go to a small pending list, packet bytes are kept as views. */
class BlockBuilder {
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];
  private size = 0;
  constructor(private readonly le: boolean) {}

  u8(v: number): this {
    this.pending.push(v & 0xff);
    this.size++;
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v).u8(v >>> 8) : this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.le ? this.u16(v & 0xffff).u16(v >>> 16) : this.u16(v >>> 16).u16(v & 0xffff);
  }
  u64(v: bigint): this {
    const hi = Number(v >> 32n) >>> 0;
    const lo = Number(v & 0xffffffffn) >>> 0;
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: Uint8Array): this {
    this.flushPending();
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  pad(): this {
    while (this.size % 4 !== 0) this.u8(0);
    return this;
  }
  option(code: number, value: Uint8Array): this {
    return this.u16(code).u16(value.length).raw(value).pad();
  }
  optionU32(code: number, v: number): this {
    return this.u16(code).u16(4).u32(v);
  }
  optionU64(code: number, v: bigint): this {
    return this.u16(code).u16(8).u64(v);
  }
  endOfOptions(): this {
    return this.u16(0).u16(0);
  }
  get length(): number {
    return this.size;
  }
  /** A pcapng block of `type` with these bytes as its body (padded to 4). */
  block(type: number): Uint8Array {
    this.pad();
    const total = 12 + this.size;
    return new BlockBuilder(this.le).u32(type).u32(total).raw(this.toBytes()).u32(total).toBytes();
  }
  toBytes(): Uint8Array {
    this.flushPending();
    return concatBytes(this.parts);
  }
  private flushPending(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }
}

function directionBits(d: Direction | undefined): number {
  return d === 'in' ? 1 : d === 'out' ? 2 : 0;
}

function checkTimestamp(p: PacketToWrite, maxSec: number): void {
  if (!Number.isSafeInteger(p.tsSec) || p.tsSec < 0 || p.tsSec > maxSec) {
    throw usage(`timestamp seconds ${p.tsSec} outside 0..${maxSec}`);
  }
  if (!Number.isInteger(p.tsNsec) || p.tsNsec < 0 || p.tsNsec > 999_999_999) {
    throw usage(`timestamp nanoseconds ${p.tsNsec} outside 0..999999999`);
  }
}

function origLenOf(p: PacketToWrite): number {
  const orig = p.origLen ?? p.data.length;
  if (!Number.isInteger(orig) || orig < 0 || orig > 0xffffffff) throw usage(`original length ${orig} is not a 32-bit count`);
  return orig;
}

export interface PcapngWriterOptions {
  /** Byte order of the section (default little-endian). */
  littleEndian?: boolean;
  /** shb_userappl option (default "ctkit"). */
  application?: string;
}

export class PcapngWriter {
  private readonly le: boolean;
  private readonly application: string;
  private readonly linktypes: number[] = [];

  constructor(options: PcapngWriterOptions = {}) {
    this.le = options.littleEndian ?? true;
    this.application = options.application ?? 'ctkit';
  }

  get interfaceCount(): number {
    return this.linktypes.length;
  }

  /** The Section Header Block (version 1.0, section length unknown). */
  header(): Uint8Array {
    return new BlockBuilder(this.le)
      .u32(BYTE_ORDER_MAGIC)
      .u16(1)
      .u16(0)
      .u64(0xffffffffffffffffn)
      .option(4, utf8Encode(this.application))
      .endOfOptions()
      .block(BLOCK_SHB);
  }

  /** Declares the next interface (numbered from 0) and returns its IDB. */
  addInterface(iface: InterfaceToWrite): Uint8Array {
    const b = new BlockBuilder(this.le).u16(iface.linktype).u16(0).u32(iface.snaplen ?? 0);
    if (iface.name != null) b.option(OPT_IF_NAME, utf8Encode(iface.name));
    if (iface.description != null) b.option(OPT_IF_DESCRIPTION, utf8Encode(iface.description));
    b.option(OPT_IF_TSRESOL, Uint8Array.of(9)).endOfOptions();
    this.linktypes.push(iface.linktype);
    return b.block(BLOCK_IDB);
  }

  /** An Enhanced Packet Block with nanosecond timestamp. */
  packet(p: PacketToWrite): Uint8Array {
    const ifIndex = p.ifIndex ?? 0;
    if (ifIndex < 0 || ifIndex >= this.linktypes.length) {
      throw usage(`interface ${ifIndex} was not declared (${this.linktypes.length} interfaces)`);
    }
    checkTimestamp(p, MAX_PCAPNG_NS_SECONDS);
    const ts = BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec);
    const b = new BlockBuilder(this.le)
      .u32(ifIndex)
      .u32(Number(ts >> 32n))
      .u32(Number(ts & 0xffffffffn))
      .u32(p.data.length)
      .u32(origLenOf(p))
      .raw(p.data)
      .pad();
    const flags = ((p.flags ?? 0) & ~3) | directionBits(p.direction);
    const withOptions = b.length;
    if (flags !== 0) b.optionU32(OPT_EPB_FLAGS, flags >>> 0);
    if (p.dropCount !== undefined && p.dropCount >= 0) b.optionU64(OPT_EPB_DROPCOUNT, BigInt(p.dropCount));
    if (p.comment != null) b.option(OPT_COMMENT, utf8Encode(p.comment));
    if (b.length !== withOptions) b.endOfOptions();
    return b.block(BLOCK_EPB);
  }
}

export interface PcapWriterOptions {
  linktype: number;
  /** Default 262144. */
  snaplen?: number;
  /** Default little-endian. */
  littleEndian?: boolean;
}

export class PcapWriter {
  private readonly le: boolean;
  constructor(private readonly options: PcapWriterOptions) {
    this.le = options.littleEndian ?? true;
  }

  /** File header: nanosecond magic, version 2.4. */
  header(): Uint8Array {
    return new BlockBuilder(this.le)
      .u32(PCAP_MAGIC_NSEC)
      .u16(2)
      .u16(4)
      .u32(0)
      .u32(0)
      .u32(this.options.snaplen ?? 262144)
      .u32(this.options.linktype)
      .toBytes();
  }

  /** One record (the pcapng-only fields of the packet are not representable and not written). */
  packet(p: PacketToWrite): Uint8Array {
    checkTimestamp(p, 0xffffffff);
    return new BlockBuilder(this.le)
      .u32(p.tsSec)
      .u32(p.tsNsec)
      .u32(p.data.length)
      .u32(origLenOf(p))
      .raw(p.data)
      .toBytes();
  }
}

/** Joins byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Packets that carry their interface (as read records do). */
export interface PacketWithInterface extends PacketToWrite {
  linktype: number;
  ifName?: string | null;
}

/**
 * The interfaces of a packet list: one per ifIndex, which must run densely from 0, each with the
 * link type and name of its first packet. Throws when two packets disagree about an interface.
 */
export function interfacesOf(packets: readonly PacketWithInterface[]): InterfaceToWrite[] {
  const found: InterfaceToWrite[] = [];
  for (const p of packets) {
    const i = p.ifIndex ?? 0;
    const seen = found[i];
    if (seen === undefined) found[i] = { linktype: p.linktype, name: p.ifName ?? null };
    else if (seen.linktype !== p.linktype || seen.name !== (p.ifName ?? null)) {
      throw usage(`packets disagree about interface ${i}: link type ${seen.linktype} "${seen.name}" vs ${p.linktype} "${p.ifName ?? null}"`);
    }
  }
  for (let i = 0; i < found.length; i++) {
    if (found[i] === undefined) throw usage(`interface indexes are not dense: no packet uses interface ${i}`);
  }
  return found;
}

/** A whole pcapng file: the given interfaces (default: interfacesOf(packets)), then every packet. */
export function writePcapng(
  packets: readonly PacketWithInterface[],
  interfaces: readonly InterfaceToWrite[] = interfacesOf(packets),
  options: PcapngWriterOptions = {},
): Uint8Array {
  const w = new PcapngWriter(options);
  const parts = [w.header()];
  for (const i of interfaces) parts.push(w.addInterface(i));
  for (const p of packets) parts.push(w.packet(p));
  return concatBytes(parts);
}

/** A whole classic pcap file (nanosecond magic). */
export function writePcap(packets: readonly PacketToWrite[], options: PcapWriterOptions): Uint8Array {
  const w = new PcapWriter(options);
  const parts = [w.header()];
  for (const p of packets) parts.push(w.packet(p));
  return concatBytes(parts);
}
