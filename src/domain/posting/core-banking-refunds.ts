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
 * may live only in a log line or in a transaction that might roll back. The debt is written (and
 * committed) before core banking is asked, then marked refunded when core banking confirms; the
 * housekeeping loop retries whatever is still owed. Every attempt carries the same reference, which
 * core banking deduplicates, so the customer is never credited twice.
 */
export class CoreBankingRefunds {
  constructor(private readonly refund: Refunder) {}

  /**
   * Owes the refund inside the caller's transaction (with the reversal that makes it owed), leased
   * for a minute so the retry loop leaves the first attempt, refundNow after the commit, to the caller.
   */
  async owe(tx: Executor, order: RefundOrder, now: Date): Promise<void> {
    await sql`
      insert into core_banking_refunds
        (payment_id, account, amount, currency, reference, state, attempts, next_attempt_at, created_at, updated_at)
      values (
        ${order.paymentId}, ${order.account}, ${order.amountMinor}, ${order.currency},
        ${refundReference(order.paymentId)}, 'owed', 0, ${new Date(now.getTime() + LEASE_MS)}, ${now}, ${now}
      )
      on conflict (payment_id) do nothing`.execute(tx);
  }

  /**
   * Owes the refund (committed on its own), makes the first attempt and records its outcome. Answers
   * that outcome; whatever it is, the refund is not lost: an unconfirmed one stays owed and is retried.
   */
  async refundNow(db: Executor, order: RefundOrder, now: Date): Promise<CoreBankingAnswer> {
    // Leased from the start, so the retry loop leaves it to this attempt.
    await this.owe(db, order, now);
    const { rows } = await sql<{ state: string; attempts: number; core_banking_ref: string | null }>`
      select state, attempts, core_banking_ref from core_banking_refunds
      where payment_id = ${order.paymentId}`.execute(db);
    const existing = rows[0];
    // Refunded already (a repeated reversal, say): core banking has it, nothing to ask again.
    if (existing?.state === 'refunded' && existing.core_banking_ref !== null) {
      return { outcome: 'debited', reference: existing.core_banking_ref };
    }
    const answer = await this.refund(order);
    await this.settle(db, order.paymentId, answer, (existing?.attempts ?? 0) + 1, now);
    return answer;
  }

  /**
   * Retries the refunds that are due, one at a time: each is leased just before its attempt (so two
   * nodes never try the same one at once, and a slow core banking cannot outlive the lease of a row
   * still waiting its turn), tried outside any transaction, then marked refunded or given its next
   * attempt time, counted from when the attempt ended.
   */
  async retryDue(db: Executor, now: Date, limit = 50): Promise<{ refunded: number; stillOwed: number }> {
    const started = Date.now();
    const clock = (): Date => new Date(now.getTime() + (Date.now() - started));
    let refunded = 0;
    for (let i = 0; i < limit; i += 1) {
      const at = clock();
      const { rows } = await sql<{
        payment_id: string;
        account: string;
        amount: string;
        currency: string;
        attempts: number;
      }>`
        update core_banking_refunds r set next_attempt_at = ${new Date(at.getTime() + LEASE_MS)}, updated_at = ${at}
        where r.payment_id = (
          select payment_id from core_banking_refunds
          where state = 'owed' and next_attempt_at <= ${at}
          order by next_attempt_at
          limit 1
          for update skip locked
        )
        returning r.payment_id, r.account, r.amount::text as amount, r.currency, r.attempts`.execute(db);
      const row = rows[0];
      if (row === undefined) break;
      const answer = await this.refund({
        paymentId: row.payment_id,
        account: row.account,
        amountMinor: BigInt(row.amount),
        currency: row.currency.trim(),
      });
      if (answer.outcome === 'debited') refunded += 1;
      await this.settle(db, row.payment_id, answer, row.attempts + 1, clock());
    }
    return { refunded, stillOwed: await this.owed(db) };
  }

  /** How many refunds core banking has not yet confirmed (a gauge for ops). */
  async owed(db: Executor): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from core_banking_refunds where state = 'owed'`.execute(db);
    return rows[0]?.n ?? 0;
  }

  private async settle(
    db: Executor,
    paymentId: string,
    answer: CoreBankingAnswer,
    attempts: number,
    at: Date,
  ): Promise<void> {
    const done = answer.outcome === 'debited';
    await sql`
      update core_banking_refunds set
        state = ${done ? 'refunded' : 'owed'},
        attempts = ${attempts},
        core_banking_ref = ${done ? answer.reference : null},
        last_error = ${done ? null : describe(answer)},
        next_attempt_at = ${new Date(at.getTime() + retryDelayMs(attempts))},
        updated_at = ${at}
      where payment_id = ${paymentId} and state = 'owed'`.execute(db);
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
