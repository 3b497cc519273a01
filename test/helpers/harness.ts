/**
 * Test support: replays a conformance scenario (test/fixtures/conformance/<name>) through a Host
 * with the NAT engine and the helper engine (HostOptions.helpers: the helper hook, then NAT's
 * sequence adjustment, at the confirm step; expectation events after the packet's conntrack
 * events; expectations reaped before the table when time advances), and compares the result
 * with the kernel's recording.
 *
 * The host reports conntrack events only; the expectation events and the expiry of
 * expectations are the engine's, collected and driven from here as the replay will.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { readAll } from '../../src/capture/reader.js';
import { compareScenario, type ComparisonResult } from '../../src/conformance/compare.js';
import type { ActualPacket, KernelRecording, ScenarioMeta } from '../../src/conformance/types.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { Host } from '../../src/host/host.js';
import { asHelperNat, createHelpers, routeHops, type HelperEngine, type HelperHost } from '../../src/helpers/index.js';
import { createNat } from '../../src/nat/index.js';
import type { BaseChain } from '../../src/netfilter/chain.js';
import { iptablesBaseChains } from '../../src/netfilter/iptables-chains.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { loadNft } from '../../src/nft/load.js';
import { toHex } from '../../src/replay/replay.js';
import { Ruleset } from '../../src/rules/model.js';
import { loadIptables } from '../../src/rules/parse.js';
import { fixturesDir } from '../../scripts/conformance/lib/corpus.js';

export const SCENARIOS = fixturesDir(); // test/fixtures/conformance, from test/ or dist-test/test/

export interface HelperReplay {
  packets: ActualPacket[];
  conntrack: string[];
  expect: string[];
  host: Host;
  helpers: HelperEngine;
}

/** The rulesets of a host: iptables-save texts and / or an nft -f text. */
export interface Rules {
  v4?: string | null;
  v6?: string | null;
  nft?: string | null;
}

/** A host with NAT and helpers, built from HOST.json and rules (the helper engine wired through HostOptions.helpers). */
export function helperHost(hostJson: unknown, rules: Rules, seed = 1, extra: Omit<HelperHost, 'nat'> = {}): { host: Host; helpers: HelperEngine } {
  const cfg = hostConfigFromObject(hostJson as never, 'host.json');
  const chains: BaseChain[] = [];
  if (rules.nft) chains.push(...nftBaseChains(loadNft(rules.nft, { file: 'rules.nft' })));
  if (rules.v4 || rules.v6) {
    const rs = new Ruleset();
    if (rules.v4) loadIptables(rs, rules.v4, { file: 'rules.v4', family: 4, counters: false });
    if (rules.v6) loadIptables(rs, rules.v6, { file: 'rules.v6', family: 6, counters: false });
    chains.push(...iptablesBaseChains(rs));
  }
  const host = new Host(cfg, {
    chains,
    seed,
    nat: createNat,
    helpers: (ct, h, nat) => createHelpers(ct, { route: routeHops(h.routing), ...extra, nat: asHelperNat(nat) }),
  });
  return { host, helpers: host.helpers! };
}

function readOptional(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** Replays scenario `name`; throws what the engine throws. */
export function replayWithHelpers(name: string, seed = 1): HelperReplay {
  const dir = join(SCENARIOS, name);
  const { host, helpers } = helperHost(
    JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')),
    { v4: readOptional(join(dir, 'rules.v4')), v6: readOptional(join(dir, 'rules.v6')), nft: readOptional(join(dir, 'rules.nft')) },
    seed,
  );
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
      events: r.events, // the host appends the expectation events after the connection events
    };
  });
  helpers.expire(last);
  // `conntrack -L expect` lists IPv4 expectations unless given -f.
  return { packets, conntrack: host.listConntrack(last), expect: helpers.listExpect(last, 4), host, helpers };
}

/** Replays and compares scenario `name` with the kernel's answers. */
export function compareWithKernel(name: string): ComparisonResult {
  const dir = join(SCENARIOS, name);
  const kernel = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as KernelRecording;
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ScenarioMeta;
  let actual;
  try {
    const r = replayWithHelpers(name);
    actual = { packets: r.packets, conntrack: r.conntrack, expect: r.expect, error: null };
  } catch (e) {
    actual = { packets: null, conntrack: null, expect: null, error: `replay threw: ${(e as Error).stack ?? String(e)}` };
  }
  return compareScenario(kernel, meta, actual, name);
}
