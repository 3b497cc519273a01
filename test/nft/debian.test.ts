/**
 * The example rulesets Debian ships with nftables 1.0.6 (/usr/share/doc/nftables/examples, GPL-2
 * example configurations, copied into test/fixtures/nft/debian with their headers): each one loads
 * in ctkit exactly when it loads with nft 1.0.6 on Linux 6.18 (`nft -f FILE` in a network
 * namespace), and then `nft list ruleset` text is the kernel's, byte for byte (NAME.list, recorded
 * from the real nft; overview.nft and the two variants were loaded with interfaces eth0-eth3 and
 * bond0/bond1 present, as nft resolves interface names when it parses).
 *
 * Three of them do not load on a real 6.18 kernel, and ctkit refuses them with the same error:
 * load_balancing.nft (a nat chain at priority -300: Operation not supported), secmark.nft (secmark
 * objects need an LSM to resolve their security context: No such file or directory),
 * sets_and_maps.nft (`delete table filter` before the table exists). Two variants of them that do
 * load are checked too: load_balancing-dstnat-ip.nft (numgen / jhash NAT maps, the nat chain at
 * dstnat, without the netdev table) and sets_and_maps-nodelete.nft.
 *
 * When the nftables package is installed, its example files are the ones checked (and must be the
 * fixtures' copies).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { nftBaseChains } from '../../src/nft/chains.js';
import { formatNftRuleset } from '../../src/format/nft.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', '..', '..', 'test', 'fixtures', 'nft', 'debian');
const SYSTEM = '/usr/share/doc/nftables/examples';

/** Files the kernel refuses, with where and what ctkit (like nft) reports. */
const REFUSED: Readonly<Record<string, { at: string; message: RegExp }>> = {
  'load_balancing.nft': { at: ':12:2:', message: /Could not process rule: Operation not supported/ },
  'secmark.nft': { at: ':14:2:', message: /Could not process rule: No such file or directory: secmark ssh_server/ },
  'sets_and_maps.nft': { at: ':22:14:', message: /Could not process rule: No such file or directory: table ip filter/ },
};

/** Families the pipeline runs (the others load and list; their hooks are another part of ctkit). */
const RUN_FAMILIES = new Set(['ip', 'ip6', 'inet']);

function load(dir: string, name: string) {
  const file = join(dir, name);
  return loadNft(readFileSync(file, 'utf8'), {
    file,
    include: (inc) => {
      const p = join(dirname(file), inc);
      return existsSync(p) ? readFileSync(p, 'utf8') : null;
    },
  });
}

function checkDir(dir: string, names: readonly string[]): void {
  for (const name of names) {
    const refused = REFUSED[name];
    if (refused) {
      assert.throws(
        () => load(dir, name),
        (e: unknown) => e instanceof NftError && e.message.includes(refused.at) && refused.message.test(e.message),
        `${name} must be refused as the kernel refuses it`,
      );
      continue;
    }
    const rs = load(dir, name);
    const expected = readFileSync(join(FIXTURES, name.replace(/\.nft$/, '.list')), 'utf8');
    assert.equal(formatNftRuleset(rs), expected, `${name}: nft list ruleset`);
    if (rs.tables.every((t) => RUN_FAMILIES.has(t.family))) assert.doesNotThrow(() => nftBaseChains(rs), name);
  }
}

const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith('.nft')).sort();

test('every Debian example (and variant) in the fixtures loads as with nft 1.0.6 and lists as nft lists it', () => {
  assert.ok(fixtureNames.length >= 21);
  checkDir(FIXTURES, fixtureNames);
});

test('the variants of the refused examples carry numgen / jhash NAT maps and sets that load', () => {
  const rs = load(FIXTURES, 'load_balancing-dstnat-ip.nft');
  const text = formatNftRuleset(rs);
  assert.match(text, /dnat to numgen inc mod 2 map \{ 0 : 192\.168\.10\.100, 1 : 192\.168\.20\.200 \}/);
  assert.match(text, /ip protocol tcp dnat to 192\.168\.1\.100:numgen inc mod 2 map \{ 0 : 4040, 1 : 4050 \}/);
  assert.match(text, /dnat to jhash ip saddr \. tcp dport mod 2 map/);
  assert.equal(nftBaseChains(rs).length, 2);
});

test('the system examples, when installed, are the fixtures and behave the same', { skip: !existsSync(SYSTEM) && 'nftables examples not installed' }, () => {
  const names = readdirSync(SYSTEM).filter((f) => f.endsWith('.nft')).sort();
  assert.ok(names.length > 0);
  for (const n of names) {
    assert.ok(fixtureNames.includes(n), `${n} has a fixture copy`);
    assert.equal(readFileSync(join(SYSTEM, n), 'utf8'), readFileSync(join(FIXTURES, n), 'utf8'), `${n}: fixture copy is up to date`);
  }
  checkDir(SYSTEM, names);
});
