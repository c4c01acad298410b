import type { AppConfig } from '../config/config';
import { demoBillerSecret } from '../demo/demo-biller-secrets';
import { BillerSecretsRepository } from '../domain/biller-reversals/biller-secrets.repository';
import type { Db } from '../domain/db';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import { WebhookDeliveriesRepository } from '../domain/webhooks/deliveries.repository';
import { WebhookDeliveryWorker } from '../domain/webhooks/delivery-worker';
import { WebhookSubscriptionsRepository } from '../domain/webhooks/subscriptions.repository';
import { WebhookOutbox } from '../domain/webhooks/webhook-outbox';
import type { Webhooks } from '../domain/webhooks/webhooks';
import { WebhookSender } from '../infrastructure/http/webhook-sender';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import { BillerReversalService } from '../pipeline/biller-reversal.service';
import type { PostingUndo } from '../pipeline/posting-undo';

/** The outbox alone: state changes record into it before the worker (which needs the edge) exists. */
export function createOutbox(): { subscriptions: WebhookSubscriptionsRepository; outbox: WebhookOutbox } {
  const subscriptions = new WebhookSubscriptionsRepository();
  return { subscriptions, outbox: new WebhookOutbox(subscriptions) };
}

export function createWebhooks(
  o: {
    db: Db;
    config: AppConfig;
    metrics: Metrics;
    log: Logger;
    secretsOf: (partnerId: string) => Promise<readonly string[]>;
  },
  outbox: ReturnType<typeof createOutbox>,
): Webhooks & { close(): Promise<void> } {
  const sender = new WebhookSender();
  const deliveries = new WebhookDeliveriesRepository();
  const worker = new WebhookDeliveryWorker({
    db: o.db,
    deliveries,
    subscriptions: outbox.subscriptions,
    sender,
    secretsOf: o.secretsOf,
    schedule: o.config.webhooks.retryScheduleMs,
    timeoutMs: o.config.webhooks.timeoutMs,
    pollMs: o.config.webhooks.pollMs,
    batchSize: 32,
    metrics: o.metrics,
    log: o.log,
  });
  return {
    ...outbox,
    deliveries,
    worker,
    close: async () => {
      await worker.stop();
      await sender.close();
    },
  };
}

export async function createBillerReversals(o: {
  db: Db;
  config: AppConfig;
  payments: PaymentsRepository;
  undo: PostingUndo;
  outbox: WebhookOutbox;
  log: Logger;
}): Promise<BillerReversalService> {
  const secrets = new BillerSecretsRepository();
  if (o.config.demoData) {
    // The demo billers sign with secrets derived from their ids (the simulator knows them too).
    const billers = await o.db
      .selectFrom('biller_endpoints')
      .select('id')
      .where('id', 'like', 'sim-%')
      .execute();
    for (const b of billers) await secrets.add(o.db, b.id, demoBillerSecret(b.id), new Date(0));
  }
  return new BillerReversalService({
    db: o.db,
    payments: o.payments,
    secrets,
    undo: o.undo,
    events: o.outbox,
    log: o.log,
  });
}
