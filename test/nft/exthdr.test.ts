/**
 * nft `tcp option` (nft_exthdr, NFT_EXTHDR_OP_TCPOPT) on hand-built segments: the kernel's option
 * walk (EOL does not end it, zero lengths, the last byte is never read, an option running past
 * the header), fields, raw bytes, presence (also for packets that are not TCP), `set` (2 and 4
 * bytes, maxseg only lowered, the TCP checksum patched) and `reset tcp option` (NOPs); the
 * listings and errors of nft 1.0.6 / Linux 6.18.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChainVerdict, type BaseChain } from '../../src/netfilter/chain.js';
import { CtStateBit, Hook, type PacketContext } from '../../src/netfilter/context.js';
import { ipv4, ipv6, tcp, udp, fragmentIpv4 } from '../../src/packet/build.js';
import { verifyL4Checksum } from '../../src/packet/checksum.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { formatNftRuleset } from '../../src/format/nft.js';

function ctx(bytes: Uint8Array, opts: Partial<PacketContext> = {}): PacketContext {
  const pkt = decodeIp(new PacketView(), bytes);
  return {
    pkt, family: pkt.family === 6 ? 6 : 4, hook: Hook.FORWARD, iif: 'eth0', oif: 'eth1', mark: 0, now: 100, ct: null,
    ctState: CtStateBit.NEW, ctDir: 0, notrack: false, ctHelper: null, ctZone: 0, log: [], ...opts,
  };
}

function chain(rules: string, family = 'ip'): BaseChain {
  return nftBaseChains(loadNft(`table ${family} f { chain c { type filter hook forward priority 0; policy accept;\n${rules}\n} }`))[0]!;
}

/** A SYN with raw option bytes (padded with EOL to 4 bytes). */
function syn(raw: number[], o: { v6?: boolean } = {}): Uint8Array {
  const seg = tcp({ sport: 1234, dport: 80, flags: 'S', seq: 1000, options: { raw: Uint8Array.from(raw) } });
  return o.v6 ? ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: seg }) : ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: seg });
}

/** Rules (1-based) that counted the packet. */
function run(c: BaseChain, bytes: Uint8Array): { hits: number[]; ctx: PacketContext; verdict: number } {
  const x = ctx(bytes);
  const trace: string[] = [];
  const r = c.run(x, trace);
  return { hits: trace.filter((t) => !t.endsWith('policy')).map((t) => Number(t.split(' ').pop())), ctx: x, verdict: r.verdict };
}

const MSS = (v: number) => [2, 4, v >> 8, v & 255];

test('the option walk: EOL and zero lengths step one byte, the last byte is never read', () => {
  const c = chain(`tcp option maxseg size 1460 counter
    tcp option window count 7 counter
    tcp option eol exists counter
    tcp option nop exists counter
    tcp option eol missing counter`);
  assert.deepEqual(run(c, syn([0, ...MSS(1460), 0, 0, 0])).hits, [1, 3], 'an MSS after EOL is still found');
  assert.deepEqual(run(c, syn([4, 0, 3, 3, 7, 0, 0, 0])).hits, [2, 3], 'a zero length is one byte');
  assert.deepEqual(run(c, syn([3, 0, 3, 3, 7, 0, 0, 0])).hits, [3], 'the first window option is too short: the rule breaks');
  assert.deepEqual(run(c, syn([1, 1, 1, 0])).hits, [4, 5], 'EOL in the last byte is not looked at');
});

test('a field past its option breaks the rule, presence says missing; no TCP header: missing too', () => {
  const c = chain(`tcp option maxseg size 0-65535 counter
    tcp option maxseg exists counter
    tcp option maxseg missing counter
    tcp option window count 0-255 counter
    tcp option sack-perm missing counter`);
  assert.deepEqual(run(c, syn([1, 1, 2, 12, 5, 180, 0, 0])).hits, [3, 5], 'an MSS running past the header');
  assert.deepEqual(run(c, syn([3, 2, 1, 1])).hits, [3, 5], 'a window option too short for its count');
  const u = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2 }) });
  assert.deepEqual(run(c, u).hits, [3, 5], 'UDP: every presence test says missing');
  const frag = fragmentIpv4(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: tcp({ sport: 1, dport: 2, flags: 'S', options: { mss: 1460 }, payload: 'x'.repeat(600) }) }), 256)[1]!;
  assert.deepEqual(run(c, frag).hits, [3, 5], 'a later fragment has no TCP header');
});

test('fields and raw reads; IPv6 alike', () => {
  const ts = tcp({ sport: 1, dport: 2, flags: 'S', options: { mss: 1220, sackPerm: true, ts: [12345, 0], wscale: 7, sack: [[5000, 6000]] } });
  const c = chain(`tcp option maxseg size 1220 counter
    tcp option maxseg length 4 counter
    tcp option window count 7 counter
    tcp option timestamp tsval 12345 counter
    tcp option @8,48,32 0 counter
    tcp option sack left 5000 counter
    tcp option sack right 6000 counter
    tcp option sack1 left 0-4294967295 counter
    tcp option sack-perm exists counter
    tcp option timestamp tsval > 12345 counter`, 'inet');
  assert.deepEqual(run(c, ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: ts })).hits, [1, 2, 3, 4, 5, 6, 7, 9]);
  const mp = chain('tcp option mptcp subtype 1 counter\ntcp option 254 exists counter');
  assert.deepEqual(run(mp, syn([30, 4, 0x10, 0, 254, 4, 0xf9, 0x89])).hits, [1, 2]);
});

test('maxseg size set: lowered only, equal left alone, the checksum patched; not a TCP packet breaks', () => {
  const c = chain('tcp option maxseg size set 1200 counter\ntcp option timestamp tsval set 7 counter');
  for (const [from, to] of [[1460, 1200], [1000, 1000], [1200, 1200]] as const) {
    const r = run(c, syn(MSS(from)));
    assert.equal(r.ctx.pkt.tcpMss, to);
    assert.ok(verifyL4Checksum(r.ctx.pkt));
    assert.deepEqual(r.hits, [1, 2], 'no timestamp option: the set goes on without it');
  }
  const t = run(c, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: tcp({ sport: 1, dport: 2, flags: 'S', options: { ts: [99, 5] } }) }));
  assert.equal(t.ctx.pkt.tcpTsVal, 7);
  assert.equal(t.ctx.pkt.tcpTsEcr, 5);
  assert.ok(verifyL4Checksum(t.ctx.pkt));
  assert.deepEqual(run(c, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2 }) })).hits, []);
});

test('maxseg size set on an MSS at an odd offset patches the checksum as the kernel does (wrongly)', () => {
  const c = chain('tcp option maxseg size set 1200');
  const r = run(c, syn([1, ...MSS(1460), 0, 0, 0]));
  assert.equal(r.ctx.pkt.tcpMss, 1200);
  assert.equal(verifyL4Checksum(r.ctx.pkt), false);
});

test('property: maxseg size set keeps a valid checksum whatever the values (option on a 16-bit boundary)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (mss, target, win) => {
      const c = chain(`tcp option maxseg size set ${target}`);
      const seg = tcp({ sport: 7, dport: 9, flags: 'S', win, options: { mss } });
      const r = run(c, ipv4({ src: '10.1.2.3', dst: '10.3.2.1', payload: seg }));
      assert.equal(r.ctx.pkt.tcpMss, Math.min(mss, target));
      assert.ok(verifyL4Checksum(r.ctx.pkt));
    }),
    { numRuns: 60 },
  );
});

test('reset tcp option: the option becomes NOPs, the checksum stays valid, the rule goes on without it', () => {
  const c = chain('reset tcp option sack-perm counter\nreset tcp option timestamp counter');
  const r = run(c, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: tcp({ sport: 1, dport: 2, flags: 'S', options: { mss: 1460, sackPerm: true, ts: [99, 0], wscale: 7 } }) }));
  assert.equal(r.ctx.pkt.tcpSackPerm, false);
  assert.equal(r.ctx.pkt.tcpTsVal, -1);
  assert.equal(r.ctx.pkt.tcpMss, 1460);
  assert.equal(r.ctx.pkt.tcpWscale, 7);
  assert.ok(verifyL4Checksum(r.ctx.pkt));
  const opts = Array.from(r.ctx.pkt.buf.subarray(r.ctx.pkt.l4Off + 20, r.ctx.pkt.l4Off + 36));
  assert.deepEqual(opts, [2, 4, 5, 180, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 7].slice(0, 16));
  assert.deepEqual(run(c, syn(MSS(1460))).hits, [1, 2]);
  // an option of that kind running past the header cannot be stripped: dropped
  assert.equal(run(chain('reset tcp option maxseg'), syn([1, 1, 2, 12, 5, 180, 0, 0])).verdict, ChainVerdict.DROP);
});

test('listing as nft 1.0.6 prints it', () => {
  const rs = loadNft(`table inet t { chain c { type filter hook forward priority 0;
    tcp option mss size 1
    tcp option sack-permitted missing
    tcp option @5,16,32 0
    tcp option @99,16,16 1
    tcp option @2,16,8 5
    tcp option sack0 left 3
    tcp option sack1 right 3
    tcp option 3 exists
    tcp option echo exists
    tcp option maxseg size { 1400, 1460 }
    tcp flags syn tcp option maxseg size set rt mtu
    reset tcp option sack-perm } }`);
  assert.equal(formatNftRuleset(rs), `table inet t {
\tchain c {
\t\ttype filter hook forward priority filter; policy accept;
\t\ttcp option maxseg size 1
\t\ttcp option sack-perm missing
\t\ttcp option sack left 0
\t\ttcp option @99,16,16 1
\t\ttcp option maxseg unknown 5
\t\ttcp option sack left 3
\t\ttcp option sack1 right 3
\t\ttcp option window exists
\t\ttcp option timestamp exists
\t\ttcp option maxseg size { 1400, 1460 }
\t\ttcp flags syn tcp option maxseg size set rt mtu
\t\treset tcp option sack-perm
\t}
}
`);
});

function error(rule: string): string {
  try {
    nftBaseChains(loadNft(`table ip t {\n chain c {\n  type filter hook forward priority 0;\n  ${rule}\n }\n}\n`, { file: 'r.nft' }));
  } catch (e) {
    assert.ok(e instanceof NftError, String(e));
    return e.message;
  }
  assert.fail('loaded');
}

test('errors: what nft and the kernel refuse', () => {
  assert.match(error('tcp option window count set 1'), /^r\.nft:4:3: Could not process rule: Operation not supported/);
  assert.match(error('tcp option maxseg length set 4'), /^r\.nft:4:3: Could not process rule: Operation not supported/);
  assert.match(error('tcp option maxseg size missing'), /datatype mismatch, expected integer, expression has type boolean type/);
  assert.match(error('tcp option @4,0,8 exists'), /datatype mismatch, expected integer, expression has type boolean type/);
  assert.match(error('tcp option window kind 3'), /^r\.nft:4:/);
  assert.match(error('tcp option 256 exists'), /value too large/);
  assert.match(error('tcp option bogus exists'), /syntax error, unexpected bogus/);
  assert.match(error('tcp option maxseg size set 70000'), /Value 70000 exceeds valid range 0-65535/);
});
