/**
 * Binding setup (src/nat/select.ts + engine.ts) through the host: which tuple a connection gets
 * for SNAT, DNAT and MASQUERADE, with and without clashes, ranges, by-source reuse, --random,
 * --persistent, ICMP ids, the implicit port change of the null binding, exhaustion and the
 * TIME_WAIT eviction of the last attempts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { icmpEcho, ipv4, tcp, udp } from '../../src/packet/build.js';
import { CtStatus } from '../../src/netfilter/context.js';
import { parseIp } from '../../src/packet/addr.js';
import { jhash2, memWord, reciprocalScale } from '../../src/nat/jhash.js';
import { ConntrackTable } from '../../src/conntrack/table.js';
import { defaultSettings } from '../../src/conntrack/settings.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { RoutingTable } from '../../src/host/routing.js';
import { Manip, NatEngine } from '../../src/nat/index.js';
import { Hook } from '../../src/netfilter/context.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { natLab, natTable, ROUTER } from './support.js';

const FORWARD_ALL = '';

function syn(src: string, sport: number, dst: string, dport: number, seq = 1000): Uint8Array {
  return ipv4({ src, dst, payload: tcp({ sport, dport, seq, flags: 'S' }) });
}

function dgram(src: string, sport: number, dst: string, dport: number): Uint8Array {
  return ipv4({ src, dst, payload: udp({ sport, dport, payload: 'q' }) });
}

test('MASQUERADE keeps a free source port and takes the outgoing interface address', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE') + FORWARD_ALL);
  const r = lab.rx('r_cli', syn('10.0.1.2', 40000, '198.51.100.10', 443));
  assert.equal(r.verdict, 'FORWARDED');
  const o = lab.out(r);
  assert.equal(o.srcString(), '203.0.113.1');
  assert.equal(o.sport, 40000);
  const c = lab.conns()[0]!;
  assert.equal(c.status & (CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE), CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE);
  assert.equal(c.status & CtStatus.DST_NAT, 0);
  assert.equal(lab.nat.masqueradeInterface(c), 'r_wan');
});

test('a clash moves the source port within its class (1-511, 600-1023, 1024-65535)', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE'));
  for (const [sport, lo, hi] of [
    [40000, 1024, 65535],
    [700, 600, 1023],
    [100, 1, 511],
  ] as const) {
    const a = lab.out(lab.rx('r_cli', syn('10.0.1.2', sport, '198.51.100.10', 443)));
    assert.equal(a.sport, sport);
    const b = lab.out(lab.rx('r_cli', syn('10.0.1.3', sport, '198.51.100.10', 443)));
    assert.equal(b.srcString(), '203.0.113.1');
    assert.notEqual(b.sport, sport);
    assert.ok(b.sport >= lo && b.sport <= hi, `port ${b.sport} in ${lo}-${hi}`);
  }
});

test('port choices after a clash depend on the seed only (deterministic replays)', () => {
  const run = (seed: number): number[] => {
    const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE'), undefined, undefined, seed);
    return [2, 3, 4, 5].map((h) => lab.out(lab.rx('r_cli', syn(`10.0.1.${h}`, 40000, '198.51.100.10', 443))).sport);
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

test('SNAT to a port range: an in-range free port stays, others are mapped into the range', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -p udp -j SNAT --to-source 203.0.113.1:6000-6009'));
  assert.equal(lab.out(lab.rx('r_cli', dgram('10.0.1.2', 6005, '198.51.100.1', 53))).sport, 6005);
  const ports = new Set<number>();
  for (let h = 3; h < 10; h++) {
    const o = lab.out(lab.rx('r_cli', dgram(`10.0.1.${h}`, 30000 + h, '198.51.100.1', 53)));
    assert.ok(o.sport >= 6000 && o.sport <= 6009);
    ports.add(o.sport);
  }
  assert.equal(ports.size, 7, 'every connection got its own port');
});

test('by-source mapping: the same source keeps its translated port towards other servers', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -p udp -j SNAT --to-source 203.0.113.1:6000-6999'));
  const first = lab.out(lab.rx('r_cli', dgram('10.0.1.2', 5353, '198.51.100.1', 53))).sport;
  const second = lab.out(lab.rx('r_cli', dgram('10.0.1.2', 5353, '198.51.100.2', 53))).sport;
  assert.equal(second, first);
});

test('exhaustion: a single-port SNAT makes the second TCP connection to the same server drop at confirmation', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -p tcp -j SNAT --to-source 203.0.113.1:5000'));
  const a = lab.rx('r_cli', syn('10.0.1.2', 1000, '198.51.100.1', 80));
  assert.equal(lab.out(a).sport, 5000);
  const b = lab.rx('r_cli', syn('10.0.1.3', 2000, '198.51.100.1', 80));
  assert.equal(b.verdict, 'DROPPED');
  assert.deepEqual(b.events, []);
  assert.equal(lab.conns().length, 1);
  // Another server: the tuple is free again.
  assert.equal(lab.out(lab.rx('r_cli', syn('10.0.1.3', 2000, '198.51.100.2', 80))).sport, 5000);
});

test('the last attempts evict a TIME_WAIT source-NAT entry the new SYN has passed', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -p tcp -j SNAT --to-source 203.0.113.1:5000'));
  const C = '10.0.1.2';
  const S = '198.51.100.1';
  lab.rx('r_cli', syn(C, 1000, S, 80, 100));
  lab.rx('r_wan', ipv4({ src: S, dst: '203.0.113.1', payload: tcp({ sport: 80, dport: 5000, seq: 900, ack: 101, flags: 'SA' }) }));
  lab.rx('r_cli', ipv4({ src: C, dst: S, payload: tcp({ sport: 1000, dport: 80, seq: 101, ack: 901, flags: 'A' }) }));
  lab.rx('r_cli', ipv4({ src: C, dst: S, payload: tcp({ sport: 1000, dport: 80, seq: 101, ack: 901, flags: 'FA' }) }));
  lab.rx('r_wan', ipv4({ src: S, dst: '203.0.113.1', payload: tcp({ sport: 80, dport: 5000, seq: 901, ack: 102, flags: 'FA' }) }));
  lab.rx('r_cli', ipv4({ src: C, dst: S, payload: tcp({ sport: 1000, dport: 80, seq: 102, ack: 902, flags: 'A' }) }));
  assert.equal(lab.conns()[0]!.protoStateName(), 'TIME_WAIT');
  const r = lab.rx('r_cli', syn('10.0.1.3', 2000, S, 80, 5000));
  assert.equal(r.verdict, 'FORWARDED');
  assert.equal(lab.out(r).sport, 5000);
  assert.ok(r.events.some((e) => e.startsWith('[DESTROY]') && e.includes('sport=1000')));
  assert.equal(lab.conns().length, 1);
});

test('a SYN behind the TIME_WAIT entry\'s sequence space does not evict it', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -p tcp -j SNAT --to-source 203.0.113.1:5000'));
  const C = '10.0.1.2';
  const S = '198.51.100.1';
  lab.rx('r_cli', syn(C, 1000, S, 80, 100000));
  lab.rx('r_wan', ipv4({ src: S, dst: '203.0.113.1', payload: tcp({ sport: 80, dport: 5000, seq: 900, ack: 100001, flags: 'SA' }) }));
  lab.rx('r_cli', ipv4({ src: C, dst: S, payload: tcp({ sport: 1000, dport: 80, seq: 100001, ack: 901, flags: 'R' }) }));
  const st = lab.conns()[0]!.protoStateName();
  assert.equal(st, 'CLOSE');
  const r = lab.rx('r_cli', syn('10.0.1.3', 2000, S, 80, 5));
  assert.equal(r.verdict, 'DROPPED');
  assert.equal(lab.conns().length, 1);
});

test('DNAT to address and port; the null binding of the source keeps the port', () => {
  const lab = natLab(natTable('-A PREROUTING -i r_wan -p tcp --dport 80 -j DNAT --to-destination 10.0.2.5:8080'));
  const r = lab.rx('r_wan', syn('198.51.100.7', 33333, '203.0.113.1', 80));
  assert.equal(r.verdict, 'FORWARDED');
  const o = lab.out(r);
  assert.equal(o.dstString(), '10.0.2.5');
  assert.equal(o.dport, 8080);
  assert.equal(o.sport, 33333);
  const c = lab.conns()[0]!;
  assert.equal(c.status & (CtStatus.DST_NAT | CtStatus.SRC_NAT), CtStatus.DST_NAT);
  // the reply comes back translated
  const back = lab.out(lab.rx('r_srv', ipv4({ src: '10.0.2.5', dst: '198.51.100.7', payload: tcp({ sport: 8080, dport: 33333, seq: 1, ack: 1001, flags: 'SA' }) })));
  assert.equal(back.srcString(), '203.0.113.1');
  assert.equal(back.sport, 80);
});

test('DNAT to a port range starts at the first free port (no random offset for destinations)', () => {
  const lab = natLab(
    natTable(
      '-A PREROUTING -d 203.0.113.1 -p udp -j DNAT --to-destination 10.0.2.5:8000-8010',
      '-A PREROUTING -d 203.0.113.2 -p udp -j DNAT --to-destination 10.0.2.5:8000-8010',
    ),
  );
  assert.equal(lab.out(lab.rx('r_wan', dgram('198.51.100.7', 4000, '203.0.113.1', 53))).dport, 8000);
  assert.equal(lab.out(lab.rx('r_wan', dgram('198.51.100.7', 4000, '203.0.113.2', 53))).dport, 8001);
});

test('a DNAT that makes two connections clash moves the second one\'s source port (null binding)', () => {
  const lab = natLab(natTable('-A PREROUTING -d 203.0.113.1 -p tcp --dport 80 -j DNAT --to-destination 10.0.2.5:80'));
  const a = lab.out(lab.rx('r_cli', syn('10.0.1.2', 1000, '203.0.113.1', 80)));
  assert.equal(a.dstString(), '10.0.2.5');
  assert.equal(a.sport, 1000);
  const b = lab.out(lab.rx('r_cli', syn('10.0.1.2', 1000, '10.0.2.5', 80)));
  assert.equal(b.srcString(), '10.0.1.2');
  assert.notEqual(b.sport, 1000);
  assert.ok(b.sport >= 600 && b.sport <= 1023, 'the 600-1023 class of port 1000');
  const c = lab.conns()[1]!;
  assert.equal(c.status & (CtStatus.SRC_NAT | CtStatus.DST_NAT), CtStatus.SRC_NAT);
});

test('ICMP echo: a clashing identifier is replaced (MASQUERADE), replies map back', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE'));
  const a = lab.out(lab.rx('r_cli', ipv4({ src: '10.0.1.2', dst: '198.51.100.1', payload: icmpEcho({ id: 77, seq: 1 }) })));
  assert.equal(a.icmpId, 77);
  const b = lab.out(lab.rx('r_cli', ipv4({ src: '10.0.1.3', dst: '198.51.100.1', payload: icmpEcho({ id: 77, seq: 1 }) })));
  assert.notEqual(b.icmpId, 77);
  const back = lab.out(lab.rx('r_wan', ipv4({ src: '198.51.100.1', dst: '203.0.113.1', payload: icmpEcho({ id: b.icmpId, seq: 1, reply: true }) })));
  assert.equal(back.dstString(), '10.0.1.3');
  assert.equal(back.icmpId, 77);
});

test('--random moves even a free port; --random-fully likewise', () => {
  for (const flag of ['--random', '--random-fully']) {
    const lab = natLab(natTable(`-A POSTROUTING -o r_wan -j MASQUERADE ${flag}`));
    const ports = [2, 3, 4].map((h) => lab.out(lab.rx('r_cli', syn(`10.0.1.${h}`, 40000 + h, '198.51.100.1', 80))).sport);
    assert.ok(ports.some((p, i) => p !== 40002 + i), flag);
    assert.ok(ports.every((p) => p >= 1024));
  }
});

/** The kernel's find_best_ips_proto for an IPv4 range, computed here independently of the engine. */
function expectedIp(min: string, max: string, src: string, dst: string, persistent: boolean): string {
  const lo = parseIp(min).words[0]!;
  const hi = parseIp(max).words[0]!;
  const s = parseIp(src).words[0]!;
  const d = parseIp(dst).words[0]!;
  const j = jhash2([memWord(s), 0, 0, 0], 4, persistent ? 0 : memWord(d));
  const v = (lo + reciprocalScale(j, (hi - lo + 1) >>> 0)) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

test('SNAT to an address range picks the kernel\'s hash of the addresses; --persistent ignores the destination', () => {
  for (const persistent of [false, true]) {
    const lab = natLab(natTable(`-A POSTROUTING -o r_wan -j SNAT --to-source 203.0.113.10-203.0.113.50${persistent ? ' --persistent' : ''}`));
    const seen = new Set<string>();
    for (let i = 1; i <= 12; i++) {
      const dst = `198.51.100.${i}`;
      // a new source port each time: the same source would reuse its mapping (by-source)
      const o = lab.out(lab.rx('r_cli', dgram('10.0.1.9', 1234 + i, dst, 53)));
      assert.equal(o.srcString(), expectedIp('203.0.113.10', '203.0.113.50', '10.0.1.9', dst, persistent));
      seen.add(o.srcString());
    }
    if (persistent) assert.equal(seen.size, 1);
    else assert.ok(seen.size > 1);
  }
});

/** Both directions of a flow arrive as new before either is confirmed (two CPUs in the kernel). */
function reverseRace(make: (src: string, sport: number, dst: string, dport: number) => Uint8Array): number {
  const ct = new ConntrackTable({ settings: defaultSettings(), seed: 3 });
  const nat = new NatEngine(ct, { routing: new RoutingTable(hostConfigFromObject(ROUTER)) });
  const a = decodeIp(new PacketView(), make('10.0.1.2', 1000, '10.0.2.5', 53));
  const b = decodeIp(new PacketView(), make('10.0.2.5', 53, '10.0.1.2', 1000));
  // both directions arrive before either is confirmed (two CPUs in the kernel)
  const ca = ct.track(a, Hook.PREROUTING, 1).conn!;
  const cb = ct.track(b, Hook.PREROUTING, 1).conn!;
  assert.ok(ca !== cb);
  for (const c of [ca, cb]) {
    assert.ok(nat.nullBinding(c, Manip.DST, 1));
  }
  assert.ok(nat.nullBinding(ca, Manip.SRC, 1));
  assert.ok(ct.confirm(ca, 1));
  assert.ok(nat.nullBinding(cb, Manip.SRC, 1));
  return cb.reply.dport;
}

test('the exact reverse of a connection without NAT is no clash for UDP (clash resolution handles it), but is for TCP', () => {
  assert.equal(reverseRace(dgram), 53, 'UDP: no port rewrite');
  assert.notEqual(reverseRace((s, sp, d, dp) => syn(s, sp, d, dp)), 53, 'TCP: the source port moves');
});

test('by-source index is rebuilt from a table (snapshot restore)', () => {
  const lab = natLab(natTable('-A POSTROUTING -o r_wan -p udp -j SNAT --to-source 203.0.113.1:6000-6999'));
  const first = lab.out(lab.rx('r_cli', dgram('10.0.1.2', 5353, '198.51.100.1', 53))).sport;
  lab.nat.reindex();
  assert.equal(lab.out(lab.rx('r_cli', dgram('10.0.1.2', 5353, '198.51.100.2', 53))).sport, first);
});
