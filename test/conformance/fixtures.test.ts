/**
 * Integrity of the kernel conformance fixtures: every scenario directory is complete, its capture
 * holds exactly the packets kernel.json describes (same count, ingress interface, direction and
 * time), meta.json names the directory, and the nondeterminism masks refer to existing packets.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { readAll } from '../../src/capture/reader.js';
import { listScenarioDirs, loadScenario } from '../../scripts/conformance/lib/corpus.js';

const EPOCH = 1700000000;

for (const dir of listScenarioDirs()) {
  const name = basename(dir);
  test(`fixture ${name} is consistent`, () => {
    for (const f of ['capture.pcapng', 'host.json', 'kernel.json', 'meta.json']) assert.ok(existsSync(join(dir, f)), `${f} missing`);
    assert.ok(['rules.v4', 'rules.v6', 'rules.nft'].some((f) => existsSync(join(dir, f))), 'no ruleset');
    const sc = loadScenario(dir);
    assert.equal(sc.meta.name, name, 'meta.json name differs from the directory');
    const pk = readAll(new Uint8Array(readFileSync(sc.capturePath)), { name: sc.capturePath });
    const kp = sc.kernel.packets;
    assert.equal(pk.length, kp.length, 'capture and kernel.json disagree on the packet count');
    kp.forEach((p, k) => {
      const c = pk[k]!;
      assert.equal(p.i, k, `packet ${k} has i=${p.i}`);
      const local = p.iface === null;
      assert.equal(c.direction, local ? 'out' : 'in', `packet ${k}: direction`);
      if (!local) assert.equal(c.ifName, p.iface, `packet ${k}: ingress interface`);
      if (p.t !== undefined) assert.ok(Math.abs(c.time - EPOCH - p.t) < 2e-6, `packet ${k}: capture time ${c.time - EPOCH} vs t=${p.t}`);
    });
    const nd = sc.meta.nondeterministic ?? {};
    for (const m of nd.out_bytes ?? []) assert.ok(kp[m.i]?.out[m.k], `out_bytes mask for missing packet ${m.i}/${m.k}`);
    for (const f of nd.fields ?? []) assert.ok(kp[f.i], `fields mask for missing packet ${f.i}`);
  });
}
