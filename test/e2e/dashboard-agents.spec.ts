import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { agentView, createAgent, offlineItem, ops, terminalPay, type Json } from './agent-support';
import { change, OPERATOR, page, signIn, VIEWER } from './dashboard-support';

/*
 * The dashboard's agents pages over the gateway's real HTTP lane: what ops see of an agent whose
 * till ran past its limit offline and came up short at the count, and the operator's actions on it,
 * each refused without the CSRF token, from a viewer or without a reason.
 */

let gw: TestGateway;
let base: string;
let sheetId: string;

beforeAll(async () => {
  gw = await startTestGateway();
  base = gw.httpUrl;
  // Limit 1000.00, threshold 100.00; terminal allowance 5 payments / 5000.00 (createAgent).
  const { terminalKey } = await createAgent(base, 'AG-DASH', '1000.00', { varianceThreshold: '100.00' });
  expect((await terminalPay(base, terminalKey, '800.00')).body).toMatchObject({ status: 'APPROVED' });
  // Taken offline, synced later: 1100.00 unsettled, 100.00 past the limit, flagged.
  const synced = await call<Json>(base, 'POST', '/agent/sync', {
    key: terminalKey,
    body: { items: [offlineItem('300.00', new Date(Date.now() - 120_000))] },
  });
  expect(synced.body.breach).toMatchObject({ amountOver: '100.00' });
  // Counted 900.00 against 1100.00: 200.00 short, past the threshold: the agent is suspended.
  const sheet = await ops(base, 'POST', '/ops/agents/AG-DASH/count-sheets', {
    currency: 'BDT',
    counts: [
      { denomination: 'NOTE_500', count: 1 },
      { denomination: 'NOTE_100', count: 4 },
    ],
  });
  expect(sheet.body).toMatchObject({ variance: '-200.00', suspended: true });
  sheetId = String(sheet.body.id);
});
afterAll(async () => {
  await gw?.stop();
});

function row(text: string, id: string): string {
  const start = text.indexOf(`id="${id}"`);
  if (start === -1) throw new Error(`no element ${id}`);
  return text.slice(start, text.indexOf('</tr>', start));
}

describe('the agents page', () => {
  it('shows each agent’s limit use, unsettled cash, suspension, variances, breaches and last sync', async () => {
    const s = await signIn(base, VIEWER);
    const list = await page(base, '/dashboard/agents', s);
    expect(list.status).toBe(200);
    const r = row(list.text, 'agent-AG-DASH');
    expect(r).toContain('data-status="suspended"');
    expect(r).toContain('count-variance');
    expect(r).toContain('data-permille="1100"');
    expect(r).toMatch(/class="limit-bar over"/);
    expect(r).toContain('1100.00 / 1000.00 BDT');
    expect(r).toContain('data-variances="1"');
    expect(r).toContain('data-breaches="1"');
    expect(r).toContain('100.00 BDT over');
    expect(r).toMatch(/<time datetime="[^"]+"[^>]*>\d+[sm] ago<\/time>/);
    // The demo agent, untouched: nothing used, nothing open.
    expect(row(list.text, 'agent-AGENT-001')).toContain('data-permille="0"');

    const suspendedOnly = await page(base, '/dashboard/agents?suspended=1', s);
    expect(suspendedOnly.text).toContain('id="agent-AG-DASH"');
    expect(suspendedOnly.text).not.toContain('id="agent-AGENT-001"');
  });

  it('shows one agent’s terminals with their offline allowance and last sync, sheets and breaches', async () => {
    const s = await signIn(base, VIEWER);
    const detail = await page(base, '/dashboard/agents/AG-DASH', s);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('1100.00 BDT');
    const terminal = row(detail.text, 'terminal-AG-DASH-T1');
    expect(terminal).toContain('5 payments, 5000.00 BDT');
    expect(terminal).toMatch(/data-last-sync="\d{4}-\d\d-\d\dT/);
    expect(terminal).toContain('1 item in 1 batch');
    const sheet = row(detail.text, `sheet-${sheetId}`);
    expect(sheet).toContain('-200.00');
    expect(sheet).toContain('900.00');
    expect(sheet).toContain('open: suspended the agent');
    expect(detail.text).toMatch(/<tr data-batch="[^"]+">[\s\S]*?100\.00 BDT/);
    // A viewer sees no action form.
    expect(detail.text).not.toContain('class="action"');

    expect((await page(base, '/dashboard/agents/NO-SUCH-AGENT', s)).status).toBe(404);
    expect((await page(base, '/dashboard/agents')).status).toBe(303);
  });
});

describe('an operator’s actions on an agent', () => {
  const clearPath = () => `/dashboard/api/agents/AG-DASH/count-sheets/${sheetId}/clear`;

  it('refuses a viewer, a request without the CSRF token, and a change without a reason', async () => {
    const viewer = await signIn(base, VIEWER);
    const operator = await signIn(base, OPERATOR);
    const byViewer = await change(base, clearPath(), viewer, { reason: 'viewer tries' });
    expect(byViewer.status).toBe(403);
    expect(byViewer.body).toMatchObject({ title: expect.stringContaining('viewer') });
    const forged = await change(base, clearPath(), operator, { reason: 'forged' }, { csrf: false });
    expect(forged.status).toBe(403);
    expect(forged.body).toMatchObject({ type: expect.stringContaining('csrf-token-invalid') });
    const noReason = await change(base, '/dashboard/api/agents/AG-DASH/reinstate', operator, { reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ errors: [expect.objectContaining({ field: 'reason' })] });
    expect(await agentView(base, 'AG-DASH')).toMatchObject({
      status: 'suspended',
      suspensionReason: 'count-variance',
    });
  });

  it('clears the variance with a reason, which reinstates the agent, attributed to the user', async () => {
    const s = await signIn(base, OPERATOR);
    const detail = await page(base, '/dashboard/agents/AG-DASH', s);
    expect(row(detail.text, `sheet-${sheetId}`)).toContain(`data-action="${clearPath()}"`);
    const cleared = await change(base, clearPath(), s, { reason: 'recounted with the supervisor' });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ cleared: true, reinstated: true });
    expect(await agentView(base, 'AG-DASH')).toMatchObject({ status: 'active' });
    const again = await change(base, clearPath(), s, { reason: 'twice' });
    expect(again.status).toBe(404);

    const after = await page(base, '/dashboard/agents/AG-DASH', s);
    expect(after.text).toContain('data-status="active"');
    expect(row(after.text, `sheet-${sheetId}`)).toContain('cleared by ops-user:ops.operator');
    const audit = after.text.slice(after.text.indexOf('id="agent-audit"'));
    expect(audit).toMatch(/ops-user:ops\.operator<\/td>\s*<td>agent\.variance\.clear<\/td>/);
    expect(audit).toMatch(/ops-user:ops\.operator<\/td>\s*<td>agent\.reinstate<\/td>/);
    expect(audit).toContain('recounted with the supervisor');
  });

  it('suspends and reinstates with a reason; the ops audit chain stays intact', async () => {
    const s = await signIn(base, OPERATOR);
    const suspended = await change(base, '/dashboard/api/agents/AG-DASH/suspend', s, {
      reason: 'till inspection',
    });
    expect(suspended.status).toBe(200);
    expect(await agentView(base, 'AG-DASH')).toMatchObject({
      status: 'suspended',
      suspensionReason: 'till inspection',
    });
    const page1 = await page(base, '/dashboard/agents/AG-DASH', s);
    expect(page1.text).toContain('till inspection');
    expect(page1.text).toContain('data-action="/dashboard/api/agents/AG-DASH/reinstate"');

    const reinstated = await change(base, '/dashboard/api/agents/AG-DASH/reinstate', s, {
      reason: 'inspection passed',
    });
    expect(reinstated.status).toBe(200);
    expect(await agentView(base, 'AG-DASH')).toMatchObject({ status: 'active', suspensionReason: null });

    const missing = await change(base, '/dashboard/api/agents/NO-SUCH/suspend', s, { reason: 'nobody' });
    expect(missing.status).toBe(404);
    const verdict = await new OpsAuditLog().verify(gw.services.database.db);
    expect(verdict.intact).toBe(true);
  });
});
