import type { JsonHttpClient } from '../../infrastructure/http/http-client';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import { formatMajorAmount } from '../money/money';

export interface BillerEndpointRef {
  readonly id: string;
  readonly url: string;
  readonly timeoutMs: number;
  /**
   * How long after we stopped waiting "no such payment" from the biller may still mean "not yet"
   * (default 5 minutes); past it, a payment the biller never received is declined.
   */
  readonly statusWindowMs?: number;
}

export interface BillerPayment {
  readonly paymentId: string;
  readonly billType: string;
  readonly billReference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
}

export type BillerAnswer =
  | { readonly outcome: 'paid'; readonly receipt: string }
  | {
      readonly outcome: 'declined';
      readonly reason: 'BILL_REFERENCE_UNKNOWN' | 'BILLER_DECLINED';
      readonly detail: string;
    }
  | { readonly outcome: 'unavailable'; readonly detail: string }
  | { readonly outcome: 'unknown'; readonly detail: string };

export type BillInquiryAnswer =
  | {
      readonly outcome: 'found';
      readonly amountDueMinor: bigint;
      readonly currency: string;
      readonly customerName: string | null;
      readonly dueDate: string | null;
    }
  | { readonly outcome: 'unknown-reference' }
  | { readonly outcome: 'unavailable'; readonly detail: string };

/** What the biller says it holds for one of our payments, asked by our payment id. */
export type BillerStatusAnswer =
  | {
      readonly outcome: 'paid';
      readonly receipt: string;
      /** What the biller recorded, to compare with ours (absent when it does not say). */
      readonly amountMinor: bigint | undefined;
      readonly currency: string | undefined;
    }
  | { readonly outcome: 'reversed'; readonly receipt: string | null }
  | { readonly outcome: 'not-found' }
  | { readonly outcome: 'processing' }
  /** No readable answer (timeout, unreachable, 5xx): ask again later. */
  | { readonly outcome: 'unknown'; readonly detail: string };

/** The biller's answer to undoing a payment. */
export type BillerReversalAnswer = 'reversed' | 'not-found' | 'refused' | 'unknown';

/**
 * Billers speak billgate's biller API (JSON over HTTP): POST {endpoint}/payments,
 * GET {endpoint}/payments/{id} (status by our payment id) and POST {endpoint}/payments/{id}/reversal.
 * An answer we cannot read, a timeout or a 5xx other than 503 leaves the outcome unknown: the payment
 * stays pending rather than being guessed either way, and its resolution asks again.
 */
export class BillerClient {
  constructor(
    private readonly http: JsonHttpClient,
    private readonly metrics: Metrics,
  ) {}

  /** Asks the biller what is due on a bill (POST {endpoint}/inquiries); nothing is posted. */
  async inquire(
    endpoint: BillerEndpointRef,
    billReference: string,
    currency: string,
  ): Promise<BillInquiryAnswer> {
    const started = process.hrtime.bigint();
    const res = await this.http.post(
      `${endpoint.url}/inquiries`,
      { billReference, currency },
      endpoint.timeoutMs,
    );
    let answer: BillInquiryAnswer;
    if (res.kind === 'timeout') answer = { outcome: 'unavailable', detail: 'biller timeout' };
    else if (res.kind === 'unreachable') answer = { outcome: 'unavailable', detail: res.detail };
    else if (res.status === 404) answer = { outcome: 'unknown-reference' };
    else {
      const b = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<
        string,
        unknown
      >;
      const due =
        typeof b.amountDueMinor === 'string' && /^[0-9]{1,18}$/.test(b.amountDueMinor)
          ? b.amountDueMinor
          : undefined;
      answer =
        res.status === 200 && due !== undefined && typeof b.currency === 'string'
          ? {
              outcome: 'found',
              amountDueMinor: BigInt(due),
              currency: b.currency,
              customerName: typeof b.customerName === 'string' ? b.customerName : null,
              dueDate: typeof b.dueDate === 'string' ? b.dueDate : null,
            }
          : { outcome: 'unavailable', detail: `biller answered ${res.status}` };
    }
    this.metrics.externalCalls.observe(
      { target: `biller-inquiry:${endpoint.id}`, outcome: answer.outcome },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return answer;
  }

  async pay(endpoint: BillerEndpointRef, p: BillerPayment): Promise<BillerAnswer> {
    const started = process.hrtime.bigint();
    const res = await this.http.post(
      `${endpoint.url}/payments`,
      {
        paymentId: p.paymentId,
        billType: p.billType,
        billReference: p.billReference,
        amount: formatMajorAmount(p.amountMinor, p.currency),
        amountMinor: p.amountMinor.toString(),
        currency: p.currency,
      },
      endpoint.timeoutMs,
    );
    const answer = interpretPayment(res);
    this.metrics.externalCalls.observe(
      { target: `biller:${endpoint.id}`, outcome: answer.outcome },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return answer;
  }

  /** Asks what the biller holds for our payment id (a read: safe to repeat). */
  async status(endpoint: BillerEndpointRef, paymentId: string): Promise<BillerStatusAnswer> {
    const started = process.hrtime.bigint();
    const res = await this.http.get(
      `${endpoint.url}/payments/${encodeURIComponent(paymentId)}`,
      endpoint.timeoutMs,
    );
    const answer = interpretStatus(res);
    this.metrics.externalCalls.observe(
      { target: `biller-status:${endpoint.id}`, outcome: answer.outcome },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return answer;
  }

  /**
   * Asks the biller to undo a payment. 404: the biller never had it (nothing to undo there); another
   * 4xx: it will not; no readable answer: unknown, to be sent again with the same payment id.
   */
  async reverse(
    endpoint: BillerEndpointRef,
    paymentId: string,
    reason: string,
  ): Promise<BillerReversalAnswer> {
    const res = await this.http.post(
      `${endpoint.url}/payments/${encodeURIComponent(paymentId)}/reversal`,
      { paymentId, reason },
      endpoint.timeoutMs,
    );
    if (res.kind !== 'answered') return 'unknown';
    if (res.status === 200 || res.status === 201) return 'reversed';
    if (res.status === 404) return 'not-found';
    if (res.status >= 400 && res.status < 500) return 'refused';
    return 'unknown';
  }
}

function interpretPayment(res: Awaited<ReturnType<JsonHttpClient['post']>>): BillerAnswer {
  if (res.kind === 'timeout') return { outcome: 'unknown', detail: 'biller timeout' };
  if (res.kind === 'unreachable') return { outcome: 'unavailable', detail: res.detail };
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<string, unknown>;
  if (res.status === 200 || res.status === 201) {
    if (typeof body.receipt === 'string' && body.receipt.length > 0)
      return { outcome: 'paid', receipt: body.receipt };
    return { outcome: 'unknown', detail: 'biller answered without a receipt' };
  }
  if (res.status === 404) {
    return {
      outcome: 'declined',
      reason: 'BILL_REFERENCE_UNKNOWN',
      detail: text(body.message, 'unknown bill'),
    };
  }
  if (res.status === 409 || res.status === 422) {
    return {
      outcome: 'declined',
      reason: 'BILLER_DECLINED',
      detail: text(body.message ?? body.reason, 'declined'),
    };
  }
  if (res.status === 503) return { outcome: 'unavailable', detail: 'biller unavailable (503)' };
  return { outcome: 'unknown', detail: `biller answered ${res.status}` };
}

function interpretStatus(res: Awaited<ReturnType<JsonHttpClient['get']>>): BillerStatusAnswer {
  if (res.kind === 'timeout') return { outcome: 'unknown', detail: 'biller timeout' };
  if (res.kind === 'unreachable') return { outcome: 'unknown', detail: res.detail };
  if (res.status === 404) return { outcome: 'not-found' };
  if (res.status === 202) return { outcome: 'processing' };
  const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<string, unknown>;
  const receipt = typeof body.receipt === 'string' && body.receipt.length > 0 ? body.receipt : undefined;
  if (res.status === 200 && body.status === 'PAID' && receipt !== undefined) {
    const amount =
      typeof body.amountMinor === 'string' && /^[0-9]{1,18}$/.test(body.amountMinor)
        ? BigInt(body.amountMinor)
        : undefined;
    return {
      outcome: 'paid',
      receipt,
      amountMinor: amount,
      currency: typeof body.currency === 'string' ? body.currency : undefined,
    };
  }
  if (res.status === 200 && body.status === 'REVERSED')
    return { outcome: 'reversed', receipt: receipt ?? null };
  if (res.status === 200 && body.status === 'PROCESSING') return { outcome: 'processing' };
  return { outcome: 'unknown', detail: `biller status answered ${res.status}` };
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : fallback;
}
