import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as B from '../../src/packet/build.js';
import { verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';
import { decodeIp } from '../../src/packet/decode.js';
import { Layer, PacketView, TcpFlag } from '../../src/packet/view.js';

const v = new PacketView();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('a plain SYN is byte-identical to the kernel-recorded conformance packet', () => {
  const flow = new B.TcpFlow({ client: '10.0.1.100', server: '10.0.2.100', cport: 40000, sport: 80 });
  assert.equal(hex(flow.syn()), '4500002800010000400663080a0001640a0002649c400050000003e8000000005002faf0fcb10000');
});

test('TcpFlow keeps sequence and acknowledgment numbers consistent in both directions', () => {
  const f = new B.TcpFlow({ client: '10.0.1.100', server: '10.0.2.100', cport: 40000, sport: 80, cisn: 1000, sisn: 5000 });
  const seen = [...f.handshake(), f.data('client', 'GET / HTTP/1.0\r\n\r\n'), f.data('server', 24), f.ack('client'), f.fin('server'), f.ack('client'), f.fin('client'), f.ack('server')].map((p) => {
    decodeIp(v, p);
    assert.ok(verifyL4Checksum(v) && verifyIpv4Header(p, 0, 20));
    return [v.sport, v.tcpSeq, v.tcpAck, v.tcpFlags, v.payloadLen];
  });
  const S = TcpFlag.SYN, A = TcpFlag.ACK, P = TcpFlag.PSH, F = TcpFlag.FIN;
  assert.deepEqual(seen, [
    [40000, 1000, 0, S, 0],
    [80, 5000, 1001, S | A, 0],
    [40000, 1001, 5001, A, 0],
    [40000, 1001, 5001, P | A, 18],
    [80, 5001, 1019, P | A, 24],
    [40000, 1019, 5025, A, 0],
    [80, 5025, 1019, F | A, 0],
    [40000, 1019, 5026, A, 0],
    [40000, 1019, 5026, F | A, 0],
    [80, 5026, 1020, A, 0],
  ]);
  assert.equal(f.nextSeq('client'), 1020);
  const again = f.retransmit();
  assert.equal(hex(again), hex(f.retransmit()));
  decodeIp(v, f.rst('client'));
  assert.equal(v.tcpFlags, TcpFlag.RST);
  assert.equal(v.tcpSeq, 1020);
});

test('window scaling applies only after both SYNs offered it; timestamps echo the peer', () => {
  const f = new B.TcpFlow({ client: 'fd00:1::5', server: 'fd00:2::5', cport: 1, sport: 2, cwscale: 7, swscale: 2, cwin: 65535 * 4, swin: 20000, mss: 1440, ts: true, sackPerm: true });
  const [syn, synack, ack] = f.handshake();
  decodeIp(v, syn!);
  assert.deepEqual([v.family, v.tcpWindow, v.tcpWscale, v.tcpMss, v.tcpSackPerm, v.tcpTsVal, v.tcpTsEcr], [6, 65535, 7, 1440, true, 1, 0]);
  decodeIp(v, synack!);
  assert.deepEqual([v.tcpWindow, v.tcpWscale, v.tcpTsVal, v.tcpTsEcr], [20000, 2, 1, 1]);
  decodeIp(v, ack!);
  assert.deepEqual([v.tcpWindow, v.tcpWscale, v.tcpTsVal, v.tcpTsEcr], [(65535 * 4) >> 7, -1, 2, 1]);
  assert.ok(f.scaling);
  decodeIp(v, f.data('server', 10));
  assert.deepEqual([v.tcpWindow, v.tcpTsVal, v.tcpTsEcr], [5000, 2, 2]);
  const g = new B.TcpFlow({ client: '1.1.1.1', server: '2.2.2.2', cport: 1, sport: 2, cwscale: 7, cwin: 100000 });
  g.handshake();
  assert.ok(!g.scaling);
  decodeIp(v, g.ack('client'));
  assert.equal(v.tcpWindow, 65535);
});

test('TcpFlow.segment overrides numbers without breaking the flow', () => {
  const f = new B.TcpFlow({ client: '1.1.1.1', server: '2.2.2.2', cport: 1, sport: 2 });
  f.handshake();
  decodeIp(v, f.segment('client', { flags: 'A', seq: 12345, payload: 'x', advance: false, checksum: 'bad' }));
  assert.equal(v.tcpSeq, 12345);
  assert.ok(!verifyL4Checksum(v));
  assert.equal(f.nextSeq('client'), 1001);
});

test('builder input errors are typed', () => {
  assert.throws(() => B.tcp({ sport: 70000, dport: 1 }), B.BuildError);
  assert.throws(() => B.tcpFlags('SX'), B.BuildError);
  assert.throws(() => B.ipv4({ src: '1.1.1.1', dst: '::1', payload: B.udp({ sport: 1, dport: 2 }) }), B.BuildError);
  assert.throws(() => B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', fragOffset: 3, payload: B.udp({ sport: 1, dport: 2 }) }), B.BuildError);
  assert.throws(() => B.parseMac('02:00:00'), B.BuildError);
  assert.throws(() => new B.TcpFlow({ client: '1.1.1.1', server: '::1', cport: 1, sport: 2 }), B.BuildError);
  assert.equal(B.tcpFlags('FSRPAUEW'), 0xff);
  assert.equal(B.tcpFlags('.'), TcpFlag.ACK);
});

test('fragmentIpv4 pieces carry the datagram', () => {
  const whole = B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', id: 3, payload: B.udp({ sport: 1, dport: 2, payload: new Uint8Array(100).fill(7) }) });
  const frags = B.fragmentIpv4(whole, 40);
  const data: number[] = [];
  for (const f of frags) {
    decodeIp(v, f);
    assert.equal(v.malformed, Layer.None);
    assert.ok(verifyIpv4Header(f, 0, 20));
    assert.equal(v.fragOffset, data.length);
    data.push(...f.subarray(20));
  }
  assert.equal(hex(Uint8Array.from(data)), hex(whole.subarray(20)));
});
