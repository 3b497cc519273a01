/**
 * The helper engine around the helpers: which packets a helper sees (not ICMP errors in the
 * reply direction, not connections without a helper), the refusal of a connection whose helper
 * does not exist, the broadcast mask derived from a host's interfaces, and the NAT adapter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Conn } from '../../src/conntrack/conn.js';
import { asHelperNat, subnetBroadcastMask } from '../../src/helpers/index.js';
import { CtStateBit, type PacketContext } from '../../src/netfilter/context.js';
import { decodeIp } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/view.js';
import { parseIp } from '../../src/packet/addr.js';
import { Router, seg } from './support.js';

function ctx(conn: Conn | null, state: number, dir: 0 | 1): PacketContext {
  const pkt = decodeIp(new PacketView(), seg('10.0.1.100', 40000, '10.0.2.100', 21, 1, 1, 'PA', 'POR'));
  return { pkt, family: 4, hook: 4, iif: 'r_cli', oif: 'r_srv', mark: 0, now: 1700000000, ct: conn, ctState: state, ctDir: dir, notrack: false, ctHelper: null, ctZone: 0, log: [] };
}

test('the hook lets through packets without a connection or helper, and ICMP errors in the reply direction', () => {
  const r = new Router('-p tcp --dport 21 -j CT --helper ftp');
  r.recv('r_cli', seg('10.0.1.100', 40000, '10.0.2.100', 21, 1000, 0, 'S'), 0);
  const conn = r.host.conntrack.get({ family: 4, proto: 6, src: parseIp('10.0.1.100').words, dst: parseIp('10.0.2.100').words, sport: 40000, dport: 21 })!;
  assert.equal(conn.helperName, 'ftp');
  const hook = r.helpers.confirmHook;
  assert.equal(hook(ctx(null, CtStateBit.UNTRACKED, 0)), true);
  assert.equal(hook(ctx(conn, CtStateBit.RELATED, 1)), true, 'an ICMP error towards the client is not shown to the helper');
  // the same prefix-of-PORT segment on the established connection is a partial match: dropped
  assert.equal(hook(ctx(conn, CtStateBit.RELATED, 0)), true, 'RELATED in the original direction: seen, but ftp only reads established packets');
  conn.helperName = 'nosuch';
  assert.throws(() => hook(ctx(conn, CtStateBit.ESTABLISHED, 0)), /conntrack helper "nosuch" does not exist/);
  conn.helperName = 'irc';
  assert.equal(hook(ctx(conn, CtStateBit.ESTABLISHED, 1)), true);
});

test('broadcast masks from interfaces: primary addresses only, no /31 or /32', () => {
  const mask = subnetBroadcastMask([
    {
      name: 'eth0',
      addresses: [
        { family: 4, addr: parseIp('10.0.1.1').words, prefixLen: 24 },
        { family: 4, addr: parseIp('10.0.1.2').words, prefixLen: 24 },
        { family: 4, addr: parseIp('192.168.7.1').words, prefixLen: 31 },
        { family: 6, addr: parseIp('fd00::1').words, prefixLen: 64 },
      ],
    },
  ]);
  assert.equal(mask('eth0', parseIp('10.0.1.255').words[0]!), 0xffffff00);
  assert.equal(mask('eth0', parseIp('10.0.1.1').words[0]!), 0);
  assert.equal(mask('eth0', parseIp('192.168.7.1').words[0]!), 0);
  assert.equal(mask('eth1', parseIp('10.0.1.255').words[0]!), 0);
});

test('the NAT adapter refuses an engine without the helper-facing methods', () => {
  assert.equal(asHelperNat(null), null);
  assert.throws(() => asHelperNat({ apply() {} }), /followMaster/);
  const ok = { followMaster() {}, setupInfo: () => true };
  assert.equal(asHelperNat(ok), ok);
});
