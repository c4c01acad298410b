import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { certifyCommand } from '../../src/certification/certify-cli';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { OPS, pay, payBody } from '../support/payments';

/**
 * The README's "A first day" walkthroughs on a real gateway, with the files they use from
 * docs/examples: a pacs.008 that settles, and a partner onboarded from its schedules to its first
 * payment, certified with a report the running gateway signs (POST …/certification/signatures).
 */
const EXAMPLES = join(__dirname, '../../docs/examples');
let gw: TestGateway;
let out: string;
beforeAll(async () => {
  gw = await startTestGateway();
  out = mkdtempSync(join(tmpdir(), 'billgate-readme-'));
});
afterAll(async () => {
  await gw?.stop();
  rmSync(out, { recursive: true, force: true });
});

const ops = <T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, body?: unknown) =>
  call<T>(gw.httpUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });
const move = (to: string) =>
  ops<{ status?: string; reasons?: string[] }>('POST', '/ops/partners/acme-pay/transitions', {
    to,
    reason: `to ${to}`,
  });

it('docs/examples/pacs008-bill-payment.xml settles (ACSC) for demo-bank, and again only replays', async () => {
  const send = async () => {
    const res = await request(`${gw.httpUrl}/iso20022/pacs.008`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-key-demo-bank', 'content-type': 'application/xml' },
      body: readFileSync(join(EXAMPLES, 'pacs008-bill-payment.xml')),
    });
    return res.body.text();
  };
  const first = await send();
  expect(first).toContain('<TxSts>ACSC</TxSts>');
  expect(first).toContain('<GrpSts>ACCP</GrpSts>');
  expect(await send()).toBe(first);
});

it('onboards acme-pay from docs/examples/partner-acme-pay.json to its first payment', async () => {
  const created = await ops(
    'POST',
    '/ops/partners',
    JSON.parse(readFileSync(join(EXAMPLES, 'partner-acme-pay.json'), 'utf8')),
  );
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ id: 'acme-pay', status: 'draft' });
  expect((await move('contracts-signed')).body.status).toBe('contracts-signed');
  expect(
    (await ops('POST', '/ops/partners/acme-pay/lanes', { laneId: 'http-plain', cidrs: ['127.0.0.1/32'] }))
      .status,
  ).toBe(200);
  const issued = await ops<{ key: string }>('POST', '/ops/partners/acme-pay/api-keys', {});
  expect(issued.body.key).toMatch(/^bgk_/);
  expect((await move('connectivity')).body.status).toBe('connectivity');
  expect((await move('certification')).body.status).toBe('certification');
  expect((await pay(gw.httpUrl, payBody(), { key: issued.body.key })).status).toBe(403);
  expect((await move('live')).body.reasons).toEqual([
    'no passing signed rest certification report on lane http-plain',
  ]);

  // Signed by the running gateway over its ops API: no database access from the CLI.
  const run = await certifyCommand(
    [
      'run',
      '--suite',
      'rest',
      '--http',
      gw.httpUrl,
      '--key',
      'demo-key-demo-mfs',
      '--ops-key',
      OPS,
      '--case',
      'approve',
      '--partner',
      'acme-pay',
      '--lane',
      'http-plain',
      '--out',
      out,
      '--sign',
    ],
    { signer: () => Promise.reject(new Error('the CLI must not open the database')) },
  );
  expect(run.output).toMatch(/PASSED/);
  const stored = await ops('POST', '/ops/partners/acme-pay/certification/reports', {
    report: readFileSync(join(out, 'report.json'), 'utf8'),
    jws: readFileSync(join(out, 'report.json.jws'), 'utf8').trim(),
    reason: 'REST certification passed',
  });
  expect(stored.status).toBe(201);
  const signed = await ops<{ items: { action: string; subjectId: string }[] }>(
    'GET',
    '/ops/audit/actions?subjectType=partner',
  );
  expect(signed.body.items).toContainEqual(
    expect.objectContaining({ action: 'certification.report.signed', subjectId: 'acme-pay' }),
  );
  expect((await move('live')).body.status).toBe('live');

  expect(
    (await ops('POST', '/ops/partners/acme-pay/floats', { currency: 'BDT', reason: 'go-live float' })).status,
  ).toBe(201);
  expect(
    (
      await ops('POST', '/ops/partners/acme-pay/floats/BDT/fundings', {
        amount: '500000.00',
        reason: 'treasury transfer',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await ops('POST', '/ops/routing/rules', {
        billType: 'ELECTRICITY',
        payerType: 'mfs-user',
        partnerId: 'acme-pay',
        billerEndpoint: 'sim-electricity',
        settlementAccount: 'settlement:ELECTRICITY:BDT',
        reason: 'acme-pay go-live',
      })
    ).status,
  ).toBe(201);
  const paid = await pay(gw.httpUrl, payBody({ payer: { wallet: '01911000003' } }), { key: issued.body.key });
  expect(paid.body).toMatchObject({ status: 'APPROVED' });
  expect((await ops('GET', '/ops/partners/acme-pay/floats/BDT')).body).toMatchObject({
    balanceMajor: '498749.50',
  });
});

it('the gateway signs only a report of the partner it is asked for', async () => {
  const report = readFileSync(join(out, 'report.json'), 'utf8');
  const wrong = await ops('POST', '/ops/partners/demo-mfs/certification/signatures', { report, reason: 'x' });
  expect(wrong.status).toBe(422);
  const noReason = await ops('POST', '/ops/partners/acme-pay/certification/signatures', { report });
  expect(noReason.status).toBe(400);
});
