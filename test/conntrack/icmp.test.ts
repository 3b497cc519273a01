import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CtStateBit, Hook } from '../../src/netfilter/context.js';
import { icmp, icmpEcho, icmpError, ipv4, tcp, udp } from '../../src/packet/build.js';
import { Proto } from '../../src/packet/view.js';
import { echo, Harness, icmpErr, icmpRaw, ip, settings, T0, udpPkt, view } from './pkt.js';

const CLI = '10.0.1.100';
const SRV = '10.0.2.100';
const ROUTER = '10.0.2.1';

test('echo request creates, the reply is ESTABLISHED, both refresh to icmp_timeout', () => {
  const h = new Harness(settings({ icmpTimeout: 30 }));
  const r = h.run(echo(CLI, SRV, 7), T0);
  assert.equal(r.state, CtStateBit.NEW);
  const c = r.conn!;
  const rep = h.run(echo(SRV, CLI, 7, true), T0 + 5);
  assert.equal(rep.state, CtStateBit.ESTABLISHED);
  assert.equal(rep.dir, 1);
  assert.equal(Math.round(c.expiresAt - T0), 35);
  assert.deepEqual(h.take(), [
    '    [NEW] icmp     1 30 src=10.0.1.100 dst=10.0.2.100 type=8 code=0 id=7 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 type=0 code=0 id=7',
    ' [UPDATE] icmp     1 30 src=10.0.1.100 dst=10.0.2.100 type=8 code=0 id=7 src=10.0.2.100 dst=10.0.1.100 type=0 code=0 id=7',
  ]);
  // A duplicate reply changes nothing but the timeout and counters.
  h.run(echo(SRV, CLI, 7, true), T0 + 6);
  assert.deepEqual(h.take(), []);
  assert.equal(c.replyPackets, 2);
});

test('only requests start connections: a reply or an unknown type without one is INVALID', () => {
  const h = new Harness();
  assert.equal(h.run(echo(SRV, ROUTER, 0, true), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(icmpRaw(CLI, SRV, 9), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.invalid, 2);
  for (const type of [13, 15, 17]) assert.equal(h.run(icmpRaw(CLI, SRV, type, 0, 100 + type), T0).state, CtStateBit.NEW, `type ${type}`);
  const ts = h.run(icmpRaw(SRV, CLI, 14, 0, 113), T0 + 1);
  assert.equal(ts.state, CtStateBit.ESTABLISHED);
  assert.equal(ts.dir, 1);
  assert.equal(h.table.count, 3);
});

test('error checks before the lookup count as error: short, bad checksum, type above 18', () => {
  const h = new Harness();
  const short = view(ipv4({ src: CLI, dst: SRV, proto: Proto.ICMP, payload: new Uint8Array([8, 0, 0, 0]) }));
  assert.equal(h.run(short, T0).state, CtStateBit.INVALID);
  const bad = ip(CLI, SRV, icmpEcho({ id: 1, seq: 1, checksum: 'bad' }));
  assert.equal(h.run(bad, T0).state, CtStateBit.INVALID);
  assert.equal(h.run(bad, T0, { hook: Hook.OUTPUT }).state, CtStateBit.NEW);
  assert.equal(h.run(icmpRaw(CLI, SRV, 19), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.error, 3);
  assert.equal(h.table.stats.invalid, 0);
});

test('an ICMP error is RELATED to the connection it quotes, in the matching direction', () => {
  const h = new Harness();
  const q = udpPkt(CLI, 44444, SRV, 9999, 'ping?');
  const c = h.run(q, T0).conn!;
  h.take();
  const r = h.run(icmpErr(SRV, CLI, 3, 3, q), T0 + 0.01);
  assert.equal(r.state, CtStateBit.RELATED);
  assert.equal(r.dir, 1);
  assert.equal(r.conn, c);
  // Not counted, not refreshed, no event.
  assert.equal(c.replyPackets, 0);
  assert.equal(c.expiresAt, T0 + 30);
  assert.deepEqual(h.take(), []);
  // An error travelling towards the server about the server's reply: original direction.
  const replyPkt = udpPkt(SRV, 9999, CLI, 44444);
  const fwd = h.run(icmpErr(CLI, SRV, 3, 1, replyPkt), T0 + 0.02);
  assert.equal(fwd.state, CtStateBit.RELATED);
  assert.equal(fwd.dir, 0);
});

test('a time exceeded quoting an echo request is RELATED to the echo connection', () => {
  const h = new Harness();
  const req = echo(CLI, '198.51.100.1', 77);
  const c = h.run(req, T0).conn!;
  const r = h.run(icmpErr('203.0.113.254', CLI, 11, 0, req), T0 + 0.1);
  assert.equal(r.state, CtStateBit.RELATED);
  assert.equal(r.conn, c);
  assert.equal(r.dir, 1);
});

test('errors quoting nothing known, or sent elsewhere, are INVALID (counted as error)', () => {
  const h = new Harness();
  const q = udpPkt(CLI, 44444, SRV, 9999);
  h.run(q, T0);
  const other = udpPkt(CLI, 44445, SRV, 9999);
  assert.equal(h.run(icmpErr(SRV, CLI, 3, 3, other), T0).state, CtStateBit.INVALID);
  // Right quote, but addressed to a host that is not the connection's endpoint.
  assert.equal(h.run(icmpErr(SRV, '10.0.1.200', 3, 3, q), T0).state, CtStateBit.INVALID);
  // A quote too short for its ports.
  const cut = ip(SRV, CLI, icmpError({ type: 3, code: 3, quote: q.buf.subarray(q.l3Off, q.l3Off + 22) }));
  assert.equal(h.run(cut, T0).state, CtStateBit.INVALID);
  // An error quoting an error cannot be inverted.
  const inner = icmpErr(SRV, CLI, 3, 3, q);
  assert.equal(h.run(icmpErr(CLI, SRV, 3, 3, inner), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.error, 4);
});

test('an error quoting a TCP connection is RELATED to it', () => {
  const h = new Harness();
  const syn = ip(CLI, SRV, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000 }));
  const c = h.run(syn, T0).conn!;
  const r = h.run(icmpErr('10.0.2.1', CLI, 3, 4, syn), T0 + 0.1);
  assert.equal(r.state, CtStateBit.RELATED);
  assert.equal(r.conn, c);
});

test('ICMP carried by IPv6 is never tracked', () => {
  const h = new Harness();
  const p = ip('fd00::1', 'fd00::2', icmp({ type: 8, id: 1, seq: 1 }));
  assert.equal(h.run(p, T0).state, CtStateBit.INVALID);
  assert.equal(h.table.count, 0);
});

test('UDP flows are untouched by errors for other flows', () => {
  const h = new Harness();
  h.run(udpPkt(CLI, 1, SRV, 2), T0);
  h.run(ip(SRV, CLI, udp({ sport: 2, dport: 1 })), T0 + 0.1);
  assert.equal(h.table.count, 1);
});
