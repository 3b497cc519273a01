/**
 * `ctkit explain`: what a conntrack entry (or event, or expectation) means, in plain words.
 *
 * For a connection: its protocol and state, who opened it (the original direction), whether NAT
 * rewrote it and how (the reply tuple compared with the original one reversed: a different reply
 * destination is source NAT, a different reply source is destination NAT), what [ASSURED] and
 * [UNREPLIED] mean for it, why it sits in its state, how long it will live and which sysctl sets
 * that (names and defaults from the conntrack settings), its helper, mark, zone, labels and
 * counters. For an expectation: which helper expects which connection for which master.
 */
import { tryParseIp } from '../packet/addr.js';
import type { ParsedConn, ParsedEntry, ParsedExpect, ParsedTuple } from './parse.js';
import { stateText, timeoutFacts } from './states.js';

export interface Explanation {
  /** One line: what the entry is. */
  title: string;
  /** The facts, one sentence each. */
  facts: string[];
}

const SOURCE_NAMES: Readonly<Record<string, string>> = {
  conntrack: 'conntrack -L',
  extended: 'conntrack -L -o extended',
  proc: '/proc/net/nf_conntrack',
  event: 'conntrack -E',
  expect: 'conntrack -L expect',
  'proc-expect': '/proc/net/nf_conntrack_expect',
  snapshot: 'saved table',
};

const PROTO_TITLES: Readonly<Record<string, string>> = {
  tcp: 'TCP',
  udp: 'UDP',
  udplite: 'UDP-Lite',
  icmp: 'ICMP',
  icmpv6: 'ICMPv6',
  sctp: 'SCTP',
  gre: 'GRE',
  dccp: 'DCCP',
  unknown: 'protocol',
};

const ICMP_TYPES: Readonly<Record<number, string>> = { 0: 'echo reply', 8: 'echo request (ping)', 13: 'timestamp request', 14: 'timestamp reply', 15: 'information request', 16: 'information reply', 17: 'address mask request', 18: 'address mask reply' };
const ICMPV6_TYPES: Readonly<Record<number, string>> = { 128: 'echo request (ping)', 129: 'echo reply', 139: 'node information query', 140: 'node information reply' };

function sameAddr(a: string, b: string): boolean {
  const x = tryParseIp(a);
  const y = tryParseIp(b);
  return x !== null && y !== null && x.family === y.family && x.words.every((v, i) => v === y.words[i]);
}

function host(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

/** An endpoint as people write it: address:port, or the address alone. */
function endpoint(addr: string, port: number | undefined): string {
  return port === undefined ? addr : `${host(addr)}:${port}`;
}

function protoTitle(c: ParsedConn): string {
  return c.proto === 'unknown' ? `IP protocol ${c.protonum}` : (PROTO_TITLES[c.proto] ?? c.proto);
}

function icmpName(c: ParsedConn, type: number | undefined): string {
  const names = c.proto === 'icmpv6' ? ICMPV6_TYPES : ICMP_TYPES;
  return type === undefined ? 'ICMP' : (names[type] ?? `type ${type}`);
}

function keyText(k: number | undefined): string {
  return k === undefined ? '' : `0x${k.toString(16)}`;
}

// ------------------------------------------------------------------------------------------------
// who opened it

function opener(c: ParsedConn): string {
  const o = c.orig;
  if (o.type !== undefined) {
    return `Opened by ${o.src}, which sent an ICMP ${icmpName(c, o.type)} (id ${o.id}) to ${o.dst}; the original direction is ${o.src} -> ${o.dst}.`;
  }
  if (o.srckey !== undefined) return `Opened by ${o.src} towards ${o.dst} (GRE keys ${keyText(o.srckey)} / ${keyText(o.dstkey)}): the original direction.`;
  return `Opened by ${endpoint(o.src, o.sport)} towards ${endpoint(o.dst, o.dport)}: the first packet went that way, so that is the original direction; replies travel ${endpoint(c.reply.src, c.reply.sport)} -> ${endpoint(c.reply.dst, c.reply.dport)}.`;
}

// ------------------------------------------------------------------------------------------------
// NAT

export interface NatFinding {
  snat: boolean;
  dnat: boolean;
  /** Only ports (or the ICMP id) changed on that side. */
  snatPortOnly: boolean;
  dnatPortOnly: boolean;
}

/** Compares the reply tuple with the original tuple reversed. */
export function findNat(c: ParsedConn): NatFinding {
  const o = c.orig;
  const r = c.reply;
  const srcAddr = !sameAddr(r.dst, o.src);
  const dstAddr = !sameAddr(r.src, o.dst);
  const srcPort = (o.sport !== undefined && r.dport !== o.sport) || (o.id !== undefined && r.id !== o.id) || (o.srckey !== undefined && r.dstkey !== o.srckey);
  const dstPort = (o.dport !== undefined && r.sport !== o.dport) || (o.dstkey !== undefined && r.srckey !== o.dstkey);
  return { snat: srcAddr || srcPort, dnat: dstAddr || dstPort, snatPortOnly: !srcAddr && srcPort, dnatPortOnly: !dstAddr && dstPort };
}

function snatText(c: ParsedConn, f: NatFinding): string {
  const o = c.orig;
  const r = c.reply;
  const from = endpoint(o.src, o.sport ?? o.id);
  const to = endpoint(r.dst, r.dport ?? r.id);
  if (f.snatPortOnly) {
    return `Source port translation: the source ${from} leaves as ${to} (same address, other ${o.id !== undefined ? 'ICMP id' : 'port'}): a SNAT/MASQUERADE rule, or the kernel remapping the port so that two connections do not share one reply tuple.`;
  }
  return `Source NAT (SNAT or MASQUERADE): the source ${from} is rewritten to ${to} on the way out; replies come back to ${to} and are rewritten back to ${from} (the reply destination differs from the original source).`;
}

function dnatText(c: ParsedConn, f: NatFinding): string {
  const o = c.orig;
  const r = c.reply;
  const asked = endpoint(o.dst, o.dport);
  const real = endpoint(r.src, r.sport);
  const kind = f.dnatPortOnly ? 'Destination port translation (DNAT to another port, or REDIRECT)' : 'Destination NAT (DNAT / port forward, or REDIRECT when the new address is the router\'s own)';
  return `${kind}: packets sent to ${asked} are delivered to ${real}; its replies are rewritten to come from ${asked} (the reply source differs from the original destination).`;
}

function natFacts(c: ParsedConn): string[] {
  const f = findNat(c);
  const out: string[] = [];
  if (f.snat) out.push(snatText(c, f));
  if (f.dnat) out.push(dnatText(c, f));
  if (out.length === 0) out.push('No NAT: the reply tuple is exactly the original one reversed.');
  if (f.snat && f.dnat) out.push('Both translations apply to this connection (source and destination NAT).');
  return out;
}

// ------------------------------------------------------------------------------------------------
// flags

const ASSURED_WHY: Readonly<Record<string, string>> = {
  tcp: 'the three-way handshake completed (the connection reached ESTABLISHED with traffic in both directions)',
  sctp: 'the association was set up (COOKIE_ECHO answered: ESTABLISHED)',
  udp: 'a reply was seen and traffic kept going for more than 2 s after it (a "stream")',
  udplite: 'a reply was seen and traffic kept going for more than 2 s after it (a "stream")',
  gre: 'traffic was seen in both directions and went on (a stream)',
};

function flagFacts(c: ParsedConn): string[] {
  const out: string[] = [];
  const why = ASSURED_WHY[c.proto];
  if (c.assured) {
    out.push(`[ASSURED]: ${why ?? 'the protocol tracker considered it established'}; an assured entry is never evicted early when the table is full (early drop spares it).`);
  } else {
    const never = why === undefined ? ` (${protoTitle(c)} entries never become ASSURED)` : '';
    out.push(`Not [ASSURED]${never}: when the table is full, the kernel may drop this entry early to make room for a new one.`);
  }
  if (c.unreplied) {
    out.push(`[UNREPLIED]: no packet has been seen in the reply direction yet (${endpoint(c.reply.src, c.reply.sport)} has not answered).`);
  } else {
    out.push('Replied: packets went both ways (the kernel set SEEN_REPLY).');
  }
  if (c.offload) out.push(`[${c.offload}]: the flow is offloaded to the flowtable${c.offload === 'HW_OFFLOAD' ? ' in hardware' : ''}; its packets bypass the normal path.`);
  return out;
}

// ------------------------------------------------------------------------------------------------
// the rest

const HELPERS: Readonly<Record<string, string>> = {
  ftp: 'it reads the FTP commands (PORT, PASV, EPRT, EPSV) and expects the data connection, which then shows as RELATED',
  tftp: 'it expects the server\'s answer from a new port, which then shows as RELATED',
  sip: 'it reads SIP/SDP and expects the RTP/RTCP media streams',
  irc: 'it reads DCC requests and expects the file-transfer or chat connection',
  pptp: 'it reads the PPTP control session and expects the GRE tunnel',
  amanda: 'it expects the backup data connections',
  h323: 'it expects the H.245 and media channels',
  sane: 'it expects the scanner data connection',
  'netbios-ns': 'it lets the broadcast query\'s answers in',
  snmp: 'it rewrites addresses inside SNMP payloads for NAT',
};

function helperFacts(c: ParsedConn): string[] {
  const out: string[] = [];
  if (c.helper !== null) {
    const what = HELPERS[c.helper] ?? 'it watches the payload and may register expectations for related connections';
    out.push(`helper=${c.helper}: the ${c.helper} conntrack helper is attached; ${what}.`);
  }
  if (c.master) {
    const m = c.master;
    out.push(`RELATED: this connection was expected by ${m.helper ? `the ${m.helper} helper of ` : ''}the connection ${endpoint(m.orig.src, m.orig.sport)} -> ${endpoint(m.orig.dst, m.orig.dport)}; its first packet was RELATED, the next ones ESTABLISHED.`);
  }
  return out;
}

function counterFacts(c: ParsedConn): string[] {
  const o = c.orig;
  const r = c.reply;
  if (o.packets === undefined) return [];
  return [`Counted (nf_conntrack_acct=1): ${o.packets} packets / ${o.bytes} bytes in the original direction, ${r.packets} packets / ${r.bytes} bytes in the reply direction.`];
}

function metaFacts(c: ParsedConn): string[] {
  const out: string[] = [];
  if (c.mark !== null) {
    out.push(c.mark === 0 ? 'mark=0: no connection mark is set.' : `mark=${c.mark} (0x${c.mark.toString(16)}): the connection mark, set by a CONNMARK / "ct mark set" rule; rules can match it (-m connmark --mark) and restore it to packets.`);
  }
  if (c.zone !== null && c.zone !== 0) out.push(`zone=${c.zone}: tracked in conntrack zone ${c.zone} (set in the raw table by CT --zone / "ct zone set"): it only ever matches packets of the same zone.`);
  if (c.orig.zone !== undefined) out.push(`zone-orig=${c.orig.zone}: its original direction is in zone ${c.orig.zone}, its reply direction in zone 0 (CT --zone-orig / "ct original zone set"): packets from the initiator must carry that zone to find it, replies find it without one.`);
  if (c.reply.zone !== undefined) out.push(`zone-reply=${c.reply.zone}: its reply direction is in zone ${c.reply.zone}, its original direction in zone 0 (CT --zone-reply / "ct reply zone set"): replies must carry that zone to find it.`);
  if (c.labels !== null) {
    out.push(c.labels.length > 0 ? `labels=${c.labels.join(',')}: connection labels set by connlabel / "ct label set" rules.` : 'labels: label bits are set, but none has a name in connlabel.conf.');
  }
  if (c.deltaTime !== null) out.push(`delta-time=${c.deltaTime}: the connection has existed for ${c.deltaTime} s (timestamps are on: nf_conntrack_timestamp=1).`);
  if (c.use !== null) out.push(useText(c));
  return out;
}

function useText(c: ParsedConn): string {
  const own = c.source === 'proc' ? 1 : 0;
  const held = c.use! - 1 - own;
  const base = c.source === 'proc' ? `use=${c.use}: /proc counts its own reference while printing (conntrack -L would say ${c.use! - 1}); ` : `use=${c.use}: `;
  return held > 0 ? `${base}besides the table, ${held} reference(s) hold it (expectations or RELATED connections of this one, or a lookup in progress).` : `${base}only the table holds it.`;
}

function eventFacts(c: ParsedConn): string[] {
  switch (c.event) {
    case 'NEW':
      return ['[NEW] event: the entry was just confirmed, when its first packet left the netfilter hooks (POSTROUTING or INPUT); a packet dropped before that leaves no entry and no event.'];
    case 'UPDATE':
      return ['[UPDATE] event: something changed: the protocol state, a reply seen, ASSURED set, the mark, labels or helper (fields the event does not carry are left out, so the state shows only when it changed).'];
    case 'DESTROY':
      return [
        c.timeout === null
          ? '[DESTROY] event: the entry timed out and was removed; its counters are final.'
          : `[DESTROY] event: the entry was removed ${c.timeout} s before its timeout (closed by the protocol, e.g. a TCP RST, deleted with conntrack -D / -F, or evicted); its counters are final.`,
      ];
    default:
      return [];
  }
}

function titleOf(c: ParsedConn): string {
  const parts = [`${protoTitle(c)} connection`];
  if (c.state !== null) parts.push(`state ${c.state}`);
  if (c.event !== null) parts.push(`${c.event} event`);
  if (c.timeout !== null) parts.push(`${c.timeout} s left`);
  return parts.join(', ');
}

function explainConn(c: ParsedConn): Explanation {
  const state = c.state !== null ? stateText(c.proto, c.state) : null;
  return {
    title: titleOf(c),
    facts: [
      opener(c),
      ...natFacts(c),
      ...flagFacts(c),
      ...(state !== null ? [state] : []),
      ...timeoutFacts(c),
      ...helperFacts(c),
      ...counterFacts(c),
      ...metaFacts(c),
      ...eventFacts(c),
    ],
  };
}

// ------------------------------------------------------------------------------------------------
// expectations

function expected(t: ParsedTuple, mask: ParsedTuple | null): string {
  const anyPort = mask !== null && mask.sport === 0;
  const src = anyPort || t.sport === 0 ? `${t.src} (any source port)` : endpoint(t.src, t.sport);
  return `${src} -> ${endpoint(t.dst, t.dport)}`;
}

function explainExpect(e: ParsedExpect): Explanation {
  const proto = Object.entries({ tcp: 6, udp: 17, sctp: 132, gre: 47, udplite: 136, icmp: 1 }).find(([, n]) => n === e.protonum)?.[0] ?? `protocol ${e.protonum}`;
  const facts: string[] = [];
  const by = e.helper !== null ? `the ${e.helper} helper` : 'a helper';
  const master = e.master ? ` of the connection ${endpoint(e.master.src, e.master.sport)} -> ${endpoint(e.master.dst, e.master.dport)}` : '';
  facts.push(`An expectation registered by ${by}${master}: a new ${proto.toUpperCase()} connection ${expected(e.tuple, e.mask)} is expected within ${e.timeout} s.`);
  facts.push('When it arrives, its first packet is RELATED (rules accepting RELATED let it in), it gets its own entry, and the expectation is used up.');
  if (e.flags.includes('PERMANENT')) facts.push('PERMANENT: it stays after it has been used, for further connections.');
  if (e.flags.includes('INACTIVE')) facts.push('INACTIVE: it does not match yet.');
  if (e.flags.includes('USERSPACE')) facts.push('USERSPACE: it was created from userspace (conntrack -I expect or a userspace helper).');
  if (e.event === 'DESTROY') facts.push('[DESTROY] event: the expectation went away: used by its connection, timed out, or removed with its master.');
  if (e.event === 'NEW') facts.push('[NEW] event: the helper has just registered it.');
  return { title: `Expectation (${proto}), ${e.timeout} s left`, facts };
}

/** The explanation of one parsed entry. */
export function explainEntry(e: ParsedEntry): Explanation {
  return e.kind === 'conn' ? explainConn(e) : explainExpect(e);
}

/** Text for people: per entry a title with where it came from, the line itself, then the facts. */
export function renderExplanations(entries: readonly ParsedEntry[]): string {
  const blocks = entries.map((e, i) => {
    const x = explainEntry(e);
    const source = e.kind === 'expect' && e.event !== null ? 'conntrack -E expect' : SOURCE_NAMES[e.source];
    const where = e.line > 0 ? `line ${e.line}, ${source}` : source;
    return [`#${i + 1} (${where}): ${x.title}`, `    ${e.text.trim()}`, ...x.facts.map((f) => `  - ${f}`)].join('\n');
  });
  return blocks.length === 0 ? 'no conntrack entry in the input\n' : `${blocks.join('\n\n')}\n`;
}
