import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atol, inetAton, parseInetAddr, strtoul, wrap } from '../../src/ctcli/cnum.js';
import { Getopt, type LongOption } from '../../src/ctcli/getopt.js';

const LONG: LongOption[] = [
  { name: 'src', hasArg: 1, code: 's' },
  { name: 'src-nat', hasArg: 2, code: 'n' },
  { name: 'sport', hasArg: 1, code: '1' },
  { name: 'orig-port-src', hasArg: 1, code: '1' },
  { name: 'orig-port-dst', hasArg: 1, code: '2' },
  { name: 'status', hasArg: 1, code: 'u' },
  { name: 'stats', hasArg: 0, code: 'S' },
];

function scan(argv: string[], optstring = ':L::s:zSn::'): string[] {
  const g = new Getopt(argv, optstring, LONG);
  const out: string[] = [];
  for (let o = g.next(); o !== null; o = g.next()) out.push(`${o.code}=${o.arg ?? '-'}@${o.culprit}`);
  return out;
}

test('getopt_long: exact names win, unambiguous prefixes match, ambiguous ones are unknown', () => {
  assert.deepEqual(scan(['--src', '1.2.3.4']), ['s=1.2.3.4@1.2.3.4']);
  assert.deepEqual(scan(['--sp', '80']), ['1=80@80']);
  assert.deepEqual(scan(['--orig-port-s', '80']), ['1=80@80']);
  assert.deepEqual(scan(['--orig-port-', '80']), ['?=-@--orig-port-']);
  assert.deepEqual(scan(['--stat']), ['?=-@--stat']);
  assert.deepEqual(scan(['--s', 'x']), ['?=-@--s']);
  assert.deepEqual(scan(['--sport=80']), ['1=80@--sport=80']);
  assert.deepEqual(scan(['--stats=1']), ['?=-@--stats=1']);
});

test('getopt_long: required values take the next word, optional ones only an attached value', () => {
  assert.deepEqual(scan(['-s', '-z']), ['s=-z@-z']);
  assert.deepEqual(scan(['-s']), [':=-@-s']);
  assert.deepEqual(scan(['--src']), [':=-@--src']);
  assert.deepEqual(scan(['-Lexpect']), ['L=expect@-Lexpect']);
  assert.deepEqual(scan(['-L', 'expect']), ['L=-@-L']);
  assert.deepEqual(scan(['--src-nat', '1.2.3.4']), ['n=-@--src-nat']);
  assert.deepEqual(scan(['--src-nat=1.2.3.4']), ['n=1.2.3.4@--src-nat=1.2.3.4']);
});

test('getopt: grouped short options and the word conntrack names for a bad one', () => {
  assert.deepEqual(scan(['-zS']), ['z=-@conntrack', 'S=-@-zS']);
  // glibc has not moved past "-xz" when it meets 'x': conntrack names the previous word.
  assert.deepEqual(scan(['-L', '-xz']), ['L=-@-L', '?=-@-L', 'z=-@-xz']);
  assert.deepEqual(scan(['-zx']), ['z=-@conntrack', '?=-@-zx']);
});

test('getopt: words that are not options are skipped, or taken as an optional operand', () => {
  const g = new Getopt(['-L', 'expect', 'stray', '-z', '--', '-S'], ':L::zS', []);
  const l = g.next()!;
  assert.equal(l.code, 'L');
  assert.equal(g.optionalOperand(l), 'expect');
  assert.equal(g.next()!.code, 'z');
  assert.equal(g.next(), null);
  const h = new Getopt(['-L', '-z'], ':L::z', []);
  assert.equal(h.optionalOperand(h.next()!), null);
});

test('C number parsing: atol, strtoul base 0, wrap to the field width', () => {
  assert.equal(atol('80x'), 80n);
  assert.equal(atol('  -5'), -5n);
  assert.equal(atol('abc'), 0n);
  assert.equal(wrap(atol('65536'), 16), 0);
  assert.equal(wrap(atol('-1'), 16), 65535);
  assert.deepEqual(strtoul('0x10/0x30'), { value: 16n, end: 4 });
  assert.deepEqual(strtoul('010'), { value: 8n, end: 3 });
  assert.deepEqual(strtoul('x'), { value: 0n, end: 0 });
  assert.equal(wrap(strtoul('-1').value, 32), 0xffffffff);
});

test('inet_aton accepts the short and based forms conntrack accepts', () => {
  assert.equal(inetAton('10.0.0.1'), 0x0a000001);
  assert.equal(inetAton('1.2.3'), 0x01020003);
  assert.equal(inetAton('10'), 10);
  assert.equal(inetAton('0x0a.0.0.1'), 0x0a000001);
  assert.equal(inetAton('1.2.3.4.5'), null);
  assert.equal(inetAton('256.1.1.1'), null);
  assert.equal(inetAton('foo'), null);
  assert.equal(inetAton(''), null);
  assert.deepEqual(parseInetAddr('fd00::1'), { family: 6, words: [0xfd000000, 0, 0, 1] });
  assert.equal(parseInetAddr('fd00::g'), null);
});
