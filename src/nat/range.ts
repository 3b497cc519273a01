/**
 * The NAT range a binding is chosen from (the kernel's struct nf_nat_range2): flags, an address
 * interval and a port / ICMP id / GRE key interval, plus the base of a shifted port range.
 *
 * Rules hand the engine a NatSpec (src/rules/nat-spec.ts, the same shape from every front end);
 * the targets turn it into a NatRange as the kernel's xt/nft target code does (MASQUERADE with
 * the outgoing interface's address, REDIRECT with the incoming one's, NETMAP with the mapped
 * packet address), and the null binding is a range of one address and no ports.
 *
 * Addresses are four words, IPv4 in word 0 (host order), as tuples hold them. A range object is
 * reusable: the engine keeps one and refills it for every binding (no allocation per packet).
 */
import { NatFlag, type NatSpec } from '../rules/nat-spec.js';

export { NatFlag };

/** NF_NAT_RANGE_PROTO_RANDOM_ALL: either random flag. */
export const RANDOM_ALL = NatFlag.PROTO_RANDOM | NatFlag.PROTO_RANDOM_FULLY;

export class NatRange {
  /** NatFlag bits. */
  flags = 0;
  readonly minAddr = new Uint32Array(4);
  readonly maxAddr = new Uint32Array(4);
  /** min_proto / max_proto: ports, ICMP ids or GRE keys (host order). */
  minProto = 0;
  maxProto = 0;
  /** base_proto of a shifted port range (PROTO_OFFSET). */
  baseProto = 0;

  /** An empty range (no flags, zero addresses and ports). */
  clear(): this {
    this.flags = 0;
    this.minAddr.fill(0);
    this.maxAddr.fill(0);
    this.minProto = 0;
    this.maxProto = 0;
    this.baseProto = 0;
    return this;
  }

  /** Everything a rule's NatSpec says, unchanged (SNAT / DNAT). */
  fromSpec(spec: NatSpec): this {
    this.flags = spec.flags;
    this.minAddr.set(spec.minAddr);
    this.maxAddr.set(spec.maxAddr);
    this.minProto = spec.minPort;
    this.maxProto = spec.maxPort;
    this.baseProto = spec.basePort;
    return this;
  }

  /**
   * The spec's flags and ports with one address (MASQUERADE, REDIRECT, NETMAP): the kernel copies
   * flags, min_proto and max_proto, adds MAP_IPS and sets both address bounds to `addr`.
   */
  fromSpecWithAddress(spec: NatSpec, addr: ArrayLike<number>): this {
    this.clear();
    this.flags = spec.flags | NatFlag.MAP_IPS;
    this.setAddress(addr);
    this.minProto = spec.minPort;
    this.maxProto = spec.maxPort;
    return this;
  }

  /** The null binding's range: exactly `addr`, ports left to the protocol (nf_nat_alloc_null_binding). */
  single(addr: ArrayLike<number>): this {
    this.clear();
    this.flags = NatFlag.MAP_IPS;
    this.setAddress(addr);
    return this;
  }

  private setAddress(addr: ArrayLike<number>): void {
    for (let i = 0; i < 4; i++) {
      this.minAddr[i] = addr[i]! >>> 0;
      this.maxAddr[i] = addr[i]! >>> 0;
    }
  }
}

/** Narrows a NAT action's payload to a NatSpec (throws on anything else: a front-end bug). */
export function asNatSpec(payload: unknown): NatSpec {
  const s = payload as Partial<NatSpec> | null;
  const ok =
    s !== null &&
    typeof s === 'object' &&
    typeof s.kind === 'string' &&
    typeof s.flags === 'number' &&
    s.minAddr instanceof Uint32Array &&
    s.maxAddr instanceof Uint32Array &&
    typeof s.minPort === 'number' &&
    typeof s.maxPort === 'number' &&
    typeof s.basePort === 'number';
  if (!ok) throw new TypeError('NAT: the action does not carry a NatSpec');
  return s as NatSpec;
}
