import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { PaymentsRepository } from '../../src/domain/payments/payments.repository';
import { CoreBankingClient } from '../../src/domain/posting/core-banking-client';
import { CoreBankingRefunds, type RefundOrder } from '../../src/domain/posting/core-banking-refunds';
import { JsonHttpClient } from '../../src/infrastructure/http/http-client';
import { Metrics } from '../../src/infrastructure/metrics/metrics';
import { CoreBankingSimulator } from '../../src/simulators/core-banking-simulator';
import { IdempotencyRepository } from '../../src/domain/idempotency/idempotency.repository';
import { JobRunner } from '../../src/infrastructure/jobs';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { Housekeeping } from '../../src/pipeline/housekeeping';
import { openTestDatabase } from '../support/database';

/*
 * A bank customer debited for a payment that then failed is owed a refund until core banking
 * confirms it: kept in the database, retried with backoff, once per node at a time, never twice.
 */

const ACCOUNT = '1001000000001';
let h: Awaited<ReturnType<typeof openTestDatabase>>;
let cbs: CoreBankingSimulator;
let http: JsonHttpClient;
let client: CoreBankingClient;
const payments = new PaymentsRepository();

beforeAll(async () => {
  h = await openTestDatabase();
  await h.db
    .insertInto('partners')
    .values({ id: 'rf-bank', name: 'Refund bank', kind: 'bank', payer_types: ['bank-customer'] })
    .execute();
  cbs = new CoreBankingSimulator();
  http = new JsonHttpClient();
  client = new CoreBankingClient(http, await cbs.start(0), 2_000, new Metrics(false));
});
afterAll(async () => {
  await http?.close();
  await cbs?.stop();
  await h?.dispose();
});

/** A recorded bank-customer payment to owe a refund on. */
async function payment(amountMinor = 4_200n): Promise<RefundOrder> {
  const now = new Date();
  const id = randomUUID();
  const key = `rf-${id}`;
  await payments.claimAndRecordMany(h.db, [
    {
      payment: {
        id,
        partnerId: 'rf-bank',
        lane: 'test',
        protocol: 'rest',
        payerType: 'bank-customer',
        billType: 'ELECTRICITY',
        billReference: 'DESCO-1',
        amountMinor,
        currency: 'BDT',
        payerKind: 'account',
        payerId: ACCOUNT,
        partnerReference: key,
        idempotencyKey: key,
        state: 'RECEIVED',
        reasonCode: 'APPROVED',
        route: null,
        origin: {},
        receivedAt: now,
        createdAt: now,
      },
      idempotency: {
        partnerId: 'rf-bank',
        scope: 'test',
        key,
        fingerprint: 'fp',
        expiresAt: new Date(now.getTime() + 3_600_000),
      },
    },
  ]);
  return { paymentId: id, account: ACCOUNT, amountMinor, currency: 'BDT' };
}

async function refundRow(paymentId: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await sql<Record<string, unknown>>`
    select state, attempts, last_error, core_banking_ref, next_attempt_at
    from core_banking_refunds where payment_id = ${paymentId}`.execute(h.db);
  return rows[0];
}

const unavailable = { outcome: 'unavailable', detail: 'connection refused' } as const;

/** What every path does: owe in the transaction of the reversal, ask core banking after it commits. */
async function oweThenAttempt(refunds: CoreBankingRefunds, order: RefundOrder, at: Date) {
  await h.db.transaction().execute((tx) => refunds.owe(tx, order, at));
  return refunds.attempt(h.db, order.paymentId, at);
}
const later = (from: Date, ms: number): Date => new Date(from.getTime() + ms);
const log = createLogger('silent');

async function refundedCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from core_banking_refunds where state = 'refunded'`.execute(h.db);
  return rows[0]?.n ?? 0;
}

/**
 * What a node's job runner does at `at`: runs the refund retries then due (as every node does, see
 * createFollowUps). Answers how many were confirmed and how many are still owed.
 */
async function retryDue(
  nodes: readonly CoreBankingRefunds[],
  at: Date,
): Promise<{ refunded: number; stillOwed: number }> {
  const before = await refundedCount();
  await Promise.all(
    nodes.map((refunds, i) => {
      const runner = new JobRunner(h.db, log, { now: () => at, owner: `node-${i}`, batch: 1 });
      refunds.registerOn(runner, h.db, () => at);
      return runner.drain();
    }),
  );
  return { refunded: (await refundedCount()) - before, stillOwed: await nodes[0]!.owed(h.db) };
}
const credit = (o: RefundOrder) =>
  client.credit(o.account, o.amountMinor, o.currency, `${o.paymentId}:refund`);

describe('refunds owed to bank customers', () => {
  it('is owed on record before core banking is asked, and retried until core banking confirms it, crediting once', async () => {
    const order = await payment();
    let down = true;
    let onRecordWhenAsked: unknown;
    const refunds = new CoreBankingRefunds(async (o) => {
      onRecordWhenAsked ??= await refundRow(o.paymentId);
      return down ? unavailable : credit(o);
    });
    const t0 = new Date();
    expect(await oweThenAttempt(refunds, order, t0)).toEqual(unavailable);
    // Committed before the call: a crash during it, or a settlement that rolls back, loses nothing.
    expect(onRecordWhenAsked).toMatchObject({ state: 'owed' });
    expect(await refundRow(order.paymentId)).toMatchObject({
      state: 'owed',
      attempts: 1,
      last_error: 'unavailable: connection refused',
    });
    expect(await refunds.owed(h.db)).toBe(1);

    // Not due yet: the first retry waits 30 s.
    expect(await retryDue([refunds], later(t0, 1_000))).toEqual({ refunded: 0, stillOwed: 1 });

    down = false;
    const balance = cbs.balance(ACCOUNT)!;
    expect(await retryDue([refunds], later(t0, 31_000))).toEqual({ refunded: 1, stillOwed: 0 });
    expect(cbs.balance(ACCOUNT)).toBe(balance + order.amountMinor);
    expect(await refundRow(order.paymentId)).toMatchObject({
      state: 'refunded',
      attempts: 2,
      last_error: null,
      core_banking_ref: expect.stringMatching(/^CBS\d+$/),
    });

    // Nothing more to do, however often the loop runs or the refund is asked for again.
    expect(await retryDue([refunds], later(t0, 10 * 3_600_000))).toEqual({ refunded: 0, stillOwed: 0 });
    expect(await oweThenAttempt(refunds, order, later(t0, 11 * 3_600_000))).toBeUndefined();
    expect(cbs.balance(ACCOUNT)).toBe(balance + order.amountMinor);
  });

  it('backs off while core banking keeps failing, and says why', async () => {
    const order = await payment();
    let calls = 0;
    const refunds = new CoreBankingRefunds(() => {
      calls += 1;
      return Promise.resolve({ outcome: 'unknown', detail: 'core banking timeout' });
    });
    const t0 = new Date();
    await oweThenAttempt(refunds, order, t0);
    await retryDue([refunds], later(t0, 31_000));
    const row = await refundRow(order.paymentId);
    expect(row).toMatchObject({ state: 'owed', attempts: 2, last_error: 'unknown: core banking timeout' });
    // Second failure: the next attempt is about 60 s after this one, not sooner.
    const next = (row?.next_attempt_at as Date).getTime();
    expect(next).toBeGreaterThanOrEqual(t0.getTime() + 31_000 + 60_000);
    expect(next).toBeLessThan(t0.getTime() + 31_000 + 60_000 + 5_000);
    await retryDue([refunds], later(t0, 31_000 + 59_000));
    expect(calls).toBe(2);
    await retryDue([refunds], later(t0, 31_000 + 66_000));
    expect(calls).toBe(3);
    // Out of the way of the next tests, which count what is owed.
    await sql`delete from core_banking_refunds where payment_id = ${order.paymentId}`.execute(h.db);
  });

  it('two nodes retrying at once try each owed refund once', async () => {
    const orders = [await payment(), await payment(), await payment()];
    const tried: string[] = [];
    const refunder = (o: RefundOrder) => {
      tried.push(o.paymentId);
      return credit(o);
    };
    const failing = new CoreBankingRefunds(() => Promise.resolve(unavailable));
    const t0 = new Date();
    for (const o of orders) await oweThenAttempt(failing, o, t0);
    const nodeA = new CoreBankingRefunds(refunder);
    const nodeB = new CoreBankingRefunds(refunder);
    const due = later(t0, 20 * 3_600_000);
    expect(await retryDue([nodeA, nodeB], due)).toEqual({ refunded: 3, stillOwed: 0 });
    expect([...tried].sort()).toEqual(orders.map((o) => o.paymentId).sort());
  });

  it('the job runner retries what is owed and the housekeeping sweep shows ops how much is left', async () => {
    const order = await payment();
    const stillDown = new CoreBankingRefunds((o) =>
      Promise.resolve({ outcome: 'unknown', detail: `still down for ${o.paymentId}` }),
    );
    await oweThenAttempt(stillDown, order, new Date());
    const metrics = new Metrics(false);
    const housekeeping = new Housekeeping(
      h.db,
      new IdempotencyRepository(72),
      payments,
      120_000,
      metrics,
      createLogger('silent'),
      stillDown,
    );
    expect(await retryDue([stillDown], later(new Date(), 31_000))).toEqual({ refunded: 0, stillOwed: 1 });
    expect(await refundRow(order.paymentId)).toMatchObject({
      attempts: 2,
      last_error: `unknown: still down for ${order.paymentId}`,
    });
    // The sweep's round, as a node's runner of recurring jobs makes it.
    let clock = new Date();
    const recurring = new JobRunner(h.db, log, { now: () => clock });
    housekeeping.scheduleOn(recurring, 2_000);
    expect(await recurring.runOnce()).toBe(0);
    clock = later(clock, 2_000);
    expect(await recurring.runOnce()).toBe(1);
    expect((await metrics.refundsOwed.get()).values[0]?.value).toBe(1);
    await sql`delete from core_banking_refunds where payment_id = ${order.paymentId}`.execute(h.db);
  });

  it('a refund owed with no job (a node of the previous release owed it) is given one by the sweep and refunded', async () => {
    const order = await payment();
    const now = new Date();
    // What a node of the previous release writes during a rolling deploy: the debt, no job.
    await sql`
      insert into core_banking_refunds
        (payment_id, account, amount, currency, reference, state, attempts, next_attempt_at, created_at, updated_at)
      values (${order.paymentId}, ${order.account}, ${order.amountMinor}, ${order.currency},
              ${`${order.paymentId}:refund`}, 'owed', 0, ${now}, ${now}, ${now})`.execute(h.db);
    const refunds = new CoreBankingRefunds(credit);
    expect(await retryDue([refunds], later(now, 1_000))).toEqual({ refunded: 0, stillOwed: 1 });
    const housekeeping = new Housekeeping(
      h.db,
      new IdempotencyRepository(72),
      payments,
      120_000,
      new Metrics(false),
      createLogger('silent'),
      refunds,
    );
    await housekeeping.runOnce(later(now, 2_000));
    // Twice: the second sweep finds the job it gave and gives none again.
    await housekeeping.runOnce(later(now, 2_500));
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from jobs where kind = 'core-banking.refund' and dedupe_key = ${order.paymentId}`.execute(
      h.db,
    );
    expect(rows[0]?.n).toBe(1);
    expect(await retryDue([refunds], later(now, 3_000))).toEqual({ refunded: 1, stillOwed: 0 });
    expect(await refundRow(order.paymentId)).toMatchObject({ state: 'refunded', attempts: 1 });
  });

  it('a refund core banking refuses is not retried: it is parked for ops in the same transaction', async () => {
    const order = await payment();
    const parked: string[] = [];
    let calls = 0;
    const refunds = new CoreBankingRefunds(
      () => {
        calls += 1;
        return Promise.resolve({ outcome: 'refused', reason: 'ACCOUNT_BLOCKED' } as const);
      },
      async (tx, paymentId, detail) => {
        // Proves it runs inside the transaction that marks the refund refused.
        const { rows } = await sql<{ state: string }>`
          select state from core_banking_refunds where payment_id = ${paymentId}`.execute(tx);
        parked.push(`${paymentId}:${rows[0]?.state}:${detail}`);
      },
    );
    const t0 = new Date();
    expect(await oweThenAttempt(refunds, order, t0)).toEqual({
      outcome: 'refused',
      reason: 'ACCOUNT_BLOCKED',
    });
    expect(parked).toEqual([`${order.paymentId}:refused:refused: ACCOUNT_BLOCKED`]);
    expect(await refundRow(order.paymentId)).toMatchObject({
      state: 'refused',
      last_error: 'refused: ACCOUNT_BLOCKED',
    });
    // Never asked again: ops settle it by hand.
    await retryDue([refunds], later(t0, 48 * 3_600_000));
    expect(calls).toBe(1);
    expect(await refunds.owed(h.db)).toBe(0);
    await h.db.transaction().execute((tx) => refunds.settleByHand(tx, order.paymentId, 'CHQ-000123', t0));
    expect(await refundRow(order.paymentId)).toMatchObject({
      state: 'settled_by_hand',
      core_banking_ref: 'CHQ-000123',
    });
  });
});
