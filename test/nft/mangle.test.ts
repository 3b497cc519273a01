/**
 * nft payload mangling (nft_payload_set_eval): the write nft 1.0.6 generates (widened to 16 bits
 * for a checksummed protocol, read-modify-write for bit fields), the checksums the kernel patches
 * (IPv4 header, the transport checksum through the pseudo-header, UDP without checksum left
 * alone, the CSUM_MANGLED_0 rule, SCTP's CRC32c computed anew, raw writes that patch nothing),
 * the protocol dependencies nft adds, and the listings and errors of nft 1.0.6.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BaseChain } from '../../src/netfilter/chain.js';
import { CtStateBit, Hook, type PacketContext } from '../../src/netfilter/context.js';
import { icmpEcho, icmpError, icmpv6Echo, ipv4, ipv6, sctp, tcp, udp } from '../../src/packet/build.js';
import { sctpChecksum, verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { formatNftRuleset } from '../../src/format/nft.js';

function ctx(bytes: Uint8Array): PacketContext {
  const pkt = decodeIp(new PacketView(), bytes);
  return {
    pkt, family: pkt.family === 6 ? 6 : 4, hook: Hook.FORWARD, iif: 'eth0', oif: 'eth1', mark: 0, now: 100, ct: null,
    ctState: CtStateBit.NEW, ctDir: 0, notrack: false, ctHelper: null, ctZone: 0, log: [],
  };
}

function chain(rules: string, family = 'ip'): BaseChain {
  return nftBaseChains(loadNft(`table ${family} f { chain c { type filter hook forward priority 0; policy accept;\n${rules}\n} }`))[0]!;
}

function run(c: BaseChain, bytes: Uint8Array): { hits: number[]; pkt: PacketView } {
  const x = ctx(bytes);
  const trace: string[] = [];
  c.run(x, trace);
  return { hits: trace.filter((t) => !t.endsWith('policy')).map((t) => Number(t.split(' ').pop())), pkt: x.pkt };
}

const u4 = (o: { checksum?: number; tos?: number } = {}) => ipv4({ src: '10.0.1.100', dst: '10.0.2.100', tos: o.tos, payload: udp({ sport: 1000, dport: 53, payload: 'query', checksum: o.checksum }) });
const t4 = () => ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 1000, dport: 80, flags: 'S', seq: 7 }) });

test('IPv4 header fields: the header checksum is patched, neighbours of a widened write are kept', () => {
  const r = run(chain('ip ttl set 9\nip dscp set af41\nip ecn set ce\nip id set 4242'), u4({ tos: 0x01 }));
  assert.equal(r.pkt.ttl, 9);
  assert.equal(r.pkt.proto, 17, 'ip ttl set writes TTL and protocol: the protocol is kept');
  assert.equal(r.pkt.tos, (34 << 2) | 3);
  assert.equal(r.pkt.ipId, 4242);
  assert.ok(verifyIpv4Header(r.pkt.buf, r.pkt.l3Off, r.pkt.ipHdrLen));
  assert.ok(verifyL4Checksum(r.pkt));
});

test('addresses: IP and transport checksums through the pseudo-header; a UDP datagram without checksum keeps none', () => {
  for (const p of [u4(), t4()]) {
    const r = run(chain('ip saddr set 10.0.1.200\nip daddr set 10.0.2.101'), p);
    assert.equal(r.pkt.srcString(), '10.0.1.200');
    assert.equal(r.pkt.dstString(), '10.0.2.101');
    assert.ok(verifyIpv4Header(r.pkt.buf, r.pkt.l3Off, r.pkt.ipHdrLen));
    assert.ok(verifyL4Checksum(r.pkt));
  }
  const z = run(chain('ip saddr set 10.0.1.200'), u4({ checksum: 0 }));
  assert.equal(z.pkt.l4Checksum, 0);
  const v6 = ipv6({ src: 'fd00:1::100', dst: 'fd00:2::100', payload: icmpv6Echo({ id: 3, seq: 1 }) });
  const r6 = run(chain('ip6 daddr set fd00:2::101\nicmpv6 id set 99', 'ip6'), v6);
  assert.equal(r6.pkt.dstString(), 'fd00:2::101');
  assert.equal(r6.pkt.icmpId, 99);
  assert.ok(verifyL4Checksum(r6.pkt), 'ICMPv6 has the pseudo-header too');
});

test('ports and flags: the transport checksum is patched; udp dport on a datagram without checksum writes one (as the kernel)', () => {
  const t = run(chain('tcp dport set 8080\ntcp flags set syn,ack\ntcp window set 1000'), t4());
  assert.equal(t.pkt.dport, 8080);
  assert.equal(t.pkt.tcpFlags, 0x12);
  assert.equal(t.pkt.tcpHdrLen, 20, 'the data offset beside the flags is kept');
  assert.equal(t.pkt.tcpWindow, 1000);
  assert.ok(verifyL4Checksum(t.pkt));
  const z = run(chain('udp dport set 5353'), u4({ checksum: 0 }));
  assert.equal(z.pkt.dport, 5353);
  assert.notEqual(z.pkt.l4Checksum, 0, 'csum_inet patches a 0 checksum like any other');
});

test('raw writes and th patch no checksum', () => {
  const r = run(chain('@nh,64,8 set 5'), u4());
  assert.equal(r.pkt.ttl, 5);
  assert.equal(verifyIpv4Header(r.pkt.buf, r.pkt.l3Off, r.pkt.ipHdrLen), false);
  const t = run(chain('th dport set 99'), u4());
  assert.equal(t.pkt.dport, 99);
  assert.equal(verifyL4Checksum(t.pkt), false);
});

test('a checksum that comes out 0 is written as 0xffff (CSUM_MANGLED_0)', () => {
  // the id for which ~(~check + ~old + new) folds to 0
  const base = u4();
  const check = (base[10]! << 8) | base[11]!;
  const old = (base[4]! << 8) | base[5]!;
  let s = (~check & 0xffff) + (~old & 0xffff);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const id = s === 0xffff ? 0xffff : 0xffff - s;
  const r = run(chain(`ip id set ${id}`), base);
  assert.equal(r.pkt.ipId, id);
  assert.equal((r.pkt.buf[10]! << 8) | r.pkt.buf[11]!, 0xffff);
  assert.ok(verifyIpv4Header(r.pkt.buf, r.pkt.l3Off, r.pkt.ipHdrLen));
});

test('SCTP: the CRC32c is computed anew', () => {
  const p = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: sctp({ sport: 1, dport: 6010, chunks: [{ type: 1, data: new Uint8Array(16) }] }) });
  const r = run(chain('sctp dport set 6011'), p);
  assert.equal(r.pkt.dport, 6011);
  const b = r.pkt.buf;
  const at = r.pkt.l4Off + 8;
  const stored = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  assert.equal(stored, sctpChecksum(b, r.pkt.l4Off, r.pkt.ipEnd - r.pkt.l4Off));
});

test('dependencies: the rule breaks for another protocol or family, icmp id only for echo messages', () => {
  const c = chain('tcp dport set 1 counter\ncounter', 'inet');
  assert.deepEqual(run(c, u4()).hits, [2]);
  const f = chain('ip saddr set 1.2.3.4 counter\nip6 hoplimit set 1 counter', 'inet');
  assert.deepEqual(run(f, ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: udp({ sport: 1, dport: 2 }) })).hits, [2]);
  const i = chain('icmp id set 5 counter\ncounter');
  assert.deepEqual(run(i, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: icmpEcho({ id: 1, seq: 1 }) })).hits, [1, 2]);
  const unreach = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: icmpError({ type: 3, code: 3, quote: u4() }) });
  assert.deepEqual(run(i, unreach).hits, [2]);
});

test('property: named field writes keep the IPv4 and transport checksums valid', () => {
  const fields: readonly (readonly [string, (v: number) => string])[] = [
    ['ip saddr', (v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`],
    ['ip daddr', (v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`],
    ['ip ttl', (v) => String(v & 255)],
    ['ip dscp', (v) => String(v & 63)],
    ['ip id', (v) => String(v & 0xffff)],
    ['tcp sport', (v) => String(v & 0xffff)],
    ['tcp sequence', (v) => String(v >>> 0)],
    ['tcp urgptr', (v) => String(v & 0xffff)],
  ];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: fields.length - 1 }), fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 40 }), fc.boolean(), (fi, v, data, isUdp) => {
      const [name, fmt] = fields[fi]!;
      const field = isUdp ? name.replace('tcp sequence', 'udp length').replace('tcp urgptr', 'udp sport').replace('tcp sport', 'udp dport') : name;
      const seg = isUdp ? udp({ sport: 1, dport: 2, payload: data }) : tcp({ sport: 1, dport: 2, flags: 'A', seq: 5, payload: data });
      const p = ipv4({ src: '192.0.2.1', dst: '198.51.100.2', payload: seg });
      const value = field === 'udp length' ? String(8 + data.length) : fmt(v);
      const r = run(chain(`${field} set ${value}`), p);
      assert.ok(verifyIpv4Header(r.pkt.buf, r.pkt.l3Off, r.pkt.ipHdrLen), `${field} set ${value}`);
      assert.ok(verifyL4Checksum(r.pkt), `${field} set ${value}`);
    }),
    { numRuns: 150 },
  );
});

test('listing as nft 1.0.6 prints it (context-decoded raw writes, the icmp type/code quirk)', () => {
  const rs = loadNft(`table ip t { chain c { type filter hook forward priority 0;
    @nh,8,8 set 255
    @nh,16,16 set 0x1234
    @nh,9,3 set 1
    @nh,8,6 set 4
    @th,0,8 set 1
    udp dport 5016 @th,16,16 set 5017
    th dport set 5
    icmp type set echo-request
    icmp type set 0 icmp code set 3
    icmp sequence set 3
    icmp type echo-request icmp id set 5
    tcp flags set syn,ack
    ip dscp set 46
    ip protocol set 17
    ip ecn set not-ect } }
  table inet t2 { chain c { type filter hook forward priority 0; @nh,96,32 set 1; ip6 nexthdr set 6; ip6 saddr set ::1 } }`);
  assert.equal(formatNftRuleset(rs), `table ip t {
\tchain c {
\t\ttype filter hook forward priority filter; policy accept;
\t\t@nh,8,8 set 0xff
\t\tip length set 4660
\t\t@nh,8,8 set @nh,8,8 & 0x9f | 0x10
\t\tip dscp set 0x04
\t\t@th,0,8 set 0x1
\t\tudp dport 5016 udp dport set 5017
\t\tth dport set 5
\t\tth sport set th sport & 2303 | 2048
\t\tth sport set th sport & 255 th sport set th sport & 65283 | 3
\t\ticmp type { echo-reply, echo-request } icmp sequence set 3
\t\ticmp type echo-request icmp id set 5
\t\ttcp flags set syn | ack
\t\tip dscp set ef
\t\tip protocol set udp
\t\tip ecn set not-ect
\t}
}
table inet t2 {
\tchain c {
\t\ttype filter hook forward priority filter; policy accept;
\t\t@nh,96,32 set 0x1
\t\tip6 nexthdr set tcp
\t\tip6 saddr set ::1
\t}
}
`);
});

function error(rule: string, family = 'ip'): string {
  try {
    loadNft(`table ${family} t {\n chain c {\n  type filter hook forward priority 0;\n  ${rule}\n }\n}\n`, { file: 'r.nft' });
  } catch (e) {
    assert.ok(e instanceof NftError, String(e));
    return e.message;
  }
  assert.fail('loaded');
}

test('errors', () => {
  assert.equal(error('udp dport set 53 tcp dport set 53'), 'r.nft:4:20: conflicting protocols specified: udp vs. tcp');
  assert.equal(error('ip6 saddr set ::1'), 'r.nft:4:3: conflicting protocols specified: ip vs. ip6');
  assert.match(error('ether saddr set 00:11:22:33:44:55'), /^r\.nft:4:3: link-layer header mangling .* is not supported by ctkit/);
  assert.match(error('@ll,0,48 set 0x010203040506'), /link-layer header mangling/);
  assert.match(error('ip ttl set ip ttl'), /only to a constant/);
  assert.match(error('tcp dport set 1-2'), /^r\.nft:4:/);
  assert.match(error('ip ttl set 256'), /Value 256 exceeds valid range 0-255/);
  assert.match(error('ip saddr set ip6 daddr', 'inet'), /^r\.nft:4:/);
});

test('payload mangling in a netdev ingress chain rewrites the frame before conntrack sees it (r_r2_nft_netdev_snat_1)', async () => {
  const { Replayer } = await import('../../src/replay/replay.js');
  const { LinkType } = await import('../../src/packet/view.js');
  const host = {
    interfaces: [
      { name: 'r_cli', addresses: ['10.0.1.1/24'] },
      { name: 'r_wan', addresses: ['203.0.113.1/24'] },
    ],
    sysctl: { 'net.ipv4.ip_forward': 1 },
  };
  const nft = 'table netdev nd {\n  chain in {\n    type filter hook ingress device "r_wan" priority 0; policy accept;\n    ip daddr 203.0.113.50 counter ip daddr set 10.0.1.100\n  }\n}\n';
  const r = new Replayer({ host, nft });
  const q = ipv4({ src: '198.51.100.7', dst: '203.0.113.50', payload: udp({ sport: 4000, dport: 53, payload: 'q' }) });
  const res = r.feed({ data: q, ifName: 'r_wan', time: 1, linktype: LinkType.RAW, direction: 'in', index: 0 } as never);
  assert.equal(res.verdict, 'FORWARDED');
  assert.equal(res.ctstate, 'new');
  const out = decodeIp(new PacketView(), Uint8Array.from(Buffer.from(res.out[0]!.hex, 'hex')));
  assert.deepEqual([out.dst[0]! >>> 24, (out.dst[0]! >>> 16) & 255, (out.dst[0]! >>> 8) & 255, out.dst[0]! & 255], [10, 0, 1, 100]);
  assert.equal(verifyIpv4Header(out.buf, 0, 20), true);
  assert.equal(verifyL4Checksum(out), true);
  assert.match(r.finish().conntrack[0]!, /dst=10\.0\.1\.100 sport=4000 dport=53/);
});
