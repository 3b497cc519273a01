/**
 * Rate limits on the ICMP messages the host itself sends, as Linux keeps them: one inet_peer
 * entry per remote address whose `rate_tokens` / `rate_last` are shared by three users:
 *  - icmp_send's per-destination limit (icmpv4_xrlim_allow, for the types in icmp_ratemask:
 *    unreachable, source quench, time exceeded, parameter problem): tokens grow with elapsed
 *    milliseconds, capped at 6 x icmp_ratelimit, and each message spends icmp_ratelimit;
 *  - ip_error (no route, unreachable routes) before it calls icmp_send: capped at 5 s, each
 *    message spends 1 s — so an ip_error message spends from the same bucket twice;
 *  - ip_rt_send_redirect's backoff (which resets the tokens after 20.48 s of silence).
 * A new peer starts with its last time 60 s in the past, so the first messages find a full bucket.
 * There is also a host-wide limit of icmp_msgs_per_sec with burst icmp_msgs_burst. Echo replies
 * are never limited. Virtual time in seconds, counted in milliseconds like jiffies at HZ=1000.
 */

/** One remote address's inet_peer state. */
export interface InetPeer {
  tokens: number;
  /** Last update, ms. */
  last: number;
  /** ip_rt_send_redirect: redirects sent since the last silence. */
  redirects: number;
}

const BURST_FACTOR = 6;
/** ip_rt_error_burst and ip_rt_error_cost (5 * HZ, HZ). */
const ERROR_BURST = 5000;
const ERROR_COST = 1000;
/** A new peer's rate_last lies this far in the past (jiffies - 60 * HZ). */
const NEW_PEER_AGE = 60000;

export class IcmpRateLimiter {
  private readonly peers = new Map<string, InetPeer>();
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

  /** The inet_peer entry of `addr` (address text), created on first use. */
  peer(addr: string, now: number): InetPeer {
    let p = this.peers.get(addr);
    if (!p) {
      p = { tokens: 0, last: ms(now) - NEW_PEER_AGE, redirects: 0 };
      this.peers.set(addr, p);
    }
    return p;
  }

  /** May the host send an ICMPv4 error of `type` to `addr` at `now` (icmp_send's checks)? */
  allow(type: number, addr: string, now: number): boolean {
    if (type > 18 || ((this.ratemask() >>> type) & 1) === 0) return true;
    if (!this.globalAllow(now)) return false;
    return xrlimAllow(this.peer(addr, now), now, this.ratelimitMs());
  }

  /** ICMPv6 errors: every error type (< 128) is limited per peer with net.ipv6.icmp.ratelimit. */
  allow6(type: number, addr: string, now: number, ratelimitMs: number): boolean {
    if (type >= 128) return true;
    if (!this.globalAllow(now)) return false;
    return xrlimAllow(this.peer(addr, now), now, ratelimitMs);
  }

  /** ip_error's own token check before it calls icmp_send. */
  ipErrorAllow(addr: string, now: number): boolean {
    const p = this.peer(addr, now);
    const t = ms(now);
    p.tokens = Math.min(ERROR_BURST, p.tokens + (t - p.last));
    p.last = t;
    if (p.tokens < ERROR_COST) return false;
    p.tokens -= ERROR_COST;
    return true;
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
}

function ms(now: number): number {
  return Math.floor(now * 1000);
}

/** inet_peer_xrlim_allow. */
function xrlimAllow(p: InetPeer, now: number, timeoutMs: number): boolean {
  if (timeoutMs <= 0) return true;
  const t = ms(now);
  let tokens = p.tokens + (t - p.last);
  p.last = t;
  if (tokens > BURST_FACTOR * timeoutMs) tokens = BURST_FACTOR * timeoutMs;
  let ok = false;
  if (tokens >= timeoutMs) {
    tokens -= timeoutMs;
    ok = true;
  }
  p.tokens = tokens;
  return ok;
}
