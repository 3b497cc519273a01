/**
 * The snmp_trap helper (nf_nat_snmp_basic) and the snmp helper's NAT hook: the BER decoder with
 * the kernel grammar's quirks (which PDUs, the unconditional alternatives, lengths, tags), the
 * incremental checksum (parities, the zero result), and through a MASQUERADE / DNAT router: the
 * rewritten IpAddress values, the port rules, the drops, the untouched non-NAT traffic; fuzzed
 * with garbled messages (never throws, only the address windows change, the checksum stays
 * right).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { findHelper, helperRefusal, knownHelpers } from '../../src/helpers/index.js';
import { decodeSnmp, EMSGSIZE, type SnmpBerActions } from '../../src/helpers/snmp-ber.js';
import { snmpCsumUpdate } from '../../src/helpers/snmp-trap.js';
import { loadNft } from '../../src/nft/load.js';
import { internetChecksum, verifyL4Checksum } from '../../src/packet/checksum.js';
import { ipv4, udp } from '../../src/packet/build.js';
import { LinkType, Proto } from '../../src/packet/view.js';
import { helperHost } from './harness.js';
import { dgram, HOST_JSON, Router, sent, T0 } from './support.js';

// ---------------------------------------------------------------------------------------- BER

type B = Uint8Array | number[];
const cat = (...parts: B[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const tlv = (tag: number, ...content: B[]): Uint8Array => {
  const c = cat(...content);
  const len = c.length < 128 ? [c.length] : c.length < 256 ? [0x81, c.length] : [0x82, c.length >> 8, c.length & 255];
  return cat([tag], len, c);
};
const indef = (tag: number, ...content: B[]): Uint8Array => cat([tag, 0x80], ...content, [0, 0]);
const seq = (...p: B[]): Uint8Array => tlv(0x30, ...p);
const int = (v: number): Uint8Array => tlv(0x02, [v]);
const str = (s: string): Uint8Array => tlv(0x04, [...Buffer.from(s, 'latin1')]);
const oid = (...v: number[]): Uint8Array => tlv(0x06, v);
const ip = (a: string): Uint8Array => tlv(0x40, a.split('.').map(Number));
const nul = (): Uint8Array => tlv(0x05, []);
const vb = (n: number, value: Uint8Array): Uint8Array => seq(oid(0x2b, 6, 1, n), value);
const pdu = (tag: number, ...vbs: Uint8Array[]): Uint8Array => tlv(0xa0 | tag, int(1), int(0), int(0), seq(...vbs));
const msg = (version: number, p: Uint8Array): Uint8Array => seq(int(version), str('public'), p);

const C = '10.0.1.100';
const W = '198.51.100.150';
const R_WAN = '203.0.113.1';

/** Decodes `m`, recording the IpAddress values (offset, dotted text) the decoder showed. */
function decode(m: Uint8Array): { result: number; error: string; ips: string[]; versions: number[] } {
  const ips: string[] = [];
  const versions: number[] = [];
  const actions: SnmpBerActions = {
    version: (off, len) => {
      versions.push(len === 1 ? m[off]! : -1);
      return len !== 1 ? -22 : m[off]! > 1 ? -524 : 1;
    },
    ipAddress: (off, len) => {
      if (len !== 4) return -22;
      ips.push(`${off}:${[...m.subarray(off, off + 4)].join('.')}`);
      return 1;
    },
  };
  return { ...decodeSnmp(m, 0, m.length, actions), ips, versions };
}

test('BER: v1 / v2c messages with every PDU of the grammar decode; IpAddress values reach the action', () => {
  for (const tag of [0, 1, 2, 3, 5, 6, 7, 8]) {
    const m = msg(1, pdu(tag, vb(2, int(5)), vb(3, ip(C)), vb(4, nul())));
    const r = decode(m);
    assert.equal(r.result, 0, `PDU [${tag}]: ${r.error}`);
    assert.deepEqual(r.versions, [1]);
    assert.equal(r.ips.length, 1);
    assert.match(r.ips[0]!, /:10\.0\.1\.100$/);
  }
  // every value type, and the three exceptions
  const all = msg(0, pdu(2, vb(1, int(1)), vb(2, str('x')), vb(3, oid(0x2b)), vb(4, ip(W)), vb(5, tlv(0x41, [1])), vb(6, tlv(0x42, [1])), vb(7, tlv(0x43, [1])), vb(8, tlv(0x44, [0x40, 4, 1, 2, 3, 4])), vb(9, tlv(0x46, [1])), vb(10, nul()), vb(11, tlv(0x80, [])), vb(12, tlv(0x81, [])), vb(13, tlv(0x82, []))));
  const r = decode(all);
  assert.equal(r.result, 0, r.error);
  assert.deepEqual(r.ips.map((s) => s.split(':')[1]), [W], 'an IpAddress inside an Opaque is not one');
});

test('BER: the SNMPv1 Trap-PDU [4], SNMPv3 and a long version fail', () => {
  const v1trap = msg(0, tlv(0xa4, oid(0x2b, 6, 1), ip(C), int(6), int(1), tlv(0x43, [1]), seq(vb(2, ip(C)))));
  assert.deepEqual([decode(v1trap).result, decode(v1trap).error], [-74, 'Unexpected tag']);
  assert.equal(decode(v1trap).ips.length, 0);
  const v3 = msg(3, pdu(7, vb(2, ip(C))));
  assert.deepEqual([decode(v3).result, decode(v3).error], [-524, 'snmp_version']);
  assert.equal(decode(seq(tlv(0x02, [0, 1]), str('public'), pdu(7))).result, -22);
  assert.equal(decode(msg(1, pdu(7, vb(2, tlv(0x40, [1, 2, 3]))))).result, -22, 'an IpAddress of 3 bytes');
});

test('BER: the kernel grammar\'s unconditional alternatives', () => {
  // several PDUs in the grammar's order are all read; out of order the second is not
  const two = decode(msg(1, cat(pdu(7, vb(1, ip(C))), pdu(8, vb(2, ip(C))))));
  assert.equal(two.result, 0, two.error);
  assert.equal(two.ips.length, 2);
  assert.equal(decode(msg(1, cat(pdu(8, vb(1, ip(C))), pdu(7, vb(2, ip(C)))))).error, 'Cons length error');
  // an indefinite-length message: its end-of-contents is read as another PDU tag
  assert.equal(decode(indef(0x30, int(1), str('public'), pdu(7, vb(1, ip(C))))).error, 'Unexpected tag');
  // a varbind with an INTEGER then an IpAddress is taken, and the address shown
  const twoValues = decode(msg(1, pdu(7, seq(oid(0x2b), int(1), ip(C)))));
  assert.equal(twoValues.result, 0, twoValues.error);
  assert.equal(twoValues.ips.length, 1);
  // but two simple values are not (those alternatives are conditional)
  assert.equal(decode(msg(1, pdu(7, seq(oid(0x2b), int(1), str('x'))))).error, 'Unexpected tag');
  // indefinite-length varbind list: fine; indefinite varbind: fine with NULL, not with an IpAddress
  assert.equal(decode(msg(1, tlv(0xa7, int(1), int(0), int(0), indef(0x30, vb(1, nul()), vb(2, ip(C)))))).result, 0);
  assert.equal(decode(msg(1, tlv(0xa7, int(1), int(0), int(0), seq(indef(0x30, oid(0x2b), nul()))))).result, 0);
  assert.equal(decode(msg(1, tlv(0xa7, int(1), int(0), int(0), seq(indef(0x30, oid(0x2b), ip(C)))))).error, 'Unexpected tag');
  // a message without PDU
  assert.equal(decode(seq(int(1), str('public'))).result, 0);
});

test('BER: tags and lengths', () => {
  const good = msg(1, pdu(7, vb(1, ip(C))));
  assert.equal(decode(cat(good, [1, 2, 3])).result, 0, 'bytes after the message are ignored');
  // constructed tags of the grammar match their primitive form
  assert.equal(decode(tlv(0x10, int(1), str('p'), tlv(0x87, int(1), int(0), int(0), tlv(0x10, tlv(0x10, oid(0x2b), ip(C)))))).result, 0);
  // primitive ones must match exactly (a constructed OCTET STRING is no community)
  assert.equal(decode(seq(int(1), tlv(0x24, str('p')), pdu(7))).error, 'Unexpected tag');
  assert.equal(decode(Uint8Array.of(0x3f, 0x01, 0x05, 0x00)).error, 'Long tag not supported');
  assert.equal(decode(cat([0x30, 0x83, 0, 0, 5], int(1))).error, 'Unsupported length');
  const long = cat([0x30, 0x82, 0x00, good.length - 2], good.subarray(2));
  assert.equal(decode(long).result, 0, 'two-byte long form');
  assert.equal(decode(good.subarray(0, good.length - 1)).error, 'Data overrun error');
  assert.equal(decode(new Uint8Array(0)).error, 'Data overrun error');
  assert.equal(decode(Uint8Array.of(0x30)).error, 'Data overrun error');
  assert.equal(decode(cat([0x30, 0x80], int(1), [0x04, 0x80, 0, 0], pdu(7), [0, 0])).error, 'Indefinite len primitive not permitted');
  assert.equal(decode(seq(int(1), str('p'), pdu(7, vb(1, nul())), [0x99])).error, 'Data overrun error');
  assert.equal(decode(seq(int(1), str('p'), pdu(7, vb(1, nul())), [0x99, 0])).error, 'Unexpected tag');
  assert.equal(decodeSnmp(new Uint8Array(70000), 0, 70000, { version: () => 1, ipAddress: () => 1 }).result, EMSGSIZE);
});

// ---------------------------------------------------------------------------------------- checksum

test('checksum: the incremental update equals a full computation at both parities; a zero sum gives 0x0000', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 80 }), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (data, at, to) => {
      const off = at % (data.length - 4);
      // never all zero, before or after (the kernel's sum cannot be 0, a full one of zeros is)
      data[data.length - 1] = data[data.length - 1]! | 1;
      const check = internetChecksum(data, 0, data.length);
      const from = ((data[off]! << 24) | (data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!) >>> 0;
      const next = Uint8Array.from(data);
      next.set([to >>> 24, (to >>> 16) & 255, (to >>> 8) & 255, to & 255], off);
      assert.equal(snmpCsumUpdate(check, from, to, (off & 1) === 1), internetChecksum(next, 0, next.length));
    }),
    { numRuns: 500 },
  );
  // data summing to 0xffff after the change: the update writes 0 (a full UDP checksum would be 0xffff)
  const d = Uint8Array.of(0x12, 0x34, 0, 0, 0, 0);
  const after = Uint8Array.of(0x12, 0x34, 0xed, 0xcb, 0, 0);
  assert.equal(internetChecksum(after, 0, 6), 0);
  assert.equal(snmpCsumUpdate(internetChecksum(d, 0, 6), 0, 0xedcb0000, false), 0);
});

// ---------------------------------------------------------------------------------------- through a router

const TRAP = '-p udp --dport 162 -j CT --helper snmp_trap';

function trap(...addrs: string[]): Uint8Array {
  // OIDs of growing length: the addresses alternate between even and odd payload offsets
  return msg(1, pdu(7, seq(oid(0x2b, 6, 1, 2, 1, 1, 3, 0), tlv(0x43, [1])), ...addrs.map((a, k) => seq(oid(0x2b, ...Array.from({ length: k + 1 }, () => 1)), ip(a)))));
}

/** Offsets of 4-byte IpAddress values `a` in `m` (after a 0x40 0x04 header). */
function ipOffsets(m: Uint8Array, a: string): number[] {
  const b = a.split('.').map(Number);
  const out: number[] = [];
  for (let i = 0; i + 6 <= m.length; i++) if (m[i] === 0x40 && m[i + 1] === 4 && b.every((x, k) => m[i + 2 + k] === x)) out.push(i + 2);
  return out;
}

test('MASQUERADE: IpAddress values of the client become the public address (even and odd offsets), others stay; checksum right', () => {
  const r = new Router(TRAP, { nat: true });
  const m = trap(C, C, '10.0.1.77', C);
  const offs = ipOffsets(m, C);
  assert.ok(offs.some((o) => o % 2 === 0) && offs.some((o) => o % 2 === 1), 'both parities in the test message');
  const res = r.recv('r_cli', dgram(C, 40000, W, 162, m), 0);
  assert.equal(res.verdict, 'FORWARDED');
  const out = sent(res);
  const p = out.buf.subarray(out.payloadOff, out.ipEnd);
  assert.deepEqual(ipOffsets(p, R_WAN), offs);
  assert.deepEqual(ipOffsets(p, '10.0.1.77').length, 1);
  assert.ok(verifyL4Checksum(out), 'UDP checksum valid after NAT and the rewrite');
  assert.match(res.events[0]!, /helper=snmp_trap$/);
  // the reply direction rewrites the same way (original source -> reply destination)
  const back = r.recv('r_wan', dgram(W, 162, R_WAN, 40000, trap(C, W)), 0.1);
  const bp = sent(back);
  assert.deepEqual(ipOffsets(bp.buf.subarray(bp.payloadOff, bp.ipEnd), R_WAN).length, 1);
  assert.equal(ipOffsets(bp.buf.subarray(bp.payloadOff, bp.ipEnd), W).length, 1);
  assert.ok(verifyL4Checksum(bp));
});

test('drops: a v1 trap, garbage, a short UDP length; nothing parsed without NAT or when the addresses agree', () => {
  const r = new Router(TRAP, { nat: true });
  const v1 = msg(0, tlv(0xa4, oid(0x2b), ip(C), int(6), int(1), tlv(0x43, [1]), seq()));
  assert.equal(r.recv('r_cli', dgram(C, 40001, W, 162, v1), 0).verdict, 'DROPPED');
  assert.equal(r.recv('r_cli', dgram(C, 40002, W, 162, 'hello'), 0.1).verdict, 'DROPPED');
  const shortLen = ipv4({ src: C, dst: W, payload: udp({ sport: 40003, dport: 162, payload: trap(C), length: 20, checksum: 0 }) });
  assert.equal(r.recv('r_cli', shortLen, 0.2).verdict, 'DROPPED');
  assert.deepEqual(r.host.listConntrack(1700000001).filter((l) => /sport=4000[123] /.test(l)), [], 'a dropped first packet leaves no connection');
  // no NAT towards the server network: garbage passes untouched
  const plain = r.recv('r_cli', dgram(C, 40004, '10.0.2.100', 162, 'hello'), 0.3);
  assert.equal(plain.verdict, 'FORWARDED');
  // DNAT only: the original source is the reply destination, nothing parsed; the length check still applies
  const { host } = helperHost(HOST_JSON, {
    v4: ['*raw', `-A PREROUTING ${TRAP}`, 'COMMIT', '*nat', '-A PREROUTING -i r_wan -p udp --dport 162 -j DNAT --to-destination 10.0.2.100', 'COMMIT', ''].join('\n'),
  });
  const dn = host.receive(dgram(W, 40005, R_WAN, 162, v1), LinkType.RAW, 'r_wan', T0);
  assert.equal(dn.verdict, 'FORWARDED');
  assert.deepEqual(sent(dn).buf.subarray(28), v1);
  const dnShort = ipv4({ src: W, dst: R_WAN, payload: udp({ sport: 40006, dport: 162, payload: v1, length: 20, checksum: 0 }) });
  assert.equal(host.receive(dnShort, LinkType.RAW, 'r_wan', T0 + 0.1).verdict, 'DROPPED');
});

test('port rules: from 161 in the original direction and to 162 in the reply direction are skipped; no checksum stays none', () => {
  const r = new Router('-p udp -j CT --helper snmp_trap', { nat: true });
  const from161 = sent(r.recv('r_cli', dgram(C, 161, W, 162, trap(C)), 0));
  assert.equal(ipOffsets(from161.buf.subarray(from161.payloadOff, from161.ipEnd), C).length, 1, 'untouched');
  const up = sent(r.recv('r_cli', dgram(C, 162, W, 1162, trap(C)), 0.1));
  assert.equal(ipOffsets(up.buf.subarray(up.payloadOff, up.ipEnd), R_WAN).length, 1, 'parsed: neither rule applies');
  const down = sent(r.recv('r_wan', dgram(W, 1162, R_WAN, 162, trap(C)), 0.2));
  assert.equal(ipOffsets(down.buf.subarray(down.payloadOff, down.ipEnd), C).length, 1, 'reply to 162: untouched');
  // garbage is not even read when skipped
  assert.equal(r.recv('r_cli', dgram(C, 161, W, 9999, 'hello'), 0.3).verdict, 'FORWARDED');
  const noSum = ipv4({ src: C, dst: W, payload: udp({ sport: 40010, dport: 162, payload: trap(C), checksum: 0 }) });
  const ns = sent(r.recv('r_cli', noSum, 0.4));
  assert.equal(ns.l4Checksum, 0);
  assert.equal(ipOffsets(ns.buf.subarray(ns.payloadOff, ns.ipEnd), R_WAN).length, 1);
});

test('the snmp helper rewrites through its NAT hook (and still not without NAT)', () => {
  const r = new Router('-p udp --dport 161 -j CT --helper snmp', { nat: true });
  const get = sent(r.recv('r_cli', dgram(C, 40020, W, 161, msg(0, pdu(0, vb(1, nul()), vb(2, ip(C))))), 0));
  assert.equal(ipOffsets(get.buf.subarray(get.payloadOff, get.ipEnd), R_WAN).length, 1);
  assert.ok(verifyL4Checksum(get));
  assert.equal(r.recv('r_cli', dgram(C, 40021, W, 161, 'hello'), 0.1).verdict, 'DROPPED', 'the hook drops what it cannot parse');
  const plain = new Router('-p udp --dport 161 -j CT --helper snmp', { nat: false });
  assert.equal(plain.recv('r_cli', dgram(C, 40022, W, 161, 'hello'), 0).verdict, 'FORWARDED');
});

test('registration: snmp_trap for IPv4 UDP only, by iptables and nft ct helper objects', () => {
  assert.ok(knownHelpers.includes('snmp_trap'));
  assert.notEqual(findHelper('snmp_trap', 4, Proto.UDP), null);
  assert.match(helperRefusal('snmp_trap', 4, Proto.TCP)!, /not available for IPv4 protocol 6/);
  assert.match(helperRefusal('snmp_trap', 6, Proto.UDP)!, /not available for IPv6 protocol 17/);
  assert.doesNotThrow(() => loadNft('table ip t {\n  ct helper h { type "snmp_trap" protocol udp; }\n}'));
  assert.throws(() => loadNft('table ip t {\n  ct helper h { type "snmp_trap" protocol tcp; }\n}', { file: 'r.nft' }), /r\.nft:2:\d+: Could not process rule: No such file or directory: conntrack helper "snmp_trap"/);
});

// ---------------------------------------------------------------------------------------- fuzzing

test('fuzz: garbled messages never make the decoder throw', () => {
  const samples = [trap(C, W, C), msg(0, pdu(2, vb(1, int(3)), vb(2, ip(C)))), indef(0x30, int(1), str('x'), pdu(7)), msg(1, tlv(0xa7, int(1), int(0), int(0), indef(0x30, vb(1, ip(C)))))];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decode(bytes);
      decode(cat([0x30, bytes.length & 0x7f], bytes));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.constantFrom(...samples), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (m, cut, flips) => {
      const g = Uint8Array.from(m.subarray(0, cut % (m.length + 1)));
      for (const [at, v] of flips) if (g.length) g[at % g.length] = v;
      const r = decode(g);
      assert.ok(r.result === 0 ? r.error === '' : r.error !== '');
    }),
    { numRuns: 500 },
  );
});

test('fuzz: through the router a garbled trap is dropped or leaves with only client addresses rewritten and a valid checksum', () => {
  const r = new Router(TRAP, { nat: true });
  let port = 20000;
  let t = 0;
  fc.assert(
    fc.property(fc.constantFrom(trap(C, W, C), trap(C), msg(0, pdu(2, vb(7, ip(C)), vb(8, int(9))))), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (m, cut, flips) => {
      const g = Uint8Array.from(m.subarray(0, m.length - (cut % 4)));
      for (const [at, v] of flips) g[at % g.length] = v;
      const res = r.recv('r_cli', dgram(C, port++, W, 162, g), (t += 0.001));
      assert.ok(res.verdict === 'FORWARDED' || res.verdict === 'DROPPED');
      if (res.verdict === 'DROPPED') return;
      const out = sent(res);
      const p = out.buf.subarray(out.payloadOff, out.ipEnd);
      assert.equal(p.length, g.length);
      const rewritten = ipOffsets(p, R_WAN);
      for (let i = 0; i < g.length; i++) {
        if (p[i] === g[i]) continue;
        assert.ok(rewritten.some((o) => i >= o && i < o + 4) && ipOffsets(g, C).some((o) => i >= o && i < o + 4), `byte ${i} changed outside a rewritten address`);
      }
      assert.ok(verifyL4Checksum(out));
    }),
    { numRuns: 300 },
  );
});
