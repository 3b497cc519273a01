/**
 * `conntrack` over tables built by replaying kernel-recorded scenarios. Expected lines come from
 * the kernel's own `conntrack -L` of the scenario where ctkit's replay agrees with it, and the
 * messages and exit statuses from conntrack 1.4.7 run against Linux 6.18 in a network namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ct, labels, replayScenario, SUMMARY, withoutUse } from './support.js';

const TRY = "Try `conntrack -h' or 'conntrack --help' for more information.";
const P = 'conntrack v1.4.7 (conntrack-tools): ';

function kernelLines(name: string, pred: (l: string) => boolean = () => true): string[] {
  return replayScenario(name).kernel.conntrack.filter(pred).map(withoutUse).sort();
}

function shown(lines: string[]): string[] {
  return lines.map(withoutUse).sort();
}

test('-L lists every entry as the kernel does, with the count on stderr and status 0', () => {
  const r = ct('e_icmp', ['-L']);
  assert.deepEqual(shown(r.stdout), kernelLines('e_icmp'));
  assert.deepEqual(r.stderr, [SUMMARY(4)]);
  assert.equal(r.status, 0);
  assert.equal(r.changed, false);
  const none = ct('e_icmp', ['-L', '-p', 'tcp']);
  assert.deepEqual(none.stdout, []);
  assert.deepEqual(none.stderr, [SUMMARY(0)]);
  assert.equal(none.status, 0);
});

test('-L filters: protocol, ports, ICMP fields, addresses and networks, family', () => {
  const cases: Array<[string[], (l: string) => boolean]> = [
    [['-p', 'icmp'], (l) => l.startsWith('icmp')],
    [['--protonum', '17', '--dport', '9999'], (l) => l.includes('dport=9999')],
    [['-p', 'icmp', '--icmp-id', '99'], (l) => l.includes('id=99')],
    [['-p', 'icmp', '--icmp-type', '8', '--icmp-code', '0'], (l) => l.startsWith('icmp')],
    [['-p', 'icmp', '--icmp-type', '0'], () => false],
    [['-s', '10.0.1.100'], (l) => l.includes('src=10.0.1.100 dst=')],
    [['--orig-dst', '10.0.1.1'], (l) => l.includes('dst=10.0.1.1 ')],
    [['-r', '10.0.2.100', '-q', '10.0.1.100'], (l) => /src=10\.0\.2\.100 dst=10\.0\.1\.100 (type|sport)/.test(l)],
    [['-s', '10.0.1.0/24'], (l) => l.startsWith('icmp     1 29 src=10.0.1.') || l.includes('src=10.0.1.100 dst=10.0.2.100 sport')],
    [['-d', '10.0.2.0', '--mask-dst', '255.255.255.0'], (l) => / src=\S+ dst=10\.0\.2\./.test(l)],
    [['-s', '10.0.1.100/32'], (l) => l.includes('src=10.0.1.100 dst=')],
    [['-f', 'ipv6'], () => false],
    [['-f', 'ipv4'], () => true],
  ];
  for (const [args, pred] of cases) {
    const r = ct('e_icmp', ['-L', ...args]);
    const want = kernelLines('e_icmp', pred);
    assert.deepEqual(shown(r.stdout), want, args.join(' '));
    assert.deepEqual(r.stderr, [SUMMARY(want.length)], args.join(' '));
  }
});

test('-L --status: ASSURED, SEEN_REPLY, UNREPLIED and negations, as the kernel dump filter applies them', () => {
  const k = (pred: (l: string) => boolean): string[] => kernelLines('gen_0002', pred);
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-u', 'ASSURED']).stdout), k((l) => l.includes('[ASSURED]')));
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-u', '!ASSURED']).stdout), k((l) => !l.includes('[ASSURED]')));
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-u', 'UNREPLIED']).stdout), k((l) => l.includes('[UNREPLIED]')));
  assert.deepEqual(shown(ct('gen_0002', ['-L', '--status', 'SEEN_REPLY']).stdout), k((l) => !l.includes('[UNREPLIED]')));
  // Prefixes are accepted ("SEEN" is SEEN_REPLY); ASSURED with UNREPLIED can never hold (mask SEEN_REPLY, value ASSURED).
  assert.equal(ct('gen_0002', ['-L', '-u', 'SEEN']).stdout.length, k((l) => !l.includes('[UNREPLIED]')).length);
  assert.deepEqual(ct('gen_0002', ['-L', '-u', 'ASSURED,UNREPLIED']).stdout, []);
  // "S" is taken for SRC_NAT first: a warning, a status filter of nothing, which the kernel refuses.
  const s = ct('gen_0002', ['-L', '-u', 'S']);
  assert.deepEqual(s.stderr, ['WARNING: ignoring SRC_NAT, use --src-nat instead', `${P}Operation failed: invalid parameters`]);
  assert.equal(s.status, 1);
});

test('-L --mark with and without a mask, and the status slip that overwrites it', () => {
  const all = kernelLines('gen_0002');
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-m', '1']).stdout), all);
  assert.deepEqual(ct('gen_0002', ['-L', '-m', '0']).stdout, []);
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-m', '0x0/0x2']).stdout), all);
  assert.deepEqual(ct('gen_0002', ['-L', '-m', '2/2']).stdout, []);
  const m2 = kernelLines('gen_0046', (l) => l.includes('mark=2'));
  assert.deepEqual(shown(ct('gen_0046', ['-L', '--mark', '2']).stdout), m2);
  // conntrack 1.4.7 copies -u's value into the mark filter: "-m 1 -u SEEN_REPLY" matches nothing, the reverse order works.
  assert.deepEqual(ct('gen_0002', ['-L', '-m', '1', '-u', 'SEEN_REPLY']).stdout, []);
  assert.ok(ct('gen_0002', ['-L', '-u', 'SEEN_REPLY', '-m', '1']).stdout.length > 0);
});

test('-L NAT filters: --src-nat, --dst-nat, --any-nat, with an address and port', () => {
  const snat = kernelLines('gen_0002', (l) => l.includes('dst=203.0.113.1 ') && !l.includes(' dst=203.0.113.1 sport=5060'));
  assert.equal(snat.length, 2);
  assert.deepEqual(shown(ct('gen_0002', ['-L', '--src-nat']).stdout), snat);
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-n', '203.0.113.1']).stdout), snat);
  assert.deepEqual(shown(ct('gen_0002', ['-L', '--any-nat']).stdout), snat);
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-j', '203.0.113.1']).stdout), snat);
  assert.deepEqual(ct('gen_0002', ['-L', '-n', '203.0.113.2']).stdout, []);
  assert.deepEqual(ct('gen_0002', ['-L', '--dst-nat']).stdout, []);
  // The port is the reply's destination port (unchanged here, so it is no port translation).
  assert.deepEqual(ct('gen_0002', ['-L', '-n', '203.0.113.1:47164']).stdout, []);
  // --any-nat with an address also spoils the original source attribute: with any comparing option nothing matches.
  assert.deepEqual(ct('gen_0002', ['-L', '-p', 'udp', '-j', '203.0.113.1']).stdout, []);
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-p', 'udp', '-n', '203.0.113.1']).stdout), snat.filter((l) => l.startsWith('udp')));
});

test('-L zones: -w compares the zone (0 when the message has none); direction zones are never set', () => {
  const z5 = kernelLines('r_target_ct_1', (l) => l.includes('zone=5'));
  assert.deepEqual(shown(ct('r_target_ct_1', ['-L', '-w', '5']).stdout), z5);
  assert.deepEqual(shown(ct('r_target_ct_1', ['-L', '--zone', '0']).stdout), kernelLines('r_target_ct_1', (l) => !l.includes('zone=')));
  assert.deepEqual(ct('r_target_ct_1', ['-L', '--orig-zone', '5']).stdout, []);
  assert.equal(ct('r_target_ct_1', ['-L', '--reply-zone', '0']).stdout.length, 2);
});

test('-L TCP state filter and the state names conntrack knows', () => {
  assert.deepEqual(shown(ct('gen_0002', ['-L', '-p', 'tcp', '--state', 'TIME_WAIT']).stdout), kernelLines('gen_0002', (l) => l.includes('TIME_WAIT')));
  assert.deepEqual(ct('gen_0002', ['-L', '-p', 'tcp', '--state', 'ESTABLISHED']).stdout, []);
  const bad = ct('gen_0002', ['-L', '-p', 'tcp', '--state', 'FOO']);
  assert.deepEqual(bad.stderr, [`${P}unknown TCP state \`FOO'`, TRY]);
  assert.equal(bad.status, 2);
});

test('-L output formats: extended, id, save, xml', () => {
  const ext = ct('e_icmp', ['-L', '-o', 'extended', '-p', 'udp']);
  assert.match(ext.stdout[0]!, /^ipv4     2 udp      17 29 src=10\.0\.1\.100 /);
  const id = ct('e_icmp', ['-L', '-o', 'id', '-p', 'udp']);
  assert.match(id.stdout[0]!, / use=1 id=\d+$/);
  const save = ct('e_icmp', ['-L', '-o', 'save']);
  assert.ok(save.stdout.includes('-A -t 29 -u SEEN_REPLY -s 10.0.1.100 -d 10.0.2.100 -r 10.0.2.100 -q 10.0.1.100 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 7'));
  assert.ok(save.stdout.includes('-A -t 29 -u UNSET -s 10.0.1.100 -d 10.0.2.100 -r 10.0.2.100 -q 10.0.1.100 -p udp --sport 44444 --dport 9999 --reply-port-src 9999 --reply-port-dst 44444'));
  const snat = ct('gen_0002', ['-L', '-o', 'save', '-p', 'udp', '--dport', '53', '-n']);
  assert.deepEqual(snat.stdout, ['-A -t 29 -u UNSET -s 10.0.1.177 -d 203.0.113.188 -r 203.0.113.188 -n 203.0.113.1 -p udp --sport 47164 --dport 53 --reply-port-src 53 --reply-port-dst 47164']);
  assert.ok(ct('gen_0002', ['-L', '-o', 'save']).stdout.includes('-A -t 599 -u SEEN_REPLY -s 10.0.1.146 -d 198.51.100.49 -r 198.51.100.49 -n 203.0.113.1 -p 253'));
  assert.ok(ct('r_target_ct_1', ['-L', '-o', 'save']).stdout.some((l) => l.startsWith('-A -t 29 -u SEEN_REPLY -w 5 -s 10.0.1.100')));
  const xml = ct('e_icmp', ['-L', '-o', 'xml', '-p', 'udp']);
  assert.equal(xml.stdout[0], '<?xml version="1.0" encoding="utf-8"?>');
  assert.equal(xml.stdout[1], '<conntrack>');
  assert.match(xml.stdout[2]!, /^<flow><meta direction="original">.*<unreplied\/><\/meta><\/flow>$/);
  assert.equal(xml.stdout[3], '</conntrack>');
  assert.deepEqual(ct('e_icmp', ['-L', '-o', 'xml', '-p', 'tcp']).stdout, []);
  const mixed = ct('e_icmp', ['-L', '-o', 'save,id']);
  assert.deepEqual(mixed.stderr, [`${P}cannot combine save output with any other output type, use -o save only`]);
  assert.equal(mixed.status, 1);
});

test('-L -z prints the counters, then zeroes them', () => {
  const r = ct('e_icmp', ['-L', '-z']);
  assert.ok(r.stdout.some((l) => l.includes('packets=2 bytes=72')));
  assert.equal(r.changed, true);
  const after = ct('e_icmp', ['-L'], { table: r.table, now: 0 });
  assert.ok(after.stdout.every((l) => !/packets=[1-9]/.test(l)));
  const bad = ct('e_icmp', ['-L', '-z', '-p', 'icmp']);
  assert.deepEqual(bad.stderr, [`${P}Can't use -z with filtering parameters`, TRY]);
});

test('-G finds a tuple in either direction, prints it with the reference the lookup holds', () => {
  const args = ['-G', '-p', 'icmp', '-s', '10.0.1.100', '-d', '10.0.2.100', '--icmp-type', '8', '--icmp-code', '0', '--icmp-id', '7'];
  const r = ct('e_icmp', args);
  assert.equal(r.stdout.length, 1);
  assert.match(r.stdout[0]!, /type=8 code=0 id=7 .* mark=0 use=2$/);
  assert.deepEqual(r.stderr, [SUMMARY(1)]);
  assert.equal(r.status, 0);
  const missing = ct('e_icmp', ['-G', '-p', 'udp', '-s', '10.0.1.100', '-d', '10.0.2.100', '--sport', '1', '--dport', '2']);
  assert.deepEqual(missing.stderr, [`${P}Operation failed: such conntrack doesn't exist`]);
  assert.equal(missing.status, 1);
  // The reply tuple finds the entry, but the tool's own comparison then drops it.
  const reply = ct('e_icmp', ['-G', '-p', 'udp', '-s', '10.0.2.100', '-d', '10.0.1.100', '--sport', '9999', '--dport', '44444']);
  assert.deepEqual(reply.stdout, []);
  assert.deepEqual(reply.stderr, [SUMMARY(0)]);
  assert.equal(reply.status, 1);
  const badType = ct('e_icmp', ['-G', '-p', 'icmp', '-s', '10.0.1.100', '-d', '10.0.2.100', '--icmp-type', '3', '--icmp-code', '0']);
  assert.deepEqual(badType.stderr, [`${P}Operation failed: invalid parameters`]);
  const noPorts = ct('e_icmp', ['-G', '-p', 'udp', '-s', '10.0.1.100', '-d', '10.0.2.100', '--reply-port-src', '1', '--reply-port-dst', '2']);
  assert.deepEqual(noPorts.stderr, [`${P}Operation failed: No data available`]);
  const noPair = ct('e_icmp', ['-G', '-p', 'tcp', '-s', '1.1.1.1', '-d', '1.1.1.2', '--sport', '1']);
  assert.deepEqual(noPair.stderr, [`${P}you have to specify \`--sport' and \`--dport'`, TRY]);
  assert.deepEqual(ct('e_icmp', ['-G']).stderr, [`${P}You need to supply the \`--protonum' option for this command`, TRY]);
});

test('-D deletes the selected entries, prints them, and the table keeps the rest', () => {
  const r = ct('e_icmp', ['-D', '-p', 'icmp', '-u', 'SEEN_REPLY']);
  assert.equal(r.stdout.length, 2);
  assert.ok(r.stdout.every((l) => l.startsWith('icmp     1 29 ') && l.endsWith('use=1')));
  assert.deepEqual(r.stderr, [SUMMARY(2, 'flow entries have been deleted.')]);
  assert.equal(r.status, 0);
  assert.equal(r.changed, true);
  const left = ct('e_icmp', ['-L'], { table: r.table });
  assert.equal(left.stdout.length, 2);
  const again = ct('e_icmp', ['-D', '-p', 'icmp', '-u', 'SEEN_REPLY'], { table: r.table });
  assert.deepEqual(again.stderr, [SUMMARY(0, 'flow entries have been deleted.')]);
  assert.equal(again.status, 1);
  const xml = ct('e_icmp', ['-D', '-p', 'udp', '-o', 'xml']);
  assert.equal(xml.stdout.length, 1);
  assert.match(xml.stdout[0]!, /^<flow>/);
});

test('-F empties the table; the kernel ignores the family of the request', () => {
  const v6 = ct('e_icmp', ['-F', '-f', 'ipv6']);
  assert.deepEqual(v6.stderr, [`${P}connection tracking table has been emptied.`]);
  assert.equal(ct('e_icmp', ['-C'], { table: v6.table }).stdout[0], '0');
  const r = ct('e_icmp', ['-F']);
  assert.equal(r.status, 0);
  assert.equal(r.changed, true);
  assert.deepEqual(ct('e_icmp', ['-C'], { table: r.table }).stdout, ['0']);
});

test('-U needs an address family in 1.4.7; with one it rewrites the mark with its mask', () => {
  const nofamily = ct('gen_0002', ['-U', '-m', '7']);
  assert.deepEqual(nofamily.stderr, ['Operation failed: Operation not supported', `${P}Operation failed: Operation not supported`]);
  assert.equal(nofamily.status, 1);
  const r = ct('gen_0002', ['-U', '-f', 'ipv4', '-p', 'udp', '--dport', '53', '-m', '0x10/0x30']);
  assert.equal(r.stdout.length, 3);
  assert.ok(r.stdout.every((l) => l.includes(' mark=17 use=2')));
  assert.deepEqual(r.stderr, [SUMMARY(3, 'flow entries have been updated.')]);
  assert.equal(r.changed, true);
  const same = ct('gen_0002', ['-U', '-f', 'ipv4', '-p', 'udp', '--dport', '53', '-m', '0x10/0x30'], { table: r.table });
  assert.deepEqual(same.stderr, [SUMMARY(0, 'flow entries have been updated.')]);
  assert.equal(same.status, 1);
  const listed = ct('gen_0002', ['-L', '-m', '17'], { table: r.table });
  assert.equal(listed.stdout.length, 3);
});

test('-U sets the timeout and status bits; NAT attributes are refused but still counted', () => {
  const r = ct('e_icmp', ['-U', '-s', '10.0.2.1', '-t', '500', '-u', 'ASSURED']);
  assert.equal(r.stdout.length, 1);
  assert.match(r.stdout[0]!, /^icmp     1 500 src=10\.0\.2\.1 .* \[ASSURED\] mark=0 use=2$/);
  const nat = ct('gen_0002', ['-U', '-f', 'ipv4', '-n', '203.0.113.1', '-m', '9']);
  assert.equal(nat.stdout.length, 2);
  assert.ok(nat.stdout.every((l) => l.includes('mark=1 use=2')));
  assert.deepEqual(nat.stderr.slice(0, 2), ['Operation failed: Operation not supported', 'Operation failed: Operation not supported']);
  assert.equal(nat.stderr[2], SUMMARY(2, 'flow entries have been updated.'));
  const expected = ct('e_icmp', ['-U', '-f', 'ipv4', '-u', 'EXPECTED', '-p', 'udp']);
  assert.equal(expected.stderr[0], 'Operation failed: Device or resource busy');
});

test('labels: --label-add / --label-del with connlabel.conf names, -l filters, -o labels prints them', () => {
  const names = labels('# bit name\n0 web\n1 blocked\n5 audit\n');
  const add = ct('e_icmp', ['-U', '-f', 'ipv4', '-p', 'icmp', '--label-add', 'web,audit'], { labels: names });
  assert.equal(add.stdout.length, 3);
  assert.ok(add.stdout.every((l) => l.endsWith('use=2 labels=web,audit')));
  const filtered = ct('e_icmp', ['-L', '-l', 'audit'], { labels: names, table: add.table });
  assert.equal(filtered.stdout.length, 3);
  assert.deepEqual(ct('e_icmp', ['-L', '-l', 'blocked'], { labels: names, table: add.table }).stdout, []);
  const plain = ct('e_icmp', ['-L', '-p', 'icmp'], { labels: names, table: add.table });
  assert.ok(plain.stdout.every((l) => l.endsWith('use=1')));
  const withNames = ct('e_icmp', ['-L', '-p', 'icmp', '-o', 'labels'], { labels: names, table: add.table });
  assert.ok(withNames.stdout.every((l) => l.endsWith('use=1 labels=web,audit')));
  const del = ct('e_icmp', ['-U', '-f', 'ipv4', '--label-del', 'web'], { labels: names, table: add.table });
  assert.equal(del.stdout.length, 3);
  assert.ok(del.stdout.every((l) => l.endsWith('labels=audit')));
  const all = ct('e_icmp', ['-U', '-f', 'ipv4', '--label-del'], { labels: names, table: add.table });
  assert.ok(all.stdout.every((l) => l.endsWith('use=2')));
  const unknown = ct('e_icmp', ['-L', '-l', 'nope']);
  assert.deepEqual(unknown.stderr, ['nfct_labelmap_new: No such file or directory', `${P}unknown label 'nope'`, TRY]);
  assert.equal(unknown.status, 2);
});

test('-E: the recorded events, with event masks, filters and output formats', () => {
  const all = ct('a_tcp_handshake', ['-E']);
  assert.deepEqual(all.stdout, replayScenario('a_tcp_handshake').events.map((e) => e.line));
  assert.deepEqual(all.stdout.slice(0, 3), replayScenario('a_tcp_handshake').kernel.events.slice(0, 3));
  assert.deepEqual(all.stderr, [SUMMARY(all.stdout.length, 'flow events have been shown.')]);
  assert.equal(all.status, 0);
  const news = ct('a_tcp_handshake', ['-E', '-e', 'NEW']);
  assert.deepEqual(news.stdout, all.stdout.filter((l) => l.startsWith('    [NEW]')));
  const upd = ct('a_tcp_handshake', ['-E', '-e', 'UPDATES', '-p', 'tcp', '--state', 'ESTABLISHED']);
  assert.deepEqual(upd.stdout, all.stdout.filter((l) => l.includes(' ESTABLISHED ')));
  const ts = ct('a_tcp_handshake', ['-E', '-e', 'NEW', '-o', 'timestamp,extended,id']);
  assert.match(ts.stdout[0]!, /^\[1700000000\.000000\]\t    \[NEW\] ipv4     2 tcp      6 120 SYN_SENT .* id=\d+$/);
  const xml = ct('a_tcp_handshake', ['-E', '-o', 'xml']);
  assert.equal(xml.stdout[1], '<conntrack>');
  assert.match(xml.stdout[2]!, /^<flow type="new">/);
  assert.equal(xml.stdout.at(-1), '</conntrack>');
  const save = ct('a_tcp_handshake', ['-E', '-o', 'save']);
  assert.match(save.stdout[0]!, /^-A -t 120 -u UNSET -s 10\.0\.1\.100 -d 10\.0\.2\.100 .* --state SYN_SENT$/);
  assert.match(save.stdout[1]!, /^-U -t 60 -u SEEN_REPLY /);
  const none = ct('a_tcp_handshake', ['-E', '-s', '192.0.2.1']);
  assert.deepEqual(none.stderr, [SUMMARY(0, 'flow events have been shown.')]);
  assert.equal(none.status, 0);
});

test('expectations: -L / -C / -G / -D / -F expect over the saved lines, and they die with their master', () => {
  const want = replayScenario('j_ftp_firstline').expect;
  assert.equal(want.length, 1);
  const list = ct('j_ftp_firstline', ['-L', 'expect']);
  assert.deepEqual(list.stdout, want);
  assert.match(list.stdout[0]!, /^300 proto=6 src=198\.51\.100\.21 dst=203\.0\.113\.1 sport=0 dport=50001 .* master-src=10\.0\.1\.100 .* helper=ftp$/);
  assert.deepEqual(list.stderr, [SUMMARY(1, 'expectations have been shown.')]);
  assert.deepEqual(ct('j_ftp_firstline', ['-L', 'expect', '-f', 'ipv6']).stdout, []);
  assert.deepEqual(ct('j_ftp_firstline', ['-C', 'expect']).stdout, ['1']);
  const tuple = ['-p', 'tcp', '-s', '198.51.100.21', '-d', '203.0.113.1', '--sport', '0', '--dport', '50001', '--reply-port-src', '1', '--reply-port-dst', '2'];
  const get = ct('j_ftp_firstline', ['-G', 'expect', ...tuple]);
  assert.deepEqual(get.stdout, want);
  assert.equal(get.status, 0);
  // A successful -D expect counts nothing: conntrack 1.4.7 says "0 expectations have been shown." and exits 1.
  const del = ct('j_ftp_firstline', ['-D', 'expect', ...tuple]);
  assert.deepEqual(del.stderr, [SUMMARY(0, 'expectations have been shown.')]);
  assert.equal(del.status, 1);
  assert.deepEqual(del.expect, []);
  assert.equal(del.changed, true);
  const missing = ct('j_ftp_firstline', ['-G', 'expect', ...tuple.slice(0, 9), '50002', ...tuple.slice(10)]);
  assert.deepEqual(missing.stderr, [`${P}Operation failed: No such file or directory`]);
  const master = ct('j_ftp_firstline', ['-D', '-p', 'tcp', '--dport', '21']);
  assert.equal(master.stdout.length, 1);
  assert.deepEqual(master.expect, []);
  assert.deepEqual(ct('j_ftp_firstline', ['-F']).expect, []);
  const flushed = ct('j_ftp_firstline', ['-F', 'expect']);
  assert.deepEqual(flushed.expect, []);
  assert.deepEqual(flushed.stderr, [`${P}expectation table has been emptied.`]);
  const ev = ct('g_ftp_raw', ['-E', 'expect']);
  assert.equal(ev.stdout.length, 4);
  assert.match(ev.stdout[0]!, /^ {4}\[NEW\] 300 proto=6 /);
  assert.match(ev.stdout[1]!, /^\[DESTROY\] 299 proto=6 /);
  assert.deepEqual(ev.stderr, [SUMMARY(4, 'expectation events have been shown.')]);
  assert.ok(ct('g_ftp_raw', ['-E']).stdout.every((l) => !l.includes('proto=6 src')));
});

test('-S, -C, -V, the expectation table and usage', () => {
  const s = ct('e_icmp', ['-S']);
  assert.match(s.stdout[0]!, /^cpu=0   \tfound=\d+ invalid=\d+ insert=0 insert_failed=\d+ drop=\d+ early_drop=\d+ error=\d+ search_restart=0 clash_resolve=\d+ chaintoolong=\d+ $/);
  assert.deepEqual(ct('e_icmp', ['-C']).stdout, ['4']);
  assert.deepEqual(ct('e_icmp', ['-V']).stdout, ['conntrack v1.4.7 (conntrack-tools)']);
  const exp = ct('e_icmp', ['-L', 'expect', '-o', 'xml']);
  assert.deepEqual(exp.stdout, []);
  assert.deepEqual(exp.stderr, [SUMMARY(0, 'expectations have been shown.')]);
  assert.equal(exp.status, 0);
  assert.deepEqual(ct('e_icmp', ['-C', 'expect']).stdout, ['0']);
  assert.deepEqual(ct('e_icmp', ['-F', 'expect']).stderr, [`${P}expectation table has been emptied.`]);
  assert.deepEqual(ct('e_icmp', ['-L', 'dying']).stderr, [SUMMARY(0)]);
  const help = ct('e_icmp', ['-h', '-p', 'tcp']);
  assert.equal(help.stdout[0], 'Command line interface for the connection tracking system. Version 1.4.7');
  assert.ok(help.stdout.includes("Proto `tcp' help:"));
  assert.equal(help.stdout.at(-1), '  --state\t\t\tTCP state, fe. ESTABLISHED');
  assert.equal(ct('e_icmp', []).stdout[1], 'Usage: conntrack [commands] [options]');
});

test('parameter problems: the tool\'s messages and exit status 2', () => {
  const cases: Array<[string[], string]> = [
    [['-L', '-x'], "unknown option `-x'"],
    [['-L', '-s'], "option `-s' requires an argument"],
    [['-L', '-s', 'foo'], "Invalid IP address `foo'"],
    [['-L', '-t', '5'], "Illegal option `--timeout' with this command"],
    [['-L', '-D'], 'Invalid commands combination'],
    [['-L', '-Lx'], 'Invalid commands combination'],
    [['-L', '--dport', '80'], "unknown option `--dport'"],
    [['-L', '--stat'], "unknown option `--stat'"],
    [['-L', '-p', 'foo'], "`foo' unsupported protocol"],
    [['-L', '-p', '256'], "`256' unsupported protocol"],
    [['-L', 'foo'], "unknown type `foo'"],
    [['-L', '-e', 'NEW'], "Illegal option `--event-mask' with this command"],
    [['-L', '-u', 'FOO'], "Bad parameter `FOO'"],
    [['-L', '-r', '10.0.0.0/24'], "CIDR notation unavailable for `--reply-src'"],
    [['-L', '-s', '10.0.0.1/33'], 'Invalid netmask'],
    [['-L', '-s', '1.2.3.4', '-f', 'ipv6'], 'mismatched address family'],
    [['-L', '--mask-src', '255.0.0.0'], "Can't use --mask-src without --src"],
    [['-D', 'dying'], "Can't do that command with tables `dying' and `unconfirmed'"],
    [['-U', 'expect'], "Can't do --update on expectations"],
    [['-s', '1.2.3.4'], "Illegal option `--src' with this command"],
    [['-L', '-n', ':2000'], "Invalid IP address `'"],
    [['-L', '--any-nat', '-n'], "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'"],
  ];
  for (const [args, msg] of cases) {
    const r = ct('e_icmp', args);
    assert.deepEqual(r.stderr, [`${P}${msg}`, TRY], args.join(' '));
    assert.equal(r.status, 2, args.join(' '));
    assert.deepEqual(r.stdout, [], args.join(' '));
  }
  // Lenient parsing the tool inherits from the C library: "--dport=80x", "--sp", "-p 6".
  assert.equal(ct('gen_0002', ['-L', '-p', '6', '--dport=80x', '--sp', '53413']).stdout.length, 1);
});
