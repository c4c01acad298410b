import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Three-way reconciliation (issue 12): the files received from partners and billers, their rows in
 * one normalised shape, how each row matched our payments, the runs, and the breaks ops work.
 *
 * Matching runs in plain SQL over these tables (no extension, no PL/pgSQL), so the same statements
 * run on Citus when a day outgrows one machine: recon_source_rows and recon_matches would be
 * distributed by file_id, recon_breaks by business_date.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    -- One file as received; the same bytes twice for the same source and day are one file
    -- (sha256), from whichever channel. (A header-only file of two billers, or of two quiet days,
    -- has the same bytes and is still two files.)
    create table recon_files (
      id uuid primary key,
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      source text not null check (source in ('partner', 'biller')),
      source_id text not null,
      format text not null check (format in ('csv', 'camt.053', 'camt.054')),
      business_date date not null,
      row_count integer not null check (row_count >= 0),
      byte_size bigint not null check (byte_size >= 0),
      file_name text,
      received_via text not null
        check (received_via in ('ops-upload', 'partner-upload', 'watched-directory', 'scheduled-fetch', 'cli')),
      received_by text not null,
      received_at timestamptz not null default now(),
      unique (source, source_id, business_date, sha256)
    );
    create index recon_files_day on recon_files (business_date, source, source_id, received_at);

    -- Every row of a file in one shape, whatever its layout: what the matcher reads.
    create table recon_source_rows (
      file_id uuid not null references recon_files (id),
      line_no integer not null,
      payment_id uuid,
      partner_reference text,
      biller_receipt text,
      amount bigint not null,
      currency char(3) not null,
      status text not null check (status in ('OK', 'FAIL', 'REVERSED')),
      value_date date not null,
      primary key (file_id, line_no)
    );

    -- How each row of a file matched one of our payments (a row with no entry matched none).
    -- Derived data, recomputed by every run of the file's day: unlogged (no WAL to write a million
    -- rows twice); a crash empties it and the next run fills it again.
    create unlogged table recon_matches (
      file_id uuid not null,
      line_no integer not null,
      payment_id uuid,
      match_key text not null check (match_key in ('payment-id', 'partner-reference', 'biller-receipt')),
      outcome text not null check (outcome in ('matched', 'ambiguous', 'duplicate')),
      candidates integer not null,
      -- the payment was received on another business day than the file's (a shifted date)
      other_day boolean not null default false,
      check ((outcome = 'ambiguous') = (payment_id is null))
    );
    -- Written a file at a time by one statement (one row per line by construction) and read a file
    -- at a time through hash joins: an index on the file alone (deduplicated, so nearly free to
    -- maintain) instead of a unique key whose million random inserts cost a second per file.
    create index recon_matches_file on recon_matches (file_id);

    create table recon_runs (
      id uuid primary key,
      business_date date not null,
      partner_id text,
      trigger text not null check (trigger in ('schedule', 'cli', 'api')),
      state text not null check (state in ('running', 'done', 'failed')),
      phase text not null default 'starting',
      progress_done bigint not null default 0,
      progress_total bigint not null default 0,
      counts jsonb not null default '{}',
      files jsonb not null default '[]',
      error text,
      started_by text not null,
      started_at timestamptz not null default now(),
      -- a running run's node renews this; one silent for long was abandoned and may be taken over
      heartbeat_at timestamptz not null default now(),
      finished_at timestamptz
    );
    create index recon_runs_day on recon_runs (business_date, started_at);
    -- One run at a time in the whole cluster, whichever node or channel started it.
    create unique index recon_runs_one_running on recon_runs ((true)) where state = 'running';

    -- One break per disagreeing transaction and day; its key survives re-runs, so work on it is kept.
    create table recon_breaks (
      id uuid primary key,
      business_date date not null,
      break_key text not null,
      code text not null check (code in ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8')),
      owner text not null check (owner in ('ops', 'eng', 'partner-ops')),
      partner_id text,
      biller_id text,
      payment_id uuid,
      currency char(3),
      amount bigint,
      summary text not null,
      evidence jsonb not null,
      state text not null check (state in ('open', 'resolved', 'cleared')),
      assignee text,
      resolution_code text,
      journal_entry_id bigint references journal_entries (id),
      raised_at timestamptz not null,
      last_run_id uuid,
      updated_at timestamptz not null,
      resolved_at timestamptz,
      resolved_by text,
      cleared_at timestamptz,
      unique (business_date, break_key),
      check ((state = 'resolved') = (resolved_at is not null)),
      check ((state = 'cleared') = (cleared_at is not null))
    );
    create index recon_breaks_open on recon_breaks (raised_at) where state = 'open';
    create index recon_breaks_partner on recon_breaks (partner_id, business_date);

    -- What happened to a break, oldest first: raised, recomputed, assigned, commented, resolved, cleared.
    create table recon_break_events (
      id bigint generated always as identity primary key,
      break_id uuid not null references recon_breaks (id),
      at timestamptz not null default now(),
      actor text not null,
      kind text not null
        check (kind in ('raised', 'changed', 'assigned', 'commented', 'resolved', 'cleared', 'reopened')),
      note text,
      data jsonb
    );
    create index recon_break_events_break on recon_break_events (break_id, id);

    -- A biller's posting-file layout and where to fetch it: the reconciliation part of its configuration.
    create table recon_biller_configs (
      biller_id text primary key references biller_endpoints (id),
      posting_file jsonb not null,
      updated_by text not null,
      updated_at timestamptz not null default now()
    );

    -- The ledger side of a business day is read by received time.
    create index payments_received_at on payments (received_at);
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop index payments_received_at;
    drop table recon_biller_configs;
    drop table recon_break_events;
    drop table recon_breaks;
    drop table recon_runs;
    drop table recon_matches;
    drop table recon_source_rows;
    drop table recon_files;
  `,
  );
}
