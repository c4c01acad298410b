import type { Executor } from '../db';

/**
 * What a partner may be told about one of its payments after it was answered. The event is
 * recorded in the same transaction as the state change that causes it (a transactional outbox), so
 * no crash loses one and none is sent for a change that rolled back.
 */
export type PaymentEventType = 'payment.reversed' | 'payment.resolved' | 'payment.needs_attention';

export const PAYMENT_EVENT_TYPES: readonly PaymentEventType[] = [
  'payment.reversed',
  'payment.resolved',
  'payment.needs_attention',
];

export interface PaymentEvent {
  readonly type: PaymentEventType;
  readonly paymentId: string;
  readonly partnerId: string;
  readonly occurredAt: Date;
  /** The event's body as the partner receives it; money as decimal strings of minor units. */
  readonly data: Readonly<Record<string, string | null>>;
}

/** Where state changes record their events; the webhook outbox is the production sink. */
export interface PaymentEventSink {
  record(tx: Executor, events: readonly PaymentEvent[]): Promise<void>;
}
