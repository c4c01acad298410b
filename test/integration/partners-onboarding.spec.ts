import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { call } from '../support/http';
import { OPS, payBody } from '../support/payments';
import { startEdgeGateway, type EdgeGateway } from '../e2e/edge-support';
import { SCHEDULES } from './partners-fixtures';
import { signedReport } from '../support/certification';
import { checkTransition, timeInStates } from '../../src/domain/partners/onboarding';

let e: EdgeGateway;
beforeAll(async () => {
  e = await startEdgeGateway();
});
afterAll(async () => {
  await e.gw.stop();
});
const ops = <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
  call<T>(e.plainUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });
const move = (id: string, to: string) =>
  ops<{ reasons?: string[]; status?: string }>('POST', `/ops/partners/${id}/transitions`, {
    to,
    reason: `to ${to}`,
  });

describe('onboarding a partner through its lifecycle', () => {
  it('draft → contracts-signed → connectivity → certification → live, each gate enforced', async () => {
    const created = await ops('POST', '/ops/partners', {
      id: 'acme-pay',
      name: 'Acme Pay',
      kind: 'aggregator',
      payerTypes: ['wallet-aggregator'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft' });
    expect(
      (
        await ops('POST', '/ops/partners', {
          id: 'acme-pay',
          name: 'x',
          kind: 'bank',
          payerTypes: ['bank-customer'],
        })
      ).status,
    ).toBe(409);

    // no schedules yet
    const noSchedules = await move('acme-pay', 'contracts-signed');
    expect(noSchedules.status).toBe(409);
    expect(noSchedules.body.reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/Master Services Agreement/)]),
    );

    // invalid schedules are refused with the fields named
    const invalid = await ops('PUT', '/ops/partners/acme-pay/schedules', {
      msa: { ...SCHEDULES.msa, liabilitySplit: { partnerPercent: 70, bankPercent: 70 } },
    });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).toContain('liability split');

    // the technical clauses not accepted: signed, but no further
    const unaccepted = {
      ...SCHEDULES,
      technical: {
        ...SCHEDULES.technical,
        acceptances: { credentialRotationOn24hNotice: false, mandatoryIdempotency: true },
      },
    };
    expect((await ops('PUT', '/ops/partners/acme-pay/schedules', unaccepted)).status).toBe(200);
    expect((await move('acme-pay', 'contracts-signed')).status).toBe(200);
    const notAccepted = await move('acme-pay', 'connectivity');
    expect(notAccepted.status).toBe(409);
    expect(notAccepted.body.reasons?.join()).toMatch(/24 hours notice/);
    expect(
      (await ops('PUT', '/ops/partners/acme-pay/schedules', { technical: SCHEDULES.technical })).status,
    ).toBe(200);
    expect((await move('acme-pay', 'connectivity')).status).toBe(200);

    // certification needs a credential and an allowlist
    const bare = await move('acme-pay', 'certification');
    expect(bare.body.reasons).toEqual([
      'the partner has no acceptable credential',
      'the partner is on no lane allowlist',
    ]);
    const key = await ops<{ key: string }>('POST', '/ops/partners/acme-pay/api-keys', {});
    expect(key.status).toBe(201);
    expect(
      (await ops('POST', '/ops/partners/acme-pay/lanes', { laneId: 'http-plain', cidrs: ['127.0.0.1/32'] }))
        .status,
    ).toBe(200);
    expect(
      (await ops('POST', '/ops/partners/acme-pay/lanes', { laneId: 'nope', cidrs: ['127.0.0.1/32'] })).status,
    ).toBe(400);
    expect((await move('acme-pay', 'certification')).status).toBe(200);

    // not live yet: its traffic is refused
    const early = await call(e.plainUrl, 'POST', '/bill/pay', {
      key: key.body.key,
      idempotencyKey: randomUUID(),
      body: payBody(),
    });
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ type: expect.stringMatching(/partner-not-live$/) });

    expect((await move('acme-pay', 'live')).body.reasons).toEqual([
      'no passing signed rest certification report on lane public-mtls',
    ]);
    const report = await signedReport(e.gw.services, e.clock.now(), {
      partnerId: 'acme-pay',
      laneId: 'public-mtls',
    });
    const stored = await ops('POST', '/ops/partners/acme-pay/certification/reports', {
      report: report.report,
      jws: report.jws,
      reason: 'certified by the desk',
    });
    expect(stored.status).toBe(201);
    e.clock.advanceHours(2);
    const live = await move('acme-pay', 'live');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'live' });
    expect((await move('acme-pay', 'draft')).status).toBe(409);

    const record = await ops<{
      secondsInState: Record<string, number>;
      lanes: unknown[];
      contractsSignedAt: string;
    }>('GET', '/ops/partners/acme-pay');
    expect(record.body.secondsInState.certification).toBeGreaterThanOrEqual(7200);
    expect(record.body.lanes).toEqual([{ laneId: 'http-plain', kind: 'mpls', cidrs: ['127.0.0.1/32'] }]);
    expect(record.body.contractsSignedAt).toBeDefined();

    const metrics = await call(e.plainUrl, 'GET', '/metrics');
    expect(metrics.text).toMatch(
      /billgate_partner_state_seconds\{partner="acme-pay",state="certification"\} \d+/,
    );
  });

  it('demo partners are seeded live, and time from signing to first settled payment is measured', async () => {
    const list = await ops<{ items: { id: string; status: string }[] }>('GET', '/ops/partners');
    expect(list.body.items.filter((p) => p.id.startsWith('demo-')).every((p) => p.status === 'live')).toBe(
      true,
    );
    expect(list.body.items.map((p) => p.id)).toEqual(expect.arrayContaining(['demo-fintech', 'demo-mfs']));

    const signedAt = new Date(Date.now() - 3_600_000);
    await sql`update partners set contracts_signed_at = ${signedAt} where id = 'demo-card'`.execute(
      e.gw.services.database.db,
    );
    const paid = await call(e.plainUrl, 'POST', '/bill/pay', {
      key: 'demo-key-demo-card',
      idempotencyKey: randomUUID(),
      body: payBody({ payer: { cardToken: 'tok_4f9a8c' } }),
    });
    expect(paid.body).toMatchObject({ status: 'APPROVED' });
    const card = await ops<{ signingToFirstSettledSeconds: number }>('GET', '/ops/partners/demo-card');
    expect(card.body.signingToFirstSettledSeconds).toBeGreaterThanOrEqual(3500);
    const metrics = await call(e.plainUrl, 'GET', '/metrics');
    expect(metrics.text).toMatch(
      /billgate_partner_signing_to_first_settled_payment_seconds\{partner="demo-card"\} \d+/,
    );
  });
});

describe('lifecycle rules (pure)', () => {
  const facts = { schedules: {}, hasCredential: false, hasAllowlist: false, certificationPassed: false };
  it('refuses steps that are not in the lifecycle', () => {
    expect(checkTransition('draft', 'live', facts)).toMatchObject({ ok: false });
    expect(checkTransition('live', 'suspended', facts)).toEqual({ ok: true });
  });
  it('adds up the time spent in each state', () => {
    const t = (h: number) => new Date(Date.UTC(2030, 0, 1, h));
    expect(
      timeInStates(
        [
          { toState: 'draft', at: t(0) },
          { toState: 'contracts-signed', at: t(1) },
          { toState: 'connectivity', at: t(3) },
        ],
        t(6),
      ),
    ).toEqual({ draft: 3600, 'contracts-signed': 7200, connectivity: 10800 });
  });
});
