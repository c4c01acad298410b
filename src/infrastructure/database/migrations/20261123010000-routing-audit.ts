import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Routing as ops own it: the tamper-evident audit log of routing_rules, scheduled rule changes, and
 * the database's own refusal of any rule change that does not come with an audit entry.
 *
 * Two lines of defence around routing_rules:
 *  1. routing_rules_require_marker (before each row): the transaction must have set
 *     billgate.audit_actor (set_config(..., true), transaction-local) — only the audited repository
 *     does that.
 *  2. routing_rules_require_audit (deferred constraint trigger, at commit): an audit entry for that
 *     rule must exist written by the same transaction. Setting the marker by hand is not enough.
 * routing_audit itself is append-only (updates and deletes raise); verify catches what a superuser
 * does behind the triggers' back.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    -- the currency a biller is settled in; a rule's settlement account must hold it
    alter table biller_endpoints add column currency char(3) not null default 'BDT';

    create table routing_audit (
      seq bigint primary key check (seq > 0),
      at timestamptz not null,
      actor text not null check (actor <> ''),
      action text not null check (action in ('create', 'update', 'delete')),
      rule_id uuid not null,
      reason text not null check (reason <> ''),
      before jsonb,
      after jsonb,
      scheduled_change_id uuid,
      prev_hash text not null,
      hash text not null unique,
      tx_id bigint not null default txid_current()
    );
    create index routing_audit_rule on routing_audit (rule_id, seq);
    create index routing_audit_tx on routing_audit (tx_id, rule_id);

    -- the head of the chain: its row lock serialises appends across nodes, and it remembers the
    -- last sequence number so that removing the newest entries is detected too
    create table routing_audit_head (
      id smallint primary key check (id = 1),
      seq bigint not null,
      hash text not null
    );
    insert into routing_audit_head (id, seq, hash)
      values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

    create function routing_audit_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'routing_audit is append-only (% refused)', tg_op using errcode = '42501';
    end $$;
    create trigger routing_audit_append_only
      before update or delete on routing_audit
      for each row execute function routing_audit_append_only();

    create function routing_rules_require_marker() returns trigger language plpgsql as $$
    begin
      if coalesce(current_setting('billgate.audit_actor', true), '') = '' then
        raise exception 'routing_rules may only be changed through the audited repository (% refused)', tg_op
          using errcode = '42501';
      end if;
      if tg_op = 'DELETE' then
        return old;
      end if;
      return new;
    end $$;
    create trigger routing_rules_require_marker
      before insert or update or delete on routing_rules
      for each row execute function routing_rules_require_marker();

    create function routing_rules_require_audit() returns trigger language plpgsql as $$
    declare
      rule uuid;
    begin
      if tg_op = 'DELETE' then
        rule := old.id;
      else
        rule := new.id;
      end if;
      if not exists (select 1 from routing_audit where tx_id = txid_current() and rule_id = rule) then
        raise exception 'routing rule % changed without an audit entry in the same transaction', rule
          using errcode = '42501';
      end if;
      return null;
    end $$;
    create constraint trigger routing_rules_require_audit
      after insert or update or delete on routing_rules deferrable initially deferred
      for each row execute function routing_rules_require_audit();

    create table routing_scheduled_changes (
      id uuid primary key,
      action text not null check (action in ('create', 'update', 'delete')),
      rule_id uuid,
      change jsonb not null,
      effective_at timestamptz not null,
      actor text not null,
      reason text not null check (reason <> ''),
      state text not null default 'pending' check (state in ('pending', 'applied', 'failed', 'cancelled')),
      created_at timestamptz not null default now(),
      applied_at timestamptz,
      audit_seq bigint,
      error text
    );
    create index routing_scheduled_due on routing_scheduled_changes (effective_at) where state = 'pending';
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop table if exists routing_scheduled_changes;
    drop trigger if exists routing_rules_require_audit on routing_rules;
    drop function if exists routing_rules_require_audit();
    drop trigger if exists routing_rules_require_marker on routing_rules;
    drop function if exists routing_rules_require_marker();
    drop table if exists routing_audit_head;
    drop table if exists routing_audit;
    drop function if exists routing_audit_append_only();
    alter table biller_endpoints drop column if exists currency;
  `,
  );
}
