/**
 * The netdev, arp and bridge families: what loads (the checks nft 1.0.6 and the 6.18 kernel make,
 * with their messages, taken from the real nft in a network namespace), how it lists, and what the
 * pipeline does with frames at the netdev ingress / egress and arp input / output hooks (the
 * r_nft_netdev_* / r_nft_arp_* / r_nft_bridge_1 conformance scenarios hold the kernel's answers;
 * these tests pin the single behaviours and the errors for what ctkit does not model).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Host } from '../../src/host/host.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { loadNft } from '../../src/nft/load.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { NftError } from '../../src/nft/lexer.js';
import { formatNftRuleset } from '../../src/format/nft.js';
import { ethernet, ipv4, tcp, udp } from '../../src/packet/build.js';
import { createNat } from '../../src/nat/index.js';
import { Unsupported } from '../../src/netfilter/pipeline.js';
import { LinkType } from '../../src/packet/view.js';
import { verifyIpv4Header } from '../../src/packet/checksum.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function loadError(text: string): string {
  try {
    loadNft(text, { file: 'r.nft' });
  } catch (e) {
    assert.ok(e instanceof NftError, String(e));
    return e.message;
  }
  assert.fail('loaded');
}

const chain = (family: string, decl: string, rule = 'counter'): string => `table ${family} t {\n chain c {\n  ${decl}\n  ${rule}\n }\n}\n`;
const ING = 'type filter hook ingress device "r_cli" priority 0;';
const EGR = 'type filter hook egress device "r_cli" priority 0;';

test('netdev, arp, bridge and inet-ingress chains list as nft 1.0.6 lists them', () => {
  const rs = loadNft(`table netdev nd {
  chain ing {
    type filter hook ingress devices = { r_cli, r_srv } priority 5; policy accept;
    udp dport 1 counter dup to r_wan
    udp dport 2 counter fwd to "r_srv"
    udp dport 3 fwd ip to 10.0.2.101 device r_srv
    meta protocol arp ether saddr 02:00:00:00:01:02 counter drop
  }
  chain egr { type filter hook egress device "r_wan" priority -5; policy drop; meta length 50 counter; }
}
table arp a {
  chain in { type filter hook input priority filter + 3; arp operation request arp daddr ip 10.0.1.1 counter; arp saddr ether 02:00:00:00:01:02 drop; }
  chain out { type filter hook output priority 55; }
}
table bridge b {
  chain pre { type filter hook prerouting priority -295; }
  chain in { type filter hook input priority -295; }
  chain out { type filter hook output priority out - 5; }
  chain post { type filter hook postrouting priority srcnat; }
}
table inet ii {
  chain ing { type filter hook ingress device r_cli priority mangle + 5; ct state invalid counter; }
}
`, { file: 'r.nft' });
  assert.equal(formatNftRuleset(rs), `table netdev nd {
\tchain ing {
\t\ttype filter hook ingress devices = { r_cli, r_srv } priority filter + 5; policy accept;
\t\tudp dport 1 counter packets 0 bytes 0 dup to "r_wan"
\t\tudp dport 2 counter packets 0 bytes 0 fwd to "r_srv"
\t\tudp dport 3 fwd ip to 10.0.2.101 device "r_srv"
\t\tmeta protocol arp ether saddr 02:00:00:00:01:02 counter packets 0 bytes 0 drop
\t}

\tchain egr {
\t\ttype filter hook egress device "r_wan" priority filter - 5; policy drop;
\t\tmeta length 50 counter packets 0 bytes 0
\t}
}
table arp a {
\tchain in {
\t\ttype filter hook input priority filter + 3; policy accept;
\t\tarp operation request arp daddr ip 10.0.1.1 counter packets 0 bytes 0
\t\tarp saddr ether 02:00:00:00:01:02 drop
\t}

\tchain out {
\t\ttype filter hook output priority 55; policy accept;
\t}
}
table bridge b {
\tchain pre {
\t\ttype filter hook prerouting priority dstnat + 5; policy accept;
\t}

\tchain in {
\t\ttype filter hook input priority -295; policy accept;
\t}

\tchain out {
\t\ttype filter hook output priority out - 5; policy accept;
\t}

\tchain post {
\t\ttype filter hook postrouting priority srcnat; policy accept;
\t}
}
table inet ii {
\tchain ing {
\t\ttype filter hook ingress device "r_cli" priority mangle + 5; policy accept;
\t\tct state invalid counter packets 0 bytes 0
\t}
}
`);
  // bridge `filter` is -200 there
  assert.equal(rs.table('bridge', 'b')!.chains.get('post')!.base!.priority, 300);
  assert.equal(loadNft(chain('bridge', 'type filter hook forward priority filter;')).table('bridge', 't')!.chains.get('c')!.base!.priority, -200);
});

test('what the families refuse, with nft\'s and the kernel\'s words', () => {
  const cases: [string, RegExp][] = [
    [chain('netdev', ING, 'ct state new'), /:4:3: Could not process rule: Protocol error$/],
    [chain('netdev', EGR, 'ct mark set 1'), /Could not process rule: Protocol error$/],
    [chain('arp', 'type filter hook input priority 0;', 'ct mark 1'), /Could not process rule: Protocol error$/],
    [chain('netdev', ING, 'masquerade'), /NAT is only supported for IPv4\/IPv6$/],
    [chain('arp', 'type filter hook input priority 0;', 'reject'), /cannot use reject with arp$/],
    [chain('netdev', EGR, 'reject'), /Could not process rule: Operation not supported$/],
    [chain('netdev', ING, 'dup to 10.0.2.100 device r_srv'), /cannot specify device$/],
    [chain('inet', 'type filter hook forward priority 0;', 'dup to r_srv'), /unsupported family$/],
    [chain('arp', 'type filter hook input priority 0;', 'fwd to r_srv'), /unsupported family$/],
    [chain('netdev', ING, 'meta nfproto ipv4'), /meta nfproto is only useful in the inet family$/],
    [chain('arp', 'type filter hook input priority 0;', 'ip saddr 1.2.3.4'), /conflicting protocols specified: arp vs. ip$/],
    [chain('netdev', 'type filter hook ingress priority 0;'), /Missing `device' in this chain definition$/],
    [chain('inet', 'type filter hook prerouting device r_cli priority 0;'), /This chain type cannot be bound to device$/],
    [chain('ip', 'type filter hook ingress device r_cli priority 0;'), /The ip family does not support this hook$/],
    [chain('inet', 'type filter hook egress device r_cli priority 0;'), /The inet family does not support this hook$/],
    [chain('arp', 'type filter hook prerouting priority 0;'), /The arp family does not support this hook$/],
    [chain('arp', 'type filter hook forward priority 0;'), /Could not process rule: Operation not supported$/],
    [chain('bridge', 'type filter hook ingress device r_cli priority 0;'), /The bridge family does not support this hook$/],
    [chain('netdev', 'type nat hook ingress device r_cli priority 0;'), /Could not process rule: No such file or directory$/],
    [chain('bridge', 'type nat hook prerouting priority 0;'), /Could not process rule: No such file or directory$/],
    [chain('netdev', 'type filter hook ingress device r_cli priority mangle;'), /'mangle' is invalid priority in this context\.$/],
    [chain('arp', 'type filter hook input priority raw;'), /'raw' is invalid priority in this context\.$/],
    [chain('bridge', 'type filter hook input priority out;'), /'out' is invalid priority in this context\.$/],
    [chain('netdev', ING, 'fwd to ip daddr map { 10.0.2.100 : "r_srv" }'), /fwd: only a device name is supported by ctkit/],
    [chain('inet', 'type filter hook forward priority 0;', 'dup to 10.0.2.100 device "r_srv"'), /unsupported family$/],
    [chain('ip', 'type filter hook forward priority 0;', 'dup to 10.0.2.100 device "r_srv"'), /dup to an address \(the ip and ip6 families: nf_dup_ipv4 \/ nf_dup_ipv6\) is not supported by ctkit$/],
  ];
  for (const [text, re] of cases) assert.match(loadError(text), re, text);
});

// ---- the pipeline -----------------------------------------------------------------------------

const HOST = {
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24'], mac: '02:00:00:00:01:01' },
    { name: 'r_srv', addresses: ['10.0.2.1/24'], mac: '02:00:00:00:02:01' },
    { name: 'r_wan', addresses: ['203.0.113.1/24'] },
  ],
  routes: [{ to: 'default', via: '203.0.113.254', dev: 'r_wan' }],
  sysctl: { 'net.ipv4.ip_forward': 1 },
};

function host(rules: string, sysctl: Record<string, number> = {}): { h: Host; rules: ReturnType<typeof loadNft> } {
  const rs = loadNft(rules, { file: 'r.nft' });
  const h = new Host(hostConfigFromObject({ ...HOST, sysctl: { ...HOST.sysctl, ...sysctl } }, 'host.json'), { chains: nftBaseChains(rs), nat: createNat, seed: 1 });
  return { h, rules: rs };
}

const CLI_MAC = '02:00:00:00:01:02';
const udpPkt = (dport: number, o: { src?: string; dst?: string; ttl?: number } = {}): Uint8Array =>
  ipv4({ src: o.src ?? '10.0.1.100', dst: o.dst ?? '10.0.2.100', ttl: o.ttl ?? 64, id: 1, payload: udp({ sport: 1000, dport, payload: 'abcdefgh' }) });
const frame = (ip: Uint8Array, dst = '02:00:00:00:01:01'): Uint8Array => ethernet({ src: CLI_MAC, dst, payload: ip });

/** An ARP request (Ethernet / IPv4) from the client side. */
function arpRequest(spa: string, tpa: string, o: { dst?: string; op?: number; hlen?: number } = {}): Uint8Array {
  const ip = (a: string): number[] => a.split('.').map(Number);
  const mac = CLI_MAC.split(':').map((x) => parseInt(x, 16));
  const p = Uint8Array.from([0, 1, 8, 0, o.hlen ?? 6, 4, 0, o.op ?? 1, ...mac, ...ip(spa), 0, 0, 0, 0, 0, 0, ...ip(tpa)]);
  return ethernet({ src: CLI_MAC, dst: o.dst ?? 'ff:ff:ff:ff:ff:ff', type: 0x0806, payload: p });
}

test('netdev ingress runs before everything: a drop leaves no conntrack entry; a mark set there is seen in forward', () => {
  const { h } = host(`table netdev n {
  chain i { type filter hook ingress device r_cli priority 0; counter; udp dport 9 counter drop; udp dport 22 meta mark set 0x22; }
}
table inet f { chain fw { type filter hook forward priority 0; meta mark 0x22 counter; } }`);
  const d = h.receive(frame(udpPkt(9)), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(d.verdict, 'DROPPED');
  assert.equal(d.ctstate, null);
  assert.deepEqual(d.rules, ['netdev n i 1', 'netdev n i 2']);
  assert.equal(d.dropReason, 'dropped by netdev n i 2');
  assert.deepEqual(h.listConntrack(1), []);
  const m = h.receive(frame(udpPkt(22)), LinkType.ETHERNET, 'r_cli', 2);
  assert.equal(m.verdict, 'FORWARDED');
  assert.deepEqual(m.rules, ['netdev n i 1', 'netdev n i policy', 'inet f fw 1', 'inet f fw policy']);
  // a raw-IP capture of the same packet takes the same way
  assert.deepEqual(h.receive(udpPkt(22), LinkType.RAW, 'r_cli', 3).rules, m.rules);
});

test('fwd: the frame leaves unchanged through the other device\'s egress (traced before the fwd rule, as the kernel traces it)', () => {
  const { h } = host(`table netdev n {
  chain i { type filter hook ingress device r_cli priority 0; udp dport 2 counter fwd to r_srv; udp dport 3 counter fwd ip to 10.0.2.101 device r_srv; }
  chain e { type filter hook egress device r_srv priority 0; counter; }
}`);
  const p = udpPkt(2);
  const r = h.receive(frame(p), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(r.verdict, 'FORWARDED');
  assert.equal(r.ctstate, null);
  assert.deepEqual(r.rules, ['netdev n e 1', 'netdev n e policy', 'netdev n i 1']);
  assert.deepEqual(r.out.map((o) => [o.iface, hex(o.bytes), o.gen]), [['r_srv', hex(p), false]]);
  assert.deepEqual(h.listConntrack(1), []);
  const q = h.receive(frame(udpPkt(3)), LinkType.ETHERNET, 'r_cli', 2);
  const out = q.out[0]!.bytes;
  assert.equal(out[8], 63, 'fwd ip: TTL decremented');
  assert.ok(verifyIpv4Header(out, 0, 20), 'header checksum updated');
  // IPv6 for a `fwd ip` rule: the rule breaks, the packet goes on
  assert.equal(h.receive(frame(udpPkt(4)), LinkType.ETHERNET, 'r_cli', 3).verdict, 'FORWARDED');
});

test('dup: a copy leaves at once (its own skb: its rules come last), the original goes on', () => {
  const { h } = host(`table netdev n {
  chain i { type filter hook ingress device r_cli priority 0; udp dport 1 counter dup to r_wan; }
  chain e { type filter hook egress devices = { r_srv, r_wan } priority 0; counter; }
}
table ip f { chain fw { type filter hook forward priority 0; udp dport 1 counter drop; } }`);
  const p = udpPkt(1);
  const r = h.receive(frame(p), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(r.verdict, 'DROPPED', 'the original is dropped in forward');
  assert.deepEqual(r.out.map((o) => [o.iface, hex(o.bytes), o.gen]), [['r_wan', hex(p), true]], 'the copy still left');
  assert.deepEqual(r.rules, ['netdev n i 1', 'netdev n i policy', 'ip f fw 1', 'netdev n e 1', 'netdev n e policy']);
});

test('egress: after POSTROUTING, skb->len with the Ethernet header; a drop there leaves the connection confirmed', () => {
  const { h, rules } = host(`table netdev n {
  chain e { type filter hook egress devices = { r_srv, r_cli } priority 0; meta length 50 counter; udp dport 7 counter drop; }
}`);
  const ok = h.receive(frame(udpPkt(5)), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(ok.verdict, 'FORWARDED');
  assert.deepEqual(ok.rules, ['netdev n e 1', 'netdev n e policy']);
  const d = h.receive(frame(udpPkt(7)), LinkType.ETHERNET, 'r_cli', 2);
  assert.equal(d.verdict, 'DROPPED');
  assert.equal(d.ctstate, 'new');
  assert.equal(d.events.length, 1, 'confirmed before egress: [NEW]');
  assert.equal(h.listConntrack(2).length, 2);
  assert.match(formatNftRuleset(rules), /meta length 50 counter packets 2 bytes 100/);
  // the host's own answers leave through egress too (port unreachable from the router)
  const u = h.receive(frame(udpPkt(9, { dst: '10.0.1.1' })), LinkType.ETHERNET, 'r_cli', 3);
  assert.equal(u.verdict, 'LOCAL_IN');
  assert.equal(u.out.length, 1);
  assert.deepEqual(u.rules, ['netdev n e policy']);
});

test('egress meets every fragment on its own; fwd and dup at egress move / copy the frame to another device', () => {
  const rs = loadNft(`table netdev n {
  chain e { type filter hook egress device r_srv priority 0; counter; udp dport 8 counter fwd to r_wan; udp dport 9 dup to r_wan; }
  chain w { type filter hook egress device r_wan priority 0; counter; }
}`);
  const cfg = { ...HOST, interfaces: HOST.interfaces.map((i) => (i.name === 'r_srv' ? { ...i, mtu: 576 } : i)) };
  const h = new Host(hostConfigFromObject(cfg, 'host.json'), { chains: nftBaseChains(rs), nat: createNat, seed: 1 });
  const big = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', id: 7, payload: udp({ sport: 1, dport: 5, payload: 'x'.repeat(1200) }) });
  const r = h.receive(frame(big), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(r.out.length, 3);
  assert.deepEqual(r.rules, ['netdev n e 1', 'netdev n e policy', 'netdev n e 1', 'netdev n e policy', 'netdev n e 1', 'netdev n e policy']);
  // 572 + 572 + 124 bytes of fragments, each with its Ethernet header
  assert.match(formatNftRuleset(rs), /chain e \{[^}]*\n\t\tcounter packets 3 bytes 1310\n/);
  const f = h.receive(frame(udpPkt(8)), LinkType.ETHERNET, 'r_cli', 2);
  assert.equal(f.verdict, 'FORWARDED');
  assert.deepEqual(f.out.map((o) => o.iface), ['r_wan']);
  // the frame fwd moves at egress leaves under another trace id (skb_iif changes): its rules come after
  assert.deepEqual(f.rules, ['netdev n e 1', 'netdev n e 2', 'netdev n w 1', 'netdev n w policy']);
  const d = h.receive(frame(udpPkt(9)), LinkType.ETHERNET, 'r_cli', 3);
  assert.deepEqual(d.out.map((o) => [o.iface, o.gen]), [['r_wan', true], ['r_srv', false]]);
  assert.deepEqual(d.rules, ['netdev n e 1', 'netdev n e policy', 'netdev n w 1', 'netdev n w policy']);
});

test('inet chains on the ingress hook: no conntrack yet, IP frames only; notrack there makes the packet untracked', () => {
  const { h } = host(`table inet i {
  chain g { type filter hook ingress device r_cli priority 0; ct state invalid counter; meta nfproto ipv4 counter; udp dport 4 notrack; }
}`);
  const r = h.receive(frame(udpPkt(4)), LinkType.ETHERNET, 'r_cli', 1);
  assert.deepEqual(r.rules, ['inet i g 1', 'inet i g 2', 'inet i g policy']);
  assert.equal(r.ctstate, 'untracked');
  const a = h.receive(arpRequest('10.0.1.100', '10.0.1.1'), LinkType.ETHERNET, 'r_cli', 2);
  assert.deepEqual(a.rules, [], 'an ARP frame does not meet inet chains');
});

test('ARP: requests for the host\'s addresses are answered (arp input, output and egress hooks); others are taken silently', () => {
  const { h, rules } = host(`table arp a {
  chain i { type filter hook input priority 0; counter; arp saddr ip 10.0.1.101 counter drop; }
  chain o { type filter hook output priority 0; meta length 42 counter; }
}`);
  const r = h.receive(arpRequest('10.0.1.100', '10.0.1.1'), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(r.verdict, 'LOCAL_IN');
  assert.equal(r.ctstate, null);
  assert.deepEqual(r.rules, ['arp a i 1', 'arp a i policy', 'arp a o 1', 'arp a o policy']);
  assert.deepEqual(r.out.map((o) => [o.iface, hex(o.bytes), o.gen]), [['r_cli', '00010800060400020200000001010a0001010200000001020a000164', true]]);
  assert.equal(h.receive(arpRequest('10.0.1.100', '10.0.2.1'), LinkType.ETHERNET, 'r_cli', 2).out.length, 1, 'arp_ignore 0: any local address');
  assert.equal(h.receive(arpRequest('10.0.1.100', '10.0.1.50'), LinkType.ETHERNET, 'r_cli', 3).out.length, 0, 'not the host');
  const dropped = h.receive(arpRequest('10.0.1.101', '10.0.1.1'), LinkType.ETHERNET, 'r_cli', 4);
  assert.equal(dropped.verdict, 'DROPPED');
  assert.equal(dropped.dropReason, 'dropped by arp a i 2');
  const other = h.receive(arpRequest('10.0.1.100', '10.0.1.1', { dst: '02:00:00:00:09:09' }), LinkType.ETHERNET, 'r_cli', 5);
  assert.equal(other.verdict, 'DROPPED');
  assert.match(other.dropReason, /ARP frame for another host/);
  assert.match(h.receive(arpRequest('10.0.1.100', '10.0.1.1', { hlen: 8 }), LinkType.ETHERNET, 'r_cli', 6).dropReason, /hardware address length 8/);
  assert.match(formatNftRuleset(rules), /meta length 42 counter packets 2 bytes 84/);
  // arp_ignore 1: only addresses of the incoming interface
  const { h: h1 } = host('', { 'net.ipv4.conf.all.arp_ignore': 1 });
  assert.equal(h1.receive(arpRequest('10.0.1.100', '10.0.2.1'), LinkType.ETHERNET, 'r_cli', 1).out.length, 0);
  assert.equal(h1.receive(arpRequest('10.0.1.100', '10.0.1.1'), LinkType.ETHERNET, 'r_cli', 2).out.length, 1);
});

test('what cannot be evaluated stops the replay with an error naming it', () => {
  // an answer needs the device's MAC
  const { h } = host('');
  assert.throws(() => h.receive(ethernet({ src: CLI_MAC, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806, payload: arpRequest('203.0.113.5', '203.0.113.1').subarray(14) }), LinkType.ETHERNET, 'r_wan', 1), (e: unknown) => e instanceof Unsupported && /HOST\.json gives r_wan no "mac"/.test(e.message));
  // the Ethernet header of a raw-IP capture
  const { h: h2 } = host(chain('netdev', ING, 'ether saddr 02:00:00:00:01:02 counter'));
  assert.throws(() => h2.receive(udpPkt(1), LinkType.RAW, 'r_cli', 1), (e: unknown) => e instanceof Unsupported && /raw IP/.test(e.message));
  assert.deepEqual(h2.receive(frame(udpPkt(1)), LinkType.ETHERNET, 'r_cli', 2).rules, ['netdev t c 1', 'netdev t c policy']);
  // the neighbour's MAC of a routed frame at egress
  const { h: h3 } = host(chain('netdev', 'type filter hook egress device "r_srv" priority 0;', 'ether daddr 02:00:00:00:02:02 counter'));
  assert.throws(() => h3.receive(frame(udpPkt(1)), LinkType.ETHERNET, 'r_cli', 1), (e: unknown) => e instanceof Unsupported && /neighbour/.test(e.message));
  // fwd to a device the host does not have, reject at netdev ingress
  const { h: h4 } = host(chain('netdev', ING, 'udp dport 1 fwd to r_x'));
  assert.throws(() => h4.receive(frame(udpPkt(1)), LinkType.ETHERNET, 'r_cli', 1), (e: unknown) => e instanceof Unsupported && /no interface "r_x"/.test(e.message));
  assert.match(loadError(chain('netdev', ING, 'udp dport 1 reject')), /:4:15: reject in a netdev chain \(nft_reject_netdev: an answer sent straight out of the device\) is not supported by ctkit$/);
  const { h: h5 } = host(chain('inet', ING, 'udp dport 1 reject'));
  assert.throws(() => h5.receive(frame(udpPkt(1)), LinkType.ETHERNET, 'r_cli', 1), (e: unknown) => e instanceof Unsupported && /reject in a netdev chain/.test(e.message));
});

test('frames of other protocols: netdev chains see them, then nothing takes them', () => {
  const { h } = host(chain('netdev', ING, 'meta protocol 0x88cc counter'));
  const r = h.receive(ethernet({ src: CLI_MAC, dst: '01:80:c2:00:00:0e', type: 0x88cc, payload: new Uint8Array(46) }), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(r.verdict, 'DROPPED');
  assert.deepEqual(r.rules, ['netdev t c 1', 'netdev t c policy']);
  assert.equal(r.dropReason, 'not an IP packet (ethertype 0x88cc: no protocol handler)');
});

test('bridge chains never see a packet: the host has no bridge', () => {
  const { h, rules } = host(`table bridge b {
  chain fw { type filter hook forward priority 0; policy drop; counter; }
  chain i { type filter hook input priority 0; policy drop; counter; }
}`);
  assert.equal(nftBaseChains(rules).length, 0);
  const r = h.receive(frame(udpPkt(5)), LinkType.ETHERNET, 'r_cli', 1);
  assert.equal(r.verdict, 'FORWARDED');
  assert.deepEqual(r.rules, []);
  assert.doesNotMatch(formatNftRuleset(rules), /packets [1-9]/);
});

test('a packet the host sends itself passes the netdev chains bound to lo', () => {
  const { h } = host(`table netdev l {
  chain i { type filter hook ingress device lo priority 0; counter; }
  chain e { type filter hook egress device lo priority 0; udp dport 9 counter drop; counter; }
}`);
  const r = h.send(udpPkt(5, { src: '10.0.1.1', dst: '10.0.2.1' }), LinkType.RAW, 1);
  // out through lo's egress, in through its ingress; then the port unreachable the host answers with, the same way
  const once = ['netdev l e 2', 'netdev l e policy', 'netdev l i 1', 'netdev l i policy'];
  assert.deepEqual(r.rules, [...once, ...once]);
  const d = h.send(udpPkt(9, { src: '10.0.1.1', dst: '10.0.2.1' }), LinkType.RAW, 2);
  assert.equal(d.verdict, 'DROPPED');
});

test('property: counting-only netdev and inet-ingress chains change nothing but the rules list', () => {
  const arb = fc.record({
    dport: fc.integer({ min: 1, max: 65535 }),
    proto: fc.constantFrom('udp', 'tcp'),
    dst: fc.constantFrom('10.0.2.100', '10.0.1.1', '198.51.100.7', '203.0.113.9'),
    ttl: fc.integer({ min: 1, max: 255 }),
    iface: fc.constantFrom('r_cli', 'r_srv', 'r_wan'),
  });
  fc.assert(
    fc.property(fc.array(arb, { minLength: 1, maxLength: 6 }), (pkts) => {
      const plain = host('table inet f { chain fw { type filter hook forward priority 0; counter; } }').h;
      const counted = host(`table inet f { chain fw { type filter hook forward priority 0; counter; } }
table netdev n {
  chain i { type filter hook ingress devices = { r_cli, r_srv, r_wan } priority 0; counter; meta l4proto tcp counter; }
  chain e { type filter hook egress devices = { r_cli, r_srv, r_wan } priority 0; counter; }
}
table inet g { chain i { type filter hook ingress device r_cli priority 0; counter; } }`).h;
      pkts.forEach((p, k) => {
        const payload = p.proto === 'udp' ? udp({ sport: 1000 + k, dport: p.dport, payload: 'x' }) : tcp({ sport: 1000 + k, dport: p.dport, flags: 'S' });
        const ip = ipv4({ src: p.iface === 'r_cli' ? '10.0.1.100' : p.iface === 'r_srv' ? '10.0.2.100' : '198.51.100.1', dst: p.dst, ttl: p.ttl, id: k, payload });
        const a = plain.receive(frame(ip), LinkType.ETHERNET, p.iface, k + 1);
        const b = counted.receive(frame(ip), LinkType.ETHERNET, p.iface, k + 1);
        assert.equal(b.verdict, a.verdict);
        assert.equal(b.ctstate, a.ctstate);
        assert.deepEqual(b.out.map((o) => [o.iface, hex(o.bytes)]), a.out.map((o) => [o.iface, hex(o.bytes)]));
        assert.deepEqual(b.events, a.events);
        assert.deepEqual(b.rules.filter((x) => x.startsWith('inet f')), a.rules);
      });
    }),
    { numRuns: 40 },
  );
});
