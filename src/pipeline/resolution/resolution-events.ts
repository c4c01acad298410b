import type { Payment } from '../../domain/payments/payment';
import type { PaymentEvent } from '../../domain/payments/payment-events';
import { resultOf } from '../bill-pay-result';

/** Who decided a payment that had been left pending. */
export type ResolvedBy = 'biller-status' | 'core-banking-status' | 'agent-banking-core' | 'biller' | 'ops';

function common(p: Payment): Record<string, string | null> {
  return {
    partnerReference: p.partnerReference,
    billType: p.billType,
    billReference: p.billReference,
    amountMinor: p.amountMinor.toString(),
    currency: p.currency,
  };
}

/** `payment.resolved`: a payment the partner was told is PENDING now has its final status. */
export function paymentResolvedEvent(p: Payment, by: ResolvedBy, at: Date): PaymentEvent {
  const result = resultOf(p);
  return {
    type: 'payment.resolved',
    paymentId: p.id,
    partnerId: p.partnerId,
    occurredAt: at,
    data: {
      ...common(p),
      previousStatus: 'PENDING',
      status: result.status,
      reasonCode: result.reasonCode,
      billerReceipt: p.billerReceipt,
      resolvedBy: by,
    },
  };
}

/**
 * `payment.needs_attention`: a pending payment no automatic path could decide waits for the bank's
 * ops. The partner learns that, not the internal reason (it may name the biller's or core banking's
 * answers), and hears `payment.resolved` once ops decide.
 */
export function paymentNeedsAttentionEvent(p: Payment, at: Date): PaymentEvent {
  return {
    type: 'payment.needs_attention',
    paymentId: p.id,
    partnerId: p.partnerId,
    occurredAt: at,
    data: {
      ...common(p),
      status: 'PENDING',
      reasonCode: p.reasonCode,
      reason: 'held for review by the bank; the outcome follows as payment.resolved',
    },
  };
}
