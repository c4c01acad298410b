import type { JsonHttpClient } from '../../infrastructure/http/http-client';
import type { Metrics } from '../../infrastructure/metrics/metrics';

export type AgentCoreAnswer =
  | { readonly outcome: 'recorded'; readonly reference: string }
  | { readonly outcome: 'refused'; readonly detail: string }
  | { readonly outcome: 'unavailable'; readonly detail: string }
  | { readonly outcome: 'unknown'; readonly detail: string };

export interface AgentCollection {
  readonly agentId: string;
  readonly paymentId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
}

/**
 * The agent banking core (the agents' system of record): every cash collection at an agent is posted
 * to it under our payment id, which it deduplicates on, so a retry never records twice.
 */
export class AgentBankingCoreClient {
  constructor(
    private readonly http: JsonHttpClient,
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly metrics: Metrics,
  ) {}

  record(c: AgentCollection): Promise<AgentCoreAnswer> {
    return this.call('collection', `/agents/${encodeURIComponent(c.agentId)}/collections`, {
      paymentId: c.paymentId,
      amountMinor: c.amountMinor.toString(),
      currency: c.currency,
    });
  }

  reverse(c: AgentCollection): Promise<AgentCoreAnswer> {
    return this.call(
      'reversal',
      `/agents/${encodeURIComponent(c.agentId)}/collections/${encodeURIComponent(c.paymentId)}/reversal`,
      {},
    );
  }

  private async call(what: string, path: string, body: unknown): Promise<AgentCoreAnswer> {
    const started = process.hrtime.bigint();
    const res = await this.http.post(this.baseUrl + path, body, this.timeoutMs);
    let answer: AgentCoreAnswer;
    if (res.kind === 'timeout') answer = { outcome: 'unknown', detail: 'agent banking core timeout' };
    else if (res.kind === 'unreachable') answer = { outcome: 'unavailable', detail: res.detail };
    else {
      const b = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<
        string,
        unknown
      >;
      if ((res.status === 200 || res.status === 201) && typeof b.reference === 'string') {
        answer = { outcome: 'recorded', reference: b.reference };
      } else if (res.status === 423 || res.status === 404 || res.status === 422) {
        answer = { outcome: 'refused', detail: `agent banking core answered ${res.status}` };
      } else if (res.status === 503) answer = { outcome: 'unavailable', detail: 'agent banking core 503' };
      else answer = { outcome: 'unknown', detail: `agent banking core answered ${res.status}` };
    }
    this.metrics.externalCalls.observe(
      { target: `agent-banking-core:${what}`, outcome: answer.outcome },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return answer;
  }
}
