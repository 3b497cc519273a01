/**
 * Test support: replays a conformance scenario (a directory of test/fixtures/conformance) through
 * a Host built with the NAT engine (the lead's src/replay/replay.ts builds its Host without one),
 * and compares the result with the kernel's recording.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { readAll } from '../../src/capture/reader.js';
import { compareScenario, type ComparisonResult } from '../../src/conformance/compare.js';
import type { ActualPacket, KernelRecording, ScenarioMeta } from '../../src/conformance/types.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { Host } from '../../src/host/host.js';
import { iptablesBaseChains } from '../../src/netfilter/iptables-chains.js';
import { Ruleset } from '../../src/rules/model.js';
import { loadIptables } from '../../src/rules/parse.js';
import { toHex } from '../../src/replay/replay.js';
import { createNat } from '../../src/nat/index.js';
import { fixturesDir } from '../../scripts/conformance/lib/corpus.js';

export const SCENARIOS = fixturesDir(); // test/fixtures/conformance, from test/ or dist-test/test/

export interface NatReplay {
  packets: ActualPacket[];
  conntrack: string[];
  expect: string[];
  host: Host;
}

/** Replays scenario `name` with NAT; throws what the engine throws. */
export function replayWithNat(name: string, seed = 1): NatReplay {
  const dir = join(SCENARIOS, name);
  const cfg = hostConfigFromObject(JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')), 'host.json');
  const rs = new Ruleset();
  const v4 = join(dir, 'rules.v4');
  const v6 = join(dir, 'rules.v6');
  if (existsSync(v4)) loadIptables(rs, readFileSync(v4, 'utf8'), { file: 'rules.v4', family: 4, counters: false });
  if (existsSync(v6)) loadIptables(rs, readFileSync(v6, 'utf8'), { file: 'rules.v6', family: 6, counters: false });
  const host = new Host(cfg, { chains: iptablesBaseChains(rs), seed, nat: createNat });
  const recs = readAll(new Uint8Array(readFileSync(join(dir, 'capture.pcapng'))), { name: 'capture' });
  let last = 0;
  const packets = recs.map((rec, i): ActualPacket => {
    last = Math.max(last, rec.time);
    const r = rec.direction === 'out' ? host.send(rec.data, rec.linktype, rec.time) : host.receive(rec.data, rec.linktype, rec.ifName!, rec.time);
    return {
      i,
      iface: rec.direction === 'out' ? null : rec.ifName!,
      verdict: r.verdict,
      ctstate: r.ctstate,
      ctdir: r.ctdir,
      out: r.out.map((o) => ({ iface: o.iface, hex: toHex(o.bytes), gen: o.gen })),
      rules: r.rules,
      events: r.events,
    };
  });
  return { packets, conntrack: host.listConntrack(last), expect: [], host };
}

/** Replays and compares scenario `name` with the kernel's answers. */
export function compareWithKernel(name: string): ComparisonResult {
  const dir = join(SCENARIOS, name);
  const kernel = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as KernelRecording;
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ScenarioMeta;
  let actual;
  try {
    const r = replayWithNat(name);
    actual = { packets: r.packets, conntrack: r.conntrack, expect: r.expect, error: null };
  } catch (e) {
    actual = { packets: null, conntrack: null, expect: null, error: `replay threw: ${(e as Error).stack ?? String(e)}` };
  }
  return compareScenario(kernel, meta, actual, name);
}
