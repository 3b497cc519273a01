/**
 * The TCP tracker's packet checks (the kernel's tcp_error): truncated headers, checksums (only at
 * PREROUTING and only with nf_conntrack_checksum), and the valid flag combinations.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv4, ipv6, tcp, tcpFlags } from '../../src/packet/build.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { defaultSettings } from '../../src/conntrack/settings.js';
import { tcpError } from '../../src/conntrack/proto/tcp.js';
import { Hook } from '../../src/netfilter/context.js';

const S = defaultSettings();

function packet(opts: { flags?: string | number; dataOffset?: number; checksum?: 'bad'; family?: 4 | 6; payload?: string } = {}): PacketView {
  const seg = tcp({ sport: 40000, dport: 80, seq: 1, ack: 2, flags: opts.flags ?? 'S', dataOffset: opts.dataOffset, checksum: opts.checksum, payload: opts.payload });
  const ip = opts.family === 6 ? ipv6({ src: 'fd00:1::1', dst: 'fd00:2::1', payload: seg }) : ipv4({ src: '10.0.1.1', dst: '10.0.2.1', payload: seg });
  return decodeIp(new PacketView(), ip);
}

describe('tcp error: headers', () => {
  it('accepts a well-formed segment over IPv4 and IPv6', () => {
    assert.equal(tcpError(packet(), Hook.PREROUTING, S), null);
    assert.equal(tcpError(packet({ family: 6, flags: 'PA', payload: 'data' }), Hook.PREROUTING, S), null);
  });

  it('a data offset below 5 words is a truncated packet', () => {
    assert.equal(tcpError(packet({ dataOffset: 4 }), Hook.PREROUTING, S), 'truncated packet');
  });

  it('a data offset beyond the segment is a truncated packet', () => {
    assert.equal(tcpError(packet({ dataOffset: 15 }), Hook.PREROUTING, S), 'truncated packet');
  });

  it('fewer than 20 bytes of TCP is a truncated packet', () => {
    const full = ipv4({ src: '10.0.1.1', dst: '10.0.2.1', payload: tcp({ sport: 1, dport: 2 }) });
    const cut = full.slice(0, 20 + 12);
    cut[3] = cut.length; // IPv4 total length: the datagram really is that short
    assert.equal(tcpError(decodeIp(new PacketView(), cut), Hook.PREROUTING, S), 'truncated packet');
  });
});

describe('tcp error: checksum', () => {
  const bad = packet({ checksum: 'bad', flags: 'PA', payload: 'hello' });

  it('a wrong checksum arriving at PREROUTING is INVALID', () => {
    assert.equal(tcpError(bad, Hook.PREROUTING, S), 'bad checksum');
    assert.equal(tcpError(packet({ checksum: 'bad', family: 6 }), Hook.PREROUTING, S), 'bad checksum');
  });

  it('locally sent packets (OUTPUT) are trusted', () => {
    assert.equal(tcpError(bad, Hook.OUTPUT, S), null);
  });

  it('nf_conntrack_checksum=0 turns the check off', () => {
    assert.equal(tcpError(bad, Hook.PREROUTING, { ...S, checksum: false }), null);
  });
});

describe('tcp error: flag combinations', () => {
  const VALID = ['S', 'SU', 'SA', 'R', 'RA', 'FA', 'FAU', 'A', 'AU'];

  it('the valid combinations pass, with any of PSH, ECE, CWR, NS added', () => {
    for (const base of VALID) {
      for (const extra of ['', 'P', 'E', 'C', 'PEC', 'N']) {
        assert.equal(tcpError(packet({ flags: base + extra }), Hook.PREROUTING, S), null, base + extra);
      }
    }
  });

  it('every other combination of FIN, SYN, RST, ACK, URG is refused', () => {
    const validBits = new Set(VALID.map((f) => tcpFlags(f)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x1ff }), (flags) => {
        const core = flags & 0x37;
        const expected = validBits.has(core) ? null : 'invalid tcp flag combination';
        assert.equal(tcpError(packet({ flags }), Hook.PREROUTING, S), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('names the usual suspects', () => {
    for (const f of ['SF', 'SR', 'F', '', 'FR', 'FPU', 'SAU', 'RU', 'SRA', 'U', 'P']) {
      assert.equal(tcpError(packet({ flags: f }), Hook.PREROUTING, S), 'invalid tcp flag combination', f || 'NULL');
    }
  });
});
