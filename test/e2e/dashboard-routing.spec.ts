import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { OPS } from '../support/payments';
import { addAlternative, pay, paymentRoute, ruleFor } from '../integration/routing-support';
import { change, OPERATOR, page, signIn, VIEWER } from './dashboard-support';

/*
 * Routing changes from the dashboard beyond a flip: a change scheduled for later (seen in the pending
 * list, and cancelled with a reason), and a rule re-pointed at another biller endpoint and
 * settlement account after a dry run on recent traffic.
 */

let gw: TestGateway;
let alt: { biller: string; account: string };

beforeAll(async () => {
  gw = await startTestGateway();
  alt = await addAlternative(gw, 'dash');
});
afterAll(async () => {
  await gw?.stop();
});

function row(text: string, id: string): string {
  const start = text.indexOf(`id="${id}"`);
  if (start === -1) throw new Error(`no element ${id}`);
  return text.slice(start, text.indexOf('</tr>', start));
}

/** A datetime-local value (no zone: the page says UTC) some minutes from now. */
function minutesAhead(n: number): string {
  return new Date(Date.now() + n * 60_000).toISOString().slice(0, 16);
}

describe('scheduling a change from the dashboard', () => {
  it('keeps the rule as it is, lists the change as pending, and cancels it with a reason', async () => {
    const rule = await ruleFor(gw, 'WATER', 'demo-mfs');
    const s = await signIn(gw.httpUrl, OPERATOR);
    const path = `/dashboard/api/routing/rules/${rule.id}`;
    const past = await change(gw.httpUrl, path, s, {
      enabled: 'false',
      reason: 'too late',
      effectiveAt: minutesAhead(-5),
    });
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errors: [expect.objectContaining({ field: 'effectiveAt' })] });

    const at = minutesAhead(90);
    const scheduled = await change(gw.httpUrl, path, s, {
      enabled: 'false',
      reason: 'water biller maintenance tonight',
      expectedVersion: String(rule.version),
      effectiveAt: at,
    });
    expect(scheduled.status).toBe(200);
    expect(scheduled.body).toMatchObject({ scheduled: expect.any(String) });
    expect(String(scheduled.body.effectiveAt)).toContain(at);
    const id = String(scheduled.body.scheduled);
    expect(await ruleFor(gw, 'WATER', 'demo-mfs')).toMatchObject({ version: rule.version, enabled: true });

    const asViewer = await page(gw.httpUrl, '/dashboard/routing', await signIn(gw.httpUrl, VIEWER));
    const pending = row(asViewer.text, `scheduled-${id}`);
    expect(pending).toContain(at.replace('T', ' '));
    expect(pending).toContain('enabled → false');
    expect(pending).toContain('ops-user:ops.operator');
    expect(pending).toContain('water biller maintenance tonight');
    expect(pending).not.toContain('Cancel change');

    const cancelPath = `/dashboard/api/routing/scheduled/${id}/cancel`;
    const byViewer = await change(gw.httpUrl, cancelPath, await signIn(gw.httpUrl, VIEWER), {
      reason: 'viewer tries',
    });
    expect(byViewer.status).toBe(403);
    expect((await change(gw.httpUrl, cancelPath, s, { reason: '' })).status).toBe(400);
    const cancelled = await change(gw.httpUrl, cancelPath, s, { reason: 'maintenance postponed' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled' });
    expect((await change(gw.httpUrl, cancelPath, s, { reason: 'again' })).status).toBe(404);
    expect((await page(gw.httpUrl, '/dashboard/routing', s)).text).not.toContain(`id="scheduled-${id}"`);
    const listed = await call<{ items: { id: string; error: string }[] }>(
      gw.httpUrl,
      'GET',
      '/ops/routing/scheduled?state=cancelled',
      { key: OPS },
    );
    expect(listed.body.items.find((c) => c.id === id)?.error).toBe(
      'cancelled by ops-user:ops.operator: maintenance postponed',
    );
  });
});

describe('changing where a rule sends payments', () => {
  it('dry-runs a new biller endpoint and settlement account on recent traffic, then saves it', async () => {
    for (let i = 0; i < 3; i += 1) await pay(gw, 'ELECTRICITY');
    const rule = await ruleFor(gw, 'ELECTRICITY', 'demo-mfs');
    const viewer = await signIn(gw.httpUrl, VIEWER);
    expect((await page(gw.httpUrl, '/dashboard/routing', viewer)).text).not.toContain('class="destination"');

    const s = await signIn(gw.httpUrl, OPERATOR);
    const routing = await page(gw.httpUrl, '/dashboard/routing?q=ELECTRICITY', s);
    const form = row(routing.text, `rule-${rule.id}`);
    expect(form).toContain('class="destination"');
    expect(form).toMatch(new RegExp(`<option value="${alt.biller}"\\s*>`));
    expect(form).toMatch(/<option value="sim-electricity" selected\s*>/);
    expect(form).not.toContain('<option value="sim-water"');
    expect(form).toContain(`<option value="${alt.account}"`);

    // A viewer may look at a dry run (it changes nothing).
    const dry = await change(gw.httpUrl, '/dashboard/api/routing/dry-run', viewer, {
      id: rule.id,
      billerEndpoint: alt.biller,
      settlementAccount: alt.account,
      enabled: '',
    });
    expect(dry.status).toBe(200);
    const answer = dry.body as {
      changedCount: number;
      summary: { from: string; to: string; payments: number }[];
    };
    expect(answer.changedCount).toBeGreaterThanOrEqual(3);
    expect(answer.summary[0]).toMatchObject({
      from: expect.stringContaining('sim-electricity'),
      to: expect.stringContaining(alt.biller),
    });
    const wrongBiller = await change(gw.httpUrl, '/dashboard/api/routing/dry-run', viewer, {
      id: rule.id,
      billerEndpoint: 'sim-water',
    });
    expect(wrongBiller.status).toBe(400);
    expect(wrongBiller.body).toMatchObject({ type: expect.stringContaining('routing-validation') });
    const nothing = await change(gw.httpUrl, '/dashboard/api/routing/dry-run', viewer, { id: rule.id });
    expect(nothing.status).toBe(400);

    const saved = await change(gw.httpUrl, `/dashboard/api/routing/rules/${rule.id}`, s, {
      billerEndpoint: alt.biller,
      settlementAccount: alt.account,
      reason: 'electricity moves to the new biller link',
      expectedVersion: String(rule.version),
      effectiveAt: '',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ applied: true });
    const after = await call<{ billerEndpoint: string; settlementAccount: string; version: number }>(
      gw.httpUrl,
      'GET',
      `/ops/routing/rules/${rule.id}`,
      { key: OPS },
    );
    expect(after.body).toMatchObject({
      billerEndpoint: alt.biller,
      settlementAccount: alt.account,
      version: rule.version + 1,
    });
    const audit = await page(gw.httpUrl, `/dashboard/routing/audit?ruleId=${rule.id}`, s);
    expect(audit.text).toContain(`billerEndpoint: &quot;sim-electricity&quot; → &quot;${alt.biller}&quot;`);
    expect(audit.text).toContain('electricity moves to the new biller link');
    expect(audit.text).toContain('Chain intact');
    const next = await pay(gw, 'ELECTRICITY');
    expect((await paymentRoute(gw, next.id))?.billerEndpoint).toBe(alt.biller);
  });
});
