/**
 * The IRC helper (the kernel's nf_conntrack_irc.c, with nf_nat_irc.c for NATed connections):
 * DCC offers a client sends through an IRC server.
 *
 * Only client-to-server packets of an established connection are read, at most their first
 * 4095 payload bytes: after leading blanks and line ends, an optional "PRIVMSG " (any case), the
 * first " :" must start "\1DCC " followed by one of SEND, CHAT, MOVE, TSEND, SCHAT and a blank,
 * an argument, the address as a decimal number and the port (a line end must follow somewhere).
 * The address must be the client's own (or the one it is NATed to) and the port not 0, else the
 * offer is ignored as forged. The expectation: a TCP connection from anywhere to the client's
 * address as the server sees it and the offered port; class 0, max_dcc_channels (8) at once,
 * dcc_timeout (300 s). One offer per packet.
 *
 * With NAT, the address and port become "<NATed address as a number> <registered port>", and
 * the expected connection is mapped to the client like the master's reply direction.
 */
import type { ExpectPolicy } from '../conntrack/expect.js';
import { Proto } from '../packet/view.js';
import { expectFollowMaster, findPort, mangleTcp, natFor } from './nat-support.js';
import { tcpDataOff } from './payload.js';
import { startsWith, startsWithCi, strtoul, type Parsed } from './text.js';
import { CtInfo, type HelperOptions, type HelpCall, type HelperDef } from './types.js';

/** MAX_SEARCH_SIZE. */
const MAX_SEARCH = 4095;
/** Bytes an offer needs after " :" (strlen(" :\1DCC SENT t AAAAAAAA P\1\n")). */
const MIN_OFFER = 26;
const DCC_PROTOS = ['SEND ', 'CHAT ', 'MOVE ', 'TSEND ', 'SCHAT '];

/** A parsed offer: address, port, and where the address text starts and the port text ends. */
interface Offer {
  ip: number;
  port: number;
  begin: number;
  end: number;
}

const num: Parsed = { value: 0, end: 0 };

/**
 * The byte at `i`: the payload is read up to `limit`, and one byte further where the packet
 * has one (the kernel's newline check reads data_end itself).
 */
function at(b: Uint8Array, i: number, end: number): number {
  return i < end ? b[i]! : 0;
}

/** parse_dcc: "<arg> <ip> <port>" with a line end within the data. False when it does not parse. */
function parseDcc(b: Uint8Array, data: number, limit: number, pktEnd: number, o: Offer): boolean {
  for (;;) {
    const c = at(b, data++, pktEnd);
    if (c === 0x20) break;
    if (data > limit - 12) return false;
  }
  let nl = data;
  while (nl <= limit && at(b, nl, pktEnd) !== 0x0a) nl++;
  if (nl > limit) return false;
  o.begin = data;
  strtoul(b, data, pktEnd, num);
  o.ip = num.value;
  data = num.end;
  while (at(b, data, pktEnd) === 0x20) {
    if (data >= limit) return false;
    data++;
  }
  strtoul(b, data, pktEnd, num);
  o.port = num.value & 0xffff;
  o.end = num.end;
  return true;
}

const offer: Offer = { ip: 0, port: 0, begin: 0, end: 0 };

function help(call: HelpCall): boolean {
  if (call.dir === 1) return true;
  if (call.ctinfo !== CtInfo.ESTABLISHED && call.ctinfo !== CtInfo.ESTABLISHED_REPLY) return true;
  const pkt = call.ctx.pkt;
  const start = tcpDataOff(pkt);
  if (start < 0) return true;
  const b = pkt.buf;
  const limit = start + Math.min(pkt.ipEnd - start, MAX_SEARCH);
  let data = start;
  while (data < limit - 10 && (b[data] === 0x20 || b[data] === 0x0d || b[data] === 0x0a)) data++;
  if (data < limit - 10) {
    if (!startsWithCi(b, data, limit, 'PRIVMSG ')) return true;
    data += 8;
  }
  while (data < limit - MIN_OFFER) {
    if (b[data] !== 0x20 || b[data + 1] !== 0x3a) {
      data++;
      continue;
    }
    data += 2;
    if (!startsWith(b, data, limit, '\x01DCC ')) return true;
    data += 5;
    for (const proto of DCC_PROTOS) {
      if (!startsWith(b, data, limit, proto)) continue;
      data += proto.length;
      if (!parseDcc(b, data, limit, pkt.ipEnd, offer) || forged(call, offer)) continue;
      return expectOffer(call, offer.port, offer.begin - start, offer.end - offer.begin);
    }
  }
  return true;
}

/** The offer names neither the client's address nor its NATed one, or port 0. */
function forged(call: HelpCall, o: Offer): boolean {
  const conn = call.conn;
  return (conn.orig.src[0] !== o.ip && conn.reply.dst[0] !== o.ip) || o.port === 0;
}

function expectOffer(call: HelpCall, port: number, matchOff: number, matchLen: number): boolean {
  const conn = call.conn;
  const svc = call.svc;
  const now = call.ctx.now;
  const exp = svc.expect.create(conn, 0, conn.family, null, conn.reply.dst, Proto.TCP, null, port);
  const nat = natFor(conn, svc);
  if (nat === null) return svc.expect.related(exp, now) === 0;
  expectFollowMaster(exp, nat, 1, port);
  const newPort = findPort(exp, port, svc, now);
  if (newPort === 0) return false;
  if (!mangleTcp(call, matchOff, matchLen, `${conn.reply.dst[0]! >>> 0} ${newPort}`)) {
    svc.expect.remove(exp, now);
    return false;
  }
  return true;
}

export const ircHelper: HelperDef = {
  name: 'irc',
  protos: [Proto.TCP],
  families: [4],
  policies: (o: Readonly<Required<HelperOptions>>): readonly ExpectPolicy[] => [
    { maxExpected: o.ircMaxDccChannels, timeout: o.ircDccTimeout, name: null },
  ],
  createData: () => null,
  help,
};
