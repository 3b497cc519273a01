/**
 * The conntrack hot path's checksum check (proto/csum.ts) answers as packet/checksum.ts's
 * verifyL4Checksum on every packet: good and corrupted checksums, every length and every
 * alignment of the packet in its buffer, IPv4 and IPv6, TCP, UDP (zero checksum included), ICMP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as B from '../../src/packet/build.js';
import { verifyL4Checksum } from '../../src/packet/checksum.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { l4ChecksumOk } from '../../src/conntrack/proto/csum.js';

function packet(kind: number, v6: boolean, payload: Uint8Array): Uint8Array {
  const src = v6 ? 'fd00::1:2' : '10.1.2.3';
  const dst = v6 ? 'fd00::9' : '192.168.7.9';
  const l4 =
    kind === 0
      ? B.tcp({ sport: 40000, dport: 443, flags: 'PA', seq: 123456789, ack: 987654321, payload, options: { ts: [5, 6] } })
      : kind === 1
        ? B.udp({ sport: 5353, dport: 53, payload })
        : B.icmpEcho({ id: 9, seq: 77, payload });
  return v6 ? B.ipv6({ src, dst, payload: l4 }) : B.ipv4({ src, dst, payload: l4 });
}

test('l4ChecksumOk agrees with verifyL4Checksum', () => {
  fc.assert(
    fc.property(
      fc.nat(2),
      fc.boolean(),
      fc.uint8Array({ maxLength: 1600 }),
      fc.nat(7),
      fc.array(fc.tuple(fc.nat(2000), fc.nat(255)), { maxLength: 3 }),
      fc.boolean(),
      (kind, v6, payload, shift, flips, zeroUdp) => {
        const ip = packet(kind, v6, payload);
        const buf = new Uint8Array(ip.length + shift + 3);
        buf.set(ip, shift);
        const hdr = v6 ? 40 : 20;
        if (zeroUdp && kind === 1) {
          buf[shift + hdr + 6] = 0;
          buf[shift + hdr + 7] = 0;
        }
        for (const [at, val] of flips) if (at >= hdr && at < ip.length) buf[shift + at] = val;
        const v = decodeIp(new PacketView(), buf, shift, shift + ip.length);
        assert.equal(l4ChecksumOk(v), verifyL4Checksum(v));
      },
    ),
    { numRuns: 4000 },
  );
});

test('l4ChecksumOk accepts correct packets of every size and alignment', () => {
  for (let n = 0; n < 300; n += 7) {
    for (let shift = 0; shift < 4; shift++) {
      for (const kind of [0, 1, 2]) {
        const ip = packet(kind, n % 2 === 0, new Uint8Array(n).map((_, i) => (i * 37 + n) & 255));
        const buf = new Uint8Array(ip.length + shift);
        buf.set(ip, shift);
        const v = decodeIp(new PacketView(), buf, shift);
        assert.equal(l4ChecksumOk(v), true, `kind ${kind} len ${n} shift ${shift}`);
      }
    }
  }
});
