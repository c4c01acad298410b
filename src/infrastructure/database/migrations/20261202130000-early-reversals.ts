import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Reversals that arrived before their original (an ISO 8583 0420 advice overtaking its 0200, say).
 * The acquirer has already reversed on its side, so the advice is acknowledged and kept here; when
 * the original arrives it is declined, never left approved. Which of the two came first is decided by
 * the idempotency key of the original: the advice claims it (see EarlyReversals), so the same primary
 * key that makes payments unique across nodes also orders an advice against its racing original.
 * The identities are the protocol's own (scope + key), carried opaquely.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table early_reversals (
      partner_id text not null references partners (id),
      original_scope text not null,
      original_key text not null,
      reversal_scope text not null,
      reversal_key text not null,
      amount bigint check (amount > 0),
      currency char(3),
      reason text not null,
      received_at timestamptz not null,
      payment_id uuid references payments (id),
      matched_at timestamptz,
      primary key (partner_id, original_scope, original_key),
      check ((payment_id is null) = (matched_at is null))
    );
    create index early_reversals_awaiting on early_reversals (received_at) where payment_id is null;
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `drop table if exists early_reversals;`);
}
