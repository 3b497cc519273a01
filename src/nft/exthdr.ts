/**
 * nft `tcp option` (nft_exthdr with NFT_EXTHDR_OP_TCPOPT).
 *
 * Matching: `tcp option NAME FIELD` reads a field of the first option of that kind,
 * `tcp option NAME` alone is `exists` / `missing`, `tcp option @KIND,OFFSET,LENGTH` (bits) reads
 * raw bytes of an option. Options are walked as nft_exthdr_tcp_eval walks them: from byte 20 of
 * the TCP header while at least two bytes are left, one byte for EOL / NOP or a length of 0, the
 * option's length otherwise (EOL does not end the walk); an option that runs past the header, or
 * a field past the option's length, makes the rule break (or reads as missing). Only TCP packets
 * with their header (not a later fragment) have options.
 *
 * Setting: `tcp option FIELD set VALUE` (nft_exthdr_tcp_set_eval) changes 2- or 4-byte fields
 * in place with the TCP checksum updated; maxseg size is only ever lowered (an increase could
 * stall the connection). `reset tcp option NAME` (nft_exthdr_tcp_strip_eval) overwrites the
 * first option of that kind with NOPs.
 *
 * Names, fields and listings are nft 1.0.6's (tcpopt.c); nft adds no protocol dependency for
 * them (the kernel checks the protocol itself).
 */
import type { PacketContext } from '../netfilter/context.js';
import { csumReplace16 } from '../packet/checksum.js';
import type { Expr, Pos } from './ast.js';
import { type DType, T, integerType } from './datatypes.js';
import { Code, type CompileCtx, type IrStmt, type Key, type Op } from './ir.js';
import { NftError } from './lexer.js';
import type { ExprScope } from './fib.js';
import { redecode as redecodePacket } from './mangle.js';
import { fieldOf } from './values.js';

function fail(sc: ExprScope, pos: Pos, msg: string): never {
  throw new NftError(sc.files[pos.src] ?? 'ruleset', pos.line, pos.col, msg);
}

/** A template: name, offset and length in bits. */
type Tmpl = readonly [string, number, number];

interface OptDesc {
  readonly name: string;
  readonly kind: number;
  readonly fields: readonly Tmpl[];
}

const KIND: Tmpl = ['kind', 0, 8];
const LENGTH: Tmpl = ['length', 8, 8];

/** tcpopt.c's descriptions. */
const OPTIONS: readonly OptDesc[] = [
  { name: 'eol', kind: 0, fields: [KIND] },
  { name: 'nop', kind: 1, fields: [KIND] },
  { name: 'maxseg', kind: 2, fields: [KIND, LENGTH, ['size', 16, 16]] },
  { name: 'window', kind: 3, fields: [KIND, LENGTH, ['count', 16, 8]] },
  { name: 'sack-perm', kind: 4, fields: [KIND, LENGTH] },
  {
    name: 'sack',
    kind: 5,
    fields: [KIND, LENGTH, ['left', 16, 32], ['right', 48, 32], ['left', 80, 32], ['right', 112, 32], ['left', 144, 32], ['right', 176, 32], ['left', 208, 32], ['right', 240, 32]],
  },
  { name: 'timestamp', kind: 8, fields: [KIND, LENGTH, ['tsval', 16, 32], ['tsecr', 48, 32]] },
  { name: 'md5sig', kind: 19, fields: [KIND, LENGTH] },
  { name: 'mptcp', kind: 30, fields: [KIND, LENGTH, ['subtype', 16, 4]] },
  { name: 'fastopen', kind: 34, fields: [KIND, LENGTH] },
];

/** Option words the parser accepts (the scanner's aliases included). */
const ALIASES: Readonly<Record<string, number>> = {
  eol: 0, nop: 1, maxseg: 2, mss: 2, window: 3, 'sack-perm': 4, 'sack-permitted': 4, sack: 5, sack0: 5, sack1: 5, sack2: 5, sack3: 5,
  timestamp: 8, echo: 8, md5sig: 19, mptcp: 30, fastopen: 34,
};

/** The kind number of an option word (name or 0-255). */
function kindOf(sc: ExprScope, word: string, pos: Pos): number {
  const k = ALIASES[word];
  if (k !== undefined) return k;
  if (/^[0-9]+$/.test(word)) {
    const n = Number(word);
    if (n > 255) fail(sc, pos, 'value too large');
    return n;
  }
  return fail(sc, pos, `syntax error, unexpected ${word}`);
}

function descOf(kind: number): OptDesc | undefined {
  return OPTIONS.find((d) => d.kind === kind);
}

/** The option as the listing names it: its name, or its number. */
function optName(kind: number): string {
  return descOf(kind)?.name ?? String(kind);
}

/** What one `tcp option` expression reads: kind, byte offset and length in the option, a bit field within. */
interface OptRef {
  readonly kind: number;
  readonly offset: number;
  readonly len: number;
  /** Bit field: shift right and mask of the loaded bytes (mptcp subtype), null for whole bytes. */
  readonly bits: { shift: number; mask: number } | null;
  readonly text: string;
  readonly type: DType;
}

/** Resolves `tcp option NAME FIELD` / `tcp option @K,O,L` to what it reads. */
function optRef(sc: ExprScope, e: Expr & { k: 'tcpopt' }): OptRef {
  const kind = kindOf(sc, e.opt, e.pos);
  const desc = descOf(kind);
  if (e.raw) {
    const { offset, len } = e.raw;
    if (offset % 8 !== 0 || len % 8 !== 0 || len === 0) fail(sc, e.pos, `tcp option @${e.opt},${offset},${len}: ctkit reads whole bytes of an option (offset and length multiples of 8)`);
    if (offset / 8 > 255 || len / 8 > 255) fail(sc, e.pos, 'Could not process rule: Numerical result out of range');
    const tmpl = desc?.fields.find(([, o, l]) => o === offset && l === len);
    let text: string;
    if (desc === undefined) text = `tcp option @${kind},${offset},${len}`;
    else text = `tcp option ${tmpl ? fieldText(desc, tmpl) : `${desc.name} unknown`}`;
    return { kind, offset: offset / 8, len: len / 8, bits: null, text, type: integerType(len) };
  }
  if (e.field === 'kind') fail(sc, e.pos, 'syntax error, unexpected kind');
  const fieldName = e.field;
  if (fieldName === '') fail(sc, e.pos, 'internal: a tcp option without a field is a presence test');
  let tmpl: Tmpl | undefined;
  if (desc !== undefined) {
    const sackIdx = /^sack([0-3])$/.exec(e.opt);
    if ((fieldName === 'left' || fieldName === 'right') && desc.kind === 5) {
      const n = sackIdx ? Number(sackIdx[1]) : 0;
      tmpl = desc.fields.find(([f, o]) => f === fieldName && o === (fieldName === 'left' ? 16 : 48) + n * 64);
    } else if (fieldName === 'length' || (desc.fields.some(([f]) => f === fieldName) && fieldName !== 'left' && fieldName !== 'right')) {
      const ok = fieldName === 'length' || fieldAllowed(desc.kind, fieldName);
      tmpl = ok ? desc.fields.find(([f]) => f === fieldName) : undefined;
    }
  }
  if (tmpl === undefined) {
    if (desc === undefined && fieldName !== 'length') fail(sc, e.pos, `syntax error, unexpected ${fieldName}`);
    if (desc === undefined) fail(sc, e.pos, 'syntax error, unexpected length');
    fail(sc, e.pos, `syntax error, unexpected ${fieldName}`);
  }
  const [, o, l] = tmpl;
  const bytes = Math.ceil(((o % 8) + l) / 8);
  const bits = l % 8 === 0 ? null : { shift: bytes * 8 - (o % 8) - l, mask: 2 ** l - 1 };
  return { kind, offset: Math.floor(o / 8), len: bytes, bits, text: `tcp option ${fieldText(desc!, tmpl)}`, type: integerType(l) };
}

/** The field words the parser takes after each option (tcp_hdr_option_kind_and_field). */
function fieldAllowed(kind: number, field: string): boolean {
  switch (kind) {
    case 2:
      return field === 'size';
    case 3:
      return field === 'count';
    case 8:
      return field === 'tsval' || field === 'tsecr';
    case 30:
      return field === 'subtype';
    default:
      return false;
  }
}

/** `maxseg size`, `sack1 left`, `window count` as nft lists them. */
function fieldText(desc: OptDesc, tmpl: Tmpl): string {
  const [f, o] = tmpl;
  if (desc.kind === 5 && (f === 'left' || f === 'right')) {
    const n = Math.floor((o - 16) / 64);
    return `${n === 0 ? 'sack' : `sack${n}`} ${f}`;
  }
  return `${desc.name} ${f}`;
}

/**
 * Offset of the first option of `kind` in the packet's TCP header: the kernel's walk. -1 when the
 * packet has no TCP header here, -2 when there is no option of that kind, -3 when the first one
 * runs past the header or is shorter than the `need` bytes asked for.
 */
function findOption(ctx: PacketContext, kind: number, need: number): number {
  const pkt = ctx.pkt;
  if (pkt.proto !== 6 || pkt.fragOffset !== 0 || pkt.l4Off < 0) return -1;
  const b = pkt.buf;
  const th = pkt.l4Off;
  if (th + 20 > pkt.ipEnd) return -1;
  const hdrLen = (b[th + 12]! >>> 4) * 4;
  if (hdrLen < 20 || th + hdrLen > pkt.ipEnd) return -1;
  for (let i = 20; i < hdrLen - 1;) {
    const k = b[th + i]!;
    const optl = k <= 1 || b[th + i + 1] === 0 ? 1 : b[th + i + 1]!;
    if (k === kind) {
      if (i + optl > hdrLen || need > optl) return -3;
      return th + i;
    }
    i += optl;
  }
  return -2;
}

/** The key of a `tcp option` expression; `present` for `... exists` / `... missing` and `tcp option NAME`. */
export function tcpOptKey(sc: ExprScope, e: Expr & { k: 'tcpopt' }, present: boolean): Key {
  if (present || (e.field === '' && !e.raw)) {
    if (e.raw) fail(sc, e.pos, 'datatype mismatch, expected integer, expression has type boolean type');
    if (e.field !== '') fail(sc, e.pos, 'datatype mismatch, expected integer, expression has type boolean type');
    const kind = kindOf(sc, e.opt, e.pos);
    const num = (ctx: PacketContext): number => {
      const at = findOption(ctx, kind, 1);
      // nft_exthdr_tcp_eval with NFT_EXTHDR_F_PRESENT: missing even without a TCP header
      return at >= 0 ? 1 : 0;
    };
    return boolKey(`tcp option ${optName(kind)}`, num);
  }
  const ref = optRef(sc, e);
  const { kind, offset, len, bits } = ref;
  const num =
    len <= 4
      ? (ctx: PacketContext): number => {
          const at = findOption(ctx, kind, offset + len);
          if (at < 0) return -1;
          const b = ctx.pkt.buf;
          let n = 0;
          for (let i = 0; i < len; i++) n = n * 256 + b[at + offset + i]!;
          return bits === null ? n : Math.floor(n / 2 ** bits.shift) & bits.mask;
        }
      : null;
  return {
    text: ref.text,
    fields: [fieldOf(ref.type)],
    bytes: ref.type.bytes,
    num,
    type: ref.type,
    load(ctx, buf, off) {
      const at = findOption(ctx, kind, offset + len);
      if (at < 0) return false;
      if (bits !== null) {
        const v = num!(ctx);
        buf[off] = v;
        return true;
      }
      buf.set(ctx.pkt.buf.subarray(at + offset, at + offset + len), off);
      return true;
    },
  };
}

function boolKey(text: string, num: (ctx: PacketContext) => number): Key {
  return {
    text,
    fields: [fieldOf(T.boolean)],
    bytes: 1,
    num,
    type: T.boolean,
    load(ctx, buf, off) {
      buf[off] = num(ctx);
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// set and reset

class ExthdrStmt implements IrStmt {
  readonly hooks?: readonly string[];
  constructor(
    private readonly txt: string,
    private readonly make: (cc: CompileCtx) => Op,
    hooks?: readonly string[],
  ) {
    if (hooks !== undefined) this.hooks = hooks;
  }
  text(): string {
    return this.txt;
  }
  compile(cc: CompileCtx): Op {
    return this.make(cc);
  }
}

/**
 * `tcp option FIELD set VALUE`: `readValue` gives the new value for the field's type (a number,
 * -1 when its expression breaks) and its listing text.
 */
export function tcpOptSetStmt(
  sc: ExprScope,
  e: Expr & { k: 'tcpopt' },
  readValue: (type: DType) => { text: string; num: (ctx: PacketContext) => number; hooks?: readonly string[] },
  pos: Pos,
): IrStmt {
  if (e.field === '' && !e.raw) fail(sc, pos, 'Could not process rule: Operation not supported');
  ipFamilyOnly(sc, pos, 'tcp option ... set');
  const ref = optRef(sc, e);
  const value = readValue(ref.type);
  // nft_exthdr_tcp_set_init: 2 or 4 bytes, not the kind or length bytes
  if (ref.bits !== null || (ref.len !== 2 && ref.len !== 4) || ref.offset < 2) fail(sc, pos, 'Could not process rule: Operation not supported');
  const { kind, offset, len } = ref;
  const make = (): Op => (ctx) => {
    const v = value.num(ctx);
    if (v < 0) return Code.BREAK;
    const pkt = ctx.pkt;
    // no TCP header or a broken option breaks, a missing option goes on
    const at = findOption(ctx, kind, offset + len);
    if (at === -2) return Code.NEXT;
    if (at < 0) return Code.BREAK;
    const b = pkt.buf;
    const p = at + offset;
    const csumAt = pkt.l4Off + 16;
    if (len === 2) {
      const old = (b[p]! << 8) | b[p + 1]!;
      const nv = v & 0xffff;
      if (kind === 2 && old <= nv) return Code.NEXT; // maxseg is only lowered
      if (old === nv) return Code.NEXT;
      b[p] = nv >>> 8;
      b[p + 1] = nv & 0xff;
      replaceInCsum(b, csumAt, old, nv);
    } else {
      const old = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      const nv = v >>> 0;
      if (old === nv) return Code.NEXT;
      b[p] = nv >>> 24;
      b[p + 1] = (nv >>> 16) & 0xff;
      b[p + 2] = (nv >>> 8) & 0xff;
      b[p + 3] = nv & 0xff;
      replaceInCsum(b, csumAt, old >>> 16, nv >>> 16);
      replaceInCsum(b, csumAt, old & 0xffff, nv & 0xffff);
    }
    redecode(ctx);
    return Code.NEXT;
  };
  return new ExthdrStmt(`${ref.text} set ${value.text}`, make, value.hooks);
}

/**
 * inet_proto_csum_replace2 / 4 on the TCP checksum at `csumAt`: the old and new values are
 * added as if they sat on a 16-bit boundary of the header, wherever the option put them (a field
 * at an odd offset leaves the checksum wrong, as the kernel does).
 */
function replaceInCsum(b: Uint8Array, csumAt: number, from: number, to: number): void {
  const c = csumReplace16((b[csumAt]! << 8) | b[csumAt + 1]!, from, to);
  b[csumAt] = c >>> 8;
  b[csumAt + 1] = c & 0xff;
}

/** `reset tcp option NAME`. */
export function tcpOptResetStmt(sc: ExprScope, opt: string, pos: Pos): IrStmt {
  ipFamilyOnly(sc, pos, 'reset tcp option');
  const kind = kindOf(sc, opt, pos);
  const make = (): Op => (ctx) => {
    const pkt = ctx.pkt;
    const at = findOption(ctx, kind, 1);
    if (at === -1) return Code.BREAK;
    if (at === -2) return Code.NEXT;
    // an option of that kind running past the header cannot be stripped: the kernel drops
    if (at === -3) return Code.DROP;
    const b = pkt.buf;
    const th = pkt.l4Off;
    const optl = b[at]! <= 1 || b[at + 1] === 0 ? 1 : b[at + 1]!;
    for (let j = 0; j < optl; j++) {
      const rel = at - th + j;
      // the byte's place in its 16-bit word decides how it counts in the checksum
      const o = rel % 2 === 0 ? b[at + j]! << 8 : b[at + j]!;
      const n = rel % 2 === 0 ? 1 << 8 : 1;
      const c = csumReplace16((b[th + 16]! << 8) | b[th + 17]!, o, n);
      b[th + 16] = c >>> 8;
      b[th + 17] = c & 0xff;
    }
    b.fill(1, at, at + optl);
    redecode(ctx);
    return Code.NEXT;
  };
  return new ExthdrStmt(`reset tcp option ${optName(kind)}`, make);
}

/** Later readers (conntrack, other rules) see the new options. */
function redecode(ctx: PacketContext): void {
  redecodePacket(ctx.pkt);
}

/** Writes are supported where ctkit carries IP packets (ip, ip6, inet tables). */
function ipFamilyOnly(sc: ExprScope, pos: Pos, what: string): void {
  const fam = sc.table.family;
  if (fam !== 'ip' && fam !== 'ip6' && fam !== 'inet') fail(sc, pos, `${what} in ${fam} tables is not supported by ctkit`);
}
