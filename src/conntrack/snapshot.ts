/**
 * Table snapshots: `toJSON(table, now)` turns a connection table into JSON-safe data and
 * `fromJSON(data)` builds the same table back, connections, their protocol states, statistics,
 * settings, seed, pending events and the GRE key map included (what `ctkit conntrack` saves
 * between commands). Times stay absolute virtual seconds; `time` records when the snapshot was
 * taken.
 */
import { Conn } from './conn.js';
import { fromPlain, toPlain } from './plain.js';
import type { TrackerTable } from './proto/index.js';
import { defaultSettings, type ConntrackSettings } from './settings.js';
import { ConntrackTable } from './table.js';
import type { Tracker } from './tracker.js';
import { Tuple } from './tuple.js';

export const SNAPSHOT_FORMAT = 'ctkit-conntrack/1';

export interface TupleSnapshot {
  family: 4 | 6;
  proto: number;
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
}

export interface ConnSnapshot {
  orig: TupleSnapshot;
  reply: TupleSnapshot;
  status: number;
  mark: number;
  secmark: number;
  labels: number[];
  zone: number;
  /** Directions the zone applies to (1 original, 2 reply, 3 both); absent in older snapshots: 3. */
  zoneDir?: 1 | 2 | 3;
  helper: string | null;
  helperData: unknown;
  /** Index of the master connection in `conns`, or null. */
  master: number | null;
  expiresAt: number;
  createdAt: number;
  counters: [number, number, number, number];
  hasAcct: boolean;
  hasTstamp: boolean;
  hasEcache: boolean;
  tsStart: number;
  tsStop: number;
  id: number;
  refs: number;
  proto: unknown;
  ecache: number;
  lastMark: number;
  lastLabels: number[];
  clashHidden: boolean;
}

export interface TableSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** Virtual time the snapshot was taken at. */
  time: number;
  seed: number;
  settings: ConntrackSettings;
  stats: Record<string, number>;
  internals: { serial: number; gcEarlyDrop: boolean; gcEarlyDropSince: number };
  conns: ConnSnapshot[];
  greKeymap: Array<{ master: number; dir: 0 | 1; tuple: TupleSnapshot }>;
}

/** A tuple as plain JSON. */
export function tupleOut(t: Tuple): TupleSnapshot {
  return { family: t.family, proto: t.proto, src: Array.from(t.src), dst: Array.from(t.dst), sport: t.sport, dport: t.dport };
}

/** A tuple back from plain JSON, into `into`. */
export function tupleIn(into: Tuple, s: TupleSnapshot): void {
  into.family = s.family;
  into.proto = s.proto;
  into.src.set(s.src);
  into.dst.set(s.dst);
  into.sport = s.sport;
  into.dport = s.dport;
}

/** A connection's protocol state as plain JSON (the tracker's own form when it has one). */
export function saveProto(c: Conn): unknown {
  const t = c.tracker;
  return t.saveState ? t.saveState(c.proto) : toPlain(c.proto, `${t.name} state`);
}

/** Protocol state back from saveProto's JSON. */
export function loadProto(t: Tracker<unknown>, data: unknown): unknown {
  return t.loadState ? t.loadState(data) : fromPlain(data);
}

function connOut(c: Conn, index: Map<Conn, number>): ConnSnapshot {
  return {
    orig: tupleOut(c.orig),
    reply: tupleOut(c.reply),
    status: c.status,
    mark: c.mark,
    secmark: c.secmark,
    labels: Array.from(c.labels),
    zone: c.zone,
    zoneDir: c.zoneDir,
    helper: c.helperName,
    helperData: toPlain(c.helperData, 'helper data'),
    master: c.master !== null ? indexOf(index, c.master) : null,
    expiresAt: c.expiresAt,
    createdAt: c.createdAt,
    counters: [c.origPackets, c.origBytes, c.replyPackets, c.replyBytes],
    hasAcct: c.hasAcct,
    hasTstamp: c.hasTstamp,
    hasEcache: c.hasEcache,
    tsStart: c.tsStart,
    tsStop: c.tsStop,
    id: c.id,
    refs: c.refs,
    proto: saveProto(c),
    ecache: c.ecache,
    lastMark: c.lastMark,
    lastLabels: Array.from(c.lastLabels),
    clashHidden: c.clashHidden,
  };
}

function indexOf(index: Map<Conn | object, number>, c: Conn | object): number {
  const i = index.get(c);
  if (i === undefined) throw new Error('snapshot: a reference points to a connection that is not in the table');
  return i;
}

/** Snapshot of every confirmed connection and the table's state. */
export function toJSON(table: ConntrackTable, now: number): TableSnapshot {
  const conns = Array.from(table.all());
  const index = new Map<Conn, number>();
  conns.forEach((c, i) => index.set(c, i));
  const stats: Record<string, number> = {};
  for (const [k, v] of Object.entries(table.stats)) stats[k] = v as number;
  return {
    format: SNAPSHOT_FORMAT,
    time: now,
    seed: table.seed,
    settings: { ...table.settings },
    stats,
    internals: table.internals(),
    conns: conns.map((c) => connOut(c, index)),
    greKeymap: table.greKeymap.entries().map((e) => ({ master: indexOf(index, e.master), dir: e.dir, tuple: tupleOut(e.tuple) })),
  };
}

function connIn(s: ConnSnapshot, trackers: TrackerTable): Conn {
  const tracker = trackers[s.orig.proto & 0xff]!;
  const c = new Conn(tracker);
  tupleIn(c.orig, s.orig);
  tupleIn(c.reply, s.reply);
  c.status = s.status;
  c.mark = s.mark;
  c.secmark = s.secmark;
  c.labels.set(s.labels);
  c.zone = s.zone;
  c.zoneDir = s.zoneDir ?? 3;
  c.helperName = s.helper;
  c.helperData = fromPlain(s.helperData);
  c.expiresAt = s.expiresAt;
  c.createdAt = s.createdAt;
  [c.origPackets, c.origBytes, c.replyPackets, c.replyBytes] = s.counters;
  c.hasAcct = s.hasAcct;
  c.hasTstamp = s.hasTstamp;
  c.hasEcache = s.hasEcache;
  c.tsStart = s.tsStart;
  c.tsStop = s.tsStop;
  c.id = s.id;
  c.refs = s.refs;
  c.proto = loadProto(tracker, s.proto);
  c.ecache = s.ecache;
  c.lastMark = s.lastMark;
  c.lastLabels.set(s.lastLabels);
  c.clashHidden = s.clashHidden;
  return c;
}

/** Rebuilds a table from `toJSON`'s data (throws on data of another format). */
export function fromJSON(data: unknown, trackers?: TrackerTable): ConntrackTable {
  const snap = data as TableSnapshot;
  if (typeof data !== 'object' || data === null || snap.format !== SNAPSHOT_FORMAT) {
    throw new Error(`not a conntrack table snapshot (expected format "${SNAPSHOT_FORMAT}")`);
  }
  const settings: ConntrackSettings = { ...defaultSettings(), ...snap.settings };
  const table = new ConntrackTable({ settings, seed: snap.seed, trackers });
  const registry = trackers ?? defaultRegistryOf(table);
  const conns = snap.conns.map((s) => connIn(s, registry));
  snap.conns.forEach((s, i) => {
    if (s.master !== null) conns[i]!.master = conns[s.master] ?? null;
  });
  for (const c of conns) table.restore(c);
  for (const [k, v] of Object.entries(snap.stats)) {
    if (k in table.stats) (table.stats as unknown as Record<string, number>)[k] = v;
  }
  table.restoreInternals(snap.internals);
  for (const e of snap.greKeymap) {
    const t = new Tuple();
    tupleIn(t, e.tuple);
    table.greKeymap.add(conns[e.master]!, e.dir, t);
  }
  return table;
}

/** The registry a table uses (its trackers by protocol number). */
function defaultRegistryOf(table: ConntrackTable): TrackerTable {
  const out: Tracker<unknown>[] = [];
  for (let p = 0; p < 256; p++) out.push(table.trackerFor(p));
  return out;
}
