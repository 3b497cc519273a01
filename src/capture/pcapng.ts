/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of blocks grouped in sections, each section
 * starting with a Section Header Block whose byte-order magic sets the byte order of the section.
 *
 * Read: Section Header (version 1.0 and 1.2, as Wireshark), Interface Description (link type,
 * snaplen, options if_name, if_description, if_tsresol in both the power-of-10 and power-of-2 forms,
 * if_tsoffset, if_fcslen), Enhanced Packet (epb_flags, epb_dropcount, opt_comment), Simple Packet
 * (interface 0 of the section, captured length min(original length, snaplen) with snaplen 0 meaning
 * no limit, no timestamp) and the obsolete Packet Block (16-bit interface id, drops count, pack_flags).
 * Name Resolution, Interface Statistics, Decryption Secrets, Custom and every other block type are
 * skipped by their length; they carry no packets. Options are checked for structure (length and
 * padding inside the block) in every block; the options used above are checked for their length.
 *
 * Like Wireshark, a block total length that is not a multiple of 4 is rounded up (some writers
 * leave the final padding out of it), and both copies of the length must agree after rounding.
 */

import { u16, u32, u32be, u32le, i64, hex32, pad4, utf8Decode } from './bytes.js';
import { CaptureError } from './errors.js';
import type { FormatParser, ReadLimits } from './parser.js';
import { directionFromFlags, type CaptureInterface, type CapturedPacket } from './record.js';
import { TsParams } from './timestamp.js';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_PB = 0x00000002;
export const BLOCK_SPB = 0x00000003;
export const BLOCK_NRB = 0x00000004;
export const BLOCK_ISB = 0x00000005;
export const BLOCK_EPB = 0x00000006;
export const BLOCK_SYSTEMD_JOURNAL = 0x00000009;
export const BLOCK_DSB = 0x0000000a;
export const BLOCK_CB_COPY = 0x00000bad;
export const BLOCK_CB_NO_COPY = 0x40000bad;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const OPT_IF_NAME = 2;
export const OPT_IF_DESCRIPTION = 3;
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_FCSLEN = 13;
export const OPT_IF_TSOFFSET = 14;
export const OPT_EPB_FLAGS = 2;
export const OPT_EPB_HASH = 3;
export const OPT_EPB_DROPCOUNT = 4;
export const OPT_EPB_PACKETID = 5;
export const OPT_EPB_QUEUE = 6;
export const OPT_EPB_VERDICT = 7;
/** opt_custom codes (string/binary, copiable or not): 2988, 2989, 19372, 19373. */
function isCustomOption(code: number): boolean {
  return code === 2988 || code === 2989 || code === 19372 || code === 19373;
}

const BLOCK_NAMES = new Map<number, string>([
  [BLOCK_SHB, 'section header block'],
  [BLOCK_IDB, 'interface description block'],
  [BLOCK_PB, 'packet block'],
  [BLOCK_SPB, 'simple packet block'],
  [BLOCK_NRB, 'name resolution block'],
  [BLOCK_ISB, 'interface statistics block'],
  [BLOCK_EPB, 'enhanced packet block'],
  [BLOCK_SYSTEMD_JOURNAL, 'systemd journal export block'],
  [BLOCK_DSB, 'decryption secrets block'],
  [BLOCK_CB_COPY, 'custom block'],
  [BLOCK_CB_NO_COPY, 'custom block'],
]);

/** Smallest total length of a block of this type (header, fixed fields, trailer). */
function minBlockLength(type: number): number {
  switch (type) {
    case BLOCK_EPB:
    case BLOCK_PB:
      return 32;
    case BLOCK_SHB:
      return 28;
    case BLOCK_ISB:
      return 24;
    case BLOCK_IDB:
    case BLOCK_DSB:
      return 20;
    case BLOCK_SPB:
    case BLOCK_NRB:
    case BLOCK_CB_COPY:
    case BLOCK_CB_NO_COPY:
      return 16;
    default:
      return 12;
  }
}
const HEADER_LEN = 12;

/** Name of a block type for messages. */
export function blockName(type: number): string {
  return BLOCK_NAMES.get(type) ?? `block of unknown type ${hex32(type)}`;
}

interface Iface {
  info: CaptureInterface;
  ts: TsParams;
}

interface Section {
  le: boolean;
  ifaces: Iface[];
}

/** Options collected from one block (only the fields its type uses are meaningful). */
class BlockOptions {
  comment: string | null = null;
  flags = 0;
  dropCount = -1;
  name: string | null = null;
  description: string | null = null;
  tsresol = -1;
  tsOffset = 0;
  fcsLen = -1;

  reset(): void {
    this.comment = null;
    this.flags = 0;
    this.dropCount = -1;
    this.name = null;
    this.description = null;
    this.tsresol = -1;
    this.tsOffset = 0;
    this.fcsLen = -1;
  }
}

export class PcapngParser implements FormatParser {
  readonly format = 'pcapng' as const;
  interfaces: CaptureInterface[] = [];
  readonly headerLength = HEADER_LEN;

  private section: Section | null = null;
  private sectionCount = 0;
  /** Byte order of the SHB unitSize() just looked at (it defines its own section's order). */
  private shbLe = true;
  private type = 0;
  private readonly opts = new BlockOptions();
  /** What a block without options has (never modified). */
  private readonly noOptions = new BlockOptions();

  constructor(
    private readonly source: string,
    private readonly limits: ReadLimits,
  ) {}

  headerName(): string {
    return 'pcapng block header';
  }

  unitWhat(): string {
    return blockName(this.type);
  }

  unitLabel(pos: number): string {
    return `pcapng block type ${hex32(this.type)} at byte ${pos}`;
  }

  unitSize(b: Uint8Array, off: number, pos: number): number {
    const section = this.section;
    const type = section === null || section.le ? u32le(b, off) : u32be(b, off);
    this.type = type;
    let le: boolean;
    if (type === BLOCK_SHB) {
      le = this.byteOrder(b, off, pos);
      this.shbLe = le;
    } else if (section === null) {
      throw this.fail('malformed', pos, pos, `the first block must be a section header block (type ${hex32(BLOCK_SHB)})`);
    } else {
      le = section.le;
    }
    const len = le ? u32le(b, off + 4) : u32be(b, off + 4);
    const size = pad4(len);
    const min = minBlockLength(type);
    if (size < min) throw this.fail('malformed', pos + 4, pos, `total length ${len} is shorter than the minimum ${min}`);
    if (size > this.limits.maxBlockLength) {
      throw this.fail('malformed', pos + 4, pos, `total length ${len} is larger than the maximum ${this.limits.maxBlockLength}`);
    }
    return size;
  }

  parseUnit(b: Uint8Array, off: number, size: number, pos: number, rec: CapturedPacket, scratch: boolean): boolean {
    const type = this.type;
    const le = type === BLOCK_SHB ? this.shbLe : this.section!.le;
    const trailer = u32(b, off + size - 4, le);
    if (pad4(trailer) !== size) {
      throw this.fail(
        'malformed',
        pos + size - 4,
        pos,
        `total length at the end (${trailer}) differs from the one at the start (${u32(b, off + 4, le)})`,
      );
    }
    switch (type) {
      case BLOCK_SHB:
        this.parseShb(b, off, size, pos);
        return false;
      case BLOCK_IDB:
        this.parseIdb(b, off, size, pos);
        return false;
      case BLOCK_EPB:
        this.parseEpb(b, off, size, pos, rec, scratch);
        return true;
      case BLOCK_SPB:
        this.parseSpb(b, off, size, pos, rec, scratch);
        return true;
      case BLOCK_PB:
        this.parsePb(b, off, size, pos, rec, scratch);
        return true;
      default:
        return false;
    }
  }

  // ---- blocks ----

  private byteOrder(b: Uint8Array, off: number, pos: number): boolean {
    const magic = u32(b, off + 8, true);
    if (magic === BYTE_ORDER_MAGIC) return true;
    if (u32(b, off + 8, false) === BYTE_ORDER_MAGIC) return false;
    throw this.fail(
      'malformed',
      pos + 8,
      pos,
      `byte-order magic ${hex32(u32(b, off + 8, false))} is neither 0x1a2b3c4d nor 0x4d3c2b1a`,
    );
  }

  private parseShb(b: Uint8Array, off: number, size: number, pos: number): void {
    const le = this.shbLe;
    const major = u16(b, off + 12, le);
    const minor = u16(b, off + 14, le);
    if (!(major === 1 && (minor === 0 || minor === 2))) {
      throw this.fail('unsupported', pos + 12, pos, `version ${major}.${minor} is not supported (1.0 or 1.2 expected)`);
    }
    this.readOptions(b, off, off + 24, off + size - 4, pos, le);
    this.section = { le, ifaces: [] };
    this.sectionCount++;
  }

  private parseIdb(b: Uint8Array, off: number, size: number, pos: number): void {
    const section = this.section!;
    const le = section.le;
    const linktype = u16(b, off + 8, le);
    const snaplen = u32(b, off + 12, le);
    const o = this.readOptions(b, off, off + 16, off + size - 4, pos, le);
    const ts = TsParams.fromTsresol(o.tsresol < 0 ? 6 : o.tsresol, o.tsOffset);
    const info: CaptureInterface = {
      id: this.interfaces.length,
      section: this.sectionCount - 1,
      localId: section.ifaces.length,
      linktype,
      snaplen,
      name: o.name,
      description: o.description,
      unitsPerSecond: ts.units,
      tsresol: o.tsresol,
      tsOffset: o.tsOffset,
      fcsLen: o.fcsLen,
    };
    section.ifaces.push({ info, ts });
    this.interfaces.push(info);
  }

  private parseEpb(b: Uint8Array, off: number, size: number, pos: number, rec: CapturedPacket, scratch: boolean): void {
    const le = this.section!.le;
    const ifid = u32(b, off + 8, le);
    const caplen = u32(b, off + 20, le);
    const dataEnd = this.checkPacketData(caplen, 28, size, pos);
    const iface = this.iface(ifid, pos + 8, pos);
    const o = dataEnd + 4 === size ? this.noOptions : this.readOptions(b, off, off + dataEnd, off + size - 4, pos, le);
    this.setTimestamp(iface, u32(b, off + 12, le), u32(b, off + 16, le), rec, pos);
    this.fill(rec, iface, u32(b, off + 24, le), o.flags, o.dropCount, o.comment);
    rec.setBytes(b, off + 28, caplen, scratch);
  }

  private parsePb(b: Uint8Array, off: number, size: number, pos: number, rec: CapturedPacket, scratch: boolean): void {
    const le = this.section!.le;
    const ifid = u16(b, off + 8, le);
    const drops = u16(b, off + 10, le);
    const caplen = u32(b, off + 20, le);
    const dataEnd = this.checkPacketData(caplen, 28, size, pos);
    const iface = this.iface(ifid, pos + 8, pos);
    const o = this.readOptions(b, off, off + dataEnd, off + size - 4, pos, le);
    this.setTimestamp(iface, u32(b, off + 12, le), u32(b, off + 16, le), rec, pos);
    this.fill(rec, iface, u32(b, off + 24, le), o.flags, drops === 0xffff ? -1 : drops, o.comment);
    rec.setBytes(b, off + 28, caplen, scratch);
  }

  private parseSpb(b: Uint8Array, off: number, size: number, pos: number, rec: CapturedPacket, scratch: boolean): void {
    const section = this.section!;
    const iface = section.ifaces[0];
    if (iface === undefined) {
      throw this.fail('malformed', pos, pos, 'comes before any interface description block in its section');
    }
    const origLen = u32(b, off + 8, section.le);
    const snaplen = iface.info.snaplen;
    const caplen = snaplen !== 0 && origLen > snaplen ? snaplen : origLen;
    this.checkPacketData(caplen, 12, size, pos);
    rec.tsSec = 0;
    rec.tsNsec = 0;
    rec.hasTimestamp = false;
    this.fill(rec, iface, origLen, 0, -1, null);
    rec.setBytes(b, off + 12, caplen, scratch);
  }

  // ---- helpers ----

  /** Checks that `caplen` bytes of packet data (padded) fit; returns the offset just past the padding. */
  private checkPacketData(caplen: number, dataOff: number, size: number, pos: number): number {
    if (caplen > this.limits.maxPacketLength) {
      throw this.fail(
        'malformed',
        pos + 20,
        pos,
        `captured length ${caplen} is larger than the maximum ${this.limits.maxPacketLength}`,
      );
    }
    const end = dataOff + pad4(caplen);
    if (end + 4 > size) {
      throw this.fail('malformed', pos + 4, pos, `total length ${size} is too small for ${caplen} bytes of packet data`);
    }
    return end;
  }

  private iface(ifid: number, at: number, pos: number): Iface {
    const iface = this.section!.ifaces[ifid];
    if (iface === undefined) {
      const n = this.section!.ifaces.length;
      throw this.fail('malformed', at, pos, `interface id ${ifid} is not less than the section's interface count ${n}`);
    }
    return iface;
  }

  private setTimestamp(iface: Iface, hi: number, lo: number, rec: CapturedPacket, pos: number): void {
    rec.hasTimestamp = true;
    if (!iface.ts.convert(hi, lo, rec)) {
      throw this.fail(
        'unsupported',
        pos + 12,
        pos,
        `timestamp ${hi}:${lo} at ${iface.ts.units} units per second is beyond 2^53 seconds`,
      );
    }
  }

  private fill(
    rec: CapturedPacket,
    iface: Iface,
    origLen: number,
    flags: number,
    dropCount: number,
    comment: string | null,
  ): void {
    const info = iface.info;
    rec.ifIndex = info.localId;
    rec.ifName = info.name;
    rec.iface = info;
    rec.section = info.section;
    rec.linktype = info.linktype;
    rec.origLen = origLen;
    rec.flags = flags;
    rec.direction = directionFromFlags(flags);
    rec.dropCount = dropCount;
    rec.comment = comment;
  }

  /**
   * Walks the options in b[start..end) (each a 16-bit code, a 16-bit length and the value padded to
   * 4 bytes, ending at opt_endofopt or at `end`) and collects the ones this reader uses.
   */
  private readOptions(b: Uint8Array, blockOff: number, start: number, end: number, pos: number, le: boolean): BlockOptions {
    const o = this.opts;
    o.reset();
    let i = start;
    while (i < end) {
      const at = pos + (i - blockOff);
      if (i + 4 > end) throw this.fail('malformed', at, pos, `${end - i} bytes left are too few for an option header`);
      const code = u16(b, i, le);
      const len = u16(b, i + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (i + 4 + pad4(len) > end) {
        throw this.fail('malformed', at, pos, `option ${code} of length ${len} runs past the end of the block`);
      }
      // The option of nearly every packet block that has one: epb_flags / pack_flags.
      if (code === OPT_EPB_FLAGS && len === 4 && (this.type === BLOCK_EPB || this.type === BLOCK_PB)) {
        o.flags = le ? u32le(b, i + 4) : u32be(b, i + 4);
      } else this.option(o, code, len, b, i + 4, at, pos, le);
      i += 4 + pad4(len);
    }
    return o;
  }

  private option(o: BlockOptions, code: number, len: number, b: Uint8Array, v: number, at: number, pos: number, le: boolean): void {
    if (code === OPT_COMMENT) {
      const text = utf8Decode(b, v, v + len);
      o.comment = o.comment === null ? text : `${o.comment}\n${text}`;
      return;
    }
    if (isCustomOption(code)) {
      this.needLength(len >= 4, code, len, 'at least 4', at, pos);
      return;
    }
    switch (this.type) {
      case BLOCK_IDB:
        this.idbOption(o, code, len, b, v, at, pos, le);
        return;
      case BLOCK_EPB:
      case BLOCK_PB:
        this.packetOption(o, code, len, b, v, at, pos, le);
        return;
      default:
        return;
    }
  }

  private idbOption(o: BlockOptions, code: number, len: number, b: Uint8Array, v: number, at: number, pos: number, le: boolean): void {
    switch (code) {
      case OPT_IF_NAME:
        o.name = utf8Decode(b, v, v + len);
        return;
      case OPT_IF_DESCRIPTION:
        o.description = utf8Decode(b, v, v + len);
        return;
      case OPT_IF_TSRESOL: {
        this.needLength(len === 1, code, len, '1', at, pos);
        const r = b[v]!;
        const exp = r & 0x7f;
        if ((r & 0x80 && exp > 63) || (!(r & 0x80) && exp > 19)) {
          throw this.fail('unsupported', at, pos, `if_tsresol ${hex8(r)} is finer than 2^-63 s or 10^-19 s`);
        }
        o.tsresol = r;
        return;
      }
      case OPT_IF_TSOFFSET:
        this.needLength(len === 8, code, len, '8', at, pos);
        o.tsOffset = i64(b, v, le);
        if (!Number.isSafeInteger(o.tsOffset)) {
          throw this.fail('unsupported', at, pos, `if_tsoffset does not fit in 2^53 seconds`);
        }
        return;
      case OPT_IF_FCSLEN:
        this.needLength(len === 1, code, len, '1', at, pos);
        o.fcsLen = b[v]!;
        return;
      default:
        return;
    }
  }

  private packetOption(o: BlockOptions, code: number, len: number, b: Uint8Array, v: number, at: number, pos: number, le: boolean): void {
    switch (code) {
      case OPT_EPB_FLAGS:
        this.needLength(len === 4, code, len, '4', at, pos);
        o.flags = u32(b, v, le);
        return;
      case OPT_EPB_DROPCOUNT:
        if (this.type !== BLOCK_EPB) return;
        this.needLength(len === 8, code, len, '8', at, pos);
        o.dropCount = i64(b, v, le);
        return;
      case OPT_EPB_HASH:
        this.needLength(len >= 1, code, len, 'at least 1', at, pos);
        return;
      case OPT_EPB_PACKETID:
        if (this.type === BLOCK_EPB) this.needLength(len === 8, code, len, '8', at, pos);
        return;
      case OPT_EPB_QUEUE:
        if (this.type === BLOCK_EPB) this.needLength(len === 4, code, len, '4', at, pos);
        return;
      case OPT_EPB_VERDICT:
        if (this.type === BLOCK_EPB) this.needLength(len >= 1, code, len, 'at least 1', at, pos);
        return;
      default:
        return;
    }
  }

  private needLength(ok: boolean, code: number, len: number, want: string, at: number, pos: number): void {
    if (!ok) throw this.fail('malformed', at, pos, `option ${code} has length ${len}, expected ${want}`);
  }

  private fail(kind: 'malformed' | 'unsupported', at: number, pos: number, expected: string): CaptureError {
    return new CaptureError(kind, this.source, at, this.unitLabel(pos), this.unitWhat(), expected);
  }
}

function hex8(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
