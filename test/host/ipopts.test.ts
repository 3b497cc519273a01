/**
 * IPv4 options on the host's own stack (ip_options.c): what the compile on receive fills in,
 * what an answer echoes (record route, timestamps), the parameter problem for a malformed option,
 * source routes refused by default, the record route of a forwarded packet, and the options that
 * later fragments lose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../../src/host/host.js';
import { parseHostConfig } from '../../src/host/config.js';
import { buildOptions, compileReceived, echoOptions, msSinceMidnight } from '../../src/host/ipopts.js';
import { fragment4 } from '../../src/netfilter/defrag.js';
import { decodeIp } from '../../src/packet/decode.js';
import { ipv4, icmpEcho, udp, tcp } from '../../src/packet/build.js';
import { verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';
import { LinkType, PacketView } from '../../src/packet/view.js';

const HOST = JSON.stringify({
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24'] },
    { name: 'r_srv', addresses: ['10.0.2.1/24'] },
    { name: 'r_wan', addresses: ['203.0.113.1/24'] },
  ],
  routes: [{ to: 'default', via: '203.0.113.254', dev: 'r_wan' }],
  sysctl: { 'net.ipv4.ip_forward': 1 },
});
const T0 = 1700000000; // 22:13:20 UTC
const host = (sysctl: Record<string, number> = {}) => new Host(parseHostConfig(HOST), { seed: 3, sysctl });
const view = (b: Uint8Array) => decodeIp(new PacketView(), b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rr = (slots: number) => Uint8Array.from([7, 3 + 4 * slots, 4, ...new Uint8Array(4 * slots)]);
const echo = (opts: Uint8Array, dst = '10.0.1.1') => ipv4({ src: '10.0.1.100', dst, options: opts, payload: icmpEcho({ id: 0x4300, seq: 1, payload: 'abcdefgh' }) });

test('compile on receive: record route gets the address the host is known by, the pointer moves on', () => {
  const pkt = echo(rr(3));
  const r = compileReceived(pkt, 0, 36, { specDst: () => 0x0a000101, isUnicast: () => true, nowMs: 0 });
  assert.ok(r.ok);
  assert.equal(r.opts.rr, 20);
  assert.ok(r.opts.rrNeedAddr);
  assert.equal(hex(pkt.subarray(20, 36)), '070f080a000101000000000000000000');
});

test('compile on receive: timestamp only and timestamp-with-address entries, overflow counted when full', () => {
  const ts = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: Uint8Array.from([68, 12, 5, 0, ...new Uint8Array(8)]), payload: udp({ sport: 1, dport: 2 }) });
  const r = compileReceived(ts, 0, 32, { specDst: () => 0x0a000101, isUnicast: () => true, nowMs: 0x01020304 });
  assert.ok(r.ok && r.opts.tsNeedTime && !r.opts.tsNeedAddr);
  assert.equal(hex(ts.subarray(20, 32)), '440c09000102030400000000');
  const ta = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: Uint8Array.from([68, 12, 5, 1, ...new Uint8Array(8)]), payload: udp({ sport: 1, dport: 2 }) });
  const r2 = compileReceived(ta, 0, 32, { specDst: () => 0x0a000101, isUnicast: () => true, nowMs: 7 });
  assert.ok(r2.ok && r2.opts.tsNeedAddr && r2.opts.tsNeedTime);
  assert.equal(hex(ta.subarray(20, 32)), '440c0d010a00010100000007');
  // a full option (pointer past the end): the overflow nibble counts the router
  const full = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: Uint8Array.from([68, 8, 9, 0x20, 0, 0, 0, 1]), payload: udp({ sport: 1, dport: 2 }) });
  const r3 = compileReceived(full, 0, 28, { specDst: () => 1, isUnicast: () => true, nowMs: 7 });
  assert.ok(r3.ok && !r3.opts.tsNeedTime);
  assert.equal(full[23], 0x30);
});

test('compile on receive: a malformed option gives the parameter problem pointer', () => {
  // record route with a pointer below 4: the pointer byte (header offset 22) is at fault
  const bad = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: Uint8Array.from([7, 7, 3, 0, 0, 0, 0]), payload: udp({ sport: 1, dport: 2 }) });
  const r = compileReceived(bad, 0, 28, { specDst: () => 1, isUnicast: () => true, nowMs: 0 });
  assert.ok(!r.ok);
  assert.equal(r.pointer, 22);
  // an option length past the header: the option itself
  const long = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: Uint8Array.from([1, 68, 40, 5]), payload: udp({ sport: 1, dport: 2 }) });
  const r2 = compileReceived(long, 0, 24, { specDst: () => 1, isUnicast: () => true, nowMs: 0 });
  assert.ok(!r2.ok);
  assert.equal(r2.pointer, 21);
});

test('echo of options: record route and timestamp copied with room for the answer, padded; build fills them', () => {
  const pkt = echo(rr(3));
  const r = compileReceived(pkt, 0, 36, { specDst: () => 0x0a000101, isUnicast: () => true, nowMs: 0 });
  assert.ok(r.ok);
  const o = echoOptions(r.opts, pkt, 0, () => true)!;
  assert.equal(o.bytes.length, 16);
  assert.equal(o.rr, 20);
  const built = buildOptions(o, 0x0a000101, 0);
  assert.equal(hex(built), '070f0c0a0001010a0001010000000000');
  // a record route already full is copied as it is, nothing to add
  const full = Uint8Array.from([7, 7, 8, 1, 2, 3, 4]);
  const p2 = echo(full);
  const r2 = compileReceived(p2, 0, 28, { specDst: () => 9, isUnicast: () => true, nowMs: 0 });
  assert.ok(r2.ok && !r2.opts.rrNeedAddr);
  const o2 = echoOptions(r2.opts, p2, 0, () => true)!;
  assert.equal(hex(buildOptions(o2, 5, 0)), '0707080102030400');
});

test('an echo request with record route: the reply carries it with the router recorded twice (52 bytes)', () => {
  const r = host().receive(echo(rr(3)), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.out.length, 1);
  const b = r.out[0]!.bytes;
  assert.equal(b.length, 52);
  assert.equal(hex(b.subarray(20, 36)), '070f0c0a0001010a0001010000000000');
  const v = view(b);
  assert.equal(v.icmpType, 0);
  assert.ok(verifyIpv4Header(b, 0, 36));
  assert.ok(verifyL4Checksum(v));
});

test('an echo request with a timestamp option: both timestamps filled from the virtual clock (48 bytes)', () => {
  const req = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: Uint8Array.from([68, 12, 5, 0, ...new Uint8Array(8)]), payload: icmpEcho({ id: 1, seq: 2, payload: 'abcdefgh' }) });
  const r = host().receive(req, LinkType.RAW, 'r_cli', T0 + 0.25);
  const b = r.out[0]!.bytes;
  assert.equal(b.length, 48);
  const ms = msSinceMidnight(T0 + 0.25);
  assert.equal(ms, 80000250);
  const word = (o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  assert.deepEqual([b[20], b[21], b[22], b[23]], [68, 12, 13, 0]);
  assert.equal(word(24), ms);
  assert.equal(word(28), ms);
});

test('the port unreachable for a datagram with record route echoes the option too', () => {
  const d = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: rr(2), payload: udp({ sport: 5000, dport: 9, payload: 'x' }) });
  const r = host().receive(d, LinkType.RAW, 'r_cli', T0);
  const e = view(r.out[0]!.bytes);
  assert.equal(e.icmpType, 3);
  assert.equal(e.ipHdrLen, 32);
  // the quoted datagram shows the entry made on receive
  const q = r.out[0]!.bytes.subarray(32 + 8);
  assert.equal(hex(q.subarray(20, 32)), '070b080a0001010000000000');
  assert.equal(hex(r.out[0]!.bytes.subarray(20, 32)), '070b0c0a0001010a00010100');
});

test('a malformed option: dropped after PREROUTING with a parameter problem pointing at it', () => {
  const d = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', options: Uint8Array.from([7, 7, 3, 0, 0, 0, 0]), payload: udp({ sport: 5000, dport: 9 }) });
  const r = host().receive(d, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(r.ctstate, 'new');
  const e = view(r.out[0]!.bytes);
  assert.equal(e.icmpType, 12);
  assert.equal(e.icmpCode, 0);
  assert.equal(r.out[0]!.bytes[24], 22);
});

test('a source route is dropped while accept_source_route is off (the default of "all")', () => {
  const lsrr = Uint8Array.from([131, 7, 4, 10, 0, 2, 100]);
  const d = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', options: lsrr, payload: udp({ sport: 5000, dport: 9 }) });
  const r = host().receive(d, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(r.out.length, 0);
  assert.match(r.dropReason, /source route/);
  assert.throws(() => host({ 'net.ipv4.conf.all.accept_source_route': 1 }).receive(d, LinkType.RAW, 'r_cli', T0), /source routing .* not modelled/);
});

test('a forwarded packet records the address it leaves by, with a correct checksum', () => {
  const d = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', options: rr(2), payload: tcp({ sport: 4000, dport: 80, flags: 'S', seq: 1 }) });
  const r = host().receive(d, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'FORWARDED');
  const b = r.out[0]!.bytes;
  assert.equal(hex(b.subarray(20, 32)), '070b080a0002010000000000');
  assert.ok(verifyIpv4Header(b, 0, 32));
  assert.equal(b[8], 63);
});

test('fragments after the first lose the options that are not copied (record route), keep the others', () => {
  const opts = Uint8Array.from([7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0, 0]); // RR + router alert (copied)
  const d = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', options: opts, payload: udp({ sport: 1, dport: 2, payload: 'y'.repeat(100) }) });
  const parts = fragment4(d, 80, 0, []);
  assert.ok(parts.length > 1);
  assert.equal(hex(parts[0]!.subarray(20, 32)), hex(d.subarray(20, 32)));
  for (const f of parts.slice(1)) {
    assert.equal(hex(f.subarray(20, 32)), '010101010101019404000000');
    assert.ok(verifyIpv4Header(f, 0, 32));
  }
});
