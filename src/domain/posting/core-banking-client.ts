import type { JsonHttpClient } from '../../infrastructure/http/http-client';
import type { Metrics } from '../../infrastructure/metrics/metrics';

export type CoreBankingAnswer =
  | { readonly outcome: 'debited'; readonly reference: string }
  | {
      readonly outcome: 'refused';
      readonly reason: 'INSUFFICIENT_FUNDS' | 'ACCOUNT_NOT_FOUND' | 'ACCOUNT_BLOCKED';
    }
  | { readonly outcome: 'unavailable'; readonly detail: string }
  | { readonly outcome: 'unknown'; readonly detail: string };

/** What core banking holds under one of our references (a status inquiry after a timeout). */
export type CoreBankingStatus =
  | { readonly outcome: 'done'; readonly reference: string }
  | { readonly outcome: 'not-found' }
  | { readonly outcome: 'processing' }
  | { readonly outcome: 'unknown'; readonly detail: string };

/**
 * The core banking system's debit and credit API. Requests carry our payment id as their reference,
 * and the core banking system treats a repeated reference as the same request, so a retry after a
 * timeout can never debit twice.
 */
export class CoreBankingClient {
  constructor(
    private readonly http: JsonHttpClient,
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly metrics: Metrics,
  ) {}

  async debit(
    account: string,
    amountMinor: bigint,
    currency: string,
    reference: string,
  ): Promise<CoreBankingAnswer> {
    return this.move('debits', account, amountMinor, currency, reference);
  }

  async credit(
    account: string,
    amountMinor: bigint,
    currency: string,
    reference: string,
  ): Promise<CoreBankingAnswer> {
    return this.move('credits', account, amountMinor, currency, reference);
  }

  /** GET /transactions/{reference}: whether a debit or credit with our reference was made. */
  async status(reference: string): Promise<CoreBankingStatus> {
    const started = process.hrtime.bigint();
    const res = await this.http.get(
      `${this.baseUrl}/transactions/${encodeURIComponent(reference)}`,
      this.timeoutMs,
    );
    let answer: CoreBankingStatus;
    if (res.kind === 'timeout') answer = { outcome: 'unknown', detail: 'core banking timeout' };
    else if (res.kind === 'unreachable') answer = { outcome: 'unknown', detail: res.detail };
    else if (res.status === 404) answer = { outcome: 'not-found' };
    else if (res.status === 202) answer = { outcome: 'processing' };
    else {
      const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<
        string,
        unknown
      >;
      answer =
        res.status === 200 && body.status === 'DONE' && typeof body.reference === 'string'
          ? { outcome: 'done', reference: body.reference }
          : { outcome: 'unknown', detail: `core banking status answered ${res.status}` };
    }
    this.metrics.externalCalls.observe(
      { target: 'core-banking:status', outcome: answer.outcome },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return answer;
  }

  private async move(
    direction: 'debits' | 'credits',
    account: string,
    amountMinor: bigint,
    currency: string,
    reference: string,
  ): Promise<CoreBankingAnswer> {
    const started = process.hrtime.bigint();
    const res = await this.http.post(
      `${this.baseUrl}/accounts/${encodeURIComponent(account)}/${direction}`,
      { amountMinor: amountMinor.toString(), currency, reference },
      this.timeoutMs,
    );
    let answer: CoreBankingAnswer;
    if (res.kind === 'timeout') answer = { outcome: 'unknown', detail: 'core banking timeout' };
    else if (res.kind === 'unreachable') answer = { outcome: 'unavailable', detail: res.detail };
    else {
      const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<
        string,
        unknown
      >;
      if ((res.status === 200 || res.status === 201) && typeof body.reference === 'string') {
        answer = { outcome: 'debited', reference: body.reference };
      } else if (res.status === 404) answer = { outcome: 'refused', reason: 'ACCOUNT_NOT_FOUND' };
      else if (res.status === 423) answer = { outcome: 'refused', reason: 'ACCOUNT_BLOCKED' };
      else if (res.status === 422) answer = { outcome: 'refused', reason: 'INSUFFICIENT_FUNDS' };
      else if (res.status === 503)
        answer = { outcome: 'unavailable', detail: 'core banking unavailable (503)' };
      else answer = { outcome: 'unknown', detail: `core banking answered ${res.status}` };
    }
    this.metrics.externalCalls.observe(
      { target: `core-banking:${direction}`, outcome: answer.outcome },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return answer;
  }
}
