import type { Agent } from 'undici';
import { createCsr, fingerprintSha256 } from '../../src/lanes/security';
import { call } from '../support/http';
import { MFS, OPS, pay, payBody } from '../support/payments';
import { mtlsAgent, payOver, send, startEdgeGateway, token, type EdgeGateway } from './edge-support';

/** Credential rotation on notice, with the gateway's clock under the test's control. */
let e: EdgeGateway;
const agents: Agent[] = [];
beforeAll(async () => {
  e = await startEdgeGateway();
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await e.gw.stop();
});
function agent(client: { certPem: string; keyPem: string }): Agent {
  const a = mtlsAgent(e.caPem, client);
  agents.push(a);
  return a;
}
const ops = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  call(e.plainUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });

describe('client certificate rotation, asked for by the partner', () => {
  it('old and new certificates both work for 24 hours; then the old one stops by itself', async () => {
    const oldAgent = agent(e.fintech);
    const oldToken = await token(oldAgent, e.mtlsUrl);
    const csr = createCsr({ commonName: 'demo-fintech', organisation: 'Demo Fintech' });
    const issued = await send<{
      certPem: string;
      fingerprint: string;
      noticeEndsAt: string;
      replaced: string;
    }>(oldAgent, e.mtlsUrl, 'POST', '/partner/credentials/certificates', {
      bearer: oldToken,
      body: { csrPem: csr.csrPem },
    });
    expect(issued.status).toBe(201);
    expect(issued.body.fingerprint).toBe(fingerprintSha256(issued.body.certPem).base64url);
    expect(new Date(issued.body.noticeEndsAt).getTime() - e.clock.now().getTime()).toBe(24 * 3_600_000);
    const newAgent = agent({ certPem: issued.body.certPem, keyPem: csr.keyPem });

    const mine = await send<{ pendingRotations: { previous: { id: string } }[] }>(
      oldAgent,
      e.mtlsUrl,
      'GET',
      '/partner/credentials',
      { bearer: oldToken },
    );
    expect(mine.body.pendingRotations.map((p) => p.previous.id)).toEqual([issued.body.replaced]);
    const opsView = await ops('GET', '/ops/credentials/rotations');
    expect(JSON.stringify(opsView.body)).toContain(issued.body.replaced);

    e.clock.advanceHours(23);
    expect((await payOver(oldAgent, e.mtlsUrl, await token(oldAgent, e.mtlsUrl))).status).toBe(201);
    expect((await payOver(newAgent, e.mtlsUrl, await token(newAgent, e.mtlsUrl))).status).toBe(201);

    e.clock.advanceHours(1);
    const refused = await send(oldAgent, e.mtlsUrl, 'POST', '/oauth/token', {
      form: { grant_type: 'client_credentials' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/client-certificate-rotated-out$/) });
    expect((await payOver(newAgent, e.mtlsUrl, await token(newAgent, e.mtlsUrl))).status).toBe(201);
  });
});

describe('API key rotation, by ops', () => {
  it('both keys work inside the window, the old one stops after it, and a revoked key stops at once', async () => {
    const rotated = await ops('POST', '/ops/partners/demo-mfs/api-keys', { noticeHours: 24 });
    expect(rotated.status).toBe(201);
    const { key, id } = rotated.body as { key: string; id: string };
    expect((await pay(e.plainUrl, payBody(), { key: MFS })).status).toBe(201);
    expect((await pay(e.plainUrl, payBody(), { key })).status).toBe(201);

    const metrics = await call(e.plainUrl, 'GET', '/metrics');
    expect(metrics.text).toMatch(/billgate_credentials_nearing_end\{kind="api-key"\} [1-9]/);

    e.clock.advanceHours(24);
    expect((await pay(e.plainUrl, payBody(), { key: MFS })).status).toBe(401);
    expect((await pay(e.plainUrl, payBody(), { key })).status).toBe(201);

    // The partner's last valid key cannot be revoked (it would be locked out): a spare first.
    const last = await ops('POST', `/ops/partners/demo-mfs/credentials/${id}/revoke`, {
      reason: 'compromised',
    });
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ type: expect.stringMatching(/last-valid-credential$/) });
    const spare = await ops('POST', '/ops/partners/demo-mfs/api-keys', { rotate: false });
    expect(spare.status).toBe(201);
    const revoked = await ops('POST', `/ops/partners/demo-mfs/credentials/${id}/revoke`, {
      reason: 'compromised',
    });
    expect(revoked.status).toBe(200);
    expect((await pay(e.plainUrl, payBody(), { key })).status).toBe(401);
    expect((await pay(e.plainUrl, payBody(), { key: (spare.body as { key: string }).key })).status).toBe(201);
  });
});

describe('webhook secret rotation, by the partner', () => {
  it('lists the pending rotation and ends the old secret after the notice of the partner', async () => {
    const first = await call(e.plainUrl, 'POST', '/partner/credentials/webhook-secrets', {
      key: 'demo-key-demo-bank',
      body: {},
    });
    expect(first.status).toBe(201);
    const second = await call(e.plainUrl, 'POST', '/partner/credentials/webhook-secrets', {
      key: 'demo-key-demo-bank',
      body: { noticeHours: 2 },
    });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ replaced: (first.body as { id: string }).id });
    type View = { credentials: { id: string; kind: string; status: string }[]; pendingRotations: unknown[] };
    const during = await call<View>(e.plainUrl, 'GET', '/partner/credentials', { key: 'demo-key-demo-bank' });
    expect(during.body.pendingRotations).toHaveLength(1);
    e.clock.advanceHours(2);
    const after = await call<View>(e.plainUrl, 'GET', '/partner/credentials', { key: 'demo-key-demo-bank' });
    const statuses = after.body.credentials
      .filter((c) => c.kind === 'webhook-secret')
      .map((c) => [c.id, c.status]);
    expect(statuses).toEqual(
      expect.arrayContaining([
        [(first.body as { id: string }).id, 'EXPIRED'],
        [(second.body as { id: string }).id, 'ACCEPTABLE'],
      ]),
    );
    expect(after.body.pendingRotations).toHaveLength(0);
  });
});
