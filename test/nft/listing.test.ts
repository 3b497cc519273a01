/**
 * `nft list ruleset` output: the shared corpus's rulesets listed after loading must equal the
 * kernel-side listing recorded after the run (counters included, for the scenarios whose replay
 * matches), and hand-picked rules must print in nft 1.0.6's canonical forms (outputs taken from
 * the real nft 1.0.6 in a network namespace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatNftRuleset } from '../../src/format/nft.js';
import { loadNft } from '../../src/nft/load.js';
import { repoRoot } from '../../scripts/conformance/lib/corpus.js';
import { replayNftScenario } from './replay-nft.js';

const SHARED = join(repoRoot(), '..', 'shared', 'conformance', 'scenarios');

function kernelListing(kernel: { final?: { nft_list_ruleset?: string[] } }): string | null {
  const l = kernel.final?.nft_list_ruleset;
  if (!l) return null;
  const cut = l.findIndex((x) => x.startsWith('table inet orc_'));
  return `${l.slice(0, cut < 0 ? l.length : cut).join('\n')}\n`;
}

const zero = (s: string): string => s.replace(/counter packets \d+ bytes \d+/g, 'counter packets 0 bytes 0');

const shared = existsSync(SHARED) ? readdirSync(SHARED).filter((n) => existsSync(join(SHARED, n, 'rules.nft'))).sort() : [];

test('the shared corpus is there', { skip: shared.length === 0 ? `no ${SHARED}` : false }, () => {
  assert.ok(shared.length >= 24);
});

for (const name of shared) {
  const dir = join(SHARED, name);
  test(`list ${name}: parse + list equals the kernel's listing (counters zeroed)`, () => {
    const kernel = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
    const want = kernelListing(kernel);
    assert.ok(want !== null);
    const rs = loadNft(readFileSync(join(dir, 'rules.nft'), 'utf8'), { file: 'rules.nft' });
    assert.equal(formatNftRuleset(rs), zero(want));
  });
}

for (const name of ['gen_0005', 'gen_0007', 'gen_0023', 'gen_0035', 'gen_0050'].filter((n) => shared.includes(n))) {
  test(`list ${name} after the replay: counters equal the kernel's`, () => {
    const dir = join(SHARED, name);
    const kernel = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
    const r = replayNftScenario(dir);
    assert.equal(formatNftRuleset(r.ruleset), kernelListing(kernel));
  });
}

const CASES = `table inet t {
  chain c {
    tcp flags == syn
    meta mark & 0xff == 1
    ip protocol tcp tcp dport 22
    meta nfproto ipv4 ip saddr 1.2.3.4
    iifname "eth*"
    tcp dport { 1-1024 }
    tcp dport { 22, 80-90, 100 }
    ip saddr { 10.0.0.0/8, 192.168.1.0/24, 1.2.3.4 }
    counter reject with icmp type host-unreachable
    limit rate over 10/minute burst 20 packets
    limit rate 1 mbytes/second burst 2 mbytes
    quota over 1000 bytes used 10 bytes
    log prefix "x" level info flags tcp sequence,options
    ct mark set meta mark & 0xffff
    ip saddr . tcp dport { 1.2.3.4 . 22, 1.2.3.5 . 80 }
    ct state vmap { established : accept, related : accept, invalid : drop }
    ct state == established,related
    tcp flags & (fin|syn|rst|ack) != syn
    ct mark 1-5
    icmp type { echo-request, echo-reply }
  }
  chain n2 { type nat hook prerouting priority dstnat - 5;
    dnat ip to 10.0.0.1
    tcp dport 80 redirect to :8080
  }
  chain x { type filter hook prerouting priority -290; }
  chain z { type filter hook output priority -100; }
}
table ip t2 {
  chain c {
    counter reject with tcp reset
    meta l4proto tcp counter tcp dport 22
  }
}
`;

const EXPECTED = `table inet t {
\tchain c {
\t\ttcp flags == syn
\t\tmeta mark & 0x000000ff == 0x00000001
\t\tip protocol tcp tcp dport 22
\t\tip saddr 1.2.3.4
\t\tiifname "eth*"
\t\ttcp dport 1-1024
\t\ttcp dport { 22, 80-90, 100 }
\t\tip saddr { 1.2.3.4, 10.0.0.0/8, 192.168.1.0/24 }
\t\tmeta nfproto ipv4 counter packets 0 bytes 0 reject with icmp host-unreachable
\t\tlimit rate over 10/minute burst 20 packets
\t\tlimit rate 1 mbytes/second burst 2 mbytes
\t\tquota over 1000 bytes used 10 bytes
\t\tlog prefix "x" level info flags tcp sequence,options
\t\tct mark set meta mark & 0x0000ffff
\t\tip saddr . tcp dport { 1.2.3.4 . 22, 1.2.3.5 . 80 }
\t\tct state vmap { invalid : drop, established : accept, related : accept }
\t\tct state established | related
\t\ttcp flags != syn / fin,syn,rst,ack
\t\tct mark 0x00000001-0x00000005
\t\ticmp type { echo-reply, echo-request }
\t}

\tchain n2 {
\t\ttype nat hook prerouting priority dstnat - 5; policy accept;
\t\tdnat ip to 10.0.0.1
\t\ttcp dport 80 redirect to :8080
\t}

\tchain x {
\t\ttype filter hook prerouting priority raw + 10; policy accept;
\t}

\tchain z {
\t\ttype filter hook output priority -100; policy accept;
\t}
}
table ip t2 {
\tchain c {
\t\tmeta l4proto tcp counter packets 0 bytes 0 reject with tcp reset
\t\tmeta l4proto tcp counter packets 0 bytes 0 tcp dport 22
\t}
}
`;

test('canonical forms as nft 1.0.6 lists them', () => {
  assert.equal(formatNftRuleset(loadNft(CASES)), EXPECTED);
});

test('handles: chains, objects, sets, then rules (anonymous sets take one each)', () => {
  const rs = loadNft(`table inet f {
  ct helper h { type "tftp" protocol udp; }
  set s { type inet_service; elements = { 22 } }
  chain a { type filter hook input priority filter; policy accept; tcp dport { 1, 2 } counter; counter }
}`);
  const out = formatNftRuleset(rs, { handles: true });
  assert.match(out, /table inet f \{ # handle 1/);
  assert.match(out, /chain a \{ # handle 1/);
  assert.match(out, /ct helper h \{ # handle 2/);
  assert.match(out, /set s \{ # handle 3/);
  assert.match(out, /tcp dport \{ 1, 2 \} counter packets 0 bytes 0 # handle 5/);
  assert.match(out, /\t\tcounter packets 0 bytes 0 # handle 6/);
});
