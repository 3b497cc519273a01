/**
 * What the host lends nft's stateful objects and hashing expressions through the packet context:
 *
 *  - a random source seeded from the replay seed (the kernel's get_random_u32 for `numgen random`
 *    and for the seed of a `jhash` written without one);
 *  - the flow-hash key (the kernel's boot-random `hashrnd` behind `symhash`), derived from the seed;
 *  - ct timeout objects: the policy is applied to the unconfirmed connection (its tracker runs with
 *    those timeouts from then on) and its timeout becomes the policy's first value;
 *  - ct expectation objects: an expectation on the connection, through the helpers' expectation
 *    table (a host built without helpers has none: the replay stops with an error saying so).
 */
import type { Conn } from '../conntrack/conn.js';
import { deriveKey, SeededRandom } from '../conntrack/hash.js';
import { type ConntrackSettings, withTimeoutPolicy } from '../conntrack/settings.js';
import type { ConntrackTable } from '../conntrack/table.js';
import type { HelperEngine } from '../helpers/index.js';
import type { CtHandle, CtObjectServices } from '../netfilter/context.js';
import { Unsupported } from '../netfilter/pipeline.js';

/** Salts of the nft random source and of the flow-hash key (distinct from the table's, NAT's, helpers'). */
const RANDOM_SALT = 0x6e6674;
const FLOW_KEY_SALT = 0x666c6f77;

export interface NftHostServices {
  readonly random: () => number;
  readonly flowHashKey: Uint32Array;
  readonly ctObjects: CtObjectServices;
}

/** The services of a host whose conntrack table is `ct` (settings from `settings()`, helpers from `helpers()`). */
export function nftHostServices(ct: ConntrackTable, settings: () => ConntrackSettings, helpers: () => HelperEngine | null): NftHostServices {
  const rnd = new SeededRandom(ct.seed, RANDOM_SALT);
  const [a, b] = deriveKey(ct.seed, FLOW_KEY_SALT);
  const [c, d] = deriveKey(ct.seed, FLOW_KEY_SALT + 1);
  const flowHashKey = new Uint32Array([a, b, c, d]);
  const applied = new WeakMap<object, ConntrackSettings>();
  const ctObjects: CtObjectServices = {
    setTimeoutPolicy(conn: CtHandle, policy, first: number, now: number): void {
      let s = applied.get(policy);
      if (s === undefined) {
        s = withTimeoutPolicy(settings(), policy);
        applied.set(policy, s);
      }
      ct.setTimeoutSettings(conn as Conn, s);
      ct.setTimeout(conn as Conn, first, now);
    },
    expect(conn: CtHandle, dir: 0 | 1, e, now: number) {
      const h = helpers();
      if (h === null) throw new Unsupported('nft ct expectation objects need the conntrack helpers (the host was built without them)');
      const ex = h.expectations;
      const master = conn as Conn;
      if (ex.expecting(master, 0) >= e.size) return 'break';
      // from the reply direction's source to its destination, any source port
      const t = dir === 0 ? master.reply : master.orig;
      const exp = ex.create(master, 0, e.family, t.src, t.dst, e.proto, null, e.dport);
      return ex.related(exp, now, false, e.timeout) === 0 ? 'ok' : 'drop';
    },
  };
  return { random: () => rnd.next(), flowHashKey, ctObjects };
}
