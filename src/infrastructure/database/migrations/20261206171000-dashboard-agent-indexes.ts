import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * The ops dashboard's agents page reads, per agent, its terminals' last sync and its open
 * variances and limit breaches. agent_offline_items is keyed by terminal and idempotency key and
 * grows with every offline payment, so the per-agent read gets an index of its own; open variances
 * are few and read by agent.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create index agent_offline_items_agent on agent_offline_items (agent_id, terminal_id, created_at);
    create index agent_cash_variances_open on agent_cash_variances (agent_id)
      where cleared_at is null and superseded_by is null;
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `drop index if exists agent_cash_variances_open; drop index if exists agent_offline_items_agent;`,
  );
}
