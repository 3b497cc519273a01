/**
 * What NAT keeps per connection (the kernel's nf_conn_nat extension and nat_bysource node), and
 * the by-source index: every connection whose source binding is set up, filed under its original
 * source (address, port, protocol, zone), so that a new connection from the same source can be
 * given the mapping the source already has (find_appropriate_src).
 *
 * A bucket is an intrusive doubly-linked list, newest first (hlist_add_head), keyed by a seeded
 * HalfSipHash of the source; entries of other sources that share a bucket are skipped by the
 * caller's comparison.
 */
import type { Conn } from '../conntrack/conn.js';
import { deriveKey, HalfSipHash } from '../conntrack/hash.js';
import type { CtTupleLike } from '../netfilter/context.js';

/** Per-connection NAT state. */
export class NatExt {
  /** MASQUERADE: the interface the binding was made for (masq_index), or null. */
  masqIface: string | null = null;
  /** By-source links. */
  srcKey = 0;
  srcPrev: NatExt | null = null;
  srcNext: NatExt | null = null;
  inBySource = false;

  constructor(readonly conn: Conn) {}
}

/** Salt of the by-source hash key (distinct from the conntrack table's own keys). */
const BYSOURCE_SALT = 0x4e41;

export class BySource {
  private readonly heads = new Map<number, NatExt>();
  private readonly hasher: HalfSipHash;

  constructor(seed: number) {
    const [k0, k1] = deriveKey(seed, BYSOURCE_SALT);
    this.hasher = new HalfSipHash(k0, k1);
  }

  /**
   * Hash of a tuple's source part, protocol and zone (hash_by_src; `zone` a zone spec, see
   * Conn.zoneSpec: a zone of one direction only hashes as zone 0).
   */
  key(t: CtTupleLike, zone: number): number {
    if (zone >>> 16 !== 0) zone = 0;
    const h = this.hasher.begin();
    h.word(t.src[0]!).word(t.src[1]!).word(t.src[2]!).word(t.src[3]!);
    h.word(t.sport & 0xffff);
    h.word(((zone & 0xffff) << 16) | ((t.proto & 0xff) << 8) | t.family);
    return h.end();
  }

  /** Files a connection under its original source (newest first). */
  insert(ext: NatExt): void {
    if (ext.inBySource) return;
    const c = ext.conn;
    ext.srcKey = this.key(c.orig, c.zoneSpec);
    const head = this.heads.get(ext.srcKey) ?? null;
    ext.srcPrev = null;
    ext.srcNext = head;
    if (head) head.srcPrev = ext;
    this.heads.set(ext.srcKey, ext);
    ext.inBySource = true;
  }

  /** Takes a connection out of the index (its entry is gone). */
  remove(ext: NatExt): void {
    if (!ext.inBySource) return;
    if (ext.srcPrev) ext.srcPrev.srcNext = ext.srcNext;
    else if (ext.srcNext) this.heads.set(ext.srcKey, ext.srcNext);
    else this.heads.delete(ext.srcKey);
    if (ext.srcNext) ext.srcNext.srcPrev = ext.srcPrev;
    ext.srcPrev = null;
    ext.srcNext = null;
    ext.inBySource = false;
  }

  /** First entry of the bucket for a source (walk on with `srcNext`), or null. */
  first(t: CtTupleLike, zone: number): NatExt | null {
    return this.heads.get(this.key(t, zone)) ?? null;
  }
}
