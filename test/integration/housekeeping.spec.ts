import { IdempotencyRepository } from '../../src/domain/idempotency/idempotency.repository';
import { PaymentsRepository } from '../../src/domain/payments/payments.repository';
import { seedDemoData } from '../../src/demo/demo-data';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { Metrics } from '../../src/infrastructure/metrics/metrics';
import { deserialiseResult } from '../../src/pipeline/bill-pay-result';
import { Housekeeping } from '../../src/pipeline/housekeeping';
import { JobQueue } from '../../src/infrastructure/jobs';
import { FollowUps, RESOLVE } from '../../src/pipeline/resolution/follow-ups';
import { openTestDatabase } from '../support/database';

/** A node that dies mid-payment leaves its key in flight: the sweep must turn it into a PENDING answer. */
let h: Awaited<ReturnType<typeof openTestDatabase>>;
const payments = new PaymentsRepository();
const idempotency = new IdempotencyRepository(72);

beforeAll(async () => {
  h = await openTestDatabase();
  await seedDemoData(h.db, (id) => `http://127.0.0.1:1/${id}`);
});
afterAll(async () => {
  await h?.dispose();
});

async function strand(id: string, key: string, at: Date): Promise<void> {
  await h.db.transaction().execute(async (tx) => {
    await idempotency.begin(tx, { partnerId: 'demo-mfs', scope: 'rest:bill-pay', key }, 'fp', id, at);
    await payments.insert(tx, {
      id,
      partnerId: 'demo-mfs',
      lane: 'http-plain',
      protocol: 'rest',
      payerType: 'mfs-user',
      billType: 'WATER',
      billReference: 'W-1',
      amountMinor: 1000n,
      currency: 'BDT',
      payerKind: 'wallet',
      payerId: '017',
      partnerReference: key,
      idempotencyKey: key,
      state: 'POSTED',
      reasonCode: 'APPROVED',
      route: null,
      origin: {},
      receivedAt: at,
    });
  });
}

it('finishes stale in-flight payments as PENDING, once, and leaves fresh ones alone', async () => {
  const now = new Date();
  await strand('01a20000-0000-7000-8000-000000000001', 'stale-1', new Date(now.getTime() - 10 * 60_000));
  await strand('01a20000-0000-7000-8000-000000000002', 'fresh-1', now);
  const sweep = new Housekeeping(
    h.db,
    idempotency,
    payments,
    120_000,
    new Metrics(false),
    createLogger('silent'),
  );

  const first = await sweep.runOnce(now);
  expect(first.recovered).toBe(1);
  const stale = await payments.findById(h.db, '01a20000-0000-7000-8000-000000000001');
  expect(stale).toMatchObject({ state: 'PENDING', reasonCode: 'PROCESSING_INTERRUPTED' });
  const replay = await idempotency.existing(
    h.db,
    { partnerId: 'demo-mfs', scope: 'rest:bill-pay', key: 'stale-1' },
    'fp',
  );
  expect(replay.kind).toBe('replay');
  if (replay.kind === 'replay') expect(deserialiseResult(replay.result)).toMatchObject({ status: 'PENDING' });

  const fresh = await payments.findById(h.db, '01a20000-0000-7000-8000-000000000002');
  expect(fresh?.state).toBe('POSTED');
  expect((await sweep.runOnce(now)).recovered).toBe(0);
});

it("hands a dead node's interrupted payment to its resolution, in the sweep's transaction, and gives any ownerless pending payment one", async () => {
  const now = new Date();
  const queue = new JobQueue(() => now);
  const sweep = new Housekeeping(
    h.db,
    idempotency,
    payments,
    120_000,
    new Metrics(false),
    createLogger('silent'),
    undefined,
    undefined,
    new FollowUps(queue, 10_000),
  );
  const interrupted = '01a20000-0000-7000-8000-000000000003';
  await strand(interrupted, 'stale-2', new Date(now.getTime() - 10 * 60_000));
  // A pending payment without an owner (a write path that forgot to give it one).
  const orphan = '01a20000-0000-7000-8000-000000000004';
  await strand(orphan, 'fresh-2', now);
  await payments.update(h.db, orphan, { state: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });

  expect((await sweep.runOnce(now)).recovered).toBe(1);
  const owned = (await queue.counts(h.db, RESOLVE)).pending;
  for (const id of [interrupted, orphan]) {
    expect(await queue.find(h.db, RESOLVE, id)).toMatchObject({
      state: 'pending',
      runAt: new Date(now.getTime() + 10_000),
    });
  }
  // Once owned, never enqueued twice.
  await sweep.runOnce(now);
  expect((await queue.counts(h.db, RESOLVE)).pending).toBe(owned);
});

it('a late finish never overwrites a payment decided meanwhile, nor the answer its key gives', async () => {
  const id = '01a20000-0000-7000-8000-000000000005';
  const key = { partnerId: 'demo-mfs', scope: 'rest:bill-pay', key: 'late-finish' };
  await strand(id, key.key, new Date());
  // Decided by another path (its resolution, a reversal): declined, and the key answers so.
  await h.db.transaction().execute(async (tx) => {
    await payments.update(tx, id, { state: 'DECLINED', reasonCode: 'BILLER_TIMEOUT' });
    await idempotency.complete(tx, key, { status: 'DECLINED' }, new Date());
  });
  const applied = await payments.finishMany(
    h.db,
    [
      {
        id,
        change: { state: 'APPROVED', reasonCode: 'APPROVED', billerReceipt: 'R-1' },
        key,
        result: { status: 'APPROVED' },
      },
    ],
    new Date(),
  );
  expect(applied).toEqual([false]);
  expect(await payments.findById(h.db, id)).toMatchObject({ state: 'DECLINED', billerReceipt: null });
  expect(await idempotency.completedResult(h.db, key)).toEqual({ status: 'DECLINED' });
});
