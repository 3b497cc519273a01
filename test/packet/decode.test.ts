import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, decodeIp } from '../../src/packet/decode.js';
import * as B from '../../src/packet/build.js';
import { EXT_DSTOPTS, EXT_FRAGMENT, EXT_HOPOPTS, EXT_ROUTING, EXT_AH, EXT_ESP, Layer, LinkType, PacketView, Proto, TcpFlag } from '../../src/packet/view.js';

const v = new PacketView();
const tcpPkt = B.ipv4({ src: '10.0.1.100', dst: '10.0.2.100', ttl: 63, id: 7, tos: 0x10, df: true, payload: B.tcp({ sport: 40000, dport: 80, seq: 1000, ack: 2000, flags: 'SA', win: 501, options: { mss: 1460, sackPerm: true, ts: [11, 22], wscale: 7 }, payload: 'hello' }) });
const udp6 = B.ipv6({ src: 'fd00:1::5', dst: 'fd00:2::5', hopLimit: 9, tc: 0x20, flowLabel: 0x12345, payload: B.udp({ sport: 5353, dport: 53, payload: 'query' }) });

function checkTcp(view: PacketView, l3: number): void {
  assert.equal(view.malformed, Layer.None, view.malformedWhy);
  assert.equal(view.family, 4);
  assert.equal(view.l3Off, l3);
  assert.equal(view.srcString(), '10.0.1.100');
  assert.equal(view.dstString(), '10.0.2.100');
  assert.equal(view.proto, Proto.TCP);
  assert.equal(view.sport, 40000);
  assert.equal(view.dport, 80);
  assert.equal(view.payloadLen, 5);
  assert.equal(view.ipEnd, l3 + tcpPkt.length);
}

test('IPv4 + TCP: every header field and option', () => {
  decodeIp(v, tcpPkt);
  checkTcp(v, 0);
  assert.equal(v.linktype, LinkType.RAW);
  assert.equal(v.l2Off, -1);
  assert.equal(v.ttl, 63);
  assert.equal(v.tos, 0x10);
  assert.equal(v.ipId, 7);
  assert.ok(v.dontFrag && !v.moreFrags && !v.isFragment);
  assert.equal(v.ipHdrLen, 20);
  assert.equal(v.ipTotalLen, tcpPkt.length);
  assert.equal(v.l4Off, 20);
  assert.equal(v.tcpSeq, 1000);
  assert.equal(v.tcpAck, 2000);
  assert.equal(v.tcpFlags, TcpFlag.SYN | TcpFlag.ACK);
  assert.equal(v.tcpWindow, 501);
  assert.equal(v.tcpHdrLen, 40);
  assert.equal(v.tcpMss, 1460);
  assert.equal(v.tcpWscale, 7);
  assert.ok(v.tcpSackPerm);
  assert.equal(v.tcpTsVal, 11);
  assert.equal(v.tcpTsEcr, 22);
  assert.ok(!v.tcpOptsBad);
  assert.equal(v.payloadOff, 60);
  assert.equal(new TextDecoder().decode(v.buf.subarray(v.payloadOff, v.payloadOff + v.payloadLen)), 'hello');
});

test('every link type finds the same IP packet', () => {
  const frames: [number, Uint8Array, number][] = [
    [LinkType.ETHERNET, B.ethernet({ payload: tcpPkt }), 14],
    [LinkType.ETHERNET, B.ethernet({ vlans: [{ id: 100, tpid: 0x88a8 }, 200], payload: tcpPkt }), 22],
    [LinkType.LINUX_SLL, B.sll({ payload: tcpPkt, addr: '02:00:00:00:00:09', pktType: 4 }), 16],
    [LinkType.LINUX_SLL2, B.sll2({ payload: tcpPkt, pktType: 0 }), 20],
    [LinkType.RAW, tcpPkt, 0],
    [LinkType.IPV4, tcpPkt, 0],
    [LinkType.NULL, B.nullFrame(tcpPkt), 4],
    [LinkType.NULL, B.nullFrame(tcpPkt, { bigEndian: true }), 4],
    [LinkType.LOOP, B.loopFrame(tcpPkt), 4],
  ];
  for (const [lt, frame, l3] of frames) {
    decodeFrame(v, frame, lt);
    checkTcp(v, l3);
    assert.equal(v.linktype, lt);
  }
  decodeFrame(v, frames[1]![1], LinkType.ETHERNET);
  assert.equal(v.vlanCount, 2);
  assert.equal(v.vlanOuter, 100);
  assert.equal(v.vlanInner, 200);
  assert.equal(v.ethertype, 0x0800);
  assert.equal(v.dstMacOff, 0);
  assert.equal(v.srcMacOff, 6);
  decodeFrame(v, frames[2]![1], LinkType.LINUX_SLL);
  assert.equal(v.pktType, 4);
  assert.equal(v.srcMacOff, 6);
  for (const [lt, frame] of [[LinkType.ETHERNET, B.ethernet({ payload: udp6 })], [LinkType.IPV6, udp6], [LinkType.NULL, B.nullFrame(udp6, { family: 30 })], [LinkType.LINUX_SLL2, B.sll2({ payload: udp6 })]] as const) {
    decodeFrame(v, frame, lt);
    assert.equal(v.family, 6, `linktype ${lt}`);
    assert.equal(v.dport, 53);
  }
});

test('Ethernet padding is excluded from the datagram', () => {
  const small = B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.udp({ sport: 1, dport: 2, payload: 'a' }) });
  const frame = B.ethernet({ payload: small, pad: true });
  assert.equal(frame.length, 60);
  decodeFrame(v, frame, LinkType.ETHERNET);
  assert.equal(v.malformed, Layer.None);
  assert.equal(v.ipEnd, 14 + small.length);
  assert.equal(v.payloadLen, 1);
});

test('non-IP frames and unknown link types', () => {
  decodeFrame(v, B.ethernet({ type: 0x0806, payload: new Uint8Array(28) }), LinkType.ETHERNET);
  assert.equal(v.family, 0);
  assert.equal(v.ethertype, 0x0806);
  assert.equal(v.l2PayloadOff, 14);
  assert.equal(v.malformed, Layer.None);
  decodeFrame(v, B.ethernet({ type: 0x0040, payload: new Uint8Array(64) }), LinkType.ETHERNET);
  assert.equal(v.ethertype, 0x0004);
  decodeFrame(v, tcpPkt, 999);
  assert.equal(v.malformed, Layer.Link);
  decodeFrame(v, B.nullFrame(tcpPkt, { family: 99 }), LinkType.NULL);
  assert.equal(v.malformed, Layer.Link);
  decodeFrame(v, new Uint8Array(10), LinkType.ETHERNET);
  assert.equal(v.malformed, Layer.Link);
  decodeFrame(v, B.ethernet({ vlans: [5], payload: tcpPkt }).subarray(0, 16), LinkType.ETHERNET);
  assert.equal(v.malformed, Layer.Link);
});

test('IPv6 fixed header fields and UDP', () => {
  decodeIp(v, udp6);
  assert.equal(v.malformed, Layer.None);
  assert.equal(v.family, 6);
  assert.equal(v.srcString(), 'fd00:1::5');
  assert.equal(v.dstString(), 'fd00:2::5');
  assert.deepEqual(Array.from(v.src), [0xfd000001, 0, 0, 5]);
  assert.equal(v.ttl, 9);
  assert.equal(v.tos, 0x20);
  assert.equal(v.flowLabel, 0x12345);
  assert.equal(v.ipTotalLen, udp6.length);
  assert.equal(v.udpLen, 13);
  assert.equal(v.payloadOff, 48);
  assert.equal(v.payloadLen, 5);
});

test('IPv6 extension headers are walked to the upper layer', () => {
  const p = B.ipv6({
    src: 'fd00:1::5',
    dst: 'fd00:2::5',
    ext: [{ type: 'hop', options: Uint8Array.from([5, 2, 0, 0]) }, { type: 'dst' }, { type: 'routing', segmentsLeft: 0, addresses: ['fd00::9'] }, { type: 'fragment', offset: 0, more: false, id: 5 }, { type: 'ah', spi: 1 }, { type: 'dst' }],
    payload: B.tcp({ sport: 1, dport: 2, flags: 'S' }),
  });
  decodeIp(v, p);
  assert.equal(v.malformed, Layer.None, v.malformedWhy);
  assert.equal(v.proto, Proto.TCP);
  assert.equal(v.ipv6Ext, EXT_HOPOPTS | EXT_DSTOPTS | EXT_ROUTING | EXT_FRAGMENT | EXT_AH);
  assert.equal(v.ipHdrLen, 40 + 8 + 8 + 24 + 8 + 24 + 8);
  assert.equal(v.l4Off, v.ipHdrLen);
  assert.equal(v.fragHdrOff, 40 + 8 + 8 + 24);
  assert.equal(v.ipId, 5);
  assert.ok(!v.isFragment, 'an atomic fragment is not a fragment');
  assert.equal(v.dport, 2);
  decodeIp(v, B.ipv6({ src: '::1', dst: '::2', ext: [{ type: 'dst' }], proto: Proto.NONE, payload: new Uint8Array(0) }));
  assert.equal(v.proto, Proto.NONE);
  assert.equal(v.l4Off, -1);
  decodeIp(v, B.ipv6({ src: '::1', dst: '::2', proto: Proto.ESP, payload: new Uint8Array(16) }));
  assert.equal(v.proto, Proto.ESP);
  assert.ok(v.ipv6Ext & EXT_ESP);
  assert.equal(v.payloadLen, 16);
});

test('IPv6 fragments: the first has the upper layer, later ones only data', () => {
  const whole = B.ipv6({ src: '::1', dst: '::2', payload: B.udp({ sport: 7, dport: 8, payload: new Uint8Array(100) }) });
  const frags = B.fragmentIpv6(whole, 0xabcd, 48);
  assert.equal(frags.length, 3);
  decodeIp(v, frags[0]!);
  assert.equal(v.malformed, Layer.None, v.malformedWhy);
  assert.ok(v.isFragment && v.moreFrags);
  assert.equal(v.fragOffset, 0);
  assert.equal(v.ipId, 0xabcd);
  assert.equal(v.dport, 8);
  assert.equal(v.udpLen, 108);
  decodeIp(v, frags[1]!);
  assert.equal(v.malformed, Layer.None);
  assert.ok(v.isFragment && v.moreFrags);
  assert.equal(v.fragOffset, 48);
  assert.equal(v.proto, Proto.UDP);
  assert.equal(v.l4Off, -1);
  assert.equal(v.sport, 0);
  assert.equal(v.payloadOff, 48);
  assert.equal(v.payloadLen, 48);
  decodeIp(v, frags[2]!);
  assert.ok(v.isFragment && !v.moreFrags);
  assert.equal(v.fragOffset, 96);
});

test('IPv4 fragments and options', () => {
  const whole = B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', id: 77, options: Uint8Array.from([1, 1, 1, 1]), payload: B.udp({ sport: 7, dport: 8, payload: new Uint8Array(100) }) });
  decodeIp(v, whole);
  assert.equal(v.ipOptLen, 4);
  assert.equal(v.ipHdrLen, 24);
  const frags = B.fragmentIpv4(whole, 48);
  decodeIp(v, frags[0]!);
  assert.equal(v.malformed, Layer.None, v.malformedWhy);
  assert.ok(v.isFragment && v.moreFrags && v.fragOffset === 0);
  assert.equal(v.udpLen, 108);
  decodeIp(v, frags[2]!);
  assert.ok(v.isFragment && !v.moreFrags);
  assert.equal(v.fragOffset, 96);
  assert.equal(v.l4Off, -1);
  assert.equal(v.payloadOff, 24);
  assert.equal(v.payloadLen, 12);
  assert.equal(v.ipId, 77);
});

test('ICMP echo, errors and the quoted packet as the inner view', () => {
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.icmpEcho({ id: 0x1234, seq: 9, payload: new Uint8Array(56) }) }));
  assert.equal(v.icmpType, 8);
  assert.equal(v.icmpId, 0x1234);
  assert.equal(v.icmpSeq, 9);
  assert.ok(!v.icmpIsError);
  assert.equal(v.payloadLen, 56);
  const quote = B.ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: B.udp({ sport: 40000, dport: 53, payload: new Uint8Array(30) }) });
  decodeIp(v, B.ipv4({ src: '10.0.2.1', dst: '10.0.1.100', payload: B.icmpError({ type: 3, code: 3, quote, quoteLen: 28 }) }));
  assert.equal(v.malformed, Layer.None);
  assert.ok(v.icmpIsError);
  const inner = v.inner!;
  assert.equal(inner.family, 4);
  assert.equal(inner.l3Off, 28);
  assert.equal(inner.srcString(), '10.0.1.100');
  assert.equal(inner.proto, Proto.UDP);
  assert.equal(inner.sport, 40000);
  assert.equal(inner.dport, 53);
  assert.ok(inner.ipTruncated);
  assert.equal(inner.malformed, Layer.None);
  assert.equal(inner.inner, null);
  // the inner view object is reused
  decodeIp(v, B.ipv4({ src: '10.0.2.1', dst: '10.0.1.100', payload: B.icmpError({ type: 11, quote: tcpPkt }) }));
  assert.equal(v.inner, inner);
  assert.equal(inner.proto, Proto.TCP);
  assert.equal(inner.tcpSeq, 1000);
  assert.equal(inner.tcpFlags, TcpFlag.SYN | TcpFlag.ACK);
  // a quote too short for the ports
  decodeIp(v, B.ipv4({ src: '10.0.2.1', dst: '10.0.1.100', payload: B.icmpError({ type: 3, code: 1, quote, quoteLen: 22 }) }));
  assert.equal(v.malformed, Layer.None);
  assert.equal(v.inner!.malformed, Layer.Transport);
});

test('ICMPv6 echo and errors', () => {
  decodeIp(v, B.ipv6({ src: '::1', dst: '::2', payload: B.icmpv6Echo({ id: 3, seq: 4, reply: true }) }));
  assert.deepEqual([v.icmpType, v.icmpId, v.icmpSeq, v.icmpIsError], [129, 3, 4, false]);
  decodeIp(v, B.ipv6({ src: 'fd00:3::1', dst: 'fd00:1::5', payload: B.icmpv6Error({ type: 2, rest: 1280, quote: udp6 }) }));
  assert.ok(v.icmpIsError);
  assert.equal(v.inner!.family, 6);
  assert.equal(v.inner!.dstString(), 'fd00:2::5');
  assert.equal(v.inner!.dport, 53);
  decodeIp(v, B.ipv6({ src: '::1', dst: '::2', payload: B.icmpv6({ type: 135, payload: new Uint8Array(20) }) }));
  assert.ok(!v.icmpIsError);
});

test('SCTP, GRE, DCCP, UDP-Lite and unknown protocols', () => {
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.sctp({ sport: 5000, dport: 6000, vtag: 0xdeadbeef, chunks: [{ type: 10, data: 'cookie' }, { type: 0, data: new Uint8Array(20) }, { type: 0xc0 }] }) }));
  assert.equal(v.malformed, Layer.None, v.malformedWhy);
  assert.deepEqual([v.sport, v.dport, v.sctpVtag, v.sctpChunkCount, v.sctpFirstChunk, v.sctpChunkOff], [5000, 6000, 0xdeadbeef, 3, 10, 32]);
  assert.equal(v.sctpChunkMap, (1 << 10) | 1);
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.sctp({ sport: 1, dport: 2, chunks: [{ type: 1, length: 0 }] }) }));
  assert.equal(v.malformed, Layer.Transport);
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.gre({ key: 0x11223344, seq: 5, checksum: true, payload: new Uint8Array(20) }) }));
  assert.deepEqual([v.greVersion, v.greProto, v.greHasKey, v.greKey, v.payloadOff, v.payloadLen], [0, 0x0800, true, 0x11223344, 36, 20]);
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.gre({ version: 1, callId: 0x4242, seq: 1, ack: 2, payload: new Uint8Array(10) }) }));
  assert.deepEqual([v.greVersion, v.greProto, v.greHasKey, v.greKey, v.payloadLen], [1, 0x880b, true, 0x4242, 10]);
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.dccp({ sport: 9, dport: 10, type: 1, seq: 0x123456789a, ack: 1, service: 42 }) }));
  assert.deepEqual([v.sport, v.dport, v.dccpType, v.dccpSeq, v.payloadLen], [9, 10, 1, 0x123456789a, 0]);
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.udplite({ sport: 1, dport: 2, coverage: 10, payload: 'abcd' }) }));
  assert.deepEqual([v.proto, v.udpLen, v.payloadLen, v.malformed], [Proto.UDPLITE, 10, 4, Layer.None]);
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 99, payload: new Uint8Array(7) }));
  assert.deepEqual([v.proto, v.l4Off, v.payloadOff, v.payloadLen], [99, 20, 20, 7]);
});

test('IP header errors are Network (dropped before conntrack); transport errors are Transport', () => {
  const cases: [Uint8Array, Layer, boolean][] = [
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', ihl: 4, payload: B.udp({ sport: 1, dport: 2 }) }), Layer.Network, true],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', totalLength: 200, payload: B.udp({ sport: 1, dport: 2 }) }), Layer.Network, true],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', totalLength: 12, payload: B.udp({ sport: 1, dport: 2 }) }), Layer.Network, true],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', version: 5, payload: B.udp({ sport: 1, dport: 2 }) }), Layer.Network, true],
    [tcpPkt.subarray(0, 19), Layer.Network, true],
    [B.ipv6({ src: '::1', dst: '::2', payloadLength: 100, payload: B.udp({ sport: 1, dport: 2 }) }), Layer.Network, true],
    [B.ipv6({ src: '::1', dst: '::2', ext: [{ type: 'raw', proto: Proto.HOPOPTS, data: new Uint8Array(6), lengthField: 3 }], payload: B.udp({ sport: 1, dport: 2 }) }), Layer.Network, true],
    [B.ipv6({ src: '::1', dst: '::2', ext: [{ type: 'raw', proto: Proto.DSTOPTS, data: new Uint8Array(6), lengthField: 3 }], payload: B.udp({ sport: 1, dport: 2 }) }), Layer.Network, false],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.tcp({ sport: 1, dport: 2, dataOffset: 4 }) }), Layer.Transport, false],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.tcp({ sport: 1, dport: 2, dataOffset: 6 }) }), Layer.Transport, false],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: Proto.TCP, payload: new Uint8Array(12) }), Layer.Transport, false],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.udp({ sport: 1, dport: 2, length: 50 }) }), Layer.Transport, false],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.udp({ sport: 1, dport: 2, length: 4 }) }), Layer.Transport, false],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: Proto.ICMP, payload: new Uint8Array(5) }), Layer.Transport, false],
    [B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.udplite({ sport: 1, dport: 2, coverage: 5 }) }), Layer.Transport, false],
  ];
  cases.forEach(([pkt, layer, hdrErr], i) => {
    decodeIp(v, pkt);
    assert.equal(v.malformed, layer, `case ${i}: ${v.malformedWhy}`);
    assert.ok(v.malformedWhy.length > 0);
    assert.equal(v.ipHdrError, hdrErr, `case ${i}`);
  });
});

test('malformed TCP option lists are flagged without failing the packet', () => {
  for (const raw of [[2, 3, 1, 1], [8, 30, 0, 0], [1, 1, 5, 1], [3]]) {
    decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.tcp({ sport: 1, dport: 2, options: { raw: Uint8Array.from(raw) } }) }));
    assert.ok(v.tcpOptsBad, String(raw));
    assert.equal(v.malformed, Layer.None);
  }
  decodeIp(v, B.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', payload: B.tcp({ sport: 1, dport: 2, flags: 'A', options: { sack: [[1, 2], [3, 4], [5, 6]] } }) }));
  assert.equal(v.tcpSackCount, 3);
  assert.equal(v.tcpSackOff, 20 + 20 + 4);
  assert.ok(!v.tcpOptsBad);
});

test('decodeIp honours off/end and clamps bad bounds', () => {
  const buf = new Uint8Array(10 + tcpPkt.length + 10);
  buf.set(tcpPkt, 10);
  decodeIp(v, buf, 10, 10 + tcpPkt.length);
  checkTcp(v, 10);
  decodeIp(v, buf, 10, 1e9);
  assert.equal(v.ipEnd, 10 + tcpPkt.length);
  decodeIp(v, buf, -5, -1);
  assert.equal(v.malformed, Layer.Network);
});
