import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * A UETR (ISO 20022 PmtId/UETR) is unique worldwide, while idempotency keys are scoped per partner:
 * without this table a second partner sending a UETR already paid would be paid again. The first
 * partner to present a UETR for payment claims it here; the primary key makes that claim win exactly
 * once across every node, and a claim is never released (the UETR stays that partner's).
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table uetr_claims (
      uetr text primary key,
      partner_id text not null references partners (id),
      claimed_at timestamptz not null default now()
    );
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `drop table if exists uetr_claims;`);
}
