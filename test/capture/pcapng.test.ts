import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureError, readAll } from '../../src/capture/index.js';
import {
  block,
  concat,
  epb,
  idb,
  opb,
  payload,
  shb,
  spb,
  text,
  u32Bytes,
  u64Bytes,
  Bytes,
  type Order,
} from './support.js';

function readError(bytes: Uint8Array): CaptureError {
  try {
    readAll(bytes, { name: 't.pcapng' });
  } catch (e) {
    assert.ok(e instanceof CaptureError, `expected a CaptureError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the read to fail');
}

for (const order of ['le', 'be'] as Order[]) {
  test(`pcapng ${order}: IDB options name, description, default microsecond resolution`, () => {
    const f = concat(
      shb(order, [[1, text('a comment')], [4, text('app')]]),
      idb(order, 1, 262144, [
        [2, text('eth0')],
        [3, text('uplink NIC')],
      ]),
      epb(order, 0, 1_700_000_000_123_456n, payload(1, 60)),
    );
    const [p, ...rest] = readAll(f);
    assert.equal(rest.length, 0);
    assert.equal(p!.tsSec, 1_700_000_000);
    assert.equal(p!.tsNsec, 123_456_000);
    assert.equal(p!.ifName, 'eth0');
    assert.equal(p!.iface!.description, 'uplink NIC');
    assert.equal(p!.iface!.snaplen, 262144);
    assert.equal(p!.iface!.unitsPerSecond, 1e6);
    assert.equal(p!.linktype, 1);
    assert.deepEqual(p!.data, payload(1, 60));
    assert.equal(p!.index, 1);
  });
}

test('pcapng: sections of both byte orders in one file, interfaces numbered per section', () => {
  const f = concat(
    shb('le'),
    idb('le', 1, 0, [[2, text('a')]]),
    idb('le', 101, 0, [[2, text('b')]]),
    epb('le', 1, 5_000_000n, payload(1, 20)),
    shb('be'),
    idb('be', 113, 0, [[2, text('c')]]),
    epb('be', 0, 7_000_000n, payload(2, 21)),
    shb('le'),
    idb('le', 1, 0),
    epb('le', 0, 9_000_001n, payload(3, 22)),
  );
  const ps = readAll(f);
  assert.deepEqual(
    ps.map((p) => [p.section, p.ifIndex, p.iface!.id, p.ifName, p.linktype, p.tsSec, p.tsNsec, p.caplen]),
    [
      [0, 1, 1, 'b', 101, 5, 0, 20],
      [1, 0, 2, 'c', 113, 7, 0, 21],
      [2, 0, 3, null, 1, 9, 1000, 22],
    ],
  );
  assert.deepEqual(ps[1]!.data, payload(2, 21));
});

test('pcapng: if_tsresol power of 10 and power of 2, if_tsoffset (positive and negative)', () => {
  const f = concat(
    shb('le'),
    idb('le', 1, 0, [[9, Uint8Array.of(9)]]),
    idb('le', 1, 0, [[9, Uint8Array.of(0x80 | 20)], [14, u64Bytes('le', 1000n)]]),
    idb('le', 1, 0, [[9, Uint8Array.of(3)], [14, u64Bytes('le', BigInt.asUintN(64, -3600n))]]),
    idb('le', 1, 0, [[9, Uint8Array.of(12)]]),
    epb('le', 0, 1_700_000_000_999_999_999n, payload(0, 4)),
    epb('le', 1, (5n << 20n) + 1n, payload(0, 4)),
    epb('le', 2, 1_700_000_000_123n, payload(0, 4)),
    epb('le', 3, 18_000_000_123_456_789_321n, payload(0, 4)), // picoseconds: BigInt path
  );
  const ps = readAll(f);
  assert.deepEqual(ps.map((p) => [p.tsSec, p.tsNsec]), [
    [1_700_000_000, 999_999_999],
    [1005, 953], // (2^20*5 + 1) / 2^20 s = 5.000000953674 s, floored to the ns
    [1_699_996_400, 123_000_000],
    [18_000_000, 123_456_789],
  ]);
  assert.equal(ps[1]!.iface!.unitsPerSecond, 2 ** 20);
  assert.equal(ps[1]!.iface!.tsOffset, 1000);
});

test('pcapng: epb_flags direction, several comments, epb_dropcount', () => {
  const f = concat(
    shb('be'),
    idb('be', 1, 0),
    epb('be', 0, 1n, payload(1, 10), 10, [[2, u32Bytes('be', 1)]]),
    epb('be', 0, 2n, payload(2, 10), 1514, [
      [2, u32Bytes('be', 2 | (4 << 5))],
      [1, text('first')],
      [1, text('second, ünïcode')],
      [4, u64Bytes('be', 42n)],
    ]),
    epb('be', 0, 3n, payload(3, 10), 10, [[2, u32Bytes('be', 3)]]),
    epb('be', 0, 4n, payload(4, 10)),
  );
  const ps = readAll(f);
  assert.deepEqual(ps.map((p) => p.direction), ['in', 'out', 'unknown', 'unknown']);
  assert.equal(ps[1]!.flags, 2 | (4 << 5));
  assert.equal(ps[1]!.comment, 'first\nsecond, ünïcode');
  assert.equal(ps[1]!.dropCount, 42);
  assert.equal(ps[1]!.origLen, 1514);
  assert.equal(ps[0]!.comment, null);
  assert.equal(ps[3]!.dropCount, -1);
});

test('pcapng: options padding, odd lengths, local and custom options, end of options optional', () => {
  const opts = new Bytes('le')
    .u16(2).u16(5).raw(text('eth10')).pad() // 5 bytes, 3 of padding
    .u16(0x8123).u16(1).u8(7).pad() // local option
    .u16(2988).u16(6).u32(32473).raw(text('xy')).pad() // custom string option
    .u16(3).u16(0); // empty description, no opt_endofopt
  const body = new Bytes('le').u16(1).u16(0).u32(0).raw(opts.out);
  const f = concat(shb('le'), block('le', 1, body.out), epb('le', 0, 0n, payload(1, 3)));
  const [p] = readAll(f);
  assert.equal(p!.ifName, 'eth10');
  assert.equal(p!.iface!.description, '');
  assert.deepEqual(p!.data, payload(1, 3));
});

test('pcapng: simple packet blocks use interface 0, snaplen cuts them, 0 means no limit', () => {
  const f = concat(
    shb('le'),
    idb('le', 1, 100, [[2, text('cut')]]),
    spb('le', 150, payload(1, 100)),
    spb('le', 60, payload(2, 60)),
    shb('be'),
    idb('be', 1, 0),
    spb('be', 70, payload(3, 70)),
  );
  const ps = readAll(f);
  assert.deepEqual(ps.map((p) => [p.caplen, p.origLen, p.hasTimestamp, p.tsSec, p.tsNsec, p.ifIndex]), [
    [100, 150, false, 0, 0, 0],
    [60, 60, false, 0, 0, 0],
    [70, 70, false, 0, 0, 0],
  ]);
  assert.equal(ps[0]!.ifName, 'cut');
  assert.deepEqual(ps[2]!.data, payload(3, 70));
});

test('pcapng: obsolete packet block with drops count and pack_flags', () => {
  const f = concat(
    shb('be'),
    idb('be', 1, 0),
    idb('be', 1, 0, [[2, text('second')]]),
    opb('be', 1, 3, 2_000_000n, payload(1, 30), [[2, u32Bytes('be', 2)], [1, text('old')]]),
    opb('be', 0, 0xffff, 3_000_000n, payload(2, 31)),
  );
  const ps = readAll(f);
  assert.deepEqual(ps.map((p) => [p.ifIndex, p.dropCount, p.direction, p.comment, p.tsSec, p.caplen]), [
    [1, 3, 'out', 'old', 2, 30],
    [0, -1, 'unknown', null, 3, 31],
  ]);
});

test('pcapng: NRB, ISB, DSB, custom, systemd, sysdig and unknown blocks are skipped by length', () => {
  const skipped = [
    block('le', 4, new Bytes('le').u16(1).u16(9).raw([10, 0, 0, 1]).raw(text('host')).u8(0).pad().u16(0).u16(0).out),
    block('le', 5, new Bytes('le').u32(0).u32(0).u32(0).u16(1).u16(2).raw(text('hi')).pad().u16(0).u16(0).out),
    block('le', 0x0a, new Bytes('le').u32(0x544c534b).u32(3).raw(text('abc')).pad().out),
    block('le', 0xbad, new Bytes('le').u32(32473).raw(text('custom')).out),
    block('le', 0x40000bad, new Bytes('le').u32(32473).out),
    block('le', 9, text('__REALTIME_TIMESTAMP=1\n')),
    block('le', 0x204, []),
    block('le', 0x80000001, payload(9, 17)),
  ];
  const f = concat(shb('le'), idb('le', 1, 0), ...skipped, epb('le', 0, 0n, payload(1, 5)), ...skipped);
  const ps = readAll(f);
  assert.equal(ps.length, 1);
  assert.deepEqual(ps[0]!.data, payload(1, 5));
});

test('pcapng: a total length that is not a multiple of 4 is rounded up (as Wireshark does)', () => {
  const e = epb('le', 0, 0n, payload(1, 5));
  // The EPB is 28 + 8 + 4 = 40 bytes; claim 37 in both copies.
  const patched = e.slice();
  patched.set(u32Bytes('le', 37), 4);
  patched.set(u32Bytes('le', 37), e.length - 4);
  const [p] = readAll(concat(shb('le'), idb('le', 1, 0), patched));
  assert.deepEqual(p!.data, payload(1, 5));
});

test('pcapng errors name the offset, the block and what was expected', () => {
  const head = concat(shb('le'), idb('le', 1, 0));
  const cases: [Uint8Array, string, number][] = [
    [concat(head, block('le', 6, [], 12)), 'enhanced packet block: total length 12 is shorter than the minimum 32', head.length + 4],
    [concat(head, epb('le', 2, 0n, payload(1, 4))), "interface id 2 is not less than the section's interface count 1", head.length + 8],
    [concat(shb('le'), spb('le', 4, payload(1, 4))), 'simple packet block: comes before any interface description block', 28],
    [concat(shb('le'), block('le', 1, [1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 0, 6, 0, 0, 0])), 'option 9 has length 2, expected 1', 44],
    [concat(shb('le'), idb('le', 1, 0, [[9, Uint8Array.of(20)]])), 'if_tsresol 0x14 is finer than', 44],
    [concat(head, epb('le', 0, 0n, payload(1, 4), 4, [[2, Uint8Array.of(1, 0)]])), 'option 2 has length 2, expected 4', head.length + 32],
    [concat(shb('le', [], [2, 0])), 'section header block: version 2.0 is not supported', 12],
    [concat(shb('le', [], [1, 1])), 'version 1.1 is not supported', 12],
  ];
  for (const [bytes, message, offset] of cases) {
    const e = readError(bytes);
    assert.ok(e.message.includes(message), `${e.message} should include ${message}`);
    assert.equal(e.offset, offset, e.message);
    assert.ok(e.message.startsWith(`t.pcapng: byte ${offset}: `), e.message);
    assert.ok(!e.message.includes('\n'));
  }
});

test('pcapng: trailer length mismatch, bad byte-order magic, caplen past the block, oversized block', () => {
  const head = concat(shb('le'), idb('le', 1, 0));
  const good = epb('le', 0, 0n, payload(1, 8));
  const badTrailer = good.slice();
  badTrailer.set(u32Bytes('le', 100), good.length - 4);
  let e = readError(concat(head, badTrailer));
  assert.equal(e.kind, 'malformed');
  assert.match(e.message, /total length at the end \(100\) differs from the one at the start \(40\)/);
  assert.equal(e.block, `pcapng block type 0x00000006 at byte ${head.length}`);

  const badMagic = shb('le').slice();
  badMagic.set([1, 2, 3, 4], 8);
  e = readError(badMagic);
  assert.match(e.message, /byte 8: section header block: byte-order magic 0x01020304 is neither/);

  const overCap = good.slice();
  overCap.set(u32Bytes('le', 200), 20);
  e = readError(concat(head, overCap));
  assert.match(e.message, /total length 40 is too small for 200 bytes of packet data/);

  const huge = block('le', 6, [], 0x7ffffff0);
  e = readError(concat(head, huge.subarray(0, 12)));
  assert.match(e.message, /total length 2147483632 is larger than the maximum 16777216/);
});
