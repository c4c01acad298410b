import { MicroBatcher, type MicroBatcherOptions } from '../../infrastructure/batching/micro-batcher';
import { isDataError, type Db } from '../db';
import { UetrClaimsRepository, type UetrClaim } from './uetr-claims.repository';

/**
 * Claims UETRs for the partners presenting them, in batches (group commit): one statement serves
 * every payment claiming at the same moment, so the claim adds no commit of its own per payment.
 */
export class UetrClaims {
  private readonly batcher: MicroBatcher<{ uetr: string; partnerId: string; at: Date }, UetrClaim>;

  constructor(
    db: Db,
    options: MicroBatcherOptions = { maxBatch: 256, maxInFlight: 2 },
    repository = new UetrClaimsRepository(),
  ) {
    this.batcher = new MicroBatcher((items) => repository.claimMany(db, items), {
      ...options,
      isolate: isDataError,
    });
  }

  /** Whose the UETR is once this partner has presented it: its own (now or before), or another's. */
  claim(uetr: string, partnerId: string, at: Date): Promise<UetrClaim> {
    return this.batcher.submit({ uetr, partnerId, at });
  }
}
