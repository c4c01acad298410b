import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * The OTC agent network: agents with a region and a cash limit that counts cash collected and not yet
 * settled (not the calendar day), their terminals with device credentials of their own, settlements,
 * immutable cash count sheets with their variances, and what offline terminals sync.
 *
 * An agent's cash account (ledger kind 'agent') keeps no stored balance: the bank's claim on the
 * agent's till is the sum of its journal lines. The limit is held by agents.unsettled_cash, moved in
 * the same transaction as those lines by a guarded UPDATE, so nodes racing on one agent cannot
 * together exceed it. Agents on the pre-funded model of the foundation migration get a cash account.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table agents add column region text not null default 'unassigned';
    -- debits minus credits of the agent's cash account: cash the agent holds for the bank
    alter table agents add column unsettled_cash bigint not null default 0;
    alter table agents add column count_variance_threshold bigint not null default 50000
      check (count_variance_threshold >= 0);
    alter table agents add column suspension_reason text;
    alter table agents add column updated_at timestamptz not null default now();

    insert into ledger_accounts (id, kind, owner_id, currency)
      select 'agent-cash:' || a.id, 'agent', a.id, a.currency
      from agents a join ledger_accounts l on l.id = a.account_id
      where l.min_balance is not null
      on conflict (id) do nothing;
    update agents a set account_id = 'agent-cash:' || a.id
      from ledger_accounts l
      where l.id = a.account_id and l.min_balance is not null;
    drop table agent_daily_usage;

    create table agent_terminals (
      id text primary key,
      agent_id text not null references agents (id),
      label text not null,
      key_hash text not null unique,
      key_hint text not null,
      status text not null default 'active' check (status in ('active', 'revoked')),
      revoked_at timestamptz,
      revocation_reason text,
      offline_max_count integer not null default 0 check (offline_max_count >= 0),
      offline_max_total bigint not null default 0 check (offline_max_total >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((status = 'revoked') = (revoked_at is not null))
    );
    create index agent_terminals_agent on agent_terminals (agent_id);

    create table agent_settlements (
      id uuid primary key,
      agent_id text not null references agents (id),
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      journal_entry_id bigint not null references journal_entries (id),
      source text not null check (source in ('ops', 'agent-banking-core')),
      reference text not null,
      actor text not null,
      reason text not null,
      created_at timestamptz not null default now(),
      -- a deposit slip settles once however often it is sent
      unique (agent_id, reference)
    );

    create table agent_count_sheets (
      id uuid primary key,
      agent_id text not null references agents (id),
      business_date date not null,
      currency char(3) not null,
      denominations jsonb not null,
      counted_total bigint not null check (counted_total >= 0),
      ledger_position bigint not null,
      variance bigint not null,
      corrects uuid unique references agent_count_sheets (id),
      submitted_by text not null,
      note text,
      created_at timestamptz not null default now(),
      check (variance = counted_total - ledger_position)
    );
    create index agent_count_sheets_agent_day on agent_count_sheets (agent_id, business_date);

    -- Submitted sheets are evidence: no code path may change or remove one.
    create function agent_count_sheets_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'count sheets are immutable; submit a correction that references sheet %', old.id
        using errcode = '55000';
    end $$;
    create trigger agent_count_sheets_immutable
      before update or delete on agent_count_sheets
      for each row execute function agent_count_sheets_immutable();

    -- What a reconciliation break needs (agent, day, amount, currency, sheet); the recon module
    -- turns an open, unsuperseded row into a break owned by ops.
    create table agent_cash_variances (
      sheet_id uuid primary key references agent_count_sheets (id),
      agent_id text not null references agents (id),
      business_date date not null,
      amount bigint not null check (amount <> 0),
      currency char(3) not null,
      threshold bigint not null,
      suspended boolean not null,
      superseded_by uuid references agent_count_sheets (id),
      cleared_at timestamptz,
      cleared_by text,
      clear_reason text,
      created_at timestamptz not null default now(),
      check ((cleared_at is null) = (cleared_by is null))
    );
    create index agent_cash_variances_day on agent_cash_variances (business_date);

    -- Every offline payment a terminal synced, decided once: a resent batch finds its items here.
    create table agent_offline_items (
      terminal_id text not null references agent_terminals (id),
      idempotency_key text not null,
      payment_id uuid not null unique,
      agent_id text not null references agents (id),
      batch_id uuid not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      captured_at timestamptz not null,
      within_allowance boolean not null,
      created_at timestamptz not null default now(),
      primary key (terminal_id, idempotency_key)
    );

    create table agent_limit_breaches (
      payment_id uuid primary key,
      agent_id text not null references agents (id),
      terminal_id text not null references agent_terminals (id),
      batch_id uuid not null,
      amount bigint not null check (amount > 0),
      over_by bigint not null check (over_by > 0),
      currency char(3) not null,
      acknowledged_at timestamptz,
      acknowledged_by text,
      created_at timestamptz not null default now()
    );
    create index agent_limit_breaches_agent on agent_limit_breaches (agent_id, created_at);
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop table if exists agent_limit_breaches;
    drop table if exists agent_offline_items;
    drop table if exists agent_cash_variances;
    drop trigger if exists agent_count_sheets_immutable on agent_count_sheets;
    drop function if exists agent_count_sheets_immutable();
    drop table if exists agent_count_sheets;
    drop table if exists agent_settlements;
    drop table if exists agent_terminals;
    create table agent_daily_usage (
      agent_id text not null references agents (id),
      business_date date not null,
      used bigint not null default 0 check (used >= 0),
      primary key (agent_id, business_date)
    );
    alter table agents drop column updated_at;
    alter table agents drop column suspension_reason;
    alter table agents drop column count_variance_threshold;
    alter table agents drop column unsettled_cash;
    alter table agents drop column region;
  `,
  );
}
