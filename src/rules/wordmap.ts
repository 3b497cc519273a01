/**
 * A map keyed by short arrays of 32-bit words (addresses, ports), for the per-packet state of
 * extensions (hashlimit buckets, recent entries, connlimit lists): lookups hash the words of a
 * caller's scratch array and allocate nothing; only inserting copies the key.
 */

interface Slot<V> {
  readonly key: Uint32Array;
  value: V;
}

function hashWords(w: ArrayLike<number>, n: number): number {
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ w[i]!, 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

function sameKey(a: Uint32Array, b: ArrayLike<number>, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class WordMap<V> {
  private readonly slots = new Map<number, Slot<V>[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The value under the first `n` words of `key`. */
  get(key: ArrayLike<number>, n: number): V | undefined {
    const list = this.slots.get(hashWords(key, n));
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (sameKey(list[i]!.key, key, n)) return list[i]!.value;
    return undefined;
  }

  /** Stores `value` under a copy of the first `n` words of `key`. */
  set(key: ArrayLike<number>, n: number, value: V): void {
    const h = hashWords(key, n);
    let list = this.slots.get(h);
    if (list === undefined) {
      list = [];
      this.slots.set(h, list);
    }
    for (const s of list) {
      if (sameKey(s.key, key, n)) {
        s.value = value;
        return;
      }
    }
    list.push({ key: Uint32Array.from({ length: n }, (_, i) => key[i]!), value });
    this.count++;
  }

  delete(key: ArrayLike<number>, n: number): boolean {
    const h = hashWords(key, n);
    const list = this.slots.get(h);
    if (list === undefined) return false;
    const i = list.findIndex((s) => sameKey(s.key, key, n));
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.slots.delete(h);
    this.count--;
    return true;
  }

  /** Every key and value (for cleanup and listings). */
  *entries(): IterableIterator<[Uint32Array, V]> {
    for (const list of this.slots.values()) for (const s of list) yield [s.key, s.value];
  }
}
