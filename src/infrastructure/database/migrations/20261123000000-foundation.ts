import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/* Raw SQL on purpose: the schema is the contract with ops and with every node, so it reads as SQL. */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table partners (
      id text primary key,
      name text not null,
      kind text not null check (kind in ('bank', 'mfs', 'aggregator', 'card-scheme', 'otc-network')),
      payer_types text[] not null check (cardinality(payer_types) > 0),
      status text not null default 'live',
      created_at timestamptz not null default now()
    );

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      principal_type text not null check (principal_type in ('partner', 'ops')),
      principal_id text not null,
      key_hash text not null unique,
      key_hint text not null,
      valid_from timestamptz not null default now(),
      valid_until timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      check (valid_until is null or valid_until > valid_from)
    );
    create index api_keys_principal on api_keys (principal_type, principal_id);

    create table bill_types (
      code text primary key check (code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
      name text not null
    );

    create table ledger_accounts (
      id text primary key,
      kind text not null check (kind in ('float', 'agent', 'settlement', 'clearing', 'suspense', 'funding')),
      owner_id text,
      currency char(3) not null,
      -- credits minus debits; a float or agent account holds a positive balance
      balance bigint not null default 0,
      min_balance bigint,
      created_at timestamptz not null default now(),
      unique (id, currency),
      constraint balance_floor check (min_balance is null or balance >= min_balance)
    );

    create table biller_endpoints (
      id text primary key,
      biller_name text not null,
      bill_type text not null references bill_types (code),
      url text not null,
      timeout_ms integer not null check (timeout_ms between 50 and 120000),
      created_at timestamptz not null default now()
    );

    create table routing_rules (
      id uuid primary key default gen_random_uuid(),
      bill_type text not null references bill_types (code),
      payer_type text not null
        check (payer_type in ('bank-customer', 'mfs-user', 'otc-agent', 'card-on-file', 'wallet-aggregator')),
      partner_id text not null,
      biller_endpoint text not null references biller_endpoints (id),
      settlement_account text not null references ledger_accounts (id),
      enabled boolean not null default true,
      version integer not null default 1 check (version > 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    -- no two enabled rules may claim the same tuple
    create unique index routing_rules_enabled_tuple
      on routing_rules (bill_type, payer_type, partner_id) where enabled;

    create table agents (
      id text primary key,
      partner_id text not null references partners (id),
      account_id text not null references ledger_accounts (id),
      currency char(3) not null,
      daily_cash_limit bigint not null check (daily_cash_limit > 0),
      status text not null default 'active' check (status in ('active', 'suspended')),
      created_at timestamptz not null default now()
    );

    create table agent_daily_usage (
      agent_id text not null references agents (id),
      business_date date not null,
      used bigint not null default 0 check (used >= 0),
      primary key (agent_id, business_date)
    );

    create table payments (
      id uuid primary key,
      partner_id text not null references partners (id),
      lane text not null,
      protocol text not null,
      payer_type text not null,
      bill_type text not null,
      bill_reference text not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      payer_kind text not null check (payer_kind in ('account', 'wallet', 'agent', 'card-token')),
      payer_id text not null,
      partner_reference text not null,
      idempotency_key text not null,
      status text not null check (status in ('RECEIVED', 'POSTED', 'APPROVED', 'DECLINED', 'PENDING', 'REVERSED')),
      reason_code text not null,
      biller_receipt text,
      route_rule_id uuid,
      route_version integer,
      biller_endpoint text,
      settlement_account text,
      core_banking_ref text,
      origin jsonb not null default '{}',
      received_at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index payments_partner_reference on payments (partner_id, partner_reference);
    create index payments_created_at on payments (created_at);
    create index payments_status on payments (status) where status in ('RECEIVED', 'POSTED', 'PENDING');

    create table journal_entries (
      id bigint generated always as identity primary key,
      payment_id uuid references payments (id),
      kind text not null check (kind in ('payment', 'reversal', 'funding', 'adjustment')),
      currency char(3) not null,
      memo text not null,
      created_at timestamptz not null default now()
    );
    create index journal_entries_payment on journal_entries (payment_id);

    create table journal_lines (
      id bigint generated always as identity primary key,
      entry_id bigint not null references journal_entries (id),
      account_id text not null,
      currency char(3) not null,
      side char(1) not null check (side in ('D', 'C')),
      amount bigint not null check (amount > 0),
      foreign key (account_id, currency) references ledger_accounts (id, currency)
    );
    create index journal_lines_entry on journal_lines (entry_id);
    create index journal_lines_account on journal_lines (account_id);

    -- Every journal balances, checked by the database at commit whatever code wrote it.
    create function journal_entry_balances() returns trigger language plpgsql as $$
    declare
      net bigint;
      n integer;
    begin
      select coalesce(sum(case when side = 'D' then amount else -amount end), 0), count(*)
        into net, n
        from journal_lines where entry_id = new.entry_id;
      if n < 2 or net <> 0 then
        raise exception 'journal entry % does not balance (lines %, debits minus credits %)', new.entry_id, n, net
          using errcode = '23514';
      end if;
      return null;
    end $$;
    create constraint trigger journal_lines_balance
      after insert on journal_lines deferrable initially deferred
      for each row execute function journal_entry_balances();

    create table idempotency_keys (
      partner_id text not null,
      scope text not null,
      key text not null,
      fingerprint text not null,
      state text not null check (state in ('in_flight', 'completed')),
      payment_id uuid,
      result jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      expires_at timestamptz not null,
      primary key (partner_id, scope, key),
      check (state = 'in_flight' or result is not null)
    );
    create index idempotency_keys_expiry on idempotency_keys (expires_at);
    create index idempotency_keys_in_flight on idempotency_keys (updated_at) where state = 'in_flight';
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop table if exists idempotency_keys;
    drop table if exists journal_lines;
    drop function if exists journal_entry_balances();
    drop table if exists journal_entries;
    drop table if exists payments;
    drop table if exists agent_daily_usage;
    drop table if exists agents;
    drop table if exists routing_rules;
    drop table if exists biller_endpoints;
    drop table if exists ledger_accounts;
    drop table if exists bill_types;
    drop table if exists api_keys;
    drop table if exists partners;
  `,
  );
}
