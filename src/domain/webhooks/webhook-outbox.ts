import type { Executor } from '../db';
import { uuidv7 } from '../ids';
import type { PaymentEvent, PaymentEventSink } from '../payments/payment-events';
import { WebhookDeliveriesRepository } from './deliveries.repository';
import type { WebhookSubscriptionsRepository } from './subscriptions.repository';

/** The body a partner receives, in the Standard Webhooks shape: type, timestamp, data. */
export function eventBody(event: PaymentEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: { paymentId: event.paymentId, ...event.data },
  });
}

/**
 * The transactional outbox behind PaymentEventSink. Each event is written, with one delivery per
 * subscription of the partner that wants it and that delivery's `webhook.deliver` job, in the
 * caller's transaction: the event and its jobs exist exactly when the state change that caused it
 * committed. The delivery worker runs the jobs afterwards. Events
 * are kept even when nobody is subscribed yet, so a partner can replay a time range later.
 */
export class WebhookOutbox implements PaymentEventSink {
  constructor(
    private readonly subscriptions: WebhookSubscriptionsRepository,
    private readonly deliveries = new WebhookDeliveriesRepository(),
  ) {}

  async record(tx: Executor, events: readonly PaymentEvent[]): Promise<void> {
    for (const event of events) {
      const now = new Date();
      const id = `msg_${uuidv7(now.getTime()).replaceAll('-', '')}`;
      await tx
        .insertInto('webhook_events')
        .values({
          id,
          partner_id: event.partnerId,
          payment_id: event.paymentId,
          type: event.type,
          body: eventBody(event),
          occurred_at: event.occurredAt,
          created_at: now,
        })
        .execute();
      const subs = await this.subscriptions.activeFor(tx, event.partnerId, event.type);
      if (subs.length === 0) continue;
      const made = await tx
        .insertInto('webhook_deliveries')
        .values(
          subs.map((s) => ({
            id: uuidv7(now.getTime()),
            event_id: id,
            subscription_id: s.id,
            partner_id: event.partnerId,
            payment_id: event.paymentId,
            state: 'pending' as const,
            next_attempt_at: now,
            created_at: now,
            updated_at: now,
          })),
        )
        .returning('id')
        .execute();
      await this.deliveries.enqueue(
        tx,
        made.map((d) => d.id),
        now,
      );
    }
  }
}
