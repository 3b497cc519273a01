/**
 * The table keeps connections in slots of flat arrays (store.ts), the TCP state in a slot's words
 * until someone outside asks for the state object, and makes Conn objects only on request. These
 * tests check that none of that shows:
 *
 *  - differential: the same packets through a table that never makes a Conn object (slots only)
 *    and through one where every packet's connection is asked for and its state object taken out
 *    (the object path) give the same results and the same final table;
 *  - a Conn object is the same for the same connection, follows it while it lives, and keeps its
 *    last values after the table frees the slot (even when the slot is reused);
 *  - the result of a packet whose connection the tracker killed still gives that connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as B from '../../src/packet/build.js';
import { decodeFrame, decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { ConntrackTable } from '../../src/conntrack/table.js';
import { defaultSettings, type ConntrackSettings } from '../../src/conntrack/settings.js';
import { Hook } from '../../src/netfilter/context.js';
import { tcpTracker } from '../../src/conntrack/proto/tcp.js';
import type { Conn } from '../../src/conntrack/conn.js';
import { CaptureReader } from '../../src/capture/reader.js';

const T0 = 1_700_000_000;

function describeConn(c: Conn): unknown {
  return {
    orig: [c.orig.family, c.orig.proto, Array.from(c.orig.src), Array.from(c.orig.dst), c.orig.sport, c.orig.dport],
    reply: [c.reply.family, c.reply.proto, Array.from(c.reply.src), Array.from(c.reply.dst), c.reply.sport, c.reply.dport],
    status: c.status,
    mark: c.mark,
    expiresAt: c.expiresAt,
    createdAt: c.createdAt,
    id: c.id,
    zone: c.zone,
    state: c.protoStateName(),
    proto: c.protoNum === 6 ? tcpTracker.saveState!(c.proto as never) : null,
  };
}

/** Runs views through two tables (slots only / object path); compares every result and the final tables. */
function differential(packets: Iterable<{ view: PacketView; now: number; hook?: number }>, settings: () => ConntrackSettings, what: string): void {
  const a = new ConntrackTable({ settings: settings(), seed: 5 });
  const b = new ConntrackTable({ settings: settings(), seed: 5 });
  let i = 0;
  for (const { view, now, hook } of packets) {
    const h = hook ?? Hook.PREROUTING;
    const ra = a.track(view, h, now);
    const resA = [ra.state, ra.dir, ra.reason, ra.drop, ra.slot >= 0];
    if (ra.slot >= 0) a.confirmSlot(ra.slot, now, ra.dir);
    const rb = b.track(view, h, now);
    const resB = [rb.state, rb.dir, rb.reason, rb.drop, rb.slot >= 0];
    const conn = rb.conn;
    if (conn !== null) {
      void conn.proto; // the state object leaves the slot
      b.confirm(conn, now, rb.dir);
    }
    assert.deepEqual(resA, resB, `${what}: packet ${i}`);
    i++;
  }
  assert.equal(a.count, b.count, `${what}: count`);
  assert.deepEqual(Array.from(a.all(), describeConn), Array.from(b.all(), describeConn), `${what}: final table`);
  assert.deepEqual({ ...a.stats }, { ...b.stats }, `${what}: stats`);
}

const FLAGS = ['S', 'SA', 'A', 'PA', 'FA', 'R', 'RA', 'F', 'SF', ''];

test('random TCP exchanges: slots and objects agree', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          fromClient: fc.boolean(),
          flags: fc.constantFrom(...FLAGS),
          seq: fc.oneof(fc.nat(3000), fc.constant(0xfffffff0), fc.nat()),
          ack: fc.oneof(fc.nat(3000), fc.nat()),
          win: fc.oneof(fc.constant(0), fc.nat(65535)),
          len: fc.nat(40),
          opts: fc.boolean(),
          dt: fc.oneof(fc.constant(0.001), fc.constant(1), fc.constant(200)),
          flow: fc.nat(2),
        }),
        { minLength: 1, maxLength: 25 },
      ),
      (steps) => {
        let now = T0;
        const pkts = steps.map((s) => {
          now += s.dt;
          const cport = 40000 + s.flow;
          const seg = B.tcp({
            sport: s.fromClient ? cport : 80,
            dport: s.fromClient ? 80 : cport,
            flags: s.flags,
            seq: s.seq,
            ack: s.ack,
            win: s.win,
            payload: new Uint8Array(s.len),
            options: s.opts ? { mss: 1460, wscale: 7, sackPerm: true, ts: [1, 2] } : undefined,
          });
          const ip = s.fromClient ? B.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: seg }) : B.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: seg });
          return { view: decodeIp(new PacketView(), ip), now };
        });
        differential(pkts, defaultSettings, 'tcp');
      },
    ),
    { numRuns: 400 },
  );
});

test('UDP, ICMP and IPv6 mixes: slots and objects agree, through expiry and table-full drops', () => {
  const pkts: { view: PacketView; now: number }[] = [];
  let now = T0;
  for (let i = 0; i < 400; i++) {
    now += i % 50 === 0 ? 40 : 0.01;
    const k = i % 7;
    const sport = 1000 + (i % 23);
    let ip: Uint8Array;
    if (k === 0) ip = B.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: B.udp({ sport, dport: 53, payload: new Uint8Array(4) }) });
    else if (k === 1) ip = B.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: B.udp({ sport: 53, dport: sport, payload: new Uint8Array(4) }) });
    else if (k === 2) ip = B.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: B.icmpEcho({ id: i % 5, seq: i }) });
    else if (k === 3) ip = B.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: B.icmpEcho({ id: i % 5, seq: i, reply: true }) });
    else if (k === 4) ip = B.ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: B.udp({ sport, dport: 53, payload: new Uint8Array(4) }) });
    else if (k === 5) ip = B.ipv6({ src: 'fd00::2', dst: 'fd00::1', payload: B.udp({ sport: 53, dport: sport, payload: new Uint8Array(4) }) });
    else ip = B.ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: B.tcp({ sport, dport: 443, flags: 'S', seq: i }) });
    pkts.push({ view: decodeIp(new PacketView(), ip), now });
  }
  differential(pkts, defaultSettings, 'mix');
  differential(pkts, () => ({ ...defaultSettings(), max: 20, buckets: 4 }), 'small table');
});

const MIX = '/tmp/mixbench/mix.pcap';

test('a real capture: slots and objects agree', { skip: existsSync(MIX) ? false : 'no benchmark capture here' }, () => {
  const r = new CaptureReader();
  r.push(new Uint8Array(readFileSync(MIX)));
  r.end();
  function* packets(): Generator<{ view: PacketView; now: number }> {
    const view = new PacketView();
    let n = 0;
    for (let p = r.next(); p !== null && n < 40000; p = r.next(), n++) {
      decodeFrame(view, p.buf, p.linktype, p.offset, p.offset + p.caplen);
      if (view.family === 0 || view.ipHdrError) continue;
      yield { view, now: p.time };
    }
  }
  differential(packets(), defaultSettings, 'mix.pcap');
});

test('a Conn object is the same for a connection, follows it, and keeps its last values once freed', () => {
  const t = new ConntrackTable({ settings: defaultSettings(), seed: 1 });
  const syn = decodeIp(new PacketView(), B.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: B.tcp({ sport: 1, dport: 2, flags: 'S', seq: 10 }) }));
  const r = t.track(syn, Hook.PREROUTING, T0);
  const c = r.conn!;
  assert.equal(r.conn, c);
  t.confirm(c, T0, r.dir);
  assert.equal(t.get(c.orig), c);
  assert.equal(c.protoStateName(), 'SYN_SENT');
  c.mark = 42;
  const synack = decodeIp(new PacketView(), B.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: B.tcp({ sport: 2, dport: 1, flags: 'SA', seq: 99, ack: 11 }) }));
  const r2 = t.track(synack, Hook.PREROUTING, T0 + 1);
  assert.equal(r2.conn, c);
  assert.equal(c.protoStateName(), 'SYN_RECV');
  assert.ok(t.delete(c, T0 + 2));
  // The slot is freed before the next packet, which reuses it.
  const other = decodeIp(new PacketView(), B.ipv4({ src: '10.0.0.3', dst: '10.0.0.4', payload: B.udp({ sport: 5, dport: 6, payload: new Uint8Array(1) }) }));
  const r3 = t.track(other, Hook.PREROUTING, T0 + 3);
  t.confirm(r3.conn!, T0 + 3, r3.dir);
  assert.notEqual(r3.conn, c);
  assert.equal(c.mark, 42);
  assert.equal(c.protoStateName(), 'SYN_RECV');
  assert.equal(c.orig.sport, 1);
  assert.ok(c.dying);
  assert.equal(t.delete(c, T0 + 4), false);
  assert.equal(t.count, 1);
});

test('a packet whose connection its tracker killed still names that connection', () => {
  const t = new ConntrackTable({ settings: defaultSettings(), seed: 1 });
  const syn = decodeIp(new PacketView(), B.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: B.tcp({ sport: 1, dport: 2, flags: 'S', seq: 10 }) }));
  const r = t.track(syn, Hook.PREROUTING, T0);
  t.confirmSlot(r.slot, T0, r.dir);
  const rst = decodeIp(new PacketView(), B.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: B.tcp({ sport: 2, dport: 1, flags: 'RA', seq: 0, ack: 11 }) }));
  const r2 = t.track(rst, Hook.PREROUTING, T0 + 1);
  assert.equal(t.count, 0, 'the RST answering the SYN kills the entry');
  t.expire(T0 + 1); // frees the slot
  const c = r2.conn!;
  assert.ok(c.dying);
  assert.equal(c.orig.dport, 2);
  assert.equal(c.protoStateName(), 'CLOSE');
});
