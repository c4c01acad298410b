import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Refunds owed to bank customers are retried by durable jobs (one `core-banking.refund` job per
 * refund, keyed by its payment id) instead of a loop over core_banking_refunds.next_attempt_at. A
 * refund owed when this runs gets its job, due when its next attempt was, so none is left behind.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    insert into jobs (kind, dedupe_key, payload, state, run_at, attempts, created_at, updated_at)
    select 'core-banking.refund', r.payment_id::text, jsonb_build_object('paymentId', r.payment_id::text),
           'pending', r.next_attempt_at, 0, now(), now()
    from core_banking_refunds r
    where r.state = 'owed'
    on conflict (kind, dedupe_key) where dedupe_key is not null do nothing;
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `delete from jobs where kind = 'core-banking.refund';`);
}
