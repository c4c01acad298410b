import type { Agent } from 'undici';
import {
  AccessTokenService,
  SigningKeyRing,
  createCertificateAuthority,
  fingerprintSha256,
  issueClientKeyAndCertificate,
} from '../../src/lanes/security';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/lanes/security/tokens/token-authority';
import { call } from '../support/http';
import { signedReport } from '../support/certification';
import { SCHEDULES } from '../integration/partners-fixtures';
import { OPS, payBody, pay, MFS } from '../support/payments';
import {
  mtlsAgent,
  payOver,
  send,
  startEdgeGateway,
  token,
  transportError,
  type EdgeGateway,
  type Pem,
} from './edge-support';

let e: EdgeGateway;
const agents: Agent[] = [];
function agent(client?: Pem, localAddress?: string): Agent {
  const a = mtlsAgent(e.caPem, client, localAddress);
  agents.push(a);
  return a;
}

beforeAll(async () => {
  e = await startEdgeGateway();
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await e.gw.stop();
});

const ops = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
  call(e.plainUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });

/** A further client certificate from the development CA, registered to `partnerId` through the ops API. */
async function registeredCert(
  partnerId: string,
  opts: { now?: Date; validityDays?: number } = {},
): Promise<Pem> {
  const pem = issueClientKeyAndCertificate(e.ca, {
    partnerId,
    validityDays: opts.validityDays ?? 30,
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });
  const res = await ops('POST', `/ops/partners/${partnerId}/certificates`, {
    certPem: pem.certPem,
    rotate: false,
  });
  expect(res.status).toBe(201);
  return pem;
}

describe('public mTLS lane: the happy path', () => {
  it('certificate + bound token → POST /bill/pay approved', async () => {
    const a = agent(e.fintech);
    const tokenRes = await send<Record<string, unknown>>(a, e.mtlsUrl, 'POST', '/oauth/token', {
      form: { grant_type: 'client_credentials', scope: 'bills:pay' },
    });
    expect(tokenRes.status).toBe(200);
    expect(tokenRes.headers['cache-control']).toBe('no-store');
    expect(tokenRes.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'bills:pay' });
    const jwt = String(tokenRes.body.access_token);
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as Record<
      string,
      string
    >;
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      cnf: Record<string, string>;
    };
    expect(header.alg).toBe('ES256');
    expect(claims.sub).toBe('demo-fintech');
    expect(claims.cnf['x5t#S256']).toBe(fingerprintSha256(e.fintech.certPem).base64url);

    const jwks = await send<{ keys: { kid: string }[] }>(a, e.mtlsUrl, 'GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((k) => k.kid)).toContain(header.kid);

    const paid = await payOver(a, e.mtlsUrl, jwt);
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ status: 'APPROVED' });
    // and on the same kept connection again
    expect((await payOver(a, e.mtlsUrl, jwt)).body).toMatchObject({ status: 'APPROVED' });
  });

  it('a JSON token request works too', async () => {
    const a = agent(e.fintech);
    const res = await send(a, e.mtlsUrl, 'POST', '/oauth/token', {
      body: { grant_type: 'client_credentials' },
    });
    expect(res.status).toBe(200);
    const bad = await send(a, e.mtlsUrl, 'POST', '/oauth/token', { form: { grant_type: 'password' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'unsupported_grant_type' });
  });
});

describe('public mTLS lane: each layer failing alone is refused', () => {
  it('no client certificate: the handshake fails', async () => {
    expect(
      await transportError(
        send(agent(), e.mtlsUrl, 'POST', '/oauth/token', { form: { grant_type: 'client_credentials' } }),
      ),
    ).not.toMatch(/answered/);
  });

  it('a certificate from another CA: the handshake fails', async () => {
    const other = createCertificateAuthority({ commonName: 'someone else' });
    const stranger = issueClientKeyAndCertificate(other, { partnerId: 'demo-fintech', validityDays: 30 });
    expect(await transportError(payOver(agent(stranger), e.mtlsUrl, undefined))).not.toMatch(/answered/);
  });

  it('an expired certificate: the handshake fails', async () => {
    const expired = issueClientKeyAndCertificate(e.ca, {
      partnerId: 'demo-fintech',
      validityDays: 1,
      now: new Date(Date.now() - 10 * 86_400_000),
    });
    expect(await transportError(payOver(agent(expired), e.mtlsUrl, undefined))).not.toMatch(/answered/);
  });

  it("a certificate expired by the gateway's clock is refused per request", async () => {
    const short = await registeredCert('demo-fintech', { validityDays: 1 });
    const a = agent(short);
    const jwt = await token(a, e.mtlsUrl);
    expect((await payOver(a, e.mtlsUrl, jwt)).status).toBe(201);
    const saved = e.clock.now();
    e.clock.advanceHours(25);
    try {
      const res = await payOver(a, e.mtlsUrl, jwt);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: expect.stringMatching(/client-certificate-expired$/) });
    } finally {
      e.clock.set(saved);
    }
  });

  it('a trusted but unregistered certificate is refused', async () => {
    const loose = issueClientKeyAndCertificate(e.ca, { partnerId: 'demo-fintech', validityDays: 30 });
    const res = await send(agent(loose), e.mtlsUrl, 'POST', '/oauth/token', {
      form: { grant_type: 'client_credentials' },
    });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/client-certificate-unregistered$/) });
  });

  it('a revoked certificate is refused on the next request of the same connection', async () => {
    const cert = await registeredCert('demo-fintech');
    const a = agent(cert);
    const jwt = await token(a, e.mtlsUrl);
    expect((await payOver(a, e.mtlsUrl, jwt)).status).toBe(201);
    const listed = await ops('GET', '/ops/partners/demo-fintech/credentials');
    const id = (listed.body as { credentials: { id: string; fingerprint: string }[] }).credentials.find(
      (c) => c.fingerprint === fingerprintSha256(cert.certPem).base64url,
    )?.id;
    const revoked = await ops('POST', `/ops/partners/demo-fintech/credentials/${id}/revoke`, {
      reason: 'key leaked',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'REVOKED' });
    const res = await payOver(a, e.mtlsUrl, jwt);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/client-certificate-revoked$/) });
  });

  it('the right certificate from an address no partner may use: the connection is closed', async () => {
    expect(await transportError(payOver(agent(e.fintech, '127.0.0.2'), e.mtlsUrl, undefined))).not.toMatch(
      /answered/,
    );
  });

  it('the right certificate from an address allowed only for another partner: 403', async () => {
    const assigned = await ops('POST', '/ops/partners/demo-aggregator/lanes', {
      laneId: 'public-mtls',
      cidrs: ['127.0.0.2/32'],
    });
    expect(assigned.status).toBe(200);
    const res = await send(agent(e.fintech, '127.0.0.2'), e.mtlsUrl, 'POST', '/oauth/token', {
      form: { grant_type: 'client_credentials' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/partner-not-allowed-here$/) });
  });

  it('no token, or an API key instead of one: 401', async () => {
    const a = agent(e.fintech);
    const none = await payOver(a, e.mtlsUrl, undefined);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ type: expect.stringMatching(/token-required$/) });
    const apiKey = await payOver(a, e.mtlsUrl, 'demo-key-demo-fintech');
    expect(apiKey.status).toBe(401);
  });

  it('an expired token: 401', async () => {
    const a = agent(e.fintech);
    const jwt = await token(a, e.mtlsUrl);
    const saved = e.clock.now();
    e.clock.advanceSeconds(300 + 10);
    try {
      const res = await payOver(a, e.mtlsUrl, jwt);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'EXPIRED' });
    } finally {
      e.clock.set(saved);
    }
  });

  it("a token presented over another partner's certificate: 401", async () => {
    await ops('POST', '/ops/partners/demo-aggregator/lanes', {
      laneId: 'public-mtls',
      cidrs: ['127.0.0.1/32'],
    });
    const aggregatorCert = await registeredCert('demo-aggregator');
    const jwt = await token(agent(e.fintech), e.mtlsUrl);
    const res = await payOver(agent(aggregatorCert), e.mtlsUrl, jwt);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ reason: 'CERT_BINDING_MISMATCH' });
    // the same partner's second certificate does not carry the first one's token either
    const second = await registeredCert('demo-fintech');
    expect((await payOver(agent(second), e.mtlsUrl, jwt)).body).toMatchObject({
      reason: 'CERT_BINDING_MISMATCH',
    });
  });

  it('a token signed by a key the gateway does not know: 401', async () => {
    const ring = SigningKeyRing.create(e.clock.now());
    const forger = new AccessTokenService({ ring, issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
    const { token: forged } = await forger.issueAccessToken({
      partnerId: 'demo-fintech',
      certificateThumbprint: fingerprintSha256(e.fintech.certPem).base64url,
      now: e.clock.now(),
    });
    const res = await payOver(agent(e.fintech), e.mtlsUrl, forged);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ reason: 'UNKNOWN_KEY' });
  });

  it('the ops API is not served on the public lane', async () => {
    const res = await send(agent(e.fintech), e.mtlsUrl, 'GET', '/ops/partners', { bearer: OPS });
    expect(res.status).toBe(403);
  });
});

describe('signing keys rotate with an overlap', () => {
  it('a token signed before a rotation keeps working; revoking the old key stops it', async () => {
    const a = agent(e.fintech);
    const before = await token(a, e.mtlsUrl);
    const rotated = await ops('POST', '/ops/token-signing-keys/rotate', { reason: 'scheduled rotation' });
    expect(rotated.status).toBe(200);
    const { active, retiring } = rotated.body as { active: string; retiring: string };
    expect(active).not.toBe(retiring);
    const jwks = await send<{ keys: { kid: string }[] }>(a, e.mtlsUrl, 'GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([active, retiring]));
    expect((await payOver(a, e.mtlsUrl, before)).status).toBe(201);
    const after = await token(a, e.mtlsUrl);
    expect(JSON.parse(Buffer.from(after.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
      kid: active,
    });
    expect((await payOver(a, e.mtlsUrl, after)).status).toBe(201);

    expect(
      (await ops('POST', `/ops/token-signing-keys/${retiring}/revoke`, { reason: 'retired early' })).status,
    ).toBe(200);
    expect((await payOver(a, e.mtlsUrl, before)).body).toMatchObject({ reason: 'UNKNOWN_KEY' });
    expect((await payOver(a, e.mtlsUrl, after)).status).toBe(201);
  });
});

describe('lanes: address, lane assignment and suspension', () => {
  it('the plain lane refuses an address no partner may use, before reading the request', async () => {
    const res = await send(agentPlain('127.0.0.2'), e.plainUrl, 'POST', '/bill/pay', {
      bearer: MFS,
      body: payBody(),
    });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/address-not-allowed$/) });
  });

  it("a partner's API key on a lane it is not assigned to: 403", async () => {
    const res = await pay(e.plainUrl, payBody(), { key: 'demo-key-demo-fintech' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/lane-not-assigned$/) });
  });

  it('a suspended partner is refused on every lane, and comes back only through the gates', async () => {
    const a = agent(e.fintech);
    const jwt = await token(a, e.mtlsUrl);
    for (const id of ['demo-fintech', 'demo-mfs']) {
      const r = await ops('POST', `/ops/partners/${id}/transitions`, { to: 'suspended', reason: 'test' });
      expect(r.status).toBe(200);
    }
    expect((await payOver(a, e.mtlsUrl, jwt)).body).toMatchObject({
      type: expect.stringMatching(/partner-suspended$/),
    });
    const tokenRes = await send(a, e.mtlsUrl, 'POST', '/oauth/token', {
      form: { grant_type: 'client_credentials' },
    });
    expect(tokenRes.status).toBe(400);
    const plain = await pay(e.plainUrl, payBody(), { key: MFS });
    expect(plain.status).toBe(403);
    expect(plain.body).toMatchObject({ type: expect.stringMatching(/partner-suspended$/) });

    // back to live needs the schedules and a passed certification
    const refused = await ops('POST', '/ops/partners/demo-mfs/transitions', { to: 'live', reason: 'resume' });
    expect(refused.status).toBe(409);
    expect((refused.body as { reasons: string[] }).reasons.length).toBeGreaterThan(0);
    expect((await ops('PUT', '/ops/partners/demo-mfs/schedules', SCHEDULES)).status).toBe(200);
    const report = await signedReport(e.gw.services, e.clock.now(), {
      partnerId: 'demo-mfs',
      laneId: 'public-mtls',
    });
    const stored = await ops('POST', '/ops/partners/demo-mfs/certification/reports', {
      report: report.report,
      jws: report.jws,
      reason: 'recertified',
    });
    expect(stored.status).toBe(201);
    expect(
      (await ops('POST', '/ops/partners/demo-mfs/transitions', { to: 'live', reason: 'resume' })).status,
    ).toBe(200);
    expect((await pay(e.plainUrl, payBody(), { key: MFS })).status).toBe(201);
  });

  it('refusals are counted by lane and reason', async () => {
    const metrics = await call(e.plainUrl, 'GET', '/metrics');
    expect(metrics.text).toMatch(
      /billgate_edge_refusals_total\{lane="public-mtls",reason="certificate-revoked"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /billgate_edge_refusals_total\{lane="http-plain",reason="lane-not-assigned"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /billgate_edge_refusals_total\{lane="public-mtls",reason="tls-handshake"\} [1-9]/,
    );
  });
});

function agentPlain(localAddress: string): Agent {
  return agent(undefined, localAddress);
}
