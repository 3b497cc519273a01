/**
 * The TCP tracker's state table, cell by cell: every (direction, packet kind, state) the kernel
 * table defines is checked twice, once against the table itself and once end to end, by driving
 * a connection into the state with real packets and sending a well-formed (in-window) packet of
 * that kind from that side.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlow, type Side } from '../../src/packet/build.js';
import { TCP_STATE_NAMES, TcpCt, TcpKind, tcpTransition } from '../../src/conntrack/proto/tcp.js';
import { TcpSim, type Step } from './tcp-sim.js';

type KindName = 'SYN' | 'SYNACK' | 'FIN' | 'ACK' | 'RST';
type StateName = 'NONE' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK' | 'TIME_WAIT' | 'CLOSE' | 'SYN_SENT2';

/**
 * The kernel's table, transcribed per current state: what each packet kind from the original
 * side (o) and from the reply side (r) leads to. 'inv' = invalid, 'ign' = ignored.
 */
const KERNEL_TABLE: Record<StateName, { o: Record<KindName, string>; r: Record<KindName, string> }> = {
  NONE: {
    o: { SYN: 'SYN_SENT', SYNACK: 'inv', FIN: 'inv', ACK: 'ESTABLISHED', RST: 'inv' },
    r: { SYN: 'inv', SYNACK: 'inv', FIN: 'inv', ACK: 'inv', RST: 'inv' },
  },
  SYN_SENT: {
    o: { SYN: 'SYN_SENT', SYNACK: 'inv', FIN: 'inv', ACK: 'inv', RST: 'CLOSE' },
    r: { SYN: 'SYN_SENT2', SYNACK: 'SYN_RECV', FIN: 'inv', ACK: 'ign', RST: 'CLOSE' },
  },
  SYN_RECV: {
    o: { SYN: 'ign', SYNACK: 'SYN_RECV', FIN: 'FIN_WAIT', ACK: 'ESTABLISHED', RST: 'CLOSE' },
    r: { SYN: 'inv', SYNACK: 'ign', FIN: 'FIN_WAIT', ACK: 'SYN_RECV', RST: 'CLOSE' },
  },
  ESTABLISHED: {
    o: { SYN: 'ign', SYNACK: 'inv', FIN: 'FIN_WAIT', ACK: 'ESTABLISHED', RST: 'CLOSE' },
    r: { SYN: 'inv', SYNACK: 'ign', FIN: 'FIN_WAIT', ACK: 'ESTABLISHED', RST: 'CLOSE' },
  },
  FIN_WAIT: {
    o: { SYN: 'ign', SYNACK: 'inv', FIN: 'LAST_ACK', ACK: 'CLOSE_WAIT', RST: 'CLOSE' },
    r: { SYN: 'inv', SYNACK: 'ign', FIN: 'LAST_ACK', ACK: 'CLOSE_WAIT', RST: 'CLOSE' },
  },
  CLOSE_WAIT: {
    o: { SYN: 'ign', SYNACK: 'inv', FIN: 'LAST_ACK', ACK: 'CLOSE_WAIT', RST: 'CLOSE' },
    r: { SYN: 'inv', SYNACK: 'ign', FIN: 'LAST_ACK', ACK: 'CLOSE_WAIT', RST: 'CLOSE' },
  },
  LAST_ACK: {
    o: { SYN: 'ign', SYNACK: 'inv', FIN: 'LAST_ACK', ACK: 'TIME_WAIT', RST: 'CLOSE' },
    r: { SYN: 'inv', SYNACK: 'ign', FIN: 'LAST_ACK', ACK: 'TIME_WAIT', RST: 'CLOSE' },
  },
  TIME_WAIT: {
    o: { SYN: 'SYN_SENT', SYNACK: 'inv', FIN: 'TIME_WAIT', ACK: 'TIME_WAIT', RST: 'CLOSE' },
    r: { SYN: 'SYN_SENT', SYNACK: 'ign', FIN: 'TIME_WAIT', ACK: 'TIME_WAIT', RST: 'CLOSE' },
  },
  CLOSE: {
    o: { SYN: 'SYN_SENT', SYNACK: 'inv', FIN: 'CLOSE', ACK: 'CLOSE', RST: 'CLOSE' },
    r: { SYN: 'inv', SYNACK: 'ign', FIN: 'CLOSE', ACK: 'CLOSE', RST: 'CLOSE' },
  },
  SYN_SENT2: {
    o: { SYN: 'SYN_SENT2', SYNACK: 'SYN_RECV', FIN: 'inv', ACK: 'inv', RST: 'CLOSE' },
    r: { SYN: 'SYN_SENT2', SYNACK: 'SYN_RECV', FIN: 'inv', ACK: 'ign', RST: 'CLOSE' },
  },
};

const KINDS: KindName[] = ['SYN', 'SYNACK', 'FIN', 'ACK', 'RST'];
const STATES = Object.keys(KERNEL_TABLE) as StateName[];

function codeOf(result: string): number {
  if (result === 'inv') return TcpCt.INVALID;
  if (result === 'ign') return TcpCt.IGNORE;
  const n = TCP_STATE_NAMES.indexOf(result);
  assert.ok(n >= 0, result);
  return n;
}

describe('tcp transition table', () => {
  it('matches the kernel table in every cell, packets without SYN/FIN/ACK/RST being invalid everywhere', () => {
    for (const state of STATES) {
      const s = TCP_STATE_NAMES.indexOf(state);
      for (const kind of KINDS) {
        assert.equal(tcpTransition(0, TcpKind[kind], s), codeOf(KERNEL_TABLE[state].o[kind]), `orig ${kind} in ${state}`);
        assert.equal(tcpTransition(1, TcpKind[kind], s), codeOf(KERNEL_TABLE[state].r[kind]), `reply ${kind} in ${state}`);
      }
      assert.equal(tcpTransition(0, TcpKind.NONE, s), TcpCt.INVALID);
      assert.equal(tcpTransition(1, TcpKind.NONE, s), TcpCt.INVALID);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// end to end

interface Setup {
  sim: TcpSim;
  flow: TcpFlow;
  /** Expiry of the entry once in the state (-1 for NONE). */
  expiresAt: number;
}

function newFlow(): TcpFlow {
  return new TcpFlow({ client: '10.0.1.100', server: '10.0.2.100', cport: 40000, sport: 80, cisn: 1000, sisn: 5000 });
}

/** Packets that bring a fresh connection into `state` (CLOSE: the client resets). */
function setup(state: StateName): Setup {
  const sim = new TcpSim();
  const flow = newFlow();
  const steps: Record<StateName, (() => Uint8Array)[]> = {
    NONE: [],
    SYN_SENT: [() => flow.syn()],
    SYN_SENT2: [() => flow.syn(), () => flow.segment('server', { flags: 'S' })],
    SYN_RECV: [() => flow.syn(), () => flow.synAck()],
    ESTABLISHED: [() => flow.syn(), () => flow.synAck(), () => flow.ack('client')],
    FIN_WAIT: [() => flow.syn(), () => flow.synAck(), () => flow.ack('client'), () => flow.fin('client')],
    CLOSE_WAIT: [() => flow.syn(), () => flow.synAck(), () => flow.ack('client'), () => flow.fin('client'), () => flow.ack('server')],
    LAST_ACK: [
      () => flow.syn(),
      () => flow.synAck(),
      () => flow.ack('client'),
      () => flow.fin('client'),
      () => flow.ack('server'),
      () => flow.fin('server'),
    ],
    TIME_WAIT: [
      () => flow.syn(),
      () => flow.synAck(),
      () => flow.ack('client'),
      () => flow.fin('client'),
      () => flow.ack('server'),
      () => flow.fin('server'),
      () => flow.ack('client'),
    ],
    CLOSE: [() => flow.syn(), () => flow.synAck(), () => flow.ack('client'), () => flow.rst('client', true)],
  };
  let last: Step | null = null;
  for (const make of steps[state]) last = sim.send(make());
  if (state !== 'NONE') assert.equal(last?.state, state, `setup of ${state}`);
  return { sim, flow, expiresAt: last?.conn?.expiresAt ?? -1 };
}

/** A well-formed packet of `kind` from `side`, numbered from the flow. */
function packetOf(flow: TcpFlow, side: Side, kind: KindName, state: StateName): Uint8Array {
  switch (kind) {
    case 'SYN':
      return flow.segment(side, { flags: 'S', advance: false });
    case 'SYNACK': {
      // In a simultaneous open the SYN/ACK repeats the side's own SYN sequence number.
      const sentSyn = side === 'client' ? state !== 'NONE' : state === 'SYN_SENT2';
      const seq = sentSyn ? (flow.nextSeq(side) - 1) >>> 0 : flow.nextSeq(side);
      return flow.segment(side, { flags: 'SA', seq, advance: false });
    }
    case 'FIN':
      return flow.fin(side);
    case 'ACK':
      return flow.ack(side);
    case 'RST':
      return flow.rst(side);
  }
}

/** What the table's answer means for the packet, connection and events, special cases included. */
function checkCell(state: StateName, dir: 'o' | 'r', kind: KindName, r: Step, sim: TcpSim, expiresBefore: number): void {
  const expected = KERNEL_TABLE[state][dir][kind];
  const where = `${dir === 'o' ? 'orig' : 'reply'} ${kind} in ${state}`;
  if (expected === 'inv') {
    assert.notEqual(r.verdict, 'ACCEPT', where);
    assert.equal(r.ctstate, 'invalid', where);
    assert.equal(r.state, state === 'NONE' ? '' : state, `${where}: state unchanged`);
    assert.equal(r.counted, false, where);
    return;
  }
  assert.equal(r.verdict, 'ACCEPT', where);
  if (expected === 'ign') {
    assert.equal(r.state, state, `${where}: ignored`);
    assert.equal(r.counted, false, `${where}: ignored packets are not counted`);
    assert.equal(r.conn?.expiresAt, expiresBefore, `${where}: ignored packets leave the timer`);
    assert.deepEqual(
      r.events.filter((e) => !e.startsWith('UPDATE')),
      [],
      where,
    );
    return;
  }
  if (kind === 'RST' && state === 'SYN_SENT') {
    // The only answer to the SYN is a reset: the entry goes at once.
    assert.equal(r.conn, null, where);
    assert.match(r.events.at(-1) ?? '', /^DESTROY CLOSE \d+$/, where);
    assert.equal(r.counted, true, `${where}: counted before the entry goes`);
    return;
  }
  if (kind === 'SYN' && (state === 'TIME_WAIT' || state === 'CLOSE')) {
    // Reopening: the old entry is destroyed and the SYN starts a new one (from its own side).
    assert.equal(r.repeated, true, where);
    assert.equal(r.state, 'SYN_SENT', where);
    assert.equal(r.ctstate, 'new', where);
    assert.equal(r.events[0], `DESTROY ${state} ${Math.floor(expiresBefore - sim.now + 1e-9)}`, where);
    assert.equal(r.events[1], 'NEW SYN_SENT 120', where);
    return;
  }
  assert.equal(r.state, expected, where);
  if (kind === 'SYN' && state === 'SYN_SENT') {
    // Before any reply, a SYN (a retransmission, or the peer's crossing SYN) neither renews the
    // timer nor counts: port reuse must not keep the entry alive.
    assert.equal(r.counted, false, where);
    assert.equal(r.conn?.expiresAt, expiresBefore, where);
    return;
  }
  assert.equal(r.counted, true, `${where}: counted`);
  if (state === 'NONE') assert.equal(r.events[0], `NEW ${expected} ${r.timeout}`, where);
}

describe('tcp state table, end to end', () => {
  for (const state of STATES) {
    for (const dir of ['o', 'r'] as const) {
      if (state === 'NONE' && dir === 'r') continue; // no entry has a reply side yet
      for (const kind of KINDS) {
        it(`${dir === 'o' ? 'original' : 'reply'} ${kind} in ${state} -> ${KERNEL_TABLE[state][dir][kind]}`, () => {
          const { sim, flow, expiresAt } = setup(state);
          const r = sim.send(packetOf(flow, dir === 'o' ? 'client' : 'server', kind, state));
          checkCell(state, dir, kind, r, sim, expiresAt);
        });
      }
    }
  }

  it('a packet with none of SYN, FIN, ACK, RST never reaches the table: it is refused first', () => {
    const { sim, flow } = setup('ESTABLISHED');
    for (const flags of ['', 'P', 'U', 'PU']) {
      const r = sim.send(flow.segment('client', { flags, advance: false }));
      assert.equal(r.verdict, 'ERROR');
      assert.equal(r.error, 'invalid tcp flag combination');
      assert.equal(r.state, 'ESTABLISHED');
    }
  });
});
