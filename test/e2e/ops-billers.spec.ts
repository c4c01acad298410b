import { Writable } from 'node:stream';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  startAnotherNode,
  startTestGateway,
  usingRealServers,
  type TestGateway,
} from '../support/gateway';
import { call } from '../support/http';
import { MFS, OPS, pay, payBody } from '../support/payments';

/**
 * Ops own the billers: list, create, change URL and timeout, disable. Each change is in the ops audit
 * chain with its actor and reason, and the next payment sees it (biller directory and route cache).
 * Every ops write also leaves one log line (who, what, why): read here from the gateway's log.
 */
let gw: TestGateway;
const logLines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  },
});
const ops = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
  call(gw.httpUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });
const opsWrites = () => logLines.filter((l) => l.opsWrite === true);

beforeAll(async () => {
  gw = await startTestGateway({}, { logger: createLogger('info', sink) });
});
afterAll(async () => {
  await gw?.stop();
});

describe('/ops/billers', () => {
  it('lists the billers with their address, timeout, state and rules', async () => {
    const r = await ops('GET', '/ops/billers');
    expect(r.status).toBe(200);
    const items = (r.body as { items: Record<string, unknown>[] }).items;
    expect(items.map((b) => b.id)).toEqual(['sim-electricity', 'sim-gas', 'sim-water']);
    expect(items[0]).toMatchObject({
      name: 'Simulated electricity biller',
      billType: 'ELECTRICITY',
      timeoutMs: 1500,
      enabled: true,
      disabledAt: null,
      routingRules: 6,
    });
    expect(items[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  });

  it('refuses a change without a reason, and says which field', async () => {
    const r = await ops('PATCH', '/ops/billers/sim-electricity', { timeoutMs: 100 });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ errors: [expect.objectContaining({ field: 'reason' })] });
    const nothing = await ops('PATCH', '/ops/billers/sim-electricity', { reason: 'nothing' });
    expect(nothing.status).toBe(400);
    expect((await ops('PATCH', '/ops/billers/nope', { timeoutMs: 100, reason: 'x' })).status).toBe(404);
  });

  it('a shorter timeout applies to the next payment, and so does restoring it', async () => {
    const cut = await ops('PATCH', '/ops/billers/sim-electricity', {
      timeoutMs: 60,
      reason: 'biller asked for a fail-fast timeout',
    });
    expect(cut.status).toBe(200);
    expect(cut.body).toMatchObject({ timeoutMs: 60 });
    // SLOW… references are answered after 200 ms by the test simulator: past 60 ms, so unknown.
    const held = await pay(gw.httpUrl, payBody({ billReference: 'SLOW-1' }));
    expect(held.body).toMatchObject({ status: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });

    expect(
      (await ops('PATCH', '/ops/billers/sim-electricity', { timeoutMs: 1500, reason: 'restore' })).status,
    ).toBe(200);
    const paid = await pay(gw.httpUrl, payBody({ billReference: 'SLOW-2' }));
    expect(paid.body).toMatchObject({ status: 'APPROVED' });
    expect(
      (await ops('PATCH', '/ops/billers/sim-electricity', { timeoutMs: 1500, reason: 'again' })).status,
    ).toBe(409);
  });

  it('a new URL applies to the next payment', async () => {
    const before = (await ops('GET', '/ops/billers/sim-water')).body as { url: string };
    const moved = await ops('PATCH', '/ops/billers/sim-water', {
      url: 'http://127.0.0.1:9/',
      reason: 'biller moved (to a port nobody listens on)',
    });
    expect(moved.status).toBe(200);
    const down = await pay(gw.httpUrl, payBody({ billType: 'WATER', billReference: 'WASA-1' }));
    expect(down.body).toMatchObject({ status: 'DECLINED', reasonCode: 'BILLER_UNAVAILABLE' });
    await ops('PATCH', '/ops/billers/sim-water', { url: before.url, reason: 'back' });
    const paid = await pay(gw.httpUrl, payBody({ billType: 'WATER', billReference: 'WASA-2' }));
    expect(paid.body).toMatchObject({ status: 'APPROVED' });
  });

  it('a disabled biller answers no route at once; enabled again, it pays', async () => {
    // Warm the route cache first, so the refusal proves the cache was told.
    expect(
      (await pay(gw.httpUrl, payBody({ billType: 'GAS', billReference: 'TITAS-1' }))).body,
    ).toMatchObject({ status: 'APPROVED' });
    const off = await ops('POST', '/ops/billers/sim-gas/disable', { reason: 'biller outage declared' });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, disabledAt: expect.any(String) });
    const refused = await pay(gw.httpUrl, payBody({ billType: 'GAS', billReference: 'TITAS-2' }));
    expect(refused.body).toMatchObject({ status: 'DECLINED', reasonCode: 'NO_ROUTE' });
    expect((await ops('POST', '/ops/billers/sim-gas/disable', { reason: 'twice' })).status).toBe(409);

    expect((await ops('POST', '/ops/billers/sim-gas/enable', { reason: 'outage over' })).status).toBe(200);
    const paid = await pay(gw.httpUrl, payBody({ billType: 'GAS', billReference: 'TITAS-3' }));
    expect(paid.body).toMatchObject({ status: 'APPROVED' });
  });

  it('creates a biller for a new bill type that partners can then be routed to', async () => {
    const electricity = (await ops('GET', '/ops/billers/sim-electricity')).body as { url: string };
    const created = await ops('POST', '/ops/billers', {
      id: 'sim-internet',
      name: 'Simulated internet biller',
      billType: 'INTERNET',
      url: electricity.url,
      timeoutMs: 1500,
      reason: 'new biller signed',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'sim-internet', billType: 'INTERNET', routingRules: 0 });
    expect((await ops('POST', '/ops/billers', { ...(created.body as object), reason: 'again' })).status).toBe(
      400,
    );
    const again = await ops('POST', '/ops/billers', {
      id: 'sim-internet',
      name: 'x',
      billType: 'INTERNET',
      url: electricity.url,
      timeoutMs: 1500,
      reason: 'again',
    });
    expect(again.status).toBe(409);

    await gw.services.database.db
      .insertInto('ledger_accounts')
      .values({ id: 'settlement:INTERNET:BDT', kind: 'settlement', owner_id: 'INTERNET', currency: 'BDT' })
      .execute();
    const rule = await ops('POST', '/ops/routing/rules', {
      billType: 'INTERNET',
      payerType: 'mfs-user',
      partnerId: 'demo-mfs',
      billerEndpoint: 'sim-internet',
      settlementAccount: 'settlement:INTERNET:BDT',
      reason: 'route demo-mfs to the new biller',
    });
    expect(rule.status).toBe(201);
    const paid = await pay(gw.httpUrl, payBody({ billType: 'INTERNET', billReference: 'NET-1' }));
    expect(paid.body).toMatchObject({ status: 'APPROVED' });
    const read = await call(gw.httpUrl, 'GET', `/bill/pay/${String(paid.body.id)}`, { key: MFS });
    expect(read.body).toMatchObject({ route: { billerEndpoint: 'sim-internet' } });
  });

  it('every change is in the ops audit chain with its actor, reason, before and after', async () => {
    const r = await ops('GET', '/ops/audit/actions?subjectType=biller');
    const items = (r.body as { items: Record<string, unknown>[] }).items;
    expect(items.map((e) => [e.action, e.subjectId, e.reason])).toEqual([
      ['biller.update', 'sim-electricity', 'biller asked for a fail-fast timeout'],
      ['biller.update', 'sim-electricity', 'restore'],
      ['biller.update', 'sim-water', 'biller moved (to a port nobody listens on)'],
      ['biller.update', 'sim-water', 'back'],
      ['biller.disable', 'sim-gas', 'biller outage declared'],
      ['biller.enable', 'sim-gas', 'outage over'],
      ['biller.create', 'sim-internet', 'new biller signed'],
    ]);
    expect(items[0]).toMatchObject({
      actor: 'ops-demo',
      before: { timeoutMs: 1500 },
      after: { timeoutMs: 60 },
    });
    expect((await ops('GET', '/ops/audit/actions/verify')).body).toMatchObject({ intact: true });
  });

  it('every ops write, refused ones included, is in the log with who, what and why', () => {
    const lines = opsWrites();
    const disable = lines.find(
      (l) => l.route === '/ops/billers/:id/disable' && l.reason === 'biller outage declared',
    );
    expect(disable).toMatchObject({
      msg: 'ops write',
      actor: 'ops-demo',
      method: 'POST',
      params: { id: 'sim-gas' },
      status: 200,
    });
    expect(lines.find((l) => l.route === '/ops/routing/rules' && l.method === 'POST')).toMatchObject({
      reason: 'route demo-mfs to the new biller',
      status: 201,
    });
    expect(lines.find((l) => l.reason === null && l.route === '/ops/billers/:id')).toMatchObject({
      status: 400,
    });
  });

  it('a dashboard write is logged with the signed-in operator as its actor', async () => {
    const signedIn = await call<{ csrfToken: string }>(gw.httpUrl, 'POST', '/dashboard/session', {
      body: { username: 'ops.operator', password: 'operator-demo-pass' },
    });
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0] as string;
    const rules = await ops('GET', '/ops/routing/rules?billType=WATER');
    const rule = (rules.body as { items: { id: string; partnerId: string }[] }).items.find(
      (r) => r.partnerId === 'demo-card',
    );
    const flip = await call(gw.httpUrl, 'POST', `/dashboard/api/routing/rules/${rule?.id ?? ''}`, {
      headers: { cookie, 'x-csrf-token': signedIn.body.csrfToken },
      body: { enabled: false, reason: 'card scheme paused water bills' },
    });
    expect(flip.status).toBe(200);
    const refused = await call(gw.httpUrl, 'POST', `/dashboard/api/routing/rules/${rule?.id ?? ''}`, {
      headers: { cookie },
      body: { enabled: true, reason: 'no csrf token' },
    });
    expect(refused.status).toBe(403);
    const lines = opsWrites().filter((l) => l.route === '/dashboard/api/routing/rules/:id');
    expect(lines).toEqual([
      expect.objectContaining({
        actor: 'ops-user:ops.operator',
        method: 'POST',
        params: { id: rule?.id },
        reason: 'card scheme paused water bills',
        status: 200,
      }),
      expect.objectContaining({ actor: 'ops-user:ops.operator', reason: 'no csrf token', status: 403 }),
    ]);
  });

  it('logs no body, only the reason', () => {
    const lines = opsWrites();
    // No body is logged: only the reason.
    expect(JSON.stringify(lines)).not.toContain('fail-fast timeout"},"timeoutMs');
    expect(lines.every((l) => !('body' in l))).toBe(true);
  });
});

const onTwoNodes = usingRealServers && process.env.REDIS_URL !== undefined ? describe : describe.skip;

onTwoNodes('/ops/billers on two nodes (PostgreSQL + Redis)', () => {
  let a: TestGateway;
  let b: TestGateway;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    // One Redis key prefix for both: they hear each other's invalidations.
    const env = { REDIS_KEY_PREFIX: `billgate-billers-${randomBytes(4).toString('hex')}:` };
    a = await startTestGateway(env, { database: { url: database.url } });
    b = await startAnotherNode(a, env);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await drop?.();
  });

  it("a change made on one node applies to the other's next payment", async () => {
    // Node b has the routes and the biller directory cached.
    expect((await pay(b.httpUrl, payBody({ billReference: 'SLOW-B1' }))).body).toMatchObject({
      status: 'APPROVED',
    });
    expect(
      (await pay(b.httpUrl, payBody({ billType: 'GAS', billReference: 'TITAS-B1' }))).body,
    ).toMatchObject({ status: 'APPROVED' });
    const onA = (method: 'PATCH' | 'POST', path: string, body: unknown) =>
      call(a.httpUrl, method, path, { key: OPS, body });
    expect(
      (await onA('PATCH', '/ops/billers/sim-electricity', { timeoutMs: 60, reason: 'fail fast' })).status,
    ).toBe(200);
    expect((await onA('POST', '/ops/billers/sim-gas/disable', { reason: 'outage' })).status).toBe(200);

    expect((await pay(b.httpUrl, payBody({ billReference: 'SLOW-B2' }))).body).toMatchObject({
      status: 'PENDING',
      reasonCode: 'BILLER_TIMEOUT',
    });
    expect(
      (await pay(b.httpUrl, payBody({ billType: 'GAS', billReference: 'TITAS-B2' }))).body,
    ).toMatchObject({ status: 'DECLINED', reasonCode: 'NO_ROUTE' });
  });
});
