/**
 * ctkit's library entry point: everything here is pure (no Node APIs), so it runs in a browser too.
 *
 *  - packets:   PacketView + decodeFrame / decodeIp, the builders, checksums, summaries
 *  - captures:  CaptureReader (streaming pcap / pcapng), writers
 *  - conntrack: ConntrackTable on its own (track / confirm / events), settings by sysctl name,
 *               the conntrack -L / -E formatters and table snapshots
 *  - a host:    Host (interfaces, routes, sysctls, the netfilter pipeline), HOST.json parsing
 *  - rules:     the iptables-save front end
 *  - replay:    Replayer / replayBytes, the replay contract's results
 */
export const VERSION = '0.1.0';

export * from './packet/view.js';
export { decodeFrame, decodeIp } from './packet/decode.js';
export * as build from './packet/build.js';
export { TcpFlow } from './packet/flow.js';
export { summarize } from './packet/summary.js';
export * as checksum from './packet/checksum.js';
export { parseIp, tryParseIp } from './packet/addr.js';

export * from './capture/index.js';

export { ConntrackTable, TrackResult, type TrackOptions } from './conntrack/table.js';
export type { Conn } from './conntrack/conn.js';
export type { CtEvent, CtEventType } from './conntrack/events.js';
export { defaultSettings, setSysctl, listSysctls, type ConntrackSettings } from './conntrack/settings.js';
export { formatConntrack, formatEvent, formatConntrackList, formatStats, toJSON, fromJSON } from './format/conntrack.js';

export { Hook, CtStateBit, CtStatus, type PacketContext } from './netfilter/context.js';
export type { BaseChain } from './netfilter/chain.js';
export { iptablesBaseChains } from './netfilter/iptables-chains.js';

export { Host, type HostOptions, type HostResult } from './host/host.js';
export { parseHostConfig, hostConfigFromObject, HostConfigError, type HostConfig } from './host/config.js';

export { parseIptables } from './rules/parse.js';
export { RulesetError } from './rules/errors.js';

export { Replayer, replayBytes, ReplayError, type ReplayOptions, type PacketResult } from './replay/replay.js';
export { JsonlEncoder } from './replay/jsonl.js';
export { loadNft } from './nft/load.js';
export { nftBaseChains } from './nft/chains.js';
export { formatNftRuleset } from './format/nft.js';
