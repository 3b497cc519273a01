/**
 * End-to-end replay benchmark (the replay issue's target: >= 2 million packets/s): read a capture
 * from memory, decode, conntrack, a 20-rule stateful iptables ruleset with MASQUERADE, NAT, and
 * every result serialised as a JSONL line into a null sink.
 *
 * Input: the realistic mix (/tmp/mixbench/mix.pcap, or CTKIT_BENCH_PCAP; made by
 * ../shared/bench/make_mix_pcap.sh): client 10.0.0.2 talks to server 10.0.0.1 on one link. It is
 * turned into a router's view: the client's packets arrive on `lan`, the server's on `wan`, and
 * the server's packets are addressed to the router's wan address (what the server sees after
 * MASQUERADE), so conntrack un-NATs them back to the client. Without that file a synthetic mix
 * built with the packet builder is used, and the output says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CaptureReader } from '../capture/reader.js';
import { readAll } from '../capture/reader.js';
import { writePcapng } from '../capture/writer.js';
import { csumReplace32, put16, put32 } from '../packet/checksum.js';
import { decodeFrame } from '../packet/decode.js';
import { ipv4, tcp, udp, icmpEcho } from '../packet/build.js';
import { LinkType, PacketView, Proto } from '../packet/view.js';
import { Replayer } from '../replay/replay.js';
import { JsonlEncoder } from '../replay/jsonl.js';
import type { BenchModule } from './run.js';

const MIX_PCAP = process.env.CTKIT_BENCH_PCAP ?? '/tmp/mixbench/mix.pcap';
const CLIENT = 0x0a000002;
const SERVER = 0x0a000001;
const WAN = 0xcb007101; // 203.0.113.1

export const HOST = {
  interfaces: [
    { name: 'lan', addresses: ['192.168.1.1/24'] },
    { name: 'wan', addresses: ['203.0.113.1/24'] },
  ],
  routes: [
    { to: '10.0.0.2/32', dev: 'lan' },
    { to: '10.0.0.1/32', dev: 'wan' },
  ],
  sysctl: { 'net.ipv4.ip_forward': 1 },
};

/** Twenty rules: a typical stateful gateway with MASQUERADE. */
export const RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i wan -p tcp --dport 2222 -j DNAT --to-destination 10.0.0.2:22
-A POSTROUTING -o wan -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LAN_OUT - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -i lan -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -i lan -p udp -m udp --dport 53 -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i lan -j LAN_OUT
-A FORWARD -i wan -o lan -p tcp -m tcp --dport 22 -m conntrack --ctstate DNAT -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A FORWARD -j REJECT --reject-with icmp-admin-prohibited
-A LAN_OUT -p tcp -m multiport --dports 25,465,587 -j REJECT --reject-with tcp-reset
-A LAN_OUT -p tcp -m multiport --dports 80,443,8000,81 -m conntrack --ctstate NEW -j ACCEPT
-A LAN_OUT -p udp -m multiport --dports 53,123,9999 -j ACCEPT
-A LAN_OUT -p icmp -j ACCEPT
-A LAN_OUT -p tcp --syn -m limit --limit 1000/s --limit-burst 5000 -j ACCEPT
-A LAN_OUT -j RETURN
COMMIT
`;

/** Rewrites the server's packets to the router's wan address (incremental checksums). */
function toWan(v: PacketView): void {
  const b = v.buf;
  const o = v.l3Off;
  put32(b, o + 16, WAN);
  put16(b, o + 10, csumReplace32((b[o + 10]! << 8) | b[o + 11]!, CLIENT, WAN));
  let csumOff = -1;
  if (v.proto === Proto.TCP) csumOff = v.l4Off + 16;
  else if (v.proto === Proto.UDP && v.l4Checksum !== 0) csumOff = v.l4Off + 6;
  if (csumOff >= 0 && csumOff + 2 <= v.ipEnd) put16(b, csumOff, csumReplace32((b[csumOff]! << 8) | b[csumOff + 1]!, CLIENT, WAN));
}

/** The mix as a two-interface pcapng of the router's view; null when the file is absent. */
function fromMix(): Uint8Array | null {
  if (!existsSync(MIX_PCAP)) return null;
  const v = new PacketView();
  const packets = [];
  for (const p of readAll(new Uint8Array(readFileSync(MIX_PCAP)))) {
    decodeFrame(v, p.data, p.linktype);
    if (v.family !== 4) continue;
    const src = v.src[0]! >>> 0;
    if (src !== CLIENT && src !== SERVER) continue;
    const ip = p.data.slice(v.l3Off, v.ipEnd);
    const iv = decodeFrame(new PacketView(), ip, LinkType.RAW);
    if (src === SERVER && (iv.dst[0]! >>> 0) === CLIENT) toWan(iv);
    packets.push({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: ip, ifIndex: src === CLIENT ? 0 : 1, direction: 'in' as const, linktype: LinkType.RAW });
  }
  return writePcapng(packets, [{ linktype: LinkType.RAW, name: 'lan' }, { linktype: LinkType.RAW, name: 'wan' }]);
}

/** A synthetic mix: short TCP exchanges, DNS-like UDP pairs and pings, 100k packets. */
function synthetic(): Uint8Array {
  const packets = [];
  let t = 1700000000;
  const at = (dt: number): { tsSec: number; tsNsec: number } => {
    t += dt;
    return { tsSec: Math.floor(t), tsNsec: Math.round((t % 1) * 1e9) % 1e9 };
  };
  for (let i = 0; packets.length < 100000; i++) {
    const sport = 20000 + (i % 40000);
    const c = (flags: string, seq: number, ack: number, payload?: string) =>
      ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: tcp({ sport, dport: 8000, seq, ack, flags, win: 502, payload }) });
    const s = (flags: string, seq: number, ack: number, payload?: string) =>
      ipv4({ src: '10.0.0.1', dst: '203.0.113.1', payload: tcp({ sport: 8000, dport: sport, seq, ack, flags, win: 502, payload }) });
    packets.push(
      { ...at(1e-5), data: c('S', 1000, 0), ifIndex: 0 },
      { ...at(1e-5), data: s('SA', 5000, 1001), ifIndex: 1 },
      { ...at(1e-5), data: c('A', 1001, 5001), ifIndex: 0 },
      { ...at(1e-5), data: c('PA', 1001, 5001, 'GET / HTTP/1.0\r\n\r\n'), ifIndex: 0 },
      { ...at(1e-5), data: s('PA', 5001, 1019, 'HTTP/1.0 200 OK\r\n\r\nhello'), ifIndex: 1 },
      { ...at(1e-5), data: c('FA', 1019, 5025), ifIndex: 0 },
      { ...at(1e-5), data: s('FA', 5025, 1020), ifIndex: 1 },
      { ...at(1e-5), data: c('A', 1020, 5026), ifIndex: 0 },
      { ...at(1e-5), data: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: udp({ sport, dport: 53, payload: 'query' }) }), ifIndex: 0 },
      { ...at(1e-5), data: ipv4({ src: '10.0.0.1', dst: '203.0.113.1', payload: udp({ sport: 53, dport: sport, payload: 'answer' }) }), ifIndex: 1 },
      { ...at(1e-5), data: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', payload: icmpEcho({ id: i & 0xffff, seq: 1 }) }), ifIndex: 0 },
      { ...at(1e-5), data: ipv4({ src: '10.0.0.1', dst: '203.0.113.1', payload: icmpEcho({ id: i & 0xffff, seq: 1, reply: true }) }), ifIndex: 1 },
    );
  }
  return writePcapng(packets.map((p) => ({ ...p, direction: 'in' as const, linktype: LinkType.RAW })), [{ linktype: LinkType.RAW, name: 'lan' }, { linktype: LinkType.RAW, name: 'wan' }]);
}

/** The benchmark's capture: the mix as a router's view, or the synthetic mix when the file is absent. */
export function benchCapture(): { capture: Uint8Array; realistic: boolean } {
  const mix = fromMix();
  return { capture: mix ?? synthetic(), realistic: mix !== null };
}

/** One full replay of `capture` with JSONL serialisation into a null sink; returns the packet count. */
export function replayOnce(capture: Uint8Array): number {
  const r = new Replayer({ host: HOST, iptables: RULES, seed: 1 });
  const reader = new CaptureReader({ name: 'bench' });
  reader.push(capture);
  reader.end();
  const out = new JsonlEncoder();
  let n = 0;
  let bytes = 0;
  for (let p = reader.next(); p !== null; p = reader.next()) {
    r.feedJsonl(p, out);
    n++;
    // The null sink takes the lines in 64 KiB chunks, as the CLI writes them.
    if (out.length >= 1 << 16) bytes += out.take().length;
  }
  bytes += out.take().length;
  if (bytes === 0) throw new Error('replay produced nothing');
  return n;
}

export const replayBench: BenchModule = {
  name: 'end-to-end replay (target >= 2,000,000 packets/s)',
  async prepare() {
    const mix = fromMix();
    const capture = mix ?? synthetic();
    const count = replayOnce(capture);
    return {
      input: mix
        ? `${MIX_PCAP} as a router's view (${count} IPv4 packets), 20-rule stateful ruleset with MASQUERADE, JSONL to a null sink`
        : `synthetic mix (${count} packets; ${MIX_PCAP} absent, make it with ../shared/bench/make_mix_pcap.sh), 20-rule ruleset with MASQUERADE`,
      tasks: [{ name: 'replay: read + decode + conntrack + rules + NAT + JSONL', items: count, unit: 'packets', target: 2_000_000, fn: () => void replayOnce(capture) }],
    };
  },
};
