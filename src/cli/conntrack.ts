/**
 * `ctkit conntrack --table FILE [--events FILE] [--connlabel FILE] CONNTRACK-ARGS...`
 *
 * The conntrack-tools 1.4.7 command line over a table saved by `ctkit replay --save-table`:
 * -L -G -D -U -F -E -C -S with their filters and output formats, the tool's messages on stderr
 * and its exit status (src/ctcli does the work). Commands that change the table (-D, -U, -F,
 * -L -z) write it back to FILE, as they would change the kernel's table. -E reads the events a
 * replay recorded with --events.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultTrackers } from '../conntrack/proto/index.js';
import { fromJSON, toJSON, type TableSnapshot } from '../conntrack/snapshot.js';
import type { ConntrackTable } from '../conntrack/table.js';
import { EventsFileError, parseEventsFile, type RecordedEvent } from '../ctcli/events.js';
import { InputOptionError, splitInputs } from '../ctcli/inputs.js';
import { parseConnlabel } from '../ctcli/labels.js';
import { savedExpectations, type SavedTable } from '../ctcli/saved.js';
import type { LabelSource } from '../ctcli/parse.js';
import { ConntrackInputError, runConntrack, type ConntrackResult } from '../ctcli/run.js';
import { CliError, registerKnownError, runAction } from './errors.js';

registerKnownError(ConntrackInputError);
registerKnownError(EventsFileError);
registerKnownError(InputOptionError);

export function registerConntrack(program: Command): void {
  program
    .command('conntrack')
    .description('the conntrack command line (conntrack-tools 1.4.7) over a table saved by ctkit replay --save-table')
    .argument('[args...]', 'conntrack arguments (-L, -G, -D, -U, -F, -E, -C, -S and their options), plus --table FILE, --events FILE, --connlabel FILE')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(runAction((args: string[]) => {
      const result = conntrackCommand(args);
      if (result.stdout.length > 0) process.stdout.write(`${result.stdout.join('\n')}\n`);
      if (result.stderr.length > 0) process.stderr.write(`${result.stderr.join('\n')}\n`);
      process.exitCode = result.status;
    }));
}

/** Reads a saved table, the virtual time it was saved at and its expectations. */
export function readTable(path: string): { table: ConntrackTable; now: number; expect: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new CliError(`${path}: not JSON (expected a table saved by ctkit replay --save-table)`);
    throw e;
  }
  try {
    const expect = savedExpectations(data);
    if (expect === null) throw new CliError(`${path}: "expect" must be a list of conntrack -L expect lines`);
    return { table: fromJSON(data), now: (data as TableSnapshot).time, expect };
  } catch (e) {
    if (e instanceof Error) throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Writes a table as `ctkit replay --save-table` does (`expect`: the expectation table's lines). */
export function writeTable(path: string, table: ConntrackTable, now: number, expect: readonly string[]): void {
  const saved: SavedTable = { ...toJSON(table, now), expect: [...expect] };
  writeFileSync(path, `${JSON.stringify(saved)}\n`);
}

function readEvents(path: string): RecordedEvent[] {
  return parseEventsFile(readFileSync(path, 'utf8'), path);
}

/** connlabel.conf, or what the library says when there is none. */
function readLabels(path: string | undefined): LabelSource {
  if (path === undefined) return { map: null, why: 'No such file or directory' };
  const map = parseConnlabel(readFileSync(path, 'utf8'));
  return { map, why: 'Success' };
}

/** Runs the command over the files it names; saves the table when the command changed it. */
export function conntrackCommand(args: readonly string[]): ConntrackResult {
  const inputs = splitInputs(args);
  const loaded = inputs.table !== undefined ? readTable(inputs.table) : null;
  const result = runConntrack(inputs.rest, {
    table: loaded?.table ?? null,
    now: loaded?.now ?? 0,
    expect: loaded?.expect ?? [],
    events: inputs.events !== undefined ? readEvents(inputs.events) : null,
    labels: readLabels(inputs.connlabel),
    trackers: defaultTrackers(),
  });
  if (result.changed && loaded !== null) writeTable(inputs.table!, loaded.table, loaded.now, loaded.expect);
  return result;
}
