/**
 * The host's IPv6 stack against the kernel's rules: ip6_rcv_core's drops before any hook
 * (loopback, multicast sources, hop-by-hop options by their type's top bits), ip6_forward's
 * source checks, nf_defrag_ipv6 taking atomic fragments, and neighbour discovery (a neighbour
 * solicitation answered with an advertisement, a router solicitation delivered to all-routers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../../src/host/host.js';
import { parseHostConfig } from '../../src/host/config.js';
import { iptablesBaseChains } from '../../src/netfilter/iptables-chains.js';
import { parseIptables } from '../../src/rules/parse.js';
import { decodeIp } from '../../src/packet/decode.js';
import { icmpv6, icmpv6Echo, ipv6, udp } from '../../src/packet/build.js';
import { verifyL4Checksum } from '../../src/packet/checksum.js';
import { LinkType, PacketView } from '../../src/packet/view.js';

const T0 = 1700000000;
const view = (b: Uint8Array) => decodeIp(new PacketView(), b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const C6 = 'fd00:1::100';
const S6 = 'fd00:2::100';

const OBSERVE6 = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A FORWARD -m conntrack --ctstate NEW -j ACCEPT',
  '-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT',
  '-A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT',
  'COMMIT',
  '',
].join('\n');

function host(sysctl: Record<string, number> = {}): Host {
  const cfg = parseHostConfig(
    JSON.stringify({
      interfaces: [
        { name: 'r_cli', addresses: ['10.0.1.1/24', 'fd00:1::1/64'], mac: '02:00:00:00:01:01' },
        { name: 'r_srv', addresses: ['10.0.2.1/24', 'fd00:2::1/64'], mac: '02:00:00:00:02:01' },
      ],
      routes: [],
      sysctl: { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1, 'net.netfilter.nf_conntrack_acct': 1, ...sysctl },
    }),
  );
  return new Host(cfg, { chains: iptablesBaseChains(parseIptables(OBSERVE6, { file: 'rules.v6', family: 6 })), seed: 5 });
}

const hbh = (type: number, id: number, dst = S6) => ipv6({ src: C6, dst, ext: [{ type: 'hop', options: Uint8Array.of(type, 2, 0, 1) }], payload: udp({ sport: 42110 + id, dport: 9, payload: 'opt' }) });

test('unknown hop-by-hop options act by their top two bits, before PREROUTING', () => {
  const h = host();
  const skip = h.receive(hbh(0x1e, 0), LinkType.RAW, 'r_cli', T0);
  assert.equal(skip.verdict, 'FORWARDED');
  assert.equal(skip.ctstate, 'new');
  const drop = h.receive(hbh(0x5e, 1), LinkType.RAW, 'r_cli', T0 + 0.1);
  assert.equal(drop.verdict, 'DROPPED');
  assert.equal(drop.ctstate, null);
  assert.equal(drop.out.length, 0);
  assert.equal(drop.events.length, 0);
  for (const [t, k] of [[0x9e, 2], [0xde, 3]] as const) {
    const r = h.receive(hbh(t, k), LinkType.RAW, 'r_cli', T0 + 0.2 * k);
    assert.equal(r.verdict, 'DROPPED');
    assert.equal(r.ctstate, null);
    assert.equal(r.out.length, 1);
    assert.equal(r.out[0]!.iface, 'r_cli');
    const e = view(r.out[0]!.bytes);
    assert.equal(e.icmpType, 4);
    assert.equal(e.icmpCode, 2);
    assert.equal(e.srcString(), 'fd00:1::1');
    assert.deepEqual(Array.from(r.out[0]!.bytes.subarray(44, 48)), [0, 0, 0, 42]); // pointer: the option
    assert.ok(verifyL4Checksum(e));
    assert.deepEqual(r.rules, ['filter OUTPUT policy']);
  }
  // to a multicast destination, 11xxxxxx options are dropped without an error, 10xxxxxx still answered
  assert.equal(h.receive(hbh(0xde, 4, 'ff02::1'), LinkType.RAW, 'r_cli', T0 + 2).out.length, 0);
  assert.equal(h.receive(hbh(0x9e, 5, 'ff02::1'), LinkType.RAW, 'r_cli', T0 + 2).out.length, 1);
});

test('hop-by-hop padding rules: PadN with data, more than 7 bytes of padding, a router alert of the wrong length drop the packet', () => {
  const h = host();
  const mk = (opts: number[]) => ipv6({ src: C6, dst: S6, ext: [{ type: 'hop', options: Uint8Array.from(opts) }], payload: udp({ sport: 42200, dport: 9 }) });
  assert.equal(h.receive(mk([1, 4, 0, 0, 0, 0]), LinkType.RAW, 'r_cli', T0).verdict, 'FORWARDED');
  assert.equal(h.receive(mk([1, 4, 0, 1, 0, 0]), LinkType.RAW, 'r_cli', T0).verdict, 'DROPPED');
  const pads = h.receive(mk([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), LinkType.RAW, 'r_cli', T0);
  assert.equal(pads.verdict, 'DROPPED');
  assert.equal(pads.ctstate, null);
  assert.equal(h.receive(mk([5, 2, 0, 0]), LinkType.RAW, 'r_cli', T0).verdict, 'FORWARDED');
  assert.equal(h.receive(mk([5, 3, 0, 0, 0]), LinkType.RAW, 'r_cli', T0).verdict, 'DROPPED');
});

test('martians: ::1 and multicast sources are dropped before any hook; :: is tracked then not forwarded', () => {
  const h = host();
  const lo = h.receive(ipv6({ src: C6, dst: '::1', payload: udp({ sport: 1, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(lo.verdict, 'DROPPED');
  assert.equal(lo.ctstate, null);
  assert.equal(lo.out.length, 0);
  const mc = h.receive(ipv6({ src: 'ff02::1', dst: S6, payload: udp({ sport: 2, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(mc.ctstate, null);
  const ifl = h.receive(ipv6({ src: C6, dst: 'ff01::1', payload: udp({ sport: 3, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(ifl.ctstate, null);
  const any = h.receive(ipv6({ src: '::', dst: S6, payload: udp({ sport: 4, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(any.verdict, 'DROPPED');
  assert.equal(any.ctstate, 'new');
  assert.equal(any.events.length, 0);
  assert.equal(any.rules.length, 0);
  const mapped = h.receive(ipv6({ src: '::ffff:10.0.1.100', dst: S6, payload: udp({ sport: 5, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(mapped.verdict, 'FORWARDED');
});

test('a link-local source is not forwarded: ICMPv6 "beyond scope of source address" (code 2), RELATED', () => {
  const h = host();
  const r = h.receive(ipv6({ src: 'fe80::1', dst: S6, payload: udp({ sport: 6, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(r.ctstate, 'new');
  assert.equal(r.out.length, 1);
  const e = view(r.out[0]!.bytes);
  assert.equal(e.icmpType, 1);
  assert.equal(e.icmpCode, 2);
  // sent back through the ingress interface (the source's scope), from its address
  assert.equal(r.out[0]!.iface, 'r_cli');
  assert.equal(e.srcString(), 'fd00:1::1');
  assert.equal(e.dstString(), 'fe80::1');
  // with hop limit 1 the forward path's time exceeded comes first
  const t = h.receive(ipv6({ src: 'fe80::1', dst: S6, hopLimit: 1, payload: udp({ sport: 7, dport: 9 }) }), LinkType.RAW, 'r_cli', T0 + 5);
  assert.equal(view(t.out[0]!.bytes).icmpType, 3);
  assert.equal(t.out[0]!.iface, 'r_cli');
});

test('an atomic fragment goes through reassembly and leaves without its fragment header', () => {
  const h = host();
  const p = ipv6({ src: C6, dst: S6, ext: [{ type: 'fragment', offset: 0, more: false, id: 0x1234 }], payload: udp({ sport: 42103, dport: 9, payload: 'atomic' }) });
  assert.equal(p.length, 62);
  const r = h.receive(p, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'FORWARDED');
  const out = r.out[0]!.bytes;
  assert.equal(out.length, 54);
  assert.equal(out[6], 17);
  assert.equal(out[7], 63);
  assert.ok(verifyL4Checksum(view(out)));
  assert.match(h.listConntrack()[0]!, /bytes=54/);
});

test('a neighbour solicitation for an address of the interface is answered with an advertisement, UNTRACKED, through OUTPUT', () => {
  const h = host();
  const target = [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const slla = [1, 1, 2, 0, 0, 0, 1, 2];
  const ns = (dst: string, opts: number[], hopLimit = 255) => ipv6({ src: C6, dst, hopLimit, payload: icmpv6({ type: 135, rest: 0, payload: Uint8Array.from([...target, ...opts]) }) });
  const r = h.receive(ns('fd00:1::1', slla), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'LOCAL_IN');
  assert.equal(r.ctstate, 'untracked');
  assert.deepEqual(r.rules, ['filter INPUT 1', 'filter OUTPUT policy']);
  assert.equal(r.out.length, 1);
  assert.equal(r.out[0]!.iface, 'r_cli');
  // solicited + router (the interface forwards), no override, no target link-layer option: 24 bytes
  assert.equal(hex(r.out[0]!.bytes.subarray(0, 8)), '6000000000183aff');
  const a = r.out[0]!.bytes;
  assert.deepEqual([a[40], a[41], a[44], a[45]], [136, 0, 0xc0, 0]);
  assert.equal(hex(a.subarray(48, 64)), Buffer.from(target).toString('hex'));
  assert.equal(view(a).srcString(), 'fd00:1::1');
  assert.equal(view(a).dstString(), C6);
  assert.ok(verifyL4Checksum(view(r.out[0]!.bytes)));
  // to the solicited-node group: override and the interface's MAC
  const m = h.receive(ns('ff02::1:ff00:1', slla), LinkType.RAW, 'r_cli', T0 + 0.1);
  assert.equal(m.out.length, 1);
  const na = m.out[0]!.bytes;
  assert.equal(na.length, 40 + 32);
  assert.equal(na[44], 0xe0);
  assert.equal(hex(na.subarray(64, 72)), '0201020000000101');
  // multicast without a source link-layer address, hop limit below 255, another interface's address: no answer
  assert.equal(h.receive(ns('ff02::1:ff00:1', []), LinkType.RAW, 'r_cli', T0 + 0.2).out.length, 0);
  assert.equal(h.receive(ns('fd00:1::1', slla, 64), LinkType.RAW, 'r_cli', T0 + 0.3).out.length, 0);
  assert.equal(h.receive(ns('fd00:1::1', slla), LinkType.RAW, 'r_srv', T0 + 0.4).out.length, 0);
  // duplicate address detection (from ::): to all nodes, not solicited, with the MAC
  const d = h.receive(ipv6({ src: '::', dst: 'ff02::1:ff00:1', hopLimit: 255, payload: icmpv6({ type: 135, rest: 0, payload: Uint8Array.from(target) }) }), LinkType.RAW, 'r_cli', T0 + 0.5);
  assert.equal(d.out.length, 1);
  const dv = view(d.out[0]!.bytes);
  assert.equal(d.out[0]!.iface, 'r_cli');
  assert.equal(dv.dstString(), 'ff02::1');
  assert.equal(d.out[0]!.bytes[44], 0xa0);
});

test('a router solicitation to all-routers is delivered while the interface forwards, dropped otherwise', () => {
  const rs = ipv6({ src: C6, dst: 'ff02::2', hopLimit: 255, payload: icmpv6({ type: 133, rest: 0, payload: Uint8Array.of(1, 1, 2, 0, 0, 0, 1, 2) }) });
  const r = host().receive(rs, LinkType.RAW, 'r_cli', T0);
  assert.equal(r.verdict, 'LOCAL_IN');
  assert.equal(r.ctstate, 'untracked');
  assert.deepEqual(r.rules, ['filter INPUT 1']);
  assert.equal(r.out.length, 0);
  const off = host({ 'net.ipv6.conf.all.forwarding': 0 }).receive(rs, LinkType.RAW, 'r_cli', T0);
  assert.equal(off.verdict, 'DROPPED');
  // an echo to all-routers is answered from a unicast address
  const e = host().receive(ipv6({ src: C6, dst: 'ff02::2', payload: icmpv6Echo({ id: 1, seq: 1 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(view(e.out[0]!.bytes).srcString(), 'fd00:1::1');
});

test('an IPv6 port unreachable stays attached to the entry (RELATED), unlike IPv4', () => {
  const h = host();
  const r = h.receive(ipv6({ src: C6, dst: 'fd00:1::1', payload: udp({ sport: 42190, dport: 9 }) }), LinkType.RAW, 'r_cli', T0);
  assert.equal(r.out.length, 1);
  assert.equal(view(r.out[0]!.bytes).icmpType, 1);
});
