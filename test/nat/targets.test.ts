/**
 * The NAT targets through the host: MASQUERADE's address choice, --to-ports, the drop and kill
 * when the outgoing interface changes, the flush when an interface or address goes away;
 * REDIRECT to the incoming interface (and to loopback for local packets); NETMAP in both
 * directions; ip6tables NAT; hairpin NAT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { parseIp } from '../../src/packet/addr.js';
import { verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';
import { ConntrackTable } from '../../src/conntrack/table.js';
import { defaultSettings } from '../../src/conntrack/settings.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { RoutingTable } from '../../src/host/routing.js';
import { NatEngine, NatFlag } from '../../src/nat/index.js';
import { CtStateBit, Hook } from '../../src/netfilter/context.js';
import type { NatSpec } from '../../src/rules/nat-spec.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { natLab, natTable, packetContext, ROUTER } from './support.js';

function dgram(src: string, sport: number, dst: string, dport: number): Uint8Array {
  return ipv4({ src, dst, payload: udp({ sport, dport, payload: 'hello' }) });
}

function withWan(addresses: string[]): object {
  return { ...ROUTER, interfaces: ROUTER.interfaces.map((f) => (f.name === 'r_wan' ? { ...f, addresses } : f)) };
}

test('MASQUERADE takes the outgoing interface address on the next hop\'s subnet', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE'), undefined, withWan(['198.18.0.1/24', '203.0.113.1/24']));
  assert.equal(lab.out(lab.rx('r_cli', dgram('10.0.1.2', 1000, '198.51.100.1', 53))).srcString(), '203.0.113.1');
});

test('MASQUERADE skips secondary addresses and, off-subnet, takes the first primary', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE'), undefined, withWan(['203.0.113.1/24', '203.0.113.9/24']));
  assert.equal(lab.out(lab.rx('r_cli', dgram('10.0.1.2', 1000, '198.51.100.1', 53))).srcString(), '203.0.113.1');
});

test('MASQUERADE --to-ports maps the source port into the range', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -p udp -j MASQUERADE --to-ports 10000-10010'));
  const o = lab.out(lab.rx('r_cli', dgram('10.0.1.2', 1000, '198.51.100.1', 53)));
  assert.ok(o.sport >= 10000 && o.sport <= 10010);
  assert.ok(verifyL4Checksum(o));
});

const POLICY_HOST = {
  ...ROUTER,
  routes: [...ROUTER.routes, { to: 'default', via: '10.0.2.254', dev: 'r_srv', table: 100 }],
  rules: [{ priority: 100, fwmark: '0x1', table: 100 }],
};

test('a MASQUERADEd connection whose packets leave through another interface is killed, the packet dropped', () => {
  const rules =
    natTable('-A POSTROUTING -j MASQUERADE') +
    ['*mangle', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -p udp --sport 1000 -m conntrack --ctstate ESTABLISHED -j MARK --set-mark 1', 'COMMIT', ''].join('\n');
  const lab = natLab(rules, undefined, POLICY_HOST);
  const first = lab.rx('r_cli', dgram('10.0.1.2', 1000, '198.51.100.1', 53));
  assert.equal(first.out[0]!.iface, 'r_wan');
  lab.rx('r_wan', dgram('198.51.100.1', 53, '203.0.113.1', 1000));
  const second = lab.rx('r_cli', dgram('10.0.1.2', 1000, '198.51.100.1', 53));
  assert.equal(second.verdict, 'DROPPED');
  assert.equal(second.events.length, 1);
  assert.match(second.events[0]!, /^\[DESTROY\] udp .* packets=3 bytes=99 .*src=198\.51\.100\.1 dst=203\.0\.113\.1 sport=53 dport=1000 packets=1 bytes=33/);
  assert.equal(lab.conns().length, 0);
});

test('interface down / address removed: MASQUERADE entries of that interface (and address) are deleted', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE', '-A POSTROUTING -o r_srv -j SNAT --to-source 10.0.2.1'));
  lab.rx('r_cli', dgram('10.0.1.2', 1000, '198.51.100.1', 53));
  lab.rx('r_cli', dgram('10.0.1.2', 1001, '10.0.2.7', 53));
  assert.equal(lab.conns().length, 2);
  lab.nat.addressRemoved('r_wan', parseIp('203.0.113.99').words, 2000);
  assert.equal(lab.conns().length, 2, 'another address: nothing goes');
  lab.nat.addressRemoved('r_wan', parseIp('203.0.113.1').words, 2000);
  assert.equal(lab.conns().length, 1, 'the MASQUERADE entry went, the SNAT one stays');
  lab.rx('r_cli', dgram('10.0.1.3', 1000, '198.51.100.1', 53));
  lab.nat.interfaceDown('r_cli', 2001);
  assert.equal(lab.conns().length, 2);
  lab.nat.interfaceDown('r_wan', 2001);
  assert.equal(lab.conns().length, 1);
});

test('REDIRECT sends to the incoming interface\'s address, with --to-ports', () => {
  const lab = natLab(natTable('-A PREROUTING -i r_cli -p tcp --dport 80 -j REDIRECT --to-ports 3128'));
  const r = lab.rx('r_cli', ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: tcp({ sport: 5555, dport: 80 }) }));
  assert.equal(r.verdict, 'LOCAL_IN');
  assert.match(r.events[0]!, /\[NEW\] tcp .* src=10\.0\.1\.2 dst=198\.51\.100\.1 sport=5555 dport=80 \[UNREPLIED\] src=10\.0\.1\.1 dst=10\.0\.1\.2 sport=3128 dport=5555$/);
  // Nothing listens on 3128: the host's reset is translated back to the address the client used.
  const rst = lab.out(r);
  assert.equal(rst.srcString(), '198.51.100.1');
  assert.equal(rst.sport, 80);
  assert.ok(verifyL4Checksum(rst));
});

test('REDIRECT of a locally generated packet goes to 127.0.0.1', () => {
  const lab = natLab(natTable('-A OUTPUT -p udp --dport 53 -j REDIRECT --to-ports 5353'));
  const r = lab.tx(dgram('10.0.1.1', 4000, '198.51.100.1', 53));
  const c = [...lab.host.conntrack][0]!;
  assert.ok(c, `an entry (verdict ${r.verdict})`);
  assert.equal(c.reply.src[0], parseIp('127.0.0.1').words[0]);
  assert.equal(c.reply.sport, 5353);
});

test('NETMAP maps destinations at PREROUTING and sources at POSTROUTING, host part kept', () => {
  const lab = natLab(natTable('-A PREROUTING -i r_wan -d 198.18.5.0/24 -j NETMAP --to 10.0.2.0/24', '-A POSTROUTING -o r_wan -s 10.0.1.0/24 -j NETMAP --to 198.19.7.0/24'));
  const inbound = lab.out(lab.rx('r_wan', dgram('198.51.100.1', 1000, '198.18.5.77', 53)));
  assert.equal(inbound.dstString(), '10.0.2.77');
  assert.equal(inbound.dport, 53);
  const outbound = lab.out(lab.rx('r_cli', dgram('10.0.1.42', 2000, '198.51.100.1', 53)));
  assert.equal(outbound.srcString(), '198.19.7.42');
  assert.equal(outbound.sport, 2000);
  assert.ok(verifyIpv4Header(outbound.buf, 0, 20));
  assert.ok(verifyL4Checksum(outbound));
});

test('hairpin: DNAT to a LAN host plus MASQUERADE back out of the LAN interface', () => {
  const lab = natLab(
    natTable('-A PREROUTING -d 203.0.113.1 -p tcp --dport 80 -j DNAT --to-destination 10.0.1.160:80', '-A POSTROUTING -s 10.0.1.0/24 -d 10.0.1.160 -j MASQUERADE'),
  );
  const r = lab.rx('r_cli', ipv4({ src: '10.0.1.2', dst: '203.0.113.1', payload: tcp({ sport: 40000, dport: 80, seq: 1 }) }));
  assert.equal(r.verdict, 'FORWARDED');
  const o = lab.out(r);
  assert.equal(r.out[0]!.iface, 'r_cli');
  assert.equal(o.srcString(), '10.0.1.1');
  assert.equal(o.dstString(), '10.0.1.160');
  const back = lab.rx('r_cli', ipv4({ src: '10.0.1.160', dst: '10.0.1.1', payload: tcp({ sport: 80, dport: 40000, seq: 7, ack: 2, flags: 'SA' }) }));
  const b = lab.out(back);
  assert.equal(b.srcString(), '203.0.113.1');
  assert.equal(b.dstString(), '10.0.1.2');
  assert.ok(verifyL4Checksum(b));
});

test('ip6tables: SNAT and DNAT of IPv6 packets', () => {
  const v6 = natTable('-A POSTROUTING -o r_wan -j SNAT --to-source fd00:3::1', '-A PREROUTING -i r_wan -p tcp --dport 80 -j DNAT --to-destination [fd00:2::80]:8080');
  const lab = natLab(natTable(), v6);
  const o = lab.out(lab.rx('r_cli', ipv6({ src: 'fd00:1::2', dst: '2001:db8::1', payload: udp({ sport: 1000, dport: 53, payload: 'x' }) })));
  assert.equal(o.srcString(), 'fd00:3::1');
  assert.ok(verifyL4Checksum(o));
  const d = lab.out(lab.rx('r_wan', ipv6({ src: '2001:db8::9', dst: 'fd00:3::1', payload: tcp({ sport: 5000, dport: 80 }) })));
  assert.equal(d.dstString(), 'fd00:2::80');
  assert.equal(d.dport, 8080);
  assert.ok(verifyL4Checksum(d));
});

test('ip6tables MASQUERADE takes the outgoing interface\'s address', () => {
  const lab = natLab(natTable(), natTable('-A POSTROUTING -o r_wan -j MASQUERADE'));
  const o = lab.out(lab.rx('r_cli', ipv6({ src: 'fd00:1::2', dst: '2001:db8::1', payload: udp({ sport: 1000, dport: 53, payload: 'x' }) })));
  assert.equal(o.srcString(), 'fd00:3::1');
});

test('SNAT / DNAT with the NETMAP flag (nft `prefix`) map the packet address into the prefix', () => {
  const ct = new ConntrackTable({ settings: defaultSettings(), seed: 1 });
  const nat = new NatEngine(ct, { routing: new RoutingTable(hostConfigFromObject(ROUTER)) });
  const pkt = decodeIp(new PacketView(), dgram('10.0.1.42', 1000, '198.18.0.77', 53));
  const conn = ct.track(pkt, Hook.PREROUTING, 1).conn!;
  const spec = (kind: 'SNAT' | 'DNAT', net: string, last: string): NatSpec => ({
    kind,
    family: 4,
    flags: NatFlag.MAP_IPS | NatFlag.NETMAP,
    minAddr: parseIp(net).words,
    maxAddr: parseIp(last).words,
    minPort: 0,
    maxPort: 0,
    basePort: 0,
  });
  const pre = packetContext(pkt, conn, 0, Hook.PREROUTING, CtStateBit.NEW);
  assert.ok(nat.apply(pre, Hook.PREROUTING, { kind: 'nat', nat: spec('DNAT', '10.0.2.0', '10.0.2.255') }, true));
  decodeIp(pkt, pkt.buf);
  assert.equal(pkt.dstString(), '10.0.2.77');
  const post = packetContext(pkt, conn, 0, Hook.POSTROUTING, CtStateBit.NEW);
  assert.ok(nat.apply(post, Hook.POSTROUTING, { kind: 'nat', nat: spec('SNAT', '198.19.7.0', '198.19.7.255') }, true));
  decodeIp(pkt, pkt.buf);
  assert.equal(pkt.srcString(), '198.19.7.42');
  assert.ok(verifyL4Checksum(pkt));
});
