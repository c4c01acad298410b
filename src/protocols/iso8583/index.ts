/**
 * Strict ISO 8583 codec, dialects (built in, or a partner's file read on demand), stream framing and
 * log masking. No sockets, no timers, no NestJS. See README.md beside this file.
 */
export { FramingError, Iso8583Error, Iso8583SpecError } from './errors';
export type { FramingErrorKind, Iso8583ErrorDetails, Iso8583ErrorKind } from './errors';

export type { ContentClass } from './codec/charsets';
export type { BcdOddPad, TextEncoding } from './codec/encoding';
export type { FieldValue, FieldValueInput } from './codec/field';
export { assertRequiredFields, compileSpec, MessageSpec, pack, unpack } from './codec/message';
export type { FieldSpan, IsoMessage, IsoMessageInput, UnpackedMessage } from './codec/message';
export type { LengthType, PrefixEncoding } from './codec/prefix';
export { parseSpecDefinition } from './codec/spec';
export type {
  FieldDefinition,
  SpecDefinition,
  SubfieldsDefinition,
  SubfieldTagDefinition,
} from './codec/spec';
export type { Subfields } from './codec/subfields';
export { getBinary, getSubfields, getText } from './codec/values';

export {
  listDialects,
  loadDialect,
  isDialectFile,
  loadDialectFile,
  parseDialect,
  resolveDialect,
} from './dialects';
export type { Dialect, DialectConventions } from './dialects';

export {
  encodeFrame,
  FrameDecoder,
  headerCapacity,
  headerSize,
  swapTpdu,
  TPDU_ID,
  TPDU_SIZE,
} from './framing/framing';
export type { EncodeFrameOptions, Frame, FrameDecoderOptions, LengthHeader, Tpdu } from './framing/framing';

export { describeForLog, maskedHexDump, maskPan, maskTrack, renderFieldValue } from './logging/mask';
