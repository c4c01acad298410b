import { sql } from 'kysely';
import type { Executor } from '../db';

/**
 * The onboarding module's read of a partner's payments (written by the pipeline, read here only):
 * when its first payment settled, the end of the signing-to-first-payment clock.
 */
export class PartnerActivityRepository {
  constructor(private readonly db: Executor) {}

  /** The creation time of the partner's first payment that was approved (or approved and reversed since). */
  async firstSettledAt(partnerId: string, db: Executor = this.db): Promise<Date | null> {
    const first = await db
      .selectFrom('payments')
      .select(sql<Date | null>`min(created_at)`.as('first'))
      .where('partner_id', '=', partnerId)
      .where('status', 'in', ['APPROVED', 'REVERSED'])
      .executeTakeFirst();
    return first?.first === null || first?.first === undefined ? null : new Date(first.first);
  }
}
