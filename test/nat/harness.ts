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
import { Replayer } from '../../src/replay/replay.js';

export const SCENARIOS = fixturesDir(); // test/fixtures/conformance, from test/ or dist-test/test/

export interface NatReplay {
  packets: ActualPacket[];
  conntrack: string[];
  expect: string[];
  host: Host;
}

/** Replays scenario `name` through the library's Replayer (NAT and helpers wired); throws what the engine throws. */
export function replayWithNat(name: string, seed = 1): NatReplay {
  const dir = join(SCENARIOS, name);
  const read = (f: string): string | undefined => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined);
  const r = new Replayer({ host: read('host.json')!, iptables: read('rules.v4'), ip6tables: read('rules.v6'), seed });
  const packets = readAll(new Uint8Array(readFileSync(join(dir, 'capture.pcapng'))), { name: 'capture' }).map((rec): ActualPacket => ({ ...r.feed(rec) }));
  const fin = r.finish();
  return { packets, conntrack: fin.conntrack, expect: fin.expect, host: r.host };
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
