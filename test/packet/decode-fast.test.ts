/**
 * The decoder's fast path (common IPv4 / IPv6 + TCP / UDP / ICMP packets, decoded without a full
 * reset of the view) gives field for field what the general path gives, whatever the previous
 * packet decoded into the same view was; and decoding in place from an offset into a larger
 * buffer gives the same fields, shifted by the offset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as B from '../../src/packet/build.js';
import { decodeFrame, decodeFrameGeneral, decodeIp } from '../../src/packet/decode.js';
import { LinkType, PacketView } from '../../src/packet/view.js';
import { CaptureReader } from '../../src/capture/reader.js';

/** The shared kernel corpus beside the repository (../shared), when present. */
const SHARED_SCENARIOS = `${process.cwd()}/../shared/conformance/scenarios`;

/** Every data field of a view (the inner view too, when it is meaningful), offsets shifted by `shift`. */
function fields(v: PacketView, shift = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'buf' || k === 'inner' || k === 'decodedGroups') continue;
    if (val instanceof Uint32Array) out[k] = Array.from(val);
    else if (typeof val === 'number' && shift !== 0 && /Off$|^frameEnd$/.test(k) && val >= 0) out[k] = val - shift;
    else if (k === 'ipEnd' && shift !== 0 && v.l3Off >= 0) out[k] = (val as number) - shift;
    else out[k] = val;
  }
  if (v.icmpIsError && v.inner !== null) out['inner'] = fields(v.inner, shift);
  return out;
}

function ipCorpus(): Uint8Array[] {
  const opts = { mss: 1460, ts: [1, 2] as [number, number], sackPerm: true, wscale: 7 };
  const tcp4 = B.ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: B.tcp({ sport: 1, dport: 2, flags: 'S', options: opts }) });
  const tcp4data = B.ipv4({ src: '10.0.1.100', dst: '10.0.2.100', df: true, payload: B.tcp({ sport: 3, dport: 4, flags: 'PA', seq: 7, ack: 9, payload: new Uint8Array(40).fill(3) }) });
  const udp4 = B.ipv4({ src: '10.0.1.1', dst: '10.0.2.1', payload: B.udp({ sport: 53, dport: 1000, payload: new Uint8Array(20) }) });
  const icmp4 = B.ipv4({ src: '10.0.1.1', dst: '10.0.2.1', payload: B.icmpEcho({ id: 7, seq: 9, payload: new Uint8Array(16) }) });
  const tcp6 = B.ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: B.tcp({ sport: 5, dport: 6, flags: 'SA', options: opts }) });
  const udp6 = B.ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: B.udp({ sport: 5, dport: 6, payload: new Uint8Array(9) }) });
  const icmp6 = B.ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: B.icmpEcho({ id: 1, seq: 2, payload: new Uint8Array(4) }) });
  // NOP, NOP, timestamp alone (the fast path's own case, fields kept between such segments), and
  // the timestamp with SACK blocks after it (the general option walk)
  const tsOnly = { ts: [0x89abcdef, 0xfedcba98] as [number, number] };
  const tcp4ts = B.ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: B.tcp({ sport: 3, dport: 4, flags: '.', seq: 0xf0000001, ack: 0x80000002, options: tsOnly }) });
  const tcp4tsSack = B.ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: B.tcp({ sport: 3, dport: 4, flags: '.', options: { ts: [5, 6], sack: [[100, 200]] } }) });
  const tcp6ts = B.ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: B.tcp({ sport: 5, dport: 6, flags: 'PA', options: tsOnly, payload: new Uint8Array(3) }) });
  return [tcp4, tcp4data, udp4, icmp4, tcp6, udp6, icmp6, tcp4ts, tcp4tsSack, tcp6ts];
}

/** Decodes `frames` in order into one reused view (fast path) and one general view; compares each. */
function compareSequence(frames: readonly { data: Uint8Array; linktype: number }[], what: string): void {
  const fast = new PacketView();
  const slow = new PacketView();
  frames.forEach((f, i) => {
    decodeFrame(fast, f.data, f.linktype);
    decodeFrameGeneral(slow, f.data, f.linktype);
    assert.deepEqual(fields(fast), fields(slow), `${what}: frame ${i}`);
  });
}

test('fast path equals the general path over a varied sequence, including after other protocols', () => {
  const ips = ipCorpus();
  const frames: { data: Uint8Array; linktype: number }[] = [];
  for (const a of ips) {
    for (const b of ips) {
      frames.push({ data: B.ethernet({ payload: a }), linktype: LinkType.ETHERNET });
      frames.push({ data: b, linktype: LinkType.RAW });
      frames.push({ data: B.ethernet({ payload: b, vlans: [5] }), linktype: LinkType.ETHERNET });
    }
  }
  compareSequence(frames, 'corpus');
});

test('fast path equals the general path on random mutations of valid packets', () => {
  const ips = ipCorpus();
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          base: fc.nat(ips.length - 1),
          eth: fc.boolean(),
          cut: fc.nat(80),
          flips: fc.array(fc.tuple(fc.nat(120), fc.nat(255)), { maxLength: 4 }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
      (specs) => {
        const frames = specs.map((s) => {
          let ip = ips[s.base]!.slice();
          for (const [at, val] of s.flips) if (at < ip.length) ip[at] = val;
          if (s.cut > 0 && s.cut < ip.length) ip = ip.subarray(0, ip.length - s.cut);
          return s.eth ? { data: B.ethernet({ payload: ip }), linktype: LinkType.ETHERNET } : { data: ip, linktype: LinkType.RAW };
        });
        compareSequence(frames, 'mutations');
      },
    ),
    { numRuns: 3000 },
  );
});

test('decoding in place from an offset gives the same fields, offsets shifted', () => {
  const pad = 37;
  for (const ip of ipCorpus()) {
    const frame = B.ethernet({ payload: ip });
    const big = new Uint8Array(pad + frame.length + 11).fill(0xee);
    big.set(frame, pad);
    const a = decodeFrame(new PacketView(), frame, LinkType.ETHERNET);
    const b = decodeFrame(new PacketView(), big, LinkType.ETHERNET, pad, pad + frame.length);
    assert.deepEqual(fields(b, pad), fields(a));
    const c = decodeIp(new PacketView(), big, pad + 14, pad + frame.length);
    const d = decodeIp(new PacketView(), ip);
    assert.deepEqual(fields(c, pad + 14), fields(d));
    for (const lt of [LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL]) {
      const e = decodeFrame(new PacketView(), frame, lt);
      const f = decodeFrame(new PacketView(), big, lt, pad, pad + frame.length);
      assert.deepEqual(fields(f, pad), fields(e));
    }
  }
});

// Real traffic, when the benchmark capture or the conformance captures are on this machine.
const CAPTURES = [
  '/tmp/mixbench/mix.pcap',
  ...(existsSync(SHARED_SCENARIOS)
    ? readdirSync(SHARED_SCENARIOS).map((d) => `${SHARED_SCENARIOS}/${d}/capture.pcapng`)
    : []),
].filter((f) => existsSync(f));

test('fast path equals the general path on real captures', { skip: CAPTURES.length === 0 ? 'no captures here' : false }, () => {
  for (const file of CAPTURES) {
    const r = new CaptureReader({ name: file });
    r.push(new Uint8Array(readFileSync(file)));
    r.end();
    const fast = new PacketView();
    const slow = new PacketView();
    let n = 0;
    for (let p = r.next(); p !== null && n < 60000; p = r.next(), n++) {
      decodeFrame(fast, p.buf, p.linktype, p.offset, p.offset + p.caplen);
      decodeFrameGeneral(slow, p.data, p.linktype);
      assert.deepEqual(fields(fast, p.offset), fields(slow), `${file} packet ${p.index}`);
    }
  }
});
