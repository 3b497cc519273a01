import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPCT } from '../../src/conntrack/events.js';
import { defaultTrackers } from '../../src/conntrack/proto/index.js';
import { makeTuple } from '../../src/conntrack/tuple.js';
import { Verdict, type Tracker } from '../../src/conntrack/tracker.js';
import { CtStateBit, CtStatus, Hook } from '../../src/netfilter/context.js';
import { ipv4 } from '../../src/packet/build.js';
import { Proto } from '../../src/packet/view.js';
import { echo, Harness, settings, T0, udpPkt, view } from './pkt.js';

const CLI = '10.0.1.100';
const SRV = '10.0.2.100';

test('a new connection is unconfirmed: invisible to lookups, no event until confirm', () => {
  const h = new Harness();
  const r = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0);
  assert.equal(r.state, CtStateBit.NEW);
  assert.equal(r.dir, 0);
  const conn = r.conn!;
  assert.equal(conn.confirmed, false);
  const t = makeTuple({ proto: Proto.UDP, src: CLI, dst: SRV, sport: 5000, dport: 53 });
  assert.equal(h.table.get(t), null);
  assert.deepEqual(h.take(), []);
  assert.equal(h.table.count, 1);
  assert.equal(h.table.confirm(conn, T0), conn);
  assert.equal(h.table.get(t), conn);
  assert.equal(h.table.get(makeTuple({ proto: Proto.UDP, src: SRV, dst: CLI, sport: 53, dport: 5000 })), conn);
  assert.deepEqual(h.take(), [
    '    [NEW] udp      17 30 src=10.0.1.100 dst=10.0.2.100 sport=5000 dport=53 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=53 dport=5000',
  ]);
});

test('a discarded connection leaves no entry and no event', () => {
  const h = new Harness();
  const r = h.run(udpPkt(CLI, 5000, SRV, 53), T0, { drop: true });
  assert.equal(r.state, CtStateBit.NEW);
  assert.equal(h.table.count, 0);
  assert.deepEqual([...h.table], []);
  assert.deepEqual(h.take(), []);
  // The next packet of the flow is NEW again.
  assert.equal(h.run(udpPkt(CLI, 5000, SRV, 53), T0 + 1).state, CtStateBit.NEW);
});

test('both directions find the connection; the first reply sets SEEN_REPLY with an UPDATE', () => {
  const h = new Harness();
  h.run(udpPkt(CLI, 5000, SRV, 53), T0);
  h.take();
  const r = h.run(udpPkt(SRV, 53, CLI, 5000), T0 + 0.5);
  assert.equal(r.state, CtStateBit.ESTABLISHED);
  assert.equal(r.dir, 1);
  assert.ok(r.conn!.status & CtStatus.SEEN_REPLY);
  assert.deepEqual(h.take(), [
    ' [UPDATE] udp      17 30 src=10.0.1.100 dst=10.0.2.100 sport=5000 dport=53 src=10.0.2.100 dst=10.0.1.100 sport=53 dport=5000',
  ]);
  const o = h.run(udpPkt(CLI, 5000, SRV, 53), T0 + 0.6);
  assert.equal(o.state, CtStateBit.ESTABLISHED);
  assert.equal(o.dir, 0);
  assert.deepEqual(h.take(), []);
});

test('events of a packet dropped before confirmation wait for the next packet', () => {
  const h = new Harness();
  h.run(udpPkt(CLI, 5000, SRV, 53), T0);
  h.take();
  // The first reply is dropped by a rule: SEEN_REPLY is set, its event stays cached.
  h.run(udpPkt(SRV, 53, CLI, 5000), T0 + 0.1, { drop: true });
  assert.deepEqual(h.take(), []);
  h.run(udpPkt(CLI, 5000, SRV, 53), T0 + 0.2);
  const lines = h.take();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^ \[UPDATE\] udp {6}17 30 .* sport=53 dport=5000$/);
});

test('a mark changed by a rule is an UPDATE carrying the mark', () => {
  const h = new Harness();
  const c = h.run(udpPkt(CLI, 5000, SRV, 53), T0).conn!;
  h.take();
  const r = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0 + 1);
  r.conn!.mark = 5;
  h.table.confirm(r.conn!, T0 + 1);
  assert.deepEqual(h.take(), [
    ' [UPDATE] udp      17 30 src=10.0.1.100 dst=10.0.2.100 sport=5000 dport=53 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=53 dport=5000 mark=5',
  ]);
  assert.equal(c.mark, 5);
  // Setting the same mark again is no change.
  const again = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0 + 2);
  again.conn!.mark = 5;
  h.table.confirm(again.conn!, T0 + 2);
  assert.deepEqual(h.take(), []);
});

test('expired entries are destroyed when time passes them, with DESTROY carrying counters and no timeout', () => {
  const h = new Harness(settings({ udpTimeout: 2 }));
  h.run(udpPkt(CLI, 5000, SRV, 53), T0);
  h.take();
  h.table.expire(T0 + 1.9);
  assert.equal(h.table.count, 1);
  h.table.expire(T0 + 2);
  assert.equal(h.table.count, 0);
  assert.deepEqual(h.take(), [
    '[DESTROY] udp      17 src=10.0.1.100 dst=10.0.2.100 sport=5000 dport=53 packets=1 bytes=32 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=53 dport=5000 packets=0 bytes=0',
  ]);
});

test('a packet after the timeout reaps the old entry first and starts a new one', () => {
  const h = new Harness(settings({ udpTimeout: 2 }));
  h.run(udpPkt(CLI, 5000, SRV, 53), T0);
  h.take();
  const r = h.run(udpPkt(CLI, 5000, SRV, 53), T0 + 3);
  assert.equal(r.state, CtStateBit.NEW);
  const lines = h.take();
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\[DESTROY\] /);
  assert.match(lines[1]!, /^ {4}\[NEW\] udp {6}17 2 /);
});

test('a refresh keeps the entry alive past its first timeout', () => {
  const h = new Harness(settings({ udpTimeout: 2 }));
  h.run(udpPkt(CLI, 5000, SRV, 53), T0);
  h.run(udpPkt(CLI, 5000, SRV, 53), T0 + 1.5);
  h.table.expire(T0 + 3);
  assert.equal(h.table.count, 1);
  h.table.expire(T0 + 3.5);
  assert.equal(h.table.count, 0);
});

test('table full: a new connection is dropped before it has a state', () => {
  const h = new Harness(settings({ max: 2 }));
  h.run(udpPkt(CLI, 1, SRV, 53), T0);
  h.run(udpPkt(CLI, 2, SRV, 53), T0);
  h.take();
  const r = h.run(udpPkt(CLI, 3, SRV, 53), T0);
  assert.equal(r.state, 0);
  assert.equal(r.drop, true);
  assert.equal(r.reason, 'table full');
  assert.equal(r.conn, null);
  assert.equal(h.table.stats.drop, 1);
  assert.equal(h.table.stats.earlyDrop, 0);
  assert.equal(h.table.count, 2);
  // Existing connections still work.
  assert.equal(h.run(udpPkt(SRV, 53, CLI, 1), T0).state, CtStateBit.ESTABLISHED);
});

test('early drop evicts unassured entries of the buckets after the new tuple\'s', () => {
  // One bucket: every entry is in the scanned range.
  const h = new Harness(settings({ max: 2, buckets: 1 }));
  h.run(udpPkt(CLI, 1, SRV, 53), T0);
  h.run(udpPkt(CLI, 2, SRV, 53), T0);
  h.take();
  const r = h.run(udpPkt(CLI, 3, SRV, 53), T0);
  assert.equal(r.state, CtStateBit.NEW);
  assert.equal(h.table.stats.earlyDrop, 2);
  const lines = h.take();
  assert.equal(lines.filter((l) => l.startsWith('[DESTROY]')).length, 2);
  assert.equal(h.table.count, 1);
});

test('early drop spares ASSURED entries', () => {
  const h = new Harness(settings({ max: 1, buckets: 1 }));
  h.run(udpPkt(CLI, 1, SRV, 53), T0);
  h.run(udpPkt(SRV, 53, CLI, 1), T0 + 0.1);
  h.run(udpPkt(CLI, 1, SRV, 53), T0 + 3);
  const [c] = [...h.table];
  assert.ok(c!.status & CtStatus.ASSURED);
  const r = h.run(udpPkt(CLI, 9, SRV, 53), T0 + 3);
  assert.equal(r.drop, true);
  assert.equal(h.table.count, 1);
});

test('after a table-full drop the garbage collector evicts unassured entries (max >= 100)', () => {
  const h = new Harness(settings({ max: 100 }));
  for (let p = 0; p < 100; p++) h.run(udpPkt(CLI, 1000 + p, SRV, 53), T0);
  assert.equal(h.run(udpPkt(CLI, 2000, SRV, 53), T0).drop, true);
  // Within the gc's minimum interval nothing happens; then every unassured entry goes while
  // the table holds at least 95 entries (95% of 100).
  assert.equal(h.run(udpPkt(CLI, 2001, SRV, 53), T0 + 0.5).drop, true);
  h.take();
  const r = h.run(udpPkt(CLI, 2002, SRV, 53), T0 + 1.5);
  assert.equal(r.state, CtStateBit.NEW);
  assert.equal(h.take().filter((l) => l.startsWith('[DESTROY]')).length, 6);
  assert.equal(h.table.count, 95);
});

test('with a maximum below 100 the garbage collector never evicts', () => {
  const h = new Harness(settings({ max: 6 }));
  for (let p = 0; p < 6; p++) h.run(udpPkt(CLI, 1000 + p, SRV, 53), T0);
  assert.equal(h.run(udpPkt(CLI, 2000, SRV, 53), T0).drop, true);
  assert.equal(h.run(udpPkt(CLI, 2001, SRV, 53), T0 + 5).drop, true);
  assert.equal(h.table.count, 6);
});

test('zones keep identical tuples apart', () => {
  const h = new Harness();
  const a = h.run(udpPkt(CLI, 5000, SRV, 53), T0).conn!;
  const b = h.run(udpPkt(CLI, 5000, SRV, 53), T0, { track: { zone: 7 } });
  assert.equal(b.state, CtStateBit.NEW);
  assert.notEqual(b.conn, a);
  assert.equal(b.conn!.zone, 7);
  const t = makeTuple({ proto: Proto.UDP, src: CLI, dst: SRV, sport: 5000, dport: 53 });
  assert.equal(h.table.get(t, 0), a);
  assert.equal(h.table.get(t, 7), b.conn);
  const lines = h.take();
  assert.match(lines[1]!, / zone=7$/);
});

test('notrack makes the packet UNTRACKED without touching the table', () => {
  const h = new Harness();
  const r = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0, { notrack: true });
  assert.equal(r.state, CtStateBit.UNTRACKED);
  assert.equal(r.conn, null);
  assert.equal(h.table.count, 0);
});

test('a later fragment has no transport header: INVALID', () => {
  const h = new Harness();
  const frag = view(ipv4({ src: CLI, dst: SRV, proto: Proto.UDP, fragOffset: 8, payload: new Uint8Array(16) }));
  const r = h.table.track(frag, Hook.PREROUTING, T0);
  assert.equal(r.state, CtStateBit.INVALID);
  assert.equal(h.table.stats.invalid, 1);
});

test('delete, flush and update emit DESTROY and UPDATE', () => {
  const h = new Harness();
  const a = h.run(udpPkt(CLI, 1, SRV, 53), T0).conn!;
  h.run(udpPkt(CLI, 2, SRV, 53), T0);
  h.take();
  h.table.update(a, { mark: 3, timeout: 100 }, T0 + 1);
  assert.deepEqual(h.take(), [
    ' [UPDATE] udp      17 100 src=10.0.1.100 dst=10.0.2.100 sport=1 dport=53 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=53 dport=1 mark=3',
  ]);
  assert.equal(h.table.delete(a, T0 + 2), true);
  assert.equal(h.table.delete(a, T0 + 2), false);
  assert.equal(h.table.count, 1);
  h.table.flush(T0 + 3);
  assert.equal(h.table.count, 0);
  const lines = h.take();
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\[DESTROY\] udp {6}17 99 .* mark=3$/);
  assert.match(lines[1]!, /^\[DESTROY\] udp {6}17 27 /);
});

test('listing order is insertion order', () => {
  const h = new Harness();
  for (const p of [9, 3, 7, 1]) h.run(udpPkt(CLI, p, SRV, 53), T0);
  assert.deepEqual(
    [...h.table].map((c) => c.orig.sport),
    [9, 3, 7, 1],
  );
});

test('NAT: an altered reply tuple is what replies match; tupleInUse sees taken tuples', () => {
  const h = new Harness();
  const first = h.run(udpPkt(CLI, 5000, SRV, 53), T0).conn!;
  const r = h.table.track(udpPkt('10.0.1.101', 5000, SRV, 53), Hook.PREROUTING, T0);
  const conn = r.conn!;
  // SNAT to 203.0.113.1:5000 would collide with nothing; to the first connection's reply tuple it would.
  assert.equal(h.table.tupleInUse(first.reply, conn), true);
  assert.equal(h.table.stats.found, 1);
  const natted = makeTuple({ proto: Proto.UDP, src: SRV, dst: '203.0.113.1', sport: 53, dport: 5000 });
  assert.equal(h.table.tupleInUse(natted, conn), false);
  h.table.alterReplyTuple(conn, natted);
  h.table.confirm(conn, T0);
  const reply = h.run(udpPkt(SRV, 53, '203.0.113.1', 5000), T0 + 0.1);
  assert.equal(reply.conn, conn);
  assert.equal(reply.dir, 1);
  assert.throws(() => h.table.alterReplyTuple(conn, natted));
  // The same flow (equal original tuple) does not count as taken.
  assert.equal(h.table.tupleInUse(conn.reply, conn), false);
});

test('clash on confirmation: UDP joins the identical entry, ICMP is dropped', () => {
  const h = new Harness();
  const a = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0).conn!;
  const b = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0).conn!;
  assert.notEqual(a, b);
  assert.equal(h.table.confirm(a, T0), a);
  assert.equal(h.table.confirm(b, T0), a);
  assert.equal(h.table.stats.clashResolve, 1);
  assert.equal(h.table.count, 1);
  assert.equal(a.origPackets, 2);
  const e1 = h.table.track(echo(CLI, SRV, 9), Hook.PREROUTING, T0).conn!;
  const e2 = h.table.track(echo(CLI, SRV, 9), Hook.PREROUTING, T0).conn!;
  h.table.confirm(e1, T0);
  assert.equal(h.table.confirm(e2, T0), null);
  assert.equal(h.table.stats.insertFailed, 1);
  assert.equal(h.table.stats.drop, 1);
  assert.equal(h.table.count, 2);
});

test('a clash on the original tuple only goes in as a hidden NAT clash entry for replies', () => {
  const h = new Harness();
  const a = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0).conn!;
  const b = h.table.track(udpPkt(CLI, 5000, SRV, 53), Hook.PREROUTING, T0).conn!;
  h.table.confirm(a, T0);
  h.table.alterReplyTuple(b, makeTuple({ proto: Proto.UDP, src: SRV, dst: '203.0.113.1', sport: 53, dport: 6000 }));
  assert.equal(h.table.confirm(b, T0), b);
  assert.ok(b.status & CtStatus.NAT_CLASH);
  assert.deepEqual([...h.table], [a]);
  assert.equal(h.table.count, 2);
  assert.equal(h.run(udpPkt(SRV, 53, '203.0.113.1', 6000), T0 + 0.1).conn, b);
  h.table.expire(T0 + 1);
  assert.equal(h.table.count, 1);
});

test('expectations: a matching new connection is RELATED, holds its master, inherits the mark', () => {
  const h = new Harness();
  const master = h.run(udpPkt(CLI, 5000, SRV, 69), T0).conn!;
  master.mark = 9;
  h.take();
  h.table.setExpectationLookup((t) =>
    t.proto === Proto.UDP && t.dport === 5000 ? { master, helper: null } : null,
  );
  const r = h.table.track(udpPkt(SRV, 41000, CLI, 5000), Hook.PREROUTING, T0 + 0.1);
  assert.equal(r.state, CtStateBit.RELATED);
  const child = r.conn!;
  assert.equal(child.master, master);
  assert.ok(child.status & CtStatus.EXPECTED);
  assert.equal(child.mark, 9);
  assert.equal(master.use, 2);
  assert.equal(h.table.stats.expectNew, 1);
  h.table.confirm(child, T0 + 0.1);
  const lines = h.take();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^ {4}\[NEW\] udp .* sport=41000 dport=5000 \[UNREPLIED\] .* mark=9$/);
  h.table.delete(child, T0 + 1);
  assert.equal(master.use, 1);
});

test('a helper from a CT template is attached and shown', () => {
  const h = new Harness();
  h.run(udpPkt(CLI, 5000, SRV, 69), T0, { track: { helper: 'tftp' } });
  assert.deepEqual(h.take(), [
    '    [NEW] udp      17 30 src=10.0.1.100 dst=10.0.2.100 sport=5000 dport=69 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=69 dport=5000 helper=tftp',
  ]);
});

// ------------------------------------------------------------------------------------------------
// tracker verdicts, with a test tracker on protocol 253: the first payload byte says what to do.

interface TestState {
  name: string;
}

const testTracker: Tracker<TestState> = {
  proto: 253,
  name: 'unknown',
  error: () => null,
  create: () => ({ name: 'ONE' }),
  packet(conn, pkt, _info, _s, out) {
    const op = String.fromCharCode(pkt.buf[pkt.l4Off]!);
    if (op === 'R') return Verdict.REPEAT;
    if (op === 'I') return Verdict.INVALID;
    if (op === 'D') return Verdict.DROP;
    if (op === 'T') conn.proto.name = 'TWO';
    if (op === 'K') out.kill = true;
    if (op !== 'N') out.timeout = 100;
    return Verdict.ACCEPT;
  },
  stateName: (st) => st.name,
};

function testHarness(): Harness {
  const reg = [...defaultTrackers()];
  reg[253] = testTracker as Tracker<unknown>;
  return new Harness(settings(), 42, reg);
}

function p253(src: string, dst: string, op: string): ReturnType<typeof view> {
  return view(ipv4({ src, dst, proto: 253, payload: new Uint8Array([op.charCodeAt(0)]) }));
}

test('REPEAT kills the entry and looks the packet up again', () => {
  const h = testHarness();
  const old = h.run(p253(CLI, SRV, 'A'), T0).conn!;
  h.take();
  const r = h.run(p253(CLI, SRV, 'R'), T0 + 1);
  assert.equal(r.state, CtStateBit.INVALID);
  // The fresh entry answered REPEAT as well: refused; the old one is gone.
  assert.equal(h.table.get(old.orig), null);
  const lines = h.take();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^\[DESTROY\] unknown  253 99 ONE /);
});

test('INVALID and DROP verdicts leave the entry as it was; a new one goes', () => {
  const h = testHarness();
  const c = h.run(p253(CLI, SRV, 'A'), T0).conn!;
  const before = c.expiresAt;
  assert.equal(h.run(p253(CLI, SRV, 'I'), T0 + 5).state, CtStateBit.INVALID);
  assert.equal(c.expiresAt, before);
  assert.equal(c.origPackets, 1);
  const d = h.run(p253(CLI, SRV, 'D'), T0 + 5);
  assert.equal(d.drop, true);
  assert.equal(d.state, 0);
  assert.equal(h.table.stats.invalid, 2);
  assert.equal(h.table.stats.drop, 1);
  assert.equal(h.run(p253(SRV, '10.9.9.9', 'I'), T0).state, CtStateBit.INVALID);
  assert.equal(h.table.count, 1);
});

test('a state name change is a PROTOINFO UPDATE showing the state', () => {
  const h = testHarness();
  h.run(p253(CLI, SRV, 'A'), T0);
  assert.match(h.take()[0]!, /^ {4}\[NEW\] unknown  253 100 ONE src=/);
  h.run(p253(CLI, SRV, 'T'), T0 + 1);
  const [l] = h.take();
  assert.match(l!, /^ \[UPDATE\] unknown  253 100 TWO src=/);
  assert.ok(h.events.length === 0);
});

test('kill counts the packet and deletes the entry at once (DESTROY during the lookup)', () => {
  const h = testHarness();
  const c = h.run(p253(CLI, SRV, 'A'), T0).conn!;
  h.take();
  const r = h.table.track(p253(SRV, CLI, 'K'), Hook.PREROUTING, T0 + 1);
  assert.equal(r.conn, c);
  assert.equal(r.state, CtStateBit.ESTABLISHED);
  assert.equal(c.replyPackets, 1);
  assert.equal(h.table.count, 0);
  const lines = h.take();
  assert.match(lines[0]!, /^\[DESTROY\] unknown  253 100 ONE .* packets=1 bytes=21 \[UNREPLIED\] .* packets=1 bytes=21$/);
  // The killed entry's pending SEEN_REPLY update is never sent.
  h.table.confirm(c, T0 + 1, 1);
  assert.deepEqual(h.take(), []);
});

test('a new entry killed by its own packet is refused at confirmation', () => {
  const h = testHarness();
  const r = h.table.track(p253(CLI, SRV, 'K'), Hook.PREROUTING, T0);
  assert.equal(h.table.confirm(r.conn!, T0), null);
  assert.equal(h.table.stats.insertFailed, 1);
  assert.equal(h.table.count, 0);
  assert.deepEqual(h.take(), []);
});

test('an accepted packet the tracker does not refresh is not counted', () => {
  const h = testHarness();
  const c = h.run(p253(CLI, SRV, 'A'), T0).conn!;
  h.run(p253(CLI, SRV, 'N'), T0 + 10);
  assert.equal(c.origPackets, 1);
  assert.equal(Math.round(c.expiresAt - T0), 100);
});

test('cached events are delivered as one UPDATE with every bit', () => {
  const h = testHarness();
  const c = h.run(p253(CLI, SRV, 'A'), T0).conn!;
  h.take();
  const r = h.table.track(p253(SRV, CLI, 'T'), Hook.PREROUTING, T0 + 1);
  h.table.confirm(r.conn!, T0 + 1, 1);
  assert.equal(h.lines.length, 1);
  assert.equal(h.events[0]!.bits & (IPCT.REPLY | IPCT.PROTOINFO), IPCT.REPLY | IPCT.PROTOINFO);
  assert.equal(c.protoStateName(), 'TWO');
});
