/**
 * nft `fib` and `rt` through a simulated host: reverse-path checks, address types, policy
 * routing with the mark, error routes, IPv6 anycast / multicast / link-local lookups, the
 * loopback and 0.0.0.0 shortcuts, the route a packet follows (next hop, MTU), and the hook and
 * syntax errors nft 1.0.6 / Linux 6.18 give (messages taken from the real nft in a namespace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, type HostResult } from '../../src/host/host.js';
import { parseHostConfig } from '../../src/host/config.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { formatNftRuleset } from '../../src/format/nft.js';
import { icmpv6Echo, ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { LinkType } from '../../src/packet/view.js';

const HOST = {
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24', 'fd00:1::1/64'] },
    { name: 'r_srv', addresses: ['10.0.2.1/24', 'fd00:2::1/64'] },
    { name: 'r_wan', addresses: ['203.0.113.1/24', 'fd00:3::1/64'] },
  ],
  routes: [
    { to: 'default', via: '203.0.113.254', dev: 'r_wan' },
    { to: '::/0', via: 'fd00:3::fe', dev: 'r_wan' },
    { to: '192.0.2.0/24', type: 'unreachable' },
    { to: '198.18.0.0/15', type: 'blackhole' },
    { to: '2001:db8:dead::/48', type: 'prohibit' },
    { to: 'default', via: '10.0.2.254', dev: 'r_srv', table: 100 },
  ],
  rules: [{ priority: 100, fwmark: '0x1', table: 100 }],
  sysctl: { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 },
};

function host(rules: string, cfg: object = HOST): Host {
  return new Host(parseHostConfig(JSON.stringify(cfg)), { chains: nftBaseChains(loadNft(rules)), seed: 1 });
}

const T = 1700000000;
const u4 = (src: string, dst: string, dport = 53) => ipv4({ src, dst, payload: udp({ sport: 1000, dport, payload: 'x' }) });
const u6 = (src: string, dst: string, dport = 53) => ipv6({ src, dst, payload: udp({ sport: 1000, dport, payload: 'x' }) });
const rx = (h: Host, iface: string, b: Uint8Array): HostResult => h.receive(b, LinkType.RAW, iface, T);

/** Rule numbers (of `chain`) that counted the packet. */
function hits(r: HostResult, chain: string): number[] {
  return r.rules.filter((x) => x.startsWith(`${chain} `) && !x.endsWith('policy')).map((x) => Number(x.split(' ').pop()));
}

test('fib saddr . iif oif: the reverse path, spoofed sources, the host\'s own address, 0.0.0.0 to broadcast', () => {
  const h = host(`table ip f { chain p { type filter hook prerouting priority 0; policy accept;
    fib saddr . iif oif missing counter drop
    fib saddr . iif oif "r_cli" counter
    fib saddr oif "r_wan" counter
    fib saddr . iif oif exists counter } }`);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.2.100')), 'ip f p'), [2, 4]);
  const spoof = rx(h, 'r_cli', u4('10.0.2.100', '10.0.1.100'));
  assert.equal(spoof.verdict, 'DROPPED');
  assert.deepEqual(hits(spoof, 'ip f p'), [1]);
  // the default route leads back through r_wan; without iif the lookup answers its device
  assert.deepEqual(hits(rx(h, 'r_wan', u4('198.51.100.1', '10.0.1.100')), 'ip f p'), [3, 4]);
  // a source that is one of ours: the route back is local, no answer
  assert.equal(rx(h, 'r_cli', u4('203.0.113.1', '10.0.2.100')).verdict, 'DROPPED');
  // no route back at all (unreachable, blackhole): missing
  assert.equal(rx(h, 'r_wan', u4('192.0.2.7', '10.0.1.100')).verdict, 'DROPPED');
  assert.equal(rx(h, 'r_wan', u4('198.18.0.1', '10.0.1.100')).verdict, 'DROPPED');
  // 0.0.0.0 to 255.255.255.255 answers with the ingress device, no lookup
  assert.deepEqual(hits(rx(h, 'r_cli', u4('0.0.0.0', '255.255.255.255', 67)), 'ip f p'), [2, 4]);
});

test('fib daddr oif: the route\'s device, the mark with policy routing, error routes, local routes give none', () => {
  const h = host(`table ip f { chain p { type filter hook prerouting priority 0; policy accept;
    ip daddr 198.51.100.9 meta mark set 1
    fib daddr oif "r_wan" counter
    fib daddr . mark oif "r_srv" counter
    fib daddr oifname "r_srv" counter
    fib daddr oif missing counter
    fib daddr . iif oif "r_cli" counter } }`);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '198.51.100.1')), 'ip f p'), [2]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '198.51.100.9')), 'ip f p'), [2, 3], 'the mark picks table 100');
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.2.100')), 'ip f p'), [3, 4]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '192.0.2.1')), 'ip f p'), [5], 'an unreachable route is no answer');
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.1.1')), 'ip f p'), [5], 'a local route is no answer');
  // iif: the route must use the ingress device (the subnet broadcast route is on r_cli)
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.1.255')), 'ip f p'), [6]);
});

test('fib type: the local table (IPv4), limited to the interface with iif / oif', () => {
  const h = host(`table inet f {
    chain p { type filter hook prerouting priority 0; policy accept;
      fib daddr type local counter
      fib daddr . iif type local counter
      fib daddr type broadcast counter
      fib daddr type multicast counter
      fib daddr type unicast counter
      fib saddr type local counter }
    chain o { type filter hook output priority 0; policy accept;
      fib daddr . oif type unicast counter
      fib saddr . oif type local counter } }`);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.1.1')), 'inet f p'), [1, 2]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '203.0.113.1')), 'inet f p'), [1], 'local, but on another interface');
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.1.255')), 'inet f p'), [3]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '255.255.255.255')), 'inet f p'), [3]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '224.0.0.1')), 'inet f p'), [4]);
  // an unreachable route does not change an IPv4 address type: only the local table counts
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '192.0.2.1')), 'inet f p'), [5]);
  const out = h.send(u4('203.0.113.1', '198.51.100.1'), LinkType.RAW, T);
  assert.deepEqual(hits(out, 'inet f o'), [1, 2]);
});

test('IPv6: reverse path, local / anycast / multicast / unreachable / prohibit types, link-local on one device', () => {
  const h = host(`table ip6 f {
    chain p { type filter hook prerouting priority 0; policy accept;
      fib saddr . iif oif missing counter drop
      fib daddr type local counter
      fib daddr . iif type local counter
      fib daddr type anycast counter
      fib daddr type multicast counter
      fib daddr type unreachable counter
      fib daddr type prohibit counter
      fib daddr type unicast counter
      fib saddr . iif oif "r_cli" counter } }`);
  assert.equal(rx(h, 'r_cli', u6('fd00:2::9', 'fd00:2::100')).verdict, 'DROPPED');
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fd00:1::100', 'fd00:1::1')), 'ip6 f p'), [2, 3, 9]);
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fd00:1::100', 'fd00:3::1')), 'ip6 f p'), [2, 9]);
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fd00:1::100', 'fd00:2::')), 'ip6 f p'), [4, 9], 'the subnet-router anycast address');
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fd00:1::100', 'ff02::1')), 'ip6 f p'), [5, 9]);
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fd00:1::100', '2001:db8:dead::1')), 'ip6 f p'), [7, 9]);
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fd00:1::100', '2001:db8::1')), 'ip6 f p'), [8, 9]);
  // a link-local source is looked up on the ingress device itself
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fe80::100', 'fd00:1::1')), 'ip6 f p'), [2, 3, 9]);
  // DAD: ICMPv6 from :: to a link-local address answers with the ingress device in prerouting
  const dad = ipv6({ src: '::', dst: 'fe80::1', payload: icmpv6Echo({ id: 1, seq: 1 }) });
  assert.deepEqual(hits(rx(h, 'r_cli', dad), 'ip6 f p').includes(9), true);
  const noRoute = host('table ip6 f { chain p { type filter hook prerouting priority 0; policy accept; fib daddr type unreachable counter } }', { ...HOST, routes: [] });
  assert.deepEqual(hits(rx(noRoute, 'r_cli', u6('fd00:1::100', '2001:db8::1')), 'ip6 f p'), [1], 'no route at all');
});

test('the host\'s own packets come back through lo: fib answers lo without a lookup in prerouting and input', () => {
  const h = host(`table ip f {
    chain p { type filter hook prerouting priority 0; policy accept; fib saddr . iif oif missing counter drop; fib saddr . iif oifname "lo" counter }
    chain i { type filter hook input priority 0; policy accept; fib saddr . iif oif "lo" counter; fib daddr . iif type local counter } }`);
  const r = h.send(u4('10.0.1.1', '10.0.1.1', 9999), LinkType.RAW, T);
  assert.equal(r.verdict, 'SENT');
  assert.deepEqual(hits(r, 'ip f p').slice(0, 1), [2]);
  assert.deepEqual(hits(r, 'ip f i').slice(0, 1), [1], 'lo holds no address: not local on the ingress interface');
});

test('rt: no route in prerouting, the next hop and MTU of the route taken, in every hook', () => {
  const h = host(`table inet f {
    chain p { type filter hook prerouting priority 0; policy accept; rt ip nexthop 0.0.0.0/0 counter }
    chain fw { type filter hook forward priority 0; policy accept;
      rt ip nexthop 203.0.113.254 counter
      rt ip nexthop 10.0.2.100 counter
      rt ip6 nexthop fd00:3::fe counter
      rt mtu 1460 counter
      rt mtu 1440 counter
      rt classid "cosmos" counter
      rt ipsec missing counter }
    chain i { type filter hook input priority 0; policy accept; rt ip nexthop 10.0.1.1 counter; rt ip nexthop 10.0.1.255 counter }
    chain o { type filter hook output priority 0; policy accept; rt ip nexthop 203.0.113.254 counter; rt mtu 65495 counter } }`);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '198.51.100.1')), 'inet f fw'), [1, 4, 6, 7]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '198.51.100.1')), 'inet f p'), [], 'prerouting: no route yet');
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.2.100')), 'inet f fw'), [2, 4, 6, 7]);
  assert.deepEqual(hits(rx(h, 'r_cli', u6('fd00:1::100', '2001:db8::1')), 'inet f fw'), [3, 5, 6, 7]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.1.1')), 'inet f i'), [1]);
  assert.deepEqual(hits(rx(h, 'r_cli', u4('10.0.1.100', '10.0.1.255')), 'inet f i'), [2]);
  assert.deepEqual(hits(h.send(u4('203.0.113.1', '198.51.100.1'), LinkType.RAW, T), 'inet f o'), [1]);
  // to itself through lo: dst_mtu is lo's 65536 capped to IP_MAX_MTU, 65535 - 40
  // (twice: the port unreachable the host then sends itself takes the same way)
  assert.deepEqual(hits(h.send(u4('10.0.1.1', '10.0.1.1'), LinkType.RAW, T), 'inet f o'), [2, 2]);
});

test('rt mtu clamps to the smaller of the route out and the route back', () => {
  const cfg = { ...HOST, interfaces: [{ name: 'r_cli', addresses: ['10.0.1.1/24'], mtu: 1400 }, { name: 'r_srv', addresses: ['10.0.2.1/24'], mtu: 9000 }, { name: 'r_wan', addresses: ['203.0.113.1/24'], mtu: 68 }] };
  const h = host(`table ip f { chain fw { type filter hook forward priority 0; policy accept;
    tcp option maxseg size set rt mtu; tcp option maxseg size 1360 counter; tcp option maxseg size 28 counter } }`, cfg);
  const syn = (src: string, dst: string) => ipv4({ src, dst, payload: tcp({ sport: 1, dport: 2, flags: 'S', options: { mss: 8960 } }) });
  assert.deepEqual(hits(rx(h, 'r_srv', syn('10.0.2.100', '10.0.1.100')), 'ip f fw'), [2], 'out through 1400');
  assert.deepEqual(hits(rx(h, 'r_cli', syn('10.0.1.100', '10.0.2.100')), 'ip f fw'), [2], 'back through 1400');
  assert.deepEqual(hits(rx(h, 'r_cli', syn('10.0.1.100', '198.51.100.1')), 'ip f fw'), [3], 'an MTU of 68: 68 - 40');
});

test('listing: fib and rt as nft 1.0.6 prints them', () => {
  const rs = loadNft(`table inet t { chain p { type filter hook prerouting priority 0;
    fib iif . saddr . mark oif 0
    fib daddr type { 2, 5, 9, 10, 11, 0 }
    fib daddr type vmap { local : accept, unicast : continue }
    fib daddr oif lo
    fib saddr . iif oif != 0
  }
  chain f { type filter hook forward priority 0; rt classid 0; rt classid 1; rt ip6 nexthop fd00::1; rt ipsec exists } }
  table ip t4 { chain f { type filter hook forward priority 0; rt nexthop 10.0.0.1 } }`);
  assert.equal(formatNftRuleset(rs), `table inet t {
\tchain p {
\t\ttype filter hook prerouting priority filter; policy accept;
\t\tfib saddr . mark . iif oif 0
\t\tfib daddr type { unspec, local, multicast, 9, 10, 11 }
\t\tfib daddr type vmap { unicast : continue, local : accept }
\t\tfib daddr oif "lo"
\t\tfib saddr . iif oif != 0
\t}

\tchain f {
\t\ttype filter hook forward priority filter; policy accept;
\t\trt classid "cosmos"
\t\trt classid 1
\t\trt ip6 nexthop fd00::1
\t\trt ipsec exists
\t}
}
table ip t4 {
\tchain f {
\t\ttype filter hook forward priority filter; policy accept;
\t\trt ip nexthop 10.0.0.1
\t}
}
`);
});

function loadError(text: string): string {
  try {
    nftBaseChains(loadNft(text, { file: 'r.nft' }));
  } catch (e) {
    assert.ok(e instanceof NftError, String(e));
    return e.message;
  }
  assert.fail('loaded');
}

const chainIn = (hook: string, rule: string) => `table ip t {\n chain c {\n  type filter hook ${hook} priority 0;\n  ${rule}\n }\n}\n`;

test('errors: nft\'s own, and the kernel\'s (EINVAL, EOPNOTSUPP for the hooks it refuses)', () => {
  assert.equal(loadError(chainIn('prerouting', 'fib saddr . daddr oif exists')), 'r.nft:4:3: fib: saddr and daddr are mutually exclusive');
  assert.equal(loadError(chainIn('prerouting', 'fib saddr . iif . oif type local')), 'r.nft:4:3: fib: iif and oif are mutually exclusive');
  assert.equal(loadError(chainIn('prerouting', 'fib iif oif 0')), 'r.nft:4:3: fib: need either saddr or daddr');
  assert.match(loadError(chainIn('prerouting', 'fib daddr type exists')), /Could not process rule: Invalid argument/);
  assert.match(loadError(chainIn('prerouting', 'fib saddr . iif oifname missing')), /Could not process rule: Invalid argument/);
  assert.match(loadError(chainIn('prerouting', 'fib saddr . oif oif 0')), /Could not process rule: Invalid argument/);
  for (const [hook, rule] of [['output', 'fib daddr oif 0'], ['postrouting', 'fib saddr . iif type local'], ['prerouting', 'fib daddr . oif type local'], ['input', 'fib daddr . oif type local'], ['prerouting', 'rt mtu 1460'], ['input', 'tcp option maxseg size set rt mtu']]) {
    assert.match(loadError(chainIn(hook!, rule!)), /^r\.nft:4:3: Could not process rule: Operation not supported/, `${rule} in ${hook}`);
  }
  for (const [hook, rule] of [['input', 'fib saddr oif 0'], ['forward', 'fib daddr . oif type local'], ['output', 'fib daddr type local'], ['postrouting', 'rt mtu 1460'], ['output', 'tcp option maxseg size set rt mtu']]) {
    assert.doesNotThrow(() => nftBaseChains(loadNft(chainIn(hook!, rule!))), `${rule} in ${hook}`);
  }
  assert.match(loadError('table inet t { chain c { type filter hook forward priority 0; rt nexthop 10.0.0.1 } }'), /cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead/);
  assert.match(loadError(chainIn('prerouting', 'fib daddr oif 3')), /interface index 3: ctkit compares interfaces by name/);
  // netdev chains, as the kernel answered: ingress takes what prerouting takes, egress only types without iif
  const netdev = (hook: string, rule: string) => `table netdev t {\n chain c {\n  type filter hook ${hook} device "r_cli" priority 0;\n  ${rule}\n }\n}\n`;
  for (const rule of ['fib saddr . iif oif missing drop', 'fib daddr oifname "x"', 'fib daddr . iif type local']) assert.doesNotThrow(() => loadNft(netdev('ingress', rule)), rule);
  for (const rule of ['fib daddr type local', 'fib daddr . oif type local']) assert.doesNotThrow(() => loadNft(netdev('egress', rule)), rule);
  for (const [hook, rule] of [['ingress', 'fib daddr . oif type local'], ['egress', 'fib daddr oif exists'], ['egress', 'fib daddr . iif type local'], ['ingress', 'rt mtu 1400']]) {
    assert.throws(() => loadNft(netdev(hook!, rule!)), /Operation not supported/, `${rule} in netdev ${hook}`);
  }
  assert.doesNotThrow(() => loadNft(netdev('ingress', 'ip saddr set 1.2.3.4')), 'payload mangling at netdev ingress (r_r2_nft_netdev_snat_1)');
  // a regular chain is checked against every base chain that reaches it
  assert.match(loadError('table ip t {\n chain o { type filter hook output priority 0; jump sub }\n chain sub {\n  fib daddr oif "lo" counter\n }\n}\n'), /^r\.nft:4:3: Could not process rule: Operation not supported: fib daddr oif "lo" in chain sub is not valid in the output hook \(reached from base chain o\)$/);
  assert.doesNotThrow(() => nftBaseChains(loadNft('table ip t { chain i { type filter hook input priority 0; jump sub }\n chain sub { fib daddr oif "lo" counter } }')));
});
