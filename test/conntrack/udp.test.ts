import { test } from 'node:test';
import assert from 'node:assert/strict';
import { udpError } from '../../src/conntrack/proto/udp.js';
import { udpliteError } from '../../src/conntrack/proto/udplite.js';
import { CtStateBit, CtStatus, Hook } from '../../src/netfilter/context.js';
import { fold, pseudoHeaderSum, put16, sum16 } from '../../src/packet/checksum.js';
import { ipv4, udp, udplite } from '../../src/packet/build.js';
import { Proto } from '../../src/packet/view.js';
import { Harness, ip, settings, T0, udpPkt, view } from './pkt.js';

const A = '10.0.1.100';
const B = '10.0.2.100';
const s = settings();

test('UDP error checks: short, bad length, bad checksum only at PREROUTING with checksumming on', () => {
  const short = view(ipv4({ src: A, dst: B, proto: Proto.UDP, payload: new Uint8Array(6) }));
  assert.equal(udpError(short, Hook.PREROUTING, s), 'short packet');
  const long = ip(A, B, udp({ sport: 1, dport: 2, payload: 'abcd', length: 40 }));
  assert.equal(udpError(long, Hook.PREROUTING, s), 'truncated/malformed packet');
  const tiny = ip(A, B, udp({ sport: 1, dport: 2, payload: 'abcd', length: 7 }));
  assert.equal(udpError(tiny, Hook.PREROUTING, s), 'truncated/malformed packet');
  const bad = ip(A, B, udp({ sport: 1, dport: 2, payload: 'abcd', checksum: 'bad' }));
  assert.equal(udpError(bad, Hook.PREROUTING, s), 'bad checksum');
  assert.equal(udpError(bad, Hook.OUTPUT, s), null);
  assert.equal(udpError(bad, Hook.PREROUTING, settings({ checksum: false })), null);
  const none = ip(A, B, udp({ sport: 1, dport: 2, payload: 'abcd', checksum: 0 }));
  assert.equal(udpError(none, Hook.PREROUTING, s), null);
  const none6 = ip('fd00::1', 'fd00::2', udp({ sport: 1, dport: 2, payload: 'abcd', checksum: 0 }));
  assert.equal(udpError(none6, Hook.PREROUTING, s), null);
  assert.equal(udpError(udpPkt(A, 1, B, 2), Hook.PREROUTING, s), null);
});

test('a UDP packet with a bad checksum is INVALID and creates nothing', () => {
  const h = new Harness();
  const r = h.run(ip(A, B, udp({ sport: 1, dport: 2, checksum: 'bad' })), T0);
  assert.equal(r.state, CtStateBit.INVALID);
  assert.equal(h.table.count, 0);
  assert.equal(h.table.stats.invalid, 1);
});

test('UDP timeouts: unreplied, replied, stream after 2 s (ASSURED, stream timeout)', () => {
  const h = new Harness(settings({ udpTimeout: 30, udpTimeoutStream: 120 }));
  const c = h.run(udpPkt(A, 1000, B, 53), T0).conn!;
  assert.equal(c.expiresAt - T0, 30);
  h.run(udpPkt(B, 53, A, 1000), T0 + 1);
  assert.equal(Math.round(c.expiresAt - T0), 31);
  assert.equal(c.status & CtStatus.ASSURED, 0);
  h.run(udpPkt(A, 1000, B, 53), T0 + 2);
  assert.equal(c.status & CtStatus.ASSURED, 0, 'not more than 2 s after the first packet');
  h.take();
  h.run(udpPkt(A, 1000, B, 53), T0 + 2.5);
  assert.ok(c.status & CtStatus.ASSURED);
  assert.equal(Math.round(c.expiresAt - T0 - 2.5), 120);
  assert.deepEqual(h.take(), [
    ' [UPDATE] udp      17 120 src=10.0.1.100 dst=10.0.2.100 sport=1000 dport=53 src=10.0.2.100 dst=10.0.1.100 sport=53 dport=1000 [ASSURED]',
  ]);
  // Once assured, no further events.
  h.run(udpPkt(B, 53, A, 1000), T0 + 3);
  assert.deepEqual(h.take(), []);
});

test('UDP without a reply never becomes a stream', () => {
  const h = new Harness();
  const c = h.run(udpPkt(A, 1000, B, 53), T0).conn!;
  h.run(udpPkt(A, 1000, B, 53), T0 + 10);
  assert.equal(c.status & CtStatus.ASSURED, 0);
  assert.equal(Math.round(c.expiresAt - T0), 40);
});

test('a NAT clash entry never becomes ASSURED', () => {
  const h = new Harness();
  const c = h.run(udpPkt(A, 1000, B, 53), T0).conn!;
  h.run(udpPkt(B, 53, A, 1000), T0 + 0.1);
  c.status |= CtStatus.NAT_CLASH;
  h.run(udpPkt(A, 1000, B, 53), T0 + 3);
  assert.equal(c.status & CtStatus.ASSURED, 0);
});

/** UDP-Lite with the checksum the kernel's verification accepts (see udplite.ts). */
function kernelSummedUdplite(src: string, dst: string, coverage = 0): ReturnType<typeof view> {
  const p = view(ipv4({ src, dst, payload: udplite({ sport: 7, dport: 8, payload: 'hello', coverage, checksum: 'keep' }) }));
  const b = p.buf;
  put16(b, p.l4Off + 6, 0);
  const cov = coverage === 0 ? p.l4Len : coverage;
  const sum = pseudoHeaderSum(4, p.src, p.dst, Proto.UDP, p.l4Len & 0xff) + sum16(b, p.l4Off, cov);
  put16(b, p.l4Off + 6, ~fold(sum) & 0xffff);
  return p;
}

test('UDP-Lite error checks: coverage, a missing checksum, the kernel\'s checksum sum', () => {
  const rfc = ip(A, B, udplite({ sport: 7, dport: 8, payload: 'hello' }));
  assert.equal(udpliteError(rfc, Hook.OUTPUT, s), null);
  // A checksum made as RFC 3828 says fails the kernel's sum (pseudo-header protocol 17).
  assert.equal(udpliteError(rfc, Hook.PREROUTING, s), 'bad checksum');
  assert.equal(udpliteError(kernelSummedUdplite(A, B), Hook.PREROUTING, s), null);
  assert.equal(udpliteError(kernelSummedUdplite(A, B, 8), Hook.PREROUTING, s), null);
  const cov = ip(A, B, udplite({ sport: 7, dport: 8, payload: 'hello', coverage: 4 }));
  assert.equal(udpliteError(cov, Hook.OUTPUT, s), 'invalid checksum coverage');
  const over = ip(A, B, udplite({ sport: 7, dport: 8, payload: 'hello', coverage: 200 }));
  assert.equal(udpliteError(over, Hook.OUTPUT, s), 'invalid checksum coverage');
  const missing = ip(A, B, udplite({ sport: 7, dport: 8, payload: 'hello', checksum: 0 }));
  assert.equal(udpliteError(missing, Hook.OUTPUT, s), 'checksum missing');
});

test('UDP-Lite: ASSURED and the stream timeout from the first packet after a reply', () => {
  const h = new Harness();
  const c = h.run(ip(A, B, udplite({ sport: 7, dport: 8 })), T0, { hook: Hook.OUTPUT }).conn!;
  assert.equal(c.protoNum, Proto.UDPLITE);
  h.run(ip(B, A, udplite({ sport: 8, dport: 7 })), T0 + 0.1, { hook: Hook.OUTPUT });
  assert.equal(c.status & CtStatus.ASSURED, 0);
  h.run(ip(A, B, udplite({ sport: 7, dport: 8 })), T0 + 0.2, { hook: Hook.OUTPUT });
  assert.ok(c.status & CtStatus.ASSURED);
  assert.equal(Math.round(c.expiresAt - T0 - 0.2), 120);
  assert.match(h.lines[0]!, /^ {4}\[NEW\] udplite  136 30 src=10.0.1.100 dst=10.0.2.100 sport=7 dport=8 /);
});
