import { sql } from 'kysely';
import { JobQueue, retryLater, type JobRunner, type RetryLater } from '../../infrastructure/jobs';
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

/** The first attempt is left to the caller for this long; a retry's lease lasts as long. */
const LEASE_MS = 60_000;

/** The durable job (src/infrastructure/jobs) that retries one owed refund, keyed by its payment id. */
export const REFUND_JOB = 'core-banking.refund';

interface RefundJob {
  readonly paymentId: string;
}

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
 * debt its retry job pays, never a credit our ledger does not know of. Every attempt carries the
 * same reference, which core banking deduplicates, so the customer is never credited twice. A refusal
 * is final: it is not retried but parked for ops (OnRefundRefused).
 *
 * Retries are a durable job per refund (REFUND_JOB, enqueued with the debt), run by whichever node's
 * job runner is free (`registerOn`): leased, so two nodes never try one refund at once, and never
 * given up while the refund is owed. The refund row stays the record ops read (state, attempts, last
 * error, next attempt); the job follows the times the refund's own schedule sets.
 */
export class CoreBankingRefunds {
  private readonly queue = new JobQueue();

  constructor(
    private readonly refund: Refunder,
    private readonly onRefused?: OnRefundRefused,
  ) {}

  /** Registers the retries on a node's job runner (every node registers them). */
  registerOn(runner: JobRunner, db: Db, now: () => Date = () => new Date()): void {
    runner.register<RefundJob>(
      REFUND_JOB,
      { maxAttempts: Number.POSITIVE_INFINITY, backoffMs: retryDelayMs, leaseMs: LEASE_MS },
      (job) => this.retry(db, job.payload.paymentId, now),
    );
  }

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
    await this.queue.enqueue<RefundJob>(tx, {
      kind: REFUND_JOB,
      dedupeKey: order.paymentId,
      payload: { paymentId: order.paymentId },
      runAt: new Date(now.getTime() + LEASE_MS),
    });
  }

  /**
   * Defence in depth: a refund owed with no job to retry it (owed by a node of the previous release
   * during a rolling deploy, after the migration gave the refunds then owed their jobs) gets one now,
   * due at once; a job left finished beside a refund still owed is put back. Answers how many.
   */
  async adoptOrphans(tx: Executor, now: Date): Promise<string[]> {
    const { rows } = await sql<{ payment_id: string }>`
      insert into jobs as j (kind, dedupe_key, payload, state, run_at, attempts, created_at, updated_at)
      select ${REFUND_JOB}, r.payment_id::text, jsonb_build_object('paymentId', r.payment_id::text),
             'pending', ${now}, 0, ${now}, ${now}
      from core_banking_refunds r
      where r.state = 'owed'
        and not exists (
          select 1 from jobs x
          where x.kind = ${REFUND_JOB} and x.dedupe_key = r.payment_id::text and x.state in ('pending', 'running'))
      order by r.created_at
      limit 100
      on conflict (kind, dedupe_key) where dedupe_key is not null do update
        set state = 'pending', run_at = excluded.run_at, lease_owner = null, lease_until = null,
            updated_at = excluded.updated_at
        where j.state in ('done', 'dead')
      returning j.dedupe_key as payment_id`.execute(tx);
    return rows.map((r) => r.payment_id);
  }

  /**
   * The first attempt of a refund owed by a committed transaction. Answers core banking's answer, or
   * undefined when nothing is owed (never owed, refunded already, refused, settled by hand). Whatever
   * happens here, an unconfirmed refund stays owed and its job retries it on the refund's schedule.
   */
  async attempt(db: Db, paymentId: string, now: Date): Promise<CoreBankingAnswer | undefined> {
    const row = await this.owedRow(db, paymentId);
    if (row === undefined) return undefined;
    const answer = await this.refund(row.order);
    await db.transaction().execute(async (tx) => {
      const next = await this.settle(tx, paymentId, answer, row.attempts + 1, now);
      if (next === undefined) await this.queue.completePending(tx, REFUND_JOB, paymentId);
      else await this.queue.reschedule(tx, REFUND_JOB, paymentId, next);
    });
    return answer;
  }

  /** One retry, run by the refund's job: done once nothing is owed, otherwise back at the next attempt time. */
  private async retry(db: Db, paymentId: string, now: () => Date): Promise<void | RetryLater> {
    const row = await this.owedRow(db, paymentId);
    if (row === undefined) return undefined;
    const answer = await this.refund(row.order);
    const at = now();
    const next = await db
      .transaction()
      .execute((tx) => this.settle(tx, paymentId, answer, row.attempts + 1, at));
    if (next === undefined) return undefined;
    return retryLater(describe(answer), next.getTime() - at.getTime());
  }

  private async owedRow(
    db: Executor,
    paymentId: string,
  ): Promise<{ order: RefundOrder; attempts: number } | undefined> {
    const { rows } = await sql<{ account: string; amount: string; currency: string; attempts: number }>`
      select account, amount::text as amount, currency, attempts from core_banking_refunds
      where payment_id = ${paymentId} and state = 'owed'`.execute(db);
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      order: {
        paymentId,
        account: row.account,
        amountMinor: BigInt(row.amount),
        currency: row.currency.trim(),
      },
      attempts: row.attempts,
    };
  }

  /** How many refunds core banking has not yet confirmed (a gauge for ops). */
  async owed(db: Executor): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from core_banking_refunds where state = 'owed'`.execute(db);
    return rows[0]?.n ?? 0;
  }

  /**
   * Records an attempt's answer on a refund still owed. Answers when the next attempt is due, or
   * undefined when nothing more is owed (refunded, refused, or no longer owed).
   */
  private async settle(
    tx: Tx,
    paymentId: string,
    answer: CoreBankingAnswer,
    attempts: number,
    at: Date,
  ): Promise<Date | undefined> {
    if (answer.outcome === 'refused') {
      const res = await sql`
        update core_banking_refunds set
          state = 'refused', attempts = ${attempts}, last_error = ${describe(answer)}, updated_at = ${at}
        where payment_id = ${paymentId} and state = 'owed'`.execute(tx);
      if (res.numAffectedRows === 1n) await this.onRefused?.(tx, paymentId, describe(answer), at);
      return undefined;
    }
    const done = answer.outcome === 'debited';
    const next = new Date(at.getTime() + retryDelayMs(attempts));
    const res = await sql`
      update core_banking_refunds set
        state = ${done ? 'refunded' : 'owed'},
        attempts = ${attempts},
        core_banking_ref = ${done ? answer.reference : null},
        last_error = ${done ? null : describe(answer)},
        next_attempt_at = ${next},
        updated_at = ${at}
      where payment_id = ${paymentId} and state = 'owed'`.execute(tx);
    return done || res.numAffectedRows !== 1n ? undefined : next;
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
