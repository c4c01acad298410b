import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Signed webhooks to partners (Standard Webhooks v1) and reversals initiated by billers.
 *
 * webhook_events is the transactional outbox: an event is written in the same transaction as the
 * state change that causes it, with one webhook_deliveries row per subscription it fans out to. A
 * delivery carries its own lease (leased_until, lease_token) so any number of nodes can run the
 * worker: a row is sent by whoever leased it, and only that lease may record the outcome. seq orders
 * a partner's deliveries of one payment: a later event of a payment waits for the earlier one.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table webhook_subscriptions (
      id uuid primary key,
      partner_id text not null references partners (id),
      url text not null,
      event_types text[] not null check (cardinality(event_types) > 0),
      state text not null check (state in ('active', 'disabled', 'deleted')),
      state_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index webhook_subscriptions_partner on webhook_subscriptions (partner_id) where state = 'active';

    create table webhook_events (
      id text primary key,
      partner_id text not null references partners (id),
      payment_id uuid not null,
      type text not null,
      body text not null,
      occurred_at timestamptz not null,
      created_at timestamptz not null default now()
    );
    create index webhook_events_partner_time on webhook_events (partner_id, occurred_at);

    create table webhook_deliveries (
      id uuid primary key,
      seq bigserial not null unique,
      event_id text not null references webhook_events (id),
      subscription_id uuid not null references webhook_subscriptions (id),
      partner_id text not null,
      payment_id uuid not null,
      state text not null check (state in ('pending', 'delivered', 'failed', 'cancelled')),
      attempts integer not null default 0 check (attempts >= 0),
      next_attempt_at timestamptz not null,
      leased_until timestamptz,
      lease_token uuid,
      last_status integer,
      last_error text,
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending';
    create index webhook_deliveries_order on webhook_deliveries (subscription_id, payment_id, seq)
      where state = 'pending';
    create index webhook_deliveries_partner on webhook_deliveries (partner_id, created_at);

    create table webhook_delivery_attempts (
      id bigserial primary key,
      delivery_id uuid not null references webhook_deliveries (id),
      attempt integer not null,
      at timestamptz not null,
      outcome text not null,
      status_code integer,
      duration_ms integer not null,
      error text
    );
    create index webhook_delivery_attempts_delivery on webhook_delivery_attempts (delivery_id, attempt);

    create table biller_secrets (
      id uuid primary key,
      biller_id text not null references biller_endpoints (id),
      secret text not null,
      hint text not null,
      valid_from timestamptz not null,
      valid_until timestamptz,
      created_at timestamptz not null default now()
    );
    create index biller_secrets_biller on biller_secrets (biller_id);

    create table biller_reversal_terms (
      biller_id text primary key references biller_endpoints (id),
      partial_reversals boolean not null default false
    );

    create table biller_reversals (
      biller_id text not null references biller_endpoints (id),
      reversal_id text not null,
      payment_id uuid not null references payments (id),
      fingerprint text not null,
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      reason text not null,
      result jsonb not null,
      created_at timestamptz not null default now(),
      primary key (biller_id, reversal_id)
    );
    create unique index biller_reversals_payment on biller_reversals (payment_id);
    -- A biller names the payment it reverses by its own receipt as often as by our id.
    create index payments_biller_receipt on payments (biller_endpoint, biller_receipt)
      where biller_receipt is not null;
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop index if exists payments_biller_receipt;
    drop table if exists biller_reversals;
    drop table if exists biller_reversal_terms;
    drop table if exists biller_secrets;
    drop table if exists webhook_delivery_attempts;
    drop table if exists webhook_deliveries;
    drop table if exists webhook_events;
    drop table if exists webhook_subscriptions;
  `,
  );
}
