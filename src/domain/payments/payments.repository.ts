import { sql, type Insertable, type Selectable } from 'kysely';
import type { PaymentsTable } from '../../infrastructure/database/schema';
import type { Executor } from '../db';
import { isReasonCode, type PayerType, type ReasonCode } from '../reason-codes';
import type { PayerKind } from '../partners/classify';
import type { Payment, PaymentRoute, PaymentState } from './payment';

/** A payment about to be recorded: everything but what only later steps or the database know. */
export type NewPayment = Omit<Payment, 'billerReceipt' | 'coreBankingRef' | 'createdAt' | 'updatedAt'> & {
  /** Set by callers that must know it before the row exists (to build the answer in the same statement). */
  readonly createdAt?: Date;
};

export interface PaymentChange {
  readonly state: PaymentState;
  readonly reasonCode: ReasonCode;
  readonly billerReceipt?: string;
  readonly coreBankingRef?: string;
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
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPayment(row);
  }

  /**
   * Moves a payment to its final state and completes its idempotency record in one statement (one
   * statement is atomic on its own), for the common finish that touches no ledger line.
   */
  async updateWithIdempotency(
    db: Executor,
    id: string,
    change: PaymentChange,
    key: { readonly partnerId: string; readonly scope: string; readonly key: string },
    result: unknown,
    now: Date,
  ): Promise<void> {
    const { rows } = await sql<{ key: string }>`
      with p as (
        update payments set
          status = ${change.state},
          reason_code = ${change.reasonCode},
          biller_receipt = coalesce(${change.billerReceipt ?? null}::text, biller_receipt),
          core_banking_ref = coalesce(${change.coreBankingRef ?? null}::text, core_banking_ref),
          updated_at = ${now}
        where id = ${id}
        returning id
      )
      update idempotency_keys set state = 'completed', result = ${JSON.stringify(result)}::jsonb, updated_at = ${now}
      where partner_id = ${key.partnerId} and scope = ${key.scope} and key = ${key.key} and exists (select 1 from p)
      returning key`.execute(db);
    if (rows.length !== 1) throw new Error(`payment ${id} or its idempotency record vanished`);
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
    receivedAt: row.received_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
