/**
 * Conntrack helpers and expectations: the kernel's application-layer helpers (ftp, tftp, sip,
 * irc, pptp, amanda, sane, netbios-ns, snmp, snmp_trap, H.323's RAS / Q.931 / H.245) run on the
 * connections rules attach them to, and the expectations they register make the connections
 * they announce RELATED.
 *
 *   const helpers = createHelpers(ct, { nat: asHelperNat(nat), broadcastMask: subnetBroadcastMask(ifaces), route: routeHops(routing) });
 *   pipeline.confirmHooks.push(helpers.confirmHook);       // before NAT's sequence adjustment
 *   helpers.onExpectEvent((line) => expLines.push(line));  // `conntrack -E expect` lines
 *   helpers.expire(now);                                    // time advances: before the table's expiry
 *   helpers.listExpect(now);                                // `conntrack -L expect` lines
 *
 * `knownHelpers` / `findHelper` / `helperRefusal` tell the rule front ends which helper names
 * exist (the kernel refuses a rule naming any other).
 */
import type { ConntrackTable } from '../conntrack/table.js';
import { HelperEngine, type HelperHost } from './engine.js';
import type { HelperNat } from './types.js';

export { DEFAULT_OPTIONS, HelperEngine, type HelperHost } from './engine.js';
export { findHelper, helperByName, helperRefusal, HELPERS, knownHelpers } from './registry.js';
export { subnetBroadcastMask, type BroadcastIface } from './broadcast.js';
export { routeHops, type RouteLookupTable } from './h323.js';
export type { HelperDef, HelperNat, HelperOptions, HelperServices, HelpCall, RouteFn, RouteHop } from './types.js';
export { CtInfo } from './types.js';
export { Expectation, ExpectationTable, ExpectFlag, type ExpectEvent, type ExpectPolicy } from '../conntrack/expect.js';
export { formatExpect, formatExpectEvent, formatExpectList, formatExpectProc } from '../format/expect.js';

/** The helper engine for a conntrack table (installs the table's expectation lookup). */
export function createHelpers(ct: ConntrackTable, host: HelperHost = {}): HelperEngine {
  return new HelperEngine(ct, host);
}

/**
 * The helper-facing side of a host's NAT engine (the pipeline knows it under its own, narrower
 * interface): null without NAT; an engine lacking followMaster / setupInfo is an error.
 */
export function asHelperNat(nat: object | null): HelperNat | null {
  if (nat === null) return null;
  const n = nat as Partial<HelperNat>;
  if (typeof n.followMaster !== 'function' || typeof n.setupInfo !== 'function') {
    throw new TypeError('the NAT engine has no followMaster / setupInfo: the helpers cannot set up NAT for expected connections');
  }
  return nat as HelperNat;
}
