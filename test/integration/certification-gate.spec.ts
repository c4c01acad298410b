import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { call } from '../support/http';
import { OPS } from '../support/payments';
import { signedReport } from '../support/certification';
import { startEdgeGateway, type EdgeGateway } from '../e2e/edge-support';
import { SCHEDULES } from './partners-fixtures';

/*
 * The gate: certification → live needs a passing report, signed with the gateway's key, for every
 * lane and protocol of the Technical Schedule, no older than the schedule allows. Reports are
 * stored with the partner only when their signature verifies over the exact bytes.
 */

let e: EdgeGateway;
beforeAll(async () => {
  e = await startEdgeGateway();
  const created = await ops('POST', '/ops/partners', {
    id: 'gate-pay',
    name: 'Gate Pay',
    kind: 'aggregator',
    payerTypes: ['wallet-aggregator'],
    schedules: {
      ...SCHEDULES,
      technical: {
        ...SCHEDULES.technical,
        endpoints: [
          { lane: 'public-mtls', protocol: 'rest-json' },
          { lane: 'iso8583-demo', protocol: 'iso8583' },
        ],
        certificationValidityDays: 30,
      },
    },
  });
  expect(created.status).toBe(201);
  expect((await ops('POST', '/ops/partners/gate-pay/api-keys', {})).status).toBe(201);
  expect(
    (await ops('POST', '/ops/partners/gate-pay/lanes', { laneId: 'http-plain', cidrs: ['127.0.0.1/32'] }))
      .status,
  ).toBe(200);
  for (const to of ['contracts-signed', 'connectivity', 'certification']) {
    expect((await move(to)).status).toBe(200);
  }
});
afterAll(async () => {
  await e.gw.stop();
});

function ops<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) {
  return call<T>(e.plainUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });
}
const move = (to: string) =>
  ops<{ reasons?: string[]; status?: string }>('POST', '/ops/partners/gate-pay/transitions', {
    to,
    reason: `to ${to}`,
  });
const store = (r: { report: string; jws: string }, partner = 'gate-pay') =>
  ops<Record<string, unknown>>('POST', `/ops/partners/${partner}/certification/reports`, {
    report: r.report,
    jws: r.jws,
    reason: 'certification run',
  });
const report = (over: Parameters<typeof signedReport>[2]) => signedReport(e.gw.services, e.clock.now(), over);

it('refuses live while any lane and protocol lacks a passing signed report, naming each', async () => {
  const refused = await move('live');
  expect(refused.status).toBe(409);
  expect(refused.body.reasons).toEqual([
    'no passing signed rest certification report on lane public-mtls',
    'no passing signed iso8583 certification report on lane iso8583-demo',
  ]);
  // The recorded flag alone no longer opens the gate.
  expect((await ops('POST', '/ops/partners/gate-pay/certification', { passed: true })).status).toBe(200);
  expect((await move('live')).status).toBe(409);
});

it('stores nothing whose bytes changed after signing, or that certifies another partner', async () => {
  const r = await report({ partnerId: 'gate-pay', laneId: 'public-mtls' });
  const tampered = await store({ ...r, report: r.report.replace('"passed": 1', '"passed": 2') });
  expect(tampered.status).toBe(422);
  expect(tampered.body.title).toBe('signature does not match the report bytes');
  // One signature character changed (mid-signature: the last one may only carry padding bits).
  const at = r.jws.indexOf('..') + 10;
  const flipped = r.jws.slice(0, at) + (r.jws[at] === 'A' ? 'B' : 'A') + r.jws.slice(at + 1);
  const forged = await store({ ...r, jws: flipped });
  expect(forged.status).toBe(422);
  const other = await report({ partnerId: 'demo-mfs', laneId: 'public-mtls' });
  const wrong = await store(other);
  expect(wrong.status).toBe(422);
  expect(wrong.body.type).toMatch(/certification-wrong-partner$/);
  expect(wrong.body.title).toBe('the report certifies demo-mfs, not gate-pay');
  const listed = await ops<{ reports: unknown[] }>('GET', '/ops/partners/gate-pay/certification/reports');
  expect(listed.body.reports).toEqual([]);
});

it('a failed or too old report does not count; passing ones for every endpoint open the gate', async () => {
  expect(
    (await store(await report({ partnerId: 'gate-pay', laneId: 'public-mtls', result: 'failed' }))).status,
  ).toBe(201);
  const old = new Date(e.clock.now().getTime() - 31 * 86_400_000);
  expect(
    (
      await store(
        await report({ partnerId: 'gate-pay', laneId: 'iso8583-demo', protocol: 'iso8583', finishedAt: old }),
      )
    ).status,
  ).toBe(201);
  expect((await move('live')).body.reasons).toEqual([
    'no passing signed rest certification report on lane public-mtls',
    'the last passing iso8583 certification on lane iso8583-demo is older than 30 days',
  ]);

  const rest = await report({ partnerId: 'gate-pay', laneId: 'public-mtls' });
  const stored = await store(rest);
  expect(stored.status).toBe(201);
  expect(stored.body).toMatchObject({ id: rest.id, result: 'passed', storedBy: expect.any(String) });
  expect((await store(rest)).status).toBe(409);
  expect(
    (await store(await report({ partnerId: 'gate-pay', laneId: 'iso8583-demo', protocol: 'iso8583' })))
      .status,
  ).toBe(201);

  const listed = await ops<{
    reports: { result: string }[];
    gate: { readyForLive: boolean; gaps: string[] };
  }>('GET', '/ops/partners/gate-pay/certification/reports');
  expect(listed.body.gate).toEqual({ readyForLive: true, gaps: [] });
  expect(listed.body.reports).toHaveLength(4);
  const live = await move('live');
  expect(live.status).toBe(200);
  expect(live.body.status).toBe('live');

  // The stored bytes are the signed bytes: an auditor gets exactly what was verified.
  const one = await ops<{ report: string; jws: string }>(
    'GET',
    `/ops/partners/gate-pay/certification/reports/${rest.id}`,
  );
  expect(one.body.report).toBe(rest.report);
  expect(one.body.jws).toBe(rest.jws);
  // Each stored report is an attributed ops action in the audit log, with its reason.
  const audit = await new OpsAuditLog().list(e.gw.services.database.db, {
    subjectType: 'partner',
    subjectId: 'gate-pay',
  });
  const storedEntries = audit.items.filter((a) => a.action === 'certification.report.stored');
  expect(storedEntries).toHaveLength(4);
  expect(storedEntries[0]).toMatchObject({ reason: 'certification run', actor: expect.any(String) });
  // Creating the partner was audited too (partner.create), before its reports.
  expect(audit.items[0]).toMatchObject({ action: 'partner.create', actor: expect.any(String) });
});
