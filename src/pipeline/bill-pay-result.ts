import { z } from 'zod';
import type { Payment } from '../domain/payments/payment';
import { PAYER_TYPES, REASON_CODES, type PaymentStatus, type ReasonCode } from '../domain/reason-codes';
import type { BillPayResult } from './bill-pay-command';

export function resultOf(payment: Payment): BillPayResult {
  return {
    paymentId: payment.id,
    status: statusOf(payment),
    reasonCode: payment.reasonCode,
    billerReceipt: payment.billerReceipt,
    billType: payment.billType,
    billReference: payment.billReference,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    payerType: payment.payerType,
    partnerReference: payment.partnerReference,
    createdAt: payment.createdAt,
    route: payment.route,
  };
}

/**
 * RECEIVED and POSTED are internal steps; to a partner the payment is still pending. A payment parked
 * for ops shows what the partner was already told: the outcome it was parked from, or PENDING while
 * it has none.
 */
function statusOf(payment: Payment): PaymentStatus {
  switch (payment.state) {
    case 'NEEDS_ATTENTION':
      return payment.attention?.parkedFrom ?? 'PENDING';
    case 'APPROVED':
    case 'DECLINED':
    case 'PENDING':
    case 'REVERSED':
      return payment.state;
    case 'RECEIVED':
    case 'POSTED':
      return 'PENDING';
  }
}

/** The stored form of a result (idempotency replay): bigint and dates as strings. */
export function serialiseResult(r: BillPayResult): Record<string, unknown> {
  return { ...r, amountMinor: r.amountMinor.toString(), createdAt: r.createdAt.toISOString() };
}

/** A stored result that is not one serialiseResult wrote: replaying it would answer a partner wrongly. */
export class CorruptStoredResult extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`stored bill-pay result is corrupt: ${problems.join('; ')}`);
    this.name = 'CorruptStoredResult';
  }
}

// Every status, or the build breaks: a status added later must be readable back from a stored result.
const STATUSES = { APPROVED: true, DECLINED: true, PENDING: true, REVERSED: true } satisfies Record<
  PaymentStatus,
  true
>;
const PAYMENT_STATUSES = Object.keys(STATUSES) as [PaymentStatus, ...PaymentStatus[]];
const REASONS = Object.keys(REASON_CODES) as [ReasonCode, ...ReasonCode[]];

/**
 * What serialiseResult writes: every field, bigint as a decimal string, the time as ISO 8601. Fields it
 * does not know are dropped, not refused: a newer node may store a result with one more.
 */
const storedResult = z.object({
  paymentId: z.string().min(1),
  status: z.enum(PAYMENT_STATUSES),
  reasonCode: z.enum(REASONS),
  billerReceipt: z.string().nullable(),
  billType: z.string().min(1),
  billReference: z.string(),
  amountMinor: z
    .string()
    .regex(/^-?(0|[1-9][0-9]*)$/, 'must be an integer in minor units, as a decimal string')
    .transform((v) => BigInt(v)),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  payerType: z.enum(PAYER_TYPES),
  partnerReference: z.string(),
  createdAt: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
  route: z
    .object({
      ruleId: z.string().min(1),
      version: z.int().positive(),
      billerEndpoint: z.string().min(1),
      settlementAccount: z.string().min(1),
    })
    .nullable(),
}) satisfies z.ZodType<BillPayResult, unknown>;

/**
 * A stored result (idempotency replay) read back, checked field by field: a result that is not what
 * serialiseResult wrote throws CorruptStoredResult naming each bad field, instead of replaying a
 * guess to the partner.
 */
export function deserialiseResult(stored: unknown): BillPayResult {
  const parsed = storedResult.safeParse(stored);
  if (parsed.success) return parsed.data;
  throw new CorruptStoredResult(
    parsed.error.issues.map((i) => `${i.path.length === 0 ? '(result)' : i.path.join('.')}: ${i.message}`),
  );
}
