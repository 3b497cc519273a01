/**
 * The Amanda helper (the kernel's nf_conntrack_amanda.c, with nf_nat_amanda.c for NATed
 * connections): the backup protocol's data connections, announced over UDP.
 *
 * Every reply-direction packet first extends the master's timeout to master_timeout (300 s:
 * clients answer late). Its payload is searched for "CONNECT " and the line end after it;
 * within that line "DATA ", "MESG ", "INDEX " and "STATE " (in that order, case-sensitive) are
 * each followed by a port (at most five digits are read). Each port makes an expectation of a
 * TCP connection from the master's original source to its original destination on that port
 * (class 0, up to four at once, 180 s); a keyword whose port reads as 0 ends the search.
 *
 * With NAT, each port is registered (or moved to a free one) and written back into the packet;
 * the expected connection is mapped like the master's original direction.
 */
import type { Expectation, ExpectPolicy } from '../conntrack/expect.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { expectFollowMaster, findPort, mangleUdp, natFor } from './nat-support.js';
import { udpDataOff } from './payload.js';
import { strtoul, type Parsed } from './text.js';
import type { HelperOptions, HelpCall, HelperDef } from './types.js';

const KEYWORDS = ['DATA ', 'MESG ', 'INDEX ', 'STATE '];
/** The port text read: at most sizeof("65535") - 1 bytes. */
const PORT_CHARS = 5;

/** skb_find_text: first position of `pattern` lying wholly within [from, to), or -1. */
function findText(b: Uint8Array, from: number, to: number, pattern: string): number {
  const n = pattern.length;
  outer: for (let i = from; i + n <= to; i++) {
    for (let k = 0; k < n; k++) if (b[i + k] !== pattern.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

const num: Parsed = { value: 0, end: 0 };

function help(call: HelpCall): boolean {
  if (call.dir === 0) return true;
  const conn = call.conn;
  const svc = call.svc;
  const now = call.ctx.now;
  if (!(conn.status & CtStatus.FIXED_TIMEOUT)) svc.table.setTimeout(conn, svc.options.amandaTimeout, now);
  let pkt = call.ctx.pkt;
  const dataOff = udpDataOff(pkt);
  if (dataOff < 0 || dataOff >= pkt.ipEnd) return true;
  // Offsets from the start of the datagram: they stay valid when a rewrite moves the packet.
  const base = pkt.l3Off;
  const dataRel = dataOff - base;
  const connect = findText(pkt.buf, dataOff, pkt.ipEnd, 'CONNECT ');
  if (connect < 0) return true;
  const start = connect + 8 - base;
  const nl = findText(pkt.buf, start + base, pkt.ipEnd, '\n');
  if (nl < 0) return true;
  const stop = nl - base;
  let ok = true;
  for (const kw of KEYWORDS) {
    pkt = call.ctx.pkt;
    const b = pkt.buf;
    const at = findText(b, pkt.l3Off + start, pkt.l3Off + stop, kw);
    if (at < 0) continue;
    const off = at - pkt.l3Off + kw.length;
    const len = Math.min(PORT_CHARS, stop - off);
    strtoul(b, pkt.l3Off + off, pkt.l3Off + off + len, num);
    const port = num.value & 0xffff;
    if (port === 0) break;
    const exp = svc.expect.create(conn, 0, conn.family, conn.orig.src, conn.orig.dst, Proto.TCP, null, port);
    const nat = natFor(conn, svc);
    if (nat === null) {
      if (svc.expect.related(exp, now) !== 0) ok = false;
      continue;
    }
    expectFollowMaster(exp, nat, 0, port);
    ok = natAmanda(call, exp, port, off - dataRel, num.end - (pkt.l3Off + off));
  }
  return ok;
}

/** nf_nat_amanda: register the port (or a free one) and write it into the packet. */
function natAmanda(call: HelpCall, exp: Expectation, port: number, matchOff: number, matchLen: number): boolean {
  const now = call.ctx.now;
  const newPort = findPort(exp, port, call.svc, now);
  if (newPort === 0) return false;
  if (!mangleUdp(call, matchOff, matchLen, String(newPort))) {
    call.svc.expect.remove(exp, now);
    return false;
  }
  return true;
}

export const amandaHelper: HelperDef = {
  name: 'amanda',
  protos: [Proto.UDP],
  families: [4, 6],
  policies: (_o: Readonly<Required<HelperOptions>>): readonly ExpectPolicy[] => [{ maxExpected: 4, timeout: 180, name: null }],
  createData: () => null,
  help,
};
