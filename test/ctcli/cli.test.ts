/**
 * The files between `ctkit replay --save-table / --events` and `ctkit conntrack --table / --events`:
 * what replay writes, what conntrack reads, and the table written back after -D / -U / -F.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { conntrackCommand } from '../../src/cli/conntrack.js';
import { describeError } from '../../src/cli/errors.js';
import { Output } from '../../src/cli/io.js';
import { replayFile } from '../../src/cli/replay.js';
import { splitInputs } from '../../src/ctcli/inputs.js';
import { FIXTURES, replayScenario, SUMMARY } from './support.js';

function sink(): Output {
  return new Output(new Writable({ write: (_c, _e, cb) => cb() }));
}

async function replayTo(dir: string, name: string): Promise<{ table: string; events: string }> {
  const s = join(FIXTURES, name);
  const table = join(dir, `${name}.json`);
  const events = join(dir, `${name}.events`);
  await replayFile(join(s, 'capture.pcapng'), { host: join(s, 'host.json'), iptables: join(s, 'rules.v4'), seed: '1', quiet: true, saveTable: table, events }, sink());
  return { table, events };
}

test('replay --save-table and --events feed ctkit conntrack; -D writes the table back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctkit-conntrack-'));
  try {
    const f = await replayTo(dir, 'e_icmp');
    const list = conntrackCommand(['--table', f.table, '-L']);
    assert.equal(list.stdout.length, 4);
    assert.deepEqual(list.stderr, [SUMMARY(4)]);
    const del = conntrackCommand([`--table=${f.table}`, '-D', '-p', 'udp']);
    assert.equal(del.stdout.length, 1);
    assert.equal(conntrackCommand(['--table', f.table, '-C']).stdout[0], '3');
    const upd = conntrackCommand(['--table', f.table, '-U', '-f', 'ipv4', '-m', '42']);
    assert.equal(upd.stdout.length, 3);
    assert.equal(conntrackCommand(['--table', f.table, '-L', '-m', '42']).stdout.length, 3);
    conntrackCommand(['--table', f.table, '-F']);
    assert.equal(conntrackCommand(['--table', f.table, '-C']).stdout[0], '0');

    const lines = readFileSync(f.events, 'utf8').trim().split('\n');
    const first = JSON.parse(lines[0]!) as { time: number; line: string };
    assert.equal(first.time, 1700000000);
    assert.equal(first.line, replayScenario('e_icmp').events[0]!.line);
    const ev = conntrackCommand(['--events', f.events, '-E', '-p', 'icmp', '-e', 'NEW']);
    assert.ok(ev.stdout.length > 0 && ev.stdout.every((l) => l.startsWith('    [NEW] icmp ')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the saved table keeps the expectations, the events file the expectation events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctkit-conntrack-'));
  try {
    const f = await replayTo(dir, 'j_ftp_firstline');
    const saved = JSON.parse(readFileSync(f.table, 'utf8')) as { expect: string[] };
    assert.deepEqual(saved.expect, replayScenario('j_ftp_firstline').expect);
    assert.deepEqual(conntrackCommand(['--table', f.table, '-L', 'expect']).stdout, saved.expect);
    const ev = conntrackCommand(['--events', f.events, '-E', 'expect']);
    assert.equal(ev.stdout.length, 1);
    assert.match(ev.stdout[0]!, /^ {4}\[NEW\] 300 proto=6 src=198\.51\.100\.21 /);
    conntrackCommand(['--table', f.table, '-F', 'expect']);
    assert.deepEqual((JSON.parse(readFileSync(f.table, 'utf8')) as { expect: string[] }).expect, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ctkit conntrack: missing inputs and unreadable files are one-line ctkit errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctkit-conntrack-'));
  try {
    const msg = (fn: () => unknown): { message: string; status: number } => {
      try {
        fn();
      } catch (e) {
        return describeError(e);
      }
      throw new Error('no error');
    };
    assert.deepEqual(msg(() => conntrackCommand(['-L'])), { message: 'conntrack -L needs --table FILE (a table saved by ctkit replay --save-table)', status: 2 });
    assert.deepEqual(msg(() => conntrackCommand(['-E'])), { message: 'conntrack -E needs --events FILE (events recorded by ctkit replay --events)', status: 2 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"other"}');
    assert.deepEqual(msg(() => conntrackCommand(['--table', bad, '-L'])), { message: `${bad}: not a conntrack table snapshot (expected format "ctkit-conntrack/1")`, status: 2 });
    writeFileSync(bad, 'nope');
    assert.deepEqual(msg(() => conntrackCommand(['--table', bad, '-L'])), { message: `${bad}: not JSON (expected a table saved by ctkit replay --save-table)`, status: 2 });
    assert.equal(msg(() => conntrackCommand(['--events', bad, '-E'])).message, `${bad}:1: not JSON (expected one event a line, as ctkit replay --events writes)`);
    assert.equal(msg(() => conntrackCommand(['--table', join(dir, 'none.json'), '-L'])).message, `${join(dir, 'none.json')}: no such file or directory`);
    assert.equal(msg(() => conntrackCommand(['--table'])).message, '--table needs a file name');
    const create = ['-I', '-p', 'udp', '-t', '5', '-s', '1.1.1.1', '-d', '1.1.1.2', '--sport', '1', '--dport', '2'];
    assert.equal(msg(() => conntrackCommand(create)).message, 'conntrack -I / -A: ctkit does not create entries by hand; entries come from the packets of a replay');
    // Parameter problems are the tool's own output, not ctkit errors.
    const p = conntrackCommand(['-L', '-x']);
    assert.equal(p.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ctkit options are taken out whole, never as abbreviations', () => {
  assert.deepEqual(splitInputs(['--table', 't', '-L', '--events=e', '--co', '--connlabel', 'l']), { table: 't', events: 'e', connlabel: 'l', rest: ['-L', '--co'] });
  assert.deepEqual(splitInputs(['-L', '--', '--table', 'x']), { rest: ['-L', '--', '--table', 'x'] });
});
