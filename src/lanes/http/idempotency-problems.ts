import type { FastifyReply } from 'fastify';
import { problem, type ProblemError } from '../../protocols/rest/problem';
import { REST_REASONS } from '../../protocols/rest/rest-reasons';

/**
 * The REST answers to an idempotency key that cannot be served now, the same on every HTTP route
 * that takes one (bill payments, agent terminals): a key reused for other content (from the REST
 * reason table), and a key whose first request is still in flight (409, retry shortly).
 */
export function idempotencyConflict(): ProblemError {
  const r = REST_REASONS.DUPLICATE_CONFLICT;
  return problem(r.httpStatus, r.problemSlug, r.message, {
    detail: 'this Idempotency-Key was first used with a different body',
  });
}

export function idempotencyInFlight(reply: FastifyReply): ProblemError {
  void reply.header('retry-after', '1');
  return problem(
    409,
    'idempotency-key-in-flight',
    'A request with this Idempotency-Key is still being processed',
  );
}
