/**
 * ipsets from `ipset save` text: the set types, element forms, nomatch, timeouts, list:set, and
 * load errors with line and column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIp } from '../../src/packet/decode.js';
import { icmpEcho, ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { PacketView } from '../../src/packet/view.js';
import { RulesetError } from '../../src/rules/errors.js';
import { IpsetRegistry, SetTest } from '../../src/rules/ipset.js';

const SRC = 1;
const view = (b: Uint8Array): PacketView => decodeIp(new PacketView(), b);
const tcpPkt = (src: string, dst: string, dport: number) => view(ipv4({ src, dst, payload: tcp({ sport: 40000, dport }) }));

function load(text: string, now = 0): IpsetRegistry {
  const r = new IpsetRegistry();
  r.load(text, { file: 'sets', now });
  return r;
}

test('hash:ip with single addresses, ranges and CIDRs', () => {
  const r = load('create a hash:ip family inet hashsize 1024 maxelem 65536\nadd a 10.0.0.1\nadd a 10.0.1.0/30\nadd a 10.0.2.5-10.0.2.6\n');
  const a = r.get('a')!;
  const t = (ip: string): SetTest => a.test(tcpPkt(ip, '1.1.1.1', 80), SRC, 0);
  assert.deepEqual(['10.0.0.1', '10.0.1.3', '10.0.1.4', '10.0.2.6', '10.0.2.7'].map(t), [1, 1, 0, 1, 0]);
});

test('hash:net: the most specific prefix decides, nomatch elements report NOMATCH', () => {
  const r = load('create n hash:net\nadd n 10.0.0.0/8\nadd n 10.1.0.0/16 nomatch\nadd n 10.1.2.0/24\nadd n 192.168.0.0-192.168.0.5\n');
  const n = r.get('n')!;
  const t = (ip: string): SetTest => n.test(tcpPkt(ip, '1.1.1.1', 80), SRC, 0);
  assert.deepEqual(['10.9.9.9', '10.1.9.9', '10.1.2.3', '11.0.0.1', '192.168.0.5', '192.168.0.6'].map(t), [SetTest.MATCH, SetTest.NOMATCH, SetTest.MATCH, SetTest.NO, SetTest.MATCH, SetTest.NO]);
});

test('hash:ip,port and hash:net,port with protocols, ranges and ICMP types', () => {
  const r = load('create s hash:ip,port\nadd s 10.0.2.100,tcp:80\nadd s 10.0.2.100,udp:53\nadd s 10.0.2.100,8000-8002\nadd s 10.0.2.100,icmp:echo-request\ncreate np hash:net,port\nadd np 10.0.0.0/8,tcp:22\n');
  const s = r.get('s')!;
  const DST_DST = 0;
  assert.equal(s.test(tcpPkt('1.1.1.1', '10.0.2.100', 80), DST_DST, 0), SetTest.MATCH);
  assert.equal(s.test(tcpPkt('1.1.1.1', '10.0.2.100', 53), DST_DST, 0), SetTest.NO);
  assert.equal(s.test(view(ipv4({ src: '1.1.1.1', dst: '10.0.2.100', payload: udp({ sport: 1, dport: 53 }) })), DST_DST, 0), SetTest.MATCH);
  assert.equal(s.test(tcpPkt('1.1.1.1', '10.0.2.100', 8001), DST_DST, 0), SetTest.MATCH);
  assert.equal(s.test(view(ipv4({ src: '1.1.1.1', dst: '10.0.2.100', payload: icmpEcho({ id: 1, seq: 1 }) })), DST_DST, 0), SetTest.MATCH);
  assert.equal(r.get('np')!.test(tcpPkt('10.5.5.5', '1.1.1.1', 22), 0b01, 0), SetTest.MATCH);
});

test('IPv6 sets, bitmap:port, bitmap:ip, list:set', () => {
  const r = load('create six hash:ip family inet6\nadd six fd00::1\ncreate bp bitmap:port range 0-1024\nadd bp 22\nadd bp 80-82\ncreate bi bitmap:ip range 10.0.0.0/24\nadd bi 10.0.0.5\ncreate l list:set size 8\nadd l six\nadd l bi\n');
  const v6 = view(ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: udp({ sport: 1, dport: 2 }) }));
  assert.equal(r.get('six')!.test(v6, SRC, 0), SetTest.MATCH);
  assert.equal(r.get('bp')!.test(tcpPkt('1.1.1.1', '2.2.2.2', 81), 0, 0), SetTest.MATCH);
  assert.equal(r.get('bp')!.test(tcpPkt('1.1.1.1', '2.2.2.2', 83), 0, 0), SetTest.NO);
  assert.equal(r.get('bi')!.test(tcpPkt('10.0.0.5', '2.2.2.2', 1), SRC, 0), SetTest.MATCH);
  assert.equal(r.get('l')!.test(tcpPkt('10.0.0.5', '2.2.2.2', 1), SRC, 0), SetTest.MATCH);
  assert.equal(r.get('l')!.test(v6, SRC, 0), SetTest.MATCH);
});

test('timeouts count from the load time; element counters and comments are read', () => {
  const r = load('create t hash:ip timeout 100 counters comment\nadd t 10.0.0.1 timeout 5 packets 3 bytes 400 comment "a b"\nadd t 10.0.0.2\n', 1000);
  const t = r.get('t')!;
  assert.equal(t.test(tcpPkt('10.0.0.1', '2.2.2.2', 1), SRC, 1004), SetTest.MATCH);
  assert.equal(t.test(tcpPkt('10.0.0.1', '2.2.2.2', 1), SRC, 1005), SetTest.NO);
  assert.equal(t.test(tcpPkt('10.0.0.2', '2.2.2.2', 1), SRC, 1099), SetTest.MATCH);
  assert.equal(t.test(tcpPkt('10.0.0.2', '2.2.2.2', 1), SRC, 1100), SetTest.NO);
});

test('load errors name the line and column', () => {
  const err = (text: string): string => {
    try {
      load(text);
    } catch (e) {
      if (e instanceof RulesetError) return e.message;
      throw e;
    }
    return 'no error';
  };
  assert.equal(err('add x 1.2.3.4\n'), 'sets:1:5: The set with the given name does not exist');
  assert.equal(err('create a hash:ip\nadd a 1.2.3.400\n'), 'sets:2:7: invalid IPv4 address "1.2.3.400"');
  assert.equal(err('create a hash:foo\n'), 'sets:1:10: set type "hash:foo" is not implemented by ctkit');
  assert.equal(err('create a hash:ip\nadd a 1.2.3.4\nadd a 1.2.3.4\n'), "sets:3:7: Element cannot be added to the set: it's already added");
  assert.equal(err('create a hash:ip\ncreate a hash:ip\n'), 'sets:2:8: Set cannot be created: set with the same name already exists');
  assert.equal(err('create a hash:ip bogus 1\n'), 'sets:1:18: create: unknown option "bogus" for hash:ip');
  assert.equal(err('create b bitmap:port range 0-1024\nadd b 2000\n'), 'sets:2:7: Element is out of the range of the set');
});
