/**
 * nft ct labels: `ct label set N` sets label bit N, `ct label 3,7` tests bits, listed as nft 1.0.6
 * lists them (checked with nft in a namespace); the recorded behaviour is r_ct_label_2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNftRuleset } from '../../src/format/nft.js';
import { loadNft } from '../../src/nft/load.js';
import { Replayer } from '../../src/replay/replay.js';
import { ipv4, udp } from '../../src/packet/build.js';
import { LinkType } from '../../src/packet/view.js';

const RULES = `table ip l {
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "r_cli" ct state new counter ct label set 5
    iifname "r_cli" counter accept
    ct label 5 counter accept
    ct label 3,7 accept
    ct label set 127
  }
}
`;

test('ct label: listing as nft 1.0.6 prints it', () => {
  assert.equal(
    formatNftRuleset(loadNft(RULES)),
    `table ip l {
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t\tiifname "r_cli" ct state new counter packets 0 bytes 0 ct label set 5
\t\tiifname "r_cli" counter packets 0 bytes 0 accept
\t\tct label 5 counter packets 0 bytes 0 accept
\t\tct label 3,7 accept
\t\tct label set 127
\t}
}
`,
  );
  assert.throws(() => loadNft('table ip l { chain c { ct label 128 accept; } }'), /bit 128 out of range \(128 max\)/);
  assert.throws(() => loadNft('table ip l { chain c { ct label foo accept; } }'), /could not parse conntrack label/);
});

test('ct label set N sets bit N; ct label N matches it', () => {
  const host = {
    interfaces: [
      { name: 'r_cli', addresses: ['10.0.1.1/24'] },
      { name: 'r_srv', addresses: ['10.0.2.1/24'] },
    ],
    sysctl: { 'net.ipv4.ip_forward': 1 },
  };
  const r = new Replayer({ host, nft: RULES });
  const q = ipv4({ src: '10.0.1.100', dst: '10.0.2.100', payload: udp({ sport: 4000, dport: 9000, payload: 'q' }) });
  const a = ipv4({ src: '10.0.2.100', dst: '10.0.1.100', payload: udp({ sport: 9000, dport: 4000, payload: 'a' }) });
  const rec = (data: Uint8Array, ifName: string, time: number) => ({ data, ifName, time, linktype: LinkType.RAW, direction: 'in' as const, index: 0 }) as never;
  assert.equal(r.feed(rec(q, 'r_cli', 1)).verdict, 'FORWARDED');
  const conn = [...r.host.conntrack][0]!;
  assert.deepEqual(Array.from(conn.labels), [1 << 5, 0, 0, 0]);
  const back = r.feed(rec(a, 'r_srv', 2));
  assert.equal(back.verdict, 'FORWARDED');
  assert.deepEqual(back.rules, ['ip l forward 3']);
});

test('bit operators in their word forms (and, or, xor, lshift, rshift) list as nft 1.0.6 prints them (r_nftpol_marks_1)', () => {
  const text = `table ip m {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    ct state new iifname "r_cli" counter ct mark set ct mark or 0x100
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    meta mark and 0xff == 0x22 counter accept
    ct mark and 0x100 == 0x100 counter accept
  }
}
`;
  const out = formatNftRuleset(loadNft(text));
  assert.match(out, /ct mark set ct mark \| 0x00000100\n/);
  assert.match(out, /meta mark & 0x000000ff == 0x00000022 counter packets 0 bytes 0 accept\n/);
  assert.match(out, /ct mark & 0x00000100 == 0x00000100 counter packets 0 bytes 0 accept\n/);
});

test('log group N (nfnetlink_log) loads, lists as nft 1.0.6 prints it and logs the packet as NFLOG does (r_r2_nft_log_1)', () => {
  const text = 'table inet f {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n    udp dport 53 log prefix "dns " group 3 snaplen 64 counter\n  }\n}\n';
  assert.match(formatNftRuleset(loadNft(text)), /\t\tudp dport 53 log prefix "dns " group 3 snaplen 64 counter packets 0 bytes 0\n/);
  assert.throws(() => loadNft('table ip f { chain c { log group 1 level info; } }'), /mutually exclusive/);
});
