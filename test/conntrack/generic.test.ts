import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConntrack, formatProc } from '../../src/format/conntrack.js';
import { CtStateBit } from '../../src/netfilter/context.js';
import { dccp, ipv4 } from '../../src/packet/build.js';
import { Harness, ip, settings, T0, view } from './pkt.js';

test('an unknown protocol is tracked by addresses, with the generic timeout', () => {
  const h = new Harness(settings({ genericTimeout: 600 }));
  const p = view(ipv4({ src: '10.0.1.152', dst: '10.0.2.172', proto: 253, payload: new Uint8Array(24) }));
  const r = h.run(p, T0);
  assert.equal(r.state, CtStateBit.NEW);
  const back = view(ipv4({ src: '10.0.2.172', dst: '10.0.1.152', proto: 253, payload: new Uint8Array(28) }));
  assert.equal(h.run(back, T0 + 0.01).state, CtStateBit.ESTABLISHED);
  assert.deepEqual(h.take(), [
    '    [NEW] unknown  253 600 src=10.0.1.152 dst=10.0.2.172 [UNREPLIED] src=10.0.2.172 dst=10.0.1.152',
    ' [UPDATE] unknown  253 600 src=10.0.1.152 dst=10.0.2.172 src=10.0.2.172 dst=10.0.1.152',
  ]);
  // Lines of the kernel corpus (gen_0002): -L, -o extended and /proc.
  const c = r.conn!;
  const at = T0 + 1.0;
  assert.equal(
    formatConntrack(c, at, { extended: true }),
    'ipv4     2 unknown  253 599 src=10.0.1.152 dst=10.0.2.172 packets=1 bytes=44 src=10.0.2.172 dst=10.0.1.152 packets=1 bytes=48 mark=0 use=1',
  );
  assert.equal(
    formatProc(c, at),
    'ipv4     2 unknown  253 599 src=10.0.1.152 dst=10.0.2.172 packets=1 bytes=44 src=10.0.2.172 dst=10.0.1.152 packets=1 bytes=48 mark=0 zone=0 use=2',
  );
});

test('DCCP has no tracker on 6.18: generic, the tool still prints its ports (as zeros)', () => {
  const h = new Harness();
  const c = h.run(ip('10.0.0.1', '10.0.0.2', dccp({ sport: 5000, dport: 6000, type: 0 })), T0).conn!;
  assert.equal(c.tracker.name, 'unknown');
  assert.equal(
    formatConntrack(c, T0),
    'dccp     33 600 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=0 packets=1 bytes=40 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=0 dport=0 packets=0 bytes=0 mark=0 use=1',
  );
  assert.match(formatProc(c, T0), /^ipv4 {5}2 unknown  33 600 src=10\.0\.0\.1 dst=10\.0\.0\.2 packets=1/);
  // Any other DCCP flow between the same hosts is the same connection.
  assert.equal(h.run(ip('10.0.0.1', '10.0.0.2', dccp({ sport: 1, dport: 2, type: 0 })), T0).conn, c);
});
