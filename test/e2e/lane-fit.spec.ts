import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { laneFitCommand } from '../../src/cli/partners.command';
import type { LaneFit } from '../../src/domain/lane-fit/lane-fit';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { OPS, payBody } from '../support/payments';

/*
 * Lane fit over the real gateway: payments a partner made (some older than the 30-day window)
 * against the demo lanes' kinds and the shipped lane costs, from the ops API and the CLI.
 */

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  const db = gw.services.database.db;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await call<{ id: string }>(gw.httpUrl, 'POST', '/bill/pay', {
      key: 'demo-key-demo-mfs',
      idempotencyKey: randomUUID(),
      body: payBody(),
    });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  // Three in one minute two days ago, two before the window.
  const busy = new Date(Date.now() - 2 * 86_400_000);
  busy.setUTCSeconds(0, 0);
  for (const [i, id] of ids.entries()) {
    const at = i < 3 ? new Date(busy.getTime() + i * 10_000) : new Date(Date.now() - 40 * 86_400_000);
    await sql`update payments set created_at = ${at} where id = ${id}::uuid`.execute(db);
  }
});
afterAll(async () => {
  await gw?.stop();
});

it('a partner with little traffic on an MPLS lane is told to move to public mTLS, with the reason', async () => {
  const res = await call<LaneFit>(gw.httpUrl, 'GET', '/ops/partners/demo-mfs/lane-fit', { key: OPS });
  expect(res.status).toBe(200);
  expect(res.body.traffic).toMatchObject({ payments: 3, peakPerMinute: 3 });
  expect(res.body.traffic.lanes).toEqual([
    { laneId: 'http-plain', kind: 'mpls', payments: 3, peakPerMinute: 3, peakAt: expect.any(String) },
    { laneId: 'iso8583-demo', kind: 'mpls', payments: 0, peakPerMinute: 0, peakAt: null },
  ]);
  expect(res.body.options.map((o) => [o.kind, o.monthlyCost, o.provisioningWeeks, o.worthIt])).toEqual([
    ['mpls', '200.00', { min: 4, max: 8 }, false],
    ['ipsec', '40.00', { min: 1, max: 2 }, false],
    ['public-mtls', '0.00', { min: 0, max: 0.2 }, true],
  ]);
  expect(res.body.recommendation).toMatchObject({
    kind: 'public-mtls',
    action: 'move-down',
    monthlyCostChange: '-200.00',
    reason: expect.stringMatching(
      /^3 payments in the last 30 days, at most 3 in one minute: below what an MPLS port is worth/,
    ),
  });
  expect((await call(gw.httpUrl, 'GET', '/ops/partners/nobody/lane-fit', { key: OPS })).status).toBe(404);
  expect(
    (await call(gw.httpUrl, 'GET', '/ops/partners/demo-mfs/lane-fit', { key: 'demo-key-demo-mfs' })).status,
  ).toBe(403);
});

it('billgate partners lane-fit prints the recommendation per partner', async () => {
  const env = { BILLGATE_OPS_KEY: OPS };
  const one = await laneFitCommand(['--partner', 'demo-mfs', '--gateway', gw.httpUrl], env);
  expect(one.code).toBe(0);
  expect(one.output).toMatch(
    /^demo-mfs: move-down → public-mtls \(saves 200\.00 USD\/month\)\n {2}lanes: http-plain \(mpls\): 3 payments, peak 3\/min; iso8583-demo \(mpls\): 0 payments, peak 0\/min\n {2}why: 3 payments/,
  );

  const all = await laneFitCommand(['--json', '--gateway', gw.httpUrl], env);
  const fits = JSON.parse(all.output) as LaneFit[];
  expect(fits.find((f) => f.partnerId === 'demo-fintech')?.recommendation).toMatchObject({
    kind: 'public-mtls',
    action: 'keep',
  });

  expect(await laneFitCommand(['--partner', 'nobody', '--gateway', gw.httpUrl], env)).toMatchObject({
    code: 66,
  });
  expect(await laneFitCommand(['--gateway', gw.httpUrl], {})).toMatchObject({ code: 64 });
});
