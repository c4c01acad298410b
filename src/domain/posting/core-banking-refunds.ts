import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../db';
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
 * Called, in the transaction that stops a refund being retried, when core banking refuses it (account
 * closed, blocked): the payment is parked for ops, who settle it by hand.
 */
export type OnRefundRefused = (tx: Tx, paymentId: string, detail: string, at: Date) => Promise<void>;

/**
 * Refunds owed to bank customers, kept until core banking confirms them: nothing a customer is owed
 * may live only in a log line or in a transaction that might roll back.
 *
 * The order is fixed (issue 10, item 2): the debt is written in the same transaction as the reversal
 * that makes it owed (`owe`), and core banking is asked only after that transaction committed
 * (`attempt`). A refund therefore always follows a committed reversal; a crash in between leaves a
 * debt the retry loop pays, never a credit our ledger does not know of. Every attempt carries the
 * same reference, which core banking deduplicates, so the customer is never credited twice. A refusal
 * is final: it is not retried but parked for ops (OnRefundRefused).
 */
export class CoreBankingRefunds {
  constructor(
    private readonly refund: Refunder,
    private readonly onRefused?: OnRefundRefused,
  ) {}

  /**
   * Owes the refund inside the caller's transaction (with the reversal that makes it owed), leased
   * for a minute so the retry loop leaves the first attempt, `attempt` after the commit, to the caller.
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
   * The first attempt of a refund owed by a committed transaction. Answers core banking's answer, or
   * undefined when nothing is owed (never owed, refunded already, refused, settled by hand). Whatever
   * happens here, an unconfirmed refund stays owed and is retried.
   */
  async attempt(db: Db, paymentId: string, now: Date): Promise<CoreBankingAnswer | undefined> {
    const { rows } = await sql<{ account: string; amount: string; currency: string; attempts: number }>`
      select account, amount::text as amount, currency, attempts from core_banking_refunds
      where payment_id = ${paymentId} and state = 'owed'`.execute(db);
    const row = rows[0];
    if (row === undefined) return undefined;
    const answer = await this.refund({
      paymentId,
      account: row.account,
      amountMinor: BigInt(row.amount),
      currency: row.currency.trim(),
    });
    await this.settle(db, paymentId, answer, row.attempts + 1, now);
    return answer;
  }

  /**
   * Retries the refunds that are due, one at a time: each is leased just before its attempt (so two
   * nodes never try the same one at once, and a slow core banking cannot outlive the lease of a row
   * still waiting its turn), tried outside any transaction, then marked refunded or given its next
   * attempt time, counted from when the attempt ended.
   */
  async retryDue(db: Db, now: Date, limit = 50): Promise<{ refunded: number; stillOwed: number }> {
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
    db: Db,
    paymentId: string,
    answer: CoreBankingAnswer,
    attempts: number,
    at: Date,
  ): Promise<void> {
    if (answer.outcome === 'refused') {
      await db.transaction().execute(async (tx) => {
        const res = await sql`
          update core_banking_refunds set
            state = 'refused', attempts = ${attempts}, last_error = ${describe(answer)}, updated_at = ${at}
          where payment_id = ${paymentId} and state = 'owed'`.execute(tx);
        if (res.numAffectedRows === 1n) await this.onRefused?.(tx, paymentId, describe(answer), at);
      });
      return;
    }
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

  /**
   * Ops settled a refused refund by hand (a cheque, a credit to another account): recorded with their
   * reference, in the transaction that records their decision.
   */
  async settleByHand(tx: Tx, paymentId: string, reference: string, at: Date): Promise<boolean> {
    const res = await sql`
      update core_banking_refunds set state = 'settled_by_hand', core_banking_ref = ${reference}, updated_at = ${at}
      where payment_id = ${paymentId} and state in ('refused', 'owed')`.execute(tx);
    return res.numAffectedRows === 1n;
  }

  /** The refund owed on a payment, if any (ops views, decisions). */
  async find(
    db: Executor,
    paymentId: string,
  ): Promise<{ state: string; attempts: number; lastError: string | null; reference: string } | undefined> {
    const { rows } = await sql<{
      state: string;
      attempts: number;
      last_error: string | null;
      reference: string;
    }>`
      select state, attempts, last_error, reference from core_banking_refunds where payment_id = ${paymentId}`.execute(
      db,
    );
    const r = rows[0];
    return r === undefined
      ? undefined
      : { state: r.state, attempts: r.attempts, lastError: r.last_error, reference: r.reference };
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
