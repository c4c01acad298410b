import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { BANK, MFS, OPS, pay, payBody, trialBalance } from '../support/payments';
import { billerReversal, eventually } from '../support/webhooks';

const BILLER = 'sim-electricity';
let gw: TestGateway;
let receiver: WebhookReceiver;
let secret: string;

beforeAll(async () => {
  gw = await startTestGateway({ WEBHOOK_RETRY_SCHEDULE: '200ms,300ms,400ms', WEBHOOK_POLL_MS: '50' });
  // The partner's receiver answers 500 to the first two deliveries.
  const secrets: string[] = [];
  receiver = new WebhookReceiver({ secrets, failFirst: 2 });
  await receiver.start();
  const sub = await call<{ subscription: { id: string; state: string }; secret: string }>(
    gw.httpUrl,
    'POST',
    '/partner/webhooks',
    { key: MFS, body: { url: `${receiver.url}/hooks`, eventTypes: ['payment.reversed'] } },
  );
  expect(sub.status).toBe(201);
  expect(sub.body.secret).toMatch(/^whsec_/);
  secret = sub.body.secret;
  secrets.push(secret);
});
afterAll(async () => {
  await receiver?.stop();
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

async function paymentState(id: string): Promise<string> {
  const res = await call<{ status: string }>(gw.httpUrl, 'GET', `/bill/pay/${id}`, { key: MFS });
  return res.body.status;
}

async function approved(amount = '100.00', key = MFS, payer?: Record<string, string>): Promise<string> {
  const res = await pay(gw.httpUrl, payBody({ amount, ...(payer !== undefined ? { payer } : {}) }), { key });
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('APPROVED');
  return String(res.body.id);
}

async function expectBooksBalance(): Promise<void> {
  const tb = await trialBalance(gw.httpUrl);
  expect(tb.balanced).toBe(true);
  for (const c of tb.currencies) expect(c).toMatchObject({ balanced: true, accountsAgree: true });
}

describe('biller-initiated reversal → signed payment.reversed webhook', () => {
  it('reverses the ledger, and the partner receives a verifiable webhook after two failed attempts', async () => {
    const before = await floatBalance('demo-mfs');
    const paymentId = await approved('250.75');
    expect(await floatBalance('demo-mfs')).toBe(before - 25075n);
    const reversalId = `rev-${randomUUID()}`;
    const body = {
      reversalId,
      paymentId,
      amountMinor: '25075',
      currency: 'BDT',
      reason: 'customer paid twice',
    };

    const res = await billerReversal(gw.httpUrl, BILLER, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ paymentId, status: 'REVERSED', amountMinor: '25075', replayed: false });
    expect(await floatBalance('demo-mfs')).toBe(before);
    expect(await paymentState(paymentId)).toBe('REVERSED');
    await expectBooksBalance();

    // Idempotent on the biller's reversal id; the same id for something else is refused.
    const again = await billerReversal(gw.httpUrl, BILLER, body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ paymentId, status: 'REVERSED', replayed: true });
    const conflict = await billerReversal(gw.httpUrl, BILLER, { ...body, reason: 'other' });
    expect(conflict.status).toBe(422);
    const second = await billerReversal(gw.httpUrl, BILLER, { ...body, reversalId: `rev-${randomUUID()}` });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('ALREADY_REVERSED');
    expect(await floatBalance('demo-mfs')).toBe(before);

    const delivered = await eventually(() =>
      receiver
        .accepted()
        .find((d) => (JSON.parse(d.body) as { data: { paymentId: string } }).data.paymentId === paymentId),
    );
    const tries = receiver.received.filter((d) => d.id === delivered.id);
    expect(tries.map((d) => d.status)).toEqual([500, 500, 204]);
    // Verified independently of the gateway's code, with the partner's secret only.
    const event = new Webhook(secret).verify(delivered.body, {
      'webhook-id': delivered.id,
      'webhook-timestamp': delivered.timestamp,
      'webhook-signature': delivered.signatures.join(' '),
    }) as { type: string; data: Record<string, string> };
    expect(event).toMatchObject({
      type: 'payment.reversed',
      data: {
        paymentId,
        amountMinor: '25075',
        currency: 'BDT',
        initiatedBy: 'biller',
        reason: 'customer paid twice',
      },
    });

    const log = await eventually(async () => {
      const r = await call<{
        items: { eventId: string; state: string; attempts: number; lastStatus: number }[];
      }>(gw.httpUrl, 'GET', `/partner/webhooks/deliveries?eventId=${delivered.id}`, { key: MFS });
      return r.body.items[0]?.state === 'delivered' ? r.body.items[0] : undefined;
    });
    expect(log).toMatchObject({ attempts: 3, lastStatus: 204 });
    const ops = await call<{ items: unknown[] }>(
      gw.httpUrl,
      'GET',
      '/ops/partners/demo-mfs/webhooks/deliveries',
      {
        key: OPS,
      },
    );
    expect(ops.body.items.length).toBeGreaterThan(0);
  });

  it('refuses forged, stale and tampered reversals with 401 and changes nothing', async () => {
    const before = await floatBalance('demo-mfs');
    const paymentId = await approved('40.00');
    const body = {
      reversalId: `rev-${randomUUID()}`,
      paymentId,
      amountMinor: '4000',
      currency: 'BDT',
      reason: 'x',
    };
    const forged = await billerReversal(gw.httpUrl, BILLER, body, {
      secret: `whsec_${Buffer.from('not the biller secret at all!!').toString('base64')}`,
    });
    expect(forged.status).toBe(401);
    const stale = await billerReversal(gw.httpUrl, BILLER, body, { at: new Date(Date.now() - 10 * 60_000) });
    expect(stale.status).toBe(401);
    const tampered = await billerReversal(gw.httpUrl, BILLER, body, {
      tamper: (raw) => raw.replace('4000', '400'),
    });
    expect(tampered.status).toBe(401);
    // Another biller's valid signature does not reverse this biller's payment.
    const otherBiller = await billerReversal(gw.httpUrl, 'sim-water', body);
    expect(otherBiller.status).toBe(404);
    const unsigned = await call(gw.httpUrl, 'POST', `/billers/${BILLER}/reversals`, { body });
    expect(unsigned.status).toBe(401);
    expect(await paymentState(paymentId)).toBe('APPROVED');
    expect(await floatBalance('demo-mfs')).toBe(before - 4000n);
    await expectBooksBalance();
  });

  it('refuses unknown, declined and partial reversals with a clear 4xx, nothing posted', async () => {
    const paymentId = await approved('60.00');
    const declined = await pay(gw.httpUrl, payBody({ billReference: 'DECLINE-1' }));
    expect(declined.body.status).toBe('DECLINED');
    const before = await floatBalance('demo-mfs');
    const base = { currency: 'BDT', reason: 'r' };
    const unknown = await billerReversal(gw.httpUrl, BILLER, {
      ...base,
      reversalId: `rev-${randomUUID()}`,
      paymentId: randomUUID(),
      amountMinor: '6000',
    });
    expect(unknown.status).toBe(404);
    const ofDeclined = await billerReversal(gw.httpUrl, BILLER, {
      ...base,
      reversalId: `rev-${randomUUID()}`,
      paymentId: String(declined.body.id),
      amountMinor: String(declined.body.amount).replace('.', ''),
    });
    expect(ofDeclined.status).toBe(409);
    expect(ofDeclined.body.code).toBe('NOT_REVERSIBLE');
    const partial = await billerReversal(gw.httpUrl, BILLER, {
      ...base,
      reversalId: `rev-${randomUUID()}`,
      paymentId,
      amountMinor: '1000',
    });
    expect(partial.status).toBe(422);
    expect(partial.body.code).toBe('PARTIAL_NOT_ALLOWED');
    const byReceipt = await call<{ billerReceipt: string }>(gw.httpUrl, 'GET', `/bill/pay/${paymentId}`, {
      key: MFS,
    });
    const ok = await billerReversal(gw.httpUrl, BILLER, {
      ...base,
      reversalId: `rev-${randomUUID()}`,
      receipt: byReceipt.body.billerReceipt,
      amountMinor: '6000',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.paymentId).toBe(paymentId);
    expect(await floatBalance('demo-mfs')).toBe(before + 6000n);
    await expectBooksBalance();
  });

  it('credits a bank customer back: core-banking refund owed and made, books balance', async () => {
    const paymentId = await approved('75.00', BANK, { account: '1001000000001' });
    const res = await billerReversal(gw.httpUrl, BILLER, {
      reversalId: `rev-${randomUUID()}`,
      paymentId,
      amountMinor: '7500',
      currency: 'BDT',
      reason: 'meter error',
    });
    expect(res.status).toBe(200);
    const refund = await gw.services.database.db
      .selectFrom('core_banking_refunds' as never)
      .selectAll()
      .where('payment_id' as never, '=', paymentId as never)
      .executeTakeFirst();
    expect(refund).toMatchObject({ state: 'refunded' });
    await expectBooksBalance();
  });

  it('plays a biller that changes its mind: the simulator signs and pushes the reversal', async () => {
    const before = await floatBalance('demo-mfs');
    const paymentId = await approved('33.30');
    const sim = gw.simulators.biller;
    if (sim === undefined) throw new Error('the in-process biller simulator is expected');
    const control = (): Promise<{ status: number; body: Record<string, unknown> }> =>
      call(sim.url, 'POST', '/billers/electricity/control/reversals', {
        body: { paymentId, gatewayUrl: gw.httpUrl, reason: 'duplicate payment at the biller' },
      });
    const res = await control();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ gatewayStatus: 200, gateway: { paymentId, status: 'REVERSED' } });
    expect(sim.book.find(paymentId)?.reversed).toBe(true);
    expect(await paymentState(paymentId)).toBe('REVERSED');
    expect(await floatBalance('demo-mfs')).toBe(before);
    // The same control call again is the same reversal: replayed, nothing posted twice.
    const again = await control();
    expect(again.body).toMatchObject({ gatewayStatus: 200, gateway: { replayed: true } });
    expect(await floatBalance('demo-mfs')).toBe(before);
    await eventually(() => receiver.accepted().find((d) => d.body.includes(paymentId)));
    await expectBooksBalance();
  });

  it('signs with both secrets during a webhook-secret rotation; each verifies on its own', async () => {
    const rotated = await call<{ secret: string }>(
      gw.httpUrl,
      'POST',
      '/partner/credentials/webhook-secrets',
      {
        key: MFS,
        body: { noticeHours: 24 },
      },
    );
    expect(rotated.status).toBe(201);
    const newSecret = rotated.body.secret;
    const paymentId = await approved('12.00');
    const res = await billerReversal(gw.httpUrl, BILLER, {
      reversalId: `rev-${randomUUID()}`,
      paymentId,
      amountMinor: '1200',
      currency: 'BDT',
      reason: 'rotation',
    });
    expect(res.status).toBe(200);
    const d = await eventually(() =>
      receiver
        .accepted()
        .find((x) => (JSON.parse(x.body) as { data: { paymentId: string } }).data.paymentId === paymentId),
    );
    expect(d.signatures).toHaveLength(2);
    for (const s of [secret, newSecret]) {
      for (const sig of d.signatures) {
        let ok = true;
        try {
          new Webhook(s).verify(d.body, {
            'webhook-id': d.id,
            'webhook-timestamp': d.timestamp,
            'webhook-signature': sig,
          });
        } catch {
          ok = false;
        }
        // Exactly one of the two signatures is each secret's.
        if (ok) expect(d.signatures.indexOf(sig)).toBe(s === secret ? 0 : 1);
      }
      expect(() =>
        new Webhook(s).verify(d.body, {
          'webhook-id': d.id,
          'webhook-timestamp': d.timestamp,
          'webhook-signature': d.signatures.join(' '),
        }),
      ).not.toThrow();
    }
  });
});
