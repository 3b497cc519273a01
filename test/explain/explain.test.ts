/**
 * `ctkit explain`: the key facts for each kind of entry (not whole paragraphs): who opened it,
 * which NAT, what the flags and the state mean, the timeout and its sysctl, helper, RELATED
 * master, mark, zone, labels, use, events and expectations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf } from '../../src/cli/explain.js';
import { describeError } from '../../src/cli/errors.js';
import { explainEntry, findNat, renderExplanations } from '../../src/explain/explain.js';
import { parseLine, type ParsedConn } from '../../src/explain/parse.js';
import { timeoutSysctl } from '../../src/explain/states.js';
import { replayScenario } from '../ctcli/support.js';

function facts(line: string): string {
  const e = parseLine(line, 1);
  assert.ok(e !== null);
  return explainEntry(e).facts.join('\n');
}

const TIME_WAIT = 'tcp      6 119 TIME_WAIT src=10.0.1.100 dst=10.0.2.100 sport=40000 dport=80 packets=6 bytes=258 src=10.0.2.100 dst=10.0.1.100 sport=80 dport=40000 packets=4 bytes=184 [ASSURED] mark=0 use=1';
const MASQ = 'tcp      6 119 SYN_SENT src=10.0.1.101 dst=198.51.100.10 sport=40000 dport=443 packets=1 bytes=40 [UNREPLIED] src=198.51.100.10 dst=203.0.113.1 sport=443 dport=11679 packets=0 bytes=0 mark=0 use=1';
const DNAT = 'tcp      6 119 SYN_SENT src=198.51.100.60 dst=203.0.113.1 sport=61001 dport=8080 packets=1 bytes=40 [UNREPLIED] src=10.0.2.100 dst=198.51.100.60 sport=80 dport=61001 packets=0 bytes=0 mark=0 use=1';

test('a closed TCP connection without NAT: opener, no NAT, ASSURED, TIME_WAIT and its sysctl', () => {
  const f = facts(TIME_WAIT);
  assert.match(f, /Opened by 10\.0\.1\.100:40000 towards 10\.0\.2\.100:80/);
  assert.match(f, /No NAT: the reply tuple is exactly the original one reversed/);
  assert.match(f, /\[ASSURED\]: the three-way handshake completed/);
  assert.match(f, /TIME_WAIT: both FINs were exchanged/);
  assert.match(f, /expires in 119 s .*net\.netfilter\.nf_conntrack_tcp_timeout_time_wait \(default 120 s/);
  assert.match(f, /6 packets \/ 258 bytes in the original direction, 4 packets \/ 184 bytes in the reply direction/);
  assert.match(f, /use=1: only the table holds it/);
});

test('NAT kinds from the reply tuple: SNAT/MASQUERADE, DNAT/port forward, port-only, both', () => {
  const masq = facts(MASQ);
  assert.match(masq, /Source NAT \(SNAT or MASQUERADE\): the source 10\.0\.1\.101:40000 is rewritten to 203\.0\.113\.1:11679/);
  assert.doesNotMatch(masq, /Destination NAT/);
  assert.match(masq, /\[UNREPLIED\]: no packet has been seen in the reply direction yet/);
  assert.match(masq, /SYN_SENT: a SYN went out/);
  const dnat = facts(DNAT);
  assert.match(dnat, /Destination NAT \(DNAT \/ port forward.*\): packets sent to 203\.0\.113\.1:8080 are delivered to 10\.0\.2\.100:80/);
  assert.doesNotMatch(dnat, /Source NAT/);
  const both = parseLine('udp      17 29 src=10.0.1.5 dst=203.0.113.1 sport=1000 dport=53 src=10.0.2.53 dst=10.0.2.1 sport=53 dport=1000 mark=0 use=1', 1) as ParsedConn;
  assert.deepEqual(findNat(both), { snat: true, dnat: true, snatPortOnly: false, dnatPortOnly: false });
  assert.match(explainEntry(both).facts.join('\n'), /Both translations apply/);
  const portOnly = parseLine('udp      17 29 src=10.0.1.5 dst=10.0.2.9 sport=1000 dport=53 src=10.0.2.9 dst=10.0.1.5 sport=53 dport=1001 mark=0 use=1', 1) as ParsedConn;
  assert.deepEqual(findNat(portOnly), { snat: true, dnat: false, snatPortOnly: true, dnatPortOnly: false });
  assert.match(explainEntry(portOnly).facts.join('\n'), /Source port translation/);
});

test('UDP and ICMP: which timeout sysctl applies, assured streams, ICMP never assured', () => {
  const udp = facts('udp      17 29 src=10.0.1.100 dst=10.0.2.100 sport=44444 dport=9999 packets=1 bytes=33 [UNREPLIED] src=10.0.2.100 dst=10.0.1.100 sport=9999 dport=44444 packets=0 bytes=0 mark=0 use=1');
  assert.match(udp, /nf_conntrack_udp_timeout \(default 30 s\)/);
  assert.match(udp, /Once it becomes a stream it is ASSURED and lives net\.netfilter\.nf_conntrack_udp_timeout_stream \(default 120 s\)/);
  const stream = facts('udp      17 119 src=10.0.1.143 dst=198.51.100.232 sport=49772 dport=53 packets=3 bytes=172 src=198.51.100.232 dst=10.0.1.143 sport=53 dport=49772 packets=2 bytes=170 [ASSURED] mark=1 use=1');
  assert.match(stream, /\[ASSURED\]: a reply was seen and traffic kept going for more than 2 s/);
  assert.match(stream, /nf_conntrack_udp_timeout_stream \(default 120 s/);
  assert.match(stream, /mark=1 \(0x1\): the connection mark/);
  const icmp = facts('icmp     1 29 src=10.0.1.100 dst=10.0.2.100 type=8 code=0 id=7 packets=1 bytes=36 src=10.0.2.100 dst=10.0.1.100 type=0 code=0 id=7 packets=2 bytes=72 mark=0 use=1');
  assert.match(icmp, /sent an ICMP echo request \(ping\) \(id 7\)/);
  assert.match(icmp, /Not \[ASSURED\] \(ICMP entries never become ASSURED\)/);
  assert.match(icmp, /nf_conntrack_icmp_timeout \(default 30 s\)/);
  assert.equal(timeoutSysctl({ proto: 'gre', state: null, assured: false, unreplied: false }), 'gre_timeout_stream');
  assert.equal(timeoutSysctl({ proto: 'unknown', state: null, assured: false, unreplied: true }), 'generic_timeout');
  assert.equal(timeoutSysctl({ proto: 'sctp', state: 'ESTABLISHED', assured: true, unreplied: false }), 'sctp_timeout_established');
});

test('TCP states explained, and an ESTABLISHED timeout cut short by unacknowledged data', () => {
  const base = (state: string, timeout: number): string =>
    facts(`tcp      6 ${timeout} ${state} src=10.0.1.1 dst=10.0.2.1 sport=1 dport=2 src=10.0.2.1 dst=10.0.1.1 sport=2 dport=1 [ASSURED] mark=0 use=1`);
  assert.match(base('SYN_RECV', 59), /SYN_RECV: the SYN\/ACK came back/);
  assert.match(base('CLOSE_WAIT', 59), /CLOSE_WAIT: the first FIN was acknowledged/);
  assert.match(base('CLOSE_WAIT', 59), /nf_conntrack_tcp_timeout_close_wait \(default 60 s\)/);
  assert.match(base('LAST_ACK', 29), /LAST_ACK: both sides sent their FIN/);
  assert.match(base('FIN_WAIT', 119), /FIN_WAIT: one side sent a FIN/);
  assert.match(base('CLOSE', 9), /CLOSE: the connection was reset/);
  assert.match(base('SYN_SENT2', 100), /simultaneous open.*fixed 120 s, no sysctl/s);
  const short = base('ESTABLISHED', 299);
  assert.match(short, /well below the ESTABLISHED timeout: data is unacknowledged or was retransmitted/);
  assert.match(base('ESTABLISHED', 500000), /more than the default/);
});

test('helper, zone, labels, /proc use, events', () => {
  const ftp = facts('tcp      6 299 ESTABLISHED src=10.0.1.100 dst=198.51.100.21 sport=40021 dport=21 src=198.51.100.21 dst=203.0.113.1 sport=21 dport=40021 [ASSURED] mark=0 helper=ftp use=3');
  assert.match(ftp, /helper=ftp: the ftp conntrack helper is attached; it reads the FTP commands/);
  assert.match(ftp, /use=3: besides the table, 2 reference\(s\) hold it/);
  const zoned = facts('udp      17 29 src=10.0.1.100 dst=198.51.100.50 sport=23001 dport=53 src=198.51.100.50 dst=10.0.1.100 sport=53 dport=23001 mark=0 zone=5 use=1 labels=web,audit');
  assert.match(zoned, /zone=5: tracked in conntrack zone 5/);
  assert.match(zoned, /labels=web,audit: connection labels/);
  const proc = facts('ipv4     2 udp      17 29 src=10.0.1.1 dst=10.0.1.2 sport=1 dport=2 [UNREPLIED] src=10.0.1.2 dst=10.0.1.1 sport=2 dport=1 mark=0 zone=0 use=2');
  assert.match(proc, /use=2: \/proc counts its own reference while printing \(conntrack -L would say 1\); only the table holds it/);
  assert.match(facts(`    [NEW] ${MASQ.replace(/ packets=\d+ bytes=\d+/g, '').replace(/ use=1/, '')}`), /\[NEW\] event: the entry was just confirmed/);
  assert.match(facts('[DESTROY] udp      17 src=10.0.1.176 dst=192.0.2.45 sport=57748 dport=51820 [UNREPLIED] src=192.0.2.45 dst=10.0.1.176 sport=51820 dport=57748'), /\[DESTROY\] event: the entry timed out/);
  assert.match(facts('[DESTROY] tcp      6 9 CLOSE src=10.0.1.1 dst=10.0.2.1 sport=1 dport=2 src=10.0.2.1 dst=10.0.1.1 sport=2 dport=1 [ASSURED]'), /removed 9 s before its timeout/);
});

test('expectations: which helper expects which connection for which master', () => {
  const f = facts('300 proto=6 src=198.51.100.21 dst=203.0.113.1 sport=0 dport=50000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.1.100 master-dst=198.51.100.21 sport=40021 dport=21 class=0 helper=ftp');
  assert.match(f, /registered by the ftp helper of the connection 10\.0\.1\.100:40021 -> 198\.51\.100\.21:21/);
  assert.match(f, /a new TCP connection 198\.51\.100\.21 \(any source port\) -> 203\.0\.113\.1:50000 is expected within 300 s/);
  assert.match(f, /its first packet is RELATED/);
  assert.match(facts('297 l3proto = 2 proto=17 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=69 PERMANENT tftp'), /PERMANENT: it stays after it has been used/);
});

test('a saved table: entries with their status, and a RELATED connection names its master', () => {
  const snap = JSON.parse(JSON.stringify(replayScenario('g_ftp_raw').snapshot)) as { conns: Array<{ master: number | null; status: number }> };
  snap.conns[1]!.master = 0;
  snap.conns[1]!.status |= 1;
  const entries = entriesOf(JSON.stringify(snap), 'table.json');
  assert.equal(entries.length, 3);
  const related = explainEntry(entries[1]!).facts.join('\n');
  assert.match(related, /RELATED: this connection was expected by the ftp helper of the connection 10\.0\.1\.100:40021 -> 198\.51\.100\.21:21/);
  const text = renderExplanations(entries);
  assert.match(text, /^#1 \(saved table\): TCP connection, state ESTABLISHED, /);
  const withExpect = entriesOf(JSON.stringify({ ...replayScenario('j_ftp_firstline').snapshot, expect: replayScenario('j_ftp_firstline').expect }), 't');
  assert.equal(withExpect.at(-1)!.kind, 'expect');
  assert.match(explainEntry(withExpect.at(-1)!).facts[0]!, /registered by the ftp helper of the connection 10\.0\.1\.100:40021 -> 198\.51\.100\.21:21/);
});

test('explain input errors: one line naming the input and the line', () => {
  const msg = (text: string): string => {
    try {
      entriesOf(text, 'x.txt');
    } catch (e) {
      return describeError(e).message;
    }
    return 'no error';
  };
  assert.match(msg('tcp 6 1 src=1.2.3.4\n'), /^x\.txt: line 1: expected dst=ADDRESS, but the line ends there$/);
  assert.equal(msg('{"format":"x"}'), 'the JSON input is not a saved conntrack table (expected format "ctkit-conntrack/1")');
  assert.equal(renderExplanations(entriesOf('\n', 'x')), 'no conntrack entry in the input\n');
});

test('a zone for one direction (recorded in r_zone_orig_1 / r_zone_reply_1) is parsed and explained', () => {
  const orig = parseLine('udp      17 29 src=10.0.1.100 dst=198.51.100.60 sport=40000 dport=53 zone-orig=5 packets=2 bytes=68 src=198.51.100.60 dst=10.0.1.100 sport=53 dport=40000 packets=1 bytes=34 mark=0 use=1', 1) as ParsedConn;
  assert.equal(orig.orig.zone, 5);
  assert.equal(orig.orig.packets, 2);
  assert.equal(orig.reply.zone, undefined);
  assert.match(renderExplanations([orig]), /zone-orig=5: its original direction is in zone 5, its reply direction in zone 0/);
  const reply = parseLine('udp      17 29 src=10.0.1.100 dst=10.0.2.100 sport=40010 dport=5000 src=10.0.2.100 dst=10.0.1.100 sport=5000 dport=40010 zone-reply=7 mark=0 use=1', 2) as ParsedConn;
  assert.equal(reply.reply.zone, 7);
  assert.match(renderExplanations([reply]), /zone-reply=7: its reply direction is in zone 7/);
});
