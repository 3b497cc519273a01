/**
 * iptables-restore text: line handling, the argument splitting, getopt-style option handling,
 * commands, address expansion, and errors with FILE:LINE:COLUMN naming the option or extension.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RulesetError } from '../../src/rules/errors.js';
import { iptablesSave } from '../../src/format/iptables.js';
import { Ruleset } from '../../src/rules/model.js';
import { loadIptables, parseIptables } from '../../src/rules/parse.js';
import { tokenizeRule } from '../../src/rules/tokenize.js';
import { rules } from './helpers.js';

const F = ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]';

/** The -A lines iptables-save prints for a filter table built from rule lines. */
function saved(lines: string, family: 4 | 6 = 4): string[] {
  const rs = rules(`*filter\n${F}\n${lines}\nCOMMIT\n`, { family });
  return iptablesSave(rs, family, { time: 'T' })
    .split('\n')
    .filter((l) => l.startsWith('-A') || l.startsWith(':'));
}

/** The error a ruleset gives (file test.rules). */
function errorOf(text: string, opts: { family?: 4 | 6 } = {}): RulesetError {
  try {
    parseIptables(text, { file: 'test.rules', ...opts });
  } catch (e) {
    if (e instanceof RulesetError) return e;
    throw e;
  }
  assert.fail('no error');
}

function ruleError(line: string): string {
  return errorOf(`*filter\n${F}\n${line}\nCOMMIT\n`).message;
}

test('arguments split on blanks; double quotes group, backslash escapes inside quotes only', () => {
  const t = tokenizeRule('-A  INPUT -m comment --comment "allow \\"ssh\\" now" -j\tACCEPT');
  assert.deepEqual(
    t.map((x) => x.text),
    ['-A', 'INPUT', '-m', 'comment', '--comment', 'allow "ssh" now', '-j', 'ACCEPT'],
  );
  assert.deepEqual(
    t.map((x) => x.column),
    [1, 5, 11, 14, 22, 32, 52, 55],
  );
  assert.deepEqual(
    tokenizeRule('a\\b "" x"y z"w').map((x) => x.text),
    ['a\\b', '', 'xy z', 'w'],
  );
  assert.deepEqual(
    tokenizeRule('"open quote runs on').map((x) => x.text),
    ['open quote runs on'],
  );
});

test('comments, blank lines, chain lines and counters', () => {
  const rs = parseIptables('# hello\n\n*filter\n:INPUT DROP [5:6]\n:FOO - [0:0]\n[7:8] -A INPUT -j FOO\nCOMMIT\n', { counters: true });
  const input = rs.chain(4, 'filter', 'INPUT')!;
  assert.equal(input.policy, 'DROP');
  assert.deepEqual(input.counters, { packets: 5, bytes: 6 });
  assert.deepEqual(input.rules[0]!.counters, { packets: 7, bytes: 8 });
  const plain = parseIptables('*filter\n:INPUT DROP [5:6]\n[7:8] -A INPUT -j ACCEPT\nCOMMIT\n');
  assert.deepEqual(plain.chain(4, 'filter', 'INPUT')!.counters, { packets: 0, bytes: 0 });
  assert.deepEqual(plain.chain(4, 'filter', 'INPUT')!.rules[0]!.counters, { packets: 0, bytes: 0 });
});

test('-p with a protocol loads its match when one of its options follows', () => {
  assert.deepEqual(saved('-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p 6 --sport 1 -j ACCEPT\n-A INPUT -p UDP --dport 53'), [
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
    '-A INPUT -p tcp -m tcp --sport 1 -j ACCEPT',
    '-A INPUT -p udp -m udp --dport 53',
  ]);
});

test('matches keep their order; the implicit protocol match comes where it was loaded', () => {
  assert.deepEqual(saved('-A INPUT -m addrtype --dst-type LOCAL -p udp --dport 5353 -m comment --comment x').slice(3), [
    '-A INPUT -p udp -m addrtype --dst-type LOCAL -m udp --dport 5353 -m comment --comment x',
  ]);
});

test('long options may be abbreviated and take --opt=value', () => {
  assert.deepEqual(saved('-A INPUT --proto tcp --dpo=22 --jump=ACCEPT\n-A INPUT --src 10.0.0.1 --in-int eth0').slice(3), [
    '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
    '-A INPUT -s 10.0.0.1/32 -i eth0',
  ]);
  assert.equal(ruleError('-A INPUT -p tcp --de 22'), 'test.rules:5:17: option "--de" is ambiguous (--delete, --delete-chain, --destination, --destination-port)');
});

test('negation: ! before the option; the intrapositioned form is refused', () => {
  assert.deepEqual(saved('-A INPUT ! -s 10.0.0.0/8 ! -i eth+ ! -p tcp -j DROP').slice(3), ['-A INPUT ! -s 10.0.0.0/8 ! -i eth+ ! -p tcp -j DROP']);
  assert.equal(ruleError('-A INPUT -s ! 10.0.0.1'), 'test.rules:5:13: Using intrapositioned negation (`-s ! this`) is not supported; write `! -s this`');
  assert.match(ruleError('-A INPUT -p tcp --dport ! 22'), /^test\.rules:5:25: Using intrapositioned negation/);
  assert.equal(ruleError('-A INPUT ! ! -s 1.2.3.4'), 'test.rules:5:12: multiple consecutive ! not allowed');
  assert.equal(ruleError('-A INPUT -j ACCEPT !'), 'test.rules:5:21: nothing appropriate following !');
  assert.equal(ruleError('-A INPUT ! -j ACCEPT'), 'test.rules:5:12: cannot have ! before -j');
  assert.equal(ruleError('-A INPUT -m comment ! --comment x'), 'test.rules:5:23: comment: option "--comment" cannot be inverted.');
});

test('addresses: masks, the lenient dotted form, lists make one rule per pair', () => {
  assert.deepEqual(saved('-A INPUT -s 10.1 -d 192.168.1.77/255.255.255.0\n-A INPUT -s 10.0.0.0/0\n-A INPUT -s 1.2.3.4/255.0.255.0').slice(3), [
    '-A INPUT -s 10.1.0.0/32 -d 192.168.1.0/24',
    '-A INPUT',
    '-A INPUT -s 1.0.3.0/255.0.255.0',
  ]);
  assert.deepEqual(saved('-A INPUT -s 10.0.0.1,10.0.0.2 -d 10.1.0.1,10.1.0.2 -j DROP').slice(3), [
    '-A INPUT -s 10.0.0.1/32 -d 10.1.0.1/32 -j DROP',
    '-A INPUT -s 10.0.0.1/32 -d 10.1.0.2/32 -j DROP',
    '-A INPUT -s 10.0.0.2/32 -d 10.1.0.1/32 -j DROP',
    '-A INPUT -s 10.0.0.2/32 -d 10.1.0.2/32 -j DROP',
  ]);
  assert.equal(ruleError('-A INPUT ! -s 1.1.1.1,2.2.2.2'), 'test.rules:5:1: ! not allowed with multiple source or destination IP addresses');
  assert.equal(ruleError('-A INPUT -s 1.2.3.400'), "test.rules:5:13: host/network `1.2.3.400' not found");
  assert.equal(ruleError('-A INPUT -s 1.2.3.4/33'), "test.rules:5:13: invalid mask `33' specified");
  assert.deepEqual(saved('-A INPUT -s fd00::1/64 -d ::ffff:1.2.3.4', 6).slice(3), ['-A INPUT -s fd00::/64 -d ::ffff:1.2.3.4/128']);
});

test('interfaces: a lone + is no test, ! + never matches (INVAL/D), -o/-i not in input/output chains', () => {
  assert.deepEqual(saved('-A FORWARD -i + -o eth+\n-A FORWARD ! -i +').slice(3), ['-A FORWARD -o eth+', '-A FORWARD -i INVAL/D']);
  assert.equal(ruleError('-A INPUT -o eth0'), 'test.rules:5:1: Can\'t use -o with INPUT');
  assert.equal(ruleError('-A OUTPUT -i eth0'), 'test.rules:5:1: Can\'t use -i with OUTPUT');
  assert.equal(ruleError('-A INPUT -i abcdefghijklmnop'), "test.rules:5:13: interface name `abcdefghijklmnop' must be shorter than IFNAMSIZ (15)");
});

test('-I with and without position, -R, -D by number and by rule, -F, -Z, -N, -X, -E, -P', () => {
  const rs = rules(`*filter
${F}
-A INPUT -s 1.1.1.1
-A INPUT -s 2.2.2.2
-I INPUT -s 0.0.0.1
-I INPUT 3 -s 0.0.0.3
-I INPUT 5 -s 0.0.0.5
-R INPUT 2 -s 9.9.9.9
-D INPUT 1
-D INPUT -s 0.0.0.3/32
-N OLD
-A OLD -j ACCEPT
-A FORWARD -j OLD
-E OLD NEW
-N GONE
-X GONE
-P OUTPUT DROP
-A OUTPUT -j ACCEPT
-F OUTPUT
COMMIT
`);
  const save = iptablesSave(rs, 4, { time: 'T' });
  assert.deepEqual(
    save.split('\n').filter((l) => l.startsWith('-A') || l.startsWith(':')),
    [':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT DROP [0:0]', ':NEW - [0:0]', '-A INPUT -s 9.9.9.9/32', '-A INPUT -s 2.2.2.2/32', '-A INPUT -s 0.0.0.5/32', '-A FORWARD -j NEW', '-A NEW -j ACCEPT'],
  );
});

test('command errors name the chain and position', () => {
  assert.equal(ruleError('-A NOPE -j ACCEPT'), "test.rules:5:4: Chain 'NOPE' does not exist");
  assert.equal(ruleError('-A INPUT -j NOSUCH'), "test.rules:5:13: Chain 'NOSUCH' does not exist");
  assert.equal(ruleError('-A INPUT -j QUEUE'), "test.rules:5:13: target `QUEUE' is not implemented by ctkit");
  assert.equal(ruleError('-I INPUT 5 -j ACCEPT'), 'test.rules:5:4: Index of insertion too big');
  assert.equal(ruleError('-A INPUT -j ACCEPT -j DROP'), 'test.rules:5:20: multiple -j flags not allowed');
  assert.equal(ruleError('-A INPUT -j ACCEPT extra'), "test.rules:5:20: Bad argument `extra'");
  assert.equal(ruleError('-A INPUT -n'), "test.rules:5:1: Illegal option `-n' with this command");
  assert.equal(ruleError('-A INPUT -t nat'), 'test.rules:5:10: The -t option cannot be used in iptables-restore.');
  assert.equal(ruleError('-N LOG'), "test.rules:5:4: chain name `LOG' may not clash with target name");
  assert.equal(ruleError('-N abcdefghijabcdefghijabcdefghi'), "test.rules:5:4: chain name `abcdefghijabcdefghijabcdefghi' too long (must be under 29 chars)");
  assert.equal(ruleError('-P INPUT MAYBE'), "test.rules:5:10: Can't set policy `MAYBE' on `INPUT': Bad policy name");
});

test('unknown options, matches and values are errors at their column', () => {
  assert.equal(ruleError('-A INPUT --foo 1 -j ACCEPT'), 'test.rules:5:10: unknown option "--foo"');
  assert.equal(ruleError('-A INPUT -m nosuch -j ACCEPT'), "test.rules:5:13: Couldn't load match `nosuch':No such file or directory");
  assert.equal(ruleError('-A INPUT -m frag'), "test.rules:5:13: match `frag' is not implemented by ctkit");
  assert.equal(ruleError('-A INPUT -m icmp6'), "test.rules:5:13: Couldn't load match `icmp6': it exists for IPv6 only");
  assert.equal(ruleError('-A INPUT -p tcp --dport 99999'), "test.rules:5:25: invalid port/service `99999' specified");
  assert.equal(ruleError('-A INPUT -p tcpx'), 'test.rules:5:13: unknown protocol "tcpx" specified');
  assert.equal(ruleError('-A INPUT --dport 22'), 'test.rules:5:10: unknown option "--dport"');
  assert.equal(ruleError('-A INPUT -m conntrack --ctstate NEWX'), 'test.rules:5:33: Bad ctstate "NEWX"');
  assert.equal(ruleError('-A INPUT -p tcp --dport 1 --dport 2'), 'test.rules:5:27: tcp: option "--dport" can only be used once.');
  assert.equal(ruleError('-A INPUT -j LOG --log-level 9'), 'test.rules:5:29: log level "9" unknown');
  assert.equal(ruleError('-A INPUT -p tcp --tcp-flags SYN'), 'test.rules:5:17: --tcp-flags requires two args.');
  assert.equal(ruleError('-A INPUT -m tcp --dport 22'), "test.rules:5:13: TCP match requires '-p tcp' (not negated); the kernel refuses it otherwise");
  assert.equal(ruleError('-A INPUT -p udp -m multiport --dports 1,2 --sports 3'), 'test.rules:5:52: multiport: option "--source-ports" cannot be used together with "--destination-ports".');
  assert.equal(ruleError('-A INPUT -m conntrack'), 'test.rules:5:13: conntrack: At least one option is required');
  assert.equal(ruleError('-A INPUT -p tcp --dport'), 'test.rules:5:17: option "--dport" requires an argument');
});

test('the kernel\'s table and hook checks: with the rule\'s line and column', () => {
  assert.match(ruleError('-A INPUT -j DNAT --to-destination 1.2.3.4'), /^test\.rules:5:13: DNAT is only valid in the nat table, not in filter$/);
  const nat = (line: string): string => errorOf(`*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${line}\nCOMMIT\n`).message;
  assert.match(nat('-A INPUT -j DNAT --to-destination 1.2.3.4'), /^test\.rules:6:13: DNAT target is not valid in chain INPUT reached from INPUT \(only PREROUTING, OUTPUT\)/);
  assert.match(nat('-A POSTROUTING -j DROP'), /^test\.rules:6:19: The "nat" table is not intended for filtering/);
  assert.match(nat('-N X\n-A X -j MASQUERADE\n-A PREROUTING -j X'), /^test\.rules:7:9: MASQUERADE target is not valid in chain X reached from PREROUTING \(only POSTROUTING\)/);
  assert.doesNotThrow(() => rules('*nat\n:PREROUTING ACCEPT [0:0]\n-N X\n-A X -j MASQUERADE\nCOMMIT\n'));
  assert.match(ruleError('-A INPUT -j REJECT --reject-with tcp-reset'), /tcp-reset requires '-p tcp'/);
  assert.match(ruleError('-A OUTPUT -m mac --mac-source 00:11:22:33:44:55'), /^test\.rules:5:1: mac match is not valid in chain OUTPUT reached from OUTPUT/);
  assert.match(ruleError('-A INPUT -j CT --notrack'), /CT is only valid in the raw table/);
});

test('jump loops and too deep nesting are refused at COMMIT', () => {
  assert.match(errorOf(`*filter\n${F}\n-N A\n-N B\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n`).message, /^test\.rules:9:9: loop: chain 'A' is reached again from 'B'/);
  const chain = Array.from({ length: 17 }, (_, i) => `-N C${i}`).join('\n');
  const jumps = Array.from({ length: 16 }, (_, i) => `-A C${i} -j C${i + 1}`).join('\n');
  assert.match(errorOf(`*filter\n${F}\n${chain}\n-A INPUT -j C0\n${jumps}\nCOMMIT\n`).message, /nested more than 16 chains deep/);
});

test('file structure errors', () => {
  assert.equal(errorOf('*filter\n:INPUT ACCEPT [0:0]\n').message, 'test.rules:3:1: COMMIT expected');
  assert.equal(errorOf('-A INPUT -j ACCEPT\n').message, 'test.rules:1:1: line outside a table: a "*table" line must come first');
  assert.equal(errorOf('*filter\n*nat\nCOMMIT\n').message, 'test.rules:2:1: COMMIT expected before a new table (*nat)');
  assert.equal(errorOf('*bogus\nCOMMIT\n').message, "test.rules:1:2: table name 'bogus' invalid (raw, mangle, nat, filter or security)");
  assert.equal(errorOf('*filter\r\nCOMMIT\r\n').message.startsWith('test.rules:1:8: carriage return'), true);
  assert.equal(errorOf('*filter\n[1:2 -A INPUT\nCOMMIT\n').message, 'test.rules:2:1: bad counters: need ]');
});

test('-4 / -6 lines are kept or skipped for the family, -f is IPv4 only', () => {
  const text = `*filter\n${F}\n-4 -A INPUT -j ACCEPT\n-6 -A INPUT -j DROP\nCOMMIT\n`;
  assert.equal(rules(text).chain(4, 'filter', 'INPUT')!.rules[0]!.target!.name, 'ACCEPT');
  assert.equal(rules(text, { family: 6 }).chain(6, 'filter', 'INPUT')!.rules[0]!.target!.name, 'DROP');
  assert.equal(errorOf(`*filter\n${F}\n-A INPUT -f\nCOMMIT\n`, { family: 6 }).message, "test.rules:5:10: `-f' is not supported in IPv6, use -m frag instead");
});

test('loading v4 and v6 text into one ruleset keeps both; a table line flushes only its own table', () => {
  const rs = new Ruleset();
  loadIptables(rs, `*filter\n${F}\n-A INPUT -j ACCEPT\nCOMMIT\n`);
  loadIptables(rs, `*filter\n${F}\n-A INPUT -j DROP\nCOMMIT\n`, { family: 6 });
  loadIptables(rs, '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n');
  assert.equal(rs.chain(4, 'filter', 'INPUT')!.rules.length, 1);
  assert.equal(rs.chain(6, 'filter', 'INPUT')!.rules[0]!.target!.name, 'DROP');
  loadIptables(rs, `*filter\n${F}\nCOMMIT\n`);
  assert.equal(rs.chain(4, 'filter', 'INPUT')!.rules.length, 0);
});

test('rules get their trace names at COMMIT', () => {
  const rs = rules(`*filter\n${F}\n-A INPUT -j ACCEPT\n-I INPUT -j DROP\nCOMMIT\n`);
  assert.deepEqual(
    rs.chain(4, 'filter', 'INPUT')!.rules.map((r) => r.trace),
    ['filter INPUT 1', 'filter INPUT 2'],
  );
  assert.equal(rs.chain(4, 'filter', 'INPUT')!.policyTrace, 'filter INPUT policy');
});
