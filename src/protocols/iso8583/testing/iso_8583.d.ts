/**
 * The few parts of iso_8583 2.6.7 (untyped) that the differential tests and the benchmark use.
 * Field values are strings keyed by field number; b fields are hex strings.
 */
declare module 'iso_8583' {
  type Iso8583Json = Record<string, string>;

  interface Iso8583FieldFormat {
    ContentType: string;
    Label: string;
    LenType: 'fixed' | 'llvar' | 'lllvar' | 'llllvar';
    MaxLen: number;
    MinLen?: number;
  }

  interface Iso8583ErrorResult {
    error: string;
  }

  interface Iso8583UnpackConfig {
    /** false: the buffer has no 2-byte length header (the default is to skip two bytes unchecked). */
    lenHeader?: boolean;
    bitmapEncoding?: 'hex' | 'utf8';
  }

  class Iso8583 {
    constructor(
      message?: Iso8583Json,
      customFormats?: Record<string, Iso8583FieldFormat>,
      requiredFieldsSchema?: unknown,
    );
    /** The message behind a 2-byte binary length header. */
    getBufferMessage(): Buffer | Iso8583ErrorResult;
    /** The message without a length header. */
    getRawMessage(): Buffer | Iso8583ErrorResult;
    getIsoJSON(buffer: Buffer, config?: Iso8583UnpackConfig): Iso8583Json | Iso8583ErrorResult;
  }

  export = Iso8583;
}
