/**
 * Per-table statistics, the counters `conntrack -S` prints (the kernel's struct
 * ip_conntrack_stat, one CPU's worth), incremented where the kernel increments them:
 *
 *  found          a NAT tuple-in-use check found the tuple taken
 *  invalid        a packet without a usable connection (no protocol header, a tracker refused it)
 *  insert         entries added through ctnetlink (never by packets on 6.18)
 *  insert_failed  confirmation lost a clash it could not resolve, or chain too long
 *  drop           conntrack dropped the packet (table full, unresolvable clash, tracker NF_DROP)
 *  early_drop     entries evicted to make room
 *  error          ICMP / ICMPv6 packets refused by the error checks (bad checksum, unknown type,
 *                 an error quoting no connection)
 *  search_restart never here (a lock-free lookup restart)
 *  clash_resolve  clashes resolved on confirmation
 *  chaintoolong   insertions refused because a hash chain was too long
 *  expect_*       expectation counters, kept for the expectation table (`conntrack -S expect`)
 */
export class CtStats {
  found = 0;
  invalid = 0;
  insert = 0;
  insertFailed = 0;
  drop = 0;
  earlyDrop = 0;
  error = 0;
  searchRestart = 0;
  clashResolve = 0;
  chainTooLong = 0;
  expectNew = 0;
  expectCreate = 0;
  expectDelete = 0;

  /** Counters in the order and with the names `conntrack -S` prints them. */
  entries(): Array<[string, number]> {
    return [
      ['found', this.found],
      ['invalid', this.invalid],
      ['insert', this.insert],
      ['insert_failed', this.insertFailed],
      ['drop', this.drop],
      ['early_drop', this.earlyDrop],
      ['error', this.error],
      ['search_restart', this.searchRestart],
      ['clash_resolve', this.clashResolve],
      ['chaintoolong', this.chainTooLong],
    ];
  }

  /** Expectation counters as `conntrack -S expect` prints them. */
  expectEntries(): Array<[string, number]> {
    return [
      ['expect_new', this.expectNew],
      ['expect_create', this.expectCreate],
      ['expect_delete', this.expectDelete],
    ];
  }

  /** Copies every counter from another stats object (snapshots). */
  copyFrom(o: CtStats): void {
    Object.assign(this, o);
  }
}
