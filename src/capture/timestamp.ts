/**
 * Exact timestamp conversion: a 64-bit count of 1/unitsPerSecond units, given as two 32-bit halves
 * (pcapng's timestamp high/low words), to integer seconds and nanoseconds, rounding the fraction
 * down to the nanosecond as Wireshark does.
 *
 * Common resolutions (10^-1 .. 10^-9, and 2^-1 .. 2^-23) are converted with plain number arithmetic
 * that stays below 2^53 at every step, so there is no allocation per packet; anything finer
 * (picoseconds, 2^-40, ...) goes through BigInt.
 */

const TWO32 = 4294967296;
const TWO21 = 2097152;

/**
 * floor(a / u) for non-negative integers a < 2^53 and u: the float quotient can land one off next
 * to an exact multiple, so it is corrected with exact integer products.
 */
function floorDiv(a: number, u: number): number {
  let q = Math.floor(a / u);
  if (q * u > a) q -= 1;
  else if ((q + 1) * u <= a) q += 1;
  return q;
}

/** Per-interface conversion parameters, computed once from if_tsresol / if_tsoffset. */
export class TsParams {
  /** Units per second, exact as a number (powers of 2 and of 10 up to 10^19 are). */
  readonly units: number;
  readonly unitsBig: bigint;
  /** Seconds added to every timestamp (if_tsoffset). */
  readonly offset: number;
  /** 1e9 / units when that is an integer (units divides 10^9), else 0. */
  private readonly nsMul: number;
  /** True when number arithmetic is exact for this resolution. */
  private readonly fast: boolean;
  /** True when seconds could exceed 2^53 (fewer than 2048 units per second). */
  private readonly mayOverflow: boolean;
  /**
   * The second of the last converted timestamp: counts hi:lo with lo in [cBase, cEnd) fall in it,
   * starting at cBase (cBase may be negative and cEnd past 2^32 when the second straddles two hi).
   */
  private cHi = -1;
  private cBase = 0;
  private cEnd = 0;
  private cSec = 0;

  constructor(unitsBig: bigint, offset: number) {
    this.unitsBig = unitsBig;
    this.units = Number(unitsBig);
    this.offset = offset;
    this.nsMul = 1_000_000_000n % unitsBig === 0n ? Number(1_000_000_000n / unitsBig) : 0;
    this.fast = this.units <= TWO32 && (this.nsMul > 0 || this.units <= 8388608);
    this.mayOverflow = this.units < 2048;
  }

  /** Units per second from an if_tsresol byte: 10^-n, or 2^-n when the top bit is set. */
  static fromTsresol(tsresol: number, offset: number): TsParams {
    const n = BigInt(tsresol & 0x7f);
    return new TsParams(tsresol & 0x80 ? 1n << n : 10n ** n, offset);
  }

  /**
   * Sets out.tsSec / out.tsNsec from the 64-bit count hi:lo. Returns false (and sets nothing) when
   * the seconds cannot be held exactly in a number.
   */
  convert(hi: number, lo: number, out: { tsSec: number; tsNsec: number }): boolean {
    if (hi === this.cHi && lo >= this.cBase && lo < this.cEnd) {
      const r = lo - this.cBase;
      out.tsSec = this.cSec;
      out.tsNsec = this.nsMul > 0 ? r * this.nsMul : floorDiv(r * 1e9, this.units);
      return true;
    }
    if (!this.fast) return this.convertBig(hi, lo, out);
    const u = this.units;
    let sec: number;
    let rem: number;
    if (hi < TWO21) {
      const t = hi * TWO32 + lo;
      sec = floorDiv(t, u);
      rem = t - sec * u;
    } else {
      // Long division in 16-bit steps keeps every intermediate below 2^49.
      const q1 = floorDiv(hi, u);
      const x = (hi - q1 * u) * 65536 + (lo >>> 16);
      const q2 = floorDiv(x, u);
      const y = (x - q2 * u) * 65536 + (lo & 0xffff);
      const q3 = floorDiv(y, u);
      rem = y - q3 * u;
      sec = q1 * TWO32 + q2 * 65536 + q3;
    }
    const nsec = this.nsMul > 0 ? rem * this.nsMul : floorDiv(rem * 1e9, u);
    if (this.mayOverflow && !Number.isSafeInteger(sec)) return false;
    out.tsSec = sec + this.offset;
    out.tsNsec = nsec;
    // Remember this second: the next timestamps of the same second need no division.
    this.cHi = hi;
    this.cBase = lo - rem;
    this.cEnd = lo - rem + u;
    this.cSec = out.tsSec;
    return true;
  }

  private convertBig(hi: number, lo: number, out: { tsSec: number; tsNsec: number }): boolean {
    const t = (BigInt(hi) << 32n) | BigInt(lo);
    const secBig = t / this.unitsBig;
    const rem = t % this.unitsBig;
    if (secBig > BigInt(Number.MAX_SAFE_INTEGER)) return false;
    out.tsSec = Number(secBig) + this.offset;
    out.tsNsec = Number((rem * 1_000_000_000n) / this.unitsBig);
    return true;
  }
}
