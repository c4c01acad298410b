import { sql } from 'kysely';
import type { Db } from '../domain/db';
import type { IdempotencyRepository } from '../domain/idempotency/idempotency.repository';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import { resultOf, serialiseResult } from './bill-pay-result';

const HOUSEKEEPING_LOCK = 7_402_001;

/**
 * Periodic work that must run once per cluster: finish requests a dead node left in flight (their
 * partners get a PENDING answer on retry instead of 409 forever) and purge idempotency keys past
 * their retention. Each run takes a transaction-scoped advisory lock, so nodes never race.
 */
export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly idempotency: IdempotencyRepository,
    private readonly payments: PaymentsRepository,
    private readonly inFlightTimeoutMs: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  start(everyMs = 30_000): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.log.error({ err: error }, 'housekeeping failed'));
    }, everyMs);
    this.timer.unref();
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
      let recovered = 0;
      for (const stale of await this.idempotency.findStale(tx, olderThan)) {
        if (!(await this.idempotency.claimStale(tx, stale, olderThan))) continue;
        if (stale.paymentId === null) continue;
        const payment = await this.payments.findById(tx, stale.paymentId);
        if (payment === undefined) continue;
        const settled =
          payment.state === 'RECEIVED' || payment.state === 'POSTED'
            ? await this.payments.update(tx, payment.id, {
                state: 'PENDING',
                reasonCode: 'PROCESSING_INTERRUPTED',
              })
            : payment;
        await this.idempotency.complete(tx, stale, serialiseResult(resultOf(settled)), now);
        recovered += 1;
        this.log.warn(
          { paymentId: payment.id, state: payment.state },
          'in-flight payment recovered as pending',
        );
      }
      this.metrics.inFlightRecovered.set(recovered);
      const purged = await this.idempotency.purgeExpired(tx, now);
      return { recovered, purged };
    });
  }
}
