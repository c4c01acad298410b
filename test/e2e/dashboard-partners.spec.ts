import { randomUUID } from 'node:crypto';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { MFS, OPS, pay, payBody } from '../support/payments';
import { billerReversal, eventually } from '../support/webhooks';
import { page, signIn, VIEWER } from './dashboard-support';

/*
 * The dashboard's partners page over the gateway's real HTTP lane: a partner still in draft with its
 * unmet gates, rotations in their notice, a credential rotated out but never revoked, and webhook
 * delivery health from real deliveries to a receiver that answers and one that keeps failing.
 */

let gw: TestGateway;
let good: WebhookReceiver;
let bad: WebhookReceiver;
let goodSub: string;
let badSub: string;

beforeAll(async () => {
  // A failed delivery is retried an hour later: within the spec it stays waiting, retrying.
  gw = await startTestGateway({ WEBHOOK_RETRY_SCHEDULE: '1h', WEBHOOK_POLL_MS: '50' });
  const secrets: string[] = [];
  good = new WebhookReceiver({ secrets });
  bad = new WebhookReceiver({ secrets, failFirst: 1000, failStatus: 503 });
  await good.start();
  await bad.start();
  const first = await call<{ subscription: { id: string }; secret: string }>(
    gw.httpUrl,
    'POST',
    '/partner/webhooks',
    { key: MFS, body: { url: `${good.url}/hooks` } },
  );
  expect(first.status).toBe(201);
  secrets.push(first.body.secret);
  goodSub = first.body.subscription.id;
  const second = await call<{ subscription: { id: string } }>(gw.httpUrl, 'POST', '/partner/webhooks', {
    key: MFS,
    body: { url: `${bad.url}/hooks` },
  });
  expect(second.status).toBe(201);
  badSub = second.body.subscription.id;
});
afterAll(async () => {
  await good?.stop();
  await bad?.stop();
  await gw?.stop();
});

function part(text: string, id: string, end = '</article>'): string {
  const start = text.indexOf(`id="${id}"`);
  if (start === -1) throw new Error(`no element ${id}`);
  return text.slice(start, text.indexOf(end, start));
}

it('shows a draft partner’s unmet gates, and no step ahead for a live one', async () => {
  const created = await call(gw.httpUrl, 'POST', '/ops/partners', {
    key: OPS,
    body: { id: 'acme-draft', name: 'Acme Pay', kind: 'mfs', payerTypes: ['mfs-user'] },
  });
  expect(created.status).toBe(201);
  const s = await signIn(gw.httpUrl, VIEWER);
  const res = await page(gw.httpUrl, '/dashboard/partners', s);
  expect(res.status).toBe(200);
  const draft = part(res.text, 'partner-acme-draft');
  expect(draft).toContain('<strong>draft</strong>');
  expect(draft).toContain('data-next="contracts-signed"');
  expect(draft).toContain('the Master Services Agreement schedule is missing');
  expect(draft).toContain('On no lane.');
  expect(part(res.text, 'partner-demo-mfs')).toContain('Live: no onboarding step ahead.');
});

it('shows rotations in their notice and a credential rotated out but not revoked, apart', async () => {
  const rotating = await call(gw.httpUrl, 'POST', '/ops/partners/demo-card/api-keys', { key: OPS, body: {} });
  expect(rotating.status).toBe(201);
  const ended = await call(gw.httpUrl, 'POST', '/ops/partners/demo-aggregator/api-keys', {
    key: OPS,
    body: { noticeHours: 0 },
  });
  expect(ended.status).toBe(201);
  const s = await signIn(gw.httpUrl, VIEWER);
  const res = await page(gw.httpUrl, '/dashboard/partners', s);
  const card = part(res.text, 'partner-demo-card');
  expect(card).toContain('Rotations in progress');
  expect(card).toMatch(/<tr data-rotation="[0-9a-f-]{36}">\s*<td>api-key<\/td>/);
  expect(card).toMatch(/<td>23h 5\d?m<\/td>|<td>24h 0m<\/td>/);
  expect(card).not.toContain('Expired, not revoked');
  const aggregator = part(res.text, 'partner-demo-aggregator');
  expect(aggregator).toContain('Expired, not revoked');
  expect(aggregator).toContain('rotated out (replaced)');
  expect(aggregator).not.toContain('Rotations in progress');
  expect(res.text).toMatch(/<dd data-figure="rotations">[1-9]\d*<\/dd>/);
  expect(res.text).toMatch(/<dd data-figure="expired">[1-9]\d*<\/dd>/);
});

it('shows each webhook subscription’s delivery health: delivered, and waiting with its failures', async () => {
  const paid = await pay(gw.httpUrl, payBody({ amount: '120.00' }));
  expect(paid.body.status).toBe('APPROVED');
  const reversal = await billerReversal(gw.httpUrl, 'sim-electricity', {
    reversalId: `rev-${randomUUID()}`,
    paymentId: String(paid.body.id),
    amountMinor: '12000',
    currency: 'BDT',
    reason: 'customer paid twice',
  });
  expect(reversal.status).toBe(200);
  await eventually(() => (good.accepted().length > 0 ? true : undefined));
  await eventually(() => (bad.received.length > 0 ? true : undefined));
  // The failed attempt is recorded just after the receiver answers.
  await eventually(async () => {
    const d = await call<{ items: { state: string; attempts: number }[] }>(
      gw.httpUrl,
      'GET',
      '/ops/partners/demo-mfs/webhooks/deliveries',
      { key: OPS },
    );
    return d.body.items.some((x) => x.attempts === 1 && x.state === 'pending') ? true : undefined;
  });

  const s = await signIn(gw.httpUrl, VIEWER);
  const res = await page(gw.httpUrl, '/dashboard/partners', s);
  const ok = part(res.text, `subscription-${goodSub}`, '</tr>');
  expect(ok).toContain('data-delivered="1"');
  expect(ok).toContain('data-pending="0"');
  expect(ok).toContain('data-failed-attempts="0"');
  const failing = part(res.text, `subscription-${badSub}`, '</tr>');
  expect(failing).toContain('data-pending="1"');
  expect(failing).toContain('data-retrying="1"');
  expect(failing).toContain('data-failed-attempts="1"');
  expect(failing).toContain('data-failed="0"');
  expect(failing).toContain('HTTP 503');
  expect(failing).toMatch(/data-oldest="\d+"/);
  expect(res.text).toMatch(/<dd data-figure="webhooks-waiting">1 \(\d+s\)<\/dd>/);
});
