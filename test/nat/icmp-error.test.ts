/**
 * ICMP errors RELATED to NATed connections (src/nat/icmp-error.ts), byte for byte: the outer
 * header and the quoted packet are translated (quoted IP and transport checksums patched, the
 * error's checksum recomputed); errors with a bad checksum and redirects for NATed connections
 * are dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { icmpError, icmpv6Error, ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { natLab, natTable, ROUTER } from './support.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function masqLab(extraSysctl: Record<string, number> = {}) {
  const host = { ...ROUTER, sysctl: { ...ROUTER.sysctl, ...extraSysctl } };
  return natLab(natTable('-A POSTROUTING -o r_wan -j MASQUERADE'), undefined, host);
}

const C = '10.0.1.2';
const S = '198.51.100.10';
const R = '198.51.100.254';
const P = '203.0.113.1';

function synFrom(src: string, ttl: number): Uint8Array {
  return ipv4({ src, dst: S, id: 4242, ttl, payload: tcp({ sport: 40000, dport: 443, seq: 1000, flags: 'S' }) });
}

for (const quoteLen of [40, 28]) {
  test(`time exceeded for a MASQUERADEd TCP connection (quote of ${quoteLen} bytes) is translated byte for byte`, () => {
    const lab = masqLab();
    lab.rx('r_cli', synFrom(C, 64));
    const err = ipv4({ src: R, dst: P, id: 7, ttl: 250, payload: icmpError({ type: 11, quote: synFrom(P, 1), quoteLen }) });
    const r = lab.rx('r_wan', err);
    assert.equal(r.ctstate, 'related');
    assert.equal(r.verdict, 'FORWARDED');
    const expected = ipv4({ src: R, dst: C, id: 7, ttl: 249, payload: icmpError({ type: 11, quote: synFrom(C, 1), quoteLen }) });
    assert.equal(hex(r.out[0]!.bytes), hex(expected));
  });
}

test('a quoted UDP datagram of a port-translated connection gets its port and checksum back', () => {
  const lab = masqLab();
  lab.rx('r_cli', ipv4({ src: C, dst: S, id: 1, payload: udp({ sport: 5000, dport: 53, payload: 'q' }) }));
  lab.rx('r_cli', ipv4({ src: '10.0.1.3', dst: S, id: 2, payload: udp({ sport: 5000, dport: 53, payload: 'q' }) }));
  const translated = [...lab.host.conntrack][1]!.reply.dport;
  assert.notEqual(translated, 5000);
  const quote = ipv4({ src: P, dst: S, id: 2, ttl: 1, payload: udp({ sport: translated, dport: 53, payload: 'q' }) });
  const r = lab.rx('r_wan', ipv4({ src: R, dst: P, id: 9, ttl: 60, payload: icmpError({ type: 11, quote }) }));
  const expectedQuote = ipv4({ src: '10.0.1.3', dst: S, id: 2, ttl: 1, payload: udp({ sport: 5000, dport: 53, payload: 'q' }) });
  const expected = ipv4({ src: R, dst: '10.0.1.3', id: 9, ttl: 59, payload: icmpError({ type: 11, quote: expectedQuote }) });
  assert.equal(hex(r.out[0]!.bytes), hex(expected));
});

test('port unreachable from a DNAT target is translated at POSTROUTING (reply direction)', () => {
  const lab = natLab(natTable('-A PREROUTING -i r_wan -p udp --dport 53 -j DNAT --to-destination 10.0.2.5:5353'));
  const X = '198.51.100.7';
  lab.rx('r_wan', ipv4({ src: X, dst: P, id: 11, payload: udp({ sport: 4000, dport: 53, payload: 'dns?' }) }));
  const seen = ipv4({ src: X, dst: '10.0.2.5', id: 11, ttl: 63, payload: udp({ sport: 4000, dport: 5353, payload: 'dns?' }) });
  const r = lab.rx('r_srv', ipv4({ src: '10.0.2.5', dst: X, id: 12, payload: icmpError({ type: 3, code: 3, quote: seen }) }));
  assert.equal(r.ctstate, 'related');
  assert.equal(r.ctdir, 'reply');
  const sent = ipv4({ src: X, dst: P, id: 11, ttl: 63, payload: udp({ sport: 4000, dport: 53, payload: 'dns?' }) });
  const expected = ipv4({ src: P, dst: X, id: 12, ttl: 63, payload: icmpError({ type: 3, code: 3, quote: sent }) });
  assert.equal(hex(r.out[0]!.bytes), hex(expected));
});

test('an error with a bad checksum is dropped by NAT when conntrack does not check it', () => {
  const lab = masqLab({ 'net.netfilter.nf_conntrack_checksum': 0 });
  lab.rx('r_cli', synFrom(C, 64));
  const err = ipv4({ src: R, dst: P, payload: icmpError({ type: 11, quote: synFrom(P, 1), checksum: 'bad' }) });
  const r = lab.rx('r_wan', err);
  assert.equal(r.ctstate, 'related');
  assert.equal(r.verdict, 'DROPPED');
});

test('a redirect about a NATed connection is dropped', () => {
  const lab = masqLab();
  lab.rx('r_cli', synFrom(C, 64));
  const r = lab.rx('r_wan', ipv4({ src: '203.0.113.254', dst: P, payload: icmpError({ type: 5, rest: 0xcb007165, quote: synFrom(P, 1) }) }));
  assert.equal(r.ctstate, 'related');
  assert.equal(r.verdict, 'DROPPED');
});

test('ICMPv6 packet too big for an SNATed connection is translated (pseudo-header included)', () => {
  const lab = natLab(natTable(), natTable('-A POSTROUTING -o r_wan -j SNAT --to-source fd00:3::1'));
  const pkt = (src: string, hop: number): Uint8Array => ipv6({ src, dst: '2001:db8::1', hopLimit: hop, payload: tcp({ sport: 1111, dport: 22, seq: 5, flags: 'S' }) });
  lab.rx('r_cli', pkt('fd00:1::2', 64));
  const err = ipv6({ src: '2001:db8::fe', dst: 'fd00:3::1', hopLimit: 60, payload: icmpv6Error({ type: 2, rest: 1280, quote: pkt('fd00:3::1', 63) }) });
  const r = lab.rx('r_wan', err);
  assert.equal(r.ctstate, 'related');
  const expected = ipv6({ src: '2001:db8::fe', dst: 'fd00:1::2', hopLimit: 59, payload: icmpv6Error({ type: 2, rest: 1280, quote: pkt('fd00:1::2', 63) }) });
  assert.equal(hex(r.out[0]!.bytes), hex(expected));
});
