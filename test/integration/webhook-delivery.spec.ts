import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import type { PaymentEvent } from '../../src/domain/payments/payment-events';
import { WebhookDeliveriesRepository } from '../../src/domain/webhooks/deliveries.repository';
import { WebhookDeliveryWorker } from '../../src/domain/webhooks/delivery-worker';
import { WebhookSubscriptionsRepository } from '../../src/domain/webhooks/subscriptions.repository';
import { WebhookOutbox } from '../../src/domain/webhooks/webhook-outbox';
import { up as migrateDeliveriesToJobs } from '../../src/infrastructure/database/migrations/20261207010000-webhook-delivery-jobs';
import { WebhookSender } from '../../src/infrastructure/http/webhook-sender';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { Metrics } from '../../src/infrastructure/metrics/metrics';
import { openTestDatabase } from '../support/database';

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

function worker(schedule: number[], metrics = new Metrics(false)): WebhookDeliveryWorker {
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
    metrics,
    log: createLogger('silent'),
    random: () => 0,
  });
}

async function receiver(
  o: { failFirst?: number; failStatus?: number; retryAfter?: string } = {},
): Promise<WebhookReceiver> {
  const r = new WebhookReceiver({ secrets: [secret], ...o });
  await r.start();
  receivers.push(r);
  return r;
}

function event(partnerId: string, paymentId: string, n: number): PaymentEvent {
  return {
    type: 'payment.reversed',
    paymentId,
    partnerId,
    occurredAt: new Date(),
    data: { n: String(n), amountMinor: '100', currency: 'BDT' },
  };
}

/** The durable job of each delivery of a partner, in delivery order. */
async function jobsOf(partnerId: string): Promise<{ state: string; ordering_key: string | null }[]> {
  return h.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('jobs as j', (join) =>
      join.on('j.kind', '=', 'webhook.deliver').on(sql`j.dedupe_key`, '=', sql`d.id::text`),
    )
    .select(['j.state', 'j.ordering_key'])
    .where('d.partner_id', '=', partnerId)
    .orderBy('d.seq')
    .execute();
}

/** A delivery as a node of the release before delivery jobs wrote it: the row alone, no job. */
async function deliveryWithoutJob(
  partnerId: string,
  subscriptionId: string,
  paymentId: string,
): Promise<string> {
  const eventId = `msg_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify({
    type: 'payment.reversed',
    timestamp: new Date().toISOString(),
    data: { paymentId },
  });
  await h.db
    .insertInto('webhook_events')
    .values({
      id: eventId,
      partner_id: partnerId,
      payment_id: paymentId,
      type: 'payment.reversed',
      body,
      occurred_at: new Date(),
      created_at: new Date(),
    })
    .execute();
  await h.db
    .insertInto('webhook_deliveries')
    .values({
      id: randomUUID(),
      event_id: eventId,
      subscription_id: subscriptionId,
      partner_id: partnerId,
      payment_id: paymentId,
      state: 'pending',
      next_attempt_at: new Date(Date.now() - 60_000),
      created_at: new Date(),
      updated_at: new Date(),
    })
    .execute();
  return eventId;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('webhook outbox and delivery worker (real database, real receivers)', () => {
  it('writes nothing for a transaction that rolls back; fans out to every matching subscription', async () => {
    const p = await partner();
    const [a, b] = [await receiver(), await receiver()];
    await subscriptions.create(
      h.db,
      { partnerId: p, url: a.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    await subscriptions.create(
      h.db,
      { partnerId: p, url: b.url, eventTypes: ['payment.resolved'] },
      new Date(),
    );
    await h.db
      .transaction()
      .execute(async (tx) => {
        await outbox.record(tx, [event(p, randomUUID(), 0)]);
        throw new Error('the state change fails');
      })
      .catch(() => undefined);
    // Neither the delivery nor its job survives the rollback.
    expect(await deliveries.list(h.db, p)).toHaveLength(0);
    const committed = randomUUID();
    await h.db.transaction().execute((tx) => outbox.record(tx, [event(p, committed, 1)]));
    // The committed delivery has its job, made in the same transaction, ordered by subscription and payment.
    const [sub] = await subscriptions.list(h.db, p);
    expect(await jobsOf(p)).toEqual([{ state: 'pending', ordering_key: `webhook:${sub!.id}:${committed}` }]);
    expect(
      await h.db
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', 'webhook.deliver')
        .where(sql<boolean>`payload->>'deliveryId' not in (select id::text from webhook_deliveries)`)
        .execute(),
    ).toHaveLength(0);
    await worker([100]).drain();
    expect(
      a.accepted().map((d) => (JSON.parse(d.body) as { data: { paymentId: string } }).data.paymentId),
    ).toEqual([committed]);
    expect(b.received).toHaveLength(0);
  });

  it('two nodes draining at once send each event once, in order per payment', async () => {
    const p = await partner();
    const r = await receiver();
    await subscriptions.create(
      h.db,
      { partnerId: p, url: r.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    const payments = [randomUUID(), randomUUID(), randomUUID()];
    for (let n = 0; n < 10; n += 1) {
      await h.db.transaction().execute((tx) =>
        outbox.record(
          tx,
          payments.map((pay) => event(p, pay, n)),
        ),
      );
    }
    const [w1, w2] = [worker([100]), worker([100])];
    expect(w1.runner.owner).not.toBe(w2.runner.owner);
    await Promise.all([w1.drain(), w2.drain(), w1.drain(), w2.drain()]);
    await until(async () => (await deliveries.list(h.db, p, { state: 'pending' })).length === 0);
    // One job per delivery, each finished once its delivery was.
    const jobs = await jobsOf(p);
    expect(jobs).toHaveLength(30);
    expect(new Set(jobs.map((j) => j.state))).toEqual(new Set(['done']));
    expect(new Set(jobs.map((j) => j.ordering_key)).size).toBe(3);
    const got = r.accepted().map((d) => JSON.parse(d.body) as { data: { paymentId: string; n: string } });
    expect(got).toHaveLength(30);
    expect(new Set(r.accepted().map((d) => d.id)).size).toBe(30);
    for (const pay of payments) {
      expect(got.filter((g) => g.data.paymentId === pay).map((g) => Number(g.data.n))).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
      ]);
    }
  });

  it('honours Retry-After on 429, then delivers; the log shows every attempt', async () => {
    const p = await partner();
    // The receiver asks for 1 s; the schedule alone would retry after 10 ms.
    const r = await receiver({ failFirst: 1, failStatus: 429, retryAfter: '1' });
    await subscriptions.create(
      h.db,
      { partnerId: p, url: r.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    await h.db.transaction().execute((tx) => outbox.record(tx, [event(p, randomUUID(), 0)]));
    const w = worker([10, 10]);
    await w.tick();
    const [d] = await deliveries.list(h.db, p);
    expect(d).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 429 });
    w.start();
    await until(() => r.accepted().length === 1, 5_000);
    await w.stop();
    expect(r.received.map((x) => x.status)).toEqual([429, 204]);
    const attempts = await deliveries.attempts(h.db, d!.id);
    expect(attempts.map((a) => a.outcome)).toEqual(['failed', 'delivered']);
    expect(Date.parse(attempts[1]!.at) - Date.parse(attempts[0]!.at)).toBeGreaterThanOrEqual(900);
  });

  it('gives up after the schedule, and a redelivery sends the same webhook-id again', async () => {
    const p = await partner();
    const r = await receiver({ failFirst: 3 });
    await subscriptions.create(
      h.db,
      { partnerId: p, url: r.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    await h.db.transaction().execute((tx) => outbox.record(tx, [event(p, randomUUID(), 0)]));
    const w = worker([10, 10]);
    w.start();
    await until(async () => (await deliveries.list(h.db, p))[0]?.state === 'failed');
    const [failed] = await deliveries.list(h.db, p);
    expect(failed).toMatchObject({ attempts: 3, lastStatus: 500 });
    expect(await deliveries.requeue(h.db, p, { eventId: failed!.eventId }, new Date())).toBe(1);
    await until(() => r.accepted().length === 1);
    await w.stop();
    expect(r.accepted()[0]!.id).toBe(failed!.eventId);
  });

  it('410 Gone disables the subscription and cancels what was waiting for it', async () => {
    const p = await partner();
    const r = await receiver({ failFirst: 100, failStatus: 410 });
    const sub = await subscriptions.create(
      h.db,
      { partnerId: p, url: r.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    const pay = randomUUID();
    await h.db.transaction().execute((tx) => outbox.record(tx, [event(p, pay, 0), event(p, pay, 1)]));
    const metrics = new Metrics(false);
    await worker([10], metrics).drain();
    expect(r.received).toHaveLength(1);
    expect((await subscriptions.find(h.db, p, sub.id))?.state).toBe('disabled');
    expect((await deliveries.list(h.db, p)).map((d) => d.state).sort()).toEqual(['cancelled', 'cancelled']);
    const counted = (await metrics.webhookDeliveries.get()).values;
    expect(counted.map((v) => [v.labels.outcome, v.value])).toEqual([['gone', 1]]);
    // A new event for the disabled subscription is not queued at all.
    await h.db.transaction().execute((tx) => outbox.record(tx, [event(p, pay, 2)]));
    expect(await deliveries.list(h.db, p)).toHaveLength(2);
  });

  it('delivers, in order, what was pending before delivery jobs existed (the migration gives it jobs)', async () => {
    const p = await partner();
    const r = await receiver();
    const sub = await subscriptions.create(
      h.db,
      { partnerId: p, url: r.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    const pay = randomUUID();
    const ids = [
      await deliveryWithoutJob(p, sub.id, pay),
      await deliveryWithoutJob(p, sub.id, pay),
      await deliveryWithoutJob(p, sub.id, pay),
    ];
    // Nothing sends a delivery that has no job.
    await worker([10]).drain();
    expect(r.received).toHaveLength(0);
    await migrateDeliveriesToJobs(h.db as never);
    expect((await jobsOf(p)).map((j) => j.state)).toEqual(['pending', 'pending', 'pending']);
    await Promise.all([worker([10]).drain(), worker([10]).drain()]);
    expect(r.accepted().map((d) => d.id)).toEqual(ids);
    expect((await deliveries.list(h.db, p)).map((d) => d.state)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('gives a pending delivery with no live job one (a node of the previous release wrote it)', async () => {
    const p = await partner();
    const r = await receiver();
    const sub = await subscriptions.create(
      h.db,
      { partnerId: p, url: r.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    const orphan = await deliveryWithoutJob(p, sub.id, randomUUID());
    // And one whose job finished while the delivery was left pending.
    await h.db.transaction().execute((tx) => outbox.record(tx, [event(p, randomUUID(), 0)]));
    const [recorded] = await deliveries.list(h.db, p, { state: 'pending' });
    await h.db
      .updateTable('jobs')
      .set({ state: 'done' })
      .where('kind', '=', 'webhook.deliver')
      .where('dedupe_key', '=', recorded!.id)
      .execute();
    await worker([10]).drain();
    expect(r.received).toHaveLength(0);
    expect(await deliveries.adoptOrphans(h.db, new Date())).toBe(2);
    expect(await deliveries.adoptOrphans(h.db, new Date())).toBe(0);
    await worker([10]).drain();
    expect(
      r
        .accepted()
        .map((d) => d.id)
        .sort(),
    ).toEqual([orphan, recorded!.eventId].sort());
    expect((await deliveries.list(h.db, p, { state: 'pending' })).length).toBe(0);
  });
});
