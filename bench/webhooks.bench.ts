/*
 * Webhook delivery throughput: events recorded in the outbox, then sent, signed, to a local
 * receiver that verifies every signature (the `billgate webhooks listen` receiver), until none is
 * pending. Measured in one run, as ratios: one worker with batches of 1 (one delivery at a time),
 * one worker with batches of 32 (the default), and two workers (two nodes) sharing the outbox.
 *
 *   npm run bench -- webhooks [--events 2000]
 *   DATABASE_URL=postgres://... npm run bench -- webhooks
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookReceiver } from '../src/cli/webhook-receiver';
import { WebhookDeliveriesRepository } from '../src/domain/webhooks/deliveries.repository';
import { WebhookDeliveryWorker } from '../src/domain/webhooks/delivery-worker';
import { WebhookSubscriptionsRepository } from '../src/domain/webhooks/subscriptions.repository';
import { WebhookOutbox } from '../src/domain/webhooks/webhook-outbox';
import { openDatabase } from '../src/infrastructure/database/database';
import { migrateToLatest } from '../src/infrastructure/database/migrator';
import { WebhookSender } from '../src/infrastructure/http/webhook-sender';
import { createLogger } from '../src/infrastructure/logging/logger';
import { Metrics } from '../src/infrastructure/metrics/metrics';
import { createScratchDatabase } from '../test/support/scratch-database';
import { arg, fmt } from './lib/stats';

const events = Number(arg('events', '2000'));

async function main(): Promise<void> {
  const scratch =
    process.env.DATABASE_URL !== undefined
      ? await createScratchDatabase(process.env.DATABASE_URL, 'bench_webhooks')
      : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-webhooks-'));
  const handle = await openDatabase({ url: scratch?.url, dataDir, poolSize: 20 });
  await migrateToLatest(handle.db as never);
  const db = handle.db;
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const receiver = new WebhookReceiver({ secrets: [secret] });
  await receiver.start();
  const subscriptions = new WebhookSubscriptionsRepository();
  const deliveries = new WebhookDeliveriesRepository();
  const outbox = new WebhookOutbox(subscriptions);
  const senders: WebhookSender[] = [];
  const log = createLogger('silent');

  async function round(name: string, workers: number, batchSize: number): Promise<number> {
    const partnerId = `bench-${randomUUID().slice(0, 8)}`;
    await db
      .insertInto('partners')
      .values({ id: partnerId, name: partnerId, kind: 'mfs', payer_types: ['mfs-user'] })
      .execute();
    await subscriptions.create(
      db,
      { partnerId, url: receiver.url, eventTypes: ['payment.reversed'] },
      new Date(),
    );
    // One event per payment (the common case: ordering never holds one back), 200 per transaction.
    for (let i = 0; i < events; i += 200) {
      await db.transaction().execute((tx) =>
        outbox.record(
          tx,
          Array.from({ length: Math.min(200, events - i) }, () => ({
            type: 'payment.reversed' as const,
            paymentId: randomUUID(),
            partnerId,
            occurredAt: new Date(),
            data: { amountMinor: '125050', currency: 'BDT', initiatedBy: 'biller', reason: 'bench' },
          })),
        ),
      );
    }
    const before = receiver.accepted().length;
    const ws = Array.from({ length: workers }, () => {
      const sender = new WebhookSender();
      senders.push(sender);
      return new WebhookDeliveryWorker({
        db,
        deliveries,
        subscriptions,
        sender,
        secretsOf: () => Promise.resolve([secret]),
        schedule: [1000],
        timeoutMs: 15_000,
        pollMs: 50,
        batchSize,
        metrics: new Metrics(false),
        log,
      });
    });
    const t0 = process.hrtime.bigint();
    await Promise.all(ws.map((w) => w.drain(1_000_000)));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const sent = receiver.accepted().length - before;
    if (sent !== events) throw new Error(`${name}: ${sent} of ${events} delivered`);
    const rate = events / seconds;
    console.log(`  ${name.padEnd(38)} ${fmt(rate, 0).padStart(6)} events/s  (${fmt(seconds, 2)} s)`);
    return rate;
  }

  console.log(
    `webhook delivery, ${events} events per round, ${scratch !== undefined ? 'PostgreSQL' : 'PGlite'}, receiver verifying every signature:`,
  );
  const one = await round('1 worker, batch of 1', 1, 1);
  const batched = await round('1 worker, batch of 32 (default)', 1, 32);
  const two = await round('2 workers (two nodes), batch of 32', 2, 32);
  console.log(
    `  ratios: batch 32 / batch 1 = ${fmt(batched / one, 1)}×, two nodes / one = ${fmt(two / batched, 2)}×`,
  );

  await Promise.all(senders.map((s) => s.close()));
  await receiver.stop();
  await handle.close();
  await scratch?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
