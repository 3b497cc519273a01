import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostFromIpSnapshot } from '../../src/host/import.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { RoutingTable } from '../../src/host/routing.js';
import { parseIp } from '../../src/packet/addr.js';

// Recorded from a network namespace: veth ctd0 (10.9.0.1/24, fd00:9::1/64), default routes,
// a route in table 100, an unreachable route, fwmark and iif rules.
function fixtureDir(): string {
  // Works from test/ (tsx) and from dist-test/test/ (compiled).
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.replace(/dist-test\/test\/host\/$/, 'test/host/').replace(/test\/host\/$/, 'test/fixtures/host-import/');
}
const read = (f: string) => readFileSync(fixtureDir() + f, 'utf8');

function imported() {
  return hostFromIpSnapshot({
    addr: read('addr.json'),
    routes: [
      { text: read('route.json'), family: 4, file: 'route.json' },
      { text: read('route6.json'), family: 6, file: 'route6.json' },
    ],
    rules: [{ text: read('rule.json'), family: 4, file: 'rule.json' }],
    sysctl: read('sysctl.txt'),
  });
}

test('interfaces, addresses and MACs come from ip -j addr; lo is implied', () => {
  const h = imported().host as { interfaces: Array<{ name: string; addresses: string[]; mac?: string }> };
  const ctd0 = h.interfaces.find((f) => f.name === 'ctd0')!;
  assert.deepEqual(ctd0.addresses.slice(0, 2), ['10.9.0.1/24', 'fd00:9::1/64']);
  assert.match(ctd0.mac!, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  assert.ok(!h.interfaces.some((f) => f.name === 'lo'));
});

test('kernel and local-table routes are left to the model; the rest routes as on the box', () => {
  const cfg = hostConfigFromObject(imported().host);
  assert.equal(cfg.routes.length, 4);
  const rt = new RoutingTable(cfg);
  const look = (d: string, mark = 0) => rt.lookup({ family: d.includes(':') ? 6 : 4, dst: parseIp(d).words, src: null, iif: null, oif: null, mark });
  assert.deepEqual(Array.from(look('8.8.8.8')!.gateway!), Array.from(parseIp('10.9.0.254').words));
  assert.equal(look('198.51.100.9')!.type, 'unreachable');
  assert.deepEqual(Array.from(look('192.0.2.9', 0x1)!.gateway!), Array.from(parseIp('10.9.0.5').words));
  assert.equal(look('2001:db8::1')!.dev, 'ctd0');
  assert.equal(look('10.9.0.1')!.type, 'local');
});

test('sysctls the model knows are kept, the others reported', () => {
  const r = imported();
  const sys = (r.host as { sysctl: Record<string, string> }).sysctl;
  assert.equal(sys['net.ipv4.ip_forward'], '0');
  assert.equal(sys['net.netfilter.nf_conntrack_tcp_loose'], '1');
  assert.ok(r.skipped.length > 100);
});

test('garbage input names the file and what was expected', () => {
  assert.throws(() => hostFromIpSnapshot({ addr: '{"not": "an array"}', files: { addr: 'a.json' } }), /a\.json: \(top level\): expected the JSON array/);
  assert.throws(() => hostFromIpSnapshot({ addr: '[]', sysctl: 'nonsense line', files: { sysctl: 's.txt' } }), /s\.txt: line 1: expected `name = value`/);
});
