import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CtStateBit } from '../../src/netfilter/context.js';
import { icmpv6, icmpv6Echo, icmpv6Error, ipv6 } from '../../src/packet/build.js';
import { Harness, ip, settings, T0, udpPkt, view } from './pkt.js';

const A = 'fd00:1::11c';
const B = 'fd00:3::112';

test('ICMPv6 echo: NEW, ESTABLISHED reply, icmpv6_timeout', () => {
  const h = new Harness(settings({ icmpv6Timeout: 17 }));
  const r = h.run(ip(A, B, icmpv6Echo({ id: 6037, seq: 1 })), T0);
  assert.equal(r.state, CtStateBit.NEW);
  const rep = h.run(ip(B, A, icmpv6Echo({ id: 6037, seq: 1, reply: true })), T0 + 0.01);
  assert.equal(rep.state, CtStateBit.ESTABLISHED);
  assert.deepEqual(h.take(), [
    '    [NEW] icmpv6   58 17 src=fd00:1::11c dst=fd00:3::112 type=128 code=0 id=6037 [UNREPLIED] src=fd00:3::112 dst=fd00:1::11c type=129 code=0 id=6037',
    ' [UPDATE] icmpv6   58 17 src=fd00:1::11c dst=fd00:3::112 type=128 code=0 id=6037 src=fd00:3::112 dst=fd00:1::11c type=129 code=0 id=6037',
  ]);
});

test('node information query (139) starts a connection; other informational types do not', () => {
  const h = new Harness();
  assert.equal(h.run(ip(A, B, icmpv6({ type: 139, id: 3 })), T0).state, CtStateBit.NEW);
  assert.equal(h.run(ip(B, A, icmpv6({ type: 140, id: 3 })), T0).state, CtStateBit.ESTABLISHED);
  assert.equal(h.run(ip(A, B, icmpv6({ type: 129, id: 4 })), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(ip(A, B, icmpv6({ type: 200 })), T0).state, CtStateBit.INVALID);
});

test('neighbour and router discovery and MLD are UNTRACKED', () => {
  const h = new Harness();
  for (const type of [130, 131, 132, 133, 134, 135, 136, 143, 151, 152]) {
    const r = h.run(ip('fe80::1', 'ff02::1', icmpv6({ type }), { ttl: 255 }), T0);
    assert.equal(r.state, CtStateBit.UNTRACKED, `type ${type}`);
  }
  assert.equal(h.table.count, 0);
});

test('an ICMPv6 error is RELATED to the flow it quotes', () => {
  const h = new Harness();
  const q = udpPkt(A, 59235, '2001:db8::851', 1194);
  const c = h.run(q, T0).conn!;
  const err = ip('2001:db8::851', A, icmpv6Error({ type: 1, code: 4, quote: q.buf.subarray(q.l3Off, q.ipEnd) }));
  const r = h.run(err, T0 + 0.1);
  assert.equal(r.state, CtStateBit.RELATED);
  assert.equal(r.conn, c);
  assert.equal(r.dir, 1);
  const stray = ip('2001:db8::851', A, icmpv6Error({ type: 1, code: 4, quote: udpPkt(A, 1, B, 2).buf }));
  assert.equal(h.run(stray, T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.error, 1);
});

test('a bad ICMPv6 checksum is refused at PREROUTING', () => {
  const h = new Harness();
  const bad = view(ipv6({ src: A, dst: B, payload: icmpv6Echo({ id: 1, seq: 1, checksum: 'bad' }) }));
  assert.equal(h.run(bad, T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.error, 1);
});

/** A redirect (137) from a link-local router, optionally with the redirected header option. */
function redirect(quote: Uint8Array | null, opts: { code?: number; src?: string; ttl?: number } = {}): ReturnType<typeof view> {
  const body: number[] = [];
  for (let i = 0; i < 32; i++) body.push(0); // target and destination addresses
  if (quote) {
    const words = Math.ceil((quote.length + 8) / 8);
    body.push(4, words, 0, 0, 0, 0, 0, 0, ...quote);
    while ((body.length - 32) % 8 !== 0) body.push(0);
  }
  const seg = icmpv6({ type: 137, code: opts.code ?? 0, rest: 0, payload: Uint8Array.from(body) });
  return view(ipv6({ src: opts.src ?? 'fe80::1', dst: A, hopLimit: opts.ttl ?? 255, payload: seg }));
}

test('ICMPv6 redirect: RELATED to the redirected packet\'s connection; hop limit, source and option checked', () => {
  const h = new Harness();
  const q = udpPkt(A, 5000, B, 53);
  const c = h.run(q, T0).conn!;
  // A router tells A to send its packets for B elsewhere, quoting what A sent.
  const rel = h.run(redirect(q.buf.subarray(q.l3Off, q.ipEnd)), T0);
  assert.equal(rel.state, CtStateBit.RELATED);
  assert.equal(rel.conn, c);
  assert.equal(rel.dir, 1);
  assert.equal(h.run(redirect(null, { ttl: 64 }), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(redirect(null, { src: 'fd00::1' }), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(redirect(null), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.error, 3);
  // Code other than 0: tracked as an ordinary message (which cannot start a connection).
  assert.equal(h.run(redirect(null, { code: 1 }), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.invalid, 1);
});

test('ICMPv6 redirect quoting a packet that was not sent to its destination is INVALID', () => {
  const h = new Harness();
  h.run(udpPkt(A, 5000, B, 53), T0);
  const reply = udpPkt(B, 53, A, 5000);
  const r = h.run(redirect(reply.buf.subarray(reply.l3Off, reply.ipEnd)), T0);
  assert.equal(r.state, CtStateBit.INVALID);
  assert.equal(h.table.stats.error, 1);
});
