/**
 * conntrack's command line, parsed as conntrack-tools 1.4.7 parses it (do_parse): the scan with
 * getopt_long, what each option sets, the protocol extensions merged in by -p, and the checks
 * afterwards (which options each command accepts, address pairs, the extension's own check).
 * Failures are ParameterProblem (the tool's exit status 2, with "Try `conntrack -h' ...") or
 * OtherProblem (exit 1), with the tool's messages.
 */
import { atol, parseInetAddr, strtoul, wrap } from './cnum.js';
import { Getopt, type LongOption, type ScannedOption } from './getopt.js';
import type { LabelMap } from './labels.js';
import {
  bit,
  Cmd,
  EventMask,
  emptyTemplate,
  NUMBER_OF_OPT,
  Opt,
  Out,
  type Addr,
  type TableType,
  type Template,
  type TupleTemplate,
} from './model.js';
import { findProto, ParameterProblem, protoLongOptions, type ProtoHandler } from './protocols.js';

export { ParameterProblem } from './protocols.js';

/** A problem the tool reports as OTHER_PROBLEM (exit 1, no hint to read the help). */
export class OtherProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtherProblem';
  }
}

/** The parsed command line. */
export interface CtCommand {
  /** The command (null when none was given: the tool prints its usage). */
  cmd: Cmd | null;
  table: TableType;
  /** Option bits (Opt). */
  options: number;
  family: 0 | 4 | 6;
  /** Protocol number given with -p (0 without). */
  protonum: number;
  proto: ProtoHandler | null;
  template: Template;
  eventMask: number;
  output: number;
  bufferSize: number;
  /** -l / --label-add / --label-del / -o labels loaded the label names (listings then print labels). */
  labelsUsed: boolean;
}

/** The label names (connlabel.conf), or why there are none (what the library's perror says). */
export interface LabelSource {
  map: LabelMap | null;
  /** "No such file or directory" for a missing file, "Success" for a file naming no label. */
  why: string;
}

const OPTSTRING = ':L::I::U::D::G::E::F::A::hVs:d:r:q:p:t:u:e:a:z[:]:{:}:m:i:f:o:n::g::c:b:C::Sj::w:l:<:>::(:):';

const LONG: readonly LongOption[] = [
  ['dump', 2, 'L'], ['create', 2, 'I'], ['add', 2, 'A'], ['delete', 2, 'D'], ['update', 2, 'U'], ['get', 2, 'G'],
  ['flush', 2, 'F'], ['event', 2, 'E'], ['counter', 2, 'C'], ['stats', 0, 'S'], ['version', 0, 'V'], ['help', 0, 'h'],
  ['orig-src', 1, 's'], ['src', 1, 's'], ['orig-dst', 1, 'd'], ['dst', 1, 'd'], ['reply-src', 1, 'r'], ['reply-dst', 1, 'q'],
  ['protonum', 1, 'p'], ['timeout', 1, 't'], ['status', 1, 'u'], ['zero', 0, 'z'], ['event-mask', 1, 'e'],
  ['tuple-src', 1, '['], ['tuple-dst', 1, ']'], ['mask-src', 1, '{'], ['mask-dst', 1, '}'], ['nat-range', 1, 'a'],
  ['mark', 1, 'm'], ['secmark', 1, 'c'], ['id', 2, 'i'], ['family', 1, 'f'], ['src-nat', 2, 'n'], ['dst-nat', 2, 'g'],
  ['output', 1, 'o'], ['buffer-size', 1, 'b'], ['any-nat', 2, 'j'], ['zone', 1, 'w'], ['label', 1, 'l'],
  ['label-add', 1, '<'], ['label-del', 2, '>'], ['orig-zone', 1, '('], ['reply-zone', 1, ')'],
].map(([name, hasArg, code]) => ({ name: name as string, hasArg: hasArg as 0 | 1 | 2, code: code as string }));

/** Names of the options by bit, for "Illegal option `--%s'" (conntrack's optflags). */
const OPTFLAGS = [
  'src', 'dst', 'reply-src', 'reply-dst', 'protonum', 'timeout', 'status', 'zero', 'event-mask', 'tuple-src', 'tuple-dst',
  'mask-src', 'mask-dst', 'nat-range', 'mark', 'id', 'family', 'src-nat', 'dst-nat', 'output', 'secmark', 'buffer-size',
  'any-nat', 'zone', 'label', 'label-add', 'label-del', 'orig-zone', 'reply-zone',
];

/** Which options each command accepts (commands_v_options), one digit per option bit. */
const ROWS: Readonly<Record<number, string>> = {
  [Cmd.CT_LIST]: '22222022000220202222202220022',
  [Cmd.CT_CREATE]: '33331120000002200220000202022',
  [Cmd.CT_UPDATE]: '22222220000220222222000022200',
  [Cmd.CT_DELETE]: '22222220000220222222000220022',
  [Cmd.CT_GET]: '33331000000000020002000020000',
  [Cmd.CT_FLUSH]: '00000000000000002000000000000',
  [Cmd.CT_EVENT]: '22222000200220202222222220022',
  [Cmd.CT_VERSION]: '00000000000000000000000000000',
  [Cmd.CT_HELP]: '00002000000000000000000000000',
  [Cmd.EXP_LIST]: '00000000000000002002000000000',
  [Cmd.EXP_CREATE]: '11221120011110000000000000000',
  [Cmd.EXP_DELETE]: '11221000000000000000000000000',
  [Cmd.EXP_GET]: '11221000000000000000000000000',
  [Cmd.EXP_FLUSH]: '00000000000000000000000000000',
  [Cmd.EXP_EVENT]: '00000000000000000002000000000',
  [Cmd.CT_COUNT]: '00000000000000000000000000000',
  [Cmd.EXP_COUNT]: '00000000000000000000000000000',
  [Cmd.CT_STATS]: '00000000000000000000000000000',
  [Cmd.EXP_STATS]: '00000000000000000000000000000',
  [Cmd.CT_ADD]: '33331120000002200220000202022',
};

/** -L and friends: [conntrack table command, expectation table command] (cmd2type). */
const CMD2TYPE: Readonly<Record<string, readonly [Cmd, Cmd | null]>> = {
  L: [Cmd.CT_LIST, Cmd.EXP_LIST],
  I: [Cmd.CT_CREATE, Cmd.EXP_CREATE],
  D: [Cmd.CT_DELETE, Cmd.EXP_DELETE],
  G: [Cmd.CT_GET, Cmd.EXP_GET],
  F: [Cmd.CT_FLUSH, Cmd.EXP_FLUSH],
  E: [Cmd.CT_EVENT, Cmd.EXP_EVENT],
  V: [Cmd.CT_VERSION, Cmd.CT_VERSION],
  h: [Cmd.CT_HELP, Cmd.CT_HELP],
  C: [Cmd.CT_COUNT, Cmd.EXP_COUNT],
  S: [Cmd.CT_STATS, Cmd.EXP_STATS],
  U: [Cmd.CT_UPDATE, null],
  A: [Cmd.CT_ADD, null],
};

/** Option letters to their bit (opt2type). */
const OPT2TYPE: Readonly<Record<string, Opt>> = {
  s: Opt.ORIG_SRC, d: Opt.ORIG_DST, r: Opt.REPL_SRC, q: Opt.REPL_DST, '{': Opt.MASK_SRC, '}': Opt.MASK_DST,
  '[': Opt.EXP_SRC, ']': Opt.EXP_DST, n: Opt.SRC_NAT, g: Opt.DST_NAT, m: Opt.MARK, c: Opt.SECMARK, i: Opt.ID,
  j: Opt.ANY_NAT, w: Opt.ZONE, l: Opt.LABEL, '<': Opt.ADD_LABEL, '>': Opt.DEL_LABEL, '(': Opt.ORIG_ZONE, ')': Opt.REPL_ZONE,
};

const STATUS_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['ASSURED', 1 << 2], ['SEEN_REPLY', 1 << 1], ['UNSET', 0], ['FIXED_TIMEOUT', 1 << 10], ['EXPECTED', 1 << 0],
  ['OFFLOAD', 1 << 14], ['HW_OFFLOAD', 1 << 15],
];
const EVENT_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['ALL', EventMask.ALL], ['NEW', EventMask.NEW], ['UPDATES', EventMask.UPDATE], ['DESTROY', EventMask.DESTROY],
];
const OUTPUT_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['xml', Out.XML], ['extended', Out.EXT], ['timestamp', Out.TMS], ['id', Out.ID], ['ktimestamp', Out.KTMS],
  ['labels', Out.CL], ['userspace', 0], ['save', Out.SAVE],
];

/** strncasecmp(word, name, word.length) === 0: the word is a prefix of the name, any case. */
function prefixOf(word: string, name: string): boolean {
  return name.toLowerCase().startsWith(word.toLowerCase());
}

/** do_parse_parameter: one comma-separated word; true when it was recognised. */
function parseWord(word: string, table: ReadonlyArray<readonly [string, number]>, st: ParseState): number | null {
  if (prefixOf(word, 'SRC_NAT')) {
    st.warnings.push('WARNING: ignoring SRC_NAT, use --src-nat instead');
    return 0;
  }
  if (prefixOf(word, 'DST_NAT')) {
    st.warnings.push('WARNING: ignoring DST_NAT, use --dst-nat instead');
    return 0;
  }
  const hit = table.find(([name]) => prefixOf(word, name));
  return hit ? hit[1] : null;
}

/** parse_parameter: comma-separated words, every one recognised, or "Bad parameter". */
function parseParameter(arg: string, table: ReadonlyArray<readonly [string, number]>, st: ParseState): number {
  let value = 0;
  const words = arg.split(',');
  words.forEach((w, i) => {
    const v = w === '' ? null : parseWord(w, table, st);
    if (v === null) throw new ParameterProblem(`Bad parameter \`${words.slice(i).join(',')}'`);
    value |= v;
  });
  return value;
}

/** parse_parameter_mask (-u): "!NAME" goes to the mask, UNREPLIED means "SEEN_REPLY clear". */
function parseStatus(arg: string, st: ParseState): { status: number; mask: number } {
  let status = 0;
  let mask = 0;
  const words = arg.split(',');
  words.forEach((raw, i) => {
    const bad = (): ParameterProblem => new ParameterProblem(`Bad parameter \`${words.slice(i).join(',')}'`);
    const negated = raw.startsWith('!');
    const w = negated ? raw.slice(1) : raw;
    if (!negated && w.startsWith('UNREPLIED')) {
      mask |= 1 << 1;
      return;
    }
    const v = w === '' ? null : parseWord(w, STATUS_NAMES, st);
    if (v === null) throw bad();
    if (negated) mask |= v;
    else status |= v;
  });
  return { status, mask };
}

interface ParseState {
  cmd: CtCommand;
  getopt: Getopt;
  longOptions: LongOption[];
  /** Which "-p" merged the extension whose options are live now. */
  protoMerge: number;
  merges: number;
  protoFlags: number;
  labels: LabelSource;
  /** Lines the tool writes to stderr while parsing (warnings, the label map's perror). */
  warnings: string[];
}

/** Address options: which template attribute each sets, and their netmask option. */
const ADDR_TARGET: Readonly<Record<string, { dir: 'orig' | 'reply' | 'exp' | 'mask'; field: 'src' | 'dst'; maskOpt: string | null }>> = {
  s: { dir: 'orig', field: 'src', maskOpt: '{' },
  d: { dir: 'orig', field: 'dst', maskOpt: '}' },
  r: { dir: 'reply', field: 'src', maskOpt: null },
  q: { dir: 'reply', field: 'dst', maskOpt: null },
  '[': { dir: 'exp', field: 'src', maskOpt: '{' },
  ']': { dir: 'exp', field: 'dst', maskOpt: '}' },
  '{': { dir: 'mask', field: 'src', maskOpt: null },
  '}': { dir: 'mask', field: 'dst', maskOpt: null },
};

function longName(code: string): string {
  return LONG.find((o) => o.code === code)?.name ?? 'unknown';
}

function setFamily(cmd: CtCommand, family: 4 | 6): void {
  if (cmd.family === 0) cmd.family = family;
  else if (cmd.family !== family) throw new ParameterProblem('mismatched address family');
}

/** parse_addr: the address and the CIDR length (-1 none, -2 bad). */
function parseAddr(text: string): { addr: Addr | null; prefix: number } {
  const buf = text.slice(0, 45);
  let prefix = -1;
  let body = buf;
  const slash = buf.indexOf('/');
  if (slash >= 0) {
    const tail = buf.slice(slash + 1);
    prefix = /^[0-9]*$/.test(tail) ? (tail === '' ? 0 : Number(tail)) : -2;
    body = buf.slice(0, slash);
  }
  const addr = parseInetAddr(body);
  if (addr && prefix > (addr.family === 4 ? 32 : 128)) prefix = -2;
  return { addr, prefix };
}

/** A netmask of `prefix` bits in the template's address layout. */
function netmask(family: 4 | 6, prefix: number): Addr {
  if (family === 4) return { family, words: [prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0, 0, 0, 0] };
  const words: number[] = [];
  let b = prefix;
  for (let i = 0; i < 4; i++, b -= 32) words.push(b >= 32 ? 0xffffffff : b > 0 ? (0xffffffff << (32 - b)) >>> 0 : 0);
  return { family, words };
}

function tupleOf(t: Template, dir: 'orig' | 'reply'): TupleTemplate {
  return dir === 'orig' ? t.orig : t.reply;
}

/** nfct_parse_addr_from_opt for -s -d -r -q --tuple-* --mask-*. */
function addressOption(c: string, arg: string, st: ParseState, withMask: boolean): Addr {
  const { addr, prefix } = parseAddr(arg);
  if (addr === null) throw new ParameterProblem(`Invalid IP address \`${arg}'`);
  setFamily(st.cmd, addr.family);
  const target = ADDR_TARGET[c];
  const maskOpt = target?.maskOpt ?? null;
  if (prefix !== -1 && maskOpt === null) throw new ParameterProblem(`CIDR notation unavailable for \`--${longName(c)}'`);
  if (prefix === -2) throw new ParameterProblem('Invalid netmask');
  st.cmd.options |= bit(OPT2TYPE[c]!);
  if (target !== undefined) setAddress(st.cmd.template, target.dir, target.field, addr);
  const full = addr.family === 4 ? 32 : 128;
  if (prefix === -1 || maskOpt === null || !withMask || prefix === full) return addr;
  st.cmd.options |= bit(OPT2TYPE[maskOpt]!);
  setAddress(st.cmd.template, 'mask', ADDR_TARGET[maskOpt]!.field, netmask(addr.family, prefix));
  return addr;
}

function setAddress(t: Template, dir: 'orig' | 'reply' | 'exp' | 'mask', field: 'src' | 'dst', addr: Addr): void {
  if (dir === 'mask') {
    if (field === 'src') t.maskSrc = addr;
    else t.maskDst = addr;
    return;
  }
  // The expectation tuple only matters to -I expect, which ctkit does not do.
  if (dir === 'exp') return;
  const tuple = tupleOf(t, dir);
  tuple[field] = addr;
  tuple.l3 = addr.family;
}

/** split_address_and_port for --src-nat / --dst-nat / --any-nat values. */
function splitAddressAndPort(arg: string): { address: string; port: string | null } {
  const open = arg.indexOf('[');
  let cursor: number | null = null;
  let address = arg;
  if (open >= 0) {
    const close = arg.indexOf(']', open + 1);
    if (close === open + 1) throw new ParameterProblem('No IPv6 address specified');
    if (close < 0) throw new ParameterProblem("No closing ']' around IPv6 address");
    const colon = arg.indexOf(':', close);
    if (colon >= 0) {
      address = arg.slice(open + 1, close);
      cursor = colon;
    }
  } else {
    const colon = arg.indexOf(':');
    if (colon >= 0 && !arg.includes(':', colon + 1)) {
      address = arg.slice(0, colon);
      cursor = colon;
    }
  }
  if (cursor === null) return { address, port: null };
  const port = arg.slice(cursor + 1);
  if (port === '') throw new ParameterProblem("No port specified after `:'");
  if (!/^[0-9]+$/.test(port) || Number(port) > 65535) throw new ParameterProblem(`Invalid port \`${port}'`);
  return { address, port };
}

/** -n / -g / -j with their optional ADDRESS[:PORT]. */
function natOption(c: string, sc: ScannedOption, st: ParseState): void {
  const cmd = st.cmd;
  cmd.options |= bit(OPT2TYPE[c]!);
  const arg = sc.arg ?? st.getopt.optionalOperand(sc);
  if (arg === null) return;
  const { address, port } = splitAddressAndPort(arg);
  const { addr, prefix } = parseAddr(address);
  if (addr === null) throw new ParameterProblem(`Invalid IP address \`${address}'`);
  setFamily(cmd, addr.family);
  if (prefix !== -1) throw new ParameterProblem(`CIDR notation unavailable for \`--${longName(c)}'`);
  const t = cmd.template;
  // -n and -g also set the original layer-3 protocol; -j writes into the source address instead (below).
  if (c !== 'j') t.orig.l3 = addr.family;
  const nat = { ...(addr.family === 4 ? { addr4: addr.words[0]! } : { addr6: addr.words }), ...(port !== null ? { port: wrap(atol(port), 16) } : {}) };
  if (c === 'j') {
    t.origSrcGarbage = true;
    t.snat = { ...nat };
    t.dnat = { ...nat };
  } else if (c === 'n') {
    t.snat = nat;
  } else {
    t.dnat = nat;
  }
}

/** labelmap_init: the names are loaded (again, each time, while there are none). */
function labelmapInit(st: ParseState): void {
  st.cmd.labelsUsed = true;
  if (st.labels.map === null) st.warnings.push(`nfct_labelmap_new: ${st.labels.why}`);
}

/** get_label: the bit of a label name, from the connlabel.conf map. */
function labelBit(name: string, st: ParseState): number {
  const b = st.labels.map?.bits.get(name);
  if (b === undefined) throw new ParameterProblem(`unknown label '${name}'`);
  return b;
}

function labelOption(c: string, sc: ScannedOption, st: ParseState): void {
  const cmd = st.cmd;
  cmd.options |= bit(OPT2TYPE[c]!);
  labelmapInit(st);
  if ((cmd.options & (bit(Opt.ADD_LABEL) | bit(Opt.DEL_LABEL))) === (bit(Opt.ADD_LABEL) | bit(Opt.DEL_LABEL))) {
    throw new OtherProblem('cannot use --label-add and --label-del at the same time');
  }
  const arg = c === '>' ? (sc.arg ?? st.getopt.optionalOperand(sc)) : sc.arg;
  if (arg === null) return;
  const bits = arg.split(',').map((name) => labelBit(name, st));
  const t = cmd.template;
  const target = c === 'l' ? (t.label ??= new Set()) : (t.labelModify ??= new Set());
  for (const b of bits) target.add(b);
}

/** check_type: the table named after a command ("expect", "dying" ... any prefix). */
function tableType(sc: ScannedOption, st: ParseState): TableType {
  const word = sc.arg !== null ? null : st.getopt.optionalOperand(sc);
  if (word === null) return 'conntrack';
  for (const t of ['expect', 'conntrack', 'dying', 'unconfirmed'] as const) if (t.startsWith(word)) return t;
  throw new ParameterProblem(`unknown type \`${word}'`);
}

function addCommand(cmd: CtCommand, c: Cmd): void {
  if (cmd.cmd !== null) throw new ParameterProblem('Invalid commands combination');
  cmd.cmd = c;
}

function commandOption(c: string, sc: ScannedOption, st: ParseState): void {
  const type = tableType(sc, st);
  const [ctCmd, expCmd] = CMD2TYPE[c]!;
  if (type === 'dying' || type === 'unconfirmed') {
    if (c !== 'L') throw new ParameterProblem("Can't do that command with tables `dying' and `unconfirmed'");
    addCommand(st.cmd, ctCmd);
  } else {
    const chosen = type === 'expect' ? expCmd : ctCmd;
    if (chosen === null) throw new ParameterProblem(`Can't do --${longName(c)} on ${type === 'conntrack' ? 'conntrack' : 'expectations'}`);
    addCommand(st.cmd, chosen);
  }
  st.cmd.table = type;
}

function protoOption(arg: string, st: ParseState): void {
  const found = findProto(arg);
  if (found === null) throw new ParameterProblem(`\`${arg}' unsupported protocol`);
  st.cmd.options |= bit(Opt.PROTO);
  st.cmd.proto = found.handler;
  st.cmd.protonum = found.num;
  st.merges++;
  st.protoMerge = st.merges;
  st.longOptions = [...st.longOptions, ...protoLongOptions(found.handler, st.merges)];
  st.getopt.setLongOptions(st.longOptions);
  st.cmd.template.orig.l4 = found.num;
}

/** An option of the protocol extension; only the last -p's options do anything (the tool's offset arithmetic). */
function extensionOption(code: string, arg: string, st: ParseState): void {
  const m = /^p(\d+):(\d+)$/.exec(code);
  if (m === null || Number(m[1]) !== st.protoMerge) return;
  const h = st.cmd.proto!;
  const flag = Number(m[2]);
  const opt = h.options.find((o) => o.flag === flag)!;
  opt.apply(arg, st.cmd.template, h);
  st.protoFlags |= 1 << flag;
}

function u32(arg: string): number {
  return wrap(strtoul(arg).value, 32);
}

/** -m VALUE[/MASK] (parse_u32_mask). */
function markOption(arg: string, st: ParseState): void {
  const p = strtoul(arg);
  const rest = arg.slice(p.end);
  const value = wrap(p.value, 32);
  const mask = rest.startsWith('/') ? u32(rest.slice(1)) : 0xffffffff;
  st.cmd.options |= bit(Opt.MARK);
  st.cmd.template.mark = { value, mask };
  st.cmd.template.kernelMark = { value, mask };
}

function statusOption(arg: string, st: ParseState): void {
  const t = st.cmd.template;
  st.cmd.options |= bit(Opt.STATUS);
  const { status, mask } = parseStatus(arg, st);
  t.status = status;
  const kernelMask = mask === 0 ? status : mask;
  // The tool also copies the status into the mark filter's value (a slip in its code, kept).
  t.mark = { value: status, mask: t.mark.mask };
  t.kernelStatus = { value: status, mask: kernelMask };
}

function outputOption(arg: string, st: ParseState): void {
  const cmd = st.cmd;
  cmd.options |= bit(Opt.OUTPUT);
  cmd.output |= parseParameter(arg, OUTPUT_NAMES, st);
  if (cmd.output & Out.CL) labelmapInit(st);
  if (cmd.output & Out.SAVE && cmd.output & (Out.EXT | Out.TMS | Out.ID | Out.KTMS | Out.CL | Out.XML)) {
    throw new OtherProblem('cannot combine save output with any other output type, use -o save only');
  }
}

function familyOption(arg: string, st: ParseState): void {
  st.cmd.options |= bit(Opt.FAMILY);
  if (arg.startsWith('ipv4')) setFamily(st.cmd, 4);
  else if (arg.startsWith('ipv6')) setFamily(st.cmd, 6);
  else throw new ParameterProblem(`\`${arg}' unsupported protocol`);
}

function zoneOption(c: string, arg: string, st: ParseState): void {
  st.cmd.options |= bit(OPT2TYPE[c]!);
  const z = wrap(strtoul(arg).value, 16);
  const t = st.cmd.template;
  if (c === 'w') t.zone = z;
  else if (c === '(') t.origZone = z;
  else t.replyZone = z;
}

/** Options taking a value the scan guarantees (required arguments). */
function valueOption(c: string, arg: string, st: ParseState): boolean {
  const cmd = st.cmd;
  const t = cmd.template;
  switch (c) {
    case 'p':
      protoOption(arg, st);
      return true;
    case 't':
      cmd.options |= bit(Opt.TIMEOUT);
      t.timeout = wrap(atol(arg), 32);
      return true;
    case 'u':
      statusOption(arg, st);
      return true;
    case 'e':
      cmd.options |= bit(Opt.EVENT_MASK);
      cmd.eventMask |= parseParameter(arg, EVENT_NAMES, st);
      return true;
    case 'o':
      outputOption(arg, st);
      return true;
    case 'm':
      markOption(arg, st);
      return true;
    case 'c':
      cmd.options |= bit(Opt.SECMARK);
      t.secmark = u32(arg);
      return true;
    case 'f':
      familyOption(arg, st);
      return true;
    case 'b':
      cmd.options |= bit(Opt.BUFFERSIZE);
      cmd.bufferSize = Number(atol(arg));
      return true;
    case 'w':
    case '(':
    case ')':
      zoneOption(c, arg, st);
      return true;
    default:
      return false;
  }
}

function handleOption(sc: ScannedOption, st: ParseState): void {
  const c = sc.code;
  if (c in CMD2TYPE) return commandOption(c, sc, st);
  if (c === ':') throw new ParameterProblem(`option \`${sc.culprit}' requires an argument`);
  if (c === '?') throw new ParameterProblem(`unknown option \`${sc.culprit}'`);
  if ('sdrq[]'.includes(c)) {
    addressOption(c, sc.arg!, st, true);
    return;
  }
  if (c === '{' || c === '}') {
    addressOption(c, sc.arg!, st, false);
    return;
  }
  if (c === 'n' || c === 'g' || c === 'j') return natOption(c, sc, st);
  if (c === 'l' || c === '<' || c === '>') return labelOption(c, sc, st);
  if (c === 'z') {
    st.cmd.options |= bit(Opt.ZERO);
    return;
  }
  if (c === 'a') {
    st.warnings.push('WARNING: ignoring -a, deprecated option.');
    return;
  }
  if (c === 'i') {
    if (sc.arg === null) throw new ParameterProblem(`option \`${sc.culprit}' requires an argument`);
    st.cmd.options |= bit(Opt.ID);
    st.cmd.template.id = u32(sc.arg);
    return;
  }
  if (valueOption(c, sc.arg!, st)) return;
  extensionOption(c, sc.arg!, st);
}

/** generic_opt_check: illegal and missing options; false when the "3" pairs are incomplete. */
function optCheck(options: number, count: number, row: string, names: readonly string[], pairs: readonly number[]): { ok: boolean; partial: number } {
  let special = false;
  for (let i = 0; i < count; i++) {
    const v = row[i] ?? '0';
    const given = (options & 2 ** i) !== 0;
    if (!given && v === '1') throw new ParameterProblem(`You need to supply the \`--${names[i]}' option for this command`);
    if (given && v === '0') throw new ParameterProblem(`Illegal option \`--${names[i]}' with this command`);
    if (v === '3') special = true;
  }
  if (!special || pairs.length === 0) return { ok: true, partial: -1 };
  let partial = -1;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    if ((options & p) === p) return { ok: true, partial: -1 };
    if (options & p && partial < 0) partial = i;
  }
  return { ok: false, partial };
}

const ADDR_PAIRS = [bit(Opt.ORIG_SRC) | bit(Opt.ORIG_DST), bit(Opt.REPL_SRC) | bit(Opt.REPL_DST)];

function checkCommand(cmd: CtCommand, protoFlags: number): void {
  const o = cmd.options;
  if (o & bit(Opt.ANY_NAT) && o & (bit(Opt.SRC_NAT) | bit(Opt.DST_NAT))) {
    throw new ParameterProblem("cannot specify `--src-nat' or `--dst-nat' with `--any-nat'");
  }
  const row = cmd.cmd === null ? '' : ROWS[cmd.cmd]!;
  const r = optCheck(o, NUMBER_OF_OPT, row, OPTFLAGS, ADDR_PAIRS);
  if (!r.ok) {
    throw new ParameterProblem(r.partial === 1 ? "you have to specify `--reply-src' and `--reply-dst'" : "you have to specify `--src' and `--dst'");
  }
  if (cmd.cmd !== Cmd.CT_HELP && cmd.proto !== null) finalCheck(cmd, protoFlags);
}

/** The protocol extension's final_check. */
function finalCheck(cmd: CtCommand, flags: number): void {
  const h = cmd.proto!;
  const t = cmd.template;
  if (h.name === 'unknown') {
    if (t.reply.l3 !== undefined && t.orig.l4 !== undefined && t.reply.l4 === undefined) t.reply.l4 = t.orig.l4;
    return;
  }
  const row = cmd.cmd === null ? '' : (h.rows[cmd.cmd] ?? '');
  const r = optCheck(flags, h.optflags.length, row, h.optflags, h.pairs ? [...h.pairs.flags] : []);
  if (!r.ok) throw new ParameterProblem(h.pairs!.messages[r.partial === 1 ? 1 : 0]);
  if (h.name === 'tcp') tcpFinalFlags(t);
}

const TCP_FLAG_SACK_PERM = 0x02;
const TCP_FLAG_CLOSE_INIT = 0x04;
const TCP_FLAG_BE_LIBERAL = 0x08;
const TCP_TIME_WAIT = 7;

/** The tcp extension marks every command's entries for liberal window tracking (kept for -U). */
function tcpFinalFlags(t: Template): void {
  let f = TCP_FLAG_BE_LIBERAL | TCP_FLAG_SACK_PERM;
  if ((t.tcpState ?? 0) >= TCP_TIME_WAIT) f |= TCP_FLAG_CLOSE_INIT;
  t.tcpFlags = f;
}

/** Commands that keep an unspecified family (every other one defaults to IPv4). */
const FAMILY_FREE = new Set<Cmd>([Cmd.CT_LIST, Cmd.CT_UPDATE, Cmd.CT_DELETE, Cmd.CT_GET, Cmd.CT_FLUSH, Cmd.CT_EVENT]);

/**
 * Parses conntrack's arguments (without the program name). Lines for stderr are appended to
 * `warnings` as they come, also when the parse then fails.
 */
export function parseCommandLine(argv: readonly string[], labels: LabelSource, warnings: string[]): CtCommand {
  const cmd: CtCommand = {
    cmd: null,
    table: 'conntrack',
    options: 0,
    family: 0,
    protonum: 0,
    proto: null,
    template: emptyTemplate(),
    eventMask: 0,
    output: 0,
    bufferSize: 0,
    labelsUsed: false,
  };
  const getopt = new Getopt(argv, OPTSTRING, LONG);
  const st: ParseState = { cmd, getopt, longOptions: [...LONG], protoMerge: 0, merges: 0, protoFlags: 0, labels, warnings };
  for (let sc = getopt.next(); sc !== null; sc = getopt.next()) handleOption(sc, st);
  if (cmd.family === 0 && !(cmd.cmd !== null && FAMILY_FREE.has(cmd.cmd))) cmd.family = 4;
  checkCommand(cmd, st.protoFlags);
  return cmd;
}
