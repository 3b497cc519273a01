/**
 * Pieces every extension uses: hook masks, the base of targets, the kernel's protocol and table
 * requirements (x_tables checkentry), and libxtables' option value parsers (numbers, mark/mask)
 * with their error wording.
 */
import type { Action } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Chain, Target, Verdict } from '../model.js';
import type { PacketContext } from '../../netfilter/context.js';
import { parseUint, protocolName, scanUint } from '../values.js';
import type { ExtContext } from './types.js';

/** Hook mask bits (1 << NF_INET_*). */
export const H = {
  PRE: 1 << 0,
  IN: 1 << 1,
  FWD: 1 << 2,
  OUT: 1 << 3,
  POST: 1 << 4,
} as const;

/** A target that neither jumps nor hands an action over (MARK, LOG, ...). */
export abstract class BaseTarget implements Target {
  abstract readonly name: string;
  readonly chain: Chain | null = null;
  readonly action: Action | null = null;
  readonly isGoto = false;
  hooks?: number;
  abstract run(ctx: PacketContext): Verdict;
  abstract save(): string;
  abstract list(): string;
}

/** The kernel's `.proto` requirement: the rule must say `-p PROTO`, not negated. */
export function requireProto(cx: ExtContext, proto: number, what: string): void {
  if (cx.proto === proto && !cx.protoInvert) return;
  fail(`${what} requires '-p ${protocolName(proto) ?? proto}' (not negated); the kernel refuses it otherwise`);
}

/** The kernel's `.table` requirement. */
export function requireTable(cx: ExtContext, table: string, what: string): void {
  if (cx.table !== table) fail(`${what} is only valid in the ${table} table, not in ${cx.table}`);
}

/** An unsigned option value within [min, max] (x6 XTTYPE_UINT*), with libxtables' message. */
export function uintOption(arg: string, ext: string, opt: string, min: number, max: number): number {
  const n = parseUint(arg, min, max);
  if (n === null) fail(`${ext}: bad value for option "--${opt}", or out of range (${min}-${max}).`);
  return n;
}

/** `value[/mask]` 32-bit (XTTYPE_MARKMASK32): mask defaults to 0xffffffff. */
export function markMaskOption(arg: string, ext: string, opt: string): [number, number] {
  const v = scanUint(arg);
  if (v === null || v.value > 0xffffffff) fail(`${ext}: bad mark value for option "--${opt}", or out of range.`);
  let mask = 0xffffffff;
  let end = v.end;
  if (arg[end] === '/') {
    const m = scanUint(arg, end + 1);
    if (m === null || m.value > 0xffffffff) fail(`${ext}: bad mask value for option "--${opt}", or out of range.`);
    mask = m.value;
    end = m.end;
  }
  if (end !== arg.length) fail(`${ext}: trailing garbage after value for option "--${opt}".`);
  return [v.value >>> 0, mask >>> 0];
}

/** Fails unless exactly one / at least one of the given options was seen. */
export function requireOneOf(seen: ReadonlySet<string>, ext: string, names: readonly string[]): void {
  if (!names.some((n) => seen.has(n))) fail(`${ext}: one of ${names.map((n) => `--${n}`).join(', ')} is required`);
}

/** libxtables' XTF_BAD_VALUE message. */
export function badValue(ext: string, opt: string, value: string): never {
  fail(`${ext}: Bad value for "--${opt}" option: "${value}"`);
}

/** XTTYPE_UINT*RC: `n[:m]` (empty ends default to 0 and `max`). */
export function uintRangeOption(arg: string, ext: string, opt: string, max: number): [number, number] {
  const parts = arg.split(':');
  if (parts.length > 2) fail(`${ext}: Too many components for option "--${opt}" (max: 2)`);
  const value = (s: string, dflt: number): number => {
    if (s === '') return dflt;
    const v = scanUint(s);
    if (v === null || v.value > max) fail(`${ext}: bad value for option "--${opt}" near "${s}", or out of range (0-${max}).`);
    if (v.end !== s.length) fail(`${ext}: Argument to "--${opt}" has unexpected characters near "${s.slice(v.end)}".`);
    return v.value;
  };
  const lo = value(parts[0]!, 0);
  return [lo, parts.length === 2 ? value(parts[1]!, max) : lo];
}
