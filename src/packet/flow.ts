/**
 * TcpFlow: builds both directions of one TCP conversation with consistent sequence and
 * acknowledgment numbers, for tests and tools.
 *
 * Each side keeps its next sequence number, the window it advertises (in bytes; the header field
 * is scaled once both SYNs carried a window scale option, never on a SYN), its IP id counter and,
 * when timestamps are on, its TSval clock. Every segment with ACK acknowledges everything the
 * other side has sent so far. Packets come back as IP packets (Uint8Array, IPv4 or IPv6 by the
 * addresses), ready to wrap in a frame or feed to decodeIp.
 */
import { parseIp } from './addr.js';
import { BuildError, ipv4, ipv6, tcp, tcpFlags, toBytes, type Bytes, type ChecksumMode, type Segment, type TcpOptions } from './build.js';
import { TcpFlag } from './view.js';

export type Side = 'client' | 'server';

export interface TcpFlowSpec {
  client: string;
  server: string;
  cport: number;
  sport: number;
  /** Initial sequence numbers (default 1000 and 5000). */
  cisn?: number;
  sisn?: number;
  /** Receive window each side advertises, in bytes (default 64240). */
  cwin?: number;
  swin?: number;
  /** Window scale each side offers in its SYN (absent: no option). */
  cwscale?: number;
  swscale?: number;
  /** MSS option in both SYNs (absent: none). */
  mss?: number;
  /** SACK-permitted in both SYNs. */
  sackPerm?: boolean;
  /** Timestamps on every segment (each side's TSval counts 1, 2, ... per segment it sends). */
  ts?: boolean;
  ttl?: number;
  /** IPv4 Don't Fragment on every packet (default false). */
  df?: boolean;
}

interface End {
  addr: string;
  port: number;
  nxt: number;
  win: number;
  wscaleOffered: number | undefined;
  sentSyn: boolean;
  ipId: number;
  /** TSval this side sends next, and the last one it sent (0 before any). */
  tsval: number;
  tsSent: number;
}

/** Extra control for one segment: anything not given follows the flow's state. */
export interface SegmentSpec {
  flags?: string | number;
  payload?: Bytes;
  /** Sequence / ack numbers to use instead of the flow's (the flow's state still advances unless `advance` is false). */
  seq?: number;
  ack?: number;
  /** Raw window field value (unscaled). */
  winField?: number;
  options?: TcpOptions;
  checksum?: ChecksumMode;
  /** Whether this segment moves the sender's sequence number (default true). */
  advance?: boolean;
}

export class TcpFlow {
  private readonly ends: Record<Side, End>;
  private readonly family: 4 | 6;
  private readonly ttl: number;
  private readonly mss: number | undefined;
  private readonly sackPerm: boolean;
  private readonly ts: boolean;
  private readonly df: boolean;
  private last: Uint8Array | null = null;

  constructor(spec: TcpFlowSpec) {
    const cf = parseIp(spec.client).family;
    if (cf !== parseIp(spec.server).family) throw new BuildError('client and server addresses differ in family');
    this.family = cf;
    this.ttl = spec.ttl ?? 64;
    this.mss = spec.mss;
    this.sackPerm = spec.sackPerm ?? false;
    this.ts = spec.ts ?? false;
    this.df = spec.df ?? false;
    this.ends = {
      client: makeEnd(spec.client, spec.cport, spec.cisn ?? 1000, spec.cwin, spec.cwscale),
      server: makeEnd(spec.server, spec.sport, spec.sisn ?? 5000, spec.swin, spec.swscale),
    };
  }

  /** The next sequence number `side` will send. */
  nextSeq(side: Side): number {
    return this.ends[side].nxt;
  }

  /** True once both SYNs carried a window scale option. */
  get scaling(): boolean {
    const c = this.ends.client;
    const s = this.ends.server;
    return c.sentSyn && s.sentSyn && c.wscaleOffered !== undefined && s.wscaleOffered !== undefined;
  }

  /** Changes the receive window (bytes) `side` advertises from now on. */
  setWindow(side: Side, bytes: number): void {
    this.ends[side].win = bytes;
  }

  /** The client's SYN. */
  syn(): Uint8Array {
    return this.segment('client', { flags: 'S' });
  }

  /** The server's SYN-ACK. */
  synAck(): Uint8Array {
    return this.segment('server', { flags: 'SA' });
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(): Uint8Array[] {
    return [this.syn(), this.synAck(), this.ack('client')];
  }

  /** A pure ACK from `side`. */
  ack(side: Side): Uint8Array {
    return this.segment(side, { flags: 'A' });
  }

  /** Data from `side` (bytes, text, or a count of 'x' bytes), PSH+ACK by default. */
  data(side: Side, payload: Bytes | number, flags: string | number = 'PA'): Uint8Array {
    const bytes = typeof payload === 'number' ? new Uint8Array(payload).fill(0x78) : payload;
    return this.segment(side, { flags, payload: bytes });
  }

  /** FIN (+ACK by default) from `side`. */
  fin(side: Side, flags: string | number = 'FA'): Uint8Array {
    return this.segment(side, { flags });
  }

  /** RST from `side`; with `withAck` an RST+ACK. */
  rst(side: Side, withAck = false): Uint8Array {
    return this.segment(side, { flags: withAck ? 'RA' : 'R' });
  }

  /** The last segment built, again (same bytes). */
  retransmit(): Uint8Array {
    if (this.last === null) throw new BuildError('nothing to retransmit yet');
    return this.last.slice();
  }

  /** Any segment from `side`, with the flow's numbers unless overridden. */
  segment(side: Side, spec: SegmentSpec): Uint8Array {
    const me = this.ends[side];
    const peer = this.ends[side === 'client' ? 'server' : 'client'];
    const flags = tcpFlags(spec.flags ?? 'A');
    const syn = (flags & TcpFlag.SYN) !== 0;
    if (syn) me.sentSyn = true;
    const payload = toBytes(spec.payload);
    const seg = tcp({
      sport: me.port,
      dport: peer.port,
      seq: spec.seq ?? me.nxt,
      ack: spec.ack ?? ((flags & TcpFlag.ACK) !== 0 ? peer.nxt : 0),
      flags,
      win: spec.winField ?? this.windowField(me, syn),
      options: spec.options ?? this.options(me, syn, flags),
      payload,
      checksum: spec.checksum,
    });
    if (spec.advance !== false) {
      me.nxt = (me.nxt + payload.length + (syn ? 1 : 0) + ((flags & TcpFlag.FIN) !== 0 ? 1 : 0)) >>> 0;
    }
    if (this.ts) me.tsSent = me.tsval++;
    const pkt = this.ip(me, peer, seg);
    this.last = pkt;
    return pkt;
  }

  private windowField(me: End, syn: boolean): number {
    if (syn || !this.scaling) return Math.min(me.win, 0xffff);
    return Math.min(Math.floor(me.win / 2 ** me.wscaleOffered!), 0xffff);
  }

  private options(me: End, syn: boolean, flags: number): TcpOptions {
    const o: TcpOptions = {};
    if (syn) {
      if (this.mss !== undefined) o.mss = this.mss;
      if (this.sackPerm) o.sackPerm = true;
      if (me.wscaleOffered !== undefined) o.wscale = me.wscaleOffered;
    }
    if (this.ts) {
      const peer = me === this.ends.client ? this.ends.server : this.ends.client;
      const ecr = (flags & TcpFlag.ACK) !== 0 ? peer.tsSent : 0;
      o.ts = [me.tsval, ecr];
    }
    return o;
  }

  private ip(me: End, peer: End, seg: Segment): Uint8Array {
    me.ipId = (me.ipId + 1) & 0xffff;
    if (this.family === 4) {
      return ipv4({ src: me.addr, dst: peer.addr, ttl: this.ttl, id: me.ipId, df: this.df, payload: seg });
    }
    return ipv6({ src: me.addr, dst: peer.addr, hopLimit: this.ttl, payload: seg });
  }
}

function makeEnd(addr: string, port: number, isn: number, win: number | undefined, wscale: number | undefined): End {
  return {
    addr,
    port,
    nxt: isn >>> 0,
    win: win ?? 64240,
    wscaleOffered: wscale,
    sentSyn: false,
    ipId: 0,
    tsval: 1,
    tsSent: 0,
  };
}
