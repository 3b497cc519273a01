/**
 * Conntrack settings, named exactly as their sysctls (net.netfilter.*), with the defaults of a
 * fresh network namespace on Linux 6.18 (read off the recording kernel, see
 * ../shared/conformance kernel.json `final.timeout_sysctls`). Timeouts are in seconds.
 *
 * The engine reads the typed `ConntrackSettings` object on the hot path; `setSysctl` maps a
 * sysctl name to its field and is what HOST.json / --sysctl go through. There are no DCCP
 * sysctls: 6.18 has no DCCP tracker any more (DCCP is tracked as a generic protocol), so
 * nf_conntrack_dccp_* does not exist, as on the kernel.
 */

export interface ConntrackSettings {
  max: number;
  buckets: number;
  checksum: boolean;
  acct: boolean;
  timestamp: boolean;
  /** nf_conntrack_events: 0 off, 1 on, 2 on when there are listeners (we count replay as a listener). */
  events: number;
  logInvalid: number;
  expectMax: number;
  helper: boolean;

  tcpLoose: boolean;
  tcpBeLiberal: boolean;
  tcpIgnoreInvalidRst: boolean;
  tcpMaxRetrans: number;
  tcpTimeoutSynSent: number;
  tcpTimeoutSynRecv: number;
  tcpTimeoutEstablished: number;
  tcpTimeoutFinWait: number;
  tcpTimeoutCloseWait: number;
  tcpTimeoutLastAck: number;
  tcpTimeoutTimeWait: number;
  tcpTimeoutClose: number;
  tcpTimeoutMaxRetrans: number;
  tcpTimeoutUnacknowledged: number;

  udpTimeout: number;
  udpTimeoutStream: number;
  icmpTimeout: number;
  icmpv6Timeout: number;
  genericTimeout: number;

  sctpTimeoutClosed: number;
  sctpTimeoutCookieWait: number;
  sctpTimeoutCookieEchoed: number;
  sctpTimeoutEstablished: number;
  sctpTimeoutShutdownSent: number;
  sctpTimeoutShutdownRecd: number;
  sctpTimeoutShutdownAckSent: number;
  sctpTimeoutHeartbeatSent: number;


  greTimeout: number;
  greTimeoutStream: number;

  frag6Timeout: number;
}

export function defaultSettings(): ConntrackSettings {
  return {
    max: 262144,
    buckets: 262144,
    checksum: true,
    acct: false,
    timestamp: false,
    events: 2,
    logInvalid: 0,
    expectMax: 4096,
    helper: false,

    tcpLoose: true,
    tcpBeLiberal: false,
    tcpIgnoreInvalidRst: false,
    tcpMaxRetrans: 3,
    tcpTimeoutSynSent: 120,
    tcpTimeoutSynRecv: 60,
    tcpTimeoutEstablished: 432000,
    tcpTimeoutFinWait: 120,
    tcpTimeoutCloseWait: 60,
    tcpTimeoutLastAck: 30,
    tcpTimeoutTimeWait: 120,
    tcpTimeoutClose: 10,
    tcpTimeoutMaxRetrans: 300,
    tcpTimeoutUnacknowledged: 300,

    udpTimeout: 30,
    udpTimeoutStream: 120,
    icmpTimeout: 30,
    icmpv6Timeout: 30,
    genericTimeout: 600,

    sctpTimeoutClosed: 10,
    sctpTimeoutCookieWait: 3,
    sctpTimeoutCookieEchoed: 3,
    sctpTimeoutEstablished: 210,
    sctpTimeoutShutdownSent: 3,
    sctpTimeoutShutdownRecd: 3,
    sctpTimeoutShutdownAckSent: 3,
    sctpTimeoutHeartbeatSent: 30,


    greTimeout: 30,
    greTimeoutStream: 180,

    frag6Timeout: 60,
  };
}

type Key = keyof ConntrackSettings;

/** sysctl suffix (after "net.netfilter.nf_conntrack_") -> field. */
const SYSCTL_FIELDS: Record<string, Key> = {
  max: 'max',
  buckets: 'buckets',
  checksum: 'checksum',
  acct: 'acct',
  timestamp: 'timestamp',
  events: 'events',
  log_invalid: 'logInvalid',
  expect_max: 'expectMax',
  helper: 'helper',
  tcp_loose: 'tcpLoose',
  tcp_be_liberal: 'tcpBeLiberal',
  tcp_ignore_invalid_rst: 'tcpIgnoreInvalidRst',
  tcp_max_retrans: 'tcpMaxRetrans',
  tcp_timeout_syn_sent: 'tcpTimeoutSynSent',
  tcp_timeout_syn_recv: 'tcpTimeoutSynRecv',
  tcp_timeout_established: 'tcpTimeoutEstablished',
  tcp_timeout_fin_wait: 'tcpTimeoutFinWait',
  tcp_timeout_close_wait: 'tcpTimeoutCloseWait',
  tcp_timeout_last_ack: 'tcpTimeoutLastAck',
  tcp_timeout_time_wait: 'tcpTimeoutTimeWait',
  tcp_timeout_close: 'tcpTimeoutClose',
  tcp_timeout_max_retrans: 'tcpTimeoutMaxRetrans',
  tcp_timeout_unacknowledged: 'tcpTimeoutUnacknowledged',
  udp_timeout: 'udpTimeout',
  udp_timeout_stream: 'udpTimeoutStream',
  icmp_timeout: 'icmpTimeout',
  icmpv6_timeout: 'icmpv6Timeout',
  generic_timeout: 'genericTimeout',
  sctp_timeout_closed: 'sctpTimeoutClosed',
  sctp_timeout_cookie_wait: 'sctpTimeoutCookieWait',
  sctp_timeout_cookie_echoed: 'sctpTimeoutCookieEchoed',
  sctp_timeout_established: 'sctpTimeoutEstablished',
  sctp_timeout_shutdown_sent: 'sctpTimeoutShutdownSent',
  sctp_timeout_shutdown_recd: 'sctpTimeoutShutdownRecd',
  sctp_timeout_shutdown_ack_sent: 'sctpTimeoutShutdownAckSent',
  sctp_timeout_heartbeat_sent: 'sctpTimeoutHeartbeatSent',
  gre_timeout: 'greTimeout',
  gre_timeout_stream: 'greTimeoutStream',
  frag6_timeout: 'frag6Timeout',
};

const PREFIX = 'net.netfilter.nf_conntrack_';

/** True when `name` is a conntrack sysctl this module knows. */
export function isConntrackSysctl(name: string): boolean {
  return normalise(name) in SYSCTL_FIELDS;
}

function normalise(name: string): string {
  const n = name.replace(/\//g, '.');
  if (n.startsWith(PREFIX)) return n.slice(PREFIX.length);
  if (n === 'net.nf_conntrack_max') return 'max';
  return '\0';
}

/**
 * Set a conntrack sysctl by its kernel name. Throws a plain Error with a message naming the
 * sysctl when the name is unknown or the value is not an integer (callers turn it into exit 2).
 */
export function setSysctl(s: ConntrackSettings, name: string, value: number | string | boolean): void {
  const key = SYSCTL_FIELDS[normalise(name)];
  if (!key) throw new Error(`unknown conntrack sysctl ${name}`);
  const n = typeof value === 'boolean' ? (value ? 1 : 0) : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 0) throw new Error(`sysctl ${name}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  const cur = s[key];
  (s as unknown as Record<string, number | boolean>)[key] = typeof cur === 'boolean' ? n !== 0 : n;
}

/** Every known conntrack sysctl with its current value, by kernel name (for `sysctl -a` style output). */
export function listSysctls(s: ConntrackSettings): Array<[string, number]> {
  return Object.entries(SYSCTL_FIELDS).map(([suffix, key]) => {
    const v = s[key];
    return [PREFIX + suffix, typeof v === 'boolean' ? (v ? 1 : 0) : v];
  });
}

/** nfct timeout attribute -> setting, per protocol number. */
const POLICY_FIELDS: Readonly<Record<number, Readonly<Record<string, Key>>>> = {
  6: {
    syn_sent: 'tcpTimeoutSynSent',
    syn_recv: 'tcpTimeoutSynRecv',
    established: 'tcpTimeoutEstablished',
    fin_wait: 'tcpTimeoutFinWait',
    close_wait: 'tcpTimeoutCloseWait',
    last_ack: 'tcpTimeoutLastAck',
    time_wait: 'tcpTimeoutTimeWait',
    close: 'tcpTimeoutClose',
    retrans: 'tcpTimeoutMaxRetrans',
    unacknowledged: 'tcpTimeoutUnacknowledged',
  },
  17: { unreplied: 'udpTimeout', replied: 'udpTimeoutStream' },
  136: { unreplied: 'udpTimeout', replied: 'udpTimeoutStream' },
  1: { timeout: 'icmpTimeout' },
  58: { timeout: 'icmpv6Timeout' },
  47: { unreplied: 'greTimeout', replied: 'greTimeoutStream' },
  132: {
    closed: 'sctpTimeoutClosed',
    cookie_wait: 'sctpTimeoutCookieWait',
    cookie_echoed: 'sctpTimeoutCookieEchoed',
    established: 'sctpTimeoutEstablished',
    shutdown_sent: 'sctpTimeoutShutdownSent',
    shutdown_recd: 'sctpTimeoutShutdownRecd',
    shutdown_ack_sent: 'sctpTimeoutShutdownAckSent',
    heartbeat_sent: 'sctpTimeoutHeartbeatSent',
  },
  255: { timeout: 'genericTimeout' },
};

/**
 * A copy of `base` with a timeout policy's values (CT --timeout / nft ct timeout): the attributes
 * it names replace the protocol's timeouts; the rest stay as `base` has them.
 */
export function withTimeoutPolicy(base: ConntrackSettings, policy: { proto: number; timeouts: ReadonlyMap<string, number> }): ConntrackSettings {
  const out = { ...base };
  const fields = POLICY_FIELDS[policy.proto] ?? {};
  for (const [name, seconds] of policy.timeouts) {
    const key = fields[name];
    if (!key) throw new Error(`timeout policy attribute ${name} does not apply to protocol ${policy.proto}`);
    (out as unknown as Record<string, number>)[key] = seconds;
  }
  return out;
}
