import { sql } from 'kysely';
import type { Db, Tx } from '../domain/db';
import type { NodeLease } from '../domain/cluster/node-lease';
import type { IdempotencyRepository } from '../domain/idempotency/idempotency.repository';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import type { CoreBankingRefunds } from '../domain/posting/core-banking-refunds';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import { resultOf, serialiseResult } from './bill-pay-result';
import { RESOLVE, type FollowUps } from './resolution/follow-ups';

const HOUSEKEEPING_LOCK = 7_402_001;

/**
 * Periodic work that must run once per cluster: finish requests a dead node left in flight (their
 * partners get a PENDING answer on retry instead of 409 forever; a node is dead once its lease runs
 * out, see NodeLease, or after the fixed in-flight timeout for keys no lease covers), hand each of
 * them to its resolution (the same as any pending payment's: a `payment.resolve` job in the same
 * transaction), and purge idempotency keys past their retention. Each run takes a
 * transaction-scoped advisory lock, so nodes never race.
 */
export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private retrying = false;

  constructor(
    private readonly db: Db,
    private readonly idempotency: IdempotencyRepository,
    private readonly payments: PaymentsRepository,
    private readonly inFlightTimeoutMs: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly refunds?: CoreBankingRefunds,
    /** This node's lease: with it, keys of nodes whose lease ran out are recovered too. */
    private readonly lease?: Pick<NodeLease, 'mayRecoverDeadNodes'>,
    /** Gives every payment the sweep leaves PENDING its resolution (src/pipeline/resolution). */
    private readonly followUps?: FollowUps,
  ) {}

  start(everyMs = 30_000): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.log.error({ err: error }, 'housekeeping failed'));
      // A run calls core banking once per owed refund; while one is still going, the next tick waits.
      if (this.retrying) return;
      this.retrying = true;
      this.retryRefunds()
        .catch((error: unknown) => this.log.error({ err: error }, 'refund retry failed'))
        .finally(() => (this.retrying = false));
    }, everyMs);
    this.timer.unref();
  }

  /**
   * Retries refunds owed to bank customers (outside any transaction: it calls core banking). Leases
   * keep two nodes off the same refund; core banking deduplicates on the reference besides.
   */
  async retryRefunds(now = new Date()): Promise<{ refunded: number; stillOwed: number }> {
    if (this.refunds === undefined) return { refunded: 0, stillOwed: 0 };
    const outcome = await this.refunds.retryDue(this.db, now);
    this.metrics.refundsOwed.set(outcome.stillOwed);
    if (outcome.refunded > 0) this.log.info(outcome, 'owed core-banking refunds confirmed');
    if (outcome.stillOwed > 0) this.log.warn(outcome, 'core-banking refunds still owed');
    return outcome;
  }

  /**
   * Defence in depth: every PENDING payment is given its resolution in the transaction that makes it
   * pending, so none should be found without one; one found is given one now, and logged loudly.
   */
  private async ownerless(tx: Tx, now: Date): Promise<void> {
    const { rows } = await sql<{ id: string }>`
      select p.id::text as id from payments p
      where p.status = 'PENDING'
        and not exists (select 1 from jobs j where j.kind = ${RESOLVE} and j.dedupe_key = p.id::text)
      limit 100`.execute(tx);
    for (const row of rows) {
      await this.followUps?.resolveLater(tx, row.id, now);
      this.log.error({ paymentId: row.id }, 'pending payment had no resolution; given one');
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  async runOnce(now = new Date()): Promise<{ recovered: number; purged: number }> {
    return this.db.transaction().execute(async (tx) => {
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_xact_lock(${HOUSEKEEPING_LOCK}) as locked`.execute(tx);
      if (rows[0]?.locked !== true) return { recovered: 0, purged: 0 };
      const olderThan = new Date(now.getTime() - this.inFlightTimeoutMs);
      const which = { deadNodes: this.lease?.mayRecoverDeadNodes() ?? false };
      let recovered = 0;
      for (const stale of await this.idempotency.findStale(tx, olderThan, 100, which)) {
        if (!(await this.idempotency.claimStale(tx, stale, olderThan, which))) continue;
        if (stale.paymentId === null) continue;
        const payment = await this.payments.findById(tx, stale.paymentId);
        if (payment === undefined) continue;
        const interrupted = payment.state === 'RECEIVED' || payment.state === 'POSTED';
        const settled = interrupted
          ? await this.payments.update(tx, payment.id, {
              state: 'PENDING',
              reasonCode: 'PROCESSING_INTERRUPTED',
            })
          : payment;
        if (settled.state === 'PENDING') await this.followUps?.resolveLater(tx, payment.id, now);
        await this.idempotency.complete(tx, stale, serialiseResult(resultOf(settled)), now);
        recovered += 1;
        this.log.warn(
          { paymentId: payment.id, state: payment.state },
          'in-flight payment recovered as pending',
        );
      }
      this.metrics.inFlightRecovered.set(recovered);
      if (this.followUps !== undefined) await this.ownerless(tx, now);
      const purged = await this.idempotency.purgeExpired(tx, now);
      return { recovered, purged };
    });
  }
}
