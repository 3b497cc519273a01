/**
 * The snmp_trap helper (the kernel's nf_nat_snmp_basic): SNMP carries IPv4 addresses in its
 * payload (IpAddress varbinds), which it rewrites for a NATed connection. It registers no
 * expectations. Registered for IPv4 UDP (port 162 by name only: rules assign it explicitly).
 * With the module present (built in on the reference kernel) the snmp helper calls the same
 * routine after its broadcast work (nf_nat_snmp_hook), see broadcast.ts.
 *
 * For every packet of the connection, in this order:
 *  1. a packet from port 161 in the original direction, or to port 162 in the reply direction,
 *     is left alone (the ports as the packet is at the helper: after NAT);
 *  2. a connection without SNAT or DNAT is left alone;
 *  3. a datagram whose UDP length field is not the IP payload length is dropped;
 *  4. the address to replace is the original direction's source and its replacement the reply
 *     direction's destination, in both directions alike (as the kernel computes them): equal
 *     without SNAT, and then nothing is parsed (a DNAT-only connection is never rewritten);
 *  5. the payload is decoded (snmp-ber.ts); a version other than 0 / 1, an IpAddress whose
 *     length is not 4, or any parse error drops the packet. Every IpAddress equal to the address
 *     to replace is overwritten in place (same length) and, unless the UDP checksum is 0 (no
 *     checksum: it stays 0), the checksum is updated incrementally (fast_csum: the old and new
 *     address bytes at their position's parity; a result whose one's-complement sum is zero is
 *     written as 0x0000, unlike a computed UDP checksum).
 *
 * The helper looks at the packet's layer-4 header as a UDP header whatever it is (a RELATED ICMP
 * error in the original direction reaches it too, and its fields are read at the UDP offsets).
 */
import type { ExpectPolicy } from '../conntrack/expect.js';
import { CtStatus } from '../netfilter/context.js';
import { fold, put16, sum16 } from '../packet/checksum.js';
import { Proto } from '../packet/view.js';
import { decodeSnmp, type BerResult } from './snmp-ber.js';
import type { HelpCall, HelperDef } from './types.js';

const SNMP_PORT = 161;
const SNMP_TRAP_PORT = 162;
const NAT_MASK = CtStatus.SRC_NAT | CtStatus.DST_NAT;
const EINVAL = -22;
const ENOTSUPP = -524;

/**
 * The checksum `check` after the four bytes `from` at a payload offset of parity `odd` became
 * `to` (fast_csum): the kernel's one's-complement sum starts from the complemented checksum and
 * can never fold to 0, so a zero sum comes out as checksum 0x0000.
 */
export function snmpCsumUpdate(check: number, from: number, to: number, odd: boolean): number {
  const s = new Uint8Array(12);
  let size: number;
  const f = [from >>> 24, (from >>> 16) & 255, (from >>> 8) & 255, from & 255];
  const t = [to >>> 24, (to >>> 16) & 255, (to >>> 8) & 255, to & 255];
  if (odd) {
    s[0] = 0xff;
    for (let i = 0; i < 4; i++) s[1 + i] = ~f[i]! & 0xff;
    s[5] = 0xff;
    s.set(t, 7);
    size = 12;
  } else {
    for (let i = 0; i < 4; i++) s[i] = ~f[i]! & 0xff;
    s.set(t, 4);
    size = 8;
  }
  const folded = fold(sum16(s, 0, size, ~check & 0xffff)) || 0xffff;
  return ~folded & 0xffff;
}

/**
 * nf_nat_snmp_basic's help for the packet of `call`: null lets it go on (rewritten or not), a
 * reason (the kernel's helper log message) drops it.
 */
export function snmpNat(call: HelpCall): string | null {
  const pkt = call.ctx.pkt;
  const conn = call.conn;
  const b = pkt.buf;
  const u = pkt.l4Off;
  if (u < 0 || u + 8 > pkt.ipEnd) return null;
  const sport = (b[u]! << 8) | b[u + 1]!;
  const dport = (b[u + 2]! << 8) | b[u + 3]!;
  if (sport === SNMP_PORT && call.dir !== 1) return null;
  if (dport === SNMP_TRAP_PORT && call.dir !== 0) return null;
  if (!(conn.status & NAT_MASK)) return null;
  const udpLen = (b[u + 4]! << 8) | b[u + 5]!;
  if (udpLen !== pkt.ipEnd - u) return 'dropping malformed packet';
  const from = conn.orig.src[0]! >>> 0;
  const to = conn.reply.dst[0]! >>> 0;
  if (from === to) return null;
  const begin = u + 8;
  const r: BerResult = decodeSnmp(b, begin, udpLen - 8, {
    version: (off, len) => (len !== 1 ? EINVAL : b[off]! > 1 ? ENOTSUPP : 1),
    ipAddress: (off, len) => {
      if (len !== 4) return EINVAL;
      const v = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
      if (v === from) {
        const check = (b[u + 6]! << 8) | b[u + 7]!;
        if (check !== 0) put16(b, u + 6, snmpCsumUpdate(check, from, to, ((off - begin) & 1) === 1));
        b[off] = to >>> 24;
        b[off + 1] = (to >>> 16) & 255;
        b[off + 2] = (to >>> 8) & 255;
        b[off + 3] = to & 255;
      }
      return 1;
    },
  });
  if (pkt.proto === Proto.UDP) pkt.l4Checksum = (b[u + 6]! << 8) | b[u + 7]!;
  return r.result < 0 ? `parser failed (${r.error})` : null;
}

/** snmpNat as a helper's help: false drops the packet. Used by snmp_trap and, on a NATed connection, by the snmp helper. */
export function snmpNatHelp(call: HelpCall): boolean {
  return snmpNat(call) === null;
}

export const snmpTrapHelper: HelperDef = {
  name: 'snmp_trap',
  protos: [Proto.UDP],
  families: [4],
  policies: (): readonly ExpectPolicy[] => [{ maxExpected: 0, timeout: 180, name: null }],
  createData: () => null,
  help: snmpNatHelp,
};
