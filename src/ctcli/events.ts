/**
 * Recorded conntrack events: what `ctkit replay --events FILE` writes, one JSON object a line,
 * and what `ctkit conntrack -E --events FILE` reads back.
 *
 *   {"time":1700000000.25,"line":"    [NEW] tcp      6 120 SYN_SENT src=...","type":"NEW","bits":1,"conn":{...}}
 *
 * `time` is the event's virtual time and `line` the event as `conntrack -E` prints it by default;
 * `type`, `bits` and `conn` (the connection as the event saw it: tuples, status, mark, labels,
 * zone, helper, id, timeout, counters, timestamps and the protocol state) let -E apply its
 * filters and print any -o format, since those depend on more than the default line shows.
 * Expectation events are recorded as their `conntrack -E expect` line:
 *
 *   {"time":1700000001.5,"line":"    [NEW] 300 proto=6 src=...","expect":true}
 */
import { Conn } from '../conntrack/conn.js';
import type { CtEvent, CtEventType } from '../conntrack/events.js';
import { loadProto, saveProto, tupleIn, tupleOut, type TupleSnapshot } from '../conntrack/snapshot.js';
import type { TrackerTable } from '../conntrack/proto/index.js';
import type { Tuple } from '../conntrack/tuple.js';
import { formatEvent } from '../format/conntrack.js';

/** A tuple as recorded (the snapshot's form). */
export type RecordedTuple = TupleSnapshot;

export interface RecordedConn {
  orig: RecordedTuple;
  reply: RecordedTuple;
  status: number;
  mark: number;
  labels: number[];
  zone: number;
  zoneDir?: 1 | 2 | 3;
  helper: string | null;
  id: number;
  refs: number;
  expiresAt: number;
  createdAt: number;
  counters: [number, number, number, number];
  acct: boolean;
  tstamp: boolean;
  tsStart: number;
  tsStop: number;
  proto: unknown;
}

export interface EventRecord {
  time: number;
  line: string;
  type: CtEventType;
  bits: number;
  conn: RecordedConn;
}

/** An expectation event: its time and `conntrack -E expect` line. */
export interface ExpectEventRecord {
  time: number;
  line: string;
  expect: true;
}

export type RecordedEvent = EventRecord | ExpectEventRecord;

export function isExpectRecord(r: RecordedEvent): r is ExpectEventRecord {
  return (r as ExpectEventRecord).expect === true;
}

/** A recorded events file that cannot be read. */
export class EventsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventsFileError';
  }
}

/** The record of an event, taken when it happens (the connection changes afterwards). */
export function recordEvent(ev: CtEvent): EventRecord {
  const c = ev.conn;
  return {
    time: ev.time,
    line: formatEvent(ev),
    type: ev.type,
    bits: ev.bits,
    conn: {
      orig: tupleOut(c.orig),
      reply: tupleOut(c.reply),
      status: c.status,
      mark: c.mark,
      labels: Array.from(c.labels),
      zone: c.zone,
      zoneDir: c.zoneDir,
      helper: c.helperName,
      id: c.id,
      refs: c.refs,
      expiresAt: c.expiresAt,
      createdAt: c.createdAt,
      counters: [c.origPackets, c.origBytes, c.replyPackets, c.replyBytes],
      acct: c.hasAcct,
      tstamp: c.hasTstamp,
      tsStart: c.tsStart,
      tsStop: c.tsStop,
      proto: saveProto(c),
    },
  };
}

/** The event back from its record, with a connection as it was then. */
export function eventFromRecord(r: EventRecord, trackers: TrackerTable): CtEvent {
  const s = r.conn;
  const tracker = trackers[s.orig.proto & 0xff]!;
  const c = new Conn(tracker);
  tupleIn(c.orig, s.orig);
  tupleIn(c.reply, s.reply);
  c.status = s.status;
  c.mark = s.mark;
  c.labels.set(s.labels);
  c.zone = s.zone;
  c.zoneDir = s.zoneDir ?? 3;
  c.helperName = s.helper;
  c.id = s.id;
  c.refs = s.refs;
  c.expiresAt = s.expiresAt;
  c.createdAt = s.createdAt;
  [c.origPackets, c.origBytes, c.replyPackets, c.replyBytes] = s.counters;
  c.hasAcct = s.acct;
  c.hasTstamp = s.tstamp;
  c.tsStart = s.tsStart;
  c.tsStop = s.tsStop;
  c.proto = loadProto(tracker, s.proto);
  return { type: r.type, conn: c, time: r.time, bits: r.bits };
}

const TYPES = new Set<string>(['NEW', 'UPDATE', 'DESTROY']);

function isRecord(v: unknown): v is RecordedEvent {
  if (typeof v !== 'object' || v === null) return false;
  const x = v as Partial<ExpectEventRecord>;
  if (x.expect === true) return typeof x.time === 'number' && typeof x.line === 'string';
  const r = v as Partial<EventRecord>;
  return (
    typeof r.time === 'number' &&
    typeof r.line === 'string' &&
    typeof r.type === 'string' &&
    TYPES.has(r.type) &&
    typeof r.bits === 'number' &&
    typeof r.conn === 'object' &&
    r.conn !== null &&
    typeof r.conn.orig === 'object'
  );
}

/** Parses an events file (JSON lines); names the first bad line. */
export function parseEventsFile(text: string, file: string): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new EventsFileError(`${file}:${i + 1}: not JSON (expected one event a line, as ctkit replay --events writes)`);
    }
    if (!isRecord(v)) throw new EventsFileError(`${file}:${i + 1}: not a recorded event (expected time, line, and type, bits and conn or expect)`);
    out.push(v);
  });
  return out;
}
