import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Durable jobs (src/infrastructure/jobs): work that must happen after a transaction commits and must
 * survive the node that committed it — refunds to retry, payments to resolve, reversals to forward.
 * A job is enqueued in the caller's transaction, so it exists exactly when the change that needs it
 * does.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table jobs (
      id bigint generated always as identity primary key,
      kind text not null check (kind ~ '^[a-z][a-z0-9_.-]{1,63}$'),
      -- at most one job per (kind, dedupe key), ever: enqueueing the same work twice is a no-op
      dedupe_key text,
      -- jobs sharing an ordering key run one at a time, in the order they were enqueued
      ordering_key text,
      payload jsonb not null default '{}',
      state text not null default 'pending' check (state in ('pending', 'running', 'done', 'dead')),
      run_at timestamptz not null,
      attempts integer not null default 0 check (attempts >= 0),
      lease_owner text,
      lease_until timestamptz,
      last_error text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (state <> 'running' or (lease_owner is not null and lease_until is not null))
    );
    create unique index jobs_dedupe on jobs (kind, dedupe_key) where dedupe_key is not null;
    create index jobs_due on jobs (run_at, id) where state = 'pending';
    create index jobs_leased on jobs (lease_until) where state = 'running';
    create index jobs_ordering on jobs (ordering_key, id) where ordering_key is not null and state in ('pending', 'running');
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `drop table if exists jobs;`);
}
