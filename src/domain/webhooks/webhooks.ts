import type { WebhookDeliveriesRepository } from './deliveries.repository';
import type { WebhookDeliveryWorker } from './delivery-worker';
import type { WebhookSubscriptionsRepository } from './subscriptions.repository';
import type { WebhookOutbox } from './webhook-outbox';

/** The webhook capability as the lanes use it. */
export interface Webhooks {
  readonly subscriptions: WebhookSubscriptionsRepository;
  readonly deliveries: WebhookDeliveriesRepository;
  readonly outbox: WebhookOutbox;
  readonly worker: WebhookDeliveryWorker;
}
