/**
 * Classic pcap (libpcap) files: a 24-byte file header, then records of a 16-byte header and the
 * captured bytes.
 *
 * All four magics are read: 0xa1b2c3d4 (microsecond timestamps) and 0xa1b23c4d (nanosecond), each
 * in either byte order. The link type is the low 16 bits of the header's network field (the upper
 * bits carry the FCS length, see CaptureInterface.fcsLen). Any snaplen is accepted. As Wireshark
 * does, files of version 2.0-2.2 (and 543.0 from DG/UX) have captured and original length swapped,
 * and version 2.3 files whose captured length exceeds the original one are read the same way.
 *
 * A fraction field out of range (a microsecond field of 1000000 or more, or a nanosecond field of
 * 10^9 or more) is carried into the seconds, so that tsNsec stays in 0..999999999: the timestamp
 * means sec + fraction either way. (Wireshark keeps the raw fraction and prints e.g. "1000.1500000000".)
 */

import { u16, u32, u32be, u32le, hex32 } from './bytes.js';
import { dataViewBase, dataViewOf } from '../util/dataview.js';
import { CaptureError } from './errors.js';
import type { FormatParser, ReadLimits } from './parser.js';
import type { CaptureInterface, CapturedPacket } from './record.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Kuznetzov's "modified" pcap: recognised only to say it is not supported. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** The byte-swapped form of a 32-bit value. */
function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** True when the first four bytes (read big-endian) are one of the classic pcap magics. */
export function isPcapMagic(be: number): boolean {
  return (
    be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC || swap32(be) === PCAP_MAGIC_USEC || swap32(be) === PCAP_MAGIC_NSEC
  );
}

/** True for the modified-pcap magic in either byte order. */
export function isModifiedPcapMagic(be: number): boolean {
  return be === PCAP_MAGIC_MODIFIED || swap32(be) === PCAP_MAGIC_MODIFIED;
}

const enum LengthOrder {
  Normal,
  Swapped,
  MaybeSwapped,
}

export class PcapParser implements FormatParser {
  readonly format = 'pcap' as const;
  interfaces: CaptureInterface[] = [];
  headerLength = PCAP_FILE_HEADER_LEN;

  private le = true;
  private nano = false;
  private gotHeader = false;
  private lengthOrder = LengthOrder.Normal;
  private iface: CaptureInterface | null = null;
  private records = 0;
  /** Original length of the record unitSize() last read. */
  private curOrig = 0;
  /** Timestamp fraction units per second (1e6 or 1e9) and nanoseconds per unit (1000 or 1). */
  private unitsPerSec = 1e6;
  private nsPerUnit = 1000;

  constructor(
    private readonly source: string,
    private readonly limits: ReadLimits,
  ) {}

  headerName(): string {
    return this.gotHeader ? `pcap record ${this.records + 1} header` : 'pcap file header';
  }

  unitWhat(): string {
    return this.gotHeader ? `pcap record ${this.records + 1}` : 'pcap file header';
  }

  unitLabel(pos: number): string {
    return `${this.unitWhat()} at byte ${pos}`;
  }

  unitSize(b: Uint8Array, off: number, pos: number): number {
    if (!this.gotHeader) return PCAP_FILE_HEADER_LEN;
    const le = this.le;
    let incl = le ? u32le(b, off + 8) : u32be(b, off + 8);
    let orig = le ? u32le(b, off + 12) : u32be(b, off + 12);
    if (this.lengthOrder !== LengthOrder.Normal && this.swapsLengths(incl, orig)) {
      const t = incl;
      incl = orig;
      orig = t;
    }
    if (incl > this.limits.maxPacketLength) throw this.tooLarge(incl, pos);
    this.curOrig = orig;
    return PCAP_RECORD_HEADER_LEN + incl;
  }

  parseUnit(b: Uint8Array, off: number, size: number, pos: number, rec: CapturedPacket, scratch: boolean): boolean {
    if (!this.gotHeader) {
      this.parseFileHeader(b, off, pos);
      return false;
    }
    const le = this.le;
    this.fill(rec, u32(b, off, le), u32(b, off + 4, le), this.curOrig, b, off, size, scratch);
    return true;
  }

  /**
   * The hot path: a record lying whole in b[off, end) is read into `rec` in one call (unitSize
   * and parseUnit together, the header read through the shared DataView); returns its size,
   * or -1 when the general path must take it: the file header not read yet, lengths that may be
   * swapped, a record reaching past `end`, a captured length over the limit. Never throws.
   */
  wholeRecord(b: Uint8Array, off: number, end: number, rec: CapturedPacket): number {
    if (!this.gotHeader || this.lengthOrder !== LengthOrder.Normal || off < 0 || off + PCAP_RECORD_HEADER_LEN > end || end > b.length) return -1;
    const le = this.le;
    const dv = dataViewOf(b);
    const h = dataViewBase() + off;
    const incl = dv.getUint32(h + 8, le);
    const size = PCAP_RECORD_HEADER_LEN + incl;
    if (off + size > end || incl > this.limits.maxPacketLength) return -1;
    this.fill(rec, dv.getUint32(h, le), dv.getUint32(h + 4, le), dv.getUint32(h + 12, le), b, off, size, false);
    return size;
  }

  /** Fills `rec` from the record at `off` of `size` bytes, given its timestamp fields and original length. */
  private fill(rec: CapturedPacket, sec: number, frac: number, orig: number, b: Uint8Array, off: number, size: number, scratch: boolean): void {
    this.records++;
    if (frac < this.unitsPerSec) {
      rec.tsSec = sec;
      rec.tsNsec = frac * this.nsPerUnit;
    } else this.carryFraction(sec, frac, rec);
    if (rec.iface !== this.iface) this.fillConstant(rec);
    rec.origLen = orig;
    rec.setBytes(b, off + PCAP_RECORD_HEADER_LEN, size - PCAP_RECORD_HEADER_LEN, scratch);
  }

  /** A fraction field of a second or more: carry it into the seconds. */
  private carryFraction(sec: number, frac: number, rec: CapturedPacket): void {
    const carry = Math.floor(frac / this.unitsPerSec);
    rec.tsSec = sec + carry;
    rec.tsNsec = (frac - carry * this.unitsPerSec) * this.nsPerUnit;
  }

  /**
   * The fields that are the same for every packet of a pcap file. Set when the record first gets a
   * packet of this file (the reader's record is filled only by this parser).
   */
  private fillConstant(rec: CapturedPacket): void {
    const iface = this.iface!;
    rec.hasTimestamp = true;
    rec.ifIndex = 0;
    rec.ifName = null;
    rec.iface = iface;
    rec.section = 0;
    rec.linktype = iface.linktype;
    rec.flags = 0;
    rec.direction = 'unknown';
    rec.dropCount = -1;
    rec.comment = null;
  }

  /** Old pcap versions store the original length first (2.3: only sometimes, seen when captured > original). */
  private swapsLengths(incl: number, orig: number): boolean {
    return this.lengthOrder === LengthOrder.Swapped || incl > orig;
  }

  private tooLarge(incl: number, pos: number): CaptureError {
    return new CaptureError(
      'malformed',
      this.source,
      pos + 8,
      this.unitLabel(pos),
      this.unitWhat(),
      `captured length ${incl} is larger than the maximum ${this.limits.maxPacketLength}`,
    );
  }

  private parseFileHeader(b: Uint8Array, off: number, pos: number): void {
    const be = u32(b, off, false);
    this.le = !(be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC);
    const magic = this.le ? swap32(be) : be;
    this.nano = magic === PCAP_MAGIC_NSEC;
    this.unitsPerSec = this.nano ? 1e9 : 1e6;
    this.nsPerUnit = this.nano ? 1 : 1000;
    const major = u16(b, off + 4, this.le);
    const minor = u16(b, off + 6, this.le);
    if (major < 2) {
      throw new CaptureError(
        'unsupported',
        this.source,
        pos + 4,
        `pcap file header at byte ${pos} (magic ${hex32(magic)})`,
        'pcap file header',
        `version ${major}.${minor} is not supported (2.0 or later expected)`,
      );
    }
    if ((major === 2 && minor < 3) || major === 543) this.lengthOrder = LengthOrder.Swapped;
    else if (major === 2 && minor === 3) this.lengthOrder = LengthOrder.MaybeSwapped;
    const snaplen = u32(b, off + 16, this.le);
    const network = u32(b, off + 20, this.le);
    const fcsPresent = (network & 0x04000000) !== 0;
    this.iface = {
      id: 0,
      section: 0,
      localId: 0,
      linktype: network & 0xffff,
      snaplen,
      name: null,
      description: null,
      unitsPerSecond: this.nano ? 1e9 : 1e6,
      tsresol: -1,
      tsOffset: 0,
      fcsLen: fcsPresent ? ((network >>> 28) & 0xf) * 16 : -1,
    };
    this.interfaces.push(this.iface);
    this.gotHeader = true;
    this.headerLength = PCAP_RECORD_HEADER_LEN;
  }
}
