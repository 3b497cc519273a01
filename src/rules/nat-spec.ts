/**
 * What a NAT target asks the NAT engine to do: the kernel's nf_nat_range2 plus which target it
 * came from. SNAT and MASQUERADE rewrite the source, DNAT and REDIRECT the destination, NETMAP
 * the destination in PREROUTING/OUTPUT and the source in INPUT/POSTROUTING (natManip).
 *
 * - MAP_IPS: map addresses into [minAddr, maxAddr] (SNAT/DNAT); NETMAP maps the network part
 *   onto minAddr with the mask ~(minAddr ^ maxAddr) (netmapAddress). MASQUERADE takes the
 *   address of the outgoing interface, REDIRECT the host's own address on the incoming one.
 * - PROTO_SPECIFIED: ports (or ICMP ids) within [minPort, maxPort]; PROTO_OFFSET (DNAT
 *   `a-b/base`): shift the port by (port - basePort) within the range.
 * - PROTO_RANDOM, PROTO_RANDOM_FULLY, PERSISTENT: the --random, --random-fully, --persistent flags.
 *
 * Addresses are four words, IPv4 in word 0 (host order), as PacketView holds them.
 */
import type { Hook } from '../netfilter/context.js';
import { Hook as Hooks } from '../netfilter/context.js';
import type { Family } from './values.js';

/** NF_NAT_RANGE_* flag bits. */
export const NatFlag = {
  MAP_IPS: 1 << 0,
  PROTO_SPECIFIED: 1 << 1,
  PROTO_RANDOM: 1 << 2,
  PERSISTENT: 1 << 3,
  PROTO_RANDOM_FULLY: 1 << 4,
  PROTO_OFFSET: 1 << 5,
  NETMAP: 1 << 6,
} as const;

export type NatKind = 'SNAT' | 'DNAT' | 'MASQUERADE' | 'REDIRECT' | 'NETMAP';

export interface NatSpec {
  readonly kind: NatKind;
  readonly family: Family;
  /** NatFlag bits. */
  readonly flags: number;
  readonly minAddr: Uint32Array;
  readonly maxAddr: Uint32Array;
  readonly minPort: number;
  readonly maxPort: number;
  /** Base of a shifted port range (PROTO_OFFSET), else 0. */
  readonly basePort: number;
}

/** Which address a NAT spec rewrites at a hook. */
export function natManip(spec: NatSpec, hook: Hook): 'src' | 'dst' {
  switch (spec.kind) {
    case 'SNAT':
    case 'MASQUERADE':
      return 'src';
    case 'DNAT':
    case 'REDIRECT':
      return 'dst';
    case 'NETMAP':
      return hook === Hooks.PREROUTING || hook === Hooks.OUTPUT ? 'dst' : 'src';
  }
}

/** NETMAP: `addr` with its network part replaced by the spec's network, written to `out`. */
export function netmapAddress(spec: NatSpec, addr: ArrayLike<number>, out: Uint32Array): void {
  for (let i = 0; i < 4; i++) {
    const netmask = ~(spec.minAddr[i]! ^ spec.maxAddr[i]!);
    out[i] = ((addr[i]! & ~netmask) | spec.minAddr[i]!) >>> 0;
  }
}
