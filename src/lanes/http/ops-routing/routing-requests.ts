import { z } from 'zod';
import { PAYER_TYPES } from '../../../domain/reason-codes';
import { UUID_PATTERN } from '../../../domain/routing/routing-rule';
import { problem, type ProblemError } from '../../../protocols/rest/problem';
import { problemFields } from '../../../protocols/rest/zod-problems';

/* The ops routing API's request bodies, and how a bad one is answered. */

const REASON_MESSAGE = 'is required: say why the routing table changes (1-500 characters)';
export const reason = z
  .string({ error: REASON_MESSAGE })
  .trim()
  .min(1, REASON_MESSAGE)
  .max(500, REASON_MESSAGE);
const id = z.string().trim().min(1).max(128);
const effectiveAt = z.iso
  .datetime({
    offset: true,
    error: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-24T14:00:00+06:00',
  })
  .transform((s) => new Date(s));
const expectedVersion = z.int().positive().max(1_000_000_000);

export const createSchema = z.strictObject({
  billType: z.string().trim().min(1).max(32),
  payerType: z.enum(PAYER_TYPES),
  partnerId: id,
  billerEndpoint: id,
  settlementAccount: id,
  enabled: z.boolean().optional(),
  reason,
  effectiveAt: effectiveAt.optional(),
});

export const patchSchema = z
  .strictObject({
    billerEndpoint: id.optional(),
    settlementAccount: id.optional(),
    enabled: z.boolean().optional(),
    reason,
    expectedVersion: expectedVersion.optional(),
    effectiveAt: effectiveAt.optional(),
  })
  .refine(
    (b) => b.billerEndpoint !== undefined || b.settlementAccount !== undefined || b.enabled !== undefined,
    {
      message: 'nothing to change: give billerEndpoint, settlementAccount or enabled',
      path: ['(body)'],
    },
  );

export const deleteSchema = z.object({
  reason,
  expectedVersion: expectedVersion.optional(),
  effectiveAt: effectiveAt.optional(),
});

export const dryRunSchema = z.strictObject({
  action: z.enum(['create', 'update', 'delete']).optional(),
  id: z.string().regex(UUID_PATTERN, 'not a rule id').optional(),
  billType: z.string().trim().min(1).max(32).optional(),
  payerType: z.enum(PAYER_TYPES).optional(),
  partnerId: id.optional(),
  billerEndpoint: id.optional(),
  settlementAccount: id.optional(),
  enabled: z.boolean().optional(),
  days: z.int().min(1).max(90).optional(),
  limit: z.int().min(1).max(10_000).optional(),
  reason: z.string().optional(),
  expectedVersion: expectedVersion.optional(),
});

/** Zod issues as problem+json field errors; an unknown field is named as one that cannot be set. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        field: k,
        message: 'is not a field here (the rule tuple cannot be changed)',
      }));
    }
    return problemFields([issue], body);
  });
  return throwProblem(problem(400, 'invalid-request', `Invalid ${what}`, { errors }));
}

function throwProblem(p: ProblemError): never {
  throw p;
}
