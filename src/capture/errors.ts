/**
 * CaptureError: the one typed error every capture reader and writer throws.
 *
 * A reader stops at the first byte it cannot trust and says where: the absolute byte offset of the
 * problem, which block or record it was in, and what it expected there. The message is a single
 * line meant for a person, e.g.
 *
 *   capture.pcapng: byte 1234: enhanced packet block: total length 12 is shorter than the minimum 32
 *
 * `kind` tells a truncated file (it ends in the middle of a header, block or record) from a
 * malformed one (a field holds an impossible value), from one that is well formed but uses something
 * this library does not read (an unknown file magic, a pcapng version other than 1.0/1.2, ...).
 */

export type CaptureErrorKind = 'truncated' | 'malformed' | 'unsupported' | 'format' | 'usage';

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  /** File name (or other label) the reader was given, used as the message prefix. */
  readonly source: string;
  /** Absolute byte offset in the input where the problem is. */
  readonly offset: number;
  /** Which block or record, e.g. "pcapng block type 0x00000006 at byte 1234". */
  readonly block: string;
  /** Short name of the block kind for the message, e.g. "enhanced packet block". */
  readonly what: string;
  /** What was expected there (the part of the message after the block name). */
  readonly expected: string;
  readonly kind: CaptureErrorKind;

  constructor(
    kind: CaptureErrorKind,
    source: string,
    offset: number,
    block: string,
    what: string,
    expected: string,
  ) {
    super(`${source}: byte ${offset}: ${what}: ${expected}`);
    this.kind = kind;
    this.source = source;
    this.offset = offset;
    this.block = block;
    this.what = what;
    this.expected = expected;
  }
}
