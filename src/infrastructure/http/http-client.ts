import { Agent, errors, request } from 'undici';

export type HttpOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'timeout' }
  /** The request certainly did not reach the other side (connection refused, DNS, reset before send). */
  | { readonly kind: 'unreachable'; readonly detail: string };

/**
 * JSON over HTTP to parties outside the bank, with keep-alive connection pools. Distinguishes the
 * three outcomes the payment logic must treat differently: an answer, a timeout (the outcome is
 * unknown, so the payment must stay pending), and a failure to connect (nothing was done).
 */
export class JsonHttpClient {
  private readonly agent = new Agent({
    connections: 128,
    keepAliveTimeout: 30_000,
    connect: { timeout: 2_000 },
  });

  post(url: string, body: unknown, timeoutMs: number): Promise<HttpOutcome> {
    return this.send('POST', url, body, timeoutMs);
  }

  /** A read (status inquiries): nothing changes at the other side, so any failure is only "not now". */
  get(url: string, timeoutMs: number): Promise<HttpOutcome> {
    return this.send('GET', url, undefined, timeoutMs);
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<HttpOutcome> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        ...(method === 'POST'
          ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
          : {}),
        signal,
      });
      const text = await res.body.text();
      let parsed: unknown = undefined;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { raw: text.slice(0, 200) };
        }
      }
      return { kind: 'answered', status: res.statusCode, body: parsed };
    } catch (error) {
      if (signal.aborted) return { kind: 'timeout' };
      if (isConnectFailure(error)) return { kind: 'unreachable', detail: describe(error) };
      // Anything else (reset mid-request, socket closed after sending) leaves the outcome unknown.
      return { kind: 'timeout' };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function isConnectFailure(error: unknown): boolean {
  if (error instanceof errors.ConnectTimeoutError) return true;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
