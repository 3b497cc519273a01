/**
 * Sequence adjustment (src/nat/seqadj.ts) and payload rewriting for helpers (src/nat/helper.ts):
 * records per direction, the rewrite of seq / ack / SACK blocks with valid checksums, the drop
 * on malformed options, the length and checksum fixes of a mangled payload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import type { Conn } from '../../src/conntrack/conn.js';
import type { TcpState } from '../../src/conntrack/proto/tcp-state.js';
import { mangleTcpPacket, mangleUdpPacket, seqAdjInit, seqAdjSet, seqAdjustPacket, seqOffset } from '../../src/nat/index.js';
import { CtStateBit, CtStatus, type PacketContext } from '../../src/netfilter/context.js';
import { ipv4, ipv6, tcp, udp, type TcpOptions } from '../../src/packet/build.js';
import { verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { natLab, natTable, packetContext } from './support.js';

const C = '10.0.1.2';
const S = '198.51.100.10';
const P = '203.0.113.1';

/** A MASQUERADEd, established TCP connection (client seq 1000, server seq 5000). */
function established(): { conn: Conn; lab: ReturnType<typeof natLab> } {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE'));
  lab.rx('r_cli', ipv4({ src: C, dst: S, payload: tcp({ sport: 40000, dport: 21, seq: 1000, flags: 'S' }) }));
  lab.rx('r_wan', ipv4({ src: S, dst: P, payload: tcp({ sport: 21, dport: 40000, seq: 5000, ack: 1001, flags: 'SA' }) }));
  lab.rx('r_cli', ipv4({ src: C, dst: S, payload: tcp({ sport: 40000, dport: 21, seq: 1001, ack: 5001, flags: 'A' }) }));
  return { conn: lab.conns()[0]!, lab };
}

function segment(fromClient: boolean, seq: number, ack: number, options: TcpOptions = {}, payload = ''): PacketView {
  const b = fromClient
    ? ipv4({ src: P, dst: S, payload: tcp({ sport: 40000, dport: 21, seq, ack, flags: 'PA', options, payload }) })
    : ipv4({ src: S, dst: C, payload: tcp({ sport: 21, dport: 40000, seq, ack, flags: 'A', options, payload }) });
  return decodeIp(new PacketView(), b);
}

const context = (pkt: PacketView, conn: Conn, dir: 0 | 1): PacketContext => packetContext(pkt, conn, dir);

test('a recorded length change shifts later sequence numbers and maps acknowledgements and SACK back', () => {
  const { conn } = established();
  seqAdjSet(conn, 0, 1001, 1);
  assert.ok(conn.status & CtStatus.SEQ_ADJUST);
  assert.equal(seqOffset(conn, 0, 1001), 0, 'the changed segment itself keeps its number');
  assert.equal(seqOffset(conn, 0, 1026), 1);
  const later = segment(true, 1026, 5014);
  assert.ok(seqAdjustPacket(later, conn, 0));
  const l = decodeIp(new PacketView(), later.buf);
  assert.equal(l.tcpSeq, 1027);
  assert.equal(l.tcpAck, 5014, 'nothing shifted in the other direction');
  assert.ok(verifyL4Checksum(l));
  const reply = segment(false, 5014, 1027, { sack: [[1030, 1040], [1000, 1001]] });
  assert.ok(seqAdjustPacket(reply, conn, 1));
  const r = decodeIp(new PacketView(), reply.buf);
  assert.equal(r.tcpAck, 1026);
  const sack = [0, 4, 8, 12].map((k) => new DataView(r.buf.buffer, r.tcpSackOff + k).getUint32(0));
  assert.deepEqual(sack, [1029, 1039, 1000, 1001]);
  assert.ok(verifyL4Checksum(r));
});

test('only a change after the last correction point moves it (a retransmission adds nothing)', () => {
  const { conn } = established();
  seqAdjSet(conn, 0, 1001, 1);
  seqAdjSet(conn, 0, 1001, 1);
  const adj = (conn.proto as TcpState).seqAdj!;
  assert.deepEqual(adj[0], { correctionPos: 1001, offsetBefore: 0, offsetAfter: 1 });
  seqAdjSet(conn, 0, 1100, -3);
  assert.deepEqual(adj[0], { correctionPos: 1100, offsetBefore: 1, offsetAfter: -2 });
  seqAdjInit(conn, 1, 7);
  assert.deepEqual(adj[1], { correctionPos: 0, offsetBefore: 7, offsetAfter: 7 });
});

test('malformed options make the adjustment fail (the kernel drops the packet)', () => {
  const { conn } = established();
  seqAdjSet(conn, 0, 1001, 1);
  const bad = segment(false, 5014, 1027, { raw: new Uint8Array([8, 20]) });
  assert.equal(seqAdjustPacket(bad, conn, 1), false);
});

test('adjusted segments keep valid checksums for any offsets and SACK blocks', () => {
  const { conn } = established();
  const st = conn.proto as TcpState;
  const word = fc.integer({ min: 0, max: 0xffffffff });
  const off = fc.integer({ min: -200, max: 200 });
  fc.assert(
    fc.property(word, word, off, off, word, fc.array(fc.tuple(word, word), { maxLength: 3 }), fc.boolean(), (seq, ack, before, after, pos, sack, dir) => {
      st.seqAdj = [
        { correctionPos: pos, offsetBefore: before, offsetAfter: after },
        { correctionPos: pos ^ 0x5a5a, offsetBefore: after, offsetAfter: before },
      ];
      const p = segment(dir, seq, ack, { sack });
      assert.ok(seqAdjustPacket(p, conn, dir ? 0 : 1));
      assert.ok(verifyL4Checksum(decodeIp(new PacketView(), p.buf)));
    }),
    { numRuns: 300 },
  );
});

test('the engine adjusts packets of connections with SEQ_ADJUST only, and not ICMP errors in reply', () => {
  const { conn, lab } = established();
  const p = segment(true, 1026, 5014);
  const before = p.buf.slice();
  assert.ok(lab.nat.adjustSequence(context(p, conn, 0)));
  assert.deepEqual(p.buf, before);
  seqAdjSet(conn, 0, 1001, 4);
  assert.ok(lab.nat.adjustSequence(context(p, conn, 0)));
  assert.equal(decodeIp(new PacketView(), p.buf).tcpSeq, 1030);
  const q = segment(false, 5014, 1030);
  const ctx = { ...context(q, conn, 1), ctState: CtStateBit.RELATED };
  const copy = q.buf.slice();
  assert.ok(lab.nat.adjustSequence(ctx));
  assert.deepEqual(q.buf, copy);
});

test('mangling a TCP payload fixes lengths and checksums and records the change', () => {
  const { conn } = established();
  const pkt = segment(true, 1001, 5001, {}, 'PORT 10,0,1,2,195,80\r\n');
  const ctx = context(pkt, conn, 0);
  const rep = new TextEncoder().encode('203,0,113,1');
  assert.ok(mangleTcpPacket(ctx, conn, 5, 8, rep));
  const v = ctx.pkt;
  assert.equal(new TextDecoder().decode(v.buf.subarray(v.payloadOff, v.ipEnd)), 'PORT 203,0,113,1,195,80\r\n');
  assert.equal(v.ipTotalLen, v.buf.length);
  assert.ok(verifyIpv4Header(v.buf, 0, 20));
  assert.ok(verifyL4Checksum(v));
  assert.equal(seqOffset(conn, 0, 1030), 3);
  assert.equal(mangleTcpPacket(ctx, conn, 500, 1, rep), false, 'a match outside the payload');
});

test('mangling UDP: the length follows, a datagram without checksum keeps none (IPv4), IPv6 checksums stay valid', () => {
  for (const checksum of ['auto', 0] as const) {
    const b = ipv4({ src: C, dst: S, payload: udp({ sport: 1, dport: 69, payload: 'abcdef', checksum }) });
    const ctx = context(decodeIp(new PacketView(), b), null as unknown as Conn, 0);
    assert.ok(mangleUdpPacket(ctx, 2, 2, new TextEncoder().encode('XYZW')));
    const v = ctx.pkt;
    assert.equal(v.udpLen, 16);
    assert.equal(new TextDecoder().decode(v.buf.subarray(28)), 'abXYZWef');
    if (checksum === 0) assert.equal(v.l4Checksum, 0);
    else assert.ok(verifyL4Checksum(v));
  }
  const b6 = ipv6({ src: 'fd00:1::2', dst: '2001:db8::1', payload: udp({ sport: 1, dport: 69, payload: 'abcdef' }) });
  const ctx6 = context(decodeIp(new PacketView(), b6), null as unknown as Conn, 0);
  assert.ok(mangleUdpPacket(ctx6, 0, 6, new Uint8Array(0)));
  assert.equal(ctx6.pkt.ipTotalLen, 48);
  assert.ok(verifyL4Checksum(ctx6.pkt));
});
