/**
 * What a conntrack command line means once parsed: the command, the option bits, and the
 * template of attributes the filters compare entries with (libnetfilter_conntrack's
 * nf_conntrack object: an attribute is either set or not, and the filters depend on which).
 * Numbering follows conntrack-tools 1.4.7 (commands and options are bits; their positions index
 * the tables of which options each command accepts).
 */

/** Commands, as conntrack's enum ct_command (bit positions). */
export const Cmd = {
  CT_LIST: 0,
  CT_CREATE: 1,
  CT_UPDATE: 2,
  CT_DELETE: 3,
  CT_GET: 4,
  CT_FLUSH: 5,
  CT_EVENT: 6,
  CT_VERSION: 7,
  CT_HELP: 8,
  EXP_LIST: 9,
  EXP_CREATE: 10,
  EXP_DELETE: 11,
  EXP_GET: 12,
  EXP_FLUSH: 13,
  EXP_EVENT: 14,
  CT_COUNT: 15,
  EXP_COUNT: 16,
  CT_STATS: 17,
  EXP_STATS: 18,
  CT_ADD: 19,
} as const;
export type Cmd = (typeof Cmd)[keyof typeof Cmd];
export const NUMBER_OF_CMD = 20;

/** Options, as conntrack's enum ct_options (bit positions). */
export const Opt = {
  ORIG_SRC: 0,
  ORIG_DST: 1,
  REPL_SRC: 2,
  REPL_DST: 3,
  PROTO: 4,
  TIMEOUT: 5,
  STATUS: 6,
  ZERO: 7,
  EVENT_MASK: 8,
  EXP_SRC: 9,
  EXP_DST: 10,
  MASK_SRC: 11,
  MASK_DST: 12,
  NATRANGE: 13,
  MARK: 14,
  ID: 15,
  FAMILY: 16,
  SRC_NAT: 17,
  DST_NAT: 18,
  OUTPUT: 19,
  SECMARK: 20,
  BUFFERSIZE: 21,
  ANY_NAT: 22,
  ZONE: 23,
  LABEL: 24,
  ADD_LABEL: 25,
  DEL_LABEL: 26,
  ORIG_ZONE: 27,
  REPL_ZONE: 28,
} as const;
export type Opt = (typeof Opt)[keyof typeof Opt];
export const NUMBER_OF_OPT = 29;

/** The bit of an option. */
export function bit(o: Opt): number {
  return 2 ** o;
}

/** Options that make the filters compare the template with each entry (CT_COMPARISON). */
export const CT_COMPARISON =
  bit(Opt.PROTO) |
  bit(Opt.ORIG_SRC) |
  bit(Opt.ORIG_DST) |
  bit(Opt.REPL_SRC) |
  bit(Opt.REPL_DST) |
  bit(Opt.MARK) |
  bit(Opt.SECMARK) |
  bit(Opt.STATUS) |
  bit(Opt.ID) |
  bit(Opt.ZONE) |
  bit(Opt.LABEL) |
  bit(Opt.ORIG_ZONE) |
  bit(Opt.REPL_ZONE);

/** -o flags (conntrack's _O_*). */
export const Out = {
  XML: 1,
  EXT: 2,
  TMS: 4,
  ID: 8,
  KTMS: 16,
  CL: 32,
  SAVE: 64,
} as const;

/** -e flags. */
export const EventMask = {
  NEW: 1,
  UPDATE: 2,
  DESTROY: 4,
  ALL: 7,
} as const;

/** The table a command works on (-L expect, -L dying ...). */
export type TableType = 'conntrack' | 'expect' | 'dying' | 'unconfirmed';

/** An address in the template. */
export interface Addr {
  family: 4 | 6;
  /** IPv4 in word 0 (host order), IPv6 as four big-endian words. */
  words: number[];
}

/** One direction's tuple attributes (each optional: set or not). */
export interface TupleTemplate {
  l3?: 4 | 6;
  l4?: number;
  src?: Addr;
  dst?: Addr;
  sport?: number;
  dport?: number;
}

/** A value and mask (-m 0x10/0x30; status and mark filters of the kernel dump). */
export interface ValueMask {
  value: number;
  mask: number;
}

/** A NAT filter's address and port (--src-nat 1.2.3.4:80); either may be absent. */
export interface NatTemplate {
  /** Only an IPv4 address is compared (the tool's filter looks at the IPv4 attribute alone). */
  addr4?: number;
  /** An IPv6 address given: set, but never compared. */
  addr6?: number[];
  port?: number;
}

/** The attributes a command line sets (tmpl->ct and its companions). */
export interface Template {
  orig: TupleTemplate;
  reply: TupleTemplate;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  tcpState?: number;
  sctpState?: number;
  dccpState?: number;
  /** TCP flags the tcp extension sets on every command (its final check), with the same mask. */
  tcpFlags?: number;
  sctpVtagOrig?: number;
  sctpVtagReply?: number;
  status?: number;
  timeout?: number;
  zone?: number;
  origZone?: number;
  replyZone?: number;
  id?: number;
  secmark?: number;
  snat?: NatTemplate;
  dnat?: NatTemplate;
  /**
   * --any-nat with an address also writes into the original source address attribute (the tool
   * indexes its tables with an option that has no entry there) and leaves it holding stack
   * garbage: compared with anything, it does not match.
   */
  origSrcGarbage?: boolean;
  /** --mask-src / --mask-dst (or the CIDR of -s / -d). */
  maskSrc?: Addr;
  maskDst?: Addr;
  /** Mark filter / update (tmpl->mark). */
  mark: ValueMask;
  /** The mark and status filters the kernel applies to a dump (-L, and the mark for -D). */
  kernelMark: ValueMask | null;
  kernelStatus: ValueMask | null;
  /** -l: label bits every entry must have. */
  label: Set<number> | null;
  /** --label-add / --label-del bits (null with --label-del alone: delete them all). */
  labelModify: Set<number> | null;
}

export function emptyTemplate(): Template {
  return { orig: {}, reply: {}, mark: { value: 0, mask: 0 }, kernelMark: null, kernelStatus: null, label: null, labelModify: null };
}
