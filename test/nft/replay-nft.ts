/**
 * End-to-end replay of a conformance scenario through the nft front end: the scenario's rules.nft
 * through the library's Replayer (nft base chains, NAT, helpers), and the result in the replay
 * contract's terms for the comparator, with the loaded ruleset for listing checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../src/capture/reader.js';
import type { NftRuleset } from '../../src/nft/model.js';
import { Replayer } from '../../src/replay/replay.js';
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
  const r = new Replayer({
    host: readFileSync(join(dir, 'host.json'), 'utf8'),
    nft: readFileSync(join(dir, 'rules.nft'), 'utf8'),
    files: { host: join(dir, 'host.json'), nft: join(dir, 'rules.nft') },
    seed: 1,
  });
  let lastTime = 0;
  const packets = readAll(new Uint8Array(readFileSync(join(dir, 'capture.pcapng'))), { name: 'capture' }).map((rec) => {
    lastTime = Math.max(lastTime, rec.time);
    return r.feed(rec);
  });
  const fin = r.finish();
  return { actual: { packets: packets.map((p) => ({ ...p })), conntrack: fin.conntrack, expect: fin.expect, error: null }, ruleset: r.nft!, lastTime };
}
