import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onboardCommand } from '../../src/cli/partners.command';
import { mtlsAgent, payOver, startEdgeGateway, token, type EdgeGateway } from './edge-support';
import { signedReport } from '../support/certification';
import { call } from '../support/http';
import { OPS } from '../support/payments';

/*
 * `billgate partners onboard docs/partner.yaml` against a running gateway's ops API: the draft
 * partner with its schedules, lane allowlist, webhook secret and development client certificate,
 * then what is left to do; idempotent on re-run. Then the rest of the README's walk: the lifecycle
 * steps it printed, a signed certification report, live, and a payment over the public mTLS lane
 * with the certificate the command issued.
 */

jest.setTimeout(180_000);

const SAMPLE = resolve(__dirname, '../../docs/partner.yaml');
let e: EdgeGateway;
let out: string;
const env = { BILLGATE_OPS_KEY: OPS };
const onboard = (file = SAMPLE) => onboardCommand([file, '--gateway', e.plainUrl, '--out', out], env);

beforeAll(async () => {
  e = await startEdgeGateway();
  out = join(mkdtempSync(join(tmpdir(), 'billgate-onboard-')), 'acme-pay-credentials');
});
afterAll(async () => {
  await e?.gw.stop();
});

it('takes the sample partner.yaml to a draft with schedules, lane, credentials, and says what is left', async () => {
  const r = await onboard();
  expect(r.code).toBe(0);
  expect(r.output.split('\n')).toEqual([
    'partner acme-pay (aggregator, wallet-aggregator): created in draft',
    'schedules: set (msa, technical, operational)',
    'lane public-mtls: allowed from 127.0.0.1/32',
    `webhook secret: issued → ${join(out, 'webhook-secret')}`,
    `client certificate: issued by the gateway's CA → ${join(out, 'acme-pay.crt')}, key ${join(out, 'acme-pay.key')}`,
    'left to do (acme-pay is draft):',
    '  → contracts-signed: ready (POST /ops/partners/acme-pay/transitions {"to":"contracts-signed","reason":"…"})',
    '  → connectivity: ready (POST /ops/partners/acme-pay/transitions {"to":"connectivity","reason":"…"})',
    '  → certification: ready (POST /ops/partners/acme-pay/transitions {"to":"certification","reason":"…"})',
    '  → live: no passing signed rest certification report on lane public-mtls',
    `  certify rest-json on lane public-mtls: billgate certify serve --suite client-rest --partner acme-pay --kind aggregator --lane public-mtls --sign-via ${e.plainUrl}, then POST /ops/partners/acme-pay/certification/reports {report, jws, reason}`,
  ]);
  // The secrets are in files only the operator can read, never in the output.
  const secret = readFileSync(join(out, 'webhook-secret'), 'utf8').trim();
  expect(secret).toMatch(/^whsec_/);
  expect(r.output).not.toContain(secret);
  expect(statSync(join(out, 'webhook-secret')).mode & 0o777).toBe(0o600);
  const cert = new X509Certificate(readFileSync(join(out, 'acme-pay.crt')));
  expect(cert.checkIssued(new X509Certificate(e.caPem))).toBe(true);
  expect(cert.subject).toContain('CN=acme-pay');
  expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'acme-pay.key'))))).toBe(true);
  const partner = await call<{ status: string; schedules: { technical: { endpoints: unknown[] } } }>(
    e.plainUrl,
    'GET',
    '/ops/partners/acme-pay',
    { key: OPS },
  );
  expect(partner.body).toMatchObject({
    status: 'draft',
    schedules: { technical: { endpoints: [{ lane: 'public-mtls', protocol: 'rest-json' }] } },
  });
});

it('changes nothing when run again, and applies a changed schedule', async () => {
  const before = await call<{ credentials: unknown[] }>(
    e.plainUrl,
    'GET',
    '/ops/partners/acme-pay/credentials',
    {
      key: OPS,
    },
  );
  const again = await onboard();
  expect(again.code).toBe(0);
  expect(again.output.split('\n').slice(0, 5)).toEqual([
    'partner acme-pay: exists (draft)',
    'schedules: unchanged',
    'lane public-mtls: already allowed from 127.0.0.1/32',
    'webhook secret: the partner has one',
    'client certificate: the partner has one',
  ]);
  const after = await call<{ credentials: unknown[] }>(
    e.plainUrl,
    'GET',
    '/ops/partners/acme-pay/credentials',
    {
      key: OPS,
    },
  );
  expect(after.body.credentials).toHaveLength(before.body.credentials.length);

  const changed = join(out, '..', 'partner-60.yaml');
  writeFileSync(
    changed,
    readFileSync(SAMPLE, 'utf8').replace('certificationValidityDays: 90', 'certificationValidityDays: 60'),
  );
  expect((await onboard(changed)).output).toContain('schedules: replaced technical');
});

it('walks on to live as it says, and the issued certificate pays over the public mTLS lane', async () => {
  for (const to of ['contracts-signed', 'connectivity', 'certification']) {
    const r = await call(e.plainUrl, 'POST', '/ops/partners/acme-pay/transitions', {
      key: OPS,
      body: { to, reason: 'onboarding' },
    });
    expect([to, r.status]).toEqual([to, 200]);
  }
  const report = await signedReport(e.gw.services, e.clock.now(), {
    partnerId: 'acme-pay',
    laneId: 'public-mtls',
  });
  expect(
    (
      await call(e.plainUrl, 'POST', '/ops/partners/acme-pay/certification/reports', {
        key: OPS,
        body: { report: report.report, jws: report.jws, reason: 'client-rest passed' },
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await call(e.plainUrl, 'POST', '/ops/partners/acme-pay/transitions', {
        key: OPS,
        body: { to: 'live', reason: 'certified' },
      })
    ).status,
  ).toBe(200);
  expect((await onboard()).output).toContain('left to do: nothing, acme-pay is live');

  const agent = mtlsAgent(e.caPem, {
    certPem: readFileSync(join(out, 'acme-pay.crt'), 'utf8'),
    keyPem: readFileSync(join(out, 'acme-pay.key'), 'utf8'),
  });
  try {
    const paid = await payOver(agent, e.mtlsUrl, await token(agent, e.mtlsUrl));
    // Through the edge with the issued certificate and a bound token, live: the payment is decided.
    // No route yet: routes are ops' to add (POST /ops/routing/rules), so NO_ROUTE.
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ status: 'DECLINED', reasonCode: 'NO_ROUTE' });
  } finally {
    await agent.close();
  }
});

it('refuses a file that is not a partner file, naming the field, and a gateway that is not there', async () => {
  const bad = join(out, '..', 'bad.yaml');
  writeFileSync(bad, 'id: x\nname: X\nkind: bank\npayerTypes: [teller]\n');
  const r = await onboard(bad);
  expect(r.code).toBe(65);
  expect(r.output).toMatch(/payerTypes\.0: Invalid option/);
  const none = await onboardCommand([SAMPLE, '--gateway', 'http://127.0.0.1:9', '--out', out], env);
  expect(none).toMatchObject({ code: 69 });
});
