/**
 * End-to-end replay of a conformance scenario through the nft front end: the scenario's
 * rules.nft loaded by loadNft, its base chains handed to a Host (with the NAT engine), the capture
 * fed packet by packet, and the result in the replay contract's terms for the comparator.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../src/capture/reader.js';
import { hostConfigFromObject } from '../../src/host/config.js';
import { Host } from '../../src/host/host.js';
import { createNat } from '../../src/nat/index.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { loadNft } from '../../src/nft/load.js';
import type { NftRuleset } from '../../src/nft/model.js';
import { toHex } from '../../src/replay/replay.js';
import { fixturesDir } from '../../scripts/conformance/lib/corpus.js';
import type { ActualResult } from '../../src/conformance/types.js';

export const SCENARIOS = fixturesDir();

export interface NftReplay {
  actual: ActualResult;
  ruleset: NftRuleset;
  lastTime: number;
}

/** Replays scenario `name` (a directory of SCENARIOS, or an absolute one) with its rules.nft. */
export function replayNftScenario(dir: string): NftReplay {
  const hostJson = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as object;
  const cfg = hostConfigFromObject(hostJson, join(dir, 'host.json'));
  const ruleset = loadNft(readFileSync(join(dir, 'rules.nft'), 'utf8'), { file: join(dir, 'rules.nft') });
  const host = new Host(cfg, { chains: nftBaseChains(ruleset), seed: 1, nat: createNat });
  const records = readAll(new Uint8Array(readFileSync(join(dir, 'capture.pcapng'))), { name: 'capture' });
  let lastTime = 0;
  const packets = records.map((rec, i) => {
    lastTime = Math.max(lastTime, rec.time);
    const r = rec.direction === 'out' ? host.send(rec.data, rec.linktype, rec.time) : host.receive(rec.data, rec.linktype, rec.ifName!, rec.time);
    return {
      i,
      iface: rec.direction === 'out' ? null : rec.ifName,
      verdict: r.verdict,
      ctstate: r.ctstate,
      ctdir: r.ctdir,
      out: r.out.map((o) => ({ iface: o.iface, hex: toHex(o.bytes), gen: o.gen })),
      rules: r.rules,
      events: r.events,
    };
  });
  return { actual: { packets, conntrack: host.listConntrack(lastTime), expect: [], error: null }, ruleset, lastTime };
}
