import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AddrError, parseIp, parseIpv4, tryParseIp, ipv6String } from '../../src/packet/addr.js';

const hex = (w: Uint32Array) => Array.from(w, (x) => x.toString(16).padStart(8, '0')).join(' ');

test('IPv4 dotted quad to host-order word 0', () => {
  const a = parseIp('10.0.1.100');
  assert.equal(a.family, 4);
  assert.equal(a.words[0], 0x0a000164);
  assert.equal(a.words[1], 0);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIpv4('0.0.0.0'), 0);
});

test('IPv4 rejects malformed text with AddrError', () => {
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '', 'a.b.c.d', '1..2.3']) {
    assert.throws(() => parseIp(bad), AddrError, bad);
    assert.equal(tryParseIp(bad), null);
  }
});

test('IPv6 full, compressed and embedded-IPv4 forms', () => {
  assert.equal(hex(parseIp('fd00:1::5').words), 'fd000001 00000000 00000000 00000005');
  assert.equal(hex(parseIp('::').words), '00000000 00000000 00000000 00000000');
  assert.equal(hex(parseIp('::1').words), '00000000 00000000 00000000 00000001');
  assert.equal(hex(parseIp('fe80::').words), 'fe800000 00000000 00000000 00000000');
  assert.equal(hex(parseIp('1:2:3:4:5:6:7:8').words), '00010002 00030004 00050006 00070008');
  assert.equal(hex(parseIp('::ffff:10.0.1.100').words), '00000000 00000000 0000ffff 0a000164');
  assert.equal(hex(parseIp('64:ff9b::192.0.2.33').words), '0064ff9b 00000000 00000000 c0000221');
  assert.equal(hex(parseIp('1:2:3:4:5:6:1.2.3.4').words), '00010002 00030004 00050006 01020304');
  assert.equal(hex(parseIp('2001:DB8::A').words), '20010db8 00000000 00000000 0000000a');
  assert.equal(parseIp('::').family, 6);
});

test('IPv6 rejects malformed text', () => {
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '1:2:3:4:5:6:7::8', ':1:2:3:4:5:6:7', '::1.2.3', '1.2.3.4::', 'fe80::1%eth0']) {
    assert.throws(() => parseIp(bad), AddrError, bad);
  }
});

test('parse(format(words)) round-trips every IPv6 address', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0xabcd), { minLength: 8, maxLength: 8 }), (g) => {
      const w = new Uint32Array(4);
      for (let i = 0; i < 4; i++) w[i] = ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0;
      assert.deepEqual(parseIp(ipv6String(w)).words, w);
    }),
    { numRuns: 2000 },
  );
});
