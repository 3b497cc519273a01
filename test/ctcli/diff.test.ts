/**
 * `ctkit diff` on two small rulesets over a recorded TCP connection: the packets whose verdict,
 * sent packets or conntrack events change, the first rule that differs (by rule text, not by its
 * number), the summary, and the exit status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { diffFile, pairSides } from '../../src/cli/diff.js';
import { describeError } from '../../src/cli/errors.js';
import { Output } from '../../src/cli/io.js';
import { firstRuleDifference } from '../../src/ctcli/diff.js';
import { FIXTURES } from './support.js';

const S = join(FIXTURES, 'a_tcp_handshake');

async function diff(before: string, after: string, quiet = false): Promise<{ changed: boolean; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ctkit-diff-'));
  try {
    const a = join(dir, 'old.v4');
    const b = join(dir, 'new.v4');
    writeFileSync(a, before);
    writeFileSync(b, after);
    let text = '';
    const out = new Output(new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }));
    const changed = await diffFile(join(S, 'capture.pcapng'), { host: join(S, 'host.json'), sysctl: [], seed: '1', quiet }, { before: { iptables: a }, after: { iptables: b } }, out);
    return { changed, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const RULES = readFileSync(join(S, 'rules.v4'), 'utf8');

test('the same ruleset twice: no difference, status 0', async () => {
  const r = await diff(RULES, RULES);
  assert.equal(r.changed, false);
  assert.equal(r.text, '10 packets, no difference\n');
});

test('a rule dropping FINs: the two FIN packets change verdict, named by the rule that matched first', async () => {
  const after = RULES.replace('-A FORWARD -m conntrack', '-A FORWARD -p tcp -m tcp --tcp-flags FIN FIN -j DROP\n-A FORWARD -m conntrack');
  const r = await diff(RULES, after);
  assert.equal(r.changed, true);
  const blocks = r.text.trim().split('\n\n');
  assert.equal(blocks.length, 3);
  assert.match(blocks[0]!, /^#6 0\.065\d+ r_srv IP 10\.0\.2\.100\.80 > 10\.0\.1\.100\.40000: Flags \[F\.\]/);
  assert.match(blocks[0]!, /first rule that differs \(#1 in the trace\): before filter FORWARD 1: -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT; after filter FORWARD 1: -A FORWARD -p tcp -m tcp --tcp-flags FIN FIN -j DROP/);
  assert.match(blocks[0]!, /verdict: FORWARDED -> DROPPED/);
  assert.match(blocks[0]!, /sent after:\n {6}\(none\)/);
  assert.match(blocks[0]!, /conntrack events before:\n {6}\[UPDATE\] tcp {6}6 120 FIN_WAIT/);
  assert.match(blocks[1]!, /^#8 /);
  assert.equal(blocks[2], '10 packets, 2 changed: verdict 2, packets sent (NAT, answers) 2, conntrack events 2\n  FORWARDED -> DROPPED: 2');
  // Renumbered rules that still match the same way are no difference.
  assert.ok(!r.text.includes('#7 '));
  const quiet = await diff(RULES, after, true);
  assert.equal(quiet.text, `${blocks[2]}\n`);
});

test('a state rule removed: the conntrack state no longer lets replies through', async () => {
  const after = RULES.replace('-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n', '').replace('RELATED,ESTABLISHED', 'X');
  const r = await diff(RULES, after, true);
  assert.equal(r.changed, true);
  assert.match(r.text, /^10 packets, \d+ changed: verdict \d+/);
  assert.match(r.text, /FORWARDED -> DROPPED: \d+/);
});

test('before / after from the ruleset options', () => {
  assert.deepEqual(pairSides([{ kind: 'iptables', file: 'a' }, { kind: 'iptables', file: 'b' }]), { before: { iptables: 'a' }, after: { iptables: 'b' } });
  assert.deepEqual(pairSides([{ kind: 'iptables', file: 'a' }, { kind: 'nft', file: 'b' }]), { before: { iptables: 'a' }, after: { nft: 'b' } });
  assert.deepEqual(pairSides([{ kind: 'ip6tables', file: '6' }, { kind: 'iptables', file: 'a' }, { kind: 'iptables', file: 'b' }]), {
    before: { ip6tables: '6', iptables: 'a' },
    after: { ip6tables: '6', iptables: 'b' },
  });
  assert.match(describeError(catchError(() => pairSides([{ kind: 'iptables', file: 'a' }]))).message, /^give a ruleset option twice/);
  assert.match(describeError(catchError(() => pairSides(['a', 'b', 'c'].map((file) => ({ kind: 'nft' as const, file }))))).message, /^--nft given 3 times/);
  assert.deepEqual(firstRuleDifference(['filter INPUT 1'], ['filter INPUT 1', 'filter INPUT policy']), { index: 1, old: null, new: 'filter INPUT policy' });
  assert.equal(firstRuleDifference(['a'], ['a']), null);
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('no error');
}
