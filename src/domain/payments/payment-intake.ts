import { MicroBatcher, type MicroBatcherOptions } from '../../infrastructure/batching/micro-batcher';
import { isDataError, type Db } from '../db';
import type { PaymentClaim, PaymentsRepository } from './payments.repository';

/**
 * Claims idempotency keys and records the payments that won them, in batches (group commit): the
 * first write of every payment whose money moves outside our ledger first (core banking).
 */
export class PaymentIntake {
  private readonly batcher: MicroBatcher<PaymentClaim, boolean>;

  constructor(
    db: Db,
    payments: PaymentsRepository,
    options: MicroBatcherOptions = { maxBatch: 256, maxInFlight: 2 },
  ) {
    this.batcher = new MicroBatcher((items) => payments.claimAndRecordMany(db, items), {
      ...options,
      isolate: isDataError,
    });
  }

  /** True when this request owns the key and its payment is recorded; false when the key was taken. */
  claim(c: PaymentClaim): Promise<boolean> {
    return this.batcher.submit(c);
  }
}
