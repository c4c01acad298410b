import { randomUUID } from 'node:crypto';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { billPayment, Iso8583TestClient } from '../support/iso8583-client';
import { BANK, MFS, pay, payBody } from '../support/payments';
import { billerReversal, eventually } from '../support/webhooks';
import { page, signIn, VIEWER } from './dashboard-support';

/*
 * A payment's story after its answer, as ops read it on the dashboard: the reversal (by the biller,
 * or the partner's advice that overtook the payment), the refund it owes, the events the partner is
 * told and every webhook attempt sent for them with its answer.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
let iso: Iso8583TestClient;

beforeAll(async () => {
  gw = await startTestGateway({ WEBHOOK_RETRY_SCHEDULE: '100ms', WEBHOOK_POLL_MS: '50' });
  const secrets: string[] = [];
  // The partner's receiver answers 500 once, then 204.
  receiver = new WebhookReceiver({ secrets, failFirst: 1 });
  await receiver.start();
  const sub = await call<{ secret: string }>(gw.httpUrl, 'POST', '/partner/webhooks', {
    key: MFS,
    body: { url: `${receiver.url}/hooks` },
  });
  expect(sub.status).toBe(201);
  secrets.push(sub.body.secret);
  iso = await Iso8583TestClient.connect(gw.iso8583Ports['iso8583-demo']!);
});
afterAll(async () => {
  iso?.close();
  await receiver?.stop();
  await gw?.stop();
});

function rows(text: string, attr: string): string[] {
  return text
    .split(`<tr ${attr}`)
    .slice(1)
    .map((r) => r.slice(0, r.indexOf('</tr>')));
}

async function reverseByBiller(paymentId: string, amountMinor: string, reason: string): Promise<string> {
  const reversalId = `rev-${randomUUID()}`;
  const res = await billerReversal(gw.httpUrl, 'sim-electricity', {
    reversalId,
    paymentId,
    amountMinor,
    currency: 'BDT',
    reason,
  });
  expect(res.status).toBe(200);
  return reversalId;
}

it('shows the biller’s reversal, the event told to the partner and each webhook attempt with its answer', async () => {
  const paid = await pay(gw.httpUrl, payBody({ amount: '120.00' }));
  const id = String(paid.body.id);
  const reversalId = await reverseByBiller(id, '12000', 'customer paid twice');
  await eventually(() => (receiver.accepted().some((d) => d.body.includes(id)) ? true : undefined));
  // The delivered attempt is recorded just after the receiver answers.
  await eventually(async () => {
    const d = await call<{ items: { paymentId: string; state: string }[] }>(
      gw.httpUrl,
      'GET',
      '/partner/webhooks/deliveries',
      { key: MFS },
    );
    return d.body.items.some((x) => x.paymentId === id && x.state === 'delivered') ? true : undefined;
  });

  const s = await signIn(gw.httpUrl, VIEWER);
  const story = await page(gw.httpUrl, `/dashboard/payments/${id}`, s);
  expect(story.status).toBe(200);
  expect(story.text).toContain('REVERSED');
  const [reversal] = rows(story.text, 'data-reversal="biller"');
  expect(reversal).toContain(`sim-electricity ${reversalId}`);
  expect(reversal).toContain('120.00 BDT');
  expect(reversal).toContain('customer paid twice');
  const [event] = rows(story.text, 'data-event="payment.reversed"');
  expect(event).toContain('initiatedBy: biller');
  expect(event).toContain('amount: 120.00 BDT');
  expect(event).toMatch(/<code>msg_[0-9a-f]+<\/code>/);
  const [delivery] = rows(story.text, 'data-delivery=');
  expect(delivery).toContain('data-state="delivered"');
  expect(delivery).toContain(`${receiver.url}/hooks`);
  expect(delivery).toMatch(/<li data-outcome="failed">[^<]*failed,\s*HTTP 500\s*<\/li>/);
  expect(delivery).toMatch(/<li data-outcome="delivered">[^<]*delivered,\s*HTTP 204\s*<\/li>/);
  // A float payment's reversal owes no core-banking refund.
  expect(story.text).not.toContain('id="refund"');
});

it('shows the refund a bank customer is owed by a reversal, once core banking confirmed it', async () => {
  const paid = await pay(gw.httpUrl, payBody({ amount: '75.25', payer: { account: '1001000000001' } }), {
    key: BANK,
  });
  expect(paid.body.status).toBe('APPROVED');
  const id = String(paid.body.id);
  await reverseByBiller(id, '7525', 'duplicate bill');
  const s = await signIn(gw.httpUrl, VIEWER);
  const refund = await eventually(async () => {
    const text = (await page(gw.httpUrl, `/dashboard/payments/${id}`, s)).text;
    return /<p id="refund" class="ok">/.test(text) ? text : undefined;
  });
  expect(refund).toMatch(/Refund to the customer at core banking:\s*75\.25 BDT,\s*refunded/);
  // Demo bank has no webhook subscription: the event is kept, nothing was sent.
  expect(rows(refund, 'data-event="payment.reversed"')).toHaveLength(1);
  expect(refund).toContain('No webhook was sent');
});

it('shows a partner’s reversal advice that arrived before its payment', async () => {
  const req = billPayment();
  const advice = {
    ...billPayment({ 4: req[4] as string }),
    90: `0200${req[11] as string}${req[7] as string}${(req[32] as string).padStart(11, '0')}${'0'.repeat(11)}`,
  };
  expect((await iso.request('0420', advice)).fields.get(39)).toBe('00');
  expect((await iso.request('0200', req)).fields.get(39)).toBe('05');
  const s = await signIn(gw.httpUrl, VIEWER);
  const found = await page(gw.httpUrl, `/dashboard/payments?q=${req[37] as string}`, s);
  const id = /href="\/dashboard\/payments\/([0-9a-f-]{36})"/.exec(found.text)?.[1];
  expect(id).toBeDefined();
  const story = await page(gw.httpUrl, `/dashboard/payments/${id!}`, s);
  expect(story.text).toContain('REVERSED_BEFORE_ARRIVAL');
  const [early] = rows(story.text, 'data-reversal="early"');
  expect(early).toContain('the partner (arrived before the payment)');
  expect(early).toMatch(/<code>[^<]+<\/code>/);
});
