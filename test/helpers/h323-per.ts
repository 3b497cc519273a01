/**
 * Test side of the H.323 helper: an ASN.1 aligned-PER (X.691) encoder for the H.225.0 and H.245
 * messages the tests and the recorder scenarios send, written from the ITU-T ASN.1 modules
 * (H.225.0 v4+, H.245 v7+), independently of the decoder's tables:
 *
 *  - Q.931 messages (protocol discriminator 8, call reference, message type, a Display element,
 *    the User-user element with the H323-UserInformation) in TPKTs (RFC 1006);
 *  - UUIEs: Setup, CallProceeding, Connect, Alerting, Facility, Progress, ReleaseComplete, with
 *    h245Address, call signal addresses, fastStart OpenLogicalChannels, and tunnelled H.245;
 *  - H.245 OpenLogicalChannel (audio, H.225.0 media / media control channels, reverse
 *    parameters, T.120 separate stack), OpenLogicalChannelAck, a TerminalCapabilitySetAck;
 *  - RAS: GRQ, GCF, RRQ, RCF, URQ, ARQ, ACF, LRQ, LCF, IRR.
 *
 * Mandatory extension additions of the versions modelled are present (a real endpoint sends
 * them), so messages look like what H.323 stacks put on the wire.
 */

/** A bit writer for aligned PER. */
export class PerWriter {
  private readonly bytes: number[] = [];
  private bitPos = 0; // bits used in the last byte (0: aligned)

  bit(b: boolean | number): this {
    if (this.bitPos === 0) this.bytes.push(0);
    if (b) this.bytes[this.bytes.length - 1]! |= 0x80 >> this.bitPos;
    this.bitPos = (this.bitPos + 1) & 7;
    return this;
  }

  /** `n` bits of `v`, most significant first. */
  bits(v: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bit(Math.floor(v / 2 ** i) % 2);
    return this;
  }

  align(): this {
    this.bitPos = 0;
    return this;
  }

  octets(b: ArrayLike<number>): this {
    this.align();
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]! & 0xff);
    return this;
  }

  /** An aligned length determinant (X.691 10.9, < 16384). */
  length(n: number): this {
    this.align();
    if (n < 128) this.bytes.push(n);
    else if (n < 16384) this.bytes.push(0x80 | (n >> 8), n & 0xff);
    else throw new Error(`PER length ${n} needs fragmentation`);
    return this;
  }

  /** A constrained whole number in lb..ub (X.691 10.5, aligned variant). */
  cint(v: number, lb: number, ub: number): this {
    if (v < lb || v > ub) throw new Error(`PER: ${v} outside ${lb}..${ub}`);
    const range = ub - lb + 1;
    const x = v - lb;
    if (range === 1) return this;
    if (range <= 255) return this.bits(x, Math.ceil(Math.log2(range)));
    if (range === 256) return this.align().bits(x, 8);
    if (range <= 65536) return this.align().bits(x, 16);
    // indefinite-length case: octet count (1..4 for a 32-bit range) as a 2-bit field, then the octets
    const n = Math.max(1, Math.ceil(Math.log2(x + 1) / 8));
    this.bits(n - 1, 2);
    return this.align().bits(x, 8 * n);
  }

  /** The encoding so far, padded to whole octets (an empty encoding is one zero octet, X.691 10.1.3). */
  done(): Uint8Array {
    return Uint8Array.from(this.bytes.length === 0 ? [0] : this.bytes);
  }
}

export type Enc = (w: PerWriter) => void;

/** An open type: the complete encoding of `f`, length-prefixed. */
export function open(w: PerWriter, f: Enc): void {
  const inner = new PerWriter();
  f(inner);
  const b = inner.done();
  w.length(b.length).octets(b);
}

/** A SEQUENCE's extension additions: a normally small length, the presence bitmap, each present one as an open type. */
export function extensions(w: PerWriter, adds: (Enc | null)[]): void {
  const n = adds.length;
  w.bit(0).bits(n - 1, 6);
  for (const a of adds) w.bit(a !== null);
  w.align();
  for (const a of adds) if (a !== null) open(w, a);
}

/** A CHOICE alternative in the extension: its index past the root as a normally small number, then an open type. */
export function extChoice(w: PerWriter, index: number, f: Enc): void {
  w.bit(1).bit(0).bits(index, 6);
  w.align();
  open(w, f);
}

const boolean = (v: boolean): Enc => (w) => void w.bit(v);

/** OBJECT IDENTIFIER contents octets of a dotted text. */
export function oidBytes(text: string): number[] {
  const arcs = text.split('.').map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const a of arcs.slice(2)) {
    const chunk: number[] = [];
    let v = a;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return out;
}

function oid(w: PerWriter, text: string): void {
  const b = oidBytes(text);
  w.length(b.length).octets(b);
}

/** H.225.0 version 4's protocol identifier. */
export const H225_OID = '0.0.8.2250.0.4';

/** An address as text: dotted IPv4 or IPv6. */
export function addrBytes(a: string): number[] {
  if (!a.includes(':')) return a.split('.').map(Number);
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out: number[] = [];
  for (const g of groups) {
    const v = parseInt(g, 16);
    out.push(v >> 8, v & 0xff);
  }
  return out;
}

export interface Addr {
  ip: string;
  port: number;
}

/** H.225.0 TransportAddress (ipAddress or ip6Address). */
export function transportAddress(a: Addr): Enc {
  return (w) => {
    w.bit(0); // extension bit of the CHOICE
    if (a.ip.includes(':')) {
      w.bits(3, 3); // ip6Address
      w.bit(0); // ip6Address ... extension bit
      w.octets(addrBytes(a.ip));
    } else {
      w.bits(0, 3); // ipAddress
      w.octets(addrBytes(a.ip));
    }
    w.cint(a.port, 0, 65535);
  };
}

/** H.225.0 EndpointType: a terminal (vendor information present when asked). */
export function endpointType(o: { vendor?: boolean } = {}): Enc {
  return (w) => {
    w.bit(0); // extension
    w.bits(o.vendor ? 0b010001 : 0b000001, 6); // nonStandardData, vendor, gatekeeper, gateway, mcu, terminal
    if (o.vendor) vendorIdentifier(w);
    w.bit(0).bit(0); // TerminalInfo: extension, nonStandardData absent
    w.bit(0); // mc
    w.bit(0); // undefinedNode
  };
}

function vendorIdentifier(w: PerWriter): void {
  w.bit(0).bit(1).bit(0); // extension; productId present, versionId absent
  w.bit(0); // H221NonStandard extension
  w.cint(181, 0, 255).cint(0, 0, 255).cint(0x1234, 0, 65535);
  const product = [...'ctkit'].map((c) => c.charCodeAt(0));
  w.align().cint(product.length, 1, 256).octets(product);
}

/** AliasAddress: dialedDigits or h323-ID. */
export function aliasAddress(alias: string): Enc {
  return (w) => {
    w.bit(0);
    if (/^[0-9#*,]+$/.test(alias)) {
      w.bit(0); // dialedDigits
      w.cint(alias.length, 1, 128);
      w.align();
      const digits = '0123456789#*,';
      for (const c of alias) w.bits(digits.indexOf(c), 4);
    } else {
      w.bit(1); // h323-ID
      w.align().cint(alias.length, 1, 256);
      for (const c of alias) w.octets([0, c.charCodeAt(0)]);
    }
  };
}

function aliasList(w: PerWriter, aliases: string[]): void {
  w.length(aliases.length);
  for (const a of aliases) aliasAddress(a)(w);
}

/** BMPString (SIZE(1..128)) (EndpointIdentifier, GatekeeperIdentifier). */
function bmp128(w: PerWriter, s: string): void {
  w.cint(s.length, 1, 128).align();
  for (const c of s) w.octets([0, c.charCodeAt(0)]);
}

const CONFERENCE_ID = Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const CALL_ID = Array.from({ length: 16 }, (_, i) => 0x10 + i);

function callIdentifier(w: PerWriter): void {
  w.bit(0).octets(CALL_ID);
}

// ------------------------------------------------------------------------------------------------
// H.245

/** H.245 TransportAddress: unicastAddress iPAddress / iP6Address. */
export function h245Address(a: Addr): Enc {
  return (w) => {
    w.bit(0).bit(0); // extension, unicastAddress
    w.bit(0); // UnicastAddress extension
    if (a.ip.includes(':')) {
      w.bits(2, 3).bit(0); // iP6Address, its extension bit
    } else {
      w.bits(0, 3).bit(0); // iPAddress, its extension bit
    }
    w.octets(addrBytes(a.ip));
    w.cint(a.port, 0, 65535);
  };
}

/** H2250LogicalChannelParameters. */
export interface H2250Params {
  sessionID?: number;
  media?: Addr;
  mediaControl?: Addr;
  /** dynamicRTPPayloadType (96..127). */
  payloadType?: number;
  silenceSuppression?: boolean;
}

function h2250(p: H2250Params): Enc {
  return (w) => {
    w.bit(0); // extension
    // nonStandard, associatedSessionID, mediaChannel, mediaGuaranteedDelivery, mediaControlChannel,
    // mediaControlGuaranteedDelivery, silenceSuppression, destination, dynamicRTPPayloadType, mediaPacketization
    const present = [false, false, !!p.media, false, !!p.mediaControl, false, p.silenceSuppression !== undefined, false, p.payloadType !== undefined, false];
    for (const b of present) w.bit(b);
    w.cint(p.sessionID ?? 1, 0, 255);
    if (p.media) h245Address(p.media)(w);
    if (p.mediaControl) h245Address(p.mediaControl)(w);
    if (p.silenceSuppression !== undefined) w.bit(p.silenceSuppression);
    if (p.payloadType !== undefined) w.cint(p.payloadType, 96, 127);
  };
}

/** DataType: audioData g711Ulaw64k, or data t120 separateLANStack. */
function dataType(kind: 'audio' | 't120'): Enc {
  return (w) => {
    w.bit(0);
    if (kind === 'audio') {
      w.bits(3, 3); // audioData
      w.bit(0).bits(3, 4); // AudioCapability: g711Ulaw64k
      w.cint(20, 1, 256);
    } else {
      w.bits(4, 3); // data: DataApplicationCapability
      w.bit(0); // its extension bit
      w.bit(0).bits(1, 4); // application: t120
      extChoice(w, 3, () => {}); // DataProtocolCapability: separateLANStack (NULL)
      w.cint(64000, 0, 4294967295); // maxBitRate
    }
  };
}

export interface OlcSpec {
  channel?: number;
  kind?: 'audio' | 't120';
  forward?: H2250Params;
  reverse?: H2250Params;
  /** T.120 over a separate LAN stack: the localAreaAddress. */
  t120?: Addr;
}

/** H.245 OpenLogicalChannel. */
export function openLogicalChannel(s: OlcSpec): Enc {
  return (w) => {
    w.bit(s.t120 !== undefined); // extension (separateStack is an addition)
    w.bit(s.reverse !== undefined);
    w.cint(s.channel ?? 1, 1, 65535);
    // forwardLogicalChannelParameters
    w.bit(0); // extension
    w.bit(0); // portNumber absent
    dataType(s.kind ?? 'audio')(w);
    extChoice(w, 0, h2250(s.forward ?? {})); // multiplexParameters: h2250LogicalChannelParameters
    if (s.reverse !== undefined) {
      w.bit(0); // extension
      w.bit(1); // multiplexParameters present
      dataType('audio')(w);
      extChoice(w, 0, h2250(s.reverse)); // h2250LogicalChannelParameters
    }
    if (s.t120 !== undefined) extensions(w, [networkAccess(s.t120)]);
  };
}

/** NetworkAccessParameters with a localAreaAddress. */
function networkAccess(a: Addr): Enc {
  return (w) => {
    w.bit(0).bit(0).bit(0); // extension; distribution, externalReference absent
    w.bit(0).bits(2, 2); // networkAddress: localAreaAddress
    h245Address(a)(w);
    w.bit(0); // associateConference
  };
}

export interface OlcaSpec {
  channel?: number;
  /** reverseLogicalChannelParameters with H.225.0 parameters. */
  reverse?: H2250Params;
  /** forwardMultiplexAckParameters (H2250LogicalChannelAckParameters). */
  ack?: { media?: Addr; mediaControl?: Addr; sessionID?: number };
  t120?: Addr;
}

/** H.245 OpenLogicalChannelAck. */
export function openLogicalChannelAck(s: OlcaSpec): Enc {
  return (w) => {
    const ext = s.ack !== undefined || s.t120 !== undefined;
    w.bit(ext);
    w.bit(s.reverse !== undefined);
    w.cint(s.channel ?? 1, 1, 65535);
    if (s.reverse !== undefined) {
      w.bit(0).bit(0).bit(1); // extension; portNumber absent, multiplexParameters present
      w.cint(s.channel ?? 1, 1, 65535);
      extChoice(w, 0, h2250(s.reverse));
    }
    if (ext) {
      const ack = s.ack;
      extensions(w, [
        s.t120 !== undefined ? networkAccess(s.t120) : null,
        ack !== undefined
          ? (x) => {
              x.bit(0); // CHOICE extension bit: h2250LogicalChannelAckParameters (the only root alternative)
              x.bit(0); // its extension bit
              x.bits([false, ack.sessionID !== undefined, !!ack.media, !!ack.mediaControl, false].reduce((v, b) => v * 2 + (b ? 1 : 0), 0), 5);
              if (ack.sessionID !== undefined) x.cint(ack.sessionID, 1, 255);
              if (ack.media) h245Address(ack.media)(x);
              if (ack.mediaControl) h245Address(ack.mediaControl)(x);
            }
          : null,
      ]);
    }
  };
}

/** H.245 MultimediaSystemControlMessage. */
export function h245Message(m: { olc: OlcSpec } | { olca: OlcaSpec } | { tcsAck: number }): Uint8Array {
  const w = new PerWriter();
  if ('olc' in m) {
    w.bit(0).bits(0, 2); // request
    w.bit(0).bits(3, 4); // openLogicalChannel
    openLogicalChannel(m.olc)(w);
  } else if ('olca' in m) {
    w.bit(0).bits(1, 2); // response
    w.bit(0).bits(5, 5); // openLogicalChannelAck
    openLogicalChannelAck(m.olca)(w);
  } else {
    w.bit(0).bits(1, 2); // response
    w.bit(0).bits(3, 5); // terminalCapabilitySetAck
    w.bit(0).cint(m.tcsAck, 0, 255);
  }
  return w.done();
}

// ------------------------------------------------------------------------------------------------
// H.225.0 call signalling

export interface UuieSpec {
  h245Address?: Addr;
  fastStart?: OlcSpec[];
  /** Setup: destCallSignalAddress / sourceCallSignalAddress; a source alias. */
  destCallSignalAddress?: Addr;
  sourceCallSignalAddress?: Addr;
  sourceAlias?: string;
  /** Facility: reason (index) and alternativeAddress. */
  reason?: number;
  alternativeAddress?: Addr;
}

function fastStartList(list: OlcSpec[]): Enc {
  return (w) => {
    w.length(list.length);
    for (const olc of list) open(w, openLogicalChannel(olc));
  };
}

function setup(s: UuieSpec): Enc {
  return (w) => {
    w.bit(1); // extension additions follow
    // h245Address, sourceAddress, destinationAddress, destCallSignalAddress, destExtraCallInfo, destExtraCRV, callServices
    for (const b of [!!s.h245Address, !!s.sourceAlias, false, !!s.destCallSignalAddress, false, false, false]) w.bit(b);
    oid(w, H225_OID);
    if (s.h245Address) transportAddress(s.h245Address)(w);
    if (s.sourceAlias) aliasList(w, [s.sourceAlias]);
    endpointType({ vendor: true })(w);
    if (s.destCallSignalAddress) transportAddress(s.destCallSignalAddress)(w);
    w.bit(0); // activeMC
    w.octets(CONFERENCE_ID);
    w.bit(0).bits(0, 2); // conferenceGoal: create
    w.bit(0).bits(0, 2); // callType: pointToPoint
    extensions(w, [
      s.sourceCallSignalAddress ? transportAddress(s.sourceCallSignalAddress) : null,
      null, // remoteExtensionAddress
      callIdentifier,
      null, // h245SecurityCapability
      null, // tokens
      null, // cryptoTokens
      s.fastStart ? fastStartList(s.fastStart) : null,
      boolean(false), // mediaWaitForConnect
      boolean(false), // canOverlapSend
      null, // endpointIdentifier
      boolean(false), // multipleCalls
      boolean(false), // maintainConnection
    ]);
  };
}

/** CallProceeding and Alerting share their shape. */
function proceedingOrAlerting(s: UuieSpec): Enc {
  return (w) => {
    w.bit(1).bit(!!s.h245Address);
    oid(w, H225_OID);
    endpointType()(w);
    if (s.h245Address) transportAddress(s.h245Address)(w);
    extensions(w, [callIdentifier, null, null, null, s.fastStart ? fastStartList(s.fastStart) : null, boolean(false), boolean(false)]);
  };
}

function connect(s: UuieSpec): Enc {
  return (w) => {
    w.bit(1).bit(!!s.h245Address);
    oid(w, H225_OID);
    if (s.h245Address) transportAddress(s.h245Address)(w);
    endpointType()(w);
    w.octets(CONFERENCE_ID);
    extensions(w, [callIdentifier, null, null, null, s.fastStart ? fastStartList(s.fastStart) : null, boolean(false), boolean(false)]);
  };
}

function facility(s: UuieSpec): Enc {
  return (w) => {
    w.bit(1);
    w.bit(!!s.alternativeAddress).bit(0).bit(1); // alternativeAddress, alternativeAliasAddress, conferenceID
    oid(w, H225_OID);
    if (s.alternativeAddress) transportAddress(s.alternativeAddress)(w);
    w.octets(CONFERENCE_ID);
    const reason = s.reason ?? 1;
    if (reason < 4) w.bit(0).bits(reason, 2);
    else extChoice(w, reason - 4, () => {});
    extensions(w, [
      callIdentifier,
      null, // destExtraCallInfo
      null, // remoteExtensionAddress
      null, // tokens
      null, // cryptoTokens
      null, // conferences
      s.h245Address ? transportAddress(s.h245Address) : null,
      s.fastStart ? fastStartList(s.fastStart) : null,
      boolean(false),
      boolean(false),
    ]);
  };
}

function progress(s: UuieSpec): Enc {
  return (w) => {
    w.bit(1);
    // h245Address, h245SecurityMode, tokens, cryptoTokens, fastStart
    for (const b of [!!s.h245Address, false, false, false, !!s.fastStart]) w.bit(b);
    oid(w, H225_OID);
    endpointType()(w);
    if (s.h245Address) transportAddress(s.h245Address)(w);
    callIdentifier(w);
    if (s.fastStart) fastStartList(s.fastStart)(w);
    extensions(w, [boolean(false), boolean(false)]);
  };
}

function releaseComplete(): Enc {
  return (w) => {
    w.bit(1).bit(1); // extension; reason present
    oid(w, H225_OID);
    w.bit(0).bits(11, 4); // undefinedReason
    extensions(w, [callIdentifier]);
  };
}

export type UuieKind = 'setup' | 'callProceeding' | 'connect' | 'alerting' | 'facility' | 'progress' | 'releaseComplete';

/** Q.931 message types. */
export const Q931_TYPE: Readonly<Record<UuieKind, number>> = {
  setup: 0x05,
  callProceeding: 0x02,
  connect: 0x07,
  alerting: 0x01,
  facility: 0x62,
  progress: 0x03,
  releaseComplete: 0x5a,
};

/** H323-UserInformation with the UUIE, h245Tunneling, and tunnelled H.245 messages. */
export function userInformation(kind: UuieKind, s: UuieSpec = {}, h245: Uint8Array[] = []): Uint8Array {
  const w = new PerWriter();
  w.bit(0).bit(0); // extension, user-data absent
  // H323-UU-PDU
  w.bit(1).bit(0); // extension additions follow; nonStandardData absent
  const root = ['setup', 'callProceeding', 'connect', 'alerting', 'information', 'releaseComplete', 'facility'];
  const body: Record<UuieKind, Enc> = {
    setup: setup(s),
    callProceeding: proceedingOrAlerting(s),
    connect: connect(s),
    alerting: proceedingOrAlerting(s),
    facility: facility(s),
    progress: progress(s),
    releaseComplete: releaseComplete(),
  };
  const idx = root.indexOf(kind);
  if (idx >= 0) {
    w.bit(0).bits(idx, 3);
    body[kind](w);
  } else {
    extChoice(w, 0, body[kind]); // progress: the first extension alternative
  }
  extensions(w, [
    null, // h4501SupplementaryService
    boolean(h245.length > 0), // h245Tunneling
    h245.length > 0
      ? (x) => {
          x.length(h245.length);
          for (const m of h245) x.length(m.length).octets(m);
        }
      : null,
  ]);
  return w.done();
}

/** A Q.931 message: call reference `crv` (from the originator when `fromOriginator`), a Display, the User-user element. */
export function q931(kind: UuieKind, uuie: Uint8Array, o: { crv?: number; fromOriginator?: boolean; display?: string } = {}): Uint8Array {
  const crv = o.crv ?? 0x1234;
  const flag = o.fromOriginator === false ? 0x80 : 0;
  const out = [0x08, 2, flag | ((crv >> 8) & 0x7f), crv & 0xff, Q931_TYPE[kind]];
  if (kind === 'setup') out.push(0x04, 0x03, 0x88, 0x90, 0xa5); // bearer capability
  const display = o.display ?? 'ctkit';
  out.push(0x28, display.length + 1, ...[...display].map((c) => c.charCodeAt(0)), 0);
  const len = uuie.length + 1;
  out.push(0x7e, len >> 8, len & 0xff, 0x05, ...uuie);
  return Uint8Array.from(out);
}

/** A TPKT (RFC 1006) around `payload`. */
export function tpkt(payload: Uint8Array): Uint8Array {
  const len = payload.length + 4;
  return Uint8Array.from([3, 0, len >> 8, len & 0xff, ...payload]);
}

/** A whole Q.931 message in a TPKT. */
export function q931Tpkt(kind: UuieKind, s: UuieSpec = {}, o: { crv?: number; fromOriginator?: boolean; h245?: Uint8Array[] } = {}): Uint8Array {
  return tpkt(q931(kind, userInformation(kind, s, o.h245 ?? []), o));
}

// ------------------------------------------------------------------------------------------------
// RAS

export interface RasSpec {
  seq?: number;
  callSignal?: Addr[];
  ras?: Addr[];
  rasAddress?: Addr;
  ttl?: number;
  destCallSignalAddress?: Addr;
  srcCallSignalAddress?: Addr;
  callSignalAddress?: Addr;
  replyAddress?: Addr;
  alias?: string;
  answerCall?: boolean;
  /** RRQ / RCF: end the extension additions at timeToLive (no keepAlive, willSupplyUUIEs, ...). */
  ttlLast?: boolean;
}

function addrList(w: PerWriter, list: Addr[]): void {
  w.length(list.length);
  for (const a of list) transportAddress(a)(w);
}

function ttl(v: number): Enc {
  return (w) => void w.cint(v, 1, 4294967295);
}

const RAS_INDEX = { grq: 0, gcf: 1, rrq: 3, rcf: 4, urq: 6, arq: 9, acf: 10, lrq: 18, lcf: 19, irr: 22 } as const;
export type RasKind = keyof typeof RAS_INDEX;

/** A RAS message. */
export function ras(kind: RasKind, s: RasSpec = {}): Uint8Array {
  const w = new PerWriter();
  w.bit(0).bits(RAS_INDEX[kind], 5);
  const seq = s.seq ?? 1;
  switch (kind) {
    case 'grq':
      w.bit(0).bits(0, 4); // extension; nonStandardData, gatekeeperIdentifier, callServices, endpointAlias absent
      w.cint(seq, 1, 65535);
      oid(w, H225_OID);
      transportAddress(s.rasAddress!)(w);
      endpointType()(w);
      break;
    case 'gcf':
      w.bit(0).bits(0, 2);
      w.cint(seq, 1, 65535);
      oid(w, H225_OID);
      transportAddress(s.rasAddress!)(w);
      break;
    case 'rrq':
      w.bit(1).bits(s.alias ? 0b010 : 0, 3); // nonStandardData, terminalAlias, gatekeeperIdentifier
      w.cint(seq, 1, 65535);
      oid(w, H225_OID);
      w.bit(1); // discoveryComplete
      addrList(w, s.callSignal ?? []);
      addrList(w, s.ras ?? []);
      endpointType()(w);
      if (s.alias) aliasList(w, [s.alias]);
      vendorIdentifier(w);
      extensions(
        w,
        [
          null, // alternateEndpoints
          s.ttl !== undefined ? ttl(s.ttl) : null,
          null, // tokens
          null, // cryptoTokens
          null, // integrityCheckValue
          boolean(false), // keepAlive
          null, // endpointIdentifier
          boolean(false), // willSupplyUUIEs
          boolean(false), // maintainConnection
        ].slice(0, s.ttlLast ? 2 : 9),
      );
      break;
    case 'rcf':
      w.bit(1).bits(0, 3);
      w.cint(seq, 1, 65535);
      oid(w, H225_OID);
      addrList(w, s.callSignal ?? []);
      bmp128(w, 'ep1');
      extensions(
        w,
        [
          null, // alternateGatekeeper
          s.ttl !== undefined ? ttl(s.ttl) : null,
          null,
          null,
          null,
          boolean(false), // willRespondToIRR
          null, // preGrantedARQ
          boolean(false), // maintainConnection
        ].slice(0, s.ttlLast ? 2 : 8),
      );
      break;
    case 'urq':
      w.bit(0).bits(0, 3);
      w.cint(seq, 1, 65535);
      addrList(w, s.callSignal ?? []);
      break;
    case 'arq': {
      w.bit(1);
      // callModel, destinationInfo, destCallSignalAddress, destExtraCallInfo, srcCallSignalAddress, nonStandardData, callServices
      for (const b of [false, !!s.alias, !!s.destCallSignalAddress, false, !!s.srcCallSignalAddress, false, false]) w.bit(b);
      w.cint(seq, 1, 65535);
      w.bit(0).bits(0, 2); // callType pointToPoint
      bmp128(w, 'ep1');
      if (s.alias) aliasList(w, [s.alias]);
      if (s.destCallSignalAddress) transportAddress(s.destCallSignalAddress)(w);
      aliasList(w, ['1000']); // srcInfo
      if (s.srcCallSignalAddress) transportAddress(s.srcCallSignalAddress)(w);
      w.cint(640, 0, 4294967295); // bandWidth
      w.cint(0x1234, 0, 65535); // callReferenceValue
      w.octets(CONFERENCE_ID);
      w.bit(0); // activeMC
      w.bit(s.answerCall ?? false);
      extensions(w, [boolean(false), callIdentifier]); // canMapAlias, callIdentifier
      break;
    }
    case 'acf':
      w.bit(1).bits(0, 2); // irrFrequency, nonStandardData absent
      w.cint(seq, 1, 65535);
      w.cint(640, 0, 4294967295);
      w.bit(0).bit(1); // callModel: gatekeeperRouted
      transportAddress(s.destCallSignalAddress!)(w);
      extensions(w, [
        ...Array<null>(9).fill(null), // destinationInfo ... transportQOS
        boolean(false), // willRespondToIRR
        (x) => void x.bit(0).bits(0, 9), // uuiesRequested: none
      ]);
      break;
    case 'lrq':
      w.bit(0).bits(0, 2);
      w.cint(seq, 1, 65535);
      aliasList(w, [s.alias ?? '2000']);
      transportAddress(s.replyAddress!)(w);
      break;
    case 'lcf':
      w.bit(0).bit(0);
      w.cint(seq, 1, 65535);
      transportAddress(s.callSignalAddress!)(w);
      transportAddress(s.rasAddress!)(w);
      break;
    case 'irr':
      w.bit(0).bits(0, 3);
      w.cint(seq, 1, 65535);
      endpointType()(w);
      bmp128(w, 'ep1');
      transportAddress(s.rasAddress!)(w);
      addrList(w, s.callSignal ?? []);
      break;
  }
  return w.done();
}
