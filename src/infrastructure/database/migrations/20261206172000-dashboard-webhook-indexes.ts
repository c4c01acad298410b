import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * The ops dashboard reads webhook delivery health per subscription (deliveries that gave up, the
 * last day's deliveries and failed attempts) and one payment's events and deliveries. Without these
 * each read walks the whole delivery log, which only grows. The partial indexes cover few rows:
 * failed deliveries and failed attempts are the exception.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create index webhook_deliveries_failed on webhook_deliveries (subscription_id) where state = 'failed';
    create index webhook_deliveries_delivered on webhook_deliveries (delivered_at) where state = 'delivered';
    create index webhook_delivery_attempts_failures on webhook_delivery_attempts (at)
      where outcome <> 'delivered';
    create index webhook_events_payment on webhook_events (payment_id);
    create index webhook_deliveries_payment on webhook_deliveries (payment_id);
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop index if exists webhook_deliveries_payment;
    drop index if exists webhook_events_payment;
    drop index if exists webhook_delivery_attempts_failures;
    drop index if exists webhook_deliveries_delivered;
    drop index if exists webhook_deliveries_failed;
  `,
  );
}
