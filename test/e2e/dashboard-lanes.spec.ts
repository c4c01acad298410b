import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call, type HttpAnswer } from '../support/http';
import { MFS, payBody } from '../support/payments';
import { OPERATOR } from './dashboard-support';
import { mtlsAgent, startEdgeGateway, type EdgeGateway } from './edge-support';

/*
 * The dashboard is served only where a lane's configuration allows ops: from the lane's opsCidrs.
 * A partner's address, admitted to the same lane for its payments, is refused every dashboard route;
 * a lane without opsCidrs serves it to nobody; the public mutual-TLS lane never does. Loopback
 * aliases stand for the two networks: 127.0.0.1 is ops, 127.0.0.2 the partner.
 */

let gw: TestGateway;
const agents: Agent[] = [];
function from(localAddress: string): Agent {
  const a = new Agent({ localAddress });
  agents.push(a);
  return a;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-dashboard-lanes-'));
  const file = join(dir, 'billgate.yaml');
  writeFileSync(
    file,
    `
lanes:
  - id: mpls-shared
    kind: mpls
    protocol: http
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    opsCidrs: [127.0.0.1/32]
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.2/32] }
  - id: mpls-partners
    kind: mpls
    protocol: http
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.0/8] }
`,
  );
  gw = await startTestGateway({ BILLGATE_CONFIG: file, CERTS_DIR: join(dir, 'certs') });
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await gw?.stop();
});

const ROUTES: readonly ['GET' | 'POST', string][] = [
  ['GET', '/dashboard'],
  ['GET', '/dashboard/sign-in'],
  ['POST', '/dashboard/session'],
  ['GET', '/dashboard/assets/dashboard.js'],
  ['GET', '/dashboard/live'],
  ['GET', '/dashboard/agents/AGENT-001'],
  ['POST', '/dashboard/api/agents/AGENT-001/suspend'],
];

function hit(url: string, method: 'GET' | 'POST', path: string, dispatcher: Agent): Promise<HttpAnswer> {
  return call(url, method, path, {
    dispatcher,
    ...(method === 'POST' ? { body: { ...OPERATOR, reason: 'lane check' } } : {}),
  });
}

it('serves the dashboard to the lane’s ops address: sign-in works there', async () => {
  const url = gw.httpLanes['mpls-shared']!;
  const ops = from('127.0.0.1');
  expect((await hit(url, 'GET', '/dashboard/sign-in', ops)).status).toBe(200);
  const session = await hit(url, 'POST', '/dashboard/session', ops);
  expect(session.status).toBe(200);
  expect(String(session.headers['set-cookie'])).toContain('billgate_ops_session=');
});

it('refuses every dashboard route to a partner’s address on the same lane, which still pays', async () => {
  const url = gw.httpLanes['mpls-shared']!;
  const partner = from('127.0.0.2');
  for (const [method, path] of ROUTES) {
    const res = await hit(url, method, path, partner);
    expect([method, path, res.status]).toEqual([method, path, 403]);
    expect(res.body).toMatchObject({ type: expect.stringContaining('dashboard-not-allowed-here') });
    expect(res.headers['set-cookie']).toBeUndefined();
  }
  const paid = await call(url, 'POST', '/bill/pay', {
    dispatcher: partner,
    key: MFS,
    idempotencyKey: randomUUID(),
    body: payBody(),
  });
  expect(paid.status).toBe(201);
});

it('a lane without opsCidrs serves the dashboard to nobody', async () => {
  const url = gw.httpLanes['mpls-partners']!;
  for (const address of ['127.0.0.1', '127.0.0.2']) {
    const res = await hit(url, 'GET', '/dashboard/sign-in', from(address));
    expect([address, res.status]).toEqual([address, 403]);
  }
  const metrics = await call(gw.httpLanes['mpls-shared']!, 'GET', '/metrics', {
    dispatcher: from('127.0.0.1'),
  });
  expect(metrics.text).toMatch(
    /billgate_edge_refusals_total\{lane="mpls-partners",reason="dashboard-address"\} [1-9]/,
  );
});

describe('the embedded default lanes', () => {
  let e: EdgeGateway;
  beforeAll(async () => {
    e = await startEdgeGateway();
  });
  afterAll(async () => {
    await e?.gw.stop();
  });

  it('serve the dashboard on the plain loopback lane and never on the public mutual-TLS lane', async () => {
    expect((await call(e.plainUrl, 'GET', '/dashboard/sign-in')).status).toBe(200);
    const tls = mtlsAgent(e.caPem, e.fintech);
    agents.push(tls);
    const refused = await call(e.mtlsUrl, 'GET', '/dashboard/sign-in', { dispatcher: tls });
    expect(refused.status).toBe(403);
    const signIn = await call(e.mtlsUrl, 'POST', '/dashboard/session', { dispatcher: tls, body: OPERATOR });
    expect(signIn.status).toBe(403);
    expect(signIn.headers['set-cookie']).toBeUndefined();
  });
});
