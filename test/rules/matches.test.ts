/**
 * Each match against packets built with the packet builder and decoded, with the kernel's
 * semantics: negation, fragments, truncated headers, connection state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CtStatus } from '../../src/netfilter/context.js';
import { ethernet, fragmentIpv4, icmp, icmpEcho, icmpv6Echo, ipv4, ipv6, sctp, tcp, udp } from '../../src/packet/build.js';
import { LinkType } from '../../src/packet/view.js';
import { Ruleset } from '../../src/rules/model.js';
import { loadIptables } from '../../src/rules/parse.js';
import { T0, ctxFor, fakeCt, matchOf, ruleMatches, ruleOf, tuple } from './helpers.js';

const syn = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', ttl: 64, tos: 0x10, payload: tcp({ sport: 40000, dport: 22, flags: 'S', options: { mss: 1460 } }) });
const ack = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 40000, dport: 22, flags: 'A' }) });
const dns = ipv4({ src: '10.0.1.100', dst: '10.0.2.53', payload: udp({ sport: 5353, dport: 53, payload: 'GET /x' }) });
const ping = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: icmpEcho({ id: 7, seq: 1 }) });
const m = (spec: string, bytes: Uint8Array, over = {}, family: 4 | 6 = 4): boolean => {
  const r = ruleOf(`-A INPUT ${spec}`, 'filter', 'INPUT', family);
  return ruleMatches(r, ctxFor(bytes, { iif: 'r_cli', oif: null, ...over }));
};

test('fixed selectors: addresses with masks, protocol, interfaces with +, fragments', () => {
  assert.equal(m('-s 10.0.1.0/24 -d 10.0.2.100', syn), true);
  assert.equal(m('! -s 10.0.1.0/24', syn), false);
  assert.equal(m('-s 10.0.0.0/255.0.254.0', syn), true);
  assert.equal(m('-p tcp', syn), true);
  assert.equal(m('! -p tcp', syn), false);
  assert.equal(m('-p all', dns), true);
  assert.equal(m('-i r_+', syn), true);
  assert.equal(m('-i r_cl', syn), false);
  assert.equal(m('! -i eth0', syn), true);
  const frags = fragmentIpv4(ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: udp({ sport: 1, dport: 2, payload: 'x'.repeat(1200) }) }), 600);
  assert.equal(m('-f', frags[0]!), false);
  assert.equal(m('-f', frags[1]!), true);
  assert.equal(m('! -f', frags[0]!), true);
  assert.equal(m('-p udp --dport 2', frags[1]!), false);
});

test('an interface test on a hook without that device never matches, negated or not', () => {
  const r = ruleOf('-N X\n-A X ! -o eth0', 'filter', 'X');
  assert.equal(ruleMatches(r, ctxFor(syn, { oif: null })), false);
  assert.equal(ruleMatches(r, ctxFor(syn, { oif: 'eth1' })), true);
});

test('tcp: ports, ranges, flags, --syn, options; nft-style range rewriting', () => {
  assert.equal(m('-p tcp --dport 22', syn), true);
  assert.equal(m('-p tcp --dport 20:30 --sport 40000', syn), true);
  assert.equal(m('-p tcp ! --dport 22', syn), false);
  assert.equal(m('-p tcp --syn', syn), true);
  assert.equal(m('-p tcp --syn', ack), false);
  assert.equal(m('-p tcp ! --syn', ack), true);
  assert.equal(m('-p tcp --tcp-flags SYN,ACK SYN', syn), true);
  assert.equal(m('-p tcp --tcp-flags ALL NONE', syn), false);
  assert.equal(m('-p tcp --tcp-option 2', syn), true);
  assert.equal(m('-p tcp --tcp-option 3', syn), false);
  assert.equal(m('-p tcp ! --tcp-option 3', syn), true);
  assert.equal(m('-p tcp ! --dport 0:1023', syn), false);
  assert.equal(matchOf('-p tcp ! --dport 0:1023').save(), '-m tcp --dport 1024:65535');
  // both single ports negated alike: one 32-bit comparison, "not both equal"
  assert.equal(m('-p tcp ! --sport 40000 ! --dport 80', syn), true);
  assert.equal(m('-p tcp ! --sport 40000 ! --dport 22', syn), false);
  // ! --sport 0:65535 is no test at all in nf_tables
  assert.equal(ruleOf('-A INPUT -p tcp ! --sport 0:65535').matches.length, 0);
});

test('tcp/udp: a header cut short does not match (payload test) or drops the packet (x_tables match)', () => {
  const cut = syn.subarray(0, 22);
  const ctx = ctxFor(cut);
  assert.equal(matchOf('-p tcp --dport 22').match(ctx), false);
  assert.equal(ctx.hotdrop, undefined);
  assert.equal(matchOf('-p tcp --tcp-option 2').match(ctx), false);
  assert.equal(ctx.hotdrop, true);
});

test('udp, multiport with ranges and negation', () => {
  assert.equal(m('-p udp --dport 53', dns), true);
  assert.equal(m('-p udp ! --sport 5353', dns), false);
  assert.equal(m('-p udp -m multiport --dports 1,53,100', dns), true);
  assert.equal(m('-p udp -m multiport --dports 50:60', dns), true);
  assert.equal(m('-p udp -m multiport --sports 50:60', dns), false);
  assert.equal(m('-p udp -m multiport --ports 5353', dns), true);
  assert.equal(m('-p udp -m multiport ! --ports 53', dns), false);
  assert.throws(() => ruleOf('-A INPUT -m multiport --dports 1'), /multiport needs `-p tcp'/);
  assert.throws(() => ruleOf(`-A INPUT -p tcp -m multiport --dports ${Array.from({ length: 16 }, (_, i) => i + 1).join(',')}`), /too many ports specified/);
});

test('icmp and icmp6: names, numbers, type/code, any', () => {
  assert.equal(m('-p icmp --icmp-type echo-request', ping), true);
  assert.equal(m('-p icmp --icmp-type 8/0', ping), true);
  assert.equal(m('-p icmp --icmp-type 8/1', ping), false);
  assert.equal(m('-p icmp --icmp-type echo-reply', ping), false);
  assert.equal(m('-p icmp --icmp-type any', ping), true);
  assert.equal(m('-p icmp ! --icmp-type any', ping), false);
  assert.throws(() => ruleOf('-A INPUT -p icmp --icmp-type echo-re'), /Ambiguous ICMP type `echo-re': `echo-reply' or `echo-request'\?/);
  const unreach = ipv4({ src: '10.0.2.1', dst: '10.0.1.100', payload: icmp({ type: 3, code: 3, payload: new Uint8Array(28) }) });
  assert.equal(m('-p icmp --icmp-type port-unreachable', unreach), true);
  assert.equal(m('-p icmp --icmp-type destination-unreachable', unreach), true);
  const ping6 = ipv6({ src: 'fd00:1::5', dst: 'fd00:2::5', payload: icmpv6Echo({ id: 1, seq: 1 }) });
  assert.equal(m('-p icmpv6 --icmpv6-type echo-request', ping6, {}, 6), true);
  assert.equal(m('-p icmpv6 --icmpv6-type 129', ping6, {}, 6), false);
});

test('conntrack: states, NAT pseudo-states, direction, tuple fields, status, expiry', () => {
  const ct = fakeCt({ status: CtStatus.CONFIRMED | CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.DST_NAT, expiresAt: T0 + 100.5 });
  const est = { ct, ctState: 2, ctDir: 1 as const };
  assert.equal(m('-m conntrack --ctstate RELATED,ESTABLISHED', syn, est), true);
  assert.equal(m('-m conntrack --ctstate NEW', syn, est), false);
  assert.equal(m('-m conntrack --ctstate DNAT', syn, est), true);
  assert.equal(m('-m conntrack --ctstate SNAT', syn, est), false);
  assert.equal(m('-m conntrack --ctdir REPLY', syn, est), true);
  assert.equal(m('-m conntrack --ctdir ORIGINAL', syn, est), false);
  assert.equal(m('-m conntrack --ctproto tcp --ctorigsrc 10.0.1.0/24 --ctorigdstport 80', syn, est), true);
  assert.equal(m('-m conntrack --ctreplsrcport 81:90', syn, est), false);
  assert.equal(m('-m conntrack --ctstatus ASSURED', syn, est), true);
  assert.equal(m('-m conntrack --ctstatus EXPECTED', syn, est), false);
  assert.equal(m('-m conntrack --ctexpire 100', syn, est), true);
  assert.equal(m('-m conntrack --ctexpire 0:99', syn, est), false);
  // An unconfirmed entry (the first packet, before POSTROUTING): its timeout has not started, nf_ct_expires() is 0 (r_match_conntrack_2).
  const fresh = { ct: fakeCt({ status: 0, expiresAt: T0 + 30 }), ctState: 8, ctDir: 0 as const };
  assert.equal(m('-m conntrack --ctexpire 0:20', syn, fresh), true);
  assert.equal(m('-m conntrack --ctexpire 30', syn, fresh), false);
  // no connection: only a state test can match
  assert.equal(m('-m conntrack --ctstate INVALID', syn, { ct: null, ctState: 1 }), true);
  assert.equal(m('-m conntrack ! --ctstate INVALID --ctproto tcp', syn, { ct: null, ctState: 64 }), true);
  assert.equal(m('-m conntrack --ctproto tcp', syn, { ct: null, ctState: 64 }), false);
  assert.equal(m('-m state --state UNTRACKED', syn, { ct: null, ctState: 64 }), true);
  assert.equal(m('-m state --state n,est', syn, est), true);
  assert.equal(matchOf('-m state --state n,est').save(), '-m state --state NEW,ESTABLISHED');
});

test('connlabel: a label bit of the connection, --set sets it, no connection matches only negated (r_ct_label_1)', () => {
  const ct = fakeCt();
  assert.equal(m('-m connlabel --label 3', syn, { ct }), false);
  assert.equal(m('-m connlabel ! --label 3', syn, { ct }), true);
  assert.equal(m('-m connlabel --label 3 --set', syn, { ct }), true);
  assert.equal(ct.labels[0], 8);
  assert.equal(m('-m connlabel --label 3', syn, { ct }), true);
  assert.equal(m('-m connlabel --label 0x41 --set', syn, { ct }), true);
  assert.equal(ct.labels[2], 2);
  assert.equal(m('-m connlabel --label 3', syn, { ct: null }), false);
  assert.equal(m('-m connlabel ! --label 3 --set', syn, { ct: null }), true);
  assert.equal(matchOf('-m connlabel ! --label 010 --set').save(), '-m connlabel ! --label "8" --set');
  assert.equal(matchOf('-m connlabel --label 127').list(), ' connlabel 127');
  assert.equal(matchOf('-m connlabel ! --label 16 --set').list(), ' connlabel ! 16 set');
  assert.throws(() => matchOf('-m connlabel --label 128'), /out of range/);
  assert.throws(() => matchOf('-m connlabel --label foo'), /label 'foo' not found or invalid value/);
  assert.throws(() => matchOf('-m connlabel --set'), /option "--label" must be specified/);
});

test('mark, connmark, helper (of the master connection)', () => {
  assert.equal(m('-m mark --mark 0x5/0xf', syn, { mark: 0x15 }), true);
  assert.equal(m('-m mark ! --mark 0', syn, { mark: 0 }), false);
  assert.equal(m('-m connmark --mark 2', syn, { ct: fakeCt({ mark: 2 }) }), true);
  assert.equal(m('-m connmark ! --mark 2', syn, { ct: null }), false);
  const master = fakeCt({ helperName: 'ftp' });
  assert.equal(m('-m helper --helper ftp', syn, { ct: fakeCt({ master }) }), true);
  assert.equal(m('-m helper --helper ftp', syn, { ct: fakeCt({ helperName: 'ftp' }) }), false);
  assert.equal(m('-m helper ! --helper sip', syn, { ct: fakeCt({ master }) }), true);
  assert.equal(m('-m helper ! --helper ftp', syn, { ct: null }), true);
});

test('addrtype asks the host for address types, limited to an interface when asked', () => {
  const seen: (string | null)[] = [];
  const addrType = (_f: 4 | 6, a: Uint32Array, dev: string | null): number => {
    seen.push(dev);
    return a[0] === 0x0a000264 ? 2 : 1;
  };
  assert.equal(m('-m addrtype --dst-type LOCAL', syn, { addrType }), true);
  assert.equal(m('-m addrtype --src-type LOCAL', syn, { addrType }), false);
  assert.equal(m('-m addrtype ! --src-type LOCAL,BROADCAST --limit-iface-in', syn, { addrType }), true);
  assert.deepEqual(seen, [null, null, 'r_cli']);
  assert.throws(() => m('-m addrtype --dst-type LOCAL', syn), /PacketContext\.addrType is not set/);
});

test('iprange, length, ttl, hl, tos, dscp', () => {
  assert.equal(m('-m iprange --src-range 10.0.1.50-10.0.1.150', syn), true);
  assert.equal(m('-m iprange ! --dst-range 10.0.2.1-10.0.2.99', syn), true);
  assert.equal(m(`-m length --length ${syn.length}`, syn), true);
  assert.equal(m('-m length ! --length 0:100', syn), false);
  assert.equal(m('-m ttl --ttl-eq 64', syn), true);
  assert.equal(m('-m ttl ! --ttl-eq 64', syn), false);
  assert.equal(m('-m ttl --ttl-lt 64', syn), false);
  assert.equal(m('-m ttl --ttl-gt 63', syn), true);
  const six = ipv6({ src: 'fd00:1::5', dst: 'fd00:2::5', hopLimit: 3, tc: 0xb8, payload: udp({ sport: 1, dport: 2 }) });
  assert.equal(m('-m hl --hl-lt 4', six, {}, 6), true);
  assert.equal(m('-m tos --tos 0x10', syn), true);
  assert.equal(m('-m tos --tos Minimize-Delay', syn), true);
  assert.equal(m('-m tos ! --tos 0x10/0xf0', syn), false);
  assert.equal(m('-m dscp --dscp 4', syn), true);
  assert.equal(m('-m dscp --dscp-class EF', six, {}, 6), true);
});

test('pkttype from the frame, mac from the Ethernet source', () => {
  const frame = ethernet({ src: '00:11:22:33:44:55', dst: 'ff:ff:ff:ff:ff:ff', payload: syn });
  assert.equal(m('-m pkttype --pkt-type broadcast', frame, {}, undefined), false);
  const r = ruleOf('-A INPUT -m pkttype --pkt-type broadcast -m mac --mac-source 00:11:22:33:44:55');
  assert.equal(ruleMatches(r, ctxFor(frame, {}, LinkType.ETHERNET)), true);
  assert.equal(ruleMatches(r, ctxFor(syn)), false);
  assert.equal(m('-m pkttype --pkt-type host', syn), true);
  assert.equal(m('-m pkttype --pkt-type multicast', syn, { pktType: 2 }), true);
  // a bare IP capture's packets came in frames to the host's own MAC: unicast whatever the IP destination
  const mcast = ipv4({ src: '10.0.1.100', dst: '224.0.0.1', payload: udp({ sport: 1, dport: 9 }) });
  assert.equal(m('-m pkttype --pkt-type unicast', mcast), true);
  const mframe = ethernet({ src: '00:11:22:33:44:55', dst: '01:00:5e:00:00:01', payload: mcast });
  assert.equal(ruleMatches(ruleOf('-A INPUT -m pkttype --pkt-type multicast'), ctxFor(mframe, {}, LinkType.ETHERNET)), true);
  assert.equal(m('-m mac ! --mac-source 00:11:22:33:44:55', syn), false);
});

test('owner: the local socket that sent the packet', () => {
  const o = (spec: string, over: object): boolean => ruleMatches(ruleOf(`-A OUTPUT ${spec}`, 'filter', 'OUTPUT'), ctxFor(syn, { iif: null, ...over }));
  assert.equal(o('-m owner --uid-owner 1000', { sock: { uid: 1000, gid: 100 } }), true);
  assert.equal(o('-m owner --uid-owner 0-999', { sock: { uid: 1000, gid: 100 } }), false);
  assert.equal(o('-m owner --gid-owner 5 --suppl-groups', { sock: { uid: 1, gid: 100, supplementaryGids: [5] } }), true);
  assert.equal(o('-m owner --socket-exists', { sock: null }), false);
  assert.equal(o('-m owner ! --socket-exists', { sock: null }), true);
  assert.equal(o('-m owner ! --socket-exists', { sock: { uid: 0, gid: 0 } }), false);
});

test('comment matches everything; string searches from the IP header; u32 reads words', () => {
  assert.equal(m('-m comment --comment "hi there"', syn), true);
  assert.equal(m('-m string --string "GET" --algo bm', dns), true);
  assert.equal(m('-m string --string "get" --algo kmp --icase', dns), true);
  assert.equal(m('-m string --string "GET" --algo bm --to 30', dns), false);
  assert.equal(m('-m string --string "GET" --algo bm --from 29 --to 31', dns), false);
  assert.equal(m('-m string --string "GET" --algo bm --from 28 --to 31', dns), true);
  assert.equal(m('-m string --hex-string "|47 45|T" --algo bm', dns), true);
  assert.equal(m('-m u32 --u32 "0>>22&0x3C@8=0x47455420"', dns), true);
  assert.equal(m('-m u32 --u32 "6&0xFF=17 && 12=0x0a000164"', dns), true);
  assert.equal(m('-m u32 ! --u32 "9&0xFF=6"', dns), true);
  assert.equal(m('-m u32 --u32 "0>>22&0x3C@1000=0"', dns), false);
  assert.throws(() => ruleOf('-A INPUT -m u32 --u32 "0="'), /u32: test ended with no value specified|value spec missing|not a number/);
});

test('sctp: ports and chunk types any/all/only with flags', () => {
  const s = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: sctp({ sport: 5000, dport: 36412, chunks: [{ type: 0, flags: 0x03, data: 'abcd' }, { type: 3 }] }) });
  assert.equal(m('-p sctp --dport 36412', s), true);
  assert.equal(m('-p sctp --chunk-types any INIT', s), false);
  assert.equal(m('-p sctp --chunk-types any DATA:BE', s), true);
  assert.equal(m('-p sctp --chunk-types any DATA:b', s), false);
  assert.equal(m('-p sctp --chunk-types all DATA,SACK', s), true);
  assert.equal(m('-p sctp --chunk-types only DATA', s), false);
  assert.equal(m('-p sctp ! --chunk-types only DATA', s), true);
});

test('limit: the nf_tables token bucket in virtual time', () => {
  const lim = matchOf('-m limit --limit 2/sec --limit-burst 3');
  const at = (t: number): boolean => lim.match(ctxFor(ping, { now: T0 + t }));
  assert.deepEqual([at(0), at(0), at(0), at(0)], [true, true, true, false]);
  assert.equal(at(0.4), false);
  assert.equal(at(0.6), true);
  assert.equal(at(10), true);
  assert.equal(matchOf('-m limit --limit 7/hour').save(), '-m limit --limit 7/hour');
  assert.equal(matchOf('-m limit --limit 5/sec --limit-burst 0').save(), '-m limit --limit 5/sec');
});

test('hashlimit: one bucket per key, shared by rules naming the same table', () => {
  const rs = new Ruleset();
  loadIptables(rs, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name t\n-A INPUT -m hashlimit --hashlimit-above 1/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name t\nCOMMIT\n');
  const [upto, above] = rs.chain(4, 'filter', 'INPUT')!.rules.map((r) => r.matches[0]!);
  const from = (src: string, t: number): ReturnType<typeof ctxFor> => ctxFor(ipv4({ src, dst: '10.0.2.100', payload: icmpEcho({ id: 1, seq: 1 }) }), { now: T0 + t });
  assert.equal(upto!.match(from('10.0.1.1', 0)), true);
  assert.equal(upto!.match(from('10.0.1.1', 0)), true);
  assert.equal(upto!.match(from('10.0.1.1', 0)), false);
  assert.equal(upto!.match(from('10.0.1.2', 0)), true);
  assert.equal(above!.match(from('10.0.1.1', 0.1)), true);
  assert.equal(upto!.match(from('10.0.1.1', 1.2)), true);
});

test('hashlimit: the kernel\'s u64 overflow check on rate x burst (checked against iptables on Linux 6.18), and slow rates counted exactly', () => {
  const load = (spec: string) => {
    const rs = new Ruleset();
    loadIptables(rs, `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m hashlimit ${spec} --hashlimit-name n\nCOMMIT\n`);
    return rs.chain(4, 'filter', 'INPUT')!.rules[0]!.matches[0]!;
  };
  // The credits of a full burst wrap in u64: the kernel refuses the rule when they fall below one packet's cost.
  assert.throws(() => load('--hashlimit-upto 1/day --hashlimit-burst 2'), /overflow, try lower/);
  assert.throws(() => load('--hashlimit-upto 1/day --hashlimit-burst 2k'), /overflow, try lower/);
  load('--hashlimit-upto 1/day --hashlimit-burst 100k');
  // "1kb/hour" is no byte rate (those end in b/s): 1 packet per hour, burst 2048 (r_match_hashlimit_3).
  const m = load('--hashlimit-above 1kb/hour --hashlimit-burst 2kb --hashlimit-mode dstip');
  const pkt = (t: number): ReturnType<typeof ctxFor> => ctxFor(ipv4({ src: '10.0.1.1', dst: '10.0.2.100', payload: icmpEcho({ id: 1, seq: 1 }) }), { now: T0 + t });
  for (let i = 0; i < 4; i++) assert.equal(m.match(pkt(i)), false, 'within the (wrapped) burst: not above');
  // One packet per hour with a burst of one: the second within the hour is over, one an hour later is not.
  const slow = load('--hashlimit-upto 1/hour --hashlimit-burst 1 --hashlimit-mode srcip');
  assert.equal(slow.match(pkt(0)), true);
  assert.equal(slow.match(pkt(1800)), false);
  assert.equal(slow.match(pkt(3601)), true);
});

test('recent: set, rcheck with seconds and hitcount, update, remove, shared lists', () => {
  const rs = new Ruleset();
  loadIptables(
    rs,
    '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m recent --set --name ssh\n-A INPUT -m recent --rcheck --seconds 60 --hitcount 3 --name ssh\n-A INPUT -m recent --update --seconds 10 --name ssh\n-A INPUT -m recent --remove --name ssh\n-A INPUT -m recent --rcheck --name ssh --rdest\nCOMMIT\n',
  );
  const [set, check, update, remove, dest] = rs.chain(4, 'filter', 'INPUT')!.rules.map((r) => r.matches[0]!);
  const at = (t: number): ReturnType<typeof ctxFor> => ctxFor(syn, { now: T0 + t });
  assert.equal(check!.match(at(0)), false);
  assert.equal(set!.match(at(0)), true);
  assert.equal(set!.match(at(1)), true);
  assert.equal(check!.match(at(2)), false);
  assert.equal(set!.match(at(3)), true);
  assert.equal(check!.match(at(4)), true);
  assert.equal(check!.match(at(70)), false);
  assert.equal(update!.match(at(70)), false);
  assert.equal(update!.match(at(5)), true);
  assert.equal(dest!.match(at(5)), false);
  assert.equal(remove!.match(at(6)), true);
  assert.equal(update!.match(at(6)), false);
});

test('connlimit: counts the connections it saw created, forgets those conntrack dropped', () => {
  const r = ruleOf('-A INPUT -p tcp -m connlimit --connlimit-above 1');
  const cl = r.matches[r.matches.length - 1]!;
  const live = new Set<number>();
  const ctFind = (t: { sport: number }): ReturnType<typeof fakeCt> | null => (live.has(t.sport) ? fakeCt() : null);
  const conn = (sport: number) => fakeCt({ orig: tuple(4, 6, [0x0a000164], [0x0a000264], sport, 22) });
  const pkt = (sport: number) => ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport, dport: 22 }) });
  assert.equal(cl.match(ctxFor(pkt(1000), { ct: conn(1000), ctFind, now: T0 })), false);
  live.add(1000);
  assert.equal(cl.match(ctxFor(pkt(1001), { ct: conn(1001), ctFind, now: T0 + 1 })), true);
  live.add(1001);
  const confirmed = fakeCt({ orig: tuple(4, 6, [0x0a000164], [0x0a000264], 1000, 22), status: CtStatus.CONFIRMED });
  assert.equal(cl.match(ctxFor(pkt(1000), { ct: confirmed, ctFind, now: T0 + 2 })), true);
  live.clear();
  assert.equal(cl.match(ctxFor(pkt(1002), { ct: conn(1002), ctFind, now: T0 + 3 })), false);
  assert.equal(cl.save(), '-m connlimit --connlimit-above 1 --connlimit-mask 32 --connlimit-saddr');
});

test('connlimit: the first packet of a key never seen records its connection even when confirmed (insert_tree; fuzz finding r_fuzz_70063_1)', () => {
  // A SYN-ACK (reply of a confirmed connection) from 10.0.2.201 meets --connlimit-saddr first:
  // the kernel creates the node for 10.0.2.201 with this connection (count 1: not above 1, no hotdrop).
  const r = ruleOf('-A INPUT -p tcp -m connlimit --connlimit-above 1');
  const cl = r.matches[r.matches.length - 1]!;
  const ctFind = (): ReturnType<typeof fakeCt> | null => fakeCt();
  const reply = ipv4({ src: '10.0.2.201', dst: '203.0.113.142', payload: tcp({ sport: 21, dport: 51074 }) });
  const ct = fakeCt({ orig: tuple(4, 6, [0xcb00718e], [0x0a0002c9], 51074, 21), status: CtStatus.CONFIRMED });
  const c1 = ctxFor(reply, { ct, ctFind, now: T0 });
  assert.equal(cl.match(c1), false);
  assert.equal(c1.hotdrop, undefined);
  // an existing key's list skips confirmed connections: a second confirmed one still counts 1
  const other = fakeCt({ orig: tuple(4, 6, [0xcb00718f], [0x0a0002c9], 51075, 21), status: CtStatus.CONFIRMED });
  assert.equal(cl.match(ctxFor(reply, { ct: other, ctFind, now: T0 + 1 })), false);
  // while a new (unconfirmed) connection from the same address is recorded: 2 > 1
  const fresh = fakeCt({ orig: tuple(4, 6, [0x0a0002c9], [0xcb00718e], 40000, 80) });
  assert.equal(cl.match(ctxFor(reply, { ct: fresh, ctFind, now: T0 + 2 })), true);
});

test('set: ipsets by dimension, nomatch and --return-nomatch, timeouts', () => {
  const rs = new Ruleset();
  rs.ipsets.load('create nets hash:net\nadd nets 10.0.0.0/8\nadd nets 10.0.2.0/24 nomatch\ncreate svc hash:ip,port\nadd svc 10.0.2.100,tcp:22\ncreate tmp hash:ip timeout 10\nadd tmp 10.0.1.100\n', { now: T0 });
  loadIptables(
    rs,
    '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set nets src\n-A INPUT -m set --match-set nets dst\n-A INPUT -m set --match-set nets dst --return-nomatch\n-A INPUT -m set --match-set svc dst,dst\n-A INPUT -m set --match-set svc dst\n-A INPUT -m set --match-set tmp src\nCOMMIT\n',
  );
  const ms = rs.chain(4, 'filter', 'INPUT')!.rules.map((r) => r.matches[0]!);
  const ctx = ctxFor(syn);
  assert.deepEqual(
    ms.map((x) => x.match(ctx)),
    [true, false, true, true, false, true],
  );
  assert.equal(ms[5]!.match(ctxFor(syn, { now: T0 + 11 })), false);
  assert.throws(() => loadIptables(new Ruleset(), '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set nope src\nCOMMIT\n'), /Set nope doesn't exist\./);
});

test('ecn: the IP ECN field and the TCP CWR/ECE flags, each negatable; needs -p tcp for the flags', () => {
  const ce = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', tos: 0x2b, payload: tcp({ sport: 1, dport: 2, flags: 'SEC' }) });
  const plain = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', tos: 0x28, payload: tcp({ sport: 1, dport: 2, flags: 'S' }) });
  assert.equal(m('-m ecn --ecn-ip-ect 3', ce), true);
  assert.equal(m('-m ecn --ecn-ip-ect 0', ce), false);
  assert.equal(m('-m ecn ! --ecn-ip-ect 0', ce), true);
  assert.equal(m('-p tcp -m ecn --ecn-tcp-cwr --ecn-tcp-ece', ce), true);
  assert.equal(m('-p tcp -m ecn --ecn-tcp-cwr', plain), false);
  assert.equal(m('-p tcp -m ecn ! --ecn-tcp-cwr ! --ecn-tcp-ece --ecn-ip-ect 0', plain), true);
  const v6 = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', tc: 0x01, payload: tcp({ sport: 1, dport: 2, flags: 'E' }) });
  assert.equal(m('-p tcp -m ecn --ecn-ip-ect 1 --ecn-tcp-ece', v6, {}, 6), true);
  assert.equal(matchOf('-p tcp -m ecn ! --ecn-tcp-cwr --ecn-tcp-ece ! --ecn-ip-ect 3').save(), '-m ecn --ecn-tcp-ece ! --ecn-tcp-cwr ! --ecn-ip-ect 3');
  assert.throws(() => matchOf('-m ecn --ecn-tcp-ece'), /:1?\d+:\d+: ecn --ecn-tcp-cwr\/--ecn-tcp-ece requires '-p tcp'/);
  assert.throws(() => matchOf('-m ecn'), /ECN match: some option required/);
});

test('tcpmss: the MSS option within the range; no MSS option matches only negated; a cut header drops', () => {
  const noMss = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 1, dport: 2, flags: 'S', options: { wscale: 7 } }) });
  const small = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 1, dport: 2, flags: 'S', options: { raw: Uint8Array.from([1, 1, 2, 4, 2, 0]) } }) });
  assert.equal(m('-p tcp -m tcpmss --mss 1460', syn), true);
  assert.equal(m('-p tcp -m tcpmss --mss 1:535', syn), false);
  assert.equal(m('-p tcp -m tcpmss --mss 1:535', small), true);
  assert.equal(m('-p tcp -m tcpmss ! --mss 1:535', syn), true);
  assert.equal(m('-p tcp -m tcpmss --mss 1:65535', noMss), false);
  assert.equal(m('-p tcp -m tcpmss ! --mss 1:65535', noMss), true);
  assert.equal(m('-p tcp -m tcpmss --mss 1460', ack), false);
  const cut = syn.slice(0, 30);
  cut[3] = 30;
  const ctx = ctxFor(cut, { iif: 'r_cli', oif: null });
  assert.equal(matchOf('-p tcp -m tcpmss --mss 1460').match(ctx), false);
  assert.equal(ctx.hotdrop, true);
  assert.equal(matchOf('-p tcp -m tcpmss --mss 1000:').save(), '-m tcpmss --mss 1000:65535');
  assert.equal(matchOf('-p tcp -m tcpmss ! --mss 1:535').list(), ' tcpmss match !1:535');
  assert.throws(() => matchOf('-m tcpmss --mss 3'), /tcpmss match requires '-p tcp'/);
  assert.throws(() => matchOf('-p tcp -m tcpmss --mss 5:3'), /tcpmss: invalid range given/);
});

test('statistic nth: packet P of every N matches first, counting per rule; negation', () => {
  const nth = matchOf('-m statistic --mode nth --every 3 --packet 0');
  const ctx = ctxFor(dns);
  assert.deepEqual(Array.from({ length: 7 }, () => nth.match(ctx)), [true, false, false, true, false, false, true]);
  const late = matchOf('-m statistic --mode nth ! --every 4 --packet 2');
  assert.deepEqual(Array.from({ length: 6 }, () => late.match(ctx)), [true, true, false, true, true, true]);
  assert.equal(late.save(), '-m statistic --mode nth ! --every 4 --packet 2');
  assert.equal(matchOf('-m statistic --mode nth --every 3 --packet 0').list(), ' statistic mode nth every 3');
  assert.throws(() => matchOf('-m statistic --mode nth --every 3 --packet 3'), /the --packet p must be 0 <= p <= n-1/);
  assert.throws(() => matchOf('-m statistic --every 3 --packet 0'), /--probability must be specified when using random mode/);
  assert.throws(() => matchOf('-m statistic --mode nth --every 1'), /statistic: option "--every" also requires "--packet"\./);
});

test('statistic random: a 31-bit probability, printed as iptables does, from a deterministic generator', () => {
  assert.equal(matchOf('-m statistic --mode random --probability 0.000244140625').save(), '-m statistic --mode random --probability 0.00024414062');
  assert.equal(matchOf('-m statistic --mode random --probability 0x1p-3').save(), '-m statistic --mode random --probability 0.12500000000');
  assert.equal(matchOf('-m statistic --mode random --probability 0.3333333333333').save(), '-m statistic --mode random --probability 0.33333333349');
  const always = matchOf('-m statistic --mode random --probability 1');
  const never = matchOf('-m statistic --mode random ! --probability 1');
  const half = matchOf('-m statistic --mode random --probability 0.5');
  const ctx = ctxFor(dns);
  let hits = 0;
  for (let i = 0; i < 2000; i++) {
    assert.equal(always.match(ctx), true);
    assert.equal(never.match(ctx), false);
    if (half.match(ctx)) hits++;
  }
  assert.ok(hits > 850 && hits < 1150, `${hits} of 2000`);
  const again = (): boolean[] => {
    const r = matchOf('-m statistic --mode random --probability 0.5');
    return Array.from({ length: 20 }, () => r.match(ctx));
  };
  assert.deepEqual(again(), again());
});

test('quota: takes each packet from a 64-bit byte budget until one does not fit, then never matches', () => {
  const q = matchOf('-m quota --quota 200');
  const ctx = ctxFor(dns);
  const len = ctx.pkt.ipTotalLen;
  const fits = Math.floor(200 / len);
  const seq = Array.from({ length: fits + 2 }, () => q.match(ctx));
  assert.deepEqual(seq, [...Array<boolean>(fits).fill(true), false, false]);
  const inv = matchOf('-m quota ! --quota 0x10');
  assert.equal(inv.match(ctx), true);
  assert.equal(inv.save(), '-m quota ! --quota 16');
  assert.equal(inv.list(), ' quota: 16 bytes');
  const big = matchOf('-m quota --quota 18446744073709551615');
  assert.equal(big.match(ctx), true);
  assert.equal(big.save(), '-m quota --quota 18446744073709551615');
  const borrow = matchOf('-m quota --quota 4294967296');
  assert.equal(borrow.match(ctx), true);
  assert.equal((borrow as unknown as { remaining(): bigint }).remaining(), 4294967296n - BigInt(len));
  assert.throws(() => matchOf('-m quota --quota 18446744073709551616'), /quota: bad value for option "--quota", or out of range \(0-18446744073709551615\)\./);
});
