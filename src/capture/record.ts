/**
 * The shapes a capture reader hands out: one CapturedPacket per packet, and one CaptureInterface per
 * interface (a pcapng Interface Description Block, or the single implicit interface of a classic pcap
 * file).
 *
 * A streaming reader fills one reused CapturedPacket in place for every packet (no allocation per
 * packet); its fields, and the bytes `data` refers to, are valid until the reader's next call. Call
 * `clone()` to keep one. Timestamps are exact: integer seconds and nanoseconds as numbers; `time` is
 * the float seconds the engine's virtual clock runs on.
 */

export type Direction = 'in' | 'out' | 'unknown';

/** One capture interface: a pcapng IDB (per section), or the file header of a classic pcap file. */
export interface CaptureInterface {
  /** File-wide number, counting every IDB of every section in order (0 for classic pcap). */
  readonly id: number;
  /** pcapng section (0-based) the IDB belongs to; 0 for classic pcap. */
  readonly section: number;
  /** Interface id within its section, as packet blocks refer to it. */
  readonly localId: number;
  /** LINKTYPE_* value (pcap: the low 16 bits of the header's network field). */
  readonly linktype: number;
  /** Snapshot length (0 = no limit, as pcapng allows). */
  readonly snaplen: number;
  /** if_name / if_description options, null when absent (always null for classic pcap). */
  readonly name: string | null;
  readonly description: string | null;
  /** Timestamp units per second (if_tsresol; pcap: 1e6 or 1e9). Exact for every resolution used in practice. */
  readonly unitsPerSecond: number;
  /** if_tsresol byte as found (-1 when absent: default 10^-6). */
  readonly tsresol: number;
  /** if_tsoffset in seconds (0 when absent). */
  readonly tsOffset: number;
  /** if_fcslen: FCS length in bits (-1 when absent). */
  readonly fcsLen: number;
}

const EMPTY = new Uint8Array(0);

/** Direction bits (0..1) of epb_flags / pack_flags. */
export function directionFromFlags(flags: number): Direction {
  const d = flags & 3;
  return d === 1 ? 'in' : d === 2 ? 'out' : 'unknown';
}

export class CapturedPacket {
  /** 1-based packet number in the file (Wireshark's frame number). */
  index = 0;
  /** Seconds since the epoch (integer, may be negative only through a negative if_tsoffset). */
  tsSec = 0;
  /** Nanoseconds, 0..999999999. */
  tsNsec = 0;
  /** False for a pcapng Simple Packet Block, which has no timestamp (tsSec = tsNsec = 0 then). */
  hasTimestamp = true;
  /** Interface id as the packet block states it (section-local in pcapng; 0 for classic pcap). */
  ifIndex = 0;
  /** if_name of that interface, null when it has none (and for classic pcap). */
  ifName: string | null = null;
  /** The interface itself (linktype, snaplen, file-wide id, ...). */
  iface: CaptureInterface | null = null;
  /** pcapng section number (0-based); 0 for classic pcap. */
  section = 0;
  linktype = 0;
  /** Bytes present in the file (= data.length). */
  caplen = 0;
  /** Length of the packet on the wire. */
  origLen = 0;
  /** epb_flags (EPB) or pack_flags (obsolete Packet Block) as found, 0 when absent. */
  flags = 0;
  direction: Direction = 'unknown';
  /** Drop count: the obsolete Packet Block's field or epb_dropcount; -1 when not stated. */
  dropCount = -1;
  /** opt_comment (several are joined with "\n"), null when none. */
  comment: string | null = null;

  /** The buffer holding the packet bytes and where they start: `data` without allocating. */
  buf: Uint8Array = EMPTY;
  offset = 0;
  /** True when `buf` is the reader's own scratch buffer (reused on the next call), not an input chunk. */
  bufIsScratch = false;

  private cachedData: Uint8Array | null = null;

  /** The packet bytes: a zero-copy view into the input (or the reader's scratch buffer). */
  get data(): Uint8Array {
    if (this.cachedData === null) this.cachedData = this.buf.subarray(this.offset, this.offset + this.caplen);
    return this.cachedData;
  }

  /** Timestamp as float seconds, for the engine's virtual clock (not exact past microseconds). */
  get time(): number {
    return this.tsSec + this.tsNsec / 1e9;
  }

  /** Points the record at new bytes (used by readers). */
  setBytes(buf: Uint8Array, offset: number, caplen: number, scratch: boolean): void {
    this.buf = buf;
    this.offset = offset;
    this.caplen = caplen;
    this.bufIsScratch = scratch;
    this.cachedData = null;
  }

  /**
   * An independent copy. Bytes held in the reader's scratch buffer are copied; bytes in an input
   * chunk stay a zero-copy view of it (do not modify chunks you pushed while you keep records).
   */
  clone(): CapturedPacket {
    const c = new CapturedPacket();
    c.index = this.index;
    c.tsSec = this.tsSec;
    c.tsNsec = this.tsNsec;
    c.hasTimestamp = this.hasTimestamp;
    c.ifIndex = this.ifIndex;
    c.ifName = this.ifName;
    c.iface = this.iface;
    c.section = this.section;
    c.linktype = this.linktype;
    c.origLen = this.origLen;
    c.flags = this.flags;
    c.direction = this.direction;
    c.dropCount = this.dropCount;
    c.comment = this.comment;
    if (this.bufIsScratch) c.setBytes(this.data.slice(), 0, this.caplen, false);
    else c.setBytes(this.buf, this.offset, this.caplen, false);
    return c;
  }
}
