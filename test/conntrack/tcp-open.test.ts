/**
 * TCP SYN handling: retransmitted SYNs, reopening a closed connection (REPEAT), simultaneous
 * open, the resync when a SYN/ACK answers a SYN conntrack ignored, RFC 5961 challenge ACKs in
 * LAST_ACK, and the timeouts of the opening states.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlow, type TcpFlowSpec } from '../../src/packet/build.js';
import { TcpSim } from './tcp-sim.js';

const BASE: TcpFlowSpec = { client: '10.0.1.100', server: '10.0.2.100', cport: 40000, sport: 80, cisn: 1000, sisn: 5000 };

function open(): { sim: TcpSim; flow: TcpFlow } {
  const sim = new TcpSim();
  const flow = new TcpFlow(BASE);
  for (const p of flow.handshake()) sim.send(p);
  return { sim, flow };
}

function closeNormally({ sim, flow }: { sim: TcpSim; flow: TcpFlow }): void {
  sim.send(flow.fin('client'));
  sim.send(flow.ack('server'));
  sim.send(flow.fin('server'));
  assert.equal(sim.send(flow.ack('client')).state, 'TIME_WAIT');
}

describe('tcp SYN retransmission', () => {
  it('a retransmitted SYN before any reply neither renews the timer nor counts', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow(BASE);
    const syn = flow.syn();
    sim.send(syn);
    const r = sim.send(syn, { dt: 100 });
    assert.equal(r.state, 'SYN_SENT');
    assert.equal(r.timeout, 20);
    assert.equal(r.counted, false);
    assert.equal(r.ctstate, 'new');
  });

  it('the entry then expires: a later SYN starts a new one', () => {
    const sim = new TcpSim();
    const syn = new TcpFlow(BASE).syn();
    sim.send(syn);
    const r = sim.send(syn, { dt: 121 });
    assert.deepEqual(r.events, ['NEW SYN_SENT 120']);
  });

  it('a SYN/ACK retransmission in SYN_RECV is ignored', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow(BASE);
    sim.send(flow.syn());
    const sa = flow.synAck();
    sim.send(sa);
    const r = sim.send(sa);
    assert.equal(r.state, 'SYN_RECV');
    assert.equal(r.counted, false);
    assert.deepEqual(r.events, []);
  });
});

describe('tcp reopening a closed connection', () => {
  it('a SYN in TIME_WAIT destroys the entry and starts a new one (REPEAT)', () => {
    const c = open();
    closeNormally(c);
    const r = c.sim.send(c.flow.syn());
    assert.equal(r.repeated, true);
    assert.equal(r.state, 'SYN_SENT');
    assert.equal(r.ctstate, 'new');
    assert.deepEqual(r.events, ['DESTROY TIME_WAIT 119', 'NEW SYN_SENT 120']);
    assert.equal(c.sim.size, 1);
  });

  it('the server may reopen too: the new entry has it as the original side', () => {
    const c = open();
    closeNormally(c);
    const r = c.sim.send(c.flow.segment('server', { flags: 'S' }));
    assert.equal(r.repeated, true);
    assert.equal(r.state, 'SYN_SENT');
    assert.equal(c.sim.lookup(c.flow.synAck())?.dir, 0, "the server's packets are now the original direction");
  });

  it('after a RST, a SYN from the side that reset reopens; a SYN from the other side is ignored', () => {
    const reset = open();
    reset.sim.send(reset.flow.rst('client'));
    assert.equal(reset.sim.send(reset.flow.syn()).repeated, true);

    const other = open();
    other.sim.send(other.flow.rst('server'));
    const r = other.sim.send(other.flow.syn());
    assert.equal(r.repeated, false);
    assert.equal(r.state, 'CLOSE');
    assert.equal(r.counted, false);
  });
});

describe('tcp simultaneous open', () => {
  it('crossing SYNs: SYN_SENT2 without renewing the timer, then SYN_RECV and ESTABLISHED on the final ACK from either side', () => {
    for (const last of ['client', 'server'] as const) {
      const sim = new TcpSim();
      const flow = new TcpFlow(BASE);
      sim.send(flow.syn());
      const s2 = sim.send(flow.segment('server', { flags: 'S' }));
      assert.equal(s2.state, 'SYN_SENT2');
      assert.equal(s2.counted, false);
      assert.deepEqual(s2.events, ['UPDATE SYN_SENT2 119']);
      const sa = sim.send(flow.segment('client', { flags: 'SA', seq: 1000, advance: false }));
      assert.deepEqual(sa.events, ['UPDATE SYN_RECV 60']);
      const sa2 = sim.send(flow.segment('server', { flags: 'SA', seq: 5000, advance: false }));
      assert.equal(sa2.state, 'SYN_RECV');
      const fin = sim.send(flow.ack(last));
      assert.equal(fin.state, 'ESTABLISHED', `final ACK from the ${last}`);
      assert.deepEqual(fin.events, ['UPDATE ESTABLISHED 432000']);
    }
  });

  it('SYN_SENT2 has the built-in 120 s timeout whatever tcp_timeout_syn_sent says', () => {
    const sim = new TcpSim({ tcpTimeoutSynSent: 5 });
    const flow = new TcpFlow(BASE);
    assert.equal(sim.send(flow.syn()).timeout, 5);
    sim.send(flow.segment('server', { flags: 'S' }));
    // A retransmitted client SYN after the reply: renewed with SYN_SENT2's own timeout.
    const r = sim.send(flow.segment('client', { flags: 'S', seq: 1000, advance: false }));
    assert.equal(r.state, 'SYN_SENT2');
    assert.equal(r.timeout, 120);
  });
});

describe('tcp resync after an ignored SYN', () => {
  it('a SYN/ACK acknowledging a SYN conntrack ignored puts the entry in SYN_RECV with the new numbers', () => {
    const { sim, flow } = open();
    const isn = 900_000;
    const syn = sim.send(flow.segment('client', { flags: 'S', seq: isn, advance: false, options: { wscale: 7, sackPerm: true } }));
    assert.equal(syn.state, 'ESTABLISHED');
    assert.equal(syn.counted, false);
    const sa = sim.send(flow.segment('server', { flags: 'SA', seq: 77_000, ack: isn + 1, advance: false, options: { wscale: 7, sackPerm: true } }));
    assert.equal(sa.state, 'SYN_RECV');
    assert.deepEqual(sa.events, ['UPDATE SYN_RECV 60']);
    const ack = sim.send(flow.segment('client', { flags: 'A', seq: isn + 1, ack: 77_001, winField: 100, advance: false }));
    assert.equal(ack.state, 'ESTABLISHED');
    // The new numbers are tracked, with the window scale the ignored SYN announced.
    const data = sim.send(flow.segment('server', { flags: 'PA', seq: 77_001 + 10_000, ack: isn + 1, payload: 'x', advance: false }));
    assert.equal(data.verdict, 'ACCEPT', '10000 bytes ahead: within 100 << 7');
    assert.equal(data.counted, true);
  });

  it('the resync reports an UPDATE even when the entry was already in SYN_RECV', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow(BASE);
    sim.send(flow.syn());
    sim.send(flow.synAck());
    // The SYN/ACK was lost: the client repeats its SYN, the server its SYN/ACK.
    assert.equal(sim.send(flow.segment('client', { flags: 'S', seq: 1000, advance: false })).counted, false);
    const r = sim.send(flow.segment('server', { flags: 'SA', seq: 5000, advance: false }));
    assert.equal(r.state, 'SYN_RECV');
    assert.deepEqual(r.events, ['UPDATE SYN_RECV 60']);
    assert.equal(r.counted, true);
  });
});

describe('tcp challenge ACK in LAST_ACK', () => {
  it("the ACK answering a new SYN does not count as the last ACK", () => {
    const { sim, flow } = open();
    sim.send(flow.fin('server'));
    sim.send(flow.ack('client'));
    assert.equal(sim.send(flow.fin('client')).state, 'LAST_ACK');
    // The server has not seen the client's FIN yet; a new SYN from the client ...
    sim.send(flow.segment('client', { flags: 'S', seq: 800_000, advance: false }));
    // ... draws a challenge ACK from the server (RFC 5961): still LAST_ACK.
    const challenge = sim.send(flow.segment('server', { flags: 'A', advance: false }));
    assert.equal(challenge.state, 'LAST_ACK');
    assert.equal(challenge.counted, false);
    // The real last ACK then ends it.
    assert.equal(sim.send(flow.ack('server')).state, 'TIME_WAIT');
  });
});
