import { sql } from 'kysely';
import type { Executor } from '../db';
import type { CoreBankingAnswer } from './core-banking-client';

/** A credit back to a bank customer's account, for a payment that failed or was reversed after the debit. */
export interface RefundOrder {
  readonly paymentId: string;
  readonly account: string;
  readonly amountMinor: bigint;
  readonly currency: string;
}

/** Whoever credits the customer at core banking (CoreBankingEngine.refund). */
export type Refunder = (order: RefundOrder) => Promise<CoreBankingAnswer>;

/** Reference core banking deduplicates a refund on: every attempt for one payment carries the same. */
export function refundReference(paymentId: string): string {
  return `${paymentId}:refund`;
}

/** How long after a failed attempt the next is made: 30 s, doubling, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** A claimed retry is not claimed again by another node for this long. */
const LEASE_MS = 60_000;

/**
 * Refunds owed to bank customers, kept until core banking confirms them: nothing a customer is owed
 * may live only in a log line. The first attempt is made by the caller (the partner's answer should
 * not wait on a queue); its outcome is recorded in the caller's transaction, with the payment's new
 * state, and the housekeeping loop retries whatever is still owed.
 */
export class CoreBankingRefunds {
  constructor(private readonly refund: Refunder) {}

  /** Records a refund and its first attempt's outcome, inside the transaction that settles the payment. */
  async record(tx: Executor, order: RefundOrder, first: CoreBankingAnswer, now: Date): Promise<void> {
    const refunded = first.outcome === 'debited';
    await sql`
      insert into core_banking_refunds
        (payment_id, account, amount, currency, reference, state, attempts, last_error, core_banking_ref,
         next_attempt_at, created_at, updated_at)
      values (
        ${order.paymentId}, ${order.account}, ${order.amountMinor}, ${order.currency},
        ${refundReference(order.paymentId)}, ${refunded ? 'refunded' : 'owed'}, 1,
        ${refunded ? null : describe(first)}, ${refunded ? first.reference : null},
        ${new Date(now.getTime() + retryDelayMs(1))}, ${now}, ${now}
      )
      on conflict (payment_id) do nothing`.execute(tx);
  }

  /**
   * Retries the refunds that are due. Each is leased first (so two nodes never try the same one at
   * once), then tried outside any transaction, then marked refunded or given its next attempt time.
   */
  async retryDue(db: Executor, now: Date, limit = 50): Promise<{ refunded: number; stillOwed: number }> {
    const { rows } = await sql<{
      payment_id: string;
      account: string;
      amount: string;
      currency: string;
      attempts: number;
    }>`
      update core_banking_refunds r set
        next_attempt_at = ${new Date(now.getTime() + LEASE_MS)},
        attempts = r.attempts + 1,
        updated_at = ${now}
      where r.payment_id in (
        select payment_id from core_banking_refunds
        where state = 'owed' and next_attempt_at <= ${now}
        order by next_attempt_at
        limit ${limit}
        for update skip locked
      )
      returning r.payment_id, r.account, r.amount::text as amount, r.currency, r.attempts`.execute(db);
    let refunded = 0;
    for (const row of rows) {
      const answer = await this.refund({
        paymentId: row.payment_id,
        account: row.account,
        amountMinor: BigInt(row.amount),
        currency: row.currency.trim(),
      });
      const done = answer.outcome === 'debited';
      if (done) refunded += 1;
      await sql`
        update core_banking_refunds set
          state = ${done ? 'refunded' : 'owed'},
          core_banking_ref = ${done ? answer.reference : null},
          last_error = ${done ? null : describe(answer)},
          next_attempt_at = ${new Date(now.getTime() + retryDelayMs(row.attempts))},
          updated_at = ${now}
        where payment_id = ${row.payment_id} and state = 'owed'`.execute(db);
    }
    return { refunded, stillOwed: await this.owed(db) };
  }

  /** How many refunds core banking has not yet confirmed (a gauge for ops). */
  async owed(db: Executor): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from core_banking_refunds where state = 'owed'`.execute(db);
    return rows[0]?.n ?? 0;
  }
}

function describe(answer: CoreBankingAnswer): string {
  switch (answer.outcome) {
    case 'debited':
      return 'done';
    case 'refused':
      return `refused: ${answer.reason}`;
    case 'unavailable':
    case 'unknown':
      return `${answer.outcome}: ${answer.detail}`;
  }
}
