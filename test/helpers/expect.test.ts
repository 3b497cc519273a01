/**
 * The expectation table on its own: registration rules (replacement of an equal expectation,
 * clashes under the intersection of masks, EALREADY across classes / masters, per-class
 * max_expected with eviction of the oldest, nf_conntrack_expect_max), matching (masks, zone,
 * confirmed master, INACTIVE, PERMANENT), expiry in virtual time, removal with the master, and
 * the `conntrack -L expect` / `-E expect` / /proc formats against lines the kernel printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Conn } from '../../src/conntrack/conn.js';
import { ExpectationTable, ExpectFlag, type ExpectPolicy } from '../../src/conntrack/expect.js';
import { defaultSettings } from '../../src/conntrack/settings.js';
import { ConntrackTable } from '../../src/conntrack/table.js';
import { makeTuple } from '../../src/conntrack/tuple.js';
import { formatExpect, formatExpectEvent, formatExpectList, formatExpectProc } from '../../src/format/expect.js';
import { Hook } from '../../src/netfilter/context.js';
import { parseIp } from '../../src/packet/addr.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { seg, T0 } from './support.js';

const POLICIES: Record<string, readonly ExpectPolicy[]> = {
  ftp: [{ maxExpected: 1, timeout: 300, name: null }],
  multi: [
    { maxExpected: 2, timeout: 180, name: 'signalling' },
    { maxExpected: 0, timeout: 60, name: 'audio' },
  ],
};

function setup(over: Partial<ReturnType<typeof defaultSettings>> = {}) {
  const table = new ConntrackTable({ settings: { ...defaultSettings(), acct: true, ...over }, seed: 5 });
  const exps = new ExpectationTable(table, { policies: (n) => POLICIES[n] ?? null });
  const events: string[] = [];
  exps.onEvent((ev) => events.push(formatExpectEvent(exps, ev)));
  return { table, exps, events };
}

/** A confirmed TCP connection src:sport -> dst:dport with `helper`, created at T0 + t. */
function master(table: ConntrackTable, src: string, sport: number, dst: string, dport: number, helper: string | null, t = 0, confirm = true): Conn {
  const pkt = decodeIp(new PacketView(), seg(src, sport, dst, dport, 1000, 0, 'S'));
  const r = table.track(pkt, Hook.PREROUTING, T0 + t, { helper });
  const c = r.conn!;
  return confirm ? table.confirm(c, T0 + t, 0)! : c;
}

function addr(s: string): Uint32Array {
  return parseIp(s).words;
}

/** The connection a new packet src:sport -> dst:dport would create, and the expectation match. */
function arrive(table: ConntrackTable, src: string, sport: number, dst: string, dport: number, t: number, zone = 0) {
  const pkt = decodeIp(new PacketView(), seg(src, sport, dst, dport, 1, 0, 'S'));
  const r = table.track(pkt, Hook.PREROUTING, T0 + t, { zone });
  return { state: r.state, conn: r.conn };
}

test('an expectation matches any source port, the exact destination, and is taken once', () => {
  const { table, exps, events } = setup();
  const m = master(table, '10.0.1.187', 37922, '192.0.2.171', 21, 'ftp');
  const e = exps.create(m, 0, 4, addr('10.0.1.187'), addr('192.0.2.171'), 6, null, 30805);
  assert.equal(exps.related(e, T0 + 1), 0);
  assert.deepEqual(events, [
    '    [NEW] 300 proto=6 src=10.0.1.187 dst=192.0.2.171 sport=0 dport=30805 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.187 master-dst=192.0.2.171 sport=37922 dport=21 class=0 helper=ftp',
  ]);
  assert.equal(arrive(table, '10.0.1.188', 4000, '192.0.2.171', 30805, 2).state, 8, 'another source address: NEW');
  const hit = arrive(table, '10.0.1.187', 4001, '192.0.2.171', 30805, 2);
  assert.equal(hit.state, 4, 'RELATED');
  assert.equal(hit.conn!.master, m);
  assert.equal(events[1], '[DESTROY] 299 proto=6 src=10.0.1.187 dst=192.0.2.171 sport=0 dport=30805 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.187 master-dst=192.0.2.171 sport=37922 dport=21 class=0 helper=ftp');
  assert.equal(exps.count, 0);
  assert.equal(table.stats.expectNew, 1);
  assert.equal(table.stats.expectCreate, 1);
  assert.equal(table.stats.expectDelete, 1);
});

test('-L expect and /proc lines', () => {
  const { table, exps } = setup();
  const m = master(table, '10.0.1.100', 40021, '198.51.100.21', 21, 'ftp');
  const e = exps.create(m, 0, 4, addr('198.51.100.21'), addr('203.0.113.1'), 6, null, 50001);
  exps.related(e, T0);
  assert.deepEqual(formatExpectList(exps, T0 + 0.5), [
    '299 proto=6 src=198.51.100.21 dst=203.0.113.1 sport=0 dport=50001 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.100 master-dst=198.51.100.21 sport=40021 dport=21 class=0 helper=ftp',
  ]);
  assert.equal(formatExpectProc(exps, e, T0), '300 l3proto = 2 proto=6 src=198.51.100.21 dst=203.0.113.1 sport=0 dport=50001 ftp');
  e.flags = ExpectFlag.PERMANENT | ExpectFlag.INACTIVE;
  assert.match(formatExpect(exps, e, T0), / master-src=10\.0\.1\.100 master-dst=198\.51\.100\.21 sport=40021 dport=21 PERMANENT,INACTIVE class=0 helper=ftp$/);
  assert.equal(formatExpectProc(exps, e, T0), '300 l3proto = 2 proto=6 src=198.51.100.21 dst=203.0.113.1 sport=0 dport=50001 PERMANENT,INACTIVE ftp');
});

test('IPv6, wildcard source address and /proc class names', () => {
  const { table, exps, events } = setup();
  const m = master(table, 'fd00:1::125', 34894, 'fd00:2::12d', 69, 'multi');
  const e = exps.create(m, 1, 6, null, addr('fd00:1::125'), 17, null, 34894);
  assert.equal(exps.related(e, T0), 0);
  assert.equal(
    events[0],
    '    [NEW] 60 proto=17 src=:: dst=fd00:1::125 sport=0 dport=34894 mask-src=:: mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 dport=65535 master-src=fd00:1::125 master-dst=fd00:2::12d sport=34894 dport=69 class=1 helper=multi',
  );
  assert.equal(
    formatExpectProc(exps, e, T0),
    '60 l3proto = 10 proto=17 src=0000:0000:0000:0000:0000:0000:0000:0000 dst=fd00:0001:0000:0000:0000:0000:0000:0125 sport=0 dport=34894 multi/audio',
  );
});

test('an equal expectation replaces the old one; another class is EALREADY; an overlap is EBUSY', () => {
  const { table, exps, events } = setup();
  const m = master(table, '10.0.0.1', 1000, '10.0.0.2', 2000, 'multi');
  const other = master(table, '10.0.0.3', 1000, '10.0.0.2', 2000, 'multi');
  const a = exps.create(m, 0, 4, null, addr('10.0.0.1'), 17, null, 5060);
  assert.equal(exps.related(a, T0), 0);
  const again = exps.create(m, 0, 4, null, addr('10.0.0.1'), 17, null, 5060);
  assert.equal(exps.related(again, T0 + 1), 0);
  assert.deepEqual(events.map((l) => l.slice(0, 10)), ['    [NEW] ', '[DESTROY] ', '    [NEW] ']);
  assert.equal(exps.related(exps.create(m, 1, 4, null, addr('10.0.0.1'), 17, null, 5060), T0 + 1), 'EALREADY');
  // a narrower one of another master overlaps the wildcard one under the masks' intersection
  assert.equal(exps.related(exps.create(other, 0, 4, addr('10.0.0.9'), addr('10.0.0.1'), 17, null, 5060), T0 + 1), 'EBUSY');
  assert.equal(exps.related(exps.create(other, 0, 4, null, addr('10.0.0.1'), 17, null, 5060), T0 + 1), 'EBUSY', 'the same tuple of another master');
  assert.equal(exps.related(exps.create(other, 0, 4, null, addr('10.0.0.1'), 17, null, 5060), T0 + 1, true), 'EALREADY', 'with SKIP_MASTER');
  assert.equal(exps.related(exps.create(other, 0, 4, null, addr('10.0.0.1'), 17, null, 5061), T0 + 1), 0);
});

test('max_expected per class evicts the oldest; nf_conntrack_expect_max refuses', () => {
  const { table, exps, events } = setup({ expectMax: 3 });
  const m = master(table, '10.0.0.1', 1000, '10.0.0.2', 2000, 'multi');
  for (let p = 1; p <= 3; p++) assert.equal(exps.related(exps.create(m, 0, 4, null, addr('10.0.0.1'), 17, null, p), T0 + p), 0);
  assert.equal(exps.expecting(m, 0), 2, 'the first went for the third');
  assert.match(events[2]!, /^\[DESTROY\] \d+ proto=17 src=0\.0\.0\.0 dst=10\.0\.0\.1 sport=0 dport=1 /);
  assert.equal(exps.related(exps.create(m, 1, 4, null, addr('10.0.0.1'), 17, null, 10), T0 + 4), 0, 'class 1 has no limit');
  assert.equal(exps.count, 3);
  assert.equal(exps.related(exps.create(m, 1, 4, null, addr('10.0.0.1'), 17, null, 11), T0 + 5), 'EMFILE', 'table full');
  const noHelper = master(table, '10.0.0.5', 1000, '10.0.0.2', 2000, null);
  assert.equal(exps.related(exps.create(noHelper, 0, 4, null, addr('10.0.0.5'), 17, null, 1), T0), 'ESHUTDOWN');
});

test('matching needs a confirmed, live master in the same zone; INACTIVE never matches; PERMANENT stays', () => {
  const { table, exps } = setup();
  const unconfirmed = master(table, '10.0.0.1', 1000, '10.0.0.2', 2000, 'ftp', 0, false);
  assert.equal(exps.related(exps.create(unconfirmed, 0, 4, null, addr('10.0.0.1'), 6, null, 7000), T0), 0);
  assert.equal(arrive(table, '10.0.0.2', 1, '10.0.0.1', 7000, 1).state, 8, 'master not confirmed yet');
  const m = master(table, '10.0.0.3', 1000, '10.0.0.2', 2000, 'multi');
  const e = exps.create(m, 0, 4, null, addr('10.0.0.3'), 6, null, 7001);
  e.flags = ExpectFlag.INACTIVE | ExpectFlag.PERMANENT;
  exps.related(e, T0);
  assert.equal(arrive(table, '10.0.0.2', 1, '10.0.0.3', 7001, 1).state, 8, 'inactive');
  e.flags = ExpectFlag.PERMANENT;
  assert.equal(arrive(table, '10.0.0.2', 2, '10.0.0.3', 7001, 1, 5).state, 8, 'another zone');
  assert.equal(arrive(table, '10.0.0.2', 3, '10.0.0.3', 7001, 1).state, 4);
  assert.equal(arrive(table, '10.0.0.2', 4, '10.0.0.3', 7001, 1).state, 4, 'permanent: still there');
  assert.equal(exps.count, 2);
  assert.equal(exps.find(makeTuple({ proto: 6, src: '1.2.3.4', dst: '10.0.0.3', sport: 9, dport: 7001 }), 0, T0 + 1), e);
});

test('expectations time out, and go with their master (DESTROY after the master\'s)', () => {
  const { table, exps, events } = setup();
  const all: string[] = [];
  table.onEvent((ev) => all.push(`ct ${ev.type}`));
  exps.onEvent((ev) => all.push(`exp ${ev.type}`));
  const m = master(table, '10.0.0.1', 1000, '10.0.0.2', 21, 'ftp');
  exps.related(exps.create(m, 0, 4, null, addr('10.0.0.1'), 6, null, 7000), T0);
  exps.expire(T0 + 299.9);
  assert.equal(exps.count, 1);
  exps.expire(T0 + 300);
  assert.equal(exps.count, 0);
  assert.match(events.at(-1)!, /^\[DESTROY\] 0 proto=6 /);
  exps.related(exps.create(m, 0, 4, null, addr('10.0.0.1'), 6, null, 7001), T0 + 301);
  all.length = 0;
  table.delete(m, T0 + 310);
  assert.deepEqual(all, ['ct DESTROY', 'exp DESTROY']);
  assert.match(events.at(-1)!, /^\[DESTROY\] 291 proto=6 .* dport=7001 /);
});

test('no expectation events for a master created with nf_conntrack_events off', () => {
  const { table, exps, events } = setup({ events: 0 });
  const m = master(table, '10.0.0.1', 1000, '10.0.0.2', 21, 'ftp');
  assert.equal(exps.related(exps.create(m, 0, 4, null, addr('10.0.0.1'), 6, null, 7000), T0), 0);
  assert.deepEqual(events, []);
  assert.equal(exps.count, 1);
});
