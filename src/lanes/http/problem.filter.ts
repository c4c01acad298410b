import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../infrastructure/logging/logger';
import { PROBLEM_BASE, ProblemError, type Problem } from '../../protocols/rest/problem';

/** Every error on the HTTP lanes leaves as RFC 9457 problem+json; internals never leak into it. */
export function toProblem(error: unknown, bodyLimit?: number): Problem {
  if (error instanceof ProblemError) return error.problem;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 413) return bodyTooLarge(bodyLimit);
    return { type: PROBLEM_BASE + slugFor(status), title: error.message, status };
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return bodyTooLarge(bodyLimit);
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedMediaType();
    return {
      type: PROBLEM_BASE + 'invalid-request',
      title: status === 400 ? 'Malformed request body' : 'Invalid request',
      status,
      errors: [{ field: '(body)', message: (fastifyError.message ?? 'malformed').replace(/^Body /, '') }],
    };
  }
  return {
    type: PROBLEM_BASE + 'internal-error',
    title: 'Internal error',
    status: 500,
    // The contract of a 500 (README "What an error means for a partner"): the outcome is unknown to
    // the partner, and the key is what makes asking again safe.
    detail:
      'The outcome is not known: retry with the same Idempotency-Key (never a new one); a payment is never posted twice',
  };
}

/** 413 with the limit that applied, so the caller knows how far to cut. */
function bodyTooLarge(limit: number | undefined): Problem {
  const stated =
    limit !== undefined ? `at most ${limit} bytes (${formatBytes(limit)})` : 'exceeds the size limit';
  return {
    type: PROBLEM_BASE + 'body-too-large',
    title: 'Request body too large',
    status: 413,
    ...(limit !== undefined ? { limitBytes: limit } : {}),
    errors: [{ field: '(body)', message: stated }],
  };
}

function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

export function unsupportedMediaType(accepted = 'application/json'): Problem {
  return {
    type: PROBLEM_BASE + 'unsupported-media-type',
    title: 'Unsupported content type',
    status: 415,
    detail: `send the body as ${accepted}`,
  };
}

function slugFor(status: number): string {
  if (status === 404) return 'not-found';
  if (status === 405) return 'method-not-allowed';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  return 'http-error';
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.status(p.status).header('content-type', 'application/problem+json').send(p);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const p = toProblem(error, http.getRequest<FastifyRequest>().routeOptions.bodyLimit);
    if (p.status >= 500) this.log.error({ err: error }, 'request failed');
    void sendProblem(reply, p);
  }
}
