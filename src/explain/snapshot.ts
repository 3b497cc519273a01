/**
 * Entries of a saved table (ctkit replay --save-table) for `ctkit explain`: each connection as
 * its `conntrack -L` line reads, plus what only the table knows: the status bits and, for a
 * RELATED connection, the master that expected it; then the expectations it saved.
 */
import type { Conn } from '../conntrack/conn.js';
import { fromJSON, type TableSnapshot } from '../conntrack/snapshot.js';
import { formatConntrack } from '../format/conntrack.js';
import { savedExpectations } from '../ctcli/saved.js';
import { parseLine, type ParsedConn, type ParsedEntry, type ParsedExpect, type ParsedTuple } from './parse.js';

function asConn(line: string): ParsedConn {
  const e = parseLine(line, 0);
  if (e === null || e.kind !== 'conn') throw new Error(`conntrack -L printed a line explain cannot read: ${line}`);
  return e;
}

function masterOf(c: Conn, now: number): ParsedConn['master'] {
  if (c.master === null) return undefined;
  const m = asConn(formatConntrack(c.master, now));
  const orig: ParsedTuple = m.orig;
  return { orig, protonum: m.protonum, helper: c.master.helperName };
}

function asExpect(line: string): ParsedExpect {
  const e = parseLine(line, 0);
  if (e === null || e.kind !== 'expect') throw new Error(`a saved expectation line explain cannot read: ${line}`);
  return e;
}

/** The connections of a saved table in listing order, then its expectations. */
export function entriesFromSnapshot(data: unknown): ParsedEntry[] {
  const expect = savedExpectations(data);
  if (expect === null) throw new Error('the saved table\'s "expect" is not a list of conntrack -L expect lines');
  return [...connections(data), ...expect.map(asExpect)];
}

function connections(data: unknown): ParsedConn[] {
  const table = fromJSON(data);
  const now = (data as TableSnapshot).time;
  const out: ParsedConn[] = [];
  for (const c of table) {
    const e = asConn(formatConntrack(c, now));
    e.source = 'snapshot';
    e.status = c.status;
    const master = masterOf(c, now);
    if (master) e.master = master;
    out.push(e);
  }
  return out;
}
