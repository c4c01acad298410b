import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * uetr_claims began empty, so a UETR paid before it existed belonged to nobody: another partner
 * presenting it would claim it and be paid again, and the first partner's own resend would then be
 * refused DUPL. Each UETR already paid is claimed for the partner whose payment carried it first.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    insert into uetr_claims (uetr, partner_id, claimed_at)
    select distinct on (p.origin ->> 'uetr') p.origin ->> 'uetr', p.partner_id, p.received_at
    from payments p
    where p.origin ->> 'uetr' is not null
    order by p.origin ->> 'uetr', p.received_at, p.id
    on conflict (uetr) do nothing;
  `,
  );
}

export function down(): Promise<void> {
  // The claims stay: they record who paid under each UETR (dropping uetr_claims itself undoes them).
  return Promise.resolve();
}
