/**
 * Payload mangling: `ip dscp set cs1`, `ip ttl set 9`, `tcp dport set 8080`, `ip saddr set
 * 1.2.3.4`, `ip6 hoplimit set 1`, `@nh,96,32 set 0x01020304`, ... (nft_payload_set_eval).
 *
 * nft 1.0.6 compiles `FIELD set VALUE` into one payload write of whole bytes: a field that does
 * not fill its bytes is read, masked and written back, and a field of a protocol with an internet
 * checksum (ip, tcp, udp, icmp, icmpv6, igmp; sctp's CRC32c) is widened to an even number of
 * bytes on a 16-bit boundary so the checksum can be patched (`ip ttl set` writes TTL and
 * protocol). The write carries the checksum to patch (csum_type / csum_offset: the protocol's own
 * checksum; a raw `@base,off,len` write patches none) and, for the fields of the IPv4/IPv6
 * pseudo-header (addresses, protocol / next header, length), the transport checksum too
 * (NFT_PAYLOAD_L4CSUM_PSEUDOHDR: TCP, UDP unless its checksum is 0, UDP-Lite, ICMPv6).
 *
 * The kernel then does, per packet: the sum of the old and new bytes, the checksum patched with
 * them (a result of 0 is written as 0xffff, CSUM_MANGLED_0), the bytes written; an SCTP checksum
 * is computed anew over the packet. The packet's connection is not looked up again: conntrack
 * keeps the tuple it found (a rewrite before conntrack, at priority raw, is what it sees). The
 * transport protocol and offsets the rest of the hook uses are those of the packet as it came.
 *
 * The protocol dependency nft adds (`meta l4proto tcp` before `tcp dport set`, `meta nfproto
 * ipv4` for `ip ...` in an inet table, `icmp type { echo-reply, echo-request }` before `icmp id
 * set`) is checked by the statement itself. Link-layer writes (`ether ... set`, `@ll`) are refused:
 * ctkit carries packets from the IP header on.
 */
import type { PacketContext } from '../netfilter/context.js';
import { decodeFrame, decodeIp } from '../packet/decode.js';
import type { PacketView } from '../packet/view.js';
import { fold, sctpChecksum, sum16 } from '../packet/checksum.js';
import type { Expr, Pos } from './ast.js';
import { type DType, integerType } from './datatypes.js';
import { Code, type IrStmt, type Key, type Op } from './ir.js';
import { NftError } from './lexer.js';
import type { NftChain, NftTable } from './model.js';
import { PROTOCOLS } from './selectors.js';
import { constValue, ValueError } from './values.js';

/** The rule being evaluated, as much as a set statement needs of it. */
export interface MangleScope {
  readonly table: NftTable;
  readonly chain: NftChain;
  readonly files: readonly string[];
  readonly out: IrStmt[];
  nh: 4 | 6 | null;
  th: number | null;
}

/** How the rest of the evaluator reads values: a number (≤ 32 bits) or any selector's key. */
export interface ValueReaders {
  num(e: Expr, type: DType): { text: string; num: (ctx: PacketContext) => number; hooks?: readonly string[] };
  key(e: Expr): Key;
}

function fail(sc: MangleScope, pos: Pos, msg: string): never {
  throw new NftError(sc.files[pos.src] ?? 'ruleset', pos.line, pos.col, msg);
}

/** Protocols with a checksum nft patches: type (1 inet, 2 sctp) and offset in the header. */
const CSUM: Readonly<Record<string, readonly [1 | 2, number]>> = {
  ip: [1, 10], tcp: [1, 16], udp: [1, 6], icmp: [1, 2], icmpv6: [1, 2], igmp: [1, 2], sctp: [2, 8],
};

/** Fields of the pseudo-header (proto.c's pseudohdr lists). */
const PSEUDO: Readonly<Record<string, readonly string[]>> = {
  ip: ['saddr', 'daddr', 'protocol', 'length'],
  ip6: ['saddr', 'daddr', 'nexthdr', 'length'],
};

/** icmp / icmpv6 fields that only exist in echo messages: nft tests the type first. */
const ECHO_FIELDS = new Set(['id', 'sequence']);

const PROTO_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 1: 'icmp', 58: 'icmpv6', 2: 'igmp', 132: 'sctp', 33: 'dccp', 50: 'esp', 51: 'ah', 108: 'comp' };

class MangleStmt implements IrStmt {
  readonly hooks?: readonly string[];
  constructor(
    private readonly txt: string,
    private readonly op: Op,
    hooks: readonly string[] | undefined,
  ) {
    if (hooks !== undefined) this.hooks = hooks;
  }
  text(): string {
    return this.txt;
  }
  compile(): Op {
    return this.op;
  }
}

/** What is written: where, how wide, which bits of it are the field. */
interface Write {
  readonly base: 'nh' | 'th';
  /** Byte offset of the write in its header, and its length. */
  readonly off: number;
  readonly size: number;
  /** The field's bit offset within the written bytes and its width. */
  readonly bitPos: number;
  readonly bits: number;
  /** Whether the write carries bits that are not the field (read-modify-write). */
  readonly masked: boolean;
  readonly csumType: 0 | 1 | 2;
  readonly csumOff: number;
  readonly pseudo: boolean;
}

/** `lhs set value` where lhs is a payload field or a raw payload: the statement, added to sc.out. */
export function payloadSet(sc: MangleScope, lhs: Expr & ({ k: 'payload' } | { k: 'raw' }), value: Expr, pos: Pos, read: ValueReaders): void {
  const fam = sc.table.family;
  if (fam !== 'ip' && fam !== 'ip6' && fam !== 'inet' && fam !== 'netdev') fail(sc, pos, `payload mangling in ${fam} tables is not supported by ctkit`);
  let proto: string | null;
  let fieldName: string | null;
  let bitOff: number;
  let bitLen: number;
  let type: DType;
  let base: 'll' | 'nh' | 'th';
  if (lhs.k === 'payload') {
    const def = PROTOCOLS[lhs.proto];
    const f = def?.fields[lhs.field];
    if (!def || !f) fail(sc, lhs.pos, `unknown ${lhs.proto} field ${lhs.field}`);
    proto = lhs.proto;
    fieldName = lhs.field;
    [bitOff, bitLen, type] = f;
    base = def.base;
  } else {
    proto = null;
    fieldName = null;
    bitOff = lhs.offset;
    bitLen = lhs.len;
    type = integerType(lhs.len);
    base = lhs.base;
    if (bitLen === 0 || bitLen > 128) fail(sc, lhs.pos, `raw payload length ${bitLen} is out of range (1-128 bits)`);
  }
  if (base === 'll') fail(sc, pos, 'link-layer header mangling (ether, vlan, @ll ... set) is not supported by ctkit: packets are replayed from the IP header on');
  const def = proto === null ? null : PROTOCOLS[proto]!;
  if (proto === 'arp' || proto === 'vlan' || proto === 'ether') fail(sc, pos, `${proto} header mangling is not supported by ctkit`);

  // ---- protocol dependency (payload_gen_dependency) ----
  const tfam = fam === 'ip' ? 4 : fam === 'ip6' ? 6 : null;
  const needFam = def?.family;
  const needL4 = def?.l4;
  if (needFam !== undefined) {
    const known = sc.nh ?? tfam;
    if (known !== null && known !== needFam) fail(sc, lhs.pos, `conflicting protocols specified: ${known === 4 ? 'ip' : 'ip6'} vs. ${proto}`);
  }
  if (needL4 !== undefined && sc.th !== null && sc.th !== needL4) {
    fail(sc, lhs.pos, `conflicting protocols specified: ${PROTO_NAMES[sc.th] ?? sc.th} vs. ${proto}`);
  }
  let echoTypes: readonly number[] | null = null;
  let depText = '';
  if ((proto === 'icmp' || proto === 'icmpv6') && ECHO_FIELDS.has(fieldName!)) {
    const typeTested = sc.out.some((s) => s.text().startsWith(`${proto} type `));
    if (!typeTested) {
      echoTypes = proto === 'icmp' ? [0, 8] : [128, 129];
      depText = proto === 'icmp' ? 'icmp type { echo-reply, echo-request } ' : 'icmpv6 type { echo-request, echo-reply } ';
    }
  }

  // ---- the write nft generates (stmt_evaluate_payload) ----
  const csum = proto === null ? undefined : CSUM[proto];
  let off = Math.floor(bitOff / 8);
  let size = Math.ceil(((bitOff % 8) + bitLen) / 8);
  let widened = false;
  if (csum !== undefined && size % 2 === 1) {
    size++;
    widened = true;
    if (off % 2 === 1) off--;
  }
  const bitPos = bitOff - off * 8;
  const masked = widened || bitPos !== 0 || size * 8 !== bitLen;
  const w: Write = {
    base,
    off,
    size,
    bitPos,
    bits: bitLen,
    masked,
    csumType: csum?.[0] ?? 0,
    csumOff: csum?.[1] ?? 0,
    pseudo: proto !== null && (PSEUDO[proto]?.includes(fieldName!) ?? false),
  };

  // ---- the value ----
  let constBytes: Uint8Array | null = null;
  let num: ((ctx: PacketContext) => number) | null = null;
  let key: Key | null = null;
  let valueText: string;
  let hooks: readonly string[] | undefined;
  if (value.k === 'const' || value.k === 'list') {
    try {
      constBytes = constValue(value, type);
    } catch (e) {
      if (e instanceof ValueError) fail(sc, e.at.pos, e.message);
      throw e;
    }
    valueText = constText(type, constBytes, proto === null);
  } else {
    if (masked) fail(sc, value.pos, `${fieldText(lhs)} set: ctkit sets a field that does not fill whole bytes (or is widened for its checksum) only to a constant`);
    if (type.bytes <= 4) {
      const v = read.num(value, type);
      num = v.num;
      valueText = v.text;
      hooks = v.hooks;
    } else {
      key = read.key(value);
      if (key.bytes !== type.bytes || (key.type.name !== type.name && key.type.name !== 'integer' && type.name !== 'integer')) {
        fail(sc, value.pos, `datatype mismatch: expected ${type.name}, expression has type ${key.type.name}`);
      }
      valueText = key.text;
      hooks = key.hooks;
    }
  }

  // ---- listing text ----
  let text: string;
  if (masked && constBytes !== null && (proto === 'icmp' || proto === 'icmpv6' || proto === 'igmp') && w.off === 0 && w.size === 2) {
    // nft 1.0.6 lists these as a masked write of the first two transport header bytes
    const v = containerValue(w, bytesToBig(constBytes));
    const keep = Number(fieldMask(w) ^ 0xffffn);
    const vn = Number(v);
    text = `th sport set th sport & ${keep | vn}${vn !== 0 ? ` | ${vn}` : ''}`;
  } else if (lhs.k === 'raw') {
    text = rawText(sc, lhs, w, constBytes, valueText);
  } else if (lhs.proto === 'th') {
    // nft keeps no protocol for `th`: the listing decodes the write by what the rule knows
    text = rawText(sc, { k: 'raw', base: 'th', offset: bitOff, len: bitLen, pos: lhs.pos }, w, constBytes, valueText);
  } else {
    text = `${depText}${lhs.proto} ${lhs.field} set ${valueText}`;
  }

  // ---- the operation ----
  const family = needFam;
  const l4 = needL4;
  const valueBuf = new Uint8Array(Math.max(16, type.bytes));
  const nb = new Uint8Array(w.size);
  const op: Op = (ctx) => {
    const pkt = ctx.pkt;
    if (family !== undefined && pkt.family !== family) return Code.BREAK;
    if (l4 !== undefined && pkt.proto !== l4) return Code.BREAK;
    if (echoTypes !== null) {
      if (pkt.l4Off < 0 || pkt.fragOffset !== 0 || !echoTypes.includes(pkt.buf[pkt.l4Off]!)) return Code.BREAK;
    }
    // the new bytes of the field
    let v: Uint8Array;
    if (constBytes !== null) v = constBytes;
    else if (num !== null) {
      const n = num(ctx);
      if (n < 0) return Code.BREAK;
      let x = n;
      for (let i = type.bytes - 1; i >= 0; i--) {
        valueBuf[i] = x & 0xff;
        x = Math.floor(x / 256);
      }
      v = valueBuf.subarray(0, type.bytes);
    } else {
      valueBuf.fill(0);
      if (!key!.load(ctx, valueBuf, 0)) return Code.BREAK;
      v = valueBuf.subarray(0, type.bytes);
    }
    return setPayload(ctx, w, v, nb) ? Code.NEXT : Code.BREAK;
  };
  sc.out.push(new MangleStmt(text, op, hooks));
  if (family !== undefined) sc.nh = family;
  if (l4 !== undefined) sc.th = l4;
}

function fieldText(lhs: Expr & ({ k: 'payload' } | { k: 'raw' })): string {
  return lhs.k === 'payload' ? `${lhs.proto} ${lhs.field}` : `@${lhs.base},${lhs.offset},${lhs.len}`;
}

/** A constant as nft lists it: the field's type, raw payload as hex. */
function constText(type: DType, v: Uint8Array, raw: boolean): string {
  if (raw) return `0x${bytesToBig(v).toString(16)}`;
  return type.bitmask ? type.print(v).split(',').join(' | ') : type.print(v);
}

function bytesToBig(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** Bits of the write that are the field. */
function fieldMask(w: Write): bigint {
  const total = BigInt(w.size * 8);
  const ones = (1n << BigInt(w.bits)) - 1n;
  return ones << (total - BigInt(w.bitPos) - BigInt(w.bits));
}

/** The field value placed at its bits in the write. */
function containerValue(w: Write, value: bigint): bigint {
  const total = BigInt(w.size * 8);
  const ones = (1n << BigInt(w.bits)) - 1n;
  return (value & ones) << (total - BigInt(w.bitPos) - BigInt(w.bits));
}

/**
 * A raw write as nft lists it: decoded as a field of the table's network protocol or of `th` when
 * one matches exactly, else `@base,off,len set 0x...`; a masked raw write shows its read-modify.
 */
function rawText(sc: MangleScope, lhs: Expr & { k: 'raw' }, w: Write, constBytes: Uint8Array | null, valueText: string): string {
  const l4 = sc.th === null ? undefined : PROTO_NAMES[sc.th];
  const proto = lhs.base === 'th' ? (l4 !== undefined && PROTOCOLS[l4] ? l4 : 'th') : sc.nh === 4 ? 'ip' : sc.nh === 6 ? 'ip6' : null;
  const same = proto === null ? undefined : Object.entries(PROTOCOLS[proto]!.fields).find(([n, [o, l]]) => o === lhs.offset && l === lhs.len && n !== 'cfi');
  if (w.masked && constBytes !== null && same === undefined) {
    const c = `@${lhs.base},${w.off * 8},${w.size * 8}`;
    const v = containerValue(w, bytesToBig(constBytes));
    const keep = fieldMask(w) ^ ((1n << BigInt(w.size * 8)) - 1n);
    return `${c} set ${c} & 0x${(keep | v).toString(16)}${v !== 0n ? ` | 0x${v.toString(16)}` : ''}`;
  }
  if (proto !== null) {
    const def = PROTOCOLS[proto]!;
    for (const [name, [o, l, t]] of Object.entries(def.fields)) {
      if (o === lhs.offset && l === lhs.len && name !== 'cfi') {
        const shown = constBytes !== null ? t.print(constBytes.length === t.bytes ? constBytes : fit(constBytes, t.bytes)) : valueText;
        return `${proto} ${name} set ${shown}`;
      }
    }
  }
  return `@${lhs.base},${lhs.offset},${lhs.len} set ${valueText}`;
}

function fit(b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(b.subarray(Math.max(0, b.length - n)), Math.max(0, n - b.length));
  return out;
}

/** Patches a 16-bit internet checksum at `at` for bytes whose sum went from `fsum` to `tsum`. */
function csumPatch(b: Uint8Array, at: number, fsum: number, tsum: number): void {
  const old = (b[at]! << 8) | b[at + 1]!;
  // csum_replace4: ~fold(~sum + ~from + to); nft_csum_replace writes a 0 result as 0xffff
  let c = ~fold((~old & 0xffff) + (~fold(fsum) & 0xffff) + fold(tsum)) & 0xffff;
  if (c === 0) c = 0xffff;
  b[at] = c >>> 8;
  b[at + 1] = c & 0xff;
}

/** nft_payload_set_eval for one packet; false: the rule breaks. */
function setPayload(ctx: PacketContext, w: Write, value: Uint8Array, nb: Uint8Array): boolean {
  const pkt = ctx.pkt;
  const b = pkt.buf;
  let baseOff: number;
  if (w.base === 'nh') baseOff = pkt.l3Off;
  else {
    if (pkt.l4Off < 0 || pkt.fragOffset !== 0) return false;
    baseOff = pkt.l4Off;
  }
  const off = baseOff + w.off;
  if (off + w.size > pkt.ipEnd) return false;
  // the bytes to write: the field's value, the other bits as they are
  if (!w.masked) {
    nb.set(value.subarray(value.length - w.size));
  } else {
    nb.set(b.subarray(off, off + w.size));
    const total = w.size * 8;
    const shift = total - w.bitPos - w.bits;
    for (let i = 0; i < w.bits; i++) {
      const src = w.bits - 1 - i; // bit i of the field counted from its most significant bit
      const bit = (value[value.length - 1 - (src >> 3)]! >> (src & 7)) & 1;
      const dst = shift + src; // bit number in the write, from its least significant bit
      const byte = w.size - 1 - (dst >> 3);
      nb[byte] = bit ? nb[byte]! | (1 << (dst & 7)) : nb[byte]! & ~(1 << (dst & 7));
    }
  }
  if (w.csumType === 1 || w.pseudo) {
    const fsum = sum16(b, off, w.size);
    const tsum = sum16(nb, 0, w.size);
    if (w.csumType === 1) {
      const at = baseOff + w.csumOff;
      if (at + 2 > pkt.ipEnd) return false;
      csumPatch(b, at, fsum, tsum);
    }
    if (w.pseudo && pkt.fragOffset === 0 && pkt.l4Off >= 0) {
      let at = -1;
      switch (pkt.proto) {
        case 6:
          at = pkt.l4Off + 16;
          break;
        case 17:
          if (pkt.l4Off + 8 <= pkt.ipEnd && (b[pkt.l4Off + 6]! | b[pkt.l4Off + 7]!) !== 0) at = pkt.l4Off + 6;
          break;
        case 136:
          at = pkt.l4Off + 6;
          break;
        case 58:
          at = pkt.l4Off + 2;
          break;
      }
      if (at >= 0) {
        if (at + 2 > pkt.ipEnd) return false;
        csumPatch(b, at, fsum, tsum);
      }
    }
  }
  b.set(nb, off);
  if (w.csumType === 2 && pkt.proto === 132 && pkt.fragOffset === 0 && pkt.l4Off >= 0 && pkt.l4Off + 12 <= pkt.ipEnd) {
    const c = sctpChecksum(b, pkt.l4Off, pkt.ipEnd - pkt.l4Off);
    const at = pkt.l4Off + 8;
    b[at] = c & 0xff;
    b[at + 1] = (c >>> 8) & 0xff;
    b[at + 2] = (c >>> 16) & 0xff;
    b[at + 3] = c >>> 24;
  }
  // later readers (conntrack, NAT, other rules) see the new bytes; conntrack is not looked up again
  redecode(pkt);
  return true;
}

/** Decodes a rewritten packet again in place: a frame (inet ingress) as a frame, an IP packet as one. */
export function redecode(pkt: PacketView): void {
  if (pkt.l2Off >= 0) decodeFrame(pkt, pkt.buf, pkt.linktype, pkt.l2Off, pkt.frameEnd);
  else decodeIp(pkt, pkt.buf, pkt.l3Off, pkt.buf.length);
}
