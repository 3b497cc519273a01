/**
 * The TFTP helper (the kernel's nf_conntrack_tftp.c, with nf_nat_tftp.c for NATed connections).
 *
 * Every packet of the connection is looked at, whatever its state: a read or write request
 * (opcode 1 or 2 in the two bytes after the UDP header) makes the helper expect the server's
 * answer, which comes from another port: a UDP connection from the reply direction's source
 * address, any port, to the reply direction's destination address and port. Class 0, one at a
 * time per connection, five minutes. Other opcodes (data, ack, error) are ignored.
 *
 * With NAT, the expected connection is mapped like the master's reply direction, to the
 * client's original port.
 */
import type { ExpectPolicy } from '../conntrack/expect.js';
import { Proto } from '../packet/view.js';
import { expectFollowMaster, natFor } from './nat-support.js';
import { udpDataOff } from './payload.js';
import type { HelpCall, HelperDef } from './types.js';

const OPCODE_READ = 1;
const OPCODE_WRITE = 2;

const POLICY: readonly ExpectPolicy[] = [{ maxExpected: 1, timeout: 5 * 60, name: null }];

function help(call: HelpCall): boolean {
  const pkt = call.ctx.pkt;
  const off = udpDataOff(pkt);
  if (off < 0 || off + 2 > pkt.ipEnd) return true;
  const opcode = (pkt.buf[off]! << 8) | pkt.buf[off + 1]!;
  if (opcode !== OPCODE_READ && opcode !== OPCODE_WRITE) return true;
  const conn = call.conn;
  const reply = conn.reply;
  const svc = call.svc;
  const exp = svc.expect.create(conn, 0, conn.family, reply.src, reply.dst, Proto.UDP, null, reply.dport);
  const nat = natFor(conn, svc);
  if (nat !== null) expectFollowMaster(exp, nat, 1, conn.orig.sport);
  return svc.expect.related(exp, call.ctx.now) === 0;
}

export const tftpHelper: HelperDef = {
  name: 'tftp',
  protos: [Proto.UDP],
  families: [4, 6],
  policies: () => POLICY,
  createData: () => null,
  help,
};
