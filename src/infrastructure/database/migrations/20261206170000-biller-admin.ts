import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Ops own the billers (`/ops/billers`): a biller can be disabled (its routes stop answering, so its
 * payments decline NO_ROUTE instead of reaching it) and its address and timeout change under audit.
 * Disabling keeps the row: payments, reversals and reconciliation still refer to it.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table biller_endpoints add column disabled_at timestamptz;
    alter table biller_endpoints add column updated_at timestamptz not null default now();
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table biller_endpoints drop column if exists updated_at;
    alter table biller_endpoints drop column if exists disabled_at;
    `,
  );
}
