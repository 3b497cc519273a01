/**
 * The H.225 (Q.931 user-user information and RAS) and H.245 structures the kernel's H.323 helper
 * walks (the field tables of nf_conntrack_h323_types.c in 6.18), written as this project's field
 * descriptors (h323-asn1.ts): for every component its ASN.1 type, PER size constraint, bounds
 * and attributes. The tables are the kernel's own cut of the ITU-T modules: components it never
 * needs are left without sub-tables (they sit where only their length is read), everything after
 * the last component it uses is marked STOP, and only the components on the way to a transport
 * address, a fastStart / H.245 OpenLogicalChannel, a timeToLive or a facility reason are DECODE.
 *
 * Component order matters (it is the PER order), and so do the exact bounds: they decide where
 * every following field is read, so a message decodes (or fails to) exactly as in the kernel.
 */
import { AsnType, Attr, Size, type Field } from './h323-asn1.js';

const { NUL, BOOL, OID, INT, ENUM, BITSTR, NUMSTR, OCTSTR, BMPSTR, SEQ, SEQOF, CHOICE } = AsnType;
const { FIXD, BYTE, WORD, CONS, SEMI, UNCO } = Size;
const S: number = Attr.SKIP;
const STOP = Attr.STOP;
const D = Attr.DECODE;
const E = Attr.EXT;
const O = Attr.OPEN;
const P = Attr.OPT;

type Fields = readonly Field[];

const fld = (name: string, type: number, sz: number, lb: number, ub: number, attr: number, fields: Fields | null = null): Field => ({
  name,
  type,
  sz,
  lb,
  ub,
  attr,
  fields,
});
const nul = (name: string, attr: number = S): Field => fld(name, NUL, FIXD, 0, 0, attr);
const bool = (name: string, attr: number = S): Field => fld(name, BOOL, FIXD, 0, 0, attr);
const oid = (name: string, attr: number = S): Field => fld(name, OID, BYTE, 0, 0, attr);
const int = (name: string, sz: number, lb: number, attr: number = S): Field => fld(name, INT, sz, lb, 0, attr);
const enm = (name: string, sz: number, attr: number = S): Field => fld(name, ENUM, sz, 0, 0, attr);
const bits = (name: string, sz: number, lb: number, attr: number = S): Field => fld(name, BITSTR, sz, lb, 0, attr);
const num = (name: string, sz: number, lb: number, attr: number = S): Field => fld(name, NUMSTR, sz, lb, 0, attr);
const octs = (name: string, sz: number, lb: number, attr: number = S): Field => fld(name, OCTSTR, sz, lb, 0, attr);
const bmp = (name: string, sz: number, lb: number, attr: number = S): Field => fld(name, BMPSTR, sz, lb, 0, attr);
const seq = (name: string, sz: number, lb: number, ub: number, attr: number, fields: Fields | null = null): Field => fld(name, SEQ, sz, lb, ub, attr, fields);
const seqof = (name: string, sz: number, lb: number, ub: number, attr: number, fields: Fields | null = null): Field => fld(name, SEQOF, sz, lb, ub, attr, fields);
const choice = (name: string, sz: number, lb: number, ub: number, attr: number, fields: Fields | null = null): Field => fld(name, CHOICE, sz, lb, ub, attr, fields);
/** A SEQUENCE OF / SET OF nobody looks into (length-prefixed list). */
const list = (name: string, attr: number, fields: Fields | null = null): Field => seqof(name, SEMI, 0, 0, attr, fields);
/** A list of NUL alternatives. */
const nuls = (...names: string[]): Fields => names.map((n) => nul(n));
const bools = (...names: string[]): Field[] => names.map((n) => bool(n));

// ------------------------------------------------------------------------------------------------
// H.225 common types

const TransportAddress_ipAddress: Fields = [octs('ip', FIXD, 4, D), int('port', WORD, 0)];
const TransportAddress_ipSourceRoute: Fields = [
  octs('ip', FIXD, 4),
  int('port', WORD, 0),
  list('route', S, [octs('item', FIXD, 4)]),
  choice('routing', 1, 2, 2, S | E, nuls('strict', 'loose')),
];
const TransportAddress_ipxAddress: Fields = [octs('node', FIXD, 6), octs('netnum', FIXD, 4), octs('port', FIXD, 2)];
const TransportAddress_ip6Address: Fields = [octs('ip', FIXD, 16, D), int('port', WORD, 0)];
const H221NonStandard: Fields = [int('t35CountryCode', BYTE, 0), int('t35Extension', BYTE, 0), int('manufacturerCode', WORD, 0)];
const NonStandardIdentifier: Fields = [oid('object'), seq('h221NonStandard', 0, 3, 3, S | E, H221NonStandard)];
const NonStandardParameter: Fields = [choice('nonStandardIdentifier', 1, 2, 2, S | E, NonStandardIdentifier), octs('data', SEMI, 0)];

export const TransportAddress: Fields = [
  seq('ipAddress', 0, 2, 2, D, TransportAddress_ipAddress),
  seq('ipSourceRoute', 0, 4, 4, S | E, TransportAddress_ipSourceRoute),
  seq('ipxAddress', 0, 3, 3, S, TransportAddress_ipxAddress),
  seq('ip6Address', 0, 2, 2, D | E, TransportAddress_ip6Address),
  octs('netBios', FIXD, 16),
  octs('nsap', 5, 1),
  seq('nonStandardAddress', 0, 2, 2, S, NonStandardParameter),
];
/** A TransportAddress component (CHOICE 3,7,7). */
const transportAddress = (name: string, attr: number): Field => choice(name, 3, 7, 7, attr, TransportAddress);

const AliasAddress: Fields = [
  num('dialedDigits', 7, 1),
  bmp('h323-ID', BYTE, 1),
  octs('url-ID', WORD, 1),
  choice('transportID', 3, 7, 7, S | E),
  octs('email-ID', WORD, 1),
  choice('partyNumber', 3, 5, 5, S | E),
  choice('mobileUIM', 1, 2, 2, S | E),
];
const aliasList = (name: string, attr: number): Field => list(name, attr, [choice('item', 1, 2, 7, S | E, AliasAddress)]);

const VendorIdentifier: Fields = [seq('vendor', 0, 3, 3, S | E, H221NonStandard), octs('productId', BYTE, 1, S | P), octs('versionId', BYTE, 1, S | P)];
const nonStandardData = (attr: number): Field => seq('nonStandardData', 0, 2, 2, attr, NonStandardParameter);
const GatekeeperInfo: Fields = [nonStandardData(S | P)];
/** H310Caps ... T120OnlyCaps: all alike. */
const ProtocolCaps: Fields = [nonStandardData(S | P), list('dataRatesSupported', S | P), list('supportedPrefixes', S)];
const SupportedProtocols: Fields = [
  nonStandardData(S),
  ...['h310', 'h320', 'h321', 'h322', 'h323', 'h324', 'voice', 't120-only'].map((n) => seq(n, 1, 1, 3, S | E, ProtocolCaps)),
  seq('nonStandardProtocol', 2, 3, 3, S | E),
  seq('t38FaxAnnexbOnly', 2, 5, 5, S | E),
];
const GatewayInfo: Fields = [list('protocol', S | P, [choice('item', 4, 9, 11, S | E, SupportedProtocols)]), nonStandardData(S | P)];
const McuInfo: Fields = [nonStandardData(S | P), list('protocol', S | P)];
const TerminalInfo: Fields = [nonStandardData(S | P)];
const EndpointType: Fields = [
  nonStandardData(S | P),
  seq('vendor', 2, 3, 3, S | E | P, VendorIdentifier),
  seq('gatekeeper', 1, 1, 1, S | E | P, GatekeeperInfo),
  seq('gateway', 2, 2, 2, S | E | P, GatewayInfo),
  seq('mcu', 1, 1, 2, S | E | P, McuInfo),
  seq('terminal', 1, 1, 1, S | E | P, TerminalInfo),
  bool('mc'),
  bool('undefinedNode'),
  bits('set', FIXD, 32, S | P),
  list('supportedTunnelledProtocols', S | P),
];
const endpointType = (name: string, attr: number): Field => seq(name, 6, 8, 10, attr, EndpointType);

const QseriesOptions: Fields = [
  ...bools('q932Full', 'q951Full', 'q952Full', 'q953Full', 'q955Full', 'q956Full', 'q957Full'),
  seq('q954Info', 0, 2, 2, S | E, bools('conferenceCalling', 'threePartyService')),
];
const CallType: Fields = nuls('pointToPoint', 'oneToN', 'nToOne', 'nToN');

// ------------------------------------------------------------------------------------------------
// H.245 capabilities (only walked)

const H245_NonStandardIdentifier: Fields = [oid('object'), seq('h221NonStandard', 0, 3, 3, S, H221NonStandard)];
const H245_NonStandardParameter: Fields = [choice('nonStandardIdentifier', 1, 2, 2, S, H245_NonStandardIdentifier), octs('data', SEMI, 0)];
const h245NonStandard = (name = 'nonStandard', attr: number = S): Field => seq(name, 0, 2, 2, attr, H245_NonStandardParameter);

const H261VideoCapability: Fields = [
  int('qcifMPI', 2, 1, S | P),
  int('cifMPI', 2, 1, S | P),
  bool('temporalSpatialTradeOffCapability'),
  int('maxBitRate', WORD, 1),
  bool('stillImageTransmission'),
  bool('videoBadMBsCap'),
];
const H262VideoCapability: Fields = [
  ...bools(
    'profileAndLevel-SPatML',
    'profileAndLevel-MPatLL',
    'profileAndLevel-MPatML',
    'profileAndLevel-MPatH-14',
    'profileAndLevel-MPatHL',
    'profileAndLevel-SNRatLL',
    'profileAndLevel-SNRatML',
    'profileAndLevel-SpatialatH-14',
    'profileAndLevel-HPatML',
    'profileAndLevel-HPatH-14',
    'profileAndLevel-HPatHL',
  ),
  int('videoBitRate', CONS, 0, S | P),
  int('vbvBufferSize', CONS, 0, S | P),
  int('samplesPerLine', WORD, 0, S | P),
  int('linesPerFrame', WORD, 0, S | P),
  int('framesPerSecond', 4, 0, S | P),
  int('luminanceSampleRate', CONS, 0, S | P),
  bool('videoBadMBsCap'),
];
const H263VideoCapability: Fields = [
  int('sqcifMPI', 5, 1, S | P),
  int('qcifMPI', 5, 1, S | P),
  int('cifMPI', 5, 1, S | P),
  int('cif4MPI', 5, 1, S | P),
  int('cif16MPI', 5, 1, S | P),
  int('maxBitRate', CONS, 1),
  ...bools('unrestrictedVector', 'arithmeticCoding', 'advancedPrediction', 'pbFrames', 'temporalSpatialTradeOffCapability'),
  int('hrd-B', CONS, 0, S | P),
  int('bppMaxKb', WORD, 0, S | P),
  int('slowSqcifMPI', WORD, 1, S | P),
  int('slowQcifMPI', WORD, 1, S | P),
  int('slowCifMPI', WORD, 1, S | P),
  int('slowCif4MPI', WORD, 1, S | P),
  int('slowCif16MPI', WORD, 1, S | P),
  bool('errorCompensation'),
  seq('enhancementLayerInfo', 3, 4, 4, S | E | P),
  seq('h263Options', 5, 29, 31, S | E | P),
];
const IS11172VideoCapability: Fields = [
  bool('constrainedBitstream'),
  int('videoBitRate', CONS, 0, S | P),
  int('vbvBufferSize', CONS, 0, S | P),
  int('samplesPerLine', WORD, 0, S | P),
  int('linesPerFrame', WORD, 0, S | P),
  int('pictureRate', 4, 0, S | P),
  int('luminanceSampleRate', CONS, 0, S | P),
  bool('videoBadMBsCap'),
];
const VideoCapability: Fields = [
  h245NonStandard(),
  seq('h261VideoCapability', 2, 5, 6, S | E, H261VideoCapability),
  seq('h262VideoCapability', 6, 17, 18, S | E, H262VideoCapability),
  seq('h263VideoCapability', 7, 13, 21, S | E, H263VideoCapability),
  seq('is11172VideoCapability', 6, 7, 8, S | E, IS11172VideoCapability),
  seq('genericVideoCapability', 5, 6, 6, S | E),
];

const IS11172AudioCapability: Fields = [
  ...bools('audioLayer1', 'audioLayer2', 'audioLayer3', 'audioSampling32k', 'audioSampling44k1', 'audioSampling48k', 'singleChannel', 'twoChannels'),
  int('bitRate', WORD, 1),
];
const IS13818AudioCapability: Fields = [
  ...bools(
    'audioLayer1',
    'audioLayer2',
    'audioLayer3',
    'audioSampling16k',
    'audioSampling22k05',
    'audioSampling24k',
    'audioSampling32k',
    'audioSampling44k1',
    'audioSampling48k',
    'singleChannel',
    'twoChannels',
    'threeChannels2-1',
    'threeChannels3-0',
    'fourChannels2-0-2-0',
    'fourChannels2-2',
    'fourChannels3-1',
    'fiveChannels3-0-2-0',
    'fiveChannels3-2',
    'lowFrequencyEnhancement',
    'multilingual',
  ),
  int('bitRate', WORD, 1),
];
const audioFrames = (name: string): Field => int(name, BYTE, 1);
const AudioCapability: Fields = [
  h245NonStandard(),
  ...['g711Alaw64k', 'g711Alaw56k', 'g711Ulaw64k', 'g711Ulaw56k', 'g722-64k', 'g722-56k', 'g722-48k'].map(audioFrames),
  seq('g7231', 0, 2, 2, S, [int('maxAl-sduAudioFrames', BYTE, 1), bool('silenceSuppression')]),
  ...['g728', 'g729', 'g729AnnexA'].map(audioFrames),
  seq('is11172AudioCapability', 0, 9, 9, S | E, IS11172AudioCapability),
  seq('is13818AudioCapability', 0, 21, 21, S | E, IS13818AudioCapability),
  ...['g729wAnnexB', 'g729AnnexAwAnnexB'].map(audioFrames),
  seq('g7231AnnexCCapability', 1, 3, 3, S | E),
  seq('gsmFullRate', 0, 3, 3, S | E),
  seq('gsmHalfRate', 0, 3, 3, S | E),
  seq('gsmEnhancedFullRate', 0, 3, 3, S | E),
  seq('genericAudioCapability', 5, 6, 6, S | E),
  seq('g729Extensions', 1, 8, 8, S | E),
];

export const DataProtocolCapability: Fields = [
  h245NonStandard(),
  ...nuls(
    'v14buffered',
    'v42lapm',
    'hdlcFrameTunnelling',
    'h310SeparateVCStack',
    'h310SingleVCStack',
    'transparent',
    'segmentationAndReassembly',
    'hdlcFrameTunnelingwSAR',
    'v120',
    'separateLANStack',
  ),
  choice('v76wCompression', 2, 3, 3, S | E),
  nul('tcp'),
  nul('udp'),
];
const dataProtocol = (name: string, attr: number = S | E): Field => choice(name, 3, 7, 14, attr, DataProtocolCapability);
const T84Profile: Fields = [
  nul('t84Unrestricted'),
  seq(
    't84Restricted',
    0,
    19,
    19,
    S | E,
    bools(
      'qcif',
      'cif',
      'ccir601Seq',
      'ccir601Prog',
      'hdtvSeq',
      'hdtvProg',
      'g3FacsMH200x100',
      'g3FacsMH200x200',
      'g4FacsMMR200x100',
      'g4FacsMMR200x200',
      'jbig200x200Seq',
      'jbig200x200Prog',
      'jbig300x300Seq',
      'jbig300x300Prog',
      'digPhotoLow',
      'digPhotoMedSeq',
      'digPhotoMedProg',
      'digPhotoHighSeq',
      'digPhotoHighProg',
    ),
  ),
];
export const DataApplicationCapability_application: Fields = [
  h245NonStandard(),
  dataProtocol('t120', D | E),
  dataProtocol('dsm-cc'),
  dataProtocol('userData'),
  seq('t84', 0, 2, 2, S, [dataProtocol('t84Protocol'), choice('t84Profile', 1, 2, 2, S, T84Profile)]),
  dataProtocol('t434'),
  dataProtocol('h224'),
  seq('nlpid', 0, 2, 2, S, [dataProtocol('nlpidProtocol'), octs('nlpidData', SEMI, 0)]),
  nul('dsvdControl'),
  dataProtocol('h222DataPartitioning'),
  choice('t30fax', 3, 7, 14, S | E),
  choice('t140', 3, 7, 14, S | E),
  seq('t38fax', 0, 2, 2, S),
  seq('genericDataCapability', 5, 6, 6, S | E),
];
const DataApplicationCapability: Fields = [choice('application', 4, 10, 14, D | E, DataApplicationCapability_application), int('maxBitRate', CONS, 0)];
const EncryptionMode: Fields = [h245NonStandard(), nul('h233Encryption')];
export const DataType: Fields = [
  h245NonStandard(),
  nul('nullData'),
  choice('videoData', 3, 5, 6, S | E, VideoCapability),
  choice('audioData', 4, 14, 22, S | E, AudioCapability),
  seq('data', 0, 2, 2, D | E, DataApplicationCapability),
  choice('encryptionData', 1, 2, 2, S | E, EncryptionMode),
  seq('h235Control', 0, 2, 2, S),
  seq('h235Media', 0, 2, 2, S | E),
  seq('multiplexedStream', 0, 2, 2, S | E),
];

// ------------------------------------------------------------------------------------------------
// H.245 logical channels

const H222LogicalChannelParameters: Fields = [
  int('resourceID', WORD, 0),
  int('subChannelID', WORD, 0),
  int('pcr-pid', WORD, 0, S | P),
  octs('programDescriptors', SEMI, 0, S | P),
  octs('streamDescriptors', SEMI, 0, S | P),
];
const H223LogicalChannelParameters: Fields = [
  choice('adaptationLayerType', 3, 6, 9, S | E, [
    h245NonStandard(),
    ...nuls('al1Framed', 'al1NotFramed', 'al2WithoutSequenceNumbers', 'al2WithSequenceNumbers'),
    seq('al3', 0, 2, 2, S, [int('controlFieldOctets', 2, 0), int('sendBufferSize', CONS, 0)]),
    seq('al1M', 0, 7, 8, S | E),
    seq('al2M', 0, 2, 2, S | E),
    seq('al3M', 0, 5, 6, S | E),
  ]),
  bool('segmentableFlag'),
];
const V76LogicalChannelParameters: Fields = [
  seq('hdlcParameters', 0, 3, 3, S | E, [
    choice('crcLength', 2, 3, 3, S | E, nuls('crc8bit', 'crc16bit', 'crc32bit')),
    int('n401', WORD, 1),
    bool('loopbackTestProcedure'),
  ]),
  choice('suspendResume', 2, 3, 3, S | E, nuls('noSuspendResume', 'suspendResumewAddress', 'suspendResumewoAddress')),
  bool('uIH'),
  choice('mode', 1, 2, 2, S | E, [
    seq('eRM', 0, 2, 2, S | E, [int('windowSize', 7, 1), choice('recovery', 2, 3, 3, S | E, nuls('rej', 'sREJ', 'mSREJ'))]),
    nul('uNERM'),
  ]),
  seq('v75Parameters', 0, 1, 1, S | E, [bool('audioHeaderPresent')]),
];

export const UnicastAddress: Fields = [
  seq('iPAddress', 0, 2, 2, D | E, [octs('network', FIXD, 4, D), int('tsapIdentifier', WORD, 0)]),
  seq('iPXAddress', 0, 3, 3, S | E, [octs('node', FIXD, 6), octs('netnum', FIXD, 4), octs('tsapIdentifier', FIXD, 2)]),
  seq('iP6Address', 0, 2, 2, D | E, [octs('network', FIXD, 16, D), int('tsapIdentifier', WORD, 0)]),
  octs('netBios', FIXD, 16),
  seq('iPSourceRouteAddress', 0, 4, 4, S | E, [
    choice('routing', 1, 2, 2, S, nuls('strict', 'loose')),
    octs('network', FIXD, 4),
    int('tsapIdentifier', WORD, 0),
    list('route', S, [octs('item', FIXD, 4)]),
  ]),
  octs('nsap', 5, 1),
  seq('nonStandardAddress', 0, 2, 2, S),
];
const MulticastAddress: Fields = [
  seq('iPAddress', 0, 2, 2, S | E, [octs('network', FIXD, 4), int('tsapIdentifier', WORD, 0)]),
  seq('iP6Address', 0, 2, 2, S | E, [octs('network', FIXD, 16), int('tsapIdentifier', WORD, 0)]),
  octs('nsap', 5, 1),
  seq('nonStandardAddress', 0, 2, 2, S),
];
export const H245_TransportAddress: Fields = [choice('unicastAddress', 3, 5, 7, D | E, UnicastAddress), choice('multicastAddress', 1, 2, 4, S | E, MulticastAddress)];
const h245Address = (name: string, attr: number): Field => choice(name, 1, 2, 2, attr, H245_TransportAddress);

export const H2250LogicalChannelParameters: Fields = [
  list('nonStandard', S | P, [h245NonStandard('item')]),
  int('sessionID', BYTE, 0),
  int('associatedSessionID', 8, 1, S | P),
  h245Address('mediaChannel', D | E | P),
  bool('mediaGuaranteedDelivery', S | P),
  h245Address('mediaControlChannel', D | E | P),
  bool('mediaControlGuaranteedDelivery', STOP | P),
  bool('silenceSuppression', STOP | P),
  seq('destination', 0, 2, 2, STOP | E | P),
  int('dynamicRTPPayloadType', 5, 96, STOP | P),
  choice('mediaPacketization', 0, 1, 2, STOP | E | P),
  seq('transportCapability', 3, 3, 3, STOP | E | P),
  seq('redundancyEncoding', 1, 2, 2, STOP | E | P),
  seq('source', 0, 2, 2, S | E | P),
];
export const H2250_SEQ: Field = seq('h2250LogicalChannelParameters', 10, 11, 14, D | E, H2250LogicalChannelParameters);

export const OLC_forward_multiplexParameters: Fields = [
  seq('h222LogicalChannelParameters', 3, 5, 5, S | E, H222LogicalChannelParameters),
  seq('h223LogicalChannelParameters', 0, 2, 2, S | E, H223LogicalChannelParameters),
  seq('v76LogicalChannelParameters', 0, 5, 5, S | E, V76LogicalChannelParameters),
  H2250_SEQ,
  nul('none'),
];
const OLC_forwardLogicalChannelParameters: Fields = [
  int('portNumber', WORD, 0, S | P),
  choice('dataType', 3, 6, 9, D | E, DataType),
  choice('multiplexParameters', 2, 3, 5, D | E, OLC_forward_multiplexParameters),
  int('forwardLogicalChannelDependency', WORD, 1, S | P),
  int('replacementFor', WORD, 1, S | P),
];
export const OLC_reverse_multiplexParameters: Fields = [
  seq('h223LogicalChannelParameters', 0, 2, 2, S | E, H223LogicalChannelParameters),
  seq('v76LogicalChannelParameters', 0, 5, 5, S | E, V76LogicalChannelParameters),
  H2250_SEQ,
];
export const OLC_reverseLogicalChannelParameters: Field = seq('reverseLogicalChannelParameters', 1, 2, 4, D | E | P, [
  choice('dataType', 3, 6, 9, S | E, DataType),
  choice('multiplexParameters', 1, 2, 3, D | E | P, OLC_reverse_multiplexParameters),
  int('reverseLogicalChannelDependency', WORD, 1, S | P),
  int('replacementFor', WORD, 1, S | P),
]);
export const NetworkAccessParameters_networkAddress: Fields = [
  seq('q2931Address', 1, 2, 2, S | E, [
    choice('address', 1, 2, 2, S | E, [num('internationalNumber', 4, 1), octs('nsapAddress', 5, 1)]),
    octs('subaddress', 5, 1, S | P),
  ]),
  num('e164Address', 7, 1),
  h245Address('localAreaAddress', D | E),
];
const NetworkAccessParameters: Fields = [
  choice('distribution', 1, 2, 2, S | E | P, nuls('unicast', 'multicast')),
  choice('networkAddress', 2, 3, 3, D | E, NetworkAccessParameters_networkAddress),
  bool('associateConference'),
  octs('externalReference', 8, 1, S | P),
  choice('t120SetupProcedure', 2, 3, 3, S | E | P),
];
export const OpenLogicalChannel: Field = seq('openLogicalChannel', 1, 3, 5, D | E, [
  int('forwardLogicalChannelNumber', WORD, 1),
  seq('forwardLogicalChannelParameters', 1, 3, 5, D | E, OLC_forwardLogicalChannelParameters),
  OLC_reverseLogicalChannelParameters,
  seq('separateStack', 2, 4, 5, D | E | P, NetworkAccessParameters),
  seq('encryptionSync', 2, 4, 4, STOP | E | P),
]);
/** A fastStart list: open OpenLogicalChannels, at most 30 kept. */
const fastStart = (attr: number): Field => seqof('fastStart', SEMI, 0, 30, attr, [seq('item', 1, 3, 5, D | O | E, OpenLogicalChannel.fields)]);

export const OLCAck_reverse_multiplexParameters: Fields = [seq('h222LogicalChannelParameters', 3, 5, 5, S | E, H222LogicalChannelParameters), H2250_SEQ];
export const OLCAck_reverseLogicalChannelParameters: Field = seq('reverseLogicalChannelParameters', 2, 3, 4, D | E | P, [
  int('reverseLogicalChannelNumber', WORD, 1),
  int('portNumber', WORD, 0, S | P),
  choice('multiplexParameters', 0, 1, 2, D | E | P, OLCAck_reverse_multiplexParameters),
  int('replacementFor', WORD, 1, S | P),
]);
export const H2250LogicalChannelAckParameters: Field = seq('h2250LogicalChannelAckParameters', 5, 5, 7, D | E, [
  list('nonStandard', S | P, [h245NonStandard('item')]),
  int('sessionID', 8, 1, S | P),
  h245Address('mediaChannel', D | E | P),
  h245Address('mediaControlChannel', D | E | P),
  int('dynamicRTPPayloadType', 5, 96, S | P),
  bool('flowControlToZero'),
  int('portNumber', WORD, 0, S | P),
]);
export const OpenLogicalChannelAck: Field = seq('openLogicalChannelAck', 1, 2, 5, D | E, [
  int('forwardLogicalChannelNumber', WORD, 1),
  OLCAck_reverseLogicalChannelParameters,
  seq('separateStack', 2, 4, 5, D | E | P, NetworkAccessParameters),
  choice('forwardMultiplexAckParameters', 0, 1, 1, D | E | P, [H2250LogicalChannelAckParameters]),
  seq('encryptionSync', 2, 4, 4, STOP | E | P),
]);

export const RequestMessage: Fields = [
  seq('nonStandard', 0, 1, 1, STOP | E),
  seq('masterSlaveDetermination', 0, 2, 2, STOP | E),
  seq('terminalCapabilitySet', 3, 5, 5, STOP | E),
  OpenLogicalChannel,
  seq('closeLogicalChannel', 0, 2, 3, STOP | E),
  seq('requestChannelClose', 0, 1, 3, STOP | E),
  seq('multiplexEntrySend', 0, 2, 2, STOP | E),
  seq('requestMultiplexEntry', 0, 1, 1, STOP | E),
  seq('requestMode', 0, 2, 2, STOP | E),
  seq('roundTripDelayRequest', 0, 1, 1, STOP | E),
  seq('maintenanceLoopRequest', 0, 1, 1, STOP | E),
  seq('communicationModeRequest', 0, 0, 0, STOP | E),
  choice('conferenceRequest', 3, 8, 16, STOP | E),
  choice('multilinkRequest', 3, 5, 5, STOP | E),
  seq('logicalChannelRateRequest', 0, 3, 3, STOP | E),
];
export const ResponseMessage: Fields = [
  seq('nonStandard', 0, 1, 1, STOP | E),
  seq('masterSlaveDeterminationAck', 0, 1, 1, STOP | E),
  seq('masterSlaveDeterminationReject', 0, 1, 1, STOP | E),
  seq('terminalCapabilitySetAck', 0, 1, 1, STOP | E),
  seq('terminalCapabilitySetReject', 0, 2, 2, STOP | E),
  OpenLogicalChannelAck,
  seq('openLogicalChannelReject', 0, 2, 2, STOP | E),
  seq('closeLogicalChannelAck', 0, 1, 1, STOP | E),
  seq('requestChannelCloseAck', 0, 1, 1, STOP | E),
  seq('requestChannelCloseReject', 0, 2, 2, STOP | E),
  seq('multiplexEntrySendAck', 0, 2, 2, STOP | E),
  seq('multiplexEntrySendReject', 0, 2, 2, STOP | E),
  seq('requestMultiplexEntryAck', 0, 1, 1, STOP | E),
  seq('requestMultiplexEntryReject', 0, 2, 2, STOP | E),
  seq('requestModeAck', 0, 2, 2, STOP | E),
  seq('requestModeReject', 0, 2, 2, STOP | E),
  seq('roundTripDelayResponse', 0, 1, 1, STOP | E),
  seq('maintenanceLoopAck', 0, 1, 1, STOP | E),
  seq('maintenanceLoopReject', 0, 2, 2, STOP | E),
  choice('communicationModeResponse', 0, 1, 1, STOP | E),
  choice('conferenceResponse', 3, 8, 16, STOP | E),
  choice('multilinkResponse', 3, 5, 5, STOP | E),
  seq('logicalChannelRateAcknowledge', 0, 3, 3, STOP | E),
  seq('logicalChannelRateReject', 1, 4, 4, STOP | E),
];
export const MultimediaSystemControlMessage: Fields = [
  choice('request', 4, 11, 15, D | E, RequestMessage),
  choice('response', 5, 19, 24, D | E, ResponseMessage),
  choice('command', 3, 7, 12, STOP | E),
  choice('indication', 4, 14, 23, STOP | E),
];
/** The root of an H.245 message (DecodeMultimediaSystemControlMessage). */
export const MSCM_ROOT: Field = choice('MultimediaSystemControlMessage', 2, 4, 4, D | E, MultimediaSystemControlMessage);

// ------------------------------------------------------------------------------------------------
// H.225 call signalling (Q.931 user-user information)

const Setup_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  transportAddress('h245Address', D | E | P),
  aliasList('sourceAddress', S | P),
  endpointType('sourceInfo', S | E),
  aliasList('destinationAddress', S | P),
  transportAddress('destCallSignalAddress', D | E | P),
  aliasList('destExtraCallInfo', S | P),
  list('destExtraCRV', S | P, [int('item', WORD, 0)]),
  bool('activeMC'),
  octs('conferenceID', FIXD, 16),
  choice('conferenceGoal', 2, 3, 5, S | E, nuls('create', 'join', 'invite', 'capability-negotiation', 'callIndependentSupplementaryService')),
  seq('callServices', 0, 8, 8, S | E | P, QseriesOptions),
  choice('callType', 2, 4, 4, S | E, CallType),
  transportAddress('sourceCallSignalAddress', D | E | P),
  choice('remoteExtensionAddress', 1, 2, 7, S | E | P),
  seq('callIdentifier', 0, 1, 1, S | E),
  list('h245SecurityCapability', S | P),
  list('tokens', S | P),
  list('cryptoTokens', S | P),
  fastStart(D | P),
  bool('mediaWaitForConnect'),
  bool('canOverlapSend'),
  bmp('endpointIdentifier', 7, 1, STOP | P),
  bool('multipleCalls'),
  bool('maintainConnection'),
  seq('connectionParameters', 0, 3, 3, S | E | P),
  list('language', S | P),
  choice('presentationIndicator', 2, 3, 3, S | E | P),
  enm('screeningIndicator', 2, S | E | P),
  list('serviceControl', S | P),
  nul('symmetricOperationRequired', S | P),
  seq('capacity', 2, 2, 2, S | E | P),
  seq('circuitInfo', 3, 3, 3, S | E | P),
  list('desiredProtocols', S | P),
  list('neededFeatures', S | P),
  list('desiredFeatures', S | P),
  list('supportedFeatures', S | P),
  list('parallelH245Control', S | P),
  list('additionalSourceAddresses', S | P),
];
const CallProceeding_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  endpointType('destinationInfo', S | E),
  transportAddress('h245Address', D | E | P),
  seq('callIdentifier', 0, 1, 1, S | E),
  choice('h245SecurityMode', 2, 4, 4, S | E | P),
  list('tokens', S | P),
  list('cryptoTokens', S | P),
  fastStart(D | P),
  bool('multipleCalls'),
  bool('maintainConnection'),
  nul('fastConnectRefused', S | P),
  seq('featureSet', 3, 4, 4, S | E | P),
];
const Connect_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  transportAddress('h245Address', D | E | P),
  endpointType('destinationInfo', S | E),
  octs('conferenceID', FIXD, 16),
  seq('callIdentifier', 0, 1, 1, S | E),
  choice('h245SecurityMode', 2, 4, 4, S | E | P),
  list('tokens', S | P),
  list('cryptoTokens', S | P),
  fastStart(D | P),
  bool('multipleCalls'),
  bool('maintainConnection'),
  list('language', S | P),
  list('connectedAddress', S | P),
  choice('presentationIndicator', 2, 3, 3, S | E | P),
  enm('screeningIndicator', 2, S | E | P),
  nul('fastConnectRefused', S | P),
  list('serviceControl', S | P),
  seq('capacity', 2, 2, 2, S | E | P),
  seq('featureSet', 3, 4, 4, S | E | P),
];
const Alerting_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  endpointType('destinationInfo', S | E),
  transportAddress('h245Address', D | E | P),
  seq('callIdentifier', 0, 1, 1, S | E),
  choice('h245SecurityMode', 2, 4, 4, S | E | P),
  list('tokens', S | P),
  list('cryptoTokens', S | P),
  fastStart(D | P),
  bool('multipleCalls'),
  bool('maintainConnection'),
  list('alertingAddress', S | P),
  choice('presentationIndicator', 2, 3, 3, S | E | P),
  enm('screeningIndicator', 2, S | E | P),
  nul('fastConnectRefused', S | P),
  list('serviceControl', S | P),
  seq('capacity', 2, 2, 2, S | E | P),
  seq('featureSet', 3, 4, 4, S | E | P),
];
const Information_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  seq('callIdentifier', 0, 1, 1, S | E),
  list('tokens', S | P),
  list('cryptoTokens', S | P),
  seqof('fastStart', SEMI, 0, 30, S | P),
  nul('fastConnectRefused', S | P),
  seq('circuitInfo', 3, 3, 3, S | E | P),
];
const ReleaseCompleteReason: Fields = [
  ...nuls(
    'noBandwidth',
    'gatekeeperResources',
    'unreachableDestination',
    'destinationRejection',
    'invalidRevision',
    'noPermission',
    'unreachableGatekeeper',
    'gatewayResources',
    'badFormatAddress',
    'adaptiveBusy',
    'inConf',
    'undefinedReason',
    'facilityCallDeflection',
    'securityDenied',
    'calledPartyNotRegistered',
    'callerNotRegistered',
    'newConnectionNeeded',
  ),
  seq('nonStandardReason', 0, 2, 2, S),
  octs('replaceWithConferenceInvite', FIXD, 16),
  ...nuls('genericDataReason', 'neededFeatureNotSupported', 'tunnelledSignallingRejected'),
];
const ReleaseComplete_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  choice('reason', 4, 12, 22, S | E | P, ReleaseCompleteReason),
  seq('callIdentifier', 0, 1, 1, S | E),
  list('tokens', S | P),
  list('cryptoTokens', S | P),
  list('busyAddress', S | P),
  choice('presentationIndicator', 2, 3, 3, S | E | P),
  enm('screeningIndicator', 2, S | E | P),
  seq('capacity', 2, 2, 2, S | E | P),
  list('serviceControl', S | P),
  seq('featureSet', 3, 4, 4, S | E | P),
];
export const FacilityReason: Fields = nuls(
  'routeCallToGatekeeper',
  'callForwarded',
  'routeCallToMC',
  'undefinedReason',
  'conferenceListChoice',
  'startH245',
  'noH245',
  'newTokens',
  'featureSetUpdate',
  'forwardedElements',
  'transportedInformation',
);
const Facility_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  transportAddress('alternativeAddress', D | E | P),
  aliasList('alternativeAliasAddress', S | P),
  octs('conferenceID', FIXD, 16, S | P),
  choice('reason', 2, 4, 11, D | E, FacilityReason),
  seq('callIdentifier', 0, 1, 1, S | E),
  list('destExtraCallInfo', S | P),
  choice('remoteExtensionAddress', 1, 2, 7, S | E | P),
  list('tokens', S | P),
  list('cryptoTokens', S | P),
  list('conferences', S | P),
  transportAddress('h245Address', D | E | P),
  fastStart(D | P),
  bool('multipleCalls'),
  bool('maintainConnection'),
  nul('fastConnectRefused', S | P),
  list('serviceControl', S | P),
  seq('circuitInfo', 3, 3, 3, S | E | P),
  seq('featureSet', 3, 4, 4, S | E | P),
  seq('destinationInfo', 6, 8, 10, S | E | P),
  choice('h245SecurityMode', 2, 4, 4, S | E | P),
];

const SecurityServiceMode: Fields = [{ ...nonStandardData(S), name: 'nonStandard' }, nul('none'), nul('default')];
const SecurityCapabilities: Fields = [
  { ...nonStandardData(S | P), name: 'nonStandard' },
  choice('encryption', 2, 3, 3, S | E, SecurityServiceMode),
  choice('authentication', 2, 3, 3, S | E, SecurityServiceMode),
  choice('integrity', 2, 3, 3, S | E, SecurityServiceMode),
];
const H245Security: Fields = [
  { ...nonStandardData(S), name: 'nonStandard' },
  nul('noSecurity'),
  seq('tls', 1, 4, 4, S | E, SecurityCapabilities),
  seq('ipsec', 1, 4, 4, S | E, SecurityCapabilities),
];
const ClearToken: Fields = [
  oid('tokenOID'),
  int('timeStamp', CONS, 1, S | P),
  bmp('password', 7, 1, S | P),
  seq('dhkey', 0, 3, 3, S | E | P, [bits('halfkey', WORD, 0), bits('modSize', WORD, 0), bits('generator', WORD, 0)]),
  octs('challenge', 7, 8, S | P),
  int('random', UNCO, 0, S | P),
  seq('certificate', 0, 2, 2, S | E | P, [oid('type'), octs('certificate', SEMI, 0)]),
  bmp('generalID', 7, 1, S | P),
  seq('nonStandard', 0, 2, 2, S | P, [oid('nonStandardIdentifier'), octs('data', SEMI, 0)]),
  choice('eckasdhkey', 1, 2, 2, S | E | P),
  bmp('sendersID', 7, 1, S | P),
];
const Params: Fields = [int('ranInt', UNCO, 0, S | P), octs('iv8', FIXD, 8, S | P), octs('iv16', FIXD, 16, S | P)];
const paramS = (): Field => seq('paramS', 2, 2, 3, S | E, Params);
const HashedToken: Fields = [oid('algorithmOID'), paramS(), bits('hash', SEMI, 0)];
const EncryptedToken: Fields = [oid('algorithmOID'), paramS(), octs('encryptedData', SEMI, 0)];
const SignedToken: Fields = [seq('toBeSigned', 8, 9, 11, S | O | E), oid('algorithmOID'), paramS(), bits('signature', SEMI, 0)];
const CryptoToken: Fields = [
  seq('cryptoEncryptedToken', 0, 2, 2, S, [oid('tokenOID'), seq('token', 0, 3, 3, S, EncryptedToken)]),
  seq('cryptoSignedToken', 0, 2, 2, S, [oid('tokenOID'), seq('token', 0, 4, 4, S, SignedToken)]),
  seq('cryptoHashedToken', 0, 3, 3, S, [oid('tokenOID'), seq('hashedVals', 8, 9, 11, S | E, ClearToken), seq('token', 0, 3, 3, S, HashedToken)]),
  seq('cryptoPwdEncr', 0, 3, 3, S, EncryptedToken),
];
const CryptoH323Token: Fields = [
  seq('cryptoEPPwdHash', 0, 3, 3, S, [choice('alias', 1, 2, 7, S | E, AliasAddress), int('timeStamp', CONS, 1), seq('token', 0, 3, 3, S, HashedToken)]),
  seq('cryptoGKPwdHash', 0, 3, 3, S, [bmp('gatekeeperId', 7, 1), int('timeStamp', CONS, 1), seq('token', 0, 3, 3, S, HashedToken)]),
  seq('cryptoEPPwdEncr', 0, 3, 3, S, EncryptedToken),
  seq('cryptoGKPwdEncr', 0, 3, 3, S, EncryptedToken),
  seq('cryptoEPCert', 0, 4, 4, S, SignedToken),
  seq('cryptoGKCert', 0, 4, 4, S, SignedToken),
  seq('cryptoFastStart', 0, 4, 4, S, SignedToken),
  choice('nestedcryptoToken', 2, 4, 4, S | E, CryptoToken),
];
const Progress_UUIE_fields: Fields = [
  oid('protocolIdentifier'),
  endpointType('destinationInfo', S | E),
  transportAddress('h245Address', D | E | P),
  seq('callIdentifier', 0, 1, 1, S | E, [octs('guid', FIXD, 16)]),
  choice('h245SecurityMode', 2, 4, 4, S | E | P, H245Security),
  list('tokens', S | P, [seq('item', 8, 9, 11, S | E, ClearToken)]),
  list('cryptoTokens', S | P, [choice('item', 3, 8, 8, S | E, CryptoH323Token)]),
  fastStart(D | P),
  bool('multipleCalls'),
  bool('maintainConnection'),
  nul('fastConnectRefused', S | P),
];

export const Setup_UUIE: Field = seq('setup', 7, 13, 39, D | E, Setup_UUIE_fields);
export const CallProceeding_UUIE: Field = seq('callProceeding', 1, 3, 12, D | E, CallProceeding_UUIE_fields);
export const Connect_UUIE: Field = seq('connect', 1, 4, 19, D | E, Connect_UUIE_fields);
export const Alerting_UUIE: Field = seq('alerting', 1, 3, 17, D | E, Alerting_UUIE_fields);
export const Facility_UUIE: Field = seq('facility', 3, 5, 21, D | E, Facility_UUIE_fields);
export const Progress_UUIE: Field = seq('progress', 5, 8, 11, D | E, Progress_UUIE_fields);

export const H323_UU_PDU_h323_message_body: Fields = [
  Setup_UUIE,
  CallProceeding_UUIE,
  Connect_UUIE,
  Alerting_UUIE,
  seq('information', 0, 1, 7, S | E, Information_UUIE_fields),
  seq('releaseComplete', 1, 2, 11, S | E, ReleaseComplete_UUIE_fields),
  Facility_UUIE,
  Progress_UUIE,
  nul('empty'),
  seq('status', 2, 4, 4, S | E),
  seq('statusInquiry', 2, 4, 4, S | E),
  seq('setupAcknowledge', 2, 4, 4, S | E),
  seq('notify', 2, 4, 4, S | E),
];
export const H323_UU_PDU: Field = seq('h323-uu-pdu', 1, 2, 11, D | E, [
  choice('h323-message-body', 3, 7, 13, D | E, H323_UU_PDU_h323_message_body),
  nonStandardData(S | P),
  list('h4501SupplementaryService', S | P),
  bool('h245Tunneling'),
  seqof('h245Control', SEMI, 0, 4, D | P, [choice('item', 2, 4, 4, D | O | E, MultimediaSystemControlMessage)]),
  list('nonStandardControl', STOP | P),
  seq('callLinkage', 2, 2, 2, STOP | E | P),
  seq('tunnelledSignallingMessage', 2, 4, 4, STOP | E | P),
  nul('provisionalRespToH245Tunneling', STOP | P),
  seq('stimulusControl', 3, 3, 3, STOP | E | P),
  list('genericData', STOP | P),
]);
/** The root of the Q.931 User-user element (DecodeH323_UserInformation). */
export const H323_USER_INFORMATION: Field = seq('H323-UserInformation', 1, 2, 2, D | E, [H323_UU_PDU, seq('user-data', 0, 2, 2, STOP | E | P)]);

// ------------------------------------------------------------------------------------------------
// H.225 RAS

const callSignalList = (name: string): Field => seqof(name, SEMI, 0, 10, D, [transportAddress('item', D | E)]);

export const GatekeeperRequest: Field = seq('gatekeeperRequest', 4, 8, 18, D | E, [
  int('requestSeqNum', WORD, 1),
  oid('protocolIdentifier'),
  nonStandardData(S | P),
  transportAddress('rasAddress', D | E),
  seq('endpointType', 6, 8, 10, STOP | E),
  bmp('gatekeeperIdentifier', 7, 1, STOP | P),
  seq('callServices', 0, 8, 8, STOP | E | P),
  list('endpointAlias', STOP | P),
  list('alternateEndpoints', STOP | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  list('authenticationCapability', STOP | P),
  list('algorithmOIDs', STOP | P),
  list('integrity', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  nul('supportsAltGK', STOP | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
]);
export const GatekeeperConfirm: Field = seq('gatekeeperConfirm', 2, 5, 14, D | E, [
  int('requestSeqNum', WORD, 1),
  oid('protocolIdentifier'),
  nonStandardData(S | P),
  bmp('gatekeeperIdentifier', 7, 1, S | P),
  transportAddress('rasAddress', D | E),
  list('alternateGatekeeper', STOP | P),
  choice('authenticationMode', 3, 7, 8, STOP | E | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  oid('algorithmOID', STOP | P),
  list('integrity', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
]);
export const RegistrationRequest: Field = seq('registrationRequest', 3, 10, 31, D | E, [
  int('requestSeqNum', WORD, 1),
  oid('protocolIdentifier'),
  nonStandardData(S | P),
  bool('discoveryComplete'),
  callSignalList('callSignalAddress'),
  callSignalList('rasAddress'),
  endpointType('terminalType', S | E),
  aliasList('terminalAlias', S | P),
  bmp('gatekeeperIdentifier', 7, 1, S | P),
  seq('endpointVendor', 2, 3, 3, S | E, VendorIdentifier),
  list('alternateEndpoints', S | P),
  int('timeToLive', CONS, 1, D | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  bool('keepAlive', STOP),
  bmp('endpointIdentifier', 7, 1, STOP | P),
  bool('willSupplyUUIEs', STOP),
  bool('maintainConnection', STOP),
  seq('alternateTransportAddresses', 1, 1, 1, STOP | E | P),
  nul('additiveRegistration', STOP | P),
  list('terminalAliasPattern', STOP | P),
  nul('supportsAltGK', STOP | P),
  seq('usageReportingCapability', 3, 4, 4, STOP | E | P),
  bool('multipleCalls', STOP | P),
  list('supportedH248Packages', STOP | P),
  seq('callCreditCapability', 2, 2, 2, STOP | E | P),
  seq('capacityReportingCapability', 0, 1, 1, STOP | E | P),
  seq('capacity', 2, 2, 2, STOP | E | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
]);
export const RegistrationConfirm: Field = seq('registrationConfirm', 3, 7, 24, D | E, [
  int('requestSeqNum', WORD, 1),
  oid('protocolIdentifier'),
  nonStandardData(S | P),
  callSignalList('callSignalAddress'),
  aliasList('terminalAlias', S | P),
  bmp('gatekeeperIdentifier', 7, 1, S | P),
  bmp('endpointIdentifier', 7, 1, S),
  list('alternateGatekeeper', S | P),
  int('timeToLive', CONS, 1, D | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  bool('willRespondToIRR', STOP),
  seq('preGrantedARQ', 0, 4, 8, STOP | E | P),
  bool('maintainConnection', STOP),
  list('serviceControl', STOP | P),
  nul('supportsAdditiveRegistration', STOP | P),
  list('terminalAliasPattern', STOP | P),
  list('supportedPrefixes', STOP | P),
  list('usageSpec', STOP | P),
  choice('featureServerAlias', 1, 2, 7, STOP | E | P),
  seq('capacityReportingSpec', 0, 1, 1, STOP | E | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
]);
export const UnregistrationRequest: Field = seq('unregistrationRequest', 3, 5, 15, D | E, [
  int('requestSeqNum', WORD, 1),
  callSignalList('callSignalAddress'),
  list('endpointAlias', STOP | P),
  seq('nonStandardData', 0, 2, 2, STOP | P),
  bmp('endpointIdentifier', 7, 1, STOP | P),
  list('alternateEndpoints', STOP | P),
  bmp('gatekeeperIdentifier', 7, 1, STOP | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  choice('reason', 2, 4, 5, STOP | E | P),
  list('endpointAliasPattern', STOP | P),
  list('supportedPrefixes', STOP | P),
  list('alternateGatekeeper', STOP | P),
  list('genericData', STOP | P),
]);
const CallModel: Fields = nuls('direct', 'gatekeeperRouted');
export const AdmissionRequest: Field = seq('admissionRequest', 7, 16, 34, D | E, [
  int('requestSeqNum', WORD, 1),
  choice('callType', 2, 4, 4, S | E, CallType),
  choice('callModel', 1, 2, 2, S | E | P, CallModel),
  bmp('endpointIdentifier', 7, 1),
  aliasList('destinationInfo', S | P),
  transportAddress('destCallSignalAddress', D | E | P),
  aliasList('destExtraCallInfo', S | P),
  aliasList('srcInfo', S),
  transportAddress('srcCallSignalAddress', D | E | P),
  int('bandWidth', CONS, 0, STOP),
  int('callReferenceValue', WORD, 0, STOP),
  seq('nonStandardData', 0, 2, 2, STOP | P),
  seq('callServices', 0, 8, 8, STOP | E | P),
  octs('conferenceID', FIXD, 16, STOP),
  bool('activeMC', STOP),
  bool('answerCall', STOP),
  bool('canMapAlias', STOP),
  seq('callIdentifier', 0, 1, 1, STOP | E),
  list('srcAlternatives', STOP | P),
  list('destAlternatives', STOP | P),
  bmp('gatekeeperIdentifier', 7, 1, STOP | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  choice('transportQOS', 2, 3, 3, STOP | E | P),
  bool('willSupplyUUIEs', STOP),
  seq('callLinkage', 2, 2, 2, STOP | E | P),
  seq('gatewayDataRate', 2, 3, 3, STOP | E | P),
  seq('capacity', 2, 2, 2, STOP | E | P),
  seq('circuitInfo', 3, 3, 3, STOP | E | P),
  list('desiredProtocols', STOP | P),
  seq('desiredTunnelledProtocol', 1, 2, 2, STOP | E | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
]);
export const AdmissionConfirm: Field = seq('admissionConfirm', 2, 6, 27, D | E, [
  int('requestSeqNum', WORD, 1),
  int('bandWidth', CONS, 0),
  choice('callModel', 1, 2, 2, S | E, CallModel),
  transportAddress('destCallSignalAddress', D | E),
  int('irrFrequency', WORD, 1, STOP | P),
  seq('nonStandardData', 0, 2, 2, STOP | P),
  list('destinationInfo', STOP | P),
  list('destExtraCallInfo', STOP | P),
  seq('destinationType', 6, 8, 10, STOP | E | P),
  list('remoteExtensionAddress', STOP | P),
  list('alternateEndpoints', STOP | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  choice('transportQOS', 2, 3, 3, STOP | E | P),
  bool('willRespondToIRR', STOP),
  seq('uuiesRequested', 0, 9, 13, STOP | E),
  list('language', STOP | P),
  seq('alternateTransportAddresses', 1, 1, 1, STOP | E | P),
  choice('useSpecifiedTransport', 1, 2, 2, STOP | E | P),
  seq('circuitInfo', 3, 3, 3, STOP | E | P),
  list('usageSpec', STOP | P),
  list('supportedProtocols', STOP | P),
  list('serviceControl', STOP | P),
  bool('multipleCalls', STOP | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
]);
export const LocationRequest: Field = seq('locationRequest', 2, 5, 17, D | E, [
  int('requestSeqNum', WORD, 1),
  bmp('endpointIdentifier', 7, 1, S | P),
  aliasList('destinationInfo', S),
  nonStandardData(S | P),
  transportAddress('replyAddress', D | E),
  list('sourceInfo', STOP | P),
  bool('canMapAlias', STOP),
  bmp('gatekeeperIdentifier', 7, 1, STOP | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  list('desiredProtocols', STOP | P),
  seq('desiredTunnelledProtocol', 1, 2, 2, STOP | E | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
  int('hopCount', 8, 1, STOP | P),
  seq('circuitInfo', 3, 3, 3, STOP | E | P),
]);
export const LocationConfirm: Field = seq('locationConfirm', 1, 4, 19, D | E, [
  int('requestSeqNum', WORD, 1),
  transportAddress('callSignalAddress', D | E),
  transportAddress('rasAddress', D | E),
  seq('nonStandardData', 0, 2, 2, STOP | P),
  list('destinationInfo', STOP | P),
  list('destExtraCallInfo', STOP | P),
  seq('destinationType', 6, 8, 10, STOP | E | P),
  list('remoteExtensionAddress', STOP | P),
  list('alternateEndpoints', STOP | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  seq('alternateTransportAddresses', 1, 1, 1, STOP | E | P),
  list('supportedProtocols', STOP | P),
  bool('multipleCalls', STOP | P),
  seq('featureSet', 3, 4, 4, STOP | E | P),
  list('genericData', STOP | P),
  seq('circuitInfo', 3, 3, 3, STOP | E | P),
  list('serviceControl', STOP | P),
]);
export const InfoRequestResponse: Field = seq('infoRequestResponse', 3, 8, 16, D | E, [
  nonStandardData(S | P),
  int('requestSeqNum', WORD, 1),
  endpointType('endpointType', S | E),
  bmp('endpointIdentifier', 7, 1),
  transportAddress('rasAddress', D | E),
  callSignalList('callSignalAddress'),
  list('endpointAlias', STOP | P),
  list('perCallInfo', STOP | P),
  list('tokens', STOP | P),
  list('cryptoTokens', STOP | P),
  seq('integrityCheckValue', 0, 2, 2, STOP | P),
  bool('needResponse', STOP),
  seq('capacity', 2, 2, 2, STOP | E | P),
  choice('irrStatus', 2, 4, 4, STOP | E | P),
  bool('unsolicited', STOP),
  list('genericData', STOP | P),
]);

/** Not looked into: the message ends there (STOP). */
const stopped = (name: string, sz: number, lb: number, ub: number): Field => seq(name, sz, lb, ub, STOP | E);

export const RasMessage: Fields = [
  GatekeeperRequest,
  GatekeeperConfirm,
  stopped('gatekeeperReject', 2, 5, 11),
  RegistrationRequest,
  RegistrationConfirm,
  stopped('registrationReject', 2, 5, 11),
  UnregistrationRequest,
  stopped('unregistrationConfirm', 1, 2, 6),
  stopped('unregistrationReject', 1, 3, 8),
  AdmissionRequest,
  AdmissionConfirm,
  stopped('admissionReject', 1, 3, 11),
  stopped('bandwidthRequest', 2, 7, 18),
  stopped('bandwidthConfirm', 1, 3, 8),
  stopped('bandwidthReject', 1, 4, 9),
  stopped('disengageRequest', 1, 6, 19),
  stopped('disengageConfirm', 1, 2, 9),
  stopped('disengageReject', 1, 3, 8),
  LocationRequest,
  LocationConfirm,
  stopped('locationReject', 1, 3, 10),
  stopped('infoRequest', 2, 4, 15),
  InfoRequestResponse,
  stopped('nonStandardMessage', 0, 2, 7),
  stopped('unknownMessageResponse', 0, 1, 5),
  stopped('requestInProgress', 4, 6, 6),
  stopped('resourcesAvailableIndicate', 4, 9, 11),
  stopped('resourcesAvailableConfirm', 4, 6, 7),
  stopped('infoRequestAck', 4, 5, 5),
  stopped('infoRequestNak', 5, 7, 7),
  stopped('serviceControlIndication', 8, 10, 10),
  stopped('serviceControlResponse', 7, 8, 8),
];
/** The root of a RAS message (DecodeRasMessage). */
export const RAS_ROOT: Field = choice('RasMessage', 5, 24, 32, D | E, RasMessage);
