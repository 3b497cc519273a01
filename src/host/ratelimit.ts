/**
 * ICMP error rate limiting as Linux applies it to the errors the host itself sends:
 *  - per destination host (the inet_peer token bucket): tokens grow with elapsed time, capped at
 *    6 x icmp_ratelimit, and each error spends icmp_ratelimit; a new peer starts full, so a burst
 *    of 6 passes, then about one per icmp_ratelimit ms;
 *  - only for the ICMP types in icmp_ratemask (default: destination unreachable, source quench,
 *    time exceeded, parameter problem); echo replies are never limited;
 *  - a host-wide bucket of icmp_msgs_per_sec with burst icmp_msgs_burst.
 * Virtual time in seconds; millisecond granularity like jiffies at HZ=1000.
 */

const BURST_FACTOR = 6;

interface Bucket {
  tokens: number;
  last: number;
}

export class IcmpRateLimiter {
  private readonly peers = new Map<string, Bucket>();
  private globalTokens: number;
  private globalLast = -Infinity;

  constructor(
    private readonly ratelimitMs: () => number,
    private readonly ratemask: () => number,
    private readonly msgsPerSec: () => number,
    private readonly msgsBurst: () => number,
  ) {
    this.globalTokens = msgsBurst();
  }

  /** May the host send an ICMPv4 error of `type` to `peer` (address text) at time `now` (s)? */
  allow(type: number, peer: string, now: number): boolean {
    if (type > 18 || ((this.ratemask() >>> type) & 1) === 0) return true;
    if (!this.globalAllow(now)) return false;
    return this.peerAllow(peer, now, this.ratelimitMs());
  }

  /** ICMPv6 errors: every error type (< 128) is limited per peer with net.ipv6.icmp.ratelimit. */
  allow6(type: number, peer: string, now: number, ratelimitMs: number): boolean {
    if (type >= 128) return true;
    if (!this.globalAllow(now)) return false;
    return this.peerAllow(peer, now, ratelimitMs);
  }

  private globalAllow(now: number): boolean {
    const perSec = this.msgsPerSec();
    if (perSec <= 0) return true;
    const burst = this.msgsBurst();
    if (this.globalLast !== -Infinity) {
      const gained = Math.floor((now - this.globalLast) * perSec);
      if (gained > 0) {
        this.globalTokens = Math.min(burst, this.globalTokens + gained);
        this.globalLast = now;
      }
    } else this.globalLast = now;
    if (this.globalTokens <= 0) return false;
    this.globalTokens--;
    return true;
  }

  private peerAllow(peer: string, now: number, timeoutMs: number): boolean {
    if (timeoutMs <= 0) return true;
    const ms = Math.floor(now * 1000);
    let b = this.peers.get(peer);
    if (!b) {
      b = { tokens: BURST_FACTOR * timeoutMs, last: ms };
      this.peers.set(peer, b);
    }
    let tokens = b.tokens + (ms - b.last);
    b.last = ms;
    if (tokens > BURST_FACTOR * timeoutMs) tokens = BURST_FACTOR * timeoutMs;
    let ok = false;
    if (tokens >= timeoutMs) {
      tokens -= timeoutMs;
      ok = true;
    }
    b.tokens = tokens;
    return ok;
  }
}
