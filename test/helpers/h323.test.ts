/**
 * The H.323 helpers through a router (test/helpers/support.ts): Q.931 over TPKT (several per
 * segment, a header sent alone, split TPKTs, undecodable messages), H.225.0 h245Address and
 * fastStart, call forwarding with and without the callforward filter, the H.245 connection's
 * OpenLogicalChannel / Ack and T.120, RAS registration (time to live, gkrouted_only, URQ) and
 * admission, expectation clashes dropping the packet, registration of the helper names, and with
 * MASQUERADE the payload addresses rewritten in place (same length, valid checksums).
 * Messages come from the test side's PER encoder (h323-per.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { routeHops } from '../../src/helpers/index.js';
import { findHelper, helperRefusal } from '../../src/helpers/registry.js';
import { verifyL4Checksum } from '../../src/packet/checksum.js';
import { Proto } from '../../src/packet/view.js';
import type { HelperHost } from '../../src/helpers/index.js';
import { h245Message, q931, q931Tpkt, ras, tpkt, userInformation, type Addr } from './h323-per.js';
import { ctLine, dgram, Router, seg, sent, type Result } from './support.js';

const Q931_CT = '-p tcp --dport 1720 -j CT --helper Q.931';
const RAS_CT = '-p udp --dport 1719 -j CT --helper RAS';
const C = '10.0.1.100';
const S = '10.0.2.100';
const W = '198.51.100.10';
const PUB = '203.0.113.1';

const a = (ip: string, port: number): Addr => ({ ip, port });

/** A router whose helpers see the host's routes (for the callforward filter). */
function router(ct: string, o: { nat?: boolean; helper?: Omit<HelperHost, 'nat'> } = {}): Router {
  const r: Router = new Router(ct, { nat: o.nat, helper: { route: (f, d) => routeHops(r.host.routing)(f, d), ...o.helper } });
  return r;
}

/** An expectation event line. */
function exp(kind: 'NEW' | 'DESTROY', t: number, proto: number, src: string, dst: string, port: number, master: string, helper: string, o: { flags?: string; anySrc?: boolean } = {}): string {
  const prefix = kind === 'NEW' ? '    [NEW] ' : '[DESTROY] ';
  const mask = o.anySrc ? '0.0.0.0' : '255.255.255.255';
  return `${prefix}${t} proto=${proto} src=${o.anySrc ? '0.0.0.0' : src} dst=${dst} sport=0 dport=${port} mask-src=${mask} mask-dst=255.255.255.255 sport=0 dport=65535 ${master} ${o.flags ? o.flags + ' ' : ''}class=0 helper=${helper}`;
}

/** A TCP conversation through the router between two hosts, either of which may open it. */
class Call {
  iseq = 1001;
  rseq = 5001;
  t: number;
  constructor(
    readonly r: Router,
    readonly i: { ip: string; port: number; iface: string },
    readonly d: { ip: string; port: number; iface: string },
    t0: number,
    /** The initiator's address as the other side sees it (MASQUERADE). */
    readonly iSeen = i.ip,
    /** The address the initiator sends to (DNAT), and the responder's port then. */
    readonly dDial: { ip: string; port: number } = d,
  ) {
    this.t = t0;
    r.recv(i.iface, seg(i.ip, i.port, dDial.ip, dDial.port, 1000, 0, 'S'), this.tick());
    r.recv(d.iface, seg(d.ip, d.port, iSeen, i.port, 5000, 1001, 'SA'), this.tick());
    r.recv(i.iface, seg(i.ip, i.port, dDial.ip, dDial.port, 1001, 5001, 'A'), this.tick());
  }
  tick(): number {
    this.t += 0.01;
    return this.t;
  }
  /** Data from the initiator. */
  fromI(data: Uint8Array, flags = 'PA'): Result {
    const res = this.r.recv(this.i.iface, seg(this.i.ip, this.i.port, this.dDial.ip, this.dDial.port, this.iseq, this.rseq, flags, data), this.tick());
    this.iseq += data.length;
    return res;
  }
  /** Data from the responder. */
  fromD(data: Uint8Array): Result {
    const res = this.r.recv(this.d.iface, seg(this.d.ip, this.d.port, this.iSeen, this.i.port, this.rseq, this.iseq, 'PA', data), this.tick());
    this.rseq += data.length;
    return res;
  }
}

const cli = (ip: string, port: number) => ({ ip, port, iface: 'r_cli' });
const srv = (ip: string, port: number) => ({ ip, port, iface: 'r_srv' });
const wan = (ip: string, port: number) => ({ ip, port, iface: 'r_wan' });
const master = (src: string, dst: string, sport: number, dport: number) => `master-src=${src} master-dst=${dst} sport=${sport} dport=${dport}`;
const CALL_MASTER = master(C, S, 40000, 1720);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Offset of `needle` in `hay`, or -1. */
function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

test('Setup: the h245Address expects the H.245 connection (helper H.245), fastStart expects RTP / RTCP pairs', () => {
  const r = router(Q931_CT);
  const call = new Call(r, cli(C, 40000), srv(S, 1720), 0);
  const res = call.fromI(q931Tpkt('setup', { h245Address: a(C, 45000), fastStart: [{ forward: { media: a(C, 5003) } }] }));
  assert.equal(res.verdict, 'FORWARDED');
  assert.deepEqual(res.expEvents, [
    exp('NEW', 240, 6, S, C, 45000, CALL_MASTER, 'Q.931'),
    exp('NEW', 240, 17, S, C, 5002, CALL_MASTER, 'Q.931'),
    exp('NEW', 240, 17, S, C, 5003, CALL_MASTER, 'Q.931'),
  ]);
  // The H.245 connection is RELATED and gets the H.245 helper.
  const h245 = r.recv('r_srv', seg(S, 50000, C, 45000, 1000, 0, 'S'), 1);
  assert.equal(h245.ctstate, 'related');
  assert.match(ctLine(r, 1, /sport=50000 dport=45000/)!, /helper=H\.245/);
  assert.equal(r.recv('r_srv', dgram(S, 7000, C, 5002, 'rtp'), 1.1).ctstate, 'related');
});

test('messages are looked at only once the connection has seen both directions', () => {
  const r = router(Q931_CT);
  const setup = q931Tpkt('setup', { h245Address: a(C, 45000) });
  r.recv('r_cli', seg(C, 40000, S, 1720, 1000, 0, 'S'), 0);
  const early = r.recv('r_cli', seg(C, 40000, S, 1720, 1001, 0, 'PA', setup), 0.1);
  assert.equal(early.verdict, 'FORWARDED');
  assert.deepEqual(early.expEvents, []);
});

test('TPKTs: several in a segment; a header alone announces the next segment; a bare ACK forgets it; split TPKTs are not looked at', () => {
  const r = router(Q931_CT);
  const call = new Call(r, cli(C, 40000), srv(S, 1720), 0);
  const two = concat(q931Tpkt('alerting', { h245Address: a(S, 46000) }), q931Tpkt('progress', { h245Address: a(S, 46001) }));
  assert.equal(call.fromD(two).expEvents.length, 2);
  const body = q931('facility', userInformation('facility', { reason: 5, h245Address: a(C, 45001) }));
  const header = Uint8Array.of(3, 0, (body.length + 4) >> 8, (body.length + 4) & 0xff);
  assert.deepEqual(call.fromI(header).expEvents, []);
  assert.deepEqual(call.fromI(body).expEvents, [exp('NEW', 240, 6, S, C, 45001, CALL_MASTER, 'Q.931')]);
  // The same again, with a bare ACK between: the announced length is forgotten.
  const body2 = q931('facility', userInformation('facility', { reason: 5, h245Address: a(C, 45002) }));
  call.fromI(Uint8Array.of(3, 0, (body2.length + 4) >> 8, (body2.length + 4) & 0xff));
  call.fromI(new Uint8Array(0), 'A');
  assert.deepEqual(call.fromI(body2).expEvents, []);
  // A TPKT cut across two segments: neither half is looked at.
  const split = q931Tpkt('facility', { reason: 5, h245Address: a(C, 45003) });
  assert.deepEqual(call.fromI(split.subarray(0, 30)).expEvents, []);
  assert.deepEqual(call.fromI(split.subarray(30)).expEvents, []);
});

test('a message that does not decode ends the segment: later TPKTs are not looked at, the packet passes', () => {
  const r = router(Q931_CT);
  const call = new Call(r, cli(C, 40000), srv(S, 1720), 0);
  const noUuie = Uint8Array.of(3, 0, 0, 9, 0x08, 1, 0x55, 0x07, 0x00);
  const res = call.fromI(concat(noUuie, q931Tpkt('facility', { reason: 5, h245Address: a(C, 45000) })));
  assert.equal(res.verdict, 'FORWARDED');
  assert.deepEqual(res.expEvents, []);
  // An undecodable message after a good one: the good one counts.
  const res2 = call.fromI(concat(q931Tpkt('facility', { reason: 5, h245Address: a(C, 45001) }), noUuie));
  assert.equal(res2.expEvents.length, 1);
});

test('an expectation that cannot be registered drops the packet (another call already expects the same)', () => {
  const r = router(Q931_CT);
  const one = new Call(r, cli(C, 40000), srv(S, 1720), 0);
  assert.equal(one.fromI(q931Tpkt('setup', { h245Address: a(C, 45000) })).verdict, 'FORWARDED');
  const two = new Call(r, cli(C, 40001), srv(S, 1720), 1);
  const res = two.fromI(q931Tpkt('setup', { h245Address: a(C, 45000) }));
  assert.equal(res.verdict, 'DROPPED');
  assert.deepEqual(res.out, []);
  // The same call announcing it again replaces its own expectation.
  const again = one.fromI(q931Tpkt('facility', { reason: 5, h245Address: a(C, 45000) }));
  assert.equal(again.verdict, 'FORWARDED');
  assert.deepEqual(
    again.expEvents.map((l) => l.slice(0, 12)),
    ['[DESTROY] 23', '    [NEW] 24'],
  );
});

test('call forwarding: expected unless the new address is routed like the caller (callforward_filter)', () => {
  const r = router(Q931_CT);
  const call = new Call(r, wan(W, 41000), srv(S, 1720), 0);
  const m = master(W, S, 41000, 1720);
  assert.deepEqual(call.fromD(q931Tpkt('facility', { reason: 1, alternativeAddress: a('198.51.100.20', 1720) })).expEvents, []);
  assert.deepEqual(call.fromD(q931Tpkt('facility', { reason: 1, alternativeAddress: a('10.0.2.150', 1720) })).expEvents, [
    exp('NEW', 240, 6, W, '10.0.2.150', 1720, m, 'Q.931'),
  ]);
  const off = router(Q931_CT, { helper: { options: { h323CallforwardFilter: false } } });
  const call2 = new Call(off, wan(W, 41000), srv(S, 1720), 0);
  assert.equal(call2.fromD(q931Tpkt('facility', { reason: 1, alternativeAddress: a('198.51.100.20', 1720) })).expEvents.length, 1);
  const forwarded = off.recv('r_wan', seg(W, 42000, '198.51.100.20', 1720, 1, 0, 'S'), 1);
  assert.equal(forwarded.ctstate, 'related');
  assert.match(ctLine(off, 1, /sport=42000/)!, /helper=Q\.931/);
});

test('the callforward filter without the host routes is an error, not a silent pass', () => {
  const r = new Router(Q931_CT, { helper: { route: null } });
  const call = new Call(r, wan(W, 41000), srv(S, 1720), 0);
  assert.throws(() => call.fromD(q931Tpkt('facility', { reason: 1, alternativeAddress: a('198.51.100.20', 1720) })), /callforward_filter needs the host routes/);
});

test('H.245: OpenLogicalChannel, OpenLogicalChannelAck and T.120 (PERMANENT) on the H.245 connection; tunnelled H.245 in Q.931', () => {
  const r = router(Q931_CT);
  const call = new Call(r, cli(C, 40000), srv(S, 1720), 0);
  call.fromI(q931Tpkt('setup', { h245Address: a(C, 45000) }));
  const h = new Call(r, srv(S, 50000), cli(C, 45000), 1);
  const hm = master(S, C, 50000, 45000);
  assert.deepEqual(h.fromI(tpkt(h245Message({ olc: { forward: { media: a(S, 6000), mediaControl: a(S, 6001) } } }))).expEvents.filter((l) => l.includes('[NEW]')).length, 4);
  const ack = h.fromD(tpkt(h245Message({ olca: { ack: { media: a(C, 5010) }, t120: a(C, 1503) } })));
  assert.deepEqual(ack.expEvents, [
    exp('NEW', 240, 17, S, C, 5010, hm, 'H.245'),
    exp('NEW', 240, 17, S, C, 5011, hm, 'H.245'),
    exp('NEW', 240, 6, S, C, 1503, hm, 'H.245', { flags: 'PERMANENT' }),
  ]);
  for (const port of [51000, 51001]) assert.equal(r.recv('r_srv', seg(S, port, C, 1503, 1, 0, 'S'), 2).ctstate, 'related');
  // An address of another host is not expected.
  assert.deepEqual(h.fromI(tpkt(h245Message({ olc: { forward: { media: a('10.0.2.99', 6100) } } }))).expEvents, []);
  // H.245 tunnelled in a Q.931 Facility.
  const tun = call.fromI(q931Tpkt('facility', { reason: 6 }, { h245: [h245Message({ olc: { forward: { media: a(C, 5020) } } })] }));
  assert.deepEqual(tun.expEvents, [exp('NEW', 240, 17, S, C, 5020, CALL_MASTER, 'Q.931'), exp('NEW', 240, 17, S, C, 5021, CALL_MASTER, 'Q.931')]);
});

test('RAS: RRQ expects calls from the gatekeeper (PERMANENT); RCF sets the time to live; URQ ends it all', () => {
  const r = router(RAS_CT);
  const m = master(C, S, 1719, 1719);
  const rrq = r.recv('r_cli', dgram(C, 1719, S, 1719, ras('rrq', { callSignal: [a(C, 1720)], ras: [a(C, 1719)] })), 0);
  assert.deepEqual(rrq.expEvents, [exp('NEW', 240, 6, S, C, 1720, m, 'RAS', { flags: 'PERMANENT' })]);
  const rcf = r.recv('r_srv', dgram(S, 1719, C, 1719, ras('rcf', { callSignal: [a(C, 1720)] })), 1);
  assert.match(rcf.events.join('\n'), /udp {6}17 300 /); // the RRQ's default time to live
  r.recv('r_srv', dgram(S, 1719, C, 1719, ras('rcf', { callSignal: [a(C, 1720)], ttl: 77 })), 2);
  assert.match(ctLine(r, 2, /sport=1719 dport=1719/)!, /^udp {6}17 77 /);
  for (const port of [30000, 30001]) assert.equal(r.recv('r_srv', seg(S, port, C, 1720, 1, 0, 'S'), 3).ctstate, 'related');
  assert.equal(r.recv('r_srv', seg('10.0.2.101', 30002, C, 1720, 1, 0, 'S'), 3).ctstate, 'new');
  const urq = r.recv('r_cli', dgram(C, 1719, S, 1719, ras('urq', { callSignal: [a(C, 1720)] })), 4);
  assert.equal(urq.expEvents.length, 1);
  assert.match(urq.expEvents[0]!, /^\[DESTROY\]/);
  assert.match(ctLine(r, 4, /sport=1719 dport=1719/)!, /^udp {6}17 30 /);
});

test('RAS with gkrouted_only=0: calls from anywhere, and the RCF refreshes the call expectation too', () => {
  const r = router(RAS_CT, { helper: { options: { h323GkroutedOnly: 0 } } });
  const m = master(C, S, 1719, 1719);
  const rrq = r.recv('r_cli', dgram(C, 1719, S, 1719, ras('rrq', { callSignal: [a(C, 1720)], ras: [a(C, 1719)], ttl: 1000 })), 0);
  assert.deepEqual(rrq.expEvents, [exp('NEW', 240, 6, S, C, 1720, m, 'RAS', { flags: 'PERMANENT', anySrc: true })]);
  r.recv('r_srv', dgram(S, 1719, C, 1719, ras('rcf', { callSignal: [a(C, 1720)], ttl: 90 })), 10);
  assert.match(r.expect(10)[0]!, /^90 proto=6 /);
  assert.equal(r.recv('r_wan', seg(W, 30000, C, 1720, 1, 0, 'S'), 11).ctstate, 'related');
});

test('RAS: a time to live beyond 2^31 jiffies leaves the connection already timed out (32-bit jiffies)', () => {
  const r = router(RAS_CT);
  r.recv('r_cli', dgram(C, 1719, S, 1719, ras('rrq', { callSignal: [a(C, 1720)], ras: [a(C, 1719)] })), 0);
  r.recv('r_srv', dgram(S, 1719, C, 1719, ras('rcf', { callSignal: [a(C, 1720)], ttl: 9_000_000 })), 1);
  assert.equal(ctLine(r, 1.5, /sport=1719 dport=1719/), undefined);
});

test('RAS: ACF / LCF expect the admitted call, GCF expects RAS at another port, an answering ACF nothing', () => {
  const r = router(RAS_CT);
  const m = master(C, S, 1719, 1719);
  r.recv('r_cli', dgram(C, 1719, S, 1719, ras('grq', { rasAddress: a(C, 1719) })), 0);
  assert.deepEqual(r.recv('r_srv', dgram(S, 1719, C, 1719, ras('gcf', { rasAddress: a(S, 1730) })), 0.1).expEvents, [exp('NEW', 240, 17, C, S, 1730, m, 'RAS')]);
  assert.deepEqual(r.recv('r_srv', dgram(S, 1719, C, 1719, ras('acf', { destCallSignalAddress: a('10.0.2.200', 1720) })), 0.2).expEvents, [
    exp('NEW', 240, 6, C, '10.0.2.200', 1720, m, 'RAS', { flags: 'PERMANENT' }),
  ]);
  assert.deepEqual(r.recv('r_srv', dgram(S, 1719, C, 1719, ras('acf', { destCallSignalAddress: a(C, 1720) })), 0.3).expEvents, []);
  assert.deepEqual(r.recv('r_srv', dgram(S, 1719, C, 1719, ras('lcf', { callSignalAddress: a('10.0.2.201', 1720), rasAddress: a('10.0.2.201', 1719) })), 0.4).expEvents, [
    exp('NEW', 240, 6, C, '10.0.2.201', 1720, m, 'RAS', { flags: 'PERMANENT' }),
  ]);
  // The RAS connection announced by the GCF is RELATED and has the RAS helper.
  assert.equal(r.recv('r_cli', dgram(C, 1719, S, 1730, ras('rrq', { callSignal: [a(C, 1722)], ras: [a(C, 1719)] })), 0.5).ctstate, 'related');
  assert.match(ctLine(r, 0.5, /dport=1730 /)!, /helper=RAS/);
});

test('MASQUERADE: the Setup\'s addresses of the LAN side become the public address, in place, with valid checksums', () => {
  const r = router(Q931_CT, { nat: true });
  const call = new Call(r, cli(C, 40000), wan(W, 1720), 0, PUB);
  const setup = q931Tpkt('setup', { h245Address: a(C, 45000), sourceCallSignalAddress: a(C, 40000), destCallSignalAddress: a(W, 1720), fastStart: [{ reverse: { media: a(C, 5000) } }] });
  const res = call.fromI(setup);
  assert.equal(res.verdict, 'FORWARDED');
  const out = sent(res);
  assert.equal(out.ipEnd - out.l3Off, 40 + setup.length);
  const payload = out.buf.subarray(out.payloadOff, out.ipEnd);
  const expected = new TextDecoder('latin1').decode(setup).split('\x0a\x00\x01\x64').join('\xcb\x00\x71\x01');
  assert.equal(new TextDecoder('latin1').decode(payload), expected);
  assert.ok(verifyL4Checksum(out));
  assert.equal(indexOfBytes(payload, [10, 0, 1, 100]), -1);
  const m = master(C, W, 40000, 1720);
  assert.deepEqual(res.expEvents.slice(0, 1), [exp('NEW', 240, 6, W, PUB, 45000, m, 'Q.931')]);
  // The H.245 connection to the public address goes to the client.
  const h = r.recv('r_wan', seg(W, 50000, PUB, 45000, 1, 0, 'S'), 1);
  assert.equal(h.ctstate, 'related');
  const fwd = sent(h);
  assert.equal(fwd.dst[0], 0x0a000164);
  assert.equal(fwd.dport, 45000);
});

test('MASQUERADE: RAS RRQ addresses are rewritten and the registered call maps back to the endpoint', () => {
  const r = router(RAS_CT, { nat: true });
  const rrq = r.recv('r_cli', dgram(C, 1719, W, 1719, ras('rrq', { callSignal: [a(C, 1720)], ras: [a(C, 1719)] })), 0);
  const out = sent(rrq);
  const payload = out.buf.subarray(out.payloadOff, out.ipEnd);
  assert.equal(indexOfBytes(payload, [10, 0, 1, 100]), -1);
  assert.notEqual(indexOfBytes(payload, [203, 0, 113, 1, 0x06, 0xb8]), -1); // 203.0.113.1:1720
  assert.notEqual(indexOfBytes(payload, [203, 0, 113, 1, 0x06, 0xb7]), -1); // 203.0.113.1:1719
  const rcf = r.recv('r_wan', dgram(W, 1719, PUB, 1719, ras('rcf', { callSignal: [a(PUB, 1720)] })), 1);
  const back = sent(rcf);
  assert.ok(verifyL4Checksum(back));
  assert.notEqual(indexOfBytes(back.buf.subarray(back.payloadOff, back.ipEnd), [10, 0, 1, 100, 0x06, 0xb8]), -1);
  const callIn = r.recv('r_wan', seg(W, 31000, PUB, 1720, 1, 0, 'S'), 2);
  assert.equal(callIn.ctstate, 'related');
  assert.equal(sent(callIn).dst[0], 0x0a000164);
});

test('helper names and protocols as the kernel registers them', () => {
  assert.notEqual(findHelper('Q.931', 4, Proto.TCP), null);
  assert.notEqual(findHelper('Q.931', 6, Proto.TCP), null);
  assert.notEqual(findHelper('RAS', 6, Proto.UDP), null);
  assert.notEqual(findHelper('H.245', 4, Proto.UDP), null);
  assert.match(helperRefusal('H.245', 4, Proto.TCP)!, /not available for IPv4 protocol 6/);
  assert.match(helperRefusal('RAS', 4, Proto.TCP)!, /not available/);
  assert.match(helperRefusal('Q.931', 4, Proto.UDP)!, /not available/);
  assert.match(helperRefusal('h323', 4, Proto.TCP)!, /no such conntrack helper/);
  assert.throws(() => new Router('-p tcp --dport 1720 -j CT --helper H.245'), /H\.245/);
});

test('garbled messages through a NATed router never make the helpers throw', async () => {
  const fc = (await import('fast-check')).default;
  const q931Msgs = [
    q931Tpkt('setup', { h245Address: a(C, 45000), sourceCallSignalAddress: a(C, 40000), destCallSignalAddress: a(W, 1720), fastStart: [{ forward: { media: a(C, 5000) }, reverse: { mediaControl: a(C, 5001) } }] }),
    q931Tpkt('facility', { reason: 1, alternativeAddress: a('10.0.1.101', 1720) }),
    q931Tpkt('facility', { reason: 6 }, { h245: [h245Message({ olca: { ack: { media: a(C, 5010) }, t120: a(C, 1503) } })] }),
    q931Tpkt('connect', { h245Address: a(C, 46000), fastStart: [{ forward: { media: a(C, 6000), mediaControl: a(C, 6001) } }] }),
  ];
  const rasMsgs = [
    ras('rrq', { callSignal: [a(C, 1720)], ras: [a(C, 1719)], ttl: 60 }),
    ras('rcf', { callSignal: [a(PUB, 1720)], ttl: 60 }),
    ras('arq', { alias: '2000', destCallSignalAddress: a(C, 1720), srcCallSignalAddress: a(C, 1720) }),
    ras('acf', { destCallSignalAddress: a('10.0.2.200', 1720) }),
    ras('irr', { rasAddress: a(C, 1719), callSignal: [a(C, 1720)] }),
    ras('gcf', { rasAddress: a(W, 1730) }),
  ];
  const mutate = (m: Uint8Array, flips: [number, number][], cut: number): Uint8Array => {
    const g = Uint8Array.from(m.subarray(0, Math.max(1, m.length - (cut % 8))));
    for (const [i, v] of flips) g[i % g.length] = v;
    return g;
  };
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.nat(),
      fc.nat(),
      (flips, cut, pick) => {
        const r = router(Q931_CT, { nat: true });
        const call = new Call(r, cli(C, 40000), wan(W, 1720), 0, PUB);
        for (const m of q931Msgs) {
          const res = call.fromI(mutate(m, flips, cut + pick));
          assert.ok(res.verdict === 'FORWARDED' || res.verdict === 'DROPPED');
        }
        const rr = router(RAS_CT, { nat: true });
        for (const [k, m] of rasMsgs.entries()) {
          const fromLan = k !== 1 && k !== 3 && k !== 5;
          const d = fromLan ? dgram(C, 1719, W, 1719, mutate(m, flips, cut)) : dgram(W, 1719, PUB, 1719, mutate(m, flips, cut));
          const res = rr.recv(fromLan ? 'r_cli' : 'r_wan', d, k * 0.1);
          assert.ok(res.verdict === 'FORWARDED' || res.verdict === 'DROPPED');
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('MASQUERADE with gkrouted_only=0: a call from any host to the public signalling port reaches the endpoint, its source kept', () => {
  const r = router(RAS_CT, { nat: true, helper: { options: { h323GkroutedOnly: 0 } } });
  const rrq = r.recv('r_cli', dgram(C, 1719, W, 1719, ras('rrq', { callSignal: [a(C, 1720)], ras: [a(C, 1719)] })), 0);
  assert.match(rrq.expEvents[0]!, /src=0\.0\.0\.0 dst=203\.0\.113\.1 sport=0 dport=1720 mask-src=0\.0\.0\.0 /);
  const callIn = r.recv('r_wan', seg('198.51.100.77', 32000, PUB, 1720, 1, 0, 'S'), 1);
  assert.equal(callIn.ctstate, 'related');
  const fwd = sent(callIn);
  assert.equal(fwd.src[0], (198 << 24 >>> 0) + (51 << 16) + (100 << 8) + 77);
  assert.equal(fwd.dst[0], 0x0a000164);
  assert.equal(fwd.dport, 1720);
});
