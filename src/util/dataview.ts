/**
 * A DataView over the ArrayBuffer behind the last bytes asked for, so that hot paths read 16- and
 * 32-bit big-endian fields in one access each (V8 compiles a DataView read to one bounds check and
 * a load, where reading byte by byte costs a check and a load per byte). The view covers the whole
 * ArrayBuffer, so that the many records and packets carved out of one buffer (a capture chunk, the
 * replay's datagram blocks) share it: `b[i]` is at `dataViewBase() + i` after `dataViewOf(b)`.
 * Used by the capture reader, the decoder and the checksums. Holds on to that one buffer until
 * bytes of another are asked for.
 */

let lastBytes: Uint8Array | null = null;
let lastBase = 0;
let lastBuffer: ArrayBufferLike | null = null;
let lastView: DataView | null = null;

/** A DataView over the whole of `b.buffer` (`b[i]` is at `b.byteOffset + i`). */
export function dataViewOf(b: Uint8Array): DataView {
  if (b === lastBytes) return lastView!;
  return otherBytes(b);
}

/** dataViewOf for bytes other than the last ones (reading `buffer` is a call in V8: kept off the common path). */
function otherBytes(b: Uint8Array): DataView {
  lastBytes = b;
  lastBase = b.byteOffset;
  const ab = b.buffer;
  if (ab !== lastBuffer) {
    lastBuffer = ab;
    lastView = new DataView(ab);
  }
  return lastView!;
}

/** `byteOffset` of the bytes dataViewOf was last called with (read through a call: `byteOffset` itself is slow in V8). */
export function dataViewBase(): number {
  return lastBase;
}
