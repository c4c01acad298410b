import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { sql } from 'kysely';
import { describeStartupFailure } from '../../src/bootstrap/startup-failure';
import { loadConfig } from '../../src/config/config';
import { registerApiKey } from '../../src/domain/partners/api-key-authenticator';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { MFS, OPS, pay, payBody } from '../support/payments';

/** Every refusal names what to change; none leaks internals. Over the gateway's real sockets. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function paymentCount(): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`select count(*) as n from payments`.execute(
    gw.services.database.db,
  );
  return Number(rows[0]?.n ?? 0);
}

describe('POST /bill/pay refusals', () => {
  it.each([
    ['application/xml', '<Document/>'],
    ['text/xml', '<Document/>'],
    ['application/x-www-form-urlencoded', 'billType=ELECTRICITY&amount=10.00'],
    ['text/plain', 'pay my bill'],
  ])('a %s body is 415 and names JSON, without internals', async (contentType, rawBody) => {
    const before = await paymentCount();
    const res = await call(gw.httpUrl, 'POST', '/bill/pay', {
      key: MFS,
      idempotencyKey: randomUUID(),
      rawBody,
      headers: { 'content-type': contentType },
    });
    expect(res.status).toBe(415);
    expect(res.body.detail).toBe('send the body as application/json');
    expect(res.text).not.toMatch(/readBig|Buffer|writeUInt/);
    expect(await paymentCount()).toBe(before);
  });

  it('an amount sent as a JSON number says it must be a string', async () => {
    const res = await pay(gw.httpUrl, { ...payBody(), amount: 1250.5 });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'amount', message: 'must be a string such as "1250.50", not a JSON number' },
    ]);
  });

  it('an oversized amount is "too large", with the most allowed', async () => {
    const res = await pay(gw.httpUrl, payBody({ amount: '99999999999999999999999999.00' }));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'amount', message: 'too large: at most 1000000000000000.00 BDT' },
    ]);
  });

  it('a 300-character Idempotency-Key is refused with its length and the limit', async () => {
    const res = await pay(gw.httpUrl, payBody(), { idempotencyKey: 'k'.repeat(300) });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'Idempotency-Key', message: 'is 300 characters long: at most 255' },
    ]);
  });

  it('a missing Idempotency-Key says it is required and its shape', async () => {
    const res = await call(gw.httpUrl, 'POST', '/bill/pay', { key: MFS, body: payBody() });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'Idempotency-Key', message: 'is required: 1-255 printable ASCII characters' },
    ]);
  });

  it('a body over the limit is 413 and states the limit', async () => {
    const res = await pay(gw.httpUrl, payBody({ billReference: 'x'.repeat(40_000) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({
      limitBytes: 16384,
      errors: [{ message: 'at most 16384 bytes (16 KiB)' }],
    });
  });

  it('a JWT on the plain lane is told that this lane takes API keys', async () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkZW1vLWZpbnRlY2gifQ.c2lnbmF0dXJl';
    const res = await pay(gw.httpUrl, payBody(), { key: jwt });
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/^this lane takes API keys/);
  });
});

describe('a live partner without a float', () => {
  it('is declined with "no BDT float for partner X", not CURRENCY_NOT_SUPPORTED', async () => {
    const id = 'mfs-without-float';
    const created = await call(gw.httpUrl, 'POST', '/ops/partners', {
      key: OPS,
      body: { id, name: 'New MFS', kind: 'mfs', payerTypes: ['mfs-user'] },
    });
    expect(created.status).toBe(201);
    // The onboarding gates are covered elsewhere; here the partner only needs to be live with a key.
    await gw.services.database.db
      .updateTable('partners')
      .set({ status: 'live' })
      .where('id', '=', id)
      .execute();
    await registerApiKey(gw.services.database.db, {
      principalType: 'partner',
      principalId: id,
      key: 'key-no-float',
    });
    gw.services.authenticator.forget();
    const lane = await call(gw.httpUrl, 'POST', `/ops/partners/${id}/lanes`, {
      key: OPS,
      body: { laneId: 'http-plain', cidrs: ['127.0.0.1/32', '::1/128'] },
    });
    expect(lane.status).toBe(200);
    const rule = await call(gw.httpUrl, 'POST', '/ops/routing/rules', {
      key: OPS,
      body: {
        billType: 'ELECTRICITY',
        payerType: 'mfs-user',
        partnerId: id,
        billerEndpoint: 'sim-electricity',
        settlementAccount: 'settlement:ELECTRICITY:BDT',
        reason: 'onboarding test',
      },
    });
    expect(rule.status).toBe(201);

    const res = await pay(gw.httpUrl, payBody(), { key: 'key-no-float' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'DECLINED',
      reasonCode: 'FLOAT_NOT_FOUND',
      reasonMessage: `no BDT float for partner ${id}`,
    });
  });
});

describe('ops API refusals', () => {
  const ops = (method: 'POST' | 'PUT', path: string, body: unknown) =>
    call(gw.httpUrl, method, path, { key: OPS, body });

  it('name each missing field in words, not zod text', async () => {
    const res = await ops('POST', '/ops/partners', {});
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/Invalid input|expected string, received/);
    expect(res.body.errors).toEqual([
      { field: 'id', message: 'is required' },
      { field: 'name', message: 'is required' },
      { field: 'kind', message: 'must be one of bank, mfs, aggregator, card-scheme, otc-network' },
      { field: 'payerTypes', message: 'is required' },
    ]);
  });

  it('an unknown state lists the valid ones', async () => {
    const res = await ops('POST', '/ops/partners/demo-mfs/transitions', { to: 'nope', reason: 'test' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        field: 'to',
        message: 'must be one of draft, contracts-signed, connectivity, certification, live, suspended',
      },
    ]);
  });

  it('PUT /schedules with {} is 422 and changes nothing', async () => {
    const before = await call(gw.httpUrl, 'GET', '/ops/partners/demo-mfs', { key: OPS });
    const res = await ops('PUT', '/ops/partners/demo-mfs/schedules', {});
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { field: '(body)', message: 'name at least one of msa, technical, operational' },
    ]);
    const after = await call(gw.httpUrl, 'GET', '/ops/partners/demo-mfs', { key: OPS });
    expect(after.body.schedules).toEqual(before.body.schedules);
  });

  it('a token-signing-key rotation needs a reason like every other ops write', async () => {
    const before = await call(gw.httpUrl, 'GET', '/ops/token-signing-keys', { key: OPS });
    const res = await ops('POST', '/ops/token-signing-keys/rotate', {});
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'reason', message: 'is required' }]);
    const after = await call(gw.httpUrl, 'GET', '/ops/token-signing-keys', { key: OPS });
    expect(after.body.keys).toEqual(before.body.keys);
  });

  it('a payer type a partner may not use reads as English ("an account")', async () => {
    const res = await pay(gw.httpUrl, payBody({ payer: { account: '1001000000001' } }), { key: MFS });
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/may not pay from an account on lane/);
  });
});

describe('start-up', () => {
  it('a port in use names the setting to change, without a stack trace', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const failure = await startTestGateway({ BILLER_SIMULATOR_PORT: String(port) }).then(
        async (started) => {
          await started.stop();
          return undefined;
        },
        (error: unknown) => error,
      );
      const config = loadConfig({ BILLER_SIMULATOR_PORT: String(port) });
      const message = describeStartupFailure(failure, config);
      expect(message).toBe(
        `port ${port} on 127.0.0.1 is already in use: set BILLER_SIMULATOR_PORT to a free port (0 picks one)`,
      );
      expect(message).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
