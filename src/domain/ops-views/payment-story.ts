import { sql } from 'kysely';
import type { Executor } from '../db';
import type { DeliveryView, WebhookDeliveriesRepository } from '../webhooks/deliveries.repository';
import { toPayment } from '../payments/payments.repository';
import type { Payment } from '../payments/payment';

export interface JournalView {
  readonly id: string;
  readonly kind: string;
  readonly memo: string;
  readonly currency: string;
  readonly at: Date;
  readonly lines: readonly { accountId: string; side: 'D' | 'C'; amountMinor: bigint }[];
}

/** One payment's whole story as ops read it: the payment, its journals and its idempotency record. */
export interface PaymentStory {
  readonly payment: Payment;
  readonly journals: readonly JournalView[];
  readonly idempotency: { readonly scope: string; readonly state: string; readonly updatedAt: Date } | null;
}

const SEARCH_LIMIT = 50;

/**
 * Finds payments by what ops have at hand: our id, the partner's reference, the bill reference or
 * the idempotency key (exact matches; each has an index or is the key).
 */
export async function searchPayments(db: Executor, text: string): Promise<Payment[]> {
  const q = text.trim();
  if (q === '') {
    const rows = await db
      .selectFrom('payments')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(SEARCH_LIMIT)
      .execute();
    return rows.map(toPayment);
  }
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(q);
  const rows = await db
    .selectFrom('payments')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(uuid ? [eb('id', '=', q)] : []),
        eb('partner_reference', '=', q),
        eb('bill_reference', '=', q),
        eb('idempotency_key', '=', q),
      ]),
    )
    .orderBy('created_at', 'desc')
    .limit(SEARCH_LIMIT)
    .execute();
  return rows.map(toPayment);
}

/** The payments waiting in one state, oldest first (the Today page's "waiting" links). */
export async function paymentsInState(db: Executor, state: string): Promise<Payment[]> {
  const rows = await db
    .selectFrom('payments')
    .selectAll()
    .where('status', '=', state)
    .orderBy('created_at')
    .limit(SEARCH_LIMIT)
    .execute();
  return rows.map(toPayment);
}

export async function paymentStory(db: Executor, id: string): Promise<PaymentStory | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const row = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  const entries = await db
    .selectFrom('journal_entries')
    .select(['id', 'kind', 'memo', 'currency', 'created_at'])
    .where('payment_id', '=', id)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const lines =
    entries.length === 0
      ? []
      : await db
          .selectFrom('journal_lines')
          .select(['entry_id', 'account_id', 'side', 'amount'])
          .where(
            'entry_id',
            'in',
            entries.map((e) => e.id),
          )
          .orderBy('id')
          .execute();
  const key = await db
    .selectFrom('idempotency_keys')
    .select(['scope', 'state', 'updated_at'])
    .where('payment_id', '=', id)
    .executeTakeFirst();
  return {
    payment: toPayment(row),
    journals: entries.map((e) => ({
      id: e.id,
      kind: e.kind,
      memo: e.memo,
      currency: e.currency.trim(),
      at: e.created_at,
      lines: lines
        .filter((l) => l.entry_id === e.id)
        .map((l) => ({ accountId: l.account_id, side: l.side, amountMinor: BigInt(l.amount) })),
    })),
    idempotency: key === undefined ? null : { scope: key.scope, state: key.state, updatedAt: key.updated_at },
  };
}

/** An event of the payment as its partner is told it (the webhook outbox). */
export interface PaymentEventView {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: Date;
  /** The event's data as sent (decimal strings for money). */
  readonly data: Readonly<Record<string, unknown>>;
}

/** One delivery of one event to one subscription, with every attempt. */
export interface PaymentDeliveryView extends DeliveryView {
  readonly attemptLog: readonly {
    attempt: number;
    at: string;
    outcome: string;
    statusCode: number | null;
    error: string | null;
  }[];
}

/** A reversal of the payment, whoever asked for it. */
export interface ReversalView {
  /** `biller`: the biller reversed it (signed request); `early`: the partner's reversal overtook it. */
  readonly kind: 'biller' | 'early';
  readonly reference: string;
  readonly amountMinor: bigint | null;
  readonly currency: string | null;
  readonly reason: string;
  readonly at: Date;
}

/** What happened after the answer: events and their webhook deliveries, reversals, a refund owed. */
export interface PaymentAftermath {
  readonly events: readonly PaymentEventView[];
  readonly deliveries: readonly PaymentDeliveryView[];
  readonly reversals: readonly ReversalView[];
  /** The core-banking refund a reversal owes the customer, until core banking confirms it. */
  readonly refund: {
    readonly state: string;
    readonly attempts: number;
    readonly amountMinor: bigint;
    readonly currency: string;
    readonly coreBankingRef: string | null;
    readonly lastError: string | null;
    readonly updatedAt: Date;
  } | null;
}

export async function paymentAftermath(
  db: Executor,
  payment: Pick<Payment, 'id' | 'partnerId'>,
  deliveries: Pick<WebhookDeliveriesRepository, 'list' | 'attempts'>,
): Promise<PaymentAftermath> {
  const [events, sent, biller, early, refund] = await Promise.all([
    db
      .selectFrom('webhook_events')
      .select(['id', 'type', 'occurred_at', 'body'])
      .where('payment_id', '=', payment.id)
      .orderBy('occurred_at')
      .orderBy('id')
      .limit(100)
      .execute(),
    deliveries.list(db, payment.partnerId, { paymentId: payment.id, limit: 100 }),
    db
      .selectFrom('biller_reversals')
      .select(['biller_id', 'reversal_id', 'amount', 'currency', 'reason', 'created_at'])
      .where('payment_id', '=', payment.id)
      .execute(),
    db
      .selectFrom('early_reversals')
      .select(['reversal_scope', 'reversal_key', 'amount', 'currency', 'reason', 'received_at'])
      .where('payment_id', '=', payment.id)
      .execute(),
    sql<{
      state: string;
      attempts: number;
      amount: string;
      currency: string;
      core_banking_ref: string | null;
      last_error: string | null;
      updated_at: Date;
    }>`
      select state, attempts, amount::text as amount, currency, core_banking_ref, last_error, updated_at
      from core_banking_refunds where payment_id = ${payment.id}`.execute(db),
  ]);
  const attemptLogs = await Promise.all(sent.map((d) => deliveries.attempts(db, d.id)));
  const r = refund.rows[0];
  return {
    events: events.map((e) => ({
      id: e.id,
      type: e.type,
      occurredAt: e.occurred_at,
      data: dataOf(e.body),
    })),
    // Oldest first, as the story reads.
    deliveries: sent.map((d, i) => ({ ...d, attemptLog: attemptLogs[i] ?? [] })).reverse(),
    reversals: [
      ...biller.map((b): ReversalView => ({
        kind: 'biller',
        reference: `${b.biller_id} ${b.reversal_id}`,
        amountMinor: BigInt(b.amount),
        currency: b.currency.trim(),
        reason: b.reason,
        at: b.created_at,
      })),
      ...early.map((e): ReversalView => ({
        kind: 'early',
        reference: `${e.reversal_scope} ${e.reversal_key}`,
        amountMinor: e.amount === null ? null : BigInt(e.amount),
        currency: e.currency?.trim() ?? null,
        reason: e.reason,
        at: new Date(e.received_at),
      })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime()),
    refund:
      r === undefined
        ? null
        : {
            state: r.state,
            attempts: r.attempts,
            amountMinor: BigInt(r.amount),
            currency: r.currency.trim(),
            coreBankingRef: r.core_banking_ref,
            lastError: r.last_error,
            updatedAt: new Date(r.updated_at),
          },
  };
}

function dataOf(body: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body) as { data?: unknown };
    return typeof parsed.data === 'object' && parsed.data !== null
      ? (parsed.data as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
