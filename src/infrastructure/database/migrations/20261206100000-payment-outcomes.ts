import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Every payment reaches a final state (issue 11). PENDING becomes a waiting state with an owner and a
 * next check (a `payment.resolve` job, see src/pipeline/resolution), and a payment no automatic path
 * can decide is parked in NEEDS_ATTENTION with the reason ops act on and the state it was parked
 * from: a payment whose outcome the partner already knows (declined, reversed) keeps showing it while
 * a follow-up (a refund, a biller's copy of a reversal) waits for a person.
 *
 * Billers get a status window: how long "we have no such payment" may still mean "not yet", after
 * which a payment the biller never received is declined and its posting undone. Refunds core banking
 * refuses stop being retried and are parked for ops instead ('refused'), or settled by hand.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table payments drop constraint payments_status_check;
    alter table payments add constraint payments_status_check
      check (status in ('RECEIVED', 'POSTED', 'APPROVED', 'DECLINED', 'PENDING', 'REVERSED', 'NEEDS_ATTENTION'));
    alter table payments add column attention_reason text;
    alter table payments add column attention_prior_state text
      check (attention_prior_state in ('PENDING', 'APPROVED', 'DECLINED', 'REVERSED'));
    alter table payments add column attention_since timestamptz;
    alter table payments add constraint payments_attention_check check (
      (status = 'NEEDS_ATTENTION') =
      (attention_reason is not null and attention_prior_state is not null and attention_since is not null)
    );
    drop index payments_status;
    create index payments_status on payments (status)
      where status in ('RECEIVED', 'POSTED', 'PENDING', 'NEEDS_ATTENTION');

    -- the resolution of a payment finds its idempotency record (to answer a retry with the outcome)
    create index idempotency_keys_payment on idempotency_keys (payment_id) where payment_id is not null;
    -- ops find a payment by what a customer or a partner quotes: the bill reference, the key
    create index payments_bill_reference on payments (bill_reference);
    create index payments_idempotency_key on payments (idempotency_key);

    alter table biller_endpoints add column status_window_ms integer not null default 300000
      check (status_window_ms between 0 and 604800000);

    alter table core_banking_refunds drop constraint core_banking_refunds_state_check;
    alter table core_banking_refunds drop constraint core_banking_refunds_check;
    alter table core_banking_refunds add constraint core_banking_refunds_state_check
      check (state in ('owed', 'refunded', 'refused', 'settled_by_hand'));
    alter table core_banking_refunds add constraint core_banking_refunds_check
      check (state in ('owed', 'refused') or core_banking_ref is not null);

    -- payments left PENDING before resolution existed get their owner now
    insert into jobs (kind, dedupe_key, payload, state, run_at, attempts, created_at, updated_at)
      select 'payment.resolve', p.id::text, jsonb_build_object('paymentId', p.id::text), 'pending', now(), 0,
             now(), now()
      from payments p where p.status = 'PENDING'
      on conflict (kind, dedupe_key) where dedupe_key is not null do nothing;
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    delete from jobs where kind in ('payment.resolve', 'biller.reversal', 'agent-core.reversal');
    update core_banking_refunds set state = 'owed', core_banking_ref = null where state = 'refused';
    update core_banking_refunds set state = 'refunded' where state = 'settled_by_hand';
    alter table core_banking_refunds drop constraint core_banking_refunds_check;
    alter table core_banking_refunds drop constraint core_banking_refunds_state_check;
    alter table core_banking_refunds add constraint core_banking_refunds_state_check
      check (state in ('owed', 'refunded'));
    alter table core_banking_refunds add constraint core_banking_refunds_check
      check (state = 'owed' or core_banking_ref is not null);
    alter table biller_endpoints drop column status_window_ms;
    drop index if exists idempotency_keys_payment;
    drop index if exists payments_bill_reference;
    drop index if exists payments_idempotency_key;
    update payments set status = coalesce(attention_prior_state, 'PENDING') where status = 'NEEDS_ATTENTION';
    alter table payments drop constraint payments_attention_check;
    alter table payments drop column attention_since;
    alter table payments drop column attention_prior_state;
    alter table payments drop column attention_reason;
    drop index payments_status;
    create index payments_status on payments (status) where status in ('RECEIVED', 'POSTED', 'PENDING');
    alter table payments drop constraint payments_status_check;
    alter table payments add constraint payments_status_check
      check (status in ('RECEIVED', 'POSTED', 'APPROVED', 'DECLINED', 'PENDING', 'REVERSED'));
  `,
  );
}
