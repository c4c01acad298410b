import { startTestGateway, type TestGateway } from '../support/gateway';
import { AGENTS, AGGREGATOR, BANK, MFS, pay, payBody, trialBalance } from '../support/payments';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function balance(account: string): Promise<bigint> {
  return (await gw.services.ledger.balanceOf(gw.services.database.db, account))!;
}

it('100 concurrent payments against a float that covers only some never take it below zero', async () => {
  const float = 'float:demo-aggregator:BDT';
  // Bring the float down to exactly ten payments' worth.
  const excess = (await balance(float)) - 7_000n;
  await gw.services.database.db.transaction().execute((tx) =>
    gw.services.ledger.post(tx, {
      paymentId: null,
      kind: 'adjustment',
      currency: 'BDT',
      memo: 'test: reduce float',
      lines: [
        { accountId: float, side: 'D', amount: excess },
        { accountId: 'funding:BDT', side: 'C', amount: excess },
      ],
    }),
  );
  expect(await balance(float)).toBe(7_000n);

  const answers = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      pay(gw.httpUrl, payBody({ amount: '7.00', payer: { wallet: `AGG-${i}` } }), { key: AGGREGATOR }),
    ),
  );
  const approved = answers.filter((a) => a.body.status === 'APPROVED').length;
  const declined = answers.filter((a) => a.body.reasonCode === 'INSUFFICIENT_FUNDS').length;
  expect(approved).toBe(10);
  expect(declined).toBe(90);
  expect(await balance(float)).toBe(0n);
});

it('a payment the float cannot cover is declined, posts nothing, and replays the same decline', async () => {
  const float = 'float:demo-aggregator:BDT';
  const before = await balance(float);
  const body = payBody({ amount: '999999.00', payer: { wallet: 'AGG-BIG' } });
  const first = await pay(gw.httpUrl, body, { key: AGGREGATOR, idempotencyKey: 'float-decline-1' });
  expect(first.body).toMatchObject({
    status: 'DECLINED',
    reasonCode: 'INSUFFICIENT_FUNDS',
    amount: '999999.00',
  });
  const again = await pay(gw.httpUrl, body, { key: AGGREGATOR, idempotencyKey: 'float-decline-1' });
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body).toEqual(first.body);
  expect(await balance(float)).toBe(before);
  const journals = await gw.services.database.db
    .selectFrom('journal_entries')
    .select('id')
    .where('payment_id', '=', first.body.id as string)
    .execute();
  expect(journals).toEqual([]);
});

it('the agent daily cash limit holds under concurrency', async () => {
  // The demo agent may take BDT 100,000.00 a day: 30 payments of 4,000.00 → 25 fit.
  const answers = await Promise.all(
    Array.from({ length: 30 }, () =>
      pay(gw.httpUrl, payBody({ amount: '4000.00', payer: { agentId: 'AGENT-001' } }), { key: AGENTS }),
    ),
  );
  expect(answers.filter((a) => a.body.status === 'APPROVED').length).toBe(25);
  expect(answers.filter((a) => a.body.reasonCode === 'DAILY_LIMIT_EXCEEDED').length).toBe(5);
  const unknownAgent = await pay(gw.httpUrl, payBody({ payer: { agentId: 'AGENT-999' } }), { key: AGENTS });
  expect(unknownAgent.body).toMatchObject({ status: 'DECLINED', reasonCode: 'AGENT_NOT_FOUND' });
});

it('the trial balance stays balanced after a mixed run of approvals, declines, biller declines and timeouts', async () => {
  const refs = ['OK-1', 'DECLINE-1', 'UNKNOWN-1', 'DOWN-1', 'TIMEOUT-1', 'SLOW-1', 'OK-2'];
  const runs = await Promise.all([
    ...refs.map((billReference) =>
      pay(gw.httpUrl, payBody({ billReference, amount: '12.34' }), { key: MFS }),
    ),
    ...refs.map((billReference) =>
      pay(gw.httpUrl, payBody({ billReference, amount: '12.34', payer: { account: '1001000000001' } }), {
        key: BANK,
      }),
    ),
    pay(gw.httpUrl, payBody({ payer: { account: '1001000000002' }, amount: '500.00' }), { key: BANK }),
    pay(gw.httpUrl, payBody({ payer: { agentId: 'AGENT-001' }, billReference: 'DECLINE-9' }), {
      key: AGENTS,
    }),
  ]);
  const statuses = new Set(runs.map((r) => r.body.status));
  expect(statuses).toEqual(new Set(['APPROVED', 'DECLINED', 'PENDING']));
  const tb = await trialBalance(gw.httpUrl);
  expect(tb.balanced).toBe(true);
  expect(tb.currencies).toEqual([
    expect.objectContaining({ currency: 'BDT', balanced: true, accountsAgree: true }),
  ]);
});
