/**
 * The conntrack line parser on the kernel's own lines: every conntrack -L, -L -o extended,
 * /proc/net/nf_conntrack, -L expect, /proc/net/nf_conntrack_expect and -E line recorded in the
 * conformance fixtures parses; fields come out as printed; bad lines name the line and the
 * problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExplainParseError, parseLine, parseText, type ParsedConn, type ParsedExpect } from '../../src/explain/parse.js';
import { FIXTURES } from '../ctcli/support.js';

interface KernelJson {
  conntrack: string[];
  expect: string[];
  packets: { events: string[] }[];
  final: { conntrack_extended?: string[]; proc_nf_conntrack?: string[]; proc_expect?: string[] };
}

/** The fixtures, and the shared corpus (which also has -o extended and /proc dumps) when it is there. */
const CORPORA = [FIXTURES, join(process.cwd(), '..', 'shared', 'conformance', 'scenarios')].filter((d) => existsSync(d));

function kernelLines(dir: string, name: string): Array<[string, string]> {
  const k = JSON.parse(readFileSync(join(dir, name, 'kernel.json'), 'utf8')) as KernelJson;
  const out: Array<[string, string]> = [];
  const add = (kind: string, lines: string[] | undefined): void => lines?.forEach((l) => out.push([kind, l]));
  add('conntrack', k.conntrack);
  add('expect', k.expect);
  add('extended', k.final.conntrack_extended);
  add('proc', k.final.proc_nf_conntrack);
  add('proc-expect', k.final.proc_expect);
  add('event', k.packets.flatMap((p) => p.events));
  return out;
}

function corpusLines(): Array<[string, string]> {
  return CORPORA.flatMap((dir) => readdirSync(dir).filter((n) => !n.endsWith('.json')).flatMap((n) => kernelLines(dir, n)));
}

test('every line the kernel printed in the fixtures parses, as the kind it is', () => {
  const lines = corpusLines();
  assert.ok(lines.length > 1000);
  const seen = new Set<string>();
  const kinds = new Set(lines.map(([kind]) => kind));
  for (const [kind, line] of lines) {
    const e = parseLine(line, 1);
    assert.ok(e !== null, line);
    if (e.kind === 'expect') assert.ok(kind === 'expect' || kind === 'proc-expect' || kind === 'event', line);
    else if (kind === 'proc') assert.equal(e.source, 'proc', line);
    else if (kind === 'extended') assert.equal(e.source, 'extended', line);
    else if (kind === 'event') assert.equal(e.source, 'event', line);
    else assert.equal(e.source, 'conntrack', line);
    seen.add(e.source);
  }
  for (const k of kinds) if (k !== 'expect' && k !== 'proc-expect') assert.ok(seen.has(k), k);
});

test('conntrack -L fields: tuples, counters, flags, mark, helper, use', () => {
  const c = parseLine(
    'tcp      6 299 ESTABLISHED src=10.0.1.100 dst=198.51.100.21 sport=40021 dport=21 packets=6 bytes=286 src=198.51.100.21 dst=203.0.113.1 sport=21 dport=40021 packets=5 bytes=280 [ASSURED] mark=0 helper=ftp use=3',
    7,
  ) as ParsedConn;
  assert.equal(c.line, 7);
  assert.equal(c.proto, 'tcp');
  assert.equal(c.protonum, 6);
  assert.equal(c.timeout, 299);
  assert.equal(c.state, 'ESTABLISHED');
  assert.deepEqual(c.orig, { src: '10.0.1.100', dst: '198.51.100.21', sport: 40021, dport: 21, packets: 6, bytes: 286 });
  assert.deepEqual(c.reply, { src: '198.51.100.21', dst: '203.0.113.1', sport: 21, dport: 40021, packets: 5, bytes: 280 });
  assert.equal(c.assured, true);
  assert.equal(c.unreplied, false);
  assert.equal(c.mark, 0);
  assert.equal(c.helper, 'ftp');
  assert.equal(c.use, 3);
  assert.equal(c.zone, null);
});

test('events, ICMP, /proc IPv6, timestamps and expectations', () => {
  const d = parseLine('[DESTROY] udp      17 src=10.0.1.176 dst=192.0.2.45 sport=57748 dport=51820 packets=1 bytes=29 [UNREPLIED] src=192.0.2.45 dst=10.0.1.176 sport=51820 dport=57748 packets=0 bytes=0', 1) as ParsedConn;
  assert.equal(d.event, 'DESTROY');
  assert.equal(d.timeout, null);
  assert.equal(d.unreplied, true);
  assert.equal(d.mark, null);
  const t = parseLine('[1700000000.250000]\t    [NEW] icmp     1 30 src=10.0.1.100 dst=10.0.2.100 type=8 code=0 id=7 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 type=0 code=0 id=7 id=12345', 1) as ParsedConn;
  assert.equal(t.time, 1700000000.25);
  assert.deepEqual(t.orig, { src: '10.0.1.100', dst: '10.0.2.100', type: 8, code: 0, id: 7 });
  assert.equal(t.id, 12345);
  const p = parseLine(
    'ipv6     10 udp      17 29 src=fd00:0001:0000:0000:0000:0000:0000:0064 dst=fd00:0002:0000:0000:0000:0000:0000:0064 sport=5000 dport=53 [UNREPLIED] src=fd00:0002:0000:0000:0000:0000:0000:0064 dst=fd00:0001:0000:0000:0000:0000:0000:0064 sport=53 dport=5000 mark=0 zone=0 use=2',
    1,
  ) as ParsedConn;
  assert.equal(p.source, 'proc');
  assert.equal(p.family, 6);
  assert.equal(p.zone, 0);
  const x = parseLine('    [NEW] 300 proto=6 src=198.51.100.21 dst=203.0.113.1 sport=0 dport=50000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.100 master-dst=198.51.100.21 sport=40021 dport=21 class=0 helper=ftp', 1) as ParsedExpect;
  assert.equal(x.kind, 'expect');
  assert.equal(x.event, 'NEW');
  assert.equal(x.timeout, 300);
  assert.equal(x.protonum, 6);
  assert.deepEqual(x.master, { src: '10.0.1.100', dst: '198.51.100.21', sport: 40021, dport: 21 });
  assert.equal(x.helper, 'ftp');
  const pe = parseLine('297 l3proto = 2 proto=6 src=198.51.100.21 dst=203.0.113.1 sport=0 dport=50000 ftp', 1) as ParsedExpect;
  assert.equal(pe.source, 'proc-expect');
  assert.equal(pe.helper, 'ftp');
});

test('blank lines and conntrack summaries are skipped; bad lines name the line and what was expected', () => {
  const text = 'tcp      6 119 TIME_WAIT src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80 src=10.0.2.100 dst=10.0.1.100 sport=80 dport=40000 [ASSURED] mark=0 use=1\n\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n';
  assert.equal(parseText(text).length, 1);
  const bad: Array<[string, RegExp]> = [
    ['hello world', /^line 3: expected a protocol name as conntrack prints it .*, got "hello"$/],
    ['tcp 6 119 TIME_WAIT sport=1', /^line 3: expected src=ADDRESS \(the original direction\) .*, got "sport=1"$/],
    ['tcp 6 119 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2', /^line 3: expected src=ADDRESS \(the reply direction\), but the line ends there$/],
    ['tcp 6 119 src=10.0.0.1 dst=nope sport=1 dport=2', /^line 3: dst=nope: expected an IPv4 or IPv6 address$/],
    ['udp 17 1 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 bogus', /^line 3: expected \[ASSURED\], mark=.*, got "bogus"$/],
    ['udp 17 1 src=10.0.0.1 dst=10.0.0.2 sport=x dport=2', /^line 3: sport=x: expected a number$/],
  ];
  for (const [line, re] of bad) {
    assert.throws(() => parseText(`\n\n${line}\n`), (e: unknown) => e instanceof ExplainParseError && re.test(e.message), line);
  }
});
