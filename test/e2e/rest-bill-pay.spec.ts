import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { AGENTS, AGGREGATOR, BANK, CARD, MFS, OPS, pay, payBody, trialBalance } from '../support/payments';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function floatBalance(partner: string): Promise<bigint> {
  const row = await gw.services.database.db
    .selectFrom('ledger_accounts')
    .select('balance')
    .where('id', '=', `float:${partner}:BDT`)
    .executeTakeFirstOrThrow();
  return BigInt(row.balance);
}

async function countRows(table: 'payments' | 'journal_entries' | 'idempotency_keys'): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`select count(*) as n from ${sql.table(table)}`.execute(
    gw.services.database.db,
  );
  return Number(rows[0]?.n ?? 0);
}

describe('POST /bill/pay', () => {
  it('approves the README example and debits the float by the exact amount', async () => {
    const before = await floatBalance('demo-mfs');
    const res = await pay(gw.httpUrl, payBody({ amount: '1250.50', partnerReference: 'readme-1' }));
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/bill/pay/${String(res.body.id)}`);
    expect(res.body).toMatchObject({
      status: 'APPROVED',
      reasonCode: 'APPROVED',
      billType: 'ELECTRICITY',
      billReference: 'DESCO-1002003',
      amount: '1250.50',
      currency: 'BDT',
      payerType: 'mfs-user',
      partnerReference: 'readme-1',
    });
    expect(res.body.billerReceipt).toMatch(/^ELECTRICITY-\d{8}$/);
    expect(await floatBalance('demo-mfs')).toBe(before - 125050n);
  });

  it.each([
    ['bank customer via core banking', BANK, { account: '1001000000001' }, 'bank-customer'],
    ['agent at the counter', AGENTS, { agentId: 'AGENT-001' }, 'otc-agent'],
    ['wallet aggregator', AGGREGATOR, { wallet: 'AGG-CUST-1' }, 'wallet-aggregator'],
    ['card on file', CARD, { cardToken: 'tok_4f9a8c' }, 'card-on-file'],
  ])('pays for a %s', async (_name, key, payer, payerType) => {
    const res = await pay(gw.httpUrl, payBody({ payer, amount: '10.00', billType: 'WATER' }), { key });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'APPROVED', payerType });
  });

  it('declines a bank customer without the funds, as core banking says', async () => {
    const res = await pay(gw.httpUrl, payBody({ payer: { account: '1001000000002' }, amount: '10.01' }), {
      key: BANK,
    });
    expect(res.body).toMatchObject({ status: 'DECLINED', reasonCode: 'INSUFFICIENT_FUNDS' });
  });

  it('declines an unknown core banking account and a blocked one', async () => {
    const unknown = await pay(gw.httpUrl, payBody({ payer: { account: '1009999999999' } }), { key: BANK });
    expect(unknown.body).toMatchObject({ status: 'DECLINED', reasonCode: 'ACCOUNT_NOT_FOUND' });
    const blocked = await pay(gw.httpUrl, payBody({ payer: { account: '1001000000003' } }), { key: BANK });
    expect(blocked.body).toMatchObject({ status: 'DECLINED', reasonCode: 'ACCOUNT_BLOCKED' });
  });

  it('a biller decline reverses our posting', async () => {
    const before = await floatBalance('demo-mfs');
    const res = await pay(gw.httpUrl, payBody({ billReference: 'DECLINE-77', amount: '99.99' }));
    expect(res.body).toMatchObject({
      status: 'DECLINED',
      reasonCode: 'BILLER_DECLINED',
      billerReceipt: null,
    });
    expect(await floatBalance('demo-mfs')).toBe(before);
  });

  it('an unknown bill at the biller is declined with its own reason', async () => {
    const res = await pay(gw.httpUrl, payBody({ billReference: 'UNKNOWN-1' }));
    expect(res.body).toMatchObject({ status: 'DECLINED', reasonCode: 'BILL_REFERENCE_UNKNOWN' });
  });

  it('a biller timeout leaves the payment PENDING with the money held, never approved or lost', async () => {
    const before = await floatBalance('demo-mfs');
    const res = await pay(gw.httpUrl, payBody({ billReference: 'TIMEOUT-1', amount: '5.00' }));
    expect(res.body).toMatchObject({ status: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });
    expect(await floatBalance('demo-mfs')).toBe(before - 500n);
    const again = await call(gw.httpUrl, 'GET', `/bill/pay/${String(res.body.id)}`, { key: MFS });
    expect(again.body).toMatchObject({ status: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });
  });

  it('a slow biller within its timeout is approved', async () => {
    const res = await pay(gw.httpUrl, payBody({ billReference: 'SLOW-1' }));
    expect(res.body).toMatchObject({ status: 'APPROVED' });
  });

  it('a biller that is down is declined and the posting reversed', async () => {
    const before = await floatBalance('demo-mfs');
    const res = await pay(gw.httpUrl, payBody({ billReference: 'DOWN-1' }));
    expect(res.body).toMatchObject({ status: 'DECLINED', reasonCode: 'BILLER_UNAVAILABLE' });
    expect(await floatBalance('demo-mfs')).toBe(before);
  });

  it('refunds a bank customer at core banking when the biller declines', async () => {
    const cbs = gw.simulators.coreBanking!;
    const before = cbs.balance('1001000000001')!;
    const res = await pay(
      gw.httpUrl,
      payBody({ payer: { account: '1001000000001' }, billReference: 'DECLINE-2' }),
      {
        key: BANK,
      },
    );
    expect(res.body).toMatchObject({ status: 'DECLINED', reasonCode: 'BILLER_DECLINED' });
    expect(cbs.balance('1001000000001')).toBe(before);
    // The refund is on record with core banking's confirmation, so nothing is left owed.
    const { rows } = await sql<{ state: string; core_banking_ref: string | null }>`
      select state, core_banking_ref from core_banking_refunds
      where payment_id = ${(res.body as { id: string }).id}::uuid`.execute(gw.services.database.db);
    expect(rows).toEqual([{ state: 'refunded', core_banking_ref: expect.stringMatching(/^CBS/) }]);
  });

  it('declines with NO_ROUTE when no rule routes the bill type', async () => {
    await gw.services.database.db
      .insertInto('bill_types')
      .values({ code: 'INTERNET', name: 'Internet' })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await gw.services.billTypes.reload();
    const res = await pay(gw.httpUrl, payBody({ billType: 'INTERNET' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'DECLINED', reasonCode: 'NO_ROUTE' });
  });
});

describe('bad input changes nothing', () => {
  it.each([
    ['negative amount', { amount: '-5.00' }, 'amount'],
    ['zero amount', { amount: '0.00' }, 'amount'],
    ['over-precise amount', { amount: '10.001' }, 'amount'],
    ['amount as a number', { amount: 10.5 }, 'amount'],
    ['unknown currency', { currency: 'XYZ' }, 'currency'],
    ['lower-case currency', { currency: 'bdt' }, 'currency'],
    ['unknown bill type', { billType: 'TELEPORT' }, 'billType'],
    ['unknown field', { tip: '5' }, 'tip'],
    ['unknown payer field', { payer: { iban: 'x' } }, 'payer.iban'],
    ['two payer instruments', { payer: { wallet: 'a', account: 'b' } }, 'payer'],
    ['a card number instead of a token', { payer: { cardToken: '4111111111111111' } }, 'payer.cardToken'],
    ['empty bill reference', { billReference: '' }, 'billReference'],
  ])('%s → 400 naming the field', async (_name, override, field) => {
    const [payments, journals] = [await countRows('payments'), await countRows('journal_entries')];
    const res = await pay(gw.httpUrl, payBody(override as never));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    expect(await countRows('payments')).toBe(payments);
    expect(await countRows('journal_entries')).toBe(journals);
  });

  it('missing fields are each named', async () => {
    const res = await pay(gw.httpUrl, {});
    expect(res.status).toBe(400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['amount', 'billReference', 'billType', 'currency', 'partnerReference', 'payer']);
  });

  it('malformed JSON → 400 problem', async () => {
    const res = await call(gw.httpUrl, 'POST', '/bill/pay', {
      key: MFS,
      idempotencyKey: randomUUID(),
      rawBody: '{"billType": "ELEC',
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('oversized body → 413 problem', async () => {
    const res = await pay(gw.httpUrl, payBody({ billReference: 'x'.repeat(40_000) }));
    expect(res.status).toBe(413);
    expect(res.body.type).toMatch(/body-too-large/);
  });

  it('no or unknown API key → 401; ops endpoints refuse partner keys', async () => {
    expect((await call(gw.httpUrl, 'POST', '/bill/pay', { body: payBody() })).status).toBe(401);
    expect((await pay(gw.httpUrl, payBody(), { key: 'not-a-key' })).status).toBe(401);
    expect((await call(gw.httpUrl, 'GET', '/ops/ledger/trial-balance', { key: MFS })).status).toBe(403);
  });

  it('a partner cannot pick a payer type its schedule does not allow', async () => {
    const res = await pay(gw.httpUrl, payBody({ payer: { account: '1001000000001' } }), { key: MFS });
    expect(res.status).toBe(403);
    expect(res.body.type).toMatch(/payer-type-not-allowed/);
  });
});

describe('idempotency', () => {
  it('requires the Idempotency-Key header, 1-255 printable characters', async () => {
    const missing = await call(gw.httpUrl, 'POST', '/bill/pay', { key: MFS, body: payBody() });
    expect(missing.status).toBe(400);
    const tooLong = await pay(gw.httpUrl, payBody(), { idempotencyKey: 'k'.repeat(256) });
    expect(tooLong.status).toBe(400);
  });

  it('replays the original answer for the same key and body, with Idempotent-Replayed', async () => {
    const key = randomUUID();
    const body = payBody();
    const first = await pay(gw.httpUrl, body, { idempotencyKey: key });
    const replay = await pay(gw.httpUrl, { ...body }, { idempotencyKey: key });
    expect(replay.status).toBe(first.status);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
  });

  it('the same key with a different body → 422', async () => {
    const key = randomUUID();
    await pay(gw.httpUrl, payBody({ amount: '1.00' }), { idempotencyKey: key });
    const res = await pay(gw.httpUrl, payBody({ amount: '2.00' }), { idempotencyKey: key });
    expect(res.status).toBe(422);
  });

  it('keys are per partner', async () => {
    const key = randomUUID();
    const a = await pay(gw.httpUrl, payBody(), { idempotencyKey: key, key: MFS });
    const b = await pay(gw.httpUrl, payBody({ payer: { wallet: 'AGG-1' } }), {
      idempotencyKey: key,
      key: AGGREGATOR,
    });
    expect(a.body.id).not.toEqual(b.body.id);
  });

  it('a key still in flight → 409', async () => {
    const key = randomUUID();
    const body = payBody({ billReference: 'SLOW-in-flight' });
    const first = pay(gw.httpUrl, body, { idempotencyKey: key });
    await new Promise((r) => setTimeout(r, 80));
    const second = await pay(gw.httpUrl, body, { idempotencyKey: key });
    expect(second.status).toBe(409);
    expect((await first).status).toBe(201);
  });

  it('100 concurrent requests with one key post exactly once', async () => {
    const key = randomUUID();
    const body = payBody({ amount: '3.33' });
    const before = await floatBalance('demo-mfs');
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => pay(gw.httpUrl, body, { idempotencyKey: key })),
    );
    const ids = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id));
    expect(ids.size).toBe(1);
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect(await floatBalance('demo-mfs')).toBe(before - 333n);
    const { rows } = await sql<{
      n: bigint;
    }>`select count(*) as n from payments where idempotency_key = ${key}`.execute(gw.services.database.db);
    expect(Number(rows[0]?.n)).toBe(1);
  });
});

describe('reading payments', () => {
  it("GET /bill/pay/{id} shows the partner's own payment with its route, and hides others'", async () => {
    const res = await pay(gw.httpUrl, payBody({ partnerReference: 'lookup-1' }));
    const mine = await call(gw.httpUrl, 'GET', `/bill/pay/${String(res.body.id)}`, { key: MFS });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id: res.body.id, status: 'APPROVED' });
    expect(mine.body.route).toMatchObject({
      billerEndpoint: 'sim-electricity',
      settlementAccount: 'settlement:ELECTRICITY:BDT',
      version: 1,
    });
    const theirs = await call(gw.httpUrl, 'GET', `/bill/pay/${String(res.body.id)}`, { key: BANK });
    expect(theirs.status).toBe(404);
  });

  it('GET /bill/pay?partnerReference=X finds it', async () => {
    const res = await pay(gw.httpUrl, payBody({ partnerReference: 'lookup-2' }));
    const found = await call<{ items: { id: string }[] }>(
      gw.httpUrl,
      'GET',
      '/bill/pay?partnerReference=lookup-2',
      {
        key: MFS,
      },
    );
    expect(found.body.items.map((i) => i.id)).toEqual([res.body.id]);
  });
});

describe('operations', () => {
  it('health, readiness, metrics and OpenAPI are served', async () => {
    expect((await call(gw.httpUrl, 'GET', '/health/live')).status).toBe(200);
    const ready = await call(gw.httpUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' } } });
    const metrics = await call(gw.httpUrl, 'GET', '/metrics');
    expect(metrics.text).toMatch(
      /billgate_payments_total\{partner="demo-mfs",protocol="rest",status="APPROVED"/,
    );
    expect(metrics.text).toMatch(/billgate_payment_duration_seconds_bucket/);
    const docs = await call<{ paths: Record<string, unknown> }>(gw.httpUrl, 'GET', '/docs-json');
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/bill/pay', '/bill/pay/{id}']));
  });

  it('unknown routes answer 404 problem+json', async () => {
    const res = await call(gw.httpUrl, 'GET', '/nope', { key: OPS });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('the trial balance is balanced', async () => {
    const tb = await trialBalance(gw.httpUrl);
    expect(tb.balanced).toBe(true);
    expect(tb.currencies[0]).toMatchObject({ currency: 'BDT', balanced: true, accountsAgree: true });
  });
});
