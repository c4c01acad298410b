import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { OnboardingMetrics } from '../../src/domain/partners/onboarding-metrics';
import { startEdgeGateway, type EdgeGateway } from '../e2e/edge-support';
import { signedReport } from '../support/certification';
import { call } from '../support/http';
import { OPS, payBody } from '../support/payments';
import { SCHEDULES } from './partners-fixtures';

/*
 * Onboarding as a product: a partner moved through its lifecycle on a clock the test controls, two
 * certification attempts (one failing, one passing), and what ops read back: time in each state,
 * time from contracts signed to each milestone, attempts and pass rate, per partner, over all
 * partners and as Prometheus gauges.
 */

let e: EdgeGateway;
beforeAll(async () => {
  e = await startEdgeGateway();
});
afterAll(async () => {
  await e.gw.stop();
});

const HOUR = 3600;
const ops = <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
  call<T>(e.plainUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });
const move = async (to: string): Promise<void> => {
  const r = await ops('POST', '/ops/partners/metric-pay/transitions', { to, reason: `to ${to}` });
  expect([to, r.status]).toEqual([to, 200]);
};
async function attempt(result: 'passed' | 'failed'): Promise<void> {
  const report = await signedReport(e.gw.services, e.clock.now(), {
    partnerId: 'metric-pay',
    laneId: 'public-mtls',
    result,
    finishedAt: e.clock.now(),
  });
  const stored = await ops('POST', '/ops/partners/metric-pay/certification/reports', {
    report: report.report,
    jws: report.jws,
    reason: `attempt ${result}`,
  });
  expect(stored.status).toBe(201);
}

interface Metrics {
  partnerId: string;
  state: string;
  secondsInState: Record<string, number>;
  milestones: Record<string, { at: string; secondsFromContractsSigned: number | null } | null>;
  certification: { attempts: number; passed: number; failed: number; passRate: number | null };
}

it('measures a partner from draft to live: time in each state, milestones, certification attempts', async () => {
  expect(
    (
      await ops('POST', '/ops/partners', {
        id: 'metric-pay',
        name: 'Metric Pay',
        kind: 'aggregator',
        payerTypes: ['wallet-aggregator'],
        schedules: SCHEDULES,
      })
    ).status,
  ).toBe(201);
  e.clock.advanceHours(1);
  await move('contracts-signed');
  e.clock.advanceHours(2);
  await move('connectivity');
  await ops('POST', '/ops/partners/metric-pay/api-keys', {});
  await ops('POST', '/ops/partners/metric-pay/lanes', { laneId: 'http-plain', cidrs: ['127.0.0.1/32'] });
  e.clock.advanceHours(3);
  await move('certification');
  e.clock.advanceHours(1);
  await attempt('failed');
  e.clock.advanceHours(4);
  await attempt('passed');
  e.clock.advanceHours(2);
  await move('live');
  e.clock.advanceHours(5);

  const one = await ops<Metrics>('GET', '/ops/partners/metric-pay/onboarding-metrics');
  expect(one.status).toBe(200);
  expect(one.body).toMatchObject({
    partnerId: 'metric-pay',
    state: 'live',
    secondsInState: {
      draft: HOUR,
      'contracts-signed': 2 * HOUR,
      connectivity: 3 * HOUR,
      certification: 7 * HOUR,
      live: 5 * HOUR,
    },
    milestones: {
      // Contracts were signed at +1 h: the passing report finished 10 h later, live 2 h after that.
      firstCertifiedRun: { secondsFromContractsSigned: 10 * HOUR },
      live: { secondsFromContractsSigned: 12 * HOUR },
      firstSettledPayment: null,
      // Until the reconciliation module provides it.
      firstCleanReconciliation: null,
    },
    certification: { attempts: 2, passed: 1, failed: 1, passRate: 0.5 },
  });

  const all = await ops<{ overall: Record<string, unknown>; partners: Metrics[] }>(
    'GET',
    '/ops/onboarding/metrics',
  );
  expect(all.body.partners.map((p) => p.partnerId)).toContain('metric-pay');
  expect(all.body.overall).toMatchObject({
    byState: { live: expect.any(Number), draft: 0 },
    milestones: {
      firstCertifiedRun: { partners: 1, medianSeconds: 10 * HOUR, maxSeconds: 10 * HOUR },
      live: { partners: 1, medianSeconds: 12 * HOUR },
      firstCleanReconciliation: { partners: 0, medianSeconds: null },
    },
    certification: { attempts: 2, passed: 1, passRate: 0.5 },
  });
  expect((await ops('GET', '/ops/partners/nobody/onboarding-metrics')).status).toBe(404);

  const metrics = (await call(e.plainUrl, 'GET', '/metrics')).text;
  for (const line of [
    `billgate_partner_onboarding_milestone_seconds{partner="metric-pay",milestone="first_certified_run"} ${10 * HOUR}`,
    `billgate_partner_onboarding_milestone_seconds{partner="metric-pay",milestone="live"} ${12 * HOUR}`,
    'billgate_partner_certification_attempts{partner="metric-pay",result="failed"} 1',
    'billgate_partner_certification_pass_ratio{partner="metric-pay"} 0.5',
    `billgate_onboarding_milestone_median_seconds{milestone="live"} ${12 * HOUR}`,
    'billgate_onboarding_certification_pass_ratio 0.5',
  ]) {
    expect(metrics).toContain(line);
  }
  expect(metrics).not.toContain('milestone="first_clean_reconciliation"');
  expect(metrics).toMatch(/billgate_onboarding_partners\{state="live"\} \d+/);
});

it('counts the first settled payment, and the first clean reconciliation once a reconciliation module answers it', async () => {
  const db = e.gw.services.database.db;
  const signedAt = new Date(Date.now() - 2 * HOUR * 1000);
  await sql`update partners set contracts_signed_at = ${signedAt} where id = 'demo-aggregator'`.execute(db);
  const paid = await call(e.plainUrl, 'POST', '/bill/pay', {
    key: 'demo-key-demo-aggregator',
    idempotencyKey: randomUUID(),
    body: payBody({ payer: { wallet: '01811000001' } }),
  });
  expect(paid.body).toMatchObject({ status: 'APPROVED' });
  const reconciledAt = new Date(signedAt.getTime() + 30 * HOUR * 1000);
  const withRecon = new OnboardingMetrics(db, {
    firstCleanReconciliations: () => Promise.resolve(new Map([['demo-aggregator', reconciledAt]])),
  });
  const p = (await withRecon.partners(new Date())).find((x) => x.partnerId === 'demo-aggregator');
  expect(p?.milestones.firstSettledPayment?.secondsFromContractsSigned).toBeGreaterThanOrEqual(2 * HOUR - 5);
  expect(p?.milestones.firstCleanReconciliation).toEqual({
    at: reconciledAt.toISOString(),
    secondsFromContractsSigned: 30 * HOUR,
  });
});
