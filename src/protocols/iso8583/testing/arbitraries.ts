import fc from 'fast-check';

import { type FieldValue } from '../codec/field';
import { type MessageSpec } from '../codec/message';
import { type FieldDefinition, type SubfieldTagDefinition } from '../codec/spec';

/**
 * fast-check generators of messages valid for a spec, derived from the spec itself so every dialect
 * (and any partner spec) gets property tests without hand-written generators. Test-only code.
 */

const DIGITS = '0123456789'.split('');
const ALNUM = [...DIGITS, ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('')];
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i));

export interface ArbitraryOptions {
  /** Characters allowed for ans (iso_8583's ans lacks some punctuation, so the differential test narrows it). */
  readonly ansAlphabet?: readonly string[];
  /** Longest variable value generated, to keep runs fast. */
  readonly maxVariable?: number;
  /** Only these fields (default: all the spec defines). */
  readonly fields?: readonly number[];
  /** Generate values without pad characters (iso_8583 has no padding). */
  readonly noPadding?: boolean;
  readonly minVariable?: number;
}

function alphabet(cls: string, opts: ArbitraryOptions): readonly string[] {
  switch (cls) {
    case 'n':
      return DIGITS;
    case 'z':
      return [...DIGITS, '='];
    case 'an':
      return ALNUM;
    default:
      return opts.ansAlphabet ?? PRINTABLE;
  }
}

function textOf(chars: readonly string[], min: number, max: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
}

function tagValue(t: SubfieldTagDefinition, opts: ArbitraryOptions): fc.Arbitrary<string> {
  return textOf(alphabet(t.class, opts), t.minLength ?? 0, Math.min(t.maxLength, opts.maxVariable ?? 40));
}

/** A canonical value: what unpack returns, so unpack(pack(v)) equals v. */
export function fieldValueArb(def: FieldDefinition, opts: ArbitraryOptions = {}): fc.Arbitrary<FieldValue> {
  const maxVar = Math.min(def.length, opts.maxVariable ?? 40);
  const minVar = Math.min(maxVar, Math.max(def.minLength ?? 0, opts.minVariable ?? 0));
  if (def.subfields !== undefined) {
    const entries = Object.entries(def.subfields.tags);
    return fc
      .shuffledSubarray(entries, { minLength: opts.minVariable ?? 0 })
      .chain((chosen) =>
        fc.tuple(...chosen.map(([tag, t]) => tagValue(t, opts).map((v) => [tag, v] as const))),
      )
      .map((pairs) => new Map<string, string>(pairs));
  }
  if (def.class === 'b') {
    const [min, max] = def.lengthType === 'fixed' ? [def.length, def.length] : [minVar, maxVar];
    return fc.uint8Array({ minLength: min, maxLength: max }).map((u) => Buffer.from(u));
  }
  const chars = alphabet(def.class, opts);
  if (def.lengthType !== 'fixed') return textOf(chars, minVar, maxVar);
  const pad = def.padding;
  if (pad === undefined || opts.noPadding === true) return textOf(chars, def.length, def.length);
  // A core of class characters, then the pad run on its side, as it comes off the wire.
  return textOf(chars, 0, def.length).map((core) =>
    pad.side === 'left' ? core.padStart(def.length, pad.char) : core.padEnd(def.length, pad.char),
  );
}

export interface GeneratedMessage {
  readonly mti: string;
  readonly fields: Map<number, FieldValue>;
}

export function messageArb(spec: MessageSpec, opts: ArbitraryOptions = {}): fc.Arbitrary<GeneratedMessage> {
  const numbers = opts.fields ?? spec.fieldNumbers();
  return fc.tuple(textOf(DIGITS, 4, 4), fc.subarray([...numbers])).chain(([mti, chosen]) =>
    fc
      .tuple(...chosen.map((n) => fieldValueArb(spec.field(n)!, opts).map((v) => [n, v] as const)))
      .map((pairs) => ({
        mti,
        fields: new Map<number, FieldValue>(pairs),
      })),
  );
}
