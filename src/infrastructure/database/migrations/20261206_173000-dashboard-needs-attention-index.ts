import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * The Today page counts payments waiting in each state every poll. RECEIVED, POSTED and PENDING
 * have their partial index (payments_status); NEEDS_ATTENTION needs one too, or every poll walks the
 * whole payments table. Partial: only the payments waiting for ops are in it.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `create index payments_needs_attention on payments (created_at) where status = 'NEEDS_ATTENTION';`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `drop index if exists payments_needs_attention;`);
}
