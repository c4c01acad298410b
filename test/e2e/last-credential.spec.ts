import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { OPS, pay, payBody } from '../support/payments';

/**
 * A partner cannot lock itself out: its last valid API key or client certificate cannot be revoked,
 * by the partner or by ops, and the refusal says what to do instead. Nothing changes on a refusal.
 */
let gw: TestGateway;
interface Listed {
  credentials: { id: string; kind: string; status: string }[];
}
const BANK = 'demo-key-demo-bank';

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const bankPay = (key: string) => pay(gw.httpUrl, payBody({ payer: { account: '1001000000001' } }), { key });

describe('the last valid credential', () => {
  it('a partner cannot revoke its only API key; with a new one issued first, it can', async () => {
    const mine = await call<Listed>(gw.httpUrl, 'GET', '/partner/credentials', { key: BANK });
    const only = mine.body.credentials.filter((c) => c.kind === 'api-key' && c.status === 'ACCEPTABLE');
    expect(only).toHaveLength(1);
    const id = only[0]?.id ?? '';

    const refused = await call(gw.httpUrl, 'POST', `/partner/credentials/${id}/revoke`, {
      key: BANK,
      body: { reason: 'tidying up' },
    });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/last-valid-credential$/),
      partnerId: 'demo-bank',
      credentialKind: 'api-key',
      detail: expect.stringContaining('Issue a new one first (POST /partner/credentials/api-keys'),
    });
    // Nothing changed: the key still pays.
    expect((await bankPay(BANK)).body).toMatchObject({ status: 'APPROVED' });

    const issued = await call<{ key: string }>(gw.httpUrl, 'POST', '/partner/credentials/api-keys', {
      key: BANK,
      body: {},
    });
    expect(issued.status).toBe(201);
    const revoked = await call(gw.httpUrl, 'POST', `/partner/credentials/${id}/revoke`, {
      key: BANK,
      body: { reason: 'rotated to the new key' },
    });
    expect(revoked.status).toBe(200);
    gw.services.authenticator.forget();
    expect((await bankPay(BANK)).status).toBe(401);
    expect((await bankPay(issued.body.key)).body).toMatchObject({ status: 'APPROVED' });
  });

  it("ops cannot revoke a partner's only client certificate either", async () => {
    const listed = await call<Listed>(gw.httpUrl, 'GET', '/ops/partners/demo-fintech/credentials', {
      key: OPS,
    });
    const certs = listed.body.credentials.filter(
      (c) => c.kind === 'client-certificate' && c.status === 'ACCEPTABLE',
    );
    expect(certs).toHaveLength(1);
    const refused = await call(
      gw.httpUrl,
      'POST',
      `/ops/partners/demo-fintech/credentials/${certs[0]?.id ?? ''}/revoke`,
      { key: OPS, body: { reason: 'audit finding' } },
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/last-valid-credential$/),
      credentialKind: 'client-certificate',
      detail: expect.stringContaining('POST /ops/partners/demo-fintech/certificates'),
    });
    const after = await call<Listed>(gw.httpUrl, 'GET', '/ops/partners/demo-fintech/credentials', {
      key: OPS,
    });
    expect(after.body.credentials.find((c) => c.id === certs[0]?.id)).toMatchObject({ status: 'ACCEPTABLE' });
  });

  it('a webhook secret is not a way in: the last one can be revoked', async () => {
    const issued = await call<{ id: string }>(gw.httpUrl, 'POST', '/ops/partners/demo-mfs/webhook-secrets', {
      key: OPS,
      body: {},
    });
    expect(issued.status).toBe(201);
    const revoked = await call(
      gw.httpUrl,
      'POST',
      `/ops/partners/demo-mfs/credentials/${issued.body.id}/revoke`,
      {
        key: OPS,
        body: { reason: 'not used' },
      },
    );
    expect(revoked.status).toBe(200);
  });
});
