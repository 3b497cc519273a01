import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConntrack, formatProc } from '../../src/format/conntrack.js';
import { makeTuple } from '../../src/conntrack/tuple.js';
import { CtStateBit, CtStatus } from '../../src/netfilter/context.js';
import { gre } from '../../src/packet/build.js';
import { Proto } from '../../src/packet/view.js';
import { Harness, ip, settings, T0 } from './pkt.js';

const PNS = '10.0.1.100';
const PAC = '198.51.100.7';

test('GRE version 0: keys 0, unreplied timeout, stream timeout and ASSURED once replied', () => {
  const h = new Harness(settings({ greTimeout: 30, greTimeoutStream: 180 }));
  const c = h.run(ip(PNS, PAC, gre({ version: 0, key: 5 })), T0).conn!;
  assert.equal(c.expiresAt - T0, 30);
  h.run(ip(PAC, PNS, gre({ version: 0 })), T0 + 1);
  assert.equal(c.status & CtStatus.ASSURED, 0);
  assert.equal(Math.round(c.expiresAt - T0), 31);
  h.run(ip(PNS, PAC, gre({ version: 0 })), T0 + 2);
  assert.ok(c.status & CtStatus.ASSURED);
  assert.equal(Math.round(c.expiresAt - T0), 182);
  assert.equal(
    formatConntrack(c, T0 + 2),
    'gre      47 180 src=10.0.1.100 dst=198.51.100.7 srckey=0x0 dstkey=0x0 packets=2 bytes=52 src=198.51.100.7 dst=10.0.1.100 srckey=0x0 dstkey=0x0 packets=1 bytes=24 [ASSURED] mark=0 use=1',
  );
  assert.equal(
    formatProc(c, T0 + 2),
    'ipv4     2 gre      47 180 timeout=30, stream_timeout=180 src=10.0.1.100 dst=198.51.100.7 srckey=0x0 dstkey=0x0 packets=2 bytes=52 src=198.51.100.7 dst=10.0.1.100 srckey=0x0 dstkey=0x0 packets=1 bytes=24 [ASSURED] mark=0 zone=0 use=2',
  );
});

test('PPTP GRE: call ids as keys; without the key map the answer is another flow', () => {
  const h = new Harness();
  const a = h.run(ip(PNS, PAC, gre({ version: 1, callId: 0x4000 })), T0);
  assert.equal(a.state, CtStateBit.NEW);
  assert.deepEqual([a.conn!.orig.sport, a.conn!.orig.dport], [0, 0x4000]);
  // The PAC answers with the PNS's call id: no key map, no match.
  const b = h.run(ip(PAC, PNS, gre({ version: 1, callId: 0x0100 })), T0 + 0.1);
  assert.equal(b.state, CtStateBit.NEW);
  assert.equal(h.table.count, 2);
});

test('PPTP GRE with the key map: both call ids in the tuples, replies match', () => {
  const h = new Harness();
  const control = h.run(ip(PNS, PAC, gre({ version: 0 })), T0).conn!;
  // What the PPTP helper records for a call: PNS call id 0x0100, PAC call id 0x4000.
  h.table.greKeymap.add(control, 0, makeTuple({ proto: Proto.GRE, src: PNS, dst: PAC, srckey: 0x0100, dstkey: 0x4000 }));
  h.table.greKeymap.add(control, 1, makeTuple({ proto: Proto.GRE, src: PAC, dst: PNS, srckey: 0x4000, dstkey: 0x0100 }));
  const a = h.run(ip(PNS, PAC, gre({ version: 1, callId: 0x4000 })), T0);
  assert.deepEqual([a.conn!.orig.sport, a.conn!.orig.dport], [0x0100, 0x4000]);
  const b = h.run(ip(PAC, PNS, gre({ version: 1, callId: 0x0100 })), T0 + 0.1);
  assert.equal(b.state, CtStateBit.ESTABLISHED);
  assert.equal(b.conn, a.conn);
  assert.match(formatConntrack(a.conn!, T0), /srckey=0x100 dstkey=0x4000 .* srckey=0x4000 dstkey=0x100 /);
  h.table.greKeymap.destroy(control);
  assert.equal(h.table.greKeymap.size, 0);
});

test('a GRE v1 packet of another protocol than PPP has no tuple: INVALID', () => {
  const h = new Harness();
  assert.equal(h.run(ip(PNS, PAC, gre({ version: 1, proto: 0x0800, callId: 1 })), T0).state, CtStateBit.INVALID);
});
