/**
 * Properties: iptables-save text reads back to the same text, quoting survives the restore
 * splitter, and nf_tables' rewriting of port ranges keeps the x_tables meaning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { iptablesSave } from '../../src/format/iptables.js';
import { PortRange, nftPorts, nftPortsMatch } from '../../src/rules/ext/ports.js';
import { parseIptables } from '../../src/rules/parse.js';
import { tokenizeRule } from '../../src/rules/tokenize.js';
import { saveString } from '../../src/rules/values.js';

test('saveString output splits back to the same argument', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-ascii' }).filter((s) => !s.includes('\n')), (s) => {
      const toks = tokenizeRule(`--comment ${saveString(s)}`);
      assert.equal(toks.length, 2);
      assert.equal(toks[1]!.text, s);
    }),
  );
});

const octet = fc.integer({ min: 0, max: 255 });
const addr = fc.tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 32 })).map(([a, b, c, d, m]) => `${a}.${b}.${c}.${d}/${m}`);
const port = fc.integer({ min: 0, max: 65535 });
const neg = fc.boolean().map((b) => (b ? '! ' : ''));
const piece = fc.oneof(
  fc.tuple(neg, addr).map(([n, a]) => `${n}-s ${a}`),
  fc.tuple(neg, addr).map(([n, a]) => `${n}-d ${a}`),
  fc.tuple(neg, port, port).map(([n, a, b]) => `-p tcp ${n}--dport ${Math.min(a, b)}:${Math.max(a, b)}`),
  fc.tuple(neg, port).map(([n, p]) => `-p udp ${n}--sport ${p}`),
  fc.constantFrom('-m conntrack --ctstate NEW,RELATED', '-m state ! --state INVALID', '-m mark --mark 0x3/0xf', '-m limit --limit 4/min', '-i eth+', '-m comment --comment "a b"', '-m length --length 40:1500'),
);
const target = fc.constantFrom('', '-j ACCEPT', '-j DROP', '-j LOG --log-prefix "p: "', '-j MARK --or-mark 4', '-j REJECT', '-j CONNMARK --save-mark');

test('save text parses back to the same save text', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(piece, { maxLength: 3 }), target), { maxLength: 6 }), (rules) => {
      const lines = rules.map(([pieces, t]) => {
        const seen = new Set<string>();
        const kept = pieces.filter((p) => {
          const key = p.startsWith('! ') ? p.slice(2, 4) : p.startsWith('-p') ? '-p' : p.slice(0, 2);
          if (seen.has(key) || (key === '-p' && [...seen].some((k) => k === '-p'))) return false;
          seen.add(key);
          return true;
        });
        return `-A FORWARD ${kept.join(' ')} ${t}`;
      });
      const text = `*filter\n:FORWARD DROP [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
      const once = iptablesSave(parseIptables(text), 4, { time: 'T' });
      const twice = iptablesSave(parseIptables(once), 4, { time: 'T' });
      assert.equal(twice, once);
    }),
    { numRuns: 200 },
  );
});

test('nf_tables port rewriting matches the same ports as the x_tables range (single-port tests)', () => {
  fc.assert(
    fc.property(port, port, fc.boolean(), port, (a, b, invert, p) => {
      const r = new PortRange(Math.min(a, b), Math.max(a, b), invert);
      const n = nftPorts(r, PortRange.ANY);
      const full = r.lo === 0 && r.hi === 65535;
      if (full && invert) assert.equal(nftPortsMatch(n, 0, p), true);
      else assert.equal(nftPortsMatch(n, p, 1234), r.test(p));
    }),
  );
});
