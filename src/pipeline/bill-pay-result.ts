import type { Payment } from '../domain/payments/payment';
import type { PaymentStatus } from '../domain/reason-codes';
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

export function deserialiseResult(stored: unknown): BillPayResult {
  const s = stored as Record<string, unknown> & { amountMinor: string; createdAt: string };
  return {
    ...(s as unknown as BillPayResult),
    amountMinor: BigInt(s.amountMinor),
    createdAt: new Date(s.createdAt),
  };
}
