/**
 * `conntrack -U`: what an update changes in an entry, decided as conntrack-tools 1.4.7 decides it
 * (mnl_nfct_update_cb: the entry's original tuple plus the template's attributes, the mark
 * rewritten with its mask, the status bits added, labels added or removed; nothing is sent when
 * the result compares equal to the entry), and applied as the 6.18 kernel applies it
 * (ctnetlink_change_conntrack: timeout, status, protocol info, mark, labels, in that order, the
 * first refusal stopping the rest).
 */
import type { Conn } from '../conntrack/conn.js';
import type { ConntrackTable, ConnUpdate } from '../conntrack/table.js';
import type { CtAttrs } from '../format/ct-attrs.js';
import { CtStatus } from '../netfilter/context.js';
import { Proto } from '../packet/view.js';
import { updateSelects, type Networks } from './filter.js';
import { bit, Opt } from './model.js';
import type { CtCommand } from './parse.js';

/** The change an update makes to one entry. */
export interface UpdatePlan {
  timeout?: number;
  status?: number;
  tcpState?: number;
  /** TCP window-tracking flags set in both directions (the tcp extension's final check). */
  tcpFlags?: number;
  sctp?: { state?: number; vtagOrig?: number; vtagReply?: number };
  mark?: number;
  /** The label words after the change, or the kernel's refusal. */
  labels?: number[] | 'no-space';
  /** The template carries NAT attributes, which the kernel refuses on an existing entry. */
  natRefused: boolean;
}

/** Status bits ctnetlink lets userspace set on an entry (the rest of IPS_UNCHANGEABLE_MASK is ignored). */
const SETTABLE_STATUS = CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.FIXED_TIMEOUT;
/** Bits whose change ctnetlink refuses with EBUSY. */
const FROZEN_STATUS = CtStatus.EXPECTED | CtStatus.CONFIRMED | CtStatus.DYING;

function labelWords(c: Conn): number[] {
  return Array.from(c.labels);
}

function withBits(words: number[], bits: Iterable<number>, on: boolean): number[] {
  const out = [...words];
  for (const b of bits) {
    if (b >= 128) continue;
    if (on) out[b >>> 5] = (out[b >>> 5]! | (1 << (b & 31))) >>> 0;
    else out[b >>> 5] = (out[b >>> 5]! & ~(1 << (b & 31))) >>> 0;
  }
  return out;
}

/**
 * copy_label: --label-add sets the bits (an entry without labels gets exactly those: beyond the
 * kernel's 128 bits there is no room), --label-del clears the given bits or all of them. Any
 * label change counts as a change (the message carries a label mask the entry has not).
 */
function planLabels(cmd: CtCommand, a: CtAttrs): number[] | 'no-space' | undefined {
  const modify = cmd.template.labelModify;
  const c = a.conn;
  if (cmd.options & bit(Opt.ADD_LABEL)) {
    if (!a.labels && [...modify!].some((b) => b >= 128)) return 'no-space';
    return withBits(a.labels ? labelWords(c) : [0, 0, 0, 0], modify!, true);
  }
  if (cmd.options & bit(Opt.DEL_LABEL) && a.labels) return modify === null ? [0, 0, 0, 0] : withBits(labelWords(c), modify, false);
  return undefined;
}

function protoPlan(cmd: CtCommand, a: CtAttrs, plan: UpdatePlan): boolean {
  const t = cmd.template;
  const c = a.conn;
  let changed = false;
  const stateNow = c.tracker.stateNumber ? c.tracker.stateNumber(c.proto) : null;
  if (t.tcpFlags !== undefined && c.protoNum === Proto.TCP) plan.tcpFlags = t.tcpFlags;
  if (t.tcpState !== undefined) {
    plan.tcpState = t.tcpState;
    changed ||= c.protoNum !== Proto.TCP || stateNow !== t.tcpState;
  }
  if (t.sctpState !== undefined || t.sctpVtagOrig !== undefined || t.sctpVtagReply !== undefined) {
    plan.sctp = { ...(t.sctpState !== undefined ? { state: t.sctpState } : {}), ...(t.sctpVtagOrig !== undefined ? { vtagOrig: t.sctpVtagOrig } : {}), ...(t.sctpVtagReply !== undefined ? { vtagReply: t.sctpVtagReply } : {}) };
    if (t.sctpState !== undefined) changed ||= c.protoNum !== Proto.SCTP || stateNow !== t.sctpState;
  }
  // A DCCP state is never in a 6.18 entry (DCCP is generic): the comparison always differs.
  return changed || t.dccpState !== undefined;
}

/** The change -U makes to the entry `a` describes, or null when it is not selected or nothing would change. */
export function planUpdate(cmd: CtCommand, nets: Networks, a: CtAttrs): UpdatePlan | null {
  if (!updateSelects(cmd, nets, a)) return null;
  const t = cmd.template;
  const c = a.conn;
  const plan: UpdatePlan = { natRefused: t.snat?.addr4 !== undefined || t.snat?.addr6 !== undefined || t.dnat?.addr4 !== undefined || t.dnat?.addr6 !== undefined || t.snat?.port !== undefined || t.dnat?.port !== undefined };
  let changed = protoPlan(cmd, a, plan);
  if (t.timeout !== undefined) {
    plan.timeout = t.timeout;
    changed ||= a.timeout !== t.timeout;
  }
  if (t.status !== undefined) {
    plan.status = t.status;
    changed ||= (t.status & c.status) !== t.status;
  }
  if (cmd.options & bit(Opt.MARK)) {
    plan.mark = ((c.mark & ~t.mark.mask) ^ t.mark.value) >>> 0;
    changed ||= plan.mark !== c.mark >>> 0;
  }
  const labels = planLabels(cmd, a);
  if (labels !== undefined) {
    plan.labels = labels;
    changed = true;
  }
  return changed ? plan : null;
}

/** The protocol info part (tcp_nlattr / sctp_nlattr); an error text when refused. */
function applyProto(c: Conn, plan: UpdatePlan): string | null {
  if (c.protoNum === Proto.TCP && (plan.tcpState !== undefined || plan.tcpFlags !== undefined)) {
    const st = c.proto as { state: number; seen: Array<{ flags: number }> };
    if (plan.tcpState !== undefined) st.state = plan.tcpState;
    if (plan.tcpFlags !== undefined) for (const peer of st.seen) peer.flags |= plan.tcpFlags;
  }
  if (c.protoNum === Proto.SCTP && plan.sctp !== undefined) {
    const s = plan.sctp;
    if (s.state === undefined || s.vtagOrig === undefined || s.vtagReply === undefined) return 'invalid parameters';
    const st = c.proto as { state: number; vtag: [number, number] };
    st.state = s.state;
    st.vtag = [s.vtagOrig, s.vtagReply];
  }
  return null;
}

/**
 * Applies a plan as the kernel does; returns the reason of a refusal ("Operation not
 * supported" ...) or null. Changes made before a refusal stay, as they do in the kernel.
 */
export function applyUpdate(table: ConntrackTable, c: Conn, plan: UpdatePlan, now: number): string | null {
  if (plan.natRefused) return 'Operation not supported';
  const change: ConnUpdate = {};
  let error: string | null = null;
  if (plan.timeout !== undefined) change.timeout = plan.timeout;
  if (plan.status !== undefined) {
    if ((c.status ^ (c.status | plan.status)) & FROZEN_STATUS) error = 'Device or resource busy';
    else c.status |= plan.status & SETTABLE_STATUS;
  }
  error ??= applyProto(c, plan);
  if (error === null && plan.mark !== undefined) change.mark = plan.mark;
  if (error === null && plan.labels !== undefined) {
    if (plan.labels === 'no-space') error = 'No space left on device';
    else change.labels = plan.labels;
  }
  table.update(c, change, now);
  return error;
}
