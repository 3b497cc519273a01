/**
 * The hook pipeline and the host's own stack, end to end through Host: forwarding with TTL
 * decrement, the host's answers, ICMP errors, REJECT, rp_filter, defragmentation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../../src/host/host.js';
import { parseHostConfig } from '../../src/host/config.js';
import { iptablesBaseChains } from '../../src/netfilter/iptables-chains.js';
import { loadNft } from '../../src/nft/load.js';
import { createNat } from '../../src/nat/index.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { parseIptables } from '../../src/rules/parse.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView, LinkType } from '../../src/packet/view.js';
import { ipv4, tcp, udp, icmpEcho, fragmentIpv4 } from '../../src/packet/build.js';
import { fillIpv4HeaderChecksum, verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';

const HOST = JSON.stringify({
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24'] },
    { name: 'r_srv', addresses: ['10.0.2.1/24'] },
    { name: 'r_wan', addresses: ['203.0.113.1/24'] },
  ],
  routes: [{ to: 'default', via: '203.0.113.254', dev: 'r_wan' }],
  sysctl: { 'net.ipv4.ip_forward': 1, 'net.netfilter.nf_conntrack_acct': 1 },
});

function host(rules?: string, sysctl: Record<string, string | number> = {}): Host {
  const chains = rules ? iptablesBaseChains(parseIptables(rules, { file: 'rules.v4' })) : [];
  return new Host(parseHostConfig(HOST), { chains, seed: 7, sysctl });
}

const MASQ = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -o r_wan -j MASQUERADE', 'COMMIT', ''].join('\n');

/** A host with NAT and MASQUERADE towards r_wan. */
function masqHost(): Host {
  return new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(MASQ, { file: 'rules.v4' })), seed: 7, nat: createNat });
}

const T0 = 1700000000;
const view = (b: Uint8Array) => decodeIp(new PacketView(), b);
const syn = (src: string, dst: string, dport = 80, ttl = 64) =>
  ipv4({ src, dst, ttl, payload: tcp({ sport: 40000, dport, seq: 1000, flags: 'S', win: 64240 }) });

test('a forwarded packet leaves with TTL - 1 and a correct header checksum', () => {
  const h = host();
  const r = h.receive(syn('10.0.1.100', '10.0.2.100'), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'FORWARDED');
  assert.equal(r.ctstate, 'new');
  assert.equal(r.ctdir, 'original');
  assert.equal(r.out.length, 1);
  assert.equal(r.out[0]!.iface, 'r_srv');
  const v = view(r.out[0]!.bytes);
  assert.equal(v.ttl, 63);
  assert.ok(verifyIpv4Header(v.buf, v.l3Off, v.ipHdrLen));
  assert.equal(r.events.length, 1);
  assert.match(r.events[0]!, /^\s*\[NEW\] tcp\s+6 120 SYN_SENT src=10\.0\.1\.100 dst=10\.0\.2\.100 sport=40000 dport=80 \[UNREPLIED\]/);
});

test('the default route carries traffic for unknown networks', () => {
  const r = host().receive(syn('10.0.1.100', '198.51.100.7'), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.out[0]?.iface, 'r_wan');
});

test('TTL 1 when forwarding: ICMP time exceeded from the ingress address, packet dropped, no entry', () => {
  const h = host();
  const r = h.receive(syn('10.0.1.100', '10.0.2.100', 80, 1), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(r.ctstate, 'new');
  assert.equal(r.out.length, 1);
  const e = view(r.out[0]!.bytes);
  assert.equal(r.out[0]!.iface, 'r_cli');
  assert.equal(r.out[0]!.gen, true);
  assert.equal(e.icmpType, 11);
  assert.equal(e.icmpCode, 0);
  assert.equal(e.srcString(), '10.0.1.1');
  assert.equal(e.tos, 0xc0);
  assert.ok(verifyL4Checksum(e));
  assert.equal(h.listConntrack().length, 0);
});

test('an echo request to the host gets an echo reply through OUTPUT', () => {
  const h = host('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  const req = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', payload: icmpEcho({ id: 8, seq: 1, payload: 'abcd' }) });
  const r = h.receive(req, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'LOCAL_IN');
  assert.deepEqual(r.rules, ['filter INPUT policy', 'filter OUTPUT policy']);
  assert.equal(r.out.length, 1);
  const rep = view(r.out[0]!.bytes);
  assert.equal(rep.icmpType, 0);
  assert.equal(rep.icmpId, 8);
  assert.equal(rep.ttl, 64);
  assert.equal(rep.dstString(), '10.0.1.100');
  assert.ok(verifyL4Checksum(rep));
});

test('a closed TCP port on the host answers RST+ACK, a closed UDP port ICMP port unreachable', () => {
  const h = host();
  const r = h.receive(syn('10.0.1.100', '10.0.1.1', 23), LinkType.RAW, 'r_cli', T0);
  const rst = view(r.out[0]!.bytes);
  assert.equal(rst.tcpFlags, 0x14);
  assert.equal(rst.tcpAck, 1001);
  assert.equal(rst.dontFrag, true);
  assert.equal(rst.ipId, 0);
  const u = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', payload: udp({ sport: 5000, dport: 9, payload: 'x' }) });
  const r2 = h.receive(u, LinkType.RAW, 'r_cli', T0 + 1);
  const un = view(r2.out[0]!.bytes);
  assert.equal(un.icmpType, 3);
  assert.equal(un.icmpCode, 3);
  assert.equal(un.srcString(), '10.0.1.1');
  assert.equal(un.inner?.dport, 9);
});

test('REJECT with tcp-reset: RST with DF and ID 0, the SYN leaves no connection', () => {
  const h = host('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p tcp --dport 23 -j REJECT --reject-with tcp-reset\nCOMMIT\n');
  const r = h.receive(syn('10.0.1.100', '10.0.2.100', 23), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.deepEqual(r.rules, ['filter FORWARD 1', 'filter OUTPUT policy']);
  const rst = view(r.out[0]!.bytes);
  assert.equal(rst.srcString(), '10.0.2.100');
  assert.equal(rst.tcpSeq, 0);
  assert.equal(rst.tcpAck, 1001);
  assert.equal(rst.ttl, 64);
  assert.deepEqual(r.events, []);
  assert.equal(h.listConntrack().length, 0);
});

test('ICMP errors are rate limited per destination: a burst of 6, then one a second', () => {
  const h = host();
  let sent = 0;
  for (let i = 0; i < 10; i++) {
    const r = h.receive(syn('10.0.1.100', '10.0.2.100', 80 + i, 1), LinkType.RAW, 'r_cli', T0 + i * 0.01);
    sent += r.out.length;
  }
  assert.equal(sent, 6);
  const later = h.receive(syn('10.0.1.100', '10.0.2.100', 99, 1), LinkType.RAW, 'r_cli', T0 + 1.2);
  assert.equal(later.out.length, 1);
});

test('rp_filter strict drops a source that routes back through another interface', () => {
  const h = host(undefined, { 'net.ipv4.conf.all.rp_filter': 1 });
  const r = h.receive(syn('10.0.2.50', '203.0.113.9'), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.match(r.dropReason, /rp_filter/);
  assert.equal(h.listConntrack().length, 0);
  const loose = host(undefined, { 'net.ipv4.conf.all.rp_filter': 2 });
  assert.equal(loose.receive(syn('10.0.2.50', '203.0.113.9'), LinkType.RAW, 'r_cli', T0).verdict, 'FORWARDED');
});

test('forwarding off: a transit packet is dropped without an ICMP error', () => {
  const h = host(undefined, { 'net.ipv4.ip_forward': 0 });
  const r = h.receive(syn('10.0.1.100', '10.0.2.100'), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(r.out.length, 0);
});

test('fragments are held, reassembled for conntrack, and leave as the same fragments', () => {
  const h = host();
  const big = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', id: 77, payload: udp({ sport: 5000, dport: 53, payload: new Uint8Array(1200).fill(7) }) });
  const frags = fragmentIpv4(big, 552);
  assert.ok(frags.length > 1);
  const results = frags.map((f, i) => h.receive(f, LinkType.RAW, 'r_cli', T0 + i * 0.001));
  for (const r of results.slice(0, -1)) {
    assert.equal(r.verdict, 'DROPPED');
    assert.equal(r.ctstate, null);
  }
  const last = results.at(-1)!;
  assert.equal(last.verdict, 'FORWARDED');
  assert.equal(last.ctstate, 'new');
  assert.equal(last.out.length, frags.length);
  for (let i = 0; i < frags.length; i++) {
    const a = view(last.out[i]!.bytes);
    const b = view(frags[i]!);
    assert.equal(a.fragOffset, b.fragOffset);
    assert.equal(a.ipTotalLen, b.ipTotalLen);
    assert.equal(a.ttl, b.ttl - 1);
  }
});

test('a packet with a bad IPv4 header checksum never reaches conntrack', () => {
  const bad = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', ipChecksum: 'bad', payload: udp({ sport: 1, dport: 2 }) });
  const r = host().receive(bad, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(r.ctstate, null);
});

test('a SYN to a declared listener gets the SYN-ACK Linux writes; a closed port still gets RST', () => {
  const cfg = JSON.parse(HOST);
  cfg.listen = [{ proto: 'tcp', port: 22 }, { proto: 'udp', port: 53 }];
  const h = new Host(parseHostConfig(JSON.stringify(cfg)), { seed: 3 });
  const s = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', payload: tcp({ sport: 40000, dport: 22, seq: 1000, flags: 'S', win: 64240, options: { mss: 1460, sackPerm: true, ts: [777, 0], wscale: 7 } }) });
  const r = h.receive(s, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'LOCAL_IN');
  const sa = view(r.out[0]!.bytes);
  assert.equal(sa.tcpFlags, 0x12);
  assert.equal(sa.tcpAck, 1001);
  assert.equal(sa.tcpMss, 1460);
  assert.equal(sa.tcpWscale, 10); // as a real 6.18 listener answered in a namespace
  assert.equal(sa.tcpSackPerm, true);
  assert.equal(sa.tcpTsEcr, 777);
  assert.equal(sa.tcpWindow, 65160);
  assert.equal(sa.dontFrag, true);
  assert.ok(verifyL4Checksum(sa));
  assert.match(r.events.join('\n'), /SYN_RECV/);
  // The handshake's ACK is taken by the socket: no answer.
  const ack = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', payload: tcp({ sport: 40000, dport: 22, seq: 1001, ack: sa.tcpSeq + 1, flags: 'A', win: 502 }) });
  assert.equal(h.receive(ack, LinkType.RAW, 'r_cli', T0 + 0.01).out.length, 0);
  // A UDP socket takes datagrams: no port unreachable.
  const u = ipv4({ src: '10.0.1.100', dst: '10.0.1.1', payload: udp({ sport: 5000, dport: 53, payload: 'q' }) });
  assert.equal(h.receive(u, LinkType.RAW, 'r_cli', T0 + 0.02).out.length, 0);
  const closed = h.receive(syn('10.0.1.100', '10.0.1.1', 23), LinkType.RAW, 'r_cli', T0 + 0.03);
  assert.equal(view(closed.out[0]!.bytes).tcpFlags, 0x14);
});

test('with traceEvaluation every rule tried is listed, and LOG lines come back with the packet', () => {
  const rules = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A FORWARD -p udp -j ACCEPT',
    '-A FORWARD -p tcp --dport 22 -j LOG --log-prefix "SSH: "',
    '-A FORWARD -p tcp --dport 22 -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n');
  const h = new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(rules, { file: 'r' })), seed: 1, traceEvaluation: true });
  const r = h.receive(syn('10.0.1.100', '10.0.2.100', 22), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'FORWARDED');
  assert.deepEqual(r.trace, ['filter FORWARD 1: no match', 'filter FORWARD 2: match', 'filter FORWARD 3: match']);
  assert.equal(r.log.length, 1);
  assert.match(r.log[0]!, /^SSH: IN=r_cli OUT=r_srv .*SRC=10\.0\.1\.100 DST=10\.0\.2\.100 .*PROTO=TCP SPT=40000 DPT=22 /);
  const dropped = h.receive(syn('10.0.1.100', '10.0.2.100', 23), LinkType.RAW, 'r_cli', T0 + 1);
  assert.deepEqual(dropped.trace, ['filter FORWARD 1: no match', 'filter FORWARD 2: no match', 'filter FORWARD 3: no match', 'filter FORWARD policy DROP']);
  assert.match(dropped.dropReason, /filter FORWARD policy/);
});

test('CT --ctevents: with nf_conntrack_events=1 the mask decides whether an event is delivered (with all its bits); with the default 2 it is ignored', () => {
  // Recorded: r_ct_ctevents_1 (events=1), r_ct_ctevents_2 (events=2).
  const rules = (target: string) =>
    ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', `-A PREROUTING -p udp -j CT ${target}`, 'COMMIT', ''].join('\n');
  const on = { 'net.netfilter.nf_conntrack_events': 1 };
  const h = new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(rules('--ctevents new,destroy'), { file: 'r' })), seed: 1, sysctl: on });
  const q = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: udp({ sport: 5000, dport: 53, payload: 'q' }) });
  const a = ipv4({ src: '10.0.2.100', dst: '10.0.1.100', payload: udp({ sport: 53, dport: 5000, payload: 'a' }) });
  assert.equal(h.receive(q, LinkType.RAW, 'r_cli', T0).events.length, 1);
  assert.deepEqual(h.receive(a, LinkType.RAW, 'r_srv', T0 + 0.01).events, []); // the UPDATE (reply seen) is masked
  // A mask without `new`: the first packet's event still goes out (its bits include others of the mask), as [NEW].
  const tcpRules = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A PREROUTING -p tcp -j CT --ctevents assured,protoinfo', 'COMMIT', ''].join('\n');
  const t = new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(tcpRules, { file: 'r' })), seed: 1, sysctl: on });
  const syn = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 40000, dport: 80, seq: 1, flags: 'S', win: 64240 }) });
  const ev = t.receive(syn, LinkType.RAW, 'r_cli', T0).events;
  assert.equal(ev.length, 1);
  assert.match(ev[0]!, /^ +\[NEW\] tcp +6 120 SYN_SENT /);
  // The default (2): the rules were loaded before anyone listened, the template has no mask.
  const dflt = new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(rules('--ctevents new,destroy'), { file: 'r' })), seed: 1 });
  dflt.receive(q, LinkType.RAW, 'r_cli', T0);
  assert.equal(dflt.receive(a, LinkType.RAW, 'r_srv', T0 + 0.01).events.length, 1);
});

test('-j TRACE in raw traces the rest of that packet\'s way', () => {
  const rules = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 22 -j TRACE', 'COMMIT',
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A FORWARD -p udp -j DROP', 'COMMIT', ''].join('\n');
  const h = new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(rules, { file: 'r' })), seed: 1 });
  const traced = h.receive(syn('10.0.1.100', '10.0.2.100', 22), LinkType.RAW, 'r_cli', T0);
  assert.deepEqual(traced.trace, ['filter FORWARD 1: no match', 'filter FORWARD policy ACCEPT']);
  assert.equal(h.receive(syn('10.0.1.100', '10.0.2.100', 80), LinkType.RAW, 'r_cli', T0 + 1).trace, undefined);
});

test('removing the address MASQUERADE used deletes its entries, as the kernel\'s notifier does', async () => {
  const { createNat } = await import('../../src/nat/index.js');
  const rules = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    '-A POSTROUTING -o r_wan -j MASQUERADE', 'COMMIT', ''].join('\n');
  const h = new Host(parseHostConfig(HOST), { chains: iptablesBaseChains(parseIptables(rules, { file: 'r' })), seed: 1, nat: createNat });
  const r = h.receive(syn('10.0.1.100', '198.51.100.7'), LinkType.RAW, 'r_cli', T0);
  assert.equal(view(r.out[0]!.bytes).srcString(), '203.0.113.1');
  h.receive(syn('10.0.1.100', '10.0.2.100'), LinkType.RAW, 'r_cli', T0 + 0.1); // not masqueraded
  assert.equal(h.listConntrack().length, 2);
  h.removeAddress('r_wan', '203.0.113.1/24', T0 + 1);
  const events = h.takeEvents();
  assert.equal(events.length, 1);
  assert.match(events[0]!, /\[DESTROY\] tcp .*dst=198\.51\.100\.7/);
  assert.equal(h.listConntrack().length, 1);
  // The connected route went with the address: only the default route covers the subnet now.
  assert.equal(h.routing.lookup({ family: 4, dst: Uint32Array.of(0xcb007105, 0, 0, 0), src: null, iif: null, oif: null, mark: 0 })?.prefixLen, 0);
});

test('CT --timeout applies the HOST.json timeout policy to the connection; an unknown policy stops the replay', () => {
  const cfg = JSON.parse(HOST);
  cfg.ct_timeout = { short: { l4proto: 'tcp', timeouts: { syn_sent: 5, established: 100 } } };
  const rules = (name: string) => ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', `-A PREROUTING -p tcp --dport 80 -j CT --timeout ${name}`, 'COMMIT', ''].join('\n');
  const h = new Host(parseHostConfig(JSON.stringify(cfg)), { chains: iptablesBaseChains(parseIptables(rules('short'), { file: 'r' })), seed: 1 });
  const r = h.receive(syn('10.0.1.100', '10.0.2.100', 80), LinkType.RAW, 'r_cli', T0);
  assert.match(r.events[0]!, /\[NEW\] tcp\s+6 5 SYN_SENT/);
  const other = h.receive(syn('10.0.1.100', '10.0.2.100', 81), LinkType.RAW, 'r_cli', T0);
  assert.match(other.events[0]!, /\[NEW\] tcp\s+6 120 SYN_SENT/);
  assert.throws(() => parseHostConfig(JSON.stringify({ ...cfg, ct_timeout: { x: { l4proto: 'udp', timeouts: { established: 1 } } } }), 'h.json'), /ct_timeout\.x\.timeouts\.established: not a udp timeout/);
  const bad = new Host(parseHostConfig(JSON.stringify(cfg)), { chains: iptablesBaseChains(parseIptables(rules('nosuch'), { file: 'r' })), seed: 1 });
  assert.throws(() => bad.receive(syn('10.0.1.100', '10.0.2.100', 80), LinkType.RAW, 'r_cli', T0), /CT --timeout nosuch: no such timeout policy/);
});

test('a ct mark changed and changed back within one packet still reports [UPDATE] (IPCT_MARK cached at every change; fuzz finding r_fuzz_20118_1)', () => {
  const rules = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -j CONNMARK --save-mark', '-A FORWARD -p udp -j CONNMARK --set-mark 0x20', 'COMMIT', ''].join('\n');
  const h = host(rules);
  const q = (payload: string) => ipv4({ src: '10.0.1.179', dst: '10.0.2.154', payload: udp({ sport: 49525, dport: 123, payload }) });
  const first = h.receive(q('a'), LinkType.RAW, 'r_cli', T0);
  assert.match(first.events[0]!, /^ +\[NEW\] .* mark=32$/);
  // PREROUTING saves the packet's mark 0 into the entry, FORWARD sets 32 again: two changes.
  const second = h.receive(q('b'), LinkType.RAW, 'r_cli', T0 + 0.01);
  assert.deepEqual(second.events, [' [UPDATE] udp      17 30 src=10.0.1.179 dst=10.0.2.154 sport=49525 dport=123 [UNREPLIED] src=10.0.2.154 dst=10.0.1.179 sport=123 dport=49525 mark=32']);
});

test('base chains of equal priority run in reverse registration order, nat chains too (nf_hook_entries_grow; fuzz finding r_fuzz_70032_1)', () => {
  // nft -f registers a table's chains in declaration order, then iptables-restore its tables;
  // net/netfilter/core.c inserts a new hook before the existing ones of the same priority.
  const nft = loadNft(
    [
      'table ip fz {',
      '  chain helpers { type filter hook prerouting priority -150; policy accept; counter }',
      '  chain mangle_prerouting { type filter hook prerouting priority -150; policy accept; counter }',
      '  chain early { type filter hook prerouting priority -151; policy accept; counter }',
      '  chain nat1 { type nat hook prerouting priority -100; policy accept; counter }',
      '  chain nat2 { type nat hook prerouting priority -100; policy accept; counter }',
      '}',
      '',
    ].join('\n'),
    { file: 'rules.nft' },
  );
  const ipt = ['*mangle', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -j MARK --set-mark 0x1', 'COMMIT', ''].join('\n');
  const chains = [...nftBaseChains(nft), ...iptablesBaseChains(parseIptables(ipt, { file: 'rules.v4' }))];
  const h = new Host(parseHostConfig(HOST), { chains, seed: 1, traceEvaluation: true });
  const r = h.receive(syn('10.0.1.100', '10.0.2.100'), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'FORWARDED');
  const chainsSeen = r.rules.map((l) => l.replace(/ (\d+|policy)$/, '')).filter((c, i, a) => a.indexOf(c) === i);
  assert.deepEqual(chainsSeen, ['ip fz early', 'mangle PREROUTING', 'ip fz mangle_prerouting', 'ip fz helpers', 'ip fz nat2', 'ip fz nat1']);
});

/** The flags and offset word (bytes 6-7) of every fragment that left. */
const fragWords = (out: { bytes: Uint8Array }[]) => out.map((o) => (o.bytes[6]! << 8) | o.bytes[7]!);

test('reassembled DF fragments leave by the fast path with DF cleared (ip_fraglist_init / ip_fraglist_prepare; r_fuzz_ok_40004)', () => {
  const h = host();
  const big = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', id: 78, df: true, payload: tcp({ sport: 40000, dport: 80, seq: 1, flags: 'PA', win: 64240, payload: new Uint8Array(600).fill(9) }) });
  const frags = fragmentIpv4(big, 256);
  assert.deepEqual(fragWords(frags.map((bytes) => ({ bytes }))), [0x6000, 0x6020, 0x4040]);
  let r = h.receive(frags[0]!, LinkType.RAW, 'r_cli', T0);
  for (let i = 1; i < frags.length; i++) r = h.receive(frags[i]!, LinkType.RAW, 'r_cli', T0 + i * 0.001);
  assert.equal(r.verdict, 'FORWARDED');
  // the original pieces again, only MF and the offset in the flags word
  assert.deepEqual(fragWords(r.out), [0x2000, 0x2020, 0x0040]);
});

test('tiny DF TCP fragments: the TCP header pulled into the head (early demux, NAT) sends them by the slow path with DF kept; UDP keeps the fast path (ip_frag_next; r_fuzz_70056_1)', () => {
  const h = masqHost();
  const big = ipv4({ src: '10.0.1.135', dst: '198.51.100.7', id: 79, df: true, payload: tcp({ sport: 29813, dport: 22, seq: 1, flags: 'S', win: 64240 }) });
  const frags = fragmentIpv4(big, 8);
  assert.equal(frags.length, 3);
  let r = h.receive(frags[0]!, LinkType.RAW, 'r_cli', T0);
  for (let i = 1; i < frags.length; i++) r = h.receive(frags[i]!, LinkType.RAW, 'r_cli', T0 + i * 0.001);
  assert.equal(r.verdict, 'FORWARDED');
  assert.deepEqual(fragWords(r.out), [0x6000, 0x6001, 0x4002]);
  // without NAT too: tcp_v4_early_demux pulls the 20-byte header (recorded: TCP 24 bytes in 8-byte DF fragments)
  const routed = (payload: Parameters<typeof ipv4>[0]['payload'], id: number): number[] => {
    const plain = host();
    const fs = fragmentIpv4(ipv4({ src: '10.0.1.100', dst: '10.0.2.100', id, df: true, payload }), 8);
    let p = plain.receive(fs[0]!, LinkType.RAW, 'r_cli', T0);
    for (let i = 1; i < fs.length; i++) p = plain.receive(fs[i]!, LinkType.RAW, 'r_cli', T0 + i * 0.001);
    return fragWords(p.out);
  };
  assert.deepEqual(routed(tcp({ sport: 40001, dport: 80, seq: 1, flags: 'PA', win: 64240, payload: new Uint8Array(4).fill(9) }), 1), [0x6000, 0x6001, 0x4002]);
  // UDP: the 8-byte header fits the first fragment, the fast path clears DF (recorded: UDP 24 bytes)
  assert.deepEqual(routed(udp({ sport: 40006, dport: 53, payload: new Uint8Array(16).fill(9) }), 6), [0x2000, 0x2001, 0x0002]);
});

test('a reassembled datagram keeps DF only when a DF fragment was the largest (ip_frag_reasm max_df_size == max_size)', () => {
  const h = masqHost();
  const big = ipv4({ src: '10.0.1.135', dst: '198.51.100.7', id: 81, payload: tcp({ sport: 29814, dport: 22, seq: 1, flags: 'S', win: 64240 }) });
  // the 20-byte TCP header in two fragments: 8 bytes with DF, then the last 12 without (the largest, 32 bytes)
  const piece = (off: number, len: number, flags: number): Uint8Array => {
    const f = new Uint8Array([...big.subarray(0, 20), ...big.subarray(20 + off, 20 + off + len)]);
    f[2] = 0;
    f[3] = f.length;
    f[6] = flags | ((off >> 11) & 0x1f);
    f[7] = (off >> 3) & 0xff;
    fillIpv4HeaderChecksum(f, 0, 20);
    return f;
  };
  const a = piece(0, 8, 0x60);
  const last = piece(8, 12, 0x00);
  h.receive(a, LinkType.RAW, 'r_cli', T0);
  const r = h.receive(last, LinkType.RAW, 'r_cli', T0 + 0.001);
  assert.equal(r.verdict, 'FORWARDED');
  // slow path (NAT pulled the TCP header), cut for the largest fragment (12 -> 8-byte pieces), no DF
  assert.deepEqual(fragWords(r.out), [0x2000, 0x2001, 0x0002]);
});

test('an ICMP error about a reassembled datagram quotes its header with the DF ip_frag_reasm gave it (r_fuzz_70110_1)', () => {
  const h = host(['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A FORWARD -j REJECT --reject-with icmp-port-unreachable', 'COMMIT', ''].join('\n'));
  const big = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', id: 82, df: true, payload: tcp({ sport: 40082, dport: 80, seq: 1, flags: 'PA', win: 64240, payload: new Uint8Array(12).fill(1) }) });
  const frags = fragmentIpv4(big, 8);
  let r = h.receive(frags[0]!, LinkType.RAW, 'r_cli', T0);
  for (let i = 1; i < frags.length; i++) r = h.receive(frags[i]!, LinkType.RAW, 'r_cli', T0 + i * 0.001);
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(r.out.length, 1);
  const err = r.out[0]!.bytes;
  assert.equal(err[20], 3); // destination unreachable
  // the quoted header (after the 8-byte ICMP header): total length of the whole datagram, DF, no offset
  assert.equal((err[28 + 2]! << 8) | err[28 + 3]!, big.length);
  assert.equal((err[28 + 6]! << 8) | err[28 + 7]!, 0x4000);
});
