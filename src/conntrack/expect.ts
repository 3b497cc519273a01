/**
 * Conntrack expectations (the kernel's nf_conntrack_expect.c as of 6.18): a connection with a
 * helper announces a connection it expects (FTP's data channel, TFTP's reply, SIP's media), and
 * the first packet matching it starts a connection that is RELATED to the announcing one (its
 * master).
 *
 * An expectation is a tuple with a mask: the destination (address, port, protocol, family) is
 * always exact; the source address and source port may be wildcards (mask 0). It belongs to its
 * master, has a class (a helper's expectation policy: how many of that class a master may have
 * at once, how long they live), flags (PERMANENT: not consumed by a match; INACTIVE: not matched
 * yet; USERSPACE: made through ctnetlink), and NAT data for the expected connection (the saved
 * address / port, the direction, the function run when it is created).
 *
 * Rules, as the kernel applies them:
 *  - `related` (nf_ct_expect_related): an expectation equal to one in the table (same tuple,
 *    mask and zone) replaces it (the old one is destroyed; with another class: EALREADY); one
 *    that overlaps another under the intersection of both masks is refused (EBUSY); when the
 *    master already has its policy's max_expected of that class, the oldest of the class is
 *    evicted first; the table holds at most nf_conntrack_expect_max (EMFILE). A NEW event.
 *  - a new connection whose original tuple matches an active expectation of a confirmed, live
 *    master in the same zone takes it: a one-shot expectation is removed (DESTROY event) before
 *    the connection exists; a PERMANENT one stays.
 *  - expectations time out (DESTROY) and die with their master.
 *
 * Events carry the remaining timeout (whole seconds, 0 once expired). Whether they are sent
 * follows the master's event cache (no events when it was created with nf_conntrack_events off).
 *
 * Time is virtual: `now` comes with every call; expired expectations are reaped when time is
 * given (`expire`, and before every lookup and insertion).
 */
import type { Conn } from './conn.js';
import type { ConntrackTable, ExpectationMatch } from './table.js';
import { Tuple } from './tuple.js';

/** NF_CT_EXPECT_* flags. */
export const ExpectFlag = {
  PERMANENT: 0x1,
  INACTIVE: 0x2,
  USERSPACE: 0x4,
} as const;

/** NF_CT_EXPECT_CLASS_DEFAULT. */
export const EXPECT_CLASS_DEFAULT = 0;

/** A helper's expectation policy for one class (struct nf_conntrack_expect_policy). */
export interface ExpectPolicy {
  /** Expectations of this class one master may have at once (0: no limit). */
  readonly maxExpected: number;
  /** Seconds an expectation lives. */
  readonly timeout: number;
  /** Class name shown in /proc/net/nf_conntrack_expect ("audio"), or null. */
  readonly name: string | null;
}

/** Why `related` refused an expectation (the kernel's errno), or 0 when it was inserted. */
export type ExpectResult = 0 | 'EBUSY' | 'EMFILE' | 'ESHUTDOWN' | 'EALREADY';

/** What is done with a connection created by an expectation (the kernel's expectfn). */
export type ExpectFn = (conn: Conn, exp: Expectation, now: number) => void;

export class Expectation {
  /** The expected original tuple (source parts possibly masked out). */
  readonly tuple = new Tuple();
  /** Source address mask (four words) and source port / key / id mask (16 bits). */
  readonly maskSrc = new Uint32Array(4);
  maskSport = 0;
  /** Expectation class (index into the master helper's policies). */
  cls = EXPECT_CLASS_DEFAULT;
  /** ExpectFlag bits. */
  flags = 0;
  /** Virtual time at which it times out. */
  expiresAt = 0;
  /** Helper the expected connection gets (exp->helper), or null. */
  childHelper: string | null = null;
  /** Run on the expected connection right after it is created. */
  expectFn: ExpectFn | null = null;
  /** NAT: the address / port the expected connection is mapped to, and the master direction it follows. */
  readonly savedAddr = new Uint32Array(4);
  savedProto = 0;
  dir: 0 | 1 = 0;
  /** In the table. */
  linked = false;

  constructor(
    /** The connection that expects this one. */
    readonly master: Conn,
  ) {}

  /**
   * nf_ct_expect_init: family and protocol, the source address (null: any), the destination
   * address, the source port (null: any) and the destination port. Flags, NAT data and helper
   * are reset.
   */
  init(
    cls: number,
    family: 4 | 6,
    saddr: ArrayLike<number> | null,
    daddr: ArrayLike<number>,
    proto: number,
    sport: number | null,
    dport: number,
  ): this {
    const t = this.tuple;
    this.flags = 0;
    this.cls = cls;
    this.expectFn = null;
    this.childHelper = null;
    t.family = family;
    t.proto = proto;
    copyAddr(t.src, saddr ?? ZERO, family);
    fillMask(this.maskSrc, saddr === null ? 0 : family);
    t.sport = sport === null ? 0 : sport & 0xffff;
    this.maskSport = sport === null ? 0 : 0xffff;
    copyAddr(t.dst, daddr, family);
    t.dport = dport & 0xffff;
    this.savedAddr.fill(0);
    this.savedProto = 0;
    this.dir = 0;
    return this;
  }

  /** Whether original tuple `t` matches (nf_ct_tuple_mask_cmp). */
  matches(t: Tuple): boolean {
    return maskedSrcEqual(t, this.tuple, this.maskSrc, this.maskSport) && dstEqual(t, this.tuple);
  }
}

const ZERO = new Uint32Array(4);

function copyAddr(to: Uint32Array, from: ArrayLike<number>, family: 4 | 6): void {
  to[0] = from[0]! >>> 0;
  to[1] = family === 6 ? from[1]! >>> 0 : 0;
  to[2] = family === 6 ? from[2]! >>> 0 : 0;
  to[3] = family === 6 ? from[3]! >>> 0 : 0;
}

/** An exact mask over the family's address bytes (0: no bytes). */
function fillMask(m: Uint32Array, family: 0 | 4 | 6): void {
  m[0] = family === 0 ? 0 : 0xffffffff;
  const rest = family === 6 ? 0xffffffff : 0;
  m[1] = rest;
  m[2] = rest;
  m[3] = rest;
}

/** nf_ct_tuple_src_mask_cmp: the source parts equal under the mask, same family and protocol. */
function maskedSrcEqual(a: Tuple, b: Tuple, m: Uint32Array, mport: number): boolean {
  for (let i = 0; i < 4; i++) if (((a.src[i]! ^ b.src[i]!) & m[i]!) !== 0) return false;
  if (((a.sport ^ b.sport) & mport) !== 0) return false;
  return a.family === b.family && a.proto === b.proto;
}

/** __nf_ct_tuple_dst_equal. */
function dstEqual(a: Tuple, b: Tuple): boolean {
  return (
    a.dport === b.dport &&
    a.proto === b.proto &&
    a.dst[0] === b.dst[0] &&
    a.dst[1] === b.dst[1] &&
    a.dst[2] === b.dst[2] &&
    a.dst[3] === b.dst[3]
  );
}

/** expect_clash: equal under the intersection of both source masks (and the same zone). */
function clash(a: Expectation, b: Expectation): boolean {
  const m = CLASH_MASK;
  for (let i = 0; i < 4; i++) m[i] = a.maskSrc[i]! & b.maskSrc[i]!;
  return maskedSrcEqual(a.tuple, b.tuple, m, a.maskSport & b.maskSport) && dstEqual(a.tuple, b.tuple) && a.master.zone === b.master.zone;
}
const CLASH_MASK = new Uint32Array(4);

/** expect_matches: the same tuple, mask and zone. */
function sameExpectation(a: Expectation, b: Expectation): boolean {
  return (
    a.tuple.equals(b.tuple) &&
    a.maskSport === b.maskSport &&
    a.maskSrc[0] === b.maskSrc[0] &&
    a.maskSrc[1] === b.maskSrc[1] &&
    a.maskSrc[2] === b.maskSrc[2] &&
    a.maskSrc[3] === b.maskSrc[3] &&
    a.master.zone === b.master.zone
  );
}

/** The key expectations are filed under: destination address, port, protocol, family. */
function dstKey(t: Tuple): number {
  let h = (t.dst[0]! ^ Math.imul(t.dst[1]!, 0x9e3779b1) ^ Math.imul(t.dst[2]!, 0x85ebca77) ^ Math.imul(t.dst[3]!, 0xc2b2ae3d)) >>> 0;
  h = (h ^ Math.imul((t.dport << 16) | (t.proto << 8) | t.family, 0x27d4eb2f)) >>> 0;
  return h;
}

/** An expectation event, as `conntrack -E expect` reports it. */
export interface ExpectEvent {
  type: 'NEW' | 'DESTROY';
  exp: Expectation;
  /** Virtual time of the event (the timeout prints as remaining from here). */
  time: number;
}

export type ExpectEventListener = (ev: ExpectEvent) => void;

/** The master side (struct nf_conn_help): its expectations, newest first, and counts per class. */
interface MasterExpectations {
  list: Expectation[];
  expecting: number[];
}

export interface ExpectationTableOptions {
  /** The expectation policies of a helper by name (null for an unknown name). */
  policies: (helper: string) => readonly ExpectPolicy[] | null;
}

export class ExpectationTable {
  private readonly byDst = new Map<number, Expectation[]>();
  private readonly masters = new Map<Conn, MasterExpectations>();
  private listeners: ExpectEventListener[] = [];
  private total = 0;
  /** Earliest expiry time among the expectations (Infinity when none). */
  private nextExpiry = Infinity;
  /** The latest virtual time seen (removals reported without a time use it). */
  private clock = 0;
  private readonly lookupFn = (t: Tuple, zone: number, now: number): ExpectationMatch | null => this.take(t, zone, now);

  constructor(
    readonly table: ConntrackTable,
    private readonly opts: ExpectationTableOptions,
  ) {
    table.setExpectationLookup(this.lookupFn);
    // Removals come without a time: the DESTROY event the table sends first carries it.
    table.onEvent((ev) => this.see(ev.time));
    table.onRemove((conn) => this.removeFor(conn, this.clock));
  }

  /** The latest virtual time the table has seen (for removals that come without one). */
  get lastTime(): number {
    return this.clock;
  }

  /** Number of expectations (the kernel's expect_count). */
  get count(): number {
    return this.total;
  }

  /** Subscribes to NEW / DESTROY events; returns the unsubscribe function. */
  onEvent(cb: ExpectEventListener): () => void {
    this.listeners.push(cb);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== cb);
    };
  }

  /** Every expectation, oldest first. */
  *[Symbol.iterator](): IterableIterator<Expectation> {
    const all: Expectation[] = [];
    for (const m of this.masters.values()) all.push(...m.list);
    all.sort((a, b) => a.expiresAt - b.expiresAt);
    yield* all;
  }

  /** The expectations of one master, newest first. */
  of(master: Conn): readonly Expectation[] {
    return this.masters.get(master)?.list ?? [];
  }

  /** How many expectations of class `cls` a master has (master_help->expecting[cls]). */
  expecting(master: Conn, cls: number): number {
    return this.masters.get(master)?.expecting[cls] ?? 0;
  }

  /** nf_ct_expect_alloc + nf_ct_expect_init. */
  create(
    master: Conn,
    cls: number,
    family: 4 | 6,
    saddr: ArrayLike<number> | null,
    daddr: ArrayLike<number>,
    proto: number,
    sport: number | null,
    dport: number,
  ): Expectation {
    return new Expectation(master).init(cls, family, saddr, daddr, proto, sport, dport);
  }

  /**
   * nf_ct_expect_related: checks and inserts `exp` (NEW event). The master must have a helper
   * (ESHUTDOWN otherwise). With `skipMaster` (NF_CT_EXP_F_SKIP_MASTER) an equal expectation of
   * another master counts as the same one: EALREADY, as for another class.
   */
  related(exp: Expectation, now: number, skipMaster = false, helperless: number | null = null): ExpectResult {
    this.expire(now);
    const policies = this.policiesOf(exp.master);
    // `helperless`: the master has a helper extension without a helper (nft ct expectation
    // objects): no class limit, and the expectation lives `helperless` seconds.
    if (policies === null && helperless === null) return 'ESHUTDOWN';
    const res = this.check(exp, policies, now, skipMaster);
    if (res !== 0) return res;
    this.insert(exp, policies, now, helperless ?? 0);
    this.emit('NEW', exp, now);
    return 0;
  }

  /** nf_ct_unexpect_related / conntrack -D expect: removes `exp` if it is still in the table (DESTROY). */
  remove(exp: Expectation, now: number): boolean {
    if (!exp.linked) return false;
    this.unlink(exp, now);
    return true;
  }

  /** Removes every expectation of `master` (nf_ct_remove_expectations). */
  removeFor(master: Conn, now: number): void {
    const m = this.masters.get(master);
    if (m === undefined) return;
    for (const e of [...m.list]) this.unlink(e, now);
    this.masters.delete(master);
  }

  /** conntrack -F expect: removes every expectation. */
  flush(now: number): void {
    for (const e of [...this]) this.unlink(e, now);
  }

  /** Reaps expectations whose time has come (DESTROY events, in expiry order). */
  expire(now: number): void {
    this.see(now);
    if (now < this.nextExpiry) return;
    const due = [...this].filter((e) => e.expiresAt <= now);
    for (const e of due) this.unlink(e, now);
    this.nextExpiry = Infinity;
    for (const e of this) if (e.expiresAt < this.nextExpiry) this.nextExpiry = e.expiresAt;
  }

  /**
   * nf_ct_expect_find_get: the expectation matching original tuple `t` in `zone` (inactive ones
   * included), without taking it.
   */
  find(t: Tuple, zone: number, now: number): Expectation | null {
    this.expire(now);
    if (this.total === 0) return null;
    const bucket = this.byDst.get(dstKey(t));
    if (bucket === undefined) return null;
    for (const e of bucket) if (e.master.zone === zone && e.matches(t)) return e;
    return null;
  }

  /**
   * mod_timer_pending: an expectation still in the table times out `seconds` from now instead.
   * False when it is gone.
   */
  setTimeout(exp: Expectation, seconds: number, now: number): boolean {
    if (!exp.linked) return false;
    exp.expiresAt = now + seconds;
    if (exp.expiresAt < this.nextExpiry) this.nextExpiry = exp.expiresAt;
    return true;
  }

  /** Seconds left before `exp` times out, rounded down, 0 once due (ctnetlink's timeout). */
  remaining(exp: Expectation, now: number): number {
    const left = Math.floor(exp.expiresAt - now + 1e-6);
    return left > 0 ? left : 0;
  }

  /** The policy an expectation of `cls` of `master` follows, or null when the master has no helper. */
  policy(master: Conn, cls: number): ExpectPolicy | null {
    return this.policiesOf(master)?.[cls] ?? null;
  }

  // ----------------------------------------------------------------------------------------------

  private see(now: number): void {
    if (now > this.clock) this.clock = now;
  }

  /**
   * nf_ct_find_expectation (with unlink): what a new connection with original tuple `t` is
   * expected by. The table calls it for every packet that creates a connection.
   */
  private take(t: Tuple, zone: number, now: number): ExpectationMatch | null {
    this.expire(now);
    if (this.total === 0) return null;
    const bucket = this.byDst.get(dstKey(t));
    if (bucket === undefined) return null;
    let exp: Expectation | null = null;
    for (const e of bucket) {
      if (!(e.flags & ExpectFlag.INACTIVE) && e.master.zone === zone && e.matches(t)) {
        exp = e;
        break;
      }
    }
    if (exp === null || !exp.master.confirmed || exp.master.dying) return null;
    if (!(exp.flags & ExpectFlag.PERMANENT)) this.unlink(exp, now);
    const found = exp;
    const fn = found.expectFn;
    return {
      master: found.master,
      helper: found.childHelper,
      onCreated: fn === null ? undefined : (conn: Conn) => fn(conn, found, now),
    };
  }

  private policiesOf(master: Conn): readonly ExpectPolicy[] | null {
    return master.helperName === null ? null : this.opts.policies(master.helperName);
  }

  /** __nf_ct_expect_check. */
  private check(exp: Expectation, policies: readonly ExpectPolicy[] | null, now: number, skipMaster: boolean): ExpectResult {
    const bucket = this.byDst.get(dstKey(exp.tuple));
    if (bucket !== undefined) {
      for (const i of [...bucket]) {
        if ((skipMaster || i.master === exp.master) && sameExpectation(i, exp)) {
          if (i.cls !== exp.cls || i.master !== exp.master) return 'EALREADY';
          this.unlink(i, now);
          break;
        }
        if (clash(i, exp)) return 'EBUSY';
      }
    }
    if (policies === null) return this.total >= this.table.settings.expectMax ? 'EMFILE' : 0;
    const p = policies[exp.cls];
    if (p === undefined) throw new Error(`expectation class ${exp.cls} does not exist for helper ${exp.master.helperName}`);
    if (p.maxExpected > 0 && this.expecting(exp.master, exp.cls) >= p.maxExpected) {
      this.evictOldest(exp.master, exp.cls, now);
      if (this.expecting(exp.master, exp.cls) >= p.maxExpected) return 'EMFILE';
    }
    if (this.total >= this.table.settings.expectMax) return 'EMFILE';
    return 0;
  }

  /** evict_oldest_expect: the master's oldest expectation of the class goes. */
  private evictOldest(master: Conn, cls: number, now: number): void {
    const list = this.masters.get(master)?.list ?? [];
    let last: Expectation | null = null;
    for (const e of list) if (e.cls === cls) last = e;
    if (last !== null) this.unlink(last, now);
  }

  /** nf_ct_expect_insert. */
  private insert(exp: Expectation, policies: readonly ExpectPolicy[] | null, now: number, timeout: number): void {
    exp.expiresAt = now + (policies === null ? timeout : policies[exp.cls]!.timeout);
    if (exp.expiresAt < this.nextExpiry) this.nextExpiry = exp.expiresAt;
    let m = this.masters.get(exp.master);
    if (m === undefined) {
      m = { list: [], expecting: [] };
      this.masters.set(exp.master, m);
    }
    m.list.unshift(exp);
    m.expecting[exp.cls] = (m.expecting[exp.cls] ?? 0) + 1;
    const key = dstKey(exp.tuple);
    const bucket = this.byDst.get(key);
    if (bucket === undefined) this.byDst.set(key, [exp]);
    else bucket.unshift(exp);
    exp.linked = true;
    this.total++;
    this.table.stats.expectCreate++;
  }

  /** nf_ct_unlink_expect: out of the table and its master's list (DESTROY event). */
  private unlink(exp: Expectation, now: number): void {
    if (!exp.linked) return;
    exp.linked = false;
    const key = dstKey(exp.tuple);
    const bucket = this.byDst.get(key)!;
    bucket.splice(bucket.indexOf(exp), 1);
    if (bucket.length === 0) this.byDst.delete(key);
    const m = this.masters.get(exp.master)!;
    m.list.splice(m.list.indexOf(exp), 1);
    m.expecting[exp.cls] = (m.expecting[exp.cls] ?? 1) - 1;
    this.total--;
    this.emit('DESTROY', exp, now);
    this.table.stats.expectDelete++;
  }

  private emit(type: ExpectEvent['type'], exp: Expectation, time: number): void {
    if (this.listeners.length === 0 || !exp.master.hasEcache) return;
    const ev: ExpectEvent = { type, exp, time };
    for (const l of this.listeners) l(ev);
  }
}
