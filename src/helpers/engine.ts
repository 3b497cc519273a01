/**
 * The helper engine: runs the helper of a connection on each of its packets at the end of
 * INPUT / POSTROUTING, before the connection is confirmed (the kernel's nf_confirm calling
 * helper->help), and owns the expectation table the helpers fill.
 *
 * Helpers are attached only explicitly (CT --helper, nft `ct helper set`), never by port: the
 * conntrack core sets Conn.helperName from the packet's CT template, and from the expectation
 * for an expected connection. The engine skips packets the kernel does not show helpers (ICMP
 * errors in the reply direction, packets without a transport header) and lets every other
 * packet through the helper: its verdict drops the packet or lets it go on to the sequence
 * adjustment and the confirmation.
 */
import type { Conn } from '../conntrack/conn.js';
import { ExpectationTable } from '../conntrack/expect.js';
import { SeededRandom } from '../conntrack/hash.js';
import type { ConntrackTable } from '../conntrack/table.js';
import { formatExpectEvent, formatExpectList } from '../format/expect.js';
import { CtStateBit, type PacketContext } from '../netfilter/context.js';
import { HELPERS, helperByName } from './registry.js';
import { CtInfo, type HelpCall, type HelperNat, type HelperOptions, type HelperServices, type RouteFn } from './types.js';

/** What the engine needs of the host it runs in. */
export interface HelperHost {
  /** The NAT engine, when the host has one. */
  nat?: HelperNat | null;
  /** Helper module parameters. */
  options?: HelperOptions;
  /**
   * The netmask of the primary IPv4 address of `dev` whose broadcast address is `daddr` (host
   * order), 0 when none: what the netbios-ns and snmp helpers need. Without it no interface has
   * a broadcast address and those helpers expect nothing.
   */
  broadcastMask?: (dev: string, daddr: number) => number;
  /** The output route to an address (the H.323 helper's callforward_filter); without it that filter is an error. */
  route?: RouteFn | null;
}

/** Salt of the helpers' random source (distinct from the table's and NAT's). */
const RANDOM_SALT = 0x48454c50;

/** The kernel's module parameter defaults. */
export const DEFAULT_OPTIONS: Readonly<Required<HelperOptions>> = {
  ftpLoose: false,
  ircMaxDccChannels: 8,
  ircDccTimeout: 300,
  sipTimeout: 3600,
  sipDirectSignalling: true,
  sipDirectMedia: true,
  sipExternalMedia: false,
  netbiosNsTimeout: 3,
  snmpTimeout: 30,
  amandaTimeout: 300,
  h323DefaultRrqTtl: 300,
  h323GkroutedOnly: 1,
  h323CallforwardFilter: true,
};

export class HelperEngine {
  readonly expectations: ExpectationTable;
  private readonly svc: HelperServices;
  private readonly call: HelpCall;

  constructor(
    readonly table: ConntrackTable,
    host: HelperHost = {},
  ) {
    const options = { ...DEFAULT_OPTIONS, ...host.options };
    const policies = new Map(HELPERS.map((h) => [h.name, h.policies(options)] as const));
    this.expectations = new ExpectationTable(table, { policies: (name) => policies.get(name) ?? null });
    this.svc = {
      table,
      expect: this.expectations,
      nat: host.nat ?? null,
      random: new SeededRandom(table.seed, RANDOM_SALT),
      options,
      broadcastMask: host.broadcastMask ?? (() => 0),
      route: host.route ?? null,
    };
    this.call = { ctx: null as unknown as PacketContext, conn: null as unknown as Conn, dir: 0, ctinfo: CtInfo.NEW, svc: this.svc };
    table.onRemove((conn) => this.destroyed(conn));
  }

  /**
   * The confirm-step hook (Pipeline.confirmHooks, before NAT's sequence adjustment): runs the
   * connection's helper on the packet. False: drop the packet.
   */
  readonly confirmHook = (ctx: PacketContext): boolean => {
    const ct = ctx.ct;
    if (ct === null || ct.helperName === null) return true;
    return this.help(ctx, ct as unknown as Conn);
  };

  /** Reaps expectations that timed out by `now` (call when virtual time advances, before the table's expiry). */
  expire(now: number): void {
    this.expectations.expire(now);
  }

  /** `conntrack -L expect` lines at `now` (of one family, or all: 0). */
  listExpect(now: number, family: 0 | 4 | 6 = 0): string[] {
    return formatExpectList(this.expectations, now, family);
  }

  /** Subscribes to expectation events as `conntrack -E expect` prints them; returns the unsubscribe function. */
  onExpectEvent(cb: (line: string) => void): () => void {
    return this.expectations.onEvent((ev) => cb(formatExpectEvent(this.expectations, ev)));
  }

  private help(ctx: PacketContext, conn: Conn): boolean {
    const dir = ctx.ctDir;
    if (ctx.ctState === CtStateBit.RELATED && dir === 1) return true;
    if (ctx.pkt.l4Off < 0) return true;
    const name = conn.helperName!;
    const def = helperByName(name);
    if (def === null) throw new Error(`conntrack helper "${name}" does not exist (a rule should not have been able to assign it)`);
    // An expectation may give a helper to a connection of another protocol than the ones rules
    // can give it to (H.323's H.245, registered for UDP, helps the TCP H.245 connection).
    if (conn.master === null && (!def.protos.includes(conn.protoNum) || !def.families.includes(conn.family))) {
      throw new Error(`conntrack helper "${name}" is not registered for IPv${conn.family} protocol ${conn.protoNum}`);
    }
    if (conn.helperData === null) conn.helperData = def.createData();
    const call = this.call;
    call.ctx = ctx;
    call.conn = conn;
    call.dir = dir;
    call.ctinfo = ctinfoOf(ctx.ctState, dir);
    return def.help(call);
  }

  /** helper->destroy of a connection that goes. */
  private destroyed(conn: Conn): void {
    if (conn.helperName === null) return;
    helperByName(conn.helperName)?.destroy?.(conn, this.svc);
  }
}

/** The packet's ip_conntrack_info from its state bit and direction. */
function ctinfoOf(state: number, dir: 0 | 1): CtInfo {
  if (state === CtStateBit.NEW) return CtInfo.NEW;
  if (state === CtStateBit.RELATED) return dir === 0 ? CtInfo.RELATED : CtInfo.RELATED_REPLY;
  return dir === 0 ? CtInfo.ESTABLISHED : CtInfo.ESTABLISHED_REPLY;
}
