/**
 * One-line packet descriptions in the style of tcpdump 4.99 run as `tcpdump -nn -S -t` (numeric
 * hosts and ports, absolute sequence numbers, no timestamp, no link header):
 *
 *   IP 10.0.1.100.40000 > 10.0.2.100.80: Flags [S], seq 1000, win 64240, options [mss 1460], length 0
 *   IP 10.0.1.100 > 10.0.2.100: ICMP echo request, id 1, seq 1, length 64
 *   IP6 fd00:1::5.40000 > fd00:2::5.53: UDP, length 33
 *   ARP, Request who-has 10.0.1.1 tell 10.0.1.100, length 46
 *
 * Covered as tcpdump prints them: IPv4 (fragments, bad/truncated headers), IPv6 extension
 * headers (HBH, DSTOPT, routing, fragment, AH), TCP with every option tcpdump names plainly,
 * HTTP and FTP first lines, UDP, ICMP (all types tcpdump spells out, except router
 * advertisement details), ICMPv6 errors, echo and neighbour discovery, ESP, IP-in-IP, ARP over
 * Ethernet, and truncation marks (`[|tcp]`). Simplified (tcpdump decodes more): the
 * application payload of other well-known ports (UDP is always "UDP, length N"), GRE payloads,
 * SCTP chunk details, DCCP options, MLD and other ICMPv6 bodies.
 *
 * Not for the hot path: builds strings.
 */
import { TcpOpt } from './tcpopts.js';
import { ipv4String, ipv6String, Layer, PacketView, Proto, TcpFlag } from './view.js';

/** Raised inside the printer when a field lies beyond the captured bytes (tcpdump's "[|proto]"). */
class Truncated {
  /** `proto` null: the mark is already written. */
  constructor(readonly proto: string | null) {}
}

/** Printer state: output so far and the bytes of the packet. */
class Out {
  text = '';
  constructor(
    readonly b: Uint8Array,
    /** End of the captured bytes tcpdump may read (it trims the snapshot to the IP datagram). */
    public end: number,
  ) {}
  put(s: string): void {
    this.text += s;
  }
  /** Throws Truncated(proto) unless `n` bytes at `off` are present. */
  need(off: number, n: number, proto: string): void {
    if (off < 0 || off + n > this.end) throw new Truncated(proto);
  }
  u8(off: number, proto: string): number {
    this.need(off, 1, proto);
    return this.b[off]!;
  }
  u16(off: number, proto: string): number {
    this.need(off, 2, proto);
    return (this.b[off]! << 8) | this.b[off + 1]!;
  }
  u32(off: number, proto: string): number {
    this.need(off, 4, proto);
    return ((this.b[off]! << 24) | (this.b[off + 1]! << 16) | (this.b[off + 2]! << 8) | this.b[off + 3]!) >>> 0;
  }
}

/** The tcpdump-style line for a decoded packet. */
export function summarize(v: PacketView): string {
  const o = new Out(v.buf, v.buf.length);
  try {
    topLevel(o, v);
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    if (e.proto !== null) o.put(` [|${e.proto}]`);
  }
  return o.text;
}

function topLevel(o: Out, v: PacketView): void {
  if (v.linktype === 276 && v.l2Off === 0) o.put(`?     ${(SLL_DIRECTIONS[v.pktType] ?? '?').padEnd(3)} `);
  if (v.l2PayloadOff < 0) throw new Truncated(linkProtoName(v.linktype));
  if (v.family === 0 && v.l3Off < 0) return nonIp(o, v);
  const version = v.l3Off < v.buf.length ? v.buf[v.l3Off]! >> 4 : -1;
  if (version === 6 || (version === -1 && v.family === 6)) return ip6Line(o, v.l3Off, v.buf.length);
  return ipLine(o, v.l3Off, v.buf.length);
}

/** SLL packet types as tcpdump names the direction (it prints the interface name before: "?" here). */
const SLL_DIRECTIONS = ['In', 'B', 'M', 'P', 'Out'];

function linkProtoName(linktype: number): string {
  switch (linktype) {
    case 1:
      return 'ether';
    case 113:
    case 276:
      return 'sll';
    case 0:
    case 108:
      return 'null';
    default:
      return 'ip';
  }
}

// ------------------------------------------------------------------------------------------------
// non-IP

function nonIp(o: Out, v: PacketView): void {
  const len = v.buf.length - v.l2PayloadOff;
  if (v.ethertype === 0x0806 || v.ethertype === 0x8035) return arpLine(o, v.l2PayloadOff, len);
  if (v.linktype === 0 || v.linktype === 108) {
    o.put(`AF Unknown (${loopFamily(v)}), length ${v.buf.length}: `);
    return;
  }
  if (v.dstMacOff >= 0 && v.srcMacOff >= 0) o.put(`${mac(o.b, v.srcMacOff)} > ${mac(o.b, v.dstMacOff)}, `);
  o.put(`ethertype Unknown (0x${v.ethertype.toString(16).padStart(4, '0')}), length ${v.buf.length}: `);
}

/** The address family of a NULL / LOOP header, in the byte order the decoder chose. */
function loopFamily(v: PacketView): number {
  const b = v.buf;
  const be = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (v.linktype === 108 || (be & 0xffff0000) === 0) return be;
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

const ARP_HARDWARE: Record<number, string> = { 1: 'Ethernet', 6: 'TokenRing', 7: 'ArcNet', 15: 'FrameRelay', 23: 'Strip', 24: 'IEEE 1394', 19: 'ATM', 32: 'InfiniBand' };

const ARP_OPS = ['', 'Request', 'Reply', 'Reverse Request', 'Reverse Reply'];

/** ARP for Ethernet / IPv4, as tcpdump prints it without -e. */
function arpLine(o: Out, p: number, len: number): void {
  o.put('ARP, ');
  const hln = o.u8(p + 4, 'arp');
  const pln = o.u8(p + 5, 'arp');
  const pro = o.u16(p + 2, 'arp');
  const op = o.u16(p + 6, 'arp');
  const sha = p + 8;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  if ((pro !== 0x0800 && pro !== 0x1000) || pln !== 4 || hln === 0) {
    const hrd = o.u16(p, 'arp');
    const hrdName = ARP_HARDWARE[hrd] ?? `Unknown Hardware (${hrd})`;
    const proName = pro === 0x0800 ? 'IPv4' : `Unknown Protocol (0x${pro.toString(16).padStart(4, '0')})`;
    o.put(`${hrdName} (len ${hln}), ${proName} (len ${pln}), length ${len}`);
    return;
  }
  o.need(p, 8 + 2 * hln + 2 * pln, 'arp');
  if (hln !== 6 || op < 1 || op > 4) {
    o.put(`${ARP_OPS[op] ?? `Unknown (${op})`}, length ${len}`);
    return;
  }
  const ip = (at: number) => ipv4String(o.u32(at, 'arp'));
  if (op === 1) {
    o.put(`Request who-has ${ip(tpa)}`);
    if (!allZero(o.b, tha, 6)) o.put(` (${mac(o.b, tha)})`);
    o.put(` tell ${ip(spa)}`);
  } else if (op === 2) {
    o.put(`Reply ${ip(spa)} is-at ${mac(o.b, sha)}`);
  } else if (op === 3) {
    o.put(`Reverse Request who-is ${mac(o.b, tha)} tell ${mac(o.b, sha)}`);
  } else {
    o.put(`Reverse Reply ${mac(o.b, tha)} at ${ip(tpa)}`);
  }
  o.put(`, length ${len}`);
}

function allZero(b: Uint8Array, off: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[off + i] !== 0) return false;
  return true;
}

function mac(b: Uint8Array, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[off + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

// ------------------------------------------------------------------------------------------------
// IPv4

/** Protocols whose printers write the addresses with the ports themselves. */
function printsOwnAddresses(proto: number): boolean {
  return proto === Proto.TCP || proto === Proto.UDP || proto === Proto.SCTP || proto === Proto.DCCP;
}

/** Addressing context for the upper-layer printers. */
interface Ctx {
  family: 4 | 6;
  src: string;
  dst: string;
  /** Whether the IP header names this upper layer directly (IPv6: no extension header before it). */
  direct: boolean;
}

function ipLine(o: Out, p: number, end: number): void {
  const length = end - p;
  const version = o.u8(p, 'ip') >> 4;
  if (version !== 4) {
    o.put(version === 6 ? 'IP6, wrong link-layer encapsulation (invalid)' : `IP${version} (invalid)`);
    return;
  }
  o.put('IP ');
  o.need(p, 20, 'ip');
  const hlen = (o.b[p]! & 0x0f) * 4;
  if (hlen < 20) return o.put(`bad-hlen ${hlen}`);
  const len = o.u16(p + 2, 'ip');
  if (length < len) o.put(`truncated-ip - ${len - length} bytes missing! `);
  if (len < hlen) return o.put(`bad-len ${len}`);
  o.end = Math.min(end, p + len);
  const off = o.u16(p + 6, 'ip');
  const proto = o.b[p + 9]!;
  const ctx: Ctx = { family: 4, src: ipv4String(o.u32(p + 12, 'ip')), dst: ipv4String(o.u32(p + 16, 'ip')), direct: true };
  if ((off & 0x1fff) !== 0) {
    o.put(`${ctx.src} > ${ctx.dst}: ip-proto-${proto}`);
    return;
  }
  if (!printsOwnAddresses(proto)) o.put(`${ctx.src} > ${ctx.dst}: `);
  demux(o, ctx, proto, p + hlen, len - hlen, (off & 0x2000) !== 0);
}

/** The upper-layer printer for `proto` at `p`; `length` is what the IP header claims for it. */
function demux(o: Out, ctx: Ctx, proto: number, p: number, length: number, fragmented: boolean): void {
  switch (proto) {
    case Proto.TCP:
      return tcpLine(o, ctx, p, length);
    case Proto.UDP:
      return udpLine(o, ctx, p, length, fragmented);
    case Proto.ICMP:
      if (ctx.family === 4) return icmpLine(o, p, length);
      return o.put('[icmp requires IPv4] (invalid)');
    case Proto.ICMPV6:
      if (ctx.family === 6) return icmp6Line(o, p, length);
      return o.put('[icmp6 requires IPv6] (invalid)');
    case Proto.ESP:
      return o.put(`ESP(spi=0x${hex8(o.u32(p, 'esp'))},seq=0x${o.u32(p + 4, 'esp').toString(16)}), length ${length}`);
    case Proto.AH:
      return ahThen(o, ctx, p, length, fragmented);
    case Proto.IPIP:
      return ipLine(o, p, o.end);
    case Proto.IPV6:
      return ip6Line(o, p, o.end);
    case Proto.GRE:
      return greLine(o, p, length);
    case Proto.SCTP:
      return sctpLine(o, ctx, p, length);
    case Proto.DCCP:
      return dccpLine(o, ctx, p);
    case Proto.NONE:
      return o.put('no next header');
    default:
      o.put(` ip-proto-${proto} ${length}`);
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function ahThen(o: Out, ctx: Ctx, p: number, length: number, fragmented: boolean): void {
  const next = o.u8(p, 'ah');
  const hl = (o.u8(p + 1, 'ah') + 2) * 4;
  o.put(`AH(spi=0x${hex8(o.u32(p + 4, 'ah'))},seq=0x${o.u32(p + 8, 'ah').toString(16)},icv=0x`);
  o.need(p + 12, hl - 12, 'ah');
  for (let i = p + 12; i < p + hl; i++) o.put(o.b[i]!.toString(16).padStart(2, '0'));
  o.put('): ');
  demux(o, { ...ctx, direct: false }, next, p + hl, length - hl, fragmented);
}

/** "src.port > dst.port: " as tcpdump's transport printers write it (ports only behind extension headers). */
function portsPrefix(o: Out, ctx: Ctx, sport: number, dport: number): void {
  if (ctx.direct) o.put(`${ctx.src}.${sport} > ${ctx.dst}.${dport}: `);
  else o.put(`${sport} > ${dport}: `);
}

// ------------------------------------------------------------------------------------------------
// IPv6

const EXT_NAMES: Record<number, string> = { [Proto.HOPOPTS]: 'HBH ', [Proto.DSTOPTS]: 'DSTOPT ' };

function ip6Line(o: Out, p: number, end: number): void {
  const length = end - p;
  o.need(p, 40, 'ip6');
  o.put('IP6 ');
  const version = o.b[p]! >> 4;
  if (version !== 6) return o.put(`version error: ${version} != 6`);
  const plen = o.u16(p + 4, 'ip6');
  let len = plen + 40;
  if (plen !== 0) {
    if (length < len) o.put(`truncated-ip6 - ${len - length} bytes missing!`);
  } else {
    len = length + 40;
  }
  o.end = Math.min(end, p + len);
  let nh = o.b[p + 6]!;
  const ctx: Ctx = { family: 6, src: ipv6String(words(o, p + 8)), dst: ipv6String(words(o, p + 24)), direct: true };
  if (!printsOwnAddresses(nh)) o.put(`${ctx.src} > ${ctx.dst}: `);
  let q = p + 40;
  let fragmented = false;
  for (;;) {
    const name = EXT_NAMES[nh];
    if (name !== undefined) {
      o.put(name);
      const next = o.u8(q, 'ip6');
      q += (o.u8(q + 1, 'ip6') + 1) * 8;
      nh = next;
    } else if (nh === Proto.ROUTING) {
      const next = o.u8(q, 'ip6');
      q = routingHeader(o, q);
      nh = next;
    } else if (nh === Proto.FRAGMENT) {
      const next = o.u8(q, 'frag6');
      const fo = o.u16(q + 2, 'frag6');
      o.put(`frag (${fo & 0xfff8}|${len - (q - p) - 8})`);
      if ((fo & 0xfff8) !== 0) return;
      o.put(' ');
      fragmented = true;
      q += 8;
      nh = next;
    } else {
      break;
    }
    ctx.direct = false;
  }
  demux(o, ctx, nh, q, len - (q - p), fragmented);
}

function words(o: Out, at: number): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = o.u32(at + 4 * i, 'ip6');
  return w;
}

/** "RT6 (len=N, type=T, segleft=S, [0]addr) " for type 0 and 2 routing headers; returns the next offset. */
function routingHeader(o: Out, q: number): number {
  const len = o.u8(q + 1, 'rt6');
  const type = o.u8(q + 2, 'rt6');
  o.put(`RT6 (len=${len}, type=${type}`);
  if (type === 0) o.put(' [Deprecated]');
  o.put(`, segleft=${o.u8(q + 3, 'rt6')}`);
  if (type === 0 || type === 2) {
    for (let i = 0; i < len / 2; i++) o.put(`, [${i}]${ipv6String(words(o, q + 8 + 16 * i))}`);
  } else {
    o.put(' (unknown type)');
  }
  o.put(') ');
  return q + (len + 1) * 8;
}

// ------------------------------------------------------------------------------------------------
// TCP

const FLAG_CHARS: readonly [number, string][] = [
  [TcpFlag.FIN, 'F'],
  [TcpFlag.SYN, 'S'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.ACK, '.'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
];

/** tcpdump's flag string ("S.", "FP.", "none"). */
export function tcpFlagString(flags: number): string {
  let s = '';
  for (const [bit, ch] of FLAG_CHARS) if (flags & bit) s += ch;
  return s === '' ? 'none' : s;
}

function tcpLine(o: Out, ctx: Ctx, p: number, length: number): void {
  if (p + 4 > o.end) {
    o.put(`${ctx.src} > ${ctx.dst}:`);
    throw new Truncated('tcp');
  }
  portsPrefix(o, ctx, o.u16(p, 'tcp'), o.u16(p + 2, 'tcp'));
  o.need(p, 20, 'tcp');
  const hlen = (o.b[p + 12]! >> 4) * 4;
  if (hlen < 20) {
    o.put(` tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < 20]`);
    return;
  }
  const seq = o.u32(p + 4, 'tcp');
  const ack = o.u32(p + 8, 'tcp');
  const flags = o.b[p + 13]!;
  o.put(`Flags [${tcpFlagString(flags)}]`);
  if (hlen > length) {
    o.put(` [bad hdr length ${hlen} - too long, > ${length}]`);
    return;
  }
  const dlen = length - hlen;
  if (dlen > 0 || flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) {
    o.put(`, seq ${seq}`);
    if (dlen > 0) o.put(`:${(seq + dlen) >>> 0}`);
  }
  if (flags & TcpFlag.ACK) o.put(`, ack ${ack}`);
  o.put(`, win ${o.u16(p + 14, 'tcp')}`);
  if (flags & TcpFlag.URG) o.put(`, urg ${o.u16(p + 18, 'tcp')}`);
  if (hlen > 20 && !tcpOptions(o, p + 20, hlen - 20)) return;
  o.put(`, length ${dlen}`);
  if (dlen > 0) tcpPayload(o, p, hlen, dlen);
}

const TCP_OPT_NAMES: Record<number, string> = {
  0: 'eol',
  1: 'nop',
  2: 'mss',
  3: 'wscale',
  4: 'sackOK',
  5: 'sack',
  6: 'echo',
  7: 'echoreply',
  8: 'TS',
  11: 'cc',
  12: 'ccnew',
  13: '',
  19: 'md5',
  20: 'scps',
  28: 'uto',
  29: 'tcp-ao',
  30: 'mptcp',
  34: 'tfo',
  254: 'exp',
};

/**
 * The ", options [...]" part. False when the list was bad ("[bad opt]" ends the line there, as in
 * tcpdump); throws Truncated when the option bytes were not captured.
 */
function tcpOptions(o: Out, start: number, total: number): boolean {
  o.put(', options [');
  let cp = start;
  let hlen = total;
  let sep = '';
  while (hlen > 0) {
    o.put(sep);
    const opt = o.u8(cp++, 'tcp');
    let len = 1;
    if (opt !== TcpOpt.EOL && opt !== TcpOpt.NOP) {
      len = o.u8(cp++, 'tcp');
      if (len < 2 || len > hlen) return badOpt(o, sep);
      hlen--;
    }
    hlen--;
    o.put(TCP_OPT_NAMES[opt] ?? `unknown-${opt}`);
    const datalen = tcpOptionBody(o, opt, cp, len, hlen, sep !== '');
    if (datalen < 0) return badOpt(o, sep);
    cp += datalen;
    hlen -= datalen;
    const expect = datalen + (opt === TcpOpt.EOL || opt === TcpOpt.NOP ? 1 : 2);
    if (expect !== len) o.put(`[len ${len}]`);
    sep = ',';
    if (opt === TcpOpt.EOL) break;
  }
  o.put(']');
  return true;
}

/** tcpdump closes the bracket only when an option was printed before the bad one. */
function badOpt(o: Out, sep: string): false {
  o.put(sep === '' ? '[bad opt]' : '[bad opt]]');
  return false;
}

/**
 * Prints one option's data; returns the data bytes consumed, or -1 for a bad option. Reading
 * past `hlen` is a bad option; reading past the capture is a truncation (with tcpdump's ">"
 * when an option came before).
 */
function tcpOptionBody(o: Out, opt: number, cp: number, len: number, hlen: number, afterFirst: boolean): number {
  const check = (n: number): boolean => {
    if (n > hlen) return false;
    if (cp + n > o.end) {
      o.put(` [|tcp]${afterFirst ? '>' : ''}`);
      throw new Truncated(null);
    }
    return true;
  };
  switch (opt) {
    case TcpOpt.MSS:
      if (!check(2)) return -1;
      o.put(` ${o.u16(cp, 'tcp')}`);
      return 2;
    case TcpOpt.WSCALE:
      if (!check(1)) return -1;
      o.put(` ${o.b[cp]}`);
      return 1;
    case TcpOpt.SACK:
      return sackBody(o, cp, len - 2, check);
    case 6:
    case 7:
    case 11:
    case 12:
    case 13:
      if (!check(4)) return -1;
      o.put(` ${o.u32(cp, 'tcp')}`);
      return 4;
    case TcpOpt.TIMESTAMP:
      if (!check(8)) return -1;
      o.put(` val ${o.u32(cp, 'tcp')} ecr ${o.u32(cp + 4, 'tcp')}`);
      return 8;
    case TcpOpt.EOL:
    case TcpOpt.NOP:
    case TcpOpt.SACK_PERM:
      return 0;
    case 28:
      return utoBody(o, cp, check);
    default:
      return hexBody(o, cp, len - 2, check);
  }
}

function sackBody(o: Out, cp: number, datalen: number, check: (n: number) => boolean): number {
  if (datalen % 8 !== 0) {
    o.put(' invalid sack');
    return datalen;
  }
  o.put(` ${datalen / 8} `);
  for (let i = 0; i < datalen; i += 8) {
    if (!check(i + 8)) return -1;
    o.put(`{${o.u32(cp + i, 'tcp')}:${o.u32(cp + i + 4, 'tcp')}}`);
  }
  return datalen;
}

function utoBody(o: Out, cp: number, check: (n: number) => boolean): number {
  if (!check(2)) return -1;
  const raw = o.u16(cp, 'tcp');
  o.put(` 0x${raw.toString(16)} ${raw & 1 ? (raw >> 1) * 60 : raw >> 1}`);
  return 2;
}

function hexBody(o: Out, cp: number, datalen: number, check: (n: number) => boolean): number {
  if (datalen > 0) o.put(' 0x');
  for (let i = 0; i < datalen; i++) {
    if (!check(i + 1)) return -1;
    o.put(o.b[cp + i]!.toString(16).padStart(2, '0'));
  }
  return datalen;
}

// ---- TCP payload: the text protocols tcpdump prints a first line of

const HTTP_PORTS = [80, 8080];
const FTP_PORT = 21;
const HTTP_METHODS = new Set(
  'GET PUT COPY HEAD LOCK MOVE POLL POST BCOPY BMOVE MKCOL TRACE LABEL MERGE DELETE SEARCH UNLOCK REPORT UPDATE NOTIFY BDELETE CONNECT OPTIONS CHECKIN PROPFIND CHECKOUT CCM_POST SUBSCRIBE PROPPATCH BPROPFIND BPROPPATCH UNCHECKOUT MKACTIVITY MKWORKSPACE UNSUBSCRIBE RPC_CONNECT VERSION-CONTROL BASELINE-CONTROL'.split(
    ' ',
  ),
);

function tcpPayload(o: Out, p: number, hlen: number, dlen: number): void {
  const sport = o.u16(p, 'tcp');
  const dport = o.u16(p + 2, 'tcp');
  const has = (port: number) => sport === port || dport === port;
  const data = p + hlen;
  const len = Math.min(dlen, Math.max(0, o.end - data));
  if (has(FTP_PORT)) return textProto(o, 'FTP', data, len, true);
  if (HTTP_PORTS.some(has)) return textProto(o, 'HTTP', data, len, looksLikeHttp(o.b, data, len));
}

/** A request line (known method) or a response whose second token is a three-digit code. */
function looksLikeHttp(b: Uint8Array, p: number, len: number): boolean {
  const first = token(b, p, p + len);
  if (first === null) return false;
  if (HTTP_METHODS.has(first.text.toUpperCase())) return true;
  const second = token(b, first.next, p + len);
  return second !== null && /^[0-9]{3}$/.test(second.text);
}

/** A printable token at `p` and where the next one starts (after spaces / tabs), or null. */
function token(b: Uint8Array, p: number, end: number): { text: string; next: number } | null {
  let i = p;
  let text = '';
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (c < 0x21 || c > 0x7e || text.length >= 127) return null;
    text += String.fromCharCode(c);
  }
  if (text === '') return null;
  while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
  return { text, next: i };
}

/** ": NAME" and, when `show`, ": first line" (a line without its end is cut with [|name]). */
function textProto(o: Out, name: string, p: number, len: number, show: boolean): void {
  o.put(`: ${name}`);
  if (!show) return;
  const end = p + len;
  for (let i = p; i < end; i++) {
    const c = o.b[i]!;
    if (c === 0x0a || (c === 0x0d && i + 1 < end && o.b[i + 1] === 0x0a)) return o.put(`: ${latin(o.b, p, i)}`);
    if (c === 0x0d && i + 1 >= end) return;
    if (c === 0x0d || ((c < 0x20 || c > 0x7e) && c !== 0x09)) return;
  }
  o.put(`: ${latin(o.b, p, end)} [|${name.toLowerCase()}]`);
}

function latin(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
}

// ------------------------------------------------------------------------------------------------
// UDP

function udpLine(o: Out, ctx: Ctx, p: number, length: number, fragmented: boolean): void {
  if (p + 4 > o.end) {
    if (ctx.direct) o.put(`${ctx.src} > ${ctx.dst}: `);
    throw new Truncated('udp');
  }
  const sport = o.u16(p, 'udp');
  const dport = o.u16(p + 2, 'udp');
  portsPrefix(o, ctx, sport, dport);
  if (length < 8) return o.put(`truncated-udp ${length}`);
  let ulen = o.u16(p + 4, 'udp');
  if (ulen === 0 && length > 65535) ulen = length;
  if (ulen < 8) return o.put(`truncated-udplength ${ulen}`);
  ulen -= 8;
  let rest = length - 8;
  if (ulen < rest) rest = ulen;
  if (p + 8 > o.end) throw new Truncated('udp');
  if (ulen > rest && !fragmented) o.put(`UDP, bad length ${ulen} > ${rest}`);
  else o.put(`UDP, length ${ulen}`);
}

// ------------------------------------------------------------------------------------------------
// ICMP

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  4: 'source quench',
  8: 'echo request',
  10: 'router solicitation',
  13: 'time stamp request',
  14: 'time stamp reply',
  15: 'information request',
  16: 'information reply',
  17: 'address mask request',
};

/** Unreachable codes 0..15 (except 2, 3, 4: protocol, port and need-frag have their own forms). */
const UNREACH_FORMS: Record<number, string> = {
  0: 'net %s unreachable',
  1: 'host %s unreachable',
  5: '%s unreachable - source route failed',
  6: 'net %s unreachable - unknown',
  7: 'host %s unreachable - unknown',
  8: '%s unreachable - source host isolated',
  9: 'net %s unreachable - admin prohibited',
  10: 'host %s unreachable - admin prohibited',
  11: 'net %s unreachable - tos prohibited',
  12: 'host %s unreachable - tos prohibited',
  13: 'host %s unreachable - admin prohibited filter',
  14: 'host %s unreachable - host precedence violation',
  15: 'host %s unreachable - precedence cutoff',
};

const REDIRECT_FORMS = ['redirect %s to net %s', 'redirect %s to host %s', 'redirect-tos %s to net %s', 'redirect-tos %s to host %s'];

function fill(form: string, ...args: string[]): string {
  let i = 0;
  return form.replace(/%s/g, () => args[i++] ?? '');
}

function icmpLine(o: Out, p: number, plen: number): void {
  const type = o.u8(p, 'icmp');
  const code = o.u8(p + 1, 'icmp');
  o.put(`ICMP ${icmpText(o, p, type, code)}, length ${plen}`);
}

function icmpText(o: Out, p: number, type: number, code: number): string {
  const quotedDst = () => ipv4String(o.u32(p + 8 + 16, 'icmp'));
  switch (type) {
    case 0:
    case 8:
      return `echo ${type === 8 ? 'request' : 'reply'}, id ${o.u16(p + 4, 'icmp')}, seq ${o.u16(p + 6, 'icmp')}`;
    case 3:
      return unreachText(o, p, code, quotedDst);
    case 5: {
      const dst = quotedDst();
      const gw = ipv4String(o.u32(p + 4, 'icmp'));
      return code < 4 ? fill(REDIRECT_FORMS[code]!, dst, gw) : `redirect-#${code} ${dst} to ${gw}`;
    }
    case 11:
      quotedDst();
      if (code === 0) return 'time exceeded in-transit';
      if (code === 1) return 'ip reassembly time exceeded';
      return `time exceeded-#${code}`;
    case 12:
      return code !== 0 ? `parameter problem - code ${code}` : `parameter problem - octet ${o.u8(p + 4, 'icmp')}`;
    case 18:
      return `address mask is 0x${hex8(o.u32(p + 8, 'icmp'))}`;
    case 13:
      return `time stamp query id ${o.u16(p + 4, 'icmp')} seq ${o.u16(p + 6, 'icmp')}`;
    case 14:
      return timestampReply(o, p);
    default:
      return ICMP_NAMES[type] ?? `type-#${type}`;
  }
}

function unreachText(o: Out, p: number, code: number, quotedDst: () => string): string {
  const dst = quotedDst();
  if (code === 2) return `${dst} protocol ${o.u8(p + 8 + 9, 'icmp')} unreachable`;
  if (code === 3) {
    const proto = o.u8(p + 8 + 9, 'icmp');
    const dport = o.u16(p + 8 + (o.b[p + 8]! & 0x0f) * 4 + 2, 'icmp');
    if (proto === Proto.TCP) return `${dst} tcp port ${dport} unreachable`;
    if (proto === Proto.UDP) return `${dst} udp port ${dport} unreachable`;
    return `${dst} protocol ${proto} port ${dport} unreachable`;
  }
  if (code === 4) {
    const mtu = o.u16(p + 6, 'icmp');
    return mtu ? `${dst} unreachable - need to frag (mtu ${mtu})` : `${dst} unreachable - need to frag`;
  }
  const form = UNREACH_FORMS[code];
  return form !== undefined ? fill(form, dst) : `${dst} unreachable - #${code}`;
}

/** Milliseconds as tcpdump prints ICMP timestamps: hours (unbounded), minutes, seconds, ms. */
function msTime(t: number): string {
  const ms = t % 1000;
  const s = Math.floor(t / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${String(ms).padStart(3, '0')}`;
}

function timestampReply(o: Out, p: number): string {
  o.need(p, 20, 'icmp');
  const id = o.u16(p + 4, 'icmp');
  const seq = o.u16(p + 6, 'icmp');
  const t = (i: number) => msTime(o.u32(p + 8 + 4 * i, 'icmp'));
  return `time stamp reply id ${id} seq ${seq}: org ${t(0)}, recv ${t(1)}, xmit ${t(2)}`;
}

// ------------------------------------------------------------------------------------------------
// ICMPv6

const ICMP6_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded in-transit',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  130: 'multicast listener query',
  131: 'multicast listener report',
  132: 'multicast listener done',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
  138: 'router renumbering',
  141: 'inverse neighbor solicitation',
  142: 'inverse neighbor advertisement',
  143: 'multicast listener report v2',
  144: 'ha discovery request',
  145: 'ha discovery reply',
  146: 'mobile router solicitation',
  147: 'mobile router advertisement',
  139: 'node information query',
  140: 'node information reply',
  200: 'mtrace response',
  201: 'mtrace message',
  155: 'RPL',
};

const UNREACH6 = ['unreachable route', ' unreachable prohibited', 'beyond scope', 'unreachable address', 'unreachable port'];
const PARAMPROB6 = ['erroneous', 'next header', 'option', 'incomplete header chain'];

function icmp6Line(o: Out, p: number, length: number): void {
  if (length === 0) return o.put('ICMP6, length 0 (invalid)');
  const type = o.u8(p, 'icmp6');
  const code = o.u8(p + 1, 'icmp6');
  o.put(`ICMP6, ${ICMP6_NAMES[type] ?? `unknown icmp6 type (${type})`}`);
  o.put(icmp6Body(o, p, type, code));
  // tcpdump dumps the bytes of an unreachable with an unknown code instead of its length
  if (type === 1 && code > 4) return;
  o.put(`, length ${length}`);
}

function icmp6Body(o: Out, p: number, type: number, code: number): string {
  const q = p + 8;
  const addr = (at: number) => ipv6String(words(o, at));
  switch (type) {
    case 1:
      return unreach6(o, q, code, addr);
    case 2:
      return `, mtu ${o.u32(p + 4, 'icmp6')}`;
    case 3:
      if (code === 0) return ` for ${addr(q + 24)}`;
      return code === 1 ? ' (reassembly)' : `, unknown code (${code})`;
    case 4:
      o.need(q + 24, 16, 'icmp6');
      return code < 4 ? `, ${PARAMPROB6[code]} - octet ${o.u32(p + 4, 'icmp6')}` : `, code-#${code}`;
    case 128:
    case 129:
      return `, id ${o.u16(p + 4, 'icmp6')}, seq ${o.u16(p + 6, 'icmp6')}`;
    case 135:
      return `, who has ${addr(q)}`;
    case 136:
      return `, tgt is ${addr(q)}`;
    case 137:
      return `, ${addr(q)} to ${addr(q + 16)}`;
    default:
      return '';
  }
}

function unreach6(o: Out, q: number, code: number, addr: (at: number) => string): string {
  let s = `, ${UNREACH6[code] ?? `unknown unreach code (${code})`}`;
  if (code === 0 || code === 1 || code === 3) s += ` ${addr(q + 24)}`;
  else if (code === 2) s += ` ${addr(q + 24)}, source address ${addr(q + 8)}`;
  else if (code === 4) s += quotedPort6(o, q, addr);
  return s;
}

/** ", dst udp port N" for the packet an ICMPv6 port unreachable quotes (walking its extension headers). */
function quotedPort6(o: Out, q: number, addr: (at: number) => string): string {
  let nh = o.u8(q + 6, 'icmp6');
  let at = q + 40;
  while (nh === Proto.HOPOPTS || nh === Proto.DSTOPTS || nh === Proto.ROUTING || nh === Proto.FRAGMENT || nh === Proto.AH) {
    const next = o.u8(at, 'icmp6');
    at += nh === Proto.FRAGMENT ? 8 : nh === Proto.AH ? (o.u8(at + 1, 'icmp6') + 2) * 4 : (o.u8(at + 1, 'icmp6') + 1) * 8;
    nh = next;
  }
  const dport = o.u16(at + 2, 'icmp6');
  const dst = addr(q + 24);
  if (nh === Proto.TCP) return `, ${dst} tcp port ${dport}`;
  if (nh === Proto.UDP) return `, ${dst} udp port ${dport}`;
  return `, ${dst} protocol ${nh} port ${dport} unreachable`;
}

// ------------------------------------------------------------------------------------------------
// GRE, SCTP, DCCP (simplified)

function greLine(o: Out, p: number, length: number): void {
  const flags = o.u16(p, 'gre');
  const version = flags & 7;
  const proto = o.u16(p + 2, 'gre');
  o.put(`GREv${version}`);
  let q = p + 4;
  if (version === 1) {
    o.put(`, call ${o.u16(p + 6, 'gre')}`);
    q += 4;
    if (flags & 0x1000) o.put(`, seq ${o.u32((q += 4) - 4, 'gre')}`);
    if (flags & 0x0080) o.put(`, ack ${o.u32((q += 4) - 4, 'gre')}`);
  } else {
    if (flags & 0xc000) o.put(`, off 0x${o.u16((q += 4) - 2, 'gre').toString(16)}`);
    if (flags & 0x2000) o.put(`, key=0x${o.u32((q += 4) - 4, 'gre').toString(16)}`);
    if (flags & 0x1000) o.put(`, seq ${o.u32((q += 4) - 4, 'gre')}`);
  }
  o.put(`, length ${length}`);
  if (version !== 0) return;
  o.put(': ');
  if (proto === 0x0800) ipLine(o, q, o.end);
  else if (proto === 0x86dd) ip6Line(o, q, o.end);
  else o.put(`gre-proto-0x${proto.toString(16)}`);
}

const SCTP_CHUNKS: Record<number, string> = {
  0: 'DATA',
  1: 'INIT',
  2: 'INIT ACK',
  3: 'SACK',
  4: 'HB REQ',
  5: 'HB ACK',
  6: 'ABORT',
  7: 'SHUTDOWN',
  8: 'SHUTDOWN ACK',
  9: 'OP ERR',
  10: 'COOKIE ECHO',
  11: 'COOKIE ACK',
  12: 'ECN ECHO',
  13: 'ECN CWR',
  14: 'SHUTDOWN COMPLETE',
  64: 'I-DATA',
  128: 'ASCONF ACK',
  130: 'RE-CONFIG',
  192: 'FOR CUM TSN',
  193: 'ASCONF',
};

function sctpLine(o: Out, ctx: Ctx, p: number, length: number): void {
  portsPrefix(o, ctx, o.u16(p, 'sctp'), o.u16(p + 2, 'sctp'));
  o.need(p, 12, 'sctp');
  const names: string[] = [];
  for (let q = p + 12; q + 4 <= Math.min(o.end, p + length); ) {
    const type = o.b[q]!;
    const clen = o.u16(q + 2, 'sctp');
    names.push(`[${SCTP_CHUNKS[type] ?? `Unknown chunk type: ${type}`}]`);
    if (clen < 4) break;
    q += (clen + 3) & ~3;
  }
  o.put(`sctp (${names.length}) ${names.join(' ')}`);
}

const DCCP_TYPES = ['DCCP-Request', 'DCCP-Response', 'DCCP-Data', 'DCCP-Ack', 'DCCP-DataAck', 'DCCP-CloseReq', 'DCCP-Close', 'DCCP-Reset', 'DCCP-Sync', 'DCCP-SyncAck'];
const DCCP_RESET_CODES = ['unspecified', 'closed', 'aborted', 'no_connection', 'packet_error', 'option_error', 'mandatory_error', 'connection_refused', 'bad_service_code', 'too_busy', 'bad_init_cookie', 'aggression_penalty'];

/** "DCCP DCCP-Response (service=5) (ack=7) " as tcpdump prints it without -v. */
function dccpLine(o: Out, ctx: Ctx, p: number): void {
  portsPrefix(o, ctx, o.u16(p, 'dccp'), o.u16(p + 2, 'dccp'));
  const type = (o.u8(p + 8, 'dccp') >> 1) & 0x0f;
  const ext = (o.b[p + 8]! & 1) !== 0;
  const sub = p + (ext ? 16 : 12);
  o.put(`DCCP ${DCCP_TYPES[type] ?? `unknown-type-${type}`} `);
  if (type === 0 || type === 1) o.put(`(service=${o.u32(sub + (type === 1 ? (ext ? 8 : 4) : 0), 'dccp')}) `);
  if (type === 7) o.put(`(code=${DCCP_RESET_CODES[o.u8(sub + (ext ? 8 : 4), 'dccp')] ?? 'invalid'}) `);
  if (type !== 0 && type !== 2 && type < 10) o.put(`(ack=${dccpAck(o, sub, ext)}) `);
}

/** The acknowledgment number subheader: 48 bits after 2 reserved bytes, or 24 bits after 1. */
function dccpAck(o: Out, sub: number, ext: boolean): number {
  if (ext) return o.u16(sub + 2, 'dccp') * 0x100000000 + o.u32(sub + 4, 'dccp');
  return (o.u8(sub + 1, 'dccp') << 16) | o.u16(sub + 2, 'dccp');
}
