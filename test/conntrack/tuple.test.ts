import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deriveKey, HalfSipHash, scaleHash } from '../../src/conntrack/hash.js';
import { hashTuple, icmpReplyType, icmpv6ReplyType, invertTuple, makeTuple, Tuple, tupleFromPacket } from '../../src/conntrack/tuple.js';
import { dccp, gre, ipv4, tcp, udp } from '../../src/packet/build.js';
import { Proto } from '../../src/packet/view.js';
import { echo, ip, view } from './pkt.js';

test('inverting a UDP tuple swaps addresses and ports', () => {
  const t = makeTuple({ proto: Proto.UDP, src: '10.0.1.100', dst: '10.0.2.100', sport: 33333, dport: 53 });
  const r = new Tuple();
  assert.equal(invertTuple(r, t), true);
  assert.deepEqual(r, makeTuple({ proto: Proto.UDP, src: '10.0.2.100', dst: '10.0.1.100', sport: 53, dport: 33333 }));
});

test('ICMP reply types: echo, timestamp, information, address mask; others have none', () => {
  assert.deepEqual([8, 0, 13, 14, 15, 16, 17, 18].map(icmpReplyType), [0, 8, 14, 13, 16, 15, 18, 17]);
  for (const t of [3, 4, 5, 9, 10, 11, 12, 19, 255]) assert.equal(icmpReplyType(t), -1, `type ${t}`);
  assert.deepEqual([128, 129, 139, 140].map(icmpv6ReplyType), [129, 128, 140, 139]);
  for (const t of [1, 133, 135, 137, 141]) assert.equal(icmpv6ReplyType(t), -1, `type ${t}`);
});

test('inverting an ICMP echo keeps the id and code and maps the type', () => {
  const t = makeTuple({ proto: Proto.ICMP, src: '10.0.1.100', dst: '10.0.2.100', type: 8, code: 0, id: 7 });
  const r = new Tuple();
  assert.equal(invertTuple(r, t), true);
  assert.equal(r.sport, 7);
  assert.equal(r.icmpType, 0);
  assert.equal(r.icmpCode, 0);
  assert.deepEqual(Array.from(r.src), Array.from(t.dst));
  const unreach = makeTuple({ proto: Proto.ICMP, src: '1.1.1.1', dst: '2.2.2.2', type: 3, code: 3 });
  assert.equal(invertTuple(r, unreach), false);
  const v6 = makeTuple({ proto: Proto.ICMPV6, src: 'fd00::1', dst: 'fd00::2', type: 139, id: 9 });
  assert.equal(invertTuple(r, v6), true);
  assert.equal(r.icmpType, 140);
});

test('GRE keys swap on inversion', () => {
  const t = makeTuple({ proto: Proto.GRE, src: '1.1.1.1', dst: '2.2.2.2', srckey: 0x10, dstkey: 0x20 });
  const r = new Tuple();
  invertTuple(r, t);
  assert.equal(r.sport, 0x20);
  assert.equal(r.dport, 0x10);
});

test('tuples from packets: ports, ICMP id/type/code from the header bytes', () => {
  const t = new Tuple();
  assert.equal(tupleFromPacket(ip('10.0.0.1', '10.0.0.2', udp({ sport: 1000, dport: 2000 })), t, null), true);
  assert.deepEqual([t.family, t.proto, t.sport, t.dport], [4, 17, 1000, 2000]);
  assert.equal(tupleFromPacket(echo('10.0.0.1', '10.0.0.2', 4242), t, null), true);
  assert.deepEqual([t.proto, t.sport, t.icmpType, t.icmpCode], [1, 4242, 8, 0]);
  assert.equal(tupleFromPacket(ip('fd00::1', 'fd00::2', tcp({ sport: 5, dport: 6 })), t, null), true);
  assert.equal(t.family, 6);
  assert.equal(t.src[0], 0xfd000000);
  assert.equal(t.src[3], 1);
});

test('a transport header too short for the tuple fails it', () => {
  const t = new Tuple();
  const short = view(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: Proto.UDP, payload: new Uint8Array([1, 2, 3]) }));
  assert.equal(tupleFromPacket(short, t, null), false);
  const icmpShort = view(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: Proto.ICMP, payload: new Uint8Array([8, 0, 0, 0, 0, 1]) }));
  assert.equal(tupleFromPacket(icmpShort, t, null), false);
});

test('GRE: version 0 has no keys, version 1 (PPP) uses the call id, another protocol fails', () => {
  const t = new Tuple();
  assert.equal(tupleFromPacket(ip('1.1.1.1', '2.2.2.2', gre({ version: 0, key: 77 })), t, null), true);
  assert.deepEqual([t.sport, t.dport], [0, 0]);
  assert.equal(tupleFromPacket(ip('1.1.1.1', '2.2.2.2', gre({ version: 1, callId: 0x1234 })), t, () => 0x55), true);
  assert.deepEqual([t.sport, t.dport], [0x55, 0x1234]);
  assert.equal(tupleFromPacket(ip('1.1.1.1', '2.2.2.2', gre({ version: 1, proto: 0x0800, callId: 1 })), t, null), false);
});

test('DCCP is tracked by the generic tracker on 6.18: no ports in the tuple', () => {
  const t = new Tuple();
  assert.equal(tupleFromPacket(ip('1.1.1.1', '2.2.2.2', dccp({ sport: 1, dport: 2, type: 0 })), t, null), true);
  assert.deepEqual([t.proto, t.sport, t.dport], [33, 0, 0]);
});

const arbTuple = fc
  .record({
    v6: fc.boolean(),
    words: fc.array(fc.nat({ max: 0xffffffff }), { minLength: 8, maxLength: 8 }),
    proto: fc.constantFrom(6, 17, 132, 47, 253),
    sport: fc.nat({ max: 0xffff }),
    dport: fc.nat({ max: 0xffff }),
  })
  .map((r) => {
    const t = new Tuple();
    t.family = r.v6 ? 6 : 4;
    t.proto = r.proto;
    for (let i = 0; i < 4; i++) {
      t.src[i] = r.v6 || i === 0 ? r.words[i]! : 0;
      t.dst[i] = r.v6 || i === 0 ? r.words[4 + i]! : 0;
    }
    t.sport = r.sport;
    t.dport = r.dport;
    return t;
  });

test('the keyed hash is a function of key, tuple and zone', () => {
  fc.assert(
    fc.property(arbTuple, fc.nat({ max: 0xffff }), fc.nat(), (t, zone, seed) => {
      const [k0, k1] = deriveKey(seed, 1);
      const a = hashTuple(new HalfSipHash(k0, k1), t, zone);
      const b = hashTuple(new HalfSipHash(k0, k1), t.clone(), zone);
      assert.equal(a, b);
      assert.ok(a >= 0 && a <= 0xffffffff);
    }),
  );
});

test('different seeds spread the same tuples differently (no seed-independent collisions)', () => {
  const tuples: Tuple[] = [];
  for (let i = 0; i < 64; i++) tuples.push(makeTuple({ proto: Proto.UDP, src: '10.0.0.1', dst: '10.0.0.2', sport: 1000 + i, dport: 53 }));
  const bucketsFor = (seed: number): number[] => {
    const [k0, k1] = deriveKey(seed, 1);
    const h = new HalfSipHash(k0, k1);
    return tuples.map((t) => scaleHash(hashTuple(h, t, 0), 1024));
  };
  const a = bucketsFor(1);
  const b = bucketsFor(2);
  const same = a.filter((x, i) => x === b[i]).length;
  assert.ok(same < 8, `${same} of 64 tuples land in the same bucket under two seeds`);
  // 64 consecutive ports into 1024 buckets: a keyed hash leaves few collisions.
  assert.ok(new Set(a).size > 56);
});

test('HalfSipHash-2-4 matches the reference implementation\'s test vectors', () => {
  // vectors_hsip32 of the SipHash reference code: key bytes 00..07, message bytes 00..len-1,
  // the 32-bit tag stored little-endian.
  const h = new HalfSipHash(0x03020100, 0x07060504);
  assert.equal(h.begin().end(), 0x5b9f35a9);
  assert.equal(h.begin().word(0x03020100).end(), 0x89466e2a);
});
