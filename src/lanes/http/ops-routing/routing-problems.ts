import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WriteOutcome } from '../../../domain/routing/routing-admin';
import { RoutingError, UUID_PATTERN, type ChangeContext } from '../../../domain/routing/routing-rule';
import { problem } from '../../../protocols/rest/problem';
import { opsUserOf } from '../auth.guard';

/* Routing errors as problem+json, the If-Match version, and the answer to a rule write. */

/** RoutingError → problem+json; anything else is left for the global filter. */
export function routingProblem(error: unknown, ifMatch = false): unknown {
  if (!(error instanceof RoutingError)) return error;
  switch (error.kind) {
    case 'validation':
      return problem(400, 'invalid-routing-rule', 'Invalid routing rule', {
        detail: error.message,
        errors: error.details.errors ?? [],
      });
    case 'not-found':
      return problem(404, 'routing-rule-not-found', 'No such routing rule', { detail: error.message });
    case 'schedule-not-found':
      return problem(404, 'scheduled-change-not-found', 'No such pending scheduled change', {
        detail: error.message,
      });
    case 'conflict':
      return problem(409, 'routing-rule-conflict', 'Another enabled rule claims this tuple', {
        detail: error.message,
        ...(error.details.conflictingRuleId !== undefined
          ? { conflictingRuleId: error.details.conflictingRuleId }
          : {}),
      });
    case 'version-mismatch':
      return problem(
        ifMatch ? 412 : 409,
        'routing-rule-version-mismatch',
        'The rule has changed since you read it',
        {
          detail: error.message,
          ...(error.details.currentVersion !== undefined
            ? { currentVersion: error.details.currentVersion }
            : {}),
        },
      );
    case 'import-rejected': {
      const badRows = error.details.badRows ?? [];
      return problem(400, 'routing-import-rejected', 'The CSV import was rejected; nothing was changed', {
        detail: error.message,
        errors: badRows.map((r) => ({ field: `line ${r.line}: ${r.field}`, message: r.message })),
        badRows,
      });
    }
  }
}

export async function mapped<T>(work: () => Promise<T>, ifMatch = false): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw routingProblem(error, ifMatch);
  }
}

export function ifMatchVersion(req: FastifyRequest): number | undefined {
  const raw: unknown = req.headers['if-match'];
  const header = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?([1-9][0-9]{0,8})"?\s*$/.exec(typeof header === 'string' ? header : '');
  if (m === null) {
    throw problem(400, 'invalid-request', 'Invalid If-Match header', {
      errors: [{ field: 'If-Match', message: 'must be the rule version as an entity tag, e.g. "3"' }],
    });
  }
  return Number(m[1]);
}

export function ruleId(value: string): string {
  if (!UUID_PATTERN.test(value)) {
    throw problem(404, 'routing-rule-not-found', 'No such routing rule', {
      detail: `no routing rule ${value}`,
    });
  }
  return value;
}

export function answer(reply: FastifyReply, outcome: WriteOutcome, created = false): unknown {
  if (outcome.kind === 'scheduled') {
    void reply.status(202);
    return { scheduled: outcome.scheduled };
  }
  if (created) void reply.status(201);
  if (outcome.rule !== null) void reply.header('etag', `"${outcome.rule.version}"`);
  return {
    ...(outcome.rule ?? {}),
    ...(outcome.change !== undefined ? { auditSeq: Number(outcome.change.auditSeq) } : { unchanged: true }),
  };
}

/** Who changes the routing table and why, for its audit entry. */
export function changeContext(req: FastifyRequest, why: string): ChangeContext {
  return { actor: opsUserOf(req), reason: why };
}
