import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromJSON, toJSON } from '../../src/conntrack/snapshot.js';
import { formatConntrack, formatProc } from '../../src/format/conntrack.js';
import { Hook } from '../../src/netfilter/context.js';
import { gre, icmpEcho, ipv4, sctp, tcp, udp, type Segment } from '../../src/packet/build.js';
import type { PacketView } from '../../src/packet/view.js';
import { Harness, settings, T0, view } from './pkt.js';
import { ConntrackTable } from '../../src/conntrack/table.js';
import { formatEvent } from '../../src/format/conntrack.js';

const HOSTS = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];

interface Step {
  from: number;
  to: number;
  kind: number;
  port: number;
  flags: number;
  dt: number;
  drop: boolean;
  local: boolean;
}

function segment(s: Step): Segment | Uint8Array {
  switch (s.kind) {
    case 0:
      return udp({ sport: 1000 + s.port, dport: 53, payload: 'q' });
    case 1:
      return udp({ sport: 53, dport: 1000 + s.port, payload: 'answer' });
    case 2:
      return icmpEcho({ id: s.port, seq: 1, reply: s.flags % 2 === 1 });
    case 3:
      return tcp({ sport: 40000 + s.port, dport: 80, flags: ['S', 'SA', 'A', 'FA', 'R'][s.flags % 5]!, seq: 1000, ack: s.flags % 5 === 0 ? 0 : 5000 });
    case 4:
      return sctp({ sport: 5000, dport: 36412 + s.port, vtag: 0, chunks: [{ type: 1, data: new Uint8Array(16).fill(s.port + 1) }] });
    case 5:
      return gre({ version: 0 });
    default:
      return new Uint8Array([s.port, s.flags]);
  }
}

function packet(s: Step): PacketView {
  const payload = segment(s);
  const proto = payload instanceof Uint8Array ? 253 : undefined;
  return view(ipv4({ src: HOSTS[s.from]!, dst: HOSTS[s.to]!, payload, proto }));
}

const arbStep = fc.record({
  from: fc.nat({ max: 2 }),
  to: fc.nat({ max: 2 }),
  kind: fc.nat({ max: 6 }),
  port: fc.nat({ max: 3 }),
  flags: fc.nat({ max: 9 }),
  dt: fc.double({ min: 0, max: 40, noNaN: true }),
  drop: fc.boolean(),
  local: fc.boolean(),
});

/** Runs steps on a table from time `start`; returns the event lines and the end time. */
function play(table: ConntrackTable, steps: Step[], start: number): { lines: string[]; now: number } {
  const lines: string[] = [];
  const off = table.onEvent((ev) => lines.push(formatEvent(ev)));
  let now = start;
  for (const s of steps) {
    now += s.dt;
    const r = table.track(packet(s), s.local ? Hook.OUTPUT : Hook.PREROUTING, now);
    if (r.conn) {
      if (s.drop) table.discard(r.conn);
      else table.confirm(r.conn, now, r.dir);
    }
  }
  off();
  return { lines, now };
}

function listing(table: ConntrackTable, now: number): string[] {
  return [...table].map((c) => `${formatConntrack(c, now, { id: true })} | ${formatProc(c, now)}`);
}

test('a snapshot round-trips a table: same data, same listings, same future', () => {
  fc.assert(
    fc.property(fc.array(arbStep, { maxLength: 40 }), fc.array(arbStep, { maxLength: 10 }), fc.boolean(), (before, after, acct) => {
      const h = new Harness(settings({ acct, timestamp: !acct, udpTimeout: 30 }));
      const { now } = play(h.table, before, T0);
      const snap = toJSON(h.table, now);
      const restored = fromJSON(JSON.parse(JSON.stringify(snap)));
      assert.deepEqual(toJSON(restored, now), snap);
      assert.deepEqual(listing(restored, now), listing(h.table, now));
      assert.equal(restored.count, h.table.count);
      // The restored table behaves as the original from here on.
      const a = play(h.table, after, now);
      const b = play(restored, after, now);
      assert.deepEqual(b.lines, a.lines);
      assert.deepEqual(listing(restored, b.now), listing(h.table, a.now));
      assert.deepEqual(toJSON(restored, b.now).stats, toJSON(h.table, a.now).stats);
    }),
    { numRuns: 60 },
  );
});

test('a snapshot keeps masters, labels, marks, helpers and the GRE key map', () => {
  const h = new Harness(settings());
  const master = h.run(view(ipv4({ src: HOSTS[0]!, dst: HOSTS[1]!, payload: udp({ sport: 1, dport: 69 }) })), T0, {
    track: { helper: 'tftp' },
  }).conn!;
  master.setLabel(5);
  master.mark = 77;
  h.table.setExpectationLookup((t) => (t.dport === 1 ? { master, helper: null } : null));
  const child = h.run(view(ipv4({ src: HOSTS[1]!, dst: HOSTS[0]!, payload: udp({ sport: 9, dport: 1 }) })), T0 + 1).conn!;
  h.table.greKeymap.add(master, 0, child.orig);
  const restored = fromJSON(JSON.parse(JSON.stringify(toJSON(h.table, T0 + 2))));
  const [m, c] = [...restored];
  assert.equal(c!.master, m);
  assert.equal(m!.use, 2);
  assert.equal(m!.hasLabel(5), true);
  assert.equal(m!.mark, 77);
  assert.equal(m!.helperName, 'tftp');
  assert.equal(restored.greKeymap.lookup(c!.orig), child.orig.sport);
  assert.throws(() => fromJSON({ format: 'something else' }), /not a conntrack table snapshot/);
});
