import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  computeL4Checksum,
  crc32c,
  csumReplace16,
  csumReplace32,
  csumReplaceAddr6,
  fillIpv4HeaderChecksum,
  fillL4Checksum,
  internetChecksum,
  sum16,
  udpCsumReplace32,
  verifyIpv4Header,
  verifyL4Checksum,
} from '../../src/packet/checksum.js';
import { decodeIp } from '../../src/packet/decode.js';
import * as B from '../../src/packet/build.js';
import { PacketView, Proto } from '../../src/packet/view.js';

const ipv4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const ipv6Text = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const port = fc.nat(0xffff);
const payload = fc.uint8Array({ maxLength: 64 });

/** A random TCP, UDP or ICMP(v6) packet over IPv4 or IPv6, checksums filled by the builder. */
const packet = fc.oneof(
  fc.record({ s: ipv4Text, d: ipv4Text, sp: port, dp: port, seq: fc.nat(), p: payload, kind: fc.constantFrom('tcp', 'udp', 'icmp') }).map((r) =>
    B.ipv4({
      src: r.s,
      dst: r.d,
      payload: r.kind === 'tcp' ? B.tcp({ sport: r.sp, dport: r.dp, seq: r.seq, flags: 'PA', payload: r.p }) : r.kind === 'udp' ? B.udp({ sport: r.sp, dport: r.dp, payload: r.p }) : B.icmpEcho({ id: r.sp, seq: r.dp, payload: r.p }),
    }),
  ),
  fc.record({ s: ipv6Text, d: ipv6Text, sp: port, dp: port, p: payload, kind: fc.constantFrom('tcp', 'udp', 'icmp') }).map((r) =>
    B.ipv6({
      src: r.s,
      dst: r.d,
      payload: r.kind === 'tcp' ? B.tcp({ sport: r.sp, dport: r.dp, flags: 'A', payload: r.p }) : r.kind === 'udp' ? B.udp({ sport: r.sp, dport: r.dp, payload: r.p }) : B.icmpv6Echo({ id: r.sp, seq: r.dp, payload: r.p }),
    }),
  ),
);

test('RFC 1071 example and CRC32c check value', () => {
  const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(internetChecksum(b, 0, b.length), 0x220d);
  assert.equal(internetChecksum(Uint8Array.from([1, 2, 3]), 0, 3), ~(0x0102 + 0x0300) & 0xffff);
  assert.equal(crc32c(new TextEncoder().encode('123456789'), 0, 9), 0xe3069283);
});

test('the IPv4 header checksum of a known packet', () => {
  const hex = '4500002800010000400663080a0001640a0002649c400050000003e8000000005002faf0fcb10000';
  const p = Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16)));
  assert.ok(verifyIpv4Header(p, 0, 20));
  const v = decodeIp(new PacketView(), p);
  assert.ok(verifyL4Checksum(v));
  assert.equal(computeL4Checksum(v), 0xfcb1);
  p[8] = 63;
  assert.ok(!verifyIpv4Header(p, 0, 20));
  fillIpv4HeaderChecksum(p, 0, 20);
  assert.equal((p[10]! << 8) | p[11]!, 0x6408);
});

test('verify(compute(x)) for random packets; a flipped byte fails', () => {
  const v = new PacketView();
  fc.assert(
    fc.property(packet, fc.nat(), (pkt, at) => {
      decodeIp(v, pkt);
      assert.ok(verifyL4Checksum(v));
      if (v.family === 4) assert.ok(verifyIpv4Header(pkt, 0, 20));
      const i = v.l4Off + (at % v.l4Len);
      pkt[i] = pkt[i]! ^ 0x10;
      decodeIp(v, pkt);
      if (v.proto === Proto.UDP && v.family === 4 && v.l4Checksum === 0) return; // became "no checksum"
      assert.ok(!verifyL4Checksum(v));
    }),
    { numRuns: 3000 },
  );
});

test('incremental address, port and TTL updates equal a full recompute', () => {
  const v = new PacketView();
  fc.assert(
    fc.property(packet, fc.nat(), fc.nat(0xffff), fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), (pkt, newV4, newPort, newV6) => {
      decodeIp(v, pkt);
      const csOff = v.l4Off + (v.proto === Proto.TCP ? 16 : v.proto === Proto.UDP ? 6 : 2);
      const l4cs = (pkt[csOff]! << 8) | pkt[csOff + 1]!;
      let expectL4 = l4cs;
      if (v.family === 4) {
        // rewrite the source address: IP header and (pseudo-header) transport checksum
        const old = v.src[0]!;
        const ipcs = (pkt[10]! << 8) | pkt[11]!;
        const ttlWord = (pkt[8]! << 8) | pkt[9]!;
        pkt.set([newV4 >>> 24, (newV4 >>> 16) & 255, (newV4 >>> 8) & 255, newV4 & 255], 12);
        pkt[8] = (pkt[8]! - 1) & 0xff;
        let ip = csumReplace32(ipcs, old, newV4 >>> 0);
        ip = csumReplace16(ip, ttlWord, (pkt[8]! << 8) | pkt[9]!);
        pkt[10] = ip >> 8;
        pkt[11] = ip & 255;
        assert.ok(verifyIpv4Header(pkt, 0, 20));
        if (v.proto !== Proto.ICMP) expectL4 = v.proto === Proto.UDP ? udpCsumReplace32(l4cs, old, newV4 >>> 0) : csumReplace32(l4cs, old, newV4 >>> 0);
      } else {
        const old = Uint32Array.from(v.src);
        const nw = Uint32Array.from(newV6);
        for (let i = 0; i < 4; i++) pkt.set([nw[i]! >>> 24, (nw[i]! >>> 16) & 255, (nw[i]! >>> 8) & 255, nw[i]! & 255], 8 + 4 * i);
        expectL4 = csumReplaceAddr6(l4cs, old, nw);
      }
      if (v.proto === Proto.TCP || v.proto === Proto.UDP) {
        const oldPort = (pkt[v.l4Off + 2]! << 8) | pkt[v.l4Off + 3]!;
        pkt[v.l4Off + 2] = newPort >> 8;
        pkt[v.l4Off + 3] = newPort & 255;
        expectL4 = csumReplace16(expectL4, oldPort, newPort);
      }
      decodeIp(v, pkt);
      const full = computeL4Checksum(v);
      const norm = (c: number) => (v.proto === Proto.UDP && c === 0 ? 0xffff : c);
      assert.equal(norm(expectL4), full);
      pkt[csOff] = expectL4 >> 8;
      pkt[csOff + 1] = expectL4 & 255;
      assert.ok(verifyL4Checksum(v));
    }),
    { numRuns: 3000 },
  );
});

test('UDP: zero means none over IPv4, is invalid over IPv6; a computed 0 is sent as 0xffff', () => {
  const v = new PacketView();
  const p4 = B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.udp({ sport: 1, dport: 2, checksum: 0 }) });
  assert.ok(verifyL4Checksum(decodeIp(v, p4)));
  const p6 = B.ipv6({ src: '::1', dst: '::2', payload: B.udp({ sport: 1, dport: 2, checksum: 0 }) });
  assert.ok(!verifyL4Checksum(decodeIp(v, p6)));
  assert.equal(udpCsumReplace32(0, 1, 2), 0);
  // find a payload whose checksum folds to zero: the builder must write 0xffff
  for (let x = 0; x < 0x10000; x++) {
    const p = B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.udp({ sport: 1, dport: 2, payload: Uint8Array.from([x >> 8, x & 255]) }) });
    decodeIp(v, p);
    if (v.l4Checksum === 0xffff) {
      assert.ok(verifyL4Checksum(v));
      return;
    }
  }
  assert.fail('no payload gave a zero UDP checksum');
});

test('UDP-Lite coverage, SCTP CRC32c and forced bad checksums', () => {
  const v = new PacketView();
  const lite = B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.udplite({ sport: 1, dport: 2, coverage: 8, payload: 'abcdef' }) });
  assert.ok(verifyL4Checksum(decodeIp(v, lite)));
  lite[lite.length - 1] ^= 0xff; // outside the coverage: still valid
  assert.ok(verifyL4Checksum(decodeIp(v, lite)));
  const sc = B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.sctp({ sport: 1, dport: 2, vtag: 9, chunks: [{ type: 1, data: new Uint8Array(16) }] }) });
  assert.ok(verifyL4Checksum(decodeIp(v, sc)));
  sc[sc.length - 1] ^= 1;
  assert.ok(!verifyL4Checksum(decodeIp(v, sc)));
  assert.ok(fillL4Checksum(v));
  assert.ok(verifyL4Checksum(v));
  const bad = B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', ipChecksum: 'bad', payload: B.tcp({ sport: 1, dport: 2, checksum: 'bad' }) });
  decodeIp(v, bad);
  assert.ok(!verifyIpv4Header(bad, 0, 20));
  assert.ok(!verifyL4Checksum(v));
  const dc = B.ipv6({ src: '::1', dst: '::2', payload: B.dccp({ sport: 1, dport: 2, type: 0, seq: 5, payload: 'xy' }) });
  assert.ok(verifyL4Checksum(decodeIp(v, dc)));
});

test('sum16 equals a byte-by-byte sum for any offset, length and initial value, past the buffer end too (property)', () => {
  // The reference: big-endian words, an odd last byte padded with zero, bytes past the buffer as zero.
  const reference = (b: Uint8Array, off: number, len: number, initial: number): number => {
    let s = initial;
    for (let i = 0; i < len; i += 2) s += ((b[off + i] ?? 0) << 8) | (i + 1 < len ? (b[off + i + 1] ?? 0) : 0);
    return s;
  };
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      fc.nat(310),
      fc.nat(320),
      fc.nat(0xffffff),
      (bytes, off, len, initial) => {
        // a view into a larger buffer, as capture chunks are
        const backing = new Uint8Array(bytes.length + 7);
        backing.set(bytes, 3);
        const b = backing.subarray(3, 3 + bytes.length);
        assert.equal(sum16(b, off, len, initial), reference(b, off, len, initial));
      },
    ),
    { numRuns: 2000 },
  );
});
