import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chunk, SctpCt, sctpTransition, type SctpState } from '../../src/conntrack/proto/sctp.js';
import { formatConntrack } from '../../src/format/conntrack.js';
import { CtStateBit, CtStatus, Hook } from '../../src/netfilter/context.js';
import { sctp, type SctpChunk } from '../../src/packet/build.js';
import { Harness, ip, settings, T0 } from './pkt.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const CTAG = 0x11111111;
const STAG = 0x22222222;

function initData(tag: number): Uint8Array {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, tag);
  new DataView(b.buffer).setUint32(4, 65535);
  b[9] = 1;
  b[11] = 1;
  return b;
}

function pkt(from: 'c' | 's', vtag: number, chunks: SctpChunk[], checksum?: 'bad') {
  const [src, dst, sport, dport] = from === 'c' ? [C, S, 5000, 36412] : [S, C, 36412, 5000];
  return ip(src, dst, sctp({ sport, dport, vtag, chunks, checksum }));
}

const INIT = (tag: number): SctpChunk => ({ type: Chunk.INIT, data: initData(tag) });
const INIT_ACK = (tag: number): SctpChunk => ({ type: Chunk.INIT_ACK, data: initData(tag) });
const COOKIE_ECHO: SctpChunk = { type: Chunk.COOKIE_ECHO, data: 'cookie!!' };
const COOKIE_ACK: SctpChunk = { type: Chunk.COOKIE_ACK };
const DATA: SctpChunk = { type: Chunk.DATA, data: new Uint8Array(16) };

/** Runs the four-way handshake; returns the harness and the connection. */
function handshake() {
  const h = new Harness(settings());
  const c = h.run(pkt('c', 0, [INIT(CTAG)]), T0).conn!;
  h.run(pkt('s', CTAG, [INIT_ACK(STAG)]), T0 + 0.01);
  h.run(pkt('c', STAG, [COOKIE_ECHO]), T0 + 0.02);
  h.run(pkt('s', CTAG, [COOKIE_ACK]), T0 + 0.03);
  return { h, c };
}

test('the transition table: INIT from NONE is CLOSED, the reply INIT_ACK COOKIE_WAIT, ...', () => {
  assert.equal(sctpTransition(0, SctpCt.NONE, Chunk.INIT), SctpCt.CLOSED);
  assert.equal(sctpTransition(1, SctpCt.CLOSED, Chunk.INIT_ACK), SctpCt.COOKIE_WAIT);
  assert.equal(sctpTransition(0, SctpCt.COOKIE_WAIT, Chunk.COOKIE_ECHO), SctpCt.COOKIE_ECHOED);
  assert.equal(sctpTransition(1, SctpCt.COOKIE_ECHOED, Chunk.COOKIE_ACK), SctpCt.ESTABLISHED);
  assert.equal(sctpTransition(0, SctpCt.ESTABLISHED, Chunk.SHUTDOWN), SctpCt.SHUTDOWN_SENT);
  assert.equal(sctpTransition(1, SctpCt.ESTABLISHED, Chunk.SHUTDOWN), SctpCt.SHUTDOWN_RECD);
  assert.equal(sctpTransition(1, SctpCt.NONE, Chunk.INIT), SctpCt.INVALID);
  assert.equal(sctpTransition(0, SctpCt.NONE, Chunk.HEARTBEAT), SctpCt.HEARTBEAT_SENT);
  assert.equal(sctpTransition(1, SctpCt.HEARTBEAT_SENT, Chunk.HEARTBEAT_ACK), SctpCt.ESTABLISHED);
  assert.equal(sctpTransition(0, SctpCt.ESTABLISHED, Chunk.DATA), SctpCt.ESTABLISHED);
});

test('a four-way handshake: states, timeouts, ASSURED and events', () => {
  const { h, c } = handshake();
  const st = c.proto as SctpState;
  assert.equal(st.state, SctpCt.ESTABLISHED);
  assert.deepEqual(st.vtag, [STAG, CTAG]);
  assert.ok(c.status & CtStatus.ASSURED);
  assert.equal(Math.round(c.expiresAt - T0 - 0.03), 210);
  assert.deepEqual(
    h.take().map((l) => l.split(' src=')[0]),
    ['    [NEW] sctp     132 10 CLOSED', ' [UPDATE] sctp     132 3 COOKIE_WAIT', ' [UPDATE] sctp     132 3 COOKIE_ECHOED', ' [UPDATE] sctp     132 210 ESTABLISHED'],
  );
  assert.equal(
    formatConntrack(c, T0 + 1),
    'sctp     132 209 ESTABLISHED src=10.0.1.100 dst=10.0.2.100 sport=5000 dport=36412 packets=2 bytes=96 src=10.0.2.100 dst=10.0.1.100 sport=36412 dport=5000 packets=2 bytes=88 [ASSURED] mark=0 use=1',
  );
});

test('data with the right tags flows; a wrong verification tag is INVALID', () => {
  const { h, c } = handshake();
  assert.equal(h.run(pkt('c', STAG, [DATA]), T0 + 1).state, CtStateBit.ESTABLISHED);
  assert.equal(h.run(pkt('s', CTAG, [DATA]), T0 + 1).state, CtStateBit.ESTABLISHED);
  assert.equal(h.run(pkt('c', CTAG, [DATA]), T0 + 1).state, CtStateBit.INVALID);
  assert.equal(c.origPackets, 3);
});

test('shutdown sequence down to CLOSED', () => {
  const { h, c } = handshake();
  h.run(pkt('c', STAG, [{ type: Chunk.SHUTDOWN, data: new Uint8Array(4) }]), T0 + 1);
  assert.equal(c.protoStateName(), 'SHUTDOWN_SENT');
  h.run(pkt('s', CTAG, [{ type: Chunk.SHUTDOWN_ACK }]), T0 + 1.1);
  assert.equal(c.protoStateName(), 'SHUTDOWN_ACK_SENT');
  h.run(pkt('c', STAG, [{ type: Chunk.SHUTDOWN_COMPLETE }]), T0 + 1.2);
  assert.equal(c.protoStateName(), 'CLOSED');
  assert.equal(Math.round(c.expiresAt - T0 - 1.2), 10);
});

test('ABORT: own tag, or the peer\'s with the T bit', () => {
  const a = handshake();
  assert.equal(a.h.run(pkt('c', CTAG, [{ type: Chunk.ABORT }]), T0 + 1).state, CtStateBit.INVALID);
  assert.equal(a.h.run(pkt('c', CTAG, [{ type: Chunk.ABORT, flags: 1 }]), T0 + 1).state, CtStateBit.ESTABLISHED);
  assert.equal(a.c.protoStateName(), 'CLOSED');
  const b = handshake();
  assert.equal(b.h.run(pkt('s', CTAG, [{ type: Chunk.ABORT }]), T0 + 1).state, CtStateBit.ESTABLISHED);
  assert.equal(b.c.protoStateName(), 'CLOSED');
});

test('what may not start a connection: DATA first, out-of-the-blue ABORT, INIT with a tag', () => {
  const h = new Harness();
  assert.equal(h.run(pkt('c', 0, [DATA]), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(pkt('c', 5, [{ type: Chunk.ABORT }]), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(pkt('c', 7, [INIT(CTAG)]), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.count, 0);
  // A HEARTBEAT may: a secondary path of an existing association.
  assert.equal(h.run(pkt('c', 9, [{ type: Chunk.HEARTBEAT, data: 'hb' }]), T0).state, CtStateBit.NEW);
});

test('chunk sanity: INIT not alone, COOKIE_ECHO not first, no chunk at all', () => {
  const h = new Harness();
  assert.equal(h.run(pkt('c', 0, [INIT(CTAG), DATA]), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(pkt('c', 0, [DATA, COOKIE_ECHO]), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(pkt('c', 0, []), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.stats.invalid, 3);
});

test('a bad CRC32c is refused at PREROUTING only', () => {
  const h = new Harness();
  assert.equal(h.run(pkt('c', 0, [INIT(CTAG)], 'bad'), T0).state, CtStateBit.INVALID);
  assert.equal(h.run(pkt('c', 0, [INIT(CTAG)], 'bad'), T0, { hook: Hook.OUTPUT }).state, CtStateBit.NEW);
});

test('an INIT retransmitted on a CLOSED entry does not refresh it', () => {
  const h = new Harness();
  const c = h.run(pkt('c', 0, [INIT(CTAG)]), T0).conn!;
  h.run(pkt('c', 0, [INIT(CTAG)]), T0 + 5);
  assert.equal(c.expiresAt, T0 + 10);
  assert.equal(c.origPackets, 1);
});
