/**
 * The kernel clock the x_tables extensions count in: jiffies at HZ = 250 (CONFIG_HZ of the
 * recording kernel, 6.18), derived from the packet's virtual time.
 */

export const HZ = 250;

/** jiffies at virtual time `now` (seconds). */
export function jiffiesAt(now: number): number {
  return Math.floor(now * HZ);
}
