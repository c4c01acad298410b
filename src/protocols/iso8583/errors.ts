/**
 * Every way a message can be refused by the codec. One class with a `kind` discriminant rather than a
 * subclass per kind: callers switch on `kind` (to pick a response code or close a socket) and log the
 * rest, and a single `instanceof` check is what the fuzz tests hold the codec to.
 */
export type Iso8583ErrorKind =
  /** The input ends inside the MTI, bitmap, a length prefix, a field or a sub-element. */
  | 'TRUNCATED'
  /** A length prefix that is not a number in its encoding, or names more than the field allows. */
  | 'BAD_LENGTH_PREFIX'
  /** A value outside its content class (n, an, ans, z), a bad BCD nibble or bad padding. */
  | 'BAD_CONTENT'
  /** A value of the wrong JavaScript type for its field (a Buffer for n, a string for b...). */
  | 'BAD_VALUE_TYPE'
  /** A value shorter than the field's fixed or minimum length (and the field has no padding). */
  | 'BAD_LENGTH'
  /** A value longer than the field allows: refused, never truncated. */
  | 'OVERSIZE'
  /** A field the spec does not define: named in a bitmap, or given to pack. */
  | 'UNKNOWN_FIELD'
  /** A required field or sub-element is missing, or a field was given without a value. */
  | 'ABSENT_FIELD'
  /** A sub-element tag the field's sub-element spec does not define, or a tag repeated. */
  | 'UNKNOWN_SUBFIELD'
  /** Bytes left over after the last field the bitmap announced. */
  | 'TRAILING_BYTES'
  | 'BAD_MTI'
  /** A bitmap that is not hex where hex is required, or a secondary bitmap with no field in it. */
  | 'BAD_BITMAP';

export interface Iso8583ErrorDetails {
  readonly field?: number | undefined;
  readonly fieldName?: string | undefined;
  /** Byte offset into the message (after any frame header or TPDU) where the problem was found. */
  readonly offset?: number | undefined;
  /** Sub-element tag, for errors inside a TLV field. */
  readonly subfield?: string | undefined;
  /**
   * Where the failing field ends, when its length was known (fixed, or a readable prefix) and only
   * its content was wrong: a reader can step past it to the fields after it.
   */
  readonly fieldEnd?: number | undefined;
  /** The failing field's bytes as received (moov-io/iso8583's UnpackError keeps them too). May hold a PAN: never log unmasked. */
  readonly raw?: Buffer | undefined;
}

export class Iso8583Error extends Error {
  readonly kind: Iso8583ErrorKind;
  readonly field: number | undefined;
  readonly fieldName: string | undefined;
  readonly offset: number | undefined;
  readonly subfield: string | undefined;
  readonly fieldEnd: number | undefined;
  readonly raw: Buffer | undefined;
  /** The problem without the location prefix, for callers that format their own message. */
  readonly detail: string;

  constructor(kind: Iso8583ErrorKind, detail: string, where: Iso8583ErrorDetails = {}) {
    super(`${kind}: ${locate(where)}${detail}`);
    this.name = 'Iso8583Error';
    this.kind = kind;
    this.detail = detail;
    this.field = where.field;
    this.fieldName = where.fieldName;
    this.offset = where.offset;
    this.subfield = where.subfield;
    this.fieldEnd = where.fieldEnd;
    this.raw = where.raw;
  }

  /** The same error, with the failing field's extent and bytes once the caller knows them. */
  withExtent(fieldEnd: number, raw: Buffer): Iso8583Error {
    if (this.fieldEnd !== undefined) return this;
    return new Iso8583Error(this.kind, this.detail, {
      field: this.field,
      fieldName: this.fieldName,
      offset: this.offset,
      subfield: this.subfield,
      fieldEnd,
      raw,
    });
  }
}

function locate(where: Iso8583ErrorDetails): string {
  const parts: string[] = [];
  if (where.field !== undefined) {
    parts.push(where.fieldName ? `field ${where.field} (${where.fieldName})` : `field ${where.field}`);
  }
  if (where.subfield !== undefined) parts.push(`tag ${where.subfield}`);
  if (where.offset !== undefined) parts.push(`at byte ${where.offset}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}

export type FramingErrorKind =
  /** A length header that is not a number in its encoding (or zero, when empty frames are refused). */
  | 'BAD_HEADER'
  /** A frame longer than the decoder's maximum: the peer is broken or hostile; close the socket. */
  | 'OVERSIZE_FRAME'
  /** A TPDU that does not start with 0x60, or a frame too short to hold one. */
  | 'BAD_TPDU'
  /** push() after the decoder already failed: the stream has lost its frame alignment for good. */
  | 'DECODER_FAILED';

/** Stream-level failure. After one, the byte stream cannot be re-synchronised: close the connection. */
export class FramingError extends Error {
  readonly kind: FramingErrorKind;
  /** Offset in the stream (bytes pushed since the decoder was created) where the bad frame started. */
  readonly streamOffset: number;

  constructor(kind: FramingErrorKind, detail: string, streamOffset: number) {
    super(`${kind}: ${detail} (stream offset ${streamOffset})`);
    this.name = 'FramingError';
    this.kind = kind;
    this.streamOffset = streamOffset;
  }
}

/** A message spec (or dialect file) that does not describe a usable codec. Raised at load, never per message. */
export class Iso8583SpecError extends Error {
  readonly issues: readonly string[];

  constructor(message: string, issues: readonly string[] = []) {
    super(issues.length > 0 ? `${message}:\n  - ${issues.join('\n  - ')}` : message);
    this.name = 'Iso8583SpecError';
    this.issues = issues;
  }
}
