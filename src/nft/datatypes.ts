/**
 * nft datatypes: how a constant of each type is written (parsed from a word or string) and
 * printed, and how long it is. Values are byte strings in network order (big-endian), the way
 * the kernel's registers hold payload; host-order kernel values (meta mark, ct state) are held
 * big-endian too, so numeric comparisons and ranges stay plain byte comparisons.
 *
 * Names follow nft 1.0.6 (`nft describe`): integer, ipv4_addr, inet_service, icmp_type, ct_state,
 * ... Symbol tables and print forms are nft's: bitmask types print as `a,b` in bit order, marks
 * as 0x%08x, ports and most integers in decimal, protocols by their /etc/protocols name.
 */
import { parseInetPton, ipv6Text, ipv4Text, parseProtocol, protocolName } from '../rules/values.js';
import { serviceToPort } from '../rules/services.js';
import { utf8Encode, utf8Decode } from '../util/utf8.js';

/** A datatype. `bytes` is the value's length; `bits` its meaningful width (for shifts, prefixes). */
export interface DType {
  readonly name: string;
  readonly bytes: number;
  readonly bits: number;
  /** Bitmask types accept `a,b` lists and print set bits as names. */
  readonly bitmask?: boolean;
  /** Value from a word / string, or an error message. */
  parse(text: string, quoted: boolean): Uint8Array | string;
  print(v: Uint8Array): string;
  /** Prefix / range printing: addresses print prefixes as `a/n`. */
  readonly prefixable?: boolean;
}

export function numBytes(n: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = n;
  for (let i = len - 1; i >= 0; i--) {
    b[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return b;
}

/** Unsigned big-endian value of up to 6 bytes (beyond that: the low 48 bits). */
export function bytesNum(b: Uint8Array, off = 0, len = b.length - off): number {
  let n = 0;
  for (let i = 0; i < len; i++) n = n * 256 + b[off + i]!;
  return n;
}

/** A C-style number: decimal, 0x hex, 0 octal (strtoull base 0). */
export function parseCNumber(text: string): number | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]+$/.test(text)) return parseInt(text, 8);
  if (/^[0-9]+$/.test(text)) return Number(text);
  return null;
}

function intParse(bytes: number, bits: number): (t: string) => Uint8Array | string {
  return (t: string) => {
    const n = parseCNumber(t);
    if (n === null) return 'Could not parse integer';
    if (n >= 2 ** bits) return `Value ${t} exceeds valid range 0-${2 ** bits - 1}`;
    return numBytes(n, bytes);
  };
}

/** A plain integer type of `bits` width. */
export function integerType(bits: number, name = 'integer', hexWidth = 0): DType {
  const bytes = Math.max(1, Math.ceil(bits / 8));
  return {
    name,
    bytes,
    bits,
    parse: intParse(bytes, bits),
    print: (v) => {
      const n = bytesNum(v);
      return hexWidth > 0 ? `0x${n.toString(16).padStart(hexWidth, '0')}` : String(n);
    },
  };
}

/**
 * ct_label: a 128-bit set of conntrack labels, written as label numbers (`5`, `3,7`; names would
 * come from connlabel.conf, which a simulated host has not). Byte i holds bits (15 - i) * 8 + 0..7.
 */
function ctLabelType(): DType {
  return {
    name: 'ct_label',
    bytes: 16,
    bits: 128,
    bitmask: true,
    parse(t) {
      const n = parseCNumber(t);
      if (n === null) return `${t}: could not parse conntrack label (label names need connlabel.conf, which ctkit has not: use numbers)`;
      if (n >= 128) return `${t}: bit ${n} out of range (128 max)`;
      const b = new Uint8Array(16);
      b[15 - (n >> 3)] = 1 << (n & 7);
      return b;
    },
    print(v) {
      const bits: number[] = [];
      for (let i = 15; i >= 0; i--) for (let k = 0; k < 8; k++) if (v[i]! & (1 << k)) bits.push((15 - i) * 8 + k);
      return bits.length ? bits.join(',') : '0';
    },
  };
}

type SymTab = readonly (readonly [string, number])[];

/** An integer type with symbolic names (first name of a value is the one printed). */
function symbolType(name: string, bits: number, syms: SymTab, opts: { hex?: boolean; fallback?: (t: string) => number | null; printer?: (n: number) => string } = {}): DType {
  const bytes = Math.max(1, Math.ceil(bits / 8));
  return {
    name,
    bytes,
    bits,
    parse(t) {
      const s = syms.find(([n]) => n === t);
      if (s) return numBytes(s[1], bytes);
      const n = parseCNumber(t) ?? opts.fallback?.(t) ?? null;
      if (n === null) return `Could not parse ${name.replace(/_/g, ' ')}`;
      if (n >= 2 ** bits) return `Value ${t} exceeds valid range 0-${2 ** bits - 1}`;
      return numBytes(n, bytes);
    },
    print(v) {
      const n = bytesNum(v);
      const s = syms.find(([, x]) => x === n);
      if (s) return s[0];
      if (opts.printer) return opts.printer(n);
      return opts.hex ? `0x${n.toString(16)}` : String(n);
    },
  };
}

/** A bitmask type: symbols are single bits; values print as `a,b` in bit order. */
function bitmaskType(name: string, bits: number, syms: SymTab): DType {
  const base = symbolType(name, bits, syms, { hex: true });
  return {
    ...base,
    bitmask: true,
    print(v) {
      const n = bytesNum(v);
      if (n === 0) {
        const z = syms.find(([, x]) => x === 0);
        return z ? z[0] : '0x0';
      }
      const parts: string[] = [];
      let rest = n;
      for (let bit = 0; bit < bits; bit++) {
        const m = 2 ** bit;
        if (Math.floor(n / m) % 2 === 1) {
          const s = syms.find(([, x]) => x === m);
          if (s) {
            parts.push(s[0]);
            rest -= m;
          }
        }
      }
      if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
      return parts.join(',');
    },
  };
}

const ipv4Addr: DType = {
  name: 'ipv4_addr',
  bytes: 4,
  bits: 32,
  prefixable: true,
  parse(t) {
    const a = parseInetPton(4, t);
    if (a === null) return `Could not resolve hostname: Name or service not known`;
    return numBytes(a[0]!, 4);
  },
  print: (v) => ipv4Text(bytesNum(v)),
};

const ipv6Addr: DType = {
  name: 'ipv6_addr',
  bytes: 16,
  bits: 128,
  prefixable: true,
  parse(t) {
    const s = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
    const a = parseInetPton(6, s);
    if (a === null) return `Could not resolve hostname: Name or service not known`;
    const b = new Uint8Array(16);
    for (let i = 0; i < 4; i++) b.set(numBytes(a[i]!, 4), i * 4);
    return b;
  },
  print(v) {
    const w = new Uint32Array(4);
    for (let i = 0; i < 4; i++) w[i] = bytesNum(v, i * 4, 4);
    return ipv6Text(w);
  },
};

const etherAddr: DType = {
  name: 'ether_addr',
  bytes: 6,
  bits: 48,
  parse(t) {
    const parts = t.split(':');
    if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return 'Could not parse ether_addr';
    return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
  },
  print: (v) => Array.from(v, (x) => x.toString(16).padStart(2, '0')).join(':'),
};

/** A NUL-padded string of `bytes` (ifname: IFNAMSIZ 16). A trailing `*` is a prefix wildcard. */
export function stringType(name: string, bytes: number): DType {
  return {
    name,
    bytes,
    bits: bytes * 8,
    parse(t) {
      const enc = utf8Encode(t);
      if (enc.length >= bytes) return `String exceeds maximum length of ${bytes - 1}`;
      const b = new Uint8Array(bytes);
      b.set(enc);
      return b;
    },
    print(v) {
      let end = v.indexOf(0);
      if (end < 0) end = v.length;
      return `"${utf8Decode(v, 0, end)}"`;
    },
  };
}

const inetProto: DType = {
  name: 'inet_proto',
  bytes: 1,
  bits: 8,
  parse(t) {
    const n = parseCNumber(t) ?? (t === 'icmpv6' ? 58 : parseProtocol(t));
    if (n === null) return `Could not resolve protocol name`;
    if (n > 255) return `Value ${t} exceeds valid range 0-255`;
    return numBytes(n, 1);
  },
  print(v) {
    const n = v[0]!;
    if (n === 0) return 'ip';
    return protocolName(n) === 'icmpv6' ? 'ipv6-icmp' : (protocolName(n) ?? String(n));
  },
};

const inetService: DType = {
  name: 'inet_service',
  bytes: 2,
  bits: 16,
  parse(t) {
    const n = parseCNumber(t) ?? (() => {
      const p = serviceToPort(t, null);
      return p < 0 ? null : p;
    })();
    if (n === null) return `Could not resolve service: Servname not supported for ai_socktype`;
    if (n > 65535) return `Value ${t} exceeds valid range 0-65535`;
    return numBytes(n, 2);
  },
  print: (v) => String(bytesNum(v)),
};

/** Time in milliseconds (ct expiration, set timeouts): `1h2m3s4ms` or a number of seconds. */
export function parseTime(t: string): number | null {
  if (/^[0-9]+$/.test(t)) return Number(t) * 1000;
  const re = /([0-9]+)(ms|d|h|m|s)/gy;
  let ms = 0;
  let pos = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    const n = Number(m[1]);
    ms += n * ({ d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 } as Record<string, number>)[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === t.length && pos > 0 ? ms : null;
}

/** nft's time_print: `1d2h3m4s5ms`, largest units first, zero parts left out. */
export function timeText(ms: number): string {
  if (ms === 0) return '0s';
  let s = '';
  let rest = ms;
  for (const [unit, n] of [['d', 86400000], ['h', 3600000], ['m', 60000], ['s', 1000]] as const) {
    const q = Math.floor(rest / n);
    if (q > 0) s += `${q}${unit}`;
    rest -= q * n;
  }
  if (rest > 0) s += `${rest}ms`;
  return s;
}

const timeType: DType = {
  name: 'time',
  bytes: 4,
  bits: 32,
  parse(t) {
    const ms = parseTime(t);
    if (ms === null) return 'Wrong time format';
    return numBytes(ms, 4);
  },
  print: (v) => timeText(bytesNum(v)),
};

const verdictType: DType = {
  name: 'verdict',
  bytes: 4,
  bits: 32,
  parse: () => 'verdicts are written as accept, drop, jump CHAIN, ...',
  print: () => '',
};

export const ICMP_TYPES: SymTab = [
  ['echo-reply', 0], ['destination-unreachable', 3], ['source-quench', 4], ['redirect', 5], ['echo-request', 8],
  ['router-advertisement', 9], ['router-solicitation', 10], ['time-exceeded', 11], ['parameter-problem', 12],
  ['timestamp-request', 13], ['timestamp-reply', 14], ['info-request', 15], ['info-reply', 16],
  ['address-mask-request', 17], ['address-mask-reply', 18],
];
export const ICMPV6_TYPES: SymTab = [
  ['destination-unreachable', 1], ['packet-too-big', 2], ['time-exceeded', 3], ['parameter-problem', 4],
  ['echo-request', 128], ['echo-reply', 129], ['mld-listener-query', 130], ['mld-listener-report', 131],
  ['mld-listener-done', 132], ['mld-listener-reduction', 132], ['nd-router-solicit', 133], ['nd-router-advert', 134],
  ['nd-neighbor-solicit', 135], ['nd-neighbor-advert', 136], ['nd-redirect', 137], ['router-renumbering', 138],
  ['ind-neighbor-solicit', 141], ['ind-neighbor-advert', 142], ['mld2-listener-report', 143],
];
export const ICMP_CODES: SymTab = [
  ['net-unreachable', 0], ['host-unreachable', 1], ['prot-unreachable', 2], ['port-unreachable', 3],
  ['frag-needed', 4], ['net-prohibited', 9], ['host-prohibited', 10], ['admin-prohibited', 13],
];
export const ICMPV6_CODES: SymTab = [
  ['no-route', 0], ['admin-prohibited', 1], ['addr-unreachable', 3], ['port-unreachable', 4],
  ['policy-fail', 5], ['reject-route', 6],
];
export const ICMPX_CODES: SymTab = [
  ['no-route', 0], ['port-unreachable', 1], ['host-unreachable', 2], ['admin-prohibited', 3],
];
const TCP_FLAGS: SymTab = [
  ['fin', 1], ['syn', 2], ['rst', 4], ['psh', 8], ['ack', 16], ['urg', 32], ['ecn', 64], ['cwr', 128],
];
const CT_STATES: SymTab = [['invalid', 1], ['established', 2], ['related', 4], ['new', 8], ['untracked', 64]];
const CT_STATUS: SymTab = [
  ['expected', 1], ['seen-reply', 2], ['assured', 4], ['confirmed', 8], ['snat', 16], ['dnat', 32], ['dying', 512],
];
const CT_DIR: SymTab = [['original', 0], ['reply', 1]];
const NF_PROTO: SymTab = [['ipv4', 2], ['ipv6', 10]];
const ETHER_TYPES: SymTab = [
  ['ip', 0x0800], ['arp', 0x0806], ['ip6', 0x86dd], ['8021q', 0x8100], ['8021ad', 0x88a8], ['vlan', 0x8100],
];
const PKT_TYPES: SymTab = [['host', 0], ['unicast', 0], ['broadcast', 1], ['multicast', 2], ['other', 3]];
const IFACE_TYPES: SymTab = [
  ['ether', 1], ['ppp', 512], ['ipip', 768], ['ipip6', 769], ['loopback', 772], ['sit', 776], ['ipgre', 778],
];
const DSCP: SymTab = [
  ['cs0', 0], ['cs1', 8], ['cs2', 16], ['cs3', 24], ['cs4', 32], ['cs5', 40], ['cs6', 48], ['cs7', 56], ['df', 0],
  ['be', 0], ['lephb', 1], ['af11', 10], ['af12', 12], ['af13', 14], ['af21', 18], ['af22', 20], ['af23', 22],
  ['af31', 26], ['af32', 28], ['af33', 30], ['af41', 34], ['af42', 36], ['af43', 38], ['va', 44], ['ef', 46],
];
const ECN: SymTab = [['not-ect', 0], ['ect1', 1], ['ect0', 2], ['ce', 3]];
const FIB_ADDR: SymTab = [
  ['unspec', 0], ['unicast', 1], ['local', 2], ['broadcast', 3], ['anycast', 4], ['multicast', 5],
  ['blackhole', 6], ['unreachable', 7], ['prohibit', 8],
];
const ARP_OPS: SymTab = [
  ['request', 1], ['reply', 2], ['rrequest', 3], ['rreply', 4], ['inrequest', 8], ['inreply', 9], ['nak', 10],
];
const BOOLEAN: SymTab = [['exists', 1], ['missing', 0], ['true', 1], ['false', 0]];
const DCCP_TYPES: SymTab = [
  ['request', 0], ['response', 1], ['data', 2], ['ack', 3], ['dataack', 4], ['closereq', 5], ['close', 6],
  ['reset', 7], ['sync', 8], ['syncack', 9],
];
const IGMP_TYPES: SymTab = [
  ['membership-query', 0x11], ['membership-report-v1', 0x12], ['membership-report-v2', 0x16],
  ['membership-report-v3', 0x22], ['leave-group', 0x17],
];
const CT_EVENTS: SymTab = [
  ['new', 1], ['related', 2], ['destroy', 4], ['reply', 8], ['assured', 16], ['protoinfo', 32], ['helper', 64],
  ['mark', 128], ['seqadj', 256], ['secmark', 512], ['label', 1024],
];

function uidType(name: string): DType {
  return integerType(32, name);
}

/** Every named datatype (for `type` of sets and for selectors). */
export const T = {
  integer: integerType(32),
  ipv4_addr: ipv4Addr,
  ipv6_addr: ipv6Addr,
  ether_addr: etherAddr,
  inet_proto: inetProto,
  inet_service: inetService,
  icmp_type: symbolType('icmp_type', 8, ICMP_TYPES),
  icmpv6_type: symbolType('icmpv6_type', 8, ICMPV6_TYPES),
  icmp_code: symbolType('icmp_code', 8, ICMP_CODES),
  icmpv6_code: symbolType('icmpv6_code', 8, ICMPV6_CODES),
  icmpx_code: symbolType('icmpx_code', 8, ICMPX_CODES),
  tcp_flag: bitmaskType('tcp_flag', 8, TCP_FLAGS),
  ct_state: bitmaskType('ct_state', 32, CT_STATES),
  ct_status: bitmaskType('ct_status', 32, CT_STATUS),
  ct_dir: symbolType('ct_dir', 8, CT_DIR),
  ct_event: bitmaskType('ct_event', 32, CT_EVENTS),
  nf_proto: symbolType('nf_proto', 8, NF_PROTO),
  ether_type: symbolType('ether_type', 16, ETHER_TYPES, { hex: true }),
  arp_op: symbolType('arp_op', 16, ARP_OPS),
  mark: integerType(32, 'mark', 8),
  time: timeType,
  pkt_type: symbolType('pkt_type', 8, PKT_TYPES),
  iface_type: symbolType('iface_type', 16, IFACE_TYPES),
  ifname: stringType('ifname', 16),
  iface_index: stringType('iface_index', 16),
  string: stringType('string', 16),
  ct_label: ctLabelType(),
  dscp: symbolType('dscp', 6, DSCP, { printer: (n) => `0x${n.toString(16).padStart(2, '0')}` }),
  ecn: symbolType('ecn', 2, ECN, { hex: true }),
  fib_addr: symbolType('fib_addrtype', 32, FIB_ADDR),
  boolean: symbolType('boolean', 1, BOOLEAN),
  uid: uidType('uid'),
  gid: uidType('gid'),
  realm: integerType(32, 'realm'),
  classid: integerType(32, 'classid'),
  // iproute2's /usr/share/iproute2/group names group 0 `default`, and nft prints it so
  devgroup: symbolType('devgroup', 32, [['default', 0]]),
  dccp_pkttype: symbolType('dccp_pkttype', 4, DCCP_TYPES),
  igmp_type: symbolType('igmp_type', 8, IGMP_TYPES),
  cgroupsv2: integerType(64, 'cgroupsv2'),
  verdict: verdictType,
} as const;

/** Types a set declaration may name (`type ipv4_addr . inet_service`). */
export function namedType(name: string): DType | null {
  return (T as Record<string, DType>)[name] ?? null;
}

/** A sub-width integer type for bit fields (ip hdrlength, ...). */
export function bitsType(bits: number): DType {
  return integerType(bits);
}
