/**
 * The SANE helper (the kernel's nf_conntrack_sane.c; no NAT counterpart): the scanner
 * protocol's data connection.
 *
 * A client-to-server segment of exactly 8 bytes whose first word is 7 (SANE_NET_START) makes
 * the helper wait for the server's next reply; any other 8-byte request cancels that. The reply,
 * if it is at least 8 bytes with status 0 and a zero half-word, names the port: the helper
 * expects a TCP connection from the client to the server's address and that port (class 0, one
 * at a time, five minutes). Only established connections with data are read.
 */
import type { ExpectPolicy } from '../conntrack/expect.js';
import { Proto } from '../packet/view.js';
import { tcpDataOff } from './payload.js';
import { CtInfo, type HelpCall, type HelperDef } from './types.js';

const SANE_NET_START = 7;
const STATE_NORMAL = 0;
const STATE_START_REQUESTED = 1;

/** Per-connection state (struct nf_ct_sane_master). */
export interface SaneData {
  state: number;
}

const POLICY: readonly ExpectPolicy[] = [{ maxExpected: 1, timeout: 5 * 60, name: null }];

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function help(call: HelpCall): boolean {
  if (call.ctinfo !== CtInfo.ESTABLISHED && call.ctinfo !== CtInfo.ESTABLISHED_REPLY) return true;
  const pkt = call.ctx.pkt;
  const off = tcpDataOff(pkt);
  if (off < 0) return true;
  const b = pkt.buf;
  const len = pkt.ipEnd - off;
  const d = call.conn.helperData as SaneData;
  if (call.dir === 0) {
    if (len !== 8) return true;
    d.state = u32(b, off) === SANE_NET_START ? STATE_START_REQUESTED : STATE_NORMAL;
    return true;
  }
  if (d.state !== STATE_START_REQUESTED) return true;
  d.state = STATE_NORMAL;
  if (len < 8 || u32(b, off) !== 0 || b[off + 4] !== 0 || b[off + 5] !== 0) return true;
  const port = (b[off + 6]! << 8) | b[off + 7]!;
  const conn = call.conn;
  const exp = call.svc.expect.create(conn, 0, conn.family, conn.orig.src, conn.orig.dst, Proto.TCP, null, port);
  return call.svc.expect.related(exp, call.ctx.now) === 0;
}

export const saneHelper: HelperDef = {
  name: 'sane',
  protos: [Proto.TCP],
  families: [4, 6],
  policies: () => POLICY,
  createData: (): SaneData => ({ state: STATE_NORMAL }),
  help,
};
