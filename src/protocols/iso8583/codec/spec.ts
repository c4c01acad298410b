import { z } from 'zod';

import { Iso8583SpecError } from '../errors';
import { charTable, firstInvalidChar } from './charsets';
import { prefixer } from './prefix';

/**
 * The JSON shape of a message spec. Everything a partner may differ on is a field here, so a new partner
 * is a new JSON file; and everything is checked at load, so a bad spec fails at start-up, not on the
 * first message that happens to use the broken field.
 */
const subfieldTagSchema = z.strictObject({
  name: z.string().min(1),
  class: z.enum(['n', 'an', 'ans']),
  maxLength: z.number().int().min(1),
  minLength: z.number().int().min(0).optional(),
  required: z.boolean().optional(),
});

const subfieldsSchema = z.strictObject({
  /** TLV layout: tag of `tagLength` characters, decimal length of `lengthLength` digits, then the value. */
  format: z.literal('tlv'),
  tagLength: z.number().int().min(1).max(8),
  lengthLength: z.number().int().min(1).max(4),
  /** 'keep' accepts tags the spec does not list (as ans); 'reject' (the default) refuses them. */
  unknownTags: z.enum(['reject', 'keep']).optional(),
  tags: z.record(z.string(), subfieldTagSchema),
});

const fieldSchema = z.strictObject({
  name: z.string().min(1),
  class: z.enum(['n', 'an', 'ans', 'b', 'z']),
  lengthType: z.enum(['fixed', 'LL', 'LLL', 'LLLL']),
  /** The fixed length, or the maximum for a variable field: characters for text, bytes for b. */
  length: z.number().int().min(1),
  minLength: z.number().int().min(0).optional(),
  /** Encoding of the length prefix; only (and always) for variable fields. */
  prefix: z.enum(['ascii', 'ebcdic', 'bcd', 'binary']).optional(),
  encoding: z.enum(['ascii', 'ebcdic', 'bcd', 'binary']),
  /** Fixed text fields only: a shorter value is padded to the fixed length; a longer one is refused. */
  padding: z.strictObject({ side: z.enum(['left', 'right']), char: z.string().length(1) }).optional(),
  /** BCD only: where the pad nibble of an odd-length value goes. Default left-0. */
  bcdOddPad: z.enum(['left-0', 'right-0', 'right-F']).optional(),
  /** How the value is masked in logs: pan keeps 6+4 digits, track masks all but the PAN's, secret all. */
  sensitive: z.enum(['pan', 'track', 'secret']).optional(),
  subfields: subfieldsSchema.optional(),
});

const mtiPattern = /^\d{4}$/;

export const specDefinitionSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  mti: z.strictObject({ encoding: z.enum(['ascii', 'ebcdic', 'bcd']) }),
  /** binary: 8 bytes (16 with the secondary); hex: 16 ASCII hex characters (32 with the secondary). */
  bitmap: z.strictObject({ encoding: z.enum(['binary', 'hex']) }),
  fields: z.record(z.string().regex(/^[0-9]+$/, 'field keys are field numbers'), fieldSchema),
  /** Fields a message of an MTI must carry; checked by assertRequiredFields, not by pack/unpack. */
  requiredFields: z
    .record(z.string().regex(mtiPattern, 'keys are 4-digit MTIs'), z.array(z.number().int()))
    .optional(),
});

export type SpecDefinition = z.infer<typeof specDefinitionSchema>;
export type FieldDefinition = z.infer<typeof fieldSchema>;
export type SubfieldsDefinition = z.infer<typeof subfieldsSchema>;
export type SubfieldTagDefinition = z.infer<typeof subfieldTagSchema>;

/** Checks the rules zod's shape cannot express; returns the problems, empty when the spec is usable. */
export function semanticIssues(def: SpecDefinition): string[] {
  const issues: string[] = [];
  for (const [key, f] of Object.entries(def.fields)) {
    const num = Number(key);
    const at = (msg: string): void => void issues.push(`field ${key} (${f.name}): ${msg}`);
    if (!Number.isInteger(num) || num < 2 || num > 128 || String(num) !== key) {
      at('field numbers run from 2 to 128 (1 is the secondary-bitmap bit), written without leading zeros');
    }
    if (f.class === 'b' && f.encoding !== 'binary') at('class b must use encoding binary');
    if (f.class !== 'b' && f.encoding === 'binary') at(`class ${f.class} cannot use encoding binary`);
    if ((f.class === 'an' || f.class === 'ans') && f.encoding === 'bcd') {
      at(`class ${f.class} cannot be BCD: BCD carries only digits (and '=' for track 2)`);
    }
    if (f.bcdOddPad !== undefined && f.encoding !== 'bcd') at('bcdOddPad is only for BCD fields');

    if (f.lengthType === 'fixed') {
      if (f.prefix !== undefined) at('a fixed field has no length prefix');
      if (f.minLength !== undefined) at('minLength is for variable fields');
    } else {
      if (f.prefix === undefined) {
        at(`a ${f.lengthType} field needs a prefix encoding`);
      } else {
        const capacity = prefixer(f.lengthType, f.prefix).capacity;
        if (f.length > capacity)
          at(`length ${f.length} exceeds what a ${f.prefix} ${f.lengthType} prefix holds`);
      }
      if (f.minLength !== undefined && f.minLength > f.length) at('minLength exceeds length');
      if (f.padding !== undefined) at('padding is for fixed fields; a variable field carries its own length');
    }

    if (f.padding !== undefined) {
      const c = f.padding.char.charCodeAt(0);
      if (f.class === 'b') at('binary fields are never padded');
      else if (c < 0x20 || c > 0x7e) at('the pad character must be printable ASCII');
      else if (f.encoding === 'bcd' && (c < 0x30 || c > 0x39))
        at('a BCD field can only be padded with a digit');
    }

    if (f.subfields !== undefined) {
      const sf = f.subfields;
      if (f.class !== 'ans' && f.class !== 'an') at('only an/ans fields can carry sub-elements');
      if (f.encoding === 'bcd' || f.encoding === 'binary') at('sub-elements need a character encoding');
      if (f.lengthType === 'fixed') at('a field with sub-elements must be variable length');
      const capacity = 10 ** sf.lengthLength - 1;
      for (const [tag, t] of Object.entries(sf.tags)) {
        const where = `sub-element ${tag} (${t.name})`;
        if (tag.length !== sf.tagLength) at(`${where}: tag must be ${sf.tagLength} characters`);
        if (firstInvalidChar(tag, charTable('an')) >= 0) at(`${where}: tag must be alphanumeric`);
        if (t.maxLength > capacity) at(`${where}: maxLength exceeds a ${sf.lengthLength}-digit length`);
        if (t.minLength !== undefined && t.minLength > t.maxLength)
          at(`${where}: minLength exceeds maxLength`);
      }
    }
  }

  for (const [mti, fields] of Object.entries(def.requiredFields ?? {})) {
    for (const n of fields) {
      if (def.fields[String(n)] === undefined)
        issues.push(`requiredFields ${mti}: field ${n} is not defined`);
    }
  }
  return issues;
}

export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Parses and checks a spec definition from JSON-shaped data; throws Iso8583SpecError listing every problem. */
export function parseSpecDefinition(data: unknown, source = 'message spec'): SpecDefinition {
  const parsed = specDefinitionSchema.safeParse(data);
  if (!parsed.success) throw new Iso8583SpecError(`invalid ${source}`, formatZodIssues(parsed.error));
  const issues = semanticIssues(parsed.data);
  if (issues.length > 0) throw new Iso8583SpecError(`invalid ${source}`, issues);
  return parsed.data;
}
