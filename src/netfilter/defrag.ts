/**
 * Reassembly before conntrack (nf_defrag_ipv4 / nf_defrag_ipv6) and refragmentation on output.
 *
 * Fragments are queued by (family, source, destination, id, protocol, zone) until the datagram is
 * complete; overlapping fragments, a datagram over 65535 bytes, or fragments whose lengths
 * contradict each other discard the whole queue (as Linux does since RFC 5722 / 2018). A queue
 * lives `timeout` seconds (ipfrag_time 30, nf_conntrack_frag6_timeout 60); conntrack's own queues
 * send no "reassembly time exceeded". The reassembled datagram remembers the largest fragment it
 * came from and the original boundaries, so the output path can cut it again as ip_do_fragment
 * does (the original geometry when it fits the MTU, else mtu-sized pieces).
 */
import { fillIpv4HeaderChecksum, put16, put32 } from '../packet/checksum.js';
import type { PacketView } from '../packet/view.js';

interface Piece {
  start: number;
  end: number;
  data: Uint8Array;
}

interface Queue {
  first: Uint8Array | null; // header bytes (IPv4 header, or IPv6 unfragmentable part) of the offset-0 fragment
  firstNext: number; // IPv6: next header of the fragmentable part
  pieces: Piece[];
  total: number; // -1 until the last fragment arrived
  maxFrag: number;
  /** Largest fragment with DF set (ipq.max_df_size): the datagram keeps DF when it equals maxFrag. */
  maxDf: number;
  expires: number;
  bad: boolean;
}

export interface Reassembled {
  /** The whole datagram (IP header + payload), fragment fields cleared. */
  bytes: Uint8Array;
  /** Largest fragment (IP total length) that made it: IPCB(skb)->frag_max_size. */
  maxFragSize: number;
  /** Payload boundaries of the original fragments (offsets into the fragmentable part). */
  boundaries: number[];
  /** Identification of the fragments (IPv6 needs it again to refragment). */
  id: number;
  /** IPv6: length of the unfragmentable part (header + extension headers before the fragment header). */
  unfragLen: number;
  /** IPv6: the fragment header's next header (the first fragmentable header). */
  nextHeader: number;
  /** A copy of the datagram as reassembled (the hooks change `bytes` in place), see headPulled4. */
  original: Uint8Array;
}

export class Defragmenter {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly timeout4: () => number,
    private readonly timeout6: () => number,
  ) {}

  /** Number of incomplete datagrams held. */
  get pending(): number {
    return this.queues.size;
  }

  /** Drop queues whose time ran out. */
  expire(now: number): void {
    for (const [k, q] of this.queues) if (q.expires <= now) this.queues.delete(k);
  }

  /**
   * Offer one fragment (decoded view over its bytes). Returns the reassembled datagram when this
   * fragment completes it, null while it is held (or when the queue was discarded).
   */
  push(pkt: PacketView, zone: number, now: number): Reassembled | null {
    this.expire(now);
    const key = queueKey(pkt, zone);
    let q = this.queues.get(key);
    if (!q) {
      q = { first: null, firstNext: -1, pieces: [], total: -1, maxFrag: 0, maxDf: 0, expires: now + (pkt.family === 6 ? this.timeout6() : this.timeout4()), bad: false };
      this.queues.set(key, q);
    }
    const b = pkt.buf;
    const fragStart = pkt.family === 4 ? pkt.l3Off + pkt.ipHdrLen : pkt.fragHdrOff + 8;
    const start = pkt.fragOffset;
    const len = pkt.ipEnd - fragStart;
    const end = start + len;
    if (end > 65535 || (pkt.moreFrags && (len & 7) !== 0) || len < 0) q.bad = true;
    if (!pkt.moreFrags) {
      if (q.total >= 0 && q.total !== end) q.bad = true;
      q.total = end;
    }
    for (const p of q.pieces) {
      if (start < p.end && p.start < end) {
        // An exact duplicate is ignored; any other overlap poisons the datagram.
        if (p.start === start && p.end === end) return null;
        q.bad = true;
      }
    }
    if (q.bad) {
      this.queues.delete(key);
      return null;
    }
    // ip_frag_queue: the sizes of the fragments queued (duplicates excluded)
    const fragSize = pkt.ipEnd - pkt.l3Off;
    if (fragSize > q.maxFrag) q.maxFrag = fragSize;
    if (pkt.family === 4 && pkt.dontFrag && fragSize > q.maxDf) q.maxDf = fragSize;
    if (start === 0) {
      if (pkt.family === 4) q.first = b.slice(pkt.l3Off, fragStart);
      else {
        q.first = b.slice(pkt.l3Off, pkt.fragHdrOff);
        q.firstNext = b[pkt.fragHdrOff]!;
      }
    }
    q.pieces.push({ start, end, data: b.slice(fragStart, pkt.ipEnd) });
    if (q.total < 0 || !q.first) return null;
    q.pieces.sort((x, y) => x.start - y.start);
    let covered = 0;
    for (const p of q.pieces) {
      if (p.start > covered) return null;
      covered = Math.max(covered, p.end);
    }
    if (covered < q.total) return null;
    this.queues.delete(key);
    return assemble(pkt.family === 6 ? 6 : 4, q, pkt.ipId);
  }
}

function queueKey(pkt: PacketView, zone: number): string {
  const s = pkt.src;
  const d = pkt.dst;
  return `${pkt.family}|${s[0]},${s[1]},${s[2]},${s[3]}|${d[0]},${d[1]},${d[2]},${d[3]}|${pkt.ipId}|${pkt.family === 4 ? pkt.proto : 0}|${zone}`;
}

function assemble(family: 4 | 6, q: Queue, id: number): Reassembled {
  const head = q.first!;
  const out = new Uint8Array(head.length + q.total);
  out.set(head, 0);
  for (const p of q.pieces) out.set(p.data, head.length + p.start);
  if (family === 4) {
    put16(out, 2, out.length);
    // ip_frag_reasm: DF is kept only when a DF fragment was (one of) the largest; ip_do_fragment
    // then copies it into every fragment it cuts
    put16(out, 6, q.maxDf === q.maxFrag ? 0x4000 : 0);
    fillIpv4HeaderChecksum(out, 0, head.length);
  } else {
    put16(out, 4, out.length - 40);
    setNextHeaderBeforeFrag(out, head.length, q.firstNext);
  }
  return { bytes: out, maxFragSize: q.maxFrag, boundaries: q.pieces.map((p) => p.start).filter((s) => s > 0), id, unfragLen: head.length, nextHeader: q.firstNext, original: out.slice() };
}

/** In the unfragmentable part of an IPv6 header chain, point the last next-header at `next`. */
function setNextHeaderBeforeFrag(buf: Uint8Array, unfragLen: number, next: number): void {
  let nhOff = 6;
  let off = 40;
  while (off < unfragLen) {
    nhOff = off;
    off += (buf[off + 1]! + 1) * 8;
  }
  buf[nhOff] = next;
}

/** ip_options_fragment: options without the "copied" bit (record route, timestamp, ...) become NOPs. */
function stripUncopiedOptions(hdr: Uint8Array, ihl: number): void {
  let p = 20;
  let l = ihl - 20;
  while (l > 0) {
    const t = hdr[p]!;
    if (t === 0) return;
    if (t === 1) {
      p++;
      l--;
      continue;
    }
    const optlen = hdr[p + 1]!;
    if (optlen < 2 || optlen > l) return;
    if ((t & 0x80) === 0) hdr.fill(1, p, p + optlen);
    l -= optlen;
    p += optlen;
  }
}

/**
 * Did something pull bytes past the first fragment's payload into the head of a reassembled IPv4
 * datagram (`dgram`, as the hooks left it)? The conntrack-reassembled skb keeps the original
 * fragments as its frag_list, the first one's payload in the head; a pull into the head breaks
 * the geometry ip_do_fragment's fast path needs. For TCP, ip_rcv_finish_core's early demux
 * (tcp_v4_early_demux, ip_early_demux / tcp_early_demux on by default) pulls the 20-byte header
 * of every datagram that has one, forwarded or not (as NAT's tcp_manip_pkt would); UDP and ICMP
 * pull 8 bytes, always inside the first fragment. Other writers (TCPMSS, payload mangling,
 * helpers) make the bytes they change writable: judged from the last byte that changed, and from
 * a length or header length change. Recorded: TCP with a first fragment of 8 bytes leaves by the
 * slow path, UDP by the fast one (r_fuzz_70056_1, r_fuzz_ok_40004).
 */
export function headPulled4(r: Reassembled, dgram: Uint8Array): boolean {
  const o = r.original;
  if (dgram.length !== o.length || dgram[0] !== o[0]) return true;
  const hl = (dgram[0]! & 0x0f) * 4;
  const payload = dgram.length - hl;
  const first = r.boundaries.length ? r.boundaries[0]! : payload;
  let need = dgram[9] === 6 && payload >= 20 ? 20 : 0;
  for (let k = dgram.length - 1; k >= hl + need; k--) {
    if (dgram[k] !== o[k]) {
      need = k - hl + 1;
      break;
    }
  }
  return need > first;
}

/**
 * Cut an IPv4 datagram into fragments for an MTU (ip_do_fragment). `fast` (a reassembled
 * datagram whose head was not pulled, headPulled4) with `boundaries` that all fit: the fast path,
 * the original pieces again, their headers copied with DF cleared (ip_fraglist_init /
 * ip_fraglist_prepare write only MF and the offset). Otherwise the slow path (ip_frag_next):
 * payload pieces of (mtu - header) rounded down to 8, each with the header copied (later ones
 * without the options that are not copied into fragments), offset and MF set, DF kept (the
 * datagram's: ip_frag_reasm sets it when a DF fragment was the largest). `maxFrag` (from
 * reassembly) lowers the MTU as IPCB(skb)->frag_max_size does.
 */
export function fragment4(dgram: Uint8Array, mtu: number, maxFrag: number, boundaries: number[], fast = false): Uint8Array[] {
  const hl = (dgram[0]! & 0x0f) * 4;
  const eff = maxFrag > 0 && maxFrag < mtu ? maxFrag : mtu;
  const payload = dgram.length - hl;
  const kept = fast ? fitBoundaries(boundaries, payload, eff - hl) : null;
  const cuts = kept ?? evenCuts(payload, (eff - hl) & ~7);
  const df = kept ? 0 : dgram[6]! & 0x40;
  const out: Uint8Array[] = [];
  for (let i = 0; i < cuts.length; i++) {
    const start = cuts[i]!;
    const end = i + 1 < cuts.length ? cuts[i + 1]! : payload;
    const f = new Uint8Array(hl + end - start);
    f.set(dgram.subarray(0, hl), 0);
    // ip_options_fragment: after the first fragment only options with the "copied" bit remain
    if (i > 0 && hl > 20) stripUncopiedOptions(f, hl);
    f.set(dgram.subarray(hl + start, hl + end), hl);
    put16(f, 2, f.length);
    put16(f, 6, ((df << 8) | (end < payload ? 0x2000 : 0) | (start >>> 3)) & 0xffff);
    fillIpv4HeaderChecksum(f, 0, hl);
    out.push(f);
  }
  return out;
}

/**
 * Cut an IPv6 datagram (no fragment header) for an MTU (ip6_fragment), inserting a fragment
 * header with identification `id` after the unfragmentable part of `unfragLen` bytes.
 */
export function fragment6(dgram: Uint8Array, unfragLen: number, next: number, id: number, mtu: number, maxFrag: number, boundaries: number[]): Uint8Array[] {
  const eff = maxFrag > 0 && maxFrag < mtu ? maxFrag : mtu;
  const hl = unfragLen + 8;
  const payload = dgram.length - unfragLen;
  const cuts = fitBoundaries(boundaries, payload, eff - hl) ?? evenCuts(payload, (eff - hl) & ~7);
  const out: Uint8Array[] = [];
  for (let i = 0; i < cuts.length; i++) {
    const start = cuts[i]!;
    const end = i + 1 < cuts.length ? cuts[i + 1]! : payload;
    const f = new Uint8Array(hl + end - start);
    f.set(dgram.subarray(0, unfragLen), 0);
    setNextHeaderBeforeFrag(f, unfragLen, 44);
    f[unfragLen] = next;
    f[unfragLen + 1] = 0;
    put16(f, unfragLen + 2, (start & ~7) | (end < payload ? 1 : 0));
    put32(f, unfragLen + 4, id >>> 0);
    f.set(dgram.subarray(unfragLen + start, unfragLen + end), hl);
    put16(f, 4, f.length - 40);
    out.push(f);
  }
  return out;
}

/** The original cut points, when each piece fits `room` and all but the last are multiples of 8. */
function fitBoundaries(boundaries: number[], payload: number, room: number): number[] | null {
  if (boundaries.length === 0) return null;
  const cuts = [0, ...boundaries];
  for (let i = 0; i < cuts.length; i++) {
    const end = i + 1 < cuts.length ? cuts[i + 1]! : payload;
    if (end - cuts[i]! > room) return null;
    if (i + 1 < cuts.length && (end - cuts[i]!) % 8 !== 0) return null;
  }
  return cuts;
}

function evenCuts(payload: number, step: number): number[] {
  const cuts: number[] = [];
  for (let s = 0; s < payload; s += Math.max(8, step)) cuts.push(s);
  return cuts.length ? cuts : [0];
}
