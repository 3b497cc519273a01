/**
 * The hash behind address choices in a range (src/nat/jhash.ts): jhash2 against values of Bob
 * Jenkins' reference lookup3.c hashword() (compiled separately), and the exact 64-bit
 * multiply-shift against BigInt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { bswap32, jhash2, memWord, reciprocalScale } from '../../src/nat/jhash.js';

test('jhash2 equals lookup3 hashword()', () => {
  const v2 = [0x0a000102, 0, 0, 0];
  const v3 = [0x20010db8, 0x12345678, 0x9abcdef0, 0xdeadbeef];
  assert.equal(jhash2([0, 0, 0, 0], 4, 0), 0xbaf9078c);
  assert.equal(jhash2(v2, 4, 0), 0x4def1099);
  assert.equal(jhash2(v2, 4, 0x01020304), 0xf9e13c35);
  assert.equal(jhash2(v3, 4, 0xffffffff), 0x6c24b481);
  assert.equal(jhash2(v3, 3, 7), 0x4ac00757);
  assert.equal(jhash2([42], 1, 0), 0x7b5edd46);
  assert.equal(jhash2(v3, 2, 1), 0xa78b3b1a);
  assert.equal(jhash2([], 0, 5), (0xdeadbeef + 5) >>> 0);
});

test('address words are hashed as x86 loads their network-order bytes', () => {
  assert.equal(memWord(0x0a000102), 0x0201000a);
  assert.equal(bswap32(bswap32(0x89abcdef)), 0x89abcdef);
});

test('reciprocalScale is (value * range) >> 32 exactly', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (v, r) => {
      assert.equal(reciprocalScale(v, r), Number((BigInt(v) * BigInt(r)) >> 32n));
    }),
    { numRuns: 2000 },
  );
});
