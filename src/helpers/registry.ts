/**
 * The conntrack helpers ctkit has, by the names rules use (`-j CT --helper NAME`, nft
 * `ct helper ... type "NAME" protocol P`), with the protocols and address families the kernel
 * registers each for. A rule naming a helper that is not here, or a helper for a protocol or
 * family it does not serve, must be refused, as the kernel refuses to load it (xt_CT / nft_ct
 * find no such helper).
 */
import { amandaHelper } from './amanda.js';
import { ftpHelper } from './ftp.js';
import { h245Helper, q931Helper, rasHelper } from './h323.js';
import { ircHelper } from './irc.js';
import { netbiosNsHelper, snmpHelper } from './broadcast.js';
import { pptpHelper } from './pptp.js';
import { saneHelper } from './sane.js';
import { sipHelper } from './sip.js';
import { snmpTrapHelper } from './snmp-trap.js';
import { tftpHelper } from './tftp.js';
import type { HelperDef } from './types.js';

/** Every helper, in the order `knownHelpers` lists them. */
export const HELPERS: readonly HelperDef[] = [
  ftpHelper,
  tftpHelper,
  sipHelper,
  ircHelper,
  pptpHelper,
  amandaHelper,
  saneHelper,
  netbiosNsHelper,
  snmpHelper,
  snmpTrapHelper,
  rasHelper,
  q931Helper,
  h245Helper,
];

const BY_NAME = new Map(HELPERS.map((h) => [h.name, h] as const));

/** Names of the helpers rules may assign. */
export const knownHelpers: readonly string[] = HELPERS.map((h) => h.name);

/** The helper called `name`, or null. */
export function helperByName(name: string): HelperDef | null {
  return BY_NAME.get(name) ?? null;
}

/**
 * The helper a rule may assign for `family` / layer-4 protocol `proto` (__nf_conntrack_helper_find),
 * or null when the kernel has no such helper for them.
 */
export function findHelper(name: string, family: 4 | 6, proto: number): HelperDef | null {
  const h = BY_NAME.get(name);
  return h !== undefined && h.families.includes(family) && h.protos.includes(proto) ? h : null;
}

/** Why a rule's helper cannot be assigned, in the kernel's terms, or null when it can. */
export function helperRefusal(name: string, family: 4 | 6, proto: number): string | null {
  if (findHelper(name, family, proto) !== null) return null;
  const h = BY_NAME.get(name);
  if (h === undefined) return `no such conntrack helper "${name}" (known: ${knownHelpers.join(', ')})`;
  return `conntrack helper "${name}" is not available for IPv${family} protocol ${proto}`;
}
