import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * The ops audit log: every ops action outside routing (payment decisions, billers, floats, agents,
 * breaks, webhooks...) appended to one hash chain. Append-only in the database itself; the chain
 * head lets a verifier notice the newest entries removed by someone with table rights.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table ops_audit (
      seq bigint primary key check (seq > 0),
      at timestamptz not null,
      actor text not null check (length(btrim(actor)) > 0),
      action text not null check (length(btrim(action)) > 0),
      subject_type text not null,
      subject_id text not null,
      reason text not null check (length(btrim(reason)) > 0),
      before jsonb,
      after jsonb,
      prev_hash char(64) not null,
      hash char(64) not null unique
    );
    create index ops_audit_subject on ops_audit (subject_type, subject_id, seq);

    create table ops_audit_head (
      id integer primary key check (id = 1),
      seq bigint not null,
      hash char(64) not null
    );
    insert into ops_audit_head (id, seq, hash) values (1, 0, '${'0'.repeat(64)}');

    create function ops_audit_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'ops_audit is append-only (% refused)', tg_op using errcode = '42501';
    end $$;
    create trigger ops_audit_append_only
      before update or delete on ops_audit
      for each row execute function ops_audit_append_only();
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop table if exists ops_audit_head;
    drop table if exists ops_audit;
    drop function if exists ops_audit_append_only();
    `,
  );
}
