/// <reference lib="dom" />
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserRequired, describeBrowser, launchBrowser, SHOTS } from './browser-support';
import { businessDayOf } from '../../src/domain/recon/business-day';
import { MFS, OPS, pay, payBody } from '../support/payments';
import { call } from '../support/http';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { eventually } from '../support/webhooks';

/*
 * The dashboard's breaks, needs-attention and lane-fit views in a real browser (Debian's Chromium
 * driven by playwright-core), on breaks a real reconciliation run raised and a payment the
 * simulators left without an answer. The screenshots in README's dashboard section come from here.
 */

type Json = Record<string, unknown>;

let gw: TestGateway;
let browser: Browser;
const today = businessDayOf(new Date(), 'Asia/Dhaka');

beforeAll(async () => {
  if (!browserRequired) return;
  gw = await startTestGateway({
    // A payment nobody answers is parked for ops after two quick status inquiries.
    RESOLUTION_RETRY_SCHEDULE: '200ms',
    RESOLUTION_MAX_ATTEMPTS: '2',
    JOB_POLL_MS: '50',
    RECON_CYCLE_INTERVAL_MS: '3600000',
  });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

const ops = <T = Json>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
  call<T>(gw.httpUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });

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

/** A POST as the page's script makes it, from inside the signed-in page. */
function postFromPage(
  page: Page,
  path: string,
  body: unknown,
  withCsrf = true,
): Promise<{ status: number; type: string }> {
  return page.evaluate(
    async ({ path, body, withCsrf }) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(withCsrf ? { 'x-csrf-token': csrf } : {}) },
        body: JSON.stringify(body),
      });
      const json = (await res.json().catch(() => ({}))) as { type?: string };
      return { status: res.status, type: json.type ?? '' };
    },
    { path, body, withCsrf },
  );
}

interface Break {
  id: string;
  code: string;
  state: string;
  paymentId: string | null;
  journalEntryId: string | null;
  businessDate: string;
}

/** A day with breaks, made the way a bank's day makes them: payments, the two files, a run. */
async function dayWithBreaks(): Promise<{ b3: Break; b1: Break }> {
  const paid = async (ref: string) => {
    const res = await pay(
      gw.httpUrl,
      payBody({ amount: '500.00', partnerReference: ref, billReference: 'DESCO-77' }),
    );
    expect(res.status).toBe(201);
    return String(res.body.id);
  };
  const agree = await paid(`brw-${randomUUID().slice(0, 8)}`);
  const offRef = `brw-${randomUUID().slice(0, 8)}`;
  const amountOff = await paid(offRef);
  // The biller's back office books 490.00 for one 500.00 payment: a B3 on the biller's side.
  const sim = gw.simulators.biller!;
  const faults = await call(sim.url, 'PUT', '/billers/electricity/control/posting-faults', {
    body: { faults: [{ paymentId: amountOff, kind: 'amount', amountMinor: '49000' }] },
  });
  expect(faults.status).toBe(200);
  const fetched = await gw.services.recon.cycle!.fetchBillerFile({
    businessDate: today,
    billerId: 'sim-electricity',
    url: `${sim.url}/billers/electricity/posting-file?date=${today}`,
  });
  expect(fetched).toMatchObject({ outcome: 'stored' });
  const agreeRef = (await ops<{ partnerReference: string }>('GET', `/ops/payments/${agree}`)).body
    .partnerReference;
  const partnerFile = [
    'partner_reference,billgate_payment_id,amount,currency,status,value_date',
    `${agreeRef},,500.00,BDT,SETTLED,${today}`,
    `${offRef},,500.00,BDT,SETTLED,${today}`,
    `stranger-brw,,75.00,BDT,SETTLED,${today}`, // B1: none of ours
  ].join('\n');
  const upload = await call<Json>(gw.httpUrl, 'POST', `/partner/recon/files?businessDate=${today}`, {
    key: MFS,
    rawBody: partnerFile,
    headers: { 'content-type': 'text/csv' },
  });
  expect(upload.status).toBe(201);
  const started = await ops<Json>('POST', '/ops/recon/runs', { businessDate: today, reason: 'browser spec' });
  expect(started.status).toBe(202);
  const run = await eventually(async () => {
    const r = await ops<Json>('GET', `/ops/recon/runs/${String(started.body.id)}`);
    return r.body.state === 'running' ? undefined : r.body;
  }, 30_000);
  expect(run.state).toBe('done');
  const listed = await ops<{ items: Break[] }>('GET', `/ops/recon/breaks?businessDate=${today}`);
  const b3 = listed.body.items.find((b) => b.paymentId === amountOff);
  const b1 = listed.body.items.find((b) => b.code === 'B1');
  expect(b3).toMatchObject({ code: 'B3', state: 'open' });
  expect(b1).toBeDefined();
  return { b3: b3!, b1: b1! };
}

describeBrowser('breaks, needs attention and lane fit in Chromium', () => {
  let day: { b3: Break; b1: Break };

  it('shows a real break, previews its adjusting journal, resolves it and shows the audit entry', async () => {
    day = await dayWithBreaks();
    const { b3 } = day;

    // The ops API shows the same journal first, and refuses a confirmation of another one.
    const preview = await ops<Json>('POST', `/ops/recon/breaks/${b3.id}/resolve/preview`, {
      resolution: 'write-off',
      reason: 'biller booked 490.00',
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      movesMoney: true,
      journal: {
        currency: 'BDT',
        lines: [
          { accountId: 'recon-suspense:BDT', side: 'D', amount: '10.00', amountMinor: '1000' },
          { side: 'C', amount: '10.00' },
        ],
      },
    });
    const stale = await ops<Json>('POST', `/ops/recon/breaks/${b3.id}/resolve`, {
      resolution: 'write-off',
      reason: 'biller booked 490.00',
      adjustment: { amount: '11.00' },
      expectedJournal: String(preview.body.expectedJournal),
    });
    expect(stale.status).toBe(409);
    expect(String(stale.body.type)).toContain('recon-journal-changed');

    const page = await signedIn('ops.operator', 'operator-demo-pass');
    await page.getByRole('link', { name: 'Breaks', exact: true }).click();
    await page.waitForURL('**/dashboard/breaks');
    const row = page.locator(`#break-${b3.id}`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('B3');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'breaks.png'), fullPage: true });

    // Filters: only the B3s of the day.
    await page.getByLabel('Code').selectOption('B3');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/code=B3/);
    expect(await page.locator('table.breaks tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator(`#break-${day.b1.id}`).count()).toBe(0);

    await page.getByRole('link', { name: b3.id.slice(-12), exact: true }).click();
    await page.locator('#three-rows').waitFor();
    // The biller's amount disagrees with ours; the partner's agrees.
    await expect(
      page.locator('td[data-side="biller"][data-field="amount"]').textContent(),
    ).resolves.toContain('490.00 BDT');
    expect(await page.locator('td[data-side="biller"][data-field="amount"].mismatch').count()).toBe(1);
    expect(await page.locator('td[data-side="partner"][data-field="amount"].mismatch').count()).toBe(0);
    expect(await unlabelledControls(page)).toEqual([]);

    // A comment, attributed to the signed-in user.
    await page.locator('summary', { hasText: 'Comment…' }).click();
    await page.getByLabel('Comment').fill('biller desk confirms 490.00 was booked');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.locator('#flash').filter({ hasText: 'Saved.' }).waitFor();
    await page.locator('#break-events tr[data-kind="commented"]').waitFor();

    const form = page.locator('#resolve-form');
    await form.getByLabel('Resolution').selectOption('write-off');
    await form.getByLabel('Reason (mandatory)').fill('biller booked 490.00; difference written off');
    const confirm = form.getByRole('button', { name: 'Confirm resolution' });
    expect(await confirm.isDisabled()).toBe(true);
    await form.getByRole('button', { name: 'Preview the adjusting journal' }).click();
    const journal = form.locator('output.journal-preview table.journal');
    await journal.waitFor();
    await expect(journal.locator('tr[data-side="D"]').textContent()).resolves.toMatch(
      /recon-suspense:BDT\s*10\.00 BDT/,
    );
    await expect(journal.locator('tr[data-side="C"]').textContent()).resolves.toContain('10.00 BDT');
    expect(await confirm.isDisabled()).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'break-resolve.png'), fullPage: true });
    // Changing the form takes the confirmation away until it is previewed again.
    await form.getByLabel(/^Amount/).fill('12.00');
    expect(await confirm.isDisabled()).toBe(true);
    await form.getByLabel(/^Amount/).fill('');
    await form.getByRole('button', { name: 'Preview the adjusting journal' }).click();
    await journal.waitFor();
    await confirm.click();

    await page.locator('#break-state[data-state="resolved"]').waitFor();
    await page.locator('#posted-journal').waitFor();
    const audit = page.locator('#break-audit tbody tr[data-audit-action="recon.break.resolve"]');
    await expect(audit.textContent()).resolves.toContain('ops-user:ops.operator');
    await expect(audit.textContent()).resolves.toContain('difference written off');
    await page.screenshot({ path: join(SHOTS, 'break.png'), fullPage: true });
    const after = await ops<Break>('GET', `/ops/recon/breaks/${b3.id}`);
    expect(after.body).toMatchObject({ state: 'resolved', resolutionCode: 'write-off' });
    expect(after.body.journalEntryId).not.toBeNull();
    // The day's CSV downloads with the session (no ops key in the browser), the break resolved in it.
    const csv = await page.request.get(`${gw.httpUrl}/dashboard/breaks.csv?businessDate=${b3.businessDate}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^id,business_date,code,owner,state,/);
    expect(lines.find((l) => l.startsWith(`${b3.id},`))).toMatch(/,B3,[a-z-]+,resolved,/);
    await page.close();
  });

  it('refuses a viewer’s resolution, and an operator’s without the CSRF token', async () => {
    const { b1 } = day;
    const viewer = await signedIn('ops.viewer', 'viewer-demo-pass');
    await viewer.goto(`${gw.httpUrl}/dashboard/breaks/${b1.id}`);
    await viewer.locator('#three-rows').waitFor();
    expect(await viewer.locator('#resolve-form').count()).toBe(0);
    const body = { resolution: 'explained', reason: 'viewer tries', expectedJournal: 'none' };
    expect(await postFromPage(viewer, `/dashboard/api/recon/breaks/${b1.id}/resolve`, body)).toEqual({
      status: 403,
      type: expect.stringContaining('forbidden'),
    });
    const operator = await signedIn('ops.operator', 'operator-demo-pass');
    expect(await postFromPage(operator, `/dashboard/api/recon/breaks/${b1.id}/resolve`, body, false)).toEqual(
      { status: 403, type: expect.stringContaining('csrf-token-invalid') },
    );
    expect((await ops<Break>('GET', `/ops/recon/breaks/${b1.id}`)).body.state).toBe('open');
    await viewer.close();
    await operator.close();
  });

  it('lists a payment that needs attention and a decision from the page changes its state', async () => {
    const res = await pay(
      gw.httpUrl,
      payBody({ billReference: `TIMEOUT-${randomUUID().slice(0, 8)}`, amount: '9.99' }),
    );
    const id = String(res.body.id);
    await eventually(async () => {
      const v = await ops<{ state: string }>('GET', `/ops/payments/${id}`);
      return v.body.state === 'NEEDS_ATTENTION' ? true : undefined;
    }, 20_000);

    const page = await signedIn('ops.operator', 'operator-demo-pass');
    await page.getByRole('link', { name: 'Needs attention', exact: true }).click();
    const row = page.locator(`#attention-${id}`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('no final answer after 2 status inquiries');
    await expect(row.textContent()).resolves.toContain('9.99 BDT');
    expect(await unlabelledControls(page)).toEqual([]);
    await row.locator('summary', { hasText: 'Decide…' }).click();
    await page.screenshot({ path: join(SHOTS, 'attention.png'), fullPage: true });
    await row.getByLabel('Outcome').selectOption('DECLINED');
    await row.getByLabel('Reason (mandatory)').fill('biller confirmed by phone it never got it');
    await row.getByRole('button', { name: 'Record decision' }).click();
    await page.locator('#flash').filter({ hasText: 'Saved.' }).waitFor();
    await page.locator(`#decisions tr[data-payment="${id}"]`).waitFor();
    expect(await page.locator(`#attention-${id}`).count()).toBe(0);
    const decision = await page.locator(`#decisions tr[data-payment="${id}"]`).textContent();
    expect(decision).toContain('ops-user:ops.operator');
    expect(decision).toContain('DECLINED');
    expect((await ops<{ state: string }>('GET', `/ops/payments/${id}`)).body.state).toBe('DECLINED');
    await page.close();
  });

  it('shows each partner’s lane fit: volume against lane cost', async () => {
    const page = await signedIn('ops.viewer', 'viewer-demo-pass');
    await page.goto(`${gw.httpUrl}/dashboard/partners`);
    const fit = page.locator('#partner-demo-mfs [data-lane-fit="demo-mfs"]');
    await fit.waitFor();
    const api = await ops<{ traffic: { payments: number }; recommendation: { action: string } }>(
      'GET',
      '/ops/partners/demo-mfs/lane-fit',
    );
    expect(Number(await fit.locator('[data-figure="fit-payments"]').textContent())).toBe(
      api.body.traffic.payments,
    );
    expect(
      await fit.locator(`.recommendation[data-action="${api.body.recommendation.action}"]`).count(),
    ).toBe(1);
    expect(await fit.locator('table.lane-options tbody tr').count()).toBe(3);
    await fit.screenshot({ path: join(SHOTS, 'lane-fit.png') });
    await page.close();
  });
});
