/**
 * The conntrack core against the kernel's recordings: scenarios whose traffic involves neither
 * NAT nor helpers are replayed through the table alone (see corpus.ts); every packet's state,
 * direction and `conntrack -E` lines must be the kernel's, byte for byte, and so must the final
 * `conntrack -L` table (the -o extended and /proc forms are checked in test/format).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConntrack } from '../../src/format/conntrack.js';
import { loadKernel, replayCore } from './corpus.js';

const SCENARIOS = ['d_udp_dns', 'e_icmp', 'a_tcp_handshake', 'b_unsolicited_syn', 'h_sysctl_variants'];

for (const name of SCENARIOS) {
  test(`${name}: per-packet state, direction and events are the kernel's`, () => {
    const kernel = loadKernel(name);
    const { packets } = replayCore(name);
    assert.equal(packets.length, kernel.packets.length);
    packets.forEach((p, i) => {
      const k = kernel.packets[i]!;
      assert.equal(p.ctstate, k.ctstate, `packet ${i} ctstate`);
      assert.equal(p.ctdir, k.ctdir, `packet ${i} ctdir`);
      assert.deepEqual([...p.events].sort(), [...k.events].sort(), `packet ${i} events`);
    });
  });

  test(`${name}: the final table as conntrack -L prints it`, () => {
    const kernel = loadKernel(name);
    const { table, t0 } = replayCore(name);
    const now = t0 + kernel.final.t;
    assert.deepEqual([...table].map((c) => formatConntrack(c, now)).sort(), [...kernel.conntrack].sort());
  });
}

test('results do not depend on the hash seed', () => {
  for (const name of ['e_icmp', 'a_tcp_handshake']) {
    const runs = [1, 12345, 2 ** 40 + 3].map((seed) => {
      const { packets, table, t0 } = replayCore(name, seed);
      return { packets, listing: [...table].map((c) => formatConntrack(c, t0 + 1)) };
    });
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
  }
});
