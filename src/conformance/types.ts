/**
 * The shapes of a kernel conformance scenario (test/fixtures/conformance/<name>/): the kernel's
 * recorded answers (kernel.json, format `nforacle-kernel/1` of the shared corpus), the scenario
 * metadata with its nondeterminism masks (meta.json), and the replay results they are compared
 * with (the replay contract's per-packet records and final tables).
 */

/** Verdicts of the replay contract (the recorder also knows exec steps, never in fixtures). */
export type Verdict = 'FORWARDED' | 'LOCAL_IN' | 'DROPPED' | 'SENT';

/** One packet the host transmitted because of an input. */
export interface KernelOutPacket {
  iface: string;
  /** The IP packet, lowercase hex. */
  hex: string;
  /** True when the host generated it itself (REJECT, ICMP error, echo reply, RST). */
  gen: boolean;
}

/** Optional human-oriented details the recorder keeps per packet (never compared). */
export interface KernelPacketOracle {
  note?: string;
  /** One-line description of the packet as sent. */
  sent?: string;
  /** Rules hit, with their texts and verdicts. */
  trace?: string[];
  /** One-line descriptions of the transmitted packets. */
  out_desc?: string[];
  [k: string]: unknown;
}

/** What the kernel did with one input packet. */
export interface KernelPacket {
  i: number;
  /** Seconds since the first packet. */
  t?: number;
  /** Ingress interface, null for a packet sent by a local process. */
  iface: string | null;
  direction?: 'in' | 'out';
  verdict: string;
  ctstate: string | null;
  ctdir: string | null;
  out: KernelOutPacket[];
  rules: string[];
  events: string[];
  oracle?: KernelPacketOracle;
}

/** kernel.json. */
export interface KernelRecording {
  format?: string;
  name?: string;
  epoch?: number;
  ruleset?: string;
  tools?: Record<string, string>;
  recorded?: string;
  packets: KernelPacket[];
  /** Final `conntrack -L` lines. */
  conntrack: string[];
  /** Final `conntrack -L expect` lines. */
  expect: string[];
  final?: Record<string, unknown>;
}

/** A byte mask of one transmitted packet: out[k] of packet i. */
export interface OutBytesMask {
  i: number;
  k: number;
  bytes: [number, number][];
}

/** Whole fields of a packet that are not compared. */
export interface FieldsMask {
  i: number;
  fields: string[];
}

/** meta.json `nondeterministic`: what differed between two recordings. */
export interface Nondeterministic {
  out_bytes?: OutBytesMask[];
  fields?: FieldsMask[];
  ct_masks?: string[][];
  notes?: string[];
  ignore_destroy_events?: boolean;
  [k: string]: unknown;
}

/** meta.json. */
export interface ScenarioMeta {
  name?: string;
  title?: string;
  description?: string;
  tags?: string[];
  declared_tags?: string[];
  ruleset?: string;
  packets?: number;
  linktype?: number;
  recorded_runs?: number;
  kernel?: string;
  source?: string | null;
  nondeterministic?: Nondeterministic;
  [k: string]: unknown;
}

/** One transmitted packet as a replay reports it. */
export interface ActualOutPacket {
  iface?: unknown;
  hex?: unknown;
  gen?: unknown;
}

/**
 * One per-packet record of a replay (the contract's --jsonl object). Typed loosely on purpose:
 * the comparator must judge whatever an implementation produced, including malformed records.
 */
export interface ActualPacket {
  i: number;
  [field: string]: unknown;
}

/** A replay's full answer for one scenario. */
export interface ActualResult {
  /** Per-packet records, or null when the replay produced none. */
  packets: ActualPacket[] | null;
  /** Final conntrack table lines, or null when the replay produced none. */
  conntrack: string[] | null;
  /** Final expectation table lines, or null when the replay produced none. */
  expect: string[] | null;
  /** Set when the replay failed (exception, non-zero exit status). */
  error?: string | null;
  /** Problems found while reading the replay's output (unreadable JSONL lines, ...). */
  readProblems?: string[];
}
