import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Reconciliation at a million rows per file (issue 12's 15 s budget):
 *
 * - recon_source_rows loses its foreign key to recon_files. The check is a trigger per row: 4.5 s
 *   of a 1,000,000-row COPY's 6.8 s, measured here. Rows are only ever written by the intake, in the
 *   transaction that inserts their file, and files are never deleted; a distributed layout (Citus)
 *   could not keep this key either (recon_files is not distributed by file_id).
 * - recon_matches carries the matched row's amount, currency, status and value date (copied by the
 *   matching statement, which reads the row anyway), so the day's comparison joins our payments to
 *   the matches alone instead of to the matches and the million source rows again. Null for
 *   ambiguous rows (they name no payment and are not compared).
 * - A row that matched none of our payments gets an entry too (outcome 'unmatched', no key, no
 *   payment), found by the matching statement from the candidates it has at hand, so the run no
 *   longer joins every row of the day's files to every match to find the few that are missing.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table recon_source_rows drop constraint if exists recon_source_rows_file_id_fkey;
    alter table recon_matches
      add column amount bigint,
      add column currency char(3),
      add column status text,
      add column value_date date,
      alter column match_key drop not null,
      drop constraint recon_matches_check,
      drop constraint recon_matches_outcome_check;
    alter table recon_matches
      add constraint recon_matches_outcome_check
        check (outcome in ('matched', 'ambiguous', 'duplicate', 'unmatched')),
      add constraint recon_matches_check check ((outcome in ('ambiguous', 'unmatched')) = (payment_id is null)),
      add constraint recon_matches_key_check check ((outcome = 'unmatched') = (match_key is null));
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    delete from recon_matches where outcome = 'unmatched';
    alter table recon_matches
      drop constraint recon_matches_key_check,
      drop constraint recon_matches_check,
      drop constraint recon_matches_outcome_check;
    alter table recon_matches
      drop column amount, drop column currency, drop column status, drop column value_date,
      alter column match_key set not null,
      add constraint recon_matches_outcome_check check (outcome in ('matched', 'ambiguous', 'duplicate')),
      add constraint recon_matches_check check ((outcome = 'ambiguous') = (payment_id is null));
    alter table recon_source_rows
      add constraint recon_source_rows_file_id_fkey foreign key (file_id) references recon_files (id);
  `,
  );
}
