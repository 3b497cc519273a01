import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureError, readAll } from '../../src/capture/index.js';
import { dumpFile, epochString, timeOfDay } from '../../src/cli/dump.js';
import { CliError, describeError, EXIT_INTERNAL, EXIT_USAGE } from '../../src/cli/errors.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';
import { PacketView } from '../../src/packet/view.js';
import { FIXTURES } from '../capture/support.js';

class Collect {
  text = '';
  write(t: string): void {
    this.text += t;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l) => l.length > 0);
  }
}

const tshark = JSON.parse(readFileSync(join(FIXTURES, 'tshark.json'), 'utf8')) as {
  files: Record<string, { packets: { epoch: string | null; caplen: number; len: number }[] }>;
};

test('dump prints time of day (UTC, ns), interface, and the one-line decode of every packet', async () => {
  const file = join(FIXTURES, 'dpkt', 'http.pcap');
  const out = new Collect();
  const n = await dumpFile(file, {}, out);
  const packets = readAll(new Uint8Array(readFileSync(file)));
  assert.equal(n, packets.length);
  assert.equal(out.lines.length, packets.length);
  const view = new PacketView();
  packets.forEach((p, i) => {
    assert.equal(out.lines[i], `${timeOfDay(p.tsSec, p.tsNsec)} 0 ${summarize(decodeFrame(view, p.data, p.linktype))}`);
  });
  assert.match(out.lines[0]!, /^10:17:07\.311224000 0 IP 145\.254\.160\.237\.3372 > 65\.208\.228\.223\.80: Flags \[S\]/);
});

test('dump --jsonl: one object per packet, ts exact as tshark prints it, interface names', async () => {
  for (const rel of ['dpkt/http.pcap', 'gopacket/be/test102.pcapng', 'crafted/pcapng-mixed-sections.pcapng']) {
    const out = new Collect();
    await dumpFile(join(FIXTURES, rel), { jsonl: true }, out);
    const objs = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const want = tshark.files[rel]!.packets.filter((p) => (p as { customBlock?: boolean }).customBlock !== true);
    assert.equal(objs.length, want.length, rel);
    objs.forEach((o, i) => {
      assert.deepEqual(Object.keys(o), ['i', 'ts', 'iface', 'linktype', 'caplen', 'len', 'summary']);
      assert.equal(o['i'], i + 1);
      assert.equal(o['ts'], want[i]!.epoch);
      assert.equal(o['caplen'], want[i]!.caplen);
      assert.equal(o['len'], want[i]!.len);
      assert.equal(typeof o['summary'], 'string');
    });
  }
  const out = new Collect();
  await dumpFile(join(FIXTURES, 'crafted/pcapng-mixed-sections.pcapng'), { jsonl: true }, out);
  assert.deepEqual(
    out.lines.map((l) => (JSON.parse(l) as { iface: unknown }).iface),
    ['eth0', 'eth0', 'tun0', 'eth0', 'wan', 'wan', 1, 'wan'],
  );
});

test('dump of a damaged capture prints the packets before the damage, then fails with the CaptureError', async () => {
  const out = new Collect();
  await assert.rejects(dumpFile(join(FIXTURES, 'crafted/broken-pcapng-cut-in-epb.pcapng'), {}, out), (e: unknown) => {
    assert.ok(e instanceof CaptureError);
    assert.equal(e.kind, 'truncated');
    return true;
  });
  assert.equal(out.lines.length, 1);
});

test('time and epoch formatting is exact, also for times before 1970', () => {
  assert.equal(timeOfDay(1_700_000_000, 5), '22:13:20.000000005');
  assert.equal(timeOfDay(-1, 999_999_999), '23:59:59.999999999');
  assert.equal(epochString(1_700_000_000, 123_456_789), '1700000000.123456789');
  assert.equal(epochString(-1, 500_000_000), '-0.500000000');
  assert.equal(epochString(-2, 0), '-2.000000000');
  assert.equal(epochString(0, 1), '0.000000001');
});

test('errors: typed ones are one line with status 2, anything else an internal error with status 70', () => {
  const missing = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: 'x.pcap' });
  assert.deepEqual(describeError(missing), { message: 'x.pcap: no such file or directory', status: EXIT_USAGE });
  assert.deepEqual(describeError(new CliError('bad option')), { message: 'bad option', status: EXIT_USAGE });
  const ce = new CaptureError('malformed', 'c.pcap', 10, 'b', 'pcap record 1', 'oops');
  assert.deepEqual(describeError(ce), { message: 'c.pcap: byte 10: pcap record 1: oops', status: EXIT_USAGE });
  assert.deepEqual(describeError(new TypeError('x is undefined')), { message: 'internal error: TypeError: x is undefined', status: EXIT_INTERNAL });
});

/** Runs the CLI as a user would: the compiled main.js, or main.ts through tsx when tests run from source. */
function ctkit(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const main = fileURLToPath(new URL(`../../src/cli/main${ext}`, import.meta.url));
  const node = ext === '.ts' ? ['--import', 'tsx', main] : [main];
  const r = spawnSync(process.execPath, [...node, ...args], { encoding: 'utf8', env: { ...process.env, CTKIT_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the ctkit binary: dump output, exactly one error line and status 2 on failures', () => {
  const ok = ctkit('dump', '--jsonl', join(FIXTURES, 'dpkt', 'dns_icmp.pcap'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  assert.equal(ok.stdout.trim().split('\n').length, tshark.files['dpkt/dns_icmp.pcap']!.packets.length);

  for (const [args, message] of [
    [['dump', '/nonexistent/x.pcap'], 'ctkit: /nonexistent/x.pcap: no such file or directory\n'],
    [['dump', join(FIXTURES, 'crafted', 'broken-pcap-huge-caplen.pcap')], /^ctkit: .*broken-pcap-huge-caplen\.pcap: byte 32: pcap record 1: captured length 300000 is larger than the maximum 262144\n$/],
    [['dump'], "ctkit: missing required argument 'capture'\n"],
    [['dump', '--bogus', 'x'], "ctkit: unknown option '--bogus'\n"],
  ] as [string[], string | RegExp][]) {
    const r = ctkit(...args);
    assert.equal(r.status, 2, args.join(' '));
    if (typeof message === 'string') assert.equal(r.stderr, message);
    else assert.match(r.stderr, message);
  }
  const v = ctkit('--version');
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});
