/**
 * The kernel's %pI6c, which nf_nat_sip writes into SIP/SDP text for IPv6 (ip6_compressed_string
 * in lib/vsprintf.c): compared with inet_ntop it prints IPv4-compatible addresses in hex and
 * ISATAP addresses with their IPv4 part dotted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pI6c } from '../../src/helpers/sip-nat.js';
import { parseIp } from '../../src/packet/addr.js';

const f = (s: string): string => pI6c(parseIp(s).words);

test('%pI6c: compression of the longest zero run (two groups or more), the first of equal runs', () => {
  assert.equal(f('::'), '::');
  assert.equal(f('::1'), '::1');
  assert.equal(f('1::'), '1::');
  assert.equal(f('fd00:1::100'), 'fd00:1::100');
  assert.equal(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(f('1:0:0:2:0:0:3:4'), '1::2:0:0:3:4');
  assert.equal(f('1:0:0:2:0:0:0:4'), '1:0:0:2::4');
});

test('%pI6c: dotted IPv4 only for mapped and ISATAP addresses', () => {
  assert.equal(f('::ffff:10.0.1.2'), '::ffff:10.0.1.2');
  assert.equal(f('::10.0.1.2'), '::a00:102');
  assert.equal(f('fe80::5efe:10.0.1.2'), 'fe80::5efe:10.0.1.2');
  assert.equal(f('fe80::200:5efe:10.0.1.2'), 'fe80::200:5efe:10.0.1.2');
});
