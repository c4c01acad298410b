import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import {
  EPHEMERAL_PORTS,
  addAlternative,
  ops,
  pay,
  paymentRoute,
  ruleFor,
  type RuleBody,
} from '../integration/routing-support';

/**
 * The ops story of issue 3, end to end over HTTP: a partner-side outage at midday. Ops look at the
 * table, ask what a re-point would have changed, flip it with a reason, see partners' payments take
 * the new route at once, and can show afterwards who changed what and why.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ ...EPHEMERAL_PORTS });
});
afterAll(async () => {
  await gw?.stop();
});

it('ops re-route ELECTRICITY for the MFS during an outage and can explain it afterwards', async () => {
  const standby = await addAlternative(gw, 'standby');
  const rule = await ruleFor(gw, 'ELECTRICITY', 'demo-mfs');
  const earlier = await pay(gw);

  // 1. what would the re-point have changed over the last day?
  const dry = await ops<{ changed: { paymentId: string }[]; summary: { payments: number }[] }>(
    gw,
    'POST',
    '/ops/routing/dry-run',
    { body: { id: rule.id, billerEndpoint: standby.biller, settlementAccount: standby.account, days: 1 } },
  );
  expect(dry.status).toBe(200);
  expect(dry.body.changed.map((c) => c.paymentId)).toContain(earlier.id);

  // 2. the flip, with the reason and the version ops looked at
  const flip = await ops<RuleBody>(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
    body: {
      billerEndpoint: standby.biller,
      settlementAccount: standby.account,
      reason: 'INC-1234: primary electricity biller timing out',
    },
    headers: { 'if-match': `"${rule.version}"` },
  });
  expect(flip.status).toBe(200);
  expect(flip.body).toMatchObject({ version: rule.version + 1, billerEndpoint: standby.biller });

  // 3. the next payment goes the new way, and says so
  const next = await pay(gw);
  expect(next.status).toBe('APPROVED');
  expect(await paymentRoute(gw, next.id)).toEqual({
    ruleId: rule.id,
    version: rule.version + 1,
    billerEndpoint: standby.biller,
    settlementAccount: standby.account,
  });
  expect(await paymentRoute(gw, earlier.id)).toMatchObject({
    version: rule.version,
    billerEndpoint: 'sim-electricity',
  });

  // 4. who, when, why, before and after; the chain is intact
  const audit = await ops<{ items: Record<string, unknown>[] }>(gw, 'GET', `/ops/audit?ruleId=${rule.id}`);
  expect(audit.body.items.at(-1)).toMatchObject({
    actor: 'ops-demo',
    action: 'update',
    reason: 'INC-1234: primary electricity biller timing out',
    before: { billerEndpoint: 'sim-electricity', version: rule.version },
    after: { billerEndpoint: standby.biller, version: rule.version + 1 },
  });
  expect((await ops(gw, 'GET', '/ops/audit/verify')).body).toMatchObject({ intact: true });

  // 5. the cache shows up in the metrics
  const metrics = await call(gw.httpUrl, 'GET', '/metrics');
  expect(metrics.text).toMatch(/billgate_route_lookups_total\{source="(local|shared)"\} [1-9]/);
  expect(metrics.text).toMatch(/billgate_route_cache_hit_ratio \d/);
  expect(metrics.text).toMatch(/billgate_routing_changes_total\{action="update",via="api"\} 1/);
});
