import { Iso8583Error, type Iso8583ErrorKind } from '../errors';
import { type CharTable, charTable, describeChar, type TextClass } from './charsets';
import { type TextCodec, textCodec } from './encoding';
import { type Prefixer, prefixer } from './prefix';
import { type FieldDefinition } from './spec';
import { SubfieldCodec, type Subfields } from './subfields';

/** A field value as unpack returns it: text for n/an/ans/z, bytes for b, a tag map for TLV fields. */
export type FieldValue = string | Buffer | Subfields;

/** What pack accepts: also a plain object of tags for a TLV field (handy when the message comes from JSON). */
export type FieldValueInput = FieldValue | Uint8Array | Readonly<Record<string, string>>;

/** Where a field read ends; shared by all fields of a spec to avoid returning a tuple per field. */
export interface ReadCursor {
  pos: number;
}

/**
 * A field compiled from its definition: packing is prepare (type check, TLV to string) → size (length
 * rules) → write (content rules while copying); unpacking is read. Two concrete classes only, so the
 * pack/unpack loops stay cheap for V8 however many fields a spec has.
 */
export interface CompiledField {
  readonly number: number;
  readonly name: string;
  readonly definition: FieldDefinition;
  readonly subfields: SubfieldCodec | undefined;
  /** Bytes of the length prefix (0 for fixed fields). */
  readonly prefixSize: number;
  prepare(value: FieldValueInput): string | Buffer;
  size(wire: string | Buffer): number;
  write(buf: Buffer, off: number, wire: string | Buffer): number;
  read(buf: Buffer, off: number, end: number, cursor: ReadCursor): FieldValue;
}

function fail(kind: Iso8583ErrorKind, field: CompiledField, detail: string, offset?: number): never {
  throw new Iso8583Error(kind, detail, { field: field.number, fieldName: field.name, offset });
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return 'Buffer';
  if (v instanceof Map) return 'Map';
  return typeof v;
}

class TextField implements CompiledField {
  readonly subfields: SubfieldCodec | undefined;
  readonly prefixSize: number;
  private readonly codec: TextCodec;
  private readonly prefix: Prefixer | undefined;
  private readonly fixed: boolean;
  private readonly maxLength: number;
  private readonly minLength: number;
  private readonly cls: TextClass;
  /** The class table, plus the pad character when the class itself does not contain it. */
  private readonly table: CharTable;
  private readonly padChar: string | undefined;
  private readonly padLeft: boolean;
  /** The pad character is outside the class, so it may only appear in the pad run. */
  private readonly padNeedsPositionCheck: boolean;
  private readonly fixedBytes: number;

  constructor(
    readonly number: number,
    readonly definition: FieldDefinition,
    cls: TextClass,
  ) {
    const def = definition;
    this.cls = cls;
    this.codec = textCodec(def.encoding as 'ascii' | 'ebcdic' | 'bcd', def.bcdOddPad);
    this.fixed = def.lengthType === 'fixed';
    this.prefix =
      def.lengthType === 'fixed' || def.prefix === undefined
        ? undefined
        : prefixer(def.lengthType, def.prefix);
    this.prefixSize = this.prefix?.size ?? 0;
    this.maxLength = def.length;
    this.minLength = this.fixed ? def.length : (def.minLength ?? 0);
    this.fixedBytes = this.codec.bytes(def.length);
    this.subfields = def.subfields === undefined ? undefined : new SubfieldCodec(def.subfields);
    const base = charTable(cls);
    this.padChar = def.padding?.char;
    this.padLeft = def.padding?.side === 'left';
    const padCode = this.padChar?.charCodeAt(0);
    if (padCode !== undefined && base[padCode] !== 1) {
      const t = new Uint8Array(base);
      t[padCode] = 1;
      this.table = t;
      this.padNeedsPositionCheck = true;
    } else {
      this.table = base;
      this.padNeedsPositionCheck = false;
    }
  }

  get name(): string {
    return this.definition.name;
  }

  prepare(value: FieldValueInput): string {
    if (typeof value === 'string') {
      // A raw TLV string is accepted but must parse, so pack can never emit sub-elements unpack refuses.
      if (this.subfields !== undefined) this.subfields.decode(value, undefined, this);
      return value;
    }
    if (
      this.subfields !== undefined &&
      value !== null &&
      typeof value === 'object' &&
      !(value instanceof Uint8Array)
    ) {
      const entries = value instanceof Map ? (value as Subfields).entries() : Object.entries(value);
      return this.subfields.encode(entries, this);
    }
    return fail('BAD_VALUE_TYPE', this, `class ${this.cls} takes a string, got ${typeName(value)}`);
  }

  size(wire: string | Buffer): number {
    const n = wire.length;
    if (n > this.maxLength) {
      fail('OVERSIZE', this, `value is ${n} characters, at most ${this.maxLength} allowed`);
    }
    if (this.fixed) {
      if (n < this.maxLength && this.padChar === undefined) {
        fail(
          'BAD_LENGTH',
          this,
          `value is ${n} characters, the field is fixed at ${this.maxLength} and not padded`,
        );
      }
      return this.fixedBytes;
    }
    if (n < this.minLength)
      fail('BAD_LENGTH', this, `value is ${n} characters, at least ${this.minLength} required`);
    return this.prefix!.size + this.codec.bytes(n);
  }

  write(buf: Buffer, off: number, wire: string | Buffer): number {
    let s = wire as string;
    let o = off;
    if (this.fixed) {
      if (s.length < this.maxLength) {
        s = this.padLeft ? s.padStart(this.maxLength, this.padChar) : s.padEnd(this.maxLength, this.padChar);
      }
    } else {
      this.prefix!.write(buf, o, s.length);
      o += this.prefix!.size;
    }
    const bad = this.codec.write(buf, o, s, this.table);
    if (bad >= 0) {
      // Report the index in the caller's value, not in the padded string.
      const idx = this.fixed && this.padLeft ? bad - (s.length - (wire as string).length) : bad;
      fail(
        'BAD_CONTENT',
        this,
        `character ${idx} (${describeChar(s, bad)}) is not class ${this.cls} in ${this.codec.encoding}`,
      );
    }
    if (this.padNeedsPositionCheck && s.indexOf(this.padChar!) >= 0) {
      const misplaced = this.misplacedPad(s);
      if (misplaced >= 0) fail('BAD_CONTENT', this, `character ${misplaced} is not class ${this.cls}`);
    }
    return o + this.codec.bytes(s.length);
  }

  read(buf: Buffer, off: number, end: number, cursor: ReadCursor): FieldValue {
    let p = off;
    let n = this.maxLength;
    if (!this.fixed) {
      const prefix = this.prefix!;
      if (end - p < prefix.size) {
        fail('TRUNCATED', this, `length prefix needs ${prefix.size} bytes, ${end - p} left`, p);
      }
      n = prefix.read(buf, p);
      if (n < 0) fail('BAD_LENGTH_PREFIX', this, 'length prefix is not a number in its encoding', p);
      if (n > this.maxLength)
        fail('BAD_LENGTH_PREFIX', this, `length prefix says ${n}, at most ${this.maxLength}`, p);
      if (n < this.minLength)
        fail('BAD_LENGTH', this, `length prefix says ${n}, at least ${this.minLength}`, p);
      p += prefix.size;
    }
    const bytes = this.codec.bytes(n);
    if (end - p < bytes) fail('TRUNCATED', this, `needs ${bytes} bytes, ${end - p} left`, p);
    try {
      return this.readContent(buf, p, n, bytes, cursor);
    } catch (error) {
      // The length was readable, only the content is wrong: say where the field ends.
      if (error instanceof Iso8583Error)
        throw error.withExtent(p + bytes, Buffer.from(buf.subarray(off, p + bytes)));
      throw error;
    }
  }

  private readContent(buf: Buffer, p: number, n: number, bytes: number, cursor: ReadCursor): FieldValue {
    const s = this.codec.read(buf, p, n, this.table);
    if (s === undefined) {
      fail(
        'BAD_CONTENT',
        this,
        `byte is not class ${this.cls} in ${this.codec.encoding}`,
        this.codec.badByte(buf, p, n, this.table),
      );
    }
    if (this.padNeedsPositionCheck && s.indexOf(this.padChar!) >= 0) {
      const misplaced = this.misplacedPad(s);
      if (misplaced >= 0) fail('BAD_CONTENT', this, `pad character inside the value`, p + misplaced);
    }
    cursor.pos = p + bytes;
    return this.subfields === undefined ? s : this.subfields.decode(s, p, this);
  }

  /** Index of a pad character outside the leading (left) or trailing (right) pad run, or -1. */
  private misplacedPad(s: string): number {
    const pad = this.padChar!;
    if (this.padLeft) {
      let i = 0;
      while (i < s.length && s[i] === pad) i++;
      const j = s.indexOf(pad, i);
      return j;
    }
    let e = s.length;
    while (e > 0 && s[e - 1] === pad) e--;
    const j = s.indexOf(pad);
    return j >= 0 && j < e ? j : -1;
  }
}

class BinaryField implements CompiledField {
  readonly subfields = undefined;
  readonly prefixSize: number;
  private readonly prefix: Prefixer | undefined;
  private readonly fixed: boolean;
  private readonly maxLength: number;
  private readonly minLength: number;

  constructor(
    readonly number: number,
    readonly definition: FieldDefinition,
  ) {
    const def = definition;
    this.fixed = def.lengthType === 'fixed';
    this.prefix =
      def.lengthType === 'fixed' || def.prefix === undefined
        ? undefined
        : prefixer(def.lengthType, def.prefix);
    this.prefixSize = this.prefix?.size ?? 0;
    this.maxLength = def.length;
    this.minLength = this.fixed ? def.length : (def.minLength ?? 0);
  }

  get name(): string {
    return this.definition.name;
  }

  prepare(value: FieldValueInput): Buffer {
    if (Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return fail('BAD_VALUE_TYPE', this, `class b takes a Buffer, got ${typeName(value)}`);
  }

  size(wire: string | Buffer): number {
    const n = wire.length;
    if (n > this.maxLength) fail('OVERSIZE', this, `value is ${n} bytes, at most ${this.maxLength} allowed`);
    if (n < this.minLength) {
      fail(
        'BAD_LENGTH',
        this,
        this.fixed
          ? `value is ${n} bytes, the field is fixed at ${this.maxLength}`
          : `value is ${n} bytes, at least ${this.minLength} required`,
      );
    }
    return this.fixed ? n : this.prefix!.size + n;
  }

  write(buf: Buffer, off: number, wire: string | Buffer): number {
    const b = wire as Buffer;
    let o = off;
    if (!this.fixed) {
      this.prefix!.write(buf, o, b.length);
      o += this.prefix!.size;
    }
    buf.set(b, o);
    return o + b.length;
  }

  read(buf: Buffer, off: number, end: number, cursor: ReadCursor): Buffer {
    let p = off;
    let n = this.maxLength;
    if (!this.fixed) {
      const prefix = this.prefix!;
      if (end - p < prefix.size)
        fail('TRUNCATED', this, `length prefix needs ${prefix.size} bytes, ${end - p} left`, p);
      n = prefix.read(buf, p);
      if (n < 0) fail('BAD_LENGTH_PREFIX', this, 'length prefix is not a number in its encoding', p);
      if (n > this.maxLength)
        fail('BAD_LENGTH_PREFIX', this, `length prefix says ${n}, at most ${this.maxLength}`, p);
      if (n < this.minLength)
        fail('BAD_LENGTH', this, `length prefix says ${n}, at least ${this.minLength}`, p);
      p += prefix.size;
    }
    if (end - p < n) fail('TRUNCATED', this, `needs ${n} bytes, ${end - p} left`, p);
    // A copy, so a held field value does not keep the whole socket chunk alive.
    const out = Buffer.allocUnsafe(n);
    buf.copy(out, 0, p, p + n);
    cursor.pos = p + n;
    return out;
  }
}

export function compileField(number: number, def: FieldDefinition): CompiledField {
  return def.class === 'b' ? new BinaryField(number, def) : new TextField(number, def, def.class);
}
