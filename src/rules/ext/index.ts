/**
 * The registry of iptables extensions: match and target names to their implementation, by
 * family. Adding an extension means adding its file and one line here.
 */
import type { Family } from '../values.js';
import { addrtypeMatch } from './addrtype.js';
import { checksumTarget } from './checksum-target.js';
import { classifyTarget } from './classify-target.js';
import { setTarget } from './set-target.js';
import { connlimitMatch } from './connlimit.js';
import { dscpTarget } from './dscp-target.js';
import { ecnMatch } from './ecn.js';
import { quotaMatch } from './quota.js';
import { statisticMatch } from './statistic.js';
import { tcpmssMatch } from './tcpmss.js';
import { hashlimitMatch } from './hashlimit.js';
import { limitMatch } from './limit.js';
import { recentMatch } from './recent.js';
import { sctpMatch } from './sctp.js';
import { setMatch } from './set.js';
import { stringMatch } from './string.js';
import { tosTarget } from './tos-target.js';
import { traceTarget } from './trace-target.js';
import { hlTargetExt, ttlTargetExt } from './ttl-target.js';
import { u32Match } from './u32.js';
import { commentMatch } from './comment.js';
import { connmarkTarget } from './connmark-target.js';
import { connlabelMatch } from './connlabel.js';
import { connmarkMatch } from './connmark.js';
import { conntrackMatch, stateMatch } from './conntrack.js';
import { ctTarget, notrackTarget } from './ct-target.js';
import { dscpMatch } from './dscp.js';
import { helperMatch } from './helper.js';
import { iprangeMatch } from './iprange.js';
import { lengthMatch } from './length.js';
import { macMatch } from './mac.js';
import { ownerMatch } from './owner.js';
import { pkttypeMatch } from './pkttype.js';
import { tosMatch } from './tos.js';
import { hlMatch, ttlMatch } from './ttl.js';
import { icmp6Match, icmpMatch } from './icmp.js';
import { logTarget } from './log-target.js';
import { markTarget } from './mark-target.js';
import { markMatch } from './mark.js';
import { multiportMatch } from './multiport.js';
import { dnatTarget, masqueradeTarget, netmapTarget, redirectTarget, snatTarget } from './nat-targets.js';
import { nflogTarget } from './nflog-target.js';
import { rejectTarget } from './reject-target.js';
import { STANDARD_TARGETS } from './standard.js';
import { tcpMatch } from './tcp.js';
import { tcpmssTarget } from './tcpmss-target.js';
import type { MatchExtension, TargetExtension } from './types.js';
import { udpMatch } from './udp.js';

const MATCHES: readonly MatchExtension[] = [
  addrtypeMatch,
  commentMatch,
  connlimitMatch,
  connlabelMatch,
  connmarkMatch,
  conntrackMatch,
  dscpMatch,
  ecnMatch,
  hashlimitMatch,
  helperMatch,
  hlMatch,
  icmpMatch,
  icmp6Match,
  iprangeMatch,
  lengthMatch,
  limitMatch,
  macMatch,
  markMatch,
  multiportMatch,
  ownerMatch,
  pkttypeMatch,
  quotaMatch,
  recentMatch,
  sctpMatch,
  setMatch,
  stateMatch,
  statisticMatch,
  stringMatch,
  tcpMatch,
  tcpmssMatch,
  tosMatch,
  ttlMatch,
  u32Match,
  udpMatch,
];

const TARGETS: readonly TargetExtension[] = [
  checksumTarget,
  classifyTarget,
  setTarget,
  connmarkTarget,
  ctTarget,
  dnatTarget,
  dscpTarget,
  hlTargetExt,
  logTarget,
  markTarget,
  masqueradeTarget,
  netmapTarget,
  nflogTarget,
  notrackTarget,
  redirectTarget,
  rejectTarget,
  snatTarget,
  tcpmssTarget,
  tosTarget,
  traceTarget,
  ttlTargetExt,
];

/** Names libxtables maps to the ICMPv6 match. */
const MATCH_ALIASES: Readonly<Record<string, string>> = { icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6' };

/** iptables 1.8.9 extensions the engine does not implement (for a precise error). */
const KNOWN_UNIMPLEMENTED_MATCHES = [
  'ah', 'bpf', 'cgroup', 'cluster', 'connbytes', 'cpu', 'dccp', 'devgroup', 'dst', 'esp', 'eui64',
  'frag', 'hbh', 'ipcomp', 'ipv6header', 'ipvs', 'mh', 'nfacct', 'osf', 'physdev', 'policy', 'rateest', 'realm',
  'rpfilter', 'rt', 'socket', 'srh', 'time',
];
const KNOWN_UNIMPLEMENTED_TARGETS = [
  'AUDIT', 'CLUSTERIP', 'CONNSECMARK', 'DNPT', 'ECN', 'HMARK', 'IDLETIMER', 'LED', 'NFQUEUE', 'QUEUE', 'RATEEST', 'SECMARK',
  'SNPT', 'SYNPROXY', 'TCPOPTSTRIP', 'TEE', 'TPROXY', 'ULOG',
];

function available<T extends { families?: readonly Family[] }>(ext: T | undefined, family: Family): T | null {
  if (ext === undefined) return null;
  return ext.families === undefined || ext.families.includes(family) ? ext : null;
}

/** The match extension `name` for `family`, or null. */
export function findMatchExtension(name: string, family: Family): MatchExtension | null {
  const real = MATCH_ALIASES[name] ?? name;
  return available(
    MATCHES.find((m) => m.name === real),
    family,
  );
}

/** The target extension `name` for `family`, or null (standard targets and chains are not extensions). */
export function findTargetExtension(name: string, family: Family): TargetExtension | null {
  return available(
    TARGETS.find((t) => t.name === name),
    family,
  );
}

/** Whether `name` is a target (standard, extension or a known one), which a chain may not be called. */
export function isKnownTarget(name: string, family: Family): boolean {
  return STANDARD_TARGETS.includes(name) || findTargetExtension(name, family) !== null || KNOWN_UNIMPLEMENTED_TARGETS.includes(name);
}

/** The error for `-m NAME` when there is no such match. */
export function unknownMatchMessage(name: string, family: Family): string {
  if (KNOWN_UNIMPLEMENTED_MATCHES.includes(name)) return `match \`${name}' is not implemented by ctkit`;
  const other = findMatchExtension(name, family === 4 ? 6 : 4);
  if (other !== null) return `Couldn't load match \`${name}': it exists for IPv${family === 4 ? 6 : 4} only`;
  return `Couldn't load match \`${name}':No such file or directory`;
}

/** The error for `-j NAME` / `-g NAME` when it is neither a target nor a user chain. */
export function unknownJumpMessage(name: string, family: Family): string {
  if (KNOWN_UNIMPLEMENTED_TARGETS.includes(name)) return `target \`${name}' is not implemented by ctkit`;
  const other = findTargetExtension(name, family === 4 ? 6 : 4);
  if (other !== null) return `Couldn't load target \`${name}': it exists for IPv${family === 4 ? 6 : 4} only`;
  return `Chain '${name}' does not exist`;
}
