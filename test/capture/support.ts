/**
 * Test support for the capture tests: byte-level builders for pcap and pcapng files (independent of
 * src/capture/writer.ts, so reader tests do not trust the writer), and the fixture directory.
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where package.json is), from either test/ or dist-test/test/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

export const FIXTURES = join(repoRoot(), 'test', 'fixtures', 'capture');

export type Order = 'le' | 'be';

/** Appends integers in one byte order. */
export class Bytes {
  readonly out: number[] = [];
  constructor(readonly order: Order) {}
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.order === 'le' ? this.u8(v).u8(v >>> 8) : this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.order === 'le' ? this.u16(v & 0xffff).u16(v >>> 16) : this.u16(v >>> 16).u16(v & 0xffff);
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.order === 'le' ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push(b[i]!);
    return this;
  }
  pad(): this {
    while (this.out.length % 4) this.out.push(0);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export type Option = [code: number, value: Uint8Array];

export function optionBytes(order: Order, options: readonly Option[], end = true): number[] {
  const b = new Bytes(order);
  for (const [code, value] of options) b.u16(code).u16(value.length).raw(value).pad();
  if (end && options.length > 0) b.u16(0).u16(0);
  return b.out;
}

/** A pcapng block; `lengthOverride` writes a different total length in the header. */
export function block(order: Order, type: number, body: ArrayLike<number>, lengthOverride?: number): Uint8Array {
  const padded = new Bytes(order).raw(body).pad().out;
  const total = 12 + padded.length;
  return new Bytes(order)
    .u32(type)
    .u32(lengthOverride ?? total)
    .raw(padded)
    .u32(lengthOverride ?? total)
    .bytes();
}

export function shb(order: Order, options: readonly Option[] = [], version: [number, number] = [1, 0]): Uint8Array {
  const body = new Bytes(order).u32(0x1a2b3c4d).u16(version[0]).u16(version[1]).u64(0xffffffffffffffffn);
  return block(order, 0x0a0d0d0a, [...body.out, ...optionBytes(order, options)]);
}

export function idb(order: Order, linktype: number, snaplen: number, options: readonly Option[] = []): Uint8Array {
  const body = new Bytes(order).u16(linktype).u16(0).u32(snaplen);
  return block(order, 1, [...body.out, ...optionBytes(order, options)]);
}

export function epb(
  order: Order,
  ifid: number,
  ts: bigint,
  data: Uint8Array,
  origLen = data.length,
  options: readonly Option[] = [],
): Uint8Array {
  const body = new Bytes(order)
    .u32(ifid)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(origLen)
    .raw(data)
    .pad();
  return block(order, 6, [...body.out, ...optionBytes(order, options)]);
}

export function opb(
  order: Order,
  ifid: number,
  drops: number,
  ts: bigint,
  data: Uint8Array,
  options: readonly Option[] = [],
): Uint8Array {
  const body = new Bytes(order)
    .u16(ifid)
    .u16(drops)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(data.length)
    .raw(data)
    .pad();
  return block(order, 2, [...body.out, ...optionBytes(order, options)]);
}

export function spb(order: Order, origLen: number, data: Uint8Array): Uint8Array {
  return block(order, 3, new Bytes(order).u32(origLen).raw(data).out);
}

export function u32Bytes(order: Order, v: number): Uint8Array {
  return new Bytes(order).u32(v).bytes();
}

export function u64Bytes(order: Order, v: bigint): Uint8Array {
  return new Bytes(order).u64(v).bytes();
}

/** A classic pcap file. */
export function pcapFile(
  order: Order,
  magic: number,
  records: readonly { sec: number; frac: number; data: Uint8Array; orig?: number }[],
  linktype = 1,
  version: [number, number] = [2, 4],
): Uint8Array {
  const b = new Bytes(order).u32(magic).u16(version[0]).u16(version[1]).u32(0).u32(0).u32(65535).u32(linktype);
  for (const r of records) b.u32(r.sec).u32(r.frac).u32(r.data.length).u32(r.orig ?? r.data.length).raw(r.data);
  return b.bytes();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Deterministic packet bytes. */
export function payload(seed: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (seed * 131 + i * 7 + (i >> 3)) & 0xff;
  return b;
}
