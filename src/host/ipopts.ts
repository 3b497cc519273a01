/**
 * IPv4 options as the host's stack treats them (net/ipv4/ip_options.c):
 *
 * - on receive, after the routing decision (ip_rcv_options -> ip_options_compile), the options are
 *   checked and the ones that ask for it are filled in place: record route gets the address the
 *   host is known by on that path (fib_compute_spec_dst), timestamp options the time (and address);
 *   a malformed option costs the packet and earns its sender a parameter problem pointing at it;
 * - a forwarded packet's record route slot then gets the address of the interface it leaves by
 *   (ip_forward_options);
 * - a packet the host answers (echo and timestamp replies, ICMP errors, TCP resets) carries the
 *   request's record route and timestamp options back with room taken for the host's own entry
 *   (ip_options_echo), filled when the answer is built (ip_options_build);
 * - fragments after the first keep only the options whose "copied" bit is set (ip_options_fragment,
 *   in netfilter/defrag.ts's fragment4).
 *
 * Times are milliseconds since midnight UTC of the virtual clock (inet_current_timestamp).
 */
import { Unsupported } from '../netfilter/pipeline.js';

export const IPOPT_END = 0;
export const IPOPT_NOOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TIMESTAMP = 68;
export const IPOPT_LSRR = 131;
export const IPOPT_CIPSO = 134;
export const IPOPT_SSRR = 137;
export const IPOPT_RA = 148;

const TS_TSONLY = 0;
const TS_TSANDADDR = 1;
const TS_PRESPEC = 3;

/** What ip_options_compile found in a received header (struct ip_options): offsets from the IP header's start, 0 when absent. */
export interface RxOptions {
  rr: number;
  rrNeedAddr: boolean;
  ts: number;
  tsNeedAddr: boolean;
  tsNeedTime: boolean;
  srr: number;
  strictRoute: boolean;
  routerAlert: number;
  /** The header bytes were changed (is_changed): a forwarded packet's checksum is computed again. */
  changed: boolean;
}

/** What the compile needs of the host. */
export interface RxOptionEnv {
  /** fib_compute_spec_dst: the address the host is known by on the packet's path (asked at most once). */
  specDst(): number;
  /** inet_addr_type(addr) === RTN_UNICAST: not one of the host's own, broadcast or multicast addresses. */
  isUnicast(addr: number): boolean;
  /** ms since midnight UTC. */
  nowMs: number;
}

export type CompileResult = { ok: true; opts: RxOptions } | { ok: false; opts: RxOptions; pointer: number };

function emptyOptions(): RxOptions {
  return { rr: 0, rrNeedAddr: false, ts: 0, tsNeedAddr: false, tsNeedTime: false, srr: 0, strictRoute: false, routerAlert: 0, changed: false };
}

function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function set32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * ip_options_compile for a received IPv4 header at `off` in `buf` (header length `ihl` bytes, more
 * than 20), filling record route and timestamp entries in place. On a malformed option the result
 * gives the parameter problem's pointer (offset from the header's start) and the options compiled
 * so far. A CIPSO option (its validation depends on NetLabel's configuration) is refused with an
 * error naming it.
 */
export function compileReceived(buf: Uint8Array, off: number, ihl: number, env: RxOptionEnv): CompileResult {
  const opt = emptyOptions();
  let spec: number | null = null;
  const specDst = (): number => (spec ??= env.specDst() >>> 0);
  const fail = (at: number): CompileResult => ({ ok: false, opts: opt, pointer: at - off });
  let p = off + 20;
  let l = ihl - 20;
  while (l > 0) {
    const type = buf[p]!;
    if (type === IPOPT_END) {
      for (p++, l--; l > 0; p++, l--) {
        if (buf[p] !== IPOPT_END) {
          buf[p] = IPOPT_END;
          opt.changed = true;
        }
      }
      break;
    }
    if (type === IPOPT_NOOP) {
      p++;
      l--;
      continue;
    }
    if (l < 2) return fail(p);
    const optlen = buf[p + 1]!;
    if (optlen < 2 || optlen > l) return fail(p);
    switch (type) {
      case IPOPT_SSRR:
      case IPOPT_LSRR:
        if (optlen < 3) return fail(p + 1);
        if (buf[p + 2]! < 4) return fail(p + 2);
        if (opt.srr) return fail(p);
        opt.strictRoute = type === IPOPT_SSRR;
        opt.srr = p - off;
        break;
      case IPOPT_RR: {
        if (opt.rr) return fail(p);
        if (optlen < 3) return fail(p + 1);
        const ptr = buf[p + 2]!;
        if (ptr < 4) return fail(p + 2);
        if (ptr <= optlen) {
          if (ptr + 3 > optlen) return fail(p + 2);
          set32(buf, p + ptr - 1, specDst());
          opt.changed = true;
          buf[p + 2] = ptr + 4;
          opt.rrNeedAddr = true;
        }
        opt.rr = p - off;
        break;
      }
      case IPOPT_TIMESTAMP: {
        if (opt.ts) return fail(p);
        if (optlen < 4) return fail(p + 1);
        const ptr = buf[p + 2]!;
        if (ptr < 5) return fail(p + 2);
        const flags = buf[p + 3]!;
        if (ptr <= optlen) {
          if (ptr + 3 > optlen) return fail(p + 2);
          let timeAt = -1;
          switch (flags & 0xf) {
            case TS_TSONLY:
              timeAt = p + ptr - 1;
              opt.tsNeedTime = true;
              buf[p + 2] = ptr + 4;
              break;
            case TS_TSANDADDR:
              if (ptr + 7 > optlen) return fail(p + 2);
              set32(buf, p + ptr - 1, specDst());
              timeAt = p + ptr + 3;
              opt.tsNeedAddr = true;
              opt.tsNeedTime = true;
              buf[p + 2] = ptr + 8;
              break;
            case TS_PRESPEC:
              if (ptr + 7 > optlen) return fail(p + 2);
              // a prespecified entry is ours to fill only when it names this host
              if (env.isUnicast(get32(buf, p + ptr - 1))) break;
              timeAt = p + ptr + 3;
              opt.tsNeedTime = true;
              buf[p + 2] = ptr + 8;
              break;
            default:
              break; // unknown flags: left alone on receive
          }
          if (timeAt >= 0) {
            set32(buf, timeAt, env.nowMs >>> 0);
            opt.changed = true;
          }
        } else if ((flags & 0xf) !== TS_PRESPEC) {
          // full: count the overflow, up to 15
          const overflow = flags >> 4;
          if (overflow === 15) return fail(p + 3);
          buf[p + 3] = (flags & 0xf) | ((overflow + 1) << 4);
          opt.changed = true;
        }
        opt.ts = p - off;
        break;
      }
      case IPOPT_RA:
        if (optlen < 4) return fail(p + 1);
        if (buf[p + 2] === 0 && buf[p + 3] === 0) opt.routerAlert = p - off;
        break;
      case IPOPT_CIPSO:
        throw new Unsupported('IPv4 option CIPSO (type 134): its validation (cipso_v4_validate, NetLabel domains) is not modelled by ctkit');
      default:
        break; // security, stream id and unknown options: accepted as they are on receive
    }
    l -= optlen;
    p += optlen;
  }
  return { ok: true, opts: opt };
}

/** Options for an answer (struct ip_options built by ip_options_echo): bytes padded to 4, entries to fill. */
export interface ReplyOptions {
  bytes: Uint8Array;
  /** Offsets from the answer's IP header start (20 + offset in `bytes`), 0 when absent. */
  rr: number;
  rrNeedAddr: boolean;
  ts: number;
  tsNeedAddr: boolean;
  tsNeedTime: boolean;
}

export const NO_REPLY_OPTIONS: ReplyOptions = Object.freeze({ bytes: new Uint8Array(0), rr: 0, rrNeedAddr: false, ts: 0, tsNeedAddr: false, tsNeedTime: false }) as ReplyOptions;

/**
 * ip_options_echo: the options an answer to the received header at `off` carries (the header as
 * it is now, after compileReceived filled it): record route and timestamp copied with room for
 * the host's own entry. Null when the kernel gives up on the answer (-EINVAL: no room where the
 * option said there was). Source routes never get here (refused on receive).
 */
export function echoOptions(rx: RxOptions, buf: Uint8Array, off: number, isUnicast: (addr: number) => boolean): ReplyOptions | null {
  const out: number[] = [];
  const r: ReplyOptions = { bytes: NO_REPLY_OPTIONS.bytes, rr: 0, rrNeedAddr: false, ts: 0, tsNeedAddr: false, tsNeedTime: false };
  if (rx.rr) {
    const s = off + rx.rr;
    const optlen = buf[s + 1]!;
    const soffset = buf[s + 2]!;
    r.rr = 20 + out.length;
    const at = out.length;
    for (let k = 0; k < optlen; k++) out.push(buf[s + k]!);
    if (rx.rrNeedAddr && soffset <= optlen) {
      if (soffset + 3 > optlen) return null;
      out[at + 2] = soffset + 4;
      r.rrNeedAddr = true;
    }
  }
  if (rx.ts) {
    const s = off + rx.ts;
    const optlen = buf[s + 1]!;
    let soffset = buf[s + 2]!;
    r.ts = 20 + out.length;
    const at = out.length;
    for (let k = 0; k < optlen; k++) out.push(buf[s + k]!);
    if (soffset <= optlen) {
      if (rx.tsNeedAddr) {
        if (soffset + 3 > optlen) return null;
        r.tsNeedAddr = true;
        soffset += 4;
      }
      if (rx.tsNeedTime) {
        if (soffset + 3 > optlen) return null;
        if ((out[at + 3]! & 0xf) !== TS_PRESPEC) {
          r.tsNeedTime = true;
          soffset += 4;
        } else if (soffset + 7 <= optlen) {
          const a = ((out[at + soffset - 1]! << 24) | (out[at + soffset]! << 16) | (out[at + soffset + 1]! << 8) | out[at + soffset + 2]!) >>> 0;
          if (!isUnicast(a)) {
            r.tsNeedTime = true;
            soffset += 8;
          }
        }
      }
      out[at + 2] = soffset;
    }
  }
  while (out.length & 3) out.push(IPOPT_END);
  r.bytes = Uint8Array.from(out);
  return r;
}

/**
 * ip_options_build: the answer's option bytes with the host's entries filled: its source address
 * in the record route and timestamp-and-address slots, the time in the timestamp slot.
 */
export function buildOptions(o: ReplyOptions, src: number, nowMs: number): Uint8Array {
  const b = o.bytes.slice();
  // `b` starts at header offset 20; the entry to fill sits just before the option's pointer
  if (o.rrNeedAddr) set32(b, o.rr - 20 + b[o.rr - 20 + 2]! - 5, src >>> 0);
  if (o.tsNeedAddr) set32(b, o.ts - 20 + b[o.ts - 20 + 2]! - 9, src >>> 0);
  if (o.tsNeedTime) set32(b, o.ts - 20 + b[o.ts - 20 + 2]! - 5, nowMs >>> 0);
  return b;
}

/**
 * ip_forward_options for a forwarded header at `off`: the record route slot the compile reserved
 * gets `outAddr`, the address of the way out. True when the header changed (its checksum must be
 * computed again, with the compile's own changes).
 */
export function forwardOptions(rx: RxOptions, buf: Uint8Array, off: number, outAddr: number): boolean {
  if (rx.rrNeedAddr) {
    const s = off + rx.rr;
    set32(buf, s + buf[s + 2]! - 5, outAddr >>> 0);
    return true;
  }
  return rx.changed;
}

/** ms since midnight UTC for virtual time `now` (seconds since the epoch). */
export function msSinceMidnight(now: number): number {
  return Math.floor((((now % 86400) + 86400) % 86400) * 1000) >>> 0;
}
