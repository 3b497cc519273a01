/**
 * Reading the lines conntrack prints back into fields, for `ctkit explain`:
 *
 *  - `conntrack -L` (also `-o extended`, `-o id`, `-o ktimestamp`, `-o labels`, `-G`, `-D`):
 *      tcp      6 119 TIME_WAIT src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80 ... [ASSURED] mark=0 use=1
 *  - /proc/net/nf_conntrack (the kernel's own format: always "ipv4 2", zone= always, IPv6 in full);
 *  - `conntrack -E` events ("    [NEW] ", " [UPDATE] ", "[DESTROY] ", optionally after the
 *    "[SECONDS.MICROS]\t" of -o timestamp);
 *  - expectations: `conntrack -L expect`, `conntrack -E expect` and /proc/net/nf_conntrack_expect.
 *
 * Blank lines and conntrack's own summary lines ("... flow entries have been shown.") are
 * skipped. Anything else is an ExplainParseError naming the line and what was expected there.
 */
import { tryParseIp } from '../packet/addr.js';

/** A line that is none of the formats above. */
export class ExplainParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ExplainParseError';
  }
}

export type Source = 'conntrack' | 'extended' | 'proc' | 'event' | 'expect' | 'proc-expect' | 'snapshot';
export type EventType = 'NEW' | 'UPDATE' | 'DESTROY';

export interface ParsedTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
  srckey?: number;
  dstkey?: number;
  /** zone-orig= / zone-reply=: a zone for this direction only. */
  zone?: number;
  packets?: number;
  bytes?: number;
}

export interface ParsedConn {
  kind: 'conn';
  source: Source;
  /** 1-based line number (0 for entries that came from a snapshot). */
  line: number;
  text: string;
  event: EventType | null;
  /** The -o timestamp time of an event, when printed. */
  time: number | null;
  family: 4 | 6;
  proto: string;
  protonum: number;
  timeout: number | null;
  state: string | null;
  orig: ParsedTuple;
  reply: ParsedTuple;
  unreplied: boolean;
  assured: boolean;
  offload: 'OFFLOAD' | 'HW_OFFLOAD' | null;
  mark: number | null;
  zone: number | null;
  helper: string | null;
  use: number | null;
  id: number | null;
  labels: string[] | null;
  deltaTime: number | null;
  /** What only a snapshot knows: the status bits and the connection this one was expected by. */
  status?: number;
  master?: { orig: ParsedTuple; protonum: number; helper: string | null };
}

export interface ParsedExpect {
  kind: 'expect';
  source: 'expect' | 'proc-expect';
  line: number;
  text: string;
  event: EventType | null;
  timeout: number;
  protonum: number;
  tuple: ParsedTuple;
  mask: ParsedTuple | null;
  master: ParsedTuple | null;
  expClass: number | null;
  helper: string | null;
  flags: string[];
}

export type ParsedEntry = ParsedConn | ParsedExpect;

/** Protocol names conntrack and the kernel print. */
const PROTO_NAMES: ReadonlySet<string> = new Set(['tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'sctp', 'gre', 'dccp', 'unknown']);

const EVENT_PREFIX = /^\s*\[(NEW|UPDATE|DESTROY)\]\s+/;
const TIMESTAMP_PREFIX = /^\[(\d+)\.(\d+)\]\t/;
const SUMMARY = /^conntrack v\S+ \(conntrack-tools\): /;

function isInt(s: string | undefined): boolean {
  return s !== undefined && /^\d+$/.test(s);
}

/** Reads the words of one line, left to right, with the line number for errors. */
class Words {
  i = 0;
  constructor(
    readonly w: string[],
    readonly line: number,
  ) {}

  peek(): string | undefined {
    return this.w[this.i];
  }

  take(): string | undefined {
    return this.w[this.i++];
  }

  fail(what: string): never {
    const got = this.peek();
    throw new ExplainParseError(this.line, got === undefined ? `${what}, but the line ends there` : `${what}, got "${got}"`);
  }

  /** key=VALUE (the value returned), or an error saying which key was expected. */
  field(key: string, what: string): string {
    const w = this.peek();
    if (w === undefined || !w.startsWith(`${key}=`)) this.fail(`expected ${key}=${what}`);
    this.i++;
    return w.slice(key.length + 1);
  }

  number(key: string): number {
    const v = this.field(key, 'NUMBER');
    if (!/^(\d+|0x[0-9a-f]+)$/.test(v)) throw new ExplainParseError(this.line, `${key}=${v}: expected a number`);
    return Number(v);
  }

  optionalNumber(key: string): number | undefined {
    return this.peek()?.startsWith(`${key}=`) ? this.number(key) : undefined;
  }

  flag(name: string): boolean {
    if (this.peek() !== name) return false;
    this.i++;
    return true;
  }
}

function address(w: Words, key: 'src' | 'dst'): string {
  const v = w.field(key, 'ADDRESS');
  if (tryParseIp(v) === null) throw new ExplainParseError(w.line, `${key}=${v}: expected an IPv4 or IPv6 address`);
  return v;
}

/** One direction's tuple, and its counters when the line has them. */
function tuple(w: Words): ParsedTuple {
  const t: ParsedTuple = { src: address(w, 'src'), dst: address(w, 'dst') };
  if (w.peek()?.startsWith('sport=')) {
    t.sport = w.number('sport');
    t.dport = w.number('dport');
  } else if (w.peek()?.startsWith('type=')) {
    t.type = w.number('type');
    t.code = w.number('code');
    t.id = w.number('id');
  } else if (w.peek()?.startsWith('srckey=')) {
    t.srckey = w.number('srckey');
    t.dstkey = w.number('dstkey');
  }
  // A zone for this direction only (CT --zone-orig / --zone-reply).
  const z = w.peek()?.match(/^zone-(orig|reply)=(\d+)$/);
  if (z) {
    w.take();
    t.zone = Number(z[2]);
  }
  const packets = w.optionalNumber('packets');
  if (packets !== undefined) {
    t.packets = packets;
    t.bytes = w.number('bytes');
  }
  return t;
}

function familyOf(t: ParsedTuple): 4 | 6 {
  return tryParseIp(t.src)!.family;
}

/** The fields after the reply tuple: flags, mark, zone, timestamps, helper, use, id, labels. */
function trailer(w: Words, c: ParsedConn): void {
  for (let word = w.peek(); word !== undefined; word = w.peek()) {
    if (/^\[(start|stop)=/.test(word)) {
      skipBracketed(w);
      continue;
    }
    if (word === '[ASSURED]') c.assured = true;
    else if (word === '[OFFLOAD]' || word === '[HW_OFFLOAD]') c.offload = word.slice(1, -1) as 'OFFLOAD' | 'HW_OFFLOAD';
    else if (word === 'labels') c.labels = [];
    else if (!trailerField(word, c, w.line)) w.fail('expected [ASSURED], mark=, zone=, helper=, use=, id= or labels= after the reply tuple');
    w.i++;
  }
}

/** "[start=Tue Nov 14 22:13:20 2023]": several words. */
function skipBracketed(w: Words): void {
  while (w.peek() !== undefined && !w.peek()!.endsWith(']')) w.i++;
  if (w.take() === undefined) w.fail('expected the closing "]" of a timestamp');
}

function trailerField(word: string, c: ParsedConn, line: number): boolean {
  const eq = word.indexOf('=');
  if (eq < 0) return false;
  const key = word.slice(0, eq);
  const v = word.slice(eq + 1);
  if (key === 'labels') {
    c.labels = v.split(',');
    return true;
  }
  if (key === 'helper') {
    c.helper = v;
    return true;
  }
  if (key === 'secctx') return true;
  const numeric: Record<string, (n: number) => void> = {
    mark: (n) => (c.mark = n),
    zone: (n) => (c.zone = n),
    use: (n) => (c.use = n),
    id: (n) => (c.id = n),
    'delta-time': (n) => (c.deltaTime = n),
  };
  const set = numeric[key];
  if (set === undefined) return false;
  if (!isInt(v)) throw new ExplainParseError(line, `${word}: expected a number after ${key}=`);
  set(Number(v));
  return true;
}

/** "tcp 6" (and the "ipv4 2" before it of extended and /proc lines). */
function protoHead(w: Words, c: ParsedConn): void {
  if ((w.peek() === 'ipv4' || w.peek() === 'ipv6') && isInt(w.w[w.i + 1])) {
    c.source = c.source === 'event' ? 'event' : 'extended';
    w.i += 2;
  }
  const name = w.take();
  if (name === undefined || !PROTO_NAMES.has(name)) {
    w.i--;
    w.fail('expected a protocol name as conntrack prints it (tcp, udp, udplite, icmp, icmpv6, sctp, gre, dccp, unknown)');
  }
  c.proto = name;
  if (!isInt(w.peek())) w.fail(`expected the protocol number after "${name}"`);
  c.protonum = Number(w.take());
}

function emptyConn(line: number, text: string): ParsedConn {
  const blank: ParsedTuple = { src: '', dst: '' };
  return {
    kind: 'conn',
    source: 'conntrack',
    line,
    text,
    event: null,
    time: null,
    family: 4,
    proto: '',
    protonum: 0,
    timeout: null,
    state: null,
    orig: blank,
    reply: blank,
    unreplied: false,
    assured: false,
    offload: null,
    mark: null,
    zone: null,
    helper: null,
    use: null,
    id: null,
    labels: null,
    deltaTime: null,
  };
}

/** A connection line (-L, extended, /proc or an event without its prefix). */
function parseConn(w: Words, c: ParsedConn): ParsedConn {
  protoHead(w, c);
  if (isInt(w.peek())) c.timeout = Number(w.take());
  if (w.peek() !== undefined && /^[A-Z_0-9]+$/.test(w.peek()!)) c.state = w.take()!;
  if (!w.peek()?.startsWith('src=')) w.fail('expected src=ADDRESS (the original direction) after the protocol, timeout and state');
  c.orig = tuple(w);
  c.unreplied = w.flag('[UNREPLIED]');
  if (!w.peek()?.startsWith('src=')) w.fail('expected src=ADDRESS (the reply direction)');
  c.reply = tuple(w);
  trailer(w, c);
  c.family = familyOf(c.orig);
  if (c.source === 'extended' && c.zone !== null && isProcStyle(c)) c.source = 'proc';
  return c;
}

/** /proc prints zone=0 and full IPv6 groups, conntrack -L never does. */
function isProcStyle(c: ParsedConn): boolean {
  return c.zone === 0 || /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/.test(c.orig.src);
}

/** An expectation: "300 proto=6 src=... mask-src=... master-src=... class=0 helper=ftp". */
function parseExpect(w: Words, line: number, text: string, event: EventType | null): ParsedExpect {
  const timeout = Number(w.take());
  if (w.peek() === 'l3proto') return parseProcExpect(w, line, text, timeout);
  const e: ParsedExpect = { kind: 'expect', source: 'expect', line, text, event, timeout, protonum: w.number('proto'), tuple: tuple(w), mask: null, master: null, expClass: null, helper: null, flags: [] };
  if (w.peek()?.startsWith('mask-src=')) e.mask = maskTuple(w);
  if (w.peek()?.startsWith('master-src=')) e.master = masterTuple(w);
  for (let word = w.take(); word !== undefined; word = w.take()) {
    if (word.startsWith('class=')) e.expClass = Number(word.slice(6));
    else if (word.startsWith('helper=')) e.helper = word.slice(7);
    // Flags as conntrack prints them: PERMANENT,INACTIVE (or one bracketed flag).
    else if (/^[A-Z_]+(,[A-Z_]+)*$/.test(word) || /^\[[A-Z_]+\]$/.test(word)) e.flags.push(...word.replace(/[[\]]/g, '').split(','));
    else if (!/^(fn|zone|nat-dir|nat-src|nat-dst|sport|dport)=/.test(word)) {
      w.i--;
      w.fail('expected class=, helper= or an expectation flag');
    }
  }
  return e;
}

function renamed(w: Words, prefix: string): ParsedTuple {
  const src = w.field(`${prefix}-src`, 'ADDRESS');
  const dst = w.field(`${prefix}-dst`, 'ADDRESS');
  const t: ParsedTuple = { src, dst };
  const sport = w.optionalNumber('sport');
  if (sport !== undefined) {
    t.sport = sport;
    t.dport = w.number('dport');
  } else if (w.peek()?.startsWith('srckey=')) {
    // GRE (PPTP) expectations: the call ids as keys.
    t.srckey = w.number('srckey');
    t.dstkey = w.number('dstkey');
  }
  return t;
}

function maskTuple(w: Words): ParsedTuple {
  return renamed(w, 'mask');
}

function masterTuple(w: Words): ParsedTuple {
  return renamed(w, 'master');
}

/** /proc/net/nf_conntrack_expect: "297 l3proto = 2 proto=6 src=... sport=0 dport=50000 ftp". */
function parseProcExpect(w: Words, line: number, text: string, timeout: number): ParsedExpect {
  w.i++;
  if (w.take() !== '=' || !isInt(w.take())) w.fail('expected "l3proto = NUMBER"');
  const e: ParsedExpect = { kind: 'expect', source: 'proc-expect', line, text, event: null, timeout, protonum: w.number('proto'), tuple: tuple(w), mask: null, master: null, expClass: null, helper: null, flags: [] };
  for (let word = w.take(); word !== undefined; word = w.take()) {
    if (/^[A-Z_]+$/.test(word)) e.flags.push(word);
    else e.helper = word;
  }
  return e;
}

/** One line; null for a blank line or a conntrack summary line. */
export function parseLine(text: string, line: number): ParsedEntry | null {
  let rest = text.replace(/\r$/, '');
  if (rest.trim() === '' || SUMMARY.test(rest.trim())) return null;
  let time: number | null = null;
  const ts = TIMESTAMP_PREFIX.exec(rest);
  if (ts) {
    time = Number(`${ts[1]}.${ts[2]}`);
    rest = rest.slice(ts[0].length);
  }
  let event: EventType | null = null;
  const ev = EVENT_PREFIX.exec(rest);
  if (ev) {
    event = ev[1] as EventType;
    rest = rest.slice(ev[0].length);
  }
  const w = new Words(rest.trim().split(/\s+/), line);
  if (isInt(w.peek()) && (w.w[1]?.startsWith('proto=') || w.w[1] === 'l3proto')) return parseExpect(w, line, text, event);
  const c = emptyConn(line, text);
  c.event = event;
  c.time = time;
  if (event !== null) c.source = 'event';
  return parseConn(w, c);
}

/** Every entry of a text (conntrack output pasted as it is). */
export function parseText(text: string): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  text.split('\n').forEach((l, i) => {
    const e = parseLine(l, i + 1);
    if (e !== null) out.push(e);
  });
  return out;
}
