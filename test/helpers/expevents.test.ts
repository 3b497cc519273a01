/**
 * CT --expevents: the expectation events of a connection's helper are reported only for the
 * listed types (the kernel's per-connection expmask); without the option, all of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, seg, TcpConv } from './support.js';

const C = '10.0.1.100';
const S = '10.0.2.100';
const isExp = (l: string) => / proto=6 .*helper=ftp/.test(l) && /mask-src=/.test(l);

function transfer(ct: string, events = 1): { port: string[]; data: string[] } {
  const r = new Router(ct, { sysctl: { 'net.netfilter.nf_conntrack_events': events } });
  const f = new TcpConv(r, C, 40000, S, 21);
  f.client('USER anonymous\r\n');
  const port = f.client('PORT 10,0,1,100,195,80\r\n');
  const data = r.recv('r_srv', seg(S, 20, C, 50000, 9000, 0, 'S'), 2);
  return { port: port.allEvents.filter(isExp), data: data.allEvents.filter(isExp) };
}

test('without --expevents the expectation is reported when made and when used', () => {
  const t = transfer('-p tcp --dport 21 -j CT --helper ftp');
  assert.equal(t.port.length, 1);
  assert.match(t.port[0]!, /^\s*\[NEW\]/);
  assert.equal(t.data.length, 1);
  assert.match(t.data[0]!, /^\[DESTROY\]/);
});

test('--expevents new keeps the NEW expectation event and drops the DESTROY (nf_conntrack_events=1)', () => {
  const t = transfer('-p tcp --dport 21 -j CT --helper ftp --expevents new');
  assert.equal(t.port.length, 1);
  assert.deepEqual(t.data, []);
});

test('with nf_conntrack_events=2 (the default) the template has no event masks: every expectation event is reported', () => {
  // The CT template gets its event cache when the rule is loaded, before anyone listens.
  const t = transfer('-p tcp --dport 21 -j CT --helper ftp --expevents new', 2);
  assert.equal(t.port.length, 1);
  assert.equal(t.data.length, 1);
});
