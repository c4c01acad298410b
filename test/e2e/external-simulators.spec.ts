import { startSimulators, type RunningSimulators } from '../../src/simulators/simulators';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { BANK, pay, payBody } from '../support/payments';

/**
 * The simulators outside the gateway, as `billgate simulators` runs them (the same startSimulators),
 * and a gateway with SIMULATORS=false whose demo data points at them through BILLER_SIMULATOR_URL
 * and CORE_BANKING_URL: what the benchmarks run.
 */
let simulators: RunningSimulators;
let gw: TestGateway;
beforeAll(async () => {
  simulators = await startSimulators({ billerPort: 0, coreBankingPort: 0 });
  gw = await startTestGateway({
    SIMULATORS: 'false',
    DEMO_DATA: 'true',
    BILLER_SIMULATOR_URL: simulators.billerUrl,
    CORE_BANKING_URL: simulators.coreBankingUrl,
  });
});
afterAll(async () => {
  await gw?.stop();
  await simulators?.stop();
});

describe('a gateway on external simulators', () => {
  it('starts no simulator of its own', () => {
    expect(gw.config).toMatchObject({ simulators: false, demoData: true });
    expect(gw.simulators).toEqual({});
  });

  it('seeds every demo biller endpoint at the external biller simulator', async () => {
    const endpoints = await gw.services.database.db
      .selectFrom('biller_endpoints')
      .select(['id', 'url'])
      .orderBy('id')
      .execute();
    expect(endpoints).toEqual([
      { id: 'sim-electricity', url: `${simulators.billerUrl}/billers/electricity` },
      { id: 'sim-gas', url: `${simulators.billerUrl}/billers/gas` },
      { id: 'sim-water', url: `${simulators.billerUrl}/billers/water` },
    ]);
    expect(endpoints.map((e) => e.url)).toEqual(
      ['electricity', 'gas', 'water'].map((id) => simulators.biller.endpoint(id)),
    );
  });

  it('approves a REST payment paid at the external biller simulator', async () => {
    const res = await pay(gw.httpUrl, payBody({ amount: '1250.50', partnerReference: 'external-sim-1' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'APPROVED', reasonCode: 'APPROVED', payerType: 'mfs-user' });
    expect(res.body.billerReceipt).toMatch(/^ELECTRICITY-\d{8}$/);
    expect(simulators.biller.paidBill(String(res.body.id))).toMatchObject({
      receipt: res.body.billerReceipt,
      billReference: 'DESCO-1002003',
      amountMinor: '125050',
    });
  });

  it('debits a bank customer at the external core-banking simulator', async () => {
    const before = simulators.coreBanking.balance('1001000000001');
    const res = await pay(
      gw.httpUrl,
      payBody({ payer: { account: '1001000000001' }, amount: '10.00', billType: 'WATER' }),
      { key: BANK },
    );
    expect(res.body).toMatchObject({ status: 'APPROVED', payerType: 'bank-customer' });
    expect(simulators.coreBanking.balance('1001000000001')).toBe(before! - 1000n);
  });
});
