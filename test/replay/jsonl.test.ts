/**
 * The byte-level --jsonl encoder writes exactly JSON.stringify(PacketResult): on every recorded
 * scenario (two replays side by side, one through feed, one through feedJsonl) and on random
 * results with awkward strings (escapes, control characters, non-ASCII, lone surrogates).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readAll } from '../../src/capture/reader.js';
import { readFileSync } from 'node:fs';
import { Replayer, type ReplayOptions } from '../../src/replay/replay.js';
import { JsonlEncoder } from '../../src/replay/jsonl.js';
import type { HostResult } from '../../src/host/host.js';
import { listScenarioDirs, loadScenario, replayOptions } from '../../scripts/conformance/lib/corpus.js';

const decoder = new TextDecoder();

test('feedJsonl writes the same lines as JSON.stringify(feed()) on every recorded scenario', () => {
  let lines = 0;
  for (const dir of listScenarioDirs()) {
    const sc = loadScenario(dir);
    const packets = readAll(new Uint8Array(readFileSync(sc.capturePath)), { name: dir });
    const opts = replayOptions(sc) as ReplayOptions;
    let a: Replayer;
    try {
      a = new Replayer(opts);
    } catch {
      continue; // a scenario ctkit cannot load (listed in expected-failures.json)
    }
    const b = new Replayer(opts);
    const enc = new JsonlEncoder(16); // tiny: the buffer must grow
    let expected = '';
    for (const p of packets) {
      let line: string;
      try {
        line = `${JSON.stringify(a.feed(p))}\n`;
      } catch (e) {
        // A feature ctkit refuses stops both replays alike.
        assert.throws(() => b.feedJsonl(p, enc), { message: (e as Error).message });
        break;
      }
      expected += line;
      b.feedJsonl(p, enc);
      lines++;
    }
    assert.equal(decoder.decode(enc.take()), expected, dir);
  }
  assert.ok(lines > 1000);
});

const text = fc.string({ unit: 'binary', maxLength: 30 });
const result = fc.record({
  verdict: fc.constantFrom('FORWARDED', 'LOCAL_IN', 'DROPPED', 'SENT') as fc.Arbitrary<HostResult['verdict']>,
  ctstate: fc.option(text),
  ctdir: fc.option(text),
  out: fc.array(fc.record({ iface: text, bytes: fc.uint8Array({ maxLength: 300 }), gen: fc.boolean() }), { maxLength: 3 }),
  rules: fc.array(text, { maxLength: 4 }),
  events: fc.array(text, { maxLength: 3 }),
  dropReason: fc.option(text, { nil: undefined }),
  log: fc.array(text, { maxLength: 2 }),
  trace: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
});

test('the encoder equals JSON.stringify on random results', () => {
  fc.assert(
    fc.property(fc.nat(), fc.option(text), result, fc.integer({ min: 0, max: 7 }), (i, iface, raw, pad) => {
      const r = raw as unknown as HostResult;
      const enc = new JsonlEncoder(64);
      // An odd start position takes the byte-by-byte hex path.
      const padding = 'x'.repeat(pad);
      if (pad) enc.line(0, padding, { ...r, out: [], rules: [], events: [], log: [], trace: undefined } as HostResult);
      enc.line(i, iface, r);
      const got = decoder.decode(enc.take());
      const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      const obj = {
        i,
        iface,
        verdict: r.verdict,
        ctstate: r.ctstate,
        ctdir: r.ctdir,
        out: r.out.map((o) => ({ iface: o.iface, hex: hex(o.bytes), gen: o.gen })),
        rules: r.rules,
        events: r.events,
        ...(r.verdict === 'DROPPED' && r.dropReason ? { why: r.dropReason } : {}),
        ...(r.log.length ? { log: r.log } : {}),
        ...(r.trace ? { trace: r.trace } : {}),
      };
      const first = pad ? got.slice(0, got.indexOf('\n') + 1) : '';
      assert.equal(got.slice(first.length), `${JSON.stringify(obj)}\n`);
    }),
    { numRuns: 500 },
  );
});
