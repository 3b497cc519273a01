/**
 * `nft list ruleset` (and `nft -a list ruleset`) text of an nft ruleset, as nftables 1.0.6
 * prints it: tables in creation order; in each, the stateful objects, the named sets and maps,
 * then the chains, separated by blank lines, tab-indented; base chains with their type, hook,
 * priority (by name where nft names it: `filter`, `dstnat - 5`, `raw + 10`) and policy; rules
 * with live counter values; with `handles`, the `# handle N` comments.
 *
 * Protocol tests that a later header match implies (`meta l4proto tcp tcp dport 22`) are left
 * out as nft leaves them out, and so are the ones nft itself added (`meta nfproto ipv4` in front
 * of `reject with icmp` in an inet table, unless nothing else shows it).
 */
import { elemText } from '../nft/evaluate.js';
import type { IrStmt } from '../nft/ir.js';
import { limitText, byteRate } from '../nft/ir.js';
import { priorityText as familyPriorityText } from '../nft/families.js';
import type { NftChain, NftObject, NftRule, NftRuleset, NftTable } from '../nft/model.js';
import type { NftSet } from '../nft/sets.js';
import type { Family } from '../nft/ast.js';
import { timeText } from '../nft/datatypes.js';
import { protocolName } from '../rules/values.js';
import { ctTimeoutPolicyText } from '../nft/objects.js';

export interface NftListOptions {
  /** Print `# handle N` (nft -a). */
  handles?: boolean;
  /** Virtual time for element `expires` (seconds); null leaves expiry out. */
  now?: number | null;
}

/** The whole ruleset, one string ending with a newline (empty for an empty ruleset). */
export function formatNftRuleset(rs: NftRuleset, opts: NftListOptions = {}): string {
  return rs.tables.map((t) => formatNftTable(t, opts)).join('');
}

export function formatNftTable(t: NftTable, opts: NftListOptions = {}): string {
  const h = opts.handles === true;
  let s = `table ${t.family} ${t.name} {${h ? ` # handle ${t.handle}` : ''}\n`;
  if (t.flags.length > 0) s += `\tflags ${t.flags.join(',')}\n`;
  if (t.comment !== null) s += `\tcomment "${t.comment}"\n`;
  const items: string[] = [];
  for (const o of t.objects) items.push(objectText(o, h));
  for (const set of t.sets.values()) if (!set.anonymous) items.push(setText(set, h, opts.now ?? null));
  for (const c of t.chains.values()) items.push(chainText(c, h));
  s += items.join('\n');
  return `${s}}\n`;
}

/** nft's prio2str for a family and hook (families.ts: each family's own names). */
export function priorityText(family: Family, hook: string, prio: number): string {
  return familyPriorityText(family, hook, prio);
}

function chainText(c: NftChain, h: boolean): string {
  let s = `\tchain ${c.name} {${h ? ` # handle ${c.handle}` : ''}\n`;
  if (c.base) {
    const b = c.base;
    const dev = b.device.length === 1 ? ` device "${b.device[0]}"` : b.device.length > 1 ? ` devices = { ${b.device.join(', ')} }` : '';
    s += `\t\ttype ${b.type} hook ${b.hook}${dev} priority ${priorityText(c.table.family, b.hook, b.priority)}; policy ${c.policy};\n`;
  }
  if (c.comment !== null) s += `\t\tcomment "${c.comment}"\n`;
  for (const r of c.rules) s += `\t\t${ruleText(c.table, r)}${h ? ` # handle ${r.handle}` : ''}\n`;
  return `${s}\t}\n`;
}

/** A rule's statements as nft prints them. */
export function ruleText(t: NftTable, r: NftRule): string {
  const shown = visible(t, r.stmts);
  let s = r.stmts.filter((_, i) => shown[i]).map((x) => x.text()).join(' ');
  if (r.comment !== null) s += `${s ? ' ' : ''}comment "${r.comment}"`;
  return s;
}

/** Transport protocols that exist in one family only: their header implies that family too. */
const FAMILY_OF_L4: Readonly<Record<string, string>> = { 'th:1': 'nh:4', 'th:2': 'nh:4', 'th:58': 'nh:6' };

/** Which statements a listing shows: protocol tests implied by a later header match are not. */
function visible(t: NftTable, stmts: readonly IrStmt[]): boolean[] {
  const show = stmts.map(() => true);
  const last: Record<string, number> = {};
  stmts.forEach((s, i) => {
    for (const need of s.needs === undefined ? [] : [s.needs, FAMILY_OF_L4[s.needs]]) {
      if (need === undefined) continue;
      const layer = need.slice(0, 2);
      const p = last[layer];
      if (p !== undefined && stmts[p]!.provides === need) {
        const kind = stmts[p]!.providerKind;
        // in inet tables an explicit `ip protocol` / `ip6 nexthdr` stays
        if (!(t.family === 'inet' && layer === 'th' && kind === 'payload')) show[p] = false;
        delete last[layer];
      }
    }
    if (s.provides !== undefined) last[s.provides.slice(0, 2)] = i;
    // a statement that is not a test (counter, log, ...) ends what later ones may imply
    else if (!s.isTest) for (const k of Object.keys(last)) delete last[k];
  });
  return show;
}

function setText(set: NftSet, h: boolean, now: number | null): string {
  const kind = set.flags.has('dynamic') && set.opts.size !== null && false ? 'meter' : set.isMap ? 'map' : 'set';
  let s = `\t${kind} ${set.name} {${h ? ` # handle ${set.handle}` : ''}\n`;
  const keyType = set.opts.typeofText !== null ? `typeof ${set.opts.typeofText}` : `type ${set.fields.map((f) => f.type.name).join(' . ')}`;
  let dataType = '';
  if (set.isMap) {
    if (set.dataType === 'verdict') dataType = ' : verdict';
    else if (set.opts.dataTypeofText !== null) dataType = ` : ${set.opts.dataTypeofText}`;
    else if (set.dataFields) dataType = ` : ${set.dataFields.map((f) => f.type.name).join(' . ')}`;
    else if (set.dataType) dataType = ` : ${set.dataType.name}`;
  }
  s += `\t\t${keyType}${dataType}\n`;
  // nft 1.0.6's order: policy, size, flags, counter, auto-merge, timeout, gc-interval, comment
  if (set.opts.policy === 'memory') s += '\t\tpolicy memory\n';
  if (set.opts.size !== null) s += `\t\tsize ${set.opts.size}\n`;
  const flags = ['constant', 'dynamic', 'interval', 'timeout'].filter((f) => set.flags.has(f));
  if (flags.length > 0) s += `\t\tflags ${flags.join(',')}\n`;
  if (set.opts.counter) s += '\t\tcounter\n';
  if (set.opts.autoMerge) s += '\t\tauto-merge\n';
  if (set.opts.timeout !== null) s += `\t\ttimeout ${timeText(set.opts.timeout)}\n`;
  if (set.opts.gcInterval !== null) s += `\t\tgc-interval ${timeText(set.opts.gcInterval)}\n`;
  if (set.opts.comment !== null) s += `\t\tcomment "${set.opts.comment}"\n`;
  const elems = set.listed(now);
  if (elems.length > 0) s += `\t\telements = { ${elems.map((e) => elemText(set, e, now)).join(', ')} }\n`;
  return `${s}\t}\n`;
}

function protoText(p: number): string {
  return protocolName(p) ?? String(p);
}

function l3Text(n: number): string {
  return n === 2 ? 'ip' : n === 10 ? 'ip6' : 'inet';
}

function objectText(o: NftObject, h: boolean): string {
  let s = `\t${o.type} ${o.name} {${h ? ` # handle ${o.handle}` : ''}\n`;
  // nft prints an object's comment first
  if (o.comment !== null) s += `\t\tcomment "${o.comment}"\n`;
  const st = o.state;
  switch (st.kind) {
    case 'counter':
      s += `\t\tpackets ${st.packets} bytes ${st.bytes}\n`;
      break;
    case 'quota': {
      const [q, qu] = byteRate(st.bytes);
      s += `\t\t${st.over ? 'over ' : ''}${q} ${qu}`;
      if (st.used > 0) {
        const [u, uu] = byteRate(st.used);
        s += ` used ${u} ${uu}`;
      }
      s += '\n';
      break;
    }
    case 'limit':
      s += `\t\t${limitText(st.spec).replace(/^limit /, '')}\n`;
      break;
    case 'ct helper':
      s += `\t\ttype "${st.helper}" protocol ${protoText(st.protocol)}\n\t\tl3proto ${l3Text(st.l3proto)}\n`;
      break;
    case 'ct timeout':
      s += `\t\tprotocol ${protoText(st.protocol)}\n\t\tl3proto ${l3Text(st.l3proto)}\n`;
      s += `\t\t${ctTimeoutPolicyText(st.protocol, st.policy)}\n`;
      break;
    case 'ct expectation':
      s += `\t\tprotocol ${protoText(st.protocol)}\n\t\tdport ${st.dport}\n\t\ttimeout ${timeText(st.timeout)}\n\t\tsize ${st.size}\n\t\tl3proto ${l3Text(st.l3proto)}\n`;
      break;
  }
  return `${s}\t}\n`;
}
