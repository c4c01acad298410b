import { randomBytes, randomUUID } from 'node:crypto';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { WebhookDeliveriesRepository } from '../../src/domain/webhooks/deliveries.repository';
import { WebhookDeliveryWorker } from '../../src/domain/webhooks/delivery-worker';
import { WebhookSubscriptionsRepository } from '../../src/domain/webhooks/subscriptions.repository';
import { WebhookOutbox } from '../../src/domain/webhooks/webhook-outbox';
import { WebhookSender } from '../../src/infrastructure/http/webhook-sender';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { Metrics } from '../../src/infrastructure/metrics/metrics';
import { openTestDatabase } from '../support/database';

/*
 * Delivery health per subscription, as the dashboard's partners page reads it, from deliveries the
 * real worker made to real receivers: one that answers, one that always answers 503.
 */

type Handle = Awaited<ReturnType<typeof openTestDatabase>>;
let h: Handle;
const subscriptions = new WebhookSubscriptionsRepository();
const deliveries = new WebhookDeliveriesRepository();
const outbox = new WebhookOutbox(subscriptions);
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const senders: WebhookSender[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  h = await openTestDatabase();
});
afterAll(async () => {
  await Promise.all(senders.map((s) => s.close()));
  await Promise.all(receivers.map((r) => r.stop()));
  await h?.dispose();
});

async function partner(): Promise<string> {
  const id = `p-${randomUUID().slice(0, 8)}`;
  await h.db
    .insertInto('partners')
    .values({ id, name: id, kind: 'mfs', payer_types: ['mfs-user'] })
    .execute();
  return id;
}

function worker(schedule: number[]): WebhookDeliveryWorker {
  const sender = new WebhookSender();
  senders.push(sender);
  return new WebhookDeliveryWorker({
    db: h.db,
    deliveries,
    subscriptions,
    sender,
    secretsOf: () => Promise.resolve([secret]),
    schedule,
    timeoutMs: 2_000,
    pollMs: 20,
    batchSize: 8,
    metrics: new Metrics(false),
    log: createLogger('silent'),
    random: () => 0,
  });
}

async function receiver(o: { failFirst?: number; failStatus?: number } = {}): Promise<WebhookReceiver> {
  const r = new WebhookReceiver({ secrets: [secret], ...o });
  await r.start();
  receivers.push(r);
  return r;
}

async function subscribe(partnerId: string, url: string): Promise<string> {
  return (await subscriptions.create(h.db, { partnerId, url, eventTypes: ['payment.reversed'] }, new Date()))
    .id;
}

async function reversed(partnerId: string): Promise<void> {
  await h.db.transaction().execute((tx) =>
    outbox.record(tx, [
      {
        type: 'payment.reversed',
        paymentId: randomUUID(),
        partnerId,
        occurredAt: new Date(),
        data: { amountMinor: '100', currency: 'BDT' },
      },
    ]),
  );
}

it('tells delivered, retrying and given-up subscriptions apart, with the oldest waiting delivery', async () => {
  const p = await partner();
  const good = await subscribe(p, (await receiver()).url);
  const broken = await subscribe(p, (await receiver({ failFirst: 1000, failStatus: 503 })).url);
  await reversed(p);
  // Two attempts, 10 ms apart, then the broken subscription's delivery gives up.
  const quick = worker([10]);
  const deadline = Date.now() + 10_000;
  while ((await deliveries.list(h.db, p, { state: 'failed' })).length === 0) {
    if (Date.now() > deadline) throw new Error('the delivery never gave up');
    await quick.drain();
    await new Promise((r) => setTimeout(r, 20));
  }

  const q = await partner();
  const waiting = await subscribe(q, (await receiver({ failFirst: 1000, failStatus: 503 })).url);
  await reversed(q);
  // One failed attempt; the next is an hour away: the delivery waits, retrying.
  await worker([3_600_000]).drain();

  const now = new Date(Date.now() + 120_000);
  const health = new Map((await deliveries.health(h.db, now)).map((x) => [x.subscriptionId, x]));
  expect(health.get(good)).toMatchObject({
    pending: 0,
    failed: 0,
    deliveredInWindow: 1,
    failedAttemptsInWindow: 0,
    lastFailure: null,
  });
  expect(health.get(good)?.lastDeliveredAt).toBeInstanceOf(Date);
  expect(health.get(broken)).toMatchObject({
    pending: 0,
    retrying: 0,
    failed: 1,
    deliveredInWindow: 0,
    failedAttemptsInWindow: 2,
    lastFailure: { statusCode: 503, error: 'HTTP 503' },
  });
  expect(health.get(waiting)).toMatchObject({
    pending: 1,
    retrying: 1,
    failed: 0,
    failedAttemptsInWindow: 1,
  });
  expect(health.get(waiting)?.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(120);

  // Two days on: the window holds nothing, what waits or gave up is still there.
  const later = new Map(
    (await deliveries.health(h.db, new Date(Date.now() + 48 * 3_600_000))).map((x) => [x.subscriptionId, x]),
  );
  expect(later.get(good)).toBeUndefined();
  expect(later.get(broken)).toMatchObject({ failed: 1, failedAttemptsInWindow: 0, lastFailure: null });
  expect(later.get(waiting)?.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(48 * 3600);
});
