/**
 * A DataView over the last buffer asked for, so that hot paths read 16- and 32-bit big-endian
 * fields in one access each (V8 compiles a DataView read to one bounds check and a load, where
 * reading byte by byte costs a check and a load per byte). A capture reader hands out many
 * packets from one chunk, so the view is made about once a chunk. Holds on to that one buffer
 * until another is asked for.
 */

let lastBuf: Uint8Array | null = null;
let lastView: DataView | null = null;

/** A DataView over exactly `b` (the same indices as `b`). */
export function dataViewOf(b: Uint8Array): DataView {
  if (b === lastBuf) return lastView!;
  lastBuf = b;
  return (lastView = new DataView(b.buffer, b.byteOffset, b.byteLength));
}
