import { Iso8583Error } from '../errors';
import { type CharTable, charTable, describeChar, firstInvalidChar, type TextClass } from './charsets';
import { type SubfieldsDefinition } from './spec';

/** Sub-elements of a TLV private field, by tag, in wire order. */
export type Subfields = ReadonlyMap<string, string>;

interface TagInfo {
  readonly name: string;
  readonly table: CharTable;
  readonly cls: TextClass;
  readonly maxLength: number;
  readonly minLength: number;
}

export interface FieldRef {
  readonly number: number;
  readonly name: string;
}

const DIGIT = charTable('n');
const ALNUM = charTable('an');

/**
 * TLV sub-elements inside a text field (e.g. field 48: tag 2 digits, length 3 digits, value). Works on
 * the field's decoded string, so the same layout serves ASCII and EBCDIC fields; one character is one
 * byte in both, which keeps reported offsets exact.
 */
export class SubfieldCodec {
  private readonly tags = new Map<string, TagInfo>();
  private readonly required: readonly string[];
  private readonly keepUnknown: boolean;
  private readonly tagLength: number;
  private readonly lengthLength: number;
  private readonly capacity: number;

  constructor(def: SubfieldsDefinition) {
    this.tagLength = def.tagLength;
    this.lengthLength = def.lengthLength;
    this.capacity = 10 ** def.lengthLength - 1;
    this.keepUnknown = def.unknownTags === 'keep';
    for (const [tag, t] of Object.entries(def.tags)) {
      this.tags.set(tag, {
        name: t.name,
        cls: t.class,
        table: charTable(t.class),
        maxLength: t.maxLength,
        minLength: t.minLength ?? 0,
      });
    }
    this.required = Object.entries(def.tags)
      .filter(([, t]) => t.required === true)
      .map(([tag]) => tag);
  }

  tagName(tag: string): string | undefined {
    return this.tags.get(tag)?.name;
  }

  /** Builds the field's string from tags; insertion order is wire order. */
  encode(entries: Iterable<readonly [string, unknown]>, field: FieldRef): string {
    let out = '';
    const seen = new Set<string>();
    for (const [tag, value] of entries) {
      const info = this.checkTag(tag, field, undefined);
      if (typeof value !== 'string') {
        throw new Iso8583Error(
          'BAD_VALUE_TYPE',
          'a sub-element value must be a string',
          this.where(field, tag),
        );
      }
      this.checkValue(value, info, tag, field, undefined);
      seen.add(tag);
      out += tag + String(value.length).padStart(this.lengthLength, '0') + value;
    }
    this.checkRequired(seen, field, undefined);
    return out;
  }

  /**
   * Parses the field's string. `base` is the byte offset of the string's first character in the
   * message (undefined when checking a value given to pack, where only the character index means anything).
   */
  decode(s: string, base: number | undefined, field: FieldRef): Map<string, string> {
    const out = new Map<string, string>();
    const n = s.length;
    const tl = this.tagLength;
    const ll = this.lengthLength;
    const at = (i: number): number | undefined => (base === undefined ? undefined : base + i);
    let i = 0;
    while (i < n) {
      if (n - i < tl) {
        throw new Iso8583Error('TRUNCATED', `sub-element tag cut short (${n - i} of ${tl} characters)`, {
          ...this.where(field, undefined),
          offset: at(i),
        });
      }
      const tag = s.slice(i, i + tl);
      const info = this.checkTag(tag, field, at(i));
      if (out.has(tag)) {
        throw new Iso8583Error('UNKNOWN_SUBFIELD', 'sub-element tag repeated', {
          ...this.where(field, tag),
          offset: at(i),
        });
      }
      i += tl;
      if (n - i < ll) {
        throw new Iso8583Error('TRUNCATED', `sub-element length cut short (${n - i} of ${ll} digits)`, {
          ...this.where(field, tag),
          offset: at(i),
        });
      }
      let len = 0;
      for (let k = 0; k < ll; k++) {
        const c = s.charCodeAt(i + k);
        if (c >= 128 || DIGIT[c] !== 1) {
          throw new Iso8583Error('BAD_LENGTH_PREFIX', `sub-element length is not ${ll} decimal digits`, {
            ...this.where(field, tag),
            offset: at(i + k),
          });
        }
        len = len * 10 + (c - 0x30);
      }
      i += ll;
      if (n - i < len) {
        throw new Iso8583Error(
          'TRUNCATED',
          `sub-element declares ${len} characters, ${n - i} left in the field`,
          {
            ...this.where(field, tag),
            offset: at(i),
          },
        );
      }
      const value = s.slice(i, i + len);
      this.checkValue(value, info, tag, field, at(i));
      out.set(tag, value);
      i += len;
    }
    this.checkRequired(out, field, base === undefined ? undefined : base + n);
    return out;
  }

  private where(
    field: FieldRef,
    tag: string | undefined,
  ): { field: number; fieldName: string; subfield?: string } {
    return tag === undefined
      ? { field: field.number, fieldName: field.name }
      : { field: field.number, fieldName: field.name, subfield: tag };
  }

  private checkTag(tag: string, field: FieldRef, offset: number | undefined): TagInfo {
    const info = this.tags.get(tag);
    if (info !== undefined) return info;
    const shapeOk = tag.length === this.tagLength && firstInvalidChar(tag, ALNUM) < 0;
    if (!shapeOk) {
      throw new Iso8583Error(
        'BAD_CONTENT',
        `sub-element tag must be ${this.tagLength} alphanumeric characters`,
        {
          field: field.number,
          fieldName: field.name,
          offset,
        },
      );
    }
    if (!this.keepUnknown) {
      throw new Iso8583Error('UNKNOWN_SUBFIELD', 'sub-element tag not in the spec', {
        ...this.where(field, tag),
        offset,
      });
    }
    return {
      name: `tag ${tag}`,
      cls: 'ans',
      table: charTable('ans'),
      maxLength: this.capacity,
      minLength: 0,
    };
  }

  private checkValue(
    value: string,
    info: TagInfo,
    tag: string,
    field: FieldRef,
    offset: number | undefined,
  ): void {
    if (value.length > info.maxLength) {
      throw new Iso8583Error(
        'OVERSIZE',
        `sub-element is ${value.length} characters, at most ${info.maxLength}`,
        {
          ...this.where(field, tag),
          offset,
        },
      );
    }
    if (value.length < info.minLength) {
      throw new Iso8583Error(
        'BAD_LENGTH',
        `sub-element is ${value.length} characters, at least ${info.minLength}`,
        {
          ...this.where(field, tag),
          offset,
        },
      );
    }
    const bad = firstInvalidChar(value, info.table);
    if (bad >= 0) {
      throw new Iso8583Error(
        'BAD_CONTENT',
        `sub-element character ${bad} (${describeChar(value, bad)}) is not class ${info.cls}`,
        { ...this.where(field, tag), offset: offset === undefined ? undefined : offset + bad },
      );
    }
  }

  private checkRequired(
    present: ReadonlySet<string> | ReadonlyMap<string, string>,
    field: FieldRef,
    offset: number | undefined,
  ): void {
    for (const tag of this.required) {
      if (!present.has(tag)) {
        throw new Iso8583Error('ABSENT_FIELD', 'required sub-element missing', {
          ...this.where(field, tag),
          offset,
        });
      }
    }
  }
}
