/**
 * TCP window tracking: in-window data and the unacknowledged-data timeout, segments beyond and
 * behind the window, ACKs of unsent data and overly delayed ACKs, window scaling, SACK,
 * tcp_be_liberal, the tcp_loose mid-stream pickup, retransmission counting against
 * tcp_max_retrans, zero windows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlow, type TcpFlowSpec } from '../../src/packet/build.js';
import { TcpSim } from './tcp-sim.js';
import type { ConntrackSettings } from '../../src/conntrack/settings.js';
import { CtStatus } from '../../src/netfilter/context.js';

const BASE: TcpFlowSpec = { client: '10.0.1.100', server: '10.0.2.100', cport: 40000, sport: 80, cisn: 1000, sisn: 5000 };

function established(spec: Partial<TcpFlowSpec> = {}, settings: Partial<ConntrackSettings> = {}): { sim: TcpSim; flow: TcpFlow } {
  const sim = new TcpSim(settings);
  const flow = new TcpFlow({ ...BASE, ...spec });
  for (const p of flow.handshake()) sim.send(p);
  assert.equal(sim.send(flow.ack('server')).state, 'ESTABLISHED');
  return { sim, flow };
}

describe('tcp window: data and acknowledgements', () => {
  it('data in window is accepted; the timeout is 300 s while unacknowledged, 432000 s once acknowledged', () => {
    const { sim, flow } = established();
    const d = sim.send(flow.data('client', 1000));
    assert.equal(d.verdict, 'ACCEPT');
    assert.equal(d.timeout, 300);
    const a = sim.send(flow.ack('server'));
    assert.equal(a.timeout, 432000);
    const both = sim.send(flow.data('server', 10));
    assert.equal(both.timeout, 300);
    assert.equal(sim.send(flow.ack('client')).timeout, 432000);
  });

  it('a segment far beyond the window is INVALID and leaves the entry as it was', () => {
    const { sim, flow } = established();
    const before = sim.send(flow.ack('client'));
    const r = sim.send(flow.segment('client', { flags: 'PA', payload: 'x'.repeat(200), seq: (flow.nextSeq('client') + 1_000_000) >>> 0, advance: false }));
    assert.equal(r.verdict, 'INVALID');
    assert.equal(r.ctstate, 'invalid');
    assert.equal(r.counted, false);
    assert.equal(r.conn?.expiresAt, before.conn?.expiresAt);
    assert.equal(sim.send(flow.data('client', 10)).verdict, 'ACCEPT');
  });

  it('a segment far behind the window (an old retransmission) is let through without touching the entry', () => {
    const { sim, flow } = established();
    sim.send(flow.data('client', 1000));
    const acked = sim.send(flow.ack('server'));
    const r = sim.send(flow.segment('client', { flags: 'PA', payload: 'x'.repeat(200), seq: (flow.nextSeq('client') - 200_000) >>> 0, advance: false }));
    assert.equal(r.verdict, 'ACCEPT');
    assert.equal(r.ctstate, 'established');
    assert.equal(r.counted, false);
    assert.equal(r.conn?.expiresAt, acked.conn?.expiresAt);
  });

  it('a segment overshooting the window by less than a window is let through and its data may then be acknowledged', () => {
    const { sim, flow } = established({ swin: 1000 });
    const seq = (flow.nextSeq('client') + 1001) >>> 0;
    const over = sim.send(flow.segment('client', { flags: 'PA', payload: 'x'.repeat(10), seq, advance: false }));
    assert.equal(over.verdict, 'ACCEPT');
    assert.equal(over.counted, false, 'ignored, not counted');
    // The peer acknowledging past that segment is now within what the client sent.
    const ack = sim.send(flow.segment('server', { flags: 'A', ack: (seq + 10) >>> 0 }));
    assert.equal(ack.verdict, 'ACCEPT');
    assert.equal(ack.counted, true);
  });

  it('a segment overshooting by more than the receiver ever advertised is INVALID', () => {
    const { sim, flow } = established({ swin: 1000 });
    const seq = (flow.nextSeq('client') + 5000) >>> 0;
    assert.equal(sim.send(flow.segment('client', { flags: 'PA', payload: 'x'.repeat(10), seq, advance: false })).verdict, 'INVALID');
  });

  it('an ACK of data never sent is INVALID', () => {
    const { sim, flow } = established();
    const r = sim.send(flow.segment('server', { flags: 'A', ack: (flow.nextSeq('client') + 5000) >>> 0 }));
    assert.equal(r.verdict, 'INVALID');
  });

  it('an ACK more than 66000 bytes behind is ignored (overly delayed)', () => {
    const { sim, flow } = established();
    const before = sim.send(flow.ack('client'));
    const r = sim.send(flow.segment('server', { flags: 'A', ack: (flow.nextSeq('client') - 70_000) >>> 0 }));
    assert.equal(r.verdict, 'ACCEPT');
    assert.equal(r.counted, false);
    assert.equal(r.conn?.expiresAt, before.conn?.expiresAt);
  });

  it('sequence numbers wrap around 2^32', () => {
    const { sim, flow } = established({ cisn: 0xffffff00, sisn: 0xfffffff0 });
    for (let i = 0; i < 4; i++) {
      assert.equal(sim.send(flow.data('client', 100)).verdict, 'ACCEPT');
      assert.equal(sim.send(flow.data('server', 10)).verdict, 'ACCEPT');
    }
    assert.ok(flow.nextSeq('client') < 1000, 'the client wrapped');
    assert.equal(sim.send(flow.ack('client')).timeout, 432000);
  });
});

describe('tcp window: scaling, SACK, be_liberal', () => {
  const AHEAD = 300_000;
  function ahead(spec: Partial<TcpFlowSpec>, settings: Partial<ConntrackSettings> = {}): string {
    const { sim, flow } = established({ cwin: 4000 * 128, swin: 4000 * 128, ...spec }, settings);
    const seq = (flow.nextSeq('client') + AHEAD) >>> 0;
    return sim.send(flow.segment('client', { flags: 'PA', payload: 'x'.repeat(100), seq, advance: false })).verdict;
  }

  it('with both sides offering window scaling the window is scaled: 300000 bytes ahead is in window', () => {
    assert.equal(ahead({ cwscale: 7, swscale: 7 }), 'ACCEPT');
  });

  it('with only one side offering it nothing is scaled', () => {
    assert.equal(ahead({ cwscale: 7 }), 'INVALID');
    assert.equal(ahead({ swscale: 7 }), 'INVALID');
  });

  it('tcp_be_liberal accepts what the window check would refuse', () => {
    assert.equal(ahead({}, { tcpBeLiberal: true }), 'ACCEPT');
  });

  it("the highest SACK right edge counts as the ack when the SACK's receiver permitted SACK", () => {
    // The server SACKs data beyond what the client sent: over the upper bound.
    const bogus = (flow: TcpFlow): Uint8Array => {
      const edge = (flow.nextSeq('client') + 5000) >>> 0;
      return flow.segment('server', { flags: 'A', options: { sack: [[(edge - 100) >>> 0, edge]] } });
    };
    const permitted = established({ sackPerm: true });
    assert.equal(permitted.sim.send(bogus(permitted.flow)).verdict, 'INVALID');
    const notPermitted = established();
    assert.equal(notPermitted.sim.send(bogus(notPermitted.flow)).verdict, 'ACCEPT');
  });

  it('a SACK block within the data sent is fine', () => {
    const { sim, flow } = established({ sackPerm: true });
    const start = flow.nextSeq('client');
    sim.send(flow.data('client', 1000));
    const r = sim.send(flow.segment('server', { flags: 'A', ack: start, options: { sack: [[(start + 500) >>> 0, (start + 1000) >>> 0]] } }));
    assert.equal(r.verdict, 'ACCEPT');
    assert.equal(r.counted, true);
  });
});

describe('tcp mid-stream pickup (tcp_loose)', () => {
  const flow = (): TcpFlow => new TcpFlow({ ...BASE, cisn: 777, sisn: 888 });

  it('an ACK with no entry starts one in ESTABLISHED with the unacknowledged timeout; ASSURED once both sides spoke', () => {
    const sim = new TcpSim();
    const f = flow();
    const first = sim.send(f.data('client', 100));
    assert.equal(first.ctstate, 'new');
    assert.deepEqual(first.events, ['NEW ESTABLISHED 300']);
    const answer = sim.send(f.data('server', 10));
    assert.equal(answer.ctstate, 'established');
    assert.equal(answer.timeout, 300, 'the reply was seen only after the tracker ran: still unassured');
    assert.equal((answer.conn?.status ?? 0) & CtStatus.ASSURED, 0);
    const third = sim.send(f.ack('client'));
    assert.deepEqual(third.events, ['UPDATE ESTABLISHED 432000']);
    assert.equal((third.conn?.status ?? 0) & CtStatus.ASSURED, CtStatus.ASSURED);
  });

  it('a picked-up connection is checked liberally in both directions', () => {
    const sim = new TcpSim();
    const f = flow();
    sim.send(f.ack('client'));
    sim.send(f.ack('server'));
    const far = sim.send(f.segment('client', { flags: 'PA', payload: 'x', seq: (f.nextSeq('client') + 1e9) >>> 0, advance: false }));
    assert.equal(far.verdict, 'ACCEPT');
    assert.equal(far.counted, true);
  });

  it('only an ACK may pick up: FIN, SYN/ACK and RST make no entry', () => {
    for (const flags of ['FA', 'SA', 'R', 'RA']) {
      const sim = new TcpSim();
      const r = sim.send(flow().segment('client', { flags }));
      assert.equal(r.verdict, 'NOENTRY', flags);
      assert.equal(r.ctstate, 'invalid', flags);
      assert.equal(sim.size, 0);
    }
  });

  it('with tcp_loose=0 nothing is picked up, while a SYN still opens', () => {
    const sim = new TcpSim({ tcpLoose: false });
    assert.equal(sim.send(flow().ack('client')).verdict, 'NOENTRY');
    assert.equal(sim.send(flow().syn()).state, 'SYN_SENT');
  });
});

describe('tcp retransmissions and zero windows', () => {
  it('after tcp_max_retrans identical ACK segments the timeout drops to the max_retrans timeout', () => {
    const { sim, flow } = established();
    const ack = flow.ack('client');
    const timeouts = [0, 1, 2, 3, 4].map(() => sim.send(ack).timeout);
    // The first is new; the three retransmissions after it count 1, 2, 3.
    assert.deepEqual(timeouts, [432000, 432000, 432000, 300, 300]);
    // Another segment resets the count.
    assert.equal(sim.send(flow.ack('server')).timeout, 432000);
  });

  it('tcp_max_retrans and the max_retrans timeout are settings', () => {
    const { sim, flow } = established({}, { tcpMaxRetrans: 1, tcpTimeoutMaxRetrans: 77 });
    const ack = flow.ack('client');
    assert.deepEqual([sim.send(ack).timeout, sim.send(ack).timeout], [432000, 77]);
  });

  it('the retransmission timeout only ever shortens a state timeout', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow(BASE);
    for (const p of flow.handshake()) sim.send(p);
    sim.send(flow.fin('server'));
    const ack = flow.ack('client');
    const states = [0, 1, 2, 3, 4].map(() => sim.send(ack));
    assert.deepEqual(
      states.map((s) => [s.state, s.timeout]),
      Array(5).fill(['CLOSE_WAIT', 60]),
    );
  });

  it('a zero window shortens the ESTABLISHED timeout to the max_retrans timeout', () => {
    const { sim, flow } = established();
    assert.equal(sim.send(flow.segment('client', { flags: 'A', winField: 0 })).timeout, 300);
    assert.equal(sim.send(flow.ack('client')).timeout, 432000);
  });
});
