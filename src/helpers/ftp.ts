/**
 * The FTP helper (the kernel's nf_conntrack_ftp.c, with nf_nat_ftp.c for NATed connections).
 *
 * Only packets of an established control connection with data are looked at, and only when
 * the segment starts right after a line end the helper saw in that direction: per direction it
 * remembers the sequence numbers following the last two segments that ended in "\n" (so the
 * very first command of a direction is never parsed). Then:
 *
 *  - client to server: `PORT h1,h2,h3,h4,p1,p2` (RFC 959) and `EPRT |1|a.b.c.d|port|` or
 *    `EPRT |2|v6addr|port|` (RFC 2428, any printable non-digit delimiter);
 *  - server to client: `227 ` with the six numbers anywhere after it (RFC 1123) and
 *    `229 (|||port|)`.
 *
 * Command names compare case-insensitively. A segment that is a prefix of a command, or a
 * command whose numbers do not parse, is dropped (the kernel's "partial matching"). The address
 * must be the sender's own (loose=0): otherwise nothing is expected. The expectation is for a
 * TCP connection from the other side's address, any source port, to the announced address and
 * port; class 0, at most one per control connection, five minutes.
 *
 * With NAT, the address and port the other side must use are written into the command (the
 * expectation moves to a free port when the announced one is taken), which may change the
 * segment's length: the sequence numbers of the direction shift from then on.
 */
import type { Expectation, ExpectPolicy } from '../conntrack/expect.js';
import { Proto } from '../packet/view.js';
import { expectFollowMaster, findPort, mangleTcp, natFor } from './nat-support.js';
import { tcpDataOff } from './payload.js';
import { dotted, in6Pton, ipv6Full, isDigit, startsWithCi, type PtonResult } from './text.js';
import { CtInfo, type HelpCall, type HelperDef, type HelperNat } from './types.js';

/** enum nf_ct_ftp_type. */
const enum FtpType {
  PORT,
  PASV,
  EPRT,
  EPSV,
}

/** NF_CT_FTP_SEQ_PICKUP: resume parsing at the next segment whatever its position (ctnetlink-injected entries). */
export const FTP_SEQ_PICKUP = 1;

/** Per-connection state (struct nf_ct_ftp_master): per direction, sequence numbers after line ends. */
export interface FtpData {
  seqAftNl: [number[], number[]];
  seqAftNlNum: [number, number];
  flags: [number, number];
}

/** NUM_SEQ_TO_REMEMBER. */
const NUM_SEQ = 2;

const POLICY: readonly ExpectPolicy[] = [{ maxExpected: 1, timeout: 5 * 60, name: null }];

/** The parsed command (struct nf_conntrack_man): address words and port. */
class Cmd {
  family: 4 | 6 = 4;
  readonly addr = new Uint32Array(4);
  port = 0;
}

/** Where the numbers are in the payload. */
interface Match {
  off: number;
  len: number;
}

type GetNum = (b: Uint8Array, off: number, dlen: number, cmd: Cmd, term: number, m: Match) => number;

interface Search {
  pattern: string;
  skip: number;
  term: number;
  type: FtpType;
  getnum: GetNum;
}

const numbers = new Uint32Array(6);
const pton: PtonResult = { ok: false, end: 0 };

/** try_number: `size` decimal numbers separated by `sep`, ended by `term` (0: any other byte). */
function tryNumber(b: Uint8Array, off: number, dlen: number, size: number, sep: number, term: number): number {
  numbers.fill(0);
  let i = 0;
  for (let len = 0; len < dlen && i < size; len++) {
    const c = b[off + len]!;
    if (isDigit(c)) numbers[i] = (Math.imul(numbers[i]!, 10) + c - 0x30) >>> 0;
    else if (c === sep) i++;
    else return (c === term || term === 0) && i === size - 1 ? len : 0;
  }
  return 0;
}

/** An address from four numbers, as the kernel shifts them together (no range check). */
function quad(): number {
  return ((numbers[0]! << 24) | (numbers[1]! << 16) | (numbers[2]! << 8) | numbers[3]!) >>> 0;
}

/** try_rfc959: "h1,h2,h3,h4,p1,p2". */
function tryRfc959(b: Uint8Array, off: number, dlen: number, cmd: Cmd, term: number): number {
  const len = tryNumber(b, off, dlen, 6, 0x2c, term);
  if (len === 0) return 0;
  cmd.addr[0] = quad();
  cmd.port = ((numbers[4]! << 8) | numbers[5]!) & 0xffff;
  return len;
}

/** try_rfc1123: the six numbers start at the first digit. */
function tryRfc1123(b: Uint8Array, off: number, dlen: number, cmd: Cmd, _term: number, m: Match): number {
  let i = 0;
  while (i < dlen && !isDigit(b[off + i]!)) i++;
  if (i === dlen) return 0;
  m.off += i;
  return tryRfc959(b, off + i, dlen - i, cmd, 0);
}

/** get_port: digits up to `delim`; the length through the delimiter from `off`, 0 for none or port 0. */
function getPort(b: Uint8Array, off: number, start: number, dlen: number, delim: number, cmd: Cmd): number {
  let port = 0;
  for (let i = start; i < dlen; i++) {
    const c = b[off + i]!;
    if (c === delim) {
      if (port === 0) return 0;
      cmd.port = port;
      return i + 1;
    }
    if (!isDigit(c)) return 0;
    port = (port * 10 + c - 0x30) & 0xffff;
  }
  return 0;
}

/** The EPRT / EPSV delimiter: printable, not a digit. */
function badDelimiter(c: number): boolean {
  return isDigit(c) || c < 33 || c > 126;
}

/** try_eprt: "|1|a.b.c.d|port|" or "|2|v6|port|" (the family must be the connection's). */
function tryEprt(b: Uint8Array, off: number, dlen: number, cmd: Cmd): number {
  if (dlen <= 3) return 0;
  const delim = b[off]!;
  if (badDelimiter(delim) || b[off + 2] !== delim) return 0;
  const proto = b[off + 1]!;
  if ((cmd.family === 4 && proto !== 0x31) || (cmd.family === 6 && proto !== 0x32)) return 0;
  let length: number;
  if (proto === 0x31) {
    length = tryNumber(b, off + 3, dlen - 3, 4, 0x2e, delim);
    if (length !== 0) cmd.addr[0] = quad();
  } else {
    const r = in6Pton(b, off + 3, Math.min(dlen - 3, 0xffff), cmd.addr, delim, pton);
    length = r.ok ? r.end - (off + 3) : 0;
  }
  if (length === 0) return 0;
  return getPort(b, off, 3 + length + 1, dlen, delim, cmd);
}

/** try_epsv_response: "|||port|". */
function tryEpsv(b: Uint8Array, off: number, dlen: number, cmd: Cmd): number {
  if (dlen <= 3) return 0;
  const delim = b[off]!;
  if (badDelimiter(delim) || b[off + 1] !== delim || b[off + 2] !== delim) return 0;
  return getPort(b, off, 3, dlen, delim, cmd);
}

const SEARCH: readonly [readonly Search[], readonly Search[]] = [
  [
    { pattern: 'PORT', skip: 0x20, term: 0x0d, type: FtpType.PORT, getnum: tryRfc959 },
    { pattern: 'EPRT', skip: 0x20, term: 0x0d, type: FtpType.EPRT, getnum: tryEprt },
  ],
  [
    { pattern: '227 ', skip: 0, term: 0, type: FtpType.PASV, getnum: tryRfc1123 },
    { pattern: '229 ', skip: 0x28, term: 0x29, type: FtpType.EPSV, getnum: tryEpsv },
  ],
];

/** find_pattern: 1 match, 0 no match, -1 partial (a prefix of the command, or numbers that do not parse). */
function findPattern(b: Uint8Array, off: number, dlen: number, s: Search, cmd: Cmd, m: Match): -1 | 0 | 1 {
  const plen = s.pattern.length;
  if (dlen <= plen) return startsWithCi(b, off, off + dlen, s.pattern, dlen) ? -1 : 0;
  if (!startsWithCi(b, off, off + dlen, s.pattern)) return 0;
  let i = plen;
  if (s.skip !== 0) {
    for (; b[off + i] !== s.skip; i++) if (i === dlen - 1) return -1;
    i++;
  }
  m.off = i;
  m.len = s.getnum(b, off + i, dlen - i, cmd, s.term, m);
  return m.len === 0 ? -1 : 1;
}

function ftpData(call: HelpCall): FtpData {
  return call.conn.helperData as FtpData;
}

/** find_nl_seq. */
function afterNewline(d: FtpData, dir: 0 | 1, seq: number): boolean {
  for (let i = 0; i < d.seqAftNlNum[dir]; i++) if (d.seqAftNl[dir][i] === seq) return true;
  return false;
}

/** update_nl_seq: remember `seq` (the oldest of two is replaced by a later one). */
function rememberNewline(d: FtpData, dir: 0 | 1, seq: number): void {
  const seqs = d.seqAftNl[dir];
  for (let i = 0; i < d.seqAftNlNum[dir]; i++) if (seqs[i] === seq) return;
  if (d.seqAftNlNum[dir] < NUM_SEQ) {
    seqs[d.seqAftNlNum[dir]++] = seq;
    return;
  }
  const oldest = before(seqs[0]!, seqs[1]!) ? 0 : 1;
  if (before(seqs[oldest]!, seq)) seqs[oldest] = seq;
}

/** before(a, b) on 32-bit sequence numbers. */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

const cmd = new Cmd();
const match: Match = { off: 0, len: 0 };

function help(call: HelpCall): boolean {
  if (call.ctinfo !== CtInfo.ESTABLISHED && call.ctinfo !== CtInfo.ESTABLISHED_REPLY) return true;
  const pkt = call.ctx.pkt;
  const dataOff = tcpDataOff(pkt);
  if (dataOff < 0) return true;
  const b = pkt.buf;
  const dlen = pkt.ipEnd - dataOff;
  const dir = call.dir;
  const d = ftpData(call);
  const seqStart = pkt.tcpSeq >>> 0;
  const endsInNl = b[dataOff + dlen - 1] === 0x0a;
  const seqNext = (seqStart + dlen) >>> 0;
  let verdict = true;
  if (afterNewline(d, dir, seqStart) || pickUp(d, dir)) {
    const r = parse(call, b, dataOff, dlen);
    if (r === 'partial') return false;
    verdict = r === 'accept';
  }
  if (endsInNl) rememberNewline(d, dir, seqNext);
  return verdict;
}

/** NF_CT_FTP_SEQ_PICKUP: parse this segment once, whatever its position. */
function pickUp(d: FtpData, dir: 0 | 1): boolean {
  if (!(d.flags[dir] & FTP_SEQ_PICKUP)) return false;
  d.flags[dir] ^= FTP_SEQ_PICKUP;
  return true;
}

/**
 * The commands of one segment: 'partial' for a partial match (dropped without line-end
 * bookkeeping), 'drop' when the expectation could not be registered (dropped, the line end is
 * still remembered), 'accept'.
 */
function parse(call: HelpCall, b: Uint8Array, off: number, dlen: number): 'accept' | 'partial' | 'drop' {
  const conn = call.conn;
  const dir = call.dir;
  cmd.family = conn.family;
  cmd.addr.set(conn.tuple(dir).src);
  let found: -1 | 0 | 1 = 0;
  let s: Search | null = null;
  for (const cand of SEARCH[dir]) {
    found = findPattern(b, off, dlen, cand, cmd, match);
    s = cand;
    if (found !== 0) break;
  }
  if (found === -1) return 'partial';
  if (found === 0 || s === null) return 'accept';
  const other = conn.tuple(dir === 0 ? 1 : 0);
  let daddr: ArrayLike<number> = other.dst;
  if (!sameAddr(cmd.addr, conn.tuple(dir).src)) {
    if (!call.svc.options.ftpLoose) return 'accept';
    daddr = cmd.addr;
  }
  const exp = call.svc.expect.create(conn, 0, cmd.family, other.src, daddr, Proto.TCP, null, cmd.port);
  const nat = natFor(conn, call.svc);
  if (nat !== null) return natFtp(call, nat, s.type, match.off, match.len, exp) ? 'accept' : 'drop';
  return call.svc.expect.related(exp, call.ctx.now) === 0 ? 'accept' : 'drop';
}

function sameAddr(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** nf_nat_ftp_fmt_cmd. */
function formatCommand(type: FtpType, family: 4 | 6, addr: ArrayLike<number>, port: number): string {
  switch (type) {
    case FtpType.PORT:
    case FtpType.PASV: {
      const a = addr[0]!;
      return `${a >>> 24},${(a >>> 16) & 255},${(a >>> 8) & 255},${a & 255},${port >>> 8},${port & 255}`;
    }
    case FtpType.EPRT:
      return family === 4 ? `|1|${dotted(addr[0]!)}|${port}|` : `|2|${ipv6Full(addr)}|${port}|`;
    case FtpType.EPSV:
      return `|||${port}|`;
  }
}

/**
 * nf_nat_ftp: the other side must use the address this packet is going to be translated to
 * (the other direction's destination) and a port registered for the expectation; the command
 * says so.
 */
function natFtp(call: HelpCall, nat: HelperNat, type: FtpType, matchOff: number, matchLen: number, exp: Expectation): boolean {
  const conn = call.conn;
  const dir = call.dir;
  const newAddr = conn.tuple(dir === 0 ? 1 : 0).dst;
  expectFollowMaster(exp, nat, dir === 0 ? 1 : 0, exp.tuple.dport);
  const now = call.ctx.now;
  const port = findPort(exp, exp.savedProto, call.svc, now);
  if (port === 0) return false;
  if (!mangleTcp(call, matchOff, matchLen, formatCommand(type, conn.family, newAddr, port))) {
    call.svc.expect.remove(exp, now);
    return false;
  }
  return true;
}

export const ftpHelper: HelperDef = {
  name: 'ftp',
  protos: [Proto.TCP],
  families: [4, 6],
  policies: () => POLICY,
  createData: (): FtpData => ({ seqAftNl: [[0, 0], [0, 0]], seqAftNlNum: [0, 0], flags: [0, 0] }),
  help,
};
