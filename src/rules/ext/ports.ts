/**
 * Port ranges as the tcp, udp and sctp matches hold, print and test them (libxt_tcp's
 * print_ports / save, the kernel's port_match), and the way iptables-nft turns the tcp/udp port
 * tests into nf_tables comparisons and reads them back (nftPorts).
 */
import { parsePortRange } from '../values.js';

export class PortRange {
  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly invert: boolean,
  ) {}

  /** No constraint at all (0:65535, not negated). */
  static readonly ANY = new PortRange(0, 65535, false);

  /** `a`, `a:b`, `:b`, `a:` with service names of `proto`. */
  static parse(text: string, proto: string, invert: boolean): PortRange {
    const [lo, hi] = parsePortRange(text, proto);
    return new PortRange(lo, hi, invert);
  }

  get isAny(): boolean {
    return this.lo === 0 && this.hi === 65535;
  }

  /** (lo <= port <= hi) xor invert. */
  test(port: number): boolean {
    return (port >= this.lo && port <= this.hi) !== this.invert;
  }

  /** ` ! --dport a:b` style save text (leading space), '' when unconstrained. */
  save(option: string): string {
    if (this.isAny) return '';
    const value = this.lo === this.hi ? `${this.lo}` : `${this.lo}:${this.hi}`;
    return `${this.invert ? ' !' : ''} --${option} ${value}`;
  }

  /** ` dpt:22`, ` dpts:1:2`, ` dpt:!22` as -L -n prints (leading space), '' when unconstrained. */
  list(name: string): string {
    if (this.isAny && !this.invert) return '';
    const inv = this.invert ? '!' : '';
    return this.lo === this.hi ? ` ${name}:${inv}${this.lo}` : ` ${name}s:${inv}${this.lo}:${this.hi}`;
  }
}

/**
 * The tcp/udp port tests as iptables-nft stores them (add_nft_tcpudp) and reads them back: a
 * single port is an (in)equality; `0:N` is `<= N`, so `! 0:N` comes back as `N+1:65535`; the
 * full range 0:65535 is no test at all; other ranges keep their negation. When both ports are
 * single, non-zero and negated alike, they are compared as one 32-bit word, so `! --sport A
 * ! --dport B` means "not both equal".
 */
export interface NftPorts {
  readonly sport: PortRange;
  readonly dport: PortRange;
  /** Both single ports compared as one word (see above). */
  readonly combined: boolean;
}

function nftRange(r: PortRange): PortRange {
  if (r.lo === r.hi) return r;
  if (r.lo === 0 && r.hi < 65535) return r.invert ? new PortRange(r.hi + 1, 65535, false) : r;
  if (r.lo === 0 && r.hi === 65535) return PortRange.ANY;
  return r;
}

export function nftPorts(sport: PortRange, dport: PortRange): NftPorts {
  const combined = sport.lo !== 0 && sport.lo === sport.hi && dport.lo !== 0 && dport.lo === dport.hi && sport.invert === dport.invert;
  return { sport: nftRange(sport), dport: nftRange(dport), combined };
}

/** Tests a packet's ports against nftPorts(). */
export function nftPortsMatch(p: NftPorts, sport: number, dport: number): boolean {
  if (p.combined) return (sport === p.sport.lo && dport === p.dport.lo) !== p.sport.invert;
  return p.sport.test(sport) && p.dport.test(dport);
}
