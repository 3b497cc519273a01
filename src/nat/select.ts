/**
 * Choosing a connection's translated tuple (the kernel's get_unique_tuple and helpers in
 * nf_nat_core.c, 6.18):
 *
 *  1. source NAT without --random / --random-fully: keep the original tuple when it lies in the
 *     range and no other connection uses it (a UDP / UDP-Lite / GRE tuple taken only by the
 *     exact reverse of a connection without NAT counts as free: nf_nat_used_tuple_new); when it
 *     is out of range, reuse the mapping the same source already has (by-source index);
 *  2. otherwise pick the address: the range's only one, or a hash of the addresses
 *     (find_best_ips_proto: jhash2 over the source, keyed with the destination unless
 *     --persistent; exactly the kernel's choice);
 *  3. keep the port when it is in range and free; else search (nf_nat_l4proto_unique_tuple):
 *     ports within the range, or without one the class of the original (1-511, 600-1023,
 *     1024-65535; destination ports never move without a range), ICMP ids 0-65535, PPTP GRE keys
 *     1-65535; from a starting offset, at most 128 candidates, then rounds of half as many
 *     from fresh offsets. The last 32 candidates of a TCP SYN may evict a TIME_WAIT-or-later
 *     source-NAT entry whose sequence numbers the new connection has passed.
 *
 * Starting offsets: a shifted range (PROTO_OFFSET) starts at port - base; a destination mapping
 * without --random starts at 0 (the first free port of the range); everything else starts at a
 * random 16-bit offset, drawn here from a generator seeded by the table seed. Those ports are
 * therefore not the recording kernel's (the conformance corpus masks them).
 *
 * When every candidate is taken the last one is returned anyway: the clash is found when the
 * connection is confirmed (TCP: dropped; UDP: clash resolution), as in the kernel.
 */
import type { Conn } from '../conntrack/conn.js';
import type { SeededRandom } from '../conntrack/hash.js';
import { TcpCt, type TcpState } from '../conntrack/proto/tcp-state.js';
import { zoneId } from '../conntrack/store.js';
import type { ConntrackTable } from '../conntrack/table.js';
import { invertTuple, Tuple, tuplesEqual } from '../conntrack/tuple.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import type { BySource } from './bysource.js';
import { jhash2, memWord, reciprocalScale } from './jhash.js';
import { Manip } from './manip.js';
import { NatFlag, RANDOM_ALL, type NatRange } from './range.js';
import { sameWords } from './words.js';

/** NF_NAT_MAX_ATTEMPTS and NF_NAT_HARDER_THRESH. */
const MAX_ATTEMPTS = 128;
const HARDER_THRESH = MAX_ATTEMPTS / 4;
/** Status bits that mean "subject to NAT" for the reverse-clash check. */
const USES_NAT = CtStatus.SRC_NAT | CtStatus.DST_NAT | CtStatus.SEQ_ADJUST;
/** Entries the eviction of nf_nat_used_tuple_harder must leave alone. */
const KILL_REFUSE = CtStatus.FIXED_TIMEOUT | CtStatus.DYING;

/** Ports of these protocols are the manipulable part of a tuple. */
function hasPorts(proto: number): boolean {
  return proto === Proto.TCP || proto === Proto.UDP || proto === Proto.UDPLITE || proto === Proto.SCTP;
}

function isIcmp(proto: number): boolean {
  return proto === Proto.ICMP || proto === Proto.ICMPV6;
}

/** Unsigned comparison of two addresses (IPv4: word 0; IPv6: memcmp order). */
function addrCmp(family: 4 | 6, a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = family === 4 ? 1 : 4;
  for (let i = 0; i < n; i++) {
    const x = a[i]! >>> 0;
    const y = b[i]! >>> 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The search window of nf_nat_l4proto_unique_tuple. */
interface Window {
  min: number;
  size: number;
  src: boolean;
}

export class TupleChooser {
  private readonly reply = new Tuple();
  private readonly other = new Tuple();
  private readonly hashWords = new Uint32Array(4);
  private readonly window: Window = { min: 0, size: 0, src: true };

  constructor(
    private readonly ct: ConntrackTable,
    private readonly bysource: BySource,
    private readonly random: SeededRandom,
  ) {}

  /** get_unique_tuple: the tuple `conn` should look like after `manip` within `range`. */
  choose(out: Tuple, orig: Tuple, range: NatRange, conn: Conn, manip: Manip, now: number): void {
    if (manip === Manip.SRC && !(range.flags & RANDOM_ALL)) {
      if (this.inRange(orig, range)) {
        if (!this.usedTupleNew(orig, conn)) {
          out.copyFrom(orig);
          return;
        }
      } else if (this.findAppropriateSrc(orig, out, range, conn.zoneSpec) && !this.usedTuple(out, conn)) {
        return;
      }
    }
    out.copyFrom(orig);
    this.findBestIps(out, range, conn, manip);
    if (!(range.flags & RANDOM_ALL)) {
      if (range.flags & NatFlag.PROTO_SPECIFIED) {
        if (
          !(range.flags & NatFlag.PROTO_OFFSET) &&
          this.l4InRange(out, manip, range) &&
          (range.minProto === range.maxProto || !this.usedTuple(out, conn))
        ) {
          return;
        }
      } else if (!this.usedTuple(out, conn)) {
        return;
      }
    }
    this.uniqueL4(out, range, manip, conn, now);
  }

  // ----------------------------------------------------------------------------------------------
  // is a tuple taken?

  /** nf_nat_used_tuple: another connection already expects replies to `t`. */
  usedTuple(t: Tuple, conn: Conn): boolean {
    if (!invertTuple(this.reply, t)) return false;
    return this.ct.tupleInUse(this.reply, conn);
  }

  /**
   * nf_nat_used_tuple_new: as usedTuple, except that for protocols whose clashes conntrack
   * resolves, the exact reverse of a connection without NAT (both sides sending at once) does
   * not count; clash resolution handles it at confirmation.
   */
  private usedTupleNew(t: Tuple, conn: Conn): boolean {
    if (!this.usedTuple(t, conn)) return false;
    if (!conn.tracker.allowClash) return true;
    if (conn.status & USES_NAT) return true;
    let hit = this.ct.find(t, conn.zoneSpec);
    if (hit === null) {
      if (!invertTuple(this.other, t)) return true;
      hit = this.ct.find(this.other, conn.zoneSpec);
      if (hit === null) return false;
    }
    if (hit.dir !== 1) return true;
    const c = hit.conn;
    if (c.status & USES_NAT) return true;
    return !(tuplesEqual(c.orig, conn.reply) && tuplesEqual(c.reply, conn.orig));
  }

  /**
   * nf_nat_used_tuple_harder: among the last candidates of a TCP SYN's search, a colliding entry
   * that is closing (TIME_WAIT or later), source-NATed, not fixed-timeout or dying, and whose
   * original sender's sequence space the new connection has passed, is evicted.
   */
  private usedTupleHarder(t: Tuple, conn: Conn, attemptsLeft: number, now: number): boolean {
    if (!invertTuple(this.reply, t)) return false;
    const mine = conn.proto as TcpState | null;
    if (attemptsLeft > HARDER_THRESH || t.proto !== Proto.TCP || mine === null || mine.state !== TcpCt.SYN_SENT) {
      return this.ct.tupleInUse(this.reply, conn);
    }
    const hit = this.ct.find(this.reply, conn.zoneSpec);
    if (hit === null) return false;
    const old = hit.conn;
    if (hit.dir === 0 || old === conn) return true;
    if (!this.mayKill(old)) return true;
    const theirs = old.proto as TcpState;
    if (((mine.seen[0].tdEnd - theirs.seen[0].tdEnd) | 0) <= 0) return true;
    return !this.ct.delete(old, now);
  }

  /** nf_nat_may_kill. */
  private mayKill(c: Conn): boolean {
    const st = c.proto as TcpState | null;
    if (st === null || st.state < TcpCt.TIME_WAIT) return false;
    if (c.status & KILL_REFUSE) return false;
    return (c.status & CtStatus.SRC_NAT) !== 0;
  }

  // ----------------------------------------------------------------------------------------------
  // ranges

  /** nf_in_range: would source-mapping to `t` satisfy the range? */
  private inRange(t: Tuple, range: NatRange): boolean {
    if (range.flags & NatFlag.MAP_IPS) {
      if (addrCmp(t.family, t.src, range.minAddr) < 0 || addrCmp(t.family, t.src, range.maxAddr) > 0) return false;
    }
    if (!(range.flags & NatFlag.PROTO_SPECIFIED)) return true;
    return this.l4InRange(t, Manip.SRC, range);
  }

  /** l4proto_in_range: the manipulable part of `t` (ICMP id, port, GRE key) lies in the range. */
  private l4InRange(t: Tuple, manip: Manip, range: NatRange): boolean {
    let v: number;
    if (isIcmp(t.proto)) v = t.sport;
    else if (hasPorts(t.proto) || t.proto === Proto.GRE) v = manip === Manip.SRC ? t.sport : t.dport;
    else return true;
    return v >= range.minProto && v <= range.maxProto;
  }

  /** find_appropriate_src: the mapping another connection from the same source already has. */
  private findAppropriateSrc(orig: Tuple, out: Tuple, range: NatRange, zone: number): boolean {
    const zid = zoneId(zone, 0);
    for (let e = this.bysource.first(orig, zone); e !== null; e = e.srcNext) {
      const c = e.conn;
      const o = c.orig;
      if (o.proto !== orig.proto || o.sport !== orig.sport || !sameWords(o.src, orig.src) || c.zoneOf(0) !== zid) continue;
      if (!invertTuple(out, c.reply)) continue;
      out.dst.set(orig.dst);
      out.dport = orig.dport;
      if (this.inRange(out, range)) return true;
    }
    return false;
  }

  /**
   * find_best_ips_proto: the range's address, or for an address range the one a hash of the
   * tuple's addresses picks (the kernel's exact computation, word by word).
   */
  private findBestIps(t: Tuple, range: NatRange, conn: Conn, manip: Manip): void {
    if (!(range.flags & NatFlag.MAP_IPS)) return;
    const v = manip === Manip.SRC ? t.src : t.dst;
    if (sameWords(range.minAddr, range.maxAddr)) {
      v.set(range.minAddr);
      return;
    }
    const max = conn.family === 4 ? 0 : 3;
    const persistent = (range.flags & NatFlag.PERSISTENT) !== 0;
    const w = this.hashWords;
    for (let i = 0; i < 4; i++) w[i] = memWord(t.src[i]!);
    let j = jhash2(w, 4, persistent ? 0 : (memWord(t.dst[max]!) ^ conn.zone) >>> 0);
    let full = false;
    for (let i = 0; i <= max; i++) {
      let minip = 0;
      let dist = 0xffffffff;
      if (!full) {
        minip = range.minAddr[i]!;
        dist = (range.maxAddr[i]! - minip + 1) >>> 0;
      }
      v[i] = (minip + reciprocalScale(j, dist)) >>> 0;
      if (v[i] !== range.maxAddr[i]) full = true;
      if (!persistent) j = (j ^ memWord(t.dst[i]!)) >>> 0;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // nf_nat_l4proto_unique_tuple

  /** The key the search varies and its window; false when the protocol has none to vary. */
  private searchWindow(t: Tuple, range: NatRange, manip: Manip, conn: Conn): boolean {
    const w = this.window;
    const specified = (range.flags & NatFlag.PROTO_SPECIFIED) !== 0;
    if (isIcmp(t.proto)) {
      w.src = true;
      w.min = specified ? range.minProto : 0;
      w.size = specified ? range.maxProto - range.minProto + 1 : 65536;
      return true;
    }
    if (t.proto === Proto.GRE) {
      if (conn.master === null) return false;
      w.src = manip === Manip.SRC;
      w.min = specified ? range.minProto : 1;
      w.size = specified ? range.maxProto - range.minProto + 1 : 65535;
      return true;
    }
    if (!hasPorts(t.proto)) return false;
    w.src = manip === Manip.SRC;
    if (specified) {
      const lo = Math.min(range.minProto, range.maxProto);
      const hi = Math.max(range.minProto, range.maxProto);
      w.min = lo;
      w.size = hi - lo + 1;
      return true;
    }
    if (manip === Manip.DST) return false;
    const port = t.sport;
    if (port >= 1024) {
      w.min = 1024;
      w.size = 65535 - 1024 + 1;
    } else if (port < 512) {
      w.min = 1;
      w.size = 511;
    } else {
      w.min = 600;
      w.size = 1023 - 600 + 1;
    }
    return true;
  }

  private uniqueL4(t: Tuple, range: NatRange, manip: Manip, conn: Conn, now: number): void {
    if (!this.searchWindow(t, range, manip, conn)) return;
    const w = this.window;
    const key = w.src ? t.sport : t.dport;
    let off: number;
    if (range.flags & NatFlag.PROTO_OFFSET) off = (key - range.baseProto) & 0xffff;
    else if (range.flags & RANDOM_ALL || manip !== Manip.DST) off = this.random16();
    else off = 0;
    let attempts = Math.min(w.size, MAX_ATTEMPTS);
    for (;;) {
      for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
        const v = (w.min + (off % w.size)) & 0xffff;
        if (w.src) t.sport = v;
        else t.dport = v;
        if (!this.usedTupleHarder(t, conn, attempts - i, now)) return;
      }
      if (attempts >= w.size || attempts < 16) return;
      attempts = attempts >>> 1;
      off = this.random16();
    }
  }

  /** get_random_u16, from the seeded generator. */
  private random16(): number {
    return this.random.next() & 0xffff;
  }
}
