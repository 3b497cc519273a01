/**
 * Walking a hook's chain: rule order, counters and traces, jumps, gotos, RETURN, user chains
 * falling back to the caller, policies, actions, hotdrop, and chains the ruleset never created.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4, tcp, udp } from '../../src/packet/build.js';
import { ACCEPT, DROP, runChain } from '../../src/rules/eval.js';
import { ctxFor, rules } from './helpers.js';

const F = ':INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]';
const pkt = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: tcp({ sport: 40000, dport: 25, flags: 'S' }) });

function walk(ruleText: string, over = {}) {
  const rs = rules(`*filter\n${F}\n${ruleText}\nCOMMIT\n`);
  const trace: string[] = [];
  const ctx = ctxFor(pkt, over);
  const v = runChain(rs, 4, 'filter', 'FORWARD', ctx, trace);
  return { rs, trace, v, ctx };
}

test('rules are tried in order; a matching rule counts packets and bytes and traces', () => {
  const { rs, trace, v } = walk('-A FORWARD -p udp -j ACCEPT\n-A FORWARD -p tcp -j ACCEPT\n-A FORWARD -j DROP');
  assert.equal(v, ACCEPT);
  assert.deepEqual(trace, ['filter FORWARD 2']);
  const r = rs.chain(4, 'filter', 'FORWARD')!.rules;
  assert.deepEqual(r[0]!.counters, { packets: 0, bytes: 0 });
  assert.deepEqual(r[1]!.counters, { packets: 1, bytes: pkt.length });
});

test('the policy decides at the end of the chain, counted and traced', () => {
  const { rs, trace, v } = walk('-A FORWARD -p udp -j ACCEPT');
  assert.equal(v, DROP);
  assert.deepEqual(trace, ['filter FORWARD policy']);
  assert.deepEqual(rs.chain(4, 'filter', 'FORWARD')!.counters, { packets: 1, bytes: pkt.length });
});

test('non-terminal targets and rules without target count and go on', () => {
  const { trace, v, ctx } = walk('-A FORWARD -j LOG --log-prefix "x: "\n-A FORWARD -p tcp\n-A FORWARD -j MARK --set-mark 7\n-A FORWARD -m mark --mark 7 -j ACCEPT');
  assert.equal(v, ACCEPT);
  assert.deepEqual(trace, ['filter FORWARD 1', 'filter FORWARD 2', 'filter FORWARD 3', 'filter FORWARD 4']);
  assert.equal(ctx.mark, 7);
  assert.equal(ctx.log.length, 1);
});

test('a user chain returns to the rule after the jump: by RETURN (counted) or by running off its end', () => {
  const text = '-N LAN_OUT\n-A FORWARD -i r_cli -j LAN_OUT\n-A FORWARD -j LOG\n-A LAN_OUT -p udp -j ACCEPT\n-A LAN_OUT -j RETURN\n-A LAN_OUT -j ACCEPT';
  const a = walk(text);
  assert.equal(a.v, DROP);
  assert.deepEqual(a.trace, ['filter FORWARD 1', 'filter LAN_OUT 2', 'filter FORWARD 2', 'filter FORWARD policy']);
  const b = walk('-N EMPTYISH\n-A FORWARD -j EMPTYISH\n-A FORWARD -j ACCEPT\n-A EMPTYISH -p udp -j DROP');
  assert.equal(b.v, ACCEPT);
  assert.deepEqual(b.trace, ['filter FORWARD 1', 'filter FORWARD 2']);
});

test('the kernel-recorded LAN_OUT sequence (gen_0021): REJECT in a user chain hands the action over', () => {
  const { trace, v } = walk(
    '-N LAN_OUT\n-A FORWARD -m conntrack --ctstate INVALID -j DROP\n-A FORWARD -i r_cli -j LAN_OUT\n-A LAN_OUT -p tcp -m multiport --dports 25,465,587 -j REJECT --reject-with tcp-reset\n-A LAN_OUT -j RETURN',
  );
  assert.deepEqual(v, { kind: 'reject', with: 'tcp-reset' });
  assert.deepEqual(trace, ['filter FORWARD 2', 'filter LAN_OUT 1']);
});

test('goto does not come back: the end of the gone-to chain returns to the caller\'s caller', () => {
  const text = '-N A\n-N B\n-A FORWARD -j A\n-A FORWARD -j ACCEPT\n-A A -g B\n-A A -j DROP\n-A B -p udp -j DROP';
  const { trace, v } = walk(text);
  assert.equal(v, ACCEPT);
  assert.deepEqual(trace, ['filter FORWARD 1', 'filter A 1', 'filter FORWARD 2']);
  const g = walk('-N B\n-A FORWARD -g B\n-A FORWARD -j ACCEPT\n-A B -j RETURN');
  assert.equal(g.v, DROP);
  assert.deepEqual(g.trace, ['filter FORWARD 1', 'filter B 1', 'filter FORWARD policy']);
});

test('RETURN in a built-in chain ends it: the policy decides', () => {
  const { trace, v } = walk('-A FORWARD -j RETURN\n-A FORWARD -j ACCEPT');
  assert.equal(v, DROP);
  assert.deepEqual(trace, ['filter FORWARD 1', 'filter FORWARD policy']);
});

test('nested jumps unwind in order', () => {
  const { trace, v } = walk('-N A\n-N B\n-N C\n-A FORWARD -j A\n-A FORWARD -j ACCEPT\n-A A -j B\n-A A -j LOG\n-A B -j C\n-A B -j RETURN\n-A C -p tcp');
  assert.equal(v, ACCEPT);
  assert.deepEqual(trace, ['filter FORWARD 1', 'filter A 1', 'filter B 1', 'filter C 1', 'filter B 2', 'filter A 2', 'filter FORWARD 2']);
});

test('NAT targets hand a NatSpec to the pipeline', () => {
  const rs = rules('*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 25 -j DNAT --to-destination 10.0.2.9:2525\nCOMMIT\n');
  const trace: string[] = [];
  const v = runChain(rs, 4, 'nat', 'PREROUTING', ctxFor(pkt, { iif: 'r_wan', oif: null }), trace);
  assert.equal(v.kind, 'nat');
  assert.deepEqual(trace, ['nat PREROUTING 1']);
  const post = runChain(rs, 4, 'nat', 'POSTROUTING', ctxFor(pkt), trace);
  assert.equal(post, ACCEPT);
  assert.deepEqual(trace, ['nat PREROUTING 1', 'nat POSTROUTING policy']);
});

test('a chain the ruleset never created is not hooked: ACCEPT, nothing traced', () => {
  const rs = rules('*filter\n:INPUT DROP [0:0]\nCOMMIT\n');
  const trace: string[] = [];
  assert.equal(runChain(rs, 4, 'filter', 'FORWARD', ctxFor(pkt), trace), ACCEPT);
  assert.equal(runChain(rs, 4, 'mangle', 'FORWARD', ctxFor(pkt), trace), ACCEPT);
  assert.equal(runChain(rs, 6, 'filter', 'INPUT', ctxFor(pkt), trace), ACCEPT);
  assert.deepEqual(trace, []);
  assert.equal(runChain(rs, 4, 'filter', 'INPUT', ctxFor(pkt), trace), DROP);
  assert.deepEqual(trace, ['filter INPUT policy']);
});

test('a match that finds the packet malformed drops it without counting the rule (hotdrop), the rule named as the verdict', () => {
  // iptables-nft reports the rule with verdict drop (r_hotdrop_udp_2, r_match_tcp_3); its counter is not reached.
  const truncated = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: udp({ sport: 1, dport: 2 }) }).subarray(0, 24);
  const rs = rules(`*filter\n${F}\n-A FORWARD -p udp -m udp -j ACCEPT\n-A FORWARD -j ACCEPT\nCOMMIT\n`);
  const trace: string[] = [];
  const ctx = ctxFor(truncated);
  assert.equal(runChain(rs, 4, 'filter', 'FORWARD', ctx, trace), DROP);
  assert.deepEqual(trace, ['filter FORWARD 1']);
  assert.equal(rs.chain(4, 'filter', 'FORWARD')!.rules[0]!.counters.packets, 0);
  assert.equal(ctx.hotdrop, false);
});

test('IPv6 chains count the whole IPv6 packet', async () => {
  const { ipv6 } = await import('../../src/packet/build.js');
  const p6 = ipv6({ src: 'fd00:1::5', dst: 'fd00:2::5', payload: tcp({ sport: 1, dport: 2 }) });
  const rs = rules(`*filter\n${F}\n-A FORWARD -s fd00:1::/64 -j ACCEPT\nCOMMIT\n`, { family: 6 });
  const trace: string[] = [];
  assert.equal(runChain(rs, 6, 'filter', 'FORWARD', ctxFor(p6), trace), ACCEPT);
  assert.deepEqual(rs.chain(6, 'filter', 'FORWARD')!.rules[0]!.counters, { packets: 1, bytes: p6.length });
});

test('evaluation allocates no verdict objects: the same ACCEPT/DROP/action instances come back', () => {
  const rs = rules(`*filter\n${F}\n-A FORWARD -p tcp -j REJECT\nCOMMIT\n`);
  const a = runChain(rs, 4, 'filter', 'FORWARD', ctxFor(pkt), null);
  const b = runChain(rs, 4, 'filter', 'FORWARD', ctxFor(pkt), null);
  assert.equal(a, b);
  assert.deepEqual(a, { kind: 'reject', with: 'icmp-port-unreachable' });
});
