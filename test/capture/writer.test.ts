import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CaptureError,
  PcapngWriter,
  interfacesOf,
  readAll,
  writePcap,
  writePcapng,
  type Direction,
  type PacketWithInterface,
} from '../../src/capture/index.js';

const textArb = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\0'));

const ifaceArb = fc.record({ linktype: fc.integer({ min: 0, max: 0xffff }), name: fc.option(textArb) });

function packetArb(interfaces: number): fc.Arbitrary<PacketWithInterface & { direction: Direction; flags: number }> {
  return fc.record({
    ifIndex: fc.integer({ min: 0, max: interfaces - 1 }),
    tsSec: fc.integer({ min: 0, max: 2 ** 34 }),
    tsNsec: fc.integer({ min: 0, max: 999_999_999 }),
    data: fc.uint8Array({ maxLength: 300 }),
    origLen: fc.integer({ min: 0, max: 0xffffffff }),
    direction: fc.constantFrom<Direction>('in', 'out', 'unknown'),
    flags: fc.integer({ min: 0, max: 0x3fffffff }).map((f) => (f << 2) >>> 0),
    dropCount: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
    comment: fc.option(textArb),
    linktype: fc.constant(0),
    ifName: fc.constant(null),
  });
}

const fileArb = fc
  .array(ifaceArb, { minLength: 1, maxLength: 4 })
  .chain((ifaces) => fc.tuple(fc.constant(ifaces), fc.array(packetArb(ifaces.length), { maxLength: 20 }), fc.boolean()));

test('pcapng writer round trip: reading a written file gives back every field (property)', () => {
  fc.assert(
    fc.property(fileArb, ([ifaces, packets, littleEndian]) => {
      const withIface = packets.map((p) => ({ ...p, linktype: ifaces[p.ifIndex!]!.linktype, ifName: ifaces[p.ifIndex!]!.name }));
      const bytes = writePcapng(withIface, ifaces, { littleEndian });
      const back = readAll(bytes);
      assert.equal(back.length, packets.length);
      back.forEach((r, i) => {
        const p = withIface[i]!;
        const dirBits = p.direction === 'in' ? 1 : p.direction === 'out' ? 2 : 0;
        assert.deepEqual(
          [r.index, r.tsSec, r.tsNsec, r.hasTimestamp, r.ifIndex, r.ifName, r.linktype, r.caplen, r.origLen],
          [i + 1, p.tsSec, p.tsNsec, true, p.ifIndex, p.ifName, p.linktype, p.data.length, p.origLen],
        );
        assert.deepEqual([r.direction, r.flags, r.dropCount, r.comment], [p.direction, (p.flags | dirBits) >>> 0, p.dropCount, p.comment]);
        assert.deepEqual(r.data, p.data);
        assert.equal(r.iface!.unitsPerSecond, 1e9);
      });
    }),
    { numRuns: 200 },
  );
});

test('pcap writer round trip (nanosecond magic): timestamps, lengths, bytes, link type (property)', () => {
  const recordArb = fc.record({
    tsSec: fc.integer({ min: 0, max: 0xffffffff }),
    tsNsec: fc.integer({ min: 0, max: 999_999_999 }),
    data: fc.uint8Array({ maxLength: 300 }),
    origLen: fc.integer({ min: 0, max: 0xffffffff }),
  });
  fc.assert(
    fc.property(fc.array(recordArb, { maxLength: 20 }), fc.integer({ min: 0, max: 0xffff }), fc.boolean(), (recs, linktype, littleEndian) => {
      const back = readAll(writePcap(recs, { linktype, littleEndian }));
      assert.deepEqual(
        back.map((r) => [r.tsSec, r.tsNsec, r.caplen, r.origLen, r.linktype, Array.from(r.data)]),
        recs.map((p) => [p.tsSec, p.tsNsec, p.data.length, p.origLen, linktype, Array.from(p.data)]),
      );
      assert.ok(back.every((r) => r.iface!.unitsPerSecond === 1e9));
    }),
    { numRuns: 200 },
  );
});

test('writing what was read reproduces the records (read, write, read)', () => {
  const first = writePcapng(
    [
      { ifIndex: 0, linktype: 1, ifName: 'eth0', tsSec: 5, tsNsec: 6, data: Uint8Array.of(1, 2, 3), direction: 'in', comment: 'x' },
      { ifIndex: 1, linktype: 101, ifName: null, tsSec: 7, tsNsec: 8, data: Uint8Array.of(4), origLen: 40 },
    ],
  );
  const read1 = readAll(first);
  const read2 = readAll(writePcapng(read1));
  const strip = (rs: typeof read1): unknown[] =>
    rs.map((r) => [r.tsSec, r.tsNsec, r.ifIndex, r.ifName, r.linktype, r.origLen, r.direction, r.comment, Array.from(r.data)]);
  assert.deepEqual(strip(read2), strip(read1));
});

test('writer usage errors: undeclared interface, sparse or conflicting interfaces, bad timestamps', () => {
  const w = new PcapngWriter();
  w.header();
  assert.throws(() => w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(1) }), CaptureError);
  w.addInterface({ linktype: 1 });
  assert.throws(() => w.packet({ tsSec: -1, tsNsec: 0, data: new Uint8Array(1) }), /timestamp seconds -1/);
  assert.throws(() => w.packet({ tsSec: 0, tsNsec: 1e9, data: new Uint8Array(1) }), /nanoseconds 1000000000/);
  assert.throws(() => interfacesOf([{ ifIndex: 1, linktype: 1, tsSec: 0, tsNsec: 0, data: new Uint8Array(0) }]), /not dense/);
  assert.throws(
    () =>
      interfacesOf([
        { ifIndex: 0, linktype: 1, tsSec: 0, tsNsec: 0, data: new Uint8Array(0) },
        { ifIndex: 0, linktype: 2, tsSec: 0, tsNsec: 0, data: new Uint8Array(0) },
      ]),
    /disagree about interface 0/,
  );
  assert.throws(() => writePcap([{ tsSec: 2 ** 32, tsNsec: 0, data: new Uint8Array(0) }], { linktype: 1 }), /outside 0\.\.4294967295/);
});
