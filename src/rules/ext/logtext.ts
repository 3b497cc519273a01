/**
 * The text the kernel's packet logger (nf_log_syslog) writes for LOG (and what NFLOG hands to
 * its listener): `PREFIX IN=.. OUT=.. MAC=.. SRC=.. DST=.. LEN=.. ...`, built from the packet
 * bytes as dump_ipv4_packet / dump_ipv6_packet read them (one level into ICMP errors).
 *
 * MAC= shows the link header when the packet came in with one (an Ethernet capture); a packet
 * captured as bare IP has none to show, so MAC= is empty there. Each field ends with a space,
 * as the kernel's buffer does (the line ends with one).
 */
import type { PacketContext } from '../../netfilter/context.js';

/** LOG flag bits (XT_LOG_*). */
export const LogFlag = {
  TCPSEQ: 0x01,
  TCPOPT: 0x02,
  IPOPT: 0x04,
  UID: 0x08,
  MACDECODE: 0x20,
} as const;

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function HEX2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function ip4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** %pI6: eight groups of four hex digits. */
function ip6(b: Uint8Array, o: number): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(u16(b, o + i).toString(16).padStart(4, '0'));
  return g.join(':');
}

function optBytes(b: Uint8Array, from: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX2(b[from + i]!);
  return s;
}

/** The whole log line for the packet in `ctx`. */
export function logLine(ctx: PacketContext, prefix: string, flags: number): string {
  const pkt = ctx.pkt;
  let s = `${prefix}IN=${ctx.iif ?? ''} OUT=${ctx.oif ?? ''} `;
  if (ctx.iif !== null) s += macHeader(ctx, flags);
  const end = pkt.ipEnd;
  if (pkt.family === 6) s += ipv6Dump(ctx, pkt.buf, pkt.l3Off, end, flags, true);
  else s += ipv4Dump(ctx, pkt.buf, pkt.l3Off, end, flags, true);
  return s;
}

function macHeader(ctx: PacketContext, flags: number): string {
  const pkt = ctx.pkt;
  const b = pkt.buf;
  const ether = pkt.l2Off >= 0 && pkt.dstMacOff >= 0 && pkt.srcMacOff >= 0 && pkt.linktype === 1;
  if ((flags & LogFlag.MACDECODE) !== 0 && ether) {
    const mac = (o: number): string => Array.from(b.subarray(o, o + 6), hex2).join(':');
    let s = `MACSRC=${mac(pkt.srcMacOff)} MACDST=${mac(pkt.dstMacOff)} `;
    if (pkt.vlanCount > 0) s += `VPROTO=${hex2(b[pkt.l2Off + 12]!)}${hex2(b[pkt.l2Off + 13]!)} VID=${pkt.vlanOuter} `;
    s += `MACPROTO=${pkt.ethertype.toString(16).padStart(4, '0')} `;
    return s;
  }
  if (!ether) return 'MAC= ';
  return `MAC=${Array.from(b.subarray(pkt.l2Off, pkt.l2Off + 14), hex2).join(':')} `;
}

function incomplete(end: number, off: number): string {
  return `INCOMPLETE [${Math.max(0, end - off)} bytes] `;
}

/** A piece of the line, and whether the logger stops after it (a truncated header). */
interface Piece {
  readonly text: string;
  readonly stop: boolean;
}

function tcpDump(b: Uint8Array, off: number, end: number, fragment: boolean, flags: number): Piece {
  let s = 'PROTO=TCP ';
  if (fragment) return { text: s, stop: false };
  if (end - off < 20) return { text: `${s}${incomplete(end, off)}`, stop: true };
  s += `SPT=${u16(b, off)} DPT=${u16(b, off + 2)} `;
  if ((flags & LogFlag.TCPSEQ) !== 0) s += `SEQ=${u32(b, off + 4)} ACK=${u32(b, off + 8)} `;
  s += `WINDOW=${u16(b, off + 14)} `;
  s += `RES=0x${hex2((b[off + 12]! & 0x0e) << 2)} `;
  const f = b[off + 13]!;
  if ((b[off + 12]! & 0x01) !== 0) s += 'AE ';
  const names: readonly (readonly [number, string])[] = [
    [0x80, 'CWR'],
    [0x40, 'ECE'],
    [0x20, 'URG'],
    [0x10, 'ACK'],
    [0x08, 'PSH'],
    [0x04, 'RST'],
    [0x02, 'SYN'],
    [0x01, 'FIN'],
  ];
  for (const [bit, name] of names) if ((f & bit) !== 0) s += `${name} `;
  s += `URGP=${u16(b, off + 18)} `;
  const doff = (b[off + 12]! >> 4) * 4;
  if ((flags & LogFlag.TCPOPT) !== 0 && doff > 20) {
    if (end - off < doff) return { text: `${s}OPT (TRUNCATED)`, stop: true };
    s += `OPT (${optBytes(b, off + 20, doff - 20)}) `;
  }
  return { text: s, stop: false };
}

function udpDump(b: Uint8Array, off: number, end: number, proto: number, fragment: boolean): Piece {
  const s = proto === 17 ? 'PROTO=UDP ' : 'PROTO=UDPLITE ';
  if (fragment) return { text: s, stop: false };
  if (end - off < 8) return { text: `${s}${incomplete(end, off)}`, stop: true };
  return { text: `${s}SPT=${u16(b, off)} DPT=${u16(b, off + 2)} LEN=${u16(b, off + 4)} `, stop: false };
}

/** Minimum ICMP lengths the logger wants before it decodes a type (required_len). */
const ICMP_REQUIRED: Readonly<Record<number, number>> = { 0: 4, 3: 28, 4: 28, 5: 28, 8: 4, 11: 28, 12: 28, 13: 20, 14: 20, 17: 12, 18: 12 };

function ownerText(ctx: PacketContext): string {
  const sock = ctx.sock;
  return sock ? `UID=${sock.uid} GID=${sock.gid} ` : '';
}

function ipv4Dump(ctx: PacketContext, b: Uint8Array, off: number, end: number, flags: number, top: boolean): string {
  if (off < 0 || end - off < 20) return 'TRUNCATED';
  const ihl = (b[off]! & 0x0f) * 4;
  const fragWord = u16(b, off + 6);
  const fragOff = fragWord & 0x1fff;
  const tos = b[off + 1]!;
  let s = `SRC=${ip4(b, off + 12)} DST=${ip4(b, off + 16)} `;
  s += `LEN=${u16(b, off + 2)} TOS=0x${HEX2(tos & 0x1e)} PREC=0x${HEX2(tos & 0xe0)} TTL=${b[off + 8]} ID=${u16(b, off + 4)} `;
  if ((fragWord & 0x8000) !== 0) s += 'CE ';
  if ((fragWord & 0x4000) !== 0) s += 'DF ';
  if ((fragWord & 0x2000) !== 0) s += 'MF ';
  if (fragOff !== 0) s += `FRAG:${fragOff} `;
  if ((flags & LogFlag.IPOPT) !== 0 && ihl > 20) {
    if (end - off < ihl) return `${s}TRUNCATED`;
    s += `OPT (${optBytes(b, off + 20, ihl - 20)}) `;
  }
  const l4 = off + ihl;
  const proto = b[off + 9]!;
  switch (proto) {
    case 6:
    case 17:
    case 136: {
      const p = proto === 6 ? tcpDump(b, l4, end, fragOff !== 0, flags) : udpDump(b, l4, end, proto, fragOff !== 0);
      s += p.text;
      if (p.stop) return s;
      break;
    }
    case 1:
      s += icmpDump(ctx, b, l4, end, fragOff !== 0, flags, top);
      break;
    case 51:
      if (fragOff !== 0) break;
      s += 'PROTO=AH ';
      s += end - l4 < 12 ? incomplete(end, l4) : `SPI=0x${u32(b, l4 + 4).toString(16)} `;
      break;
    case 50:
      s += 'PROTO=ESP ';
      if (fragOff !== 0) break;
      s += end - l4 < 8 ? incomplete(end, l4) : `SPI=0x${u32(b, l4).toString(16)} `;
      break;
    default:
      s += `PROTO=${proto} `;
  }
  if (top) s += trailer(ctx, flags);
  return s;
}

function trailer(ctx: PacketContext, flags: number): string {
  let s = '';
  if ((flags & LogFlag.UID) !== 0) s += ownerText(ctx);
  if (ctx.mark !== 0) s += `MARK=0x${(ctx.mark >>> 0).toString(16)} `;
  return s;
}

function icmpDump(ctx: PacketContext, b: Uint8Array, l4: number, end: number, fragment: boolean, flags: number, top: boolean): string {
  let s = 'PROTO=ICMP ';
  if (fragment) return s;
  if (end - l4 < 8) return `${s}${incomplete(end, l4)}`;
  const type = b[l4]!;
  const code = b[l4 + 1]!;
  s += `TYPE=${type} CODE=${code} `;
  const need = ICMP_REQUIRED[type];
  if (need !== undefined && end - l4 < need) return `${s}${incomplete(end, l4)}`;
  switch (type) {
    case 0:
    case 8:
      s += `ID=${u16(b, l4 + 4)} SEQ=${u16(b, l4 + 6)} `;
      break;
    case 12:
      s += `PARAMETER=${b[l4 + 4]} `;
      break;
    case 3:
    case 4:
    case 5:
    case 11:
      // a redirect names its gateway, then quotes the packet as the errors do
      if (type === 5) s += `GATEWAY=${ip4(b, l4 + 4)} `;
      if (top) s += `[${ipv4Dump(ctx, b, l4 + 8, end, flags, false)}] `;
      if (type === 3 && code === 4) s += `MTU=${u16(b, l4 + 6)} `;
      break;
    default:
      break;
  }
  return s;
}

/** IPv6 extension headers the logger walks (nf_ip6_ext_hdr). */
function isExtHeader(h: number): boolean {
  return h === 0 || h === 43 || h === 44 || h === 50 || h === 51 || h === 60;
}

function ipv6Dump(ctx: PacketContext, b: Uint8Array, off: number, end: number, flags: number, recurse: boolean): string {
  if (off < 0 || end - off < 40) return 'TRUNCATED';
  const first = u32(b, off);
  let s = `SRC=${ip6(b, off + 8)} DST=${ip6(b, off + 24)} `;
  s += `LEN=${u16(b, off + 4) + 40} TC=${(first & 0x0ff00000) >>> 20} HOPLIMIT=${b[off + 7]} FLOWLBL=${first & 0x000fffff} `;
  let fragment = false;
  let ptr = off + 40;
  let hdr = b[off + 6]!;
  const ipopt = (flags & LogFlag.IPOPT) !== 0;
  while (hdr !== 59 && isExtHeader(hdr)) {
    if (end - ptr < 2) return `${s}TRUNCATED`;
    if (ipopt) s += 'OPT ( ';
    let len: number;
    switch (hdr) {
      case 44: {
        s += 'FRAG:';
        if (end - ptr < 8) return `${s}TRUNCATED `;
        const fo = u16(b, ptr + 2);
        s += `${fo & 0xfff8} `;
        if ((fo & 1) !== 0) s += 'INCOMPLETE ';
        s += `ID:${u32(b, ptr + 4).toString(16).padStart(8, '0')} `;
        if ((fo & 0xfff8) !== 0) fragment = true;
        len = 8;
        break;
      }
      case 0:
      case 43:
      case 60:
        if (fragment) return ipopt ? `${s})` : s;
        len = (b[ptr + 1]! + 1) * 8;
        break;
      case 51:
        if (ipopt) {
          s += 'AH ';
          if (fragment) return `${s})`;
          if (end - ptr < 12) return `${s}INCOMPLETE [${end - ptr} bytes] )`;
          s += `SPI=0x${u32(b, ptr + 4).toString(16)} `;
        }
        len = (b[ptr + 1]! + 2) * 4;
        break;
      default:
        // ESP: nothing after it can be read
        if (ipopt) {
          s += 'ESP ';
          if (fragment) return `${s})`;
          if (end - ptr < 8) return `${s}INCOMPLETE [${end - ptr} bytes] )`;
          s += `SPI=0x${u32(b, ptr).toString(16)} )`;
        }
        return s;
    }
    if (ipopt) s += ') ';
    hdr = b[ptr]!;
    ptr += len;
  }
  switch (hdr) {
    case 6:
    case 17:
    case 136: {
      const p = hdr === 6 ? tcpDump(b, ptr, end, fragment, flags) : udpDump(b, ptr, end, hdr, fragment);
      s += p.text;
      if (p.stop) return s;
      break;
    }
    case 58: {
      s += 'PROTO=ICMPv6 ';
      if (fragment) break;
      if (end - ptr < 8) return `${s}${incomplete(end, ptr)}`;
      const type = b[ptr]!;
      s += `TYPE=${type} CODE=${b[ptr + 1]} `;
      if (type === 128 || type === 129) s += `ID=${u16(b, ptr + 4)} SEQ=${u16(b, ptr + 6)} `;
      else if (type === 4 || type === 1 || type === 2 || type === 3) {
        if (type === 4) s += `POINTER=${u32(b, ptr + 4).toString(16).padStart(8, '0')} `;
        if (recurse) s += `[${ipv6Dump(ctx, b, ptr + 8, end, flags, false)}] `;
        if (type === 2) s += `MTU=${u32(b, ptr + 4)} `;
      }
      break;
    }
    default:
      s += `PROTO=${hdr} `;
  }
  if (recurse) s += trailer(ctx, flags);
  return s;
}
