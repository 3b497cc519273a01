/**
 * The contract between the helper engine (engine.ts) and the conntrack helpers (one file each):
 * what a helper declares (name, protocols, families, expectation policies, private data) and
 * what it gets for every packet of a connection it helps (HelpCall), plus the services shared by
 * all helpers (expectations, NAT, a seeded random source).
 *
 * A helper's `help` is the kernel's helper->help, run by nf_confirm before the connection is
 * confirmed: it returns false where the kernel's returns NF_DROP.
 */
import type { Conn } from '../conntrack/conn.js';
import type { ExpectationTable, ExpectPolicy } from '../conntrack/expect.js';
import type { SeededRandom } from '../conntrack/hash.js';
import type { ConntrackTable } from '../conntrack/table.js';
import type { PacketContext } from '../netfilter/context.js';
import type { NatRange } from '../nat/range.js';

/** enum ip_conntrack_info: the packet's state and direction on its connection. */
export const CtInfo = {
  ESTABLISHED: 0,
  RELATED: 1,
  NEW: 2,
  ESTABLISHED_REPLY: 3,
  RELATED_REPLY: 4,
} as const;
export type CtInfo = (typeof CtInfo)[keyof typeof CtInfo];

/** NF_NAT_MANIP_SRC / NF_NAT_MANIP_DST. */
export type NatManip = 0 | 1;

/** What the helpers need of NAT (src/nat's NatEngine provides it). */
export interface HelperNat {
  /** nf_nat_follow_master: the expected connection takes its master's mapping. */
  followMaster(conn: Conn, expDir: 0 | 1, savedPort: number, now: number): void;
  /** nf_nat_setup_info: binds one manipulation of an unconfirmed connection within `range`. */
  setupInfo(conn: Conn, range: NatRange, manip: NatManip, now: number): boolean;
}

/** Services every helper may use. */
export interface HelperServices {
  readonly table: ConntrackTable;
  readonly expect: ExpectationTable;
  /** NAT, when the host has it (helpers mangle payloads only for NATed connections). */
  readonly nat: HelperNat | null;
  /** Random numbers where the kernel draws them (a new port after a clash). */
  readonly random: SeededRandom;
  /** Module parameters. */
  readonly options: Readonly<Required<HelperOptions>>;
  /**
   * The netmask of the primary IPv4 address of interface `dev` whose broadcast address is
   * `daddr` (host order), or 0 when there is none (the broadcast helpers' in_dev walk).
   */
  readonly broadcastMask: (dev: string, daddr: number) => number;
  /**
   * The output route to `dst` (ip_route_output_key): its device and next hop (the gateway, else
   * `dst`), or null when there is none (unreachable); null when the host gave no routes.
   */
  readonly route: RouteFn | null;
}

/** An output route: the device and the next hop. */
export interface RouteHop {
  readonly dev: string;
  readonly nexthop: ArrayLike<number>;
}

/** Output route lookup by destination (family, address words as tuples hold them). */
export type RouteFn = (family: 4 | 6, dst: ArrayLike<number>) => RouteHop | null;

/** Module parameters of the helpers (their kernel defaults when left out). */
export interface HelperOptions {
  /** nf_conntrack_ftp `loose`: accept PORT / 227 addresses other than the sender's. */
  ftpLoose?: boolean;
  /** nf_conntrack_irc `max_dcc_channels` and `dcc_timeout`. */
  ircMaxDccChannels?: number;
  ircDccTimeout?: number;
  /** nf_conntrack_sip `sip_timeout` (signalling expectations), `sip_direct_signalling`, `sip_direct_media`, `sip_external_media`. */
  sipTimeout?: number;
  sipDirectSignalling?: boolean;
  sipDirectMedia?: boolean;
  sipExternalMedia?: boolean;
  /** nf_conntrack_netbios_ns / nf_conntrack_snmp `timeout` (seconds). */
  netbiosNsTimeout?: number;
  snmpTimeout?: number;
  /** nf_conntrack_amanda `master_timeout`. */
  amandaTimeout?: number;
  /** nf_conntrack_h323 `default_rrq_ttl` (seconds), `gkrouted_only` (0 or not), `callforward_filter`. */
  h323DefaultRrqTtl?: number;
  h323GkroutedOnly?: number;
  h323CallforwardFilter?: boolean;
}

/** Everything a helper's `help` gets for one packet (one object, refilled for every packet). */
export interface HelpCall {
  ctx: PacketContext;
  conn: Conn;
  /** 0 original, 1 reply. */
  dir: 0 | 1;
  ctinfo: CtInfo;
  svc: HelperServices;
}

export interface HelperDef {
  /** The name rules give (`-j CT --helper NAME`, nft `type "NAME"`). */
  readonly name: string;
  /** Layer-4 protocols the kernel registers the helper for. */
  readonly protos: readonly number[];
  /** Address families it is registered for. */
  readonly families: readonly (4 | 6)[];
  /** Expectation policies, by class. */
  policies(options: Readonly<Required<HelperOptions>>): readonly ExpectPolicy[];
  /** Private per-connection data (plain data: snapshots copy it), or null when there is none. */
  createData(): unknown;
  /** Looks at one packet; false: drop it. */
  help(call: HelpCall): boolean;
  /** Runs when a connection it helps goes (helper->destroy). */
  destroy?(conn: Conn, svc: HelperServices): void;
}
