/**
 * Evaluation of nft rules on hand-built packets: matches, flags, sets, maps, jumps and returns,
 * counters and the trace, policies, limits, quotas, NAT and reject actions, and errors pointing at
 * FILE:LINE:COLUMN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainVerdict, type BaseChain } from '../../src/netfilter/chain.js';
import { CtStateBit, Hook, type PacketContext } from '../../src/netfilter/context.js';
import { ipv4, ipv6, tcp, udp, icmpEcho } from '../../src/packet/build.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { formatNftRuleset } from '../../src/format/nft.js';

function ctx(bytes: Uint8Array, hook: Hook, opts: Partial<PacketContext> = {}): PacketContext {
  const pkt = decodeIp(new PacketView(), bytes);
  return {
    pkt, family: pkt.family === 6 ? 6 : 4, hook, iif: 'eth0', oif: null, mark: 0, now: 100, ct: null,
    ctState: CtStateBit.NEW, ctDir: 0, notrack: false, ctHelper: null, ctZone: 0, log: [], ...opts,
  };
}

const syn = (dport: number, src = '10.0.0.1') => ipv4({ src, dst: '10.0.0.2', payload: tcp({ sport: 1234, dport, flags: 'S' }) });

function chain(text: string, name = 'c'): BaseChain {
  const c = nftBaseChains(loadNft(text)).find((b) => b.label.endsWith(` ${name}`));
  assert.ok(c);
  return c;
}

test('ports, sets, flags; counters trace "FAMILY TABLE CHAIN N", the policy its own entry', () => {
  const c = chain(`table inet f { chain c { type filter hook input priority 0; policy drop;
    tcp dport { 22, 80 } counter accept
    tcp flags syn tcp dport 443 counter accept
    ct state established,related counter accept } }`);
  const trace: string[] = [];
  assert.equal(c.run(ctx(syn(80), Hook.INPUT), trace).verdict, ChainVerdict.ACCEPT);
  assert.equal(c.run(ctx(syn(443), Hook.INPUT), trace).verdict, ChainVerdict.ACCEPT);
  assert.equal(c.run(ctx(syn(25), Hook.INPUT), trace).verdict, ChainVerdict.DROP);
  assert.equal(c.run(ctx(syn(25), Hook.INPUT, { ctState: CtStateBit.RELATED }), trace).verdict, ChainVerdict.ACCEPT);
  assert.deepEqual(trace, ['inet f c 1', 'inet f c 2', 'inet f c policy', 'inet f c 3']);
  assert.equal(c.family, 0);
  assert.equal(c.priority, 0);
});

test('jump, counter return, goto; a return from the base chain leaves it to the policy', () => {
  const c = chain(`table ip f {
    chain c { type filter hook forward priority filter; policy accept;
      iifname "eth0" counter jump sub
      counter drop }
    chain sub { ip saddr 10.0.0.9 counter accept
      counter return } }`);
  const trace: string[] = [];
  assert.equal(c.run(ctx(syn(1, '10.0.0.9'), Hook.FORWARD), trace).verdict, ChainVerdict.ACCEPT);
  assert.equal(c.run(ctx(syn(1), Hook.FORWARD), trace).verdict, ChainVerdict.DROP);
  assert.deepEqual(trace, ['ip f c 1', 'ip f sub 1', 'ip f c 1', 'ip f sub 2', 'ip f c 2']);
});

test('families: ip payload in inet chains breaks for IPv6 packets', () => {
  const c = chain('table inet f { chain c { type filter hook input priority 0; policy accept; ip saddr 10.0.0.1 counter drop; meta nfproto ipv6 counter drop } }');
  const v6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: udp({ sport: 1, dport: 2 }) });
  const trace: string[] = [];
  assert.equal(c.run(ctx(syn(1), Hook.INPUT), trace).verdict, ChainVerdict.DROP);
  assert.equal(c.run(ctx(v6, Hook.INPUT), trace).verdict, ChainVerdict.DROP);
  assert.deepEqual(trace, ['inet f c 1', 'inet f c 2']);
});

test('vmap, masks, ranges, prefixes, meta mark set', () => {
  const c = chain(`table ip f { chain c { type filter hook prerouting priority 0; policy accept;
    ip saddr 10.0.0.0/24 meta mark set 0x10
    meta mark & 0xf0 == 0x10 tcp dport 1000-2000 counter drop
    tcp dport vmap { 22 : accept, 23 : drop } } }`);
  const a = ctx(syn(1500), Hook.PREROUTING);
  assert.equal(c.run(a, []).verdict, ChainVerdict.DROP);
  assert.equal(a.mark, 0x10);
  assert.equal(c.run(ctx(syn(23, '10.0.1.1'), Hook.PREROUTING), []).verdict, ChainVerdict.DROP);
  assert.equal(c.run(ctx(syn(22, '10.0.1.1'), Hook.PREROUTING), []).verdict, ChainVerdict.ACCEPT);
});

test('limit: nft_limit token bucket in virtual time (burst 2, 1/second)', () => {
  const c = chain('table ip f { chain c { type filter hook input priority 0; policy accept; limit rate over 1/second burst 2 packets drop } }');
  const at = (now: number) => c.run(ctx(icmpEchoPkt(), Hook.INPUT, { now }), []).verdict;
  assert.deepEqual([at(10), at(10), at(10), at(11), at(11)], [ChainVerdict.ACCEPT, ChainVerdict.ACCEPT, ChainVerdict.DROP, ChainVerdict.ACCEPT, ChainVerdict.DROP]);
});

function icmpEchoPkt(): Uint8Array {
  return ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: icmpEcho({ id: 1, seq: 1 }) });
}

test('quota over: matches once the bytes are used up', () => {
  const c = chain('table ip f { chain c { type filter hook input priority 0; policy accept; quota over 100 bytes drop } }');
  const p = syn(1);
  const v = [1, 2, 3].map(() => c.run(ctx(p, Hook.INPUT), []).verdict);
  assert.deepEqual(v, [ChainVerdict.ACCEPT, ChainVerdict.ACCEPT, ChainVerdict.DROP]);
});

test('reject and nat statements hand the pipeline their actions', () => {
  const f = chain('table inet f { chain c { type filter hook input priority 0; policy accept; tcp dport 23 reject with tcp reset; reject } }');
  const r1 = f.run(ctx(syn(23), Hook.INPUT), []);
  assert.deepEqual(r1.action, { kind: 'reject', with: 'tcp-reset' });
  const r2 = f.run(ctx(syn(24), Hook.INPUT), []);
  assert.deepEqual(r2.action, { kind: 'reject', with: 'icmp-port-unreachable' });
  const n = chain('table ip nat { chain c { type nat hook prerouting priority dstnat; policy accept; tcp dport 80 dnat to 10.0.2.1:8080 } }');
  const r3 = n.run(ctx(syn(80), Hook.PREROUTING), []);
  assert.equal(r3.verdict, ChainVerdict.ACTION);
  const spec = (r3.action as { nat: { kind: string; minAddr: Uint32Array; minPort: number; flags: number } }).nat;
  assert.equal(spec.kind, 'DNAT');
  assert.equal(spec.minAddr[0], 0x0a000201);
  assert.equal(spec.minPort, 8080);
  assert.equal(n.type, 'nat');
  assert.equal(n.priority, -100);
});

test('dynamic sets: add @set from the packet path, listed with the element', () => {
  const rs = loadNft(`table ip f { set seen { type ipv4_addr; flags dynamic,timeout; timeout 1m; }
    chain c { type filter hook input priority 0; policy accept; add @seen { ip saddr } counter } }`);
  const c = nftBaseChains(rs)[0]!;
  c.run(ctx(syn(1, '10.9.9.9'), Hook.INPUT, { now: 50 }), []);
  assert.match(formatNftRuleset(rs, { now: 60 }), /elements = \{ 10\.9\.9\.9 expires 50s \}/);
});

function error(text: string): string {
  try {
    loadNft(text, { file: 'r.nft' });
  } catch (e) {
    assert.ok(e instanceof NftError);
    return e.message;
  }
  assert.fail('no error');
}

test('errors name FILE:LINE:COLUMN', () => {
  assert.equal(error('table ip f {\n  chain c {\n    tcp dport foo accept\n  }\n}'), 'r.nft:3:15: Could not resolve service: Servname not supported for ai_socktype');
  assert.equal(error('table ip f {\n  chain c {\n    jump nowhere\n  }\n}'), 'r.nft:3:5: Could not process rule: No such file or directory: chain nowhere does not exist in table ip f');
  assert.equal(error('table ip f {\n  chain c {\n    tcp dport 22 queue\n  }\n}'), 'r.nft:3:18: queue is not supported: ctkit has no userspace queue');
  assert.match(error('table ip f {\n  chain c {\n    tcp bogus 22\n  }\n}'), /^r\.nft:3:9: syntax error, unexpected bogus/);
  assert.match(error('table ip f {\n  chain c { type nat hook prerouting priority -300; }\n}'), /^r\.nft:2:3: Could not process rule: Operation not supported/);
});

test('netdev tables parse and their chains go to the ingress hook of their device (test/nft/netdev.test.ts)', () => {
  const rs = loadNft('table netdev n { chain i { type filter hook ingress device "eth0" priority 0; policy accept; } }');
  assert.match(formatNftRuleset(rs), /type filter hook ingress device "eth0" priority filter; policy accept;/);
  const [c] = nftBaseChains(rs);
  assert.deepEqual(c?.devices, ['eth0']);
});

test('include and define', () => {
  const rs = loadNft('define P = { 22, 80 }\ninclude "x.nft"\n', {
    include: (name) => (name === 'x.nft' ? 'table ip f { chain c { tcp dport $P accept } }' : null),
  });
  assert.match(formatNftRuleset(rs), /tcp dport \{ 22, 80 \} accept/);
});
