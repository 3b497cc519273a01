/**
 * The parsing primitives the helpers share with the kernel: in4_pton / in6_pton (delimiters,
 * "::", embedded dotted quads, what they refuse), simple_strtoul, case-insensitive prefixes, and
 * the SIP header walker (continuation lines, compact names, comma-separated values); plus the
 * registry of helper names rules may use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { inetNtop6 } from '../../src/format/ct-attrs.js';
import { findHelper, helperRefusal, knownHelpers } from '../../src/helpers/index.js';
import { getHeader, parseHeaderUri, SipHdr, SipMsg, type InHeader, type Match, type UriAddr } from '../../src/helpers/sip-parse.js';
import { ascii, dotted, in4Pton, in6Pton, ipv6Full, startsWithCi, strtoul } from '../../src/helpers/text.js';
import { parseIp } from '../../src/packet/addr.js';

function v4(s: string, delim = -1) {
  const out = new Uint32Array(4);
  const b = ascii(s);
  const r = in4Pton(b, 0, b.length, out, delim, { ok: false, end: 0 });
  return { ok: r.ok, end: r.end, addr: r.ok ? dotted(out[0]!) : null };
}

function v6(s: string, delim = -1) {
  const out = new Uint32Array(4);
  const b = ascii(s);
  const r = in6Pton(b, 0, b.length, out, delim, { ok: false, end: 0 });
  return { ok: r.ok, end: r.end, addr: r.ok ? inetNtop6(out) : null };
}

test('in4_pton', () => {
  assert.deepEqual(v4('10.0.1.100'), { ok: true, end: 10, addr: '10.0.1.100' });
  assert.deepEqual(v4('10.0.1.100|5000|', 0x7c), { ok: true, end: 10, addr: '10.0.1.100' });
  assert.equal(v4('10.0.1.100|', 0x2c).ok, false, 'another delimiter');
  assert.equal(v4('10.0.1.256').ok, false, 'byte over 255');
  assert.equal(v4('10.0.1').ok, false, 'three bytes');
  assert.equal(v4('10..1.1').ok, false, 'empty byte');
  assert.equal(v4('1.2.3.4.5').ok, false, 'five bytes');
  assert.deepEqual(v4('1.2.3.4:5060'), { ok: true, end: 7, addr: '1.2.3.4' }, 'a colon ends it');
  assert.deepEqual(v4('1.2.3.4x'), { ok: true, end: 7, addr: '1.2.3.4' }, 'with delim -1 anything ends it');
  assert.equal(v4('0.0.0.0').addr, '0.0.0.0');
});

test('in6_pton', () => {
  assert.equal(v6('fd00:1::100').addr, 'fd00:1::100');
  assert.equal(v6('::').addr, '::');
  assert.equal(v6('::1').addr, '::1');
  assert.equal(v6('1::').addr, '1::');
  assert.equal(v6('::ffff:10.0.1.2').addr, '::ffff:10.0.1.2');
  assert.equal(v6('2001:db8:0:0:1:0:0:1').addr, '2001:db8::1:0:0:1');
  assert.equal(v6('1:2:3:4:5:6:7:8').addr, '1:2:3:4:5:6:7:8');
  assert.deepEqual(v6('fd00::1]:5060'), { ok: true, end: 7, addr: 'fd00::1' });
  assert.equal(v6('fd00::1|', 0x7c).end, 7);
  assert.equal(v6('1:2:3:4:5:6:7:8:9').ok, false);
  assert.equal(v6('12345::').ok, false, 'five hex digits');
  assert.equal(v6('1:::2').ok, false);
  assert.equal(v6('1::2::3').ok, false, 'two "::"');
  assert.equal(v6('fd00::1|', 0x2c).ok, false, 'unknown character before the delimiter');
});

test('in6_pton reads back every address in both the full and the compressed text form', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 4, maxLength: 4 }), fc.boolean(), (words, zeros) => {
      const w = Uint32Array.from(zeros ? [words[0]!, 0, 0, words[3]!] : words);
      for (const text of [ipv6Full(w), inetNtop6(w)]) {
        const out = new Uint32Array(4);
        const b = ascii(text);
        const r = in6Pton(b, 0, b.length, out, -1, { ok: false, end: 0 });
        assert.ok(r.ok, text);
        assert.deepEqual(Array.from(out), Array.from(w), text);
      }
    }),
  );
});

test('in4_pton reads back every dotted quad', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => {
      const r = v4(dotted(a));
      assert.equal(r.addr, dotted(a));
    }),
  );
});

test('simple_strtoul and strncasecmp', () => {
  const b = ascii('4294967297x');
  const p = strtoul(b, 0, b.length, { value: 0, end: 0 });
  assert.deepEqual(p, { value: 1, end: 10 }, 'modulo 2^32');
  assert.ok(startsWithCi(ascii('pOrT 1'), 0, 6, 'PORT'));
  assert.ok(!startsWithCi(Uint8Array.of(0x50, 0x4f, 0, 0x54), 0, 4, 'PORT'), 'a NUL byte never matches');
});

function msg(text: string): SipMsg {
  const m = new SipMsg();
  m.buf = ascii(text);
  m.base = 0;
  m.len = m.buf.length;
  m.end = m.buf.length;
  m.family = 4;
  return m;
}

test('SIP headers: line starts only, compact names, continuation lines, comma-separated values', () => {
  const match: Match = { off: 0, len: 0 };
  const m = msg('INVITE sip:x SIP/2.0\r\nContent-Length: 42\r\nm: <sip:a@10.0.0.1:5070>,\r\n <sip:b@10.0.0.2>\r\nmx: 1\r\n\r\n');
  assert.equal(getHeader(m, 0, SipHdr.CONTENT_LENGTH, match), 1);
  assert.equal(m.buf.subarray(match.off, match.off + match.len).reduce((s, c) => s + String.fromCharCode(c), ''), '42');
  const uri: UriAddr = { addr: new Uint32Array(4), port: 0 };
  const coff = { v: 0 };
  const inHeader: InHeader = { v: false };
  const found: string[] = [];
  while (parseHeaderUri(m, coff, SipHdr.CONTACT, inHeader, match, uri) > 0) found.push(`${dotted(uri.addr[0]!)}:${uri.port}`);
  assert.deepEqual(found, ['10.0.0.1:5070', '10.0.0.2:5060']);
  assert.equal(getHeader(msg('Content-Length: 5\r\n'), 0, SipHdr.CONTENT_LENGTH, match), 0, 'not at a line start');
  assert.equal(getHeader(msg('x\r\nl : 7\r\n'), 0, SipHdr.CONTENT_LENGTH, match), 1, 'compact name, blank before the colon');
  assert.equal(getHeader(msg('x\r\nlx: 7\r\n'), 0, SipHdr.CONTENT_LENGTH, match), 0, 'a letter after the compact name');
  assert.equal(getHeader(msg('x\r\nContact: <tel:123>\r\n'), 0, SipHdr.CONTACT, match), -1, 'no sip: in the value');
  assert.equal(parseIp('10.0.0.1').family, 4);
});

test('helper names: the kernel\'s, per family and protocol', () => {
  assert.deepEqual([...knownHelpers].sort(), ['H.245', 'Q.931', 'RAS', 'amanda', 'ftp', 'irc', 'netbios-ns', 'pptp', 'sane', 'sip', 'snmp', 'snmp_trap', 'tftp']);
  assert.equal(findHelper('ftp', 6, 6)?.name, 'ftp');
  assert.equal(findHelper('ftp', 4, 17), null);
  assert.equal(findHelper('irc', 6, 6), null, 'irc is IPv4 only');
  assert.equal(findHelper('sip', 4, 6)?.name, 'sip');
  assert.equal(helperRefusal('ftp', 4, 6), null);
  assert.match(helperRefusal('nosuch', 4, 6)!, /no such conntrack helper "nosuch"/);
  assert.match(helperRefusal('pptp', 6, 6)!, /not available for IPv6 protocol 6/);
});
