/**
 * Each target: what it does to the packet context or bytes, the verdict it gives, and for
 * REJECT and the NAT targets the action the pipeline receives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyIpv4Header, verifyL4Checksum } from '../../src/packet/checksum.js';
import { ethernet, icmpEcho, ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { LinkType } from '../../src/packet/view.js';
import { Verdict } from '../../src/rules/model.js';
import { NatFlag, natManip, netmapAddress, type NatSpec } from '../../src/rules/nat-spec.js';
import { Hook } from '../../src/netfilter/context.js';
import { ctxFor, fakeCt, targetOf } from './helpers.js';

const syn = () => ipv4({ src: '10.0.1.100', dst: '10.0.2.100', ttl: 64, id: 4321, df: true, payload: tcp({ sport: 40000, dport: 22, flags: 'S', win: 64240, options: { mss: 1460 } }) });

test('REJECT hands over its type; every IPv4 and IPv6 type and alias', () => {
  const t = targetOf('-j REJECT');
  assert.equal(t.run(ctxFor(syn())), Verdict.ACTION);
  assert.deepEqual(t.action, { kind: 'reject', with: 'icmp-port-unreachable' });
  const v4: [string, string][] = [
    ['icmp-net-unreachable', 'icmp-net-unreachable'],
    ['host-unreach', 'icmp-host-unreachable'],
    ['icmp-proto-unreachable', 'icmp-proto-unreachable'],
    ['port-unreach', 'icmp-port-unreachable'],
    ['net-prohib', 'icmp-net-prohibited'],
    ['icmp-host-prohibited', 'icmp-host-prohibited'],
    ['icmp-admin-prohibited', 'icmp-admin-prohibited'],
    ['icmp-n', 'icmp-net-unreachable'],
  ];
  for (const [given, canonical] of v4) assert.deepEqual(targetOf(`-j REJECT --reject-with ${given}`).action, { kind: 'reject', with: canonical });
  assert.deepEqual(targetOf('-p tcp -j REJECT --reject-with tcp-rst').action, { kind: 'reject', with: 'tcp-reset' });
  const v6 = ['icmp6-no-route', 'icmp6-adm-prohibited', 'icmp6-addr-unreachable', 'icmp6-port-unreachable', 'icmp6-policy-fail', 'icmp6-reject-route'];
  for (const w of v6) assert.deepEqual(targetOf(`-j REJECT --reject-with ${w}`, 'filter', 'INPUT', 6).action, { kind: 'reject', with: w });
  assert.deepEqual(targetOf('-j REJECT', 'filter', 'INPUT', 6).action, { kind: 'reject', with: 'icmp6-port-unreachable' });
  assert.throws(() => targetOf('-j REJECT --reject-with echo-reply'), /unknown reject type "echo-reply"/);
});

test('LOG writes the kernel\'s packet line and goes on', () => {
  const ctx = ctxFor(syn(), { iif: 'r_cli', oif: 'r_srv', mark: 0x2a });
  assert.equal(targetOf('-j LOG --log-prefix "FWD-DROP: "', 'filter', 'FORWARD').run(ctx), Verdict.CONTINUE);
  assert.equal(
    ctx.log[0],
    'FWD-DROP: IN=r_cli OUT=r_srv MAC= SRC=10.0.1.100 DST=10.0.2.100 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4321 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 MARK=0x2a ',
  );
  const frame = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', payload: syn() });
  const e = ctxFor(frame, { iif: 'r_cli', oif: null }, LinkType.ETHERNET);
  targetOf('-j LOG --log-tcp-sequence --log-tcp-options --log-uid').run(e);
  assert.equal(
    e.log[0],
    'IN=r_cli OUT= MAC=02:00:00:00:00:02:02:00:00:00:00:01:08:00 SRC=10.0.1.100 DST=10.0.2.100 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4321 DF PROTO=TCP SPT=40000 DPT=22 SEQ=0 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B4) ',
  );
  const m = ctxFor(frame, { iif: 'r_cli', oif: null }, LinkType.ETHERNET);
  targetOf('-j LOG --log-macdecode').run(m);
  assert.match(m.log[0]!, /^IN=r_cli OUT= MACSRC=02:00:00:00:00:01 MACDST=02:00:00:00:00:02 MACPROTO=0800 SRC=/);
});

test('LOG of UDP, ICMP (with the quoted packet of an error) and IPv6', () => {
  const u = ctxFor(ipv4({ src: '10.0.1.100', dst: '10.0.2.53', ttl: 63, payload: udp({ sport: 5353, dport: 53, payload: 'abcd' }) }), { iif: null, oif: 'r_srv' });
  targetOf('-j LOG', 'filter', 'OUTPUT').run(u);
  assert.equal(u.log[0], 'IN= OUT=r_srv SRC=10.0.1.100 DST=10.0.2.53 LEN=32 TOS=0x00 PREC=0x00 TTL=63 ID=0 PROTO=UDP SPT=5353 DPT=53 LEN=12 ');
  const p = ctxFor(ipv4({ src: '10.0.1.100', dst: '10.0.2.100', tos: 0xb8, payload: icmpEcho({ id: 7, seq: 3 }) }), { iif: 'r_cli', oif: 'r_srv' });
  targetOf('-j LOG', 'filter', 'FORWARD').run(p);
  assert.match(p.log[0]!, /TOS=0x18 PREC=0xA0 TTL=64 ID=0 PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=3 $/);
  const six = ctxFor(ipv6({ src: 'fd00:1::5', dst: 'fd00:2::5', tc: 0x10, hopLimit: 9, flowLabel: 7, payload: udp({ sport: 1, dport: 2 }) }), { iif: 'r_cli', oif: 'r_srv' });
  targetOf('-j LOG --log-prefix "v6 "', 'filter', 'FORWARD', 6).run(six);
  assert.equal(
    six.log[0],
    'v6 IN=r_cli OUT=r_srv MAC= SRC=fd00:0001:0000:0000:0000:0000:0000:0005 DST=fd00:0002:0000:0000:0000:0000:0000:0005 LEN=48 TC=16 HOPLIMIT=9 FLOWLBL=7 PROTO=UDP SPT=1 DPT=2 LEN=8 ',
  );
});

test('NFLOG hands the same description to the log', () => {
  const ctx = ctxFor(syn());
  assert.equal(targetOf('-j NFLOG --nflog-prefix "nf: " --nflog-group 3').run(ctx), Verdict.CONTINUE);
  assert.match(ctx.log[0]!, /^nf: IN=r_cli OUT=r_wan MAC= SRC=10\.0\.1\.100/);
});

test('MARK: set-xmark, set-mark, and/or/xor', () => {
  const run = (spec: string, mark: number): number => {
    const ctx = ctxFor(syn(), { mark });
    targetOf(`-j MARK ${spec}`).run(ctx);
    return ctx.mark;
  };
  assert.equal(run('--set-xmark 0x1/0xffffffff', 0xff), 0x1);
  assert.equal(run('--set-xmark 0x3/0x1', 0xf0), 0xf3);
  assert.equal(run('--set-mark 0x5/0xf', 0xff), 0xf5);
  assert.equal(run('--and-mark 0x0f', 0xff), 0x0f);
  assert.equal(run('--or-mark 0x100', 0x1), 0x101);
  assert.equal(run('--xor-mark 0x3', 0x1), 0x2);
  assert.equal(targetOf('-j MARK --set-mark 1').save(), '-j MARK --set-xmark 0x1/0xffffffff');
  assert.throws(() => targetOf('-j MARK --set-mark 1 --or-mark 2'), /MARK: option "--or-mark" cannot be used together with "--set-mark"\./);
});

test('CONNMARK: set on the connection, save and restore with masks and shifts', () => {
  const ct = fakeCt({ mark: 0x10 });
  const ctx = ctxFor(syn(), { ct, mark: 0xab });
  targetOf('-j CONNMARK --save-mark --mask 0x0f').run(ctx);
  assert.equal(ct.mark, 0x1b);
  ctx.mark = 0xff00;
  targetOf('-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf0').run(ctx);
  assert.equal(ctx.mark, 0xff10);
  targetOf('-j CONNMARK --set-xmark 0x1/0x3 --left-shift-mark 4').run(ctx);
  assert.equal(ct.mark, ((0x1b & ~0x3) ^ 0x1) << 4);
  const none = ctxFor(syn(), { ct: null, mark: 5 });
  assert.equal(targetOf('-j CONNMARK --restore-mark').run(none), Verdict.CONTINUE);
  assert.equal(none.mark, 5);
  let writes = 0;
  const watched = { ...fakeCt({ mark: 7 }) };
  let mark = 7;
  Object.defineProperty(watched, 'mark', { get: () => mark, set: (v: number) => { writes++; mark = v; } });
  targetOf('-j CONNMARK --set-mark 7').run(ctxFor(syn(), { ct: watched }));
  assert.equal(writes, 0);
});

test('CT and NOTRACK set the template fields; the first CT target of a packet wins', () => {
  const ctx = ctxFor(syn(), { iif: 'r_cli', oif: null, mark: 0x10005 });
  targetOf('-p tcp -j CT --helper ftp --zone-orig mark --ctevents new,destroy --expevents new', 'raw', 'PREROUTING').run(ctx);
  assert.equal(ctx.ctHelper, 'ftp');
  assert.equal(ctx.ctZone, 5);
  assert.equal(ctx.ctZoneDir, 1);
  assert.equal(ctx.ctEvents, (1 << 0) | (1 << 2));
  assert.equal(ctx.ctExpEvents, 1);
  targetOf('-j NOTRACK', 'raw', 'PREROUTING').run(ctx);
  assert.equal(ctx.notrack, false);
  const n = ctxFor(syn(), { iif: 'r_cli', oif: null });
  targetOf('-j CT --notrack', 'raw', 'PREROUTING').run(n);
  assert.equal(n.notrack, true);
  assert.throws(() => targetOf('-j CT --helper ftp', 'raw', 'PREROUTING'), /You must specify a L4 protocol/);
  assert.throws(() => targetOf('-p udp -j CT --helper ftp', 'raw', 'PREROUTING'), /No such helper "ftp" for protocol udp/);
  // Timeout policies live on the host (HOST.json ct_timeout): the rule loads and names one.
  assert.match(targetOf('-j CT --timeout t1', 'raw', 'PREROUTING').save(), /--timeout t1/);
});

test('TCPMSS lowers the MSS option in place with a correct checksum, never raises it', () => {
  const ctx = ctxFor(syn());
  assert.equal(targetOf('-p tcp -j TCPMSS --set-mss 1360', 'mangle', 'FORWARD').run(ctx), Verdict.CONTINUE);
  assert.equal(ctx.pkt.tcpMss, 1360);
  assert.ok(verifyL4Checksum(ctx.pkt));
  const high = ctxFor(syn());
  targetOf('-p tcp -j TCPMSS --set-mss 1500', 'mangle', 'FORWARD').run(high);
  assert.equal(high.pkt.tcpMss, 1460);
});

test('TCPMSS adds an MSS option (at most 536) to a SYN without one; clamp uses the route MTUs', () => {
  const bare = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 1, dport: 2, flags: 'S' }) });
  const ctx = ctxFor(bare);
  targetOf('-p tcp -j TCPMSS --set-mss 1360', 'mangle', 'FORWARD').run(ctx);
  assert.equal(ctx.pkt.tcpMss, 536);
  assert.equal(ctx.pkt.ipTotalLen, bare.length + 4);
  assert.ok(verifyIpv4Header(ctx.pkt.buf, 0, 20));
  assert.ok(verifyL4Checksum(ctx.pkt));
  const clamp = ctxFor(syn(), { routeMtu: (_f: 4 | 6, a: Uint32Array) => (a[0] === 0x0a000264 ? 1400 : 1500) });
  targetOf('-p tcp -j TCPMSS --clamp-mss-to-pmtu', 'mangle', 'FORWARD').run(clamp);
  assert.equal(clamp.pkt.tcpMss, 1360);
  assert.throws(() => targetOf('-p tcp -j TCPMSS --clamp-mss-to-pmtu', 'mangle', 'INPUT'), /TCPMSS target is not valid in chain INPUT/);
});

test('TTL, HL, DSCP, TOS rewrite the header (IPv4 checksum kept right)', () => {
  const run = (spec: string, family: 4 | 6 = 4) => {
    const bytes = family === 4 ? syn() : ipv6({ src: 'fd00:1::1', dst: 'fd00:2::1', hopLimit: 64, tc: 0x01, payload: udp({ sport: 1, dport: 2 }) });
    const ctx = ctxFor(bytes);
    targetOf(spec, 'mangle', 'FORWARD', family).run(ctx);
    if (family === 4) assert.ok(verifyIpv4Header(ctx.pkt.buf, 0, 20));
    return ctx.pkt;
  };
  assert.equal(run('-j TTL --ttl-set 5').ttl, 5);
  assert.equal(run('-j TTL --ttl-dec 100').ttl, 0);
  assert.equal(run('-j TTL --ttl-inc 250').ttl, 255);
  assert.equal(run('-j HL --hl-dec 1', 6).ttl, 63);
  assert.equal(run('-j DSCP --set-dscp-class EF').tos, 0xb8);
  assert.equal(run('-j DSCP --set-dscp 10', 6).tos, (10 << 2) | 0x01);
  assert.equal(run('-j TOS --set-tos 0x10/0x3f').tos, 0x10);
  assert.equal(run('-j TOS --or-tos 0x04', 6).tos, 0x05);
  assert.throws(() => targetOf('-j TTL --ttl-set 5', 'filter', 'INPUT'), /TTL is only valid in the mangle table/);
});

test('CLASSIFY sets the priority, TRACE the trace flag, CHECKSUM goes on', () => {
  const ctx = ctxFor(syn());
  targetOf('-j CLASSIFY --set-class 1:a', 'mangle', 'POSTROUTING').run(ctx);
  assert.equal(ctx.priority, 0x1000a);
  targetOf('-j TRACE', 'raw', 'PREROUTING').run(ctx);
  assert.equal(ctx.nfTrace, true);
  assert.equal(targetOf('-j CHECKSUM --checksum-fill', 'mangle', 'POSTROUTING').run(ctx), Verdict.CONTINUE);
});

test('NAT targets build the NatSpec the NAT engine carries out', () => {
  const spec = (rule: string, chain = 'PREROUTING'): NatSpec => (targetOf(rule, 'nat', chain).action as { kind: 'nat'; nat: NatSpec }).nat;
  const d = spec('-p tcp -j DNAT --to-destination 10.0.2.1-10.0.2.9:8000-8100/8050 --persistent');
  assert.equal(d.kind, 'DNAT');
  assert.equal(d.flags, NatFlag.MAP_IPS | NatFlag.PROTO_SPECIFIED | NatFlag.PROTO_OFFSET | NatFlag.PERSISTENT);
  assert.deepEqual([d.minAddr[0], d.maxAddr[0], d.minPort, d.maxPort, d.basePort], [0x0a000201, 0x0a000209, 8000, 8100, 8050]);
  const s = spec('-p udp -j SNAT --to-source 203.0.113.1:1024-2047 --random-fully', 'POSTROUTING');
  assert.equal(s.flags, NatFlag.MAP_IPS | NatFlag.PROTO_SPECIFIED | NatFlag.PROTO_RANDOM_FULLY);
  const m = spec('-j MASQUERADE', 'POSTROUTING');
  assert.deepEqual([m.kind, m.flags], ['MASQUERADE', 0]);
  const r = spec('-p tcp -j REDIRECT --to-ports 3128');
  assert.deepEqual([r.kind, r.flags, r.minPort, r.maxPort], ['REDIRECT', NatFlag.PROTO_SPECIFIED, 3128, 3128]);
  const n = spec('-j NETMAP --to 10.5.0.0/24');
  assert.equal(natManip(n, Hook.PREROUTING), 'dst');
  assert.equal(natManip(n, Hook.POSTROUTING), 'src');
  const out = new Uint32Array(4);
  netmapAddress(n, [0xc6336407, 0, 0, 0], out);
  assert.equal(out[0], 0x0a050007);
  const six = (targetOf('-p tcp -j DNAT --to-destination [fd00:2::100]:8080', 'nat', 'PREROUTING', 6).action as { nat: NatSpec }).nat;
  assert.deepEqual([six.family, six.minPort, six.minAddr[0]], [6, 8080, 0xfd000002]);
  assert.throws(() => targetOf('-j DNAT --to-destination 1.2.3.4:80', 'nat', 'PREROUTING'), /Need TCP, UDP, SCTP or DCCP with port specification/);
  assert.throws(() => targetOf('-p tcp -j REDIRECT --to-ports 80:90', 'nat', 'PREROUTING'), /Invalid port:port syntax - use dash/);
  assert.throws(() => targetOf('-p tcp -j DNAT --to-destination 1.2.3.4:80:90', 'nat', 'PREROUTING'), /Bad IP address "1\.2\.3\.4:80:90"/);
  assert.throws(() => targetOf('-j SNAT --to-source 010.1.1.1', 'nat', 'POSTROUTING'), /Bad IP address "010\.1\.1\.1"/);
});
