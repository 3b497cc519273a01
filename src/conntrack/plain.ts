/**
 * Plain-data copies for snapshots: turn protocol state (plain objects, arrays, typed arrays,
 * class instances holding such data) into JSON-safe values and back.
 *
 * Typed arrays become {"$typed": "Uint32Array", "data": [...]}. Anything else that JSON cannot
 * carry faithfully (functions, maps, sets, symbols, bigints, non-finite numbers) is an error:
 * a snapshot never drops data silently.
 */

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

const TYPED: Readonly<Record<string, new (n: number) => TypedArray>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
};

function typedName(v: unknown): string | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const name = (v as TypedArray).constructor.name;
  return name in TYPED ? name : null;
}

/** A JSON-safe deep copy of `v`. Throws (naming the path) on what JSON cannot represent. */
export function toPlain(v: unknown, path = 'state'): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${path}: non-finite number ${v} cannot be saved`);
    return v;
  }
  if (typeof v !== 'object') throw new Error(`${path}: a ${typeof v} cannot be saved`);
  const tn = typedName(v);
  if (tn) return { $typed: tn, data: Array.from(v as TypedArray) };
  if (Array.isArray(v)) return v.map((x, i) => toPlain(x, `${path}[${i}]`));
  if (v instanceof Map || v instanceof Set) throw new Error(`${path}: a Map / Set cannot be saved`);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toPlain(x, `${path}.${k}`);
  return out;
}

function isTypedEncoding(v: unknown): v is { $typed: string; data: number[] } {
  return typeof v === 'object' && v !== null && '$typed' in v && 'data' in v;
}

/** The value back from toPlain's encoding (objects come back as plain objects). */
export function fromPlain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (isTypedEncoding(v)) {
    const Ctor = TYPED[v.$typed];
    if (!Ctor) throw new Error(`unknown typed array ${v.$typed} in snapshot`);
    const a = new Ctor(v.data.length);
    a.set(v.data);
    return a;
  }
  if (Array.isArray(v)) return v.map(fromPlain);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = fromPlain(x);
  return out;
}

/**
 * Writes saved data into a freshly constructed object, recursing into the objects, arrays and
 * typed arrays its constructor made (so class instances keep their prototypes). Returns `target`.
 */
export function assignDeep<T extends object>(target: T, data: unknown): T {
  if (typeof data !== 'object' || data === null) throw new Error('snapshot: state data is not an object');
  const t = target as Record<string, unknown>;
  for (const [k, raw] of Object.entries(data)) {
    const cur = t[k];
    if (typedName(cur) && isTypedEncoding(raw)) (cur as TypedArray).set(raw.data);
    else if (Array.isArray(cur) && Array.isArray(raw)) assignArray(cur, raw);
    else if (cur !== null && typeof cur === 'object' && raw !== null && typeof raw === 'object' && !isTypedEncoding(raw)) assignDeep(cur, raw);
    else t[k] = fromPlain(raw);
  }
  return target;
}

function assignArray(cur: unknown[], raw: unknown[]): void {
  for (let i = 0; i < raw.length; i++) {
    const c = cur[i];
    const r = raw[i];
    if (c !== null && typeof c === 'object' && r !== null && typeof r === 'object') assignDeep(c, r);
    else cur[i] = fromPlain(r);
  }
  cur.length = raw.length;
}
