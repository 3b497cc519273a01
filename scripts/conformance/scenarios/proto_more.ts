/**
 * Trackers other than TCP/UDP/ICMP: UDP-Lite (checksum coverage, conntrack's checksum quirk,
 * nf_conntrack_checksum=0, NAT), SCTP (a whole association with DATA / SACK / SHUTDOWN, ABORT in
 * both forms, HEARTBEAT on a secondary path, verification tags, malformed chunk lists, an INIT
 * collision, NAT), GRE (version 0 as a generic-like flow with keys 0, version 1 without the PPTP
 * helper, address-only NAT and its clash) and the generic tracker (ESP, AH, DCCP without ports,
 * nf_conntrack_generic_timeout).
 */

import { dccp, gre, ipv4, sctp, udplite, type SctpChunk } from '../../../src/packet/build.js';
import { fold, pseudoHeaderSum, sum16 } from '../../../src/packet/checksum.js';
import { cli, ipt, pause, srv, wan, R_WAN } from '../lib/craft.js';
import type { ScenarioSpec } from '../lib/scenario.js';

const C = '10.0.1.100';
const C2 = '10.0.1.101';
const S = '10.0.2.100';
const W = '198.51.100.110';

/** Accept all, counting forwarded packets by state. */
const OBSERVE = ipt({
  filter: {
    rules: [
      '-A FORWARD -m conntrack --ctstate INVALID -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate NEW -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT',
    ],
  },
});

const MASQ = (extra: string[] = []): string =>
  ipt({
    nat: { rules: ['-A POSTROUTING -o r_wan -j MASQUERADE', ...extra] },
    filter: { rules: ['-A FORWARD -m conntrack --ctstate INVALID -j DROP', '-A FORWARD -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT'] },
  });

// ---------------------------------------------------------------------------------------- UDP-Lite

/**
 * An IPv4 UDP-Lite datagram with checksum coverage `cov` (0 = all). `sum`: 'ct' computes the
 * checksum the way conntrack verifies it (pseudo-header protocol 17; with partial coverage the
 * length enters the pseudo-header as its low byte only), 'rfc' as RFC 3828 (protocol 136, full
 * length), or a fixed value.
 */
function udplite4(src: string, sport: number, dst: string, dport: number, payload: string, cov: number, sum: 'ct' | 'rfc' | number, id = 1): Uint8Array {
  const p = ipv4({ src, dst, id, payload: udplite({ sport, dport, payload, coverage: cov, checksum: 0 }) });
  const len = p.length - 20;
  const covered = cov === 0 ? len : Math.min(cov, len);
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let v: number;
  if (typeof sum === 'number') v = sum;
  else {
    const proto = sum === 'rfc' ? 136 : 17;
    const plen = sum === 'rfc' || covered === len ? len : len & 0xff;
    v = ~fold(pseudoHeaderSum(4, [dv.getUint32(12)], [dv.getUint32(16)], proto, plen) + sum16(p, 20, covered)) & 0xffff;
    if (v === 0) v = 0xffff;
  }
  dv.setUint16(26, v);
  return p;
}

// ---------------------------------------------------------------------------------------- SCTP

/** An IPv4 SCTP packet. */
function sctp4(src: string, sport: number, dst: string, dport: number, vtag: number, chunks: SctpChunk[], o: { id?: number; checksum?: 'bad' } = {}): Uint8Array {
  return ipv4({ src, dst, id: o.id ?? 1, payload: sctp({ sport, dport, vtag, chunks, checksum: o.checksum }) });
}

const u32s = (...v: number[]): Uint8Array => {
  const b = new Uint8Array(4 * v.length);
  const dv = new DataView(b.buffer);
  v.forEach((x, k) => dv.setUint32(4 * k, x >>> 0));
  return b;
};
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** INIT / INIT ACK: initiate tag, a_rwnd 65536, 10 streams each way, initial TSN (+ a state cookie for INIT ACK). */
const INIT = (tag: number, tsn: number): SctpChunk => ({ type: 1, data: cat(u32s(tag, 65536), Uint8Array.of(0, 10, 0, 10), u32s(tsn)) });
const INIT_ACK = (tag: number, tsn: number): SctpChunk => ({ type: 2, data: cat(u32s(tag, 65536), Uint8Array.of(0, 10, 0, 10), u32s(tsn), Uint8Array.of(0, 7, 0, 12), Buffer.from('cookie00')) });
const COOKIE_ECHO: SctpChunk = { type: 10, data: 'cookie00' };
const COOKIE_ACK: SctpChunk = { type: 11 };
const DATA = (tsn: number, text: string): SctpChunk => ({ type: 0, flags: 3, data: cat(u32s(tsn), Uint8Array.of(0, 0, 0, 0), u32s(0), Buffer.from(text)) });
const SACK = (cum: number): SctpChunk => ({ type: 3, data: cat(u32s(cum, 65536), Uint8Array.of(0, 0, 0, 0)) });
const HEARTBEAT = (info: string): SctpChunk => ({ type: 4, data: cat(Uint8Array.of(0, 1, 0, 4 + info.length), Buffer.from(info)) });
const HEARTBEAT_ACK = (info: string): SctpChunk => ({ type: 5, data: cat(Uint8Array.of(0, 1, 0, 4 + info.length), Buffer.from(info)) });
const ABORT = (t = false): SctpChunk => ({ type: 6, flags: t ? 1 : 0 });
const SHUTDOWN = (cum: number): SctpChunk => ({ type: 7, data: u32s(cum) });
const SHUTDOWN_ACK: SctpChunk = { type: 8 };
const SHUTDOWN_COMPLETE = (t = false): SctpChunk => ({ type: 14, flags: t ? 1 : 0 });

/** One association's packets: tags and ports fixed. */
function assoc(c: string, cport: number, s: string, sport: number, tagC: number, tagS: number) {
  let idc = 1;
  let ids = 1;
  return {
    c: (chunks: SctpChunk[], vtag = tagS, o: { checksum?: 'bad' } = {}) => sctp4(c, cport, s, sport, vtag, chunks, { id: idc++, ...o }),
    s: (chunks: SctpChunk[], vtag = tagC, o: { checksum?: 'bad' } = {}) => sctp4(s, sport, c, cport, vtag, chunks, { id: ids++, ...o }),
    tagC,
    tagS,
  };
}

// ---------------------------------------------------------------------------------------- GRE, generic

function gre4(src: string, dst: string, spec: Parameters<typeof gre>[0], id = 1): Uint8Array {
  return ipv4({ src, dst, id, payload: gre(spec) });
}

/** An IP packet of any protocol with a raw payload. */
function raw4(src: string, dst: string, proto: number, payload: Uint8Array, id = 1): Uint8Array {
  return ipv4({ src, dst, id, proto, payload });
}

const ESP = (spi: number, seq: number): Uint8Array => cat(u32s(spi, seq), new Uint8Array(24).fill(0xe5));
const AH = (next: number, spi: number, seq: number): Uint8Array => cat(Uint8Array.of(next, 4, 0, 0), u32s(spi, seq), new Uint8Array(12));

function dccp4(src: string, sport: number, dst: string, dport: number, type: number, seq: number, ack?: number): Uint8Array {
  return ipv4({ src, dst, payload: dccp({ sport, dport, type, seq, ack, service: 42 }) });
}

export const scenarios: ScenarioSpec[] = [
  // ---------------------------------------------------------------- UDP-Lite
  {
    name: 'r_udplite_2',
    description: 'UDP-Lite checksum coverage as conntrack checks it (nf_conntrack_checksum=1): coverage 8 with the checksum conntrack computes (protocol 17, low byte of the length) is NEW; the same with the RFC 3828 checksum is INVALID; coverage 4 (below the header) and coverage beyond the datagram are INVALID; a zero checksum is INVALID; full coverage is NEW',
    tags: ['udplite', 'ct-invalid'],
    iptables: OBSERVE,
    steps: [
      cli(udplite4(C, 36000, S, 9000, 'partially covered', 8, 'ct'), 'coverage 8, conntrack checksum: NEW'),
      cli(udplite4(C, 36001, S, 9000, 'partially covered', 8, 'rfc'), 'coverage 8, RFC checksum: INVALID'),
      cli(udplite4(C, 36002, S, 9000, 'short coverage', 4, 'ct'), 'coverage 4: INVALID'),
      cli(udplite4(C, 36003, S, 9000, 'long', 200, 'ct'), 'coverage 200 > 12 bytes: INVALID'),
      cli(udplite4(C, 36004, S, 9000, 'zero', 0, 0), 'checksum 0: INVALID'),
      cli(udplite4(C, 36005, S, 9000, 'all covered', 0, 'ct'), 'full coverage: NEW'),
      srv(udplite4(S, 9000, C, 36000, 'reply', 8, 'ct'), 'reply to the first: ESTABLISHED'),
    ],
  },
  {
    name: 'r_udplite_3',
    description: 'nf_conntrack_checksum=0: UDP-Lite with RFC 3828 checksums is tracked (request NEW, reply ESTABLISHED, a packet 2.6 s after the first makes it a stream: ASSURED, timeout_stream)',
    tags: ['udplite', 'udp-stream'],
    sysctls: { 'net.netfilter.nf_conntrack_checksum': 0 },
    iptables: OBSERVE,
    steps: [
      cli(udplite4(C, 36100, S, 9100, 'one', 0, 'rfc'), 'request'),
      srv(udplite4(S, 9100, C, 36100, 'two', 0, 'rfc'), 'reply'),
      pause(2.6),
      cli(udplite4(C, 36100, S, 9100, 'three', 0, 'rfc'), '2.6 s later: ASSURED'),
      cli(udplite4(C, 36101, S, 9100, 'cov', 8, 'rfc'), 'partial coverage, RFC checksum: not checked, NEW'),
    ],
  },
  {
    name: 'r_udplite_nat_1',
    description: 'UDP-Lite through MASQUERADE: the source address is rewritten and the UDP-Lite checksum adjusted (full and partial coverage), the reply is translated back',
    tags: ['udplite', 'nat', 'masquerade'],
    iptables: MASQ(),
    steps: [
      cli(udplite4(C, 36200, W, 9200, 'full coverage', 0, 'ct'), 'full coverage'),
      wan(udplite4(W, 9200, R_WAN, 36200, 'reply', 0, 'ct'), 'reply to the public address'),
      cli(udplite4(C, 36201, W, 9200, 'header coverage', 8, 'ct'), 'coverage 8'),
      wan(udplite4(W, 9200, R_WAN, 36201, 'reply', 8, 'ct'), 'reply'),
    ],
  },

  // ---------------------------------------------------------------- SCTP
  (() => {
    const a = assoc(C, 36300, S, 5000, 0x1a1a1a1a, 0x2b2b2b2b);
    return {
      name: 'r_sctp_assoc_1',
      description: 'a whole SCTP association: INIT (NEW, shown CLOSED with timeout 10), INIT ACK (COOKIE_WAIT, 3), COOKIE ECHO (COOKIE_ECHOED, 3), COOKIE ACK (ESTABLISHED, 210, ASSURED), DATA and SACK both ways (no event), SHUTDOWN (SHUTDOWN_SENT), SHUTDOWN ACK (SHUTDOWN_ACK_SENT), SHUTDOWN COMPLETE (CLOSED)',
      tags: ['sctp'],
      iptables: OBSERVE,
      steps: [
        cli(a.c([INIT(a.tagC, 100)], 0), 'INIT'),
        srv(a.s([INIT_ACK(a.tagS, 900)]), 'INIT ACK'),
        cli(a.c([COOKIE_ECHO]), 'COOKIE ECHO'),
        srv(a.s([COOKIE_ACK]), 'COOKIE ACK'),
        cli(a.c([DATA(100, 'hello')]), 'DATA'),
        srv(a.s([SACK(100)]), 'SACK'),
        srv(a.s([DATA(900, 'world')]), 'DATA from the server'),
        cli(a.c([SACK(900)]), 'SACK'),
        cli(a.c([SHUTDOWN(900)]), 'SHUTDOWN'),
        srv(a.s([SHUTDOWN_ACK]), 'SHUTDOWN ACK'),
        cli(a.c([SHUTDOWN_COMPLETE()]), 'SHUTDOWN COMPLETE'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const a = assoc(C, 36310, S, 5000, 0x11110000, 0x22220000);
    const b = assoc(C, 36311, S, 5000, 0x33330000, 0x44440000);
    return {
      name: 'r_sctp_abort_1',
      description: 'SCTP ABORT: on an established association with the peer\'s tag (T=0): CLOSED, DATA after it still matches the entry; an ABORT with the T bit carrying the INIT\'s own tag in answer to an INIT is INVALID (the entry stays, the retransmitted INIT finds it)',
      tags: ['sctp'],
      iptables: OBSERVE,
      steps: [
        cli(a.c([INIT(a.tagC, 1)], 0), 'A: INIT'),
        srv(a.s([INIT_ACK(a.tagS, 5)]), 'A: INIT ACK'),
        cli(a.c([COOKIE_ECHO]), 'A: COOKIE ECHO'),
        srv(a.s([COOKIE_ACK]), 'A: COOKIE ACK'),
        srv(a.s([ABORT()]), 'A: ABORT from the server, vtag = client tag'),
        cli(a.c([DATA(1, 'late')]), 'A: DATA after the abort'),
        cli(b.c([INIT(b.tagC, 1)], 0), 'B: INIT'),
        srv(b.s([ABORT(true)], b.tagC), 'B: ABORT with the T bit (reflected tag = the INIT\'s tag)'),
        cli(b.c([INIT(b.tagC, 1)], 0), 'B: INIT again'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const a = assoc(C, 36320, S, 5000, 0x55550000, 0x66660000);
    return {
      name: 'r_sctp_heartbeat_1',
      description: 'SCTP HEARTBEAT on a tuple conntrack has not seen (a multi-homed association\'s secondary path): HEARTBEAT starts a connection (HEARTBEAT_SENT), the HEARTBEAT ACK makes it ESTABLISHED and its vtags are learnt; DATA with those tags is ESTABLISHED, DATA with a wrong tag is INVALID',
      tags: ['sctp', 'sctp-heartbeat'],
      iptables: OBSERVE,
      steps: [
        cli(a.c([HEARTBEAT('hb-info1')]), 'HEARTBEAT, vtag = server tag'),
        srv(a.s([HEARTBEAT_ACK('hb-info1')]), 'HEARTBEAT ACK, vtag = client tag'),
        cli(a.c([DATA(7, 'via path 2')]), 'DATA with the right tag'),
        srv(a.s([SACK(7)]), 'SACK'),
        cli(a.c([DATA(8, 'wrong tag')], 0x12345678), 'DATA with a wrong tag: INVALID'),
        srv(a.s([HEARTBEAT('hb-info2')]), 'HEARTBEAT from the server'),
        cli(a.c([HEARTBEAT_ACK('hb-info2')]), 'HEARTBEAT ACK'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const a = assoc(C, 36330, S, 5000, 0x77770000, 0x88880000);
    return {
      name: 'r_sctp_invalid_1',
      description: 'malformed SCTP for conntrack: bad CRC32c (nf_conntrack_checksum=1), a zero-length chunk, INIT bundled with DATA, COOKIE ACK behind another chunk, INIT with a non-zero vtag, DATA before any association; then a clean association start',
      tags: ['sctp', 'ct-invalid'],
      iptables: OBSERVE,
      steps: [
        cli(sctp4(C, 36331, S, 5000, 0, [INIT(0x1, 1)], { checksum: 'bad' }), 'INIT with a bad CRC32c'),
        cli(sctp4(C, 36332, S, 5000, 0, [{ type: 1, length: 0 }]), 'zero-length chunk'),
        cli(sctp4(C, 36333, S, 5000, 0, [INIT(0x2, 1), DATA(1, 'x')]), 'INIT + DATA'),
        cli(sctp4(C, 36334, S, 5000, 0x9, [DATA(1, 'x'), COOKIE_ACK]), 'DATA + COOKIE ACK'),
        cli(sctp4(C, 36335, S, 5000, 0x1234, [INIT(0x3, 1)]), 'INIT with vtag 0x1234'),
        cli(sctp4(C, 36336, S, 5000, 0x1234, [DATA(1, 'orphan')]), 'DATA on an unknown tuple'),
        cli(a.c([INIT(a.tagC, 1)], 0), 'clean INIT'),
        srv(a.s([INIT_ACK(a.tagS, 1)]), 'INIT ACK'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const a = assoc(C, 36340, S, 5000, 0x9a9a0000, 0xabab0000);
    return {
      name: 'r_sctp_collision_1',
      description: 'SCTP INIT collision: both ends send INIT (the server\'s INIT is the reply direction), both answer with INIT ACK, COOKIE ECHO / COOKIE ACK complete it; then the server shuts down (SHUTDOWN from the reply direction, SHUTDOWN ACK, SHUTDOWN COMPLETE)',
      tags: ['sctp'],
      iptables: OBSERVE,
      steps: [
        cli(a.c([INIT(a.tagC, 10)], 0), 'INIT from the client'),
        srv(a.s([INIT(a.tagS, 20)], 0), 'INIT from the server (collision)'),
        srv(a.s([INIT_ACK(a.tagS, 20)]), 'INIT ACK from the server'),
        cli(a.c([INIT_ACK(a.tagC, 10)]), 'INIT ACK from the client'),
        cli(a.c([COOKIE_ECHO]), 'COOKIE ECHO'),
        srv(a.s([COOKIE_ACK]), 'COOKIE ACK'),
        srv(a.s([SHUTDOWN(9)]), 'SHUTDOWN from the server'),
        cli(a.c([SHUTDOWN_ACK]), 'SHUTDOWN ACK'),
        srv(a.s([SHUTDOWN_COMPLETE()]), 'SHUTDOWN COMPLETE'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const a = assoc(C, 36350, W, 3868, 0xcdcd0000, 0xefef0000);
    const aPub = { c: (chunks: SctpChunk[]) => sctp4(W, 3868, R_WAN, 36350, a.tagC, chunks) };
    return {
      name: 'r_sctp_nat_1',
      description: 'SCTP through MASQUERADE: the source address changes, the port is kept and the CRC32c recomputed; the INIT ACK and COOKIE ACK to the public address are translated back; a DNAT of sctp/3869 on the WAN to the DMZ',
      tags: ['sctp', 'nat', 'masquerade', 'dnat'],
      iptables: MASQ(),
      steps: [
        cli(a.c([INIT(a.tagC, 1)], 0), 'INIT to the WAN: masqueraded'),
        wan(aPub.c([INIT_ACK(a.tagS, 1)]), 'INIT ACK to the public address'),
        cli(a.c([COOKIE_ECHO]), 'COOKIE ECHO'),
        wan(aPub.c([COOKIE_ACK]), 'COOKIE ACK'),
        cli(a.c([DATA(1, 'diameter')]), 'DATA'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const a = assoc(W, 36360, R_WAN, 3869, 0x01010000, 0x02020000);
    const back = { s: (chunks: SctpChunk[]) => sctp4(S, 3868, W, 36360, a.tagC, chunks) };
    return {
      name: 'r_sctp_dnat_1',
      description: 'SCTP DNAT: INIT to 203.0.113.1:3869 is sent to 10.0.2.100:3868 (address and port rewritten, CRC32c recomputed); the server\'s INIT ACK leaves with the public address and port',
      tags: ['sctp', 'nat', 'dnat'],
      iptables: ipt({ nat: { rules: ['-A PREROUTING -i r_wan -p sctp --dport 3869 -j DNAT --to-destination 10.0.2.100:3868'] }, filter: { rules: [] } }),
      steps: [
        wan(a.c([INIT(a.tagC, 1)], 0), 'INIT to the public port'),
        srv(back.s([INIT_ACK(a.tagS, 1)]), 'INIT ACK from the server'),
        wan(a.c([COOKIE_ECHO]), 'COOKIE ECHO'),
        srv(back.s([COOKIE_ACK]), 'COOKIE ACK'),
      ],
    } satisfies ScenarioSpec;
  })(),
  (() => {
    const a = assoc(C, 36370, S, 5000, 0x31310000, 0x42420000);
    return {
      name: 'r_sctp_timeout_1',
      description: 'SCTP timeouts: nf_conntrack_sctp_timeout_cookie_wait=2 applies once the INIT ACK moved the entry to COOKIE_WAIT; a COOKIE ECHO 3 s later finds no entry (INVALID); a fresh INIT then completes with nf_conntrack_sctp_timeout_established=50 in the events',
      tags: ['sctp', 'expiry'],
      sysctls: { 'net.netfilter.nf_conntrack_sctp_timeout_cookie_wait': 2, 'net.netfilter.nf_conntrack_sctp_timeout_established': 50 },
      nondeterministic: { ignore_destroy_events: true },
      iptables: OBSERVE,
      steps: [
        cli(a.c([INIT(a.tagC, 1)], 0), 'INIT'),
        srv(a.s([INIT_ACK(a.tagS, 1)]), 'INIT ACK: COOKIE_WAIT, timeout 2'),
        pause(3),
        cli(a.c([COOKIE_ECHO]), 'COOKIE ECHO after 3 s: the entry expired, INVALID'),
        cli(a.c([INIT(a.tagC, 1)], 0), 'INIT again'),
        srv(a.s([INIT_ACK(a.tagS, 1)]), 'INIT ACK'),
        cli(a.c([COOKIE_ECHO]), 'COOKIE ECHO'),
        srv(a.s([COOKIE_ACK]), 'COOKIE ACK: ESTABLISHED, timeout 50'),
      ],
    } satisfies ScenarioSpec;
  })(),

  // ---------------------------------------------------------------- GRE
  {
    name: 'r_gre_1',
    description: 'GRE version 0 (plain, with and without a key): tracked by the GRE tracker with keys 0 (srckey=0x0 dstkey=0x0), timeout 30 also for the reply, the next packet after it makes it ASSURED with timeout 180; a keyed or checksummed packet between the same hosts is the same connection',
    tags: ['gre'],
    iptables: OBSERVE,
    steps: [
      cli(gre4(C, W, { payload: ipv4({ src: '192.168.1.1', dst: '192.168.2.1', proto: 17, payload: new Uint8Array(8) }) }), 'GRE v0 from the LAN'),
      wan(gre4(W, C, { payload: ipv4({ src: '192.168.2.1', dst: '192.168.1.1', proto: 17, payload: new Uint8Array(8) }) }), 'GRE v0 back: reply seen'),
      cli(gre4(C, W, { key: 0x1234, seq: 1, payload: new Uint8Array(20) }), 'GRE v0 with key 0x1234 and a sequence number: same connection, ASSURED'),
      cli(gre4(C, W, { checksum: true, payload: new Uint8Array(20) }), 'GRE v0 with a checksum'),
    ],
  },
  {
    name: 'r_gre_2',
    description: 'enhanced GRE (version 1, PPTP data) without the PPTP helper: the tuple keys are the call ids (source key 0, no keymap), so each direction\'s packets, carrying the peer\'s call id, make a connection of their own',
    tags: ['gre', 'gre-v1'],
    iptables: OBSERVE,
    steps: [
      cli(gre4(C, W, { version: 1, callId: 0x4000, seq: 1, payload: new Uint8Array(16) }), 'client -> server, call id 0x4000'),
      wan(gre4(W, C, { version: 1, callId: 0x5000, seq: 1, ack: 1, payload: new Uint8Array(16) }), 'server -> client, call id 0x5000: another connection'),
      cli(gre4(C, W, { version: 1, callId: 0x4000, seq: 2, ack: 1, payload: new Uint8Array(16) }), 'client again'),
      wan(gre4(W, C, { version: 1, callId: 0x5000, seq: 2, payload: new Uint8Array(16) }), 'server again'),
    ],
  },
  {
    name: 'r_gre_nat_1',
    description: 'GRE version 0 through MASQUERADE: address-only NAT, the reply is translated back; a second LAN host sending GRE to the same peer needs the same public tuple (no key to change without a PPTP master): the clash drops it at confirmation',
    tags: ['gre', 'nat', 'masquerade', 'nat-clash'],
    iptables: MASQ(),
    steps: [
      cli(gre4(C, W, { payload: new Uint8Array(24) }), 'GRE from 10.0.1.100: masqueraded'),
      wan(gre4(W, R_WAN, { payload: new Uint8Array(24) }), 'GRE back to the public address: to 10.0.1.100'),
      cli(gre4(C2, W, { payload: new Uint8Array(24) }), 'GRE from 10.0.1.101 to the same peer: clash'),
      cli(gre4(C, W, { payload: new Uint8Array(24) }), 'the first host again: fine'),
    ],
  },

  // ---------------------------------------------------------------- generic
  {
    name: 'r_generic_esp_1',
    description: 'ESP (50) and AH (51) with the generic tracker: one connection per address pair and protocol (the SPI is not part of the tuple), both directions, timeout 600 (nf_conntrack_generic_timeout), no ASSURED',
    tags: ['generic', 'proto50', 'proto51'],
    iptables: OBSERVE,
    steps: [
      cli(raw4(C, W, 50, ESP(0x1001, 1)), 'ESP SPI 0x1001'),
      wan(raw4(W, C, 50, ESP(0x2002, 1)), 'ESP back, SPI 0x2002: reply'),
      cli(raw4(C, W, 50, ESP(0x3003, 1)), 'ESP with another SPI: same connection'),
      cli(raw4(C, W, 51, AH(59, 0x4004, 1)), 'AH: its own connection'),
      wan(raw4(W, C, 51, AH(59, 0x5005, 1)), 'AH back'),
    ],
  },
  {
    name: 'r_generic_nat_1',
    description: 'ESP through MASQUERADE (address-only NAT of the generic tracker), the reply is translated back; a second LAN host\'s ESP to the same peer clashes on the public tuple and is dropped; nf_conntrack_generic_timeout=100 in the events',
    tags: ['generic', 'proto50', 'nat', 'masquerade', 'nat-clash'],
    sysctls: { 'net.netfilter.nf_conntrack_generic_timeout': 100 },
    iptables: MASQ(),
    steps: [
      cli(raw4(C, W, 50, ESP(0x1111, 1)), 'ESP from 10.0.1.100'),
      wan(raw4(W, R_WAN, 50, ESP(0x2222, 1)), 'ESP to the public address'),
      cli(raw4(C2, W, 50, ESP(0x3333, 1)), 'ESP from 10.0.1.101 to the same peer: clash, dropped'),
      cli(raw4(C2, '198.51.100.111', 50, ESP(0x4444, 1)), '10.0.1.101 to another peer: fine'),
    ],
  },
  {
    name: 'r_dccp_1',
    description: 'DCCP (33) has no tracker in 6.18: the generic tracker keys on addresses only, so a second DCCP flow with other ports between the same hosts is the same connection (ESTABLISHED in the reply direction after the Response); -p dccp still matches',
    tags: ['generic', 'dccp', 'proto33'],
    iptables: ipt({ filter: { rules: ['-A FORWARD -p dccp -m conntrack --ctstate NEW -j ACCEPT', '-A FORWARD -p dccp -m conntrack --ctstate ESTABLISHED -j ACCEPT', '-A FORWARD -j DROP'] } }),
    steps: [
      cli(dccp4(C, 36400, S, 5001, 0, 100), 'DCCP Request'),
      srv(dccp4(S, 5001, C, 36400, 1, 500, 100), 'DCCP Response'),
      cli(dccp4(C, 36400, S, 5001, 3, 101, 500), 'DCCP Ack'),
      cli(dccp4(C, 36401, S, 5002, 0, 200), 'another DCCP flow (other ports): same connection'),
    ],
  },
  {
    name: 'r_generic_timeout_1',
    description: 'nf_conntrack_generic_timeout=2: an ESP flow expires between packets (the next one is NEW again); an AH flow refreshed every second stays',
    tags: ['generic', 'expiry', 'proto50'],
    sysctls: { 'net.netfilter.nf_conntrack_generic_timeout': 2 },
    nondeterministic: { ignore_destroy_events: true },
    iptables: OBSERVE,
    steps: [
      cli(raw4(C, W, 50, ESP(0x1, 1)), 'ESP'),
      cli(raw4(C, W, 51, AH(59, 0x2, 1)), 'AH'),
      pause(1.2),
      cli(raw4(C, W, 51, AH(59, 0x2, 2)), 'AH after 1.2 s'),
      pause(1.2),
      cli(raw4(C, W, 51, AH(59, 0x2, 3)), 'AH after 2.4 s: still there'),
      cli(raw4(C, W, 50, ESP(0x1, 2)), 'ESP after 2.4 s: expired, NEW'),
    ],
  },
];
