/**
 * nft's JSON (libnftables-json, nft 1.0.6) as a ruleset: the output of `nft -j list ruleset` and
 * JSON command files load into the same ruleset the text does.
 *
 * test/fixtures/nft/json/ was made by scripts/nft/json-fixtures.sh with the real nft 1.0.6 on Linux
 * 6.18: every rules.nft of the conformance fixtures, the examples of Debian's nftables package and
 * the project's own sources (json-src: a kitchen sink of what the text front end supports, things
 * nft's JSON cannot reload, the netdev / arp / bridge families) loaded with `nft -f`, dumped with
 * `nft -j list ruleset` (NAME.json), listed (NAME.nft.list), the JSON loaded back into a fresh
 * namespace with `nft -j -f` and listed again (NAME.json.list) or its error kept (NAME.json.err).
 *
 * nft 1.0.6's JSON output leaves a netdev chain's devices out (and its own parser then refuses the
 * chain: "Missing `device'"): ctkit refuses it the same way, and the round trips put the devices
 * back from the text first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNft } from '../../src/nft/load.js';
import { NftError } from '../../src/nft/lexer.js';
import { isJsonRuleset, parseNftJson } from '../../src/nft/json.js';
import { formatNftRuleset } from '../../src/format/nft.js';
import type { NftRuleset } from '../../src/nft/model.js';
import { readAll } from '../../src/capture/reader.js';
import { Replayer } from '../../src/replay/replay.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const JSON_DIR = join(ROOT, 'test', 'fixtures', 'nft', 'json');
const SRC_DIR = join(ROOT, 'test', 'fixtures', 'nft', 'json-src');
const CONF = join(ROOT, 'test', 'fixtures', 'conformance');
const DEBIAN = join(ROOT, 'test', 'fixtures', 'nft', 'debian');

const read = (p: string): string => readFileSync(p, 'utf8');

function loadText(file: string): NftRuleset {
  return loadNft(read(file), {
    file,
    include: (n) => {
      const p = join(dirname(file), n);
      return existsSync(p) ? read(p) : null;
    },
  });
}

type JsonDoc = { nftables: Record<string, Record<string, unknown>>[] };

/** Puts back the devices nft 1.0.6's JSON output leaves out of netdev / inet-ingress chains. */
function withDevices(doc: JsonDoc, text: NftRuleset): { doc: JsonDoc; restored: number } {
  let restored = 0;
  for (const it of doc.nftables) {
    const c = it['chain'] as { family: string; table: string; name: string; hook?: string; dev?: unknown } | undefined;
    if (!c || (c.hook !== 'ingress' && c.hook !== 'egress') || c.dev !== undefined) continue;
    const ch = text.table(c.family as never, c.table)?.chains.get(c.name);
    assert.ok(ch?.base, `${c.family} ${c.table} ${c.name} is a base chain of the text`);
    c.dev = ch.base.device.length === 1 ? ch.base.device[0] : ch.base.device;
    restored++;
  }
  return { doc, restored };
}

/** Each JSON fixture dumped from a ruleset ctkit has as text: [name, text file]. */
function pairs(): [string, string][] {
  const debian = new Map<string, string>();
  if (existsSync(DEBIAN)) {
    for (const f of readdirSync(DEBIAN).filter((x) => x.endsWith('.nft'))) debian.set(`debian_${f.slice(0, -4).replace(/-/g, '_')}`, join(DEBIAN, f));
  }
  const out: [string, string][] = [];
  for (const f of readdirSync(JSON_DIR).filter((x) => x.endsWith('.json')).sort()) {
    const name = f.slice(0, -5);
    const conf = join(CONF, name, 'rules.nft');
    const src = join(SRC_DIR, `${name}.nft`);
    if (existsSync(conf)) out.push([name, conf]);
    else if (debian.has(name)) out.push([name, debian.get(name)!]);
    else if (existsSync(src)) out.push([name, src]);
  }
  return out;
}

/** What nft 1.0.6's JSON output does not carry (the JSON holds nft's evaluated form). */
const JSON_LOSES: Readonly<Record<string, readonly [string | RegExp, string][]>> = {
  // the JSON has the merged Ethernet header match, in header order
  r_nft_netdev_ether_1: [['ether saddr 02:00:00:00:01:02 ether daddr 02:00:00:00:01:01', 'ether daddr 02:00:00:00:01:01 ether saddr 02:00:00:00:01:02']],
  kitchen_sink: [
    [/\tcomment "kitchen"\n/, ''],
    [/\t\tcomment "chain comment"\n/, ''],
    [/\t\tauto-merge\n/, ''],
    [/\t\tcomment "six"\n/, ''],
    ['typeof ip saddr', 'type ipv4_addr'],
    ['typeof tcp dport : meta mark', 'type inet_service : mark'],
    ['log snaplen 100 queue-threshold 2', 'log'],
    ['@th,16,16 22', 'th dport 22'],
    ['@nh,9,8 6', '@nh,8,16 & 32640 == 768'],
    ['meta l4proto tcp th dport 22', 'tcp dport 22'],
    ['meta mark ^ 0x00000001 == 0x00000003', 'meta mark 0x00000002'],
    ['ip saddr & 255.255.0.0 == 10.1.0.0', 'ip saddr 10.1.0.0/16'],
  ],
};

function expectedFromText(name: string, text: string): string {
  let t = text;
  for (const [from, to] of JSON_LOSES[name] ?? []) t = t.replace(from, to);
  return t;
}

const PAIRS = pairs();

/** Where nft's own JSON reload is wrong, not ctkit's: left out of the comparison with it. */
const NFT_JSON_BUGS: Readonly<Record<string, string>> = {
  // ctkit lists the policies the JSON holds, as nft lists the text
  r_nft_cttimeout_1: 'nft 1.0.6 drops the policy of a ct timeout object it reads from JSON (it lists `policy = {  }`)',
};

/**
 * Rulesets whose JSON does not behave as the text: nft's JSON (like its listing) writes a raw
 * payload statement whose offset is a known field (`@th,16,16 set 5017` after `udp dport 5016`)
 * as that field (`udp dport set 5017`); loaded again it is that field's statement, with the
 * checksum update the raw one does not make (the real nft's netlink debug output shows csum_type 0
 * before the round trip and 1 after it). The replay differs exactly there; the listings do not.
 */
const RAW_PAYLOAD_SET: ReadonlySet<string> = new Set(['r_nft_mangle_1', 'r_nft_mangle_2']);

test('the JSON fixtures are there (conformance rulesets, Debian examples, the project\'s own sources)', () => {
  assert.ok(PAIRS.length >= 60, `${PAIRS.length} pairs`);
  for (const must of ['r_nft_nat_1', 'r_nft_netdev_fwd_1', 'r_nft_arp_1', 'debian_all_in_one', 'debian_netdev_ingress', 'debian_arp_filter', 'debian_bridge_filter', 'kitchen_sink', 'netdev_sink']) {
    assert.ok(PAIRS.some(([n]) => n === must), must);
  }
});

for (const [name, textFile] of PAIRS) {
  test(`JSON round trip ${name}: nft -j list ruleset loads into the text's ruleset`, () => {
    let text: NftRuleset;
    try {
      text = loadText(textFile);
    } catch (e) {
      assert.ok(e instanceof NftError);
      // a gap of the text parser is not one of the JSON's (it has no syntax of its own to refuse)
      if (/syntax error/.test(e.detail)) return;
      // what ctkit refuses as text it refuses as JSON, with the same complaint
      const detail = e.detail;
      assert.throws(() => loadNft(read(join(JSON_DIR, `${name}.json`)), { file: `${name}.json` }), (x: unknown) => x instanceof NftError && x.detail === detail);
      return;
    }
    const raw = read(join(JSON_DIR, `${name}.json`));
    const { doc, restored } = withDevices(JSON.parse(raw) as JsonDoc, text);
    if (restored > 0) {
      // as dumped, nft 1.0.6 itself cannot load it back; neither does ctkit, with the same complaint
      assert.ok(existsSync(join(JSON_DIR, `${name}.json.err`)));
      assert.match(read(join(JSON_DIR, `${name}.json.err`)), /Missing `device' in this chain definition/);
      assert.throws(() => loadNft(raw, { file: `${name}.json` }), (e: unknown) => e instanceof NftError && /^\S+\.json: nftables\[\d+\]\.chain: Missing `device' in this chain definition$/.test(e.message));
    }
    const fromJson = loadNft(JSON.stringify(doc), { file: `${name}.json` });
    assert.equal(formatNftRuleset(fromJson), expectedFromText(name, formatNftRuleset(text)));
  });
}

test('JSON round trips agree with the real nft\'s listing of its JSON wherever ctkit lists the text as nft does', () => {
  let checked = 0;
  for (const [name, textFile] of PAIRS) {
    const nftText = join(JSON_DIR, `${name}.nft.list`);
    const nftJson = join(JSON_DIR, `${name}.json.list`);
    if (!existsSync(nftText) || !existsSync(nftJson) || NFT_JSON_BUGS[name] !== undefined) continue;
    let text: string;
    try {
      text = formatNftRuleset(loadText(textFile));
    } catch {
      continue;
    }
    const zero = (s: string): string => s.replace(/counter packets \d+ bytes \d+/g, 'counter packets 0 bytes 0').replace(/ expires \S+/g, '');
    if (zero(text) !== zero(read(nftText))) continue;
    const fromJson = formatNftRuleset(loadNft(read(join(JSON_DIR, `${name}.json`)), { file: `${name}.json` }));
    assert.equal(zero(fromJson), zero(read(nftJson)), name);
    checked++;
  }
  assert.ok(checked >= 40, `${checked} rulesets checked against nft's own JSON reload`);
});

test('a JSON command file (flush, add, insert, index, create; netdev fwd / dup, arp, bridge, inet ingress) lists as nft lists it', () => {
  const f = join(JSON_DIR, 'netdev_commands.json');
  const rs = loadNft(read(f), { file: 'netdev_commands.json' });
  assert.equal(formatNftRuleset(rs), read(join(JSON_DIR, 'netdev_commands.json.list')).replace(/counter packets \d+ bytes \d+/g, 'counter packets 0 bytes 0'));
});

test('rules nft and ctkit refuse in text are refused in JSON with the same complaint (unsupported_parity)', () => {
  const text = read(join(SRC_DIR, 'unsupported_parity.nft'));
  const doc = JSON.parse(read(join(JSON_DIR, 'unsupported_parity.json'))) as JsonDoc;
  const blocks = text.split(/\n(?=table )/);
  let n = 0;
  for (const block of blocks) {
    const m = /^table (\S+) (\S+)/.exec(block)!;
    const items = doc.nftables.filter((it) => {
      const v = Object.values(it)[0] as { family?: string; table?: string; name?: string };
      return v.family === m[1] && (v.table === m[2] || (v.name === m[2] && 'table' in it));
    });
    const outcome = (f: () => NftRuleset): string => {
      try {
        return `ok ${formatNftRuleset(f())}`;
      } catch (e) {
        assert.ok(e instanceof NftError, String(e));
        return `error ${e.detail}`;
      }
    };
    const a = outcome(() => loadNft(block, { file: 'u.nft' }));
    const b = outcome(() => loadNft(JSON.stringify({ nftables: items }), { file: 'u.json' }));
    assert.equal(b, a, `table ${m[1]} ${m[2]}`);
    n++;
  }
  assert.ok(n >= 12);
});

/** Replays scenario `name` with `nft` as its ruleset. */
function replay(name: string, nft: string) {
  const dir = join(CONF, name);
  const r = new Replayer({ host: read(join(dir, 'host.json')), nft, files: { nft: 'rules' }, seed: 1 });
  const packets = readAll(new Uint8Array(readFileSync(join(dir, 'capture.pcapng'))), { name: 'capture' }).map((p) => r.feed(p));
  return { packets, ...r.finish(), listing: r.rulesText() };
}

test('every conformance scenario with an nft ruleset replays the same with its JSON', () => {
  let n = 0;
  for (const [name, textFile] of PAIRS) {
    if (!textFile.startsWith(CONF)) continue;
    let text: NftRuleset;
    try {
      text = loadText(textFile);
    } catch {
      continue;
    }
    const json = JSON.stringify(withDevices(JSON.parse(read(join(JSON_DIR, `${name}.json`))) as JsonDoc, text).doc);
    const a = replay(name, read(textFile));
    const b = replay(name, json);
    if (RAW_PAYLOAD_SET.has(name)) {
      assert.equal(b.listing, a.listing, name);
      assert.notDeepEqual(b.packets, a.packets, `${name}: the raw payload statements became named ones`);
      continue;
    }
    assert.deepEqual(b.packets, a.packets, name);
    assert.deepEqual(b.conntrack, a.conntrack, name);
    assert.deepEqual(b.expect, a.expect, name);
    assert.equal(b.listing, expectedFromText(name, a.listing), name);
    n++;
  }
  assert.ok(n >= 40, `${n} scenarios`);
});

// ---- errors ---------------------------------------------------------------------------------

function jsonError(doc: unknown, file = 'rules.json'): string {
  try {
    loadNft(typeof doc === 'string' ? doc : JSON.stringify(doc), { file });
  } catch (e) {
    assert.ok(e instanceof NftError, String(e));
    return e.message;
  }
  assert.fail('loaded');
}

const T = { add: { table: { family: 'ip', name: 't' } } };
const C = { add: { chain: { family: 'ip', table: 't', name: 'c', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } } };
const rule = (expr: unknown[], extra: Record<string, unknown> = {}) => ({ rule: { family: 'ip', table: 't', chain: 'c', expr, ...extra } });

test('errors name the file and the JSON path', () => {
  assert.equal(jsonError({ nftables: [T, C, { add: rule([{ counter: null }]) }, rule([{ counter: null }, { foo: null }])] }), 'rules.json: nftables[3].rule.expr[1]: unknown statement "foo"');
  assert.match(
    jsonError({ nftables: [T, C, { add: rule([{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 'nosuchservice' } }]) }] }),
    /^rules\.json: nftables\[2\]\.add\.rule\.expr\[0\]\.match\.right: Could not resolve service/,
  );
  assert.match(jsonError({ nftables: [T, C, rule([{ match: { op: '~', left: { meta: { key: 'mark' } }, right: 1 } }])] }), /^rules\.json: nftables\[2\]\.rule\.expr\[0\]\.match\.op: Invalid relational op '~'\.$/);
  assert.equal(jsonError({ nftables: [T, { chain: { family: 'ip', table: 't', name: 'c', type: 'filter', hook: 'input', prio: 0, colour: 'red' } }] }), 'rules.json: nftables[1].chain.colour: unknown property "colour" (expected one of family, table, name, handle, type, hook, prio, dev, policy, comment, newname)');
  assert.equal(jsonError({ nftables: [T, { chain: { family: 'ip', table: 't', name: 'c', type: 'filter', hook: 'input' } }] }), 'rules.json: nftables[1].chain: a base chain needs "type", "hook" and "prio" (missing prio)');
  assert.equal(jsonError({ nftables: [{ table: { family: 'ipx', name: 't' } }] }), 'rules.json: nftables[0].table.family: unknown family "ipx" (expected ip, ip6, inet, arp, bridge, netdev)');
  assert.equal(jsonError({ tables: [] }), 'rules.json: top level.tables: unknown property "tables" (expected one of nftables)');
  assert.equal(jsonError({}), 'rules.json: nftables: the "nftables" array is missing');
  assert.equal(jsonError({ nftables: [{ list: { ruleset: null } }] }), "rules.json: nftables[0]: 'list' commands are not supported in a ruleset file loaded by ctkit");
  assert.equal(jsonError({ nftables: [{ metainfo: { json_schema_version: 2 } }] }), 'rules.json: nftables[0].metainfo.json_schema_version: unsupported JSON schema version 2 (nft 1.0.6 reads version 1)');
  assert.equal(jsonError({ nftables: [T, C, rule([{ counter: null }, { queue: { num: 1 } }])] }), 'rules.json: nftables[2].rule.expr[1].queue: queue is not supported: ctkit has no userspace queue');
  assert.equal(jsonError({ nftables: [T, C, rule([{ match: { op: '==', left: { socket: { key: 'transparent' } }, right: 1 } }])] }), 'rules.json: nftables[2].rule.expr[0].match.left.socket: socket expression is not supported by ctkit');
  assert.equal(jsonError({ nftables: [T, C, rule([{ jump: { target: 'nochain' } }])] }), 'rules.json: nftables[2].rule.expr[0]: Could not process rule: No such file or directory: chain nochain does not exist in table ip t');
  assert.equal(jsonError({ nftables: [T, C, { delete: rule([]) }] }), 'rules.json: nftables[2].delete.rule: property "handle" is missing: deleting a rule needs its handle');
  assert.equal(jsonError({ nftables: [T, { insert: { chain: { family: 'ip', table: 't', name: 'x' } } }] }), 'rules.json: nftables[1].insert.chain: insert works on rules only');
});

test('JSON syntax errors name the line and column', () => {
  assert.match(jsonError('{"nftables": [\n  {"add": {"table": {"family": "ip", "name": "t"}}}\n  {"add": 1}\n]}'), /^rules\.json:3:3: JSON syntax error: /);
  assert.match(jsonError('{"nftables": ['), /^rules\.json:1:15: JSON syntax error: /);
});

test('JSON is recognised by its first character; text is not', () => {
  assert.equal(isJsonRuleset('  \n{"nftables": []}'), true);
  assert.equal(isJsonRuleset('table ip t {}'), false);
  assert.equal(isJsonRuleset('# {\ntable ip t {}'), false);
  assert.equal(loadNft('{"nftables": []}').tables.length, 0);
});

test('commands: flush ruleset, create, insert with a handle, add with an index, replace and delete by handle', () => {
  const rs = loadNft(JSON.stringify({
    nftables: [
      { add: { table: { family: 'inet', name: 'gone' } } },
      { flush: { ruleset: null } },
      { create: { table: { family: 'ip', name: 't' } } },
      C,
      { add: rule([{ counter: null }, { accept: null }], { comment: 'first' }) },
      { add: rule([{ match: { op: '==', left: { meta: { key: 'mark' } }, right: 2 } }]) },
      { insert: rule([{ match: { op: '==', left: { meta: { key: 'mark' } }, right: 3 } }], { handle: 3 }) },
      { add: rule([{ match: { op: '==', left: { meta: { key: 'mark' } }, right: 4 } }], { index: 0 }) },
      { replace: rule([{ match: { op: '==', left: { meta: { key: 'mark' } }, right: 5 } }], { handle: 4 }) },
      { delete: rule([], { handle: 5 }) },
    ],
  }), { file: 'cmds.json' });
  assert.equal(formatNftRuleset(rs), `table ip t {
\tchain c {
\t\ttype filter hook input priority filter; policy accept;
\t\tcounter packets 0 bytes 0 accept comment "first"
\t\tmeta mark 0x00000005
\t\tmeta mark 0x00000002
\t}
}
`);
  assert.equal(jsonError({ nftables: [T, { create: { table: { family: 'ip', name: 't' } } }] }), 'rules.json: nftables[1].create.table: Could not process rule: File exists: table ip t');
});

test('every statement and expression of the text front end has a JSON form (same listing)', () => {
  const cases: [string, unknown][] = [
    ['meta mark set 0x00000010', { mangle: { key: { meta: { key: 'mark' } }, value: 16 } }],
    ['ct mark set meta mark & 0x0000ffff', { mangle: { key: { ct: { key: 'mark' } }, value: { '&': [{ meta: { key: 'mark' } }, 65535] } } }],
    ['tcp flags syn,ack', { match: { op: 'in', left: { payload: { protocol: 'tcp', field: 'flags' } }, right: ['syn', 'ack'] } }],
    ['ct state established | related', { match: { op: '==', left: { ct: { key: 'state' } }, right: { '|': ['established', 'related'] } } }],
    ['ct original ip saddr 1.2.3.4', { match: { op: '==', left: { ct: { key: 'saddr', family: 'ip', dir: 'original' } }, right: '1.2.3.4' } }],
    ['ip saddr . tcp dport { 1.2.3.4 . 22, 5.6.7.8 . 80 }', { match: { op: '==', left: { concat: [{ payload: { protocol: 'ip', field: 'saddr' } }, { payload: { protocol: 'tcp', field: 'dport' } }] }, right: { set: [{ concat: ['1.2.3.4', 22] }, { concat: ['5.6.7.8', 80] }] } } }],
    ['limit rate over 10/minute burst 20 packets', { limit: { rate: 10, per: 'minute', burst: 20, inv: true } }],
    ['limit rate 1 mbytes/second burst 2 mbytes', { limit: { rate: 1, rate_unit: 'mbytes', per: 'second', burst: 2, burst_unit: 'mbytes' } }],
    ['quota over 1000 bytes used 10 bytes', { quota: { val: 1000, val_unit: 'bytes', used: 10, used_unit: 'bytes', inv: true } }],
    ['log prefix "x" level info flags tcp sequence,options', { log: { prefix: 'x', level: 'info', flags: ['tcp sequence', 'tcp options'] } }],
    ['tcp dport vmap { 22 : accept, 23 : drop }', { vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: { set: [[22, { accept: null }], [23, { drop: null }]] } } }],
    ['meta mark set tcp dport map { 22 : 0x00000001 }', { mangle: { key: { meta: { key: 'mark' } }, value: { map: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: { set: [[22, 1]] } } } } }],
    ['meta mark set numgen inc mod 2', { mangle: { key: { meta: { key: 'mark' } }, value: { numgen: { mode: 'inc', mod: 2, offset: 0 } } } }],
    ['reject with tcp reset', { reject: { type: 'tcp reset' } }],
    ['reject with icmp host-unreachable', { reject: { type: 'icmp', expr: 'host-unreachable' } }],
    ['@nh,9,8 6', { match: { op: '==', left: { payload: { base: 'nh', offset: 9, len: 8 } }, right: 6 } }],
    ['tcp dport != 1000-2000', { match: { op: '!=', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { range: [1000, 2000] } } }],
    ['ip saddr 10.0.0.0/8', { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 8 } } } }],
    ['notrack', { notrack: null }],
  ];
  for (const [text, stmt] of cases) {
    const proto = /tcp|reject with/.test(text) && !/^tcp flags|meta mark set tcp/.test(text) ? 'meta l4proto tcp ' : '';
    const t = loadNft(`table ip t {\n chain c {\n  type filter hook input priority 0;\n  ${proto}${text}\n }\n}\n`, { file: 't.nft' });
    const jsonStmts = proto ? [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, stmt] : [stmt];
    const j = loadNft(JSON.stringify({ nftables: [T, C, rule(jsonStmts)] }), { file: 't.json' });
    assert.equal(formatNftRuleset(j), formatNftRuleset(t), text);
  }
});

test('JSON sets and maps: types by name, array or typeof, elements with timeouts and comments, and the counter statement', () => {
  const rs = loadNft(JSON.stringify({
    nftables: [
      { table: { family: 'inet', name: 't' } },
      { set: { family: 'inet', table: 't', name: 's', type: ['ipv4_addr', 'inet_service'], elem: [{ concat: ['1.2.3.4', 22] }] } },
      { set: { family: 'inet', table: 't', name: 'e', type: 'inet_service', flags: ['timeout'], 'gc-interval': 5, elem: [{ elem: { val: 22, timeout: 10, comment: 'ssh' } }, 80], stmt: [{ counter: null }] } },
      { map: { family: 'inet', table: 't', name: 'm', type: { typeof: { payload: { protocol: 'tcp', field: 'dport' } } }, map: 'ipv4_addr . inet_service', elem: [[22, { concat: ['10.0.0.1', 80] }]] } },
      { element: { family: 'inet', table: 't', name: 's', elem: { concat: ['5.6.7.8', 80] } } },
    ],
  }), { file: 'sets.json' });
  assert.equal(formatNftRuleset(rs), `table inet t {
\tset s {
\t\ttype ipv4_addr . inet_service
\t\telements = { 1.2.3.4 . 22, 5.6.7.8 . 80 }
\t}

\tset e {
\t\ttype inet_service
\t\tflags timeout
\t\tcounter
\t\tgc-interval 5s
\t\telements = { 22 counter packets 0 bytes 0 timeout 10s comment "ssh", 80 counter packets 0 bytes 0 }
\t}

\tmap m {
\t\ttypeof tcp dport : ipv4_addr . inet_service
\t\telements = { 22 : 10.0.0.1 . 80 }
\t}
}
`);
});

test('netdev chains in JSON: one device or several (the form later nft versions read), fwd and dup', () => {
  const rs = loadNft(JSON.stringify({
    nftables: [
      { table: { family: 'netdev', name: 'n' } },
      { chain: { family: 'netdev', table: 'n', name: 'c', type: 'filter', hook: 'ingress', prio: 0, dev: ['r_cli', 'r_srv'], policy: 'accept' } },
      { rule: { family: 'netdev', table: 'n', chain: 'c', expr: [{ dup: { addr: 'r_wan' } }, { fwd: { dev: 'r_srv', family: 'ip', addr: '10.0.2.101' } }] } },
    ],
  }), { file: 'n.json' });
  assert.equal(formatNftRuleset(rs), `table netdev n {
\tchain c {
\t\ttype filter hook ingress devices = { r_cli, r_srv } priority filter; policy accept;
\t\tdup to "r_wan" fwd ip to 10.0.2.101 device "r_srv"
\t}
}
`);
  assert.equal(
    jsonError({ nftables: [{ table: { family: 'netdev', name: 'n' } }, { chain: { family: 'netdev', table: 'n', name: 'c', type: 'filter', hook: 'ingress', prio: 0 } }] }),
    "rules.json: nftables[1].chain: Missing `device' in this chain definition",
  );
});

test('parseNftJson hands positions that print as FILE: PATH', () => {
  const s = parseNftJson('{"nftables": [{"table": {"family": "ip", "name": "t"}}]}', { file: 'x.json' });
  assert.equal(s.commands.length, 1);
  assert.ok(s.files.includes('x.json: nftables[0].table'));
});
