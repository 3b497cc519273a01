import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostConfig, HostConfigError } from '../../src/host/config.js';
import { RoutingTable } from '../../src/host/routing.js';
import { HostSysctls } from '../../src/host/sysctl.js';
import { parseIp } from '../../src/packet/addr.js';

const HOST = JSON.stringify({
  interfaces: [
    { name: 'r_cli', addresses: ['10.0.1.1/24', 'fd00:1::1/64'] },
    { name: 'r_srv', addresses: ['10.0.2.1/24'] },
    { name: 'r_wan', addresses: ['203.0.113.1/24'] },
  ],
  routes: [
    { to: 'default', via: '203.0.113.254', dev: 'r_wan' },
    { to: '198.51.100.0/24', via: '10.0.2.254' },
    { to: '192.0.2.0/24', type: 'unreachable' },
    { to: 'default', via: '10.0.1.254', table: 100 },
  ],
  rules: [{ priority: 100, fwmark: '0x1/0xff', table: 100 }],
  sysctl: { 'net.ipv4.ip_forward': 1 },
});

function rt() {
  return new RoutingTable(parseHostConfig(HOST, 'host.json'));
}
const a = (s: string) => parseIp(s).words;
const look = (dst: string, mark = 0) => rt().lookup({ family: dst.includes(':') ? 6 : 4, dst: a(dst), src: null, iif: null, oif: null, mark });

test('connected routes follow from the addresses', () => {
  assert.equal(look('10.0.2.77')?.dev, 'r_srv');
  assert.equal(look('10.0.2.77')?.gateway, null);
  assert.equal(look('fd00:1::99')?.dev, 'r_cli');
});

test('longest prefix wins over the default route; gateways resolve their device', () => {
  const r = look('198.51.100.9');
  assert.equal(r?.dev, 'r_srv');
  assert.deepEqual(Array.from(r!.gateway!), Array.from(a('10.0.2.254')));
  assert.equal(look('8.8.8.8')?.dev, 'r_wan');
});

test('local and broadcast addresses come from the local table', () => {
  assert.equal(look('10.0.1.1')?.type, 'local');
  assert.equal(look('10.0.1.255')?.type, 'broadcast');
  const t = rt();
  assert.equal(t.addrType(4, a('10.0.2.1')), 'LOCAL');
  assert.equal(t.addrType(4, a('10.0.2.255')), 'BROADCAST');
  assert.equal(t.addrType(4, a('10.0.2.9')), 'UNICAST');
  assert.equal(t.addrType(4, a('224.0.0.5')), 'MULTICAST');
  assert.equal(t.addrType(4, a('127.0.0.1')), 'LOCAL');
  // inet_dev_addr_type looks in the local table only: an unreachable route is still UNICAST.
  assert.equal(t.addrType(4, a('192.0.2.1')), 'UNICAST');
  assert.equal(t.addrType(4, a('10.0.2.1'), 'r_srv'), 'LOCAL');
  assert.equal(t.addrType(4, a('10.0.2.1'), 'r_cli'), 'UNICAST');
});

test('unreachable routes and policy rules by fwmark', () => {
  assert.equal(look('192.0.2.1')?.type, 'unreachable');
  assert.equal(look('8.8.8.8', 0x101)?.dev, 'r_cli');
  assert.equal(look('8.8.8.8', 0x2)?.dev, 'r_wan');
});

test('no route at all for IPv6 without a default', () => {
  assert.equal(look('2001:db8::1'), null);
});

test('source selection prefers the egress interface address', () => {
  const t = rt();
  const r = t.lookup({ family: 4, dst: a('10.0.1.100'), src: null, iif: null, oif: null, mark: 0 });
  assert.equal(t.sourceFor(4, a('10.0.1.100'), r!.dev, r)[0], a('10.0.1.1')[0]);
});

test('bad host files name the file, the JSON path and what was expected', () => {
  assert.throws(() => parseHostConfig('{"interfaces": [{"name": "x", "addresses": ["10.0.0.1/33"]}]}', 'h.json'), (e: unknown) => {
    assert.ok(e instanceof HostConfigError);
    assert.match(e.message, /^h\.json: interfaces\[0\]\.addresses\[0\]: prefix length must be 0\.\.32/);
    return true;
  });
  assert.throws(() => parseHostConfig('{"interfaces": [], "route": []}', 'h.json'), /h\.json: \(top level\)\.route: unknown field/);
  assert.throws(() => parseHostConfig('{"interfaces": [', 'h.json'), /h\.json: line 1, column \d+: invalid JSON/);
  assert.throws(() => parseHostConfig('{"interfaces": [{"name":"a"}], "routes": [{"to":"default","dev":"b"}]}', 'h.json'), /routes\[0\]\.dev: no interface named "b"/);
});

test('sysctls: per-interface conf resolution and unknown names refused', () => {
  const s = new HostSysctls(['r_cli']);
  assert.equal(s.conf4('r_cli', 'rp_filter'), 0);
  s.set('net.ipv4.conf.all.rp_filter', 2);
  s.set('net.ipv4.conf.r_cli.rp_filter', 1);
  assert.equal(s.conf4('r_cli', 'rp_filter'), 2);
  s.set('net.netfilter.nf_conntrack_tcp_loose', 0);
  assert.equal(s.conntrack.tcpLoose, false);
  assert.throws(() => s.set('net.ipv4.conf.r_cli.bogus', 1), /not modelled/);
  assert.throws(() => s.set('net.ipv4.ip_forward', 'yes'), /expected an integer/);
  s.set('net/ipv4/ip_forward', 1);
  assert.equal(s.ipForward, true);
});
