/**
 * The UDP helpers: tftp (read / write requests expect the server's answer from any port, with NAT
 * mapped back to the client), amanda (the CONNECT line's ports, the master's longer timeout, the
 * ports rewritten under NAT), netbios-ns and snmp (a local broadcast request expects answers from
 * the whole subnet: a PERMANENT expectation with the netmask as source mask).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ctLine, dgram, payloadText, Router, seg, sent } from './support.js';

function tftpExp(kind: 'NEW' | 'DESTROY', t: number, src: string, dst: string, port: number, master: string): string {
  const prefix = kind === 'NEW' ? '    [NEW] ' : '[DESTROY] ';
  return `${prefix}${t} proto=17 src=${src} dst=${dst} sport=0 dport=${port} mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 ${master} class=0 helper=tftp`;
}

test('tftp: a read request expects the server\'s answer from any port', () => {
  const r = new Router('-p udp --dport 69 -j CT --helper tftp');
  const rrq = r.recv('r_cli', dgram('10.0.1.144', 38704, '10.0.2.192', 69, '\x00\x01file\x00octet\x00'), 0);
  assert.equal(rrq.ctstate, 'new');
  assert.deepEqual(rrq.expEvents, [tftpExp('NEW', 300, '10.0.2.192', '10.0.1.144', 38704, 'master-src=10.0.1.144 master-dst=10.0.2.192 sport=38704 dport=69')]);
  const data = r.recv('r_srv', dgram('10.0.2.192', 51000, '10.0.1.144', 38704, '\x00\x03\x00\x01hello'), 0.5);
  assert.equal(data.ctstate, 'related');
  assert.deepEqual(data.expEvents, [tftpExp('DESTROY', 299, '10.0.2.192', '10.0.1.144', 38704, 'master-src=10.0.1.144 master-dst=10.0.2.192 sport=38704 dport=69')]);
  // a write request on another connection; data, ack and error opcodes expect nothing
  assert.equal(r.recv('r_cli', dgram('10.0.1.144', 38705, '10.0.2.192', 69, '\x00\x02f\x00octet\x00'), 1).expEvents.length, 1);
  assert.deepEqual(r.recv('r_cli', dgram('10.0.1.144', 38706, '10.0.2.192', 69, '\x00\x03\x00\x01x'), 1).expEvents, []);
  assert.deepEqual(r.recv('r_cli', dgram('10.0.1.144', 38707, '10.0.2.192', 69, '\x00'), 1).expEvents, [], 'one byte: no opcode');
});

test('tftp with MASQUERADE: expected on the public address, the answer mapped back to the client', () => {
  const r = new Router('-p udp --dport 69 -j CT --helper tftp', { nat: true });
  const rrq = r.recv('r_cli', dgram('10.0.1.116', 57868, '203.0.113.187', 69, '\x00\x01f\x00octet\x00'), 0);
  assert.deepEqual(rrq.expEvents, [tftpExp('NEW', 300, '203.0.113.187', '203.0.113.1', 57868, 'master-src=10.0.1.116 master-dst=203.0.113.187 sport=57868 dport=69')]);
  const data = r.recv('r_wan', dgram('203.0.113.187', 58636, '203.0.113.1', 57868, '\x00\x03\x00\x01hello'), 0.2);
  assert.equal(data.ctstate, 'related');
  const out = sent(data);
  assert.equal(out.dstString(), '10.0.1.116');
  assert.equal(out.dport, 57868);
});

test('amanda: CONNECT ports expected from the server, the master\'s timeout raised', () => {
  const r = new Router('-p udp --sport 10080 -j CT --helper amanda');
  r.recv('r_srv', dgram('10.0.2.5', 10080, '10.0.1.100', 850, 'Amanda 2.4 REQ HANDLE 000\n'), 0);
  const rep = r.recv('r_cli', dgram('10.0.1.100', 850, '10.0.2.5', 10080, 'Amanda 2.4 REP HANDLE 000\nCONNECT DATA 50000 MESG 50001 INDEX 50002\n'), 0.1);
  assert.equal(rep.expEvents.length, 3);
  assert.match(rep.expEvents[0]!, /^ {4}\[NEW\] 180 proto=6 src=10\.0\.2\.5 dst=10\.0\.1\.100 sport=0 dport=50000 .* master-src=10\.0\.2\.5 master-dst=10\.0\.1\.100 sport=10080 dport=850 class=0 helper=amanda$/);
  assert.match(rep.expEvents[2]!, /dport=50002 /);
  assert.match(ctLine(r, 0.1, /sport=10080 dport=850/)!, /^udp {6}17 300 /);
  const data = r.recv('r_srv', dgram('10.0.2.5', 700, '10.0.1.100', 50001, 'x'), 0.2);
  assert.equal(data.ctstate, 'new', 'the expectation is for TCP');
  // five digits at most; a keyword whose port reads as 0 ends the search
  const more = r.recv('r_cli', dgram('10.0.1.100', 850, '10.0.2.5', 10080, 'CONNECT DATA 123456 MESG x INDEX 40000\n'), 0.3);
  assert.equal(more.expEvents.length, 1, 'DATA 12345 (the fourth of four allowed), then MESG stops');
  assert.match(more.expEvents[0]!, /dport=12345 /);
  const fifth = r.recv('r_cli', dgram('10.0.1.100', 850, '10.0.2.5', 10080, 'CONNECT STATE 40001\n'), 0.4);
  assert.equal(fifth.expEvents.length, 2, 'the oldest goes for a fifth');
  assert.match(fifth.expEvents[0]!, /^\[DESTROY\] .* dport=50000 /);
});

test('amanda with NAT: the ports are registered on the public side and written back', () => {
  const r = new Router('-p udp --sport 10080 -j CT --helper amanda', { nat: true });
  // the server is on the LAN side here; the client answers from behind r_wan's NAT is not the case:
  // NAT the server's request instead (it leaves through r_wan and is masqueraded)
  r.recv('r_cli', dgram('10.0.1.5', 10080, '198.51.100.7', 850, 'REQ\n'), 0);
  const rep = r.recv('r_wan', dgram('198.51.100.7', 850, '203.0.113.1', 10080, 'CONNECT DATA 50000\n'), 0.1);
  assert.equal(rep.expEvents.length, 1);
  assert.match(rep.expEvents[0]!, /src=10\.0\.1\.5 dst=198\.51\.100\.7 sport=0 dport=50000 /);
  assert.equal(payloadText(sent(rep)), 'CONNECT DATA 50000\n');
  assert.equal(r.recv('r_cli', dgram('10.0.1.5', 20, '198.51.100.7', 50000, 'x'), 0.2).ctstate, 'new', 'TCP is expected, not UDP');
  const data = r.recv('r_cli', seg('10.0.1.5', 20, '198.51.100.7', 50000, 1, 0, 'S'), 0.3);
  assert.equal(data.ctstate, 'related');
  assert.equal(sent(data).srcString(), '203.0.113.1', 'mapped like the master');
});

test('netbios-ns: a local broadcast request expects the subnet\'s answers (PERMANENT, netmask as source mask)', () => {
  const mask = (dev: string, daddr: number) => (dev === 'r_cli' && daddr === 0x0a0001ff ? 0xffffff00 : 0);
  const r = new Router('-p udp --dport 137 -j CT --helper netbios-ns', { helper: { broadcastMask: mask } });
  const q = r.send(dgram('10.0.1.1', 40000, '10.0.1.255', 137, 'query'), 0);
  assert.equal(q.verdict, 'SENT');
  assert.deepEqual(q.expEvents, [
    '    [NEW] 3 proto=17 src=10.0.1.255 dst=10.0.1.1 sport=137 dport=40000 mask-src=255.255.255.0 mask-dst=255.255.255.255 sport=65535 dport=65535 master-src=10.0.1.1 master-dst=10.0.1.255 sport=40000 dport=137 PERMANENT class=0 helper=netbios-ns',
  ]);
  assert.match(ctLine(r, 0, /dport=137/)!, /^udp {6}17 3 /);
  assert.equal(r.recv('r_cli', dgram('10.0.1.7', 137, '10.0.1.1', 40000, 'answer'), 0.5).ctstate, 'related');
  assert.equal(r.recv('r_cli', dgram('10.0.1.8', 137, '10.0.1.1', 40000, 'answer'), 0.6).ctstate, 'related', 'PERMANENT: it stays');
  assert.deepEqual(r.expect(3.5), [], 'gone after 3 s');
  // not a broadcast address of the interface: nothing
  assert.deepEqual(r.send(dgram('10.0.1.1', 40001, '10.0.1.9', 137, 'query'), 4).expEvents, []);
});

test('snmp: the same for port 161, 30 s', () => {
  const mask = (dev: string, daddr: number) => (dev === 'r_srv' && daddr === 0x0a0002ff ? 0xffffff00 : 0);
  const r = new Router('-p udp --dport 161 -j CT --helper snmp', { helper: { broadcastMask: mask } });
  const q = r.send(dgram('10.0.2.1', 40000, '10.0.2.255', 161, 'get'), 0);
  assert.match(q.expEvents[0]!, /^ {4}\[NEW\] 30 proto=17 src=10\.0\.2\.255 dst=10\.0\.2\.1 sport=161 dport=40000 mask-src=255\.255\.255\.0 .* PERMANENT class=0 helper=snmp$/);
  assert.equal(r.recv('r_srv', dgram('10.0.2.9', 161, '10.0.2.1', 40000, 'resp'), 1).ctstate, 'related');
});
