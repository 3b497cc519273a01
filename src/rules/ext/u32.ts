/**
 * -m u32 [!] --u32 TESTS (xt_u32): TESTS is `location=ranges` joined by `&&`; a location reads
 * a 32-bit big-endian word at a byte offset of the IP packet and transforms it with `&` (mask),
 * `<<`, `>>` and `@` (move forward by the value and read the word at the next offset); ranges are
 * `N` or `N:M` joined by `,`. All tests must find their value in a range; a read past the end of
 * the packet fails the match.
 */
import type { PacketContext } from '../../netfilter/context.js';
import { fail } from '../errors.js';
import type { Match } from '../model.js';
import { scanUint } from '../values.js';
import type { ExtParser, MatchExtension } from './types.js';

const MAX = 10;
const AND = 0;
const LEFT = 1;
const RIGHT = 2;
const AT = 3;
const OPS = ['&', '<<', '>>', '@'];

interface U32Test {
  /** First location number, then [op, number] pairs flattened. */
  readonly first: number;
  readonly ops: readonly number[];
  readonly nums: readonly number[];
  /** Ranges flattened [min0, max0, ...]. */
  readonly ranges: readonly number[];
}

function word(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** libxt_u32's parser (same states and messages). */
export function parseU32(arg: string): U32Test[] {
  const tests: U32Test[] = [];
  let i = 0;
  let state = 0;
  let first = 0;
  let ops: number[] = [];
  let nums: number[] = [];
  let ranges: number[] = [];
  let locs = 0;
  const number = (): number => {
    const n = scanUint(arg, i);
    if (n === null || n.value > 0xffffffff) fail(`u32: at char ${i}: not a number or out of range`);
    i = n.end;
    return n.value >>> 0;
  };
  const endTest = (): void => {
    tests.push({ first, ops, nums, ranges });
    if (tests.length > MAX + 1) fail(`u32: at char ${i}: too many "&&"s`);
  };
  for (;;) {
    while (i < arg.length && /\s/.test(arg[i]!)) i++;
    if (i >= arg.length) {
      if (state === 0) fail('u32: abrupt end of input after location specifier');
      if (ranges.length === 0) fail('u32: test ended with no value specified');
      endTest();
      return tests;
    }
    if (state === 0) {
      if (arg[i] === '=') {
        if (locs === 0) fail(`u32: at char ${i}: location spec missing`);
        i++;
        state = 1;
        continue;
      }
      if (locs !== 0) {
        const c = arg[i];
        let op: number;
        if (c === '&') op = AND;
        else if (c === '<') {
          if (arg[++i] !== '<') fail(`u32: at char ${i}: a second '<' was expected`);
          op = LEFT;
        } else if (c === '>') {
          if (arg[++i] !== '>') fail(`u32: at char ${i}: a second '>' was expected`);
          op = RIGHT;
        } else if (c === '@') op = AT;
        else fail(`u32: at char ${i}: operator expected`);
        i++;
        ops.push(op);
        nums.push(number());
      } else {
        first = number();
      }
      if (++locs > MAX + 1) fail(`u32: at char ${i}: too many operators`);
      continue;
    }
    if (arg[i] === '&') {
      if (arg[++i] !== '&') fail(`u32: at char ${i}: a second '&' was expected`);
      if (ranges.length === 0) fail(`u32: at char ${i}: value spec missing`);
      endTest();
      i++;
      state = 0;
      locs = 0;
      ops = [];
      nums = [];
      ranges = [];
      continue;
    }
    if (ranges.length > 0) {
      if (arg[i] !== ',') fail(`u32: at char ${i}: expected "," or "&&"`);
      i++;
    }
    const lo = number();
    while (i < arg.length && /\s/.test(arg[i]!)) i++;
    let hi = lo;
    if (arg[i] === ':') {
      i++;
      hi = number();
    }
    ranges.push(lo, hi);
    if (ranges.length / 2 > MAX + 1) fail(`u32: at char ${i}: too many ","s`);
  }
}

export class U32Match implements Match {
  readonly name = 'u32';
  constructor(
    readonly tests: readonly U32Test[],
    readonly invert: boolean,
  ) {}

  match(ctx: PacketContext): boolean {
    return this.run(ctx) !== this.invert;
  }

  private run(ctx: PacketContext): boolean {
    const pkt = ctx.pkt;
    const b = pkt.buf;
    const base = pkt.l3Off;
    const len = pkt.ipEnd - base;
    for (let t = 0; t < this.tests.length; t++) {
      const test = this.tests[t]!;
      let at = 0;
      let pos = test.first;
      if (len < 4 || pos > len - 4) return false;
      let val = word(b, base + pos);
      for (let k = 0; k < test.ops.length; k++) {
        const n = test.nums[k]!;
        switch (test.ops[k]) {
          case AND:
            val = (val & n) >>> 0;
            break;
          case LEFT:
            val = (val << n) >>> 0;
            break;
          case RIGHT:
            val = val >>> n;
            break;
          default:
            if (at + val > 0xffffffff) return false;
            at += val;
            pos = n;
            if (at + 4 > 0xffffffff || len < at + 4 || pos > len - at - 4) return false;
            val = word(b, base + at + pos);
        }
      }
      let hit = false;
      for (let r = 0; r < test.ranges.length; r += 2) {
        if (test.ranges[r]! <= val && val <= test.ranges[r + 1]!) {
          hit = true;
          break;
        }
      }
      if (!hit) return false;
    }
    return true;
  }

  private dump(): string {
    const hx = (n: number): string => `0x${n.toString(16)}`;
    const parts = this.tests.map((t) => {
      let s = hx(t.first);
      t.ops.forEach((op, k) => {
        s += OPS[op]! + hx(t.nums[k]!);
      });
      const ranges: string[] = [];
      for (let r = 0; r < t.ranges.length; r += 2) {
        const lo = t.ranges[r]!;
        const hi = t.ranges[r + 1]!;
        ranges.push(lo === hi ? hx(lo) : `${hx(lo)}:${hx(hi)}`);
      }
      return `${s}=${ranges.join(',')}`;
    });
    return ` "${parts.join('&&')}"`;
  }

  save(): string {
    return `-m u32${this.invert ? ' !' : ''} --u32${this.dump()}`;
  }

  list(): string {
    return ` u32${this.invert ? ' !' : ''}${this.dump()}`;
  }
}

class U32Parser implements ExtParser<Match> {
  private tests: U32Test[] | null = null;
  private invert = false;
  option(_name: string, arg: string, invert: boolean): void {
    this.tests = parseU32(arg);
    this.invert = invert;
  }
  finish(): Match {
    if (this.tests === null) fail('u32: option "--u32" must be specified');
    return new U32Match(this.tests, this.invert);
  }
}

export const u32Match: MatchExtension = {
  name: 'u32',
  options: [{ name: 'u32', arg: true, invert: true }],
  create: () => new U32Parser(),
};
