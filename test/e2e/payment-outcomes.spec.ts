import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { billPayment, Iso8583TestClient } from '../support/iso8583-client';
import { AGENTS, BANK, MFS, OPS, pay, payBody, trialBalance } from '../support/payments';
import { eventually } from '../support/webhooks';

/*
 * Every payment reaches a final state (issue 11), seen from outside: a partner told PENDING later
 * reads the final status, gets it as the answer to a retry with the same key, and receives a signed
 * `payment.resolved`; the money follows the outcome (float, agent limit, core banking); what no
 * automatic path can decide is parked for ops, who decide it through the API with a reason.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
const SECRETS: string[] = [];

/** Subscribes a demo partner to the resolution events, delivered to the test's verifying receiver. */
async function subscribe(base: string, key: string): Promise<void> {
  const sub = await call<{ secret: string }>(base, 'POST', '/partner/webhooks', {
    key,
    body: {
      url: receiver.url,
      eventTypes: ['payment.resolved', 'payment.needs_attention', 'payment.reversed'],
    },
  });
  expect(sub.status).toBe(201);
  SECRETS.push(sub.body.secret);
}

/** The demo billers' status window, shortened for the test (ops would set it per biller). */
async function billerWindow(g: TestGateway, ms: number): Promise<void> {
  await sql`update biller_endpoints set status_window_ms = ${ms}`.execute(g.services.database.db);
}

async function status(base: string, id: string, key: string): Promise<Record<string, unknown>> {
  return (await call<Record<string, unknown>>(base, 'GET', `/bill/pay/${id}`, { key })).body;
}

async function settled(base: string, id: string, key: string, ms = 20_000): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const s = await status(base, id, key);
    return s.status === 'PENDING' ? undefined : s;
  }, ms);
}

function resolvedEvent(id: string, type = 'payment.resolved'): Promise<Record<string, unknown>> {
  return eventually(() => {
    const d = receiver.accepted().find((x) => x.body.includes(id) && x.body.includes(`"${type}"`));
    return d === undefined ? undefined : (JSON.parse(d.body) as Record<string, unknown>);
  }, 15_000);
}

async function floatBalance(g: TestGateway, partner: string): Promise<bigint> {
  const row = await g.services.database.db
    .selectFrom('ledger_accounts')
    .select('balance')
    .where('id', '=', `float:${partner}:BDT`)
    .executeTakeFirstOrThrow();
  return BigInt(row.balance);
}

async function journals(g: TestGateway, id: string): Promise<string[]> {
  const rows = await g.services.database.db
    .selectFrom('journal_entries')
    .select('kind')
    .where('payment_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.kind);
}

async function expectBooksBalance(base: string): Promise<void> {
  const tb = await trialBalance(base);
  expect(tb.balanced).toBe(true);
  for (const c of tb.currencies) expect(c).toMatchObject({ balanced: true, accountsAgree: true });
}

beforeAll(async () => {
  receiver = new WebhookReceiver({ secrets: SECRETS });
  await receiver.start();
  gw = await startTestGateway({
    RESOLUTION_RETRY_SCHEDULE: '300ms',
    FOLLOW_UP_RETRY_SCHEDULE: '300ms',
    CORE_BANKING_STATUS_WINDOW_MS: '1500',
    CORE_BANKING_TIMEOUT_MS: '2500',
    JOB_POLL_MS: '50',
    WEBHOOK_POLL_MS: '50',
  });
  await billerWindow(gw, 1_500);
  for (const key of [MFS, BANK, AGENTS]) await subscribe(gw.httpUrl, key);
});
afterAll(async () => {
  await gw?.stop();
  await receiver?.stop();
});

describe('pending payments are resolved by asking the party that knows', () => {
  it('a biller that answered too late had been paid: APPROVED with its receipt, told by webhook and on retry', async () => {
    const before = await floatBalance(gw, 'demo-mfs');
    const key = randomUUID();
    const body = payBody({ billReference: `LATE-${randomUUID().slice(0, 8)}`, amount: '75.25' });
    const first = await pay(gw.httpUrl, body, { idempotencyKey: key });
    expect(first.body).toMatchObject({ status: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });
    const id = String(first.body.id);

    expect(await settled(gw.httpUrl, id, MFS)).toMatchObject({
      status: 'APPROVED',
      billerReceipt: expect.stringMatching(/^ELECTRICITY-\d{8}$/),
    });
    const event = await resolvedEvent(id);
    expect(event).toMatchObject({
      type: 'payment.resolved',
      data: { paymentId: id, previousStatus: 'PENDING', status: 'APPROVED', resolvedBy: 'biller-status' },
    });
    const retry = await pay(gw.httpUrl, body, { idempotencyKey: key });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toMatchObject({ id, status: 'APPROVED' });
    // Debited once, never twice, whatever was asked meanwhile.
    expect(await floatBalance(gw, 'demo-mfs')).toBe(before - 7_525n);
    expect(await journals(gw, id)).toEqual(['payment']);
    await expectBooksBalance(gw.httpUrl);
  });

  it("a payment the biller never received is DECLINED / BILLER_TIMEOUT once the biller's window has passed; the float is credited back", async () => {
    const before = await floatBalance(gw, 'demo-mfs');
    const key = randomUUID();
    const body = payBody({ billReference: `TIMEOUT-${randomUUID().slice(0, 8)}`, amount: '12.00' });
    const first = await pay(gw.httpUrl, body, { idempotencyKey: key });
    expect(first.body).toMatchObject({ status: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });
    const id = String(first.body.id);
    expect(await floatBalance(gw, 'demo-mfs')).toBe(before - 1_200n);

    expect(await settled(gw.httpUrl, id, MFS)).toMatchObject({
      status: 'DECLINED',
      reasonCode: 'BILLER_TIMEOUT',
    });
    expect((await resolvedEvent(id)).data).toMatchObject({
      status: 'DECLINED',
      reasonCode: 'BILLER_TIMEOUT',
    });
    expect((await pay(gw.httpUrl, body, { idempotencyKey: key })).body).toMatchObject({
      id,
      status: 'DECLINED',
    });
    expect(await floatBalance(gw, 'demo-mfs')).toBe(before);
    expect(await journals(gw, id)).toEqual(['payment', 'reversal']);
    expect(gw.simulators.biller?.paidBill(id)).toBeUndefined();
    await expectBooksBalance(gw.httpUrl);
  });

  it('core banking that never debited: DECLINED / CORE_BANKING_TIMEOUT, nothing in our ledger, nothing to refund', async () => {
    const account = '1001000000009';
    const balance = gw.simulators.coreBanking?.balance(account);
    const res = await pay(gw.httpUrl, payBody({ payer: { account }, amount: '10.00' }), { key: BANK });
    expect(res.body).toMatchObject({ status: 'PENDING', reasonCode: 'CORE_BANKING_TIMEOUT' });
    const id = String(res.body.id);
    expect(await settled(gw.httpUrl, id, BANK)).toMatchObject({
      status: 'DECLINED',
      reasonCode: 'CORE_BANKING_TIMEOUT',
    });
    expect((await resolvedEvent(id)).data).toMatchObject({ resolvedBy: 'core-banking-status' });
    expect(await journals(gw, id)).toEqual([]);
    expect(gw.simulators.coreBanking?.balance(account)).toBe(balance);
    await expectBooksBalance(gw.httpUrl);
  });

  it('core banking that debited but answered late: the debit is recorded, the biller paid, APPROVED', async () => {
    const account = '1001000000008';
    const balance = gw.simulators.coreBanking?.balance(account) ?? 0n;
    const res = await pay(gw.httpUrl, payBody({ payer: { account }, amount: '20.00' }), { key: BANK });
    expect(res.body).toMatchObject({ status: 'PENDING', reasonCode: 'CORE_BANKING_TIMEOUT' });
    const id = String(res.body.id);
    expect(await settled(gw.httpUrl, id, BANK)).toMatchObject({
      status: 'APPROVED',
      billerReceipt: expect.stringMatching(/^ELECTRICITY-/),
    });
    expect(gw.simulators.coreBanking?.balance(account)).toBe(balance - 2_000n);
    expect(gw.simulators.biller?.paidBill(id)).toMatchObject({ amountMinor: '2000' });
    expect(await journals(gw, id)).toEqual(['payment']);
    await expectBooksBalance(gw.httpUrl);
  });

  it("a bank customer's payment the biller never received: declined, the customer refunded", async () => {
    const account = '1001000000001';
    const balance = gw.simulators.coreBanking?.balance(account) ?? 0n;
    const res = await pay(
      gw.httpUrl,
      payBody({ payer: { account }, amount: '30.00', billReference: `TIMEOUT-${randomUUID().slice(0, 8)}` }),
      { key: BANK },
    );
    expect(res.body).toMatchObject({ status: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });
    const id = String(res.body.id);
    expect(gw.simulators.coreBanking?.balance(account)).toBe(balance - 3_000n);
    expect(await settled(gw.httpUrl, id, BANK)).toMatchObject({
      status: 'DECLINED',
      reasonCode: 'BILLER_TIMEOUT',
    });
    await eventually(() => (gw.simulators.coreBanking?.balance(account) === balance ? true : undefined));
    // Core banking credits before the gateway hears its answer and records it: the record follows.
    const refunded = await eventually(async () => {
      const refund = await sql<{ state: string }>`
        select state from core_banking_refunds where payment_id = ${id}`.execute(gw.services.database.db);
      return refund.rows[0]?.state === 'refunded' ? refund.rows[0].state : undefined;
    });
    expect(refunded).toBe('refunded');
    await expectBooksBalance(gw.httpUrl);
  });

  it("an agent's payment the biller never received: declined, the agent's limit freed and the agent banking core told", async () => {
    const agent = async () =>
      BigInt(
        (
          await gw.services.database.db
            .selectFrom('agents')
            .select('unsettled_cash')
            .where('id', '=', 'AGENT-001')
            .executeTakeFirstOrThrow()
        ).unsettled_cash,
      );
    const cash = await agent();
    const collected = gw.simulators.agentBankingCore?.collected('AGENT-001') ?? 0n;
    const res = await pay(
      gw.httpUrl,
      payBody({
        payer: { agentId: 'AGENT-001' },
        amount: '40.00',
        billReference: `TIMEOUT-${randomUUID().slice(0, 8)}`,
      }),
      { key: AGENTS },
    );
    expect(res.body).toMatchObject({ status: 'PENDING', reasonCode: 'BILLER_TIMEOUT' });
    const id = String(res.body.id);
    expect(await agent()).toBe(cash + 4_000n);
    expect(await settled(gw.httpUrl, id, AGENTS)).toMatchObject({ status: 'DECLINED' });
    expect(await agent()).toBe(cash);
    await eventually(() =>
      gw.simulators.agentBankingCore?.collected('AGENT-001') === collected ? true : undefined,
    );
    await expectBooksBalance(gw.httpUrl);
  });
});

describe('store and forward of reversals', () => {
  let port: number | undefined;
  afterEach(async () => {
    // Whatever happened, the biller is back for the tests that follow.
    if (port !== undefined) await gw.simulators.biller?.start(port).catch(() => undefined);
  });

  it('a reversal the biller cannot take now is kept and sent again until the biller confirms it', async () => {
    const client = await Iso8583TestClient.connect(gw.iso8583Ports['iso8583-demo']!);
    try {
      const req = billPayment();
      expect((await client.request('0200', req)).fields.get(39)).toBe('00');
      const payment = await gw.services.database.db
        .selectFrom('payments')
        .select('id')
        .where('partner_reference', '=', req[37] as string)
        .executeTakeFirstOrThrow();
      const biller = gw.simulators.biller!;
      port = Number(new URL(biller.url).port);
      await biller.stop();
      const reversal = {
        ...billPayment({ 4: req[4]! }),
        90: `0200${req[11] as string}${req[7] as string}${(req[32] as string).padStart(11, '0')}${'0'.repeat(11)}`,
      };
      // Our side is reversed and the partner told at once; the biller's copy waits.
      expect((await client.request('0400', reversal)).fields.get(39)).toBe('00');
      const held = await call<{ billerReversal: { state: string; lastError: string | null } | null }>(
        gw.httpUrl,
        'GET',
        `/ops/payments/${payment.id}`,
        { key: OPS },
      );
      expect(held.body.billerReversal).toMatchObject({ state: expect.stringMatching(/pending|running/) });
      await new Promise((r) => setTimeout(r, 800));
      expect(biller.paidBill(payment.id)?.reversed).toBe(false);

      await biller.start(port);
      await eventually(() => (biller.paidBill(payment.id)?.reversed === true ? true : undefined));
      const done = await eventually(async () => {
        const v = await call<{ billerReversal: { state: string } | null; state: string }>(
          gw.httpUrl,
          'GET',
          `/ops/payments/${payment.id}`,
          { key: OPS },
        );
        return v.body.billerReversal?.state === 'done' ? v.body : undefined;
      });
      expect(done.state).toBe('REVERSED');
      await expectBooksBalance(gw.httpUrl);
    } finally {
      client.close();
    }
  });
});

describe('what needs a person', () => {
  it('a refund core banking refuses parks the payment for ops; ops settle it by hand and confirm, in the audit chain', async () => {
    const account = '1001000000007'; // closed after the debit: credits refused
    const balance = gw.simulators.coreBanking?.balance(account) ?? 0n;
    const res = await pay(
      gw.httpUrl,
      payBody({ payer: { account }, amount: '15.00', billReference: `DECLINE-${randomUUID().slice(0, 8)}` }),
      { key: BANK },
    );
    expect(res.body).toMatchObject({ status: 'DECLINED', reasonCode: 'BILLER_DECLINED' });
    const id = String(res.body.id);
    expect(gw.simulators.coreBanking?.balance(account)).toBe(balance - 1_500n);

    const parked = await call<{ items: { id: string; attention: { parkedFrom: string; reason: string } }[] }>(
      gw.httpUrl,
      'GET',
      '/ops/payments?state=NEEDS_ATTENTION',
      { key: OPS },
    );
    const item = parked.body.items.find((p) => p.id === id);
    expect(item?.attention).toMatchObject({
      parkedFrom: 'DECLINED',
      reason: expect.stringContaining('core banking refused the refund'),
    });
    // The partner keeps the outcome it was told.
    expect(await status(gw.httpUrl, id, BANK)).toMatchObject({ status: 'DECLINED' });

    const decide = (body: Record<string, unknown>) =>
      call<Record<string, unknown>>(gw.httpUrl, 'POST', `/ops/payments/${id}/decision`, { key: OPS, body });
    expect((await decide({ outcome: 'APPROVED', reason: 'x' })).status).toBe(422);
    expect((await decide({ outcome: 'DECLINED' })).status).toBe(400);
    const missing = await decide({ outcome: 'DECLINED', reason: 'customer paid by cheque' });
    expect(missing.status).toBe(422);
    expect(String(missing.body.detail)).toContain('settlementReference');
    const ok = await decide({
      outcome: 'DECLINED',
      reason: 'customer paid by cheque at the branch',
      settlementReference: 'CHQ-7781',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      id,
      state: 'DECLINED',
      attention: null,
      refund: { state: 'settled_by_hand' },
    });
    expect((await decide({ outcome: 'DECLINED', reason: 'again' })).status).toBe(409);

    const audit = await gw.services.database.db
      .selectFrom('ops_audit')
      .selectAll()
      .where('subject_id', '=', id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'payment.decision',
      actor: expect.stringMatching(/.+/),
      reason: 'customer paid by cheque at the branch',
    });
    await expectBooksBalance(gw.httpUrl);
  });

  it('ops search payments by what they are quoted, page by page, and are told the valid states', async () => {
    const ref = `search-${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await pay(gw.httpUrl, payBody({ partnerReference: ref, billReference: `${ref}-bill` }));
      ids.push(String(res.body.id));
    }
    const page1 = await call<{ items: { id: string; amountMinor: string }[]; nextCursor: string | null }>(
      gw.httpUrl,
      'GET',
      `/ops/payments?partnerId=demo-mfs&partnerReference=${ref}&limit=2`,
      { key: OPS },
    );
    expect(page1.body.items.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.items[0]?.amountMinor).toBe('125050');
    const page2 = await call<{ items: { id: string }[]; nextCursor: string | null }>(
      gw.httpUrl,
      'GET',
      `/ops/payments?partnerReference=${ref}&limit=2&cursor=${page1.body.nextCursor ?? ''}`,
      { key: OPS },
    );
    expect(page2.body).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    const byBill = await call<{ items: unknown[] }>(
      gw.httpUrl,
      'GET',
      `/ops/payments?billReference=${ref}-bill`,
      {
        key: OPS,
      },
    );
    expect(byBill.body.items).toHaveLength(3);
    const one = await call<{ id: string; journals: unknown[] }>(
      gw.httpUrl,
      'GET',
      `/ops/payments/${ids[0]}`,
      {
        key: OPS,
      },
    );
    expect(one.body).toMatchObject({ id: ids[0], state: 'APPROVED', journals: [{ kind: 'payment' }] });
    const bad = await call<{ errors: { field: string; message: string }[] }>(
      gw.httpUrl,
      'GET',
      '/ops/payments?state=LOST',
      { key: OPS },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({
      field: 'state',
      message: expect.stringContaining('NEEDS_ATTENTION'),
    });
    expect((await call(gw.httpUrl, 'GET', '/ops/payments', { key: MFS })).status).toBe(403);
  });
});

describe('when the answers never come', () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await startTestGateway({
      RESOLUTION_RETRY_SCHEDULE: '200ms',
      RESOLUTION_MAX_ATTEMPTS: '2',
      CORE_BANKING_TIMEOUT_MS: '2500',
      JOB_POLL_MS: '50',
      WEBHOOK_POLL_MS: '50',
    });
    await subscribe(g.httpUrl, MFS);
  });
  afterAll(async () => {
    await g?.stop();
  });

  const parkedView = (id: string) =>
    eventually(async () => {
      const v = await call<Record<string, unknown> & { state: string }>(
        g.httpUrl,
        'GET',
        `/ops/payments/${id}`,
        {
          key: OPS,
        },
      );
      return v.body.state === 'NEEDS_ATTENTION' ? v.body : undefined;
    }, 15_000);

  it('a payment still unresolved after its inquiries is parked for ops; ops resume it, then decline it', async () => {
    const before = await floatBalance(g, 'demo-mfs');
    const res = await pay(
      g.httpUrl,
      payBody({ billReference: `TIMEOUT-${randomUUID().slice(0, 8)}`, amount: '9.99' }),
    );
    const id = String(res.body.id);
    expect(await parkedView(id)).toMatchObject({
      partnerStatus: 'PENDING',
      attention: {
        parkedFrom: 'PENDING',
        reason: expect.stringContaining('no final answer after 2 status inquiries'),
      },
      resolution: { state: 'dead' },
    });
    const held = await resolvedEvent(id, 'payment.needs_attention');
    expect(held.data).toMatchObject({ status: 'PENDING', reason: expect.not.stringContaining('biller') });
    expect(await status(g.httpUrl, id, MFS)).toMatchObject({ status: 'PENDING' });

    const decide = (body: Record<string, unknown>) =>
      call<Record<string, unknown>>(g.httpUrl, 'POST', `/ops/payments/${id}/decision`, { key: OPS, body });
    expect(
      (await decide({ outcome: 'PENDING', reason: 'biller says its queue was stuck; ask again' })).body,
    ).toMatchObject({
      state: 'PENDING',
      resolution: { state: 'pending', attempts: 0 },
    });
    await parkedView(id);
    const declined = await decide({
      outcome: 'DECLINED',
      reason: 'biller confirmed by phone it never got it',
    });
    expect(declined.body).toMatchObject({ state: 'DECLINED', reasonCode: 'BILLER_TIMEOUT', attention: null });
    expect((await resolvedEvent(id)).data).toMatchObject({ status: 'DECLINED', resolvedBy: 'ops' });
    expect(await floatBalance(g, 'demo-mfs')).toBe(before);
    await expectBooksBalance(g.httpUrl);
  });

  it('ops cannot approve a payment whose payer was never debited', async () => {
    const res = await pay(g.httpUrl, payBody({ payer: { account: '1001000000009' }, amount: '5.00' }), {
      key: BANK,
    });
    const id = String(res.body.id);
    await parkedView(id);
    const approve = await call<Record<string, unknown>>(g.httpUrl, 'POST', `/ops/payments/${id}/decision`, {
      key: OPS,
      body: { outcome: 'APPROVED', reason: 'customer insists' },
    });
    expect(approve.status).toBe(409);
    expect(String(approve.body.detail)).toContain('never debited');
  });
});
