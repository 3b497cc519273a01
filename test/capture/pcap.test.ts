import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureError, CaptureReader, readAll } from '../../src/capture/index.js';
import { Bytes, concat, payload, pcapFile, type Order } from './support.js';

const MAGICS: [number, string, number][] = [
  [0xa1b2c3d4, 'microsecond', 1000],
  [0xa1b23c4d, 'nanosecond', 1],
];

for (const order of ['le', 'be'] as Order[]) {
  for (const [magic, name, nsPerUnit] of MAGICS) {
    test(`pcap ${name} magic, ${order}: timestamps, lengths, link type, bytes`, () => {
      const records = [
        { sec: 1_700_000_000, frac: 123_456, data: payload(1, 60) },
        { sec: 1_700_000_001, frac: 999_999, data: payload(2, 1514), orig: 9000 },
        { sec: 0, frac: 0, data: payload(3, 0), orig: 40 },
      ];
      const ps = readAll(pcapFile(order, magic, records, 113));
      assert.deepEqual(
        ps.map((p) => [p.index, p.tsSec, p.tsNsec, p.caplen, p.origLen, p.linktype, p.ifIndex, p.ifName, p.direction]),
        [
          [1, 1_700_000_000, 123_456 * nsPerUnit, 60, 60, 113, 0, null, 'unknown'],
          [2, 1_700_000_001, 999_999 * nsPerUnit, 1514, 9000, 113, 0, null, 'unknown'],
          [3, 0, 0, 0, 40, 113, 0, null, 'unknown'],
        ],
      );
      assert.deepEqual(ps[1]!.data, payload(2, 1514));
      assert.equal(ps[0]!.iface!.unitsPerSecond, nsPerUnit === 1 ? 1e9 : 1e6);
    });
  }
}

test('pcap: the fraction is carried into seconds when out of range', () => {
  const us = readAll(pcapFile('le', 0xa1b2c3d4, [{ sec: 1000, frac: 1_500_000, data: payload(1, 4) }]));
  assert.deepEqual([us[0]!.tsSec, us[0]!.tsNsec], [1001, 500_000_000]);
  const ns = readAll(pcapFile('be', 0xa1b23c4d, [{ sec: 1000, frac: 2_000_000_001, data: payload(1, 4) }]));
  assert.deepEqual([ns[0]!.tsSec, ns[0]!.tsNsec], [1002, 1]);
});

test('pcap: versions before 2.3 store original then captured length; 2.3 only when they look swapped', () => {
  const swapped = (version: [number, number], incl: number, orig: number): [number, number] => {
    const b = new Bytes('le').u32(0xa1b2c3d4).u16(version[0]).u16(version[1]).u32(0).u32(0).u32(65535).u32(1);
    b.u32(1).u32(0).u32(incl).u32(orig).raw(payload(1, Math.min(incl, orig)));
    const [p] = readAll(b.bytes());
    return [p!.caplen, p!.origLen];
  };
  assert.deepEqual(swapped([2, 2], 100, 60), [60, 100]);
  assert.deepEqual(swapped([2, 3], 100, 60), [60, 100]);
  assert.deepEqual(swapped([2, 3], 60, 100), [60, 100]);
  assert.deepEqual(swapped([2, 4], 60, 100), [60, 100]);
});

test('pcap: FCS length bits of the network field, snaplen kept', () => {
  const b = new Bytes('le').u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(96).u32(1 | 0x04000000 | (2 << 28));
  const r = new CaptureReader();
  r.push(b.bytes());
  r.end();
  assert.equal(r.next(), null);
  assert.equal(r.format, 'pcap');
  assert.deepEqual(
    r.interfaces.map((i) => [i.linktype, i.fcsLen, i.snaplen]),
    [[1, 32, 96]],
  );
});

test('pcap: errors for an unknown magic, gzip, modified pcap, old version, huge packet, empty file', () => {
  const cases: [Uint8Array, string, string][] = [
    [Uint8Array.of(1, 2, 3, 4, 5, 6), 'byte 0: file header: magic 0x01020304 is not a pcap or pcapng magic', 'format'],
    [Uint8Array.of(0x1f, 0x8b, 8, 0), 'gzip-compressed', 'format'],
    [Uint8Array.of(0xa1, 0xb2, 0xcd, 0x34, 0, 2, 0, 4), 'modified (Kuznetzov) pcap', 'unsupported'],
    [pcapFile('le', 0xa1b2c3d4, [], 1, [1, 0]), 'byte 4: pcap file header: version 1.0 is not supported', 'unsupported'],
    [
      concat(pcapFile('le', 0xa1b2c3d4, []), new Bytes('le').u32(0).u32(0).u32(300000).u32(300000).bytes()),
      'byte 32: pcap record 1: captured length 300000 is larger than the maximum 262144',
      'malformed',
    ],
    [new Uint8Array(0), 'byte 0: file header: the file is empty', 'format'],
    [Uint8Array.of(0xd4, 0xc3), 'byte 2: file header: the file ends after 2 bytes', 'truncated'],
  ];
  for (const [bytes, message, kind] of cases) {
    assert.throws(
      () => readAll(bytes, { name: 'x.pcap' }),
      (e: unknown) => e instanceof CaptureError && e.message.startsWith('x.pcap: ') && e.message.includes(message) && e.kind === kind,
      message,
    );
  }
});

test('pcap: a larger maxPacketLength admits larger packets', () => {
  const f = pcapFile('le', 0xa1b2c3d4, [{ sec: 1, frac: 0, data: payload(1, 300000) }]);
  assert.throws(() => readAll(f), CaptureError);
  const [p] = readAll(f, { maxPacketLength: 1 << 20 });
  assert.equal(p!.caplen, 300000);
});
