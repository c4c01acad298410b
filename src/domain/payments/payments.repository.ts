import { sql, type Insertable, type Selectable } from 'kysely';
import type { PaymentsTable } from '../../infrastructure/database/schema';
import type { Executor } from '../db';
import { isReasonCode, type PayerType, type ReasonCode } from '../reason-codes';
import type { PayerKind } from '../partners/classify';
import type { Attention, ParkedFrom, Payment, PaymentRoute, PaymentState } from './payment';

/** States a late finish may still move a payment out of: nothing has decided it meanwhile. */
const UNDECIDED_STATES = ['RECEIVED', 'POSTED', 'PENDING'] as const;

/** A payment about to be recorded: everything but what only later steps or the database know. */
export type NewPayment = Omit<
  Payment,
  'billerReceipt' | 'coreBankingRef' | 'createdAt' | 'updatedAt' | 'attention'
> & {
  /** Set by callers that must know it before the row exists (to build the answer in the same statement). */
  readonly createdAt?: Date;
};

export interface PaymentChange {
  readonly state: PaymentState;
  readonly reasonCode: ReasonCode;
  readonly billerReceipt?: string;
  readonly coreBankingRef?: string;
}

/** A payment to record under a freshly claimed idempotency key. */
export interface PaymentClaim {
  readonly payment: NewPayment & { readonly createdAt: Date };
  readonly idempotency: {
    readonly partnerId: string;
    readonly scope: string;
    readonly key: string;
    readonly fingerprint: string;
    readonly expiresAt: Date;
  };
}

export interface PaymentSearch {
  readonly state?: PaymentState;
  readonly partnerId?: string;
  readonly partnerReference?: string;
  readonly billReference?: string;
  readonly idempotencyKey?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly before?: { readonly createdAt: Date; readonly id: string };
  readonly limit: number;
}

/** A payment's final state and the answer its idempotency record keeps. */
export interface PaymentFinish {
  readonly id: string;
  readonly change: PaymentChange;
  readonly key: { readonly partnerId: string; readonly scope: string; readonly key: string };
  readonly result: unknown;
}

export class PaymentsRepository {
  async insert(db: Executor, p: NewPayment): Promise<Payment> {
    const row = await db
      .insertInto('payments')
      .values(paymentRow(p))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPayment(row);
  }

  async update(db: Executor, id: string, change: PaymentChange): Promise<Payment> {
    const row = await db
      .updateTable('payments')
      .set({
        status: change.state,
        reason_code: change.reasonCode,
        ...(change.billerReceipt !== undefined ? { biller_receipt: change.billerReceipt } : {}),
        ...(change.coreBankingRef !== undefined ? { core_banking_ref: change.coreBankingRef } : {}),
        // Leaving NEEDS_ATTENTION (a decision, or an automatic path that got its answer after all).
        attention_reason: null,
        attention_prior_state: null,
        attention_since: null,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPayment(row);
  }

  /**
   * Parks a payment for a person: NEEDS_ATTENTION with the reason and the state it was in. A payment
   * already parked keeps its first reason and state (what ops see first is what went wrong first);
   * the later reason is appended.
   */
  async park(tx: Executor, id: string, reason: string, at: Date): Promise<Payment> {
    const row = await tx
      .updateTable('payments')
      .set({
        attention_prior_state: sql`case when status = 'NEEDS_ATTENTION' then attention_prior_state else status end`,
        attention_reason: sql`case when status = 'NEEDS_ATTENTION' then attention_reason || '; then: ' || ${reason} else ${reason} end`,
        attention_since: sql`case when status = 'NEEDS_ATTENTION' then attention_since else ${at}::timestamptz end`,
        status: 'NEEDS_ATTENTION',
        updated_at: at,
      })
      .where('id', '=', id)
      .where('status', 'in', ['PENDING', 'APPROVED', 'DECLINED', 'REVERSED', 'NEEDS_ATTENTION'])
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPayment(row);
  }
  /**
   * Moves payments to their final state and completes their idempotency records, in one statement
   * (atomic on its own) for any number of payments: the common finish touches no ledger line, and
   * concurrent finishes share the round trip and the commit (see PaymentFinisher).
   * Answers, per payment in order, whether both its row and its idempotency record were found (and
   * the payment was still undecided).
   */
  async finishMany(db: Executor, finishes: readonly PaymentFinish[], now: Date): Promise<boolean[]> {
    const input = JSON.stringify(
      finishes.map((f, ord) => ({
        ord,
        id: f.id,
        status: f.change.state,
        reason_code: f.change.reasonCode,
        biller_receipt: f.change.billerReceipt ?? null,
        core_banking_ref: f.change.coreBankingRef ?? null,
        partner_id: f.key.partnerId,
        scope: f.key.scope,
        key: f.key.key,
        result: f.result,
      })),
    );
    const { rows } = await sql<{ ord: number }>`
      with input as (
        select * from jsonb_to_recordset(${input}::jsonb) as t (
          ord int, id uuid, status text, reason_code text, biller_receipt text, core_banking_ref text,
          partner_id text, scope text, key text, result jsonb
        )
      ),
      -- The key is locked before its payment, the order the housekeeping sweep uses too, so a finish
      -- and a sweep of the same payment can never deadlock.
      -- A payment something else decided meanwhile (a resolution, a reversal, ops) keeps that outcome:
      -- this late finish changes neither it nor the answer its key gives.
      k as (
        update idempotency_keys k set state = 'completed', result = i.result, updated_at = ${now}
        from input i
        where k.partner_id = i.partner_id and k.scope = i.scope and k.key = i.key
          and exists (select 1 from payments p where p.id = i.id and p.status in ('RECEIVED', 'POSTED', 'PENDING'))
        returning i.ord, i.id
      )
      update payments set
        status = i.status,
        reason_code = i.reason_code,
        biller_receipt = coalesce(i.biller_receipt, payments.biller_receipt),
        core_banking_ref = coalesce(i.core_banking_ref, payments.core_banking_ref),
        updated_at = ${now}
      from input i
      join k on k.ord = i.ord
      where payments.id = i.id and payments.status in ('RECEIVED', 'POSTED', 'PENDING')
      returning i.ord`.execute(db);
    const found = new Set(rows.map((r) => r.ord));
    return finishes.map((_, ord) => found.has(ord));
  }

  /**
   * Claims each payment's idempotency key and records the payment, in one statement for any number
   * of payments. A key that is already taken (by an earlier request, or earlier in the same batch)
   * records nothing for that payment. Answers, per payment in order, whether it was claimed.
   */
  async claimAndRecordMany(db: Executor, claims: readonly PaymentClaim[]): Promise<boolean[]> {
    const input = JSON.stringify(claims.map((c, ord) => ({ ord, ...claimRow(c) })));
    const { rows } = await sql<{ ord: number }>`
      with input as (
        select * from jsonb_to_recordset(${input}::jsonb) as t (
          ord int, id uuid, partner_id text, lane text, protocol text, payer_type text, bill_type text,
          bill_reference text, amount bigint, currency text, payer_kind text, payer_id text,
          partner_reference text, idempotency_key text, status text, reason_code text, route_rule_id uuid,
          route_version int, biller_endpoint text, settlement_account text, origin jsonb,
          received_at timestamptz, created_at timestamptz, idem_partner text, idem_scope text,
          idem_key text, fingerprint text, expires_at timestamptz
        )
      ),
      claim as (
        insert into idempotency_keys
          (partner_id, scope, key, fingerprint, state, payment_id, created_at, updated_at, expires_at)
        select idem_partner, idem_scope, idem_key, fingerprint, 'in_flight', id, created_at, created_at, expires_at
        from input
        -- keys in one order on every node (no deadlock between batches); the earliest repeat wins
        order by idem_partner, idem_scope, idem_key, ord
        on conflict (partner_id, scope, key) do nothing
        returning payment_id
      ),
      pay as (
        insert into payments
          (id, partner_id, lane, protocol, payer_type, bill_type, bill_reference, amount, currency, payer_kind,
           payer_id, partner_reference, idempotency_key, status, reason_code, route_rule_id, route_version,
           biller_endpoint, settlement_account, origin, received_at, created_at, updated_at)
        select i.id, i.partner_id, i.lane, i.protocol, i.payer_type, i.bill_type, i.bill_reference, i.amount,
          i.currency, i.payer_kind, i.payer_id, i.partner_reference, i.idempotency_key, i.status, i.reason_code,
          i.route_rule_id, i.route_version, i.biller_endpoint, i.settlement_account, i.origin, i.received_at,
          i.created_at, i.created_at
        from input i join claim c on c.payment_id = i.id
        returning id
      )
      select i.ord from input i join pay on pay.id = i.id`.execute(db);
    const claimed = new Set(rows.map((r) => r.ord));
    return claims.map((_, ord) => claimed.has(ord));
  }

  /**
   * Locks a payment's row for the rest of the transaction and answers its state: the lock every path
   * that changes a payment's state takes (finish, sweep, reversal), so they serialise on it.
   */
  async lockState(tx: Executor, id: string): Promise<PaymentState> {
    const row = await tx
      .selectFrom('payments')
      .select('status')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    return row.status as PaymentState;
  }

  /** Whether a late finish may still decide this state (see finishMany). */
  static isUndecided(state: PaymentState): boolean {
    return (UNDECIDED_STATES as readonly string[]).includes(state);
  }

  /**
   * Payments as ops look for them: by state, partner, the partner's reference, the bill reference, the
   * idempotency key and a time range (received), newest first, a page at a time (`before`: the last
   * row of the previous page).
   */
  async search(db: Executor, q: PaymentSearch): Promise<Payment[]> {
    let query = db.selectFrom('payments').selectAll();
    if (q.state !== undefined) query = query.where('status', '=', q.state);
    if (q.partnerId !== undefined) query = query.where('partner_id', '=', q.partnerId);
    if (q.partnerReference !== undefined) query = query.where('partner_reference', '=', q.partnerReference);
    if (q.billReference !== undefined) query = query.where('bill_reference', '=', q.billReference);
    if (q.idempotencyKey !== undefined) query = query.where('idempotency_key', '=', q.idempotencyKey);
    if (q.from !== undefined) query = query.where('created_at', '>=', q.from);
    if (q.to !== undefined) query = query.where('created_at', '<', q.to);
    if (q.before !== undefined) {
      const { createdAt, id } = q.before;
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
        ]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toPayment);
  }

  async findById(db: Executor, id: string): Promise<Payment | undefined> {
    const row = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toPayment(row);
  }

  async findByPartnerReference(
    db: Executor,
    partnerId: string,
    partnerReference: string,
  ): Promise<Payment[]> {
    const rows = await db
      .selectFrom('payments')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('partner_reference', '=', partnerReference)
      .orderBy('created_at', 'asc')
      .limit(100)
      .execute();
    return rows.map(toPayment);
  }
}

/** Column values of a new payment; shared by every path that inserts one. */
export function paymentRow(p: NewPayment): Insertable<PaymentsTable> {
  return {
    id: p.id,
    partner_id: p.partnerId,
    lane: p.lane,
    protocol: p.protocol,
    payer_type: p.payerType,
    bill_type: p.billType,
    bill_reference: p.billReference,
    amount: p.amountMinor,
    currency: p.currency,
    payer_kind: p.payerKind,
    payer_id: p.payerId,
    partner_reference: p.partnerReference,
    idempotency_key: p.idempotencyKey,
    status: p.state,
    reason_code: p.reasonCode,
    route_rule_id: p.route?.ruleId ?? null,
    route_version: p.route?.version ?? null,
    biller_endpoint: p.route?.billerEndpoint ?? null,
    settlement_account: p.route?.settlementAccount ?? null,
    origin: JSON.stringify(p.origin),
    received_at: p.receivedAt,
    ...(p.createdAt !== undefined ? { created_at: p.createdAt, updated_at: p.createdAt } : {}),
  };
}

export function toPayment(row: Selectable<PaymentsTable>): Payment {
  const route: PaymentRoute | null =
    row.route_rule_id !== null && row.route_version !== null
      ? {
          ruleId: row.route_rule_id,
          version: row.route_version,
          billerEndpoint: row.biller_endpoint ?? '',
          settlementAccount: row.settlement_account ?? '',
        }
      : null;
  return {
    id: row.id,
    partnerId: row.partner_id,
    lane: row.lane,
    protocol: row.protocol,
    payerType: row.payer_type as PayerType,
    billType: row.bill_type,
    billReference: row.bill_reference,
    amountMinor: BigInt(row.amount),
    currency: row.currency.trim(),
    payerKind: row.payer_kind as PayerKind,
    payerId: row.payer_id,
    partnerReference: row.partner_reference,
    idempotencyKey: row.idempotency_key,
    state: row.status as PaymentState,
    reasonCode: isReasonCode(row.reason_code) ? row.reason_code : 'SYSTEM_ERROR',
    billerReceipt: row.biller_receipt,
    route,
    coreBankingRef: row.core_banking_ref,
    origin: row.origin,
    attention: attentionOf(row),
    receivedAt: row.received_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function attentionOf(row: Selectable<PaymentsTable>): Attention | null {
  if (row.status !== 'NEEDS_ATTENTION' || row.attention_reason === null) return null;
  return {
    reason: row.attention_reason,
    parkedFrom: (row.attention_prior_state ?? 'PENDING') as ParkedFrom,
    since: row.attention_since ?? row.updated_at,
  };
}

/**
 * One payment and its idempotency claim as a JSON row for jsonb_to_recordset: the shape every
 * batched insert of new payments reads (claims here, float payments in FloatPaymentWriter).
 */
export function claimRow(c: PaymentClaim): Record<string, unknown> {
  const r = paymentRow(c.payment);
  return {
    id: r.id,
    partner_id: r.partner_id,
    lane: r.lane,
    protocol: r.protocol,
    payer_type: r.payer_type,
    bill_type: r.bill_type,
    bill_reference: r.bill_reference,
    // Money leaves as a decimal string: JSON numbers would pass through a double.
    amount: c.payment.amountMinor.toString(),
    currency: r.currency,
    payer_kind: r.payer_kind,
    payer_id: r.payer_id,
    partner_reference: r.partner_reference,
    idempotency_key: r.idempotency_key,
    status: r.status,
    reason_code: r.reason_code,
    route_rule_id: r.route_rule_id ?? null,
    route_version: r.route_version ?? null,
    biller_endpoint: r.biller_endpoint ?? null,
    settlement_account: r.settlement_account ?? null,
    origin: c.payment.origin,
    received_at: c.payment.receivedAt.toISOString(),
    created_at: c.payment.createdAt.toISOString(),
    idem_partner: c.idempotency.partnerId,
    idem_scope: c.idempotency.scope,
    idem_key: c.idempotency.key,
    fingerprint: c.idempotency.fingerprint,
    expires_at: c.idempotency.expiresAt.toISOString(),
  };
}
