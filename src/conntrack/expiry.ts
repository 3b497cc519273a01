/**
 * The expiry queue: an indexed binary min-heap of connections by the time they are filed under
 * (`heapKey`), so that finding the entries that timed out costs nothing while none did.
 *
 * Refreshing an entry to a later time does not touch the heap (the entry is filed under its old
 * time, and re-filed when that time comes and it turns out to be alive); only a refresh to an
 * earlier time moves it up. A busy connection therefore costs one heap operation per timeout
 * period, not per packet, and the steady state allocates nothing.
 */
/** What the queue files: an expiry time and the queue's bookkeeping. */
export interface Expirable {
  expiresAt: number;
  /** Position in the heap (-1 when absent) and the time it is filed under. */
  heapIndex: number;
  heapKey: number;
}

/**
 * (The table keeps its own heap of slots in store.ts, the same scheme over arrays; this queue is
 * for objects.)
 */
export class ExpiryQueue<Conn extends Expirable = Expirable> {
  private readonly heap: Conn[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The entry filed under the earliest time, or null. */
  peek(): Conn | null {
    return this.heap.length > 0 ? this.heap[0]! : null;
  }

  /** Files `c` under its current expiry time. */
  add(c: Conn): void {
    c.heapKey = c.expiresAt;
    c.heapIndex = this.heap.length;
    this.heap.push(c);
    this.up(c.heapIndex);
  }

  /** Takes `c` out of the queue (no-op when absent). */
  remove(c: Conn): void {
    const i = c.heapIndex;
    if (i < 0) return;
    const last = this.heap.pop()!;
    c.heapIndex = -1;
    if (last === c) return;
    this.heap[i] = last;
    last.heapIndex = i;
    this.down(i);
    this.up(last.heapIndex);
  }

  /** Call after `c.expiresAt` changed: moves it up when it now expires before its filing time. */
  expiryChanged(c: Conn): void {
    if (c.heapIndex < 0 || c.expiresAt >= c.heapKey) return;
    c.heapKey = c.expiresAt;
    this.up(c.heapIndex);
  }

  /** Re-files the earliest entry under its (later) current expiry time. */
  refileTop(): void {
    const c = this.heap[0]!;
    c.heapKey = c.expiresAt;
    this.down(0);
  }

  /** Every queued connection (no order). */
  all(): readonly Conn[] {
    return this.heap;
  }

  private up(i: number): void {
    const h = this.heap;
    const c = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.heapKey <= c.heapKey) break;
      h[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    h[i] = c;
    c.heapIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const c = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && h[r]!.heapKey < h[l]!.heapKey ? r : l;
      const child = h[m]!;
      if (child.heapKey >= c.heapKey) break;
      h[i] = child;
      child.heapIndex = i;
      i = m;
    }
    h[i] = c;
    c.heapIndex = i;
  }
}
