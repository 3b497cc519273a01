/**
 * The SNMP message reader of the snmp_trap helper: the kernel's table-driven BER decoder
 * (lib/asn1_decoder.c) running the state machine its asn1_compiler makes of
 * nf_nat_snmp_basic.asn1, with the decoder's quirks, since they decide which packets the helper
 * drops:
 *
 *  - the grammar knows SNMPv1 / v2c messages (version 0 or 1, in one byte: anything else is an
 *    error) whose PDU is GetRequest [0], GetNextRequest [1], Response [2], SetRequest [3],
 *    GetBulkRequest [5], InformRequest [6], SNMPv2-Trap [7] or Report [8]; the SNMPv1 Trap-PDU [4]
 *    is not among them, so a v1 trap fails to parse;
 *  - the PDU alternatives lose their "conditional" mark through the IMPLICIT tag (the compiler
 *    renders them as plain MATCH_JUMP_OR_SKIP): after a PDU, the following alternatives read on
 *    while data is left in the message, so a message may hold several PDUs in the grammar's order
 *    ([7] then [8]), and an indefinite-length message fails (its end-of-contents octets are read
 *    as a PDU tag, which does not match);
 *  - likewise the application types (IpAddress [APPLICATION 0], Counter32, TimeTicks, Opaque,
 *    Counter64, Unsigned32) after a value: a varbind may carry an INTEGER and then an IpAddress;
 *    an indefinite-length varbind ending in such a value fails the same way;
 *  - a SEQUENCE or context tag of the grammar matches the primitive form of its tag too (the
 *    constructed bit is ignored where the grammar expects a constructed type); a primitive type
 *    must match exactly; tag numbers of 31 and above (long tags) are errors;
 *  - lengths: short form, long form with one or two length bytes (three or more: error), and
 *    indefinite length for constructed encodings only; every element must fit in its container;
 *    constructed types nest at most 10 deep;
 *  - bytes after the message are ignored; a message that ends after the community string (no
 *    PDU) is accepted.
 *
 * The actions run while decoding, on the version and on every IpAddress; an action's negative
 * result ends the decoding with that result.
 */

/** What an action is told: the offset and length of the element's content in the buffer. */
export type BerAction = (off: number, len: number) => number;

export interface SnmpBerActions {
  /** snmp_version: the message's version INTEGER. */
  version: BerAction;
  /** snmp_helper: an IpAddress value. */
  ipAddress: BerAction;
}

/** Outcome of a decode: 0 and no error, or the (negative) result and the decoder's message. */
export interface BerResult {
  readonly result: number;
  /** The kernel decoder's error message ("Unexpected tag", "Data overrun error", ...), or the failing action's name; '' when it succeeded. */
  readonly error: string;
}

/** -EBADMSG, -EMSGSIZE: the decoder's own failures. */
export const EBADMSG = -74;
export const EMSGSIZE = -90;

// ------------------------------------------------------------------------------------------------
// The state machine

const enum K {
  /** Read a tag and match it (with OR_SKIP / COND / ACT / JUMP variants in the op's fields). */
  MATCH,
  COND_FAIL,
  COMPLETE,
  END_SEQ,
  END_SEQ_OF,
  RETURN,
}

const enum Act {
  NONE,
  VERSION,
  IP_ADDRESS,
}

interface Op {
  readonly k: K;
  /** MATCH: the expected tag (class, constructed bit, number). */
  readonly tag: number;
  /** MATCH: a mismatch, or the end of the container, moves on instead of failing. */
  readonly skip: boolean;
  /** MATCH: skipped when an earlier alternative matched. */
  readonly cond: boolean;
  readonly act: Act;
  /** MATCH: the routine to call (its index), -1 for none; END_SEQ_OF: the loop's start. */
  readonly target: number;
}

const m = (tag: number, o: { skip?: boolean; cond?: boolean; act?: Act; target?: number } = {}): Op => ({
  k: K.MATCH,
  tag,
  skip: o.skip ?? false,
  cond: o.cond ?? false,
  act: o.act ?? Act.NONE,
  target: o.target ?? -1,
});
const plain = (k: K, target = -1): Op => ({ k, tag: 0, skip: false, cond: false, act: Act.NONE, target });

/** Index of the PDU routine (SEQUENCE { request-id, error-status, error-index, variable-bindings }). */
const PDU = 14;
/** Index of the VarBind SEQUENCE (the SEQUENCE OF loop's start). */
const VARBIND = 18;

/**
 * nf_nat_snmp_basic.asn1 as the kernel's compiler lays it out: Message inline, the PDU type
 * (used by eight PDU tags) out of line, VarBindList / VarBind / ObjectSyntax inline.
 */
const MACHINE: readonly Op[] = [
  // Message ::= SEQUENCE
  /* 0 */ m(0x30),
  /* 1 */ m(0x02, { act: Act.VERSION }), // version INTEGER ({snmp_version})
  /* 2 */ m(0x04), // community OCTET STRING
  // pdu PDUs: CHOICE of [n] IMPLICIT PDU OPTIONAL, in the grammar's order
  /* 3 */ m(0xa0, { skip: true, target: PDU }),
  /* 4 */ m(0xa1, { skip: true, target: PDU }),
  /* 5 */ m(0xa5, { skip: true, target: PDU }),
  /* 6 */ m(0xa2, { skip: true, target: PDU }),
  /* 7 */ m(0xa3, { skip: true, target: PDU }),
  /* 8 */ m(0xa6, { skip: true, target: PDU }),
  /* 9 */ m(0xa7, { skip: true, target: PDU }),
  /* 10 */ m(0xa8, { skip: true, target: PDU }),
  /* 11 */ plain(K.COND_FAIL),
  /* 12 */ plain(K.END_SEQ),
  /* 13 */ plain(K.COMPLETE),
  // PDU ::= SEQUENCE (out of line)
  /* 14 */ m(0x02), // request-id
  /* 15 */ m(0x02), // error-status
  /* 16 */ m(0x02), // error-index
  /* 17 */ m(0x30), // variable-bindings: VarBindList ::= SEQUENCE OF VarBind
  /* 18 */ m(0x30), // VarBind ::= SEQUENCE
  /* 19 */ m(0x06), // name ObjectName
  // value ObjectSyntax: SimpleSyntax
  /* 20 */ m(0x02, { skip: true }),
  /* 21 */ m(0x04, { skip: true, cond: true }),
  /* 22 */ m(0x06, { skip: true, cond: true }),
  // ApplicationSyntax (every alternative through an IMPLICIT tag: not conditional)
  /* 23 */ m(0x40, { skip: true, act: Act.IP_ADDRESS }), // IpAddress ({snmp_helper})
  /* 24 */ m(0x41, { skip: true }), // Counter32
  /* 25 */ m(0x43, { skip: true }), // TimeTicks
  /* 26 */ m(0x44, { skip: true }), // Opaque
  /* 27 */ m(0x46, { skip: true }), // Counter64
  /* 28 */ m(0x42, { skip: true }), // Unsigned32
  // unSpecified NULL, noSuchObject [0], noSuchInstance [1], endOfMibView [2]
  /* 29 */ m(0x05, { skip: true, cond: true }),
  /* 30 */ m(0x80, { skip: true, cond: true }),
  /* 31 */ m(0x81, { skip: true, cond: true }),
  /* 32 */ m(0x82, { skip: true, cond: true }),
  /* 33 */ plain(K.COND_FAIL),
  /* 34 */ plain(K.END_SEQ), // VarBind
  /* 35 */ plain(K.END_SEQ_OF, VARBIND), // VarBindList
  /* 36 */ plain(K.END_SEQ), // PDU
  /* 37 */ plain(K.RETURN),
];

// ------------------------------------------------------------------------------------------------
// The decoder

const FLAG_INDEFINITE = 0x01;
const FLAG_MATCHED = 0x02;
const FLAG_LAST_MATCHED = 0x04;
const FLAG_CONS = 0x20;
const CONS_BIT = 0x20;
const STACK = 10;

const OK: BerResult = { result: 0, error: '' };
const fail = (error: string): BerResult => ({ result: EBADMSG, error });

/**
 * Decodes the SNMP message in buf[off, off + len) as the kernel's asn1_ber_decoder does with the
 * nf_nat_snmp_basic grammar, calling the actions on the way. Never throws for any input.
 */
export function decodeSnmp(buf: Uint8Array, off: number, len: number, actions: SnmpBerActions): BerResult {
  if (len > 65535) return { result: EMSGSIZE, error: 'message too long' };
  // Positions are relative to `off` (dp, datalen), as the kernel's are relative to the data.
  const consLen = new Int32Array(STACK);
  const jumps = new Int32Array(STACK);
  let csp = 0;
  let jsp = 0;
  let pc = 0;
  let dp = 0;
  let datalen = len;
  let flags = 0;
  let elen = 0;

  for (;;) {
    const op = MACHINE[pc]!;
    if (op.k === K.MATCH) {
      if ((op.cond && flags & FLAG_MATCHED) || (op.skip && dp === datalen)) {
        flags &= ~FLAG_LAST_MATCHED;
        pc++;
        continue;
      }
      flags = 0;
      if (datalen - dp < 2) return fail('Data overrun error');
      const tag = buf[off + dp++]!;
      if ((tag & 0x1f) === 0x1f) return fail('Long tag not supported');
      flags |= op.tag & FLAG_CONS;
      // A constructed tag in the grammar also matches the primitive form; a primitive one exactly.
      if (((op.tag ^ tag) & ~(op.tag & CONS_BIT) & 0xff) !== 0) {
        if (op.skip) {
          dp--;
          pc++;
          continue;
        }
        return fail('Unexpected tag');
      }
      flags |= FLAG_MATCHED;
      elen = buf[off + dp++]!;
      if (elen > 0x7f) {
        if (elen === 0x80) {
          if (!(tag & CONS_BIT)) return fail('Indefinite len primitive not permitted');
          flags |= FLAG_INDEFINITE;
          if (datalen - dp < 2) return fail('Data overrun error');
        } else {
          let n = elen - 0x80;
          if (n > 2) return fail('Unsupported length');
          if (n > datalen - dp) return fail('Data overrun error');
          for (elen = 0; n > 0; n--) elen = (elen << 8) | buf[off + dp++]!;
          if (elen > datalen - dp) return fail('Data overrun error');
        }
      } else if (elen > datalen - dp) {
        return fail('Data overrun error');
      }
      if (flags & FLAG_CONS) {
        if (csp >= STACK) return fail('Cons stack overflow');
        if (!(flags & FLAG_INDEFINITE)) {
          consLen[csp] = datalen;
          datalen = dp + elen;
        } else {
          consLen[csp] = 0;
        }
        csp++;
      }
      if (op.target >= 0) {
        if (jsp === STACK) return fail('Jump stack overflow');
        jumps[jsp++] = pc + 1;
        pc = op.target;
        continue;
      }
      // Indefinite lengths come only with a constructed tag, and a primitive op matches only a
      // primitive tag: every element the machine steps over here has a definite length.
      if (op.act !== Act.NONE) {
        const r = op.act === Act.VERSION ? actions.version(off + dp, elen) : actions.ipAddress(off + dp, elen);
        if (r < 0) return { result: r, error: op.act === Act.VERSION ? 'snmp_version' : 'snmp_helper' };
      }
      if (!(flags & FLAG_CONS)) dp += elen;
      pc++;
      continue;
    }

    switch (op.k) {
      case K.COND_FAIL:
        if (!(flags & FLAG_MATCHED)) return fail('Unexpected tag');
        pc++;
        continue;
      case K.COMPLETE:
        return jsp !== 0 || csp !== 0 ? fail('Stacks not empty at completion') : OK;
      case K.END_SEQ:
      case K.END_SEQ_OF: {
        if (csp <= 0) return fail('Cons stack underflow');
        const of = op.k === K.END_SEQ_OF;
        csp--;
        elen = datalen;
        datalen = consLen[csp]!;
        if (datalen === 0) {
          // Indefinite length: the end-of-contents octets, or (SEQUENCE OF) another element.
          datalen = elen;
          if (datalen - dp < 2) return fail('Data overrun error');
          if (buf[off + dp++] !== 0) {
            if (of) {
              dp--;
              csp++;
              pc = op.target;
              continue;
            }
            return fail('Missing EOC in indefinite len cons');
          }
          if (buf[off + dp++] !== 0) return fail('Invalid length EOC');
        } else {
          if (dp < elen && of) {
            datalen = elen;
            csp++;
            pc = op.target;
            continue;
          }
          if (dp !== elen) return fail('Cons length error');
        }
        pc++;
        continue;
      }
      case K.RETURN:
        if (jsp <= 0) return fail('Jump stack underflow');
        pc = jumps[--jsp]!;
        flags |= FLAG_MATCHED | FLAG_LAST_MATCHED;
        continue;
      default:
        return fail('Found reserved opcode');
    }
  }
}
