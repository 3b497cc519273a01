/**
 * The H.323 helpers' message decoders, as the 6.18 kernel decodes them (nf_conntrack_h323_asn1.c):
 * a table-driven ASN.1 aligned-PER walker over the field tables of h323-types.ts, and the Q.931
 * framing around the H.225 user-user information element.
 *
 * The walker visits every field of a message to find where the next one starts, but keeps only
 * what a field marked DECODE asks for: the options bitmap of a SEQUENCE, the alternative of a
 * CHOICE, the item count of a SEQUENCE OF (items past the table's upper bound are walked, not
 * kept), the offset of an IP address (an OCTET STRING of fixed size above 2) from the start of the
 * decoded buffer, and a constrained INTEGER's value (timeToLive). Everything else is only skipped.
 *
 * It follows the kernel step by step, quirks included, because which messages are understood is
 * what a packet's verdict and expectations depend on:
 *  - lengths are read with get_len (one byte, or two when the first has its top bit set), in some
 *    places without aligning first; an open type's content is decoded in place and the cursor
 *    then moved to the end its length gives (or left where the skipped length ends);
 *  - a field marked STOP ends the SEQUENCE (or CHOICE) it is in with H323_ERROR_STOP (1), which the
 *    caller does not treat as an error: decoding goes on after it (where the cursor is);
 *  - a SEQUENCE checks for STOP before looking at whether an optional field is present;
 *  - bounds are checked where the kernel checks them, against the end of the decoded buffer; a
 *    read past the end that no check covers takes the byte that is there (or 0 past the packet)
 *    and the next check fails;
 *  - alternatives or extensions past a table's upper bound ("newer version") are skipped by length;
 *  - a constrained integer that is kept (timeToLive) moves the cursor twice over its value bytes,
 *    so such a field right at the end of a message makes the whole message fail (BOUND).
 *
 * Results: H323_ERROR_NONE (0), H323_ERROR_STOP (1), H323_ERROR_BOUND (-1, ran past the end),
 * H323_ERROR_RANGE (-2, an index or size out of range). Nothing here throws on any input.
 */

/** ASN.1 types of the field tables. */
export const AsnType = {
  NUL: 0,
  BOOL: 1,
  OID: 2,
  INT: 3,
  ENUM: 4,
  BITSTR: 5,
  /** NumericString, NumberDigits, TBCD-STRING. */
  NUMSTR: 6,
  /** OCTET STRING, PrintableString, IA5String, GeneralString. */
  OCTSTR: 7,
  BMPSTR: 8,
  /** SEQUENCE and SET. */
  SEQ: 9,
  /** SEQUENCE OF and SET OF. */
  SEQOF: 10,
  CHOICE: 11,
} as const;

/** Size constraint kinds (`sz`); 1..8 are a bit count. */
export const Size = {
  FIXD: 0,
  BYTE: 9,
  WORD: 10,
  CONS: 11,
  SEMI: 12,
  UNCO: 13,
} as const;

/** Field attributes. */
export const Attr = {
  SKIP: 0,
  STOP: 1,
  DECODE: 2,
  EXT: 4,
  OPEN: 8,
  OPT: 16,
} as const;

/** Decoder results. */
export const H323Error = {
  NONE: 0,
  STOP: 1,
  BOUND: -1,
  RANGE: -2,
} as const;

/** One entry of a field table (the kernel's struct field_t, with the field's name as its key). */
export interface Field {
  readonly name: string;
  readonly type: number;
  /** Size constraint (Size) or bit count. */
  readonly sz: number;
  /** Lower bound; for SEQUENCE and CHOICE the number of root components / alternatives. */
  readonly lb: number;
  /** Upper bound; for SEQUENCE and CHOICE the number of components / alternatives known. */
  readonly ub: number;
  readonly attr: number;
  readonly fields: readonly Field[] | null;
}

/**
 * What a decode keeps: per SEQUENCE `options` (bit 31 the first optional root component, then the
 * others, then the extensions), per CHOICE `choice`, per SEQUENCE OF `count` and `items`, address
 * offsets and integer values under the field's name; nested structures under their field names.
 */
export interface Decoded {
  [name: string]: number | Decoded | Decoded[];
}

/** The bit stream (struct bitstr): offsets into `buf`; `base` is what address offsets count from. */
class BitStream {
  buf: Uint8Array = new Uint8Array(0);
  base = 0;
  cur = 0;
  end = 0;
  bit = 0;

  /** The byte at `i` (0 past the buffer: the kernel would read whatever is there, and fail the next check). */
  at(i: number): number {
    return this.buf[i] ?? 0;
  }
}

const { NUL, BOOL, OID, INT, ENUM, BITSTR, NUMSTR, OCTSTR, BMPSTR, SEQ, SEQOF, CHOICE } = AsnType;
const { FIXD, BYTE, WORD, CONS, SEMI, UNCO } = Size;
const { STOP, DECODE, EXT, OPEN, OPT } = Attr;
const { NONE, BOUND, RANGE } = H323Error;

function incBit(bs: BitStream): void {
  if (++bs.bit > 7) {
    bs.cur++;
    bs.bit = 0;
  }
}

function incBits(bs: BitStream, b: number): void {
  if ((bs.bit += b) > 7) {
    bs.cur += bs.bit >> 3;
    bs.bit &= 7;
  }
}

function byteAlign(bs: BitStream): void {
  if (bs.bit) {
    bs.cur++;
    bs.bit = 0;
  }
}

/** get_len: a length of one byte, or 14 bits in two when the first byte's top bit is set. */
function getLen(bs: BitStream): number {
  let v = bs.at(bs.cur++);
  if (v & 0x80) {
    v &= 0x3f;
    v <<= 8;
    v += bs.at(bs.cur++);
  }
  return v;
}

/** nf_h323_error_boundary: whether `bytes` bytes and `bits` bits from the cursor run past the end. */
function pastEnd(bs: BitStream, bytes: number, bits: number): boolean {
  bits += bs.bit;
  bytes += Math.floor(bits / 8);
  if (bits % 8 > 0) bytes++;
  return bs.cur + bytes > bs.end;
}

/** get_bit: the next bit, as its value in the byte (0 or not). */
function getBit(bs: BitStream): number {
  const b = bs.at(bs.cur) & (0x80 >> bs.bit);
  incBit(bs);
  return b;
}

/** get_bits (b <= 8 in the tables' reachable uses; wider counts shift as the kernel's code does on x86). */
function getBits(bs: BitStream, b: number): number {
  let v = bs.at(bs.cur) & (0xff >>> bs.bit);
  const l = b + bs.bit;
  if (l < 8) {
    v >>>= 8 - l;
    bs.bit = l;
  } else if (l === 8) {
    bs.cur++;
    bs.bit = 0;
  } else {
    v <<= 8;
    v += bs.at(++bs.cur);
    v >>>= 16 - l;
    bs.bit = l - 8;
  }
  return v;
}

/** get_bitmap: `b` (<= 32) bits, left-aligned in a 32-bit word. */
function getBitmap(bs: BitStream, b: number): number {
  if (!b) return 0;
  const l = bs.bit + b;
  let v: number;
  if (l < 8) {
    v = (bs.at(bs.cur) << (bs.bit + 24)) >>> 0;
    bs.bit = l;
  } else if (l === 8) {
    v = (bs.at(bs.cur++) << (bs.bit + 24)) >>> 0;
    bs.bit = 0;
  } else {
    let shift = 24;
    v = 0;
    for (let bytes = l >> 3; bytes; bytes--, shift -= 8) v = (v | (bs.at(bs.cur++) << shift)) >>> 0;
    if (l < 32) {
      v = (v | (bs.at(bs.cur) << shift)) >>> 0;
      v = (v << bs.bit) >>> 0;
    } else if (l > 32) {
      v = (v << bs.bit) >>> 0;
      v = (v | (bs.at(bs.cur) >>> (8 - bs.bit))) >>> 0;
    }
    bs.bit = l & 7;
  }
  return (v & (0xffffffff << (32 - b))) >>> 0;
}

/** get_uint: `b` (1..4) bytes, big-endian. */
function getUint(bs: BitStream, b: number): number {
  let v = 0;
  for (let i = 0; i < b; i++) v = v * 256 + bs.at(bs.cur++);
  return v;
}

function decodeNul(): number {
  return NONE;
}

function decodeBool(bs: BitStream): number {
  incBit(bs);
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

function decodeOid(bs: BitStream): number {
  byteAlign(bs);
  if (pastEnd(bs, 1, 0)) return BOUND;
  const len = bs.at(bs.cur++);
  bs.cur += len;
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

function decodeInt(bs: BitStream, f: Field, base: Decoded | null): number {
  switch (f.sz) {
    case BYTE:
      byteAlign(bs);
      bs.cur++;
      break;
    case WORD:
      byteAlign(bs);
      bs.cur += 2;
      break;
    case CONS: {
      if (pastEnd(bs, 0, 2)) return BOUND;
      const len = getBits(bs, 2) + 1;
      byteAlign(bs);
      // Decoding the value (timeToLive) moves the cursor over it, and the skip below moves it
      // again: the kernel ends such an integer `len` bytes further than it is long.
      if (base !== null && f.attr & DECODE) base[f.name] = (getUint(bs, len) + f.lb) % 0x100000000;
      bs.cur += len;
      break;
    }
    case UNCO: {
      byteAlign(bs);
      if (pastEnd(bs, 2, 0)) return BOUND;
      const len = getLen(bs);
      bs.cur += len;
      break;
    }
    default:
      incBits(bs, f.sz);
      break;
  }
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

function decodeEnum(bs: BitStream, f: Field): number {
  if (f.attr & EXT && getBit(bs)) incBits(bs, 7);
  else incBits(bs, f.sz);
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

function decodeBitstr(bs: BitStream, f: Field): number {
  byteAlign(bs);
  let len: number;
  switch (f.sz) {
    case FIXD:
      len = f.lb;
      break;
    case WORD:
      if (pastEnd(bs, 2, 0)) return BOUND;
      len = bs.at(bs.cur++) << 8;
      len += bs.at(bs.cur++) + f.lb;
      break;
    case SEMI:
      if (pastEnd(bs, 2, 0)) return BOUND;
      len = getLen(bs);
      break;
    default:
      len = 0;
      break;
  }
  bs.cur += len >> 3;
  bs.bit = len & 7;
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

function decodeNumstr(bs: BitStream, f: Field): number {
  if (pastEnd(bs, 0, f.sz)) return BOUND;
  const len = getBits(bs, f.sz) + f.lb;
  byteAlign(bs);
  incBits(bs, len << 2);
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

function decodeOctstr(bs: BitStream, f: Field, base: Decoded | null): number {
  let len: number;
  switch (f.sz) {
    case FIXD:
      if (f.lb > 2) {
        byteAlign(bs);
        // An IP address: where it is, from the start of the decoded buffer.
        if (base !== null && f.attr & DECODE) base[f.name] = bs.cur - bs.base;
      }
      len = f.lb;
      break;
    case BYTE:
      byteAlign(bs);
      if (pastEnd(bs, 1, 0)) return BOUND;
      len = bs.at(bs.cur++) + f.lb;
      break;
    case SEMI:
      byteAlign(bs);
      if (pastEnd(bs, 2, 0)) return BOUND;
      len = getLen(bs) + f.lb;
      break;
    default:
      if (pastEnd(bs, 0, f.sz)) return BOUND;
      len = getBits(bs, f.sz) + f.lb;
      byteAlign(bs);
      break;
  }
  bs.cur += len;
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

function decodeBmpstr(bs: BitStream, f: Field): number {
  let len: number;
  if (f.sz === BYTE) {
    byteAlign(bs);
    if (pastEnd(bs, 1, 0)) return BOUND;
    len = bs.at(bs.cur++) + f.lb;
  } else {
    if (pastEnd(bs, 0, f.sz)) return BOUND;
    len = getBits(bs, f.sz) + f.lb;
    byteAlign(bs);
  }
  bs.cur += len << 1;
  return pastEnd(bs, 0, 0) ? BOUND : NONE;
}

/** The structure `f` keeps its own results in (its field in `base`), or null when nothing is kept. */
function own(f: Field, base: Decoded | null, init: Decoded): Decoded | null {
  if (base === null || !(f.attr & DECODE)) return null;
  base[f.name] = init;
  return init;
}

function decodeSeq(bs: BitStream, f: Field, parent: Decoded | null): number {
  const base = own(f, parent, { options: 0 });
  const sons = f.fields ?? [];
  if (pastEnd(bs, 0, 1)) return BOUND;
  const ext = f.attr & EXT ? getBit(bs) : 0;
  if (pastEnd(bs, 0, f.sz)) return BOUND;
  if (f.sz > 32) return RANGE;
  let bmp = getBitmap(bs, f.sz);
  if (base !== null) base['options'] = bmp;

  let i = 0;
  let opt = 0;
  for (; i < f.lb; i++) {
    const son = sons[i];
    if (son === undefined) return RANGE;
    if (son.attr & STOP) return H323Error.STOP;
    if (son.attr & OPT) {
      if (!((0x80000000 >>> opt++) & bmp)) continue;
    }
    if (son.attr & OPEN) {
      if (pastEnd(bs, 2, 0)) return BOUND;
      const len = getLen(bs);
      if (pastEnd(bs, len, 0)) return BOUND;
      if (base === null || !(son.attr & DECODE)) {
        bs.cur += len;
        continue;
      }
      const beg = bs.cur;
      const err = decodeField(bs, son, base);
      if (err < NONE) return err;
      bs.cur = beg + len;
      bs.bit = 0;
    } else {
      const err = decodeField(bs, son, base);
      if (err < NONE) return err;
    }
  }

  if (!ext) return NONE;

  if (pastEnd(bs, 0, 7)) return BOUND;
  const bmp2Len = getBits(bs, 7) + 1;
  if (pastEnd(bs, 0, bmp2Len)) return BOUND;
  if (bmp2Len > 32) return RANGE;
  const bmp2 = getBitmap(bs, bmp2Len);
  bmp = (bmp | (bmp2 >>> f.sz)) >>> 0;
  if (base !== null) base['options'] = bmp;
  byteAlign(bs);

  for (opt = 0; opt < bmp2Len; opt++, i++) {
    if (i >= f.ub) {
      // An extension this table does not know: skipped by its length.
      if (pastEnd(bs, 2, 0)) return BOUND;
      const len = getLen(bs);
      if (pastEnd(bs, len, 0)) return BOUND;
      bs.cur += len;
      continue;
    }
    const son = sons[i];
    if (son === undefined) return RANGE;
    if (son.attr & STOP) return H323Error.STOP;
    if (!((0x80000000 >>> opt) & bmp2)) continue;
    if (pastEnd(bs, 2, 0)) return BOUND;
    const len = getLen(bs);
    if (pastEnd(bs, len, 0)) return BOUND;
    if (base === null || !(son.attr & DECODE)) {
      bs.cur += len;
      continue;
    }
    const beg = bs.cur;
    const err = decodeField(bs, son, base);
    if (err < NONE) return err;
    bs.cur = beg + len;
    bs.bit = 0;
  }
  return NONE;
}

function decodeSeqof(bs: BitStream, f: Field, parent: Decoded | null): number {
  const base = own(f, parent, { count: 0, items: [] });
  let count: number;
  switch (f.sz) {
    case BYTE:
      byteAlign(bs);
      if (pastEnd(bs, 1, 0)) return BOUND;
      count = bs.at(bs.cur++);
      break;
    case WORD:
      byteAlign(bs);
      if (pastEnd(bs, 2, 0)) return BOUND;
      count = bs.at(bs.cur++);
      count <<= 8;
      count += bs.at(bs.cur++);
      break;
    case SEMI:
      byteAlign(bs);
      if (pastEnd(bs, 2, 0)) return BOUND;
      count = getLen(bs);
      break;
    default:
      if (pastEnd(bs, 0, f.sz)) return BOUND;
      count = getBits(bs, f.sz);
      break;
  }
  count += f.lb;

  let effective = 0;
  let items: Decoded[] = [];
  if (base !== null) {
    effective = count > f.ub ? f.ub : count;
    base['count'] = effective;
    items = base['items'] as Decoded[];
  }
  const son = f.fields?.[0];
  if (son === undefined) return count === 0 ? NONE : RANGE;
  for (let i = 0; i < count; i++) {
    const holder: Decoded | null = base !== null && i < effective ? {} : null;
    if (son.attr & OPEN) {
      byteAlign(bs);
      if (pastEnd(bs, 2, 0)) return BOUND;
      const len = getLen(bs);
      if (pastEnd(bs, len, 0)) return BOUND;
      if (base === null || !(son.attr & DECODE)) {
        bs.cur += len;
        continue;
      }
      const beg = bs.cur;
      const err = decodeField(bs, son, holder);
      if (err < NONE) return err;
      bs.cur = beg + len;
      bs.bit = 0;
    } else {
      const err = decodeField(bs, son, holder);
      if (err < NONE) return err;
    }
    if (holder !== null) items.push((holder[son.name] as Decoded | undefined) ?? {});
  }
  return NONE;
}

function decodeChoice(bs: BitStream, f: Field, parent: Decoded | null): number {
  const base = own(f, parent, { choice: 0 });
  let type: number;
  let ext = 0;
  if (pastEnd(bs, 0, 1)) return BOUND;
  if (f.attr & EXT && getBit(bs)) {
    ext = 1;
    if (pastEnd(bs, 0, 7)) return BOUND;
    type = getBits(bs, 7) + f.lb;
  } else {
    if (pastEnd(bs, 0, f.sz)) return BOUND;
    type = getBits(bs, f.sz);
    if (type >= f.lb) return RANGE;
  }
  if (base !== null) base['choice'] = type;

  if (type >= f.ub) {
    // An alternative this table does not know: skipped by its length.
    byteAlign(bs);
    if (pastEnd(bs, 2, 0)) return BOUND;
    const len = getLen(bs);
    if (pastEnd(bs, len, 0)) return BOUND;
    bs.cur += len;
    return NONE;
  }

  const son = f.fields?.[type];
  if (son === undefined) return RANGE;
  if (son.attr & STOP) return H323Error.STOP;

  if (ext || son.attr & OPEN) {
    byteAlign(bs);
    // The kernel checks for no byte before reading the length here; the check after catches it.
    if (pastEnd(bs, 0, 0)) return BOUND;
    const len = getLen(bs);
    if (pastEnd(bs, len, 0)) return BOUND;
    if (base === null || !(son.attr & DECODE)) {
      bs.cur += len;
      return NONE;
    }
    const beg = bs.cur;
    const err = decodeField(bs, son, base);
    if (err < NONE) return err;
    bs.cur = beg + len;
    bs.bit = 0;
    return NONE;
  }
  const err = decodeField(bs, son, base);
  return err < NONE ? err : NONE;
}

/** Dispatch by type (the kernel's Decoders[] vector). */
function decodeField(bs: BitStream, f: Field, base: Decoded | null): number {
  switch (f.type) {
    case NUL:
      return decodeNul();
    case BOOL:
      return decodeBool(bs);
    case OID:
      return decodeOid(bs);
    case INT:
      return decodeInt(bs, f, base);
    case ENUM:
      return decodeEnum(bs, f);
    case BITSTR:
      return decodeBitstr(bs, f);
    case NUMSTR:
      return decodeNumstr(bs, f);
    case OCTSTR:
      return decodeOctstr(bs, f, base);
    case BMPSTR:
      return decodeBmpstr(bs, f);
    case SEQ:
      return decodeSeq(bs, f, base);
    case SEQOF:
      return decodeSeqof(bs, f, base);
    case CHOICE:
      return decodeChoice(bs, f, base);
    default:
      return RANGE;
  }
}

/** A decode's result code and what it kept (under the root field's name). */
export interface DecodeResult {
  err: number;
  root: Decoded;
}

const stream = new BitStream();

/**
 * Decodes `root` (a SEQUENCE or CHOICE) from `buf` starting at `start`, ending at `end`; address
 * offsets count from `base`.
 */
export function decodeRoot(root: Field, buf: Uint8Array, base: number, start: number, end: number): DecodeResult {
  const bs = stream;
  bs.buf = buf;
  bs.base = base;
  bs.cur = start;
  bs.end = end;
  bs.bit = 0;
  const out: Decoded = {};
  const err = root.type === SEQ ? decodeSeq(bs, root, out) : decodeChoice(bs, root, out);
  bs.buf = new Uint8Array(0);
  return { err, root: (out[root.name] as Decoded | undefined) ?? {} };
}

/** A decoded Q.931 message: its type and the H.225 user-user information. */
export interface Q931Result {
  err: number;
  messageType: number;
  uuie: Decoded;
}

/**
 * DecodeQ931: the protocol discriminator (8), the call reference, the message type (a following
 * byte with its top bit set is skipped too), then the information elements up to the User-user
 * one (0x7e, two-byte length, protocol discriminator), whose content is the H.225
 * H323-UserInformation. `userInfo` is that SEQUENCE's table. No User-user element: BOUND.
 */
export function decodeQ931(userInfo: Field, buf: Uint8Array, start: number, size: number): Q931Result {
  let p = start;
  let sz = size;
  const at = (i: number): number => buf[i] ?? 0;
  const fail = (err: number): Q931Result => ({ err, messageType: 0, uuie: {} });
  if (sz < 1) return fail(BOUND);
  if (at(p) !== 0x08) return fail(RANGE);
  p++;
  sz--;
  if (sz < 1) return fail(BOUND);
  let len = at(p++);
  sz--;
  if (sz < len) return fail(BOUND);
  p += len;
  sz -= len;
  if (sz < 2) return fail(BOUND);
  const messageType = at(p++);
  sz--;
  if (at(p) & 0x80) {
    p++;
    sz--;
  }
  while (sz > 0) {
    if (at(p) === 0x7e) {
      if (sz < 3) break;
      p++;
      len = at(p++) << 8;
      len |= at(p++);
      sz -= 3;
      if (sz < len) break;
      p++;
      len--;
      const r = decodeRoot(userInfo, buf, start, p, p + len);
      return { err: r.err, messageType, uuie: r.root };
    }
    p++;
    sz--;
    if (sz < 1) break;
    len = at(p++);
    sz--;
    if (sz < len) break;
    p += len;
    sz -= len;
  }
  return { err: BOUND, messageType, uuie: {} };
}

/** Index of alternative / component `name` in a table (throws for a name the table lacks: a programming error). */
export function indexOf(fields: readonly Field[], name: string): number {
  const i = fields.findIndex((f) => f.name === name);
  if (i < 0) throw new Error(`H.323 tables: no field ${name}`);
  return i;
}

/**
 * The options bit of component `name` of SEQUENCE `seq`: optional root components take bits 31,
 * 30, ... in order, extensions follow after the root's `sz` bits.
 */
export function optionBit(seq: Field, name: string): number {
  const fields = seq.fields ?? [];
  const i = indexOf(fields, name);
  if (i >= seq.lb) return (0x80000000 >>> (seq.sz + i - seq.lb)) >>> 0;
  let k = 0;
  for (let j = 0; j < i; j++) if (fields[j]!.attr & OPT) k++;
  if (!(fields[i]!.attr & OPT)) throw new Error(`H.323 tables: ${seq.name}.${name} is not optional`);
  return (0x80000000 >>> k) >>> 0;
}
