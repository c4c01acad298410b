import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { parseConfigDeclarations } from '../../src/lanes/config-file';
import { createTestDatabase, startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { OPS } from '../support/payments';
import { SCHEDULES } from './partners-fixtures';

/*
 * BILLGATE_CONFIG's partners, schedules and billers are applied at start-up through the audited
 * paths ops use: the first start creates them, a second start with the same file changes nothing
 * (no audit entry), and a changed file applies the change with its before and after.
 */

jest.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'billgate-config-'));
const dataDir = join(dir, 'data');
const file = join(dir, 'billgate.yaml');
let database: Awaited<ReturnType<typeof createTestDatabase>>;

function config(o: { billerUrl: string; validityDays: number; kind: string }): string {
  const technical = { ...SCHEDULES.technical, certificationValidityDays: o.validityDays };
  return `
lanes:
  - id: http-plain
    kind: mpls
    protocol: http
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32] }
      - { id: acme-pay, cidrs: [10.20.0.0/24] }
partners:
  - id: acme-pay
    name: Acme Pay
    kind: ${o.kind}
    payerTypes: [wallet-aggregator]
    schedules:
      msa: ${JSON.stringify(SCHEDULES.msa)}
      technical: ${JSON.stringify(technical)}
      operational: ${JSON.stringify(SCHEDULES.operational)}
schedules:
  demo-bank:
    operational: ${JSON.stringify({ ...SCHEDULES.operational, disputeSlaHours: 48 })}
billers:
  - { id: acme-water, name: Acme Water Works, billType: WATER, url: "${o.billerUrl}", timeoutMs: 2000 }
  - { id: acme-broadband, name: Acme Broadband, billType: BROADBAND, url: "https://broadband.example/pay" }
`;
}

async function start(o: Parameters<typeof config>[0]): Promise<TestGateway> {
  writeFileSync(file, config(o));
  return startTestGateway({ BILLGATE_CONFIG: file }, { database: { url: database.url, dataDir } });
}

const byConfig = async (gw: TestGateway) =>
  (await new OpsAuditLog().list(gw.services.database.db, { limit: 1000 })).items.filter(
    (e) => e.actor === 'config:BILLGATE_CONFIG',
  );

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('applies the file at start-up, idempotently, and a change through the audited paths', async () => {
  const first = { billerUrl: 'https://water.example/pay', validityDays: 60, kind: 'aggregator' };
  let gw = await start(first);
  try {
    const partner = await call<{
      status: string;
      schedules: { technical: { certificationValidityDays: number } };
    }>(gw.httpUrl, 'GET', '/ops/partners/acme-pay', { key: OPS });
    expect(partner.body).toMatchObject({
      status: 'draft',
      schedules: { technical: { certificationValidityDays: 60 } },
    });
    const billers = await call<{ items: { id: string; billType: string; url: string; timeoutMs: number }[] }>(
      gw.httpUrl,
      'GET',
      '/ops/billers',
      { key: OPS },
    );
    expect(billers.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'acme-water',
          billType: 'WATER',
          url: 'https://water.example/pay',
          timeoutMs: 2000,
        }),
        expect.objectContaining({ id: 'acme-broadband', billType: 'BROADBAND', timeoutMs: 3000 }),
      ]),
    );
    // A bill type the catalogue lacked came with its biller.
    expect(await gw.services.billTypes.has('BROADBAND')).toBe(true);
    const demoBank = await call<{ schedules: { operational: { disputeSlaHours: number } } }>(
      gw.httpUrl,
      'GET',
      '/ops/partners/demo-bank',
      { key: OPS },
    );
    expect(demoBank.body.schedules.operational.disputeSlaHours).toBe(48);
    expect((await byConfig(gw)).map((e) => `${e.action} ${e.subjectId}`)).toEqual([
      'biller.create acme-water',
      'bill-type.create BROADBAND',
      'biller.create acme-broadband',
      'partner.create acme-pay',
      'partner.schedules demo-bank',
    ]);
  } finally {
    await gw.stop();
  }

  // The same file again: nothing written.
  gw = await start(first);
  try {
    expect(await byConfig(gw)).toHaveLength(5);
  } finally {
    await gw.stop();
  }

  // A changed file: the biller's URL, the partner's Technical Schedule; its kind is not ops' to change.
  gw = await start({ billerUrl: 'https://water2.example/pay', validityDays: 30, kind: 'mfs' });
  try {
    const entries = await byConfig(gw);
    expect(entries.slice(5).map((e) => [e.action, e.subjectId, e.before, e.after])).toEqual([
      [
        'biller.update',
        'acme-water',
        expect.objectContaining({ url: 'https://water.example/pay' }),
        expect.objectContaining({ url: 'https://water2.example/pay' }),
      ],
      [
        'partner.schedules',
        'acme-pay',
        expect.objectContaining({ technical: expect.objectContaining({ certificationValidityDays: 60 }) }),
        expect.objectContaining({ technical: expect.objectContaining({ certificationValidityDays: 30 }) }),
      ],
    ]);
    expect(entries[5]?.reason).toBe(`declared in ${file}`);
    const partner = await call<{ kind: string }>(gw.httpUrl, 'GET', '/ops/partners/acme-pay', { key: OPS });
    expect(partner.body.kind).toBe('aggregator');
    expect((await new OpsAuditLog().verify(gw.services.database.db)).intact).toBe(true);

    // Ops change a biller through the same path: unchanged writes nothing, a change is attributed.
    const same = await call<{ outcome: string }>(gw.httpUrl, 'PUT', '/ops/billers/acme-water', {
      key: OPS,
      body: {
        name: 'Acme Water Works',
        billType: 'WATER',
        url: 'https://water2.example/pay',
        timeoutMs: 2000,
        reason: 'check',
      },
    });
    expect(same.body.outcome).toBe('unchanged');
    const moved = await call<{ outcome: string }>(gw.httpUrl, 'PUT', '/ops/billers/acme-water', {
      key: OPS,
      body: {
        name: 'Acme Water Works',
        billType: 'WATER',
        url: 'https://water3.example/pay',
        timeoutMs: 2500,
        reason: 'moved',
      },
    });
    expect(moved.body.outcome).toBe('updated');
    const bad = await call(gw.httpUrl, 'PUT', '/ops/billers/Bad_Id', {
      key: OPS,
      body: { name: 'x', billType: 'WATER', url: 'ftp://x', reason: 'r' },
    });
    expect(bad.status).toBe(400);
  } finally {
    await gw.stop();
  }
});

it('refuses a file with schedules in two places, naming it', () => {
  expect(() =>
    parseConfigDeclarations(`
partners:
  - { id: p1, name: P1, kind: bank, payerTypes: [bank-customer], schedules: { msa: ${JSON.stringify(SCHEDULES.msa)} } }
schedules:
  p1: { msa: ${JSON.stringify(SCHEDULES.msa)} }
billers:
  - { id: b1, name: B1, billType: water, url: "https://b.example" }
`),
  ).toThrow(
    /billers\.0\.billType: an upper-case bill type code[\s\S]*schedules\.p1: partner p1 has schedules in two places/,
  );
});
