/**
 * The table file `ctkit replay --save-table` writes and `ctkit conntrack --table` / `ctkit
 * explain` read: the connection table's snapshot (conntrack/snapshot.ts, format
 * "ctkit-conntrack/1") with one more field, `expect`, the expectation table as the lines
 * `conntrack -L expect` prints at the time of the snapshot.
 */
import type { TableSnapshot } from '../conntrack/snapshot.js';

export interface SavedTable extends TableSnapshot {
  expect?: string[];
}

/** The expectation lines of a saved table ([] for a snapshot without them), or null when the field is malformed. */
export function savedExpectations(data: unknown): string[] | null {
  const v = (data as SavedTable).expect;
  if (v === undefined) return [];
  return Array.isArray(v) && v.every((l) => typeof l === 'string') ? [...v] : null;
}
