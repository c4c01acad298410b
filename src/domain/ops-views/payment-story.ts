import type { Executor } from '../db';
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
