import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { REASON_CODES, type ReasonCode } from '../../../domain/reason-codes';
import { MessageSpec } from '../codec/message';
import { FIELD_39 } from '../flows/response-codes';
import { formatZodIssues, semanticIssues, specDefinitionSchema } from '../codec/spec';
import { Iso8583SpecError } from '../errors';
// Imported (not read from disk) so tsc copies them into dist/ and a built CLI finds them.
import ascii87 from './ascii87.json';
import ebcdic87 from './ebcdic87.json';
import iso87binary from './iso87binary.json';

/**
 * Lane-level conventions a partner's spec fixes beyond the byte layout. Kept beside the field layout,
 * in the same file, because both come from the same partner document and change together.
 */
const conventionsSchema = z.strictObject({
  /** Field 70 codes in 0800/0810 network management messages. */
  networkManagement: z.strictObject({
    signOn: z.string().regex(/^\d{3}$/),
    signOff: z.string().regex(/^\d{3}$/),
    echo: z.string().regex(/^\d{3}$/),
  }),
  /** Field 39 answered to a reversal whose original the gateway never saw: '25' or '00', per partner. */
  reversalUnknownOriginal: z.string().regex(/^[0-9A-Za-z]{2}$/),
  /**
   * The framing this partner uses. A partner's dialect file is the one source of truth for its link:
   * a lane that says otherwise stops the gateway at start-up. A built-in dialect's framing is only
   * the default, which a lane may change (the same layout runs over several framings).
   */
  framing: z.strictObject({ lengthHeader: z.enum(['binary2', 'ascii4']), tpdu: z.boolean() }),
  /**
   * Field 39 per internal reason code where this partner's table differs from the gateway's
   * (FIELD_39): a partner's spec names its own decline codes.
   */
  responseCodes: z
    .partialRecord(
      z.enum(Object.keys(REASON_CODES) as [ReasonCode, ...ReasonCode[]]),
      z.string().regex(/^[0-9A-Za-z]{2}$/),
    )
    .optional(),
});

const dialectFileSchema = specDefinitionSchema.extend({ conventions: conventionsSchema });

export type DialectConventions = z.infer<typeof conventionsSchema>;

export interface Dialect {
  readonly name: string;
  readonly spec: MessageSpec;
  readonly conventions: DialectConventions;
  /** Field 39 for every reason code: the gateway's table with the dialect's own codes over it. */
  readonly responseCodes: Readonly<Record<ReasonCode, string>>;
  /** A partner's file (its framing is binding), not one of the built-in layouts. */
  readonly fromFile: boolean;
}

const SOURCES: Readonly<Record<string, unknown>> = { ascii87, iso87binary, ebcdic87 };
const cache = new Map<string, Dialect>();

/** Validates a dialect file's content (spec + conventions); exported for partner-specific files. */
export function parseDialect(data: unknown, source = 'dialect', fromFile = false): Dialect {
  const parsed = dialectFileSchema.safeParse(data);
  if (!parsed.success) throw new Iso8583SpecError(`invalid ${source}`, formatZodIssues(parsed.error));
  const { conventions, ...definition } = parsed.data;
  // Checked here too (MessageSpec's constructor checks again) so the error names the file.
  const issues = semanticIssues(definition);
  if (issues.length > 0) throw new Iso8583SpecError(`invalid ${source}`, issues);
  return {
    name: definition.name,
    spec: new MessageSpec(definition),
    conventions,
    responseCodes: { ...FIELD_39, ...conventions.responseCodes },
    fromFile,
  };
}

export function listDialects(): string[] {
  return Object.keys(SOURCES).sort();
}

/** The named built-in dialect, validated and compiled once per process. */
export function loadDialect(name: string): Dialect {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  if (!Object.prototype.hasOwnProperty.call(SOURCES, name)) {
    throw new Iso8583SpecError(`unknown ISO 8583 dialect '${name}'; known: ${listDialects().join(', ')}`);
  }
  const dialect = parseDialect(SOURCES[name], `dialect ${name}`);
  if (dialect.name !== name)
    throw new Iso8583SpecError(`dialect file ${name} names itself '${dialect.name}'`);
  cache.set(name, dialect);
  return dialect;
}

const fileCache = new Map<string, Dialect>();

/**
 * A partner's own dialect from a JSON or YAML file (same shape as the built-in ones): onboarding a
 * partner with a new message layout is a file, not a release. Validated and compiled once per path.
 */
export function loadDialectFile(path: string): Dialect {
  const absolute = resolve(path);
  const hit = fileCache.get(absolute);
  if (hit !== undefined) return hit;
  let data: unknown;
  try {
    const text = readFileSync(absolute, 'utf8');
    data = extname(absolute).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Iso8583SpecError(
      `cannot read dialect file ${absolute}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const dialect = parseDialect(data, `dialect file ${absolute}`, true);
  fileCache.set(absolute, dialect);
  return dialect;
}

/** Whether a lane's or the CLI's dialect reference names a file rather than a built-in dialect. */
export function isDialectFile(ref: string): boolean {
  return /\.(json|ya?ml)$/i.test(ref) || ref.includes('/');
}

/** A built-in dialect by name, or a partner's dialect file by path (relative to baseDir). */
export function resolveDialect(ref: string, baseDir = process.cwd()): Dialect {
  return isDialectFile(ref) ? loadDialectFile(resolve(baseDir, ref)) : loadDialect(ref);
}
