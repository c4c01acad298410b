import { request, type Dispatcher } from 'undici';

export interface HttpAnswer<T = unknown> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: T;
  readonly text: string;
}

/** A partner's HTTP call over a real socket. */
export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  path: string,
  options: {
    key?: string;
    idempotencyKey?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    /** A connection pool of the caller's own (a client certificate, a source address). */
    dispatcher?: Dispatcher;
  } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  const res = await request(baseUrl + path, {
    method,
    headers,
    body,
    ...(options.dispatcher !== undefined ? { dispatcher: options.dispatcher } : {}),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as T, text };
}
