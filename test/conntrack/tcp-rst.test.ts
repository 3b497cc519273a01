/**
 * TCP resets: the exact-sequence rule on established connections, RSTs behind the peer's
 * acknowledgement (and tcp_ignore_invalid_rst), RST trains, resets answering a SYN, a challenge
 * ACK or an ignored SYN, resets while closing, and the timeout shrink for out-of-window FIN/RST
 * exchanges on assured connections.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlow, type TcpFlowSpec } from '../../src/packet/build.js';
import type { ConntrackSettings } from '../../src/conntrack/settings.js';
import { TcpSim } from './tcp-sim.js';

const BASE: TcpFlowSpec = { client: '10.0.1.100', server: '10.0.2.100', cport: 40000, sport: 80, cisn: 1000, sisn: 5000 };

function established(settings: Partial<ConntrackSettings> = {}): { sim: TcpSim; flow: TcpFlow } {
  const sim = new TcpSim(settings);
  const flow = new TcpFlow(BASE);
  for (const p of flow.handshake()) sim.send(p);
  sim.send(flow.ack('server'));
  return { sim, flow };
}

function rstAt(flow: TcpFlow, side: 'client' | 'server', seq: number, flags = 'R'): Uint8Array {
  return flow.segment(side, { flags, seq: seq >>> 0, advance: false });
}

describe('tcp RST on an established connection', () => {
  it('a RST at the expected sequence number closes: CLOSE with the close timeout', () => {
    const { sim, flow } = established();
    const r = sim.send(flow.rst('server'));
    assert.equal(r.state, 'CLOSE');
    assert.equal(r.timeout, 10);
    assert.deepEqual(r.events, ['UPDATE CLOSE 10']);
  });

  it('a RST|ACK with ack 0 (broken stacks) is taken as acknowledging everything', () => {
    const { sim, flow } = established();
    const r = sim.send(flow.segment('client', { flags: 'RA', ack: 0, advance: false }));
    assert.equal(r.state, 'CLOSE');
  });

  it('a RST in window but not at the expected sequence keeps the state (a challenge ACK may follow), with the close timeout', () => {
    const { sim, flow } = established();
    const r = sim.send(rstAt(flow, 'server', flow.nextSeq('server') + 10));
    assert.equal(r.verdict, 'ACCEPT');
    assert.equal(r.state, 'ESTABLISHED');
    assert.equal(r.timeout, 10);
    assert.equal(r.counted, true);
    // The exact RST after the challenge ACK closes.
    sim.send(flow.ack('client'));
    assert.equal(sim.send(flow.rst('server')).state, 'CLOSE');
  });

  it('on a connection not yet assured any in-window RST closes', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow(BASE);
    sim.send(flow.syn());
    sim.send(flow.synAck());
    const r = sim.send(rstAt(flow, 'client', flow.nextSeq('client') + 10));
    assert.equal(r.state, 'CLOSE');
  });

  it('a RST behind what the peer acknowledged is INVALID, unless tcp_ignore_invalid_rst', () => {
    const strict = established();
    sim2Data(strict);
    const r = strict.sim.send(rstAt(strict.flow, 'client', strict.flow.nextSeq('client') - 10));
    assert.equal(r.verdict, 'INVALID');
    assert.equal(r.state, 'ESTABLISHED');

    const lax = established({ tcpIgnoreInvalidRst: true });
    sim2Data(lax);
    const l = lax.sim.send(rstAt(lax.flow, 'client', lax.flow.nextSeq('client') - 10));
    assert.equal(l.verdict, 'ACCEPT');
    assert.equal(l.state, 'ESTABLISHED', 'not at the expected sequence: state kept');
  });

  it('a RST right after the same side\'s data, at its end, closes (RST train)', () => {
    const { sim, flow } = established();
    sim.send(flow.data('server', 19));
    const r = sim.send(flow.rst('server', true));
    assert.equal(r.state, 'CLOSE');
  });

  it('while closing, a RST skips every check', () => {
    const { sim, flow } = established();
    sim.send(flow.fin('client'));
    const r = sim.send(rstAt(flow, 'server', flow.nextSeq('server') + 0x40000000));
    assert.equal(r.verdict, 'ACCEPT');
    assert.equal(r.state, 'CLOSE');
  });
});

/** Client data acknowledged by the server, so the server's max ack moves past the ISN. */
function sim2Data({ sim, flow }: { sim: TcpSim; flow: TcpFlow }): void {
  sim.send(flow.data('client', 100));
  sim.send(flow.ack('server'));
}

describe('tcp RST around the handshake', () => {
  it('a RST answering the SYN (seq 0, ack ISN+1) deletes the unreplied entry', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow(BASE);
    sim.send(flow.syn());
    const r = sim.send(flow.segment('server', { flags: 'RA', seq: 0, advance: false }));
    assert.equal(r.verdict, 'ACCEPT');
    assert.equal(r.conn, null);
    assert.equal(r.counted, true, 'counted before deletion');
    assert.match(r.events[0] ?? '', /^DESTROY CLOSE \d+$/);
    assert.equal(sim.size, 0);
  });

  it('a RST answering a challenge ACK to a SYN skips the window check', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow(BASE);
    sim.send(flow.syn());
    // The server thinks an older connection is alive and answers with an ACK (ignored).
    const challenge = sim.send(flow.segment('server', { flags: 'A', seq: 9000, ack: 123456, advance: false }));
    assert.equal(challenge.state, 'SYN_SENT');
    assert.equal(challenge.counted, false);
    const r = sim.send(rstAt(flow, 'client', 123456));
    assert.equal(r.state, 'CLOSE');
    assert.notEqual(r.conn, null, 'a reply was seen: the entry stays');
  });

  it('a RST answering a SYN that was let through unchecked skips the window check', () => {
    const { sim, flow } = established();
    const newIsn = 700_000;
    sim.send(flow.segment('client', { flags: 'S', seq: newIsn, advance: false }));
    const r = sim.send(flow.segment('server', { flags: 'RA', seq: 0, ack: newIsn + 1, advance: false }));
    assert.equal(r.verdict, 'ACCEPT');
    assert.equal(r.state, 'CLOSE');
  });
});

describe('tcp out-of-window FIN / RST exchange', () => {
  it('an invalid FIN answered by an invalid RST from the other side shrinks an assured entry to the unacknowledged timeout', () => {
    const { sim, flow } = established();
    const far = (side: 'client' | 'server', flags: string): Uint8Array =>
      flow.segment(side, { flags, seq: (flow.nextSeq(side) + 0x20000000) >>> 0, advance: false });
    const fin = sim.send(far('client', 'FA'));
    assert.equal(fin.verdict, 'INVALID');
    assert.equal(fin.timeout, 431999);
    const rst = sim.send(far('server', 'R'));
    assert.equal(rst.verdict, 'INVALID');
    assert.equal(rst.state, 'ESTABLISHED');
    assert.equal(rst.timeout, 300);
    assert.equal(rst.counted, false);
  });

  it('from the same side twice, or with little time left, nothing changes', () => {
    const { sim, flow } = established();
    const far = (flags: string): Uint8Array =>
      flow.segment('client', { flags, seq: (flow.nextSeq('client') + 0x20000000) >>> 0, advance: false });
    sim.send(far('FA'));
    assert.equal(sim.send(far('R')).timeout, 431999);

    const closing = established({ tcpTimeoutEstablished: 100 });
    const farFrom = (side: 'client' | 'server', flags: string): Uint8Array =>
      closing.flow.segment(side, { flags, seq: (closing.flow.nextSeq(side) + 0x20000000) >>> 0, advance: false });
    closing.sim.send(farFrom('client', 'FA'));
    assert.equal(closing.sim.send(farFrom('server', 'R')).timeout, 99, 'below 120 s left: kept');
  });
});
