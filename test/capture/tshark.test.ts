/**
 * Conformance with tshark: every capture under test/fixtures/capture/ (the pcapng test files of
 * gopacket, the captures dpkt ships, and the crafted ones of make-crafted.py) must read as tshark
 * read it (recorded in tshark.json by record-tshark.sh): same packets in the same order, timestamps to
 * the nanosecond, captured and original length, interface, flags, drop count, comments, bytes; and
 * a file tshark reports as broken must end in a CaptureError after the same packets.
 *
 * Two known differences, both checked precisely below:
 *  - tshark shows custom blocks (0x00000bad, 0x40000bad) as frames; they are not packets and the
 *    reader skips them.
 *  - tshark 4.0 names the interface of a packet in the second or later section after the
 *    interface with the same number counted from the start of the file (its local id looked up in
 *    the file-wide list); the reader uses the section's own interface, as the pcapng spec says.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError, CaptureReader, type CapturedPacket } from '../../src/capture/index.js';
import { FIXTURES } from './support.js';

interface TsharkPacket {
  number: number;
  section: number | null;
  interfaceId: number | null;
  interfaceName: string | null;
  epoch: string | null;
  caplen: number;
  len: number;
  flags: string | null;
  dropCount: number | null;
  comments: string[];
  customBlock: boolean;
  hex: string;
}

interface TsharkFile {
  error: string | null;
  packets: TsharkPacket[];
}

const recorded = JSON.parse(readFileSync(join(FIXTURES, 'tshark.json'), 'utf8')) as {
  tshark: string;
  files: Record<string, TsharkFile>;
};

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function epoch(p: CapturedPacket): string | null {
  return p.hasTimestamp ? `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}` : null;
}

/** Reads a fixture in 1000-byte chunks, keeping every packet and the error it ended with. */
function readFixture(rel: string): { packets: CapturedPacket[]; error: CaptureError | null; reader: CaptureReader } {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, rel)));
  const reader = new CaptureReader({ name: rel });
  const packets: CapturedPacket[] = [];
  try {
    for (let off = 0; off < bytes.length; off += 1000) {
      reader.push(bytes.subarray(off, off + 1000));
      for (let p = reader.next(); p !== null; p = reader.next()) packets.push(p.clone());
    }
    reader.end();
    for (let p = reader.next(); p !== null; p = reader.next()) packets.push(p.clone());
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    return { packets, error: e, reader };
  }
  return { packets, error: null, reader };
}

const files = Object.keys(recorded.files);

test('the fixtures cover the package test files and the crafted ones', () => {
  assert.ok(files.filter((f) => f.startsWith('gopacket/le/')).length >= 26);
  assert.ok(files.filter((f) => f.startsWith('gopacket/be/')).length >= 26);
  assert.ok(files.filter((f) => f.startsWith('dpkt/')).length >= 5);
  assert.ok(files.filter((f) => f.startsWith('crafted/')).length >= 15);
});

for (const rel of files) {
  test(`reads ${rel} as tshark does`, () => {
    const want = recorded.files[rel]!;
    const { packets, error, reader } = readFixture(rel);
    const expected = want.packets.filter((p) => !p.customBlock);
    if (want.error === null) assert.equal(error, null, `tshark read it whole, we failed: ${error?.message}`);
    else assert.ok(error !== null, `tshark failed (${want.error}), we did not`);
    assert.equal(packets.length, expected.length, 'packet count');
    const isPcapng = rel.endsWith('.pcapng');
    packets.forEach((p, i) => {
      const t = expected[i]!;
      const at = `packet ${p.index} (tshark frame ${t.number})`;
      assert.equal(epoch(p), t.epoch, `${at}: time`);
      assert.equal(p.caplen, t.caplen, `${at}: caplen`);
      assert.equal(p.origLen, t.len, `${at}: len`);
      assert.equal(hex(p.data), t.hex, `${at}: bytes`);
      assert.equal(p.flags, t.flags === null ? 0 : parseInt(t.flags, 16), `${at}: flags`);
      assert.equal(p.dropCount, t.dropCount ?? -1, `${at}: drop count`);
      assert.equal(p.comment, t.comments.length ? t.comments.join('\n') : null, `${at}: comment`);
      if (!isPcapng) return;
      assert.equal(p.section + 1, t.section, `${at}: section`);
      assert.equal(p.ifIndex, t.interfaceId, `${at}: interface id`);
      if (p.section === 0) assert.equal(p.ifName, t.interfaceName ?? null, `${at}: interface name`);
      else assert.equal(reader.interfaces[p.ifIndex]?.name ?? null, t.interfaceName ?? null, `${at}: tshark's name`);
    });
  });
}

test('the known differences do occur in the fixtures (so the exceptions above are needed)', () => {
  const custom = files.filter((f) => recorded.files[f]!.packets.some((p) => p.customBlock));
  assert.ok(custom.includes('gopacket/le/test017.pcapng'));
  const { packets } = readFixture('gopacket/le/test201.pcapng');
  const second = packets.find((p) => p.section === 1)!;
  assert.equal(second.ifName, 'silly ethernet interface 2');
  assert.equal(recorded.files['gopacket/le/test201.pcapng']!.packets[1]!.interfaceName, 'eth0');
});
