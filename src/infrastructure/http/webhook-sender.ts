import { Agent, request } from 'undici';

export type WebhookSendOutcome =
  | {
      readonly kind: 'answered';
      readonly status: number;
      /** The receiver's Retry-After header, as sent. */
      readonly retryAfter: string | undefined;
    }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'failed'; readonly detail: string };

/**
 * POSTs one signed webhook. Redirects are not followed (a receiver must give its final URL) and
 * the answer's body is read and dropped: only its status means anything.
 */
export class WebhookSender {
  private readonly agent = new Agent({
    connections: 64,
    keepAliveTimeout: 30_000,
    connect: { timeout: 5_000 },
  });

  async post(
    url: string,
    headers: Readonly<Record<string, string>>,
    body: string,
    timeoutMs: number,
  ): Promise<WebhookSendOutcome> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'user-agent': 'billgate-webhooks/1', ...headers },
        body,
        signal,
      });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const retryAfter = res.headers['retry-after'];
      return {
        kind: 'answered',
        status: res.statusCode,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      };
    } catch (error) {
      if (signal.aborted) return { kind: 'timeout' };
      // Refused, reset or unreadable: for an at-least-once delivery all of them mean "try again".
      return {
        kind: 'failed',
        detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
