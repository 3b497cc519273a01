/**
 * TCP option framing shared by the decoder, the summary printer and the builder: option kind
 * numbers and the one rule for how long an option is (so every reader agrees on where the next
 * option starts and when a list is malformed).
 */

/** TCP option kinds (RFC 793, 7323, 2018, 1323). */
export const TcpOpt = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERM: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/**
 * Length in bytes of the option starting at `o` (options end at `end`): 1 for EOL and NOP,
 * otherwise its length byte. -1 when the list is malformed there: no length byte, a length below
 * 2, or an option running past `end`.
 */
export function tcpOptionLength(b: Uint8Array, o: number, end: number): number {
  const kind = b[o]!;
  if (kind === TcpOpt.EOL || kind === TcpOpt.NOP) return 1;
  if (o + 1 >= end) return -1;
  const len = b[o + 1]!;
  if (len < 2 || o + len > end) return -1;
  return len;
}
