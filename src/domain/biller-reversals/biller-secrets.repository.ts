import type { Executor } from '../db';
import { uuidv7 } from '../ids';

/**
 * The secrets billers sign their reversal requests with (Standard Webhooks format, whsec_…). More
 * than one may be valid while a biller rotates. The secret itself never leaves this module but to
 * verify a signature: no API returns it and no log line carries it.
 */
export class BillerSecretsRepository {
  /** The biller's secrets valid at `now`. */
  async validAt(db: Executor, billerId: string, now: Date): Promise<string[]> {
    const rows = await db
      .selectFrom('biller_secrets')
      .select('secret')
      .where('biller_id', '=', billerId)
      .where('valid_from', '<=', now)
      .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]))
      .execute();
    return rows.map((r) => r.secret);
  }

  /** Registers a secret unless the biller already has this one (seeding is repeatable). */
  async add(db: Executor, billerId: string, secret: string, validFrom: Date): Promise<void> {
    const existing = await db
      .selectFrom('biller_secrets')
      .select('id')
      .where('biller_id', '=', billerId)
      .where('secret', '=', secret)
      .executeTakeFirst();
    if (existing !== undefined) return;
    await db
      .insertInto('biller_secrets')
      .values({
        id: uuidv7(validFrom.getTime()),
        biller_id: billerId,
        secret,
        hint: secret.slice(-4),
        valid_from: validFrom,
      })
      .execute();
  }

  /** Whether the biller's terms allow reversing less than the whole payment. */
  async partialReversalsAllowed(db: Executor, billerId: string): Promise<boolean> {
    const row = await db
      .selectFrom('biller_reversal_terms')
      .select('partial_reversals')
      .where('biller_id', '=', billerId)
      .executeTakeFirst();
    return row?.partial_reversals ?? false;
  }
}
