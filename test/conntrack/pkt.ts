/**
 * Test helper: packets for the conntrack tests (built with packet/build.ts, decoded into fresh
 * views) and a small driver that runs a packet through a table the way the pipeline does
 * (track at PREROUTING, then confirm or discard) while collecting `conntrack -E` lines.
 */
import { defaultSettings, type ConntrackSettings } from '../../src/conntrack/settings.js';
import { ConntrackTable, type TrackOptions } from '../../src/conntrack/table.js';
import type { TrackerTable } from '../../src/conntrack/proto/index.js';
import type { CtEvent } from '../../src/conntrack/events.js';
import { formatEvent } from '../../src/format/conntrack.js';
import { Hook } from '../../src/netfilter/context.js';
import { icmp, icmpEcho, icmpError, ipv4, ipv6, udp, type Segment } from '../../src/packet/build.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';

export const T0 = 1700000000;

/** Decodes raw IP bytes into a fresh view. */
export function view(bytes: Uint8Array): PacketView {
  return decodeIp(new PacketView(), bytes);
}

/** IPv4 or IPv6 packet (by the address text) around a segment, decoded. */
export function ip(src: string, dst: string, seg: Segment | Uint8Array, opts: { ttl?: number } = {}): PacketView {
  const bytes = src.includes(':') ? ipv6({ src, dst, payload: seg, hopLimit: opts.ttl }) : ipv4({ src, dst, payload: seg, ttl: opts.ttl });
  return view(bytes);
}

export function udpPkt(src: string, sport: number, dst: string, dport: number, payload = 'data'): PacketView {
  return ip(src, dst, udp({ sport, dport, payload }));
}

export function echo(src: string, dst: string, id: number, reply = false): PacketView {
  return ip(src, dst, icmpEcho({ id, seq: 1, reply }));
}

/** An ICMP error (type/code) from `from` to `to` quoting `quoted`'s bytes. */
export function icmpErr(from: string, to: string, type: number, code: number, quoted: PacketView): PacketView {
  const q = quoted.buf.subarray(quoted.l3Off, quoted.ipEnd);
  return ip(from, to, icmpError({ type, code, quote: q }));
}

export function icmpRaw(src: string, dst: string, type: number, code = 0, id = 0): PacketView {
  return ip(src, dst, icmp({ type, code, id, seq: 1 }));
}

/** Settings with accounting on (as the corpus records), other fields overridden. */
export function settings(over: Partial<ConntrackSettings> = {}): ConntrackSettings {
  return { ...defaultSettings(), acct: true, ...over };
}

/** A table with a fixed seed, its events collected as conntrack -E lines and as objects. */
export class Harness {
  readonly table: ConntrackTable;
  readonly lines: string[] = [];
  readonly events: CtEvent[] = [];

  constructor(s: ConntrackSettings = settings(), seed = 42, trackers?: TrackerTable) {
    this.table = new ConntrackTable({ settings: s, seed, trackers });
    this.table.onEvent((ev) => {
      this.events.push(ev);
      this.lines.push(formatEvent(ev));
    });
  }

  /** Runs a packet: track at `hook`, then confirm (or discard when `drop`). Returns state, dir, conn. */
  run(pkt: PacketView, now: number, opts: { drop?: boolean; hook?: number; track?: TrackOptions } = {}) {
    const r = this.table.track(pkt, opts.hook ?? Hook.PREROUTING, now, opts.track);
    const out = { state: r.state, dir: r.dir, conn: r.conn, reason: r.reason, drop: r.drop };
    if (r.conn) {
      if (opts.drop) this.table.discard(r.conn);
      else out.conn = this.table.confirm(r.conn, now, r.dir);
    }
    return out;
  }

  /** Event lines since the last call. */
  take(): string[] {
    const l = this.lines.splice(0);
    this.events.splice(0);
    return l;
  }
}
