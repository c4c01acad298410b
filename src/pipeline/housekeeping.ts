import { sql } from 'kysely';
import type { Db, Tx } from '../domain/db';
import type { NodeLease } from '../domain/cluster/node-lease';
import type { IdempotencyRepository } from '../domain/idempotency/idempotency.repository';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import type { CoreBankingRefunds } from '../domain/posting/core-banking-refunds';
import { oncePerCluster, type JobRunner } from '../infrastructure/jobs';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import { resultOf, serialiseResult } from './bill-pay-result';
import { RESOLVE, type FollowUps } from './resolution/follow-ups';

const HOUSEKEEPING_LOCK = 7_402_001;
/** The recurring job (src/infrastructure/jobs) a sweep runs as. */
export const HOUSEKEEPING_JOB = 'housekeeping.sweep';

/**
 * Periodic work that must run once per cluster: finish requests a dead node left in flight (their
 * partners get a PENDING answer on retry instead of 409 forever; a node is dead once its lease runs
 * out, see NodeLease, or after the fixed in-flight timeout for keys no lease covers), hand each of
 * them to its resolution (the same as any pending payment's: a `payment.resolve` job in the same
 * transaction), and purge idempotency keys past their retention. It runs as a recurring job, one
 * round per period across the cluster (`scheduleOn`); a round also takes a transaction-scoped advisory
 * lock, so a sweep run by hand never races it.
 */
export class Housekeeping {
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

  /** Registers the sweep on a node's job runner: once per cluster every `everyMs`. */
  scheduleOn(runner: JobRunner, everyMs = 30_000): void {
    runner.every(HOUSEKEEPING_JOB, { everyMs }, async () => {
      await this.runOnce().catch((error: unknown) => {
        this.log.error({ err: error }, 'housekeeping failed');
        throw error;
      });
      // Owed refunds are retried by their own jobs (CoreBankingRefunds); the sweep shows ops how many are left.
      if (this.refunds !== undefined) {
        const stillOwed = await this.refunds.owed(this.db);
        this.metrics.refundsOwed.set(stillOwed);
        if (stillOwed > 0) this.log.warn({ stillOwed }, 'core-banking refunds still owed');
      }
    });
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

  async runOnce(now = new Date()): Promise<{ recovered: number; purged: number }> {
    const swept = await oncePerCluster(this.db, HOUSEKEEPING_LOCK, async (tx) => {
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
      for (const paymentId of (await this.refunds?.adoptOrphans(tx, now)) ?? []) {
        this.log.error({ paymentId }, 'core-banking refund owed with no job to retry it; given one');
      }
      const purged = await this.idempotency.purgeExpired(tx, now);
      return { recovered, purged };
    });
    return swept ?? { recovered: 0, purged: 0 };
  }
}
