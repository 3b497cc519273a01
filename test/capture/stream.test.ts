import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CaptureError, CaptureReader, forEachPacket, readAll, type CapturedPacket } from '../../src/capture/index.js';
import { TsParams } from '../../src/capture/timestamp.js';
import { concat, epb, idb, opb, payload, pcapFile, shb, spb, text, u32Bytes, block, type Order } from './support.js';

/** Everything a packet record says, as plain data. */
function summary(p: CapturedPacket): unknown[] {
  return [
    p.index, p.tsSec, p.tsNsec, p.hasTimestamp, p.ifIndex, p.ifName, p.section, p.linktype,
    p.caplen, p.origLen, p.flags, p.direction, p.dropCount, p.comment, Array.from(p.data),
  ];
}

/** A pcapng file from a list of packet sizes: sections alternate byte order, all block kinds appear. */
function pcapngFile(sizes: readonly number[]): Uint8Array {
  const parts: Uint8Array[] = [shb('le'), idb('le', 1, 0)];
  sizes.forEach((size, i) => {
    const order: Order = Math.floor(i / 3) % 2 === 0 ? 'le' : 'be';
    if (i % 3 === 0) {
      parts.push(shb(order, [[1, text(`section ${i}`)]]), idb(order, 1, 0, [[2, text('a')]]), idb(order, 101, 64, [[9, Uint8Array.of(9)]]));
    }
    const data = payload(i, size);
    switch (i % 4) {
      case 0:
        parts.push(epb(order, i % 2, BigInt(i) * 1_000_003n, data, size + 1, [[2, u32Bytes(order, 1 + (i % 2))], [1, text(`c${i}`)]]));
        break;
      case 1:
        parts.push(block(order, 5, new Array(12).fill(0)), epb(order, 1, BigInt(i) << 33n, data));
        break;
      case 2:
        parts.push(spb(order, size, data));
        break;
      default:
        parts.push(opb(order, 0, i, BigInt(i), data, [[1, text('ob')]]));
    }
  });
  return concat(...parts);
}

function classicFile(sizes: readonly number[]): Uint8Array {
  return pcapFile('be', 0xa1b23c4d, sizes.map((size, i) => ({ sec: i * 7, frac: i * 999, data: payload(i, size) })));
}

const sizesArb = fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 0, maxLength: 12 });
const fileArb = fc.oneof(sizesArb.map(pcapngFile), sizesArb.map(classicFile));

/** Reads `bytes` pushed as the given chunks, pulling after every push. */
function readChunked(bytes: Uint8Array, cuts: readonly number[]): unknown[][] {
  const r = new CaptureReader();
  const out: unknown[][] = [];
  const pull = (): void => {
    for (let p = r.next(); p !== null; p = r.next()) out.push(summary(p));
  };
  let prev = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    r.push(bytes.subarray(prev, cut));
    pull();
    prev = cut;
  }
  r.push(bytes.subarray(prev));
  r.end();
  pull();
  return out;
}

test('any split of the input into chunks gives the same packets (property)', () => {
  fc.assert(
    fc.property(
      fileArb.chain((bytes) => fc.tuple(fc.constant(bytes), fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }))),
      ([bytes, cuts]) => {
        const whole = readAll(bytes).map(summary);
        assert.deepEqual(readChunked(bytes, cuts), whole);
      },
    ),
    { numRuns: 300 },
  );
});

test('one byte at a time gives the same packets', () => {
  const bytes = pcapngFile([60, 0, 1, 1514, 3, 77, 200, 5]);
  const cuts = Array.from({ length: bytes.length }, (_, i) => i);
  assert.deepEqual(readChunked(bytes, cuts), readAll(bytes).map(summary));
  assert.equal(readAll(bytes).length, 8);
});

test('a file cut at any byte ends in a truncation error naming that byte, after the whole packets before it (property)', () => {
  fc.assert(
    fc.property(fileArb, (bytes) => {
      const full = readAll(bytes).map(summary);
      for (let k = 0; k < bytes.length; k++) {
        const got: unknown[][] = [];
        const r = new CaptureReader({ name: 'cut' });
        r.push(bytes.subarray(0, k));
        r.end();
        try {
          for (let p = r.next(); p !== null; p = r.next()) got.push(summary(p));
          // A clean end is only possible at a unit boundary, with every unit before it consumed.
          assert.equal(r.position, k, `clean end at ${k} must be a unit boundary`);
          assert.deepEqual(got, full.slice(0, got.length));
        } catch (e) {
          assert.ok(e instanceof CaptureError, String(e));
          assert.equal(e.offset, k, e.message);
          assert.ok(e.message.startsWith(`cut: byte ${k}: `), e.message);
          assert.equal(e.kind, k === 0 ? 'format' : 'truncated', e.message);
          assert.deepEqual(got, full.slice(0, got.length));
          assert.throws(() => r.next(), (again: unknown) => again === e, 'the error is sticky');
        }
      }
    }),
    { numRuns: 40 },
  );
});

test('truncation messages say which unit and how much of it is there', () => {
  const bytes = pcapngFile([100, 100]);
  const first = readAll(bytes);
  assert.equal(first.length, 2);
  const cut = bytes.length - 30;
  assert.throws(
    () => readAll(bytes.subarray(0, cut), { name: 'f.pcapng' }),
    (e: unknown) =>
      e instanceof CaptureError &&
      e.message === `f.pcapng: byte ${cut}: enhanced packet block: file ends after 102 of its 132 bytes (it starts at byte ${cut - 102})`,
  );
  assert.throws(
    () => readAll(classicFile([10]).subarray(0, 30), { name: 'f.pcap' }),
    /f\.pcap: byte 30: pcap record 1 header: file ends after 6 of its 16 bytes \(it starts at byte 24\)/,
  );
});

test('memory stays bounded: the reader holds at most one chunk plus one block', () => {
  const sizes = Array.from({ length: 3000 }, (_, i) => (i * 37) % 1515);
  const bytes = pcapngFile(sizes);
  const chunk = 4096;
  const r = new CaptureReader();
  let n = 0;
  let maxBuffered = 0;
  for (let off = 0; off < bytes.length; off += chunk) {
    r.push(bytes.subarray(off, off + chunk));
    maxBuffered = Math.max(maxBuffered, r.buffered);
    for (let p = r.next(); p !== null; p = r.next()) n++;
  }
  r.end();
  for (let p = r.next(); p !== null; p = r.next()) n++;
  assert.equal(n, sizes.length);
  assert.ok(maxBuffered <= chunk + 1600, `buffered up to ${maxBuffered} bytes`);
});

test('the reused record is valid until the next call; clone() keeps scratch bytes', () => {
  const bytes = classicFile([50, 50, 50]);
  const r = new CaptureReader();
  const kept: CapturedPacket[] = [];
  for (let off = 0; off < bytes.length; off += 7) {
    r.push(bytes.subarray(off, off + 7));
    for (let p = r.next(); p !== null; p = r.next()) kept.push(p.clone());
  }
  r.end();
  assert.equal(r.next(), null);
  assert.deepEqual(kept.map((p) => Array.from(p.data)), [0, 1, 2].map((i) => Array.from(payload(i, 50))));
  assert.throws(() => r.push(new Uint8Array(1)), /push\(\) after end\(\)/);
});

test('forEachPacket reads an async sequence of chunks', async () => {
  const bytes = pcapngFile([10, 20, 30, 40]);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < bytes.length; off += 13) yield bytes.subarray(off, off + 13);
  }
  const seen: unknown[][] = [];
  const r = await forEachPacket(chunks(), (p) => seen.push(summary(p)));
  assert.deepEqual(seen, readAll(bytes).map(summary));
  assert.equal(r.packetCount, 4);
  assert.equal(r.format, 'pcapng');
  await assert.rejects(forEachPacket((async function* () { yield bytes.subarray(0, bytes.length - 1); })(), () => {}), CaptureError);
});

test('timestamp conversion is exact for every resolution (property, against BigInt)', () => {
  const resol = fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 63 }).map((n) => 0x80 | n));
  fc.assert(
    fc.property(resol, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: -1e9, max: 1e9 }), (r, t, offset) => {
      const params = TsParams.fromTsresol(r, offset);
      const units = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
      const out = { tsSec: 0, tsNsec: 0 };
      const ok = params.convert(Number(t >> 32n), Number(t & 0xffffffffn), out);
      const sec = t / units;
      if (sec > BigInt(Number.MAX_SAFE_INTEGER)) {
        assert.equal(ok, false);
        return;
      }
      assert.equal(ok, true);
      assert.equal(out.tsSec, Number(sec) + offset);
      assert.equal(out.tsNsec, Number(((t % units) * 1_000_000_000n) / units));
    }),
    { numRuns: 3000 },
  );
});

test('timestamp conversion stays exact across a sequence (the per-second cache), for every resolution (property)', () => {
  const resol = fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 63 }).map((n) => 0x80 | n));
  const step = fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: -(1n << 33n), max: 1n << 33n }));
  fc.assert(
    fc.property(resol, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.array(step, { maxLength: 30 }), (r, start, steps) => {
      const params = TsParams.fromTsresol(r, 0);
      const units = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
      let t = start;
      for (const d of [0n, ...steps]) {
        t = BigInt.asUintN(64, t + d);
        const out = { tsSec: 0, tsNsec: 0 };
        const ok = params.convert(Number(t >> 32n), Number(t & 0xffffffffn), out);
        if (t / units > BigInt(Number.MAX_SAFE_INTEGER)) {
          assert.equal(ok, false);
          continue;
        }
        assert.equal(ok, true);
        assert.deepEqual([out.tsSec, out.tsNsec], [Number(t / units), Number(((t % units) * 1_000_000_000n) / units)]);
      }
    }),
    { numRuns: 2000 },
  );
});

