/**
 * The ftp helper on crafted control connections through a router: which commands make
 * expectations (PORT, EPRT, 227, 229, IPv4 and IPv6), the kernel's parsing quirks (first line
 * never parsed, partial commands dropped, the sender's own address required), the data
 * connection becoming RELATED, and with MASQUERADE the rewritten command and shifted sequence
 * numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { payloadText, Router, seg, sent, TcpConv } from './support.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const CT = '-p tcp --dport 21 -j CT --helper ftp';

function expLine(kind: 'NEW' | 'DESTROY', timeout: number, src: string, dst: string, dport: number, master = 'master-src=10.0.1.100 master-dst=10.0.2.100 sport=40000 dport=21'): string {
  const prefix = kind === 'NEW' ? '    [NEW] ' : '[DESTROY] ';
  return `${prefix}${timeout} proto=6 src=${src} dst=${dst} sport=0 dport=${dport} mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 ${master} class=0 helper=ftp`;
}

test('PORT after a first line: expectation, RELATED data connection, expectation consumed', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  assert.deepEqual(f.client('USER anonymous\r\n').expEvents, []);
  const port = f.client('PORT 10,0,1,100,195,80\r\n');
  assert.equal(port.verdict, 'FORWARDED');
  assert.deepEqual(port.expEvents, [expLine('NEW', 300, S, C, 50000)]);
  assert.equal(payloadText(sent(port)), 'PORT 10,0,1,100,195,80\r\n');
  // created at t=0.05: 299.05 s left at t=1, 298.05 at t=2 (printed rounded down)
  assert.deepEqual(r.expect(1), [expLine('NEW', 299, S, C, 50000).slice(10)]);
  const data = r.recv('r_srv', seg(S, 20, C, 50000, 9000, 0, 'S'), 2);
  assert.equal(data.ctstate, 'related');
  assert.deepEqual(data.expEvents, [expLine('DESTROY', 298, S, C, 50000)]);
  assert.equal(data.events.length, 1);
  assert.match(data.events[0]!, /^ {4}\[NEW\] tcp {6}6 120 SYN_SENT src=10\.0\.2\.100 dst=10\.0\.1\.100 sport=20 dport=50000 \[UNREPLIED\]/);
  assert.deepEqual(r.expect(2), []);
  const conn = r.host.conntrack.get(sentTuple(data))!;
  assert.equal(conn.master?.helperName, 'ftp');
  assert.equal(conn.helperName, null);
});

function sentTuple(r: ReturnType<Router['recv']>) {
  const p = sent(r);
  return { family: 4 as const, proto: 6, src: p.src, dst: p.dst, sport: p.sport, dport: p.dport };
}

test('the very first segment of a direction is never parsed', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  assert.deepEqual(f.client('PORT 10,0,1,100,195,80\r\n').expEvents, []);
  assert.deepEqual(f.client('PORT 10,0,1,100,195,81\r\n').expEvents, [expLine('NEW', 300, S, C, 50001)]);
});

test('only a segment starting right after a line end is parsed; lines may span segments', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  assert.deepEqual(f.client('NOOP\r\nPORT 10,0,1,100,195,80\r\n').expEvents, [], 'a command is looked for at the start of the segment only');
  // "NOOP" does not end in a newline: the next segment is not looked at, but it ends one
  f.client('NOOP');
  assert.deepEqual(f.client('PORT 10,0,1,100,195,80\r\n').expEvents, [], 'not after a line end');
  assert.deepEqual(f.client('PORT 10,0,1,100,195,81\r\n').expEvents, [expLine('NEW', 300, S, C, 50001)]);
  // a retransmission of a segment that started after a line end is parsed again
  f.cseq -= 24;
  assert.deepEqual(f.client('PORT 10,0,1,100,195,81\r\n').expEvents, [expLine('DESTROY', 299, S, C, 50001), expLine('NEW', 300, S, C, 50001)]);
});

test('partial commands are dropped, and nothing is remembered for them', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  assert.equal(f.client('POR').verdict, 'DROPPED', 'a prefix of PORT');
  f.cseq -= 3;
  assert.equal(f.client('PORT 10,0,1,100,195\r\n').verdict, 'DROPPED', 'five numbers');
  f.cseq -= 'PORT 10,0,1,100,195\r\n'.length;
  assert.equal(f.client('PORT 10,0,1,100,195,80').verdict, 'DROPPED', 'no line end: numbers run out');
  f.cseq -= 'PORT 10,0,1,100,195,80'.length;
  assert.equal(f.client('PORTX\r\n').verdict, 'DROPPED', 'no blank after the command');
  f.cseq -= 'PORTX\r\n'.length;
  assert.equal(f.client('port 10,0,1,100,195,80\r\n').expEvents.length, 1, 'command names compare in any case');
});

test('an address other than the sender\'s makes no expectation (loose=0), unless loose', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  const res = f.client('PORT 10,0,1,99,195,80\r\n');
  assert.equal(res.verdict, 'FORWARDED');
  assert.deepEqual(res.expEvents, []);
  const loose = new Router(CT);
  (loose.helpers as unknown as { svc: { options: { ftpLoose: boolean } } }).svc.options.ftpLoose = true;
  const g = new TcpConv(loose, C, 40000, S, 21);
  g.client('USER x\r\n');
  assert.deepEqual(g.client('PORT 10,0,1,99,195,80\r\n').expEvents, [expLine('NEW', 300, S, '10.0.1.99', 50000)]);
});

test('numbers as the kernel reads them: no range check, the bytes ORed together', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  // 356 = 0x164 spills into the third byte: 10.0.0.356 is 10.0.1.100, the sender; 195*256+336 wraps to 16 bits
  assert.deepEqual(f.client('PORT 10,0,0,356,194,336\r\n').expEvents, [expLine('NEW', 300, S, C, (194 << 8) | 336)]);
});

test('227 and 229 replies from the server expect the client', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  f.server('220 hi\r\n');
  const pasv = f.server('227 Entering Passive Mode (10,0,2,100,117,49).\r\n');
  assert.deepEqual(pasv.expEvents, [expLine('NEW', 300, C, S, 30001)]);
  const epsv = f.server('229 Entering Extended Passive Mode (|||6446|)\r\n');
  assert.deepEqual(epsv.expEvents, [expLine('DESTROY', 299, C, S, 30001), expLine('NEW', 300, C, S, 6446)], 'one expectation per connection: the older goes');
  const data = r.recv('r_cli', seg(C, 41000, S, 6446, 1, 0, 'S'), 1);
  assert.equal(data.ctstate, 'related');
});

test('a 227 reply without numbers is dropped; 229 with a bad delimiter is ignored', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.server('220 hi\r\n');
  assert.equal(f.server('227 Entering Passive Mode\r\n').verdict, 'DROPPED');
  f.sseq -= '227 Entering Passive Mode\r\n'.length;
  assert.equal(f.server('229 (111)\r\n').verdict, 'DROPPED', 'a digit is no delimiter: numbers do not parse');
});

test('EPRT with IPv4 and IPv6 addresses', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  assert.deepEqual(f.client('EPRT |1|10.0.1.100|6275|\r\n').expEvents, [expLine('NEW', 300, S, C, 6275)]);
  assert.deepEqual(f.client('EPRT |2|fd00:1::100|6276|\r\n').expEvents, [], 'protocol 2 on an IPv4 connection');

  const r6 = new Router(CT, { v6: true });
  const g = new TcpConv(r6, 'fd00:1::100', 40000, 'fd00:2::100', 21);
  g.client('USER x\r\n');
  const res = g.client('EPRT !2!fd00:1::100!5000!\r\n');
  assert.deepEqual(res.expEvents, [
    '    [NEW] 300 proto=6 src=fd00:2::100 dst=fd00:1::100 sport=0 dport=5000 mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 dport=65535 master-src=fd00:1::100 master-dst=fd00:2::100 sport=40000 dport=21 class=0 helper=ftp',
  ]);
  const data = r6.recv('r_srv', seg('fd00:2::100', 20, 'fd00:1::100', 5000, 7, 0, 'S'), 1);
  assert.equal(data.ctstate, 'related');
});

test('expectations time out after five minutes and die with their master', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  f.client('PORT 10,0,1,100,195,80\r\n');
  f.server('200 ok\r\n');
  r.recv('r_cli', seg(C, 40000, S, 21, f.cseq, f.sseq, 'A'), f.tick());
  assert.equal(r.expect(299).length, 1);
  const later = r.recv('r_cli', seg(C, 40000, S, 21, f.cseq, f.sseq, 'A'), 301);
  assert.deepEqual(later.expEvents, [expLine('DESTROY', 0, S, C, 50000)]);
  assert.deepEqual(r.expect(301), []);
  f.t = 302;
  f.client('PORT 10,0,1,100,195,81\r\n');
  assert.equal(r.expect(303).length, 1);
  const conn = r.host.conntrack.get({ family: 4, proto: 6, src: Uint32Array.of(0x0a000164, 0, 0, 0), dst: Uint32Array.of(0x0a000264, 0, 0, 0), sport: 40000, dport: 21 })!;
  const lines: string[] = [];
  r.helpers.onExpectEvent((l) => lines.push(l));
  r.host.conntrack.delete(conn, 1700000304);
  assert.deepEqual(lines, [expLine('DESTROY', 298, S, C, 50001)]);
  assert.deepEqual(r.expect(305), []);
});

test('the data connection needs the master confirmed and matches any source port', () => {
  const r = new Router(CT);
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER x\r\n');
  f.client('PORT 10,0,1,100,195,80\r\n');
  const wrong = r.recv('r_srv', seg(S, 20, C, 50001, 1, 0, 'S'), 1);
  assert.equal(wrong.ctstate, 'new');
  const any = r.recv('r_srv', seg(S, 4444, C, 50000, 1, 0, 'S'), 1.1);
  assert.equal(any.ctstate, 'related');
  assert.equal(any.expEvents.length, 1);
});

test('with MASQUERADE the PORT command carries the public address and later sequence numbers shift', () => {
  const r = new Router(CT, { nat: true });
  const srv = '198.51.100.21';
  const f = new TcpConv(r, C, 40000, srv, 21, '203.0.113.1');
  f.client('USER anonymous\r\n');
  f.server('230 ok\r\n');
  const port = f.client('PORT 10,0,1,100,195,80\r\n');
  const out = sent(port);
  assert.equal(payloadText(out), 'PORT 203,0,113,1,195,80\r\n');
  assert.equal(out.tcpSeq, f.cseq - 24);
  assert.deepEqual(port.expEvents, [expLine('NEW', 300, srv, '203.0.113.1', 50000, `master-src=10.0.1.100 master-dst=${srv} sport=40000 dport=21`)]);
  // the server acknowledges one byte more than the client sent; the client sees its own numbers
  const ok = f.server('200 PORT ok\r\n', f.cseq + 1);
  assert.equal(sent(ok).tcpAck, f.cseq);
  const next = f.client('PASV\r\n');
  assert.equal(sent(next).tcpSeq, f.cseq - 6 + 1);
  // the data connection comes to the public address and is mapped to the client
  const data = r.recv('r_wan', seg(srv, 20, '203.0.113.1', 50000, 9000, 0, 'S'), 1);
  assert.equal(data.ctstate, 'related');
  const d = sent(data);
  assert.equal(d.dstString(), C);
  assert.equal(d.dport, 50000);
  assert.equal(r.host.conntrack.stats.expectNew, 1);
  assert.equal(data.events.length, 1);
  assert.match(data.events[0]!, /src=10\.0\.1\.100 dst=198\.51\.100\.21 sport=50000 dport=20$/);
});

test('with NAT a port already expected elsewhere moves to a free one, and the command says so', () => {
  const r = new Router(CT, { nat: true, seed: 3 });
  const srv = '198.51.100.21';
  const f = new TcpConv(r, C, 40000, srv, 21, '203.0.113.1');
  f.client('USER x\r\n');
  // a second client behind the same NAT announcing the same port
  r.recv('r_cli', seg('10.0.1.101', 40001, srv, 21, 1000, 0, 'S'), 0.5);
  r.recv('r_wan', seg(srv, 21, '203.0.113.1', 40001, 5000, 1001, 'SA'), 0.51);
  r.recv('r_cli', seg('10.0.1.101', 40001, srv, 21, 1001, 5001, 'A'), 0.52);
  r.recv('r_cli', seg('10.0.1.101', 40001, srv, 21, 1001, 5001, 'PA', 'USER y\r\n'), 0.53);
  r.recv('r_cli', seg('10.0.1.101', 40001, srv, 21, 1009, 5001, 'PA', 'PORT 10,0,1,101,195,80\r\n'), 0.54);
  const res = f.client('PORT 10,0,1,100,195,80\r\n');
  assert.equal(res.verdict, 'FORWARDED');
  const text = payloadText(sent(res));
  const m = /^PORT 203,0,113,1,(\d+),(\d+)\r\n$/.exec(text);
  assert.ok(m, text);
  const p = Number(m[1]) * 256 + Number(m[2]);
  assert.ok(p > 50000, `moved to ${p}`);
  assert.equal(r.expect(1).length, 2);
});
