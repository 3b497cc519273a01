/**
 * The TCP helpers besides ftp: irc (DCC offers from the client, forged ones ignored, the address
 * rewritten under NAT), sane (the port of a NET_START reply), pptp (GRE expectations for a call,
 * the key map, the other direction withdrawn, siblings killed on disconnect; call ids rewritten
 * under NAT).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { gre, ipv4 } from '../../src/packet/build.js';
import { payloadText, quad, Router, seg, sent, TcpConv } from './support.js';

const ip = (a: string) => a.split('.').reduce((n, x) => n * 256 + Number(x), 0);

test('irc: a DCC offer with the client\'s address expects a connection from anywhere', () => {
  const r = new Router('-p tcp --dport 6667 -j CT --helper irc');
  const c = new TcpConv(r, '10.0.1.100', 40000, '10.0.2.5', 6667);
  const offer = c.client(`PRIVMSG bob :\x01DCC SEND file.txt ${ip('10.0.1.100')} 5000 1234\x01\r\n`);
  assert.deepEqual(offer.expEvents, [
    '    [NEW] 300 proto=6 src=0.0.0.0 dst=10.0.1.100 sport=0 dport=5000 mask-src=0.0.0.0 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.100 master-dst=10.0.2.5 sport=40000 dport=6667 class=0 helper=irc',
  ]);
  assert.equal(r.recv('r_srv', seg('10.0.2.77', 3333, '10.0.1.100', 5000, 1, 0, 'S'), 1).ctstate, 'related');
  assert.deepEqual(c.client(`PRIVMSG bob :\x01DCC CHAT chat ${ip('10.0.1.99')} 5001\x01\r\n`).expEvents, [], 'forged address');
  assert.deepEqual(c.client(`PRIVMSG bob :\x01DCC CHAT chat ${ip('10.0.1.100')} 0\x01\r\n`).expEvents, [], 'port 0');
  assert.deepEqual(c.client(`PRIVMSG bob :\x01DCC SEND f ${ip('10.0.1.100')} 5002\x01`).expEvents, [], 'no line end');
  assert.deepEqual(c.client(`NOTICE bob :\x01DCC SEND f ${ip('10.0.1.100')} 5003\x01\r\n`).expEvents, [], 'not PRIVMSG');
  assert.deepEqual(c.server(`:bob PRIVMSG me :\x01DCC SEND f ${ip('10.0.2.5')} 5004\x01\r\n`).expEvents, [], 'from the server: ignored');
  assert.equal(c.client(`privmsg bob :\x01DCC SCHAT chat ${ip('10.0.1.100')} 5005\x01\n`).expEvents.length, 1, 'any case, SCHAT');
});

test('irc with MASQUERADE: the offer names the public address', () => {
  const r = new Router('-p tcp --dport 6667 -j CT --helper irc', { nat: true });
  const c = new TcpConv(r, '10.0.1.100', 40000, '198.51.100.5', 6667, '203.0.113.1');
  const offer = c.client(`PRIVMSG bob :\x01DCC SEND f ${ip('10.0.1.100')} 5000\x01\r\n`);
  const text = payloadText(sent(offer));
  assert.equal(text, `PRIVMSG bob :\x01DCC SEND f ${ip('203.0.113.1')} 5000\x01\r\n`);
  assert.match(offer.expEvents[0]!, /src=0\.0\.0\.0 dst=203\.0\.113\.1 sport=0 dport=5000 /);
  const data = r.recv('r_wan', seg('198.51.100.9', 4444, '203.0.113.1', 5000, 1, 0, 'S'), 1);
  assert.equal(data.ctstate, 'related');
  assert.equal(sent(data).dstString(), '10.0.1.100');
  // the offer grew by (length of the public number - length of the private one): later segments shift
  const grow = String(ip('203.0.113.1')).length - String(ip('10.0.1.100')).length;
  const next = c.client('PING x\r\n');
  assert.equal(sent(next).tcpSeq, c.cseq - 8 + grow);
  assert.equal(quad(ip('203.0.113.1')), '203.0.113.1');
});

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

test('sane: the data port of a successful NET_START reply', () => {
  const r = new Router('-p tcp --dport 6566 -j CT --helper sane');
  const c = new TcpConv(r, '10.0.1.100', 40000, '10.0.2.5', 6566);
  assert.deepEqual(c.client(Uint8Array.from([...u32(7), ...u32(1)])).expEvents, []);
  const reply = c.server(Uint8Array.from([...u32(0), 0, 0, 0x12, 0x34, ...u32(9)]));
  assert.deepEqual(reply.expEvents, [
    '    [NEW] 300 proto=6 src=10.0.1.100 dst=10.0.2.5 sport=0 dport=4660 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.100 master-dst=10.0.2.5 sport=40000 dport=6566 class=0 helper=sane',
  ]);
  // a failed reply, or a reply to another request, expects nothing
  c.client(Uint8Array.from([...u32(7), ...u32(1)]));
  assert.deepEqual(c.server(Uint8Array.from([...u32(1), 0, 0, 0x12, 0x35])).expEvents, []);
  c.client(Uint8Array.from([...u32(3), ...u32(1)]));
  assert.deepEqual(c.server(Uint8Array.from([...u32(0), 0, 0, 0x12, 0x36])).expEvents, []);
});

// ------------------------------------------------------------------------------------------------
// pptp

function pptp(type: number, body: number[]): Uint8Array {
  const msg = [0, 0, ...[(type >> 8) & 255, type & 255], 0, 0, ...body];
  const len = 8 + msg.length - 2;
  return Uint8Array.from([(len >> 8) & 255, len & 255, 0, 1, ...u32(0x1a2b3c4d), ...msg.slice(2)]);
}

const be16 = (n: number) => [(n >> 8) & 255, n & 255];
const zeros = (n: number) => new Array<number>(n).fill(0);

const startRequest = () => pptp(1, zeros(144));
const startReply = () => pptp(2, [1, 0, 1, ...zeros(141)]);
const outCallRequest = (callId: number) => pptp(7, [...be16(callId), ...zeros(154)]);
const outCallReply = (callId: number, peer: number) => pptp(8, [...be16(callId), ...be16(peer), 1, ...zeros(15)]);
const disconnect = (callId: number) => pptp(13, [...be16(callId), ...zeros(134)]);

function greV1(src: string, dst: string, callId: number): Uint8Array {
  return ipv4({ src, dst, payload: gre({ version: 1, callId, seq: 1, payload: 'ppp' }) });
}

test('pptp: an outgoing call expects GRE both ways; the first GRE packet withdraws the other expectation', () => {
  const r = new Router('-p tcp --dport 1723 -j CT --helper pptp');
  const c = new TcpConv(r, '10.0.1.100', 40000, '10.0.2.5', 1723);
  c.client(startRequest());
  c.server(startReply());
  c.client(outCallRequest(0x1111));
  const reply = c.server(outCallReply(0x2222, 0x1111));
  assert.deepEqual(reply.expEvents, [
    '    [NEW] 300 proto=47 src=10.0.1.100 dst=10.0.2.5 srckey=0x1111 dstkey=0x2222 mask-src=255.255.255.255 mask-dst=255.255.255.255 srckey=0xffff dstkey=0xffff master-src=10.0.1.100 master-dst=10.0.2.5 sport=40000 dport=1723 class=0 helper=pptp',
    '    [NEW] 300 proto=47 src=10.0.2.5 dst=10.0.1.100 srckey=0x2222 dstkey=0x1111 mask-src=255.255.255.255 mask-dst=255.255.255.255 srckey=0xffff dstkey=0xffff master-src=10.0.1.100 master-dst=10.0.2.5 sport=40000 dport=1723 class=0 helper=pptp',
  ]);
  assert.equal(r.host.conntrack.greKeymap.size, 2);
  const g = r.recv('r_cli', greV1('10.0.1.100', '10.0.2.5', 0x2222), 1);
  assert.equal(g.ctstate, 'related');
  assert.equal(g.expEvents.length, 2, 'its own expectation taken, the other withdrawn');
  assert.match(g.events[0]!, /^ {4}\[NEW\] gre {6}47 30 src=10\.0\.1\.100 dst=10\.0\.2\.5 srckey=0x1111 dstkey=0x2222 \[UNREPLIED\] src=10\.0\.2\.5 dst=10\.0\.1\.100 srckey=0x2222 dstkey=0x1111$/);
  assert.equal(r.recv('r_srv', greV1('10.0.2.5', '10.0.1.100', 0x1111), 1.1).ctstate, 'established');
  assert.deepEqual(r.expect(2), []);
  // the server hangs up: the call's GRE connection dies, the key map is cleared
  const bye = c.server(disconnect(0x2222));
  assert.ok(bye.events.some((l) => /^\[DESTROY\] gre /.test(l)), bye.events.join('\n'));
  assert.equal(r.host.conntrack.greKeymap.size, 0);
});

test('pptp: messages out of order or too short are ignored', () => {
  const r = new Router('-p tcp --dport 1723 -j CT --helper pptp');
  const c = new TcpConv(r, '10.0.1.100', 40000, '10.0.2.5', 1723);
  c.client(outCallRequest(0x1111));
  assert.deepEqual(c.server(outCallReply(0x2222, 0x1111)).expEvents, [], 'no session');
  c.client(startRequest());
  c.server(startReply());
  c.client(outCallRequest(0x1111));
  assert.deepEqual(c.server(outCallReply(0x2222, 0x1112)).expEvents, [], 'another call id');
  assert.deepEqual(c.server(outCallReply(0x2222, 0x1111).subarray(0, 30)).expEvents, [], 'too short');
  assert.equal(c.server(outCallReply(0x2222, 0x1111)).expEvents.length, 2);
});

test('pptp with MASQUERADE: the PNS call id becomes the public source port and comes back', () => {
  const r = new Router('-p tcp --dport 1723 -j CT --helper pptp', { nat: true });
  const c = new TcpConv(r, '10.0.1.100', 40000, '198.51.100.5', 1723, '203.0.113.1');
  c.client(startRequest());
  c.server(startReply());
  const req = sent(c.client(outCallRequest(0x1111)));
  const callId = (req.buf[req.payloadOff + 12]! << 8) | req.buf[req.payloadOff + 13]!;
  assert.equal(callId, 40000, 'the translated source port');
  const reply = c.server(outCallReply(0x2222, 40000));
  const back = sent(reply);
  assert.equal((back.buf[back.payloadOff + 14]! << 8) | back.buf[back.payloadOff + 15]!, 0x1111, 'peer call id restored');
  assert.equal(reply.expEvents.length, 2);
  assert.match(reply.expEvents[0]!, /src=10\.0\.1\.100 dst=198\.51\.100\.5 srckey=0x1111 dstkey=0x2222 /);
  assert.match(reply.expEvents[1]!, /src=198\.51\.100\.5 dst=203\.0\.113\.1 srckey=0x2222 dstkey=0x9c40 /);
  const g = r.recv('r_wan', greV1('198.51.100.5', '203.0.113.1', 40000), 1);
  assert.equal(g.ctstate, 'related');
  const out = sent(g);
  assert.equal(out.dstString(), '10.0.1.100');
  assert.equal(out.greKey & 0xffff, 0x1111, 'the call id the client knows');
});
