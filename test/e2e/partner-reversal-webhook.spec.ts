import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { billPayment, Iso8583TestClient } from '../support/iso8583-client';
import { MFS, trialBalance } from '../support/payments';
import { eventually } from '../support/webhooks';

let gw: TestGateway;
let receiver: WebhookReceiver;
let client: Iso8583TestClient;

beforeAll(async () => {
  gw = await startTestGateway({ WEBHOOK_POLL_MS: '50' });
  const secrets: string[] = [];
  receiver = new WebhookReceiver({ secrets });
  await receiver.start();
  const sub = await call<{ secret: string }>(gw.httpUrl, 'POST', '/partner/webhooks', {
    key: MFS,
    body: { url: receiver.url },
  });
  expect(sub.status).toBe(201);
  secrets.push(sub.body.secret);
  client = await Iso8583TestClient.connect(gw.iso8583Ports['iso8583-demo']!);
});
afterAll(async () => {
  client?.close();
  await receiver?.stop();
  await gw?.stop();
});

it('an ISO 8583 0400 reversal sends the partner one signed payment.reversed, even when repeated', async () => {
  const req = billPayment();
  expect((await client.request('0200', req)).fields.get(39)).toBe('00');
  const reversal = {
    ...billPayment({ 4: req[4]! }),
    90: `0200${req[11] as string}${req[7] as string}${(req[32] as string).padStart(11, '0')}${'0'.repeat(11)}`,
  };
  expect((await client.request('0400', reversal)).fields.get(39)).toBe('00');
  expect((await client.request('0401', reversal)).fields.get(39)).toBe('00');
  const payment = await gw.services.database.db
    .selectFrom('payments')
    .select('id')
    .where('partner_reference', '=', req[37] as string)
    .executeTakeFirstOrThrow();
  const d = await eventually(() => receiver.accepted().find((x) => x.body.includes(payment.id)));
  expect(JSON.parse(d.body)).toMatchObject({
    type: 'payment.reversed',
    data: { paymentId: payment.id, initiatedBy: 'partner' },
  });
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.accepted().filter((x) => x.body.includes(payment.id))).toHaveLength(1);
  expect((await trialBalance(gw.httpUrl)).balanced).toBe(true);
});
