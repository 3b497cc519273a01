/**
 * What the NAT halves of the helpers share (the kernel's nf_nat_helper.c and the per-helper
 * nf_nat_* modules' common steps): whether a connection is NATed, registering an expectation on
 * a free port (nf_nat_exp_find_port), the expectfn that makes an expected connection follow its
 * master's mapping, and the payload rewrites (src/nat's mangle functions, which also record the
 * TCP sequence shift).
 */
import type { Conn } from '../conntrack/conn.js';
import type { Expectation } from '../conntrack/expect.js';
import { CtStatus } from '../netfilter/context.js';
import { mangleTcpPacket, mangleUdpPacket } from '../nat/helper.js';
import { ascii } from './text.js';
import type { HelpCall, HelperNat, HelperServices } from './types.js';

/** IPS_NAT_MASK. */
const NAT_MASK = CtStatus.SRC_NAT | CtStatus.DST_NAT;

/** The NAT engine when `conn` is NATed and the host has NAT (the helpers' `nf_nat_* && ct->status & IPS_NAT_MASK`). */
export function natFor(conn: Conn, svc: HelperServices): HelperNat | null {
  return svc.nat !== null && (conn.status & NAT_MASK) !== 0 ? svc.nat : null;
}

/** The most ports tried after the first (nf_nat_exp_find_port's max_attempts). */
const MAX_ATTEMPTS = 128;

/**
 * nf_nat_exp_find_port: registers `exp` with destination port `port`, or, while that clashes,
 * with random ports above it. Returns the port, or 0 when none could be had.
 */
export function findPort(exp: Expectation, port: number, svc: HelperServices, now: number): number {
  const min = port;
  const range = 0xffff - port;
  let attempts = Math.min(range, MAX_ATTEMPTS);
  for (;;) {
    exp.tuple.dport = port;
    const res = svc.expect.related(exp, now);
    if (res === 0) return port;
    if (res !== 'EBUSY' || --attempts < 0) return 0;
    port = min + svc.random.below(range);
  }
}

/**
 * nf_nat_follow_master as an expectfn: sets `exp` up so that the connection it creates is
 * mapped like its master's `dir` direction, to the saved port `savedPort`.
 */
export function expectFollowMaster(exp: Expectation, nat: HelperNat, dir: 0 | 1, savedPort: number): void {
  exp.savedProto = savedPort;
  exp.dir = dir;
  exp.expectFn = (conn, e, now) => nat.followMaster(conn, e.dir, e.savedProto, now);
}

/** nf_nat_mangle_tcp_packet with ASCII replacement text (offsets into the TCP payload). */
export function mangleTcp(call: HelpCall, matchOff: number, matchLen: number, rep: string): boolean {
  return mangleTcpPacket(call.ctx, call.conn, matchOff, matchLen, ascii(rep));
}

/** nf_nat_mangle_udp_packet with ASCII replacement text (offsets into the UDP payload). */
export function mangleUdp(call: HelpCall, matchOff: number, matchLen: number, rep: string): boolean {
  return mangleUdpPacket(call.ctx, matchOff, matchLen, ascii(rep));
}
