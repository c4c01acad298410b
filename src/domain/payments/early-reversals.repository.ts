import type { Selectable } from 'kysely';
import type { EarlyReversalsTable } from '../../infrastructure/database/schema';
import type { Executor } from '../db';

/** A reversal kept because its original had not arrived; identities as the protocol derived them. */
export interface EarlyReversal {
  readonly partnerId: string;
  readonly original: { readonly scope: string; readonly key: string };
  readonly reversal: { readonly scope: string; readonly key: string };
  readonly amountMinor: bigint | null;
  readonly currency: string | null;
  readonly reason: string;
  readonly receivedAt: Date;
  /** The late original, once it arrived (and was declined). */
  readonly paymentId: string | null;
  readonly matchedAt: Date | null;
}

type OriginalId = { readonly partnerId: string; readonly scope: string; readonly key: string };

/** The early_reversals table (migration 20261202130000). */
export class EarlyReversalsRepository {
  async insert(db: Executor, r: Omit<EarlyReversal, 'paymentId' | 'matchedAt'>): Promise<void> {
    await db
      .insertInto('early_reversals')
      .values({
        partner_id: r.partnerId,
        original_scope: r.original.scope,
        original_key: r.original.key,
        reversal_scope: r.reversal.scope,
        reversal_key: r.reversal.key,
        amount: r.amountMinor,
        currency: r.currency,
        reason: r.reason,
        received_at: r.receivedAt,
      })
      .execute();
  }

  /** The reversal kept for this original, locked for the rest of the transaction. */
  async lock(db: Executor, id: OriginalId): Promise<EarlyReversal | undefined> {
    const row = await db
      .selectFrom('early_reversals')
      .selectAll()
      .where('partner_id', '=', id.partnerId)
      .where('original_scope', '=', id.scope)
      .where('original_key', '=', id.key)
      .forUpdate()
      .executeTakeFirst();
    return row === undefined ? undefined : toEarlyReversal(row);
  }

  async find(db: Executor, id: OriginalId): Promise<EarlyReversal | undefined> {
    const row = await db
      .selectFrom('early_reversals')
      .selectAll()
      .where('partner_id', '=', id.partnerId)
      .where('original_scope', '=', id.scope)
      .where('original_key', '=', id.key)
      .executeTakeFirst();
    return row === undefined ? undefined : toEarlyReversal(row);
  }

  async markMatched(db: Executor, id: OriginalId, paymentId: string, at: Date): Promise<void> {
    await db
      .updateTable('early_reversals')
      .set({ payment_id: paymentId, matched_at: at })
      .where('partner_id', '=', id.partnerId)
      .where('original_scope', '=', id.scope)
      .where('original_key', '=', id.key)
      .where('payment_id', 'is', null)
      .execute();
  }
}

function toEarlyReversal(row: Selectable<EarlyReversalsTable>): EarlyReversal {
  return {
    partnerId: row.partner_id,
    original: { scope: row.original_scope, key: row.original_key },
    reversal: { scope: row.reversal_scope, key: row.reversal_key },
    amountMinor: row.amount === null ? null : BigInt(row.amount),
    currency: row.currency,
    reason: row.reason,
    receivedAt: new Date(row.received_at),
    paymentId: row.payment_id,
    matchedAt: row.matched_at === null ? null : new Date(row.matched_at),
  };
}
