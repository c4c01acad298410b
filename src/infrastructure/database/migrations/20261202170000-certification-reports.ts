import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Certification reports stored with the partner: the exact bytes that were signed (so the stored
 * report can be re-verified and handed to an auditor byte for byte), the detached JWS, and the public
 * key that verified it when it was stored (token signing keys retire after their overlap; a report
 * must stay checkable for as long as the Technical Schedule accepts it). The gate to live reads only
 * rows whose signature verified. Append-only: a report is never edited, a newer run supersedes it.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table certification_reports (
      id uuid primary key,
      partner_id text not null references partners (id),
      lane_id text not null,
      protocol text not null check (protocol in ('iso8583', 'rest', 'iso20022')),
      suite_id text not null,
      suite_version text not null,
      suite_sha256 text not null,
      dialect text,
      result text not null check (result in ('passed', 'failed')),
      cases integer not null check (cases >= 0),
      passed integer not null check (passed >= 0),
      failed integer not null check (failed >= 0),
      skipped integer not null check (skipped >= 0),
      started_at timestamptz not null,
      finished_at timestamptz not null,
      report text not null,
      report_sha256 text not null,
      jws text not null,
      kid text not null,
      public_jwk jsonb not null,
      stored_at timestamptz not null,
      stored_by text not null,
      reason text not null check (length(reason) > 0)
    );
    create index certification_reports_partner on certification_reports (partner_id, lane_id, protocol, finished_at desc);
    create function certification_reports_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'certification_reports is append-only';
    end $$;
    create trigger certification_reports_append_only before update or delete on certification_reports
      for each row execute function certification_reports_append_only();
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop table if exists certification_reports;
    drop function if exists certification_reports_append_only();
  `,
  );
}
