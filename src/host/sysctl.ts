/**
 * The host's IP sysctls (net.ipv4.*, net.ipv6.*), with the defaults of a fresh network namespace,
 * per-interface `conf` entries resolved the way the kernel resolves them (all / default /
 * <iface>), and the conntrack ones handed to ConntrackSettings.
 *
 * A sysctl that ctkit does not model is an error naming it: a setting that is silently dropped
 * would make a replay lie.
 */
import { type ConntrackSettings, defaultSettings, isConntrackSysctl, setSysctl } from '../conntrack/settings.js';

/** Per-interface conf keys we model, with fresh-namespace defaults. */
const CONF_V4: Record<string, number> = {
  rp_filter: 0,
  accept_local: 0,
  route_localnet: 0,
  send_redirects: 1,
  accept_redirects: 1,
  forwarding: 0,
  log_martians: 0,
  arp_ignore: 0,
  arp_announce: 0,
  proxy_arp: 0,
  accept_source_route: 1,
  src_valid_mark: 0,
  shared_media: 1,
};
/** Where "all" starts from another value than "default" and the interfaces (devinet.c's ipv4_devconf). */
const CONF_V4_ALL: Record<string, number> = {
  accept_source_route: 0,
};
const CONF_V6: Record<string, number> = {
  disable_ipv6: 0,
  forwarding: 0,
  accept_ra: 1,
  accept_redirects: 1,
  hop_limit: 64,
  mtu: 1280,
};
const GLOBAL: Record<string, number> = {
  'net.ipv4.ip_forward': 0,
  'net.ipv4.ip_default_ttl': 64,
  'net.ipv4.icmp_echo_ignore_all': 0,
  'net.ipv4.icmp_echo_ignore_broadcasts': 1,
  'net.ipv4.icmp_ratelimit': 1000,
  'net.ipv4.icmp_ratemask': 6168,
  'net.ipv4.icmp_msgs_per_sec': 1000,
  'net.ipv4.icmp_msgs_burst': 50,
  'net.ipv4.icmp_errors_use_inbound_ifaddr': 0,
  'net.ipv4.tcp_syncookies': 1,
  'net.ipv4.ip_no_pmtu_disc': 0,
  'net.ipv4.ipfrag_time': 30,
  'net.ipv6.icmp.ratelimit': 1000,
  'net.ipv6.icmp.echo_ignore_all': 0,
};

type Conf4Key = 'rp_filter' | 'accept_local' | 'route_localnet' | 'send_redirects' | 'shared_media' | 'log_martians' | 'src_valid_mark' | 'forwarding' | 'accept_source_route';

export class HostSysctls {
  private readonly values = new Map<string, number>();
  /** Resolved values by name: `get` runs per packet, so its answers are kept until the next `set`. */
  private readonly cache = new Map<string, number>();
  readonly conntrack: ConntrackSettings = defaultSettings();

  constructor(readonly ifaceNames: string[]) {}

  /** Set by kernel name; throws Error naming the sysctl when unknown or not an integer. */
  set(name: string, value: string | number): void {
    const key = name.replace(/\//g, '.').trim();
    if (isConntrackSysctl(key)) {
      setSysctl(this.conntrack, key, value);
      return;
    }
    const n = Number(String(value).trim());
    if (!Number.isInteger(n)) throw new Error(`sysctl ${key}: expected an integer, got ${JSON.stringify(value)}`);
    if (!this.known(key)) throw new Error(`sysctl ${key} is not modelled by ctkit`);
    this.cache.clear();
    this.confCache.clear();
    this.values.set(key, n);
    if (key === 'net.ipv4.ip_forward' || key === 'net.ipv4.conf.all.forwarding') {
      // inet_forward_change: one variable under two names; writing it sets "default" and every
      // interface's forwarding too, and accept_redirects of "all" to the opposite
      this.values.set('net.ipv4.ip_forward', n);
      this.values.set('net.ipv4.conf.all.forwarding', n);
      this.values.set('net.ipv4.conf.all.accept_redirects', n ? 0 : 1);
      for (const dev of ['default', 'lo', ...this.ifaceNames]) this.values.set(`net.ipv4.conf.${dev}.forwarding`, n);
    }
    if (key === 'net.ipv6.conf.all.forwarding') {
      // addrconf_fixup_forwarding: "default" and every interface follow "all"
      for (const dev of ['default', 'lo', ...this.ifaceNames]) this.values.set(`net.ipv6.conf.${dev}.forwarding`, n);
    }
  }

  private known(key: string): boolean {
    if (key in GLOBAL) return true;
    const m = /^net\.(ipv4|ipv6)\.conf\.([^.]+)\.(\w+)$/.exec(key);
    if (!m) return false;
    const [, fam, dev, k] = m;
    if (dev !== 'all' && dev !== 'default' && dev !== 'lo' && !this.ifaceNames.includes(dev!)) return false;
    return fam === 'ipv4' ? k! in CONF_V4 : k! in CONF_V6;
  }

  get(key: string): number {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const v = this.resolve(key);
    this.cache.set(key, v);
    return v;
  }

  private resolve(key: string): number {
    const v = this.values.get(key);
    if (v !== undefined) return v;
    if (key in GLOBAL) return GLOBAL[key]!;
    const m = /^net\.(ipv4|ipv6)\.conf\.([^.]+)\.(\w+)$/.exec(key);
    if (m) {
      const table = m[1] === 'ipv4' ? CONF_V4 : CONF_V6;
      if (m[1] === 'ipv4' && m[2] === 'all' && m[3]! in CONF_V4_ALL) return CONF_V4_ALL[m[3]!]!;
      // A per-interface value not set explicitly starts from `default` at interface creation.
      if (m[2] !== 'all' && m[2] !== 'default') {
        const d = this.values.get(`net.${m[1]}.conf.default.${m[3]}`);
        if (d !== undefined) return d;
      }
      if (m[3]! in table) return table[m[3]!]!;
    }
    throw new Error(`sysctl ${key} is not modelled by ctkit`);
  }

  /** Per-interface combined conf values, kept until the next `set` (conf4 runs per packet). */
  private readonly confCache = new Map<string, Map<string, number>>();

  /** IPv4 conf value for an interface as the kernel combines it (IN_DEV_* macros). */
  conf4(dev: string, key: Conf4Key): number {
    let perDev = this.confCache.get(dev);
    if (!perDev) {
      perDev = new Map();
      this.confCache.set(dev, perDev);
    }
    let v = perDev.get(key);
    if (v === undefined) {
      v = this.combine4(dev, key);
      perDev.set(key, v);
    }
    return v;
  }

  private combine4(dev: string, key: Conf4Key): number {
    const all = this.get(`net.ipv4.conf.all.${key}`);
    const own = this.get(`net.ipv4.conf.${dev}.${key}`);
    switch (key) {
      case 'rp_filter':
        return Math.max(all, own); // IN_DEV_MAXCONF
      case 'forwarding':
        return own; // IN_DEV_FORWARD: the device's own (ip_forward propagates to every device)
      case 'send_redirects':
      case 'shared_media':
      case 'log_martians':
      case 'route_localnet':
      case 'src_valid_mark':
        return all || own ? 1 : 0; // IN_DEV_ORCONF
      default:
        return all && own ? 1 : 0; // IN_DEV_ANDCONF (accept_local, accept_source_route)
    }
  }

  get ipForward(): boolean {
    return this.get('net.ipv4.ip_forward') !== 0;
  }

  get ipv6Forward(): boolean {
    return this.get('net.ipv6.conf.all.forwarding') !== 0;
  }

  /** The interface's own IPv6 forwarding (idev->cnf.forwarding: router behaviour of ndisc, all-routers groups). */
  ipv6DevForwarding(dev: string): boolean {
    return this.get(`net.ipv6.conf.${dev}.forwarding`) !== 0;
  }

  ipv6Disabled(dev: string): boolean {
    return this.get('net.ipv6.conf.all.disable_ipv6') !== 0 || this.get(`net.ipv6.conf.${dev}.disable_ipv6`) !== 0;
  }
}
