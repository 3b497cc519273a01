/**
 * conntrack's protocol extensions (libct_proto_*.c of conntrack-tools 1.4.7): the options each
 * protocol adds once "-p PROTO" is given (--sport, --state, --icmp-type, --srckey ...), what they
 * set in the template, which commands accept them, the checks run after parsing, the protocol's
 * part of `-o save` lines and of the help text.
 *
 * `findProto` looks a protocol up as the tool does: a supported name (any case), then the system's
 * protocol database (/etc/protocols of Debian's netbase, case-sensitive, as getprotobyname), then a
 * number 0..255; protocols without an extension get the "unknown" one, which adds no option.
 */
import { atol, strtoul, wrap } from './cnum.js';
import type { LongOption } from './getopt.js';
import { Cmd, type Template } from './model.js';

/** A problem the tool reports as PARAMETER_PROBLEM (exit 2). */
export class ParameterProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterProblem';
  }
}

interface ProtoOption {
  names: readonly string[];
  /** Flag bit number (the extension's CT_*_ flags), also its column in the validity rows. */
  flag: number;
  apply(arg: string, t: Template, self: ProtoHandler): void;
}

export interface ProtoHandler {
  readonly name: string;
  readonly num: number;
  /** Option names for messages, by flag bit. */
  readonly optflags: readonly string[];
  readonly options: readonly ProtoOption[];
  /** Validity rows by command: one digit per flag (0 illegal, 1 required, 2 optional, 3 paired). */
  readonly rows: Partial<Record<Cmd, string>>;
  /** Flag pairs the "3" entries stand for, and the messages when only part is given. */
  readonly pairs?: { flags: readonly [number, number]; messages: readonly [string, string] };
  /** State names by number, for --state (tcp, sctp, dccp). */
  readonly states?: readonly string[];
  readonly help: readonly string[];
}

const PORTS_ROWS: Partial<Record<Cmd, string>> = {
  [Cmd.CT_LIST]: '22220000',
  [Cmd.CT_CREATE]: '33330000',
  [Cmd.CT_UPDATE]: '22220000',
  [Cmd.CT_DELETE]: '22220000',
  [Cmd.CT_GET]: '33330000',
  [Cmd.CT_EVENT]: '22220000',
  [Cmd.EXP_CREATE]: '11001111',
  [Cmd.EXP_DELETE]: '11110000',
  [Cmd.EXP_GET]: '11110000',
  [Cmd.CT_ADD]: '33330000',
};

const TCP_STATES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];
/** The names the sctp extension knows (the kernel's HEARTBEAT_SENT has none there). */
const SCTP_STATES = ['NONE', 'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD', 'SHUTDOWN_ACK_SENT'];
const DCCP_STATES = ['NONE', 'REQUEST', 'RESPOND', 'PARTOPEN', 'OPEN', 'CLOSEREQ', 'CLOSING', 'TIMEWAIT', 'IGNORE', 'INVALID'];
/** TCP_CONNTRACK_LISTEN, accepted by --state for kernels before 2.6.31 (the same number as SYN_SENT2). */
const TCP_LISTEN = 9;

/** htons(atoi(arg)): a port as the extensions read it. */
function port(arg: string): number {
  return wrap(atol(arg), 16);
}

function origPort(which: 'sport' | 'dport') {
  return (arg: string, t: Template, h: ProtoHandler): void => {
    t.orig[which] = port(arg);
    t.orig.l4 = h.num;
  };
}

function replyPort(which: 'sport' | 'dport') {
  return (arg: string, t: Template, h: ProtoHandler): void => {
    t.reply[which] = port(arg);
    t.reply.l4 = h.num;
  };
}

/** Options that only matter to expectation creation (mask and expectation tuple): accepted, kept nowhere else. */
function expectationOnly(): void {}

function portOptions(stateFlag: number | null): ProtoOption[] {
  const shift = stateFlag === null ? 0 : 1;
  const opts: ProtoOption[] = [
    { names: ['orig-port-src', 'sport'], flag: 0, apply: origPort('sport') },
    { names: ['orig-port-dst', 'dport'], flag: 1, apply: origPort('dport') },
    { names: ['reply-port-src'], flag: 2, apply: replyPort('sport') },
    { names: ['reply-port-dst'], flag: 3, apply: replyPort('dport') },
    { names: ['mask-port-src'], flag: 4, apply: expectationOnly },
    { names: ['mask-port-dst'], flag: 5, apply: expectationOnly },
    { names: ['tuple-port-src'], flag: 6 + shift, apply: expectationOnly },
    { names: ['tuple-port-dst'], flag: 7 + shift, apply: expectationOnly },
  ];
  return opts;
}

const PORT_OPTFLAGS = ['sport', 'dport', 'reply-port-src', 'reply-port-dst', 'mask-port-src', 'mask-port-dst'];
const PORT_PAIRS = {
  flags: [0b11, 0b1100] as const,
  messages: ["you have to specify `--sport' and `--dport'", "you have to specify `--reply-src-port' and `--reply-dst-port'"] as const,
};

const PORT_HELP = [
  '  --orig-port-src\t\toriginal source port',
  '  --orig-port-dst\t\toriginal destination port',
  '  --reply-port-src\t\treply source port',
  '  --reply-port-dst\t\treply destination port',
  '  --mask-port-src\t\tmask source port',
  '  --mask-port-dst\t\tmask destination port',
  '  --tuple-port-src\t\texpectation tuple src port',
  '  --tuple-port-src\t\texpectation tuple dst port',
];

/** --state NAME: the number of NAME in the extension's table, or its error. */
function stateOption(field: 'tcpState' | 'sctpState' | 'dccpState', what: string) {
  return (arg: string, t: Template, h: ProtoHandler): void => {
    const i = h.states!.indexOf(arg);
    if (field === 'tcpState' && arg === 'LISTEN') t.tcpState = TCP_LISTEN;
    else if (i < 0) throw new ParameterProblem(`${what} \`${arg}'`);
    else t[field] = i;
  };
}

function withState(rows: Partial<Record<Cmd, string>>, col: Partial<Record<Cmd, string>>): Partial<Record<Cmd, string>> {
  const out: Partial<Record<Cmd, string>> = {};
  for (const [k, v] of Object.entries(rows)) {
    const c = Number(k) as Cmd;
    const extra = col[c] ?? '0';
    out[c] = v.slice(0, 6) + extra + v.slice(6);
  }
  return out;
}

/** The state column of tcp / sctp / dccp (create and add require it). */
const STATE_COLUMN: Partial<Record<Cmd, string>> = {
  [Cmd.CT_LIST]: '2',
  [Cmd.CT_CREATE]: '1',
  [Cmd.CT_UPDATE]: '2',
  [Cmd.CT_DELETE]: '2',
  [Cmd.CT_GET]: '2',
  [Cmd.CT_EVENT]: '2',
  [Cmd.CT_ADD]: '1',
};

const tcp: ProtoHandler = {
  name: 'tcp',
  num: 6,
  optflags: [...PORT_OPTFLAGS, 'state', 'tuple-port-src', 'tuple-port-dst'],
  options: [...portOptions(6), { names: ['state'], flag: 6, apply: stateOption('tcpState', 'unknown TCP state') }],
  rows: withState(PORTS_ROWS, STATE_COLUMN),
  pairs: PORT_PAIRS,
  states: TCP_STATES,
  help: [...PORT_HELP, '  --state\t\t\tTCP state, fe. ESTABLISHED'],
};

function udpLike(name: string, num: number): ProtoHandler {
  return {
    name,
    num,
    optflags: [...PORT_OPTFLAGS, 'tuple-port-src', 'tuple-port-dst'],
    options: portOptions(null),
    rows: PORTS_ROWS,
    pairs: PORT_PAIRS,
    help: PORT_HELP,
  };
}

/** sctp: ports, --state, and the verification tags (settable on create, update and get). */
const sctp: ProtoHandler = {
  name: 'sctp',
  num: 132,
  optflags: [...PORT_OPTFLAGS, 'state', 'tuple-port-src', 'tuple-port-dst', 'orig-vtag', 'reply-vtag'],
  options: [
    ...portOptions(6),
    { names: ['state'], flag: 6, apply: stateOption('sctpState', 'unknown SCTP state') },
    { names: ['orig-vtag'], flag: 9, apply: (a, t) => (t.sctpVtagOrig = wrap(atol(a), 32)) },
    { names: ['reply-vtag'], flag: 10, apply: (a, t) => (t.sctpVtagReply = wrap(atol(a), 32)) },
  ],
  rows: vtagRows(withState(PORTS_ROWS, STATE_COLUMN)),
  pairs: PORT_PAIRS,
  states: SCTP_STATES,
  help: [...PORT_HELP, '  --state\t\t\tSCTP state, fe. ESTABLISHED', '  --orig-vtag\t\toriginal verification tag', '  --reply-vtag\t\treply verification tag'],
};

function vtagRows(rows: Partial<Record<Cmd, string>>): Partial<Record<Cmd, string>> {
  const vtag: Partial<Record<Cmd, string>> = { [Cmd.CT_CREATE]: '11', [Cmd.CT_UPDATE]: '22', [Cmd.CT_GET]: '22', [Cmd.EXP_CREATE]: '11', [Cmd.CT_ADD]: '11' };
  const out: Partial<Record<Cmd, string>> = {};
  for (const [k, v] of Object.entries(rows)) out[Number(k) as Cmd] = v + (vtag[Number(k) as Cmd] ?? '00');
  return out;
}

/** dccp: 6.18 tracks DCCP as a generic protocol, so its state is never in an entry, but the options parse. */
const dccp: ProtoHandler = {
  name: 'dccp',
  num: 33,
  optflags: [...PORT_OPTFLAGS, 'state', 'tuple-port-src', 'tuple-port-dst', 'role'],
  options: [
    ...portOptions(6),
    { names: ['state'], flag: 6, apply: stateOption('dccpState', 'Unknown DCCP state') },
    { names: ['role'], flag: 9, apply: dccpRole },
  ],
  rows: roleRows(withState(PORTS_ROWS, STATE_COLUMN)),
  pairs: { flags: [0b11, 0b1100], messages: ["you have to specify `--sport' and `--dport'", "you have to specify `--reply-port-src' and `--report-port-dst'"] },
  states: DCCP_STATES,
  help: [...PORT_HELP, '  --state\t\t\tDCCP state, fe. RESPOND'],
};

function roleRows(rows: Partial<Record<Cmd, string>>): Partial<Record<Cmd, string>> {
  const out: Partial<Record<Cmd, string>> = {};
  for (const [k, v] of Object.entries(rows)) {
    const c = Number(k) as Cmd;
    out[c] = v + (c === Cmd.CT_CREATE || c === Cmd.CT_ADD || c === Cmd.EXP_CREATE ? '1' : '0');
  }
  return out;
}

/** --role client|server (any prefix, any case); only creation takes it. */
function dccpRole(arg: string): void {
  const a = arg.toLowerCase();
  if (!'client'.startsWith(a) && !'server'.startsWith(a)) throw new ParameterProblem(`Unknown DCCP role \`${arg}'`);
}

function icmpLike(name: string, num: number, prefix: string): ProtoHandler {
  const set = (field: 'icmpType' | 'icmpCode' | 'icmpId', bits: 8 | 16) => (arg: string, t: Template) => {
    t[field] = wrap(atol(arg), bits);
    t.orig.l4 = num;
    if (t.reply.l3 !== undefined) t.reply.l4 = num;
  };
  const rows: Partial<Record<Cmd, string>> = {
    [Cmd.CT_LIST]: '222',
    [Cmd.CT_CREATE]: '112',
    [Cmd.CT_UPDATE]: '222',
    [Cmd.CT_DELETE]: '222',
    [Cmd.CT_GET]: '112',
    [Cmd.CT_EVENT]: '222',
    [Cmd.CT_ADD]: '112',
  };
  return {
    name,
    num,
    optflags: [`${prefix}-type`, `${prefix}-code`, `${prefix}-id`],
    options: [
      { names: [`${prefix}-type`], flag: 0, apply: set('icmpType', 8) },
      { names: [`${prefix}-code`], flag: 1, apply: set('icmpCode', 8) },
      { names: [`${prefix}-id`], flag: 2, apply: set('icmpId', 16) },
    ],
    rows,
    help: [`  --${prefix}-type\t\t\t${prefix} type`, `  --${prefix}-code\t\t\t${prefix} code`, `  --${prefix}-id\t\t\t${prefix} id`],
  };
}

/** GRE keys are read with strtoul (hex allowed) into the port attributes. */
function greKey(dir: 'orig' | 'reply', which: 'sport' | 'dport') {
  return (arg: string, t: Template): void => {
    t[dir][which] = wrap(strtoul(arg).value, 16);
    t[dir].l4 = 47;
  };
}

const gre: ProtoHandler = {
  name: 'gre',
  num: 47,
  optflags: ['srckey', 'dstkey', 'reply-key-src', 'reply-key-dst', 'mask-key-src', 'mask-key-dst', 'tuple-key-src', 'tuple-key-dst'],
  options: [
    { names: ['orig-key-src', 'srckey'], flag: 0, apply: greKey('orig', 'sport') },
    { names: ['orig-key-dst', 'dstkey'], flag: 1, apply: greKey('orig', 'dport') },
    { names: ['reply-key-src'], flag: 2, apply: greKey('reply', 'sport') },
    { names: ['reply-key-dst'], flag: 3, apply: greKey('reply', 'dport') },
    { names: ['mask-key-src'], flag: 4, apply: expectationOnly },
    { names: ['mask-key-dst'], flag: 5, apply: expectationOnly },
    { names: ['tuple-key-src'], flag: 6, apply: expectationOnly },
    { names: ['tuple-key-dst'], flag: 7, apply: expectationOnly },
  ],
  rows: { ...PORTS_ROWS, [Cmd.EXP_CREATE]: '11111111' },
  pairs: { flags: [0b11, 0b1100], messages: ["you have to specify `--srckey' and `--dstkey'", "you have to specify `--reply-src-key' and `--reply-dst-key'"] },
  help: [
    '  --orig-key-src\t\toriginal source key',
    '  --orig-key-dst\t\toriginal destination key',
    '  --reply-key-src\t\treply source key',
    '  --reply-key-dst\t\treply destination key',
    '  --mask-key-src\t\tmask source key',
    '  --mask-key-dst\t\tmask destination key',
    '  --tuple-key-src\t\texpectation tuple src key',
    '  --tuple-key-src\t\texpectation tuple dst key',
  ],
};

/** The extension for protocols conntrack has none for: no options. */
export const UNKNOWN: ProtoHandler = { name: 'unknown', num: 0, optflags: [], options: [], rows: {}, help: ['  no options (unsupported)'] };

/** In the order the tool walks its list (registration order, reversed by list_add). */
const HANDLERS: readonly ProtoHandler[] = [gre, icmpLike('icmpv6', 58, 'icmpv6'), icmpLike('icmp', 1, 'icmp'), dccp, sctp, udpLike('udplite', 136), udpLike('udp', 17), tcp];

/** /etc/protocols (Debian netbase): name, number, aliases. */
const PROTOCOLS: ReadonlyArray<readonly [number, ...string[]]> = [
  [0, 'ip', 'IP'], [0, 'hopopt', 'HOPOPT'], [1, 'icmp', 'ICMP'], [2, 'igmp', 'IGMP'], [3, 'ggp', 'GGP'], [4, 'ipencap', 'IP-ENCAP'],
  [5, 'st', 'ST'], [6, 'tcp', 'TCP'], [8, 'egp', 'EGP'], [9, 'igp', 'IGP'], [12, 'pup', 'PUP'], [17, 'udp', 'UDP'], [20, 'hmp', 'HMP'],
  [22, 'xns-idp', 'XNS-IDP'], [27, 'rdp', 'RDP'], [29, 'iso-tp4', 'ISO-TP4'], [33, 'dccp', 'DCCP'], [36, 'xtp', 'XTP'], [37, 'ddp', 'DDP'],
  [38, 'idpr-cmtp', 'IDPR-CMTP'], [41, 'ipv6', 'IPv6'], [43, 'ipv6-route', 'IPv6-Route'], [44, 'ipv6-frag', 'IPv6-Frag'],
  [45, 'idrp', 'IDRP'], [46, 'rsvp', 'RSVP'], [47, 'gre', 'GRE'], [50, 'esp', 'IPSEC-ESP'], [51, 'ah', 'IPSEC-AH'], [57, 'skip', 'SKIP'],
  [58, 'ipv6-icmp', 'IPv6-ICMP'], [59, 'ipv6-nonxt', 'IPv6-NoNxt'], [60, 'ipv6-opts', 'IPv6-Opts'], [73, 'rspf', 'RSPF', 'CPHB'],
  [81, 'vmtp', 'VMTP'], [88, 'eigrp', 'EIGRP'], [89, 'ospf', 'OSPFIGP'], [93, 'ax.25', 'AX.25'], [94, 'ipip', 'IPIP'],
  [97, 'etherip', 'ETHERIP'], [98, 'encap', 'ENCAP'], [103, 'pim', 'PIM'], [108, 'ipcomp', 'IPCOMP'], [112, 'vrrp', 'VRRP'],
  [115, 'l2tp', 'L2TP'], [124, 'isis', 'ISIS'], [132, 'sctp', 'SCTP'], [133, 'fc', 'FC'], [135, 'mobility-header', 'Mobility-Header'],
  [136, 'udplite', 'UDPLite'], [137, 'mpls-in-ip', 'MPLS-in-IP'], [138, 'manet'], [139, 'hip', 'HIP'], [140, 'shim6', 'Shim6'],
  [141, 'wesp', 'WESP'], [142, 'rohc', 'ROHC'], [143, 'ethernet', 'Ethernet'], [262, 'mptcp', 'MPTCP'],
];

/** getprotobyname. */
function protocolByName(name: string): number | null {
  const hit = PROTOCOLS.find(([, ...names]) => names.includes(name));
  return hit ? hit[0] : null;
}

/** getprotobynumber's name (the help of an unsupported protocol names it). */
export function protocolName(num: number): string | null {
  return PROTOCOLS.find(([n]) => n === num)?.[1] ?? null;
}

/** parse_proto_num: the whole text a number 0..255 (base 0), else -1. */
function parseProtoNum(s: string): number {
  const p = strtoul(s);
  if (p.end === 0 || p.end !== s.length || p.value > 255n) return -1;
  return Number(p.value);
}

/** findproto: the extension for "-p TEXT" and the protocol number it stands for, or null. */
export function findProto(text: string): { handler: ProtoHandler; num: number } | null {
  const named = HANDLERS.find((h) => h.name.toLowerCase() === text.toLowerCase());
  if (named) return { handler: named, num: named.num };
  const db = protocolByName(text);
  if (db !== null) return { handler: UNKNOWN, num: db & 0xff };
  const n = parseProtoNum(text);
  if (n < 0) return null;
  return { handler: HANDLERS.find((h) => h.num === n) ?? UNKNOWN, num: n };
}

/** The extension registered for a protocol number (for -o save), or null. */
export function handlerFor(num: number): ProtoHandler | null {
  return HANDLERS.find((h) => h.num === num) ?? null;
}

/** The long options an extension adds, with codes that say which "-p" merged them. */
export function protoLongOptions(h: ProtoHandler, merge: number): LongOption[] {
  const out: LongOption[] = [];
  for (const o of h.options) for (const name of o.names) out.push({ name, hasArg: 1, code: `p${merge}:${o.flag}` });
  return out;
}
