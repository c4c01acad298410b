import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OpsSession, OpsUsers } from '../../../domain/ops-users/ops-users';
import { actorOf, mayChange } from '../../../domain/ops-users/ops-users';
import type { Executor } from '../../../domain/db';
import { problem } from '../../../protocols/rest/problem';

export const SESSION_COOKIE = 'billgate_ops_session';

/** Reads one cookie from the request's Cookie header (no cookie library: one name, one value). */
export function cookieOf(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function isTls(req: FastifyRequest): boolean {
  return 'encrypted' in req.raw.socket && (req.raw.socket as { encrypted?: boolean }).encrypted === true;
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), scoped to the dashboard, Secure whenever the lane is TLS.
 */
export function setSessionCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  token: string,
  expiresAt: Date,
): void {
  const attrs = [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    'Path=/dashboard',
    'HttpOnly',
    'SameSite=Strict',
    `Expires=${expiresAt.toUTCString()}`,
  ];
  if (isTls(req)) attrs.push('Secure');
  void reply.header('set-cookie', attrs.join('; '));
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  const attrs = [`${SESSION_COOKIE}=`, 'Path=/dashboard', 'HttpOnly', 'SameSite=Strict', 'Max-Age=0'];
  if (isTls(req)) attrs.push('Secure');
  void reply.header('set-cookie', attrs.join('; '));
}

export async function sessionOf(
  users: OpsUsers,
  db: Executor,
  req: FastifyRequest,
): Promise<OpsSession | undefined> {
  const token = cookieOf(req, SESSION_COOKIE);
  if (token === undefined || token.length > 128) return undefined;
  return users.session(db, token);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A state change from the dashboard: a signed-in operator, and the session's CSRF token in the
 * X-CSRF-Token header (a cross-site form can neither read the token nor set the header).
 */
export async function operatorOf(
  users: OpsUsers,
  db: Executor,
  req: FastifyRequest,
  need: 'operator' | 'any-role' = 'operator',
): Promise<OpsSession> {
  const session = await sessionOf(users, db, req);
  if (session === undefined) throw problem(401, 'unauthenticated', 'Sign in to the dashboard first');
  req.opsActor = actorOf(session.user);
  const sent = req.headers['x-csrf-token'];
  if (typeof sent !== 'string' || !sameToken(sent, session.csrfToken)) {
    throw problem(403, 'csrf-token-invalid', 'The request did not carry this session’s CSRF token', {
      detail: 'reload the page and try again',
    });
  }
  if (need === 'operator' && !mayChange(session.user.role)) {
    throw problem(403, 'forbidden', 'Your role (viewer) can look but not change anything', {
      detail: 'ask an operator, or an administrator for the operator role',
    });
  }
  return session;
}
