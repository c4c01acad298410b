import { existsSync, readFileSync, statSync } from 'node:fs';

import { type FieldValueInput } from '../codec/field';
import { type MessageSpec, pack, unpack } from '../codec/message';
import { resolveDialect } from '../dialects';
import { Iso8583Error } from '../errors';
import { renderFieldValue } from '../logging/mask';

/** Input the CLI could not make sense of (not hex, no such file, bad JSON): the user's mistake, not the codec's. */
export class Iso8583CliInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Iso8583CliInputError';
  }
}

export interface DecodeCommandArgs {
  readonly dialect: string;
  /** Hex of one message (no frame header; whitespace allowed), or the path of a file holding hex or raw bytes. */
  readonly input: string;
  /** Print PANs, track data and secrets in clear. Off by default: CLI output ends up in tickets. */
  readonly reveal?: boolean;
}

export interface EncodeCommandArgs {
  readonly dialect: string;
  /** `{ "mti": "0200", "fields": { "3": "500000", "48": { "01": "ELECTRICITY" }, "52": "<hex for b fields>" } }` */
  readonly json: string;
}

function parseHex(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F\s]+$/.test(text)) return undefined;
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 2 !== 0) return undefined;
  return Buffer.from(compact, 'hex');
}

/** Hex first: a string that is valid hex is never taken for a file name. */
function readInput(input: string): Buffer {
  const hex = parseHex(input.trim());
  if (hex !== undefined) return hex;
  if (!existsSync(input) || !statSync(input).isFile()) {
    throw new Iso8583CliInputError('input is neither an even-length hex string nor a readable file');
  }
  const raw = readFileSync(input);
  const asText = raw.toString('latin1').trim();
  return (asText.length > 0 && parseHex(asText)) || raw;
}

/** Prints every field by number and name, one per line, sub-elements indented under their field. */
export function decodeCommand(args: DecodeCommandArgs): string {
  const { spec } = resolveDialect(args.dialect);
  const bytes = readInput(args.input);
  const message = unpack(spec, bytes);
  const width = Math.max(...[...message.fields.keys()].map((n) => (spec.fieldName(n) ?? '').length), 3);
  const lines = [
    `dialect ${spec.name}, ${bytes.length} bytes`,
    `  MTI${' '.repeat(width + 1)}${message.mti}`,
  ];
  for (const [n, value] of message.fields) {
    const label = `${String(n).padStart(3)} ${(spec.fieldName(n) ?? '').padEnd(width)}`;
    if (value instanceof Map) {
      lines.push(label.trimEnd());
      for (const [tag, v] of value as ReadonlyMap<string, string>) {
        lines.push(`        ${tag} ${spec.subfieldName(n, tag) ?? ''}: ${v}`);
      }
    } else {
      lines.push(`${label}  ${renderFieldValue(spec, n, value, args.reveal === true)}`);
    }
  }
  return lines.join('\n');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON value → codec value: hex for b fields, tag objects for TLV fields, strings otherwise. */
function toFieldValue(spec: MessageSpec, n: number, v: unknown): FieldValueInput {
  const def = spec.field(n);
  if (def === undefined)
    throw new Iso8583Error('UNKNOWN_FIELD', `spec ${spec.name} has no such field`, { field: n });
  const where = { field: n, fieldName: def.name };
  if (def.class === 'b') {
    const b = typeof v === 'string' ? parseHex(v) : undefined;
    if (b === undefined && v !== '')
      throw new Iso8583Error('BAD_VALUE_TYPE', 'a b field takes an even-length hex string in JSON', where);
    return b ?? Buffer.alloc(0);
  }
  if (typeof v === 'string') return v;
  if (def.subfields !== undefined && isRecord(v)) {
    const tags: Record<string, string> = {};
    for (const [tag, tv] of Object.entries(v)) {
      if (typeof tv !== 'string') {
        throw new Iso8583Error('BAD_VALUE_TYPE', 'a sub-element value must be a string', {
          ...where,
          subfield: tag,
        });
      }
      tags[tag] = tv;
    }
    return tags;
  }
  throw new Iso8583Error('BAD_VALUE_TYPE', `class ${def.class} takes a string in JSON`, where);
}

/** Packs a JSON message and returns its hex (upper case, no frame header). */
export function encodeCommand(args: EncodeCommandArgs): string {
  const { spec } = resolveDialect(args.dialect);
  let doc: unknown;
  try {
    doc = JSON.parse(args.json);
  } catch (err: unknown) {
    throw new Iso8583CliInputError(
      `message is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!isRecord(doc) || typeof doc.mti !== 'string' || !isRecord(doc.fields)) {
    throw new Iso8583CliInputError('message must be {"mti": "0200", "fields": {"3": "...", ...}}');
  }
  const fields = new Map<number, FieldValueInput>();
  for (const [key, v] of Object.entries(doc.fields)) {
    const n = Number(key);
    if (!/^[0-9]{1,3}$/.test(key) || String(n) !== key) {
      throw new Iso8583Error('UNKNOWN_FIELD', `field key '${key}' is not a field number`);
    }
    fields.set(n, toFieldValue(spec, n, v));
  }
  return pack(spec, { mti: doc.mti, fields }).toString('hex').toUpperCase();
}
