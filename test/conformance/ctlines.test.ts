/**
 * Unit tests of the canonical conntrack-line and packet-mask helpers (src/conformance/ctlines.ts),
 * on lines as conntrack-tools 1.4.7 prints them.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { applyMasks, canon, generatedMask, isExpectLine, makeMask, maskedEqual, firstDiff, l4Offsets, matchMultiset } from '../../src/conformance/ctlines.js';

const EV = '    [NEW] tcp      6 120 SYN_SENT src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=80 dport=40000';
const L = 'ipv4     2 tcp      6 119 TIME_WAIT src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80 packets=6 bytes=258 src=10.0.2.100 dst=10.0.1.100 sport=80 dport=40000 packets=4 bytes=184 [ASSURED] mark=0 use=1';
const EXP = '299 proto=6 src=10.0.2.100 dst=10.0.1.100 sport=0 dport=50000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.100 master-dst=10.0.2.100 sport=40000 dport=21 class=0 helper=ftp';

test('canon: events, extended lines, expectations, destroy lines', () => {
  assert.deepEqual(canon(EV), { tokens: ['[NEW]', 'tcp', '6', 'SYN_SENT', 'src=10.0.1.100', 'dst=10.0.2.100', 'sport=40000', 'dport=80', '[UNREPLIED]', 'src=10.0.2.100', 'dst=10.0.1.100', 'sport=80', 'dport=40000'], timeout: 120, kind: 'ct' });
  const c = canon(L);
  assert.equal(c.timeout, 119);
  assert.equal(c.tokens[0], 'tcp');
  assert.ok(!c.tokens.some((t) => t.startsWith('use=')));
  assert.deepEqual(canon(EXP).timeout, 299);
  assert.equal(canon(EXP).kind, 'exp');
  assert.ok(isExpectLine('[NEW] ' + EXP));
  assert.equal(canon('[DESTROY] udp 17 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2').timeout, null);
  assert.ok(!isExpectLine('[DESTROY] udp 17 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2'));
});

test('masks: make and apply', () => {
  const a = canon(EV).tokens;
  const b = [...a];
  b[12] = 'dport=61234';
  const m = makeMask(a, b)!;
  assert.equal(m[12], 'dport=*');
  assert.deepEqual(applyMasks(b, [m]), m);
  assert.deepEqual(applyMasks(a.slice(1), [m]), a.slice(1));
  assert.equal(makeMask(['x'], ['y'])![0], '*');
  assert.equal(makeMask(['x'], ['y', 'z']), null);
});

test('matchMultiset: tolerance, multiplicity, missing and unexpected', () => {
  const shifted = EV.replace(' 120 ', ' 122 ');
  assert.deepEqual(matchMultiset([EV], [shifted]), { missing: [], unexpected: [] });
  const far = EV.replace(' 120 ', ' 123 ');
  assert.deepEqual(matchMultiset([EV], [far]), { missing: [EV], unexpected: [far] });
  assert.deepEqual(matchMultiset([EV, EV], [EV]), { missing: [EV], unexpected: [] });
  assert.deepEqual(matchMultiset([], [EV]), { missing: [], unexpected: [EV] });
  const noTimeout = '[DESTROY] tcp 6 src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80';
  assert.deepEqual(matchMultiset([noTimeout], [noTimeout.replace(/ +/g, '   ')]), { missing: [], unexpected: [] });
});

test('generated packet masks', () => {
  const tcp = Buffer.from('45000028000100003f0664080a0001640a0002649c400050000003e8000000005002faf0fcb10000', 'hex');
  assert.deepEqual(generatedMask(tcp), [[4, 6], [10, 12]]);
  const ts = Buffer.alloc(40);
  ts[0] = 0x45; ts[9] = 1; ts[20] = 14;
  assert.deepEqual(generatedMask(ts), [[4, 6], [10, 12], [22, 24], [32, 40]]);
  const v6 = Buffer.alloc(40);
  v6[0] = 0x60;
  assert.deepEqual(generatedMask(v6), [[1, 4]]);
  assert.deepEqual(l4Offsets(tcp), { ihl: 20, proto: 6, csum: 36 });
});

test('maskedEqual / firstDiff', () => {
  assert.ok(maskedEqual('aabbcc', 'aa00cc', [[1, 2]]));
  assert.ok(!maskedEqual('aabbcc', 'aa00cc', []));
  assert.ok(!maskedEqual('aabbcc', 'aabb', []));
  assert.equal(firstDiff('aabbcc', 'aa00cc'), 1);
  assert.equal(firstDiff('aabbcc', 'aa00cd', [[1, 2]]), 2);
  assert.equal(firstDiff('aabb', 'aabbcc'), 2);
  assert.equal(firstDiff('aabb', 'aabb'), null);
  assert.throws(() => maskedEqual('aabb', 'zzbb', []));
});
