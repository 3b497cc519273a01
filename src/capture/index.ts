/**
 * Capture files: streaming pcap/pcapng reading, writing, and the packet record they share.
 */

export { CaptureError, type CaptureErrorKind } from './errors.js';
export { CapturedPacket, directionFromFlags, type CaptureInterface, type Direction } from './record.js';
export { CaptureReader, readAll, forEachPacket, type ReaderOptions, type CaptureFormat } from './reader.js';
export { DEFAULT_LIMITS, type ReadLimits } from './parser.js';
export {
  PcapngWriter,
  PcapWriter,
  writePcapng,
  writePcap,
  interfacesOf,
  concatBytes,
  type PacketToWrite,
  type PacketWithInterface,
  type InterfaceToWrite,
  type PcapngWriterOptions,
  type PcapWriterOptions,
} from './writer.js';
