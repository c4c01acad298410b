import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Refunds owed to bank customers. A customer debited at core banking whose payment then failed (the
 * biller declined it) or was reversed must be credited back; when core banking does not confirm the
 * credit at once, the debt is kept here, in the same transaction as the payment's state, and retried
 * until core banking confirms it. The reference is what core banking deduplicates on, so a retry can
 * never credit twice.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table core_banking_refunds (
      payment_id uuid primary key references payments (id),
      account text not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      reference text not null unique,
      state text not null check (state in ('owed', 'refunded')),
      attempts integer not null default 1 check (attempts >= 0),
      last_error text,
      core_banking_ref text,
      next_attempt_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (state = 'owed' or core_banking_ref is not null)
    );
    create index core_banking_refunds_due on core_banking_refunds (next_attempt_at) where state = 'owed';
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `drop table if exists core_banking_refunds;`);
}
