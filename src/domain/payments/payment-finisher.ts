import { MicroBatcher, type MicroBatcherOptions } from '../../infrastructure/batching/micro-batcher';
import { isDataError, type Db } from '../db';
import type { PaymentFinish, PaymentsRepository } from './payments.repository';

/**
 * Finishes payments (final state + idempotency answer) in batches: every payment ends with this
 * write, and on this machine each database round trip costs more than the statement itself, so
 * finishes that arrive while earlier ones are being written share the next statement.
 */
export class PaymentFinisher {
  private readonly batcher: MicroBatcher<PaymentFinish, boolean>;

  constructor(
    db: Db,
    payments: PaymentsRepository,
    now: () => Date = () => new Date(),
    options: MicroBatcherOptions = { maxBatch: 256, maxInFlight: 2 },
  ) {
    this.batcher = new MicroBatcher((items) => payments.finishMany(db, items, now()), {
      ...options,
      isolate: isDataError,
    });
  }

  /**
   * Answers false when the payment was decided by another path meanwhile (its resolution, a
   * reversal, ops) or its record vanished: nothing was written, the caller answers what is stored.
   */
  finish(f: PaymentFinish): Promise<boolean> {
    return this.batcher.submit(f);
  }
}
