/**
 * nft's number and hash expressions: the kernel's jhash (values recorded from Linux 6.18 in
 * r_nft_jhash_1 through ct mark), SipHash-2-4 (the reference vectors), the symmetric flow hash
 * (both directions of a flow agree), numgen inc / random, and the expressions evaluated in rules
 * (meta mark set, maps, vmaps, relational matches) with their nft 1.0.6 listing text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChainVerdict, type BaseChain } from '../../src/netfilter/chain.js';
import { CtStateBit, Hook, type PacketContext } from '../../src/netfilter/context.js';
import { ipv4, ipv6, tcp, udp, icmpEcho } from '../../src/packet/build.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { formatNftRuleset } from '../../src/format/nft.js';
import { jhashBytes, NumgenInc, siphash24, symmetricHash } from '../../src/nft/hash.js';
import { reciprocalScale } from '../../src/nat/jhash.js';
import { SeededRandom } from '../../src/conntrack/hash.js';

const KEY = new Uint32Array([0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00]);

function ctx(bytes: Uint8Array, opts: Partial<PacketContext> = {}): PacketContext {
  const pkt = decodeIp(new PacketView(), bytes);
  const rnd = new SeededRandom(5, 1);
  return {
    pkt, family: pkt.family === 6 ? 6 : 4, hook: Hook.PREROUTING, iif: 'eth0', oif: null, mark: 0, now: 100, ct: null,
    ctState: CtStateBit.NEW, ctDir: 0, notrack: false, ctHelper: null, ctZone: 0, log: [],
    random: () => rnd.next(), flowHashKey: KEY, ...opts,
  };
}

function chain(text: string, name = 'c'): BaseChain {
  const c = nftBaseChains(loadNft(text)).find((b) => b.label.endsWith(` ${name}`));
  assert.ok(c);
  return c;
}

const ip = (s: string): number[] => s.split('.').map(Number);
const port4 = (n: number): number[] => [n >> 8, n & 255, 0, 0];
const scaled = (bytes: number[], seed: number, mod: number, off: number): number =>
  reciprocalScale(jhashBytes(Uint8Array.from(bytes), 0, bytes.length, seed), mod) + off;

test('jhash: the kernel values recorded in r_nft_jhash_1 (register bytes, concatenations padded to 4)', () => {
  assert.equal(jhashBytes(new Uint8Array(0), 0, 0, 0), 0xdeadbeef);
  // ip saddr . tcp dport mod 1000 seed 0xdead offset 100
  assert.equal(scaled([...ip('10.0.1.100'), ...port4(80)], 0xdead, 1000, 100), 510);
  assert.equal(scaled([...ip('10.0.1.101'), ...port4(80)], 0xdead, 1000, 100), 1037);
  // ip saddr . ip daddr . udp sport . udp dport mod 65536 seed 0x1 (16 bytes: one full round)
  assert.equal(scaled([...ip('10.0.1.100'), ...ip('198.51.100.80'), ...port4(5002), ...port4(53)], 1, 65536, 0), 25533);
  assert.equal(scaled([...ip('10.0.1.102'), ...ip('198.51.100.81'), ...port4(5003), ...port4(53)], 1, 65536, 0), 11883);
  // udp sport mod 4096 seed 0xcafe: two bytes, no padding
  assert.equal(scaled([5004 >> 8, 5004 & 255], 0xcafe, 4096, 0), 1826);
  assert.equal(scaled([61234 >> 8, 61234 & 255], 0xcafe, 4096, 0), 3272);
  // ip saddr mod 1000000 seed 12345
  assert.equal(scaled(ip('10.0.1.100'), 12345, 1000000, 0), 117716);
  assert.equal(scaled(ip('10.0.1.102'), 12345, 1000000, 0), 34850);
  // 5 fields, 20 bytes, seed 0xffffffff offset 7
  assert.equal(scaled([...ip('10.0.1.101'), ...ip('198.51.100.82'), ...port4(5005), ...port4(81), 6, 0, 0, 0], 0xffffffff, 99999, 7), 37928);
});

test('SipHash-2-4 reference vectors (key 00..0f, message 00..len-1)', () => {
  const key = [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c];
  const msg = Uint8Array.from({ length: 64 }, (_, i) => i);
  const hex = ([lo, hi]: [number, number]) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  assert.equal(hex(siphash24(key, msg, 0, 0)), '726fdb47dd0e0e31');
  assert.equal(hex(siphash24(key, msg, 0, 1)), '74f839c593dc67fd');
  assert.equal(hex(siphash24(key, msg, 0, 2)), '0d6c8009d9a94f5a');
  assert.equal(hex(siphash24(key, msg, 0, 15)), 'a129ca6149be45e5');
});

test('symhash: both directions of a flow hash alike, IPv4 and IPv6, TCP and UDP; never 0; keyed', () => {
  const v = new PacketView();
  const h = (b: Uint8Array, key: ArrayLike<number> = KEY) => symmetricHash(decodeIp(v, b), key);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0xfffffffe }), fc.integer({ min: 1, max: 0xfffffffe }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), (a, b, sp, dp) => {
      const A = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      const B = `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}`;
      const fwd = h(ipv4({ src: A, dst: B, payload: tcp({ sport: sp, dport: dp, flags: 'S' }) }));
      const rev = h(ipv4({ src: B, dst: A, payload: tcp({ sport: dp, dport: sp, flags: 'SA' }) }));
      assert.equal(fwd, rev);
      assert.notEqual(fwd, 0);
    }),
    { numRuns: 200 },
  );
  const u6 = h(ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: udp({ sport: 1000, dport: 53 }) }));
  assert.equal(h(ipv6({ src: 'fd00::2', dst: 'fd00::1', payload: udp({ sport: 53, dport: 1000 }) })), u6);
  assert.notEqual(h(ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: udp({ sport: 1001, dport: 53 }) })), u6);
  const p = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2 }) });
  assert.notEqual(h(p), h(p, [1, 2, 3, 4]));
  // ICMP has no ports: the echo and its reply agree
  assert.equal(h(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: icmpEcho({ id: 1, seq: 1 }) })), h(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: icmpEcho({ id: 1, seq: 1, reply: true }) })));
});

test('numgen inc: the first value is 0 (the counter starts at modulus - 1), wraps, offset added', () => {
  const g = new NumgenInc(3, 10);
  assert.deepEqual([g.next(), g.next(), g.next(), g.next()], [10, 11, 12, 10]);
});

test('in rules: meta mark set numgen / jhash / symhash, maps, vmaps and matches', () => {
  const c = chain(`table ip f { chain c { type filter hook prerouting priority 0; policy accept;
    meta mark set numgen inc mod 3 offset 10
    numgen inc mod 2 vmap { 0 : accept, 1 : drop } } }`);
  const pkt = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 5000, dport: 80, flags: 'S' }) });
  const marks: number[] = [];
  const verdicts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const x = ctx(pkt);
    verdicts.push(c.run(x, []).verdict);
    marks.push(x.mark);
  }
  assert.deepEqual(marks, [10, 11, 12, 10]);
  assert.deepEqual(verdicts, [ChainVerdict.ACCEPT, ChainVerdict.DROP, ChainVerdict.ACCEPT, ChainVerdict.DROP]);

  const j = chain(`table ip f { chain c { type filter hook prerouting priority 0; policy accept;
    meta mark set jhash ip saddr . tcp dport mod 1000 seed 0xdead offset 100
    jhash ip saddr . tcp dport mod 1000 seed 0xdead offset 100 510 counter accept } }`);
  const x = ctx(pkt);
  const trace: string[] = [];
  assert.equal(j.run(x, trace).verdict, ChainVerdict.ACCEPT);
  assert.equal(x.mark, 510);
  assert.deepEqual(trace, ['ip f c 2']);
  // a UDP packet has no tcp dport: the jhash rule breaks, the policy decides
  const u = ctx(ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: udp({ sport: 5000, dport: 80 }) }), { mark: 7 });
  assert.equal(j.run(u, []).verdict, ChainVerdict.ACCEPT);
  assert.equal(u.mark, 7);

  const s = chain(`table ip f { chain c { type filter hook prerouting priority 0; policy accept;
    meta mark set symhash mod 1000 offset 5 } }`);
  const a = ctx(pkt);
  s.run(a, []);
  const b = ctx(ipv4({ src: '10.0.2.100', dst: '10.0.1.100', payload: tcp({ sport: 80, dport: 5000, flags: 'SA' }) }));
  s.run(b, []);
  assert.equal(a.mark, b.mark);
  assert.ok(a.mark >= 5 && a.mark < 1005);
});

test('numgen random and jhash without a seed draw from the replay random source', () => {
  const text = `table ip f { chain c { type filter hook prerouting priority 0; policy accept;
    meta mark set numgen random mod 100 offset 1000
    ct mark set jhash ip saddr mod 50 } }`;
  const pkt = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: udp({ sport: 1, dport: 2 }) });
  const run = (seed: number): number[] => {
    const c = chain(text);
    const rnd = new SeededRandom(seed, 9);
    const out: number[] = [];
    for (let i = 0; i < 5; i++) {
      const x = ctx(pkt, { random: () => rnd.next() });
      c.run(x, []);
      out.push(x.mark);
    }
    return out;
  };
  const a = run(1);
  assert.deepEqual(run(1), a);
  assert.ok(a.every((m) => m >= 1000 && m < 1100));
  assert.notDeepEqual(run(2), a);
  const c = chain(text);
  assert.throws(() => c.run(ctx(pkt, { random: undefined }), []), /random source/);
});

test('listing: nft 1.0.6 forms of numgen, jhash and symhash (checked against nft list ruleset)', () => {
  const rs = loadNft(`table ip t {
  chain pre { type filter hook prerouting priority 0;
    meta mark set numgen inc mod 2
    meta mark set numgen inc mod 4 offset 10
    meta mark set numgen random mod 4 offset 10
    meta mark set jhash ip saddr . tcp dport mod 2 seed 0xdead offset 100
    meta mark set jhash ip saddr mod 2
    meta mark set symhash mod 2
    meta mark set symhash mod 3 offset 7
    numgen inc mod 2 0 counter
    numgen inc mod 2 vmap { 0 : accept, 1 : drop }
    jhash ip saddr mod 2 vmap { 0 : accept, 1 : drop }
    meta mark set numgen inc mod 2 map { 0 : 5, 1 : 6 }
  }
}`);
  assert.equal(
    formatNftRuleset(rs),
    `table ip t {
\tchain pre {
\t\ttype filter hook prerouting priority filter; policy accept;
\t\tmeta mark set numgen inc mod 2
\t\tmeta mark set numgen inc mod 4 offset 10
\t\tmeta mark set numgen random mod 4 offset 10
\t\tmeta mark set jhash ip saddr . tcp dport mod 2 seed 0xdead offset 100
\t\tmeta mark set jhash ip saddr mod 2
\t\tmeta mark set symhash mod 2
\t\tmeta mark set symhash mod 3 offset 7
\t\tnumgen inc mod 2 0 counter packets 0 bytes 0
\t\tnumgen inc mod 2 vmap { 0 : accept, 1 : drop }
\t\tjhash ip saddr mod 2 vmap { 0 : accept, 1 : drop }
\t\tmeta mark set numgen inc mod 2 map { 0 : 0x00000005, 1 : 0x00000006 }
\t}
}
`,
  );
});

test('a modulus of 0 is refused at its place', () => {
  assert.throws(
    () => loadNft('table ip t { chain c { type filter hook input priority 0;\n meta mark set numgen inc mod 0 } }', { file: 'r.nft' }),
    (e: unknown) => e instanceof NftError && /^r\.nft:2:16: Could not process rule: Numerical result out of range/.test(e.message),
  );
});
