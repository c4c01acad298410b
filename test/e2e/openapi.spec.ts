import { z } from 'zod';
import { businessDayOf } from '../../src/domain/recon/business-day';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { MFS, OPS, pay, payBody } from '../support/payments';

/**
 * The OpenAPI document as a client generator reads it, from the running gateway's /docs-json: the
 * credentials each endpoint takes, the errors it can give, summaries and schemas, and the answers'
 * schemas checked against what the gateway really answers.
 */
interface Operation {
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Record<string, unknown> }> }
  >;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, string>>; schemas: Record<string, unknown> };
}

let gw: TestGateway;
let doc: Doc;
const op = (method: string, path: string): Operation => {
  const o = doc.paths[path]?.[method];
  if (o === undefined) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return o;
};
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, o]) => ({ path, method, o })),
  );

beforeAll(async () => {
  gw = await startTestGateway();
  const r = await call<Doc>(gw.httpUrl, 'GET', '/docs-json');
  expect(r.status).toBe(200);
  doc = r.body;
});
afterAll(async () => {
  await gw?.stop();
});

describe('/docs-json', () => {
  it('declares API keys as API keys, not JWTs, and the mTLS lane’s bound JWT apart', () => {
    const schemes = doc.components.securitySchemes;
    for (const name of ['partnerApiKey', 'opsApiKey']) {
      expect(schemes[name]).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'API key' });
    }
    expect(schemes.mtlsJwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.mtlsJwt?.description).toContain('/oauth/token');
    expect(op('post', '/bill/pay').security).toEqual([{ partnerApiKey: [] }, { mtlsJwt: [] }]);
    expect(op('get', '/ops/billers').security).toEqual([{ opsApiKey: [] }]);
    expect(op('post', '/agent/pay').security).toEqual([{ terminalKey: [] }]);
    expect(op('get', '/health/ready').security).toEqual([]);
  });

  it('gives every operation a summary, and documents health and metrics', () => {
    expect(
      operations()
        .filter(({ o }) => (o.summary ?? '').trim() === '')
        .map((x) => `${x.method} ${x.path}`),
    ).toEqual([]);
    expect(op('get', '/health/ready').responses['503']).toBeDefined();
    expect(op('get', '/health/live').summary).toMatch(/Liveness/);
    expect(op('get', '/metrics').responses['200']?.content).toHaveProperty(['text/plain']);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/dashboard'))).toBe(false);
  });

  it('documents 401/403 on authenticated endpoints, 400/415 on writes and 409/422 where they apply', () => {
    for (const { path, o } of operations()) {
      if ((o.security ?? []).length === 0) continue;
      expect([path, Object.keys(o.responses)]).toEqual([path, expect.arrayContaining(['401', '403'])]);
    }
    const payOp = op('post', '/bill/pay');
    expect(Object.keys(payOp.responses)).toEqual(expect.arrayContaining(['201', '400', '409', '415', '422']));
    expect(payOp.responses['415']?.content).toHaveProperty(['application/problem+json']);
    expect(
      op('post', '/ops/partners/{id}/credentials/{credentialId}/revoke').responses['409']?.description,
    ).toMatch(/last-valid-credential/);
    expect(op('post', '/ops/partners/{id}/transitions').responses['409']?.description).toMatch(/gate/);
    expect(op('post', '/iso20022/pacs.008').responses['415']?.description).toMatch(/application\/xml/);
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('has a request schema for every ops write with a body and a response schema for every ops answer', () => {
    const missing: string[] = [];
    for (const { path, method, o } of operations()) {
      if (!path.startsWith('/ops/')) continue;
      const success = Object.entries(o.responses).find(([s]) => s.startsWith('2'))?.[1];
      if (path !== '/ops/routing/rules.csv' && success?.content === undefined)
        missing.push(`${method} ${path}: response`);
      if (
        ['post', 'put', 'patch'].includes(method) &&
        o.requestBody === undefined &&
        !/\/(rotate|revoke)$/.test(path)
      )
        missing.push(`${method} ${path}: request`);
    }
    expect(missing).toEqual([]);
    // Onboarding: the schedules' shape is documented, not `any`.
    const create = op('post', '/ops/partners').requestBody?.content['application/json']?.schema as {
      properties: { schedules: { properties: Record<string, unknown> } };
    };
    expect(Object.keys(create.properties.schedules.properties)).toEqual(['msa', 'technical', 'operational']);
  });

  it('describes what the gateway really answers', async () => {
    const paid = await pay(gw.httpUrl, payBody());
    expect(paid.status).toBe(201);
    const answers: [string, string, unknown][] = [
      ['post', '/bill/pay', paid.body],
      ['get', '/ops/partners', (await call(gw.httpUrl, 'GET', '/ops/partners', { key: OPS })).body],
      [
        'get',
        '/ops/partners/{id}',
        (await call(gw.httpUrl, 'GET', '/ops/partners/demo-mfs', { key: OPS })).body,
      ],
      [
        'get',
        '/ops/partners/{id}/credentials',
        (await call(gw.httpUrl, 'GET', '/ops/partners/demo-mfs/credentials', { key: OPS })).body,
      ],
      [
        'get',
        '/ops/partners/{id}/floats/{currency}/statement',
        (await call(gw.httpUrl, 'GET', '/ops/partners/demo-mfs/floats/BDT/statement', { key: OPS })).body,
      ],
      ['get', '/ops/routing/rules', (await call(gw.httpUrl, 'GET', '/ops/routing/rules', { key: OPS })).body],
      ['get', '/ops/audit', (await call(gw.httpUrl, 'GET', '/ops/audit?limit=2', { key: OPS })).body],
      [
        'get',
        '/ops/agents/{id}',
        (await call(gw.httpUrl, 'GET', '/ops/agents/AGENT-001', { key: OPS })).body,
      ],
      ['get', '/ops/billers', (await call(gw.httpUrl, 'GET', '/ops/billers', { key: OPS })).body],
      [
        'get',
        '/ops/token-signing-keys',
        (await call(gw.httpUrl, 'GET', '/ops/token-signing-keys', { key: OPS })).body,
      ],
      [
        'get',
        '/ops/ledger/trial-balance',
        (await call(gw.httpUrl, 'GET', '/ops/ledger/trial-balance', { key: OPS })).body,
      ],
      ['get', '/health/ready', (await call(gw.httpUrl, 'GET', '/health/ready')).body],
      [
        'post',
        '/ops/partners/{id}/api-keys',
        (await call(gw.httpUrl, 'POST', '/ops/partners/demo-card/api-keys', { key: OPS, body: {} })).body,
      ],
    ];
    for (const [method, path, body] of answers) {
      const responses = op(method, path).responses;
      const success = Object.entries(responses).find(([s]) => s.startsWith('2'))?.[1];
      const schema = success?.content?.['application/json']?.schema;
      expect([path, schema]).toEqual([path, expect.anything()]);
      const parsed = z.fromJSONSchema(schema as never).safeParse(body);
      expect([method, path, parsed.success ? 'matches' : parsed.error.issues]).toEqual([
        method,
        path,
        'matches',
      ]);
    }
  });

  it('describes what reconciliation, lane fit and onboarding really answer, the partner upload included', async () => {
    const today = businessDayOf(new Date(), 'Asia/Dhaka');
    const ref = `oas-${Date.now()}`;
    const paid = await pay(gw.httpUrl, payBody({ partnerReference: ref, amount: '500.00' }));
    expect(paid.status).toBe(201);
    const get = async (path: string) => (await call(gw.httpUrl, 'GET', path, { key: OPS })).body;
    const post = async (path: string, body: unknown) =>
      (await call(gw.httpUrl, 'POST', path, { key: OPS, body })).body;
    // The partner's file names our payment with another amount (B3) and a row of none of ours (B1).
    const csv = [
      'partner_reference,billgate_payment_id,amount,currency,status,value_date',
      `${ref},${String(paid.body.id)},499.00,BDT,SETTLED,${today}`,
      `stranger-${ref},,75.00,BDT,SETTLED,${today}`,
    ].join('\n');
    const upload = await call(gw.httpUrl, 'POST', `/partner/recon/files?businessDate=${today}`, {
      key: MFS,
      rawBody: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(upload.status).toBe(201);
    // A body type the upload takes no parser for is refused as the document says.
    const json = await call(gw.httpUrl, 'POST', `/partner/recon/files?businessDate=${today}`, {
      key: MFS,
      rawBody: '{}',
      headers: { 'content-type': 'image/png' },
    });
    expect(json.status).toBe(415);
    expect(op('post', '/partner/recon/files').responses['415']?.description).toMatch(/text\/csv/);
    expect(Object.keys(op('post', '/ops/recon/files').requestBody?.content ?? {})).toEqual([
      'text/csv',
      'application/xml',
      'application/octet-stream',
    ]);
    const run = (
      await call<{ id: string }>(gw.httpUrl, 'POST', '/ops/recon/runs', {
        key: OPS,
        body: { businessDate: today, reason: 'openapi spec' },
      })
    ).body;
    let done: unknown;
    for (let i = 0; i < 200 && done === undefined; i++) {
      const r = await get(`/ops/recon/runs/${run.id}`);
      if ((r as { state: string }).state !== 'running') done = r;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(done).toMatchObject({ state: 'done' });
    const breaks = (await get(`/ops/recon/breaks?businessDate=${today}`)) as {
      items: { id: string; code: string }[];
    };
    const b3 = breaks.items.find((b) => b.code === 'B3')!;
    const b1 = breaks.items.find((b) => b.code === 'B1')!;
    expect([b3, b1]).toEqual([expect.anything(), expect.anything()]);
    const answers: [string, string, unknown][] = [
      ['post', '/partner/recon/files', upload.body],
      ['post', '/ops/recon/runs', run],
      ['get', '/ops/recon/runs/{id}', done],
      ['get', '/ops/recon/runs', await get(`/ops/recon/runs?businessDate=${today}`)],
      ['get', '/ops/recon/files', await get(`/ops/recon/files?businessDate=${today}`)],
      ['get', '/ops/recon/breaks', breaks],
      ['get', '/ops/recon/breaks/{id}', await get(`/ops/recon/breaks/${b3.id}`)],
      [
        'post',
        '/ops/recon/breaks/{id}/assign',
        await post(`/ops/recon/breaks/${b3.id}/assign`, { assignee: 'alice', reason: 'amount desk' }),
      ],
      [
        'post',
        '/ops/recon/breaks/{id}/comments',
        await post(`/ops/recon/breaks/${b3.id}/comments`, { text: 'asked the partner' }),
      ],
      [
        'post',
        '/ops/recon/breaks/{id}/resolve',
        await post(`/ops/recon/breaks/${b3.id}/resolve`, { resolution: 'write-off', reason: 'one taka off' }),
      ],
      ['get', '/ops/recon/figures', await get('/ops/recon/figures')],
      [
        'get',
        '/partner/recon/breaks',
        (await call(gw.httpUrl, 'GET', `/partner/recon/breaks?businessDate=${today}`, { key: MFS })).body,
      ],
      [
        'get',
        '/ops/recon/billers/{billerId}/posting-file',
        await get('/ops/recon/billers/sim-electricity/posting-file'),
      ],
      ['get', '/ops/lane-fit', await get('/ops/lane-fit')],
      ['get', '/ops/partners/{id}/lane-fit', await get('/ops/partners/demo-mfs/lane-fit')],
      ['get', '/ops/partners/{id}/gates', await get('/ops/partners/demo-mfs/gates')],
      ['get', '/ops/onboarding/metrics', await get('/ops/onboarding/metrics')],
      [
        'get',
        '/ops/partners/{id}/onboarding-metrics',
        await get('/ops/partners/demo-mfs/onboarding-metrics'),
      ],
    ];
    for (const [method, path, body] of answers) {
      const success = Object.entries(op(method, path).responses).find(([s]) => s.startsWith('2'))?.[1];
      const schema = success?.content?.['application/json']?.schema;
      expect([path, schema]).toEqual([path, expect.anything()]);
      const parsed = z.fromJSONSchema(schema as never).safeParse(body);
      expect([method, path, parsed.success ? 'matches' : parsed.error.issues]).toEqual([
        method,
        path,
        'matches',
      ]);
    }
    // The resolved break names its adjusting journal; the answers carry minor units beside major.
    expect(answers[9]![2]).toMatchObject({
      state: 'resolved',
      amountMinor: '50000',
      journalEntryId: expect.any(String),
    });
    for (const path of ['/ops/recon/breaks.csv', '/ops/recon/statements/{partnerId}/{file}']) {
      expect(Object.keys(op('get', path).responses['200']?.content ?? {})).toContain('text/csv');
    }
  });
});
