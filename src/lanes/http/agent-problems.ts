import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AgentProblem } from '../../domain/agents/agent';
import type { TerminalPrincipal } from '../../domain/agents/terminal-authenticator';
import { formatMajorAmount, parseMajorAmount } from '../../domain/money/money';
import { problem } from '../../protocols/rest/problem';

declare module 'fastify' {
  interface FastifyRequest {
    terminal?: TerminalPrincipal;
  }
}

/** Runs an agent-network call, answering its refusals as problem+json (404, 409, 422). */
export async function agentMapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AgentProblem) {
      const status = error.kind === 'not-found' ? 404 : error.kind === 'conflict' ? 409 : 422;
      throw problem(status, error.code, error.message);
    }
    throw error;
  }
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw problem(400, 'invalid-request', `Invalid ${what}`, {
      errors: r.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
    });
  }
  return r.data;
}

/** A decimal amount in major units of the currency ("1250.50"), refused as bad input otherwise. */
export function minorOf(text: string, currency: string, field: string, allowZero = false): bigint {
  if (allowZero && /^0+(\.0+)?$/.test(text)) return 0n;
  const m = parseMajorAmount(text, currency);
  if (typeof m === 'string') {
    throw problem(400, 'invalid-request', 'Invalid amount', {
      errors: [{ field, message: `${m}: a decimal amount in ${currency} such as "1250.50"` }],
    });
  }
  return m.minor;
}

export const amountText = z
  .string()
  .regex(/^[0-9]{1,18}(\.[0-9]{1,3})?$/, 'a decimal string such as "1250.50"');
export const reasonText = z.string().trim().min(1).max(500);

export function major(minor: bigint, currency: string): string {
  return formatMajorAmount(minor, currency);
}

export function terminalOf(req: FastifyRequest): TerminalPrincipal {
  if (req.terminal === undefined) throw problem(401, 'unauthenticated', 'Terminal authentication required');
  return req.terminal;
}
