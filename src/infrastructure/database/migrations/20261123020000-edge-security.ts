import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Edge security and partner onboarding.
 *
 * Credentials (client certificates, API keys, webhook secrets) share one validity model: valid_from,
 * valid_until (set to the end of the notice window when the credential is rotated, so it stops by
 * itself), revoked_at (immediate), supersedes / notice_ends_at linking a rotation's old and new.
 * Token signing keys are a key ring kept as one snapshot row (its private keys are in clear here:
 * encrypting them at rest with a KMS/envelope key is a production follow-up).
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table partners add column schedules jsonb;
    alter table partners add column notice_hours integer not null default 24
      check (notice_hours between 0 and 2160);
    alter table partners add column status_changed_at timestamptz not null default now();
    alter table partners add column contracts_signed_at timestamptz;
    alter table partners add column certification_passed_at timestamptz;
    alter table partners add constraint partners_status check
      (status in ('draft', 'contracts-signed', 'connectivity', 'certification', 'live', 'suspended'));

    create table partner_state_history (
      id bigint generated always as identity primary key,
      partner_id text not null references partners (id),
      from_state text,
      to_state text not null,
      at timestamptz not null,
      actor text not null,
      reason text not null default ''
    );
    create index partner_state_history_partner on partner_state_history (partner_id, at);

    -- CIDRs assigned to a partner on a lane by ops (in addition to those of the lane configuration)
    create table partner_lane_cidrs (
      partner_id text not null references partners (id),
      lane_id text not null,
      cidr text not null,
      created_at timestamptz not null default now(),
      primary key (partner_id, lane_id, cidr)
    );

    create table partner_certificates (
      id uuid primary key default gen_random_uuid(),
      partner_id text not null references partners (id),
      fingerprint text not null unique check (fingerprint ~ '^[A-Za-z0-9_-]{43}$'),
      subject text not null default '',
      cert_pem text,
      not_before timestamptz,
      not_after timestamptz,
      valid_from timestamptz not null,
      valid_until timestamptz,
      revoked_at timestamptz,
      revocation_reason text,
      supersedes uuid references partner_certificates (id),
      notice_ends_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index partner_certificates_partner on partner_certificates (partner_id);

    alter table api_keys add column supersedes uuid references api_keys (id);
    alter table api_keys add column notice_ends_at timestamptz;
    alter table api_keys add column revocation_reason text;

    create table webhook_secrets (
      id uuid primary key default gen_random_uuid(),
      partner_id text not null references partners (id),
      secret text not null,
      fingerprint text not null unique,
      hint text not null,
      valid_from timestamptz not null,
      valid_until timestamptz,
      revoked_at timestamptz,
      revocation_reason text,
      supersedes uuid references webhook_secrets (id),
      notice_ends_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index webhook_secrets_partner on webhook_secrets (partner_id);

    create table token_signing_keys (
      id smallint primary key check (id = 1),
      snapshot jsonb not null,
      version integer not null default 1,
      updated_at timestamptz not null default now()
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop table token_signing_keys;
    drop table webhook_secrets;
    alter table api_keys drop column revocation_reason;
    alter table api_keys drop column notice_ends_at;
    alter table api_keys drop column supersedes;
    drop table partner_certificates;
    drop table partner_lane_cidrs;
    drop table partner_state_history;
    alter table partners drop constraint partners_status;
    alter table partners drop column certification_passed_at;
    alter table partners drop column contracts_signed_at;
    alter table partners drop column status_changed_at;
    alter table partners drop column notice_hours;
    alter table partners drop column schedules;
    `,
  );
}
