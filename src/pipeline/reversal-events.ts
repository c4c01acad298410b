import type { Payment } from '../domain/payments/payment';
import type { PaymentEvent } from '../domain/payments/payment-events';

/** The `payment.reversed` event a partner receives, whoever reversed the payment. */
export function paymentReversedEvent(
  payment: Payment,
  initiatedBy: 'biller' | 'partner',
  reason: string,
  at: Date,
): PaymentEvent {
  return {
    type: 'payment.reversed',
    paymentId: payment.id,
    partnerId: payment.partnerId,
    occurredAt: at,
    data: {
      partnerReference: payment.partnerReference,
      billType: payment.billType,
      billReference: payment.billReference,
      amountMinor: payment.amountMinor.toString(),
      currency: payment.currency,
      initiatedBy,
      reason,
      billerReceipt: payment.billerReceipt,
    },
  };
}
