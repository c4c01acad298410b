import { Iso8583Error, Iso8583SpecError } from '../errors';
import { charTable } from './charsets';
import { type TextCodec, textCodec } from './encoding';
import {
  type CompiledField,
  compileField,
  type FieldValue,
  type FieldValueInput,
  type ReadCursor,
} from './field';
import { type FieldDefinition, parseSpecDefinition, semanticIssues, type SpecDefinition } from './spec';

export interface IsoMessage {
  /** Message type indicator, four digits (e.g. '0200'). */
  readonly mti: string;
  /** Field number (2..128) to value; iteration follows field number after unpack. */
  readonly fields: ReadonlyMap<number, FieldValue>;
}

/** An unpacked message: the same shape, with a Map the caller may change to build a response. */
export interface UnpackedMessage extends IsoMessage {
  readonly fields: Map<number, FieldValue>;
}

export interface IsoMessageInput {
  readonly mti: string;
  /** A Map, or a plain object keyed by field number (as JSON gives). */
  readonly fields: ReadonlyMap<number, FieldValueInput> | Readonly<Record<number, FieldValueInput>>;
}

/**
 * Byte range a field took in a message, for log masking; `dataStart` is after the length prefix.
 * Field 0 is the MTI and field 1 the bitmap(s).
 */
export interface FieldSpan {
  readonly field: number;
  readonly start: number;
  readonly dataStart: number;
  readonly end: number;
}

const MTI_TABLE = charTable('n');
const HEX = '0123456789ABCDEF';
const MTI_FIELD = { field: 0, fieldName: 'MTI' } as const;
const BITMAP_FIELD = { field: 1, fieldName: 'Bitmap' } as const;

/**
 * A message spec compiled for use: one closure-holding object per field in an array indexed by field
 * number, so pack and unpack do no lookups by name and no per-message setup.
 */
export class MessageSpec {
  readonly name: string;
  readonly description: string | undefined;
  readonly definition: SpecDefinition;
  readonly mtiEncoding: SpecDefinition['mti']['encoding'];
  readonly bitmapEncoding: SpecDefinition['bitmap']['encoding'];
  /** @internal index = field number; undefined where the spec defines no field. */
  readonly compiled: readonly (CompiledField | undefined)[];
  /** @internal */
  readonly mtiCodec: TextCodec;
  /** @internal bytes of the MTI on the wire. */
  readonly mtiBytes: number;
  /** @internal bytes of one 64-bit bitmap on the wire. */
  readonly bitmapBytes: number;
  private readonly numbers: readonly number[];
  // Scratch space reused by pack/unpack: both are synchronous, so one set per spec is enough.
  /** @internal */ readonly scratchNumbers = new Int32Array(128);
  /** @internal */ readonly scratchWires: (string | Buffer)[] = new Array<string | Buffer>(128).fill('');
  /** @internal */ readonly scratchBits = new Uint8Array(16);
  /** @internal */ readonly cursor: ReadCursor = { pos: 0 };

  /** Prefer compileSpec, which also checks the shape of untyped data; this checks the cross-field rules. */
  constructor(definition: SpecDefinition) {
    const issues = semanticIssues(definition);
    if (issues.length > 0) throw new Iso8583SpecError(`invalid spec ${definition.name}`, issues);
    this.definition = definition;
    this.name = definition.name;
    this.description = definition.description;
    this.mtiEncoding = definition.mti.encoding;
    this.bitmapEncoding = definition.bitmap.encoding;
    this.mtiCodec = textCodec(definition.mti.encoding);
    this.mtiBytes = this.mtiCodec.bytes(4);
    this.bitmapBytes = definition.bitmap.encoding === 'binary' ? 8 : 16;
    const compiled = new Array<CompiledField | undefined>(129).fill(undefined);
    for (const [key, def] of Object.entries(definition.fields))
      compiled[Number(key)] = compileField(Number(key), def);
    this.compiled = compiled;
    this.numbers = compiled.flatMap((f, i) => (f === undefined ? [] : [i]));
  }

  /** The definition of field `n`, or undefined when the spec does not define it. */
  field(n: number): FieldDefinition | undefined {
    return this.compiled[n]?.definition;
  }

  fieldName(n: number): string | undefined {
    return n === 0 ? 'MTI' : n === 1 ? 'Bitmap' : this.compiled[n]?.name;
  }

  /** Name of sub-element `tag` of field `n`, when the field has sub-elements and the tag is known. */
  subfieldName(n: number, tag: string): string | undefined {
    return this.compiled[n]?.subfields?.tagName(tag);
  }

  /** Field numbers the spec defines, ascending. */
  fieldNumbers(): readonly number[] {
    return this.numbers;
  }

  requiredFields(mti: string): readonly number[] {
    return this.definition.requiredFields?.[mti] ?? [];
  }
}

/** Validates JSON-shaped data as a spec and compiles it; throws Iso8583SpecError naming every problem. */
export function compileSpec(data: unknown, source?: string): MessageSpec {
  return new MessageSpec(parseSpecDefinition(data, source));
}

function checkMti(mti: unknown): string {
  if (typeof mti !== 'string' || mti.length !== 4) {
    throw new Iso8583Error('BAD_MTI', 'MTI must be a string of 4 digits', MTI_FIELD);
  }
  for (let i = 0; i < 4; i++) {
    const c = mti.charCodeAt(i);
    if (c < 0x30 || c > 0x39)
      throw new Iso8583Error('BAD_MTI', 'MTI must be a string of 4 digits', MTI_FIELD);
  }
  return mti;
}

function fieldNumberOf(key: string | number, spec: MessageSpec): number {
  const n = typeof key === 'number' ? key : key.length > 0 && key.length <= 3 ? Number(key) : NaN;
  if (
    !Number.isInteger(n) ||
    spec.compiled[n] === undefined ||
    (typeof key === 'string' && String(n) !== key)
  ) {
    const why =
      n === 1
        ? 'field 1 is the secondary-bitmap bit, set by the codec'
        : `spec ${spec.name} has no field ${String(key)}`;
    throw new Iso8583Error('UNKNOWN_FIELD', why, Number.isInteger(n) ? { field: n } : {});
  }
  return n;
}

/**
 * Packs a message into bytes (no frame header: see framing/). Refuses, with an Iso8583Error, an unknown
 * field, a value of the wrong type, class or size; a short fixed value is padded only if the spec pads it.
 */
export function pack(spec: MessageSpec, message: IsoMessageInput): Buffer {
  const mti = checkMti(message.mti);
  const nums = spec.scratchNumbers;
  const wires = spec.scratchWires;
  const compiled = spec.compiled;
  let count = 0;

  const add = (n: number, v: FieldValueInput | undefined): void => {
    const f = compiled[n]!;
    if (v === undefined || v === null) {
      throw new Iso8583Error('ABSENT_FIELD', 'field given without a value', { field: n, fieldName: f.name });
    }
    // Insertion sort: messages carry a few dozen fields at most, usually already in order.
    let i = count++;
    while (i > 0 && nums[i - 1]! > n) {
      nums[i] = nums[i - 1]!;
      wires[i] = wires[i - 1]!;
      i--;
    }
    if (i > 0 && nums[i - 1] === n)
      throw new Iso8583Error('UNKNOWN_FIELD', 'field given twice', { field: n, fieldName: f.name });
    nums[i] = n;
    wires[i] = f.prepare(v);
  };

  const fields = message.fields;
  if (fields instanceof Map) {
    for (const [k, v] of fields as ReadonlyMap<number, FieldValueInput>) add(fieldNumberOf(k, spec), v);
  } else {
    const rec = fields as Readonly<Record<string, FieldValueInput>>;
    for (const k of Object.keys(rec)) add(fieldNumberOf(k, spec), rec[k]);
  }

  const secondary = count > 0 && nums[count - 1]! > 64;
  let size = spec.mtiBytes + (secondary ? 2 : 1) * spec.bitmapBytes;
  for (let i = 0; i < count; i++) size += compiled[nums[i]!]!.size(wires[i]!);

  const buf = Buffer.allocUnsafe(size);
  spec.mtiCodec.write(buf, 0, mti, MTI_TABLE);
  let off = spec.mtiBytes;

  const bits = spec.scratchBits;
  bits.fill(0);
  if (secondary) bits[0] = 0x80;
  for (let i = 0; i < count; i++) {
    const b = nums[i]! - 1;
    bits[b >> 3]! |= 0x80 >> (b & 7);
  }
  const bitmapLen = secondary ? 16 : 8;
  if (spec.bitmapEncoding === 'binary') {
    for (let i = 0; i < bitmapLen; i++) buf[off + i] = bits[i]!;
    off += bitmapLen;
  } else {
    for (let i = 0; i < bitmapLen; i++) {
      buf[off++] = HEX.charCodeAt(bits[i]! >> 4);
      buf[off++] = HEX.charCodeAt(bits[i]! & 15);
    }
  }

  for (let i = 0; i < count; i++) {
    off = compiled[nums[i]!]!.write(buf, off, wires[i]!);
    wires[i] = '';
  }
  if (off !== size) throw new Error(`iso8583 pack: wrote ${off} bytes, sized ${size} (codec bug)`);
  return buf;
}

/**
 * Unpacks one whole message (the frame payload, without length header or TPDU). Strict: every byte must
 * belong to the MTI, the bitmap or a field the bitmap announces and the spec defines.
 */
export function unpack(spec: MessageSpec, bytes: Uint8Array): UnpackedMessage {
  return unpackInto(spec, bytes, undefined);
}

/** What a malformed message said before the first byte that broke it, and that error. */
export interface PartialMessage {
  readonly mti: string | undefined;
  /** Every field decoded, in bitmap order, before the first malformed or unknown one. */
  readonly fields: ReadonlyMap<number, FieldValue>;
  readonly error: Iso8583Error;
}

/**
 * For a message that unpack refuses: decodes as far as it can, so that a request whose MTI and
 * STAN are readable can still be answered (with a format error) instead of the connection being
 * dropped. Undefined when the message is in fact valid.
 */
export function unpackPartial(spec: MessageSpec, bytes: Uint8Array): PartialMessage | undefined {
  const partial: Partial<{ mti: string }> & { fields: Map<number, FieldValue> } = { fields: new Map() };
  try {
    unpackInto(spec, bytes, undefined, partial);
    return undefined;
  } catch (error) {
    if (!(error instanceof Iso8583Error)) throw error;
    return { mti: partial.mti, fields: partial.fields, error };
  }
}

/** @internal unpack that also records where each field sat, for masked hex dumps. */
export function unpackInto(
  spec: MessageSpec,
  bytes: Uint8Array,
  spans: FieldSpan[] | undefined,
  partial?: { mti?: string; fields: Map<number, FieldValue> },
): UnpackedMessage {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.length;

  if (end < spec.mtiBytes) {
    throw new Iso8583Error('TRUNCATED', `MTI needs ${spec.mtiBytes} bytes, ${end} present`, {
      ...MTI_FIELD,
      offset: 0,
    });
  }
  const mti = spec.mtiCodec.read(buf, 0, 4, MTI_TABLE);
  if (mti === undefined) {
    throw new Iso8583Error('BAD_MTI', `MTI is not 4 digits in ${spec.mtiEncoding}`, {
      ...MTI_FIELD,
      offset: spec.mtiCodec.badByte(buf, 0, 4, MTI_TABLE),
    });
  }
  let off = spec.mtiBytes;
  if (spans !== undefined) spans.push({ field: 0, start: 0, dataStart: 0, end: off });
  if (partial !== undefined) partial.mti = mti;

  const bits = spec.scratchBits;
  const bitmapStart = off;
  off = readBitmap(spec, buf, off, end, bits);
  const secondary = (bits[0]! & 0x80) !== 0;
  if (spans !== undefined) spans.push({ field: 1, start: bitmapStart, dataStart: bitmapStart, end: off });

  // Resolve every announced field before reading any, so an unknown field is reported as such rather
  // than as whatever garbage the misaligned read of the fields before it would produce.
  const nums = spec.scratchNumbers;
  const compiled = spec.compiled;
  let count = 0;
  let unknown: Iso8583Error | undefined;
  const bitmapLen = secondary ? 16 : 8;
  scan: for (let byte = 0; byte < bitmapLen; byte++) {
    const v = bits[byte]!;
    if (v === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if ((v & (0x80 >> bit)) === 0) continue;
      const n = byte * 8 + bit + 1;
      if (n === 1) continue;
      if (compiled[n] === undefined) {
        const charsPerByte = spec.bitmapEncoding === 'binary' ? 1 : 2;
        unknown = new Iso8583Error(
          'UNKNOWN_FIELD',
          `bitmap announces field ${n}, which spec ${spec.name} does not define`,
          {
            field: n,
            offset: bitmapStart + byte * charsPerByte,
          },
        );
        // Strict: refuse before reading anything. Partial: the fields before it are still readable.
        if (partial === undefined) throw unknown;
        break scan;
      }
      nums[count++] = n;
    }
  }
  if (secondary) {
    let any = 0;
    for (let i = 8; i < 16; i++) any |= bits[i]!;
    if (any === 0) {
      throw new Iso8583Error('BAD_BITMAP', 'secondary bitmap present but announces no field', {
        ...BITMAP_FIELD,
        offset: bitmapStart,
      });
    }
  }

  const fields = partial?.fields ?? new Map<number, FieldValue>();
  const cursor = spec.cursor;
  if (partial === undefined) {
    for (let i = 0; i < count; i++) {
      const n = nums[i]!;
      const start = off;
      fields.set(n, compiled[n]!.read(buf, off, end, cursor));
      off = cursor.pos;
      if (spans !== undefined)
        spans.push({ field: n, start, dataStart: start + compiled[n]!.prefixSize, end: off });
    }
  } else {
    // Partial: a field whose length is known but whose content is bad is stepped over, so the fields
    // after it (the STAN, say) can still be read for the answer; the first fault is still the error.
    let first: Iso8583Error | undefined;
    for (let i = 0; i < count; i++) {
      const n = nums[i]!;
      try {
        fields.set(n, compiled[n]!.read(buf, off, end, cursor));
        off = cursor.pos;
      } catch (error) {
        if (!(error instanceof Iso8583Error) || error.fieldEnd === undefined) throw first ?? error;
        first ??= error;
        off = error.fieldEnd;
      }
    }
    if (first !== undefined) throw first;
  }
  if (unknown !== undefined) throw unknown;
  if (off !== end) {
    throw new Iso8583Error('TRAILING_BYTES', `${end - off} bytes after the last field`, {
      field: count > 0 ? nums[count - 1] : undefined,
      fieldName: count > 0 ? compiled[nums[count - 1]!]!.name : undefined,
      offset: off,
    });
  }
  return { mti, fields };
}

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Reads the primary (and, when bit 1 says so, secondary) bitmap into `bits`; returns the next offset. */
function readBitmap(spec: MessageSpec, buf: Buffer, off: number, end: number, bits: Uint8Array): number {
  const hex = spec.bitmapEncoding === 'hex';
  const width = hex ? 16 : 8;
  bits.fill(0);
  let p = off;
  for (let part = 0; part < 2; part++) {
    if (end - p < width) {
      throw new Iso8583Error(
        'TRUNCATED',
        `${part === 0 ? 'primary' : 'secondary'} bitmap needs ${width} bytes, ${end - p} left`,
        {
          ...BITMAP_FIELD,
          offset: p,
        },
      );
    }
    for (let i = 0; i < 8; i++) {
      if (hex) {
        const hi = hexNibble(buf[p]!);
        const lo = hexNibble(buf[p + 1]!);
        if (hi < 0 || lo < 0) {
          throw new Iso8583Error('BAD_BITMAP', 'bitmap is not hexadecimal', {
            ...BITMAP_FIELD,
            offset: hi < 0 ? p : p + 1,
          });
        }
        bits[part * 8 + i] = (hi << 4) | lo;
        p += 2;
      } else {
        bits[part * 8 + i] = buf[p++]!;
      }
    }
    if (part === 0 && (bits[0]! & 0x80) === 0) break;
  }
  return p;
}

/** Throws ABSENT_FIELD for the first field the spec requires for this MTI that the message lacks. */
export function assertRequiredFields(spec: MessageSpec, message: IsoMessage): void {
  for (const n of spec.requiredFields(message.mti)) {
    if (!message.fields.has(n)) {
      throw new Iso8583Error('ABSENT_FIELD', `MTI ${message.mti} requires it`, {
        field: n,
        fieldName: spec.fieldName(n),
      });
    }
  }
}
