/**
 * The TCP tracker's building blocks and the entry points outside the packet path: sequence
 * arithmetic, the kernel's reading of TCP options, NAT sequence adjustment, snapshots, REJECT's
 * set-closing, early drop; and a property: any well-behaved conversation, whatever its numbers,
 * windows and options, is accepted packet by packet and ends in TIME_WAIT.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv4, tcp, TcpFlow, type TcpOptions } from '../../src/packet/build.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { defaultSettings } from '../../src/conntrack/settings.js';
import { CtStatus } from '../../src/netfilter/context.js';
import {
  newSeqAdj,
  seqAdjOffset,
  seqAdjRecord,
  tcpCanEarlyDrop,
  tcpSetClosing,
  tcpTracker,
  TcpCt,
  TcpFlag,
  TcpPeer,
  TcpState,
} from '../../src/conntrack/proto/tcp.js';
import { seqAfter, seqBefore } from '../../src/conntrack/proto/tcp-seq.js';
import { highestSackEdge, readSynOptions } from '../../src/conntrack/proto/tcp-options.js';
import { TcpSim } from './tcp-sim.js';

function view(options: TcpOptions | Uint8Array, ack = 0): PacketView {
  const o = options instanceof Uint8Array ? { raw: options } : options;
  return decodeIp(new PacketView(), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: tcp({ sport: 1, dport: 2, flags: 'SA', ack, options: o }) }));
}

describe('tcp sequence arithmetic', () => {
  it('before / after are mirror images and wrap at 2^32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (a, n) => {
        const b = (a + n) >>> 0;
        assert.equal(seqBefore(a, b), true);
        assert.equal(seqAfter(b, a), true);
        assert.equal(seqBefore(b, a), false);
        assert.equal(seqAfter(a, a), false);
      }),
    );
  });
});

describe('tcp options as the kernel reads them', () => {
  it('window scale (capped at 14) and SACK-permitted', () => {
    const p = new TcpPeer();
    readSynOptions(view({ wscale: 7, sackPerm: true, mss: 1460 }), p);
    assert.equal(p.tdScale, 7);
    assert.equal(p.flags, TcpFlag.WINDOW_SCALE | TcpFlag.SACK_PERM);
    readSynOptions(view({ wscale: 15 }), p);
    assert.equal(p.tdScale, 14);
    assert.equal(p.flags, TcpFlag.WINDOW_SCALE, 'replaced, SACK_PERM gone');
  });

  it('a header without options leaves the peer as it was; BE_LIBERAL always survives', () => {
    const p = new TcpPeer();
    p.flags = TcpFlag.BE_LIBERAL | TcpFlag.SACK_PERM;
    p.tdScale = 3;
    readSynOptions(view({}), p);
    assert.deepEqual([p.flags, p.tdScale], [TcpFlag.BE_LIBERAL | TcpFlag.SACK_PERM, 3]);
    readSynOptions(view({ mss: 1000 }), p);
    assert.deepEqual([p.flags, p.tdScale], [TcpFlag.BE_LIBERAL, 0]);
  });

  it('wrong lengths do not count, and a malformed option ends the walk keeping what came before', () => {
    const p = new TcpPeer();
    // wscale with length 4, then SACK-permitted with length 3: neither counts.
    readSynOptions(view(Uint8Array.from([3, 4, 7, 0, 4, 3, 0, 1])), p);
    assert.equal(p.flags, 0);
    // SACK-permitted, then an option claiming 40 bytes: SACK-permitted kept, the walk stops.
    readSynOptions(view(Uint8Array.from([4, 2, 8, 40, 3, 3, 7, 0])), p);
    assert.deepEqual([p.flags, p.tdScale], [TcpFlag.SACK_PERM, 0]);
  });

  it('the highest right edge of the first well-formed SACK option, when after the ack', () => {
    assert.equal(highestSackEdge(view({ sack: [[100, 200], [300, 400], [250, 260]] }, 50), 50), 400);
    assert.equal(highestSackEdge(view({ sack: [[100, 200]] }, 500), 500), 500);
    // A SACK option of a bad length is skipped; a later good one counts; only the first good one.
    const raw = Uint8Array.from([5, 6, 0, 0, 0, 0, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9, 5, 10, 0, 0, 0, 1, 0, 0, 0, 99, 0, 0]);
    assert.equal(highestSackEdge(view(raw, 1), 1), 9);
    // Right edges wrap like sequence numbers.
    assert.equal(highestSackEdge(view({ sack: [[0xfffffff0, 5]] }, 0xfffffff0), 0xfffffff0), 5);
  });

  it('never reads outside the header, whatever the option bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), (raw, ack) => {
        const v = view(raw, ack >>> 0);
        const p = new TcpPeer();
        readSynOptions(v, p);
        assert.ok(p.tdScale >= 0 && p.tdScale <= 14);
        const s = highestSackEdge(v, ack >>> 0);
        assert.ok(s >= 0 && s < 2 ** 32);
      }),
      { numRuns: 300 },
    );
  });
});

describe('tcp NAT sequence adjustment', () => {
  it('records shifts per direction and maps sequence numbers before / after the correction point', () => {
    const adj = newSeqAdj();
    seqAdjRecord(adj, 0, 1000, 5);
    assert.equal(seqAdjOffset(adj, 0, 1000), 0);
    assert.equal(seqAdjOffset(adj, 0, 1001), 5);
    assert.equal(seqAdjOffset(adj, 1, 1001), 0);
    // The same segment again (retransmission) changes nothing; a later one adds up.
    seqAdjRecord(adj, 0, 1000, 5);
    seqAdjRecord(adj, 0, 2000, -2);
    assert.deepEqual(adj[0], { correctionPos: 2000, offsetBefore: 5, offsetAfter: 3 });
  });

  it("lets the peer acknowledge a payload NAT made longer", () => {
    const sim = new TcpSim();
    const flow = new TcpFlow({ client: '10.0.1.1', server: '10.0.2.1', cport: 40000, sport: 21, cisn: 1000, sisn: 5000 });
    for (const p of flow.handshake()) sim.send(p);
    const cmd = flow.data('client', 20);
    const r = sim.send(cmd);
    // NAT rewrote those 20 bytes into 30 on the way out: the server acknowledges 10 more.
    const adj = newSeqAdj();
    seqAdjRecord(adj, 0, 1001, 10);
    r.conn!.proto.seqAdj = adj;
    const ack = sim.send(flow.segment('server', { flags: 'A', ack: 1001 + 30 }));
    assert.equal(ack.verdict, 'ACCEPT');
    assert.equal(ack.timeout, 432000, 'the shifted ack acknowledges all the data');
  });
});

describe('tcp entry points outside the packet path', () => {
  const S = defaultSettings();

  it('REJECT with tcp-reset closes the connection (set closing)', () => {
    const ct = new TcpState();
    ct.state = TcpCt.ESTABLISHED;
    const conn = { status: CtStatus.CONFIRMED | CtStatus.ASSURED, proto: ct, createdAt: 0, zone: 0 };
    assert.equal(tcpSetClosing(conn, S), 10);
    assert.equal(tcpTracker.stateName(ct), 'CLOSE');
    assert.equal(tcpSetClosing(conn, S), -1, 'already CLOSE');
    const fixed = { ...conn, status: CtStatus.FIXED_TIMEOUT, proto: Object.assign(new TcpState(), { state: TcpCt.FIN_WAIT }) };
    assert.equal(tcpSetClosing(fixed, S), -1);
    assert.equal(tcpTracker.stateName(fixed.proto), 'CLOSE');
  });

  it('early drop is allowed in the closing states only', () => {
    const ct = new TcpState();
    const droppable = [];
    for (let s = TcpCt.NONE; s <= TcpCt.SYN_SENT2; s++) {
      ct.state = s;
      if (tcpCanEarlyDrop(ct)) droppable.push(tcpTracker.stateName(ct));
      assert.equal(tcpTracker.stateNumber?.(ct), s);
    }
    assert.deepEqual(droppable, ['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE']);
  });

  it('a snapshot restores the state exactly, through JSON', () => {
    const sim = new TcpSim();
    const flow = new TcpFlow({ client: '10.0.1.1', server: '10.0.2.1', cport: 1, sport: 2, cwscale: 3, swscale: 5, sackPerm: true });
    for (const p of flow.handshake()) sim.send(p);
    const r = sim.send(flow.data('client', 10));
    const ct = r.conn!.proto;
    ct.seqAdj = newSeqAdj();
    seqAdjRecord(ct.seqAdj, 1, 77, -3);
    const back = tcpTracker.loadState!(JSON.parse(JSON.stringify(tcpTracker.saveState!(ct))));
    assert.ok(back instanceof TcpState);
    assert.deepEqual(back, ct);
    back.seen[0].reset();
    assert.notDeepEqual(back.seen[0], ct.seen[0], 'a real copy');
  });

  it('refuses a snapshot that is not one', () => {
    const good = tcpTracker.saveState!(new TcpState()) as Record<string, unknown>;
    for (const bad of [null, 3, { ...good, state: 12 }, { ...good, seen: [] }, { ...good, lastDir: 2 }, { ...good, lastSeq: 'x' }, { ...good, seqAdj: [1] }]) {
      assert.throws(() => tcpTracker.loadState!(bad), /tcp state snapshot/);
    }
  });
});

describe('tcp property: well-behaved conversations', () => {
  const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
  const scale = fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined });
  const exchange = fc.array(fc.record({ from: fc.constantFrom('client' as const, 'server' as const), bytes: fc.integer({ min: 0, max: 1400 }) }), {
    maxLength: 12,
  });

  it('every packet is accepted and the close ends in TIME_WAIT', () => {
    fc.assert(
      fc.property(u32, u32, scale, scale, fc.boolean(), exchange, fc.boolean(), (cisn, sisn, cwscale, swscale, sackPerm, talk, serverCloses) => {
        const sim = new TcpSim();
        const flow = new TcpFlow({ client: '10.0.1.1', server: '10.0.2.1', cport: 40000, sport: 80, cisn, sisn, cwscale, swscale, sackPerm, cwin: 60000, swin: 60000 });
        const all = [...flow.handshake()];
        for (const t of talk) {
          if (t.bytes > 0) all.push(flow.data(t.from, t.bytes));
          all.push(flow.ack(t.from === 'client' ? 'server' : 'client'));
        }
        const [first, second] = serverCloses ? (['server', 'client'] as const) : (['client', 'server'] as const);
        all.push(flow.fin(first), flow.ack(second), flow.fin(second), flow.ack(first));
        let last = null;
        for (const p of all) {
          last = sim.send(p);
          assert.equal(last.verdict, 'ACCEPT');
          assert.notEqual(last.ctstate, 'invalid');
        }
        assert.equal(last?.state, 'TIME_WAIT');
        assert.equal((last?.conn?.status ?? 0) & CtStatus.ASSURED, CtStatus.ASSURED);
      }),
      { numRuns: 150 },
    );
  });
});
