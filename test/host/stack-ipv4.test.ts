/**
 * The host's IPv4 stack against the kernel's rules: echo and timestamp replies (answered from
 * fib_compute_spec_dst, a full 20-byte timestamp reply), per-interface forwarding, 0.0.0.0/8
 * sources (valid since Linux 5.3), and the port unreachable that meets conntrack on its own
 * (nf_reset_ct in __udp4_lib_rcv) so that raw OUTPUT's NOTRACK takes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../../src/host/host.js';
import { parseHostConfig } from '../../src/host/config.js';
import { HostSysctls } from '../../src/host/sysctl.js';
import { iptablesBaseChains } from '../../src/netfilter/iptables-chains.js';
import { parseIptables } from '../../src/rules/parse.js';
import { decodeIp } from '../../src/packet/decode.js';
import { ipv4, icmp, icmpEcho, udp } from '../../src/packet/build.js';
import { verifyL4Checksum } from '../../src/packet/checksum.js';
import { LinkType, PacketView } from '../../src/packet/view.js';

const T0 = 1700000000;
const view = (b: Uint8Array) => decodeIp(new PacketView(), b);

function host(rules: string | null, sysctl: Record<string, number>): Host {
  const cfg = parseHostConfig(
    JSON.stringify({
      interfaces: [
        { name: 'r_cli', addresses: ['10.0.1.1/24'] },
        { name: 'r_srv', addresses: ['10.0.2.1/24'] },
        { name: 'r_wan', addresses: ['203.0.113.1/24'] },
      ],
      routes: [{ to: 'default', via: '203.0.113.254', dev: 'r_wan' }],
      sysctl,
    }),
  );
  const chains = rules ? iptablesBaseChains(parseIptables(rules, { file: 'rules.v4' })) : [];
  return new Host(cfg, { chains, seed: 5 });
}

test('an echo to the subnet or limited broadcast is answered from the interface address; the reply does not match the entry', () => {
  const h = host(null, { 'net.ipv4.ip_forward': 1, 'net.ipv4.icmp_echo_ignore_broadcasts': 0 });
  for (const [dst, id] of [['10.0.1.255', 0x4301], ['255.255.255.255', 0x4302]] as const) {
    const r = h.receive(ipv4({ src: '10.0.1.100', dst, payload: icmpEcho({ id, seq: 1, payload: 'abcdefgh' }) }), LinkType.RAW, 'r_cli', T0);
    assert.equal(r.verdict, 'LOCAL_IN');
    assert.equal(r.out.length, 1);
    const rep = view(r.out[0]!.bytes);
    assert.equal(rep.srcString(), '10.0.1.1');
    assert.equal(rep.dstString(), '10.0.1.100');
    assert.equal(rep.icmpType, 0);
    // only the request's [NEW]: the reply from 10.0.1.1 is not the entry's reply direction
    assert.equal(r.events.length, 1);
    assert.match(r.events[0]!, /\[NEW\] icmp/);
  }
  assert.ok(h.listConntrack().every((l) => l.includes('[UNREPLIED]')));
});

test('with icmp_echo_ignore_broadcasts at its default an echo to the broadcast gets nothing', () => {
  const h = host(null, { 'net.ipv4.ip_forward': 1 });
  const r = h.receive(ipv4({ src: '10.0.1.100', dst: '10.0.1.255', payload: icmpEcho({ id: 1, seq: 1 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.out.length, 0);
});

test('a timestamp request is answered with the full 20-byte message, whatever its length; under 4 data bytes, not at all', () => {
  const h = host(null, { 'net.ipv4.ip_forward': 1 });
  const ask = (body: number, id: number) => h.receive(ipv4({ src: '10.0.1.100', dst: '10.0.1.1', payload: icmp({ type: 13, id, seq: 1, payload: Uint8Array.from({ length: body }, (_, k) => k + 1) }) }), LinkType.RAW, 'r_cli', T0 + 1.5);
  for (const body of [4, 12, 30]) {
    const r = ask(body, 0x4360 + body);
    assert.equal(r.out.length, 1, `body ${body}`);
    const b = r.out[0]!.bytes;
    assert.equal(b.length, 40);
    const v = view(b);
    assert.equal(v.icmpType, 14);
    assert.ok(verifyL4Checksum(v));
    assert.deepEqual(Array.from(b.subarray(24, 28)), [0x43, 0x60 + body, 0, 1]);
    assert.deepEqual(Array.from(b.subarray(28, 32)), [1, 2, 3, 4]); // originate: the request's first 4 bytes
    const ms = ((b[32]! << 24) | (b[33]! << 16) | (b[34]! << 8) | b[35]!) >>> 0;
    assert.equal(ms, 80001500);
    assert.deepEqual(Array.from(b.subarray(36, 40)), Array.from(b.subarray(32, 36)));
  }
  assert.equal(ask(3, 0x4399).out.length, 0);
});

test('net.ipv4.conf.IFACE.forwarding=0 drops what arrives there (after conntrack, no error), the rest is forwarded', () => {
  const h = host(null, { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.r_wan.forwarding': 0 });
  const out = h.receive(ipv4({ src: '10.0.1.100', dst: '198.51.100.170', payload: udp({ sport: 43300, dport: 53, payload: 'q' }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(out.verdict, 'FORWARDED');
  assert.equal(out.out[0]!.iface, 'r_wan');
  const inb = h.receive(ipv4({ src: '198.51.100.170', dst: '10.0.2.100', payload: udp({ sport: 43301, dport: 53, payload: 'i' }) }), LinkType.RAW, 'r_wan', T0 + 0.1);
  assert.equal(inb.verdict, 'DROPPED');
  assert.equal(inb.ctstate, 'new');
  assert.equal(inb.out.length, 0);
  assert.equal(inb.events.length, 0);
  const reply = h.receive(ipv4({ src: '198.51.100.170', dst: '10.0.1.100', payload: udp({ sport: 53, dport: 43300, payload: 'r' }) }), LinkType.RAW, 'r_wan', T0 + 0.2);
  assert.equal(reply.verdict, 'DROPPED');
  assert.equal(reply.ctstate, 'established');
  const ping = h.receive(ipv4({ src: '198.51.100.170', dst: '203.0.113.1', payload: icmpEcho({ id: 9, seq: 1 }) }), LinkType.RAW, 'r_wan', T0 + 0.3);
  assert.equal(ping.verdict, 'LOCAL_IN');
  assert.equal(ping.out.length, 1);
});

test('writing ip_forward (or conf.all.forwarding) sets every interface and "default"; a later per-interface value wins', () => {
  const s = new HostSysctls(['eth0', 'eth1']);
  s.set('net.ipv4.conf.eth1.forwarding', 0);
  s.set('net.ipv4.ip_forward', 1);
  assert.equal(s.conf4('eth0', 'forwarding'), 1);
  assert.equal(s.conf4('eth1', 'forwarding'), 1);
  assert.equal(s.get('net.ipv4.conf.default.forwarding'), 1);
  assert.equal(s.get('net.ipv4.conf.all.accept_redirects'), 0);
  s.set('net.ipv4.conf.eth1.forwarding', 0);
  assert.equal(s.conf4('eth1', 'forwarding'), 0);
  assert.equal(s.get('net.ipv4.ip_forward'), 1);
  s.set('net.ipv4.conf.all.forwarding', 0);
  assert.equal(s.conf4('eth0', 'forwarding'), 0);
  assert.equal(s.get('net.ipv4.ip_forward'), 0);
  // accept_source_route: "all" starts at 0, interfaces at 1, and both must allow it
  assert.equal(s.conf4('eth0', 'accept_source_route'), 0);
  s.set('net.ipv4.conf.all.accept_source_route', 1);
  assert.equal(s.conf4('eth0', 'accept_source_route'), 1);
  // IPv6: conf.all.forwarding is copied to every interface (their router behaviour)
  s.set('net.ipv6.conf.all.forwarding', 1);
  assert.ok(s.ipv6DevForwarding('eth1'));
});

test('sources in 0.0.0.0/8 other than 0.0.0.0 are routed; 0.0.0.0 as destination is a martian', () => {
  const h = host(null, { 'net.ipv4.ip_forward': 1 });
  const a = h.receive(ipv4({ src: '0.1.2.3', dst: '10.0.2.100', payload: udp({ sport: 43901, dport: 9, payload: 'z' }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(a.verdict, 'FORWARDED');
  assert.equal(a.out[0]!.iface, 'r_srv');
  const b = h.receive(ipv4({ src: '10.0.1.100', dst: '0.0.0.0', payload: udp({ sport: 43902, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(b.verdict, 'DROPPED');
  assert.equal(b.ctstate, 'new');
  const c = h.receive(ipv4({ src: '0.0.0.0', dst: '10.0.2.100', payload: udp({ sport: 43903, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(c.verdict, 'DROPPED');
  assert.equal(h.routing.addrType(4, [0x00010203]), 'UNICAST');
});

test('the port unreachable the stack sends for an answer is not attached to its entry: raw OUTPUT NOTRACK makes it UNTRACKED', () => {
  const rules = [
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A OUTPUT -p icmp -j NOTRACK',
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A OUTPUT -m conntrack --ctstate UNTRACKED -j ACCEPT',
    '-A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n');
  const h = host(rules, { 'net.ipv4.ip_forward': 1 });
  const q = h.send(ipv4({ src: '10.0.2.1', dst: '10.0.2.100', payload: udp({ sport: 41900, dport: 53, payload: 'q' }) }), LinkType.RAW, T0);
  assert.equal(q.verdict, 'SENT');
  const a = h.receive(ipv4({ src: '10.0.2.100', dst: '10.0.2.1', payload: udp({ sport: 53, dport: 41900, payload: 'a' }) }), LinkType.RAW, 'r_srv', T0 + 0.1);
  assert.equal(a.ctstate, 'established');
  assert.equal(a.out.length, 1);
  assert.equal(view(a.out[0]!.bytes).icmpType, 3);
  assert.deepEqual(a.rules.slice(-3), ['raw OUTPUT 1', 'raw OUTPUT policy', 'filter OUTPUT 1']);
});

test('without NOTRACK that port unreachable is still RELATED (conntrack finds the entry it quotes)', () => {
  const rules = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT DROP [0:0]', '-A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT', '-A OUTPUT -p udp -j ACCEPT', 'COMMIT', ''].join('\n');
  const h = host(rules, { 'net.ipv4.ip_forward': 1 });
  h.send(ipv4({ src: '10.0.2.1', dst: '10.0.2.100', payload: udp({ sport: 41900, dport: 53, payload: 'q' }) }), LinkType.RAW, T0);
  const a = h.receive(ipv4({ src: '10.0.2.100', dst: '10.0.2.1', payload: udp({ sport: 53, dport: 41900, payload: 'a' }) }), LinkType.RAW, 'r_srv', T0 + 0.1);
  assert.equal(a.out.length, 1);
  assert.deepEqual(a.rules, ['filter INPUT policy', 'filter OUTPUT 1']);
});
