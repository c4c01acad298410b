import { registerApiKey } from '../../src/domain/partners/api-key-authenticator';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { OPS, pay, payBody, trialBalance } from '../support/payments';

/** A newly onboarded MFS partner is made to pay: float opened, funded, balance and statement read. */
let gw: TestGateway;
const id = 'new-mfs';
const KEY = 'key-new-mfs';
const ops = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  call(gw.httpUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });

beforeAll(async () => {
  gw = await startTestGateway();
  expect(
    (await ops('POST', '/ops/partners', { id, name: 'New MFS', kind: 'mfs', payerTypes: ['mfs-user'] }))
      .status,
  ).toBe(201);
  // The onboarding gates have their own specs; this one needs the partner live with a key and a route.
  await gw.services.database.db
    .updateTable('partners')
    .set({ status: 'live' })
    .where('id', '=', id)
    .execute();
  await registerApiKey(gw.services.database.db, { principalType: 'partner', principalId: id, key: KEY });
  gw.services.authenticator.forget();
  expect(
    (
      await ops('POST', `/ops/partners/${id}/lanes`, {
        laneId: 'http-plain',
        cidrs: ['127.0.0.1/32', '::1/128'],
      })
    ).status,
  ).toBe(200);
  const rule = await ops('POST', '/ops/routing/rules', {
    billType: 'ELECTRICITY',
    payerType: 'mfs-user',
    partnerId: id,
    billerEndpoint: 'sim-electricity',
    settlementAccount: 'settlement:ELECTRICITY:BDT',
    reason: 'onboarding new-mfs',
  });
  expect(rule.status).toBe(201);
});
afterAll(async () => {
  await gw?.stop();
});

describe('/ops/partners/{id}/floats', () => {
  it('takes a partner from "no BDT float" to paying, with balance, statement and audit', async () => {
    const declined = await pay(gw.httpUrl, payBody({ amount: '100.00' }), { key: KEY });
    expect(declined.body).toMatchObject({ status: 'DECLINED', reasonCode: 'FLOAT_NOT_FOUND' });

    const opened = await ops('POST', `/ops/partners/${id}/floats`, { currency: 'BDT', reason: 'go-live' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      accountId: `float:${id}:BDT`,
      balanceMinor: '0',
      balanceMajor: '0.00',
    });
    expect(
      (await ops('POST', `/ops/partners/${id}/floats`, { currency: 'BDT', reason: 'again' })).status,
    ).toBe(409);

    // Nothing in the float yet: the payment is refused for funds, not for a missing float.
    const broke = await pay(gw.httpUrl, payBody({ amount: '100.00' }), { key: KEY });
    expect(broke.body).toMatchObject({ status: 'DECLINED', reasonCode: 'INSUFFICIENT_FUNDS' });

    const funded = await ops('POST', `/ops/partners/${id}/floats/BDT/fundings`, {
      amount: '500000.00',
      reason: 'treasury transfer TT-1',
    });
    expect(funded.status).toBe(201);
    expect(funded.body).toMatchObject({ float: { balanceMinor: '50000000', balanceMajor: '500000.00' } });

    const paid = await pay(gw.httpUrl, payBody({ amount: '1250.50' }), { key: KEY });
    expect(paid.body).toMatchObject({ status: 'APPROVED' });

    const balance = await ops('GET', `/ops/partners/${id}/floats/BDT`);
    expect(balance.body).toMatchObject({ balanceMinor: '49874950', balanceMajor: '498749.50' });

    const statement = await ops('GET', `/ops/partners/${id}/floats/BDT/statement`);
    expect(statement.status).toBe(200);
    const lines = statement.body.lines as {
      kind: string;
      side: string;
      amountMinor: string;
      balanceMinor: string;
    }[];
    expect(lines.map((l) => [l.kind, l.side, l.amountMinor, l.balanceMinor])).toEqual([
      ['funding', 'C', '50000000', '50000000'],
      ['payment', 'D', '125050', '49874950'],
    ]);
    const page = await ops('GET', `/ops/partners/${id}/floats/BDT/statement?limit=1`);
    expect((page.body.lines as unknown[]).length).toBe(1);
    const rest = await ops(
      'GET',
      `/ops/partners/${id}/floats/BDT/statement?limit=1&afterEntry=${String(page.body.nextAfterEntry)}`,
    );
    expect((rest.body.lines as { balanceMinor: string }[])[0]?.balanceMinor).toBe('49874950');

    const audit = await gw.services.database.db
      .selectFrom('ops_audit')
      .select(['action', 'actor', 'reason'])
      .where('subject_id', '=', `float:${id}:BDT`)
      .orderBy('seq')
      .execute();
    expect(audit).toEqual([
      { action: 'float.open', actor: 'ops-demo', reason: 'go-live' },
      { action: 'float.fund', actor: 'ops-demo', reason: 'treasury transfer TT-1' },
    ]);
    expect((await trialBalance(gw.httpUrl)).balanced).toBe(true);
  });

  it('refuses a funding without a reason, a bad amount, and a float for a bank', async () => {
    const noReason = await ops('POST', `/ops/partners/${id}/floats/BDT/fundings`, { amount: '10.00' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([{ field: 'reason', message: 'is required' }]);
    const badAmount = await ops('POST', `/ops/partners/${id}/floats/BDT/fundings`, {
      amount: '10.001',
      reason: 'x',
    });
    expect(badAmount.status).toBe(400);
    const bank = await ops('POST', '/ops/partners/demo-bank/floats', { currency: 'BDT', reason: 'x' });
    expect(bank.status).toBe(422);
    expect(bank.body.title).toMatch(/do not post against a float/);
    expect((await ops('POST', '/ops/partners/nobody/floats', { currency: 'BDT', reason: 'x' })).status).toBe(
      404,
    );
    expect((await ops('GET', `/ops/partners/${id}/floats/USD`)).status).toBe(404);
  });
});
