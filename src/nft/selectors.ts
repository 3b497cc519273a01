/**
 * The expressions that read something of the packet or its connection: payload fields
 * (`ip saddr`, `tcp dport`, `@th,16,16`), meta keys (`meta mark`, `iifname`), ct keys
 * (`ct state`, `ct original saddr`). Each becomes a Selector: its canonical text, datatype and
 * length, and a loader that writes the value big-endian into a register buffer, or says that the
 * rule breaks (a missing header, no connection), exactly where the kernel's expression sets
 * NFT_BREAK.
 *
 * Payload of a protocol carries its dependency inside the loader, as the `meta nfproto` /
 * `meta l4proto` test nft generates in front of it: `tcp dport` breaks for anything but a TCP
 * packet with its header present (not a later fragment).
 */
import { CtStatus, type PacketContext } from '../netfilter/context.js';
import { Unsupported } from '../netfilter/pipeline.js';
import { packetTypeOf } from '../rules/ext/pkttype.js';
import { type DType, T, bitsType, integerType } from './datatypes.js';

export type Base = 'll' | 'nh' | 'th';

export interface Selector {
  /** Canonical text (`tcp dport`, `meta mark`, `ct original saddr`). */
  readonly text: string;
  readonly type: DType;
  /** Value length in bytes. */
  readonly bytes: number;
  /** Value width in bits (bit fields), for prefixes and masks. */
  readonly bits: number;
  /** Writes the value into buf[off..off+bytes), false when the expression breaks. */
  load(ctx: PacketContext, buf: Uint8Array, off: number): boolean;
  /** The value as a number (bytes <= 4), -1 when it breaks. */
  readonly num: ((ctx: PacketContext) => number) | null;
  /** For payload: the protocol it belongs to (`tcp`, `ip`), for dependency printing. */
  readonly proto?: string;
  /** Protocol dependency nft adds: l4 protocol number, or family 4/6. */
  readonly l4?: number;
  readonly family?: 4 | 6;
  /** For payload: base and bit offset / width, for mangling. */
  readonly payload?: { base: Base; offset: number; len: number };
  /** meta / ct keys that statements may set. */
  readonly key?: string;
}

function numLoader(num: (ctx: PacketContext) => number, bytes: number): Selector['load'] {
  return (ctx, buf, off) => {
    const n = num(ctx);
    if (n < 0) return false;
    let x = n;
    for (let i = bytes - 1; i >= 0; i--) {
      buf[off + i] = x & 0xff;
      x = Math.floor(x / 256);
    }
    return true;
  };
}

function numSelector(text: string, type: DType, num: (ctx: PacketContext) => number, extra: Partial<Selector> = {}): Selector {
  return { text, type, bytes: type.bytes, bits: type.bits, num, load: numLoader(num, type.bytes), ...extra };
}

function bytesSelector(text: string, type: DType, load: Selector['load'], extra: Partial<Selector> = {}): Selector {
  return { text, type, bytes: type.bytes, bits: type.bits, num: null, load, ...extra };
}

// ---------------------------------------------------------------------------------------------
// payload

interface ProtoDef {
  readonly base: Base;
  readonly family?: 4 | 6;
  readonly l4?: number;
  readonly fields: Readonly<Record<string, readonly [number, number, DType]>>;
}

const PORTS = { sport: [0, 16, T.inet_service], dport: [16, 16, T.inet_service] } as const;

export const PROTOCOLS: Readonly<Record<string, ProtoDef>> = {
  ip: {
    base: 'nh',
    family: 4,
    fields: {
      version: [0, 4, bitsType(4)], hdrlength: [4, 4, bitsType(4)], dscp: [8, 6, T.dscp], ecn: [14, 2, T.ecn],
      length: [16, 16, integerType(16)], id: [32, 16, integerType(16)], 'frag-off': [48, 16, integerType(16)],
      ttl: [64, 8, integerType(8)], protocol: [72, 8, T.inet_proto], checksum: [80, 16, integerType(16)],
      saddr: [96, 32, T.ipv4_addr], daddr: [128, 32, T.ipv4_addr],
    },
  },
  ip6: {
    base: 'nh',
    family: 6,
    fields: {
      version: [0, 4, bitsType(4)], dscp: [4, 6, T.dscp], ecn: [10, 2, T.ecn], flowlabel: [12, 20, bitsType(20)],
      length: [32, 16, integerType(16)], nexthdr: [48, 8, T.inet_proto], hoplimit: [56, 8, integerType(8)],
      saddr: [64, 128, T.ipv6_addr], daddr: [192, 128, T.ipv6_addr],
    },
  },
  tcp: {
    base: 'th',
    l4: 6,
    fields: {
      ...PORTS, sequence: [32, 32, integerType(32)], ackseq: [64, 32, integerType(32)], doff: [96, 4, bitsType(4)],
      reserved: [100, 4, bitsType(4)], flags: [104, 8, T.tcp_flag], window: [112, 16, integerType(16)],
      checksum: [128, 16, integerType(16)], urgptr: [144, 16, integerType(16)],
    },
  },
  udp: { base: 'th', l4: 17, fields: { ...PORTS, length: [32, 16, integerType(16)], checksum: [48, 16, integerType(16)] } },
  udplite: { base: 'th', l4: 136, fields: { ...PORTS, csumcov: [32, 16, integerType(16)], checksum: [48, 16, integerType(16)] } },
  sctp: { base: 'th', l4: 132, fields: { ...PORTS, vtag: [32, 32, integerType(32)], checksum: [64, 32, integerType(32)] } },
  dccp: { base: 'th', l4: 33, fields: { ...PORTS, type: [67, 4, T.dccp_pkttype] } },
  icmp: {
    base: 'th',
    l4: 1,
    fields: {
      type: [0, 8, T.icmp_type], code: [8, 8, T.icmp_code], checksum: [16, 16, integerType(16)], id: [32, 16, integerType(16)],
      sequence: [48, 16, integerType(16)], gateway: [32, 32, T.ipv4_addr], mtu: [48, 16, integerType(16)],
    },
  },
  icmpv6: {
    base: 'th',
    l4: 58,
    fields: {
      type: [0, 8, T.icmpv6_type], code: [8, 8, T.icmpv6_code], checksum: [16, 16, integerType(16)],
      'parameter-problem': [32, 32, integerType(32)], mtu: [32, 32, integerType(32)], id: [32, 16, integerType(16)],
      sequence: [48, 16, integerType(16)], 'max-delay': [32, 16, integerType(16)],
    },
  },
  igmp: {
    base: 'th',
    l4: 2,
    fields: { type: [0, 8, T.igmp_type], mrt: [8, 8, integerType(8)], checksum: [16, 16, integerType(16)], group: [32, 32, T.ipv4_addr] },
  },
  esp: { base: 'th', l4: 50, fields: { spi: [0, 32, integerType(32)], sequence: [32, 32, integerType(32)] } },
  ah: {
    base: 'th',
    l4: 51,
    fields: {
      nexthdr: [0, 8, T.inet_proto], hdrlength: [8, 8, integerType(8)], reserved: [16, 16, integerType(16)],
      spi: [32, 32, integerType(32)], sequence: [64, 32, integerType(32)],
    },
  },
  comp: { base: 'th', l4: 108, fields: { nexthdr: [0, 8, T.inet_proto], flags: [8, 8, integerType(8)], cpi: [16, 16, integerType(16)] } },
  th: { base: 'th', fields: { ...PORTS } },
  ether: { base: 'll', fields: { daddr: [0, 48, T.ether_addr], saddr: [48, 48, T.ether_addr], type: [96, 16, T.ether_type] } },
  vlan: {
    base: 'll',
    fields: { pcp: [112, 3, bitsType(3)], dei: [115, 1, bitsType(1)], cfi: [115, 1, bitsType(1)], id: [116, 12, bitsType(12)], type: [128, 16, T.ether_type] },
  },
  arp: {
    base: 'nh',
    fields: {
      htype: [0, 16, integerType(16)], ptype: [16, 16, T.ether_type], hlen: [32, 8, integerType(8)], plen: [40, 8, integerType(8)],
      operation: [48, 16, T.arp_op],
      // Ethernet / IPv4 ARP (nft's `arp saddr ip`, ...): the sender's and target's addresses
      'saddr ether': [64, 48, T.ether_addr], 'saddr ip': [112, 32, T.ipv4_addr],
      'daddr ether': [144, 48, T.ether_addr], 'daddr ip': [192, 32, T.ipv4_addr],
    },
  },
};

/** Start of a payload base in the packet, -1 when absent (and so the expression breaks). */
function baseOffset(ctx: PacketContext, base: Base): number {
  const pkt = ctx.pkt;
  if (base === 'nh') return pkt.l3Off;
  if (base === 'th') return pkt.fragOffset !== 0 ? -1 : pkt.l4Off;
  // netdev / arp hooks of a frame ctkit has no link-layer header of (netfilter/netdev.ts)
  if (ctx.llMissing) throw new Unsupported(`${ctx.llMissing}`);
  return pkt.linktype === 1 ? pkt.l2Off : -1;
}

function depOk(ctx: PacketContext, family: 4 | 6 | undefined, l4: number | undefined): boolean {
  if (family !== undefined && ctx.pkt.family !== family) return false;
  return l4 === undefined || ctx.pkt.proto === l4;
}

/** A payload field as a selector; `proto`/`text` name it for listings. */
export function payloadSelector(text: string, proto: string, base: Base, offset: number, len: number, type: DType, family?: 4 | 6, l4?: number): Selector {
  const bytes = len % 8 === 0 && offset % 8 === 0 ? len / 8 : Math.ceil(len / 8);
  const byteOff = Math.floor(offset / 8);
  const extra: Partial<Selector> = { proto, l4, family, payload: { base, offset, len } };
  if (offset % 8 === 0 && len % 8 === 0) {
    const load: Selector['load'] = (ctx, buf, off) => {
      if (!depOk(ctx, family, l4)) return false;
      const b = baseOffset(ctx, base);
      if (b < 0 || b + byteOff + bytes > ctx.pkt.ipEnd) return false;
      buf.set(ctx.pkt.buf.subarray(b + byteOff, b + byteOff + bytes), off);
      return true;
    };
    if (bytes > 4) return { text, type, bytes, bits: len, num: null, load, ...extra };
    const num = (ctx: PacketContext): number => {
      if (!depOk(ctx, family, l4)) return -1;
      const b = baseOffset(ctx, base);
      if (b < 0 || b + byteOff + bytes > ctx.pkt.ipEnd) return -1;
      const p = ctx.pkt.buf;
      let n = 0;
      for (let i = 0; i < bytes; i++) n = n * 256 + p[b + byteOff + i]!;
      return n;
    };
    return { text, type, bytes, bits: len, num, load, ...extra };
  }
  // A bit field: read the bytes that span it, shift and mask.
  const span = Math.ceil((offset % 8 + len) / 8);
  const shift = span * 8 - (offset % 8) - len;
  const mask = 2 ** len - 1;
  const num = (ctx: PacketContext): number => {
    if (!depOk(ctx, family, l4)) return -1;
    const b = baseOffset(ctx, base);
    if (b < 0 || b + byteOff + span > ctx.pkt.ipEnd) return -1;
    const p = ctx.pkt.buf;
    let n = 0;
    for (let i = 0; i < span; i++) n = n * 256 + p[b + byteOff + i]!;
    return Math.floor(n / 2 ** shift) & mask;
  };
  return { text, type, bytes: type.bytes, bits: len, num, load: numLoader(num, type.bytes), ...extra };
}

/** `PROTO FIELD`, or null when there is no such field. */
export function payloadField(proto: string, field: string): Selector | null {
  const def = PROTOCOLS[proto];
  const f = def?.fields[field];
  if (!def || !f) return null;
  return payloadSelector(`${proto} ${field}`, proto, def.base, f[0], f[1], f[2], def.family, def.l4);
}

/** Raw payload `@base,offset,length`. */
export function rawPayload(base: Base, offset: number, len: number): Selector {
  const name = base === 'll' ? 'll' : base === 'nh' ? 'nh' : 'th';
  return payloadSelector(`@${name},${offset},${len}`, '', base, offset, len, integerType(len));
}

// ---------------------------------------------------------------------------------------------
// meta

const ETH_P = { 4: 0x0800, 6: 0x86dd } as const;
const NFPROTO = { 4: 2, 6: 10 } as const;

function ifaceLoad(get: (ctx: PacketContext) => string | null): Selector['load'] {
  return (ctx, buf, off) => {
    const name = get(ctx);
    if (name === null) return false;
    buf.fill(0, off, off + 16);
    for (let i = 0; i < name.length && i < 15; i++) buf[off + i] = name.charCodeAt(i);
    return true;
  };
}

function ifaceType(name: string | null): number {
  if (name === null) return -1;
  return name === 'lo' ? 772 : 1;
}

/** meta keys: [type, loader (number) or iface getter]. */
const META: Readonly<Record<string, () => Selector>> = {
  length: () => numSelector('meta length', integerType(32), (ctx) => ctx.pkt.ipEnd - ctx.pkt.l3Off + (ctx.llLen ?? 0)),
  // skb->protocol: the frame's ethertype at the netdev / arp hooks (ARP there), else the family's
  protocol: () => numSelector('meta protocol', T.ether_type, (ctx) => (ctx.pkt.family === 0 ? ctx.pkt.ethertype || -1 : ETH_P[ctx.family])),
  nfproto: () => numSelector('meta nfproto', T.nf_proto, (ctx) => NFPROTO[ctx.family]),
  l4proto: () => numSelector('meta l4proto', T.inet_proto, (ctx) => (ctx.pkt.proto < 0 ? -1 : ctx.pkt.proto)),
  mark: () => numSelector('meta mark', T.mark, (ctx) => ctx.mark >>> 0, { key: 'mark' }),
  secmark: () => numSelector('meta secmark', integerType(32), (ctx) => (ctx.secmark ?? 0) >>> 0, { key: 'secmark' }),
  priority: () => numSelector('meta priority', T.classid, (ctx) => (ctx.priority ?? 0) >>> 0, { key: 'priority' }),
  iif: () => bytesSelector('iif', T.iface_index, ifaceLoad((c) => c.iif)),
  oif: () => bytesSelector('oif', T.iface_index, ifaceLoad((c) => c.oif)),
  iifname: () => bytesSelector('iifname', T.ifname, ifaceLoad((c) => c.iif)),
  oifname: () => bytesSelector('oifname', T.ifname, ifaceLoad((c) => c.oif)),
  iiftype: () => numSelector('meta iiftype', T.iface_type, (ctx) => ifaceType(ctx.iif)),
  oiftype: () => numSelector('meta oiftype', T.iface_type, (ctx) => ifaceType(ctx.oif)),
  skuid: () => numSelector('meta skuid', T.uid, (ctx) => (ctx.sock ? ctx.sock.uid : -1)),
  skgid: () => numSelector('meta skgid', T.gid, (ctx) => (ctx.sock ? ctx.sock.gid : -1)),
  nftrace: () => numSelector('meta nftrace', integerType(1), (ctx) => (ctx.nfTrace ? 1 : 0), { key: 'nftrace' }),
  pkttype: () => numSelector('meta pkttype', T.pkt_type, (ctx) => ctx.pktType ?? packetTypeOf(ctx.pkt), { key: 'pkttype' }),
  iifgroup: () => numSelector('meta iifgroup', T.devgroup, (ctx) => (ctx.iif === null ? -1 : 0)),
  oifgroup: () => numSelector('meta oifgroup', T.devgroup, (ctx) => (ctx.oif === null ? -1 : 0)),
  cpu: () => numSelector('meta cpu', integerType(32), () => 0),
  rtclassid: () => numSelector('meta rtclassid', T.realm, () => 0),
  secpath: () => numSelector('meta ipsec', T.boolean, () => 0),
  ipsec: () => numSelector('meta ipsec', T.boolean, () => 0),
};

/** Keys that may be written without `meta` (nft's unqualified meta keys). */
export const UNQUALIFIED_META = new Set(['mark', 'iif', 'oif', 'iifname', 'oifname', 'iiftype', 'oiftype', 'skuid', 'skgid', 'nftrace', 'rtclassid', 'priority', 'pkttype', 'cpu', 'iifgroup', 'oifgroup', 'ipsec']);

/** Meta keys nft knows but this engine cannot evaluate (no clock source, no cgroups, ...). */
export const UNSUPPORTED_META = new Set(['random', 'cgroup', 'time', 'day', 'hour', 'sdif', 'sdifname', 'ibrname', 'obrname', 'ibrpvid', 'ibrvproto', 'ibriport', 'obriport', 'broute']);

export function metaSelector(key: string): Selector | null {
  const f = META[key];
  return f ? f() : null;
}

// ---------------------------------------------------------------------------------------------
// ct

function ctNum(text: string, type: DType, get: (ctx: PacketContext) => number, key?: string): Selector {
  return numSelector(text, type, get, key ? { key } : {});
}

const CT: Readonly<Record<string, () => Selector>> = {
  state: () => ctNum('ct state', T.ct_state, (ctx) => ctx.ctState),
  direction: () => ctNum('ct direction', T.ct_dir, (ctx) => (ctx.ct ? ctx.ctDir : -1)),
  status: () => ctNum('ct status', T.ct_status, (ctx) => (ctx.ct ? ctx.ct.status >>> 0 : -1)),
  mark: () => ctNum('ct mark', T.mark, (ctx) => (ctx.ct ? ctx.ct.mark >>> 0 : -1), 'mark'),
  secmark: () => ctNum('ct secmark', integerType(32), (ctx) => (ctx.ct ? ((ctx.ct as { secmark?: number }).secmark ?? 0) >>> 0 : -1), 'secmark'),
  zone: () => ctNum('ct zone', integerType(16), (ctx) => (ctx.ct ? ctx.ct.zone : -1), 'zone'),
  expiration: () =>
    // nf_ct_expires: 0 for an unconfirmed entry (its timeout has not started yet).
    ctNum('ct expiration', T.time, (ctx) => (ctx.ct ? ((ctx.ct.status & CtStatus.CONFIRMED) === 0 ? 0 : Math.max(0, Math.round((ctx.ct.expiresAt - ctx.now) * 1000))) : -1)),
  l3proto: () => ctNum('ct l3proto', T.nf_proto, (ctx) => (ctx.ct ? NFPROTO[ctx.ct.orig.family] : -1)),
  protocol: () => ctNum('ct protocol', T.inet_proto, (ctx) => (ctx.ct ? ctx.ct.orig.proto : -1)),
  helper: () =>
    bytesSelector('ct helper', T.string, (ctx, buf, off) => {
      const h = ctx.ct?.helperName ?? null;
      if (h === null) return false;
      buf.fill(0, off, off + 16);
      for (let i = 0; i < h.length && i < 15; i++) buf[off + i] = h.charCodeAt(i);
      return true;
    }),
  label: () =>
    bytesSelector(
      'ct label',
      T.ct_label,
      (ctx, buf, off) => {
        if (!ctx.ct) return false;
        // bit n of the label set is bit n of a 128-bit little-endian bitmap; held here big-endian
        for (let i = 0; i < 16; i++) {
          const bit0 = (15 - i) * 8;
          buf[off + i] = (ctx.ct.labels[bit0 >>> 5]! >>> (bit0 & 31)) & 0xff;
        }
        return true;
      },
      { key: 'label' },
    ),
};

/** `ct [original|reply] KEY` for direction-specific keys (saddr, daddr, proto-src, proto-dst, protocol, l3proto). */
function ctTupleSelector(dir: 0 | 1 | null, key: string, family: 4 | 6 | 0): Selector | null {
  const dirText = dir === null ? '' : dir === 0 ? 'original ' : 'reply ';
  const tuple = (ctx: PacketContext) => {
    const ct = ctx.ct;
    if (!ct) return null;
    return (dir ?? ctx.ctDir) === 0 ? ct.orig : ct.reply;
  };
  if (key === 'saddr' || key === 'daddr') {
    const type = family === 6 ? T.ipv6_addr : T.ipv4_addr;
    const fam = family === 0 ? 4 : family;
    const which = key === 'saddr' ? 'src' : 'dst';
    const text = `ct ${dirText}${family === 0 ? '' : family === 4 ? 'ip ' : 'ip6 '}${key}`;
    return bytesSelector(text, type, (ctx, buf, off) => {
      const t = tuple(ctx);
      if (t === null || t.family !== fam) return false;
      const a = t[which];
      const words = fam === 4 ? 1 : 4;
      for (let i = 0; i < words; i++) {
        const w = a[i]!;
        buf[off + i * 4] = w >>> 24;
        buf[off + i * 4 + 1] = (w >>> 16) & 255;
        buf[off + i * 4 + 2] = (w >>> 8) & 255;
        buf[off + i * 4 + 3] = w & 255;
      }
      return true;
    });
  }
  if (key === 'proto-src' || key === 'proto-dst') {
    const text = `ct ${dirText}${key}`;
    return numSelector(text, T.inet_service, (ctx) => {
      const t = tuple(ctx);
      if (t === null) return -1;
      return key === 'proto-src' ? t.sport : t.dport;
    });
  }
  return null;
}

/** `ct KEY`, `ct original|reply KEY`; `family` qualifies addresses (`ct original ip saddr`), 0 = from the table. */
export function ctSelector(dir: 0 | 1 | null, key: string, family: 4 | 6 | 0): Selector | null {
  const t = ctTupleSelector(dir, key, family);
  if (t) return t;
  if (dir !== null && (key === 'protocol' || key === 'l3proto')) {
    const base = CT[key]!();
    return { ...base, text: `ct ${dir === 0 ? 'original' : 'reply'} ${key}` };
  }
  if (dir !== null && key === 'zone') {
    // nft_ct_get_eval: the zone id of that direction; `ct original zone set` makes a zone for one direction.
    return ctNum(`ct ${dir === 0 ? 'original' : 'reply'} zone`, integerType(16), (ctx) => (ctx.ct ? ctx.ct.zoneOf(dir) : -1), dir === 0 ? 'zone-orig' : 'zone-reply');
  }
  if (dir !== null) return null;
  const f = CT[key];
  return f ? f() : null;
}

/** ct keys nft knows that this engine does not evaluate. */
export const UNSUPPORTED_CT = new Set(['bytes', 'packets', 'avgpkt', 'id', 'event', 'expectation', 'timeout']);
