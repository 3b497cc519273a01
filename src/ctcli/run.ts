/**
 * `conntrack` over a saved table: runs one parsed command line against a ConntrackTable (and,
 * for -E, the events a replay recorded) and gives back what conntrack-tools 1.4.7 would print,
 * on which stream, and its exit status, as do_command_ct and print_stats decide them.
 *
 * The table plays the kernel's part: -L dumps it (with the kernel's dump filters), -G looks a
 * tuple up, -D / -U / -F / -L -z change it (`changed` tells the caller to save it). Where the
 * tool relies on a kernel answer, the kernel's answer is given (ENOENT, EINVAL, EOPNOTSUPP for an
 * update with no address family, as 1.4.7 sends it to 6.18).
 */
import type { Conn } from '../conntrack/conn.js';
import type { CtEvent } from '../conntrack/events.js';
import type { TrackerTable } from '../conntrack/proto/index.js';
import type { ConntrackTable } from '../conntrack/table.js';
import { Tuple } from '../conntrack/tuple.js';
import { dumpAttrs, eventAttrs, type CtAttrs } from '../format/ct-attrs.js';
import {
  formatConntrack,
  formatConntrackXml,
  formatCount,
  formatEvent,
  formatEventXml,
  formatExpectStats,
  formatStats,
  XML_FOOTER,
  XML_HEADER,
  type CtFormatOptions,
} from '../format/conntrack.js';
import { eventFromRecord, isExpectRecord, type RecordedEvent } from './events.js';
import { dropWithMasters, expectationsOf, findExpectation } from './expectations.js';
import { filterInit, kernelSelects, selects, type Networks } from './filter.js';
import { bit, Cmd, CT_COMPARISON, EventMask, Opt, Out } from './model.js';
import { OtherProblem, ParameterProblem, parseCommandLine, type CtCommand, type LabelSource } from './parse.js';
import { formatSave, type SaveKind } from './save.js';
import { applyUpdate, planUpdate } from './update.js';
import { protoHelpLines, usageLines, VERSION_LINE } from './usage.js';

export const PREFIX = `${VERSION_LINE}: `;
const TRY_HELP = "Try `conntrack -h' or 'conntrack --help' for more information.";

/** What ctkit needs to run the command and does not have (no --table, no --events, -I). */
export class ConntrackInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConntrackInputError';
  }
}

export interface ConntrackEnv {
  /** The table of --table, or null. */
  table: ConntrackTable | null;
  /** Virtual time of the table (its snapshot's time). */
  now: number;
  /** The saved table's expectations, as `conntrack -L expect` lines (changed in place by -D, -F, -D expect, -F expect). */
  expect: string[];
  /** The events of --events, or null. */
  events: RecordedEvent[] | null;
  labels: LabelSource;
  /** Trackers to rebuild recorded events with. */
  trackers: TrackerTable;
}

export interface ConntrackResult {
  stdout: string[];
  stderr: string[];
  status: number;
  /** The table was changed (-D, -U, -F, -L -z): save it. */
  changed: boolean;
}

/** The exit messages of print_stats. */
const EXIT_MSG: Partial<Record<Cmd, string>> = {
  [Cmd.CT_LIST]: 'flow entries have been shown.',
  [Cmd.CT_UPDATE]: 'flow entries have been updated.',
  [Cmd.CT_DELETE]: 'flow entries have been deleted.',
  [Cmd.CT_GET]: 'flow entries have been shown.',
  [Cmd.EXP_LIST]: 'expectations have been shown.',
  [Cmd.EXP_DELETE]: 'expectations have been shown.',
};

/** A failure that ends the command the way exit_error does. */
class Exit extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

class Runner {
  readonly out: string[] = [];
  readonly err: string[];
  changed = false;
  counter = 0;
  private xmlHeader = false;

  constructor(
    readonly cmd: CtCommand,
    readonly env: ConntrackEnv,
    warnings: string[],
  ) {
    this.err = warnings;
  }

  get table(): ConntrackTable {
    return this.requireTable();
  }

  /** The table, or the error saying the command needs one. */
  requireTable(): ConntrackTable {
    if (this.env.table === null) throw new ConntrackInputError(`conntrack ${commandName(this.cmd.cmd)} needs --table FILE (a table saved by ctkit replay --save-table)`);
    return this.env.table;
  }

  fail(message: string): never {
    throw new Exit(1, message);
  }

  /** Format options for the tool's printers; `labels` only where the printer is given the label map. */
  formatOptions(withKtimestamp: boolean, withLabels: boolean): CtFormatOptions {
    const o = this.cmd.output;
    const names = withLabels && this.cmd.labelsUsed ? this.env.labels.map?.names : undefined;
    return { extended: (o & Out.EXT) !== 0, id: (o & Out.ID) !== 0, ktimestamp: withKtimestamp && (o & Out.KTMS) !== 0, ...(names ? { labels: names } : {}) };
  }

  /** A dumped entry as -L / -G / -D / -U print it. */
  printEntry(conn: Conn, kind: SaveKind, opts: CtFormatOptions, xmlHeader: boolean, extraUse: boolean): void {
    if (extraUse) conn.refs++;
    try {
      const o = this.cmd.output;
      if (o & Out.SAVE) this.out.push(formatSave(dumpAttrs(conn, this.env.now), kind));
      else if (o & Out.XML) {
        if (xmlHeader) this.openXml();
        this.out.push(formatConntrackXml(conn, this.env.now, opts));
      } else this.out.push(formatConntrack(conn, this.env.now, opts));
    } finally {
      if (extraUse) conn.refs--;
    }
  }

  openXml(): void {
    if (this.xmlHeader) return;
    this.xmlHeader = true;
    this.out.push(...XML_HEADER.split('\n'));
  }

  closeXml(): void {
    if (this.xmlHeader) this.out.push(XML_FOOTER);
  }

  networks(): Networks {
    const nets = filterInit(this.cmd);
    if (typeof nets === 'string') throw new ParameterProblem(nets);
    return nets;
  }

  /** Entries in listing order, the kernel's family filter applied. */
  entries(): Conn[] {
    return Array.from(this.table).filter((c) => kernelSelects(this.cmd.family, null, null, c));
  }
}

function commandName(cmd: Cmd | null): string {
  const names: Partial<Record<Cmd, string>> = {
    [Cmd.CT_LIST]: '-L',
    [Cmd.CT_GET]: '-G',
    [Cmd.CT_DELETE]: '-D',
    [Cmd.CT_UPDATE]: '-U',
    [Cmd.CT_FLUSH]: '-F',
    [Cmd.CT_EVENT]: '-E',
    [Cmd.CT_COUNT]: '-C',
    [Cmd.CT_STATS]: '-S',
    [Cmd.EXP_LIST]: '-L expect',
    [Cmd.EXP_GET]: '-G expect',
    [Cmd.EXP_DELETE]: '-D expect',
    [Cmd.EXP_FLUSH]: '-F expect',
    [Cmd.EXP_STATS]: '-S expect',
    [Cmd.EXP_COUNT]: '-C expect',
  };
  return cmd === null ? '' : (names[cmd] ?? '');
}

// ------------------------------------------------------------------------------------------------
// -L

function list(r: Runner): void {
  const cmd = r.cmd;
  if (cmd.table === 'dying' || cmd.table === 'unconfirmed') return; // a saved table holds confirmed entries only
  const zero = (cmd.options & bit(Opt.ZERO)) !== 0;
  if (cmd.options & CT_COMPARISON && zero) throw new ParameterProblem("Can't use -z with filtering parameters");
  const nets = r.networks();
  const t = cmd.template;
  if (t.kernelStatus !== null && t.kernelStatus.mask === 0) r.fail('Operation failed: invalid parameters');
  const opts = r.formatOptions(true, true);
  for (const c of r.table) {
    if (!kernelSelects(cmd.family, t.kernelMark, t.kernelStatus, c)) continue;
    if (selects(cmd, nets, dumpAttrs(c, r.env.now))) {
      r.printEntry(c, 'A', opts, true, false);
      r.counter++;
    }
    if (zero) zeroCounters(r, c);
  }
  r.closeXml();
}

/** -L -z: the kernel zeroes the counters of every entry it dumped. */
function zeroCounters(r: Runner, c: Conn): void {
  if (!c.hasAcct) return;
  c.origPackets = c.origBytes = c.replyPackets = c.replyBytes = 0;
  r.changed = true;
}

// ------------------------------------------------------------------------------------------------
// -G

const PORT_PROTOS = new Set([6, 17, 136, 132, 47]);
const ICMP_INVERTIBLE: Readonly<Record<number, readonly number[]>> = { 1: [0, 8, 13, 14, 15, 16, 17, 18], 58: [128, 129, 139, 140] };

/** The tuple -G asks the kernel for, or the kernel's refusal. */
function getTuple(r: Runner): Tuple {
  const t = r.cmd.template;
  const o = t.orig;
  // -p always puts a protocol into the original tuple: without its addresses the kernel refuses it.
  if (o.src === undefined || o.dst === undefined || o.l4 === undefined) r.fail('Operation failed: invalid parameters');
  const tuple = new Tuple();
  tuple.family = o.src.family;
  tuple.proto = o.l4;
  tuple.src.set(o.src.words);
  tuple.dst.set(o.dst.words);
  if (PORT_PROTOS.has(o.l4)) {
    if (o.sport === undefined || o.dport === undefined) r.fail('Operation failed: No data available');
    tuple.sport = o.sport;
    tuple.dport = o.dport;
  } else if (o.l4 in ICMP_INVERTIBLE) {
    if (!ICMP_INVERTIBLE[o.l4]!.includes(t.icmpType ?? -1)) r.fail('Operation failed: invalid parameters');
    tuple.sport = t.icmpId ?? 0;
    tuple.dport = ((t.icmpType ?? 0) << 8) | (t.icmpCode ?? 0);
  }
  return tuple;
}

function get(r: Runner): void {
  const conn = r.table.get(getTuple(r), 0);
  if (conn === null) r.fail("Operation failed: such conntrack doesn't exist");
  if (!selects(r.cmd, { src: null, dst: null }, dumpAttrs(conn, r.env.now))) return;
  // The tool prints the XML header for the entry but, unlike -L, never closes the document.
  r.printEntry(conn, 'A', r.formatOptions(true, true), true, true);
  r.counter++;
}

// ------------------------------------------------------------------------------------------------
// -D -F

function del(r: Runner): void {
  const cmd = r.cmd;
  const nets = r.networks();
  const opts = r.formatOptions(false, false);
  for (const c of r.entries()) {
    if (!kernelSelects(0, cmd.template.kernelMark, null, c)) continue;
    if (!selects(cmd, nets, dumpAttrs(c, r.env.now))) continue;
    r.printEntry(c, 'D', opts, false, false);
    r.table.delete(c, r.env.now);
    dropWithMasters(r.env.expect, [c]);
    r.changed = true;
    r.counter++;
  }
}

/** -F: the 6.18 kernel flushes every entry, whatever family the request names (-F -f ipv6 included). */
function flush(r: Runner): void {
  for (const c of Array.from(r.table)) r.table.delete(c, r.env.now);
  r.env.expect.length = 0;
  r.changed = true;
  r.err.push(`${PREFIX}connection tracking table has been emptied.`);
}

// ------------------------------------------------------------------------------------------------
// -U

function update(r: Runner): void {
  const cmd = r.cmd;
  const nets = r.networks();
  const opts = r.formatOptions(false, true);
  for (const c of r.entries()) {
    const plan = planUpdate(cmd, nets, dumpAttrs(c, r.env.now));
    if (plan === null) continue;
    // 1.4.7 sends the change with the family it was given: none is refused, and so is the
    // lookup that follows, which ends the command.
    if (cmd.family === 0) {
      r.err.push('Operation failed: Operation not supported');
      r.fail('Operation failed: Operation not supported');
    }
    const error = applyUpdate(r.table, c, plan, r.env.now);
    if (error !== null) r.err.push(`Operation failed: ${error}`);
    else r.changed = true;
    r.printEntry(c, 'A', opts, false, true);
    r.counter++;
  }
}

// ------------------------------------------------------------------------------------------------
// -E

const EVENT_BITS: Readonly<Record<CtEvent['type'], number>> = { NEW: EventMask.NEW, UPDATE: EventMask.UPDATE, DESTROY: EventMask.DESTROY };
const EVENT_SAVE: Readonly<Record<CtEvent['type'], SaveKind>> = { NEW: 'A', UPDATE: 'U', DESTROY: 'D' };

/** "[SECONDS.MICROS]\t" of -o timestamp (the event's time, where the tool takes the clock's). */
function timestampPrefix(time: number): string {
  const micros = Math.round(time * 1e6);
  const sec = Math.floor(micros / 1e6);
  return `[${String(sec).padStart(8, '0')}.${String(micros - sec * 1e6).padStart(6, '0')}]\t`;
}

/** <when> of -o xml,timestamp (UTC), after the last </meta>. */
function withWhen(xml: string, time: number): string {
  const d = new Date(Math.floor(time) * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const when =
    `<when><hour>${d.getUTCHours()}</hour><min>${two(d.getUTCMinutes())}</min><sec>${two(d.getUTCSeconds())}</sec>` +
    `<wday>${d.getUTCDay() + 1}</wday><day>${d.getUTCDate()}</day><month>${d.getUTCMonth() + 1}</month><year>${d.getUTCFullYear()}</year></when>`;
  const at = xml.lastIndexOf('</meta>') + '</meta>'.length;
  return xml.slice(0, at) + when + xml.slice(at);
}

function eventLine(r: Runner, ev: CtEvent, a: CtAttrs, opts: CtFormatOptions): string {
  const o = r.cmd.output;
  if (o & Out.SAVE) return formatSave(a, EVENT_SAVE[ev.type]);
  if (o & Out.XML) {
    r.openXml();
    const xml = formatEventXml(ev, opts);
    return o & Out.TMS ? withWhen(xml, ev.time) : xml;
  }
  return (o & Out.TMS ? timestampPrefix(ev.time) : '') + formatEvent(ev, opts);
}

const SOCK_MIN_RCVBUF = 2304;

function events(r: Runner): void {
  const cmd = r.cmd;
  const records = r.env.events;
  if (records === null) throw new ConntrackInputError('conntrack -E needs --events FILE (events recorded by ctkit replay --events)');
  if (cmd.options & bit(Opt.BUFFERSIZE)) {
    r.err.push(`NOTICE: Netlink socket buffer size has been set to ${Math.max(cmd.bufferSize * 2, SOCK_MIN_RCVBUF)} bytes.`);
  }
  const nets = r.networks();
  const mask = cmd.options & bit(Opt.EVENT_MASK) ? cmd.eventMask : EventMask.ALL;
  const opts = r.formatOptions(true, true);
  for (const rec of records) {
    if (isExpectRecord(rec) || !(mask & EVENT_BITS[rec.type])) continue;
    const ev = eventFromRecord(rec, r.env.trackers);
    const a = eventAttrs(ev);
    if (cmd.family !== 0 && cmd.family !== ev.conn.family) continue;
    if (!selects(cmd, nets, a)) continue;
    r.out.push(eventLine(r, ev, a, opts));
    r.counter++;
  }
  // The recording ends as the tool ends on a signal.
  r.closeXml();
  r.err.push(`${PREFIX}${r.counter} flow events have been shown.`);
}

// ------------------------------------------------------------------------------------------------
// dispatch

function help(r: Runner): void {
  r.out.push(...usageLines());
  if (r.cmd.cmd === Cmd.CT_HELP && r.cmd.proto !== null) r.out.push(...protoHelpLines(r.cmd.proto, r.cmd.protonum));
}

/** "[SECONDS .MICROS]\t": the expectation printers pad with blanks where the connection ones pad with zeros. */
function expectTimestamp(time: number): string {
  const micros = Math.round(time * 1e6);
  const sec = Math.floor(micros / 1e6);
  return `[${String(sec).padEnd(8)}.${String(micros - sec * 1e6).padEnd(6)}]\t`;
}

/** The expectation printers of ctkit have the lines only: no XML. */
function expectLines(r: Runner, lines: readonly string[], time: (i: number) => number): string[] {
  if (r.cmd.output & Out.XML && lines.length > 0) throw new ConntrackInputError('conntrack expect -o xml: ctkit keeps expectations as their conntrack -L expect lines, without the XML form');
  return lines.map((l, i) => (r.cmd.output & Out.TMS ? expectTimestamp(time(i)) : '') + l);
}

function expectEvents(r: Runner): void {
  const records = r.env.events;
  if (records === null) throw new ConntrackInputError('conntrack -E expect needs --events FILE (events recorded by ctkit replay --events)');
  const mine = records.filter(isExpectRecord);
  r.out.push(...expectLines(r, mine.map((e) => e.line), (i) => mine[i]!.time));
  r.err.push(`${PREFIX}${mine.length} expectation events have been shown.`);
}

/** -G expect / -D expect: the expectation with the tuple given, or the kernel's ENOENT. */
function expectByTuple(r: Runner, remove: boolean): void {
  r.requireTable();
  const i = findExpectation(r.env.expect, r.cmd.template);
  if (i < 0) r.fail('Operation failed: No such file or directory');
  if (!remove) {
    r.out.push(...expectLines(r, [r.env.expect[i]!], () => r.env.now));
    r.counter++;
    return;
  }
  r.env.expect.splice(i, 1);
  r.changed = true;
}

/** Expectation commands, over the saved table's expectations. */
function expectations(r: Runner): void {
  if (r.cmd.cmd !== Cmd.EXP_EVENT) r.requireTable();
  const all = (): string[] => expectationsOf(r.env.expect, r.cmd.family);
  switch (r.cmd.cmd) {
    case Cmd.EXP_LIST: {
      const lines = all();
      r.out.push(...expectLines(r, lines, () => r.env.now));
      r.counter += lines.length;
      return;
    }
    case Cmd.EXP_GET:
      return expectByTuple(r, false);
    case Cmd.EXP_DELETE:
      return expectByTuple(r, true);
    case Cmd.EXP_FLUSH:
      r.env.expect.length = 0;
      r.changed = true;
      r.err.push(`${PREFIX}expectation table has been emptied.`);
      return;
    case Cmd.EXP_EVENT:
      return expectEvents(r);
    case Cmd.EXP_COUNT:
      r.out.push(formatCount(all().length));
      return;
    case Cmd.EXP_STATS:
      r.out.push(...formatExpectStats(r.table.stats));
      return;
    default:
      return;
  }
}

function execute(r: Runner): void {
  switch (r.cmd.cmd) {
    case Cmd.CT_LIST:
      return list(r);
    case Cmd.CT_GET:
      return get(r);
    case Cmd.CT_DELETE:
      return del(r);
    case Cmd.CT_UPDATE:
      return update(r);
    case Cmd.CT_FLUSH:
      return flush(r);
    case Cmd.CT_EVENT:
      return events(r);
    case Cmd.CT_COUNT:
      r.out.push(formatCount(r.table.count));
      return;
    case Cmd.CT_STATS:
      r.out.push(...formatStats(r.table.stats));
      return;
    case Cmd.CT_VERSION:
      r.out.push(VERSION_LINE);
      return;
    case Cmd.CT_CREATE:
    case Cmd.CT_ADD:
    case Cmd.EXP_CREATE:
      throw new ConntrackInputError('conntrack -I / -A: ctkit does not create entries by hand; entries come from the packets of a replay');
    case Cmd.CT_HELP:
    case null:
      return help(r);
    default:
      return expectations(r);
  }
}

/** print_stats: the count message, and status 1 when a command that must find entries found none. */
function printStats(r: Runner): number {
  const c = r.cmd.cmd;
  if (c === null) return 0;
  const msg = EXIT_MSG[c];
  if (msg === undefined) return 0;
  r.err.push(`${PREFIX}${r.counter} ${msg}`);
  return r.counter === 0 && c !== Cmd.CT_LIST && c !== Cmd.EXP_LIST ? 1 : 0;
}

/** Runs `conntrack ARGS...` (without the program name) over the environment. */
export function runConntrack(argv: readonly string[], env: ConntrackEnv): ConntrackResult {
  const warnings: string[] = [];
  let cmd: CtCommand;
  try {
    cmd = parseCommandLine(argv, env.labels, warnings);
  } catch (e) {
    if (e instanceof ParameterProblem) return { stdout: [], stderr: [...warnings, PREFIX + e.message, TRY_HELP], status: 2, changed: false };
    if (e instanceof OtherProblem) return { stdout: [], stderr: [...warnings, PREFIX + e.message], status: 1, changed: false };
    throw e;
  }
  const r = new Runner(cmd, env, warnings);
  try {
    execute(r);
  } catch (e) {
    if (e instanceof ParameterProblem) return { stdout: r.out, stderr: [...r.err, PREFIX + e.message, TRY_HELP], status: 2, changed: false };
    if (e instanceof Exit) return { stdout: r.out, stderr: [...r.err, PREFIX + e.message], status: e.status, changed: r.changed };
    throw e;
  }
  const status = printStats(r);
  return { stdout: r.out, stderr: r.err, status, changed: r.changed };
}
