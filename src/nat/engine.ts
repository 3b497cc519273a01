/**
 * The NAT engine the hook pipeline calls at its NAT positions (the kernel's nf_nat_ipv4_fn /
 * nf_nat_ipv6_fn and nf_nat_inet_fn): destination NAT at PREROUTING and OUTPUT, source NAT at
 * INPUT and POSTROUTING.
 *
 * For each packet with a connection:
 *  - a RELATED ICMP / ICMPv6 packet (an error quoting the connection) is translated by
 *    icmp-error.ts and nothing else happens;
 *  - a NEW or RELATED packet whose connection has no binding for this hook's manipulation yet
 *    gets one: from the NAT rule the pipeline found (SNAT, DNAT, MASQUERADE, REDIRECT, NETMAP),
 *    or the null binding when no rule chose one (which may still move a source port that
 *    clashes with another connection);
 *  - a MASQUERADEd connection whose packets now leave through another interface is killed and
 *    the packet dropped (nf_nat_oif_changed);
 *  - the packet is rewritten when the connection's bindings translate this direction at this hook.
 *
 * Bindings are set up on the still unconfirmed connection (nf_nat_setup_info): the tuple choice
 * (select.ts), the reply tuple change, the SRC_NAT / DST_NAT status bits and the _DONE bits, the
 * by-source index for source bindings, and the sequence adjustment record for connections with
 * a helper.
 *
 * The host tells the engine when an interface goes down or loses an address: MASQUERADEd
 * connections bound to it are deleted (nf_nat_masquerade's notifiers).
 */
import type { Conn } from '../conntrack/conn.js';
import { SeededRandom } from '../conntrack/hash.js';
import type { ConntrackTable } from '../conntrack/table.js';
import { invertTuple, Tuple } from '../conntrack/tuple.js';
import type { NatEngine as PipelineNat } from '../netfilter/pipeline.js';
import { type Action, CtStateBit, CtStatus, Hook, type PacketContext } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { natManip, type NatSpec } from '../rules/nat-spec.js';
import { BySource, NatExt } from './bysource.js';
import { isIcmpOfFamily, natStatusBit, translateIcmpError } from './icmp-error.js';
import { type ExtWalk, hookManip, Manip, manipPacket } from './manip.js';
import { asNatSpec, NatFlag, NatRange } from './range.js';
import { TupleChooser } from './select.js';
import { seqAdjRecordOf, seqAdjustPacket } from './seqadj.js';
import { masqueradeAddress, type NatHost, netmapTarget, redirectAddress } from './targets.js';
import { sameWords } from './words.js';

/** Salt of NAT's random source (port offsets), distinct from the table's own. */
const RANDOM_SALT = 0x4e4154;

function doneBit(manip: Manip): number {
  return manip === Manip.SRC ? CtStatus.SRC_NAT_DONE : CtStatus.DST_NAT_DONE;
}

function natBit(manip: Manip): number {
  return manip === Manip.SRC ? CtStatus.SRC_NAT : CtStatus.DST_NAT;
}

/** The NatSpec of a NAT action (any other action here is a pipeline bug). */
function natActionSpec(action: Action): NatSpec {
  if (action.kind !== 'nat') throw new Error(`NAT: the pipeline handed over a ${action.kind} action`);
  return asNatSpec(action.nat);
}

export class NatEngine implements PipelineNat {
  private readonly exts = new Map<Conn, NatExt>();
  private readonly bysource: BySource;
  private readonly chooser: TupleChooser;
  // scratch, reused for every packet / binding
  private readonly range = new NatRange();
  private readonly curr = new Tuple();
  private readonly next = new Tuple();
  private readonly target = new Tuple();
  private readonly addr = new Uint32Array(4);
  private readonly walk: ExtWalk = { off: -1, nexthdr: 0, fragOff: 0 };

  constructor(
    readonly ct: ConntrackTable,
    readonly host: NatHost,
  ) {
    this.bysource = new BySource(ct.seed);
    this.chooser = new TupleChooser(ct, this.bysource, new SeededRandom(ct.seed, RANDOM_SALT));
    ct.onRemove((conn) => this.forget(conn));
  }

  // ----------------------------------------------------------------------------------------------
  // the pipeline's interface

  initialized(ctx: PacketContext, hook: Hook): boolean {
    return ctx.ct !== null && (ctx.ct.status & doneBit(hookManip(hook))) !== 0;
  }

  /**
   * One packet at a NAT hook position. `action` is the NAT rule the pipeline's nat chains chose
   * for a new connection (null: none; `decided` says the same and is not needed here).
   * Returns false to drop.
   */
  apply(ctx: PacketContext, hook: Hook, action: Action | null, _decided: boolean): boolean {
    const conn = ctx.ct as unknown as Conn | null;
    if (conn === null) return true;
    const manip = hookManip(hook);
    const dir = ctx.ctDir;
    const state = ctx.ctState;
    if (state === CtStateBit.RELATED && isIcmpOfFamily(ctx.pkt)) {
      return translateIcmpError(ctx.pkt, conn, dir, manip, this.target, this.walk);
    }
    if ((state === CtStateBit.NEW || state === CtStateBit.RELATED) && !(conn.status & doneBit(manip))) {
      if (action !== null && !this.runTarget(ctx, conn, natActionSpec(action), hook, manip)) return false;
      if (!(conn.status & doneBit(manip)) && !this.nullBinding(conn, manip, ctx.now)) return false;
    } else if (this.oifChanged(conn, hook, dir, ctx.oif)) {
      this.killForOif(ctx, conn);
      return false;
    }
    return this.natPacket(ctx, conn, dir, manip);
  }

  // ----------------------------------------------------------------------------------------------
  // bindings

  /**
   * nf_nat_setup_info: binds `conn`'s `manip` within `range`. False where the kernel returns
   * NF_DROP (the binding was already set up). A confirmed connection is left as it is.
   */
  setupInfo(conn: Conn, range: NatRange, manip: Manip, now: number): boolean {
    if (conn.confirmed) return true;
    if (conn.status & doneBit(manip)) return false;
    if (!invertTuple(this.curr, conn.reply)) throw new Error('NAT: a reply tuple without an inverse');
    this.chooser.choose(this.next, this.curr, range, conn, manip, now);
    if (!this.next.equals(this.curr)) {
      if (!invertTuple(this.target, this.next)) throw new Error('NAT: a chosen tuple without an inverse');
      this.ct.alterReplyTuple(conn, this.target);
      conn.status |= natBit(manip);
      // nf_nat_setup_info adds an empty seqadj extension for helped connections; ours lives in the
      // TCP state, which an expected connection set up by its expectfn does not have yet: then the
      // record is made when a helper first records an adjustment (an empty one changes nothing).
      if (conn.helperName !== null && conn.protoNum === Proto.TCP && conn.proto != null) seqAdjRecordOf(conn);
    }
    if (manip === Manip.SRC) this.bysource.insert(this.extOf(conn));
    conn.status |= doneBit(manip);
    return true;
  }

  /** nf_nat_alloc_null_binding: the connection's own address as the whole range. */
  nullBinding(conn: Conn, manip: Manip, now: number): boolean {
    const r = conn.reply;
    return this.setupInfo(conn, this.range.single(manip === Manip.SRC ? r.dst : r.src), manip, now);
  }

  /**
   * nf_nat_follow_master: an expected connection (FTP data, ...) takes its master's mapping: the
   * source the master's `expDir` packets are sent to, the destination they come from, at port
   * `savedPort` (the expectation's saved_proto).
   */
  followMaster(conn: Conn, expDir: 0 | 1, savedPort: number, now: number): void {
    const master = conn.master;
    if (master === null) throw new Error('NAT: followMaster needs an expected connection');
    const t = master.tuple(expDir === 0 ? 1 : 0);
    const r = this.range.single(t.dst);
    this.setupInfo(conn, r, Manip.SRC, now);
    r.single(t.src);
    r.flags |= NatFlag.PROTO_SPECIFIED;
    r.minProto = savedPort;
    r.maxProto = savedPort;
    this.setupInfo(conn, r, Manip.DST, now);
  }

  /** A NAT rule's target for this packet. False: drop. */
  private runTarget(ctx: PacketContext, conn: Conn, spec: NatSpec, hook: Hook, manip: Manip): boolean {
    const wanted = natManip(spec, hook) === 'src' ? Manip.SRC : Manip.DST;
    if (wanted !== manip) throw new Error(`NAT: ${spec.kind} cannot run at hook ${hook}`);
    const r = this.range;
    switch (spec.kind) {
      case 'SNAT':
      case 'DNAT':
        if (spec.flags & NatFlag.NETMAP) return this.netmap(ctx, conn, spec, manip);
        return this.setupInfo(conn, r.fromSpec(spec), manip, ctx.now);
      case 'MASQUERADE':
        return this.masquerade(ctx, conn, spec);
      case 'REDIRECT': {
        const to = redirectAddress(this.host, ctx, hook);
        return to !== null && this.setupInfo(conn, r.fromSpecWithAddress(spec, to), manip, ctx.now);
      }
      case 'NETMAP':
        return this.netmap(ctx, conn, spec, manip);
    }
  }

  /** xt_NETMAP / nft_nat_setup_netmap: the packet's address moved into the spec's network. */
  private netmap(ctx: PacketContext, conn: Conn, spec: NatSpec, manip: Manip): boolean {
    const to = netmapTarget(spec, ctx, manip === Manip.DST, this.addr);
    return this.setupInfo(conn, this.range.fromSpecWithAddress(spec, to), manip, ctx.now);
  }

  /** nf_nat_masquerade_ipv4 / _ipv6. */
  private masquerade(ctx: PacketContext, conn: Conn, spec: NatSpec): boolean {
    if (conn.family === 4 && conn.orig.src[0] === 0) return true;
    const src = masqueradeAddress(this.host, ctx);
    if (src === null) return false;
    this.extOf(conn).masqIface = ctx.oif;
    return this.setupInfo(conn, this.range.fromSpecWithAddress(spec, src), Manip.SRC, ctx.now);
  }

  // ----------------------------------------------------------------------------------------------
  // packets

  /** nf_nat_packet: rewrite the packet when the bindings translate this direction at this hook. */
  private natPacket(ctx: PacketContext, conn: Conn, dir: 0 | 1, manip: Manip): boolean {
    if (!(conn.status & natStatusBit(manip, dir))) return true;
    if (!invertTuple(this.target, conn.tuple(dir === 0 ? 1 : 0))) throw new Error('NAT: a connection tuple without an inverse');
    const pkt = ctx.pkt;
    return manipPacket(pkt.buf, pkt.l3Off, pkt.ipEnd, this.target, manip, this.walk);
  }

  /** nf_nat_oif_changed: a MASQUERADE binding's original-direction packets leave elsewhere now. */
  private oifChanged(conn: Conn, hook: Hook, dir: 0 | 1, oif: string | null): boolean {
    if (hook !== Hook.POSTROUTING || dir !== 0) return false;
    const masq = this.exts.get(conn)?.masqIface ?? null;
    return masq !== null && masq !== oif;
  }

  /** nf_ct_kill_acct: the packet is counted, then the entry deleted. */
  private killForOif(ctx: PacketContext, conn: Conn): void {
    if (conn.hasAcct) {
      conn.origPackets++;
      conn.origBytes += ctx.pkt.ipTotalLen;
    }
    this.ct.delete(conn, ctx.now);
  }

  /**
   * The helper-facing part of the confirm step (nf_confirm): a connection with IPS_SEQ_ADJUST
   * has this TCP segment's sequence numbers shifted, except ICMP errors in the reply direction.
   * Call after the connection's helper ran, before confirmation; re-decode afterwards.
   * False: drop.
   */
  adjustSequence(ctx: PacketContext): boolean {
    const conn = ctx.ct as unknown as Conn | null;
    if (conn === null || !(conn.status & CtStatus.SEQ_ADJUST)) return true;
    if (ctx.ctState === CtStateBit.RELATED && ctx.ctDir === 1) return true;
    return seqAdjustPacket(ctx.pkt, conn, ctx.ctDir);
  }

  // ----------------------------------------------------------------------------------------------
  // interfaces and addresses going away

  /** NETDEV_DOWN: MASQUERADE bindings made for interface `name` are deleted. */
  interfaceDown(name: string, now: number): void {
    this.flushMasquerade(now, (ext) => ext.masqIface === name);
  }

  /** An address was removed from `iface`: MASQUERADE bindings to it on that interface are deleted. */
  addressRemoved(iface: string, addr: ArrayLike<number>, now: number): void {
    this.flushMasquerade(now, (ext) => ext.masqIface === iface && sameWords(ext.conn.reply.dst, addr));
  }

  private flushMasquerade(now: number, match: (ext: NatExt) => boolean): void {
    const doomed: Conn[] = [];
    for (const ext of this.exts.values()) if (ext.conn.confirmed && match(ext)) doomed.push(ext.conn);
    for (const c of doomed) this.ct.delete(c, now);
  }

  // ----------------------------------------------------------------------------------------------
  // per-connection state

  private extOf(conn: Conn): NatExt {
    let e = this.exts.get(conn);
    if (e === undefined) {
      e = new NatExt(conn);
      this.exts.set(conn, e);
    }
    return e;
  }

  /** The connection is gone (nf_nat_cleanup_conntrack). */
  private forget(conn: Conn): void {
    const e = this.exts.get(conn);
    if (e === undefined) return;
    this.bysource.remove(e);
    this.exts.delete(conn);
  }

  /**
   * Rebuilds the by-source index from the table (after the table was restored from a snapshot):
   * every confirmed connection with a source binding is filed again. MASQUERADE's interface is
   * not part of a conntrack snapshot and stays unknown for restored entries.
   */
  reindex(): void {
    for (const c of this.ct.all()) if (c.status & CtStatus.SRC_NAT_DONE) this.bysource.insert(this.extOf(c));
  }

  /** The interface a MASQUERADE binding was made for, or null (tests, diagnostics). */
  masqueradeInterface(conn: Conn): string | null {
    return this.exts.get(conn)?.masqIface ?? null;
  }
}
