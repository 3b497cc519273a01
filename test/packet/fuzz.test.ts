/**
 * Robustness: random bytes and mutations of valid packets, for every link type, never throw,
 * never report offsets outside the buffer, and are marked malformed whenever a length they declare
 * exceeds the bytes present. The summary printer never throws on them either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as B from '../../src/packet/build.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';
import { Layer, LinkType, PacketView, Proto } from '../../src/packet/view.js';

const LINK_TYPES = [LinkType.ETHERNET, LinkType.RAW, LinkType.IPV4, LinkType.IPV6, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL, LinkType.LOOP];

function inBounds(v: PacketView, what: string): void {
  const n = v.buf.length;
  const off = (name: string, o: number) => assert.ok(o >= -1 && o <= n, `${what}: ${name} ${o} outside 0..${n}`);
  off('l2Off', v.l2Off);
  off('l2PayloadOff', v.l2PayloadOff);
  off('l3Off', v.l3Off);
  off('l4Off', v.l4Off);
  off('payloadOff', v.payloadOff);
  off('fragHdrOff', v.fragHdrOff);
  off('sctpChunkOff', v.sctpChunkOff);
  assert.ok(v.ipEnd <= n, `${what}: ipEnd ${v.ipEnd} > ${n}`);
  if (v.payloadOff >= 0) assert.ok(v.payloadLen >= 0 && v.payloadOff + v.payloadLen <= n, `${what}: payload ${v.payloadOff}+${v.payloadLen}`);
  if (v.l4Off >= 0) assert.ok(v.l4Len >= 0 && v.l4Off + v.l4Len <= n, `${what}: l4 ${v.l4Off}+${v.l4Len}`);
  if (v.tcpSackOff >= 0) assert.ok(v.tcpSackOff + 8 * v.tcpSackCount <= n, `${what}: sack`);
  if (v.fragHdrOff >= 0) assert.ok(v.fragHdrOff + 8 <= n, `${what}: fragment header`);
}

/** Whenever a declared length exceeds the bytes, `malformed` says so. */
function honestAboutLengths(v: PacketView, what: string): void {
  if (v.family === 0 || v.l3Off < 0) return;
  const avail = v.buf.length - v.l3Off;
  if (v.ipTotalLen > avail) assert.notEqual(v.malformed, Layer.None, `${what}: IP length ${v.ipTotalLen} > ${avail}`);
  if (v.malformed !== Layer.None || v.l4Off < 0) return;
  if (v.proto === Proto.TCP) {
    assert.ok(v.l4Len >= 20 && v.tcpHdrLen >= 20 && v.tcpHdrLen <= v.l4Len, `${what}: TCP header ${v.tcpHdrLen} of ${v.l4Len}`);
  }
  if (v.proto === Proto.UDP && !v.isFragment) assert.ok(v.udpLen >= 8 && v.udpLen <= v.l4Len, `${what}: UDP length ${v.udpLen} of ${v.l4Len}`);
  if (v.proto === Proto.ICMP || v.proto === Proto.ICMPV6) assert.ok(v.l4Len >= 8, `${what}: ICMP ${v.l4Len}`);
}

function check(buf: Uint8Array, lt: number, what: string): void {
  const v = new PacketView();
  decodeFrame(v, buf, lt);
  inBounds(v, what);
  honestAboutLengths(v, what);
  if (v.inner !== null && v.icmpIsError) {
    inBounds(v.inner, `${what} (inner)`);
    assert.ok(v.inner.ipEnd <= v.ipEnd, `${what}: inner past outer`);
  }
  assert.equal(typeof summarize(v), 'string');
}

/** A varied corpus of valid IP packets. */
function corpus(): Uint8Array[] {
  const q4 = B.ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: B.tcp({ sport: 1, dport: 2, flags: 'S', options: { mss: 1460, ts: [1, 2], sackPerm: true, wscale: 7 } }) });
  const q6 = B.ipv6({ src: 'fd00:1::5', dst: 'fd00:2::5', ext: [{ type: 'hop' }], payload: B.udp({ sport: 1, dport: 2, payload: 'abc' }) });
  return [
    q4,
    q6,
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', options: Uint8Array.from([7, 7, 4, 0, 0, 0, 0, 1]), payload: B.udp({ sport: 53, dport: 9, payload: 'x'.repeat(20) }) }),
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.icmpError({ type: 3, code: 3, quote: q4 }) }),
    B.ipv6({ src: '::1', dst: '::2', payload: B.icmpv6Error({ type: 1, code: 4, quote: q6 }) }),
    B.ipv6({ src: '::1', dst: '::2', ext: [{ type: 'dst' }, { type: 'routing', addresses: ['::3'] }, { type: 'fragment', more: true, id: 3 }, { type: 'ah' }], payload: B.tcp({ sport: 1, dport: 2, flags: 'A', options: { sack: [[1, 2]] } }) }),
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.sctp({ sport: 1, dport: 2, chunks: [{ type: 1, data: new Uint8Array(16) }, { type: 0, data: 'abc' }] }) }),
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.gre({ key: 1, seq: 2, checksum: true, payload: q4 }) }),
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.gre({ version: 1, callId: 3, seq: 1, ack: 1, payload: 'ppp' }) }),
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.dccp({ sport: 1, dport: 2, type: 1, ack: 3, service: 4 }) }),
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.udplite({ sport: 1, dport: 2, coverage: 8, payload: 'abc' }) }),
    B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.icmpEcho({ id: 1, seq: 2, payload: 'ping' }) }),
    ...B.fragmentIpv4(B.ipv4({ src: '1.2.3.4', dst: '5.6.7.8', payload: B.udp({ sport: 1, dport: 2, payload: new Uint8Array(40) }) }), 24),
  ];
}

/** Wraps an IP packet in the given link type's frame. */
function frame(lt: number, ip: Uint8Array): Uint8Array {
  switch (lt) {
    case LinkType.ETHERNET:
      return B.ethernet({ vlans: ip.length % 2 ? [7] : [], payload: ip, pad: true });
    case LinkType.LINUX_SLL:
      return B.sll({ payload: ip });
    case LinkType.LINUX_SLL2:
      return B.sll2({ payload: ip });
    case LinkType.NULL:
      return B.nullFrame(ip);
    case LinkType.LOOP:
      return B.loopFrame(ip);
    default:
      return ip;
  }
}

const PACKETS = corpus();

test('random bytes for every link type', () => {
  fc.assert(
    fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 120 }), (lt, bytes) => check(bytes, lt, `random lt ${lt}`)),
    { numRuns: 4000 },
  );
});

test('random bytes behind a plausible IP header', () => {
  const versionIhl = fc.constantFrom(0x45, 0x46, 0x4f, 0x44, 0x60);
  const proto = fc.constantFrom(6, 17, 1, 58, 132, 47, 33, 136, 0, 43, 44, 60, 51, 59);
  fc.assert(
    fc.property(versionIhl, proto, fc.uint8Array({ maxLength: 100 }), (b0, nh, rest) => {
      const p = new Uint8Array(40 + rest.length);
      p.set(rest, 40);
      p[0] = b0;
      if (b0 === 0x60) {
        p[5] = rest.length; // payload length (< 256)
        p[6] = nh;
      } else {
        p[3] = p.length; // total length (< 256)
        p[9] = nh;
      }
      check(p, LinkType.RAW, 'ip-ish');
    }),
    { numRuns: 4000 },
  );
});

test('single-byte mutations and truncations of valid packets in every frame', () => {
  fc.assert(
    fc.property(fc.constantFrom(...LINK_TYPES), fc.nat(PACKETS.length - 1), fc.nat(), fc.nat(255), fc.boolean(), (lt, which, at, value, truncate) => {
      const f = frame(lt, PACKETS[which]!).slice();
      if (truncate) {
        check(f.subarray(0, at % (f.length + 1)), lt, `truncated ${which} lt ${lt}`);
      } else {
        f[at % f.length] = value;
        check(f, lt, `mutated ${which} lt ${lt} at ${at % f.length}`);
      }
    }),
    { numRuns: 6000 },
  );
});

test('the valid corpus decodes cleanly in every frame', () => {
  for (const lt of LINK_TYPES) {
    PACKETS.forEach((p, i) => {
      if (lt === LinkType.IPV4 && p[0]! >> 4 === 6) return;
      if (lt === LinkType.IPV6 && p[0]! >> 4 === 4) return;
      const v = decodeFrame(new PacketView(), frame(lt, p), lt);
      assert.equal(v.malformed, Layer.None, `packet ${i} lt ${lt}: ${v.malformedWhy}`);
      assert.notEqual(v.family, 0);
    });
  }
});
