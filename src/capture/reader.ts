/**
 * Streaming capture reader: pcap or pcapng, told apart by the first four bytes.
 *
 *   const r = new CaptureReader({ name: 'capture.pcapng' });
 *   r.push(chunk);                       // any number of times, chunks of any size
 *   for (let p; (p = r.next()) !== null; ) use(p);
 *   r.end();                              // no more input
 *   for (let p; (p = r.next()) !== null; ) use(p);   // the rest; throws on a truncated file
 *
 * next() returns packets as soon as their bytes are complete and null when it needs more input (or,
 * after end(), when the file is over). Memory stays bounded when the caller pulls after each push:
 * the reader keeps only chunks that still hold unread bytes. Any split of the input into chunks
 * yields the same packets.
 *
 * next() returns the same CapturedPacket object every time, refilled in place; its data is a
 * zero-copy view into the pushed chunk, or into the reader's scratch buffer when the packet spanned
 * two chunks. Both are valid until the next call; clone() a packet to keep it.
 *
 * Errors are CaptureErrors naming the byte offset; once one is thrown, next() throws it again.
 * A file that ends in the middle of a header, block or record is an error, never silently cut.
 */

import { ByteQueue, hex32, u32 } from './bytes.js';
import { CaptureError } from './errors.js';
import { DEFAULT_LIMITS, type FormatParser, type ReadLimits } from './parser.js';
import { PcapParser, isModifiedPcapMagic, isPcapMagic } from './pcap.js';
import { BLOCK_SHB, PcapngParser } from './pcapng.js';
import { CapturedPacket, type CaptureInterface } from './record.js';

export interface ReaderOptions extends Partial<ReadLimits> {
  /** Name used at the start of error messages (a file name); default "capture". */
  name?: string;
}

export type CaptureFormat = 'pcap' | 'pcapng';

const GZIP_MAGIC = 0x1f8b;

export class CaptureReader {
  readonly name: string;
  private readonly limits: ReadLimits;
  private readonly queue = new ByteQueue();
  private readonly rec = new CapturedPacket();
  private parser: FormatParser | null = null;
  /** The parser when it is classic pcap (its records take the one-call hot path); null after a failure. */
  private pcap: PcapParser | null = null;
  private ended = false;
  private count = 0;
  /** Size of the unit at the read position once its header was read, -1 before. */
  private pendingSize = -1;
  private failure: CaptureError | null = null;

  constructor(options: ReaderOptions = {}) {
    this.name = options.name ?? 'capture';
    this.limits = {
      maxPacketLength: options.maxPacketLength ?? DEFAULT_LIMITS.maxPacketLength,
      maxBlockLength: options.maxBlockLength ?? DEFAULT_LIMITS.maxBlockLength,
    };
  }

  /** 'pcap' or 'pcapng' once the first four bytes were seen, null before. */
  get format(): CaptureFormat | null {
    return this.parser?.format ?? null;
  }

  /** Interfaces seen so far (pcapng IDBs in file order; one for classic pcap). */
  get interfaces(): readonly CaptureInterface[] {
    return this.parser?.interfaces ?? [];
  }

  /** Packets returned so far. */
  get packetCount(): number {
    return this.count;
  }

  /** Bytes consumed so far (the absolute offset of the next unit). */
  get position(): number {
    return this.queue.position;
  }

  /** Bytes pushed and not yet consumed. */
  get buffered(): number {
    return this.queue.available;
  }

  push(chunk: Uint8Array): void {
    if (this.ended) {
      throw new CaptureError('usage', this.name, this.queue.position + this.queue.available, 'input', 'input', 'push() after end()');
    }
    this.queue.push(chunk);
  }

  /** Marks the end of the input. */
  end(): void {
    this.ended = true;
  }

  /** The next packet, or null when more input is needed (before end()) or the file is over (after). */
  next(): CapturedPacket | null {
    // Hot path, kept small so that V8 inlines it and the parser's call into the caller's loop: a
    // classic pcap record lying whole in the current chunk. wholeRecord() never throws; it returns
    // -1 for anything else (and `pcap` is null once the reader failed).
    const pcap = this.pcap;
    if (pcap !== null && this.pendingSize < 0) {
      const q = this.queue;
      const size = pcap.wholeRecord(q.cur, q.curOff, q.curEnd, this.rec);
      if (size >= 0) {
        q.skip(size);
        this.rec.index = ++this.count;
        return this.rec;
      }
    }
    return this.nextUnit();
  }

  /** next() for every other case; a CaptureError is kept and thrown again by every later call. */
  private nextUnit(): CapturedPacket | null {
    if (this.failure !== null) throw this.failure;
    try {
      return this.step();
    } catch (e) {
      if (e instanceof CaptureError) {
        this.failure = e;
        this.pcap = null;
      }
      throw e;
    }
  }

  /** A unit whose bytes lie whole in the current chunk is parsed in place; the rest goes to generalStep(). */
  private step(): CapturedPacket | null {
    const q = this.queue;
    const parser = this.parser;
    if (parser === null || this.pendingSize >= 0) return this.generalStep();
    for (;;) {
      const off = q.curOff;
      if (off + parser.headerLength > q.curEnd) return this.generalStep();
      const b = q.cur;
      const size = parser.unitSize(b, off, q.position);
      if (off + size > q.curEnd) {
        this.pendingSize = size;
        return this.generalStep();
      }
      const isPacket = parser.parseUnit(b, off, size, q.position, this.rec, false);
      q.skip(size);
      if (isPacket) {
        this.rec.index = ++this.count;
        return this.rec;
      }
    }
  }

  /** Any unit, wherever its bytes are (gathered across chunks when needed), and the end of input. */
  private generalStep(): CapturedPacket | null {
    const q = this.queue;
    if (this.parser === null && !this.detect()) return null;
    const parser = this.parser!;
    for (;;) {
      let size = this.pendingSize;
      if (size < 0) {
        const h = parser.headerLength;
        if (!q.view(h)) return this.starved(parser, h, false);
        size = parser.unitSize(q.vbuf, q.voff, q.position);
        this.pendingSize = size;
      }
      if (!q.view(size)) return this.starved(parser, size, true);
      this.pendingSize = -1;
      const isPacket = parser.parseUnit(q.vbuf, q.voff, size, q.position, this.rec, q.vscratch);
      q.skip(size);
      if (isPacket) {
        this.rec.index = ++this.count;
        return this.rec;
      }
    }
  }

  /** Not enough bytes for `need`: wait for more, end cleanly at a unit boundary, or report truncation. */
  private starved(parser: FormatParser, need: number, inUnit: boolean): null {
    const q = this.queue;
    if (!this.ended) return null;
    if (!inUnit && q.available === 0) return null;
    const pos = q.position;
    const eof = pos + q.available;
    if (inUnit) {
      throw new CaptureError(
        'truncated',
        this.name,
        eof,
        parser.unitLabel(pos),
        parser.unitWhat(),
        `file ends after ${q.available} of its ${need} bytes (it starts at byte ${pos})`,
      );
    }
    const what = parser.headerName();
    throw new CaptureError(
      'truncated',
      this.name,
      eof,
      `${what} at byte ${pos}`,
      what,
      `file ends after ${q.available} of its ${need} bytes (it starts at byte ${pos})`,
    );
  }

  /** Picks the format from the first four bytes; false when they are not there yet. */
  private detect(): boolean {
    const q = this.queue;
    if (!q.view(4)) {
      if (!this.ended) return false;
      const why =
        q.available === 0
          ? 'the file is empty'
          : `the file ends after ${q.available} bytes, too short for a capture file header`;
      throw new CaptureError(q.available === 0 ? 'format' : 'truncated', this.name, q.available, 'file header at byte 0', 'file header', why);
    }
    const be = u32(q.vbuf, q.voff, false);
    if (be === BLOCK_SHB) this.parser = new PcapngParser(this.name, this.limits);
    else if (isPcapMagic(be)) this.parser = this.pcap = new PcapParser(this.name, this.limits);
    else throw this.unknownMagic(be);
    return true;
  }

  private unknownMagic(be: number): CaptureError {
    let why = `magic ${hex32(be)} is not a pcap or pcapng magic (not a capture file?)`;
    if (isModifiedPcapMagic(be)) why = `magic ${hex32(be)} is the modified (Kuznetzov) pcap format, which is not supported`;
    else if (be >>> 16 === GZIP_MAGIC) why = 'the file is gzip-compressed: decompress it first';
    const kind = isModifiedPcapMagic(be) ? 'unsupported' : 'format';
    return new CaptureError(kind, this.name, 0, 'file header at byte 0', 'file header', why);
  }
}

/** Every packet of an in-memory capture, as independent (cloned) records sharing `bytes`. */
export function readAll(bytes: Uint8Array, options: ReaderOptions = {}): CapturedPacket[] {
  const r = new CaptureReader(options);
  r.push(bytes);
  r.end();
  const out: CapturedPacket[] = [];
  for (let p = r.next(); p !== null; p = r.next()) out.push(p.clone());
  return out;
}

/**
 * Feeds an async sequence of chunks (a Node read stream, a web ReadableStream, ...) through a
 * reader, calling `onPacket` for each packet (the reused record: clone() to keep it). Resolves with
 * the reader once the input is over; rejects with a CaptureError on a bad file.
 */
export async function forEachPacket(
  chunks: AsyncIterable<Uint8Array>,
  onPacket: (p: CapturedPacket) => void,
  options: ReaderOptions = {},
): Promise<CaptureReader> {
  const r = new CaptureReader(options);
  const drain = (): void => {
    for (let p = r.next(); p !== null; p = r.next()) onPacket(p);
  };
  for await (const chunk of chunks) {
    r.push(chunk);
    drain();
  }
  r.end();
  drain();
  return r;
}
