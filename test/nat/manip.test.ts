/**
 * Packet rewriting (src/nat/manip.ts): after any source or destination translation of a TCP,
 * UDP, UDP-Lite, SCTP, ICMP or ICMPv6 packet, IPv4 or IPv6, every checksum the incremental
 * updates produced equals a full recomputation; UDP without a checksum keeps none; quoted
 * headers cut at 8 bytes keep their checksum; short packets are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { hookManip, Manip, manipPacket, type ExtWalk } from '../../src/nat/manip.js';
import { Hook, type CtTupleLike } from '../../src/netfilter/context.js';
import { icmpEcho, icmpv6Echo, ipv4, ipv6, sctp, tcp, udp, udplite, gre, type Segment } from '../../src/packet/build.js';
import { verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView, Proto, addrString } from '../../src/packet/view.js';
import { parseIp } from '../../src/packet/addr.js';

const walk = (): ExtWalk => ({ off: -1, nexthdr: 0, fragOff: 0 });

function tuple(family: 4 | 6, proto: number, src: string, dst: string, sport: number, dport: number): CtTupleLike {
  return { family, proto, src: parseIp(src).words, dst: parseIp(dst).words, sport, dport };
}

function view(b: Uint8Array): PacketView {
  return decodeIp(new PacketView(), b);
}

const word = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 0xffff });
const v4addr = word.map((w) => `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`);
const v6addr = fc.tuple(word, word, word, word).map((w) => addrString(6, Uint32Array.from(w)));
const payload = fc.uint8Array({ maxLength: 40 });

type Kind = 'tcp' | 'udp' | 'udplite' | 'sctp' | 'icmp';

function segment(kind: Kind, family: 4 | 6, sport: number, dport: number, data: Uint8Array): Segment {
  switch (kind) {
    case 'tcp':
      return tcp({ sport, dport, seq: 1, flags: 'PA', payload: data });
    case 'udp':
      return udp({ sport, dport, payload: data });
    case 'udplite':
      return udplite({ sport, dport, payload: data });
    case 'sctp':
      return sctp({ sport, dport, vtag: 7, chunks: [{ type: 0, data }] });
    case 'icmp':
      return family === 4 ? icmpEcho({ id: sport, seq: 3, payload: data }) : icmpv6Echo({ id: sport, seq: 3, payload: data });
  }
}

function protoOf(kind: Kind, family: 4 | 6): number {
  const map: Record<Kind, number> = { tcp: Proto.TCP, udp: Proto.UDP, udplite: Proto.UDPLITE, sctp: Proto.SCTP, icmp: family === 4 ? Proto.ICMP : Proto.ICMPV6 };
  return map[kind];
}

const kinds = fc.constantFrom<Kind>('tcp', 'udp', 'udplite', 'sctp', 'icmp');

for (const family of [4, 6] as const) {
  test(`IPv${family}: incremental checksums after translation equal a full recomputation`, () => {
    const addr = family === 4 ? v4addr : v6addr;
    fc.assert(
      fc.property(kinds, addr, addr, addr, port, port, port, payload, fc.boolean(), (kind, s, d, n, sp, dp, np, data, src) => {
        const seg = segment(kind, family, sp, dp, data);
        const bytes = family === 4 ? ipv4({ src: s, dst: d, payload: seg }) : ipv6({ src: s, dst: d, payload: seg });
        const proto = protoOf(kind, family);
        const t = src ? tuple(family, proto, n, d, np, dp) : tuple(family, proto, s, n, sp, np);
        assert.ok(manipPacket(bytes, 0, bytes.length, t, src ? Manip.SRC : Manip.DST, walk()));
        const v = view(bytes);
        if (family === 4) assert.ok(verifyIpv4Header(v.buf, 0, v.ipHdrLen));
        assert.ok(verifyL4Checksum(v), `${kind} checksum`);
        assert.equal(src ? v.srcString() : v.dstString(), addrString(family, parseIp(n).words));
        if (kind === 'icmp') assert.equal(v.icmpId, src ? np : sp);
        else assert.equal(src ? v.sport : v.dport, np);
      }),
      { numRuns: 400 },
    );
  });
}

test('UDP over IPv4 without a checksum keeps none; a computed 0 is sent as 0xffff', () => {
  const b = ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: udp({ sport: 1000, dport: 53, payload: 'x', checksum: 0 }) });
  assert.ok(manipPacket(b, 0, b.length, tuple(4, Proto.UDP, '203.0.113.1', '198.51.100.1', 2000, 53), Manip.SRC, walk()));
  const v = view(b);
  assert.equal(v.l4Checksum, 0);
  assert.equal(v.srcString(), '203.0.113.1');
  assert.equal(v.sport, 2000);
  // Find a translation whose correct checksum is 0: the rewrite must write 0xffff instead.
  let found = false;
  for (let p = 0; p < 0x10000 && !found; p++) {
    const c = ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: udp({ sport: 1000, dport: 53, payload: 'ab' }) });
    manipPacket(c, 0, c.length, tuple(4, Proto.UDP, '10.0.1.2', '198.51.100.1', p, 53), Manip.SRC, walk());
    const w = view(c);
    if (w.l4Checksum === 0xffff) {
      found = true;
      assert.ok(verifyL4Checksum(w));
    }
    assert.notEqual(w.l4Checksum, 0);
  }
  assert.ok(found);
});

test('a TCP header cut at 8 bytes (an ICMP quote) gets its port but keeps its checksum', () => {
  const full = ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: tcp({ sport: 1000, dport: 80 }) });
  const cut = full.slice(0, 28);
  const before = cut.slice(24, 28);
  assert.ok(manipPacket(cut, 0, cut.length, tuple(4, Proto.TCP, '203.0.113.1', '198.51.100.1', 4000, 80), Manip.SRC, walk()));
  assert.deepEqual([cut[20], cut[21]], [4000 >> 8, 4000 & 255]);
  assert.deepEqual(cut.slice(24, 28), before, 'sequence number untouched');
  assert.ok(verifyIpv4Header(cut, 0, 20));
});

test('too short for the transport header: refused (the kernel drops)', () => {
  const b = ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: udp({ sport: 1, dport: 2 }) }).slice(0, 25);
  b[3] = 25;
  assert.equal(manipPacket(b, 0, b.length, tuple(4, Proto.UDP, '203.0.113.1', '198.51.100.1', 1, 2), Manip.SRC, walk()), false);
});

test('GRE: version 1 gets the destination key as call id on DST manip, version 0 only addresses', () => {
  const v1 = ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: gre({ version: 1, callId: 5, payload: 'ppp' }) });
  assert.ok(manipPacket(v1, 0, v1.length, tuple(4, Proto.GRE, '10.0.1.2', '10.0.2.9', 0, 777), Manip.DST, walk()));
  assert.equal((v1[26]! << 8) | v1[27]!, 777);
  assert.equal(view(v1).dstString(), '10.0.2.9');
  const v0 = ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: gre({ key: 9, payload: 'x' }) });
  const copy = v0.slice(20);
  assert.ok(manipPacket(v0, 0, v0.length, tuple(4, Proto.GRE, '203.0.113.1', '198.51.100.1', 0, 0), Manip.SRC, walk()));
  assert.deepEqual(v0.slice(20), copy);
  const bad = v1.slice();
  bad[21] = (bad[21]! & ~7) | 2;
  assert.equal(manipPacket(bad, 0, bad.length, tuple(4, Proto.GRE, '10.0.1.2', '10.0.2.9', 0, 1), Manip.DST, walk()), false);
});

test('protocols without NAT support (DCCP in 6.18, ESP, ...) get their address only', () => {
  const data = new Uint8Array([0, 80, 0, 81, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const b = ipv4({ src: '10.0.1.2', dst: '198.51.100.1', proto: Proto.DCCP, payload: data });
  assert.ok(manipPacket(b, 0, b.length, tuple(4, Proto.DCCP, '203.0.113.1', '198.51.100.1', 0, 0), Manip.SRC, walk()));
  assert.deepEqual(b.slice(20), data);
  assert.equal(view(b).srcString(), '203.0.113.1');
});

test('IPv6: the transport header behind extension headers; none in a later fragment', () => {
  const b = ipv6({ src: 'fd00:1::2', dst: '2001:db8::1', ext: [{ type: 'hop' }, { type: 'dst' }], payload: tcp({ sport: 1000, dport: 80 }) });
  assert.ok(manipPacket(b, 0, b.length, tuple(6, Proto.TCP, 'fd00:3::1', '2001:db8::1', 5000, 80), Manip.SRC, walk()));
  const v = view(b);
  assert.equal(v.sport, 5000);
  assert.ok(verifyL4Checksum(v));
  const frag = ipv6({ src: 'fd00:1::2', dst: '2001:db8::1', ext: [{ type: 'fragment', offset: 64, id: 1 }], proto: Proto.TCP, payload: new Uint8Array(16).fill(7) });
  assert.ok(manipPacket(frag, 0, frag.length, tuple(6, Proto.TCP, 'fd00:3::1', '2001:db8::1', 5000, 80), Manip.SRC, walk()));
  assert.deepEqual(frag.slice(48), new Uint8Array(16).fill(7));
  assert.equal(view(frag).srcString(), 'fd00:3::1');
});

test('HOOK2MANIP: source at POSTROUTING and INPUT, destination at PREROUTING and OUTPUT', () => {
  assert.equal(hookManip(Hook.POSTROUTING), Manip.SRC);
  assert.equal(hookManip(Hook.INPUT), Manip.SRC);
  assert.equal(hookManip(Hook.PREROUTING), Manip.DST);
  assert.equal(hookManip(Hook.OUTPUT), Manip.DST);
});
