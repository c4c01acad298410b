import { z } from 'zod';

/**
 * JSON Schema for OpenAPI from the zod schemas that validate requests (and the zod descriptions of
 * what we answer), so the document cannot drift from the validation.
 */
export function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** An ops write's mandatory reason, as every ops body carries it. */
export const opsReason = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .describe('why: mandatory, kept in the audit chain and the ops write log');

/** application/problem+json (RFC 9457), as every error is answered. */
export const problemSchema = z
  .object({
    type: z.string().describe('a URI naming the problem, e.g. https://billgate.dev/problems/not-found'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('one entry per invalid field'),
  })
  .loose();
