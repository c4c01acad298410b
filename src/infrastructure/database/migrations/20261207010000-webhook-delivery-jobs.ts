import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Webhook deliveries are scheduled by durable jobs (one `webhook.deliver` job per delivery, keyed by
 * its id, ordered by its subscription and payment) instead of a poll loop over webhook_deliveries.
 * A delivery pending when this runs gets its job, due when its next attempt was, in delivery order
 * (seq), so none is left behind and a payment's events still reach a partner in order.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    insert into jobs (kind, dedupe_key, ordering_key, payload, state, run_at, attempts, created_at, updated_at)
    select 'webhook.deliver', d.id::text, 'webhook:' || d.subscription_id::text || ':' || d.payment_id::text,
           jsonb_build_object('deliveryId', d.id::text), 'pending', d.next_attempt_at, 0, now(), now()
    from webhook_deliveries d
    where d.state = 'pending'
    order by d.seq
    on conflict (kind, dedupe_key) where dedupe_key is not null do nothing;
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `delete from jobs where kind in ('webhook.deliver', 'webhook.adopt-orphans');`);
}
