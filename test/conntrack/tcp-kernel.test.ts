/**
 * Sequences recorded from Linux 6.18 (the conformance corpus, scenarios named in each title),
 * rebuilt packet by packet from the recorded numbers and replayed through the TCP tracker. For
 * every packet the test checks what the kernel showed: the packet's ctstate, the conntrack -E
 * events of its connection (with their timeouts) and the connection's state and remaining
 * timeout in the table right after (conntrack -L ran about 10 ms after each packet).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4, ipv6, tcp, type TcpOptions } from '../../src/packet/build.js';
import { Hook } from '../../src/netfilter/context.js';
import type { ConntrackSettings } from '../../src/conntrack/settings.js';
import { TcpSim } from './tcp-sim.js';

interface RowOptions {
  opts?: { sack?: boolean; ts?: boolean; ws?: number };
  /** Sent by the router itself (OUTPUT hook). */
  local?: boolean;
}

/**
 * [seconds since the first packet, side, flags, seq, ack, window, payload bytes, options,
 *  ctstate, state after, timeout shown after (-1: no entry), events]
 */
type Row = [number, 'C' | 'S', string, number, number, number, number, RowOptions, string, string, number, string[]];

interface Recorded {
  title: string;
  settings: Partial<ConntrackSettings>;
  family: 4 | 6;
  rows: Row[];
}

const ADDRS = {
  4: { C: '10.0.1.100', S: '10.0.2.100' },
  6: { C: 'fd00:1::100', S: 'fd00:3::100' },
} as const;
const CPORT = 40000;
const SPORT = 443;
/** conntrack -L ran this long after each packet. */
const LIST_DELAY = 0.005;

function build(family: 4 | 6, row: Row): Uint8Array {
  const [, side, flags, seq, ack, win, len, o] = row;
  const options: TcpOptions = {};
  if (o.opts?.sack) options.sackPerm = true;
  if (o.opts?.ts) options.ts = [1, 0];
  if (o.opts?.ws !== undefined) options.wscale = o.opts.ws;
  const fromClient = side === 'C';
  const seg = tcp({
    sport: fromClient ? CPORT : SPORT,
    dport: fromClient ? SPORT : CPORT,
    seq,
    ack,
    flags: flags === '' ? 0 : flags,
    win,
    options,
    payload: new Uint8Array(len).fill(0x78),
  });
  const src = ADDRS[family][side];
  const dst = ADDRS[family][fromClient ? 'S' : 'C'];
  return family === 4 ? ipv4({ src, dst, payload: seg }) : ipv6({ src, dst, payload: seg });
}

function replay(rec: Recorded): void {
  const sim = new TcpSim(rec.settings);
  let t0 = 0;
  rec.rows.forEach((row, i) => {
    const [t, , flags, seq, , , , o, ctstate, state, shown, events] = row;
    const where = `row ${i} (${row[1]} ${flags} seq=${seq})`;
    const r = sim.send(build(rec.family, row), { dt: t - t0, hook: o.local ? Hook.OUTPUT : Hook.PREROUTING });
    t0 = t;
    assert.equal(r.ctstate, ctstate, `${where}: ctstate`);
    assert.deepEqual(r.events, events, `${where}: events`);
    assert.equal(r.state, state, `${where}: state`);
    const remaining = r.conn ? Math.floor(r.conn.expiresAt - sim.now - LIST_DELAY) : -1;
    assert.equal(remaining, shown, `${where}: timeout`);
  });
}

const RECORDED: Recorded[] = [
  {
    title: 'three-way handshake, data, FIN close (a_tcp_handshake)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 1000, 0, 64240, 0, {}, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #0 C S
      [0.011, 'S', 'SA', 5000, 1001, 64240, 0, {}, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #1 S SA
      [0.022, 'C', 'A', 1001, 5001, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #2 C A
      [0.033, 'C', 'PA', 1001, 5001, 64240, 18, {}, 'established', 'ESTABLISHED', 299, []], // #3 C PA +18B
      [0.044, 'S', 'PA', 5001, 1019, 64240, 24, {}, 'established', 'ESTABLISHED', 299, []], // #4 S PA +24B
      [0.055, 'C', 'A', 1019, 5025, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #5 C A
      [0.066, 'S', 'FA', 5025, 1019, 64240, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #6 S FA
      [0.077, 'C', 'A', 1019, 5026, 64240, 0, {}, 'established', 'CLOSE_WAIT', 59, ['UPDATE CLOSE_WAIT 60']], // #7 C A
      [0.087, 'C', 'FA', 1019, 5026, 64240, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #8 C FA
      [0.098, 'S', 'A', 5026, 1020, 64240, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #9 S A
    ],
  },
  {
    title: 'window scaling on both sides: 300000 bytes ahead is inside the scaled window (gen_0004)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 2610152002, 0, 64240, 0, { opts: { sack: true, ts: true, ws: 7 } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #0 C S
      [0.011, 'S', 'SA', 2555173051, 2610152003, 64240, 0, { opts: { sack: true, ts: true, ws: 7 } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #1 S SA
      [0.023, 'C', 'A', 2610152003, 2555173052, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #2 C A
      [0.034, 'C', 'PA', 2610152003, 2555173052, 4000, 517, {}, 'established', 'ESTABLISHED', 299, []], // #3 C PA +517B
      [0.045, 'S', 'PA', 2555173052, 2610152520, 4000, 100, {}, 'established', 'ESTABLISHED', 299, []], // #4 S PA +100B
      [0.056, 'C', 'A', 2610152520, 2555173152, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #5 C A
      [0.067, 'C', 'PA', 2610452520, 2555173152, 4000, 100, {}, 'established', 'ESTABLISHED', 299, []], // #6 segment 300000 bytes ahead: inside the scaled wind
      [0.079, 'S', 'A', 2555173152, 2610152520, 4000, 0, {}, 'established', 'ESTABLISHED', 299, []], // #7 S A
      [0.090, 'C', 'RA', 2610152520, 2555173152, 4000, 0, {}, 'established', 'CLOSE', 9, ['UPDATE CLOSE 10']], // #8 client RST
    ],
  },
  {
    title: 'window scaling on both sides: 150000 bytes ahead accepted (gen_0016)',
    settings: { checksum: false },
    family: 4,
    rows: [
      [0.000, 'C', 'S', 2665304465, 0, 64240, 0, { opts: { sack: true, ts: true, ws: 7 } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #15 C S
      [0.011, 'S', 'SA', 1230413578, 2665304466, 64240, 0, { opts: { sack: true, ts: true, ws: 7 } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #16 S SA
      [0.023, 'C', 'A', 2665304466, 1230413579, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #17 C A
      [0.034, 'C', 'PA', 2665304466, 1230413579, 4000, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #18 C PA +1448B
      [0.057, 'S', 'A', 1230413579, 2665305914, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #20 S A
      [0.068, 'C', 'PA', 2665305914, 1230413579, 4000, 100, {}, 'established', 'ESTABLISHED', 299, []], // #21 C PA +100B
      [0.091, 'S', 'PA', 1230413579, 2665306014, 4000, 517, {}, 'established', 'ESTABLISHED', 299, []], // #23 S PA +517B
      [0.147, 'C', 'A', 2665306014, 1230414096, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #28 C A
      [0.169, 'C', 'PA', 2665306014, 1230414096, 4000, 100, {}, 'established', 'ESTABLISHED', 299, []], // #30 C PA +100B
      [0.181, 'S', 'PA', 1230414096, 2665306114, 4000, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #31 S PA +1448B
      [0.192, 'C', 'A', 2665306114, 1230415544, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #32 C A
      [0.204, 'C', 'PA', 2665456114, 1230415544, 4000, 100, {}, 'established', 'ESTABLISHED', 299, []], // #33 segment 150000 bytes ahead: inside the scaled wind
      [0.215, 'S', 'A', 1230415544, 2665306114, 4000, 0, {}, 'established', 'ESTABLISHED', 299, []], // #34 S A
      [0.226, 'C', 'FA', 2665306114, 1230415544, 4000, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #35 C FA
      [0.237, 'S', 'FA', 1230415544, 2665306115, 4000, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #36 FIN+ACK (combined)
      [0.248, 'C', 'A', 2665306115, 1230415545, 4000, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #37 C A
    ],
  },
  {
    title: 'window scale offered by the client only: no scaling, 300000 bytes ahead is INVALID (gen_0018)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 363090433, 0, 64240, 0, { opts: { sack: true, ts: true, ws: 7 } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #17 C S
      [0.012, 'S', 'SA', 1109550774, 363090434, 64240, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #18 S SA
      [0.024, 'C', 'A', 363090434, 1109550775, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #19 C A
      [0.048, 'C', 'PA', 363090434, 1109550775, 4000, 12, {}, 'established', 'ESTABLISHED', 299, []], // #21 C PA +12B
      [0.060, 'S', 'A', 1109550775, 363090446, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #22 S A
      [0.072, 'C', 'PA', 363390446, 1109550775, 4000, 100, {}, 'invalid', 'ESTABLISHED', 431999, []], // #23 segment 300000 bytes ahead: inside the scaled wind
      [0.144, 'S', 'A', 1109550775, 363090446, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #29 S A
      [0.155, 'C', 'FA', 363090446, 1109550775, 4000, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #30 C FA
      [0.179, 'S', 'FA', 1109550775, 363090447, 4000, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #32 FIN+ACK (combined)
      [0.190, 'C', 'A', 363090447, 1109550776, 4000, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #33 C A
    ],
  },
  {
    title: 'window scale offered by the client only, then a normal close (gen_0055)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 527775512, 0, 64240, 0, { opts: { sack: true, ts: true, ws: 7 } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #21 C S
      [0.011, 'S', 'SA', 3828545700, 527775513, 64240, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #22 S SA
      [0.022, 'C', 'A', 527775513, 3828545701, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #23 C A
      [0.033, 'C', 'PA', 527775513, 3828545701, 4000, 100, {}, 'established', 'ESTABLISHED', 299, []], // #24 C PA +100B
      [0.044, 'S', 'A', 3828545701, 527775613, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #25 S A
      [0.054, 'C', 'PA', 527775613, 3828545701, 4000, 12, {}, 'established', 'ESTABLISHED', 299, []], // #26 C PA +12B
      [0.065, 'S', 'PA', 3828545701, 527775625, 4000, 517, {}, 'established', 'ESTABLISHED', 299, []], // #27 S PA +517B
      [0.076, 'C', 'A', 527775625, 3828546218, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #28 C A
      [0.087, 'C', 'PA', 527775625, 3828546218, 4000, 12, {}, 'established', 'ESTABLISHED', 299, []], // #29 C PA +12B
      [0.098, 'S', 'PA', 3828546218, 527775637, 4000, 12, {}, 'established', 'ESTABLISHED', 299, []], // #30 S PA +12B
      [0.109, 'C', 'A', 527775637, 3828546230, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #31 C A
      [0.120, 'C', 'PA', 528075637, 3828546230, 4000, 100, {}, 'invalid', 'ESTABLISHED', 431999, []], // #32 segment 300000 bytes ahead: inside the scaled wind
      [0.131, 'S', 'A', 3828546230, 527775637, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #33 S A
      [0.142, 'C', 'FA', 527775637, 3828546230, 4000, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #34 C FA
      [0.153, 'S', 'FA', 3828546230, 527775638, 4000, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #35 FIN+ACK (combined)
      [0.164, 'C', 'A', 527775638, 3828546231, 4000, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #36 C A
    ],
  },
  {
    title: 'tcp_be_liberal: a segment beyond the unscaled window is accepted (gen_0053)',
    settings: { tcpBeLiberal: true },
    family: 4,
    rows: [
      [0.000, 'C', 'S', 3188758758, 0, 64240, 0, { opts: { sack: true, ts: true, ws: 7 } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #0 C S
      [0.011, 'S', 'SA', 420234508, 3188758759, 64240, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #1 S SA
      [0.022, 'C', 'A', 3188758759, 420234509, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #2 C A
      [0.034, 'C', 'PA', 3188758759, 420234509, 4000, 1, {}, 'established', 'ESTABLISHED', 299, []], // #3 C PA +1B
      [0.045, 'S', 'A', 420234509, 3188758760, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #4 S A
      [0.056, 'C', 'PA', 3188758760, 420234509, 4000, 517, {}, 'established', 'ESTABLISHED', 299, []], // #5 C PA +517B
      [0.067, 'S', 'A', 420234509, 3188759277, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #6 S A
      [0.079, 'C', 'PA', 3188759277, 420234509, 4000, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #7 C PA +1448B
      [0.090, 'S', 'A', 420234509, 3188760725, 4000, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #8 S A
      [0.102, 'C', 'PA', 3188830725, 420234509, 4000, 100, {}, 'established', 'ESTABLISHED', 299, []], // #9 segment 70000 bytes ahead: inside the scaled windo
      [0.113, 'S', 'A', 420234509, 3188760725, 4000, 0, {}, 'established', 'ESTABLISHED', 299, []], // #10 S A
      [0.125, 'C', 'FA', 3188760725, 420234509, 4000, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #11 C FA
      [0.136, 'S', 'A', 420234509, 3188760726, 4000, 0, {}, 'established', 'CLOSE_WAIT', 59, ['UPDATE CLOSE_WAIT 60']], // #12 S A
      [0.148, 'S', 'FA', 420234509, 3188760726, 4000, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #13 S FA
      [0.159, 'C', 'A', 3188760726, 420234510, 4000, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #14 C A
    ],
  },
  {
    title: 'simultaneous open over IPv6: SYN_SENT2, SYN_RECV, ESTABLISHED (gen_0005)',
    settings: {},
    family: 6,
    rows: [
      [0.000, 'C', 'S', 817772590, 0, 8192, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #0 simultaneous open: SYN
      [0.011, 'S', 'S', 950173176, 0, 509, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_SENT2', 119, ['UPDATE SYN_SENT2 119']], // #1 simultaneous open: crossing SYN
      [0.023, 'C', 'SA', 817772590, 950173177, 8192, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #2 SYN-ACK
      [0.034, 'S', 'SA', 950173176, 817772591, 509, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, []], // #3 SYN-ACK
      [0.045, 'C', 'A', 817772591, 950173177, 8192, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #4 C A
      [0.056, 'C', 'PA', 817772591, 950173177, 8192, 1, {}, 'established', 'ESTABLISHED', 299, []], // #5 C PA +1B
      [0.067, 'S', 'A', 950173177, 817772592, 509, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #6 S A
    ],
  },
  {
    title: 'TIME_WAIT reuse: a new SYN destroys the entry and starts a new one (gen_0019)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 773964814, 0, 64240, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #16 C S
      [0.011, 'S', 'SA', 4290030993, 773964815, 65160, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #17 S SA
      [0.023, 'C', 'A', 773964815, 4290030994, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #18 C A
      [0.058, 'C', 'PA', 773964815, 4290030994, 64240, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #21 C PA +1448B
      [0.081, 'S', 'A', 4290030994, 773966263, 65160, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #23 S A
      [0.092, 'S', 'FA', 4290030994, 773966263, 65160, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #24 S FA
      [0.104, 'C', 'FA', 773966263, 4290030995, 64240, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #25 FIN+ACK (combined)
      [0.115, 'S', 'A', 4290030995, 773966264, 65160, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #26 S A
      [0.127, 'C', 'S', 774066264, 0, 64240, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['DESTROY TIME_WAIT 119', 'NEW SYN_SENT 120']], // #27 same 4-tuple reused while TIME_WAIT (higher ISN)
      [0.138, 'S', 'SA', 1447019041, 774066265, 65160, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #28 S SA
      [0.150, 'C', 'A', 774066265, 1447019042, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #29 C A
      [0.162, 'C', 'PA', 774066265, 1447019042, 64240, 1200, {}, 'established', 'ESTABLISHED', 299, []], // #30 C PA +1200B
      [0.173, 'S', 'A', 1447019042, 774067465, 65160, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #31 S A
    ],
  },
  {
    title: 'RST in window but not at the expected sequence: ignored, state kept (gen_0023)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 309459800, 0, 502, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #21 C S
      [0.011, 'S', 'SA', 133541014, 309459801, 28960, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #22 S SA
      [0.022, 'C', 'A', 309459801, 133541015, 502, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #23 C A
      [0.033, 'S', 'RA', 133542015, 309459801, 28960, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #24 RST in window but not at the expected sequence
      [0.044, 'C', 'PA', 309459801, 133541015, 502, 1200, {}, 'established', 'ESTABLISHED', 299, []], // #25 C PA +1200B
      [0.055, 'S', 'A', 133541015, 309461001, 28960, 0, {}, 'established', 'ESTABLISHED', 299, []], // #26 S A
      [0.066, 'C', 'FA', 309461001, 133541015, 502, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #27 C FA
      [0.077, 'S', 'A', 133541015, 309461002, 28960, 0, {}, 'established', 'FIN_WAIT', 119, []], // #28 S A
      [0.088, 'S', 'FA', 133541015, 309461002, 28960, 0, {}, 'established', 'FIN_WAIT', 119, []], // #29 S FA
      [0.099, 'C', 'A', 309461002, 133541016, 502, 0, {}, 'established', 'CLOSE_WAIT', 59, ['UPDATE CLOSE_WAIT 60']], // #30 C A
    ],
  },
  {
    title: 'after an overshooting RST moved the window, an old FIN is ignored (gen_0025)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 2494478022, 0, 502, 0, {}, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #4 C S
      [0.023, 'S', 'SA', 696278598, 2494478023, 65535, 0, {}, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #6 S SA
      [0.034, 'C', 'A', 2494478023, 696278599, 502, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #7 C A
      [0.045, 'S', 'RA', 696279599, 2494478023, 65535, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #8 RST in window but not at the expected sequence
      [0.056, 'C', 'PA', 2494478023, 696278599, 502, 1200, {}, 'established', 'ESTABLISHED', 299, []], // #9 C PA +1200B
      [0.068, 'S', 'A', 696278599, 2494479223, 65535, 0, {}, 'established', 'ESTABLISHED', 299, []], // #10 S A
      [0.079, 'S', 'FA', 696278599, 2494479223, 65535, 0, {}, 'established', 'ESTABLISHED', 299, []], // #11 S FA
      [0.090, 'C', 'FA', 2494479223, 696278600, 502, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #12 FIN+ACK (combined)
      [0.101, 'S', 'A', 696278600, 2494479224, 65535, 0, {}, 'established', 'FIN_WAIT', 119, []], // #13 S A
    ],
  },
  {
    title: 'segment far behind the window: accepted without touching the entry (gen_0028)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 540675976, 0, 502, 0, {}, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #1 C S
      [0.011, 'S', 'SA', 618446812, 540675977, 509, 0, {}, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #2 S SA
      [0.023, 'C', 'A', 540675977, 618446813, 502, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #3 C A
      [0.034, 'C', 'PA', 540675977, 618446813, 502, 517, {}, 'established', 'ESTABLISHED', 299, []], // #4 C PA +517B
      [0.045, 'S', 'PA', 618446813, 540676494, 509, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #5 S PA +1448B
      [0.057, 'C', 'A', 540676494, 618448261, 502, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #6 C A
      [0.068, 'C', 'PA', 540676494, 618448261, 502, 12, {}, 'established', 'ESTABLISHED', 299, []], // #7 C PA +12B
      [0.079, 'S', 'A', 618448261, 540676506, 509, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #8 S A
      [0.091, 'C', 'PA', 540476506, 618448261, 502, 200, {}, 'established', 'ESTABLISHED', 431999, []], // #9 segment far before the window (seq -200000)
      [0.102, 'C', 'PA', 540676506, 618448261, 502, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #10 C PA +1448B
      [0.114, 'S', 'PA', 618448261, 540677954, 509, 1, {}, 'established', 'ESTABLISHED', 299, []], // #11 S PA +1B
      [0.125, 'C', 'A', 540677954, 618448262, 502, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #12 C A
      [0.136, 'C', 'FA', 540677954, 618448262, 502, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #13 C FA
      [0.148, 'S', 'A', 618448262, 540677955, 509, 0, {}, 'established', 'CLOSE_WAIT', 59, ['UPDATE CLOSE_WAIT 60']], // #14 S A
      [0.159, 'S', 'FA', 618448262, 540677955, 509, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #15 S FA
      [0.169, 'C', 'A', 540677955, 618448263, 502, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #16 C A
    ],
  },
  {
    title: 'segment far beyond the window: INVALID; changed established and syn_sent timeouts; IPv6 (gen_0014)',
    settings: { tcpTimeoutEstablished: 86400, tcpTimeoutSynSent: 30 },
    family: 6,
    rows: [
      [0.000, 'C', 'S', 3871589591, 0, 29200, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 29, ['NEW SYN_SENT 30']], // #2 C S
      [0.011, 'S', 'SA', 3532309465, 3871589592, 509, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #3 S SA
      [0.022, 'C', 'A', 3871589592, 3532309466, 29200, 0, {}, 'established', 'ESTABLISHED', 86399, ['UPDATE ESTABLISHED 86400']], // #4 C A
      [0.034, 'C', 'PA', 3871589592, 3532309466, 29200, 1400, {}, 'established', 'ESTABLISHED', 299, []], // #5 C PA +1400B
      [0.045, 'S', 'PA', 3532309466, 3871590992, 509, 1200, {}, 'established', 'ESTABLISHED', 299, []], // #6 S PA +1200B
      [0.056, 'C', 'A', 3871590992, 3532310666, 29200, 0, {}, 'established', 'ESTABLISHED', 86399, []], // #7 C A
      [0.067, 'C', 'PA', 3871590992, 3532310666, 29200, 100, {}, 'established', 'ESTABLISHED', 299, []], // #8 C PA +100B
      [0.078, 'S', 'PA', 3532310666, 3871591092, 509, 12, {}, 'established', 'ESTABLISHED', 299, []], // #9 S PA +12B
      [0.089, 'C', 'A', 3871591092, 3532310678, 29200, 0, {}, 'established', 'ESTABLISHED', 86399, []], // #10 C A
      [0.100, 'C', 'PA', 3871591092, 3532310678, 29200, 517, {}, 'established', 'ESTABLISHED', 299, []], // #11 C PA +517B
      [0.111, 'S', 'PA', 3532310678, 3871591609, 509, 517, {}, 'established', 'ESTABLISHED', 299, []], // #12 S PA +517B
      [0.123, 'C', 'A', 3871591609, 3532311195, 29200, 0, {}, 'established', 'ESTABLISHED', 86399, []], // #13 C A
      [0.134, 'C', 'PA', 3872640185, 3532311195, 29200, 200, {}, 'invalid', 'ESTABLISHED', 86399, []], // #14 segment far beyond the window (seq +1048576)
      [0.145, 'C', 'PA', 3871591609, 3532311195, 29200, 12, {}, 'established', 'ESTABLISHED', 299, []], // #15 C PA +12B
      [0.156, 'S', 'PA', 3532311195, 3871591621, 509, 1, {}, 'established', 'ESTABLISHED', 299, []], // #16 S PA +1B
      [0.168, 'C', 'A', 3871591621, 3532311196, 29200, 0, {}, 'established', 'ESTABLISHED', 86399, []], // #17 C A
    ],
  },
  {
    title: 'mid-stream ACK picks the connection up with the unacknowledged timeout (c_synack_invalid)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'A', 777, 888, 8192, 0, {}, 'new', 'ESTABLISHED', 299, ['NEW ESTABLISHED 300']], // #2 mid-stream ACK from client (tcp_loose=1 pickup)
    ],
  },
  {
    title: 'data and RST after the connection was reset: CLOSE, timer kept at 10 s (gen_0012)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 515130314, 0, 65535, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #1 C S
      [0.011, 'S', 'SA', 4121664165, 515130315, 65535, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #2 S SA
      [0.022, 'C', 'A', 515130315, 4121664166, 65535, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #3 C A
      [0.033, 'C', 'PA', 515130315, 4121664166, 65535, 100, {}, 'established', 'ESTABLISHED', 299, []], // #4 C PA +100B
      [0.045, 'S', 'PA', 4121664166, 515130415, 65535, 100, {}, 'established', 'ESTABLISHED', 299, []], // #5 S PA +100B
      [0.056, 'C', 'A', 515130415, 4121664266, 65535, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #6 C A
      [0.067, 'C', 'RA', 515130415, 4121664266, 65535, 0, {}, 'established', 'CLOSE', 9, ['UPDATE CLOSE 10']], // #7 client aborts
      [0.078, 'S', 'PA', 4121664266, 515130415, 65535, 12, {}, 'established', 'CLOSE', 9, []], // #8 server still sending after RST
      [0.090, 'C', 'R', 515130415, 0, 65535, 0, {}, 'established', 'CLOSE', 9, []], // #9 RST for it
    ],
  },
  {
    title: 'SYN on an established connection is ignored, so is the challenge ACK; the RST closes (gen_0006)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 2528769865, 0, 29200, 0, {}, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #11 C S
      [0.011, 'S', 'SA', 2941124681, 2528769866, 28960, 0, {}, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #12 S SA
      [0.023, 'C', 'A', 2528769866, 2941124682, 29200, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #13 C A
      [0.046, 'C', 'PA', 2528769866, 2941124682, 29200, 517, {}, 'established', 'ESTABLISHED', 299, []], // #15 C PA +517B
      [0.069, 'S', 'PA', 2941124682, 2528770383, 28960, 517, {}, 'established', 'ESTABLISHED', 299, []], // #17 S PA +517B
      [0.080, 'C', 'A', 2528770383, 2941125199, 29200, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #18 C A
      [0.091, 'C', 'PA', 2528770383, 2941125199, 29200, 517, {}, 'established', 'ESTABLISHED', 299, []], // #19 C PA +517B
      [0.114, 'S', 'PA', 2941125199, 2528770900, 28960, 12, {}, 'established', 'ESTABLISHED', 299, []], // #21 S PA +12B
      [0.125, 'C', 'A', 2528770900, 2941125211, 29200, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #22 C A
      [0.136, 'C', 'PA', 2528770900, 2941125211, 29200, 1200, {}, 'established', 'ESTABLISHED', 299, []], // #23 C PA +1200B
      [0.158, 'S', 'A', 2941125211, 2528772100, 28960, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #25 S A
      [0.170, 'C', 'S', 2059928684, 0, 29200, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #26 SYN on an established connection (new ISN)
      [0.192, 'S', 'A', 2941125211, 2528772100, 28960, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #28 challenge ACK from the server
      [0.203, 'C', 'R', 2528772100, 0, 29200, 0, {}, 'established', 'CLOSE', 9, ['UPDATE CLOSE 10']], // #29 client resets
    ],
  },
  {
    title: 'close initiated by the client with interleaved traffic (gen_0006)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 3541853932, 0, 65535, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #10 C S
      [0.046, 'S', 'SA', 869165901, 3541853933, 65535, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #14 S SA
      [0.069, 'C', 'A', 3541853933, 869165902, 65535, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #16 C A
      [0.114, 'C', 'FA', 3541853933, 869165902, 65535, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #20 C FA
      [0.159, 'S', 'A', 869165902, 3541853934, 65535, 0, {}, 'established', 'CLOSE_WAIT', 59, ['UPDATE CLOSE_WAIT 60']], // #24 S A
      [0.192, 'S', 'FA', 869165902, 3541853934, 65535, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #27 S FA
      [0.226, 'C', 'A', 3541853934, 869165903, 65535, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #30 C A
    ],
  },
  {
    title: 'retransmitted FIN moves FIN_WAIT to LAST_ACK (gen_0011)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 989677024, 0, 64240, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #10 C S
      [0.012, 'S', 'SA', 1657303402, 989677025, 65160, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #11 S SA
      [0.023, 'C', 'A', 989677025, 1657303403, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #12 C A
      [0.034, 'C', 'PA', 989677025, 1657303403, 64240, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #13 C PA +1448B
      [0.046, 'S', 'PA', 1657303403, 989678473, 65160, 1200, {}, 'established', 'ESTABLISHED', 299, []], // #14 S PA +1200B
      [0.057, 'C', 'A', 989678473, 1657304603, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #15 C A
      [0.069, 'C', 'PA', 989678473, 1657304603, 64240, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #16 C PA +1448B
      [0.080, 'S', 'PA', 1657304603, 989679921, 65160, 1, {}, 'established', 'ESTABLISHED', 299, []], // #17 S PA +1B
      [0.092, 'C', 'A', 989679921, 1657304604, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #18 C A
      [0.103, 'C', 'FA', 989679921, 1657304604, 64240, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #19 FIN
      [0.114, 'C', 'FA', 989679921, 1657304604, 64240, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #20 FIN retransmitted
      [0.125, 'S', 'A', 1657304604, 989679922, 65160, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #21 S A
      [0.136, 'S', 'FA', 1657304604, 989679922, 65160, 0, {}, 'established', 'TIME_WAIT', 119, []], // #22 S FA
      [0.148, 'C', 'A', 989679922, 1657304605, 64240, 0, {}, 'established', 'TIME_WAIT', 119, []], // #23 C A
    ],
  },
  {
    title: 'SYN and SYN/ACK retransmissions (gen_0009)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 976473310, 0, 64240, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #0 SYN
      [0.012, 'C', 'S', 976473310, 0, 64240, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, []], // #1 SYN retransmitted
      [0.023, 'S', 'SA', 2005641292, 976473311, 28960, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #2 S SA
      [0.034, 'S', 'SA', 2005641292, 976473311, 28960, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, []], // #3 SYN-ACK retransmitted
      [0.045, 'C', 'A', 976473311, 2005641293, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #4 C A
      [0.056, 'C', 'PA', 976473311, 2005641293, 64240, 1448, {}, 'established', 'ESTABLISHED', 299, []], // #5 C PA +1448B
      [0.068, 'S', 'PA', 2005641293, 976474759, 28960, 517, {}, 'established', 'ESTABLISHED', 299, []], // #6 S PA +517B
      [0.079, 'C', 'A', 976474759, 2005641810, 64240, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #7 C A
      [0.090, 'C', 'PA', 976474759, 2005641810, 64240, 1, {}, 'established', 'ESTABLISHED', 299, []], // #8 C PA +1B
      [0.101, 'S', 'A', 2005641810, 976474760, 28960, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #9 S A
      [0.112, 'S', 'FA', 2005641810, 976474760, 28960, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #10 S FA
      [0.124, 'C', 'A', 976474760, 2005641811, 64240, 0, {}, 'established', 'CLOSE_WAIT', 59, ['UPDATE CLOSE_WAIT 60']], // #11 C A
      [0.135, 'C', 'FA', 976474760, 2005641811, 64240, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #12 C FA
      [0.147, 'S', 'A', 2005641811, 976474761, 28960, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #13 S A
    ],
  },
  {
    title: 'keepalive probe (seq - 1) (gen_0029)',
    settings: {},
    family: 4,
    rows: [
      [0.000, 'C', 'S', 2439381070, 0, 502, 0, { opts: { sack: true, ts: true } }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #39 C S
      [0.011, 'S', 'SA', 855167681, 2439381071, 65160, 0, { opts: { sack: true, ts: true } }, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #40 S SA
      [0.022, 'C', 'A', 2439381071, 855167682, 502, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #41 C A
      [0.034, 'C', 'A', 2439381070, 855167682, 502, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #42 keepalive probe (seq-1)
      [0.045, 'S', 'A', 855167682, 2439381071, 65160, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #43 S A
      [0.056, 'C', 'FA', 2439381071, 855167682, 502, 0, {}, 'established', 'FIN_WAIT', 119, ['UPDATE FIN_WAIT 120']], // #44 C FA
      [0.067, 'S', 'A', 855167682, 2439381072, 65160, 0, {}, 'established', 'CLOSE_WAIT', 59, ['UPDATE CLOSE_WAIT 60']], // #45 S A
      [0.078, 'S', 'FA', 855167682, 2439381072, 65160, 0, {}, 'established', 'LAST_ACK', 29, ['UPDATE LAST_ACK 30']], // #46 S FA
      [0.090, 'C', 'A', 2439381072, 855167683, 502, 0, {}, 'established', 'TIME_WAIT', 119, ['UPDATE TIME_WAIT 120']], // #47 C A
    ],
  },
  {
    title: 'tcp_loose=0: handshake, data and a retransmitted segment (gen_0033)',
    settings: { tcpLoose: false },
    family: 4,
    rows: [
      [0.000, 'C', 'S', 3177058641, 0, 65535, 0, {}, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']], // #24 C S
      [0.011, 'S', 'SA', 3643413596, 3177058642, 65535, 0, {}, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']], // #25 S SA
      [0.033, 'C', 'A', 3177058642, 3643413597, 65535, 0, {}, 'established', 'ESTABLISHED', 431999, ['UPDATE ESTABLISHED 432000']], // #27 C A
      [0.091, 'C', 'PA', 3177058642, 3643413597, 65535, 12, {}, 'established', 'ESTABLISHED', 299, []], // #32 C PA +12B
      [0.113, 'S', 'A', 3643413597, 3177058654, 65535, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #34 S A
      [0.135, 'C', 'PA', 3177058654, 3643413597, 65535, 12, {}, 'established', 'ESTABLISHED', 299, []], // #36 data
      [0.168, 'C', 'PA', 3177058654, 3643413597, 65535, 12, {}, 'established', 'ESTABLISHED', 299, []], // #39 same segment retransmitted
      [0.179, 'S', 'A', 3643413597, 3177058666, 65535, 0, {}, 'established', 'ESTABLISHED', 431999, []], // #40 S A
    ],
  },];

describe('tcp tracker against kernel recordings', () => {
  for (const rec of RECORDED) it(rec.title, () => replay(rec));

  it('SYN to a closed port of the router: its stack answers RST, which deletes the unreplied entry (gen_0002)', () => {
    replay({
      title: 'gen_0002',
      settings: {},
      family: 4,
      rows: [
        [0.0, 'C', 'S', 3637833262, 0, 64240, 0, {}, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']],
        [0.0, 'S', 'RA', 0, 3637833263, 0, 0, { local: true }, 'established', '', -1, ['DESTROY CLOSE 120']],
        // The retransmitted SYN starts over.
        [0.011, 'C', 'S', 3637833262, 0, 64240, 0, {}, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']],
        [0.011, 'S', 'RA', 0, 3637833263, 0, 0, { local: true }, 'established', '', -1, ['DESTROY CLOSE 120']],
      ],
    });
  });

  it('connection opened by the router, answered, then reset by its own stack: SYN_RECV then CLOSE (gen_0008)', () => {
    replay({
      title: 'gen_0008',
      settings: { checksum: false },
      family: 4,
      rows: [
        [0.0, 'C', 'S', 2877954079, 0, 64240, 0, { local: true }, 'new', 'SYN_SENT', 119, ['NEW SYN_SENT 120']],
        [0.012, 'S', 'SA', 1424255456, 2877954080, 65160, 0, {}, 'established', 'SYN_RECV', 59, ['UPDATE SYN_RECV 60']],
        [0.012, 'C', 'R', 2877954080, 0, 0, 0, { local: true }, 'established', 'CLOSE', 9, ['UPDATE CLOSE 10']],
      ],
    });
  });
});
