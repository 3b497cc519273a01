/**
 * Which entries a conntrack command line selects, decided as conntrack-tools 1.4.7 decides it.
 *
 * An entry is seen as the message the kernel sends for it (CtAttrs: a dump carries the mark
 * always and the zone only when not 0, an event carries the protocol state only when it changed,
 * ...), because the tool's filters depend on which attributes a message has:
 *
 *  - the kernel's own dump filter (-L: family, mark, status; -D: family, mark);
 *  - nfct_filter in the tool: NAT (--src-nat / --dst-nat / --any-nat), mark, labels, networks
 *    (-s ADDR/LEN), then, when a comparing option was given, nfct_cmp of the template with the
 *    entry: an attribute set in the template must match; most must also be in the message
 *    ("strict"), the zones and the mark count as 0 when absent.
 */
import type { Conn } from '../conntrack/conn.js';
import type { CtAttrs } from '../format/ct-attrs.js';
import { tupleZone } from '../format/ct-attrs.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { bit, CT_COMPARISON, Opt, type Addr, type NatTemplate, type Template, type TupleTemplate, type ValueMask } from './model.js';
import type { CtCommand } from './parse.js';

/** An entry as a message: the connection and the attributes the message carries. */
export type CtMessage = CtAttrs;

/** The networks -s ADDR/LEN and -d ADDR/LEN select (nfct_filter_init). */
export interface Networks {
  src: { network: Addr; mask: Addr } | null;
  dst: { network: Addr; mask: Addr } | null;
}

function sameAddr(words: ArrayLike<number>, a: Addr): boolean {
  return words[0] === a.words[0] && words[1] === a.words[1] && words[2] === a.words[2] && words[3] === a.words[3];
}

function masked(words: ArrayLike<number>, mask: Addr): number[] {
  return [0, 1, 2, 3].map((i) => ((words[i]! & mask.words[i]!) >>> 0));
}

/** The message's protocol state number, when it carries one of that protocol. */
function stateNumber(m: CtMessage, proto: number): number | null {
  const c = m.conn;
  if (!m.state || c.protoNum !== proto || !c.tracker.stateNumber) return null;
  return c.tracker.stateNumber(c.proto);
}

function isIcmp(proto: number): boolean {
  return proto === Proto.ICMP || proto === Proto.ICMPV6;
}

/** cmp_orig_l4proto / cmp_repl_l4proto: protocol number, then ICMP fields or ports. */
function l4Matches(t: Template, tt: TupleTemplate, conn: Conn, dir: 0 | 1): boolean {
  const tuple = conn.tuple(dir);
  if (tt.l4 !== tuple.proto) return false;
  const p = tt.l4;
  if (isIcmp(p)) {
    const orig = conn.orig;
    if (t.icmpId !== undefined && t.icmpId !== orig.sport) return false;
    if (t.icmpCode !== undefined && t.icmpCode !== (orig.dport & 0xff)) return false;
    return t.icmpType === undefined || t.icmpType === orig.dport >>> 8;
  }
  if (p === Proto.TCP || p === Proto.UDP || p === Proto.UDPLITE || p === Proto.DCCP || p === Proto.SCTP) {
    // DCCP is tracked as a generic protocol on 6.18: its messages carry no ports.
    const ports = p !== Proto.DCCP;
    if (tt.sport !== undefined && (!ports || tt.sport !== tuple.sport)) return false;
    if (tt.dport !== undefined && (!ports || tt.dport !== tuple.dport)) return false;
  }
  return true;
}

/** __cmp_orig / cmp_repl. */
function tupleMatches(t: Template, tt: TupleTemplate, conn: Conn, dir: 0 | 1, zone: number | undefined): boolean {
  const tuple = conn.tuple(dir);
  if (tt.l3 !== undefined && tt.l3 !== tuple.family) return false;
  if (tt.l4 !== undefined && !l4Matches(t, tt, conn, dir)) return false;
  if (tt.src !== undefined && (tt.src.family !== tuple.family || !sameAddr(tuple.src, tt.src))) return false;
  if (tt.dst !== undefined && (tt.dst.family !== tuple.family || !sameAddr(tuple.dst, tt.dst))) return false;
  if (dir === 0 && t.origSrcGarbage) return false;
  // The tuple's zone (CTA_TUPLE_ZONE) counts as 0 when the message has none.
  return zone === undefined || zone === (tupleZone(conn, dir) ?? 0);
}

/** cmp_meta: id, timeout, status, protocol states, zone. */
function metaMatches(t: Template, m: CtMessage): boolean {
  const c = m.conn;
  if (t.id !== undefined && t.id !== c.id >>> 0) return false;
  if (t.timeout !== undefined && t.timeout !== m.timeout) return false;
  if (t.status !== undefined && (t.status & c.status) !== t.status) return false;
  if (t.tcpState !== undefined && t.tcpState !== stateNumber(m, Proto.TCP)) return false;
  if (t.sctpState !== undefined && t.sctpState !== stateNumber(m, Proto.SCTP)) return false;
  if (t.dccpState !== undefined) return false;
  return t.zone === undefined || t.zone === (m.zone ? c.zone : 0);
}

/** nfct_cmp(template, entry, NFCT_CMP_ALL | NFCT_CMP_MASK). */
export function templateMatches(t: Template, m: CtMessage): boolean {
  return metaMatches(t, m) && tupleMatches(t, t.orig, m.conn, 0, t.origZone) && tupleMatches(t, t.reply, m.conn, 1, t.replyZone);
}

function differs(a: ArrayLike<number>, b: ArrayLike<number>, family: 4 | 6): boolean {
  if (family === 4) return a[0] !== b[0];
  return a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3];
}

/** libnetfilter_conntrack's NFCT_GOPT_IS_SNAT / IS_DNAT / IS_SPAT / IS_DPAT. */
export function natKinds(c: Conn): { snat: boolean; dnat: boolean; spat: boolean; dpat: boolean } {
  const s = (c.status & CtStatus.SRC_NAT_DONE) !== 0;
  const d = (c.status & CtStatus.DST_NAT_DONE) !== 0;
  return {
    snat: s && differs(c.reply.dst, c.orig.src, c.family),
    dnat: d && differs(c.reply.src, c.orig.dst, c.family),
    spat: s && c.reply.dport !== c.orig.sport,
    dpat: d && c.reply.sport !== c.orig.dport,
  };
}

/** One side of filter_nat: does the entry have this NAT, at this address and port when given? */
function hasNat(nat: NatTemplate | undefined, isAddr: boolean, isPort: boolean, addr: number, port: number): boolean {
  const checkAddress = nat?.addr4 !== undefined;
  const checkPort = nat?.port !== undefined;
  let has = checkAddress && isAddr && nat!.addr4 === addr;
  if (checkPort) {
    const ret = isPort && nat!.port === port;
    if (checkAddress && has && !ret) has = false;
    if (!checkAddress && ret) has = true;
  }
  if (!checkAddress && !checkPort && (isAddr || isPort)) has = true;
  return has;
}

/** filter_nat: true when the entry is filtered out. */
function natRejects(cmd: CtCommand, c: Conn): boolean {
  const o = cmd.options;
  const any = (o & bit(Opt.ANY_NAT)) !== 0;
  const src = (o & bit(Opt.SRC_NAT)) !== 0;
  const dst = (o & bit(Opt.DST_NAT)) !== 0;
  if (!any && !src && !dst) return false;
  const k = natKinds(c);
  const t = cmd.template;
  const hasSrc = (any || src) && hasNat(t.snat, k.snat, k.spat, c.reply.dst[0]!, c.reply.dport);
  const hasDst = (any || dst) && hasNat(t.dnat, k.dnat, k.dpat, c.reply.src[0]!, c.reply.sport);
  if (any) return !(hasSrc || hasDst);
  if (src && dst) return !(hasSrc && hasDst);
  return src ? !hasSrc : !hasDst;
}

function markMatches(vm: ValueMask, mark: number): boolean {
  return ((mark & vm.mask) >>> 0) === vm.value >>> 0;
}

/** filter_label: every -l bit must be set (an entry whose message has no labels has none). */
function labelRejects(t: Template, m: CtMessage): boolean {
  if (t.label === null) return false;
  if (!m.labels) return true;
  for (const b of t.label) if (b >= 128 || !m.conn.hasLabel(b)) return true;
  return false;
}

/** filter_network. */
function networkRejects(cmd: CtCommand, nets: Networks, c: Conn): boolean {
  for (const [net, dir] of [[nets.src, 'src'], [nets.dst, 'dst']] as const) {
    if (net === null) continue;
    if (c.family !== cmd.family) return true;
    const a = masked(c.orig[dir], net.mask);
    if (!sameAddr(a, net.network)) return true;
  }
  return false;
}

/** nfct_filter: true when the command selects the entry. */
export function selects(cmd: CtCommand, nets: Networks, m: CtMessage): boolean {
  const c = m.conn;
  if (natRejects(cmd, c)) return false;
  if (cmd.options & bit(Opt.MARK) && !(m.mark && markMatches(cmd.template.mark, c.mark))) return false;
  if (labelRejects(cmd.template, m)) return false;
  if (networkRejects(cmd, nets, c)) return false;
  return !(cmd.options & CT_COMPARISON) || templateMatches(cmd.template, m);
}

/** The filters the update walk applies (mnl_nfct_update_cb): NAT, labels, networks, id, tuples. */
export function updateSelects(cmd: CtCommand, nets: Networks, m: CtMessage): boolean {
  const c = m.conn;
  const t = cmd.template;
  if (natRejects(cmd, c) || labelRejects(t, m) || networkRejects(cmd, nets, c)) return false;
  if (t.id !== undefined && t.id !== c.id >>> 0) return false;
  const o = cmd.options;
  if (o & (bit(Opt.ORIG_SRC) | bit(Opt.ORIG_DST) | bit(Opt.PROTO)) && !tupleMatches(t, t.orig, c, 0, undefined)) return false;
  if (o & (bit(Opt.REPL_SRC) | bit(Opt.REPL_DST) | bit(Opt.PROTO)) && !tupleMatches(t, t.reply, c, 1, undefined)) return false;
  return true;
}

/** The kernel's dump filter (ctnetlink_filter_match): family, and the mark and status when asked. */
export function kernelSelects(family: 0 | 4 | 6, mark: ValueMask | null, status: ValueMask | null, c: Conn): boolean {
  if (family !== 0 && c.family !== family) return false;
  if (mark !== null && !markMatches(mark, c.mark)) return false;
  return status === null || ((c.status & status.mask) >>> 0) === status.value >>> 0;
}

/**
 * nfct_filter_init: -s / -d with a netmask select a network instead of an address (the exact
 * address attribute is dropped from the template). Returns the networks, or the tool's complaint.
 */
export function filterInit(cmd: CtCommand): Networks | string {
  const t = cmd.template;
  const o = cmd.options;
  const nets: Networks = { src: null, dst: null };
  if (o & bit(Opt.MASK_SRC)) {
    if (!(o & bit(Opt.ORIG_SRC))) return "Can't use --mask-src without --src";
    nets.src = network(t.orig.src!, t.maskSrc!);
    delete t.orig.src;
  }
  if (o & bit(Opt.MASK_DST)) {
    if (!(o & bit(Opt.ORIG_DST))) return "Can't use --mask-dst without --dst";
    nets.dst = network(t.orig.dst!, t.maskDst!);
    delete t.orig.dst;
  }
  return nets;
}

function network(addr: Addr, mask: Addr | undefined): { network: Addr; mask: Addr } {
  const m = mask ?? { family: addr.family, words: [0, 0, 0, 0] };
  return { network: { family: addr.family, words: masked(addr.words, m) }, mask: m };
}
