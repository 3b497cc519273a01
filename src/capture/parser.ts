/**
 * The contract between the streaming reader (reader.ts) and a file format (pcap.ts, pcapng.ts).
 *
 * A file is a sequence of units (the pcap file header, pcap records, pcapng blocks). For each unit
 * the reader first makes `headerLength` bytes contiguous and asks `unitSize()` how long the unit is,
 * then makes the whole unit contiguous and hands it to `parseUnit()`, which fills the packet record
 * when the unit is a packet. Formats keep their own state (byte order, sections, interfaces).
 */

import type { CaptureInterface, CapturedPacket } from './record.js';

/** Limits that keep a garbled length field from making the reader buffer gigabytes. */
export interface ReadLimits {
  /** Largest captured length of one packet (Wireshark's limit for ordinary link types: 262144). */
  maxPacketLength: number;
  /** Largest pcapng block of any type (packet blocks: maxPacketLength plus room for options). */
  maxBlockLength: number;
}

export const DEFAULT_LIMITS: ReadLimits = {
  maxPacketLength: 262144,
  maxBlockLength: 16 * 1024 * 1024,
};

export interface FormatParser {
  readonly format: 'pcap' | 'pcapng';
  /** Every interface seen so far, in file order (CaptureInterface.id indexes this). */
  readonly interfaces: readonly CaptureInterface[];
  /** Bytes needed at the start of the next unit to learn its size (a field: read per packet). */
  readonly headerLength: number;
  /** Name of the next unit's header for truncation messages ("pcap record header", ...). */
  headerName(): string;
  /** Size of the unit starting at b[off] (headerLength bytes present), `pos` its absolute offset. */
  unitSize(b: Uint8Array, off: number, pos: number): number;
  /** What unitSize() last saw, for messages: short name and longer label. */
  unitWhat(): string;
  unitLabel(pos: number): string;
  /**
   * Parses the complete unit b[off .. off+size), always right after unitSize() was asked about it
   * (parsers may keep what unitSize() read). Returns true when it was a packet (then `rec` is filled,
   * except `index`, which the reader keeps), false otherwise.
   */
  parseUnit(b: Uint8Array, off: number, size: number, pos: number, rec: CapturedPacket, scratch: boolean): boolean;
}
