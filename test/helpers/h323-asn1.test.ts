/**
 * The H.323 helpers' PER decoder (src/helpers/h323-asn1.ts, tables in h323-types.ts) against the
 * test side's independent aligned-PER encoder (h323-per.ts): every message the helpers act on
 * decodes to the alternative and options bits the kernel's structures use (bit values as in the
 * kernel's nf_conntrack_h323_types.h), address offsets point at the address bytes; the kernel's
 * quirks (STOP fields, the doubly advanced timeToLive, User-user element framing) hold; and no
 * input, random or a mutilated real message, makes it throw or report an address outside the
 * message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { decoders } from '../../src/helpers/h323.js';
import { H323Error, indexOf, optionBit, type Decoded } from '../../src/helpers/h323-asn1.js';
import {
  AdmissionRequest,
  Alerting_UUIE,
  CallProceeding_UUIE,
  Connect_UUIE,
  Facility_UUIE,
  H2250_SEQ,
  H2250LogicalChannelAckParameters,
  H323_UU_PDU,
  OpenLogicalChannel,
  Progress_UUIE,
  RasMessage,
  RegistrationConfirm,
  RegistrationRequest,
  Setup_UUIE,
} from '../../src/helpers/h323-types.js';
import { addrBytes, h245Message, q931, ras, userInformation, type Addr, type RasKind } from './h323-per.js';

const a = (ip: string, port: number): Addr => ({ ip, port });

function sub(d: Decoded | undefined, ...path: string[]): Decoded | undefined {
  let v: unknown = d;
  for (const p of path) v = (v as Decoded | undefined)?.[p];
  return v as Decoded | undefined;
}

/** The address and port at offset `off` of `buf` (from `base`) as text. */
function addrAt(buf: Uint8Array, base: number, off: number, len = 4): string {
  const b = buf.subarray(base + off, base + off + len + 2);
  const ip = len === 4 ? [...b.subarray(0, 4)].join('.') : [...b.subarray(0, 16)].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${ip}:${(b[len]! << 8) | b[len + 1]!}`;
}

test('option bits are the kernel\'s (nf_conntrack_h323_types.h)', () => {
  const bits: [number, number][] = [
    [optionBit(Setup_UUIE, 'h245Address'), 1 << 31],
    [optionBit(Setup_UUIE, 'destCallSignalAddress'), 1 << 28],
    [optionBit(Setup_UUIE, 'sourceCallSignalAddress'), 1 << 24],
    [optionBit(Setup_UUIE, 'fastStart'), 1 << 18],
    [optionBit(Setup_UUIE, 'parallelH245Control'), 1 << 0],
    [optionBit(CallProceeding_UUIE, 'fastStart'), 1 << 26],
    [optionBit(Connect_UUIE, 'fastStart'), 1 << 26],
    [optionBit(Connect_UUIE, 'featureSet'), 1 << 16],
    [optionBit(Alerting_UUIE, 'fastStart'), 1 << 26],
    [optionBit(Facility_UUIE, 'alternativeAddress'), 1 << 31],
    [optionBit(Facility_UUIE, 'h245Address'), 1 << 22],
    [optionBit(Facility_UUIE, 'fastStart'), 1 << 21],
    [optionBit(Facility_UUIE, 'h245SecurityMode'), 1 << 13],
    [optionBit(Progress_UUIE, 'fastStart'), 1 << 27],
    [optionBit(H2250_SEQ, 'mediaChannel'), 1 << 29],
    [optionBit(H2250_SEQ, 'mediaControlChannel'), 1 << 27],
    [optionBit(H2250_SEQ, 'source'), 1 << 19],
    [optionBit(OpenLogicalChannel, 'reverseLogicalChannelParameters'), 1 << 31],
    [optionBit(OpenLogicalChannel, 'separateStack'), 1 << 30],
    [optionBit(OpenLogicalChannel, 'encryptionSync'), 1 << 29],
  ];
  for (const [got, want] of bits) assert.equal(got, want >>> 0);
  assert.equal(indexOf(RasMessage, 'infoRequestResponse'), 22);
  assert.equal(indexOf(RasMessage, 'serviceControlResponse'), 31);
});

const UUIE_KINDS = ['setup', 'callProceeding', 'connect', 'alerting', 'facility', 'progress'] as const;
const BODY_FIELD = { setup: Setup_UUIE, callProceeding: CallProceeding_UUIE, connect: Connect_UUIE, alerting: Alerting_UUIE, facility: Facility_UUIE, progress: Progress_UUIE };

test('Q.931 UUIEs: alternative, h245Address and fastStart channels decode where the encoder put them', () => {
  for (const kind of UUIE_KINDS) {
    const uu = userInformation(kind, { h245Address: a('10.0.2.100', 46000), fastStart: [{ forward: { media: a('10.0.2.100', 6000), mediaControl: a('10.0.2.100', 6001) }, reverse: { media: a('10.0.2.100', 6002) } }], reason: 5 });
    const msg = q931(kind, uu);
    const r = decoders.q931(msg);
    assert.ok(r.err >= 0, `${kind}: ${r.err}`);
    assert.equal(r.messageType, { setup: 5, callProceeding: 2, connect: 7, alerting: 1, facility: 0x62, progress: 3 }[kind]);
    const body = sub(r.uuie, 'h323-uu-pdu', 'h323-message-body')!;
    assert.equal(body['choice'], indexOf(H323_UU_PDU.fields![0]!.fields!, kind));
    const uuie = sub(body, kind)!;
    const opts = uuie['options'] as number;
    assert.ok(opts & optionBit(BODY_FIELD[kind], 'h245Address'), `${kind} h245Address bit`);
    assert.ok(opts & optionBit(BODY_FIELD[kind], 'fastStart'), `${kind} fastStart bit`);
    assert.equal(addrAt(msg, 0, sub(uuie, 'h245Address', 'ipAddress')!['ip'] as unknown as number), '10.0.2.100:46000');
    const olc = (sub(uuie, 'fastStart')!['items'] as Decoded[])[0]!;
    const fwd = sub(olc, 'forwardLogicalChannelParameters', 'multiplexParameters', 'h2250LogicalChannelParameters')!;
    assert.equal(addrAt(msg, 0, sub(fwd, 'mediaChannel', 'unicastAddress', 'iPAddress')!['network'] as unknown as number), '10.0.2.100:6000');
    assert.equal(addrAt(msg, 0, sub(fwd, 'mediaControlChannel', 'unicastAddress', 'iPAddress')!['network'] as unknown as number), '10.0.2.100:6001');
    const rev = sub(olc, 'reverseLogicalChannelParameters', 'multiplexParameters', 'h2250LogicalChannelParameters')!;
    assert.equal(addrAt(msg, 0, sub(rev, 'mediaChannel', 'unicastAddress', 'iPAddress')!['network'] as unknown as number), '10.0.2.100:6002');
  }
});

test('Setup call signal addresses and IPv6 addresses', () => {
  const msg = q931('setup', userInformation('setup', { h245Address: a('fd00:1::100', 45000), destCallSignalAddress: a('10.0.2.100', 1720), sourceCallSignalAddress: a('10.0.1.100', 40000), sourceAlias: 'alice' }));
  const r = decoders.q931(msg);
  const setup = sub(r.uuie, 'h323-uu-pdu', 'h323-message-body', 'setup')!;
  const ip6 = sub(setup, 'h245Address', 'ip6Address')!['ip'] as unknown as number;
  assert.equal(sub(setup, 'h245Address')!['choice'], 3);
  assert.equal(addrAt(msg, 0, ip6, 16), `${addrBytes('fd00:1::100').map((x) => x.toString(16).padStart(2, '0')).join('')}:45000`);
  assert.equal(addrAt(msg, 0, sub(setup, 'destCallSignalAddress', 'ipAddress')!['ip'] as unknown as number), '10.0.2.100:1720');
  assert.equal(addrAt(msg, 0, sub(setup, 'sourceCallSignalAddress', 'ipAddress')!['ip'] as unknown as number), '10.0.1.100:40000');
});

test('tunnelled H.245: found after a Facility; after a Setup the kernel stops at endpointIdentifier (STOP) and reads the PDU extensions from the wrong place', () => {
  const olc = h245Message({ olc: { forward: { media: a('10.0.1.100', 5000) } } });
  const fac = q931('facility', userInformation('facility', { reason: 6 }, [olc]));
  const pdu = sub(decoders.q931(fac).uuie, 'h323-uu-pdu')!;
  assert.ok((pdu['options'] as number) & optionBit(H323_UU_PDU, 'h245Control'));
  const mscm = (sub(pdu, 'h245Control')!['items'] as Decoded[])[0]!;
  const ch = sub(mscm, 'request', 'openLogicalChannel', 'forwardLogicalChannelParameters', 'multiplexParameters', 'h2250LogicalChannelParameters', 'mediaChannel', 'unicastAddress', 'iPAddress')!;
  assert.equal(addrAt(fac, 0, ch['network'] as unknown as number), '10.0.1.100:5000');
  // A Setup's extensions go on after endpointIdentifier (multipleCalls, maintainConnection): the
  // decode of the Setup stops there without error and the PDU's extension bitmap is read inside them.
  const setup = q931('setup', userInformation('setup', { h245Address: a('10.0.1.100', 45000) }, [olc]));
  const r = decoders.q931(setup);
  assert.ok(r.err >= 0);
  const spdu = sub(r.uuie, 'h323-uu-pdu')!;
  assert.equal((spdu['options'] as number) & optionBit(H323_UU_PDU, 'h245Control'), 0);
  assert.equal(sub(spdu, 'h245Control'), undefined);
});

test('H.245 OpenLogicalChannelAck with forward multiplex ack parameters and a T.120 separate stack', () => {
  const m = h245Message({ olca: { ack: { media: a('10.0.1.100', 5010), mediaControl: a('10.0.1.100', 5011), sessionID: 1 }, t120: a('10.0.1.100', 1503) } });
  const r = decoders.h245(m);
  assert.ok(r.err >= 0);
  const olca = sub(r.root, 'response', 'openLogicalChannelAck')!;
  const ack = sub(olca, 'forwardMultiplexAckParameters', 'h2250LogicalChannelAckParameters')!;
  assert.ok((ack['options'] as number) & optionBit(H2250LogicalChannelAckParameters, 'mediaControlChannel'));
  assert.equal(addrAt(m, 0, sub(ack, 'mediaControlChannel', 'unicastAddress', 'iPAddress')!['network'] as unknown as number), '10.0.1.100:5011');
  assert.equal(sub(olca, 'separateStack', 'networkAddress')!['choice'], 2);
});

test('RAS messages: the kept addresses and time to live', () => {
  const kinds: RasKind[] = ['grq', 'gcf', 'rrq', 'rcf', 'urq', 'arq', 'acf', 'lrq', 'lcf', 'irr'];
  const spec = { callSignal: [a('10.0.1.100', 1720), a('10.0.1.100', 1721)], ras: [a('10.0.1.100', 1719)], rasAddress: a('10.0.1.100', 1719), ttl: 3600, destCallSignalAddress: a('10.0.2.200', 1720), srcCallSignalAddress: a('10.0.1.100', 1720), callSignalAddress: a('10.0.2.201', 1720), replyAddress: a('10.0.1.100', 1719) };
  const names = { grq: 'gatekeeperRequest', gcf: 'gatekeeperConfirm', rrq: 'registrationRequest', rcf: 'registrationConfirm', urq: 'unregistrationRequest', arq: 'admissionRequest', acf: 'admissionConfirm', lrq: 'locationRequest', lcf: 'locationConfirm', irr: 'infoRequestResponse' };
  for (const k of kinds) {
    const m = ras(k, spec);
    const r = decoders.ras(m);
    assert.ok(r.err >= 0, `${k}: ${r.err}`);
    assert.equal(r.root['choice'], indexOf(RasMessage, names[k]));
    const body = sub(r.root, names[k])!;
    if (k === 'rrq' || k === 'rcf' || k === 'urq' || k === 'irr') {
      const items = sub(body, 'callSignalAddress')!['items'] as Decoded[];
      assert.deepEqual(items.map((i) => addrAt(m, 0, sub(i, 'ipAddress')!['ip'] as unknown as number)), ['10.0.1.100:1720', '10.0.1.100:1721']);
    }
    if (k === 'rrq') {
      assert.ok((body['options'] as number) & optionBit(RegistrationRequest, 'timeToLive'));
      assert.equal(body['timeToLive'], 3600);
    }
    if (k === 'rcf') assert.equal(body['timeToLive'], 3600);
    if (k === 'arq') {
      assert.ok((body['options'] as number) & optionBit(AdmissionRequest, 'srcCallSignalAddress'));
      assert.equal(addrAt(m, 0, sub(body, 'destCallSignalAddress', 'ipAddress')!['ip'] as unknown as number), '10.0.2.200:1720');
    }
  }
});

test('a kept timeToLive moves the cursor twice over its value: at the very end of a message it fails the decode', () => {
  // An RCF whose only extension is its timeToLive, nothing after it.
  const full = ras('rcf', { callSignal: [a('10.0.1.100', 1720)], ttl: 300 });
  const r = decoders.ras(full);
  assert.ok(r.err >= 0);
  assert.ok((sub(r.root, 'registrationConfirm')!['options'] as number) & optionBit(RegistrationConfirm, 'timeToLive'));
  // Drop the trailing extension additions after timeToLive: rebuild with the TTL last.
  const bytes = Array.from(full);
  // the extension bitmap says 8 additions; find the TTL open type (length 3: 2-bit count + 2 value bytes) and cut after it
  const at = bytes.findIndex((b, i) => b === 3 && bytes[i + 1] === 0x40 && bytes[i + 2] === 0x01 && bytes[i + 3] === 0x2b);
  assert.ok(at > 0, 'the TTL open type (299 in two octets) is where the encoder put it');
  const cut = Uint8Array.from(bytes.slice(0, at + 4));
  assert.equal(decoders.ras(cut).err, H323Error.BOUND);
});

test('Q.931 framing: no User-user element, a User-user element of length 0, a message type followed by a byte with its top bit set', () => {
  assert.equal(decoders.q931(Uint8Array.of(0x08, 1, 0x55, 0x07, 0x00)).err, H323Error.BOUND);
  assert.equal(decoders.q931(Uint8Array.of(0x09, 1, 0x55, 0x07, 0x00)).err, H323Error.RANGE);
  assert.equal(decoders.q931(Uint8Array.of(0x08, 1, 0x55, 0x07, 0x7e, 0x00, 0x00)).err, H323Error.BOUND);
  const uu = userInformation('connect', { h245Address: a('10.0.2.100', 46000) });
  const withShift = q931('connect', uu);
  const shifted = Uint8Array.from([...withShift.subarray(0, 5), 0xa1, ...withShift.subarray(5)]);
  const r = decoders.q931(shifted);
  assert.ok(r.err >= 0);
  assert.equal(addrAt(shifted, 0, sub(r.uuie, 'h323-uu-pdu', 'h323-message-body', 'connect', 'h245Address', 'ipAddress')!['ip'] as unknown as number), '10.0.2.100:46000');
});

/** Every address offset of a decode, with its length (16 under an IPv6 alternative, else 4). */
function offsets(d: unknown, parent = '', out: [number, number][] = []): [number, number][] {
  if (Array.isArray(d)) for (const x of d) offsets(x, parent, out);
  else if (d !== null && typeof d === 'object') {
    for (const [k, v] of Object.entries(d as Record<string, unknown>)) {
      if ((k === 'ip' || k === 'network') && typeof v === 'number') out.push([v, /6/.test(parent) ? 16 : 4]);
      else offsets(v, k, out);
    }
  }
  return out;
}

const samples: Uint8Array[] = [
  q931('setup', userInformation('setup', { h245Address: a('10.0.1.100', 45000), fastStart: [{ forward: { media: a('10.0.1.100', 5000) }, reverse: { mediaControl: a('10.0.1.100', 5001) } }] })),
  q931('facility', userInformation('facility', { reason: 1, alternativeAddress: a('10.0.2.150', 1720) }, [h245Message({ olca: { ack: { media: a('10.0.1.100', 5010) }, t120: a('10.0.1.100', 1503) } })])),
  ras('rrq', { callSignal: [a('10.0.1.100', 1720)], ras: [a('10.0.1.100', 1719)], ttl: 60, alias: 'bob' }),
  ras('arq', { alias: '2000', destCallSignalAddress: a('10.0.2.200', 1720), srcCallSignalAddress: a('10.0.1.100', 1720) }),
  h245Message({ olc: { kind: 't120', forward: { media: a('10.0.1.100', 5000) }, reverse: { media: a('10.0.1.100', 5002) }, t120: a('10.0.1.100', 1503) } }),
];

function decodeAll(m: Uint8Array): { err: number; root: unknown }[] {
  const q = decoders.q931(m);
  return [{ err: q.err, root: q.uuie }, decoders.ras(m), decoders.h245(m)];
}

function checkDecodes(m: Uint8Array): void {
  for (const r of decodeAll(m)) {
    assert.ok([H323Error.NONE, H323Error.STOP, H323Error.BOUND, H323Error.RANGE].includes(r.err as 0 | 1 | -1 | -2));
    if (r.err < 0) continue;
    // A message that decodes keeps only addresses (and ports) inside it.
    for (const [off, len] of offsets(r.root)) assert.ok(off >= 0 && off + len + 2 <= m.length, `address at ${off} of ${m.length}`);
  }
}

test('random bytes never make the decoders throw, and kept addresses lie inside the message', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      checkDecodes(bytes);
      checkDecodes(Uint8Array.from([0x08, 2, 0x12, 0x34, 0x05, 0x7e, bytes.length >> 8, bytes.length & 0xff, 0x05, ...bytes]));
    }),
    { numRuns: 400 },
  );
});

test('truncated and garbled real messages never make the decoders throw', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...samples),
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      (m, cut, flips) => {
        const prefix = m.subarray(0, cut % (m.length + 1));
        checkDecodes(prefix);
        const g = Uint8Array.from(m);
        for (const [i, v] of flips) g[i % g.length] = v;
        checkDecodes(g);
      },
    ),
    { numRuns: 500 },
  );
});
