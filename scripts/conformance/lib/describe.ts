/**
 * One-line descriptions of IP packets for recordings (kernel.json `oracle.sent`, the recorder's
 * log): `TCP 10.0.1.100:40000 > 10.0.2.100:80 [S] seq=1000 ack=0 win=64240 ttl=64`, ...
 * Human notes only, never compared.
 */

const FLAG_ORDER: [number, string][] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, 'A'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'C'],
  [0x100, 'N'],
];

function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

function u32(b: Uint8Array, o: number): number {
  return (u16(b, o) * 0x10000 + u16(b, o + 2)) >>> 0;
}

function v4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** IPv6 address text, the longest run of zero groups compressed. */
export function v6(b: Uint8Array, o: number): string {
  const g = Array.from({ length: 8 }, (_, k) => u16(b, o + 2 * k));
  let best = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) [best, bestLen] = [k, e - k];
    k = e;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function tcpFlagText(b: Uint8Array, o: number): string {
  const f = (((b[o + 12] ?? 0) & 1) << 8) | (b[o + 13] ?? 0);
  return FLAG_ORDER.filter(([bit]) => f & bit).map(([, l]) => l).join('');
}

/** The L4 part of a description; `hop` is "ttl=N" or "hlim=N". */
function l4(proto: number, b: Uint8Array, o: number, src: string, dst: string, hop: string, v6p: boolean): string {
  const wrap = (a: string): string => (v6p ? `[${a}]` : a);
  if (proto === 6 && b.length >= o + 20) {
    const pl = b.length - o - ((b[o + 12]! >> 4) * 4);
    return `TCP${v6p ? '6' : ''} ${wrap(src)}:${u16(b, o)} > ${wrap(dst)}:${u16(b, o + 2)} [${tcpFlagText(b, o)}] seq=${u32(b, o + 4)} ack=${u32(b, o + 8)} win=${u16(b, o + 14)} ${hop}${pl > 0 ? ` len=${pl}` : ''}`;
  }
  if ((proto === 17 || proto === 136) && b.length >= o + 8) {
    const pl = b.length - o - 8;
    return `${proto === 17 ? 'UDP' : 'UDPLITE'}${v6p ? '6' : ''} ${wrap(src)}:${u16(b, o)} > ${wrap(dst)}:${u16(b, o + 2)} ${hop}${pl > 0 ? ` len=${pl}` : ''}`;
  }
  if ((proto === 1 || proto === 58) && b.length >= o + 8) {
    const type = b[o]!;
    const echo = proto === 1 ? type === 0 || type === 8 || type === 13 || type === 14 : type === 128 || type === 129;
    const err = proto === 1 ? [3, 4, 5, 11, 12].includes(type) : type < 128;
    let s = `ICMP${v6p ? 'v6' : ''} ${src} > ${dst} type=${type} code=${b[o + 1]} ${hop}`;
    if (echo) s += ` id=${u16(b, o + 4)} seq=${u16(b, o + 6)}`;
    if (err && b.length > o + 8) s += ` inner=[${describeIp(b.subarray(o + 8))}]`;
    return s;
  }
  return `${src} > ${dst} proto=${proto} ${hop}`;
}

/** One line describing an IP packet. */
export function describeIp(b: Uint8Array): string {
  if (b.length < 20) return `(short packet ${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')})`;
  if (b[0]! >> 4 === 6) {
    if (b.length < 40) return '(short IPv6 packet)';
    return l4(b[6]!, b, 40, v6(b, 8), v6(b, 24), `hlim=${b[7]}`, true);
  }
  if (b[0]! >> 4 !== 4) return `(not IP: version ${b[0]! >> 4})`;
  const ihl = (b[0]! & 15) * 4;
  const fo = u16(b, 6);
  const src = v4(b, 12);
  const dst = v4(b, 16);
  if (fo & 0x3fff) {
    return `${src} > ${dst} proto=${b[9]} ttl=${b[8]} id=${u16(b, 4)} frag off=${(fo & 0x1fff) * 8}${fo & 0x2000 ? ' MF' : ''} len=${b.length - ihl}`;
  }
  return l4(b[9]!, b, ihl, src, dst, `ttl=${b[8]}`, false);
}
