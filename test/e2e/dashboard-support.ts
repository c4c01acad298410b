import { call, type HttpAnswer } from '../support/http';

/** A dashboard user's session as a browser holds it: the cookie, and the CSRF token from the page. */
export interface DashboardSession {
  readonly cookie: string;
  readonly csrf: string;
}

export const OPERATOR = { username: 'ops.operator', password: 'operator-demo-pass' } as const;
export const VIEWER = { username: 'ops.viewer', password: 'viewer-demo-pass' } as const;

export async function signIn(
  base: string,
  who: { username: string; password: string },
): Promise<DashboardSession> {
  const res = await call<{ csrfToken: string }>(base, 'POST', '/dashboard/session', { body: who });
  if (res.status !== 200) throw new Error(`sign-in ${who.username}: ${res.status} ${res.text}`);
  return { cookie: String(res.headers['set-cookie']).split(';')[0]!, csrf: res.body.csrfToken };
}

export function page(base: string, path: string, s?: DashboardSession): Promise<HttpAnswer<unknown>> {
  return call(base, 'GET', path, { headers: s === undefined ? {} : { cookie: s.cookie } });
}

/** A change as the page's script sends it: JSON with the session's CSRF token (unless told not to). */
export function change(
  base: string,
  path: string,
  s: DashboardSession,
  body: unknown,
  options: { csrf?: boolean } = {},
): Promise<HttpAnswer<Record<string, unknown>>> {
  return call<Record<string, unknown>>(base, 'POST', path, {
    headers: options.csrf === false ? { cookie: s.cookie } : { cookie: s.cookie, 'x-csrf-token': s.csrf },
    body,
  });
}
