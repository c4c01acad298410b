import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { seedDemoData, settlementAccountId } from '../../src/demo/demo-data';
import { IdempotencyRepository } from '../../src/domain/idempotency/idempotency.repository';
import { Ledger } from '../../src/domain/ledger/ledger';
import type { PaymentEvent } from '../../src/domain/payments/payment-events';
import { PaymentsRepository } from '../../src/domain/payments/payments.repository';
import { AgentEngine } from '../../src/domain/posting/agent-engine';
import { CoreBankingClient } from '../../src/domain/posting/core-banking-client';
import { CoreBankingEngine } from '../../src/domain/posting/core-banking-engine';
import { CoreBankingRefunds, type RefundOrder } from '../../src/domain/posting/core-banking-refunds';
import { FloatEngine } from '../../src/domain/posting/float-engine';
import { JsonHttpClient } from '../../src/infrastructure/http/http-client';
import { JobQueue } from '../../src/infrastructure/jobs';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { Metrics } from '../../src/infrastructure/metrics/metrics';
import { postingRequestOf } from '../../src/pipeline/posting-reversal';
import { FollowUps } from '../../src/pipeline/resolution/follow-ups';
import { PaymentDecisions } from '../../src/pipeline/resolution/payment-decisions';
import { PostingUndo } from '../../src/pipeline/posting-undo';
import { openTestDatabase } from '../support/database';

/*
 * Issue 10, item 2: a refund to a bank customer must follow from a committed reversal, never race it.
 * Core banking is asked only once the transaction that reverses the posting (and owes the refund)
 * has committed; a transaction that rolls back owes nothing and asks nothing.
 */

let h: Awaited<ReturnType<typeof openTestDatabase>>;
const payments = new PaymentsRepository();
const idempotency = new IdempotencyRepository(72);
const ledger = new Ledger();
const http = new JsonHttpClient();
const coreBanking = new CoreBankingEngine(
  ledger,
  new CoreBankingClient(http, 'http://127.0.0.1:1', 500, new Metrics(false)),
);
const engines = { floatEngine: new FloatEngine(ledger), agentEngine: new AgentEngine(ledger), coreBanking };

beforeAll(async () => {
  h = await openTestDatabase();
  await seedDemoData(h.db, (id) => `http://127.0.0.1:1/${id}`);
});
afterAll(async () => {
  await http.close();
  await h?.dispose();
});

/** A bank customer's payment debited at core banking and recorded by us, then left PENDING. */
async function pendingBankPayment(): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await h.db.transaction().execute(async (tx) => {
    await idempotency.begin(tx, { partnerId: 'demo-bank', scope: 'rest:bill-pay', key: id }, 'fp', id, now);
    const p = await payments.insert(tx, {
      id,
      partnerId: 'demo-bank',
      lane: 'http-plain',
      protocol: 'rest',
      payerType: 'bank-customer',
      billType: 'ELECTRICITY',
      billReference: 'TIMEOUT-1',
      amountMinor: 4_500n,
      currency: 'BDT',
      payerKind: 'account',
      payerId: '1001000000001',
      partnerReference: id,
      idempotencyKey: id,
      state: 'PENDING',
      reasonCode: 'BILLER_TIMEOUT',
      route: {
        ruleId: randomUUID(),
        version: 1,
        billerEndpoint: 'sim-electricity',
        settlementAccount: settlementAccountId('ELECTRICITY'),
      },
      origin: {},
      receivedAt: now,
    });
    await coreBanking.post(tx, postingRequestOf(p));
  });
  return id;
}

function decisionsWith(
  refunder: (o: RefundOrder) => Promise<{ outcome: 'debited'; reference: string }>,
  events: PaymentEvent[],
) {
  const refunds = new CoreBankingRefunds(refunder);
  const log = createLogger('silent');
  return new PaymentDecisions({
    db: h.db,
    payments,
    idempotency,
    refunds,
    undo: new PostingUndo({
      ...engines,
      db: h.db,
      ledger,
      refunds,
      followUps: new FollowUps(new JobQueue(), 1_000),
      agentCore: false,
      log,
    }),
    events: {
      record: (_tx, e) => {
        events.push(...e);
        return Promise.resolve();
      },
    },
    metrics: new Metrics(false),
    log,
  });
}

async function journalKinds(id: string): Promise<string[]> {
  const rows = await h.db
    .selectFrom('journal_entries')
    .select('kind')
    .where('payment_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.kind);
}

it('asks core banking for the refund only after the reversal and the debt committed', async () => {
  const id = await pendingBankPayment();
  const seenWhenAsked: string[][] = [];
  const events: PaymentEvent[] = [];
  const decisions = decisionsWith(async (o) => {
    // What any other connection sees at the moment core banking is asked: the committed state.
    seenWhenAsked.push(await journalKinds(o.paymentId));
    const { rows } = await sql<{ state: string }>`
      select state from core_banking_refunds where payment_id = ${o.paymentId}`.execute(h.db);
    seenWhenAsked.push(rows.map((r) => r.state));
    return { outcome: 'debited', reference: 'CBS-R1' };
  }, events);

  const decided = await decisions.decide(
    id,
    { to: 'DECLINED', reasonCode: 'BILLER_TIMEOUT', memo: 'biller never received it' },
    { from: ['PENDING'], by: 'biller-status' },
  );
  expect(decided?.payment).toMatchObject({ state: 'DECLINED', reasonCode: 'BILLER_TIMEOUT' });
  expect(seenWhenAsked).toEqual([['payment', 'reversal'], ['owed']]);
  const refund = await sql<{ state: string; core_banking_ref: string }>`
    select state, core_banking_ref from core_banking_refunds where payment_id = ${id}`.execute(h.db);
  expect(refund.rows[0]).toEqual({ state: 'refunded', core_banking_ref: 'CBS-R1' });
  expect(events.map((e) => [e.type, e.data.status])).toEqual([['payment.resolved', 'DECLINED']]);

  // Decided once: a second decision (another node, a late path) finds nothing to decide.
  expect(
    await decisions.decide(id, { to: 'APPROVED' }, { from: ['PENDING'], by: 'biller-status' }),
  ).toBeUndefined();
  expect(await journalKinds(id)).toEqual(['payment', 'reversal']);
});

it('a decision whose transaction rolls back owes no refund and asks core banking nothing', async () => {
  const id = await pendingBankPayment();
  let asked = 0;
  const decisions = decisionsWith(() => {
    asked += 1;
    return Promise.resolve({ outcome: 'debited', reference: 'never' });
  }, []);
  await expect(
    h.db.transaction().execute(async (tx) => {
      await decisions.decideInTx(
        tx,
        id,
        { to: 'DECLINED', reasonCode: 'BILLER_TIMEOUT', memo: 'x' },
        { from: ['PENDING'], by: 'biller-status' },
      );
      throw new Error('the node died before the commit');
    }),
  ).rejects.toThrow('the node died');
  expect(asked).toBe(0);
  expect(await journalKinds(id)).toEqual(['payment']);
  const owed = await sql`select 1 from core_banking_refunds where payment_id = ${id}`.execute(h.db);
  expect(owed.rows).toHaveLength(0);
  expect(await payments.findById(h.db, id)).toMatchObject({ state: 'PENDING' });
});
