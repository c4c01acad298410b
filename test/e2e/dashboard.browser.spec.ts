/// <reference lib="dom" />
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserRequired, describeBrowser, launchBrowser, SHOTS } from './browser-support';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { MFS, OPS, pay, payBody } from '../support/payments';
import { call } from '../support/http';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { billerReversal, eventually } from '../support/webhooks';
import { createAgent, offlineItem, ops, terminalPay } from './agent-support';

/*
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core (no browser
 * download). The screenshots in README come from this spec (docs/dashboard/), so they stay true.
 */

let gw: TestGateway;
let browser: Browser;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  if (!browserRequired) return;
  // A failed webhook delivery waits an hour for its retry: the partners page shows it waiting.
  gw = await startTestGateway({ WEBHOOK_RETRY_SCHEDULE: '1h', WEBHOOK_POLL_MS: '50' });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all(receivers.map((r) => r.stop()));
  await gw?.stop();
});

async function signedIn(username: string, password: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${gw.httpUrl}/dashboard`);
  await page.waitForURL('**/dashboard/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/dashboard$/);
  return page;
}

/** Every form control on the page has a label a screen reader announces. */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('input:not([type="hidden"]), select, textarea')]
      .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 80)),
  );
}

async function figure(page: Page, name: string): Promise<number> {
  return Number(await page.locator(`[data-figure="${name}"]`).textContent());
}

describeBrowser('the ops dashboard in Chromium', () => {
  it('signs in and shows a new payment appear live, without a reload', async () => {
    const page = await signedIn('ops.operator', 'operator-demo-pass');
    await page.screenshot({ path: join(SHOTS, 'sign-in-done.png') }).catch(() => undefined);
    const before = await figure(page, 'total');
    const marker = await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
      return true;
    });
    expect(marker).toBe(true);
    await pay(gw.httpUrl, payBody());
    await pay(gw.httpUrl, payBody({ billReference: 'DECLINE-1' }));
    await page.waitForFunction(
      (n: number) => Number(document.querySelector('[data-figure="total"]')?.textContent) >= n + 2,
      before,
      { timeout: 20_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await page.screenshot({ path: join(SHOTS, 'today.png'), fullPage: true });
    await page.close();
  });

  it('flips a route with a reason and shows the audit entry', async () => {
    const page = await signedIn('ops.operator', 'operator-demo-pass');
    await page.goto(`${gw.httpUrl}/dashboard/routing?q=WATER`);
    const row = page.locator('table.rules tbody tr').first();
    const ruleId = (await row.getAttribute('id'))!.replace('rule-', '');
    const flip = row.locator('form.flip');
    await row.locator('summary', { hasText: /^(Disable|Enable)…$/ }).click();
    await flip.getByLabel('Reason (mandatory)').fill('water biller maintenance window');
    await flip.getByRole('button', { name: 'Dry run on recent traffic' }).click();
    await flip.locator('output.dry-run').filter({ hasText: 'would have gone elsewhere' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'routing.png'), fullPage: true });
    await flip.getByRole('button', { name: /Disable rule|Enable rule/ }).click();
    await page.locator('#flash').filter({ hasText: 'Saved.' }).waitFor();

    await page.goto(`${gw.httpUrl}/dashboard/routing/audit?ruleId=${ruleId}`);
    await page.locator('#chain-verdict').filter({ hasText: 'Chain intact' }).waitFor();
    const entry = page.locator('table.audit tbody tr').first();
    await expect(entry.textContent()).resolves.toContain('water biller maintenance window');
    await expect(entry.textContent()).resolves.toContain('ops-user:ops.operator');
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
    await page.close();
  });

  it('refuses a viewer’s change and a change without the CSRF token', async () => {
    const rules = await call<{ items: { id: string; enabled: boolean; version: number }[] }>(
      gw.httpUrl,
      'GET',
      '/ops/routing/rules',
      { key: OPS },
    );
    const rule = rules.body.items[0]!;
    const viewer = await signedIn('ops.viewer', 'viewer-demo-pass');
    await viewer.goto(`${gw.httpUrl}/dashboard/routing`);
    expect(await viewer.locator('form.flip').count()).toBe(0);
    const asViewer = await viewer.evaluate(async (id) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')!.getAttribute('content')!;
      const res = await fetch(`/dashboard/api/routing/rules/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ enabled: 'false', reason: 'viewer tries' }),
      });
      return res.status;
    }, rule.id);
    expect(asViewer).toBe(403);

    const operator = await signedIn('ops.operator', 'operator-demo-pass');
    const withoutToken = await operator.evaluate(async (id) => {
      const res = await fetch(`/dashboard/api/routing/rules/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ enabled: 'false', reason: 'forged from another page' }),
      });
      return { status: res.status, body: (await res.json()) as { type: string } };
    }, rule.id);
    expect(withoutToken.status).toBe(403);
    expect(withoutToken.body.type).toContain('csrf-token-invalid');

    const after = await call<{ items: { id: string; version: number }[] }>(
      gw.httpUrl,
      'GET',
      '/ops/routing/rules',
      {
        key: OPS,
      },
    );
    expect(after.body.items.find((r) => r.id === rule.id)?.version).toBe(rule.version);
    await viewer.close();
    await operator.close();
  });

  it('finds a payment and tells its story; lists partners', async () => {
    const ref = `browser-${Date.now()}`;
    const paid = await pay(gw.httpUrl, payBody({ partnerReference: ref }));
    const page = await signedIn('ops.viewer', 'viewer-demo-pass');
    await page.goto(`${gw.httpUrl}/dashboard/payments`);
    await page.getByLabel(/Payment id, partner reference/).fill(ref);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: String(paid.body.id) }).click();
    await page.locator('#payment-state').filter({ hasText: 'APPROVED' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'payment.png'), fullPage: true });
    await page.goto(`${gw.httpUrl}/dashboard/partners`);
    await page.locator('#partner-demo-mfs').waitFor();
    await page.close();
  });
  it('shows the agent network and lets an operator clear a variance by keyboard alone', async () => {
    const north = await createAgent(gw.httpUrl, 'AG-NORTH', '5000.00');
    expect((await terminalPay(gw.httpUrl, north.terminalKey, '2150.00')).body).toMatchObject({
      status: 'APPROVED',
    });
    const south = await createAgent(gw.httpUrl, 'AG-SOUTH', '1000.00', { varianceThreshold: '100.00' });
    expect((await terminalPay(gw.httpUrl, south.terminalKey, '800.00')).body).toMatchObject({
      status: 'APPROVED',
    });
    await call(gw.httpUrl, 'POST', '/agent/sync', {
      key: south.terminalKey,
      body: { items: [offlineItem('300.00', new Date(Date.now() - 90_000))] },
    });
    const sheet = await ops(gw.httpUrl, 'POST', '/ops/agents/AG-SOUTH/count-sheets', {
      currency: 'BDT',
      counts: [
        { denomination: 'NOTE_500', count: 1 },
        { denomination: 'NOTE_100', count: 4 },
      ],
    });
    expect(sheet.body).toMatchObject({ variance: '-200.00', suspended: true });

    const page = await signedIn('ops.operator', 'operator-demo-pass');
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.locator('#agent-AG-SOUTH [data-status="suspended"]').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'agents.png'), fullPage: true });

    await page.getByRole('link', { name: 'AG-SOUTH' }).click();
    await page.locator('#agent-status[data-status="suspended"]').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'agent.png'), fullPage: true });
    // Keyboard only: open the clear form, give the reason, submit with Enter.
    await page.locator('summary', { hasText: 'Clear variance…' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.type('recounted with the area supervisor');
    await page.keyboard.press('Enter');
    await page.locator('#flash').filter({ hasText: 'Saved.' }).waitFor();
    await page.locator('#agent-status[data-status="active"]').waitFor();
    const audit = await page.locator('#agent-audit tbody tr').first().textContent();
    expect(audit).toContain('ops-user:ops.operator');
    await page.close();
  });

  it('shows a partner’s webhook delivery health and a reversed payment’s webhooks', async () => {
    const secrets: string[] = [];
    const good = new WebhookReceiver({ secrets });
    const bad = new WebhookReceiver({ secrets, failFirst: 1000, failStatus: 503 });
    receivers.push(good, bad);
    await good.start();
    await bad.start();
    const first = await call<{ secret: string }>(gw.httpUrl, 'POST', '/partner/webhooks', {
      key: MFS,
      body: { url: `${good.url}/billgate` },
    });
    secrets.push(first.body.secret);
    await call(gw.httpUrl, 'POST', '/partner/webhooks', { key: MFS, body: { url: `${bad.url}/hooks` } });
    const paid = await pay(gw.httpUrl, payBody({ amount: '640.00' }));
    const id = String(paid.body.id);
    const reversed = await billerReversal(gw.httpUrl, 'sim-electricity', {
      reversalId: `rev-${randomUUID().slice(0, 8)}`,
      paymentId: id,
      amountMinor: '64000',
      currency: 'BDT',
      reason: 'customer paid twice',
    });
    expect(reversed.status).toBe(200);
    await eventually(() => (good.accepted().length > 0 && bad.received.length > 0 ? true : undefined));

    const page = await signedIn('ops.viewer', 'viewer-demo-pass');
    await page.goto(`${gw.httpUrl}/dashboard/partners`);
    const card = page.locator('#partner-demo-mfs');
    // The failed attempt is recorded just after the receiver answers.
    await eventually(async () => {
      await page.reload();
      return (await card.locator('[data-pending="1"]').count()) > 0 ? true : undefined;
    });
    await card.locator('table.webhooks').waitFor();
    await card.screenshot({ path: join(SHOTS, 'partner-webhooks.png') });
    await page.screenshot({ path: join(SHOTS, 'partners.png'), fullPage: true });

    await page.goto(`${gw.httpUrl}/dashboard/payments/${id}`);
    await page.locator('tr[data-reversal="biller"]').waitFor();
    await page.locator('tr[data-delivery] li[data-outcome="delivered"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'payment-reversed.png'), fullPage: true });
    await page.close();
  });
});
