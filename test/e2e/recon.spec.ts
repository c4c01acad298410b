import { randomUUID } from 'node:crypto';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { businessDayOf } from '../../src/domain/recon/business-day';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { MFS, OPS, pay, payBody, trialBalance } from '../support/payments';
import { eventually } from '../support/webhooks';

type Json = Record<string, unknown>;
interface Break {
  id: string;
  code: string;
  owner: string;
  state: string;
  paymentId: string | null;
  summary: string;
  assignee: string | null;
  evidence: { ours: Json | null; partner: Json | null; biller: Json | null; notes: string[] };
}

let gw: TestGateway;
let receiver: WebhookReceiver;
const today = businessDayOf(new Date(), 'Asia/Dhaka');

beforeAll(async () => {
  gw = await startTestGateway({
    WEBHOOK_RETRY_SCHEDULE: '200ms,300ms',
    WEBHOOK_POLL_MS: '50',
    RECON_CYCLE_INTERVAL_MS: '3600000',
  });
  const secrets: string[] = [];
  receiver = new WebhookReceiver({ secrets });
  await receiver.start();
  const sub = await call<{ secret: string }>(gw.httpUrl, 'POST', '/partner/webhooks', {
    key: MFS,
    body: { url: `${receiver.url}/hooks`, eventTypes: ['payment.reversed'] },
  });
  expect(sub.status).toBe(201);
  secrets.push(sub.body.secret);
});
afterAll(async () => {
  await receiver?.stop();
  await gw?.stop();
});

const ops = <T = Json>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) =>
  call<T>(gw.httpUrl, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });

async function paid(
  partnerReference = `rcn-${randomUUID().slice(0, 8)}`,
  amount = '500.00',
  billReference = 'DESCO-77',
): Promise<{ id: string; ref: string; amount: string }> {
  const res = await pay(gw.httpUrl, payBody({ amount, partnerReference, billReference }));
  expect(res.status).toBe(201);
  return { id: String(res.body.id), ref: partnerReference, amount };
}

function partnerFile(rows: { ref: string; id?: string; amount: string; status?: string }[]): string {
  return [
    'partner_reference,billgate_payment_id,amount,currency,status,value_date',
    ...rows.map((r) => `${r.ref},${r.id ?? ''},${r.amount},BDT,${r.status ?? 'SETTLED'},${today}`),
  ].join('\n');
}

async function runDay(): Promise<Json> {
  const started = await ops<Json>('POST', '/ops/recon/runs', { businessDate: today, reason: 'e2e' });
  expect(started.status).toBe(202);
  expect(started.headers.location).toBe(`/ops/recon/runs/${String(started.body.id)}`);
  return eventually(async () => {
    const run = await ops<Json>('GET', `/ops/recon/runs/${String(started.body.id)}`);
    return run.body.state === 'running' ? undefined : run.body;
  }, 30_000);
}

async function breaks(query = ''): Promise<Break[]> {
  const res = await ops<{ items: Break[] }>('GET', `/ops/recon/breaks?businessDate=${today}${query}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('three-way reconciliation over the real gateway, simulator and files', () => {
  it('turns a real biller posting file with injected faults and a partner file into every break code, and works them', async () => {
    const sim = gw.simulators.biller!;
    const agree = [await paid(), await paid()];
    const dropped = await paid(); // B2: the biller's file drops it
    const amountOff = await paid(); // B3: the biller booked another amount
    const reversedLate = await paid(); // B4: the biller reverses after the partner's file was cut
    const flipped = await paid(); // B4: the biller's file says FAILED
    const shifted = await paid(); // B5: the biller posted it a day later
    const notInPartnerFile = await paid(); // B7
    const twinA = await paid('twin-ref'); // B6: the partner's row names two of our payments
    const twinB = await paid('twin-ref');
    const declined = await pay(
      gw.httpUrl,
      payBody({ billReference: 'DECLINE-1', partnerReference: 'rcn-declined' }),
    );
    expect(declined.body.status).toBe('DECLINED');

    // The partner's settlement file, cut before the biller's reversal: everything SETTLED.
    const rows = [agree[0]!, agree[1]!, dropped, amountOff, reversedLate, flipped, shifted].map((p) => ({
      ref: p.ref,
      amount: p.amount,
    }));
    const file = partnerFile([
      ...rows,
      { ref: 'twin-ref', amount: twinA.amount },
      { ref: 'rcn-declined', amount: '1250.50', status: 'FAILED' },
      { ref: 'stranger-001', amount: '75.00' }, // B1: none of ours
    ]);
    const upload = (body: string) =>
      call<Json>(gw.httpUrl, 'POST', `/partner/recon/files?businessDate=${today}`, {
        key: MFS,
        rawBody: body,
        headers: { 'content-type': 'text/csv' },
      });
    const first = await upload(file);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      outcome: 'stored',
      file: { source: 'partner', sourceId: 'demo-mfs', rowCount: 10, receivedVia: 'partner-upload' },
    });
    const again = await upload(file);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', file: { id: (first.body.file as Json).id } });

    // A malformed file is refused whole, every bad line named; nothing of it is kept.
    const bad = await call<Json>(
      gw.httpUrl,
      'POST',
      `/ops/recon/files?source=partner&sourceId=demo-mfs&businessDate=${today}`,
      {
        key: OPS,
        rawBody: partnerFile([
          { ref: 'ok', amount: '1.00' },
          { ref: 'x', amount: '1.001' },
          { ref: 'y', amount: 'ten' },
        ]),
        headers: { 'content-type': 'text/csv' },
      },
    );
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({
      problemCount: 2,
      errors: [
        { field: 'line 3', message: expect.stringContaining('more than 2 decimals') },
        { field: 'line 4', message: expect.stringContaining('not a positive decimal amount') },
      ],
    });
    // Without an ops credential nothing is even written to disk.
    const anonymous = await call<Json>(
      gw.httpUrl,
      'POST',
      `/ops/recon/files?source=partner&sourceId=demo-mfs&businessDate=${today}`,
      { rawBody: file, headers: { 'content-type': 'text/csv' } },
    );
    expect(anonymous.status).toBe(401);
    const partnerOnOps = await call<Json>(
      gw.httpUrl,
      'POST',
      `/ops/recon/files?source=partner&sourceId=demo-mfs&businessDate=${today}`,
      { key: MFS, rawBody: file, headers: { 'content-type': 'text/csv' } },
    );
    expect(partnerOnOps.status).toBe(401);
    const files = await ops<{ items: Json[] }>('GET', `/ops/recon/files?businessDate=${today}`);
    expect(files.body.items).toHaveLength(1);

    // The biller reverses one payment; the partner's webhook tells it at once.
    const reversal = await call(sim.url, 'POST', '/billers/electricity/control/reversals', {
      body: { paymentId: reversedLate.id, gatewayUrl: gw.httpUrl, reason: 'customer paid twice' },
    });
    expect(reversal.status).toBe(200);
    await eventually(() =>
      receiver.received.some((d) => d.verified && d.body.includes(reversedLate.id)) ? true : undefined,
    );
    await eventually(async () => {
      const d = await gw.services.database.db
        .selectFrom('webhook_deliveries')
        .select('state')
        .where('payment_id', '=', reversedLate.id)
        .executeTakeFirst();
      return d?.state === 'delivered' ? true : undefined;
    });

    // The biller's back office gets four postings wrong; its file is fetched as the schedule does.
    const faults = await call(sim.url, 'PUT', '/billers/electricity/control/posting-faults', {
      body: {
        faults: [
          { paymentId: dropped.id, kind: 'drop' },
          { paymentId: amountOff.id, kind: 'amount', amountMinor: '49000' },
          { paymentId: flipped.id, kind: 'status' },
          { paymentId: shifted.id, kind: 'date' },
        ],
      },
    });
    expect(faults.status).toBe(200);
    const fetched = await gw.services.recon.cycle!.fetchBillerFile({
      businessDate: today,
      billerId: 'sim-electricity',
      url: `${sim.url}/billers/electricity/posting-file?date=${today}`,
    });
    expect(fetched).toMatchObject({
      outcome: 'stored',
      file: { source: 'biller', receivedVia: 'scheduled-fetch', rowCount: 9 },
    });

    // An agent's count sheet with a variance becomes an ops break of the day.
    const sheet = await ops<Json>('POST', '/ops/agents/AGENT-001/count-sheets', {
      currency: 'BDT',
      counts: [{ denomination: 'NOTE_100', count: 2 }],
    });
    expect(sheet.status).toBe(201);
    expect(sheet.body).toMatchObject({ variance: '200.00' });

    const run = await runDay();
    expect(run).toMatchObject({
      state: 'done',
      phase: 'done',
      counts: { files: 2, partnerRows: 10, billerRows: 9 },
    });
    const all = await breaks();
    const of = (paymentId: string) => all.find((b) => b.paymentId === paymentId);
    expect(of(dropped.id)).toMatchObject({ code: 'B2', owner: 'eng' });
    expect(of(amountOff.id)).toMatchObject({ code: 'B3', owner: 'partner-ops' });
    expect(of(reversedLate.id)).toMatchObject({ code: 'B4', owner: 'eng' });
    expect(of(reversedLate.id)?.summary).toMatch(/reversal webhook sent at \d{4}-\d{2}-\d{2}T/);
    expect(of(flipped.id)).toMatchObject({ code: 'B4', owner: 'eng' });
    expect(of(shifted.id)).toMatchObject({ code: 'B5', owner: 'ops' });
    expect(of(notInPartnerFile.id)).toMatchObject({ code: 'B7', owner: 'partner-ops' });
    expect(all.find((b) => b.code === 'B6')?.summary).toContain('matches 2 of our payments');
    expect(all.find((b) => b.code === 'B1')?.summary).toContain('stranger-001');
    expect(all.find((b) => b.code === 'B8')).toMatchObject({ owner: 'ops', state: 'open' });
    for (const p of agree) expect(of(p.id)).toBeUndefined();
    expect(
      all.filter((b) => b.paymentId === twinA.id || b.paymentId === twinB.id).map((b) => b.code),
    ).toEqual(['B7', 'B7']);

    // Filters, one break with its three rows side by side, and its age.
    expect((await breaks('&code=B4&owner=eng')).map((b) => b.paymentId).sort()).toEqual(
      [reversedLate.id, flipped.id].sort(),
    );
    const b3 = await ops<Break & { events: Json[]; ageSeconds: number }>(
      'GET',
      `/ops/recon/breaks/${of(amountOff.id)!.id}`,
    );
    expect(b3.body.evidence).toMatchObject({
      ours: { amount: '500.00', status: 'OK' },
      partner: { amount: '500.00', line: expect.any(Number) },
      biller: { amount: '490.00', matchedBy: 'payment-id' },
    });
    expect(b3.body.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(b3.body.events).toMatchObject([{ kind: 'raised' }]);

    // Work on breaks: assign, comment, resolve the B3 with a write-off (a balanced adjustment).
    const b2 = of(dropped.id)!;
    expect(
      (await ops('POST', `/ops/recon/breaks/${b2.id}/assign`, { assignee: 'alice', reason: 'biller desk' }))
        .status,
    ).toBe(200);
    expect(
      (await ops('POST', `/ops/recon/breaks/${b2.id}/comments`, { text: 'asked the biller' })).status,
    ).toBe(200);
    const resolved = await ops<Json>('POST', `/ops/recon/breaks/${b3.body.id}/resolve`, {
      resolution: 'write-off',
      reason: 'biller booked 10.00 less; written off',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      state: 'resolved',
      resolutionCode: 'write-off',
      journalEntryId: expect.any(String),
    });
    const lines = await gw.services.database.db
      .selectFrom('journal_lines')
      .select(['account_id', 'side', 'amount'])
      .where('entry_id', '=', String(resolved.body.journalEntryId))
      .orderBy('side')
      .execute();
    expect(lines.map((l) => [l.account_id, l.side, BigInt(l.amount)])).toEqual([
      ['settlement:ELECTRICITY:BDT', 'C', 1000n],
      ['recon-suspense:BDT', 'D', 1000n],
    ]);
    const tb = await trialBalance(gw.httpUrl);
    expect(tb.balanced).toBe(true);
    for (const c of tb.currencies) expect(c).toMatchObject({ balanced: true, accountsAgree: true });
    const again409 = await ops('POST', `/ops/recon/breaks/${b3.body.id}/resolve`, {
      resolution: 'explained',
      reason: 'twice',
    });
    expect(again409.status).toBe(409);
    const chain = new OpsAuditLog();
    const audit = await chain.list(gw.services.database.db, { subjectType: 'recon-break' });
    expect(audit.items.map((e) => [e.action, e.subjectId, e.actor])).toEqual([
      ['recon.break.assign', b2.id, 'ops-demo'],
      ['recon.break.comment', b2.id, 'ops-demo'],
      ['recon.break.resolve', b3.body.id, 'ops-demo'],
    ]);
    expect((await chain.verify(gw.services.database.db)).intact).toBe(true);

    // The partner sends a corrected file with the missing payment: a re-run clears that B7, keeps the rest.
    const corrected = await upload(
      file + `\n${notInPartnerFile.ref},,${notInPartnerFile.amount},BDT,SETTLED,${today}`,
    );
    expect(corrected.status).toBe(201);
    const rerun = await runDay();
    expect(rerun).toMatchObject({ state: 'done', counts: { breaks: { raised: 0, cleared: 1 } } });
    const after = await breaks();
    expect(after.find((b) => b.paymentId === notInPartnerFile.id)?.state).toBe('cleared');
    expect(after.find((b) => b.id === b2.id)).toMatchObject({ state: 'open', assignee: 'alice' });
    expect(after.find((b) => b.id === b3.body.id)?.state).toBe('resolved');

    // Figures, Prometheus, CSV export, the partner's view and our statements.
    const figures = await ops<{ byDay: Json[]; openNow: number; oldestOpenAgeSeconds: number }>(
      'GET',
      '/ops/recon/figures',
    );
    expect(figures.body.byDay).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ businessDate: today, code: 'B3', resolved: 1, resolvedWithin4h: 1 }),
      ]),
    );
    expect(figures.body.oldestOpenAgeSeconds).toBeGreaterThanOrEqual(0);
    const metrics = await call(gw.httpUrl, 'GET', '/metrics');
    expect(metrics.text).toMatch(/billgate_recon_breaks_open\{code="B2",owner="eng"\} 1/);
    expect(metrics.text).toMatch(/billgate_recon_breaks_resolved_within_4h_ratio 1/);
    const csv = await ops('GET', `/ops/recon/breaks.csv?businessDate=${today}`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.text.trim().split('\n')).toHaveLength(after.length + 1);
    expect(csv.text).toContain(`,B3,partner-ops,resolved,`);
    const partnerView = await call<{ published: boolean }>(
      gw.httpUrl,
      'GET',
      `/partner/recon/breaks?businessDate=${today}`,
      { key: MFS },
    );
    expect(partnerView.status).toBe(200);
    expect(partnerView.body.published).toBe(false); // published at 02:00 on the next day

    const statementCsv = await call(gw.httpUrl, 'GET', `/partner/recon/statements/${today}.csv`, {
      key: MFS,
    });
    expect(statementCsv.status).toBe(200);
    expect(statementCsv.text).toContain(`settlement:ELECTRICITY:BDT,payment,${agree[0]!.id}`);
    expect(statementCsv.text).toContain(`settlement:ELECTRICITY:BDT,reversal,${reversedLate.id}`);
    const statementXml = await ops('GET', `/ops/recon/statements/demo-mfs/${today}.xml`);
    expect(statementXml.headers['content-type']).toContain('application/xml');
    expect(gw.services.recon.camt.validate(Buffer.from(statementXml.text), 'camt.053.001.08')).toEqual([]);
    const parsed = gw.services.recon.camt.parse(Buffer.from(statementXml.text));
    expect(
      parsed.ok &&
        parsed.document.entries.find(
          (e) => e.refs.InstrId === reversedLate.id.replace(/-/g, '') && e.reversal,
        ),
    ).toBeTruthy();
  });
});
