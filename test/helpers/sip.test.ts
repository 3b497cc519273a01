/**
 * The sip helper: media expectations from SDP offers and answers (RTP / RTCP pairs per media
 * line, classes), flushing them on BYE and failed INVITEs, REGISTER's signalling expectation
 * (PERMANENT + INACTIVE, activated and refreshed by the registrar's 200), malformed messages
 * dropped, several messages in one TCP segment, and with MASQUERADE the rewritten headers and SDP
 * with the media expected on the public address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ctLine, dgram, payloadText, Router, sent, seg } from './support.js';

const CT = '-p udp --dport 5060 -j CT --helper sip';

function sdp(addr: string, port: number, media = 'audio'): string {
  return `v=0\r\no=alice 2890844526 2890844526 IN IP4 ${addr}\r\ns=-\r\nc=IN IP4 ${addr}\r\nt=0 0\r\nm=${media} ${port} RTP/AVP 0\r\n`;
}

function message(start: string, from: string, headers: string[], body = ''): string {
  const lines = [start, `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK776asdhds`, ...headers];
  if (body !== '') lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${body.length}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function invite(from: string, to: string, body: string, cseq = 314159): string {
  return message(`INVITE sip:bob@${to} SIP/2.0`, from, [
    `From: <sip:alice@${from}>;tag=1928301774`,
    `To: <sip:bob@${to}>`,
    'Call-ID: a84b4c76e66710@pc33',
    `CSeq: ${cseq} INVITE`,
    `Contact: <sip:alice@${from}:5060>`,
  ], body);
}

function ok(from: string, to: string, method: string, body = '', cseq = 314159, extra: string[] = []): string {
  return message('SIP/2.0 200 OK', from, [`From: <sip:alice@${from}>`, `To: <sip:bob@${to}>`, 'Call-ID: a84b4c76e66710@pc33', `CSeq: ${cseq} ${method}`, ...extra], body);
}

function mediaExp(kind: 'NEW' | 'DESTROY', t: number, src: string, dst: string, port: number, cls: number, master = 'master-src=10.0.1.100 master-dst=10.0.2.5 sport=5060 dport=5060'): string {
  const prefix = kind === 'NEW' ? '    [NEW] ' : '[DESTROY] ';
  return `${prefix}${t} proto=17 src=${src} dst=${dst} sport=0 dport=${port} mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 ${master} class=${cls} helper=sip`;
}

test('INVITE and its answer expect RTP and RTCP both ways; media flows RELATED; BYE flushes', () => {
  const r = new Router(CT);
  const inv = r.recv('r_cli', dgram('10.0.1.100', 5060, '10.0.2.5', 5060, invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 49170))), 0);
  assert.equal(inv.verdict, 'FORWARDED');
  assert.deepEqual(inv.expEvents, [mediaExp('NEW', 180, '10.0.2.5', '10.0.1.100', 49170, 1), mediaExp('NEW', 180, '10.0.2.5', '10.0.1.100', 49171, 1)]);
  assert.match(ctLine(r, 0, /sport=5060 dport=5060/)!, /^udp {6}17 3600 /);
  const answer = r.recv('r_srv', dgram('10.0.2.5', 5060, '10.0.1.100', 5060, ok('10.0.1.100', '10.0.2.5', 'INVITE', sdp('10.0.2.5', 3456, 'video'))), 0.5);
  assert.deepEqual(answer.expEvents, [mediaExp('NEW', 180, '10.0.1.100', '10.0.2.5', 3456, 2), mediaExp('NEW', 180, '10.0.1.100', '10.0.2.5', 3457, 2)]);
  assert.equal(r.recv('r_cli', dgram('10.0.1.100', 7000, '10.0.2.5', 3457, 'rtcp'), 1).ctstate, 'related');
  assert.equal(r.expect(1).length, 3);
});

test('media expectations match any source port of the other end', () => {
  const r = new Router(CT);
  r.recv('r_cli', dgram('10.0.1.100', 5060, '10.0.2.5', 5060, invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 49170))), 0);
  const rtp = r.recv('r_srv', dgram('10.0.2.5', 7078, '10.0.1.100', 49170, 'rtp'), 1);
  assert.equal(rtp.ctstate, 'related');
  assert.equal(rtp.expEvents.length, 1);
  const bye = r.recv('r_cli', dgram('10.0.1.100', 5060, '10.0.2.5', 5060, message('BYE sip:bob@10.0.2.5 SIP/2.0', '10.0.1.100', ['CSeq: 314160 BYE'])), 2);
  assert.deepEqual(bye.expEvents, [mediaExp('DESTROY', 178, '10.0.2.5', '10.0.1.100', 49171, 1)]);
});

test('a media address other than the sender\'s is not expected (sip_direct_media)', () => {
  const r = new Router(CT);
  const inv = r.recv('r_cli', dgram('10.0.1.100', 5060, '10.0.2.5', 5060, invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.77', 49170))), 0);
  assert.equal(inv.verdict, 'FORWARDED');
  assert.deepEqual(inv.expEvents, []);
});

test('malformed messages are dropped: no CSeq, a media port below 1024, a response without a code', () => {
  const r = new Router(CT);
  const noCseq = invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 49170)).replace('CSeq: 314159 INVITE\r\n', '');
  assert.equal(r.recv('r_cli', dgram('10.0.1.100', 5060, '10.0.2.5', 5060, noCseq), 0).verdict, 'DROPPED');
  assert.equal(r.recv('r_cli', dgram('10.0.1.100', 5061, '10.0.2.5', 5060, invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 80))), 0.1).verdict, 'DROPPED');
  assert.equal(r.recv('r_cli', dgram('10.0.1.100', 5062, '10.0.2.5', 5060, 'SIP/2.0 abc OK\r\nCSeq: 1 INVITE\r\n\r\n'), 0.2).verdict, 'DROPPED');
  assert.equal(r.recv('r_cli', dgram('10.0.1.100', 5063, '10.0.2.5', 5060, 'short'), 0.3).verdict, 'FORWARDED', 'under 11 bytes: not read');
  assert.equal(r.recv('r_cli', dgram('10.0.1.100', 5064, '10.0.2.5', 5060, invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 0))), 0.4).expEvents.length, 0, 'port 0: inactive stream');
});

test('a failed INVITE flushes its media expectations', () => {
  const r = new Router(CT);
  r.recv('r_cli', dgram('10.0.1.100', 5060, '10.0.2.5', 5060, invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 49170))), 0);
  const busy = message('SIP/2.0 486 Busy Here', '10.0.1.100', ['CSeq: 314159 INVITE']);
  const res = r.recv('r_srv', dgram('10.0.2.5', 5060, '10.0.1.100', 5060, busy), 0.5);
  assert.equal(res.expEvents.length, 2);
  assert.ok(res.expEvents.every((l) => l.startsWith('[DESTROY] ')));
});

test('REGISTER: an inactive permanent signalling expectation, activated and refreshed by the 200', () => {
  const r = new Router(CT);
  const reg = message('REGISTER sip:10.0.2.5 SIP/2.0', '10.0.1.100', ['CSeq: 1 REGISTER', 'Contact: <sip:alice@10.0.1.100:5062>', 'Expires: 3600']);
  const res = r.recv('r_cli', dgram('10.0.1.100', 5060, '10.0.2.5', 5060, reg), 0);
  assert.deepEqual(res.expEvents, [
    '    [NEW] 180 proto=17 src=10.0.2.5 dst=10.0.1.100 sport=0 dport=5062 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.100 master-dst=10.0.2.5 sport=5060 dport=5060 PERMANENT,INACTIVE class=0 helper=sip',
  ]);
  assert.equal(r.recv('r_srv', dgram('10.0.2.5', 5060, '10.0.1.100', 5062, 'x'.repeat(20)), 0.2).ctstate, 'new', 'inactive');
  const okReg = ok('10.0.1.100', '10.0.2.5', 'REGISTER', '', 1, ['Contact: <sip:alice@10.0.1.100:5062>;expires=600']);
  assert.deepEqual(r.recv('r_srv', dgram('10.0.2.5', 5060, '10.0.1.100', 5060, okReg), 0.5).expEvents, []);
  assert.match(r.expect(0.5)[0]!, /^600 proto=17 .* PERMANENT class=0 helper=sip$/, 'expires=600 from the answer');
  const call = r.recv('r_srv', dgram('10.0.2.5', 5070, '10.0.1.100', 5062, invite('10.0.2.5', '10.0.1.100', sdp('10.0.2.5', 30000))), 1);
  assert.equal(call.ctstate, 'related');
  assert.match(call.events[0]!, /dport=5062 .* helper=sip$/);
  assert.equal(r.expect(1).filter((l) => / class=0 /.test(l)).length, 1, 'PERMANENT: still there');
  assert.equal(r.expect(1).filter((l) => / class=1 /.test(l)).length, 2, 'the new signalling connection has the sip helper');
});

test('SIP over TCP: messages framed by Content-Length, several in one segment', () => {
  const r = new Router('-p tcp --dport 5060 -j CT --helper sip');
  r.recv('r_cli', seg('10.0.1.100', 40000, '10.0.2.5', 5060, 1000, 0, 'S'), 0);
  r.recv('r_srv', seg('10.0.2.5', 5060, '10.0.1.100', 40000, 5000, 1001, 'SA'), 0.01);
  r.recv('r_cli', seg('10.0.1.100', 40000, '10.0.2.5', 5060, 1001, 5001, 'A'), 0.02);
  const two = invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 49170), 1) + invite('10.0.1.100', '10.0.2.5', sdp('10.0.1.100', 49180, 'video'), 2);
  const res = r.recv('r_cli', seg('10.0.1.100', 40000, '10.0.2.5', 5060, 1001, 5001, 'PA', two), 0.03);
  assert.equal(res.verdict, 'FORWARDED');
  const ports = res.expEvents.filter((l) => l.startsWith('    [NEW]')).map((l) => /dport=(\d+) mask/.exec(l)![1]);
  assert.deepEqual(ports, ['49170', '49171', '49180', '49181']);
});

test('with MASQUERADE: headers and SDP carry the public address, the media is expected there and mapped back', () => {
  const r = new Router(CT, { nat: true });
  const body = sdp('10.0.1.100', 49170);
  const res = r.recv('r_cli', dgram('10.0.1.100', 5060, '198.51.100.5', 5060, invite('10.0.1.100', '198.51.100.5', body)), 0);
  assert.equal(res.verdict, 'FORWARDED');
  const text = payloadText(sent(res));
  assert.match(text, /^Via: SIP\/2\.0\/UDP 203\.0\.113\.1:5060;branch=/m);
  assert.match(text, /^Contact: <sip:alice@203\.0\.113\.1:5060>\r$/m);
  assert.match(text, /^From: <sip:alice@203\.0\.113\.1:5060>;tag=/m, 'From gains the port');
  assert.match(text, /^o=alice 2890844526 2890844526 IN IP4 203\.0\.113\.1\r$/m);
  assert.match(text, /^c=IN IP4 203\.0\.113\.1\r$/m);
  const newBody = text.slice(text.indexOf('\r\n\r\n') + 4);
  assert.match(text, new RegExp(`^Content-Length: ${newBody.length}\\r$`, 'm'));
  assert.deepEqual(res.expEvents, [
    mediaExp('NEW', 180, '198.51.100.5', '203.0.113.1', 49170, 1, 'master-src=10.0.1.100 master-dst=198.51.100.5 sport=5060 dport=5060'),
    mediaExp('NEW', 180, '198.51.100.5', '203.0.113.1', 49171, 1, 'master-src=10.0.1.100 master-dst=198.51.100.5 sport=5060 dport=5060'),
  ]);
  const rtp = r.recv('r_wan', dgram('198.51.100.5', 7078, '203.0.113.1', 49170, 'rtp'), 1);
  assert.equal(rtp.ctstate, 'related');
  const out = sent(rtp);
  assert.equal(out.dstString(), '10.0.1.100');
  assert.equal(out.dport, 49170);
  // the answer comes back with the client's own address put back into the headers
  const answer = r.recv('r_wan', dgram('198.51.100.5', 5060, '203.0.113.1', 5060, ok('203.0.113.1', '198.51.100.5', 'INVITE', sdp('198.51.100.5', 3456))), 1.5);
  const back = payloadText(sent(answer));
  assert.match(back, /^Via: SIP\/2\.0\/UDP 10\.0\.1\.100:5060;branch=/m);
});

test(
  'SIP over TCP with MASQUERADE: a registered client is called over a new TCP connection',
  () => {
    const r = new Router('-p tcp --dport 5060 -j CT --helper sip', { nat: true });
    r.recv('r_cli', seg('10.0.1.100', 40000, '198.51.100.5', 5060, 1000, 0, 'S'), 0);
    r.recv('r_wan', seg('198.51.100.5', 5060, '203.0.113.1', 40000, 5000, 1001, 'SA'), 0.01);
    r.recv('r_cli', seg('10.0.1.100', 40000, '198.51.100.5', 5060, 1001, 5001, 'A'), 0.02);
    const reg = 'REGISTER sip:198.51.100.5 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.1.100:40000\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@10.0.1.100:5062;transport=tcp>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n';
    const res = r.recv('r_cli', seg('10.0.1.100', 40000, '198.51.100.5', 5060, 1001, 5001, 'PA', reg), 0.03);
    assert.match(res.expEvents[0]!, /proto=6 src=198\.51\.100\.5 dst=203\.0\.113\.1 sport=0 dport=5062 .* PERMANENT,INACTIVE class=0 helper=sip$/);
    const okReg = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 203.0.113.1:40000\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@203.0.113.1:5062;transport=tcp>;expires=600\r\nContent-Length: 0\r\n\r\n';
    r.recv('r_wan', seg('198.51.100.5', 5060, '203.0.113.1', 40000, 5001, 1001 + reg.length, 'PA', okReg), 0.04);
    const call = r.recv('r_wan', seg('198.51.100.5', 5090, '203.0.113.1', 5062, 1, 0, 'S'), 1);
    assert.equal(call.ctstate, 'related');
    assert.equal(sent(call).dstString(), '10.0.1.100');
  },
);
