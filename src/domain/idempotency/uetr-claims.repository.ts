import type { Executor } from '../db';

/** Who a UETR belongs to, as the partner presenting it learns. */
export type UetrClaim =
  | { readonly kind: 'claimed' }
  /** This partner presented it before: its own repeat, for the idempotency record to answer. */
  | { readonly kind: 'own' }
  | { readonly kind: 'taken'; readonly owner: string };

/**
 * UETRs are unique worldwide, idempotency keys only per partner: the first partner to present a UETR
 * for payment owns it (uetr_claims' primary key decides a race between nodes), and any other partner
 * presenting it is refused before anything is posted. A claim is never released.
 */
export class UetrClaimsRepository {
  constructor(private readonly db: Executor) {}

  async claim(uetr: string, partnerId: string, now: Date, db: Executor = this.db): Promise<UetrClaim> {
    // On a conflict the insert waits for the transaction holding the row, so the read after it sees
    // the owner that won.
    const inserted = await db
      .insertInto('uetr_claims')
      .values({ uetr, partner_id: partnerId, claimed_at: now })
      .onConflict((oc) => oc.column('uetr').doNothing())
      .returning('uetr')
      .executeTakeFirst();
    if (inserted !== undefined) return { kind: 'claimed' };
    const owner = await db
      .selectFrom('uetr_claims')
      .select('partner_id')
      .where('uetr', '=', uetr)
      .executeTakeFirstOrThrow();
    return owner.partner_id === partnerId ? { kind: 'own' } : { kind: 'taken', owner: owner.partner_id };
  }
}
